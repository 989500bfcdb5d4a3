//! What is installed, from the SOFTWARE hive: hotfixes (`CurrentVersion\Hotfix`, `Updates`) and
//! programs (`Uninstall` keys). A list is written only when the keys that hold it are there, so
//! an empty list means "looked, and none".

use std::path::PathBuf;

use super::document::{Collecting, Software};
use super::regf::{self, Hive};
use super::{CURRENT_VERSION, text};
use crate::facts::registry::RegData;

/// Where Windows lists installed programs.
const UNINSTALL: [&str; 2] = [
    "Microsoft\\Windows\\CurrentVersion\\Uninstall",
    "Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
];

impl Collecting {
    pub(super) fn hotfixes_and_software(&mut self, software: Option<&(Hive, PathBuf)>) {
        let Some((h, path)) = software else { return };
        // A hive without CurrentVersion is not a SOFTWARE hive (a SAM or SYSTEM hive given as
        // --software): nothing in it says what is installed.
        match h.key(CURRENT_VERSION) {
            Ok(Some(_)) => {}
            Ok(None) => {
                self.missing(
                    "hotfixes, software",
                    format!(
                        "{}: not a SOFTWARE hive (no {CURRENT_VERSION} key)",
                        path.display()
                    ),
                    true,
                );
                return;
            }
            // The OS facts' reading of the same key has said why.
            Err(_) => return,
        }
        let version = self.doc.os.as_ref().and_then(|o| o.version.clone());
        let major: Option<u32> = version
            .as_deref()
            .and_then(|v| v.split('.').next()?.parse().ok());
        match major {
            Some(m) if m < 6 => match hotfixes(h) {
                Ok(list) => {
                    self.doc.hotfixes = Some(list);
                    self.read(path, "hotfixes (CurrentVersion\\Hotfix, Updates)");
                }
                Err(e) => self.missing("hotfixes", format!("{}: {e}", path.display()), true),
            },
            Some(_) => self.missing(
                "hotfixes",
                "Windows Vista and later record updates in component-based servicing, which \
                 kbdiag does not read; the hotfix list would not be complete"
                    .into(),
                false,
            ),
            None => self.missing(
                "hotfixes",
                "the Windows version is unknown, so whether the hive's hotfix keys are complete is too"
                    .into(),
                false,
            ),
        }
        match installed_software(h) {
            Ok(Some(list)) => {
                self.doc.software = Some(list);
                self.read(path, "software (Uninstall keys)");
            }
            Ok(None) => self.missing(
                "software",
                format!("{}: no {} key", path.display(), UNINSTALL[0]),
                false,
            ),
            Err(e) => self.missing("software", format!("{}: {e}", path.display()), true),
        }
    }
}

/// Hotfix ids: the keys under `CurrentVersion\Hotfix` (Windows NT 4.0, 2000) and
/// `Microsoft\Updates\<product>\<level>\` (XP, Server 2003), sorted and de-duplicated.
fn hotfixes(h: &Hive) -> Result<Vec<String>, regf::HiveError> {
    let mut ids = std::collections::BTreeSet::new();
    if let Some(k) = h.key(&format!("{CURRENT_VERSION}\\Hotfix"))? {
        for fix in h.subkeys(&k)? {
            let installed = h.value(&fix, "Installed")?;
            if !matches!(installed.map(|v| v.value), Some(RegData::Int(0))) {
                ids.insert(fix.name);
            }
        }
    }
    if let Some(updates) = h.key("Microsoft\\Updates")? {
        for product in h.subkeys(&updates)? {
            for level in h.subkeys(&product)? {
                for fix in h.subkeys(&level)? {
                    if is_hotfix_id(&fix.name) {
                        ids.insert(fix.name);
                    }
                }
            }
        }
    }
    Ok(ids.into_iter().collect())
}

fn is_hotfix_id(name: &str) -> bool {
    let upper = name.to_uppercase();
    let digits = upper
        .strip_prefix("KB")
        .or_else(|| upper.strip_prefix('Q'))
        .unwrap_or("");
    !digits.is_empty() && digits.chars().take_while(char::is_ascii_digit).count() >= 5
}

/// The programs the Uninstall keys list; `None` when the hive has no Uninstall key at all.
fn installed_software(h: &Hive) -> Result<Option<Vec<Software>>, regf::HiveError> {
    let mut list = None;
    for base in UNINSTALL {
        let Some(k) = h.key(base)? else { continue };
        let list = list.get_or_insert_with(Vec::new);
        for app in h.subkeys(&k)? {
            let Some(name) = h.value(&app, "DisplayName")?.and_then(text) else {
                continue;
            };
            let version = h.value(&app, "DisplayVersion")?.and_then(text);
            list.push(Software { name, version });
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotfix_ids() {
        assert!(is_hotfix_id("Q246009"));
        assert!(is_hotfix_id("KB2919355"));
        assert!(!is_hotfix_id("SP1"));
        assert!(!is_hotfix_id("Qfe"));
    }
}
