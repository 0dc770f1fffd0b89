//! Still images: load a PNG/JPEG/WebP file as luma and decode it; the report behind
//! `tagstation decode FILE... [--json]`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{decode_luma_with, DecodeConfig, Decoded, Pt};

/// Why an image file could not be decoded at all.
#[derive(Debug, thiserror::Error)]
pub enum DecodeFileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot decode image {path}: {reason}")]
    Image { path: PathBuf, reason: String },
}

/// Largest image side accepted (a guard against decompression bombs).
const MAX_SIDE: u32 = 8192;

/// Load an image file (PNG, JPEG, WebP) as 8-bit luma: `(width, height, pixels)`.
pub fn load_luma(path: &Path) -> Result<(u32, u32, Vec<u8>), DecodeFileError> {
    let bytes = std::fs::read(path).map_err(|source| DecodeFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    luma_from_bytes(&bytes).map_err(|reason| DecodeFileError::Image {
        path: path.to_owned(),
        reason,
    })
}

/// Decode an in-memory PNG/JPEG/WebP to 8-bit luma, checking its size before decoding.
pub fn luma_from_bytes(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| e.to_string())
    };
    let (w, h) = reader()?.into_dimensions().map_err(|e| e.to_string())?;
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!("{w}x{h} is larger than {MAX_SIDE} pixels a side"));
    }
    let img = reader()?.decode().map_err(|e| e.to_string())?;
    let g = img.into_luma8();
    Ok((g.width(), g.height(), g.into_raw()))
}

/// Decode every code in an image file with the default pipeline.
pub fn decode_file(path: &Path) -> Result<Vec<Decoded>, DecodeFileError> {
    let (w, h, luma) = load_luma(path)?;
    Ok(decode_luma_with(&DecodeConfig::default(), w, h, &luma))
}

/// One code in a file report.
#[derive(Debug, Clone, Serialize)]
pub struct CodeReport {
    pub text: String,
    pub symbology: String,
    pub aim_id: Option<String>,
    /// centre of the code in image pixels
    pub center: Option<Pt>,
    pub points: Vec<Pt>,
    pub engine: super::Engine,
    /// GS1 interpretation (HRI form) when the text is a GS1 element string
    pub gs1: Option<String>,
}

/// The result for one file of `tagstation decode`.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub ms: f64,
    pub codes: Vec<CodeReport>,
    /// set when the file could not be read or decoded as an image
    pub error: Option<String>,
}

/// Decode each file and collect a report (never fails as a whole; per-file errors are kept).
pub fn decode_files_report(paths: &[PathBuf], cfg: &DecodeConfig) -> Vec<FileReport> {
    paths
        .iter()
        .map(|p| {
            let mut rep = FileReport {
                path: p.clone(),
                width: 0,
                height: 0,
                ms: 0.0,
                codes: vec![],
                error: None,
            };
            match load_luma(p) {
                Ok((w, h, luma)) => {
                    rep.width = w;
                    rep.height = h;
                    let t = std::time::Instant::now();
                    let codes = decode_luma_with(cfg, w, h, &luma);
                    rep.ms = t.elapsed().as_secs_f64() * 1000.0;
                    rep.codes = codes
                        .into_iter()
                        .map(|d| {
                            let gs1 = text_gs1(&d);
                            CodeReport {
                                center: d.center(),
                                symbology: d.symbology.name().to_owned(),
                                text: d.text,
                                aim_id: d.aim_id,
                                points: d.points,
                                engine: d.engine,
                                gs1,
                            }
                        })
                        .collect();
                }
                Err(e) => rep.error = Some(e.to_string()),
            }
            rep
        })
        .collect()
}

fn text_gs1(d: &Decoded) -> Option<String> {
    tagstation_core::scan::gs1::from_scan(&d.text, d.aim_id.as_deref())?
        .ok()
        .map(|g| g.to_hri())
}

/// Print reports: one line per code (`path<TAB>symbology<TAB>x,y<TAB>text`), or JSON.
/// Control characters in text are escaped so the terminal stays sane.
pub fn write_report(
    reports: &[FileReport],
    json: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, reports).map_err(std::io::Error::other)?;
        return writeln!(out);
    }
    for r in reports {
        if let Some(e) = &r.error {
            writeln!(out, "{}\terror\t-\t{}", r.path.display(), e)?;
            continue;
        }
        if r.codes.is_empty() {
            writeln!(
                out,
                "{}\tnone\t-\t(no code found, {:.1} ms)",
                r.path.display(),
                r.ms
            )?;
        }
        for c in &r.codes {
            let pos = c
                .center
                .map(|p| format!("{:.0},{:.0}", p.x, p.y))
                .unwrap_or_else(|| "-".into());
            let text: String = c.text.escape_debug().collect();
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                r.path.display(),
                c.symbology,
                pos,
                text
            )?;
            if let Some(g) = &c.gs1 {
                writeln!(out, "{}\tgs1\t{}\t{}", r.path.display(), pos, g)?;
            }
        }
    }
    Ok(())
}
