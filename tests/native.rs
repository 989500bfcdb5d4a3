//! Native conditions against Rhai (issue 9): for every native form, on thousands of varied hosts,
//! the native evaluation gives exactly Rhai's value and trace (facts read, missing, matched) — or
//! steps aside where Rhai answers with an error, which Rhai then explains.

#[path = "../benches/support/fleet_gen.rs"]
mod fleet_gen;
#[path = "../benches/support/kb_fleet.rs"]
mod kb_fleet;

use std::rc::Rc;

use fleet_gen::Rng;
use kbdiag::engine::native::Native;
use kbdiag::engine::script::Value;
use kbdiag::evaluate::diagnose::Evaluator;
use serde_json::json;

/// Conditions in the native forms: the built-in rule's, and others of the same forms.
const NATIVE: &[&str] = &[
    r#"icontains(fact("os.name"), "Windows NT")"#,
    r#"ieq(fact("os.edition"), "Standard")"#,
    r#"icontains(fact("os.build"), "13")"#,
    r#"fact("os.version") == "4.0""#,
    r#"fact("os.version") != "5.0""#,
    r#"fact("os.service_pack") == "6a""#,
    r#"fact("os.build") == 1381"#,
    r#"fact("os.build") == "1381""#,
    r#"fact("os.cipher_bits") != 128"#,
    r#"fact("collected") == "2026-11-20T10:15:00Z""#,
    r#"fact("no.such.fact") == 1"#,
    r#"file_bits("%SystemRoot%/System32/Schannel.dll") == 128"#,
    r#"file_bits("%SystemRoot%/System32/Security.dll") == 56"#,
    r#"file_bits("%SystemRoot%\\System32\\ntlmssps.dll") != 56"#,
    r#"file_bits("%windir%/System32/Security.dll") == "56""#,
    r#"file_bits("%NoSuchVar%/System32/Security.dll") == 56"#,
    r#"has_hotfix("Q246009")"#,
    r#"has_hotfix("KB299444")"#,
    r#"reported("DS_E_COMMUNICATIONS_PROBLEM")"#,
    r#"reported("64659")"#,
    r#"event("MSExchangeMTA", 9318)"#,
    r#"event("MSExchangeAdmin", 1008, #{category: "Move Mailbox", message: "Could not bind"})"#,
    r#"event("MSExchangeMTA", 9322, #{log: "Application", type: "Warning", category: "Interface", message: "NT/MTA error code: 5"})"#,
    r#"event("msexchangemta", 9318, #{message: "RPC"})"#,
    r#"event("EventLog", 6005, #{since: "2026-11-20T09:00:00Z", before: "2026-11-21"})"#,
    // `if` chains of native forms, as the rule's products_when writes one.
    r#"if icontains(fact("os.name"), "Workstation") { false }
       else if icontains(fact("os.name"), "Server") { true }
       else { unknown("os.name (Windows NT Server or Workstation)") }"#,
    r#"if fact("os.build") == 1381 { file_bits("%SystemRoot%/System32/Schannel.dll") == 128 } else { has_hotfix("Q246009") }"#,
    r#"if has_hotfix("Q299444") { if fact("os.service_pack") == "6a" { true } else { false } } else { ieq(fact("os.edition"), "Standard") }"#,
    r#"if fact("os.cipher_bits") == "128" { true } else { false }"#,
    r#"if event("MSExchangeMTA", 9318) { unknown("why") } else { true }"#,
    r#"if true { fact("no.such.fact") == 1 } else { false }"#,
    // The file-table idiom and the helpers of fixes.rs, on the built-in rule's table and fix.
    r#"if file_collected("%SystemRoot%/System32/Security.dll") { fixed_file("%SystemRoot%/System32/Security.dll") } else { fix_installed() }"#,
    r#"if file_collected("%SystemRoot%/System32/Ntlmssps.dll") { fixed_file("%SystemRoot%/System32/Ntlmssps.dll") } else { fix_installed() }"#,
    r#"fixed_file("%SystemRoot%/System32/Schannel.dll")"#,
    r#"fix_installed()"#,
    r#"file_exists("%SystemRoot%/System32/Security.dll")"#,
    r#"file_exists("%NoSuchVar%/System32/Security.dll")"#,
    r#"file_collected("%SystemRoot%/System32/Nothere.dll")"#,
    r#"has_software("Internet Explorer")"#,
    r#"registry_collected(`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009\Installed`)"#,
    // `&&`, `||`, `!`, `let`, registry values, `type_of` and comparisons of values.
    r#"icontains(fact("os.name"), "Windows NT") && fact("os.version") == "4.0""#,
    r#"ieq(fact("os.edition"), "Standard") || ieq(fact("os.edition"), "Enterprise") || has_hotfix("Q1")"#,
    r#"!has_hotfix("Q246009") && !(fact("os.build") == 1381)"#,
    r#"let sp = fact("os.service_pack"); sp == "4" || sp == "5" || sp == "6" || sp == "6a""#,
    r#"let sp = fact("os.build"); sp == "1381""#,
    r#"let key = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009\Installed`;
       if registry_collected(key) { registry_or(key, 0) == 1 } else { has_hotfix("Q246009") }"#,
    r#"let v = registry(`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009\Installed`);
       if type_of(v) == "()" { false } else if type_of(v) == "i64" { v >= 1 } else { unknown("v") }"#,
    r#"let v = registry_or(`HKLM\SYSTEM\CurrentControlSet\Control\Lsa\LMCompatibilityLevel`, 0);
       if type_of(v) == "i64" { v < 2 } else { unknown("registry LMCompatibilityLevel (a number)") }"#,
    r#"type_of(registry(`HKLM\SYSTEM\CurrentControlSet\Services\ClusSvc\Start`)) != "()""#,
    r#"ieq(registry_or(`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions\ProductType`, ""), "LanmanNT")"#,
    r#"registry_or(`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009\Installed`, "x") == 1"#,
    r#"file_bits("%SystemRoot%/System32/Ntlmssps.dll") != file_bits("%SystemRoot%/System32/Security.dll")"#,
    r#"fact("os.build") > 1000 && fact("os.build") <= 1381"#,
    r#"fact("os.version") < "4.0" || fact("os.service_pack") >= "6""#,
    r#"let a = fact("os.build"); let b = "x"; if a >= 2195 { icontains(b, "X") } else { a < 0 }"#,
];

/// Conditions that are not in a native form: Rhai evaluates them.
const NOT_NATIVE: &[&str] = &[
    r#"fact("os.version") == "4.0" && fact("os.build")"#,
    r#"let key = "Q246009"; key = "Q1"; has_hotfix(key)"#,
    r#"registry_or(`HKLM\X`, fact("os.build")) == 1"#,
    r#"event("EventLog", 6005, #{message: 5})"#,
    r#"fact("os.build") + 1 > 1000"#,
    r#"has_hotfix("Q" + "246009")"#,
    r#"fn has_hotfix(x) { true } has_hotfix("Q1")"#,
    r#"event("EventLog", 6005, #{nope: "x"})"#,
    r#"event("EventLog", 6005, #{since: "not a time"})"#,
    r#"if has_hotfix("Q246009") { true }"#,
    r#"if has_hotfix("Q246009") { true } else { fact("os.build") * 2 > 1000 }"#,
    r#"if has_hotfix("Q246009") { true } else { 1 }"#,
    r#"if has_hotfix("Q246009") { has_hotfix("Q1"); true } else { false }"#,
];

/// A fleet host with some facts taken away or given another type.
fn varied(rng: &mut Rng, i: usize) -> String {
    let mut doc = fleet_gen::host(rng, i, 6, 10);
    let mut drop = |doc: &mut serde_json::Value, path: &[&str]| {
        if rng.below(6) == 0 {
            let (last, parents) = path.split_last().unwrap();
            let mut at = &mut *doc;
            for p in parents {
                at = &mut at[*p];
            }
            if let Some(map) = at.as_object_mut() {
                map.remove(*last);
            }
        }
    };
    for path in [
        &["os", "name"][..],
        &["os", "edition"],
        &["os", "version"],
        &["os", "service_pack"],
        &["os", "cipher_bits"],
        &["os", "build"],
        &["env", "SystemRoot"],
        &["env"],
        &["files"],
        &["events"],
        &["hotfixes"],
        &["collected"],
    ] {
        drop(&mut doc, path);
    }
    match rng.below(8) {
        0 => doc["os"]["version"] = json!(4.0),
        1 => doc["os"]["version"] = json!("4.0.1381"),
        2 => doc["os"]["service_pack"] = json!("Service Pack 6"),
        3 => {
            doc["reported_errors"] = json!([
                "Error code 0XC103FC93 (64659)",
                "ds_e_communications_problem"
            ])
        }
        4 => doc["os"]["service_pack"] = json!("SP 9 beta"),
        5 => {
            if let Some(events) = doc["events"].as_array_mut() {
                events.push(
                    json!({"source": "MSExchangeMTA", "id": 2147492966u64, "log": "Application",
                    "type": "2", "category": "Interface", "time": "2026-11-20T09:58:12+01:00",
                    "message": "Unable to bind over RPC. NT/MTA error code: 5. Comms error 5"}),
                );
                events.push(json!({"source": "MSExchangeAdmin", "id": 1008,
                    "strings": ["Could not bind to the Microsoft Exchange Directory server"]}));
            }
        }
        6 => {
            if let Some(files) = doc["files"].as_array_mut() {
                files.push(json!({"path": "C:\\WINNT\\System32\\SECURITY.DLL", "size": 1}));
            }
        }
        _ => {}
    }
    doc.to_string()
}

#[test]
fn native_conditions_answer_as_rhai_does() {
    let rules = kbdiag::rules::kb::builtin();
    let evaluator = Evaluator::new(&rules).expect("the built-in rules load");
    let rule = &evaluator.rules()[0];
    let sandbox = evaluator.sandbox();
    let compiled: Vec<_> = NATIVE
        .iter()
        .map(|expr| {
            let ast = sandbox.compile(expr).expect(expr);
            let native = Native::of(&ast).unwrap_or_else(|| panic!("not native: {expr}"));
            (*expr, ast, native)
        })
        .collect();
    for expr in NOT_NATIVE {
        let ast = sandbox.compile(expr).expect(expr);
        assert!(Native::of(&ast).is_none(), "native: {expr}");
    }
    let mut rng = Rng::new(7);
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..1500 {
        let text = varied(&mut rng, i);
        let facts = Rc::new(kbdiag::facts::parse("h.json", text.as_bytes()).expect("facts"));
        evaluator.bind(&facts, rule);
        for (expr, ast, native) in &compiled {
            *seen
                .entry(outcome(sandbox, expr, ast, native, i))
                .or_insert(0) += 1;
            // And the two in turn, as a rule runs them, give what Rhai gives.
            assert_eq!(
                sandbox.run(ast, Some(native)),
                sandbox.eval(ast),
                "{expr} on host {i}"
            );
        }
    }
    // Every outcome is exercised: true, false, unknown, and the errors left to Rhai.
    for kind in ["True", "False", "Unkno", "Rhai"] {
        assert!(seen.get(kind).is_some_and(|n| *n > 100), "{seen:?}");
    }
}

/// A knowledge-base fleet host with some facts taken away or given another type.
fn varied_kb(rng: &mut Rng, i: usize) -> String {
    let mut doc = kb_fleet::host(rng, i);
    for key in [
        "files", "registry", "hotfixes", "software", "env", "os", "events",
    ] {
        if rng.below(12) == 0 {
            if let Some(map) = doc.as_object_mut() {
                map.remove(key);
            }
        }
    }
    match rng.below(10) {
        0 => {
            if let Some(registry) = doc["registry"].as_object_mut() {
                for (_, v) in registry.iter_mut().take(3) {
                    *v = json!({"type": "REG_SZ", "value": "1"});
                }
            }
        }
        1 => doc["env"]["PROCESSOR_ARCHITECTURE"] = json!("ALPHA"),
        2 => {
            if let Some(files) = doc["files"].as_array_mut() {
                for f in files.iter_mut().take(4) {
                    if let Some(f) = f.as_object_mut() {
                        f.remove("version");
                        f.remove("modified");
                    }
                }
            }
        }
        _ => {}
    }
    doc.to_string()
}

/// Every condition of the knowledge base that has a native form, on its fleet: the native
/// evaluation gives Rhai's value and trace, with the rule's own table and fix bound.
#[test]
fn the_knowledge_bases_native_conditions_answer_as_rhai_does() {
    use kbdiag::engine::condition::Node;
    let rules = kbdiag::rules::kb::read_dir(std::path::Path::new("kb")).expect("kb/ reads");
    let evaluator = Evaluator::new(&rules).expect("kb/ loads");
    let sandbox = evaluator.sandbox();
    let (mut native, mut total) = (0, 0);
    for rule in evaluator.rules() {
        for node in rule.conditions().flat_map(Node::exprs) {
            total += 1;
            native += usize::from(matches!(
                node,
                Node::Expr {
                    native: Some(_),
                    ..
                }
            ));
        }
    }
    // Every condition of the thirty articles but one is native (321 of 322; KB318420's
    // `parse_int(env(…))` is Rhai's).
    assert!(native + 1 >= total, "{native} of {total} native");
    let mut rng = Rng::new(11);
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..240 {
        let text = varied_kb(&mut rng, i);
        let facts = Rc::new(kbdiag::facts::parse("h.json", text.as_bytes()).expect("facts"));
        for rule in evaluator.rules() {
            evaluator.bind(&facts, rule);
            for node in rule.conditions().flat_map(Node::exprs) {
                let Node::Expr {
                    expr,
                    ast,
                    native: Some(native),
                    ..
                } = node
                else {
                    continue;
                };
                let expr = format!("{}: {expr}", rule.rule.id);
                *seen
                    .entry(outcome(sandbox, &expr, ast, native, i))
                    .or_insert(0) += 1;
            }
        }
    }
    for kind in ["True", "False", "Unkno"] {
        assert!(seen.get(kind).is_some_and(|n| *n > 100), "{seen:?}");
    }
}

/// The version forms (`version(…)`, `.between`, `.major`, a version compared with a text) and
/// the values they read (`software_version`, `file(…).version`), as the knowledge base writes
/// them: native, and answering as Rhai does, on knowledge-base hosts whose software and file
/// versions are sometimes missing, not versions, or numbers.
#[test]
fn version_forms_answer_as_rhai_does() {
    let rules = kbdiag::rules::kb::read_dir(std::path::Path::new("kb")).expect("kb/ reads");
    let evaluator = Evaluator::new(&rules).expect("kb/ loads");
    let rule = (evaluator.rules().iter())
        .find(|r| r.rule.id == "KB305228")
        .expect("KB305228 is in kb/");
    let sandbox = evaluator.sandbox();
    let forms = [
        r#"version(software_version("Internet Explorer")).between("5.5", "6")"#,
        r#"has_software("Exchange Server") && version(software_version("Exchange Server")).between("5.5", "5.6")"#,
        r#"version(software_version("Internet Explorer")).major == 5"#,
        r#"let v = version(software_version("Internet Explorer")); v.major == 5 && (v.minor == 50 || v.minor == 0)"#,
        r#"version(software_version("Internet Explorer")) >= "5.50.4807""#,
        r#"version(file("%SystemRoot%/System32/drivers/Cpqarray.sys").version) >= "4.24.0.0""#,
        r#"file("%SystemRoot%/System32/Security.dll").modified >= "1999-10-01""#,
        r#"version(fact("os.build")).major == 1381"#,
    ];
    let compiled: Vec<_> = (forms.iter())
        .map(|expr| {
            let ast = sandbox.compile(expr).expect(expr);
            let native = Native::of(&ast).unwrap_or_else(|| panic!("not native: {expr}"));
            (*expr, ast, native)
        })
        .collect();
    // Left to Rhai: a version written that is not one, `?.`, a part or property with no native
    // form, and a literal on the left.
    for expr in [
        r#""6.0" > version(software_version("Internet Explorer"))"#,
        r#"version(software_version("Internet Explorer")).between("5.5", "x")"#,
        r#"version(software_version("Internet Explorer"))?.major == 5"#,
        r#"version(software_version("Internet Explorer")).patch == 5"#,
        r#"file("%SystemRoot%/System32/Security.dll").bits == 56"#,
    ] {
        let ast = sandbox.compile(expr).expect(expr);
        assert!(Native::of(&ast).is_none(), "native: {expr}");
    }
    let mut rng = Rng::new(5);
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..600 {
        let mut doc: serde_json::Value = serde_json::from_str(&varied_kb(&mut rng, i)).unwrap();
        // Versions that are not versions, or numbers, on some hosts.
        match rng.below(6) {
            0 => {
                doc["software"] =
                    json!([{"name": "Microsoft Internet Explorer", "version": "beta"}])
            }
            1 => doc["software"] = json!([{"name": "Microsoft Internet Explorer", "version": 6}]),
            2 => doc["software"] = json!([{"name": "Microsoft Internet Explorer"}]),
            _ => {}
        }
        let text = doc.to_string();
        let facts = Rc::new(kbdiag::facts::parse("h.json", text.as_bytes()).expect("facts"));
        evaluator.bind(&facts, rule);
        for (expr, ast, native) in &compiled {
            let outcome = outcome(sandbox, expr, ast, native, i);
            *seen.entry((*expr, outcome)).or_insert(0) += 1;
        }
    }
    // Each form gives true, false and unknown natively on some host.
    for expr in forms {
        for kind in ["True", "False", "Unkno"] {
            assert!(
                seen.get(&(expr, kind.to_owned())).is_some_and(|n| *n > 3),
                "{expr}: {kind}: {seen:?}"
            );
        }
    }
}

/// `native` against Rhai on the bound host: equal when native answers, and native stepping
/// aside only where Rhai explains an error. The outcome's first five letters (`True`, `False`,
/// `Unkno`), or `Rhai`.
fn outcome(
    sandbox: &kbdiag::engine::script::Sandbox,
    expr: &str,
    ast: &rhai::AST,
    native: &Native,
    host: usize,
) -> String {
    let by_rhai = sandbox.eval(ast);
    match sandbox.eval_native(native) {
        Some(by_native) => {
            assert_eq!(by_native, by_rhai, "{expr} on host {host}");
            format!("{:?}", by_rhai.0).chars().take(5).collect()
        }
        None => {
            assert!(
                matches!(by_rhai.0, Value::Error(_)),
                "{expr} on host {host}: {by_rhai:?}"
            );
            "Rhai".to_owned()
        }
    }
}
