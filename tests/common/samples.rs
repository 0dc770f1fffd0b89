//! Sample-image helpers: where the zxing-cpp samples vendored in `tests/data/zxing-cpp` are
//! (Apache-2.0, see its NOTICE.md) and what each image should read; synthetic images.

use std::path::{Path, PathBuf};

/// `tests/data/zxing-cpp` in this repository: the zxing-cpp sample folders, unchanged.
pub fn samples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zxing-cpp")
}

/// Sorted image files of a sample folder.
pub fn images(folder: &str) -> Vec<PathBuf> {
    let dir = samples_root().join(folder);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("png" | "jpg" | "jpeg" | "webp" | "pgm" | "gif")
            )
        })
        .collect();
    v.sort();
    v
}

/// Expected text of an image: `NAME.txt` read byte-exact as UTF-8, or `NAME.bin` as Latin-1
/// (the same rule as `shared/tools/ref_decode.py`).
pub fn expected(image: &Path) -> Option<String> {
    let txt = image.with_extension("txt");
    if let Ok(b) = std::fs::read(&txt) {
        return Some(String::from_utf8(b).expect("expected .txt is UTF-8"));
    }
    let bin = image.with_extension("bin");
    std::fs::read(bin)
        .ok()
        .map(|b| b.iter().map(|&c| c as char).collect())
}

/// The QR folders the goals count (137 images) and the false-positive folders.
pub const QR_FOLDERS: &[&str] = &[
    "qrcode-1", "qrcode-2", "qrcode-3", "qrcode-4", "qrcode-5", "qrcode-6",
];
pub const FP_FOLDERS: &[&str] = &["falsepositives-1", "falsepositives-2"];

/// Synthetic test images: codes drawn with rxing's writers, then rotated, blurred, faded.
pub mod gen {
    use rxing::{BarcodeFormat, MultiFormatWriter, Writer};

    /// A grey image.
    #[derive(Clone)]
    pub struct Img {
        pub w: u32,
        pub h: u32,
        pub px: Vec<u8>,
    }

    impl Img {
        pub fn new(w: u32, h: u32, v: u8) -> Self {
            Img {
                w,
                h,
                px: vec![v; (w * h) as usize],
            }
        }

        /// Copy `src` with its top-left corner at (x, y), clipped.
        pub fn blit(&mut self, src: &Img, x: u32, y: u32) {
            for sy in 0..src.h {
                for sx in 0..src.w {
                    let (dx, dy) = (x + sx, y + sy);
                    if dx < self.w && dy < self.h {
                        self.px[(dy * self.w + dx) as usize] = src.px[(sy * src.w + sx) as usize];
                    }
                }
            }
        }

        pub fn save_png(&self, path: &std::path::Path) {
            image::GrayImage::from_raw(self.w, self.h, self.px.clone())
                .expect("size")
                .save(path)
                .expect("write png");
        }
    }

    /// Draw a code: `module` pixels per module, 2D codes with their quiet zone, 1D codes
    /// `bar_h` pixels high with a 10-module quiet zone.
    pub fn code(format: BarcodeFormat, text: &str, module: u32, bar_h: u32) -> Img {
        let one_d = !matches!(format, BarcodeFormat::QR_CODE | BarcodeFormat::DATA_MATRIX);
        let m = MultiFormatWriter
            .encode(text, &format, 0, if one_d { 1 } else { 0 })
            .unwrap_or_else(|e| panic!("encode {format:?} {text}: {e:?}"));
        let quiet = if one_d {
            10
        } else if format == BarcodeFormat::DATA_MATRIX {
            2
        } else {
            0
        };
        let (mw, mh) = (m.width(), if one_d { 1 } else { m.height() });
        let w = (mw + 2 * quiet) * module;
        let h = if one_d {
            bar_h
        } else {
            (mh + 2 * quiet) * module
        };
        let mut img = Img::new(w, h, 255);
        for y in 0..h {
            for x in 0..w {
                let mx = (x / module) as i64 - quiet as i64;
                let my = if one_d {
                    0
                } else {
                    (y / module) as i64 - quiet as i64
                };
                if mx >= 0
                    && my >= 0
                    && (mx as u32) < mw
                    && (my as u32) < mh
                    && m.get(mx as u32, my as u32)
                {
                    img.px[(y * w + x) as usize] = 0;
                }
            }
        }
        img
    }

    /// Rotate by `deg` about the centre (bilinear), onto a canvas big enough, white background.
    pub fn rotate(src: &Img, deg: f32) -> Img {
        let (s, c) = deg.to_radians().sin_cos();
        let (w, h) = (src.w as f32, src.h as f32);
        let nw = (w * c.abs() + h * s.abs()).ceil() as u32 + 2;
        let nh = (w * s.abs() + h * c.abs()).ceil() as u32 + 2;
        let mut out = Img::new(nw, nh, 255);
        let (cx, cy, ncx, ncy) = (w / 2.0, h / 2.0, nw as f32 / 2.0, nh as f32 / 2.0);
        for y in 0..nh {
            for x in 0..nw {
                let (dx, dy) = (x as f32 - ncx, y as f32 - ncy);
                let sx = c * dx + s * dy + cx;
                let sy = -s * dx + c * dy + cy;
                if sx < 0.0 || sy < 0.0 || sx >= w - 1.0 || sy >= h - 1.0 {
                    continue;
                }
                let (x0, y0) = (sx as u32, sy as u32);
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let p = |xx: u32, yy: u32| src.px[(yy * src.w + xx) as usize] as f32;
                let v = p(x0, y0) * (1.0 - fx) * (1.0 - fy)
                    + p(x0 + 1, y0) * fx * (1.0 - fy)
                    + p(x0, y0 + 1) * (1.0 - fx) * fy
                    + p(x0 + 1, y0 + 1) * fx * fy;
                out.px[(y * nw + x) as usize] = v.round() as u8;
            }
        }
        out
    }

    /// Box blur of radius `r`, applied twice (close to a Gaussian).
    pub fn blur(src: &Img, r: i32) -> Img {
        let mut img = src.clone();
        for _ in 0..2 {
            for horizontal in [true, false] {
                let mut out = img.clone();
                for y in 0..img.h as i32 {
                    for x in 0..img.w as i32 {
                        let (mut sum, mut n) = (0u32, 0u32);
                        for k in -r..=r {
                            let (xx, yy) = if horizontal { (x + k, y) } else { (x, y + k) };
                            if xx >= 0 && yy >= 0 && (xx as u32) < img.w && (yy as u32) < img.h {
                                sum += img.px[(yy as u32 * img.w + xx as u32) as usize] as u32;
                                n += 1;
                            }
                        }
                        out.px[(y as u32 * img.w + x as u32) as usize] = (sum / n) as u8;
                    }
                }
                img = out;
            }
        }
        img
    }

    /// Squeeze the grey range into `lo..=hi` (low contrast).
    pub fn fade(src: &Img, lo: u8, hi: u8) -> Img {
        let mut img = src.clone();
        for p in img.px.iter_mut() {
            *p = lo + ((*p as u32 * (hi - lo) as u32) / 255) as u8;
        }
        img
    }
}
