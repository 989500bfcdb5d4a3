//! Counts over a run: per rule and status, and the hosts that need action.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::diagnosis::{Action, Report, Status};

/// How many hosts that need action are listed; the rest are counted.
pub const LISTED: usize = 1000;

/// The state of the estate after a run. Serialized, it is mergeable: summaries of runs over parts
/// of a fleet with the same rules add up to the summary of the whole ([`Summary::merge`]).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The kbdiag version that made it.
    #[serde(default)]
    pub kbdiag: String,
    /// The rules evaluated: id, revision, digest, in order.
    #[serde(default)]
    pub rule_set: Vec<RuleIdentity>,
    /// Fact documents read (files and NDJSON lines).
    pub inputs: usize,
    /// Documents that could not be evaluated.
    pub errors: usize,
    /// Per rule, how many hosts got each status.
    pub rules: BTreeMap<String, BTreeMap<Status, usize>>,
    /// Hosts affected or suspected, in input order; at most [`LISTED`].
    pub needs_action: Vec<ActionItem>,
    /// How many (host, rule) pairs need action, listed or not.
    pub needs_action_total: usize,
    /// Per rule, the hosts that lack its fix while its cause or trigger is present: the
    /// missing-hotfix view.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub missing_fixes: BTreeMap<String, MissingFix>,
}

/// How many hosts lack one article's fix.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingFix {
    /// Hosts where the problem shows (`affected`).
    pub affected: usize,
    /// Hosts with the trigger but no symptom (`exposed`).
    pub exposed: usize,
    /// The later articles whose fix covers this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered_by: Vec<String>,
}

impl MissingFix {
    pub fn hosts(&self) -> usize {
        self.affected + self.exposed
    }
}

/// Which rule, exactly: what a partition's summary must share with the others to be merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleIdentity {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub digest: String,
}

/// A host that needs action for one rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionItem {
    pub host: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub kb: String,
    pub status: Status,
    pub action: Action,
}

/// What a summary needs of one report: small, so it can be made on the thread that evaluated
/// the report and passed on without it.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    error: bool,
    /// Status per rule, in rule order, and whether the host lacks the rule's fix.
    statuses: Vec<(Status, bool)>,
    /// For the rules whose fix the host lacks: the later fixes that cover it, by rule index.
    covered: Vec<(usize, Vec<String>)>,
    /// The results that need action.
    actions: Vec<ActionItem>,
}

impl Tally {
    /// Whether the report is of an input that could not be evaluated.
    pub fn is_error(&self) -> bool {
        self.error
    }

    pub fn of(report: &Report) -> Tally {
        let results = report.results.iter().flatten();
        Tally {
            error: report.error.is_some(),
            statuses: results.clone().map(|d| (d.status, d.lacks_fix)).collect(),
            covered: (results.clone().enumerate())
                .filter(|(_, d)| d.lacks_fix && !d.covered_by.is_empty())
                .map(|(i, d)| (i, d.covered_by.iter().map(|c| c.to_string()).collect()))
                .collect(),
            actions: results
                .filter(|d| d.status.needs_attention())
                .map(|d| ActionItem {
                    host: report.host.clone().unwrap_or_default(),
                    file: report.file.clone(),
                    line: report.line,
                    kb: d.kb.to_string(),
                    status: d.status,
                    action: d.recommendation.action,
                })
                .collect(),
        }
    }
}

impl Summary {
    /// An empty summary for `rules`, in the order their results come.
    pub fn new(rules: Vec<RuleIdentity>) -> Summary {
        Summary {
            kbdiag: env!("CARGO_PKG_VERSION").to_owned(),
            rule_set: rules,
            ..Summary::default()
        }
    }

    pub fn add(&mut self, tally: Tally) {
        self.inputs += 1;
        self.errors += usize::from(tally.error);
        let ids = self.rule_set.iter().map(|r| &r.id);
        for (i, (id, (status, lacks))) in ids.zip(&tally.statuses).enumerate() {
            if *lacks {
                let m = self.missing_fixes.entry(id.clone()).or_default();
                if m.covered_by.is_empty() {
                    if let Some((_, covered)) = tally.covered.iter().find(|(j, _)| *j == i) {
                        m.covered_by = covered.clone();
                    }
                }
                match status {
                    Status::Affected => m.affected += 1,
                    _ => m.exposed += 1,
                }
            }
            match self.rules.get_mut(id) {
                Some(counts) => *counts.entry(*status).or_default() += 1,
                None => {
                    self.rules
                        .insert(id.clone(), BTreeMap::from([(*status, 1)]));
                }
            }
        }
        self.add_actions(tally.actions.len(), tally.actions);
    }

    /// Counts `total` more (host, rule) pairs that need action, listing `items` while there is
    /// room.
    fn add_actions(&mut self, total: usize, items: Vec<ActionItem>) {
        self.needs_action_total += total;
        let room = LISTED.saturating_sub(self.needs_action.len());
        self.needs_action.extend(items.into_iter().take(room));
    }

    /// Adds `other`, the summary of another part of the same run: counts add up, the hosts that
    /// need action follow, up to [`LISTED`]. Refused when the parts evaluated different rules.
    pub fn merge(&mut self, other: Summary) -> Result<(), String> {
        if self.rule_set.is_empty() && self.inputs == 0 {
            self.rule_set = other.rule_set.clone();
            self.kbdiag = other.kbdiag.clone();
        }
        if other.rule_set != self.rule_set {
            let show = |s: &[RuleIdentity]| {
                (s.iter())
                    .map(|r| format!("{} {}", r.id, r.digest))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(format!(
                "evaluated with other rules ({}) than the first summary ({})",
                show(&other.rule_set),
                show(&self.rule_set)
            ));
        }
        self.inputs += other.inputs;
        self.errors += other.errors;
        for (id, counts) in other.rules {
            let mine = self.rules.entry(id).or_default();
            for (status, n) in counts {
                *mine.entry(status).or_default() += n;
            }
        }
        for (id, m) in other.missing_fixes {
            let mine = self.missing_fixes.entry(id).or_default();
            mine.affected += m.affected;
            mine.exposed += m.exposed;
            if mine.covered_by.is_empty() {
                mine.covered_by = m.covered_by;
            }
        }
        self.add_actions(other.needs_action_total, other.needs_action);
        Ok(())
    }

    /// The fixes the fleet lacks, most hosts first (then by rule id).
    pub fn missing_fixes_by_hosts(&self) -> Vec<(&str, &MissingFix)> {
        let mut list: Vec<(&str, &MissingFix)> = self
            .missing_fixes
            .iter()
            .map(|(k, m)| (k.as_str(), m))
            .collect();
        list.sort_by(|a, b| b.1.hosts().cmp(&a.1.hosts()).then(a.0.cmp(b.0)));
        list
    }

    /// How many results across rules have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.rules.values().filter_map(|s| s.get(&status)).sum()
    }

    /// The exit status: 2 if anything could not be evaluated, else 1 if a host needs attention.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 || self.count(Status::Error) > 0 {
            2
        } else if self.needs_action_total > 0 {
            1
        } else {
            0
        }
    }
}

/// The summaries in a run's output, read line by line (results lines are skipped unread): each
/// line `{"summary": …}` (`--format summary-json`, `--summary-line`), with its line number.
pub fn find(reader: impl std::io::BufRead) -> Result<Vec<(usize, Summary)>, String> {
    use std::io::{BufRead, Read};
    #[derive(Deserialize)]
    struct Line {
        summary: Summary,
    }
    const PREFIX: &[u8] = b"{\"summary\"";
    let limit = crate::input::source::MAX_DOCUMENT_BYTES as u64;
    let mut reader = reader;
    let mut found = Vec::new();
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let whole = buf.ends_with(b"\n") || (n as u64) < limit;
        if buf.starts_with(PREFIX) {
            if !whole {
                return Err(format!(
                    "line {number}: a summary longer than {limit} bytes"
                ));
            }
            let line: Line = serde_json::from_slice(&buf)
                .map_err(|e| format!("line {number}: not a summary: {e}"))?;
            found.push((number, line.summary));
        } else if !whole {
            // The rest of an overlong results line.
            loop {
                let available = reader.fill_buf().map_err(|e| e.to_string())?;
                if available.is_empty() {
                    break;
                }
                match available.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        reader.consume(i + 1);
                        break;
                    }
                    None => {
                        let len = available.len();
                        reader.consume(len);
                    }
                }
            }
        }
    }
    if found.is_empty() {
        return Err(
            "no summary here (write one with --format summary-json or --summary-line)".into(),
        );
    }
    Ok(found)
}
