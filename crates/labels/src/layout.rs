//! Label stock as data: sheets of die-cut labels for office printers and single labels
//! for thermal printers. Millimetres throughout, measured from the page's top left.

const INCH: f32 = 25.4;

/// What the labels come on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stock {
    /// A sheet of `cols` × `rows` labels: the first label's top left corner at
    /// (`left`, `top`), the next one `pitch_x` to the right or `pitch_y` down.
    Sheet {
        page_w: f32,
        page_h: f32,
        cols: usize,
        rows: usize,
        left: f32,
        top: f32,
        pitch_x: f32,
        pitch_y: f32,
    },
    /// A roll for a thermal printer of `dpi` dots per inch: one label a page, the page
    /// the label's size (continuous tape is cut to the label's length).
    Roll { dpi: u32 },
}

/// One kind of label stock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Its name on the command line (`l7651`, `5160`, `62mm`...).
    pub name: &'static str,
    /// What it is, for people.
    pub description: &'static str,
    /// One label's width and height.
    pub label_w: f32,
    pub label_h: f32,
    pub stock: Stock,
}

/// Where one label goes: its page and its rectangle on the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub page: usize,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// Every layout, sheets first.
pub const LAYOUTS: &[Layout] = &[
    Layout {
        name: "l7651",
        description: "Avery L7651, A4, 65 labels of 38.1 × 21.2 mm (5 × 13)",
        label_w: 38.1,
        label_h: 21.2,
        stock: Stock::Sheet {
            page_w: 210.0,
            page_h: 297.0,
            cols: 5,
            rows: 13,
            left: 4.75,
            top: 10.7,
            pitch_x: 40.6,
            pitch_y: 21.2,
        },
    },
    Layout {
        name: "l7163",
        description: "Avery L7163, A4, 14 labels of 99.1 × 38.1 mm (2 × 7)",
        label_w: 99.1,
        label_h: 38.1,
        stock: Stock::Sheet {
            page_w: 210.0,
            page_h: 297.0,
            cols: 2,
            rows: 7,
            left: 4.65,
            top: 15.15,
            pitch_x: 101.6,
            pitch_y: 38.1,
        },
    },
    Layout {
        name: "5160",
        description: "Avery 5160, US Letter, 30 labels of 2.625 × 1 in (3 × 10)",
        label_w: 2.625 * INCH,
        label_h: INCH,
        stock: Stock::Sheet {
            page_w: 8.5 * INCH,
            page_h: 11.0 * INCH,
            cols: 3,
            rows: 10,
            left: 0.1875 * INCH,
            top: 0.5 * INCH,
            pitch_x: 2.75 * INCH,
            pitch_y: INCH,
        },
    },
    Layout {
        name: "5267",
        description: "Avery 5267, US Letter, 80 labels of 1.75 × 0.5 in (4 × 20)",
        label_w: 1.75 * INCH,
        label_h: 0.5 * INCH,
        stock: Stock::Sheet {
            page_w: 8.5 * INCH,
            page_h: 11.0 * INCH,
            cols: 4,
            rows: 20,
            left: 0.28125 * INCH,
            top: 0.5 * INCH,
            pitch_x: 2.0625 * INCH,
            pitch_y: 0.5 * INCH,
        },
    },
    Layout {
        name: "62mm",
        description: "62 mm continuous tape (Brother QL), cut at 29 mm, 300 dpi",
        label_w: 62.0,
        label_h: 29.0,
        stock: Stock::Roll { dpi: 300 },
    },
    Layout {
        name: "50x25mm",
        description: "50 × 25 mm thermal labels, 203 dpi",
        label_w: 50.0,
        label_h: 25.0,
        stock: Stock::Roll { dpi: 203 },
    },
    Layout {
        name: "2x1in",
        description: "2 × 1 in thermal labels (Zebra), 203 dpi",
        label_w: 2.0 * INCH,
        label_h: INCH,
        stock: Stock::Roll { dpi: 203 },
    },
];

impl Layout {
    /// The layout of this name (letter case and a leading "avery" aside).
    pub fn find(name: &str) -> Result<&'static Layout, crate::LabelError> {
        let key = name
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "");
        let key = key.strip_prefix("avery").unwrap_or(&key);
        LAYOUTS
            .iter()
            .find(|l| l.name == key)
            .ok_or_else(|| crate::LabelError::UnknownLayout(name.to_string()))
    }

    /// Labels on one page.
    pub fn per_page(&self) -> usize {
        match self.stock {
            Stock::Sheet { cols, rows, .. } => cols * rows,
            Stock::Roll { .. } => 1,
        }
    }

    /// The page's width and height.
    pub fn page_size(&self) -> (f32, f32) {
        match self.stock {
            Stock::Sheet { page_w, page_h, .. } => (page_w, page_h),
            Stock::Roll { .. } => (self.label_w, self.label_h),
        }
    }

    pub fn is_roll(&self) -> bool {
        matches!(self.stock, Stock::Roll { .. })
    }

    /// Where label `slot` goes, counting across then down from the first label of the
    /// first page (a start position of N makes the first label slot N).
    pub fn cell(&self, slot: usize) -> Cell {
        match self.stock {
            Stock::Sheet {
                cols,
                rows,
                left,
                top,
                pitch_x,
                pitch_y,
                ..
            } => {
                let (page, at) = (slot / (cols * rows), slot % (cols * rows));
                Cell {
                    page,
                    x: left + (at % cols) as f32 * pitch_x,
                    y: top + (at / cols) as f32 * pitch_y,
                    w: self.label_w,
                    h: self.label_h,
                }
            }
            Stock::Roll { .. } => Cell {
                page: slot,
                x: 0.0,
                y: 0.0,
                w: self.label_w,
                h: self.label_h,
            },
        }
    }

    /// The light margin kept inside each label's edge: die-cut sheets move a little in
    /// a printer, so nothing is drawn closer than this to a label's edge.
    pub fn padding(&self) -> f32 {
        (self.label_h * 0.05).clamp(0.6, 1.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sheet_fits_its_page() {
        for l in LAYOUTS {
            let (pw, ph) = l.page_size();
            let last = l.cell(l.per_page() - 1);
            assert_eq!(last.page, 0, "{}", l.name);
            assert!(
                last.x + last.w <= pw + 0.01,
                "{}: {}",
                l.name,
                last.x + last.w
            );
            assert!(
                last.y + last.h <= ph + 0.01,
                "{}: {}",
                l.name,
                last.y + last.h
            );
            assert_eq!(l.cell(l.per_page()).page, 1);
            assert_eq!(Layout::find(l.name).unwrap(), l);
        }
        assert_eq!(Layout::find("Avery L7651").unwrap().per_page(), 65);
        assert_eq!(Layout::find("5160").unwrap().per_page(), 30);
        assert!(Layout::find("l7999").is_err());
    }
}
