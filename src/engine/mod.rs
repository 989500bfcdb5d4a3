//! The condition engine: compiled conditions and their three-valued evaluation (`condition`),
//! native conditions (`native`), the Rhai sandbox (`script`) and what it keeps per host (`memo`),
//! the helpers rules call (`helpers`, `files`, `events`, `compare`, `matching`), what they record
//! (`evidence`), Rhai's string functions checked before they grow a value (`strings`) and their
//! signatures (`signatures`).

pub mod compare;
pub mod condition;
pub mod events;
pub mod evidence;
pub mod files;
pub mod fixes;
pub mod helpers;
pub mod matching;
pub mod memo;
pub mod native;
pub mod script;
pub mod signatures;
pub mod strings;
