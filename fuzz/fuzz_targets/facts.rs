//! Fact parsing and evaluation on arbitrary bytes, as YAML and as JSON: one outcome, no panic;
//! and the report's NDJSON line is the one serde_json writes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn rules() -> &'static [kbdiag::rules::kb::RuleFile] {
    static RULES: OnceLock<Vec<kbdiag::rules::kb::RuleFile>> = OnceLock::new();
    RULES.get_or_init(kbdiag::rules::kb::builtin)
}

thread_local! {
    static EVALUATOR: kbdiag::evaluate::diagnose::Evaluator =
        kbdiag::evaluate::diagnose::Evaluator::new(rules()).expect("built-in rules load");
}

fuzz_target!(|data: &[u8]| {
    EVALUATOR.with(|ev| {
        for name in ["host.yaml", "host.json"] {
            let report = ev.report(name, data);
            assert!(report.results.is_some() != report.error.is_some());
            // The NDJSON writer against serde_json, on reports holding whatever text the
            // facts (or their errors) put in them.
            assert_eq!(
                kbdiag::report::render::ndjson(&report),
                serde_json::to_string(&report).expect("serde_json writes a report"),
            );
            // A byte-order mark in front changes nothing (Windows tools write one).
            if !data.starts_with(b"\xef\xbb\xbf") {
                let marked = ev.report(name, [b"\xef\xbb\xbf".as_slice(), data].concat());
                assert_eq!(report.results.is_some(), marked.results.is_some());
            }
        }
    });
});
