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
/// files and events the loaded rules ask for. Exit status: 0, or 2 when an artifact was broken or
/// unreadable (the document is still written, naming what could not be read).
#[derive(Debug, clap::Args)]
pub(super) struct CollectArgs {
    /// System volumes as folders: a mounted image or a copy, holding WINNT\ or Windows\ (found
    /// ignoring case). Each gives one document.
    #[arg(value_name = "ROOT")]
    roots: Vec<PathBuf>,
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

/// Writes one document per root (or one for the artifacts given one by one). Exit status 0, or
/// 2 when an artifact was broken or unreadable (its document is still written).
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
    let collected = match given
        .collected
        .as_deref()
        .map(crate::facts::values::utc_time)
    {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Ok(cannot_run(&Problem::new("--collected", None, None, e))),
        None => run_time(),
    };
    let options = Options {
        host: given.host,
        collected,
        all_events: given.all_events,
    };
    let needs = Needs::of(ev.rules());
    let loose = Artifacts {
        root: None,
        software: given.software,
        system: given.system,
        event_logs: given.event_logs,
        files: given.files,
    };
    let hosts: Vec<Artifacts> = if given.roots.is_empty() {
        vec![loose]
    } else {
        // Artifacts named one by one complete (and win over) the first volume's.
        let mut hosts: Vec<Artifacts> = given
            .roots
            .into_iter()
            .map(|root| Artifacts {
                root: Some(root),
                ..Artifacts::default()
            })
            .collect();
        let first = &mut hosts[0];
        first.software = loose.software;
        first.system = loose.system;
        first.event_logs = loose.event_logs;
        first.files = loose.files;
        hosts
    };
    let mut code = 0;
    for artifacts in &hosts {
        let doc = collect::collect(artifacts, &needs, &options);
        // Broken artifacts are errors; facts merely absent are listed in the document, and
        // counted here.
        let not_collected = &doc.collector.not_collected;
        for n in not_collected.iter().filter(|n| n.broken) {
            let reason = n.reason.as_ref().map_or("", |r| r.as_str());
            let line = format!("kbdiag collect: {}: {}: {reason}", doc.host, n.fact);
            eprintln!("{}", render::clean(&line));
        }
        let absent = not_collected.iter().filter(|n| !n.broken).count();
        if absent > 0 {
            let line = format!(
                "kbdiag collect: {}: {absent} fact{} not found on the artifacts given (collector.not_collected lists them)",
                doc.host,
                if absent == 1 { "" } else { "s" }
            );
            eprintln!("{}", render::clean(&line));
        }
        if collect::had_errors(&doc) {
            code = 2;
        }
        serde_json::to_writer(&mut *out, &doc)?;
        writeln!(out)?;
    }
    Ok(code)
}
