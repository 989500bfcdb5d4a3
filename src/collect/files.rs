//! The files the rules name: found on the volume below the system root the SOFTWARE hive gives
//! (or among the copies given one by one), with their size, time and version resource.

use std::path::Path;

use super::document::{Collecting, File};
use super::image::FileTime;
use super::volume::{self, Volume};
use super::{Artifacts, Needs, pe};
use crate::facts::values::iso_utc;

/// Longest path Windows accepts (`\\?\` paths: 32,767 UTF-16 units); a longer expansion is no
/// path on the host.
const MAX_PATH: usize = 32_767;

/// The system root, checked: a folder path on a drive (`C:\WINNT`), without variables. Anything
/// else the hive may hold (`%windir%`, `X%SystemRoot%`) cannot place a file.
pub(super) fn system_root(value: &str) -> Result<&str, String> {
    let b = value.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    let rooted = b.len() == 2 || b.get(2) == Some(&b'\\') || b.get(2) == Some(&b'/');
    if drive && rooted && !value.contains('%') && value.chars().count() <= MAX_PATH {
        Ok(value)
    } else {
        Err(format!(
            "the SOFTWARE hive's SystemRoot ({}) is not a folder path (X:\\…), so the files \
             below it cannot be found",
            crate::input::source::shorten(value, 80)
        ))
    }
}

impl Collecting {
    /// `system_root` is the checked system root, or why there is none.
    pub(super) fn files(
        &mut self,
        needs: &Needs,
        artifacts: &Artifacts,
        system_root: Result<&str, String>,
    ) {
        let mut files = Vec::new();
        for wanted in &needs.files {
            let windows = match &system_root {
                Err(why) => {
                    self.missing(&format!("file {wanted}"), why.clone(), false);
                    continue;
                }
                Ok(root) => match expand(wanted, root) {
                    Ok(p) => p,
                    Err(why) => {
                        self.missing(&format!("file {wanted}"), why.into(), false);
                        continue;
                    }
                },
            };
            let name = windows
                .rsplit('\\')
                .next()
                .unwrap_or_default()
                .to_lowercase();
            let given = artifacts.files.iter().find(|f| {
                f.file_name()
                    .is_some_and(|n| n.to_string_lossy().to_lowercase() == name)
            });
            // The volume is the system drive: a path on another drive is not on it.
            let system_drive = system_root.as_ref().ok().and_then(|r| drive(r));
            let on_system_drive = system_drive.is_some() && system_drive == drive(&windows);
            let on = self.volume.as_ref().filter(|_| on_system_drive);
            let below_root = |p: &str| {
                let v = on?;
                v.find(&v.root, p.get(2..)?)
            };
            let Some(local) = given.cloned().or_else(|| below_root(&windows)) else {
                // Its folder is on the volume and the file is not in it: absent, not unknown.
                let folder = windows.rsplit_once('\\').map(|(dir, _)| dir);
                let looked = folder
                    .filter(|d| d.len() > 2)
                    .and_then(below_root)
                    .is_some_and(|dir| on.is_some_and(|v| v.is_dir(&dir)));
                if looked {
                    files.push(File::absent(windows));
                    continue;
                }
                if self.volume.is_some() || !artifacts.files.is_empty() {
                    self.missing(
                        &format!("file {windows}"),
                        "not on the volume and not given".into(),
                        false,
                    );
                }
                continue;
            };
            match file_facts(&local, &windows, self.volume.as_ref()) {
                Ok((mut file, problem, time)) => {
                    if let Some(p) = problem {
                        self.missing(&format!("file {windows} version"), p, true);
                    }
                    self.file_time(&mut file, time);
                    self.read(&local, &format!("files ({windows})"));
                    files.push(file);
                }
                Err(e) => self.missing(
                    &format!("file {windows}"),
                    format!("{}: {e}", local.display()),
                    true,
                ),
            }
        }
        if !files.is_empty() {
            self.doc.files = Some(files);
        }
    }
}

impl Collecting {
    /// A file's time as the fact format has it: UTC. A FAT volume's local time is converted with
    /// the SYSTEM hive's time zone; without one its zone is unknown, and it is written as
    /// `modified_local`, never as UTC.
    fn file_time(&mut self, file: &mut File, time: Option<FileTime>) {
        match time {
            None => {}
            Some(FileTime::Utc(t)) => file.modified = Some(iso_utc(t)),
            Some(FileTime::Local(t)) => match &self.zone {
                Some(zone) => {
                    file.modified = Some(iso_utc(zone.to_utc(t)));
                    if !self.zone_used {
                        self.zone_used = true;
                        let described = zone.describe();
                        self.read(std::path::Path::new("SYSTEM hive"), &described);
                    }
                }
                None => {
                    let local = iso_utc(t);
                    file.modified_local = Some(local.trim_end_matches('Z').to_owned());
                    self.missing(
                        &format!("file {} modified", file.path),
                        "the volume is FAT, which keeps local time, and the SYSTEM hive gives \
                         no time zone (TimeZoneInformation): the time's zone is unknown, so it \
                         is written as modified_local"
                            .into(),
                        false,
                    );
                }
            },
        }
    }
}

/// The drive of a Windows path (`C:`), upper-cased.
fn drive(p: &str) -> Option<String> {
    p.get(..2)
        .filter(|d| d.ends_with(':'))
        .map(str::to_uppercase)
}

/// A rule's file path on the host: `%SystemRoot%` (or `%windir%`, any case) replaced by
/// `system_root`, `\` separated. One pass: inserted text is never scanned again, so a root
/// naming a variable cannot loop or grow.
fn expand(path: &str, system_root: &str) -> Result<String, &'static str> {
    let other = "its path names a variable other than %SystemRoot% or %windir%";
    let path = path.replace('/', "\\");
    let mut out = String::with_capacity(path.len() + system_root.len());
    let mut rest = path.as_str();
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('%').ok_or(other)?;
        let name = &after[..end];
        if !(name.eq_ignore_ascii_case("SystemRoot") || name.eq_ignore_ascii_case("windir")) {
            return Err(other);
        }
        out.push_str(system_root);
        if out.len() > 4 * MAX_PATH {
            return Err("its path, expanded, is longer than Windows allows");
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A file's size, modified time and version resource; a broken resource is reported beside the
/// facts that could be read.
#[allow(clippy::type_complexity)]
fn file_facts(
    local: &Path,
    windows: &str,
    on: Option<&Volume>,
) -> Result<(File, Option<String>, Option<FileTime>), String> {
    let data = volume::read(local, on)?;
    let time = volume::modified(local, on)?;
    let mut file = File {
        size: Some(data.len() as u64),
        ..File::absent(windows.to_owned())
    };
    file.exists = None;
    let problem = match pe::version_info(&data) {
        Ok(Some(info)) => {
            file.version = info.file_version;
            file.product_version = info.product_version;
            file.version_strings = info.strings;
            None
        }
        Ok(None) => None,
        Err(e) => Some(format!("{}: {e}", local.display())),
    };
    Ok((file, problem, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_expand_the_system_root_only() {
        assert_eq!(
            expand("%SystemRoot%/System32/Schannel.dll", "C:\\WINNT").as_deref(),
            Ok("C:\\WINNT\\System32\\Schannel.dll")
        );
        assert_eq!(
            expand("%WINDIR%\\x.dll", "D:\\Windows").as_deref(),
            Ok("D:\\Windows\\x.dll")
        );
        assert!(expand("%ProgramFiles%\\x.dll", "C:\\WINNT").is_err());
        assert!(expand("50%\\x.dll", "C:\\WINNT").is_err());
    }

    #[test]
    fn expansion_is_one_pass_and_boundary_safe() {
        // Each would loop, grow or cut a character before: the inserted text is not rescanned.
        for root in ["%windir%", "X%SystemRoot%", "İ%windir%éééé"] {
            assert_eq!(
                expand("%SystemRoot%\\x.dll", root),
                Ok(format!("{root}\\x.dll"))
            );
            assert!(system_root(root).is_err(), "{root}");
        }
        assert_eq!(
            expand("İ%windir%é\\x.dll", "C:\\WINNT").as_deref(),
            Ok("İC:\\WINNTé\\x.dll")
        );
    }

    #[test]
    fn a_system_root_is_a_folder_path_on_a_drive() {
        for ok in ["C:\\WINNT", "d:\\Windows\\", "C:"] {
            assert_eq!(system_root(ok), Ok(ok));
        }
        for bad in ["WINNT", "\\\\server\\share", "C:WINNT", "aİ\\WINNT", ""] {
            assert!(system_root(bad).is_err(), "{bad}");
        }
        assert!(system_root(&format!("C:\\{}", "a".repeat(MAX_PATH))).is_err());
    }
}
