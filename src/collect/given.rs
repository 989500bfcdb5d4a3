//! Facts a person knows and no disk holds (`kbdiag collect --with FILE`): a file's cipher
//! strength, the errors users reported, the symptoms a help desk saw. The file is a partial fact
//! document (any key but `host`, `collected` and `collector`), checked as a fact file is; its
//! keys are merged into the collected document.
//!
//! A fact both collected and given must agree: the artifacts are what the host holds, so a
//! given value contradicting them is a mistake to show, not to hide. Maps (`os`, `env`,
//! `registry`) merge key by key, `files` entry by entry (matched by path, so a collected DLL
//! gains the given `cipher_bits`); any other list is taken whole when it was not collected.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::document::Document;
use crate::facts::values::{path_key, registry_key, utc_time};
use crate::facts::{
    self, Env, Event, FileEntry, Os, Registry, ReportedSymptom, Software, Syntax, Text,
};
use crate::input::source::{self, Location};
use crate::problem::Problem;
use crate::rules::yaml_tree::{self, Node};

/// A `--with` file, read and checked.
#[derive(Debug, Clone)]
pub struct Given {
    file: String,
    text: String,
    tree: Node,
    value: Map<String, Value>,
}

/// The keys a `--with` file may give, typed as a fact file's: a wrong type is refused where it
/// is written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Typed {
    os: Option<Os>,
    env: Option<Env>,
    hotfixes: Option<Vec<Text>>,
    software: Option<Vec<Software>>,
    files: Option<Vec<FileEntry>>,
    registry: Option<Registry>,
    events: Option<Vec<Event>>,
    event_logs: Option<Vec<Text>>,
    reported_errors: Option<Vec<Text>>,
    reported_symptoms: Option<Vec<ReportedSymptom>>,
}

/// Keys only `collect` writes.
const WRITTEN_BY_COLLECT: [(&str, &str); 3] = [
    (
        "host",
        "the host's name comes from the SYSTEM hive; give it with --host when the hive does not",
    ),
    ("collected", "give the time with --collected"),
    ("collector", "`collector` is written by kbdiag collect"),
];

/// Reads and checks a `--with` file: the located problem that refuses it otherwise.
pub fn read(path: &Path) -> Result<Given, Problem> {
    let file = path.display().to_string();
    let refuse = |at: Option<Location>, text: Option<&str>, message: String| {
        Problem::new(&file, text, at, message)
    };
    let bytes = std::fs::File::open(path)
        .and_then(source::read_limited)
        .map_err(|e| refuse(None, None, format!("cannot read it: {e}")))?;
    let (text, syntax) = facts::read_text(&file, &bytes, None)
        .map_err(|e| refuse(e.location(), None, e.to_string()))?;
    let tree = yaml_tree::parse(text).map_err(|e| refuse(Some(e.at), Some(text), e.message))?;
    let Node::Map(entries, _) = &tree else {
        return Err(refuse(
            Some(tree.at()),
            Some(text),
            "a --with file is a mapping of fact keys (os, files, reported_errors…)".into(),
        ));
    };
    for (key, _) in entries {
        if let Some((name, why)) = WRITTEN_BY_COLLECT
            .iter()
            .find(|(k, _)| key.as_str() == Some(k))
        {
            return Err(refuse(
                Some(key.at()),
                Some(text),
                format!("`{name}` cannot be given: {why}"),
            ));
        }
    }
    let typed = match syntax {
        Syntax::Yaml => serde_yaml::from_str::<Typed>(text).map_err(|e| {
            let at = e.location().map(|l| Location {
                line: l.line(),
                column: l.column(),
            });
            refuse(at, Some(text), facts::yaml_message(&e))
        }),
        Syntax::Json => serde_json::from_str::<Typed>(text).map_err(|e| {
            let at = (e.line() > 0).then(|| Location {
                line: e.line(),
                column: e.column(),
            });
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |cut| &message[..cut]);
            refuse(at, Some(text), message.to_owned())
        }),
    };
    typed?;
    let value: Value = match syntax {
        Syntax::Yaml => serde_yaml::from_str(text).map_err(|e| e.to_string()),
        Syntax::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
    .map_err(|e| refuse(None, Some(text), e))?;
    let Value::Object(value) = value else {
        return Err(refuse(None, Some(text), "not a mapping".into()));
    };
    Ok(Given {
        file,
        text: text.to_owned(),
        tree,
        value,
    })
}

impl Given {
    /// The document with the given facts merged in, or the located problem of the first fact
    /// given that contradicts one collected.
    pub fn apply(&self, doc: &Document) -> Result<Value, Problem> {
        let Ok(Value::Object(mut out)) = serde_json::to_value(doc) else {
            return Err(self.problem(None, "the collected document is not a mapping".into()));
        };
        let mut merged: Vec<String> = Vec::new();
        // What the given facts fill, so that `not_collected` no longer lists it.
        let mut filled: Vec<Filled> = Vec::new();
        for (key, given) in &self.value {
            let at = self.key_at(&[key]);
            match (key.as_str(), given) {
                ("os" | "env" | "registry", Value::Object(fields)) => {
                    let target = out
                        .entry(key.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    let Value::Object(target) = target else {
                        continue;
                    };
                    for (name, v) in fields {
                        let same_name = |k: &String| match key.as_str() {
                            "os" => k == name,
                            "env" => k.eq_ignore_ascii_case(name),
                            _ => registry_key(k) == registry_key(name),
                        };
                        let here = self.key_at(&[key, name]);
                        match target.iter().find(|(k, _)| same_name(k)) {
                            Some((k, collected)) if !same(collected, v) => {
                                return Err(self.conflict(
                                    here,
                                    &format!("{key}.{k}"),
                                    collected,
                                    v,
                                ));
                            }
                            Some(_) => {}
                            None => {
                                target.insert(name.clone(), v.clone());
                                merged.push(format!("{key}.{name}"));
                                filled.push(match key.as_str() {
                                    "registry" => Filled::Registry(registry_key(name)),
                                    _ => Filled::Fact(format!("{key}.{name}")),
                                });
                            }
                        }
                    }
                }
                ("files", Value::Array(entries)) => {
                    let target = out
                        .entry(key.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    let Value::Array(target) = target else {
                        continue;
                    };
                    for (i, entry) in entries.iter().enumerate() {
                        let Some(path) = entry.get("path").and_then(Value::as_str) else {
                            continue;
                        };
                        let wanted = path_key(path);
                        let found = target.iter_mut().find(|f| {
                            f.get("path")
                                .and_then(Value::as_str)
                                .is_some_and(|p| path_key(p) == wanted)
                        });
                        filled.push(Filled::File(wanted.clone()));
                        let Some(Value::Object(collected)) = found else {
                            target.push(entry.clone());
                            merged.push(format!("files ({path})"));
                            continue;
                        };
                        if collected.get("exists") == Some(&Value::Bool(false))
                            && entry.get("exists") != Some(&Value::Bool(false))
                        {
                            let here = self.item_at(key, i);
                            return Err(self.problem(
                                Some(here),
                                format!(
                                    "files: {path} was looked for in its folder on the volume and \
                                     is not there; a fact given about it contradicts that"
                                ),
                            ));
                        }
                        let Value::Object(fields) = entry else {
                            continue;
                        };
                        let mut added = Vec::new();
                        for (name, v) in fields.iter().filter(|(n, _)| *n != "path") {
                            match collected.get(name.as_str()) {
                                Some(c) if !same(c, v) => {
                                    let here = self.item_key_at(key, i, name);
                                    return Err(self.conflict(
                                        here,
                                        &format!("files ({path}).{name}"),
                                        c,
                                        v,
                                    ));
                                }
                                Some(_) => {}
                                None => {
                                    collected.insert(name.clone(), v.clone());
                                    added.push(name.as_str());
                                }
                            }
                        }
                        if !added.is_empty() {
                            merged.push(format!("files ({path}: {})", added.join(", ")));
                        }
                    }
                }
                (_, v) => match out.get(key) {
                    Some(collected) if !same(collected, v) => {
                        return Err(self.problem(
                            Some(at),
                            format!(
                                "`{key}` was collected from the artifacts and the list given \
                                 differs: give `{key}` only for a host where it was not collected"
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        out.insert(key.clone(), v.clone());
                        merged.push(key.clone());
                        filled.push(Filled::Fact(key.clone()));
                    }
                },
            }
        }
        if let Some(Value::Object(collector)) = out.get_mut("collector") {
            if let Some(Value::Array(not)) = collector.get_mut("not_collected") {
                not.retain(|n| {
                    let fact = n.get("fact").and_then(Value::as_str).unwrap_or_default();
                    !filled.iter().any(|f| f.fills(fact))
                });
            }
            if let Some(Value::Array(artifacts)) = collector.get_mut("artifacts") {
                artifacts.push(serde_json::json!({
                    "path": self.file,
                    "facts": format!("given by a person, not read from the artifacts: {}",
                                     if merged.is_empty() { "nothing new".to_owned() } else { merged.join(", ") }),
                }));
            }
        }
        let merged = Value::Object(out);
        // The merged document must be one `eval` reads; both halves were checked, so this only
        // guards the merge itself.
        facts::parse_text(&merged.to_string(), Syntax::Json)
            .map_err(|e| self.problem(None, format!("the merged document is refused: {e}")))?;
        Ok(merged)
    }

    fn problem(&self, at: Option<Location>, message: String) -> Problem {
        Problem::new(&self.file, Some(&self.text), at, message)
    }

    fn conflict(&self, at: Location, fact: &str, collected: &Value, given: &Value) -> Problem {
        self.problem(
            Some(at),
            format!(
                "{fact}: given {given}, but the artifacts say {collected}: a fact both collected \
                 and given must agree (remove it from this file, or check the artifacts)"
            ),
        )
    }

    /// Where `path` (keys of nested mappings) is written: the last key's place.
    fn key_at(&self, path: &[&str]) -> Location {
        let mut node = &self.tree;
        let mut at = node.at();
        for key in path {
            let Node::Map(entries, _) = node else { break };
            let Some((k, v)) = entries.iter().find(|(k, _)| k.as_str() == Some(key)) else {
                break;
            };
            at = k.at();
            node = v;
        }
        at
    }

    fn item_at(&self, key: &str, i: usize) -> Location {
        self.tree
            .get(key)
            .and_then(|l| l.item(i))
            .map_or_else(|| self.key_at(&[key]), Node::at)
    }

    fn item_key_at(&self, key: &str, i: usize, name: &str) -> Location {
        match self.tree.get(key).and_then(|l| l.item(i)) {
            Some(Node::Map(entries, at)) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(name))
                .map_or(*at, |(k, _)| k.at()),
            _ => self.item_at(key, i),
        }
    }
}

/// What a given fact fills, to match against `not_collected`'s `fact`.
enum Filled {
    /// A fact by its key (`software`, `os.edition`).
    Fact(String),
    File(String),
    Registry(String),
}

impl Filled {
    fn fills(&self, fact: &str) -> bool {
        match self {
            Filled::Fact(key) => fact.split(", ").any(|f| f == key),
            Filled::File(key) => fact
                .strip_prefix("file ")
                .is_some_and(|p| path_key(p) == *key),
            Filled::Registry(key) => fact
                .strip_prefix("registry ")
                .is_some_and(|p| registry_key(p) == *key),
        }
    }
}

/// Whether a collected and a given value say the same: text as text (`4.0` and `"4.0"`), times
/// in UTC, lists and maps part by part.
fn same(collected: &Value, given: &Value) -> bool {
    match (collected, given) {
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        (Value::Null, Value::Null) => true,
        (a, b) => match (scalar(a), scalar(b)) {
            (Some(x), Some(y)) => {
                x == y || matches!((utc_time(&x), utc_time(&y)), (Ok(p), Ok(q)) if p == q)
            }
            _ => false,
        },
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_as_a_fact_file_reads_them() {
        use serde_json::json;
        assert!(same(&json!("4.0"), &json!(4.0)));
        assert!(same(&json!(128), &json!(128)));
        assert!(!same(&json!(56), &json!(128)));
        assert!(same(
            &json!("1999-11-18T12:04:00Z"),
            &json!("1999-11-18 12:04")
        ));
        assert!(!same(&json!(["Q1"]), &json!(["Q1", "Q2"])));
    }
}
