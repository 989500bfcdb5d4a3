//! The helper functions rule authors call (reference in `docs/rules.md`). They read facts from
//! the host bound to the sandbox, record what they read (the evidence), and, for a fact the host
//! does not have, record it as missing and abort the expression: the condition is then unknown.
//! No helper returns `()` for a missing fact, so Rhai's `() != x` cannot make an absence look like
//! an answer.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Position};
use serde::de::DeserializeOwned;

use crate::facts::{Facts, FileEntry, Lazy, Scalar};
use crate::matching::{
    self, contains_ci, expand_vars, file_name, hotfix_key, path_key, path_matches,
};
use crate::rule::FileRow;
use crate::script::Trace;

/// The paths `fact()` reads; any other is an error.
pub const FACT_PATHS: &[&str] = &[
    "host",
    "collected",
    "os.name",
    "os.edition",
    "os.version",
    "os.build",
    "os.service_pack",
    "os.cipher_bits",
];

/// The host and rule that helpers read while one expression runs.
#[derive(Default)]
pub(crate) struct Probe {
    pub(crate) facts: Rc<Facts>,
    pub(crate) table: Rc<[FileRow]>,
    pub(crate) trace: Trace,
    pub(crate) missing: Vec<String>,
}

impl Probe {
    /// Records a missing fact and returns the error that aborts the expression.
    fn missing(&mut self, fact: impl Into<String>) -> Box<EvalAltResult> {
        let fact = fact.into();
        let err = format!("missing fact: {fact}");
        if !self.missing.contains(&fact) {
            self.missing.push(fact);
        }
        EvalAltResult::ErrorRuntime(err.into(), Position::NONE).into()
    }

    /// A list of the host's facts: recorded missing when absent, a failure when malformed.
    fn list<'f, T: DeserializeOwned>(&mut self, name: &str, lazy: &'f Lazy<T>) -> Fallible<&'f T> {
        match lazy.get() {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.missing(name)),
            Err(message) => fail(message),
        }
    }

    fn read(&mut self, fact: String) {
        if !self.trace.reads.contains(&fact) {
            self.trace.reads.push(fact);
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        self.facts.env_var(name).map(str::to_owned)
    }

    fn expand(&mut self, text: &str) -> Result<String, Box<EvalAltResult>> {
        let (out, unresolved) = expand_vars(text, |n| self.env(n));
        match unresolved.first() {
            None => Ok(out),
            Some(name) => Err(self.missing(format!("env.{name}"))),
        }
    }

    /// Finds a file by its path (`%VAR%` expanded, `/` or `\\`, any case). When the host has no
    /// `files` list, or the list lacks it, the file itself is the missing fact.
    fn file(&mut self, path: &str) -> Result<usize, Box<EvalAltResult>> {
        let (expanded, unresolved) = expand_vars(path, |n| self.env(n));
        let shown = expanded.replace('/', "\\");
        let facts = self.facts.clone();
        let files = match facts.files.get() {
            Ok(Some(files)) => files,
            Ok(None) => {
                for name in &unresolved {
                    let _ = self.missing(format!("env.{name}"));
                }
                return Err(self.missing(format!("file {shown}")));
            }
            Err(message) => return fail(message),
        };
        if let Some(name) = unresolved.first() {
            return Err(self.missing(format!("env.{name}")));
        }
        let key = path_key(&expanded);
        match files
            .iter()
            .position(|f| path_matches(f.path.as_str(), &key))
        {
            Some(i) => Ok(i),
            None => Err(self.missing(format!("file {shown}"))),
        }
    }
}

/// The entry a [`FileRef`] stands for.
fn listed(facts: &Facts, index: usize) -> Fallible<&FileEntry> {
    match facts.files.get() {
        Ok(Some(files)) if index < files.len() => Ok(&files[index]),
        _ => fail("a file reference outlived its host".to_owned()),
    }
}

/// A file from the host's `files` list, as Rhai sees it: `file(path).size`.
#[derive(Debug, Clone, Copy)]
struct FileRef(usize);

pub(crate) type Shared = Rc<RefCell<Probe>>;
type Fallible<T> = Result<T, Box<EvalAltResult>>;

fn fail<T>(message: String) -> Fallible<T> {
    Err(EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into())
}

/// Short display of an event for evidence.
fn describe_event(e: &crate::facts::Event) -> String {
    let mut s = format!(
        "event {} from {}",
        e.id.map_or("?".to_owned(), |i| i.to_string()),
        e.source.as_ref().map_or("?", |s| s.as_str())
    );
    let details: Vec<&str> = [&e.log, &e.category, &e.kind]
        .into_iter()
        .filter_map(|v| v.as_ref().map(|t| t.as_str()))
        .collect();
    if !details.is_empty() {
        s.push_str(&format!(" ({})", details.join(", ")));
    }
    if let Some(time) = &e.time {
        s.push_str(&format!(" at {time}"));
    }
    if let Some(message) = &e.message {
        let message = message.as_str().trim();
        let short: String = message.chars().take(100).collect();
        let ellipsis = if short.len() < message.len() {
            "…"
        } else {
            ""
        };
        s.push_str(&format!(": \"{short}{ellipsis}\""));
    }
    s
}

/// Registers every helper on `engine`, reading the host through `probe`.
pub(crate) fn register_helpers(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_fn("fact", move |path: &str| -> Fallible<Dynamic> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let os = facts.os.as_ref();
        let text = |v: Option<&crate::facts::Text>| v.map(|t| Dynamic::from(t.0.clone()));
        let value = match path {
            "host" => Some(Dynamic::from(facts.host.0.clone())),
            "collected" => text(facts.collected.as_ref()),
            "os.name" => text(os.and_then(|o| o.name.as_ref())),
            "os.edition" => text(os.and_then(|o| o.edition.as_ref())),
            "os.version" => text(os.and_then(|o| o.version.as_ref())),
            "os.service_pack" => text(os.and_then(|o| o.service_pack.as_ref())),
            "os.build" => os.and_then(|o| o.build).map(Dynamic::from),
            "os.cipher_bits" => os.and_then(|o| o.cipher_bits).map(Dynamic::from),
            other => {
                return fail(format!(
                    "fact(\"{other}\"): no such fact; fact() reads {}",
                    FACT_PATHS.join(", ")
                ));
            }
        };
        match value {
            Some(v) => {
                probe.read(format!("{path}={v}"));
                Ok(v)
            }
            None => Err(probe.missing(path)),
        }
    });

    let p = probe.clone();
    engine.register_fn("env", move |name: &str| -> Fallible<String> {
        let mut probe = p.borrow_mut();
        match probe.env(name) {
            Some(v) => {
                probe.read(format!("env.{name}={v}"));
                Ok(v)
            }
            None => Err(probe.missing(format!("env.{name}"))),
        }
    });

    let p = probe.clone();
    engine.register_fn("expand", move |text: &str| -> Fallible<String> {
        p.borrow_mut().expand(text)
    });

    let p = probe.clone();
    engine.register_type_with_name::<FileRef>("File");
    engine.register_fn("file", move |path: &str| -> Fallible<FileRef> {
        p.borrow_mut().file(path).map(FileRef)
    });
    register_file_getters(engine, probe);

    let p = probe.clone();
    engine.register_fn("file_bits", move |path: &str| -> Fallible<i64> {
        let mut probe = p.borrow_mut();
        let index = probe.file(path)?;
        file_bits(&mut probe, index)
    });

    let p = probe.clone();
    engine.register_fn("has_hotfix", move |id: &str| -> Fallible<bool> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let hotfixes = probe.list("hotfixes", &facts.hotfixes)?;
        let key = hotfix_key(id);
        let found = hotfixes.iter().find(|h| hotfix_key(h.as_str()) == key);
        match found {
            Some(h) => probe.read(format!("hotfixes includes {h}")),
            None => probe.read(format!("hotfixes ({}) lack {id}", hotfixes.len())),
        }
        Ok(found.is_some())
    });

    let p = probe.clone();
    engine.register_fn("registry", move |path: &str| -> Fallible<Dynamic> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        // Without a registry map, the value asked for is what to collect.
        let registry = probe.list(&format!("registry {path}"), &facts.registry)?;
        let key = matching::registry_key(path);
        let Some((name, value)) = registry
            .iter()
            .find(|(k, _)| matching::registry_key(k) == key)
        else {
            return Err(probe.missing(format!("registry {path}")));
        };
        Ok(match value {
            None => {
                probe.read(format!("registry {name} is absent"));
                Dynamic::UNIT
            }
            Some(v) => {
                probe.read(format!("registry {name}={v}"));
                match v {
                    Scalar::Int(i) => Dynamic::from(*i),
                    Scalar::Float(f) => Dynamic::from(*f),
                    Scalar::Str(s) => Dynamic::from(s.clone()),
                    Scalar::Bool(b) => Dynamic::from(*b),
                }
            }
        })
    });

    let p = probe.clone();
    engine.register_fn("event", move |source: &str, id: i64| -> Fallible<bool> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let events = probe.list("events", &facts.events)?;
        let mut found = false;
        for e in events.iter().filter(|e| {
            e.id == Some(id)
                && e.source
                    .as_ref()
                    .is_some_and(|s| s.as_str().trim().eq_ignore_ascii_case(source))
        }) {
            found = true;
            let seen = describe_event(e);
            if !probe.trace.matches.contains(&seen) {
                probe.trace.matches.push(seen);
            }
        }
        if !found {
            probe.read(format!(
                "events ({}) hold no {id} from {source}",
                events.len()
            ));
        }
        Ok(found)
    });

    let p = probe.clone();
    engine.register_fn("reported", move |text: &str| -> Fallible<bool> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let errors = probe.list("reported_errors", &facts.reported_errors)?;
        let mut found = false;
        for e in errors.iter().filter(|e| contains_ci(e.as_str(), text)) {
            found = true;
            let seen = format!("reported error \"{e}\"");
            if !probe.trace.matches.contains(&seen) {
                probe.trace.matches.push(seen);
            }
        }
        Ok(found)
    });

    let p = probe.clone();
    engine.register_fn("software_version", move |name: &str| -> Fallible<String> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let software = probe.list("software", &facts.software)?;
        let found = software.iter().find(|s| {
            s.name
                .as_ref()
                .is_some_and(|n| contains_ci(n.as_str(), name))
        });
        match found.map(|s| (s.name.as_ref(), s.version.as_ref())) {
            Some((Some(n), Some(v))) => {
                probe.read(format!("software {n} version={v}"));
                Ok(v.0.clone())
            }
            Some((Some(n), None)) => Err(probe.missing(format!("software {n} version"))),
            _ => Err(probe.missing(format!("software {name}"))),
        }
    });

    let p = probe.clone();
    engine.register_fn("has_software", move |name: &str| -> Fallible<bool> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let software = probe.list("software", &facts.software)?;
        let found = software
            .iter()
            .filter_map(|s| s.name.as_ref())
            .find(|n| contains_ci(n.as_str(), name));
        match found {
            Some(n) => probe.read(format!("software includes {n}")),
            None => probe.read(format!("software lacks {name}")),
        }
        Ok(found.is_some())
    });

    let p = probe.clone();
    engine.register_fn("unknown", move |fact: &str| -> Fallible<bool> {
        Err(p.borrow_mut().missing(fact))
    });

    engine.register_fn("version_cmp", |a: &str, b: &str| -> i64 {
        matching::version_cmp(a, b) as i64
    });
    engine.register_fn("icontains", |haystack: &str, needle: &str| {
        contains_ci(haystack, needle)
    });
    engine.register_fn("ieq", |a: &str, b: &str| {
        a.to_lowercase() == b.to_lowercase()
    });
}

fn register_file_getters(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_get(
        "path",
        move |f: &mut FileRef| -> Fallible<ImmutableString> {
            let facts = p.borrow().facts.clone();
            Ok(listed(&facts, f.0)?.path.0.clone().into())
        },
    );
    type Getter = fn(&FileEntry) -> Option<Dynamic>;
    let getters: [(&str, Getter); 4] = [
        ("size", |e| e.size.map(Dynamic::from)),
        ("modified", |e| {
            e.modified.as_ref().map(|t| Dynamic::from(t.0.clone()))
        }),
        ("version", |e| {
            e.version.as_ref().map(|t| Dynamic::from(t.0.clone()))
        }),
        ("cipher_bits", |e| e.cipher_bits.map(Dynamic::from)),
    ];
    for (name, get) in getters {
        let p = probe.clone();
        engine.register_get(name, move |f: &mut FileRef| -> Fallible<Dynamic> {
            let mut probe = p.borrow_mut();
            let facts = probe.facts.clone();
            let entry = listed(&facts, f.0)?;
            match get(entry) {
                Some(v) => {
                    probe.read(format!("{} {name}={v}", entry.path));
                    Ok(v)
                }
                None => Err(probe.missing(format!("{} {name}", entry.path))),
            }
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
    if let Some(bits) = entry.cipher_bits {
        probe.read(format!("{} cipher_bits={bits}", entry.path));
        return Ok(bits);
    }
    let name = file_name(entry.path.as_str());
    let date = entry
        .modified
        .as_ref()
        .map(|m| &m.as_str()[..m.as_str().len().min(10)]);
    let (Some(size), Some(date)) = (entry.size, date) else {
        return Err(probe.missing(format!("{} cipher_bits", entry.path)));
    };
    let table = probe.table.clone();
    let rows: Vec<&FileRow> = table
        .iter()
        .filter(|r| r.file.eq_ignore_ascii_case(name) && r.size == size && r.date.as_str() == date)
        .collect();
    match rows.first() {
        Some(first) if rows.iter().all(|r| r.bits == first.bits) => {
            let package = first
                .package
                .as_deref()
                .map_or(String::new(), |p| format!(", {p}"));
            probe.read(format!(
                "{} size={size} modified={date}: the {}-bit build{package} in the article's file table",
                entry.path, first.bits
            ));
            Ok(first.bits)
        }
        _ => Err(probe.missing(format!("{} cipher_bits", entry.path))),
    }
}
