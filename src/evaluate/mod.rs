//! Evaluation: a knowledge base loaded and compiled (`compile`), one host against every rule
//! (`diagnose`, with the conditions rules share evaluated once per host: `kept`, and what the host
//! is told to do: `remedy`) into the model reports render (`diagnosis`), and a fleet of documents
//! in parallel, in order (`fleet`).

pub mod compile;
pub mod diagnose;
pub mod diagnosis;
pub mod fleet;
pub mod kept;
mod remedy;
