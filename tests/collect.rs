//! `kbdiag collect` against independent readers: every record, key and version string kbdiag reads
//! from the fixtures is compared, field by field, with what `evtexport`, `evtxexport`,
//! `regfexport`, `hivexget` and `exiftool` printed for them (tests/fixtures/collect/golden/, made
//! by golden/make.sh; NOTICE.md names each fixture's source and licence). The NT 4.0 volume is
//! the one in examples/volumes/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kbdiag::collect::{evt, evtx, pe, regf};
use kbdiag::facts::registry::{RegData, RegType};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/collect")
        .join(path)
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn golden(name: &str) -> String {
    String::from_utf8(read(&format!("golden/{name}"))).expect("golden files are UTF-8")
}

fn unxz(path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut &read(path)[..], &mut out).expect("xz fixture");
    out
}

/// `Jul 27, 2011 06:41:47 UTC` (fractions of a second dropped) as ISO 8601.
fn iso(libyal: &str) -> String {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = libyal.split_whitespace().collect();
    let month = months.iter().position(|m| *m == parts[0]).expect("month") + 1;
    let day = parts[1].trim_end_matches(',');
    let time = parts[3].split('.').next().expect("time");
    format!("{}-{month:02}-{day}T{time}Z", parts[2])
}

/// One record of `evtexport`/`evtxexport` output: its fields, and its strings in order.
#[derive(Debug, Default)]
struct Exported {
    fields: BTreeMap<String, String>,
    strings: Vec<String>,
}

/// Parses the libyal tools' text output. A string runs until the next `String: n` line or the
/// record's end, so strings holding line breaks are kept whole.
fn exported(text: &str) -> Vec<Exported> {
    let mut records = Vec::new();
    for block in text.split("\nEvent number").skip(1) {
        let block = format!("Event number{block}");
        let mut rec = Exported::default();
        let mut in_string = false;
        for line in block.split('\n') {
            let (label, value) = match line.split_once("\t: ") {
                Some((l, v)) => (l.trim_end_matches('\t'), v),
                None => ("", ""),
            };
            let next_string = format!("String: {}", rec.strings.len() + 1);
            if label == next_string {
                rec.strings.push(value.to_owned());
                in_string = true;
            } else if in_string {
                let last = rec.strings.last_mut().expect("a string");
                last.push('\n');
                last.push_str(line);
            } else if !label.is_empty() {
                rec.fields.insert(label.to_owned(), value.to_owned());
            }
        }
        for s in &mut rec.strings {
            *s = normal(s);
        }
        records.push(rec);
    }
    records
}

/// Line breaks as `\n`, trailing blanks (the record separator) dropped.
fn normal(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_owned()
}

fn compare_evt(log: &str, golden_name: &str) {
    let data = read(log);
    let log = evt::read(&data, |_, _| true).expect("an EVT log");
    assert_eq!(log.stopped, None);
    let want = exported(&golden(golden_name));
    assert_eq!(log.records.len(), want.len(), "record count");
    for (got, want) in log.records.iter().zip(&want) {
        let f = |k: &str| want.fields.get(k).map_or("", String::as_str);
        let at = format!("record {}", got.number);
        assert_eq!(got.number.to_string(), f("Event number"), "{at}");
        assert_eq!(
            kbdiag::facts::values::iso_utc(got.created.into()),
            iso(f("Creation time")),
            "{at}"
        );
        assert_eq!(
            kbdiag::facts::values::iso_utc(got.written.into()),
            iso(f("Written time")),
            "{at}"
        );
        assert!(
            f("Event type").ends_with(&format!("({})", got.kind)),
            "{at}: type {} vs {}",
            got.kind,
            f("Event type")
        );
        assert_eq!(got.computer, f("Computer name"), "{at}");
        assert_eq!(got.source, f("Source name"), "{at}");
        assert_eq!(got.category.to_string(), f("Event category"), "{at}");
        assert_eq!(
            format!("{:#010x} ({})", got.identifier, got.identifier),
            f("Event identifier"),
            "{at}"
        );
        let strings: Vec<String> = got.strings.iter().map(|s| normal(s)).collect();
        assert_eq!(strings, want.strings, "{at}");
    }
}

#[test]
fn a_real_wrapped_dirty_xp_log_reads_as_evtexport_reads_it() {
    compare_evt("real/SysEvent.Evt", "SysEvent.Evt.evtexport.txt");
    let data = read("real/SysEvent.Evt");
    let log = evt::read(&data, |_, _| true).expect("an EVT log");
    assert!(log.dirty && log.wrapped);
    // Event Viewer's id is the low 16 bits: 0x8000a001 is event 40961 with warning severity.
    assert_eq!(log.records[0].identifier, 0x8000_a001);
}

#[test]
fn the_fixture_volume_s_application_log_reads_as_evtexport_reads_it() {
    // Its newest record is split at the end of the file and continues after the header.
    compare_evt(
        "../../../examples/volumes/nt4-srp/WINNT/system32/config/AppEvent.Evt",
        "AppEvent.Evt.evtexport.txt",
    );
}

#[test]
fn a_real_evtx_log_reads_as_evtxexport_reads_it() {
    let read = evtx::read(read("real/System.evtx"), |_| true).expect("an EVTX log");
    assert_eq!(read.failed, 0, "{:?}", read.errors);
    let want = exported(&golden("System.evtx.evtxexport.txt"));
    assert_eq!(read.events.len(), want.len());
    for (got, want) in read.events.iter().zip(&want) {
        let f = |k: &str| want.fields.get(k).map_or("", String::as_str);
        let at = format!("record {}", got.record);
        assert_eq!(got.record.to_string(), f("Event number"), "{at}");
        assert_eq!(got.time.clone().unwrap_or_default(), iso(f("Written time")));
        assert_eq!(got.computer.as_deref(), Some(f("Computer name")), "{at}");
        assert_eq!(got.source.as_deref(), Some(f("Source name")), "{at}");
        // evtxexport prints the low 16 bits it found; qualifiers come from the XML attribute.
        let id = f("Event identifier");
        assert!(id.ends_with(&format!("({})", got.id)), "{at}: {id}");
        let level = f("Event level");
        let kind = match level.rsplit_once('(').map(|(_, n)| n.trim_end_matches(')')) {
            Some("1") => "Critical",
            Some("2") => "Error",
            Some("3") => "Warning",
            _ => "Information",
        };
        assert_eq!(got.kind, kind, "{at}: level {level}");
        // Typed values are written differently: binary as hex in either case, hexadecimal
        // integers with or without leading zeros, times with 7 or 9 digits of fraction.
        let canon = |s: &String| {
            let s = normal(s).to_uppercase();
            if let Some(n) = s
                .strip_prefix("0X")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
            {
                return format!("{n:#x}");
            }
            match s.strip_suffix('Z').and_then(|t| t.split_once('.')) {
                Some((head, fraction)) if head.contains('T') => {
                    format!("{head}.{}Z", fraction.trim_end_matches('0'))
                }
                _ => s,
            }
        };
        let strings: Vec<String> = got.strings.iter().map(canon).collect();
        let want_strings: Vec<String> = want.strings.iter().map(canon).collect();
        assert_eq!(strings, want_strings, "{at}");
    }
}

/// A hive's keys and values as `regfexport` prints them: key path without the root's name, and
/// for each value its name, type label and data.
fn regfexport(text: &str) -> BTreeMap<String, Vec<(String, String, String)>> {
    let mut keys = BTreeMap::new();
    let mut key = String::new();
    let mut value = (String::new(), String::new());
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("Key path: ") {
            key = path.split_once('\\').map_or("", |(_, k)| k).to_owned();
            keys.entry(key.clone()).or_insert_with(Vec::new);
        } else if let Some(v) = line.strip_prefix("Value: ") {
            value.0 = v.split_once(' ').map_or("", |(_, n)| n).to_owned();
        } else if let Some(t) = line.strip_prefix("Type: ") {
            value.1 = t.to_owned();
        } else if let Some(d) = line.strip_prefix("Data: ") {
            let entry = (value.0.clone(), value.1.clone(), d.to_owned());
            keys.get_mut(&key).expect("a key").push(entry);
        }
    }
    keys
}

/// Every key of `hive` below `key`, as `regfexport` shows them.
fn walk(
    hive: &regf::Hive,
    key: &regf::Key,
    path: &str,
    out: &mut BTreeMap<String, Vec<(String, String, String)>>,
) {
    let values = hive.values(key).expect("values");
    let shown = values
        .into_iter()
        .map(|(name, v)| {
            let (label, data) = match (v.kind, v.value) {
                (RegType::Sz, RegData::Text(t)) => ("string (REG_SZ)", t),
                (RegType::Dword, RegData::Int(i)) => (
                    "32-bit integer little-endian (REG_DWORD_LITTLE_ENDIAN)",
                    i.to_string(),
                ),
                (kind, data) => panic!("{path}\\{name}: no regfexport form for {kind:?} {data:?}"),
            };
            (name, label.to_owned(), data)
        })
        .collect();
    out.insert(path.to_owned(), shown);
    for sub in hive.subkeys(key).expect("sub-keys") {
        let sub_path = if path.is_empty() {
            sub.name.clone()
        } else {
            format!("{path}\\{}", sub.name)
        };
        walk(hive, &sub, &sub_path, out);
    }
}

fn compare_hive(hive: &str, golden_name: &str) {
    let hive = regf::Hive::from_bytes(read(hive)).expect("a hive");
    let mut got = BTreeMap::new();
    walk(&hive, &hive.root().expect("root"), "", &mut got);
    assert_eq!(got, regfexport(&golden(golden_name)));
}

#[test]
fn crafted_nt4_hives_and_a_real_list_of_100_sub_keys_read_as_regfexport_reads_them() {
    compare_hive(
        "../../../examples/volumes/nt4-srp/WINNT/system32/config/SOFTWARE",
        "SOFTWARE.regfexport.txt",
    );
    compare_hive(
        "../../../examples/volumes/nt4-srp/WINNT/system32/config/SYSTEM",
        "SYSTEM-nt4.regfexport.txt",
    );
    compare_hive("real/100_sub_keys.hiv", "100_sub_keys.regfexport.txt");
    let hive = regf::Hive::from_bytes(read(
        "../../../examples/volumes/nt4-srp/WINNT/system32/config/SOFTWARE",
    ))
    .unwrap();
    assert_eq!(hive.version, (1, 3), "Windows NT 4.0's format");
}

/// `hivexget` prints `"name"=dword:0000000a`, `"name"="text"`, `str(2):"text"` (REG_EXPAND_SZ)
/// and `hex(N):ab,cd` (the bytes, for REG_MULTI_SZ, REG_BINARY and the rest).
fn hivexget_value(written: &str) -> (Option<RegType>, RegData) {
    let unquote = |s: &str| {
        s.trim_matches('"')
            .replace("\\\\", "\u{0}")
            .replace("\\\"", "\"")
            .replace('\u{0}', "\\")
    };
    if let Some(d) = written.strip_prefix("dword:") {
        (
            Some(RegType::Dword),
            RegData::Int(i64::from_str_radix(d, 16).expect("hex dword")),
        )
    } else if let Some(s) = written.strip_prefix("str(2):") {
        (Some(RegType::ExpandSz), RegData::Text(unquote(s)))
    } else if let Some(rest) = written.strip_prefix("hex(") {
        let (kind, bytes) = rest.split_once("):").expect("hex(N):");
        let bytes: Vec<u8> = bytes
            .split(',')
            .filter(|b| !b.is_empty())
            .map(|b| u8::from_str_radix(b, 16).expect("a byte"))
            .collect();
        if kind == "7" {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let mut list: Vec<String> = units
                .split(|&u| u == 0)
                .map(String::from_utf16_lossy)
                .collect();
            while list.last().is_some_and(String::is_empty) {
                list.pop();
            }
            return (Some(RegType::MultiSz), RegData::List(list));
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        (Some(RegType::Binary), RegData::Text(hex))
    } else {
        (Some(RegType::Sz), RegData::Text(unquote(written)))
    }
}

#[test]
fn a_real_windows_7_system_hive_reads_as_hivexget_reads_it() {
    let hive = regf::Hive::from_bytes(unxz("real/SYSTEM.xz")).expect("a hive");
    assert_eq!(hive.version, (1, 5));
    let text = golden("SYSTEM.hivexget.txt");
    let mut compared = 0;
    for section in text.split('[').skip(1) {
        let (key_path, lines) = section.split_once("]\n").expect("[key]");
        let key = hive.key(key_path).expect("readable").expect("present");
        for line in lines.lines() {
            let (name, written) = line.split_once('=').expect("name=value");
            let name = name.trim_matches('"');
            let name = if name == "@" { "" } else { name };
            let got = hive.value(&key, name).expect("readable").expect("present");
            let (kind, data) = hivexget_value(written);
            assert_eq!(Some(got.kind), kind, "{key_path}\\{name}");
            if got.value != data {
                // Values can be tens of kilobytes: say where they part.
                let (a, b) = (format!("{:?}", got.value), format!("{data:?}"));
                let at = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
                panic!(
                    "{key_path}\\{name}: lengths {} and {}, first difference at character {at}: {:?} vs {:?}",
                    a.len(),
                    b.len(),
                    a.chars().skip(at).take(40).collect::<String>(),
                    b.chars().skip(at).take(40).collect::<String>()
                );
            }
            compared += 1;
        }
    }
    assert!(compared > 25, "{compared} values compared");
    // ProductPolicy is larger than one cell: a big-data (`db`) value of format 1.5.
    let options = hive
        .key("ControlSet001\\Control\\ProductOptions")
        .unwrap()
        .unwrap();
    let policy = hive.value(&options, "ProductPolicy").unwrap().unwrap();
    let RegData::Text(hex) = policy.value else {
        panic!("binary")
    };
    assert!(hex.len() / 2 > 16_344, "{} bytes", hex.len() / 2);
}

#[test]
fn version_resources_read_as_exiftool_reads_them() {
    let exif: serde_json::Value =
        serde_json::from_str(&golden("pe.exiftool.json")).expect("exiftool JSON");
    for entry in exif.as_array().expect("a list") {
        let file = entry["SourceFile"].as_str().expect("SourceFile");
        let got = pe::version_info(&read(file)).expect("a PE file");
        match entry.get("EXE:FileVersionNumber") {
            None => assert_eq!(got, None, "{file}"),
            Some(number) => {
                let got = got.expect("a version resource");
                assert_eq!(got.file_version.as_deref(), number.as_str(), "{file}");
                assert_eq!(
                    got.product_version.as_deref(),
                    entry["EXE:ProductVersionNumber"].as_str()
                );
                for (ours, theirs) in [
                    ("FileVersion", "EXE:FileVersion"),
                    ("ProductVersion", "EXE:ProductVersion"),
                    ("CompanyName", "EXE:CompanyName"),
                    ("FileDescription", "EXE:FileDescription"),
                    ("OriginalFilename", "EXE:OriginalFileName"),
                    ("ProductName", "EXE:ProductName"),
                    ("LegalCopyright", "EXE:LegalCopyright"),
                ] {
                    assert_eq!(
                        got.strings.get(ours).map(String::as_str),
                        entry[theirs].as_str(),
                        "{file}: {ours}"
                    );
                }
            }
        }
    }
}

/// A small deterministic generator (xorshift): the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `data` with a few bytes changed, cut short, or a field set to 0 or all ones.
fn mutate(data: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len());
        match rng.below(4) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => out.truncate(at),
            2 => {
                for b in out.iter_mut().skip(at).take(4) {
                    *b = 0xFF;
                }
            }
            _ => {
                for b in out.iter_mut().skip(at).take(4) {
                    *b = 0;
                }
            }
        }
        if out.is_empty() {
            break;
        }
    }
    out
}

/// Runs `read` on `rounds` mutations of `data`: each must return (no panic), within a second.
fn survives(name: &str, data: &[u8], rounds: usize, read: impl Fn(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..rounds {
        let bytes = mutate(data, &mut rng);
        let start = std::time::Instant::now();
        read(&bytes);
        let took = start.elapsed();
        assert!(
            took < std::time::Duration::from_secs(1),
            "{name}, mutation {round}: {took:?}"
        );
    }
}

#[test]
fn mutated_logs_hives_and_dlls_give_errors_not_panics_or_hangs() {
    let app = read("../../../examples/volumes/nt4-srp/WINNT/system32/config/AppEvent.Evt");
    survives("AppEvent.Evt", &app, 2000, |b| {
        let _ = evt::read(b, |_, _| true);
    });
    let sys = read("real/SysEvent.Evt");
    survives("SysEvent.Evt", &sys[..64 * 1024], 300, |b| {
        let _ = evt::read(b, |_, _| true);
    });
    let software = read("../../../examples/volumes/nt4-srp/WINNT/system32/config/SOFTWARE");
    survives("SOFTWARE", &software, 1000, |b| {
        if let Ok(hive) = regf::Hive::from_bytes(b.to_vec())
            && let Ok(Some(k)) = hive.key("Microsoft\\Windows NT\\CurrentVersion\\Hotfix")
            && let Ok(subkeys) = hive.subkeys(&k)
        {
            for s in subkeys {
                let _ = hive.values(&s);
            }
        }
    });
    for dll in ["real/schannel.dll", "real/security.dll", "real/test_pe.exe"] {
        survives(dll, &read(dll), 1000, |b| {
            let _ = pe::version_info(b);
        });
    }
    let evtx_data = read("real/System.evtx");
    survives("System.evtx", &evtx_data[..256 * 1024], 40, |b| {
        let _ = evtx::read(b.to_vec(), |_| true);
    });
}

#[test]
fn the_rules_needs_are_found_in_their_conditions() {
    let mut files = kbdiag::rules::kb::builtin();
    // The whole knowledge base reads the files its fixes are told by (`fixed_file`), too.
    let all = kbdiag::evaluate::diagnose::Evaluator::new(&files).expect("built-in rules");
    let all = kbdiag::collect::Needs::of(all.rules());
    assert!(
        all.files
            .contains("%SystemRoot%/System32/drivers/Tcpip.sys"),
        "{all:?}"
    );
    files.retain(|f| f.name.ends_with("KB322051.yaml"));
    let ev = kbdiag::evaluate::diagnose::Evaluator::new(&files).expect("built-in rules");
    let needs = kbdiag::collect::Needs::of(ev.rules());
    // Bound by `let key = …` in the SP6a prerequisite, not passed as a literal.
    assert_eq!(
        needs.registry.iter().collect::<Vec<_>>(),
        ["HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q246009\\Installed"]
    );
    assert_eq!(
        needs.files.iter().collect::<Vec<_>>(),
        [
            "%SystemRoot%/System32/Ntlmssps.dll",
            "%SystemRoot%/System32/Schannel.dll",
            "%SystemRoot%/System32/Security.dll"
        ]
    );
    assert!(needs.wants_event("MSExchangeMTA", 9318));
    assert!(
        needs.wants_event("msexchangemta", 0x8000_246A),
        "9322 with severity bits"
    );
    assert!(needs.wants_event("MSExchangeAdmin", 1008));
    assert!(!needs.wants_event("MSExchangeMTA", 1008));
    assert!(!needs.wants_event("Service Control Manager", 7036));
}

#[test]
fn pe_headers_at_an_offset_windows_accepts_but_pelite_misread_are_read_safely() {
    // Found by the `pe` fuzz target: NT headers at 4 mod 8, which made pelite form a misaligned
    // reference (undefined behaviour). kbdiag's own reader takes any offset.
    let bytes = read("fuzz/pe-nt-headers-4-mod-8.bin");
    let offset = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap());
    assert_eq!(offset % 8, 4);
    let _ = pe::version_info(&bytes);
    // The same for a real DLL moved to such an offset: its version still reads.
    let dll = read("real/schannel.dll");
    let at = u32::from_le_bytes(dll[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(at % 8, 0, "the real one is 8-aligned");
    let mut moved = dll[..at].to_vec();
    moved.extend_from_slice(&[0; 4]);
    moved.extend_from_slice(&dll[at..]);
    moved[0x3c..0x40].copy_from_slice(&((at + 4) as u32).to_le_bytes());
    // Raw offsets of sections move by 4 too: shift every PointerToRawData.
    let coff = at + 4 + 4;
    let sections = u16::from_le_bytes([moved[coff + 2], moved[coff + 3]]) as usize;
    let optional_size = u16::from_le_bytes([moved[coff + 16], moved[coff + 17]]) as usize;
    let table = coff + 20 + optional_size;
    for i in 0..sections {
        let p = table + 40 * i + 20;
        let raw = u32::from_le_bytes(moved[p..p + 4].try_into().unwrap());
        if raw != 0 {
            moved[p..p + 4].copy_from_slice(&(raw + 4).to_le_bytes());
        }
    }
    let info = pe::version_info(&moved)
        .expect("readable")
        .expect("a version");
    assert_eq!(info.file_version.as_deref(), Some("5.1.2600.2180"));
}
