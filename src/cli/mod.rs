//! The command line: arguments, commands, output and exit status. The only module that knows about
//! standard streams and the process.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::evaluate::diagnose::Evaluator;
use crate::input::inputs::{Documents, StdinFormat};
use crate::problem::Problem;
use crate::report::render::{self, Detail, Format};
use crate::rules::kb::RuleFile;

mod authoring;
mod collect;
mod eval;

use authoring::{check, explain, new_rule, test};
use eval::{EvalOptions, eval};

/// Diagnose hosts against knowledge-base articles.
#[derive(Debug, Parser)]
#[command(name = "kbdiag", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate fact files against the rules.
    ///
    /// Exit status: 0 when no host is affected or suspected, 1 when one is, 2 when an input or a
    /// rule could not be evaluated (the others are still evaluated and printed).
    Eval {
        /// Fact files, folders (every *.yaml, *.yml, *.json, *.ndjson, *.jsonl below, in sorted
        /// order), NDJSON streams (*.ndjson, *.jsonl: one document per line), or - for standard
        /// input.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// How much of each host's report to show: in text, `brief` gives what is the host's for
        /// every article that needs a look, the rest one line per status, and each article's own
        /// text once, after the last host, `full` every article in full under each host; in JSON
        /// and NDJSON, `brief` names each article by its id (its texts written once, in its
        /// record), `full` repeats them in every result.
        #[arg(long, value_enum, default_value = "brief")]
        detail: Detail,
        /// How standard input is read: one document, NDJSON (one document per line), or `auto`:
        /// NDJSON when its first line is a whole JSON document and another line follows.
        #[arg(long, value_enum, default_value = "auto")]
        input: StdinFormat,
        /// Threads evaluating in parallel (default: all cores; at most 4 per core). Output order
        /// stays input order.
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// No progress indicator.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Exit 0 even when hosts are affected or inputs unreadable (the findings stay in the
        /// output): for pipelines and schedulers that retry a task exiting non-zero. Still 2 when
        /// the rules cannot be loaded or the output cannot be written.
        #[arg(long)]
        exit_zero: bool,
        /// What standard input is called in the output's `file` field, e.g. a partition's id.
        #[arg(long, value_name = "NAME", default_value = "<stdin>")]
        stdin_name: String,
        /// With `--format ndjson`: end the output with one line `{"summary": …}`, which
        /// `kbdiag merge` adds up across runs.
        #[arg(long)]
        summary_line: bool,
    },
    /// Add up the summaries of several runs over parts of a fleet (the line `{"summary": …}` of
    /// `--format summary-json`, or the last line of `--format ndjson --summary-line`; other lines
    /// are skipped), checking they used the same rules.
    ///
    /// Exit status as `eval`'s for the whole fleet: 0, 1, or 2 (also when the parts used
    /// different rules or a summary cannot be read).
    Merge {
        /// Files holding summaries, or - for standard input.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: MergeFormat,
        /// Exit 0 whatever the findings.
        #[arg(long)]
        exit_zero: bool,
    },
    /// Read a Windows system's own artifacts (registry hives, event logs, DLLs) into a fact
    /// document, one JSON line per host: `kbdiag collect /mnt/nt4 | kbdiag eval -`.
    ///
    /// Reads the OS, edition, hotfixes and installed software, and exactly the registry values,
    /// files and events the loaded rules ask for. Exit status: 0, or 2 when an artifact was
    /// broken or unreadable (the document is still written, naming what could not be read).
    Collect(collect::CollectArgs),
    /// Show the loaded rules.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format: `json` writes each article's record, one JSON line `{"article": …}`
        /// each, the lines `eval --format ndjson` starts with (to join its results on).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Check rule files and report every problem, located.
    ///
    /// Exit status: 0 when clean, 1 when problems (errors or warnings) are found, 2 when the
    /// check could not run.
    Check {
        /// Rule files or folders (default: the built-in rules).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Explain, for one host, every condition of a rule: its value, the facts it read, and which
    /// part decided.
    Explain {
        /// One fact file, or - for standard input.
        #[arg(value_name = "FACTS")]
        facts: PathBuf,
        /// Only this rule (id or alias).
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: ExplainFormat,
    },
    /// Write the skeleton of a new rule and of its tests.
    New {
        /// The article's id, e.g. KB123456.
        id: String,
        /// Where to write them.
        #[arg(long, value_name = "DIR", default_value = "kb")]
        dir: PathBuf,
        /// Draft the rule from this article's text (the archive's plain text or the web
        /// layout): everything the text gives filled in, the conditions left as TODOs.
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
    },
    /// Run the test cases shipped beside rules (`KBNNNNNN.tests.yaml`).
    ///
    /// Exit status: 0 when every case passes, 1 when one fails, 2 when rules or tests cannot be
    /// read.
    Test {
        /// Tests files, or folders holding rules and their tests (default: the built-in ones).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Print the JSON Schema of the rule, fact or rule-tests format.
    Schema {
        #[arg(value_enum)]
        kind: crate::authoring::schema::Kind,
    },
}

#[derive(Debug, clap::Args)]
struct RuleArgs {
    /// Load rules from this folder or rule file instead of the built-in ones (repeat it to load
    /// several, e.g. `--kb kb/KB322051.yaml` for one article of the built-in knowledge base).
    #[arg(long, value_name = "PATH", visible_alias = "rules")]
    kb: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MergeFormat {
    /// The summary as `eval --format summary` prints it.
    Text,
    /// One line `{"summary": …}`, which can be merged again.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    /// Each rule's id, title, revision, digest and what it applies to.
    Text,
    /// Each article's record, one JSON line each.
    Json,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

impl RuleArgs {
    fn files(&self) -> Result<Vec<RuleFile>, Vec<Problem>> {
        authoring::rule_files(&self.checked()?).map_err(|p| vec![p])
    }

    /// The paths of `--kb`, refusing one that names no file but looks like a rule's id (the
    /// `explain --kb KB322051` of earlier versions): its rule is picked with `--rule`.
    fn checked(&self) -> Result<Vec<PathBuf>, Vec<Problem>> {
        for path in &self.kb {
            let text = path.to_string_lossy();
            let digits = strip_prefix_ci(&text, "kb").or_else(|| strip_prefix_ci(&text, "q"));
            let id_like =
                digits.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            if id_like && !path.exists() {
                return Err(vec![Problem::new(
                    &format!("--kb {text}"),
                    None,
                    None,
                    format!(
                        "no such file or folder: --kb takes rule files or folders; \
                         to pick one rule of those loaded, use --rule {text}"
                    ),
                )]);
            }
        }
        Ok(self.kb.clone())
    }

    fn evaluator(&self) -> Result<Evaluator, Vec<Problem>> {
        Evaluator::new(&self.files()?)
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Runs the command line and returns the exit status.
pub fn run(cli: Cli) -> i32 {
    let stdout = io::stdout();
    // Large writes: a fleet's output is megabytes, and an 8 KB buffer costs a tenth of a run.
    let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    let code = match cli.command {
        Command::Eval {
            paths,
            rules,
            format,
            detail,
            input,
            jobs,
            quiet,
            exit_zero,
            stdin_name,
            summary_line,
        } => rules.files().and_then(|files| {
            let mut ev = Evaluator::new(&files)?;
            // A run that writes only the brief form or a summary makes none of the texts the
            // full forms write (`Evaluator::set_lean`).
            let brief = detail == Detail::Brief;
            ev.set_lean(match format {
                Format::Json | Format::Ndjson => brief,
                Format::Summary | Format::SummaryJson => true,
                _ => false,
            });
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let cap = cores * JOBS_PER_CORE;
            let jobs = match jobs {
                Some(n) if n > cap => {
                    eprintln!(
                        "kbdiag: --jobs {n} is more than {JOBS_PER_CORE} per core; using {cap}"
                    );
                    cap
                }
                Some(n) => n,
                None => cores,
            };
            let docs = Documents::new(&paths, input).stdin_name(&stdin_name);
            let options = EvalOptions {
                format,
                detail,
                jobs,
                progress: !quiet && io::stderr().is_terminal(),
                live: docs.live(),
                exit_zero,
                summary_line,
                generated: run_time(),
            };
            Ok(eval(&files, &ev, docs, options, &mut out))
        }),
        Command::Collect(args) => args
            .rules
            .evaluator()
            .map(|ev| collect::run(&ev, args, &mut out)),
        Command::List { rules, format } => rules.evaluator().map(|ev| list(&ev, format, &mut out)),
        Command::Merge {
            paths,
            format,
            exit_zero,
        } => Ok(merge(&paths, format, exit_zero, &mut out)),
        Command::Check { paths, rules } => rules
            .checked()
            .map(|kb| check(&[paths, kb].concat(), &mut out)),
        Command::Test { paths, rules } => rules
            .checked()
            .map(|kb| test(&[paths, kb].concat(), &mut out)),
        Command::New { id, dir, from } => Ok(new_rule(&id, &dir, from.as_deref(), &mut out)),
        Command::Explain {
            facts,
            rule,
            rules,
            format,
        } => rules
            .evaluator()
            .map(|ev| explain(&ev, &facts, rule.as_deref(), format, &mut out)),
        Command::Schema { kind } => {
            Ok(write!(out, "{}", crate::authoring::schema::text(kind)).map(|()| 0))
        }
    };
    let code = match code {
        Ok(Ok(code)) => code,
        // The reader went away: the run was cut short, so it claims no verdict.
        Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => return EXIT_BROKEN_PIPE,
        Ok(Err(e)) => {
            eprintln!("kbdiag: cannot write output: {e}");
            2
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{}", render::clean(&p.to_string()));
            }
            eprintln!(
                "kbdiag: {} problem{} in the rules; nothing was evaluated",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            2
        }
    };
    match out.flush() {
        Ok(()) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_BROKEN_PIPE,
        Err(e) => {
            eprintln!("kbdiag: cannot write output: {e}");
            2
        }
    }
}

/// The exit status when standard output is closed before the run ends (`kbdiag eval … | head`):
/// 141, as a shell reports a program killed by SIGPIPE, never the 0 or 1 of a finished run.
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Most threads `--jobs` starts, per core: past this, threads only add memory and switching.
pub const JOBS_PER_CORE: usize = 4;

/// Says why a command could not run; its exit status.
fn cannot_run(problem: &Problem) -> i32 {
    eprintln!("{}", render::clean(&problem.to_string()));
    2
}

/// The run's time in UTC, or `SOURCE_DATE_EPOCH`'s when set (reproducible reports).
fn run_time() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    crate::facts::values::iso_utc(seconds)
}

/// `kbdiag merge`: the summaries in `paths`, added up. The first that cannot be read, or whose
/// totals do not add up, stops it: exit 2, naming the file and line.
fn merge(
    paths: &[PathBuf],
    format: MergeFormat,
    exit_zero: bool,
    out: &mut impl Write,
) -> io::Result<i32> {
    use crate::report::summary::{self, Located, Summary};
    let mut total = Summary::default();
    for path in paths {
        let name = path.display().to_string();
        let found = if path.as_os_str() == "-" {
            summary::find(io::stdin().lock())
        } else {
            std::fs::File::open(path)
                .map_err(|e| Located {
                    line: None,
                    error: e.into(),
                })
                .and_then(|f| summary::find(io::BufReader::new(f)))
        };
        let added = found.and_then(|summaries| {
            summaries.into_iter().try_for_each(|(line, s)| {
                total.merge(s).map_err(|error| Located {
                    line: Some(line),
                    error,
                })
            })
        });
        if let Err(e) = added {
            let at = match e.line {
                Some(line) => format!("{name}:{line}"),
                None => name,
            };
            eprintln!("{}", render::one_line(&format!("{at}: {}", e.error)));
            return Ok(2);
        }
    }
    match format {
        MergeFormat::Text => write!(out, "{}", render::summary_text(&total))?,
        MergeFormat::Json => writeln!(out, "{}", render::summary_line(&total))?,
    }
    Ok(if exit_zero { 0 } else { total.exit_code() })
}

/// `1 symptom`, `2 symptoms`.
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn list(ev: &Evaluator, format: ListFormat, out: &mut impl Write) -> io::Result<i32> {
    if format == ListFormat::Json {
        for line in crate::report::brief::article_lines(ev.rules()) {
            writeln!(out, "{line}")?;
        }
        return Ok(0);
    }
    for r in ev.rules() {
        let rule = &r.rule;
        let mut also = rule.aliases.join(", ");
        if !also.is_empty() {
            also = format!(" (also {also})");
        }
        let line = format!("{}{also}: {}", rule.id, rule.title);
        writeln!(out, "{}", render::one_line(&line))?;
        let revision = rule.revision.as_ref().map_or("?", |r| r.as_str());
        let reviewed = rule.last_reviewed.as_ref().map_or("?", |r| r.as_str());
        let line = format!(
            "  revision {revision}, last reviewed {reviewed}; from {}; {}",
            r.file, r.texts.digest
        );
        writeln!(out, "{}", render::one_line(&line))?;
        writeln!(
            out,
            "  {}, {}; applies to: {}",
            plural(rule.symptoms.len(), "symptom"),
            plural(rule.prerequisites.len(), "prerequisite"),
            render::one_line(&rule.applies_to.products.join("; "))
        )?;
    }
    Ok(0)
}
