//! The diagnosis model: what kbdiag says about one host and one rule. Serialized as is into the
//! JSON and NDJSON output, so field names here are the output's contract.

use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::rules::rule::FileRow;

/// A rule's static text (its title, the cause's explanation, a symptom's text): made once when
/// the rule loads, shared by every diagnosis of the rule, and JSON-escaped once. Per host it is a
/// reference count, not a copy of a few kilobytes and their escaping.
#[derive(Clone)]
pub struct Shared(Arc<(Box<str>, Option<Box<RawValue>>)>);

impl Shared {
    pub fn new(text: &str) -> Shared {
        let json = serde_json::to_string(text)
            .ok()
            .and_then(|j| RawValue::from_string(j).ok());
        Shared(Arc::new((text.into(), json)))
    }

    pub fn as_str(&self) -> &str {
        &self.0.0
    }
}

impl std::ops::Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0.0
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Shared {
    fn eq(&self, other: &Shared) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The escaped text goes out as is through the serializers of diagnoses that honour
        // serde_json's raw values (serde_json's own, and the NDJSON writer); any other
        // serializer gets the plain string.
        let name = std::any::type_name::<S>();
        match &self.0.1 {
            Some(json)
                if name.ends_with("report::compact::Writer")
                    || name.contains("serde_json::ser::Serializer") =>
            {
                json.serialize(s)
            }
            _ => s.serialize_str(self),
        }
    }
}

/// Whether an article's problem is present on a host.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The host is not a product the article applies to.
    NotApplicable,
    /// The cause holds.
    Affected,
    /// The facts rule the cause out.
    NotAffected,
    /// The cause cannot be decided for lack of facts, and a symptom is observed.
    Suspected,
    /// The article's fix is missing and the trigger it names is present, but nothing shows the
    /// problem itself: watch for the symptoms.
    Exposed,
    /// The cause cannot be decided, and no symptom is observed.
    Unknown,
    /// A condition failed to evaluate on this host.
    Error,
}

impl Status {
    /// Most urgent first, as the brief text report and the brief JSON group results.
    pub const BY_URGENCY: [Status; 7] = [
        Status::Error,
        Status::Affected,
        Status::Suspected,
        Status::Exposed,
        Status::Unknown,
        Status::NotAffected,
        Status::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotApplicable => "not_applicable",
            Status::Affected => "affected",
            Status::NotAffected => "not_affected",
            Status::Suspected => "suspected",
            Status::Exposed => "exposed",
            Status::Unknown => "unknown",
            Status::Error => "error",
        }
    }

    /// Whether this status asks a person to act (exit status 1).
    pub fn needs_attention(self) -> bool {
        matches!(self, Status::Affected | Status::Suspected)
    }
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    None,
    InstallHotfix,
    InstallUpdate,
    ChangeSetting,
    Upgrade,
    InstallPrerequisite,
    ApplyWorkaround,
    CollectFacts,
    /// Watch for the symptoms; apply the fix when they appear.
    Watch,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::InstallHotfix => "install-hotfix",
            Action::InstallUpdate => "install-update",
            Action::ChangeSetting => "change-setting",
            Action::Upgrade => "upgrade",
            Action::InstallPrerequisite => "install-prerequisite",
            Action::ApplyWorkaround => "apply-workaround",
            Action::CollectFacts => "collect-facts",
            Action::Watch => "watch",
        }
    }
}

/// Whether a symptom is seen in the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    Observed,
    NotObserved,
    /// The facts it needs are missing.
    Unknown,
    /// Only a person can report it; no fact shows it.
    ReportOnly,
}

/// One rule's verdict on one host.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub kb: Shared,
    #[serde(skip_serializing_if = "no_aliases")]
    pub aliases: Arc<[Shared]>,
    pub title: Shared,
    /// The article revision the rule was written from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Shared>,
    /// The rule file's content (`sha256:…`), to check every worker of a run used the same rules.
    pub digest: Shared,
    pub status: Status,
    /// One sentence saying why.
    pub summary: String,
    /// Facts that decided the status, and each observed symptom with what matched.
    pub evidence: Vec<String>,
    /// Facts whose absence left the status undecided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Whether the host is one of the products the article lists, when it is one the article is
    /// about and the rule says how to tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The article's explanation of the cause (not a finding: the findings are the evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Shared>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<SymptomResult>,
    /// Anything else the facts said that bears on this rule, e.g. a reported symptom it lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub recommendation: Recommendation,
    /// The article itself, for hosts that need action: revision, status, related articles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article: Option<Box<Article>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether the host lacks a fix the article gives (a hotfix or update) while its cause or
    /// trigger is present: what the summary's missing-fix view counts.
    #[serde(skip)]
    pub lacks_fix: bool,
    /// For a host that lacks the fix: the later articles whose fix covers this one (a later
    /// build of every file of its table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covered_by: Vec<Shared>,
}

fn no_aliases(aliases: &Arc<[Shared]>) -> bool {
    aliases.is_empty()
}

/// Whether a host is one of the products an article lists.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// `listed`, `not_listed` or `unknown`.
    pub listed: Listed,
    pub products: Vec<String>,
    /// What the rule says about hosts outside the products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Listed {
    Listed,
    NotListed,
    Unknown,
}

/// What the article says of itself.
#[derive(Debug, Clone, Serialize)]
pub struct Article {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<crate::rules::rule::Related>,
    /// The article's note on support charges, for a host whose recommendation does not carry the
    /// fix (a suspected host, told to collect facts first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_note: Option<Shared>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SymptomResult {
    pub id: String,
    pub text: Shared,
    pub observed: Observed,
    /// For a symptom only a person can report: what to ask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ask: Option<Shared>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// What to do about a diagnosis, with the host's own paths filled in.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub action: Action,
    pub summary: String,
    /// In order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// Facts to collect, for `collect-facts`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collect: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<PrerequisiteResult>,
    /// The article's fix, whatever its kind: summary, caveat, how to obtain and install it, its
    /// file table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hotfix: Option<Box<Hotfix>>,
    /// For `change-setting`: the value to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setting: Option<Box<crate::rules::rule::Setting>>,
    /// Another way, and for which hosts, e.g. the workaround for hosts that must stay 56-bit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Box<Alternative>>,
    /// Further alternatives, each for the hosts its `when` names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

impl Recommendation {
    pub fn none(summary: impl Into<String>) -> Recommendation {
        Recommendation {
            action: Action::None,
            summary: summary.into(),
            steps: Vec::new(),
            collect: Vec::new(),
            prerequisites: Vec::new(),
            hotfix: None,
            setting: None,
            alternative: None,
            alternatives: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    /// The rule's name for it, for an alternative beyond the workaround.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub action: Action,
    /// For which hosts.
    pub when: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hotfix {
    pub summary: Shared,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub obtain: Option<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Shared>,
    /// The resolution's own steps, after `obtain` and `install`.
    #[serde(skip_serializing_if = "<[Shared]>::is_empty")]
    pub steps: Arc<[Shared]>,
    /// Links, each with its own label.
    #[serde(skip_serializing_if = "<[crate::rules::rule::Link]>::is_empty")]
    pub links: Arc<[crate::rules::rule::Link]>,
    #[serde(skip_serializing_if = "<[FileRow]>::is_empty")]
    pub files: Arc<[FileRow]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_note: Option<Shared>,
    /// `false` when the article does not say the table's times are UTC.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub files_not_utc: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrerequisiteResult {
    pub id: String,
    pub text: String,
    /// `met`, `not_met` or `unknown`.
    pub status: PrerequisiteStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrerequisiteStatus {
    Met,
    NotMet,
    Unknown,
}

/// Everything said about one input document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    /// The line, for a document from an NDJSON stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The artifacts the facts were collected from (`path: facts`), as the fact file's
    /// `collector.artifacts` names them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collected_from: Vec<String>,
    /// Facts the collector looked for and could not read (`fact: reason`), as the fact file's
    /// `collector.not_collected` names them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_collected: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<Diagnosis>>,
    /// Why the document could not be evaluated (`file:line:column: message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::input::source::Location>,
    /// The offending line with a caret, for the text report.
    #[serde(skip)]
    pub snippet: Option<String>,
    /// The host's values of the `%VAR%`s the rules' texts name (as the texts are filled in), for
    /// the brief JSON form, whose article texts are written unfilled (`report::brief`).
    #[serde(skip)]
    pub env: Vec<(String, String)>,
}

impl Report {
    /// The report of an input that could not be evaluated.
    pub fn failed(problem: crate::problem::Problem) -> Report {
        Report {
            line: None,
            host: None,
            collected_from: Vec::new(),
            not_collected: Vec::new(),
            results: None,
            error: Some(problem.headline()),
            location: problem.location,
            snippet: problem.snippet,
            file: problem.file,
            env: Vec::new(),
        }
    }
}

#[cfg(test)]
mod shared_tests {
    use super::Shared;

    #[test]
    fn shared_text_serializes_as_the_string_it_holds_whatever_the_serializer() {
        let text = "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcödé </script>";
        let shared = Shared::new(text);
        // serde_json's writer takes the escaping made once; its Value and others the string.
        assert_eq!(
            serde_json::to_string(&shared).unwrap(),
            serde_json::to_string(text).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&vec![shared.clone()]).unwrap(),
            serde_json::to_string_pretty(&vec![text]).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&shared).unwrap(),
            serde_json::Value::String(text.into())
        );
        assert_eq!(&*shared, text);
        assert_eq!(shared.to_string(), text);
    }
}
