//! `.evtx` reading (the evtx crate and kbdiag's conversion) on arbitrary bytes: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kbdiag::collect::evtx::read(data.to_vec(), |_| true);
});
