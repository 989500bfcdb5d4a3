//! The command line: arguments, inputs, output and exit status. The only module that knows about
//! standard streams and the process.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::diagnose::Evaluator;
use crate::diagnosis::Report;
use crate::fleet;
use crate::inputs::{Documents, StdinFormat};
use crate::kb::{self, RuleFile};
use crate::problem::Problem;
use crate::render::{self, Format};
use crate::rule_tests;
use crate::summary::Summary;

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
        /// How standard input is read: one document, or NDJSON (one document per line).
        #[arg(long, value_enum, default_value = "document")]
        input: StdinFormat,
        /// Threads evaluating in parallel (default: all cores). Output order stays input order.
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// No progress indicator.
        #[arg(long, short = 'q')]
        quiet: bool,
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
    /// Explain, for one host, every condition of a rule: its value, the facts it read, and which
    /// part decided.
    Explain {
        /// One fact file, or - for standard input.
        #[arg(value_name = "FACTS")]
        facts: PathBuf,
        /// Only this rule (id or alias).
        #[arg(long, value_name = "ID")]
        kb: Option<String>,
        /// Load rules from this folder instead of the built-in ones.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
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
    },
    /// Run the test cases shipped beside rules (`KBNNNNNN.tests.yaml`).
    ///
    /// Exit status: 0 when every case passes, 1 when one fails, 2 when rules or tests cannot be
    /// read.
    Test {
        /// Tests files, or folders holding rules and their tests (default: the built-in ones).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the rule, fact or rule-tests format.
    Schema {
        #[arg(value_enum)]
        kind: crate::schema::Kind,
    },
}

#[derive(Debug, clap::Args)]
struct RuleArgs {
    /// Load rules from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR", visible_alias = "rules")]
    kb: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
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
            input,
            jobs,
            quiet,
        } => rules.files().and_then(|files| {
            let ev = Evaluator::new(&files)?;
            let options = EvalOptions {
                format,
                jobs: jobs
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                progress: !quiet && io::stderr().is_terminal(),
            };
            let docs = Documents::new(&paths, input);
            Ok(eval(&files, &ev, docs, options, &mut out))
        }),
        Command::List { rules } => rules.evaluator().map(|ev| list(&ev, &mut out)),
        Command::Check { paths } => Ok(check(&paths, &mut out)),
        Command::Test { paths } => Ok(test(&paths, &mut out)),
        Command::New { id, dir } => Ok(new_rule(&id, &dir, &mut out)),
        Command::Explain {
            facts,
            kb,
            rules,
            format,
        } => RuleArgs { kb: rules }
            .evaluator()
            .map(|ev| explain(&ev, &facts, kb.as_deref(), format, &mut out)),
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

/// Says why a command could not run; its exit status.
fn cannot_run(problem: &Problem) -> i32 {
    eprintln!("{}", render::clean(&problem.to_string()));
    2
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
            files.push(RuleFile::read(path)?);
        }
    }
    Ok(files)
}

fn check(paths: &[PathBuf], out: &mut impl Write) -> io::Result<i32> {
    let files = match rule_files(paths) {
        Ok(files) => files,
        Err(problem) => return Ok(cannot_run(&problem)),
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

/// Rule files and the tests files to run on them.
struct Suite {
    rules: Vec<RuleFile>,
    tests: Vec<RuleFile>,
}

/// The suites of `kbdiag test`: one per argument, or the built-in one.
fn test_suites(paths: &[PathBuf]) -> Result<Vec<Suite>, Problem> {
    if paths.is_empty() {
        return Ok(vec![Suite {
            rules: kb::builtin(),
            tests: kb::builtin_tests(),
        }]);
    }
    let mut suites = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let unreadable = |e: io::Error| Problem::new(&name, None, None, e.to_string());
        let (rules_dir, tests) = if path.is_dir() {
            let mut found = Vec::new();
            crate::walk::collect(path, &rule_tests::is_tests_file, &mut found)
                .map_err(unreadable)?;
            (path.as_path(), found)
        } else {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            (parent.unwrap_or(Path::new(".")), vec![path.clone()])
        };
        if tests.is_empty() {
            return Err(Problem::new(
                &name,
                None,
                None,
                "no tests files (*.tests.yaml) here".into(),
            ));
        }
        let tests = (tests.iter())
            .map(|p| RuleFile::read(p))
            .collect::<Result<Vec<_>, _>>()?;
        suites.push(Suite {
            rules: kb::read_dir(rules_dir)?,
            tests,
        });
    }
    Ok(suites)
}

fn test(paths: &[PathBuf], out: &mut impl Write) -> io::Result<i32> {
    let suites = match test_suites(paths) {
        Ok(suites) => suites,
        Err(problem) => return Ok(cannot_run(&problem)),
    };
    let (mut passed, mut failed, mut broken) = (0, 0, false);
    for Suite { rules, tests } in suites {
        let evaluator = match Evaluator::new(&rules) {
            Ok(ev) => ev,
            Err(problems) => {
                for p in problems {
                    writeln!(out, "{}\n", render::clean(&p.to_string()))?;
                }
                broken = true;
                continue;
            }
        };
        for file in &tests {
            let outcomes = match rule_tests::run(&evaluator, file) {
                Ok(outcomes) => outcomes,
                Err(problems) => {
                    for p in problems {
                        writeln!(out, "{}\n", render::clean(&p.to_string()))?;
                    }
                    broken = true;
                    continue;
                }
            };
            writeln!(out, "{}", render::clean(&file.name))?;
            for o in outcomes {
                if o.failures.is_empty() {
                    passed += 1;
                    writeln!(out, "  ok    {}", render::clean(&o.name))?;
                    continue;
                }
                failed += 1;
                let at = o
                    .location
                    .map_or(String::new(), |l| format!(" ({}:{l})", o.file));
                writeln!(
                    out,
                    "  FAIL  {}{}",
                    render::clean(&o.name),
                    render::clean(&at)
                )?;
                for f in &o.failures {
                    writeln!(
                        out,
                        "        {}",
                        render::clean(f).replace('\n', "\n        ")
                    )?;
                }
            }
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok(if broken {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}

fn explain(
    ev: &Evaluator,
    path: &Path,
    only: Option<&str>,
    format: ExplainFormat,
    out: &mut impl Write,
) -> io::Result<i32> {
    let Some(doc) = Documents::new(&[path.to_path_buf()], StdinFormat::Document).next() else {
        return Ok(2);
    };
    let name = doc.source.clone();
    let parsed = doc.bytes.and_then(|bytes| {
        let (text, syntax) = crate::facts::read_text(&name, bytes, None)
            .map_err(|e| Problem::new(&name, None, e.location(), e.to_string()).to_string())?;
        crate::facts::parse_text(&text, syntax)
            .map_err(|e| Problem::new(&name, Some(&text), e.location(), e.to_string()).to_string())
    });
    let facts = match parsed {
        Ok(facts) => facts,
        Err(message) => {
            eprintln!("{}", render::clean(&message));
            return Ok(2);
        }
    };
    let host = facts.host.0.clone();
    let explanations = crate::explain::explain(ev, facts, only);
    if explanations.is_empty() {
        eprintln!("kbdiag: no loaded rule is {}", only.unwrap_or("loaded"));
        return Ok(2);
    }
    match format {
        ExplainFormat::Text => {
            write!(out, "{}", crate::explain::text(&host, &name, &explanations))?
        }
        ExplainFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&explanations).unwrap_or_default()
        )?,
    }
    Ok(0)
}

fn new_rule(id: &str, dir: &Path, out: &mut impl Write) -> io::Result<i32> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        eprintln!(
            "kbdiag: {id:?} is not an article id: use letters, digits, - and _, e.g. KB123456"
        );
        return Ok(2);
    }
    let rule_path = dir.join(format!("{id}.yaml"));
    let tests_path = dir.join(format!("{id}.tests.yaml"));
    for path in [&rule_path, &tests_path] {
        if path.exists() {
            eprintln!("kbdiag: {} exists; not overwriting it", path.display());
            return Ok(2);
        }
    }
    // The schemas folder as seen from `dir`, for the editor's `$schema` line.
    let schemas = if dir.is_absolute() {
        std::env::current_dir()
            .map(|d| d.join("schemas").display().to_string())
            .unwrap_or_else(|_| "schemas".into())
    } else {
        let depth = dir
            .components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count();
        format!("{}schemas", "../".repeat(depth))
    };
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&rule_path, crate::skeleton::rule(id, &schemas)))
        .and_then(|()| std::fs::write(&tests_path, crate::skeleton::tests(id, &schemas)));
    if let Err(e) = written {
        eprintln!("kbdiag: cannot write into {}: {e}", dir.display());
        return Ok(2);
    }
    writeln!(
        out,
        "wrote {} and {}",
        rule_path.display(),
        tests_path.display()
    )?;
    writeln!(
        out,
        "next: replace each TODO from the article, then run\n  kbdiag check {}\n  kbdiag test {}",
        rule_path.display(),
        tests_path.display()
    )?;
    Ok(0)
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

struct EvalOptions {
    format: Format,
    jobs: usize,
    progress: bool,
}

fn eval(
    files: &[RuleFile],
    ev: &Evaluator,
    docs: Documents,
    options: EvalOptions,
    out: &mut impl Write,
) -> io::Result<i32> {
    for w in ev.warnings() {
        eprintln!("{}", render::clean(&w.to_string()));
    }
    let format = options.format;
    let render = move |report: &Report| match format {
        Format::Text => render::text(report),
        Format::Json => render::json(report),
        Format::Ndjson => render::ndjson(report),
        Format::Summary => String::new(),
    };
    let mut summary = Summary::new(ev.rules().iter().map(|r| r.rule.id.clone()));
    let mut progress = Progress::new(options.progress);
    if format == Format::Json {
        writeln!(out, "{{\n\"reports\": [")?;
    }
    fleet::run(files, ev, docs, options.jobs, &render, &mut |e| {
        summary.add(e.tally);
        progress.tick(summary.inputs);
        match format {
            Format::Text if summary.inputs > 1 => write!(out, "\n{}", e.rendered),
            Format::Ndjson => writeln!(out, "{}", e.rendered),
            Format::Json if summary.inputs > 1 => write!(out, ",\n{}", e.rendered),
            _ => write!(out, "{}", e.rendered),
        }
    })?;
    progress.finish();
    match format {
        Format::Json => {
            let summary = serde_json::to_string_pretty(&summary).unwrap_or_default();
            writeln!(out, "\n],\n\"summary\": {summary}\n}}")?;
        }
        Format::Text => write!(out, "\n{}", render::summary_text(&summary))?,
        Format::Summary => write!(out, "{}", render::summary_text(&summary))?,
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
