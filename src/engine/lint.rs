//! What the Rhai compiler does not say about a compiled condition: calls to functions that exist
//! nowhere (Rhai finds those only when the call runs), `fact()` paths the fact format does not
//! define, helpers called with the wrong number or types of arguments, comparisons between types
//! that cannot be compared, conditions that are always true or false, and registry values
//! compared without a default. Types come from `signatures.rs`.

use std::collections::BTreeSet;

use rhai::{AST, ASTNode, Expr, Position, Stmt};

use crate::engine::helpers::{EVENT_FILTERS, fact_paths};
use crate::engine::script::Sandbox;
use crate::engine::signatures::{self, Ty};
use crate::rules::validate::did_you_mean;

/// A warning, or an error that refuses the rule, positioned within the expression (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// An error: the condition cannot work as written.
    pub error: bool,
}

/// Functions the Rhai language provides without registering them.
const LANGUAGE: &[&str] = &[
    "Fn",
    "call",
    "curry",
    "type_of",
    "print",
    "debug",
    "is_def_fn",
    "is_def_var",
    "is_shared",
    "eval",
];

/// Checks every call in `ast` against the functions `sandbox` knows (registered helpers and
/// standard functions).
pub fn check(ast: &AST, sandbox: &Sandbox) -> Vec<Warning> {
    let defined: BTreeSet<String> = ast.iter_functions().map(|f| f.name.to_owned()).collect();
    let mut warnings = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(stmt @ (Stmt::For(..) | Stmt::While(..) | Stmt::Do(..)))) = path.last() {
            warnings.push(warning(
                format!(
                    "a loop in a condition runs on every host, within the rule's budget of {} operations per host: is a helper (any_hotfix, event filters) enough?",
                    crate::engine::script::limits::RULE_OPERATIONS
                ),
                stmt.position(),
            ));
            return true;
        }
        if let Some(ASTNode::Expr(e @ (Expr::And(parts, pos) | Expr::Or(parts, pos)))) = path.last() {
            let (op, absorbing) = match e {
                Expr::And(..) => ("&&", false),
                _ => ("||", true),
            };
            for part in parts.iter() {
                if let Expr::BoolConstant(b, _) = part {
                    warnings.push(if *b == absorbing {
                        error(
                            format!(
                                "`{op} {b}` makes the condition always {b}, whatever the facts say: remove it"
                            ),
                            *pos,
                        )
                    } else {
                        warning(format!("`{op} {b}` changes nothing: remove it"), *pos)
                    });
                }
            }
            return true;
        }
        let (call, pos) = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, pos))) => (call, *pos),
            Some(ASTNode::Expr(Expr::MethodCall(call, pos))) => (call, *pos),
            Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => (call, *pos),
            _ => return true,
        };
        let name = call.name.as_str();
        if COMPARISONS.contains(&name) && call.args.len() == 2 {
            check_comparison(name, &call.args[0], &call.args[1], pos, &mut warnings);
            return true;
        }
        let is_identifier = name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if call.is_operator_call() || !is_identifier {
            return true;
        }
        if !sandbox.knows(name) && !defined.contains(name) && !LANGUAGE.contains(&name) {
            let candidates = sandbox.functions().iter().map(String::as_str);
            let hint = did_you_mean(name, candidates)
                .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
            warnings.push(warning(
                format!("no helper or function named `{name}`{hint}"),
                pos,
            ));
        }
        if name == "event" {
            if let Some(filters) = call.args.get(2) {
                let keys: Vec<(String, Position)> = match filters {
                    Expr::Map(map, at) => map
                        .0
                        .iter()
                        .map(|(k, _)| (k.name.to_string(), *at))
                        .collect(),
                    Expr::DynamicConstant(value, at) => value
                        .read_lock::<rhai::Map>()
                        .map(|m| m.keys().map(|k| (k.to_string(), *at)).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                for (key, at) in keys {
                    if !EVENT_FILTERS.contains(&key.as_str()) {
                        let hint = did_you_mean(&key, EVENT_FILTERS.iter().copied())
                            .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
                        warnings.push(warning(
                            format!(
                                "event(): no filter `{key}`; the filters are {}{hint}",
                                EVENT_FILTERS.join(", ")
                            ),
                            at,
                        ));
                    }
                }
            }
        }
        if call.is_operator_call() {
            return true;
        }
        check_call(name, &call.args, pos, &mut warnings);
        if name == "fact" {
            if let Some(Expr::StringConstant(path, at)) = call.args.first() {
                let paths = fact_paths();
                if !paths.contains(&path.as_str()) {
                    let hint = did_you_mean(path, paths.iter().copied())
                        .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
                    warnings.push(warning(
                        format!("fact(\"{path}\"): the fact format has no such fact{hint}"),
                        *at,
                    ));
                }
            }
        }
        true
    });
    warnings
}

fn warning(message: String, pos: Position) -> Warning {
    Warning {
        message,
        line: pos.line().unwrap_or(1),
        column: pos.position().unwrap_or(1),
        error: false,
    }
}

fn error(message: String, pos: Position) -> Warning {
    Warning {
        error: true,
        ..warning(message, pos)
    }
}

const COMPARISONS: &[&str] = &["==", "!=", "<", ">", "<=", ">="];

/// What `check` knows of an expression's type, and how to name it in a message.
fn infer(expr: &Expr) -> (Ty, String) {
    match expr {
        Expr::StringConstant(s, _) => (Ty::Text, format!("{s:?}")),
        Expr::IntegerConstant(i, _) => (Ty::Int, i.to_string()),
        Expr::FloatConstant(f, _) => (Ty::Float, f.to_string()),
        Expr::BoolConstant(b, _) => (Ty::Bool, b.to_string()),
        Expr::Unit(_) => (Ty::Unit, "()".into()),
        Expr::Array(..) => (Ty::List, "a list".into()),
        Expr::Map(..) => (Ty::Map, "a map".into()),
        Expr::FnCall(call, _) if !call.is_operator_call() => {
            let name = call.name.as_str();
            if name == "fact" {
                if let Some(Expr::StringConstant(path, _)) = call.args.first() {
                    let ty = signatures::fact(path).unwrap_or(Ty::Any);
                    return (ty, format!("fact({path:?})"));
                }
            }
            let overloads = signatures::helper(name);
            let returns = overloads.first().map_or(Ty::Any, |s| s.returns);
            let ty = if overloads.iter().all(|s| s.returns == returns) {
                returns
            } else {
                Ty::Any
            };
            (ty, format!("{name}(…)"))
        }
        Expr::Dot(dot, _, _) => match &dot.rhs {
            Expr::Property(p, _) => {
                let name = p.2.as_str();
                let ty = (signatures::PROPERTIES.iter())
                    .find(|(n, _)| *n == name)
                    .map_or(Ty::Any, |(_, t)| *t);
                let (_, lhs) = infer(&dot.lhs);
                (ty, format!("{lhs}.{name}"))
            }
            _ => (Ty::Any, "a value".into()),
        },
        _ => (Ty::Any, "a value".into()),
    }
}

fn is_constant(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringConstant(..)
            | Expr::IntegerConstant(..)
            | Expr::FloatConstant(..)
            | Expr::BoolConstant(..)
            | Expr::Unit(..)
    )
}

fn check_comparison(op: &str, a: &Expr, b: &Expr, pos: Position, out: &mut Vec<Warning>) {
    let ((ta, na), (tb, nb)) = (infer(a), infer(b));
    if !ta.comparable(tb) {
        // Say which side to convert: a literal is rewritten, a value converted.
        let hint = match (is_constant(a), is_constant(b), ta, tb) {
            (_, true, Ty::Int | Ty::Float, Ty::Text) => {
                format!("; write {} without quotes", nb.trim_matches('"'))
            }
            (true, _, Ty::Text, Ty::Int | Ty::Float) => {
                format!("; write {} without quotes", na.trim_matches('"'))
            }
            (_, true, Ty::Text, Ty::Int | Ty::Float) => {
                format!("; write \"{nb}\" in quotes, or convert: parse_int({na})")
            }
            (true, _, Ty::Int | Ty::Float, Ty::Text) => {
                format!("; write \"{na}\" in quotes, or convert: parse_int({nb})")
            }
            (_, _, Ty::Text, Ty::Int) => format!("; convert one side: parse_int({na})"),
            (_, _, Ty::Int, Ty::Text) => format!("; convert one side: parse_int({nb})"),
            _ => String::new(),
        };
        out.push(error(
            format!(
                "{na} {op} {nb} compares {} with {}, which is an error when it runs{hint}",
                ta.name(),
                tb.name()
            ),
            pos,
        ));
    } else if is_constant(a) && is_constant(b) {
        out.push(warning(
            format!("{na} {op} {nb} compares two constants: the condition never changes"),
            pos,
        ));
    } else if matches!(op, "<" | ">" | "<=" | ">=") {
        // Text compares letter by letter: "4.0.1381.999" > "4.0.1381.7165".
        for (side, other, (t_other, n_other)) in [(a, b, (tb, &nb)), (b, a, (ta, &na))] {
            if let (Expr::StringConstant(v, _), Ty::Text | Ty::Any) = (side, t_other) {
                if looks_like_version(v) && !is_constant(other) {
                    out.push(error(
                        format!(
                            "{na} {op} {nb} compares {n_other} with the version {v:?} as text, letter by letter (\"4.0.1381.999\" is after \"4.0.1381.7165\"); compare versions: version({n_other}) {op} {v:?}",
                        ),
                        pos,
                    ));
                }
            }
        }
    }
    for side in [a, b] {
        if let Expr::FnCall(call, at) = side {
            if call.name == "registry" {
                out.push(warning(
                    "registry(…) gives () when the facts say the value does not exist, and () \
                     compares with nothing: give a default with registry_or(path, default)"
                        .into(),
                    *at,
                ));
            }
        }
    }
}

/// Dotted numbers with at least two dots, or a `major.minor` written as text: a version.
fn looks_like_version(text: &str) -> bool {
    let parts: Vec<&str> = text.trim().split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A helper called with a number or types of arguments that none of its signatures takes.
fn check_call(name: &str, args: &[Expr], pos: Position, out: &mut Vec<Warning>) {
    let overloads = signatures::helper(name);
    if overloads.is_empty() {
        return;
    }
    let ways = || {
        overloads
            .iter()
            .map(|s| s.written)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let same_arity: Vec<_> = overloads
        .iter()
        .filter(|s| s.params.len() == args.len())
        .collect();
    if same_arity.is_empty() {
        out.push(error(
            format!(
                "{name}() takes {}: {} argument{} given",
                ways(),
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ),
            pos,
        ));
        return;
    }
    let types: Vec<(Ty, String)> = args.iter().map(infer).collect();
    let fits =
        |s: &&&signatures::Signature| s.params.iter().zip(&types).all(|(p, (t, _))| t.fits(*p));
    if !same_arity.iter().any(fits) {
        let (i, (t, shown)) = (types.iter().enumerate())
            .find(|(i, (t, _))| same_arity.iter().all(|s| !t.fits(s.params[*i])))
            .unwrap_or((0, &types[0]));
        let wanted: Vec<&str> = same_arity.iter().map(|s| s.params[i].name()).collect();
        out.push(error(
            format!(
                "{name}(): argument {} is {shown}, {}, where {} is expected ({})",
                i + 1,
                t.name(),
                wanted.join(" or "),
                ways()
            ),
            pos,
        ));
    }
}
