//! Hardening round 3 (logs): each attack of issue 25 (and each collect→eval trap of issue 24) that
//! worked on an earlier version, as a regression test.

use std::path::{Path, PathBuf};

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
