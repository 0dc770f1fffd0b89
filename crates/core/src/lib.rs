//! tagstation-core: the domain and wire types and the pure parsers, with no I/O.
//!
//! [`catalog`] (items, units, statuses, input rules), [`event`] (the history and
//! `apply`, the rules that project it into state), [`proto`] (what stations and the hub
//! send each other), [`scan`] (scanned text, GS1 element strings, the HID key
//! decoder), and [`escape`] (untrusted text made safe for terminals, logs and CSV).
//! Nothing here touches a file, a socket or a clock, so the main crate and
//! the fuzz targets in `fuzz/` share the very same code.

pub mod catalog;
pub mod escape;
pub mod event;
pub mod proto;
pub mod scan;
