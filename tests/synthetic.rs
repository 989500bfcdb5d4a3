//! The engine on a made-up article (tests/rules/KB900001.yaml): the same machinery as KB 322051
//! with nothing of it, proving the engine knows no article.

use kbdiag::evaluate::diagnose::Evaluator;
use kbdiag::rules::kb;
use serde_json::Value;

fn diagnose(fixture: &str) -> Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let rules = kb::read_dir(&dir.join("rules")).expect("synthetic rules are readable");
    let evaluator = Evaluator::new(&rules).unwrap_or_else(|p| panic!("{p:?}"));
    let path = dir.join("fixtures/synthetic").join(fixture);
    let report = evaluator.report(fixture, std::fs::read(path).unwrap());
    let mut value = serde_json::to_value(report).unwrap();
    assert_eq!(
        value["results"].as_array().map(Vec::len),
        Some(1),
        "{value:#}"
    );
    value["results"][0].take()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn affected_with_prerequisite_met_recommends_the_fix_and_workaround_with_host_paths() {
    let d = diagnose("affected.yaml");
    assert_eq!(d["kb"], "KB900001");
    assert_eq!(d["status"], "affected");
    let r = &d["recommendation"];
    assert_eq!(r["action"], "install-hotfix");
    assert_eq!(
        r["steps"][0],
        "Download update W900001 into /opt/widget\\updates."
    );
    assert_eq!(r["prerequisites"][0]["status"], "met");
    assert_eq!(r["alternative"]["action"], "apply-workaround");
    assert_eq!(
        r["alternative"]["steps"][1],
        "Restart the service from /opt/widget\\bin."
    );
    let evidence = strings(&d["evidence"]);
    assert!(
        evidence.contains(&"/opt/widget/bin/widget.dll version=1.9.4"),
        "{evidence:?}"
    );
    assert!(
        evidence.contains(&"symptom crash-event: event 77 from widgetsvc"),
        "{evidence:?}"
    );
    let symptoms = d["symptoms"].as_array().unwrap();
    assert_eq!(symptoms[0]["observed"], "observed");
    assert_eq!(symptoms[1]["observed"], "not_observed");
    assert_eq!(symptoms[2]["observed"], "report_only");
}

#[test]
fn prerequisite_not_met_comes_first_and_a_null_registry_value_is_absent() {
    let d = diagnose("old-sp.json");
    assert_eq!(d["status"], "affected", "{d:#}");
    let r = &d["recommendation"];
    assert_eq!(r["action"], "install-prerequisite");
    assert_eq!(r["steps"][0], "Install service pack 2 into /srv/w.");
    assert_eq!(
        strings(&r["prerequisites"][0]["evidence"]),
        ["software Contoso Widget Server version=3.1"]
    );
}

#[test]
fn a_not_condition_rules_the_cause_out() {
    let d = diagnose("plugin-disabled.yaml");
    assert_eq!(d["status"], "not_affected");
    assert_eq!(d["recommendation"]["action"], "none");
    assert!(
        strings(&d["evidence"])
            .contains(&"registry HKLM\\SOFTWARE\\Contoso\\Widget\\PluginDisabled=1 (REG_DWORD)")
    );
}

#[test]
fn not_applicable_when_every_branch_of_any_is_false() {
    let d = diagnose("no-widget.yaml");
    assert_eq!(d["status"], "not_applicable");
    assert!(d.get("symptoms").is_none());
}

#[test]
fn suspected_names_exactly_the_missing_facts() {
    let d = diagnose("suspected.yaml");
    assert_eq!(d["status"], "suspected");
    assert_eq!(d["recommendation"]["action"], "collect-facts");
    assert_eq!(
        strings(&d["missing"]),
        [
            "/opt/widget/bin/widget.dll version",
            "registry HKLM\\SOFTWARE\\Contoso\\Widget\\PluginDisabled"
        ]
    );
    assert_eq!(
        strings(&d["symptoms"][1]["evidence"]),
        ["reported error \"client: Widget_Timeout after 30s\""]
    );
}
