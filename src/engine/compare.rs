//! How values compare in conditions: never across types (a number with text, anything with `()`,
//! a version with a number is an error naming both, not a silent `false`), and versions as a type
//! of their own, compared part by part.

use rhai::{Dynamic, Engine, ImmutableString};

use crate::engine::probe::{Fallible, Probe, Shared, fail};
use crate::facts::values;

/// A dotted version, compared part by part: `version(fact("os.version")) >= "4.0"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    parts: Vec<u64>,
    text: String,
}

impl Version {
    pub(crate) fn parse(text: &str) -> Result<Version, String> {
        values::version(text).map(|parts| Version {
            parts,
            text: text.trim().to_owned(),
        })
    }

    /// A version written in a rule: a bad one is the rule's error.
    fn literal(text: &str) -> Fallible<Version> {
        Version::parse(text).or_else(fail)
    }

    pub(crate) fn cmp(&self, other: &Version) -> std::cmp::Ordering {
        values::compare_versions(&self.parts, &other.parts)
    }

    pub(crate) fn part(&self, i: usize) -> i64 {
        self.parts.get(i).map_or(0, |&p| p as i64)
    }
}

/// A version read from the facts: one that cannot be read is unknown, with the reason.
fn read_version(probe: &Shared, text: &str) -> Fallible<Version> {
    version_of(&mut probe.borrow_mut(), text)
}

/// `version(text)`, as [`read_version`] reads it.
pub(crate) fn version_of(probe: &mut Probe, text: &str) -> Fallible<Version> {
    let bytes = crate::engine::script::limits::BYTES_PER_OPERATION;
    probe.charge(text.len() / bytes)?;
    Version::parse(text).map_err(|reason| probe.missing(format!("a version ({reason})")))
}

pub(crate) fn register_versions(engine: &mut Engine, probe: &Shared) {
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
pub(crate) fn register_strict_comparisons(engine: &mut Engine) {
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
