//! The partition table of a disk: MBR with its extended partition's chain of logical partitions
//! (numbered from 5, as Linux numbers them), or GPT (behind a protective MBR); a disk whose first
//! sector is a file system's boot sector is one volume. Every partition is checked against the
//! disk's size: one past the end is a located error, and the others are still read. Written
//! here: `mbrman` and `gpt` read a table into their own structures for editing, and check less
//! than this needs (a chain of logical partitions that loops; entries past the disk's end).

use super::disk::{Disk, read_checked, u32le, u64le};

/// Logical partitions followed in an extended partition's chain.
const MAX_LOGICAL: usize = 128;
/// GPT entries read (the usual table holds 128).
const MAX_GPT_ENTRIES: u32 = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// 1 to 4 primary, 5 on logical (MBR); the entry's number (GPT); 0 for a disk without a
    /// table.
    pub number: u32,
    /// Bytes.
    pub start: u64,
    pub len: u64,
}

/// The partitions of `disk`, and a located error for each entry that cannot be one.
pub fn partitions(disk: &mut dyn Disk) -> Result<(Vec<Partition>, Vec<String>), String> {
    let mut sector0 = [0u8; 512];
    read_checked(disk, 0, &mut sector0).map_err(|e| format!("sector 0: {e}"))?;
    let size = disk.size();
    if is_boot_sector(&sector0) {
        return Ok((
            vec![Partition {
                number: 0,
                start: 0,
                len: size,
            }],
            Vec::new(),
        ));
    }
    if sector0[510..512] != [0x55, 0xAA] {
        return Err("no partition table (no MBR signature 55 AA in sector 0) and no file system's boot sector".into());
    }
    let entries: Vec<(u8, u64, u64)> = (0..4)
        .map(|i| {
            let e = &sector0[446 + 16 * i..462 + 16 * i];
            (e[4], u64::from(u32le(e, 8)), u64::from(u32le(e, 12)))
        })
        .collect();
    if entries.iter().any(|e| e.0 == 0xEE) {
        return gpt(disk);
    }
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (i, &(kind, start, sectors)) in entries.iter().enumerate() {
        let number = i as u32 + 1;
        if kind == 0 || sectors == 0 {
            continue;
        }
        if matches!(kind, 0x05 | 0x0F | 0x85) {
            logical(disk, start, &mut found, &mut errors);
            continue;
        }
        match checked(number, start, sectors, size) {
            Ok(p) => found.push(p),
            Err(e) => errors.push(e),
        }
    }
    Ok((found, errors))
}

/// A partition of `sectors` from sector `start`, when the disk holds all of it.
fn checked(number: u32, start: u64, sectors: u64, size: u64) -> Result<Partition, String> {
    let end = start.checked_add(sectors).and_then(|e| e.checked_mul(512));
    match end {
        Some(end) if end <= size && start > 0 => Ok(Partition {
            number,
            start: start * 512,
            len: sectors * 512,
        }),
        _ if start == 0 => Err(format!(
            "partition {number}: starts at sector 0, the partition table's own: not read"
        )),
        _ => Err(format!(
            "partition {number}: sectors {start} to {} end past the disk's end ({} sectors): \
             not read",
            start.saturating_add(sectors.saturating_sub(1)),
            size / 512
        )),
    }
}

/// The logical partitions of the extended partition at sector `base`: each extended boot record
/// holds one, and the next record's place relative to `base`.
fn logical(disk: &mut dyn Disk, base: u64, found: &mut Vec<Partition>, errors: &mut Vec<String>) {
    let size = disk.size();
    let mut at = base;
    let mut seen = Vec::new();
    for n in 0..MAX_LOGICAL {
        let number = 5 + n as u32;
        if seen.contains(&at) {
            errors.push(format!(
                "partition {number}: the chain of logical partitions loops back to sector {at}"
            ));
            return;
        }
        seen.push(at);
        let mut ebr = [0u8; 512];
        let read = at
            .checked_mul(512)
            .ok_or_else(|| "past the disk's end".to_owned())
            .and_then(|o| read_checked(disk, o, &mut ebr));
        if let Err(e) = read {
            errors.push(format!(
                "partition {number}: extended boot record at sector {at}: {e}"
            ));
            return;
        }
        if ebr[510..512] != [0x55, 0xAA] {
            errors.push(format!(
                "partition {number}: no extended boot record (55 AA) at sector {at}"
            ));
            return;
        }
        let (kind, start, sectors) = (
            ebr[450],
            u64::from(u32le(&ebr, 454)),
            u64::from(u32le(&ebr, 458)),
        );
        if kind != 0 && sectors != 0 {
            match checked(number, at.saturating_add(start), sectors, size) {
                Ok(p) => found.push(p),
                Err(e) => errors.push(e),
            }
        }
        let next = u64::from(u32le(&ebr, 470));
        if ebr[466] == 0 || next == 0 {
            return;
        }
        at = base.saturating_add(next);
    }
    errors.push(format!(
        "more than {MAX_LOGICAL} logical partitions: the rest are not read"
    ));
}

/// The partitions of a GPT disk, read from the primary header at sector 1 (its checksums
/// checked), else from the backup at the disk's last sector.
fn gpt(disk: &mut dyn Disk) -> Result<(Vec<Partition>, Vec<String>), String> {
    let size = disk.size();
    let last = (size / 512)
        .checked_sub(1)
        .ok_or("a disk smaller than a sector")?;
    let primary = gpt_at(disk, 1);
    let (entries, mut errors) = match primary {
        Ok(e) => (e, Vec::new()),
        Err(first) => match gpt_at(disk, last) {
            Ok(e) => (
                e,
                vec![format!(
                    "GPT header at sector 1: {first}; the backup was read"
                )],
            ),
            Err(backup) => {
                return Err(format!(
                    "GPT header at sector 1: {first}; backup at sector {last}: {backup}"
                ));
            }
        },
    };
    let mut found = Vec::new();
    for (i, first, end) in entries {
        let sectors = end.checked_sub(first).map(|n| n + 1);
        match sectors.ok_or_else(|| format!("partition {i}: ends before it starts")) {
            Ok(s) => match checked(i, first, s, size) {
                Ok(p) => found.push(p),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    Ok((found, errors))
}

/// The used entries (number, first sector, last sector) of the GPT whose header is at `lba`.
fn gpt_at(disk: &mut dyn Disk, lba: u64) -> Result<Vec<(u32, u64, u64)>, String> {
    let mut h = [0u8; 512];
    read_checked(disk, lba * 512, &mut h)?;
    if &h[..8] != b"EFI PART" {
        return Err("no EFI PART signature".into());
    }
    let header_size = u32le(&h, 12) as usize;
    if !(92..=512).contains(&header_size) {
        return Err(format!("a header of {header_size} bytes"));
    }
    let mut copy = h;
    copy[16..20].fill(0);
    if crc32(&copy[..header_size]) != u32le(&h, 16) {
        return Err("the header's checksum does not match".into());
    }
    let table = u64le(&h, 72);
    let count = u32le(&h, 80);
    let entry_size = u32le(&h, 84) as usize;
    if count > MAX_GPT_ENTRIES || !(128..=4096).contains(&entry_size) || entry_size % 8 != 0 {
        return Err(format!("{count} entries of {entry_size} bytes"));
    }
    let mut raw = vec![0u8; count as usize * entry_size];
    let at = table
        .checked_mul(512)
        .ok_or("the entries are past the disk's end")?;
    read_checked(disk, at, &mut raw).map_err(|e| format!("partition entries: {e}"))?;
    if crc32(&raw) != u32le(&h, 88) {
        return Err("the partition entries' checksum does not match".into());
    }
    Ok(raw
        .chunks_exact(entry_size)
        .enumerate()
        .filter(|(_, e)| e[..16].iter().any(|&b| b != 0))
        .map(|(i, e)| (i as u32 + 1, u64le(e, 32), u64le(e, 40)))
        .collect())
}

/// Whether a sector is a file system's boot sector (NTFS, FAT) rather than a partition table.
pub fn is_boot_sector(s: &[u8; 512]) -> bool {
    let jump = s[0] == 0xEB || s[0] == 0xE9;
    jump && (&s[3..11] == b"NTFS    "
        || &s[54..59] == b"FAT12"
        || &s[54..59] == b"FAT16"
        || &s[82..87] == b"FAT32")
}

/// CRC-32 (IEEE), as GPT uses it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::image::disk::{Flat, Source};

    fn disk(data: Vec<u8>) -> Flat {
        let size = data.len() as u64;
        Flat {
            source: Source::from_bytes(data),
            start: 0,
            size,
        }
    }

    fn entry(d: &mut [u8], at: usize, kind: u8, start: u32, sectors: u32) {
        d[at + 4] = kind;
        d[at + 8..at + 12].copy_from_slice(&start.to_le_bytes());
        d[at + 12..at + 16].copy_from_slice(&sectors.to_le_bytes());
    }

    #[test]
    fn crc32_is_ieee() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn logical_partitions_follow_their_chain_and_a_loop_is_an_error() {
        let mut d = vec![0u8; 512 * 64];
        d[510] = 0x55;
        d[511] = 0xAA;
        entry(&mut d, 446, 0x07, 1, 8);
        entry(&mut d, 462, 0x05, 16, 48);
        // EBR at 16: logical at 16+1, 4 sectors; next EBR at 16+8.
        let ebr = 16 * 512;
        d[ebr + 510] = 0x55;
        d[ebr + 511] = 0xAA;
        entry(&mut d, ebr + 446, 0x07, 1, 4);
        entry(&mut d, ebr + 462, 0x05, 8, 8);
        let ebr2 = 24 * 512;
        d[ebr2 + 510] = 0x55;
        d[ebr2 + 511] = 0xAA;
        entry(&mut d, ebr2 + 446, 0x06, 1, 100);
        // Loops back to the first EBR.
        entry(&mut d, ebr2 + 462, 0x05, 0, 8);
        let (parts, errors) = partitions(&mut disk(d)).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[1],
            Partition {
                number: 5,
                start: 17 * 512,
                len: 4 * 512
            }
        );
        assert!(
            errors[0].starts_with("partition 6: sectors 25 to 124 end past the disk's end"),
            "{errors:?}"
        );
        // The entry pointing at sector 16 + 0 ends the chain (next offset 0).
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn a_partition_past_the_end_is_located() {
        let mut d = vec![0u8; 512 * 8];
        d[510] = 0x55;
        d[511] = 0xAA;
        entry(&mut d, 446 + 16, 0x07, 2, u32::MAX);
        let (parts, errors) = partitions(&mut disk(d)).unwrap();
        assert!(parts.is_empty());
        assert!(
            errors[0].starts_with("partition 2: sectors 2 to"),
            "{errors:?}"
        );
    }
}
