//! One cell of a file table read into the rule's form: dates as ISO, times as 24-hour `HH:MM`,
//! sizes in bytes, versions, file names, platforms and cipher strengths. A cell is the words the
//! row gives it (`May 17, 2001` is three, `07:11 PM` two). A value read but not certain (a
//! day-first date, a size with dots) comes with a mark for a reader to confirm; one that cannot be
//! read is `None`, so that the row's words can be tried in another arrangement.

/// A value and what a reader must confirm about it.
pub(super) type Marked<T> = (T, Option<String>);

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const FULL_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `Nov`, `NOV`, `November` or `Sept` as 11 or 9; nothing else.
fn month(name: &str) -> Option<u32> {
    let lower = name.trim_end_matches(['.', ',']).to_ascii_lowercase();
    let at = MONTHS
        .iter()
        .position(|m| *m == lower)
        .or_else(|| FULL_MONTHS.iter().position(|m| *m == lower))
        .or_else(|| (lower == "sept").then_some(8))?;
    Some(at as u32 + 1)
}

fn year(text: &str) -> Option<u32> {
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: u32 = text.parse().ok()?;
    match text.len() {
        2 if y >= 80 => Some(1900 + y),
        2 => Some(2000 + y),
        4 if (1980..=2030).contains(&y) => Some(y),
        _ => None,
    }
}

fn valid(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && (1980..=2030).contains(&y)
}

fn iso(y: u32, m: u32, d: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// A number of one or two digits (a day or a month).
fn small(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 2 && text.chars().all(|c| c.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// A date in one of the archive's forms: `MM/DD/YY`, `MM/DD/YYYY`, `MM-DD-YY`, `YYYY/MM/DD`,
/// `DD-Mon-YYYY`, `DD-Mon-YY`, `Mon-DD-YYYY`, or in words (`May 17, 2001`, `17 May 2001`).
/// Month first is the articles' order; a date that can only be read day-first is marked.
pub(super) fn date(words: &[&str]) -> Option<Marked<String>> {
    match words {
        [one] => date_word(one),
        [a, b, c] => {
            let c = year(c)?;
            let b = b.trim_end_matches(',');
            let (m, d) = match (month(a), month(b)) {
                (Some(m), None) => (m, small(b)?),
                (None, Some(m)) => (m, small(a)?),
                _ => return None,
            };
            valid(c, m, d).then(|| (iso(c, m, d), None))
        }
        _ => None,
    }
}

fn date_word(text: &str) -> Option<Marked<String>> {
    let parts: Vec<&str> = text.split(['/', '-']).collect();
    let [a, b, c] = parts[..] else {
        return None;
    };
    // Names of months: DD-Mon-YYYY, DD-Mon-YY, Mon-DD-YYYY.
    match (month(a), month(b)) {
        (None, Some(m)) => {
            let (d, y) = (small(a)?, year(c)?);
            return valid(y, m, d).then(|| (iso(y, m, d), None));
        }
        (Some(m), None) => {
            let (d, y) = (small(b)?, year(c)?);
            return valid(y, m, d).then(|| (iso(y, m, d), None));
        }
        (Some(_), Some(_)) => return None,
        (None, None) => {}
    }
    // Numbers: year first when it has four digits, or two that no month or day can be.
    if a.len() == 4 || small(a).is_some_and(|a| a > 31) && c.len() <= 2 {
        let (y, m, d) = (year(a)?, small(b)?, small(c)?);
        return valid(y, m, d).then(|| (iso(y, m, d), None));
    }
    let (a, b, y) = (small(a)?, small(b)?, year(c)?);
    if valid(y, a, b) {
        return Some((iso(y, a, b), None));
    }
    if valid(y, b, a) {
        return Some((
            iso(y, b, a),
            Some(format!(
                "TODO confirm the date {text:?}: its month would be {a}, so it is read day-first as {}",
                iso(y, b, a)
            )),
        ));
    }
    None
}

/// A time as 24-hour `HH:MM`: `21:30`, `6:16p`, `05:13p`, `07:11 PM`, `3:10:50pm`, `4:06 P.M.`.
/// Seconds are dropped: the rules compare times to the minute.
pub(super) fn time(words: &[&str]) -> Option<Marked<String>> {
    let text = match words {
        [one] => one.to_ascii_lowercase(),
        [clock, half] if meridiem(half).is_some() => {
            format!("{}{}", clock, half).to_ascii_lowercase()
        }
        _ => return None,
    };
    let text = text.replace('.', "");
    let (clock, pm) = if let Some(c) = text.strip_suffix("pm").or(text.strip_suffix('p')) {
        (c, Some(true))
    } else if let Some(c) = text.strip_suffix("am").or(text.strip_suffix('a')) {
        (c, Some(false))
    } else {
        (text.as_str(), None)
    };
    let mut parts = clock.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next());
    if parts.next().is_some()
        || h.is_empty()
        || h.len() > 2
        || m.len() != 2
        || s.is_some_and(|s| s.len() != 2)
    {
        return None;
    }
    let number = |t: &str| {
        t.chars()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse::<u32>().ok())
            .flatten()
    };
    let (mut h, m) = (number(h)?, number(m)?);
    if m > 59 || h > 23 || s.is_some_and(|s| number(s).is_none_or(|s| s > 59)) {
        return None;
    }
    let mut mark = None;
    match pm {
        Some(_) if h == 0 => return None,
        Some(false) if h > 12 => return None,
        Some(true) if h > 12 => {
            mark = Some(format!(
                "TODO confirm the time {:?}: a 24-hour hour with p.m., read as {h:02}:{m:02}",
                words.join(" ")
            ));
        }
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    Some((format!("{h:02}:{m:02}"), mark))
}

/// `AM`, `pm`, `P.M.`.
fn meridiem(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().replace('.', "").as_str() {
        "am" => Some(false),
        "pm" => Some(true),
        _ => None,
    }
}

/// A size: exact bytes, or the article's words when it gives no exact size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Size {
    Bytes(u64),
    Text(String),
}

/// `259,920`, `259920`, `79,360 bytes`, `122 KB`, `19.7KB`; `177.424` (dots for thousands) and
/// `94.5` (no unit) are read but marked.
pub(super) fn size(words: &[&str]) -> Option<Marked<Size>> {
    let (number, unit) = match words {
        [one] => {
            let at = one
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(one.len());
            (&one[..at], &one[at..])
        }
        [n, unit] => (*n, *unit),
        _ => return None,
    };
    let digits_only = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    };
    if !digits_only(number) || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let unit = unit.to_ascii_lowercase();
    let exact = |n: &str| -> Option<u64> {
        // Commas only between groups of three digits.
        let mut groups = n.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 && n.contains(',') {
            return None;
        }
        let rest: Vec<&str> = groups.collect();
        if rest.iter().any(|g| g.len() != 3) {
            return None;
        }
        n.replace(',', "").parse().ok()
    };
    match unit.as_str() {
        "" | "bytes" | "byte" | "b" if !number.contains('.') => {
            exact(number).map(|n| (Size::Bytes(n), None))
        }
        "" => {
            let groups: Vec<&str> = number.split('.').collect();
            if number.contains(',') {
                return None;
            }
            if groups.len() >= 2 && groups[1..].iter().all(|g| g.len() == 3) && groups[0].len() <= 3
            {
                let n: u64 = groups.concat().parse().ok()?;
                Some((
                    Size::Bytes(n),
                    Some(format!(
                        "TODO confirm the size {number:?}: read as {n} bytes (dots between thousands)"
                    )),
                ))
            } else if groups.len() == 2 && groups.iter().all(|g| !g.is_empty()) {
                Some((
                    Size::Text(number.to_owned()),
                    Some(format!(
                        "TODO the size {number:?} has no unit (KB?): the row has no exact size"
                    )),
                ))
            } else {
                None
            }
        }
        "kb" | "k" | "mb" => {
            // `15,66 KB` has a decimal comma: the text is kept as the article gives it.
            if number.matches(['.', ',']).count() > 1 && exact(number).is_none() {
                return None;
            }
            let unit = if unit == "mb" { "MB" } else { "KB" };
            Some((Size::Text(format!("{number} {unit}")), None))
        }
        _ => None,
    }
}

/// A version: `4.0.1381.7109`; `-` or `n/a` for none. A bare number (`7043`) is a build, not a
/// version the rules compare: marked, and left out.
pub(super) fn version(words: &[&str]) -> Option<Marked<Option<String>>> {
    let [v] = words else {
        return None;
    };
    if ["-", "--", "n/a", "na", "none"].contains(&v.to_ascii_lowercase().as_str()) {
        return Some((None, None));
    }
    let parts: Vec<&str> = v.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.len() <= 6 && p.chars().all(|c| c.is_ascii_digit());
    if parts.len() >= 2 && parts.iter().all(numeric) {
        // `1.854.736` under Version is a size with dots between thousands, more likely than a
        // version.
        let like_size =
            parts.len() >= 3 && parts[0].len() <= 3 && parts[1..].iter().all(|p| p.len() == 3);
        let mark = like_size.then(|| {
            format!(
                "TODO confirm the version {v:?}: it reads like a size with dots between thousands"
            )
        });
        return Some((Some((*v).to_owned()), mark));
    }
    // A mistyped version (`5.0:2195.2097`): said, and left out.
    let separators = v.chars().filter(|c| *c == '.' || *c == ':').count();
    if separators >= 2
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ':')
    {
        return Some((
            None,
            Some(format!(
                "TODO the version {v:?} is not read (a mistyped version?): the row has none"
            )),
        ));
    }
    if parts.len() == 1 && numeric(&parts[0]) {
        return Some((
            None,
            Some(format!(
                "TODO the version {v:?} is a build number, not a full version: the row has none"
            )),
        ));
    }
    None
}

/// Words a platform cell holds that name no file.
fn is_platform_word(word: &str) -> bool {
    platform_of(word).is_some()
}

fn platform_of(word: &str) -> Option<&'static str> {
    let plain = word
        .trim_matches(|c: char| c == '(' || c == ')' || c == ',' || c == ':')
        .to_ascii_lowercase();
    match plain.as_str() {
        "x86" | "i386" | "ix86" | "intel" | "x86-based" | "intel-based" => Some("x86"),
        "alpha" | "axp" | "alpha-based" => Some("Alpha"),
        "mips" => Some("MIPS"),
        "ppc" | "powerpc" => Some("PowerPC"),
        _ => None,
    }
}

/// A file name: `Tcpip.sys`, `Ntldr`, `Migration DLL.awx` in a boxed cell.
pub(super) fn file(words: &[&str], boxed: bool) -> Option<String> {
    let name = match words {
        [one] => (*one).to_owned(),
        _ if boxed && !words.is_empty() => words.join(" "),
        _ => return None,
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-$~!#&@^'+ ".contains(c);
    let letters = name.chars().filter(char::is_ascii_alphabetic).count();
    let ok = letters > 0
        && name.chars().all(allowed)
        && name.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !name.ends_with('.')
        && (name.contains('.') || letters >= 3)
        && !is_platform_word(&name)
        && time(&[&name]).is_none()
        && size(&[&name]).is_none();
    ok.then_some(name)
}

/// What a platform cell says: `x86`, `I386 - 128-bit (SRP)`, `NT Alpha 40bit`, `(x86)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Platform {
    pub platform: Option<String>,
    pub bits: Option<u32>,
    pub package: Option<String>,
    pub marks: Vec<String>,
}

/// A cipher strength: `128-bit`, `40bit`, `(56-bit)`.
fn bits(word: &str) -> Option<u32> {
    let plain = word
        .trim_matches(|c: char| c == '(' || c == ')' || c == ',')
        .to_ascii_lowercase();
    plain
        .strip_suffix("-bit")
        .or(plain.strip_suffix("bit"))
        .filter(|b| !b.is_empty() && b.chars().all(|c| c.is_ascii_digit()))
        .and_then(|b| b.parse().ok())
}

/// The platform column. With `strict`, every word must be a platform, a strength, a package in
/// parentheses or a filler (`NT`, `-`): so a row's words are not taken for a platform they are
/// not. Otherwise words it does not know are the platform as the article gives it, marked.
pub(super) fn platform(words: &[&str], strict: bool) -> Option<Platform> {
    let mut p = Platform::default();
    let mut unknown = Vec::new();
    let mut known = 0;
    for &word in words {
        if let Some(b) = bits(word) {
            if ![40, 56, 128].contains(&b) {
                p.marks.push(format!(
                    "TODO confirm the strength {word:?}: builds are 40-, 56- or 128-bit"
                ));
            }
            p.bits = Some(b);
            known += 1;
        } else if let Some(name) = platform_of(word) {
            if p.platform.as_deref().is_some_and(|q| q != name) {
                return None;
            }
            p.platform = Some(name.to_owned());
            known += 1;
        } else if ["-", "nt", "/"].contains(&word.to_ascii_lowercase().as_str()) {
        } else if let Some(package) = package(word) {
            p.package = Some(package.to_owned());
        } else {
            unknown.push(word);
        }
    }
    if !unknown.is_empty() {
        if strict {
            return None;
        }
        // Without a platform, the cell's words as written (`NT 4.0`), its strength aside.
        let text = if p.platform.is_some() {
            unknown.join(" ")
        } else {
            words
                .iter()
                .filter(|w| bits(w).is_none() && package(w).is_none())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        };
        if p.platform.is_some() {
            p.marks.push(format!(
                "TODO the platform cell's {text:?} is not in the row"
            ));
        } else {
            p.marks.push(format!(
                "TODO the platform {text:?} is none of x86, Alpha, MIPS, PowerPC: keep the row only if the rule is for it"
            ));
            p.platform = Some(text);
        }
    }
    (known > 0 || p.package.is_some() || !unknown.is_empty()).then_some(p)
}

/// Where a build comes from, in parentheses: `(SRP)`, `(SP6a)`.
fn package(word: &str) -> Option<&str> {
    let inner = word.strip_prefix('(')?.strip_suffix(')')?;
    let upper = inner.to_ascii_uppercase();
    let known = upper == "SRP"
        || upper
            .strip_prefix("SP")
            .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
    known.then_some(inner)
}

/// A note in parentheses after a file name: `(56-bit)` is the build's strength; `(32-bit)`,
/// `(16-bit)` and the rest are not, and are marked.
pub(super) fn file_note(word: &str) -> Option<Platform> {
    if !(word.starts_with('(') && word.ends_with(')')) || word.len() < 3 {
        return None;
    }
    let mut p = Platform::default();
    match (bits(word), platform_of(word)) {
        (Some(b), _) if [40, 56, 128].contains(&b) => p.bits = Some(b),
        (_, Some(name)) => p.platform = Some(name.to_owned()),
        _ => p.marks.push(format!(
            "TODO the note {word:?} after the file name is not in the row (no cipher strength, no platform)"
        )),
    }
    Some(p)
}

/// Whether `text` names Windows NT 4.0 (`Windows NT 4.0`, `Windows NT Server version 4.0`).
pub(super) fn names_nt4(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("nt ").any(|(at, _)| {
        let after = &lower[at + 3..];
        let window: String = after.chars().take(40).collect();
        let end = window.find("windows").unwrap_or(window.len());
        let window = &window[..end];
        window.contains("4.0") || window.split([' ', ',']).any(|w| w == "4")
    })
}

/// Whether `text` names another Windows than NT 4.0 (2000, XP, 9x, NT 3.51): rows for it are
/// not the NT 4.0 fix.
pub(super) fn names_other_windows(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "windows 2000",
        "windows xp",
        "windows 9x",
        "windows 95",
        "windows 98",
        "windows me",
        "windows millennium",
        "windows .net",
        "windows server 2003",
        "nt 3.5",
        "windows 3.1",
        "windows for workgroups",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Option<String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        date(&words).map(|(d, _)| d)
    }

    #[test]
    fn dates_in_every_form() {
        assert_eq!(d("15-Nov-2001").as_deref(), Some("2001-11-15"));
        assert_eq!(d("04-APR-2000").as_deref(), Some("2000-04-04"));
        assert_eq!(d("22-Jan-02").as_deref(), Some("2002-01-22"));
        assert_eq!(d("Aug-30-2001").as_deref(), Some("2001-08-30"));
        assert_eq!(d("Aug-1-2001").as_deref(), Some("2001-08-01"));
        assert_eq!(d("10/11/99").as_deref(), Some("1999-10-11"));
        assert_eq!(d("01/26/2000").as_deref(), Some("2000-01-26"));
        assert_eq!(d("11-30-99").as_deref(), Some("1999-11-30"));
        assert_eq!(d("2000/06/20").as_deref(), Some("2000-06-20"));
        assert_eq!(d("98/10/28").as_deref(), Some("1998-10-28"));
        assert_eq!(d("May 17, 2001").as_deref(), Some("2001-05-17"));
        assert_eq!(d("July 11, 2001").as_deref(), Some("2001-07-11"));
        assert_eq!(d("17 May 2001").as_deref(), Some("2001-05-17"));
        let (iso, mark) = date(&["26/01/2000"]).unwrap();
        assert_eq!(iso, "2000-01-26");
        assert!(mark.unwrap().contains("day-first"));
        assert_eq!(d("32/13/2000"), None);
        assert_eq!(d("02/30/2000"), None);
        assert_eq!(d("11/03/200"), None);
        assert_eq!(d("Novz-03-2001"), None);
        assert_eq!(d("May"), None);
    }

    #[test]
    fn times_in_every_form() {
        let t = |w: &[&str]| time(w).map(|(t, _)| t);
        assert_eq!(t(&["05:13p"]).as_deref(), Some("17:13"));
        assert_eq!(t(&["6:16p"]).as_deref(), Some("18:16"));
        assert_eq!(t(&["12:05p"]).as_deref(), Some("12:05"));
        assert_eq!(t(&["12:30a"]).as_deref(), Some("00:30"));
        assert_eq!(t(&["21:30"]).as_deref(), Some("21:30"));
        assert_eq!(t(&["07:11", "PM"]).as_deref(), Some("19:11"));
        assert_eq!(t(&["4:06", "P.M."]).as_deref(), Some("16:06"));
        assert_eq!(t(&["3:10:50pm"]).as_deref(), Some("15:10"));
        assert_eq!(t(&["18:24:29"]).as_deref(), Some("18:24"));
        assert_eq!(t(&["25:00"]), None);
        assert_eq!(t(&["13:00a"]), None);
        assert_eq!(t(&["07:11", "XM"]), None);
        let (at, mark) = time(&["16:31p"]).unwrap();
        assert_eq!(at, "16:31");
        assert!(mark.unwrap().contains("p.m."));
    }

    #[test]
    fn sizes_versions_and_platforms() {
        assert_eq!(size(&["1,296,656"]), Some((Size::Bytes(1_296_656), None)));
        assert_eq!(
            size(&["79,360", "bytes"]),
            Some((Size::Bytes(79_360), None))
        );
        assert_eq!(
            size(&["122", "KB"]),
            Some((Size::Text("122 KB".into()), None))
        );
        assert_eq!(
            size(&["19.7KB"]),
            Some((Size::Text("19.7 KB".into()), None))
        );
        let (n, mark) = size(&["1.135.104"]).unwrap();
        assert_eq!((n, mark.is_some()), (Size::Bytes(1_135_104), true));
        let (n, mark) = size(&["94.5"]).unwrap();
        assert_eq!((n, mark.is_some()), (Size::Text("94.5".into()), true));
        assert_eq!(size(&["12,34"]), None);
        assert_eq!(size(&["PM"]), None);
        assert_eq!(version(&["-"]), Some((None, None)));
        assert_eq!(
            version(&["4.0.1381.7109"]),
            Some((Some("4.0.1381.7109".into()), None))
        );
        assert!(version(&["7043"]).unwrap().1.is_some());
        assert!(version(&["1.854.736"]).unwrap().1.is_some());
        assert!(version(&["4.1.1.100"]).unwrap().1.is_none());
        let p = platform(&["(x386)"], false).unwrap();
        assert_eq!((p.platform.as_deref(), p.package), (Some("(x386)"), None));
        assert_eq!(p.marks.len(), 1);
        assert_eq!(version(&["PM"]), None);
        assert_eq!(file(&["Ntldr"], false).as_deref(), Some("Ntldr"));
        assert_eq!(file(&["Intel"], false), None);
        assert_eq!(file(&["203,024"], false), None);
        let p = platform(&["I386", "-", "128-bit", "(SRP)"], true).unwrap();
        assert_eq!(
            (p.platform.as_deref(), p.bits, p.package.as_deref()),
            (Some("x86"), Some(128), Some("SRP"))
        );
        assert_eq!(platform(&["Windows", "NT"], true), None);
        assert_eq!(platform(&["Win95", "40bit"], true), None);
        let p = platform(&["Win95", "40bit"], false).unwrap();
        assert_eq!((p.platform.as_deref(), p.bits), (Some("Win95"), Some(40)));
        assert_eq!(p.marks.len(), 1);
        assert!(names_nt4(
            "Microsoft Windows NT Server version 4.0, Terminal Server Edition"
        ));
        assert!(names_nt4("Windows NT 4.0"));
        assert!(!names_nt4("Windows 2000"));
        assert!(names_other_windows("For Windows 95:"));
    }
}
