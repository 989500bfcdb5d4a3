//! `kbdiag collect IMAGE`: the facts of a disk image equal those of the folder it was made from
//! (examples/volumes/nt4-srp), in every container and file system; damaged images give located
//! errors, exit status 2 and no panic or hang, and are not written to. The images are
//! `tests/fixtures/images/` (made by its `make.sh`, `damage.py` and `ntfs12.py`), xz-compressed;
//! what each holds — partitions, installations, files with sizes and times, the damage — is read
//! from its `expected.json`, which the scripts wrote from the images themselves.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use common::{kbdiag, kbdiag_within, root, scratch, stderr, stdout};
use serde_json::Value;

const COLLECTED: &str = "2020-01-01T00:00:00Z";
const IMAGES: &str = "tests/fixtures/images";

/// `expected.json`'s entry for image `name`.
fn expected(name: &str) -> &'static Value {
    static ALL: OnceLock<Value> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let path = root().join(IMAGES).join("expected.json");
        serde_json::from_slice(&std::fs::read(&path).expect("expected.json")).unwrap()
    });
    let image = &all["images"][name];
    assert!(image.is_object(), "{name}: not in expected.json");
    image
}

fn unpack(name: &str) -> Vec<u8> {
    let path = root().join(IMAGES).join(format!("{name}.xz"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut &data[..], &mut out).expect("xz fixture");
    out
}

/// Image `name` unpacked into `dir`, with the extent file its descriptor names; its path.
fn place(dir: &Path, name: &str) -> PathBuf {
    if let Some(extent) = expected(name)["extent"].as_str() {
        std::fs::write(dir.join(extent), unpack(extent)).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, unpack(name)).unwrap();
    path
}

fn run(target: &Path) -> Output {
    kbdiag_within(
        120,
        &[
            "collect",
            "--collected",
            COLLECTED,
            target.to_str().unwrap(),
        ],
    )
}

fn documents(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `doc` with its volume's name (`disk.vmdk: partition 1`) replaced by `ROOT` and its files'
/// times taken out (they are checked against expected.json, the folder's being a checkout's).
fn normalized(doc: &Value, root_name: &str) -> Value {
    let text = serde_json::to_string(doc).unwrap();
    let named = text.replace(&root_name.replace('\\', "\\\\"), "ROOT");
    let mut doc: Value = serde_json::from_str(&named).unwrap();
    if let Some(files) = doc["files"].as_array_mut() {
        for f in files {
            let f = f.as_object_mut().unwrap();
            f.remove("modified");
            f.remove("modified_local");
        }
    }
    doc
}

/// The document of `collect examples/volumes/nt4-srp`, normalized.
fn folder() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let out = kbdiag_within(
            60,
            &[
                "collect",
                "--collected",
                COLLECTED,
                "examples/volumes/nt4-srp",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let docs = documents(&out);
        assert_eq!(docs.len(), 1);
        normalized(&docs[0], "examples/volumes/nt4-srp")
    })
}

/// The folder's document without the files named in `unreadable` (lower-case file names):
/// what an image whose copies of them cannot be read must still give.
fn folder_without(unreadable: &[String]) -> Value {
    let mut doc = folder().clone();
    let gone = |path: &str| {
        let name = path.rsplit(['\\', '/']).next().unwrap().to_lowercase();
        unreadable.contains(&name)
    };
    doc["files"]
        .as_array_mut()
        .unwrap()
        .retain(|f| !gone(f["path"].as_str().unwrap()));
    doc["collector"]["artifacts"]
        .as_array_mut()
        .unwrap()
        .retain(|a| !gone(a["path"].as_str().unwrap()));
    doc
}

/// An installation expected.json lists: its partition's number and file system, its folder and
/// its files.
struct Installation {
    partition: u64,
    file_system: String,
    folder: String,
    files: Vec<Value>,
}

fn installations(name: &str) -> Vec<Installation> {
    let mut out = Vec::new();
    for p in expected(name)["partitions"].as_array().unwrap() {
        for i in p["installations"].as_array().into_iter().flatten() {
            out.push(Installation {
                partition: p["index"].as_u64().unwrap(),
                file_system: p["file_system"].as_str().unwrap().to_owned(),
                folder: i["system_root"].as_str().unwrap().to_owned(),
                files: i["files"].as_array().unwrap().clone(),
            });
        }
    }
    out
}

/// Checks one document against its installation: its artifacts are below the installation's
/// folder on its partition; each file it gives has the size and time expected.json gives (NTFS:
/// `modified`, UTC; FAT16: no `modified`, `modified_local` with the zone unknown, and
/// `not_collected` saying so). Returns the document normalized, those notes taken out.
fn check_installation(shown: &str, doc: &Value, inst: &Installation) -> Value {
    let root_name = format!("{shown}: partition {}", inst.partition);
    let at = format!("{root_name}: {}", inst.folder);
    let under = format!("{root_name}/{}/", inst.folder);
    for a in doc["collector"]["artifacts"].as_array().unwrap() {
        let path = a["path"].as_str().unwrap();
        assert!(path.starts_with(&under), "{at}: artifact {path}");
    }
    let fat = inst.file_system.starts_with("fat");
    let mut checked = 0;
    for f in doc["files"].as_array().unwrap() {
        if f["exists"] == false {
            continue;
        }
        let path = f["path"].as_str().unwrap();
        let want = inst
            .files
            .iter()
            .find(|e| {
                let p = e["path"].as_str().unwrap();
                path.to_lowercase() == format!("c:\\{}", p.to_lowercase())
            })
            .unwrap_or_else(|| panic!("{at}: {path} is not in expected.json"));
        assert_eq!(f["size"], want["size"], "{at}: {path}: size");
        if fat {
            assert_eq!(want["time_zone"], "unknown", "{at}: {path}");
            assert!(f.get("modified").is_none(), "{at}: {path}: {f}");
            assert_eq!(f["modified_local"], want["modified_local"], "{at}: {path}");
        } else {
            assert_eq!(f["modified"], want["modified"], "{at}: {path}: modified");
            assert!(f.get("modified_local").is_none(), "{at}: {path}: {f}");
        }
        checked += 1;
    }
    let mut doc = normalized(doc, &root_name);
    let nc = doc["collector"]["not_collected"].as_array_mut().unwrap();
    let before = nc.len();
    nc.retain(|n| {
        let zone = n["fact"].as_str().unwrap().ends_with(" modified");
        if zone {
            let reason = n["reason"].as_str().unwrap();
            assert!(reason.contains("time's zone is unknown"), "{at}: {reason}");
        }
        !zone
    });
    if fat {
        assert_eq!(before - nc.len(), checked, "{at}: one note per file's time");
    } else {
        assert_eq!(before, nc.len(), "{at}: {nc:?}");
    }
    doc
}

/// Collects image `name`: one document per installation expected.json lists, in the order of
/// the partitions, each the folder's facts apart from its name and times; exit status 0.
fn check_good(name: &str) {
    let dir = scratch(&format!("images-{name}"));
    let image = place(&dir, name);
    let shown = image.display().to_string();
    let out = run(&image);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    let docs = documents(&out);
    let wanted = installations(name);
    assert_eq!(docs.len(), wanted.len(), "{name}: {}", stdout(&out));
    for (doc, inst) in docs.iter().zip(&wanted) {
        let got = check_installation(&shown, doc, inst);
        assert_eq!(
            &got,
            folder(),
            "{name}: partition {}: {}",
            inst.partition,
            inst.folder
        );
    }
}

#[test]
fn ntfs_in_every_container_gives_the_folders_facts() {
    for name in [
        "ntfs.raw",
        "ntfs-fixed.vhd",
        "ntfs-dynamic.vhd",
        "ntfs-sparse.vmdk",
        "ntfs-flat.vmdk",
        "ntfs.vdi",
        "ntfs.qcow2",
    ] {
        assert_eq!(expected(name)["partitions"][0]["ntfs_version"], "3.1");
        check_good(name);
    }
}

#[test]
fn fat16_in_every_container_gives_the_folders_facts_with_local_times() {
    for name in [
        "fat16.raw",
        "fat16-fixed.vhd",
        "fat16-dynamic.vhd",
        "fat16-sparse.vmdk",
        "fat16-flat.vmdk",
        "fat16.vdi",
        "fat16.qcow2",
    ] {
        check_good(name);
    }
}

/// NTFS 1.2's MFT record header (update sequence array at 0x2A) and 48-byte
/// `$STANDARD_INFORMATION`, in a 3.1 volume rewritten so (ntfs-versions.md).
#[test]
fn an_ntfs_1_2_layout_reads_as_3_1_does() {
    assert_eq!(
        expected("ntfs12.raw")["partitions"][0]["ntfs_version"],
        "1.2"
    );
    check_good("ntfs12.raw");
}

#[test]
fn a_gpt_disk_gives_its_installation_and_passes_over_its_data_partition() {
    assert_eq!(expected("gpt.raw")["partition_table"], "gpt");
    check_good("gpt.raw");
}

/// Partition 1 FAT16 and logical partition 5 NTFS each hold an installation (logical 6 only
/// data): two documents, named by partition, each with its own Security.dll (the 128-bit build,
/// of another date, on partition 5).
#[test]
fn extended_partitions_give_one_document_per_installation() {
    let wanted = installations("mbr-extended.raw");
    assert_eq!(
        wanted
            .iter()
            .map(|i| (i.partition, i.file_system.as_str()))
            .collect::<Vec<_>>(),
        [(1, "fat16"), (5, "ntfs")]
    );
    check_good("mbr-extended.raw");
    // Security.dll's times differ, and check_good compared each with its own installation's.
    let time = |i: &Installation| {
        let f = i
            .files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with("Security.dll"));
        let f = f.unwrap();
        f.get("modified")
            .or_else(|| f.get("modified_local"))
            .unwrap()
            .clone()
    };
    assert_ne!(time(&wanted[0]), time(&wanted[1]));
    let dir = scratch("images-mbr-extended-named");
    let image = place(&dir, "mbr-extended.raw");
    let text = stdout(&run(&image));
    let lines: Vec<&str> = text.lines().collect();
    let shown = image.display().to_string().replace('\\', "\\\\");
    assert!(lines[0].contains(&format!("{shown}: partition 1/WINNT/system32/Security.dll")));
    assert!(lines[1].contains(&format!("{shown}: partition 5/WINNT/system32/Security.dll")));
    assert!(lines[1].contains("\"modified\":\"1999-09-23T11:04:00Z\""));
}

#[test]
fn an_image_collects_into_eval() {
    let dir = scratch("images-eval");
    let image = place(&dir, "ntfs-sparse.vmdk");
    let out = run(&image);
    let eval = kbdiag(&["eval", "--format", "text", "-"], Some(&out.stdout));
    let text = stdout(&eval);
    assert!(text.contains("EXCH55-NT4"), "{text}{}", stderr(&eval));
    assert!(text.contains("KB322051"), "{text}");
}

/// Runs collect on a damaged image (built from `data` when given, else expected.json's image
/// `name`): exit status 2, each of `wanted` on standard error, no panic, the image unchanged.
/// Its documents.
fn damaged(name: &str, data: Option<Vec<u8>>, wanted: &[String]) -> Vec<Value> {
    let dir = scratch(&format!("images-damaged-{name}"));
    let image = match data {
        Some(d) => {
            let path = dir.join(name);
            std::fs::write(&path, d).unwrap();
            path
        }
        None => place(&dir, name),
    };
    let before = std::fs::read(&image).unwrap();
    let out = run(&image);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    let shown = image.display().to_string();
    for w in wanted {
        let w = format!("{shown}{w}");
        assert!(err.contains(&w), "{name}: wanted {w:?} in {err}");
    }
    assert!(
        std::fs::read(&image).unwrap() == before,
        "{name}: the image was written"
    );
    documents(&out)
}

/// The installation of a damaged image, whose files named in expected.json's `unreadable` are
/// not read: each is in `not_collected`, broken, with `why`; the rest is the folder's.
fn check_unreadable(name: &str, doc: &Value, why: &str) {
    let image = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("images-damaged-{name}"))
        .join(name);
    let shown = image.display().to_string();
    let inst = &installations(name)[0];
    let unreadable: Vec<String> = expected(name)["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_lowercase()
        })
        .collect();
    let mut got = check_installation(&shown, doc, inst);
    let nc = got["collector"]["not_collected"].as_array_mut().unwrap();
    for u in &unreadable {
        let at = nc
            .iter()
            .position(|n| n["fact"].as_str().unwrap().to_lowercase().ends_with(u))
            .unwrap_or_else(|| panic!("{name}: {u} not in not_collected: {nc:?}"));
        assert_eq!(nc[at]["broken"], true, "{name}: {}", nc[at]);
        let reason = nc[at]["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{name}: {reason}");
        nc.remove(at);
    }
    assert_eq!(got, folder_without(&unreadable), "{name}");
}

#[test]
fn a_cut_short_vmdk_names_the_grain_past_its_end_and_collects_the_rest() {
    let e = expected("bad-cut-short.vmdk");
    let d = &e["damage"];
    let docs = damaged(
        "bad-cut-short.vmdk",
        None,
        &[format!(
            ": partition 1/WINNT/system32/config/SOFTWARE: NTFS: MFT record 71: grain {} (disk \
             offset {}, file offset {}): ",
            d["cut_grain_disk_offset"].as_u64().unwrap() / d["grain_size"].as_u64().unwrap(),
            d["cut_grain_disk_offset"],
            d["cut_grain_file_offset"]
        )],
    );
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    let err = format!("past the end of the file ({} bytes)", d["file_size"]);
    let nc = doc["collector"]["not_collected"].as_array().unwrap();
    for hive in ["SOFTWARE hive", "SYSTEM hive"] {
        let n = nc.iter().find(|n| n["fact"] == hive).unwrap();
        assert_eq!(n["broken"], true);
        assert!(n["reason"].as_str().unwrap().contains(&err), "{n}");
    }
    // Without the hives: no OS, hotfixes or registry; the DLLs (their sizes and times from the
    // MFT, which is whole) and the log are read whole.
    assert!(
        doc.get("os").is_none() && doc.get("hotfixes").is_none(),
        "{doc}"
    );
    let shown = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("images-damaged-bad-cut-short.vmdk/bad-cut-short.vmdk")
        .display()
        .to_string();
    let got = normalized(doc, &format!("{shown}: partition 1"));
    assert_eq!(got["files"], folder()["files"]);
    assert_eq!(got["events"], folder()["events"]);
    let inst = &installations("bad-cut-short.vmdk")[0];
    for f in doc["files"].as_array().unwrap() {
        if let Some(t) = f["modified"].as_str() {
            let name = f["path"].as_str().unwrap().rsplit('\\').next().unwrap();
            let want = inst
                .files
                .iter()
                .find(|w| w["path"].as_str().unwrap().ends_with(&format!("\\{name}")));
            assert_eq!(want.unwrap()["modified"], t, "{name}");
        }
    }
}

#[test]
fn a_partition_past_the_disks_end_is_located_and_the_other_read() {
    let d = &expected("bad-partition-past-end.raw")["damage"];
    let docs = damaged(
        "bad-partition-past-end.raw",
        None,
        &[format!(
            ": partition 2: sectors {} to {} end past the disk's end ({} sectors)",
            d["start"], d["last"], d["disk_sectors"]
        )],
    );
    assert_eq!(docs.len(), 1);
    let image = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("images-damaged-bad-partition-past-end.raw/bad-partition-past-end.raw");
    let inst = &installations("bad-partition-past-end.raw")[0];
    let got = check_installation(&image.display().to_string(), &docs[0], inst);
    assert_eq!(&got, folder());
}

#[test]
fn an_mft_record_with_a_bad_fixup_is_located_and_the_rest_collected() {
    let name = "bad-mft-fixup.raw";
    let d = &expected(name)["damage"];
    let record = d["mft_record"].as_u64().unwrap();
    let docs = damaged(
        name,
        None,
        &[format!(
            ": partition 1/WINNT/system32/Security.dll: NTFS: MFT record {record}: Sector \
             corruption"
        )],
    );
    assert_eq!(docs.len(), 1);
    // Not read at all (neither its size nor its time from the folder's index): named so.
    check_unreadable(name, &docs[0], &format!("MFT record {record}: "));
}

#[test]
fn a_loop_in_a_files_cluster_chain_is_located_and_the_file_not_read() {
    let name = "bad-fat-loop.raw";
    let d = &expected(name)["damage"];
    let (first, looping) = (&d["first_cluster"], &d["looping_cluster"]);
    // The 4th cluster points back to the 1st: fatfs alone would read 1 to 4 over and over.
    assert_eq!(looping.as_u64().unwrap() - first.as_u64().unwrap(), 3);
    let why = format!(
        "FAT16: its cluster chain loops: cluster {looping}, the file's 4th, points back to \
         cluster {first}"
    );
    let docs = damaged(
        name,
        None,
        &[format!(": partition 1/WINNT/system32/Security.dll: {why}")],
    );
    assert_eq!(docs.len(), 1);
    check_unreadable(name, &docs[0], &why);
}

/// A folder's cluster chain that loops through deleted entries (which `fatfs` skips within one
/// step of its iterator, so no end-of-folder entry stops it) ends on the read budget.
#[test]
fn a_folder_looping_through_deleted_entries_ends_with_an_error() {
    let mut disk = unpack("fat16.raw");
    let start = expected("fat16.raw")["partitions"][0]["start"]
        .as_u64()
        .unwrap() as usize;
    let boot = start * 512;
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
    // system32's first cluster leads back to itself, and its free entries read as deleted.
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
        "fat-folder-loop.raw",
        Some(disk),
        &[": partition 1/WINNT/system32: FAT: read more than the operation may".into()],
    );
}

#[test]
fn a_file_no_format_names_is_refused_unless_forced() {
    let dir = scratch("images-unknown");
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, [7u8; 4096]).unwrap();
    let out = kbdiag(&["collect", junk.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let out = kbdiag(&["collect", "--image", junk.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("junk.bin: no partition table"), "{err}");
}

/// A small random walk through the fuzz target's ground: each container's and the partition
/// tables' bytes flipped at random (a fixed seed), read as the fuzz target reads them. No panic
/// (the partition reader is not guarded here, as in the fuzz target), and every partition lies
/// on its disk.
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
    for (name, extra) in [
        ("ntfs.raw", &[][..]),
        ("ntfs-fixed.vhd", &[]),
        ("ntfs-dynamic.vhd", &[]),
        ("ntfs-sparse.vmdk", &[]),
        ("ntfs.vdi", &[]),
        ("ntfs.qcow2", &[]),
        ("gpt.raw", &[]),
        // The extended boot records.
        ("mbr-extended.raw", &[40_960 * 512, 69_694 * 512][..]),
    ] {
        let original = unpack(name);
        // Headers and tables are at the start (and a VHD's footer, GPT's backup at the end).
        let hot = original.len().min(1 << 16);
        for _ in 0..100 {
            let mut data = original.clone();
            for _ in 0..1 + next() % 8 {
                let at = match next() % 8 {
                    0 | 1 => data.len() - 1 - (next() as usize % (34 * 512)),
                    2 if !extra.is_empty() => {
                        extra[next() as usize % extra.len()] + next() as usize % 512
                    }
                    _ => next() as usize % hot,
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

/// A FAT volume's local file times become UTC with the zone of the host's own SYSTEM hive
/// (`fat16-zone.raw`, made by `zone.sh`: fat16.raw with US Eastern in `TimeZoneInformation`):
/// a July time in daylight saving time (UTC-4), a November one in standard time (UTC-5).
#[test]
fn fat_times_become_utc_with_the_hive_s_time_zone() {
    let dir = scratch("image-zone");
    let path = dir.join("fat16-zone.raw");
    std::fs::write(&path, unpack("fat16-zone.raw")).unwrap();
    let o = run(&path);
    let docs = documents(&o);
    assert_eq!(docs.len(), 1, "{}", stderr(&o));
    let time = |name: &str| {
        let files = docs[0]["files"].as_array().unwrap();
        let f = (files.iter())
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap();
        assert!(f.get("modified_local").is_none(), "{f}");
        f["modified"].as_str().unwrap().to_owned()
    };
    // make.sh wrote 2001-07-16 12:05 and 1999-11-18 12:04 as the volume's local times.
    assert_eq!(time("Ntlmssps.dll"), "2001-07-16T16:05:00Z");
    assert_eq!(time("Schannel.dll"), "2001-07-16T16:05:00Z");
    assert_eq!(time("Security.dll"), "1999-11-18T17:04:00Z");
    let said = docs[0]["collector"]["artifacts"].to_string();
    assert!(said.contains("Bias 300 minutes"), "{said}");
    assert!(
        !docs[0]["collector"]["not_collected"]
            .to_string()
            .contains("zone is unknown"),
        "{}",
        docs[0]["collector"]["not_collected"]
    );
}
