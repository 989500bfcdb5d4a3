//! The version resource of a PE file (DLL, EXE), read with `pelite`: the numeric file and product
//! versions and the `StringFileInfo` strings (`FileVersion` often carries an annotation such as
//! `5.1.2600.2180 (xpsp_sp2_rtm.040803-2158)`; the numeric version is what rules compare).

use std::collections::BTreeMap;

use pelite::PeFile;

/// What a version resource says. A file without one is `Ok(None)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// The fixed file version, `major.minor.build.revision`.
    pub file_version: Option<String>,
    pub product_version: Option<String>,
    /// The strings of the first language, by name.
    pub strings: BTreeMap<String, String>,
}

/// Reads the version resource of the PE image in `bytes`; an error names what is broken.
pub fn version_info(bytes: &[u8]) -> Result<Option<VersionInfo>, String> {
    // pelite reads structures in place and wants them 8-byte aligned: copy to an aligned start.
    let mut buffer = vec![0u8; bytes.len() + 8];
    let skip = buffer.as_ptr().align_offset(8).min(8);
    buffer[skip..skip + bytes.len()].copy_from_slice(bytes);
    let image = &buffer[skip..skip + bytes.len()];
    let pe = PeFile::from_bytes(image).map_err(|e| format!("not a PE file: {e}"))?;
    let resources = match pe.resources() {
        Ok(r) => r,
        Err(pelite::Error::Null) => return Ok(None),
        Err(e) => return Err(format!("resources unreadable: {e}")),
    };
    let info = match resources.version_info() {
        Ok(info) => info,
        Err(pelite::resources::FindError::NotFound) => return Ok(None),
        Err(e) => return Err(format!("version resource unreadable: {e}")),
    };
    let mut out = VersionInfo::default();
    if let Some(fixed) = info.fixed() {
        let v = |v: &pelite::image::VS_VERSION| {
            format!("{}.{}.{}.{}", v.Major, v.Minor, v.Patch, v.Build)
        };
        out.file_version = Some(v(&fixed.dwFileVersion));
        out.product_version = Some(v(&fixed.dwProductVersion));
    }
    if let Some(&lang) = info.translation().first() {
        info.strings(lang, |k, v| {
            out.strings.insert(k.to_owned(), v.to_owned());
        });
    }
    if out.strings.is_empty() {
        // Some files carry strings under a language their translation table does not name.
        let file_info = info.file_info();
        if let Some(strings) = file_info.strings.values().next() {
            for (k, v) in strings {
                out.strings.insert(k.to_string(), v.to_string());
            }
        }
    }
    Ok(Some(out))
}
