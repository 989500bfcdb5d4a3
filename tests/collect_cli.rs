//! `kbdiag collect` as a user runs it: a system volume or artifacts one by one into facts, piped
//! into `eval`; and broken, truncated, huge or missing artifacts.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{kbdiag, kbdiag_within, root, scratch, stderr, stdout};

const COLLECTED: &str = "2026-11-28T10:00:00Z";

fn set_modified(path: &Path, iso: &str) {
    let seconds = kbdiag::facts::values::utc_seconds(iso).unwrap() as u64;
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
        .unwrap();
}

/// The example volume, copied, with its DLLs dated as the article's file table dates them
/// (git keeps no modification times).
fn volume(name: &str) -> PathBuf {
    let dir = common::example_volume(name);
    let sys = dir.join("WINNT/system32");
    set_modified(&sys.join("Security.dll"), "1999-11-18T12:04:00Z");
    set_modified(&sys.join("Ntlmssps.dll"), "2001-07-16T12:05:00Z");
    set_modified(&sys.join("Schannel.dll"), "2001-07-16T12:05:00Z");
    dir
}

fn document(o: &std::process::Output) -> serde_json::Value {
    let out = stdout(o);
    assert_eq!(out.lines().count(), 1, "one line per host: {out}");
    serde_json::from_str(&out).unwrap()
}

/// The document with the scratch folder's path replaced, for a stable snapshot.
fn portable(doc: &serde_json::Value, dir: &Path) -> String {
    serde_json::to_string_pretty(doc)
        .unwrap()
        .replace(&dir.display().to_string(), "<volume>")
}

#[test]
fn an_nt4_volume_collects_into_facts_that_eval_finds_suspected() {
    let dir = volume("collect-volume");
    let o = kbdiag(
        &[
            "collect",
            "--kb",
            "kb/KB322051.yaml",
            dir.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "nothing is missing on this volume");
    let doc = document(&o);
    // Select\Current is 2: ControlSet002's values, not ControlSet001's stale ones.
    assert_eq!(doc["host"], "EXCH55-NT4");
    assert_eq!(doc["os"]["edition"], "Standard");
    assert_eq!(doc["os"]["name"], "Windows NT Server 4.0");
    assert_eq!(doc["os"]["service_pack"], "Service Pack 6");
    assert_eq!(doc["events"][0]["qualifiers"], 0x8000);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("collect-nt4-srp-facts", portable(&doc, &dir));
    });

    let eval = kbdiag(
        &["eval", "--kb", "kb/KB322051.yaml", "-"],
        Some(stdout(&o).as_bytes()),
    );
    assert_eq!(eval.status.code(), Some(1), "{}", stderr(&eval));
    let text = stdout(&eval);
    assert!(text.contains("KB322051 SUSPECTED"), "{text}");
    assert!(
        text.contains("AppEvent.Evt: events (6 records, 4 kept)"),
        "each artifact is named: {text}"
    );
    // The evidence points at the artifacts: the log's record, the file with its table row.
    assert!(text.contains("record 45: strings"), "{text}");
    assert!(
        text.contains("Security.dll size=59152 modified=1999-11-18T12:04:00Z: the 56-bit build"),
        "{text}"
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(
            "collect-nt4-srp-eval",
            text.replace(&dir.display().to_string(), "<volume>")
        );
    });
}

#[test]
fn artifacts_given_one_by_one_give_the_same_facts() {
    let dir = volume("collect-bundle");
    let sys = dir.join("WINNT/system32");
    let arg = |p: &str| sys.join(p).display().to_string();
    let o = kbdiag(
        &[
            "collect",
            "--kb",
            "kb/KB322051.yaml",
            "--software",
            &arg("config/SOFTWARE"),
            "--system",
            &arg("config/SYSTEM"),
            "--event-log",
            &arg("config/AppEvent.Evt"),
            "--file",
            &arg("Security.dll"),
            "--collected",
            COLLECTED,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = document(&o);
    let whole = document(&kbdiag(
        &[
            "collect",
            "--kb",
            "kb/KB322051.yaml",
            dir.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
        None,
    ));
    for key in [
        "host", "os", "env", "hotfixes", "software", "registry", "events",
    ] {
        assert_eq!(doc[key], whole[key], "{key}");
    }
    assert_eq!(doc["files"].as_array().unwrap().len(), 1);
    assert_eq!(doc["files"][0]["path"], "C:\\WINNT\\System32\\Security.dll");
    // The two DLLs not given are named, not silently absent.
    let missing = doc["collector"]["not_collected"].to_string();
    assert!(
        missing.contains("Schannel.dll") && missing.contains("Ntlmssps.dll"),
        "{missing}"
    );
    assert!(stderr(&o).contains("2 facts not found"), "{}", stderr(&o));
}

#[test]
fn a_volume_missing_half_its_files_collects_the_rest_and_names_the_rest() {
    let dir = volume("collect-half");
    let sys = dir.join("WINNT/system32");
    std::fs::remove_file(sys.join("config/SYSTEM")).unwrap();
    std::fs::remove_file(sys.join("Schannel.dll")).unwrap();
    std::fs::remove_file(sys.join("config/AppEvent.Evt")).unwrap();
    let o = kbdiag(
        &[
            "collect",
            "--kb",
            "kb/KB322051.yaml",
            dir.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "absent is not broken: {}",
        stderr(&o)
    );
    let doc = document(&o);
    assert_eq!(doc["os"]["version"], "4.0");
    assert!(
        doc.get("events").is_none(),
        "no log: events unknown, not empty"
    );
    // Schannel.dll's folder is on the volume and the file is not in it: absent, not unknown.
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let absent: Vec<&serde_json::Value> = files.iter().filter(|f| f["exists"] == false).collect();
    assert_eq!(absent.len(), 1, "{files:?}");
    assert!(
        absent[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("\\Schannel.dll")
    );
    assert!(absent[0].get("size").is_none());
    let missing = doc["collector"]["not_collected"].to_string();
    for what in ["SYSTEM hive", "events"] {
        assert!(missing.contains(what), "{what}: {missing}");
    }
    assert!(!missing.contains("Schannel.dll"), "{missing}");
    // Without SYSTEM there is no computer name: the folder's name stands in.
    assert_eq!(doc["host"], "nt4-srp");
}

fn unxz(path: &str, to: &Path) {
    let mut out = Vec::new();
    let data = std::fs::read(root().join(path)).unwrap();
    lzma_rs::xz_decompress(&mut &data[..], &mut out).unwrap();
    std::fs::write(to, out).unwrap();
}

#[test]
fn broken_artifacts_are_named_with_the_offset_and_the_rest_is_collected() {
    let dir = volume("collect-broken");
    let sys = dir.join("WINNT/system32");
    // A real corrupt SYSTEM hive from regipy, and a truncated Schannel.dll.
    unxz(
        "tests/fixtures/collect/real/corrupted_system_hive.xz",
        &sys.join("config/SYSTEM"),
    );
    let schannel = std::fs::read(sys.join("Schannel.dll")).unwrap();
    std::fs::write(sys.join("Schannel.dll"), &schannel[..4096]).unwrap();
    // The application log cut in the middle of its records.
    let log = std::fs::read(sys.join("config/AppEvent.Evt")).unwrap();
    std::fs::write(sys.join("config/AppEvent.Evt"), &log[..log.len() - 900]).unwrap();
    let o = kbdiag_within(
        10,
        &[
            "collect",
            "--kb",
            "kb/KB322051.yaml",
            dir.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let doc = document(&o);
    assert_eq!(doc["os"]["version"], "4.0", "SOFTWARE is still read");
    let broken: Vec<&str> = (doc["collector"]["not_collected"].as_array().unwrap().iter())
        .filter(|n| n["broken"] == true)
        .map(|n| n["fact"].as_str().unwrap())
        .collect();
    assert!(
        broken.contains(&"os.edition") && broken.contains(&"events"),
        "{broken:?}"
    );
    let hive = format!("{}: ", sys.join("config/SYSTEM").display());
    assert!(err.contains(&hive), "the hive is named: {err}");
    assert!(
        err.contains("Schannel.dll") && doc["files"].to_string().contains("Schannel.dll"),
        "the DLL's size and date are kept though its resources are unreadable: {err}"
    );
    // eval shows what could not be collected, so "unknown" is explained by a broken artifact.
    let eval = kbdiag(
        &["eval", "--kb", "kb/KB322051.yaml", "-"],
        Some(stdout(&o).as_bytes()),
    );
    let text = stdout(&eval);
    assert!(
        text.contains("\n  Not collected: os.edition: ") && text.contains("corrupt hive at offset"),
        "{text}"
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(
            "collect-broken-stderr",
            err.replace(&dir.display().to_string(), "<volume>")
        );
    });
}

#[test]
fn a_hive_with_a_corrupt_sub_key_list_is_an_error_naming_it() {
    let hive = "tests/fixtures/collect/real/corrupt_sub_key_list.hiv";
    let o = kbdiag_within(
        10,
        &["collect", "--software", hive, "--collected", COLLECTED],
    );
    assert_eq!(o.status.code(), Some(2));
    let doc = document(&o);
    assert!(doc.get("os").is_none());
    assert!(stderr(&o).contains(hive), "{}", stderr(&o));
    // Nothing names the host: the document says how to.
    assert_eq!(doc["host"], "unknown-host");
    assert!(
        doc["collector"]["not_collected"]
            .to_string()
            .contains("give --host")
    );
}

#[test]
fn a_huge_log_is_refused_without_reading_it() {
    let dir = scratch("collect-huge");
    let path = dir.join("AppEvent.Evt");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(kbdiag::collect::MAX_ARTIFACT + 1).unwrap(); // sparse: no disk used
    let o = kbdiag_within(
        10,
        &[
            "collect",
            "--event-log",
            path.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("more than the"), "{}", stderr(&o));
}

#[test]
fn nothing_to_read_and_a_bad_time_are_usage_errors() {
    let o = kbdiag(&["collect"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to read"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let o = kbdiag(
        &[
            "collect",
            "examples/volumes/nt4-srp",
            "--collected",
            "yesterday",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ISO 8601"), "{}", stderr(&o));
}

#[test]
fn current_control_set_values_come_from_the_set_select_names_and_absent_ones_are_null() {
    let dir = scratch("collect-ccs");
    let hive = dir.join("SYSTEM");
    unxz("tests/fixtures/collect/real/SYSTEM.xz", &hive);
    let o = kbdiag(
        &[
            "collect",
            "--kb",
            "examples/rules",
            "--system",
            hive.to_str().unwrap(),
            "--collected",
            COLLECTED,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = document(&o);
    // A real Windows 7 hive: Select\Current = 1; neither value is set there (hivexget agrees).
    assert_eq!(doc["host"], "WKS-WIN732BITA");
    let registry = doc["registry"].as_object().expect("the rules' values");
    for path in [
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel",
        "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters\\SMB1",
    ] {
        assert_eq!(registry.get(path), Some(&serde_json::Value::Null), "{path}");
    }
    // A workstation with Remote Desktop lists "Terminal Server" in ProductSuite: not an edition.
    assert!(doc["os"].get("edition").is_none(), "{}", doc["os"]);
}

#[test]
fn the_html_report_names_what_a_host_was_collected_from_and_what_not() {
    let software = "examples/volumes/nt4-srp/WINNT/system32/config/SOFTWARE";
    let o = kbdiag(
        &["collect", "--software", software, "--host", "<b>x</b>"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = stdout(&kbdiag(
        &["eval", "--format", "html", "-"],
        Some(stdout(&o).as_bytes()),
    ));
    let section = html
        .split("<section class=\"collected\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("a provenance section");
    assert!(
        section.contains(&format!("<li>{software}: os.name")),
        "{section}"
    );
    assert!(
        section.contains("<h4>Not collected</h4>") && section.contains("SYSTEM hive"),
        "{section}"
    );
    assert!(!html.contains("<b>x</b>") && html.contains("&#60;b&#62;x&#60;/b&#62;"));
}

#[test]
fn a_file_on_another_drive_is_not_looked_for_on_the_system_volume() {
    let dir = volume("collect-drive");
    let kb = dir.parent().unwrap().join("kb");
    std::fs::create_dir_all(&kb).unwrap();
    let rule = std::fs::read_to_string(root().join("kb/KB322051.yaml"))
        .unwrap()
        .replace("%SystemRoot%/System32/Schannel.dll", "D:/Schannel.dll");
    std::fs::write(kb.join("KB322051.yaml"), rule).unwrap();
    // A Schannel.dll at the top of the C: volume must not be taken for D:\Schannel.dll.
    std::fs::copy(
        dir.join("WINNT/system32/Schannel.dll"),
        dir.join("Schannel.dll"),
    )
    .unwrap();
    let o = kbdiag(
        &[
            "collect",
            "--kb",
            kb.to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = document(&o);
    let files = doc["files"].to_string();
    assert!(!files.contains("D:\\\\Schannel.dll"), "{files}");
    assert!(
        doc["collector"]["not_collected"]
            .to_string()
            .contains("D:\\\\Schannel.dll"),
        "{}",
        doc["collector"]
    );
}

#[test]
fn what_a_person_knows_comes_in_with_with_and_a_contradiction_is_refused() {
    let dir = volume("collect-with");
    let with = dir.parent().unwrap().join("extra.yaml");
    // Cipher strengths no disk holds, and what the help desk saw.
    std::fs::write(
        &with,
        "files:\n  - {path: 'c:/winnt/system32/schannel.dll', cipher_bits: 128}\n  - {path: 'C:\\WINNT\\System32\\Ntlmssps.dll', cipher_bits: 128}\nreported_symptoms: [{rule: KB322051, symptom: no-connection, by: help desk}]\n",
    )
    .unwrap();
    let collect = |with: &Path| {
        kbdiag(
            &[
                "collect",
                "--kb",
                "kb/KB322051.yaml",
                dir.to_str().unwrap(),
                "--with",
                with.to_str().unwrap(),
                "--collected",
                COLLECTED,
            ],
            None,
        )
    };
    let o = collect(&with);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = document(&o);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "merged by path, not added: {files:?}");
    let schannel = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("Schannel.dll"))
        .unwrap();
    assert_eq!(schannel["cipher_bits"], 128);
    assert!(
        schannel["size"].is_u64(),
        "the collected facts stay: {schannel}"
    );
    let artifacts = doc["collector"]["artifacts"].to_string();
    assert!(
        artifacts.contains("extra.yaml") && artifacts.contains("given by a person"),
        "{artifacts}"
    );
    // The person's facts decide what the disk could not: the DLLs are mismatched.
    let eval = kbdiag(
        &["eval", "--kb", "kb/KB322051.yaml", "-"],
        Some(stdout(&o).as_bytes()),
    );
    let text = stdout(&eval);
    assert!(text.contains("KB322051 AFFECTED"), "{text}");

    // A fact both collected and given must agree: located error, the document as collected.
    let wrong = dir.parent().unwrap().join("wrong.yaml");
    std::fs::write(&wrong, "reported_errors: [x]\nos:\n  version: '5.0'\n").unwrap();
    let o = collect(&wrong);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("wrong.yaml:3:3: os.version: given \"5.0\", but the artifacts say \"4.0\""),
        "{err}"
    );
    let doc = document(&o);
    assert_eq!(doc["os"]["version"], "4.0");
    assert!(doc.get("reported_errors").is_none(), "refused whole: {doc}");
    // What collect writes itself cannot be given; a wrong type is refused where it is.
    for (text, says) in [
        ("host: other\n", "wrong.yaml:1:1: `host` cannot be given"),
        (
            "files: [{path: 'C:\\x.dll', cipher_bits: 7}]\n",
            "`cipher_bits: 7` is not a cipher strength",
        ),
        ("cipher_bits: 128\n", "unknown field `cipher_bits`"),
    ] {
        std::fs::write(&wrong, text).unwrap();
        let o = collect(&wrong);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(stderr(&o).contains(says), "{text}: {}", stderr(&o));
        assert_eq!(
            stdout(&o).lines().count(),
            1,
            "the document is still written"
        );
    }
}
