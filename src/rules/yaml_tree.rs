//! YAML read into a tree that remembers where each node is, so a rule's every problem can be
//! located. (serde gives a position for the first error only, and none for values that parsed.)

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::input::source::Location;

/// A YAML node with its place in the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar {
        value: String,
        /// Plain (unquoted) scalars may be null, booleans or numbers; others are strings.
        plain: bool,
        /// `|` or `>`: the text starts on the next line.
        block: bool,
        at: Location,
    },
    Seq(Vec<Node>, Location),
    Map(Vec<(Node, Node)>, Location),
    /// An alias (`*name`); rules never need one, and it is not followed.
    Alias(Location),
}

/// The kind of value a scalar is, by the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Null,
    Bool,
    Int,
    Float,
    String,
}

impl Node {
    pub fn at(&self) -> Location {
        match self {
            Node::Scalar { at, .. } | Node::Seq(_, at) | Node::Map(_, at) | Node::Alias(at) => *at,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries, _) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Item `i` of a sequence.
    pub fn item(&self, i: usize) -> Option<&Node> {
        match self {
            Node::Seq(items, _) => items.get(i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn scalar_kind(&self) -> Option<ScalarKind> {
        match self {
            Node::Scalar { value, plain, .. } => Some(if *plain {
                plain_kind(value)
            } else {
                ScalarKind::String
            }),
            _ => None,
        }
    }
}

fn plain_kind(v: &str) -> ScalarKind {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarKind::Bool,
        ".inf" | "-.inf" | "+.inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN" => {
            return ScalarKind::Float;
        }
        _ => {}
    }
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return ScalarKind::Int;
    }
    if let Some(hex) = v.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return ScalarKind::Int;
        }
    }
    if let Some(oct) = v.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return ScalarKind::Int;
        }
    }
    if v.parse::<f64>().is_ok()
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return ScalarKind::Float;
    }
    ScalarKind::String
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub at: Location,
}

/// Parses the first document of `text`.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    // Open collections: the node being built, and the pending key for mappings.
    let mut stack: Vec<(Node, Option<Node>)> = Vec::new();
    let mut root = None;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| SyntaxError {
            message: e.info().to_owned(),
            at: Location {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            },
        })?;
        let at = Location {
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        let node = match event {
            Event::Scalar(value, style, ..) => Node::Scalar {
                plain: style == ScalarStyle::Plain,
                block: matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
                value: value.into_owned(),
                at,
            },
            Event::Alias(_) => Node::Alias(at),
            Event::SequenceStart(..) => {
                stack.push((Node::Seq(Vec::new(), at), None));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push((Node::Map(Vec::new(), at), None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some((node, _)) => node,
                None => continue,
            },
            Event::DocumentEnd | Event::StreamEnd => break,
            _ => continue,
        };
        match stack.last_mut() {
            None => {
                root = Some(node);
                break;
            }
            Some((Node::Seq(items, _), _)) => items.push(node),
            Some((Node::Map(entries, _), key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
            Some(_) => {}
        }
    }
    Ok(root.unwrap_or(Node::Scalar {
        value: String::new(),
        plain: true,
        block: false,
        at: Location { line: 1, column: 1 },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_where_they_are() {
        let tree = parse("a: 1\nb:\n  - x\n  - {c: 'd'}\n").unwrap();
        assert_eq!(tree.get("a").unwrap().scalar_kind(), Some(ScalarKind::Int));
        let d = tree.get("b").unwrap().item(1).unwrap().get("c").unwrap();
        assert_eq!(d.as_str(), Some("d"));
        assert_eq!(d.scalar_kind(), Some(ScalarKind::String));
        assert_eq!(d.at(), Location { line: 4, column: 9 });
    }

    #[test]
    fn plain_scalars_resolve_like_yaml_1_2() {
        for (v, kind) in [
            ("~", ScalarKind::Null),
            ("true", ScalarKind::Bool),
            ("yes", ScalarKind::String),
            ("-12", ScalarKind::Int),
            ("4.0", ScalarKind::Float),
            ("2007-04-25", ScalarKind::String),
            ("6a", ScalarKind::String),
        ] {
            assert_eq!(plain_kind(v), kind, "{v}");
        }
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(e.at.line, 2);
    }
}
