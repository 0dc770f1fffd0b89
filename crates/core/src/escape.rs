//! Untrusted text made safe for each place it is written to.
//!
//! Names, actors, locations and scanned text come from people, scanners and other
//! stations. The rules in [`crate::catalog`] keep control characters out of new
//! events, but history is forever and travels between stations, so every output path
//! escapes again:
//! - [`controls`] for terminals and logs: control characters (ESC, newline...) and
//!   Unicode direction overrides become visible `\u{1b}` escapes, so text can neither
//!   drive the terminal nor fake a line;
//! - [`csv_cell`] and [`csv_uncell`] for spreadsheets: a text cell that a spreadsheet
//!   would run as a formula gets a leading `'`, which import takes off again;
//! - [`percent`] for URLs: a path segment or query value percent-encoded;
//! - [`html`] for HTML written outside a template (an email's HTML part).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that change how a terminal shows the text around them: the C0 and C1
/// controls and DEL, and the Unicode bidirectional overrides and isolates.
fn dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character and direction override written as `\u{..}`
/// (`\n`, `\r` and `\t` as such). Text without any is returned as it is.
pub fn controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Does a spreadsheet read a cell starting with `c` as a formula (or as the `'` that
/// marks our own prefix)?
fn formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '\'')
}

/// A text cell for CSV export: controls escaped as for terminals, and a leading `'`
/// when the text starts with `=`, `+`, `-`, `@`, tab, CR or `'`, so a spreadsheet shows
/// it as text instead of running it. Only for text columns: numbers such as a quantity
/// of `-2` are written as they are.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let s = controls(s);
    match s.chars().next() {
        Some(c) if formula_start(c) => Cow::Owned(format!("'{s}")),
        _ => s,
    }
}

/// Undo [`csv_cell`]'s prefix on import: `'=SUM(A1)` becomes `=SUM(A1)` again and
/// `'-5 V probe` becomes `-5 V probe`. A `'` before anything else is kept.
pub fn csv_uncell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(formula_start) => rest,
        _ => s,
    }
}

/// `s` percent-encoded for a URL: every byte except the unreserved ASCII letters,
/// digits and `-_.~`, and the characters in `keep`, becomes `%XX`. Pass `""` for a
/// path segment or a query value, `"/"` for a whole path that stays a path.
pub fn percent(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || keep.as_bytes().contains(&b)
        {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `s` with `&`, `<`, `>`, `"` and `'` written as HTML character references: safe
/// as an element's text and inside a quoted attribute.
pub fn html(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_keeps_only_unreserved_and_the_given_characters() {
        assert_eq!(
            percent("Drill 03/é?&=#", ""),
            "Drill%2003%2F%C3%A9%3F%26%3D%23"
        );
        assert_eq!(percent("/items?q=a b", "/"), "/items%3Fq%3Da%20b");
        assert_eq!(percent("A-z_0.9~", ""), "A-z_0.9~");
    }

    #[test]
    fn controls_are_visible_and_plain_text_is_untouched() {
        assert!(matches!(controls("Drill 03"), Cow::Borrowed(_)));
        assert_eq!(
            controls("ana\u{1b}[2J\nINFO fake"),
            "ana\\u{1b}[2J\\nINFO fake"
        );
        assert_eq!(controls("a\u{202e}b\u{7f}"), "a\\u{202e}b\\u{7f}");
        assert_eq!(controls("Ünïcödé ✓"), "Ünïcödé ✓");
    }

    #[test]
    fn formula_cells_get_a_prefix_that_import_removes() {
        for text in [
            "=cmd|' /C calc'!A1",
            "+1",
            "-5 V probe",
            "@SUM(A1)",
            "'quoted",
            "''",
        ] {
            let cell = csv_cell(text);
            assert!(cell.starts_with('\''), "{text:?} -> {cell:?}");
            assert_eq!(csv_uncell(&cell), text, "round trip of {text:?}");
        }
        // A leading tab or CR is escaped to visible text first: no formula either way.
        assert_eq!(csv_cell("\tx"), "\\tx");
        assert_eq!(csv_cell("\r=1"), "\\r=1");
        for text in ["Drill", "5 V probe", "it's", ""] {
            assert_eq!(csv_cell(text), text);
            assert_eq!(csv_uncell(text), text);
        }
        assert_eq!(csv_uncell("'plain"), "'plain");
    }

    #[test]
    fn html_text_cannot_become_markup() {
        assert_eq!(html("Drill <b>&\"'"), "Drill &lt;b&gt;&amp;&quot;&#39;");
        assert!(matches!(html("plain"), Cow::Borrowed(_)));
    }
}
