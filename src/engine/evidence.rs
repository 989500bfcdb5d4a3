//! What a condition records as it runs (facts read, events and errors matched, facts missing),
//! kept so that no host or rule can make it large: each entry once, at most [`MAX_ENTRIES`] kept,
//! each cut to [`MAX_CHARS`] characters, and the distinct entries left out counted, so the report
//! says what it does not show. Adding an entry costs the same whatever was recorded before it
//! (56,678 matching events were de-duplicated with `Vec::contains`, in 29.6 s).

use crate::numbers::thousands;
use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Entries one list keeps; the rest are counted.
pub const MAX_ENTRIES: usize = 100;
/// Characters one entry keeps. An event's evidence, with its 320-character excerpt of the
/// message, fits.
pub const MAX_CHARS: usize = 600;

thread_local! {
    // Hashes stand for the entries left out, so they must not collide: random keys, so that facts
    // cannot be written to collide. Lists are merged on the thread that made them.
    static HASHER: RandomState = RandomState::new();
}

fn hash(text: &str) -> u64 {
    HASHER.with(|h| h.hash_one(text))
}

/// The hashes of a long list's entries. They are keyed at random already ([`hash`]), so the set
/// takes them as they are.
type Hashes = HashSet<u64, BuildHasherDefault<AsIs>>;

#[derive(Default)]
struct AsIs(u64);

impl Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A list of distinct entries, bounded; see the module's documentation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entries {
    kept: Vec<Kept>,
    /// Once more than [`SMALL`] entries are kept, the hash of every entry recorded (kept or
    /// not): finding one then costs the same however many there are. A short list (every
    /// condition's, nearly) is compared text by text and hashes nothing.
    /// Boxed, as few lists grow past SMALL: a short list is small to move and free to make.
    hashes: Option<Box<Hashes>>,
    /// The distinct entries recorded past [`MAX_ENTRIES`].
    left_out: usize,
}

/// Entries compared text by text.
const SMALL: usize = 8;

#[derive(Debug, Clone, PartialEq)]
struct Kept {
    text: String,
    /// The hash of the whole entry, when `text` is its beginning only.
    cut: Option<u64>,
}

impl Kept {
    fn hash(&self) -> u64 {
        self.cut.unwrap_or_else(|| hash(&self.text))
    }
}

/// An entry as it is kept: whole, or its first [`MAX_CHARS`] characters and its hash.
enum Form {
    Whole,
    Cut { at: usize, hash: u64 },
}

fn form(item: &str) -> Form {
    // A text of at most MAX_CHARS bytes has at most as many characters: no need to count them.
    if item.len() <= MAX_CHARS {
        return Form::Whole;
    }
    match item.char_indices().nth(MAX_CHARS) {
        None => Form::Whole,
        Some((at, _)) => Form::Cut {
            at,
            hash: hash(item),
        },
    }
}

impl Entries {
    pub fn new() -> Entries {
        Entries::default()
    }

    fn hashed(&self) -> bool {
        self.hashes.is_some()
    }

    fn hashes(&mut self) -> &mut Hashes {
        self.hashes.get_or_insert_with(Default::default)
    }

    /// Records `item` unless it is there already; whether it was new.
    pub fn push(&mut self, item: String) -> bool {
        match form(&item) {
            Form::Whole => {
                if self.hashed() {
                    let h = hash(&item);
                    return self.add(
                        Kept {
                            text: item,
                            cut: None,
                        },
                        h,
                    );
                }
                if self.kept.iter().any(|k| k.cut.is_none() && k.text == item) {
                    return false;
                }
                self.keep(Kept {
                    text: item,
                    cut: None,
                });
                true
            }
            Form::Cut { at, hash } => {
                let total = item.chars().count();
                let mut text = item;
                text.truncate(at);
                text.push_str(&format!(
                    "… ({} more characters)",
                    thousands(total - MAX_CHARS)
                ));
                self.push_kept(Kept {
                    text,
                    cut: Some(hash),
                })
            }
        }
    }

    /// Records an entry as it is kept (cut or whole).
    fn push_kept(&mut self, kept: Kept) -> bool {
        if self.hashed() {
            let h = kept.hash();
            return self.add(kept, h);
        }
        let known = match kept.cut {
            None => self
                .kept
                .iter()
                .any(|k| k.cut.is_none() && k.text == kept.text),
            Some(h) => self.kept.iter().any(|k| k.cut == Some(h)),
        };
        if !known {
            self.keep(kept);
        }
        !known
    }

    /// Keeps a new entry of a short list, hashing them all once it is no longer short.
    fn keep(&mut self, kept: Kept) {
        self.kept.push(kept);
        if self.kept.len() > SMALL {
            self.hashes = Some(Box::new(self.kept.iter().map(Kept::hash).collect()));
        }
    }

    /// Records an entry of a hashed list, known by `hash`.
    fn add(&mut self, kept: Kept, hash: u64) -> bool {
        if !self.hashes().insert(hash) {
            return false;
        }
        if self.kept.len() < MAX_ENTRIES {
            self.kept.push(kept);
        } else {
            self.left_out += 1;
        }
        true
    }

    /// Whether `item` is recorded (kept or counted).
    pub fn contains(&self, item: &str) -> bool {
        match form(item) {
            Form::Whole => match &self.hashes {
                Some(hashes) => hashes.contains(&hash(item)),
                None => self.kept.iter().any(|k| k.cut.is_none() && k.text == item),
            },
            Form::Cut { hash, .. } => {
                self.hashes.as_ref().is_some_and(|h| h.contains(&hash))
                    || self.kept.iter().any(|k| k.cut == Some(hash))
            }
        }
    }

    /// Records every entry of `other` that is not here already.
    pub fn extend(&mut self, other: Entries) {
        // Into an empty list, `other` is what recording its entries one by one would make: its
        // entries are distinct, and its hashes are those of its kept and left-out entries. A
        // condition's first part nearly always comes here.
        if self.kept.is_empty() && self.left_out == 0 && self.hashes.is_none() {
            *self = other;
            return;
        }
        // The hashes of what `other` left out: all its hashes but its kept entries'.
        let mut left_out = match other.hashes {
            Some(hashes) if other.left_out > 0 => *hashes,
            _ => Hashes::default(),
        };
        if !left_out.is_empty() {
            for k in &other.kept {
                left_out.remove(&k.hash());
            }
        }
        for k in other.kept {
            self.push_kept(k);
        }
        if left_out.is_empty() {
            return;
        }
        if !self.hashed() {
            // Only a list past MAX_ENTRIES has entries left out, so this one is about to be long.
            self.hashes = Some(Box::new(self.kept.iter().map(Kept::hash).collect()));
        }
        let hashes = self.hashes();
        let mut new = 0;
        for h in left_out {
            if hashes.insert(h) {
                new += 1;
            }
        }
        self.left_out += new;
    }

    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The distinct entries recorded, kept or not.
    pub fn len(&self) -> usize {
        self.kept.len() + self.left_out
    }

    /// The distinct entries recorded and not kept.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// The entries kept, in the order they came.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.kept.iter().map(|k| k.text.as_str())
    }

    pub fn clear(&mut self) {
        self.kept.clear();
        self.hashes = None;
        self.left_out = 0;
    }

    /// The entries kept, then a last one counting the `noun` left out, if any were.
    pub fn into_vec(self, noun: &str) -> Vec<String> {
        let more = self.left_out;
        let mut out: Vec<String> = self.kept.into_iter().map(|k| k.text).collect();
        if more > 0 {
            out.push(format!(
                "… and {} more {noun}, left out (at most {MAX_ENTRIES} are shown)",
                thousands(more)
            ));
        }
        out
    }
}

impl FromIterator<String> for Entries {
    fn from_iter<I: IntoIterator<Item = String>>(items: I) -> Entries {
        let mut entries = Entries::new();
        for item in items {
            entries.push(item);
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_distinct_bounded_and_counted() {
        let mut e = Entries::new();
        for round in 0..3 {
            for i in 0..1000 {
                assert_eq!(e.push(format!("event {i}")), round == 0, "{i}");
            }
        }
        assert_eq!((e.len(), e.left_out()), (1000, 900));
        assert!(e.contains("event 5") && e.contains("event 999") && !e.contains("event 1000"));
        let shown = e.into_vec("events");
        assert_eq!(shown.len(), MAX_ENTRIES + 1);
        assert_eq!(shown[99], "event 99");
        assert_eq!(
            shown[100],
            "… and 900 more events, left out (at most 100 are shown)"
        );
    }

    #[test]
    fn long_entries_are_cut_and_still_told_apart() {
        let long = |c: char| format!("{}{c}", "é".repeat(5000));
        let mut e = Entries::new();
        assert!(e.push(long('a')));
        assert!(e.push(long('b')), "the same beginning, another entry");
        assert!(!e.push(long('a')));
        let shown = e.into_vec("facts");
        assert_eq!(shown.len(), 2);
        assert!(shown[0].starts_with(&"é".repeat(MAX_CHARS)));
        assert!(
            shown[0].ends_with("… (4,401 more characters)"),
            "{}",
            shown[0]
        );
    }

    #[test]
    fn merging_counts_each_entry_once() {
        let a: Entries = (0..150).map(|i| format!("x{i}")).collect();
        let b: Entries = (100..300).map(|i| format!("x{i}")).collect();
        let mut all = a.clone();
        all.extend(b);
        assert_eq!((all.len(), all.left_out()), (300, 200));
        // Into an empty list, a merge is the list itself, its count of those left out too.
        let mut into_empty = Entries::new();
        into_empty.extend(all.clone());
        assert_eq!(into_empty, all);
        into_empty.extend((250..350).map(|i| format!("x{i}")).collect());
        assert_eq!((into_empty.len(), into_empty.left_out()), (350, 250));
        let mut again = all.clone();
        again.extend(a);
        assert_eq!(again, all);
    }
}
