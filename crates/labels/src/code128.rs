//! Code 128 (ISO/IEC 15417): printable ASCII in code set B, with runs of four or more
//! digits packed two to a symbol in code set C. The symbol is a row of modules: bars and
//! spaces, each 1 to 4 modules wide, six per symbol character (seven for the stop).

/// Bar and space widths of symbol values 0..=106 (106 is the stop, with its final bar).
const PATTERNS: [&[u8]; 107] = [
    &[2, 1, 2, 2, 2, 2],
    &[2, 2, 2, 1, 2, 2],
    &[2, 2, 2, 2, 2, 1],
    &[1, 2, 1, 2, 2, 3],
    &[1, 2, 1, 3, 2, 2],
    &[1, 3, 1, 2, 2, 2],
    &[1, 2, 2, 2, 1, 3],
    &[1, 2, 2, 3, 1, 2],
    &[1, 3, 2, 2, 1, 2],
    &[2, 2, 1, 2, 1, 3],
    &[2, 2, 1, 3, 1, 2],
    &[2, 3, 1, 2, 1, 2],
    &[1, 1, 2, 2, 3, 2],
    &[1, 2, 2, 1, 3, 2],
    &[1, 2, 2, 2, 3, 1],
    &[1, 1, 3, 2, 2, 2],
    &[1, 2, 3, 1, 2, 2],
    &[1, 2, 3, 2, 2, 1],
    &[2, 2, 3, 2, 1, 1],
    &[2, 2, 1, 1, 3, 2],
    &[2, 2, 1, 2, 3, 1],
    &[2, 1, 3, 2, 1, 2],
    &[2, 2, 3, 1, 1, 2],
    &[3, 1, 2, 1, 3, 1],
    &[3, 1, 1, 2, 2, 2],
    &[3, 2, 1, 1, 2, 2],
    &[3, 2, 1, 2, 2, 1],
    &[3, 1, 2, 2, 1, 2],
    &[3, 2, 2, 1, 1, 2],
    &[3, 2, 2, 2, 1, 1],
    &[2, 1, 2, 1, 2, 3],
    &[2, 1, 2, 3, 2, 1],
    &[2, 3, 2, 1, 2, 1],
    &[1, 1, 1, 3, 2, 3],
    &[1, 3, 1, 1, 2, 3],
    &[1, 3, 1, 3, 2, 1],
    &[1, 1, 2, 3, 1, 3],
    &[1, 3, 2, 1, 1, 3],
    &[1, 3, 2, 3, 1, 1],
    &[2, 1, 1, 3, 1, 3],
    &[2, 3, 1, 1, 1, 3],
    &[2, 3, 1, 3, 1, 1],
    &[1, 1, 2, 1, 3, 3],
    &[1, 1, 2, 3, 3, 1],
    &[1, 3, 2, 1, 3, 1],
    &[1, 1, 3, 1, 2, 3],
    &[1, 1, 3, 3, 2, 1],
    &[1, 3, 3, 1, 2, 1],
    &[3, 1, 3, 1, 2, 1],
    &[2, 1, 1, 3, 3, 1],
    &[2, 3, 1, 1, 3, 1],
    &[2, 1, 3, 1, 1, 3],
    &[2, 1, 3, 3, 1, 1],
    &[2, 1, 3, 1, 3, 1],
    &[3, 1, 1, 1, 2, 3],
    &[3, 1, 1, 3, 2, 1],
    &[3, 3, 1, 1, 2, 1],
    &[3, 1, 2, 1, 1, 3],
    &[3, 1, 2, 3, 1, 1],
    &[3, 3, 2, 1, 1, 1],
    &[3, 1, 4, 1, 1, 1],
    &[2, 2, 1, 4, 1, 1],
    &[4, 3, 1, 1, 1, 1],
    &[1, 1, 1, 2, 2, 4],
    &[1, 1, 1, 4, 2, 2],
    &[1, 2, 1, 1, 2, 4],
    &[1, 2, 1, 4, 2, 1],
    &[1, 4, 1, 1, 2, 2],
    &[1, 4, 1, 2, 2, 1],
    &[1, 1, 2, 2, 1, 4],
    &[1, 1, 2, 4, 1, 2],
    &[1, 2, 2, 1, 1, 4],
    &[1, 2, 2, 4, 1, 1],
    &[1, 4, 2, 1, 1, 2],
    &[1, 4, 2, 2, 1, 1],
    &[2, 4, 1, 2, 1, 1],
    &[2, 2, 1, 1, 1, 4],
    &[4, 1, 3, 1, 1, 1],
    &[2, 4, 1, 1, 1, 2],
    &[1, 3, 4, 1, 1, 1],
    &[1, 1, 1, 2, 4, 2],
    &[1, 2, 1, 1, 4, 2],
    &[1, 2, 1, 2, 4, 1],
    &[1, 1, 4, 2, 1, 2],
    &[1, 2, 4, 1, 1, 2],
    &[1, 2, 4, 2, 1, 1],
    &[4, 1, 1, 2, 1, 2],
    &[4, 2, 1, 1, 1, 2],
    &[4, 2, 1, 2, 1, 1],
    &[2, 1, 2, 1, 4, 1],
    &[2, 1, 4, 1, 2, 1],
    &[4, 1, 2, 1, 2, 1],
    &[1, 1, 1, 1, 4, 3],
    &[1, 1, 1, 3, 4, 1],
    &[1, 3, 1, 1, 4, 1],
    &[1, 1, 4, 1, 1, 3],
    &[1, 1, 4, 3, 1, 1],
    &[4, 1, 1, 1, 1, 3],
    &[4, 1, 1, 3, 1, 1],
    &[1, 1, 3, 1, 4, 1],
    &[1, 1, 4, 1, 3, 1],
    &[3, 1, 1, 1, 4, 1],
    &[4, 1, 1, 1, 3, 1],
    &[2, 1, 1, 4, 1, 2],
    &[2, 1, 1, 2, 1, 4],
    &[2, 1, 1, 2, 3, 2],
    &[2, 3, 3, 1, 1, 1, 2],
];

const CODE_C: u8 = 99;
const CODE_B: u8 = 100;
const START_B: u8 = 104;
const START_C: u8 = 105;
const STOP: u8 = 106;

/// The symbol values of `text` (start, data, check, stop), or the first character
/// Code 128 set B cannot carry (anything outside printable ASCII).
pub(crate) fn values(text: &str) -> Result<Vec<u8>, char> {
    if let Some(c) = text.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(c);
    }
    let b = text.as_bytes();
    // Length of the run of digits starting at i.
    let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut out = Vec::with_capacity(b.len() + 4);
    let mut i = 0;
    // Set C pays off for a run of 4+ digits (or a whole text of 2+ digits).
    let c_run = |i: usize| {
        let n = digits(i);
        n >= 4 || (n >= 2 && n == b.len() - i && i == 0)
    };
    let mut in_c = c_run(0);
    out.push(if in_c { START_C } else { START_B });
    while i < b.len() {
        if in_c {
            if digits(i) >= 2 {
                out.push((b[i] - b'0') * 10 + (b[i + 1] - b'0'));
                i += 2;
                continue;
            }
            out.push(CODE_B);
            in_c = false;
        } else if c_run(i) {
            // An odd run: one digit in B first, so the rest packs in pairs.
            if digits(i) % 2 == 1 {
                out.push(b[i] - b' ');
                i += 1;
            }
            out.push(CODE_C);
            in_c = true;
        } else {
            out.push(b[i] - b' ');
            i += 1;
        }
    }
    let check = out
        .iter()
        .enumerate()
        .map(|(k, &v)| v as u32 * (k as u32).max(1))
        .sum::<u32>()
        % 103;
    out.push(check as u8);
    out.push(STOP);
    Ok(out)
}

/// The modules (true = bar) of `text`, without quiet zones.
pub(crate) fn modules(text: &str) -> Result<Vec<bool>, char> {
    let mut row = Vec::new();
    for v in values(text)? {
        for (k, &w) in PATTERNS[v as usize].iter().enumerate() {
            row.extend(std::iter::repeat_n(k % 2 == 0, w as usize));
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_is_eleven_modules_and_the_stop_thirteen() {
        for (v, p) in PATTERNS.iter().enumerate() {
            let sum: u8 = p.iter().sum();
            assert_eq!(sum, if v == 106 { 13 } else { 11 }, "value {v}");
        }
    }

    #[test]
    fn digits_pack_in_set_c_and_letters_stay_in_b() {
        // T S - then Code C, 00 01 23, check, stop.
        let v = values("TS-000123").unwrap();
        assert_eq!(&v[..5], &[START_B, 52, 51, 13, CODE_C]);
        assert_eq!(&v[5..8], &[0, 1, 23]);
        assert_eq!(v.len(), 10);
        // An odd run keeps its first digit in B.
        let v = values("A12345").unwrap();
        assert_eq!(&v[..4], &[START_B, 33, 17, CODE_C]);
        assert_eq!(values("1234").unwrap()[0], START_C);
        assert_eq!(values("12").unwrap()[..2], [START_C, 12]);
        assert_eq!(values("ab").unwrap()[0], START_B);
    }

    #[test]
    fn the_check_value_is_the_weighted_sum() {
        // Set B throughout: 104 + 48×1 + 42×2 + 42×3 + 17×4 + 18×5 + 19×6 + 35×7 = 879,
        // and 879 mod 103 = 55.
        let v = values("PJJ123C").unwrap();
        assert_eq!(v[0], START_B);
        assert_eq!(v[v.len() - 2], 55);
    }

    #[test]
    fn non_ascii_is_refused() {
        assert_eq!(values("TS-é"), Err('é'));
        assert_eq!(values("a\tb"), Err('\t'));
    }
}
