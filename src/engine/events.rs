//! Events as symptoms: which events match a source, an id and the article's details (log, type,
//! category, an error code in the message, a time window), and how a match is shown as evidence.

use crate::engine::probe::{Fallible, Probe, fail};
use crate::facts::values;
use crate::facts::{Event, Text};

/// What an event must show besides its source and id: each filter an event's facts can be checked
/// against must hold; one the event does not record is noted, not failed.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    log: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    /// The account the event names, any case.
    user: Option<String>,
    /// Whole words in the message (an error code: `NT/MTA error code: 5`).
    message: Option<String>,
    /// Whole words that an insertion string carries (a Stop code in a Save Dump event): in the
    /// rendered message, or in one of the strings of an event read without its message DLL,
    /// where a string lacking it is a mismatch, not "not checked".
    param: Option<String>,
    /// From this time on (UTC, ISO 8601).
    since: Option<String>,
    /// Before this time (not `until`: a Rhai keyword).
    before: Option<String>,
}

/// The filters `event(source, id, #{…})` takes.
pub const EVENT_FILTERS: &[&str] = &[
    "log", "type", "category", "user", "message", "param", "since", "before",
];

impl EventFilter {
    pub(crate) fn from_map(map: &rhai::Map) -> Fallible<EventFilter> {
        let mut filter = EventFilter::default();
        for (key, value) in map {
            let Some(text) = value.clone().into_immutable_string().ok() else {
                return fail(format!(
                    "event(): the filter `{key}` must be text, not {}",
                    value.type_name()
                ));
            };
            let text = Some(text.to_string());
            match key.as_str() {
                "log" => filter.log = text,
                "type" => filter.kind = text,
                "category" => filter.category = text,
                "user" => filter.user = text,
                "message" => filter.message = text,
                "param" => filter.param = text,
                "since" | "before" => {
                    let time = values::utc_time(text.as_deref().unwrap_or_default())
                        .or_else(|e| fail(format!("event(): `{key}`: {e}")))?;
                    if key == "since" {
                        filter.since = Some(time);
                    } else {
                        filter.before = Some(time);
                    }
                }
                other => {
                    return fail(format!(
                        "event(): no filter `{other}`; the filters are {}",
                        EVENT_FILTERS.join(", ")
                    ));
                }
            }
        }
        Ok(filter)
    }

    /// Whether `e` passes: `None` if a recorded field differs.
    fn check(&self, e: &Event) -> Option<EventMatch> {
        let mut unchecked: Vec<String> = Vec::new();
        let kind = e.kind.as_ref().map(|k| event_type(k.as_str()));
        let fields = [
            ("log", &self.log, e.log.as_ref().map(|t| t.as_str())),
            ("type", &self.kind, kind),
            (
                "category",
                &self.category,
                e.category.as_ref().map(|t| t.as_str()),
            ),
            ("user", &self.user, e.user.as_ref().map(|t| t.as_str())),
        ];
        for (name, want, have) in fields {
            match (want, have) {
                (None, _) => {}
                (Some(_), None) if name == "category" && e.category_number.is_some() => unchecked
                    .push(format!(
                        "category (only its number, {}, was recorded)",
                        e.category_number.unwrap_or_default()
                    )),
                (Some(_), None) => unchecked.push(name.to_owned()),
                (Some(want), Some(have))
                    if have.trim().eq_ignore_ascii_case(want.trim())
                        || (name == "type" && event_type(want).eq_ignore_ascii_case(have)) => {}
                _ => return None,
            }
        }
        if self.since.is_some() || self.before.is_some() {
            match e.time.as_ref().map(|t| values::utc_time(t.as_str())) {
                Some(Ok(t)) => {
                    let after = self.since.as_ref().is_none_or(|since| t >= *since);
                    let before = self.before.as_ref().is_none_or(|b| t < *b);
                    if !(after && before) {
                        return None;
                    }
                }
                _ => unchecked.push("time".to_owned()),
            }
        }
        let mut at = None;
        match (&self.message, &e.message, &e.strings) {
            (None, _, _) => {}
            (Some(want), Some(message), _) => {
                at = Some(Found::Message(values::find_token(message.as_str(), want)?))
            }
            // Without the source's message DLL only the insertion strings are known: the text in
            // one of them matches; otherwise it may be in the template, so it is not checked.
            (Some(want), None, Some(strings)) => {
                let found = (strings.iter().enumerate())
                    .find_map(|(i, s)| Some((i, values::find_token(s.as_str(), want)?)));
                match found {
                    Some((i, _)) => at = Some(Found::String(i)),
                    None => unchecked.push(
                        "message (not rendered: no insertion string holds the text)".to_owned(),
                    ),
                }
            }
            (Some(_), None, None) => unchecked.push("message".to_owned()),
        }
        if let Some(want) = &self.param {
            match (&e.message, &e.strings) {
                (Some(message), _) => {
                    let found = values::find_token(message.as_str(), want)?;
                    at = at.or(Some(Found::Message(found)));
                }
                (None, Some(strings)) => {
                    let i = (strings.iter())
                        .position(|s| values::find_token(s.as_str(), want).is_some())?;
                    at = at.or(Some(Found::String(i)));
                }
                (None, None) => {
                    unchecked.push("param (neither message nor strings recorded)".to_owned())
                }
            }
        }
        Some(EventMatch { unchecked, at })
    }
}

/// How an event passed an [`EventFilter`].
struct EventMatch {
    /// Filters the event's facts could not be checked against.
    unchecked: Vec<String>,
    /// Where the message filter matched.
    at: Option<Found>,
}

/// Where an event's text matched: a byte range of its message, or one of its insertion strings.
#[derive(Debug, Clone, Copy)]
enum Found {
    Message((usize, usize)),
    String(usize),
}

/// An event type as Event Viewer names it; collectors may write the number a record stores, and
/// NT 4.0's Event Viewer writes the audit types the other way round ("Failure Audit").
fn event_type(kind: &str) -> &str {
    let kind = kind.trim();
    let is = |a: &str| kind.eq_ignore_ascii_case(a);
    match kind {
        "1" => "Error",
        "2" => "Warning",
        "4" => "Information",
        "8" => "Audit Success",
        "16" => "Audit Failure",
        _ if is("Failure Audit") => "Audit Failure",
        _ if is("Success Audit") => "Audit Success",
        other => other,
    }
}

/// Whether the host's events hold `id` from `source` passing `filter`; each match is recorded.
/// Event ids compare as Event Viewer shows them: the low 16 bits (`0x80002466` is 9318).
pub(crate) fn events(
    probe: &mut Probe,
    source: &str,
    id: i64,
    filter: &EventFilter,
) -> Fallible<bool> {
    let facts = probe.facts.clone();
    let events = probe.list("events", &facts.events)?;
    probe.charge_events(events)?;
    let mut found = false;
    let mut near = 0;
    for e in events.iter().filter(|e| {
        e.id.is_some_and(|i| i & 0xFFFF == id & 0xFFFF)
            && e.source
                .as_ref()
                .is_some_and(|s| s.as_str().trim().eq_ignore_ascii_case(source))
    }) {
        let Some(EventMatch { unchecked, at }) = filter.check(e) else {
            near += 1;
            continue;
        };
        found = true;
        let mut seen = describe_event(e, at);
        if !unchecked.is_empty() {
            seen.push_str(" [not recorded, so not checked: ");
            seen.push_str(&unchecked.join(", "));
            seen.push(']');
        }
        if !probe.trace.matches.contains(&seen) {
            probe.trace.matches.push(seen);
        }
    }
    if !found {
        // Not found in what was read: absent only if the log it would be in was read whole.
        let read = facts.event_logs.get().or_else(fail)?;
        if let Some(read) = read {
            let has = |log: &str| {
                read.iter()
                    .any(|l| l.as_str().trim().eq_ignore_ascii_case(log.trim()))
            };
            match &filter.log {
                Some(log) if !has(log) => return Err(probe.missing(log_to_collect(log))),
                Some(_) => {}
                None => {
                    let names: Vec<&str> = read.iter().map(Text::as_str).collect();
                    return Err(probe.missing(format!(
                        "every log {source} may write to (event() names no log; the events \
                         are complete for {} only)",
                        if names.is_empty() {
                            "no log".to_owned()
                        } else {
                            names.join(", ")
                        }
                    )));
                }
            }
        }
        let unlike = if near > 0 {
            format!(" with the details asked for ({near} with other details)")
        } else {
            String::new()
        };
        let (mut count, mut number) = (itoa::Buffer::new(), itoa::Buffer::new());
        probe.read(
            [
                "events (",
                count.format(events.len()),
                ") hold no ",
                number.format(id),
                " from ",
                source,
                &unlike,
            ]
            .concat(),
        );
    }
    Ok(found)
}

/// What to collect for a log not read: its name, and the files Windows keeps it in.
fn log_to_collect(log: &str) -> String {
    let log = log.trim();
    let file = match log.to_ascii_lowercase().as_str() {
        "application" => Some("AppEvent.Evt"),
        "system" => Some("SysEvent.Evt"),
        "security" => Some("SecEvent.Evt"),
        _ => None,
    };
    match file {
        Some(evt) => format!(
            "the {log} log (%SystemRoot%\\System32\\config\\{evt} up to Windows Server 2003, \
             winevt\\Logs\\{log}.evtx from Vista on)"
        ),
        None => format!("the {log} log"),
    }
}

/// How much of an event's message evidence shows.
const MESSAGE_SHOWN: usize = 320;

/// Display of an event for evidence. A long message is cut around `at`, the part that matched.
fn describe_event(e: &Event, at: Option<Found>) -> String {
    use std::fmt::Write as _;
    // Written into one string: evidence is made for every matching event.
    let mut s = String::with_capacity(96);
    s.push_str("event ");
    match e.id {
        Some(i) => s.push_str(itoa::Buffer::new().format(i & 0xFFFF)),
        None => s.push('?'),
    }
    s.push_str(" from ");
    s.push_str(e.source.as_ref().map_or("?", |s| s.as_str()));
    let kind = e.kind.as_ref().map(|k| event_type(k.as_str()));
    let details: Vec<&str> = [
        e.log.as_ref().map(|t| t.as_str()),
        e.category.as_ref().map(|t| t.as_str()),
        kind,
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        let _ = write!(s, " ({})", details.join(", "));
    }
    if let Some(time) = &e.time {
        s.push_str(" at ");
        s.push_str(time.as_str());
    }
    if let Some(record) = e.record {
        let _ = write!(s, ", record {record}");
    }
    if let Some(message) = &e.message {
        let at = match at {
            Some(Found::Message(range)) => Some(range),
            _ => None,
        };
        let _ = write!(s, ": \"{}\"", excerpt(message.as_str(), at));
    } else if let Some(strings) = &e.strings {
        let _ = write!(s, ": strings {}", strings_shown(strings, at));
    }
    s
}

/// Insertion strings as evidence shows them: quoted, the one that matched whole, each other cut
/// to a few words, at most [`MESSAGE_SHOWN`] characters in all.
fn strings_shown(strings: &[Text], at: Option<Found>) -> String {
    let mut out = Vec::new();
    let mut budget = MESSAGE_SHOWN;
    for (i, s) in strings.iter().enumerate() {
        let s = s.as_str().trim();
        let whole = matches!(at, Some(Found::String(m)) if m == i);
        let limit = if whole {
            budget.max(40)
        } else {
            40.min(budget)
        };
        let shown: String = s.chars().take(limit).collect();
        let cut = if shown.len() < s.len() { "…" } else { "" };
        budget = budget.saturating_sub(shown.chars().count());
        out.push(format!("{shown:?}{cut}"));
        if budget == 0 && i + 1 < strings.len() {
            out.push(format!("… {} more", strings.len() - i - 1));
            break;
        }
    }
    format!("[{}]", out.join(", "))
}

/// At most [`MESSAGE_SHOWN`] characters of `message`, including the range `at`.
fn excerpt(message: &str, at: Option<(usize, usize)>) -> String {
    let chars: Vec<(usize, char)> = message.char_indices().collect();
    if chars.len() <= MESSAGE_SHOWN {
        return message.trim().to_owned();
    }
    let end_char = at.map_or(0, |(_, end)| {
        chars.iter().take_while(|(b, _)| *b < end).count()
    });
    let start = end_char
        .saturating_sub(MESSAGE_SHOWN - 40)
        .min(chars.len() - MESSAGE_SHOWN);
    let stop = start + MESSAGE_SHOWN;
    let text: String = chars[start..stop].iter().map(|(_, c)| c).collect();
    let lead = if start > 0 { "…" } else { "" };
    let tail = if stop < chars.len() { "…" } else { "" };
    format!("{lead}{}{tail}", text.trim())
}
