//! Output: the text report a support engineer reads (`text`, with each article's own text once
//! per report: `articles`), one JSON document, NDJSON lines, and the run's summary.

mod articles;
mod text;

use std::fmt::Write as _;

pub use articles::Articles;
pub use text::{findings, fleet_text, text, text_with};

use crate::chars::is_invisible;
use crate::evaluate::diagnosis::{Report, Status};
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

/// How much of a host's text report to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Detail {
    /// Every article that needs a look (affected, suspected, exposed, unknown, error), the most
    /// urgent first, with what is the host's own; the rest one line per status, naming the
    /// articles. Each article's own text (explanation, fix, contact, support costs, file table,
    /// related articles) once, after the last host.
    #[default]
    Brief,
    /// Every article in full, in rule order, its own text under each host.
    Full,
}

/// Escapes control characters (terminal escape sequences included), bidirectional overrides and
/// invisible characters, so facts and rules cannot drive the terminal or make text read as
/// something it is not: `\u{1b}` and `\u{202e}` are shown, not sent. Keeps `\n`, for text whose
/// lines are its own (a located problem with its caret); a report's fields use [`one_line`].
pub fn clean(text: &str) -> String {
    escaped(text, |c| (c.is_control() && c != '\n') || is_invisible(c))
}

/// [`clean`], line breaks too (`\n`, `\r`, U+0085, U+2028, U+2029 shown as `\n`, `\r`,
/// `\u{85}`…): a field of one line stays one line, so a host name or a path cannot write a
/// report line of its own.
pub fn one_line(text: &str) -> String {
    escaped(text, |c| c.is_control() || is_invisible(c))
}

/// A paragraph of an article, which may have lines of its own: each escaped as [`one_line`], and
/// each after the first on a line of its own, indented by `indent` and marked `| `, so no line
/// of it can pass for a line of the report.
pub fn paragraph(text: &str, indent: usize) -> String {
    if !text.contains('\n') {
        return one_line(text);
    }
    let between = format!("\n{}| ", " ".repeat(indent));
    (text.split('\n'))
        .map(one_line)
        .collect::<Vec<_>>()
        .join(&between)
}

fn escaped(text: &str, hidden: impl Fn(char) -> bool) -> String {
    if !text.chars().any(&hidden) {
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

/// The fleet summary as one JSON line, `{"summary": {…}}`: the form `kbdiag merge` reads.
pub fn summary_line(s: &Summary) -> String {
    serde_json::json!({ "summary": s }).to_string()
}

/// The fleet summary as text: counts per rule and status, then the hosts that need action.
pub fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    let evaluated = s.inputs.saturating_sub(s.errors);
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
        let _ = writeln!(out, "  {}: {}", one_line(kb), parts.join(", "));
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
                format!(
                    "; covered by the later {}",
                    one_line(&m.covered_by.join("; "))
                )
            };
            let _ = writeln!(
                out,
                "  {:<10} {} host{} ({}){covered}",
                one_line(kb),
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
                one_line(&item.host),
                one_line(&item.kb),
                item.status.as_str(),
                item.action.as_str(),
                one_line(&at)
            );
        }
        let unlisted = s.needs_action_total.saturating_sub(s.needs_action.len());
        if unlisted > 0 {
            let _ = writeln!(out, "  … and {unlisted} more (see --format ndjson)");
        }
    }
    if s.errors > 0 {
        let _ = writeln!(out, "Inputs that could not be evaluated:");
        for error in &s.unreadable {
            let _ = writeln!(out, "  {}", one_line(error));
        }
        let unnamed = s.errors.saturating_sub(s.unreadable.len());
        if unnamed > 0 {
            let _ = writeln!(out, "  … and {unnamed} more (see --format ndjson)");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_stays_one_line_and_a_paragraph_marks_its_lines() {
        let forged = "a\nb\r\nc\u{85}d\u{2028}e\u{2029}f\u{1b}[2J";
        assert_eq!(
            one_line(forged),
            "a\\nb\\r\\nc\\u{85}d\\u{2028}e\\u{2029}f\\u{1b}[2J"
        );
        assert!(!one_line(forged).chars().any(|c| c.is_control()));
        // `clean` keeps the lines of a located problem.
        assert_eq!(clean("x\n  ^\u{7}"), "x\n  ^\\u{7}");
        assert_eq!(
            paragraph("one\nKB1 AFFECTED: two\r\n\u{2028}three", 4),
            "one\n    | KB1 AFFECTED: two\\r\n    | \\u{2028}three"
        );
        assert_eq!(paragraph("one line", 4), "one line");
    }
}
