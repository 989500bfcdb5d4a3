//! The hive reader on arbitrary bytes, and on a small well-formed hive whose offsets the fuzz
//! data points elsewhere: sub-key lists, value lists, parents and big-data segments naming
//! themselves, an ancestor or any other cell (the loops and shared lists of issue 25.4, the
//! values of 25.3, the short big data of 25.17b). Every key below the root is listed with its
//! values, or an error says where the hive is broken; no panic, no hang, and:
//! - a walk that succeeds meets each key once (keys form a tree: no cycle, no shared key);
//! - the work stays within the hive's budget, whatever the calls;
//! - a value's data is never longer than the reader allows.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;

use kbdiag::collect::regf::{Hive, Key};
use kbdiag::facts::registry::RegData;

/// Walks every key below `key`, each once when the hive is sound; `Err` at the first key the
/// reader refuses, after which the walk stops (the tree is not known any more).
fn walk(
    hive: &Hive,
    key: &Key,
    depth: usize,
    seen: &mut HashSet<usize>,
) -> Result<(), kbdiag::collect::regf::HiveError> {
    assert!(
        seen.insert(key.offset()),
        "key at {:#x} reached twice in one walk",
        key.offset()
    );
    if let Ok(values) = hive.values(key) {
        for (_, v) in values {
            if let RegData::Text(t) = v.value {
                // Binary is hex, text UTF-8 of UTF-16: at most 2 characters per byte read,
                // three bytes each; 1 MiB is the most data a value may have.
                assert!(t.len() <= 6 << 20, "{} bytes of text", t.len());
            }
        }
    }
    let _ = hive.value(key, "Installed");
    if depth == 64 {
        return Ok(());
    }
    for sub in hive.subkeys(key)? {
        walk(hive, &sub, depth + 1, seen)?;
    }
    Ok(())
}

fn check(data: Vec<u8>) {
    let len = data.len();
    let Ok(hive) = Hive::from_bytes(data) else {
        return;
    };
    let root = hive.root().expect("from_bytes checks the root");
    let _ = walk(&hive, &root, 0, &mut HashSet::new());
    // Lookups from the root again and again, as collect does: the same budget, not a new one.
    for _ in 0..4 {
        let _ = hive.key("A\\B\\C");
        let _ = hive.key("Microsoft\\Windows NT\\CurrentVersion");
    }
    let _ = walk(&hive, &root, 0, &mut HashSet::new());
    let (steps, bytes) = hive.spent();
    assert!(
        steps <= len.clamp(1 << 16, 1 << 24),
        "{steps} steps for {len} bytes"
    );
    assert!(
        bytes <= len.saturating_mul(2).clamp(4 << 20, 64 << 20),
        "{bytes} value bytes for {len} bytes"
    );
}

/// A small sound hive (root → A → B → C, lists of each kind, values resident, in a cell and in
/// big data), and where its offsets are: the places the fuzz data may point elsewhere.
struct Template {
    hive: Vec<u8>,
    /// File offsets of the offset fields (list entries, parents, value lists, data, segments).
    pointers: Vec<usize>,
    /// Cell offsets (relative to the bins) a pointer may be set to.
    cells: Vec<u32>,
}

fn template() -> Template {
    let mut bins = vec![0u8; 0x20];
    bins[..4].copy_from_slice(b"hbin");
    let mut t = Template {
        hive: Vec::new(),
        pointers: Vec::new(),
        cells: Vec::new(),
    };
    let cell = |bins: &mut Vec<u8>, t: &mut Template, data: &[u8]| -> u32 {
        let at = bins.len() as u32;
        let size = (4 + data.len()).next_multiple_of(8);
        bins.extend_from_slice(&(-(size as i32)).to_le_bytes());
        bins.extend_from_slice(data);
        bins.resize(at as usize + size, 0);
        t.cells.push(at);
        at
    };
    let put = |bins: &mut Vec<u8>, at: usize, v: u32| {
        bins[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };
    // Keys first, their lists after: parent offsets are known when a key is written.
    let mut keys: Vec<u32> = Vec::new();
    for (i, name) in ["ROOT", "A", "B", "C"].iter().enumerate() {
        let mut nk = vec![0u8; 0x4c];
        nk[..2].copy_from_slice(b"nk");
        nk[2] = if i == 0 { 0x2c } else { 0x20 };
        let parent = if i == 0 { u32::MAX } else { keys[i - 1] };
        nk[0x10..0x14].copy_from_slice(&parent.to_le_bytes());
        nk[0x48] = name.len() as u8;
        nk.extend_from_slice(name.as_bytes());
        let at = cell(&mut bins, &mut t, &nk);
        t.pointers.push(at as usize + 4 + 0x10);
        keys.push(at);
    }
    // Values: a resident DWORD, a REG_SZ in its own cell, a two-segment big-data binary.
    let installed = {
        let mut vk = vec![0u8; 0x14];
        vk[..2].copy_from_slice(b"vk");
        vk[2] = 9;
        vk[4..8].copy_from_slice(&0x8000_0004u32.to_le_bytes());
        vk[8..0xc].copy_from_slice(&1u32.to_le_bytes());
        vk[0xc] = 4;
        vk[0x10] = 1;
        vk.extend_from_slice(b"Installed");
        cell(&mut bins, &mut t, &vk)
    };
    let text: Vec<u8> = "Service Pack 6\0"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let text_cell = cell(&mut bins, &mut t, &text);
    let sz = {
        let mut vk = vec![0u8; 0x14];
        vk[..2].copy_from_slice(b"vk");
        vk[2] = 10;
        vk[4..8].copy_from_slice(&(text.len() as u32).to_le_bytes());
        vk[8..0xc].copy_from_slice(&text_cell.to_le_bytes());
        vk[0xc] = 1;
        vk[0x10] = 1;
        vk.extend_from_slice(b"CSDVersion");
        let at = cell(&mut bins, &mut t, &vk);
        t.pointers.push(at as usize + 4 + 8);
        at
    };
    let segments = [
        cell(&mut bins, &mut t, &[0x5a; 16_344]),
        cell(&mut bins, &mut t, &[0xa5; 100]),
    ];
    let seg_list = cell(
        &mut bins,
        &mut t,
        &segments
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    t.pointers
        .extend([seg_list as usize + 4, seg_list as usize + 8]);
    let db = {
        let mut db = b"db".to_vec();
        db.extend_from_slice(&2u16.to_le_bytes());
        db.extend_from_slice(&seg_list.to_le_bytes());
        let at = cell(&mut bins, &mut t, &db);
        t.pointers.push(at as usize + 4 + 4);
        at
    };
    let big = {
        let mut vk = vec![0u8; 0x14];
        vk[..2].copy_from_slice(b"vk");
        vk[2] = 6;
        vk[4..8].copy_from_slice(&(16_344u32 + 100).to_le_bytes());
        vk[8..0xc].copy_from_slice(&db.to_le_bytes());
        vk[0xc] = 3;
        vk[0x10] = 1;
        vk.extend_from_slice(b"Policy");
        let at = cell(&mut bins, &mut t, &vk);
        t.pointers.push(at as usize + 4 + 8);
        at
    };
    // Each key's values, and its one sub-key in a list of another kind each time.
    for (i, &key) in keys.iter().enumerate() {
        let values = [installed, sz, big];
        let list = cell(
            &mut bins,
            &mut t,
            &values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<_>>(),
        );
        t.pointers.extend((0..3).map(|j| list as usize + 4 + 4 * j));
        put(&mut bins, key as usize + 4 + 0x24, 3);
        put(&mut bins, key as usize + 4 + 0x28, list);
        t.pointers.push(key as usize + 4 + 0x28);
        let Some(&child) = keys.get(i + 1) else {
            put(&mut bins, key as usize + 4 + 0x1c, u32::MAX);
            continue;
        };
        let mut leaf = if i == 1 {
            b"li".to_vec()
        } else {
            b"lf".to_vec()
        };
        leaf.extend_from_slice(&1u16.to_le_bytes());
        leaf.extend_from_slice(&child.to_le_bytes());
        if i != 1 {
            leaf.extend_from_slice(&[0; 4]);
        }
        let leaf_at = cell(&mut bins, &mut t, &leaf);
        t.pointers.push(leaf_at as usize + 4 + 4);
        let list = if i == 2 {
            let mut ri = b"ri".to_vec();
            ri.extend_from_slice(&1u16.to_le_bytes());
            ri.extend_from_slice(&leaf_at.to_le_bytes());
            let at = cell(&mut bins, &mut t, &ri);
            t.pointers.push(at as usize + 4 + 4);
            at
        } else {
            leaf_at
        };
        put(&mut bins, key as usize + 4 + 0x14, 1);
        put(&mut bins, key as usize + 4 + 0x1c, list);
        t.pointers.push(key as usize + 4 + 0x1c);
    }
    let size = bins.len().next_multiple_of(0x1000);
    let free = size - bins.len();
    bins.extend_from_slice(&(free as i32).to_le_bytes());
    bins.resize(size, 0);
    put(&mut bins, 8, size as u32);
    let mut hive = vec![0u8; 0x1000];
    hive[..4].copy_from_slice(b"regf");
    hive[0x14] = 1;
    hive[0x18] = 5;
    hive[0x24..0x28].copy_from_slice(&keys[0].to_le_bytes());
    hive.extend_from_slice(&bins);
    t.pointers.iter_mut().for_each(|p| *p += 0x1000);
    t.hive = hive;
    t
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        // Patches to the template, three bytes each: which offset field, and which cell it
        // names now (itself, an ancestor, a list, anything), or past the cells the two bytes
        // themselves: an offset into the middle of a cell.
        Some((0, patches)) => {
            let t = template();
            if patches.len() < 3 {
                // The template itself is sound: every key and value reads.
                let hive = Hive::from_bytes(t.hive.clone()).expect("the template is a hive");
                let mut seen = HashSet::new();
                walk(&hive, &hive.root().unwrap(), 0, &mut seen).expect("the template reads");
                assert_eq!(seen.len(), 4);
                let c = hive.key("A\\B\\C").unwrap().expect("A\\B\\C");
                assert_eq!(hive.values(&c).unwrap().len(), 3);
            }
            let mut hive = t.hive.clone();
            for p in patches.chunks_exact(3).take(64) {
                let at = t.pointers[p[0] as usize % t.pointers.len()];
                let pick = u16::from_le_bytes([p[1], p[2]]) as usize;
                let value = match t.cells.get(pick % (t.cells.len() + 8)) {
                    Some(&cell) => cell,
                    None => pick as u32,
                };
                hive[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
            check(hive);
        }
        _ => check(data.to_vec()),
    }
});
