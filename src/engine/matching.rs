//! How fact values compare: paths, registry keys and hotfix ids (versions: `values.rs`). Pure functions, shared
//! by the Rhai helpers and their tests.

pub use crate::facts::values::{path_key, registry_key};

/// Whether `path` is the path whose [`path_key`] is `key`, without allocating for ASCII paths
/// (the common case: this runs for every file of a host on every lookup).
pub fn path_matches(path: &str, key: &str) -> bool {
    // A quick no from the file name, which tells most files apart: the key of a path that ends
    // in a name (after a separator, and in a character that is not a space) ends in `\` and that
    // name, lower-cased; its other bytes are then compared below.
    let b = path.as_bytes();
    if let Some(sep) = b.iter().rposition(|&c| c == b'\\' || c == b'/') {
        let name = &b[sep + 1..];
        if name.last().is_some_and(|&c| c > b' ') && name.is_ascii() {
            let k = key.as_bytes();
            let ends_so = k.len() > name.len()
                && k[k.len() - name.len() - 1] == b'\\'
                && k[k.len() - name.len()..].eq_ignore_ascii_case(name);
            if !ends_so {
                return false;
            }
        }
    }
    if !path.is_ascii() {
        return path_key(path) == key;
    }
    // A path written as its key is, but for case (the usual one): its length decides most.
    let plain = b.first().is_some_and(|&c| c > b' ')
        && b.last().is_some_and(|&c| c > b' ' && c != b'\\')
        && !b.contains(&b'/')
        && !b.windows(2).any(|w| w == b"\\\\");
    if plain {
        return path.len() == key.len() && path.eq_ignore_ascii_case(key);
    }
    let mut normalized = path.trim().bytes().map(|b| {
        if b == b'/' {
            b'\\'
        } else {
            b.to_ascii_lowercase()
        }
    });
    let mut key = key.bytes();
    let mut prev = 0u8;
    loop {
        let next = loop {
            match normalized.next() {
                Some(b'\\') if prev == b'\\' => continue,
                other => break other,
            }
        };
        match (next, key.next()) {
            (Some(a), Some(b)) if a == b => prev = a,
            (None, None) => return true,
            // Trailing separators do not count.
            (Some(b'\\'), None) => return normalized.all(|b| b == b'\\'),
            _ => return false,
        }
    }
}

pub use crate::facts::values::hotfix_key;

/// Whether `needle` occurs in `haystack`, ignoring case.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        // The usual texts: compared in place, without building their lowercase.
        return needle.is_empty()
            || (haystack.as_bytes().windows(needle.len()))
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// The name of the last path component, e.g. `Security.dll` for `C:\WINNT\System32\Security.dll`.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Replaces each `%NAME%` in `text` with `lookup(NAME)`; names it cannot resolve are returned.
pub fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 && !after[..end].contains(char::is_whitespace) => {
                let name = &after[..end];
                out.push_str(&rest[..start]);
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push_str(&rest[start..start + end + 2]);
                        unresolved.push(name.to_owned());
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..start + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `contains_ci` answers what comparing Unicode lowercase strings answers, on random texts
    /// (ASCII, and with characters whose lowercase is ASCII or longer).
    #[test]
    fn contains_ci_agrees_with_unicode_lowercase() {
        let alphabet: Vec<char> = "aAbB kK.\u{212a}İß".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut text = |len: u64| -> String {
            (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Mostly ASCII, so that both ways of comparing are taken.
                    let pick = seed % 50;
                    alphabet[if pick < 40 { pick % 6 } else { pick % 9 } as usize]
                })
                .collect()
        };
        let (mut found, mut ascii) = (0, 0);
        for round in 0..20_000_u64 {
            let haystack = text(round % 12);
            let needle = text(round % 4);
            let expect = haystack.to_lowercase().contains(&needle.to_lowercase());
            assert_eq!(
                contains_ci(&haystack, &needle),
                expect,
                "{haystack:?} {needle:?}"
            );
            found += usize::from(expect);
            ascii += usize::from(haystack.is_ascii() && needle.is_ascii());
        }
        assert!(
            found > 2_000 && ascii > 2_000,
            "{found} found, {ascii} ASCII"
        );
    }

    /// `path_key` gives what Unicode's lowercase of every character gives, on random paths.
    #[test]
    fn path_key_lowercases_as_unicode_does() {
        let unicode = |path: &str| {
            let mut out = String::new();
            for c in path.trim().chars() {
                let c = if c == '/' { '\\' } else { c };
                if c == '\\' && out.ends_with('\\') {
                    continue;
                }
                out.extend(c.to_lowercase());
            }
            while out.len() > 1 && out.ends_with('\\') {
                out.pop();
            }
            out
        };
        let alphabet: Vec<char> = "aZ\\/ .:%\tÄİK\u{212a}ß".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for len in 0..24 {
            for _ in 0..400 {
                let path: String = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                assert_eq!(path_key(&path), unicode(&path), "{path:?}");
            }
        }
    }

    #[test]
    fn paths_compare_across_case_and_separators() {
        assert_eq!(
            path_key(r"C:\WINNT\System32\Security.dll"),
            path_key("c:/winnt//system32/SECURITY.DLL")
        );
        assert_ne!(
            path_key(r"C:\WINNT\System32\Security.dll"),
            path_key(r"C:\Temp\Security.dll")
        );
        assert_eq!(path_key(r"C:\WINNT\"), r"c:\winnt");
    }

    #[test]
    fn path_matches_agrees_with_path_key_on_every_spelling() {
        // Each path from pieces that the shortcut and the long way treat differently.
        let pieces = [
            "", "C:", "c:", "\\", "/", "\\\\", "WINNT", "winnt", " ", "\u{b}", "a.dll", "A.DLL",
            "é",
        ];
        let keys: Vec<String> = [r"C:\WINNT\a.dll", r"c:\winnt", "a.dll", r"\"]
            .iter()
            .map(|k| path_key(k))
            .collect();
        let (mut n, mut matched) = (0u32, 0u32);
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in pieces {
                        let path = format!("{a}{b}{c}{d}");
                        for key in &keys {
                            let same = path_key(&path) == *key;
                            assert_eq!(path_matches(&path, key), same, "{path:?}");
                            matched += u32::from(same);
                        }
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 13 * 13 * 13 * 13);
        assert!(matched > 100, "{matched}");
    }

    #[test]
    fn path_matches_agrees_with_path_key() {
        let key = path_key(r"C:\WINNT\System32\Security.dll");
        for (path, same) in [
            (r"C:\WINNT\System32\Security.dll", true),
            ("c:/winnt//system32/SECURITY.DLL", true),
            (r"  C:\WINNT\System32\security.dll\ ", true),
            (r"C:\WINNT\System32\Security.dl", false),
            (r"C:\WINNT\System32\Security.dlls", false),
            (r"C:\Temp\Security.dll", false),
            ("C:\\WINNT\\System32\\Sécurité.dll", false),
        ] {
            assert_eq!(path_matches(path, &key), same, "{path}");
            assert_eq!(path_key(path) == key, same, "{path}");
        }
    }

    #[test]
    fn registry_hives_and_hotfix_spellings() {
        assert_eq!(
            registry_key(r"HKEY_LOCAL_MACHINE\SOFTWARE\X"),
            registry_key(r"hklm\software\x")
        );
        assert_eq!(hotfix_key("Q299444"), hotfix_key("kb299444"));
        assert_ne!(hotfix_key("Q299444"), hotfix_key("Q29944"));
        assert_eq!(hotfix_key("SP6a-Hotfix"), "SP6A-HOTFIX");
    }

    #[test]
    fn expansion_keeps_and_reports_unknown_variables() {
        let lookup = |n: &str| {
            n.eq_ignore_ascii_case("systemroot")
                .then(|| r"C:\WINNT".to_owned())
        };
        assert_eq!(
            expand_vars(r"%SystemRoot%\System32 at 100% of %TEMP%", lookup),
            (
                r"C:\WINNT\System32 at 100% of %TEMP%".to_owned(),
                vec!["TEMP".to_owned()]
            )
        );
    }
}
