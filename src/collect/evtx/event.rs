//! An `.evtx` record, as the `evtx` crate renders it in JSON, turned into the same [`Event`]
//! record as the legacy reader gives, its insertion strings bounded.

use serde_json::Value;

use super::super::Event;

/// Insertion strings kept per event: a record with more has the rest cut, and the cut is named.
pub const MAX_STRINGS: usize = 256;

/// Bytes of insertion strings kept per event. A record is at most a chunk's 64 KiB, so its own
/// values render to at most about twice that (binary data as hexadecimal); a template that
/// places one value many times renders far more, and that is cut.
pub const MAX_EVENT_STRINGS: usize = 128 << 10;

/// An event, and whether its insertion strings were cut to [`MAX_STRINGS`] or
/// [`MAX_EVENT_STRINGS`].
pub(super) fn event(v: &Value, record: u64) -> Option<(Event, bool)> {
    let root = v.get("Event")?;
    let system = root.get("System")?;
    // `Value::pointer` unescapes every segment: direct lookups cost a fifth as much here.
    let at = |path: &[&str]| path.iter().try_fold(system, |v, k| v.get(k));
    let text = |path: &[&str]| -> Option<String> {
        match at(path)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let number = |path: &[&str]| -> Option<i64> {
        match at(path)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    // `<EventID Qualifiers="16384">7036</EventID>` arrives as an object.
    let (id, qualifiers) = match system.get("EventID")? {
        Value::Object(_) => (
            number(&["EventID", "#text"])?,
            number(&["EventID", "#attributes", "Qualifiers"]).unwrap_or(0),
        ),
        _ => (number(&["EventID"])?, 0),
    };
    // Levels as Event Viewer names them (winmeta.xml): Critical is not Error.
    let kind = match number(&["Level"]) {
        Some(1) => "Critical",
        Some(2) => "Error",
        Some(3) => "Warning",
        Some(5) => "Verbose",
        _ => match number(&["Keywords"]).or_else(|| hex_number(text(&["Keywords"])?)) {
            Some(k) if k & 0x0020_0000_0000_0000 != 0 => "Audit Success",
            Some(k) if k & 0x0010_0000_0000_0000 != 0 => "Audit Failure",
            _ => "Information",
        },
    };
    let mut strings = Strings::default();
    if let Some(data) = root.get("EventData") {
        strings.leaves(data, 0);
    }
    // `<UserData>` holds one element of the provider's own, whose children are the values:
    // `<UserData><ServiceShutdown xmlns="…"/></UserData>` has none.
    if let Some(Value::Object(data)) = root.get("UserData") {
        for (_, wrapper) in children(data) {
            match wrapper {
                Value::Object(values) => {
                    children(values).for_each(|(_, v)| strings.leaves(v, 1));
                }
                other => strings.leaves(other, 0),
            }
        }
    }
    let event = Event {
        log: text(&["Channel"]),
        // Event Viewer names a classic source (`EventSourceName`) before the provider.
        source: text(&["Provider", "#attributes", "EventSourceName"])
            .or_else(|| text(&["Provider", "#attributes", "Name"])),
        id: id & 0xFFFF,
        qualifiers: qualifiers & 0xFFFF,
        kind: kind.into(),
        category: number(&["Task"]).filter(|&t| t != 0),
        time: text(&["TimeCreated", "#attributes", "SystemTime"]).map(|t| trim_time(&t)),
        record: record as i64,
        computer: text(&["Computer"]),
        strings: strings.kept,
    };
    Some((event, strings.cut))
}

/// An element's children, without its attributes.
fn children(map: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    map.iter().filter(|(k, _)| k.as_str() != "#attributes")
}

fn hex_number(s: String) -> Option<i64> {
    let digits = s.trim().trim_start_matches("0x");
    u64::from_str_radix(digits, 16).ok().map(|n| n as i64)
}

/// `2016-07-08T18:12:51.681640Z` to whole seconds, as the fact format writes times.
fn trim_time(t: &str) -> String {
    match t.split_once('.') {
        Some((seconds, _)) if t.ends_with('Z') => format!("{seconds}Z"),
        _ => t.to_owned(),
    }
}

/// Insertion strings being gathered, within [`MAX_STRINGS`] and [`MAX_EVENT_STRINGS`].
#[derive(Default)]
struct Strings {
    kept: Vec<String>,
    bytes: usize,
    cut: bool,
}

impl Strings {
    fn push(&mut self, s: &str) {
        if self.kept.len() >= MAX_STRINGS {
            self.cut = true;
            return;
        }
        let room = MAX_EVENT_STRINGS - self.bytes;
        if s.len() > room {
            self.cut = true;
            if room == 0 {
                return;
            }
        }
        let mut end = room.min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let s = &s[..end];
        self.bytes += s.len();
        self.kept.push(s.to_owned());
    }

    /// The text leaves of an event's data, in order, skipping attributes.
    fn leaves(&mut self, v: &Value, depth: usize) {
        if depth > 16 {
            self.cut = true;
            return;
        }
        match v {
            Value::String(s) => self.push(s),
            Value::Number(n) => self.push(&n.to_string()),
            Value::Bool(b) => self.push(&b.to_string()),
            Value::Array(items) => items.iter().for_each(|i| self.leaves(i, depth + 1)),
            Value::Object(map) => {
                let mut children = children(map).peekable();
                match children.peek() {
                    // `<ComplexData Name="PerfState"/>`: an element with attributes and no text.
                    None if depth > 0 => self.push(""),
                    None => {}
                    Some(_) => children.for_each(|(_, i)| self.leaves(i, depth + 1)),
                }
            }
            // An empty `<Data/>` is an empty insertion string; no data at all is none.
            Value::Null if depth > 0 => self.push(""),
            Value::Null => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn system(level: i64) -> Value {
        json!({"Provider": {"#attributes": {"Name": "P"}}, "EventID": 1, "Level": level})
    }

    #[test]
    fn levels_keep_critical_and_verbose_apart_from_error_and_information() {
        let kind = |level| {
            event(&json!({"Event": {"System": system(level)}}), 1)
                .unwrap()
                .0
                .kind
        };
        assert_eq!(kind(1), "Critical");
        assert_eq!(kind(2), "Error");
        assert_eq!(kind(3), "Warning");
        assert_eq!(kind(4), "Information");
        assert_eq!(kind(5), "Verbose");
        assert_eq!(kind(0), "Information");
    }

    #[test]
    fn an_empty_user_data_element_gives_no_strings_and_its_children_give_one_each() {
        let strings = |user_data: Value| {
            let v = json!({"Event": {"System": system(4), "UserData": user_data}});
            event(&v, 1).unwrap().0.strings
        };
        let xmlns = json!({"xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"});
        assert!(strings(json!({"ServiceShutdown": {"#attributes": xmlns}})).is_empty());
        assert!(strings(json!({"ServiceShutdown": null})).is_empty());
        assert_eq!(
            strings(
                json!({"LogFileCleared": {"#attributes": xmlns, "SubjectUserName": "bob",
                "SubjectDomainName": null}})
            ),
            ["bob", ""]
        );
    }

    #[test]
    fn strings_are_cut_at_the_count_and_the_bytes_an_event_keeps() {
        let data = |value: Value| {
            let v = json!({"Event": {"System": system(4), "EventData": {"Data": value}}});
            event(&v, 1).unwrap()
        };
        let (e, cut) = data(json!(vec!["x"; 300]));
        assert!(cut && e.strings.len() == MAX_STRINGS);
        let long = "é".repeat(1000);
        let (e, cut) = data(json!(vec![long.as_str(); 200]));
        let bytes: usize = e.strings.iter().map(String::len).sum();
        assert!(cut && bytes <= MAX_EVENT_STRINGS && bytes > MAX_EVENT_STRINGS - 2000);
        let (e, cut) = data(json!(["a", "b"]));
        assert!(!cut && e.strings == ["a", "b"]);
    }
}
