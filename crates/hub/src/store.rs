//! [`SqlHub`]: the [`HubStore`] over any [`Database`], so each of the hub's operations
//! is written once and says whether it reads or writes; the backends only supply the
//! database.

use std::collections::HashMap;
use std::sync::Mutex;

use uuid::Uuid;

use super::batch::Batch;
use super::db::{params, Database};
use super::tables::Tables;
use super::{
    admin_event, ledger, log, stations, views, AdminRecorded, Holding, HubError, HubStore, Result,
    StationRow, Stats, TokenRow,
};
use tagstation_core::catalog::{Item, ItemId, Unit, UnitId};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::Command;
use tagstation_core::event::Projection;
use tagstation_core::proto::{PullResponse, PushResponse};
use tagstation_core::view::{HistoryEntry, ItemView, UnitView};

/// The hub on one database.
pub struct SqlHub<D> {
    db: D,
    hub_id: Uuid,
    /// What this hub last wrote of each station's contact, and when: a pull within
    /// [`stations::CONTACT_EVERY_MS`] that says nothing new writes nothing.
    contacts: Mutex<HashMap<Uuid, (i64, stations::Seen)>>,
}

impl<D: Database> SqlHub<D> {
    /// Take a migrated database and load the hub's identity, making one on first use.
    pub fn new(db: D) -> Result<Self> {
        let hub_id = db.write(|c| {
            // Two hubs starting on one new database at once: the second insert is a no-op.
            c.execute(
                "INSERT INTO hub_meta (only_row, hub_id, last_hub_seq) VALUES (1, ?1, 0)
                 ON CONFLICT (only_row) DO NOTHING",
                params![Uuid::now_v7()],
            )?;
            c.query_one("SELECT hub_id FROM hub_meta", &[])?.uuid(0)
        })?;
        Ok(SqlHub {
            db,
            hub_id,
            contacts: Mutex::new(HashMap::new()),
        })
    }

    /// The database underneath, for tests and benchmarks that time it directly.
    pub fn db(&self) -> &D {
        &self.db
    }
}

impl<D: Database> HubStore for SqlHub<D> {
    fn backend(&self) -> &'static str {
        self.db.backend()
    }
    fn hub_id(&self) -> Uuid {
        self.hub_id
    }

    fn create_station(
        &self,
        name: &str,
        code_hash: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<()> {
        self.db
            .write(|c| stations::create(c, name, code_hash, expires_ms, now_ms))
    }
    fn enroll(
        &self,
        code_hash: &str,
        station_id: Uuid,
        token_id: &str,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<String> {
        self.db
            .write(|c| stations::enroll(c, code_hash, station_id, token_id, token_hash, now_ms))
    }
    fn token(&self, token_id: &str) -> Result<Option<TokenRow>> {
        self.db.read(|c| stations::token(c, token_id))
    }
    fn failures(&self, client: &str, now_ms: i64) -> Result<i64> {
        self.db.read(|c| super::auth::failures(c, client, now_ms))
    }
    fn note_failure(&self, client: &str, now_ms: i64) -> Result<()> {
        self.db
            .write(|c| super::auth::note_failure(c, client, now_ms))
    }
    fn revoke(&self, name: &str, now_ms: i64) -> Result<()> {
        self.db.write(|c| stations::revoke(c, name, now_ms))
    }
    fn stations(&self) -> Result<Vec<StationRow>> {
        self.db.read(stations::list)
    }
    fn touch(&self, station: Uuid, now_ms: i64, seen: &stations::Seen) -> Result<()> {
        let unchanged = |(at, last): &(i64, stations::Seen)| {
            now_ms < at + stations::CONTACT_EVERY_MS && last.says_all_of(seen)
        };
        let known =
            |m: &HashMap<Uuid, (i64, stations::Seen)>| m.get(&station).is_some_and(unchanged);
        if self.contacts.lock().is_ok_and(|m| known(&m)) {
            return Ok(());
        }
        self.db
            .write(|c| stations::touch(c, station, now_ms, seen))?;
        if let Ok(mut m) = self.contacts.lock() {
            let last = m.get(&station).map(|(_, s)| s.clone()).unwrap_or_default();
            m.insert(station, (now_ms, last.updated(seen)));
        }
        Ok(())
    }

    fn push(&self, station: Uuid, events: &[serde_json::Value]) -> Result<PushResponse> {
        // Decoding and the input rules need no lock: done before the write.
        let decoded = log::decode(station, events, false);
        self.db
            .write(|c| log::ingest_decoded(&mut Batch::new(c), station, events, decoded, false))
    }
    fn at(&self, seq: i64) -> Result<tagstation_core::proto::AtResponse> {
        self.db.read(|c| log::at(c, seq))
    }
    fn pull(&self, after: i64, limit: usize, ack_for: Option<Uuid>) -> Result<PullResponse> {
        let hub_id = self.hub_id;
        self.db.read(|c| {
            let mut page = log::pull(c, after, limit, ack_for)?;
            page.stations = views::station_names(c, hub_id, &page.events)?;
            Ok(page)
        })
    }
    fn admin_record_all(
        &self,
        cmds: Vec<Command>,
    ) -> Result<Vec<AdminRecorded>, (usize, HubError)> {
        let mut failed_at = 0;
        self.db
            .write(|c| ledger::record_all(c, self.hub_id, cmds, &mut failed_at))
            .map_err(|e| (failed_at, e))
    }
    fn catalog_item(&self, id: ItemId) -> Result<Option<Item>> {
        self.db.read(|c| Tables::new(c).item(id))
    }
    fn items_matching(&self, reference: &str) -> Result<Vec<Item>> {
        self.db.read(|c| ledger::items_matching(c, reference))
    }
    fn catalog_unit(&self, id: UnitId) -> Result<Option<Unit>> {
        self.db.read(|c| Tables::new(c).unit(id))
    }
    fn catalog_units(&self, item: ItemId, folded: bool) -> Result<Vec<Unit>> {
        if folded {
            self.db.read(|c| ledger::units_of(c, item))
        } else {
            self.db.read(|c| Tables::new(c).units_of_item(item))
        }
    }
    fn admin_rehearse(&self, cmds: Vec<Command>) -> Result<(), (usize, HubError)> {
        let mut failed_at = 0;
        let tried = self.db.write(|c| {
            ledger::record_all(c, self.hub_id, cmds, &mut failed_at)?;
            // Every rule passed: roll the transaction back.
            Err::<(), _>(HubError::DryRun)
        });
        match tried {
            Err(HubError::DryRun) | Ok(()) => Ok(()),
            Err(e) => Err((failed_at, e)),
        }
    }
    fn units_matching(&self, reference: &str) -> Result<Vec<Unit>> {
        self.db.read(|c| ledger::units_matching(c, reference))
    }
    fn unit_names(&self, item: ItemId) -> Result<Vec<String>> {
        self.db.read(|c| ledger::unit_names(c, item))
    }

    fn items(&self) -> Result<Vec<ItemView>> {
        self.db.read(views::items)
    }
    fn units(&self, item: Option<ItemId>) -> Result<Vec<UnitView>> {
        self.db.read(|c| views::units(c, item))
    }
    fn find_unit(&self, reference: &str) -> Result<UnitView> {
        self.db.read(|c| views::find_unit(c, reference))
    }
    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>> {
        self.db.read(|c| views::unit_history(c, unit))
    }
    fn holdings(&self) -> Result<Vec<Holding>> {
        self.db.read(views::holdings)
    }
    fn conflicts(&self) -> Result<Vec<HistoryEntry>> {
        self.db.read(views::conflicts)
    }
    fn resolve_conflict(&self, event: Uuid) -> Result<()> {
        let hub_id = self.hub_id;
        self.db.write(|c| {
            // Newly reviewed: say so in the log, so every station stops counting it.
            if let Some((item_id, unit_id)) = views::resolve_conflict(c, event)? {
                let cmd = Command {
                    item_id,
                    unit_id,
                    kind: tagstation_core::event::EventKind::ConflictReviewed { event },
                    actor: "hub admin".into(),
                    scan: None,
                };
                admin_event(&mut Tables::new(c), hub_id, cmd, SystemClock.now())?;
            }
            Ok(())
        })
    }
    fn stats(&self) -> Result<Stats> {
        self.db.read(views::stats)
    }
    fn read_with(&self, f: &mut dyn FnMut(&mut dyn super::db::Conn) -> Result<()>) -> Result<()> {
        self.db.read(|c| f(c))
    }
    fn write_with(&self, f: &mut dyn FnMut(&mut dyn super::db::Conn) -> Result<()>) -> Result<()> {
        self.db.write(|c| f(c))
    }
}
