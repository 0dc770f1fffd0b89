//! tagstation-inputs: where scans come from.
//!
//! [`decode`] reads codes from greyscale frames and image files (rxing first, rqrr as
//! a second opinion, every call behind `catch_unwind`) and debounces them; it knows
//! nothing of scanners. [`scan`] turns every input into [`scan::ScanEvent`]s on one
//! channel: HID scanners, line input, replays and the camera pipeline, which feeds
//! frames to [`decode`]. The dependency points one way: `scan` uses `decode`.

pub mod decode;
pub mod scan;
