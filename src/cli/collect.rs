//! `kbdiag collect`: fact documents from system volumes or from hives, logs and DLLs given one by
//! one, one JSON line per host on standard output; what could not be read goes to standard error
//! too.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{RuleArgs, cannot_run, run_time};
use crate::collect::{self, Artifacts, Needs, Options};
use crate::evaluate::diagnose::Evaluator;
use crate::problem::Problem;
use crate::report::render;

/// Read a Windows system's own artifacts (registry hives, event logs, DLLs) into a fact
/// document, one JSON line per host: `kbdiag collect /mnt/nt4 | kbdiag eval -`.
///
/// Reads the OS, edition, hotfixes and installed software, and exactly the registry values,
/// files and events the loaded rules ask for; `--with` adds what a person knows. Exit status: 0,
/// or 2 when a ROOT holds no Windows system (no document for it), an artifact was broken or
/// unreadable (the document is still written, naming what could not be read), or the `--with`
/// file was refused.
#[derive(Debug, clap::Args)]
pub(super) struct CollectArgs {
    /// System volumes as folders (a mounted image or a copy, holding WINNT\ or Windows\, found
    /// ignoring case), or disk images (raw, VHD, VMDK, VDI, qcow2; told by their content). Each
    /// Windows installation gives one document.
    #[arg(value_name = "ROOT|IMAGE")]
    roots: Vec<PathBuf>,
    /// Read each file given as a disk image, a raw disk when no format's signature names it.
    #[arg(long)]
    image: bool,
    /// The SOFTWARE hive, given by itself (a support bundle).
    #[arg(long, value_name = "HIVE")]
    software: Option<PathBuf>,
    /// The SYSTEM hive, given by itself.
    #[arg(long, value_name = "HIVE")]
    system: Option<PathBuf>,
    /// Event logs (.evt of Windows NT 4.0 to 2003, .evtx of Vista on), given by themselves.
    #[arg(long = "event-log", value_name = "FILE")]
    event_logs: Vec<PathBuf>,
    /// Copies of files the rules name, matched to them by file name (Security.dll).
    #[arg(long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The host's name, when the SYSTEM hive does not give it.
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Facts a person knows and no disk holds (a DLL's cipher_bits, reported_errors,
    /// reported_symptoms), as a partial fact file (YAML or JSON), merged into the first
    /// document; a fact both collected and given must agree (docs/collect.md).
    #[arg(long = "with", value_name = "FILE")]
    with: Option<PathBuf>,
    /// The `collected` time to write (ISO 8601; default: now, or SOURCE_DATE_EPOCH).
    #[arg(long, value_name = "TIME")]
    collected: Option<String>,
    /// Every event of every log, not only those the rules ask for (a big log can pass the 8 MiB
    /// a fact file may hold).
    #[arg(long)]
    all_events: bool,
    #[command(flatten)]
    pub(super) rules: RuleArgs,
}

/// Writes one document per root (or one for the artifacts given one by one), each as soon as it
/// is made. Exit status 0, or 2 when a root holds no system, an artifact was broken or
/// unreadable (its document is still written) or the `--with` file was refused.
pub(super) fn run(ev: &Evaluator, given: CollectArgs, out: &mut impl Write) -> io::Result<i32> {
    if given.roots.is_empty()
        && given.software.is_none()
        && given.system.is_none()
        && given.event_logs.is_empty()
        && given.files.is_empty()
    {
        return Ok(cannot_run(&Problem::new(
            "kbdiag collect",
            None,
            None,
            "nothing to read: name a system volume (ROOT), or --software, --system, --event-log, --file".into(),
        )));
    }
    if given.host.as_deref().is_some_and(|h| h.trim().is_empty()) {
        return Ok(cannot_run(&Problem::new(
            "--host",
            None,
            None,
            "a host's name cannot be empty or blank".into(),
        )));
    }
    let collected = match given
        .collected
        .as_deref()
        .map(crate::facts::values::utc_time)
    {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Ok(cannot_run(&Problem::new("--collected", None, None, e))),
        None => run_time(),
    };
    let mut code = 0;
    // A refused --with file is said before anything is collected; the documents are still
    // written, without its facts.
    let mut with = match given.with.as_deref().map(collect::given::read) {
        Some(Ok(w)) => Some(w),
        Some(Err(p)) => {
            code = cannot_run(&p);
            None
        }
        None => None,
    };
    let options = Options {
        host: given.host,
        collected,
        all_events: given.all_events,
    };
    let needs = Needs::of(ev.rules());
    let loose = Artifacts {
        root: None,
        image: None,
        software: given.software,
        system: given.system,
        event_logs: given.event_logs,
        files: given.files,
    };
    let loose_given = loose.software.is_some()
        || loose.system.is_some()
        || !loose.event_logs.is_empty()
        || !loose.files.is_empty();
    // Artifacts named one by one complete (and win over) the first volume that holds a system;
    // with none, they make a document of their own.
    // A file (not a folder) is read as a disk image when its content says so, or with --image.
    let force = given.image;
    let is_image = |r: &PathBuf| r.is_file() && (force || collect::image::is_image(r));
    let completed =
        (given.roots.iter()).position(|r| loose_given && !is_image(r) && collect::holds_system(r));
    let alone = given.roots.is_empty() || loose_given && completed.is_none();
    let mut hosts: Vec<(Artifacts, bool)> = Vec::new();
    for (i, root) in given.roots.into_iter().enumerate() {
        let base = if Some(i) == completed {
            loose.clone()
        } else {
            Artifacts::default()
        };
        let image = is_image(&root);
        hosts.push((
            Artifacts {
                root: Some(root),
                ..base
            },
            image,
        ));
    }
    if alone {
        hosts.push((loose, false));
    }
    for (artifacts, image) in &hosts {
        let written = match (image, &artifacts.root) {
            (true, Some(path)) => write_image(path, force, &needs, &options, &mut with, out)?,
            _ => write_one(artifacts, &needs, &options, &mut with, out)?,
        };
        code = code.max(written);
    }
    Ok(code)
}

/// Collects and writes a document for each Windows installation of a disk image; a located
/// error for each part of it that could not be read (exit status 2), the others still read.
fn write_image(
    path: &std::path::Path,
    force: bool,
    needs: &Needs,
    options: &Options,
    with: &mut Option<collect::given::Given>,
    out: &mut impl Write,
) -> io::Result<i32> {
    let opened = match collect::image::open(path, force) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}", render::clean(&format!("kbdiag collect: {e}")));
            return Ok(2);
        }
    };
    let mut code = 0;
    for e in &opened.errors {
        eprintln!("{}", render::clean(&format!("kbdiag collect: {e}")));
        code = 2;
    }
    if opened.installations.is_empty() {
        let looked = if opened.looked.is_empty() {
            String::new()
        } else {
            format!(" ({})", opened.looked.join("; "))
        };
        let line = format!(
            "kbdiag collect: {}: no Windows installation found (a folder holding system32\\config\\SOFTWARE){looked}",
            path.display()
        );
        eprintln!("{}", render::clean(&line));
        return Ok(2);
    }
    for found in opened.installations {
        let artifacts = Artifacts {
            image: Some(found),
            ..Artifacts::default()
        };
        code = code.max(write_one(&artifacts, needs, options, with, out)?);
    }
    Ok(code)
}

/// Collects and writes one host's document, flushed at once; its exit status.
fn write_one(
    artifacts: &Artifacts,
    needs: &Needs,
    options: &Options,
    with: &mut Option<collect::given::Given>,
    out: &mut impl Write,
) -> io::Result<i32> {
    let doc = match collect::collect(artifacts, needs, options) {
        Ok(doc) => doc,
        Err(e) => {
            let line = format!("kbdiag collect: {e}");
            eprintln!("{}", render::clean(&line));
            return Ok(2);
        }
    };
    let mut code = 0;
    // An image's installations may share a host name (a copied system): say which one.
    let who = match &artifacts.image {
        Some(found) => format!("{} ({})", doc.host, found.name),
        None => doc.host.to_string(),
    };
    // Broken artifacts are errors; facts merely absent are listed in the document, and
    // counted here.
    let not_collected = &doc.collector.not_collected;
    for n in not_collected.iter().filter(|n| n.broken) {
        let reason = n.reason.as_ref().map_or("", |r| r.as_str());
        let line = format!("kbdiag collect: {who}: {}: {reason}", n.fact);
        eprintln!("{}", render::clean(&line));
    }
    let absent = not_collected.iter().filter(|n| !n.broken).count();
    if absent > 0 {
        let line = format!(
            "kbdiag collect: {who}: {absent} fact{} not found on the artifacts given (collector.not_collected lists them)",
            if absent == 1 { "" } else { "s" }
        );
        eprintln!("{}", render::clean(&line));
    }
    if collect::had_errors(&doc) {
        code = 2;
    }
    // The --with file completes the first document written.
    match with.take().map(|w| w.apply(&doc)) {
        Some(Ok(merged)) => serde_json::to_writer(&mut *out, &merged)?,
        Some(Err(p)) => {
            code = cannot_run(&p);
            serde_json::to_writer(&mut *out, &doc)?;
        }
        None => serde_json::to_writer(&mut *out, &doc)?,
    }
    writeln!(out)?;
    // Each volume can take long: its document is out before the next is read.
    out.flush()?;
    Ok(code)
}
