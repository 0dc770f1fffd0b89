//! The PDF's two standard fonts, Helvetica and Helvetica-Bold (no font file embedded:
//! every PDF reader has them), their widths for fitting text, and WinAnsi encoding.

/// Advance widths (1/1000 em) of WinAnsi codes 32..=126.
const REGULAR: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The ellipsis in WinAnsi.
pub(crate) const ELLIPSIS: u8 = 0x85;

/// `text` in WinAnsi: Latin-1 as is, a few typographic marks at their codes, anything
/// else (and control characters) as `?`.
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => ELLIPSIS,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Width of WinAnsi `bytes` in em (a 1 pt font: points).
pub(crate) fn width_em(bytes: &[u8], bold: bool) -> f32 {
    let table = if bold { &BOLD } else { &REGULAR };
    bytes
        .iter()
        .map(|&b| match b {
            32..=126 => table[(b - 32) as usize],
            ELLIPSIS => 1000,
            _ => 611, // accented letters: about a capital's width
        } as f32)
        .sum::<f32>()
        / 1000.0
}
