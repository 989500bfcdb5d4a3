//! `.evtx` reading (kbdiag's chunk and record checks, the evtx crate, kbdiag's conversion) on
//! arbitrary bytes, and on logs built from them: a chunk of records whose template places one
//! value many times, with checksums right or not, cut at a point the input picks. No panic, and
//! the strings kept stay within what an event and a document may keep.
#![no_main]

use kbdiag::collect::evtx::{self, Budget, MAX_DOCUMENT_STRINGS, MAX_EVENT_STRINGS, MAX_STRINGS};
use libfuzzer_sys::fuzz_target;

fn check(data: Vec<u8>) {
    let mut budget = Budget::default();
    let Ok(read) = evtx::read_within(data, |_| true, &mut budget) else {
        return;
    };
    let mut total = 0;
    for e in &read.events {
        let bytes: usize = e.strings.iter().map(String::len).sum();
        assert!(e.strings.len() <= MAX_STRINGS && bytes <= MAX_EVENT_STRINGS);
        total += bytes;
    }
    assert_eq!(total, MAX_DOCUMENT_STRINGS - budget.strings_left());
    assert!(read.events.len() <= read.records);
    // Whatever is lost is said.
    assert_eq!(read.problem().is_some(), !read.errors.is_empty());
}

/// BinXML at a chunk offset.
struct Bx(Vec<u8>, usize);

impl Bx {
    fn b(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn pos(&self) -> u32 {
        (self.1 + self.0.len()) as u32
    }
    fn name(&mut self, name: &str) -> &mut Self {
        let at = self.pos() + 4;
        self.b(&at.to_le_bytes()).b(&[0; 6]);
        self.b(&(name.len() as u16).to_le_bytes());
        for u in name.encode_utf16() {
            self.b(&u.to_le_bytes());
        }
        self.b(&[0, 0])
    }
    fn open(&mut self, name: &str) -> &mut Self {
        self.b(&[0x01, 0xff, 0xff, 0, 0, 0, 0])
            .name(name)
            .b(&[0x02])
    }
    fn element(&mut self, name: &str, value: u16, kind: u8) -> &mut Self {
        self.open(name)
            .b(&[0x0d])
            .b(&value.to_le_bytes())
            .b(&[kind, 0x04])
    }
}

/// An EVTX file of one chunk whose records instantiate a template placing value 2 (a string
/// from the input) `uses` times, after the provider (value 0) and event id (value 1).
fn reuse(input: &[u8]) -> Vec<u8> {
    let byte = |i: usize| input.get(i).copied().unwrap_or(0);
    let uses = usize::from(byte(0)) + 1;
    let text: Vec<u8> = input
        .get(8..)
        .unwrap_or_default()
        .iter()
        .take(200)
        .flat_map(|&b| [b | 0x20, 0])
        .collect();
    let mut file = vec![0u8; 4096 + 65536];
    file[..8].copy_from_slice(b"ElfFile\0");
    file[42] = 1;
    let chunk = &mut file[4096..];
    let (mut at, mut definition, mut id) = (512usize, None::<u32>, 1u64);
    loop {
        let mut r = Bx(Vec::new(), at + 24);
        r.b(&[0x0f, 1, 1, 0, 0x0c, 1, 1, 0, 0, 0]);
        match definition {
            Some(d) => {
                r.b(&d.to_le_bytes());
            }
            None => {
                let d = r.pos() + 4;
                r.b(&d.to_le_bytes()).b(&[0; 20]);
                let mut t = Bx(Vec::new(), d as usize + 24);
                t.b(&[0x0f, 1, 1, 0]).open("Event").open("System");
                t.b(&[0x41, 0xff, 0xff, 0, 0, 0, 0])
                    .name("Provider")
                    .b(&[0, 0, 0, 0, 0x06]);
                t.name("Name").b(&[0x0d, 0, 0, 0x01, 0x03]);
                t.element("EventID", 1, 0x06).b(&[0x04]).open("EventData");
                for _ in 0..uses {
                    t.element("Data", 2, 0x01);
                }
                t.b(&[0x04, 0x04, 0x00]);
                r.b(&(t.0.len() as u32).to_le_bytes()).b(&t.0);
                definition = Some(d);
            }
        }
        let values: [(u8, &[u8]); 3] = [(1, &[b'P', 0]), (6, &[7, 0]), (1, &text)];
        r.b(&3u32.to_le_bytes());
        for (kind, v) in values {
            r.b(&(v.len() as u16).to_le_bytes()).b(&[kind, 0]);
        }
        for (_, v) in values {
            r.b(v);
        }
        r.b(&[0]);
        let size = 24 + r.0.len() + 4;
        if at + size > 65536 || id > 300 {
            break;
        }
        chunk[at..at + 4].copy_from_slice(&[0x2a, 0x2a, 0, 0]);
        chunk[at + 4..at + 8].copy_from_slice(&(size as u32).to_le_bytes());
        chunk[at + 8..at + 16].copy_from_slice(&id.to_le_bytes());
        chunk[at + 24..at + size - 4].copy_from_slice(&r.0);
        chunk[at + size - 4..at + size].copy_from_slice(&(size as u32).to_le_bytes());
        (at, id) = (at + size, id + 1);
    }
    chunk[..8].copy_from_slice(b"ElfChnk\0");
    for (o, v) in [(8, 1), (16, id - 1), (24, 1), (32, id - 1)] {
        chunk[o..o + 8].copy_from_slice(&v.to_le_bytes());
    }
    chunk[48..52].copy_from_slice(&(at as u32).to_le_bytes());
    if byte(1) & 1 == 0 {
        let records = evtx_crc(&chunk[512..at]);
        chunk[52..56].copy_from_slice(&records.to_le_bytes());
        let header = evtx_crc(&[&chunk[..120], &chunk[128..512]].concat());
        chunk[124..128].copy_from_slice(&header.to_le_bytes());
    }
    // Cut at a point the input picks, or not.
    let cut = u16::from_le_bytes([byte(2), byte(3)]) as usize;
    if byte(4) & 1 == 1 {
        file.truncate(4096 + cut);
    }
    file
}

/// CRC-32 (IEEE), as EVTX checksums are.
fn evtx_crc(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fuzz_target!(|data: &[u8]| {
    check(data.to_vec());
    check(reuse(data));
});
