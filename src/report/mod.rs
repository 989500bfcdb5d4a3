//! Reports: the diagnosis model (`diagnosis`), counts (`summary`), and the text, JSON and HTML
//! renderings (`render`, `html`).

pub mod diagnosis;
pub mod html;
pub mod render;
pub mod summary;
