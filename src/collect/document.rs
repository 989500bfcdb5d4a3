//! The fact document `collect` writes, and the record kept while it is made: each artifact read
//! and each fact looked for and not read, both bounded so that no volume makes a document that
//! `eval` refuses.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::volume::Volume;
use crate::facts::registry::RegValue;
use crate::facts::{CollectedArtifact, Collector, NotCollected, Text};
use crate::numbers::thousands;

/// Entries of `collector.not_collected` of one kind (`events`, `file`, `registry`…: the fact's
/// first word) listed one by one; past these, they are counted
/// ("… and 99,900 more"). A rule set naming a hundred files stays within it; 100,000 junk logs
/// do not, and cannot push the other kinds (`host`) out of the list.
pub const MAX_LISTED: usize = 100;

/// Artifacts listed in `collector.artifacts`; past these, counted.
pub const MAX_ARTIFACTS_LISTED: usize = 500;

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
    /// The logs `events` is complete for: each read whole. Written whenever `events` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_logs: Option<Vec<String>>,
}

/// The operating system, as the hives name it.
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

/// An installed program, from its Uninstall key.
#[derive(Debug, Clone, Serialize)]
pub struct Software {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A file a rule names, as the volume (or its copy) shows it.
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
    /// The time a FAT volume keeps, in the host's local time, when its zone is unknown (no
    /// `TimeZoneInformation` in the SYSTEM hive): `1999-11-18T07:04:00`, without an offset.
    /// Rules do not read it: `modified` (UTC) is then not written, so a check by date is
    /// unknown rather than off by the zone's hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_local: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_version: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub version_strings: BTreeMap<String, String>,
}

impl File {
    /// A file looked for in its folder and not there.
    pub fn absent(path: String) -> File {
        File {
            path,
            size: None,
            exists: Some(false),
            modified: None,
            modified_local: None,
            version: None,
            product_version: None,
            version_strings: BTreeMap::new(),
        }
    }
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

/// One host's document while it is made.
pub(super) struct Collecting {
    pub(super) doc: Document,
    /// The volume the artifacts were found on, when there is one: links must stay on it.
    pub(super) volume: Option<Volume>,
    /// The host's time zone (SYSTEM hive), for the local times of a FAT volume.
    pub(super) zone: Option<super::zone::Zone>,
    /// Whether a file time was converted with `zone` (said once in `collector.artifacts`).
    pub(super) zone_used: bool,
    /// Entries listed, by the kind of fact (its first word).
    listed: BTreeMap<String, usize>,
    /// Entries past [`MAX_LISTED`], counted by kind and whether they are broken.
    omitted: BTreeMap<(String, bool), usize>,
    /// Artifacts read past [`MAX_ARTIFACTS_LISTED`].
    unlisted: BTreeSet<String>,
}

impl Collecting {
    pub(super) fn new(doc: Document, volume: Option<Volume>) -> Collecting {
        Collecting {
            doc,
            volume,
            zone: None,
            zone_used: false,
            listed: BTreeMap::new(),
            omitted: BTreeMap::new(),
            unlisted: BTreeSet::new(),
        }
    }

    /// Records a fact looked for and not read; `broken` when its artifact is unreadable.
    pub(super) fn missing(&mut self, fact: &str, reason: String, broken: bool) {
        let kind = fact.split(' ').next().unwrap_or(fact);
        let listed = self.listed.entry(kind.to_owned()).or_default();
        if *listed >= MAX_LISTED {
            *self.omitted.entry((kind.to_owned(), broken)).or_default() += 1;
            return;
        }
        *listed += 1;
        self.doc.collector.not_collected.push(NotCollected {
            fact: Text(fact.into()),
            reason: Some(Text(reason.into())),
            broken,
        });
    }

    /// Records that `facts` were read from `path`: one entry per artifact.
    pub(super) fn read(&mut self, path: &std::path::Path, facts: &str) {
        let path = path.display().to_string();
        let artifacts = &mut self.doc.collector.artifacts;
        let full = artifacts.len() >= MAX_ARTIFACTS_LISTED;
        match artifacts.iter_mut().find(|a| a.path.0 == path) {
            Some(CollectedArtifact {
                facts: Some(Text(read)),
                ..
            }) => {
                read.push_str("; ");
                read.push_str(facts);
            }
            Some(a) => a.facts = Some(Text(facts.into())),
            None if full => {
                self.unlisted.insert(path);
            }
            None => artifacts.push(CollectedArtifact {
                path: Text(path.into()),
                facts: Some(Text(facts.into())),
            }),
        }
    }

    /// The document, with what was counted rather than listed said at the end.
    pub(super) fn finish(mut self) -> Document {
        let collector = &mut self.doc.collector;
        for ((kind, broken), n) in self.omitted {
            collector.not_collected.push(NotCollected {
                fact: Text(kind.into()),
                reason: Some(Text(
                    format!(
                        "… and {} more {}{} like those above, not listed",
                        thousands(n),
                        if broken { "broken artifact" } else { "fact" },
                        if n == 1 { "" } else { "s" }
                    )
                    .into(),
                )),
                broken,
            });
        }
        if !self.unlisted.is_empty() {
            collector.artifacts.push(CollectedArtifact {
                path: Text(
                    format!("… and {} more artifacts", thousands(self.unlisted.len())).into(),
                ),
                facts: Some(Text("read, not listed".into())),
            });
        }
        self.doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_collected_is_listed_up_to_the_cap_and_counted_past_it() {
        let mut c = Collecting::new(Document::default(), None);
        for i in 0..MAX_LISTED + 5 {
            c.missing("events", format!("log {i}: broken"), true);
        }
        for i in 0..MAX_LISTED + 1 {
            c.missing(&format!("file {i}"), "absent".into(), false);
        }
        // A kind of its own is still listed.
        c.missing("host", "give --host".into(), false);
        let doc = c.finish();
        let listed = &doc.collector.not_collected;
        assert_eq!(listed.len(), 2 * MAX_LISTED + 3);
        assert_eq!(listed[2 * MAX_LISTED].fact.as_str(), "host");
        let reasons: Vec<String> = listed[2 * MAX_LISTED + 1..]
            .iter()
            .map(|n| format!("{}: {}", n.fact, n.reason.as_ref().unwrap()))
            .collect();
        assert_eq!(
            reasons,
            [
                "events: … and 5 more broken artifacts like those above, not listed",
                "file: … and 1 more fact like those above, not listed"
            ]
        );
    }
}
