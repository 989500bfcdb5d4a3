//! What every container reader gives: a virtual disk of a known size, read at an offset, whose
//! unallocated parts read as zeros; and the reader the file-system crates are handed, which
//! stays within its disk (or partition) and within a budget of bytes per operation.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::rc::Rc;

/// A virtual disk: `size` bytes, read at any offset below it.
pub trait Disk {
    /// The disk's size in bytes, as its container says (checked against the container's file).
    fn size(&self) -> u64;
    /// Fills `buf` from `offset`; the caller keeps `offset + buf.len()` within [`Disk::size`].
    /// Unallocated grains, blocks and clusters read as zeros; a part the container's file does
    /// not hold (a file cut short) is an error.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String>;
}

/// Object-safe `Read + Seek`.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A container's own file (or bytes, for the fuzz target), read at offsets and never past its
/// length, which is measured once.
pub struct Source {
    inner: Box<dyn ReadSeek>,
    len: u64,
    /// Where `inner` is: the next read of a sequential walk needs no seek.
    at: u64,
    /// Blocks read for small reads, each in the slot of its number modulo [`SLOTS`], as
    /// `(number, bytes)`: `fatfs` reads a FAT entry or a directory entry at a time (23,000 reads
    /// of a few bytes for the example's FAT16 disk), in turn from the FAT and the clusters.
    blocks: Vec<(u64, Vec<u8>)>,
}

/// Reads smaller than a block go through [`Source`]'s blocks.
const BLOCK: u64 = 4096;
const SLOTS: usize = 16;

impl Source {
    pub fn new(mut inner: Box<dyn ReadSeek>) -> io::Result<Source> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(Source {
            inner,
            len,
            at: len,
            blocks: Vec::new(),
        })
    }

    pub fn from_bytes(data: Vec<u8>) -> Source {
        let len = data.len() as u64;
        Source {
            inner: Box::new(io::Cursor::new(data)),
            len,
            at: len,
            blocks: Vec::new(),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `buf.len()` bytes at `offset`: an error naming both when the file ends before.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|e| e > self.len) {
            return Err(format!(
                "{} bytes at offset {offset} are past the end of the file ({} bytes): cut short?",
                buf.len(),
                self.len
            ));
        }
        if buf.len() as u64 >= BLOCK {
            return self.read_direct(offset, buf);
        }
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            let number = at / BLOCK;
            let block = self.block(number)?;
            let from = (at - number * BLOCK) as usize;
            let n = (block.len() - from).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&block[from..from + n]);
            done += n;
        }
        Ok(())
    }

    /// Block `number` (the last one may be short), from its slot or read into it.
    fn block(&mut self, number: u64) -> Result<&[u8], String> {
        if self.blocks.is_empty() {
            self.blocks = vec![(u64::MAX, Vec::new()); SLOTS];
        }
        let slot = (number % SLOTS as u64) as usize;
        if self.blocks[slot].0 != number {
            let start = number * BLOCK;
            let mut bytes = std::mem::take(&mut self.blocks[slot].1);
            bytes.resize((BLOCK.min(self.len - start)) as usize, 0);
            self.blocks[slot].0 = u64::MAX;
            self.read_direct(start, &mut bytes)?;
            self.blocks[slot] = (number, bytes);
        }
        Ok(&self.blocks[slot].1)
    }

    fn read_direct(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        if self.at != offset {
            self.inner
                .seek(SeekFrom::Start(offset))
                .map_err(|e| e.to_string())?;
        }
        self.at = u64::MAX;
        self.inner.read_exact(buf).map_err(|e| e.to_string())?;
        self.at = offset + buf.len() as u64;
        Ok(())
    }

    /// A little-endian or big-endian number of `N` bytes at `offset`.
    pub fn bytes<const N: usize>(&mut self, offset: u64) -> Result<[u8; N], String> {
        let mut b = [0u8; N];
        self.read_at(offset, &mut b)?;
        Ok(b)
    }
}

/// Reads `buf` at `offset` of a disk made of blocks of `block` bytes (a VHD's blocks, a VMDK's
/// grains, a VDI's blocks, qcow2's clusters): `each(number, within, part)` fills the part of
/// `buf` that falls in block `number`, from byte `within` of it.
pub fn by_block(
    mut offset: u64,
    mut buf: &mut [u8],
    block: u64,
    mut each: impl FnMut(u64, u64, &mut [u8]) -> Result<(), String>,
) -> Result<(), String> {
    while !buf.is_empty() {
        let number = offset / block;
        let within = offset % block;
        let n = ((block - within) as usize).min(buf.len());
        let (part, rest) = buf.split_at_mut(n);
        each(number, within, part)?;
        offset += n as u64;
        buf = rest;
    }
    Ok(())
}

/// The whole of a source as a disk (a raw image; a VHD's fixed data; a VMDK's flat extent):
/// `size` bytes from `start`.
pub struct Flat {
    pub source: Source,
    pub start: u64,
    pub size: u64,
}

impl Disk for Flat {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        self.source.read_at(self.start + offset, buf)
    }
}

/// Reads a whole disk's bytes `[offset, offset + buf.len())` checking the disk's bounds.
pub fn read_checked(disk: &mut dyn Disk, offset: u64, buf: &mut [u8]) -> Result<(), String> {
    let end = offset.checked_add(buf.len() as u64);
    if end.is_none_or(|e| e > disk.size()) {
        return Err(format!(
            "{} bytes at offset {offset} are past the end of the disk ({} bytes)",
            buf.len(),
            disk.size()
        ));
    }
    disk.read_at(offset, buf)
}

/// Bytes left to read in the current operation: the file-system readers are crates whose walks
/// (a looping cluster chain, an index node naming itself) may not end; every byte they read
/// costs, and past the budget each read fails, so the walk ends with an error.
#[derive(Debug, Clone, Default)]
pub struct Budget(Rc<Cell<u64>>);

impl Budget {
    pub fn set(&self, bytes: u64) {
        self.0.set(bytes);
    }
    fn spend(&self, bytes: u64) -> bool {
        let left = self.0.get();
        // Each read costs at least a sector: a walk of 4-byte FAT entries is bounded too.
        let cost = bytes.max(512);
        self.0.set(left.saturating_sub(cost));
        left >= cost
    }
}

/// Where a window's next read starts, once asked for. `fatfs` keeps a file's first cluster to
/// itself, and its first read of a file is of that cluster: the FAT reader learns it so, to walk
/// the file's cluster chain itself before `fatfs` reads it.
#[derive(Debug, Clone, Default)]
pub struct Watch(Rc<(Cell<bool>, Cell<Option<u64>>)>);

impl Watch {
    /// Notes the start of the next read, and only of that one.
    pub fn arm(&self) {
        self.0.0.set(true);
        self.0.1.set(None);
    }
    /// The start of the read noted since [`Watch::arm`], if there was one.
    pub fn take(&self) -> Option<u64> {
        self.0.0.set(false);
        self.0.1.take()
    }
    fn saw(&self, pos: u64) {
        if self.0.0.replace(false) {
            self.0.1.set(Some(pos));
        }
    }
}

/// A window of a shared disk (a partition) as `Read + Seek` for the file-system crates; writing
/// is refused (the image is never written: `fatfs` tries to clear a dirty flag when dropped).
pub struct Window {
    pub disk: Rc<std::cell::RefCell<Box<dyn Disk>>>,
    pub start: u64,
    pub len: u64,
    pub pos: u64,
    pub budget: Budget,
    pub watch: Watch,
}

impl Window {
    /// Another reader of the same window, from its start, spending the same budget.
    pub fn sibling(&self) -> Window {
        Window {
            disk: self.disk.clone(),
            start: self.start,
            len: self.len,
            pos: 0,
            budget: self.budget.clone(),
            watch: Watch::default(),
        }
    }
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            self.watch.saw(self.pos);
        }
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(self.len - self.pos) as usize;
        if !self.budget.spend(n as u64) {
            return Err(io::Error::other(
                "read more than the operation may (a loop in the file system's structures?)",
            ));
        }
        let mut disk = self.disk.borrow_mut();
        disk.read_at(self.start + self.pos, &mut buf[..n])
            .map_err(io::Error::other)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Window {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match pos {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::other("seek before the start of the volume")),
        }
    }
}

impl Write for Window {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "kbdiag never writes to an image",
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}
pub fn u64le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}
pub fn u32be(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap_or_default())
}
pub fn u64be(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_refuses_reads_past_its_end() {
        let mut s = Source::from_bytes(vec![1, 2, 3, 4]);
        let mut b = [0u8; 2];
        assert!(s.read_at(2, &mut b).is_ok());
        assert_eq!(b, [3, 4]);
        assert!(s.read_at(3, &mut b).is_err());
        assert!(s.read_at(u64::MAX, &mut b).is_err());
    }

    /// Small reads through the blocks give the file's bytes wherever they fall: across a
    /// block's end, in the short last block, in slots shared by blocks far apart.
    #[test]
    fn small_reads_through_the_blocks_give_the_file_s_bytes() {
        let data: Vec<u8> = (0..(BLOCK * 40 + 100))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut s = Source::from_bytes(data.clone());
        for &(at, n) in &[
            (0u64, 10usize),
            (BLOCK - 3, 8),
            (BLOCK * 17 + 5, 100),
            (BLOCK + 1, 2),
            (BLOCK * 40 + 90, 10),
            (BLOCK * 33 - 1, 4095),
            (5, BLOCK as usize),
        ] {
            let mut b = vec![0u8; n];
            s.read_at(at, &mut b).unwrap();
            assert_eq!(b, &data[at as usize..at as usize + n], "{at} {n}");
        }
        let mut b = [0u8; 11];
        assert!(s.read_at(BLOCK * 40 + 90, &mut b).is_err());
    }

    #[test]
    fn a_window_stops_reading_past_its_budget() {
        let disk: Box<dyn Disk> = Box::new(Flat {
            source: Source::from_bytes(vec![0; 4096]),
            start: 0,
            size: 4096,
        });
        let budget = Budget::default();
        budget.set(1024);
        let mut w = Window {
            disk: Rc::new(std::cell::RefCell::new(disk)),
            start: 0,
            len: 4096,
            pos: 0,
            budget,
            watch: Watch::default(),
        };
        let mut b = [0u8; 512];
        assert!(w.read(&mut b).is_ok());
        assert!(w.read(&mut b).is_ok());
        assert!(w.read(&mut b).is_err());
        assert!(w.write(&b).is_err());
    }
}
