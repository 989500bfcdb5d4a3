//! QEMU qcow2 (versions 2 and 3): L1 and L2 tables map guest clusters to the file; an
//! unallocated or zero cluster reads as zeros. Backing files, encryption, compressed clusters,
//! external data files and extended L2 entries are refused, each by name. Written here: the
//! `qcow2` crate (0.1) has not changed since 2017.

use std::collections::HashMap;

use super::disk::{Disk, Source, by_block, u32be, u64be};

pub const MAGIC: &[u8; 4] = b"QFI\xfb";
const OFFSET_MASK: u64 = 0x00FF_FFFF_FFFF_FE00;
/// L2 tables kept in memory (each one cluster).
const CACHED: usize = 32;

struct Qcow2 {
    source: Source,
    size: u64,
    cluster_bits: u32,
    l1: Vec<u64>,
    l2: HashMap<u64, Vec<u64>>,
}

pub fn open(mut source: Source) -> Result<Box<dyn Disk>, String> {
    let h: [u8; 112] = source.bytes(0).map_err(|e| format!("header: {e}"))?;
    if &h[..4] != MAGIC {
        return Err("no qcow2 magic".into());
    }
    let version = u32be(&h, 4);
    if version != 2 && version != 3 {
        return Err(format!("qcow2 version {version} (2 and 3 are read)"));
    }
    if u64be(&h, 8) != 0 {
        return Err("a qcow2 with a backing file: that file is needed, and not read".into());
    }
    let cluster_bits = u32be(&h, 20);
    if !(9..=21).contains(&cluster_bits) {
        return Err(format!("cluster bits {cluster_bits} (9 to 21 are valid)"));
    }
    let size = u64be(&h, 24);
    if u32be(&h, 32) != 0 {
        return Err("an encrypted qcow2: not read".into());
    }
    if version == 3 {
        let incompatible = u64be(&h, 72);
        // Bit 0 dirty and bit 1 corrupt still read; 2 external data, 4 extended L2 do not.
        if incompatible & !0b1011 != 0 {
            return Err(format!(
                "qcow2 incompatible features {incompatible:#x} (an external data file or extended L2 entries): not read"
            ));
        }
    }
    let l1_size = u64::from(u32be(&h, 36));
    let l1_at = u64be(&h, 40);
    let per_l2 = 1u64 << (cluster_bits - 3);
    let needed = size.div_ceil(per_l2 << cluster_bits);
    if l1_size < needed {
        return Err(format!(
            "an L1 table of {l1_size} entries does not map the disk's {size} bytes"
        ));
    }
    if l1_size * 8 > source.len() {
        return Err(format!(
            "an L1 table of {l1_size} entries is larger than the file"
        ));
    }
    let mut raw = vec![0u8; needed as usize * 8];
    source
        .read_at(l1_at, &mut raw)
        .map_err(|e| format!("L1 table: {e}"))?;
    let l1 = raw.chunks_exact(8).map(|c| u64be(c, 0)).collect();
    Ok(Box::new(Qcow2 {
        source,
        size,
        cluster_bits,
        l1,
        l2: HashMap::new(),
    }))
}

impl Qcow2 {
    /// The file offset of guest cluster `cluster`, `None` when it reads as zeros.
    fn locate(&mut self, cluster: u64) -> Result<Option<u64>, String> {
        let per_l2 = 1u64 << (self.cluster_bits - 3);
        let (l1_index, l2_index) = (cluster / per_l2, cluster % per_l2);
        let l2_at = self.l1.get(l1_index as usize).copied().unwrap_or(0) & OFFSET_MASK;
        if l2_at == 0 {
            return Ok(None);
        }
        if !self.l2.contains_key(&l2_at) {
            let mut raw = vec![0u8; 1 << self.cluster_bits];
            self.source
                .read_at(l2_at, &mut raw)
                .map_err(|e| format!("L2 table at {l2_at}: {e}"))?;
            if self.l2.len() >= CACHED {
                self.l2.clear();
            }
            let table = raw.chunks_exact(8).map(|c| u64be(c, 0)).collect();
            self.l2.insert(l2_at, table);
        }
        let entry = self.l2[&l2_at][l2_index as usize];
        if entry & (1 << 62) != 0 {
            return Err(format!(
                "cluster {cluster} is compressed (qemu-img convert -c): not read"
            ));
        }
        let at = entry & OFFSET_MASK;
        // Bit 0: the cluster reads as zeros (version 3).
        if entry & 1 != 0 || at == 0 {
            return Ok(None);
        }
        Ok(Some(at))
    }
}

impl Disk for Qcow2 {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let cluster_size = 1u64 << self.cluster_bits;
        by_block(
            offset,
            buf,
            cluster_size,
            |cluster, within, part| match self.locate(cluster)? {
                Some(at) => (self.source.read_at(at + within, part))
                    .map_err(|e| format!("cluster {cluster}: {e}")),
                None => {
                    part.fill(0);
                    Ok(())
                }
            },
        )
    }
}
