//! The disk-image container readers (raw, VHD, VMDK, VDI, qcow2) and the partition table reader
//! on arbitrary bytes: a disk or an error, partitions or an error, and every read of a
//! partition's sectors within the disk or an error; no panic, no read past the disk.
#![no_main]

use kbdiag::collect::image::{self, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut source = Source::from_bytes(data.to_vec());
    let Some(kind) = image::detect(&mut source) else {
        return;
    };
    let Ok(mut disk) = image::open_disk(source, kind, None) else {
        return;
    };
    let size = disk.size();
    let Ok((parts, _errors)) = image::partitions(&mut *disk) else {
        return;
    };
    let mut sector = [0u8; 512];
    for p in parts.iter().take(16) {
        assert!(p.start + p.len <= size, "{p:?} past the disk's {size} bytes");
        // The first and last sectors of each partition, as a file system's reader would ask.
        for at in [p.start, (p.start + p.len).saturating_sub(512)] {
            if at + 512 <= size {
                let _ = disk.read_at(at, &mut sector);
            }
        }
    }
});
