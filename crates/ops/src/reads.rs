//! What a front end reads besides the [`Ledger`](crate::Ledger)'s lookups: the views of
//! items and of units matching a filter, a unit's history, the latest activity and the
//! open conflicts. The station's store and the hub each implement [`Reads`], so a front
//! end written once over `Ledger + Reads` (the MCP server) runs on either.

use tagstation_core::catalog::{Item, ItemId, Status, UnitId};
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

/// A value a [`UnitFilter`]'s SQL compares with: an id, or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    Id(uuid::Uuid),
    Text(String),
}

impl UnitFilter {
    /// The filter as SQL over the `units` table, in the dialect both SQL stores speak
    /// (`?1`... placeholders): `WHERE ... ORDER BY ... LIMIT n`, and the values in
    /// placeholder order.
    pub fn sql(&self) -> (String, Vec<FilterValue>) {
        let mut clause = vec!["active = TRUE".to_string()];
        let mut values = Vec::new();
        let mut add = |column: &str, value: FilterValue| {
            values.push(value);
            clause.push(format!("{column} ?{}", values.len()));
        };
        if let Some(i) = self.item {
            add("item_id =", FilterValue::Id(i));
        }
        if let Some(s) = self.status {
            add("status =", FilterValue::Text(s.as_str().into()));
        }
        if let Some(p) = self.holder {
            add("holder_id =", FilterValue::Id(p));
        }
        if let Some(l) = self.location {
            add("location_id =", FilterValue::Id(l));
        }
        let order = match &self.due_before {
            Some(d) => {
                add(
                    "status = 'checked_out' AND due IS NOT NULL AND due <",
                    FilterValue::Text(d.clone()),
                );
                "due, name_key"
            }
            None => "item_id, name_key",
        };
        let sql = format!(
            "WHERE {} ORDER BY {order} LIMIT {}",
            clause.join(" AND "),
            self.limit
        );
        (sql, values)
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
    /// Items in use (not archived), by name: the rows a search by name ranks.
    fn items(&self) -> Result<Vec<Item>, OpError>;
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
