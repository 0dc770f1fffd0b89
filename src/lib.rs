//! tagstation: an offline-first scanning station and the hub it syncs with.
//!
//! Read `ARCHITECTURE.md` first. In short: [`catalog`] is the model (items, units,
//! statuses), [`event`] the history and the rules that project it into state,
//! [`store`] the station's durable SQLite log, [`action`] what a scan does, and
//! [`hub`] the central server. [`scan`] turns scanners and cameras into scans and
//! [`decode`] reads codes from camera frames and images. The station itself is
//! [`station`]: the touch [`ui`], [`door`] mode, [`audit`]s and [`feedback`] hardware.
//!
//! [`catalog`], [`event`], [`proto`] and the pure scan parsers live in the
//! `tagstation-core` crate (no I/O, fuzzed in `fuzz/`) and are re-exported here.

pub use tagstation_core::{catalog, escape, event, proto};

pub mod action;
pub mod audit;
pub mod clock;
pub mod config;
pub mod decode;
pub mod door;
pub mod feedback;
pub mod hub;
pub mod scan;
pub mod station;
pub mod store;
pub mod sync;
pub mod systemd;
pub mod transfer;
pub mod ui;
pub mod view;
