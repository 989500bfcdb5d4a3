//! Rules: the YAML model (`rule`), loading and compiling a knowledge base (`kb`), the YAML
//! tree that places errors (`yaml_tree`), validation against the schema (`validate`, `schema`).

pub mod catalogue;
pub mod kb;
pub mod rule;
pub mod schema;
pub mod validate;
pub mod yaml_tree;
