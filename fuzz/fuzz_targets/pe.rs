//! The PE version-resource reader on arbitrary bytes: a version, none, or an error; no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kbdiag::collect::pe::version_info(data);
});
