//! Evaluating a stream of fact documents on several threads, with results delivered in input
//! order and memory bounded by a window of documents in flight, whatever the number of hosts.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::evaluate::diagnose::Evaluator;
use crate::input::inputs::Document;
use crate::input::source::Location;
use crate::problem::Problem;
use crate::report::diagnosis::Report;
use crate::report::summary::Tally;
use crate::rules::kb::RuleFile;

/// Documents handed to a worker at a time: fewer hand-overs between threads.
pub const BATCH: usize = 32;

/// How a run is spread: `jobs` threads, taking `batch` documents at a time (1 for a live stream,
/// so no result waits for documents not yet written).
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub jobs: usize,
    pub batch: usize,
}

/// Most batches read ahead of the one the output is waiting for (with [`BATCH`], bounds the
/// documents in memory at once).
const WINDOW: usize = 16;

/// One document's report as the output needs it: rendered in the chosen format, and tallied.
pub struct Evaluated {
    pub rendered: String,
    pub tally: Tally,
}

impl Evaluated {
    fn of(report: &Report, render: &(dyn Fn(&Report) -> String + Sync)) -> Evaluated {
        Evaluated {
            rendered: render(report),
            tally: Tally::of(report),
        }
    }
}

/// Evaluates one document; a document that cannot be read or parsed gives a report with an error.
pub fn evaluate(evaluator: &Evaluator, doc: Document) -> Report {
    let mut report = match doc.bytes {
        Ok(bytes) => evaluator.report_at(&doc.source, doc.line, &bytes),
        Err(message) => {
            let at = doc.line.map(|line| Location { line, column: 1 });
            Report::failed(Problem::new(&doc.source, None, at, message))
        }
    };
    report.line = doc.line;
    report
}

/// Evaluates every document with `plan.jobs` threads (each with its own compiled rules),
/// rendering each report with `render` on the thread that made it, and hands the results to
/// `sink` in input order. Stops early, with its error, when `sink` fails. Returns how many
/// threads evaluated: fewer than asked when the system refused to start more (at least one: the
/// caller's own, if none could be started).
pub fn run(
    rules: &[RuleFile],
    evaluator: &Evaluator,
    docs: impl Iterator<Item = Document> + Send,
    plan: Plan,
    render: &(dyn Fn(&Report) -> String + Sync),
    sink: &mut dyn FnMut(Evaluated) -> io::Result<()>,
) -> io::Result<usize> {
    let sequential = |docs: &mut dyn Iterator<Item = Document>,
                      sink: &mut dyn FnMut(Evaluated) -> io::Result<()>| {
        for doc in docs {
            sink(Evaluated::of(&evaluate(evaluator, doc), render))?;
        }
        Ok(1)
    };
    if plan.jobs <= 1 {
        return sequential(&mut docs.into_iter(), sink);
    }

    // Workers take batches from the input themselves, in turn: no reader thread to feed them.
    let input = Mutex::new(Input {
        docs: Box::new(docs),
        next: 0,
        batch: plan.batch.max(1),
    });
    let (done_tx, done_rx) = sync_channel::<(usize, Vec<Evaluated>)>(plan.jobs);
    // How many batches the output has taken, for the window; and whether to stop.
    let emitted = (Mutex::new(0usize), Condvar::new());
    let stop = AtomicBool::new(false);

    std::thread::scope(|scope| {
        let (emitted, stop, input) = (&emitted, &stop, &input);
        let mut started = 0;
        for _ in 0..plan.jobs {
            let done_tx = done_tx.clone();
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                worker(rules, input, emitted, stop, &done_tx, render)
            });
            // A system out of threads gives fewer workers, not a failed run.
            match spawned {
                Ok(_) => started += 1,
                Err(_) => break,
            }
        }
        drop(done_tx);
        if started == 0 {
            let mut input = input.lock().unwrap_or_else(PoisonError::into_inner);
            return sequential(&mut input.docs, sink);
        }

        let result = reorder(&done_rx, sink, emitted);
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
            emitted.1.notify_all();
            // Dropping the receiver makes the workers' sends fail, so they stop.
            drop(done_rx);
        }
        result.map(|()| started)
    })
}

/// The documents still to evaluate, and the number of the next batch.
struct Input<'a> {
    docs: Box<dyn Iterator<Item = Document> + Send + 'a>,
    next: usize,
    batch: usize,
}

impl Input<'_> {
    /// The next batch and its number, once the output is close enough to it (the window).
    fn take(
        input: &Mutex<Input>,
        emitted: &(Mutex<usize>, Condvar),
        stop: &AtomicBool,
    ) -> Option<(usize, Vec<Document>)> {
        let mut input = input.lock().unwrap_or_else(PoisonError::into_inner);
        let seq = input.next;
        let (lock, turn) = emitted;
        let mut taken = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while seq >= *taken + WINDOW && !stop.load(Ordering::Relaxed) {
            taken = turn.wait(taken).unwrap_or_else(PoisonError::into_inner);
        }
        drop(taken);
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let size = input.batch;
        let batch: Vec<Document> = input.docs.by_ref().take(size).collect();
        if batch.is_empty() {
            return None;
        }
        input.next += 1;
        Some((seq, batch))
    }
}

fn worker(
    rules: &[RuleFile],
    input: &Mutex<Input>,
    emitted: &(Mutex<usize>, Condvar),
    stop: &AtomicBool,
    done: &std::sync::mpsc::SyncSender<(usize, Vec<Evaluated>)>,
    render: &(dyn Fn(&Report) -> String + Sync),
) {
    // Rhai values are not shared across threads: each worker compiles its own rules, which the
    // caller has already loaded once without error.
    let evaluator = Evaluator::new(rules);
    while let Some((seq, batch)) = Input::take(input, emitted, stop) {
        let results = (batch.into_iter())
            .map(|doc| {
                let report = match &evaluator {
                    Ok(evaluator) => evaluate(evaluator, doc),
                    Err(_) => Report::failed(Problem::new(
                        &doc.source,
                        None,
                        None,
                        "the rules could not be loaded on this thread".into(),
                    )),
                };
                Evaluated::of(&report, render)
            })
            .collect();
        if done.send((seq, results)).is_err() {
            return;
        }
    }
}

/// Passes batches of results to `sink` in sequence order, holding early ones until their turn.
fn reorder(
    done: &Receiver<(usize, Vec<Evaluated>)>,
    sink: &mut dyn FnMut(Evaluated) -> io::Result<()>,
    emitted: &(Mutex<usize>, Condvar),
) -> io::Result<()> {
    let mut early = BTreeMap::new();
    let mut next = 0;
    for (seq, result) in done {
        early.insert(seq, result);
        while let Some(results) = early.remove(&next) {
            for result in results {
                sink(result)?;
            }
            next += 1;
            *emitted.0.lock().unwrap_or_else(PoisonError::into_inner) = next;
            emitted.1.notify_all();
        }
    }
    Ok(())
}
