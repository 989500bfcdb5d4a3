//! A small, bounded reader of registry hive files (regf 1.3 of Windows NT 4.0 to 1.6 of today):
//! key lookup by path, sub-key and value listing, value data. Nothing else (no deleted cells,
//! no transaction logs): kbdiag reads a few known keys, not a whole hive.
//!
//! Every offset is checked against the file, and every list walk is bounded (sub-key lists by
//! their 16-bit counts and a fixed nesting depth, values by the cell holding them), so a corrupt
//! or hostile hive gives a [`HiveError`] naming the offset, never a panic or a loop.
//! Format: the public `regf` documentation of the libyal project and the Windows SDK headers.

use thiserror::Error;

use super::bytes::{u16_at, u32_at};
use crate::facts::registry::{RegData, RegType, RegValue};

/// Where hive bins start; cell offsets are relative to it.
const BINS: usize = 0x1000;
/// `ri` lists hold other lists; Windows nests them one deep. Deeper is corrupt.
const MAX_LIST_DEPTH: u32 = 4;
/// Data bytes per segment of a big-data (`db`) value.
const DB_SEGMENT: usize = 16_344;
/// Value data larger than this is not read (no value kbdiag reads comes near it).
const MAX_VALUE_DATA: usize = 1 << 20;

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

/// A hive file held in memory.
pub struct Hive {
    data: Vec<u8>,
    root: usize,
    /// `major.minor` of the format.
    pub version: (u32, u32),
}

/// A key: where its `nk` cell is, and its name.
#[derive(Debug, Clone)]
pub struct Key {
    offset: usize,
    pub name: String,
}

impl Hive {
    /// Checks the base block and finds the root key.
    pub fn from_bytes(data: Vec<u8>) -> Result<Hive, HiveError> {
        if data.get(0..4) != Some(b"regf") {
            return Err(HiveError::NotAHive);
        }
        let hive = Hive {
            root: 0,
            version: (0, 0),
            data,
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

    /// The root key.
    pub fn root(&self) -> Result<Key, HiveError> {
        self.key_at(self.root)
    }

    /// The key at `path` (`\`-separated, case-insensitive, relative to the root), if present.
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
            .find(|k| crate::facts::values::eq_ignore_case(&k.name, name)))
    }

    /// The sub-keys of `key`, in the hive's order.
    pub fn subkeys(&self, key: &Key) -> Result<Vec<Key>, HiveError> {
        let nk = self.cell(key.offset)?;
        let count = self.u32(nk + 0x14)? as usize;
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut offsets = Vec::new();
        // Each list cell takes at least 8 bytes: more visits than that means a cycle.
        let mut visits = self.data.len() / 8;
        self.list(self.u32(nk + 0x1c)? as usize, 0, &mut visits, &mut offsets)?;
        offsets
            .into_iter()
            .map(|offset| self.key_at(offset))
            .collect()
    }

    /// The values of `key`.
    pub fn values(&self, key: &Key) -> Result<Vec<(String, RegValue)>, HiveError> {
        let nk = self.cell(key.offset)?;
        let count = self.u32(nk + 0x24)? as usize;
        if count == 0 {
            return Ok(Vec::new());
        }
        let list = self.u32(nk + 0x28)? as usize;
        let cell = self.cell(list)?;
        if count > self.cell_len(list)? / 4 {
            return Err(corrupt(
                BINS + list,
                format!("{count} values do not fit their list"),
            ));
        }
        (0..count)
            .map(|i| self.value_at(self.u32(cell + 4 * i)? as usize))
            .collect()
    }

    /// The value of `key` named `name` (case-insensitive; `""` is the default value).
    pub fn value(&self, key: &Key, name: &str) -> Result<Option<RegValue>, HiveError> {
        Ok(self
            .values(key)?
            .into_iter()
            .find(|(n, _)| crate::facts::values::eq_ignore_case(n, name))
            .map(|(_, v)| v))
    }

    /// Appends the key offsets a sub-key list holds (`lf`, `lh`, `li`, or `ri` of those).
    fn list(
        &self,
        offset: usize,
        depth: u32,
        visits: &mut usize,
        out: &mut Vec<usize>,
    ) -> Result<(), HiveError> {
        if depth > MAX_LIST_DEPTH {
            return Err(corrupt(BINS + offset, "sub-key lists nested too deep"));
        }
        *visits = visits.checked_sub(1).ok_or_else(|| {
            corrupt(
                BINS + offset,
                "sub-key lists form a cycle (more lists than the hive can hold)",
            )
        })?;
        let cell = self.cell(offset)?;
        let sig = self.bytes(cell, 2)?;
        let count = self.u16(cell + 2)? as usize;
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
                self.list(child, depth + 1, visits, out)?;
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
        let name = self.bytes(nk + 0x4c, len)?;
        Ok(Key {
            offset,
            name: decode_name(name, flags & 0x20 != 0),
        })
    }

    fn value_at(&self, offset: usize) -> Result<(String, RegValue), HiveError> {
        let vk = self.cell(offset)?;
        if self.bytes(vk, 2)? != b"vk" {
            return Err(corrupt(BINS + offset, "not a value (`vk`) cell"));
        }
        let name_len = self.u16(vk + 2)? as usize;
        let size = self.u32(vk + 4)?;
        let data_offset = self.u32(vk + 8)?;
        let kind = self.u32(vk + 0xc)?;
        let flags = self.u16(vk + 0x10)?;
        let name = decode_name(self.bytes(vk + 0x14, name_len)?, flags & 1 != 0);
        let data = if size & 0x8000_0000 != 0 {
            // Four bytes or fewer live in the offset field itself.
            let len = (size & 0x7fff_ffff) as usize;
            self.bytes(vk + 8, len.min(4))?.to_vec()
        } else {
            self.data_at(data_offset as usize, size as usize)?
        };
        Ok((name, decode_value(kind, &data)))
    }

    /// Value data: one cell, or (format 1.4 on) a `db` list of segments.
    fn data_at(&self, offset: usize, size: usize) -> Result<Vec<u8>, HiveError> {
        if size > MAX_VALUE_DATA {
            return Err(corrupt(BINS + offset, format!("value of {size} bytes")));
        }
        let cell = self.cell(offset)?;
        let len = self.cell_len(offset)?;
        if size <= len {
            return Ok(self.bytes(cell, size)?.to_vec());
        }
        if self.bytes(cell, 2)? != b"db" {
            return Err(corrupt(BINS + offset, "value data larger than its cell"));
        }
        let segments = self.u16(cell + 2)? as usize;
        let list = self.cell(self.u32(cell + 4)? as usize)?;
        let mut out = Vec::with_capacity(size);
        for i in 0..segments {
            let seg = self.u32(list + 4 * i)? as usize;
            // A segment's cell may be larger than the data it holds (cells round up to 8).
            let take = (size - out.len()).min(self.cell_len(seg)?).min(DB_SEGMENT);
            out.extend_from_slice(self.bytes(self.cell(seg)?, take)?);
            if out.len() == size {
                break;
            }
        }
        Ok(out)
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

/// Key and value names: Latin-1 when flagged compressed, UTF-16LE otherwise.
fn decode_name(bytes: &[u8], compressed: bool) -> String {
    if compressed {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        utf16(bytes)
    }
}

/// UTF-16LE text up to its first NUL; unpaired surrogates become U+FFFD.
pub(crate) fn utf16(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A value's data in the fact format's terms. Types kbdiag has no form for are kept as
/// REG_BINARY hex, so nothing is lost.
fn decode_value(kind: u32, data: &[u8]) -> RegValue {
    let le = |n: usize| {
        let mut b = [0u8; 8];
        b[..n.min(data.len())].copy_from_slice(&data[..n.min(data.len())]);
        u64::from_le_bytes(b)
    };
    let (kind, value) = match kind {
        1 => (RegType::Sz, RegData::Text(utf16(data))),
        2 => (RegType::ExpandSz, RegData::Text(utf16(data))),
        7 => (RegType::MultiSz, RegData::List(multi_sz(data))),
        4 if data.len() >= 4 => (RegType::Dword, RegData::Int(le(4) as i64)),
        11 if data.len() >= 8 => (RegType::Qword, RegData::Int(le(8) as i64)),
        _ => (RegType::Binary, RegData::Text(hex(data))),
    };
    RegValue { kind, value }
}

fn multi_sz(data: &[u8]) -> Vec<String> {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut out: Vec<String> = units
        .split(|&u| u == 0)
        .map(|s| {
            char::decode_utf16(s.iter().copied())
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        })
        .collect();
    while out.last().is_some_and(|s: &String| s.is_empty()) {
        out.pop();
    }
    out
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
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
        assert!(e.to_string().contains("cycle"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert!(hive.key("x").is_err());
    }

    #[test]
    fn multi_sz_drops_the_terminators_only() {
        let data: Vec<u8> = "Terminal Server\0\0"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(multi_sz(&data), vec!["Terminal Server".to_owned()]);
    }
}
