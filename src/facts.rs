//! Fact files: what was collected from one host (format 1, documented in `docs/facts.md`).
//!
//! Facts are deserialized straight into typed structs, so a key of the wrong type is reported with
//! its path, and a rule reads only what it asks for: no generic tree is built.

use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::source::{self, Location, TextError};

/// Everything known about one host. Every key but `host` may be absent, and an absent key is
/// unknown, never empty.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Facts {
    pub host: Text,
    pub collected: Option<Text>,
    pub os: Option<Os>,
    /// Environment variables; names compare case-insensitively.
    pub env: Option<BTreeMap<String, Text>>,
    /// When present, the complete list of installed hotfixes.
    pub hotfixes: Option<Vec<Text>>,
    pub software: Option<Vec<Software>>,
    pub files: Option<Vec<FileEntry>>,
    /// Registry values by full path. A `null` value means the collector looked and it is absent.
    pub registry: Option<BTreeMap<String, Option<Scalar>>>,
    pub events: Option<Vec<Event>>,
    /// Error text a person saw.
    pub reported_errors: Option<Vec<Text>>,
}

impl Facts {
    /// An environment variable, its name compared case-insensitively.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.as_ref().and_then(|env| {
            env.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Os {
    pub name: Option<Text>,
    pub edition: Option<Text>,
    /// `"4.0"` and the YAML number `4.0` both arrive as the text `4.0`.
    pub version: Option<Text>,
    pub build: Option<i64>,
    /// `6a`, or `6` (a number in YAML) which SP6a also reports.
    pub service_pack: Option<Text>,
    pub cipher_bits: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Software {
    pub name: Option<Text>,
    pub version: Option<Text>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct FileEntry {
    pub path: Text,
    pub size: Option<i64>,
    pub modified: Option<Text>,
    pub version: Option<Text>,
    pub cipher_bits: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Event {
    pub log: Option<Text>,
    pub source: Option<Text>,
    pub id: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    pub category: Option<Text>,
    pub time: Option<Text>,
    pub message: Option<Text>,
}

/// A text fact that collectors may also write as a number or boolean (`service_pack: 6`,
/// `version: 4.0`); it is kept as text, with floats written the way YAML shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A scalar written as text, a number or a boolean, for the schemas.
fn scalar_schema(description: &str) -> Schema {
    json_schema!({"type": ["string", "number", "boolean"], "description": description})
}

impl JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        scalar_schema("Text; a number or boolean is read as its text")
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        scalar_schema("A registry value")
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                // `{:?}` keeps the `.0` of 4.0, which `{}` drops.
                Ok(Text(format!("{v:?}")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A registry value: a number, a string or a boolean.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(v) => write!(f, "{v}"),
            Scalar::Float(v) => write!(f, "{v:?}"),
            Scalar::Str(v) => f.write_str(v),
            Scalar::Bool(v) => write!(f, "{v}"),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// The syntax a fact document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
}

impl Syntax {
    /// JSON for a `.json` name; otherwise YAML, or JSON when the text starts with `{`.
    pub fn guess(name: &str, text: &str) -> Syntax {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json")
            || text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
        {
            Syntax::Json
        } else {
            Syntax::Yaml
        }
    }
}

/// Why a fact document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactsError {
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("{message}")]
    Parse {
        message: String,
        location: Option<Location>,
    },
    #[error("`host` must not be empty")]
    EmptyHost,
}

impl FactsError {
    pub fn location(&self) -> Option<Location> {
        match self {
            FactsError::Text(e) => e.location(),
            FactsError::Parse { location, .. } => *location,
            _ => None,
        }
    }
}

/// Parses one fact document from raw bytes.
pub fn parse(name: &str, bytes: Vec<u8>) -> Result<Facts, FactsError> {
    let text = source::text_from_bytes(bytes)?;
    parse_text(&text, Syntax::guess(name, &text))
}

/// Parses one fact document from text already checked by [`source::text_from_bytes`].
pub fn parse_text(text: &str, syntax: Syntax) -> Result<Facts, FactsError> {
    let facts: Facts = match syntax {
        Syntax::Yaml => serde_yaml::from_str(text).map_err(|e| FactsError::Parse {
            location: e.location().map(|l| Location {
                line: l.line(),
                column: l.column(),
            }),
            message: yaml_message(&e),
        })?,
        // Path tracking costs as much as the parse, so it runs only to explain an error.
        Syntax::Json => serde_json::from_str(text).map_err(|_| {
            let mut de = serde_json::Deserializer::from_str(text);
            let tracked: Result<Facts, _> = serde_path_to_error::deserialize(&mut de);
            match tracked {
                Err(e) => json_error(&e.path().to_string(), e.inner()),
                Ok(_) => match de.end() {
                    Err(e) => json_error(".", &e),
                    Ok(()) => json_error(
                        ".",
                        &serde_json::Error::io(std::io::Error::other(
                            "the document could not be parsed",
                        )),
                    ),
                },
            }
        })?,
    };
    if facts.host.as_str().trim().is_empty() {
        return Err(FactsError::EmptyHost);
    }
    Ok(facts)
}

fn json_error(path: &str, e: &serde_json::Error) -> FactsError {
    // Only a data error has a meaningful key path; a syntax error's path is where parsing stopped.
    let path = if e.is_data() { path } else { "." };
    let location = (e.line() > 0).then(|| Location {
        line: e.line(),
        column: e.column(),
    });
    let mut message = e.to_string();
    // serde_json appends " at line L column C"; the location is reported on its own.
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    let message = if path == "." {
        top_level_message(&message)
    } else {
        format!("{path}: {message}")
    };
    FactsError::Parse { message, location }
}

/// The message of a YAML error without its trailing " at line L column C".
pub fn yaml_message(e: &serde_yaml::Error) -> String {
    let mut message = e.to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    top_level_message(&message)
}

fn top_level_message(message: &str) -> String {
    if message.starts_with("invalid type:") && message.ends_with("expected struct Facts") {
        let found = message
            .trim_start_matches("invalid type: ")
            .trim_end_matches(", expected struct Facts");
        format!("a fact file must be a mapping with at least `host`, found {found}")
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Facts, FactsError> {
        parse("t.yaml", text.as_bytes().to_vec())
    }

    #[test]
    fn version_and_service_pack_numbers_become_text() {
        let f = yaml("host: a\nos: {version: 4.0, service_pack: 6}\n").unwrap();
        let os = f.os.unwrap();
        assert_eq!(os.version.unwrap().as_str(), "4.0");
        assert_eq!(os.service_pack.unwrap().as_str(), "6");
    }

    #[test]
    fn wrong_type_names_the_key_and_place() {
        let e = yaml("host: a\nfiles: nope\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "files: invalid type: string \"nope\", expected a sequence"
        );
        assert_eq!(e.location(), Some(Location { line: 2, column: 8 }));
        let e = parse(
            "t.json",
            br#"{"host": "a", "files": [{"path": "p", "size": "x"}]}"#.to_vec(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "files[0].size: invalid type: string \"x\", expected i64"
        );
    }

    #[test]
    fn top_level_list_and_missing_host() {
        let e = yaml("- a\n- b\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a fact file must be a mapping with at least `host`, found sequence"
        );
        assert_eq!(
            yaml("os: {}\n").unwrap_err().to_string(),
            "missing field `host`"
        );
        assert_eq!(yaml("host: ''\n").unwrap_err(), FactsError::EmptyHost);
    }

    #[test]
    fn unknown_keys_are_accepted() {
        assert!(yaml("host: a\ncollector: {version: 2}\n").is_ok());
    }

    #[test]
    fn registry_null_means_absent() {
        let f = yaml("host: a\nregistry: {'HKLM\\X': ~, 'HKLM\\Y': 1}\n").unwrap();
        let reg = f.registry.unwrap();
        assert_eq!(reg["HKLM\\X"], None);
        assert_eq!(reg["HKLM\\Y"], Some(Scalar::Int(1)));
    }
}
