//! Hardening round 3 (logs): each attack of issue 25 (and each collect→eval trap of issue 24) that
//! worked on an earlier version, as a regression test.

use std::path::Path;

#[allow(unused_imports)]
use super::common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};

const COLLECTED: &str = "2020-01-01T00:00:00Z";
const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;

fn real(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures/collect/real").join(name)).unwrap()
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// `kbdiag collect --all-events` of one log: the process's output and its fact document.
fn collect_log(log: &Path) -> (std::process::Output, serde_json::Value) {
    let o = kbdiag_within(
        20,
        &[
            "collect",
            "--all-events",
            "--host",
            "h",
            "--collected",
            COLLECTED,
            "--event-log",
            log.to_str().unwrap(),
        ],
    );
    let doc = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&o).chars().take(2000).collect::<String>()));
    (o, doc)
}

/// The record numbers of a document's events.
fn numbers(doc: &serde_json::Value) -> Vec<u64> {
    doc["events"].as_array().map_or_else(Vec::new, |e| {
        e.iter().map(|e| e["record"].as_u64().unwrap()).collect()
    })
}

/// The `not_collected` reasons about events.
fn event_problems(doc: &serde_json::Value) -> Vec<(String, bool)> {
    doc["collector"]["not_collected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["fact"] == "events")
        .map(|n| {
            (
                n["reason"].as_str().unwrap_or("").to_owned(),
                n["broken"] == true,
            )
        })
        .collect()
}

/// The whole records of `chunk` (a chunk's bytes, perhaps cut short): their numbers, walking the
/// sizes from the chunk's header to the first record that does not fit.
fn whole_records(chunk: &[u8]) -> Vec<u64> {
    let mut at = 512;
    let mut ids = Vec::new();
    while at + 24 <= chunk.len() && chunk[at..at + 4] == [0x2a, 0x2a, 0, 0] {
        let size = le32(chunk, at + 4) as usize;
        if at + size > chunk.len() || le32(chunk, at + size - 4) as usize != size {
            break;
        }
        ids.push(le64(chunk, at + 8));
        at += size;
    }
    ids
}

#[test]
fn a_cut_short_evtx_keeps_the_whole_records_of_its_cut_chunk_and_names_what_was_lost() {
    // A copy taken while the log was written: it ends inside chunk 2.
    let full = real("System.evtx");
    let cut_at = FILE_HEADER + 2 * CHUNK + 40_000;
    let dir = scratch("logs-evtx-cut");
    let cut = dir.join("cut.evtx");
    std::fs::write(&cut, &full[..cut_at]).unwrap();
    let chunk2 = &full[FILE_HEADER + 2 * CHUNK..cut_at];
    let whole = whole_records(chunk2);
    let announced = le64(chunk2, 32) - le64(chunk2, 24) + 1;
    assert!(whole.len() > 50 && (whole.len() as u64) < announced);

    let (o, doc) = collect_log(&cut);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let got = numbers(&doc);
    let before: Vec<u64> = (1..=275).collect();
    assert_eq!(got[..275], before[..], "chunks 0 and 1 are whole");
    assert_eq!(
        got[275..],
        whole[..],
        "every whole record of chunk 2, nothing more"
    );
    // The records kept are the full log's, field by field.
    let (_, full_doc) = {
        let path = dir.join("full.evtx");
        std::fs::write(&path, &full).unwrap();
        collect_log(&path)
    };
    assert_eq!(
        doc["events"].as_array().unwrap()[..],
        full_doc["events"].as_array().unwrap()[..got.len()]
    );
    let problems = event_problems(&doc);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (reason, broken) = &problems[0];
    assert!(broken);
    let lost = announced - whole.len() as u64;
    for part in [
        "cut.evtx: ".to_owned(),
        "chunk 2 (offset 0x21000)".to_owned(),
        format!("the file ends at offset {cut_at:#x}"),
        format!("{lost} of its {announced} records"),
        "the file header counts 27 chunks".to_owned(),
    ] {
        assert!(reason.contains(&part), "{part:?} in {reason}");
    }
    let artifact = doc["collector"]["artifacts"][0]["facts"].as_str().unwrap();
    assert!(
        artifact.contains(&format!("{} records", got.len()))
            && artifact.contains(&format!("{lost} records unreadable")),
        "{artifact}"
    );
    assert!(
        stderr(&o).contains("chunk 2 (offset 0x21000)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_zero_filled_tail_invents_no_event() {
    // The same cut, padded with zeros to a whole chunk: the record the cut goes through now has
    // zeros for its end, and no size copy.
    let full = real("System.evtx");
    let cut_at = FILE_HEADER + 2 * CHUNK + 40_000;
    let mut padded = full[..cut_at].to_vec();
    padded.resize(FILE_HEADER + 3 * CHUNK, 0);
    let dir = scratch("logs-evtx-zeros");
    let path = dir.join("padded.evtx");
    std::fs::write(&path, &padded).unwrap();
    let whole = whole_records(&full[FILE_HEADER + 2 * CHUNK..cut_at]);

    let (o, doc) = collect_log(&path);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let got = numbers(&doc);
    assert_eq!(got.len(), 275 + whole.len(), "{:?}", &got[got.len() - 3..]);
    assert_eq!(got.last(), whole.last());
    for e in doc["events"].as_array().unwrap() {
        assert!(
            e["time"].as_str().is_some_and(|t| !t.starts_with("1601")),
            "an invented event: {e}"
        );
    }
    let problems = event_problems(&doc);
    assert!(
        problems.len() == 1 && problems[0].0.contains("chunk 2 (offset 0x21000)"),
        "{problems:?}"
    );
}

/// A legacy log of `size` bytes whose one record fills its whole ring: it ends where it starts,
/// and there is no end-of-file record.
fn evt_one_record_ring(size: usize) -> Vec<u8> {
    let mut log = vec![0u8; size];
    let put =
        |log: &mut Vec<u8>, at: usize, v: u32| log[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put(&mut log, 0, 0x30);
    log[4..8].copy_from_slice(b"LfLe");
    put(&mut log, 8, 1);
    put(&mut log, 12, 1);
    put(&mut log, 16, 0x30); // the oldest record
    put(&mut log, 20, 0x34); // an end no record reaches
    put(&mut log, 24, 2);
    put(&mut log, 28, 1);
    put(&mut log, 32, size as u32);
    put(&mut log, 44, 0x30);
    let record = size - 0x30;
    put(&mut log, 0x30, record as u32);
    log[0x34..0x38].copy_from_slice(b"LfLe");
    put(&mut log, 0x38, 1); // record number
    put(&mut log, 0x4c, 4); // information
    put(&mut log, 0x50, 0x68); // where the strings would be
    for (i, unit) in "Src".encode_utf16().enumerate() {
        log[0x68 + 2 * i..0x6a + 2 * i].copy_from_slice(&unit.to_le_bytes());
    }
    put(&mut log, size - 4, record as u32);
    log
}

#[test]
fn an_evt_record_filling_its_ring_is_read_once() {
    let dir = scratch("logs-evt-ring");
    let path = dir.join("SysEvent.Evt");
    std::fs::write(&path, evt_one_record_ring(1 << 20)).unwrap();
    let (o, doc) = collect_log(&path);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(numbers(&doc), [1], "the record once, not once a lap");
    let problems = event_problems(&doc);
    assert!(
        problems.len() == 1
            && problems[0].0.contains("offset 0x30")
            && problems[0].0.contains("run round the whole log"),
        "{problems:?}"
    );
}

#[test]
fn an_evt_end_of_file_record_pointing_outside_the_file_is_corruption_and_the_records_are_read() {
    let mut log = real("SysEvent.Evt");
    let magic = [0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22];
    let eof = log.windows(8).position(|w| w == magic).unwrap() - 4;
    // Its oldest record's offset, 4 bytes, now outside the file.
    log[eof + 20..eof + 24].copy_from_slice(&0xffff_ff00u32.to_le_bytes());
    let dir = scratch("logs-evt-eof");
    let path = dir.join("SysEvent.Evt");
    std::fs::write(&path, &log).unwrap();
    let (o, doc) = collect_log(&path);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let intact = scratch("logs-evt-eof-intact").join("SysEvent.Evt");
    std::fs::write(&intact, real("SysEvent.Evt")).unwrap();
    let (_, intact) = collect_log(&intact);
    assert_eq!(numbers(&doc).len(), 6063);
    assert_eq!(doc["events"], intact["events"]);
    let problems = event_problems(&doc);
    let reason = &problems[0].0;
    assert!(
        problems.len() == 1
            && reason.contains(&format!("end-of-file record at offset {eof:#x} is corrupt"))
            && reason.contains("0xffffff00")
            && reason.contains("from the header's oldest record, at 0x1e0130"),
        "{problems:?}"
    );
}

/// BinXML written at an offset of its chunk (names and templates are found by chunk offset).
struct BinXml {
    out: Vec<u8>,
    base: usize,
}

impl BinXml {
    fn pos(&self) -> u32 {
        (self.base + self.out.len()) as u32
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.out.push(v);
        self
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.out.extend(v.to_le_bytes());
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.out.extend(v.to_le_bytes());
        self
    }
    fn utf16(&mut self, s: &str) -> &mut Self {
        s.encode_utf16().for_each(|u| {
            self.u16(u);
        });
        self
    }
    /// A name written where it is referenced: next name, hash, length, the text, NUL.
    fn name(&mut self, name: &str) -> &mut Self {
        let at = self.pos() + 4;
        self.u32(at).u32(0).u16(0);
        self.u16(name.encode_utf16().count() as u16)
            .utf16(name)
            .u16(0)
    }
    /// An element's start inside a template definition, with attributes to follow or not.
    fn open(&mut self, name: &str, attributes: bool) -> &mut Self {
        self.u8(if attributes { 0x41 } else { 0x01 })
            .u16(0xffff)
            .u32(0);
        self.name(name);
        if attributes {
            self.u32(0);
        }
        self
    }
    fn attribute(&mut self, name: &str) -> &mut Self {
        self.u8(0x06).name(name)
    }
    fn close_start(&mut self) -> &mut Self {
        self.u8(0x02)
    }
    fn close_empty(&mut self) -> &mut Self {
        self.u8(0x03)
    }
    fn end(&mut self) -> &mut Self {
        self.u8(0x04)
    }
    fn text(&mut self, text: &str) -> &mut Self {
        self.u8(0x05)
            .u8(0x01)
            .u16(text.encode_utf16().count() as u16)
            .utf16(text)
    }
    fn substitution(&mut self, id: u16, kind: u8) -> &mut Self {
        self.u8(0x0d).u16(id).u8(kind)
    }
    /// `<name>%id</name>`.
    fn element(&mut self, name: &str, id: u16, kind: u8) -> &mut Self {
        self.open(name, false)
            .close_start()
            .substitution(id, kind)
            .end()
    }
}

/// A template value: its type and bytes.
type Value = (u8, Vec<u8>);

fn utf16_value(s: &str) -> Value {
    (0x01, s.encode_utf16().flat_map(u16::to_le_bytes).collect())
}

/// An event's values for [`event_template`]: provider, id, level, time, then the data.
fn event_values(provider: &str, id: u16, level: u8, data: &str) -> Vec<Value> {
    vec![
        utf16_value(provider),
        (0x06, id.to_le_bytes().to_vec()),
        (0x04, vec![level]),
        (0x11, 130_849_833_260_468_750u64.to_le_bytes().to_vec()),
        utf16_value(data),
    ]
}

/// The template of a System event whose `EventData` holds value 4 in `uses` `<Data>` elements,
/// and whose `UserData` holds an empty `<ServiceShutdown/>` when `uses` is 0.
fn event_template(t: &mut BinXml, uses: usize) {
    t.open("Event", false).close_start();
    t.open("System", false).close_start();
    t.open("Provider", true)
        .attribute("Name")
        .substitution(0, 0x01)
        .close_empty();
    t.element("EventID", 1, 0x06).element("Level", 2, 0x04);
    t.open("TimeCreated", true)
        .attribute("SystemTime")
        .substitution(3, 0x11)
        .close_empty();
    t.open("Channel", false).close_start().text("System").end();
    t.end();
    if uses == 0 {
        t.open("UserData", false).close_start();
        t.open("ServiceShutdown", true)
            .attribute("xmlns")
            .text("http://manifests.microsoft.com/win/2004/08/windows/eventlog")
            .close_empty();
        t.end();
    } else {
        t.open("EventData", false).close_start();
        for _ in 0..uses {
            t.element("Data", 4, 0x01);
        }
        t.end();
    }
    t.end();
}

/// A record's BinXML: an instance of the template at `definition`, or of one defined here by
/// `define` when `definition` is `None`; then the values.
fn instance(
    b: &mut BinXml,
    definition: Option<u32>,
    define: impl FnOnce(&mut BinXml),
    values: &[Value],
) -> u32 {
    b.u8(0x0f).u8(1).u8(1).u8(0); // fragment header
    b.u8(0x0c).u8(1).u32(1);
    let at = match definition {
        Some(at) => {
            b.u32(at);
            at
        }
        None => {
            let at = b.pos() + 4;
            b.u32(at).u32(0).out.extend([0x5a; 16]);
            let mut body = BinXml {
                out: Vec::new(),
                base: at as usize + 24,
            };
            body.u8(0x0f).u8(1).u8(1).u8(0);
            define(&mut body);
            body.u8(0x00);
            b.u32(body.out.len() as u32).out.extend(body.out);
            at
        }
    };
    b.u32(values.len() as u32);
    for (kind, bytes) in values {
        b.u16(bytes.len() as u16).u8(*kind).u8(0);
    }
    for (_, bytes) in values {
        b.out.extend(bytes);
    }
    b.u8(0x00);
    at
}

/// An EVTX file whose chunks hold the records `record(chunk, i, binxml, definition)` writes
/// (record IDs counting from 1 across chunks), as many as fit or `per_chunk`.
fn evtx_file(
    chunks: usize,
    per_chunk: usize,
    mut record: impl FnMut(&mut BinXml, Option<u32>) -> u32,
) -> Vec<u8> {
    let put = |b: &mut [u8], at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
    let mut file = vec![0u8; FILE_HEADER + chunks * CHUNK];
    let mut id = 1u64;
    for c in 0..chunks {
        let chunk = &mut file[FILE_HEADER + c * CHUNK..FILE_HEADER + (c + 1) * CHUNK];
        let (first, mut at, mut last_at, mut definition) = (id, 512, 512, None);
        for _ in 0..per_chunk {
            let mut b = BinXml {
                out: Vec::new(),
                base: at + 24,
            };
            definition = Some(record(&mut b, definition));
            let size = 24 + b.out.len() + 4;
            if at + size > CHUNK {
                break;
            }
            put(chunk, at, &[0x2a, 0x2a, 0, 0]);
            put(chunk, at + 4, &(size as u32).to_le_bytes());
            put(chunk, at + 8, &id.to_le_bytes());
            put(chunk, at + 16, &130_849_833_260_468_750u64.to_le_bytes());
            put(chunk, at + 24, &b.out);
            put(chunk, at + size - 4, &(size as u32).to_le_bytes());
            (last_at, at, id) = (at, at + size, id + 1);
        }
        put(chunk, 0, b"ElfChnk\0");
        for (o, v) in [(8, first), (16, id - 1), (24, first), (32, id - 1)] {
            put(chunk, o, &v.to_le_bytes());
        }
        put(chunk, 40, &128u32.to_le_bytes());
        put(chunk, 44, &(last_at as u32).to_le_bytes());
        put(chunk, 48, &(at as u32).to_le_bytes());
        let records = evtx::checksum_ieee(&chunk[512..at]);
        put(chunk, 52, &records.to_le_bytes());
        let header = evtx::checksum_ieee(&[&chunk[..120], &chunk[128..512]].concat());
        put(chunk, 124, &header.to_le_bytes());
    }
    put(&mut file, 0, b"ElfFile\0");
    put(&mut file, 16, &(chunks as u64 - 1).to_le_bytes());
    put(&mut file, 24, &id.to_le_bytes());
    put(&mut file, 32, &128u32.to_le_bytes());
    put(&mut file, 36, &1u16.to_le_bytes());
    put(&mut file, 38, &3u16.to_le_bytes());
    put(&mut file, 40, &4096u16.to_le_bytes());
    put(&mut file, 42, &(chunks as u16).to_le_bytes());
    let header = evtx::checksum_ieee(&file[..120]);
    put(&mut file, 124, &header.to_le_bytes());
    file
}

#[test]
fn an_empty_user_data_element_gives_no_insertion_string() {
    let file = evtx_file(1, 2, |b, definition| {
        instance(
            b,
            definition,
            |t| event_template(t, 0),
            &event_values("EventLog", 1100, 4, ""),
        )
    });
    let dir = scratch("logs-evtx-userdata");
    let path = dir.join("Security.evtx");
    std::fs::write(&path, file).unwrap();
    let (o, doc) = collect_log(&path);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{doc}");
    for e in events {
        assert_eq!(
            (e["id"].as_u64(), &e["strings"]),
            (Some(1100), &serde_json::json!([]))
        );
        assert_eq!(e["source"], "EventLog");
    }
}

/// The bytes of insertion strings a document's events keep.
fn string_bytes(doc: &serde_json::Value) -> usize {
    (doc["events"].as_array().unwrap().iter())
        .flat_map(|e| e["strings"].as_array().unwrap())
        .map(|s| s.as_str().unwrap().len())
        .sum()
}

#[test]
fn templates_reusing_one_value_do_not_blow_up_the_fact_document() {
    // Each record places its one 600-character value 256 times: 150 KB of strings from 1.2 KB.
    // It was 105 MB of facts (exit 0) from this 1 MB file, in 14 s.
    let data = "A".repeat(600);
    let file = evtx_file(16, usize::MAX, |b, definition| {
        instance(
            b,
            definition,
            |t| event_template(t, 256),
            &event_values("Attack", 7, 4, &data),
        )
    });
    assert!(file.len() > 1 << 20);
    let dir = scratch("logs-evtx-reuse");
    let path = dir.join("System.evtx");
    std::fs::write(&path, &file).unwrap();
    let (o, doc) = collect_log(&path);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Within what `eval` reads, so the host is still evaluated.
    assert!(
        o.stdout.len() < 8 << 20,
        "{} bytes of facts",
        o.stdout.len()
    );
    let e = kbdiag(&["eval", "--format", "summary", "-"], Some(&o.stdout));
    assert!(
        stdout(&e).starts_with("Summary: 1 host evaluated\n"),
        "{}",
        stdout(&e)
    );
    assert!(string_bytes(&doc) <= kbdiag::collect::evtx::MAX_DOCUMENT_STRINGS);
    for e in doc["events"].as_array().unwrap() {
        let bytes: usize = (e["strings"].as_array().unwrap().iter())
            .map(|s| s.as_str().unwrap().len())
            .sum();
        assert!(bytes <= kbdiag::collect::evtx::MAX_EVENT_STRINGS);
    }
    let problems = event_problems(&doc);
    let reason = &problems[0].0;
    for part in [
        "the insertion strings of ",
        " events were cut (the first: record 1): ",
        " to the 256 strings or 128 KiB an event keeps",
        " to the 4 MiB a document keeps",
        "reading stopped at chunk ",
    ] {
        assert!(reason.contains(part), "{part:?} in {reason}");
    }
    // Every record is an event or counted as not read.
    let events = doc["events"].as_array().unwrap().len();
    let records = le64(&file[FILE_HEADER + 15 * CHUNK..], 32) as usize;
    let artifact = doc["collector"]["artifacts"][0]["facts"].as_str().unwrap();
    let unread = (artifact.split("; "))
        .find_map(|p| p.strip_suffix(" records unreadable")?.parse::<usize>().ok())
        .unwrap_or(0);
    assert_eq!(events + unread, records, "{artifact}");

    // Two such logs share the document's budget.
    let other = dir.join("Application.evtx");
    std::fs::write(&other, &file).unwrap();
    let o = kbdiag_within(
        20,
        &[
            "collect",
            "--all-events",
            "--host",
            "h",
            "--collected",
            COLLECTED,
            "--event-log",
            path.to_str().unwrap(),
            "--event-log",
            other.to_str().unwrap(),
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(string_bytes(&doc) <= kbdiag::collect::evtx::MAX_DOCUMENT_STRINGS);
    assert_eq!(event_problems(&doc).len(), 2);
}

#[test]
fn evtx_chunks_whose_checksums_fail_are_named_and_their_whole_records_read() {
    let full = real("System.evtx");
    let mut log = full.clone();
    let chunk = |n: usize| FILE_HEADER + n * CHUNK;
    // Chunk 5: one character of a record's text changed; chunk 6: a record's size changed;
    // chunk 7: a byte of its header.
    let text: Vec<u8> = "Service"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = chunk(5)
        + 512
        + (log[chunk(5) + 512..chunk(6)].windows(text.len()))
            .position(|w| w == text)
            .unwrap();
    log[at] = b'X';
    let mut record = chunk(6) + 512;
    for _ in 0..10 {
        record += le32(&log, record + 4) as usize;
    }
    let size = le32(&log, record + 4);
    log[record + 4..record + 8].copy_from_slice(&(size + 8).to_le_bytes());
    log[chunk(7) + 64] ^= 0xff;
    let dir = scratch("logs-evtx-checksums");
    let path = dir.join("System.evtx");
    std::fs::write(&path, &log).unwrap();
    let (o, doc) = collect_log(&path);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let ids = |n: usize| le64(&full, chunk(n) + 24)..=le64(&full, chunk(n) + 32);
    let got = numbers(&doc);
    let lost: Vec<u64> = ids(6).filter(|id| !got.contains(id)).collect();
    assert_eq!(
        lost,
        [le64(&log, record + 8)],
        "only the record whose size changed"
    );
    for n in [5, 7] {
        assert!(
            ids(n).all(|id| got.contains(&id)),
            "chunk {n}'s records are read"
        );
    }
    let reason = &event_problems(&doc)[0].0;
    let count = |n: usize| ids(n).count();
    for part in [
        format!(
            "chunk 5 (offset {:#x}): the checksum of its records failed",
            chunk(5)
        ),
        format!("{} records were read one by one, each whole;", count(5)),
        format!(
            "chunk 6 (offset {:#x}): the checksum of its records failed",
            chunk(6)
        ),
        format!(
            "and 1 of its {} records could not be (the first at offset {record:#x}",
            count(6)
        ),
        format!(
            "chunk 7 (offset {:#x}): the checksum of its header failed",
            chunk(7)
        ),
    ] {
        assert!(reason.contains(&part), "{part:?} in {reason}");
    }
}

/// How the made-up rule's symptom `event("WidgetSvc", 77, filter)` reads on an event of `kind`
/// with `strings`.
fn symptom_on(name: &str, filter: &str, kind: &str, strings: &[&str]) -> String {
    let dir = scratch(name);
    let rule = std::fs::read_to_string(root().join("tests/rules/KB900001.yaml")).unwrap();
    let symptom = format!("when: 'event(\"WidgetSvc\", 77, #{{{filter}}})'");
    let rule = rule.replace("when: event(\"WidgetSvc\", 77)", &symptom);
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    std::fs::write(dir.join("kb/KB900001.yaml"), rule).unwrap();
    let facts = serde_json::json!({"host": "H", "events": [{"log": "System", "source": "WidgetSvc",
        "id": 77, "type": kind, "strings": strings}]});
    std::fs::write(dir.join("h.json"), facts.to_string()).unwrap();
    let kb = dir.join("kb");
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            kb.to_str().unwrap(),
            "--format",
            "json",
            "--detail",
            "full",
            dir.join("h.json").to_str().unwrap(),
        ],
        None,
    );
    let out: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let symptoms = &out["reports"][0]["results"][0]["symptoms"];
    symptoms[0]["observed"].as_str().unwrap().to_owned()
}

#[test]
fn insertion_strings_match_however_a_reader_writes_hexadecimal_numbers() {
    // kbdiag writes an .evtx HexInt32 as the evtx crate and Windows do (`0x0`); evtxexport and
    // python-evtx pad it to its width (`0x00000000`). A rule written from either matches.
    for (want, have) in [
        ("0x00000000", "0x0"),
        ("0x0", "0x00000000"),
        ("0xC000006D", "0xc000006d"),
        ("0x0000000000000005", "0x5"),
    ] {
        let filter = format!("param: \"{want}\"");
        assert_eq!(
            symptom_on("logs-hex", &filter, "Error", &[have]),
            "observed",
            "{want} {have}"
        );
    }
    for (want, have) in [("0x5", "0x50"), ("0x5", "0x5g"), ("0x5", "10x5")] {
        let filter = format!("param: \"{want}\"");
        assert_eq!(
            symptom_on("logs-hex", &filter, "Error", &[have]),
            "not_observed",
            "{want} {have}"
        );
    }
}

#[test]
fn a_critical_event_is_critical_not_error() {
    // Collected: level 1 of the real System.evtx (Kernel-Power 41) is Critical, as Event Viewer
    // says, and level 2 Error.
    let (_, doc) = collect_log(&root().join("tests/fixtures/collect/real/System.evtx"));
    let kinds = |id: u64| -> Vec<String> {
        (doc["events"].as_array().unwrap().iter())
            .filter(|e| e["id"] == id && e["source"] == "Microsoft-Windows-Kernel-Power")
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(41), ["Critical", "Critical"]);
    // A filter for errors does not match it; one for Critical does.
    assert_eq!(
        symptom_on("logs-critical", "type: \"Error\"", "Critical", &[]),
        "not_observed"
    );
    assert_eq!(
        symptom_on("logs-critical", "type: \"Critical\"", "Critical", &[]),
        "observed"
    );
}
