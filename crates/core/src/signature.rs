//! A borrower's signature at a check-out, as drawn on a touch screen: vector strokes in
//! the pad's own coordinates, small enough to ride in the history (a `signed` event
//! recorded in the same write as the check-out) and drawn back as SVG.

use serde::{Deserialize, Serialize};

/// Most strokes in one signature.
pub const MAX_STROKES: usize = 64;
/// Most points over all strokes.
pub const MAX_POINTS: usize = 4096;
/// Largest pad side, in its own units.
pub const MAX_SIDE: u16 = 4096;

/// Strokes drawn on a `width` × `height` pad; each stroke is the points the finger
/// went through, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub width: u16,
    pub height: u16,
    pub strokes: Vec<Vec<[u16; 2]>>,
}

/// Why a signature is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature is empty")]
    Empty,
    #[error(
        "the signature has too many strokes or points (at most {MAX_STROKES} and {MAX_POINTS})"
    )]
    TooLarge,
    #[error("the signature pad's size {0}×{1} is out of range")]
    BadPad(u16, u16),
    #[error("a point of the signature lies outside its pad")]
    OutOfPad,
}

impl Signature {
    /// The stateless rules: a pad of a sane size, some ink, bounded, inside the pad.
    pub fn check(&self) -> Result<(), SignatureError> {
        if self.width == 0 || self.height == 0 || self.width > MAX_SIDE || self.height > MAX_SIDE {
            return Err(SignatureError::BadPad(self.width, self.height));
        }
        let points: usize = self.strokes.iter().map(Vec::len).sum();
        if points == 0 {
            return Err(SignatureError::Empty);
        }
        if self.strokes.len() > MAX_STROKES || points > MAX_POINTS {
            return Err(SignatureError::TooLarge);
        }
        let inside = |p: &[u16; 2]| p[0] <= self.width && p[1] <= self.height;
        if !self.strokes.iter().flatten().all(inside) {
            return Err(SignatureError::OutOfPad);
        }
        Ok(())
    }

    /// The signature as an SVG image, scaled to fit `box_width` pixels wide. Numbers
    /// only: nothing in it comes from text.
    pub fn to_svg(&self, box_width: u32) -> String {
        let h = (box_width as u64 * self.height as u64 / self.width.max(1) as u64).max(1);
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"signature\" \
             width=\"{box_width}\" height=\"{h}\" viewBox=\"0 0 {} {}\">",
            self.width, self.height
        );
        let stroke = (self.width / 160).max(2);
        for s in &self.strokes {
            let pts: Vec<String> = s.iter().map(|[x, y]| format!("{x},{y}")).collect();
            if pts.len() == 1 {
                let [x, y] = s[0];
                out.push_str(&format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"{stroke}\"/>"));
            } else {
                out.push_str(&format!(
                    "<polyline fill=\"none\" stroke=\"black\" stroke-width=\"{stroke}\" \
                     stroke-linecap=\"round\" stroke-linejoin=\"round\" points=\"{}\"/>",
                    pts.join(" ")
                ));
            }
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_and_drawn() {
        let s = Signature {
            width: 400,
            height: 100,
            strokes: vec![vec![[10, 50], [60, 20], [110, 80]], vec![[200, 50]]],
        };
        assert!(s.check().is_ok());
        let svg = s.to_svg(200);
        assert!(svg.contains("width=\"200\" height=\"50\""), "{svg}");
        assert!(svg.contains("points=\"10,50 60,20 110,80\""), "{svg}");
        assert!(svg.contains("<circle cx=\"200\""), "{svg}");
        let mut out = s.clone();
        out.strokes[0].push([401, 0]);
        assert_eq!(out.check(), Err(SignatureError::OutOfPad));
        let empty = Signature {
            strokes: vec![vec![]],
            ..s.clone()
        };
        assert_eq!(empty.check(), Err(SignatureError::Empty));
        let huge = Signature {
            strokes: vec![vec![[1, 1]; MAX_POINTS + 1]],
            ..s
        };
        assert_eq!(huge.check(), Err(SignatureError::TooLarge));
    }
}
