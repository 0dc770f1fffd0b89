//! tagstation: an offline-first scanning station and the hub it syncs with.
//!
//! This crate is the `tagstation` binary's library face: it gathers the role crates
//! under one name, by cargo feature, so the binary, the end-to-end tests and the
//! benches say `tagstation::store` or `tagstation::hub` whichever crate holds them.
//! Read `ARCHITECTURE.md` for the map:
//!
//! - `tagstation-core`: [`catalog`], [`event`], [`proto`], [`view`], [`clock`],
//!   [`escape`]: the domain, no I/O;
//! - `tagstation-sql`: the SQLite schema and row mapping both SQLite stores share;
//! - `tagstation-station` (feature `station`): [`store`], [`action`], [`audit`],
//!   [`transfer`], [`sync`], [`config`];
//! - `tagstation-inputs` (feature `station`): [`scan`] and [`decode`];
//! - `tagstation-hub` (feature `hub`): [`hub`], with [`office_routes`] (the web app
//!   and the MCP endpoint) beside its API;
//! - `tagstation-mcp` (features `station`, `hub`): [`mcp`], the MCP server;
//! - `tagstation-kiosk` (feature `kiosk`): [`station`] (the runtime), [`ui`],
//!   [`door`], [`feedback`], [`label`] (printing at the station);
//! - `tagstation-labels`: [`labels`], printable labels (PDF, ZPL);
//! - `tagstation-remind` (feature `hub`): [`remind`], reminders by email and webhook;
//! - `tagstation-systemd`: [`systemd`].

pub use tagstation_core::{
    catalog, clock, due, escape, event, kits, locations, people, proto, reservations, signature,
    tags, utilization, view,
};
pub use tagstation_labels as labels;
pub use tagstation_ops as ops;
pub use tagstation_sql as sql;
pub use tagstation_systemd as systemd;

#[cfg(feature = "station")]
pub use tagstation_inputs::{decode, scan};
#[cfg(feature = "station")]
pub use tagstation_station::{action, audit, config, store, sync, transfer};

#[cfg(feature = "hub")]
pub use tagstation_hub as hub;
#[cfg(any(feature = "hub", feature = "station"))]
pub use tagstation_mcp as mcp;
#[cfg(feature = "hub")]
pub use tagstation_remind as remind;
#[cfg(feature = "hub")]
pub use tagstation_web as web;

/// What the hub serves beside its API: the office web app at `/` and the MCP
/// endpoint at `/mcp`.
#[cfg(feature = "hub")]
pub fn office_routes() -> axum::Router<std::sync::Arc<tagstation_hub::server::AppState>> {
    tagstation_web::routes().merge(tagstation_mcp::hub::routes())
}

#[cfg(feature = "kiosk")]
pub use tagstation_kiosk::{door, feedback, label, runtime as station, ui};
