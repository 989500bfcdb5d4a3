//! The brief JSON and NDJSON form (`--detail brief`, the default): each article's texts once per
//! run in its record, each host's line what is the host's, its texts once. Nothing the full form
//! says is lost: the records and the lines give back every field of `--detail full`.

mod common;
#[path = "../benches/support/fleet_gen.rs"]
mod fleet_gen;
#[path = "../benches/support/kb_fleet.rs"]
mod kb_fleet;

use common::{kbdiag, ndjson, stdout};
use serde_json::Value;

/// `text` with each `%NAME%` replaced from `env` (names in any case), as kbdiag fills them.
fn fill(text: &str, env: &serde_json::Map<String, Value>) -> String {
    let mut out = text.to_owned();
    for (name, value) in env {
        let value = value.as_str().unwrap();
        loop {
            let lower = out.to_lowercase();
            let Some(at) = lower.find(&format!("%{}%", name.to_lowercase())) else {
                break;
            };
            out.replace_range(at..at + name.len() + 2, value);
        }
    }
    out
}

/// The texts a brief list of positions stands for.
fn texts(line: &Value, positions: &Value) -> Vec<Value> {
    let all = line["texts"].as_array().cloned().unwrap_or_default();
    (positions.as_array().cloned().unwrap_or_default().iter())
        .map(|i| all[i.as_u64().unwrap() as usize].clone())
        .collect()
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

const INPUTS: [&str; 2] = ["examples/hosts", "tests/fixtures/family"];

#[test]
fn brief_lines_and_the_articles_records_give_back_every_field_of_the_full_form() {
    let brief = kbdiag(
        &[&["eval", "--format", "ndjson"][..], &INPUTS].concat(),
        None,
    );
    let full = kbdiag(
        &[
            &["eval", "--format", "ndjson", "--detail", "full"][..],
            &INPUTS,
        ]
        .concat(),
        None,
    );
    let out = stdout(&brief);
    let records: Vec<Value> = (out.lines())
        .take_while(|l| l.starts_with("{\"article\":"))
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["article"].take())
        .collect();
    assert_eq!(records.len(), 30, "one record per article, first");
    let (lines, full) = (ndjson(&brief), ndjson(&full));
    assert_eq!(lines.len(), full.len());
    assert!(lines.len() > 10);
    let mut checked = 0;
    for (line, whole) in lines.iter().zip(&full) {
        for key in ["file", "line", "host", "error", "location"] {
            assert_eq!(line.get(key), whole.get(key), "{key}");
        }
        let env = line["env"].as_object().cloned().unwrap_or_default();
        let results = common::brief_results(line);
        let mut kbs: Vec<&Value> = results.iter().map(|r| &r["kb"]).collect();
        kbs.sort_by_key(|kb| kb.to_string());
        kbs.dedup();
        assert_eq!(kbs.len(), results.len(), "each article once");
        assert_eq!(results.len(), list(&whole["results"]).len());
        for r in &results {
            let d = (list(&whole["results"]).into_iter())
                .find(|d| d["kb"] == r["kb"])
                .expect("the same articles");
            let record = (records.iter())
                .find(|a| a["kb"] == r["kb"])
                .expect("every result names a record");
            assert_eq!(line["rules"], record["rules"]);
            // The article's side.
            for key in ["kb", "title", "revision", "digest"] {
                assert_eq!(record[key], d[key], "{key}");
            }
            assert_eq!(record.get("aliases"), d.get("aliases"));
            if let Some(explanation) = d.get("explanation") {
                assert_eq!(
                    fill(record["explanation"].as_str().unwrap(), &env),
                    explanation.as_str().unwrap()
                );
            }
            // The host's side.
            assert_eq!(r["status"], d["status"]);
            let seen: Vec<String> = (list(&d["symptoms"]).iter())
                .filter(|s| s["observed"] == "observed")
                .flat_map(|s| {
                    let id = s["id"].as_str().unwrap().to_owned();
                    list(&s["evidence"])
                        .into_iter()
                        .map(move |m| format!("symptom {id}: {}", m.as_str().unwrap()))
                })
                .collect();
            let evidence: Vec<Value> = (list(&d["evidence"]).into_iter())
                .filter(|e| !seen.iter().any(|s| s == e.as_str().unwrap()))
                .collect();
            assert_eq!(texts(line, &r["evidence"]), evidence);
            assert_eq!(texts(line, &r["missing"]), list(&d["missing"]));
            assert_eq!(texts(line, &r["notes"]), list(&d["notes"]));
            assert_eq!(r.get("error"), d.get("error"));
            match d.get("scope") {
                Some(scope) if scope["listed"] != "listed" => {
                    assert_eq!(r["scope"]["listed"], scope["listed"]);
                    assert_eq!(
                        texts(line, &r["scope"]["evidence"]),
                        list(&scope["evidence"])
                    );
                    assert_eq!(texts(line, &r["scope"]["missing"]), list(&scope["missing"]));
                    assert_eq!(record["products"], scope["products"]);
                }
                _ => assert!(r.get("scope").is_none()),
            }
            let symptoms = list(&r["symptoms"]);
            let mut shown = 0;
            for (s, text) in list(&d["symptoms"]).iter().zip(list(&record["symptoms"])) {
                assert_eq!(s["id"], text["id"]);
                assert_eq!(
                    fill(text["text"].as_str().unwrap(), &env),
                    s["text"].as_str().unwrap()
                );
                if s["observed"] == "report_only" {
                    assert!(text.get("ask").is_some() || s.get("ask").is_none());
                    continue;
                }
                let b = (symptoms.iter())
                    .find(|b| b["id"] == s["id"])
                    .expect("each symptom the facts speak to");
                shown += 1;
                assert_eq!(b["observed"], s["observed"]);
                assert_eq!(texts(line, &b["evidence"]), list(&s["evidence"]));
                assert_eq!(texts(line, &b["missing"]), list(&s["missing"]));
            }
            assert_eq!(shown, symptoms.len());
            let (rec, whole_rec) = (&r["recommendation"], &d["recommendation"]);
            if whole_rec["action"] == "none" {
                assert!(r.get("recommendation").is_none());
            } else {
                assert_eq!(rec["action"], whole_rec["action"]);
                assert_eq!(texts(line, &rec["collect"]), list(&whole_rec["collect"]));
                let ps = list(&whole_rec["prerequisites"]);
                assert_eq!(list(&rec["prerequisites"]).len(), ps.len());
                for (b, p) in list(&rec["prerequisites"]).iter().zip(&ps) {
                    assert_eq!(b["id"], p["id"]);
                    assert_eq!(b["status"], p["status"]);
                    assert_eq!(texts(line, &b["evidence"]), list(&p["evidence"]));
                    assert_eq!(texts(line, &b["missing"]), list(&p["missing"]));
                }
                if let Some(hotfix) = whole_rec.get("hotfix") {
                    let ours = &record["resolution"]["hotfix"];
                    assert_eq!(
                        fill(ours["summary"].as_str().unwrap(), &env),
                        hotfix["summary"].as_str().unwrap()
                    );
                    assert_eq!(ours.get("files"), hotfix.get("files"));
                    assert_eq!(ours.get("links"), hotfix.get("links"));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn a_host_line_says_no_article_text_and_each_of_its_texts_once() {
    let o = kbdiag(&["eval", "--format", "ndjson", "examples/hosts"], None);
    let out = stdout(&o);
    let lines = ndjson(&o);
    let (records, hosts): (Vec<&str>, Vec<&str>) =
        out.lines().partition(|l| l.starts_with("{\"article\":"));
    let brief: usize = hosts.iter().map(|l| l.len()).sum();
    let full = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            "--detail",
            "full",
            "examples/hosts",
        ],
        None,
    );
    let full: usize = stdout(&full).lines().map(str::len).sum();
    assert!(brief * 4 < full, "{brief} bytes against {full}");
    for record in &records {
        let a: Value = serde_json::from_str::<Value>(record).unwrap()["article"].take();
        for host in &hosts {
            for text in [&a["title"], &a["explanation"]] {
                let text = serde_json::to_string(text).unwrap();
                assert!(!host.contains(&text), "{text} in a host's line");
            }
        }
    }
    for line in &lines {
        let texts = list(&line["texts"]);
        for (i, t) in texts.iter().enumerate() {
            assert!(!texts[..i].contains(t), "{t} twice");
        }
    }
}

#[test]
fn list_json_gives_the_records_eval_starts_with_and_json_has_them_as_articles() {
    let list = kbdiag(&["list", "--format", "json"], None);
    assert_eq!(list.status.code(), Some(0));
    let eval = kbdiag(
        &["eval", "--format", "ndjson", "examples/hosts/pdc-nt4.yaml"],
        None,
    );
    let eval = stdout(&eval);
    let records: Vec<&str> = (eval.lines())
        .filter(|l| l.starts_with("{\"article\":"))
        .collect();
    assert_eq!(stdout(&list).lines().collect::<Vec<_>>(), records);
    let json = kbdiag(&["eval", "--format", "json", "examples/hosts"], None);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let articles = doc["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 30);
    let first: Value = serde_json::from_str::<Value>(records[0]).unwrap()["article"].take();
    assert_eq!(articles[0], first);
    let report = &doc["reports"][0];
    assert_eq!(report["rules"], first["rules"]);
    assert!(report["results"]["not_applicable"].is_object());
    assert!(common::brief_results(report)[0].get("title").is_none());
    assert!(report["texts"].is_array());
    // --detail full keeps the self-contained document.
    let full = kbdiag(
        &[
            "eval",
            "--format",
            "json",
            "--detail",
            "full",
            "examples/hosts",
        ],
        None,
    );
    let doc: Value = serde_json::from_slice(&full.stdout).unwrap();
    assert!(doc.get("articles").is_none());
    assert!(doc["reports"][0]["results"][0]["title"].is_string());
}

#[test]
fn the_rules_digest_changes_with_any_rule_and_names_every_line() {
    let dir = common::scratch("brief-rules");
    let rule = std::fs::read_to_string(common::root().join("kb/KB322051.yaml")).unwrap();
    std::fs::write(
        dir.join("KB322051.yaml"),
        rule.replace("revision: \"6.0\"", "revision: \"6.1\""),
    )
    .unwrap();
    let run = |kb: &str| {
        let o = kbdiag(
            &["eval", "--kb", kb, "--format", "ndjson", "examples/hosts"],
            None,
        );
        ndjson(&o)
    };
    let (ours, theirs) = (run("kb/KB322051.yaml"), run(dir.to_str().unwrap()));
    let rules = &ours[0]["rules"];
    assert!(rules.as_str().unwrap().starts_with("sha256:"));
    assert!(ours.iter().all(|l| l["rules"] == *rules));
    assert_ne!(theirs[0]["rules"], *rules);
}

/// A lean evaluator (`Evaluator::set_lean`, what a brief or summary run uses) makes none of the
/// full form's texts, and writes the same brief lines and the same summary as one that makes them.
#[test]
fn a_lean_evaluator_writes_the_same_brief_lines_and_summary() {
    use kbdiag::evaluate::diagnose::Evaluator;
    use kbdiag::report::brief;
    use kbdiag::report::summary::{RuleIdentity, Summary, Tally};
    for rules in [
        kbdiag::rules::kb::read_dir(std::path::Path::new("kb")).expect("kb/ reads"),
        kbdiag::rules::kb::builtin(),
    ] {
        let full = Evaluator::new(&rules).expect("the rules load");
        let mut lean = Evaluator::new(&rules).expect("the rules load");
        lean.set_lean(true);
        let digest = brief::rules_digest(full.rules());
        let identity = RuleIdentity::of_rules(full.rules());
        let mut sums = [Summary::new(identity.clone()), Summary::new(identity)];
        let mut lines = kb_fleet::ndjson(400);
        lines.extend(fleet_gen::ndjson(200, 6, 10));
        let mut written = 0;
        for (i, line) in lines.iter().enumerate() {
            let (a, b) = (full.report("h.json", line), lean.report("h.json", line));
            assert_eq!(
                brief::ndjson(&a, &digest),
                brief::ndjson(&b, &digest),
                "host {i}"
            );
            let explained = (b.results.iter().flatten()).any(|d| d.explanation.is_some());
            assert!(!explained, "host {i}: a lean diagnosis has its explanation");
            written += (a.results.iter().flatten())
                .filter(|d| d.recommendation.hotfix.is_some())
                .count();
            sums[0].add(Tally::of(&a));
            sums[1].add(Tally::of(&b));
        }
        assert!(
            written > 50,
            "{written} full diagnoses with the fix's texts"
        );
        let [a, b] = sums.map(|s| serde_json::to_string(&s).unwrap());
        assert_eq!(a, b);
    }
}

/// The brief NDJSON line is written straight into its text (`report::brief_writer`), not through
/// serde: on every kind of host, byte for byte what serde writes of the line (`serialized`).
#[test]
fn the_direct_brief_writer_writes_what_serde_writes_of_the_line() {
    use kbdiag::evaluate::diagnose::Evaluator;
    use kbdiag::report::brief;
    let mut documents: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, line) in (kb_fleet::ndjson(500).into_iter())
        .chain(fleet_gen::ndjson(200, 6, 10))
        .enumerate()
    {
        documents.push((format!("fleet-{i}.json"), line.into_bytes()));
    }
    for dir in [
        "examples/hosts",
        "tests/fixtures/family",
        "tests/fixtures/hosts",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(common::root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            documents.push((f.display().to_string(), std::fs::read(&f).unwrap()));
        }
    }
    // Not a fact document: the error line (serde writes it in either case).
    documents.push(("bad.json".into(), b"{not json".to_vec()));
    // A rule that fails on every host: a result with an error.
    let failing = common::scratch("brief-writer");
    std::fs::write(
        failing.join("KBX.yaml"),
        "id: KBX\ntitle: test\napplies_to: {when: 'true'}\ncause:\n  text: c\n  when: parse_int(fact(\"os.name\")) > 5\n",
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for rules in [
        kbdiag::rules::kb::read_dir(std::path::Path::new("kb")).expect("kb/ reads"),
        kbdiag::rules::kb::read_dir(std::path::Path::new("tests/rules")).expect("rules read"),
        kbdiag::rules::kb::read_dir(&failing).expect("the failing rule reads"),
    ] {
        let mut evaluator = Evaluator::new(&rules).expect("the rules load");
        evaluator.set_lean(true);
        let digest = brief::rules_digest(evaluator.rules());
        for (name, bytes) in &documents {
            let report = evaluator.report(name, bytes);
            let line = brief::ndjson(&report, &digest);
            assert_eq!(line, brief::serialized(&report, &digest), "{name}");
            // What the comparison covered.
            let value: Value = serde_json::from_str(&line).unwrap();
            for key in ["not_collected", "env", "error"] {
                if value.get(key).is_some() {
                    seen.insert(format!("line.{key}"));
                }
            }
            for d in value["details"]
                .as_object()
                .into_iter()
                .flat_map(|d| d.values())
            {
                for (key, v) in d.as_object().unwrap() {
                    seen.insert(key.clone());
                    // The symptoms' states and the recommendation's fields.
                    for inner in v.as_object().into_iter().flat_map(|v| v.keys()) {
                        seen.insert(format!("{key}.{inner}"));
                    }
                }
            }
        }
    }
    let want = [
        "line.env",
        "line.error",
        "line.not_collected",
        "error",
        "missing",
        "notes",
        "recommendation",
        "recommendation.collect",
        "recommendation.prerequisites",
        "scope",
        "symptoms",
        "symptoms.not_observed",
        "symptoms.observed",
        "symptoms.unknown",
    ];
    for key in want {
        assert!(seen.contains(key), "no line had {key}: {seen:?}");
    }
}

/// The summary counts each host's statuses under their rules' ids, also once it walks its counts
/// in the ids' order rather than look each up (`Summary::add`), with rules loaded in an order
/// that is not their ids'.
#[test]
fn a_summary_counts_each_status_under_its_rule_whatever_the_rule_order() {
    use kbdiag::evaluate::diagnose::Evaluator;
    use kbdiag::report::summary::{RuleIdentity, Summary, Tally};
    use std::collections::BTreeMap;
    let mut rules = kbdiag::rules::kb::read_dir(std::path::Path::new("kb")).expect("kb/ reads");
    rules.reverse();
    rules.swap(0, 7);
    let ev = Evaluator::new(&rules).expect("the rules load");
    let ids: Vec<String> = ev.rules().iter().map(|r| r.rule.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_ne!(ids, sorted, "the rules are loaded out of their ids' order");
    let mut summary = Summary::new(RuleIdentity::of_rules(ev.rules()));
    let mut expected: BTreeMap<String, BTreeMap<_, usize>> = BTreeMap::new();
    for line in kb_fleet::ndjson(300) {
        let report = ev.report("h.json", &line);
        for d in report.results.iter().flatten() {
            *(expected.entry(d.kb.to_string()).or_default())
                .entry(d.status)
                .or_default() += 1;
        }
        summary.add(Tally::of(&report));
    }
    let statuses: usize = expected.values().map(|c| c.len()).sum();
    assert!(statuses > 2 * ids.len(), "{statuses} (rule, status) pairs");
    assert_eq!(summary.rules, expected);
}
