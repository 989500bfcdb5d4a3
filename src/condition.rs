//! Compiled conditions and their three-valued (Kleene) evaluation.

use rhai::AST;
use serde::Serialize;

use crate::rule::Condition;
use crate::script::{CompileError, Sandbox, Value};

/// True, false, or unknown for lack of facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    True,
    False,
    Unknown,
}

/// A condition compiled for the sandbox it was compiled on.
#[derive(Debug, Clone)]
pub enum Node {
    Expr {
        label: Option<String>,
        expr: String,
        ast: AST,
    },
    All(Option<String>, Vec<Node>),
    Any(Option<String>, Vec<Node>),
    Not(Option<String>, Box<Node>),
}

/// An expression that failed to compile, with the expression text.
#[derive(Debug, Clone)]
pub struct NodeCompileError {
    pub expr: String,
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

/// The value of a condition on one host, with what decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub truth: Truth,
    /// Facts that decided the value (`name=value`).
    pub evidence: Vec<String>,
    /// Facts whose absence left it unknown; empty unless `truth` is unknown.
    pub missing: Vec<String>,
    /// Events or reported errors matched on the way to a true value.
    pub matches: Vec<String>,
}

impl Verdict {
    fn of(truth: Truth) -> Verdict {
        Verdict {
            truth,
            evidence: Vec::new(),
            missing: Vec::new(),
            matches: Vec::new(),
        }
    }

    fn absorb(&mut self, other: Verdict) {
        merge(&mut self.evidence, other.evidence);
        merge(&mut self.missing, other.missing);
        merge(&mut self.matches, other.matches);
    }
}

fn merge(into: &mut Vec<String>, from: Vec<String>) {
    for item in from {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

impl Node {
    /// Compiles every expression in `condition`, collecting every error.
    pub fn compile(
        sandbox: &Sandbox,
        condition: &Condition,
    ) -> Result<Node, Vec<NodeCompileError>> {
        let mut errors = Vec::new();
        let node = compile_into(sandbox, condition, &mut errors);
        if errors.is_empty() {
            Ok(node)
        } else {
            Err(errors)
        }
    }

    /// The label, or the expression for a leaf without one.
    pub fn name(&self) -> String {
        match self {
            Node::Expr { label, expr, .. } => {
                label.clone().unwrap_or_else(|| expr.trim().to_owned())
            }
            Node::All(l, _) => l.clone().unwrap_or_else(|| "all".into()),
            Node::Any(l, _) => l.clone().unwrap_or_else(|| "any".into()),
            Node::Not(l, _) => l.clone().unwrap_or_else(|| "not".into()),
        }
    }

    /// Evaluates on the host bound to `sandbox`. `all` stops at the first false child and `any`
    /// at the first true one: that child alone decides, and its facts are the evidence.
    pub fn eval(&self, sandbox: &Sandbox) -> Result<Verdict, EvalError> {
        match self {
            Node::Expr { ast, .. } => {
                let (value, trace) = sandbox.eval(ast);
                let truth = match value {
                    Value::True => Truth::True,
                    Value::False => Truth::False,
                    Value::Unknown(missing) => {
                        return Ok(Verdict {
                            truth: Truth::Unknown,
                            evidence: trace.reads,
                            missing,
                            matches: Vec::new(),
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
                    missing: Vec::new(),
                    matches: if truth == Truth::True {
                        trace.matches
                    } else {
                        Vec::new()
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
    errors: &mut Vec<NodeCompileError>,
) -> Node {
    let all = |items: &[Condition], errors: &mut Vec<NodeCompileError>| -> Vec<Node> {
        items
            .iter()
            .map(|c| compile_into(sandbox, c, errors))
            .collect()
    };
    match condition {
        Condition::Expr { label, expr } => {
            let ast = sandbox.compile(expr).unwrap_or_else(|error| {
                errors.push(NodeCompileError {
                    expr: expr.clone(),
                    error,
                });
                AST::empty()
            });
            Node::Expr {
                label: label.clone(),
                expr: expr.clone(),
                ast,
            }
        }
        Condition::All { label, all: items } => Node::All(label.clone(), all(items, errors)),
        Condition::Any { label, any: items } => Node::Any(label.clone(), all(items, errors)),
        Condition::Not { label, not } => {
            Node::Not(label.clone(), Box::new(compile_into(sandbox, not, errors)))
        }
    }
}
