//! kbdiag: knowledge-base articles as YAML rules with Rhai conditions, evaluated against host
//! fact files. See `ARCHITECTURE.md` for the map.

pub mod alloc;
pub mod authoring;
pub mod chars;
pub mod cli;
pub mod collect;
pub mod engine;
pub mod evaluate;
pub mod facts;
pub mod input;
pub mod numbers;
pub mod problem;
pub mod report;
pub mod rules;
pub mod scan;
