//! An article's text read into its header and sections, in either layout: the archive's plain
//! text (`DOCUMENT:`/`TITLE`/… header, headings underlined with `====`) or the web page's (title,
//! `Article ID:`, `Last Review:`, `Revision:`, each section ending in "Back to the top").

/// One section: its heading (upper case) and its lines, numbered as in the article.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    pub name: String,
    pub lines: Vec<(usize, &'a str)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Archive,
    Web,
}

#[derive(Debug, Clone)]
pub struct Article<'a> {
    pub layout: Layout,
    /// The article's number, without `Q` or `KB`.
    pub number: Option<String>,
    pub title: Option<String>,
    /// The archive's DOCUMENT date, as ISO.
    pub date: Option<String>,
    pub revision: Option<String>,
    pub last_reviewed: Option<String>,
    pub products: Vec<String>,
    /// The lines before the first section (the archive's notes under the products).
    pub preamble: Vec<(usize, &'a str)>,
    pub sections: Vec<Section<'a>>,
}

impl<'a> Article<'a> {
    /// An article of `layout` with nothing read yet.
    fn empty(layout: Layout) -> Article<'a> {
        Article {
            layout,
            number: None,
            title: None,
            date: None,
            revision: None,
            last_reviewed: None,
            products: Vec::new(),
            preamble: Vec::new(),
            sections: Vec::new(),
        }
    }

    pub fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }
}

pub fn read(text: &str) -> Article<'_> {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    if lines
        .iter()
        .take(5)
        .any(|(_, l)| l.starts_with("DOCUMENT:"))
    {
        archive(&lines)
    } else {
        web(&lines)
    }
}

fn digits(text: &str) -> Option<String> {
    let d: String = text
        .trim()
        .trim_start_matches(['Q', 'q', 'K', 'B'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!d.is_empty()).then_some(d)
}

/// `11-JUN-2002` as `2002-06-11`.
fn document_date(text: &str) -> Option<String> {
    super::cell::date(&[text]).map(|(d, _)| d)
}

fn is_underline(line: &str, ch: char, heading: &str) -> bool {
    let t = line.trim();
    let h = heading.trim();
    t.len() >= 3
        && t.chars().all(|c| c == ch)
        && !h.is_empty()
        && t.len() + 2 >= h.len()
        && t.len() <= h.len() + 2
}

fn archive<'a>(lines: &[(usize, &'a str)]) -> Article<'a> {
    let mut a = Article::empty(Layout::Archive);
    let mut i = 0;
    // The header, up to the first line of `=`.
    while i < lines.len() {
        let l = lines[i].1;
        if let Some(rest) = l.strip_prefix("DOCUMENT:") {
            let mut words = rest.split_whitespace();
            a.number = words.next().and_then(digits);
            a.date = words.next().and_then(document_date);
        } else if let Some(rest) = l.strip_prefix("TITLE") {
            let mut title = rest.trim_start().trim_start_matches(':').trim().to_owned();
            // A long title goes on over lines that name no header field.
            while let Some((_, next)) = lines.get(i + 1) {
                let field = ["PRODUCT", "PROD/VER", "OPER/SYS", "KEYWORDS", "====="]
                    .iter()
                    .any(|f| next.starts_with(f));
                if field || next.trim().is_empty() {
                    break;
                }
                title.push(' ');
                title.push_str(next.trim());
                i += 1;
            }
            a.title = Some(title);
        } else if l.starts_with("=====") {
            i += 1;
            break;
        }
        i += 1;
    }
    // The products, between lines of dashes after "applies to".
    let mut body_start = i;
    if let Some(k) = (i..lines.len().min(i + 12))
        .find(|&k| lines[k].1.to_ascii_lowercase().contains("applies to"))
    {
        let mut k = k + 1;
        while k < lines.len() && !lines[k].1.trim_start().starts_with("---") {
            let t = lines[k].1.trim();
            if let Some(p) = t.strip_prefix("- ") {
                a.products.push(p.trim().to_owned());
            } else if !t.is_empty() {
                if let Some(last) = a.products.last_mut() {
                    last.push(' ');
                    last.push_str(t);
                }
            }
            k += 1;
        }
        body_start = k + 1;
    }
    // Sections: a heading underlined with `=`; the footer is a long line of `=`.
    let mut k = body_start;
    let mut current: Option<Section<'a>> = None;
    while k < lines.len() {
        let (n, l) = lines[k];
        let next = lines.get(k + 1).map(|x| x.1).unwrap_or("");
        if l.starts_with("=====") || l.starts_with("Additional query words") {
            break;
        }
        if !l.trim().is_empty() && !l.starts_with(' ') && is_underline(next, '=', l) {
            a.sections.extend(current.take());
            current = Some(Section {
                name: l.trim().to_ascii_uppercase(),
                lines: Vec::new(),
            });
            k += 2;
            continue;
        }
        match current.as_mut() {
            Some(s) => s.lines.push((n, l)),
            None => a.preamble.push((n, l)),
        }
        k += 1;
    }
    a.sections.extend(current);
    a
}

/// A web heading: a line of capitals (`SYMPTOMS`, `MORE INFORMATION`, `APPLIES TO`).
fn is_web_heading(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 4
        && t.len() <= 40
        && t == line
        && t.chars().all(|c| c.is_ascii_uppercase() || c == ' ')
}

fn web<'a>(lines: &[(usize, &'a str)]) -> Article<'a> {
    let mut a = Article::empty(Layout::Web);
    let mut current: Option<Section<'a>> = None;
    for &(n, l) in lines {
        let t = l.trim();
        if let Some(v) = t.strip_prefix("Article ID:") {
            a.number = digits(v);
        } else if let Some(v) = t.strip_prefix("Last Review:") {
            a.last_reviewed = Some(long_date(v.trim()).unwrap_or_else(|| v.trim().to_owned()));
        } else if let Some(v) = t.strip_prefix("Revision:") {
            a.revision = Some(v.trim().to_owned());
        } else if t == "Back to the top" {
            a.sections.extend(current.take());
        } else if is_web_heading(l) {
            a.sections.extend(current.take());
            current = Some(Section {
                name: t.to_owned(),
                lines: Vec::new(),
            });
        } else if let Some(s) = current.as_mut() {
            s.lines.push((n, l));
        } else if a.title.is_none() && !t.is_empty() && t != "Help and Support" {
            a.title = Some(t.to_owned());
        } else if a.sections.is_empty() {
            a.preamble.push((n, l));
        }
        if t.starts_with("Keywords:") {
            break;
        }
    }
    a.sections.extend(current);
    if let Some(s) = a.section("APPLIES TO") {
        a.products = s
            .lines
            .iter()
            .map(|(_, l)| l.trim().trim_start_matches("• ").to_owned())
            .filter(|l| !l.is_empty())
            .collect();
    }
    a
}

/// `April 25, 2007` as `2007-04-25`.
fn long_date(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let (m, d, y) = (words.next()?, words.next()?, words.next()?);
    let d = d.trim_end_matches(',');
    let m: String = m.chars().take(3).collect();
    super::cell::date(&[&format!("{d}-{m}-{y}")]).map(|(d, _)| d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_dates() {
        assert_eq!(
            super::long_date("April 25, 2007").as_deref(),
            Some("2007-04-25")
        );
    }
}
