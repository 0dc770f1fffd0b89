//! Pure decoder for keyboard-wedge (HID) barcode scanners, and an `evemu-record` parser.
//!
//! Input is Linux input events `(timestamp_us, type, code, value)`; output is finished scans,
//! told apart from a person typing by inter-key timing. No I/O here: the live evdev backend
//! (`hid_live`, feature `hid`) and the replay source both feed this decoder.

use std::str::FromStr;

/// `EV_SYN` from linux/input-event-codes.h.
pub const EV_SYN: u16 = 0x00;
/// `EV_KEY`.
pub const EV_KEY: u16 = 0x01;
/// `EV_MSC`.
pub const EV_MSC: u16 = 0x04;

/// Key codes from linux/input-event-codes.h used by the layouts.
#[allow(missing_docs)]
pub mod keys {
    pub const KEY_ESC: u16 = 1;
    pub const KEY_1: u16 = 2;
    pub const KEY_2: u16 = 3;
    pub const KEY_3: u16 = 4;
    pub const KEY_4: u16 = 5;
    pub const KEY_5: u16 = 6;
    pub const KEY_6: u16 = 7;
    pub const KEY_7: u16 = 8;
    pub const KEY_8: u16 = 9;
    pub const KEY_9: u16 = 10;
    pub const KEY_0: u16 = 11;
    pub const KEY_MINUS: u16 = 12;
    pub const KEY_EQUAL: u16 = 13;
    pub const KEY_BACKSPACE: u16 = 14;
    pub const KEY_TAB: u16 = 15;
    pub const KEY_Q: u16 = 16;
    pub const KEY_W: u16 = 17;
    pub const KEY_E: u16 = 18;
    pub const KEY_R: u16 = 19;
    pub const KEY_T: u16 = 20;
    pub const KEY_Y: u16 = 21;
    pub const KEY_U: u16 = 22;
    pub const KEY_I: u16 = 23;
    pub const KEY_O: u16 = 24;
    pub const KEY_P: u16 = 25;
    pub const KEY_LEFTBRACE: u16 = 26;
    pub const KEY_RIGHTBRACE: u16 = 27;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_LEFTCTRL: u16 = 29;
    pub const KEY_A: u16 = 30;
    pub const KEY_S: u16 = 31;
    pub const KEY_D: u16 = 32;
    pub const KEY_F: u16 = 33;
    pub const KEY_G: u16 = 34;
    pub const KEY_H: u16 = 35;
    pub const KEY_J: u16 = 36;
    pub const KEY_K: u16 = 37;
    pub const KEY_L: u16 = 38;
    pub const KEY_SEMICOLON: u16 = 39;
    pub const KEY_APOSTROPHE: u16 = 40;
    pub const KEY_GRAVE: u16 = 41;
    pub const KEY_LEFTSHIFT: u16 = 42;
    pub const KEY_BACKSLASH: u16 = 43;
    pub const KEY_Z: u16 = 44;
    pub const KEY_X: u16 = 45;
    pub const KEY_C: u16 = 46;
    pub const KEY_V: u16 = 47;
    pub const KEY_B: u16 = 48;
    pub const KEY_N: u16 = 49;
    pub const KEY_M: u16 = 50;
    pub const KEY_COMMA: u16 = 51;
    pub const KEY_DOT: u16 = 52;
    pub const KEY_SLASH: u16 = 53;
    pub const KEY_RIGHTSHIFT: u16 = 54;
    pub const KEY_KPASTERISK: u16 = 55;
    pub const KEY_LEFTALT: u16 = 56;
    pub const KEY_SPACE: u16 = 57;
    pub const KEY_CAPSLOCK: u16 = 58;
    pub const KEY_KP7: u16 = 71;
    pub const KEY_KP8: u16 = 72;
    pub const KEY_KP9: u16 = 73;
    pub const KEY_KPMINUS: u16 = 74;
    pub const KEY_KP4: u16 = 75;
    pub const KEY_KP5: u16 = 76;
    pub const KEY_KP6: u16 = 77;
    pub const KEY_KPPLUS: u16 = 78;
    pub const KEY_KP1: u16 = 79;
    pub const KEY_KP2: u16 = 80;
    pub const KEY_KP3: u16 = 81;
    pub const KEY_KP0: u16 = 82;
    pub const KEY_KPDOT: u16 = 83;
    pub const KEY_102ND: u16 = 86;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_RIGHTCTRL: u16 = 97;
    pub const KEY_KPSLASH: u16 = 98;
    pub const KEY_RIGHTALT: u16 = 100;
    pub const KEY_NUMLOCK: u16 = 69;
    pub const KEY_SCROLLLOCK: u16 = 70;
    pub const KEY_LEFTMETA: u16 = 125;
    pub const KEY_RIGHTMETA: u16 = 126;
}
use keys::*;

/// A keyboard layout the scanner is configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// US QWERTY
    Us,
    /// German QWERTZ (T1)
    De,
}

/// Unknown layout name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown keyboard layout {0:?} (known: us, de)")]
pub struct UnknownLayout(pub String);

impl FromStr for Layout {
    type Err = UnknownLayout;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "us" | "en-us" | "en_us" | "qwerty" => Ok(Layout::Us),
            "de" | "de-de" | "de_de" | "qwertz" | "german" => Ok(Layout::De),
            _ => Err(UnknownLayout(s.to_owned())),
        }
    }
}

const LETTERS: &[(u16, char)] = &[
    (KEY_Q, 'q'),
    (KEY_W, 'w'),
    (KEY_E, 'e'),
    (KEY_R, 'r'),
    (KEY_T, 't'),
    (KEY_Y, 'y'),
    (KEY_U, 'u'),
    (KEY_I, 'i'),
    (KEY_O, 'o'),
    (KEY_P, 'p'),
    (KEY_A, 'a'),
    (KEY_S, 's'),
    (KEY_D, 'd'),
    (KEY_F, 'f'),
    (KEY_G, 'g'),
    (KEY_H, 'h'),
    (KEY_J, 'j'),
    (KEY_K, 'k'),
    (KEY_L, 'l'),
    (KEY_Z, 'z'),
    (KEY_X, 'x'),
    (KEY_C, 'c'),
    (KEY_V, 'v'),
    (KEY_B, 'b'),
    (KEY_N, 'n'),
    (KEY_M, 'm'),
];

/// Keypad keys (NumLock assumed on, as scanners send them).
fn keypad(code: u16, layout: Layout) -> Option<char> {
    Some(match code {
        KEY_KP0 => '0',
        KEY_KP1 => '1',
        KEY_KP2 => '2',
        KEY_KP3 => '3',
        KEY_KP4 => '4',
        KEY_KP5 => '5',
        KEY_KP6 => '6',
        KEY_KP7 => '7',
        KEY_KP8 => '8',
        KEY_KP9 => '9',
        KEY_KPASTERISK => '*',
        KEY_KPMINUS => '-',
        KEY_KPPLUS => '+',
        KEY_KPSLASH => '/',
        KEY_KPDOT => match layout {
            Layout::Us => '.',
            Layout::De => ',',
        },
        _ => return None,
    })
}

/// Modifier state while translating one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mods {
    pub shift: bool,
    pub altgr: bool,
    pub ctrl: bool,
    pub caps: bool,
}

impl Layout {
    /// Translate one key press to a character, or `None` if the key has no character here.
    pub fn translate(self, code: u16, m: Mods) -> Option<char> {
        if m.ctrl {
            // FNC1/GS as most scanners send it: Ctrl + the key right of P (`]` on US, `+` on DE)
            return (code == KEY_RIGHTBRACE).then_some('\u{1D}');
        }
        if code == KEY_SPACE {
            return Some(' ');
        }
        if let Some(c) = keypad(code, self) {
            return Some(c);
        }
        if m.altgr {
            return match self {
                Layout::Us => None,
                Layout::De => Some(match code {
                    KEY_2 => '²',
                    KEY_3 => '³',
                    KEY_7 => '{',
                    KEY_8 => '[',
                    KEY_9 => ']',
                    KEY_0 => '}',
                    KEY_MINUS => '\\',
                    KEY_Q => '@',
                    KEY_E => '€',
                    KEY_RIGHTBRACE => '~',
                    KEY_102ND => '|',
                    KEY_M => 'µ',
                    _ => return None,
                }),
            };
        }
        // letters, with the QWERTZ swap
        let code_for_letter = match (self, code) {
            (Layout::De, KEY_Y) => KEY_Z,
            (Layout::De, KEY_Z) => KEY_Y,
            _ => code,
        };
        if let Some(&(_, c)) = LETTERS.iter().find(|(k, _)| *k == code_for_letter) {
            return Some(if m.shift ^ m.caps {
                c.to_ascii_uppercase()
            } else {
                c
            });
        }
        let s = m.shift;
        let pick = |plain: char, shifted: char| Some(if s { shifted } else { plain });
        match self {
            Layout::Us => match code {
                KEY_1 => pick('1', '!'),
                KEY_2 => pick('2', '@'),
                KEY_3 => pick('3', '#'),
                KEY_4 => pick('4', '$'),
                KEY_5 => pick('5', '%'),
                KEY_6 => pick('6', '^'),
                KEY_7 => pick('7', '&'),
                KEY_8 => pick('8', '*'),
                KEY_9 => pick('9', '('),
                KEY_0 => pick('0', ')'),
                KEY_MINUS => pick('-', '_'),
                KEY_EQUAL => pick('=', '+'),
                KEY_LEFTBRACE => pick('[', '{'),
                KEY_RIGHTBRACE => pick(']', '}'),
                KEY_SEMICOLON => pick(';', ':'),
                KEY_APOSTROPHE => pick('\'', '"'),
                KEY_GRAVE => pick('`', '~'),
                KEY_BACKSLASH | KEY_102ND => pick('\\', '|'),
                KEY_COMMA => pick(',', '<'),
                KEY_DOT => pick('.', '>'),
                KEY_SLASH => pick('/', '?'),
                _ => None,
            },
            Layout::De => match code {
                KEY_1 => pick('1', '!'),
                KEY_2 => pick('2', '"'),
                KEY_3 => pick('3', '§'),
                KEY_4 => pick('4', '$'),
                KEY_5 => pick('5', '%'),
                KEY_6 => pick('6', '&'),
                KEY_7 => pick('7', '/'),
                KEY_8 => pick('8', '('),
                KEY_9 => pick('9', ')'),
                KEY_0 => pick('0', '='),
                KEY_MINUS => pick('ß', '?'),
                // dead keys on a desktop; a scanner's single press stands for the accent itself
                KEY_EQUAL => pick('´', '`'),
                KEY_LEFTBRACE => pick('ü', 'Ü'),
                KEY_RIGHTBRACE => pick('+', '*'),
                KEY_SEMICOLON => pick('ö', 'Ö'),
                KEY_APOSTROPHE => pick('ä', 'Ä'),
                KEY_GRAVE => pick('^', '°'),
                KEY_BACKSLASH => pick('#', '\''),
                KEY_102ND => pick('<', '>'),
                KEY_COMMA => pick(',', ';'),
                KEY_DOT => pick('.', ':'),
                KEY_SLASH => pick('-', '_'),
                _ => None,
            },
        }
    }
}

/// Timing and size limits of the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HidConfig {
    pub layout: Layout,
    /// Largest gap between two key presses of one scanner burst (default 30 ms).
    pub max_gap_us: u64,
    /// Characters buffered before a stream without a terminator is dropped (default 512).
    pub max_len: usize,
    /// If set, a burst followed by this much silence ends even without Enter/Tab
    /// (for scanners configured without a suffix). Only checked by [`HidDecoder::poll_idle`].
    pub idle_end_us: Option<u64>,
}

impl Default for HidConfig {
    fn default() -> Self {
        HidConfig {
            layout: Layout::Us,
            max_gap_us: 30_000,
            max_len: 512,
            idle_end_us: None,
        }
    }
}

/// How a finished key sequence was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Origin {
    /// every key within the burst gap: a scanner
    Scanner,
    /// at least one gap longer than the burst gap: a person typing
    Typed,
}

/// What the decoder reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HidOutput {
    /// A finished key sequence (terminator not included in `text`).
    Line {
        text: String,
        origin: Origin,
        /// timestamp of the first key press
        first_us: u64,
        /// timestamp of the terminating key press
        last_us: u64,
        /// largest gap between two key presses, terminator included
        max_gap_us: u64,
        /// key presses that had no character in this layout (the scan should be distrusted)
        unmapped: u32,
    },
    /// The buffer hit `max_len` without a terminator: dropped and reset.
    Overflow { dropped: usize, at_us: u64 },
}

/// The stateful key-event decoder. Feed it every event of one device in order.
#[derive(Debug, Clone)]
pub struct HidDecoder {
    cfg: HidConfig,
    left_shift: bool,
    right_shift: bool,
    ctrl_l: bool,
    ctrl_r: bool,
    altgr: bool,
    caps: bool,
    buf: String,
    chars: usize,
    first_us: u64,
    last_us: u64,
    max_gap_us: u64,
    unmapped: u32,
    /// a line is in progress (some key pressed since the last terminator)
    started: bool,
    /// set after an overflow: swallow keys until the next terminator
    discarding: bool,
}

impl HidDecoder {
    pub fn new(cfg: HidConfig) -> Self {
        HidDecoder {
            cfg,
            left_shift: false,
            right_shift: false,
            ctrl_l: false,
            ctrl_r: false,
            altgr: false,
            caps: false,
            buf: String::new(),
            chars: 0,
            first_us: 0,
            last_us: 0,
            max_gap_us: 0,
            unmapped: 0,
            started: false,
            discarding: false,
        }
    }

    pub fn config(&self) -> &HidConfig {
        &self.cfg
    }

    /// Forget any partial input and modifier state (e.g. after the device was replugged).
    pub fn reset(&mut self) {
        *self = HidDecoder::new(self.cfg);
    }

    fn clear_buf(&mut self) {
        self.buf.clear();
        self.chars = 0;
        self.max_gap_us = 0;
        self.unmapped = 0;
        self.started = false;
    }

    /// Feed one input event; returns a finished line or overflow when there is one.
    pub fn feed(&mut self, ts_us: u64, ev_type: u16, code: u16, value: i32) -> Option<HidOutput> {
        if ev_type != EV_KEY {
            return None;
        }
        let down = match value {
            1 => true,
            0 => false,
            _ => return None, // 2 = autorepeat: a scanner never means it
        };
        match code {
            KEY_LEFTSHIFT => self.left_shift = down,
            KEY_RIGHTSHIFT => self.right_shift = down,
            KEY_LEFTCTRL => self.ctrl_l = down,
            KEY_RIGHTCTRL => self.ctrl_r = down,
            KEY_RIGHTALT => self.altgr = down,
            KEY_CAPSLOCK if down => self.caps = !self.caps,
            // modifiers and locks without a meaning for scans
            KEY_LEFTALT | KEY_LEFTMETA | KEY_RIGHTMETA | KEY_NUMLOCK | KEY_SCROLLLOCK
            | KEY_CAPSLOCK => {}
            _ if !down => {}
            KEY_ENTER | KEY_KPENTER | KEY_TAB => return self.finish(ts_us),
            KEY_BACKSPACE => {
                self.touch(ts_us);
                if self.buf.pop().is_some() {
                    self.chars -= 1;
                }
            }
            _ => {
                if self.discarding {
                    return None;
                }
                let mods = Mods {
                    shift: self.left_shift || self.right_shift,
                    altgr: self.altgr,
                    ctrl: self.ctrl_l || self.ctrl_r,
                    caps: self.caps,
                };
                self.touch(ts_us);
                match self.cfg.layout.translate(code, mods) {
                    Some(c) => {
                        self.buf.push(c);
                        self.chars += 1;
                    }
                    None => {
                        self.unmapped = self.unmapped.saturating_add(1);
                        tracing::debug!(code, "HID key without a character in this layout");
                    }
                }
                if self.chars >= self.cfg.max_len {
                    let dropped = self.chars;
                    tracing::warn!(
                        dropped,
                        "HID stream without terminator exceeded max length; dropped"
                    );
                    self.clear_buf();
                    self.discarding = true;
                    return Some(HidOutput::Overflow {
                        dropped,
                        at_us: ts_us,
                    });
                }
            }
        }
        None
    }

    /// Record a key press time (first key of a line, or the gap since the previous one).
    fn touch(&mut self, ts_us: u64) {
        if !self.started {
            self.started = true;
            self.first_us = ts_us;
        } else {
            self.max_gap_us = self.max_gap_us.max(ts_us.saturating_sub(self.last_us));
        }
        self.last_us = ts_us;
    }

    fn finish(&mut self, ts_us: u64) -> Option<HidOutput> {
        if self.discarding {
            self.discarding = false;
            self.clear_buf();
            return None;
        }
        if self.buf.is_empty() && self.unmapped == 0 {
            self.clear_buf();
            return None; // a bare Enter, or everything erased
        }
        let max_gap_us = self.max_gap_us.max(ts_us.saturating_sub(self.last_us));
        let origin = if max_gap_us <= self.cfg.max_gap_us {
            Origin::Scanner
        } else {
            Origin::Typed
        };
        let out = HidOutput::Line {
            text: std::mem::take(&mut self.buf),
            origin,
            first_us: self.first_us,
            last_us: ts_us,
            max_gap_us,
            unmapped: self.unmapped,
        };
        self.clear_buf();
        Some(out)
    }

    /// Call when no event arrived for a while: ends a suffix-less scanner burst after
    /// `idle_end_us` of silence, and drops a half-typed line after 10 s.
    pub fn poll_idle(&mut self, now_us: u64) -> Option<HidOutput> {
        if !self.started && !self.discarding {
            return None;
        }
        let idle = now_us.saturating_sub(self.last_us);
        if let Some(limit) = self.cfg.idle_end_us {
            if idle >= limit && self.max_gap_us <= self.cfg.max_gap_us && !self.discarding {
                let last = self.last_us;
                let mut out = self.finish(last);
                if let Some(HidOutput::Line { last_us, .. }) = &mut out {
                    *last_us = last;
                }
                return out;
            }
        }
        if idle >= 10_000_000 {
            self.clear_buf();
            self.discarding = false;
        }
        None
    }
}

/// One event of an evemu recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputEvent {
    pub ts_us: u64,
    pub ev_type: u16,
    pub code: u16,
    pub value: i32,
}

/// A parsed `evemu-record` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvemuRecording {
    /// from the `N:` line
    pub name: Option<String>,
    /// bus, vendor, product, version from the `I:` line
    pub id: Option<(u16, u16, u16, u16)>,
    pub events: Vec<InputEvent>,
}

/// A line of an evemu file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("evemu line {line}: {reason}: {text:?}")]
pub struct EvemuError {
    pub line: usize,
    pub reason: &'static str,
    pub text: String,
}

/// Parse `evemu-record` text: `E: sec.usec type code value` lines (type/code hex, value
/// decimal); `#` comments and `N:`, `I:`, `P:`, `B:`, `A:`, `L:`, `S:` headers are skipped.
pub fn parse_evemu(text: &str) -> Result<EvemuRecording, EvemuError> {
    let mut rec = EvemuRecording::default();
    for (i, raw_line) in text.lines().enumerate() {
        let line = raw_line.split('#').next().unwrap_or("").trim();
        let err = |reason| EvemuError {
            line: i + 1,
            reason,
            text: raw_line.chars().take(80).collect(),
        };
        if line.is_empty() {
            continue;
        }
        let (tag, rest) = line.split_once(':').ok_or_else(|| err("no tag"))?;
        let rest = rest.trim();
        match tag {
            "E" => {
                let mut it = rest.split_whitespace();
                let (Some(ts), Some(t), Some(c), Some(v), None) =
                    (it.next(), it.next(), it.next(), it.next(), it.next())
                else {
                    return Err(err("expected `sec.usec type code value`"));
                };
                let (sec, usec) = ts.split_once('.').ok_or_else(|| err("bad timestamp"))?;
                let sec: u64 = sec.parse().map_err(|_| err("bad seconds"))?;
                if usec.len() != 6 {
                    return Err(err("microseconds must have 6 digits"));
                }
                let usec: u64 = usec.parse().map_err(|_| err("bad microseconds"))?;
                rec.events.push(InputEvent {
                    ts_us: sec
                        .checked_mul(1_000_000)
                        .and_then(|s| s.checked_add(usec))
                        .ok_or_else(|| err("timestamp overflow"))?,
                    ev_type: u16::from_str_radix(t, 16).map_err(|_| err("bad type"))?,
                    code: u16::from_str_radix(c, 16).map_err(|_| err("bad code"))?,
                    value: v.parse().map_err(|_| err("bad value"))?,
                });
            }
            "N" => rec.name = Some(rest.to_owned()),
            "I" => {
                let v: Vec<u16> = rest
                    .split_whitespace()
                    .filter_map(|x| u16::from_str_radix(x, 16).ok())
                    .collect();
                if let [bus, vendor, product, version] = v[..] {
                    rec.id = Some((bus, vendor, product, version));
                }
            }
            "P" | "B" | "A" | "L" | "S" | "R" => {}
            _ => return Err(err("unknown line tag")),
        }
    }
    Ok(rec)
}

/// Run a whole recording through a fresh decoder (tests, support, `decode`-like checks).
pub fn replay(events: &[InputEvent], cfg: HidConfig) -> Vec<HidOutput> {
    let mut dec = HidDecoder::new(cfg);
    let mut out = Vec::new();
    for e in events {
        if let Some(idle_out) = dec.poll_idle(e.ts_us) {
            out.push(idle_out);
        }
        if let Some(o) = dec.feed(e.ts_us, e.ev_type, e.code, e.value) {
            out.push(o);
        }
    }
    if let Some(last) = events.last() {
        if let Some(o) = dec.poll_idle(last.ts_us.saturating_add(20_000_000)) {
            out.push(o);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(d: &mut HidDecoder, t: &mut u64, code: u16, shift: bool) -> Option<HidOutput> {
        if shift {
            d.feed(*t, EV_KEY, KEY_LEFTSHIFT, 1);
        }
        let o = d.feed(*t, EV_KEY, code, 1);
        d.feed(*t + 500, EV_KEY, code, 0);
        if shift {
            d.feed(*t + 600, EV_KEY, KEY_LEFTSHIFT, 0);
        }
        *t += 4_000;
        o
    }

    #[test]
    fn us_burst_is_scan() {
        let mut d = HidDecoder::new(HidConfig::default());
        let mut t = 1_000_000;
        for (k, s) in [
            (KEY_A, true),
            (KEY_1, false),
            (KEY_MINUS, false),
            (KEY_2, true),
        ] {
            assert!(press(&mut d, &mut t, k, s).is_none());
        }
        match press(&mut d, &mut t, KEY_ENTER, false) {
            Some(HidOutput::Line { text, origin, .. }) => {
                assert_eq!(text, "A1-@");
                assert_eq!(origin, Origin::Scanner);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn de_layout_swaps_and_symbols() {
        let cfg = HidConfig {
            layout: Layout::De,
            ..HidConfig::default()
        };
        let mut d = HidDecoder::new(cfg);
        let mut t = 0;
        for (k, s) in [
            (KEY_Y, false),
            (KEY_Z, false),
            (KEY_SLASH, false),
            (KEY_7, true),
            (KEY_LEFTBRACE, false),
        ] {
            press(&mut d, &mut t, k, s);
        }
        let Some(HidOutput::Line { text, .. }) = press(&mut d, &mut t, KEY_TAB, false) else {
            panic!()
        };
        assert_eq!(text, "zy-/ü");
    }

    #[test]
    fn slow_is_typed_and_autorepeat_ignored() {
        let mut d = HidDecoder::new(HidConfig::default());
        d.feed(0, EV_KEY, KEY_1, 1);
        d.feed(100, EV_KEY, KEY_1, 2);
        d.feed(200, EV_KEY, KEY_1, 2);
        d.feed(300, EV_KEY, KEY_1, 0);
        d.feed(200_000, EV_KEY, KEY_2, 1);
        let o = d.feed(400_000, EV_KEY, KEY_KPENTER, 1);
        assert!(
            matches!(o, Some(HidOutput::Line { ref text, origin: Origin::Typed, .. }) if text == "12")
        );
    }

    #[test]
    fn overflow_resets() {
        let cfg = HidConfig {
            max_len: 4,
            ..HidConfig::default()
        };
        let mut d = HidDecoder::new(cfg);
        let mut outs = vec![];
        for i in 0..10u64 {
            if let Some(o) = d.feed(i * 1000, EV_KEY, KEY_5, 1) {
                outs.push(o);
            }
        }
        assert!(matches!(outs[0], HidOutput::Overflow { dropped: 4, .. }));
        // the rest of that stream is swallowed up to its terminator
        assert_eq!(d.feed(20_000, EV_KEY, KEY_ENTER, 1), None);
        d.feed(21_000, EV_KEY, KEY_7, 1);
        assert!(matches!(
            d.feed(22_000, EV_KEY, KEY_ENTER, 1),
            Some(HidOutput::Line { .. })
        ));
    }

    #[test]
    fn ctrl_bracket_is_gs() {
        let mut d = HidDecoder::new(HidConfig::default());
        d.feed(0, EV_KEY, KEY_1, 1);
        d.feed(1000, EV_KEY, KEY_LEFTCTRL, 1);
        d.feed(2000, EV_KEY, KEY_RIGHTBRACE, 1);
        d.feed(3000, EV_KEY, KEY_LEFTCTRL, 0);
        d.feed(4000, EV_KEY, KEY_2, 1);
        let Some(HidOutput::Line { text, .. }) = d.feed(5000, EV_KEY, KEY_ENTER, 1) else {
            panic!()
        };
        assert_eq!(text, "1\u{1d}2");
    }

    #[test]
    fn evemu_parse() {
        let rec = parse_evemu(
            "# EVEMU 1.3\nN: Scanner\nI: 0003 0c2e 0b61 0111\nP: 00 00\nB: 00 0b\n\
             E: 1.000100 0001 001e 0001\t# EV_KEY / KEY_A 1\nE: 1.000200 0000 0000 0000\n",
        )
        .unwrap();
        assert_eq!(rec.name.as_deref(), Some("Scanner"));
        assert_eq!(rec.id, Some((3, 0x0c2e, 0x0b61, 0x111)));
        assert_eq!(
            rec.events[0],
            InputEvent {
                ts_us: 1_000_100,
                ev_type: 1,
                code: 30,
                value: 1
            }
        );
        assert!(parse_evemu("E: x\n").is_err());
    }
}
