//! Reading printed labels back: a PDF's first page rasterised by `pdftoppm` (Debian's
//! poppler-utils, deploy/test-deps.txt), cut into the layout's cells, each decoded by
//! the project's own decoder (`tagstation::decode`: rxing and rqrr).

use std::path::Path;
use std::process::Command;

use tagstation::labels::Layout;

/// Page 1 of `pdf` as a greyscale image at `dpi`.
pub fn rasterise(pdf: &Path, dpi: u32) -> image::GrayImage {
    let stem = pdf.with_extension(format!("{dpi}"));
    let out = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&stem)
        .output()
        .expect("pdftoppm (apt-get install poppler-utils)");
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    image::open(stem.with_extension(format!("{dpi}.png")))
        .expect("pdftoppm's PNG")
        .to_luma8()
}

/// What one label's cell (or a whole page) holds, by the project's own decoder.
pub fn own_decoder(cell: &image::GrayImage) -> Vec<String> {
    tagstation::decode::decode_luma(cell.width(), cell.height(), cell.as_raw())
        .into_iter()
        .map(|d| d.text)
        .collect()
}

/// Label `slot`'s cell, cut out of page 1 of `layout` rasterised at `dpi`.
pub fn cell(page: &image::GrayImage, layout: &Layout, slot: usize, dpi: u32) -> image::GrayImage {
    let px = |mm: f32| (mm * dpi as f32 / 25.4).round() as u32;
    let cell = layout.cell(slot);
    assert_eq!(cell.page, 0, "slot {slot} is on page 1");
    let (x, y) = (px(cell.x), px(cell.y));
    let (w, h) = (
        px(cell.w).min(page.width() - x),
        px(cell.h).min(page.height() - y),
    );
    image::imageops::crop_imm(page, x, y, w, h).to_image()
}
