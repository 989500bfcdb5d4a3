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

impl Summary {
    pub fn add(&mut self, report: &Report) {
        self.inputs += 1;
        if report.error.is_some() {
            self.errors += 1;
        }
        for d in report.results.iter().flatten() {
            *self
                .rules
                .entry(d.kb.clone())
                .or_default()
                .entry(d.status)
                .or_default() += 1;
            if d.status.needs_attention() {
                self.needs_action_total += 1;
                if self.needs_action.len() < LISTED {
                    self.needs_action.push(ActionItem {
                        host: report.host.clone().unwrap_or_default(),
                        file: report.file.clone(),
                        line: report.line,
                        kb: d.kb.clone(),
                        status: d.status,
                        action: d.recommendation.action,
                    });
                }
            }
        }
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
