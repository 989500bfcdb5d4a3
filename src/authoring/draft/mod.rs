//! `kbdiag new KBnnnnnn --from FILE`: a rule drafted from the article's own text. Everything the
//! text gives is filled in (title, products, symptoms, cause, resolution and its file table,
//! prerequisite, status, related articles); each condition is left as a `TODO` quoting the
//! sentence it must decide, which `kbdiag check` warns of until it is written.
//!
//! `article` reads the two layouts into sections, `text` their paragraphs, sentences, events
//! and references, `table` the file tables, `write` the YAML.

mod article;
mod cell;
mod related;
mod row;
mod table;
mod text;
mod write;

use table::Table;
use text::{events, first_sentence, paragraphs, prerequisite, quote, sentences, slug, texts};
use write::{Yaml, file_row};

/// The most symptoms of each kind (sentences, event blocks) a draft lists.
const MAX_SYMPTOMS: usize = 100;

/// A drafted rule, and what the article held that the draft could not read.
pub struct Draft {
    pub rule: String,
    /// `file:line: message`, for standard error.
    pub notes: Vec<String>,
    /// Tables and rows read, and rows marked for a reader to confirm.
    pub tables: usize,
    pub rows: usize,
    pub marked: usize,
}

/// The draft of rule `id` from `text`, an article read from `name`; `schemas` is the path from
/// the rule's folder to `schemas/`.
pub fn draft(id: &str, name: &str, text: &str, schemas: &str) -> Draft {
    let article = article::read(text);
    let mut notes = Vec::new();
    let number = article.number.clone().unwrap_or_default();
    if article.number.is_none() {
        notes.push(format!(
            "{name}: no article number found (DOCUMENT: or Article ID:)"
        ));
    } else if !id.ends_with(&number) {
        notes.push(format!(
            "{name}: the article is Q{number}, and the rule is named {id}"
        ));
    }
    if article.sections.is_empty() {
        notes.push(format!(
            "{name}: no section heading found: only the header (id, title, date, products) is drafted"
        ));
    }

    // Tables, events and paragraphs of each section.
    let mut tables: Vec<Table> = Vec::new();
    let mut section_paras = Vec::new();
    let mut symptom_events = Vec::new();
    for s in &article.sections {
        let (t, used) = table::find(name, &s.lines, &mut notes);
        let mut used: std::collections::HashSet<usize> = used.into_iter().collect();
        if s.name.starts_with("SYMPTOM") || s.name == "MORE INFORMATION" {
            let (e, u) = events(article.layout, &s.lines);
            if s.name.starts_with("SYMPTOM") {
                symptom_events = e;
                used.extend(u);
            }
        }
        tables.extend(t);
        section_paras.push((s.name.clone(), paragraphs(article.layout, &s.lines, &used)));
    }
    let paras = |prefix: &str| -> Vec<(String, bool)> {
        section_paras
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .flat_map(|(_, p)| texts(p))
            .collect()
    };
    let all_texts: Vec<String> = section_paras
        .iter()
        .flat_map(|(_, p)| p.iter().map(|p| p.text.clone()))
        .collect();

    let mut y = Yaml::default();
    y.line(
        0,
        &format!("# yaml-language-server: $schema={schemas}/rule.schema.json"),
    );
    y.comment(
        0,
        &format!(
            "{id} as a kbdiag rule, drafted by `kbdiag new --from {name}` from the article's text. \
             Each TODO is left for its author: a condition to write, quoting the sentence it must \
             decide. Fields: docs/rules.md; a worked example: kb/KB322051.yaml."
        ),
    );
    y.line(0, &format!("id: {id}"));
    if number.is_empty() {
        y.line(0, "aliases: []");
    } else {
        y.line(0, &format!("aliases: [Q{number}]"));
    }
    match &article.title {
        Some(t) => y.text(0, "title", t),
        None => y.line(0, "title: TODO the article's title (none found)"),
    }
    match (&article.revision, &article.date) {
        (Some(r), _) => y.line(
            0,
            &format!("revision: {}", serde_json::to_string(r).unwrap_or_default()),
        ),
        (None, Some(d)) => y.line(0, &format!("revision: \"{d}\"")),
        _ => {}
    }
    if let Some(d) = article.last_reviewed.as_ref().or(article.date.as_ref()) {
        y.line(0, &format!("last_reviewed: {d}"));
    }
    y.blank();

    // Applies to.
    y.line(0, "applies_to:");
    if article.products.is_empty() {
        y.line(2, "products: []");
    } else {
        y.line(2, "products:");
        for p in &article.products {
            y.item(4, p);
        }
    }
    y.line(2, "when:");
    y.comment(
        4,
        &format!(
            "TODO the hosts the article is about; it must decide: {}",
            quote(
                &article
                    .products
                    .first()
                    .map(|p| format!("The information in this article applies to: {p}"))
                    .unwrap_or_else(|| "the article names no product".into())
            )
        ),
    );
    y.line(4, "label: the host is one the article is about");
    y.line(4, "expr: unknown(\"the article's products\")");
    y.blank();

    // Symptoms.
    // One symptom a sentence, with the line of its paragraph.
    let mut symptom_sentences: Vec<(usize, String)> = section_paras
        .iter()
        .filter(|(n, _)| n.starts_with("SYMPTOM"))
        .flat_map(|(_, ps)| ps.iter().filter(|p| !p.heading))
        .flat_map(|p| sentences(&p.text).into_iter().map(|s| (p.line, s)))
        .collect();
    // An article has a few symptoms: past MAX_SYMPTOMS of either kind, the text is no list of
    // symptoms, and the draft says so rather than grow without bound.
    if symptom_events.len() > MAX_SYMPTOMS {
        notes.push(format!(
            "{name}: {} event blocks under SYMPTOMS; the first {MAX_SYMPTOMS} are drafted",
            symptom_events.len()
        ));
        symptom_events.truncate(MAX_SYMPTOMS);
    }
    // The sentence that introduces an event ("the following error may also be logged:") goes
    // with it: the last one before it that ends in a colon.
    let mut intros = std::collections::HashSet::new();
    for e in &mut symptom_events {
        let at = symptom_sentences
            .iter()
            .rposition(|(line, s)| *line < e.line && s.ends_with(':'));
        if let Some(at) = at {
            e.intro = Some(symptom_sentences[at].1.clone());
            intros.insert(at);
        }
    }
    let mut k = 0;
    symptom_sentences.retain(|_| {
        k += 1;
        !intros.contains(&(k - 1))
    });
    if symptom_sentences.len() > MAX_SYMPTOMS {
        notes.push(format!(
            "{name}: {} sentences under SYMPTOMS; the first {MAX_SYMPTOMS} are drafted as symptoms",
            symptom_sentences.len()
        ));
        symptom_sentences.truncate(MAX_SYMPTOMS);
    }
    let sentences_of_symptoms: Vec<String> =
        symptom_sentences.into_iter().map(|(_, s)| s).collect();
    // Ids made unique with a number: the next one to try for each base.
    let mut ids = std::collections::HashSet::new();
    let mut next = std::collections::HashMap::new();
    let mut unique = |base: String| {
        let mut id = base.clone();
        let k = next.entry(base.clone()).or_insert(2);
        while ids.contains(&id) {
            id = format!("{base}-{k}");
            *k += 1;
        }
        ids.insert(id.clone());
        id
    };
    if sentences_of_symptoms.is_empty() && symptom_events.is_empty() {
        y.line(0, "symptoms: []");
        notes.push(format!("{name}: no SYMPTOMS section read"));
    } else {
        y.line(0, "symptoms:");
    }
    for s in &sentences_of_symptoms {
        let id = unique(slug(
            &s.split_whitespace().take(6).collect::<Vec<_>>().join(" "),
        ));
        y.line(2, &format!("- id: {}", write::scalar(&id)));
        y.text(4, "text", s);
        y.comment(
            4,
            "TODO how facts show it (when:), or what to ask a person (ask:)",
        );
    }
    for e in &symptom_events {
        let id = unique(format!("event-{}-{}", e.id, slug(&e.source)));
        let detail: Vec<String> = e
            .fields
            .iter()
            .filter(|(k, _)| k != "description")
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let description = e
            .fields
            .iter()
            .find(|(k, _)| k == "description")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let mut text = format!("Event {}: {}", detail.join(", "), description);
        if let Some(i) = &e.intro {
            text = format!("{i} {text}");
        }
        y.line(2, &format!("- id: {}", write::scalar(&id)));
        y.text(4, "text", &text);
        y.comment(
            4,
            "TODO match the details that tie the event to this article (log, type, category, the error code in the message)",
        );
        let source = serde_json::to_string(&e.source).unwrap_or_default();
        y.condition(4, "when", &format!("event({source}, {})", e.id));
    }
    y.blank();

    // Cause.
    let cause = paras("CAUSE");
    let cause_text = cause
        .iter()
        .map(|(p, _)| p.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    y.line(0, "cause:");
    if cause_text.is_empty() {
        y.line(2, "text: TODO the article's cause (no CAUSE section)");
    } else {
        y.text(2, "text", &cause_text);
    }
    y.line(2, "when:");
    y.comment(
        4,
        &format!(
            "TODO the condition that the cause holds; it must decide: {}",
            quote(&if cause.is_empty() {
                "the article gives no cause".into()
            } else {
                first_sentence(&cause)
            })
        ),
    );
    y.line(4, "label: the cause holds");
    y.line(4, "expr: unknown(\"the cause\")");
    y.blank();

    // Prerequisite.
    let resolution = paras("RESOLUTION");
    let res_texts: Vec<String> = resolution.iter().map(|(p, _)| p.clone()).collect();
    let prereq = prerequisite(&res_texts).or_else(|| prerequisite(&all_texts));
    match &prereq {
        None => y.line(0, "prerequisites: []"),
        Some((sentence, what)) => {
            let pid = what
                .rsplit_once("Service Pack ")
                .map(|(_, sp)| format!("sp{}", slug(sp)))
                .unwrap_or_else(|| slug(what));
            y.line(0, "prerequisites:");
            y.line(2, &format!("- id: {}", write::scalar(&pid)));
            y.text(4, "text", what);
            y.text(4, "install", &format!("Install {what}."));
            y.line(4, "when:");
            y.comment(
                6,
                &format!(
                    "TODO the condition that it is installed; it must decide: {}",
                    quote(sentence)
                ),
            );
            y.line(
                6,
                &format!("label: {}", write::scalar(&format!("{what} is installed"))),
            );
            y.condition(
                6,
                "expr",
                &format!(
                    "unknown({})",
                    serde_json::to_string(&format!("whether {what} is installed"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    y.blank();

    // Resolution.
    let is_prereq = |p: &str| prereq.as_ref().is_some_and(|(s, _)| p.contains(s.as_str()));
    let is_table_intro = |p: &str| {
        let l = p.to_ascii_lowercase();
        l.contains("file attributes") || l.contains("following files")
    };
    let mut summary = None;
    let mut obtain = None;
    let mut note = None;
    let mut url = None;
    let mut steps = Vec::new();
    let mut files_intro = Vec::new();
    for (p, step) in &resolution {
        let lower = p.to_ascii_lowercase();
        if url.is_none() {
            url = p
                .split_whitespace()
                .find(|w| w.starts_with("http"))
                .map(str::to_owned);
        }
        let reference = p
            .strip_prefix('Q')
            .is_some_and(|r| r.chars().take_while(char::is_ascii_digit).count() >= 5);
        if is_table_intro(p) {
            if !files_intro.contains(p) {
                files_intro.push(p.clone());
            }
        } else if reference {
        } else if *step {
            steps.push(p.clone());
        } else if p.starts_with("http") || is_prereq(p) {
        } else if summary.is_none() && !p.starts_with(|c: char| c.is_ascii_digit() || c == 'Q') {
            summary = Some(p.clone());
        } else if obtain.is_none()
            && (lower.starts_with("to resolve") || lower.contains("to obtain"))
        {
            obtain = Some(p.clone());
        } else if note.is_none() && lower.contains("in special cases") {
            note = Some(
                p.trim_start_matches("NOTE:")
                    .trim_start_matches("Note")
                    .trim()
                    .to_owned(),
            );
        } else {
            steps.push(p.clone());
        }
    }
    y.line(0, "resolution:");
    y.line(2, "kind: hotfix");
    match &summary {
        Some(s) => y.text(2, "summary", s),
        None => y.line(2, "summary: TODO what the fix is (no RESOLUTION text read)"),
    }
    if let Some(o) = &obtain {
        y.text(2, "obtain", o);
    }
    if let Some(u) = &url {
        y.text(2, "url", u.trim_end_matches(['.', ',', ')']));
    }
    if let Some(n) = &note {
        y.text(2, "note", n);
    }
    if !steps.is_empty() {
        y.line(2, "steps:");
        for s in &steps {
            y.item(4, s);
        }
    }
    let rows: Vec<&table::Row> = tables.iter().flat_map(|t| &t.rows).collect();
    let marked = tables
        .iter()
        .map(|t| {
            t.rows
                .iter()
                .filter(|r| t.marked || !r.marks.is_empty())
                .count()
        })
        .sum();
    if rows.is_empty() {
        y.line(2, "files: []");
    } else {
        // A row without a date is no rule's row: it is written as a comment.
        let dated = rows.iter().any(|r| r.date.is_some());
        y.line(2, if dated { "files:" } else { "files: []" });
        let with_rows = tables.iter().filter(|t| !t.rows.is_empty()).count();
        for t in tables.iter().filter(|t| !t.rows.is_empty()) {
            if with_rows > 1 || t.under {
                y.comment(4, &t.place);
            }
            for c in &t.comments {
                y.comment(4, c);
            }
            for r in &t.rows {
                for m in &r.marks {
                    y.comment(4, m);
                }
                match r.date {
                    Some(_) => y.line(4, &file_row(r)),
                    None => y.comment(4, &file_row(r)),
                }
            }
        }
        let utc = all_texts
            .iter()
            .any(|t| t.contains("Coordinated Universal Time") || t.contains("(UTC)"));
        if !utc {
            y.line(2, "files_utc: false");
        }
        let mut note = files_intro.join(" ");
        if note.ends_with(':') {
            note.pop();
            note.push('.');
        }
        let kb: Vec<String> = rows
            .iter()
            .filter_map(|r| r.size_text.as_ref().map(|s| format!("{} {s}", r.file)))
            .collect();
        if !kb.is_empty() {
            note.push_str(&format!(
                " The table gives no exact size for {} (so the row has none).",
                kb.join(", ")
            ));
        }
        if !utc {
            note.push_str(" The article does not say whether the table's times are UTC.");
        }
        y.text(2, "files_note", note.trim());
    }
    y.blank();
    if !rows.is_empty() {
        let intro = files_intro
            .first()
            .and_then(|p| sentences(p).into_iter().next())
            .unwrap_or_else(|| "the article's file table".into());
        y.comment(
            0,
            &format!(
                "TODO whether the file on disk decides (fixed_file for each file of the table) or the hotfix list (fix_installed()); it must decide: {}",
                quote(&intro)
            ),
        );
        y.line(0, "fixed:");
        y.line(2, "label: the host has the article's fix");
        y.line(2, "expr: fix_installed()");
        y.blank();
    }

    // Workaround.
    let workaround = paras("WORKAROUND");
    if !workaround.is_empty() {
        y.line(0, "workaround:");
        let warning = |p: &str| {
            ["WARNING", "NOTE", "IMPORTANT", "CAUTION"]
                .iter()
                .any(|w| p.starts_with(w))
        };
        let numbered = workaround.iter().any(|(_, s)| *s);
        let (steps, text): (Vec<_>, Vec<_>) = workaround
            .iter()
            .partition(|(p, s)| if numbered { *s } else { !warning(p) });
        let first = steps
            .first()
            .copied()
            .or(workaround.first())
            .map(|(p, _)| p.clone());
        let first = sentences(&first.unwrap_or_default()).into_iter().next();
        y.text(
            2,
            "when",
            &format!(
                "TODO for which hosts: {}",
                quote(&first.unwrap_or_default())
            ),
        );
        if !text.is_empty() {
            let text: Vec<&str> = text.iter().map(|(p, _)| p.as_str()).collect();
            y.text(2, "text", &text.join(" "));
        }
        // Only warnings, or a workaround cut short: no step, which the rule still lists.
        y.line(
            2,
            if steps.is_empty() {
                "steps: []"
            } else {
                "steps:"
            },
        );
        for (s, _) in steps {
            y.item(4, s);
        }
        y.blank();
    }

    // Status.
    let status = paras("STATUS");
    if !status.is_empty() {
        y.text(
            0,
            "status",
            &status
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        y.blank();
    }

    // Related articles.
    let related = related::related(&article, &number);
    if related.is_empty() {
        y.line(0, "related: []");
    } else {
        y.line(0, "related:");
        for (d, title) in &related {
            y.line(2, &format!("- id: KB{d}"));
            match title {
                Some(t) => y.text(4, "title", t),
                None => y.line(
                    4,
                    &format!("title: TODO the title of Q{d} (the text gives none)"),
                ),
            }
        }
    }
    Draft {
        rule: y.out,
        notes,
        tables: tables.len(),
        rows: rows.len(),
        marked,
    }
}
