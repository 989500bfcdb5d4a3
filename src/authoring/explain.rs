//! `kbdiag explain`: for one host, every condition of a rule with its value, the facts it read,
//! and which part decided — to answer "why did (or didn't) this fire?".

use std::fmt::Write as _;
use std::rc::Rc;

use serde::Serialize;

use crate::engine::condition::Explained;
use crate::evaluate::diagnose::Evaluator;
use crate::evaluate::diagnosis::Diagnosis;
use crate::facts::Facts;
use crate::report::render::one_line;

/// One rule explained on one host.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub kb: String,
    pub title: String,
    /// The diagnosis the conditions lead to.
    pub status: String,
    pub action: String,
    /// Each condition of the rule, named by where it is (`cause.when`, `symptoms[2].when`…).
    pub conditions: Vec<Part>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub part: String,
    #[serde(flatten)]
    pub condition: Explained,
}

/// Explains every rule of `evaluator` whose id or alias is `only` (all when `None`).
pub fn explain(evaluator: &Evaluator, facts: Facts, only: Option<&str>) -> Vec<Explanation> {
    let diagnoses: Vec<Diagnosis> = evaluator.diagnose(facts.clone());
    let facts = Rc::new(facts);
    let mut out = Vec::new();
    for (compiled, diagnosis) in evaluator.rules().iter().zip(diagnoses) {
        let rule = &compiled.rule;
        let wanted = only.is_none_or(|id| {
            rule.id.eq_ignore_ascii_case(id)
                || rule.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
        });
        if !wanted {
            continue;
        }
        evaluator.bind(&facts, compiled);
        let mut conditions = vec![
            part(
                "applies_to.when",
                compiled.applies.explain(evaluator.sandbox()),
            ),
            part("cause.when", compiled.cause.explain(evaluator.sandbox())),
        ];
        if let Some(products) = &compiled.products {
            conditions.insert(
                1,
                part(
                    "applies_to.products_when",
                    products.explain(evaluator.sandbox()),
                ),
            );
        }
        if let Some(fixed) = &compiled.fixed {
            conditions.push(part("fixed", fixed.explain(evaluator.sandbox())));
        }
        for (i, (symptom, node)) in rule.symptoms.iter().zip(&compiled.symptoms).enumerate() {
            if let Some(node) = node {
                conditions.push(part(
                    &format!("symptoms[{i}].when ({})", symptom.id),
                    node.explain(evaluator.sandbox()),
                ));
            }
        }
        for (i, (p, node)) in rule
            .prerequisites
            .iter()
            .zip(&compiled.prerequisites)
            .enumerate()
        {
            conditions.push(part(
                &format!("prerequisites[{i}].when ({})", p.id),
                node.explain(evaluator.sandbox()),
            ));
        }
        out.push(Explanation {
            kb: rule.id.clone(),
            title: rule.title.clone(),
            status: diagnosis.status.as_str().to_owned(),
            action: diagnosis.recommendation.action.as_str().to_owned(),
            conditions,
        });
    }
    out
}

fn part(name: &str, condition: Explained) -> Part {
    Part {
        part: name.to_owned(),
        condition,
    }
}

/// The explanation as text: a tree per condition, `<-` marking the parts that decided.
pub fn text(host: &str, file: &str, explanations: &[Explanation]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", one_line(host), one_line(file));
    for e in explanations {
        let _ = writeln!(
            out,
            "\n{}: {} ({}) - {}",
            one_line(&e.kb),
            e.status,
            e.action,
            one_line(&e.title)
        );
        for p in &e.conditions {
            let _ = writeln!(out, "  {}: {}", p.part, p.condition.value.to_uppercase());
            node(&mut out, &p.condition, 2);
        }
    }
    out
}

fn node(out: &mut String, e: &Explained, depth: usize) {
    let pad = "  ".repeat(depth);
    // The top of a condition always decides; the marker matters below it.
    let decides = if e.decisive && depth > 2 {
        "  <- decides"
    } else {
        ""
    };
    let name = match (&e.label, &e.expr) {
        (Some(label), Some(_)) => label.clone(),
        (Some(label), None) => format!("{}: {label}", e.kind),
        (None, Some(expr)) => expr.clone(),
        (None, None) => e.kind.to_owned(),
    };
    let _ = writeln!(
        out,
        "{pad}{:<7} {}{decides}",
        e.value.to_uppercase(),
        one_line(&name)
    );
    if let (Some(_), Some(expr)) = (&e.label, &e.expr) {
        for line in expr.lines() {
            let _ = writeln!(out, "{pad}        | {}", one_line(line));
        }
    }
    for (what, items) in [
        ("read", &e.read),
        ("missing", &e.missing),
        ("matched", &e.matched),
    ] {
        for item in items {
            let _ = writeln!(out, "{pad}        {what}: {}", one_line(item));
        }
    }
    if let Some(error) = &e.error {
        let _ = writeln!(out, "{pad}        error: {}", one_line(error));
    }
    for p in &e.parts {
        node(out, p, depth + 1);
    }
}
