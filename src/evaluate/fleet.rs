//! Evaluating a stream of fact documents on several threads, with results delivered in input
//! order and memory bounded by a window of documents in flight, whatever the number of hosts.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::evaluate::diagnose::Evaluator;
use crate::evaluate::diagnosis::Report;
use crate::input::inputs::Document;
use crate::input::source::Location;
use crate::problem::Problem;
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
/// turning each report into what the output needs (`render`: its text in the chosen format, say,
/// and its counts) on the thread that made it, and hands those to `sink` in input order. Stops early, with its error, when `sink` fails. Returns how many
/// threads evaluated: fewer than asked when the system refused to start more (at least one: the
/// caller's own).
///
/// The calling thread is one of the `jobs`: between its own batches it passes the results that
/// are due to `sink` (which stays on this thread), and it uses the caller's `evaluator`, so the
/// rules are compiled `jobs - 1` more times, not `jobs`. Not for a live stream (`batch` 1): there
/// a read may wait for the next line, and the results already made must not wait with it, so
/// the calling thread only passes results on.
pub fn run<T: Send>(
    rules: &[RuleFile],
    evaluator: &Evaluator,
    docs: impl Iterator<Item = Document> + Send,
    plan: Plan,
    render: &(dyn Fn(&Report) -> T + Sync),
    sink: &mut dyn FnMut(T) -> io::Result<()>,
) -> io::Result<usize> {
    if plan.jobs <= 1 {
        for doc in docs {
            sink(render(&evaluate(evaluator, doc)))?;
        }
        return Ok(1);
    }

    // Threads take batches from the input themselves, in turn: no reader thread to feed them.
    let input = Mutex::new(Input {
        docs: Box::new(docs),
        next: 0,
        batch: plan.batch.max(1),
    });
    // Room for every batch the window lets be in flight, so a worker never waits to hand one over
    // while the calling thread is busy with its own.
    let (done_tx, done_rx) = sync_channel::<(usize, Vec<T>)>(WINDOW);
    // How many batches the output has taken, for the window; and whether to stop.
    let emitted = (Mutex::new(0usize), Condvar::new());
    let stop = AtomicBool::new(false);

    let lean = evaluator.is_lean();
    std::thread::scope(|scope| {
        let (emitted, stop, input) = (&emitted, &stop, &input);
        let leads = plan.batch > 1;
        let mut started = 0;
        for _ in usize::from(leads)..plan.jobs {
            let done_tx = done_tx.clone();
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                worker(rules, lean, input, emitted, stop, &done_tx, render)
            });
            // A system out of threads gives fewer workers, not a failed run.
            match spawned {
                Ok(_) => started += 1,
                Err(_) => break,
            }
        }
        drop(done_tx);

        let mut output = Output {
            sink,
            early: BTreeMap::new(),
            next: 0,
            emitted,
        };
        // With no worker started, the calling thread evaluates everything itself.
        let evaluates = leads || started == 0;
        let result = if evaluates {
            output.lead(evaluator, input, &done_rx, render)
        } else {
            output.follow(&done_rx)
        };
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
            emitted.1.notify_all();
            // Dropping the receiver makes the workers' sends fail, so they stop.
            drop(done_rx);
        }
        result.map(|()| started + usize::from(evaluates))
    })
}

/// The calling thread's side of a run: the sink, and the results that came before their turn.
struct Output<'s, 'e, T> {
    sink: &'s mut dyn FnMut(T) -> io::Result<()>,
    early: BTreeMap<usize, Vec<T>>,
    /// The number of the next batch the output waits for.
    next: usize,
    emitted: &'e (Mutex<usize>, Condvar),
}

impl<T> Output<'_, '_, T> {
    /// Evaluates batches while the window has room, passing on the results that are due after
    /// each; when it has none, or the input is done, waits for the workers' results instead.
    fn lead(
        &mut self,
        evaluator: &Evaluator,
        input: &Mutex<Input>,
        done: &Receiver<(usize, Vec<T>)>,
        render: &(dyn Fn(&Report) -> T + Sync),
    ) -> io::Result<()> {
        let mut more = true;
        while more {
            while let Ok((seq, results)) = done.try_recv() {
                self.add(seq, results)?;
            }
            match Input::try_take(input, self.next) {
                Taken::Batch(seq, batch) => {
                    let results = (batch.into_iter())
                        .map(|doc| render(&evaluate(evaluator, doc)))
                        .collect();
                    self.add(seq, results)?;
                }
                // The window is full: the batch the output waits for is a worker's.
                Taken::Full => match done.recv() {
                    Ok((seq, results)) => self.add(seq, results)?,
                    Err(_) => more = false,
                },
                Taken::Done => more = false,
            }
        }
        self.follow(done)
    }

    /// Passes on the workers' results until they are all done.
    fn follow(&mut self, done: &Receiver<(usize, Vec<T>)>) -> io::Result<()> {
        for (seq, results) in done {
            self.add(seq, results)?;
        }
        Ok(())
    }

    /// Takes a batch of results, and passes on every batch that is now due, in order.
    fn add(&mut self, seq: usize, results: Vec<T>) -> io::Result<()> {
        self.early.insert(seq, results);
        let before = self.next;
        while let Some(results) = self.early.remove(&self.next) {
            for result in results {
                (self.sink)(result)?;
            }
            self.next += 1;
        }
        if self.next != before {
            *self
                .emitted
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = self.next;
            self.emitted.1.notify_all();
        }
        Ok(())
    }
}

/// What the calling thread gets when it asks for a batch.
enum Taken {
    Batch(usize, Vec<Document>),
    /// The next batch is too far ahead of the output (the window).
    Full,
    Done,
}

/// The documents still to evaluate, and the number of the next batch.
struct Input<'a> {
    docs: Box<dyn Iterator<Item = Document> + Send + 'a>,
    next: usize,
    batch: usize,
}

impl Input<'_> {
    /// The next batch and its number, once the output is close enough to it (the window). The
    /// input is not held while waiting: the calling thread takes batches too, and it is the one
    /// that moves the window.
    fn take(
        input: &Mutex<Input>,
        emitted: &(Mutex<usize>, Condvar),
        stop: &AtomicBool,
    ) -> Option<(usize, Vec<Document>)> {
        let (lock, turn) = emitted;
        loop {
            let mut input = input.lock().unwrap_or_else(PoisonError::into_inner);
            let seq = input.next;
            let taken = lock.lock().unwrap_or_else(PoisonError::into_inner);
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            if seq < *taken + WINDOW {
                drop(taken);
                return input.read(seq);
            }
            drop(input);
            // Woken when the output moves (or the run stops); then the next batch is looked at
            // again, as another thread may have taken this one meanwhile.
            drop(turn.wait(taken).unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// [`Input::take`] for the thread that owns the output (`emitted` batches so far), which
    /// must not wait for the window: it is the one that moves it.
    fn try_take(input: &Mutex<Input>, emitted: usize) -> Taken {
        let mut input = input.lock().unwrap_or_else(PoisonError::into_inner);
        let seq = input.next;
        if seq >= emitted + WINDOW {
            return Taken::Full;
        }
        match input.read(seq) {
            Some((seq, batch)) => Taken::Batch(seq, batch),
            None => Taken::Done,
        }
    }

    /// The next batch (numbered `seq`), or `None` at the end of the input.
    fn read(&mut self, seq: usize) -> Option<(usize, Vec<Document>)> {
        let size = self.batch;
        let batch: Vec<Document> = self.docs.by_ref().take(size).collect();
        if batch.is_empty() {
            return None;
        }
        self.next += 1;
        Some((seq, batch))
    }
}

fn worker<T>(
    rules: &[RuleFile],
    lean: bool,
    input: &Mutex<Input>,
    emitted: &(Mutex<usize>, Condvar),
    stop: &AtomicBool,
    done: &std::sync::mpsc::SyncSender<(usize, Vec<T>)>,
    render: &(dyn Fn(&Report) -> T + Sync),
) {
    // Rhai values are not shared across threads: each worker compiles its own rules, which the
    // caller has already loaded once without error (and makes what the caller's makes).
    let evaluator = Evaluator::new(rules).map(|mut e| {
        e.set_lean(lean);
        e
    });
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
                render(&report)
            })
            .collect();
        if done.send((seq, results)).is_err() {
            return;
        }
    }
}
