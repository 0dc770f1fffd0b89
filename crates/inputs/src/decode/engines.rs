//! The decoder calls themselves (rxing, rqrr), each guarded by `catch_unwind`, and the
//! order in which the pipeline tries them.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use rxing::common::DetectorRXingResult;
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::datamatrix::decoder::Decoder as DmDecoder;
use rxing::datamatrix::detector::zxing_cpp_detector::detect as dm_detect;
use rxing::multi::MultipleBarcodeReader;
use rxing::oned::{MultiFormatOneDReader, OneDReader};
use rxing::qrcode::cpp_port::detector::FindFinderPatterns;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::QRCodeReader;
use rxing::{
    BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, RXingResult,
    RXingResultMetadataType, RXingResultMetadataValue, Reader,
};

use super::Symbology;
use super::{DecodeConfig, Decoded, Engine, Pt};

/// Run `f`, turning a panic into `None` (logged). The panic message still goes to the
/// panic hook (stderr); the station keeps running.
pub(crate) fn guarded<T>(what: &'static str, f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(e) => {
            let msg = e
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::warn!(decoder = what, panic = %msg, "decoder panicked; frame counted as unread");
            None
        }
    }
}

fn symbology_of(f: &BarcodeFormat) -> Symbology {
    match f {
        BarcodeFormat::QR_CODE => Symbology::Qr,
        BarcodeFormat::MICRO_QR_CODE => Symbology::MicroQr,
        BarcodeFormat::RECTANGULAR_MICRO_QR_CODE => Symbology::RectMicroQr,
        BarcodeFormat::DATA_MATRIX => Symbology::DataMatrix,
        BarcodeFormat::CODE_128 => Symbology::Code128,
        BarcodeFormat::CODE_39 => Symbology::Code39,
        BarcodeFormat::CODE_93 => Symbology::Code93,
        BarcodeFormat::EAN_13 => Symbology::Ean13,
        BarcodeFormat::EAN_8 => Symbology::Ean8,
        BarcodeFormat::UPC_A => Symbology::UpcA,
        BarcodeFormat::UPC_E => Symbology::UpcE,
        BarcodeFormat::ITF => Symbology::Itf,
        BarcodeFormat::CODABAR => Symbology::Codabar,
        other => Symbology::Other(format!("{other:?}")),
    }
}

fn from_rxing(r: &RXingResult, scale: f32) -> Decoded {
    let aim_id = r
        .getRXingResultMetadata()
        .get(&RXingResultMetadataType::SYMBOLOGY_IDENTIFIER)
        .and_then(|v| match v {
            RXingResultMetadataValue::SymbologyIdentifier(s) => Some(s.clone()),
            _ => None,
        });
    let text = r.getText().to_owned();
    Decoded {
        bytes: text.as_bytes().to_vec(),
        text,
        symbology: symbology_of(r.getBarcodeFormat()),
        aim_id,
        points: r
            .getPoints()
            .iter()
            .map(|p| Pt {
                x: p.x * scale,
                y: p.y * scale,
            })
            .collect(),
        engine: Engine::Rxing,
    }
}

fn hints(formats: &[BarcodeFormat], also_inverted: bool) -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(formats.iter().copied().collect::<HashSet<_>>()),
        AlsoInverted: Some(also_inverted),
        ..DecodeHints::default()
    }
}

const ONE_D: &[BarcodeFormat] = &[
    BarcodeFormat::CODE_128,
    BarcodeFormat::CODE_39,
    BarcodeFormat::CODE_93,
    BarcodeFormat::EAN_13,
    BarcodeFormat::EAN_8,
    BarcodeFormat::UPC_A,
    BarcodeFormat::UPC_E,
    BarcodeFormat::ITF,
    BarcodeFormat::CODABAR,
];

/// All QR codes (QR, Micro QR, rMQR) in a binarised bitmap, and how many finder-pattern
/// candidates the bitmap has. zxing-cpp's detector port reads several codes per frame; ZXing's
/// classic detector is tried only if that read nothing but at least two finders were seen.
/// No finder candidate at all (the common empty frame) costs only the finder search.
fn rxing_qr<B: Binarizer>(bmp: &mut BinaryBitmap<B>, scale: f32) -> (Vec<Decoded>, usize) {
    let finders = guarded("rxing-finders", || {
        FindFinderPatterns(bmp.get_black_matrix(), true, 0).len()
    })
    .unwrap_or(0);
    if finders == 0 {
        return (Vec::new(), 0);
    }
    let h = hints(
        &[
            BarcodeFormat::QR_CODE,
            BarcodeFormat::MICRO_QR_CODE,
            BarcodeFormat::RECTANGULAR_MICRO_QR_CODE,
        ],
        false,
    );
    let mut out: Vec<Decoded> = guarded("rxing-qr", || {
        QrReader
            .decode_multiple_with_hints(bmp, &h)
            .map(|v| v.iter().map(|r| from_rxing(r, scale)).collect::<Vec<_>>())
            .unwrap_or_default()
    })
    .unwrap_or_default();
    if out.is_empty() && finders >= MIN_FINDERS {
        let h = hints(&[BarcodeFormat::QR_CODE], false);
        if let Some(Ok(r)) = guarded("rxing-qr-classic", || {
            QRCodeReader.decode_with_hints(bmp, &h)
        }) {
            out.push(from_rxing(&r, scale));
        }
    }
    (out, finders)
}

/// All Data Matrix symbols: zxing-cpp's edge-tracing detector (as ported in rxing), with its
/// multi-line scan when `try_harder` (off-centre symbols), each candidate decoded in turn.
fn rxing_dm<B: Binarizer>(bmp: &mut BinaryBitmap<B>, try_harder: bool) -> Vec<Decoded> {
    static DECODER: OnceLock<DmDecoder> = OnceLock::new();
    let decoder = DECODER.get_or_init(DmDecoder::new);
    guarded("rxing-datamatrix", || {
        let Ok(symbols) = dm_detect(bmp.get_black_matrix(), try_harder, true) else {
            return Vec::new();
        };
        let mut out: Vec<Decoded> = Vec::new();
        for sym in symbols {
            let Ok(dec) = decoder.decode(sym.getBits()) else {
                continue;
            };
            let text = dec.getText().to_owned();
            if out.iter().any(|d| d.text == text) {
                continue;
            }
            out.push(Decoded {
                bytes: text.as_bytes().to_vec(),
                text,
                symbology: Symbology::DataMatrix,
                aim_id: Some(format!("]d{}", dec.getSymbologyModifier())),
                points: sym
                    .getPoints()
                    .iter()
                    .map(|p| Pt { x: p.x, y: p.y })
                    .collect(),
                engine: Engine::Rxing,
            });
        }
        out
    })
    .unwrap_or_default()
}

/// 1D codes by scan lines, like ZXing's row scan but stricter: a result counts only if at
/// least two different rows (forward or reversed) read the same text. A single noisy row
/// decoding to a short EAN-8/UPC-E is the classic false read on textured backgrounds.
fn rxing_1d<B: Binarizer>(bmp: &mut BinaryBitmap<B>, rotated: bool) -> Vec<Decoded> {
    let h = hints(ONE_D, false);
    let (bw, bh) = (bmp.get_width(), bmp.get_height());
    guarded("rxing-1d", || {
        let mut reader = MultiFormatOneDReader::new(&h);
        let step = (bh / 32).max(1);
        let middle = bh / 2;
        // (result, rows that read it)
        let mut found: Vec<(RXingResult, Vec<usize>)> = Vec::new();
        for i in 0..ROWS_1D {
            let off = i.div_ceil(2) * step;
            let row_no = if i % 2 == 0 {
                middle.checked_add(off)
            } else {
                middle.checked_sub(off)
            };
            let Some(row_no) = row_no.filter(|r| *r < bh) else {
                continue;
            };
            let Ok(row) = bmp.get_black_row(row_no) else {
                continue;
            };
            let mut row = row.into_owned();
            for attempt in 0..2 {
                if attempt == 1 {
                    row.reverse();
                }
                let Ok(mut r) = reader.decode_row(row_no as u32, &row, &h) else {
                    continue;
                };
                if attempt == 1 {
                    for p in r.getPointsMut().iter_mut() {
                        p.x = bw as f32 - p.x - 1.0;
                    }
                }
                match found.iter_mut().find(|(f, _)| {
                    f.getText() == r.getText() && f.getBarcodeFormat() == r.getBarcodeFormat()
                }) {
                    Some((_, rows)) => {
                        if !rows.contains(&row_no) {
                            rows.push(row_no)
                        }
                    }
                    None => found.push((r, vec![row_no])),
                }
                break;
            }
        }
        found
            .into_iter()
            .filter(|(_, rows)| rows.len() >= 2)
            .map(|(r, _)| {
                let mut d = from_rxing(&r, 1.0);
                if rotated {
                    // rotated counter-clockwise: (x, y) in the rotated frame is (W-1-y, x) back
                    for p in d.points.iter_mut() {
                        let (x, y) = (p.x, p.y);
                        p.x = bh as f32 - 1.0 - y;
                        p.y = x;
                    }
                }
                d
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Scan lines tried per orientation (spaced 1/32 of the height around the middle).
const ROWS_1D: usize = 25;

/// Finder-pattern candidates needed before the costly QR second opinions run.
const MIN_FINDERS: usize = 2;

/// Text of a QR byte payload: UTF-8 if valid, else Shift_JIS (common in Japan), else Latin-1
/// (the QR default).
fn payload_text(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    if let Some(s) =
        encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
    {
        return s.into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// rqrr over the raw luma (it binarises on its own). Panics must be caught by the caller.
pub(crate) fn rqrr_decode(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let w = width as usize;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(w, height as usize, |x, y| luma[y * w + x]);
    let mut out = Vec::new();
    for grid in img.detect_grids() {
        let mut bytes = Vec::new();
        if grid.decode_to(&mut bytes).is_ok() {
            out.push(Decoded {
                text: payload_text(&bytes),
                bytes,
                symbology: Symbology::Qr,
                aim_id: None,
                points: grid
                    .bounds
                    .iter()
                    .map(|p| Pt {
                        x: p.x as f32,
                        y: p.y as f32,
                    })
                    .collect(),
                engine: Engine::Rqrr,
            });
        }
    }
    out
}

fn push_unique(out: &mut Vec<Decoded>, d: Decoded) {
    if !out
        .iter()
        .any(|o| o.text == d.text && o.symbology == d.symbology)
    {
        out.push(d);
    }
}

/// Linear stretch of the 1st..99th percentile grey range to 0..255, only for frames whose
/// range is narrow (below 128 levels); `None` when the frame has enough contrast already.
fn stretch_contrast(luma: &[u8]) -> Option<Vec<u8>> {
    let mut hist = [0usize; 256];
    for &v in luma {
        hist[v as usize] += 1;
    }
    let cut = luma.len() / 100;
    let (mut acc, mut lo) = (0, 0usize);
    for (i, &n) in hist.iter().enumerate() {
        acc += n;
        if acc > cut {
            lo = i;
            break;
        }
    }
    let (mut acc, mut hi) = (0, 255usize);
    for (i, &n) in hist.iter().enumerate().rev() {
        acc += n;
        if acc > cut {
            hi = i;
            break;
        }
    }
    if hi <= lo + 8 || hi - lo >= 128 {
        return None;
    }
    let span = (hi - lo) as u32;
    let mut lut = [0u8; 256];
    for (v, o) in lut.iter_mut().enumerate() {
        *o = ((v.clamp(lo, hi) - lo) as u32 * 255 / span) as u8;
    }
    Some(luma.iter().map(|&v| lut[v as usize]).collect())
}

/// The whole pipeline for one frame (size already checked).
pub(crate) fn run_pipeline(
    cfg: &DecodeConfig,
    width: u32,
    height: u32,
    luma: &[u8],
) -> Vec<Decoded> {
    let mut out = Vec::new();
    let Ok(src) = Luma8Source::new_with_slice(luma, width, height) else {
        return out;
    };
    let mut bmp = BinaryBitmap::new(HybridBinarizer::new(src.clone()));
    let mut finders = 0;
    if cfg.qr {
        let (found, f) = rxing_qr(&mut bmp, 1.0);
        finders = f;
        for d in found {
            push_unique(&mut out, d);
        }
    }
    if cfg.one_d {
        for d in rxing_1d(&mut bmp, false) {
            push_unique(&mut out, d);
        }
        if cfg.retries && cfg.one_d_rotated && out.is_empty() {
            let mut rot = bmp.rotate_counter_clockwise();
            for d in rxing_1d(&mut rot, true) {
                push_unique(&mut out, d);
            }
        }
    }
    if cfg.data_matrix {
        // the thorough search only where nothing else was read (it is the costly part of an
        // empty frame); the quick one still finds a centred symbol beside another code
        let thorough = cfg.data_matrix_thorough && out.is_empty();
        for d in rxing_dm(&mut bmp, thorough) {
            push_unique(&mut out, d);
        }
    }
    let qr_found = out.iter().any(|d| d.symbology.is_qr_family());
    if cfg.qr && !qr_found {
        // Second opinions cost 3-10 ms a frame; spend them only where the QR detector saw
        // finder-pattern candidates, i.e. a code is probably there but was not read.
        if finders >= MIN_FINDERS {
            if cfg.rqrr_fallback {
                for d in guarded("rqrr", || rqrr_decode(width, height, luma)).unwrap_or_default() {
                    push_unique(&mut out, d);
                }
            }
            if cfg.retries && out.is_empty() {
                let mut gbmp = BinaryBitmap::new(GlobalHistogramBinarizer::new(src));
                for d in rxing_qr(&mut gbmp, 1.0).0 {
                    push_unique(&mut out, d);
                }
            }
        }
        if cfg.retries && out.is_empty() {
            // low-contrast frames (dim light, faded print): stretch the grey range and retry
            if let Some(st) = stretch_contrast(luma) {
                if let Ok(ssrc) = Luma8Source::new_with_slice(&st, width, height) {
                    let mut sbmp = BinaryBitmap::new(HybridBinarizer::new(ssrc));
                    for d in rxing_qr(&mut sbmp, 1.0).0 {
                        push_unique(&mut out, d);
                    }
                }
            }
        }
        if cfg.retries && cfg.inverted && out.is_empty() {
            // light-on-dark codes (phone screens, laser-etched metal)
            bmp.invert();
            for d in rxing_qr(&mut bmp, 1.0).0 {
                push_unique(&mut out, d);
            }
            bmp.invert();
        }
        if cfg.retries && out.is_empty() && width.max(height) > 800 {
            let (hw, hh) = (width / 2, height / 2);
            let half = super::resize_box(width, height, luma, hw, hh);
            if let Ok(hsrc) = Luma8Source::new_with_slice(&half, hw, hh) {
                let mut hbmp = BinaryBitmap::new(HybridBinarizer::new(hsrc));
                for d in rxing_qr(&mut hbmp, width as f32 / hw as f32).0 {
                    push_unique(&mut out, d);
                }
            }
        }
    }
    out
}
