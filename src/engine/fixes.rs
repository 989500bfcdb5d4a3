//! The helpers that tell whether a host has an article's fix: `fix_installed()` (the hotfix, a
//! rollup that includes it, the service pack it shipped in) and `fixed_file(path)` (the host's
//! file against the article's own file-table row, "these or later"), and `file_exists(path)`.
//! Their evidence names what decided: the hotfix, the rollup, the row, or the later article
//! whose table lists the host's version.

use std::cmp::Ordering;

use crate::engine::helpers::{listed, read_fact_text};
use crate::engine::matching::{file_name, hotfix_matches};
use crate::engine::probe::{Fallible, Probe, fail, scan_cost};
use crate::facts::values::{self, platform};
use crate::numbers::thousands;
use crate::rules::catalogue::Catalogue;
use crate::rules::rule::FileRow;

/// `fix_installed()`: the article's hotfix, a rollup of the knowledge base that includes it, or
/// the service pack it shipped in. False only when every source that could say so says no.
pub(crate) fn fix_installed(probe: &mut Probe) -> Fallible<bool> {
    let k = probe.knowledge.clone();
    let facts = probe.facts.clone();
    let mut unknown = Vec::new();
    // Each hotfix's own registry key, when collected, is the primary source (docs/facts.md).
    if let Ok(Some(registry)) = facts.registry.get() {
        let cost = probe.index.registry_cost(registry);
        probe.charge(cost * k.sources.len())?;
        for s in &k.sources {
            let found = (probe.index.registry(registry, &s.registry))
                .and_then(|name| registry.get_key_value(name));
            if let Some((name, Some(value))) = found {
                if matches!(value.value, crate::facts::RegData::Int(1)) {
                    let via = s.rollup.as_ref().map_or("", |(_, why)| why.as_str());
                    let mut read = crate::engine::helpers::registry_is(name, value);
                    read.push_str(via);
                    probe.read(read);
                    return Ok(true);
                }
            }
        }
    }
    match facts.hotfixes.get() {
        Ok(Some(hotfixes)) => {
            probe.charge(scan_cost(hotfixes.iter().map(|h| h.as_str())) * k.sources.len())?;
            for s in &k.sources {
                if let Some(h) = hotfixes.iter().find(|h| hotfix_matches(h.as_str(), &s.key)) {
                    let via = s.rollup.as_ref().map_or("", |(_, why)| why.as_str());
                    probe.read(["hotfixes includes ", h.as_str(), via].concat());
                    return Ok(true);
                }
            }
            let mut rollups: Vec<&str> = (k.sources.iter())
                .filter_map(|s| s.rollup.as_ref().map(|(id, _)| id.as_str()))
                .collect();
            rollups.dedup();
            let also = if rollups.is_empty() {
                String::new()
            } else {
                format!(" or a rollup that includes it ({})", rollups.join(", "))
            };
            probe.read(format!(
                "hotfixes ({}) lack {}{also}",
                hotfixes.len(),
                k.hotfixes.join(" and ")
            ));
        }
        Ok(None) => unknown.push("hotfixes".to_owned()),
        Err(message) => return fail(message),
    }
    if let Some(pack) = &k.service_pack {
        match read_fact_text(probe, "os.service_pack")? {
            Some(sp) => {
                if sp_order(&sp) >= sp_order(pack) {
                    probe.read(format!(
                        "os.service_pack={sp}: the fix shipped in service pack {pack}"
                    ));
                    return Ok(true);
                }
                probe.read(format!(
                    "os.service_pack={sp}: before service pack {pack}, which the fix shipped in"
                ));
            }
            None => unknown.push("os.service_pack".to_owned()),
        }
    }
    match unknown.is_empty() {
        true => Ok(false),
        false => Err(probe.missing(unknown.join(" and "))),
    }
}

/// A service pack as `os.service_pack` reads it (`6`, `6a`) in order: 6 < 6a < 7.
fn sp_order(sp: &str) -> (u64, String) {
    let digits: String = sp.chars().take_while(char::is_ascii_digit).collect();
    let letter: String = sp[digits.len()..].to_ascii_lowercase();
    (digits.parse().unwrap_or(0), letter)
}

/// `file_exists(path)`: whether the facts list the file, or list it as absent.
pub(crate) fn file_exists(probe: &mut Probe, path: &str) -> Fallible<bool> {
    let index = probe.file_needing(path, || " (whether it exists)".to_owned())?;
    let facts = probe.facts.clone();
    let entry = listed(&facts, index)?;
    let exists = entry.exists != Some(false);
    let said = if exists { "exists" } else { "is absent" };
    probe.read([entry.path.as_str(), " ", said].concat());
    Ok(exists)
}

/// `file_collected(path)`: whether the facts list the file at all, to let the file decide when
/// it was collected. Never unknown.
pub(crate) fn file_collected(probe: &mut Probe, path: &str) -> Fallible<bool> {
    // Found on this host already, by this rule or another: collected, for the same charges.
    if let Some(found) = probe.refind(path) {
        let (_, shown) = found?;
        probe.read(["file ", &shown, " collected"].concat());
        return Ok(true);
    }
    let facts = probe.facts.clone();
    probe.charge_expansion(path)?;
    let (expanded, _) =
        crate::engine::matching::expand_vars(path, |n| facts.env_var(n).map(str::to_owned));
    let key = crate::engine::matching::path_key(&expanded);
    let found = match facts.files.get() {
        Ok(Some(files)) => {
            let cost = probe.index.files_cost(files);
            probe.charge(cost)?;
            !probe.index.files(files, &key).is_empty()
        }
        Ok(None) => false,
        Err(message) => return fail(message),
    };
    let said = if found { "collected" } else { "not collected" };
    probe.read(["file ", &expanded.replace('/', "\\"), " ", said].concat());
    Ok(found)
}

/// `registry_exists(path)`: whether a registry value (or key) exists. A value collected as
/// `null` does not; a key exists when any value below it does. Unknown when neither is collected.
pub(crate) fn registry_exists(probe: &mut Probe, path: &str) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let registry = probe.list(&format!("registry {path}"), &facts.registry)?;
    let cost = probe.index.registry_cost(registry);
    probe.charge(cost)?;
    let key = crate::engine::matching::registry_key(path.trim_end_matches('\\'));
    if let Some((name, value)) = registry
        .iter()
        .find(|(k, _)| crate::engine::matching::registry_key(k.trim_end_matches('\\')) == key)
    {
        let said = if value.is_some() {
            "exists"
        } else {
            "is absent"
        };
        probe.read(format!("registry {name} {said}"));
        return Ok(value.is_some());
    }
    let below = [key.as_str(), "\\"].concat();
    if let Some((name, _)) = registry
        .iter()
        .find(|(k, v)| v.is_some() && crate::engine::matching::registry_key(k).starts_with(&below))
    {
        probe.read(format!("registry {path} exists (it holds {name})"));
        return Ok(true);
    }
    Err(probe.missing(format!("registry {path}")))
}

/// How the host's file compares with one row: by version or by date.
struct Compared<'r> {
    row: &'r FileRow,
    order: Ordering,
    by_version: bool,
}

impl Compared<'_> {
    /// The host's side, e.g. `version 4.0.1381.7179` or `modified 2002-05-01, size 124,784`.
    fn push_host(&self, out: &mut String, entry: &crate::facts::FileEntry) {
        if self.by_version {
            out.push_str("version ");
            out.push_str(entry.version.as_ref().map_or("", |v| v.as_str()));
            return;
        }
        let modified = entry.modified.as_ref().map_or("", |m| m.as_str());
        out.push_str("modified ");
        out.push_str(&modified[..modified.len().min(10)]);
        if let Some(s) = entry.size {
            out.push_str(", size ");
            out.push_str(&thousands(s));
        }
        if self.row.version.is_some() {
            out.push_str(", no version collected");
        }
    }

    /// The row's side, e.g. `4.0.1381.7109` or `date 2001-07-16 (size 36,112)`.
    fn push_ours(&self, out: &mut String) {
        let row = self.row;
        match (&row.version, self.by_version) {
            (Some(ours), true) => out.push_str(ours.as_str()),
            _ => {
                out.push_str("date ");
                out.push_str(row.date.as_str());
                if let Some(s) = row.size {
                    out.push_str(" (size ");
                    out.push_str(&thousands(s));
                    out.push(')');
                }
            }
        }
    }
}

/// `fixed_file(path)`: whether the host's file is this article's build or later.
pub(crate) fn fixed_file(probe: &mut Probe, path: &str) -> Fallible<bool> {
    let k = probe.knowledge.clone();
    let name = file_name(path).to_owned();
    let rows: Vec<&FileRow> = (k.table.iter())
        .filter(|r| r.file.eq_ignore_ascii_case(&name))
        .collect();
    if rows.is_empty() {
        return fail(format!(
            "fixed_file(\"{path}\"): the article's file table (resolution.files) has no row for {name}"
        ));
    }
    let need = if rows.iter().any(|r| r.version.is_some()) {
        ": its version, or its modified date (UTC), to compare with the article's file table"
    } else {
        ": its modified date (UTC), to compare with the article's file table"
    };
    let index = probe.file_needing(path, || need.to_owned())?;
    let facts = probe.facts.clone();
    let entry = listed(&facts, index)?;
    let shown = entry.path.as_str();
    if entry.exists == Some(false) {
        probe.read(format!(
            "{shown} is absent: the article's build is not installed"
        ));
        return Ok(false);
    }
    let mut rows = rows;
    // The rows for the host's edition, when the table has rows for one.
    if rows.iter().any(|r| r.edition.is_some()) {
        match read_fact_text(probe, "os.edition")? {
            Some(edition) => {
                let ours = |r: &&FileRow| {
                    r.edition
                        .as_deref()
                        .is_some_and(|e| crate::engine::matching::contains_ci(&edition, e))
                };
                if rows.iter().any(ours) {
                    rows.retain(ours);
                } else {
                    rows.retain(|r| r.edition.is_none());
                }
            }
            None => {
                return Err(probe.missing(format!(
                    "os.edition (the article's rows for {name} are per edition)"
                )));
            }
        }
    }
    // The rows for the host's cipher strength, when the table has several.
    if distinct(&rows, |r| r.bits) {
        let bits = match entry.cipher_bits {
            Some(bits) => Some(bits),
            None => read_fact_text(probe, "os.cipher_bits")?.and_then(|b| b.parse().ok()),
        };
        if let Some(bits) = bits {
            rows.retain(|r| r.bits.is_none_or(|b| b == bits));
            if rows.is_empty() {
                probe.read(format!(
                    "the article's file table has no {bits}-bit build of {name}, so {shown} cannot be compared: the hotfix decides"
                ));
                return fix_installed(probe);
            }
        }
    }
    // The rows for the host's platform, when the facts say it (an Alpha is never compared
    // with an x86 build).
    let mut platform_known = false;
    if let Some(raw) = facts.env_var("PROCESSOR_ARCHITECTURE") {
        let arch = platform(raw);
        platform_known = true;
        if rows.iter().any(|r| r.platform.is_some()) {
            probe.read(["env.PROCESSOR_ARCHITECTURE=", raw].concat());
        }
        rows.retain(|r| r.platform.as_deref().is_none_or(|p| platform(p) == arch));
        if rows.is_empty() {
            // The file cannot be compared with a build of another platform: what installs the
            // fix decides.
            probe.read(format!(
                "the article's file table has no {arch} build of {name}, so {shown} cannot be compared: the hotfix decides"
            ));
            return fix_installed(probe);
        }
    }
    let mut compared = Vec::new();
    for row in &rows {
        match compare(entry, row) {
            Ok(c) => compared.push(c),
            Err(what) => return Err(probe.missing(format!("{shown} {what}"))),
        }
    }
    let Some(first) = compared.first() else {
        return Err(probe.missing(format!(
            "{shown}: the article's file table has no build for this host's cipher strength (collect os.cipher_bits or the file's cipher_bits if they were not)"
        )));
    };
    let later = compared.iter().all(|c| c.order != Ordering::Less);
    let older = compared.iter().all(|c| c.order == Ordering::Less);
    if !later && !older {
        let differ = if distinct(&rows, |r| r.bits) {
            "os.cipher_bits or the file's cipher_bits"
        } else {
            "env.PROCESSOR_ARCHITECTURE"
        };
        return Err(probe.missing(format!(
            "{differ} (the article's rows for {name} differ, and {shown} is later than some, older than others)"
        )));
    }
    // One text, written in place: this runs for every file table on every host.
    let mut text = String::with_capacity(192);
    text.push_str(shown);
    text.push(' ');
    first.push_host(&mut text, entry);
    // A platform the facts did not give is not named: the rows agree on what was compared.
    let row = |text: &mut String| {
        text.push_str(" (");
        push_row(text, first.row, platform_known);
        text.push(')');
    };
    match first.order {
        Ordering::Equal if first.by_version => {
            text.push_str(": this article's build");
            row(&mut text);
        }
        Ordering::Equal => {
            match (entry.size, first.row.size) {
                (Some(a), Some(b)) if a == b => {
                    text.push_str(": this article's build, by its date and size")
                }
                (Some(_), Some(b)) => {
                    text.push_str(": the date of this article's build, though not its size (");
                    text.push_str(&thousands(b));
                    text.push(')');
                }
                _ => text.push_str(": the date of this article's build"),
            }
            row(&mut text);
        }
        Ordering::Greater => {
            text.push_str(" is later than this article's ");
            first.push_ours(&mut text);
            row(&mut text);
            text.push_str(&later_article(&k.catalogue, &k.id, entry, first));
        }
        Ordering::Less => {
            text.push_str(" is older than this article's ");
            first.push_ours(&mut text);
            row(&mut text);
        }
    }
    probe.read(text);
    Ok(later)
}

/// Whether the rows disagree on a column.
fn distinct<T: PartialEq>(rows: &[&FileRow], key: impl Fn(&FileRow) -> T) -> bool {
    rows.windows(2).any(|w| key(w[0]) != key(w[1]))
}

/// The host's file against one row: by version when both give one, otherwise by date.
fn compare<'r>(entry: &crate::facts::FileEntry, row: &'r FileRow) -> Result<Compared<'r>, String> {
    let host_version = entry.version.as_ref().map(|v| v.as_str());
    if let (Some(theirs), Some(ours)) = (host_version, &row.version) {
        let ours_parts =
            values::version(ours.as_str()).map_err(|e| format!("(the article's row: {e})"))?;
        match values::version(theirs) {
            Ok(parts) => {
                return Ok(Compared {
                    row,
                    order: values::compare_versions(&parts, &ours_parts),
                    by_version: true,
                });
            }
            Err(e) if entry.modified.is_none() => {
                return Err(format!("modified date (UTC): its version {e}"));
            }
            Err(_) => {}
        }
    }
    let Some(modified) = entry.modified.as_ref() else {
        return Err(if row.version.is_some() {
            "version, or its modified date (UTC)".to_owned()
        } else {
            "modified date (UTC), to compare with the article's file table".to_owned()
        });
    };
    let date = &modified.as_str()[..modified.as_str().len().min(10)];
    Ok(Compared {
        row,
        order: date.cmp(row.date.as_str()),
        by_version: false,
    })
}

/// A row as evidence names it: `the row of 2001-11-15` or `the I386 128-bit row of 2001-07-16 12:05`.
fn push_row(out: &mut String, row: &FileRow, with_platform: bool) {
    out.push_str("the ");
    if let Some(p) = row.platform.as_ref().filter(|_| with_platform) {
        out.push_str(p);
        out.push(' ');
    }
    if let Some(b) = row.bits {
        out.push_str(itoa::Buffer::new().format(b));
        out.push_str("-bit ");
    }
    out.push_str("row of ");
    out.push_str(row.date.as_str());
    if let Some(t) = &row.time {
        out.push(' ');
        out.push_str(t.as_str());
    }
}

/// Which other article's table lists the host's build, when it is later than this article's:
/// the one with the same version (or the same date and size), else the latest older than it.
fn later_article(
    catalogue: &Catalogue,
    ours: &str,
    entry: &crate::facts::FileEntry,
    c: &Compared,
) -> String {
    let same_platform = |r: &FileRow| match (&r.platform, &c.row.platform) {
        (Some(a), Some(b)) => platform(a) == platform(b),
        _ => true,
    };
    let named = (catalogue.by_file.get(&c.row.file.to_ascii_lowercase()))
        .map_or(&[][..], |at| at.as_slice());
    let candidates = (named.iter())
        .map(|&at| (&catalogue.rows[at], &catalogue.versions[at]))
        .filter(|((id, r), _)| id != ours && same_platform(r));
    let host_version = entry
        .version
        .as_ref()
        .and_then(|v| values::version(v.as_str()).ok());
    let host_date = entry
        .modified
        .as_ref()
        .map(|m| &m.as_str()[..m.as_str().len().min(10)]);
    let mut exact: Vec<&str> = Vec::new();
    for ((id, r), row_version) in candidates {
        let same = match (&host_version, &r.version, c.by_version) {
            (Some(h), Some(_), true) => row_version
                .as_ref()
                .is_some_and(|v| values::compare_versions(h, v) == Ordering::Equal),
            _ => {
                host_date == Some(r.date.as_str())
                    && (r.size.is_none() || entry.size.is_none() || r.size == entry.size)
            }
        };
        if same && !exact.contains(&id.as_str()) {
            exact.push(id);
        }
    }
    match exact.as_slice() {
        [] => String::new(),
        [one] => format!(": the build of {one}'s table, a later fix of the same file"),
        many => format!(
            ": the build of the tables of {}, later fixes of the same file",
            many.join(", ")
        ),
    }
}
