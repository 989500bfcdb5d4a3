//! Collecting input files below a folder, in sorted order.

use std::io;
use std::path::{Path, PathBuf};

/// Appends every file below `dir` whose name passes `wanted`, depth-first in sorted order.
/// Symbolic links to folders are not followed, so a link loop cannot hang the walk.
pub fn collect(
    dir: &Path,
    wanted: &dyn Fn(&str) -> bool,
    out: &mut Vec<PathBuf>,
) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&path, wanted, out)?;
        } else if (kind.is_file() || (kind.is_symlink() && path.is_file()))
            && wanted(&entry.file_name().to_string_lossy())
        {
            out.push(path);
        }
    }
    Ok(())
}
