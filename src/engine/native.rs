//! Native conditions: the common forms of a condition, recognised once in its compiled Rhai
//! syntax tree and evaluated in Rust, without the interpreter. They call the same helper
//! functions Rhai calls (`helpers.rs`, `events.rs`), in the order Rhai would, so they read and
//! record the same facts. Anything else — and any outcome Rhai would explain differently, such as
//! a comparison of a number with text or a helper's error — is left to Rhai.
//!
//! The forms: a helper that answers true or false (`has_hotfix("Q246009")`, `reported("…")`,
//! `event("MSExchangeMTA", 9318, #{type: "Warning"})`); `fact("…")` or `file_bits("…")`
//! compared with `==` or `!=` to a literal; `icontains(fact("…"), "…")` and `ieq(…)`; and
//! `if … { … } else if … { … } else { … }` whose tests and branches are native forms, `true`,
//! `false` or `unknown("…")`.

use rhai::{AST, Dynamic, Expr, FnCallExpr, Stmt, StmtBlock};

use crate::engine::events::{EventFilter, events};
use crate::engine::helpers::{self, Fallible, Probe};

/// A condition in one of the native forms.
#[derive(Debug, Clone)]
pub enum Native {
    /// A helper answering true or false.
    Test(Test),
    /// A helper's value compared with a literal (`!=` when `equal` is false).
    Compare {
        value: Value,
        equal: bool,
        literal: Literal,
    },
    /// `icontains(fact(path), text)` (`ieq` when `whole` is true).
    Text {
        fact: String,
        text: String,
        whole: bool,
    },
    /// `if test { then } else { otherwise }` (`else if` is an `If` as `otherwise`).
    If(Box<[Native; 3]>),
    /// `true` or `false`.
    Bool(bool),
    /// `unknown(fact)`: the fact named is missing.
    Unknown(String),
}

/// A helper that answers true or false.
#[derive(Debug, Clone)]
pub enum Test {
    HasHotfix(String),
    Reported(String),
    Event(String, i64, EventFilter),
}

/// A helper that gives a value.
#[derive(Debug, Clone)]
pub enum Value {
    Fact(String),
    FileBits(String),
}

/// A literal as Rhai reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Int(i64),
}

impl Native {
    /// The native form of a compiled expression, if it has one: a single expression, no
    /// functions of its own.
    pub fn of(ast: &AST) -> Option<Native> {
        if ast.has_functions() {
            return None;
        }
        match ast.statements() {
            [stmt] => statement(stmt),
            _ => None,
        }
    }

    /// The condition's value on the probe's host: `None` when Rhai must evaluate it (to give
    /// its own answer or error); otherwise true, false, or a helper's error (a missing fact).
    pub(crate) fn run(&self, probe: &mut Probe) -> Option<Fallible<bool>> {
        match self {
            Native::Test(test) => Some(match test {
                Test::HasHotfix(id) => helpers::has_hotfix(probe, id),
                Test::Reported(text) => helpers::reported(probe, text),
                Test::Event(source, id, filter) => events(probe, source, *id, filter),
            }),
            Native::Compare {
                value,
                equal,
                literal,
            } => {
                let same = match value {
                    Value::FileBits(path) => match (helpers::file_bits_at(probe, path), literal) {
                        (Err(e), _) => return Some(Err(e)),
                        (Ok(bits), Literal::Int(want)) => bits == *want,
                        _ => return None,
                    },
                    Value::Fact(path) => match helpers::fact(probe, path) {
                        Err(e) => return Some(Err(e)),
                        Ok(v) => equals(&v, literal)?,
                    },
                };
                Some(Ok(same == *equal))
            }
            Native::If(parts) => {
                let [test, then, otherwise] = parts.as_ref();
                match test.run(probe)? {
                    Err(e) => Some(Err(e)),
                    Ok(true) => then.run(probe),
                    Ok(false) => otherwise.run(probe),
                }
            }
            Native::Bool(truth) => Some(Ok(*truth)),
            Native::Unknown(fact) => Some(Err(probe.missing(fact))),
            Native::Text { fact, text, whole } => match helpers::fact(probe, fact) {
                Err(e) => Some(Err(e)),
                Ok(v) => {
                    let have = v.read_lock::<rhai::ImmutableString>()?;
                    Some(if *whole {
                        helpers::ieq(probe, &have, text)
                    } else {
                        helpers::icontains(probe, &have, text)
                    })
                }
            },
        }
    }
}

/// The native form of a statement: an expression, or an `if` with both branches.
fn statement(stmt: &Stmt) -> Option<Native> {
    match stmt {
        Stmt::Expr(expr) => expression(expr),
        Stmt::FnCall(call, _) => call_form(call),
        Stmt::If(flow, _) => Some(Native::If(Box::new([
            expression(&flow.expr)?,
            block(&flow.body)?,
            block(&flow.branch)?,
        ]))),
        _ => None,
    }
}

/// A block of one statement (an empty one, such as a missing `else`, gives `()`: Rhai's).
fn block(block: &StmtBlock) -> Option<Native> {
    match block.statements() {
        [stmt] => statement(stmt),
        _ => None,
    }
}

fn expression(expr: &Expr) -> Option<Native> {
    match expr {
        Expr::FnCall(call, _) => call_form(call),
        Expr::BoolConstant(truth, _) => Some(Native::Bool(*truth)),
        _ => None,
    }
}

fn call_form(call: &FnCallExpr) -> Option<Native> {
    let args = call.args.as_slice();
    match (call.name.as_str(), args) {
        (op @ ("==" | "!="), [left, right]) => Some(Native::Compare {
            value: value(left)?,
            equal: op == "==",
            literal: literal(right)?,
        }),
        (name @ ("icontains" | "ieq"), [Expr::FnCall(inner, _), text]) => {
            let [path] = inner.args.as_slice() else {
                return None;
            };
            (inner.name == "fact").then_some(())?;
            Some(Native::Text {
                fact: text_of(path)?,
                text: text_of(text)?,
                whole: name == "ieq",
            })
        }
        ("unknown", [fact]) => Some(Native::Unknown(text_of(fact)?)),
        _ => test(call).map(Native::Test),
    }
}

/// `==` as Rhai answers it for a fact's value and a literal of the same type; `None` for types
/// that differ (Rhai's strict comparison explains the error).
fn equals(v: &Dynamic, literal: &Literal) -> Option<bool> {
    match literal {
        Literal::Text(want) => Some(v.read_lock::<rhai::ImmutableString>()?.as_str() == want),
        Literal::Int(want) => Some(v.as_int().ok()? == *want),
    }
}

fn test(call: &FnCallExpr) -> Option<Test> {
    match (call.name.as_str(), call.args.as_slice()) {
        ("has_hotfix", [id]) => Some(Test::HasHotfix(text_of(id)?)),
        ("reported", [text]) => Some(Test::Reported(text_of(text)?)),
        ("event", [source, Expr::IntegerConstant(id, _)]) => {
            Some(Test::Event(text_of(source)?, *id, EventFilter::default()))
        }
        ("event", [source, Expr::IntegerConstant(id, _), Expr::Map(map, _)]) => {
            // Built once here, as Rhai builds it on every call; a filter Rhai would refuse is
            // left to Rhai, to refuse it with its message.
            let mut filters = rhai::Map::new();
            for (name, value) in &map.0 {
                filters.insert(name.name.as_str().into(), Dynamic::from(text_of(value)?));
            }
            let filter = EventFilter::from_map(&filters).ok()?;
            Some(Test::Event(text_of(source)?, *id, filter))
        }
        _ => None,
    }
}

fn value(expr: &Expr) -> Option<Value> {
    let Expr::FnCall(call, _) = expr else {
        return None;
    };
    match (call.name.as_str(), call.args.as_slice()) {
        ("fact", [path]) => Some(Value::Fact(text_of(path)?)),
        ("file_bits", [path]) => Some(Value::FileBits(text_of(path)?)),
        _ => None,
    }
}

fn literal(expr: &Expr) -> Option<Literal> {
    match expr {
        Expr::StringConstant(s, _) => Some(Literal::Text(s.to_string())),
        Expr::IntegerConstant(i, _) => Some(Literal::Int(*i)),
        _ => None,
    }
}

fn text_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringConstant(s, _) => Some(s.to_string()),
        _ => None,
    }
}
