//! Vista-and-later event logs (`.evtx`), turned into the same [`Event`] records as the legacy
//! reader gives.
//!
//! kbdiag walks the file's 64 KiB chunks itself and checks each against its checksums, and each
//! record before it is used: its signature, its size, the copy of the size at its end, all of it
//! in the bytes the file holds. The `evtx` crate reads the BinXML of the records that pass. So a
//! log cut short (a copy taken while it was written) keeps every whole record of the chunk it
//! ends in, zeros after a cut give no record, and what was lost or could not be vouched for is
//! named with its chunk and offset (`Read::problem`).

mod chunk;
mod event;

use std::sync::Arc;

use evtx::{EvtxChunkData, ParserSettings};
use thiserror::Error;

use super::Event;
use chunk::{CHUNK, CHUNK_HEADER, Slot, State};
pub use event::{MAX_EVENT_STRINGS, MAX_STRINGS};

/// Bytes of insertion strings a fact document's events keep, over all its logs (see
/// [`Budget`]): half the 8 MiB a fact file may hold, so that a document cut to it is still one
/// `kbdiag eval` reads (the host is not lost). Only events a template repeats its values in, or
/// `--all-events` on a very large log, come near it.
pub const MAX_DOCUMENT_STRINGS: usize = 4 << 20;

/// The located problems a [`Read`] keeps; the rest are counted.
const MAX_ERRORS: usize = 20;

/// JSON the crate may render for one log: 16 MiB plus 8 bytes per byte of the file. Real logs
/// render to about twice their size (the real System.evtx: 2.2 MB to 3.9 MB of JSON); a template
/// that places one value hundreds of times renders a hundred times its file, which took 14 s and
/// 105 MB of facts for 1 MB, and minutes and gigabytes for 40 MB.
fn render_limit(file: usize) -> usize {
    (16 << 20) + 8 * file
}

/// Why a file is not read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvtxError {
    #[error("not an EVTX event log (no `ElfFile` header)")]
    NotALog,
}

/// What the events of one fact document may still keep of their insertion strings: one budget
/// is passed to [`read_within`] for each log of a document.
#[derive(Debug, Clone)]
pub struct Budget {
    strings: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_DOCUMENT_STRINGS)
    }
}

impl Budget {
    /// A budget of `strings` bytes of insertion strings.
    pub fn new(strings: usize) -> Budget {
        Budget { strings }
    }

    /// The bytes of insertion strings still to be kept.
    pub fn strings_left(&self) -> usize {
        self.strings
    }
}

/// What reading an `.evtx` file gave.
#[derive(Debug, Default)]
pub struct Read {
    pub events: Vec<Event>,
    /// Records read whole.
    pub records: usize,
    /// Records known to be in the file (its chunk headers count them) and not read: broken, cut
    /// off, or past what a log may render.
    pub failed: usize,
    /// What was lost or could not be vouched for, located by chunk and offset: the first 20.
    pub errors: Vec<String>,
    /// How many more problems there were.
    pub more_errors: usize,
}

impl Read {
    fn damage(&mut self, what: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(what);
        } else {
            self.more_errors += 1;
        }
    }

    /// Everything that was lost or could not be vouched for, in one line for
    /// `collector.not_collected`; `None` when the log was read whole.
    pub fn problem(&self) -> Option<String> {
        if self.errors.is_empty() {
            return None;
        }
        let mut line = self.errors.join("; ");
        if self.more_errors > 0 {
            line.push_str(&format!("; and {} more", self.more_errors));
        }
        Some(line)
    }
}

/// Reads every record of an `.evtx` file, calling `keep` on each; returns the kept events and
/// what was lost on the way (a broken chunk or record does not stop the others). The kept
/// events' strings are bounded by a [`Budget`] of their own.
pub fn read(data: Vec<u8>, keep: impl FnMut(&Event) -> bool) -> Result<Read, EvtxError> {
    read_within(data, keep, &mut Budget::default())
}

/// As [`read`], the kept events' insertion strings drawn from `budget`, which a document's logs
/// share.
pub fn read_within(
    data: Vec<u8>,
    mut keep: impl FnMut(&Event) -> bool,
    budget: &mut Budget,
) -> Result<Read, EvtxError> {
    let header = chunk::FileHeader::read(&data).ok_or(EvtxError::NotALog)?;
    let settings = Arc::new(ParserSettings::new().indent(false));
    let mut reading = Reading {
        out: Read::default(),
        cuts: Cuts::default(),
        render_left: render_limit(data.len()),
        render_stopped: None,
    };
    let slots = chunk::slots(&data);
    for slot in &slots {
        reading.chunk(slot, &settings, &mut keep, budget);
    }
    let Reading {
        mut out,
        cuts,
        render_stopped,
        ..
    } = reading;
    if let Some((at, not_read)) = render_stopped {
        out.damage(format!(
            "reading stopped at {at}: the records before it render to more than the {} MiB of \
             JSON a log of this size may (16 MiB and 8 bytes per byte of the file; a template \
             that repeats its values?), and the {not_read} records after it were not read",
            render_limit(data.len()) >> 20,
        ));
    }
    let present = slots.len();
    let counted = usize::from(header.chunk_count);
    if counted > present || (counted == present && data.len() < data_end(counted)) {
        let whole = slots.iter().filter(|s| s.bytes.len() == CHUNK).count();
        let part = if whole < present {
            " and part of one"
        } else {
            ""
        };
        out.damage(format!(
            "the file header counts {counted} chunks; the file holds {whole}{part}: it was cut \
             short or copied while the log was written"
        ));
    }
    if let Some(cut) = cuts.message() {
        out.damage(cut);
    }
    Ok(out)
}

/// Where the file's `count` chunks end.
fn data_end(count: usize) -> usize {
    chunk::FILE_HEADER + count * CHUNK
}

/// A read in progress.
struct Reading {
    out: Read,
    cuts: Cuts,
    /// JSON the crate may still render (see [`render_limit`]).
    render_left: usize,
    /// Where rendering stopped, and the records counted after it.
    render_stopped: Option<(String, usize)>,
}

/// How one chunk's records went.
#[derive(Default)]
struct ChunkRead {
    read: usize,
    unreadable: usize,
    /// The first record not read: its offset in the file, and why.
    first_bad: Option<(usize, String)>,
    /// Where the last record read ends, in the chunk.
    read_to: usize,
    /// Whether the rendering limit was spent before the chunk's end.
    stopped: bool,
}

impl Reading {
    fn chunk(
        &mut self,
        slot: &Slot,
        settings: &Arc<ParserSettings>,
        keep: &mut impl FnMut(&Event) -> bool,
        budget: &mut Budget,
    ) {
        let (n, offset) = (slot.number, slot.offset);
        let header = match &slot.state {
            State::Empty => return,
            State::HeaderCut => {
                self.out.damage(format!(
                    "chunk {n} (offset {offset:#x}) is cut short inside its header: the file ends \
                     at offset {:#x}, and its records are lost",
                    offset + slot.bytes.len()
                ));
                return;
            }
            State::NoSignature => {
                self.out.damage(format!(
                    "chunk {n} (offset {offset:#x}) has no chunk signature (`ElfChnk`): its \
                     records, if any, cannot be found"
                ));
                return;
            }
            State::Chunk(header) => header,
        };
        let announced = header.announced();
        if self.render_stopped.is_some() {
            self.count_not_rendered(announced.unwrap_or(0) as usize);
            return;
        }
        let (got, table) = self.records(slot, header.free_space, settings, keep, budget);
        let lost = if got.stopped {
            // The records left when the rendering limit was spent are named by it.
            let left = announced.map_or(0, |a| a as usize);
            self.count_not_rendered(left.saturating_sub(got.read + got.unreadable));
            got.unreadable
        } else {
            match announced {
                Some(a) => (a as usize).saturating_sub(got.read).max(got.unreadable),
                None => got.unreadable,
            }
        };
        self.out.failed += lost;
        let of = match announced {
            Some(a) => format!("{lost} of its {a} records"),
            None => records(lost),
        };
        let first = match &got.first_bad {
            Some((at, why)) => format!(" (the first at offset {at:#x}: {why})"),
            None => format!(" (the first at offset {:#x})", offset + got.read_to),
        };
        let and_lost = if lost > 0 {
            format!(", and {of} could not be{first}")
        } else {
            String::new()
        };
        let header_failed = header.header_crc.filter(|c| !c.holds());
        let records_failed = header.records_crc.filter(|c| !c.holds());
        let mut what = Vec::new();
        if slot.bytes.len() < CHUNK {
            let read = if lost > 0 {
                format!("{of} could not be read{first}")
            } else {
                "its records were all read".into()
            };
            what.push(format!(
                " is cut short: the file ends at offset {:#x}, {} bytes into it; {read}",
                offset + slot.bytes.len(),
                slot.bytes.len()
            ));
            if let Some(crc) = header_failed {
                what.push(format!(
                    "its header's checksum failed too ({}), so its counts are not trusted",
                    crc_text(crc)
                ));
            }
        } else if let Some(crc) = header_failed {
            what.push(format!(
                ": the checksum of its header failed ({}), so its counts are not trusted; {} \
                 read one by one, each whole{and_lost}",
                crc_text(crc),
                records_were(got.read)
            ));
        } else if let Some(crc) = records_failed {
            what.push(format!(
                ": the checksum of its records failed ({}); {} read one by one, each \
                 whole{and_lost}",
                crc_text(crc),
                records_were(got.read)
            ));
        } else if header.records_crc.is_none() && header.header_crc.is_some() {
            what.push(format!(
                ": its free space offset, {:#x}, is outside the chunk, so its records' checksum \
                 cannot be checked; {} read one by one, each whole{and_lost}",
                header.free_space,
                records_were(got.read)
            ));
        } else if lost > 0 {
            what.push(format!(": {of} could not be read{first}"));
        }
        if let Some(e) = table {
            let sep = if what.is_empty() { ": " } else { "" };
            what.push(format!(
                "{sep}its string table is unreadable ({e}): names were read from the records"
            ));
        }
        if !what.is_empty() {
            self.out
                .damage(format!("chunk {n} (offset {offset:#x}){}", what.join("; ")));
        }
    }

    /// Counts records left unread once the rendering limit is spent.
    fn count_not_rendered(&mut self, count: usize) {
        self.out.failed += count;
        if let Some((_, not_read)) = &mut self.render_stopped {
            *not_read += count;
        }
    }

    /// Reads a chunk's whole records; also says why the chunk's string table, if it is
    /// unreadable, was not used.
    fn records(
        &mut self,
        slot: &Slot,
        free_space: usize,
        settings: &Arc<ParserSettings>,
        keep: &mut impl FnMut(&Event) -> bool,
        budget: &mut Budget,
    ) -> (ChunkRead, Option<String>) {
        let mut got = ChunkRead {
            read_to: CHUNK_HEADER,
            ..ChunkRead::default()
        };
        // The crate reads whole chunks: a cut one is completed with zeros, which no record that
        // passes `broken_record` reaches into.
        let mut bytes = slot.bytes.to_vec();
        bytes.resize(CHUNK, 0);
        chunk::steer(slot.bytes, &mut bytes, free_space);
        let (mut data, table) = match parsed(bytes, settings) {
            Ok(parsed) => parsed,
            Err(e) => {
                got.unreadable = 1;
                got.first_bad = Some((slot.offset, e));
                return (got, None);
            }
        };
        let mut chunk = match data.parse(Arc::clone(settings)) {
            Ok(chunk) => chunk,
            Err(e) => {
                got.unreadable = 1;
                got.first_bad = Some((slot.offset, chain(&e)));
                return (got, table);
            }
        };
        let cut = slot.bytes.len() < CHUNK;
        for record in chunk.iter() {
            if self.render_left == 0 {
                self.render_stopped = Some((
                    format!(
                        "chunk {} (offset {:#x}), offset {:#x}",
                        slot.number,
                        slot.offset,
                        slot.offset + got.read_to
                    ),
                    0,
                ));
                got.stopped = true;
                break;
            }
            let record = match record {
                Ok(record) => record,
                // Past a cut, the crate reads zeros: what it says there is the cut's loss.
                Err(_) if cut => continue,
                Err(e) => {
                    got.unreadable += 1;
                    got.first_bad
                        .get_or_insert_with(|| (slot.offset + got.read_to, chain(&e)));
                    continue;
                }
            };
            let start = (record.binxml_offset as usize).saturating_sub(24);
            let at = slot.offset + start;
            if let Some(why) = chunk::broken_record(slot.bytes, start) {
                got.unreadable += 1;
                got.first_bad.get_or_insert_with(|| (at, why.into()));
                continue;
            }
            let id = record.event_record_id;
            let size = chunk::record_size(slot.bytes, start);
            let json = match record.into_json() {
                Ok(json) => json.data,
                Err(e) => {
                    got.unreadable += 1;
                    got.first_bad.get_or_insert_with(|| (at, chain(&e)));
                    continue;
                }
            };
            self.render_left = self.render_left.saturating_sub(json.len());
            let value: serde_json::Value = match serde_json::from_str(&json) {
                Ok(v) => v,
                Err(e) => {
                    got.unreadable += 1;
                    got.first_bad.get_or_insert_with(|| (at, e.to_string()));
                    continue;
                }
            };
            drop(json);
            let Some((mut event, cut_here)) = event::event(&value, id) else {
                got.unreadable += 1;
                got.first_bad
                    .get_or_insert_with(|| (at, "no Event/System/EventID element".into()));
                continue;
            };
            got.read += 1;
            got.read_to = start + size;
            if keep(&event) {
                self.cuts.charge(&mut event, cut_here, budget);
                self.out.events.push(event);
            }
        }
        self.out.records += got.read;
        (got, table)
    }
}

/// A chunk's data ready to parse. A string table the crate cannot follow (damaged offsets) is
/// left out, and why is returned: names are then read where the records point.
fn parsed(
    bytes: Vec<u8>,
    settings: &Arc<ParserSettings>,
) -> Result<(EvtxChunkData, Option<String>), String> {
    let mut data = EvtxChunkData::new(bytes, false).map_err(|e| chain(&e))?;
    let table = match data.parse(Arc::clone(settings)) {
        Ok(_) => return Ok((data, None)),
        Err(e) => chain(&e),
    };
    let mut bytes = std::mem::take(&mut data.data);
    bytes[128..384].fill(0);
    let data = EvtxChunkData::new(bytes, false).map_err(|e| chain(&e))?;
    Ok((data, Some(table)))
}

/// `1 record`, `2 records`.
fn records(n: usize) -> String {
    match n {
        1 => "1 record".into(),
        n => format!("{n} records"),
    }
}

/// `1 record was`, `2 records were`.
fn records_were(n: usize) -> String {
    match n {
        1 => "1 record was".into(),
        n => format!("{n} records were"),
    }
}

/// A checksum that failed, as the message names it.
fn crc_text(crc: chunk::Crc) -> String {
    format!(
        "stored {:#010x}, computed {:#010x}",
        crc.stored, crc.computed
    )
}

/// An error and its causes, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}

/// The events whose insertion strings were cut.
#[derive(Default)]
struct Cuts {
    /// Cut to what an event keeps ([`MAX_STRINGS`], [`MAX_EVENT_STRINGS`]).
    event: usize,
    /// Cut to what the document still kept ([`Budget`]).
    document: usize,
    first: Option<i64>,
}

impl Cuts {
    /// Draws `event`'s strings from `budget`, cutting them to what is left.
    fn charge(&mut self, event: &mut Event, cut_here: bool, budget: &mut Budget) {
        let mut left = budget.strings;
        let mut cut = false;
        for (i, s) in event.strings.iter_mut().enumerate() {
            if s.len() <= left {
                left -= s.len();
                continue;
            }
            let mut end = left;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            left -= end;
            event.strings.truncate(i + 1);
            cut = true;
            break;
        }
        // A string cut to nothing was not an empty string.
        if cut && event.strings.last().is_some_and(String::is_empty) {
            event.strings.pop();
        }
        budget.strings = left;
        if cut {
            self.document += 1;
        } else if cut_here {
            self.event += 1;
        }
        if cut || cut_here {
            self.first.get_or_insert(event.record);
        }
    }

    fn message(&self) -> Option<String> {
        let first = self.first?;
        let mut why = Vec::new();
        if self.event > 0 {
            why.push(format!(
                "{} to the {MAX_STRINGS} strings or {} KiB an event keeps",
                self.event,
                MAX_EVENT_STRINGS >> 10
            ));
        }
        if self.document > 0 {
            why.push(format!(
                "{} to the {} MiB a document keeps",
                self.document,
                MAX_DOCUMENT_STRINGS >> 20
            ));
        }
        Some(format!(
            "the insertion strings of {} events were cut (the first: record {first}): {}",
            self.event + self.document,
            why.join(", ")
        ))
    }
}
