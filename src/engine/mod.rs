//! The condition engine: compiled conditions and their three-valued evaluation (`condition`),
//! native conditions (`native`), the Rhai sandbox (`script`) and what it keeps per host (`memo`),
//! the helpers rules call (`helpers`, `files`, `events`, `compare`, `matching`), the host and
//! rule they read and what their work costs (`probe`), what they record (`evidence`), Rhai's
//! string functions checked before they grow a value (`strings`), the helpers' signatures
//! (`signatures`) and what a condition's types and calls say before it runs (`lint`, the
//! warnings `kbdiag check` and every load give).

pub mod compare;
pub mod condition;
pub mod events;
pub mod evidence;
pub mod files;
pub mod fixes;
pub mod helpers;
pub mod lint;
pub mod matching;
pub mod memo;
pub mod native;
pub mod probe;
pub mod script;
pub mod signatures;
pub mod strings;
