//! The layout of an `.evtx` file as bytes, checked before the `evtx` crate reads any BinXML: the
//! file header, the 64 KiB chunks after it (which may be cut short or damaged), their checksums,
//! and whether a record is whole. Format: Microsoft's MS-EVEN6 and the libyal project's EVTX
//! documentation.

use super::super::bytes::{u16_at, u32_at};

pub(super) const FILE_HEADER: usize = 4096;
pub(super) const CHUNK: usize = 65536;
pub(super) const CHUNK_HEADER: usize = 512;
const RECORD_HEADER: usize = 24;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0, 0];
/// Chunk flag: no CRC32 is kept.
const NO_CRC32: u32 = 4;

/// A stored CRC32 and the one computed over the bytes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Crc {
    pub stored: u32,
    pub computed: u32,
}

impl Crc {
    fn of(stored: u32, covered: &[u8]) -> Crc {
        Crc {
            stored,
            computed: evtx::checksum_ieee(covered),
        }
    }

    pub fn holds(self) -> bool {
        self.stored == self.computed
    }
}

/// What the chunk slots of a file look like, before their records are read.
#[derive(Debug)]
pub(super) struct Slot<'a> {
    /// The chunk's number in the file (0 first).
    pub number: usize,
    /// Its offset in the file.
    pub offset: usize,
    /// Its bytes as far as the file goes: fewer than [`CHUNK`] when the file ends inside it.
    pub bytes: &'a [u8],
    pub state: State,
}

/// A chunk slot's header, as far as it can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    /// All zeros: a chunk not written yet.
    Empty,
    /// The file ends before the chunk's header does.
    HeaderCut,
    /// No `ElfChnk` signature.
    NoSignature,
    Chunk(Header),
}

/// The fields of a chunk header that say what its records should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub first_id: u64,
    pub last_id: u64,
    pub free_space: usize,
    /// The header's own checksum (bytes 0..120 and 128..512); `None` when the chunk keeps none.
    pub header_crc: Option<Crc>,
    /// The records' checksum (512 to the free space); `None` when the chunk keeps none or the
    /// records it covers are not all in the file.
    pub records_crc: Option<Crc>,
}

impl Header {
    fn read(bytes: &[u8]) -> Header {
        let u64_at = |at: usize| {
            let lo = u32_at(bytes, at).unwrap_or(0);
            let hi = u32_at(bytes, at + 4).unwrap_or(0);
            u64::from(lo) | (u64::from(hi) << 32)
        };
        let u32_at = |at: usize| u32_at(bytes, at).unwrap_or(0);
        let free_space = u32_at(48) as usize;
        let checked = u32_at(120) & NO_CRC32 == 0;
        let header_crc = checked.then(|| {
            Crc::of(
                u32_at(124),
                &[&bytes[..120], &bytes[128..CHUNK_HEADER]].concat(),
            )
        });
        let records = (CHUNK_HEADER..=bytes.len())
            .contains(&free_space)
            .then(|| &bytes[CHUNK_HEADER..free_space]);
        let records_crc = records
            .filter(|_| checked)
            .map(|records| Crc::of(u32_at(52), records));
        Header {
            first_id: u64_at(24),
            last_id: u64_at(32),
            free_space,
            header_crc,
            records_crc,
        }
    }

    /// How many records the header says the chunk holds, when its header can be trusted.
    pub fn announced(&self) -> Option<u64> {
        let trusted = self.header_crc.is_none_or(Crc::holds);
        // A chunk holds at most one record per 28 bytes after its header.
        let count = self.last_id.checked_sub(self.first_id)?.checked_add(1)?;
        (trusted && count <= ((CHUNK - CHUNK_HEADER) / 28) as u64).then_some(count)
    }
}

/// The file header: how many chunks it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileHeader {
    pub chunk_count: u16,
}

impl FileHeader {
    /// `None` when `data` does not start with an EVTX file header.
    pub fn read(data: &[u8]) -> Option<FileHeader> {
        if !data.starts_with(b"ElfFile\0") {
            return None;
        }
        Some(FileHeader {
            chunk_count: u16_at(data, 42)?,
        })
    }
}

/// Every chunk slot of the file, the last one perhaps cut short, in the order Windows reads
/// them: from the chunk holding the oldest records (the lowest first record ID) to the end of
/// the file, then from the start, as a log that has wrapped around is read.
pub(super) fn slots(data: &[u8]) -> Vec<Slot<'_>> {
    let mut slots: Vec<Slot> = (data.get(FILE_HEADER..).unwrap_or_default())
        .chunks(CHUNK)
        .enumerate()
        .map(|(number, bytes)| Slot {
            number,
            offset: FILE_HEADER + number * CHUNK,
            bytes,
            state: state(bytes),
        })
        .collect();
    let oldest = (slots.iter())
        .filter_map(|s| match &s.state {
            State::Chunk(h) if h.first_id <= h.last_id => Some((h.first_id, s.number)),
            _ => None,
        })
        .min()
        .map_or(0, |(_, number)| number);
    slots.rotate_left(oldest);
    slots
}

fn state(bytes: &[u8]) -> State {
    if bytes.iter().all(|&b| b == 0) {
        State::Empty
    } else if bytes.len() < CHUNK_HEADER {
        State::HeaderCut
    } else if !bytes.starts_with(b"ElfChnk\0") {
        State::NoSignature
    } else {
        State::Chunk(Header::read(bytes))
    }
}

/// Why the record at `start` of a chunk's `bytes` is not whole, if it is not: the signature, a
/// size a record can have, all of it inside the bytes present, and the copy of its size at its
/// end.
pub(super) fn broken_record(bytes: &[u8], start: usize) -> Option<&'static str> {
    if bytes.get(start..start + 4) != Some(&RECORD_MAGIC[..]) {
        return Some("no record signature (2a2a0000)");
    }
    let size = u32_at(bytes, start + 4).map_or(0, |s| s as usize);
    if !(RECORD_HEADER + 4..=CHUNK - CHUNK_HEADER).contains(&size) {
        return Some("a record size no record has");
    }
    let Some(end) = (start + size <= bytes.len()).then_some(start + size) else {
        return Some("the record goes past the bytes present");
    };
    if u32_at(bytes, end - 4) != Some(size as u32) {
        return Some("the copy of the record's size at its end differs");
    }
    None
}

/// Steers the crate's walk over a chunk's records (`copy`, the chunk as handed to the crate) past
/// each broken record of `bytes` (the chunk as the file holds it) to the next whole one: a
/// broken record's size, in the copy only, becomes the distance to it. The crate follows sizes,
/// so a wrong size would otherwise send it into the middle of the next record, which it would
/// skip as well.
pub(super) fn steer(bytes: &[u8], copy: &mut [u8], free_space: usize) {
    let end = free_space.min(bytes.len());
    let mut at = CHUNK_HEADER;
    while at + RECORD_HEADER <= end {
        if broken_record(bytes, at).is_none() {
            at += record_size(bytes, at);
            continue;
        }
        let Some(next) = (at + 1..end)
            .filter(|&q| bytes[q] == RECORD_MAGIC[0])
            .find(|&q| broken_record(bytes, q).is_none())
        else {
            return;
        };
        if bytes[at..at + 4] == RECORD_MAGIC {
            copy[at + 4..at + 8].copy_from_slice(&((next - at) as u32).to_le_bytes());
        }
        at = next;
    }
}

/// The size of the whole record at `start` (see [`broken_record`]).
pub(super) fn record_size(bytes: &[u8], start: usize) -> usize {
    u32_at(bytes, start + 4).map_or(0, |s| s as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk with records of the sizes given, IDs from 1.
    fn chunk(sizes: &[usize]) -> Vec<u8> {
        let mut c = vec![0u8; CHUNK];
        c[..8].copy_from_slice(b"ElfChnk\0");
        let mut at = CHUNK_HEADER;
        for (i, &size) in sizes.iter().enumerate() {
            c[at..at + 4].copy_from_slice(&RECORD_MAGIC);
            c[at + 4..at + 8].copy_from_slice(&(size as u32).to_le_bytes());
            c[at + 8..at + 16].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            c[at + size - 4..at + size].copy_from_slice(&(size as u32).to_le_bytes());
            at += size;
        }
        c[24..32].copy_from_slice(&1u64.to_le_bytes());
        c[32..40].copy_from_slice(&(sizes.len() as u64).to_le_bytes());
        c[48..52].copy_from_slice(&(at as u32).to_le_bytes());
        c
    }

    #[test]
    fn a_record_is_whole_only_with_its_signature_size_and_size_copy_in_the_bytes_present() {
        let c = chunk(&[64, 96]);
        assert_eq!(broken_record(&c, 512), None);
        assert_eq!(broken_record(&c, 576), None);
        assert!(
            broken_record(&c[..576 + 95], 576)
                .unwrap()
                .contains("past the bytes")
        );
        // Zeros where the rest of the record should be: no size copy.
        let mut zeroed = c.clone();
        zeroed[576 + 40..].fill(0);
        assert!(broken_record(&zeroed, 576).unwrap().contains("copy"));
        assert!(broken_record(&c, 672).unwrap().contains("signature"));
        let mut huge = c;
        huge[516..520].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(broken_record(&huge, 512).unwrap().contains("size"));
    }

    #[test]
    fn checksums_cover_what_they_cover_and_a_cut_chunk_cannot_be_checked() {
        let c = chunk(&[64]);
        let h = Header::read(&c);
        assert!(!h.header_crc.unwrap().holds(), "no checksum was written");
        assert_eq!(h.announced(), None, "so its counts are not trusted");
        let mut no_crc = c.clone();
        no_crc[120] = NO_CRC32 as u8;
        let h = Header::read(&no_crc);
        assert_eq!((h.header_crc, h.records_crc), (None, None));
        assert_eq!(h.announced(), Some(1));
        let cut = Header::read(&c[..560]);
        assert_eq!(cut.records_crc, None);
    }

    #[test]
    fn slots_start_at_the_oldest_chunk_and_keep_a_cut_one() {
        let mut data = vec![0u8; FILE_HEADER];
        data[..8].copy_from_slice(b"ElfFile\0");
        let mut newer = chunk(&[64]);
        newer[24..32].copy_from_slice(&500u64.to_le_bytes());
        newer[32..40].copy_from_slice(&500u64.to_le_bytes());
        data.extend(&newer);
        data.extend(&chunk(&[64])[..1000]);
        let slots = slots(&data);
        assert_eq!(slots.iter().map(|s| s.number).collect::<Vec<_>>(), [1, 0]);
        assert_eq!(slots[0].bytes.len(), 1000);
        assert!(matches!(slots[0].state, State::Chunk(_)));
    }
}
