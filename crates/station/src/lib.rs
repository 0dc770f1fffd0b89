//! tagstation-station: everything a station does apart from its screen and scanners.
//!
//! [`store`] is the durable local SQLite log and the state projected from it;
//! [`action`] is what a scan does; [`audit`] records a location's expected, found and
//! missing units; [`transfer`] is CSV import and CSV/JSON export; [`sync`] is the
//! client side of sync with the hub (enrollment, push and pull, the background worker);
//! [`config`] is the station's TOML configuration with environment overrides.

pub mod action;
pub mod audit;
pub mod config;
pub mod store;
pub mod sync;
pub mod transfer;
