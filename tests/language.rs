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
    std::fs::write(dir.join("host.yaml"), format!("host: H\n{facts}")).unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            "--kb",
            dir.join("kb").to_str().unwrap(),
            dir.join("host.yaml").to_str().unwrap(),
        ],
        None,
    );
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    line["results"][0].clone()
}

fn error(r: &serde_json::Value) -> String {
    assert_eq!(r["status"], "error", "{r}");
    r["error"].as_str().unwrap().to_owned()
}

const OS: &str =
    "os: {name: Windows 7, version: '6.1', build: 7601, service_pack: 'Service Pack 1'}\n";

#[test]
fn a_number_compared_with_text_is_an_error_naming_both() {
    for (expr, says) in [
        (
            r#"fact("os.build") >= "7601""#,
            r#"cannot compare 7601 (number) >= "7601" (text)"#,
        ),
        (
            r#"fact("os.build") != "7601""#,
            r#"cannot compare 7601 (number) != "7601" (text)"#,
        ),
        (
            r#"fact("os.version") == 6.1"#,
            r#"cannot compare "6.1" (text) == 6.1 (f64)"#,
        ),
        (
            r#"fact("os.service_pack") == 1"#,
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
    let e = error(&cause("reg-sz", &format!("{lm} == 1"), facts));
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
    for op in ["< 3", ">= 3", "!= 0"] {
        let e = error(&cause("absent", &format!("{smb} {op}"), facts));
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
