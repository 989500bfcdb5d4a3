//! Reading a fact document: its syntax, the checks on its raw text, the fast JSON reader or
//! serde's, and the located error that stops it.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

use super::fast;
use super::lazy::{Lazy, plain};
use super::{Collector, Env, Facts, Os, Text};
use crate::input::source::{self, Location, TextError};
use crate::problem::Problem;

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
