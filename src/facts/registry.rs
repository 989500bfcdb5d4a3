//! Registry values as the fact format writes them: with their Windows type (REG_SZ, REG_DWORD…),
//! typed or inferred from how they are written, so a REG_SZ "1" is never taken for the number 1.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// A registry value with its Windows type. Written either typed, `{type: REG_SZ, value: "1"}`,
/// or plainly: an integer is a REG_DWORD (a REG_QWORD past 32 bits), text a REG_SZ, a list of
/// text a REG_MULTI_SZ, `true`/`false` a REG_DWORD 1/0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegValue {
    #[serde(rename = "type")]
    pub kind: RegType,
    pub value: RegData,
}

/// The Windows registry value types kbdiag reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RegType {
    #[serde(rename = "REG_SZ")]
    Sz,
    #[serde(rename = "REG_EXPAND_SZ")]
    ExpandSz,
    #[serde(rename = "REG_MULTI_SZ")]
    MultiSz,
    #[serde(rename = "REG_DWORD")]
    Dword,
    #[serde(rename = "REG_QWORD")]
    Qword,
    #[serde(rename = "REG_BINARY")]
    Binary,
}

impl RegType {
    pub fn as_str(self) -> &'static str {
        match self {
            RegType::Sz => "REG_SZ",
            RegType::ExpandSz => "REG_EXPAND_SZ",
            RegType::MultiSz => "REG_MULTI_SZ",
            RegType::Dword => "REG_DWORD",
            RegType::Qword => "REG_QWORD",
            RegType::Binary => "REG_BINARY",
        }
    }
}

/// The data of a registry value: a number (REG_DWORD, REG_QWORD), text (REG_SZ, REG_EXPAND_SZ,
/// REG_BINARY as hex) or a list of text (REG_MULTI_SZ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegData {
    Int(i64),
    Text(String),
    List(Vec<String>),
}

/// How many entries of a REG_MULTI_SZ evidence shows.
const LIST_SHOWN: usize = 8;

impl fmt::Display for RegValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            RegData::Int(i) => write!(f, "{i}"),
            RegData::Text(t) => write!(f, "{t:?}"),
            // A long list is evidence by its size and first entries, not 1,507 lines of it.
            RegData::List(l) if l.len() > LIST_SHOWN => write!(
                f,
                "{:?}… ({} entries, the first {LIST_SHOWN} shown)",
                &l[..LIST_SHOWN],
                l.len()
            ),
            RegData::List(l) => write!(f, "{l:?}"),
        }?;
        write!(f, " ({})", self.kind.as_str())
    }
}

impl<'de> Deserialize<'de> for RegValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Int(i64),
            Big(u64),
            Bool(bool),
            Text(String),
            List(Vec<String>),
            Typed {
                #[serde(rename = "type")]
                kind: RegType,
                value: RegData,
            },
        }
        let written = Written::deserialize(d).map_err(|_| {
            de::Error::custom(
                "a registry value is an integer, text, a list of text, or {type: REG_…, value: …}, \
                 with type one of REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY",
            )
        })?;
        let value = |kind, value| RegValue { kind, value };
        Ok(match written {
            Written::Int(i) if (0..=i64::from(u32::MAX)).contains(&i) => {
                value(RegType::Dword, RegData::Int(i))
            }
            Written::Int(i) => value(RegType::Qword, RegData::Int(i)),
            Written::Big(n) => {
                return Err(de::Error::custom(format_args!(
                    "{n} is past the largest registry number kbdiag reads (2^63 - 1)"
                )));
            }
            Written::Bool(b) => value(RegType::Dword, RegData::Int(i64::from(b))),
            Written::Text(t) => value(RegType::Sz, RegData::Text(t)),
            Written::List(l) => value(RegType::MultiSz, RegData::List(l)),
            Written::Typed { kind, value: data } => {
                let fits = match (kind, &data) {
                    (RegType::Dword, RegData::Int(i)) => (0..=i64::from(u32::MAX)).contains(i),
                    (RegType::Qword, RegData::Int(_)) => true,
                    (RegType::Sz | RegType::ExpandSz, RegData::Text(_)) => true,
                    (RegType::Binary, RegData::Text(t)) => t.bytes().all(|b| b.is_ascii_hexdigit()),
                    (RegType::MultiSz, RegData::List(_)) => true,
                    _ => false,
                };
                if !fits {
                    let held = match &data {
                        RegData::Int(i) => format!("the number {i}"),
                        RegData::Text(t) => format!("the text {t:?}"),
                        RegData::List(l) => format!("a list of {} texts", l.len()),
                    };
                    return Err(de::Error::custom(format_args!(
                        "a {} cannot hold {held}",
                        kind.as_str()
                    )));
                }
                value(kind, data)
            }
        })
    }
}

impl JsonSchema for RegValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RegValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A registry value: an integer (REG_DWORD), text (REG_SZ), a list of text (REG_MULTI_SZ), or typed: {type, value}",
            "anyOf": [
                {"type": ["integer", "string", "boolean"]},
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "required": ["type", "value"], "additionalProperties": false,
                 "properties": {
                    "type": {"enum": ["REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY"]},
                    "value": {"type": ["integer", "string", "array"]}
                 }}
            ]
        })
    }
}
