//! The pure side of scanning: checks on scanned text, GS1 parsing, the HID key decoder.

pub mod gs1;
pub mod hid;
pub mod text;
