//! The rule model: one support article as data (format documented in `docs/rules.md`).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::facts::Text;
use crate::source::{self, Location, TextError};

/// One knowledge-base article: when it applies, what is seen, what causes it, what to do.
#[derive(Debug, Clone, Deserialize, Serialize)]
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
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    #[serde(default)]
    pub products: Vec<String>,
    /// True when the host is one of the products.
    pub when: Condition,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Symptom {
    pub id: String,
    pub text: String,
    /// How to observe the symptom in facts; absent for symptoms only a person can report.
    pub when: Option<Condition>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub text: String,
    pub when: Condition,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Prerequisite {
    pub id: String,
    pub text: String,
    /// True when the prerequisite is installed.
    pub when: Condition,
    /// What to do when it is not, e.g. "Install Windows NT 4.0 Service Pack 6a."
    pub install: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// One line: what the fix is and does.
    pub summary: String,
    /// How to obtain the fix.
    pub obtain: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
    /// The fix's file table; `file_bits()` also uses it to identify files.
    #[serde(default)]
    pub files: Vec<FileRow>,
}

/// One row of an article's file-information table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileRow {
    /// ISO date, `YYYY-MM-DD` (UTC).
    pub date: Text,
    pub time: Option<Text>,
    pub size: i64,
    pub file: String,
    pub platform: Option<String>,
    /// Encryption strength of this build, in bits.
    pub bits: i64,
    /// Where this build comes from, e.g. `SRP` or `SP6a`.
    pub package: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workaround {
    /// Which hosts should take the workaround rather than the resolution.
    pub when: String,
    pub text: Option<String>,
    /// Steps; `%VAR%` is replaced by the host's environment variable.
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Related {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
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

/// Why a rule file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("{message}")]
    Invalid {
        message: String,
        location: Option<Location>,
    },
}

impl RuleError {
    pub fn location(&self) -> Option<Location> {
        match self {
            RuleError::Text(e) => e.location(),
            RuleError::Invalid { location, .. } => *location,
        }
    }

    fn at(message: String, location: Option<Location>) -> RuleError {
        RuleError::Invalid { message, location }
    }
}

/// Parses and checks one rule file's text.
pub fn parse(text: &str) -> Result<Rule, RuleError> {
    let rule: Rule = serde_yaml::from_str(text).map_err(|e| {
        let location = e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        RuleError::at(crate::facts::yaml_message(&e), location)
    })?;
    validate(&rule, text)?;
    Ok(rule)
}

/// Parses a rule file's bytes.
pub fn parse_bytes(bytes: Vec<u8>) -> Result<(Rule, String), RuleError> {
    let text = source::text_from_bytes(bytes)?;
    let rule = parse(&text)?;
    Ok((rule, text))
}

fn validate(rule: &Rule, text: &str) -> Result<(), RuleError> {
    let find = |needle: &str| find_in(text, needle);
    if rule.id.trim().is_empty() || rule.id.chars().any(|c| c.is_whitespace()) {
        return Err(RuleError::at(
            format!("id {:?} must be one word, e.g. KB322051", rule.id),
            find("id:"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &rule.symptoms {
        if !seen.insert(s.id.as_str()) {
            return Err(RuleError::at(
                format!("symptoms: id `{}` is used twice", s.id),
                find(&s.id),
            ));
        }
    }
    seen.clear();
    for p in &rule.prerequisites {
        if !seen.insert(p.id.as_str()) {
            return Err(RuleError::at(
                format!("prerequisites: id `{}` is used twice", p.id),
                find(&p.id),
            ));
        }
    }
    Ok(())
}

/// The location of the first occurrence of `needle` in `text`.
pub fn find_in(text: &str, needle: &str) -> Option<Location> {
    text.find(needle).map(|at| source::location_of(text, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause: {text: c, when: 'false'}\n";

    #[test]
    fn minimal_rule_parses_with_shorthand_conditions() {
        let rule = parse(MINIMAL).unwrap();
        assert!(matches!(rule.cause.when, Condition::Expr { ref expr, .. } if expr == "false"));
    }

    #[test]
    fn unknown_key_is_located() {
        let e = parse(&format!("{MINIMAL}sypmtoms: []\n")).unwrap_err();
        assert!(e.to_string().starts_with("unknown field `sypmtoms`"), "{e}");
        assert_eq!(e.location().map(|l| l.line), Some(5));
    }

    #[test]
    fn condition_with_two_kinds_is_refused() {
        let text = MINIMAL.replace("when: 'false'", "when: {expr: 'true', all: ['true']}");
        let e = parse(&text).unwrap_err();
        assert!(e.to_string().contains("exactly one of"), "{e}");
        let text = MINIMAL.replace("when: 'false'", "when: {any: []}");
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .contains("at least one")
        );
    }

    #[test]
    fn duplicate_symptom_ids_are_refused() {
        let text = format!("{MINIMAL}symptoms: [{{id: s1, text: a}}, {{id: s1, text: b}}]\n");
        assert_eq!(
            parse(&text).unwrap_err().to_string(),
            "symptoms: id `s1` is used twice"
        );
    }
}
