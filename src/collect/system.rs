//! Locating the system: a volume's Windows folder and its hive folder, the SOFTWARE and SYSTEM
//! hives, the control set `Select\Current` names, and the computer's name.

use std::path::{Path, PathBuf};

use super::document::Collecting;
use super::regf::Hive;
use super::volume::{self, Volume};
use super::{CollectError, text};
use crate::facts::registry::RegData;

/// Where a volume's system lives.
pub(super) struct System {
    pub(super) volume: Volume,
    /// The Windows folder (`WINNT`, `Windows`…).
    pub(super) windows: PathBuf,
    /// Its `system32\config`, the hive folder.
    pub(super) config: PathBuf,
}

/// The Windows system on the volume at `root`: an error when `root` is no readable folder or
/// holds no `system32\config` folder, where nothing could be collected.
pub(super) fn locate(root: &Path) -> Result<System, CollectError> {
    let volume = Volume::open(root).map_err(|e| CollectError::NotAFolder {
        root: root.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::NotFound {
            "no such folder".into()
        } else {
            format!("not a readable folder: {e}")
        },
    })?;
    let found = volume::windows_dir(root).and_then(|windows| {
        let config = volume::find(&windows, "system32/config")?;
        Some((windows, config))
    });
    match found {
        Some((windows, config)) => Ok(System {
            volume,
            windows,
            config,
        }),
        None => Err(CollectError::NoSystem {
            root: root.to_path_buf(),
        }),
    }
}

/// The system of an installation found in an image (its volume and Windows folder known).
pub(super) fn on_image(found: &super::image::Installation) -> Result<System, CollectError> {
    let v = &found.volume;
    match v.find(&found.windows, "system32/config") {
        Some(config) => Ok(System {
            volume: v.clone(),
            windows: found.windows.clone(),
            config,
        }),
        None => Err(CollectError::NoSystem {
            root: found.windows.clone(),
        }),
    }
}

impl Collecting {
    pub(super) fn hive(&mut self, path: Option<PathBuf>, name: &str) -> Option<(Hive, PathBuf)> {
        let Some(path) = path else {
            self.missing(
                &format!("{name} hive"),
                format!("no {name} hive given or found"),
                false,
            );
            return None;
        };
        let read = volume::read(&path, self.volume.as_ref())
            .and_then(|data| Hive::from_bytes(data).map_err(|e| e.to_string()));
        match read {
            Ok(hive) => Some((hive, path)),
            Err(e) => {
                self.missing(
                    &format!("{name} hive"),
                    format!("{}: {e}", path.display()),
                    true,
                );
                None
            }
        }
    }

    /// `ControlSet00n`, as `Select\Current` names it (there is no CurrentControlSet offline).
    pub(super) fn control_set(&mut self, hive: &Hive, path: &Path) -> Option<String> {
        let current = hive
            .key("Select")
            .ok()
            .flatten()
            .and_then(|k| hive.value(&k, "Current").ok().flatten());
        match current.map(|v| v.value) {
            Some(RegData::Int(n)) if (1..=999).contains(&n) => Some(format!("ControlSet{n:03}")),
            _ => {
                self.missing(
                    "os.edition, host",
                    format!(
                        "{}: no Select\\Current value naming the control set",
                        path.display()
                    ),
                    true,
                );
                None
            }
        }
    }

    /// The computer's name in the SYSTEM hive; an empty or blank one is no name.
    pub(super) fn computer_name(
        &mut self,
        system: Option<&(Hive, PathBuf)>,
        control_set: Option<&str>,
    ) -> Option<String> {
        let ((h, path), cs) = system.zip(control_set)?;
        let name = h
            .key(&format!("{cs}\\Control\\ComputerName\\ComputerName"))
            .and_then(|k| k.map_or(Ok(None), |k| h.value(&k, "ComputerName")));
        match name {
            Ok(v) => v.and_then(text).filter(|n| !n.trim().is_empty()),
            Err(e) => {
                self.missing("host", format!("{}: {e}", path.display()), true);
                None
            }
        }
    }
}
