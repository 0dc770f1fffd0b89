//! New asset tags: the pattern they follow (a prefix, a zero-padded number and an
//! optional check digit, such as `TS-000123`) and the blocks of numbers the hub leases
//! to each station, so that a station can tag new units while offline and no two
//! stations ever hand out the same tag.

use serde::{Deserialize, Serialize};

/// How a new tag is written: `prefix`, the number padded to `digits`, then, with
/// `check_digit`, one Luhn digit over the number (a mistyped digit is caught).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TagPattern {
    pub prefix: String,
    pub digits: usize,
    pub check_digit: bool,
}

impl Default for TagPattern {
    fn default() -> Self {
        TagPattern {
            prefix: "TS-".into(),
            digits: 6,
            check_digit: false,
        }
    }
}

/// Why a tag pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the tag prefix {0:?} may hold only letters, digits and - _ . / (at most 16)")]
    Prefix(String),
    #[error("tags need between 1 and 12 digits, not {0}")]
    Digits(usize),
}

impl TagPattern {
    /// Refuse a prefix a scanner or label could mangle, and impossible widths.
    pub fn check(&self) -> Result<(), PatternError> {
        let ok = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
        if self.prefix.chars().count() > 16 || !self.prefix.chars().all(ok) {
            return Err(PatternError::Prefix(self.prefix.clone()));
        }
        if !(1..=12).contains(&self.digits) {
            return Err(PatternError::Digits(self.digits));
        }
        Ok(())
    }

    /// The largest number this pattern can write.
    pub fn max(&self) -> u64 {
        10u64.saturating_pow(self.digits.min(12) as u32) - 1
    }

    /// Tag number `n`: `TS-000123`, or `TS-0001230` with its check digit.
    pub fn format(&self, n: u64) -> String {
        let number = format!("{n:0width$}", width = self.digits);
        if self.check_digit {
            format!("{}{number}{}", self.prefix, luhn(&number))
        } else {
            format!("{}{number}", self.prefix)
        }
    }

    /// The number of a tag written by this pattern (case-insensitive prefix), or
    /// `None` for any other text, including a wrong check digit.
    pub fn number(&self, tag: &str) -> Option<u64> {
        let head = tag.get(..self.prefix.len())?;
        if !head.eq_ignore_ascii_case(&self.prefix) {
            return None;
        }
        let rest = &tag[self.prefix.len()..];
        let width = self.digits + usize::from(self.check_digit);
        if rest.len() != width || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = &rest[..self.digits];
        if self.check_digit && rest[self.digits..] != luhn(number).to_string() {
            return None;
        }
        number.parse().ok()
    }
}

/// The Luhn check digit of a string of digits.
fn luhn(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// A block of tag numbers leased to one station: `first..=last`, written by `pattern`.
/// `POST /v1/tags/lease` answers with one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagBlock {
    pub pattern: TagPattern,
    pub first: u64,
    pub last: u64,
}

impl TagBlock {
    pub fn len(&self) -> u64 {
        self.last.saturating_sub(self.first) + 1
    }

    pub fn is_empty(&self) -> bool {
        self.last < self.first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_back() {
        let p = TagPattern::default();
        assert_eq!(p.format(123), "TS-000123");
        assert_eq!(p.number("TS-000123"), Some(123));
        assert_eq!(p.number("ts-000123"), Some(123));
        assert_eq!(p.number("TS-00123"), None);
        assert_eq!(p.number("TS-0001234"), None);
        assert_eq!(p.number("XX-000123"), None);
        assert_eq!(p.number("TS-00012a"), None);
        assert_eq!(p.max(), 999_999);
    }

    #[test]
    fn the_check_digit_catches_a_mistyped_digit() {
        let p = TagPattern {
            check_digit: true,
            ..TagPattern::default()
        };
        // Luhn of 7992739871 is 3 (the textbook example).
        assert_eq!(luhn("7992739871"), 3);
        let tag = p.format(123);
        assert_eq!(tag, "TS-0001230");
        assert_eq!(p.number(&tag), Some(123));
        for wrong in ["TS-0001231", "TS-0001330", "TS-0002130"] {
            assert_eq!(p.number(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn refuses_prefixes_scanners_could_mangle() {
        let p = |prefix: &str, digits| TagPattern {
            prefix: prefix.into(),
            digits,
            check_digit: false,
        };
        assert!(p("TS-", 6).check().is_ok());
        assert!(p("", 4).check().is_ok());
        assert!(p("T S", 6).check().is_err());
        assert!(p("TS\u{1b}", 6).check().is_err());
        assert!(p("TS-", 0).check().is_err());
        assert!(p("TS-", 13).check().is_err());
    }
}
