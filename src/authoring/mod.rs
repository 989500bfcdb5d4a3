//! Tools for rule authors: `explain`, rule test cases (`rule_tests`),
//! the schemas `kbdiag schema` prints (`schema`) and the skeleton of a new rule (`skeleton`), or
//! its draft from the article's text (`draft`).

pub mod draft;
pub mod explain;
pub mod rule_tests;
pub mod schema;
pub mod skeleton;
