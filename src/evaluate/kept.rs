//! Whole conditions that several rules write the same way, evaluated once per host. The thirty
//! articles of the NT 4.0 family open with the same scope ("the host runs Windows NT 4.0" in 18
//! rules), list the same products, and ask for the same prerequisite (SP6a in 21): when every
//! expression of such a condition reads only the host's facts (`memo::shareable`), its verdict is
//! the same in each rule. The first rule to evaluate it on a host keeps the verdict and the
//! operations it cost; the others take the verdict and are charged those operations, so each
//! rule's budget counts what it would have spent. An error is not kept: each rule meets it anew.
//! `engine/memo.rs` does the same for single expressions; this saves walking the tree and
//! combining its parts again.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::engine::condition::{EvalError, Node, Verdict};
use crate::engine::script::Sandbox;
use crate::evaluate::compile::CompiledRule;

/// Where a rule's shared conditions are kept (`None`: its own, evaluated each time).
#[derive(Debug, Clone, Default)]
pub struct Slots {
    pub applies: Option<usize>,
    pub products: Option<usize>,
    /// One per prerequisite, in order.
    pub prerequisites: Vec<Option<usize>>,
}

/// The bound host's kept verdicts, by slot.
#[derive(Default)]
pub struct Kept {
    verdicts: RefCell<Vec<Option<(Verdict, u64)>>>,
}

impl Kept {
    /// Numbers the conditions written the same way by more than one of `rules` and made only of
    /// shared expressions; gives each rule its slots.
    pub fn number(rules: &mut [CompiledRule]) -> Kept {
        let mut written: HashMap<String, usize> = HashMap::new();
        for r in rules.iter() {
            for node in top_level(r) {
                *written.entry(key(node)).or_default() += 1;
            }
        }
        let mut slots: HashMap<String, usize> = HashMap::new();
        let mut slot = |node: &Node| -> Option<usize> {
            let key = key(node);
            if written.get(&key).is_none_or(|n| *n < 2) || !only_shared(node) {
                return None;
            }
            let next = slots.len();
            Some(*slots.entry(key).or_insert(next))
        };
        for r in rules.iter_mut() {
            r.kept = Slots {
                applies: slot(&r.applies),
                products: r.products.as_ref().and_then(&mut slot),
                prerequisites: r.prerequisites.iter().map(&mut slot).collect(),
            };
        }
        Kept {
            verdicts: RefCell::new(vec![None; slots.len()]),
        }
    }

    /// Forgets the last host's verdicts.
    pub fn next_host(&self) {
        self.verdicts.borrow_mut().fill(None);
    }

    /// `node`'s verdict on the bound host: kept in `slot` the first time, taken from it (and
    /// its operations charged to the bound rule) after.
    pub fn eval(
        &self,
        sb: &Sandbox,
        slot: Option<usize>,
        node: &Node,
    ) -> Result<Verdict, EvalError> {
        let Some(slot) = slot else {
            return node.eval(sb);
        };
        if let Some((verdict, operations)) = &self.verdicts.borrow()[slot] {
            return match sb.charge(*operations) {
                true => Ok(verdict.clone()),
                false => Err(EvalError {
                    condition: node.name(),
                    message: crate::engine::script::over_budget(),
                }),
            };
        }
        let before = sb.spent();
        let verdict = node.eval(sb)?;
        let operations = sb.spent() - before;
        self.verdicts.borrow_mut()[slot] = Some((verdict.clone(), operations));
        Ok(verdict)
    }
}

/// The conditions of a rule that rules share: its scope, listed products and prerequisites.
fn top_level(r: &CompiledRule) -> impl Iterator<Item = &Node> {
    std::iter::once(&r.applies)
        .chain(r.products.iter())
        .chain(r.prerequisites.iter())
}

/// Whether every expression of `node` is kept per host (`Sandbox::share`): written by more
/// than one rule and reading only the host's facts.
fn only_shared(node: &Node) -> bool {
    (node.exprs().into_iter())
        .all(|e| matches!(e, Node::Expr { shared, .. } if shared.get().is_some()))
}

/// `node` as written, but for its labels: its kinds and expressions. Two conditions with the
/// same key give the same verdict on a host when their expressions read only its facts (a
/// verdict holds no label: only an error names one, and errors are not kept).
fn key(node: &Node) -> String {
    fn write(node: &Node, out: &mut String) {
        let kind = match node {
            Node::Expr { expr, .. } => {
                out.push_str("expr\0");
                out.push_str(expr);
                out.push('\0');
                return;
            }
            Node::All(..) => "all",
            Node::Any(..) => "any",
            Node::Not(..) => "not",
        };
        out.push_str(kind);
        out.push('(');
        match node {
            Node::All(_, items) | Node::Any(_, items) => items.iter().for_each(|i| write(i, out)),
            Node::Not(_, item) => write(item, out),
            Node::Expr { .. } => {}
        }
        out.push(')');
    }
    let mut out = String::new();
    write(node, &mut out);
    out
}
