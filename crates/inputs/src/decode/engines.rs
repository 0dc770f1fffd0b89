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
use rxing::oned::MultiFormatOneDReader;
use rxing::qrcode::cpp_port::detector::FindFinderPatterns;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::QRCodeReader;
use rxing::{
    BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, RXingResult,
    RXingResultMetadataType, RXingResultMetadataValue, Reader,
};

use super::linear;
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

/// 1D codes at any angle (see [`linear`]): scan lines across each striped region of the
/// frame. A code counts when two lines read the same text; a region with one read, or the
/// frame's largest with none, gets more lines, turned a little either way (perspective and
/// curved labels bend the bars).
fn linear_1d(
    width: u32,
    height: u32,
    luma: &[u8],
    striped: Vec<linear::Candidate>,
) -> Vec<Decoded> {
    let h = hints(ONE_D, false);
    let (w, ht) = (width as usize, height as usize);
    guarded("rxing-1d", || {
        let mut reader = MultiFormatOneDReader::new(&h);
        let mut scratch = linear::Scratch::default();
        let mut out: Vec<Decoded> = Vec::new();
        for (rank, c) in striped.into_iter().enumerate() {
            // (text, format) read and by how many lines
            let mut tally: Vec<(linear::LineRead, usize)> = Vec::new();
            'rounds: for (round, (count, turn)) in LINE_ROUNDS.iter().enumerate() {
                let read_any = !tally.is_empty();
                // a region nothing read yet gets the turned lines only if it is one of the
                // frame's largest; the last round only confirms a read
                let worth_turning = c.blocks >= BIG_CANDIDATE && rank < TURNED_CANDIDATES;
                if round > 0 && !read_any && (!worth_turning || round + 1 == LINE_ROUNDS.len()) {
                    break;
                }
                for line in linear::lines_across(&c, *count, *turn, w, ht) {
                    let Some(r) = linear::read_line(w, luma, &line, &mut reader, &h, &mut scratch)
                    else {
                        continue;
                    };
                    if !c.holds(r.from, r.to) {
                        continue; // read elsewhere on the line: not this patch's code
                    }
                    let same = |t: &(linear::LineRead, usize)| {
                        t.0.result.getText() == r.result.getText()
                            && t.0.result.getBarcodeFormat() == r.result.getBarcodeFormat()
                    };
                    match tally.iter_mut().find(|t| same(t)) {
                        Some(t) => {
                            t.1 += 1;
                            break 'rounds;
                        }
                        None => tally.push((r, 1)),
                    }
                }
            }
            for (r, n) in tally {
                if n >= 2 {
                    let mut d = from_rxing(&r.result, 1.0);
                    d.points = vec![
                        Pt {
                            x: r.from.0,
                            y: r.from.1,
                        },
                        Pt {
                            x: r.to.0,
                            y: r.to.1,
                        },
                    ];
                    push_unique(&mut out, d);
                }
            }
        }
        out
    })
    .unwrap_or_default()
}

/// Rounds of scan lines per striped region: how many lines, turned by how much (radians).
const LINE_ROUNDS: [(usize, f32); 4] = [(5, 0.0), (6, 0.07), (6, -0.07), (8, 0.0)];

/// Blocks from which a region with no read at all still gets the turned lines.
const BIG_CANDIDATE: usize = 5;

/// How many of a frame's largest regions with no read at all get the turned lines.
const TURNED_CANDIDATES: usize = 1;

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
    // one glance at the frame's blocks, when something uses it: where 1D codes may be, and
    // whether anything could be a 2D code at all (the camera skips the thorough searches
    // below where nothing is)
    let survey = (cfg.one_d || cfg.only_where_busy)
        .then(|| linear::survey(width as usize, height as usize, luma));
    let busy = !cfg.only_where_busy || survey.as_ref().is_some_and(|s| s.two_d);
    let mut finders = 0;
    // a QR code's modules make its patch busy in two directions: on a camera frame where
    // nothing is, the QR search (binariser and finder patterns) has nothing to find
    if cfg.qr && busy {
        let (found, f) = rxing_qr(&mut bmp, 1.0);
        finders = f;
        for d in found {
            push_unique(&mut out, d);
        }
    }
    if cfg.one_d {
        let striped = survey.map(|s| s.striped).unwrap_or_default();
        for d in linear_1d(width, height, luma, striped) {
            push_unique(&mut out, d);
        }
    }
    if cfg.data_matrix && busy {
        // only where something is busy enough to be a symbol; the thorough search only
        // where nothing else was read (it is the costly part of an empty frame); the quick
        // one still finds a centred symbol beside another code
        let thorough = cfg.data_matrix_thorough && out.is_empty();
        for d in rxing_dm(&mut bmp, thorough) {
            push_unique(&mut out, d);
        }
    }
    // The second opinions are for a frame where nothing was read: a frame that gave up a
    // code already paid its way, and one more decoder there is mostly time lost.
    if cfg.qr && out.is_empty() {
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
        // the retries below look for a code the plain search could not see; without a
        // patch busy in two directions there is none to find
        let retries = cfg.retries && busy;
        if retries && out.is_empty() {
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
        if retries && cfg.inverted && out.is_empty() {
            // light-on-dark codes (phone screens, laser-etched metal)
            bmp.invert();
            for d in rxing_qr(&mut bmp, 1.0).0 {
                push_unique(&mut out, d);
            }
            bmp.invert();
        }
        if retries && out.is_empty() && width.max(height) > 800 {
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
