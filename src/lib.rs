//! kbdiag: knowledge-base articles as YAML rules with Rhai conditions, evaluated against host
//! fact files. See `ARCHITECTURE.md` for the map.

pub mod alloc;
pub mod cli;
pub mod collect;
pub mod compare;
pub mod condition;
pub mod diagnose;
pub mod diagnosis;
pub mod events;
pub mod explain;
pub mod facts;
pub mod fleet;
pub mod helpers;
pub mod html;
pub mod inputs;
pub mod kb;
pub mod lint;
pub mod matching;
pub mod native;
pub mod problem;
pub mod registry;
pub mod render;
pub mod rule;
pub mod rule_tests;
pub mod schema;
pub mod script;
pub mod signatures;
pub mod skeleton;
pub mod source;
pub mod summary;
pub mod validate;
pub mod values;
pub mod walk;
pub mod yaml_tree;
