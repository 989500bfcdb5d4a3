//! What every stage needs to know of characters: which change how text reads without showing
//! (a rule whose text holds one is warned of, and reports escape them).

/// Characters that change how text reads without showing: bidirectional embeddings, overrides and
/// isolates, zero-width characters, line and paragraph separators, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
            | '\u{00ad}'
    )
}
