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
use serde_json::value::RawValue;

pub mod fast;
mod lazy;
pub mod registry;
pub mod values;

pub use lazy::Lazy;
use lazy::{LazyState, plain};

pub use crate::facts::registry::{RegData, RegType, RegValue};
use crate::input::source::{self, Location, TextError};
use crate::problem::Problem;

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

/// A JSON fact document read without parsing its lists. Unknown keys are kept raw only long
/// enough to check their nesting: serde_json checks the depth of what it parses, not of what it
/// skips.
#[derive(Default)]
struct JsonFacts<'a> {
    host: Option<Text>,
    collected: Option<Text>,
    os: Option<Os>,
    env: Option<Env>,
    hotfixes: Option<&'a RawValue>,
    software: Option<&'a RawValue>,
    files: Option<&'a RawValue>,
    registry: Option<&'a RawValue>,
    events: Option<&'a RawValue>,
    event_logs: Option<&'a RawValue>,
    reported_errors: Option<&'a RawValue>,
    reported_symptoms: Option<&'a RawValue>,
    collector: Option<Collector>,
    /// The first unknown value nested too deep: its offset in its own text, and that text.
    too_deep: Option<(usize, &'a str)>,
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonFacts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JsonFacts<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("struct Facts")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonFacts<'a>, A::Error> {
                let mut facts = JsonFacts::default();
                let mut seen: Vec<std::borrow::Cow<'de, str>> = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    // YAML refuses a key given twice; so does JSON here, rather than keep the last.
                    if seen.contains(&key) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate key `{key}`: give each key once"
                        )));
                    }
                    seen.push(key.clone());
                    let raw = |map: &mut A| map.next_value::<Option<&'de RawValue>>();
                    match key.as_ref() {
                        "host" => facts.host = Some(map.next_value()?),
                        "collected" => facts.collected = map.next_value()?,
                        "os" => facts.os = map.next_value()?,
                        "env" => facts.env = map.next_value()?,
                        "hotfixes" => facts.hotfixes = raw(&mut map)?,
                        "software" => facts.software = raw(&mut map)?,
                        "files" => facts.files = raw(&mut map)?,
                        "registry" => facts.registry = raw(&mut map)?,
                        "events" => facts.events = raw(&mut map)?,
                        "event_logs" => facts.event_logs = raw(&mut map)?,
                        "reported_errors" => facts.reported_errors = raw(&mut map)?,
                        "reported_symptoms" => facts.reported_symptoms = raw(&mut map)?,
                        "collector" => facts.collector = map.next_value()?,
                        _ => {
                            let value: &'de RawValue = map.next_value()?;
                            if facts.too_deep.is_none() {
                                // Its parent is the document itself, one level down.
                                if let Err(at) = source::json_nesting(value.get(), 1) {
                                    facts.too_deep = Some((at, value.get()));
                                }
                            }
                        }
                    }
                }
                if facts.host.is_none() {
                    return Err(de::Error::missing_field("host"));
                }
                Ok(facts)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl JsonFacts<'_> {
    fn into_facts(self, text: &str) -> Result<Facts, FactsError> {
        if let Some((at, value)) = self.too_deep {
            let offset = (value.as_ptr() as usize).saturating_sub(text.as_ptr() as usize) + at;
            return Err(TextError::TooDeep {
                limit: source::MAX_NESTING,
                at: source::location_of(text, offset),
            }
            .into());
        }
        Ok(Facts {
            host: self.host.unwrap_or_default(),
            collected: self.collected,
            collector: self.collector,
            os: self.os,
            env: self.env,
            hotfixes: Lazy::from_json("hotfixes", self.hotfixes, text, b'[')?,
            software: Lazy::from_json("software", self.software, text, b'[')?,
            files: Lazy::from_json("files", self.files, text, b'[')?,
            registry: Lazy::from_json("registry", self.registry, text, b'{')?,
            events: Lazy::from_json("events", self.events, text, b'[')?,
            event_logs: Lazy::from_json("event_logs", self.event_logs, text, b'[')?,
            reported_errors: Lazy::from_json("reported_errors", self.reported_errors, text, b'[')?,
            reported_symptoms: Lazy::from_json(
                "reported_symptoms",
                self.reported_symptoms,
                text,
                b'[',
            )?,
        })
    }
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

/// The syntax a fact document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
}

impl Syntax {
    /// JSON for a `.json` name; otherwise YAML, or JSON when the text starts with `{`.
    pub fn guess(name: &str, bytes: &[u8]) -> Syntax {
        let lower = name.to_ascii_lowercase();
        let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if lower.ends_with(".json") || first == Some(&b'{') {
            Syntax::Json
        } else {
            Syntax::Yaml
        }
    }
}

/// The text of a fact document and its syntax (guessed when not given), after the checks on
/// raw input ([`source::text_from_bytes`], or its faster JSON twin).
pub fn read_text<'a>(
    name: &str,
    bytes: &'a [u8],
    syntax: Option<Syntax>,
) -> Result<(&'a str, Syntax), TextError> {
    let syntax = syntax.unwrap_or_else(|| Syntax::guess(name, bytes));
    let text = match syntax {
        Syntax::Json => source::json_text_from_bytes(bytes)?,
        Syntax::Yaml => source::text_from_bytes(bytes)?,
    };
    Ok((text, syntax))
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

/// Reads one fact document: its facts, or the located problem that stops it. `line` is where
/// the document starts in an NDJSON stream: it is then JSON, and problems count lines from there
/// (without a snippet: the line is the whole document).
pub fn read_document(name: &str, line: Option<usize>, bytes: &[u8]) -> Result<Facts, Problem> {
    let problem = |text: Option<&str>, e: FactsError| match line {
        Some(start) => {
            let at = e.location().map_or(
                Location {
                    line: start,
                    column: 1,
                },
                |at| Location {
                    line: start + at.line - 1,
                    column: at.column,
                },
            );
            Problem::new(name, None, Some(at), e.to_string())
        }
        None => Problem::new(name, text, e.location(), e.to_string()),
    };
    let (text, syntax) =
        read_text(name, bytes, line.map(|_| Syntax::Json)).map_err(|e| problem(None, e.into()))?;
    parse_text(text, syntax).map_err(|e| problem(Some(text), e))
}

/// Parses one fact document from raw bytes.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Facts, FactsError> {
    let (text, syntax) = read_text(name, bytes, None)?;
    parse_text(text, syntax)
}

/// Parses one fact document from text already checked by [`read_text`].
pub fn parse_text(text: &str, syntax: Syntax) -> Result<Facts, FactsError> {
    let facts: Facts = match syntax {
        Syntax::Yaml => serde_yaml::from_str(text).map_err(|e| {
            let location = e.location().map(|l| Location {
                line: l.line(),
                column: l.column(),
            });
            let hint = location.and_then(|at| source::tab_hint(text, at));
            FactsError::Parse {
                location,
                message: yaml_message(&e) + hint.unwrap_or_default(),
            }
        })?,
        // The usual document takes the fast path; anything unusual, serde_json's.
        Syntax::Json => match fast::read(text) {
            Some(facts) => facts,
            None => read_json_full(text)?,
        },
    };
    if facts.host.as_str().trim().is_empty() {
        return Err(FactsError::EmptyHost);
    }
    Ok(facts)
}

/// A JSON fact document read by serde_json alone: what [`fast::read`] must agree with, and the
/// reader that explains every error.
pub fn read_json_full(text: &str) -> Result<Facts, FactsError> {
    // Path tracking costs as much as the parse, so it runs only to explain an error.
    serde_json::from_str::<JsonFacts>(text)
        .map_err(|_| {
            let mut de = serde_json::Deserializer::from_str(text);
            let tracked: Result<JsonFacts, _> = serde_path_to_error::deserialize(&mut de);
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
        })?
        .into_facts(text)
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
        format!("{path}: {}", plain(&message))
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
    let message = &plain(message);
    let expected = [", expected struct Facts"];
    if let Some(tail) = expected.iter().find(|t| message.ends_with(*t)) {
        let found = message
            .trim_start_matches("invalid type: ")
            .trim_end_matches(tail);
        format!("a fact file must be a mapping with at least `host`, found {found}")
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
