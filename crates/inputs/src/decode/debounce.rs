//! Debouncing camera reads (keyed on the decoded text): a code held in view is one scan; the
//! same code shown again after it left the view (absent for more than N frames *and* T ms) is
//! a new scan.

use std::collections::HashMap;

use super::Decoded;

/// Per-code presence tracking over a stream of frames.
#[derive(Debug, Clone)]
pub struct Debouncer {
    /// frames a code may be missing and still count as "in view" (decoders miss frames)
    pub absent_frames: u64,
    /// milliseconds a code may be missing and still count as "in view"
    pub absent_ms: u64,
    frame: u64,
    seen: HashMap<Vec<u8>, (u64, u64)>,
}

impl Default for Debouncer {
    fn default() -> Self {
        Debouncer::new(5, 500)
    }
}

impl Debouncer {
    pub fn new(absent_frames: u64, absent_ms: u64) -> Self {
        Debouncer {
            absent_frames,
            absent_ms,
            frame: 0,
            seen: HashMap::new(),
        }
    }

    fn gone(&self, last_frame: u64, last_ms: u64, now_ms: u64) -> bool {
        self.frame.saturating_sub(last_frame) > self.absent_frames
            && now_ms.saturating_sub(last_ms) > self.absent_ms
    }

    /// Feed the codes read in one frame (timestamp in ms, monotonic); returns the new scans.
    pub fn update(&mut self, now_ms: u64, codes: Vec<Decoded>) -> Vec<Decoded> {
        self.frame += 1;
        let mut fresh = Vec::new();
        for d in codes {
            let key = d.text.as_bytes().to_vec();
            let is_new = match self.seen.get(&key) {
                Some(&(f, t)) => self.gone(f, t, now_ms),
                None => true,
            };
            self.seen.insert(key, (self.frame, now_ms));
            if is_new && !fresh.iter().any(|f: &Decoded| f.text == d.text) {
                fresh.push(d);
            }
        }
        let frame = self.frame;
        let (af, am) = (self.absent_frames, self.absent_ms);
        self.seen.retain(|_, &mut (f, t)| {
            !(frame.saturating_sub(f) > af && now_ms.saturating_sub(t) > am)
        });
        fresh
    }

    /// Codes currently considered in view.
    pub fn in_view(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Engine;
    use crate::decode::Symbology;

    fn d(s: &str) -> Decoded {
        Decoded {
            text: s.into(),
            bytes: s.as_bytes().to_vec(),
            symbology: Symbology::Qr,
            aim_id: None,
            points: vec![],
            engine: Engine::Rxing,
        }
    }

    #[test]
    fn held_code_is_one_scan_and_return_is_new() {
        let mut db = Debouncer::new(3, 100);
        let mut t = 0;
        let mut scans = 0;
        // held for 30 frames at 33 ms, with a missed frame in between
        for i in 0..30 {
            let codes = if i == 10 { vec![] } else { vec![d("A")] };
            scans += db.update(t, codes).len();
            t += 33;
        }
        assert_eq!(scans, 1);
        // away for 10 frames, then back
        for _ in 0..10 {
            assert!(db.update(t, vec![]).is_empty());
            t += 33;
        }
        assert_eq!(db.update(t, vec![d("A"), d("B")]).len(), 2);
    }
}
