//! Facts from machines that may be compromised, rules from third parties: what they cannot do.

mod common;

use common::{kbdiag, kbdiag_within, root, scratch, stderr, stdout};

fn assert_no_control_characters(text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(
        bad.is_empty(),
        "control characters {bad:?} reached the terminal in:\n{text}"
    );
}

#[test]
fn escape_sequences_from_facts_are_shown_not_sent() {
    let dir = scratch("hostile-facts");
    let facts = "{\"host\": \"EVIL\\u001b[2J\\u001b]0;owned\\u0007\", \"os\": {\"name\": \"Windows NT Server 4.0\\u001b[31m\", \"version\": \"4.0\"}, \
                 \"events\": [{\"source\": \"MSExchangeMTA\", \"id\": 9318, \"message\": \"bad\\r\\u001b[1Agone\"}], \
                 \"reported_errors\": [\"DS_E_COMMUNICATIONS_PROBLEM\\u0008\\u0008\"]}";
    std::fs::write(dir.join("evil.json"), facts).unwrap();
    let path = dir.join("evil.json");
    for args in [
        vec!["eval", path.to_str().unwrap()],
        vec!["eval", "--format", "summary", path.to_str().unwrap()],
        vec!["explain", path.to_str().unwrap()],
    ] {
        let o = kbdiag(&args, None);
        let out = stdout(&o);
        assert_no_control_characters(&out);
        assert_no_control_characters(&stderr(&o));
        assert!(out.contains("EVIL\\u{1b}[2J"), "{args:?}: {out}");
    }
    // JSON output carries the data as it is, escaped by JSON itself.
    let o = kbdiag(
        &["eval", "--format", "ndjson", path.to_str().unwrap()],
        None,
    );
    assert!(stdout(&o).contains("EVIL\\u001b[2J"), "{}", stdout(&o));
}

#[test]
fn escape_sequences_from_rules_are_shown_not_sent() {
    let dir = scratch("hostile-rules");
    let rule = std::fs::read_to_string(root().join("tests/rules/KB900001.yaml")).unwrap();
    let rule = rule
        .replace(
            "title: Widget Server stops answering when widget.dll is older than its plug-in",
            "title: \"\\e[2JWidget Server stops answering\"",
        )
        .replace(
            "text: People say it is slow.",
            "text: \"\\e]0;owned\\a slow\"",
        );
    std::fs::write(dir.join("KB900001.yaml"), &rule).unwrap();
    let host = root().join("tests/fixtures/synthetic/affected.yaml");
    for args in [
        vec!["list", "--kb", dir.to_str().unwrap()],
        vec!["check", dir.to_str().unwrap()],
        vec![
            "eval",
            "--kb",
            dir.to_str().unwrap(),
            host.to_str().unwrap(),
        ],
    ] {
        let o = kbdiag(&args, None);
        assert_no_control_characters(&stdout(&o));
        assert_no_control_characters(&stderr(&o));
    }
    let o = kbdiag(&["list", "--kb", dir.to_str().unwrap()], None);
    assert!(
        stdout(&o).contains("\\u{1b}[2JWidget Server"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_huge_fact_or_rule_file_is_refused_without_being_read() {
    let dir = scratch("hostile-huge");
    let huge = dir.join("huge.yaml");
    // Sparse: a gigabyte on paper, nothing on disk.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let o = kbdiag_within(5, &["eval", "--format", "ndjson", huge.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("the file is larger than the limit of 8388608 bytes"),
        "{}",
        stdout(&o)
    );

    let kb = dir.join("kb");
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::File::create(kb.join("KB1.yaml"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let o = kbdiag(&["check", kb.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("KB1.yaml: the file is larger than the limit"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_rule_that_never_ends_fails_on_each_host_and_the_run_ends() {
    let dir = scratch("hostile-loop");
    let rule = std::fs::read_to_string(root().join("tests/rules/KB900001.yaml")).unwrap();
    let rule = rule.replace(
        "expr: icontains(fact(\"os.name\"), \"widget\")",
        "expr: 'loop { }'",
    );
    std::fs::write(dir.join("KB900001.yaml"), rule).unwrap();
    let o = kbdiag_within(
        10,
        &[
            "eval",
            "--kb",
            dir.to_str().unwrap(),
            "--format",
            "ndjson",
            "tests/fixtures/synthetic",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    // WIDGET-04 has no software list, so `any` reaches the loop; the others are decided before it.
    assert!(
        out.contains("\"error\":\"rule KB900001, condition `the OS says it is a widget appliance`: the expression ran more than 100000 operations (an endless loop?)\""),
        "{out}"
    );
    let hosts = out.lines().filter(|l| !l.starts_with("{\"article\":"));
    assert_eq!(hosts.count(), 5, "every host is still reported");
}
