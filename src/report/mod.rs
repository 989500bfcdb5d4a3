//! Reports of `evaluate::diagnosis`'s model: counts (`summary`), and the text, JSON, NDJSON
//! and HTML renderings (`render`, `compact`, `html`; `brief` for the JSON and NDJSON that name
//! each article by id, `brief_writer` its NDJSON line written directly).

pub mod brief;
mod brief_writer;
pub mod compact;
pub mod html;
pub mod render;
pub mod summary;
