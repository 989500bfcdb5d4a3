//! The articles an article refers to, with their titles where the text gives them: the
//! archive's lists (`   Q299444 Post-Windows NT 4.0 …`, `Q128453: …`, `Q223492 - …`,
//! `Q178723 "…"`), its `ARTICLE-ID: Q155197` / `TITLE : …` pairs, the web page's
//! `311401 (http://…/kb/311401/) Title`, and every `Qnnnnnn` named in a sentence.

use super::article::{Article, Layout};
use super::text::indent_of;

/// `Qnnnnnn` at the start of `text`: its digits and what follows.
fn q_number(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('Q')?;
    let d: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[d.len()..];
    let ends = !after.starts_with(|c: char| c.is_ascii_alphanumeric());
    (d.len() >= 5 && d.len() <= 7 && ends).then_some((d, after))
}

/// A title as the list gives it: `: Title`, `- Title`, `"Title"` (`""` for a quote inside).
fn title_of(text: &str) -> String {
    let t = text.trim().trim_start_matches([':', '-']).trim();
    let t = match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => t.to_owned(),
    };
    t.trim().to_owned()
}

fn blank(line: Option<&&str>) -> bool {
    line.is_none_or(|l| l.trim().is_empty())
}

/// Related articles, in the order the text first names them, without the article itself.
pub(super) fn related(article: &Article, own: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    // Where each number is in `out`: an article may name thousands (a list of fixes).
    let mut at = std::collections::HashMap::new();
    let mut add = |d: String, title: Option<String>| match at.get(&d) {
        Some(&k) => {
            let e: &mut (String, Option<String>) = &mut out[k];
            if e.1.is_none() {
                e.1 = title;
            }
        }
        None => {
            at.insert(d.clone(), out.len());
            out.push((d, title));
        }
    };
    let all: Vec<&str> = article
        .preamble
        .iter()
        .chain(article.sections.iter().flat_map(|s| s.lines.iter()))
        .map(|(_, l)| *l)
        .collect();
    let mut k = 0;
    while k < all.len() {
        let l = all[k];
        let t = l.trim();
        k += 1;
        // ARTICLE-ID: Q155197 / TITLE : Unattended Setup Parameters …
        if let Some(id) = t.strip_prefix("ARTICLE-ID:") {
            let Some((d, _)) = q_number(id.trim()) else {
                continue;
            };
            let mut title = None;
            if let Some(rest) = all
                .get(k)
                .map(|n| n.trim())
                .and_then(|n| n.strip_prefix("TITLE"))
                .filter(|r| r.trim_start().starts_with(':'))
            {
                let mut text = title_of(rest);
                k += 1;
                // A long title goes on over the next lines, up to a blank one or a field.
                while let Some(next) = all.get(k).map(|n| n.trim()) {
                    if next.is_empty() || next.starts_with("ARTICLE-ID") || next.contains(" : ") {
                        break;
                    }
                    text.push(' ');
                    text.push_str(next);
                    k += 1;
                }
                title = (!text.is_empty()).then_some(text);
            }
            add(d, title);
            continue;
        }
        // "Q256986 Description of …" (indented, or a list of its own at the margin), or
        // "311401 (http://…/kb/311401/) Windows 2000 …".
        let listed = if let Some((d, rest)) = q_number(t) {
            let in_list = indent_of(l) >= 2
                || blank(k.checked_sub(2).and_then(|p| all.get(p)))
                || rest.starts_with(':')
                || k >= 2 && q_number(all[k - 2].trim()).is_some();
            in_list.then(|| (d, title_of(rest)))
        } else {
            let d: String = t.chars().take_while(char::is_ascii_digit).collect();
            let rest = t[d.len()..].trim_start();
            (d.len() >= 5 && rest.starts_with("(http")).then(|| {
                let title = rest.split_once(')').map_or("", |x| x.1).trim().to_owned();
                (d.clone(), title)
            })
        };
        if let Some((d, mut title)) = listed {
            // An archive title may go on over the next, equally indented line.
            if let Some(next) = all.get(k) {
                let nt = next.trim();
                if !title.is_empty()
                    && article.layout == Layout::Archive
                    && indent_of(next) == indent_of(l)
                    && indent_of(l) >= 2
                    && !nt.is_empty()
                    && q_number(nt).is_none()
                    && !nt.starts_with("http")
                {
                    title.push(' ');
                    title.push_str(nt);
                }
            }
            add(d, (!title.is_empty()).then_some(title));
            continue;
        }
        for (i, _) in l.match_indices('Q') {
            let before = l[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            if let Some((d, _)) = q_number(&l[i..]) {
                add(d, None);
            }
        }
    }
    out.retain(|(d, _)| d != own);
    out
}

#[cfg(test)]
mod tests {
    use super::super::article;

    fn related(body: &str) -> Vec<(String, Option<String>)> {
        let text = format!(
            "DOCUMENT:Q900002  03-JUN-2002  [winnt]\nTITLE   :T\n\n====\n\nMORE INFORMATION\n================\n\n{body}"
        );
        let a = article::read(&text);
        super::related(&a, "900002")
    }

    #[test]
    fn every_list_form() {
        let got = related(
            "ARTICLE-ID: Q155197\nTITLE : Unattended Setup Parameters for Unattend.txt File\n\n\
             ARTICLE-ID: Q177267\nTITLE : Unattended Setup Disables EnableDHCPFlag on\n   Second Adapter\n\n\
             Q128453: Windows NT 3.51 Hangs Running Exchange\n\
             Q131343:  \"Invalid Page Fault\" Running Office 95 Help Wizard\n\n\
             \x20  Q223492 - Registry Size Increases\n\
             \x20  Q178723 \"Problems with \"\"Run Only Allowed Windows Application\"\"\"\n\n\
             See Q900002 and Q123456 for more, as in\nQ654321 which the sentence names.\n",
        );
        let titles: Vec<(&str, Option<&str>)> = got
            .iter()
            .map(|(d, t)| (d.as_str(), t.as_deref()))
            .collect();
        assert_eq!(
            titles,
            [
                (
                    "155197",
                    Some("Unattended Setup Parameters for Unattend.txt File")
                ),
                (
                    "177267",
                    Some("Unattended Setup Disables EnableDHCPFlag on Second Adapter")
                ),
                ("128453", Some("Windows NT 3.51 Hangs Running Exchange")),
                (
                    "131343",
                    Some("\"Invalid Page Fault\" Running Office 95 Help Wizard")
                ),
                ("223492", Some("Registry Size Increases")),
                (
                    "178723",
                    Some("Problems with \"Run Only Allowed Windows Application\"")
                ),
                ("123456", None),
                ("654321", None),
            ]
        );
    }
}
