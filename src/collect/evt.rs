//! A small, bounded reader of legacy Windows event logs (`.evt`, Windows NT 3.1 to Server 2003):
//! `AppEvent.Evt`, `SysEvent.Evt`, `SecEvent.Evt`.
//!
//! The log is a ring buffer after a 48-byte header: records run from the oldest to an
//! end-of-file record, and one may be split at the end of the file and continue after the
//! header. A log that was not closed cleanly ("dirty") has a stale header, so the end-of-file
//! record, which Windows keeps current, is looked for first. Records in free space ("recovered"
//! by forensic tools) are not read. Format: the libyal project's public EVT documentation.

use thiserror::Error;

use super::bytes::{u16_at, u32_at};
use super::regf::utf16;

const HEADER: usize = 0x30;
const RECORD_HEADER: usize = 0x38;
const EOF_MAGIC: [u8; 16] = [
    0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33, 0x44, 0x44, 0x44, 0x44,
];
/// A record larger than this is taken for corruption (Windows caps an event's data at 64 KB).
const MAX_RECORD: usize = 1 << 20;

/// Why a log could not be read, or where reading it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvtError {
    #[error("not an EVT event log (no `LfLe` header)")]
    NotALog,
    #[error("EVT format {0}.{1} is not one kbdiag reads (1.1)")]
    Version(u32, u32),
    #[error("corrupt record at offset {offset:#x}: {what}")]
    Corrupt { offset: usize, what: String },
    /// The end-of-file record names an oldest record that is not one: outside the file, or not
    /// where a record starts.
    #[error(
        "the end-of-file record at offset {offset:#x} is corrupt: the oldest record's offset it \
         gives, {first:#x}, is not a record of the log; {reading}"
    )]
    EndOfFile {
        offset: usize,
        first: usize,
        reading: String,
    },
    /// No end-of-file record, and the header's offsets are not those of the records.
    #[error("the log has no end-of-file record, and its header is corrupt: {what}")]
    Header { what: String },
}

/// One event record, as the log stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub number: u32,
    /// POSIX seconds, UTC.
    pub created: u32,
    pub written: u32,
    /// The raw identifier: Event Viewer's event id is its low 16 bits; the high bits are
    /// severity, customer and facility.
    pub identifier: u32,
    /// 1 error, 2 warning, 4 information, 8 audit success, 16 audit failure.
    pub kind: u16,
    pub category: u16,
    pub source: String,
    pub computer: String,
    /// Insertion strings (the message template lives in the source's message DLL).
    pub strings: Vec<String>,
}

/// What a log's header says, and the records read.
#[derive(Debug, Default)]
pub struct Log {
    pub records: Vec<Record>,
    pub dirty: bool,
    pub wrapped: bool,
    /// Why reading stopped before the end-of-file record, if it did; the records before it are
    /// kept.
    pub stopped: Option<EvtError>,
}

/// Reads every record of `data`, asking `keep` with each record's source and identifier whether
/// to hold on to it: the rest of a record not kept (computer, strings) is not decoded.
///
/// The walk goes round the ring at most once: it covers at most the ring's bytes and stops at an
/// offset it has visited, so each record is read at most once whatever the offsets say.
pub fn read(data: &[u8], mut keep: impl FnMut(&str, u32) -> bool) -> Result<Log, EvtError> {
    if data.len() < HEADER || &data[4..8] != b"LfLe" || le32(data, 0) != HEADER as u32 {
        return Err(EvtError::NotALog);
    }
    let (major, minor) = (le32(data, 8), le32(data, 12));
    if (major, minor) != (1, 1) {
        return Err(EvtError::Version(major, minor));
    }
    let flags = le32(data, 36);
    let mut log = Log {
        dirty: flags & 1 != 0,
        wrapped: flags & 2 != 0,
        ..Log::default()
    };
    let ring = Ring { data };
    let (first, end, damage) = start(&ring);
    // Read what can be read, and still say the log is damaged.
    log.stopped = damage;
    let Some(first) = first else {
        return Ok(log);
    };
    let ring_bytes = data.len() - HEADER;
    let mut at = first;
    let mut walked = 0usize;
    loop {
        if at == end {
            return Ok(log);
        }
        if (walked > 0 && at == first) || walked >= ring_bytes {
            log.stopped.get_or_insert(EvtError::Corrupt {
                offset: at,
                what: "the records run round the whole log without reaching its end-of-file \
                       record"
                    .into(),
            });
            return Ok(log);
        }
        match ring.record(at, &mut keep) {
            Ok(Some((record, next, size))) => {
                log.records.extend(record);
                walked += size;
                at = next;
            }
            Ok(None) => {
                walked += data.len() - at;
                at = HEADER;
            }
            Err(e) => {
                log.stopped.get_or_insert(e);
                return Ok(log);
            }
        }
    }
}

/// Where the records start (`None`: nowhere to be found) and where they end (the end-of-file
/// record), and what is damaged when neither the end-of-file record nor the header can say so.
fn start(ring: &Ring) -> (Option<usize>, usize, Option<EvtError>) {
    let data = ring.data;
    let inside = |at: usize| (HEADER..data.len()).contains(&at);
    let header = (le32(data, 16) as usize, le32(data, 20) as usize);
    // The end-of-file record is current even when the header is not.
    let eof = find_eof(data);
    let (first, end) = match eof {
        Some(eof) => (le32(data, eof + 20) as usize, eof),
        None => header,
    };
    let first_ok = inside(first) && (first == end || ring.whole_record_at(first));
    if first_ok && inside(end) {
        return (Some(first), end, None);
    }
    if first_ok {
        let damage = EvtError::Header {
            what: format!(
                "its end offset, {end:#x}, is outside the file; the records were read from the \
                 oldest, at {first:#x}"
            ),
        };
        return (Some(first), end, Some(damage));
    }
    // The header's oldest record, else the first whole record after the header.
    let from = if header.0 != first && inside(header.0) && ring.whole_record_at(header.0) {
        Some((header.0, "the header's oldest record"))
    } else {
        (HEADER..data.len())
            .step_by(4)
            .find(|&at| ring.whole_record_at(at))
            .map(|at| (at, "the first whole record after the header"))
    };
    let reading = match from {
        Some((at, what)) => format!("the records were read from {what}, at {at:#x}"),
        None => "no whole record was found to read from".into(),
    };
    let damage = match eof {
        Some(offset) => EvtError::EndOfFile {
            offset,
            first,
            reading: format!("{reading}, up to it"),
        },
        None => EvtError::Header {
            what: format!(
                "its oldest record offset, {first:#x}, is not a record of the log; {reading}"
            ),
        },
    };
    // An end outside the file is never reached: the walk stops at a broken record or a lap.
    (from.map(|(at, _)| at), end, Some(damage))
}

/// The offset of the end-of-file record, if the log has one.
fn find_eof(data: &[u8]) -> Option<usize> {
    let mut from = HEADER;
    while let Some(i) = find(&data[from..], &EOF_MAGIC) {
        let at = from + i;
        if at >= 4 && le32(data, at - 4) == 0x28 && at + 0x24 <= data.len() {
            return Some(at - 4);
        }
        from = at + 1;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The log's records area seen as a ring: bytes past the end continue after the header.
struct Ring<'a> {
    data: &'a [u8],
}

impl Ring<'_> {
    /// `len` bytes starting at `at`, wrapping after the end of the file.
    fn bytes(&self, at: usize, len: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        let data = self.data;
        if at + len <= data.len() {
            return Some(std::borrow::Cow::Borrowed(&data[at..at + len]));
        }
        let head = data.get(at..)?;
        let rest = len - head.len();
        let tail = data.get(HEADER..HEADER + rest)?;
        Some(std::borrow::Cow::Owned([head, tail].concat()))
    }

    /// Whether a whole record starts at `at`: a size a record can have, the signature, and the
    /// same size at its end.
    fn whole_record_at(&self, at: usize) -> bool {
        let size = le32(self.data, at) as usize;
        (RECORD_HEADER..=MAX_RECORD.min(self.data.len() - HEADER)).contains(&size)
            && size % 4 == 0
            && self.data.get(at + 4..at + 8) == Some(b"LfLe")
            && self
                .bytes(at, size)
                .is_some_and(|r| le32(&r, size - 4) as usize == size)
    }

    /// The record at `at` if `keep` wants it, where the next one starts and the record's size;
    /// `None` for padding before the wrap.
    fn record(
        &self,
        at: usize,
        keep: &mut impl FnMut(&str, u32) -> bool,
    ) -> Result<Option<(Option<Record>, usize, usize)>, EvtError> {
        let corrupt = |what: &str| EvtError::Corrupt {
            offset: at,
            what: what.into(),
        };
        let room = self.data.len() - at;
        if room < RECORD_HEADER {
            // Windows pads the end of the file when a record header does not fit.
            return Ok(None);
        }
        let size = le32(self.data, at) as usize;
        if size == 0x27 || (size == 0 && room < 0x400) {
            return Ok(None);
        }
        if !(RECORD_HEADER..=MAX_RECORD).contains(&size) || size % 4 != 0 {
            return Err(corrupt(&format!("record size {size}")));
        }
        if size > self.data.len() - HEADER {
            return Err(corrupt(&format!(
                "record size {size}, more than the log's {} bytes of records",
                self.data.len() - HEADER
            )));
        }
        let bytes = self.bytes(at, size).ok_or_else(|| corrupt("truncated"))?;
        let r = &bytes[..];
        if &r[4..8] != b"LfLe" {
            return Err(corrupt("no `LfLe` signature"));
        }
        if le32(r, size - 4) as usize != size {
            return Err(corrupt(
                "size at the end differs from the size at the start",
            ));
        }
        let next = at + size;
        let next = if next >= self.data.len() {
            HEADER + (next - self.data.len())
        } else {
            next
        };
        let count = le16(r, 26) as usize;
        let strings_at = le32(r, 36) as usize;
        let source = utf16(r.get(RECORD_HEADER..size - 4).unwrap_or_default());
        if !keep(&source, le32(r, 20)) {
            return Ok(Some((None, next, size)));
        }
        let computer_at = RECORD_HEADER + 2 * (source.encode_utf16().count() + 1);
        let computer = utf16(r.get(computer_at..size - 4).unwrap_or_default());
        let mut strings = Vec::with_capacity(count.min(64));
        let mut s = strings_at;
        for _ in 0..count {
            let Some(rest) = r.get(s..size - 4) else {
                return Err(corrupt("insertion strings past the record's end"));
            };
            let units = rest
                .chunks_exact(2)
                .position(|c| c == [0, 0])
                .ok_or_else(|| corrupt("an insertion string without its end"))?;
            strings.push(utf16(&rest[..units * 2]));
            s += units * 2 + 2;
        }
        let record = Record {
            number: le32(r, 8),
            created: le32(r, 12),
            written: le32(r, 16),
            identifier: le32(r, 20),
            kind: le16(r, 24),
            category: le16(r, 28),
            source,
            computer,
            strings,
        };
        Ok(Some((Some(record), next, size)))
    }
}

/// A field at a fixed offset inside bounds already checked (the header, a record's 56 bytes).
fn le32(b: &[u8], at: usize) -> u32 {
    u32_at(b, at).unwrap_or(0)
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16_at(b, at).unwrap_or(0)
}
