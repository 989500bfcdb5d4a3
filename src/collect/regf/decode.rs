//! Names and value data as a hive stores them, in the fact format's terms.

use crate::facts::registry::{RegData, RegType, RegValue};

/// Key and value names: Latin-1 when flagged compressed, UTF-16LE otherwise.
pub(super) fn decode_name(bytes: &[u8], compressed: bool) -> String {
    if compressed {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        utf16(bytes)
    }
}

/// UTF-16LE text up to its first NUL; unpaired surrogates become U+FFFD.
pub(crate) fn utf16(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A value's data in the fact format's terms. Types kbdiag has no form for are kept as
/// REG_BINARY hex, so nothing is lost.
pub(super) fn decode_value(kind: u32, data: &[u8]) -> RegValue {
    let le = |n: usize| {
        let mut b = [0u8; 8];
        b[..n.min(data.len())].copy_from_slice(&data[..n.min(data.len())]);
        u64::from_le_bytes(b)
    };
    let (kind, value) = match kind {
        1 => (RegType::Sz, RegData::Text(utf16(data))),
        2 => (RegType::ExpandSz, RegData::Text(utf16(data))),
        7 => (RegType::MultiSz, RegData::List(multi_sz(data))),
        4 if data.len() >= 4 => (RegType::Dword, RegData::Int(le(4) as i64)),
        11 if data.len() >= 8 => (RegType::Qword, RegData::Int(le(8) as i64)),
        _ => (RegType::Binary, RegData::Text(hex(data))),
    };
    RegValue { kind, value }
}

fn multi_sz(data: &[u8]) -> Vec<String> {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut out: Vec<String> = units
        .split(|&u| u == 0)
        .map(|s| {
            char::decode_utf16(s.iter().copied())
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        })
        .collect();
    while out.last().is_some_and(|s: &String| s.is_empty()) {
        out.pop();
    }
    out
}

fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * data.len());
    for &b in data {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_sz_drops_the_terminators_only() {
        let data: Vec<u8> = "Terminal Server\0\0"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(multi_sz(&data), vec!["Terminal Server".to_owned()]);
    }

    #[test]
    fn binary_is_lower_case_hex() {
        assert_eq!(hex(&[0x00, 0x5a, 0xff, 0x0f]), "005aff0f");
    }
}
