//! `kbdiag eval`: the fleet run, its output and its progress.

use std::io::{self, Write};

use crate::evaluate::diagnose::Evaluator;
use crate::evaluate::diagnosis::Report;
use crate::evaluate::fleet;
use crate::input::inputs::Documents;
use crate::report::render::{self, Format};
use crate::report::summary::{RuleIdentity, Summary, Tally};
use crate::rules::kb::RuleFile;

/// One document's report as the output needs it: rendered in the chosen format, and tallied.
struct Evaluated {
    rendered: String,
    tally: Tally,
}

pub(super) struct EvalOptions {
    pub(super) format: Format,
    /// How much of each host's text report to show.
    pub(super) detail: render::Detail,
    pub(super) jobs: usize,
    pub(super) progress: bool,
    /// An input may be a live stream: write each result as it is made.
    pub(super) live: bool,
    /// Exit 0 whatever the findings and unreadable inputs.
    pub(super) exit_zero: bool,
    /// End NDJSON output with a `{"summary": …}` line.
    pub(super) summary_line: bool,
    /// The run's time, as the HTML report shows it.
    pub(super) generated: String,
}

pub(super) fn eval(
    files: &[RuleFile],
    ev: &Evaluator,
    docs: Documents,
    options: EvalOptions,
    out: &mut impl Write,
) -> io::Result<i32> {
    for w in ev.warnings() {
        eprintln!("{}", render::clean(&w.to_string()));
    }
    let (format, detail) = (options.format, options.detail);
    // JSON and NDJSON name each article by id unless `--detail full` asks for every result to
    // carry its article's texts; the articles' records then come first (`report::brief`).
    let brief = detail == render::Detail::Brief;
    let rules = crate::report::brief::rules_digest(ev.rules());
    // Rendered and tallied on the thread that made the report, which is then dropped there.
    let render = move |report: &Report| Evaluated {
        rendered: match format {
            Format::Text => render::fleet_text(report, detail),
            Format::Json if brief => crate::report::brief::json(report, &rules),
            Format::Json => render::json(report),
            Format::Ndjson if brief => crate::report::brief::ndjson(report, &rules),
            Format::Ndjson => render::ndjson(report),
            Format::Html => crate::report::html::section(report),
            Format::Summary | Format::SummaryJson => String::new(),
        },
        tally: Tally::of(report),
    };
    // The HTML page opens with the summary, so its sections wait for the end of the run.
    let (mut sections, mut unreadable) = (Vec::new(), Vec::new());
    let mut summary = Summary::new(RuleIdentity::of_rules(ev.rules()));
    // Each article's own text is printed once, after the last host (brief text reports).
    let mut articles = render::Articles::default();
    let mut progress = Progress::new(options.progress);
    match format {
        Format::Json if brief => writeln!(
            out,
            "{{\n\"articles\": {},\n\"reports\": [",
            crate::report::brief::articles_json(ev.rules())
        )?,
        Format::Json => writeln!(out, "{{\n\"reports\": [")?,
        Format::Ndjson if brief => {
            for line in crate::report::brief::article_lines(ev.rules()) {
                writeln!(out, "{line}")?;
            }
            if options.live {
                out.flush()?;
            }
        }
        _ => {}
    }
    let plan = fleet::Plan {
        jobs: options.jobs,
        batch: if options.live { 1 } else { fleet::BATCH },
    };
    let started = fleet::run(files, ev, docs, plan, &render, &mut |e| {
        if format == Format::Html {
            if e.tally.is_error() {
                unreadable.push(e.rendered);
            } else {
                sections.push(e.rendered);
            }
            summary.add(e.tally);
            progress.tick(summary.inputs);
            return Ok(());
        }
        summary.add(e.tally);
        progress.tick(summary.inputs);
        match format {
            Format::Text if summary.inputs > 1 => write!(out, "\n{}", articles.host(&e.rendered)),
            Format::Text => write!(out, "{}", articles.host(&e.rendered)),
            Format::Ndjson => writeln!(out, "{}", e.rendered),
            Format::Json if summary.inputs > 1 => write!(out, ",\n{}", e.rendered),
            _ => write!(out, "{}", e.rendered),
        }?;
        if options.live {
            out.flush()?;
        }
        Ok(())
    })?;
    if started < options.jobs {
        eprintln!(
            "kbdiag: only {started} of {} worker threads could be started; evaluated with {started}",
            options.jobs
        );
    }
    progress.finish();
    match format {
        Format::Json => {
            let summary = serde_json::to_string_pretty(&summary).unwrap_or_default();
            writeln!(out, "\n],\n\"summary\": {summary}\n}}")?;
        }
        Format::Text => {
            let section = articles.section();
            if !section.is_empty() {
                write!(out, "\n{section}")?;
            }
            write!(out, "\n{}", render::summary_text(&summary))?
        }
        Format::Summary => write!(out, "{}", render::summary_text(&summary))?,
        Format::SummaryJson => writeln!(out, "{}", render::summary_line(&summary))?,
        Format::Html => write!(
            out,
            "{}",
            crate::report::html::page(&summary, sections, unreadable, &options.generated)
        )?,
        Format::Ndjson if options.summary_line => {
            writeln!(out, "{}", render::summary_line(&summary))?
        }
        Format::Ndjson => {}
    }
    if summary.errors > 0 {
        out.flush()?;
        eprintln!(
            "kbdiag: {} input{} could not be evaluated",
            summary.errors,
            if summary.errors == 1 { "" } else { "s" }
        );
    }
    Ok(if options.exit_zero {
        0
    } else {
        summary.exit_code()
    })
}

/// A count of evaluated inputs on standard error, for long runs on a terminal.
struct Progress {
    on: bool,
    last: std::time::Instant,
    shown: bool,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            last: std::time::Instant::now(),
            shown: false,
        }
    }

    fn tick(&mut self, inputs: usize) {
        if self.on && self.last.elapsed() >= std::time::Duration::from_millis(250) {
            self.last = std::time::Instant::now();
            self.shown = true;
            eprint!("\rkbdiag: {inputs} inputs evaluated");
        }
    }

    fn finish(&self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
