//! A problem with one input file, located where possible, printed `file:line:column: message`
//! with the offending line and a caret under the column.

use std::fmt;

use crate::source::{self, Location};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub location: Option<Location>,
    pub message: String,
    /// The source line with a caret under the column, when the location is known.
    pub snippet: Option<String>,
}

impl Problem {
    /// A problem located in `text`, the content of `file`.
    pub fn new(
        file: &str,
        text: Option<&str>,
        location: Option<Location>,
        message: String,
    ) -> Self {
        let snippet = match (text, location) {
            (Some(text), Some(at)) => Some(source::caret(text, at)).filter(|s| !s.is_empty()),
            _ => None,
        };
        Problem {
            file: file.to_owned(),
            location,
            message,
            snippet,
        }
    }

    /// `file:line:column: message` on one line.
    pub fn headline(&self) -> String {
        match self.location {
            Some(at) => format!("{}:{}: {}", self.file, at, self.message),
            None => format!("{}: {}", self.file, self.message),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}
