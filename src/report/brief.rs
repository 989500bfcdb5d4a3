//! The reference form of JSON and NDJSON output (`--detail brief`, the default): an article's
//! static texts are written once per run, as its record (`{"article": …}`), and each host's line
//! carries only what is the host's, naming each article by its id. Within a line, each text the
//! host's facts gave (a finding, a missing fact, a match) is written once, in `texts`, and the
//! results point into it by position. `--detail full` writes the self-contained form instead
//! (`render::ndjson`). How a consumer joins the two: docs/reports.md.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde::Serialize;

use crate::evaluate::compile::CompiledRule;
use crate::evaluate::diagnosis::{
    Action, Diagnosis, Hotfix, Listed, Observed, PrerequisiteStatus, Report, Shared, Status,
};
use crate::rules::rule::{Related, Setting};

/// The identity of a set of rules: the SHA-256 of each rule's id, revision and digest, in order.
/// Every line of a brief run carries it, so lines of runs with other rules cannot be joined
/// with the wrong articles.
pub fn rules_digest(rules: &[CompiledRule]) -> String {
    let mut text = String::new();
    for r in rules {
        text.push_str(&r.rule.id);
        text.push('\0');
        text.push_str(r.rule.revision.as_ref().map_or("", |v| v.as_str()));
        text.push('\0');
        text.push_str(&r.texts.digest);
        text.push('\n');
    }
    crate::rules::kb::digest(text.as_bytes())
}

/// One article's static texts, as its record says them: what every result of it would
/// otherwise repeat.
#[derive(Serialize)]
struct Record<'a> {
    kb: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    aliases: &'a [String],
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_reviewed: Option<&'a str>,
    digest: &'a str,
    /// [`rules_digest`] of the run's rules.
    rules: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    products: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    products_note: Option<&'a str>,
    /// The summary of a host the article is not about.
    not_applicable: &'a str,
    /// `cause` or `trigger`: what the facts can show.
    shows: &'a str,
    explanation: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    symptoms: Vec<SymptomRecord<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    prerequisites: Vec<PrerequisiteRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<ResolutionRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workaround: Option<WorkaroundRecord<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alternatives: Vec<WorkaroundRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [Related],
    /// The later articles whose fix covers this one, for a host that lacks it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    covered_by: &'a [Shared],
}

#[derive(Serialize)]
struct SymptomRecord<'a> {
    id: &'a str,
    text: &'a Shared,
    /// For a symptom only a person can report: what to ask.
    #[serde(skip_serializing_if = "Option::is_none")]
    ask: Option<&'a Shared>,
}

#[derive(Serialize)]
struct PrerequisiteRecord<'a> {
    id: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    install: Option<&'a str>,
}

#[derive(Serialize)]
struct ResolutionRecord<'a> {
    /// What an affected host is told to do.
    action: Action,
    hotfix: &'a Hotfix,
    #[serde(skip_serializing_if = "Option::is_none")]
    setting: Option<&'a Setting>,
    /// For an upgrade: to what.
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
}

#[derive(Serialize)]
struct WorkaroundRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    when: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    steps: &'a [String],
    /// The workaround comes first where its condition holds (`apply-workaround`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    first: bool,
}

/// The record of `rule`; `rules` is [`rules_digest`].
fn record<'a>(rule: &'a CompiledRule, rules: &'a str) -> Record<'a> {
    let r = &rule.rule;
    let t = &rule.texts;
    let resolution = r
        .resolution
        .as_ref()
        .zip(t.hotfix.as_ref())
        .map(|(res, h)| {
            use crate::rules::rule::ResolutionKind;
            ResolutionRecord {
                action: match res.kind {
                    ResolutionKind::Hotfix => Action::InstallHotfix,
                    ResolutionKind::Update => Action::InstallUpdate,
                    ResolutionKind::Setting => Action::ChangeSetting,
                    ResolutionKind::Upgrade => Action::Upgrade,
                    ResolutionKind::None => Action::None,
                },
                hotfix: h,
                setting: res.setting.as_ref(),
                to: res.to.as_deref(),
            }
        });
    Record {
        kb: &r.id,
        aliases: &r.aliases,
        title: &r.title,
        revision: r.revision.as_ref().map(|v| v.as_str()),
        last_reviewed: r.last_reviewed.as_ref().map(|v| v.as_str()),
        digest: &t.digest,
        rules,
        products: &r.applies_to.products,
        products_note: r.applies_to.products_note.as_deref().map(str::trim),
        not_applicable: &t.not_applicable,
        shows: match r.cause.shows {
            crate::rules::rule::Shows::Trigger => "trigger",
            _ => "cause",
        },
        explanation: &t.explanation,
        symptoms: (r.symptoms.iter().zip(&t.symptoms))
            .map(|(s, (text, ask))| SymptomRecord {
                id: &s.id,
                text,
                ask: ask.as_ref(),
            })
            .collect(),
        prerequisites: (r.prerequisites.iter())
            .map(|p| PrerequisiteRecord {
                id: &p.id,
                text: p.text.trim(),
                install: p.install.as_deref().map(str::trim),
            })
            .collect(),
        resolution,
        workaround: r.workaround.as_ref().map(|w| WorkaroundRecord {
            id: None,
            when: w.when.trim(),
            text: w.text.as_deref().map(str::trim),
            steps: &w.steps,
            first: w.first.is_some(),
        }),
        alternatives: (r.alternatives.iter())
            .map(|a| WorkaroundRecord {
                id: Some(&a.id),
                when: a.when.trim(),
                text: a.text.as_deref().map(str::trim),
                steps: &a.steps,
                first: false,
            })
            .collect(),
        status: r.status.as_deref().map(str::trim),
        related: &r.related,
        covered_by: &t.covered_by,
    }
}

/// The texts of one line, each once, in the order results first use them.
#[derive(Default)]
pub(crate) struct Texts<'a> {
    pub(crate) list: Vec<&'a str>,
    at: HashMap<&'a str, u32, BuildHasherDefault<crate::engine::memo::Words>>,
}

impl<'a> Texts<'a> {
    /// Room for `n` texts: a knowledge base's line has dozens, and growing the map rehashes them.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Texts {
            list: Vec::with_capacity(n),
            at: HashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    // Inlined into `brief_writer::line` (which the code's layout decides), the line cost 3.4 k
    // instructions a host more on the kb fleet (callgrind).
    #[inline(never)]
    pub(crate) fn of(&mut self, text: &'a str) -> u32 {
        let next = self.list.len() as u32;
        *self.at.entry(text).or_insert_with(|| {
            self.list.push(text);
            next
        })
    }

    fn all(&mut self, texts: impl IntoIterator<Item = &'a String>) -> Vec<u32> {
        texts.into_iter().map(|t| self.of(t)).collect()
    }
}

/// One host's line: what is the host's, the articles named by id.
#[derive(Serialize)]
struct Line<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    collected_from: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    not_collected: &'a [String],
    /// [`rules_digest`]: which articles' records the results name.
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<&'a str>,
    /// The host's values of the `%VAR%`s the articles' texts name, to fill them in.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_map")]
    env: &'a Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    texts: Vec<&'a str>,
    /// Status → article → the evidence's positions: every article once.
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Map<&'static str, Map<&'a str, Vec<u32>>>>,
    /// Article → the rest of its result, for the articles that have more than evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Map<&'a str, Details<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a crate::input::source::Location>,
}

fn as_map<S: serde::Serializer>(env: &&Vec<(String, String)>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(env.len()))?;
    for (k, v) in env.iter() {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Pairs written as a JSON object, in their order.
struct Map<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Map<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The order statuses are written in: what needs a look first, as the text report gives them.
pub(crate) const STATUS_ORDER: [Status; 7] = Status::BY_URGENCY;

/// What a result says besides its status and evidence, the texts by position.
#[derive(Serialize)]
struct Details<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<u32>,
    /// Only for a host the article is about but not known to be a product it lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<ScopeRef>,
    /// Observed, not observed or unknown → symptom → what showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    symptoms: Option<Map<Observed, Map<&'a str, Found>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<u32>,
    /// Left out when the action is `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<RecommendationRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl Details<'_> {
    fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.scope.is_none()
            && self.symptoms.is_none()
            && self.notes.is_empty()
            && self.recommendation.is_none()
            && self.error.is_none()
    }
}

#[derive(Serialize)]
struct ScopeRef {
    listed: Listed,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<u32>,
}

/// A symptom's facts: what was looked at, or what to collect.
#[derive(Serialize)]
struct Found {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<u32>,
}

#[derive(Serialize)]
struct RecommendationRef<'a> {
    action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    collect: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    prerequisites: Vec<PrerequisiteRef<'a>>,
}

#[derive(Serialize)]
struct PrerequisiteRef<'a> {
    id: &'a str,
    status: PrerequisiteStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<u32>,
}

/// The order symptoms are written in: observed first, then those to collect facts for, then
/// those ruled out (one a person can only report is in the record, not the line).
pub(crate) const SYMPTOM_ORDER: [Observed; 3] =
    [Observed::Observed, Observed::Unknown, Observed::NotObserved];

/// Whether `e`, an item of `d`'s evidence, is an observed symptom's match (`symptom ID: …`): the
/// full form says it in both places, the brief one only under the symptom.
pub(crate) fn shown_under_symptom(d: &Diagnosis, e: &str) -> bool {
    e.strip_prefix("symptom ").is_some_and(|rest| {
        (d.symptoms.iter()).any(|s| {
            s.observed == Observed::Observed
                && rest.strip_prefix(s.id.as_str()).is_some_and(|m| {
                    m.strip_prefix(": ")
                        .is_some_and(|m| s.evidence.iter().any(|x| x == m))
                })
        })
    })
}

/// One diagnosis's evidence and details, its texts added to `texts`.
fn result<'a>(d: &'a Diagnosis, texts: &mut Texts<'a>) -> (Vec<u32>, Details<'a>) {
    let evidence = (d.evidence.iter())
        .filter(|e| !shown_under_symptom(d, e))
        .map(|e| texts.of(e))
        .collect();
    let missing = texts.all(&d.missing);
    let scope = (d.scope.as_ref())
        .filter(|s| s.listed != Listed::Listed)
        .map(|s| ScopeRef {
            listed: s.listed,
            evidence: texts.all(&s.evidence),
            missing: texts.all(&s.missing),
        });
    // Numbered as they are written: by state, then in the rule's order.
    let mut symptoms: Vec<(Observed, Map<&str, Found>)> = Vec::new();
    for state in SYMPTOM_ORDER {
        let group: Vec<(&str, Found)> = (d.symptoms.iter())
            .filter(|s| s.observed == state)
            .map(|s| {
                let found = Found {
                    evidence: texts.all(&s.evidence),
                    missing: texts.all(&s.missing),
                };
                (s.id.as_str(), found)
            })
            .collect();
        if !group.is_empty() {
            symptoms.push((state, Map(group)));
        }
    }
    let notes = texts.all(&d.notes);
    let r = &d.recommendation;
    let recommendation = (r.action != Action::None).then(|| RecommendationRef {
        action: r.action,
        collect: texts.all(&r.collect),
        prerequisites: (r.prerequisites.iter())
            .map(|p| PrerequisiteRef {
                id: &p.id,
                status: p.status,
                evidence: texts.all(&p.evidence),
                missing: texts.all(&p.missing),
            })
            .collect(),
    });
    let details = Details {
        missing,
        scope,
        symptoms: (!symptoms.is_empty()).then_some(Map(symptoms)),
        notes,
        recommendation,
        error: d.error.as_deref(),
    };
    (evidence, details)
}

/// The brief line of `report`, for a run whose rules are `rules` ([`rules_digest`]).
fn line<'a>(report: &'a Report, rules: &'a str) -> Line<'a> {
    let mut texts = Texts::default();
    let mut results = None;
    let mut details = None;
    if let Some(list) = &report.results {
        // Texts are numbered in rule order, whatever order the statuses are written in.
        let mut by_status: [Vec<(&str, Vec<u32>)>; STATUS_ORDER.len()] = Default::default();
        let mut more = Vec::new();
        for d in list {
            let (evidence, detail) = result(d, &mut texts);
            let at = STATUS_ORDER
                .iter()
                .position(|s| *s == d.status)
                .unwrap_or(0);
            by_status[at].push((&d.kb, evidence));
            if !detail.is_empty() {
                more.push((&*d.kb, detail));
            }
        }
        let groups = (STATUS_ORDER.iter().zip(by_status))
            .filter(|(_, group)| !group.is_empty())
            .map(|(status, group)| (status.as_str(), Map(group)))
            .collect();
        results = Some(Map(groups));
        details = (!more.is_empty()).then_some(Map(more));
    }
    Line {
        file: &report.file,
        line: report.line,
        host: report.host.as_deref(),
        collected_from: &report.collected_from,
        not_collected: &report.not_collected,
        rules: report.results.as_ref().map(|_| rules),
        env: &report.env,
        texts: texts.list,
        results,
        details,
        error: report.error.as_deref(),
        location: report.location.as_ref(),
    }
}

/// One NDJSON line (no newline) of the brief form.
pub fn ndjson(report: &Report, rules: &str) -> String {
    crate::report::brief_writer::line(report, rules).unwrap_or_else(|| serialized(report, rules))
}

/// [`ndjson`] through serde: the reference the direct writer (`brief_writer`) must equal.
pub fn serialized(report: &Report, rules: &str) -> String {
    crate::report::compact::to_string(&line(report, rules))
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize: {e}\"}}"))
}

/// One report of the brief form as pretty JSON, an element of `--format json`'s `reports`.
pub fn json(report: &Report, rules: &str) -> String {
    serde_json::to_string_pretty(&line(report, rules))
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize: {e}\"}}"))
}

/// The records of `rules`, one NDJSON line `{"article": {…}}` each: what a brief NDJSON run
/// writes first, and what `kbdiag list --format json` writes.
pub fn article_lines(rules: &[CompiledRule]) -> Vec<String> {
    #[derive(Serialize)]
    struct Line<'a> {
        article: Record<'a>,
    }
    let digest = rules_digest(rules);
    (rules.iter())
        .map(|r| {
            let line = Line {
                article: record(r, &digest),
            };
            crate::report::compact::to_string(&line)
                .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize: {e}\"}}"))
        })
        .collect()
}

/// The records of `rules` as a pretty JSON list: the `articles` of a brief `--format json`.
pub fn articles_json(rules: &[CompiledRule]) -> String {
    let digest = rules_digest(rules);
    let records: Vec<Record> = rules.iter().map(|r| record(r, &digest)).collect();
    serde_json::to_string_pretty(&records)
        .unwrap_or_else(|e| format!("[\"cannot serialize: {e}\"]"))
}
