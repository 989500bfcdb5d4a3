//! The validating skip: stepping over a value the fast reader keeps as text (a list a rule may
//! never read, an unknown key's value), checking it as serde_json checks what it skips.

use super::{MAX_SKIP_DEPTH, Reader};
use crate::scan::{classes16, escaped, mask16, stop};

impl Reader<'_> {
    /// Steps over one value, checking it as serde_json checks what it skips: the JSON grammar,
    /// no control character in a string, and (stricter, so never accepting more) no escaped
    /// surrogate and no nesting deeper than [`MAX_SKIP_DEPTH`]. A loop, not recursion: the open
    /// containers are bits of a word (1 for an object).
    pub(super) fn skip(&mut self) -> Option<()> {
        let mut objects = 0u64;
        let mut depth = 0;
        loop {
            // A value.
            match self.peek()? {
                b'"' => self.skip_string()?,
                open @ (b'{' | b'[') => {
                    if depth == MAX_SKIP_DEPTH {
                        return None;
                    }
                    self.i += 1;
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.eat(close).is_none() {
                        objects = objects << 1 | u64::from(open == b'{');
                        depth += 1;
                        if open == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // What follows a value: the next one, or the ends of containers.
            loop {
                if depth == 0 {
                    return Some(());
                }
                let in_object = objects & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if in_object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if in_object => {}
                    b']' if !in_object => {}
                    _ => return None,
                }
                self.i += 1;
                objects >>= 1;
                depth -= 1;
            }
        }
    }

    /// Steps over a key and its colon.
    #[inline(always)]
    fn skip_key(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.skip_string()?;
        self.colon()
    }

    /// Steps over a string (at its opening quote), checking it as serde_json does.
    #[inline(always)]
    pub(super) fn skip_string(&mut self) -> Option<()> {
        // The usual string, a key or a value without escapes. Small, so that the walk inlines it.
        match plain_close(self.b, self.i + 1) {
            Ok(quote) => {
                self.i = quote + 1;
                Some(())
            }
            Err(at) => self.skip_long_string(at),
        }
    }

    /// [`Self::skip_string`] for a string with escapes, from the sixteen bytes at `at` (those
    /// before hold nothing special), sixteen bytes per step: which bytes are escaped follows
    /// from the backslashes' bits ([`escaped`]), so the closing quote and any control character
    /// are found without a step per escape (a Windows path has several). An escape other than
    /// `\"` and `\\` is checked by its letter; a `\u` escape, and the last bytes of the text, are
    /// left to [`Self::skip_string_stepwise`], from the string's start.
    #[inline(never)]
    fn skip_long_string(&mut self, mut at: usize) -> Option<()> {
        let mut carry = 0;
        loop {
            if carry == 0 {
                // What follows an escape is often plain to the end: one mask per sixteen bytes.
                match plain_close(self.b, at) {
                    Ok(quote) => {
                        self.i = quote + 1;
                        return Some(());
                    }
                    Err(next) => at = next,
                }
            }
            let Some(c) = classes16(self.b, at) else {
                break;
            };
            let (escaped, next_carry) = escaped(c.backslash, carry);
            let closing = c.quote & !escaped;
            // The bytes before the closing quote (all sixteen when it is further on).
            let inside = (closing & closing.wrapping_neg()).wrapping_sub(1) & 0xffff;
            if c.control & inside != 0 {
                return None;
            }
            let mut letters = escaped & !(c.quote | c.backslash) & inside;
            while letters != 0 {
                match self.b[at + letters.trailing_zeros() as usize] {
                    b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    _ => return self.skip_string_stepwise(),
                }
                letters &= letters - 1;
            }
            if closing != 0 {
                self.i = at + closing.trailing_zeros() as usize + 1;
                return Some(());
            }
            carry = next_carry;
            at += 16;
        }
        // Fewer than sixteen bytes are left: from the string's start (still `self.i`), a step
        // at a time.
        self.skip_string_stepwise()
    }

    /// [`Self::skip_string`] an escape at a time.
    pub(super) fn skip_string_stepwise(&mut self) -> Option<()> {
        self.i += 1;
        // The string's special bytes sixteen at a time, taken in turn from each load.
        while let Some(mut mask) = mask16(self.b, self.i) {
            let base = self.i;
            self.i = base + 16;
            while mask != 0 {
                let at = base + mask.trailing_zeros() as usize;
                match self.b[at] {
                    b'"' => {
                        self.i = at + 1;
                        return Some(());
                    }
                    b'\\' => {
                        self.i = at;
                        self.escape()?;
                        let done = self.i - base;
                        if done >= 16 {
                            break;
                        }
                        // Not the escaped character's own bit: it was stepped over.
                        mask &= !0 << done;
                        self.i = base + 16;
                    }
                    _ => return None,
                }
            }
        }
        // The last bytes of the text.
        loop {
            self.i += stop(self.b.get(self.i..)?)?;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    self.escape()?;
                }
                _ => return None,
            }
        }
    }

    /// Steps over a number: `-`, an integer part without leading zeros, a fraction, an exponent.
    fn number(&mut self) -> Option<()> {
        let digits = |p: &mut Self| {
            let start = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            (p.i > start).then_some(p.i - start)
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let first = *self.b.get(self.i)?;
        let n = digits(self)?;
        if first == b'0' && n > 1 {
            return None;
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            digits(self)?;
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            digits(self)?;
        }
        Some(())
    }
}

/// Where the closing quote of a string without escapes is, from `at` on: the first special byte
/// ([`mask16`]), if it is a quote; otherwise (an escape, a control character, or fewer than
/// sixteen bytes left) the sixteen bytes where the rest must be looked at more closely. Not
/// [`stop`]: its tail, inlined in the walk, measured +3.5 % instructions.
#[inline(always)]
fn plain_close(b: &[u8], mut at: usize) -> Result<usize, usize> {
    while let Some(stops) = mask16(b, at) {
        if stops != 0 {
            let first = at + stops.trailing_zeros() as usize;
            return if b[first] == b'"' { Ok(first) } else { Err(at) };
        }
        at += 16;
    }
    Err(at)
}
