//! Checks a located YAML tree against a JSON Schema generated from our types, reporting every
//! problem with its place: unknown keys (with "did you mean"), missing keys, wrong types.
//!
//! Only the parts of JSON Schema that `schemars` emits for our types are understood: `$ref`,
//! `type`, `properties`, `required`, `additionalProperties: false`, `items`, `minItems`,
//! `anyOf` and `oneOf` (as alternatives by type, or as "exactly one of these keys").

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::input::source::Location;
use crate::rules::yaml_tree::{self, Node, ScalarKind};

/// One problem in a document, at its place when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub message: String,
    pub at: Option<Location>,
}

impl Issue {
    pub fn new(message: String, at: Option<Location>) -> Issue {
        Issue { message, at }
    }
}

/// The located tree of a YAML document, or its syntax error.
pub fn parse_tree(text: &str) -> Result<Node, Issue> {
    yaml_tree::parse(text).map_err(|e| {
        let hint = crate::input::source::tab_hint(text, e.at).unwrap_or_default();
        Issue::new(
            format!("YAML syntax error: {}{hint}", e.message),
            Some(e.at),
        )
    })
}

/// The typed value of the document `text` whose `tree` matches `schema`; otherwise every issue,
/// those of the schema check and the caller's own (`more`) together.
pub fn typed<T: DeserializeOwned>(
    text: &str,
    tree: &Node,
    schema: &Value,
    more: Vec<Issue>,
) -> Result<T, Vec<Issue>> {
    let mut issues = check(tree, schema);
    issues.extend(more);
    if !issues.is_empty() {
        return Err(issues);
    }
    // The schema check passed, so this should too; if not, its error is still located.
    serde_yaml::from_str(text).map_err(|e| {
        let at = e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        vec![Issue::new(crate::facts::yaml_message(&e), at)]
    })
}

/// Every way `node` does not match `schema`.
pub fn check(node: &Node, schema: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    Checker { root: schema }.node(node, schema, "", &mut issues);
    issues
}

struct Checker<'a> {
    root: &'a Value,
}

impl<'a> Checker<'a> {
    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        // References nest at most a few levels; the bound guards a malformed schema.
        for _ in 0..16 {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let name = r.trim_start_matches("#/$defs/");
                    schema = &self.root["$defs"][name];
                }
                None => break,
            }
        }
        schema
    }

    fn node(&self, node: &Node, schema: &'a Value, path: &str, issues: &mut Vec<Issue>) {
        let schema = self.resolve(schema);
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let fitting: Vec<&Value> = branches
                .iter()
                .map(|b| self.resolve(b))
                .filter(|b| type_fits(node, b))
                .collect();
            match fitting.first() {
                Some(branch) => self.node(node, branch, path, issues),
                None => issues.push(Issue {
                    message: format!(
                        "{}expected {}, found {}",
                        at_path(path),
                        expected(self, branches),
                        found(node)
                    ),
                    at: Some(node.at()),
                }),
            }
            return;
        }
        if !type_fits(node, schema) {
            issues.push(Issue {
                message: format!(
                    "{}expected {}, found {}",
                    at_path(path),
                    describe_type(schema),
                    found(node)
                ),
                at: Some(node.at()),
            });
            return;
        }
        match node {
            Node::Map(entries, at) => self.map(entries, *at, schema, path, issues),
            Node::Seq(items, at) => {
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                    if (items.len() as u64) < min {
                        issues.push(Issue {
                            message: format!(
                                "{}needs at least {min} item{}",
                                at_path(path),
                                if min == 1 { "" } else { "s" }
                            ),
                            at: Some(*at),
                        });
                    }
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.node(item, item_schema, &format!("{path}[{i}]"), issues);
                    }
                }
            }
            Node::Scalar { .. } | Node::Alias(_) => {}
        }
    }

    fn map(
        &self,
        entries: &[(Node, Node)],
        at: Location,
        schema: &'a Value,
        path: &str,
        issues: &mut Vec<Issue>,
    ) {
        let empty = serde_json::Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (key, value) in entries {
            let name = key.as_str().unwrap_or_default();
            match properties.get(name) {
                Some(property) => self.node(value, property, &join(path, name), issues),
                None if closed => {
                    let mut message = format!("unknown field `{}`", join(path, name));
                    // Sorted: the schema's own order depends on serde_json's `preserve_order`,
                    // which a dependency (evtx) turns on.
                    let mut known: Vec<&str> = properties.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    if let Some(close) = did_you_mean(name, known.iter().copied()) {
                        message.push_str(&format!(", did you mean `{close}`?"));
                    } else {
                        message.push_str(&format!("; expected one of {}", known.join(", ")));
                    }
                    issues.push(Issue {
                        message,
                        at: Some(key.at()),
                    });
                }
                None => {}
            }
        }
        let has = |k: &str| entries.iter().any(|(key, _)| key.as_str() == Some(k));
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = required.as_str().unwrap_or_default();
            if !has(name) {
                issues.push(Issue {
                    message: format!("missing field `{}`", join(path, name)),
                    at: Some(at),
                });
            }
        }
        // `oneOf` of `required` lists: exactly one of these keys.
        if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
            let keys: Vec<&str> = choices
                .iter()
                .filter_map(|c| c.get("required")?.get(0)?.as_str())
                .collect();
            let present = keys.iter().filter(|k| has(k)).count();
            if present != 1 {
                let list: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
                issues.push(Issue {
                    message: format!(
                        "{}a condition has exactly one of {}; this one has {}",
                        at_path(path),
                        list.join(", "),
                        if present == 0 {
                            "none".to_owned()
                        } else {
                            present.to_string()
                        }
                    ),
                    at: Some(at),
                });
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn type_fits(node: &Node, schema: &Value) -> bool {
    let types = types(schema);
    if types.is_empty() {
        return true;
    }
    types.iter().any(|t| match (*t, node) {
        ("object", Node::Map(..)) | ("array", Node::Seq(..)) => true,
        (_, Node::Alias(_)) => true,
        (t, n) => matches!(
            (t, n.scalar_kind()),
            ("string", Some(ScalarKind::String))
                | ("integer", Some(ScalarKind::Int))
                | ("number", Some(ScalarKind::Int | ScalarKind::Float))
                | ("boolean", Some(ScalarKind::Bool))
                | ("null", Some(ScalarKind::Null))
        ),
    })
}

fn describe_type(schema: &Value) -> String {
    let names: Vec<&str> = types(schema)
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "object" => "a mapping",
            "array" => "a list",
            "string" => "text",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "true or false",
            other => other,
        })
        .collect();
    names.join(" or ")
}

fn expected(checker: &Checker, branches: &[Value]) -> String {
    let names: Vec<String> = branches
        .iter()
        .map(|b| describe_type(checker.resolve(b)))
        .filter(|d| !d.is_empty())
        .collect();
    names.join(" or ")
}

fn found(node: &Node) -> &'static str {
    match node {
        Node::Map(..) => "a mapping",
        Node::Seq(..) => "a list",
        Node::Alias(_) => "an alias",
        Node::Scalar { .. } => match node.scalar_kind() {
            Some(ScalarKind::Null) => "nothing (null)",
            Some(ScalarKind::Bool) => "a boolean",
            Some(ScalarKind::Int) => "an integer",
            Some(ScalarKind::Float) => "a number",
            _ => "text",
        },
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbours as one edit (`titel` is one from `title`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::schema;
    use crate::rules::yaml_tree;

    fn issues(text: &str) -> Vec<String> {
        let tree = yaml_tree::parse(text).unwrap();
        check(&tree, &schema::rule())
            .into_iter()
            .map(|i| format!("{}: {}", i.at.unwrap(), i.message))
            .collect()
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text = "id: KB1\ntitel: t\napplies_to: {when: 'true', prodcts: []}\ncause:\n  text: [c]\n  when: {expr: a, all: [b]}\nsymptoms:\n  - {id: s, text: t, when: {}}\n";
        assert_eq!(
            issues(text),
            [
                "2:1: unknown field `titel`, did you mean `title`?",
                "3:28: unknown field `applies_to.prodcts`, did you mean `products`?",
                "5:9: cause.text: expected text, found a list",
                "6:9: cause.when: a condition has exactly one of `expr`, `all`, `any`, `not`; this one has 2",
                "8:28: symptoms[0].when: a condition has exactly one of `expr`, `all`, `any`, `not`; this one has none",
                "1:1: missing field `title`",
            ]
        );
    }

    #[test]
    fn typos_far_from_any_field_list_the_fields() {
        let text =
            "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause: {text: c, when: x}\nzzz: 1\n";
        let found = issues(text);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "5:1: unknown field `zzz`; expected one of aliases, alternatives, applies_to"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn did_you_mean_needs_a_close_match() {
        let fields = ["symptoms", "cause", "status"];
        assert_eq!(
            did_you_mean("sypmtoms", fields.into_iter()),
            Some("symptoms")
        );
        assert_eq!(did_you_mean("cuase", fields.into_iter()), Some("cause"));
        assert_eq!(did_you_mean("resolution", fields.into_iter()), None);
    }
}
