//! The helper functions rule authors call (reference in `docs/rules.md`). They read facts from
//! the host bound to the sandbox, record what they read (the evidence), and, for a fact the host
//! does not have, record it as missing and abort the expression: the condition is then unknown.
//! No helper returns `()` for a missing fact, so Rhai's `() != x` cannot make an absence look like
//! an answer.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Position};
use serde::de::DeserializeOwned;

use crate::engine::compare::{register_strict_comparisons, register_versions};
pub use crate::engine::events::EVENT_FILTERS;
use crate::engine::events::{EventFilter, events};
use crate::engine::matching::{self, contains_ci, expand_vars, file_name, hotfix_key, path_key};
use crate::engine::script::Trace;
use crate::facts::values;
use crate::facts::{Facts, FileEntry, Lazy, RegData, Text};
use crate::rules::catalogue::Knowledge;
use crate::rules::rule::FileRow;

/// The paths `fact()` reads; any other is an error.
pub fn fact_paths() -> Vec<&'static str> {
    crate::engine::signatures::FACTS
        .iter()
        .map(|(p, _)| *p)
        .collect()
}

/// The host and rule that helpers read while one expression runs.
#[derive(Default)]
pub(crate) struct Probe {
    pub(crate) facts: Rc<Facts>,
    /// The bound rule's file table and fix, and the knowledge base's catalogue.
    pub(crate) knowledge: Rc<Knowledge>,
    pub(crate) trace: Trace,
    pub(crate) missing: Vec<String>,
    /// Operations the bound rule has spent on the bound host: its conditions', and the work its
    /// helpers did (an entry looked at is one operation).
    pub(crate) spent: u64,
    /// Operations of the expression running now, as Rhai counts them.
    pub(crate) running: u64,
    /// The host's files and registry values by their keys, for every rule's lookups.
    pub(crate) index: crate::engine::memo::Index,
}

impl Probe {
    /// Readies the record for one expression: nothing read, missed or run yet.
    pub(crate) fn begin(&mut self) {
        self.trace = Trace::default();
        self.missing.clear();
        self.running = 0;
    }

    /// The expression's value if it read a missing fact: that decides, whatever it did next.
    pub(crate) fn take_missing(&mut self) -> Option<crate::engine::script::Value> {
        (!self.missing.is_empty())
            .then(|| crate::engine::script::Value::Unknown(std::mem::take(&mut self.missing)))
    }

    /// Counts `work` helper operations against the rule's budget on this host.
    pub(crate) fn charge(&mut self, work: usize) -> Fallible<()> {
        self.spent += work as u64;
        if self.spent + self.running > crate::engine::script::limits::RULE_OPERATIONS {
            return fail(crate::engine::script::over_budget());
        }
        Ok(())
    }

    /// Records a missing fact and returns the error that aborts the expression. The error
    /// carries no message: the recorded read decides the expression's value (`take_missing`),
    /// whatever a script does with the error, so a message would be made for nobody.
    pub(crate) fn missing(&mut self, fact: impl Into<String>) -> Box<EvalAltResult> {
        let fact = fact.into();
        if !self.missing.contains(&fact) {
            self.missing.push(fact);
        }
        EvalAltResult::ErrorRuntime(Dynamic::UNIT, Position::NONE).into()
    }

    /// A list of the host's facts: recorded missing when absent, a failure when malformed.
    pub(crate) fn list<'f, T: DeserializeOwned + crate::facts::fast::FastParse>(
        &mut self,
        name: &str,
        lazy: &'f Lazy<T>,
    ) -> Fallible<&'f T> {
        match lazy.get() {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.missing(name)),
            Err(message) => fail(message),
        }
    }

    pub(crate) fn read(&mut self, fact: String) {
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
        self.file_needing(path, String::new)
    }

    /// [`Probe::file`], saying what about the file a missing one should be collected for.
    pub(crate) fn file_needing(
        &mut self,
        path: &str,
        what: impl Fn() -> String,
    ) -> Result<usize, Box<EvalAltResult>> {
        let (expanded, unresolved) = expand_vars(path, |n| self.env(n));
        let shown = expanded.replace('/', "\\");
        let facts = self.facts.clone();
        let files = match facts.files.get() {
            Ok(Some(files)) => {
                self.charge(files.len())?;
                files
            }
            Ok(None) => {
                for name in &unresolved {
                    let _ = self.missing(format!("env.{name}"));
                }
                return Err(self.missing(format!("file {shown}{}", what())));
            }
            Err(message) => return fail(message),
        };
        if let Some(name) = unresolved.first() {
            return Err(self.missing(format!("env.{name}")));
        }
        let key = path_key(&expanded);
        let mut listed = (self.index.files(files, &key).iter()).map(|&i| (i, &files[i]));
        let Some((i, first)) = listed.next() else {
            return Err(self.missing(format!("file {shown}{}", what())));
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
        let all_same = listed.all(|(_, other)| same(other));
        if !all_same {
            return Err(self.missing(format!(
                "file {shown} (listed more than once with different facts: collect it again)"
            )));
        }
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

pub(crate) type Shared = Rc<RefCell<Probe>>;
pub(crate) type Fallible<T> = Result<T, Box<EvalAltResult>>;

pub(crate) fn fail<T>(message: String) -> Fallible<T> {
    Err(EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into())
}

/// A registry value as its Windows type says: REG_DWORD and REG_QWORD a number, REG_SZ,
/// REG_EXPAND_SZ and REG_BINARY text, REG_MULTI_SZ a list of text. A value the facts say does not
/// exist is `default`, or `()` without one; a value not collected is missing.
fn registry(probe: &mut Probe, path: &str, default: Option<Dynamic>) -> Fallible<Dynamic> {
    let facts = probe.facts.clone();
    // Without a registry map, the value asked for is what to collect.
    let registry = probe.list(&format!("registry {path}"), &facts.registry)?;
    probe.charge(registry.len())?;
    let key = matching::registry_key(path);
    let found = probe.index.registry(registry, &key);
    let Some((name, value)) = found.and_then(|name| registry.get_key_value(name)) else {
        return Err(probe.missing(format!("registry {path}")));
    };
    Ok(match (value, default) {
        (None, None) => {
            probe.read(format!("registry {name} is absent"));
            Dynamic::UNIT
        }
        (None, Some(default)) => {
            probe.read(format!("registry {name} is absent, so {default}"));
            default
        }
        (Some(v), _) => {
            probe.read(format!("registry {name}={v}"));
            match &v.value {
                RegData::Int(i) => Dynamic::from(*i),
                RegData::Text(t) => Dynamic::from(t.clone()),
                RegData::List(l) => {
                    Dynamic::from_array(l.iter().map(|t| Dynamic::from(t.clone())).collect())
                }
            }
        }
    })
}

/// The value of a fact, recorded as read; `None` when the host's facts do not have it (nothing
/// recorded). A value that cannot be understood is recorded missing, with the reason.
fn read_fact(probe: &mut Probe, path: &str) -> Fallible<Option<Dynamic>> {
    let facts = probe.facts.clone();
    let os = facts.os.as_ref();
    let text = |v: Option<&Text>| v.map(text_value);
    // The value a rule compares, and what the host's facts wrote when that differs.
    let read = |value: Result<(String, Option<i64>), String>, raw: &str| match value {
        Ok((v, build)) => Ok((
            Dynamic::from(v.clone()),
            (v != raw).then(|| raw.to_owned()),
            build,
        )),
        Err(reason) => Err(reason),
    };
    let normalized = match path {
        "os.version" => os
            .and_then(|o| o.version.as_ref())
            .map(|v| read(values::os_version(v.as_str()), v.as_str())),
        "os.service_pack" => os.and_then(|o| o.service_pack.as_ref()).map(|v| {
            read(
                values::service_pack(v.as_str()).map(|sp| (sp, None)),
                v.as_str(),
            )
        }),
        _ => None,
    };
    let value = match path {
        "host" => Some(text_value(&facts.host)),
        "collected" => text(facts.collected.as_ref()),
        "os.name" => text(os.and_then(|o| o.name.as_ref())),
        "os.edition" => text(os.and_then(|o| o.edition.as_ref())),
        "os.version" | "os.service_pack" => match normalized {
            None => None,
            Some(Err(reason)) => return Err(probe.missing(format!("{path} ({reason})"))),
            Some(Ok((v, raw, _))) => {
                let seen = path_is(path, &v);
                probe.read(match raw {
                    Some(raw) => [&seen, " (written \"", &raw, "\")"].concat(),
                    None => seen,
                });
                return Ok(Some(v));
            }
        },
        "os.build" => match os.and_then(|o| o.build) {
            Some(build) => Some(Dynamic::from(build)),
            // `4.0.1381` says the build when no build is given on its own.
            None => {
                let version = os.and_then(|o| o.version.as_ref());
                let from_version = version
                    .and_then(|v| values::os_version(v.as_str()).ok())
                    .and_then(|(_, build)| build);
                if let (Some(build), Some(v)) = (from_version, version) {
                    probe.read(format!("os.build={build} (from os.version \"{v}\")"));
                    return Ok(Some(Dynamic::from(build)));
                }
                None
            }
        },
        "os.cipher_bits" => os.and_then(|o| o.cipher_bits).map(Dynamic::from),
        other => {
            return fail(format!(
                "fact(\"{other}\"): no such fact; fact() reads {}",
                fact_paths().join(", ")
            ));
        }
    };
    if let Some(v) = &value {
        probe.read(path_is(path, v));
    }
    Ok(value)
}

/// A fact's value as text, recorded as read; `None` when the host does not have it (nothing is
/// recorded missing: the caller decides whether another source answers).
pub(crate) fn read_fact_text(probe: &mut Probe, path: &str) -> Fallible<Option<String>> {
    Ok(read_fact(probe, path)?.map(|v| v.to_string()))
}

/// A fact's text as a Rhai string. (`Dynamic::from` takes any type: given a `Text`, or the
/// `CompactString` inside it, it makes an opaque value no string function accepts.)
fn text_value(t: &Text) -> Dynamic {
    ImmutableString::from(t.as_str()).into()
}

/// `path=value`, as `format!("{path}={v}")` writes it; directly for the text and numbers facts
/// are (the formatter's machinery was a tenth of a host's evaluation).
fn path_is(path: &str, v: &Dynamic) -> String {
    let mut out = String::with_capacity(path.len() + 24);
    out.push_str(path);
    out.push('=');
    if let Some(text) = v.read_lock::<rhai::ImmutableString>() {
        out.push_str(&text);
    } else if let Ok(n) = v.as_int() {
        out.push_str(itoa::Buffer::new().format(n));
    } else {
        use std::fmt::Write as _;
        let _ = write!(out, "{v}");
    }
    out
}

// The helpers below are called by Rhai (as registered in `register_helpers`) and by the native
// conditions of `native.rs` alike: one meaning, one implementation.

/// `fact(path)`: the value, or the fact recorded missing.
pub(crate) fn fact(probe: &mut Probe, path: &str) -> Fallible<Dynamic> {
    match read_fact(probe, path)? {
        Some(v) => Ok(v),
        None => Err(probe.missing(path)),
    }
}

/// `file_bits(path)`: the strength of the file at `path`.
pub(crate) fn file_bits_at(probe: &mut Probe, path: &str) -> Fallible<i64> {
    // What to collect is worked out only for a file the facts lack.
    let table = probe.knowledge.table.clone();
    let what = || format!(": {}", bits_need(&table, file_name(path)));
    let index = probe.file_needing(path, what)?;
    file_bits(probe, index)
}

/// `has_hotfix(id)`: whether the complete hotfix list holds `id` (`KB` and `Q` alike).
pub(crate) fn has_hotfix(probe: &mut Probe, id: &str) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let hotfixes = probe.list("hotfixes", &facts.hotfixes)?;
    probe.charge(hotfixes.len())?;
    let key = hotfix_key(id);
    let found = hotfixes.iter().find(|h| hotfix_key(h.as_str()) == key);
    match found {
        Some(h) => probe.read(format!("hotfixes includes {h}")),
        None => probe.read(format!("hotfixes ({}) lack {id}", hotfixes.len())),
    }
    Ok(found.is_some())
}

/// `reported(text)`: whether a reported error holds `text` as whole words; each is recorded.
pub(crate) fn reported(probe: &mut Probe, text: &str) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let errors = probe.list("reported_errors", &facts.reported_errors)?;
    probe.charge(errors.len())?;
    let mut found = false;
    for e in errors
        .iter()
        .filter(|e| values::find_token(e.as_str(), text).is_some())
    {
        found = true;
        let seen = format!("reported error \"{e}\"");
        if !probe.trace.matches.contains(&seen) {
            probe.trace.matches.push(seen);
        }
    }
    Ok(found)
}

/// `ieq(a, b)`: equal, ignoring case.
pub(crate) fn ieq(a: &str, b: &str) -> bool {
    values::eq_ignore_case(a, b)
}

/// Registers every helper on `engine`, reading the host through `probe`.
pub(crate) fn register_helpers(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_fn("fact", move |path: &str| -> Fallible<Dynamic> {
        fact(&mut p.borrow_mut(), path)
    });
    let p = probe.clone();
    engine.register_fn("first_fact", move |paths: rhai::Array| -> Fallible<Dynamic> {
        let mut probe = p.borrow_mut();
        let mut names = Vec::new();
        for path in &paths {
            let Ok(path) = path.clone().into_immutable_string() else {
                return fail("first_fact(): give a list of fact paths, e.g. [\"os.build\", \"os.version\"]".into());
            };
            if let Some(v) = read_fact(&mut probe, &path)? {
                return Ok(v);
            }
            names.push(path.to_string());
        }
        Err(probe.missing(names.join(" or ")))
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
        file_bits_at(&mut p.borrow_mut(), path)
    });

    let p = probe.clone();
    engine.register_fn("fixed_file", move |path: &str| -> Fallible<bool> {
        crate::engine::fixes::fixed_file(&mut p.borrow_mut(), path)
    });
    let p = probe.clone();
    engine.register_fn("fix_installed", move || -> Fallible<bool> {
        crate::engine::fixes::fix_installed(&mut p.borrow_mut())
    });
    let p = probe.clone();
    engine.register_fn("file_collected", move |path: &str| -> Fallible<bool> {
        crate::engine::fixes::file_collected(&mut p.borrow_mut(), path)
    });
    let p = probe.clone();
    engine.register_fn("registry_exists", move |path: &str| -> Fallible<bool> {
        crate::engine::fixes::registry_exists(&mut p.borrow_mut(), path)
    });
    let p = probe.clone();
    engine.register_fn("file_exists", move |path: &str| -> Fallible<bool> {
        crate::engine::fixes::file_exists(&mut p.borrow_mut(), path)
    });

    let p = probe.clone();
    engine.register_fn("has_hotfix", move |id: &str| -> Fallible<bool> {
        has_hotfix(&mut p.borrow_mut(), id)
    });

    let p = probe.clone();
    engine.register_fn("any_hotfix", move |ids: rhai::Array| -> Fallible<bool> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let hotfixes = probe.list("hotfixes", &facts.hotfixes)?;
        probe.charge(hotfixes.len())?;
        let ids: Vec<String> = ids.iter().map(|d| d.to_string()).collect();
        let found = ids.iter().find_map(|id| {
            let key = hotfix_key(id);
            hotfixes.iter().find(|h| hotfix_key(h.as_str()) == key)
        });
        match found {
            Some(h) => probe.read(format!("hotfixes include {h} (one of {})", ids.join(", "))),
            None => probe.read(format!(
                "hotfixes ({}) lack all of {}",
                hotfixes.len(),
                ids.join(", ")
            )),
        }
        Ok(found.is_some())
    });

    let p = probe.clone();
    engine.register_fn("registry", move |path: &str| -> Fallible<Dynamic> {
        registry(&mut p.borrow_mut(), path, None)
    });
    let p = probe.clone();
    engine.register_fn(
        "registry_or",
        move |path: &str, default: Dynamic| -> Fallible<Dynamic> {
            registry(&mut p.borrow_mut(), path, Some(default))
        },
    );

    let p = probe.clone();
    engine.register_fn("registry_collected", move |path: &str| -> bool {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let key = matching::registry_key(path);
        let found = match facts.registry.get() {
            Ok(Some(registry)) => probe.index.registry(registry, &key).is_some(),
            _ => false,
        };
        let said = if found { "collected" } else { "not collected" };
        probe.read(format!("registry {path} {said}"));
        found
    });

    let p = probe.clone();
    engine.register_fn("event", move |source: &str, id: i64| -> Fallible<bool> {
        events(&mut p.borrow_mut(), source, id, &EventFilter::default())
    });
    let p = probe.clone();
    engine.register_fn(
        "event",
        move |source: &str, id: i64, filters: rhai::Map| -> Fallible<bool> {
            let filter = EventFilter::from_map(&filters)?;
            events(&mut p.borrow_mut(), source, id, &filter)
        },
    );

    let p = probe.clone();
    engine.register_fn("reported", move |text: &str| -> Fallible<bool> {
        reported(&mut p.borrow_mut(), text)
    });

    let p = probe.clone();
    engine.register_fn("software_version", move |name: &str| -> Fallible<String> {
        let mut probe = p.borrow_mut();
        let facts = probe.facts.clone();
        let software = probe.list("software", &facts.software)?;
        probe.charge(software.len())?;
        let found = software.iter().find(|s| {
            s.name
                .as_ref()
                .is_some_and(|n| contains_ci(n.as_str(), name))
        });
        match found.map(|s| (s.name.as_ref(), s.version.as_ref())) {
            Some((Some(n), Some(v))) => {
                probe.read(format!("software {n} version={v}"));
                Ok(v.as_str().to_owned())
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
        probe.charge(software.len())?;
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
    engine.register_fn("finding", move |label: &str, value: Dynamic| -> Dynamic {
        p.borrow_mut().read(format!("{label}: {value}"));
        value
    });

    let p = probe.clone();
    engine.register_fn("unknown", move |fact: &str| -> Fallible<bool> {
        Err(p.borrow_mut().missing(fact))
    });

    register_strict_comparisons(engine);

    register_versions(engine, probe);
    engine.register_fn("icontains", |haystack: &str, needle: &str| {
        contains_ci(haystack, needle)
    });
    engine.register_fn("ieq", ieq);
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
    type Getter = fn(&FileEntry) -> Option<Dynamic>;
    let getters: [(&str, Getter); 4] = [
        ("size", |e| e.size.map(Dynamic::from)),
        ("modified", |e| e.modified.as_ref().map(text_value)),
        ("version", |e| e.version.as_ref().map(text_value)),
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

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
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
