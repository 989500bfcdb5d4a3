//! Work shared by the rules on one host (issue 26): an expression several rules write the same
//! way is evaluated once per host, and the host's files and registry values are indexed once.
//! What each rule decides is what it decided alone.

mod common;

use common::{kbdiag, ndjson, scratch};

/// A rule `id` whose cause is `cause` and whose file table has Security.dll's 56-bit build of
/// `date` (size 59152).
fn rule(id: &str, cause: &str, date: &str) -> String {
    format!(
        r#"id: {id}
title: A made-up article
applies_to:
  when: icontains(fact("os.name"), "Windows NT")
cause:
  text: Security.dll is 56-bit.
  when: {cause}
resolution:
  summary: Install the hotfix.
  files:
    - {{date: {date}, time: "12:04", size: 59152, file: Security.dll, platform: x86, bits: 56}}
"#
    )
}

fn statuses(lines: &[serde_json::Value]) -> Vec<Vec<String>> {
    (lines.iter())
        .map(|l| {
            (l["results"].as_array().unwrap().iter())
                .map(|r| r["status"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn eval(dir: &std::path::Path, hosts: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let facts = dir.join("hosts.ndjson");
    let text: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    std::fs::write(&facts, text.join("\n") + "\n").unwrap();
    let o = kbdiag(
        &[
            "eval",
            "--kb",
            dir.join("kb").to_str().unwrap(),
            "--format",
            "ndjson",
            "--detail",
            "full",
            "--jobs",
            "1",
            facts.to_str().unwrap(),
        ],
        None,
    );
    ndjson(&o)
}

#[test]
fn a_shared_expression_gives_each_host_its_own_outcome() {
    let dir = scratch("shared-hosts");
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    let cause = r#"registry_or(`HKLM\SOFTWARE\X\Level`, 0) == 1"#;
    for id in ["KB1", "KB2", "KB3"] {
        std::fs::write(
            dir.join(format!("kb/{id}.yaml")),
            rule(id, cause, "1999-11-18"),
        )
        .unwrap();
    }
    let host = |name: &str, level: i64| {
        serde_json::json!({"host": name, "os": {"name": "Windows NT Server 4.0"},
                           "registry": {"HKLM\\SOFTWARE\\X\\Level": level}})
    };
    let lines = eval(
        &dir,
        &[host("A", 1), host("B", 0), host("C", 1), host("D", 0)],
    );
    let yes = vec!["affected".to_owned(); 3];
    let no = vec!["not_affected".to_owned(); 3];
    assert_eq!(statuses(&lines), [yes.clone(), no.clone(), yes, no]);
    // Each rule's evidence is the host's read, as when the rule is evaluated alone.
    for l in &lines {
        let evidence: Vec<&serde_json::Value> = (l["results"].as_array().unwrap().iter())
            .map(|r| &r["evidence"])
            .collect();
        assert!(evidence.windows(2).all(|w| w[0] == w[1]), "{l}");
    }
}

#[test]
fn the_same_words_reading_a_rules_own_table_are_not_shared() {
    // file_bits() reads the rule's own table: KB1's 1999-11-18 row says 56 bits, KB2's table
    // has no row of that date, so on the same host KB1 decides and KB2 cannot.
    let dir = scratch("shared-own");
    let cause = r#"file_bits("%SystemRoot%/System32/Security.dll") == 56"#;
    let host = serde_json::json!({"host": "A", "os": {"name": "Windows NT Server 4.0"},
        "env": {"SystemRoot": "C:\\WINNT"},
        "files": [{"path": "C:\\WINNT\\System32\\security.dll", "size": 59152,
                   "modified": "1999-11-18T12:04:00Z"}]});
    for order in [["KB1", "KB2"], ["KB2", "KB1"]] {
        // Whichever rule comes first.
        let _ = std::fs::remove_dir_all(dir.join("kb"));
        std::fs::create_dir_all(dir.join("kb")).unwrap();
        for (i, id) in order.iter().enumerate() {
            let date = if *id == "KB1" {
                "1999-11-18"
            } else {
                "2000-01-05"
            };
            std::fs::write(dir.join(format!("kb/{i}-{id}.yaml")), rule(id, cause, date)).unwrap();
        }
        let lines = eval(&dir, std::slice::from_ref(&host));
        let by_id: Vec<(String, String)> = (lines[0]["results"].as_array().unwrap().iter())
            .map(|r| {
                (
                    r["kb"].as_str().unwrap().to_owned(),
                    r["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for (id, status) in by_id {
            let want = if id == "KB1" { "affected" } else { "unknown" };
            assert_eq!(status, want, "{id} with {order:?}");
        }
    }
}

#[test]
fn a_file_listed_twice_is_found_twice_when_the_host_is_indexed() {
    // Past the first few lookups on a host its files are indexed: the conflict of a file
    // listed twice with different facts must still be seen.
    let dir = scratch("shared-index");
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    let others: Vec<String> = (0..6)
        .map(|i| format!(r#"file_exists("%SystemRoot%/System32/f{i}.dll")"#))
        .collect();
    let cause = format!(
        "{} && file_exists(\"%SystemRoot%/System32/Security.dll\")",
        others.join(" && ")
    );
    std::fs::write(
        dir.join("kb/KB1.yaml"),
        rule("KB1", &format!("'{cause}'"), "1999-11-18"),
    )
    .unwrap();
    let mut files: Vec<serde_json::Value> = (0..6)
        .map(|i| serde_json::json!({"path": format!("C:\\WINNT\\System32\\f{i}.dll"), "size": 1}))
        .collect();
    files.push(serde_json::json!({"path": "C:\\WINNT\\System32\\Security.dll", "size": 1}));
    files.push(serde_json::json!({"path": "c:/winnt/system32/security.dll", "size": 2}));
    let host = serde_json::json!({"host": "A", "os": {"name": "Windows NT Server 4.0"},
        "env": {"SystemRoot": "C:\\WINNT"}, "files": files});
    let lines = eval(&dir, &[host]);
    let r = &lines[0]["results"][0];
    assert_eq!(r["status"], "unknown", "{r}");
    assert!(
        r["missing"][0]
            .as_str()
            .unwrap()
            .contains("listed more than once with different facts"),
        "{r}"
    );
}

/// A whole condition several rules write the same way (`evaluate/kept.rs`) is evaluated once per
/// host, and the rules that take its verdict are charged what it cost: here the shared scope
/// costs about 700,000 operations and each cause about 400,000, so every rule with that scope is
/// past its budget of 1,000,000 (the second as well as the first), and the rule with a cheap
/// scope of its own and the same cause is not.
#[test]
fn a_shared_scope_is_charged_to_every_rule_that_takes_it() {
    let dir = scratch("kept-budget");
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    let costly = |n: u32| {
        format!(
            "'{{ let n = 0; for i in 0..24000 {{ n += 1; }} n > {n} && icontains(fact(\"os.name\"), \"Windows\") }}'"
        )
    };
    let list = |numbers: std::ops::RangeInclusive<u32>| -> String {
        numbers
            .map(|n| format!("      - expr: {}\n", costly(n)))
            .collect()
    };
    for (id, scope) in [
        ("KB900101", format!("    all:\n{}", list(1..=7))),
        ("KB900102", format!("    all:\n{}", list(1..=7))),
        (
            "KB900103",
            "    icontains(fact(\"os.name\"), \"Windows\")\n".to_owned(),
        ),
    ] {
        let text = format!(
            "id: {id}\ntitle: t\napplies_to:\n  when:\n{scope}cause:\n  text: c\n  when:\n    all:\n{}",
            list(11..=14)
        );
        std::fs::write(dir.join("kb").join(format!("{id}.yaml")), text).unwrap();
    }
    let host =
        serde_json::json!({"host": "H", "os": {"name": "Windows NT Server 4.0", "version": "4.0"}});
    let lines = eval(&dir, &[host]);
    let results = lines[0]["results"].as_array().unwrap();
    let outcome: Vec<(&str, &str)> = (results.iter())
        .map(|r| (r["kb"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcome,
        [
            ("KB900101", "error"),
            ("KB900102", "error"),
            ("KB900103", "affected")
        ],
        "{results:?}"
    );
    for r in &results[..2] {
        assert!(
            r["error"]
                .as_str()
                .unwrap()
                .contains("more than its budget"),
            "{r}"
        );
    }
}
