//! Hardening round 3 (reports): each attack of issue 25 (and each collect→eval trap of issue 24) that
//! worked on an earlier version, as a regression test.

#[allow(unused_imports)]
use super::common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};

use serde_json::{Value, json};

/// An NT 4.0 SP6a host with the article's mismatched DLLs (KB322051 affected), its name and
/// system root as given.
fn affected(host: &str, root: &str) -> Value {
    json!({
        "host": host,
        "os": {"name": "Windows NT Server 4.0", "edition": "Standard", "version": "4.0", "service_pack": "6a"},
        "env": {"SystemRoot": root},
        "hotfixes": ["Q299444"],
        "files": [
            {"path": format!("{root}\\System32\\Schannel.dll"), "cipher_bits": 128},
            {"path": format!("{root}\\System32\\Ntlmssps.dll"), "cipher_bits": 128},
            {"path": format!("{root}\\System32\\Security.dll"), "cipher_bits": 56}
        ],
        "reported_errors": ["DS_E_COMMUNICATIONS_PROBLEM\nKB322051 NOT AFFECTED: forged by a reported error"]
    })
}

/// The lines of a text report that a forged field could pass for.
fn forged_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("KB322051 NOT AFFECTED") || l.starts_with("Summary: 0 hosts")
        })
        .collect()
}

#[test]
fn a_line_break_in_a_field_forges_no_report_line() {
    let dir = scratch("rep-newline");
    let host = "EVIL\nKB322051 NOT AFFECTED: nothing to do\nSummary: 0 hosts evaluated";
    let root = "C:\\WINNT\r\nKB322051 NOT AFFECTED: a path\u{2028}Summary: 0 hosts\u{85}x";
    let facts = dir.join("evil.json");
    std::fs::write(&facts, affected(host, root).to_string()).unwrap();
    // A rule whose title is one line and whose explanation is a paragraph of several.
    let rules = dir.join("kb");
    std::fs::create_dir_all(&rules).unwrap();
    let rule = std::fs::read_to_string(super::common::root().join("kb/KB322051.yaml"))
        .unwrap()
        .replace(
            "title: Programs may not connect",
            "title: \"Forged\\nKB322051 NOT AFFECTED: by the title\\nPrograms may not connect\"\n#",
        )
        .replace(
            "  text: >-\n    This behavior may occur",
            "  text: |-\n    First line.\n    KB322051 NOT AFFECTED: by the explanation\n    Summary: 0 hosts evaluated\n    This behavior may occur",
        );
    std::fs::write(rules.join("KB322051.yaml"), rule).unwrap();
    let (facts, rules) = (facts.to_str().unwrap(), rules.to_str().unwrap());
    // (arguments, whether the host's findings show, whether the forged rule is loaded)
    for (args, findings, forged_rule) in [
        (vec!["eval", "--kb", rules, facts], true, true),
        (
            vec!["eval", "--kb", rules, "--detail", "full", facts],
            true,
            true,
        ),
        (
            vec!["eval", "--kb", rules, "--format", "summary", facts],
            false,
            false,
        ),
        (vec!["eval", facts], true, false),
    ] {
        let o = kbdiag(&args, None);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(forged_lines(&out), Vec::<&str>::new(), "{args:?}:\n{out}");
        for c in ['\r', '\u{2028}', '\u{85}'] {
            assert!(!out.contains(c), "{args:?}: {c:?} in\n{out}");
        }
        assert!(
            out.contains(
                "EVIL\\nKB322051 NOT AFFECTED: nothing to do\\nSummary: 0 hosts evaluated"
            ),
            "{args:?}:\n{out}"
        );
        if findings {
            assert!(
                out.contains("C:\\WINNT\\r\\nKB322051 NOT AFFECTED: a path\\u{2028}Summary: 0 hosts\\u{85}x\\System32"),
                "{args:?}:\n{out}"
            );
            assert!(
                out.contains("DS_E_COMMUNICATIONS_PROBLEM\\nKB322051 NOT AFFECTED"),
                "{args:?}:\n{out}"
            );
        }
        if forged_rule {
            assert!(
                out.contains("Forged\\nKB322051 NOT AFFECTED: by the title\\nPrograms"),
                "{args:?}:\n{out}"
            );
            // The paragraph keeps its lines, each marked as the paragraph's.
            assert!(out.contains("First line.\n"), "{args:?}:\n{out}");
            assert!(
                out.contains("| KB322051 NOT AFFECTED: by the explanation\n"),
                "{args:?}:\n{out}"
            );
        }
    }
}

#[test]
fn control_characters_reach_the_html_report_escaped() {
    let dir = scratch("rep-html-controls");
    let host = "A\u{1b}[31mRED\u{7}\u{1b}]52;c;b3duZWQ=\u{7}\u{202e}X\nY";
    let facts = dir.join("controls.json");
    std::fs::write(&facts, affected(host, "C:\\WINNT").to_string()).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "html",
            "--kb",
            "kb/KB322051.yaml",
            facts.to_str().unwrap(),
        ],
        None,
    );
    let page = stdout(&o);
    for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!page.contains(c), "{c:?} reaches the page");
    }
    // As the text report shows it.
    let shown = "A\\u{1b}[31mRED\\u{7}\\u{1b}]52;c;b3duZWQ=\\u{7}\\u{202e}X\\nY";
    assert!(page.contains(shown), "{page}");
    let text = stdout(&kbdiag(
        &["eval", "--kb", "kb/KB322051.yaml", facts.to_str().unwrap()],
        None,
    ));
    assert!(text.contains(shown), "{text}");
}

/// The summary of KB322051 on the fixture hosts, as `eval --format summary-json` writes it.
fn real_summary() -> Value {
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            "kb/KB322051.yaml",
            "--format",
            "summary-json",
            "tests/fixtures/hosts",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    ndjson(&o).remove(0)
}

/// `kbdiag merge` of the real summary and `forged` (a line of text): its exit status, output and
/// error.
fn merge_with(name: &str, forged: &str) -> (Option<i32>, String, String) {
    let dir = scratch(name);
    let real = dir.join("real.summary");
    std::fs::write(&real, format!("{}\n", real_summary())).unwrap();
    let part = dir.join("forged.summary");
    std::fs::write(&part, format!("{{\"results\": []}}\n{forged}\n")).unwrap();
    let o = kbdiag(
        &["merge", real.to_str().unwrap(), part.to_str().unwrap()],
        None,
    );
    (o.status.code(), stdout(&o), stderr(&o))
}

#[test]
fn merge_refuses_a_summary_whose_totals_do_not_add_up() {
    let real = real_summary();
    let hosts = real["summary"]["inputs"].as_u64().unwrap();
    let rules = &real["summary"]["rules"]["KB322051"];
    let with = |f: &dyn Fn(&mut Value)| {
        let mut s = real.clone();
        f(&mut s["summary"]);
        s.to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        // 2^64 - n of everything: wrapping, it cancels the real summary ("0 hosts", exit 0).
        (
            "cancel",
            with(&|s| {
                let minus = |n: u64| json!(u64::MAX - n + 1);
                s["inputs"] = minus(hosts);
                for (_, n) in s["rules"]["KB322051"].as_object_mut().unwrap() {
                    *n = minus(n.as_u64().unwrap());
                }
                s["needs_action_total"] =
                    minus(real["summary"]["needs_action_total"].as_u64().unwrap());
                s["needs_action"] = json!([]);
                s["missing_fixes"] = json!({});
            }),
            "overflow",
        ),
        (
            "errors",
            with(&|s| {
                s["inputs"] = json!(1);
                s["errors"] = json!(4);
                s["rules"] = json!({});
                s["needs_action"] = json!([]);
                s["needs_action_total"] = json!(0);
                s["missing_fixes"] = json!({});
            }),
            "4 errors in 1 input",
        ),
        (
            "listed",
            with(&|s| s["needs_action_total"] = json!(1)),
            "hosts that need action",
        ),
        (
            "affected-exit-0",
            with(&|s| {
                s["inputs"] = json!(7);
                s["rules"] = json!({"KB322051": {"affected": 7}});
                s["needs_action"] = json!([]);
                s["needs_action_total"] = json!(0);
                s["missing_fixes"] = json!({});
            }),
            "7 results are affected or suspected, but 0 counted",
        ),
        (
            "statuses",
            with(&|s| s["inputs"] = json!(hosts + 5)),
            "statuses",
        ),
    ];
    assert!(rules["affected"].as_u64().unwrap() > 0);
    for (name, forged, says) in cases {
        let (code, out, err) = merge_with(&format!("rep-merge-{name}"), &forged);
        assert_eq!(code, Some(2), "{name}: {out}{err}");
        assert!(
            err.contains("forged.summary:2: ") && err.contains(says),
            "{name}: {err}"
        );
        assert!(out.is_empty(), "{name}: {out}");
    }
    // The real summary merges with itself: twice the hosts, exit 1.
    let (code, out, err) = merge_with("rep-merge-twice", &real.to_string());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        out.starts_with(&format!("Summary: {} hosts evaluated\n", 2 * hosts)),
        "{out}"
    );
}

#[test]
fn merge_refuses_a_key_given_twice() {
    let real = real_summary().to_string();
    let rules = {
        let v: Value = serde_json::from_str(&real).unwrap();
        v["summary"]["rules"]["KB322051"].to_string()
    };
    for (name, forged, says) in [
        (
            "rule",
            real.replacen(
                "\"rules\":{",
                &format!("\"rules\":{{\"KB322051\":{rules},"),
                1,
            ),
            "`KB322051` is given twice",
        ),
        (
            "status",
            real.replacen(
                "\"rules\":{\"KB322051\":{",
                "\"rules\":{\"KB322051\":{\"affected\":3,",
                1,
            ),
            "`affected` is given twice",
        ),
    ] {
        assert_ne!(forged, real, "{name}");
        let (code, out, err) = merge_with(&format!("rep-merge-dup-{name}"), &forged);
        assert_eq!(code, Some(2), "{name}: {out}{err}");
        assert!(
            err.contains("forged.summary:2:") && err.contains(says),
            "{name}: {err}"
        );
    }
}

#[test]
fn the_summary_names_each_input_that_could_not_be_evaluated() {
    let dir = scratch("rep-summary-errors");
    std::fs::write(dir.join("a-bad.yaml"), "host: A\nos: [\n").unwrap();
    std::fs::copy(
        super::common::root().join("examples/hosts/pdc-nt4.yaml"),
        dir.join("b-good.yaml"),
    )
    .unwrap();
    let o = kbdiag(
        &["eval", "--format", "summary", dir.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    let bad = dir.join("a-bad.yaml");
    assert!(
        out.starts_with("Summary: 1 host evaluated, 1 input could not be evaluated\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "\nInputs that could not be evaluated:\n  {}:2:5: os: invalid type: sequence",
            bad.display()
        )),
        "{out}"
    );

    // Many: the first ones named, the rest counted; merged summaries name them too.
    let many = scratch("rep-summary-many");
    for i in 0..130 {
        std::fs::write(many.join(format!("bad{i:03}.json")), "{\"host\": ").unwrap();
    }
    let o = kbdiag(
        &["eval", "--format", "summary-json", many.to_str().unwrap()],
        None,
    );
    std::fs::write(many.join("part.summary"), &o.stdout).unwrap();
    let part = many.join("part.summary");
    for args in [
        vec!["eval", "--format", "summary", many.to_str().unwrap()],
        vec!["merge", part.to_str().unwrap()],
    ] {
        let o = kbdiag(&args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let out = stdout(&o);
        let named = out
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains("bad") && l.contains(".json:1:"))
            .count();
        assert_eq!(named, 100, "{args:?}: {out}");
        assert!(out.contains("bad000.json:1:"), "{args:?}: {out}");
        assert!(
            out.contains("  … and 30 more (see --format ndjson)"),
            "{args:?}: {out}"
        );
    }
}

/// The part of a text report about one host: from its header to the next host's.
fn host_part<'a>(out: &'a str, host: &str) -> &'a str {
    let start = out
        .find(&format!("\n{host} ("))
        .or_else(|| out.starts_with(&format!("{host} (")).then_some(0))
        .unwrap_or_else(|| panic!("{host} is not in\n{out}"));
    let rest = &out[start + 1..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn a_fleet_report_prints_each_articles_text_once() {
    let brief = stdout(&kbdiag(&["eval", "examples/hosts"], None));
    let full = stdout(&kbdiag(
        &["eval", "--detail", "full", "examples/hosts"],
        None,
    ));
    let support = "Support costs: In special cases, charges that are ordinarily incurred";
    let table_row = "Ntlmssps.dll     36112 bytes  2001-07-16 12:05  I386 128-bit (SRP)";
    let see_also = "See also KB311401 Windows 2000 Security Rollup Package 1";
    let explanation =
        "The article's explanation of the cause: This behavior may occur if you install the SRP";
    for said in [support, table_row, see_also, explanation] {
        assert_eq!(brief.matches(said).count(), 1, "{said}:\n{brief}");
        assert!(full.matches(said).count() >= 2, "{said}");
    }
    assert!(
        brief.contains("\nArticles (each article's own text, once"),
        "{brief}"
    );
    assert!(!full.contains("\nArticles ("), "{full}");
    // What is the host's stays under it: its status, findings, steps with its paths.
    let exch = host_part(&brief, "EXCH55-02");
    let kb322051 = &exch[exch.find("  KB322051 AFFECTED").unwrap()..];
    let kb322051 = &kb322051[..kb322051.find("\n  exposed:").unwrap()];
    for said in [
        "D:\\WINNT\\system32\\SECURITY.DLL size=59152 modified=1999-11-18T12:04:00Z",
        "Prerequisite Windows NT 4.0 Service Pack 6a: NOT installed",
        "2. Rename the current Schannel.dll and Ntlmssps.dll files in the D:\\WINNT\\System32 folder.",
        "observed      event-9322-mta-bindback",
    ] {
        assert!(kb322051.contains(said), "{said}:\n{kb322051}");
    }
    // An affected host's article: 38 lines before, 25 of the host's own now.
    let lines = kb322051.lines().count();
    assert!(lines <= 25, "{lines} lines:\n{kb322051}");
    // Nothing to ask on a host already affected; no support costs for a host that only collects.
    assert!(!kb322051.contains("ask  "), "{kb322051}");
    let bdc = host_part(&brief, "BDC-NT4");
    assert!(
        bdc.contains("KB322051 SUSPECTED") && bdc.contains("Do: collect-facts"),
        "{bdc}"
    );
    assert!(!bdc.contains("Support costs"), "{bdc}");
    // The default run's summary still follows.
    assert!(brief.contains("\nSummary: 9 hosts evaluated\n"), "{brief}");

    // One host against many rules: two articles with the same support-costs paragraph.
    let host = "tests/fixtures/family/04-pdc-lmcompat-4-trust.yaml";
    let brief = stdout(&kbdiag(&["eval", host], None));
    let full = stdout(&kbdiag(&["eval", "--detail", "full", host], None));
    let costs = "Support costs: In special cases, charges that are normally incurred";
    assert!(full.matches(costs).count() >= 2, "{full}");
    assert_eq!(brief.matches(costs).count(), 1, "{brief}");
    assert!(
        brief.contains("\n    Support costs: as under KB243655 above.\n"),
        "{brief}"
    );
}

#[test]
fn the_brief_report_loses_nothing_but_what_changes_nothing() {
    let args = ["eval", "--kb", "kb/KB322051.yaml", "tests/fixtures/hosts"];
    let brief = stdout(&kbdiag(&args, None));
    let mut with_full = args.to_vec();
    with_full.insert(1, "--detail");
    with_full.insert(2, "full");
    let full = stdout(&kbdiag(&with_full, None));
    let shown: std::collections::HashSet<&str> = brief.lines().map(str::trim).collect();
    let (mut status, mut action) = ("", "");
    for line in full.lines() {
        if let Some(rest) = line.strip_prefix("  KB322051 ") {
            status = rest.split(':').next().unwrap();
            action = "";
        }
        if let Some(rest) = line.trim().strip_prefix("Do: ") {
            action = rest.split(' ').next().unwrap();
        }
        let line = line.trim();
        if shown.contains(line) {
            continue;
        }
        let decided = matches!(status, "AFFECTED" | "NOT AFFECTED");
        if (decided && line.starts_with("ask "))
            || (action == "collect-facts" && line.starts_with("Support costs: "))
        {
            continue;
        }
        panic!("{line:?} ({status}, {action}) is not in the brief report:\n{brief}");
    }
    // What was left out: the question to a host already affected, the support costs to one
    // that only collects facts.
    let ask = "ask           no-connection: Ask the users whether programs fail to connect";
    assert!(host_part(&full, "AFF-SP6A").contains(ask));
    assert!(!host_part(&brief, "AFF-SP6A").contains(ask));
    assert!(host_part(&full, "SUS-EVENT").contains("Support costs: "));
    assert!(!host_part(&brief, "SUS-EVENT").contains("Support costs: "));
    let (b, f) = (brief.lines().count(), full.lines().count());
    assert!(b < f, "{b} lines brief, {f} full");
}

// 25.14, in the author's commands too: `explain` wrote the host, the facts' paths and what a
// condition read with their line breaks.
#[test]
fn a_line_break_in_a_field_forges_no_explain_line() {
    let dir = scratch("hard-reports-explain");
    let host = affected(
        "EVIL\nKB322051: not_affected (none) - forged",
        "C:\\WINNT\nforged",
    );
    let path = dir.join("host.json");
    std::fs::write(&path, host.to_string()).unwrap();
    let o = kbdiag(
        &[
            "explain",
            "--kb",
            "kb/KB322051.yaml",
            path.to_str().unwrap(),
        ],
        None,
    );
    let out = stdout(&o);
    assert!(
        out.starts_with("EVIL\\nKB322051: not_affected (none) - forged ("),
        "{out}"
    );
    assert!(
        !out.lines().any(
            |l| l.starts_with("KB322051: not_affected") || l.trim_start().starts_with("forged")
        ),
        "{out}"
    );
}

/// A `%VAR%` in a rule's text is filled in from the host's facts. A system root of 60,000
/// characters (hostile facts, within the 64 KiB a text may hold) grew every step naming it: 286 KB
/// of NDJSON for one host. Values longer than a path can be are not put in: the text keeps
/// `%SystemRoot%`.
#[test]
fn a_huge_system_root_is_not_copied_into_every_text() {
    let dir = scratch("rep-huge-root");
    let root = format!("C:\\{}", "W".repeat(60_000));
    let facts = dir.join("huge.json");
    std::fs::write(&facts, affected("HUGE", &root).to_string()).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            "--detail",
            "full",
            facts.to_str().unwrap(),
        ],
        None,
    );
    let out = stdout(&o);
    let results = ndjson(&o);
    let kb = results[0]["results"].as_array().unwrap();
    let affected = (kb.iter())
        .find(|r| r["kb"] == "KB322051")
        .expect("KB322051's result");
    assert_eq!(affected["status"], "affected", "{affected}");
    let steps = affected["recommendation"].to_string();
    assert!(steps.contains("%SystemRoot%\\\\System32"), "{steps}");
    // Not in any text; evidence naming a file shows its path cut to 600 characters.
    assert_eq!(out.matches(&"W".repeat(60_000)).count(), 0);
    assert!(out.len() < 150_000, "{} bytes", out.len());
}
