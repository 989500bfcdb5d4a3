//! Where fact documents come from: files, folders and NDJSON streams (`inputs`, `walk`), and
//! the checks and locations of source text (`source`).

pub mod inputs;
pub mod source;
pub mod walk;
