//! The rule model: one support article as data (format documented in `docs/rules.md`).

use std::fmt;
use std::sync::OnceLock;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::facts::Text;
use crate::rules::validate::{self, Issue};
use crate::rules::yaml_tree::{self, Node};

/// One knowledge-base article: when it applies, what is seen, what causes it, what to do.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The article's id, e.g. `KB322051`.
    pub id: String,
    /// Other names of the article, e.g. `Q322051`.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub title: String,
    pub revision: Option<Text>,
    pub last_reviewed: Option<Text>,
    pub applies_to: AppliesTo,
    #[serde(default)]
    pub symptoms: Vec<Symptom>,
    pub cause: Cause,
    #[serde(default)]
    pub prerequisites: Vec<Prerequisite>,
    pub resolution: Option<Resolution>,
    pub workaround: Option<Workaround>,
    /// The article's status line, e.g. "Microsoft has confirmed that this is a problem…".
    pub status: Option<String>,
    #[serde(default)]
    pub related: Vec<Related>,
    /// What installs the article's fix: its hotfix ids, the service pack that carries it, and
    /// (for a rollup) the fixes it includes.
    pub fix: Option<Fix>,
    /// True when the host has the article's fix (`fix_installed()`, `fixed_file(…)`).
    pub fixed: Option<Condition>,
    /// Alternatives to the resolution beyond `workaround`, each for the hosts its `when` names.
    #[serde(default)]
    pub alternatives: Vec<NamedAlternative>,
}

/// What installs an article's fix, for `fix_installed()` and for the rules that a rollup covers.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// The hotfix ids that install the fix; by default the rule's id and aliases.
    #[serde(default)]
    pub hotfixes: Vec<String>,
    /// The service pack the fix first shipped in, e.g. `"6"`: a host at it or later has the fix.
    pub service_pack: Option<Text>,
    /// For a rollup or service pack: the fixes it includes, as its article lists them.
    #[serde(default)]
    pub includes: Vec<String>,
}

/// A further alternative to the resolution.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedAlternative {
    pub id: String,
    /// Which hosts should take it, e.g. "the host cannot be restarted now".
    pub when: String,
    pub text: Option<String>,
    /// Steps; `%VAR%` is replaced by the host's environment variable.
    #[serde(default)]
    pub steps: Vec<String>,
}

/// What the cause condition can show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Shows {
    /// The cause itself: a host where it holds and the fix is missing is affected.
    #[default]
    Cause,
    /// Only the trigger the article names: without an observed symptom, a host where it holds
    /// and the fix is missing is exposed, not affected.
    Trigger,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// The products the article lists ("Applies to").
    #[serde(default)]
    pub products: Vec<String>,
    /// True when the host is one the article is about; hosts for which it is false are
    /// `not_applicable`.
    pub when: Condition,
    /// True when the host is one of `products` exactly. Hosts that pass `when` but not this are
    /// still evaluated, and the report says they are outside the listed products.
    pub products_when: Option<Condition>,
    /// Why hosts outside the listed products are evaluated all the same, shown with that note.
    pub products_note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Symptom {
    pub id: String,
    pub text: String,
    /// How to observe the symptom in facts; absent for symptoms only a person can report.
    pub when: Option<Condition>,
    /// The question that finds out whether a person saw it, for symptoms no fact shows.
    pub ask: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub text: String,
    pub when: Condition,
    /// Whether `when` shows the cause itself (the default) or only its trigger.
    #[serde(default)]
    pub shows: Shows,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prerequisite {
    pub id: String,
    pub text: String,
    /// True when the prerequisite is installed.
    pub when: Condition,
    /// What to do when it is not, e.g. "Install Windows NT 4.0 Service Pack 6a."
    pub install: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// What kind of fix: `hotfix` (the default), `update`, `setting`, `upgrade` or `none`. It is
    /// the action an affected host gets.
    #[serde(default)]
    pub kind: ResolutionKind,
    /// One line: what the fix is and does.
    pub summary: String,
    /// For `kind: setting`: the registry value to set.
    pub setting: Option<Setting>,
    /// For `kind: upgrade`: what to upgrade to, e.g. "Windows Server 2008 R2 SP1 or later".
    pub to: Option<String>,
    /// A warning that goes with the fix, e.g. "Apply it only to systems that have this problem."
    pub caveat: Option<String>,
    /// How to obtain the fix: a step.
    pub obtain: Option<String>,
    /// How to apply it once obtained: the last step.
    pub install: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
    /// The resolution's ordered steps, after `obtain` and `install` when those are given too.
    #[serde(default)]
    pub steps: Vec<String>,
    /// Links, each with its own label.
    #[serde(default)]
    pub links: Vec<Link>,
    /// The fix's file table; `file_bits()` also uses it to identify files.
    #[serde(default)]
    pub files: Vec<FileRow>,
    /// What the table means for the host, e.g. which builds it should end up with.
    pub files_note: Option<String>,
    /// `false` when the article does not say its table's times are UTC (the default says they
    /// are: the report labels the table so).
    pub files_utc: Option<bool>,
}

/// What kind of fix an article gives; each is its own action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResolutionKind {
    /// A hotfix (`install-hotfix`).
    #[default]
    Hotfix,
    /// A released update, e.g. a security update (`install-update`).
    Update,
    /// A change of setting (`change-setting`), with `setting`.
    Setting,
    /// An upgrade to another version (`upgrade`), with `to`.
    Upgrade,
    /// Nothing to install or change: the article explains (`none`).
    None,
}

/// A registry value to set.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    /// The value's full path, e.g. `HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters\SMB1`.
    pub path: String,
    /// The data to set, e.g. `0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Text>,
    /// For a REG_MULTI_SZ: its entries, in order (instead of `value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Its type, e.g. `REG_DWORD`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One row of an article's file-information table.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRow {
    /// ISO date, `YYYY-MM-DD` (UTC).
    pub date: Text,
    pub time: Option<Text>,
    /// The file version, when the table has a version column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Text>,
    /// Bytes, when the table gives them exactly.
    pub size: Option<i64>,
    pub file: String,
    /// `x86` or `Alpha`.
    pub platform: Option<String>,
    /// The edition the row is for, when the table has rows for one (`Terminal Server`); rows
    /// without one are for the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// Encryption strength of this build, in bits, when the row is for one strength.
    pub bits: Option<i64>,
    /// Where this build comes from, e.g. `SRP` or `SP6a`.
    pub package: Option<String>,
}

/// A link with its own label.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workaround {
    /// Which hosts should take the workaround rather than the resolution.
    pub when: String,
    /// Condition: the workaround comes first on this host (it repairs what the fix only keeps
    /// from happening again); the fix's steps follow it.
    pub first: Option<Condition>,
    pub text: Option<String>,
    /// Steps; `%VAR%` is replaced by the host's environment variable.
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Related {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When a reader of this article needs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A condition: a Rhai expression, or `all`/`any`/`not` of conditions, evaluated in three-valued
/// logic (true, false, unknown).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    Expr {
        label: Option<String>,
        expr: String,
    },
    All {
        label: Option<String>,
        all: Vec<Condition>,
    },
    Any {
        label: Option<String>,
        any: Vec<Condition>,
    },
    Not {
        label: Option<String>,
        not: Box<Condition>,
    },
}

impl Condition {
    pub fn label(&self) -> Option<&str> {
        match self {
            Condition::Expr { label, .. }
            | Condition::All { label, .. }
            | Condition::Any { label, .. }
            | Condition::Not { label, .. } => label.as_deref(),
        }
    }
}

impl JsonSchema for Condition {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Condition".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<Condition>();
        json_schema!({
            "description": "A Rhai expression giving true or false, or a map with exactly one of `expr`, `all`, `any`, `not`. Three-valued: a condition that reads a missing fact is unknown.",
            "anyOf": [
                {"type": "string", "description": "A Rhai expression"},
                {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string", "description": "A name for the condition, shown in explanations and errors"},
                        "expr": {"type": "string", "description": "A Rhai expression"},
                        "all": {"type": "array", "items": item, "minItems": 1, "description": "True when every part is true; false as soon as one is false"},
                        "any": {"type": "array", "items": item, "minItems": 1, "description": "True as soon as one part is true; false when all are false"},
                        "not": item
                    },
                    "additionalProperties": false,
                    "oneOf": [
                        {"required": ["expr"]},
                        {"required": ["all"]},
                        {"required": ["any"]},
                        {"required": ["not"]}
                    ]
                }
            ]
        })
    }
}

impl Condition {
    /// The condition at a node of a rule file's tree. Where it is malformed (which the schema
    /// check reports), what can be read of it.
    pub fn from_yaml(node: &Node) -> Option<Condition> {
        let text = |n: &Node| match n {
            Node::Scalar { value, .. }
                if n.scalar_kind() == Some(yaml_tree::ScalarKind::String) =>
            {
                Some(value.clone())
            }
            _ => None,
        };
        if let Some(expr) = text(node) {
            return Some(Condition::Expr { label: None, expr });
        }
        let label = node.get("label").and_then(text);
        // Lenient: malformed parts are skipped, so the rest can still be compiled and checked.
        let list = |key: &str| -> Option<Vec<Condition>> {
            match node.get(key)? {
                Node::Seq(items, _) => {
                    let parts: Vec<Condition> =
                        items.iter().filter_map(Condition::from_yaml).collect();
                    (!parts.is_empty()).then_some(parts)
                }
                _ => None,
            }
        };
        if let Some(expr) = node.get("expr") {
            return Some(Condition::Expr {
                label,
                expr: text(expr)?,
            });
        }
        if let Some(all) = list("all") {
            return Some(Condition::All { label, all });
        }
        if let Some(any) = list("any") {
            return Some(Condition::Any { label, any });
        }
        let not = Box::new(Condition::from_yaml(node.get("not")?)?);
        Some(Condition::Not { label, not })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionMap {
    label: Option<String>,
    expr: Option<String>,
    all: Option<Vec<Condition>>,
    any: Option<Vec<Condition>>,
    not: Option<Box<Condition>>,
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Condition;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Rhai expression, or a map with one of `expr`, `all`, `any`, `not`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Condition, E> {
                Ok(Condition::Expr {
                    label: None,
                    expr: v.to_owned(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Condition, A::Error> {
                let m = ConditionMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let label = m.label;
                match (m.expr, m.all, m.any, m.not) {
                    (Some(expr), None, None, None) => Ok(Condition::Expr { label, expr }),
                    (None, Some(all), None, None) if !all.is_empty() => {
                        Ok(Condition::All { label, all })
                    }
                    (None, None, Some(any), None) if !any.is_empty() => {
                        Ok(Condition::Any { label, any })
                    }
                    (None, None, None, Some(not)) => Ok(Condition::Not { label, not }),
                    (None, Some(_), None, None) | (None, None, Some(_), None) => Err(
                        de::Error::custom("`all` and `any` need at least one condition"),
                    ),
                    _ => Err(de::Error::custom(
                        "a condition has exactly one of `expr`, `all`, `any`, `not`",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The rule format's schema, generated once.
fn schema() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(crate::rules::schema::rule)
}

/// Parses and checks one rule file's text, reporting every problem found. Returns the rule with
/// its located YAML tree, which places the rule's expressions in the file.
pub fn parse(text: &str) -> Result<(Rule, Node), Vec<Issue>> {
    let tree = validate::parse_tree(text).map_err(|e| vec![e])?;
    let rule = from_tree(text, &tree)?;
    Ok((rule, tree))
}

/// The rule in `tree` (parsed from `text`), after checking it against the rule format.
pub fn from_tree(text: &str, tree: &Node) -> Result<Rule, Vec<Issue>> {
    validate::typed(text, tree, schema(), check_ids(tree))
}

/// Problems with ids, read from the tree so they are found alongside structural ones.
pub fn check_ids(tree: &Node) -> Vec<Issue> {
    let mut problems = Vec::new();
    if let Some(id) = tree.get("id").and_then(Node::as_str) {
        if id.trim().is_empty() || id.chars().any(char::is_whitespace) {
            problems.push(Issue::new(
                format!("id {id:?} must be one word, e.g. KB322051"),
                tree.get("id").map(Node::at),
            ));
        }
    }
    for list in ["symptoms", "prerequisites"] {
        let Some(Node::Seq(items, _)) = tree.get(list) else {
            continue;
        };
        let ids: Vec<Option<&Node>> = items.iter().map(|item| item.get("id")).collect();
        for (i, id) in ids.iter().enumerate() {
            let Some(id) = id.filter(|n| n.as_str().is_some()) else {
                continue;
            };
            if ids[..i]
                .iter()
                .flatten()
                .any(|earlier| earlier.as_str() == id.as_str())
            {
                problems.push(Issue::new(
                    format!(
                        "{list}[{i}].id: `{}` is used twice",
                        id.as_str().unwrap_or_default()
                    ),
                    Some(id.at()),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::source::Location;

    const MINIMAL: &str =
        "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause: {text: c, when: 'false'}\n";

    #[test]
    fn minimal_rule_parses_with_shorthand_conditions() {
        let (rule, _) = parse(MINIMAL).unwrap();
        assert!(matches!(rule.cause.when, Condition::Expr { ref expr, .. } if expr == "false"));
    }

    #[test]
    fn unknown_key_is_located() {
        let e = parse(&format!("{MINIMAL}sypmtoms: []\n")).unwrap_err();
        assert_eq!(
            e[0].message,
            "unknown field `sypmtoms`, did you mean `symptoms`?"
        );
        assert_eq!(e[0].at.map(|l| l.line), Some(5));
    }

    #[test]
    fn condition_with_two_kinds_is_refused() {
        let text = MINIMAL.replace("when: 'false'", "when: {expr: 'true', all: ['true']}");
        let e = parse(&text).unwrap_err();
        assert!(e[0].message.contains("exactly one of"), "{e:?}");
        let text = MINIMAL.replace("when: 'false'", "when: {any: []}");
        let e = parse(&text).unwrap_err();
        assert_eq!(e[0].message, "cause.when.any: needs at least 1 item");
    }

    #[test]
    fn duplicate_symptom_ids_are_refused() {
        let text = format!("{MINIMAL}symptoms: [{{id: s1, text: a}}, {{id: s1, text: b}}]\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e[0].message, "symptoms[1].id: `s1` is used twice");
        assert_eq!(
            e[0].at,
            Some(Location {
                line: 5,
                column: 36
            })
        );
    }
}
