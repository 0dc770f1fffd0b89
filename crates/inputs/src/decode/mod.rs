//! Barcode decoding of greyscale (luma) frames: QR, Data Matrix and 1D codes.
//!
//! Pipeline per frame (see `docs/scanning.md`): rxing (ZXing port) on a hybrid-binarised
//! bitmap for every enabled format; if no QR was read, rqrr as a second opinion on the raw
//! luma, then rxing again with a global-histogram binariser, and on large frames at half
//! scale. Every decoder call runs under `catch_unwind`: a decoder panic is a failed attempt,
//! never a dead station.

pub mod debounce;
mod engines;
pub mod frames;
mod linear;
pub mod still;

#[cfg(feature = "camera")]
pub mod camera_nokhwa;

use serde::Serialize;

pub use debounce::Debouncer;
pub use still::{decode_file, decode_files_report, load_luma, DecodeFileError, FileReport};

/// Barcode symbology, when the input knows it (cameras do; HID and line input do not).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Symbology {
    Qr,
    MicroQr,
    RectMicroQr,
    DataMatrix,
    Code128,
    Code39,
    Code93,
    Ean13,
    Ean8,
    UpcA,
    UpcE,
    Itf,
    Codabar,
    Other(String),
}

impl Symbology {
    /// Short stable name for reports (`qr`, `code128`, ...).
    pub fn name(&self) -> &str {
        match self {
            Symbology::Qr => "qr",
            Symbology::MicroQr => "microqr",
            Symbology::RectMicroQr => "rmqr",
            Symbology::DataMatrix => "datamatrix",
            Symbology::Code128 => "code128",
            Symbology::Code39 => "code39",
            Symbology::Code93 => "code93",
            Symbology::Ean13 => "ean13",
            Symbology::Ean8 => "ean8",
            Symbology::UpcA => "upca",
            Symbology::UpcE => "upce",
            Symbology::Itf => "itf",
            Symbology::Codabar => "codabar",
            Symbology::Other(s) => s,
        }
    }
}

/// Which library produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Rxing,
    Rqrr,
}

/// A point in frame pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pt {
    pub x: f32,
    pub y: f32,
}

/// One code read in a frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decoded {
    /// The payload as text (byte payloads in Shift_JIS/Latin-1 are converted to Unicode).
    pub text: String,
    /// The payload bytes: rqrr gives the raw payload; for rxing this is the UTF-8 of `text`.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub symbology: Symbology,
    /// AIM symbology identifier when the decoder reports one (`]Q3` = GS1 QR, `]C1` = GS1-128)
    pub aim_id: Option<String>,
    /// Corner or finder points as the decoder reports them (4 for 2D codes, 2 ends of a
    /// 1D scan line), in frame pixels.
    pub points: Vec<Pt>,
    pub engine: Engine,
}

impl Decoded {
    /// Centre of the reported points (for "position" in reports and for debouncing).
    pub fn center(&self) -> Option<Pt> {
        if self.points.is_empty() {
            return None;
        }
        let n = self.points.len() as f32;
        Some(Pt {
            x: self.points.iter().map(|p| p.x).sum::<f32>() / n,
            y: self.points.iter().map(|p| p.y).sum::<f32>() / n,
        })
    }
}

/// Camera frames over which the costly searches take turns ([`DecodeConfig::for_frame`]).
pub const CAMERA_CYCLE: u64 = 4;

/// Which formats and retries the pipeline runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DecodeConfig {
    pub qr: bool,
    pub data_matrix: bool,
    /// Data Matrix multi-line search: finds symbols away from the frame centre, costs ~4 ms
    /// more on a busy empty 640x480 frame (the camera path runs it one frame in four, see
    /// [`DecodeConfig::for_frame`])
    pub data_matrix_thorough: bool,
    /// Code 128, Code 39, Code 93, EAN-13/8, UPC-A/E, ITF, Codabar, at any angle
    pub one_d: bool,
    /// rqrr as a second opinion when rxing read no QR code
    pub rqrr_fallback: bool,
    /// retry with another binariser and at half scale when nothing was read
    pub retries: bool,
    /// with `retries`: look for light-on-dark QR codes when nothing was read
    pub inverted: bool,
    /// skip the 2D searches (QR, Data Matrix, their retries) on a frame with no patch busy
    /// in two directions (the camera path; stills try everything)
    pub only_where_busy: bool,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            qr: true,
            data_matrix: true,
            data_matrix_thorough: true,
            one_d: true,
            rqrr_fallback: true,
            retries: true,
            inverted: true,
            only_where_busy: false,
        }
    }
}

impl DecodeConfig {
    /// The configuration for camera frame number `seq`: the costly searches for rare cases are
    /// spread over a cycle of [`CAMERA_CYCLE`] frames, so that a frame costs about what its
    /// plain search costs, whether or not a code is in it; a code held in view meets every
    /// search within 4 frames (133 ms at 30 fps). Frames 0 and 2 of the cycle run the plain
    /// search, frame 1 adds the thorough Data Matrix search, frame 3 the QR second opinions
    /// (rqrr, another binariser, contrast stretch, half scale) and the inverted-QR retry.
    pub fn for_frame(&self, seq: u64) -> DecodeConfig {
        let phase = seq % CAMERA_CYCLE;
        DecodeConfig {
            data_matrix_thorough: self.data_matrix_thorough && phase == 1,
            rqrr_fallback: self.rqrr_fallback && phase == 3,
            retries: self.retries && phase == 3,
            inverted: self.inverted && phase == 3,
            only_where_busy: true,
            ..self.clone()
        }
    }

    /// QR only, all fallbacks: what the QR benchmark measures.
    pub fn qr_only() -> Self {
        DecodeConfig {
            data_matrix: false,
            one_d: false,
            ..Self::default()
        }
    }
}

/// Decode every code in a luma frame with the default pipeline.
/// A frame whose buffer does not match `width * height` reads nothing.
pub fn decode_luma(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    decode_luma_with(&DecodeConfig::default(), width, height, luma)
}

/// Decode every code in a luma frame with a given configuration.
pub fn decode_luma_with(cfg: &DecodeConfig, width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let Some(len) = (width as usize).checked_mul(height as usize) else {
        return Vec::new();
    };
    if width == 0 || height == 0 || luma.len() != len {
        tracing::warn!(
            width,
            height,
            got = luma.len(),
            "frame size does not match its buffer"
        );
        return Vec::new();
    }
    engines::run_pipeline(cfg, width, height, luma)
}

/// rqrr alone (the baseline the benchmark compares against), panics caught.
pub fn decode_luma_rqrr(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    if width == 0 || height == 0 || luma.len() != width as usize * height as usize {
        return Vec::new();
    }
    engines::guarded("rqrr", || engines::rqrr_decode(width, height, luma)).unwrap_or_default()
}

/// Place a frame in the centre of a `out_w` x `out_h` grey canvas (mid-grey border), scaling it
/// down (box filter) if it does not fit. Used to test "as a 640x480 camera would see it".
pub fn letterbox(width: u32, height: u32, luma: &[u8], out_w: u32, out_h: u32) -> Vec<u8> {
    let mut out = vec![128u8; out_w as usize * out_h as usize];
    if out_w == 0
        || out_h == 0
        || width == 0
        || height == 0
        || luma.len() != width as usize * height as usize
    {
        return out;
    }
    let scale = (out_w as f32 / width as f32)
        .min(out_h as f32 / height as f32)
        .min(1.0);
    let (sw, sh) = (
        ((width as f32 * scale) as u32).max(1),
        ((height as f32 * scale) as u32).max(1),
    );
    let scaled;
    let src = if (sw, sh) == (width, height) {
        luma
    } else {
        scaled = resize_box(width, height, luma, sw, sh);
        &scaled
    };
    let (ox, oy) = ((out_w - sw) / 2, (out_h - sh) / 2);
    for y in 0..sh as usize {
        let dst = (oy as usize + y) * out_w as usize + ox as usize;
        out[dst..dst + sw as usize].copy_from_slice(&src[y * sw as usize..(y + 1) * sw as usize]);
    }
    out
}

/// Area-average resize (down-scaling only is meaningful).
pub fn resize_box(width: u32, height: u32, luma: &[u8], nw: u32, nh: u32) -> Vec<u8> {
    let (w, h, nw, nh) = (width as usize, height as usize, nw as usize, nh as usize);
    let mut out = vec![0u8; nw * nh];
    for oy in 0..nh {
        let y0 = oy * h / nh;
        let y1 = ((oy + 1) * h / nh).max(y0 + 1).min(h);
        for ox in 0..nw {
            let x0 = ox * w / nw;
            let x1 = ((ox + 1) * w / nw).max(x0 + 1).min(w);
            let mut sum = 0u32;
            for y in y0..y1 {
                for &v in &luma[y * w + x0..y * w + x1] {
                    sum += v as u32;
                }
            }
            out[oy * nw + ox] = (sum / ((y1 - y0) * (x1 - x0)) as u32) as u8;
        }
    }
    out
}
