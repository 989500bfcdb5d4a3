//! The legacy event log reader on arbitrary bytes: records or an error, no panic, no hang; every
//! record it keeps is one it was shown.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut seen = 0usize;
    if let Ok(log) = kbdiag::collect::evt::read(data, |_, _| {
        seen += 1;
        true
    }) {
        assert_eq!(log.records.len(), seen);
        // Each record takes at least its 56-byte header.
        assert!(seen <= data.len() / 0x38 + 1);
    }
});
