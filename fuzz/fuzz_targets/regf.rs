//! The hive reader on arbitrary bytes: every key below the root is listed with its values, or an
//! error says where the hive is broken; no panic, no hang (sub-key cycles are errors).
#![no_main]

use libfuzzer_sys::fuzz_target;

use kbdiag::collect::regf::{Hive, Key};

fn walk(hive: &Hive, key: &Key, depth: usize, budget: &mut usize) {
    if depth > 16 || *budget == 0 {
        return;
    }
    *budget -= 1;
    let _ = hive.values(key);
    if let Ok(subkeys) = hive.subkeys(key) {
        for k in subkeys.iter().take(64) {
            walk(hive, k, depth + 1, budget);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(hive) = Hive::from_bytes(data.to_vec()) {
        let root = hive.root().expect("from_bytes checks the root");
        walk(&hive, &root, 0, &mut 10_000);
        let _ = hive.key("Microsoft\\Windows NT\\CurrentVersion");
    }
});
