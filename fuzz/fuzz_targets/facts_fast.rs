//! The fast JSON fact reader against serde_json's on arbitrary text: whenever the fast reader
//! answers, serde_json gives the same facts, every list's value or error included.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(quick) = kbdiag::facts::fast::read(text) {
        let full = kbdiag::facts::read_json_full(text)
            .unwrap_or_else(|e| panic!("the fast reader accepted what serde_json refuses: {e}"));
        assert_eq!(quick.describe_all(), full.describe_all());
    }
});
