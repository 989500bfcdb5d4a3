//! The command line: arguments, inputs, output and exit status. The only module that knows about
//! standard streams and the process.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::diagnose::Evaluator;
use crate::diagnosis::Report;
use crate::kb::{self, RuleFile};
use crate::problem::Problem;
use crate::render::{self, Format, Summary};
use crate::source::MAX_DOCUMENT_BYTES;

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
        /// Fact files, folders (every *.yaml, *.yml, *.json below, in sorted order), or - for
        /// standard input.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Show the loaded rules.
    List {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Check rule files and report every problem, located.
    ///
    /// Exit status: 0 when clean, 1 when problems (errors or warnings) are found, 2 when the
    /// check could not run.
    Check {
        /// Rule files or folders (default: the built-in rules).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the rule or the fact format.
    Schema {
        #[arg(value_enum)]
        kind: crate::schema::Kind,
    },
}

#[derive(Debug, clap::Args)]
struct RuleArgs {
    /// Load rules from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    kb: Option<PathBuf>,
}

impl RuleArgs {
    fn files(&self) -> Result<Vec<RuleFile>, Vec<Problem>> {
        match &self.kb {
            Some(dir) => kb::read_dir(dir).map_err(|p| vec![p]),
            None => Ok(kb::builtin()),
        }
    }

    fn evaluator(&self) -> Result<Evaluator, Vec<Problem>> {
        Evaluator::new(&self.files()?)
    }
}

/// Runs the command line and returns the exit status.
pub fn run(cli: Cli) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = match cli.command {
        Command::Eval {
            paths,
            rules,
            format,
        } => rules
            .evaluator()
            .map(|ev| eval(&ev, &paths, format, &mut out)),
        Command::List { rules } => rules.evaluator().map(|ev| list(&ev, &mut out)),
        Command::Check { paths } => Ok(check(&paths, &mut out)),
        Command::Schema { kind } => Ok(write!(out, "{}", crate::schema::text(kind)).map(|()| 0)),
    };
    let code = match code {
        Ok(Ok(code)) => code,
        Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => return 0,
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
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("kbdiag: cannot write output: {e}");
            2
        }
        _ => code,
    }
}

/// Rule files named on the command line: files as they are, folders walked.
fn rule_files(paths: &[PathBuf]) -> Result<Vec<RuleFile>, Problem> {
    if paths.is_empty() {
        return Ok(kb::builtin());
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(kb::read_dir(path)?);
        } else {
            let name = path.display().to_string();
            let bytes = std::fs::File::open(path)
                .and_then(read_limited)
                .map_err(|e| Problem::new(&name, None, None, e.to_string()))?;
            files.push(RuleFile { name, bytes });
        }
    }
    Ok(files)
}

fn check(paths: &[PathBuf], out: &mut impl Write) -> io::Result<i32> {
    let files = match rule_files(paths) {
        Ok(files) => files,
        Err(problem) => {
            eprintln!("{}", render::clean(&problem.to_string()));
            return Ok(2);
        }
    };
    let problems = kb::check(&crate::script::Sandbox::new(), &files);
    for p in &problems {
        writeln!(out, "{}\n", render::clean(&p.to_string()))?;
    }
    let warnings = problems.iter().filter(|p| p.warning).count();
    let errors = problems.len() - warnings;
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if problems.is_empty() {
        writeln!(
            out,
            "{} checked: no problems",
            plural(files.len(), "rule file")
        )?;
        Ok(0)
    } else {
        writeln!(
            out,
            "{} checked: {}, {}",
            plural(files.len(), "rule file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )?;
        Ok(1)
    }
}

fn list(ev: &Evaluator, out: &mut impl Write) -> io::Result<i32> {
    for r in ev.rules() {
        let rule = &r.rule;
        let mut also = rule.aliases.join(", ");
        if !also.is_empty() {
            also = format!(" (also {also})");
        }
        writeln!(out, "{}{also}: {}", rule.id, render::clean(&rule.title))?;
        let revision = rule.revision.as_ref().map_or("?", |r| r.as_str());
        let reviewed = rule.last_reviewed.as_ref().map_or("?", |r| r.as_str());
        writeln!(
            out,
            "  revision {revision}, last reviewed {reviewed}; from {}",
            r.file
        )?;
        writeln!(
            out,
            "  {} symptoms, {} prerequisites; applies to: {}",
            rule.symptoms.len(),
            rule.prerequisites.len(),
            render::clean(&rule.applies_to.products.join("; "))
        )?;
    }
    Ok(0)
}

/// One input to evaluate: a file, or standard input.
enum Input {
    File(PathBuf),
    Stdin,
    /// A path that could not be expanded into files.
    Broken(String, String),
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_owned(),
            Input::Broken(name, _) => name.clone(),
        }
    }
}

fn is_fact_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

fn expand(paths: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            let mut found = Vec::new();
            match crate::walk::collect(path, &is_fact_file, &mut found) {
                Ok(()) if found.is_empty() => inputs.push(Input::Broken(
                    path.display().to_string(),
                    "no fact files (*.yaml, *.yml, *.json) in this folder".into(),
                )),
                Ok(()) => inputs.extend(found.into_iter().map(Input::File)),
                Err(e) => inputs.push(Input::Broken(path.display().to_string(), e.to_string())),
            }
        } else {
            inputs.push(Input::File(path.clone()));
        }
    }
    inputs
}

/// Reads at most one byte past the limit, so a huge file is refused without being read.
fn read_limited(reader: impl Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn read_input(input: &Input) -> Result<Vec<u8>, String> {
    match input {
        Input::Stdin => read_limited(io::stdin().lock()).map_err(|e| e.to_string()),
        Input::File(path) => read_file(path),
        Input::Broken(_, message) => Err(message.clone()),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    read_limited(file).map_err(|e| e.to_string())
}

/// Evaluates one input into its report; a bad input becomes a report with an error.
fn evaluate(ev: &Evaluator, input: &Input) -> Report {
    let name = input.name();
    match read_input(input) {
        Ok(bytes) => ev.report(&name, bytes),
        Err(message) => Report::failed(Problem::new(&name, None, None, message)),
    }
}

fn eval(
    ev: &Evaluator,
    paths: &[PathBuf],
    format: Format,
    out: &mut impl Write,
) -> io::Result<i32> {
    for w in ev.warnings() {
        eprintln!("{}", render::clean(&w.to_string()));
    }
    let mut summary = Summary::default();
    let mut reports = Vec::new();
    for (i, input) in expand(paths).iter().enumerate() {
        let report = evaluate(ev, input);
        summary.add(&report);
        match format {
            Format::Ndjson => writeln!(out, "{}", render::ndjson(&report))?,
            Format::Text => {
                if i > 0 {
                    writeln!(out)?;
                }
                write!(out, "{}", render::text(&report))?;
            }
            Format::Json => reports.push(report),
        }
    }
    match format {
        Format::Json => writeln!(out, "{}", render::json(&reports, &summary))?,
        Format::Text => writeln!(out, "\n{}", render::summary_text(&summary))?,
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
    Ok(summary.exit_code())
}
