//! An article's sections as text: paragraphs (numbered steps and sub-headings told apart),
//! sentences, event blocks and the prerequisite sentence.

use super::article::Layout;
use super::write::clean;

/// One paragraph of a section.
#[derive(Debug, Clone)]
pub(super) struct Para {
    /// The article's line it begins on.
    pub(super) line: usize,
    pub(super) text: String,
    /// A numbered step (`1.Extract…`, `2. Rename…`), its number taken off.
    pub(super) step: bool,
    /// A sub-heading (`Windows NT 4.0` underlined with `---`, or a short web line).
    pub(super) heading: bool,
}

/// An event block: `Event Source:`, `Event ID:`, … lines.
#[derive(Debug, Clone, Default)]
pub(super) struct Event {
    pub(super) source: String,
    pub(super) id: u32,
    pub(super) fields: Vec<(String, String)>,
    pub(super) intro: Option<String>,
    /// The article's line of its first field.
    pub(super) line: usize,
}

pub(super) fn numbered(text: &str) -> Option<&str> {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let rest = &text[digits..];
    let rest = rest.strip_prefix('.').or(rest.strip_prefix(')'))?;
    let rest = rest.trim_start();
    rest.starts_with(|c: char| c.is_alphabetic())
        .then_some(rest)
}

pub(super) fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The paragraphs of `lines`, without the lines in `skip`.
pub(super) fn paragraphs(
    layout: Layout,
    lines: &[(usize, &str)],
    skip: &std::collections::HashSet<usize>,
) -> Vec<Para> {
    let mut out: Vec<Para> = Vec::new();
    let mut cur: Option<(Para, usize)> = None;
    let flush = |cur: &mut Option<(Para, usize)>, out: &mut Vec<Para>| {
        if let Some((p, _)) = cur.take() {
            if !p.text.is_empty() {
                out.push(p);
            }
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let (n, l) = lines[i];
        i += 1;
        if skip.contains(&n) || l.trim().is_empty() {
            flush(&mut cur, &mut out);
            continue;
        }
        let t = l.trim();
        let next = lines.get(i).map(|x| x.1.trim()).unwrap_or("");
        if next.len() >= 3 && next.chars().all(|c| c == '-') && next.len() + 3 >= t.len() {
            flush(&mut cur, &mut out);
            out.push(Para {
                line: n,
                text: t.to_owned(),
                step: false,
                heading: true,
            });
            i += 1;
            continue;
        }
        let indent = indent_of(l);
        let step = numbered(t);
        let bullet = t.starts_with("- ") || t.starts_with("• ");
        let new = layout == Layout::Web
            || step.is_some()
            || bullet
            || cur
                .as_ref()
                .is_some_and(|(_, ind)| (indent >= 3) != (*ind >= 3));
        if new {
            flush(&mut cur, &mut out);
        }
        match cur.as_mut() {
            Some((p, _)) => {
                p.text.push(' ');
                p.text.push_str(t);
            }
            None => {
                let text = step
                    .unwrap_or(t)
                    .trim_start_matches("- ")
                    .trim_start_matches("• ");
                let heading = layout == Layout::Web
                    && text.len() < 40
                    && !text.ends_with(['.', ':'])
                    && text.split_whitespace().count() <= 4
                    && !text.contains(['(', '.'])
                    && step.is_none();
                cur = Some((
                    Para {
                        line: n,
                        text: text.to_owned(),
                        step: step.is_some(),
                        heading,
                    },
                    indent,
                ));
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Sentences of a paragraph: split after `.`, `!` or `?` before a capital.
pub(super) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '.' | '!' | '?' if depth <= 0 => {
                let after = &text[i + 1..];
                let word_before = text[start..i].rsplit(' ').next().unwrap_or("");
                let abbreviation = ["e.g", "i.e", "etc", "No", "vs", "Inc", "Corp"]
                    .contains(&word_before)
                    || word_before.len() <= 1;
                if after.starts_with(' ')
                    && after[1..].starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit())
                    && !abbreviation
                    && bytes.get(i + 2).is_some()
                {
                    out.push(text[start..=i].trim().to_owned());
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

pub(super) fn event_key(line: &str) -> Option<(String, &str)> {
    let (key, value) = line.trim().split_once(':')?;
    let key = key.trim().to_ascii_lowercase();
    let key = key.strip_prefix("event ").unwrap_or(&key);
    ["source", "id", "type", "category", "description", "log"]
        .contains(&key)
        .then(|| (key.to_owned(), value.trim()))
}

/// The event blocks of a section, and the lines they take.
/// `Error: …`: a line that begins with one capitalised word and a colon.
fn labelled(line: &str) -> bool {
    line.trim().split_once(": ").is_some_and(|(w, _)| {
        w.starts_with(|c: char| c.is_ascii_uppercase()) && w.chars().all(char::is_alphanumeric)
    })
}

pub(super) fn events(layout: Layout, lines: &[(usize, &str)]) -> (Vec<Event>, Vec<usize>) {
    let mut out = Vec::new();
    let mut used = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if event_key(lines[i].1).is_none() {
            i += 1;
            continue;
        }
        let mut e = Event::default();
        let mut taken = Vec::new();
        let mut in_description = false;
        while i < lines.len() {
            let (n, l) = lines[i];
            match event_key(l) {
                // After the description, a field starts the next block.
                Some(_) if in_description => break,
                Some((k, _)) if e.fields.iter().any(|(f, _)| *f == k) => break,
                Some((k, v)) => {
                    in_description = k == "description";
                    // Two fields on one line: `Source: MSExchangeMTA Type: Warning`.
                    let (v, second) = match ["Type:", "Category:", "Event ID:"]
                        .iter()
                        .find_map(|f| v.find(&format!(" {f}")))
                    {
                        Some(at) if k != "description" => (v[..at].trim(), event_key(&v[at..])),
                        _ => (v, None),
                    };
                    if let Some((k2, v2)) = second {
                        e.fields.push((k2, v2.to_owned()));
                    }
                    match k.as_str() {
                        "source" => e.source = v.to_owned(),
                        "id" => e.id = v.parse().unwrap_or(0),
                        _ => {}
                    }
                    e.fields.push((k, v.to_owned()));
                }
                // The archive wraps the description; the web page gives it a line each, the
                // later ones labelled (`Error: Could not bind …`).
                None if in_description
                    && match layout {
                        Layout::Archive => !l.trim().is_empty(),
                        Layout::Web => labelled(l),
                    } =>
                {
                    if let Some((_, d)) = e.fields.last_mut() {
                        d.push(' ');
                        d.push_str(l.trim());
                    }
                }
                None => break,
            }
            taken.push(n);
            i += 1;
        }
        e.line = taken.first().copied().unwrap_or_default();
        if !e.source.is_empty() && e.id > 0 {
            used.extend(taken);
            out.push(e);
        }
    }
    (out, used)
}

/// Text of paragraphs, a sub-heading put before the paragraph it heads.
pub(super) fn texts(paras: &[Para]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut heading: Option<&str> = None;
    for p in paras {
        if p.heading {
            heading = Some(&p.text);
            continue;
        }
        let text = match heading.take() {
            Some(h) => format!("{h}: {}", p.text),
            None => p.text.clone(),
        };
        out.push((text, p.step));
    }
    out
}

pub(super) fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').chars().take(40).collect::<String>()
}

pub(super) fn quote(sentence: &str) -> String {
    let s = clean(sentence);
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(157).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{s}\"")
    }
}

/// The prerequisite sentence: "this hotfix requires … Service Pack 6a", "you must have … Service
/// Pack 6a installed".
pub(super) fn prerequisite(all: &[String]) -> Option<(String, String)> {
    for s in all.iter().flat_map(|p| sentences(p)) {
        let lower = s.to_ascii_lowercase();
        let Some(at) = ["requires ", "must have "]
            .iter()
            .find_map(|k| lower.find(k).map(|i| i + k.len()))
        else {
            continue;
        };
        if !lower[at..].contains("service pack") {
            continue;
        }
        // Up to the service pack's number: "… Service Pack 6a".
        let what = &s[at..];
        let what = match what.find("Service Pack ") {
            Some(sp) => {
                let number = what[sp + 13..]
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .map_or(what.len(), |e| sp + 13 + e);
                &what[..number]
            }
            None => what,
        };
        let what = what
            .trim_end_matches('.')
            .trim_end_matches(" installed")
            .trim();
        let what = what.strip_prefix("Microsoft ").unwrap_or(what);
        return Some((s.clone(), what.to_owned()));
    }
    None
}

pub(super) fn first_sentence(paras: &[(String, bool)]) -> String {
    paras
        .first()
        .and_then(|(p, _)| sentences(p).into_iter().next())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sentences_split_at_full_stops_before_capitals() {
        assert_eq!(
            super::sentences("You may not connect. You can connect again if you remove the SRP."),
            [
                "You may not connect.",
                "You can connect again if you remove the SRP."
            ]
        );
        assert_eq!(super::sentences("See Q1 (e.g. This). Then").len(), 2);
    }
}
