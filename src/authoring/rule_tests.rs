//! Rule tests: cases shipped beside a rule (`KBNNNNNN.tests.yaml`), each a host's facts and the
//! diagnosis expected for it. A failure says, field by field, what was expected and what came out.

use std::path::Path;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::evaluate::diagnose::Evaluator;
use crate::evaluate::diagnosis::{Action, Diagnosis, Observed, Status};
use crate::facts::{self, Facts};
use crate::input::source::{self, Location};
use crate::problem::Problem;
use crate::rules::kb::RuleFile;
use crate::rules::{validate, yaml_tree};

/// A rule's test cases.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestsFile {
    /// The id of the rule under test; by default the file name before `.tests.yaml`.
    pub rule: Option<String>,
    pub cases: Vec<Case>,
}

/// One host and what the rule must say about it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// The host's facts, inline (docs/facts.md).
    #[schemars(with = "Option<Facts>")]
    pub facts: Option<serde_yaml::Value>,
    /// Or a fact file, relative to this file's folder.
    pub facts_file: Option<String>,
    pub expect: Expect,
}

/// The expected diagnosis; fields left out are not checked.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: Status,
    pub action: Option<Action>,
    /// The action of the recommendation's alternative, e.g. `apply-workaround`.
    pub alternative: Option<Action>,
    /// Items that must appear in the evidence (the diagnosis's or a prerequisite's), exactly.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Facts that must be named as missing.
    #[serde(default)]
    pub missing: Vec<String>,
    /// Ids of symptoms that must be observed.
    #[serde(default)]
    pub observed: Vec<String>,
    /// Ids of symptoms that the facts must show are not observed.
    #[serde(default)]
    pub not_observed: Vec<String>,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: String,
    pub name: String,
    pub location: Option<Location>,
    /// Empty when the case passed; otherwise one line per field that differs.
    pub failures: Vec<String>,
}

fn schema() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(|| crate::authoring::schema::value(crate::authoring::schema::Kind::Tests))
}

/// Whether a file name is a rule tests file.
pub fn is_tests_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tests.yaml") || lower.ends_with(".tests.yml")
}

/// Reads a tests file, reporting every problem in it.
pub fn parse(file: &RuleFile) -> Result<(TestsFile, yaml_tree::Node), Vec<Problem>> {
    let problem = |text: Option<&str>, at, message| Problem::new(&file.name, text, at, message);
    let text = source::text_from_bytes(&file.bytes)
        .map_err(|e| vec![problem(None, e.location(), e.to_string())])?;
    let located = |issues: Vec<validate::Issue>| -> Vec<Problem> {
        (issues.into_iter())
            .map(|i| problem(Some(text), i.at, i.message))
            .collect()
    };
    let tree = validate::parse_tree(text).map_err(|e| located(vec![e]))?;
    let tests = validate::typed(text, &tree, schema(), Vec::new()).map_err(located)?;
    Ok((tests, tree))
}

/// Runs every case of one tests file.
pub fn run(evaluator: &Evaluator, file: &RuleFile) -> Result<Vec<Outcome>, Vec<Problem>> {
    let (tests, tree) = parse(file)?;
    let rule = tests.rule.clone().unwrap_or_else(|| {
        let base = file.name.rsplit(['/', '\\']).next().unwrap_or(&file.name);
        base.split(".tests.").next().unwrap_or(base).to_owned()
    });
    if !evaluator.rules().iter().any(|r| r.rule.id == rule) {
        return Err(vec![Problem::new(
            &file.name,
            None,
            tree.get("rule").map(yaml_tree::Node::at),
            format!("no rule {rule} is loaded to test"),
        )]);
    }
    let folder = Path::new(&file.name).parent().unwrap_or(Path::new("."));
    Ok((tests.cases.iter().enumerate())
        .map(|(i, case)| {
            let node = tree.get("cases").and_then(|c| c.item(i));
            let failures = match case_facts(case, folder, node) {
                Ok(facts) => {
                    let diagnoses = evaluator.diagnose(facts);
                    match diagnoses.iter().find(|d| *d.kb == *rule) {
                        Some(d) => compare(&case.expect, d),
                        None => vec![format!("the diagnosis has no result for {rule}")],
                    }
                }
                Err(message) => vec![message],
            };
            Outcome {
                file: file.name.clone(),
                name: case.name.clone(),
                location: node.map(yaml_tree::Node::at),
                failures,
            }
        })
        .collect())
}

fn case_facts(case: &Case, folder: &Path, node: Option<&yaml_tree::Node>) -> Result<Facts, String> {
    match (&case.facts, &case.facts_file) {
        (Some(value), None) => {
            // The fact format accepts unknown keys (collectors add their own); a test case's
            // facts are written by hand, so an unknown key is a typo.
            let inline = node.and_then(|n| n.get("facts"));
            if let Some(issue) =
                inline.and_then(|n| validate::check(n, strict_facts()).into_iter().next())
            {
                let at = issue.at.map_or(String::new(), |at| format!(" (at {at})"));
                return Err(format!("facts{at}: {}", issue.message));
            }
            serde_yaml::from_value(value.clone()).map_err(|e| {
                let at = node
                    .and_then(|n| n.get("facts"))
                    .map_or(String::new(), |n| format!(" (at {})", n.at()));
                format!("facts{at}: {e}")
            })
        }
        (None, Some(path)) => {
            let path = folder.join(path);
            let bytes = std::fs::File::open(&path)
                .and_then(source::read_limited)
                .map_err(|e| format!("facts_file {}: {e}", path.display()))?;
            facts::parse(&path.display().to_string(), &bytes)
                .map_err(|e| format!("facts_file {}: {e}", path.display()))
        }
        _ => Err("a case has exactly one of `facts` and `facts_file`".to_owned()),
    }
}

/// The fact schema with every unknown key refused.
fn strict_facts() -> &'static serde_json::Value {
    static STRICT: OnceLock<serde_json::Value> = OnceLock::new();
    STRICT.get_or_init(|| {
        fn close(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(map) => {
                    if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                        map.insert("additionalProperties".into(), false.into());
                    }
                    map.values_mut().for_each(close);
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(close),
                _ => {}
            }
        }
        let mut schema = crate::rules::schema::facts();
        close(&mut schema);
        schema
    })
}

/// Every field of `expect` that `got` does not match.
pub fn compare(expect: &Expect, got: &Diagnosis) -> Vec<String> {
    let mut failures = Vec::new();
    if got.status != expect.status {
        let mut line = format!(
            "status: expected {}, got {}",
            expect.status.as_str(),
            got.status.as_str()
        );
        if let Some(error) = &got.error {
            line.push_str(&format!(" ({error})"));
        }
        failures.push(line);
    }
    let r = &got.recommendation;
    if let Some(action) = expect.action.filter(|a| *a != r.action) {
        failures.push(format!(
            "action: expected {}, got {}",
            action.as_str(),
            r.action.as_str()
        ));
    }
    let alternative = r.alternative.as_ref().map(|a| a.action);
    if let Some(want) = expect.alternative.filter(|a| Some(*a) != alternative) {
        failures.push(format!(
            "alternative: expected {}, got {}",
            want.as_str(),
            alternative.map_or("none", Action::as_str)
        ));
    }
    // The prerequisites' evidence counts too: it is what decided the action.
    let evidence: Vec<String> = (got.evidence.iter())
        .chain(r.prerequisites.iter().flat_map(|p| &p.evidence))
        .cloned()
        .collect();
    for (field, wanted, actual) in [
        ("evidence", &expect.evidence, &evidence),
        ("missing", &expect.missing, &got.missing),
    ] {
        let absent: Vec<&String> = wanted.iter().filter(|w| !actual.contains(w)).collect();
        for item in &absent {
            failures.push(format!("{field}: expected to include {item:?}"));
        }
        if !absent.is_empty() {
            let list = if actual.is_empty() {
                "(none)".to_owned()
            } else {
                actual
                    .iter()
                    .map(|a| format!("\n    {a:?}"))
                    .collect::<String>()
            };
            failures.push(format!("{field}: got {list}").replace("got \n", "got:\n"));
        }
    }
    let wanted = (expect.observed.iter().map(|id| (id, Observed::Observed))).chain(
        expect
            .not_observed
            .iter()
            .map(|id| (id, Observed::NotObserved)),
    );
    for (id, want) in wanted {
        let name = |o: Observed| {
            serde_json::to_value(o)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        match got.symptoms.iter().find(|s| &s.id == id) {
            Some(s) if s.observed == want => {}
            Some(s) => failures.push(format!(
                "symptom {id}: expected {}, got {}",
                name(want),
                name(s.observed)
            )),
            None if got.status == Status::Error => failures.push(format!(
                "symptom {id}: not evaluated, the rule failed on this host"
            )),
            None => failures.push(format!("symptom {id}: the rule has no such symptom")),
        }
    }
    failures
}
