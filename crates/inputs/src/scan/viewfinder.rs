//! The viewfinder: what a camera sees, as a small greyscale picture with every code it
//! read outlined, for the station's scan screen. The decode thread leaves the newest
//! picture in a [`Viewfinder`] after each frame it decoded (at most [`MAX_FPS`] a
//! second); the screen takes it when it redraws. Nothing waits on anybody: a picture
//! nobody took is replaced by the next one.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::decode::frames::LumaFrame;
use crate::decode::{Decoded, Pt};

/// Widest picture the viewfinder keeps: a frame is shrunk by a whole factor until it
/// fits (640x480 becomes 320x240).
pub const MAX_WIDTH: u32 = 320;

/// Most pictures a second the decode thread makes.
pub const MAX_FPS: u32 = 15;

/// One picture: greyscale pixels, row by row, and the outline of each code read in it
/// (its corners, or both ends of a 1D scan line), in the picture's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub width: u32,
    pub height: u32,
    pub luma: Vec<u8>,
    pub outlines: Vec<Vec<Pt>>,
    /// The camera frame's number.
    pub seq: u64,
    /// The whole frame it was shrunk from, at the camera's resolution, when the camera
    /// hands it on (for a condition photo): shared, never copied.
    pub frame: Option<Arc<LumaFrame>>,
}

impl Preview {
    /// `frame` shrunk to at most [`MAX_WIDTH`] wide (each pixel the mean of a square
    /// of the frame's), with the outlines of `codes` scaled to it.
    pub fn of(frame: &LumaFrame, codes: &[Decoded]) -> Preview {
        Preview::of_luma(frame.width, frame.height, &frame.data, frame.seq, codes)
    }

    /// [`Preview::of`], keeping the whole frame with it ([`Preview::frame`]).
    pub fn keeping(frame: LumaFrame, codes: &[Decoded]) -> Preview {
        let mut p = Preview::of(&frame, codes);
        p.frame = Some(Arc::new(frame));
        p
    }

    /// [`Preview::of`] a frame given as its size, its grey pixels and its number.
    pub fn of_luma(width: u32, height: u32, data: &[u8], seq: u64, codes: &[Decoded]) -> Preview {
        let factor = width.div_ceil(MAX_WIDTH).max(1);
        let (w, h) = (width / factor, height / factor);
        let (fw, f) = (width as usize, factor as usize);
        // Each output row: add up its `f` source rows, `f` pixels at a time.
        let mut luma = Vec::with_capacity((w * h) as usize);
        let mut sums = vec![0u32; w as usize];
        let area = (f * f) as u32;
        for rows in data.chunks_exact(fw * f).take(h as usize) {
            sums.fill(0);
            for row in rows.chunks_exact(fw) {
                for (sum, px) in sums.iter_mut().zip(row.chunks_exact(f)) {
                    *sum += px.iter().map(|&p| u32::from(p)).sum::<u32>();
                }
            }
            luma.extend(sums.iter().map(|&s| (s / area) as u8));
        }
        // A frame shorter than its size says: the rest of the picture is black.
        luma.resize((w * h) as usize, 0);
        let outlines = codes
            .iter()
            .filter(|c| !c.points.is_empty())
            .map(|c| {
                c.points
                    .iter()
                    .map(|p| Pt {
                        x: p.x / factor as f32,
                        y: p.y / factor as f32,
                    })
                    .collect()
            })
            .collect();
        Preview {
            width: w,
            height: h,
            luma,
            outlines,
            seq,
            frame: None,
        }
    }
}

/// Where the newest picture waits for the screen. Cheap to clone: all clones share it.
#[derive(Debug, Clone, Default)]
pub struct Viewfinder(Arc<Mutex<Slot>>);

#[derive(Debug, Default)]
struct Slot {
    newest: Option<Preview>,
    made: Option<Instant>,
}

impl Viewfinder {
    pub fn new() -> Viewfinder {
        Viewfinder::default()
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Is a picture due (the last one is at least 1/[`MAX_FPS`] s old)? The decode
    /// thread asks before it shrinks a frame, so that a fast camera costs no more.
    pub fn due(&self) -> bool {
        let every = Duration::from_secs(1) / MAX_FPS;
        self.lock().made.is_none_or(|t| t.elapsed() >= every)
    }

    /// Leave a picture for the screen, replacing one not taken yet.
    pub fn put(&self, preview: Preview) {
        let mut slot = self.lock();
        slot.newest = Some(preview);
        slot.made = Some(Instant::now());
    }

    /// The newest picture, if one came since the last call.
    pub fn take(&self) -> Option<Preview> {
        self.lock().newest.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Engine, Symbology};

    #[test]
    fn a_frame_shrinks_by_a_whole_factor_and_its_codes_with_it() {
        let (w, h) = (640u32, 480u32);
        // Left half black, right half white.
        let data = (0..h)
            .flat_map(|_| (0..w).map(|x| if x < w / 2 { 0 } else { 255 }))
            .collect();
        let frame = LumaFrame {
            width: w,
            height: h,
            data,
            at: Instant::now(),
            seq: 7,
        };
        let code = Decoded {
            text: "DR-1".into(),
            bytes: b"DR-1".to_vec(),
            symbology: Symbology::Qr,
            aim_id: None,
            points: vec![Pt { x: 100.0, y: 50.0 }, Pt { x: 300.0, y: 250.0 }],
            engine: Engine::Rxing,
        };
        let p = Preview::of(&frame, &[code]);
        assert_eq!((p.width, p.height, p.seq), (320, 240, 7));
        assert_eq!(p.luma.len(), 320 * 240);
        assert_eq!((p.luma[0], p.luma[159], p.luma[160]), (0, 0, 255));
        assert_eq!(
            p.outlines,
            [vec![Pt { x: 50.0, y: 25.0 }, Pt { x: 150.0, y: 125.0 }]]
        );

        let v = Viewfinder::new();
        assert!(v.due());
        v.put(p.clone());
        assert!(!v.due(), "the next picture waits 1/15 s");
        assert_eq!(v.clone().take(), Some(p));
        assert_eq!(v.take(), None);
    }
}
