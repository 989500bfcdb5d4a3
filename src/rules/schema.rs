//! JSON Schemas of the rule and fact formats, generated from the Rust types that read them, so
//! editors can complete and validate files and `kbdiag check` can locate every problem. The
//! rule-tests format's schema, and the three as `kbdiag schema` prints them, are
//! `authoring::schema`'s.

use schemars::{JsonSchema, generate::SchemaSettings};

use crate::facts::Facts;
use crate::rules::rule::Rule;

/// The rule format's schema.
pub fn rule() -> serde_json::Value {
    generate::<Rule>(
        "kbdiag rule",
        "One support article as a kbdiag rule (docs/rules.md).",
    )
}

/// The fact format's schema.
pub fn facts() -> serde_json::Value {
    generate::<Facts>(
        "kbdiag facts, format 1",
        "What was collected from one host (docs/facts.md).",
    )
}

/// The schema of `T`'s serde form, draft 2020-12, with a title and a description.
pub fn generate<T: JsonSchema>(title: &str, description: &str) -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    schema.to_value()
}
