//! The encoders: a text becomes a [`Symbol`], a grid of dark and light modules with the
//! quiet zone its symbology asks for. QR through the `qrcode` crate, Data Matrix
//! through `datamatrix`, Code 128 written here ([`crate::code128`]).

use std::fmt;
use std::str::FromStr;

/// The codes a label can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Symbology {
    /// QR (ISO/IEC 18004), error correction level M: what any phone reads. The default.
    #[default]
    Qr,
    /// Data Matrix ECC 200 (ISO/IEC 16022), square sizes: the smallest for short tags.
    DataMatrix,
    /// Code 128 (ISO/IEC 15417): for laser scanners that read only linear codes.
    Code128,
}

impl Symbology {
    pub const ALL: [Symbology; 3] = [Symbology::Qr, Symbology::DataMatrix, Symbology::Code128];

    /// Its name on the command line: `qr`, `datamatrix`, `code128`.
    pub fn name(self) -> &'static str {
        match self {
            Symbology::Qr => "qr",
            Symbology::DataMatrix => "datamatrix",
            Symbology::Code128 => "code128",
        }
    }

    /// Light modules the symbology's standard asks for on every side (a linear code:
    /// left and right): QR 4, Data Matrix 1, Code 128 10.
    pub fn quiet_zone(self) -> usize {
        match self {
            Symbology::Qr => 4,
            Symbology::DataMatrix => 1,
            Symbology::Code128 => 10,
        }
    }

    /// The smallest module (X dimension) printed, in millimetres: 0.25 mm is two dots
    /// of a 203 dpi thermal printer and about 10 mil, what common scanners resolve.
    pub fn min_module_mm(self) -> f32 {
        0.25
    }

    /// Is it a row of bars (drawn as tall as the label allows) rather than a grid?
    pub fn is_linear(self) -> bool {
        self == Symbology::Code128
    }
}

impl fmt::Display for Symbology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Symbology::Qr => "QR",
            Symbology::DataMatrix => "Data Matrix",
            Symbology::Code128 => "Code 128",
        })
    }
}

impl FromStr for Symbology {
    type Err = crate::LabelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Symbology::ALL
            .into_iter()
            .find(|c| c.name() == key)
            .ok_or_else(|| crate::LabelError::UnknownCode(s.to_string()))
    }
}

/// Why a text has no symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("longer than the largest {0} symbol holds")]
    TooLong(Symbology),
    #[error("{0} cannot carry {1:?}")]
    Character(Symbology, char),
    #[error("nothing to encode")]
    Empty,
}

/// An encoded code: `width` × `height` modules (a linear code has height 1), without
/// the quiet zone, which [`Symbology::quiet_zone`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub symbology: Symbology,
    pub width: usize,
    pub height: usize,
    dark: Vec<bool>,
}

impl Symbol {
    /// Encode `text` as it is, byte for byte (a scanner types back exactly this).
    pub fn encode(symbology: Symbology, text: &str) -> Result<Symbol, EncodeError> {
        if text.is_empty() {
            return Err(EncodeError::Empty);
        }
        match symbology {
            Symbology::Qr => {
                let code = qrcode::QrCode::with_error_correction_level(
                    text.as_bytes(),
                    qrcode::EcLevel::M,
                )
                .map_err(|_| EncodeError::TooLong(symbology))?;
                let width = code.width();
                let dark = code
                    .to_colors()
                    .into_iter()
                    .map(|c| c == qrcode::Color::Dark)
                    .collect();
                Ok(Symbol {
                    symbology,
                    width,
                    height: width,
                    dark,
                })
            }
            Symbology::DataMatrix => {
                let code = datamatrix::DataMatrix::encode(
                    text.as_bytes(),
                    datamatrix::SymbolList::default().enforce_square(),
                )
                .map_err(|_| EncodeError::TooLong(symbology))?;
                let bitmap = code.bitmap();
                Ok(Symbol {
                    symbology,
                    width: bitmap.width(),
                    height: bitmap.height(),
                    dark: bitmap.bits().to_vec(),
                })
            }
            Symbology::Code128 => {
                let dark = crate::code128::modules(text)
                    .map_err(|c| EncodeError::Character(symbology, c))?;
                Ok(Symbol {
                    symbology,
                    width: dark.len(),
                    height: 1,
                    dark,
                })
            }
        }
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Width with the quiet zone on both sides, in modules.
    pub fn outer_width(&self) -> usize {
        self.width + 2 * self.symbology.quiet_zone()
    }

    /// Height with the quiet zone above and below (a linear code: 0, its bars are drawn
    /// to whatever height the label gives).
    pub fn outer_height(&self) -> usize {
        if self.symbology.is_linear() {
            0
        } else {
            self.height + 2 * self.symbology.quiet_zone()
        }
    }

    /// Horizontal runs of dark modules, row by row: `(row, first column, length)`.
    pub fn runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.height).flat_map(move |y| {
            let mut out = Vec::new();
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    out.push((y, start, x - start));
                } else {
                    x += 1;
                }
            }
            out
        })
    }

    /// The symbol as inline SVG (no XML declaration), quiet zone included, at least
    /// `min_px` pixels wide, in whole pixels per module: one `path` whose runs of dark
    /// modules are `M{x} {y}h{w}v{h}H{x}V{y}`. `text` is never in the markup.
    pub fn svg(&self, min_px: usize) -> String {
        let q = self.symbology.quiet_zone();
        let outer_w = self.outer_width();
        let rows = if self.symbology.is_linear() {
            (outer_w / 4).max(1)
        } else {
            self.outer_height()
        };
        let px = min_px.div_ceil(outer_w).max(1);
        let (w, h) = (outer_w * px, rows * px);
        let mut d = String::new();
        let (top, bar_rows) = if self.symbology.is_linear() {
            (0, rows)
        } else {
            (q, 1)
        };
        for (y, x, len) in self.runs() {
            let (x0, y0) = ((x + q) * px, (y + top) * px);
            d.push_str(&format!(
                "M{x0} {y0}h{}v{}H{x0}V{y0}",
                len * px,
                bar_rows * px
            ));
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" shape-rendering=\"crispEdges\">\
             <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_encodes_a_tag() {
        let qr = Symbol::encode(Symbology::Qr, "TS-000123").unwrap();
        assert_eq!((qr.width, qr.height), (21, 21), "version 1");
        let dm = Symbol::encode(Symbology::DataMatrix, "TS-000123").unwrap();
        assert_eq!(dm.width, dm.height, "square");
        let c = Symbol::encode(Symbology::Code128, "TS-000123").unwrap();
        assert_eq!((c.width, c.height), (11 * 9 + 13, 1));
        assert!(
            c.is_dark(0, 0) && c.is_dark(c.width - 1, 0),
            "bars at both ends"
        );
    }

    #[test]
    fn what_a_code_cannot_carry_is_refused() {
        let long = "X".repeat(5000);
        assert_eq!(
            Symbol::encode(Symbology::Qr, &long),
            Err(EncodeError::TooLong(Symbology::Qr))
        );
        assert_eq!(
            Symbol::encode(Symbology::DataMatrix, &long),
            Err(EncodeError::TooLong(Symbology::DataMatrix))
        );
        assert_eq!(
            Symbol::encode(Symbology::Code128, "Bohrer-ü"),
            Err(EncodeError::Character(Symbology::Code128, 'ü'))
        );
        assert_eq!(Symbol::encode(Symbology::Qr, ""), Err(EncodeError::Empty));
    }

    #[test]
    fn names_parse_loosely() {
        for (s, c) in [
            ("qr", Symbology::Qr),
            ("QR", Symbology::Qr),
            ("data-matrix", Symbology::DataMatrix),
            ("Code 128", Symbology::Code128),
        ] {
            assert_eq!(s.parse::<Symbology>().unwrap(), c);
        }
        assert!("ean13".parse::<Symbology>().is_err());
    }

    #[test]
    fn svg_runs_cover_the_dark_modules() {
        let qr = Symbol::encode(Symbology::Qr, "ABC").unwrap();
        let svg = qr.svg(180);
        let dark: usize = qr.runs().map(|(_, _, n)| n).sum();
        assert_eq!(dark, (0..21 * 21).filter(|i| qr.dark[*i]).count());
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(" width=\"203\""), "7 px × 29 modules: {svg}");
    }
}
