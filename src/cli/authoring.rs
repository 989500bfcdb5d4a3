//! The rule author's commands: check, test, explain and new.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{ExplainFormat, cannot_run};
use crate::authoring::rule_tests;
use crate::evaluate::diagnose::Evaluator;
use crate::input::inputs::{Documents, StdinFormat};
use crate::problem::Problem;
use crate::report::render;
use crate::rules::kb::{self, RuleFile};

/// Rule files named on the command line: files as they are, folders walked.
pub(super) fn rule_files(paths: &[PathBuf]) -> Result<Vec<RuleFile>, Problem> {
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

pub(super) fn check(paths: &[PathBuf], out: &mut impl Write) -> io::Result<i32> {
    let files = match rule_files(paths) {
        Ok(files) => files,
        Err(problem) => return Ok(cannot_run(&problem)),
    };
    let problems = crate::evaluate::compile::check(&crate::engine::script::Sandbox::new(), &files);
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
            crate::input::walk::collect(path, &rule_tests::is_tests_file, &mut found)
                .map_err(unreadable)?;
            let found = crate::input::walk::all_files(found).map_err(|(path, why)| {
                Problem::new(&path.display().to_string(), None, None, why)
            })?;
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

pub(super) fn test(paths: &[PathBuf], out: &mut impl Write) -> io::Result<i32> {
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
    if broken {
        writeln!(
            out,
            "{passed} passed, {failed} failed; some rules or tests files could not be read (above), so their cases did not run"
        )?;
    } else {
        writeln!(out, "{passed} passed, {failed} failed")?;
    }
    Ok(if broken {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}

pub(super) fn explain(
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
    let parsed = (doc.bytes)
        .map_err(|message| Problem::new(&name, None, None, message))
        .and_then(|bytes| crate::facts::read_document(&name, None, &bytes));
    let facts = match parsed {
        Ok(facts) => facts,
        Err(problem) => return Ok(cannot_run(&problem)),
    };
    let host = facts.host.0.clone();
    let explanations = crate::authoring::explain::explain(ev, facts, only);
    if explanations.is_empty() {
        eprintln!("kbdiag: no loaded rule is {}", only.unwrap_or("loaded"));
        return Ok(2);
    }
    match format {
        ExplainFormat::Text => write!(
            out,
            "{}",
            crate::authoring::explain::text(&host, &name, &explanations)
        )?,
        ExplainFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&explanations).unwrap_or_default()
        )?,
    }
    Ok(0)
}

/// Writes a file that must not exist yet; a link in its place, dangling or not, is an error.
fn create_new(path: &Path, text: &str) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(text.as_bytes())
}

/// The largest article `new --from` reads.
const MAX_ARTICLE: u64 = 8 << 20;

/// An article's text for `new --from`: lossy UTF-8 (the archive has a few Windows-1252 bytes).
fn read_article(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_ARTICLE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_ARTICLE {
        return Err(format!(
            "{} is larger than {} MiB: not an article",
            path.display(),
            MAX_ARTICLE >> 20
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub(super) fn new_rule(
    id: &str,
    dir: &Path,
    from: Option<&Path>,
    out: &mut impl Write,
) -> io::Result<i32> {
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
        // A link, even a dangling one, counts as there: it is never written through.
        if path.symlink_metadata().is_ok() {
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
    // Outside a kbdiag checkout there is no schemas/ folder: point at schemas beside the rule,
    // which the user is told how to write.
    let found = std::env::current_dir()
        .map(|d| d.join("schemas/rule.schema.json").is_file())
        .unwrap_or(false);
    let schemas = if found { schemas } else { ".".to_owned() };
    let rule = match from {
        None => crate::authoring::skeleton::rule(id, &schemas),
        Some(path) => {
            let text = match read_article(path) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("kbdiag: {e}");
                    return Ok(2);
                }
            };
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let draft = crate::authoring::draft::draft(id, &name, &text, &schemas);
            for note in &draft.notes {
                eprintln!("{}", render::clean(note));
            }
            eprintln!(
                "{name}: {} file tables, {} rows read, {} marked to confirm",
                draft.tables, draft.rows, draft.marked
            );
            draft.rule
        }
    };
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| create_new(&rule_path, &rule))
        .and_then(|()| {
            create_new(
                &tests_path,
                &crate::authoring::skeleton::tests(id, &schemas),
            )
        });
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
    if !found {
        let d = dir.display();
        writeln!(
            out,
            "for your editor's completion, write the schemas the files name:\n  kbdiag schema rule > {d}/rule.schema.json\n  kbdiag schema tests > {d}/tests.schema.json"
        )?;
    }
    writeln!(
        out,
        "next: replace each TODO from the article, then run\n  kbdiag check {}\n  kbdiag test {}",
        rule_path.display(),
        tests_path.display()
    )?;
    Ok(0)
}
