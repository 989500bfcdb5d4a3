//! An article's own text, once per report: in a brief text report each host gets what is its own
//! (status, findings, what to do with its paths) and a line saying where the rest is; the article's
//! explanation, the fix's note, contact, support costs, links and file table, its revision and
//! related articles are printed once, in the "Articles" section after the last host.
//!
//! Host texts are made on the worker threads, which cannot know what an earlier host already
//! needed; so a host's text carries its article texts marked ([`mark`]) and the calling thread,
//! which sees the hosts in input order, takes them out ([`Articles::host`]). A mark is
//! `RS kb US piece US text GS`: separators no text can hold, since every field of a report is
//! escaped ([`super::one_line`], [`super::paragraph`]) and control characters never pass.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

const START: char = '\u{1e}';
const FIELD: char = '\u{1f}';
const END: char = '\u{1d}';

/// The parts of an article's own text, in the order the "Articles" section shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Piece {
    /// The article's title, for the section's heading (never written in place: the host's
    /// diagnosis has it).
    Title,
    Explanation,
    Caveat,
    Contact,
    SupportCosts,
    Links,
    /// The fix's file table and what it says of the files.
    Files,
    /// Revision, last review, status.
    Article,
    SeeAlso,
    /// The end of a diagnosis: where the line naming what moved goes.
    End,
}

impl Piece {
    const ALL: [Piece; 10] = [
        Piece::Title,
        Piece::Explanation,
        Piece::Caveat,
        Piece::Contact,
        Piece::SupportCosts,
        Piece::Links,
        Piece::Files,
        Piece::Article,
        Piece::SeeAlso,
        Piece::End,
    ];

    fn code(self) -> char {
        (b'a' + Piece::ALL.iter().position(|p| *p == self).unwrap_or(0) as u8) as char
    }

    fn of(code: &str) -> Option<Piece> {
        let c = code.bytes().next()?.checked_sub(b'a')?;
        Piece::ALL.get(usize::from(c)).copied()
    }

    /// How the "Articles" section refers to a text it already showed for an earlier article.
    fn heading(self) -> &'static str {
        match self {
            Piece::Explanation => "The article's explanation of the cause",
            Piece::Caveat => "Note",
            Piece::SupportCosts => "Support costs",
            Piece::Links => "Links",
            Piece::Files => "Hotfix files",
            Piece::SeeAlso => "See also",
            _ => "",
        }
    }

    /// What the line left under the host calls it.
    fn label(self) -> &'static str {
        match self {
            Piece::Title | Piece::End => "",
            Piece::Explanation => "the explanation of the cause",
            Piece::Caveat => "the fix's note",
            Piece::Contact => "contact",
            Piece::SupportCosts => "support costs",
            Piece::Links => "links",
            Piece::Files => "file table",
            Piece::Article => "revision",
            Piece::SeeAlso => "see also",
        }
    }
}

/// Marks `text`, a piece of `kb`'s own text (whole lines), in a host's text.
pub(super) fn mark(out: &mut String, kb: &str, piece: Piece, text: &str) {
    out.push(START);
    out.push_str(kb);
    out.push(FIELD);
    out.push(piece.code());
    out.push(FIELD);
    out.push_str(text);
    out.push(END);
}

/// The articles' texts a report has printed so far, each as the first host that needed it had it.
/// At most one of each piece per loaded rule: bounded by the rules, not by the hosts.
#[derive(Debug, Default)]
pub struct Articles {
    /// Article ids, in the order first needed.
    order: Vec<String>,
    pieces: HashMap<String, BTreeMap<Piece, String>>,
}

impl Articles {
    /// A host's text as it is printed: each piece of an article's own text already in the
    /// "Articles" section (the same text, word for word) left out, and a line saying where it is;
    /// a piece that differs (an article's text naming this host's own paths) stays in place.
    /// Text without marks (`--detail full`, an unreadable input) is returned as it is.
    pub fn host(&mut self, text: &str) -> String {
        if !text.contains(START) {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut moved: Vec<Piece> = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find(START) {
            out.push_str(&rest[..at]);
            let marked = &rest[at + START.len_utf8()..];
            let Some(end) = marked.find(END) else {
                // Not a mark this module made; never happens, but nothing is dropped.
                out.push_str(marked);
                rest = "";
                break;
            };
            rest = &marked[end + END.len_utf8()..];
            let mut fields = marked[..end].splitn(3, FIELD);
            let (kb, piece, body) = match (
                fields.next(),
                fields.next().and_then(Piece::of),
                fields.next(),
            ) {
                (Some(kb), Some(piece), Some(body)) => (kb, piece, body),
                _ => continue,
            };
            match piece {
                Piece::End => {
                    if !moved.is_empty() {
                        let labels: Vec<&str> = moved.iter().map(|p| p.label()).collect();
                        let _ = writeln!(
                            out,
                            "    In \"Articles\" below, under {kb}: {}.",
                            and_list(&labels)
                        );
                        moved.clear();
                    }
                }
                Piece::Title => {
                    let pieces = self.pieces.entry(kb.to_owned()).or_default();
                    pieces
                        .entry(Piece::Title)
                        .or_insert_with(|| body.to_owned());
                }
                piece => {
                    let pieces = self.pieces.entry(kb.to_owned()).or_default();
                    if !pieces.keys().any(|p| *p != Piece::Title) {
                        self.order.push(kb.to_owned());
                    }
                    match pieces.get(&piece) {
                        None => {
                            pieces.insert(piece, body.to_owned());
                            moved.push(piece);
                        }
                        Some(first) if first == body => moved.push(piece),
                        Some(_) => out.push_str(body),
                    }
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The "Articles" section: each article a host needed, its own text once. Empty when no
    /// host needed one.
    pub fn section(&self) -> String {
        let mut out = String::new();
        if self.order.is_empty() {
            return out;
        }
        out.push_str(
            "Articles (each article's own text, once; --detail full repeats it under each host):\n",
        );
        // Articles share texts word for word (the support-costs paragraph of most hotfix
        // articles): a long one is shown once here too.
        let mut shown: HashMap<(Piece, String), &str> = HashMap::new();
        for kb in &self.order {
            let Some(pieces) = self.pieces.get(kb) else {
                continue;
            };
            let title = pieces.get(&Piece::Title).map_or("", |t| t.as_str());
            let _ = writeln!(out, "  {kb} {title}");
            for (piece, text) in pieces {
                if *piece == Piece::Title {
                    continue;
                }
                let mut body = String::new();
                reindent(&mut body, text, 4);
                let heading = piece.heading();
                if heading.is_empty() || body.len() < SHARED {
                    out.push_str(&body);
                } else if let Some(first) = shown.get(&(*piece, body.clone())) {
                    let _ = writeln!(out, "    {heading}: as under {first} above.");
                } else {
                    out.push_str(&body);
                    shown.insert((*piece, body), kb);
                }
            }
        }
        out
    }
}

/// How long a text two articles share must be to be shown once in the "Articles" section: a
/// shorter one (a contact's address) is no longer than the line referring to it.
const SHARED: usize = 120;

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `text`'s lines, its first line moved to `indent` spaces and the others by as much.
fn reindent(out: &mut String, text: &str, indent: usize) {
    let leading = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let first = text.lines().next().map_or(0, leading);
    for l in text.lines() {
        let strip = leading(l).min(first);
        let _ = writeln!(out, "{}{}", " ".repeat(indent), &l[strip..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piece_is_printed_once_and_a_different_one_where_it_is() {
        let mut a = Articles::default();
        let host = |contact: &str| {
            let mut t = String::from("H\n  KB1 AFFECTED: T\n");
            mark(&mut t, "KB1", Piece::Title, "T");
            mark(
                &mut t,
                "KB1",
                Piece::Contact,
                &format!("      Contact: {contact}\n"),
            );
            t.push_str("      1. a step\n");
            mark(&mut t, "KB1", Piece::End, "");
            t
        };
        assert_eq!(
            a.host(&host("x")),
            "H\n  KB1 AFFECTED: T\n      1. a step\n    In \"Articles\" below, under KB1: contact.\n"
        );
        assert_eq!(
            a.host(&host("x")),
            "H\n  KB1 AFFECTED: T\n      1. a step\n    In \"Articles\" below, under KB1: contact.\n"
        );
        // Another text for the same piece is this host's: it stays, and nothing moved.
        assert_eq!(
            a.host(&host("y")),
            "H\n  KB1 AFFECTED: T\n      Contact: y\n      1. a step\n"
        );
        assert_eq!(
            a.section(),
            "Articles (each article's own text, once; --detail full repeats it under each host):\n  KB1 T\n    Contact: x\n"
        );
    }

    #[test]
    fn a_long_text_two_articles_share_is_shown_once() {
        let mut a = Articles::default();
        let costs = format!("      Support costs: {}\n", "charges ".repeat(20));
        let mut t = String::new();
        for kb in ["KB1", "KB2"] {
            mark(&mut t, kb, Piece::Title, kb);
            mark(&mut t, kb, Piece::Contact, "      Contact: x\n");
            mark(&mut t, kb, Piece::SupportCosts, &costs);
            mark(&mut t, kb, Piece::End, "");
        }
        a.host(&t);
        let section = a.section();
        assert_eq!(
            section.matches("Support costs: charges").count(),
            1,
            "{section}"
        );
        assert_eq!(section.matches("Contact: x").count(), 2, "{section}");
        assert!(
            section
                .ends_with("  KB2 KB2\n    Contact: x\n    Support costs: as under KB1 above.\n"),
            "{section}"
        );
    }

    #[test]
    fn text_without_marks_is_unchanged_and_adds_no_section() {
        let mut a = Articles::default();
        assert_eq!(
            a.host("H (f)\n  KB1 AFFECTED: T\n"),
            "H (f)\n  KB1 AFFECTED: T\n"
        );
        assert_eq!(a.section(), "");
    }

    #[test]
    fn and_list_joins_as_english_does() {
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
