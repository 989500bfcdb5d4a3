//! Rules: the YAML model (`rule`), where rule files come from (`kb`), what the articles say of
//! each other (`catalogue`), the YAML tree that places errors (`yaml_tree`), validation against
//! the schema (`validate`, `schema`). Compiling them is `evaluate::compile`'s.

pub mod catalogue;
pub mod kb;
pub mod rule;
pub mod schema;
pub mod validate;
pub mod yaml_tree;
