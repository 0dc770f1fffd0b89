//! The signature pad's ink, kept by the window's bridge while a finger draws: pointer
//! down, move and up become strokes in the pad's own pixels, thinned out as they come
//! (a point closer than [`MIN_STEP`] to the last one of its stroke is skipped) and
//! stopped at the limits of a recorded signature, and an SVG path's commands that the
//! window draws, appended to point by point. No Slint here.

use std::fmt::Write;

use tagstation_core::signature::{Signature, MAX_POINTS, MAX_STROKES};

/// The pad's size on screen, in logical pixels (the signature's own units).
pub const PAD_WIDTH: u16 = 760;
pub const PAD_HEIGHT: u16 = 220;

/// The least distance, in pad pixels, between two points kept in a stroke.
pub const MIN_STEP: f32 = 2.0;

/// What the finger did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pen {
    Down,
    Move,
    Up,
}

/// The strokes drawn so far.
#[derive(Debug, Clone)]
pub struct Pad {
    width: u16,
    height: u16,
    strokes: Vec<Vec<[u16; 2]>>,
    points: usize,
    /// A stroke is being drawn (the finger is down).
    drawing: bool,
    /// The path's commands for what is drawn ("M x y L x y ...").
    commands: String,
}

impl Default for Pad {
    fn default() -> Self {
        Pad::new(PAD_WIDTH, PAD_HEIGHT)
    }
}

impl Pad {
    pub fn new(width: u16, height: u16) -> Pad {
        Pad {
            width,
            height,
            strokes: Vec::new(),
            points: 0,
            drawing: false,
            commands: String::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.points == 0
    }

    /// Wipe the pad.
    pub fn clear(&mut self) {
        self.strokes.clear();
        self.points = 0;
        self.drawing = false;
        self.commands.clear();
    }

    /// One pointer event at `x`, `y` (pad pixels; outside the pad is taken to its
    /// edge). Returns whether the ink changed.
    pub fn pen(&mut self, pen: Pen, x: f32, y: f32) -> bool {
        let clamp = |v: f32, max: u16| {
            if v.is_finite() {
                v.round().clamp(0.0, f32::from(max)) as u16
            } else {
                0
            }
        };
        let p = [clamp(x, self.width), clamp(y, self.height)];
        match pen {
            Pen::Down => {
                self.drawing = false;
                if self.strokes.len() >= MAX_STROKES || self.points >= MAX_POINTS {
                    return false;
                }
                self.drawing = true;
                self.strokes.push(vec![p]);
                self.points += 1;
                // A dot until the finger moves: a short mark so it shows.
                let _ = write!(self.commands, "M {} {} l 0.5 0.5 ", p[0], p[1]);
                true
            }
            Pen::Move | Pen::Up => {
                let changed = self.drawing && self.extend(p);
                if pen == Pen::Up {
                    self.drawing = false;
                }
                changed
            }
        }
    }

    /// Add `p` to the stroke being drawn, unless it is too close to its last point or
    /// the signature is full.
    fn extend(&mut self, p: [u16; 2]) -> bool {
        if self.points >= MAX_POINTS {
            return false;
        }
        let Some(stroke) = self.strokes.last_mut() else {
            return false;
        };
        if let Some(last) = stroke.last() {
            let dx = f32::from(p[0]) - f32::from(last[0]);
            let dy = f32::from(p[1]) - f32::from(last[1]);
            if dx * dx + dy * dy < MIN_STEP * MIN_STEP {
                return false;
            }
            let _ = write!(self.commands, "L {} {} ", p[0], p[1]);
        }
        stroke.push(p);
        self.points += 1;
        true
    }

    /// What is drawn, as an SVG path's commands in pad pixels.
    pub fn commands(&self) -> &str {
        &self.commands
    }

    /// What is drawn, as a signature to record.
    pub fn signature(&self) -> Signature {
        Signature {
            width: self.width,
            height: self.height,
            strokes: self.strokes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_are_thinned_kept_in_the_pad_and_within_the_limits() {
        let mut pad = Pad::new(100, 50);
        assert!(pad.is_empty());
        assert!(
            !pad.pen(Pen::Move, 3.0, 3.0),
            "no ink before the finger is down"
        );
        assert!(pad.pen(Pen::Down, 10.0, 10.0));
        assert!(!pad.pen(Pen::Move, 11.0, 10.5), "closer than 2 px: skipped");
        assert!(pad.pen(Pen::Move, 13.0, 10.0));
        assert!(pad.pen(Pen::Move, 500.0, -4.0), "outside: at the edge");
        assert!(!pad.pen(Pen::Up, 500.0, -4.0), "the same point again");
        assert!(!pad.pen(Pen::Move, 20.0, 20.0), "the finger is up");
        let s = pad.signature();
        assert_eq!(s.strokes, vec![vec![[10, 10], [13, 10], [100, 0]]]);
        assert_eq!(s.check(), Ok(()));
        assert_eq!(pad.commands(), "M 10 10 l 0.5 0.5 L 13 10 L 100 0 ");
        pad.clear();
        assert!(pad.is_empty() && pad.commands().is_empty());

        // A long scribble stops at the limits of a recorded signature.
        for s in 0..(MAX_STROKES + 5) {
            pad.pen(Pen::Down, 0.0, 0.0);
            for i in 0..100 {
                pad.pen(Pen::Move, (i * 3 % 100) as f32, (s % 50) as f32);
            }
            pad.pen(Pen::Up, 0.0, 0.0);
        }
        let s = pad.signature();
        assert!(s.strokes.len() <= MAX_STROKES);
        assert!(s.strokes.iter().map(Vec::len).sum::<usize>() <= MAX_POINTS);
        assert_eq!(s.check(), Ok(()));
    }
}
