//! The helper functions rule authors call (reference in `docs/rules.md`). They read facts from
//! the host bound to the sandbox, record what they read (the evidence), and, for a fact the host
//! does not have, record it as missing and abort the expression: the condition is then unknown.
//! No helper returns `()` for a missing fact, so Rhai's `() != x` cannot make an absence look like
//! an answer.

use rhai::{Dynamic, Engine, ImmutableString};

use crate::engine::compare::{register_strict_comparisons, register_versions};
pub use crate::engine::events::EVENT_FILTERS;
use crate::engine::events::{EventFilter, events};
pub(crate) use crate::engine::files::{file_bits_at, listed};
use crate::engine::matching::{self, Caseless, hotfix_key, hotfix_matches};
use crate::engine::probe::{Fallible, Probe, Shared, fail, scan_cost};
use crate::engine::script::limits::BYTES_PER_OPERATION;
use crate::facts::values;
use crate::facts::{Facts, RegData, Text};

/// The paths `fact()` reads; any other is an error.
pub fn fact_paths() -> Vec<&'static str> {
    crate::engine::signatures::FACTS
        .iter()
        .map(|(p, _)| *p)
        .collect()
}

/// A registry value as its Windows type says: REG_DWORD and REG_QWORD a number, REG_SZ,
/// REG_EXPAND_SZ and REG_BINARY text, REG_MULTI_SZ a list of text. A value the facts say does not
/// exist is `default`, or `()` without one; a value not collected is missing.
pub(crate) fn registry(
    probe: &mut Probe,
    path: &str,
    key: &str,
    default: Option<Dynamic>,
) -> Fallible<Dynamic> {
    let facts = probe.facts.clone();
    let registry = match facts.registry.get() {
        Ok(Some(registry)) => registry,
        // Without a registry map, the value asked for is what to collect.
        Ok(None) => return Err(probe.missing(format!("registry {path}"))),
        Err(message) => return fail(message),
    };
    let cost = probe.index.registry_cost(registry);
    probe.charge(cost + path.len() / BYTES_PER_OPERATION)?;
    let found = probe.index.registry(registry, key);
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
            probe.read(registry_is(name, v));
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

/// `registry name=value`, as `format!("registry {name}={v}")` writes it; directly for a number,
/// as most values rules read are (REG_DWORD flags), without the formatter's machinery.
pub(crate) fn registry_is(name: &str, v: &crate::facts::RegValue) -> String {
    match &v.value {
        RegData::Int(i) => {
            let mut n = itoa::Buffer::new();
            [
                "registry ",
                name,
                "=",
                n.format(*i),
                " (",
                v.kind.as_str(),
                ")",
            ]
            .concat()
        }
        _ => format!("registry {name}={v}"),
    }
}

/// A fact's text as a Rhai string. (`Dynamic::from` takes any type: given a `Text`, or the
/// `CompactString` inside it, it makes an opaque value no string function accepts.)
pub(crate) fn text_value(t: &Text) -> Dynamic {
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

/// `has_hotfix(id)`: whether the complete hotfix list holds `id` (`KB` and `Q` alike).
pub(crate) fn has_hotfix(probe: &mut Probe, id: &str) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let hotfixes = probe.list("hotfixes", &facts.hotfixes)?;
    probe.charge(scan_cost(hotfixes.iter().map(Text::as_str)) + id.len() / BYTES_PER_OPERATION)?;
    let key = hotfix_key(id);
    let found = hotfixes.iter().find(|h| hotfix_matches(h.as_str(), &key));
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
    // `find_token` takes time linear in each error (a needle much longer than it is not even
    // lower-cased).
    probe.charge(scan_cost(errors.iter().map(Text::as_str)) + text.len() / BYTES_PER_OPERATION)?;
    let mut found = false;
    for e in errors
        .iter()
        .filter(|e| values::find_token(e.as_str(), text).is_some())
    {
        found = true;
        probe.matched(format!("reported error \"{e}\""));
    }
    Ok(found)
}

/// `ieq(a, b)`: equal, ignoring case.
pub(crate) fn ieq(probe: &mut Probe, a: &str, b: &str) -> Fallible<bool> {
    probe.charge((a.len() + b.len()) / BYTES_PER_OPERATION)?;
    Ok(values::eq_ignore_case(a, b))
}

/// `icontains(haystack, needle)`: whether `needle` occurs in `haystack`, ignoring case; charged
/// by the bytes it scans.
pub(crate) fn icontains(probe: &mut Probe, haystack: &str, needle: &str) -> Fallible<bool> {
    probe.charge((haystack.len() + needle.len()) / BYTES_PER_OPERATION)?;
    Ok(matching::contains_ci(haystack, needle))
}

/// `registry_collected(path)`: whether the facts hold the registry value at `path`. Never
/// unknown.
pub(crate) fn registry_collected(probe: &mut Probe, path: &str, key: &str) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let found = match facts.registry.get() {
        Ok(Some(registry)) => {
            let cost = probe.index.registry_cost(registry);
            probe.charge(cost + path.len() / BYTES_PER_OPERATION)?;
            probe.index.registry(registry, key).is_some()
        }
        Ok(None) => false,
        // A registry that does not parse is not "not collected": the fact file is wrong.
        Err(message) => return fail(message),
    };
    let said = if found { "collected" } else { "not collected" };
    probe.read(["registry ", path, " ", said].concat());
    Ok(found)
}

/// The first installed program whose name holds `name`, ignoring case; the search is charged.
fn find_software<'f>(
    probe: &mut Probe,
    facts: &'f Facts,
    name: &str,
) -> Fallible<Option<&'f crate::facts::Software>> {
    let software = probe.list("software", &facts.software)?;
    probe.charge(software_cost(software, name))?;
    let needle = Caseless::new(name);
    Ok((software.iter()).find(|s| s.name.as_ref().is_some_and(|n| needle.found_in(n.as_str()))))
}

/// `software_version(name)`: the version of the first installed program whose name holds
/// `name`, ignoring case.
pub(crate) fn software_version(probe: &mut Probe, name: &str) -> Fallible<String> {
    let facts = probe.facts.clone();
    let found = find_software(probe, &facts, name)?;
    match found.map(|s| (s.name.as_ref(), s.version.as_ref())) {
        Some((Some(n), Some(v))) => {
            probe.read(format!("software {n} version={v}"));
            Ok(v.as_str().to_owned())
        }
        Some((Some(n), None)) => Err(probe.missing(format!("software {n} version"))),
        _ => Err(probe.missing(format!("software {name}"))),
    }
}

/// `has_software(name)`: whether an installed program's name holds `name`, ignoring case.
pub(crate) fn has_software(probe: &mut Probe, name: &str) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let found = find_software(probe, &facts, name)?.and_then(|s| s.name.as_ref());
    match found {
        Some(n) => probe.read(["software includes ", n.as_str()].concat()),
        None => probe.read(["software lacks ", name].concat()),
    }
    Ok(found.is_some())
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
        let env = probe.facts.env.as_ref();
        let cost = env.map_or(0, |env| scan_cost(env.0.keys().map(String::as_str)));
        probe.charge(cost + name.len() / BYTES_PER_OPERATION)?;
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
        let ids: Vec<String> = ids.iter().map(|d| d.to_string()).collect();
        probe.charge(
            scan_cost(hotfixes.iter().map(Text::as_str))
                + scan_cost(ids.iter().map(String::as_str)),
        )?;
        // The first hotfix listed under each key, in one pass: each id then looks up its own
        // (looking through the list for each id took ids × hotfixes).
        let mut first: std::collections::HashMap<String, &Text> = Default::default();
        for h in hotfixes {
            first.entry(hotfix_key(h.as_str())).or_insert(h);
        }
        let found = ids
            .iter()
            .find_map(|id| first.get(&hotfix_key(id)).copied());
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
        registry(
            &mut p.borrow_mut(),
            path,
            &matching::registry_key(path),
            None,
        )
    });
    let p = probe.clone();
    engine.register_fn(
        "registry_or",
        move |path: &str, default: Dynamic| -> Fallible<Dynamic> {
            let key = matching::registry_key(path);
            registry(&mut p.borrow_mut(), path, &key, Some(default))
        },
    );

    let p = probe.clone();
    engine.register_fn("registry_collected", move |path: &str| -> Fallible<bool> {
        registry_collected(&mut p.borrow_mut(), path, &matching::registry_key(path))
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
        software_version(&mut p.borrow_mut(), name)
    });

    let p = probe.clone();
    engine.register_fn("has_software", move |name: &str| -> Fallible<bool> {
        has_software(&mut p.borrow_mut(), name)
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
    crate::engine::files::register_files(engine, probe);
    let p = probe.clone();
    engine.register_fn(
        "icontains",
        move |haystack: &str, needle: &str| -> Fallible<bool> {
            icontains(&mut p.borrow_mut(), haystack, needle)
        },
    );
    let p = probe.clone();
    engine.register_fn("ieq", move |a: &str, b: &str| -> Fallible<bool> {
        ieq(&mut p.borrow_mut(), a, b)
    });
}

/// The work of looking for `name` in the names of `software`.
fn software_cost(software: &[crate::facts::Software], name: &str) -> usize {
    let names = software
        .iter()
        .map(|s| s.name.as_ref().map_or("", Text::as_str));
    scan_cost(names) + name.len() / BYTES_PER_OPERATION
}

#[cfg(test)]
mod tests {
    use super::registry_is;
    use crate::facts::{RegData, RegType, RegValue};

    /// The shortcut for numbers writes what `RegValue`'s `Display` writes, for every kind.
    #[test]
    fn registry_is_writes_what_display_writes() {
        let values = [
            (RegType::Dword, RegData::Int(1)),
            (RegType::Qword, RegData::Int(-4_294_967_296)),
            (RegType::Sz, RegData::Text("a \"quoted\" text".into())),
            (
                RegType::MultiSz,
                RegData::List(vec!["a".into(), "b".into()]),
            ),
        ];
        for (kind, value) in values {
            let v = RegValue { kind, value };
            let name = r"HKLM\SOFTWARE\X\Installed";
            assert_eq!(registry_is(name, &v), format!("registry {name}={v}"));
        }
    }
}
