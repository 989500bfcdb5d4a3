//! `kbdiag collect IMAGE`: the facts of a disk image equal those of the folder it was made from
//! (examples/volumes/nt4-srp), in every container and file system; damaged images give located
//! errors, exit status 2 and no panic or hang. The images are in
//! `tests/fixtures/image-dev/` (made by its `make.sh`), xz-compressed; fixed VHD and
//! monolithicFlat VMDK are made here from the raw disk, and the damaged ones by patching it.

mod common;

use std::path::{Path, PathBuf};

use common::{kbdiag, kbdiag_within, root, scratch, stderr, stdout};
use serde_json::Value;

const COLLECTED: &str = "2020-01-01T00:00:00Z";

fn unpack(name: &str) -> Vec<u8> {
    let path = root()
        .join("tests/fixtures/image-dev")
        .join(format!("{name}.xz"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut &data[..], &mut out).expect("xz fixture");
    out
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// The one document `collect` writes for `target`, with `root` (its volume's name) replaced.
fn collect(target: &str, root_name: &str) -> Value {
    let out = kbdiag_within(60, &["collect", "--collected", COLLECTED, target]);
    assert_eq!(out.status.code(), Some(0), "{target}: {}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let named = text.replace(&root_name.replace('\\', "\\\\"), "ROOT");
    serde_json::from_str(&named).unwrap()
}

fn folder() -> Value {
    collect("examples/volumes/nt4-srp", "examples/volumes/nt4-srp")
}

/// `doc` without its files' times, and the times.
fn without_times(mut doc: Value) -> (Value, Vec<Value>) {
    let mut times = Vec::new();
    for f in doc["files"].as_array_mut().unwrap() {
        let f = f.as_object_mut().unwrap();
        times.push(Value::Array(vec![
            f.remove("modified").unwrap_or(Value::Null),
            f.remove("modified_local").unwrap_or(Value::Null),
        ]));
    }
    (doc, times)
}

fn fixed_vhd(raw: &[u8]) -> Vec<u8> {
    let mut footer = [0u8; 512];
    footer[..8].copy_from_slice(b"conectix");
    footer[8..12].copy_from_slice(&2u32.to_be_bytes());
    footer[12..16].copy_from_slice(&0x0001_0000u32.to_be_bytes());
    footer[16..24].copy_from_slice(&u64::MAX.to_be_bytes());
    footer[40..48].copy_from_slice(&(raw.len() as u64).to_be_bytes());
    footer[48..56].copy_from_slice(&(raw.len() as u64).to_be_bytes());
    footer[60..64].copy_from_slice(&2u32.to_be_bytes());
    let mut out = raw.to_vec();
    out.extend_from_slice(&footer);
    out
}

fn flat_vmdk(dir: &Path, raw: &[u8]) -> PathBuf {
    write(dir, "disk-flat.vmdk", raw);
    let descriptor = format!(
        "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n\
         createType=\"monolithicFlat\"\n\n# Extent description\nRW {} FLAT \"disk-flat.vmdk\" 0\n",
        raw.len() / 512
    );
    write(dir, "disk.vmdk", descriptor.as_bytes())
}

#[test]
fn every_container_and_file_system_gives_the_folders_facts() {
    let dir = scratch("images-same");
    let (expected, _) = without_times(folder());
    let ntfs = unpack("ntfs.img");
    let fat = unpack("fat.img");
    let mut targets = vec![
        write(&dir, "ntfs.img", &ntfs),
        write(&dir, "ntfs-fixed.vhd", &fixed_vhd(&ntfs)),
        flat_vmdk(&dir, &ntfs),
        write(&dir, "fat.img", &fat),
    ];
    for name in [
        "ntfs.vmdk",
        "ntfs.qcow2",
        "ntfs.vdi",
        "ntfs-dynamic.vhd",
        "fat.vmdk",
    ] {
        targets.push(write(&dir, name, &unpack(name)));
    }
    for target in &targets {
        let shown = target.display().to_string();
        let is_fat = shown.contains("fat");
        let doc = collect(&shown, &format!("{shown}: partition 1"));
        let (mut got, times) = without_times(doc);
        for t in times.iter().filter(|t| !(t[0].is_null() && t[1].is_null())) {
            if is_fat {
                // No TimeZoneInformation in the example's SYSTEM hive: local time, zone unknown.
                assert!(t[0].is_null(), "{shown}: {t}");
                assert!(t[1].as_str().is_some_and(|s| s.len() == 19), "{shown}: {t}");
            } else {
                assert!(
                    t[0].as_str().is_some_and(|s| s.ends_with('Z')),
                    "{shown}: {t}"
                );
            }
        }
        if is_fat {
            let nc = got["collector"]["not_collected"].as_array_mut().unwrap();
            let before = nc.len();
            nc.retain(|n| !n["fact"].as_str().unwrap().ends_with(" modified"));
            assert_eq!(before - nc.len(), 3, "{shown}: one per file");
        }
        assert_eq!(got, expected, "{shown}");
    }
}

#[test]
fn an_image_collects_into_eval() {
    let dir = scratch("images-eval");
    let image = write(&dir, "ntfs.vmdk", &unpack("ntfs.vmdk"));
    let out = kbdiag_within(
        60,
        &["collect", "--collected", COLLECTED, image.to_str().unwrap()],
    );
    let eval = kbdiag(&["eval", "--format", "text", "-"], Some(&out.stdout));
    let text = stdout(&eval);
    assert!(text.contains("EXCH55-NT4"), "{text}{}", stderr(&eval));
    assert!(text.contains("KB322051"), "{text}");
}

#[test]
fn two_installations_give_two_documents_named_by_partition() {
    let dir = scratch("images-two");
    let mut disk = unpack("ntfs.img");
    // A second MBR entry for the same NTFS volume.
    let first: Vec<u8> = disk[446..462].to_vec();
    disk[462..478].copy_from_slice(&first);
    let image = write(&dir, "two.img", &disk);
    let out = kbdiag_within(
        60,
        &["collect", "--collected", COLLECTED, image.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("two.img: partition 1/WINNT/system32/config/SOFTWARE"));
    assert!(text.contains("two.img: partition 2/WINNT/system32/config/SOFTWARE"));
}

/// Runs collect on a damaged image: exit status 2, the located error on standard error.
fn damaged(name: &str, data: &[u8], wanted: &[&str]) -> String {
    let dir = scratch(&format!("images-damaged-{name}"));
    let image = write(&dir, name, data);
    let before = std::fs::read(&image).unwrap();
    let out = kbdiag_within(
        60,
        &["collect", "--collected", COLLECTED, image.to_str().unwrap()],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    for w in wanted {
        assert!(err.contains(w), "{name}: wanted {w:?} in {err}");
    }
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "{name}: the image was written"
    );
    stdout(&out)
}

#[test]
fn a_cut_short_vmdk_names_what_is_past_its_end_and_collects_the_rest() {
    let mut vmdk = unpack("ntfs.vmdk");
    vmdk.truncate(vmdk.len() / 2);
    let doc = damaged(
        "cut.vmdk",
        &vmdk,
        &[
            "cut.vmdk: partition 1/WINNT/system32/config/SOFTWARE: NTFS: MFT record",
            "cut short",
        ],
    );
    // The SYSTEM hive was still read: the host is named.
    assert!(doc.contains("\"host\":\"EXCH55-NT4\""), "{doc}");
}

#[test]
fn a_partition_past_the_disks_end_is_located() {
    let mut disk = unpack("ntfs.img");
    disk[446 + 12..446 + 16].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    let doc = damaged(
        "past-end.img",
        &disk,
        &[
            "past-end.img: partition 1: sectors 2048 to",
            "not on the disk (98304 sectors)",
        ],
    );
    assert!(doc.is_empty());
}

/// The byte offset of MFT record `n` in the NTFS disk (partition from sector 2048).
fn mft_record(disk: &[u8], n: usize) -> usize {
    let boot = 2048 * 512;
    let cluster = usize::from(disk[boot + 13]) * 512;
    let mft = u64::from_le_bytes(disk[boot + 0x30..boot + 0x38].try_into().unwrap()) as usize;
    boot + mft * cluster + n * 1024
}

#[test]
fn an_mft_record_with_a_bad_fixup_is_located_and_the_rest_collected() {
    let mut disk = unpack("ntfs.img");
    // Find the record of Ntlmssps.dll: the FILE record naming it.
    let name: Vec<u8> = "Ntlmssps.dll"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let record = (16..256)
        .find(|&n| {
            let at = mft_record(&disk, n);
            // In use, not a folder (whose index names the file too).
            &disk[at..at + 4] == b"FILE"
                && disk[at + 0x16] & 2 == 0
                && disk[at..at + 1024].windows(name.len()).any(|w| w == name)
        })
        .expect("Ntlmssps.dll's record");
    let at = mft_record(&disk, record);
    disk[at + 510] ^= 0xFF;
    let doc = damaged(
        "bad-fixup.img",
        &disk,
        &[
            &format!("Ntlmssps.dll: NTFS: MFT record {record}: "),
            "Update Sequence",
        ],
    );
    assert!(doc.contains("Security.dll"), "{doc}");
}

#[test]
fn a_looping_cluster_chain_ends_with_an_error() {
    let mut disk = unpack("fat.img");
    let boot = 2048 * 512;
    let u16_at = |d: &[u8], o: usize| usize::from(u16::from_le_bytes([d[o], d[o + 1]]));
    let (sector, per_cluster) = (u16_at(&disk, boot + 11), usize::from(disk[boot + 13]));
    let reserved = u16_at(&disk, boot + 14);
    let fats = usize::from(disk[boot + 16]);
    let root_entries = u16_at(&disk, boot + 17);
    let fat_sectors = u16_at(&disk, boot + 22);
    let fat = boot + reserved * sector;
    let root_dir = fat + fats * fat_sectors * sector;
    let data = root_dir + root_entries * 32;
    let cluster_bytes = sector * per_cluster;
    let entry = |d: &[u8], dir: usize, name: &[u8]| {
        (0..cluster_bytes / 32)
            .map(|i| dir + 32 * i)
            .find(|&e| &d[e..e + 11] == name)
            .map(|e| u16_at(d, e + 26))
            .unwrap()
    };
    let winnt = entry(&disk, root_dir, b"WINNT      ");
    let system32 = entry(&disk, data + (winnt - 2) * cluster_bytes, b"SYSTEM32   ");
    // system32's one cluster leads back to itself, and its free entries read as deleted, so no
    // end-of-folder entry stops the walk.
    for f in 0..fats {
        let at = fat + f * fat_sectors * sector + 2 * system32;
        disk[at..at + 2].copy_from_slice(&(system32 as u16).to_le_bytes());
    }
    let dir = data + (system32 - 2) * cluster_bytes;
    for i in 0..cluster_bytes / 32 {
        if disk[dir + 32 * i] == 0 {
            disk[dir + 32 * i] = 0xE5;
        }
    }
    damaged(
        "fat-loop.img",
        &disk,
        &["fat-loop.img: partition 1/WINNT/system32: FAT: read more than the operation may"],
    );
}

#[test]
fn a_file_no_format_names_is_refused_unless_forced() {
    let dir = scratch("images-unknown");
    let junk = write(&dir, "junk.bin", &[7u8; 4096]);
    let out = kbdiag(&["collect", junk.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let out = kbdiag(&["collect", "--image", junk.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("junk.bin: no partition table"), "{err}");
}

/// A small random walk through the fuzz target's ground: each container's and the partition
/// table's bytes flipped at random (a fixed seed), read as the fuzz target reads them. No panic,
/// and every partition lies on its disk.
#[test]
fn containers_and_partition_tables_with_flipped_bytes_neither_panic_nor_stray() {
    use kbdiag::collect::image::{self, Source};
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in [
        "ntfs.img",
        "ntfs.vmdk",
        "ntfs.qcow2",
        "ntfs.vdi",
        "ntfs-dynamic.vhd",
    ] {
        let original = unpack(name);
        // Headers and tables are at the start (and a VHD's footer at the end).
        let hot = original.len().min(1 << 16);
        for _ in 0..100 {
            let mut data = original.clone();
            for _ in 0..1 + next() % 8 {
                let at = if next() % 4 == 0 {
                    data.len() - 1 - (next() as usize % 512)
                } else {
                    next() as usize % hot
                };
                data[at] = next() as u8;
            }
            let mut source = Source::from_bytes(data);
            let Some(kind) = image::detect(&mut source) else {
                continue;
            };
            let Ok(mut disk) = image::open_disk(source, kind, None) else {
                continue;
            };
            let size = disk.size();
            if let Ok((parts, _)) = image::partitions(&mut *disk) {
                let mut sector = [0u8; 512];
                for p in &parts {
                    assert!(p.start + p.len <= size, "{name}: {p:?}");
                    let _ = disk.read_at(p.start, &mut sector);
                }
            }
        }
    }
}
