//! Output: the text report a support engineer reads, one JSON document, or NDJSON lines.

use std::fmt::Write as _;

use crate::report::diagnosis::{
    Action, Diagnosis, Listed, Observed, PrerequisiteStatus, Report, Status,
};
use crate::report::summary::Summary;

/// Output formats of `kbdiag eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A report per host, then the fleet summary.
    Text,
    /// One JSON document: `reports` and `summary`.
    Json,
    /// One JSON line per fact document.
    Ndjson,
    /// The fleet summary only.
    Summary,
    /// The fleet summary only, as one JSON line `{"summary": {…}}` that `kbdiag merge` adds up.
    SummaryJson,
    /// One self-contained HTML page: the fleet at a glance, the hosts that need action, every
    /// host's report, and the inputs that could not be read.
    Html,
}

/// Escapes control characters (terminal escape sequences included), bidirectional overrides and
/// invisible characters, so facts and rules cannot drive the terminal or make text read as
/// something it is not: `\u{1b}` and `\u{202e}` are shown, not sent.
pub fn clean(text: &str) -> String {
    let hidden = |c: char| (c.is_control() && c != '\n') || is_invisible(c);
    if !text.chars().any(hidden) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Characters that change how text reads without showing: bidirectional embeddings, overrides and
/// isolates, zero-width characters, line and paragraph separators, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
            | '\u{00ad}'
    )
}

/// One NDJSON line (no newline).
pub fn ndjson(report: &Report) -> String {
    crate::report::compact::to_string(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize: {e}\"}}"))
}

/// One report as pretty JSON, an element of the `--format json` document's `reports`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize: {e}\"}}"))
}

/// How much of a host's text report to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Detail {
    /// Every article that needs a look (affected, suspected, exposed, unknown, error) in full,
    /// the most urgent first; the rest one line per status, naming the articles.
    #[default]
    Brief,
    /// Every article in full, in rule order.
    Full,
}

/// One input's part of the text report, brief.
pub fn text(report: &Report) -> String {
    text_with(report, Detail::Brief)
}

/// The order a brief report shows statuses in: what needs action first.
const URGENCY: [Status; 7] = [
    Status::Error,
    Status::Affected,
    Status::Suspected,
    Status::Exposed,
    Status::Unknown,
    Status::NotAffected,
    Status::NotApplicable,
];

/// `1 article`, `19 articles`.
fn articles(n: usize) -> String {
    format!("{n} article{}", if n == 1 { "" } else { "s" })
}

/// One input's part of the text report. With one result, `Brief` and `Full` are the same.
pub fn text_with(report: &Report, detail: Detail) -> String {
    let mut out = String::new();
    let file = match report.line {
        Some(line) => clean(&format!("{}:{line}", report.file)),
        None => clean(&report.file),
    };
    match (&report.host, &report.error) {
        (_, Some(error)) => {
            let _ = writeln!(out, "{file}: ERROR, not evaluated");
            let _ = writeln!(out, "  {}", clean(error));
            for line in report.snippet.iter().flat_map(|s| s.lines()) {
                let _ = writeln!(out, "  {}", clean(line));
            }
        }
        (host, None) => {
            let _ = writeln!(out, "{} ({file})", clean(host.as_deref().unwrap_or("?")));
            for a in &report.collected_from {
                let _ = writeln!(out, "  Collected from {}", clean(a));
            }
            for n in &report.not_collected {
                let _ = writeln!(out, "  Not collected: {}", clean(n));
            }
            let results = report.results.as_deref().unwrap_or_default();
            if detail == Detail::Full || results.len() <= 1 {
                for d in results {
                    diagnosis_text(&mut out, d);
                }
                return out;
            }
            for status in URGENCY {
                let of: Vec<&Diagnosis> = results.iter().filter(|d| d.status == status).collect();
                if of.is_empty() {
                    continue;
                }
                if status == Status::Exposed {
                    let _ = writeln!(
                        out,
                        "  exposed: {}, the fix missing and the trigger present; watch for the symptoms (--detail full shows each in full):",
                        articles(of.len())
                    );
                    for d in of {
                        // The last finding is what the fix condition read: the file, the hotfix.
                        let why = d
                            .evidence
                            .last()
                            .map_or(String::new(), |e| format!(": {e}"));
                        let covered = if d.covered_by.is_empty() {
                            String::new()
                        } else {
                            let c: Vec<&str> = d.covered_by.iter().map(|c| c.as_str()).collect();
                            format!(" (covered by the later {})", c.join("; "))
                        };
                        let _ = writeln!(
                            out,
                            "    {} {}{}{}",
                            clean(&d.kb),
                            clean(&d.title),
                            clean(&why),
                            clean(&covered)
                        );
                    }
                    continue;
                }
                if status == Status::Unknown {
                    let _ = writeln!(
                        out,
                        "  unknown: {}, for lack of facts (--detail full shows each in full):",
                        articles(of.len())
                    );
                    for d in of {
                        let collect = d.recommendation.collect.join("; ");
                        let _ = writeln!(
                            out,
                            "    {} {}: collect {}",
                            clean(&d.kb),
                            clean(&d.title),
                            clean(&collect)
                        );
                    }
                    continue;
                }
                if matches!(status, Status::NotAffected | Status::NotApplicable) {
                    // Ruled out although a symptom shows: another cause is at work, say it all.
                    let seen = |d: &Diagnosis| {
                        (d.symptoms.iter()).any(|s| s.observed == Observed::Observed)
                    };
                    for d in of.iter().filter(|d| seen(d)) {
                        diagnosis_text(&mut out, d);
                    }
                    let of: Vec<&Diagnosis> = of.into_iter().filter(|d| !seen(d)).collect();
                    if of.is_empty() {
                        continue;
                    }
                    let ids: Vec<String> = of.iter().map(|d| clean(&d.kb)).collect();
                    let _ = writeln!(
                        out,
                        "  {}: {} ({})",
                        status.as_str().replace('_', " "),
                        articles(of.len()),
                        ids.join(", ")
                    );
                    continue;
                }
                for d in of {
                    diagnosis_text(&mut out, d);
                }
            }
            if results
                .iter()
                .any(|d| matches!(d.status, Status::NotAffected | Status::NotApplicable))
            {
                let _ = writeln!(out, "  (--detail full shows every article's evidence)");
            }
        }
    }
    out
}

fn diagnosis_text(out: &mut String, d: &Diagnosis) {
    let status = d.status.as_str().to_uppercase().replace('_', " ");
    let _ = writeln!(out, "  {} {status}: {}", clean(&d.kb), clean(&d.title));
    let _ = writeln!(out, "    {}", clean(&d.summary));
    if let Some(error) = &d.error {
        let _ = writeln!(out, "    Error: {}", clean(error));
    }
    scope_text(out, d);
    list(out, "Findings (this host's facts)", &findings(d));
    if let Some(explanation) = d
        .explanation
        .as_ref()
        .filter(|_| d.status != Status::NotAffected)
    {
        let _ = writeln!(
            out,
            "    The article's explanation of the cause: {}",
            clean(explanation)
        );
    }
    if d.status != Status::NotApplicable {
        symptoms_text(out, d);
    }
    list(out, "Notes", &d.notes);
    recommendation_text(out, d);
    if !d.covered_by.is_empty() {
        let covered: Vec<String> = d.covered_by.iter().map(|c| clean(c)).collect();
        let _ = writeln!(
            out,
            "    A later fix covers this one: {}. Installing it fixes this article too (\"these or later\").",
            covered.join("; ")
        );
    }
    article_text(out, d);
}

/// The evidence but the observed symptoms' matches, which reports show under each symptom.
pub fn findings(d: &Diagnosis) -> Vec<String> {
    let symptom_lines: Vec<String> = (d.symptoms.iter())
        .filter(|s| s.observed == Observed::Observed)
        .flat_map(|s| {
            s.evidence
                .iter()
                .map(move |m| format!("symptom {}: {m}", s.id))
        })
        .collect();
    (d.evidence.iter())
        .filter(|e| !symptom_lines.contains(e))
        .cloned()
        .collect()
}

fn scope_text(out: &mut String, d: &Diagnosis) {
    let Some(scope) = &d.scope else { return };
    let products = clean(&scope.products.join("; "));
    let said = match scope.listed {
        Listed::Listed => return,
        Listed::NotListed => format!(
            "this host is not one of the products the article lists ({products}); evidence: {}.",
            clean(&scope.evidence.join("; "))
        ),
        Listed::Unknown => format!(
            "whether this host is one of the products the article lists ({products}) is unknown: \
             collect {}.",
            clean(&scope.missing.join(", "))
        ),
    };
    let note = scope
        .note
        .as_ref()
        .map_or(String::new(), |n| format!(" {}", clean(n)));
    let _ = writeln!(out, "    Scope: {said}{note}");
}

fn symptoms_text(out: &mut String, d: &Diagnosis) {
    if d.symptoms.is_empty() {
        return;
    }
    let count = |o: Observed| d.symptoms.iter().filter(|s| s.observed == o).count();
    let _ = writeln!(
        out,
        "    Symptoms: {} observed, {} not observed, {} unknown, {} only a person can report",
        count(Observed::Observed),
        count(Observed::NotObserved),
        count(Observed::Unknown),
        count(Observed::ReportOnly)
    );
    for s in &d.symptoms {
        let id = clean(&s.id);
        match s.observed {
            Observed::Observed => {
                for m in &s.evidence {
                    let _ = writeln!(out, "      observed      {id}: {}", clean(m));
                }
            }
            Observed::NotObserved => {
                let why = s.evidence.join("; ");
                let why = if why.is_empty() {
                    why
                } else {
                    format!(" ({why})")
                };
                let _ = writeln!(out, "      not observed  {id}{}", clean(&why));
            }
            Observed::Unknown => {
                let _ = writeln!(
                    out,
                    "      unknown       {id} (collect {})",
                    clean(&s.missing.join(", "))
                );
            }
            Observed::ReportOnly => {
                let ask = s.ask.as_deref().unwrap_or(&s.text);
                let _ = writeln!(out, "      ask           {id}: {}", clean(ask));
            }
        }
    }
}

fn recommendation_text(out: &mut String, d: &Diagnosis) {
    let r = &d.recommendation;
    // An affected host is told what the article says even when there is nothing to install.
    if r.action == Action::None && d.status != Status::Affected {
        return;
    }
    let _ = writeln!(out, "    Do: {} - {}", r.action.as_str(), clean(&r.summary));
    for p in &r.prerequisites {
        let state = match p.status {
            PrerequisiteStatus::Met => "installed",
            PrerequisiteStatus::NotMet => "NOT installed",
            PrerequisiteStatus::Unknown => "unknown",
        };
        let why = if p.missing.is_empty() {
            &p.evidence
        } else {
            &p.missing
        };
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" ({})", why.join("; "))
        };
        let _ = writeln!(
            out,
            "      Prerequisite {}: {state}{}",
            clean(&p.text),
            clean(&why)
        );
    }
    numbered(out, &r.steps);
    for item in &r.collect {
        let _ = writeln!(out, "      - collect {}", clean(item));
    }
    if let Some(hotfix) = &r.hotfix {
        if let Some(caveat) = &hotfix.caveat {
            let _ = writeln!(out, "      Note: {}", clean(caveat));
        }
        if let Some(url) = &hotfix.url {
            let _ = writeln!(out, "      Contact: {}", clean(url));
        }
        if let Some(note) = &hotfix.note {
            let _ = writeln!(out, "      Support costs: {}", clean(note));
        }
        for link in hotfix.links.iter() {
            let _ = writeln!(out, "      {}: {}", clean(&link.label), clean(&link.url));
        }
        if !hotfix.files.is_empty() {
            let zone = if hotfix.files_not_utc {
                "times as the article gives them, zone not stated"
            } else {
                "UTC"
            };
            let _ = writeln!(
                out,
                "      Hotfix files (the article's table, {zone}; these or later versions):"
            );
        }
        for f in hotfix.files.iter() {
            let _ = writeln!(out, "        {}", file_row(f));
        }
        if let Some(note) = &hotfix.files_note {
            let _ = writeln!(out, "      {}", clean(note));
        }
    }
    for alt in r.alternative.iter().map(|a| &**a).chain(&r.alternatives) {
        let _ = writeln!(
            out,
            "    Or, if {}: {}",
            clean(&alt.when),
            alt.id.as_deref().unwrap_or(alt.action.as_str())
        );
        if let Some(text) = &alt.text {
            let _ = writeln!(out, "      {}", clean(text));
        }
        numbered(out, &alt.steps);
    }
}

fn article_text(out: &mut String, d: &Diagnosis) {
    let Some(a) = &d.article else { return };
    let mut line = format!("    Article: {}", d.kb);
    if let Some(revision) = &a.revision {
        line.push_str(&format!(", revision {revision}"));
    }
    if let Some(reviewed) = &a.last_reviewed {
        line.push_str(&format!(", last reviewed {reviewed}"));
    }
    line.push('.');
    if let Some(status) = &a.status {
        line.push_str(&format!(" {status}"));
    }
    let _ = writeln!(out, "{}", clean(&line));
    if let Some(note) = &a.support_note {
        let _ = writeln!(out, "      Support costs: {}", clean(note));
    }
    for r in &a.related {
        let url = r.url.as_ref().map_or(String::new(), |u| format!(" ({u})"));
        let note = r
            .note
            .as_ref()
            .map_or(String::new(), |n| format!(": {}", n.trim()));
        let _ = writeln!(
            out,
            "      See also {} {}{}{}",
            clean(&r.id),
            clean(r.title.trim()),
            clean(&url),
            clean(&note)
        );
    }
}

fn list(out: &mut String, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "    {heading}:");
    for item in items {
        let _ = writeln!(out, "      - {}", clean(item));
    }
}

fn numbered(out: &mut String, steps: &[String]) {
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(out, "      {}. {}", i + 1, clean(step));
    }
}

/// The fleet summary as one JSON line, `{"summary": {…}}`: the form `kbdiag merge` reads.
pub fn summary_line(s: &Summary) -> String {
    serde_json::json!({ "summary": s }).to_string()
}

/// The fleet summary as text: counts per rule and status, then the hosts that need action.
pub fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    let evaluated = s.inputs - s.errors;
    let _ = write!(
        out,
        "Summary: {evaluated} host{} evaluated",
        if evaluated == 1 { "" } else { "s" }
    );
    if s.errors > 0 {
        let _ = write!(
            out,
            ", {} input{} could not be evaluated",
            s.errors,
            if s.errors == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
    for (kb, statuses) in &s.rules {
        let parts: Vec<String> = [
            Status::Affected,
            Status::Suspected,
            Status::Exposed,
            Status::Unknown,
            Status::NotAffected,
            Status::NotApplicable,
            Status::Error,
        ]
        .iter()
        .filter_map(|st| {
            let n = statuses.get(st).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {}", st.as_str().replace('_', " ")))
        })
        .collect();
        let _ = writeln!(out, "  {}: {}", clean(kb), parts.join(", "));
    }
    let missing = s.missing_fixes_by_hosts();
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "Fixes the fleet lacks (hosts without the article's fix, its cause or trigger present):"
        );
        for (kb, m) in missing {
            let mut parts = Vec::new();
            if m.affected > 0 {
                parts.push(format!("{} affected", m.affected));
            }
            if m.exposed > 0 {
                parts.push(format!("{} exposed", m.exposed));
            }
            let covered = if m.covered_by.is_empty() {
                String::new()
            } else {
                format!("; covered by the later {}", clean(&m.covered_by.join("; ")))
            };
            let _ = writeln!(
                out,
                "  {:<10} {} host{} ({}){covered}",
                clean(kb),
                m.hosts(),
                if m.hosts() == 1 { "" } else { "s" },
                parts.join(", ")
            );
        }
    }
    if s.needs_action_total > 0 {
        let _ = writeln!(out, "Hosts that need action:");
        for item in &s.needs_action {
            let at = match item.line {
                Some(line) => format!("{}:{line}", item.file),
                None => item.file.clone(),
            };
            let _ = writeln!(
                out,
                "  {:<16} {:<10} {:<10} {:<21} {}",
                clean(&item.host),
                clean(&item.kb),
                item.status.as_str(),
                item.action.as_str(),
                clean(&at)
            );
        }
        let unlisted = s.needs_action_total - s.needs_action.len();
        if unlisted > 0 {
            let _ = writeln!(out, "  … and {unlisted} more (see --format ndjson)");
        }
    }
    out
}

/// One row of an article's file table, as the text report shows it: the columns the row has.
fn file_row(f: &crate::rules::rule::FileRow) -> String {
    let mut line = format!("{:<14}", clean(&f.file));
    if let Some(v) = &f.version {
        line.push_str(&format!(" {:<15}", clean(v.as_str())));
    }
    match f.size {
        Some(size) => line.push_str(&format!(" {size:>7} bytes")),
        None => line.push_str("              "),
    }
    line.push_str(&format!(
        "  {} {:<5}  {}",
        f.date,
        f.time.as_ref().map_or("", |t| t.as_str()),
        clean(f.platform.as_deref().unwrap_or(""))
    ));
    if let Some(bits) = f.bits {
        line.push_str(&format!(" {bits}-bit"));
    }
    if let Some(p) = &f.package {
        line.push_str(&format!(" ({})", clean(p)));
    }
    line.trim_end().to_owned()
}
