//! Numbers as the reports and the articles write them.

use std::fmt::Display;

/// `124784` as `124,784` (as the articles write sizes), `-1234` as `-1,234`.
pub fn thousands(n: impl Display) -> String {
    let written = n.to_string();
    let (sign, digits) = match written.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", written.as_str()),
    };
    let mut out = String::with_capacity(written.len() + digits.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_of_three_from_the_right() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(124_784_usize), "124,784");
        assert_eq!(thousands(-1234_i64), "-1,234");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
