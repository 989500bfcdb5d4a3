//! Rules are untrusted code: what a condition cannot do, and how it fails when it tries.

use std::time::{Duration, Instant};

use kbdiag::evaluate::diagnose::Evaluator;
use kbdiag::evaluate::diagnosis::Status;
use kbdiag::facts;
use kbdiag::rules::kb::RuleFile;

const HOST: &str = "host: H\nos: {name: Windows NT Server 4.0}\n";

/// A one-rule set whose cause is `expr` (a YAML block scalar, so any text goes).
fn rule(expr: &str) -> Vec<RuleFile> {
    let body: String = expr.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!(
        "id: KBTEST\ntitle: test\napplies_to: {{when: 'true'}}\ncause:\n  text: c\n  when: |\n{body}"
    );
    vec![RuleFile {
        name: "test.yaml".into(),
        bytes: text.into_bytes(),
    }]
}

/// Diagnoses HOST with a cause of `expr`; returns the status and the error, timed.
fn run(expr: &str) -> (Status, Option<String>, Duration) {
    let evaluator = Evaluator::new(&rule(expr)).unwrap_or_else(|p| panic!("{p:?}"));
    let facts = facts::parse("h.yaml", HOST.as_bytes()).unwrap();
    let start = Instant::now();
    let d = evaluator.diagnose(facts).remove(0);
    (d.status, d.error, start.elapsed())
}

fn refused(expr: &str) -> String {
    match Evaluator::new(&rule(expr)) {
        Ok(_) => panic!("`{expr}` compiled"),
        Err(problems) => problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn fails_fast(expr: &str, message: &str) {
    let (status, error, elapsed) = run(expr);
    assert_eq!(status, Status::Error, "{expr}");
    let error = error.unwrap();
    assert!(error.contains(message), "{expr}: {error}");
    assert!(
        error.starts_with("rule KBTEST, condition `"),
        "names the rule and the condition: {error}"
    );
    // A guard against hangs, not a speed figure.
    assert!(elapsed < Duration::from_secs(5), "{expr} took {elapsed:?}");
}

#[test]
fn endless_loops_and_recursion_stop_with_an_error() {
    fails_fast("loop { }", "more than 100000 operations");
    fails_fast(
        "let i = 0; while true { i += 1; } true",
        "more than 100000 operations",
    );
    fails_fast(
        "fn f(x) { f(x + 1) } f(0)",
        "function calls nested deeper than 16 levels",
    );
}

#[test]
fn huge_strings_and_arrays_stop_with_an_error() {
    fails_fast("let s = \"xx\"; loop { s += s; }", "Length of string");
    fails_fast("let a = [1]; loop { a += a; }", "Size of array");
    // Growing a map key by key is stopped by the operation limit before the size limit.
    fails_fast(
        "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }",
        "operations",
    );
    fails_fast(
        "let m = #{}; for i in 0..2000 { m[`k${i}`] = i; } m.len() > 0",
        "Size of object map",
    );
}

#[test]
fn eval_and_import_are_not_available() {
    assert!(refused("eval(\"true\")").contains("test.yaml:"));
    assert!(refused("import \"x\" as y; true").contains("Rhai syntax error"));
}

#[test]
fn undefined_variables_are_refused_when_the_rule_loads() {
    let message = refused("os.name == \"x\"");
    assert!(message.contains("Undefined variable: os"), "{message}");
    assert!(message.starts_with("test.yaml:7:5:"), "{message}");
}

#[test]
fn calling_what_does_not_exist_or_giving_no_boolean_is_an_error() {
    fails_fast("no_such_helper(1)", "Function not found");
    fails_fast("42", "must give true or false, this one gave i64");
    fails_fast("fact(\"os.colour\") == 1", "no such fact");
}

#[test]
fn a_missing_fact_is_unknown_even_where_rhai_would_say_true() {
    // `() != x` is true in Rhai; a missing fact must not slip through it.
    assert_eq!(
        run("fact(\"os.service_pack\") != \"6a\"").0,
        Status::Unknown
    );
    assert_eq!(run("!(fact(\"os.version\") == \"4.0\")").0, Status::Unknown);
    // Catching the error does not turn unknown into false.
    let caught = "try { fact(\"os.version\") == \"4.0\" } catch (e) { false }";
    assert_eq!(run(caught).0, Status::Unknown);
    // A fact that is present still decides.
    assert_eq!(
        run("icontains(fact(\"os.name\"), \"nt\")").0,
        Status::Affected
    );
}

/// Diagnoses `host` (YAML) with a cause of `expr`: the status and the error.
fn run_on(expr: &str, host: &str) -> (Status, Option<String>) {
    let evaluator = Evaluator::new(&rule(expr)).unwrap_or_else(|p| panic!("{p:?}"));
    let facts = facts::parse("h.yaml", host.as_bytes()).unwrap();
    let d = evaluator.diagnose(facts).remove(0);
    (d.status, d.error)
}

#[test]
fn texts_that_would_grow_past_the_limit_are_refused_before_they_are_made() {
    fails_fast(
        "let s = \"ab\"; s.pad(40000, \"ab\"); s.replace(\"b\", \"xyz\"); true",
        "replace() would make a text of 80,000 bytes, more than the 65,536",
    );
    fails_fast(
        "let s = \"a\"; s.pad(100, \"\"); true",
        "the padding is empty",
    );
    fails_fast(
        "let s = \"a\"; s.pad(70000, 'b'); true",
        "Length of string too large",
    );
    // A host's value repeated by the text: refused before the copies are made.
    let host = format!("{HOST}env: {{PATH: {}}}\n", "p".repeat(10_000));
    let (status, error) = run_on(
        "let s = \"%PATH%\"; s.pad(60, \"%PATH%\"); expand(s) != \"\"",
        &host,
    );
    assert_eq!(status, Status::Error);
    let error = error.unwrap();
    assert!(
        error.contains("with its %VAR%s expanded would be longer than the 65,536 bytes"),
        "{error}"
    );
    // Within the limit, each does what Rhai's own does.
    assert_eq!(
        run("let s = \"abcabc\"; s.replace(\"bc\", '-'); s.pad(6, \"xy\"); s == \"a-a-xy\"").0,
        Status::Affected
    );
    assert_eq!(
        run_on("expand(\"%PATH%;%PATH%\").len() == 20001", &host).0,
        Status::Affected
    );
}
