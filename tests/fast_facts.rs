//! The fast JSON fact reader against serde_json's (issue 9): whenever the fast reader answers, the
//! full reader gives the same facts — the same values, and the same error for a list a rule
//! reads. Run on the generated fleet, every JSON fixture, and thousands of mutations of them.

#[path = "../benches/support/fleet_gen.rs"]
mod fleet_gen;
#[path = "../benches/support/kb_fleet.rs"]
mod kb_fleet;

use kbdiag::facts::{self, fast};

/// Checks one document; says whether the fast reader answered.
fn agree(text: &str) -> bool {
    let Some(quick) = fast::read(text) else {
        return false;
    };
    match facts::read_json_full(text) {
        Ok(full) => assert_eq!(
            quick.describe_all(),
            full.describe_all(),
            "the readers disagree on {text:?}"
        ),
        Err(e) => panic!("the fast reader accepted what serde_json refuses ({e}): {text:?}"),
    }
    true
}

fn corpus() -> Vec<String> {
    let mut docs = fleet_gen::ndjson(60, 6, 8);
    // The knowledge base's hosts: registry values of every plain kind, `null` among them.
    docs.extend(kb_fleet::ndjson(30));
    let root = env!("CARGO_MANIFEST_DIR");
    for dir in [
        "examples/hosts",
        "tests/fixtures/hosts",
        "tests/fixtures/bad",
        "tests/fixtures/synthetic",
    ] {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.to_string_lossy().to_string();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if name.ends_with(".json") {
                docs.push(text);
            } else if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
                docs.extend(text.lines().map(str::to_owned));
            } else if name.ends_with(".yaml") {
                // The YAML hosts, written as JSON: more shapes of facts.
                if let Ok(value) = serde_yaml::from_str::<serde_json::Value>(&text) {
                    docs.push(value.to_string());
                }
            }
        }
    }
    docs
}

#[test]
fn the_fast_reader_takes_the_usual_documents_and_agrees() {
    let docs = corpus();
    let fast = docs.iter().filter(|d| agree(d)).count();
    // Not a vacuous test: the usual document takes the fast path.
    assert!(fast * 10 >= docs.len() * 9, "{fast} of {}", docs.len());
}

/// Values a collector might write, and JSON's corners: each is put in place of values of the
/// documents.
const VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "7",
    "-7",
    "01",
    "1.0",
    "1e3",
    "1E+3",
    "-1.5e-2",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "123456789012345678",
    "1234567890123456789",
    "\"\"",
    "\"a\"",
    "\"\\u00e9\"",
    "\"\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"\\u0000\"",
    "\"\\/\\b\\f\\n\\r\\t\"",
    "\"\\x\"",
    "\"a\u{1}b\"",
    "\"é\"",
    "[]",
    "{}",
    "[1,]",
    "[null]",
    "[\"a\",1,true]",
    "{\"a\":1}",
    "{\"a\":1,\"a\":2}",
    "[[[[[[[[]]]]]]]]",
    "{\"path\":\"p\"}",
    "{\"path\":\"p\",\"path\":\"q\"}",
    "{\"path\":\"p\",\"size\":-1}",
    "{\"path\":\"p\",\"cipher_bits\":57}",
    "{\"path\":\"p\",\"modified\":\"1999-11-18T12:04:00+01:00\"}",
    "{\"path\":\"p\",\"modified\":\"1999-02-30T00:00:00Z\"}",
    "{\"path\":\"p\",\"extra\":[1,{\"b\":[]}]}",
    "{\"id\":4294967295,\"type\":\"Error\",\"strings\":[\"a\",null]}",
    "{\"source\":1.5}",
    "\"1999-11-18T12:04:00Z\"",
    " [ ] ",
    "[\"a\" \"b\"]",
    "{\"a\" 1}",
    "tru",
    "nul",
    "\"\\u12\"",
];

/// Deterministic pseudo-random numbers (no dependency, the same cases on every run).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One mutation of `doc`: a value swapped for one of [`VALUES`], a byte removed or repeated, a
/// character inserted, or the text cut short.
fn mutate(doc: &str, rng: &mut Rng) -> String {
    let cut = |at: usize| {
        (0..=at)
            .rev()
            .find(|&i| doc.is_char_boundary(i))
            .unwrap_or(0)
    };
    let at = cut(rng.below(doc.len().max(1)));
    let (head, tail) = doc.split_at(at);
    match rng.below(6) {
        0 | 1 => {
            // After a colon or comma or bracket, replace what follows up to the next delimiter.
            let Some(start) = head.rfind([':', ',', '[']) else {
                return doc.to_owned();
            };
            let rest = &doc[start + 1..];
            let end = rest.find([',', '}', ']']).unwrap_or(rest.len());
            let value = VALUES[rng.below(VALUES.len())];
            format!("{}{value}{}", &doc[..=start], &rest[end..])
        }
        2 => format!("{head}{}", tail.get(1..).unwrap_or("")),
        3 => {
            let c = [
                "\"", "\\", ",", "{", "}", "[", "]", ":", " ", "\n", "\u{7}", "é", "0", "-",
            ][rng.below(14)];
            format!("{head}{c}{tail}")
        }
        4 => format!("{head}{head}{tail}")
            .chars()
            .take(doc.len() + 40)
            .collect(),
        _ => head.to_owned(),
    }
}

#[test]
fn mutated_documents_never_make_the_readers_disagree() {
    let docs = corpus();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut tried, mut fast) = (0, 0);
    for doc in &docs {
        for _ in 0..150 {
            let mut text = mutate(doc, &mut rng);
            if rng.below(3) == 0 {
                text = mutate(&text, &mut rng);
            }
            tried += 1;
            fast += usize::from(agree(&text));
        }
    }
    // Both kinds are exercised: mutations the fast reader takes, and ones it leaves.
    assert!(fast > tried / 10 && fast < tried, "{fast} of {tried}");
}

#[test]
fn errors_and_unusual_documents_are_left_to_serde_json() {
    for text in [
        r#"{"host": "a", "host": "b"}"#,
        r#"{"host": "a", "extra": {"deep": [1]}}"#,
        r#"{"host": "a", "files": "p"}"#,
        r#"{"host": "a", "os": {"version": 4.0}}"#,
        r#"{"host": 1.5}"#,
        r#"{"host": "a"} x"#,
        "{\"host\": \"a\\ud800\"}",
        r#"{"host": "a", "env": {"Path": "x", "PATH": "y"}}"#,
        // The Kelvin sign lowercases to an ASCII `k`: the same name as `key`.
        "{\"host\": \"a\", \"env\": {\"key\": \"x\", \"\u{212a}EY\": \"y\"}}",
        "{\"host\": \"a\", \"env\": {\"\u{212a}EY\": \"x\", \"key\": \"y\"}}",
        r#"{"host": "a", "env": {"Path": null}}"#,
        r#"{"host": "a", "os": {"cipher_bits": 57}}"#,
        r#"{"host": "a", "os": {"name": "NT", "name": "NT"}}"#,
        r#"{"host": "a", "os": {"build": "1381", "extra": [1, {"x": null}]}}"#,
    ] {
        assert!(fast::read(text).is_none(), "the fast reader took {text}");
    }
    // A list entry of the wrong type: the fast reader keeps the list raw, and its first read
    // gives serde_json's error, path and all.
    for (text, error) in [
        (
            r#"{"host": "a", "files": [{"path": "p", "size": "x"}]}"#,
            "files[0].size: invalid type: the text \"x\", expected a whole number",
        ),
        (
            r#"{"host": "a", "files": [{"path": "p", "size": 1.5}]}"#,
            "files[0].size: invalid type: the number `1.5`, expected a whole number",
        ),
    ] {
        let quick = fast::read(text).expect("the list is kept raw");
        assert_eq!(quick.files.get().unwrap_err(), error);
        assert!(agree(text));
    }
}
