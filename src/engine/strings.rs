//! Rhai's string functions that can make a text far larger than their arguments, or take time in
//! proportion to a whole text, registered again on the sandbox's engine (its own functions are
//! found before a package's). Each growing one works out the size it would make and refuses past
//! the string limit before making anything; each is charged to the rule's budget by the bytes it
//! makes or scans, as helpers are. Rhai checks a function's value after the call, so
//! `s.replace("a", s)` on a 64 KiB text asked for 4 GiB and aborted the run; `pad` with an empty
//! padding never returned; and `contains` of a 32 KiB needle in a 64 KiB text, one operation for
//! Rhai, took 2.6 s per condition's 100,000 operations.

use memchr::memmem;
use rhai::{Array, Dynamic, Engine, INT, ImmutableString};

use crate::engine::probe::{Fallible, Shared, fail};
use crate::engine::script::limits::{BYTES_PER_OPERATION, STRING_SIZE};
use crate::numbers::thousands;

/// How many times `find` occurs in `text`, as `str::replace` replaces it: without overlaps, and
/// an empty `find` at every character boundary.
fn occurrences(text: &str, find: &str) -> usize {
    if find.is_empty() {
        return text.chars().count() + 1;
    }
    memmem::find_iter(text.as_bytes(), find.as_bytes()).count()
}

/// The error of a function that would make a text of `bytes` bytes, past the limit.
fn too_long<T>(function: &str, bytes: usize) -> Fallible<T> {
    fail(format!(
        "Length of string too large: {function} would make a text of {} bytes, more than the \
         {} a text may hold (nothing was made)",
        thousands(bytes),
        thousands(STRING_SIZE)
    ))
}

/// `text.replace(find, with)`, its size checked before it is made.
fn replace(probe: &Shared, text: &mut ImmutableString, find: &str, with: &str) -> Fallible<()> {
    if text.is_empty() {
        return Ok(());
    }
    let count = occurrences(text, find);
    let bytes = (count.saturating_mul(with.len()))
        .saturating_add(text.len())
        .saturating_sub(count * find.len());
    if bytes > STRING_SIZE {
        return too_long("replace()", bytes);
    }
    probe
        .borrow_mut()
        .charge((text.len() + bytes) / BYTES_PER_OPERATION)?;
    if count > 0 {
        *text = text.replace(find, with).into();
    }
    Ok(())
}

/// `text.pad(len, padding)`: padded with whole copies of `padding`, then the characters of one
/// more that fit, to `len` characters.
fn pad(probe: &Shared, text: &mut ImmutableString, len: INT, padding: &str) -> Fallible<()> {
    let Ok(len) = usize::try_from(len) else {
        // Rhai's own: a length of 0 or less pads nothing.
        return Ok(());
    };
    let have = text.chars().count();
    if len <= have {
        return Ok(());
    }
    if padding.is_empty() {
        return fail(format!(
            "pad({len}, \"\"): the padding is empty, so the text can never reach {len} characters"
        ));
    }
    if len > STRING_SIZE {
        return too_long(&format!("pad({len}, …)"), len);
    }
    let width = padding.chars().count();
    let (whole, part) = ((len - have) / width, (len - have) % width);
    let tail: usize = padding.chars().take(part).map(char::len_utf8).sum();
    let bytes = text.len() + whole * padding.len() + tail;
    probe.borrow_mut().charge(bytes / BYTES_PER_OPERATION)?;
    if bytes > STRING_SIZE {
        return too_long(&format!("pad({len}, …)"), bytes);
    }
    let mut made = String::with_capacity(bytes);
    made.push_str(text);
    for _ in 0..whole {
        made.push_str(padding);
    }
    made.extend(padding.chars().take(part));
    *text = made.into();
    Ok(())
}

/// Charges the rule for scanning or making `bytes` bytes of text.
fn charge(probe: &Shared, bytes: usize) -> Fallible<()> {
    probe.borrow_mut().charge(bytes / BYTES_PER_OPERATION)
}

/// Rhai's `index_of(text, find, start)`: the character index of `find` in `text` from the
/// character `start` on (from the end when negative), or -1.
fn index_of_from(text: &str, find: &str, start: INT) -> INT {
    if text.is_empty() {
        return -1;
    }
    let chars = text.chars().count();
    let from = if start < 0 {
        let back = usize::try_from(start.unsigned_abs()).unwrap_or(usize::MAX);
        chars.saturating_sub(back)
    } else {
        match usize::try_from(start) {
            Ok(0) => 0,
            Ok(start) if start < chars => start,
            _ => return -1,
        }
    };
    let at = text.char_indices().nth(from).map_or(text.len(), |(b, _)| b);
    (text[at..].find(find))
        .and_then(|i| INT::try_from(text[..at + i].chars().count()).ok())
        .unwrap_or(-1)
}

/// Rhai's `sub_string(text, start, len)`: `len` characters from the character `start` on (from
/// the end when negative), as many as there are.
fn sub_string(text: &str, start: INT, len: INT) -> String {
    if text.is_empty() || len <= 0 {
        return String::new();
    }
    let chars = text.chars().count();
    let offset = if start < 0 {
        let back = usize::try_from(start.unsigned_abs()).unwrap_or(usize::MAX);
        chars.saturating_sub(back)
    } else {
        match usize::try_from(start) {
            Ok(start) if start < chars => start,
            _ => return String::new(),
        }
    };
    let len = usize::try_from(len).map_or(chars - offset, |len| len.min(chars - offset));
    text.chars().skip(offset).take(len).collect()
}

/// Registers the checked functions on `engine`, charging the rule bound through `probe`.
pub(crate) fn register_checked_strings(engine: &mut Engine, probe: &Shared) {
    register_scans(engine, probe);
    let p = probe.clone();
    engine.register_fn(
        "replace",
        move |text: &mut ImmutableString, find: &str, with: &str| replace(&p, text, find, with),
    );
    let p = probe.clone();
    engine.register_fn(
        "replace",
        move |text: &mut ImmutableString, find: &str, with: char| {
            replace(&p, text, find, with.encode_utf8(&mut [0; 4]))
        },
    );
    let p = probe.clone();
    engine.register_fn(
        "replace",
        move |text: &mut ImmutableString, find: char, with: &str| {
            replace(&p, text, find.encode_utf8(&mut [0; 4]), with)
        },
    );
    let p = probe.clone();
    engine.register_fn(
        "replace",
        move |text: &mut ImmutableString, find: char, with: char| {
            let (mut a, mut b) = ([0; 4], [0; 4]);
            replace(&p, text, find.encode_utf8(&mut a), with.encode_utf8(&mut b))
        },
    );
    let p = probe.clone();
    engine.register_fn(
        "pad",
        move |text: &mut ImmutableString, len: INT, padding: &str| pad(&p, text, len, padding),
    );
    let p = probe.clone();
    engine.register_fn(
        "pad",
        move |text: &mut ImmutableString, len: INT, padding: char| {
            pad(&p, text, len, padding.encode_utf8(&mut [0; 4]))
        },
    );
}

/// The functions that take time in proportion to a whole text, charged for it (with Rhai's
/// meaning, `contains` also for `in`).
fn register_scans(engine: &mut Engine, probe: &Shared) {
    let p = probe.clone();
    engine.register_fn(
        "contains",
        move |text: &str, find: &str| -> Fallible<bool> {
            charge(&p, text.len() + find.len())?;
            Ok(text.contains(find))
        },
    );
    let p = probe.clone();
    engine.register_fn("index_of", move |text: &str, find: &str| -> Fallible<INT> {
        charge(&p, text.len() + find.len())?;
        Ok(index_of_from(text, find, 0))
    });
    let p = probe.clone();
    engine.register_fn(
        "index_of",
        move |text: &str, find: &str, start: INT| -> Fallible<INT> {
            charge(&p, text.len() + find.len())?;
            Ok(index_of_from(text, find, start))
        },
    );
    let p = probe.clone();
    engine.register_fn(
        "split",
        move |text: &mut ImmutableString, delimiter: &str| -> Fallible<Array> {
            charge(&p, text.len() + delimiter.len())?;
            Ok(
                if text.is_empty() || (!delimiter.is_empty() && !text.contains(delimiter)) {
                    vec![Dynamic::from(text.clone())]
                } else {
                    (text.split(delimiter))
                        .map(|piece| ImmutableString::from(piece).into())
                        .collect()
                },
            )
        },
    );
    let p = probe.clone();
    engine.register_fn(
        "sub_string",
        move |text: &str, start: INT, len: INT| -> Fallible<ImmutableString> {
            charge(&p, text.len())?;
            Ok(sub_string(text, start, len).into())
        },
    );
    let p = probe.clone();
    engine.register_fn(
        "sub_string",
        move |text: &str, start: INT| -> Fallible<ImmutableString> {
            charge(&p, text.len())?;
            let all = INT::try_from(text.len()).unwrap_or(INT::MAX);
            Ok(sub_string(text, start, all).into())
        },
    );
    type Case = fn(&str) -> String;
    type Is = fn(char) -> bool;
    let cases: [(&str, &str, Case, Is); 2] = [
        (
            "to_upper",
            "make_upper",
            str::to_uppercase,
            char::is_uppercase,
        ),
        (
            "to_lower",
            "make_lower",
            str::to_lowercase,
            char::is_lowercase,
        ),
    ];
    for (to, make, convert, already) in cases {
        let p = probe.clone();
        engine.register_fn(
            to,
            move |text: ImmutableString| -> Fallible<ImmutableString> {
                charge(&p, text.len())?;
                Ok(if text.chars().all(already) {
                    text
                } else {
                    convert(&text).into()
                })
            },
        );
        let p = probe.clone();
        engine.register_fn(make, move |text: &mut ImmutableString| -> Fallible<()> {
            charge(&p, text.len())?;
            if !text.is_empty() && !text.chars().all(already) {
                *text = convert(text).into();
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rhai's own `index_of` with a start, as its package writes it, against ours.
    #[test]
    fn index_of_agrees_with_rhai() {
        fn rhai_index_of(string: &str, find_string: &str, start: INT) -> INT {
            if string.is_empty() {
                return -1;
            }
            let start = if start < 0 {
                let Ok(abs_start) = usize::try_from(start.unsigned_abs()) else {
                    return -1;
                };
                let chars = string.chars().collect::<Vec<_>>();
                let num_chars = chars.len();
                if abs_start > num_chars {
                    0
                } else {
                    (chars.into_iter().take(num_chars - abs_start))
                        .collect::<String>()
                        .len()
                }
            } else if start == 0 {
                0
            } else if let Ok(start) = usize::try_from(start) {
                if start >= string.chars().count() {
                    return -1;
                }
                string.chars().take(start).collect::<String>().len()
            } else {
                return -1;
            };
            string[start..]
                .find(find_string)
                .and_then(|index| INT::try_from(string[0..start + index].chars().count()).ok())
                .unwrap_or(-1)
        }
        for text in ["", "héllo, wörld! héllo", "aaa", "x"] {
            for find in ["", "l", "llo", "ö", "zz", "a"] {
                for start in [-100, -5, -1, 0, 1, 3, 7, 18, 19, 100, INT::MIN, INT::MAX] {
                    assert_eq!(
                        index_of_from(text, find, start),
                        rhai_index_of(text, find, start),
                        "{text:?} {find:?} {start}"
                    );
                }
            }
        }
    }

    /// Each function registered here is charged for the text it scans or makes: one operation
    /// per 256 bytes of a 64 KiB text (Rhai counted one operation for the call).
    #[test]
    fn scans_are_charged_by_their_bytes() {
        use crate::engine::script::{Sandbox, Value};
        let sandbox = Sandbox::new();
        let text = "let s = \"a\"; s.pad(65536, \"a\");";
        let spent = |call: &str| {
            sandbox.bind(Default::default(), Default::default());
            let ast = sandbox.compile(&format!("{text} {call}")).unwrap();
            let (value, _) = sandbox.eval(&ast);
            assert!(
                matches!(value, Value::True | Value::False),
                "{call}: {value:?}"
            );
            sandbox.spent()
        };
        // Making the text itself is charged too (`pad`).
        let making = spent("true");
        assert!((256..300).contains(&making), "{making}");
        for call in [
            "s.contains(\"zz\")",
            "\"zz\" in s",
            "s.index_of(\"zz\") == -1",
            "s.index_of(\"zz\", 5) == -1",
            "s.split(\"zz\").len() == 1",
            "s.to_upper() != s",
            "s.to_lower() == s",
            "s.make_upper(); true",
            "s.make_lower(); true",
            "s.replace(\"a\", \"a\"); true",
            "s.sub_string(100) != s",
            "s.sub_string(100, 60000) != s",
        ] {
            let scanning = spent(call) - making;
            assert!((256..1_000).contains(&scanning), "{call}: {scanning}");
        }
    }

    /// Rhai's own `sub_string`, as its package writes it, against ours.
    #[test]
    fn sub_string_agrees_with_rhai() {
        fn rhai_sub_string(string: &str, start: INT, len: INT) -> String {
            if string.is_empty() || len <= 0 {
                return String::new();
            }
            let mut chars = Vec::with_capacity(string.len());
            let offset = if start < 0 {
                let Ok(abs_start) = usize::try_from(start.unsigned_abs()) else {
                    return String::new();
                };
                chars.extend(string.chars());
                if abs_start > chars.len() {
                    0
                } else {
                    chars.len() - abs_start
                }
            } else if let Ok(start) = usize::try_from(start) {
                if start >= string.chars().count() {
                    return String::new();
                }
                start
            } else {
                return String::new();
            };
            if chars.is_empty() {
                chars.extend(string.chars());
            }
            let len = usize::try_from(len).map_or_else(
                |_| chars.len() - offset,
                |len| {
                    if len.checked_add(offset).is_none_or(|x| x > chars.len()) {
                        chars.len() - offset
                    } else {
                        len
                    }
                },
            );
            chars.iter().skip(offset).take(len).copied().collect()
        }
        let values = [
            INT::MIN,
            -100,
            -19,
            -18,
            -5,
            -1,
            0,
            1,
            3,
            17,
            18,
            19,
            100,
            INT::MAX,
        ];
        for text in ["", "héllo, wörld! héllo", "x"] {
            for start in values {
                for len in values {
                    assert_eq!(
                        sub_string(text, start, len),
                        rhai_sub_string(text, start, len),
                        "{text:?} {start} {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn occurrences_are_counted_as_replace_replaces() {
        for (text, find) in [
            ("aaaa", "aa"),
            ("abcabc", "bc"),
            ("héllo", ""),
            ("", ""),
            ("x", "y"),
        ] {
            let with = "<>";
            let made = text.replace(find, with);
            let count = occurrences(text, find);
            assert_eq!(
                made.len(),
                text.len() + count * with.len() - count * find.len(),
                "{text:?} {find:?}"
            );
        }
    }
}
