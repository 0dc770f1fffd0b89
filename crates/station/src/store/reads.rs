//! The store as the operations layer's [`Reads`]: views of units by filter (their items
//! read once, not once per unit), a unit's history, the latest activity, conflicts.

use std::collections::HashMap;

use rusqlite::params_from_iter;

use tagstation_core::catalog::{Item, ItemId, UnitId};
use tagstation_core::view::{self, HistoryEntry, ItemView, UnitView};
use tagstation_ops::reads::{FilterValue, Reads, UnitFilter, UnitKey};
use tagstation_ops::{Ledger, OpError};

use super::{op_error, sql, Store, StoreError};

fn read_error(e: rusqlite::Error) -> OpError {
    op_error(StoreError::from(e))
}

impl Reads for Store {
    fn items(&self) -> Result<Vec<Item>, OpError> {
        sql::select_items(&self.conn, "WHERE archived = 0 ORDER BY name", []).map_err(read_error)
    }

    fn item_views(&self) -> Result<Vec<ItemView>, OpError> {
        Store::items(self).map_err(op_error)
    }

    fn unit_views(&self, f: &UnitFilter) -> Result<Vec<UnitView>, OpError> {
        let (filter, values) = f.sql();
        let values: Vec<String> = values
            .into_iter()
            .map(|v| match v {
                FilterValue::Id(id) => id.to_string(),
                FilterValue::Text(t) => t,
            })
            .collect();
        let units =
            sql::select_units(&self.conn, &filter, params_from_iter(values)).map_err(read_error)?;
        let mut items: HashMap<ItemId, Option<Item>> = HashMap::new();
        let today = tagstation_core::clock::today();
        units
            .iter()
            .map(|u| {
                let item = items
                    .entry(u.item_id)
                    .or_insert_with(|| Ledger::item(self, u.item_id).ok())
                    .as_ref();
                Ok(view::unit_view_with(u, item, &today))
            })
            .collect()
    }

    fn unit_keys(&self) -> Result<Vec<UnitKey>, OpError> {
        let keys = || -> rusqlite::Result<Vec<UnitKey>> {
            let mut st = self
                .conn
                .prepare_cached("SELECT id, name, asset_tag FROM units WHERE active = 1")?;
            let rows = st.query_map([], |r| {
                let id: String = r.get(0)?;
                Ok((id, r.get(1)?, r.get(2)?))
            })?;
            rows.map(|row| {
                let (id, name, asset_tag) = row?;
                let id = UnitId::parse_str(&id).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })?;
                Ok(UnitKey {
                    id,
                    name,
                    asset_tag,
                })
            })
            .collect()
        };
        keys().map_err(read_error)
    }

    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>, OpError> {
        self.history(unit).map_err(op_error)
    }

    fn recent(&self, limit: usize) -> Result<Vec<HistoryEntry>, OpError> {
        let rows = sql::select_events(
            &self.conn,
            "ORDER BY e.hub_seq IS NULL DESC, e.hub_seq DESC, e.pos DESC LIMIT ?1",
            [i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .map_err(read_error)?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    fn conflicts(&self) -> Result<Vec<HistoryEntry>, OpError> {
        Store::conflicts(self).map_err(op_error)
    }
}
