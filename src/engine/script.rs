//! The Rhai sandbox that runs conditions: a raw engine with limits, the standard package and the
//! helpers of `helpers.rs`, and the host they read (bound with [`Sandbox::bind`]). An expression's
//! value is true, false, unknown (it read a missing fact, whatever it did next) or an error.

use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::OnceLock;

use rhai::packages::{Package, StandardPackage};
use rhai::{AST, Dynamic, Engine, EvalAltResult};

use crate::engine::evidence::Entries;
use crate::engine::helpers::register_helpers;
use crate::engine::native::Native;
use crate::engine::probe::Shared;
use crate::facts::Facts;
use crate::rules::catalogue::Knowledge;

/// Limits on what one expression may do; past them it fails with an error, never hangs.
pub mod limits {
    pub const OPERATIONS: u64 = 100_000;
    pub const CALL_LEVELS: usize = 16;
    pub const EXPR_DEPTH: usize = 32;
    pub const FUNCTION_EXPR_DEPTH: usize = 16;
    pub const STRING_SIZE: usize = 64 * 1024;
    pub const ARRAY_SIZE: usize = 4096;
    pub const MAP_SIZE: usize = 1024;
    /// Operations one rule may spend on one host, over all its conditions and the work of the
    /// helpers they call (one per list entry looked at, and one per [`BYTES_PER_OPERATION`]
    /// bytes of text scanned or made).
    pub const RULE_OPERATIONS: u64 = 1_000_000;
    /// Bytes of text a helper (or a string function of `strings.rs`) scans or makes for one
    /// operation: about the time of one of Rhai's.
    pub const BYTES_PER_OPERATION: usize = 256;
    /// Bytes one condition's script values may hold at once (where the binary counts them:
    /// `alloc.rs`).
    pub const MEMORY: isize = 64 << 20;
}

/// The error of a rule past its budget on one host.
pub(crate) fn over_budget() -> String {
    format!(
        "the rule spent more than its budget of {} operations on this host (its conditions, and \
         the list entries and text its helpers looked at)",
        limits::RULE_OPERATIONS
    )
}

fn over_memory() -> String {
    format!(
        "the condition's values took more than {} MiB of memory",
        limits::MEMORY >> 20
    )
}

/// The outcome of one expression on one host.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    True,
    False,
    /// It read facts the host does not have (named).
    Unknown(Entries),
    /// The expression failed: a bug in the rule, or a sandbox limit.
    Error(String),
}

/// What one evaluation read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Trace {
    /// Facts read, as `name=value`.
    pub reads: Entries,
    /// Events or reported errors that matched, for symptom evidence.
    pub matches: Entries,
}

/// A compile error in an expression, positioned within the expression (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// A sandboxed Rhai engine with the helpers registered, and the host they read.
pub struct Sandbox {
    engine: Engine,
    probe: Shared,
    /// The outcomes of the bound host's shared expressions (`memo.rs`).
    memo: std::cell::RefCell<crate::engine::memo::Memo>,
    /// What this thread held when the running expression started.
    memory: std::rc::Rc<std::cell::Cell<isize>>,
    /// Lookups of a host's files and registry walked before they are indexed (`memo::Index`).
    walks: std::cell::Cell<u32>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let mut engine = Engine::new_raw();
        engine.register_global_module(StandardPackage::new().as_shared_module());
        engine.disable_symbol("eval");
        engine.set_max_operations(limits::OPERATIONS);
        engine.set_max_call_levels(limits::CALL_LEVELS);
        engine.set_max_expr_depths(limits::EXPR_DEPTH, limits::FUNCTION_EXPR_DEPTH);
        engine.set_max_string_size(limits::STRING_SIZE);
        engine.set_max_array_size(limits::ARRAY_SIZE);
        engine.set_max_map_size(limits::MAP_SIZE);
        engine.set_strict_variables(true);
        // Built-in operators would compare values of different types as `false` before the
        // strict comparisons registered by the helpers are consulted.
        engine.set_fast_operators(false);
        // Keep `1 == 1` as written, so `check` can say it never changes (no measurable cost).
        engine.set_optimization_level(rhai::OptimizationLevel::None);
        engine.set_fail_on_invalid_map_property(true);
        engine.on_print(|_| {});
        engine.on_debug(|_, _, _| {});
        let probe = Shared::default();
        register_helpers(&mut engine, &probe);
        crate::engine::strings::register_checked_strings(&mut engine, &probe);
        // The rule's budget on this host, and the memory its values hold, checked as it runs.
        let p = probe.clone();
        let memory = std::rc::Rc::new(std::cell::Cell::new(0isize));
        let start = memory.clone();
        engine.on_progress(move |ops| {
            // Every 256 operations is often enough, and keeps the check off the hot path.
            if ops & 0xFF != 0 {
                return None;
            }
            let Ok(mut probe) = p.try_borrow_mut() else {
                return None;
            };
            probe.running = ops;
            if probe.spent + ops > limits::RULE_OPERATIONS {
                return Some(Dynamic::from(over_budget()));
            }
            if crate::alloc::thread_live() - start.get() > limits::MEMORY {
                return Some(Dynamic::from(over_memory()));
            }
            None
        });
        Sandbox {
            engine,
            probe,
            memo: Default::default(),
            memory,
            walks: std::cell::Cell::new(crate::engine::memo::WALKS),
        }
    }

    /// Compiles an expression once, for evaluation on many hosts.
    pub fn compile(&self, expr: &str) -> Result<AST, CompileError> {
        self.engine.compile(expr).map_err(|e| CompileError {
            message: e.err_type().to_string(),
            line: e.position().line().unwrap_or(1),
            column: e.position().position().unwrap_or(1),
        })
    }

    /// Whether a condition can call a function named `name`. A helper's name is answered from
    /// the signature table, without listing Rhai's functions ([`Sandbox::functions`]).
    pub fn knows(&self, name: &str) -> bool {
        !crate::engine::signatures::helper(name).is_empty() || self.functions().contains(name)
    }

    /// The names of every function a condition can call.
    ///
    /// Made once per process, when first asked for: every sandbox registers the same functions,
    /// and listing them (Rhai formats each one's signature) costs more than the rest of
    /// [`Sandbox::new`], which each thread of a fleet run pays.
    pub fn functions(&self) -> &'static BTreeSet<String> {
        static FUNCTIONS: OnceLock<BTreeSet<String>> = OnceLock::new();
        FUNCTIONS.get_or_init(|| {
            (self.engine.gen_fn_signatures(true).iter())
                .filter_map(|sig| sig.split('(').next())
                .map(|name| name.trim_start_matches("get$").to_owned())
                .collect()
        })
    }

    /// Makes `facts` the host, and `table` the file table, that helpers read.
    pub fn bind(&self, facts: Rc<Facts>, knowledge: Rc<Knowledge>) {
        let mut probe = self.probe.borrow_mut();
        // Another host: what the last one's shared expressions gave is not this one's. (The
        // last host is held until here, so a new host is never at its address.)
        if !Rc::ptr_eq(&probe.facts, &facts) {
            self.memo.borrow_mut().next_host();
            probe.index = crate::engine::memo::Index::walking(self.walks.get());
        }
        probe.facts = facts;
        probe.knowledge = knowledge;
        probe.spent = 0;
    }

    /// Indexes each host's files and registry at the first lookup instead of after a few walks
    /// of the lists: for a knowledge base of many rules, which would index every host anyway.
    /// What a lookup finds and charges is the same either way.
    pub fn index_at_once(&self, yes: bool) {
        self.walks
            .set(if yes { 0 } else { crate::engine::memo::WALKS });
    }

    /// Evaluates a compiled expression on the bound host: natively when it has a native form
    /// that can answer, otherwise with Rhai. Both give the same value and trace.
    pub fn run(&self, ast: &AST, native: Option<&Native>) -> (Value, Trace) {
        match native.and_then(|n| self.eval_native(n)) {
            Some(outcome) => outcome,
            None => self.eval(ast),
        }
    }

    /// Keeps the outcome of `expr` on each host, for the other rules that write it the same way
    /// (when it reads only the host's facts: `memo.rs`). Called when the rules load; gives the
    /// number by which [`Sandbox::run_slot`] finds it, when it is kept.
    pub fn share(&self, expr: &str) -> Option<u32> {
        self.memo.borrow_mut().share(expr)
    }

    /// [`Sandbox::run`] for the expression written `expr`: when it is shared
    /// ([`Sandbox::share`]), once per host whatever the rule, the others taking its outcome and
    /// its cost in operations. An error is not kept: each rule meets it anew.
    pub fn run_shared(&self, expr: &str, ast: &AST, native: Option<&Native>) -> (Value, Trace) {
        let slot = self.memo.borrow().slot(expr);
        self.run_slot(slot, ast, native)
    }

    /// [`Sandbox::run_shared`] for the expression [`Sandbox::share`] numbered `slot` (`None`:
    /// not shared), without looking its text up.
    pub fn run_slot(
        &self,
        slot: Option<u32>,
        ast: &AST,
        native: Option<&Native>,
    ) -> (Value, Trace) {
        use crate::engine::memo::{Found, Kept};
        match self.memo.borrow().look(slot) {
            Found::Kept(kept) => {
                let mut probe = self.probe.borrow_mut();
                probe.spent += kept.operations;
                if probe.spent > limits::RULE_OPERATIONS {
                    return (Value::Error(over_budget()), Trace::default());
                }
                return (kept.value.clone(), kept.trace.clone());
            }
            Found::Own => return self.run(ast, native),
            Found::Shared => {}
        }
        let before = self.probe.borrow().spent;
        let (value, trace) = self.run(ast, native);
        if let (Some(slot), false) = (slot, matches!(value, Value::Error(_))) {
            let operations = self.probe.borrow().spent - before;
            let kept = Kept {
                value: value.clone(),
                trace: trace.clone(),
                operations,
            };
            self.memo.borrow_mut().keep(slot, kept);
        }
        (value, trace)
    }

    /// The operations the bound rule has spent on this host so far.
    pub fn spent(&self) -> u64 {
        self.probe.borrow().spent
    }

    /// Charges the bound rule `operations` it did not run (what a verdict it takes from another
    /// rule cost: `evaluate/kept.rs`); false once that is past its budget.
    pub fn charge(&self, operations: u64) -> bool {
        let mut probe = self.probe.borrow_mut();
        probe.spent += operations;
        probe.spent <= limits::RULE_OPERATIONS
    }

    /// Evaluates a native condition on the bound host; `None` when Rhai must (nothing it did
    /// then counts: the budget it spent is given back, and Rhai starts afresh).
    pub fn eval_native(&self, native: &Native) -> Option<(Value, Trace)> {
        let mut probe = self.probe.borrow_mut();
        probe.begin();
        let spent = probe.spent;
        let outcome = native.run(&mut probe);
        // A missing read decides, as it does in [`Sandbox::eval`].
        if let Some(missing) = probe.take_missing() {
            return Some((missing, std::mem::take(&mut probe.trace)));
        }
        match outcome {
            Some(Ok(truth)) => {
                let value = if truth { Value::True } else { Value::False };
                Some((value, std::mem::take(&mut probe.trace)))
            }
            _ => {
                probe.spent = spent;
                None
            }
        }
    }

    /// Evaluates a compiled expression on the bound host with Rhai.
    pub fn eval(&self, ast: &AST) -> (Value, Trace) {
        self.probe.borrow_mut().begin();
        self.memory.set(crate::alloc::thread_live());
        let result = self.engine.eval_ast::<Dynamic>(ast);
        let mut probe = self.probe.borrow_mut();
        probe.spent += std::mem::take(&mut probe.running);
        let trace = std::mem::take(&mut probe.trace);
        // A missing read decides, even if the script caught the error and went on.
        if let Some(missing) = probe.take_missing() {
            return (missing, trace);
        }
        let value = match result {
            Ok(v) => match v.as_bool() {
                Ok(true) => Value::True,
                Ok(false) => Value::False,
                Err(found) => Value::Error(format!(
                    "a condition must give true or false, this one gave {}",
                    match self.engine.map_type_name(found) {
                        "()" => "() (nothing)",
                        "File" => "a file (file(…)): compare one of its facts, e.g. file(…).size",
                        other => other,
                    }
                )),
            },
            Err(e) => Value::Error(describe(&e)),
        };
        (value, trace)
    }
}

fn describe(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "the expression ran more than {} operations (an endless loop?)",
            limits::OPERATIONS
        ),
        EvalAltResult::ErrorTerminated(reason, _) => reason.to_string(),
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "function calls nested deeper than {} levels (endless recursion?)",
            limits::CALL_LEVELS
        ),
        other => other.to_string(),
    }
}
