//! Finding and reading files on a Windows volume seen from another system: paths are
//! case-insensitive there, and not here; a link may lead off the volume; a file's size may not
//! be what it holds. A volume is a folder on this system, or a file system inside a disk image
//! ([`super::image::Tree`]); `collect` reads both through the same calls.

use std::cell::RefCell;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::MAX_ARTIFACT;
use super::image::{FileTime, Tree};

/// Directory entries looked at per folder when matching a name: a folder holding more is read
/// only this far (System32 holds about 2,000 files on Windows NT 4.0, 20,000 today).
pub const MAX_ENTRIES: usize = 200_000;

/// A system volume: a folder, and where it really is once links are followed; or a file system
/// in an image, whose root is named after the image and partition (`disk.vmdk: partition 2`).
#[derive(Clone)]
pub struct Volume {
    pub root: PathBuf,
    real: PathBuf,
    /// The last folder checked and where it really is: a log folder's files are checked
    /// one after another, and resolving each one's whole path costs a system call per part.
    last: RefCell<Option<(PathBuf, PathBuf)>>,
    /// The image's file system, when the volume is one.
    tree: Option<Rc<dyn Tree>>,
}

impl std::fmt::Debug for Volume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Volume")
            .field("root", &self.root)
            .field("image", &self.tree.is_some())
            .finish()
    }
}

impl Volume {
    /// The volume at `root`, which must be a folder.
    pub fn open(root: &Path) -> std::io::Result<Volume> {
        let real = std::fs::canonicalize(root)?;
        std::fs::read_dir(&real)?;
        Ok(Volume {
            root: root.to_path_buf(),
            real,
            last: RefCell::new(None),
            tree: None,
        })
    }

    /// The file system `tree` of an image, its root named `root`.
    pub fn image(root: PathBuf, tree: Rc<dyn Tree>) -> Volume {
        Volume {
            real: root.clone(),
            root,
            last: RefCell::new(None),
            tree: Some(tree),
        }
    }

    /// The parts of `path` below the root of an image's volume; `None` for a folder volume or a
    /// path elsewhere.
    fn parts(&self, path: &Path) -> Option<(&dyn Tree, Vec<String>)> {
        let tree = self.tree.as_deref()?;
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some((tree, parts))
    }

    /// The entry of `dir` named `name`, ignoring case: the exact spelling first.
    pub fn child(&self, dir: &Path, name: &str) -> Option<PathBuf> {
        self.child_checked(dir, name).ok().flatten()
    }

    /// [`Volume::child`], and on an image the error when `dir` cannot be listed (a damaged
    /// file system), located at `dir`.
    fn child_checked(&self, dir: &Path, name: &str) -> Result<Option<PathBuf>, String> {
        let Some((tree, parts)) = self.parts(dir) else {
            return Ok(child(dir, name));
        };
        let entries = tree
            .list(&parts)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let wanted = name.to_lowercase();
        Ok(entries
            .iter()
            .find(|e| e.name == name)
            .or_else(|| entries.iter().find(|e| e.name.to_lowercase() == wanted))
            .map(|e| dir.join(&e.name)))
    }

    /// [`Volume::find`] with the first error met on the way.
    fn find_checked(&self, root: &Path, rel: &str) -> Result<Option<PathBuf>, String> {
        let mut dir = root.to_path_buf();
        for part in rel.split(['\\', '/']).filter(|p| !p.is_empty()) {
            match self.child_checked(&dir, part)? {
                Some(next) => dir = next,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// `rel` (`\` or `/` separated) below `root`, each part matched ignoring case.
    pub fn find(&self, root: &Path, rel: &str) -> Option<PathBuf> {
        if self.tree.is_none() {
            return find(root, rel);
        }
        rel.split(['\\', '/'])
            .filter(|p| !p.is_empty() && *p != ".")
            .try_fold(root.to_path_buf(), |dir, part| {
                if part == ".." {
                    return None;
                }
                self.child(&dir, part)
            })
    }

    /// Whether `path` is a folder.
    pub fn is_dir(&self, path: &Path) -> bool {
        let Some((tree, parts)) = self.parts(path) else {
            return path.is_dir();
        };
        let Some((name, dir)) = parts.split_last() else {
            return true;
        };
        tree.list(dir)
            .is_ok_and(|l| l.iter().any(|e| e.dir && e.name == *name))
    }

    /// The files of `dir` whose names end with `ext`, as [`files_ending`].
    pub fn files_ending(&self, dir: &Path, ext: &str) -> (Vec<PathBuf>, bool) {
        let Some((tree, parts)) = self.parts(dir) else {
            return files_ending(dir, ext);
        };
        let Ok(mut entries) = tree.list(&parts) else {
            return (Vec::new(), false);
        };
        let more = entries.len() > MAX_ENTRIES;
        entries.truncate(MAX_ENTRIES);
        let mut found: Vec<PathBuf> = entries
            .iter()
            .filter(|e| e.name.to_lowercase().ends_with(ext))
            .map(|e| dir.join(&e.name))
            .collect();
        found.sort();
        (found, more)
    }

    /// The Windows folders of an image's volume: each folder at its top holding
    /// `system32\config\SOFTWARE` (and the root itself when it does), sorted; and the errors
    /// met looking (a folder on the way that cannot be read), located.
    pub fn installations(&self) -> (Vec<PathBuf>, Vec<String>) {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        let mut holds = |dir: &Path| match self.find_checked(dir, "system32/config/SOFTWARE") {
            Ok(f) => f.is_some(),
            Err(e) => {
                errors.push(e);
                false
            }
        };
        if holds(&self.root) {
            found.push(self.root.clone());
        }
        let listed = match self
            .parts(&self.root)
            .map(|(tree, parts)| tree.list(&parts))
        {
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                errors.push(format!("{}: {e}", self.root.display()));
                return (found, errors);
            }
            None => return (found, errors),
        };
        let mut dirs: Vec<PathBuf> = listed
            .into_iter()
            .filter(|e| e.dir && !e.name.starts_with('$'))
            .take(MAX_ENTRIES)
            .map(|e| self.root.join(e.name))
            .collect();
        dirs.sort();
        for dir in dirs {
            if holds(&dir) {
                found.push(dir);
            }
        }
        errors.dedup();
        (found, errors)
    }

    /// The modified time of a file below an image's volume root, or `None` when `path` is not
    /// one (a folder's file: see [`modified`]).
    fn image_modified(&self, path: &Path) -> Option<Result<Option<FileTime>, String>> {
        let (tree, parts) = self.parts(path)?;
        Some(tree.modified(&parts))
    }

    /// Whether `path`, found on the volume, stays on it once links are followed: a link inside
    /// the volume is fine; one leading elsewhere (`/proc/self/pagemap`, the host's own files) is
    /// not followed.
    fn check(&self, path: &Path) -> Result<(), String> {
        let real = self.resolve(path).map_err(|e| e.to_string())?;
        if real.starts_with(&self.real) {
            Ok(())
        } else {
            Err(format!(
                "a link that leads out of the volume (to {}): not followed",
                real.display()
            ))
        }
    }
}

impl Volume {
    /// Where `path` really is: its folder resolved (once for files of one folder), then the
    /// file itself when it is a link.
    fn resolve(&self, path: &Path) -> std::io::Result<PathBuf> {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return std::fs::canonicalize(path);
        };
        if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return std::fs::canonicalize(path);
        }
        let mut last = self.last.borrow_mut();
        let real_folder = match &*last {
            Some((f, real)) if f == folder => real.clone(),
            _ => {
                let real = std::fs::canonicalize(folder)?;
                *last = Some((folder.to_path_buf(), real.clone()));
                real
            }
        };
        Ok(real_folder.join(name))
    }
}

/// The whole of an artifact, at most [`MAX_ARTIFACT`] bytes, and never more than its size says:
/// a special file reporting 0 bytes (`/proc/self/pagemap`) or a file growing while read is
/// refused after one byte too many. A path below `volume`'s root must stay on the volume.
pub fn read(path: &Path, volume: Option<&Volume>) -> Result<Vec<u8>, String> {
    if let Some(v) = volume.filter(|v| path.starts_with(&v.root)) {
        if let Some((tree, parts)) = v.parts(path) {
            return tree.read(&parts);
        }
        v.check(path)?;
    }
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let size = meta.len();
    if size > MAX_ARTIFACT {
        return Err(format!(
            "{size} bytes, more than the {MAX_ARTIFACT} kbdiag reads"
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut data = Vec::with_capacity(size as usize);
    file.take(size + 1)
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    if data.len() as u64 > size {
        return Err(format!(
            "holds more than its size of {size} bytes says (a special file, or one still \
             being written): not read"
        ));
    }
    Ok(data)
}

/// A file's modified time: from the image's file system when `path` is on an image's
/// `volume`, else the file system's time here (UTC).
pub fn modified(path: &Path, volume: Option<&Volume>) -> Result<Option<FileTime>, String> {
    if let Some(t) = volume.and_then(|v| v.image_modified(path)) {
        return t;
    }
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    Ok(meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| FileTime::Utc(d.as_secs() as i64)))
}

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

/// The files of `dir` whose names end with `ext` (ignoring case), sorted; and whether the folder
/// held more entries than [`MAX_ENTRIES`], of which only that many were looked at.
pub fn files_ending(dir: &Path, ext: &str) -> (Vec<PathBuf>, bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (Vec::new(), false);
    };
    let mut more = false;
    let mut found = Vec::new();
    for (seen, entry) in entries.flatten().enumerate() {
        if seen == MAX_ENTRIES {
            more = true;
            break;
        }
        let name = entry.file_name();
        if name.to_string_lossy().to_lowercase().ends_with(ext) {
            found.push(entry.path());
        }
    }
    found.sort();
    (found, more)
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
