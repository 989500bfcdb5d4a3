//! The condition engine: compiled conditions and their three-valued evaluation (`condition`),
//! native conditions (`native`), the Rhai sandbox (`script`) and what it keeps per host (`memo`), the helpers rules call (`helpers`,
//! `events`, `compare`, `matching`) and their signatures (`signatures`).

pub mod compare;
pub mod condition;
pub mod events;
pub mod fixes;
pub mod helpers;
pub mod matching;
pub mod memo;
pub mod native;
pub mod script;
pub mod signatures;
