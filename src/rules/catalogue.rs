//! What a knowledge base knows across its articles: every article's file table, and which
//! rollups include which fixes. A rule's `fixed_file()` and `fix_installed()` read it to say
//! that a later article's file or a rollup already covers the article.

use std::collections::HashMap;
use std::rc::Rc;

use crate::facts::values::{hotfix_key, platform, registry_key, version};
use crate::rules::rule::{FileRow, Rule};

/// The file rows and rollups of every loaded rule.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Each article's file rows, with the article's id.
    pub rows: Vec<(String, FileRow)>,
    /// The positions in `rows` of each file's rows, by its name in lowercase: what a host's
    /// file is looked up by on every host.
    pub by_file: HashMap<String, Vec<usize>>,
    /// Each row's version, parsed once (`None` for a row without one, or one that is not a
    /// version).
    pub versions: Vec<Option<Vec<u64>>>,
    /// Articles whose fix includes other fixes (a rollup, a service pack).
    pub rollups: Vec<Rollup>,
}

/// An article whose fix includes the fixes of others.
#[derive(Debug)]
pub struct Rollup {
    /// The rule's id.
    pub id: String,
    pub title: String,
    /// The hotfix ids that install it.
    pub hotfixes: Vec<String>,
    /// The fixes it includes, as its article lists them.
    pub includes: Vec<String>,
}

/// What one rule's fix helpers need: its own table and fix, and the whole catalogue.
#[derive(Debug, Default)]
pub struct Knowledge {
    pub id: String,
    /// The hotfix ids that install this rule's fix (`fix.hotfixes`, or its id and aliases).
    pub hotfixes: Vec<String>,
    /// The service pack the fix shipped in, as `os.service_pack` reads it (`6`, `6a`).
    pub service_pack: Option<String>,
    /// The resolution's file table.
    pub table: Rc<[FileRow]>,
    pub catalogue: Rc<Catalogue>,
    /// What installs the fix, found once at load time: the rule's own hotfixes, then those of
    /// every rollup that includes one of them.
    pub sources: Vec<FixSource>,
}

/// One hotfix that installs a rule's fix, with the forms a host's facts are compared in.
#[derive(Debug)]
pub struct FixSource {
    /// The id as its rule writes it, e.g. `Q299444`.
    pub hotfix: String,
    /// [`hotfix_key`] of it.
    pub key: String,
    /// [`registry_key`] of its `Hotfix\Qnnnnnn\Installed` value.
    pub registry: String,
    /// For a rollup's hotfix: the rollup, and what evidence adds, ` (KB299444: …), which
    /// includes Q249863`.
    pub rollup: Option<(String, String)>,
}

impl FixSource {
    fn new(hotfix: &str, rollup: Option<(String, String)>) -> FixSource {
        let key = hotfix_key(hotfix);
        FixSource {
            hotfix: hotfix.to_owned(),
            registry: registry_key(&format!(
                "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q{key}\\Installed"
            )),
            key,
            rollup,
        }
    }
}

/// The hotfix ids that install `rule`'s fix.
pub fn hotfix_ids(rule: &Rule) -> Vec<String> {
    let ids: Vec<&String> = match rule.fix.as_ref().filter(|f| !f.hotfixes.is_empty()) {
        Some(fix) => fix.hotfixes.iter().collect(),
        // `Q307991` and `KB307991` are one hotfix: the alias, as hotfix lists write it, first.
        None => rule.aliases.iter().chain([&rule.id]).collect(),
    };
    let mut unique: Vec<String> = Vec::new();
    for id in ids {
        let key = crate::facts::values::hotfix_key(id);
        if !unique
            .iter()
            .any(|u| crate::facts::values::hotfix_key(u) == key)
        {
            unique.push(id.clone());
        }
    }
    unique
}

impl Catalogue {
    /// The catalogue of a set of rules.
    pub fn of<'r>(rules: impl IntoIterator<Item = &'r Rule>) -> Catalogue {
        let mut catalogue = Catalogue::default();
        for rule in rules {
            if let Some(resolution) = &rule.resolution {
                for row in &resolution.files {
                    let at = catalogue.rows.len();
                    (catalogue.by_file.entry(row.file.to_ascii_lowercase()))
                        .or_default()
                        .push(at);
                    (catalogue.versions)
                        .push(row.version.as_ref().and_then(|v| version(v.as_str()).ok()));
                    catalogue.rows.push((rule.id.clone(), row.clone()));
                }
            }
            if let Some(fix) = rule.fix.as_ref().filter(|f| !f.includes.is_empty()) {
                catalogue.rollups.push(Rollup {
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                    hotfixes: hotfix_ids(rule),
                    includes: fix.includes.clone(),
                });
            }
        }
        catalogue
    }
}

impl Catalogue {
    /// The other articles whose tables hold a later build of every file of `id`'s table (for
    /// each platform both give): installing one of them fixes `id` too, "these or later". An
    /// article with a file older than `id`'s (Q322051's 1999 Security.dll against Q238185's)
    /// does not cover it.
    pub fn later_fixes(&self, id: &str) -> Vec<(String, Vec<String>)> {
        let ours: Vec<&FileRow> = (self.rows.iter())
            .filter(|(r, _)| r == id)
            .map(|(_, row)| row)
            .collect();
        if ours.is_empty() {
            return Vec::new();
        }
        let mut others: Vec<&str> = (self.rows.iter())
            .filter(|(r, _)| r != id)
            .map(|(r, _)| r.as_str())
            .collect();
        others.dedup();
        let mut found = Vec::new();
        for other in others {
            let theirs: Vec<&FileRow> = (self.rows.iter())
                .filter(|(r, _)| r == other)
                .map(|(_, row)| row)
                .collect();
            let covers = |mine: &FileRow| {
                let same = |t: &&&FileRow| {
                    t.file.eq_ignore_ascii_case(&mine.file)
                        && match (&t.platform, &mine.platform) {
                            (Some(a), Some(b)) => platform(a) == platform(b),
                            _ => true,
                        }
                        && (t.edition.is_none() || t.edition == mine.edition)
                };
                let candidates: Vec<&&FileRow> = theirs.iter().filter(same).collect();
                !candidates.is_empty() && candidates.iter().all(|t| later(t, mine))
            };
            if ours.iter().all(|mine| covers(mine)) {
                let mut files: Vec<String> = ours.iter().map(|r| r.file.clone()).collect();
                files.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
                found.push((other.to_owned(), files));
            }
        }
        found
    }
}

/// Whether row `a` is a later build than row `b`: by version when both give one, else by date.
fn later(a: &FileRow, b: &FileRow) -> bool {
    use crate::facts::values::compare_versions;
    match (&a.version, &b.version) {
        (Some(va), Some(vb)) => match (version(va.as_str()), version(vb.as_str())) {
            (Ok(x), Ok(y)) => compare_versions(&x, &y).is_gt(),
            _ => false,
        },
        _ => a.date.as_str() > b.date.as_str(),
    }
}

impl Knowledge {
    /// What `rule`'s helpers know, within `catalogue`.
    pub fn of(rule: &Rule, catalogue: Rc<Catalogue>) -> Knowledge {
        let hotfixes = hotfix_ids(rule);
        let ours: Vec<String> = hotfixes.iter().map(|h| hotfix_key(h)).collect();
        let mut sources: Vec<FixSource> =
            hotfixes.iter().map(|h| FixSource::new(h, None)).collect();
        for rollup in &catalogue.rollups {
            if let Some(included) = (rollup.includes.iter()).find(|i| ours.contains(&hotfix_key(i)))
            {
                let why = format!(
                    " ({}: {}), which includes {included}",
                    rollup.id, rollup.title
                );
                sources.extend(
                    (rollup.hotfixes.iter())
                        .map(|h| FixSource::new(h, Some((rollup.id.clone(), why.clone())))),
                );
            }
        }
        Knowledge {
            sources,
            id: rule.id.clone(),
            hotfixes,
            service_pack: (rule.fix.as_ref())
                .and_then(|f| f.service_pack.as_ref())
                .map(|sp| sp.as_str().to_owned()),
            table: (rule.resolution.as_ref())
                .map_or_else(Vec::new, |r| r.files.clone())
                .into(),
            catalogue,
        }
    }
}
