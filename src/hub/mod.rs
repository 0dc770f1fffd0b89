//! The hub: the central catalog and event log that stations sync with.
pub mod sqlite;
