//! The HTML report: one self-contained page for a fleet (`eval --format html`), readable offline
//! and without JavaScript, printable, and sane at 10,000 hosts (docs/reports.md).
//!
//! Facts and rules are untrusted: every value reaches the page through askama's templates, which
//! escape for HTML by default (`src/report/html/*.html`); only kbdiag's own CSS, script and the host
//! sections those templates made are inserted unescaped. A link is written only for an `http(s)`
//! URL from a rule; no fact reaches a URL, an attribute without quotes, or the script. The page's
//! Content-Security-Policy allows nothing external and only kbdiag's own inline style and script,
//! by hash, so an injected handler or script would not run even if escaping failed. Before that
//! escaping, every value is escaped as the text report escapes a field ([`Shown`]): a terminal
//! escape, a bidirectional override or a line break shows, and a copied text does not carry it.

use askama::Template;
use sha2::{Digest, Sha256};

use crate::evaluate::diagnosis::{
    Action, Diagnosis, Listed, Observed, PrerequisiteStatus, Report, Status,
};
use crate::report::render;
use crate::report::summary::Summary;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// The statuses in the order the chart and tables show them, with their labels.
const STATUSES: [(Status, &str); 7] = [
    (Status::Affected, "affected"),
    (Status::Suspected, "suspected"),
    (Status::Exposed, "exposed"),
    (Status::Unknown, "unknown"),
    (Status::NotAffected, "not affected"),
    (Status::NotApplicable, "not applicable"),
    (Status::Error, "error"),
];

/// The templates' escaper (`askama.toml`): a value as the text report shows a field
/// ([`render::one_line`]), then escaped for HTML.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown;

impl askama::filters::Escaper for Shown {
    fn write_escaped_str<W: std::fmt::Write>(&self, dest: W, text: &str) -> std::fmt::Result {
        askama::filters::Html.write_escaped_str(dest, &render::one_line(text))
    }
}

fn label(status: &Status) -> &'static str {
    STATUSES
        .iter()
        .find(|(s, _)| s == status)
        .map_or("?", |(_, l)| *l)
}

/// Where a report came from, `file` or `file:line`.
fn place(file: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_owned(),
    }
}

/// The id of an input's section: the same from the report and from the summary's list.
fn anchor(file: &str, line: Option<usize>) -> String {
    let hash = Sha256::digest(place(file, line).as_bytes());
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("h{hex}")
}

#[derive(Template)]
#[template(path = "host.html")]
struct HostSection<'a> {
    anchor: String,
    host: &'a str,
    place: String,
    worst: &'static str,
    results: &'a [Diagnosis],
    collected_from: &'a [String],
    not_collected: &'a [String],
}

impl HostSection<'_> {
    fn label(&self, status: &Status) -> &'static str {
        label(status)
    }
    fn observed(&self, o: &Observed) -> &'static str {
        match o {
            Observed::Observed => "observed",
            Observed::NotObserved => "not_observed",
            Observed::Unknown => "unknown",
            Observed::ReportOnly => "ask",
        }
    }
    fn observed_label(&self, o: &Observed) -> &'static str {
        match o {
            Observed::Observed => "observed",
            Observed::NotObserved => "not observed",
            Observed::Unknown => "unknown",
            Observed::ReportOnly => "ask",
        }
    }
    fn prerequisite(&self, p: &PrerequisiteStatus) -> &'static str {
        match p {
            PrerequisiteStatus::Met => "installed",
            PrerequisiteStatus::NotMet => "NOT installed",
            PrerequisiteStatus::Unknown => "unknown",
        }
    }
    fn is_web(&self, url: &str) -> bool {
        is_web(url)
    }
}

/// Only plain web links become links; anything else (`javascript:`, `data:`) stays text.
fn is_web(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorSection<'a> {
    anchor: String,
    place: String,
    error: &'a str,
    /// The offending line with its caret, a line each (each escaped as one).
    snippet: Vec<&'a str>,
}

/// One input's part of the page: a collapsed host section, or an unreadable input. Made on the
/// thread that evaluated it.
pub fn section(report: &Report) -> String {
    let rendered = match (&report.error, &report.results) {
        (Some(error), _) => ErrorSection {
            anchor: anchor(&report.file, report.line),
            place: place(&report.file, report.line),
            error,
            snippet: report.snippet.iter().flat_map(|s| s.lines()).collect(),
        }
        .render(),
        (None, results) => {
            let results = results.as_deref().unwrap_or_default();
            let worst = STATUSES
                .iter()
                .find(|(s, _)| results.iter().any(|d| d.status == *s))
                .map_or("unknown", |(s, _)| s.as_str());
            HostSection {
                anchor: anchor(&report.file, report.line),
                host: report.host.as_deref().unwrap_or("?"),
                place: place(&report.file, report.line),
                worst,
                results,
                collected_from: &report.collected_from,
                not_collected: &report.not_collected,
            }
            .render()
        }
    };
    rendered.unwrap_or_else(|e| format!("<p class=\"error\">cannot render this input: {e}</p>"))
}

struct RuleRow {
    id: String,
    revision: Option<String>,
    digest: String,
    short: String,
}

struct Segment {
    x: u32,
    width: u32,
    status: &'static str,
    label: &'static str,
    count: usize,
}

struct Bar {
    y: u32,
    kb: String,
    segments: Vec<Segment>,
}

struct LegendItem {
    x: u32,
    status: &'static str,
    label: &'static str,
}

struct CountRow {
    kb: String,
    counts: Vec<usize>,
    total: usize,
}

struct ActionRow {
    anchor: String,
    host: String,
    kb: String,
    status: &'static str,
    status_label: &'static str,
    action: &'static str,
    place: String,
}

struct Filter {
    name: &'static str,
    col: usize,
    values: Vec<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    csp: String,
    style: &'static str,
    script: &'static str,
    generated: String,
    version: &'static str,
    inputs: usize,
    hosts_total: usize,
    errors_total: usize,
    rules: Vec<RuleRow>,
    chart_width: u32,
    chart_height: u32,
    bars: Vec<Bar>,
    legend: Vec<LegendItem>,
    legend_y: u32,
    statuses: Vec<(&'static str, &'static str)>,
    counts: Vec<CountRow>,
    action_total: usize,
    /// The fixes the fleet lacks: rule id, hosts, affected, exposed, the later fixes covering it.
    missing_fixes: Vec<(String, usize, usize, usize, String)>,
    actions: Vec<ActionRow>,
    action_headers: Vec<&'static str>,
    filters: Vec<Filter>,
    hosts: Vec<String>,
    errors: Vec<String>,
}

/// The page, from the run's summary and the sections of its inputs (in input order): hosts, and
/// inputs that could not be read. `generated` is the run's time as the page shows it.
pub fn page(summary: &Summary, hosts: Vec<String>, errors: Vec<String>, generated: &str) -> String {
    const LABEL: u32 = 120;
    const WIDTH: u32 = 600;
    let bars: Vec<Bar> = (summary.rules.iter().enumerate())
        .map(|(i, (kb, counts))| {
            let total: usize = counts.values().sum();
            let mut segments = Vec::new();
            let mut done = 0usize;
            for (status, name) in STATUSES {
                let count = counts.get(&status).copied().unwrap_or(0);
                if count == 0 || total == 0 {
                    continue;
                }
                // Edges from running totals, so the segments meet exactly.
                let x0 = LABEL + (done * WIDTH as usize / total) as u32;
                done += count;
                let x1 = LABEL + (done * WIDTH as usize / total) as u32;
                segments.push(Segment {
                    x: x0,
                    width: (x1 - x0).max(1),
                    status: status.as_str(),
                    label: name,
                    count,
                });
            }
            Bar {
                y: 8 + 32 * i as u32,
                kb: kb.clone(),
                segments,
            }
        })
        .collect();
    let legend_y = 8 + 32 * bars.len() as u32 + 6;
    let legend = (STATUSES.iter().enumerate())
        .map(|(i, (s, l))| LegendItem {
            x: 120 * i as u32,
            status: s.as_str(),
            label: l,
        })
        .collect();
    let counts = (summary.rules.iter())
        .map(|(kb, c)| CountRow {
            kb: kb.clone(),
            counts: STATUSES
                .iter()
                .map(|(s, _)| c.get(s).copied().unwrap_or(0))
                .collect(),
            total: c.values().sum(),
        })
        .collect();
    let actions: Vec<ActionRow> = (summary.needs_action.iter())
        .map(|a| ActionRow {
            anchor: anchor(&a.file, a.line),
            host: a.host.clone(),
            kb: a.kb.clone(),
            status: a.status.as_str(),
            status_label: label(&a.status),
            action: a.action.as_str(),
            place: place(&a.file, a.line),
        })
        .collect();
    let distinct = |get: fn(&ActionRow) -> String| {
        let mut v: Vec<String> = actions.iter().map(get).collect();
        v.sort();
        v.dedup();
        v
    };
    let filters = vec![
        Filter {
            name: "Rule",
            col: 1,
            values: distinct(|a| a.kb.clone()),
        },
        Filter {
            name: "Status",
            col: 2,
            values: distinct(|a| a.status_label.to_owned()),
        },
        Filter {
            name: "Action",
            col: 3,
            values: distinct(|a| a.action.to_owned()),
        },
    ];
    let page = Page {
        csp: format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; img-src data:; base-uri 'none'; form-action 'none'",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        ),
        style: STYLE,
        script: SCRIPT,
        generated: generated.to_owned(),
        version: env!("CARGO_PKG_VERSION"),
        inputs: summary.inputs,
        hosts_total: summary.inputs.saturating_sub(summary.errors),
        errors_total: errors.len(),
        rules: (summary.rule_set.iter())
            .map(|r| RuleRow {
                id: r.id.clone(),
                revision: r.revision.clone(),
                digest: r.digest.clone(),
                short: r.digest.chars().take(19).collect(),
            })
            .collect(),
        chart_width: LABEL + WIDTH + 20,
        chart_height: legend_y + 20,
        bars,
        legend,
        legend_y,
        statuses: STATUSES.iter().map(|(s, l)| (s.as_str(), *l)).collect(),
        counts,
        action_total: summary.needs_action_total,
        missing_fixes: (summary.missing_fixes_by_hosts().into_iter())
            .map(|(kb, m)| {
                let covered = m.covered_by.join("; ");
                (kb.to_owned(), m.hosts(), m.affected, m.exposed, covered)
            })
            .collect(),
        actions,
        action_headers: vec!["Host", "Rule", "Status", "Action", "Input"],
        filters,
        hosts,
        errors,
    };
    page.render().unwrap_or_else(|e| {
        format!("<!doctype html><title>kbdiag</title><p>cannot render the report: {e}</p>")
    })
}

/// A CSP source for an inline element: `sha256-` and the base64 of its SHA-256.
fn csp_hash(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648_says() {
        for (raw, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), want);
        }
    }

    #[test]
    fn only_web_urls_become_links() {
        assert!(is_web("http://support.microsoft.com/kb/311401/"));
        assert!(is_web("HTTPS://example.com"));
        for url in [
            "javascript:alert(1)",
            " javascript:x",
            "data:text/html,x",
            "http://a b",
            "//evil",
        ] {
            assert!(!is_web(url), "{url}");
        }
    }
}
