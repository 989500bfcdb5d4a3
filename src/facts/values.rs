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
    Ok([if number.is_empty() { "0" } else { number }, letter].concat())
}

/// A Windows version as `major.minor`, and the build when the text carries one:
/// `4.0` → (`4.0`, None), `4.0.1381` → (`4.0`, Some(1381)), `Version 4.0 (Build 1381)` and
/// `6.1.7601.23689 (win7sp1_ldr.170209-0600)` likewise.
pub fn os_version(raw: &str) -> Result<(String, Option<i64>), String> {
    let parts = version(raw)
        .ok()
        .filter(|p| p.len() <= 4 && p.iter().all(|&n| n <= i64::MAX as u64));
    let Some(parts) = parts else {
        return Err(format!(
            "\"{raw}\" is not a Windows version; write it as `4.0` (CurrentVersion) or with its \
             build, `4.0.1381`"
        ));
    };
    // "(Build 1381)" after the version, as `winver` shows it.
    let build = parts.get(2).map(|&b| b as i64).or_else(|| {
        let lower = raw.to_ascii_lowercase();
        let after = lower.split("build").nth(1)?;
        let digits: String = after
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .take(18)
            .collect();
        digits.parse().ok()
    });
    let (mut major, mut minor) = (itoa::Buffer::new(), itoa::Buffer::new());
    let major_minor = [
        major.format(parts[0]),
        ".",
        minor.format(*parts.get(1).unwrap_or(&0)),
    ]
    .concat();
    Ok((major_minor, build))
}

/// Whether `a` and `b` are equal ignoring case, as their Unicode lowercase forms compare (the
/// Kelvin sign is a `k`); ASCII text, the usual, is compared without building them.
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// The numeric parts of a dotted version as Windows and installers write it: `4.0`, `4.0.1381`,
/// `5.5.2653.23`, `6.1.7601.23689 (win7sp1_ldr.170209-0600)` (an annotation after a space or `(`
/// is ignored), `Version 4.0`. Text that does not start with a number is not a version.
pub fn version(raw: &str) -> Result<Vec<u64>, String> {
    let text = raw.trim();
    // The prefix is matched without a lowercased copy: what follows it is accepted only as
    // digits, dots and separators, which case does not change.
    let rest = ["version", "v"]
        .iter()
        .find_map(|p| strip_prefix_ci(text, p))
        .unwrap_or(text)
        .trim_start();
    let dotted = rest
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .next()
        .unwrap_or("");
    let parts: Option<Vec<u64>> = dotted
        .split('.')
        .map(|p| {
            (!p.is_empty() && p.len() <= 18 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    match parts {
        Some(parts) if !parts.is_empty() => Ok(parts),
        _ => Err(format!(
            "\"{raw}\" is not a version (dotted numbers such as 4.0.1381)"
        )),
    }
}

/// Compares two parsed versions part by part; missing parts count as 0 (`4` = `4.0`).
pub fn compare_versions(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// A time as ISO 8601 (`1999-11-18`, `1999-11-18T12:04:00Z`, `1999-11-18 12:04`,
/// `1999-11-18T23:04:00+14:00`) in UTC: `YYYY-MM-DD` for a date alone, else
/// `YYYY-MM-DDThh:mm:ssZ`. A time without an offset is taken as UTC, as the fact format says.
pub fn utc_time(raw: &str) -> Result<String, String> {
    if is_canonical_utc(raw) {
        return Ok(raw.to_owned());
    }
    utc_time_parsed(raw)
}

/// [`utc_time`] the long way, for any accepted spelling.
fn utc_time_parsed(raw: &str) -> Result<String, String> {
    let bad = || format!("\"{raw}\" is not an ISO 8601 time such as 1999-11-18T12:04:00Z");
    let text = raw.trim();
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    // Not `split_at`: a character may straddle the tenth byte (fuzzing found it).
    let Some((date, rest)) = text.split_at_checked(text.len().min(10)) else {
        return Err(bad());
    };
    let mut parts = date.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (
        parts.next().and_then(num),
        parts.next().and_then(num),
        parts.next().and_then(num),
    ) else {
        return Err(bad());
    };
    let Some(days) = days_in_month(y, m) else {
        return Err(bad());
    };
    if date.len() != 10 || d < 1 || d > days {
        return Err(bad());
    }
    if rest.is_empty() {
        return Ok(date.to_owned());
    }
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    // The offset: `Z`, `+hh:mm`, `-hh:mm`, `+hhmm`, `+hh`.
    let (clock, offset_minutes) = match rest.find(['Z', 'z', '+', '-']) {
        None => (rest, 0),
        Some(i) => {
            let (clock, zone) = rest.split_at(i);
            let minutes = if zone.eq_ignore_ascii_case("z") {
                0
            } else {
                let sign = if zone.starts_with('-') { -1 } else { 1 };
                let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
                let (h, m) = match digits.len() {
                    2 => (num(&digits), Some(0)),
                    // Sliced only when ASCII: `1é1` is four bytes too.
                    4 if digits.is_ascii() => (num(&digits[..2]), num(&digits[2..])),
                    _ => (None, None),
                };
                match (h, m) {
                    (Some(h), Some(m)) if h <= 14 && m < 60 => sign * (h * 60 + m),
                    _ => return Err(bad()),
                }
            };
            (clock, minutes)
        }
    };
    let mut fields = clock.split(':');
    let h = fields.next().and_then(num).filter(|h| *h < 24);
    let min = fields.next().and_then(num).filter(|m| *m < 60);
    let sec = match fields.next() {
        None => Some(0),
        // Fractions of a second are dropped.
        Some(s) => num(s.split('.').next().unwrap_or("")).filter(|s| *s <= 60),
    };
    let (Some(h), Some(min), Some(sec), None) = (h, min, sec, fields.next()) else {
        return Err(bad());
    };
    let total = days_from_civil(y, m, d) * 1440 + h * 60 + min - offset_minutes;
    let (days, minutes) = (total.div_euclid(1440), total.rem_euclid(1440));
    let (y, m, d) = civil_from_days(days);
    Ok(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{sec:02}Z",
        minutes / 60,
        minutes % 60
    ))
}

/// Whether a time is already written as [`utc_time`] writes it (`1999-11-18T12:04:00Z`), a
/// valid date and time: it is then its own answer, and the usual case costs no formatting.
fn is_canonical_utc(raw: &str) -> bool {
    let b = raw.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    if b.len() != shape.len()
        || !b.iter().zip(shape).all(|(&c, &s)| match s {
            b'd' => c.is_ascii_digit(),
            _ => c == s,
        })
    {
        return false;
    }
    let n = |i: usize| i64::from(b[i] - b'0') * 10 + i64::from(b[i + 1] - b'0');
    let (y, m, d) = (n(0) * 100 + n(2), n(5), n(8));
    days_in_month(y, m).is_some_and(|days| (1..=days).contains(&d))
        && n(11) < 24
        && n(14) < 60
        && n(17) <= 60
}

/// The days of month `m` of year `y` (Gregorian), or `None` for no such month.
fn days_in_month(y: i64, m: i64) -> Option<i64> {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => Some(29),
        2 => Some(28),
        _ => None,
    }
}

/// A time as [`utc_time`] reads it, in POSIX seconds (a date alone is its midnight, UTC).
pub fn utc_seconds(raw: &str) -> Result<i64, String> {
    let t = utc_time(raw)?;
    let n = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let days = days_from_civil(n(0..4), n(5..7), n(8..10));
    Ok(days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19))
}

/// A POSIX time as ISO 8601 UTC, `2026-11-28T07:30:00Z`.
pub fn iso_utc(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Whether `needle` occurs in `haystack` as whole words, ignoring case: the characters either
/// side of the match are not letters, digits or `_`. `64659` is in `Error code 0XC103FC93
/// (64659)` but not in `Backup job 164659 finished`. A hexadecimal number matches the same
/// number however many digits it is written with: `0x00000005` is in `status 0x5`, as readers
/// of `.evtx` logs write it either way. The byte range of the first such match.
pub fn find_token(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    find_text_token(haystack, needle).or_else(|| find_hex_token(haystack, needle))
}

/// A whole-word `0x…` number of `haystack` equal to the number `needle` is, if it is one.
fn find_hex_token(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    let number = |s: &str| {
        let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
        let digits = digits.trim_start_matches('0');
        (digits.len() <= 16 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u64::from_str_radix(digits, 16).unwrap_or(0))
    };
    let want = number(needle.trim())?;
    let b = haystack.as_bytes();
    let word = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    (0..b.len().saturating_sub(2)).find_map(|start| {
        let starts = b[start] == b'0' && matches!(b[start + 1], b'x' | b'X');
        if !starts || (start > 0 && word(start - 1)) || !b[start + 2].is_ascii_hexdigit() {
            return None;
        }
        let end = start
            + 2
            + b[start + 2..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
        (!word(end) && number(&haystack[start..end]) == Some(want)).then_some((start, end))
    })
}

fn find_text_token(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    let needle = needle.trim();
    // Lower-casing makes a text at most 1.5 times as long (`İ`), and a needle at least a third
    // as long (`K`, the Kelvin sign): a needle more than 4.5 times as long cannot match, and is
    // not lower-cased (for each event or error of a host) to find it out.
    if needle.is_empty() || needle.len() > haystack.len().saturating_mul(5) {
        return None;
    }
    let hay = haystack.to_lowercase();
    let want = needle.to_lowercase();
    // Lower-casing can change lengths outside ASCII; then fall back to the lowered text's offsets
    // mapped by characters.
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let first = want.chars().next();
    let last = want.chars().next_back();
    // A boundary is needed only where the needle itself starts or ends with a word character.
    let whole = |start: usize| {
        let end = start + want.len();
        let starts_ok = !word(first) || !word(hay[..start].chars().next_back());
        let ends_ok = !word(last) || !word(hay[end..].chars().next());
        starts_ok && ends_ok
    };
    // Usually the first occurrence, or none, decides.
    let at = hay.find(&want)?;
    if whole(at) {
        return Some(original_range(haystack, &hay, at, at + want.len()));
    }
    // Then every later occurrence, overlapping ones too, in one pass (Knuth-Morris-Pratt):
    // searching again after each occurrence took the product of the two lengths. A byte match
    // of UTF-8 text starts and ends on character boundaries.
    let (w, h) = (want.as_bytes(), hay.as_bytes());
    let mut border = vec![0usize; w.len()];
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
    let mut k = 0;
    for (i, &b) in h.iter().enumerate().skip(at + 1) {
        while k > 0 && b != w[k] {
            k = border[k - 1];
        }
        if b == w[k] {
            k += 1;
        }
        if k < w.len() {
            continue;
        }
        k = border[k - 1];
        let start = i + 1 - w.len();
        if whole(start) {
            return Some(original_range(haystack, &hay, start, i + 1));
        }
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

/// A hotfix id that compares across spellings: `Q299444`, `KB299444` and `kb299444` are one.
pub fn hotfix_key(id: &str) -> String {
    match hotfix_digits(id) {
        Some(digits) => digits.to_owned(),
        None => id.trim().to_ascii_uppercase(),
    }
}

/// Whether `hotfix_key(id) == key`, without making the key: a host's hotfix list is compared
/// with every rule's ids.
pub fn hotfix_matches(id: &str, key: &str) -> bool {
    match hotfix_digits(id) {
        Some(digits) => digits == key,
        None => id.trim().eq_ignore_ascii_case(key) && !key.bytes().any(|b| b.is_ascii_lowercase()),
    }
}

/// The number of a `KB`/`Q` id, without its leading zeros.
fn hotfix_digits(id: &str) -> Option<&str> {
    let id = id.trim();
    ["KB", "Q"].iter().find_map(|prefix| {
        strip_prefix_ci(id, prefix)
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .map(|d| d.trim_start_matches('0'))
    })
}

/// `text` after `prefix`, matched ignoring ASCII case.
fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    (text.get(..prefix.len()))
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &text[prefix.len()..])
}

/// A Windows path in a form that compares case-insensitively: `/` and `\` are one separator,
/// repeated separators collapse, no trailing separator.
pub fn path_key(path: &str) -> String {
    let path = path.trim();
    if path.is_ascii() {
        // Nearly every path: byte by byte, the same answer (every host's files are keyed).
        let mut out: Vec<u8> = Vec::with_capacity(path.len());
        for &b in path.as_bytes() {
            let b = if b == b'/' {
                b'\\'
            } else {
                b.to_ascii_lowercase()
            };
            if b == b'\\' && out.last() == Some(&b'\\') {
                continue;
            }
            out.push(b);
        }
        while out.len() > 1 && out.last() == Some(&b'\\') {
            out.pop();
        }
        return String::from_utf8(out).unwrap_or_default();
    }
    path_key_chars(path)
}

/// [`path_key`] character by character, for any path.
fn path_key_chars(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.trim().chars() {
        let c = if c == '/' { '\\' } else { c };
        if c == '\\' && out.ends_with('\\') {
            continue;
        }
        // ASCII, nearly every path, skips Unicode's lowercase table (the same answer for it).
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    while out.len() > 1 && out.ends_with('\\') {
        out.pop();
    }
    out
}

/// A registry path that compares case-insensitively, with long hive names shortened: repeated
/// `\` collapse, no trailing `\`. Unlike a file path, `/` is not a separator but a character of
/// key names (`CriticalDeviceDatabase\SCSI#DiskMATSHITALS-120/240____00`).
pub fn registry_key(path: &str) -> String {
    let path = path.trim();
    let mut key = if path.is_ascii() {
        // Nearly every path: byte by byte, the same answer.
        let mut out: Vec<u8> = Vec::with_capacity(path.len());
        for &b in path.as_bytes() {
            if b == b'\\' && out.last() == Some(&b'\\') {
                continue;
            }
            out.push(b.to_ascii_lowercase());
        }
        String::from_utf8(out).unwrap_or_default()
    } else {
        let mut key = String::with_capacity(path.len());
        for c in path.chars() {
            if c == '\\' && key.ends_with('\\') {
                continue;
            }
            key.extend(c.to_lowercase());
        }
        key
    };
    while key.len() > 1 && key.ends_with('\\') {
        key.pop();
    }
    for (long, short) in [
        ("hkey_local_machine", "hklm"),
        ("hkey_current_user", "hkcu"),
        ("hkey_classes_root", "hkcr"),
        ("hkey_users", "hku"),
    ] {
        if key.starts_with(long) {
            key.replace_range(..long.len(), short);
            return key;
        }
    }
    key
}

/// A platform as file tables and `PROCESSOR_ARCHITECTURE` write it (`Intel`, `I386`, `ix86`,
/// `x86`; `Alpha`, `ALPHA`), in one form.
pub fn platform(p: &str) -> &'static str {
    // Without a lowercased copy: it is asked for every row of every file table on every host.
    let has = |word: &str| {
        (p.as_bytes().windows(word.len())).any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    };
    if has("alpha") {
        "Alpha"
    } else if has("mips") {
        "MIPS"
    } else if has("ppc") || has("powerpc") {
        "PowerPC"
    } else {
        "x86"
    }
}

#[cfg(test)]
mod tests {
    /// `eq_ignore_case` answers what comparing Unicode lowercase forms answers, on random pairs
    /// of short texts, ASCII and not (the Kelvin sign and `İ` lowercase differently).
    #[test]
    fn eq_ignore_case_agrees_with_unicode_lowercase() {
        let alphabet: Vec<char> = "kK\u{212a}iIİ".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut text = || -> String {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = seed % 3;
            (0..len)
                .map(|n| alphabet[((seed >> (8 + 8 * n)) % alphabet.len() as u64) as usize])
                .collect()
        };
        let (mut equal, mut ascii) = (0, 0);
        for _ in 0..20_000 {
            let (a, b) = (text(), text());
            let expect = a.to_lowercase() == b.to_lowercase();
            assert_eq!(super::eq_ignore_case(&a, &b), expect, "{a:?} {b:?}");
            equal += usize::from(expect && a != b);
            ascii += usize::from(a.is_ascii() && b.is_ascii() && a != b);
        }
        assert!(equal > 500 && ascii > 1_000, "{equal} equal, {ascii} ASCII");
    }

    #[test]
    fn canonical_utc_times_are_their_own_answer() {
        // Every time the shortcut accepts is what the long way writes; every one it refuses is
        // an invalid date or time or another spelling.
        let mut checked = 0;
        for y in ["0000", "1900", "1999", "2000", "2024", "9999"] {
            for m in 0..=13 {
                for d in [0, 1, 28, 29, 30, 31, 32] {
                    for (h, min, s) in
                        [(0, 0, 0), (23, 59, 60), (24, 0, 0), (12, 60, 0), (1, 2, 61)]
                    {
                        let t = format!("{y}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z");
                        let long = super::utc_time_parsed(&t);
                        if super::is_canonical_utc(&t) {
                            assert_eq!(long.as_deref(), Ok(t.as_str()));
                            checked += 1;
                        } else {
                            assert!(long.is_err() || long.as_deref() != Ok(t.as_str()), "{t}");
                        }
                    }
                }
            }
        }
        assert!(checked > 100);
        for other in [
            "1999-11-18t12:04:00Z",
            "1999-11-18T12:04:00z",
            "1999-11-18 12:04:00Z",
        ] {
            assert!(!super::is_canonical_utc(other));
            assert_eq!(
                super::utc_time(other).as_deref(),
                Ok("1999-11-18T12:04:00Z")
            );
        }
    }

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
    fn ascii_paths_are_keyed_as_any_path_is() {
        // Every path of up to 6 characters from separators, spaces and letters of both cases.
        let alphabet = ['/', '\\', ' ', 'a', 'B', '.'];
        let mut paths = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = (paths.iter())
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            paths.extend(longer);
            paths.dedup();
        }
        for p in &paths {
            assert_eq!(path_key(p), path_key_chars(p), "{p:?}");
        }
        assert_eq!(path_key(r"C:/WINNT//System32\\"), r"c:\winnt\system32");
    }

    #[test]
    fn versions_as_windows_writes_them() {
        use std::cmp::Ordering::*;
        let v = |s: &str| version(s).unwrap();
        assert_eq!(
            v("6.1.7601.23689 (win7sp1_ldr.170209-0600)"),
            [6, 1, 7601, 23689]
        );
        assert_eq!(v("Version 4.0"), [4, 0]);
        assert_eq!(v("VERSION 4.0"), [4, 0]);
        assert_eq!(v("V5.1"), [5, 1]);
        assert_eq!(v("5.5.2653.23"), [5, 5, 2653, 23]);
        assert_eq!(compare_versions(&v("4"), &v("4.0")), Equal);
        assert_eq!(compare_versions(&v("4.10"), &v("4.9")), Greater);
        assert_eq!(
            compare_versions(
                &v("6.1.7601.23689 (win7sp1_ldr.170209-0600)"),
                &v("6.1.7601.23689")
            ),
            Equal
        );
        for bad in ["abc", "", "4..0", "v", "x4.0", "vé4"] {
            assert!(version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn posix_times_as_iso() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_795_851_000), "2026-11-28T07:30:00Z");
    }

    #[test]
    fn seconds_and_iso_times_agree() {
        for raw in [
            "1970-01-01T00:00:00Z",
            "1999-11-18T23:04:00+14:00",
            "2000-02-29T01:00:00Z",
        ] {
            let seconds = utc_seconds(raw).unwrap();
            assert_eq!(iso_utc(seconds), utc_time(raw).unwrap(), "{raw}");
        }
        assert_eq!(utc_seconds("1970-01-02"), Ok(86_400));
        assert!(utc_seconds("yesterday").is_err());
    }

    #[test]
    fn times_in_utc() {
        for (raw, want) in [
            ("1999-11-18", "1999-11-18"),
            ("1999-11-18T12:04:00Z", "1999-11-18T12:04:00Z"),
            ("1999-11-18 12:04", "1999-11-18T12:04:00Z"),
            ("1999-11-18T23:04:00+14:00", "1999-11-18T09:04:00Z"),
            ("1999-11-18T01:00:00+02:00", "1999-11-17T23:00:00Z"),
            ("1999-12-31T23:30:00-01:00", "2000-01-01T00:30:00Z"),
            ("2000-02-28T23:00:00-0200", "2000-02-29T01:00:00Z"),
            ("1999-11-18T12:04:00.123Z", "1999-11-18T12:04:00Z"),
        ] {
            assert_eq!(utc_time(raw).as_deref(), Ok(want), "{raw}");
        }
        for raw in [
            "",
            "yesterday",
            "1999-13-01",
            "1999-02-30",
            "1999-11-18T25:00Z",
            "1999-11-18T12:04+15:00",
            "1999-11-18X",
            "99-11-18",
        ] {
            assert!(utc_time(raw).is_err(), "{raw}");
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
