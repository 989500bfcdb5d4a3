//! A FAT12, FAT16 or FAT32 volume read through the `fatfs` crate over a [`Window`] of the disk:
//! folders with their long names, files read to the size their entry gives, times as the volume
//! keeps them (local time: [`FileTime::Local`]). `fatfs` follows a file's cluster chain only as
//! far as the file's size, so a chain that loops back on itself would give the same clusters
//! again, silently: before a file is read, its chain is walked here, in the FAT itself (a
//! cluster seen twice, one off the volume, free, bad, or the chain's end before the size is
//! reached: the file is not read, and the error names the cluster). A folder's cluster chain
//! that loops would keep `fatfs` reading (deleted entries are skipped inside one step of its
//! iterator): every operation runs within a read budget, past which the window's reads fail and
//! the walk ends with an error; a panic in the crate is caught and reported as an error. `fatfs`
//! clears the volume's dirty flag when dropped: the window refuses every write, so the image is
//! never changed.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use fatfs::{Dir, FatType, FileSystem, FsOptions};

use super::disk::{Budget, Watch, Window};
use super::{Entry, FileTime, Tree, guarded};
use crate::collect::MAX_ARTIFACT;
use crate::collect::volume::MAX_ENTRIES;

/// Bytes an operation besides a file's own data may read (a folder's clusters; a FAT16 root
/// folder is 16 KiB, System32's folder on NT 4.0 about 200 KiB with long names).
const METADATA_BUDGET: u64 = 64 << 20;
/// Bytes of the FAT read at once when walking a chain (and 4 more: a FAT12 entry may straddle).
const FAT_CHUNK: u64 = 4096;

pub struct FatTree {
    fs: FileSystem<Window>,
    budget: Budget,
    /// Notes where `fatfs` first reads a file: its first cluster.
    watch: Watch,
    /// The volume read directly, for the FAT, within the same budget.
    raw: RefCell<Window>,
    layout: Layout,
    /// The last piece of the FAT read: its offset in the FAT, and its bytes.
    chunk: RefCell<(u64, Vec<u8>)>,
}

/// Where a FAT volume keeps its clusters and its table, from its boot sector (as `fatfs` reads
/// it: the first FAT, or FAT32's active one when mirroring is off).
#[derive(Debug, Clone, Copy)]
struct Layout {
    kind: FatType,
    cluster_size: u64,
    /// The offset of cluster 2, the first.
    data_start: u64,
    fat_start: u64,
    fat_bytes: u64,
    /// Clusters on the volume: numbered 2 to `clusters + 1`.
    clusters: u32,
}

impl Layout {
    fn read(boot: &[u8; 512], kind: FatType) -> Result<Layout, String> {
        let u16_at = |o: usize| u64::from(u16::from_le_bytes([boot[o], boot[o + 1]]));
        let u32_at = |o: usize| u64::from(super::disk::u32le(boot, o));
        let sector = u16_at(11);
        let per_cluster = u64::from(boot[13]);
        let reserved = u16_at(14);
        let fats = u64::from(boot[16]);
        let root_entries = u16_at(17);
        let total = match u16_at(19) {
            0 => u32_at(32),
            n => n,
        };
        let (fat_sectors, flags) = match u16_at(22) {
            0 => (u32_at(36), u16_at(40)),
            n => (n, 0),
        };
        if sector == 0 || per_cluster == 0 {
            return Err("a boot sector with no sector or cluster size".into());
        }
        let root_sectors = (root_entries * 32).div_ceil(sector);
        let first_data = reserved + fats * fat_sectors + root_sectors;
        let active = if flags & 0x80 == 0 { 0 } else { flags & 0x0F };
        Ok(Layout {
            kind,
            cluster_size: sector * per_cluster,
            data_start: first_data * sector,
            fat_start: (reserved + active * fat_sectors) * sector,
            fat_bytes: fat_sectors * sector,
            clusters: u32::try_from(total.saturating_sub(first_data) / per_cluster)
                .unwrap_or(u32::MAX - 2),
        })
    }

    fn name(&self) -> &'static str {
        match self.kind {
            FatType::Fat12 => "FAT12",
            FatType::Fat16 => "FAT16",
            FatType::Fat32 => "FAT32",
        }
    }

    /// The cluster that starts at `offset` in the volume, if one does.
    fn cluster_at(&self, offset: u64) -> Option<u32> {
        let from = offset.checked_sub(self.data_start)?;
        if from % self.cluster_size != 0 {
            return None;
        }
        u32::try_from(from / self.cluster_size + 2).ok()
    }

    fn on_volume(&self, cluster: u32) -> bool {
        (2..=u64::from(self.clusters) + 1).contains(&u64::from(cluster))
    }
}

/// A FAT entry's meaning.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Cluster(u32),
    Free,
    Bad,
    End,
}

impl FatTree {
    pub fn open(fs: Window) -> Result<FatTree, String> {
        let budget = fs.budget.clone();
        budget.set(METADATA_BUDGET);
        let watch = fs.watch.clone();
        let mut raw = fs.sibling();
        let mut boot = [0u8; 512];
        raw.read_exact(&mut boot)
            .map_err(|e| format!("FAT: boot sector: {e}"))?;
        let options = FsOptions::new().update_accessed_date(false);
        let fs = guarded(|| FileSystem::new(fs, options).map_err(|e| format!("FAT: {e}")))?;
        let layout = Layout::read(&boot, fs.fat_type()).map_err(|e| format!("FAT: {e}"))?;
        Ok(FatTree {
            fs,
            budget,
            watch,
            raw: RefCell::new(raw),
            layout,
            chunk: RefCell::new((0, Vec::new())),
        })
    }

    /// The FAT's entry for `cluster`.
    fn next(&self, cluster: u32) -> Result<Next, String> {
        let l = &self.layout;
        let c = u64::from(cluster);
        let (at, width) = match l.kind {
            FatType::Fat12 => (c + c / 2, 2),
            FatType::Fat16 => (2 * c, 2),
            FatType::Fat32 => (4 * c, 4),
        };
        if at + width > l.fat_bytes {
            return Err(format!(
                "cluster {cluster} has no entry in the FAT ({} bytes)",
                l.fat_bytes
            ));
        }
        let mut chunk = self.chunk.borrow_mut();
        if at < chunk.0 || at + width > chunk.0 + chunk.1.len() as u64 {
            let start = at - at % FAT_CHUNK;
            let len = (FAT_CHUNK + 4).min(l.fat_bytes - start);
            let mut bytes = vec![0u8; len as usize];
            let mut raw = self.raw.borrow_mut();
            raw.seek(SeekFrom::Start(l.fat_start + start))
                .and_then(|_| raw.read_exact(&mut bytes))
                .map_err(|e| format!("the FAT at byte {start}: {e}"))?;
            *chunk = (start, bytes);
        }
        let i = (at - chunk.0) as usize;
        let b = &chunk.1[i..i + width as usize];
        let (value, bad, end) = match l.kind {
            FatType::Fat12 => {
                let v = u32::from(u16::from_le_bytes([b[0], b[1]]));
                let v = if cluster % 2 == 1 { v >> 4 } else { v & 0xFFF };
                (v, 0xFF7, 0xFF8)
            }
            FatType::Fat16 => (u32::from(u16::from_le_bytes([b[0], b[1]])), 0xFFF7, 0xFFF8),
            FatType::Fat32 => (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0x0FFF_FFFF,
                0x0FFF_FFF7,
                0x0FFF_FFF8,
            ),
        };
        Ok(match value {
            0 => Next::Free,
            v if v == bad => Next::Bad,
            v if v >= end => Next::End,
            v => Next::Cluster(v),
        })
    }

    /// Checks the cluster chain of a file of `size` bytes from cluster `first`: as many clusters
    /// as its size needs, each on the volume, none met twice, none the chain's end before the
    /// last. Bounded by the volume's clusters: a chain cannot be longer.
    fn check_chain(&self, first: u32, size: u64) -> Result<(), String> {
        let l = &self.layout;
        let needed = size.div_ceil(l.cluster_size);
        if needed > u64::from(l.clusters) {
            return Err(format!(
                "its size ({size} bytes) needs {needed} clusters, more than the volume's {}",
                l.clusters
            ));
        }
        let last = u64::from(l.clusters) + 1;
        if !l.on_volume(first) {
            return Err(format!(
                "its first cluster, {first}, is not on the volume (clusters 2 to {last})"
            ));
        }
        let mut seen = HashSet::new();
        seen.insert(first);
        let mut at = first;
        for n in 1..needed {
            let next = match self.next(at)? {
                Next::Cluster(c) => c,
                Next::End => {
                    return Err(format!(
                        "its cluster chain ends at cluster {at}, after {n} of the {needed} \
                         clusters its size ({size} bytes) needs"
                    ));
                }
                Next::Free => {
                    return Err(format!(
                        "its cluster chain breaks off: cluster {at}, the file's {}, is marked free",
                        ordinal(n - 1)
                    ));
                }
                Next::Bad => {
                    return Err(format!(
                        "its cluster chain breaks off: cluster {at}, the file's {}, is marked bad",
                        ordinal(n - 1)
                    ));
                }
            };
            if !l.on_volume(next) {
                return Err(format!(
                    "its cluster chain leaves the volume: cluster {at} points to {next} \
                         (clusters 2 to {last})"
                ));
            }
            if !seen.insert(next) {
                return Err(format!(
                    "its cluster chain loops: cluster {at}, the file's {}, points back to cluster \
                         {next}",
                    ordinal(n - 1)
                ));
            }
            at = next;
        }
        Ok(())
    }

    /// The first cluster of the file `entry`, as `fatfs` reads it: the cluster of its first read.
    fn first_cluster(&self, entry: &fatfs::DirEntry<'_, Window>) -> Result<Option<u32>, String> {
        let mut one = [0u8; 1];
        self.watch.arm();
        let read = entry.to_file().read(&mut one);
        let at = self.watch.take();
        let got = read.map_err(|e| format!("{}: {e}", self.layout.name()))?;
        if got == 0 {
            return Ok(None);
        }
        at.and_then(|a| self.layout.cluster_at(a))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "{}: its first cluster is not one of the volume's",
                    self.layout.name()
                )
            })
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

/// `1st`, `2nd`, `3rd`, `4th`… for the `n`th (from 0) of a chain's clusters.
fn ordinal(n: u64) -> String {
    let k = n + 1;
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
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
                let kind = self.layout.name();
                if size > 0 {
                    match self.first_cluster(&entry)? {
                        Some(first) => self
                            .check_chain(first, size)
                            .map_err(|e| format!("{kind}: {e}"))?,
                        None => {
                            return Err(format!(
                                "{kind}: its entry gives {size} bytes and no first cluster"
                            ));
                        }
                    }
                }
                self.budget.set(METADATA_BUDGET + size);
                let mut data = Vec::with_capacity(size as usize);
                entry
                    .to_file()
                    .take(size)
                    .read_to_end(&mut data)
                    .map_err(|e| format!("{kind}: {e}"))?;
                if (data.len() as u64) < size {
                    return Err(format!(
                        "{kind}: {} of its {size} bytes could be read (its cluster chain ends early)",
                        data.len()
                    ));
                }
                Ok(data)
            })
        })
    }
}
