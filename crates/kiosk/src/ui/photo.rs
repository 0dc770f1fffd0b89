//! A condition photo: the camera's picture encoded as a JPEG, on a thread of its own
//! (never the UI thread), at most [`MAX_SIDE`] pixels on its long side.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ExtendedColorType, GrayImage};
use tagstation_core::catalog::UnitId;
use tagstation_inputs::scan::viewfinder::Preview;

/// The longest side of a kept photo, in pixels.
pub const MAX_SIDE: u32 = 1024;

/// JPEG quality of a kept photo.
pub const QUALITY: u8 = 80;

/// A photo encoded for these units, each with its event, or why it could not be.
#[derive(Debug)]
pub struct Encoded {
    pub of: Vec<(UnitId, uuid::Uuid)>,
    pub jpeg: Result<Vec<u8>, String>,
}

/// `jpeg` with a comment (a JPEG `COM` segment, right after its start) naming the unit
/// and the event it documents: the photo says what it is wherever it is copied, and
/// the one picture of a basket is a photo of its own for each unit (photos are kept
/// by the SHA-256 of their bytes). Not a JPEG: returned as it is.
pub fn labelled(jpeg: &[u8], unit: UnitId, event: uuid::Uuid) -> Vec<u8> {
    let Some(rest) = jpeg.strip_prefix(&[0xFF, 0xD8]) else {
        return jpeg.to_vec();
    };
    let text = format!("tagstation condition photo; unit {unit}; event {event}");
    // The length counts itself (2 bytes) and the text; this text is far below 64 KiB.
    let len = (text.len() + 2) as u16;
    let mut out = Vec::with_capacity(jpeg.len() + text.len() + 4);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xFE]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(rest);
    out
}

/// `picture` as a JPEG, shrunk to fit [`MAX_SIDE`]: the whole camera frame it was made
/// from when the camera handed it on, else the viewfinder's small picture.
pub fn encode(picture: &Preview) -> Result<Vec<u8>, String> {
    let (width, height, luma) = match &picture.frame {
        Some(f) => (f.width, f.height, &f.data),
        None => (picture.width, picture.height, &picture.luma),
    };
    let img = GrayImage::from_raw(width, height, luma.clone())
        .ok_or_else(|| format!("a {width}x{height} picture with {} pixels", luma.len()))?;
    let long = img.width().max(img.height());
    let img = if long > MAX_SIDE {
        let scale = |v: u32| ((u64::from(v) * u64::from(MAX_SIDE)) / u64::from(long)).max(1) as u32;
        image::imageops::resize(
            &img,
            scale(img.width()),
            scale(img.height()),
            FilterType::Triangle,
        )
    } else {
        img
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode(
            img.as_raw(),
            img.width(),
            img.height(),
            ExtendedColorType::L8,
        )
        .map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32) -> Preview {
        Preview {
            width,
            height,
            luma: (0..width * height).map(|i| (i % 251) as u8).collect(),
            outlines: Vec::new(),
            seq: 1,
            frame: None,
        }
    }

    #[test]
    fn a_picture_becomes_a_jpeg_no_longer_than_1024_pixels() {
        let jpeg = encode(&picture(320, 240)).expect("jpeg");
        assert_eq!(&jpeg[..3], &[0xff, 0xd8, 0xff], "a JPEG");
        let big = encode(&picture(2048, 1000)).expect("jpeg");
        let (w, h) = jpeg_size(&big);
        assert_eq!((w, h), (1024, 500));
        let wrong = Preview {
            luma: vec![0; 10],
            ..picture(320, 240)
        };
        assert!(encode(&wrong).is_err(), "pixels missing");

        // With the camera's whole frame: that, not the small picture.
        let frame = tagstation_inputs::decode::frames::LumaFrame {
            width: 640,
            height: 480,
            data: vec![128; 640 * 480],
            at: std::time::Instant::now(),
            seq: 1,
        };
        let whole = Preview::keeping(frame, &[]);
        assert_eq!((whole.width, whole.height), (320, 240), "the viewfinder's");
        assert_eq!(jpeg_size(&encode(&whole).expect("jpeg")), (640, 480));
    }

    #[test]
    fn a_labelled_photo_names_its_unit_and_event_and_still_decodes() {
        let jpeg = encode(&picture(64, 48)).expect("jpeg");
        let (unit, event) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let one = labelled(&jpeg, unit, event);
        let text = format!("unit {unit}; event {event}");
        assert!(one.windows(text.len()).any(|w| w == text.as_bytes()));
        let img = image::load_from_memory(&one).expect("still a JPEG");
        assert_eq!((img.width(), img.height()), (64, 48));
        // The same picture for another unit is other bytes.
        assert_ne!(labelled(&jpeg, uuid::Uuid::now_v7(), event), one);
        assert_eq!(labelled(b"not a jpeg", unit, event), b"not a jpeg");
    }

    /// The size in a baseline JPEG's SOF0 header.
    fn jpeg_size(jpeg: &[u8]) -> (u32, u32) {
        let at = jpeg
            .windows(2)
            .position(|w| w == [0xff, 0xc0])
            .expect("SOF0");
        let be = |i: usize| u32::from(jpeg[i]) << 8 | u32::from(jpeg[i + 1]);
        (be(at + 7), be(at + 5))
    }
}
