//! One row of a file table: its words given to the header's columns. A plain row is words
//! separated by spaces, and a cell may be several words (`May 17, 2001`, `07:11 PM`, `122 KB`)
//! or none (an empty Version or Platform cell): of the ways to give the words to the columns,
//! the one with the fewest empty cells and marks is taken. A boxed row (`| a | b |`) gives its
//! cells.

use super::cell::{self, Platform, Size};

/// The columns a file table can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Date,
    Time,
    Version,
    Size,
    File,
    Platform,
    /// `Operating system`: the product a row is for.
    System,
}

impl Column {
    fn what(self) -> &'static str {
        match self {
            Column::Date => "a date",
            Column::Time => "a time",
            Column::Version => "a version",
            Column::Size => "a size",
            Column::File => "a file name",
            Column::Platform => "a platform",
            Column::System => "an operating system",
        }
    }
}

/// One row as the rule writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The article's line of the row.
    pub line: usize,
    /// `None` when the table has no Date column: the row cannot be a rule's row as it is.
    pub date: Option<String>,
    pub time: Option<String>,
    pub version: Option<String>,
    pub size: Option<u64>,
    /// The size as the article gives it when not in bytes ("122 KB").
    pub size_text: Option<String>,
    pub file: String,
    pub platform: Option<String>,
    pub bits: Option<u32>,
    pub package: Option<String>,
    pub edition: Option<String>,
    /// What a reader must confirm about this row (a day-first date, an odd strength).
    pub marks: Vec<String>,
}

/// A table's header: its columns, and where each one's name stands on the line (in characters,
/// tabs expanded), which tells where a row's cell may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) columns: Vec<Column>,
    pub(super) at: Vec<std::ops::Range<usize>>,
}

/// A line's characters with tabs expanded to stops of eight.
fn expand(line: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(line.len());
    for c in line.chars() {
        if c == '\t' {
            out.push(' ');
            while out.len() % 8 != 0 {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Header {
    /// `words` are the header's names, `(text, column)`, in order: where each stands is found
    /// on `line`.
    pub(super) fn new(line: &str, words: &[(&str, Column)]) -> Header {
        // One byte a character, so that a byte offset is a column.
        let chars: String = expand(line)
            .into_iter()
            .map(|c| {
                if c.is_ascii() {
                    c.to_ascii_lowercase()
                } else {
                    '?'
                }
            })
            .collect();
        let mut at = Vec::new();
        let mut from = 0;
        for (name, _) in words {
            // `File name` may stand as `File  Name`: each word after the one before.
            let mut start = None;
            for word in name.to_ascii_lowercase().split(' ') {
                let found = chars
                    .get(from..)
                    .and_then(|rest| rest.find(word))
                    .map_or(from, |i| from + i);
                start.get_or_insert(found);
                from = found + word.len();
            }
            at.push(start.unwrap_or(from)..from);
        }
        Header {
            columns: words.iter().map(|(_, c)| *c).collect(),
            at,
        }
    }

    /// Whether `line` is blank under column `k`'s name: only there may its cell be empty.
    fn blank_under(&self, line: &[char], k: usize) -> bool {
        self.at[k]
            .clone()
            .all(|i| line.get(i).is_none_or(|c| c.is_whitespace()))
    }
}

/// A cell read.
#[derive(Debug, Clone)]
enum Value {
    Empty,
    Date(cell::Marked<String>),
    Time(cell::Marked<String>),
    Version(cell::Marked<Option<String>>),
    Size(cell::Marked<Size>),
    File(String, Option<Platform>),
    Platform(Platform),
    System(String),
}

/// At most this many words a row: a line longer than any table's row is prose.
const MAX_WORDS: usize = 32;

/// Reads `words` as `column`'s cell, `last` when it is the row's last column.
fn read(column: Column, words: &[&str], last: bool, boxed: bool) -> Option<Value> {
    if words.is_empty() {
        return match column {
            Column::Date | Column::File => None,
            _ => Some(Value::Empty),
        };
    }
    Some(match column {
        Column::Date => Value::Date(cell::date(words)?),
        Column::Time => Value::Time(cell::time(words)?),
        Column::Version => Value::Version(cell::version(words)?),
        Column::Size => Value::Size(cell::size(words)?),
        Column::File => {
            // A note in parentheses may follow the name: `Channel.dll (56-bit)`.
            let (name, note) = match words {
                [.., note] if words.len() >= 2 && !boxed => (&words[..words.len() - 1], Some(note)),
                _ => (words, None),
            };
            let note = match note {
                Some(n) => Some(cell::file_note(n)?),
                None => None,
            };
            Value::File(cell::file(name, boxed)?, note)
        }
        Column::Platform => Value::Platform(cell::platform(words, !(last || boxed))?),
        Column::System => {
            let text = words.join(" ");
            let known = text.to_ascii_lowercase().contains("windows")
                || text.to_ascii_lowercase().contains("nt");
            if !known && !boxed {
                return None;
            }
            Value::System(text)
        }
    })
}

/// How many words `column`'s cell may take.
fn spans(column: Column, last: bool, left: usize) -> Vec<usize> {
    let spans: &[usize] = match column {
        Column::Date => &[1, 3],
        Column::Time => &[1, 2, 0],
        Column::Version => &[1, 0],
        Column::Size => &[1, 2, 0],
        Column::File => &[1, 2],
        Column::Platform if last => return vec![left],
        Column::Platform => &[1, 0],
        Column::System if last => return vec![left],
        Column::System => &[1, 2, 3, 4],
    };
    spans.iter().copied().filter(|s| *s <= left).collect()
}

/// What an arrangement costs: an empty cell more than a mark.
fn cost(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| match v {
            Value::Empty => 10,
            Value::Date((_, m)) | Value::Time((_, m)) => usize::from(m.is_some()),
            Value::Version((_, m)) => usize::from(m.is_some()),
            Value::Size((_, m)) => usize::from(m.is_some()),
            // A name without an extension (`Ntldr`) is rarer than a word taken for one.
            Value::File(name, note) => {
                usize::from(!name.contains('.')) + note.as_ref().map_or(0, |n| n.marks.len())
            }
            Value::Platform(p) => p.marks.len(),
            Value::System(_) => 0,
        })
        .sum()
}

/// The cheapest way to give `words[t..]` to `columns[k..]`; a cell may be empty where
/// `empty[k]`.
fn align(
    columns: &[Column],
    empty: &[bool],
    words: &[&str],
    k: usize,
    t: usize,
    values: &mut Vec<Value>,
    best: &mut Option<(usize, Vec<Value>)>,
) {
    if k == columns.len() {
        if t == words.len() {
            let c = cost(values);
            if best.as_ref().is_none_or(|(b, _)| c < *b) {
                *best = Some((c, values.clone()));
            }
        }
        return;
    }
    let last = k + 1 == columns.len();
    for span in spans(columns[k], last, words.len() - t) {
        if span == 0 && !empty[k] {
            continue;
        }
        if let Some(v) = read(columns[k], &words[t..t + span], last, false) {
            values.push(v);
            align(columns, empty, words, k + 1, t + span, values, best);
            values.pop();
        }
    }
}

/// One row under `header`, or why it cannot be read.
pub(super) fn row(header: &Header, text: &str, line: usize) -> Result<Row, String> {
    let columns = &header.columns[..];
    let values = if text.trim_start().starts_with('|') {
        boxed(columns, text)?
    } else {
        let words: Vec<&str> = text
            .split_whitespace()
            .map(|w| w.trim_end_matches("<BR/>").trim_end_matches("<BR>"))
            .filter(|w| !w.is_empty())
            .collect();
        let chars = expand(text);
        let empty: Vec<bool> = (0..columns.len())
            .map(|k| header.blank_under(&chars, k))
            .collect();
        if words.len() > MAX_WORDS {
            return Err(format!(
                "a table row with {} words under a {}-column header",
                words.len(),
                columns.len()
            ));
        }
        let mut best = None;
        align(columns, &empty, &words, 0, 0, &mut Vec::new(), &mut best);
        // Rows typed without lining up under the header leave out a Version cell where the
        // header has one: read so, and marked.
        let mut shifted = None;
        if best.is_none() && columns.contains(&Column::Version) {
            let empty: Vec<bool> = columns
                .iter()
                .zip(&empty)
                .map(|(c, e)| *e || *c == Column::Version)
                .collect();
            align(columns, &empty, &words, 0, 0, &mut Vec::new(), &mut best);
            shifted = best.as_ref().map(|_| {
                "TODO confirm the row has no version: its words do not stand under the header's columns"
                    .to_owned()
            });
        }
        match best {
            Some((_, mut values)) => {
                if let Some(m) = shifted {
                    values.push(Value::Platform(Platform {
                        marks: vec![m],
                        ..Platform::default()
                    }));
                }
                values
            }
            None => return Err(why_not(columns, &words)),
        }
    };
    let mut r = Row {
        line,
        ..Row::default()
    };
    for v in values {
        match v {
            Value::Empty => {}
            Value::Date((d, m)) => {
                r.date = Some(d);
                r.marks.extend(m);
            }
            Value::Time((t, m)) => {
                r.time = Some(t);
                r.marks.extend(m);
            }
            Value::Version((v, m)) => {
                r.version = v;
                r.marks.extend(m);
            }
            Value::Size((s, m)) => {
                match s {
                    Size::Bytes(n) => r.size = Some(n),
                    Size::Text(t) => r.size_text = Some(t),
                }
                r.marks.extend(m);
            }
            Value::File(name, note) => {
                r.file = name;
                if let Some(n) = note {
                    apply(&mut r, n);
                }
            }
            Value::Platform(p) => apply(&mut r, p),
            Value::System(s) => system(&mut r, &s),
        }
    }
    Ok(r)
}

fn apply(r: &mut Row, p: Platform) {
    r.platform = p.platform.or(r.platform.take());
    r.bits = p.bits.or(r.bits);
    r.package = p.package.or(r.package.take());
    r.marks.extend(p.marks);
}

/// The operating system a row is for: Terminal Server Edition is an edition; another Windows
/// than NT 4.0 is marked.
fn system(r: &mut Row, text: &str) {
    if text.to_ascii_lowercase().contains("terminal server") {
        r.edition = Some("Terminal Server".into());
    } else if !cell::names_nt4(text) {
        r.marks.push(format!(
            "TODO the row is for {text:?}: keep it only if the rule is for that system"
        ));
    }
}

/// A boxed row's cells: `| 07/31/98 | 02:47p | 31,184 | Csrsrv.dll | x86 |`. A cell that is not
/// read is marked, unless it is the date or the file name, without which there is no row.
fn boxed(columns: &[Column], text: &str) -> Result<Vec<Value>, String> {
    let cells: Vec<&str> = text
        .trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect();
    if cells.len() != columns.len() {
        return Err(format!(
            "a table row with {} columns under a {}-column header",
            cells.len(),
            columns.len()
        ));
    }
    let mut values = Vec::new();
    for (k, (column, cell)) in columns.iter().zip(&cells).enumerate() {
        let words: Vec<&str> = cell.split_whitespace().collect();
        match read(*column, &words, k + 1 == columns.len(), true) {
            Some(v) => values.push(v),
            None if matches!(column, Column::Date | Column::File) => {
                return Err(format!(
                    "cannot read {cell:?} as {} (column {})",
                    column.what(),
                    k + 1
                ));
            }
            None => {
                let mark = format!(
                    "TODO the {} cell {cell:?} is not {}: the row leaves it out",
                    column.what().split(' ').nth(1).unwrap_or(""),
                    column.what()
                );
                values.push(Value::Platform(Platform {
                    marks: vec![mark],
                    ..Platform::default()
                }));
            }
        }
    }
    Ok(values)
}

/// Why no arrangement reads `words`: the first column none of whose spans reads, taking the
/// first span that does for the columns before it; else the counts.
fn why_not(columns: &[Column], words: &[&str]) -> String {
    let mut t = 0;
    for (k, column) in columns.iter().enumerate() {
        let last = k + 1 == columns.len();
        let left = words.len() - t;
        let fits = spans(*column, last, left)
            .into_iter()
            .filter(|s| *s > 0)
            .find(|s| read(*column, &words[t..t + s], last, false).is_some());
        match fits {
            Some(s) => t += s,
            None if left == 0 => break,
            None if spans(*column, last, left).contains(&0) => {}
            None => {
                return format!(
                    "cannot read {:?} as {} (column {})",
                    words[t],
                    column.what(),
                    k + 1
                );
            }
        }
    }
    format!(
        "a table row with {} columns under a {}-column header",
        words.len(),
        columns.len()
    )
}

#[cfg(test)]
mod tests {
    use super::Column::*;
    use super::*;

    fn header(line: &str) -> Header {
        let names: Vec<(&str, Column)> = line
            .split(|c: char| c.is_whitespace() || c == '|')
            .filter(|w| !w.is_empty())
            .map(|w| match w {
                "Date" => (w, Date),
                "Time" => (w, Time),
                "Version" => (w, Version),
                "Size" => (w, Size),
                "File" => (w, File),
                _ => (w, Platform),
            })
            .collect();
        Header::new(line, &names)
    }

    #[test]
    fn cells_of_several_words_or_none() {
        let cols = header("Date      Time      Version     Size     File     Platform");
        let r = row(
            &cols,
            "2/21/00   07:11 PM  4.1.1.100   396,048  Rasdlg.dll    Intel",
            1,
        )
        .unwrap();
        assert_eq!(
            (r.time.as_deref(), r.version.as_deref(), r.size),
            (Some("19:11"), Some("4.1.1.100"), Some(396_048))
        );
        let cols = header("Date      Time    Version      Size    File          Platform");
        let r = row(
            &cols,
            "05/29/97  06:20p               259,920 Rdr.sys       (x86)",
            1,
        )
        .unwrap();
        assert_eq!(
            (r.version, r.size, r.platform.as_deref()),
            (None, Some(259_920), Some("x86"))
        );
        let cols = header("Date          Time    Version         Size     File");
        let r = row(
            &cols,
            "May 17, 2001  15:42   4.0.1381.710    177,520  Mstsc.exe (16-bit)",
            1,
        )
        .unwrap();
        assert_eq!(
            (r.date.as_deref(), r.file.as_str()),
            (Some("2001-05-17"), "Mstsc.exe")
        );
        assert_eq!(r.marks.len(), 1, "{:?}", r.marks);
        let r = row(
            &cols,
            "2/2/2001   02:34p    5.1.2195.0    145,168   Channel.dll (56-bit)",
            1,
        )
        .unwrap();
        assert_eq!(r.bits, Some(56));
        let cols = header("Date         Time   Version         Size       File");
        let r = row(
            &cols,
            "29-Jan-2001  11:39                    156,496  Ntldr",
            1,
        )
        .unwrap();
        assert_eq!((r.version, r.file.as_str()), (None, "Ntldr"));
    }

    #[test]
    fn a_row_that_fits_no_way_says_which_cell() {
        let cols = header("Date        Time    Size    File          Platform");
        assert_eq!(
            row(&cols, "11/03/200  11:22a  1,024  Foo.dll  x86", 3).unwrap_err(),
            "cannot read \"11/03/200\" as a date (column 1)"
        );
        assert_eq!(
            row(&cols, "01/26/2000  03:15p  Schannel.dll", 3).unwrap_err(),
            "a table row with 3 columns under a 5-column header"
        );
    }

    #[test]
    fn boxed_cells_not_read_are_marked() {
        let cols = header("| File        | Date         | Size          | Version   |");
        let r = row(
            &cols,
            "| Tapisrv.exe | May 01, 1997 | 120,592 bytes | TAPI 2.0 (from Windows NT 4.0 Service Pack 3) |",
            7,
        )
        .unwrap();
        assert_eq!((r.size, r.version.as_deref()), (Some(120_592), None));
        assert!(r.marks[0].contains("TAPI 2.0"), "{:?}", r.marks);
    }
}
