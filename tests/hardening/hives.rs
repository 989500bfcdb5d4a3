//! Hardening round 3 (hives): each attack of issue 25 on the registry hive reader, and issue 24's
//! `/` in a key name, as a regression test. The hostile hives are built here, cell by cell.

use std::collections::BTreeMap;
use std::path::Path;

use super::common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};

const COLLECTED: &str = "2026-11-28T10:00:00Z";

/// A hive written cell by cell (regf 1.5, one hive bin). Keys list the sub-keys and values given
/// to them in that order, duplicates and loops included: that is the point.
struct Builder {
    /// The hive bins, from the bin header on: a cell's offset is its index here.
    bins: Vec<u8>,
    subkeys: BTreeMap<u32, Vec<u32>>,
    values: BTreeMap<u32, Vec<u32>>,
}

const REG_SZ: u32 = 1;
const REG_BINARY: u32 = 3;
const REG_DWORD: u32 = 4;

impl Builder {
    fn new() -> Builder {
        let mut bins = vec![0u8; 0x20];
        bins[..4].copy_from_slice(b"hbin");
        Builder {
            bins,
            subkeys: BTreeMap::new(),
            values: BTreeMap::new(),
        }
    }

    fn put(&mut self, at: u32, v: u32) {
        let at = at as usize;
        self.bins[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// An allocated cell holding `data`; its offset.
    fn cell(&mut self, data: &[u8]) -> u32 {
        let at = self.bins.len() as u32;
        let size = (4 + data.len()).next_multiple_of(8);
        self.bins.extend_from_slice(&(-(size as i32)).to_le_bytes());
        self.bins.extend_from_slice(data);
        self.bins.resize(at as usize + size, 0);
        at
    }

    /// A key named `name` below `parent` (`None` for the root).
    fn key(&mut self, parent: Option<u32>, name: &str) -> u32 {
        let mut nk = vec![0u8; 0x4c];
        nk[..2].copy_from_slice(b"nk");
        let flags: u16 = if parent.is_none() { 0x2c } else { 0x20 };
        nk[2..4].copy_from_slice(&flags.to_le_bytes());
        nk[0x10..0x14].copy_from_slice(&parent.unwrap_or(u32::MAX).to_le_bytes());
        for field in [0x1c, 0x20, 0x28, 0x2c, 0x30] {
            nk[field..field + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        nk[0x48..0x4a].copy_from_slice(&(name.len() as u16).to_le_bytes());
        nk.extend_from_slice(name.as_bytes());
        let at = self.cell(&nk);
        if let Some(p) = parent {
            self.subkeys.entry(p).or_default().push(at);
        }
        at
    }

    /// The keys of a `\`-separated path below `from`, made as needed; the last one.
    fn path(&mut self, from: u32, path: &str) -> u32 {
        let mut at = from;
        for part in path.split('\\') {
            let found = self.subkeys.get(&at).and_then(|subs| {
                subs.iter().copied().find(|&s| {
                    let len = u16::from_le_bytes([
                        self.bins[s as usize + 4 + 0x48],
                        self.bins[s as usize + 4 + 0x49],
                    ]) as usize;
                    let name = s as usize + 4 + 0x4c;
                    &self.bins[name..name + len] == part.as_bytes()
                })
            });
            at = match found {
                Some(k) => k,
                None => self.key(Some(at), part),
            };
        }
        at
    }

    /// A value cell declaring `size` bytes of data at `data` (no data cell written).
    fn value_cell(&mut self, name: &str, kind: u32, size: u32, data: u32) -> u32 {
        let mut vk = vec![0u8; 0x14];
        vk[..2].copy_from_slice(b"vk");
        vk[2..4].copy_from_slice(&(name.len() as u16).to_le_bytes());
        vk[4..8].copy_from_slice(&size.to_le_bytes());
        vk[8..0xc].copy_from_slice(&data.to_le_bytes());
        vk[0xc..0x10].copy_from_slice(&kind.to_le_bytes());
        vk[0x10] = 1; // compressed (Latin-1) name
        vk.extend_from_slice(name.as_bytes());
        self.cell(&vk)
    }

    /// A value of `key` with its data (in the value cell when four bytes or fewer, as Windows
    /// writes it).
    fn value(&mut self, key: u32, name: &str, kind: u32, data: &[u8]) -> u32 {
        let vk = if data.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..data.len()].copy_from_slice(data);
            let size = data.len() as u32 | 0x8000_0000;
            self.value_cell(name, kind, size, u32::from_le_bytes(inline))
        } else {
            let cell = self.cell(data);
            self.value_cell(name, kind, data.len() as u32, cell)
        };
        self.values.entry(key).or_default().push(vk);
        vk
    }

    fn text(&mut self, key: u32, name: &str, text: &str) -> u32 {
        let data: Vec<u8> = text
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        self.value(key, name, REG_SZ, &data)
    }

    /// The base block and the bins, every key's lists written.
    fn finish(mut self, root: u32) -> Vec<u8> {
        for (key, subs) in std::mem::take(&mut self.subkeys) {
            let mut lf = b"lf".to_vec();
            lf.extend_from_slice(&(subs.len() as u16).to_le_bytes());
            for s in &subs {
                lf.extend_from_slice(&s.to_le_bytes());
                lf.extend_from_slice(&[0; 4]);
            }
            let list = self.cell(&lf);
            self.put(key + 4 + 0x14, subs.len() as u32);
            self.put(key + 4 + 0x1c, list);
        }
        for (key, values) in std::mem::take(&mut self.values) {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let list = self.cell(&bytes);
            self.put(key + 4 + 0x24, values.len() as u32);
            self.put(key + 4 + 0x28, list);
        }
        let size = self.bins.len().next_multiple_of(0x1000);
        // The rest of the bin is one free cell.
        let free = size - self.bins.len();
        if free > 0 {
            self.bins.extend_from_slice(&(free as i32).to_le_bytes());
            self.bins.resize(size, 0);
        }
        let size = size as u32;
        self.put(8, size);
        let mut base = vec![0u8; 0x1000];
        base[..4].copy_from_slice(b"regf");
        for (at, v) in [
            (4, 1),
            (8, 1),
            (0x14, 1),
            (0x18, 5),
            (0x20, 1),
            (0x24, root),
            (0x28, size),
            (0x2c, 1),
        ] {
            base[at..at + 4].copy_from_slice(&u32::to_le_bytes(v));
        }
        let sum = (0..0x1fc).step_by(4).fold(0u32, |x, at| {
            x ^ u32::from_le_bytes(base[at..at + 4].try_into().unwrap())
        });
        base[0x1fc..0x200].copy_from_slice(&sum.to_le_bytes());
        base.extend_from_slice(&self.bins);
        base
    }
}

/// A Windows XP SOFTWARE hive: version, one hotfix, one application; `Microsoft\Updates` is
/// made by `updates` below its parent's offset.
fn software(updates: impl FnOnce(&mut Builder, u32)) -> Vec<u8> {
    let mut b = Builder::new();
    let root = b.key(None, "ROOT");
    let cv = b.path(root, "Microsoft\\Windows NT\\CurrentVersion");
    b.text(cv, "CurrentVersion", "5.1");
    b.text(cv, "CurrentBuildNumber", "2600");
    b.text(cv, "CSDVersion", "Service Pack 2");
    b.text(cv, "ProductName", "Microsoft Windows XP");
    b.text(cv, "SystemRoot", "C:\\WINDOWS");
    let fix = b.path(cv, "Hotfix\\Q123456");
    b.value(fix, "Installed", REG_DWORD, &1u32.to_le_bytes());
    let app = b.path(
        root,
        "Microsoft\\Windows\\CurrentVersion\\Uninstall\\Widget",
    );
    b.text(app, "DisplayName", "Widget Server");
    b.text(app, "DisplayVersion", "3.2");
    let microsoft = b.path(root, "Microsoft");
    updates(&mut b, microsoft);
    b.finish(root)
}

fn collect_software(dir: &Path, hive: &[u8]) -> std::process::Output {
    let path = dir.join("SOFTWARE");
    std::fs::write(&path, hive).unwrap();
    kbdiag_within(
        10,
        &[
            "collect",
            "--software",
            path.to_str().unwrap(),
            "--host",
            "H",
            "--collected",
            COLLECTED,
        ],
    )
}

fn document(o: &std::process::Output) -> serde_json::Value {
    let lines = ndjson(o);
    assert_eq!(lines.len(), 1, "one document: {}", stdout(o));
    lines.into_iter().next().unwrap()
}

/// The `not_collected` entries of `doc` for `fact`, as text.
fn not_collected(doc: &serde_json::Value, fact: &str) -> Vec<String> {
    doc["collector"]["not_collected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["fact"] == fact)
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn the_builder_s_hive_reads_as_regfexport_reads_it_when_installed() {
    // The hostile hives below are made by `Builder`: check it against an independent reader
    // where one is installed (libregf-utils), so the tests attack a hive Windows could read.
    let dir = scratch("hard-hives-builder");
    let hive = dir.join("SOFTWARE");
    std::fs::write(&hive, software(|_, _| {})).unwrap();
    let Ok(out) = std::process::Command::new("regfexport").arg(&hive).output() else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "Key path: ROOT\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q123456",
        "Data: Service Pack 2",
        "Data: Widget Server",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    let o = collect_software(&dir, &std::fs::read(&hive).unwrap());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = document(&o);
    assert_eq!(doc["hotfixes"], serde_json::json!(["Q123456"]));
    assert_eq!(doc["os"]["version"], "5.1");
    assert_eq!(doc["software"][0]["name"], "Widget Server");
}

/// Issue 25.4: `Microsoft\Updates` listing itself as its sub-key 200 times made the hotfix walk
/// N³ (1.3 s) and ended with `hotfixes: []` and exit 0.
#[test]
fn a_key_listing_itself_as_its_sub_key_is_a_located_error_and_the_rest_is_collected() {
    let dir = scratch("hard-hives-self");
    let mut at = 0;
    let hive = software(|b, microsoft| {
        let updates = b.key(Some(microsoft), "Updates");
        b.subkeys.insert(updates, vec![updates; 200]);
        at = updates;
        // Room for 200 keys, as in a real hive, so the list's length alone is no error.
        b.cell(&[0; 32 << 10]);
    });
    let o = collect_software(&dir, &hive);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = document(&o);
    assert!(doc.get("hotfixes").is_none(), "not a partial list: {doc}");
    let said = not_collected(&doc, "hotfixes");
    assert_eq!(said.len(), 1, "{said:?}");
    let file = dir.join("SOFTWARE").display().to_string();
    assert!(said[0].contains(&file), "the hive is named: {}", said[0]);
    assert!(
        said[0].contains(&format!("offset {:#x}", 0x1000 + at)),
        "Updates' offset: {}",
        said[0]
    );
    assert!(stderr(&o).contains(&file), "{}", stderr(&o));
    // What does not go through Updates is still read.
    assert_eq!(doc["os"]["version"], "5.1");
    assert_eq!(doc["software"][0]["name"], "Widget Server");
}

/// Issue 25.4, without a loop: 100 products each listing 100 levels each listing 100 fixes
/// (every product the same levels, every level the same fixes) is a million visits from a hive
/// of 300 keys; one budget per hive stops it, and a key listed by two parents is corrupt.
#[test]
fn keys_shared_by_many_parents_are_a_located_error_not_a_cubic_walk() {
    let dir = scratch("hard-hives-shared");
    let hive = software(|b, microsoft| {
        let updates = b.key(Some(microsoft), "Updates");
        let products: Vec<u32> = (0..100)
            .map(|i| b.key(Some(updates), &format!("Product{i}")))
            .collect();
        let levels: Vec<u32> = (0..100)
            .map(|i| b.key(Some(products[0]), &format!("SP{i}")))
            .collect();
        let fixes: Vec<u32> = (0..100)
            .map(|i| b.key(Some(levels[0]), &format!("KB{:06}", 900_000 + i)))
            .collect();
        for &p in &products {
            b.subkeys.insert(p, levels.clone());
        }
        for &l in &levels {
            b.subkeys.insert(l, fixes.clone());
        }
    });
    let o = collect_software(&dir, &hive);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = document(&o);
    assert!(doc.get("hotfixes").is_none(), "{doc}");
    let said = not_collected(&doc, "hotfixes");
    assert!(
        said.len() == 1 && said[0].contains("corrupt hive at offset"),
        "{said:?}"
    );
    assert_eq!(doc["software"][0]["name"], "Widget Server");
}

/// Issue 25.3: a value list of 100,000 entries all naming one 1 MiB value: every value was
/// decoded before its name was compared (3.9 GB, 34 s, then an abort).
#[test]
fn a_value_list_naming_one_huge_value_many_times_costs_little() {
    let dir = scratch("hard-hives-values");
    let mut b = Builder::new();
    let top = b.key(None, "ROOT");
    let cv = b.path(top, "Microsoft\\Windows NT\\CurrentVersion");
    b.text(cv, "CurrentVersion", "5.1");
    let big = b.value(cv, "Padding", REG_BINARY, &vec![0xab; 1 << 20]);
    b.text(cv, "CurrentBuildNumber", "2600");
    let list = b.values.get_mut(&cv).unwrap();
    list.splice(1..2, std::iter::repeat_n(big, 100_000));
    let hive = b.finish(top);
    assert!(hive.len() < 1_600_000, "{} bytes", hive.len());
    let path = dir.join("SOFTWARE");
    std::fs::write(&path, &hive).unwrap();
    let args = [
        "collect",
        "--software",
        path.to_str().unwrap(),
        "--host",
        "H",
        "--collected",
        COLLECTED,
    ];
    // GNU time says the peak memory, where it is installed.
    let time = Path::new("/usr/bin/time");
    let start = std::time::Instant::now();
    let o = if time.exists() {
        std::process::Command::new(time)
            .args(["-f", "max-rss-kb %M", env!("CARGO_BIN_EXE_kbdiag")])
            .args(args)
            .current_dir(root())
            .output()
            .unwrap()
    } else {
        kbdiag(&args, None)
    };
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    let err = stderr(&o);
    if let Some(rss) = err
        .lines()
        .find_map(|l| l.strip_prefix("max-rss-kb "))
        .and_then(|n| n.trim().parse::<u64>().ok())
    {
        assert!(rss < 200_000, "{rss} KB at most");
    }
    let doc = document(&o);
    // The values asked for are read, the one before the list's 100,000 entries and the one after.
    assert_eq!(doc["os"]["version"], "5.1", "{err}");
    assert_eq!(doc["os"]["build"], 2600, "{err}");
}

/// Issue 25.17b: a big-data value (`db`, more than 16,344 bytes) whose segments hold less than
/// it declares gave the first 16,344 of 40,000 bytes, as if whole.
#[test]
fn a_big_data_value_shorter_than_it_declares_is_an_error_naming_it() {
    use kbdiag::collect::regf::Hive;
    let mut b = Builder::new();
    let root = b.key(None, "ROOT");
    let key = b.path(root, "Control\\ProductOptions");
    let segment = b.cell(&[0x5a; 16_344]);
    let list = b.cell(&segment.to_le_bytes());
    let mut db = b"db".to_vec();
    db.extend_from_slice(&1u16.to_le_bytes());
    db.extend_from_slice(&list.to_le_bytes());
    let db = b.cell(&db);
    let vk = b.value_cell("ProductPolicy", REG_BINARY, 40_000, db);
    b.values.entry(key).or_default().push(vk);
    // The same value whole, in three segments, reads whole.
    let segments: Vec<u32> = [16_344, 16_344, 40_000 - 2 * 16_344]
        .iter()
        .map(|&n| b.cell(&vec![0x5a; n]))
        .collect();
    let list = b.cell(
        &segments
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    let mut whole = b"db".to_vec();
    whole.extend_from_slice(&3u16.to_le_bytes());
    whole.extend_from_slice(&list.to_le_bytes());
    let whole = b.cell(&whole);
    let vk = b.value_cell("Whole", REG_BINARY, 40_000, whole);
    b.values.entry(key).or_default().push(vk);
    let hive = Hive::from_bytes(b.finish(root)).unwrap();
    let options = hive.key("Control\\ProductOptions").unwrap().unwrap();
    let e = match hive.value(&options, "ProductPolicy") {
        Err(e) => e.to_string(),
        Ok(v) => panic!(
            "a short value is corrupt, not {:?} characters",
            v.map(|v| v.to_string().len())
        ),
    };
    for part in [
        format!("offset {:#x}", 0x1000 + db),
        "ProductOptions".into(),
        "ProductPolicy".into(),
        "40000".into(),
        "16344".into(),
    ] {
        assert!(e.contains(&part), "{part}: {e}");
    }
    let whole = hive.value(&options, "Whole").unwrap().unwrap();
    assert_eq!(
        whole.value,
        kbdiag::facts::registry::RegData::Text("5a".repeat(40_000))
    );
}

const SLASHED: &str = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CriticalDeviceDatabase\\SCSI#DiskMATSHITALS-120/240____00\\Service";

/// A rule reading the value below the key with a `/` in its name.
fn slash_rule(dir: &Path) -> std::path::PathBuf {
    let rule = format!(
        "id: KB900024\naliases: []\ntitle: A key whose name holds a slash\nrevision: \"1.0\"\n\
         last_reviewed: 2026-01-01\napplies_to:\n  products: [Windows]\n  when: registry_collected(`{SLASHED}`)\n\
         symptoms: []\ncause:\n  text: The floppy driver serves the disk.\n  when:\n    all:\n\
         \x20     - registry_or(`{SLASHED}`, \"\") == \"sfloppy\"\n\
         \x20     - not: registry_exists(`HKLM\\SYSTEM\\CurrentControlSet\\Control\\CriticalDeviceDatabase\\SCSI#DiskMATSHITALS-120`)\n\
         prerequisites: []\nresolution:\n  summary: Nothing to install.\n  obtain: Nowhere.\n  files: []\nrelated: []\n"
    );
    let path = dir.join("KB900024.yaml");
    std::fs::write(&path, rule).unwrap();
    path
}

/// Issue 24.4: `/` is an ordinary character in a key name (only `\` separates), and the real
/// Windows 7 SYSTEM hive has `CriticalDeviceDatabase\SCSI#DiskMATSHITALS-120/240____00`
/// (`regfexport` lists it, with `Service` = `sfloppy`); collect read the `/` as a separator and
/// wrote the value as absent.
#[test]
fn a_slash_in_a_key_name_is_part_of_the_name() {
    let dir = scratch("hard-hives-slash");
    let mut data = Vec::new();
    let xz = std::fs::read(root().join("tests/fixtures/collect/real/SYSTEM.xz")).unwrap();
    lzma_rs::xz_decompress(&mut &xz[..], &mut data).unwrap();
    let hive = dir.join("SYSTEM");
    std::fs::write(&hive, data).unwrap();
    let rule = slash_rule(&dir);
    let o = kbdiag_within(
        20,
        &[
            "collect",
            "--kb",
            rule.to_str().unwrap(),
            "--system",
            hive.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = document(&o);
    assert_eq!(
        doc["registry"][SLASHED],
        serde_json::json!({"type": "REG_SZ", "value": "sfloppy"}),
        "{}",
        doc["registry"]
    );
    let facts = dir.join("facts.json");
    std::fs::write(&facts, stdout(&o)).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            rule.to_str().unwrap(),
            "--format",
            "ndjson",
            "--detail",
            "full",
            facts.to_str().unwrap(),
        ],
        None,
    );
    let result = &ndjson(&o)[0]["results"][0];
    assert_eq!(result["status"], "affected", "{result}");
}

/// Issue 24.4, the fact file's side: a path with `/` in a key name is not the path with `\` in
/// its place. Both listed are two values, not one "given twice", and the value below
/// `…120/240____00` does not make a key `…120` exist.
#[test]
fn a_slash_in_a_fact_file_s_registry_path_is_part_of_a_key_name() {
    let dir = scratch("hard-hives-slash-facts");
    let rule = slash_rule(&dir);
    let eval = |name: &str, registry: serde_json::Value| {
        let path = dir.join(name);
        let facts = serde_json::json!({"host": name, "registry": registry});
        std::fs::write(&path, facts.to_string()).unwrap();
        let o = kbdiag(
            &[
                "eval",
                "--kb",
                rule.to_str().unwrap(),
                "--format",
                "ndjson",
                "--detail",
                "full",
                path.to_str().unwrap(),
            ],
            None,
        );
        let line = ndjson(&o).remove(0);
        assert!(line.get("error").is_none(), "{line}");
        line["results"][0].clone()
    };
    // The `/` value alone: found, and a key `…120` is neither shown to exist nor to be absent.
    let result = eval("slash.json", serde_json::json!({SLASHED: "sfloppy"}));
    assert_eq!(result["status"], "unknown", "{result}");
    assert!(result.to_string().contains("sfloppy"), "{result}");
    let texts = |field: &str| -> Vec<String> {
        (result[field].as_array().into_iter().flatten())
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        texts("missing")
            .iter()
            .any(|m| m.ends_with("CriticalDeviceDatabase\\SCSI#DiskMATSHITALS-120")),
        "{result}"
    );
    // Beside it the same path with `\` in its place: two values (before, "given twice"), and
    // it is the second that shows a key `…120` exists.
    let backslashed = SLASHED.replace("120/240", "120\\240");
    let result = eval(
        "both.json",
        serde_json::json!({SLASHED: "sfloppy", backslashed.clone(): "disk"}),
    );
    assert_eq!(result["status"], "not_affected", "{result}");
    let holds = format!("(it holds {backslashed})");
    assert!(
        (result["evidence"].as_array().unwrap().iter())
            .any(|e| e.as_str().unwrap().ends_with(&holds)),
        "{result}"
    );
}

/// The checks and the budget that stop the attacks above leave a real hive alone: the Windows 7
/// SYSTEM hive (11 MB, 30,756 keys, every key's parent as its `nk` names it) reads whole, every
/// key and value, within a quarter of its budget.
#[test]
fn a_real_hive_reads_whole_within_its_budget() {
    use kbdiag::collect::regf::{Hive, Key};
    let mut data = Vec::new();
    let xz = std::fs::read(root().join("tests/fixtures/collect/real/SYSTEM.xz")).unwrap();
    lzma_rs::xz_decompress(&mut &xz[..], &mut data).unwrap();
    let len = data.len();
    let hive = Hive::from_bytes(data).unwrap();
    fn walk(hive: &Hive, key: &Key, keys: &mut usize, values: &mut usize) {
        *keys += 1;
        *values += hive.values(key).expect("values").len();
        for sub in hive.subkeys(key).expect("sub-keys") {
            walk(hive, &sub, keys, values);
        }
    }
    let (mut keys, mut values) = (0, 0);
    walk(&hive, &hive.root().unwrap(), &mut keys, &mut values);
    assert_eq!(keys, 30_756);
    let (steps, bytes) = hive.spent();
    eprintln!("{keys} keys, {values} values: {steps} steps, {bytes} bytes of data for {len} bytes");
    assert!(steps < len / 4, "{steps} steps for {len} bytes");
    assert!(bytes < len, "{bytes} bytes of data for {len} bytes");
}
