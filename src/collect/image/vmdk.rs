//! VMware VMDK: a monolithic sparse extent (`KDMV` header, grain directory and tables; an
//! unallocated grain reads as zeros), or a text descriptor naming its extents (`monolithicFlat`'s
//! `-flat.vmdk`, `twoGbMaxExtent*`, `ZERO`), each a file in the descriptor's folder. Snapshots
//! (a parent) and compressed grains (`streamOptimized`) are refused by name. Written here: the
//! `vmdk` crate (0.2) is a few weeks old, by one author, and reads far more than this needs.

use std::collections::HashMap;
use std::path::Path;

use super::disk::{Disk, Flat, Source, by_block, u32le, u64le};

pub const MAGIC: &[u8; 4] = b"KDMV";
/// Grain tables kept in memory.
const CACHED: usize = 32;
/// Largest descriptor read, and most extents in it.
const MAX_DESCRIPTOR: u64 = 64 * 1024;
const MAX_EXTENTS: usize = 1024;
/// 2^40 sectors: 512 TiB.
const MAX_SECTORS: u64 = 1 << 40;

struct Sparse {
    source: Source,
    size: u64,
    grain: u64,
    per_table: u64,
    directory: Vec<u32>,
    tables: HashMap<u32, Vec<u32>>,
}

/// A sparse extent (a whole monolithic sparse disk).
pub fn open_sparse(mut source: Source) -> Result<Box<dyn Disk>, String> {
    let h: [u8; 512] = source.bytes(0).map_err(|e| format!("header: {e}"))?;
    if &h[..4] != MAGIC {
        return Err("no sparse extent magic (KDMV)".into());
    }
    let flags = u32le(&h, 8);
    let capacity = u64le(&h, 12);
    let grain = u64le(&h, 20);
    let per_table = u64::from(u32le(&h, 44));
    let gd_at = u64le(&h, 56);
    if flags & (1 << 16) != 0 || gd_at == u64::MAX {
        return Err("compressed grains (a streamOptimized VMDK): not read".into());
    }
    if capacity > MAX_SECTORS {
        return Err(format!("a capacity of {capacity} sectors"));
    }
    if !grain.is_power_of_two() || !(1..=1 << 16).contains(&grain) {
        return Err(format!(
            "a grain of {grain} sectors (a power of two is expected)"
        ));
    }
    if !(1..=1 << 16).contains(&per_table) {
        return Err(format!("{per_table} entries per grain table"));
    }
    let entries = capacity.div_ceil(grain * per_table);
    if entries * 4 > source.len() {
        return Err(format!(
            "a grain directory of {entries} entries is larger than the file"
        ));
    }
    let mut raw = vec![0u8; entries as usize * 4];
    source
        .read_at(gd_at.saturating_mul(512), &mut raw)
        .map_err(|e| format!("grain directory: {e}"))?;
    let directory = raw.chunks_exact(4).map(|c| u32le(c, 0)).collect();
    Ok(Box::new(Sparse {
        source,
        size: capacity * 512,
        grain: grain * 512,
        per_table,
        directory,
        tables: HashMap::new(),
    }))
}

impl Sparse {
    /// The file offset of grain `g`, `None` when it reads as zeros.
    fn locate(&mut self, g: u64) -> Result<Option<u64>, String> {
        let table_sector = self
            .directory
            .get((g / self.per_table) as usize)
            .copied()
            .unwrap_or(0);
        if table_sector <= 1 {
            return Ok(None);
        }
        if !self.tables.contains_key(&table_sector) {
            let mut raw = vec![0u8; self.per_table as usize * 4];
            self.source
                .read_at(u64::from(table_sector) * 512, &mut raw)
                .map_err(|e| format!("grain table at sector {table_sector}: {e}"))?;
            if self.tables.len() >= CACHED {
                self.tables.clear();
            }
            let t = raw.chunks_exact(4).map(|c| u32le(c, 0)).collect();
            self.tables.insert(table_sector, t);
        }
        let sector = self.tables[&table_sector][(g % self.per_table) as usize];
        // 0: never written; 1: a zeroed grain.
        Ok((sector > 1).then_some(u64::from(sector) * 512))
    }
}

impl Disk for Sparse {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let grain = self.grain;
        by_block(offset, buf, grain, |g, within, part| {
            match self.locate(g)? {
                Some(at) => self.source.read_at(at + within, part).map_err(|e| {
                    let disk = g * grain;
                    format!("grain {g} (disk offset {disk}, file offset {at}): {e}")
                }),
                None => {
                    part.fill(0);
                    Ok(())
                }
            }
        })
    }
}

/// An extent's start on the disk, its length and its reader (`None`: zeros).
type Extent = (u64, u64, Option<Box<dyn Disk>>);

/// A disk made of extents one after another.
struct Extents {
    size: u64,
    parts: Vec<Extent>,
}

impl Disk for Extents {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> Result<(), String> {
        while !buf.is_empty() {
            let i = self
                .parts
                .partition_point(|(start, len, _)| start + len <= offset);
            let Some((start, len, disk)) = self.parts.get_mut(i) else {
                return Err(format!("offset {offset} is in no extent"));
            };
            let within = offset - *start;
            let n = ((*len - within) as usize).min(buf.len());
            let (part, rest) = buf.split_at_mut(n);
            match disk {
                Some(d) => d
                    .read_at(within, part)
                    .map_err(|e| format!("extent {}: {e}", i + 1))?,
                None => part.fill(0),
            }
            offset += n as u64;
            buf = rest;
        }
        Ok(())
    }
}

/// A text descriptor (`# Disk DescriptorFile`); its extents are files in `dir` (by name alone:
/// a path leading elsewhere is refused). Without `dir` (the fuzz target) no extent file opens.
pub fn open_descriptor(mut source: Source, dir: Option<&Path>) -> Result<Box<dyn Disk>, String> {
    if source.len() > MAX_DESCRIPTOR {
        return Err(format!(
            "a descriptor of {} bytes (at most {MAX_DESCRIPTOR} are read)",
            source.len()
        ));
    }
    let mut raw = vec![0u8; source.len() as usize];
    source.read_at(0, &mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let mut parts = Vec::new();
    let mut size = 0u64;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let at = |e: String| format!("descriptor line {}: {e}", n + 1);
        if let Some(cid) = line.strip_prefix("parentCID") {
            let cid = cid.trim_start_matches([' ', '=']).trim();
            if !cid.eq_ignore_ascii_case("ffffffff") {
                return Err(at(
                    "a snapshot (parentCID): its parent disk is needed, and not read".into(),
                ));
            }
            continue;
        }
        let mut words = line.split_whitespace();
        let access = words.next().unwrap_or("");
        if !matches!(access, "RW" | "RDONLY" | "NOACCESS") {
            continue;
        }
        if parts.len() == MAX_EXTENTS {
            return Err(at(format!("more than {MAX_EXTENTS} extents")));
        }
        let sectors: u64 = words
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|s| *s <= MAX_SECTORS)
            .ok_or_else(|| at("no extent size in sectors".into()))?;
        let kind = words.next().unwrap_or("");
        let rest: String = words.collect::<Vec<_>>().join(" ");
        let (name, after) = match rest.strip_prefix('"').and_then(|r| r.split_once('"')) {
            Some((name, after)) => (Some(name.to_owned()), after.trim().to_owned()),
            None => (None, String::new()),
        };
        let len = sectors * 512;
        let disk: Option<Box<dyn Disk>> = match kind {
            "ZERO" => None,
            "FLAT" | "VMFS" | "SPARSE" | "VMFSSPARSE" => {
                let name = name.ok_or_else(|| at(format!("a {kind} extent without a file")))?;
                let file = extent_file(dir, &name).map_err(at)?;
                let source = Source::new(Box::new(file)).map_err(|e| at(format!("{name}: {e}")))?;
                if kind.ends_with("SPARSE") {
                    let d = open_sparse(source).map_err(|e| at(format!("{name}: {e}")))?;
                    if d.size() < len {
                        return Err(at(format!("{name} holds less than its {sectors} sectors")));
                    }
                    Some(d)
                } else {
                    let start = after
                        .split_whitespace()
                        .next()
                        .map_or(Some(0), |s| s.parse::<u64>().ok())
                        .filter(|s| *s <= MAX_SECTORS)
                        .ok_or_else(|| at("the extent's offset is not a number".into()))?
                        * 512;
                    if start + len > source.len() {
                        return Err(at(format!(
                            "{name} ({} bytes) is shorter than its extent ({sectors} sectors from sector {}): cut short",
                            source.len(),
                            start / 512
                        )));
                    }
                    Some(Box::new(Flat {
                        source,
                        start,
                        size: len,
                    }))
                }
            }
            other => return Err(at(format!("extent type {other} is not read"))),
        };
        parts.push((size, len, disk));
        size += len;
    }
    if parts.is_empty() {
        return Err("the descriptor names no extent".into());
    }
    Ok(Box::new(Extents { size, parts }))
}

fn extent_file(dir: Option<&Path>, name: &str) -> Result<std::fs::File, String> {
    let Some(dir) = dir else {
        return Err(format!("{name}: extent files are not opened here"));
    };
    if name.contains(['/', '\\']) || name == ".." || name.is_empty() {
        return Err(format!(
            "{name}: an extent outside the descriptor's folder is not opened"
        ));
    }
    std::fs::File::open(dir.join(name)).map_err(|e| format!("{name}: {e}"))
}
