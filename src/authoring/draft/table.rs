//! File tables: a header naming its columns (Date, Time, Version, Size, File name, Platform,
//! Operating system, in any order, plain or boxed), a line of dashes (a blank line may come
//! first; a few tables have none), and one row a line, in groups a blank line apart. Each row is
//! read by `row`; what cannot be read is said, located, and the rest of the table is still read.
//! What the text around a table says of its rows goes with them: the sub-heading it is under
//! (`Windows 2000`, `…, Terminal Server Edition`), a platform its introduction names ("The
//! English-language, Intel version of this fix…"), an `-or-` between two rows.

use super::cell;
pub use super::row::Row;
use super::row::{Column, Header, row};

/// A table: its header's line, its rows, and what the text around it says of them.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub line: usize,
    pub rows: Vec<Row>,
    /// Where the table is: its line and the sub-heading it is under.
    pub place: String,
    /// Whether it is under a sub-heading.
    pub under: bool,
    /// What the draft says above the rows: where the table is, and what a reader must decide
    /// for all of them (a `TODO` each).
    pub comments: Vec<String>,
    /// Whether a comment is a `TODO` for every row.
    pub marked: bool,
}

/// Reads the header's columns, or `None` when the line is no file-table header.
fn header(line: &str) -> Option<Header> {
    let lower = line.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    let mut columns: Vec<(String, Column)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let next = words.get(i + 1).copied();
        let (column, width) = match (words[i], next) {
            ("file", Some("name")) => (Column::File, 2),
            ("modified", Some("date")) => (Column::Date, 2),
            ("operating", Some("system")) => (Column::System, 2),
            ("date", _) => (Column::Date, 1),
            ("time", _) => (Column::Time, 1),
            ("version", _) => (Column::Version, 1),
            ("size", _) => (Column::Size, 1),
            ("filename" | "file", _) => (Column::File, 1),
            ("platform", _) => (Column::Platform, 1),
            _ => return None,
        };
        if columns.iter().any(|(_, c)| *c == column) {
            return None;
        }
        columns.push((words[i..i + width].join(" "), column));
        i += width;
    }
    let is_table = columns.iter().any(|(_, c)| *c == Column::File) && columns.len() >= 2;
    let names: Vec<(&str, Column)> = columns.iter().map(|(w, c)| (w.as_str(), *c)).collect();
    is_table.then(|| Header::new(line, &names))
}

fn is_rule_line(line: &str) -> bool {
    let t = line.trim().trim_matches('|').trim();
    t.len() >= 3
        && t.chars()
            .all(|c| c == '-' || c == '+' || c == '|' || c == ' ' || c == '=')
        && t.contains('-')
}

/// `-or-` between two rows: the second is another build of the same file.
fn is_or(line: &str) -> bool {
    matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "-or-" | "- or -" | "or"
    )
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
    let under = headings(lines);
    let mut i = 0;
    while i < lines.len() {
        let Some(head) = header(lines[i].1) else {
            i += 1;
            continue;
        };
        // The dashes, after at most one blank line; or a row straight away.
        let mut j = i + 1;
        if j < lines.len() && lines[j].1.trim().is_empty() {
            j += 1;
        }
        let dashes = j < lines.len() && is_rule_line(lines[j].1);
        let first_row = if dashes { j + 1 } else { i + 1 };
        let starts = lines
            .get(first_row)
            .is_some_and(|(n, l)| row(&head, l, *n).is_ok());
        if !dashes && !starts {
            i += 1;
            continue;
        }
        let mut table = Table {
            line: lines[i].0,
            ..Table::default()
        };
        let first_note = notes.len();
        used.extend((i..first_row).map(|k| lines[k].0));
        j = first_row;
        let mut alternative = false;
        while j < lines.len() {
            let (n, text) = lines[j];
            let t = text.trim();
            if t.is_empty() {
                // Rows go on after blank lines when the next line is one.
                let next = (j..lines.len()).find(|&k| !lines[k].1.trim().is_empty());
                let goes_on = next.is_some_and(|k| {
                    k - j <= 2
                        && (is_or(lines[k].1) || row(&head, lines[k].1, 0).is_ok())
                        && header(lines[k].1).is_none()
                });
                match next {
                    Some(k) if goes_on => {
                        j = k;
                        continue;
                    }
                    _ => break,
                }
            }
            used.push(n);
            j += 1;
            if is_rule_line(t) {
                continue;
            }
            if is_or(t) {
                alternative = true;
                continue;
            }
            match row(&head, text, n) {
                Ok(mut r) => {
                    if std::mem::take(&mut alternative) {
                        r.marks.push(
                            "TODO the article gives this row as an alternative (-or-) to the one above: keep the build the fix installs"
                                .into(),
                        );
                    }
                    table.rows.push(r);
                }
                Err(e) => notes.push(format!("{name}:{n}: {e}")),
            }
        }
        context(name, lines, &under, i, &head.columns, &mut table, notes);
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
        // The table's notes in the article's order, whatever found them.
        let line_of = |n: &String| {
            n.strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .and_then(|r| r.split(':').next())
                .and_then(|l| l.parse::<usize>().ok())
        };
        notes[first_note..].sort_by_key(line_of);
        tables.push(table);
        i = j;
    }
    (tables, used)
}

/// What the text around the table at `lines[at]` says of its rows.
fn context(
    name: &str,
    lines: &[(usize, &str)],
    under: &[Option<(usize, String)>],
    at: usize,
    columns: &[Column],
    table: &mut Table,
    notes: &mut Vec<String>,
) {
    let mut todo = |table: &mut Table, text: String| {
        notes.push(format!("{name}:{}: {text}", table.line));
        table.comments.push(text);
        table.marked = true;
    };
    let heading = under[at].clone();
    let mut place = format!("The table at line {}", table.line);
    if let Some((n, h)) = &heading {
        place.push_str(&format!(", under the heading {h:?} (line {n})"));
    }
    table.place = format!("{place}.");
    table.under = heading.is_some();
    if let Some((n, h)) = &heading {
        if h.to_ascii_lowercase().contains("terminal server") {
            for r in &mut table.rows {
                r.edition.get_or_insert_with(|| "Terminal Server".into());
            }
        } else if cell::names_other_windows(h) && !cell::names_nt4(h) {
            todo(
                table,
                format!(
                    "TODO the rows below are under the heading {h:?} (line {n}): keep them only if the rule is for that system"
                ),
            );
        }
    }
    if !columns.contains(&Column::Platform) {
        // A platform the heading or the introduction names, when it names one.
        let intro = lines[..at]
            .iter()
            .rev()
            .skip_while(|(_, l)| l.trim().is_empty())
            .take_while(|(_, l)| !l.trim().is_empty())
            .take(4)
            .map(|(n, l)| (*n, l.trim().to_owned()));
        let named = heading
            .clone()
            .into_iter()
            .chain(intro)
            .find_map(|(n, text)| one_platform(&text).map(|p| (n, text, p)));
        if let Some((n, text, p)) = named {
            for r in table.rows.iter_mut().filter(|r| r.platform.is_none()) {
                r.platform = Some(p.to_owned());
            }
            table.comments.push(format!(
                "The rows' platform, {p}, is the one line {n} names: {text:?}."
            ));
        }
    }
    if !columns.contains(&Column::Date) {
        todo(
            table,
            "TODO the table has no Date column: its rows are written as comments until each has a date"
                .into(),
        );
    }
    // A row without a platform among rows with one.
    if table.rows.iter().any(|r| r.platform.is_some()) {
        for r in table.rows.iter_mut().filter(|r| r.platform.is_none()) {
            r.marks.push(
                "TODO the row gives no platform where the table's other rows do: say which it is for"
                    .into(),
            );
        }
    }
}

/// The platform `text` names, when it names exactly one.
fn one_platform(text: &str) -> Option<&'static str> {
    let mut found = None;
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == ':') {
        let p = match word.to_ascii_lowercase().as_str() {
            "x86" | "i386" | "intel" | "x86-based" | "intel-based" => "x86",
            "alpha" | "alpha-based" => "Alpha",
            "mips" => "MIPS",
            "powerpc" | "ppc" => "PowerPC",
            _ => continue,
        };
        if found.is_some_and(|f| f != p) {
            return None;
        }
        found = Some(p);
    }
    found
}

/// Whether `lines[k]` is a sub-heading: a line underlined with dashes, or a short paragraph of
/// its own ending in a colon that names a system or a platform (`For Windows 95:`, `Alpha:`).
fn heading_at(lines: &[(usize, &str)], k: usize) -> Option<String> {
    let l = lines[k].1;
    let t = l.trim();
    if t.is_empty() {
        return None;
    }
    let next = lines.get(k + 1).map_or("", |x| x.1.trim());
    let underlined = next.len() >= 3
        && next.chars().all(|c| c == '-')
        && next.len() + 3 >= t.len()
        && t.len() + 3 >= next.len();
    if underlined && header(l).is_none() {
        return Some(t.to_owned());
    }
    let alone = |x: Option<&(usize, &str)>| x.is_none_or(|(_, l)| l.trim().is_empty());
    let short = t.ends_with(':') && t.split_whitespace().count() <= 8;
    if short && alone(k.checked_sub(1).and_then(|p| lines.get(p))) && alone(lines.get(k + 1)) {
        let h = t.trim_end_matches(':');
        if cell::names_nt4(h) || cell::names_other_windows(h) || one_platform(h).is_some() {
            return Some(h.to_owned());
        }
    }
    None
}

/// For each line, the sub-heading it is under (the last one above it) and that heading's line:
/// one pass, so that many tables cost no more than one.
fn headings(lines: &[(usize, &str)]) -> Vec<Option<(usize, String)>> {
    let mut out: Vec<Option<(usize, String)>> = Vec::with_capacity(lines.len());
    let mut last: Option<(usize, String)> = None;
    for k in 0..lines.len() {
        out.push(last.clone());
        if let Some(h) = heading_at(lines, k) {
            last = Some((lines[k].0, h));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_boxed_table_without_a_date_is_read_and_marked() {
        let lines = [
            (1, "+------------------------------+"),
            (2, "| File name    | Version        |"),
            (3, "+------------------------------+"),
            (4, "| Emsmta.exe   | 5.5.2653.13    |"),
            (5, "+------------------------------+"),
            (6, "| Dsamain.exe  | -              |"),
            (7, "+------------------------------+"),
        ];
        let mut notes = Vec::new();
        let (tables, used) = find("Q3.TXT", &lines, &mut notes);
        let t = &tables[0];
        assert_eq!(used, [2, 3, 4, 5, 6, 7]);
        assert_eq!(
            t.rows
                .iter()
                .map(|r| (r.file.as_str(), r.version.as_deref(), r.date.as_deref()))
                .collect::<Vec<_>>(),
            [
                ("Emsmta.exe", Some("5.5.2653.13"), None),
                ("Dsamain.exe", None, None)
            ]
        );
        assert!(t.marked);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("Q3.TXT:2: TODO the table has no Date column"),
            "{notes:?}"
        );
    }

    #[test]
    fn groups_alternatives_headings_and_platforms() {
        let lines = [
            (1, "Windows 2000"),
            (2, "------------"),
            (3, ""),
            (
                4,
                "The English-language, Intel version of this fix should have:",
            ),
            (5, "   Date      Time    Size     File name"),
            (6, "   ------------------------------------"),
            (7, "   10/12/1999  08:44p   36,112  Wlbs.exe"),
            (8, ""),
            (9, "   10/12/1999  08:43p  121,744  Ndis.sys"),
            (10, "   -or-"),
            (11, "   10/13/1999  08:43p  121,760  Ndis.sys"),
            (12, ""),
            (13, "Then restart."),
        ];
        let mut notes = Vec::new();
        let (tables, _) = find("Q2.TXT", &lines, &mut notes);
        let t = &tables[0];
        assert_eq!(t.rows.len(), 3);
        assert!(t.rows.iter().all(|r| r.platform.as_deref() == Some("x86")));
        assert!(t.marked);
        assert!(t.rows[2].marks[0].contains("alternative"));
        assert!(
            t.place.contains("\"Windows 2000\" (line 1)"),
            "{:?}",
            t.place
        );
    }
}
