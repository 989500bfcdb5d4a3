//! JSON Schemas of the rule and fact formats, generated from the Rust types that read them, so
//! editors can complete and validate files and `kbdiag check` can locate every problem.

use schemars::{JsonSchema, generate::SchemaSettings};

use crate::facts::Facts;
use crate::rules::rule::Rule;

/// The formats that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Rule,
    Facts,
    Tests,
}

impl Kind {
    /// Where the committed schema lives, relative to the repository.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Rule => "schemas/rule.schema.json",
            Kind::Facts => "schemas/facts.schema.json",
            Kind::Tests => "schemas/tests.schema.json",
        }
    }
}

/// The schema as a JSON value.
pub fn value(kind: Kind) -> serde_json::Value {
    match kind {
        Kind::Rule => generate::<Rule>(
            "kbdiag rule",
            "One support article as a kbdiag rule (docs/rules.md).",
        ),
        Kind::Facts => generate::<Facts>(
            "kbdiag facts, format 1",
            "What was collected from one host (docs/facts.md).",
        ),
        Kind::Tests => generate::<crate::authoring::rule_tests::TestsFile>(
            "kbdiag rule tests",
            "Test cases shipped beside a rule (docs/authoring.md).",
        ),
    }
}

/// The schema as the text committed under `schemas/`.
pub fn text(kind: Kind) -> String {
    let mut text = serde_json::to_string_pretty(&value(kind)).unwrap_or_default();
    text.push('\n');
    text
}

fn generate<T: JsonSchema>(title: &str, description: &str) -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    schema.to_value()
}
