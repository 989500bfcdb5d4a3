//! Fleet runs: NDJSON streams, parallel evaluation in input order, the summary.

mod common;

use common::{kbdiag, ndjson, root, scratch, stderr, stdout};

#[path = "../benches/support/fleet_gen.rs"]
mod fleet_gen;

/// An NDJSON stream of the JSON fixtures, a blank line, and a broken line.
fn stream() -> String {
    let dir = root().join("tests/fixtures/hosts");
    let mut lines: Vec<String> = [
        "02-affected-sp6-hotfix.json",
        "08-not-affected-with-symptoms.json",
        "10-not-applicable-win95.json",
    ]
    .iter()
    .map(|f| {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap();
        v.to_string()
    })
    .collect();
    lines.insert(2, String::new());
    lines.push("{\"host\": \"BROKEN\", \"files\": 7}".into());
    lines.join("\n") + "\n"
}

#[test]
fn ndjson_streams_report_each_line_with_its_number() {
    let dir = scratch("fleet-ndjson");
    let file = dir.join("fleet.ndjson");
    std::fs::write(&file, stream()).unwrap();
    let o = kbdiag(
        &["eval", "--format", "ndjson", file.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let lines = ndjson(&o);
    let at: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["host"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            (1, "AFF-SP6-KB"),
            (2, "OK-56-SYMPTOMS"),
            (4, "NA-WIN95"),
            (5, "-")
        ]
    );
    let error = lines[3]["error"].as_str().unwrap();
    assert_eq!(
        error,
        format!(
            "{}:5:29: files: invalid type: integer `7`, expected a sequence",
            file.display()
        )
    );

    // The same stream on standard input.
    let o = kbdiag(
        &["eval", "--input", "ndjson", "--format", "ndjson", "-"],
        Some(stream().as_bytes()),
    );
    let lines = ndjson(&o);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2]["file"], "<stdin>");
    assert_eq!(lines[2]["line"], 4);
}

#[test]
fn output_is_in_input_order_whatever_the_number_of_jobs() {
    let dir = scratch("fleet-order");
    let file = dir.join("fleet.ndjson");
    std::fs::write(&file, fleet_gen::ndjson(700, 20, 30).join("\n")).unwrap();
    let run = |jobs: &str| {
        kbdiag(
            &[
                "eval",
                "--jobs",
                jobs,
                "--format",
                "ndjson",
                file.to_str().unwrap(),
            ],
            None,
        )
    };
    let one = run("1");
    assert_eq!(ndjson(&one).len(), 700);
    for jobs in ["2", "3", "8"] {
        let many = run(jobs);
        assert!(
            one.stdout == many.stdout,
            "--jobs {jobs} changed the output"
        );
        assert_eq!(one.status.code(), many.status.code());
    }
    let json = kbdiag(
        &[
            "eval",
            "--jobs",
            "2",
            "--format",
            "json",
            file.to_str().unwrap(),
        ],
        None,
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["reports"].as_array().unwrap().len(), 700);
    assert_eq!(doc["summary"]["inputs"], 700);
}

#[test]
fn the_summary_counts_each_rule_and_lists_the_hosts_to_act_on() {
    let o = kbdiag(
        &["eval", "--format", "summary", "tests/fixtures/hosts"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("Summary: 29 hosts evaluated\n  KB322051: 14 affected, 4 suspected, 5 unknown, 4 not affected, 2 not applicable\nHosts that need action:\n"), "{out}");
    assert!(out.contains("  AFF-SP5          KB322051   affected   install-prerequisite  tests/fixtures/hosts/04-affected-sp5.yaml\n"), "{out}");
    assert_eq!(out.lines().count(), 3 + 18);
    // No per-host report, and no progress on a standard error that is not a terminal.
    assert!(!out.contains("Findings"));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn an_empty_stream_is_reported() {
    let dir = scratch("fleet-empty");
    std::fs::write(dir.join("empty.ndjson"), "\n\n").unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            dir.join("empty.ndjson").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("the stream holds no fact documents"),
        "{}",
        stdout(&o)
    );
}
