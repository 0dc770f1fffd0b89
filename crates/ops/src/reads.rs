//! What a front end reads besides the [`Ledger`](crate::Ledger)'s lookups: the views of
//! items and of units matching a filter, a unit's history, the latest activity and the
//! open conflicts. The station's store and the hub each implement [`Reads`], so a front
//! end written once over `Ledger + Reads` (the MCP server) runs on either.

use tagstation_core::catalog::{ItemId, Status, UnitId};
use tagstation_core::locations::LocationId;
use tagstation_core::people::PersonId;
use tagstation_core::view::{HistoryEntry, ItemView, UnitView};

use crate::OpError;

/// Which active units to read: every field given must match. At most `limit` units,
/// by item and name (overdue ones by due date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFilter {
    pub item: Option<ItemId>,
    pub status: Option<Status>,
    pub holder: Option<PersonId>,
    pub location: Option<LocationId>,
    /// Checked out and due before this day (`YYYY-MM-DD`): overdue on it.
    pub due_before: Option<String>,
    pub limit: usize,
}

impl Default for UnitFilter {
    fn default() -> UnitFilter {
        UnitFilter {
            item: None,
            status: None,
            holder: None,
            location: None,
            due_before: None,
            limit: 100,
        }
    }
}

/// A unit's name and tag, what a search by name ranks when no name matches exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitKey {
    pub id: UnitId,
    pub name: String,
    pub asset_tag: Option<String>,
}

/// Reads of views, each one query or a few (never one per unit).
pub trait Reads {
    /// Items in use (not archived), by name, with their totals.
    fn item_views(&self) -> Result<Vec<ItemView>, OpError>;
    /// Active units matching `filter`, at most `filter.limit`.
    fn unit_views(&self, filter: &UnitFilter) -> Result<Vec<UnitView>, OpError>;
    /// The names and tags of every active unit.
    fn unit_keys(&self) -> Result<Vec<UnitKey>, OpError>;
    /// Everything that happened to a unit, oldest first.
    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>, OpError>;
    /// The latest `limit` changes, newest first.
    fn recent(&self, limit: usize) -> Result<Vec<HistoryEntry>, OpError>;
    /// Changes flagged as conflicts and not yet reviewed.
    fn conflicts(&self) -> Result<Vec<HistoryEntry>, OpError>;
}
