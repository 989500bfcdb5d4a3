//! Tools for rule authors: `check`'s lints (`lint`), `explain`, rule test cases (`rule_tests`)
//! and the skeleton of a new rule (`skeleton`), or its draft from the article's text (`draft`).

pub mod draft;
pub mod explain;
pub mod lint;
pub mod rule_tests;
pub mod skeleton;
