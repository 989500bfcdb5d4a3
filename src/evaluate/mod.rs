//! Evaluation: a knowledge base loaded and compiled (`compile`), one host against every rule
//! (`diagnose`), and a fleet of documents in parallel, in order (`fleet`).

pub mod compile;
pub mod diagnose;
pub mod fleet;
