//! Shared test helpers: where the shared samples are and what each image should read.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/samples/zxing-cpp` from the crate root.
pub fn samples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/zxing-cpp")
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
