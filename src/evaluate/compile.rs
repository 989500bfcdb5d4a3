//! Loading a knowledge base: each rule file parsed, checked against the format, its conditions
//! compiled for one sandbox and linted, and the set checked for clashing ids; then the catalogue
//! of every rule's file table and rollups that the fix helpers read. Every problem is located in
//! its file.

use std::rc::Rc;

use crate::engine::condition::Node;
use crate::engine::lint;
use crate::engine::script::Sandbox;
use crate::evaluate::diagnosis::Shared;
use crate::input::source::{self, Location};
use crate::problem::Problem;
use crate::rules::catalogue::{Catalogue, Knowledge};
use crate::rules::kb::{RuleFile, digest};
use crate::rules::rule::{self, Rule};
use crate::rules::yaml_tree;

/// A rule with its conditions compiled for one sandbox.
pub struct CompiledRule {
    pub rule: Rule,
    pub file: String,
    pub applies: Node,
    /// Whether the host is one of the listed products, when the rule says how to tell.
    pub products: Option<Node>,
    /// One per symptom, `None` for symptoms with no condition.
    pub symptoms: Vec<Option<Node>>,
    pub cause: Node,
    pub prerequisites: Vec<Node>,
    /// The rule's file table and fix, and the knowledge base's catalogue, which
    /// `file_bits()`, `fixed_file()` and `fix_installed()` consult.
    pub knowledge: Rc<Knowledge>,
    /// Whether the host has the fix, when the rule says how to tell.
    pub fixed: Option<Node>,
    /// Whether the workaround comes first on the host, when the rule says how to tell.
    pub workaround_first: Option<Node>,
    /// The rule's static texts as every diagnosis carries them, made once.
    pub texts: Texts,
    /// Where its conditions that other rules write the same way are kept per host.
    pub kept: crate::evaluate::kept::Slots,
}

impl CompiledRule {
    /// Every condition of the rule.
    pub fn conditions(&self) -> impl Iterator<Item = &Node> {
        [&self.applies, &self.cause]
            .into_iter()
            .chain(self.products.iter())
            .chain(self.symptoms.iter().flatten())
            .chain(self.fixed.iter())
            .chain(self.prerequisites.iter())
            .chain(self.workaround_first.iter())
    }
}

/// The texts a diagnosis quotes from its rule unchanged, shared (see [`Shared`]).
pub struct Texts {
    /// The rule's id.
    pub kb: Shared,
    pub aliases: std::sync::Arc<[Shared]>,
    /// The article revision the rule was written from.
    pub revision: Option<Shared>,
    /// `sha256:` and the SHA-256 of the rule file's bytes: which exact rule evaluated a host.
    pub digest: Shared,
    pub title: Shared,
    pub explanation: Shared,
    pub support_note: Option<Shared>,
    /// Per symptom: its text, and what to ask.
    pub symptoms: Vec<(Shared, Option<Shared>)>,
    /// The resolution's texts (trimmed; `%VAR%`s are filled in per host) and file table.
    pub hotfix: Option<crate::evaluate::diagnosis::Hotfix>,
    /// The summary of a host the article is not about: what it is about, and its products.
    pub not_applicable: String,
    /// The articles of the knowledge base whose fix is a later build of every file of this
    /// one's table: `KB320392 (a later build of Tcpip.sys)`.
    pub covered_by: Vec<Shared>,
    /// The `%VAR%`s the texts shown for a host name (`SystemRoot`), each once, ignoring case.
    pub vars: Vec<String>,
}

/// The `%VAR%`s of the texts `rule` shows for a host, each once (ignoring case), in order.
fn text_vars(rule: &Rule) -> Vec<String> {
    let mut texts: Vec<&str> = vec![&rule.cause.text];
    for s in &rule.symptoms {
        texts.push(&s.text);
        texts.extend(s.ask.as_deref());
    }
    for p in &rule.prerequisites {
        texts.push(&p.text);
        texts.extend(p.install.as_deref());
    }
    if let Some(r) = &rule.resolution {
        texts.push(&r.summary);
        texts.extend(
            [
                &r.caveat,
                &r.obtain,
                &r.install,
                &r.note,
                &r.files_note,
                &r.to,
            ]
            .into_iter()
            .flatten()
            .map(String::as_str),
        );
        texts.extend(r.steps.iter().map(String::as_str));
    }
    if let Some(w) = &rule.workaround {
        texts.extend(w.text.as_deref());
        texts.extend(w.steps.iter().map(String::as_str));
    }
    for a in &rule.alternatives {
        texts.extend(a.text.as_deref());
        texts.extend(a.steps.iter().map(String::as_str));
    }
    let mut vars: Vec<String> = Vec::new();
    for text in texts {
        for name in crate::engine::matching::expand_vars(text, |_| None).1 {
            if !vars.iter().any(|v| v.eq_ignore_ascii_case(&name)) {
                vars.push(name);
            }
        }
    }
    vars
}

/// [`Texts::not_applicable`].
fn not_applicable(rule: &Rule) -> String {
    let about = rule.applies_to.when.label().map_or(String::new(), |l| {
        format!(" for which \"{l}\" holds, and the facts say it does not")
    });
    match rule.applies_to.products.as_slice() {
        [] => format!("Not applicable: the article is about hosts{about}."),
        products => format!(
            "Not applicable: the article is about hosts{about}. It lists {}.",
            products.join("; ")
        ),
    }
}

impl Texts {
    fn of(rule: &Rule, digest: &str) -> Texts {
        let trimmed = |t: &str| Shared::new(t.trim());
        Texts {
            kb: Shared::new(&rule.id),
            aliases: rule.aliases.iter().map(|a| Shared::new(a)).collect(),
            revision: rule.revision.as_ref().map(|r| Shared::new(r.as_str())),
            digest: Shared::new(digest),
            title: Shared::new(&rule.title),
            explanation: trimmed(&rule.cause.text),
            support_note: (rule.resolution.as_ref())
                .and_then(|r| r.note.as_deref())
                .map(trimmed),
            symptoms: (rule.symptoms.iter())
                .map(|s| (trimmed(&s.text), s.ask.as_deref().map(trimmed)))
                .collect(),
            hotfix: rule
                .resolution
                .as_ref()
                .map(|r| crate::evaluate::diagnosis::Hotfix {
                    summary: trimmed(&r.summary),
                    caveat: r.caveat.as_deref().map(trimmed),
                    obtain: r.obtain.as_deref().map(trimmed),
                    install: r.install.as_deref().map(trimmed),
                    url: r.url.as_deref().map(Shared::new),
                    note: r.note.as_deref().map(trimmed),
                    steps: r.steps.iter().map(|s| trimmed(s)).collect(),
                    links: r.links.clone().into(),
                    files: r.files.clone().into(),
                    files_note: r.files_note.as_deref().map(trimmed),
                    files_not_utc: r.files_utc == Some(false),
                }),
            not_applicable: not_applicable(rule),
            covered_by: Vec::new(),
            vars: text_vars(rule),
        }
    }
}

/// Rules ready to evaluate, and the warnings found loading them.
pub struct Loaded {
    pub rules: Vec<CompiledRule>,
    /// The verdicts of the conditions several rules write the same way, per host.
    pub kept: crate::evaluate::kept::Kept,
    pub warnings: Vec<Problem>,
}

/// Loads and compiles every file. Any error refuses the whole set, and comes back with every
/// other problem found (errors and warnings, in file order).
pub fn load(sandbox: &Sandbox, files: &[RuleFile]) -> Result<Loaded, Vec<Problem>> {
    let mut rules: Vec<CompiledRule> = Vec::new();
    let mut problems = Vec::new();
    let mut failed = false;
    for file in files {
        match load_one(sandbox, file) {
            Ok(Loaded1 {
                compiled,
                warnings,
                text,
                tree,
            }) => {
                problems.extend(warnings);
                // Ids and aliases name rules on the command line and in fact files, in any case.
                let names = |r: &Rule| -> Vec<String> {
                    std::iter::once(&r.id)
                        .chain(&r.aliases)
                        .map(|n| n.to_lowercase())
                        .collect()
                };
                let ours = names(&compiled.rule);
                let clash = rules.iter().find_map(|r| {
                    let theirs = names(&r.rule);
                    let name = ours.iter().find(|n| theirs.contains(n))?;
                    Some((name.clone(), r.file.clone()))
                });
                let twice = (ours.iter().enumerate()).find(|(i, n)| ours[..*i].contains(n));
                if let Some((name, other)) = clash {
                    failed = true;
                    problems.push(Problem::new(
                        &file.name,
                        Some(&text),
                        tree.get("id").map(|n| n.at()),
                        format!(
                            "rule {} is also named `{name}` by {other}: ids and aliases must be \
                             unique across the rules, ignoring case",
                            compiled.rule.id
                        ),
                    ));
                } else if let Some((_, name)) = twice {
                    failed = true;
                    problems.push(Problem::new(
                        &file.name,
                        Some(&text),
                        tree.get("aliases").map(|n| n.at()),
                        format!(
                            "rule {} is named `{name}` twice by its id and aliases (ignoring case)",
                            compiled.rule.id
                        ),
                    ));
                } else {
                    rules.push(compiled);
                }
            }
            Err(mut found) => {
                failed = true;
                problems.append(&mut found);
            }
        }
    }
    // An expression several rules write the same way is evaluated once per host (the
    // sandbox keeps those that read only the host's facts).
    let mut written: std::collections::HashMap<&str, usize> = Default::default();
    let exprs = || (rules.iter()).flat_map(|r| r.conditions().flat_map(Node::exprs));
    for e in exprs() {
        if let Node::Expr { expr, .. } = e {
            *written.entry(expr.as_str()).or_default() += 1;
        }
    }
    for e in exprs() {
        if let Node::Expr { expr, shared, .. } = e {
            if written.get(expr.as_str()).is_some_and(|n| *n > 1) {
                shared.set(sandbox.share(expr));
            }
        }
    }
    drop(written);
    // Likewise a whole condition several rules write the same way, of such expressions.
    let kept = crate::evaluate::kept::Kept::number(&mut rules);
    // Each rule's helpers see every rule's file table and rollups.
    let catalogue = Rc::new(Catalogue::of(rules.iter().map(|r| &r.rule)));
    for r in &mut rules {
        r.knowledge = Rc::new(Knowledge::of(&r.rule, catalogue.clone()));
        r.texts.covered_by = (catalogue.later_fixes(&r.rule.id).into_iter())
            .map(|(id, files)| {
                Shared::new(&format!("{id} (a later build of {})", files.join(", ")))
            })
            .collect();
    }
    if failed {
        Err(problems)
    } else {
        Ok(Loaded {
            rules,
            kept,
            warnings: problems,
        })
    }
}

/// Every problem in `files`, errors and warnings, in file order.
pub fn check(sandbox: &Sandbox, files: &[RuleFile]) -> Vec<Problem> {
    match load(sandbox, files) {
        Ok(loaded) => loaded.warnings,
        Err(problems) => problems,
    }
}

/// A rule's conditions, compiled from its YAML tree; `None` where one is missing or malformed.
struct Parts {
    applies: Option<Node>,
    products: Option<Node>,
    cause: Option<Node>,
    symptoms: Vec<Option<Node>>,
    prerequisites: Vec<Option<Node>>,
    fixed: Option<Node>,
    workaround_first: Option<Node>,
}

/// One rule file loaded, with what `load` needs to check it against the others.
struct Loaded1 {
    compiled: CompiledRule,
    warnings: Vec<Problem>,
    text: String,
    tree: yaml_tree::Node,
}

fn load_one(sandbox: &Sandbox, file: &RuleFile) -> Result<Loaded1, Vec<Problem>> {
    let problem = |text: Option<&str>, at: Option<Location>, message: String| {
        Problem::new(&file.name, text, at, message)
    };
    let text = source::text_from_bytes(&file.bytes)
        .map_err(|e| vec![problem(None, e.location(), e.to_string())])?;
    let tree = crate::rules::validate::parse_tree(text)
        .map_err(|e| vec![problem(Some(text), e.at, e.message)])?;
    let mut problems = Vec::new();
    let rule = rule::from_tree(text, &tree)
        .map_err(|errors| {
            problems.extend(
                errors
                    .into_iter()
                    .map(|e| problem(Some(text), e.at, e.message)),
            );
        })
        .ok();
    if let Some(r) = rule.as_ref().and_then(|r| r.resolution.as_ref()) {
        use crate::rules::rule::ResolutionKind;
        let needs = match r.kind {
            ResolutionKind::Setting if r.setting.is_none() => {
                Some("`setting: {path, value, type}`")
            }
            ResolutionKind::Setting
                if r.setting
                    .as_ref()
                    .is_some_and(|s| s.value.is_none() && s.values.is_empty()) =>
            {
                Some("a `setting.value`, or `setting.values` for a REG_MULTI_SZ list")
            }
            ResolutionKind::Upgrade if r.to.is_none() => Some("`to:` (what to upgrade to)"),
            _ => None,
        };
        if let Some(needs) = needs {
            let at = tree
                .get("resolution")
                .and_then(|n| n.get("kind"))
                .map(|n| n.at());
            problems.push(problem(
                Some(text),
                at,
                format!("resolution.kind: {:?} needs {needs}", r.kind).to_lowercase(),
            ));
        }
    }
    // Conditions are compiled from the tree, so their problems are found even when the rule's
    // structure has others.
    let parts = compile_parts(sandbox, &tree, &file.name, text, &mut problems);
    let (mut warnings, errors): (Vec<Problem>, Vec<Problem>) =
        lint(sandbox, &parts, &file.name, text)
            .into_iter()
            .partition(|p| p.warning);
    problems.extend(errors);
    warnings.extend(hidden_characters(&file.name, text));
    warnings.extend(todos(&file.name, text));
    match (rule, parts) {
        (
            Some(rule),
            Parts {
                applies: Some(applies),
                products,
                cause: Some(cause),
                symptoms,
                prerequisites,
                fixed,
                workaround_first,
            },
        ) if problems.is_empty() => {
            let compiled = CompiledRule {
                knowledge: Rc::new(Knowledge::of(&rule, Rc::default())),
                fixed,
                workaround_first,
                file: file.name.clone(),
                texts: Texts::of(&rule, &digest(&file.bytes)),
                applies,
                products,
                cause,
                symptoms,
                prerequisites: prerequisites.into_iter().flatten().collect(),
                rule,
                kept: Default::default(),
            };
            Ok(Loaded1 {
                compiled,
                warnings,
                text: text.to_owned(),
                tree,
            })
        }
        _ => {
            problems.extend(warnings);
            problems.sort_by_key(|p| p.location);
            Err(problems)
        }
    }
}

/// Why a plain YAML scalar may have lost its end: ` #` starts a YAML comment, so an unquoted
/// `event("Tcpip", 4199, #{log: "System"})` reaches Rhai as `event("Tcpip", 4199,`.
fn comment_hint(text: &str, line: usize) -> Option<&'static str> {
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let value = source.trim_start().trim_start_matches("- ");
    let value = value.split_once(": ").map_or(value, |(key, rest)| {
        if key.contains(['"', '\'', '(']) {
            value
        } else {
            rest
        }
    });
    let quoted = value.starts_with(['\'', '"', '|', '>']);
    (!quoted && value.contains(" #")).then_some(
        "; quote the condition: ` #` starts a YAML comment, so the condition ended before it \
         (write it in single quotes, or as a block with `|`)",
    )
}

fn compile_parts(
    sandbox: &Sandbox,
    tree: &yaml_tree::Node,
    file: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Parts {
    let mut compile = |what: String, yaml: Option<&yaml_tree::Node>| -> Option<Node> {
        let yaml = yaml?;
        let condition = rule::Condition::from_yaml(yaml)?;
        let (node, errors) = Node::compile(sandbox, &condition, Some(yaml));
        problems.extend(errors.into_iter().map(|e| {
            let at = e.site.map(|s| s.locate(text, e.error.line, e.error.column));
            let mut message = format!("{what}: Rhai syntax error: {}", e.error.message);
            if let Some(hint) = at.and_then(|at| comment_hint(text, at.line)) {
                message.push_str(hint);
            }
            Problem::new(file, Some(text), at, message)
        }));
        Some(node)
    };
    let items = |list: &str| match tree.get(list) {
        Some(yaml_tree::Node::Seq(items, _)) => items.as_slice(),
        _ => &[],
    };
    let when = |part: &str| tree.get(part).and_then(|p| p.get("when"));
    Parts {
        applies: compile("applies_to.when".into(), when("applies_to")),
        products: compile(
            "applies_to.products_when".into(),
            tree.get("applies_to").and_then(|p| p.get("products_when")),
        ),
        cause: compile("cause.when".into(), when("cause")),
        fixed: compile("fixed".into(), tree.get("fixed")),
        workaround_first: compile(
            "workaround.first".into(),
            tree.get("workaround").and_then(|w| w.get("first")),
        ),
        symptoms: (items("symptoms").iter().enumerate())
            .map(|(i, s)| compile(format!("symptoms[{i}].when"), s.get("when")))
            .collect(),
        prerequisites: (items("prerequisites").iter().enumerate())
            .map(|(i, p)| compile(format!("prerequisites[{i}].when"), p.get("when")))
            .collect(),
    }
}

/// A warning for each line holding a control character, a bidirectional override or an
/// invisible character: a rule can make a report read as something it is not ("Trojan Source").
fn hidden_characters(file: &str, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some((column, c)) = (line.chars().enumerate())
            .find(|(_, c)| (c.is_control() && *c != '\t') || crate::chars::is_invisible(*c))
        else {
            continue;
        };
        let at = Location {
            line: n + 1,
            column: column + 1,
        };
        problems.push(Problem::warning(
            file,
            Some(text),
            Some(at),
            format!(
                "the character {} is hidden or moves text in a terminal; write it escaped (\\u{{{:x}}}) if it is meant",
                c.escape_unicode(),
                c as u32
            ),
        ));
    }
    problems
}

/// A warning for each line holding `TODO`: a skeleton's or a draft's part not yet written (a
/// condition left `unknown`, a text left as a placeholder) must not pass as a finished rule.
fn todos(file: &str, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(at) = line.find("TODO") else {
            continue;
        };
        let column = line[..at].chars().count() + 1;
        let rest: String = line[at + 4..]
            .trim_start_matches([':', ' '])
            .trim_end_matches(['"', '\''])
            .chars()
            .take(120)
            .collect();
        problems.push(Problem::warning(
            file,
            Some(text),
            Some(Location {
                line: n + 1,
                column,
            }),
            format!(
                "TODO left: {}",
                if rest.is_empty() {
                    "(no text)"
                } else {
                    rest.trim()
                }
            ),
        ));
    }
    problems
}

/// More conditions than a support article needs: `check` warns of the cost.
const MANY_CONDITIONS: usize = 200;

/// Warnings for every expression compiled from a rule file, placed in the file.
fn lint(sandbox: &Sandbox, parts: &Parts, file: &str, text: &str) -> Vec<Problem> {
    let all = [
        &parts.applies,
        &parts.products,
        &parts.cause,
        &parts.fixed,
        &parts.workaround_first,
    ]
    .into_iter()
    .chain(&parts.symptoms)
    .chain(&parts.prerequisites)
    .flatten();
    let mut problems = Vec::new();
    let all: Vec<&Node> = all.collect();
    let count: usize = all.iter().map(|n| n.exprs().len()).sum();
    if count > MANY_CONDITIONS {
        problems.push(Problem::warning(
            file,
            Some(text),
            None,
            format!(
                "{count} conditions: each host evaluates them all, within the rule's budget of {} operations",
                crate::engine::script::limits::RULE_OPERATIONS
            ),
        ));
    }
    for node in all {
        for expr in node.exprs() {
            let Node::Expr { ast, site, .. } = expr else {
                continue;
            };
            for w in lint::check(ast, sandbox) {
                let at = site.map(|s| s.locate(text, w.line, w.column));
                problems.push(if w.error {
                    Problem::new(file, Some(text), at, w.message)
                } else {
                    Problem::warning(file, Some(text), at, w.message)
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::kb::builtin;

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
        let loaded = load(&Sandbox::new(), &builtin()).unwrap_or_else(|p| panic!("{p:?}"));
        assert!(!loaded.rules.is_empty());
        assert_eq!(loaded.warnings, []);
    }
}
