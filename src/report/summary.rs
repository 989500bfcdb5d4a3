//! Counts over a run: per rule and status, the hosts that need action and the inputs that could
//! not be evaluated; and adding up the summaries of parts of a run (`kbdiag merge`), which are
//! read from files and so checked: their totals must add up, and the sums must not overflow.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::evaluate::diagnosis::{Action, Report, Shared, Status};

/// How many hosts that need action are listed; the rest are counted.
pub const LISTED: usize = 1000;

/// How many inputs that could not be evaluated are named; the rest are counted.
pub const LISTED_ERRORS: usize = 100;

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
    #[serde(deserialize_with = "rule_counts")]
    pub rules: BTreeMap<String, BTreeMap<Status, usize>>,
    /// Hosts affected or suspected, in input order; at most [`LISTED`].
    pub needs_action: Vec<ActionItem>,
    /// How many (host, rule) pairs need action, listed or not.
    pub needs_action_total: usize,
    /// Per rule, the hosts that lack its fix while its cause or trigger is present: the
    /// missing-hotfix view.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "unique"
    )]
    pub missing_fixes: BTreeMap<String, MissingFix>,
    /// The inputs that could not be evaluated, each `file:line:column: message`, in input order;
    /// at most [`LISTED_ERRORS`] (`errors` counts them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// For each id of `rules`, in their order, the position of its rule in `rule_set`: counting
    /// a host then walks the two together instead of looking each id up (thirty lookups a
    /// host with a knowledge base). Made once `rules` holds every rule of the set.
    #[serde(skip)]
    in_order: Vec<usize>,
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
    /// Hosts without the fix, affected or exposed.
    pub fn hosts(&self) -> usize {
        self.affected.saturating_add(self.exposed)
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

impl RuleIdentity {
    /// The identity of each of `rules`, in order: what a run's summary starts from.
    pub fn of_rules(rules: &[crate::evaluate::compile::CompiledRule]) -> Vec<RuleIdentity> {
        (rules.iter())
            .map(|r| RuleIdentity {
                id: r.rule.id.clone(),
                revision: r.rule.revision.as_ref().map(|v| v.as_str().to_owned()),
                digest: r.texts.digest.to_string(),
            })
            .collect()
    }
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
    /// Why the input could not be evaluated.
    error: Option<String>,
    /// Status per rule, in rule order, and whether the host lacks the rule's fix.
    statuses: Vec<(Status, bool)>,
    /// For the rules whose fix the host lacks: the later fixes that cover it, by rule index.
    covered: Vec<(usize, Vec<Shared>)>,
    /// The results that need action: their article, status and action. The summary makes an
    /// [`ActionItem`] of one only while it lists more ([`LISTED`]); past that it counts them.
    actions: Vec<(Shared, Status, Action)>,
    /// The host, its file and line, for the results that need action (kept only if some do).
    host: String,
    file: String,
    line: Option<usize>,
}

impl Tally {
    /// Whether the report is of an input that could not be evaluated.
    pub fn is_error(&self) -> bool {
        self.error.is_some()
    }

    /// What the summary needs of `report`.
    pub fn of(report: &Report) -> Tally {
        let results = report.results.iter().flatten();
        let actions: Vec<(Shared, Status, Action)> = (results.clone())
            .filter(|d| d.status.needs_attention())
            .map(|d| (d.kb.clone(), d.status, d.recommendation.action))
            .collect();
        let (host, file) = match actions.is_empty() {
            true => (String::new(), String::new()),
            false => (report.host.clone().unwrap_or_default(), report.file.clone()),
        };
        Tally {
            error: report.error.clone(),
            statuses: results.clone().map(|d| (d.status, d.lacks_fix)).collect(),
            covered: (results.enumerate())
                .filter(|(_, d)| d.lacks_fix && !d.covered_by.is_empty())
                .map(|(i, d)| (i, d.covered_by.clone()))
                .collect(),
            actions,
            host,
            file,
            line: report.line,
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

    /// Counts one input.
    pub fn add(&mut self, tally: Tally) {
        self.inputs += 1;
        if let Some(error) = tally.error {
            self.errors += 1;
            if self.unreadable.len() < LISTED_ERRORS {
                self.unreadable.push(error);
            }
        }
        let ids = self.rule_set.iter().map(|r| &r.id);
        for (i, (id, (status, lacks))) in ids.zip(&tally.statuses).enumerate() {
            // Looked up before it is made: the id is copied once per run, not per host.
            let m = match *lacks {
                false => None,
                true if self.missing_fixes.contains_key(id) => self.missing_fixes.get_mut(id),
                true => Some(self.missing_fixes.entry(id.clone()).or_default()),
            };
            if let Some(m) = m {
                if m.covered_by.is_empty() {
                    if let Some((_, covered)) = tally.covered.iter().find(|(j, _)| *j == i) {
                        m.covered_by = covered.iter().map(|c| c.to_string()).collect();
                    }
                }
                match status {
                    Status::Affected => m.affected += 1,
                    _ => m.exposed += 1,
                }
            }
        }
        self.count_statuses(&tally.statuses);
        self.needs_action_total += tally.actions.len();
        let room = LISTED.saturating_sub(self.needs_action.len());
        let (host, file, line) = (&tally.host, &tally.file, tally.line);
        let listed =
            (tally.actions.into_iter().take(room)).map(|(kb, status, action)| ActionItem {
                host: host.clone(),
                file: file.clone(),
                line,
                kb: kb.to_string(),
                status,
                action,
            });
        self.needs_action.extend(listed);
    }

    /// Counts one host's statuses, in rule order, under their rules.
    fn count_statuses(&mut self, statuses: &[(Status, bool)]) {
        let n = self.rule_set.len();
        if self.in_order.len() != n && self.rules.len() == n {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| self.rule_set[a].id.cmp(&self.rule_set[b].id));
            // The same ids, each once: then the map's order is this one.
            if (self.rules.keys()).eq(order.iter().map(|&i| &self.rule_set[i].id)) {
                self.in_order = order;
            }
        }
        if self.in_order.len() == n && self.rules.len() == n && statuses.len() == n {
            for (counts, &i) in self.rules.values_mut().zip(&self.in_order) {
                *counts.entry(statuses[i].0).or_default() += 1;
            }
            return;
        }
        for (id, (status, _)) in self.rule_set.iter().map(|r| &r.id).zip(statuses) {
            match self.rules.get_mut(id) {
                Some(counts) => *counts.entry(*status).or_default() += 1,
                None => {
                    self.rules
                        .insert(id.clone(), BTreeMap::from([(*status, 1)]));
                }
            }
        }
    }

    /// Adds `other`, the summary of another part of the same run: counts add up, the hosts that
    /// need action and the inputs that could not be evaluated follow, up to [`LISTED`] and
    /// [`LISTED_ERRORS`]. Refused, leaving `self` as it was, when the parts evaluated different
    /// rules, when `other`'s totals do not add up ([`Summary::check`]), or when a sum overflows.
    pub fn merge(&mut self, other: Summary) -> Result<(), MergeError> {
        other.check()?;
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
            return Err(MergeError::OtherRules {
                theirs: show(&other.rule_set),
                ours: show(&self.rule_set),
            });
        }
        let add = |a: usize, b: usize, what: &'static str| {
            a.checked_add(b).ok_or(MergeError::Overflow(what))
        };
        // Every sum first, so a refused summary changes nothing.
        let inputs = add(self.inputs, other.inputs, "inputs")?;
        let errors = add(self.errors, other.errors, "errors")?;
        let needs_action_total = add(
            self.needs_action_total,
            other.needs_action_total,
            "needs_action_total",
        )?;
        let mut rules = self.rules.clone();
        for (id, counts) in &other.rules {
            let mine = rules.entry(id.clone()).or_default();
            for (status, n) in counts {
                let sum = mine.entry(*status).or_default();
                *sum = add(*sum, *n, "a rule's count")?;
            }
        }
        let mut missing_fixes = self.missing_fixes.clone();
        for (id, m) in &other.missing_fixes {
            let mine = missing_fixes.entry(id.clone()).or_default();
            mine.affected = add(mine.affected, m.affected, "missing_fixes")?;
            mine.exposed = add(mine.exposed, m.exposed, "missing_fixes")?;
            if mine.covered_by.is_empty() {
                mine.covered_by = m.covered_by.clone();
            }
        }
        (self.inputs, self.errors) = (inputs, errors);
        (self.rules, self.missing_fixes) = (rules, missing_fixes);
        self.in_order.clear();
        self.needs_action_total = needs_action_total;
        let listed = self.needs_action.len();
        self.needs_action
            .extend((other.needs_action.into_iter()).take(LISTED.saturating_sub(listed)));
        let named = self.unreadable.len();
        self.unreadable
            .extend((other.unreadable.into_iter()).take(LISTED_ERRORS.saturating_sub(named)));
        Ok(())
    }

    /// Whether the totals add up as a run's do: errors at most the inputs; for each rule, its
    /// statuses as many as the hosts evaluated; as many (host, rule) pairs needing action as
    /// results affected or suspected, at most that many listed; no more hosts lacking a fix than
    /// affected and exposed; and no rule but those of the rule set.
    pub fn check(&self) -> Result<(), MergeError> {
        let wrong = |why: String| Err(MergeError::Inconsistent(why));
        fn sum(
            counts: impl Iterator<Item = usize>,
            what: &'static str,
        ) -> Result<usize, MergeError> {
            let mut counts = counts;
            counts.try_fold(0usize, |a, b| {
                a.checked_add(b).ok_or(MergeError::Overflow(what))
            })
        }
        if self.errors > self.inputs {
            return wrong(format!(
                "{} errors in {} input{}",
                self.errors,
                self.inputs,
                if self.inputs == 1 { "" } else { "s" }
            ));
        }
        let hosts = self.inputs - self.errors;
        let ids: Vec<&str> = self.rule_set.iter().map(|r| r.id.as_str()).collect();
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return wrong(format!("the rule set names {id} twice"));
            }
        }
        if let Some(id) = (self.rules.keys())
            .chain(self.missing_fixes.keys())
            .chain(self.needs_action.iter().map(|a| &a.kb))
            .find(|id| !ids.contains(&id.as_str()))
        {
            return wrong(format!("{id} is not in its rule set"));
        }
        let mut attention = 0usize;
        for id in &ids {
            let counts = self.rules.get(*id);
            let count = |s: Status| counts.and_then(|c| c.get(&s)).copied().unwrap_or(0);
            let total = sum(
                counts.into_iter().flat_map(|c| c.values().copied()),
                "a rule's statuses",
            )?;
            if total != hosts {
                return wrong(format!(
                    "{id}'s statuses add up to {total} hosts, not the {hosts} evaluated"
                ));
            }
            let more = [Status::Affected, Status::Suspected].map(count);
            attention = sum(
                [attention, more[0], more[1]].into_iter(),
                "needs_action_total",
            )?;
            if let Some(m) = self.missing_fixes.get(*id) {
                let (affected, exposed) = (count(Status::Affected), count(Status::Exposed));
                if m.affected > affected || m.exposed > exposed {
                    return wrong(format!(
                        "{id} lacks its fix on {} affected and {} exposed hosts, of {affected} affected and {exposed} exposed",
                        m.affected, m.exposed
                    ));
                }
            }
        }
        let listed = self.needs_action.len();
        if listed > self.needs_action_total || listed > LISTED {
            return wrong(format!(
                "{listed} hosts that need action are listed, but {} counted",
                self.needs_action_total
            ));
        }
        if attention != self.needs_action_total {
            return wrong(format!(
                "{attention} results are affected or suspected, but {} counted as needing action",
                self.needs_action_total
            ));
        }
        if let Some(item) = self
            .needs_action
            .iter()
            .find(|a| !a.status.needs_attention())
        {
            return wrong(format!(
                "{} on {} is {}, which needs no action",
                item.kb,
                item.host,
                item.status.as_str()
            ));
        }
        if self.unreadable.len() > self.errors || self.unreadable.len() > LISTED_ERRORS {
            return wrong(format!(
                "{} inputs that could not be evaluated are named, but {} counted",
                self.unreadable.len(),
                self.errors
            ));
        }
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

    /// How many results across rules have `status` (at most `usize::MAX`).
    pub fn count(&self, status: Status) -> usize {
        (self.rules.values())
            .filter_map(|s| s.get(&status))
            .fold(0usize, |a, b| a.saturating_add(*b))
    }

    /// The exit status: 2 if anything could not be evaluated, else 1 if a result is affected or
    /// suspected.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 || self.count(Status::Error) > 0 {
            2
        } else if self.count(Status::Affected) > 0
            || self.count(Status::Suspected) > 0
            || self.needs_action_total > 0
        {
            1
        } else {
            0
        }
    }
}

/// Why a summary cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    #[error("no summary here (write one with --format summary-json or --summary-line)")]
    NoSummary,
    #[error("a summary longer than {0} bytes")]
    TooLong(u64),
    #[error("not a summary: {0}")]
    NotSummary(serde_json::Error),
    #[error("evaluated with other rules ({theirs}) than the first summary ({ours})")]
    OtherRules { theirs: String, ours: String },
    #[error("its totals do not add up: {0}")]
    Inconsistent(String),
    #[error("its {0} overflow when added up")]
    Overflow(&'static str),
}

/// A [`MergeError`] at a line of the file it was read from, when it is one line's.
#[derive(Debug, thiserror::Error)]
#[error("{}{error}", line.map_or(String::new(), |l| format!("{l}: ")))]
pub struct Located {
    pub line: Option<usize>,
    pub error: MergeError,
}

impl Located {
    fn at(line: usize, error: impl Into<MergeError>) -> Located {
        Located {
            line: Some(line),
            error: error.into(),
        }
    }
}

/// The summaries in a run's output, read line by line (results lines are skipped unread): each
/// line `{"summary": …}` (`--format summary-json`, `--summary-line`), with its line number.
pub fn find(reader: impl std::io::BufRead) -> Result<Vec<(usize, Summary)>, Located> {
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
            .map_err(|e| Located::at(number, e))?;
        if n == 0 {
            break;
        }
        let whole = buf.ends_with(b"\n") || (n as u64) < limit;
        if buf.starts_with(PREFIX) {
            if !whole {
                return Err(Located::at(number, MergeError::TooLong(limit)));
            }
            let line: Line = serde_json::from_slice(&buf)
                .map_err(|e| Located::at(number, MergeError::NotSummary(e)))?;
            found.push((number, line.summary));
        } else if !whole {
            // The rest of an overlong results line.
            loop {
                let available = reader.fill_buf().map_err(|e| Located::at(number, e))?;
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
        return Err(Located {
            line: None,
            error: MergeError::NoSummary,
        });
    }
    Ok(found)
}

/// Reads a map refusing a key given twice: JSON allows it and serde keeps the last, which would
/// let a summary's later count of a rule hide an earlier one.
struct Unique<K, V>(BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for Unique<K, V>
where
    K: Deserialize<'de> + Ord + Serialize,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for Keys<K, V>
        where
            K: Deserialize<'de> + Ord + Serialize,
            V: Deserialize<'de>,
        {
            type Value = Unique<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<K>()? {
                    if out.contains_key(&key) {
                        let name = serde_json::to_value(&key)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        return Err(de::Error::custom(format!("`{name}` is given twice")));
                    }
                    let value = map.next_value()?;
                    out.insert(key, value);
                }
                Ok(Unique(out))
            }
        }
        d.deserialize_map(Keys(PhantomData))
    }
}

fn unique<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord + Serialize,
    V: Deserialize<'de>,
{
    Unique::deserialize(d).map(|u| u.0)
}

/// A summary's `rules`: no rule, and no status of a rule, given twice.
fn rule_counts<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, BTreeMap<Status, usize>>, D::Error> {
    let rules: BTreeMap<String, Unique<Status, usize>> = unique(d)?;
    Ok(rules.into_iter().map(|(id, c)| (id, c.0)).collect())
}
