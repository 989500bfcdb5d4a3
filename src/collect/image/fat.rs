//! A FAT12, FAT16 or FAT32 volume read through the `fatfs` crate over a [`Window`] of the disk:
//! folders with their long names, files read to the size their entry gives, times as the volume
//! keeps them (local time: [`FileTime::Local`]). A folder's cluster chain that loops would keep
//! `fatfs` reading (deleted entries are skipped inside one step of its iterator): every operation
//! runs within a read budget, past which the window's reads fail and the walk ends with an error;
//! a panic in the crate is caught and reported as an error. `fatfs` clears the volume's dirty
//! flag when dropped: the window refuses every write, so the image is never changed.

use std::io::Read;

use fatfs::{Dir, FileSystem, FsOptions};

use super::disk::{Budget, Window};
use super::{Entry, FileTime, Tree, guarded};
use crate::collect::MAX_ARTIFACT;
use crate::collect::volume::MAX_ENTRIES;

/// Bytes an operation besides a file's own data may read (a folder's clusters; a FAT16 root
/// folder is 16 KiB, System32's folder on NT 4.0 about 200 KiB with long names).
const METADATA_BUDGET: u64 = 64 << 20;

pub struct FatTree {
    fs: FileSystem<Window>,
    budget: Budget,
}

impl FatTree {
    pub fn open(fs: Window) -> Result<FatTree, String> {
        let budget = fs.budget.clone();
        budget.set(METADATA_BUDGET);
        let options = FsOptions::new().update_accessed_date(false);
        let fs = guarded(|| FileSystem::new(fs, options).map_err(|e| format!("FAT: {e}")))?;
        Ok(FatTree { fs, budget })
    }

    /// The folder at `dir`, and the entry of `name` in it when asked for.
    fn walk<T>(
        &self,
        path: &[String],
        at_end: impl FnOnce(Option<fatfs::DirEntry<'_, Window>>, Dir<'_, Window>) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut dir = self.fs.root_dir();
        let Some((last, folders)) = path.split_last() else {
            return at_end(None, dir);
        };
        for part in folders {
            let entry = find(&dir, part)?;
            if !entry.is_dir() {
                return Err(format!("FAT: {part}: not a folder"));
            }
            dir = entry.to_dir();
        }
        let entry = find(&dir, last)?;
        at_end(Some(entry), dir)
    }
}

/// The entry of `dir` named `name`, ignoring case.
fn find<'a>(dir: &Dir<'a, Window>, name: &str) -> Result<fatfs::DirEntry<'a, Window>, String> {
    let wanted = name.to_lowercase();
    for (seen, entry) in dir.iter().enumerate() {
        let entry = entry.map_err(|e| format!("FAT: looking for {name}: {e}"))?;
        if entry.file_name().to_lowercase() == wanted {
            return Ok(entry);
        }
        if seen > MAX_ENTRIES {
            break;
        }
    }
    Err(format!("{name}: no such file"))
}

impl Tree for FatTree {
    fn list(&self, dir: &[String]) -> Result<Vec<Entry>, String> {
        self.budget.set(METADATA_BUDGET);
        guarded(|| {
            self.walk(dir, |entry, parent| {
                let folder = match entry {
                    Some(e) if e.is_dir() => e.to_dir(),
                    Some(_) => return Err("FAT: not a folder".into()),
                    None => parent,
                };
                let mut out = Vec::new();
                for entry in folder.iter() {
                    let entry = entry.map_err(|e| format!("FAT: {e}"))?;
                    let name = entry.file_name();
                    if name == "." || name == ".." {
                        continue;
                    }
                    out.push(Entry {
                        name,
                        dir: entry.is_dir(),
                    });
                    if out.len() > MAX_ENTRIES {
                        break;
                    }
                }
                Ok(out)
            })
        })
    }

    fn modified(&self, path: &[String]) -> Result<Option<FileTime>, String> {
        self.budget.set(METADATA_BUDGET);
        guarded(|| {
            self.walk(path, |entry, _| {
                let Some(entry) = entry else { return Ok(None) };
                let t = entry.modified();
                let text = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    t.date.year, t.date.month, t.date.day, t.time.hour, t.time.min, t.time.sec
                );
                // A date FAT cannot hold (month 13, day 0) is no time.
                Ok(crate::facts::values::utc_seconds(&text)
                    .ok()
                    .map(FileTime::Local))
            })
        })
    }

    fn read(&self, path: &[String]) -> Result<Vec<u8>, String> {
        self.budget.set(METADATA_BUDGET);
        guarded(|| {
            self.walk(path, |entry, _| {
                let Some(entry) = entry else {
                    return Err("FAT: the root folder is not a file".into());
                };
                if entry.is_dir() {
                    return Err("not a regular file".into());
                }
                let size = entry.len();
                if size > MAX_ARTIFACT {
                    return Err(format!(
                        "{size} bytes, more than the {MAX_ARTIFACT} kbdiag reads"
                    ));
                }
                self.budget.set(METADATA_BUDGET + size);
                let mut data = Vec::with_capacity(size as usize);
                entry
                    .to_file()
                    .take(size)
                    .read_to_end(&mut data)
                    .map_err(|e| format!("FAT: {e}"))?;
                if (data.len() as u64) < size {
                    return Err(format!(
                        "FAT: {} of its {size} bytes could be read (its cluster chain ends early)",
                        data.len()
                    ));
                }
                Ok(data)
            })
        })
    }
}
