//! The rule author's commands: check, test, explain, new and schema, including their error paths.

mod common;

use common::{kbdiag, root, scratch, stderr, stdout};

const BROKEN: &str = r#"id: KB1
titel: Something
applies_to:
  prodcts: [X]
  when: icontains(fact("os.nmae"), "x")
symptoms:
  - id: a
    text: a
    when: evnt("Src", 1)
  - id: a
    text: b
cause:
  text: c
  when:
    all:
      - fiel_bits("x") == 1
      - {expr: 'true', any: ['false']}
      - file_bits("x") ==
"#;

#[test]
fn check_passes_the_builtin_rules() {
    let o = kbdiag(&["check"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "30 rule files checked: no problems\n");
    // `--kb` means what it means in `eval`: the rule files or folders to load.
    let o = kbdiag(&["check", "--kb", "kb/KB322051.yaml"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "1 rule file checked: no problems\n");
}

#[test]
fn check_reports_every_problem_located_and_eval_refuses_with_the_same() {
    let dir = scratch("check-broken");
    std::fs::write(dir.join("KB1.yaml"), BROKEN).unwrap();
    let path = dir.join("KB1.yaml");
    let file = path.to_str().unwrap();
    let o = kbdiag(&["check", file], None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let headlines: Vec<&str> = out.lines().filter(|l| l.starts_with(file)).collect();
    let expected = [
        ":1:1: missing field `title`",
        ":2:1: unknown field `titel`, did you mean `title`?",
        ":4:3: unknown field `applies_to.prodcts`, did you mean `products`?",
        ":5:24: warning: fact(\"os.nmae\"): the fact format has no such fact; did you mean `os.name`?",
        ":9:11: warning: no helper or function named `evnt`; did you mean `event`?",
        ":10:9: symptoms[1].id: `a` is used twice",
        ":16:9: warning: no helper or function named `fiel_bits`; did you mean `file_bits`?",
        ":17:9: cause.when.all[1]: a condition has exactly one of `expr`, `all`, `any`, `not`; this one has 2",
        ":18:26: cause.when: Rhai syntax error: Script is incomplete",
    ];
    let expected: Vec<String> = expected.iter().map(|e| format!("{file}{e}")).collect();
    assert_eq!(headlines, expected, "{out}");
    assert!(out.contains("10 |   - id: a\n   |         ^"), "{out}");
    assert!(
        out.ends_with("1 rule file checked: 6 errors, 3 warnings\n"),
        "{out}"
    );

    let o = kbdiag(
        &["eval", "--kb", dir.to_str().unwrap(), "examples/hosts"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    for headline in &expected {
        assert!(
            err.contains(headline.as_str()),
            "eval does not say {headline}:\n{err}"
        );
    }
}

#[test]
fn check_cannot_run_on_a_missing_path() {
    let o = kbdiag(&["check", "no/such/rule.yaml"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("no/such/rule.yaml: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn test_runs_the_builtin_cases() {
    let o = kbdiag(&["test"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.starts_with("kb/KB147706.tests.yaml\n  ok    "), "{out}");
    assert!(out.contains("\nkb/KB322051.tests.yaml\n  ok    "), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    let total = out.lines().last().unwrap_or_default().to_owned();
    assert!(total.ends_with(" passed, 0 failed"), "{out}");
    // The same cases from the folder on disk, given as a path or with `--kb`.
    for args in [["test", "kb"], ["test", "--kb=kb"]] {
        let o = kbdiag(&args, None);
        assert!(
            stdout(&o).ends_with(&format!("\n{total}\n")),
            "{args:?}: {}",
            stdout(&o)
        );
    }
}

/// A copy of `kb/` whose tests file is changed by `edit`.
fn kb_copy(name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let dir = scratch(name);
    for file in ["KB322051.yaml", "KB322051.tests.yaml"] {
        let text = std::fs::read_to_string(root().join("kb").join(file)).unwrap();
        let text = if file.contains(".tests.") {
            edit(text)
        } else {
            text
        };
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[test]
fn a_failing_case_says_which_fields_differ() {
    let dir = kb_copy("test-failing", |t| {
        t.replacen(
            "      action: install-prerequisite",
            "      action: install-hotfix\n      evidence: [os.service_pack=6a]",
            1,
        )
        .replace(
            "observed: [ds-communications-problem]",
            "observed: [event-1008-move-mailbox]",
        )
    });
    let o = kbdiag(&["test", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let tests = dir.join("KB322051.tests.yaml");
    let expected = format!(
        "  FAIL  mismatched DLLs before SP6a need the prerequisite first ({}:43:5)\n        \
         action: expected install-hotfix, got install-prerequisite\n        \
         evidence: expected to include \"os.service_pack=6a\"\n        \
         evidence: got:\n            \"os.name=Windows NT Server 4.0\"\n",
        tests.display()
    );
    assert!(out.contains(&expected), "{out}");
    assert!(
        out.contains("        symptom event-1008-move-mailbox: expected observed, got unknown\n"),
        "{out}"
    );
    assert!(out.ends_with("\n16 passed, 2 failed\n"), "{out}");
}

#[test]
fn a_malformed_tests_file_is_located() {
    let dir = kb_copy("test-malformed", |t| {
        t.replace(
            "    expect:\n      status: not_applicable",
            "    expect:\n      stauts: not_applicable",
        )
    });
    let o = kbdiag(&["test", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("KB322051.tests.yaml:74:7: unknown field `cases[4].expect.stauts`, did you mean `status`?"), "{out}");
    assert!(
        out.contains("KB322051.tests.yaml:74:7: missing field `cases[4].expect.status`"),
        "{out}"
    );
}

#[test]
fn explain_shows_each_condition_what_it_read_and_what_decided() {
    let o = kbdiag(
        &[
            "explain",
            "--rule",
            "KB322051",
            "examples/hosts/pdc-nt4.yaml",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("PDC-NT4 (examples/hosts/pdc-nt4.yaml)\n\nKB322051: not_affected (none)"),
        "{out}"
    );
    let decided = "      FALSE   Security.dll is 56-bit  <- decides\n              | file_bits(\"%SystemRoot%/System32/Security.dll\") == 56\n              read: C:\\WINNT\\System32\\security.dll size=59152 modified=1999-09-23T11:04:00Z: the 128-bit build, SP6a in the article's file table\n";
    assert!(out.contains(decided), "{out}");
    assert!(
        out.contains("      TRUE    Schannel.dll is 128-bit\n"),
        "{out}"
    );

    let o = kbdiag(
        &[
            "explain",
            "--format",
            "json",
            "--rule",
            "q322051",
            "examples/hosts/bdc-nt4.yaml",
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json[0]["status"], "suspected");
    assert_eq!(json[0]["conditions"][1]["part"], "applies_to.products_when");
    assert_eq!(json[0]["conditions"][1]["value"], "true");
    assert_eq!(json[0]["conditions"][2]["part"], "cause.when");
    assert_eq!(json[0]["conditions"][2]["value"], "unknown");
    assert_eq!(
        json[0]["conditions"][2]["parts"][0]["missing"][0],
        "file C:\\WINNT\\System32\\Schannel.dll: its cipher_bits (the article's file table has no row for it)"
    );

    let o = kbdiag(
        &["explain", "--rule", "KB1", "examples/hosts/bdc-nt4.yaml"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    // `--kb` names rule files in every command; a rule's id there is pointed to `--rule`.
    let o = kbdiag(
        &["explain", "--kb", "KB322051", "examples/hosts/bdc-nt4.yaml"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--kb KB322051: no such file or folder: --kb takes rule files or folders; to pick one rule of those loaded, use --rule KB322051"),
        "{}",
        stderr(&o)
    );
    let o = kbdiag(
        &[
            "explain",
            "--kb",
            "kb/KB322051.yaml",
            "--rule",
            "KB322051",
            "examples/hosts/bdc-nt4.yaml",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("KB322051: suspected"), "{}", stdout(&o));
    let o = kbdiag(&["explain", "tests/fixtures/bad/wrong-type.json"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("tests/fixtures/bad/wrong-type.json:1:60: files: invalid type"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn new_writes_a_skeleton_that_check_and_test_accept() {
    let dir = scratch("new-rule");
    let kb = dir.join("kb");
    let o = kbdiag(&["new", "KB765432", "--dir", kb.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rule = std::fs::read_to_string(kb.join("KB765432.yaml")).unwrap();
    assert!(rule.starts_with("# yaml-language-server: $schema="));
    assert!(rule.contains("\nid: KB765432\n"));
    // The skeleton checks with a warning for each TODO left, and no error.
    let o = kbdiag(&["check", kb.to_str().unwrap()], None);
    let out = stdout(&o);
    assert!(out.contains(" checked: 0 errors, "), "{out}");
    let warnings: Vec<&str> = out.lines().filter(|l| l.contains(": warning: ")).collect();
    assert!(!warnings.is_empty());
    for w in &warnings {
        assert!(w.contains(": warning: TODO left: "), "{w}");
    }
    let o = kbdiag(&["test", kb.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("2 passed, 0 failed\n"));

    let o = kbdiag(&["new", "KB765432", "--dir", kb.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "never overwrites");
    let o = kbdiag(&["new", "../evil", "--dir", kb.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not an article id"));
}

#[test]
fn committed_schemas_match_the_types() {
    for (kind, path) in [
        ("rule", "schemas/rule.schema.json"),
        ("facts", "schemas/facts.schema.json"),
        ("tests", "schemas/tests.schema.json"),
    ] {
        let o = kbdiag(&["schema", kind], None);
        let committed = std::fs::read_to_string(root().join(path)).unwrap();
        assert_eq!(
            stdout(&o),
            committed,
            "{path} is out of date: run `cargo run -- schema {kind} > {path}`"
        );
    }
}

#[test]
fn rule_and_tests_files_name_their_schema_for_editors() {
    for dir in ["kb", "tests/rules"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let first = text.lines().next().unwrap_or_default();
            let schema = if path.to_string_lossy().contains(".tests.") {
                "tests"
            } else {
                "rule"
            };
            assert!(
                first.starts_with("# yaml-language-server: $schema=")
                    && first.ends_with(&format!("schemas/{schema}.schema.json")),
                "{}: {first}",
                path.display()
            );
            let target = path
                .parent()
                .unwrap()
                .join(first.split('=').nth(1).unwrap());
            assert!(
                target.exists(),
                "{} points at {}",
                path.display(),
                target.display()
            );
        }
    }
}

/// The helper examples in docs/authoring.md compile and call only functions that exist.
#[test]
fn the_guide_s_helper_examples_are_valid_rhai() {
    let guide = std::fs::read_to_string(root().join("docs/authoring.md")).unwrap();
    let table = guide
        .split("### Helpers")
        .nth(1)
        .expect("a Helpers section");
    let sandbox = kbdiag::engine::script::Sandbox::new();
    let mut seen = std::collections::BTreeSet::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let name = row[3..].split(['(', '`']).next().unwrap().to_owned();
        let example = row
            .trim_end_matches('|')
            .rsplit(" | ")
            .next()
            .unwrap()
            .trim();
        let expr = example
            .strip_prefix("``")
            .and_then(|e| e.strip_suffix("``"))
            .or_else(|| example.strip_prefix('`').and_then(|e| e.strip_suffix('`')))
            .unwrap_or_else(|| panic!("not code: {example}"))
            .trim();
        let ast = sandbox
            .compile(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(kbdiag::engine::lint::check(&ast, &sandbox), [], "{expr}");
        seen.insert(name);
    }
    // Every helper of the signature table has an example, and every example is of a helper.
    let helpers: std::collections::BTreeSet<String> = kbdiag::engine::signatures::HELPERS
        .iter()
        .map(|s| s.name.to_owned())
        .collect();
    assert_eq!(seen, helpers);
}

#[test]
fn every_helper_in_the_signature_table_is_registered() {
    // `check` takes a name in the table as known without asking Rhai, so the table must not
    // name a helper the sandbox lacks.
    let sandbox = kbdiag::engine::script::Sandbox::new();
    for s in kbdiag::engine::signatures::HELPERS {
        assert!(
            sandbox.functions().contains(s.name),
            "`{}` is in the signature table but not registered",
            s.name
        );
    }
}

#[test]
fn the_helper_reference_matches_the_signature_table() {
    // docs/rules.md lists each way to call each helper, as the table that check uses writes it.
    let reference = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    let rows: Vec<&str> = reference.lines().filter(|l| l.starts_with("| `")).collect();
    for s in kbdiag::engine::signatures::HELPERS {
        assert!(
            rows.iter()
                .any(|r| r.starts_with(&format!("| `{}`", s.written))),
            "docs/rules.md has no row for `{}`",
            s.written
        );
    }
}

#[test]
fn test_cases_can_read_their_facts_from_files() {
    let o = kbdiag(&["test", "tests/rules"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with("\n5 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
    let dir = scratch("test-facts-file");
    let text = std::fs::read_to_string(root().join("tests/rules/KB900001.tests.yaml")).unwrap();
    std::fs::copy(
        root().join("tests/rules/KB900001.yaml"),
        dir.join("KB900001.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("KB900001.tests.yaml"), text).unwrap();
    // Copied elsewhere, the relative facts_file paths no longer lead anywhere: each case says so.
    let o = kbdiag(&["test", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("        facts_file "), "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with("\n0 passed, 5 failed\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_names_an_unknown_event_filter_and_eval_says_it_at_run_time() {
    let dir = scratch("check-event-filter");
    let rule = std::fs::read_to_string(root().join("kb/KB322051.yaml"))
        .unwrap()
        .replacen("category: \"Interface\"", "categroy: \"Interface\"", 1);
    std::fs::write(dir.join("KB322051.yaml"), rule).unwrap();
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    let out = stdout(&o);
    assert!(
        out.contains(": warning: event(): no filter `categroy`; the filters are log, type, category, user, message, param, since, before; did you mean `category`?"),
        "{out}"
    );
    let o = kbdiag(
        &[
            "eval",
            "--format",
            "ndjson",
            "--kb",
            dir.to_str().unwrap(),
            "examples/hosts/exch55-01.yaml",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("event(): no filter `categroy`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_rhai_error_in_a_folded_block_is_placed_on_its_line() {
    let dir = scratch("check-folded");
    let rule = "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause:\n  text: c\n  when:\n    expr: >-\n      icontains(fact(\"os.name\"), \"Windows NT\") &&\n      fact(\"os.version\") === \"4.0\"\n";
    std::fs::write(dir.join("KB1.yaml"), rule).unwrap();
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    assert!(
        stdout(&o).contains(
            "KB1.yaml:9:26: cause.when: Rhai syntax error: '===' is not a valid operator"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_typo_in_a_case_s_facts_is_an_error_and_a_failed_rule_is_not_a_missing_symptom() {
    let dir = kb_copy("test-typo", |t| {
        t.replacen("      hotfixes: []\n", "      hotfixs: []\n", 1)
            .replacen(
                "      os: {name: Windows NT Server 4.0, version: \"4.0\", service_pack: 5}",
                "      os: {name: Windows NT Server 4.0, version: \"4.0\", service_pack: 5}\n      registry: {'HKLM\\X': 1}",
                1,
            )
    });
    let o = kbdiag(&["test", dir.to_str().unwrap()], None);
    let out = stdout(&o);
    assert!(
        out.contains("unknown field `hotfixs`, did you mean `hotfixes`?"),
        "{out}"
    );
    // A rule that fails on a host: its symptoms are "not evaluated", not "no such symptom".
    let rules = scratch("test-failing-rule");
    let rule = std::fs::read_to_string(root().join("kb/KB322051.yaml"))
        .unwrap()
        .replace(
            "expr: fact(\"os.version\") == \"4.0\"",
            "expr: fact(\"os.version\") == parse_int(\"4\")",
        );
    std::fs::write(rules.join("KB322051.yaml"), rule).unwrap();
    std::fs::copy(
        root().join("kb/KB322051.tests.yaml"),
        rules.join("KB322051.tests.yaml"),
    )
    .unwrap();
    let out = stdout(&kbdiag(&["test", rules.to_str().unwrap()], None));
    assert!(
        out.contains("symptom event-9318-rpc-bind: not evaluated, the rule failed on this host"),
        "{out}"
    );
    assert!(!out.contains("the rule has no such symptom"), "{out}");
}

#[test]
fn new_outside_a_checkout_names_schemas_that_will_resolve() {
    let dir = scratch("new-outside");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kbdiag"))
        .args(["new", "KB5", "--dir", "rules"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let rule = std::fs::read_to_string(dir.join("rules/KB5.yaml")).unwrap();
    assert!(rule.starts_with("# yaml-language-server: $schema=./rule.schema.json\n"));
    assert!(stdout(&o).contains("kbdiag schema rule > rules/rule.schema.json"));
}

#[test]
fn the_example_rules_written_from_the_docs_check_clean_and_pass_their_tests() {
    // An SMBv1 (MS17-010) and an LmCompatibilityLevel rule, written as a new user would.
    let o = kbdiag(&["check", "examples/rules"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("2 rule files checked: no problems\n"));
    let o = kbdiag(&["test", "examples/rules"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with("\n9 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
    // A setting to change is change-setting, with the value as a step.
    let dir = scratch("example-lmcompat");
    std::fs::write(
        dir.join("srv.yaml"),
        "host: SRV-1\nos: {version: '6.1'}\nregistry: {'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel': 1}\n",
    )
    .unwrap();
    // `--detail full`: the article's note in place (a brief report prints it under "Articles").
    let o = kbdiag(
        &[
            "eval",
            "--detail",
            "full",
            "--kb",
            "examples/rules",
            dir.join("srv.yaml").to_str().unwrap(),
        ],
        None,
    );
    let out = stdout(&o);
    assert!(out.contains("    Do: change-setting - Send NTLMv2 responses only, and refuse LM and NTLM.\n      1. Set HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel to 5 (REG_DWORD).\n      Note: First check"), "{out}");
}

#[test]
fn a_resolution_kind_without_its_field_is_an_error() {
    let dir = scratch("kind-without-field");
    let rule = "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause: {text: c, when: 'true'}\nresolution:\n  kind: setting\n  summary: Set it.\n";
    std::fs::write(dir.join("KB1.yaml"), rule).unwrap();
    let o = kbdiag(&["check", dir.to_str().unwrap()], None);
    assert!(
        stdout(&o).contains(
            "KB1.yaml:6:9: resolution.kind: setting needs `setting: {path, value, type}`"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_guide_s_beyond_section_quotes_the_example_rules() {
    // The expressions of section 7 are the example rules' own, which check and test compile.
    let guide = std::fs::read_to_string(root().join("docs/authoring.md")).unwrap();
    let section = guide
        .split("## 7.")
        .nth(1)
        .unwrap()
        .split("## Reference")
        .next()
        .unwrap();
    let rules: String = [
        "examples/rules/MS17-010.yaml",
        "examples/rules/LMCOMPAT.yaml",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(root().join(p)).unwrap())
    .collect();
    let quoted: Vec<&str> = section
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("expr: ")
                || l.starts_with("kind: setting")
                || l.starts_with("summary: Send")
        })
        .collect();
    assert!(quoted.len() >= 5, "{quoted:?}");
    for line in quoted {
        assert!(rules.contains(line), "not in examples/rules: {line}");
    }
}
