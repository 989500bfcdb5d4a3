//! The files of a host as conditions read them: `file(path)` and its properties, and
//! `file_bits(path)`, a file's cipher strength from its facts or the rule's file table.

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString};

use crate::engine::helpers::text_value;
use crate::engine::matching::{file_name, path_key};
use crate::engine::probe::{Fallible, Probe, Shared, fail};
use crate::facts::{Facts, FileEntry};
use crate::numbers::thousands;
use crate::rules::rule::FileRow;

impl Probe {
    /// Finds a file by its path (`%VAR%` expanded, `/` or `\\`, any case). When the host has no
    /// `files` list, or the list lacks it, the file itself is the missing fact.
    pub(crate) fn file(&mut self, path: &str) -> Result<usize, Box<EvalAltResult>> {
        self.file_needing(path, String::new)
    }

    /// The entry of a path another rule (or this one) found on this host, and the path as
    /// evidence shows it, charged what finding it cost, without expanding and matching the path
    /// again. `None` for a path not found before.
    pub(crate) fn refind(&mut self, path: &str) -> Option<Fallible<(usize, Rc<str>)>> {
        let found = self.index.found(path)?;
        let (entry, shown) = (found.entry, found.shown.clone());
        let (expanding, walking) = (found.expanding, found.walking);
        Some(
            (self.charge(expanding))
                .and_then(|()| self.charge(walking))
                .map(|()| (entry, shown)),
        )
    }

    /// [`Probe::file`], saying what about the file a missing one should be collected for.
    pub(crate) fn file_needing(
        &mut self,
        path: &str,
        what: impl Fn() -> String,
    ) -> Result<usize, Box<EvalAltResult>> {
        if let Some(found) = self.refind(path) {
            return found.map(|(entry, _)| entry);
        }
        let expanding = self.expansion_cost(path);
        let (expanded, unresolved) = self.expand_within(path)?;
        let shown = || expanded.replace('/', "\\");
        let facts = self.facts.clone();
        let (files, walking) = match facts.files.get() {
            Ok(Some(files)) => {
                let cost = self.index.files_cost(files);
                self.charge(cost)?;
                (files, cost)
            }
            Ok(None) => {
                for name in &unresolved {
                    let _ = self.missing(format!("env.{name}"));
                }
                return Err(self.missing(format!("file {}{}", shown(), what())));
            }
            Err(message) => return fail(message),
        };
        if let Some(name) = unresolved.first() {
            return Err(self.missing(format!("env.{name}")));
        }
        let key = path_key(&expanded);
        let mut listed = (self.index.files(files, &key).iter()).map(|&i| (i, &files[i]));
        let Some((i, first)) = listed.next() else {
            return Err(self.missing(format!("file {}{}", shown(), what())));
        };
        // The same file listed twice with different facts: neither can be trusted.
        let same = |f: &FileEntry| {
            (f.size, &f.modified, &f.version, f.cipher_bits)
                == (
                    first.size,
                    &first.modified,
                    &first.version,
                    first.cipher_bits,
                )
        };
        if !listed.all(|(_, other)| same(other)) {
            return Err(self.missing(format!(
                "file {} (listed more than once with different facts: collect it again)",
                shown()
            )));
        }
        self.index
            .keep_found(path, || crate::engine::memo::FoundFile {
                entry: i,
                shown: shown().into(),
                expanding,
                walking,
            });
        Ok(i)
    }
}

/// The entry a [`FileRef`] stands for.
pub(crate) fn listed(facts: &Facts, index: usize) -> Fallible<&FileEntry> {
    match facts.files.get() {
        Ok(Some(files)) if index < files.len() => Ok(&files[index]),
        _ => fail("a file reference outlived its host".to_owned()),
    }
}

/// A file from the host's `files` list, as Rhai sees it: `file(path).size`.
#[derive(Debug, Clone, Copy)]
struct FileRef(usize);

/// `file_bits(path)`: the strength of the file at `path`.
pub(crate) fn file_bits_at(probe: &mut Probe, path: &str) -> Fallible<i64> {
    // What to collect is worked out only for a file the facts lack.
    let table = probe.knowledge.table.clone();
    let what = || format!(": {}", bits_need(&table, file_name(path)));
    let index = probe.file_needing(path, what)?;
    file_bits(probe, index)
}

/// Registers `file`, its properties and `file_bits` on `engine`.
pub(crate) fn register_files(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_type_with_name::<FileRef>("File");
    engine.register_fn("file", move |path: &str| -> Fallible<FileRef> {
        p.borrow_mut().file(path).map(FileRef)
    });
    register_file_getters(engine, probe);

    let p = probe.clone();
    engine.register_fn("file_bits", move |path: &str| -> Fallible<i64> {
        file_bits_at(&mut p.borrow_mut(), path)
    });
}

type Getter = fn(&FileEntry) -> Option<Dynamic>;

/// The facts of a file that `file(path).name` reads as they are.
const FIELDS: [(&str, Getter); 4] = [
    ("size", |e| e.size.map(Dynamic::from)),
    ("modified", |e| e.modified.as_ref().map(text_value)),
    ("version", |e| e.version.as_ref().map(text_value)),
    ("cipher_bits", |e| e.cipher_bits.map(Dynamic::from)),
];

/// The number in [`FIELDS`] of the fact `file(path).name` reads, if it reads one as it is.
pub(crate) fn field(name: &str) -> Option<usize> {
    FIELDS.iter().position(|(n, _)| *n == name)
}

/// `file(path).name` of the file at `index`, for the name numbered `field` in [`FIELDS`].
pub(crate) fn file_field(probe: &mut Probe, index: usize, field: usize) -> Fallible<Dynamic> {
    let (name, get) = FIELDS[field];
    let facts = probe.facts.clone();
    let entry = listed(&facts, index)?;
    match get(entry) {
        Some(v) => {
            probe.read(format!("{} {name}={v}", entry.path));
            Ok(v)
        }
        None => Err(probe.missing(format!("{} {name}", entry.path))),
    }
}

fn register_file_getters(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_get(
        "path",
        move |f: &mut FileRef| -> Fallible<ImmutableString> {
            let facts = p.borrow().facts.clone();
            Ok(listed(&facts, f.0)?.path.as_str().into())
        },
    );
    for (field, (name, _)) in FIELDS.iter().enumerate() {
        let p = probe.clone();
        engine.register_get(name, move |f: &mut FileRef| -> Fallible<Dynamic> {
            file_field(&mut p.borrow_mut(), f.0, field)
        });
    }
    let p = probe.clone();
    engine.register_get("date", move |f: &mut FileRef| -> Fallible<String> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let entry = listed(&facts, f.0)?;
        match entry.modified.as_ref() {
            Some(m) => {
                let date: String = m.as_str().chars().take(10).collect();
                probe.read(format!("{} modified={m}", entry.path));
                Ok(date)
            }
            None => Err(probe.missing(format!("{} modified", entry.path))),
        }
    });
    let p = probe.clone();
    engine.register_get("bits", move |f: &mut FileRef| -> Fallible<i64> {
        file_bits(&mut p.borrow_mut(), f.0)
    });
}

/// A file's strength: its `cipher_bits`, or else the one build in the rule's file table with the
/// same name, size and date. Unknown when neither tells.
fn file_bits(probe: &mut Probe, index: usize) -> Fallible<i64> {
    let facts = probe.facts.clone();
    let entry = listed(&facts, index)?;
    if entry.exists == Some(false) {
        return Err(probe.missing(format!(
            "{} (the facts say it is absent: a file that is not there has no cipher strength)",
            entry.path
        )));
    }
    if let Some(bits) = entry.cipher_bits {
        let mut number = itoa::Buffer::new();
        probe.read([entry.path.as_str(), " cipher_bits=", number.format(bits)].concat());
        return Ok(bits);
    }
    let name = file_name(entry.path.as_str());
    // `modified` is UTC (offsets are converted when facts are read), as the article's table is.
    let modified = entry.modified.as_ref().map(|m| m.as_str());
    let date = modified.map(|m| &m[..m.len().min(10)]);
    let time = modified.and_then(|m| m.get(11..16));
    let table = probe.knowledge.table.clone();
    let (Some(size), Some(date), Some(modified)) = (entry.size, date, modified) else {
        return Err(probe.missing(format!("{}: {}", entry.path, bits_need(&table, name))));
    };
    // A time on both sides must agree to the minute: 09:04 UTC is not the 12:04 build.
    let same_time = |r: &FileRow| match (time, &r.time) {
        (Some(t), Some(row)) => row.as_str().trim() == t,
        _ => true,
    };
    let rows: Vec<&FileRow> = table
        .iter()
        .filter(|r| {
            r.file.eq_ignore_ascii_case(name)
                && r.size == Some(size)
                && r.date.as_str() == date
                && same_time(r)
        })
        .collect();
    match rows.first().map(|r| (r, r.bits)) {
        Some((first, Some(bits))) if rows.iter().all(|r| r.bits == first.bits) => {
            let package = first
                .package
                .as_deref()
                .map_or(String::new(), |p| format!(", {p}"));
            probe.read(format!(
                "{} size={size} modified={modified}: the {}-bit build{package} in the article's file table",
                entry.path, bits
            ));
            Ok(bits)
        }
        Some(_) => Err(probe.missing(format!("{}: {}", entry.path, bits_need(&table, name)))),
        None => {
            let why = no_row_matches(&table, name, size, modified)
                .unwrap_or_else(|| bits_need(&table, name));
            Err(probe.missing(format!("{}: {why}", entry.path)))
        }
    }
}

/// Why a file's collected size and modified time matched no row of the file table: the user
/// must not be sent to collect what was collected. A size that is a build's with another date
/// is the usual sign of a copy that did not keep the file's times (a git checkout, a plain copy).
fn no_row_matches(table: &[FileRow], name: &str, size: i64, modified: &str) -> Option<String> {
    let rows: Vec<&FileRow> = table
        .iter()
        .filter(|r| r.file.eq_ignore_ascii_case(name))
        .collect();
    rows.first()?;
    let shown = modified.get(..16).unwrap_or(modified).replacen('T', " ", 1);
    let collected = format!(
        "its cipher_bits: the size and modified time collected ({}, {shown} UTC) match no row of \
         the article's file table",
        thousands(size)
    );
    let date = modified.get(..10).unwrap_or(modified);
    let same_date = rows
        .iter()
        .find(|r| r.size == Some(size) && r.date.as_str() == date);
    if let Some(row) = same_date {
        return Some(format!(
            "{collected}; its size and date are those of its row of {date} {}, the time is not: \
             was the time read as local time instead of UTC?",
            row.time.as_ref().map_or("", |t| t.as_str().trim())
        ));
    }
    Some(match rows.iter().find(|r| r.size == Some(size)) {
        Some(row) => format!(
            "{collected}; the size is that of its {}row of {}, the date is not: was the file \
             copied without its times?",
            row.bits.map_or(String::new(), |b| format!("{b}-bit ")),
            row.date
        ),
        None => format!("{collected}, by size or by date"),
    })
}

/// What tells a file's cipher strength, given the rule's file table: what to collect.
fn bits_need(table: &[FileRow], name: &str) -> String {
    let rows: Vec<&FileRow> = table
        .iter()
        .filter(|r| r.file.eq_ignore_ascii_case(name))
        .collect();
    let Some(first) = rows.first() else {
        return "its cipher_bits (the article's file table has no row for it)".to_owned();
    };
    let alike = rows
        .iter()
        .all(|r| r.size == first.size && r.date.as_str() == first.date.as_str());
    let strengths: std::collections::BTreeSet<i64> = rows.iter().filter_map(|r| r.bits).collect();
    if let (true, true, Some(size)) = (alike, strengths.len() > 1, first.size) {
        format!(
            "its cipher_bits (every build of {} in the article's file table has size {} and date \
             {}, so only the cipher strength tells them apart)",
            first.file, size, first.date
        )
    } else {
        "its cipher_bits, or its size and modified date (UTC) to match the article's file table"
            .to_owned()
    }
}
