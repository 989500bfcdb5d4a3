//! From a host's facts to one [`Diagnosis`] per rule: status, evidence and recommendation.

use std::rc::Rc;

use crate::engine::condition::{EvalError, Truth, Verdict, nouns};
use crate::engine::matching::expand_vars;
use crate::engine::script::Sandbox;
use crate::evaluate::compile::{self, CompiledRule};
use crate::evaluate::diagnosis::{
    Action, Article, Diagnosis, Listed, Observed, Recommendation, Scope, Status, SymptomResult,
};
use crate::evaluate::diagnosis::{Report, Shared};
use crate::evaluate::kept::Kept;
use crate::evaluate::remedy::{remedy, watch};
use crate::facts::{self, Facts};
use crate::problem::Problem;
use crate::rules::kb::RuleFile;
use crate::rules::rule::ResolutionKind;

/// Rules compiled once, ready to diagnose any number of hosts.
pub struct Evaluator {
    sandbox: Sandbox,
    rules: Vec<CompiledRule>,
    kept: Kept,
    warnings: Vec<Problem>,
    /// The `%VAR%`s the rules' texts name, each once: a report carries the host's values.
    vars: Vec<String>,
    /// Whether diagnoses carry only what the brief form and the summary write
    /// ([`Evaluator::set_lean`]).
    lean: bool,
}

impl Evaluator {
    /// Loads and compiles `files`; any problem in any of them refuses the whole set.
    pub fn new(files: &[RuleFile]) -> Result<Evaluator, Vec<Problem>> {
        let sandbox = Sandbox::new();
        let loaded = compile::load(&sandbox, files)?;
        // Many rules look a host's files and registry up more often than a few walks of the
        // lists are worth.
        sandbox.index_at_once(loaded.rules.len() > 4);
        let mut vars: Vec<String> = Vec::new();
        for name in loaded.rules.iter().flat_map(|r| &r.texts.vars) {
            if !vars.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                vars.push(name.clone());
            }
        }
        Ok(Evaluator {
            sandbox,
            rules: loaded.rules,
            kept: loaded.kept,
            warnings: loaded.warnings,
            vars,
            lean: false,
        })
    }

    /// Makes diagnoses carry only what the brief form (`report::brief`) and the summary write:
    /// status, evidence, missing facts, scope, symptoms, notes, and the recommendation's action,
    /// facts to collect and prerequisites (their status and evidence). Not the texts a brief run
    /// writes once per article in its record, nor those made from them for the host (the
    /// explanation, the summaries, the steps, the fix's texts with the host's `%VAR%`s): a run
    /// that writes no full report does not make them. Every condition is evaluated as before.
    pub fn set_lean(&mut self, lean: bool) {
        self.lean = lean;
    }

    /// Whether [`Evaluator::set_lean`] was asked for.
    pub fn is_lean(&self) -> bool {
        self.lean
    }

    /// Problems found loading the rules that do not stop evaluation.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The sandbox the rules were compiled for.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Makes `facts` the host that `rule`'s conditions read.
    pub fn bind(&self, facts: &Rc<Facts>, rule: &CompiledRule) {
        self.sandbox.bind(facts.clone(), rule.knowledge.clone());
    }

    /// Reads one fact document and diagnoses it; a document that cannot be read gives a report
    /// with a located error instead.
    pub fn report(&self, name: &str, bytes: impl AsRef<[u8]>) -> Report {
        self.report_at(name, None, bytes.as_ref())
    }

    /// Like [`Evaluator::report`], for a document that starts at `line` of an NDJSON stream:
    /// error locations count from there.
    pub fn report_at(&self, name: &str, line: Option<usize>, bytes: &[u8]) -> Report {
        match facts::read_document(name, line, bytes) {
            Ok(facts) => Report {
                file: name.to_owned(),
                line,
                host: Some(facts.host.as_str().to_owned()),
                collected_from: (facts.collector.iter())
                    .flat_map(|c| &c.artifacts)
                    .map(|a| match &a.facts {
                        Some(facts) => format!("{}: {facts}", a.path),
                        None => a.path.as_str().to_owned(),
                    })
                    .collect(),
                not_collected: (facts.collector.iter())
                    .flat_map(|c| &c.not_collected)
                    .map(|n| match &n.reason {
                        Some(reason) => format!("{}: {reason}", n.fact),
                        None => n.fact.as_str().to_owned(),
                    })
                    .collect(),
                env: (self.vars.iter())
                    .filter_map(|n| Some((n.clone(), as_windows_path(facts.env_var(n)?))))
                    .collect(),
                results: Some(self.diagnose(facts)),
                error: None,
                location: None,
                snippet: None,
            },
            Err(problem) => Report::failed(problem),
        }
    }

    /// One diagnosis per rule, in rule order.
    pub fn diagnose(&self, facts: Facts) -> Vec<Diagnosis> {
        let facts = Rc::new(facts);
        self.kept.next_host();
        self.rules
            .iter()
            .map(|rule| {
                self.bind(&facts, rule);
                diagnose_rule(&self.sandbox, &self.kept, rule, &facts, self.lean)
                    .unwrap_or_else(|e| failed(rule, e))
            })
            .collect()
    }
}

fn diagnose_rule(
    sb: &Sandbox,
    kept: &Kept,
    compiled: &CompiledRule,
    facts: &Facts,
    lean: bool,
) -> Result<Diagnosis, EvalError> {
    let rule = &compiled.rule;
    let mut applies = kept.eval(sb, compiled.kept.applies, &compiled.applies)?;
    let mut d = blank(compiled);
    d.status = Status::NotApplicable;
    // The diagnosis's evidence, from every part, each item once and bounded (`evidence.rs`).
    let mut evidence = std::mem::take(&mut applies.evidence);
    if applies.truth == Truth::False {
        d.evidence = evidence.into_vec(nouns::EVIDENCE);
        if !lean {
            d.summary = compiled.texts.not_applicable.clone();
            d.recommendation = Recommendation::none("Nothing to do.");
        }
        return Ok(d);
    }
    if let Some(node) = &compiled.products {
        d.scope = Some(scope(
            rule,
            kept.eval(sb, compiled.kept.products, node)?,
            lean,
        ));
    }

    let mut cause = compiled.cause.eval(sb)?;
    if !lean {
        d.explanation = Some(filled(facts, &compiled.texts.explanation));
    }
    evidence.extend(std::mem::take(&mut cause.evidence));
    let reports = reported_symptoms(compiled, facts, &mut d.notes)?;
    let mut counts = Vec::new();
    for (i, (symptom, node)) in rule.symptoms.iter().zip(&compiled.symptoms).enumerate() {
        let verdict = match node {
            Some(node) => Some(node.eval(sb)?),
            None => None,
        };
        let by_people: Vec<String> = (reports.iter())
            .filter(|(id, _)| id.eq_ignore_ascii_case(&symptom.id))
            .map(|(_, said)| said.clone())
            .collect();
        let (text, ask) = &compiled.texts.symptoms[i];
        let texts = match lean {
            true => (text.clone(), ask.clone()),
            false => (filled(facts, text), ask.as_ref().map(|a| filled(facts, a))),
        };
        // Where the line counting the matches left out stands: after those kept.
        let count_at = (verdict.as_ref())
            .filter(|v| v.matches.left_out() > 0)
            .map(|v| v.matches.len() - v.matches.left_out());
        let result = symptom_result(symptom, &texts, verdict, by_people);
        if result.observed == Observed::Observed {
            for (i, m) in result.evidence.iter().enumerate() {
                let line = ["symptom ", &result.id, ": ", m].concat();
                // The count of the matches a symptom left out is told whatever else there is.
                if count_at == Some(i) {
                    counts.push(line);
                } else {
                    evidence.push(line);
                }
            }
        }
        d.symptoms.push(result);
    }
    let seen: Vec<&str> = (d.symptoms.iter())
        .filter(|s| s.observed == Observed::Observed)
        .map(|s| s.id.as_str())
        .collect();

    // Whether the host has the fix: asked only where the cause or trigger may hold.
    let mut fixed = match (&compiled.fixed, cause.truth) {
        (Some(node), Truth::True | Truth::Unknown) => Some(node.eval(sb)?),
        _ => None,
    };
    if let Some(f) = fixed.as_mut() {
        evidence.extend(std::mem::take(&mut f.evidence));
    }
    d.evidence = evidence.into_vec(nouns::EVIDENCE);
    d.evidence.extend(counts);
    let fix_truth = fixed.as_ref().map_or(Truth::False, |f| f.truth);
    let trigger_only = rule.cause.shows == crate::rules::rule::Shows::Trigger;
    d.status = match (applies.truth, cause.truth, fix_truth) {
        (_, Truth::False, _) => Status::NotAffected,
        (_, _, Truth::True) => Status::NotAffected,
        (Truth::True, Truth::True, Truth::False) if trigger_only && seen.is_empty() => {
            Status::Exposed
        }
        (Truth::True, Truth::True, Truth::False) => Status::Affected,
        _ if !seen.is_empty() => Status::Suspected,
        _ => Status::Unknown,
    };
    if !lean {
        let fix_on_host = cause.truth != Truth::False && fix_truth == Truth::True;
        d.summary = summary(
            d.status,
            cause.truth,
            &seen,
            trigger_only,
            compiled.fixed.is_some(),
            fix_on_host,
        );
    }
    let installs = (rule.resolution.as_ref())
        .is_some_and(|r| matches!(r.kind, ResolutionKind::Hotfix | ResolutionKind::Update));
    d.lacks_fix = installs && matches!(d.status, Status::Affected | Status::Exposed);
    if d.lacks_fix {
        d.covered_by = compiled.texts.covered_by.clone();
    }
    if !lean && (d.status.needs_attention() || d.status == Status::Exposed) {
        d.article = Some(Box::new(Article {
            revision: rule.revision.as_ref().map(|r| r.as_str().to_owned()),
            last_reviewed: rule.last_reviewed.as_ref().map(|r| r.as_str().to_owned()),
            status: rule.status.as_ref().map(|s| s.trim().to_owned()),
            related: rule.related.clone(),
            support_note: None,
        }));
    }
    // A lean diagnosis says nothing the brief form does not write.
    let said = |text: &str| if lean { String::new() } else { text.to_owned() };
    d.recommendation = match d.status {
        Status::Affected => remedy(sb, kept, compiled, facts, lean)?,
        Status::Exposed if lean => Recommendation {
            action: Action::Watch,
            ..remedy(sb, kept, compiled, facts, lean)?
        },
        Status::Exposed => watch(&d.symptoms, remedy(sb, kept, compiled, facts, lean)?),
        Status::Suspected | Status::Unknown => {
            let mut missing = std::mem::take(&mut applies.missing);
            missing.extend(cause.missing);
            if let Some(f) = fixed {
                missing.extend(f.missing);
            }
            let missing = missing.into_vec(nouns::MISSING);
            d.missing = missing.clone();
            Recommendation {
                action: Action::CollectFacts,
                summary: said("Collect the missing facts, then run kbdiag again."),
                collect: missing,
                ..Recommendation::none("")
            }
        }
        _ => Recommendation::none(said("Nothing to do for this article.")),
    };
    // The support-charges note goes with the fix; a host not yet told the fix is told it here.
    if let Some(article) = d
        .article
        .as_mut()
        .filter(|_| d.recommendation.hotfix.is_none())
    {
        article.support_note = compiled.texts.support_note.clone();
    }
    Ok(d)
}

/// Whether the host is one of the listed products, from the value of `products_when`.
/// The diagnosis's one sentence, for the full forms: apart, so that a lean run's path through
/// `diagnose_rule` stays short.
#[inline(never)]
fn summary(
    status: Status,
    cause: Truth,
    seen: &[&str],
    trigger_only: bool,
    has_fixed: bool,
    fix_on_host: bool,
) -> String {
    match status {
        Status::Affected if trigger_only && has_fixed => format!(
            "The article's fix is missing, the trigger it names is present, and symptoms are observed ({}).",
            seen.join(", ")
        ),
        Status::Affected if trigger_only => format!(
            "The trigger the article names is present, and symptoms are observed ({}).",
            seen.join(", ")
        ),
        Status::Affected => {
            "The facts show the cause the article describes on this host.".to_owned()
        }
        Status::Exposed if has_fixed => "The article's fix is missing and the trigger it names is present; no symptom is observed, and the facts cannot show the problem itself.".to_owned(),
        Status::Exposed => "The trigger the article names is present; no symptom is observed, and the facts cannot show the problem itself.".to_owned(),
        Status::NotAffected if fix_on_host && seen.is_empty() => {
            "The article's fix is on this host.".to_owned()
        }
        Status::NotAffected if fix_on_host => format!(
            "The article's fix is on this host, although symptoms are observed ({}): look for another cause.",
            seen.join(", ")
        ),
        Status::NotAffected if seen.is_empty() => "The facts rule the cause out.".to_owned(),
        Status::NotAffected => format!(
            "The facts rule the cause out, although symptoms are observed ({}): look for another cause.",
            seen.join(", ")
        ),
        Status::Suspected if cause == Truth::True => format!(
            "Symptoms are observed ({}) and the article's {} is present, but whether the fix is on this host cannot be decided without more facts.",
            seen.join(", "),
            if trigger_only { "trigger" } else { "cause" }
        ),
        Status::Suspected => format!(
            "Symptoms are observed ({}), but the cause cannot be decided without more facts.",
            seen.join(", ")
        ),
        Status::Unknown if cause == Truth::True => format!(
            "The article's {} is present, but whether the fix is on this host cannot be decided without more facts.",
            if trigger_only { "trigger" } else { "cause" }
        ),
        _ => {
            "The cause cannot be decided without more facts, and no symptom is observed.".to_owned()
        }
    }
}

/// A lean scope names no products and gives no note: the article's record holds them.
fn scope(rule: &crate::rules::rule::Rule, v: Verdict, lean: bool) -> Scope {
    let listed = match v.truth {
        Truth::True => Listed::Listed,
        Truth::False => Listed::NotListed,
        Truth::Unknown => Listed::Unknown,
    };
    Scope {
        listed,
        products: match lean {
            true => Vec::new(),
            false => rule.applies_to.products.clone(),
        },
        note: (listed != Listed::Listed && !lean)
            .then(|| {
                rule.applies_to
                    .products_note
                    .as_ref()
                    .map(|n| n.trim().to_owned())
            })
            .flatten(),
        evidence: v.evidence.into_vec(nouns::READS),
        missing: v.missing.into_vec(nouns::MISSING),
    }
}

/// The symptoms of this rule that people reported on this host: (symptom id, what was said).
/// A report naming a symptom the rule lacks becomes a note, so it is not lost.
fn reported_symptoms(
    compiled: &CompiledRule,
    facts: &Facts,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, String)>, EvalError> {
    let rule = &compiled.rule;
    let list = facts.reported_symptoms.get().map_err(|message| EvalError {
        condition: "reported_symptoms".into(),
        message,
    })?;
    let mut found = Vec::new();
    let ours = |r: &str| {
        rule.id.eq_ignore_ascii_case(r.trim())
            || rule
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(r.trim()))
    };
    for report in list.into_iter().flatten().filter(|r| ours(r.rule.as_str())) {
        let id = report.symptom.as_str().trim();
        if !rule.symptoms.iter().any(|s| s.id.eq_ignore_ascii_case(id)) {
            let ids: Vec<&str> = rule.symptoms.iter().map(|s| s.id.as_str()).collect();
            notes.push(format!(
                "The facts report a symptom `{id}` of {}, which has no such symptom (it has {}).",
                rule.id,
                ids.join(", ")
            ));
            continue;
        }
        let mut said = "reported by a person".to_owned();
        if let Some(by) = &report.by {
            said.push_str(&format!(" ({by})"));
        }
        if let Some(time) = &report.time {
            said.push_str(&format!(" at {time}"));
        }
        if let Some(note) = &report.note {
            said.push_str(&format!(": \"{}\"", note.as_str().trim()));
        }
        found.push((id.to_owned(), said));
    }
    Ok(found)
}

fn symptom_result(
    symptom: &crate::rules::rule::Symptom,
    (text, ask): &(Shared, Option<Shared>),
    verdict: Option<Verdict>,
    by_people: Vec<String>,
) -> SymptomResult {
    let mut result = SymptomResult {
        id: symptom.id.clone(),
        text: text.clone(),
        observed: Observed::ReportOnly,
        ask: ask.clone(),
        evidence: Vec::new(),
        missing: Vec::new(),
    };
    if let Some(v) = verdict {
        result.observed = match v.truth {
            Truth::True => Observed::Observed,
            Truth::False => Observed::NotObserved,
            Truth::Unknown => Observed::Unknown,
        };
        result.evidence = if v.matches.is_empty() {
            v.evidence.into_vec(nouns::READS)
        } else {
            v.matches.into_vec(nouns::MATCHES)
        };
        result.missing = v.missing.into_vec(nouns::MISSING);
    }
    if !by_people.is_empty() {
        // A person's report is an observation, whatever the other facts could show.
        if result.observed != Observed::Observed {
            result.evidence.clear();
            result.missing.clear();
        }
        result.observed = Observed::Observed;
        result.evidence.extend(by_people);
    }
    result
}

/// A diagnosis naming the rule, to be filled in.
fn blank(compiled: &CompiledRule) -> Diagnosis {
    Diagnosis {
        kb: compiled.texts.kb.clone(),
        aliases: compiled.texts.aliases.clone(),
        title: compiled.texts.title.clone(),
        revision: compiled.texts.revision.clone(),
        digest: compiled.texts.digest.clone(),
        status: Status::Unknown,
        summary: String::new(),
        evidence: Vec::new(),
        missing: Vec::new(),
        scope: None,
        explanation: None,
        symptoms: Vec::new(),
        notes: Vec::new(),
        recommendation: Recommendation::none(""),
        article: None,
        error: None,
        lacks_fix: false,
        covered_by: Vec::new(),
    }
}

fn failed(compiled: &CompiledRule, e: EvalError) -> Diagnosis {
    Diagnosis {
        status: Status::Error,
        summary: format!(
            "The rule ({}) could not be evaluated on this host.",
            compiled.file
        ),
        recommendation: Recommendation::none("Fix the rule, then run kbdiag again."),
        error: Some(format!("rule {}, {e}", compiled.rule.id)),
        ..blank(compiled)
    }
}

/// A rule's text with the host's `%VAR%`s filled in; shared unchanged when it names none.
pub(super) fn filled(facts: &Facts, text: &Shared) -> Shared {
    if text.contains('%') {
        Shared::new(&expand_vars(text, |n| shown_var(facts, n)).0)
    } else {
        text.clone()
    }
}

/// Longest value of a `%VAR%` put into a rule's text: a system root is a path (at most 260
/// characters on Windows NT), and a value of megabytes from hostile facts would otherwise grow
/// every text that names it, in every rule, on every host.
const MAX_SHOWN_VALUE: usize = 1024;

/// The host's value of `%name%` as a rule's text shows it; none (the text keeps `%name%`) when it
/// is not collected or longer than [`MAX_SHOWN_VALUE`].
pub(super) fn shown_var(facts: &Facts, name: &str) -> Option<String> {
    (facts.env_var(name))
        .filter(|v| v.len() <= MAX_SHOWN_VALUE)
        .map(as_windows_path)
}

/// A value such as `c:/winnt` shown as the Windows path `c:\winnt`; other values unchanged.
fn as_windows_path(value: &str) -> String {
    let b = value.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        value.replace('/', "\\")
    } else {
        value.to_owned()
    }
}
