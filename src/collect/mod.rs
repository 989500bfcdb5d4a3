//! `kbdiag collect`: facts read from what a Windows system leaves behind (a system volume, or its
//! hives, event logs and DLLs one by one) and written as fact format 1.
//!
//! Only what the artifacts hold is written; what could not be read is named under
//! `collector.not_collected`, so a diagnosis says "unknown" for it, never "absent". Besides the
//! inputs, this is the one part of the library that reads files.

mod bytes;
pub mod evt;
pub mod evtx;
pub mod needs;
pub mod pe;
pub mod regf;
mod volume;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::facts::registry::{RegData, RegValue};
use crate::facts::{CollectedArtifact, Collector, NotCollected, Text};
pub use needs::Needs;
use regf::Hive;

/// Largest hive, event log or DLL read (whole, into memory): a larger file is reported, not
/// read. Windows caps hives at 2 GB and EVT logs at 4 GB; real ones are far smaller.
pub const MAX_ARTIFACT: u64 = 1 << 30;

/// The artifacts of one host.
#[derive(Debug, Clone, Default)]
pub struct Artifacts {
    /// A system volume as a folder (the one holding `WINNT\` or `Windows\`).
    pub root: Option<PathBuf>,
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

/// A fact document, in the order fact files are written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Document {
    pub host: String,
    pub collected: String,
    pub collector: Collector,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Os>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hotfixes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<Vec<Software>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<File>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<BTreeMap<String, Option<RegValue>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Os {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pack: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Software {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct File {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `false` for a file looked for in its folder on the volume and not there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_version: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub version_strings: BTreeMap<String, String>,
}

/// An event record in fact-format terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// As Event Viewer shows it: the identifier's low 16 bits.
    pub id: i64,
    /// The identifier's high 16 bits (severity, customer, facility).
    pub qualifiers: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// The category's number; its name lives in the source's message DLL.
    #[serde(rename = "category_number", skip_serializing_if = "Option::is_none")]
    pub category: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub record: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    pub strings: Vec<String>,
}

/// Collects the facts of one host.
pub fn collect(artifacts: &Artifacts, needs: &Needs, options: &Options) -> Document {
    let mut c = Collecting {
        doc: Document {
            collected: options.collected.clone(),
            collector: Collector {
                name: Some(Text("kbdiag collect".into())),
                version: Some(Text(env!("CARGO_PKG_VERSION").into())),
                ..Collector::default()
            },
            ..Document::default()
        },
    };
    let windows = artifacts.root.as_deref().and_then(|root| {
        if let Err(e) = std::fs::read_dir(root) {
            c.missing(
                "os, registry, files, events",
                format!("{}: not a readable folder: {e}", root.display()),
                true,
            );
            return None;
        }
        let found = volume::windows_dir(root);
        if found.is_none() {
            c.missing(
                "os, registry, files, events",
                format!(
                    "{}: no Windows folder (one holding system32\\config) on this volume",
                    root.display()
                ),
                true,
            );
        }
        found
    });
    let config = windows
        .as_deref()
        .and_then(|w| volume::find(w, "system32/config"));
    let hive_path = |given: &Option<PathBuf>, name: &str| {
        given
            .clone()
            .or_else(|| config.as_deref().and_then(|c| volume::child(c, name)))
    };
    let software = c.hive(hive_path(&artifacts.software, "SOFTWARE"), "SOFTWARE");
    let system = c.hive(hive_path(&artifacts.system, "SYSTEM"), "SYSTEM");
    let control_set = system.as_ref().and_then(|(h, p)| c.control_set(h, p));

    c.os(software.as_ref(), system.as_ref(), control_set.as_deref());
    let host = match system.as_ref().zip(control_set.as_deref()) {
        Some(((h, path), cs)) => {
            let name = h
                .key(&format!("{cs}\\Control\\ComputerName\\ComputerName"))
                .and_then(|k| k.map_or(Ok(None), |k| h.value(&k, "ComputerName")));
            match name {
                Ok(v) => v.and_then(text),
                Err(e) => {
                    c.missing("host", format!("{}: {e}", path.display()), true);
                    None
                }
            }
        }
        None => None,
    }
    .or_else(|| options.host.clone());
    c.hotfixes_and_software(software.as_ref());
    c.registry(
        needs,
        software.as_ref(),
        system.as_ref(),
        control_set.as_deref(),
    );

    let system_root = c
        .doc
        .env
        .as_ref()
        .and_then(|e| e.get("SystemRoot").cloned());
    let system_root = system_root.or_else(|| {
        let name = windows
            .as_ref()?
            .file_name()?
            .to_string_lossy()
            .into_owned();
        Some(format!("C:\\{name}"))
    });
    c.files(needs, artifacts, system_root.as_deref());

    let mut logs: Vec<PathBuf> = Vec::new();
    if let Some(config) = &config {
        logs.extend(matching(config, ".evt"));
    }
    if let Some(w) = &windows
        && let Some(dir) = volume::find(w, "system32/winevt/Logs")
    {
        logs.extend(matching(&dir, ".evtx"));
    }
    logs.extend(artifacts.event_logs.iter().cloned());
    if !logs.is_empty() || artifacts.root.is_some() {
        c.events(&logs, needs, options.all_events);
    }

    let first_computer = || {
        c.doc
            .events
            .as_ref()?
            .iter()
            .find_map(|e| e.computer.clone())
    };
    let host = host.or_else(first_computer).or_else(|| {
        let root = artifacts.root.as_ref()?;
        Some(root.file_name()?.to_string_lossy().into_owned())
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
    c.doc
}

/// Whether any fact could not be read because an artifact is broken or unreadable.
pub fn had_errors(doc: &Document) -> bool {
    doc.collector.not_collected.iter().any(|n| n.broken)
}

struct Collecting {
    doc: Document,
}

const CURRENT_VERSION: &str = "Microsoft\\Windows NT\\CurrentVersion";

impl Collecting {
    /// Records a fact looked for and not read; `broken` when its artifact is unreadable.
    fn missing(&mut self, fact: &str, reason: String, broken: bool) {
        self.doc.collector.not_collected.push(NotCollected {
            fact: Text(fact.into()),
            reason: Some(Text(reason.into())),
            broken,
        });
    }

    /// Records that `facts` were read from `path`: one entry per artifact.
    fn read(&mut self, path: &Path, facts: &str) {
        let path = path.display().to_string();
        let artifacts = &mut self.doc.collector.artifacts;
        match artifacts.iter_mut().find(|a| a.path.0 == path) {
            Some(CollectedArtifact {
                facts: Some(Text(read)),
                ..
            }) => {
                read.push_str("; ");
                read.push_str(facts);
            }
            Some(a) => a.facts = Some(Text(facts.into())),
            None => artifacts.push(CollectedArtifact {
                path: Text(path.into()),
                facts: Some(Text(facts.into())),
            }),
        }
    }

    fn hive(&mut self, path: Option<PathBuf>, name: &str) -> Option<(Hive, PathBuf)> {
        let Some(path) = path else {
            self.missing(
                &format!("{name} hive"),
                format!("no {name} hive given or found"),
                false,
            );
            return None;
        };
        match read_file(&path).and_then(|data| Hive::from_bytes(data).map_err(|e| e.to_string())) {
            Ok(hive) => Some((hive, path)),
            Err(e) => {
                self.missing(
                    &format!("{name} hive"),
                    format!("{}: {e}", path.display()),
                    true,
                );
                None
            }
        }
    }

    /// `ControlSet00n`, as `Select\Current` names it (there is no CurrentControlSet offline).
    fn control_set(&mut self, hive: &Hive, path: &Path) -> Option<String> {
        let current = hive
            .key("Select")
            .ok()
            .flatten()
            .and_then(|k| hive.value(&k, "Current").ok().flatten());
        match current.map(|v| v.value) {
            Some(RegData::Int(n)) if (1..=999).contains(&n) => Some(format!("ControlSet{n:03}")),
            _ => {
                self.missing(
                    "os.edition, host",
                    format!(
                        "{}: no Select\\Current value naming the control set",
                        path.display()
                    ),
                    true,
                );
                None
            }
        }
    }

    fn os(
        &mut self,
        software: Option<&(Hive, PathBuf)>,
        system: Option<&(Hive, PathBuf)>,
        control_set: Option<&str>,
    ) {
        let mut os = Os::default();
        let mut product_type = None;
        if let Some((h, path)) = system
            && let Some(cs) = control_set
        {
            match h.key(&format!("{cs}\\Control\\ProductOptions")) {
                Ok(Some(k)) => {
                    product_type = h.value(&k, "ProductType").ok().flatten().and_then(text);
                    let suite = match h.value(&k, "ProductSuite") {
                        Ok(Some(RegValue {
                            value: RegData::List(l),
                            ..
                        })) => l,
                        Ok(Some(RegValue {
                            value: RegData::Text(t),
                            ..
                        })) => vec![t],
                        _ => Vec::new(),
                    };
                    os.edition = edition(product_type.as_deref(), &suite);
                    self.read(
                        path,
                        "os.edition (ProductType, ProductSuite), host (ComputerName)",
                    );
                }
                Ok(None) => self.missing(
                    "os.edition",
                    format!("{}: no {cs}\\Control\\ProductOptions key", path.display()),
                    false,
                ),
                Err(e) => self.missing("os.edition", format!("{}: {e}", path.display()), true),
            }
        }
        if let Some((h, path)) = software {
            match h.key(CURRENT_VERSION) {
                Ok(Some(k)) => {
                    let value = |name: &str| h.value(&k, name).ok().flatten();
                    let major = value("CurrentMajorVersionNumber");
                    let minor = value("CurrentMinorVersionNumber");
                    os.version = match (major.map(|v| v.value), minor.map(|v| v.value)) {
                        // Windows 10 and later still say 6.3 in CurrentVersion.
                        (Some(RegData::Int(a)), Some(RegData::Int(b))) => Some(format!("{a}.{b}")),
                        _ => value("CurrentVersion").and_then(text),
                    };
                    os.build = value("CurrentBuildNumber")
                        .and_then(text)
                        .and_then(|b| b.trim().parse().ok());
                    // Absent or empty without a service pack, which the fact format reads as 0.
                    os.service_pack = Some(value("CSDVersion").and_then(text).unwrap_or_default());
                    os.name = value("ProductName")
                        .and_then(text)
                        .or_else(|| nt_name(product_type.as_deref(), os.version.as_deref()?));
                    if let Some(root) = value("SystemRoot").and_then(text) {
                        self.doc.env = Some(BTreeMap::from([("SystemRoot".into(), root)]));
                    }
                    self.read(
                        path,
                        "os.name, os.version, os.build, os.service_pack, env.SystemRoot",
                    );
                }
                Ok(None) => self.missing(
                    "os",
                    format!("{}: no {CURRENT_VERSION} key", path.display()),
                    true,
                ),
                Err(e) => self.missing("os", format!("{}: {e}", path.display()), true),
            }
        }
        if os.name.is_some() || os.version.is_some() || os.edition.is_some() {
            self.doc.os = Some(os);
        }
    }

    fn hotfixes_and_software(&mut self, software: Option<&(Hive, PathBuf)>) {
        let Some((h, path)) = software else { return };
        let version = self.doc.os.as_ref().and_then(|o| o.version.clone());
        let major: Option<u32> = version
            .as_deref()
            .and_then(|v| v.split('.').next()?.parse().ok());
        match major {
            Some(m) if m < 6 => match hotfixes(h) {
                Ok(list) => {
                    self.doc.hotfixes = Some(list);
                    self.read(path, "hotfixes (CurrentVersion\\Hotfix, Updates)");
                }
                Err(e) => self.missing("hotfixes", format!("{}: {e}", path.display()), true),
            },
            Some(_) => self.missing(
                "hotfixes",
                "Windows Vista and later record updates in component-based servicing, which \
                 kbdiag does not read; the hotfix list would not be complete"
                    .into(),
                false,
            ),
            None => self.missing(
                "hotfixes",
                "the Windows version is unknown, so whether the hive's hotfix keys are complete is too"
                    .into(),
                false,
            ),
        }
        match installed_software(h) {
            Ok(list) => {
                self.doc.software = Some(list);
                self.read(path, "software (Uninstall keys)");
            }
            Err(e) => self.missing("software", format!("{}: {e}", path.display()), true),
        }
    }

    fn registry(
        &mut self,
        needs: &Needs,
        software: Option<&(Hive, PathBuf)>,
        system: Option<&(Hive, PathBuf)>,
        control_set: Option<&str>,
    ) {
        let mut values = BTreeMap::new();
        let mut from: BTreeMap<PathBuf, usize> = BTreeMap::new();
        for path in &needs.registry {
            // Only `\` separates: `/` is a character of key names (`SCSI#Disk…120/240____00`).
            let rest = strip_prefix_ci(path, "HKLM\\")
                .or_else(|| strip_prefix_ci(path, "HKEY_LOCAL_MACHINE\\"));
            let target = rest.and_then(|rest| {
                if let Some(r) = strip_prefix_ci(rest, "SOFTWARE\\") {
                    Some((software?, r.to_owned()))
                } else if let Some(r) = strip_prefix_ci(rest, "SYSTEM\\") {
                    let r = match strip_prefix_ci(r, "CurrentControlSet\\") {
                        Some(r) => format!("{}\\{r}", control_set?),
                        None => r.to_owned(),
                    };
                    Some((system?, r))
                } else {
                    None
                }
            });
            let Some(((hive, file), rest)) = target else {
                self.missing(
                    &format!("registry {path}"),
                    "not in a SOFTWARE or SYSTEM hive that was read".into(),
                    false,
                );
                continue;
            };
            let (key, name) = rest.rsplit_once('\\').unwrap_or(("", rest.as_str()));
            let value = hive
                .key(key)
                .and_then(|k| k.map_or(Ok(None), |k| hive.value(&k, name)));
            match value {
                Ok(v) => {
                    values.insert(path.clone(), v);
                    *from.entry(file.clone()).or_default() += 1;
                }
                Err(e) => self.missing(
                    &format!("registry {path}"),
                    format!("{}: {e}", file.display()),
                    true,
                ),
            }
        }
        for (file, n) in from {
            self.read(
                &file,
                &format!(
                    "registry ({n} value{} the rules read)",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
        if !values.is_empty() {
            self.doc.registry = Some(values);
        }
    }

    fn files(&mut self, needs: &Needs, artifacts: &Artifacts, system_root: Option<&str>) {
        let mut files = Vec::new();
        for wanted in &needs.files {
            let windows = match expand(wanted, system_root) {
                Some(p) => p,
                None => {
                    let why = if system_root.is_none() {
                        "the system root is unknown (no SOFTWARE hive, no volume)"
                    } else {
                        "its path names a variable other than %SystemRoot% or %windir%"
                    };
                    self.missing(&format!("file {wanted}"), why.into(), false);
                    continue;
                }
            };
            let name = windows
                .rsplit('\\')
                .next()
                .unwrap_or_default()
                .to_lowercase();
            let given = artifacts.files.iter().find(|f| {
                f.file_name()
                    .is_some_and(|n| n.to_string_lossy().to_lowercase() == name)
            });
            // The volume is the system drive: a path on another drive is not on it.
            let drive = |p: &str| {
                p.get(..2)
                    .filter(|d| d.ends_with(':'))
                    .map(str::to_uppercase)
            };
            let system_drive = system_root.and_then(drive);
            let on_volume = || {
                let root = artifacts.root.as_deref()?;
                let here = drive(&windows)?;
                if system_drive.as_ref().is_some_and(|d| *d != here) {
                    return None;
                }
                volume::find(root, &windows[2..])
            };
            let Some(local) = given.cloned().or_else(on_volume) else {
                // Its folder is on the volume and the file is not in it: absent, not unknown.
                let folder = windows.rsplit_once('\\').map(|(dir, _)| dir);
                let looked = (artifacts.root.as_deref())
                    .zip(folder.filter(|d| d.len() > 2))
                    .filter(|_| system_drive == drive(&windows))
                    .and_then(|(root, dir)| volume::find(root, &dir[2..]))
                    .is_some_and(|dir| dir.is_dir());
                if looked {
                    files.push(File {
                        path: windows.clone(),
                        size: None,
                        exists: Some(false),
                        modified: None,
                        version: None,
                        product_version: None,
                        version_strings: BTreeMap::new(),
                    });
                    continue;
                }
                if artifacts.root.is_some() || !artifacts.files.is_empty() {
                    self.missing(
                        &format!("file {windows}"),
                        "not on the volume and not given".into(),
                        false,
                    );
                }
                continue;
            };
            match file_facts(&local, &windows) {
                Ok((file, problem)) => {
                    if let Some(p) = problem {
                        self.missing(&format!("file {windows} version"), p, true);
                    }
                    self.read(&local, &format!("files ({windows})"));
                    files.push(file);
                }
                Err(e) => self.missing(
                    &format!("file {windows}"),
                    format!("{}: {e}", local.display()),
                    true,
                ),
            }
        }
        if !files.is_empty() {
            self.doc.files = Some(files);
        }
    }

    fn events(&mut self, logs: &[PathBuf], needs: &Needs, all: bool) {
        let mut events = Vec::new();
        let keep = |e: &Event| {
            all || e
                .source
                .as_deref()
                .is_some_and(|s| needs.wants_event(s, e.id as u32))
        };
        let mut read_any = false;
        for path in logs {
            let data = match read_file(path) {
                Ok(d) => d,
                Err(e) => {
                    self.missing("events", format!("{}: {e}", path.display()), true);
                    continue;
                }
            };
            let is_evtx = data.starts_with(b"ElfFile\0");
            if is_evtx {
                match evtx::read(data, keep) {
                    Ok(r) => {
                        read_any = true;
                        let mut facts =
                            format!("events ({} records, {} kept)", r.records, r.events.len());
                        if r.failed > 0 {
                            facts.push_str(&format!("; {} records unreadable", r.failed));
                            self.missing(
                                "events",
                                format!(
                                    "{}: {} records unreadable, first: {}",
                                    path.display(),
                                    r.failed,
                                    r.errors.first().map_or("", String::as_str)
                                ),
                                true,
                            );
                        }
                        self.read(path, &facts);
                        events.extend(r.events);
                    }
                    Err(e) => self.missing("events", format!("{}: {e}", path.display()), true),
                }
                continue;
            }
            let log_name = log_name(path);
            let mut total = 0usize;
            let result = evt::read(&data, |source, identifier| {
                total += 1;
                all || needs.wants_event(source, identifier)
            });
            match result {
                Ok(log) => {
                    read_any = true;
                    let kept = log.records.len();
                    let mut facts = format!("events ({total} records, {kept} kept)");
                    if log.dirty {
                        facts.push_str("; not closed cleanly");
                    }
                    if let Some(e) = &log.stopped {
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
                    }
                    self.read(path, &facts);
                    events.extend(log.records.into_iter().map(|r| legacy_event(r, &log_name)));
                }
                Err(e) => self.missing("events", format!("{}: {e}", path.display()), true),
            }
        }
        if read_any {
            self.doc.events = Some(events);
        } else if logs.is_empty() {
            self.missing("events", "no event log given or found".into(), false);
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_ARTIFACT {
        return Err(format!(
            "{} bytes, more than the {} kbdiag reads",
            meta.len(),
            MAX_ARTIFACT
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// The files of `dir` whose names end with `ext`, ignoring case, sorted.
fn matching(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().to_lowercase().ends_with(ext))
        })
        .collect();
    found.sort();
    found
}

/// The log a legacy file holds, as Event Viewer names it.
fn log_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match stem.as_str() {
        "appevent" => "Application".into(),
        "sysevent" => "System".into(),
        "secevent" => "Security".into(),
        _ => path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
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
        computer: Some(r.computer).filter(|c| !c.is_empty()),
        strings: r.strings,
    }
}

/// The text of a string value.
fn text(v: RegValue) -> Option<String> {
    match v.value {
        RegData::Text(t) => Some(t),
        RegData::List(l) => l.into_iter().next(),
        RegData::Int(_) => None,
    }
}

/// The edition as `ProductSuite` names it; a server with none of those is Standard.
fn edition(product_type: Option<&str>, suite: &[String]) -> Option<String> {
    let has = |s: &str| suite.iter().any(|x| x.eq_ignore_ascii_case(s));
    if has("Enterprise") {
        Some("Enterprise".into())
    } else if has("Terminal Server")
        && !matches!(product_type, Some(t) if t.eq_ignore_ascii_case("WinNT"))
    {
        Some("Terminal Server".into())
    } else if has("Small Business") {
        Some("Small Business Server".into())
    } else {
        match product_type {
            Some(t) if t.eq_ignore_ascii_case("ServerNT") || t.eq_ignore_ascii_case("LanmanNT") => {
                Some("Standard".into())
            }
            _ => None,
        }
    }
}

/// Windows NT 4.0 and earlier have no `ProductName`: the name follows from `ProductType`.
fn nt_name(product_type: Option<&str>, version: &str) -> Option<String> {
    let major: u32 = version.split('.').next()?.parse().ok()?;
    if major >= 5 {
        return None;
    }
    let kind = match product_type? {
        t if t.eq_ignore_ascii_case("WinNT") => "Workstation",
        t if t.eq_ignore_ascii_case("ServerNT") || t.eq_ignore_ascii_case("LanmanNT") => "Server",
        _ => return None,
    };
    Some(format!("Windows NT {kind} {version}"))
}

/// Hotfix ids: the keys under `CurrentVersion\Hotfix` (Windows NT 4.0, 2000) and
/// `Microsoft\Updates\<product>\<level>\` (XP, Server 2003), sorted and de-duplicated.
fn hotfixes(h: &Hive) -> Result<Vec<String>, regf::HiveError> {
    let mut ids = std::collections::BTreeSet::new();
    if let Some(k) = h.key(&format!("{CURRENT_VERSION}\\Hotfix"))? {
        for fix in h.subkeys(&k)? {
            let installed = h.value(&fix, "Installed")?;
            if !matches!(installed.map(|v| v.value), Some(RegData::Int(0))) {
                ids.insert(fix.name);
            }
        }
    }
    if let Some(updates) = h.key("Microsoft\\Updates")? {
        for product in h.subkeys(&updates)? {
            for level in h.subkeys(&product)? {
                for fix in h.subkeys(&level)? {
                    if is_hotfix_id(&fix.name) {
                        ids.insert(fix.name);
                    }
                }
            }
        }
    }
    Ok(ids.into_iter().collect())
}

fn is_hotfix_id(name: &str) -> bool {
    let upper = name.to_uppercase();
    let digits = upper
        .strip_prefix("KB")
        .or_else(|| upper.strip_prefix('Q'))
        .unwrap_or("");
    !digits.is_empty() && digits.chars().take_while(char::is_ascii_digit).count() >= 5
}

fn installed_software(h: &Hive) -> Result<Vec<Software>, regf::HiveError> {
    let mut list = Vec::new();
    for base in [
        "Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
    ] {
        let Some(k) = h.key(base)? else { continue };
        for app in h.subkeys(&k)? {
            let Some(name) = h.value(&app, "DisplayName")?.and_then(text) else {
                continue;
            };
            let version = h.value(&app, "DisplayVersion")?.and_then(text);
            list.push(Software { name, version });
        }
    }
    Ok(list)
}

/// A rule's file path on the host: `%SystemRoot%` (or `%windir%`) expanded, `\` separated.
fn expand(path: &str, system_root: Option<&str>) -> Option<String> {
    let mut out = path.replace('/', "\\");
    for var in ["%SystemRoot%", "%windir%"] {
        while let Some(at) = out.to_lowercase().find(&var.to_lowercase()) {
            out.replace_range(at..at + var.len(), system_root?);
        }
    }
    (!out.contains('%')).then_some(out)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A file's size, modified time and version resource; a broken resource is reported beside the
/// facts that could be read.
fn file_facts(local: &Path, windows: &str) -> Result<(File, Option<String>), String> {
    let meta = std::fs::metadata(local).map_err(|e| e.to_string())?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| crate::facts::values::iso_utc(d.as_secs() as i64));
    let mut file = File {
        path: windows.to_owned(),
        size: Some(meta.len()),
        exists: None,
        modified,
        version: None,
        product_version: None,
        version_strings: BTreeMap::new(),
    };
    let data = read_file(local)?;
    let problem = match pe::version_info(&data) {
        Ok(Some(info)) => {
            file.version = info.file_version;
            file.product_version = info.product_version;
            file.version_strings = info.strings;
            None
        }
        Ok(None) => None,
        Err(e) => Some(format!("{}: {e}", local.display())),
    };
    Ok((file, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editions_follow_product_suite() {
        let suite = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(edition(Some("ServerNT"), &[]).as_deref(), Some("Standard"));
        assert_eq!(
            edition(Some("ServerNT"), &suite(&["Enterprise"])).as_deref(),
            Some("Enterprise")
        );
        assert_eq!(
            edition(Some("LanmanNT"), &suite(&["Terminal Server"])).as_deref(),
            Some("Terminal Server")
        );
        // Windows 7 workstations list Terminal Server for Remote Desktop: not an edition.
        assert_eq!(edition(Some("WinNT"), &suite(&["Terminal Server"])), None);
    }

    #[test]
    fn nt4_names_come_from_the_product_type() {
        assert_eq!(
            nt_name(Some("ServerNT"), "4.0").as_deref(),
            Some("Windows NT Server 4.0")
        );
        assert_eq!(
            nt_name(Some("WinNT"), "4.0").as_deref(),
            Some("Windows NT Workstation 4.0")
        );
        assert_eq!(nt_name(Some("ServerNT"), "5.0"), None);
    }

    #[test]
    fn paths_expand_the_system_root_only() {
        assert_eq!(
            expand("%SystemRoot%/System32/Schannel.dll", Some("C:\\WINNT")).as_deref(),
            Some("C:\\WINNT\\System32\\Schannel.dll")
        );
        assert_eq!(expand("%ProgramFiles%\\x.dll", Some("C:\\WINNT")), None);
        assert_eq!(expand("%windir%\\x.dll", None), None);
    }

    #[test]
    fn hotfix_ids() {
        assert!(is_hotfix_id("Q246009"));
        assert!(is_hotfix_id("KB2919355"));
        assert!(!is_hotfix_id("SP1"));
        assert!(!is_hotfix_id("Qfe"));
    }
}
