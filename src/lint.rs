//! Warnings about a compiled condition that the Rhai compiler does not give: calls to functions
//! that exist nowhere (Rhai finds those only when the call runs), and `fact()` paths the fact
//! format does not define.

use std::collections::BTreeSet;

use rhai::{AST, ASTNode, Expr, Position, Stmt};

use crate::helpers::{EVENT_FILTERS, FACT_PATHS};
use crate::validate::did_you_mean;

/// A warning, positioned within the expression (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    pub line: usize,
    pub column: usize,
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

/// Checks every call in `ast` against `known` (registered helpers and standard functions).
pub fn check(ast: &AST, known: &BTreeSet<String>) -> Vec<Warning> {
    let defined: BTreeSet<String> = ast.iter_functions().map(|f| f.name.to_owned()).collect();
    let mut warnings = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        let (call, pos) = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, pos))) => (call, *pos),
            Some(ASTNode::Expr(Expr::MethodCall(call, pos))) => (call, *pos),
            Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => (call, *pos),
            _ => return true,
        };
        let name = call.name.as_str();
        let is_identifier = name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if call.is_operator_call() || !is_identifier {
            return true;
        }
        if !known.contains(name) && !defined.contains(name) && !LANGUAGE.contains(&name) {
            let candidates = known.iter().map(String::as_str);
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
        if name == "fact" {
            if let Some(Expr::StringConstant(path, at)) = call.args.first() {
                if !FACT_PATHS.contains(&path.as_str()) {
                    let hint = did_you_mean(path, FACT_PATHS.iter().copied())
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
    }
}
