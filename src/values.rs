//! Values in the forms Windows and its tools write them (`CSDVersion` reads `Service Pack 6`,
//! `ver` prints `4.0.1381`), read into the one form rules compare. A value that cannot be
//! understood is an error carrying the reason; helpers make it unknown, never "not installed".

/// The service pack as rules compare it: its number and letter, lower case (`6`, `6a`), or `0`
/// when none is installed (`CSDVersion` empty).
///
/// Accepted, in any case and spacing: `6`, `6a`, `SP6`, `SP6a`, `Service Pack 6`,
/// `Service Pack 6a`, with an annotation after a comma (`Service Pack 2, v.2096`) ignored; an
/// empty value or `none` is `0`.
pub fn service_pack(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    let text = text.split(',').next().unwrap_or(text).trim();
    let lower = text.to_ascii_lowercase();
    if lower.is_empty() || lower == "none" {
        return Ok("0".to_owned());
    }
    let rest = ["service pack", "servicepack", "sp"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower)
        .trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, letter) = rest.split_at(digits);
    let letter_ok =
        letter.is_empty() || (letter.len() == 1 && letter.bytes().all(|b| b.is_ascii_lowercase()));
    if digits == 0 || digits > 2 || !letter_ok {
        return Err(format!(
            "\"{raw}\" is not a service pack; write it as CSDVersion does (`Service Pack 6`) or \
             as `6`, `6a`, `SP6a`, `Service Pack 6a`"
        ));
    }
    let number = number.trim_start_matches('0');
    Ok(format!(
        "{}{letter}",
        if number.is_empty() { "0" } else { number }
    ))
}

/// A Windows version as `major.minor`, and the build when the text carries one:
/// `4.0` → (`4.0`, None), `4.0.1381` → (`4.0`, Some(1381)), `Version 4.0 (Build 1381)` and
/// `6.1.7601.23689 (win7sp1_ldr.170209-0600)` likewise.
pub fn os_version(raw: &str) -> Result<(String, Option<i64>), String> {
    let text = raw.trim();
    let lower = text.to_ascii_lowercase();
    let rest = ["version", "v"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower)
        .trim_start();
    let dotted: &str = rest
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let parts: Vec<&str> = dotted.split('.').collect();
    let number = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let numbers: Option<Vec<i64>> = parts.iter().map(|p| number(p)).collect();
    let Some(numbers) = numbers.filter(|n| !n.is_empty() && n.len() <= 4) else {
        return Err(format!(
            "\"{raw}\" is not a Windows version; write it as `4.0` (CurrentVersion) or with its \
             build, `4.0.1381`"
        ));
    };
    let minor = numbers.get(1).copied().unwrap_or(0);
    // "(Build 1381)" after the version, as `winver` shows it.
    let build = numbers.get(2).copied().or_else(|| {
        let after = lower.split("build").nth(1)?;
        let digits: String = after
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        number(&digits)
    });
    Ok((format!("{}.{minor}", numbers[0]), build))
}

/// Whether `needle` occurs in `haystack` as whole words, ignoring case: the characters either
/// side of the match are not letters, digits or `_`. `64659` is in `Error code 0XC103FC93
/// (64659)` but not in `Backup job 164659 finished`. The byte range of the first such match.
pub fn find_token(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    let needle = needle.trim();
    if needle.is_empty() {
        return None;
    }
    let hay = haystack.to_lowercase();
    let want = needle.to_lowercase();
    // Lower-casing can change lengths outside ASCII; then fall back to the lowered text's offsets
    // mapped by characters.
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut from = 0;
    while let Some(i) = hay[from..].find(&want) {
        let start = from + i;
        let end = start + want.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let first = want.chars().next();
        let last = want.chars().next_back();
        // A boundary is needed only where the needle itself starts or ends with a word character.
        let starts_ok = !word(first) || !word(before);
        let ends_ok = !word(last) || !word(after);
        if starts_ok && ends_ok {
            return Some(original_range(haystack, &hay, start, end));
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Maps a byte range in the lower-cased `lowered` back to `original`.
fn original_range(original: &str, lowered: &str, start: usize, end: usize) -> (usize, usize) {
    if original.len() == lowered.len() {
        return (start, end);
    }
    let chars_to = |i: usize| lowered[..i].chars().count();
    let byte_at = |n: usize| {
        original
            .char_indices()
            .nth(n)
            .map_or(original.len(), |(b, _)| b)
    };
    (byte_at(chars_to(start)), byte_at(chars_to(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_packs_as_windows_and_people_write_them() {
        for (raw, want) in [
            ("6", "6"),
            ("6a", "6a"),
            ("6A", "6a"),
            ("SP6a", "6a"),
            ("sp 6a", "6a"),
            ("Service Pack 6", "6"),
            ("Service Pack 6a", "6a"),
            ("SERVICE PACK 6A", "6a"),
            ("Service Pack 2, v.2096", "2"),
            ("", "0"),
            ("None", "0"),
            ("06", "6"),
        ] {
            assert_eq!(service_pack(raw).as_deref(), Ok(want), "{raw}");
        }
        for raw in [
            "banana",
            "Service Pack",
            "6ab",
            "SP-6",
            "6.0",
            "Service Pack 6 RC2",
            "123",
        ] {
            let e = service_pack(raw).unwrap_err();
            assert!(e.contains("is not a service pack"), "{raw}: {e}");
        }
    }

    #[test]
    fn versions_with_builds_and_annotations() {
        for (raw, want, build) in [
            ("4.0", "4.0", None),
            ("4", "4.0", None),
            ("4.0.1381", "4.0", Some(1381)),
            (
                "Version 4.0 (Build 1381: Service Pack 6)",
                "4.0",
                Some(1381),
            ),
            (
                "6.1.7601.23689 (win7sp1_ldr.170209-0600)",
                "6.1",
                Some(7601),
            ),
            ("5.0", "5.0", None),
        ] {
            assert_eq!(os_version(raw), Ok((want.to_owned(), build)), "{raw}");
        }
        for raw in ["", "abc", "NT4", "4..0", "4.0.1.2.3"] {
            assert!(os_version(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn tokens_are_whole_words() {
        let code = "Error code 0XC103FC93 (64659): Could not bind";
        assert!(find_token(code, "64659").is_some());
        assert!(find_token(code, "0xc103fc93").is_some());
        assert!(find_token("Backup job 164659 finished", "64659").is_none());
        assert!(find_token("job 646590", "64659").is_none());
        let m = "Locality Table (LTAB) index: 4, NT/MTA error code: 5. Comms error 5";
        assert!(find_token(m, "NT/MTA error code: 5").is_some());
        assert!(find_token("NT/MTA error code: 1722.", "NT/MTA error code: 5").is_none());
        assert!(find_token("NT/MTA error code: 50.", "NT/MTA error code: 5").is_none());
        assert_eq!(
            find_token(
                "xx DS_E_COMMUNICATIONS_PROBLEM",
                "ds_e_communications_problem"
            ),
            Some((3, 30))
        );
        assert!(find_token("anything", "").is_none());
    }
}
