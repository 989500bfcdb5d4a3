//! The fast path for JSON fact documents of the usual shape, without serde's machinery: the
//! document is read in one pass, and a list in one more when a rule first reads it.
//!
//! It answers `None` for anything unusual — an error of any kind, an unknown top-level key, a
//! negative or fractional number, an escaped surrogate, a key given twice — and the caller reads
//! the document with serde_json, which gives the same facts or the located error. So the
//! invariant is one-sided: whenever this reader returns facts, serde_json's reading returns the
//! same facts (checked by `tests/fast_facts.rs` and the `facts_fast` fuzz target). The lists and
//! maps a rule reads (`files`, `events`, `registry`…) are checked by a validating skip and kept as
//! text until a rule first reads them; the rarely used `collector` is handed to serde_json whole.

use std::collections::BTreeMap;

use compact_str::{CompactString, ToCompactString};
use serde::de::DeserializeOwned;

use super::{Env, Event, Facts, FileEntry, Lazy, LazyState, Os, Software, Text};
use crate::scan::{mask16, stop};

mod skip;

/// The facts of a JSON document, or `None` when the full reader must decide.
pub fn read(text: &str) -> Option<Facts> {
    let mut p = Reader {
        text,
        b: text.as_bytes(),
        i: 0,
    };
    let facts = p.document()?;
    p.ws();
    (p.i == p.b.len()).then_some(facts)
}

/// A list (or map) type the fast reader can parse from its raw JSON text.
pub trait FastParse: Sized {
    /// The value, or `None` when serde_json must decide (and explain an error).
    fn fast_parse(_json: &str) -> Option<Self> {
        None
    }
}

fn parse_list<'a, T>(
    json: &'a str,
    entry: impl FnMut(&mut Reader<'a>) -> Option<T>,
) -> Option<Vec<T>> {
    let mut p = Reader {
        text: json,
        b: json.as_bytes(),
        i: 0,
    };
    // A list kept raw starts with `[`: it is never `null`. Room for an entry per 64 bytes, about
    // a file's or an event's size, saves growing the list entry by entry; at most 1,024, so that
    // a long text in few entries does not reserve many times its size.
    let items = p.list((json.len() / 64).min(1024), entry)??;
    p.ws();
    (p.i == p.b.len()).then_some(items)
}

impl FastParse for Vec<Text> {
    fn fast_parse(json: &str) -> Option<Self> {
        parse_list(json, Reader::text)
    }
}
impl FastParse for Vec<Software> {
    fn fast_parse(json: &str) -> Option<Self> {
        parse_list(json, Reader::software)
    }
}
impl FastParse for Vec<FileEntry> {
    fn fast_parse(json: &str) -> Option<Self> {
        parse_list(json, Reader::file)
    }
}
impl FastParse for Vec<Event> {
    fn fast_parse(json: &str) -> Option<Self> {
        parse_list(json, Reader::event)
    }
}
impl FastParse for super::Registry {}
impl FastParse for Vec<super::ReportedSymptom> {}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Nesting a skipped value may have here; deeper goes to serde_json, which has no limit there.
const MAX_SKIP_DEPTH: usize = 64;

/// Four hexadecimal digits (no sign, which `from_str_radix` would take).
fn hex_code(hex: &str) -> Option<u32> {
    hex.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| u32::from_str_radix(hex, 16).ok())?
}

impl<'a> Reader<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        // Compact JSON has no whitespace between tokens: one test for the usual case.
        match self.b.get(self.i) {
            Some(&c) if c > b' ' => Some(c),
            _ => {
                self.ws();
                self.b.get(self.i).copied()
            }
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// [`Self::eat`] a key's colon, inlined where it comes at once, as in compact JSON.
    #[inline(always)]
    fn colon(&mut self) -> Option<()> {
        if self.b.get(self.i) == Some(&b':') {
            self.i += 1;
            return Some(());
        }
        self.eat(b':')
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// The bytes up to the next quote, backslash or control character (which ends the string,
    /// starts an escape, or is an error).
    #[inline(always)]
    fn plain_run(&mut self) -> Option<&'a str> {
        let start = self.i;
        // A key or a short value ends within sixteen bytes: one load, no loop.
        self.i = start
            + match mask16(self.b, start) {
                Some(stops @ 1..) => stops.trailing_zeros() as usize,
                _ => stop(self.b.get(start..)?)?,
            };
        // Only ASCII bytes stop the scan, so both ends are character boundaries.
        self.text.get(start..self.i)
    }

    /// A string, its escapes resolved. Whitespace before it is skipped. Most fact strings are
    /// short enough to be kept inline, without an allocation.
    fn string(&mut self) -> Option<CompactString> {
        self.eat(b'"')?;
        let run = self.plain_run()?;
        if self.b[self.i] == b'"' {
            self.i += 1;
            return Some(run.into());
        }
        let mut out = String::with_capacity(run.len() + 32);
        out.push_str(run);
        loop {
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(out.into());
                }
                b'\\' => {
                    out.push(self.escape()?);
                    out.push_str(self.plain_run()?);
                }
                _ => return None,
            }
        }
    }

    /// The character an escape (at its backslash) stands for, stepping over it; `None` for an
    /// invalid escape and for an escaped surrogate (half of a pair: left to serde_json).
    fn escape(&mut self) -> Option<char> {
        let c = match *self.b.get(self.i + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let c = char::from_u32(hex_code(self.text.get(self.i + 2..self.i + 6)?)?)?;
                self.i += 4;
                c
            }
            _ => return None,
        };
        self.i += 2;
        Some(c)
    }

    /// A key without escapes, and its colon (a key with escapes goes to serde_json).
    #[inline(always)]
    fn key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let key = self.plain_run()?;
        (self.b[self.i] == b'"').then_some(())?;
        self.i += 1;
        self.colon()?;
        Some(key)
    }

    /// A non-negative integer as serde_json reads it into an `i64` (no sign, no leading zero,
    /// no fraction or exponent, at most 18 digits).
    fn integer(&mut self) -> Option<i64> {
        self.ws();
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.text[start..self.i];
        let leading_zero = digits.len() > 1 && digits.starts_with('0');
        let fraction = matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'));
        if digits.is_empty() || digits.len() > 18 || leading_zero || fraction {
            return None;
        }
        // At most 18 digits: no overflow, and no sign for `parse` to look for.
        Some(digits.bytes().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    }

    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    /// `Option<i64>`.
    fn opt_integer(&mut self) -> Option<Option<i64>> {
        if self.null() {
            return Some(None);
        }
        self.integer().map(Some)
    }

    /// A [`Text`]: a string, a non-negative integer or a boolean.
    fn text(&mut self) -> Option<Text> {
        match self.peek()? {
            b'"' => self.string().map(Text),
            b't' => self.literal(b"true").map(|()| Text("true".into())),
            b'f' => self.literal(b"false").map(|()| Text("false".into())),
            b'0'..=b'9' => self.integer().map(|n| Text(n.to_compact_string())),
            _ => None,
        }
    }

    /// `Option<Text>`.
    fn opt_text(&mut self) -> Option<Option<Text>> {
        if self.null() {
            return Some(None);
        }
        self.text().map(Some)
    }

    /// The next value, checked by the skip, then read by serde_json on its own.
    fn delegate<T: DeserializeOwned>(&mut self) -> Option<T> {
        self.ws();
        let start = self.i;
        self.skip()?;
        serde_json::from_str(self.text.get(start..self.i)?).ok()
    }

    /// A list, `Some(None)` for `null`, or `None` for anything else.
    fn list<T>(
        &mut self,
        room: usize,
        mut entry: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Option<Vec<T>>> {
        if self.null() {
            return Some(None);
        }
        self.eat(b'[')?;
        let mut items = Vec::with_capacity(room);
        if self.eat(b']').is_none() {
            loop {
                items.push(entry(self)?);
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        Some(Some(items))
    }

    /// An object's fields: `field` reads the value of a key and says whether it knew the key
    /// (by its index, so that a key given twice is refused as serde's derive refuses it).
    fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &str) -> Option<Option<usize>>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut seen = 0u64;
        loop {
            let key = self.key()?;
            match field(self, key)? {
                Some(bit) => {
                    if seen & (1 << bit) != 0 {
                        return None;
                    }
                    seen |= 1 << bit;
                }
                // An unknown key of an entry is skipped by serde's derive; it must still be JSON.
                None => self.skip()?,
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn document(&mut self) -> Option<Facts> {
        let mut f = Facts::default();
        let mut host = None;
        self.object(|p, key| {
            let bit = match key {
                "host" => {
                    host = Some(p.text()?);
                    0
                }
                "collected" => {
                    f.collected = p.opt_text()?;
                    1
                }
                "os" => {
                    f.os = p.os()?;
                    2
                }
                "env" => {
                    f.env = p.env()?;
                    3
                }
                "hotfixes" => {
                    f.hotfixes = p.raw("hotfixes", b'[')?;
                    4
                }
                "software" => {
                    f.software = p.raw("software", b'[')?;
                    5
                }
                "files" => {
                    f.files = p.raw("files", b'[')?;
                    6
                }
                "registry" => {
                    f.registry = p.raw("registry", b'{')?;
                    7
                }
                "events" => {
                    f.events = p.raw("events", b'[')?;
                    8
                }
                "reported_errors" => {
                    f.reported_errors = p.raw("reported_errors", b'[')?;
                    9
                }
                "reported_symptoms" => {
                    f.reported_symptoms = p.raw("reported_symptoms", b'[')?;
                    10
                }
                "collector" => {
                    f.collector = p.delegate()?;
                    11
                }
                "event_logs" => {
                    f.event_logs = p.raw("event_logs", b'[')?;
                    12
                }
                // An unknown key of the document goes to the full reader, which checks the
                // nesting of what it skips.
                _ => return None,
            };
            Some(Some(bit))
        })?;
        f.host = host?;
        Some(f)
    }

    /// A list or map kept as checked text until a rule reads it (`null` is absent). `open` is
    /// the bracket it must start with: any other value goes to the full reader for its error.
    fn raw<T>(&mut self, key: &'static str, open: u8) -> Option<Lazy<T>> {
        if self.null() {
            return Some(Lazy(LazyState::Absent));
        }
        if self.peek()? != open {
            return None;
        }
        let start = self.i;
        self.skip()?;
        Some(Lazy::raw(key, self.text.get(start..self.i)?))
    }

    fn os(&mut self) -> Option<Option<Os>> {
        if self.null() {
            return Some(None);
        }
        let mut os = Os::default();
        self.object(|p, key| {
            Some(Some(match key {
                "name" => {
                    os.name = p.opt_text()?;
                    0
                }
                "edition" => {
                    os.edition = p.opt_text()?;
                    1
                }
                "version" => {
                    os.version = p.opt_text()?;
                    2
                }
                "build" => {
                    os.build = p.opt_integer()?;
                    3
                }
                "service_pack" => {
                    os.service_pack = p.opt_text()?;
                    4
                }
                "cipher_bits" => {
                    os.cipher_bits = p.cipher_bits()?;
                    5
                }
                _ => return Some(None),
            }))
        })?;
        Some(Some(os))
    }

    /// Environment variables; a name given twice, in any case, goes to serde_json's error.
    fn env(&mut self) -> Option<Option<Env>> {
        if self.null() {
            return Some(None);
        }
        let mut env: BTreeMap<String, Text> = BTreeMap::new();
        // Names as `eq_ignore_case` compares them (their lowercase), looked up in one step:
        // comparing each name with every earlier one took over 30 s of CPU for 20,000 names.
        let mut names = std::collections::HashSet::new();
        self.eat(b'{')?;
        if self.eat(b'}').is_none() {
            loop {
                let key = self.key()?;
                if !names.insert(key.to_lowercase()) {
                    return None;
                }
                env.insert(key.to_owned(), self.text()?);
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        Some(Some(Env(env)))
    }

    /// `cipher_bits`: 40, 56, 128 or `null`.
    fn cipher_bits(&mut self) -> Option<Option<i64>> {
        let bits = self.opt_integer()?;
        if bits.is_some_and(|b| !super::CIPHER_BITS.contains(&b)) {
            return None;
        }
        Some(bits)
    }

    fn software(&mut self) -> Option<Software> {
        let mut s = Software::default();
        self.object(|p, key| {
            Some(Some(match key {
                "name" => {
                    s.name = p.opt_text()?;
                    0
                }
                "version" => {
                    s.version = p.opt_text()?;
                    1
                }
                _ => return Some(None),
            }))
        })?;
        Some(s)
    }

    fn file(&mut self) -> Option<FileEntry> {
        let mut f = FileEntry::default();
        let mut path = None;
        self.object(|p, key| {
            Some(Some(match key {
                "path" => {
                    path = Some(p.text()?);
                    0
                }
                "size" => {
                    f.size = p.opt_integer()?;
                    1
                }
                "modified" => {
                    let t = p.opt_text()?;
                    f.modified = match t {
                        None => None,
                        Some(t) => Some(Text(
                            crate::facts::values::utc_time(t.as_str()).ok()?.into(),
                        )),
                    };
                    2
                }
                "version" => {
                    f.version = p.opt_text()?;
                    3
                }
                "cipher_bits" => {
                    f.cipher_bits = p.cipher_bits()?;
                    4
                }
                // `true`, `false` or `null`; anything else goes to serde_json for its error.
                "exists" => {
                    f.exists = match p.peek()? {
                        b'n' => p.literal(b"null").map(|()| None)?,
                        b't' => p.literal(b"true").map(|()| Some(true))?,
                        b'f' => p.literal(b"false").map(|()| Some(false))?,
                        _ => return None,
                    };
                    5
                }
                _ => return Some(None),
            }))
        })?;
        f.path = path?;
        Some(f)
    }

    fn event(&mut self) -> Option<Event> {
        let mut e = Event::default();
        self.object(|p, key| {
            Some(Some(match key {
                "log" => {
                    e.log = p.opt_text()?;
                    0
                }
                "source" => {
                    e.source = p.opt_text()?;
                    1
                }
                "id" => {
                    e.id = p.opt_integer()?;
                    2
                }
                "type" => {
                    e.kind = p.opt_text()?;
                    3
                }
                "category" => {
                    e.category = p.opt_text()?;
                    4
                }
                "time" => {
                    e.time = p.opt_text()?;
                    5
                }
                "message" => {
                    e.message = p.opt_text()?;
                    6
                }
                "qualifiers" => {
                    e.qualifiers = p.opt_integer()?;
                    7
                }
                "category_number" => {
                    e.category_number = p.opt_integer()?;
                    8
                }
                "record" => {
                    e.record = p.opt_integer()?;
                    9
                }
                "computer" => {
                    e.computer = p.opt_text()?;
                    10
                }
                "strings" => {
                    e.strings = p.list(0, Self::text)?;
                    11
                }
                "user" => {
                    e.user = p.opt_text()?;
                    12
                }
                _ => return Some(None),
            }))
        })?;
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::Reader;

    /// The string skip answers what stepping over each escape answers — where the string ends,
    /// or that it is refused — on random strings dense with backslashes, quotes, escape letters
    /// and control characters, at every length around the sixteen-byte steps.
    #[test]
    fn the_string_skip_agrees_with_stepping_escape_by_escape() {
        // Backslashes and letters that may follow one are common; a control character is rare.
        const PIECES: &[&str] = &[
            "\\", "\\", "\\", "\\", "\\", "\"", "/", "b", "f", "n", "r", "t", "u", "0", "a", "F",
            "9", "x", "Z", " ", "é", "\u{1}",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut ends = 0;
        for _ in 0..200_000 {
            let len = (next() % 80) as usize;
            let mut text = String::from("\"");
            for _ in 0..len {
                text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let run = |step: fn(&mut Reader) -> Option<()>| {
                let mut r = Reader {
                    text: &text,
                    b: text.as_bytes(),
                    i: 0,
                };
                step(&mut r).map(|()| r.i)
            };
            let expect = run(|r| r.skip_string_stepwise());
            ends += usize::from(expect.is_some());
            assert_eq!(run(|r| r.skip_string()), expect, "{text:?}");
        }
        // Both answers are common.
        assert!(ends > 20_000, "only {ends} strings ended");
    }
}
