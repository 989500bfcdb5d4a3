//! The version resource of a PE file (DLL, EXE): the numeric file and product versions and the
//! `StringFileInfo` strings. `FileVersion` strings often carry an annotation such as
//! `5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)`; the numeric version is what rules compare.
//!
//! A small reader of its own, in safe code: fuzzing found that `pelite` makes a misaligned
//! reference (undefined behaviour) for PE headers at an offset Windows accepts. Every offset is
//! checked against the file; every walk is bounded by the data it walks. Format: the PE/COFF
//! specification and the `VS_VERSIONINFO` documentation of the Windows SDK.

use std::collections::BTreeMap;

use super::bytes::{u16_at, u32_at};

/// What a version resource says. A file without one is `Ok(None)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// The fixed file version, `major.minor.build.revision`.
    pub file_version: Option<String>,
    pub product_version: Option<String>,
    /// The strings of the first string table (language), by name.
    pub strings: BTreeMap<String, String>,
}

const RT_VERSION: u32 = 16;
/// Windows loads at most this many sections.
const MAX_SECTIONS: usize = 96;
/// Entries looked at per resource directory.
const MAX_ENTRIES: usize = 4096;

/// Reads the version resource of the PE image in `bytes`; an error names what is broken.
pub fn version_info(bytes: &[u8]) -> Result<Option<VersionInfo>, String> {
    let pe = Pe::parse(bytes)?;
    let Some(resources) = pe.resources()? else {
        return Ok(None);
    };
    let Some(data) = resources.version()? else {
        return Ok(None);
    };
    parse_version(data).map(Some)
}

struct Pe<'a> {
    bytes: &'a [u8],
    /// (virtual address, virtual size, raw offset, raw size) of each section.
    sections: Vec<(u32, u32, u32, u32)>,
    /// The resource directory's RVA and size.
    resource_dir: (u32, u32),
}

impl<'a> Pe<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Pe<'a>, String> {
        if bytes.get(..2) != Some(b"MZ") {
            return Err("not a PE file (no MZ header)".into());
        }
        let pe = u32_at(bytes, 0x3c).ok_or("truncated DOS header")? as usize;
        if bytes.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
            return Err(format!("no PE signature at offset {pe:#x}"));
        }
        let coff = pe + 4;
        let sections = u16_at(bytes, coff + 2).ok_or("truncated COFF header")? as usize;
        let optional_size = u16_at(bytes, coff + 16).ok_or("truncated COFF header")? as usize;
        let optional = coff + 20;
        let (count_at, dirs) = match u16_at(bytes, optional) {
            Some(0x10b) => (optional + 92, optional + 96),
            Some(0x20b) => (optional + 108, optional + 112),
            Some(m) => return Err(format!("unknown optional header magic {m:#x}")),
            None => return Err("truncated optional header".into()),
        };
        let count = u32_at(bytes, count_at).ok_or("truncated optional header")?;
        let resource_dir = if count > 2 && dirs + 24 <= optional + optional_size {
            (
                u32_at(bytes, dirs + 16).ok_or("truncated data directories")?,
                u32_at(bytes, dirs + 20).ok_or("truncated data directories")?,
            )
        } else {
            (0, 0)
        };
        if sections > MAX_SECTIONS {
            return Err(format!("{sections} sections (Windows loads at most 96)"));
        }
        let table = optional + optional_size;
        let sections = (0..sections)
            .map(|i| {
                let s = table + 40 * i;
                Some((
                    u32_at(bytes, s + 12)?,
                    u32_at(bytes, s + 8)?,
                    u32_at(bytes, s + 20)?,
                    u32_at(bytes, s + 16)?,
                ))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or("truncated section table")?;
        Ok(Pe {
            bytes,
            sections,
            resource_dir,
        })
    }

    /// The file offset of `rva`, and how many bytes of its section follow it in the file.
    fn offset(&self, rva: u32) -> Option<(usize, usize)> {
        self.sections.iter().find_map(|&(va, vsize, raw, rsize)| {
            let size = vsize.max(rsize);
            if rva < va || rva - va >= size {
                return None;
            }
            let into = rva - va;
            if into >= rsize {
                return None;
            }
            let at = raw as usize + into as usize;
            let left = (rsize - into) as usize;
            (at < self.bytes.len()).then(|| (at, left.min(self.bytes.len() - at)))
        })
    }

    fn resources(&self) -> Result<Option<Resources<'_, 'a>>, String> {
        let (rva, size) = self.resource_dir;
        if rva == 0 || size == 0 {
            return Ok(None);
        }
        let (at, left) = self
            .offset(rva)
            .ok_or_else(|| format!("resource directory at RVA {rva:#x} is outside the file"))?;
        Ok(Some(Resources {
            pe: self,
            base: at,
            data: &self.bytes[at..at + left],
        }))
    }
}

struct Resources<'p, 'a> {
    pe: &'p Pe<'a>,
    /// The resource section's offset in the file.
    base: usize,
    /// The resource section from its directory on.
    data: &'a [u8],
}

impl<'a> Resources<'_, 'a> {
    /// The bytes of the first `RT_VERSION` resource, if any.
    fn version(&self) -> Result<Option<&'a [u8]>, String> {
        let Some(names) = self.entry(0, Some(RT_VERSION))? else {
            return Ok(None);
        };
        let dir = subdirectory(names).ok_or("RT_VERSION is not a directory")?;
        let Some(language) = self.entry(dir, None)? else {
            return Ok(None);
        };
        let dir = subdirectory(language).ok_or("a version resource name is not a directory")?;
        let Some(leaf) = self.entry(dir, None)? else {
            return Ok(None);
        };
        if subdirectory(leaf).is_some() {
            return Err("a version resource nested deeper than its language".into());
        }
        let entry = leaf as usize;
        let rva = u32_at(self.data, entry).ok_or("resource data entry outside the section")?;
        let size = u32_at(self.data, entry + 4).ok_or("resource data entry outside the section")?;
        let (at, left) = self.pe.offset(rva).ok_or_else(|| {
            format!(
                "version resource at RVA {rva:#x} is outside the file (resources at {:#x})",
                self.base
            )
        })?;
        if size as usize > left {
            return Err(format!(
                "version resource of {size} bytes runs past its section"
            ));
        }
        Ok(Some(&self.pe.bytes[at..at + size as usize]))
    }

    /// The offset field of the entry of the directory at `dir` with id `id` (or its first
    /// entry): a subdirectory when its high bit is set.
    fn entry(&self, dir: usize, id: Option<u32>) -> Result<Option<u32>, String> {
        let broken = || {
            format!(
                "resource directory at offset {:#x} is truncated",
                self.base + dir
            )
        };
        let named = u16_at(self.data, dir + 12).ok_or_else(broken)? as usize;
        let ids = u16_at(self.data, dir + 14).ok_or_else(broken)? as usize;
        for i in 0..(named + ids).min(MAX_ENTRIES) {
            let e = dir + 16 + 8 * i;
            let name = u32_at(self.data, e).ok_or_else(broken)?;
            let offset = u32_at(self.data, e + 4).ok_or_else(broken)?;
            if id.is_none_or(|id| name == id) {
                return Ok(Some(offset));
            }
        }
        Ok(None)
    }
}

/// The offset of the subdirectory an entry names, if it names one.
fn subdirectory(offset: u32) -> Option<usize> {
    (offset & 0x8000_0000 != 0).then_some((offset & 0x7fff_ffff) as usize)
}

/// One block of a version resource: key, value bytes, children bytes.
struct Block<'a> {
    key: String,
    /// 1 for text, 0 for binary.
    text: bool,
    value: &'a [u8],
    children: &'a [u8],
}

/// The block at the start of `data` and the rest after it (blocks are 4-byte aligned).
fn block(data: &[u8]) -> Result<(Block<'_>, &[u8]), String> {
    let length = u16_at(data, 0).ok_or("truncated version block")? as usize;
    if length < 6 || length > data.len() {
        return Err(format!("version block of {length} bytes in {}", data.len()));
    }
    let this = &data[..length];
    let value_length = u16_at(this, 2).unwrap_or(0) as usize;
    let text = u16_at(this, 4) == Some(1);
    let key_end = (6..this.len().saturating_sub(1))
        .step_by(2)
        .find(|&i| this[i] == 0 && this[i + 1] == 0)
        .ok_or("version block key without its end")?;
    let key = super::regf::utf16(&this[6..key_end]);
    let value_at = (key_end + 2).next_multiple_of(4).min(this.len());
    let value_bytes = if text { value_length * 2 } else { value_length };
    let value_end = (value_at + value_bytes).min(this.len());
    let value = &this[value_at..value_end];
    let children = &this[value_end.next_multiple_of(4).min(this.len())..];
    let rest = &data[length.next_multiple_of(4).min(data.len())..];
    Ok((
        Block {
            key,
            text,
            value,
            children,
        },
        rest,
    ))
}

/// Every block in `data`, in order.
fn blocks(mut data: &[u8]) -> Result<Vec<Block<'_>>, String> {
    let mut out = Vec::new();
    // Each block takes at least 6 bytes, so this ends.
    while data.len() >= 6 {
        let (b, rest) = block(data)?;
        out.push(b);
        data = rest;
    }
    Ok(out)
}

fn parse_version(data: &[u8]) -> Result<VersionInfo, String> {
    let (root, _) = block(data)?;
    if root.key != "VS_VERSION_INFO" {
        return Err(format!("version resource keyed {:?}", root.key));
    }
    let mut out = VersionInfo::default();
    if root.value.len() >= 24 && u32_at(root.value, 0) == Some(0xFEEF_04BD) {
        let version =
            |ms: u32, ls: u32| format!("{}.{}.{}.{}", ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff);
        let v = |at| u32_at(root.value, at).unwrap_or(0);
        out.file_version = Some(version(v(8), v(12)));
        out.product_version = Some(version(v(16), v(20)));
    }
    for child in blocks(root.children)? {
        if child.key != "StringFileInfo" {
            continue;
        }
        let Some(table) = blocks(child.children)?.into_iter().next() else {
            continue;
        };
        for s in blocks(table.children)? {
            // Compilers disagree on whether the length counts characters or bytes: read to the
            // first NUL within the block.
            let value = if s.text || !s.value.is_empty() {
                super::regf::utf16(s.value)
            } else {
                String::new()
            };
            out.strings.insert(s.key, value);
        }
        break;
    }
    Ok(out)
}
