//! File tables: a header naming its columns (Date, Time, Version, Size, File name, Platform, in
//! any order), a line of dashes (a blank line may come first), and one row a line. Each value is
//! read into the rule's form (ISO date, 24-hour time, bytes, `x86`/`Alpha`, bits); what cannot
//! be read is said, located, and the rest of the table is still read.

/// The columns a file table can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Date,
    Time,
    Version,
    Size,
    File,
    Platform,
}

/// One row as the rule writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The article's line of the row.
    pub line: usize,
    pub date: String,
    pub time: Option<String>,
    pub version: Option<String>,
    pub size: Option<u64>,
    /// The size as the article gives it when not in bytes ("122 KB").
    pub size_text: Option<String>,
    pub file: String,
    pub platform: Option<String>,
    pub bits: Option<u32>,
    pub package: Option<String>,
    /// What a reader must confirm about this row (a day-first date, an odd strength).
    pub marks: Vec<String>,
}

/// A table: its header's line and its rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub line: usize,
    pub rows: Vec<Row>,
}

/// Reads the header's columns, or `None` when the line is no file-table header.
fn header(line: &str) -> Option<Vec<Column>> {
    let lower = line.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    let mut columns = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let column = match words[i] {
            "date" => Column::Date,
            "time" => Column::Time,
            "version" => Column::Version,
            "size" => Column::Size,
            "filename" => Column::File,
            "file" if words.get(i + 1) == Some(&"name") => {
                i += 1;
                Column::File
            }
            "file" => Column::File,
            "platform" => Column::Platform,
            _ => return None,
        };
        if columns.contains(&column) {
            return None;
        }
        columns.push(column);
        i += 1;
    }
    let is_table = columns.contains(&Column::Date)
        && columns.contains(&Column::File)
        && (columns.contains(&Column::Size) || columns.contains(&Column::Version));
    is_table.then_some(columns)
}

fn is_rule_line(line: &str) -> bool {
    let t = line.trim().trim_matches('|').trim();
    t.len() >= 3
        && t.chars()
            .all(|c| c == '-' || c == '+' || c == '|' || c == ' ')
}

/// The tables in `lines` (numbered as in the article), the lines they take, and what could not
/// be read, as `file:line: message`.
pub fn find(
    name: &str,
    lines: &[(usize, &str)],
    notes: &mut Vec<String>,
) -> (Vec<Table>, Vec<usize>) {
    let mut tables = Vec::new();
    let mut used = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(columns) = header(lines[i].1) else {
            i += 1;
            continue;
        };
        // The dashes, after at most one blank line.
        let mut j = i + 1;
        if j < lines.len() && lines[j].1.trim().is_empty() {
            j += 1;
        }
        if j >= lines.len() || !is_rule_line(lines[j].1) {
            i += 1;
            continue;
        }
        let mut table = Table {
            line: lines[i].0,
            rows: Vec::new(),
        };
        used.extend((i..=j).map(|k| lines[k].0));
        j += 1;
        while j < lines.len() {
            let (n, text) = lines[j];
            let t = text.trim();
            if t.is_empty() {
                break;
            }
            if is_rule_line(t) {
                used.push(n);
                j += 1;
                continue;
            }
            match row(&columns, t, n) {
                Ok(r) => table.rows.push(r),
                Err(e) => notes.push(format!("{name}:{n}: {e}")),
            }
            used.push(n);
            j += 1;
        }
        for r in &table.rows {
            for m in &r.marks {
                notes.push(format!("{name}:{}: {m}", r.line));
            }
        }
        if table.rows.is_empty() {
            notes.push(format!(
                "{name}:{}: a file table with no row read",
                table.line
            ));
        }
        tables.push(table);
        i = j;
    }
    (tables, used)
}

/// One row under `columns`.
fn row(columns: &[Column], text: &str, line: usize) -> Result<Row, String> {
    let boxed = text.starts_with('|');
    let tokens: Vec<&str> = if boxed {
        // `| a | b |`: the cells are the columns.
        text.trim_matches('|').split('|').map(str::trim).collect()
    } else {
        text.split_whitespace().collect()
    };
    let mut r = Row {
        line,
        ..Row::default()
    };
    if tokens.len() < columns.len() {
        return Err(format!(
            "a table row with {} columns under a {}-column header",
            tokens.len(),
            columns.len()
        ));
    }
    let mut t = 0;
    for (k, column) in columns.iter().enumerate() {
        let last = k + 1 == columns.len();
        let Some(&token) = tokens.get(t) else {
            return Err(format!(
                "a table row with too few columns under a {}-column header",
                columns.len()
            ));
        };
        t += 1;
        match column {
            Column::Date => {
                let (date, mark) = date(token)
                    .ok_or_else(|| format!("cannot read {token:?} as a date (column {})", k + 1))?;
                r.date = date;
                r.marks.extend(mark);
            }
            Column::Time => {
                r.time = Some(time(token).ok_or_else(|| {
                    format!("cannot read {token:?} as a time (column {})", k + 1)
                })?);
            }
            Column::Version => {
                if !token.starts_with(|c: char| c.is_ascii_digit()) || !token.contains('.') {
                    return Err(format!(
                        "cannot read {token:?} as a version (column {})",
                        k + 1
                    ));
                }
                r.version = Some(token.to_owned());
            }
            Column::Size => {
                let upper = token.to_ascii_uppercase();
                let (digits, kb) = match upper.strip_suffix("KB").or(upper.strip_suffix('K')) {
                    Some(d) => (d.to_owned(), true),
                    None if tokens.get(t).is_some_and(|u| is_kb(u)) => {
                        t += 1;
                        (upper.clone(), true)
                    }
                    None => (upper.clone(), false),
                };
                let n: String = digits.chars().filter(|c| *c != ',').collect();
                if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!(
                        "cannot read {token:?} as a size (column {})",
                        k + 1
                    ));
                }
                if kb {
                    r.size_text = Some(format!("{digits} KB"));
                } else {
                    r.size = n.parse().ok();
                }
            }
            Column::File => {
                if !token.contains('.') {
                    return Err(format!(
                        "cannot read {token:?} as a file name (column {})",
                        k + 1
                    ));
                }
                r.file = token.to_owned();
            }
            Column::Platform => {
                let rest = if last && !boxed {
                    let all = tokens[t - 1..].join(" ");
                    t = tokens.len();
                    all
                } else {
                    token.to_owned()
                };
                platform(&rest, &mut r);
            }
        }
    }
    if t < tokens.len() {
        return Err(format!(
            "a table row with {} columns under a {}-column header",
            tokens.len(),
            columns.len()
        ));
    }
    Ok(r)
}

fn is_kb(u: &str) -> bool {
    u.eq_ignore_ascii_case("KB") || u.eq_ignore_ascii_case("K")
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower.starts_with(m) && m.starts_with(lower.get(..3).unwrap_or("")))
        .map(|i| i as u32 + 1)
}

fn year(text: &str) -> Option<u32> {
    let y: u32 = text.parse().ok()?;
    match text.len() {
        2 if y >= 80 => Some(1900 + y),
        2 => Some(2000 + y),
        4 => Some(y),
        _ => None,
    }
}

fn valid(y: u32, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && (1..=31).contains(&d) && y >= 1980
}

/// An article's date as ISO, and a mark when it was read day-first.
pub fn date(text: &str) -> Option<(String, Option<String>)> {
    let iso = |y: u32, m: u32, d: u32| format!("{y:04}-{m:02}-{d:02}");
    let parts: Vec<&str> = text.split(['/', '-']).collect();
    if parts.len() != 3 {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok().filter(|_| s.len() <= 2);
    if text.contains('/') {
        // MM/DD/YY or MM/DD/YYYY; a "month" above 12 says the row is day-first.
        let (a, b, y) = (num(parts[0])?, num(parts[1])?, year(parts[2])?);
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
        return None;
    }
    // DD-Mon-YYYY, DD-Mon-YY, Mon-DD-YYYY.
    let (d, m, y) = match (num(parts[0]), month(parts[1]), month(parts[0])) {
        (Some(d), Some(m), _) => (d, m, year(parts[2])?),
        (None, None, Some(m)) => (num(parts[1])?, m, year(parts[2])?),
        _ => return None,
    };
    valid(y, m, d).then(|| (iso(y, m, d), None))
}

/// A time as 24-hour `HH:MM`: `21:30`, `6:16p`, `05:13p`, `12:05 AM`.
pub fn time(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let (clock, pm) = if let Some(c) = lower.strip_suffix("pm").or(lower.strip_suffix('p')) {
        (c, Some(true))
    } else if let Some(c) = lower.strip_suffix("am").or(lower.strip_suffix('a')) {
        (c, Some(false))
    } else {
        (lower.as_str(), None)
    };
    let (h, m) = clock.split_once(':')?;
    let (mut h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 23 || (pm.is_some() && !(1..=12).contains(&h)) {
        return None;
    }
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    Some(format!("{h:02}:{m:02}"))
}

/// The platform column: `x86`, `I386 - 128-bit (SRP)`, `NT Alpha 40bit`, `ix86`, `MIPS`.
fn platform(text: &str, r: &mut Row) {
    let mut rest = Vec::new();
    for word in text.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let plain = lower.trim_matches(|c: char| c == '(' || c == ')' || c == ',');
        if let Some(bits) = plain
            .strip_suffix("-bit")
            .or(plain.strip_suffix("bit"))
            .and_then(|b| b.parse::<u32>().ok())
        {
            if ![40, 56, 128].contains(&bits) {
                r.marks.push(format!(
                    "TODO confirm the strength {word:?}: builds are 40-, 56- or 128-bit"
                ));
            }
            r.bits = Some(bits);
            continue;
        }
        match plain {
            "x86" | "i386" | "ix86" | "intel" => r.platform = Some("x86".into()),
            "alpha" | "axp" => r.platform = Some("Alpha".into()),
            "mips" => r.platform = Some("MIPS".into()),
            "-" | "nt" | "" => {}
            _ if word.starts_with('(') && word.ends_with(')') => {
                r.package = Some(word[1..word.len() - 1].to_owned());
            }
            _ => rest.push(word),
        }
    }
    if r.platform.is_none() && !rest.is_empty() {
        r.platform = Some(rest.join(" "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_form() {
        let d = |t| date(t).map(|(d, _)| d);
        assert_eq!(d("15-Nov-2001").as_deref(), Some("2001-11-15"));
        assert_eq!(d("04-APR-2000").as_deref(), Some("2000-04-04"));
        assert_eq!(d("22-Jan-02").as_deref(), Some("2002-01-22"));
        assert_eq!(d("Aug-30-2001").as_deref(), Some("2001-08-30"));
        assert_eq!(d("10/11/99").as_deref(), Some("1999-10-11"));
        assert_eq!(d("01/26/2000").as_deref(), Some("2000-01-26"));
        let (iso, mark) = date("26/01/2000").unwrap();
        assert_eq!(iso, "2000-01-26");
        assert!(mark.unwrap().contains("day-first"));
        assert_eq!(d("32/13/2000"), None);
    }

    #[test]
    fn times_and_platforms() {
        assert_eq!(time("05:13p").as_deref(), Some("17:13"));
        assert_eq!(time("6:16p").as_deref(), Some("18:16"));
        assert_eq!(time("12:05p").as_deref(), Some("12:05"));
        assert_eq!(time("12:30a").as_deref(), Some("00:30"));
        assert_eq!(time("21:30").as_deref(), Some("21:30"));
        assert_eq!(time("25:00"), None);
        let mut r = Row::default();
        platform("I386 - 128-bit (SRP)", &mut r);
        assert_eq!(
            (r.platform.as_deref(), r.bits, r.package.as_deref()),
            (Some("x86"), Some(128), Some("SRP"))
        );
    }

    #[test]
    fn a_short_row_is_said_and_the_rest_read() {
        let lines = [
            (1, "   Date      Time    Size     File name     Platform"),
            (2, "   ------------------------------------------------"),
            (3, "   01/26/2000  03:15p  154,384  Schannel.dll  Intel"),
            (4, "   01/26/2000  03:15p  Schannel.dll  Intel"),
            (5, "   17-Apr-2002  18:15  122 KB  Netbt.sys  i386"),
        ];
        let mut notes = Vec::new();
        let (tables, used) = find("Q1.TXT", &lines, &mut notes);
        assert_eq!(used, [1, 2, 3, 4, 5]);
        assert_eq!(tables[0].rows.len(), 2);
        assert_eq!(tables[0].rows[1].size_text.as_deref(), Some("122 KB"));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("Q1.TXT:4: "), "{notes:?}");
    }
}
