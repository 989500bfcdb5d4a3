//! The legacy event log reader on arbitrary bytes, and on rings built from them (a record whose
//! size wraps it round the ring, end-of-file and header offsets taken from the input): records or
//! an error, no panic, no hang; every record asked about is kept, but the one where reading
//! stopped; each byte of the log read at most once.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn check(data: &[u8]) {
    let mut seen = 0usize;
    if let Ok(log) = kbdiag::collect::evt::read(data, |_, _| {
        seen += 1;
        true
    }) {
        // Each record asked about is kept, but the one whose strings turned out broken.
        let broken = usize::from(log.stopped.is_some());
        assert!(log.records.len() == seen || log.records.len() + broken == seen);
        // The walk goes round the ring once: each record takes at least its 56-byte header.
        assert!(seen <= data.len() / 0x38 + 1);
        // And no record is read twice: the records kept cover the ring's bytes once, and a
        // record's source, computer and strings at most three times (UTF-16 gives at most 3
        // bytes of UTF-8 for 2).
        let text: usize = (log.records.iter())
            .map(|r| {
                r.source.len() + r.computer.len() + r.strings.iter().map(String::len).sum::<usize>()
            })
            .sum();
        assert!(
            text <= data.len() * 9 / 2,
            "{text} bytes of text from {}",
            data.len()
        );
    }
}

/// A ring: the 48-byte header, then records of sizes the input gives (each with the `LfLe`
/// signature, its size copied at its end, and the input's bytes inside), an end-of-file record,
/// and offsets in the header and end-of-file record taken from the input.
fn ring(input: &[u8]) -> Vec<u8> {
    let word = |i: usize| {
        let b = |j: usize| u32::from(input.get(i * 4 + j).copied().unwrap_or(0));
        b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24
    };
    let size = 0x30 + (word(0) as usize % 0x4000).max(0x100) / 4 * 4;
    let mut log = vec![0u8; size];
    let put = |log: &mut Vec<u8>, at: usize, v: u32| {
        if at + 4 <= log.len() {
            log[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
    };
    put(&mut log, 0, 0x30);
    log[4..8].copy_from_slice(b"LfLe");
    put(&mut log, 8, 1);
    put(&mut log, 12, 1);
    put(&mut log, 16, 0x30 + word(1) % (size as u32));
    put(&mut log, 20, word(2) % (size as u32 + 0x40));
    put(&mut log, 36, word(3) & 3);
    // Records from a start the input picks, wrapping round the end of the file.
    let mut at = 0x30 + (word(4) as usize % (size - 0x30)) / 4 * 4;
    let body = input.get(24..).unwrap_or_default();
    for i in 5..9 {
        let record = (0x38 + word(i) as usize % (2 * size)) / 4 * 4;
        for k in 0..record {
            let pos = 0x30 + (at - 0x30 + k) % (size - 0x30);
            log[pos] = body.get(k % body.len().max(1)).copied().unwrap_or(0);
        }
        let wrap = |k: usize| 0x30 + (at - 0x30 + k) % (size - 0x30);
        for (k, b) in (record as u32).to_le_bytes().into_iter().enumerate() {
            log[wrap(k)] = b;
            log[wrap(record - 4 + k)] = b;
        }
        for (k, b) in b"LfLe".iter().enumerate() {
            log[wrap(4 + k)] = *b;
        }
        at = wrap(record);
    }
    if word(9) & 1 == 1 && at + 0x28 <= size {
        let eof = [
            0x28,
            0x11111111,
            0x22222222,
            0x33333333,
            0x44444444,
            word(10),
            at as u32,
            1,
            1,
            0x28,
        ];
        for (k, v) in eof.into_iter().enumerate() {
            put(&mut log, at + 4 * k, v);
        }
    }
    log
}

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&ring(data));
});
