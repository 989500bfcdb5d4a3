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

pub use crate::facts::values::{hotfix_key, hotfix_matches};

/// Whether `needle` occurs in `haystack`, ignoring case, in time linear in both.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    // A short needle is compared in place, without building any lowercase, where its first byte
    // (in either case) occurs: at most `SHORT_NEEDLE` byte comparisons per byte of the haystack.
    if needle.len() <= SHORT_NEEDLE && haystack.is_ascii() && needle.is_ascii() {
        let (hay, want) = (haystack.as_bytes(), needle.as_bytes());
        let Some(&first) = want.first() else {
            return true;
        };
        let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
        return memchr::memchr2_iter(lower, upper, hay).any(|at| {
            hay.get(at..at + want.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(want))
        });
    }
    Caseless::new(needle).found_in(haystack)
}

/// Needles of at most this many bytes are compared in place (`contains_ci`).
const SHORT_NEEDLE: usize = 16;

/// A needle to look for in many texts ignoring case, as Unicode lower-cases both: lower-cased
/// once, then found in each text in time linear in that text (Knuth-Morris-Pratt), so a long
/// needle in a long text is not the product of their lengths. (memchr's `memmem` searches
/// faster, but building its searcher for a 32 KiB needle took milliseconds: a condition may build
/// one per call.)
pub struct Caseless {
    lower: String,
    /// Whether `lower` is ASCII, known once (not for each text).
    ascii: bool,
    /// For each prefix of `lower`, the length of its longest proper prefix that is also its suffix.
    border: Vec<usize>,
}

impl Caseless {
    pub fn new(needle: &str) -> Caseless {
        let lower = needle.to_lowercase();
        let w = lower.as_bytes();
        let mut border = vec![0; w.len()];
        let mut k = 0;
        for i in 1..w.len() {
            while k > 0 && w[i] != w[k] {
                k = border[k - 1];
            }
            if w[i] == w[k] {
                k += 1;
            }
            border[i] = k;
        }
        Caseless {
            ascii: lower.is_ascii(),
            lower,
            border,
        }
    }

    /// Whether the needle occurs in `haystack`, ignoring case.
    pub fn found_in(&self, haystack: &str) -> bool {
        let w = self.lower.as_bytes();
        if w.is_empty() {
            return true;
        }
        if haystack.is_ascii() && (w.len() > haystack.len() || !self.ascii) {
            // An ASCII text's lowercase is ASCII, as long as the text: a longer needle, or one
            // whose lowercase is not ASCII, is not in it.
            return false;
        }
        // A byte match of UTF-8 text is a match of its characters.
        let mut k = 0;
        for &b in haystack.to_lowercase().as_bytes() {
            while k > 0 && b != w[k] {
                k = self.border[k - 1];
            }
            if b == w[k] {
                k += 1;
                if k == w.len() {
                    return true;
                }
            }
        }
        false
    }
}

/// The name of the last path component, e.g. `Security.dll` for `C:\WINNT\System32\Security.dll`.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Replaces each `%NAME%` in `text` with `lookup(NAME)`; names it cannot resolve are returned.
pub fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> (String, Vec<String>) {
    match expand_vars_within(text, lookup, usize::MAX) {
        Ok(expanded) => expanded,
        Err(_) => unreachable!("no text is longer than usize::MAX"),
    }
}

/// [`expand_vars`], stopped as soon as the text would be longer than `max` bytes: an error with
/// the length reached, before more is made (a value from the facts can be megabytes long, and a
/// text can name it thousands of times).
pub fn expand_vars_within(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
    max: usize,
) -> Result<(String, Vec<String>), usize> {
    let mut out = String::with_capacity(text.len().min(max));
    let mut unresolved = Vec::new();
    let mut rest = text;
    let push = |out: &mut String, piece: &str| {
        if out.len().saturating_add(piece.len()) > max {
            return Err(out.len().saturating_add(piece.len()));
        }
        out.push_str(piece);
        Ok(())
    };
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 && !after[..end].contains(char::is_whitespace) => {
                let name = &after[..end];
                push(&mut out, &rest[..start])?;
                match lookup(name) {
                    Some(value) => push(&mut out, &value)?,
                    None => {
                        push(&mut out, &rest[start..start + end + 2])?;
                        unresolved.push(name.to_owned());
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                push(&mut out, &rest[..start + 1])?;
                rest = after;
            }
        }
    }
    push(&mut out, rest)?;
    Ok((out, unresolved))
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
        let (mut found, mut ascii, mut long) = (0, 0, 0);
        for round in 0..20_000_u64 {
            let haystack = text(round % 12 + (round % 3) * 20);
            // Short needles, and long ones (past the in-place comparison), often taken from the
            // haystack with their case changed.
            let needle = match round % 3 {
                2 => {
                    let chars: Vec<char> = haystack.chars().collect();
                    let from = (round as usize / 3) % 8;
                    let piece: String = chars[from..from + 18 + (round as usize % 15)]
                        .iter()
                        .collect();
                    if round % 2 == 0 {
                        piece.to_uppercase()
                    } else {
                        piece
                    }
                }
                _ => text(round % 4),
            };
            let expect = haystack.to_lowercase().contains(&needle.to_lowercase());
            assert_eq!(
                contains_ci(&haystack, &needle),
                expect,
                "{haystack:?} {needle:?}"
            );
            assert_eq!(Caseless::new(&needle).found_in(&haystack), expect);
            found += usize::from(expect);
            ascii += usize::from(haystack.is_ascii() && needle.is_ascii());
            long += usize::from(expect && needle.len() > SHORT_NEEDLE);
        }
        assert!(
            found > 2_000 && ascii > 2_000 && long > 1_000,
            "{found} found, {ascii} ASCII, {long} long"
        );
    }

    /// A long needle that almost matches everywhere is found, or not, in linear time (the
    /// windows compared in turn took 32,768 × 32,768 steps).
    #[test]
    fn contains_ci_is_linear() {
        let haystack = "a".repeat(1 << 16);
        let needle = format!("{}B", "A".repeat(1 << 15));
        let start = std::time::Instant::now();
        assert!(!contains_ci(&haystack, &needle));
        assert!(contains_ci(&format!("{haystack}b"), &needle));
        let many = Caseless::new(&needle);
        assert!((0..20).all(|_| !many.found_in(&haystack)));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    /// `find_token` (one pass over every occurrence) finds what searching again after each
    /// occurrence found, on random texts with word and other characters, and in linear time.
    #[test]
    fn find_token_agrees_with_searching_again() {
        use crate::facts::values::find_token;
        fn again(haystack: &str, needle: &str) -> Option<(usize, usize)> {
            let needle = needle.trim();
            if needle.is_empty() {
                return None;
            }
            let (hay, want) = (haystack.to_lowercase(), needle.to_lowercase());
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            let mut from = 0;
            while let Some(i) = hay[from..].find(&want) {
                let (start, end) = (from + i, from + i + want.len());
                let starts_ok =
                    !word(want.chars().next()) || !word(hay[..start].chars().next_back());
                let ends_ok = !word(want.chars().next_back()) || !word(hay[end..].chars().next());
                if starts_ok && ends_ok {
                    if haystack.len() == hay.len() {
                        return Some((start, end));
                    }
                    let chars_to = |i: usize| hay[..i].chars().count();
                    let byte_at = |n: usize| {
                        (haystack.char_indices().nth(n)).map_or(haystack.len(), |(b, _)| b)
                    };
                    return Some((byte_at(chars_to(start)), byte_at(chars_to(end))));
                }
                from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
            }
            None
        }
        let alphabet: Vec<char> = "aA-a_ 1.İ\u{212a}".chars().collect();
        let mut seed = 0x1234_5678_9abc_def1_u64;
        let mut text = |len: u64| -> String {
            (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect()
        };
        let mut found = 0;
        for round in 0..30_000_u64 {
            let haystack = text(round % 14);
            let needle = text(round % 5);
            let ours = find_token(&haystack, &needle);
            assert_eq!(ours, again(&haystack, &needle), "{haystack:?} {needle:?}");
            found += usize::from(ours.is_some());
        }
        assert!(found > 1_500, "{found}");
        // A needle that occurs everywhere but never as a whole word.
        let start = std::time::Instant::now();
        let haystack = "a".repeat(1 << 16);
        assert_eq!(find_token(&haystack, &"a".repeat(1 << 15)), None);
        assert_eq!(find_token("a", &"a".repeat(1 << 15)), None);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
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
    fn hotfix_matches_as_keys_compare() {
        let ids = [
            "Q299444",
            "kb299444",
            "KB0299444",
            " q299444 ",
            "Q29944",
            "299444",
            "SP6a-Hotfix",
            "sp6A-hotfix",
            "KB",
            "Q",
            "Q0",
            "Qabc",
            "kb\u{e9}1",
            "\u{130}1",
            "Q\u{663}",
        ];
        for a in ids {
            for b in ids {
                let key = hotfix_key(b);
                assert_eq!(hotfix_matches(a, &key), hotfix_key(a) == key, "{a:?} {b:?}");
            }
        }
        // A key in lowercase is none `hotfix_key` makes.
        assert!(!hotfix_matches("sp6a", "sp6a"));
    }

    #[test]
    fn expansion_stops_past_its_limit() {
        let lookup = |_: &str| Some("x".repeat(1000));
        let text = "%A%".repeat(100);
        assert_eq!(expand_vars_within(&text, lookup, 5000), Err(5000 + 1000));
        assert_eq!(
            expand_vars_within("%A%", lookup, 1000).unwrap().0.len(),
            1000
        );
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
