//! VirtualBox VDI, dynamic or fixed: a block map after the header; an unallocated (or
//! discarded) block reads as zeros. Written here: no Rust crate reads VDI.

use super::disk::{Disk, Source, by_block, u32le, u64le};

pub const SIGNATURE: u32 = 0xBEDA_107F;
/// Blocks in the map (4 bytes each; 1 MiB blocks make 16 TiB).
const MAX_BLOCKS: u32 = 1 << 24;

struct Vdi {
    source: Source,
    size: u64,
    block_size: u64,
    /// Bytes before a block's data (`block_extra`), and the stride of blocks in the file.
    extra: u64,
    data_at: u64,
    map: Vec<u32>,
}

pub fn open(mut source: Source) -> Result<Box<dyn Disk>, String> {
    let h: [u8; 0x190] = source.bytes(0).map_err(|e| format!("header: {e}"))?;
    if u32le(&h, 0x40) != SIGNATURE {
        return Err("no VDI signature".into());
    }
    let version = u32le(&h, 0x44);
    if version >> 16 != 1 {
        return Err(format!("VDI version {:#x} (only 1.x is read)", version));
    }
    let kind = u32le(&h, 0x4C);
    if kind == 4 || kind == 3 {
        return Err("a differencing or undo VDI: its parent disk is needed, and not read".into());
    }
    let map_at = u64::from(u32le(&h, 0x154));
    let data_at = u64::from(u32le(&h, 0x158));
    let size = u64le(&h, 0x170);
    let block_size = u64::from(u32le(&h, 0x178));
    let extra = u64::from(u32le(&h, 0x17C));
    let blocks = u32le(&h, 0x180);
    if !block_size.is_power_of_two() || !(512..=1 << 28).contains(&block_size) || extra > 1 << 20 {
        return Err(format!(
            "block size {block_size} (extra {extra}) is not a power of two of 512 bytes to 256 MiB"
        ));
    }
    if blocks > MAX_BLOCKS || u64::from(blocks) * block_size < size {
        return Err(format!(
            "{blocks} blocks of {block_size} bytes do not hold the disk's {size} bytes"
        ));
    }
    let mut raw = vec![0u8; blocks as usize * 4];
    source
        .read_at(map_at, &mut raw)
        .map_err(|e| format!("block map: {e}"))?;
    let map = raw.chunks_exact(4).map(|c| u32le(c, 0)).collect();
    Ok(Box::new(Vdi {
        source,
        size,
        block_size,
        extra,
        data_at,
        map,
    }))
}

impl Disk for Vdi {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        by_block(
            offset,
            buf,
            self.block_size,
            |block, within, part| match self.map.get(block as usize) {
                Some(&b) if b < 0xFFFF_FFFE => {
                    let at = self.data_at
                        + u64::from(b) * (self.block_size + self.extra)
                        + self.extra
                        + within;
                    (self.source.read_at(at, part)).map_err(|e| format!("block {block}: {e}"))
                }
                _ => {
                    part.fill(0);
                    Ok(())
                }
            },
        )
    }
}
