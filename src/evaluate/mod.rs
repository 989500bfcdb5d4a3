//! Evaluation: one host against every rule (`diagnose`), and a fleet of documents in parallel,
//! in order (`fleet`).

pub mod diagnose;
pub mod fleet;
