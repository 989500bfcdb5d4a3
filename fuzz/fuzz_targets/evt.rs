//! The legacy event log reader on arbitrary bytes: records or an error, no panic, no hang; every
//! record asked about is kept, but the one where reading stopped.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut seen = 0usize;
    if let Ok(log) = kbdiag::collect::evt::read(data, |_, _| {
        seen += 1;
        true
    }) {
        // Each record asked about is kept, but the one whose strings turned out broken.
        let broken = usize::from(log.stopped.is_some());
        assert!(log.records.len() == seen || log.records.len() + broken == seen);
        // Each record takes at least its 56-byte header.
        assert!(seen <= data.len() / 0x38 + 1);
    }
});
