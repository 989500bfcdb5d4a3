//! What the loaded rules read, found in their compiled conditions: the registry values, files
//! and events named by literal arguments (or by a `let` bound to a literal). `collect` gathers
//! exactly these, so a collected host is never unknown for a fact its volume holds.

use std::collections::{BTreeMap, BTreeSet};

use rhai::{AST, ASTNode, Expr, Stmt};

use crate::engine::condition::Node;
use crate::evaluate::compile::CompiledRule;
use crate::facts::values::registry_key;

/// The facts the rules ask for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Full registry paths, `HKLM\…\ValueName`, as the first rule to name each writes it: one
    /// path spelled two ways by two rules is one value (a fact file may not list it twice).
    pub registry: BTreeSet<String>,
    /// File paths as the rules write them (`%SystemRoot%/System32/Schannel.dll`).
    pub files: BTreeSet<String>,
    /// Event sources, lower-cased, with the event ids asked for.
    pub events: BTreeMap<String, BTreeSet<u16>>,
}

impl Needs {
    /// What every rule's conditions (scope, products, symptoms, cause, fixed, prerequisites) read.
    pub fn of(rules: &[CompiledRule]) -> Needs {
        let mut needs = Needs::default();
        for r in rules {
            let nodes = std::iter::once(&r.applies)
                .chain(&r.products)
                .chain(r.symptoms.iter().flatten())
                .chain(std::iter::once(&r.cause))
                .chain(&r.fixed)
                .chain(&r.workaround_first)
                .chain(&r.prerequisites);
            for node in nodes {
                needs.node(node);
            }
        }
        needs
    }

    /// Whether an event from `source` with event id `id` (low 16 bits) is asked for.
    pub fn wants_event(&self, source: &str, id: u32) -> bool {
        self.events
            .get(&source.to_lowercase())
            .is_some_and(|ids| ids.contains(&(id as u16)))
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Expr { ast, .. } => self.ast(ast),
            Node::All(_, parts) | Node::Any(_, parts) => parts.iter().for_each(|n| self.node(n)),
            Node::Not(_, part) => self.node(part),
        }
    }

    fn ast(&mut self, ast: &AST) {
        // `let key = "HKLM\…"; registry_or(key, 0)`: names bound to literals.
        let mut bound: BTreeMap<String, String> = BTreeMap::new();
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(ASTNode::Stmt(Stmt::Var(var, ..))) = path.last()
                && let Expr::StringConstant(s, _) = &var.1
            {
                bound.insert(var.0.name.to_string(), s.to_string());
            }
            true
        });
        let text = |e: &Expr| -> Option<String> {
            match e {
                Expr::StringConstant(s, _) => Some(s.to_string()),
                Expr::Variable(v, ..) => bound.get(v.1.as_str()).cloned(),
                _ => None,
            }
        };
        let mut found = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            let call = match path.last() {
                Some(ASTNode::Expr(Expr::FnCall(call, _))) => call,
                Some(ASTNode::Stmt(Stmt::FnCall(call, _))) => call,
                _ => return true,
            };
            let first = call.args.first().and_then(&text);
            match (call.name.as_str(), first) {
                (
                    "registry" | "registry_or" | "registry_collected" | "registry_exists",
                    Some(p),
                ) => found.push(Found::Registry(p)),
                (
                    "file" | "file_bits" | "fixed_file" | "file_exists" | "file_collected",
                    Some(p),
                ) => found.push(Found::File(p)),
                ("event", Some(source)) => {
                    if let Some(Expr::IntegerConstant(id, _)) = call.args.get(1) {
                        found.push(Found::Event(source, *id as u16));
                    }
                }
                _ => {}
            }
            true
        });
        for f in found {
            match f {
                Found::Registry(p) => {
                    // Two rules may write one value differently (`HKEY_LOCAL_MACHINE\…\LSA\
                    // LmCompatibilitylevel`, `HKLM\…\Lsa\LMCompatibilityLevel`): the fact
                    // file gets it once, as a second entry would be refused as a duplicate.
                    let key = registry_key(&p);
                    if !self.registry.iter().any(|r| registry_key(r) == key) {
                        self.registry.insert(p);
                    }
                }
                Found::File(p) => {
                    self.files.insert(p);
                }
                Found::Event(source, id) => {
                    self.events
                        .entry(source.to_lowercase())
                        .or_default()
                        .insert(id);
                }
            }
        }
    }
}

enum Found {
    Registry(String),
    File(String),
    Event(String, u16),
}
