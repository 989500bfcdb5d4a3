//! Event logs: the volume's `.evt` and `.evtx` files and those given one by one, read into the
//! events the rules ask for, and the names of the logs read whole (`event_logs`), so that an
//! event not found in a log that was not read is unknown, not absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::document::{Collecting, Event};
use super::volume;
use super::{Needs, evt, evtx};

impl Collecting {
    /// Reads `logs`; `looked` when a volume's log folders were searched, so that finding none
    /// is said.
    pub(super) fn events(&mut self, logs: &[PathBuf], needs: &Needs, all: bool, looked: bool) {
        if logs.is_empty() {
            if looked {
                self.missing("events", "no event log given or found".into(), false);
            }
            return;
        }
        let mut events = Vec::new();
        let keep = |e: &Event| {
            all || e
                .source
                .as_deref()
                .is_some_and(|s| needs.wants_event(s, e.id as u32))
        };
        let mut read_any = false;
        let mut strings = evtx::Budget::default();
        // Logs read whole, and logs of which something could not be read.
        let mut whole: BTreeSet<String> = BTreeSet::new();
        let mut partial: BTreeSet<String> = BTreeSet::new();
        for path in logs {
            let data = match volume::read(path, self.volume.as_ref()) {
                Ok(d) => d,
                Err(e) => {
                    partial.insert(log_name(path));
                    self.missing("events", format!("{}: {e}", path.display()), true);
                    continue;
                }
            };
            let is_evtx = data.starts_with(b"ElfFile\0");
            let log = log_name(path);
            if is_evtx {
                match evtx::read_within(data, keep, &mut strings) {
                    Ok(r) => {
                        read_any = true;
                        let mut facts =
                            format!("events ({} records, {} kept)", r.records, r.events.len());
                        if r.failed > 0 {
                            facts.push_str(&format!("; {} records unreadable", r.failed));
                        }
                        if let Some(problem) = r.problem() {
                            partial.insert(log);
                            self.missing("events", format!("{}: {problem}", path.display()), true);
                        } else {
                            whole.insert(log);
                        }
                        self.read(path, &facts);
                        events.extend(r.events);
                    }
                    Err(e) => {
                        partial.insert(log);
                        self.missing("events", format!("{}: {e}", path.display()), true)
                    }
                }
                continue;
            }
            let mut total = 0usize;
            let result = evt::read(&data, |source, identifier| {
                total += 1;
                all || needs.wants_event(source, identifier)
            });
            match result {
                Ok(read) => {
                    read_any = true;
                    let kept = read.records.len();
                    let mut facts = format!("events ({total} records, {kept} kept)");
                    if read.dirty {
                        facts.push_str("; not closed cleanly");
                    }
                    if let Some(e) = &read.stopped {
                        partial.insert(log.clone());
                        facts.push_str("; stopped early");
                        self.missing(
                            "events",
                            format!(
                                "{}: {e}; {} before it {} read",
                                path.display(),
                                if total == 1 {
                                    "the record".to_owned()
                                } else {
                                    format!("the {total} records")
                                },
                                if total == 1 { "was" } else { "were" }
                            ),
                            true,
                        );
                    } else {
                        whole.insert(log.clone());
                    }
                    self.read(path, &facts);
                    events.extend(read.records.into_iter().map(|r| legacy_event(r, &log)));
                }
                Err(e) => {
                    partial.insert(log);
                    self.missing("events", format!("{}: {e}", path.display()), true)
                }
            }
        }
        if read_any {
            self.doc.events = Some(events);
            // A log is complete only if every file of it was read whole.
            let complete = whole
                .into_iter()
                .filter(|l| !partial.iter().any(|p| p.eq_ignore_ascii_case(l)))
                .collect();
            self.doc.event_logs = Some(complete);
        }
    }
}

/// The `.evt` logs of a volume's hive folder and the `.evtx` logs of its `winevt\Logs`; a folder
/// with more entries than are looked at is said.
pub(super) fn volume_logs(c: &mut Collecting, config: &Path, windows: &Path) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    let mut folders = vec![(config.to_path_buf(), ".evt")];
    let Some(v) = c.volume.clone() else {
        return logs;
    };
    if let Some(dir) = v.find(windows, "system32/winevt/Logs") {
        folders.push((dir, ".evtx"));
    }
    for (dir, ext) in folders {
        let (found, more) = v.files_ending(&dir, ext);
        if more {
            c.missing(
                "events",
                format!(
                    "{}: more than {} entries; only the first were looked at",
                    dir.display(),
                    crate::numbers::thousands(volume::MAX_ENTRIES)
                ),
                true,
            );
        }
        logs.extend(found);
    }
    logs
}

/// The log a file holds, as Event Viewer names it: `AppEvent.Evt` is Application; an `.evtx`
/// file is named after its channel, with `%4` for `/`.
fn log_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.to_lowercase().as_str() {
        "appevent" => "Application".into(),
        "sysevent" => "System".into(),
        "secevent" => "Security".into(),
        _ => stem.replace("%4", "/"),
    }
}

fn legacy_event(r: evt::Record, log: &str) -> Event {
    let kind = match r.kind {
        1 => "Error".to_owned(),
        2 => "Warning".to_owned(),
        0 | 4 => "Information".to_owned(),
        8 => "Audit Success".to_owned(),
        16 => "Audit Failure".to_owned(),
        n => n.to_string(),
    };
    Event {
        log: Some(log.to_owned()),
        source: Some(r.source),
        id: i64::from(r.identifier & 0xFFFF),
        qualifiers: i64::from(r.identifier >> 16),
        kind,
        category: (r.category != 0).then_some(i64::from(r.category)),
        time: Some(crate::facts::values::iso_utc(i64::from(r.created))),
        record: i64::from(r.number),
        computer: Some(r.computer).filter(|c| !c.trim().is_empty()),
        strings: r.strings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_named_as_event_viewer_names_them() {
        assert_eq!(log_name(Path::new("x/SYSEVENT.EVT")), "System");
        assert_eq!(log_name(Path::new("x/System.evtx")), "System");
        assert_eq!(
            log_name(Path::new(
                "x/Microsoft-Windows-TaskScheduler%4Operational.evtx"
            )),
            "Microsoft-Windows-TaskScheduler/Operational"
        );
    }
}
