//! The declared types of every fact path and helper: one table, used by `check` to find type
//! errors before a rule runs, and checked against the helper reference in `docs/rules.md` by a
//! test, so the two cannot drift.

/// A value's type, as `check` infers it. `Any` is a type only known at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Text,
    Version,
    File,
    List,
    Map,
    /// Nothing: `()`.
    Unit,
    Any,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Int => "a number",
            Ty::Float => "a decimal number",
            Ty::Text => "text",
            Ty::Version => "a version",
            Ty::File => "a file",
            Ty::List => "a list",
            Ty::Map => "a map",
            Ty::Unit => "nothing (())",
            Ty::Any => "any value",
        }
    }

    /// Whether values of the two types can be compared (run time agrees: see `helpers.rs`).
    pub fn comparable(self, other: Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Any, _) | (_, Any) => true,
            (Int | Float, Int | Float) => true,
            (Version, Version | Text) | (Text, Version) => true,
            (a, b) => a == b,
        }
    }

    /// Whether a value of this type may be passed where `param` is declared.
    pub fn fits(self, param: Ty) -> bool {
        self == Ty::Any || param == Ty::Any || self == param
    }
}

/// One way to call a helper.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    pub name: &'static str,
    /// How the reference writes it, e.g. `event(source, id, #{filters})`.
    pub written: &'static str,
    pub params: &'static [Ty],
    pub returns: Ty,
}

const fn sig(
    name: &'static str,
    written: &'static str,
    params: &'static [Ty],
    returns: Ty,
) -> Signature {
    Signature {
        name,
        written,
        params,
        returns,
    }
}

use Ty::*;

/// Every helper a condition can call, each way it can be called.
pub const HELPERS: &[Signature] = &[
    sig("fact", "fact(path)", &[Text], Any),
    sig("first_fact", "first_fact([path, …])", &[List], Any),
    sig("env", "env(name)", &[Text], Text),
    sig("expand", "expand(text)", &[Text], Text),
    sig("file", "file(path)", &[Text], File),
    sig("file_bits", "file_bits(path)", &[Text], Int),
    sig("fixed_file", "fixed_file(path)", &[Text], Bool),
    sig("fix_installed", "fix_installed()", &[], Bool),
    sig("file_exists", "file_exists(path)", &[Text], Bool),
    sig("file_collected", "file_collected(path)", &[Text], Bool),
    sig("registry_exists", "registry_exists(path)", &[Text], Bool),
    sig("has_hotfix", "has_hotfix(id)", &[Text], Bool),
    sig("any_hotfix", "any_hotfix([id, …])", &[List], Bool),
    sig("registry", "registry(path)", &[Text], Any),
    sig(
        "registry_or",
        "registry_or(path, default)",
        &[Text, Any],
        Any,
    ),
    sig(
        "registry_collected",
        "registry_collected(path)",
        &[Text],
        Bool,
    ),
    sig("event", "event(source, id)", &[Text, Int], Bool),
    sig(
        "event",
        "event(source, id, #{filters})",
        &[Text, Int, Map],
        Bool,
    ),
    sig("reported", "reported(text)", &[Text], Bool),
    sig("has_software", "has_software(name)", &[Text], Bool),
    sig("software_version", "software_version(name)", &[Text], Text),
    sig("unknown", "unknown(fact)", &[Text], Bool),
    sig("finding", "finding(label, value)", &[Text, Any], Any),
    sig("version", "version(text)", &[Text], Version),
    sig("version", "version(build)", &[Int], Version),
    sig("version_cmp", "version_cmp(a, b)", &[Any, Any], Int),
    sig(
        "icontains",
        "icontains(haystack, needle)",
        &[Text, Text],
        Bool,
    ),
    sig("ieq", "ieq(a, b)", &[Text, Text], Bool),
];

/// The type of each path `fact()` reads.
pub const FACTS: &[(&str, Ty)] = &[
    ("host", Text),
    ("collected", Text),
    ("os.name", Text),
    ("os.edition", Text),
    ("os.version", Text),
    ("os.build", Int),
    ("os.service_pack", Text),
    ("os.cipher_bits", Int),
];

/// The properties of `file(path)` and of a version.
pub const PROPERTIES: &[(&str, Ty)] = &[
    ("path", Text),
    ("size", Int),
    ("modified", Text),
    ("date", Text),
    ("version", Text),
    ("cipher_bits", Int),
    ("bits", Int),
    ("major", Int),
    ("minor", Int),
    ("build", Int),
];

/// The type of fact `path`, if it is one.
pub fn fact(path: &str) -> Option<Ty> {
    FACTS.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// The ways to call helper `name`.
pub fn helper(name: &str) -> Vec<&'static Signature> {
    HELPERS.iter().filter(|s| s.name == name).collect()
}
