//! Hardening round 3 (collect): each attack of issue 25 (and each collect→eval trap of issue 24) that
//! worked on an earlier version, as a regression test.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[allow(unused_imports)]
use super::common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};

const COLLECTED: &str = "2026-11-28T10:00:00Z";

/// The example volume, copied into a scratch folder of its own.
fn volume(name: &str) -> PathBuf {
    super::common::example_volume(name)
}

fn config(volume: &Path) -> PathBuf {
    volume.join("WINNT/system32/config")
}

/// A crafted hive of `tests/fixtures/collect/crafted/`, decompressed to `to`.
fn crafted(name: &str, to: &Path) {
    let data = std::fs::read(root().join("tests/fixtures/collect/crafted").join(name)).unwrap();
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut &data[..], &mut out).unwrap();
    let _ = std::fs::remove_file(to);
    std::fs::write(to, out).unwrap();
}

fn collect(args: &[&str]) -> Output {
    let mut all = vec!["collect", "--collected", COLLECTED];
    all.extend_from_slice(args);
    kbdiag_within(20, &all)
}

fn documents(o: &Output) -> Vec<serde_json::Value> {
    ndjson(o)
}

fn not_collected(doc: &serde_json::Value) -> String {
    doc["collector"]["not_collected"].to_string()
}

/// The first host of `eval --format ndjson` over collected documents.
fn eval(kb: &str, docs: &str) -> serde_json::Value {
    let o = kbdiag(
        &[
            "eval", "--kb", kb, "--format", "ndjson", "--detail", "full", "-",
        ],
        Some(docs.as_bytes()),
    );
    let lines = ndjson(&o);
    assert!(!lines.is_empty(), "{}{}", stdout(&o), stderr(&o));
    lines[0].clone()
}

// 24.1: no log is not an empty log.
#[test]
fn a_volume_without_the_system_log_leaves_system_log_symptoms_unknown() {
    let dir = volume("hard-collect-nolog");
    let o = collect(&["--kb", "kb/KB305228.yaml", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut doc = documents(&o).remove(0);
    // Only the application log is on this volume: the document says so.
    assert_eq!(
        doc["event_logs"],
        serde_json::json!(["Application"]),
        "{doc}"
    );
    // Someone asked: no error reported. The Stop error is then decided by the System log alone.
    doc["reported_errors"] = serde_json::json!([]);
    let l = eval("kb/KB305228.yaml", &doc.to_string());
    let symptom = &l["results"][0]["symptoms"][0];
    assert_eq!(symptom["observed"], "unknown", "{symptom}");
    let missing = symptom["missing"].to_string();
    assert!(
        missing.contains("the System log") && missing.contains("SysEvent.Evt"),
        "{missing}"
    );
    // A hand-written document without `event_logs` holds every log: not observed, as before.
    doc.as_object_mut().unwrap().remove("event_logs");
    let l = eval("kb/KB305228.yaml", &doc.to_string());
    assert_eq!(
        l["results"][0]["symptoms"][0]["observed"], "not_observed",
        "{l}"
    );
}

// 24.1: an event() naming no log is absent only if every log was read.
#[test]
fn an_event_in_no_named_log_is_unknown_while_some_log_was_not_read() {
    let facts = |logs: &str| {
        format!(
            "{{\"host\":\"H\",\"os\":{{\"name\":\"Windows NT Server 4.0\",\"version\":\"4.0\"}},\"events\":[]{logs}}}"
        )
    };
    let symptom = |doc: &str| {
        let l = eval("kb/KB322051.yaml", doc);
        (l["results"][0]["symptoms"].as_array().unwrap().iter())
            .find(|s| s["id"] == "event-1008-move-mailbox")
            .unwrap()
            .clone()
    };
    let s = symptom(&facts(",\"event_logs\":[\"System\"]"));
    assert_eq!(s["observed"], "unknown", "{s}");
    assert!(
        s["missing"]
            .to_string()
            .contains("complete for System only"),
        "{s}"
    );
    assert_eq!(symptom(&facts(""))["observed"], "not_observed");
}

// 24.1: a SOFTWARE hive without an Uninstall key, or not a SOFTWARE hive, has no software list.
#[test]
fn software_is_absent_without_an_uninstall_key_and_from_a_hive_that_is_not_software() {
    let dir = scratch("hard-collect-software");
    let hive = dir.join("SOFTWARE");
    crafted("software-no-uninstall.hiv.xz", &hive);
    let o = collect(&["--software", hive.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = documents(&o).remove(0);
    assert!(doc.get("software").is_none(), "{doc}");
    assert_eq!(doc["os"]["version"], "4.0");
    assert!(
        not_collected(&doc).contains("Microsoft\\\\Windows\\\\CurrentVersion\\\\Uninstall"),
        "{}",
        not_collected(&doc)
    );

    let sam = dir.join("SAM");
    crafted("SAM.xz", &sam);
    let o = collect(&["--software", sam.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = documents(&o).remove(0);
    for key in ["software", "hotfixes", "os"] {
        assert!(doc.get(key).is_none(), "{key}: {doc}");
    }
    assert!(
        not_collected(&doc).contains("not a SOFTWARE hive"),
        "{}",
        not_collected(&doc)
    );
}

// 24.5: a wrong path makes no host.
#[test]
fn a_root_that_is_not_a_windows_system_is_an_error_and_the_other_roots_go_on() {
    let dir = volume("hard-collect-roots");
    let empty = scratch("hard-collect-roots-empty");
    let nope = empty.join("nope");
    let o = collect(&[
        "--kb",
        "kb/KB322051.yaml",
        nope.to_str().unwrap(),
        dir.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let docs = documents(&o);
    assert_eq!(docs.len(), 1, "{}", stdout(&o));
    assert_eq!(docs[0]["host"], "EXCH55-NT4");
    let err = stderr(&o);
    for path in [&nope, &empty] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("{}:", path.display())))
            .unwrap_or_else(|| panic!("{} is not named: {err}", path.display()));
        assert!(line.contains("system32\\config"), "{line}");
    }
    assert!(err.contains("no such folder"), "{err}");
}

// 25.1: a system root whose lower-cased form is longer than itself.
#[test]
fn a_non_ascii_system_root_before_a_variable_does_not_panic_and_later_volumes_are_kept() {
    let bad = volume("hard-collect-unicode");
    crafted(
        "software-unicode-root.hiv.xz",
        &config(&bad).join("SOFTWARE"),
    );
    let good = volume("hard-collect-unicode-good");
    let o = collect(&[
        "--kb",
        "kb/KB322051.yaml",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
    let docs = documents(&o);
    assert_eq!(docs.len(), 2, "{}", stderr(&o));
    // The value is written as the hive holds it; the files cannot be placed by it.
    assert_eq!(docs[0]["env"]["SystemRoot"], "İ%windir%éééé");
    assert!(docs[0].get("files").is_none(), "{}", docs[0]);
    assert!(
        not_collected(&docs[0]).contains("is not a folder"),
        "{}",
        not_collected(&docs[0])
    );
    assert_eq!(docs[1]["files"].as_array().map(Vec::len), Some(3));
}

// 25.2: a system root naming a variable expands once, never again.
#[test]
fn a_system_root_naming_itself_does_not_hang() {
    for (hive, value) in [
        ("software-windir-root.hiv.xz", "%windir%"),
        ("software-growing-root.hiv.xz", "X%SystemRoot%"),
    ] {
        let dir = volume("hard-collect-loop");
        crafted(hive, &config(&dir).join("SOFTWARE"));
        let o = collect(&["--kb", "kb/KB322051.yaml", dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{value}: {}", stderr(&o));
        let doc = documents(&o).remove(0);
        assert_eq!(doc["env"]["SystemRoot"], value);
        assert!(doc.get("files").is_none(), "{value}: {doc}");
        assert!(
            not_collected(&doc).contains(&format!("SystemRoot ({value}) is not a folder")),
            "{value}: {}",
            not_collected(&doc)
        );
    }
}

// 25.2: with several roots, each document is written as soon as it is made.
#[cfg(unix)]
#[test]
fn each_volume_s_document_reaches_standard_output_before_the_next_volume_is_read() {
    let dir = volume("hard-collect-flush");
    let missing = scratch("hard-collect-flush-missing");
    let mut args: Vec<String> = ["collect", "--kb", "kb/KB322051.yaml"]
        .map(String::from)
        .into();
    args.push(dir.display().to_string());
    // Enough errors after the first volume to fill standard error's pipe, which this test does
    // not read: kbdiag then waits, and only what it flushed before has reached standard output.
    for i in 0..800 {
        args.push(
            missing
                .join(format!("not-a-volume-{i:04}"))
                .display()
                .to_string(),
        );
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbdiag"))
        .args(&args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut line = String::new();
        let _ = std::io::BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(20));
    let mut err = child.stderr.take().unwrap();
    let _ = child.kill();
    let mut rest = String::new();
    let _ = err.read_to_string(&mut rest);
    let _ = child.wait();
    let line = line.expect("the first volume's document while later volumes are still read");
    assert!(line.contains("EXCH55-NT4"), "{line}");
}

// 25.11: the artifact limit holds for files whose size reads as 0, and links out of the volume
// are not followed.
#[cfg(target_os = "linux")]
#[test]
fn a_link_out_of_the_volume_is_not_followed_and_a_file_larger_than_its_size_is_refused() {
    let dir = volume("hard-collect-link");
    let cfg = config(&dir);
    std::fs::remove_file(cfg.join("SOFTWARE")).unwrap();
    std::os::unix::fs::symlink("/proc/self/pagemap", cfg.join("SOFTWARE")).unwrap();
    // A link that stays inside the volume is fine.
    let backup = dir.join("backup");
    std::fs::create_dir(&backup).unwrap();
    std::fs::rename(cfg.join("SYSTEM"), backup.join("SYSTEM")).unwrap();
    std::os::unix::fs::symlink("../../../backup/SYSTEM", cfg.join("SYSTEM")).unwrap();
    let o = collect(&["--kb", "kb/KB322051.yaml", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = documents(&o).remove(0);
    assert_eq!(doc["host"], "EXCH55-NT4", "SYSTEM, linked inside, is read");
    assert!(
        stderr(&o).contains("leads out of the volume"),
        "{}",
        stderr(&o)
    );
    // Given by itself, a special file is read within its size only (0 bytes, says procfs).
    let o = collect(&["--software", "/proc/self/status"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("more than its size"), "{}", stderr(&o));
}

// 25.15: an empty computer name is no name.
#[test]
fn an_empty_or_blank_computer_name_is_treated_as_absent() {
    for hive in ["system-empty-name.hiv.xz", "system-blank-name.hiv.xz"] {
        let dir = volume("hard-collect-name");
        crafted(hive, &config(&dir).join("SYSTEM"));
        // As when ComputerName is missing: the first event's computer names the host…
        let o = collect(&["--kb", "kb/KB322051.yaml", dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{hive}: {}", stderr(&o));
        assert_eq!(documents(&o)[0]["host"], "EXCH55-NT4", "{hive}");
        // …and without events, the volume folder's name.
        std::fs::remove_file(config(&dir).join("AppEvent.Evt")).unwrap();
        let o = collect(&["--kb", "kb/KB322051.yaml", dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{hive}: {}", stderr(&o));
        assert_eq!(documents(&o)[0]["host"], "nt4-srp", "{hive}");
        let l = eval("kb/KB322051.yaml", &stdout(&o));
        assert_eq!(l["host"], "nt4-srp", "{hive}: {l}");
        assert!(l["results"][0]["status"].is_string(), "{hive}: {l}");
    }
    let o = collect(&["--host", "  ", "examples/volumes/nt4-srp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--host"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

// 25.16: 100,000 junk logs are counted, not listed; the host is still evaluated.
#[test]
fn a_hundred_thousand_junk_logs_are_counted_and_the_host_is_still_evaluated() {
    let dir = volume("hard-collect-junk");
    let cfg = config(&dir);
    for i in 0..100_000 {
        std::fs::File::create(cfg.join(format!("junk{i:06}.evt"))).unwrap();
    }
    // About 2 s of CPU time; the guard is against a hang, with room for a loaded machine.
    let o = kbdiag_within(
        90,
        &["collect", "--kb", "kb/KB322051.yaml", dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.len() < 256 * 1024, "{} bytes", o.stdout.len());
    assert!(o.stderr.len() < 64 * 1024, "{} bytes", o.stderr.len());
    let doc = documents(&o).remove(0);
    assert!(
        not_collected(&doc).contains("and 99,"),
        "{}",
        not_collected(&doc)
    );
    assert!(stderr(&o).contains("and 99,"), "{}", stderr(&o));
    // The application log is still read, and the host evaluated.
    assert!(
        doc["event_logs"].to_string().contains("Application"),
        "{doc}"
    );
    let l = eval("kb/KB322051.yaml", &stdout(&o));
    assert_eq!(l["host"], "EXCH55-NT4", "{l}");
    assert_eq!(l["results"][0]["status"], "suspected", "{l}");
}

// A rule set spelling one registry value two ways made a document that eval refuses.
#[test]
fn one_registry_value_spelled_two_ways_by_the_rules_is_collected_once() {
    let o = collect(&["examples/volumes/nt4-srp"]);
    let doc = documents(&o).remove(0);
    let lsa: Vec<&String> = (doc["registry"].as_object().unwrap().keys())
        .filter(|k| k.to_lowercase().ends_with("\\lsa\\lmcompatibilitylevel"))
        .collect();
    assert_eq!(lsa.len(), 1, "{lsa:?}");
    let o = kbdiag(
        &["eval", "--format", "ndjson", "--detail", "full", "-"],
        Some(&o.stdout),
    );
    let l = &ndjson(&o)[0];
    assert!(l.get("error").is_none(), "{l}");
    let errors: Vec<&serde_json::Value> = (l["results"].as_array().unwrap().iter())
        .filter(|r| r["status"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
