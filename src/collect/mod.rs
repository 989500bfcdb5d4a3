//! `kbdiag collect`: facts read from what a Windows system leaves behind (a system volume, or its
//! hives, event logs and DLLs one by one) and written as fact format 1.
//!
//! Only what the artifacts hold is written; what could not be read is named under
//! `collector.not_collected` (listed up to a cap, then counted), so a diagnosis says "unknown"
//! for it, never "absent": a list is written only when the place that holds it was read
//! (`events` with the logs it is complete for, `event_logs`). A folder that is not a Windows
//! system is an error, not a host. What a person knows and no disk holds comes in through
//! `--with` ([`given`]). Besides the inputs, this is the one part of the library that reads
//! files: each bounded by [`MAX_ARTIFACT`] and its own size, and never through a link leading
//! off the volume.
//!
//! The parts: the volume and its paths (`volume.rs`), locating the system, its hives and its
//! name (`system.rs`), the OS (`os.rs`), hotfixes and programs (`installed.rs`), the rules'
//! registry values (`registry.rs`), files (`files.rs`) and events (`logs.rs`), the document and
//! its bounded record (`document.rs`), the facts given by a person (`given.rs`); the readers of
//! the artifacts' formats (`regf`, `evt`, `evtx`, `pe`).

mod bytes;
mod document;
pub mod evt;
pub mod evtx;
mod files;
pub mod given;
pub mod image;
mod installed;
mod logs;
pub mod needs;
mod os;
pub mod pe;
pub mod regf;
mod registry;
mod system;
mod volume;
mod zone;

use std::path::PathBuf;

use crate::facts::registry::{RegData, RegValue};
use crate::facts::{Collector, Text};
use document::Collecting;
pub use document::{Document, Event, File, MAX_ARTIFACTS_LISTED, MAX_LISTED, Os, Software};
pub use needs::Needs;

/// Largest hive, event log or DLL read (whole, into memory): a larger file is reported, not
/// read. Windows caps hives at 2 GB and EVT logs at 4 GB; real ones are far smaller.
pub const MAX_ARTIFACT: u64 = 1 << 30;

const CURRENT_VERSION: &str = "Microsoft\\Windows NT\\CurrentVersion";

/// The artifacts of one host.
#[derive(Debug, Clone, Default)]
pub struct Artifacts {
    /// A system volume as a folder (the one holding `WINNT\` or `Windows\`).
    pub root: Option<PathBuf>,
    /// A Windows installation found in a disk image (instead of `root`).
    pub image: Option<image::Installation>,
    /// The SOFTWARE and SYSTEM hives, when given one by one (they win over the volume's).
    pub software: Option<PathBuf>,
    pub system: Option<PathBuf>,
    /// `.evt` and `.evtx` logs, besides the volume's.
    pub event_logs: Vec<PathBuf>,
    /// Copies of files the rules name, matched to them by file name.
    pub files: Vec<PathBuf>,
}

/// How to collect.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The host's name when the SYSTEM hive does not say it.
    pub host: Option<String>,
    /// The `collected` time, ISO 8601 UTC.
    pub collected: String,
    /// Every event of every log, not only those the rules ask for.
    pub all_events: bool,
}

/// Why a volume gave no document: nothing on it could be collected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    #[error(
        "{}: {reason} (looked for a Windows system: a folder holding system32\\config)",
        root.display()
    )]
    NotAFolder { root: PathBuf, reason: String },
    #[error(
        "{}: no Windows system here: no system32\\config folder in it, nor in its WINNT\\, \
         Windows\\ or any other folder at its top (names compared ignoring case)",
        root.display()
    )]
    NoSystem { root: PathBuf },
}

/// Collects the facts of one host; an error when its volume holds no Windows system.
pub fn collect(
    artifacts: &Artifacts,
    needs: &Needs,
    options: &Options,
) -> Result<Document, CollectError> {
    let located = match &artifacts.image {
        Some(found) => Some(system::on_image(found)?),
        None => artifacts.root.as_deref().map(system::locate).transpose()?,
    };
    let doc = Document {
        collected: options.collected.clone(),
        collector: Collector {
            name: Some(Text("kbdiag collect".into())),
            version: Some(Text(env!("CARGO_PKG_VERSION").into())),
            ..Collector::default()
        },
        ..Document::default()
    };
    let volume = located.as_ref().map(|s| s.volume.clone());
    let mut c = Collecting::new(doc, volume);
    let hive_path = |given: &Option<PathBuf>, name: &str| {
        given.clone().or_else(|| {
            located
                .as_ref()
                .and_then(|s| s.volume.child(&s.config, name))
        })
    };
    let software = c.hive(hive_path(&artifacts.software, "SOFTWARE"), "SOFTWARE");
    let system = c.hive(hive_path(&artifacts.system, "SYSTEM"), "SYSTEM");
    let control_set = system.as_ref().and_then(|(h, p)| c.control_set(h, p));
    c.zone = zone::of(system.as_ref().map(|(h, _)| h), control_set.as_deref());

    c.os(software.as_ref(), system.as_ref(), control_set.as_deref());
    let host = c.computer_name(system.as_ref(), control_set.as_deref());
    c.hotfixes_and_software(software.as_ref());
    c.registry(
        needs,
        software.as_ref(),
        system.as_ref(),
        control_set.as_deref(),
    );

    // The hive's system root when it gives one (checked); otherwise the volume's Windows folder
    // on the system drive.
    let from_hive = c
        .doc
        .env
        .as_ref()
        .and_then(|e| e.get("SystemRoot").cloned());
    let system_root = match (&from_hive, &located) {
        (Some(root), _) => files::system_root(root).map(str::to_owned),
        (None, Some(s)) => match s.windows.file_name() {
            Some(name) => Ok(format!("C:\\{}", name.to_string_lossy())),
            None => Err("the system root is unknown (no SOFTWARE hive names it)".into()),
        },
        (None, None) => Err("the system root is unknown (no SOFTWARE hive, no volume)".into()),
    };
    c.files(
        needs,
        artifacts,
        system_root.as_deref().map_err(Clone::clone),
    );

    let mut logs = match &located {
        Some(s) => logs::volume_logs(&mut c, &s.config, &s.windows),
        None => Vec::new(),
    };
    logs.extend(artifacts.event_logs.iter().cloned());
    c.events(&logs, needs, options.all_events, located.is_some());

    let first_computer = || {
        c.doc
            .events
            .as_ref()?
            .iter()
            .find_map(|e| e.computer.clone())
    };
    let named = |h: &String| !h.trim().is_empty();
    let host = host
        .or_else(|| options.host.clone().filter(named))
        .or_else(first_computer)
        .or_else(|| {
            let root = &located.as_ref()?.volume.root;
            Some(root.file_name()?.to_string_lossy().into_owned()).filter(named)
        });
    c.doc.host = match host {
        Some(h) => h,
        None => {
            c.missing(
                "host",
                "no SYSTEM hive, event or volume names it: give --host".into(),
                false,
            );
            "unknown-host".into()
        }
    };
    Ok(c.finish())
}

/// Whether any fact could not be read because an artifact is broken or unreadable.
pub fn had_errors(doc: &Document) -> bool {
    doc.collector.not_collected.iter().any(|n| n.broken)
}

/// The text of a string value.
fn text(v: RegValue) -> Option<String> {
    match v.value {
        RegData::Text(t) => Some(t),
        RegData::List(l) => l.into_iter().next(),
        RegData::Int(_) => None,
    }
}

/// Whether the folder `root` holds a Windows system `collect` can read.
pub fn holds_system(root: &std::path::Path) -> bool {
    system::locate(root).is_ok()
}
