//! The `kbdiag` binary as a user runs it: exit codes, inputs, formats, `--kb`, bad input.

mod common;

use common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};

fn fixture(name: &str) -> String {
    format!("tests/fixtures/hosts/{name}")
}

#[test]
fn the_example_fleet_reports_every_host_and_exits_1() {
    let o = kbdiag(&["eval", "examples/hosts"], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    for host in [
        "BDC-NT4",
        "BDC-WAN-NT4",
        "EXCH55-01",
        "EXCH55-02",
        "FILES-NT4",
        "IIS-NT4-01",
        "IIS-NT4-02",
        "PDC-NT4",
        "W2K-SRV",
    ] {
        assert!(
            out.contains(&format!("{host} (examples/hosts/")),
            "{host} missing:\n{out}"
        );
    }
    // Every article of the knowledge base is counted, KB 322051 as before the others came.
    assert!(
        out.contains("\nSummary: 9 hosts evaluated\n  KB147706: "),
        "{out}"
    );
    let summary = out.split("\nSummary: ").nth(1).unwrap_or_default();
    let counted = summary
        .lines()
        .filter(|l| l.starts_with("  KB") && l.get(10..12) == Some(": "))
        .count();
    assert_eq!(counted, 30, "{summary}");
    assert!(
        out.contains(
            "\n  KB322051: 2 affected, 1 suspected, 1 unknown, 4 not affected, 1 not applicable\n"
        ),
        "{out}"
    );
    assert!(out.contains("\nFixes the fleet lacks (hosts without the article's fix, its cause or trigger present):\n"), "{out}");
    assert!(
        out.contains("\n  KB322051   2 hosts (2 affected)\n"),
        "{out}"
    );
    for line in [
        "  BDC-NT4          KB322051   suspected  collect-facts         examples/hosts/bdc-nt4.yaml\n",
        "  EXCH55-01        KB322051   affected   install-hotfix        examples/hosts/exch55-01.yaml\n",
        "  EXCH55-02        KB322051   affected   install-prerequisite  examples/hosts/exch55-02.json\n",
    ] {
        assert!(out.contains(line), "{line}{out}");
    }
    // A host against thirty articles: the ones that need a look in full, the rest a line each.
    assert!(out.contains("\n  not affected: "), "{out}");
    assert!(
        out.contains("\n  (--detail full shows every article's evidence)\n"),
        "{out}"
    );
}

#[test]
fn exit_status_is_0_when_nothing_needs_attention() {
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            &fixture("07-not-affected-128.yaml"),
            &fixture("09-not-applicable-w2k.yaml"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            &fixture("13-unknown-host-only.yaml"),
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "unknown alone asks for facts, not action"
    );
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            &fixture("11-suspected-event.yaml"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "suspected needs attention");
}

#[test]
fn directories_are_walked_in_sorted_order_one_ndjson_line_per_file() {
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "ndjson",
            "tests/fixtures/hosts",
        ],
        None,
    );
    let lines = ndjson(&o);
    let files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    assert_eq!(files.len(), 29);
    for l in &lines {
        assert!(l["host"].is_string());
        let results = common::brief_results(l);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["kb"], "KB322051");
        assert!(results[0]["status"].is_string());
    }
}

#[test]
fn standard_input_takes_yaml_or_json() {
    let yaml = std::fs::read(root().join(fixture("04-affected-sp5.yaml"))).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "ndjson",
            "-",
        ],
        Some(&yaml),
    );
    let lines = ndjson(&o);
    assert_eq!(lines[0]["file"], "<stdin>");
    assert_eq!(
        common::brief_results(&lines[0])[0]["recommendation"]["action"],
        "install-prerequisite"
    );
    let json = br#"{"host": "J", "os": {"name": "Windows 2000", "version": "5.0"}}"#;
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "ndjson",
            "-",
        ],
        Some(json),
    );
    let line = &ndjson(&o)[0];
    let evidence = &line["results"]["not_applicable"]["KB322051"];
    assert_eq!(
        line["texts"][evidence[0].as_u64().unwrap() as usize],
        "os.name=Windows 2000"
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn standard_input_with_one_document_per_line_is_read_as_ndjson() {
    // What `kbdiag collect a b` writes: one JSON document a line.
    let lines = b"{\"host\": \"A\", \"os\": {\"name\": \"Windows 2000\", \"version\": \"5.0\"}}\n{\"host\": \"B\"}\n";
    let args = [
        "eval",
        "--kb",
        "kb/KB322051.yaml",
        "--format",
        "ndjson",
        "-",
    ];
    let o = kbdiag(&args, Some(lines));
    let out = ndjson(&o);
    assert_eq!(out.len(), 2, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        (out[0]["host"].as_str(), out[1]["host"].as_str()),
        (Some("A"), Some("B"))
    );
    assert_eq!(out[1]["line"], 2);
    // One document over several lines, and one line alone, stay one document.
    let pretty = b"{\n  \"host\": \"P\"\n}\n";
    let o = kbdiag(&args, Some(pretty));
    assert_eq!(ndjson(&o)[0]["host"], "P");
    assert_eq!(ndjson(&o)[0].get("line"), None);
    let o = kbdiag(
        &args,
        Some(&lines[..lines.iter().position(|&b| b == b'\n').unwrap() + 1]),
    );
    assert_eq!(ndjson(&o)[0].get("line"), None);
    // `--input document` still insists on one document.
    let mut forced = args.to_vec();
    forced.insert(1, "--input=document");
    let o = kbdiag(&forced, Some(lines));
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("trailing characters"), "{}", stdout(&o));
}

#[test]
fn the_example_volume_collected_is_evaluated_by_every_article_without_an_error() {
    // Two articles write one registry value in two cases (`LmCompatibilitylevel`); the
    // collected document held it twice, and eight articles failed on the duplicate.
    let o = kbdiag(&["collect", "examples/volumes/nt4-srp"], None);
    let doc = o.stdout;
    let o = kbdiag(&["eval", "--format", "summary", "-"], Some(&doc));
    let out = stdout(&o);
    assert!(out.starts_with("Summary: 1 host evaluated\n"), "{out}");
    assert!(!out.contains("error"), "{out}");
}

#[test]
fn json_is_one_document_with_a_summary() {
    let o = kbdiag(&["eval", "--format", "json", "examples/hosts"], None);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["reports"].as_array().unwrap().len(), 9);
    assert_eq!(common::brief_results(&doc["reports"][0]).len(), 30);
    assert_eq!(doc["summary"]["rules"]["KB322051"]["affected"], 2);
    assert_eq!(doc["summary"]["inputs"], 9);
    assert_eq!(doc["summary"]["needs_action"][0]["host"], "BDC-NT4");
}

#[test]
fn kb_replaces_the_builtin_rules() {
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "tests/rules",
            "--format",
            "ndjson",
            "tests/fixtures/synthetic/affected.yaml",
        ],
        None,
    );
    let lines = ndjson(&o);
    let kbs: Vec<String> = (common::brief_results(&lines[0]).iter())
        .map(|r| r["kb"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kbs, ["KB900001"]);
    assert_eq!(o.status.code(), Some(1));
    let o = kbdiag(&["list", "--kb", "tests/rules"], None);
    assert!(
        stdout(&o).starts_with("KB900001 (also W900001): Widget Server"),
        "{}",
        stdout(&o)
    );
    let o = kbdiag(&["list", "--kb", "kb/KB322051.yaml"], None);
    assert!(
        stdout(&o).starts_with("KB322051 (also Q322051): Programs may not connect"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("revision 6.0, last reviewed 2007-04-25"));
}

#[test]
fn a_broken_rule_refuses_the_run_with_a_located_message() {
    let dir = scratch("broken-kb");
    let rule = std::fs::read_to_string(root().join("tests/rules/KB900001.yaml")).unwrap();
    std::fs::write(
        dir.join("KB900001.yaml"),
        rule.replace(
            "has_software(\"Widget Server\")",
            "has_software(\"Widget Server\"",
        ),
    )
    .unwrap();
    let o = kbdiag(
        &["eval", "--kb", dir.to_str().unwrap(), "examples/hosts"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "nothing is evaluated");
    let err = stderr(&o);
    assert!(
        err.contains("KB900001.yaml:13:37: applies_to.when: Rhai syntax error: Expecting ')'"),
        "{err}"
    );
    assert!(err.contains("nothing was evaluated"), "{err}");
    let o = kbdiag(&["eval", "--kb", "no/such/folder", "examples/hosts"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("no/such/folder: "), "{}", stderr(&o));
}

/// Every bad input gets one located error, quickly, and the good input beside it is still
/// evaluated.
#[test]
fn bad_inputs_each_give_one_clear_error_and_the_run_goes_on() {
    let dir = scratch("bad-inputs");
    for entry in std::fs::read_dir(root().join("tests/fixtures/bad")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let deep = format!(
        "host: DEEP\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.join("deeply-nested.yaml"), deep).unwrap();
    let deep = format!(
        "{{\"host\": \"DEEP\", \"x\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.join("deeply-nested.json"), deep).unwrap();

    let good = fixture("01-affected-sp6a.yaml");
    let o = kbdiag_within(
        5,
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "ndjson",
            dir.to_str().unwrap(),
            &good,
            "missing-file.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let lines = ndjson(&o);
    let error_of = |name: &str| -> String {
        let line = lines
            .iter()
            .find(|l| l["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in output"));
        assert!(line.get("results").is_none());
        line["error"].as_str().unwrap().to_owned()
    };
    let expected = [
        (
            "alias-bomb.yaml",
            ":5:23: more than 32 YAML aliases (an alias bomb?)",
        ),
        ("deeply-nested.json", ":1:86: nested deeper than 64 levels"),
        ("deeply-nested.yaml", ":2:67: nested deeper than 64 levels"),
        ("empty.yaml", ": the file is empty"),
        ("malformed.json", ":1:36: trailing comma"),
        ("malformed.yaml", ":3:6: did not find expected ',' or '}'"),
        (
            "not-utf8.yaml",
            ":2:21: not valid UTF-8: invalid byte at offset 30",
        ),
        (
            "top-level-list.yaml",
            ":1:1: a fact file must be a mapping with at least `host`, found sequence",
        ),
        ("wrong-type.json", ":1:60: files: invalid type: the text"),
        ("missing-file.yaml", ": No such file or directory"),
    ];
    for (name, message) in expected {
        let error = error_of(name);
        assert!(
            error.contains(&format!("{name}{message}")),
            "{name}: {error}"
        );
    }
    assert_eq!(lines.len(), expected.len() + 1, "every input appears once");
    let good_line = lines.iter().find(|l| l["file"] == good.as_str()).unwrap();
    assert!(good_line["results"]["affected"].is_object(), "{good_line}");
    assert!(
        stderr(&o).contains("10 inputs could not be evaluated"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn text_errors_show_the_line_with_a_caret() {
    let o = kbdiag(&["eval", "tests/fixtures/bad/wrong-type.json"], None);
    let out = stdout(&o);
    assert!(
        out.contains("tests/fixtures/bad/wrong-type.json: ERROR, not evaluated\n"),
        "{out}"
    );
    assert!(out.contains("1 | {\"host\": \"BAD\""), "{out}");
    assert!(
        out.contains("|                                                            ^"),
        "{out}"
    );
}

#[test]
fn errors_say_what_a_person_wrote_wrong_in_their_words() {
    let dir = scratch("plain-errors");
    let cases = [
        (
            "whole.yaml",
            "host: A\nos:\n  build: \"x\"\n",
            "os.build: invalid type: the text \"x\", expected a whole number",
        ),
        (
            "tab.yaml",
            "host: A\nos:\n\tbuild: 1\n",
            ":3:1: found character that cannot start any token; YAML forbids tabs for indentation: indent with spaces",
        ),
        (
            "float.json",
            "{\"host\":\"A\",\"os\":{\"build\":1.5}}",
            "os.build: invalid type: the number `1.5`, expected a whole number",
        ),
    ];
    for (name, text, said) in cases {
        std::fs::write(dir.join(name), text).unwrap();
        let o = kbdiag(
            &[
                "eval",
                "--kb",
                "kb/KB322051.yaml",
                dir.join(name).to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(stdout(&o).contains(said), "{name}: {}", stdout(&o));
    }
    // A rule file: a tab in its indentation, and a condition cut short by ` #`.
    let rule = std::fs::read_to_string(root().join("kb/KB320392.yaml")).unwrap();
    let quoted = "'event(\"Save Dump\", 1001, #{log: \"System\", param: \"0x0000000a (\"})'";
    assert!(rule.contains(quoted));
    std::fs::write(
        dir.join("KB320392.yaml"),
        rule.replace(quoted, "event(\"Save Dump\", 1001, #{log: \"System\"})"),
    )
    .unwrap();
    let o = kbdiag(
        &["check", dir.join("KB320392.yaml").to_str().unwrap()],
        None,
    );
    assert!(
        stdout(&o).contains("Rhai syntax error: Script is incomplete; quote the condition: ` #` starts a YAML comment, so the condition ended before it"),
        "{}",
        stdout(&o)
    );
    std::fs::write(
        dir.join("KB320392.yaml"),
        rule.replacen("\n  when:", "\n\twhen:", 1),
    )
    .unwrap();
    let o = kbdiag(
        &["check", dir.join("KB320392.yaml").to_str().unwrap()],
        None,
    );
    assert!(
        stdout(&o).contains("; YAML forbids tabs for indentation: indent with spaces"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = kbdiag(&["eval"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = kbdiag(&["eval", "--format", "xml", "examples/hosts"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid value 'xml'"));
}

/// A registry value that does not fit its type is an error that names it as the fact file writes
/// it (it read `registryHKLM\SOFTWARE\X: a REG_DWORD cannot hold Text("no")`), and
/// `registry_collected` says so instead of calling the value not collected.
#[test]
fn a_registry_value_of_the_wrong_type_is_an_error_naming_it() {
    let dir = scratch("registry-wrong-type");
    let rule = "id: KB900031\naliases: []\ntitle: A value collected or not\nrevision: \"1.0\"\n\
         last_reviewed: 2026-01-01\napplies_to:\n  products: [Windows]\n  \
         when: 'registry_collected(`HKLM\\SOFTWARE\\X`)'\nsymptoms: []\ncause:\n  text: The value.\n  \
         when: 'true'\nprerequisites: []\nresolution:\n  summary: Nothing to install.\n  \
         obtain: Nowhere.\n  files: []\nrelated: []\n";
    std::fs::write(dir.join("KB900031.yaml"), rule).unwrap();
    let facts = r#"{"host": "H", "os": {"name": "Windows NT Server 4.0", "version": "4.0"},
        "registry": {"HKLM\\SOFTWARE\\X": {"type": "REG_DWORD", "value": "no"}}}"#;
    std::fs::write(dir.join("facts.json"), facts).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            dir.join("KB900031.yaml").to_str().unwrap(),
            dir.join("facts.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let said = r#"registry["HKLM\\SOFTWARE\\X"]: a REG_DWORD cannot hold the text "no""#;
    assert!(stdout(&o).contains(said), "{}", stdout(&o));
}
