//! Compiled conditions and their three-valued (Kleene) evaluation.

use rhai::AST;
use serde::Serialize;

use crate::engine::evidence::Entries;
use crate::engine::native::Native;
use crate::engine::script::{CompileError, Sandbox, Value};
use crate::input::source::Location;
use crate::rules::rule::Condition;
use crate::rules::yaml_tree;

/// True, false, or unknown for lack of facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    True,
    False,
    Unknown,
}

/// Where an expression's text stands in its rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The start of the YAML scalar: its quote, or for a block its first line of text.
    pub at: Location,
    pub quoted: bool,
    /// A `|` or `>` block: the text starts on the next line.
    pub block: bool,
}

impl Site {
    fn of(node: &yaml_tree::Node) -> Option<Site> {
        match node {
            yaml_tree::Node::Scalar {
                plain, block, at, ..
            } => Some(Site {
                at: *at,
                quoted: !plain && !block,
                block: *block,
            }),
            _ => None,
        }
    }

    /// The place in the rule file `text` of line `line`, column `column` of the expression.
    pub fn locate(&self, text: &str, line: usize, column: usize) -> Location {
        if self.block {
            // Block content is indented as its first line is.
            let first = text.lines().nth(self.at.line - 1).unwrap_or_default();
            let indent = first.len() - first.trim_start().len();
            // A folded block (`>`) joins its lines with spaces: the expression's first line runs
            // over several lines of the file.
            let header = text
                .lines()
                .nth(self.at.line.saturating_sub(2))
                .unwrap_or_default();
            let folded = header
                .trim_end()
                .trim_end_matches(['-', '+'])
                .ends_with('>');
            if folded && line == 1 {
                let mut left = column;
                for (n, source) in text.lines().skip(self.at.line - 1).enumerate() {
                    let content = source.trim_start();
                    let width = content.chars().count();
                    if left <= width + 1 || content.is_empty() {
                        let indent = source.len() - content.len();
                        return Location {
                            line: self.at.line + n,
                            column: indent + left.min(width + 1),
                        };
                    }
                    left -= width + 1;
                }
            }
            Location {
                line: self.at.line + line - 1,
                column: indent + column,
            }
        } else if line <= 1 {
            Location {
                line: self.at.line,
                column: self.at.column + column - 1 + usize::from(self.quoted),
            }
        } else {
            self.at
        }
    }
}

/// A condition compiled for the sandbox it was compiled on.
#[derive(Debug, Clone)]
pub enum Node {
    Expr {
        label: Option<String>,
        expr: String,
        ast: AST,
        /// The expression's native form, when it has one (`native.rs`).
        native: Option<Box<Native>>,
        site: Option<Site>,
        /// Its number in the sandbox's shared expressions, when several rules write it
        /// (`Sandbox::share`, set when the rules load).
        shared: std::cell::Cell<Option<u32>>,
    },
    All(Option<String>, Vec<Node>),
    Any(Option<String>, Vec<Node>),
    Not(Option<String>, Box<Node>),
}

/// An expression that failed to compile, with where it stands.
#[derive(Debug, Clone)]
pub struct NodeCompileError {
    pub site: Option<Site>,
    pub error: CompileError,
}

/// An expression that failed while evaluating on a host.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("condition `{condition}`: {message}")]
pub struct EvalError {
    /// The condition's label, or its expression.
    pub condition: String,
    pub message: String,
}

/// The value of a condition on one host, with what decided it (each list bounded, saying what
/// it left out: `evidence.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub truth: Truth,
    /// Facts that decided the value (`name=value`).
    pub evidence: Entries,
    /// Facts whose absence left it unknown; empty unless `truth` is unknown.
    pub missing: Entries,
    /// Events or reported errors matched on the way to a true value.
    pub matches: Entries,
}

/// How the entries left out of each list are named (`Entries::into_vec`).
pub mod nouns {
    pub const READS: &str = "facts read";
    pub const MISSING: &str = "missing facts";
    pub const MATCHES: &str = "matching events or reported errors";
    pub const EVIDENCE: &str = "items of evidence";
}

impl Verdict {
    fn of(truth: Truth) -> Verdict {
        Verdict {
            truth,
            evidence: Entries::new(),
            missing: Entries::new(),
            matches: Entries::new(),
        }
    }

    fn absorb(&mut self, other: Verdict) {
        self.evidence.extend(other.evidence);
        self.missing.extend(other.missing);
        self.matches.extend(other.matches);
    }
}

impl Node {
    /// Compiles every expression in `condition`, collecting every error; an expression that
    /// fails is left empty, so the others can still be checked. `yaml` is the condition's node in
    /// the rule file, to place expressions.
    pub fn compile(
        sandbox: &Sandbox,
        condition: &Condition,
        yaml: Option<&yaml_tree::Node>,
    ) -> (Node, Vec<NodeCompileError>) {
        let mut errors = Vec::new();
        let node = compile_into(sandbox, condition, yaml, &mut errors);
        (node, errors)
    }

    /// The label, or the expression for a leaf without one.
    pub fn name(&self) -> String {
        match self {
            Node::Expr { label, expr, .. } => label
                .clone()
                .unwrap_or_else(|| crate::input::source::shorten(expr.trim(), 80).into_owned()),
            Node::All(l, _) => l.clone().unwrap_or_else(|| "all".into()),
            Node::Any(l, _) => l.clone().unwrap_or_else(|| "any".into()),
            Node::Not(l, _) => l.clone().unwrap_or_else(|| "not".into()),
        }
    }

    /// Evaluates on the host bound to `sandbox`. `all` stops at the first false child and `any`
    /// at the first true one: that child alone decides, and its facts are the evidence.
    pub fn eval(&self, sandbox: &Sandbox) -> Result<Verdict, EvalError> {
        match self {
            Node::Expr {
                ast,
                native,
                shared,
                ..
            } => {
                let (value, trace) = sandbox.run_slot(shared.get(), ast, native.as_deref());
                let truth = match value {
                    Value::True => Truth::True,
                    Value::False => Truth::False,
                    Value::Unknown(missing) => {
                        return Ok(Verdict {
                            truth: Truth::Unknown,
                            evidence: trace.reads,
                            missing,
                            matches: Entries::new(),
                        });
                    }
                    Value::Error(message) => {
                        return Err(EvalError {
                            condition: self.name(),
                            message,
                        });
                    }
                };
                Ok(Verdict {
                    truth,
                    evidence: trace.reads,
                    missing: Entries::new(),
                    matches: if truth == Truth::True {
                        trace.matches
                    } else {
                        Entries::new()
                    },
                })
            }
            Node::All(_, items) => combine(sandbox, items, Truth::False),
            Node::Any(_, items) => combine(sandbox, items, Truth::True),
            Node::Not(_, item) => {
                let mut v = item.eval(sandbox)?;
                v.truth = match v.truth {
                    Truth::True => Truth::False,
                    Truth::False => Truth::True,
                    Truth::Unknown => Truth::Unknown,
                };
                v.matches.clear();
                Ok(v)
            }
        }
    }
}

/// A condition's value on one host with every part below it, for `kbdiag explain`. Unlike
/// [`Node::eval`], every part is evaluated, and the ones that decided are marked.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    /// `expr`, `all`, `any` or `not`.
    pub kind: &'static str,
    pub label: Option<String>,
    pub expr: Option<String>,
    /// `true`, `false`, `unknown` or `error`.
    pub value: &'static str,
    /// Whether this part decided its parent's value.
    pub decisive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Explained>,
}

impl Node {
    /// Evaluates every part on the host bound to `sandbox`, keeping what each read.
    pub fn explain(&self, sandbox: &Sandbox) -> Explained {
        let mut e = Explained {
            kind: "expr",
            label: None,
            expr: None,
            value: "unknown",
            decisive: true,
            error: None,
            read: Vec::new(),
            missing: Vec::new(),
            matched: Vec::new(),
            parts: Vec::new(),
        };
        match self {
            Node::Expr {
                label,
                expr,
                ast,
                native,
                ..
            } => {
                let (value, trace) = sandbox.run(ast, native.as_deref());
                e.label = label.clone();
                e.expr = Some(expr.trim().to_owned());
                e.read = trace.reads.into_vec(nouns::READS);
                e.matched = trace.matches.into_vec(nouns::MATCHES);
                e.value = match value {
                    Value::True => "true",
                    Value::False => "false",
                    Value::Unknown(missing) => {
                        e.missing = missing.into_vec(nouns::MISSING);
                        "unknown"
                    }
                    Value::Error(message) => {
                        e.error = Some(message);
                        "error"
                    }
                };
            }
            Node::Not(label, item) => {
                let inner = item.explain(sandbox);
                e.kind = "not";
                e.label = label.clone();
                e.value = match inner.value {
                    "true" => "false",
                    "false" => "true",
                    other => other,
                };
                e.parts = vec![inner];
            }
            Node::All(label, items) | Node::Any(label, items) => {
                let (kind, decisive) = match self {
                    Node::All(..) => ("all", "false"),
                    _ => ("any", "true"),
                };
                e.kind = kind;
                e.label = label.clone();
                e.parts = items.iter().map(|i| i.explain(sandbox)).collect();
                // The same order as `eval`: the first decisive or failing part settles it.
                let first = e
                    .parts
                    .iter()
                    .position(|p| p.value == decisive || p.value == "error");
                let undecided = e.parts.iter().any(|p| p.value == "unknown");
                e.value = match first {
                    Some(i) => e.parts[i].value,
                    None if undecided => "unknown",
                    None if decisive == "true" => "false",
                    None => "true",
                };
                for (i, p) in e.parts.iter_mut().enumerate() {
                    p.decisive = match first {
                        Some(f) => i == f,
                        None if undecided => p.value == "unknown",
                        None => true,
                    };
                }
            }
        }
        e
    }
}

/// `all` (decisive = false) or `any` (decisive = true) in Kleene logic.
fn combine(sandbox: &Sandbox, items: &[Node], decisive: Truth) -> Result<Verdict, EvalError> {
    let other = if decisive == Truth::True {
        Truth::False
    } else {
        Truth::True
    };
    let mut settled = Verdict::of(other);
    let mut undecided = false;
    for item in items {
        let v = item.eval(sandbox)?;
        if v.truth == decisive {
            return Ok(v);
        }
        undecided |= v.truth == Truth::Unknown;
        settled.absorb(v);
    }
    if undecided {
        // What is known so far stays as evidence; the missing facts are what to collect.
        settled.truth = Truth::Unknown;
        settled.matches.clear();
    }
    Ok(settled)
}

fn compile_into(
    sandbox: &Sandbox,
    condition: &Condition,
    yaml: Option<&yaml_tree::Node>,
    errors: &mut Vec<NodeCompileError>,
) -> Node {
    let part = |key: &str| yaml.and_then(|y| y.get(key));
    let items = |key: &str, list: &[Condition], errors: &mut Vec<NodeCompileError>| -> Vec<Node> {
        let node = part(key);
        (list.iter().enumerate())
            .map(|(i, c)| compile_into(sandbox, c, node.and_then(|n| n.item(i)), errors))
            .collect()
    };
    match condition {
        Condition::Expr { label, expr } => {
            // A plain string is the expression itself; a map holds it under `expr`.
            let site = yaml.and_then(|y| Site::of(y).or_else(|| part("expr").and_then(Site::of)));
            let ast = sandbox.compile(expr).unwrap_or_else(|error| {
                errors.push(NodeCompileError { site, error });
                AST::empty()
            });
            Node::Expr {
                label: label.clone(),
                expr: expr.clone(),
                native: Native::of(&ast).map(Box::new),
                ast,
                site,
                shared: Default::default(),
            }
        }
        Condition::All { label, all } => Node::All(label.clone(), items("all", all, errors)),
        Condition::Any { label, any } => Node::Any(label.clone(), items("any", any, errors)),
        Condition::Not { label, not } => Node::Not(
            label.clone(),
            Box::new(compile_into(sandbox, not, part("not"), errors)),
        ),
    }
}

impl Node {
    /// Every expression below this node, in order.
    pub fn exprs(&self) -> Vec<&Node> {
        match self {
            Node::Expr { .. } => vec![self],
            Node::All(_, items) | Node::Any(_, items) => {
                items.iter().flat_map(Node::exprs).collect()
            }
            Node::Not(_, item) => item.exprs(),
        }
    }
}
