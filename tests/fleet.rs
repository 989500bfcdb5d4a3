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
            "{}:5:29: files: invalid type: the whole number `7`, expected a sequence",
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
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "summary",
            "tests/fixtures/hosts",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("Summary: 29 hosts evaluated\n  KB322051: 14 affected, 4 suspected, 5 unknown, 4 not affected, 2 not applicable\nFixes the fleet lacks (hosts without the article's fix, its cause or trigger present):\n  KB322051   14 hosts (14 affected)\nHosts that need action:\n"), "{out}");
    assert!(out.contains("  AFF-SP5          KB322051   affected   install-prerequisite  tests/fixtures/hosts/04-affected-sp5.yaml\n"), "{out}");
    assert_eq!(out.lines().count(), 5 + 18);
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

#[test]
fn in_a_pipeline_exit_zero_names_the_partition_and_ends_with_a_mergeable_summary() {
    let stream = stream();
    let args = [
        "eval",
        "--kb",
        "kb/KB322051.yaml",
        "--exit-zero",
        "--format",
        "ndjson",
        "--summary-line",
        "--input",
        "ndjson",
        "--stdin-name",
        "part-00007",
        "-",
    ];
    let o = kbdiag(&args, Some(stream.as_bytes()));
    // An affected host and a broken line, yet 0: the findings are in the output.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines = ndjson(&o);
    let (summary, results) = lines.split_last().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        assert_eq!(r["file"], "part-00007");
        assert!(r["line"].as_u64().unwrap() >= 1);
    }
    assert!(results[3]["error"].is_string());
    // Each result names its article by id, and its line the run's rules; the articles' records
    // come first and give each one's revision and digest, to join on.
    let records: Vec<serde_json::Value> = (stdout(&o).lines())
        .take_while(|l| l.starts_with("{\"article\":"))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["article"].take())
        .collect();
    assert_eq!(records.len(), 1);
    let article = &records[0];
    assert!(results[0]["results"]["affected"][article["kb"].as_str().unwrap()].is_array());
    assert_eq!(article["revision"], "6.0");
    for r in &results[..3] {
        assert_eq!(r["rules"], article["rules"], "{r}");
    }
    let digest = article["digest"].as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    let s = &summary["summary"];
    assert_eq!(s["inputs"], 4);
    assert_eq!(s["errors"], 1);
    assert_eq!(s["rule_set"][0]["digest"], digest);
    assert_eq!(s["rule_set"][0]["id"], "KB322051");

    // Without --exit-zero the same run says 2.
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "ndjson",
            "--input",
            "ndjson",
            "-",
        ],
        Some(stream.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn merged_summaries_of_parts_equal_the_summary_of_the_whole() {
    let dir = scratch("fleet-merge");
    let mut rng = fleet_gen::Rng::new(7);
    let docs: Vec<String> = (0..300)
        .map(|i| fleet_gen::host(&mut rng, i, 5, 5).to_string())
        .collect();
    std::fs::write(dir.join("all.ndjson"), docs.join("\n") + "\n").unwrap();
    let mut parts = Vec::new();
    for (i, chunk) in docs.chunks(70).enumerate() {
        let part = dir.join(format!("part{i}.ndjson"));
        std::fs::write(&part, chunk.join("\n") + "\n").unwrap();
        let o = kbdiag(
            &["eval", "--format", "summary-json", part.to_str().unwrap()],
            None,
        );
        let out = dir.join(format!("part{i}.summary"));
        std::fs::write(&out, &o.stdout).unwrap();
        parts.push(out.to_str().unwrap().to_owned());
    }
    let whole = kbdiag(
        &[
            "eval",
            "--format",
            "summary-json",
            dir.join("all.ndjson").to_str().unwrap(),
        ],
        None,
    );
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    let mut args = vec!["merge", "--format", "json"];
    args.extend(parts.iter().map(String::as_str));
    let merged = kbdiag(&args, None);
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    for key in [
        "inputs",
        "errors",
        "rules",
        "needs_action_total",
        "rule_set",
    ] {
        assert_eq!(merged["summary"][key], whole["summary"][key], "{key}");
    }
    // The text form, as `eval --format summary` prints it.
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    assert!(stdout(&kbdiag(&args, None)).starts_with("Summary: 300 hosts evaluated\n"));

    // A part evaluated with other rules is refused.
    let rules = scratch("fleet-merge-rules");
    let text = std::fs::read_to_string(root().join("kb/KB322051.yaml")).unwrap();
    std::fs::write(rules.join("KB322051.yaml"), text + "\n# changed\n").unwrap();
    let other = kbdiag(
        &[
            "eval",
            "--kb",
            rules.to_str().unwrap(),
            "--format",
            "summary-json",
            dir.join("part0.ndjson").to_str().unwrap(),
        ],
        None,
    );
    let odd = dir.join("odd.summary");
    std::fs::write(&odd, &other.stdout).unwrap();
    let o = kbdiag(&["merge", &parts[0], odd.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("evaluated with other rules"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn merge_reads_a_summary_line_after_megabytes_of_results() {
    let dir = scratch("fleet-merge-big");
    let mut rng = fleet_gen::Rng::new(11);
    let docs: String = (0..6000)
        .map(|i| fleet_gen::host(&mut rng, i, 3, 3).to_string() + "\n")
        .collect();
    std::fs::write(dir.join("part.ndjson"), docs).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            "--summary-line",
            dir.join("part.ndjson").to_str().unwrap(),
        ],
        None,
    );
    assert!(o.stdout.len() > 8 << 20, "{} bytes", o.stdout.len());
    std::fs::write(dir.join("part.out"), &o.stdout).unwrap();
    let merged = kbdiag(&["merge", dir.join("part.out").to_str().unwrap()], None);
    assert!(
        stdout(&merged).starts_with("Summary: 6000 hosts evaluated\n"),
        "{}{}",
        stdout(&merged),
        stderr(&merged)
    );
}
