//! Property tests: random and mutated fact documents and rule files never panic, and every input
//! yields exactly one result set or one error.

use std::cell::OnceCell;

use kbdiag::evaluate::diagnose::Evaluator;
use kbdiag::evaluate::fleet;
use kbdiag::input::inputs::Document;
use kbdiag::report::render;
use kbdiag::rules::kb::{self, RuleFile};
use proptest::prelude::*;

thread_local! {
    static EVALUATOR: OnceCell<Evaluator> = const { OnceCell::new() };
}

fn with_evaluator<R>(f: impl FnOnce(&Evaluator) -> R) -> R {
    EVALUATOR.with(|cell| {
        f(cell.get_or_init(|| Evaluator::new(&kb::builtin()).expect("built-in rules load")))
    })
}

/// One fact document must give one result per rule, or one error: never both, never neither.
fn one_outcome(name: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let report = with_evaluator(|ev| ev.report(name, bytes));
    match (&report.results, &report.error) {
        (Some(results), None) => {
            prop_assert_eq!(results.len(), with_evaluator(|ev| ev.rules().len()))
        }
        (None, Some(error)) => prop_assert!(error.starts_with(name), "{}", error),
        other => prop_assert!(false, "{:?}", other),
    }
    Ok(())
}

/// Ways to damage a document: drop bytes, insert tokens that matter to YAML or JSON, flip a byte.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Flip(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop::sample::select(vec![
        "[",
        "]",
        "{",
        "}",
        ":",
        ",",
        "\"",
        "'",
        "- ",
        "\n",
        "  ",
        "*a",
        "&a ",
        "!!binary ",
        "~",
        "null",
        "#",
        "\\",
        "\t",
        "%",
        "|\n",
        ">-\n",
        "? ",
        "1e999",
        "-0",
        "true",
        "\u{feff}",
        "é",
        "\u{0}",
        // Block nesting, duplicate keys.
        "- - - - - - - - ",
        "\n        - ",
        "\nhost: twice\n",
        "\"host\": \"twice\", ",
    ]);
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), prop::collection::vec(token, 1..4))
            .prop_map(|(at, t)| Mutation::Insert(at, t.concat())),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Insert(at, text) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, text.bytes());
            }
            Mutation::Flip(at, b) => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = *b;
                }
            }
        }
    }
    bytes
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_give_one_outcome(bytes in prop::collection::vec(any::<u8>(), 0..600), json in any::<bool>()) {
        one_outcome(if json { "random.json" } else { "random.yaml" }, bytes)?;
    }

    #[test]
    fn random_text_give_one_outcome(text in "[ -~\n]{0,400}", json in any::<bool>()) {
        one_outcome(if json { "random.json" } else { "random.yaml" }, text.into_bytes())?;
    }

    #[test]
    fn mutated_fact_files_give_one_outcome(which in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let fixtures = fixtures();
        let (name, bytes) = &fixtures[which.index(fixtures.len())];
        one_outcome(name, mutate(bytes.clone(), &mutations))?;
    }

    #[test]
    fn block_nesting_of_any_shape_gives_one_outcome(
        lines in prop::collection::vec((0..40usize, 0..40usize, "[a-z]{0,3}"), 1..120),
    ) {
        // Indentation and `- ` markers at random: deep block nesting must be refused, not recursed.
        let mut text = String::from("host: deep\nx:\n");
        for (indent, markers, tail) in lines {
            text.push_str(&format!("{}{}{tail}\n", " ".repeat(indent), "- ".repeat(markers)));
        }
        one_outcome("deep.yaml", text.into_bytes())?;
    }

    #[test]
    fn a_byte_order_mark_changes_nothing(which in any::<prop::sample::Index>()) {
        let fixtures = fixtures();
        let (name, bytes) = &fixtures[which.index(fixtures.len())];
        let plain = with_evaluator(|ev| ev.report(name, bytes.clone()));
        let marked = with_evaluator(|ev| ev.report(name, [b"\xef\xbb\xbf".as_slice(), bytes].concat()));
        prop_assert_eq!(render::ndjson(&plain), render::ndjson(&marked));
    }

    #[test]
    fn a_key_given_twice_is_refused_in_json(key in prop::sample::select(vec!["host", "os", "env", "files", "registry", "events", "extra"])) {
        let value = match key { "host" => "\"h\"", "os" | "env" | "registry" => "{}", "extra" => "1", _ => "[]" };
        let doc = format!("{{\"host\": \"h\", \"{key}\": {value}, \"{key}\": {value}}}");
        let report = with_evaluator(|ev| ev.report("dup.json", doc.into_bytes()));
        let error = report.error.unwrap_or_default();
        prop_assert!(error.contains(&format!("duplicate key `{key}`")), "{}", error);
    }

    #[test]
    fn mutated_rule_files_load_or_say_why(mutations in prop::collection::vec(mutation(), 1..6)) {
        let original = kb::builtin().remove(0);
        let file = RuleFile { name: original.name.clone(), bytes: mutate(original.bytes, &mutations) };
        match Evaluator::new(std::slice::from_ref(&file)) {
            Ok(ev) => {
                // A rule that still loads still evaluates every host to one outcome.
                prop_assert_eq!(ev.rules().len(), 1);
                for (name, bytes) in fixtures().into_iter().take(4) {
                    let report = ev.report(&name, bytes);
                    prop_assert_eq!(report.results.map(|r| r.len()), Some(1));
                }
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    prop_assert!(p.file == original.name, "{}", p);
                }
            }
        }
    }

    /// Small batches make runs longer than the window of batches in flight, so threads wait
    /// for the output; batch 1 is how a live stream runs.
    #[test]
    fn a_fleet_gives_one_output_per_input_in_order(
        docs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..300),
        jobs in 1..5usize,
        batch in prop_oneof![Just(fleet::BATCH), 1..4usize],
    ) {
        let rules = kb::builtin();
        let ev = Evaluator::new(&rules).unwrap();
        let n = docs.len();
        let inputs = docs.into_iter().enumerate().map(|(i, bytes)| Document {
            source: format!("doc{i}").into(),
            line: Some(i + 1),
            bytes: if i % 7 == 3 { Err("unreadable".into()) } else { Ok(bytes.into()) },
        });
        let mut seen = Vec::new();
        let render = |r: &kbdiag::evaluate::diagnosis::Report| r.file.clone();
        let plan = fleet::Plan { jobs, batch };
        fleet::run(&rules, &ev, inputs, plan, &render, &mut |e| {
            seen.push(e);
            Ok(())
        }).unwrap();
        let expected: Vec<String> = (0..n).map(|i| format!("doc{i}")).collect();
        prop_assert_eq!(seen, expected);
    }
}
