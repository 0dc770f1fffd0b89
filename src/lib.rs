//! tagstation: an offline-first scanning station and the hub it syncs with.
//!
//! Read `ARCHITECTURE.md` first. In short: [`catalog`] is the model (items, units,
//! statuses), [`event`] the history and the rules that project it into state,
//! [`store`] the station's durable SQLite log, [`action`] what a scan does, and
//! [`hub`] the central server. [`scan`] turns scanners and cameras into scans and
//! [`decode`] reads codes from camera frames and images.

pub mod action;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod decode;
pub mod event;
pub mod hub;
pub mod proto;
pub mod scan;
pub mod store;
pub mod sync;
pub mod transfer;
pub mod view;
