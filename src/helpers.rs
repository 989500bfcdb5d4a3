//! The helper functions rule authors call (reference in `docs/rules.md`). They read facts from
//! the host bound to the sandbox, record what they read (the evidence), and, for a fact the host
//! does not have, record it as missing and abort the expression: the condition is then unknown.
//! No helper returns `()` for a missing fact, so Rhai's `() != x` cannot make an absence look like
//! an answer.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Position};
use serde::de::DeserializeOwned;

use crate::facts::{Facts, FileEntry, Lazy, RegData};
use crate::matching::{
    self, contains_ci, expand_vars, file_name, hotfix_key, path_key, path_matches,
};
use crate::rule::FileRow;
use crate::script::Trace;
use crate::values;

/// The paths `fact()` reads; any other is an error.
pub fn fact_paths() -> Vec<&'static str> {
    crate::signatures::FACTS.iter().map(|(p, _)| *p).collect()
}

/// The host and rule that helpers read while one expression runs.
#[derive(Default)]
pub(crate) struct Probe {
    pub(crate) facts: Rc<Facts>,
    pub(crate) table: Rc<[FileRow]>,
    pub(crate) trace: Trace,
    pub(crate) missing: Vec<String>,
    /// Operations the bound rule has spent on the bound host: its conditions', and the work its
    /// helpers did (an entry looked at is one operation).
    pub(crate) spent: u64,
    /// Operations of the expression running now, as Rhai counts them.
    pub(crate) running: u64,
}

impl Probe {
    /// Counts `work` helper operations against the rule's budget on this host.
    fn charge(&mut self, work: usize) -> Fallible<()> {
        self.spent += work as u64;
        if self.spent + self.running > crate::script::limits::RULE_OPERATIONS {
            return fail(crate::script::over_budget());
        }
        Ok(())
    }

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
    fn list<'f, T: DeserializeOwned + Sized>(
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
        self.file_needing(path, "")
    }

    /// [`Probe::file`], saying what about the file a missing one should be collected for.
    fn file_needing(&mut self, path: &str, what: &str) -> Result<usize, Box<EvalAltResult>> {
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
                return Err(self.missing(format!("file {shown}{what}")));
            }
            Err(message) => return fail(message),
        };
        if let Some(name) = unresolved.first() {
            return Err(self.missing(format!("env.{name}")));
        }
        let key = path_key(&expanded);
        let mut listed =
            (files.iter().enumerate()).filter(|(_, f)| path_matches(f.path.as_str(), &key));
        let Some((i, first)) = listed.next() else {
            return Err(self.missing(format!("file {shown}{what}")));
        };
        // The same file listed twice with different facts: neither can be trusted.
        let facts_of =
            |f: &FileEntry| (f.size, f.modified.clone(), f.version.clone(), f.cipher_bits);
        if listed.any(|(_, other)| facts_of(other) != facts_of(first)) {
            return Err(self.missing(format!(
                "file {shown} (listed more than once with different facts: collect it again)"
            )));
        }
        Ok(i)
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

/// A registry value as its Windows type says: REG_DWORD and REG_QWORD a number, REG_SZ,
/// REG_EXPAND_SZ and REG_BINARY text, REG_MULTI_SZ a list of text. A value the facts say does not
/// exist is `default`, or `()` without one; a value not collected is missing.
fn registry(probe: &mut Probe, path: &str, default: Option<Dynamic>) -> Fallible<Dynamic> {
    let facts = probe.facts.clone();
    // Without a registry map, the value asked for is what to collect.
    let registry = probe.list(&format!("registry {path}"), &facts.registry)?;
    probe.charge(registry.len())?;
    let key = matching::registry_key(path);
    let Some((name, value)) = registry
        .iter()
        .find(|(k, _)| matching::registry_key(k) == key)
    else {
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

/// A dotted version, compared part by part: `version(fact("os.version")) >= "4.0"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    parts: Vec<u64>,
    text: String,
}

impl Version {
    /// A version written in a rule: a bad one is the rule's error.
    fn literal(text: &str) -> Fallible<Version> {
        match values::version(text) {
            Ok(parts) => Ok(Version {
                parts,
                text: text.trim().to_owned(),
            }),
            Err(reason) => fail(reason),
        }
    }

    fn cmp(&self, other: &Version) -> std::cmp::Ordering {
        values::compare_versions(&self.parts, &other.parts)
    }

    fn part(&self, i: usize) -> i64 {
        self.parts.get(i).map_or(0, |&p| p as i64)
    }
}

/// A version read from the facts: one that cannot be read is unknown, with the reason.
fn read_version(probe: &Shared, text: &str) -> Fallible<Version> {
    match values::version(text) {
        Ok(parts) => Ok(Version {
            parts,
            text: text.trim().to_owned(),
        }),
        Err(reason) => Err(probe.borrow_mut().missing(format!("a version ({reason})"))),
    }
}

fn register_versions(engine: &mut Engine, probe: &Shared) {
    use std::cmp::Ordering;
    engine.register_type_with_name::<Version>("Version");
    let p = probe.clone();
    engine.register_fn("version", move |text: &str| read_version(&p, text));
    let p = probe.clone();
    engine.register_fn("version", move |n: i64| read_version(&p, &n.to_string()));
    engine.register_fn("to_string", |v: &mut Version| v.text.clone());
    engine.register_fn("to_debug", |v: &mut Version| {
        format!("version({:?})", v.text)
    });
    engine.register_get("major", |v: &mut Version| v.part(0));
    engine.register_get("minor", |v: &mut Version| v.part(1));
    engine.register_get("build", |v: &mut Version| v.part(2));
    engine.register_fn("major_minor", |v: &mut Version| {
        format!("{}.{}", v.part(0), v.part(1))
    });
    engine.register_fn(
        "between",
        |v: &mut Version, low: &str, high: &str| -> Fallible<bool> {
            let (low, high) = (Version::literal(low)?, Version::literal(high)?);
            Ok(v.cmp(&low).is_ge() && v.cmp(&high).is_lt())
        },
    );
    type Test = fn(Ordering) -> bool;
    let ops: [(&str, Test); 6] = [
        ("==", Ordering::is_eq),
        ("!=", Ordering::is_ne),
        ("<", Ordering::is_lt),
        (">", Ordering::is_gt),
        ("<=", Ordering::is_le),
        (">=", Ordering::is_ge),
    ];
    for (op, test) in ops {
        engine.register_fn(op, move |a: Version, b: Version| test(a.cmp(&b)));
        engine.register_fn(
            op,
            move |a: Version, b: ImmutableString| -> Fallible<bool> {
                Ok(test(a.cmp(&Version::literal(&b)?)))
            },
        );
        engine.register_fn(
            op,
            move |a: ImmutableString, b: Version| -> Fallible<bool> {
                Ok(test(Version::literal(&a)?.cmp(&b)))
            },
        );
    }
    // -1, 0 or 1. Either side may be a number (a build); one that is not a version is unknown.
    let p = probe.clone();
    let cmp = move |a: String, b: String| -> Fallible<i64> {
        let (a, b) = (read_version(&p, &a)?, read_version(&p, &b)?);
        Ok(a.cmp(&b) as i64)
    };
    let c = cmp.clone();
    engine.register_fn("version_cmp", move |a: &str, b: &str| c(a.into(), b.into()));
    let c = cmp.clone();
    engine.register_fn("version_cmp", move |a: i64, b: &str| {
        c(a.to_string(), b.into())
    });
    let c = cmp.clone();
    engine.register_fn("version_cmp", move |a: &str, b: i64| {
        c(a.into(), b.to_string())
    });
    engine.register_fn("version_cmp", move |a: i64, b: i64| {
        cmp(a.to_string(), b.to_string())
    });
}

/// Comparisons between values of different types are errors, not `false` (nor `true` for `!=`):
/// Rhai's own fallback would make `"7601" >= 7601` silently false.
fn register_strict_comparisons(engine: &mut Engine) {
    macro_rules! refuse {
        ($($a:ty, $b:ty);* $(;)?) => {$(
            for op in ["==", "!=", "<", ">", "<=", ">="] {
                engine.register_fn(op, move |x: $a, y: $b| -> Fallible<bool> {
                    mismatch(op, Dynamic::from(x), Dynamic::from(y))
                });
            }
        )*};
    }
    refuse!(
        i64, ImmutableString; ImmutableString, i64;
        f64, ImmutableString; ImmutableString, f64;
        bool, i64; i64, bool; bool, f64; f64, bool;
        bool, ImmutableString; ImmutableString, bool;
        (), i64; i64, (); (), f64; f64, (); (), ImmutableString; ImmutableString, ();
        (), bool; bool, ();
        Version, i64; i64, Version; Version, f64; f64, Version; Version, bool; bool, Version;
    );
}

fn mismatch(op: &str, x: Dynamic, y: Dynamic) -> Fallible<bool> {
    let show = |v: &Dynamic| {
        if v.is_unit() {
            "nothing (a registry value that does not exist: give a default with registry_or(path, default))".to_owned()
        } else if v.is_string() {
            format!("{:?} (text)", v.to_string())
        } else if let Some(version) = v.read_lock::<Version>() {
            format!("{} (version)", version.text)
        } else {
            format!(
                "{v} ({})",
                if v.is_int() { "number" } else { v.type_name() }
            )
        }
    };
    let hint = if x.is_string() != y.is_string() && !x.is_unit() && !y.is_unit() {
        "; convert one side: parse_int(text), parse_float(text), or to_string(number)"
    } else {
        ""
    };
    fail(format!(
        "cannot compare {} {op} {}: they are of different types{hint}",
        show(&x),
        show(&y)
    ))
}

/// What an event must show besides its source and id: each filter an event's facts can be checked
/// against must hold; one the event does not record is noted, not failed.
#[derive(Debug, Default)]
struct EventFilter {
    log: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    /// Whole words in the message (an error code: `NT/MTA error code: 5`).
    message: Option<String>,
    /// From this time on (UTC, ISO 8601).
    since: Option<String>,
    /// Before this time (not `until`: a Rhai keyword).
    before: Option<String>,
}

/// The filters `event(source, id, #{…})` takes.
pub const EVENT_FILTERS: &[&str] = &["log", "type", "category", "message", "since", "before"];

impl EventFilter {
    fn from_map(map: &rhai::Map) -> Fallible<EventFilter> {
        let mut filter = EventFilter::default();
        for (key, value) in map {
            let Some(text) = value.clone().into_immutable_string().ok() else {
                return fail(format!(
                    "event(): the filter `{key}` must be text, not {}",
                    value.type_name()
                ));
            };
            let text = Some(text.to_string());
            match key.as_str() {
                "log" => filter.log = text,
                "type" => filter.kind = text,
                "category" => filter.category = text,
                "message" => filter.message = text,
                "since" | "before" => {
                    let time = values::utc_time(text.as_deref().unwrap_or_default())
                        .or_else(|e| fail(format!("event(): `{key}`: {e}")))?;
                    if key == "since" {
                        filter.since = Some(time);
                    } else {
                        filter.before = Some(time);
                    }
                }
                other => {
                    return fail(format!(
                        "event(): no filter `{other}`; the filters are {}",
                        EVENT_FILTERS.join(", ")
                    ));
                }
            }
        }
        Ok(filter)
    }

    /// Whether `e` passes: `None` if a recorded field differs.
    fn check(&self, e: &crate::facts::Event) -> Option<EventMatch> {
        let mut unchecked = Vec::new();
        let kind = e.kind.as_ref().map(|k| event_type(k.as_str()));
        let fields = [
            ("log", &self.log, e.log.as_ref().map(|t| t.as_str())),
            ("type", &self.kind, kind),
            (
                "category",
                &self.category,
                e.category.as_ref().map(|t| t.as_str()),
            ),
        ];
        for (name, want, have) in fields {
            match (want, have) {
                (None, _) => {}
                (Some(_), None) => unchecked.push(name),
                (Some(want), Some(have)) if have.trim().eq_ignore_ascii_case(want.trim()) => {}
                _ => return None,
            }
        }
        if self.since.is_some() || self.before.is_some() {
            match e.time.as_ref().map(|t| values::utc_time(t.as_str())) {
                Some(Ok(t)) => {
                    let after = self.since.as_ref().is_none_or(|since| t >= *since);
                    let before = self.before.as_ref().is_none_or(|b| t < *b);
                    if !(after && before) {
                        return None;
                    }
                }
                _ => unchecked.push("time"),
            }
        }
        let mut at = None;
        match (&self.message, &e.message) {
            (None, _) => {}
            (Some(_), None) => unchecked.push("message"),
            (Some(want), Some(message)) => at = Some(values::find_token(message.as_str(), want)?),
        }
        Some(EventMatch { unchecked, at })
    }
}

/// How an event passed an [`EventFilter`].
struct EventMatch {
    /// Filters the event's facts could not be checked against.
    unchecked: Vec<&'static str>,
    /// Where the message matched.
    at: Option<(usize, usize)>,
}

/// An event type as Event Viewer names it; collectors may write the number a record stores.
fn event_type(kind: &str) -> &str {
    match kind.trim() {
        "1" => "Error",
        "2" => "Warning",
        "4" => "Information",
        "8" => "Audit Success",
        "16" => "Audit Failure",
        other => other,
    }
}

/// Whether the host's events hold `id` from `source` passing `filter`; each match is recorded.
/// Event ids compare as Event Viewer shows them: the low 16 bits (`0x80002466` is 9318).
fn events(probe: &mut Probe, source: &str, id: i64, filter: &EventFilter) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let events = probe.list("events", &facts.events)?;
    probe.charge(events.len())?;
    let mut found = false;
    let mut near = 0;
    for e in events.iter().filter(|e| {
        e.id.is_some_and(|i| i & 0xFFFF == id & 0xFFFF)
            && e.source
                .as_ref()
                .is_some_and(|s| s.as_str().trim().eq_ignore_ascii_case(source))
    }) {
        let Some(EventMatch { unchecked, at }) = filter.check(e) else {
            near += 1;
            continue;
        };
        found = true;
        let mut seen = describe_event(e, at);
        if !unchecked.is_empty() {
            seen.push_str(&format!(
                " [not recorded, so not checked: {}]",
                unchecked.join(", ")
            ));
        }
        if !probe.trace.matches.contains(&seen) {
            probe.trace.matches.push(seen);
        }
    }
    if !found {
        let unlike = if near > 0 {
            format!(" with the details asked for ({near} with other details)")
        } else {
            String::new()
        };
        probe.read(format!(
            "events ({}) hold no {id} from {source}{unlike}",
            events.len()
        ));
    }
    Ok(found)
}

/// How much of an event's message evidence shows.
const MESSAGE_SHOWN: usize = 320;

/// Display of an event for evidence. A long message is cut around `at`, the part that matched.
fn describe_event(e: &crate::facts::Event, at: Option<(usize, usize)>) -> String {
    let mut s = format!(
        "event {} from {}",
        e.id.map_or("?".to_owned(), |i| (i & 0xFFFF).to_string()),
        e.source.as_ref().map_or("?", |s| s.as_str())
    );
    let kind = e.kind.as_ref().map(|k| event_type(k.as_str()));
    let details: Vec<&str> = [
        e.log.as_ref().map(|t| t.as_str()),
        e.category.as_ref().map(|t| t.as_str()),
        kind,
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        s.push_str(&format!(" ({})", details.join(", ")));
    }
    if let Some(time) = &e.time {
        s.push_str(&format!(" at {time}"));
    }
    if let Some(message) = &e.message {
        s.push_str(&format!(": \"{}\"", excerpt(message.as_str(), at)));
    }
    s
}

/// At most [`MESSAGE_SHOWN`] characters of `message`, including the range `at`.
fn excerpt(message: &str, at: Option<(usize, usize)>) -> String {
    let chars: Vec<(usize, char)> = message.char_indices().collect();
    if chars.len() <= MESSAGE_SHOWN {
        return message.trim().to_owned();
    }
    let end_char = at.map_or(0, |(_, end)| {
        chars.iter().take_while(|(b, _)| *b < end).count()
    });
    let start = end_char
        .saturating_sub(MESSAGE_SHOWN - 40)
        .min(chars.len() - MESSAGE_SHOWN);
    let stop = start + MESSAGE_SHOWN;
    let text: String = chars[start..stop].iter().map(|(_, c)| c).collect();
    let lead = if start > 0 { "…" } else { "" };
    let tail = if stop < chars.len() { "…" } else { "" };
    format!("{lead}{}{tail}", text.trim())
}

/// The value of a fact, recorded as read; `None` when the host's facts do not have it (nothing
/// recorded). A value that cannot be understood is recorded missing, with the reason.
fn read_fact(probe: &mut Probe, path: &str) -> Fallible<Option<Dynamic>> {
    let facts = probe.facts.clone();
    let os = facts.os.as_ref();
    let text = |v: Option<&crate::facts::Text>| v.map(|t| Dynamic::from(t.0.clone()));
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
        "host" => Some(Dynamic::from(facts.host.0.clone())),
        "collected" => text(facts.collected.as_ref()),
        "os.name" => text(os.and_then(|o| o.name.as_ref())),
        "os.edition" => text(os.and_then(|o| o.edition.as_ref())),
        "os.version" | "os.service_pack" => match normalized {
            None => None,
            Some(Err(reason)) => return Err(probe.missing(format!("{path} ({reason})"))),
            Some(Ok((v, raw, _))) => {
                let written = raw.map_or(String::new(), |r| format!(" (written \"{r}\")"));
                probe.read(format!("{path}={v}{written}"));
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
        probe.read(format!("{path}={v}"));
    }
    Ok(value)
}

/// Registers every helper on `engine`, reading the host through `probe`.
pub(crate) fn register_helpers(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_fn("fact", move |path: &str| -> Fallible<Dynamic> {
        let mut probe = p.borrow_mut();
        match read_fact(&mut probe, path)? {
            Some(v) => Ok(v),
            None => Err(probe.missing(path)),
        }
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
        let mut probe = p.borrow_mut();
        let what = format!(": {}", bits_need(&probe.table, file_name(path)));
        let index = probe.file_needing(path, &what)?;
        file_bits(&mut probe, index)
    });

    let p = probe.clone();
    engine.register_fn("has_hotfix", move |id: &str| -> Fallible<bool> {
        let mut probe = p.borrow_mut();
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
            Ok(Some(registry)) => registry.keys().any(|k| matching::registry_key(k) == key),
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
        let mut probe = p.borrow_mut();
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
    engine.register_fn("unknown", move |fact: &str| -> Fallible<bool> {
        Err(p.borrow_mut().missing(fact))
    });

    register_strict_comparisons(engine);

    register_versions(engine, probe);
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
    // `modified` is UTC (offsets are converted when facts are read), as the article's table is.
    let modified = entry.modified.as_ref().map(|m| m.as_str());
    let date = modified.map(|m| &m[..m.len().min(10)]);
    let time = modified.and_then(|m| m.get(11..16));
    let table = probe.table.clone();
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
                && r.size == size
                && r.date.as_str() == date
                && same_time(r)
        })
        .collect();
    match rows.first() {
        Some(first) if rows.iter().all(|r| r.bits == first.bits) => {
            let package = first
                .package
                .as_deref()
                .map_or(String::new(), |p| format!(", {p}"));
            probe.read(format!(
                "{} size={size} modified={modified}: the {}-bit build{package} in the article's file table",
                entry.path, first.bits
            ));
            Ok(first.bits)
        }
        _ => Err(probe.missing(format!("{}: {}", entry.path, bits_need(&table, name)))),
    }
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
    let strengths: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.bits).collect();
    if alike && strengths.len() > 1 {
        format!(
            "its cipher_bits (every build of {} in the article's file table has size {} and date \
             {}, so only the cipher strength tells them apart)",
            first.file, first.size, first.date
        )
    } else {
        "its cipher_bits, or its size and modified date (UTC) to match the article's file table"
            .to_owned()
    }
}
