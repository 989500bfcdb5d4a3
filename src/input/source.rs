//! Raw input text: reading it within limits, checking it is safe to hand to a parser, and
//! pointing at a place in it.

use std::fmt;

/// Largest fact or rule document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

/// Deepest nesting accepted before a document reaches a parser: flow collections (`[`, `{`) and,
/// in YAML, block collections (a deeper indentation, each `- ` of `- - - a`) together.
///
/// The YAML parser's cost grows with the square of flow nesting (20,000 levels take a second) and
/// its recursion with block nesting (200,000 levels overflow the stack), so depth is checked on
/// the raw text first. Real fact and rule files nest fewer than ten levels.
pub const MAX_NESTING: usize = 64;

/// Most YAML nodes (entries, keys, collections, counted on the raw text) accepted in one document.
///
/// The YAML parser holds every event of a document at once, 150 to 450 bytes a node: without this
/// limit a dense 8 MiB document (`[1,1,1,…]`) takes 640 MB. With it, a YAML document costs at most
/// about 35 MB more than an empty one (docs/hardening.md). Real fact and rule files have a few hundred nodes; a host too
/// big for this limit can be written as JSON, which is read without a tree.
pub const MAX_YAML_NODES: usize = 100_000;

/// Most YAML alias references (`*name`) accepted in one document. A "billion laughs" document
/// needs many; fact and rule files need none.
pub const MAX_ALIASES: usize = 32;

/// A 1-based line and column in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Reads at most one byte past [`MAX_DOCUMENT_BYTES`], so a huge input is refused (by
/// [`text_from_bytes`]) without being read whole.
pub fn read_limited(reader: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What to add to a YAML parser's error at `at` when a tab caused it (libyaml says "found character
/// that cannot start any token", saphyr "found a tab"): YAML forbids tabs in indentation. The
/// parser may stop at the end of the line before the tab, so that line and the next are looked at.
pub fn tab_hint(text: &str, at: Location) -> Option<&'static str> {
    let mut lines = text.lines().skip(at.line.checked_sub(1)?);
    let here = lines.next()?;
    let leading_tab = |line: &str| {
        line.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    };
    let at_tab = here.chars().nth(at.column.saturating_sub(1)) == Some('\t');
    (at_tab || leading_tab(here) || lines.next().is_some_and(leading_tab))
        .then_some("; YAML forbids tabs for indentation: indent with spaces")
}

/// Why raw bytes could not become a document's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("not valid UTF-8: invalid byte at offset {offset}")]
    NotUtf8 { offset: usize, at: Location },
    #[error("nested deeper than {limit} levels")]
    TooDeep { limit: usize, at: Location },
    #[error("more than {limit} YAML aliases (an alias bomb?)")]
    TooManyAliases { limit: usize, at: Location },
    #[error("more than {limit} YAML nodes; write a host this big as JSON")]
    TooManyNodes { limit: usize, at: Location },
}

impl TextError {
    /// Where in the text the problem is, when it has a place.
    pub fn location(&self) -> Option<Location> {
        match self {
            TextError::NotUtf8 { at, .. }
            | TextError::TooDeep { at, .. }
            | TextError::TooManyAliases { at, .. }
            | TextError::TooManyNodes { at, .. } => Some(*at),
            TextError::Empty | TextError::TooLarge { .. } => None,
        }
    }
}

/// Turns the bytes of a document into text, refusing what no parser should be given.
pub fn text_from_bytes(bytes: &[u8]) -> Result<&str, TextError> {
    let text = utf8_within_limit(bytes)?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(TextError::Empty);
    }
    check_structure(text)?;
    Ok(text)
}

/// [`text_from_bytes`] for a JSON document, without the structure scan: serde_json limits the
/// depth of what it parses, and the fact parser checks the nesting of what it skips
/// ([`json_nesting`]).
pub fn json_text_from_bytes(bytes: &[u8]) -> Result<&str, TextError> {
    let text = utf8_within_limit(bytes)?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(TextError::Empty);
    }
    Ok(text)
}

/// Checks that the JSON `text`, found `depth` levels down in its document, nests no deeper than
/// [`MAX_NESTING`]; on failure, the byte offset of the bracket too many.
pub fn json_nesting(text: &str, mut depth: usize) -> Result<(), usize> {
    let b = text.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        // Jump to the next byte that matters: most bytes are not one.
        let wanted = if in_string {
            &STRING_BYTES
        } else {
            &JSON_BYTES
        };
        match b[i..].iter().position(|&c| wanted[c as usize]) {
            Some(skip) => i += skip,
            None => return Ok(()),
        }
        match b[i] {
            b'"' => in_string = !in_string,
            b'\\' => i += 1,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(i);
                }
            }
            _ => depth = depth.saturating_sub(1),
        }
        i += 1;
    }
    Ok(())
}

/// Bytes that matter to [`json_nesting`] outside a string, and inside one.
static JSON_BYTES: [bool; 256] = byte_set(b"\"[]{}");
static STRING_BYTES: [bool; 256] = byte_set(b"\"\\");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

/// The text of `bytes`, without a byte-order mark.
fn utf8_within_limit(bytes: &[u8]) -> Result<&str, TextError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(TextError::TooLarge {
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    // Windows tools write a byte-order mark; it is not part of the document.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if bytes.is_ascii() {
        // The usual document, checked several bytes at a time, faster than `from_utf8` does.
        // SAFETY: ASCII text is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        TextError::NotUtf8 {
            offset,
            at: location_of(valid, offset),
        }
    })
}

/// Rejects text whose flow collections (`[`, `{`) nest deeper than [`MAX_NESTING`], or that
/// holds more than [`MAX_ALIASES`] alias references.
///
/// A scan, not a parse: quoted strings and comments are skipped, and an opening bracket only
/// counts where YAML or JSON could start a collection (after `:`, `-`, `,`, `[`, `{`, `?` or at the
/// start of a line), so brackets inside plain text such as `error [MAIN BASE]` are not counted.
fn check_structure(text: &str) -> Result<(), TextError> {
    // A byte scan: every character that matters is ASCII, and UTF-8 continuation bytes never are.
    // Locations are worked out only for an error.
    let bytes = text.as_bytes();
    let at = |i: usize| location_of(text, i);
    let too_deep = |i: usize| TextError::TooDeep {
        limit: MAX_NESTING,
        at: at(i),
    };
    let mut depth = 0usize;
    let mut blocks = Blocks::default();
    let mut aliases = 0usize;
    let mut nodes = 0usize;
    let mut prev_significant = b'\n';
    let mut prev = b'\n';
    let mut i = blocks.line(bytes, 0).map_err(too_deep)?;
    while i < bytes.len() {
        let c = bytes[i];
        // Where YAML or JSON could start a collection, a quoted scalar or an alias.
        let structural = matches!(
            prev_significant,
            b'\n' | b':' | b'-' | b',' | b'[' | b'{' | b'?'
        );
        // A flow entry, a collection, a block entry or a key: about one node each.
        let node = match c {
            b',' | b'[' | b'{' => structural || c == b',',
            b'-' => structural && matches!(bytes.get(i + 1), None | Some(b' ' | b'\n' | b'\r')),
            b':' => matches!(bytes.get(i + 1), None | Some(b' ' | b'\n' | b'\r')),
            _ => false,
        };
        if node {
            nodes += 1;
            if nodes > MAX_YAML_NODES {
                return Err(TextError::TooManyNodes {
                    limit: MAX_YAML_NODES,
                    at: at(i),
                });
            }
        }
        match c {
            b'\n' => {
                prev_significant = b'\n';
                if depth == 0 {
                    // Indentation counts only outside flow collections.
                    let next = blocks.line(bytes, i + 1).map_err(too_deep)?;
                    if blocks.open() > MAX_NESTING {
                        return Err(too_deep(next));
                    }
                    prev = c;
                    i = next;
                    continue;
                }
            }
            b'"' | b'\'' if structural => {
                // Skip the quoted scalar; `\` escapes only in double quotes, `''` in single.
                i += 1;
                while i < bytes.len() {
                    let q = bytes[i];
                    if q == b'\\' && c == b'"' {
                        i += 1;
                    } else if q == c {
                        if c == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
                prev_significant = c;
            }
            b'#' if prev.is_ascii_whitespace() => {
                // To the end of the line, which the `\n` branch then reads.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                prev = b' ';
                continue;
            }
            b'[' | b'{' if structural => {
                depth += 1;
                if depth + blocks.open() > MAX_NESTING {
                    return Err(TextError::TooDeep {
                        limit: MAX_NESTING,
                        at: at(i),
                    });
                }
                prev_significant = c;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                prev_significant = c;
            }
            b'*' if structural => {
                aliases += 1;
                if aliases > MAX_ALIASES {
                    return Err(TextError::TooManyAliases {
                        limit: MAX_ALIASES,
                        at: at(i),
                    });
                }
                prev_significant = c;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => prev_significant = c,
        }
        prev = c;
        i += 1;
    }
    Ok(())
}

/// The YAML block collections open at a line: the columns where each began (a deeper indentation,
/// or a `- ` entry marker), and the block scalar (`|`, `>`) whose lines are being skipped.
#[derive(Default)]
struct Blocks {
    columns: Vec<usize>,
    /// The indentation of the line that opened a block scalar.
    scalar: Option<usize>,
    /// Where the previous content line starts, to see whether it opened a block scalar.
    last_line: Option<usize>,
}

impl Blocks {
    fn open(&self) -> usize {
        self.columns.len()
    }

    /// Reads the indentation and leading `- ` markers of the line at `start`; returns where the
    /// byte scan goes on (past the line when it is block scalar text), or the offset of a marker
    /// one level too deep.
    fn line(&mut self, bytes: &[u8], start: usize) -> Result<usize, usize> {
        if let Some(last) = self.last_line.take() {
            if self.scalar.is_none() && opens_block_scalar(&bytes[last..start]) {
                self.scalar = Some(indent(&bytes[last..]));
            }
        }
        let n = indent(&bytes[start..]);
        let content = start + n;
        let blank = matches!(bytes.get(content), None | Some(b'\n' | b'\r' | b'#'));
        if let Some(parent) = self.scalar {
            if blank || n > parent {
                // Literal text of the scalar: nothing in it is structure.
                return Ok(line_end(bytes, start));
            }
            self.scalar = None;
        }
        if blank {
            return Ok(start);
        }
        self.last_line = Some(start);
        while self.columns.last().is_some_and(|&c| c >= n) {
            self.columns.pop();
        }
        self.columns.push(n);
        // `- - - a`: each marker opens a sequence inside the one before.
        let mut j = content;
        while bytes.get(j) == Some(&b'-') && matches!(bytes.get(j + 1), None | Some(b' ' | b'\n')) {
            if self.columns.last().is_some_and(|&c| c < j - start) {
                self.columns.push(j - start);
            }
            if self.columns.len() > MAX_NESTING {
                return Err(j);
            }
            j += 1;
            while bytes.get(j) == Some(&b' ') {
                j += 1;
            }
        }
        if self.columns.len() > MAX_NESTING {
            return Err(content);
        }
        Ok(start)
    }
}

fn indent(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| b == b' ').count()
}

/// The end of the line at `start`: its `\n`, where the scan reads the next line.
fn line_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| start + p)
}

/// Whether a line ends with a block scalar indicator (`key: |`, `- >-`, `|2`), so the lines
/// indented under it are text.
fn opens_block_scalar(line: &[u8]) -> bool {
    let line = std::str::from_utf8(line).unwrap_or_default();
    let line = line.split(" #").next().unwrap_or_default().trim_end();
    let Some(token) = line.rsplit(' ').next() else {
        return false;
    };
    let mut chars = token.chars();
    let indicator = matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| c == '-' || c == '+' || c.is_ascii_digit());
    let before = line[..line.len() - token.len()].trim_end();
    indicator && (before.is_empty() || before.ends_with([':', '-', '?']))
}

/// The 1-based location of a byte offset in `text`.
pub fn location_of(text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Location {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

/// Renders the source line at `at` with a caret under the column, `just`-style. A long line is
/// cut to a window around the column, so a 1 MB line is not echoed whole.
pub fn caret(text: &str, at: Location) -> String {
    const WINDOW: usize = 120;
    let Some(source_line) = text.lines().nth(at.line.saturating_sub(1)) else {
        return String::new();
    };
    let chars: Vec<char> = source_line.chars().collect();
    let column = at.column.saturating_sub(1).min(chars.len());
    let (start, end) = if chars.len() <= WINDOW {
        (0, chars.len())
    } else {
        let start = column.saturating_sub(WINDOW / 2).min(chars.len() - WINDOW);
        (start, start + WINDOW)
    };
    let lead = if start > 0 { "…" } else { "" };
    let tail = if end < chars.len() { "…" } else { "" };
    let shown: String = chars[start..end].iter().collect();
    let number = at.line.to_string();
    let pad = " ".repeat(number.len());
    let indent: String = std::iter::once(lead)
        .filter(|l| !l.is_empty())
        .map(|_| ' ')
        .chain(
            chars[start..column]
                .iter()
                .map(|&c| if c == '\t' { '\t' } else { ' ' }),
        )
        .collect();
    format!("{pad} |\n{number} | {lead}{shown}{tail}\n{pad} | {indent}^")
}

/// `text` cut to at most `max` characters, with `…` where it was cut: for quoting source in
/// messages.
pub fn shorten(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_structural_brackets() {
        let ok =
            "message: 'a [[[[ b'\ntext: Error [MAIN BASE 1 500 %10] (14)\nlist: [[1], {a: [2]}]\n";
        assert_eq!(check_structure(ok), Ok(()));
    }

    #[test]
    fn rejects_deep_flow_nesting_with_its_location() {
        let deep = format!("host: a\nx: {}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            check_structure(&deep),
            Err(TextError::TooDeep {
                limit: MAX_NESTING,
                // The top-level mapping is one level: the 64th bracket is one too many.
                at: Location {
                    line: 2,
                    column: 3 + MAX_NESTING
                }
            })
        );
        let json = format!("{{\"x\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(matches!(
            check_structure(&json),
            Err(TextError::TooDeep { .. })
        ));
    }

    #[test]
    fn counts_block_nesting() {
        let ok = "a:\n  b:\n    - c\n    - - d\n      - e\nf: |\n  - - - - text, not structure\n";
        assert_eq!(check_structure(ok), Ok(()));
        let deep = format!("x:\n  {}a\n", "- ".repeat(200_000));
        assert_eq!(
            check_structure(&deep),
            Err(TextError::TooDeep {
                limit: MAX_NESTING,
                at: Location {
                    line: 2,
                    column: 3 + 2 * (MAX_NESTING - 1)
                }
            })
        );
        let stairs: String = (0..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(matches!(
            check_structure(&stairs),
            Err(TextError::TooDeep {
                at: Location { line: 65, .. },
                ..
            })
        ));
        // Block and flow nesting add up.
        let mixed = format!("{}{}", "- ".repeat(40), "[".repeat(30));
        assert!(matches!(
            check_structure(&mixed),
            Err(TextError::TooDeep { .. })
        ));
        // A block scalar's text is skipped however it is indented.
        let text = format!("t: >-\n{}\nu: 1\n", "  - - - - - - - - - - - - - -");
        assert_eq!(check_structure(&text), Ok(()));
    }

    #[test]
    fn counts_nodes() {
        let dense = format!("host: D\nx: [{}]\n", vec!["1"; MAX_YAML_NODES].join(","));
        assert!(matches!(
            check_structure(&dense),
            Err(TextError::TooManyNodes { .. })
        ));
        let lines = format!("host: D\nx:\n{}", "- a\n".repeat(MAX_YAML_NODES));
        assert!(matches!(
            check_structure(&lines),
            Err(TextError::TooManyNodes { .. })
        ));
        let fine = format!("host: D\nx:\n{}", "- {a: 1, b: 'x, y: z'}\n".repeat(15_000));
        assert_eq!(check_structure(&fine), Ok(()));
    }

    #[test]
    fn empty_and_invalid_bytes() {
        assert_eq!(
            text_from_bytes(b"  \n# only a comment\n"),
            Err(TextError::Empty)
        );
        assert_eq!(
            text_from_bytes(b"host: a\xff"),
            Err(TextError::NotUtf8 {
                offset: 7,
                at: Location { line: 1, column: 8 }
            })
        );
    }

    #[test]
    fn counts_alias_references() {
        let few = "a: &a [1]\nb: *a\nc: [*a, *a]\nnote: 2 * 3\n";
        assert_eq!(check_structure(few), Ok(()));
        let many = format!("a: &a [1]\nb: [{}]\n", vec!["*a"; 40].join(","));
        assert!(matches!(
            check_structure(&many),
            Err(TextError::TooManyAliases { .. })
        ));
    }

    #[test]
    fn caret_points_at_the_column() {
        let text = "a: 1\nbb: [x\n";
        let at = location_of(text, 9);
        assert_eq!(at, Location { line: 2, column: 5 });
        assert_eq!(caret(text, at), "  |\n2 | bb: [x\n  |     ^");
    }

    #[test]
    fn caret_on_a_long_line_shows_a_window() {
        let text = format!("x: {}!{}\n", "a".repeat(500_000), "b".repeat(500_000));
        let shown = caret(
            &text,
            Location {
                line: 1,
                column: 500_004,
            },
        );
        assert!(shown.len() < 400, "{}", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        let bang = lines[1].chars().position(|c| c == '!').unwrap();
        assert_eq!(lines[2].chars().position(|c| c == '^'), Some(bang));
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
