//! Conditions shared across rules, evaluated once per host. An expression that reads only the
//! host's facts gives the same value, reads and matches in every rule that writes it the same
//! way (the thirty articles of the NT 4.0 family test "Windows NT", "4.0" and SP6a's Q246009
//! each in the same words): the first rule to evaluate it on a host keeps the outcome, and the
//! others take it, charged the operations it cost, so a rule's budget counts them as before.
//! Likewise the host's files and registry values are indexed by the key paths compare by, once
//! per host, for every rule's lookups ([`Index`]).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::engine::matching::{path_key, registry_key};
use crate::engine::probe::scan_cost;
use crate::engine::script::{Trace, Value};
use crate::facts::{FileEntry, Registry};

/// Whether an expression's outcome on a host is the same in every rule. Not for those that
/// read the rule's own file table or fix (`file_bits`, `.bits`, `fixed_file`, `fix_installed`),
/// nor for those that could call one by a name made at run time (`Fn(…)`, `call`).
pub fn shareable(expr: &str) -> bool {
    !["bits", "fixed_file", "fix_installed", "Fn", "call"]
        .iter()
        .any(|name| expr.contains(name))
}

/// FNV-1a: the keys are short texts (an expression, a path, one line's texts in `report::brief`),
/// and SipHash's set-up is most of hashing one.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A hasher for longer texts (a line's evidence in `report::brief`): eight bytes a step, with
/// FxHash's mixing, where [`Fnv`] takes one.
#[derive(Default)]
pub(crate) struct Words(u64);

impl Hasher for Words {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h = mix(h, u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            h = mix(h, u64::from_le_bytes(last));
        }
        self.0 = h;
    }
}

/// One shared expression's outcome on the bound host, and the operations it cost.
#[derive(Clone)]
pub(crate) struct Kept {
    pub(crate) value: Value,
    pub(crate) trace: Trace,
    pub(crate) operations: u64,
}

/// The expressions shared by several rules ([`Memo::share`]), each by the number it was given
/// when the rules loaded, with its outcome on the host it was last evaluated on.
#[derive(Default)]
pub(crate) struct Memo {
    /// The number of each shared expression, by its text.
    slots: FnvMap<Box<str>, u32>,
    kept: Vec<Option<(u64, Kept)>>,
    /// The bound host's number: an outcome of another host's is not this one's.
    host: u64,
}

/// What [`Memo::look`] found for an expression.
pub(crate) enum Found<'m> {
    /// Its outcome on the bound host.
    Kept(&'m Kept),
    /// Shared, not yet evaluated on the bound host.
    Shared,
    /// Written by one rule only, or reading the rule's own table or fix: evaluated every time.
    Own,
}

impl Memo {
    /// Keeps `expr`'s outcome on each host from now on, if it is [`shareable`]: for an
    /// expression that more than one rule (or one rule more than once) writes. Its number, the
    /// same for every node that writes it, is what [`Memo::look`] takes.
    pub(crate) fn share(&mut self, expr: &str) -> Option<u32> {
        if !shareable(expr) {
            return None;
        }
        let next = self.kept.len() as u32;
        let slot = *self.slots.entry(expr.into()).or_insert(next);
        if slot == next {
            self.kept.push(None);
        }
        Some(slot)
    }

    /// Another host is bound.
    pub(crate) fn next_host(&mut self) {
        self.host += 1;
    }

    /// The number [`Memo::share`] gave `expr`, if it is shared.
    pub(crate) fn slot(&self, expr: &str) -> Option<u32> {
        self.slots.get(expr).copied()
    }

    pub(crate) fn look(&self, slot: Option<u32>) -> Found<'_> {
        match slot.and_then(|s| self.kept.get(s as usize)) {
            Some(Some((host, kept))) if *host == self.host => Found::Kept(kept),
            Some(_) => Found::Shared,
            None => Found::Own,
        }
    }

    pub(crate) fn keep(&mut self, slot: u32, kept: Kept) {
        if let Some(at) = self.kept.get_mut(slot as usize) {
            *at = Some((self.host, kept));
        }
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// The bound host's `files` and `registry` by the keys lookups compare (`path_key`,
/// `registry_key`), each made when a helper first looks one up on the host. What a lookup finds
/// is what a walk of the list finds; only the walk is saved (the budget is charged for the walk).
#[derive(Default)]
pub(crate) struct Index {
    files: Option<FnvMap<String, Vec<usize>>>,
    registry: Option<FnvMap<String, String>>,
    /// Lookups so far on the bound host: the first [`Index::walks`] walk the list, which costs
    /// less than indexing it for a rule or two.
    file_lookups: u32,
    registry_lookups: u32,
    /// What a walk found, as the index gives it.
    walked: Vec<usize>,
    /// What a walk of each list costs ([`scan_cost`]): charged for every lookup, walked or not,
    /// so a rule's budget does not depend on what other rules looked up first.
    files_cost: Option<usize>,
    registry_cost: Option<usize>,
    /// Lookups of each list on one host before it is indexed.
    walks: u32,
    /// The paths found so far on the bound host, as rules write them (`%SystemRoot%/…`).
    found: FnvMap<Box<str>, FoundFile>,
}

/// A path a rule wrote, found on the bound host: the entry it names, the path as evidence
/// shows it (expanded, with `\\`), and what finding it was charged (expanding its `%VAR%`s, and
/// a walk of the list).
pub(crate) struct FoundFile {
    pub(crate) entry: usize,
    pub(crate) shown: std::rc::Rc<str>,
    pub(crate) expanding: usize,
    pub(crate) walking: usize,
}

/// Lookups on one host before its list is indexed, for a knowledge base of a few rules; one of
/// more rules indexes at the first (`Sandbox::index_at_once`).
pub(crate) const WALKS: u32 = 4;

impl Index {
    /// An empty index for a new host, that walks `walks` lookups of each list before indexing it.
    pub(crate) fn walking(walks: u32) -> Index {
        Index {
            walks,
            ..Index::default()
        }
    }

    /// The entry that the path `written` (as a rule wrote it) was found to name on the bound
    /// host.
    pub(crate) fn found(&self, written: &str) -> Option<&FoundFile> {
        self.found.get(written)
    }

    /// Keeps what finding `written` found, for the next rule that looks it up on this host: in a
    /// knowledge base of many rules (one that indexes at once), where others will.
    pub(crate) fn keep_found(&mut self, written: &str, found: impl FnOnce() -> FoundFile) {
        if self.walks == 0 {
            self.found.insert(written.into(), found());
        }
    }

    /// What a walk of `files` (the bound host's) costs.
    pub(crate) fn files_cost(&mut self, files: &[FileEntry]) -> usize {
        *(self.files_cost).get_or_insert_with(|| scan_cost(files.iter().map(|f| f.path.as_str())))
    }

    /// What a walk of `registry` (the bound host's) costs.
    pub(crate) fn registry_cost(&mut self, registry: &Registry) -> usize {
        *(self.registry_cost).get_or_insert_with(|| scan_cost(registry.keys().map(String::as_str)))
    }

    /// The positions of the entries of `files` (the bound host's) whose path has `key`.
    pub(crate) fn files(&mut self, files: &[FileEntry], key: &str) -> &[usize] {
        if self.files.is_none() && self.file_lookups < self.walks {
            self.file_lookups += 1;
            self.walked.clear();
            self.walked.extend(
                (files.iter().enumerate())
                    .filter(|(_, f)| crate::engine::matching::path_matches(f.path.as_str(), key))
                    .map(|(i, _)| i),
            );
            return &self.walked;
        }
        let index = self.files.get_or_insert_with(|| {
            let mut index: FnvMap<String, Vec<usize>> = FnvMap::default();
            for (i, f) in files.iter().enumerate() {
                index.entry(path_key(f.path.as_str())).or_default().push(i);
            }
            index
        });
        index.get(key).map_or(&[], Vec::as_slice)
    }

    /// The name, as the facts write it, of the value of `registry` (the bound host's) whose path
    /// has `key` (paths are unique by it: facts/mod.rs).
    pub(crate) fn registry<'r>(&mut self, registry: &'r Registry, key: &str) -> Option<&'r str> {
        if self.registry.is_none() && self.registry_lookups < self.walks {
            self.registry_lookups += 1;
            return (registry.keys())
                .find(|name| registry_key(name) == key)
                .map(String::as_str);
        }
        let index = self.registry.get_or_insert_with(|| {
            (registry.keys())
                .map(|name| (registry_key(name), name.clone()))
                .collect()
        });
        // The index holds the names as the facts write them, to find them in `registry`.
        let name = index.get(key)?;
        registry.get_key_value(name).map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::shareable;

    #[test]
    fn only_expressions_that_read_facts_alone_are_shared() {
        assert!(shareable(r#"icontains(fact("os.name"), "Windows NT")"#));
        assert!(shareable(
            r#"has_hotfix("Q246009") && registry_or(`HKLM\X`, 0) == 1"#
        ));
        for own in [
            r#"file_bits("%SystemRoot%/System32/Security.dll") == 56"#,
            r#"file("%SystemRoot%/System32/Security.dll").bits == 56"#,
            r#"if file_collected("x") { fixed_file("x") } else { fix_installed() }"#,
            r#"Fn("fixed_" + "file").call("x")"#,
            r#"call(Fn("f"), 1)"#,
        ] {
            assert!(!shareable(own), "{own}");
        }
    }
}
