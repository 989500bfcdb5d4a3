//! An NTFS volume (versions 1.2 of Windows NT 4.0 and 3.x) read through Colin Finck's `ntfs`
//! crate, over a [`Window`] of the disk: folders listed from their index (DOS 8.3 names left
//! out), files read from their unnamed `$DATA` stream, times from `$STANDARD_INFORMATION` (UTC).
//! The crate's index walk can descend forever through a subnode that names itself, and its
//! record reads trust the run lists: every operation runs within a read budget (the window
//! refuses reads past it), and a panic in the crate is caught and reported as an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;

use ::ntfs::Ntfs;
use ::ntfs::structured_values::NtfsFileNamespace;

use super::disk::Window;
use super::{Entry, FileTime, Tree, guarded};
use crate::collect::MAX_ARTIFACT;
use crate::collect::volume::MAX_ENTRIES;

/// Bytes an operation besides a file's own data may read: a folder's index (System32's is about
/// 300 KiB on Windows NT 4.0) and the records on the way.
const METADATA_BUDGET: u64 = 64 << 20;
/// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
const FILETIME_TO_UNIX: i64 = 11_644_473_600;

pub struct NtfsTree {
    fs: RefCell<Window>,
    ntfs: Ntfs,
    /// Each folder listed, by its path (lower case): its entries and their MFT records.
    folders: RefCell<HashMap<String, Vec<(Entry, u64)>>>,
}

impl NtfsTree {
    pub fn open(mut fs: Window) -> Result<NtfsTree, String> {
        fs.budget.set(METADATA_BUDGET);
        let ntfs = guarded(|| Ntfs::new(&mut fs).map_err(|e| format!("NTFS: {e}")))?;
        Ok(NtfsTree {
            fs: RefCell::new(fs),
            ntfs,
            folders: RefCell::new(HashMap::new()),
        })
    }

    /// The MFT record of the file at `path` (each part as [`Tree::list`] spelled it).
    fn record(&self, path: &[String]) -> Result<u64, String> {
        let Some((name, dir)) = path.split_last() else {
            return Ok(5); // the root folder's record
        };
        let entries = self.entries(dir)?;
        entries
            .iter()
            .find(|(e, _)| e.name == *name)
            .or_else(|| {
                let wanted = name.to_lowercase();
                entries
                    .iter()
                    .find(|(e, _)| e.name.to_lowercase() == wanted)
            })
            .map(|(_, r)| *r)
            .ok_or_else(|| format!("{name}: no such file"))
    }

    fn entries(&self, dir: &[String]) -> Result<Vec<(Entry, u64)>, String> {
        let key = dir.join("\\").to_lowercase();
        if let Some(found) = self.folders.borrow().get(&key) {
            return Ok(found.clone());
        }
        let record = self.record(dir)?;
        let mut fs = self.fs.borrow_mut();
        fs.budget.set(METADATA_BUDGET);
        let ntfs = &self.ntfs;
        let listed = guarded(|| -> Result<Vec<(Entry, u64)>, String> {
            let at = |e: ::ntfs::NtfsError| format!("NTFS: MFT record {record}: {e}");
            let folder = ntfs.file(&mut *fs, record).map_err(at)?;
            if !folder.is_directory() {
                return Err(format!("NTFS: MFT record {record}: not a folder"));
            }
            let index = folder.directory_index(&mut *fs).map_err(at)?;
            let mut iter = index.entries();
            let mut out = Vec::new();
            while let Some(entry) = iter.next(&mut *fs) {
                let entry = entry.map_err(at)?;
                let Some(key) = entry.key() else { continue };
                let key = key.map_err(at)?;
                if key.namespace() == NtfsFileNamespace::Dos {
                    continue;
                }
                let name = key.name().to_string_lossy();
                if name == "." {
                    continue;
                }
                out.push((
                    Entry {
                        name,
                        dir: key.is_directory(),
                    },
                    entry.file_reference().file_record_number(),
                ));
                if out.len() > MAX_ENTRIES {
                    break;
                }
            }
            Ok(out)
        })?;
        self.folders.borrow_mut().insert(key, listed.clone());
        Ok(listed)
    }
}

impl Tree for NtfsTree {
    fn list(&self, dir: &[String]) -> Result<Vec<Entry>, String> {
        Ok(self.entries(dir)?.into_iter().map(|(e, _)| e).collect())
    }

    fn modified(&self, path: &[String]) -> Result<Option<FileTime>, String> {
        let record = self.record(path)?;
        let mut fs = self.fs.borrow_mut();
        fs.budget.set(METADATA_BUDGET);
        let ntfs = &self.ntfs;
        guarded(|| {
            let at = |e: ::ntfs::NtfsError| format!("NTFS: MFT record {record}: {e}");
            let file = ntfs.file(&mut *fs, record).map_err(at)?;
            let info = file.info().map_err(at)?;
            let ticks = info.modification_time().nt_timestamp();
            Ok(Some(FileTime::Utc(
                (ticks / 10_000_000) as i64 - FILETIME_TO_UNIX,
            )))
        })
    }

    fn read(&self, path: &[String]) -> Result<Vec<u8>, String> {
        let record = self.record(path)?;
        let mut fs = self.fs.borrow_mut();
        fs.budget.set(METADATA_BUDGET);
        let ntfs = &self.ntfs;
        guarded(|| {
            let at = |e: ::ntfs::NtfsError| format!("NTFS: MFT record {record}: {e}");
            let file = ntfs.file(&mut *fs, record).map_err(at)?;
            let item = file
                .data(&mut *fs, "")
                .ok_or_else(|| format!("NTFS: MFT record {record}: no data stream"))?
                .map_err(at)?;
            let attribute = item.to_attribute().map_err(at)?;
            let value = attribute.value(&mut *fs).map_err(at)?;
            let size = value.len();
            if size > MAX_ARTIFACT {
                return Err(format!(
                    "{size} bytes, more than the {MAX_ARTIFACT} kbdiag reads"
                ));
            }
            fs.budget.set(METADATA_BUDGET + size);
            let mut data = Vec::with_capacity(size as usize);
            let mut attached = value.attach(&mut *fs);
            (&mut attached)
                .take(size)
                .read_to_end(&mut data)
                .map_err(|e| format!("NTFS: MFT record {record}: {e}"))?;
            if (data.len() as u64) < size {
                return Err(format!(
                    "NTFS: MFT record {record}: {} of its {size} bytes could be read",
                    data.len()
                ));
            }
            Ok(data)
        })
    }
}
