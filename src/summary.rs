//! Counts over a run: per rule and status, and the hosts that need action.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnosis::{Action, Report, Status};

/// How many hosts that need action are listed; the rest are counted.
pub const LISTED: usize = 1000;

/// The state of the estate after a run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
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
    /// The rule ids, in the order of each report's results.
    #[serde(skip)]
    rule_order: Vec<String>,
}

/// A host that needs action for one rule.
#[derive(Debug, Clone, Serialize)]
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
    /// Status per rule, in rule order.
    statuses: Vec<(Status, Action)>,
    /// The results that need action.
    actions: Vec<ActionItem>,
}

impl Tally {
    pub fn of(report: &Report) -> Tally {
        let results = report.results.iter().flatten();
        Tally {
            error: report.error.is_some(),
            statuses: results
                .clone()
                .map(|d| (d.status, d.recommendation.action))
                .collect(),
            actions: results
                .filter(|d| d.status.needs_attention())
                .map(|d| ActionItem {
                    host: report.host.clone().unwrap_or_default(),
                    file: report.file.clone(),
                    line: report.line,
                    kb: d.kb.clone(),
                    status: d.status,
                    action: d.recommendation.action,
                })
                .collect(),
        }
    }
}

impl Summary {
    /// An empty summary for the rules `ids`, in the order their results come.
    pub fn new(ids: impl IntoIterator<Item = String>) -> Summary {
        Summary {
            rule_order: ids.into_iter().collect(),
            ..Summary::default()
        }
    }

    pub fn add(&mut self, tally: Tally) {
        self.inputs += 1;
        self.errors += usize::from(tally.error);
        for (id, (status, _)) in self.rule_order.iter().zip(&tally.statuses) {
            match self.rules.get_mut(id) {
                Some(counts) => *counts.entry(*status).or_default() += 1,
                None => {
                    self.rules
                        .insert(id.clone(), BTreeMap::from([(*status, 1)]));
                }
            }
        }
        self.needs_action_total += tally.actions.len();
        let room = LISTED.saturating_sub(self.needs_action.len());
        self.needs_action
            .extend(tally.actions.into_iter().take(room));
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
