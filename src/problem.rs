//! A problem with one input file, located where possible, printed `file:line:column: message`
//! with the offending line and a caret under the column.

use std::fmt;

use crate::input::source::{self, Location};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub location: Option<Location>,
    pub message: String,
    /// The source line with a caret under the column, when the location is known.
    pub snippet: Option<String>,
    /// A warning does not stop a run; an error does.
    pub warning: bool,
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
            warning: false,
        }
    }

    /// A warning located in `text`, the content of `file`.
    pub fn warning(
        file: &str,
        text: Option<&str>,
        location: Option<Location>,
        message: String,
    ) -> Self {
        Problem {
            warning: true,
            ..Problem::new(file, text, location, message)
        }
    }

    /// `file:line:column: message` on one line.
    pub fn headline(&self) -> String {
        let kind = if self.warning { "warning: " } else { "" };
        match self.location {
            Some(at) => format!("{}:{}: {kind}{}", self.file, at, self.message),
            None => format!("{}: {kind}{}", self.file, self.message),
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
