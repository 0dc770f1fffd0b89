//! Normalise and validate the raw bytes of one scan into a [`ScanText`].
//!
//! Every input (HID scanner, line input, camera) ends here: strip the trailing terminator,
//! reject empty input, control characters (except GS 0x1D, the GS1 FNC1 separator), invalid
//! UTF-8 and absurd lengths, and keep the exact raw bytes for the log.

use serde::Serialize;

/// Longest scan accepted, in bytes, after the terminator is stripped.
pub const MAX_SCAN_BYTES: usize = 256;

/// ASCII Group Separator: how scanners transmit the GS1 FNC1 separator.
pub const GS: u8 = 0x1D;

/// Why raw scan bytes were rejected. `Display` is for engineers and logs;
/// [`TextError::user_message`] is for the person at the station.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("empty scan (nothing left after stripping the terminator)")]
    Empty,
    #[error("scan too long: {len} bytes, the limit is {max}")]
    TooLong { len: usize, max: usize },
    #[error("scan is not valid UTF-8 (first bad byte at offset {valid_up_to})")]
    InvalidUtf8 { valid_up_to: usize },
    #[error("scan contains control character U+{code:04X} at byte offset {offset}")]
    ControlChar { code: u32, offset: usize },
}

impl TextError {
    /// A plain-words message for a shop worker: what happened and what to do.
    pub fn user_message(&self) -> &'static str {
        match self {
            TextError::Empty => "Nothing was read. Try scanning again.",
            TextError::TooLong { .. } => {
                "That code is too long to be a tag. Scan only the tag's code."
            }
            TextError::InvalidUtf8 { .. } | TextError::ControlChar { .. } => {
                "That code could not be read. Try scanning again."
            }
        }
    }
}

/// A validated scan: printable text (plus GS), with the exact bytes that arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanText {
    text: String,
    #[serde(skip)]
    raw: Vec<u8>,
    is_ascii: bool,
}

impl ScanText {
    /// Validate raw bytes as received (a trailing `\r`, `\n` or `\t` run is stripped).
    pub fn from_bytes(raw: &[u8]) -> Result<Self, TextError> {
        let mut end = raw.len();
        while end > 0 && matches!(raw[end - 1], b'\r' | b'\n' | b'\t') {
            end -= 1;
        }
        let body = &raw[..end];
        if body.len() > MAX_SCAN_BYTES {
            return Err(TextError::TooLong {
                len: body.len(),
                max: MAX_SCAN_BYTES,
            });
        }
        if body.is_empty() {
            return Err(TextError::Empty);
        }
        let text = std::str::from_utf8(body).map_err(|e| TextError::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        for (offset, ch) in text.char_indices() {
            if ch.is_control() && ch != GS as char {
                return Err(TextError::ControlChar {
                    code: ch as u32,
                    offset,
                });
            }
        }
        Ok(ScanText {
            text: text.to_owned(),
            raw: raw.to_vec(),
            is_ascii: text.is_ascii(),
        })
    }

    /// Convenience for `from_bytes(s.as_bytes())`.
    pub fn parse(s: &str) -> Result<Self, TextError> {
        Self::from_bytes(s.as_bytes())
    }

    /// The validated text, terminator stripped.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The exact bytes as received, terminator included.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// True when every character is ASCII. Non-ASCII text is accepted, but a tag printed by us
    /// is always ASCII, so a non-ASCII scan may hold look-alike characters (e.g. Cyrillic `а`).
    pub fn is_ascii(&self) -> bool {
        self.is_ascii
    }

    /// The non-ASCII characters and their byte offsets, for a warning next to the scan.
    pub fn non_ascii(&self) -> Vec<(usize, char)> {
        self.text
            .char_indices()
            .filter(|(_, c)| !c.is_ascii())
            .collect()
    }

    /// True when the text holds a GS (FNC1) separator, i.e. it is probably a GS1 element string.
    pub fn has_gs(&self) -> bool {
        self.text.as_bytes().contains(&GS)
    }

    /// The text with GS shown as `<GS>`, for logs and screens.
    pub fn display_safe(&self) -> String {
        self.text.replace(GS as char, "<GS>")
    }
}

impl std::fmt::Display for ScanText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display_safe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_terminators_and_keeps_raw() {
        let t = ScanText::from_bytes(b"TAG-001\r\n").unwrap();
        assert_eq!(t.as_str(), "TAG-001");
        assert_eq!(t.raw(), b"TAG-001\r\n");
        assert!(t.is_ascii());
        assert_eq!(ScanText::parse("A\t").unwrap().as_str(), "A");
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(ScanText::from_bytes(b"\r\n"), Err(TextError::Empty));
        assert_eq!(
            ScanText::from_bytes(b"ab\x07c"),
            Err(TextError::ControlChar { code: 7, offset: 2 })
        );
        assert_eq!(
            ScanText::from_bytes(b"ab\xffc"),
            Err(TextError::InvalidUtf8 { valid_up_to: 2 })
        );
        assert!(matches!(
            ScanText::from_bytes(&[b'1'; 257]),
            Err(TextError::TooLong { len: 257, .. })
        ));
        assert!(ScanText::from_bytes(&[b'1'; 256]).is_ok());
        // a terminator in the middle is a control character
        assert!(ScanText::from_bytes(b"a\nb").is_err());
        // C1 control
        assert!(ScanText::parse("a\u{85}b").is_err());
    }

    #[test]
    fn gs_and_non_ascii() {
        let t = ScanText::from_bytes(b"]C1010950600013435210LOT\x1d21X").unwrap();
        assert!(t.has_gs());
        assert!(t.display_safe().contains("<GS>"));
        let c = ScanText::parse("T\u{0430}G").unwrap(); // Cyrillic a
        assert!(!c.is_ascii());
        assert_eq!(c.non_ascii(), vec![(1, '\u{430}')]);
    }

    #[test]
    fn user_messages_are_plain() {
        for e in [
            TextError::Empty,
            TextError::TooLong { len: 300, max: 256 },
            TextError::InvalidUtf8 { valid_up_to: 0 },
            TextError::ControlChar { code: 1, offset: 0 },
        ] {
            let m = e.user_message();
            assert!(!m.contains("UTF") && !m.contains("byte"), "{m}");
            assert!(!e.to_string().is_empty());
        }
    }
}
