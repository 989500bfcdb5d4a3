//! A fact list or map kept as the JSON text it came in until a rule first reads it, and the
//! errors its parsing gives, said with the key and the place in the list.

use std::cell::OnceCell;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::value::RawValue;

use crate::facts::{FactsError, fast};
use crate::input::source;

/// A list or map of facts: absent, parsed, or (from JSON) raw text that is parsed the first
/// time it is read.
#[derive(Debug, Clone, Default)]
pub struct Lazy<T>(pub(super) LazyState<T>);

#[derive(Debug, Clone, Default)]
pub(super) enum LazyState<T> {
    #[default]
    Absent,
    Parsed(T),
    Raw {
        key: &'static str,
        json: Box<str>,
        parsed: OnceCell<Result<T, String>>,
    },
}

impl<T> Lazy<T> {
    /// JSON text already checked, parsed when first read.
    pub(super) fn raw(key: &'static str, json: &str) -> Self {
        Lazy(LazyState::Raw {
            key,
            json: json.into(),
            parsed: OnceCell::new(),
        })
    }
}

impl<T: DeserializeOwned + fast::FastParse> Lazy<T> {
    /// The value: `None` when the host's facts do not have it, an error (naming the key) when an
    /// entry has the wrong type.
    pub fn get(&self) -> Result<Option<&T>, String> {
        match &self.0 {
            LazyState::Absent => Ok(None),
            LazyState::Parsed(value) => Ok(Some(value)),
            LazyState::Raw { key, json, parsed } => parsed
                .get_or_init(|| T::fast_parse(json).map_or_else(|| parse_raw(key, json), Ok))
                .as_ref()
                .map(Some)
                .map_err(Clone::clone),
        }
    }

    /// A value from a JSON document (`text`), kept raw if it has the right shape (`[` for a
    /// list, `{` for a map); otherwise the error that parsing it gives, placed in `text`.
    pub(super) fn from_json(
        key: &'static str,
        raw: Option<&RawValue>,
        text: &str,
        open: u8,
    ) -> Result<Self, FactsError> {
        let Some(raw) = raw else {
            return Ok(Lazy(LazyState::Absent));
        };
        let json = raw.get();
        if json.as_bytes().first() == Some(&open) {
            return Ok(Lazy::raw(key, json));
        }
        let offset = (json.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let e = match serde_json::from_str::<T>(json) {
            Err(e) => e,
            Ok(_) => {
                return Ok(Lazy::raw(key, json));
            }
        };
        let at = offset + e.column().saturating_sub(1);
        Err(FactsError::Parse {
            message: format!("{key}: {}", strip_position(&e.to_string())),
            location: Some(source::location_of(text, at)),
        })
    }
}

fn parse_raw<T: DeserializeOwned>(key: &str, json: &str) -> Result<T, String> {
    // Path tracking costs as much as the parse: it runs again only to explain an error.
    if let Ok(value) = serde_json::from_str(json) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        format!(
            "{key}{}: {}",
            json_path(e.path()),
            strip_position(&e.inner().to_string())
        )
    })
}

/// Where in a fact list or map an error is, after its key: `[0].size` in `files`, and a
/// registry path as the JSON writes it, `["HKLM\\SOFTWARE\\X"]`, which is not a name.
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key }
                if key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                out.push('.');
                out.push_str(key);
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push_str(&format!("[{}]", serde_json::Value::from(key.as_str())));
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

fn strip_position(message: &str) -> String {
    plain(
        message
            .rfind(" at line ")
            .map_or(message, |cut| &message[..cut]),
    )
}

/// serde's words for types said as a fact file's reader would: "expected i64" is "expected a
/// whole number", "floating point `1.5`" is "the number 1.5".
pub(super) fn plain(message: &str) -> String {
    let mut out = message.to_owned();
    for (serde, said) in [
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected u64", "expected a whole number, not negative"),
        ("expected u32", "expected a whole number, not negative"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected f64", "expected a number"),
    ] {
        if let Some(head) = out.strip_suffix(serde) {
            out = format!("{head}{said}");
        }
    }
    for (serde, said) in [
        (
            "invalid type: floating point `",
            "invalid type: the number `",
        ),
        (
            "invalid type: integer `",
            "invalid type: the whole number `",
        ),
        ("invalid type: string ", "invalid type: the text "),
        (
            "invalid value: integer `",
            "invalid value: the whole number `",
        ),
    ] {
        out = out.replace(serde, said);
    }
    out
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Lazy(match Option::<T>::deserialize(d)? {
            Some(value) => LazyState::Parsed(value),
            None => LazyState::Absent,
        }))
    }
}

impl<T: JsonSchema> JsonSchema for Lazy<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Option::<T>::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Option::<T>::json_schema(generator)
    }
}
