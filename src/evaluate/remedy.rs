//! What a host is told to do: the recommendation for an affected host (the prerequisite first if
//! it is missing, else the fix, with the workaround as the alternative), a lean run's action and
//! prerequisites alone, and what an exposed host watches for.

use crate::engine::condition::{EvalError, Truth, nouns};
use crate::engine::matching::expand_vars;
use crate::engine::script::Sandbox;
use crate::evaluate::compile::CompiledRule;
use crate::evaluate::diagnose::{filled, shown_var};
use crate::evaluate::diagnosis::Shared;
use crate::evaluate::diagnosis::{
    Action, Alternative, Hotfix, PrerequisiteResult, PrerequisiteStatus, Recommendation,
    SymptomResult,
};
use crate::evaluate::kept::Kept;
use crate::facts::Facts;
use crate::rules::rule::ResolutionKind;

/// The recommendation for an affected host: the prerequisite first if it is missing, else the
/// fix, with the workaround as the alternative.
pub(super) fn remedy(
    sb: &Sandbox,
    kept: &Kept,
    compiled: &CompiledRule,
    facts: &Facts,
    lean: bool,
) -> Result<Recommendation, EvalError> {
    let rule = &compiled.rule;
    let expand = |text: &str| expand_vars(text.trim(), |n| shown_var(facts, n)).0;
    let mut prerequisites = Vec::new();
    let slots = compiled
        .kept
        .prerequisites
        .iter()
        .copied()
        .chain(std::iter::repeat(None));
    for ((p, node), slot) in rule
        .prerequisites
        .iter()
        .zip(&compiled.prerequisites)
        .zip(slots)
    {
        let v = kept.eval(sb, slot, node)?;
        prerequisites.push(PrerequisiteResult {
            id: p.id.clone(),
            text: if lean { String::new() } else { expand(&p.text) },
            status: match v.truth {
                Truth::True => PrerequisiteStatus::Met,
                Truth::False => PrerequisiteStatus::NotMet,
                Truth::Unknown => PrerequisiteStatus::Unknown,
            },
            evidence: v.evidence.into_vec(nouns::READS),
            missing: v.missing.into_vec(nouns::MISSING),
        });
    }
    if lean {
        return lean_remedy(sb, compiled, prerequisites);
    }
    // The rule's texts, shared; only one naming a `%VAR%` is made anew for this host.
    let filled = |s: &Shared| filled(facts, s);
    // Boxed, as are the setting and the article: most diagnoses have none, and a diagnosis is
    // moved several times on its way to the writer.
    let hotfix = compiled.texts.hotfix.as_ref().map(|h| {
        Box::new(Hotfix {
            summary: filled(&h.summary),
            caveat: h.caveat.as_ref().map(filled),
            obtain: h.obtain.as_ref().map(filled),
            install: h.install.as_ref().map(filled),
            url: h.url.clone(),
            note: h.note.as_ref().map(filled),
            steps: h.steps.iter().map(filled).collect(),
            links: h.links.clone(),
            files: h.files.clone(),
            files_note: h.files_note.as_ref().map(filled),
            files_not_utc: h.files_not_utc,
        })
    });
    let alternatives: Vec<Alternative> = (rule.alternatives.iter())
        .map(|a| Alternative {
            id: Some(a.id.clone()),
            action: Action::ApplyWorkaround,
            when: a.when.trim().to_owned(),
            text: a.text.as_deref().map(expand),
            steps: a.steps.iter().map(|s| expand(s)).collect(),
        })
        .collect();
    let workaround = rule.workaround.as_ref().map(|w| Alternative {
        id: None,
        action: Action::ApplyWorkaround,
        when: w.when.trim().to_owned(),
        text: w.text.as_deref().map(expand),
        steps: w.steps.iter().map(|s| expand(s)).collect(),
    });

    let Some(fix) = hotfix.as_ref() else {
        return Ok(match workaround {
            Some(w) => Recommendation {
                action: Action::ApplyWorkaround,
                summary: w
                    .text
                    .clone()
                    .unwrap_or_else(|| "Apply the workaround.".into()),
                steps: w.steps,
                ..Recommendation::none("")
            },
            None => Recommendation::none("The article gives no resolution or workaround."),
        });
    };
    let resolution = rule.resolution.as_ref();
    let kind = resolution.map_or(ResolutionKind::Hotfix, |r| r.kind);
    let setting = resolution.and_then(|r| r.setting.clone()).map(Box::new);
    let upgrade = resolution.and_then(|r| r.to.as_deref()).map(expand);
    let action = match kind {
        ResolutionKind::Hotfix => Action::InstallHotfix,
        ResolutionKind::Update => Action::InstallUpdate,
        ResolutionKind::Setting => Action::ChangeSetting,
        ResolutionKind::Upgrade => Action::Upgrade,
        ResolutionKind::None => Action::None,
    };
    // What the fix itself takes, after any prerequisite: obtain and install it, set the value,
    // or upgrade.
    let fix_steps = || {
        let mut steps: Vec<String> = Vec::new();
        if let Some(to) = &upgrade {
            steps.push(format!("Upgrade to {to}."));
        }
        if let Some(s) = &setting {
            let kind = s
                .kind
                .as_deref()
                .map_or(String::new(), |k| format!(" ({k})"));
            let value = match (&s.value, s.values.as_slice()) {
                (Some(v), _) => v.to_string(),
                (None, values) => format!("the list [{}]", values.join("; ")),
            };
            steps.push(format!("Set {} to {value}{kind}.", s.path));
        }
        steps.extend(fix.obtain.iter().chain(&fix.install).map(|s| s.to_string()));
        steps.extend(fix.steps.iter().map(|s| s.to_string()));
        steps
    };
    let not_met: Vec<&crate::rules::rule::Prerequisite> = (rule.prerequisites.iter())
        .zip(&prerequisites)
        .filter(|(_, r)| r.status == PrerequisiteStatus::NotMet)
        .map(|(p, _)| p)
        .collect();
    if !not_met.is_empty() {
        let mut steps: Vec<String> = (not_met.iter())
            .map(|p| {
                p.install
                    .as_deref()
                    .map_or_else(|| format!("Install {}.", expand(&p.text)), expand)
            })
            .collect();
        steps.extend(fix_steps());
        return Ok(Recommendation {
            action: Action::InstallPrerequisite,
            summary: format!(
                "Install the prerequisite first ({}), then the fix: {}",
                not_met
                    .iter()
                    .map(|p| expand(&p.text))
                    .collect::<Vec<_>>()
                    .join("; "),
                fix.summary
            ),
            steps,
            prerequisites,
            hotfix,
            setting,
            alternative: workaround.map(Box::new),
            alternatives,
            ..Recommendation::none("")
        });
    }
    let mut steps: Vec<String> = (prerequisites.iter())
        .filter(|p| p.status == PrerequisiteStatus::Unknown)
        .map(|p| {
            format!(
                "First confirm the prerequisite, {}: it is unknown until kbdiag has {}.",
                p.text,
                p.missing.join(", ")
            )
        })
        .collect();
    steps.extend(fix_steps());
    // A workaround that repairs what the fix only prevents comes first on a host where its
    // condition holds; the fix follows it.
    let first = match &compiled.workaround_first {
        Some(node) => node.eval(sb)?.truth == Truth::True,
        None => false,
    };
    if let (true, Some(w)) = (first, workaround.as_ref()) {
        let mut all = w.steps.clone();
        all.extend(steps.into_iter().enumerate().map(|(i, s)| match i {
            0 => format!("Then, so that it does not happen again, the fix: {s}"),
            _ => s,
        }));
        return Ok(Recommendation {
            action: Action::ApplyWorkaround,
            summary: w
                .text
                .clone()
                .unwrap_or_else(|| "Apply the workaround.".into()),
            steps: all,
            prerequisites,
            hotfix: hotfix.clone(),
            setting,
            alternatives,
            ..Recommendation::none("")
        });
    }
    Ok(Recommendation {
        action,
        summary: fix.summary.to_string(),
        steps,
        prerequisites,
        hotfix: hotfix.clone(),
        setting,
        alternative: workaround.map(Box::new),
        alternatives,
        ..Recommendation::none("")
    })
}

/// [`remedy`]'s action and prerequisites alone, decided as it decides them (and evaluating the
/// same conditions), for a lean evaluator ([`Evaluator::set_lean`]).
fn lean_remedy(
    sb: &Sandbox,
    compiled: &CompiledRule,
    prerequisites: Vec<PrerequisiteResult>,
) -> Result<Recommendation, EvalError> {
    let rule = &compiled.rule;
    if compiled.texts.hotfix.is_none() {
        return Ok(Recommendation {
            action: match rule.workaround {
                Some(_) => Action::ApplyWorkaround,
                None => Action::None,
            },
            ..Recommendation::none("")
        });
    }
    let action = if (prerequisites.iter()).any(|p| p.status == PrerequisiteStatus::NotMet) {
        Action::InstallPrerequisite
    } else {
        let first = match &compiled.workaround_first {
            Some(node) => node.eval(sb)?.truth == Truth::True,
            None => false,
        };
        match rule
            .resolution
            .as_ref()
            .map_or(ResolutionKind::Hotfix, |r| r.kind)
        {
            _ if first && rule.workaround.is_some() => Action::ApplyWorkaround,
            ResolutionKind::Hotfix => Action::InstallHotfix,
            ResolutionKind::Update => Action::InstallUpdate,
            ResolutionKind::Setting => Action::ChangeSetting,
            ResolutionKind::Upgrade => Action::Upgrade,
            ResolutionKind::None => Action::None,
        }
    };
    Ok(Recommendation {
        action,
        prerequisites,
        ..Recommendation::none("")
    })
}

/// What an exposed host is told: the symptoms to watch for, and the fix (with its steps) to
/// apply when they appear.
pub(super) fn watch(symptoms: &[SymptomResult], fix: Recommendation) -> Recommendation {
    let mut steps: Vec<String> = (symptoms.iter())
        .map(|s| match &s.ask {
            Some(ask) => format!("Watch for: {} ({ask})", s.text),
            None => format!("Watch for: {}", s.text),
        })
        .collect();
    steps.push(format!(
        "If they appear: {} ({})",
        fix.summary,
        fix.action.as_str()
    ));
    steps.extend(fix.steps.iter().cloned());
    Recommendation {
        action: Action::Watch,
        summary: "Watch for the article's symptoms, and apply its fix if they appear.".into(),
        steps,
        ..fix
    }
}
