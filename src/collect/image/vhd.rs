//! Virtual PC / Hyper-V VHD: fixed (the disk's bytes, then a 512-byte footer) and dynamic (a
//! block allocation table; an unallocated block reads as zeros). Differencing disks need their
//! parent and are refused. Written here: the crates found (`vhd` 0.1) are a few weeks old, by one
//! author, and this is 100 lines under the same bounds as the other containers.

use super::disk::{Disk, Flat, Source, by_block, u32be, u64be};

/// Blocks a dynamic VHD may have (4 bytes each in the table; 2 MiB blocks make 8 TiB).
const MAX_BLOCKS: u32 = 1 << 22;

pub fn open(mut source: Source) -> Result<Box<dyn Disk>, String> {
    let len = source.len();
    // The footer is at the end; a dynamic disk keeps a copy at the start, which is read when
    // the end is cut off.
    let footer_at = len.checked_sub(512).ok_or("shorter than a VHD footer")?;
    let tail: [u8; 512] = source.bytes(footer_at)?;
    let footer = if &tail[..8] == b"conectix" {
        tail
    } else {
        let head: [u8; 512] = source.bytes(0)?;
        if &head[..8] != b"conectix" {
            return Err("no VHD footer (conectix) at the end or start".into());
        }
        head
    };
    let data_offset = u64be(&footer, 16);
    let size = u64be(&footer, 48);
    match u32be(&footer, 60) {
        2 => {
            if size > footer_at {
                return Err(format!(
                    "a fixed VHD of {size} bytes in a file of {len} bytes: cut short"
                ));
            }
            Ok(Box::new(Flat {
                source,
                start: 0,
                size,
            }))
        }
        3 => Dynamic::open(source, data_offset, size).map(|d| Box::new(d) as Box<dyn Disk>),
        4 => Err("a differencing VHD: its parent disk is needed, and not read".into()),
        t => Err(format!("VHD disk type {t} is not fixed (2) or dynamic (3)")),
    }
}

struct Dynamic {
    source: Source,
    size: u64,
    block_size: u64,
    /// Each block's sector in the file, `u32::MAX` when not allocated.
    table: Vec<u32>,
    /// Bytes of a block's sector bitmap, before its data.
    bitmap: u64,
}

impl Dynamic {
    fn open(mut source: Source, header_at: u64, size: u64) -> Result<Dynamic, String> {
        let h: [u8; 1024] = source
            .bytes(header_at)
            .map_err(|e| format!("dynamic disk header: {e}"))?;
        if &h[..8] != b"cxsparse" {
            return Err(format!(
                "no dynamic disk header (cxsparse) at offset {header_at}"
            ));
        }
        let table_at = u64be(&h, 16);
        let entries = u32be(&h, 28);
        let block_size = u64::from(u32be(&h, 32));
        if !block_size.is_power_of_two() || !(512..=1 << 28).contains(&block_size) {
            return Err(format!(
                "block size {block_size} is not a power of two of 512 bytes to 256 MiB"
            ));
        }
        if entries > MAX_BLOCKS || u64::from(entries) * block_size < size {
            return Err(format!(
                "{entries} blocks of {block_size} bytes do not hold the disk's {size} bytes"
            ));
        }
        let mut raw = vec![0u8; entries as usize * 4];
        source
            .read_at(table_at, &mut raw)
            .map_err(|e| format!("block allocation table: {e}"))?;
        let table = raw.chunks_exact(4).map(|c| u32be(c, 0)).collect();
        let bitmap = (block_size / 512 / 8).div_ceil(512) * 512;
        Ok(Dynamic {
            source,
            size,
            block_size,
            table,
            bitmap,
        })
    }
}

impl Disk for Dynamic {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        by_block(
            offset,
            buf,
            self.block_size,
            |block, within, part| match self.table.get(block as usize) {
                Some(&sector) if sector != u32::MAX => {
                    let at = u64::from(sector) * 512 + self.bitmap + within;
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
