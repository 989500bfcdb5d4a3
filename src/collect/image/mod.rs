//! Disk images: `kbdiag collect disk.vmdk` reads a Windows system straight from a virtual
//! machine's disk, without mounting it. Three layers, each bounded by the one below: the
//! container (`raw`, VHD `vhd.rs`, VMDK `vmdk.rs`, VDI `vdi.rs`, qcow2 `qcow2.rs`) gives a
//! [`Disk`] of the size it declares, checked against its file, with unallocated grains read as
//! zeros; the partition table (`partition.rs`: MBR with logical partitions, GPT) gives the
//! partitions that lie on that disk; the file system (`ntfs.rs`, `fat.rs`) gives a [`Tree`] of
//! folders and files, which [`Volume`] reads as it reads a folder. Only the sectors the facts need
//! are read: a container's tables, a partition's boot sector, the MFT records and clusters of the
//! folders and files looked at. Nothing is ever written.

mod disk;
mod fat;
mod ntfs;
mod partition;
mod qcow2;
mod vdi;
mod vhd;
mod vmdk;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub use disk::{Disk, Source};
pub use partition::Partition;

use super::volume::Volume;
use disk::{Budget, Flat, Watch, Window};

/// A folder's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub dir: bool,
}

/// A file's modified time, in seconds from 1970: UTC (NTFS), or the volume's local time with its
/// zone unknown to the volume (FAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTime {
    Utc(i64),
    Local(i64),
}

/// A volume's file tree, as a file system inside an image holds it. Paths are the parts below
/// the volume's root, each matched ignoring case.
pub trait Tree {
    /// The entries of the folder at `dir`, at most [`super::volume::MAX_ENTRIES`] + 1.
    fn list(&self, dir: &[String]) -> Result<Vec<Entry>, String>;
    /// The file's modified time, when it has one.
    fn modified(&self, path: &[String]) -> Result<Option<FileTime>, String>;
    /// The file's data: at most [`super::MAX_ARTIFACT`] bytes, and all of its size.
    fn read(&self, path: &[String]) -> Result<Vec<u8>, String>;
}

/// A container format, told by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Raw,
    Vhd,
    VmdkSparse,
    VmdkDescriptor,
    Vdi,
    Qcow2,
}

impl Container {
    pub fn name(self) -> &'static str {
        match self {
            Container::Raw => "raw disk",
            Container::Vhd => "VHD",
            Container::VmdkSparse => "VMDK (sparse)",
            Container::VmdkDescriptor => "VMDK (descriptor)",
            Container::Vdi => "VDI",
            Container::Qcow2 => "qcow2",
        }
    }
}

/// The container of a file by its first and last sectors; `Raw` only for a disk whose first
/// sector is a partition table or a file system's boot sector. `None`: not a disk image.
pub fn detect(source: &mut Source) -> Option<Container> {
    let mut head = [0u8; 512];
    let n = source.len().min(512) as usize;
    source.read_at(0, &mut head[..n]).ok()?;
    if &head[..4] == vmdk::MAGIC {
        return Some(Container::VmdkSparse);
    }
    if &head[..4] == qcow2::MAGIC {
        return Some(Container::Qcow2);
    }
    if disk::u32le(&head, 0x40) == vdi::SIGNATURE {
        return Some(Container::Vdi);
    }
    if head.starts_with(b"# Disk DescriptorFile") {
        return Some(Container::VmdkDescriptor);
    }
    if &head[..8] == b"conectix" {
        return Some(Container::Vhd);
    }
    if let Some(at) = source.len().checked_sub(512)
        && let Ok(tail) = source.bytes::<8>(at)
        && &tail == b"conectix"
    {
        return Some(Container::Vhd);
    }
    let gpt = source.len() >= 1024 && source.bytes::<8>(512).is_ok_and(|s| &s == b"EFI PART");
    if n == 512 && (head[510..512] == [0x55, 0xAA] || gpt) {
        return Some(Container::Raw);
    }
    None
}

/// The disk a container holds. `dir` is where a descriptor's extent files are (none for bytes
/// alone, as in the fuzz target).
pub fn open_disk(
    source: Source,
    kind: Container,
    dir: Option<&Path>,
) -> Result<Box<dyn Disk>, String> {
    match kind {
        Container::Raw => {
            let size = source.len();
            Ok(Box::new(Flat {
                source,
                start: 0,
                size,
            }) as Box<dyn Disk>)
        }
        Container::Vhd => vhd::open(source),
        Container::VmdkSparse => vmdk::open_sparse(source),
        Container::VmdkDescriptor => vmdk::open_descriptor(source, dir),
        Container::Vdi => vdi::open(source),
        Container::Qcow2 => qcow2::open(source),
    }
    .and_then(|mut d| {
        // Its first sector must be there: a container cut before its data is not a disk.
        let mut s = [0u8; 512];
        if d.size() >= 512 {
            disk::read_checked(&mut *d, 0, &mut s).map_err(|e| format!("sector 0: {e}"))?;
        }
        Ok(d)
    })
}

/// The partitions of a disk, and a located error for each entry that is not one. Not
/// [`guarded`]: kbdiag's own code, fuzzed (`fuzz/fuzz_targets/image.rs`), where a panic must
/// reach the fuzzer; [`open`] guards it for the user.
pub fn partitions(disk: &mut dyn Disk) -> Result<(Vec<Partition>, Vec<String>), String> {
    partition::partitions(disk)
}

/// One Windows installation in an image.
#[derive(Debug, Clone)]
pub struct Installation {
    /// `disk.vmdk: partition 2: WINNT`.
    pub name: String,
    /// Its partition's volume, whose root is named `disk.vmdk: partition 2`.
    pub volume: Volume,
    /// Its Windows folder on that volume.
    pub windows: PathBuf,
}

/// What an image holds: its installations, and the located errors of what could not be read
/// (a partition past the disk's end, a file system that does not open).
#[derive(Debug, Default)]
pub struct Opened {
    pub installations: Vec<Installation>,
    pub errors: Vec<String>,
    /// What was looked at, for the error when no installation is found.
    pub looked: Vec<String>,
}

/// Whether the file at `path` is a disk image (by its content).
pub fn is_image(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    Source::new(Box::new(file)).is_ok_and(|mut s| detect(&mut s).is_some())
}

/// The Windows installations of the image at `path`; `force` reads a file no magic names as a
/// raw disk. An error when the image itself cannot be read.
pub fn open(path: &Path, force: bool) -> Result<Opened, String> {
    let shown = path.display().to_string();
    let at = |e: String| format!("{shown}: {e}");
    let file = std::fs::File::open(path).map_err(|e| at(e.to_string()))?;
    let mut source = Source::new(Box::new(file)).map_err(|e| at(e.to_string()))?;
    let kind = match detect(&mut source) {
        Some(k) => k,
        None if force => Container::Raw,
        None => {
            return Err(at(
                "not a disk image kbdiag reads (raw with an MBR or GPT, VHD, VMDK, VDI, qcow2)"
                    .into(),
            ));
        }
    };
    let dir = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    let mut disk = open_disk(source, kind, dir).map_err(|e| at(format!("{}: {e}", kind.name())))?;
    let (parts, errors) = guarded(|| partitions(&mut *disk)).map_err(at)?;
    let mut opened = Opened {
        errors: errors.into_iter().map(at).collect(),
        ..Opened::default()
    };
    let disk = Rc::new(RefCell::new(disk));
    for part in parts {
        let name = if part.number == 0 {
            shown.clone()
        } else {
            format!("{shown}: partition {}", part.number)
        };
        let window = Window {
            disk: disk.clone(),
            start: part.start,
            len: part.len,
            pos: 0,
            budget: Budget::default(),
            watch: Watch::default(),
        };
        let tree: Rc<dyn Tree> = match file_system(window) {
            Ok(Some(t)) => t,
            Ok(None) => {
                opened.looked.push(format!("{name}: neither NTFS nor FAT"));
                continue;
            }
            Err(e) => {
                opened.errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        let volume = Volume::image(PathBuf::from(&name), tree);
        let (found, errors) = volume.installations();
        opened.errors.extend(errors);
        if found.is_empty() {
            opened.looked.push(format!(
                "{name}: no folder holding system32\\config\\SOFTWARE"
            ));
        }
        for windows in found {
            let folder = windows
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            opened.installations.push(Installation {
                name: if folder.is_empty() {
                    name.clone()
                } else {
                    format!("{name}: {folder}")
                },
                volume: volume.clone(),
                windows,
            });
        }
    }
    Ok(opened)
}

/// The file system of a partition by its boot sector: NTFS, FAT, or neither (`None`).
fn file_system(mut window: Window) -> Result<Option<Rc<dyn Tree>>, String> {
    use std::io::Read as _;
    let mut boot = [0u8; 512];
    window.budget.set(512);
    if window.len < 512 {
        return Ok(None);
    }
    window
        .read_exact(&mut boot)
        .map_err(|e| format!("boot sector: {e}"))?;
    window.pos = 0;
    if &boot[3..11] == b"NTFS    " {
        return ntfs::NtfsTree::open(window).map(|t| Some(Rc::new(t) as Rc<dyn Tree>));
    }
    let fat = &boot[54..57] == b"FAT" || &boot[82..87] == b"FAT32";
    if fat && boot[510..512] == [0x55, 0xAA] {
        return fat::FatTree::open(window).map(|t| Some(Rc::new(t) as Rc<dyn Tree>));
    }
    Ok(None)
}

/// Runs a file-system reader, its panic turned into one located error. The readers' loops are
/// bounded by the read budget, and a FAT file's chain is checked before `fatfs` follows it: this
/// is for what is left, the crates' own assertions and slicing on damaged data. While it runs,
/// a panic on this thread prints nothing (the default hook would write Rust's panic message on
/// standard error); its message and place are kept for the error. Panics on other threads, and
/// outside this call, are reported as before.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    quiet_hook();
    let was = QUIET.with(|q| q.replace(Some(String::new())));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let place = QUIET.with(|q| q.replace(was)).unwrap_or_default();
    match result {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let at = if place.is_empty() {
                String::new()
            } else {
                format!(", at {place}")
            };
            Err(format!("the reader failed on damaged data ({why}{at})"))
        }
    }
}

thread_local! {
    /// Inside [`guarded`]: where a panic happened (empty until one does). `None` outside.
    static QUIET: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs, once, a panic hook that is silent on a thread inside [`guarded`] and otherwise
/// hands the panic to the hook that was there before (the default one, or a fuzzer's).
fn quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = QUIET.with(|q| {
                let mut q = q.borrow_mut();
                match q.as_mut() {
                    Some(place) => {
                        if let Some(l) = info.location() {
                            *place = format!("{}:{}", l.file(), l.line());
                        }
                        true
                    }
                    None => false,
                }
            });
            if !quiet {
                before(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_guarded_panic_is_one_error_with_its_place() {
        let r: Result<(), String> = guarded(|| panic!("index out of range"));
        let e = r.unwrap_err();
        assert!(e.starts_with("the reader failed on damaged data (index out of range, at "));
        assert!(e.contains("image/mod.rs:"), "{e}");
        // Nested, and afterwards: the outer call's state is back.
        let r: Result<u8, String> = guarded(|| guarded(|| Ok(7)));
        assert_eq!(r, Ok(7));
        super::QUIET.with(|q| assert!(q.borrow().is_none()));
    }
}
