//! The 1D camera set: seeded 640x480 frames of Code 128, Code 39, EAN-13, EAN-8, UPC-A and
//! ITF labels as a station's camera sees them, plus frames with no code at all.
//!
//! Each code is printed on a paper label in a cluttered scene and looked at through a
//! pinhole camera: module widths from 1.5 to 4 pixels, the label turned in its plane and
//! tilted up to 40 degrees away from the camera, sometimes wrapped round a curved surface
//! (a bottle, a cable drum), sometimes cut so close that its quiet zone is clipped. Then the
//! camera's faults: blur or defocus, glare, low light with sensor noise, JPEG compression.
//! The frames with no code are plain scenes and textured ones (stripes, printed text, wood
//! grain, fabric, brick), the usual sources of false 1D reads.
//!
//! The same seed draws the same frames on every run: an integer generator, and every frame's
//! drawing described in its `traits` so a miss can be looked at.

use rxing::{BarcodeFormat, MultiFormatWriter, Writer};

/// The 1D symbologies the set covers, in report order.
pub const KINDS: [Kind; 6] = [
    Kind::Code128,
    Kind::Code39,
    Kind::Ean13,
    Kind::Ean8,
    Kind::UpcA,
    Kind::Itf,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Code128,
    Code39,
    Ean13,
    Ean8,
    UpcA,
    Itf,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Code128 => "code128",
            Kind::Code39 => "code39",
            Kind::Ean13 => "ean13",
            Kind::Ean8 => "ean8",
            Kind::UpcA => "upca",
            Kind::Itf => "itf",
        }
    }

    fn format(self) -> BarcodeFormat {
        match self {
            Kind::Code128 => BarcodeFormat::CODE_128,
            Kind::Code39 => BarcodeFormat::CODE_39,
            Kind::Ean13 => BarcodeFormat::EAN_13,
            Kind::Ean8 => BarcodeFormat::EAN_8,
            Kind::UpcA => BarcodeFormat::UPC_A,
            Kind::Itf => BarcodeFormat::ITF,
        }
    }
}

/// One frame of the set.
pub struct Frame {
    /// `code128-007`, `texture-003`, ...: also its file name in a reference run.
    pub name: String,
    /// The code drawn, or `None` for a frame with no code.
    pub kind: Option<Kind>,
    /// The payload a reader must report (UPC-A as its 12 digits).
    pub text: Option<String>,
    pub w: u32,
    pub h: u32,
    pub px: Vec<u8>,
    /// How the frame was drawn, for looking at misses.
    pub traits: String,
}

/// Does a reported text read the frame's code? A UPC-A code is the EAN-13 code with a
/// leading 0, so either reading counts for either (zbar reports UPC-A as EAN-13; an
/// EAN-13 starting with 0 is read as UPC-A by some readers).
pub fn reads(frame: &Frame, got: &str) -> bool {
    match (&frame.text, frame.kind) {
        (Some(want), Some(Kind::UpcA)) => got == want || got.strip_prefix('0') == Some(want),
        (Some(want), Some(Kind::Ean13)) => got == want || want.strip_prefix('0') == Some(got),
        (Some(want), _) => got == want,
        (None, _) => false,
    }
}

/// The set: `per_kind` frames of each symbology, then `no_code` frames without a code (half
/// plain scenes, half textured), all drawn from `seed`.
pub fn camera_set(per_kind: usize, no_code: usize, seed: u64) -> Vec<Frame> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for kind in KINDS {
        for i in 0..per_kind {
            out.push(code_frame(
                &mut rng,
                kind,
                format!("{}-{i:03}", kind.name()),
            ));
        }
    }
    for i in 0..no_code {
        let textured = i % 2 == 1;
        let name = format!("{}-{i:03}", if textured { "texture" } else { "plain" });
        out.push(empty_frame(&mut rng, textured, name));
    }
    out
}

/// A small seeded generator (PCG-style LCG), the same on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// Uniform in `lo..hi`.
    fn f(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() as f64 / (1u64 << 31) as f64)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f(0.0, 1.0) < p
    }
    /// Roughly normal (sum of uniforms), mean 0, deviation 1.
    fn gauss(&mut self) -> f64 {
        (0..4).map(|_| self.f(-1.0, 1.0)).sum::<f64>() * 0.866
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// GS1 check digit of `body` (EAN-13, EAN-8, UPC-A).
fn gs1_check(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| (b - b'0') as u32 * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

fn payload(rng: &mut Rng, kind: Kind) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let alnum = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(ALNUM[rng.below(ALNUM.len() as u64) as usize]))
            .collect()
    };
    match kind {
        // asset tags as shops print them
        Kind::Code128 => match rng.below(3) {
            0 => {
                let n = 4 + rng.below(3) as usize;
                format!("TS-{}", rng.digits(n))
            }
            1 => {
                let prefix = alnum(rng, 2);
                format!("{prefix}-{}", rng.digits(5))
            }
            _ => {
                let n = 8 + rng.below(5) as usize;
                alnum(rng, n)
            }
        },
        Kind::Code39 => {
            let n = 2 + rng.below(2) as usize;
            let prefix = alnum(rng, n);
            format!("{prefix}-{}", rng.digits(4))
        }
        Kind::Ean13 => {
            let body = rng.digits(12);
            format!("{body}{}", gs1_check(&body))
        }
        Kind::Ean8 => {
            let body = rng.digits(7);
            format!("{body}{}", gs1_check(&body))
        }
        Kind::UpcA => {
            let body = rng.digits(11);
            format!("{body}{}", gs1_check(&body))
        }
        Kind::Itf => {
            let n = [8, 10, 12, 14][rng.below(4) as usize];
            rng.digits(n)
        }
    }
}

/// The code's modules (true = bar), without quiet zones.
fn modules(kind: Kind, text: &str) -> Vec<bool> {
    let m = MultiFormatWriter
        .encode(text, &kind.format(), 0, 1)
        .unwrap_or_else(|e| panic!("encode {kind:?} {text}: {e:?}"));
    let row: Vec<bool> = (0..m.width()).map(|x| m.get(x, 0)).collect();
    let first = row.iter().position(|&b| b).unwrap_or(0);
    let last = row.iter().rposition(|&b| b).unwrap_or(0);
    row[first..=last].to_vec()
}

/// A 3x3 rotation matrix, row-major.
type Mat = [[f64; 3]; 3];

fn mul(a: &Mat, b: &Mat) -> Mat {
    let mut r = [[0.0; 3]; 3];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    r
}

fn rot_x(a: f64) -> Mat {
    let (s, c) = a.to_radians().sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

fn rot_y(a: f64) -> Mat {
    let (s, c) = a.to_radians().sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

fn rot_z(a: f64) -> Mat {
    let (s, c) = a.to_radians().sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// Where the label is and how it lies, in label units (modules). The camera sits at the
/// origin looking along +z; `pose` turns label coordinates into camera ones and `at` is the
/// label centre. A curved label wraps a cylinder of radius `radius` whose axis runs along
/// the bars, bulging towards the camera.
struct Label {
    bars: Vec<bool>,
    /// quiet zone left and right of the bars, in modules
    quiet: (f64, f64),
    /// bar height, in modules
    bar_h: f64,
    /// ink spread: bars this many modules wider (negative: thinner)
    spread: f64,
    pose: Mat,
    at: [f64; 3],
    focal: f64,
    radius: Option<f64>,
    paper: f64,
    ink: f64,
}

impl Label {
    /// Label coordinates (u along the code from its centre, v along the bars) seen at image
    /// point (x, y) relative to the image centre, if the ray meets the label's surface.
    fn hit(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let d = [x / self.focal, y / self.focal, 1.0];
        // into label coordinates: transpose of the pose
        let p = &self.pose;
        let dl = [
            p[0][0] * d[0] + p[1][0] * d[1] + p[2][0] * d[2],
            p[0][1] * d[0] + p[1][1] * d[1] + p[2][1] * d[2],
            p[0][2] * d[0] + p[1][2] * d[1] + p[2][2] * d[2],
        ];
        let t0 = &self.at;
        let tl = [
            p[0][0] * t0[0] + p[1][0] * t0[1] + p[2][0] * t0[2],
            p[0][1] * t0[0] + p[1][1] * t0[1] + p[2][1] * t0[2],
            p[0][2] * t0[0] + p[1][2] * t0[1] + p[2][2] * t0[2],
        ];
        match self.radius {
            None => {
                if dl[2].abs() < 1e-9 {
                    return None;
                }
                let t = tl[2] / dl[2];
                (t > 0.0).then(|| (t * dl[0] - tl[0], t * dl[1] - tl[1]))
            }
            Some(r) => {
                // (t dx - Tx)^2 + (t dz - Tz - r)^2 = r^2, nearest root
                let (ex, ez) = (tl[0], tl[2] + r);
                let a = dl[0] * dl[0] + dl[2] * dl[2];
                let b = -2.0 * (dl[0] * ex + dl[2] * ez);
                let c = ex * ex + ez * ez - r * r;
                let disc = b * b - 4.0 * a * c;
                if disc < 0.0 || a < 1e-12 {
                    return None;
                }
                let t = (-b - disc.sqrt()) / (2.0 * a);
                if t <= 0.0 {
                    return None;
                }
                let (lx, lz) = (t * dl[0] - tl[0], t * dl[2] - tl[2]);
                // only the half of the cylinder facing the camera carries the label
                if lz > r {
                    return None;
                }
                Some((r * lx.atan2(r - lz), t * dl[1] - tl[1]))
            }
        }
    }

    fn width(&self) -> f64 {
        self.bars.len() as f64
    }

    fn bar_at(&self, k: f64) -> bool {
        let i = k.floor();
        i >= 0.0 && (i as usize) < self.bars.len() && self.bars[i as usize]
    }

    /// Reflectance at label point (u, v), or `None` off the label.
    fn reflectance(&self, u: f64, v: f64) -> Option<f64> {
        let w = self.width();
        let k = u + w / 2.0;
        // the label: quiet zones either side, a margin above, a text band below
        if k < -self.quiet.0 || k > w + self.quiet.1 || v < -self.bar_h / 2.0 - 3.0 {
            return None;
        }
        if v > self.bar_h / 2.0 + 9.0 {
            return None;
        }
        if v > self.bar_h / 2.0 + 2.0 {
            // the human-readable line: grey-ish blocks of print
            let c = (k / 7.0).floor();
            let on = (c as i64).rem_euclid(3) != 2
                && (0.0..w).contains(&k)
                && v < self.bar_h / 2.0 + 7.0;
            return Some(if on {
                (self.paper + self.ink) / 2.0
            } else {
                self.paper
            });
        }
        if v.abs() > self.bar_h / 2.0 {
            return Some(self.paper);
        }
        let h = self.spread / 2.0;
        let bar = if h >= 0.0 {
            self.bar_at(k - h) || self.bar_at(k + h)
        } else {
            self.bar_at(k + h) && self.bar_at(k - h)
        };
        Some(if bar { self.ink } else { self.paper })
    }
}

/// The scene behind the label: a lit surface with a few objects on it, reflectance 0..1.
struct Scene {
    base: f64,
    slope: (f64, f64),
    boxes: Vec<(f64, f64, f64, f64, f64)>,
    texture: Option<Texture>,
}

#[derive(Clone, Copy)]
enum Texture {
    Stripes { period: f64, angle: f64, duty: f64 },
    Text { line: f64, glyph: f64, angle: f64 },
    Wood { period: f64, warp: f64 },
    Fabric { period: f64 },
    Brick { h: f64 },
}

impl Texture {
    fn name(self) -> &'static str {
        match self {
            Texture::Stripes { .. } => "stripes",
            Texture::Text { .. } => "text",
            Texture::Wood { .. } => "wood",
            Texture::Fabric { .. } => "fabric",
            Texture::Brick { .. } => "brick",
        }
    }

    fn at(self, x: f64, y: f64) -> f64 {
        let hash = |a: i64, b: i64| -> f64 {
            let mut h = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            h ^= h >> 29;
            h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            ((h >> 40) & 0xFFFF) as f64 / 65535.0
        };
        match self {
            Texture::Stripes {
                period,
                angle,
                duty,
            } => {
                let (s, c) = angle.to_radians().sin_cos();
                let t = (x * c + y * s) / period;
                if t.rem_euclid(1.0) < duty {
                    0.15
                } else {
                    0.8
                }
            }
            Texture::Text { line, glyph, angle } => {
                let (s, c) = angle.to_radians().sin_cos();
                let (u, v) = (x * c + y * s, -x * s + y * c);
                let row = (v / line).floor();
                let fy = (v / line).rem_euclid(1.0);
                let col = (u / glyph).floor();
                let fx = (u / glyph).rem_euclid(1.0);
                let word_gap = hash(col as i64 / 5, row as i64) < 0.2;
                if fy > 0.65 || word_gap || hash(col as i64, row as i64) < 0.1 {
                    return 0.85;
                }
                // a glyph: a few strokes
                let strokes = hash(col as i64, row as i64 + 7);
                let on = (fx * 3.0).floor() as i64 % 2 == 0 && strokes > 0.3
                    || (fy * 4.0).floor() as i64 == (strokes * 4.0) as i64;
                if on {
                    0.1
                } else {
                    0.85
                }
            }
            Texture::Wood { period, warp } => {
                let t =
                    (x + warp * (y / 37.0).sin() * period + 0.3 * warp * (y / 11.0).sin() * period)
                        / period;
                0.45 + 0.25 * (t * std::f64::consts::TAU).sin()
                    + 0.1 * (t * 3.3 * std::f64::consts::TAU).sin()
            }
            Texture::Fabric { period } => {
                let a = ((x / period).floor() as i64 + (y / period).floor() as i64) % 2 == 0;
                let fx = (x / period).rem_euclid(1.0);
                if a == (fx < 0.5) {
                    0.3
                } else {
                    0.7
                }
            }
            Texture::Brick { h } => {
                let row = (y / h).floor();
                let off = if (row as i64) % 2 == 0 { 0.0 } else { h };
                let fx = ((x + off) / (2.0 * h)).rem_euclid(1.0);
                let fy = (y / h).rem_euclid(1.0);
                if fx < 0.08 || fy < 0.12 {
                    0.8
                } else {
                    0.35
                }
            }
        }
    }

    fn random(rng: &mut Rng) -> Texture {
        match rng.below(5) {
            0 => Texture::Stripes {
                period: rng.f(3.0, 14.0),
                angle: rng.f(-20.0, 20.0) + if rng.chance(0.3) { 90.0 } else { 0.0 },
                duty: rng.f(0.2, 0.7),
            },
            1 => Texture::Text {
                line: rng.f(10.0, 22.0),
                glyph: rng.f(4.0, 9.0),
                angle: rng.f(-10.0, 10.0),
            },
            2 => Texture::Wood {
                period: rng.f(4.0, 12.0),
                warp: rng.f(0.5, 3.0),
            },
            3 => Texture::Fabric {
                period: rng.f(2.0, 6.0),
            },
            _ => Texture::Brick {
                h: rng.f(8.0, 24.0),
            },
        }
    }
}

impl Scene {
    fn random(rng: &mut Rng, texture: Option<Texture>) -> Scene {
        let boxes = (0..rng.below(5))
            .map(|_| {
                (
                    rng.f(0.0, 640.0),
                    rng.f(0.0, 480.0),
                    rng.f(20.0, 200.0),
                    rng.f(20.0, 160.0),
                    rng.f(0.1, 0.9),
                )
            })
            .collect();
        Scene {
            base: rng.f(0.25, 0.7),
            slope: (rng.f(-0.3, 0.3) / 640.0, rng.f(-0.3, 0.3) / 480.0),
            boxes,
            texture,
        }
    }

    fn at(&self, x: f64, y: f64) -> f64 {
        if let Some(t) = self.texture {
            return t.at(x, y);
        }
        for &(bx, by, bw, bh, r) in &self.boxes {
            if x >= bx && x < bx + bw && y >= by && y < by + bh {
                return r;
            }
        }
        (self.base + self.slope.0 * x + self.slope.1 * y).clamp(0.05, 0.95)
    }
}

/// The camera's faults, applied to the rendered frame in order.
struct Faults {
    blur: f64,
    defocus: f64,
    glare: Option<(f64, f64, f64, f64)>,
    /// exposure: 255 = bright, 40 = dim
    light: f64,
    noise: f64,
    jpeg: Option<u8>,
}

impl Faults {
    fn random(rng: &mut Rng) -> Faults {
        let dim = rng.chance(0.25);
        Faults {
            blur: if rng.chance(0.6) {
                rng.f(0.3, 1.3)
            } else {
                0.0
            },
            defocus: if rng.chance(0.15) {
                rng.f(1.0, 2.2)
            } else {
                0.0
            },
            glare: rng.chance(0.2).then(|| {
                (
                    rng.f(160.0, 480.0),
                    rng.f(120.0, 360.0),
                    rng.f(15.0, 60.0),
                    rng.f(80.0, 260.0),
                )
            }),
            light: if dim {
                rng.f(35.0, 80.0)
            } else {
                rng.f(170.0, 255.0)
            },
            noise: if dim {
                rng.f(4.0, 10.0)
            } else {
                rng.f(1.0, 4.0)
            },
            jpeg: rng.chance(0.5).then(|| rng.f(30.0, 90.0) as u8),
        }
    }

    fn describe(&self) -> String {
        let mut s = Vec::new();
        if self.blur > 0.0 {
            s.push(format!("blur {:.1}px", self.blur));
        }
        if self.defocus > 0.0 {
            s.push(format!("defocus {:.1}px", self.defocus));
        }
        if self.glare.is_some() {
            s.push("glare".into());
        }
        if self.light < 100.0 {
            s.push(format!("dim {:.0}", self.light));
        }
        s.push(format!("noise {:.1}", self.noise));
        if let Some(q) = self.jpeg {
            s.push(format!("jpeg q{q}"));
        }
        s.join(", ")
    }

    /// Light the reflectance image and run it through the camera.
    fn apply(&self, rng: &mut Rng, w: u32, h: u32, refl: &[f64]) -> Vec<u8> {
        let mut img: Vec<f64> = refl.iter().map(|r| r * self.light).collect();
        if let Some((gx, gy, r, amp)) = self.glare {
            for y in 0..h as usize {
                for x in 0..w as usize {
                    let d2 = ((x as f64 - gx).powi(2) + (y as f64 - gy).powi(2) * 1.8) / (r * r);
                    img[y * w as usize + x] += amp * (-d2).exp();
                }
            }
        }
        if self.defocus > 0.0 {
            img = disk_blur(w, h, &img, self.defocus);
        }
        if self.blur > 0.0 {
            img = gaussian_blur(w, h, &img, self.blur);
        }
        let px: Vec<u8> = img
            .iter()
            .map(|v| (v + rng.gauss() * self.noise).round().clamp(0.0, 255.0) as u8)
            .collect();
        match self.jpeg {
            Some(q) => jpeg_round_trip(w, h, px, q),
            None => px,
        }
    }
}

fn gaussian_blur(w: u32, h: u32, img: &[f64], sigma: f64) -> Vec<f64> {
    let r = (sigma * 3.0).ceil() as i64;
    let k: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = k.iter().sum();
    let k: Vec<f64> = k.iter().map(|v| v / sum).collect();
    separable(w, h, img, &k)
}

fn disk_blur(w: u32, h: u32, img: &[f64], radius: f64) -> Vec<f64> {
    let r = radius.ceil() as i64;
    let (w, h) = (w as i64, h as i64);
    let mut taps = Vec::new();
    for dy in -r..=r {
        for dx in -r..=r {
            if ((dx * dx + dy * dy) as f64) <= radius * radius {
                taps.push((dx, dy));
            }
        }
    }
    let n = taps.len() as f64;
    let mut out = vec![0.0; img.len()];
    for y in 0..h {
        for x in 0..w {
            let s: f64 = taps
                .iter()
                .map(|(dx, dy)| {
                    let (xx, yy) = ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1));
                    img[(yy * w + xx) as usize]
                })
                .sum();
            out[(y * w + x) as usize] = s / n;
        }
    }
    out
}

fn separable(w: u32, h: u32, img: &[f64], k: &[f64]) -> Vec<f64> {
    let (w, h) = (w as i64, h as i64);
    let r = (k.len() / 2) as i64;
    let mut tmp = vec![0.0; img.len()];
    for y in 0..h {
        for x in 0..w {
            tmp[(y * w + x) as usize] = (-r..=r)
                .map(|i| img[(y * w + (x + i).clamp(0, w - 1)) as usize] * k[(i + r) as usize])
                .sum();
        }
    }
    let mut out = vec![0.0; img.len()];
    for y in 0..h {
        for x in 0..w {
            out[(y * w + x) as usize] = (-r..=r)
                .map(|i| tmp[((y + i).clamp(0, h - 1) * w + x) as usize] * k[(i + r) as usize])
                .sum();
        }
    }
    out
}

fn jpeg_round_trip(w: u32, h: u32, px: Vec<u8>, quality: u8) -> Vec<u8> {
    use image::ImageDecoder;
    let mut buf = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality);
    enc.encode(&px, w, h, image::ExtendedColorType::L8)
        .expect("JPEG encode of a frame in memory");
    let dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&buf))
        .expect("JPEG decoder on our own bytes");
    let mut out = vec![0u8; dec.total_bytes() as usize];
    dec.read_image(&mut out)
        .expect("JPEG decode of our own bytes");
    out
}

/// Render with 3x3 samples per pixel: the label where a ray meets it, the scene elsewhere.
fn render(w: u32, h: u32, label: Option<&Label>, scene: &Scene) -> Vec<f64> {
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let mut out = vec![0.0; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for sy in 0..3 {
                for sx in 0..3 {
                    let (fx, fy) = (
                        x as f64 + (sx as f64 + 0.5) / 3.0,
                        y as f64 + (sy as f64 + 0.5) / 3.0,
                    );
                    let on_label = label.and_then(|l| {
                        l.hit(fx - cx, fy - cy)
                            .and_then(|(u, v)| l.reflectance(u, v))
                    });
                    s += on_label.unwrap_or_else(|| scene.at(fx, fy));
                }
            }
            out[(y * w + x) as usize] = s / 9.0;
        }
    }
    out
}

fn code_frame(rng: &mut Rng, kind: Kind, name: String) -> Frame {
    let (w, h) = (640u32, 480u32);
    let text = payload(rng, kind);
    let bars = modules(kind, &text);
    let width = bars.len() as f64;
    // module width at the label's centre, in pixels: 1.5 to 4, as long as the code fits
    let max_m = (520.0 / (width + 20.0)).min(4.0);
    let module = if rng.chance(0.3) {
        rng.f(1.5, 2.0)
    } else {
        rng.f(1.5, max_m.max(1.6))
    };
    let roll = match rng.below(20) {
        0..=9 => rng.f(-12.0, 12.0),
        10..=13 => rng.f(12.0, 40.0) * if rng.chance(0.5) { 1.0 } else { -1.0 },
        14..=16 => 90.0 + rng.f(-12.0, 12.0),
        _ => rng.f(0.0, 360.0),
    };
    // tilt away from the camera: mostly mild, up to 40 degrees
    let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
    let yaw = sign
        * match rng.below(20) {
            0..=9 => rng.f(0.0, 15.0),
            10..=16 => rng.f(15.0, 30.0),
            _ => rng.f(30.0, 40.0),
        };
    let pitch = rng.f(-15.0, 15.0);
    let clipped = rng.chance(0.2);
    let quiet = if clipped {
        if rng.chance(0.5) {
            (rng.f(1.0, 4.0), 10.0)
        } else {
            (rng.f(1.0, 4.0), rng.f(1.0, 4.0))
        }
    } else {
        (rng.f(8.0, 14.0), rng.f(8.0, 14.0))
    };
    let curved = rng.chance(0.25);
    // the camera's distance in label units: closer means stronger perspective
    let dist = (width + 20.0) * rng.f(1.2, 3.0);
    let focal = module * dist;
    let radius = curved.then(|| (width + 20.0) / rng.f(1.2, 2.4));
    let bar_h = (width * rng.f(0.15, 0.45)).max(14.0);
    // the label's centre somewhere near the middle of the frame, in pixels then label units
    let (ox, oy) = (rng.f(-60.0, 60.0), rng.f(-50.0, 50.0));
    let label = Label {
        bars,
        quiet,
        bar_h,
        spread: rng.f(-0.15, 0.2),
        pose: mul(&rot_z(roll), &mul(&rot_y(yaw), &rot_x(pitch))),
        at: [ox / module, oy / module, dist],
        focal,
        radius,
        paper: rng.f(0.8, 0.95),
        ink: rng.f(0.04, 0.2),
    };
    let scene = Scene::random(rng, None);
    let faults = Faults::random(rng);
    let refl = render(w, h, Some(&label), &scene);
    let px = faults.apply(rng, w, h, &refl);
    let traits = format!(
        "{} {text:?}: module {module:.2}px, roll {roll:.0}°, tilt {yaw:.0}°/{pitch:.0}°{}{}, {}",
        kind.name(),
        if curved { ", curved" } else { "" },
        if clipped {
            format!(", quiet zone {:.1}/{:.1}", quiet.0, quiet.1)
        } else {
            String::new()
        },
        faults.describe()
    );
    Frame {
        name,
        kind: Some(kind),
        text: Some(text),
        w,
        h,
        px,
        traits,
    }
}

fn empty_frame(rng: &mut Rng, textured: bool, name: String) -> Frame {
    let (w, h) = (640u32, 480u32);
    let texture = textured.then(|| Texture::random(rng));
    let scene = Scene::random(rng, texture);
    let faults = Faults::random(rng);
    let refl = render(w, h, None, &scene);
    let px = faults.apply(rng, w, h, &refl);
    let traits = format!(
        "no code, {}: {}",
        texture.map_or("plain scene", Texture::name),
        faults.describe()
    );
    Frame {
        name,
        kind: None,
        text: None,
        w,
        h,
        px,
        traits,
    }
}
