//! The formats `kbdiag schema` prints and `schemas/` holds: the rule and fact formats'
//! (`rules::schema`) and the rule-tests format's, which is the authoring tools'.

use crate::authoring::rule_tests::TestsFile;
use crate::rules::schema::{self, generate};

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
        Kind::Rule => schema::rule(),
        Kind::Facts => schema::facts(),
        Kind::Tests => generate::<TestsFile>(
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
