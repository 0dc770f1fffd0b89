//! The viewfinder on screen: ten times a second the camera's newest picture
//! ([`Viewfinder`], left by the decode thread) becomes the window's `viewfinder` image,
//! grey with a green box around every code it read. It hides itself when no picture
//! came for two seconds (the camera stopped); it never touches the decoding. The last
//! picture taken is kept ([`Camera`]) for a condition photo, also when the viewfinder
//! is turned off and only photos want the camera.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{Image, Rgb8Pixel, SharedPixelBuffer, Timer, TimerMode};

use super::generated::StationWindow;
use tagstation_inputs::decode::Pt;
use tagstation_inputs::scan::viewfinder::{Preview, Viewfinder};

/// How often the screen takes the newest picture.
pub const REDRAW: std::time::Duration = std::time::Duration::from_millis(100);

/// Redraws without a new picture before the viewfinder hides (two seconds).
const GONE_AFTER: u32 = 20;

/// The outline colour of a code read.
const GREEN: Rgb8Pixel = Rgb8Pixel {
    r: 0x2e,
    g: 0xe6,
    b: 0x5a,
};

/// The camera's newest picture for a condition photo: the one left in the
/// [`Viewfinder`] if the screen has not taken it yet, else the last one it took, as long
/// as the camera is still delivering (a camera silent for two seconds has none).
/// Lives on the UI thread, shared by the redraw timer and the driver.
#[derive(Debug, Clone)]
pub struct Camera {
    viewfinder: Viewfinder,
    last: Rc<RefCell<Option<Preview>>>,
}

impl Camera {
    pub fn new(viewfinder: Viewfinder) -> Camera {
        Camera {
            viewfinder,
            last: Rc::new(RefCell::new(None)),
        }
    }

    /// The newest picture, if the camera delivered one in the last two seconds.
    pub fn newest(&self) -> Option<Preview> {
        let mut last = self.last.borrow_mut();
        if let Some(p) = self.viewfinder.take() {
            *last = Some(p);
        }
        last.clone()
    }
}

/// Start taking `camera`'s pictures ten times a second, showing them in `window` when
/// `display` (the viewfinder is on), keeping the last for a photo either way; until the
/// returned timer is dropped.
pub fn show(window: slint::Weak<StationWindow>, camera: Camera, display: bool) -> Timer {
    let timer = Timer::default();
    let mut idle = GONE_AFTER;
    timer.start(TimerMode::Repeated, REDRAW, move || {
        let Some(w) = window.upgrade() else { return };
        match camera.viewfinder.take() {
            Some(p) => {
                idle = 0;
                if display {
                    w.set_viewfinder(image(&p));
                    w.set_viewfinder_on(true);
                }
                *camera.last.borrow_mut() = Some(p);
            }
            None if idle < GONE_AFTER => {
                idle += 1;
                if idle == GONE_AFTER {
                    w.set_viewfinder_on(false);
                    *camera.last.borrow_mut() = None;
                }
            }
            None => {}
        }
    });
    timer
}

/// A picture as an image: its grey pixels, a box drawn around each code read.
pub fn image(p: &Preview) -> Image {
    let mut buf = SharedPixelBuffer::<Rgb8Pixel>::new(p.width, p.height);
    for (px, &l) in buf.make_mut_slice().iter_mut().zip(&p.luma) {
        *px = Rgb8Pixel { r: l, g: l, b: l };
    }
    for outline in &p.outlines {
        frame(&mut buf, outline);
    }
    Image::from_rgb8(buf)
}

/// A box around a code: the decoders report finder centres (QR), corners (Data
/// Matrix) or the two ends of a scan line (1D), so the box is around all of them,
/// with a margin that reaches the code's edges.
fn frame(buf: &mut SharedPixelBuffer<Rgb8Pixel>, points: &[Pt]) {
    let (mut x0, mut y0) = (f32::MAX, f32::MAX);
    let (mut x1, mut y1) = (f32::MIN, f32::MIN);
    for p in points {
        (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
    }
    let margin = 3.0 + 0.15 * (x1 - x0).max(y1 - y0);
    let (x0, y0, x1, y1) = (x0 - margin, y0 - margin, x1 + margin, y1 + margin);
    let corners = [
        Pt { x: x0, y: y0 },
        Pt { x: x1, y: y0 },
        Pt { x: x1, y: y1 },
        Pt { x: x0, y: y1 },
    ];
    for i in 0..4 {
        line(buf, corners[i], corners[(i + 1) % 4]);
    }
}

/// A line three pixels wide from `a` to `b`, clipped to the picture.
fn line(buf: &mut SharedPixelBuffer<Rgb8Pixel>, a: Pt, b: Pt) {
    let (w, h) = (buf.width() as i64, buf.height() as i64);
    let px = buf.make_mut_slice();
    let steps = (b.x - a.x).abs().max((b.y - a.y).abs()).ceil().max(1.0) as i64;
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let (x, y) = (
            (a.x + (b.x - a.x) * t).round() as i64,
            (a.y + (b.y - a.y) * t).round() as i64,
        );
        for (dx, dy) in [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)] {
            let (x, y) = (x + dx, y + dy);
            if (0..w).contains(&x) && (0..h).contains(&y) {
                px[(y * w + x) as usize] = GREEN;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_outlined_in_green_over_the_grey_picture() {
        let p = Preview {
            width: 40,
            height: 30,
            luma: vec![100; 40 * 30],
            outlines: vec![vec![
                Pt { x: 10.0, y: 8.0 },
                Pt { x: 30.0, y: 8.0 },
                Pt { x: 30.0, y: 22.0 },
            ]],
            seq: 1,
            frame: None,
        };
        let img = image(&p);
        let buf = img.to_rgb8().expect("rgb image");
        let at = |x: usize, y: usize| buf.as_slice()[y * 40 + x];
        assert_eq!(
            at(0, 0),
            Rgb8Pixel {
                r: 100,
                g: 100,
                b: 100
            }
        );
        // The box around the three points, 3 + 15% of its size (20) out: 6 pixels.
        for (x, y) in [(4, 2), (20, 2), (36, 15), (4, 20), (29, 28), (36, 28)] {
            assert_eq!(at(x, y), GREEN, "({x}, {y})");
        }
        assert_eq!(
            at(20, 15),
            Rgb8Pixel {
                r: 100,
                g: 100,
                b: 100
            },
            "inside"
        );
    }
}
