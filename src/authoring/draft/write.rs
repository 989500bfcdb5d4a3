//! Writing YAML by hand, in the shape of the rules in `kb/`: short texts quoted on one line,
//! long ones folded (`>-`) at 96 columns, comments wrapped the same way.

const WIDTH: usize = 96;

#[derive(Default)]
pub struct Yaml {
    pub out: String,
}

/// Text as one line: whitespace runs made one space, and no control character.
pub fn clean(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !s.is_empty() {
            s.push(' ');
        }
        s.extend(
            word.chars()
                .filter(|c| !c.is_control() && !crate::chars::is_invisible(*c)),
        );
    }
    s
}

/// A scalar on one line: plain when it is safe so, otherwise double-quoted (JSON's quoting is
/// YAML's).
pub fn scalar(text: &str) -> String {
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-/()".contains(c))
        && !text.ends_with(' ')
        && !["true", "false", "yes", "no", "null", "on", "off", "y", "n"]
            .contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl Yaml {
    pub fn line(&mut self, indent: usize, text: &str) {
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    pub fn blank(&mut self) {
        self.out.push('\n');
    }

    /// A comment, wrapped.
    pub fn comment(&mut self, indent: usize, text: &str) {
        let text = clean(text);
        for l in wrap(&text, WIDTH.saturating_sub(indent + 2).max(40)) {
            self.line(indent, &format!("# {l}"));
        }
    }

    /// `key: text`, folded when long.
    pub fn text(&mut self, indent: usize, key: &str, text: &str) {
        let text = clean(text);
        let head = format!("{key}: ");
        if indent + head.len() + text.len() + 2 <= WIDTH || !text.contains(' ') {
            self.line(indent, &format!("{head}{}", scalar(&text)));
            return;
        }
        self.line(indent, &format!("{key}: >-"));
        for l in wrap(&text, WIDTH.saturating_sub(indent + 2).max(40)) {
            self.line(indent + 2, &l);
        }
    }

    /// `key: expression`: plain when YAML reads it so, otherwise folded on a line of its own.
    pub fn condition(&mut self, indent: usize, key: &str, expr: &str) {
        let expr = clean(expr);
        let plain = !expr.contains(": ")
            && !expr.contains(" #")
            && !expr.starts_with(|c: char| "[]{}&*!|>'\"%@`#,?:-".contains(c));
        if plain {
            self.line(indent, &format!("{key}: {expr}"));
        } else {
            self.line(indent, &format!("{key}: >-"));
            self.line(indent + 2, &expr);
        }
    }

    /// A list item of text: `- text`.
    pub fn item(&mut self, indent: usize, text: &str) {
        let text = clean(text);
        if indent + 2 + text.len() + 2 <= WIDTH || !text.contains(' ') {
            self.line(indent, &format!("- {}", scalar(&text)));
            return;
        }
        self.line(indent, "- >-");
        for l in wrap(&text, WIDTH.saturating_sub(indent + 4).max(40)) {
            self.line(indent + 4, &l);
        }
    }
}

/// A `resolution.files` row in flow style.
pub fn file_row(r: &super::table::Row) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &r.date {
        parts.push(format!("date: {d}"));
    }
    if let Some(t) = &r.time {
        parts.push(format!("time: \"{t}\""));
    }
    if let Some(v) = &r.version {
        parts.push(format!("version: {}", scalar(v)));
    }
    if let Some(s) = r.size {
        parts.push(format!("size: {s}"));
    }
    parts.push(format!("file: {}", scalar(&r.file)));
    if let Some(p) = &r.platform {
        parts.push(format!("platform: {}", scalar(p)));
    }
    if let Some(b) = r.bits {
        parts.push(format!("bits: {b}"));
    }
    if let Some(e) = &r.edition {
        parts.push(format!("edition: {}", scalar(e)));
    }
    if let Some(p) = &r.package {
        parts.push(format!("package: {}", scalar(p)));
    }
    format!("- {{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_what_yaml_would_read_otherwise() {
        assert_eq!(scalar("Tcpip.sys"), "Tcpip.sys");
        assert_eq!(scalar("4.0.1381.7109"), "\"4.0.1381.7109\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a: b # c"), "\"a: b # c\"");
    }
}
