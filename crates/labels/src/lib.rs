//! tagstation's labels: one job, printable labels for units (and later items, locations
//! and badges) as PDF sheets and single thermal labels, and as ZPL for Zebra printers.
//!
//! A label carries its code large (QR by default, Data Matrix for small labels, Code 128
//! for laser scanners), the tag as text, the unit's and item's names, and optionally the
//! organisation's name and one custom field. The code holds the tag itself, so any
//! scanner types it back, or a URL with the tag in it ([`Options::url`]).
//!
//! Depends on nothing of tagstation's and on no server, so a station prints as the hub
//! does; the web app's enrollment QR code is drawn by the same encoder ([`Symbol::svg`]).
//! Quiet zones and a least module size are kept on every layout ([`Symbology`]); a tag
//! whose code would not fit is refused, naming the unit ([`LabelError::TooLong`]).
//! [`print`] sends them to a printer: a PDF to a CUPS queue through `lp`, or ZPL to a
//! Zebra printer on the network.

mod code128;
mod font;
pub mod layout;
mod pdf;
pub mod print;
pub mod symbol;
mod zpl;

use std::collections::BTreeMap;

pub use layout::{Cell, Layout, Stock, LAYOUTS};
pub use symbol::{EncodeError, Symbol, Symbology};

/// What goes wrong making labels; each names what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    #[error("{unit}: the tag {tag:?} is too long for a {code} code on {layout} labels: {reason}", tag = short(tag))]
    TooLong {
        unit: String,
        tag: String,
        code: Symbology,
        layout: &'static str,
        reason: String,
    },
    #[error("{unit}: the tag {tag:?} cannot be a {code} code: {reason}", tag = short(tag))]
    Unencodable {
        unit: String,
        tag: String,
        code: Symbology,
        reason: EncodeError,
    },
    #[error("{unit}: no field {field:?} to print (its fields: {available})")]
    NoSuchField {
        unit: String,
        field: String,
        available: String,
    },
    #[error("{unit}: no tag to print")]
    NoTag { unit: String },
    #[error("unknown label layout {0:?} (known: {known})", known = layout_names())]
    UnknownLayout(String),
    #[error("unknown code {0:?} (known: qr, datamatrix, code128)")]
    UnknownCode(String),
    #[error("start position {start} is past the {per_page} labels of a {layout} sheet")]
    BadStart {
        start: usize,
        per_page: usize,
        layout: &'static str,
    },
    #[error("the code URL {0:?} has no {{tag}} for the tag to go in")]
    UrlWithoutTag(String),
    #[error("ZPL (a Zebra printer) is for thermal labels ({thermal}); {0} is a sheet for an office printer", thermal = thermal_names())]
    NotThermal(&'static str),
}

/// A tag as an error shows it: its first 32 characters.
fn short(tag: &str) -> String {
    if tag.chars().count() > 32 {
        tag.chars().take(31).collect::<String>() + "…"
    } else {
        tag.to_string()
    }
}

fn thermal_names() -> String {
    names(Layout::is_roll)
}

fn layout_names() -> String {
    names(|_| true)
}

/// The names of the layouts `keep` keeps, for messages.
fn names(keep: impl Fn(&Layout) -> bool) -> String {
    LAYOUTS
        .iter()
        .filter(|l| keep(l))
        .map(|l| l.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One thing to label: a unit with its tag.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Subject {
    /// The unit's name ("Drill 03"): on the label, and in any error.
    pub unit: String,
    /// Its item's name ("Drill").
    pub item: String,
    /// The tag the code carries.
    pub tag: Option<String>,
    /// Its custom fields, for [`Options::field`].
    pub fields: BTreeMap<String, String>,
}

impl From<&tagstation_core::view::UnitView> for Subject {
    /// A unit as its label shows it, as the station and the hub read it alike.
    fn from(u: &tagstation_core::view::UnitView) -> Subject {
        Subject {
            unit: u.name.clone(),
            item: u.item.clone(),
            tag: u.asset_tag.clone(),
            fields: u.fields.clone(),
        }
    }
}

/// How to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub layout: &'static Layout,
    pub code: Symbology,
    /// Labels to skip on the first sheet (a half-used sheet): the first label goes in
    /// this position, counting from 0 across then down.
    pub start: usize,
    /// The organisation's name, on every label.
    pub org: Option<String>,
    /// One custom field of each unit, printed as "name: value".
    pub field: Option<String>,
    /// What the code holds: the tag (`None`) or this URL with `{tag}` replaced by the
    /// tag, percent-encoded.
    pub url: Option<String>,
}

impl Options {
    pub fn new(layout: &'static Layout) -> Self {
        Options {
            layout,
            code: Symbology::default(),
            start: 0,
            org: None,
            field: None,
            url: None,
        }
    }
}

/// A line of text on a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub bold: bool,
}

/// A label ready to draw: its code encoded and its text chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub unit: String,
    pub tag: String,
    /// What the code holds.
    pub payload: String,
    pub symbol: Symbol,
    pub lines: Vec<Line>,
}

/// A rectangle in millimetres from the label's top left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// A line of text placed: its baseline's left end, in millimetres from the label's top
/// left, and its size in points (WinAnsi bytes, cut to fit).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLine {
    pub x: f32,
    pub baseline: f32,
    pub size_pt: f32,
    pub bold: bool,
    pub bytes: Vec<u8>,
    /// The text as placed (cut with "…" when it did not fit), for ZPL.
    pub text: String,
}

/// Where everything on one label goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The symbol's top left (inside its quiet zone) and module size, in mm.
    pub code_x: f32,
    pub code_y: f32,
    pub module: f32,
    /// A linear code's bar height, in mm (a 2D code's modules are square).
    pub bar_h: f32,
    pub lines: Vec<PlacedLine>,
}

const PT: f32 = 25.4 / 72.0;
/// The smallest text on a label, in points.
const MIN_PT: f32 = 4.0;

/// Encode and check every label: a subject without a tag, a missing field or a tag
/// that does not fit is an error naming the unit; nothing is drawn until all fit.
pub fn prepare(subjects: &[Subject], opts: &Options) -> Result<Vec<Label>, LabelError> {
    let layout = opts.layout;
    if opts.start >= layout.per_page() && !layout.is_roll() {
        return Err(LabelError::BadStart {
            start: opts.start,
            per_page: layout.per_page(),
            layout: layout.name,
        });
    }
    if let Some(url) = &opts.url {
        if !url.contains("{tag}") {
            return Err(LabelError::UrlWithoutTag(url.clone()));
        }
    }
    subjects
        .iter()
        .map(|s| {
            let label = label(s, opts)?;
            plan(&label, layout)?;
            Ok(label)
        })
        .collect()
}

fn label(s: &Subject, opts: &Options) -> Result<Label, LabelError> {
    let tag = s
        .tag
        .clone()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| LabelError::NoTag {
            unit: s.unit.clone(),
        })?;
    let payload = match &opts.url {
        Some(url) => url.replace("{tag}", &percent(&tag)),
        None => tag.clone(),
    };
    let symbol = Symbol::encode(opts.code, &payload).map_err(|e| match e {
        EncodeError::TooLong(_) => LabelError::TooLong {
            unit: s.unit.clone(),
            tag: tag.clone(),
            code: opts.code,
            layout: opts.layout.name,
            reason: e.to_string(),
        },
        _ => LabelError::Unencodable {
            unit: s.unit.clone(),
            tag: tag.clone(),
            code: opts.code,
            reason: e,
        },
    })?;
    let mut lines = vec![Line {
        text: tag.clone(),
        bold: true,
    }];
    // A location labelled by its name has it as its tag already.
    if s.unit != tag {
        lines.push(Line {
            text: s.unit.clone(),
            bold: false,
        });
    }
    // "Drill 03" already says "Drill".
    if !s.unit.to_lowercase().contains(&s.item.to_lowercase()) {
        lines.push(Line {
            text: s.item.clone(),
            bold: false,
        });
    }
    if let Some(field) = &opts.field {
        let value = s
            .fields
            .get(field)
            .or_else(|| {
                s.fields
                    .iter()
                    .find(|(k, _)| k.to_lowercase() == field.to_lowercase())
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| LabelError::NoSuchField {
                unit: s.unit.clone(),
                field: field.clone(),
                available: if s.fields.is_empty() {
                    "none".into()
                } else {
                    s.fields.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })?;
        lines.push(Line {
            text: format!("{field}: {value}"),
            bold: false,
        });
    }
    if let Some(org) = opts.org.as_ref().filter(|o| !o.trim().is_empty()) {
        lines.push(Line {
            text: org.clone(),
            bold: false,
        });
    }
    Ok(Label {
        unit: s.unit.clone(),
        tag,
        payload,
        symbol,
        lines,
    })
}

/// Unreserved characters as they are, everything else as `%XX` (RFC 3986).
fn percent(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where the code and each line go on a label of `layout`; the code's module no smaller
/// than its symbology allows (else [`LabelError::TooLong`]). On a thermal roll the
/// module is a whole number of the printer's dots.
pub fn plan(label: &Label, layout: &Layout) -> Result<Plan, LabelError> {
    let (w, h, p) = (layout.label_w, layout.label_h, layout.padding());
    let sym = &label.symbol;
    let code = sym.symbology;
    let snap = |m: f32| match layout.stock {
        Stock::Roll { dpi } => {
            let dot = 25.4 / dpi as f32;
            (m / dot).floor() * dot
        }
        Stock::Sheet { .. } => m,
    };
    let too_small = |m: f32| LabelError::TooLong {
        unit: label.unit.clone(),
        tag: label.tag.clone(),
        code,
        layout: layout.name,
        reason: format!(
            "its modules would be {m:.2} mm, the least is {:.2} mm",
            code.min_module_mm()
        ),
    };
    let q = code.quiet_zone() as f32;
    let n = label.lines.len() as f32;
    if code.is_linear() {
        let inner_w = w - 2.0 * p;
        let m = snap((inner_w / sym.outer_width() as f32).min(0.6));
        if m + 1e-4 < code.min_module_mm() {
            return Err(too_small(m));
        }
        let inner_h = h - 2.0 * p;
        let bar_h = inner_h * if n > 2.0 { 0.45 } else { 0.55 };
        let code_w = m * sym.width as f32;
        let text_top = p + bar_h + 0.4;
        let lines = place_lines(&label.lines, p, text_top, inner_w, h - p - text_top, true);
        Ok(Plan {
            code_x: (w - code_w) / 2.0,
            code_y: p,
            module: m,
            bar_h,
            lines,
        })
    } else {
        let side = (h - 2.0 * p).min(w / 2.0);
        let m = snap(side / sym.outer_height().max(sym.outer_width()) as f32);
        if m + 1e-4 < code.min_module_mm() {
            return Err(too_small(m));
        }
        let drawn = m * sym.outer_width() as f32;
        let code_x = p + q * m;
        let code_y = (h - m * sym.outer_height() as f32) / 2.0 + q * m;
        let tx = p + drawn;
        let lines = place_lines(&label.lines, tx, p, w - p - tx, h - 2.0 * p, false);
        Ok(Plan {
            code_x,
            code_y,
            module: m,
            bar_h: 0.0,
            lines,
        })
    }
}

/// Lines in a box: the first (the tag) larger, all centred vertically, each shrunk to
/// fit the width and cut with "…" below 4 pt.
fn place_lines(lines: &[Line], x: f32, y: f32, w: f32, h: f32, centred: bool) -> Vec<PlacedLine> {
    if lines.is_empty() || w <= 0.0 || h <= 0.0 {
        return Vec::new();
    }
    const FIRST: f32 = 1.35;
    const LEADING: f32 = 1.15;
    let weights: Vec<f32> = (0..lines.len())
        .map(|i| if i == 0 { FIRST } else { 1.0 })
        .collect();
    // Lines that would go below 4 pt give way, the last first (the organisation, then
    // the field, then the item): the tag and the unit's name stay.
    let mut weights = weights;
    let unit_pt = loop {
        let unit_mm = h / (weights.iter().sum::<f32>() * LEADING);
        let pt = (unit_mm / PT).min(9.0);
        if pt >= MIN_PT || weights.len() <= 2 {
            break pt;
        }
        weights.pop();
    };
    let mut placed: Vec<PlacedLine> = lines
        .iter()
        .zip(&weights)
        .map(|(line, wt)| {
            let mut bytes = font::win_ansi(&line.text);
            let mut text = line.text.clone();
            let mut size = unit_pt * wt;
            let em_mm = |b: &[u8]| font::width_em(b, line.bold) * PT;
            if em_mm(&bytes) * size > w {
                size = (w / em_mm(&bytes)).max(MIN_PT.min(size));
            }
            while em_mm(&bytes) * size > w && bytes.len() > 1 {
                // Cut a character (keeping the ellipsis at the end).
                let keep = text.chars().count().saturating_sub(2);
                text = text.chars().take(keep).collect::<String>() + "…";
                bytes = font::win_ansi(&text);
            }
            PlacedLine {
                x,
                baseline: 0.0,
                size_pt: size,
                bold: line.bold,
                bytes,
                text,
            }
        })
        .collect();
    let total: f32 = placed.iter().map(|l| l.size_pt * PT * LEADING).sum();
    let mut at = y + (h - total).max(0.0) / 2.0;
    for l in &mut placed {
        let size_mm = l.size_pt * PT;
        at += size_mm * LEADING;
        // The baseline sits about a fifth of the size above the line's bottom.
        l.baseline = at - size_mm * (LEADING - 0.8);
        if centred {
            l.x = x + (w - font::width_em(&l.bytes, l.bold) * size_mm) / 2.0;
        }
    }
    placed
}

/// The labels as a PDF: sheets (or one page a label on a roll), the first label at
/// [`Options::start`].
pub fn pdf(subjects: &[Subject], opts: &Options) -> Result<Vec<u8>, LabelError> {
    let labels = prepare(subjects, opts)?;
    let bytes = pdf::render(&labels, opts);
    tracing::info!(
        labels = labels.len(),
        layout = opts.layout.name,
        code = opts.code.name(),
        bytes = bytes.len(),
        "labels rendered as PDF"
    );
    Ok(bytes)
}

/// The labels as ZPL II for a Zebra (or compatible) thermal printer: one `^XA…^XZ`
/// format a label. Only for thermal layouts.
pub fn zpl(subjects: &[Subject], opts: &Options) -> Result<String, LabelError> {
    let Stock::Roll { dpi } = opts.layout.stock else {
        return Err(LabelError::NotThermal(opts.layout.name));
    };
    let labels = prepare(subjects, opts)?;
    let mut out = String::new();
    for l in &labels {
        zpl::render(&mut out, l, opts.layout, dpi)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
