//! Native conditions: the common forms of a condition, recognised once in its compiled Rhai
//! syntax tree and evaluated in Rust, without the interpreter. They call the same helper
//! functions Rhai calls (`helpers.rs`, `events.rs`, `fixes.rs`), in the order Rhai would, so
//! they read and record the same facts and charge the same work. Anything else — and any outcome
//! Rhai would explain differently, such as a comparison of a number with text or a helper's
//! error — is left to Rhai.
//!
//! The forms: a helper that answers true or false (`has_hotfix("Q246009")`, `reported("…")`,
//! `event("MSExchangeMTA", 9318, #{type: "Warning"})`, `file_exists`, `file_collected`,
//! `fixed_file`, `fix_installed()`, `has_software`, `registry_collected`); a value (`fact`,
//! `file_bits`, `registry`, `registry_or` with a literal default, a variable, `type_of(…)`)
//! compared with `==`, `!=`, `<`, `<=`, `>` or `>=` to a literal or another value (two texts
//! or two numbers); `icontains(…, "…")` and `ieq(…)` of a value; `&&`, `||` and `!` of native forms;
//! `let name = …;` before a native form (a literal, or a value);
//! `if … { … } else if … { … } else { … }` whose tests and branches are native forms, `true`,
//! `false` or `unknown("…")`; and versions: `version(value)` compared with a text,
//! `.between("…", "…")`, `.major`, `.minor` and `.build`, of `software_version("…")`,
//! `file("…").version` or another value.

use rhai::{AST, Dynamic, Expr, FnCallExpr, ImmutableString, Stmt, StmtBlock};

use crate::engine::compare::{Version, version_of};
use crate::engine::events::{EventFilter, events};
use crate::engine::helpers;
use crate::engine::probe::{Fallible, Probe};
use crate::engine::{files, fixes};

/// A condition in one of the native forms.
#[derive(Debug, Clone)]
pub enum Native {
    /// A helper answering true or false.
    Test(Test),
    /// A value compared with a literal or another value.
    Compare { value: Value, op: Op, with: Operand },
    /// `icontains(value, text)` (`ieq` when `whole` is true).
    Text {
        value: Value,
        text: String,
        whole: bool,
    },
    /// `if test { then } else { otherwise }` (`else if` is an `If` as `otherwise`).
    If(Box<[Native; 3]>),
    /// `a && b && …`: the first false one decides.
    And(Vec<Native>),
    /// `a || b || …`: the first true one decides.
    Or(Vec<Native>),
    /// `!a`.
    Not(Box<Native>),
    /// `let name = value;` then `body`, which reads it as the next [`Value::Var`].
    Let { value: Value, body: Box<Native> },
    /// `true` or `false`.
    Bool(bool),
    /// `unknown(fact)`: the fact named is missing.
    Unknown(String),
    /// `version(…) op "…"`: a version compared with one written in the rule.
    VersionIs { value: Value, op: Op, with: Version },
    /// `version.between(low, high)`: `low` or later, before `high`.
    Between {
        value: Value,
        low: Version,
        high: Version,
    },
}

/// A helper that answers true or false.
#[derive(Debug, Clone)]
pub enum Test {
    HasHotfix(String),
    Reported(String),
    Event(String, i64, EventFilter),
    FileExists(String),
    FileCollected(String),
    FixedFile(String),
    FixInstalled,
    HasSoftware(String),
    RegistryCollected(RegistryPath),
}

/// A registry path as a rule wrote it, with the key that lookups compare (`registry_key`), made
/// once when the rule loads rather than at every lookup.
#[derive(Debug, Clone)]
pub struct RegistryPath {
    pub written: String,
    pub key: String,
}

impl RegistryPath {
    fn new(written: String) -> RegistryPath {
        let key = crate::engine::matching::registry_key(&written);
        RegistryPath { written, key }
    }
}

/// An expression that gives a value.
#[derive(Debug, Clone)]
pub enum Value {
    Fact(String),
    FileBits(String),
    /// `registry(path)`, or `registry_or(path, default)`.
    Registry(RegistryPath, Option<Literal>),
    /// A variable of a `let`: the number of `let`s around it before its own.
    Var(usize),
    /// A variable whose `let` gave it a text.
    Text(String),
    /// `type_of(value)`.
    TypeOf(Box<Value>),
    /// `software_version(name)`.
    SoftwareVersion(String),
    /// `file(path).field`, for a field read as the facts give it, by its number
    /// (`files::field`).
    FileField(String, usize),
    /// `version(value)`, of a text or a number.
    Version(Box<Value>),
    /// `value.major`, `.minor` or `.build` of a version: its part 0, 1 or 2.
    Part(Box<Value>, usize),
}

/// The comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// What a value is compared with.
#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Literal),
    Value(Value),
}

/// A literal as Rhai reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Int(i64),
}

impl Literal {
    fn dynamic(&self) -> Dynamic {
        match self {
            Literal::Text(t) => ImmutableString::from(t.as_str()).into(),
            Literal::Int(i) => Dynamic::from(*i),
        }
    }
}

/// The values of the `let`s around the running form, innermost last.
type Vars = Vec<Dynamic>;

impl Native {
    /// The native form of a compiled expression, if it has one: no functions of its own.
    pub fn of(ast: &AST) -> Option<Native> {
        if ast.has_functions() {
            return None;
        }
        statements(ast.statements(), &mut Scope::default())
    }

    /// The condition's value on the probe's host: `None` when Rhai must evaluate it (to give
    /// its own answer or error); otherwise true, false, or a helper's error (a missing fact).
    pub(crate) fn run(&self, probe: &mut Probe) -> Option<Fallible<bool>> {
        self.run_with(probe, &mut Vars::new())
    }

    fn run_with(&self, probe: &mut Probe, vars: &mut Vars) -> Option<Fallible<bool>> {
        match self {
            Native::Test(test) => Some(match test {
                Test::HasHotfix(id) => helpers::has_hotfix(probe, id),
                Test::Reported(text) => helpers::reported(probe, text),
                Test::Event(source, id, filter) => events(probe, source, *id, filter),
                Test::FileExists(path) => fixes::file_exists(probe, path),
                Test::FileCollected(path) => fixes::file_collected(probe, path),
                Test::FixedFile(path) => fixes::fixed_file(probe, path),
                Test::FixInstalled => fixes::fix_installed(probe),
                Test::HasSoftware(name) => helpers::has_software(probe, name),
                Test::RegistryCollected(path) => {
                    helpers::registry_collected(probe, &path.written, &path.key)
                }
            }),
            Native::Compare { value, op, with } => {
                let left = match value.get(probe, vars)? {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                let right = match with {
                    Operand::Literal(literal) => literal.dynamic(),
                    Operand::Value(value) => match value.get(probe, vars)? {
                        Ok(v) => v,
                        Err(e) => return Some(Err(e)),
                    },
                };
                compare(&left, *op, &right).map(Ok)
            }
            Native::If(parts) => {
                let [test, then, otherwise] = parts.as_ref();
                match test.run_with(probe, vars)? {
                    Err(e) => Some(Err(e)),
                    Ok(true) => then.run_with(probe, vars),
                    Ok(false) => otherwise.run_with(probe, vars),
                }
            }
            Native::And(items) | Native::Or(items) => {
                let decisive = matches!(self, Native::Or(_));
                for item in items {
                    match item.run_with(probe, vars)? {
                        Ok(truth) if truth == decisive => return Some(Ok(truth)),
                        Ok(_) => {}
                        Err(e) => return Some(Err(e)),
                    }
                }
                Some(Ok(!decisive))
            }
            Native::Not(item) => Some(item.run_with(probe, vars)?.map(|truth| !truth)),
            Native::Let { value, body } => {
                let v = match value.get(probe, vars)? {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                let depth = vars.len();
                vars.push(v);
                let outcome = body.run_with(probe, vars);
                vars.truncate(depth);
                outcome
            }
            Native::VersionIs { value, op, with } => match value.get(probe, vars)? {
                Err(e) => Some(Err(e)),
                Ok(v) => Some(Ok(op.holds(v.read_lock::<Version>()?.cmp(with)))),
            },
            Native::Between { value, low, high } => match value.get(probe, vars)? {
                Err(e) => Some(Err(e)),
                Ok(v) => {
                    let v = v.read_lock::<Version>()?;
                    Some(Ok(v.cmp(low).is_ge() && v.cmp(high).is_lt()))
                }
            },
            Native::Bool(truth) => Some(Ok(*truth)),
            Native::Unknown(fact) => Some(Err(probe.missing(fact))),
            Native::Text { value, text, whole } => match value.get(probe, vars)? {
                Err(e) => Some(Err(e)),
                Ok(v) => {
                    let have = v.read_lock::<ImmutableString>()?;
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

impl Value {
    /// The value on the probe's host; `None` when Rhai must say what it is.
    fn get(&self, probe: &mut Probe, vars: &Vars) -> Option<Fallible<Dynamic>> {
        Some(match self {
            Value::Fact(path) => helpers::fact(probe, path),
            Value::FileBits(path) => helpers::file_bits_at(probe, path).map(Dynamic::from),
            Value::Registry(path, default) => {
                let default = default.as_ref().map(Literal::dynamic);
                helpers::registry(probe, &path.written, &path.key, default)
            }
            Value::Var(i) => Ok(vars.get(*i)?.clone()),
            Value::SoftwareVersion(name) => {
                helpers::software_version(probe, name).map(|v| ImmutableString::from(v).into())
            }
            Value::FileField(path, field) => match probe.file(path) {
                Ok(index) => files::file_field(probe, index, *field),
                Err(e) => Err(e),
            },
            Value::Version(inner) => match inner.get(probe, vars)? {
                Err(e) => Err(e),
                Ok(v) => {
                    // Rhai's `version` takes a text or a number (a build); anything else is
                    // Rhai's error to explain.
                    let version = match v.read_lock::<ImmutableString>() {
                        Some(text) => version_of(probe, text.as_str()),
                        None => version_of(probe, &v.as_int().ok()?.to_string()),
                    };
                    version.map(Dynamic::from)
                }
            },
            Value::Part(inner, i) => match inner.get(probe, vars)? {
                Err(e) => Err(e),
                Ok(v) => Ok(Dynamic::from(v.read_lock::<Version>()?.part(*i))),
            },
            Value::Text(t) => Ok(ImmutableString::from(t.as_str()).into()),
            Value::TypeOf(value) => match value.get(probe, vars)? {
                Err(e) => Err(e),
                // The names Rhai's `type_of` gives the types helpers return.
                Ok(v) => Ok(ImmutableString::from(if v.is_unit() {
                    "()"
                } else if v.is_int() {
                    "i64"
                } else if v.is_string() {
                    "string"
                } else if v.is_array() {
                    "array"
                } else if v.is_bool() {
                    "bool"
                } else {
                    return None;
                })
                .into()),
            },
        })
    }
}

/// A comparison as Rhai answers it for two texts or two numbers; `None` for other types (Rhai's
/// strict comparisons explain the error, or compare as they do).
fn compare(a: &Dynamic, op: Op, b: &Dynamic) -> Option<bool> {
    let order = if let (Ok(a), Ok(b)) = (a.as_int(), b.as_int()) {
        a.cmp(&b)
    } else if let (Some(a), Some(b)) = (
        a.read_lock::<ImmutableString>(),
        b.read_lock::<ImmutableString>(),
    ) {
        a.as_str().cmp(b.as_str())
    } else {
        return None;
    };
    Some(op.holds(order))
}

impl Op {
    /// Whether two values in `order` satisfy the comparison.
    fn holds(self, order: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering;
        match self {
            Op::Eq => order == Ordering::Equal,
            Op::Ne => order != Ordering::Equal,
            Op::Lt => order == Ordering::Less,
            Op::Le => order != Ordering::Greater,
            Op::Gt => order == Ordering::Greater,
            Op::Ge => order != Ordering::Less,
        }
    }
}

/// The `let`s around the expression being converted, innermost last: a literal is put where
/// its name is read; any other value is read as a [`Value::Var`].
#[derive(Default, Clone)]
struct Scope {
    names: Vec<(String, Binding)>,
    slots: usize,
}

#[derive(Clone)]
enum Binding {
    Text(String),
    Slot(usize),
}

impl Scope {
    fn find(&self, name: &str) -> Option<&Binding> {
        (self.names.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }
}

/// The native form of a sequence of statements: `let`s, then one native form.
fn statements(stmts: &[Stmt], scope: &mut Scope) -> Option<Native> {
    match stmts {
        [stmt] => statement(stmt, scope),
        [Stmt::Var(var, _, _), rest @ ..] if !rest.is_empty() => {
            let (name, expr, _) = var.as_ref();
            let mut inner = scope.clone();
            if let Some(text) = text_of(expr, scope) {
                inner
                    .names
                    .push((name.name.to_string(), Binding::Text(text)));
                return statements(rest, &mut inner);
            }
            let value = value(expr, scope)?;
            inner
                .names
                .push((name.name.to_string(), Binding::Slot(scope.slots)));
            inner.slots += 1;
            Some(Native::Let {
                value,
                body: Box::new(statements(rest, &mut inner)?),
            })
        }
        _ => None,
    }
}

/// The native form of a statement: an expression, or an `if` with both branches.
fn statement(stmt: &Stmt, scope: &mut Scope) -> Option<Native> {
    match stmt {
        Stmt::Expr(expr) => expression(expr, scope),
        Stmt::FnCall(call, _) => call_form(call, scope),
        Stmt::If(flow, _) => Some(Native::If(Box::new([
            expression(&flow.expr, scope)?,
            block(&flow.body, scope)?,
            block(&flow.branch, scope)?,
        ]))),
        _ => None,
    }
}

/// A block (an empty one, such as a missing `else`, gives `()`: Rhai's).
fn block(block: &StmtBlock, scope: &Scope) -> Option<Native> {
    statements(block.statements(), &mut scope.clone())
}

fn expression(expr: &Expr, scope: &mut Scope) -> Option<Native> {
    match expr {
        Expr::FnCall(call, _) => call_form(call, scope),
        Expr::BoolConstant(truth, _) => Some(Native::Bool(*truth)),
        Expr::And(items, _) => Some(Native::And(
            (items.iter())
                .map(|e| expression(e, scope))
                .collect::<Option<_>>()?,
        )),
        Expr::Or(items, _) => Some(Native::Or(
            (items.iter())
                .map(|e| expression(e, scope))
                .collect::<Option<_>>()?,
        )),
        Expr::Stmt(block) => statements(block.statements(), &mut scope.clone()),
        Expr::Dot(..) => method_form(expr, scope),
        _ => None,
    }
}

fn call_form(call: &FnCallExpr, scope: &mut Scope) -> Option<Native> {
    let args = call.args.as_slice();
    let op = |name: &str| {
        Some(match name {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    };
    match (call.name.as_str(), args) {
        (name, [left, right]) if op(name).is_some() => {
            let (left, op) = (value(left, scope)?, op(name)?);
            if let (Value::Version(_), Some(with)) = (&left, text_of(right, scope)) {
                // A version compared with one the rule writes, read once here (one that is not
                // a version is Rhai's error to explain).
                let with = Version::parse(&with).ok()?;
                return Some(Native::VersionIs {
                    value: left,
                    op,
                    with,
                });
            }
            Some(Native::Compare {
                value: left,
                op,
                with: match literal(right, scope) {
                    Some(literal) => Operand::Literal(literal),
                    None => Operand::Value(value(right, scope)?),
                },
            })
        }
        ("!", [item]) => Some(Native::Not(Box::new(expression(item, scope)?))),
        (name @ ("icontains" | "ieq"), [inner, text]) => Some(Native::Text {
            value: value(inner, scope)?,
            text: text_of(text, scope)?,
            whole: name == "ieq",
        }),
        ("unknown", [fact]) => Some(Native::Unknown(text_of(fact, scope)?)),
        _ => test(call, scope).map(Native::Test),
    }
}

/// `version.between("low", "high")`, with versions written as such (a bad one is Rhai's error
/// to explain).
fn method_form(expr: &Expr, scope: &Scope) -> Option<Native> {
    let Expr::Dot(dot, flags, _) = expr else {
        return None;
    };
    let Expr::MethodCall(call, _) = &dot.rhs else {
        return None;
    };
    if flags.contains(rhai::ASTFlags::NEGATED) {
        return None;
    }
    match (call.name.as_str(), call.args.as_slice()) {
        ("between", [low, high]) => Some(Native::Between {
            value: versioned(&dot.lhs, scope)?,
            low: Version::parse(&text_of(low, scope)?).ok()?,
            high: Version::parse(&text_of(high, scope)?).ok()?,
        }),
        _ => None,
    }
}

fn test(call: &FnCallExpr, scope: &Scope) -> Option<Test> {
    let text = |e: &Expr| text_of(e, scope);
    match (call.name.as_str(), call.args.as_slice()) {
        ("has_hotfix", [id]) => Some(Test::HasHotfix(text(id)?)),
        ("reported", [t]) => Some(Test::Reported(text(t)?)),
        ("file_exists", [path]) => Some(Test::FileExists(text(path)?)),
        ("file_collected", [path]) => Some(Test::FileCollected(text(path)?)),
        ("fixed_file", [path]) => Some(Test::FixedFile(text(path)?)),
        ("fix_installed", []) => Some(Test::FixInstalled),
        ("has_software", [name]) => Some(Test::HasSoftware(text(name)?)),
        ("registry_collected", [path]) => {
            Some(Test::RegistryCollected(RegistryPath::new(text(path)?)))
        }
        ("event", [source, Expr::IntegerConstant(id, _)]) => {
            Some(Test::Event(text(source)?, *id, EventFilter::default()))
        }
        ("event", [source, Expr::IntegerConstant(id, _), Expr::Map(map, _)]) => {
            // Built once here, as Rhai builds it on every call; a filter Rhai would refuse is
            // left to Rhai, to refuse it with its message.
            let mut filters = rhai::Map::new();
            for (name, value) in &map.0 {
                filters.insert(name.name.as_str().into(), Dynamic::from(text(value)?));
            }
            let filter = EventFilter::from_map(&filters).ok()?;
            Some(Test::Event(text(source)?, *id, filter))
        }
        _ => None,
    }
}

fn value(expr: &Expr, scope: &Scope) -> Option<Value> {
    if let Expr::Variable(var, _, _) = expr {
        return match scope.find(var.1.as_str())? {
            Binding::Slot(i) => Some(Value::Var(*i)),
            Binding::Text(t) => Some(Value::Text(t.clone())),
        };
    }
    // `value.property` (not `?.`): a version's part, or a file's fact.
    if let Expr::Dot(dot, flags, _) = expr {
        let Expr::Property(property, _) = &dot.rhs else {
            return None;
        };
        if flags.contains(rhai::ASTFlags::NEGATED) {
            return None;
        }
        let name = property.2.as_str();
        if let Expr::FnCall(call, _) = &dot.lhs {
            if let ("file", [path]) = (call.name.as_str(), call.args.as_slice()) {
                return Some(Value::FileField(text_of(path, scope)?, files::field(name)?));
            }
        }
        let part = ["major", "minor", "build"]
            .iter()
            .position(|p| *p == name)?;
        return Some(Value::Part(Box::new(versioned(&dot.lhs, scope)?), part));
    }
    let Expr::FnCall(call, _) = expr else {
        return None;
    };
    let text = |e: &Expr| text_of(e, scope);
    match (call.name.as_str(), call.args.as_slice()) {
        ("fact", [path]) => Some(Value::Fact(text(path)?)),
        ("file_bits", [path]) => Some(Value::FileBits(text(path)?)),
        ("registry", [path]) => Some(Value::Registry(RegistryPath::new(text(path)?), None)),
        ("registry_or", [path, default]) => Some(Value::Registry(
            RegistryPath::new(text(path)?),
            Some(literal(default, scope)?),
        )),
        ("type_of", [inner]) => Some(Value::TypeOf(Box::new(value(inner, scope)?))),
        ("software_version", [name]) => Some(Value::SoftwareVersion(text(name)?)),
        ("version", [inner]) => Some(Value::Version(Box::new(value(inner, scope)?))),
        _ => None,
    }
}

/// A value that gives a version: `version(…)`, or a variable a `let` gave one.
fn versioned(expr: &Expr, scope: &Scope) -> Option<Value> {
    match value(expr, scope)? {
        v @ (Value::Version(_) | Value::Var(_)) => Some(v),
        _ => None,
    }
}

fn literal(expr: &Expr, scope: &Scope) -> Option<Literal> {
    match expr {
        Expr::IntegerConstant(i, _) => Some(Literal::Int(*i)),
        _ => text_of(expr, scope).map(Literal::Text),
    }
}

fn text_of(expr: &Expr, scope: &Scope) -> Option<String> {
    match expr {
        Expr::StringConstant(s, _) => Some(s.to_string()),
        Expr::Variable(var, _, _) => match scope.find(var.1.as_str())? {
            Binding::Text(t) => Some(t.clone()),
            Binding::Slot(_) => None,
        },
        _ => None,
    }
}
