//! The rule language cannot silently be wrong: values of different types do not compare, absent
//! registry values need a default, registry values keep their Windows type, versions are read as
//! Windows writes them. Each case gave a wrong answer without a word before.

mod common;

use common::{kbdiag, scratch};

/// Evaluates `cause` (a Rhai expression) in a one-condition rule on `facts` (YAML); the result.
fn cause(name: &str, expr: &str, facts: &str) -> serde_json::Value {
    let dir = scratch(&format!("language-{name}"));
    let rule = format!(
        "id: KB1\ntitle: t\napplies_to: {{when: 'true'}}\ncause:\n  text: c\n  when:\n    label: the condition\n    expr: |-\n      {expr}\n"
    );
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    std::fs::write(dir.join("kb/KB1.yaml"), rule).unwrap();
    run(&dir, "host.yaml", &format!("host: H\n{facts}")).0
}

fn error(r: &serde_json::Value) -> String {
    assert_eq!(r["status"], "error", "{r}");
    r["error"].as_str().unwrap().to_owned()
}

const OS: &str =
    "os: {name: Windows 7, version: '6.1', build: 7601, service_pack: 'Service Pack 1'}\n";

#[test]
fn a_number_compared_with_text_is_an_error_naming_both() {
    // Written with literals, check refuses these (check_finds_type_mistakes_before_a_rule_runs);
    // through a variable, check cannot see the type, and the condition fails when it runs.
    for (expr, says) in [
        (
            r#"let b = "7601"; fact("os.build") >= b"#,
            r#"cannot compare 7601 (number) >= "7601" (text)"#,
        ),
        (
            r#"let b = "7601"; fact("os.build") != b"#,
            r#"cannot compare 7601 (number) != "7601" (text)"#,
        ),
        (
            r#"let v = 6.1; fact("os.version") == v"#,
            r#"cannot compare "6.1" (text) == 6.1 (f64)"#,
        ),
        (
            r#"let n = 1; fact("os.service_pack") == n"#,
            r#"cannot compare "1" (text) == 1 (number)"#,
        ),
    ] {
        let e = error(&cause("types", expr, OS));
        assert!(
            e.starts_with("rule KB1, condition `the condition`: "),
            "{e}"
        );
        assert!(e.contains(says), "{expr}: {e}");
        assert!(e.contains("convert one side"), "{e}");
    }
    // The same values compared as one type decide.
    let r = cause(
        "types-ok",
        r#"fact("os.build") >= 7601 && fact("os.service_pack") == "1""#,
        OS,
    );
    assert_eq!(r["status"], "affected", "{r}");
}

#[test]
fn registry_values_keep_their_type_and_absent_ones_need_a_default() {
    let facts = "registry:\n  'HKLM\\SYSTEM\\Lsa\\LmCompatibilityLevel': {type: REG_SZ, value: '1'}\n  'HKLM\\SYSTEM\\Smb\\SMB1': ~\n";
    let lm = r"registry(`HKLM\SYSTEM\Lsa\LmCompatibilityLevel`)";
    let e = error(&cause("reg-sz", &format!("let n = 1; {lm} == n"), facts));
    assert!(
        e.contains(r#"cannot compare "1" (text) == 1 (number)"#),
        "{e}"
    );
    // Said explicitly, the conversion works, and the evidence shows the type.
    let r = cause("reg-sz-parsed", &format!("parse_int({lm}) == 1"), facts);
    assert_eq!(r["status"], "affected", "{r}");
    assert!(
        r["evidence"]
            .to_string()
            .contains(r#"LmCompatibilityLevel=\"1\" (REG_SZ)"#),
        "{r}"
    );
    let smb = r"registry(`HKLM\SYSTEM\Smb\SMB1`)";
    for op in ["< n", ">= n", "!= n"] {
        let e = error(&cause("absent", &format!("let n = 3; {smb} {op}"), facts));
        assert!(
            e.contains("give a default with registry_or(path, default)"),
            "{op}: {e}"
        );
    }
    // SMB1 absent means enabled (1).
    let r = cause(
        "absent-default",
        r"registry_or(`HKLM\SYSTEM\Smb\SMB1`, 1) == 1",
        facts,
    );
    assert_eq!(r["status"], "affected", "{r}");
    assert!(
        r["evidence"].to_string().contains("SMB1 is absent, so 1"),
        "{r}"
    );
    // Not collected at all is still unknown, default or not.
    let r = cause(
        "not-collected",
        r"registry_or(`HKLM\SYSTEM\Other`, 1) == 1",
        facts,
    );
    assert_eq!(r["status"], "unknown", "{r}");
}

#[test]
fn versions_are_read_as_windows_writes_them() {
    let facts = "os: {version: '6.1'}\nfiles: [{path: 'C:\\Windows\\System32\\drivers\\srv.sys', version: '6.1.7601.23689 (win7sp1_ldr.170209-0600)'}]\nsoftware: [{name: Broken, version: abc}, {name: Empty, version: ''}]\n";
    let srv = r"file(`C:\Windows\System32\drivers\srv.sys`).version";
    for (expr, status) in [
        // The FileVersion string with its annotation equals the plain version.
        (
            format!("version_cmp({srv}, \"6.1.7601.23689\") == 0"),
            "affected",
        ),
        (format!("version({srv}) >= \"6.1.7601.23689\""), "affected"),
        (format!("version({srv}) < \"6.1.7601.23690\""), "affected"),
        (
            format!("version({srv}).between(\"6.1\", \"6.2\")"),
            "affected",
        ),
        (format!("version({srv}).build == 7601"), "affected"),
        (
            "version(fact(\"os.version\")).major_minor() == \"6.1\"".into(),
            "affected",
        ),
        // A build number is a version too.
        ("version_cmp(7601, \"7601\") == 0".into(), "affected"),
        // Text that is not a version is unknown, with the reason, not newer or older.
        (
            "version_cmp(software_version(\"Broken\"), \"6.1\") > 0".into(),
            "unknown",
        ),
        (
            "version_cmp(software_version(\"Empty\"), \"6.1\") < 0".into(),
            "unknown",
        ),
    ] {
        let r = cause("versions", &expr, facts);
        assert_eq!(r["status"], status, "{expr}: {r}");
        if status == "unknown" {
            assert!(r["missing"].to_string().contains("is not a version"), "{r}");
        }
    }
    // A version compared with a number is an error; a bad literal in the rule too.
    let e = error(&cause(
        "versions-bad",
        &format!("let n = 6; version({srv}) > n"),
        facts,
    ));
    assert!(e.contains("(version) > 6 (number)"), "{e}");
    let e = error(&cause(
        "versions-bad",
        &format!("version({srv}) > \"six\""),
        facts,
    ));
    assert!(e.contains("\"six\" is not a version"), "{e}");
}

#[test]
fn the_first_fact_present_any_of_several_hotfixes_and_events_in_a_time_window() {
    let facts = "os: {version: '6.1.7601'}\nhotfixes: [KB4012212, Q123]\nevents:\n  - {source: Srv, id: 1, time: '2026-11-20T09:00:00+02:00'}\n  - {source: Srv, id: 2}\n";
    // os.build is absent: first_fact takes the next one (os.version's build is os.build).
    let r = cause(
        "first",
        r#"first_fact(["os.cipher_bits", "os.build"]) == 7601"#,
        facts,
    );
    assert_eq!(r["status"], "affected", "{r}");
    let r = cause(
        "first-none",
        r#"first_fact(["os.cipher_bits", "os.edition"]) == 1"#,
        facts,
    );
    assert_eq!(r["missing"][0], "os.cipher_bits or os.edition", "{r}");
    // Any of several hotfixes (each supersedes the one before): the evidence names which.
    let r = cause(
        "any-hotfix",
        r#"any_hotfix(["KB4013429", "KB4012212", "KB4012215"])"#,
        facts,
    );
    assert_eq!(r["status"], "affected", "{r}");
    assert!(
        r["evidence"]
            .to_string()
            .contains("hotfixes include KB4012212 (one of KB4013429, KB4012212, KB4012215)"),
        "{r}"
    );
    // Events in a time window (UTC; 09:00+02:00 is 07:00Z); an event without a time is kept and
    // its evidence says the window was not checked.
    for (window, status) in [
        (
            r#"since: "2026-11-20T06:59:00Z", before: "2026-11-20T07:01:00Z""#,
            "affected",
        ),
        (r#"since: "2026-11-20T07:01:00Z""#, "not_affected"),
        (r#"before: "2026-11-20""#, "not_affected"),
    ] {
        let r = cause(
            "event-time",
            &format!("event(\"Srv\", 1, #{{{window}}})"),
            facts,
        );
        assert_eq!(r["status"], status, "{window}: {r}");
    }
    let r = cause(
        "event-no-time",
        r#"event("Srv", 2, #{since: "2026-01-01"})"#,
        facts,
    );
    assert_eq!(r["status"], "affected", "{r}");
    let e = error(&cause(
        "event-bad-time",
        r#"event("Srv", 1, #{since: "yesterday"})"#,
        facts,
    ));
    assert!(
        e.contains("`since`: \"yesterday\" is not an ISO 8601 time"),
        "{e}"
    );
}

#[test]
fn check_finds_type_mistakes_before_a_rule_runs() {
    let o = kbdiag(&["check", "tests/fixtures/language/KB8.yaml"], None);
    assert_eq!(o.status.code(), Some(1));
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("check-type-mistakes", common::stdout(&o));
    });
    // An eval refuses the rule with the same errors, before any host.
    let o = kbdiag(
        &["eval", "--kb", "tests/fixtures/language", "examples/hosts"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

/// What a rule author tried with file-table articles: a version compared as text, and conditions
/// made constant, which kbdiag check and kbdiag test both let through before.
#[test]
fn check_refuses_versions_compared_as_text_and_constant_conditions() {
    let dir = common::scratch("lint-versions");
    std::fs::write(
        dir.join("KB1.yaml"),
        "id: KB1\ntitle: t\napplies_to: {when: 'fact(\"os.version\") == \"4.0\" || true'}\ncause:\n  text: c\n  when: file(\"%SystemRoot%/System32/drivers/Tcpip.sys\").version < \"4.0.1381.7165\"\nfixed: 'version(file(\"x\").version) >= \"4.0.1381.7165\" && true'\n",
    )
    .unwrap();
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let out = common::stdout(&o);
    assert!(
        out.contains(
            ":3:49: `|| true` makes the condition always true, whatever the facts say: remove it\n"
        ),
        "{out}"
    );
    assert!(out.contains(":6:65: file(…).version < \"4.0.1381.7165\" compares file(…).version with the version \"4.0.1381.7165\" as text, letter by letter"), "{out}");
    assert!(
        out.contains("compare versions: version(file(…).version) < \"4.0.1381.7165\"\n"),
        "{out}"
    );
    assert!(
        out.contains(": warning: `&& true` changes nothing: remove it\n"),
        "{out}"
    );
    assert!(
        out.ends_with("1 rule file checked: 2 errors, 1 warning\n"),
        "{out}"
    );
    // Compared as versions, the same rule is clean.
    std::fs::write(
        dir.join("KB1.yaml"),
        "id: KB1\ntitle: t\napplies_to: {when: 'fact(\"os.version\") == \"4.0\"'}\ncause:\n  text: c\n  when: version(file(\"%SystemRoot%/System32/drivers/Tcpip.sys\").version) < \"4.0.1381.7165\"\n",
    )
    .unwrap();
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    assert_eq!(common::stdout(&o), "1 rule file checked: no problems\n");
}

/// A computed finding is shown as evidence, and a long REG_MULTI_SZ by its size and first
/// entries, not entry by entry.
#[test]
fn a_computed_finding_is_evidence_and_a_long_list_is_shown_by_its_size() {
    let dir = common::scratch("finding");
    std::fs::write(
        dir.join("KB1.yaml"),
        "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause:\n  text: c\n  when: 'finding(\"NullSessionShares entries\", registry_or(`HKLM\\X\\NullSessionShares`, []).len()) > 1000'\n",
    )
    .unwrap();
    let shares: Vec<String> = (0..1507).map(|i| format!("\"S{i}\"")).collect();
    let facts = format!(
        "{{\"host\": \"h\", \"registry\": {{\"HKLM\\\\X\\\\NullSessionShares\": [{}]}}}}",
        shares.join(",")
    );
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            dir.to_str().unwrap(),
            "--format",
            "ndjson",
            "--detail",
            "full",
            "-",
        ],
        Some(facts.as_bytes()),
    );
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let evidence = line["results"][0]["evidence"].to_string();
    assert_eq!(line["results"][0]["status"], "affected", "{line}");
    assert!(
        evidence.contains("NullSessionShares entries: 1507"),
        "{evidence}"
    );
    assert!(
        evidence.contains("(1507 entries, the first 8 shown) (REG_MULTI_SZ)"),
        "{evidence}"
    );
    assert!(!evidence.contains("S1506"), "{evidence}");
}

/// `n` conditions, each `expr`, in the cause's `all`.
fn rule_with(dir: &std::path::Path, n: usize, expr: &str) {
    let parts: String = (0..n).map(|_| format!("      - '{expr}'\n")).collect();
    let rule = format!(
        "id: KB2\ntitle: t\napplies_to: {{when: 'true'}}\ncause:\n  text: c\n  when:\n    all:\n{parts}"
    );
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    std::fs::write(dir.join("kb/KB2.yaml"), rule).unwrap();
}

/// Evaluates the host `name` (written with `text`) against the rules in `dir/kb`: the first
/// result, and how long it took.
fn run(dir: &std::path::Path, name: &str, text: &str) -> (serde_json::Value, std::time::Duration) {
    std::fs::write(dir.join(name), text).unwrap();
    let start = std::time::Instant::now();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            "--detail",
            "full",
            "--kb",
            dir.join("kb").to_str().unwrap(),
            dir.join(name).to_str().unwrap(),
        ],
        None,
    );
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    (line["results"][0].clone(), start.elapsed())
}

#[test]
fn a_rule_has_a_budget_per_host_that_counts_its_helpers_work() {
    // Many conditions, each under the per-condition limit, together past the rule's budget.
    let dir = scratch("budget-conditions");
    rule_with(&dir, 30, "let x = 0; for i in 0..12000 { x += 1; } x > 0");
    let (r, _) = run(&dir, "host.json", r#"{"host": "H"}"#);
    let e = error(&r);
    assert!(e.starts_with("rule KB2, condition "), "{e}");
    assert!(
        e.contains("more than its budget of 1000000 operations on this host"),
        "{e}"
    );
    // A helper that looks through 100,000 entries, called in a loop: its work counts.
    let dir = scratch("budget-helpers");
    rule_with(
        &dir,
        1,
        r#"let n = 0; for i in 0..50 { if reported("x") { n += 1 } } n == 0"#,
    );
    let errors: Vec<String> = (0..100_000).map(|i| format!("error {i}")).collect();
    let host = serde_json::json!({"host": "H", "reported_errors": errors}).to_string();
    let (r, took) = run(&dir, "host.json", &host);
    assert!(error(&r).contains("more than its budget"), "{r}");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_condition_cannot_hold_memory_without_bound() {
    // 4,000 closures each holding a 64 KiB string: 256 MB, stopped at 64 MiB.
    let dir = scratch("budget-memory");
    rule_with(
        &dir,
        1,
        r#"let s = "x"; s.pad(65000, "y"); let a = []; for i in 0..4000 { let t = s + i; a.push(|| t); } a.len() > 0"#,
    );
    let (r, _) = run(&dir, "host.json", r#"{"host": "H"}"#);
    assert!(error(&r).contains("took more than 64 MiB of memory"), "{r}");
}

#[test]
fn a_bare_file_is_named_as_the_author_wrote_it() {
    let r = cause(
        "bare-file",
        r#"file("C:/x.dll")"#,
        "files: [{path: 'C:\\x.dll', size: 3}]\n",
    );
    let e = error(&r);
    assert!(
        e.contains("this one gave a file (file(…)): compare one of its facts, e.g. file(…).size"),
        "{e}"
    );
    assert!(!e.contains("kbdiag::"), "{e}");
}
