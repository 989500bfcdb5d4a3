//! Where rules come from: built in from `kb/`, or rule files and folders named by `--kb`.
//! Loading and compiling them is `evaluate::compile`'s.

use std::path::Path;

use crate::input::source;
use crate::problem::Problem;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The text of one rule file and the name to report it by.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl RuleFile {
    /// Reads a file (within the size limit), named by its path.
    pub fn read(path: &Path) -> Result<RuleFile, Problem> {
        let name = path.display().to_string();
        std::fs::File::open(path)
            .and_then(source::read_limited)
            .map(|bytes| RuleFile {
                name: name.clone(),
                bytes,
            })
            .map_err(|e| Problem::new(&name, None, None, e.to_string()))
    }
}

fn embedded(files: &[(&str, &str)]) -> Vec<RuleFile> {
    (files.iter())
        .map(|(name, text)| RuleFile {
            name: (*name).to_owned(),
            bytes: text.as_bytes().to_vec(),
        })
        .collect()
}

/// The rule files built into the binary.
pub fn builtin() -> Vec<RuleFile> {
    embedded(BUILTIN)
}

/// The rule tests built into the binary.
pub fn builtin_tests() -> Vec<RuleFile> {
    embedded(BUILTIN_TESTS)
}

/// Whether a file name is a rule file: `*.yaml` or `*.yml`, but not a `*.tests.yaml` companion.
pub fn is_rule_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml")) && !lower.contains(".tests.")
}

/// Every rule file below `dir`, in sorted order.
pub fn read_dir(dir: &Path) -> Result<Vec<RuleFile>, Problem> {
    let mut found = Vec::new();
    crate::input::walk::collect(dir, &is_rule_file, &mut found)
        .map_err(|e| Problem::new(&dir.display().to_string(), None, None, e.to_string()))?;
    let paths = crate::input::walk::all_files(found)
        .map_err(|(path, why)| Problem::new(&path.display().to_string(), None, None, why))?;
    if paths.is_empty() {
        return Err(Problem::new(
            &dir.display().to_string(),
            None,
            None,
            "no rule files (*.yaml, *.yml) here".into(),
        ));
    }
    paths.iter().map(|path| RuleFile::read(path)).collect()
}

/// The identity of a rule file's content, as results and summaries carry it.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{:x}", Sha256::digest(bytes))
}
