//! Where rules come from (built in from `kb/`, or a `--kb` folder) and how they are loaded:
//! parsed, checked and compiled, with every problem located in its file.

use std::path::Path;
use std::rc::Rc;

use crate::condition::{Node, NodeCompileError};
use crate::problem::Problem;
use crate::rule::{self, FileRow, Rule};
use crate::script::Sandbox;
use crate::source::{self, Location};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The text of one rule file and the name to report it by.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The rule files built into the binary.
pub fn builtin() -> Vec<RuleFile> {
    BUILTIN
        .iter()
        .map(|(name, text)| RuleFile {
            name: (*name).to_owned(),
            bytes: text.as_bytes().to_vec(),
        })
        .collect()
}

/// Whether a file name is a rule file: `*.yaml` or `*.yml`, but not a `*.tests.yaml` companion.
pub fn is_rule_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml")) && !lower.contains(".tests.")
}

/// Every rule file below `dir`, in sorted order.
pub fn read_dir(dir: &Path) -> Result<Vec<RuleFile>, Problem> {
    let mut paths = Vec::new();
    crate::walk::collect(dir, &is_rule_file, &mut paths)
        .map_err(|e| Problem::new(&dir.display().to_string(), None, None, e.to_string()))?;
    if paths.is_empty() {
        return Err(Problem::new(
            &dir.display().to_string(),
            None,
            None,
            "no rule files (*.yaml, *.yml) here".into(),
        ));
    }
    paths
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            std::fs::read(&path)
                .map(|bytes| RuleFile {
                    name: name.clone(),
                    bytes,
                })
                .map_err(|e| Problem::new(&name, None, None, e.to_string()))
        })
        .collect()
}

/// A rule with its conditions compiled for one sandbox.
pub struct CompiledRule {
    pub rule: Rule,
    pub file: String,
    pub applies: Node,
    /// One per symptom, `None` for symptoms with no condition.
    pub symptoms: Vec<Option<Node>>,
    pub cause: Node,
    pub prerequisites: Vec<Node>,
    /// The resolution's file table, which `file_bits()` consults.
    pub table: Rc<[FileRow]>,
}

/// Loads and compiles every file; on any problem, returns all of them and no rules.
pub fn load(sandbox: &Sandbox, files: &[RuleFile]) -> Result<Vec<CompiledRule>, Vec<Problem>> {
    let mut rules: Vec<CompiledRule> = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        match load_one(sandbox, file) {
            Ok(compiled) => {
                if let Some(first) = rules.iter().find(|r| r.rule.id == compiled.rule.id) {
                    problems.push(Problem::new(
                        &file.name,
                        None,
                        None,
                        format!(
                            "rule id {} is also defined in {}",
                            compiled.rule.id, first.file
                        ),
                    ));
                } else {
                    rules.push(compiled);
                }
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

fn load_one(sandbox: &Sandbox, file: &RuleFile) -> Result<CompiledRule, Vec<Problem>> {
    let text = source::text_from_bytes(file.bytes.clone())
        .map_err(|e| vec![Problem::new(&file.name, None, None, e.to_string())])?;
    let rule = rule::parse(&text).map_err(|e| {
        vec![Problem::new(
            &file.name,
            Some(&text),
            e.location(),
            e.to_string(),
        )]
    })?;

    let mut problems = Vec::new();
    let mut compile = |what: &str, condition: &rule::Condition| -> Option<Node> {
        match Node::compile(sandbox, condition) {
            Ok(node) => Some(node),
            Err(errors) => {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|e| compile_problem(&file.name, &text, what, e)),
                );
                None
            }
        }
    };
    let applies = compile("applies_to.when", &rule.applies_to.when);
    let cause = compile("cause.when", &rule.cause.when);
    // A failed compile gives None here and a problem, so nothing below runs with a gap.
    let symptoms: Vec<Option<Node>> = (rule.symptoms.iter())
        .map(|s| (s.when.as_ref()).and_then(|c| compile(&format!("symptom {}", s.id), c)))
        .collect();
    let prerequisites: Vec<Option<Node>> = (rule.prerequisites.iter())
        .map(|p| compile(&format!("prerequisite {}", p.id), &p.when))
        .collect();
    let (Some(applies), Some(cause), true) = (applies, cause, problems.is_empty()) else {
        return Err(problems);
    };
    Ok(CompiledRule {
        table: rule
            .resolution
            .as_ref()
            .map_or_else(Vec::new, |r| r.files.clone())
            .into(),
        file: file.name.clone(),
        applies,
        cause,
        symptoms,
        prerequisites: prerequisites.into_iter().flatten().collect(),
        rule,
    })
}

/// A Rhai compile error, located in the rule file rather than in the expression string.
fn compile_problem(file: &str, text: &str, what: &str, e: NodeCompileError) -> Problem {
    let location = locate_in_file(text, &e.expr, e.error.line, e.error.column);
    Problem::new(
        file,
        Some(text),
        location,
        format!("{what}: Rhai syntax error: {}", e.error.message),
    )
}

/// Finds line `line`, column `column` of expression `expr` in the rule file `text`. YAML gives
/// no positions for values that parsed, so the expression's lines are looked up in the source.
fn locate_in_file(text: &str, expr: &str, line: usize, column: usize) -> Option<Location> {
    let lines: Vec<&str> = expr.lines().collect();
    let first = lines.iter().map(|l| l.trim()).find(|l| !l.is_empty())?;
    let anchor = text.find(first)?;
    let target = lines.get(line.saturating_sub(1)).copied().unwrap_or(first);
    let lead = target.len() - target.trim_start().len();
    let offset = anchor + text[anchor..].find(target.trim())?;
    let mut at = source::location_of(text, offset);
    at.column += column.saturating_sub(1 + lead);
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_point_into_the_rule_file() {
        let text = "id: KB1\ntitle: t\napplies_to: {when: 'true'}\ncause:\n  text: c\n  when: |\n    fact(\"os.name\") ==\n      == 2\n";
        let file = RuleFile {
            name: "r.yaml".into(),
            bytes: text.as_bytes().to_vec(),
        };
        let problems = load(&Sandbox::new(), &[file]).err().unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, Some(Location { line: 8, column: 7 }));
        assert!(
            problems[0]
                .message
                .starts_with("cause.when: Rhai syntax error"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn builtin_rules_load() {
        let rules = load(&Sandbox::new(), &builtin()).unwrap_or_else(|p| panic!("{p:?}"));
        assert!(!rules.is_empty());
    }
}
