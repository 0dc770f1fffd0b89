//! tagstation-core: the domain and wire types and the pure parsers, with no I/O.
//!
//! [`catalog`] (items, units, statuses, input rules), [`people`] and [`locations`]
//! (the catalog's people, with roles and lending limits, and its places),
//! [`signature`] (a borrower's signature as strokes), [`kits`] (sets of units that go out and come back together),
//! [`reservations`] (a person's claim on units for a window of days, and when two clash), [`event`] (the history and
//! `apply`, the rules that project it into state), [`view`] (the JSON shapes of items,
//! units and history, built alike by the station and the hub), [`proto`] (what stations
//! and the hub send each other), [`scan`] (scanned text, GS1 element strings, the HID
//! key decoder), [`escape`] (untrusted text made safe for terminals, logs and CSV),
//! [`tags`] (the pattern of new tags and the blocks the hub leases to stations),
//! [`utilization`] (how much of the time each unit is out, computed from history) and
//! [`clock`] (wall time and whether the kernel trusts it: the one read of the outside
//! world here). Nothing here touches a file or a socket, so every other crate and the
//! fuzz targets in `fuzz/` share the very same code.

pub mod catalog;
pub mod clock;
pub mod due;
pub mod escape;
pub mod event;
pub mod kits;
pub mod locations;
pub mod people;
pub mod proto;
pub mod reservations;
pub mod scan;
pub mod signature;
pub mod tags;
pub mod utilization;
pub mod view;
