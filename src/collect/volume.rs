//! Finding files on a Windows volume seen from another system: paths are case-insensitive there,
//! and not here.

use std::path::{Path, PathBuf};

/// Directory entries looked at per folder when matching a name: a folder holding more is read
/// only this far (System32 holds about 2,000 files on Windows NT 4.0, 20,000 today).
const MAX_ENTRIES: usize = 200_000;

/// The entry of `dir` named `name`, ignoring case: the exact spelling first.
pub fn child(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if std::fs::symlink_metadata(&exact).is_ok() {
        return Some(exact);
    }
    let wanted = name.to_lowercase();
    std::fs::read_dir(dir)
        .ok()?
        .take(MAX_ENTRIES)
        .flatten()
        .find(|e| e.file_name().to_string_lossy().to_lowercase() == wanted)
        .map(|e| e.path())
}

/// `rel` (`\` or `/` separated) below `root`, each part matched ignoring case.
pub fn find(root: &Path, rel: &str) -> Option<PathBuf> {
    rel.split(['\\', '/'])
        .filter(|p| !p.is_empty() && *p != ".")
        .try_fold(root.to_path_buf(), |dir, part| {
            if part == ".." {
                return None;
            }
            child(&dir, part)
        })
}

/// The Windows folder of a system volume (`WINNT`, `Windows`, or whichever folder holds
/// `system32\config`), or `root` itself when it is that folder.
pub fn windows_dir(root: &Path) -> Option<PathBuf> {
    if find(root, "system32/config").is_some() {
        return Some(root.to_path_buf());
    }
    for name in ["WINNT", "Windows"] {
        if let Some(dir) = child(root, name)
            && find(&dir, "system32/config").is_some()
        {
            return Some(dir);
        }
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .take(MAX_ENTRIES)
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .find(|dir| dir.is_dir() && find(dir, "system32/config").is_some())
}
