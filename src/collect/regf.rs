//! A small, bounded reader of registry hive files (regf 1.3 of Windows NT 4.0 to 1.6 of today):
//! key lookup by path, sub-key and value listing, value data. Nothing else (no deleted cells,
//! no transaction logs): kbdiag reads a few known keys, not a whole hive.
//!
//! Every offset is checked against the file, and all the work done on one hive, every call
//! together, is bounded by one budget that grows with the hive's size: cells visited and value
//! bytes decoded. Keys form a tree: a key listed by a key that is not its parent (as its `nk`
//! names it), listed twice, or the root listed below itself is corrupt. So a corrupt or hostile
//! hive gives a [`HiveError`] naming the offset, never a panic, a loop or a walk that multiplies.
//! Format: Maxim Suhanov's "Windows registry file format specification", the public `regf`
//! documentation of the libyal project and the Windows SDK headers.

use std::cell::Cell;
use std::collections::HashSet;

use thiserror::Error;

use super::bytes::{u16_at, u32_at};
use crate::facts::registry::RegValue;
use crate::facts::values::eq_ignore_case;
pub(crate) use decode::utf16;
use decode::{decode_name, decode_value};

mod decode;

/// Where hive bins start; cell offsets are relative to it.
const BINS: usize = 0x1000;
/// `ri` lists hold other lists; Windows nests them one deep. Deeper is corrupt.
const MAX_LIST_DEPTH: u32 = 4;
/// Data bytes per segment of a big-data (`db`) value; every segment but the last is full.
const DB_SEGMENT: usize = 16_344;
/// Value data larger than this is not read (no value kbdiag reads comes near it).
const MAX_VALUE_DATA: usize = 1 << 20;
/// Steps (a cell visited, eight bytes of a name decoded) one hive may take, all calls together:
/// one per byte of the hive, within these bounds. Reading every key and value of a real hive
/// once takes far fewer (about one per 40 bytes); a hostile one stops within about a second.
const MIN_STEPS: usize = 1 << 16;
const MAX_STEPS: usize = 1 << 24;
/// Value data bytes one hive may have decoded, all calls together: twice its size, within these
/// bounds (each value is stored once; rules read a few).
const MIN_DATA: usize = 4 << 20;
const MAX_DATA: usize = 64 << 20;

/// Why a hive, or a part of it, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HiveError {
    #[error("not a registry hive (no `regf` signature)")]
    NotAHive,
    #[error("registry format {0}.{1} is not one kbdiag reads (1.3 to 1.6)")]
    Version(u32, u32),
    #[error("corrupt hive at offset {offset:#x}: {what}")]
    Corrupt { offset: usize, what: String },
}

fn corrupt(offset: usize, what: impl Into<String>) -> HiveError {
    HiveError::Corrupt {
        offset,
        what: what.into(),
    }
}

/// A hive file held in memory, with the work its readers may still do.
pub struct Hive {
    data: Vec<u8>,
    root: usize,
    /// `major.minor` of the format.
    pub version: (u32, u32),
    steps: Budget,
    bytes: Budget,
}

/// What is left of one of a hive's budgets, and what it was.
struct Budget {
    left: Cell<usize>,
    whole: usize,
}

impl Budget {
    fn new(whole: usize) -> Budget {
        Budget {
            left: Cell::new(whole),
            whole,
        }
    }

    fn spent(&self) -> usize {
        self.whole - self.left.get()
    }
}

/// A key: where its `nk` cell is, and its name.
#[derive(Debug, Clone)]
pub struct Key {
    offset: usize,
    pub name: String,
}

impl Key {
    /// Where the key's `nk` cell is in the file: one key, one offset.
    pub fn offset(&self) -> usize {
        BINS + self.offset
    }
}

impl Hive {
    /// Checks the base block and finds the root key.
    pub fn from_bytes(data: Vec<u8>) -> Result<Hive, HiveError> {
        if data.get(0..4) != Some(b"regf") {
            return Err(HiveError::NotAHive);
        }
        let len = data.len();
        let hive = Hive {
            root: 0,
            version: (0, 0),
            data,
            steps: Budget::new(len.clamp(MIN_STEPS, MAX_STEPS)),
            bytes: Budget::new(len.saturating_mul(2).clamp(MIN_DATA, MAX_DATA)),
        };
        let version = (hive.u32(0x14)?, hive.u32(0x18)?);
        if version.0 != 1 || !(3..=6).contains(&version.1) {
            return Err(HiveError::Version(version.0, version.1));
        }
        let root = hive.u32(0x24)? as usize;
        let hive = Hive {
            root,
            version,
            ..hive
        };
        hive.root()?;
        Ok(hive)
    }

    /// The work done on this hive so far, every call together: steps (cells visited, names
    /// decoded) and value data bytes decoded. Each stays within a budget set by the hive's size.
    pub fn spent(&self) -> (usize, usize) {
        (self.steps.spent(), self.bytes.spent())
    }

    /// The root key.
    pub fn root(&self) -> Result<Key, HiveError> {
        self.key_at(self.root)
    }

    /// The key at `path` (`\`-separated, case-insensitive, relative to the root), if present.
    /// Only `\` separates: `/` is a character of key names (`SCSI#Disk…120/240____00`).
    pub fn key(&self, path: &str) -> Result<Option<Key>, HiveError> {
        let mut key = self.root()?;
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            match self.subkey(&key, part)? {
                Some(k) => key = k,
                None => return Ok(None),
            }
        }
        Ok(Some(key))
    }

    /// The sub-key of `key` named `name` (case-insensitive).
    pub fn subkey(&self, key: &Key, name: &str) -> Result<Option<Key>, HiveError> {
        Ok(self
            .subkeys(key)?
            .into_iter()
            .find(|k| eq_ignore_case(&k.name, name)))
    }

    /// The sub-keys of `key`, in the hive's order. A sub-key whose `nk` names another parent, one
    /// listed twice, and the root are errors: through them a walk would visit keys again and
    /// again (a key listing itself, or many keys sharing one list).
    pub fn subkeys(&self, key: &Key) -> Result<Vec<Key>, HiveError> {
        let nk = self.cell(key.offset)?;
        let count = self.u32(nk + 0x14)? as usize;
        if count == 0 {
            return Ok(Vec::new());
        }
        let list = self.u32(nk + 0x1c)? as usize;
        let mut offsets = Vec::new();
        self.list(list, 0, &mut offsets)?;
        let at = BINS + key.offset;
        let mut seen = HashSet::with_capacity(offsets.len());
        let mut keys = Vec::with_capacity(offsets.len());
        for offset in offsets {
            if offset == key.offset {
                return Err(corrupt(
                    at,
                    format!(
                        "key `{}` lists itself as its sub-key (list at {:#x}): a cycle",
                        key.name,
                        BINS + list
                    ),
                ));
            }
            if offset == self.root {
                return Err(corrupt(
                    at,
                    format!(
                        "key `{}` lists the root key as its sub-key (list at {:#x}): a cycle",
                        key.name,
                        BINS + list
                    ),
                ));
            }
            if !seen.insert(offset) {
                return Err(corrupt(
                    at,
                    format!(
                        "key `{}` lists the key at {:#x} twice (list at {:#x})",
                        key.name,
                        BINS + offset,
                        BINS + list
                    ),
                ));
            }
            let sub = self.key_at(offset)?;
            let parent = self.u32(self.cell(offset)? + 0x10)? as usize;
            if parent != key.offset {
                return Err(corrupt(
                    at,
                    format!(
                        "key `{}` lists `{}` (at {:#x}) as its sub-key, but that key's parent \
                         is at {:#x}: one key listed in two places",
                        key.name,
                        sub.name,
                        BINS + offset,
                        BINS.wrapping_add(parent)
                    ),
                ));
            }
            keys.push(sub);
        }
        Ok(keys)
    }

    /// The values of `key`, each decoded.
    pub fn values(&self, key: &Key) -> Result<Vec<(String, RegValue)>, HiveError> {
        let (cell, count) = self.value_list(key)?;
        (0..count)
            .map(|i| {
                let vk = self.u32(cell + 4 * i)? as usize;
                let name = self.value_name(vk)?;
                let value = self.value_data(key, &name, vk)?;
                Ok((name, value))
            })
            .collect()
    }

    /// The value of `key` named `name` (case-insensitive; `""` is the default value). Names are
    /// compared first: only the value asked for is decoded.
    pub fn value(&self, key: &Key, name: &str) -> Result<Option<RegValue>, HiveError> {
        let (cell, count) = self.value_list(key)?;
        for i in 0..count {
            let vk = self.u32(cell + 4 * i)? as usize;
            let (raw, compressed) = self.value_name_bytes(vk)?;
            // An ASCII name stored as Latin-1, as nearly all are, compares without decoding.
            let same = if compressed && raw.is_ascii() && name.is_ascii() {
                raw.eq_ignore_ascii_case(name.as_bytes())
            } else {
                eq_ignore_case(&decode_name(raw, compressed), name)
            };
            if same {
                let found = decode_name(raw, compressed);
                return self.value_data(key, &found, vk).map(Some);
            }
        }
        Ok(None)
    }

    /// Where `key`'s value list starts, and how many values it holds.
    fn value_list(&self, key: &Key) -> Result<(usize, usize), HiveError> {
        let nk = self.cell(key.offset)?;
        let count = self.u32(nk + 0x24)? as usize;
        if count == 0 {
            return Ok((0, 0));
        }
        let list = self.u32(nk + 0x28)? as usize;
        let cell = self.cell(list)?;
        if count > self.cell_len(list)? / 4 {
            return Err(corrupt(
                BINS + list,
                format!("{count} values do not fit their list"),
            ));
        }
        Ok((cell, count))
    }

    /// Appends the key offsets a sub-key list holds (`lf`, `lh`, `li`, or `ri` of those).
    fn list(&self, offset: usize, depth: u32, out: &mut Vec<usize>) -> Result<(), HiveError> {
        if depth > MAX_LIST_DEPTH {
            return Err(corrupt(BINS + offset, "sub-key lists nested too deep"));
        }
        let cell = self.cell(offset)?;
        let sig = self.bytes(cell, 2)?;
        let count = self.u16(cell + 2)? as usize;
        self.step(1 + count, BINS + offset)?;
        let (stride, nested) = match sig {
            b"lf" | b"lh" => (8, false),
            b"li" => (4, false),
            b"ri" => (4, true),
            _ => return Err(corrupt(BINS + offset, "not a sub-key list")),
        };
        if 4 + count * stride > self.cell_len(offset)? {
            return Err(corrupt(
                BINS + offset,
                format!("{count} sub-keys do not fit their list"),
            ));
        }
        for i in 0..count {
            let child = self.u32(cell + 4 + i * stride)? as usize;
            if nested {
                self.list(child, depth + 1, out)?;
            } else {
                out.push(child);
            }
            if out.len() > self.data.len() / 0x50 {
                return Err(corrupt(
                    BINS + offset,
                    "more sub-keys than the hive can hold",
                ));
            }
        }
        Ok(())
    }

    fn key_at(&self, offset: usize) -> Result<Key, HiveError> {
        let nk = self.cell(offset)?;
        if self.bytes(nk, 2)? != b"nk" {
            return Err(corrupt(BINS + offset, "not a key (`nk`) cell"));
        }
        let flags = self.u16(nk + 2)?;
        let len = self.u16(nk + 0x48)? as usize;
        self.step(1 + len / 8, BINS + offset)?;
        let name = self.bytes(nk + 0x4c, len)?;
        Ok(Key {
            offset,
            name: decode_name(name, flags & 0x20 != 0),
        })
    }

    /// The name of the value whose `vk` cell is at `offset`.
    fn value_name(&self, offset: usize) -> Result<String, HiveError> {
        let (raw, compressed) = self.value_name_bytes(offset)?;
        Ok(decode_name(raw, compressed))
    }

    /// The name of the value whose `vk` cell is at `offset` as stored, and whether it is Latin-1.
    fn value_name_bytes(&self, offset: usize) -> Result<(&[u8], bool), HiveError> {
        let vk = self.cell(offset)?;
        if self.bytes(vk, 2)? != b"vk" {
            return Err(corrupt(BINS + offset, "not a value (`vk`) cell"));
        }
        let len = self.u16(vk + 2)? as usize;
        self.step(1 + len / 8, BINS + offset)?;
        let flags = self.u16(vk + 0x10)?;
        Ok((self.bytes(vk + 0x14, len)?, flags & 1 != 0))
    }

    /// The data of the value `name` of `key`, whose `vk` cell is at `offset`.
    fn value_data(&self, key: &Key, name: &str, offset: usize) -> Result<RegValue, HiveError> {
        let vk = self.cell(offset)?;
        let size = self.u32(vk + 4)?;
        let kind = self.u32(vk + 0xc)?;
        let whose = || format!("value `{name}` of key `{}`", key.name);
        let data = if size & 0x8000_0000 != 0 {
            // Four bytes or fewer live in the offset field itself.
            let len = (size & 0x7fff_ffff) as usize;
            if len > 4 {
                return Err(corrupt(
                    BINS + offset,
                    format!("{} keeps {len} bytes where four fit", whose()),
                ));
            }
            self.bytes(vk + 8, len)?.to_vec()
        } else {
            let data = self.u32(vk + 8)? as usize;
            self.data_at(data, size as usize, &whose)?
        };
        Ok(decode_value(kind, &data))
    }

    /// Value data: one cell, or (format 1.4 on) a `db` list of segments, each full but the last.
    /// Data that ends before its declared size is corrupt, never returned cut short.
    fn data_at(
        &self,
        offset: usize,
        size: usize,
        whose: &dyn Fn() -> String,
    ) -> Result<Vec<u8>, HiveError> {
        if size > MAX_VALUE_DATA {
            return Err(corrupt(
                BINS + offset,
                format!("{} of {size} bytes", whose()),
            ));
        }
        self.spend(size, BINS + offset)?;
        let cell = self.cell(offset)?;
        let len = self.cell_len(offset)?;
        if size <= len {
            return Ok(self.bytes(cell, size)?.to_vec());
        }
        if self.bytes(cell, 2)? != b"db" {
            return Err(corrupt(
                BINS + offset,
                format!("{} of {size} bytes is larger than its cell", whose()),
            ));
        }
        let segments = self.u16(cell + 2)? as usize;
        let list_at = self.u32(cell + 4)? as usize;
        let list = self.cell(list_at)?;
        if segments * 4 > self.cell_len(list_at)? {
            return Err(corrupt(
                BINS + list_at,
                format!("{segments} big-data segments do not fit their list"),
            ));
        }
        self.step(1 + segments, BINS + offset)?;
        let mut out = Vec::with_capacity(size);
        for i in 0..segments {
            let seg = self.u32(list + 4 * i)? as usize;
            let want = (size - out.len()).min(DB_SEGMENT);
            // A segment's cell may be larger than the data it holds (cells round up to 8).
            let take = want.min(self.cell_len(seg)?);
            out.extend_from_slice(self.bytes(self.cell(seg)?, take)?);
            if take < want || out.len() == size {
                break;
            }
        }
        if out.len() < size {
            return Err(corrupt(
                BINS + offset,
                format!(
                    "{} declares {size} bytes; its {segments} big-data {} {}",
                    whose(),
                    if segments == 1 {
                        "segment holds"
                    } else {
                        "segments hold"
                    },
                    out.len()
                ),
            ));
        }
        Ok(out)
    }

    /// Takes `n` steps from the hive's budget; `at` is where the walk is, for the error.
    fn step(&self, n: usize, at: usize) -> Result<(), HiveError> {
        self.take(&self.steps, n, at, "steps")
    }

    /// Takes `n` value data bytes from the hive's budget.
    fn spend(&self, n: usize, at: usize) -> Result<(), HiveError> {
        self.take(&self.bytes, n, at, "bytes of value data")
    }

    fn take(&self, budget: &Budget, n: usize, at: usize, what: &str) -> Result<(), HiveError> {
        match budget.left.get().checked_sub(n) {
            Some(left) => {
                budget.left.set(left);
                Ok(())
            }
            None => {
                budget.left.set(0);
                Err(corrupt(
                    at,
                    format!(
                        "reading it takes more than the {} {what} a hive of {} bytes may \
                         (keys or values listed over and over)",
                        budget.whole,
                        self.data.len()
                    ),
                ))
            }
        }
    }

    /// The start of the cell at `offset` (past its size field), checked to be inside the file.
    fn cell(&self, offset: usize) -> Result<usize, HiveError> {
        self.cell_len(offset)?;
        Ok(BINS + offset + 4)
    }

    /// The usable length of the cell at `offset`.
    fn cell_len(&self, offset: usize) -> Result<usize, HiveError> {
        let at = BINS
            .checked_add(offset)
            .ok_or_else(|| corrupt(offset, "offset out of range"))?;
        let size = self.u32(at)? as i32;
        let len = size.unsigned_abs() as usize;
        if len < 8 || at + len > self.data.len() {
            return Err(corrupt(at, format!("cell of {len} bytes")));
        }
        Ok(len - 4)
    }

    fn bytes(&self, at: usize, len: usize) -> Result<&[u8], HiveError> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| corrupt(at, "past the end of the file"))
    }

    fn u16(&self, at: usize) -> Result<u16, HiveError> {
        u16_at(&self.data, at).ok_or_else(|| corrupt(at, "past the end of the file"))
    }

    fn u32(&self, at: usize) -> Result<u32, HiveError> {
        u32_at(&self.data, at).ok_or_else(|| corrupt(at, "past the end of the file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_hive() {
        assert_eq!(
            Hive::from_bytes(b"MZ\0\0".to_vec()).err(),
            Some(HiveError::NotAHive)
        );
        let mut short = b"regf".to_vec();
        short.resize(0x30, 0);
        assert!(matches!(
            Hive::from_bytes(short),
            Err(HiveError::Version(0, 0))
        ));
    }

    /// A hive whose root key's sub-key list is the `ri` list at 0x100. `lists` are the `ri`
    /// lists to write: (offset, entries), each entry naming another list's offset.
    fn hive_with_lists(lists: &[(usize, Vec<u32>)]) -> Vec<u8> {
        let mut h = vec![0u8; BINS + 0x2000];
        h[..4].copy_from_slice(b"regf");
        h[0x14] = 1;
        h[0x18] = 5;
        h[0x24] = 0x20; // root key cell
        h[BINS..BINS + 4].copy_from_slice(b"hbin");
        let put =
            |h: &mut Vec<u8>, at: usize, v: u32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let nk = BINS + 0x20;
        put(&mut h, nk, (-0x60i32) as u32);
        h[nk + 4..nk + 6].copy_from_slice(b"nk");
        h[nk + 6] = 0x20; // compressed name
        put(&mut h, nk + 4 + 0x14, 1); // one sub-key, it says
        put(&mut h, nk + 4 + 0x1c, 0x100); // its list
        h[nk + 4 + 0x48] = 4;
        h[nk + 4 + 0x4c..nk + 4 + 0x50].copy_from_slice(b"ROOT");
        for (offset, entries) in lists {
            let at = BINS + offset;
            let len = (8 + 4 * entries.len()).next_multiple_of(8);
            put(&mut h, at, (-(len as i32)) as u32);
            h[at + 4..at + 6].copy_from_slice(if entries.is_empty() { b"lf" } else { b"ri" });
            h[at + 6..at + 8].copy_from_slice(&(entries.len() as u16).to_le_bytes());
            for (i, e) in entries.iter().enumerate() {
                put(&mut h, at + 8 + 4 * i, *e);
            }
        }
        h
    }

    #[test]
    fn cycles_in_sub_key_lists_are_errors_not_hangs() {
        // A list naming itself.
        let hive = Hive::from_bytes(hive_with_lists(&[(0x100, vec![0x100, 0x100])])).unwrap();
        let root = hive.root().unwrap();
        assert_eq!(root.name, "ROOT");
        let e = hive.subkeys(&root).unwrap_err();
        assert!(e.to_string().contains("nested too deep"), "{e}");
        // Wide instead of deep: four levels of 200 entries are 1.6 billion lists to visit; the
        // budget (one visit per 8 bytes of hive) stops it.
        let level = |to: u32| vec![to; 200];
        let hive = Hive::from_bytes(hive_with_lists(&[
            (0x100, level(0x500)),
            (0x500, level(0x900)),
            (0x900, level(0xd00)),
            (0xd00, level(0x1100)),
            (0x1100, vec![]),
        ]))
        .unwrap();
        let start = std::time::Instant::now();
        let e = hive.subkeys(&hive.root().unwrap()).unwrap_err();
        assert!(e.to_string().contains("more than the 65536 steps"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert!(hive.key("x").is_err());
    }
}
