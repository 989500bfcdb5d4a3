//! The operating system from the hives: name, version, build, service pack and system root
//! from SOFTWARE, the edition from SYSTEM's `ProductOptions`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::document::{Collecting, Os};
use super::regf::Hive;
use super::{CURRENT_VERSION, text};
use crate::facts::registry::{RegData, RegValue};

impl Collecting {
    pub(super) fn os(
        &mut self,
        software: Option<&(Hive, PathBuf)>,
        system: Option<&(Hive, PathBuf)>,
        control_set: Option<&str>,
    ) {
        let mut os = Os::default();
        let mut product_type = None;
        if let Some((h, path)) = system
            && let Some(cs) = control_set
        {
            match h.key(&format!("{cs}\\Control\\ProductOptions")) {
                Ok(Some(k)) => {
                    product_type = h.value(&k, "ProductType").ok().flatten().and_then(text);
                    let suite = match h.value(&k, "ProductSuite") {
                        Ok(Some(RegValue {
                            value: RegData::List(l),
                            ..
                        })) => l,
                        Ok(Some(RegValue {
                            value: RegData::Text(t),
                            ..
                        })) => vec![t],
                        _ => Vec::new(),
                    };
                    os.edition = edition(product_type.as_deref(), &suite);
                    self.read(
                        path,
                        "os.edition (ProductType, ProductSuite), host (ComputerName)",
                    );
                }
                Ok(None) => self.missing(
                    "os.edition",
                    format!("{}: no {cs}\\Control\\ProductOptions key", path.display()),
                    false,
                ),
                Err(e) => self.missing("os.edition", format!("{}: {e}", path.display()), true),
            }
        }
        if let Some((h, path)) = software {
            match h.key(CURRENT_VERSION) {
                Ok(Some(k)) => {
                    let value = |name: &str| h.value(&k, name).ok().flatten();
                    let major = value("CurrentMajorVersionNumber");
                    let minor = value("CurrentMinorVersionNumber");
                    os.version = match (major.map(|v| v.value), minor.map(|v| v.value)) {
                        // Windows 10 and later still say 6.3 in CurrentVersion.
                        (Some(RegData::Int(a)), Some(RegData::Int(b))) => Some(format!("{a}.{b}")),
                        _ => value("CurrentVersion").and_then(text),
                    };
                    os.build = value("CurrentBuildNumber")
                        .and_then(text)
                        .and_then(|b| b.trim().parse().ok());
                    // Absent or empty without a service pack, which the fact format reads as 0.
                    os.service_pack = Some(value("CSDVersion").and_then(text).unwrap_or_default());
                    os.name = value("ProductName")
                        .and_then(text)
                        .or_else(|| nt_name(product_type.as_deref(), os.version.as_deref()?));
                    if let Some(root) = value("SystemRoot").and_then(text) {
                        self.doc.env = Some(BTreeMap::from([("SystemRoot".into(), root)]));
                    }
                    self.read(
                        path,
                        "os.name, os.version, os.build, os.service_pack, env.SystemRoot",
                    );
                }
                Ok(None) => self.missing(
                    "os",
                    format!(
                        "{}: not a SOFTWARE hive (no {CURRENT_VERSION} key)",
                        path.display()
                    ),
                    true,
                ),
                Err(e) => self.missing("os", format!("{}: {e}", path.display()), true),
            }
        }
        if os.name.is_some() || os.version.is_some() || os.edition.is_some() {
            self.doc.os = Some(os);
        }
    }
}

/// The edition as `ProductSuite` names it; a server with none of those is Standard.
fn edition(product_type: Option<&str>, suite: &[String]) -> Option<String> {
    let has = |s: &str| suite.iter().any(|x| x.eq_ignore_ascii_case(s));
    if has("Enterprise") {
        Some("Enterprise".into())
    } else if has("Terminal Server")
        && !matches!(product_type, Some(t) if t.eq_ignore_ascii_case("WinNT"))
    {
        Some("Terminal Server".into())
    } else if has("Small Business") {
        Some("Small Business Server".into())
    } else {
        match product_type {
            Some(t) if t.eq_ignore_ascii_case("ServerNT") || t.eq_ignore_ascii_case("LanmanNT") => {
                Some("Standard".into())
            }
            _ => None,
        }
    }
}

/// Windows NT 4.0 and earlier have no `ProductName`: the name follows from `ProductType`.
fn nt_name(product_type: Option<&str>, version: &str) -> Option<String> {
    let major: u32 = version.split('.').next()?.parse().ok()?;
    if major >= 5 {
        return None;
    }
    let kind = match product_type? {
        t if t.eq_ignore_ascii_case("WinNT") => "Workstation",
        t if t.eq_ignore_ascii_case("ServerNT") || t.eq_ignore_ascii_case("LanmanNT") => "Server",
        _ => return None,
    };
    Some(format!("Windows NT {kind} {version}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editions_follow_product_suite() {
        let suite = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(edition(Some("ServerNT"), &[]).as_deref(), Some("Standard"));
        assert_eq!(
            edition(Some("ServerNT"), &suite(&["Enterprise"])).as_deref(),
            Some("Enterprise")
        );
        assert_eq!(
            edition(Some("LanmanNT"), &suite(&["Terminal Server"])).as_deref(),
            Some("Terminal Server")
        );
        // Windows 7 workstations list Terminal Server for Remote Desktop: not an edition.
        assert_eq!(edition(Some("WinNT"), &suite(&["Terminal Server"])), None);
    }

    #[test]
    fn nt4_names_come_from_the_product_type() {
        assert_eq!(
            nt_name(Some("ServerNT"), "4.0").as_deref(),
            Some("Windows NT Server 4.0")
        );
        assert_eq!(
            nt_name(Some("WinNT"), "4.0").as_deref(),
            Some("Windows NT Workstation 4.0")
        );
        assert_eq!(nt_name(Some("ServerNT"), "5.0"), None);
    }
}
