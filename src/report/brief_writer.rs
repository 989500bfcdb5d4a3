//! The brief NDJSON line written straight into its text: the bytes `brief::line` serializes
//! (tests/brief.rs compares the two on thousands of hosts), without building the line first.
//! A fleet run writes one per host, and building it (a list of positions per text list, a
//! struct per result) cost as much as writing it.

use crate::evaluate::diagnosis::{Action, Diagnosis, Listed, Observed, PrerequisiteStatus, Report};
use crate::report::brief::{STATUS_ORDER, SYMPTOM_ORDER, Texts, shown_under_symptom};
use crate::report::compact::push_string;

/// The brief NDJSON line of `report` (no newline); `None` for a line without results (an
/// input that could not be read), which `brief::ndjson` serializes.
pub fn line(report: &Report, rules: &str) -> Option<String> {
    let results = report.results.as_ref()?;
    if report.location.is_some() {
        return None;
    }
    // First the texts, numbered in the order `brief::result` meets them: each result's numbers
    // are a run of `numbers`, its evidence first.
    let mut texts = Texts::with_capacity(8 + 2 * results.len());
    let mut numbers: Vec<u32> = Vec::with_capacity(64 * results.len().max(1));
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(results.len());
    for d in results {
        runs.push((numbers.len(), number(d, &mut texts, &mut numbers)));
    }

    let mut out = String::with_capacity(1024 + 64 * results.len());
    out.push_str("{\"file\":");
    push_string(&mut out, &report.file);
    if let Some(line) = report.line {
        out.push_str(",\"line\":");
        out.push_str(itoa::Buffer::new().format(line));
    }
    if let Some(host) = &report.host {
        out.push_str(",\"host\":");
        push_string(&mut out, host);
    }
    strings(&mut out, "collected_from", &report.collected_from);
    strings(&mut out, "not_collected", &report.not_collected);
    out.push_str(",\"rules\":");
    push_string(&mut out, rules);
    if !report.env.is_empty() {
        out.push_str(",\"env\":{");
        for (i, (name, value)) in report.env.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(&mut out, name);
            out.push(':');
            push_string(&mut out, value);
        }
        out.push('}');
    }
    strings(&mut out, "texts", &texts.list);

    out.push_str(",\"results\":{");
    let mut first_group = true;
    for status in STATUS_ORDER {
        let mut first = true;
        for (d, &(start, evidence)) in results.iter().zip(&runs) {
            if d.status != status {
                continue;
            }
            if first {
                if !first_group {
                    out.push(',');
                }
                push_string(&mut out, status.as_str());
                out.push_str(":{");
                first = false;
                first_group = false;
            } else {
                out.push(',');
            }
            push_string(&mut out, &d.kb);
            out.push(':');
            positions(&mut out, &numbers[start..start + evidence]);
        }
        if !first {
            out.push('}');
        }
    }
    out.push('}');

    let mut first = true;
    for (d, &(start, evidence)) in results.iter().zip(&runs) {
        if !has_details(d) {
            continue;
        }
        out.push_str(if first { ",\"details\":{" } else { "," });
        first = false;
        push_string(&mut out, &d.kb);
        out.push(':');
        let mut next = Cursor {
            numbers: &numbers,
            at: start + evidence,
        };
        details(&mut out, d, &mut next);
    }
    if !first {
        out.push('}');
    }
    if let Some(error) = &report.error {
        out.push_str(",\"error\":");
        push_string(&mut out, error);
    }
    out.push('}');
    Some(out)
}

/// Numbers the texts of `d` in `brief::result`'s order, appending them to `numbers`; returns
/// how many are its evidence (the first ones).
fn number<'a>(d: &'a Diagnosis, texts: &mut Texts<'a>, numbers: &mut Vec<u32>) -> usize {
    let before = numbers.len();
    for e in (d.evidence.iter()).filter(|e| !shown_under_symptom(d, e)) {
        numbers.push(texts.of(e));
    }
    let count = numbers.len() - before;
    let mut all = |list: &'a [String]| numbers.extend(list.iter().map(|t| texts.of(t)));
    all(&d.missing);
    if let Some(s) = d.scope.as_ref().filter(|s| s.listed != Listed::Listed) {
        all(&s.evidence);
        all(&s.missing);
    }
    for state in SYMPTOM_ORDER {
        for s in d.symptoms.iter().filter(|s| s.observed == state) {
            all(&s.evidence);
            all(&s.missing);
        }
    }
    all(&d.notes);
    let r = &d.recommendation;
    if r.action != Action::None {
        all(&r.collect);
        for p in &r.prerequisites {
            all(&p.evidence);
            all(&p.missing);
        }
    }
    count
}

/// Whether `brief::result` gives `d` details.
fn has_details(d: &Diagnosis) -> bool {
    !d.missing.is_empty()
        || d.scope.as_ref().is_some_and(|s| s.listed != Listed::Listed)
        || d.symptoms
            .iter()
            .any(|s| SYMPTOM_ORDER.contains(&s.observed))
        || !d.notes.is_empty()
        || d.recommendation.action != Action::None
        || d.error.is_some()
}

/// The numbers of one result's lists after its evidence, taken in the order they were made.
struct Cursor<'a> {
    numbers: &'a [u32],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> &[u32] {
        let taken = &self.numbers[self.at..self.at + n];
        self.at += n;
        taken
    }
}

fn details(out: &mut String, d: &Diagnosis, next: &mut Cursor) {
    let mut fields = Fields::new(out);
    fields.positions("missing", next.take(d.missing.len()));
    if let Some(s) = d.scope.as_ref().filter(|s| s.listed != Listed::Listed) {
        let out = fields.key("scope");
        out.push_str("{\"listed\":");
        push_string(out, listed(s.listed));
        Fields::after_first(out).found(next, s.evidence.len(), s.missing.len());
        out.push('}');
    }
    if d.symptoms
        .iter()
        .any(|s| SYMPTOM_ORDER.contains(&s.observed))
    {
        let out = fields.key("symptoms");
        out.push('{');
        let mut first_state = true;
        for state in SYMPTOM_ORDER {
            let mut first = true;
            for s in d.symptoms.iter().filter(|s| s.observed == state) {
                if first {
                    if !first_state {
                        out.push(',');
                    }
                    push_string(out, observed(state));
                    out.push_str(":{");
                    first = false;
                    first_state = false;
                } else {
                    out.push(',');
                }
                push_string(out, &s.id);
                out.push(':');
                Fields::new(out).found(next, s.evidence.len(), s.missing.len());
                out.push('}');
            }
            if !first {
                out.push('}');
            }
        }
        out.push('}');
    }
    fields.positions("notes", next.take(d.notes.len()));
    let r = &d.recommendation;
    if r.action != Action::None {
        let out = fields.key("recommendation");
        out.push_str("{\"action\":");
        push_string(out, r.action.as_str());
        let mut inner = Fields::after_first(out);
        inner.positions("collect", next.take(r.collect.len()));
        if !r.prerequisites.is_empty() {
            let out = inner.key("prerequisites");
            out.push('[');
            for (i, p) in r.prerequisites.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"id\":");
                push_string(out, &p.id);
                out.push_str(",\"status\":");
                push_string(out, prerequisite(p.status));
                Fields::after_first(out).found(next, p.evidence.len(), p.missing.len());
                out.push('}');
            }
            out.push(']');
        }
        out.push('}');
    }
    if let Some(error) = &d.error {
        let out = fields.key("error");
        push_string(out, error);
    }
    out.push('}');
}

/// The fields of one object, after its `{`, each but the first after a comma.
struct Fields<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Fields<'a> {
    /// Opens the object.
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Fields { out, first: true }
    }

    /// The fields of an object already opened and given a field.
    fn after_first(out: &'a mut String) -> Self {
        Fields { out, first: false }
    }

    /// Writes `"name":` and hands back the text for its value.
    fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_string(self.out, name);
        self.out.push(':');
        self.out
    }

    /// `evidence` and `missing`, as many positions each, taken from `next`.
    fn found(&mut self, next: &mut Cursor, evidence: usize, missing: usize) {
        self.positions("evidence", next.take(evidence));
        self.positions("missing", next.take(missing));
    }

    /// A list of positions, left out when empty.
    fn positions(&mut self, name: &str, list: &[u32]) {
        if !list.is_empty() {
            let out = self.key(name);
            positions(out, list);
        }
    }
}

fn positions(out: &mut String, list: &[u32]) {
    out.push('[');
    let mut digits = itoa::Buffer::new();
    for (i, n) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(digits.format(*n));
    }
    out.push(']');
}

/// `,"name":[…]` for a list of texts, left out when empty.
fn strings<S: AsRef<str>>(out: &mut String, name: &str, list: &[S]) {
    if list.is_empty() {
        return;
    }
    out.push(',');
    push_string(out, name);
    out.push_str(":[");
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, s.as_ref());
    }
    out.push(']');
}

/// The names serde gives these (`rename_all = "snake_case"`).
fn observed(o: Observed) -> &'static str {
    match o {
        Observed::Observed => "observed",
        Observed::NotObserved => "not_observed",
        Observed::Unknown => "unknown",
        Observed::ReportOnly => "report_only",
    }
}

fn listed(l: Listed) -> &'static str {
    match l {
        Listed::Listed => "listed",
        Listed::NotListed => "not_listed",
        Listed::Unknown => "unknown",
    }
}

fn prerequisite(p: PrerequisiteStatus) -> &'static str {
    match p {
        PrerequisiteStatus::Met => "met",
        PrerequisiteStatus::NotMet => "not_met",
        PrerequisiteStatus::Unknown => "unknown",
    }
}
