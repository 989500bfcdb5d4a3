//! The probe: the host and rule that helpers read while one expression runs, what they record
//! (reads, matches, missing facts) and what their work costs against the rule's budget.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, EvalAltResult, Position};
use serde::de::DeserializeOwned;

use crate::engine::evidence::Entries;
use crate::engine::matching::expand_vars_within;
use crate::engine::script::Trace;
use crate::engine::script::limits::BYTES_PER_OPERATION;
use crate::facts::{Event, Facts, Lazy, Text};
use crate::rules::catalogue::Knowledge;

/// The host and rule that helpers read while one expression runs.
#[derive(Default)]
pub(crate) struct Probe {
    pub(crate) facts: Rc<Facts>,
    /// The bound rule's file table and fix, and the knowledge base's catalogue.
    pub(crate) knowledge: Rc<Knowledge>,
    pub(crate) trace: Trace,
    pub(crate) missing: Entries,
    /// Operations the bound rule has spent on the bound host: its conditions', and the work its
    /// helpers did (an entry looked at is one operation, and so are [`BYTES_PER_OPERATION`]
    /// bytes of text scanned or recorded).
    pub(crate) spent: u64,
    /// Operations of the expression running now, as Rhai counts them.
    pub(crate) running: u64,
    /// The host's files and registry values by their keys, for every rule's lookups.
    pub(crate) index: crate::engine::memo::Index,
}

impl Probe {
    /// Readies the record for one expression: nothing read, missed or run yet.
    pub(crate) fn begin(&mut self) {
        self.trace = Trace::default();
        self.missing.clear();
        self.running = 0;
    }

    /// The expression's value if it read a missing fact: that decides, whatever it did next.
    pub(crate) fn take_missing(&mut self) -> Option<crate::engine::script::Value> {
        (!self.missing.is_empty())
            .then(|| crate::engine::script::Value::Unknown(std::mem::take(&mut self.missing)))
    }

    /// Counts `work` helper operations against the rule's budget on this host.
    pub(crate) fn charge(&mut self, work: usize) -> Fallible<()> {
        self.spent = self.spent.saturating_add(work as u64);
        if self.spent + self.running > crate::engine::script::limits::RULE_OPERATIONS {
            return fail(crate::engine::script::over_budget());
        }
        Ok(())
    }

    /// Counts the work of expanding the `%VAR%`s of `text`: its bytes, and for each variable a
    /// pass over the host's environment and the longest value it could put in the text.
    pub(crate) fn charge_expansion(&mut self, text: &str) -> Fallible<()> {
        let cost = self.expansion_cost(text);
        self.charge(cost)
    }

    /// What [`Probe::charge_expansion`] charges for `text`.
    pub(crate) fn expansion_cost(&self, text: &str) -> usize {
        let lookups = memchr::memchr_iter(b'%', text.as_bytes()).count() / 2;
        if lookups == 0 {
            return text.len() / BYTES_PER_OPERATION;
        }
        let per_lookup = self.facts.env.as_ref().map_or(0, |env| {
            let longest = env.0.values().map(|v| v.as_str().len()).max().unwrap_or(0);
            scan_cost(env.0.keys().map(String::as_str)) + longest / BYTES_PER_OPERATION
        });
        text.len() / BYTES_PER_OPERATION + lookups.saturating_mul(per_lookup)
    }

    /// `text` with its `%VAR%`s expanded from the host's environment, and the names it lacks;
    /// an error, before it is made, past the string limit.
    pub(crate) fn expand_within(&mut self, text: &str) -> Fallible<(String, Vec<String>)> {
        self.charge_expansion(text)?;
        let max = crate::engine::script::limits::STRING_SIZE;
        expand_vars_within(text, |n| self.env(n), max).or_else(|_| {
            fail(format!(
                "Length of string too large: \"{}\" with its %VAR%s expanded would be longer \
                 than the {} bytes a text may hold (nothing was made)",
                crate::input::source::shorten(text, 60),
                crate::numbers::thousands(max)
            ))
        })
    }

    /// Counts the work of looking through `events`: each event, and its text.
    pub(crate) fn charge_events(&mut self, events: &[Event]) -> Fallible<()> {
        let text = |t: &Option<Text>| t.as_ref().map_or(0, |t| t.as_str().len());
        let bytes: usize = (events.iter())
            .map(|e| {
                text(&e.source)
                    + text(&e.message)
                    + e.strings
                        .iter()
                        .flatten()
                        .map(|s| s.as_str().len())
                        .sum::<usize>()
            })
            .sum();
        self.charge(events.len() + bytes / BYTES_PER_OPERATION)
    }

    /// Records a missing fact and returns the error that aborts the expression. The error
    /// carries no message: the recorded read decides the expression's value (`take_missing`),
    /// whatever a script does with the error, so a message would be made for nobody.
    pub(crate) fn missing(&mut self, fact: impl Into<String>) -> Box<EvalAltResult> {
        let fact = fact.into();
        self.record_cost(&fact);
        self.missing.push(fact);
        EvalAltResult::ErrorRuntime(Dynamic::UNIT, Position::NONE).into()
    }

    /// Counts the making of a record against the budget. Recording cannot fail the helper; a
    /// rule past its budget is stopped at its next operations (`Sandbox::new`'s progress check).
    fn record_cost(&mut self, entry: &str) {
        self.spent = (self.spent).saturating_add((entry.len() / BYTES_PER_OPERATION) as u64);
    }

    /// Records an event or a reported error that matched.
    pub(crate) fn matched(&mut self, seen: String) {
        self.record_cost(&seen);
        self.trace.matches.push(seen);
    }

    /// A list of the host's facts: recorded missing when absent, a failure when malformed.
    pub(crate) fn list<'f, T: DeserializeOwned + crate::facts::fast::FastParse>(
        &mut self,
        name: &str,
        lazy: &'f Lazy<T>,
    ) -> Fallible<&'f T> {
        match lazy.get() {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.missing(name)),
            Err(message) => fail(message),
        }
    }

    pub(crate) fn read(&mut self, fact: String) {
        self.record_cost(&fact);
        self.trace.reads.push(fact);
    }

    pub(super) fn env(&self, name: &str) -> Option<String> {
        self.facts.env_var(name).map(str::to_owned)
    }

    pub(super) fn expand(&mut self, text: &str) -> Result<String, Box<EvalAltResult>> {
        let (out, unresolved) = self.expand_within(text)?;
        match unresolved.first() {
            None => Ok(out),
            Some(name) => Err(self.missing(format!("env.{name}"))),
        }
    }
}

pub(crate) type Shared = Rc<RefCell<Probe>>;
pub(crate) type Fallible<T> = Result<T, Box<EvalAltResult>>;

pub(crate) fn fail<T>(message: String) -> Fallible<T> {
    Err(EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into())
}

/// The operations that looking through `texts` costs: one per text, and one per
/// [`BYTES_PER_OPERATION`] bytes of them.
pub(crate) fn scan_cost<'a>(texts: impl IntoIterator<Item = &'a str>) -> usize {
    let (mut count, mut bytes) = (0usize, 0usize);
    for t in texts {
        count += 1;
        bytes += t.len();
    }
    count + bytes / BYTES_PER_OPERATION
}
