//! Finding the bytes a JSON string treats specially — a quote, a backslash, a control character —
//! sixteen at a time: what ends a string or starts an escape for the fact reader, and what the
//! NDJSON writer must escape.

/// Where the first quote, backslash or control character is: sixteen bytes at a time
/// ([`mask16`]), then eight at a time.
#[inline]
pub fn stop(b: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(mask) = mask16(b, at) {
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    stop_words(&b[at..]).map(|n| at + n)
}

/// The quotes, backslashes and control characters among the sixteen bytes at `at`, as one set of
/// bits (bit `n` for byte `at + n`; [`classes16`] joined: the compiler joins the vectors before
/// taking their bits, so this costs what one compare-and-mask did); `None` when fewer than
/// sixteen bytes are left. A caller that meets several (a path's backslashes) takes them all
/// from one load, where [`stop`] would load again after each.
#[inline]
pub fn mask16(b: &[u8], at: usize) -> Option<u32> {
    classes16(b, at).map(|c| c.quote | c.backslash | c.control)
}

/// The quotes, backslashes and control characters among the sixteen bytes at `at`, each as its
/// own bits (bit `n` for byte `at + n`), with SSE2 (every x86-64 processor has it); `None` when
/// fewer than sixteen bytes are left. For a reader that steps over a whole string from one load:
/// which bytes are escaped follows from the backslashes alone ([`escaped`]).
#[inline]
pub fn classes16(b: &[u8], at: usize) -> Option<Classes> {
    let chunk = b.get(at..at.checked_add(16)?)?;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of x86-64 itself, and the load reads the 16 bytes of `chunk`,
        // which are in bounds; an unaligned load needs no more.
        unsafe {
            let control = _mm_set1_epi8(0x1f);
            let x = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let bits = |v| _mm_movemask_epi8(v) as u32 & 0xffff;
            // A byte is a control character when max(byte, 0x1f) is 0x1f.
            Some(Classes {
                quote: bits(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8))),
                backslash: bits(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8))),
                control: bits(_mm_cmpeq_epi8(_mm_max_epu8(x, control), control)),
            })
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    Some(chunk.iter().enumerate().fold(
        Classes {
            quote: 0,
            backslash: 0,
            control: 0,
        },
        |mut c, (n, &byte)| {
            c.quote |= u32::from(byte == b'"') << n;
            c.backslash |= u32::from(byte == b'\\') << n;
            c.control |= u32::from(byte < 0x20) << n;
            c
        },
    ))
}

/// Sixteen bytes' quotes, backslashes and control characters ([`classes16`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub quote: u32,
    pub backslash: u32,
    pub control: u32,
}

/// Which of sixteen bytes are escaped (follow a backslash that starts an escape), from their
/// `backslash` bits and `carry`, 1 when the first byte is escaped by the block before; with the
/// carry for the next block. Without a loop over the backslashes: a run of them escapes every
/// other one, and where a run ends is found with one subtraction (simdjson's method).
#[inline]
pub fn escaped(backslash: u32, carry: u32) -> (u32, u32) {
    const ODD: u64 = 0xaaaa_aaaa_aaaa_aaaa;
    let backslash = u64::from(backslash);
    let carry = u64::from(carry);
    // An escaped backslash starts nothing.
    let starts = backslash & !carry;
    let code = ((starts << 1 | ODD).wrapping_sub(starts)) ^ ODD;
    let escaped = (code ^ (backslash | carry)) & 0xffff;
    let escape = code & backslash;
    (escaped as u32, (escape >> 15) as u32 & 1)
}

/// [`stop`] eight bytes at a time (the lowest flagged byte of a word is exact: a borrow only runs
/// upward).
#[inline]
fn stop_words(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().ok()?);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flagged = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let flagged = flagged & HIGH;
        if flagged != 0 {
            return Some(at + flagged.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|n| at + n)
}

#[cfg(test)]
mod tests {
    /// The vector and word scans, and the masks, find what a byte-by-byte scan finds, at every
    /// length and place.
    #[test]
    fn the_scans_agree_with_a_plain_loop() {
        let plain = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..70 {
            for _ in 0..200 {
                let mut b: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        // Mostly plain text, sometimes a byte that stops the scan or a high one.
                        match seed % 40 {
                            0 => b'"',
                            1 => b'\\',
                            2 => (seed >> 8) as u8 % 0x20,
                            3 => 0x80 | (seed >> 8) as u8,
                            _ => b'a' + (seed >> 8) as u8 % 26,
                        }
                    })
                    .collect();
                assert_eq!(super::stop(&b), plain(&b), "{b:?}");
                assert_eq!(super::stop_words(&b), plain(&b), "{b:?}");
                for at in 0..=len {
                    let bits = (at + 16 <= len).then(|| {
                        (0..16).fold(0, |mask, n| {
                            mask | u32::from(plain(&b[at + n..at + n + 1]).is_some()) << n
                        })
                    });
                    assert_eq!(super::mask16(&b, at), bits, "{b:?} at {at}");
                }
                b.push(0x7f);
                assert_eq!(super::stop(&b), plain(&b), "{b:?}");
            }
        }
    }
    /// [`super::escaped`] on every pattern of sixteen backslashes, with and without a carry,
    /// against walking the bytes: a backslash that is not itself escaped escapes the next byte.
    #[test]
    fn escaped_bytes_follow_the_backslash_runs() {
        for backslash in 0..=0xffff_u32 {
            for carry in 0..=1 {
                let mut escaped = 0;
                let mut next = carry == 1;
                for n in 0..16 {
                    let this = next;
                    if this {
                        escaped |= 1 << n;
                    }
                    next = !this && backslash >> n & 1 == 1;
                }
                assert_eq!(
                    super::escaped(backslash, carry),
                    (escaped, u32::from(next)),
                    "backslashes {backslash:016b}, carry {carry}"
                );
            }
        }
    }

    /// [`super::classes16`] finds each class a byte loop finds.
    #[test]
    fn classes_agree_with_a_plain_loop() {
        let b: Vec<u8> = (0..=255).chain(0..=255).collect();
        for at in 0..b.len() {
            let expect = (at + 16 <= b.len()).then(|| {
                let bits = |f: &dyn Fn(u8) -> bool| {
                    (0..16).fold(0, |m, n| m | u32::from(f(b[at + n])) << n)
                };
                super::Classes {
                    quote: bits(&|c| c == b'"'),
                    backslash: bits(&|c| c == b'\\'),
                    control: bits(&|c| c < 0x20),
                }
            });
            assert_eq!(super::classes16(&b, at), expect, "at {at}");
        }
    }
}
