//! Hardening: each attack that worked on an earlier version, as a regression test
//! (docs/hardening.md lists them with their outcome). Round 2 is in this file; round 3 in
//! `tests/hardening/`, a module per part of the program attacked.

mod common;

#[path = "hardening/collect.rs"]
mod collect;
#[path = "hardening/hives.rs"]
mod hives;
#[path = "hardening/logs.rs"]
mod logs;
#[path = "hardening/reports.rs"]
mod reports;
#[path = "hardening/sandbox.rs"]
mod sandbox;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};

/// The built-in rule, copied into a folder of its own.
fn rules_copy(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::copy(root().join("kb/KB322051.yaml"), dir.join("KB322051.yaml")).unwrap();
    dir
}

#[test]
fn block_nesting_is_counted_in_rules_tests_and_facts() {
    let deep = format!("x:\n  {}a\n", "- ".repeat(200_000));
    let dir = rules_copy("hard-block-rules");
    std::fs::write(dir.join("KB2.yaml"), &deep).unwrap();
    for args in [
        vec!["check", dir.to_str().unwrap()],
        vec!["list", "--kb", dir.to_str().unwrap()],
        vec![
            "eval",
            "--kb",
            dir.to_str().unwrap(),
            "examples/hosts/pdc-nt4.yaml",
        ],
    ] {
        let o = kbdiag_within(10, &args);
        assert!(
            matches!(o.status.code(), Some(1 | 2)),
            "{args:?}: {:?}",
            o.status
        );
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            all.contains("KB2.yaml:2:") && all.contains("nested deeper than 64 levels"),
            "{args:?}: {all}"
        );
    }
    let tests = scratch("hard-block-tests");
    std::fs::write(
        tests.join("KB322051.yaml"),
        include_str!("../kb/KB322051.yaml"),
    )
    .unwrap();
    std::fs::write(tests.join("KB322051.tests.yaml"), &deep).unwrap();
    let o = kbdiag_within(10, &["test", tests.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("nested deeper than 64 levels"),
        "{}",
        stdout(&o)
    );

    // A fact file of the same shape, near the size limit, is refused at once.
    let facts = scratch("hard-block-facts");
    let big = format!("host: a\nx:\n  {}a\n", "- ".repeat(4_000_000));
    std::fs::write(facts.join("deep.yaml"), big).unwrap();
    let o = kbdiag_within(10, &["eval", "--format", "ndjson", facts.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let lines = ndjson(&o);
    assert_eq!(lines[0]["location"]["line"], 3, "{lines:?}");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 64 levels")
    );
}

#[test]
fn a_dense_yaml_document_is_refused_before_its_parser_holds_it() {
    let dir = scratch("hard-dense");
    let dense = format!("host: D\nx: [{}]\n", vec!["1"; 4_000_000].join(","));
    std::fs::write(dir.join("dense.yaml"), dense).unwrap();
    let o = kbdiag_within(10, &["eval", "--format", "ndjson", dir.to_str().unwrap()]);
    let l = &ndjson(&o)[0];
    assert!(
        l["error"]
            .as_str()
            .unwrap()
            .contains("more than 100000 YAML nodes; write a host this big as JSON"),
        "{l}"
    );
    assert_eq!(l["location"]["line"], 2);
}

#[test]
fn extreme_jobs_are_capped_not_a_panic() {
    for jobs in ["18446744073709551615", "100000"] {
        let o = kbdiag_within(
            20,
            &[
                "eval",
                "--jobs",
                jobs,
                "--format",
                "summary",
                "examples/hosts",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("--jobs {jobs} is more than 4 per core; using")),
            "{}",
            stderr(&o)
        );
        assert!(stdout(&o).starts_with("Summary: 9 hosts evaluated"));
    }
}

#[test]
fn a_closed_output_pipe_claims_no_verdict() {
    let dir = scratch("hard-pipe");
    let line =
        std::fs::read_to_string(root().join("tests/fixtures/hosts/02-affected-sp6-hotfix.json"))
            .unwrap()
            .replace('\n', " ");
    let fleet: String = (0..20_000).map(|_| format!("{line}\n")).collect();
    let file = dir.join("fleet.ndjson");
    std::fs::write(&file, fleet).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbdiag"))
        .args(["eval", "--format", "ndjson", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141), "cut short: neither 0 nor 1");
}

#[test]
fn duplicate_keys_are_refused_in_json_as_in_yaml() {
    let dir = scratch("hard-dup");
    for (name, text, key, column) in [
        ("host.json", r#"{"host":"D1","host":"D2"}"#, "host", 14),
        (
            "os.json",
            r#"{"host":"D","os":{"version":"4.0"},"os":{"version":"5.0"}}"#,
            "os",
            34,
        ),
        (
            "env.json",
            r#"{"host":"D","env":{"SystemRoot":"C:\\A","SYSTEMROOT":"D:\\B"}}"#,
            "SYSTEMROOT",
            37,
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let o = kbdiag(
            &[
                "eval",
                "--format",
                "ndjson",
                dir.join(name).to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{name}");
        let l = &ndjson(&o)[0];
        let error = l["error"].as_str().unwrap();
        assert!(error.contains(&format!("`{key}`")), "{name}: {error}");
        assert!(
            error.contains("twice") || error.contains("duplicate"),
            "{name}: {error}"
        );
        assert_eq!(l["location"]["line"], 1, "{name}: {l}");
        assert!(
            l["location"]["column"].as_u64().unwrap() >= column,
            "{name}: {l}"
        );
    }
    // YAML: a registry path given twice in two spellings.
    std::fs::write(
        dir.join("reg.yaml"),
        "host: D\nregistry:\n  'HKLM\\SOFTWARE\\X': 1\n  'HKEY_LOCAL_MACHINE\\software\\x': 0\n",
    )
    .unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            dir.join("reg.yaml").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("is given twice"), "{}", stdout(&o));
}

const NT4: &str = "host: H\nos: {name: Windows NT Server 4.0, edition: Standard, version: '4.0', service_pack: 6a}\nenv: {SystemRoot: 'C:\\WINNT'}\n";

fn eval_yaml(dir: &std::path::Path, name: &str, text: &str) -> serde_json::Value {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "ndjson",
            "--detail",
            "full",
            path.to_str().unwrap(),
        ],
        None,
    );
    ndjson(&o).remove(0)
}

#[test]
fn conflicting_entries_for_one_file_are_unknown_with_the_conflict() {
    let dir = scratch("hard-conflict");
    let facts = format!(
        "{NT4}files:\n  - {{path: 'C:\\WINNT\\System32\\Schannel.dll', cipher_bits: 128}}\n  - {{path: 'C:\\WINNT\\System32\\Ntlmssps.dll', cipher_bits: 128}}\n  - {{path: 'C:\\WINNT\\System32\\Security.dll', cipher_bits: 128}}\n  - {{path: 'c:/winnt/system32/security.dll', cipher_bits: 56}}\n"
    );
    let l = eval_yaml(&dir, "conflict.yaml", &facts);
    let r = &l["results"][0];
    assert_eq!(r["status"], "unknown", "{l}");
    assert!(
        r["missing"][0]
            .as_str()
            .unwrap()
            .contains("listed more than once with different facts"),
        "{l}"
    );
    // The same file twice with the same facts is fine.
    let same = facts.replace("cipher_bits: 56}", "cipher_bits: 128}");
    assert_eq!(
        eval_yaml(&dir, "same.yaml", &same)["results"][0]["status"],
        "not_affected"
    );
}

#[test]
fn impossible_values_are_refused_naming_the_value() {
    let dir = scratch("hard-values");
    for (text, says) in [
        (
            format!(
                "{NT4}files: [{{path: 'C:\\WINNT\\System32\\Security.dll', cipher_bits: -128}}]\n"
            ),
            "`cipher_bits: -128` is not a cipher strength; write 40, 56 or 128",
        ),
        (
            format!(
                "{NT4}files: [{{path: 'C:\\WINNT\\System32\\Security.dll', cipher_bits: 7}}]\n"
            ),
            "`cipher_bits: 7` is not a cipher strength",
        ),
        (
            format!("{NT4}files: [{{path: 'C:\\WINNT\\System32\\Security.dll', size: -1}}]\n"),
            "`size: -1` is not a size",
        ),
        (
            format!(
                "{NT4}files: [{{path: 'C:\\WINNT\\System32\\Security.dll', modified: yesterday}}]\n"
            ),
            "`modified`: \"yesterday\" is not an ISO 8601 time",
        ),
    ] {
        let l = eval_yaml(&dir, "v.yaml", &text);
        let error = l["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{error}");
        assert_eq!(l["location"]["line"], 4, "{l}");
    }
}

#[test]
fn times_with_offsets_are_compared_in_utc() {
    let dir = scratch("hard-utc");
    let files = |modified: &str| {
        format!(
            "{NT4}files:\n  - {{path: 'C:\\WINNT\\System32\\Schannel.dll', cipher_bits: 128}}\n  - {{path: 'C:\\WINNT\\System32\\Ntlmssps.dll', cipher_bits: 128}}\n  - {{path: 'C:\\WINNT\\System32\\Security.dll', size: 59152, modified: '{modified}'}}\n"
        )
    };
    // 23:04 at +14:00 is 09:04 UTC: not the 12:04 UTC build of the article's table.
    let l = eval_yaml(&dir, "east.yaml", &files("1999-11-18T23:04:00+14:00"));
    assert_eq!(l["results"][0]["status"], "unknown", "{l}");
    // 02:04 the next day at +14:00 is the table's 12:04 UTC.
    let l = eval_yaml(&dir, "utc.yaml", &files("1999-11-19T02:04:00+14:00"));
    assert_eq!(l["results"][0]["status"], "affected", "{l}");
    assert!(
        l["results"][0]["evidence"]
            .to_string()
            .contains("modified=1999-11-18T12:04:00Z: the 56-bit build"),
        "{l}"
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = scratch("hard-bom");
    std::fs::write(dir.join("bom.yaml"), format!("\u{feff}{NT4}")).unwrap();
    std::fs::write(dir.join("bom.json"), "\u{feff}{\"host\": \"J\"}").unwrap();
    std::fs::write(
        dir.join("bom.ndjson"),
        "\u{feff}{\"host\": \"N1\"}\n{\"host\": \"N2\"}\n",
    )
    .unwrap();
    let o = kbdiag(&["eval", "--format", "ndjson", dir.to_str().unwrap()], None);
    let hosts: Vec<String> = ndjson(&o)
        .iter()
        .map(|l| l["host"].as_str().unwrap_or("ERROR").to_owned())
        .collect();
    assert_eq!(hosts, ["J", "N1", "N2", "H"], "{}", stdout(&o));
    let rules = rules_copy("hard-bom-rule");
    let text = std::fs::read_to_string(rules.join("KB322051.yaml")).unwrap();
    std::fs::write(rules.join("KB322051.yaml"), format!("\u{feff}{text}")).unwrap();
    let o = kbdiag(&["check", rules.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn unreadable_folders_dangling_links_and_fifos_are_reported_and_the_rest_evaluated() {
    let dir = scratch("hard-walk");
    std::fs::copy(
        root().join("examples/hosts/pdc-nt4.yaml"),
        dir.join("a.yaml"),
    )
    .unwrap();
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::copy(
        root().join("examples/hosts/w2k-srv.yaml"),
        locked.join("b.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere.yaml"), dir.join("dangling.yaml")).unwrap();
    let fifo = dir.join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any folder: then the folder is evaluated, which is also right.
    let locked_out = std::fs::read_dir(&locked).is_err();
    let o = kbdiag_within(10, &["eval", "--format", "ndjson", dir.to_str().unwrap()]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(2));
    let lines = ndjson(&o);
    let said = |file: &str| {
        lines
            .iter()
            .find(|l| l["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{file} is not in the output: {lines:?}"))
            .clone()
    };
    assert_eq!(said("a.yaml")["host"], "PDC-NT4");
    assert!(
        said("dangling.yaml")["error"]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );
    assert!(
        said("pipe.yaml")["error"]
            .as_str()
            .unwrap()
            .contains("not a regular file")
    );
    if locked_out {
        assert!(
            said("locked")["error"]
                .as_str()
                .unwrap()
                .contains("cannot read this folder")
        );
    } else {
        assert_eq!(said("b.yaml")["host"], "W2K-SRV");
    }
}

#[cfg(unix)]
#[test]
fn results_from_a_live_stream_are_written_as_they_are_made() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbdiag"))
        .args([
            "eval", "--format", "ndjson", "--input", "ndjson", "--jobs", "2", "-",
        ])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    use std::io::{BufRead, Write};
    input.write_all(b"{\"host\": \"LIVE-1\"}\n").unwrap();
    input.flush().unwrap();
    // The first result arrives while standard input is still open.
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        // The first result, after the articles' records.
        let mut out = std::io::BufReader::new(out);
        let mut line = String::new();
        while out.read_line(&mut line).is_ok_and(|n| n > 0) && line.starts_with("{\"article\":") {
            line.clear();
        }
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a result before the end of the input");
    assert!(line.contains("LIVE-1"), "{line}");
    drop(input);
    child.wait().unwrap();
}

#[test]
fn list_escapes_every_field_and_check_warns_on_hidden_characters() {
    let dir = rules_copy("hard-list");
    let text = std::fs::read_to_string(dir.join("KB322051.yaml"))
        .unwrap()
        .replace("aliases: [Q322051]", "aliases: [\"Q\\e]52;c;b3duZWQ=\\a\"]")
        .replace("revision: \"6.0\"", "revision: \"6.0\\e[2J\"")
        .replace("title: Programs may not", "title: Programs \u{202e}may not");
    std::fs::write(dir.join("KB322051.yaml"), text).unwrap();
    let o = kbdiag(&["list", "--kb", dir.to_str().unwrap()], None);
    let out = stdout(&o);
    assert!(
        !out.chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
        "{out:?}"
    );
    assert!(out.contains("\\u{1b}]52;c;b3duZWQ=\\u{7}"), "{out}");
    assert!(out.contains("Programs \\u{202e}may not"), "{out}");
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("warning: the character \\u{202e} is hidden or moves text"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bidi_and_invisible_characters_from_facts_are_made_visible() {
    let dir = scratch("hard-bidi");
    let facts = "{\"host\": \"OK\\u202e\\u2066\\u200b\\u2028X\", \"os\": {\"name\": \"Windows NT Server 4.0\", \"version\": \"4.0\"}, \"reported_errors\": [\"DS_E_COMMUNICATIONS_PROBLEM \\u2069\"]}";
    let path = dir.join("bidi.json");
    std::fs::write(&path, facts).unwrap();
    for args in [
        vec!["eval", path.to_str().unwrap()],
        vec!["eval", "--format", "summary", path.to_str().unwrap()],
        vec!["explain", path.to_str().unwrap()],
    ] {
        let o = kbdiag(&args, None);
        let out = stdout(&o);
        for c in ['\u{202e}', '\u{2066}', '\u{200b}', '\u{2028}', '\u{2069}'] {
            assert!(!out.contains(c), "{args:?}: {c:?} in {out}");
        }
        assert!(
            out.contains("OK\\u{202e}\\u{2066}\\u{200b}\\u{2028}X"),
            "{args:?}: {out}"
        );
    }
}

#[test]
fn a_huge_expression_is_not_echoed_whole() {
    let dir = rules_copy("hard-echo");
    let text = std::fs::read_to_string(dir.join("KB322051.yaml"))
        .unwrap()
        .replacen(
            "expr: icontains(fact(\"os.name\"), \"Windows NT\")",
            &format!(
                "expr: 'icontains(fact(\"os.name\"), \"{}\") && ('",
                "a".repeat(1_000_000)
            ),
            1,
        );
    std::fs::write(dir.join("KB322051.yaml"), text).unwrap();
    let o = kbdiag_within(20, &["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        o.stdout.len() + o.stderr.len() < 4096,
        "{} bytes",
        o.stdout.len()
    );
}

#[cfg(unix)]
#[test]
fn new_does_not_write_through_a_dangling_link() {
    let dir = scratch("hard-new");
    let outside = scratch("hard-new-outside").join("target.yaml");
    std::os::unix::fs::symlink(&outside, dir.join("KB7.yaml")).unwrap();
    let o = kbdiag(&["new", "KB7", "--dir", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists; not overwriting it"),
        "{}",
        stderr(&o)
    );
    assert!(!outside.exists(), "wrote through the link");
}

#[test]
fn ids_and_aliases_are_unique_ignoring_case() {
    let dir = rules_copy("hard-ids");
    let text = std::fs::read_to_string(dir.join("KB322051.yaml"))
        .unwrap()
        .replace("id: KB322051", "id: kb322051")
        .replace("aliases: [Q322051]", "aliases: [KB322051-B]");
    std::fs::write(dir.join("other.yaml"), text).unwrap();
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("is also named `kb322051` by"),
        "{}",
        stdout(&o)
    );
}

#[cfg(unix)]
#[test]
fn results_before_a_fifo_without_writer_are_not_lost() {
    let dir = scratch("hard-fifo");
    let fifo = dir.join("never.ndjson");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbdiag"))
        .args(["eval", "--format", "ndjson", "examples/hosts/pdc-nt4.yaml"])
        .arg(&fifo)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        // The first result, after the articles' records.
        let mut out = std::io::BufReader::new(out);
        let mut line = String::new();
        while out.read_line(&mut line).is_ok_and(|n| n > 0) && line.starts_with("{\"article\":") {
            line.clear();
        }
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("the first host's result while the FIFO waits for a writer");
    assert!(line.contains("PDC-NT4"), "{line}");
}
