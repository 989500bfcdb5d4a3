//! The text report of one input: a host against its rules, or why the input could not be read.
//!
//! Every one-line field goes through [`one_line`] and every paragraph of an article through
//! [`paragraph`], so nothing from facts or rules can start a line of its own.

use std::fmt::Write as _;

use super::articles::{self, Articles, Piece};
use super::{Detail, one_line, paragraph};
use crate::evaluate::diagnosis::{
    Action, Diagnosis, Listed, Observed, PrerequisiteStatus, Report, Status,
};

/// One input's part of the text report, brief, with the articles' own texts after it.
pub fn text(report: &Report) -> String {
    text_with(report, Detail::Brief)
}

/// One input's part of the text report. Brief, the articles' own texts follow in an "Articles"
/// section, as after the last host of a fleet; full, each is in place, as the articles say it.
pub fn text_with(report: &Report, detail: Detail) -> String {
    let mut articles = Articles::default();
    let mut out = articles.host(&fleet_text(report, detail));
    let section = articles.section();
    if !section.is_empty() {
        out.push('\n');
        out.push_str(&section);
    }
    out
}

/// One input's part of a fleet's text report, for [`Articles::host`] on the thread that writes
/// the output (brief, the articles' own texts are marked, to be printed once).
pub fn fleet_text(report: &Report, detail: Detail) -> String {
    let mut out = Out {
        text: String::new(),
        brief: detail == Detail::Brief,
    };
    host_text(&mut out, report, detail);
    out.text
}

/// A host's text as it is written: brief, an article's own texts are marked for [`Articles`],
/// which prints each once; full, they are written in place.
struct Out {
    text: String,
    brief: bool,
}

impl Out {
    /// A piece of `kb`'s own text, whole lines written by `write`.
    fn piece(&mut self, kb: &str, piece: Piece, write: impl FnOnce(&mut String)) {
        if self.brief {
            let mut body = String::new();
            write(&mut body);
            articles::mark(&mut self.text, kb, piece, &body);
        } else {
            write(&mut self.text);
        }
    }
}

/// `1 article`, `19 articles`.
fn articles(n: usize) -> String {
    format!("{n} article{}", if n == 1 { "" } else { "s" })
}

fn host_text(out: &mut Out, report: &Report, detail: Detail) {
    let file = match report.line {
        Some(line) => one_line(&format!("{}:{line}", report.file)),
        None => one_line(&report.file),
    };
    let o = &mut out.text;
    if let Some(error) = &report.error {
        let _ = writeln!(o, "{file}: ERROR, not evaluated");
        let _ = writeln!(o, "  {}", one_line(error));
        for line in report.snippet.iter().flat_map(|s| s.lines()) {
            let _ = writeln!(o, "  {}", one_line(line));
        }
        return;
    }
    let host = one_line(report.host.as_deref().unwrap_or("?"));
    let _ = writeln!(o, "{host} ({file})");
    for a in &report.collected_from {
        let _ = writeln!(o, "  Collected from {}", one_line(a));
    }
    for n in &report.not_collected {
        let _ = writeln!(o, "  Not collected: {}", one_line(n));
    }
    let results = report.results.as_deref().unwrap_or_default();
    if detail == Detail::Full || results.len() <= 1 {
        for d in results {
            diagnosis_text(out, d);
        }
        return;
    }
    for status in Status::BY_URGENCY {
        let of: Vec<&Diagnosis> = results.iter().filter(|d| d.status == status).collect();
        if of.is_empty() {
            continue;
        }
        let o = &mut out.text;
        if status == Status::Exposed {
            let _ = writeln!(
                o,
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
                    o,
                    "    {} {}{}{}",
                    one_line(&d.kb),
                    one_line(&d.title),
                    one_line(&why),
                    one_line(&covered)
                );
            }
            continue;
        }
        if status == Status::Unknown {
            let _ = writeln!(
                o,
                "  unknown: {}, for lack of facts (--detail full shows each in full):",
                articles(of.len())
            );
            for d in of {
                let collect = d.recommendation.collect.join("; ");
                let _ = writeln!(
                    o,
                    "    {} {}: collect {}",
                    one_line(&d.kb),
                    one_line(&d.title),
                    one_line(&collect)
                );
            }
            continue;
        }
        if matches!(status, Status::NotAffected | Status::NotApplicable) {
            // Ruled out although a symptom shows: another cause is at work, say it all.
            let seen =
                |d: &Diagnosis| (d.symptoms.iter()).any(|s| s.observed == Observed::Observed);
            for d in of.iter().filter(|d| seen(d)) {
                diagnosis_text(out, d);
            }
            let of: Vec<&Diagnosis> = of.into_iter().filter(|d| !seen(d)).collect();
            if of.is_empty() {
                continue;
            }
            let ids: Vec<String> = of.iter().map(|d| one_line(&d.kb)).collect();
            let _ = writeln!(
                out.text,
                "  {}: {} ({})",
                status.as_str().replace('_', " "),
                articles(of.len()),
                ids.join(", ")
            );
            continue;
        }
        for d in of {
            diagnosis_text(out, d);
        }
    }
    if results
        .iter()
        .any(|d| matches!(d.status, Status::NotAffected | Status::NotApplicable))
    {
        let _ = writeln!(out.text, "  (--detail full shows every article's evidence)");
    }
}

fn diagnosis_text(out: &mut Out, d: &Diagnosis) {
    let kb = one_line(&d.kb);
    let title = one_line(&d.title);
    let status = d.status.as_str().to_uppercase().replace('_', " ");
    let _ = writeln!(out.text, "  {kb} {status}: {title}");
    if out.brief {
        articles::mark(&mut out.text, &kb, Piece::Title, &title);
    }
    let _ = writeln!(out.text, "    {}", one_line(&d.summary));
    if let Some(error) = &d.error {
        let _ = writeln!(out.text, "    Error: {}", one_line(error));
    }
    scope_text(out, d);
    list(out, "Findings (this host's facts)", &findings(d));
    if let Some(explanation) = d
        .explanation
        .as_ref()
        .filter(|_| d.status != Status::NotAffected)
    {
        out.piece(&kb, Piece::Explanation, |s| {
            let _ = writeln!(
                s,
                "    The article's explanation of the cause: {}",
                paragraph(explanation, 6)
            );
        });
    }
    if d.status != Status::NotApplicable {
        symptoms_text(out, d);
    }
    list(out, "Notes", &d.notes);
    recommendation_text(out, d, &kb);
    if !d.covered_by.is_empty() {
        let covered: Vec<String> = d.covered_by.iter().map(|c| one_line(c)).collect();
        let _ = writeln!(
            out.text,
            "    A later fix covers this one: {}. Installing it fixes this article too (\"these or later\").",
            covered.join("; ")
        );
    }
    article_text(out, d, &kb);
    if out.brief {
        articles::mark(&mut out.text, &kb, Piece::End, "");
    }
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

fn scope_text(out: &mut Out, d: &Diagnosis) {
    let Some(scope) = &d.scope else { return };
    let products = one_line(&scope.products.join("; "));
    let said = match scope.listed {
        Listed::Listed => return,
        Listed::NotListed => format!(
            "this host is not one of the products the article lists ({products}); evidence: {}.",
            one_line(&scope.evidence.join("; "))
        ),
        Listed::Unknown => format!(
            "whether this host is one of the products the article lists ({products}) is unknown: \
             collect {}.",
            one_line(&scope.missing.join(", "))
        ),
    };
    let note = scope
        .note
        .as_ref()
        .map_or(String::new(), |n| format!(" {}", paragraph(n, 6)));
    let _ = writeln!(out.text, "    Scope: {said}{note}");
}

/// Whether the facts decided the status whatever a person would answer to a symptom's question.
fn decided(status: Status) -> bool {
    matches!(
        status,
        Status::Affected | Status::NotAffected | Status::NotApplicable
    )
}

fn symptoms_text(out: &mut Out, d: &Diagnosis) {
    if d.symptoms.is_empty() {
        return;
    }
    let o = &mut out.text;
    let count = |o: Observed| d.symptoms.iter().filter(|s| s.observed == o).count();
    let _ = writeln!(
        o,
        "    Symptoms: {} observed, {} not observed, {} unknown, {} only a person can report",
        count(Observed::Observed),
        count(Observed::NotObserved),
        count(Observed::Unknown),
        count(Observed::ReportOnly)
    );
    for s in &d.symptoms {
        let id = one_line(&s.id);
        match s.observed {
            Observed::Observed => {
                for m in &s.evidence {
                    let _ = writeln!(o, "      observed      {id}: {}", one_line(m));
                }
            }
            Observed::NotObserved => {
                let why = s.evidence.join("; ");
                let why = if why.is_empty() {
                    why
                } else {
                    format!(" ({why})")
                };
                let _ = writeln!(o, "      not observed  {id}{}", one_line(&why));
            }
            Observed::Unknown => {
                let _ = writeln!(
                    o,
                    "      unknown       {id} (collect {})",
                    one_line(&s.missing.join(", "))
                );
            }
            // A brief report does not ask what changes nothing.
            Observed::ReportOnly if out.brief && decided(d.status) => {}
            Observed::ReportOnly => {
                let ask = s.ask.as_deref().unwrap_or(&s.text);
                let _ = writeln!(o, "      ask           {id}: {}", paragraph(ask, 8));
            }
        }
    }
}

fn recommendation_text(out: &mut Out, d: &Diagnosis, kb: &str) {
    let r = &d.recommendation;
    // An affected host is told what the article says even when there is nothing to install.
    if r.action == Action::None && d.status != Status::Affected {
        return;
    }
    let o = &mut out.text;
    let _ = writeln!(
        o,
        "    Do: {} - {}",
        r.action.as_str(),
        paragraph(&r.summary, 6)
    );
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
            o,
            "      Prerequisite {}: {state}{}",
            one_line(&p.text),
            one_line(&why)
        );
    }
    numbered(o, &r.steps);
    for item in &r.collect {
        let _ = writeln!(o, "      - collect {}", one_line(item));
    }
    // No disk holds these: the report must say how a person who knows them gives them.
    if (r.collect.iter()).any(|c| c.contains("cipher_bits") || c.contains("reported_errors")) {
        let _ = writeln!(
            o,
            "      (A file's cipher strength and the errors users saw are on no disk: give what \
             you know with `kbdiag collect --with FILE`, docs/collect.md#what-a-person-knows---with.)"
        );
    }
    if let Some(hotfix) = &r.hotfix {
        if let Some(caveat) = &hotfix.caveat {
            out.piece(kb, Piece::Caveat, |s| {
                let _ = writeln!(s, "      Note: {}", paragraph(caveat, 8));
            });
        }
        if let Some(url) = &hotfix.url {
            out.piece(kb, Piece::Contact, |s| {
                let _ = writeln!(s, "      Contact: {}", one_line(url));
            });
        }
        if let Some(note) = &hotfix.note {
            out.piece(kb, Piece::SupportCosts, |s| {
                let _ = writeln!(s, "      Support costs: {}", paragraph(note, 8));
            });
        }
        if !hotfix.links.is_empty() {
            out.piece(kb, Piece::Links, |s| {
                for link in hotfix.links.iter() {
                    let _ = writeln!(
                        s,
                        "      {}: {}",
                        one_line(&link.label),
                        one_line(&link.url)
                    );
                }
            });
        }
        if !hotfix.files.is_empty() || hotfix.files_note.is_some() {
            out.piece(kb, Piece::Files, |s| {
                if !hotfix.files.is_empty() {
                    let zone = if hotfix.files_not_utc {
                        "times as the article gives them, zone not stated"
                    } else {
                        "UTC"
                    };
                    let _ = writeln!(
                        s,
                        "      Hotfix files (the article's table, {zone}; these or later versions):"
                    );
                }
                for f in hotfix.files.iter() {
                    let _ = writeln!(s, "        {}", file_row(f));
                }
                if let Some(note) = &hotfix.files_note {
                    let _ = writeln!(s, "      {}", paragraph(note, 8));
                }
            });
        }
    }
    let o = &mut out.text;
    for alt in r.alternative.iter().map(|a| &**a).chain(&r.alternatives) {
        let _ = writeln!(
            o,
            "    Or, if {}: {}",
            one_line(&alt.when),
            one_line(alt.id.as_deref().unwrap_or(alt.action.as_str()))
        );
        if let Some(text) = &alt.text {
            let _ = writeln!(o, "      {}", paragraph(text, 8));
        }
        numbered(o, &alt.steps);
    }
}

fn article_text(out: &mut Out, d: &Diagnosis, kb: &str) {
    let Some(a) = &d.article else { return };
    out.piece(kb, Piece::Article, |s| {
        let _ = write!(s, "    Article: {kb}");
        if let Some(revision) = &a.revision {
            let _ = write!(s, ", revision {}", one_line(revision));
        }
        if let Some(reviewed) = &a.last_reviewed {
            let _ = write!(s, ", last reviewed {}", one_line(reviewed));
        }
        s.push('.');
        if let Some(status) = &a.status {
            let _ = write!(s, " {}", paragraph(status, 6));
        }
        s.push('\n');
    });
    // The support charges go with the fix: a host told to collect facts first needs none yet.
    let collects = d.recommendation.action == Action::CollectFacts;
    if let Some(note) = a.support_note.as_ref().filter(|_| !(out.brief && collects)) {
        out.piece(kb, Piece::SupportCosts, |s| {
            let _ = writeln!(s, "      Support costs: {}", paragraph(note, 8));
        });
    }
    if !a.related.is_empty() {
        out.piece(kb, Piece::SeeAlso, |s| {
            for r in &a.related {
                let url = r.url.as_ref().map_or(String::new(), |u| format!(" ({u})"));
                let note = r
                    .note
                    .as_ref()
                    .map_or(String::new(), |n| format!(": {}", n.trim()));
                let _ = writeln!(
                    s,
                    "      See also {} {}{}{}",
                    one_line(&r.id),
                    one_line(r.title.trim()),
                    one_line(&url),
                    one_line(&note)
                );
            }
        });
    }
}

fn list(out: &mut Out, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out.text, "    {heading}:");
    for item in items {
        let _ = writeln!(out.text, "      - {}", one_line(item));
    }
}

fn numbered(out: &mut String, steps: &[String]) {
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(out, "      {}. {}", i + 1, one_line(step));
    }
}

/// One row of an article's file table, as the text report shows it: the columns the row has.
fn file_row(f: &crate::rules::rule::FileRow) -> String {
    let mut line = format!("{:<14}", one_line(&f.file));
    if let Some(v) = &f.version {
        line.push_str(&format!(" {:<15}", one_line(v.as_str())));
    }
    match f.size {
        Some(size) => line.push_str(&format!(" {size:>7} bytes")),
        None => line.push_str("              "),
    }
    line.push_str(&format!(
        "  {} {:<5}  {}",
        one_line(f.date.as_str()),
        one_line(f.time.as_ref().map_or("", |t| t.as_str())),
        one_line(f.platform.as_deref().unwrap_or(""))
    ));
    if let Some(bits) = f.bits {
        line.push_str(&format!(" {bits}-bit"));
    }
    if let Some(p) = &f.package {
        line.push_str(&format!(" ({})", one_line(p)));
    }
    line.trim_end().to_owned()
}
