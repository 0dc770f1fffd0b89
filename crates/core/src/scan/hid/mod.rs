//! Pure decoder for keyboard-wedge (HID) barcode scanners, and an `evemu-record` parser.
//!
//! Input is Linux input events `(timestamp_us, type, code, value)`; output is finished scans,
//! told apart from a person typing by inter-key timing. No I/O here: the live evdev backend
//! (`hid_live`, feature `hid`) and the replay source both feed this decoder.

mod evemu;
mod keymap;

pub use evemu::*;
pub use keymap::*;

use keys::*;

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
