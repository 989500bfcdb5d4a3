//! The registry values the rules read, from the SOFTWARE or SYSTEM hive; `HKLM\SYSTEM\
//! CurrentControlSet\…` from the control set `Select\Current` names.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Needs;
use super::document::Collecting;
use super::regf::Hive;

impl Collecting {
    pub(super) fn registry(
        &mut self,
        needs: &Needs,
        software: Option<&(Hive, PathBuf)>,
        system: Option<&(Hive, PathBuf)>,
        control_set: Option<&str>,
    ) {
        let mut values = BTreeMap::new();
        let mut from: BTreeMap<PathBuf, usize> = BTreeMap::new();
        for path in &needs.registry {
            // Only `\` separates: `/` is a character of key names (`SCSI#Disk…120/240____00`).
            let rest = strip_prefix_ci(path, "HKLM\\")
                .or_else(|| strip_prefix_ci(path, "HKEY_LOCAL_MACHINE\\"));
            let target = rest.and_then(|rest| {
                if let Some(r) = strip_prefix_ci(rest, "SOFTWARE\\") {
                    Some((software?, r.to_owned()))
                } else if let Some(r) = strip_prefix_ci(rest, "SYSTEM\\") {
                    let r = match strip_prefix_ci(r, "CurrentControlSet\\") {
                        Some(r) => format!("{}\\{r}", control_set?),
                        None => r.to_owned(),
                    };
                    Some((system?, r))
                } else {
                    None
                }
            });
            let Some(((hive, file), rest)) = target else {
                self.missing(
                    &format!("registry {path}"),
                    "not in a SOFTWARE or SYSTEM hive that was read".into(),
                    false,
                );
                continue;
            };
            let (key, name) = rest.rsplit_once('\\').unwrap_or(("", rest.as_str()));
            let value = hive
                .key(key)
                .and_then(|k| k.map_or(Ok(None), |k| hive.value(&k, name)));
            match value {
                Ok(v) => {
                    values.insert(path.clone(), v);
                    *from.entry(file.clone()).or_default() += 1;
                }
                Err(e) => self.missing(
                    &format!("registry {path}"),
                    format!("{}: {e}", file.display()),
                    true,
                ),
            }
        }
        for (file, n) in from {
            self.read(
                &file,
                &format!(
                    "registry ({n} value{} the rules read)",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
        if !values.is_empty() {
            self.doc.registry = Some(values);
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}
