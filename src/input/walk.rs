//! Collecting input files below a folder, in sorted order.

use std::io;
use std::path::{Path, PathBuf};

/// What a walk found: a file to read, or an entry that looks like one and cannot be read, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File(PathBuf),
    Skipped(PathBuf, String),
}

/// Appends every file below `dir` whose name passes `wanted`, depth-first in sorted order.
/// Symbolic links to folders are not followed, so a link loop cannot hang the walk. A subfolder
/// that cannot be read, and an entry named like an input that is not a readable file (a dangling
/// link, a FIFO), are `Skipped` with the reason, and the walk goes on; only `dir` itself failing
/// is an error.
pub fn collect(dir: &Path, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<Found>) -> io::Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        match entry {
            Ok(entry) => entries.push(entry),
            Err(e) => out.push(Found::Skipped(dir.to_path_buf(), e.to_string())),
        }
    }
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) => {
                out.push(Found::Skipped(path, e.to_string()));
                continue;
            }
        };
        if kind.is_dir() {
            if let Err(e) = collect(&path, wanted, out) {
                out.push(Found::Skipped(
                    path,
                    format!("cannot read this folder: {e}"),
                ));
            }
            continue;
        }
        if !wanted(&name) {
            continue;
        }
        if kind.is_file() {
            out.push(Found::File(path));
        } else if kind.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push(Found::File(path)),
                Ok(m) if m.is_dir() => out.push(Found::Skipped(
                    path,
                    "a link to a folder, not followed".into(),
                )),
                Ok(_) => out.push(Found::Skipped(path, not_regular())),
                Err(e) => out.push(Found::Skipped(
                    path,
                    format!("a symbolic link whose target cannot be read ({e})"),
                )),
            }
        } else {
            out.push(Found::Skipped(path, not_regular()));
        }
    }
    Ok(())
}

/// The files found, or the first entry that could not be read: for rules and tests, where every
/// file counts.
pub fn all_files(found: Vec<Found>) -> Result<Vec<PathBuf>, (PathBuf, String)> {
    found
        .into_iter()
        .map(|f| match f {
            Found::File(path) => Ok(path),
            Found::Skipped(path, why) => Err((path, why)),
        })
        .collect()
}

fn not_regular() -> String {
    "not a regular file (a FIFO, socket or device): not read inside a folder; name it on the \
     command line to read it"
        .into()
}
