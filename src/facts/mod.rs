//! Fact files: what was collected from one host (format 1, documented in `docs/facts.md`).
//!
//! Facts are deserialized straight into typed structs, so a key of the wrong type is reported with
//! its path, and a rule reads only what it asks for: no generic tree is built. In JSON, the lists
//! (files, events…) are checked for shape when the document is read and parsed when a rule first
//! reads them, so a host that a rule rules out early costs little more than a scan of its text.

use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use compact_str::{CompactString, ToCompactString, format_compact};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

pub mod fast;
mod lazy;
mod read;
pub mod registry;
pub mod values;

pub use lazy::Lazy;
use lazy::LazyState;
pub use read::{
    FactsError, Syntax, parse, parse_text, read_document, read_json_full, read_text, yaml_message,
};

pub use crate::facts::registry::{RegData, RegType, RegValue};

/// Everything known about one host. Every key but `host` may be absent, and an absent key is
/// unknown, never empty.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct Facts {
    pub host: Text,
    pub collected: Option<Text>,
    pub os: Option<Os>,
    /// Environment variables; names compare case-insensitively.
    pub env: Option<Env>,
    /// When present, the complete list of installed hotfixes.
    #[serde(default)]
    pub hotfixes: Lazy<Vec<Text>>,
    #[serde(default)]
    pub software: Lazy<Vec<Software>>,
    #[serde(default)]
    pub files: Lazy<Vec<FileEntry>>,
    /// Registry values by full path. A `null` value means the collector looked and it is absent.
    #[serde(default)]
    pub registry: Lazy<Registry>,
    #[serde(default)]
    pub events: Lazy<Vec<Event>>,
    /// The logs `events` is complete for (`[System, Application]`): an event not found in
    /// another log is unknown, not absent. Absent: `events` holds every log.
    #[serde(default)]
    pub event_logs: Lazy<Vec<Text>>,
    /// Error text a person saw.
    #[serde(default)]
    pub reported_errors: Lazy<Vec<Text>>,
    /// Symptoms of a rule that a person observed (those no other fact can show).
    #[serde(default)]
    pub reported_symptoms: Lazy<Vec<ReportedSymptom>>,
    /// Who collected the facts, from which artifacts, and what could not be read
    /// (`kbdiag collect` writes it).
    pub collector: Option<Collector>,
}

/// Who collected the facts: rules never read it; reports show what could not be collected.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Collector {
    pub name: Option<Text>,
    pub version: Option<Text>,
    /// Each artifact read, and the facts taken from it.
    #[serde(default)]
    pub artifacts: Vec<CollectedArtifact>,
    /// Facts looked for and not read, with the reason.
    #[serde(default)]
    pub not_collected: Vec<NotCollected>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct CollectedArtifact {
    pub path: Text,
    pub facts: Option<Text>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct NotCollected {
    pub fact: Text,
    pub reason: Option<Text>,
    /// The artifact that should hold the fact is broken or unreadable (not merely absent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub broken: bool,
}

impl Facts {
    /// Every fact, each list parsed (or its error), as debug text: two readings of a document
    /// agree when these agree (the fast reader's tests and fuzz target compare them).
    pub fn describe_all(&self) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            self.host,
            self.collected,
            self.os,
            self.env,
            self.hotfixes.get(),
            self.software.get(),
            self.files.get(),
            self.registry.get(),
            self.events.get(),
            self.event_logs.get(),
            self.reported_errors.get(),
            self.reported_symptoms.get(),
            self.collector,
        )
    }

    /// An environment variable, its name compared case-insensitively.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.as_ref().and_then(|env| {
            env.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Os {
    pub name: Option<Text>,
    pub edition: Option<Text>,
    /// `"4.0"` and the YAML number `4.0` both arrive as the text `4.0`; `4.0.1381` carries the
    /// build too; `fact("os.version")` reads it as major.minor.
    pub version: Option<Text>,
    pub build: Option<i64>,
    /// As `CSDVersion` reports it (`Service Pack 6`, which SP6a also reports) or short (`6a`).
    /// `fact("os.service_pack")` reads it as `6`, `6a`….
    pub service_pack: Option<Text>,
    /// 40, 56 or 128.
    #[serde(default, deserialize_with = "cipher_bits")]
    pub cipher_bits: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Software {
    pub name: Option<Text>,
    pub version: Option<Text>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct FileEntry {
    pub path: Text,
    /// Bytes, not negative.
    #[serde(default, deserialize_with = "size")]
    pub size: Option<i64>,
    /// ISO 8601; kept in UTC (`+14:00` and other offsets are converted when read).
    #[serde(default, deserialize_with = "utc_time")]
    pub modified: Option<Text>,
    pub version: Option<Text>,
    /// 40, 56 or 128.
    #[serde(default, deserialize_with = "cipher_bits")]
    pub cipher_bits: Option<i64>,
    /// `false` when the collector looked for the file and it is not there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

/// Cipher strengths Windows NT 4.0 and its successors ship.
pub const CIPHER_BITS: &[i64] = &[40, 56, 128];

fn cipher_bits<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<i64>::deserialize(d)? {
        Some(bits) if !CIPHER_BITS.contains(&bits) => Err(de::Error::custom(format_args!(
            "`cipher_bits: {bits}` is not a cipher strength; write 40, 56 or 128"
        ))),
        bits => Ok(bits),
    }
}

fn size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<i64>::deserialize(d)? {
        Some(n) if n < 0 => Err(de::Error::custom(format_args!(
            "`size: {n}` is not a size; sizes are bytes, 0 or more"
        ))),
        n => Ok(n),
    }
}

fn utc_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Text>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) => crate::facts::values::utc_time(t.as_str())
            .map(|t| Some(Text(t.into())))
            .map_err(|e| de::Error::custom(format_args!("`modified`: {e}"))),
    }
}

/// A map whose keys must be unique once compared as `key_of` compares them.
fn unique_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
    key_of: fn(&str) -> String,
) -> Result<BTreeMap<String, V>, D::Error> {
    struct M<V>(fn(&str) -> String, std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> Visitor<'de> for M<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            let mut keys = std::collections::BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !keys.insert((self.0)(&key)) {
                    return Err(de::Error::custom(format_args!(
                        "`{key}` is given twice (names compare ignoring case): give it once"
                    )));
                }
                out.insert(key, map.next_value()?);
            }
            Ok(out)
        }
    }
    d.deserialize_map(M(key_of, std::marker::PhantomData))
}

/// Environment variables by name; a name given twice (in any case) is refused.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Env(pub BTreeMap<String, Text>);

impl<'de> Deserialize<'de> for Env {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        unique_map(d, |k| k.to_lowercase()).map(Env)
    }
}

/// Registry values by path; a path given twice (in any spelling) is refused. A `null` value
/// means the collector looked and the value does not exist.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Registry(pub BTreeMap<String, Option<RegValue>>);

impl<'de> Deserialize<'de> for Registry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        unique_map(d, crate::facts::values::registry_key).map(Registry)
    }
}

impl std::ops::Deref for Registry {
    type Target = BTreeMap<String, Option<RegValue>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A symptom of a rule that a person observed: `{rule: KB322051, symptom: no-connection}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ReportedSymptom {
    /// The rule's id or one of its aliases.
    pub rule: Text,
    /// The symptom's id in that rule.
    pub symptom: Text,
    /// Who saw it.
    pub by: Option<Text>,
    /// When (ISO 8601).
    pub time: Option<Text>,
    /// What they saw, in their words.
    pub note: Option<Text>,
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
    /// The identifier's high 16 bits (severity, customer, facility), when `id` is only the low
    /// 16 bits Event Viewer shows.
    pub qualifiers: Option<i64>,
    /// The category's number, when its name (in the source's message DLL) is not known.
    pub category_number: Option<i64>,
    /// The record's number in its log.
    pub record: Option<i64>,
    pub computer: Option<Text>,
    /// The account the event names (Event Viewer's User column: a name or a SID).
    pub user: Option<Text>,
    /// The insertion strings, when the rendered `message` is not known (a log read without the
    /// source's message DLL).
    pub strings: Option<Vec<Text>>,
}

/// A text fact that collectors may also write as a number or boolean (`service_pack: 6`,
/// `version: 4.0`); it is kept as text, with floats written the way YAML shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Text(pub CompactString);

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

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.into()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_compact_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_compact_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                // `{:?}` keeps the `.0` of 4.0, which `{}` drops.
                Ok(Text(format_compact!("{v:?}")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_compact_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::source::Location;

    fn yaml(text: &str) -> Result<Facts, FactsError> {
        parse("t.yaml", text.as_bytes())
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
            "files: invalid type: the text \"nope\", expected a sequence"
        );
        assert_eq!(e.location(), Some(Location { line: 2, column: 8 }));
        // A JSON list is checked for shape when read, its entries when a rule reads them.
        let e = parse("t.json", br#"{"host": "a", "files": "p"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "files: invalid type: the text \"p\", expected a sequence"
        );
        assert_eq!(
            e.location(),
            Some(Location {
                line: 1,
                column: 26
            })
        );
        let json = br#"{"host": "a", "files": [{"path": "p", "size": "x"}]}"#;
        let f = parse("t.json", json).unwrap();
        assert_eq!(
            f.files.get().unwrap_err(),
            "files[0].size: invalid type: the text \"x\", expected a whole number"
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
    fn registry_values_keep_their_windows_type() {
        let f = yaml(
            "host: a\nregistry:\n  'HKLM\\A': {type: REG_SZ, value: '1'}\n  'HKLM\\B': [x, y]\n  'HKLM\\C': 5000000000\n  'HKLM\\D': true\n",
        )
        .unwrap();
        let reg = f.registry.get().unwrap().unwrap();
        let get = |k: &str| reg[k].clone().unwrap().to_string();
        assert_eq!(get("HKLM\\A"), "\"1\" (REG_SZ)");
        assert_eq!(get("HKLM\\B"), "[\"x\", \"y\"] (REG_MULTI_SZ)");
        assert_eq!(get("HKLM\\C"), "5000000000 (REG_QWORD)");
        assert_eq!(get("HKLM\\D"), "1 (REG_DWORD)");
        for bad in [
            "{type: REG_DWORD, value: x}",
            "{type: REG_DWORD, value: -1}",
            "{type: REG_NONE, value: 1}",
            "1.5",
        ] {
            let text = format!("host: a\nregistry: {{'HKLM\\A': {bad}}}\n");
            assert!(yaml(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_are_accepted() {
        assert!(yaml("host: a\ncollector: {version: 2}\n").is_ok());
    }

    #[test]
    fn registry_null_means_absent() {
        let f = yaml("host: a\nregistry: {'HKLM\\X': ~, 'HKLM\\Y': 1}\n").unwrap();
        let reg = f.registry.get().unwrap().unwrap();
        assert_eq!(reg["HKLM\\X"], None);
        let y = reg["HKLM\\Y"].clone().unwrap();
        assert_eq!((y.kind, y.value), (RegType::Dword, RegData::Int(1)));
    }
}
