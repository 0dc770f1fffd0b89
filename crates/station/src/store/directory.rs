//! The store's people and locations: lookups by name, badge or code, views, who has
//! what, and what is still written as free text from before they were entities.

use rusqlite::params;

use super::{one, sql, Result, Store};
use sql::SqlProjection;
use tagstation_core::catalog::fold;
use tagstation_core::event::Projection;
use tagstation_core::event::UnitQuery;
use tagstation_core::locations::Location;
use tagstation_core::people::Person;
use tagstation_core::view::{self, LocationView, PersonView, UnitView};

impl Store {
    /// Everyone the catalog knows (inactive and erased people too), by name.
    pub fn people(&self) -> Result<Vec<Person>> {
        Ok(sql::select_people(&self.conn, "ORDER BY name_key", [])?)
    }

    /// A person by id, name or badge code, letter case aside.
    pub fn find_person(&self, reference: &str) -> Result<Person> {
        let found = sql::select_people(
            &self.conn,
            "WHERE id = ?1 OR name_key = ?2
                OR id IN (SELECT person_id FROM badges WHERE code_key = ?2)",
            params![reference, fold(reference)],
        )?;
        one("person", reference, found, |p| p.name.clone())
    }

    pub fn person_view(&self, person: &Person) -> Result<PersonView> {
        Ok(view::person_view(&mut SqlProjection(&self.conn), person)?)
    }

    /// Who has what, for one person: the units checked out to them now.
    pub fn held_by(&self, person: &Person) -> Result<Vec<UnitView>> {
        SqlProjection(&self.conn)
            .units_where(&UnitQuery::HeldBy(person.id))?
            .iter()
            .map(|u| self.unit_view(u))
            .collect()
    }

    /// The names of the people who may borrow now (active, not erased, a role that
    /// borrows), by name: the kiosk's list.
    pub fn borrowers(&self) -> Result<Vec<String>> {
        Ok(sql::select_people(
            &self.conn,
            "WHERE active = 1 AND erased = 0 AND role <> 'viewer' ORDER BY name_key",
            [],
        )?
        .into_iter()
        .map(|p| p.name)
        .collect())
    }

    /// Check-outs whose holder is free text that names no person (made before people
    /// were entities, or by someone not added yet): each holder with how many units.
    pub fn unmatched_holders(&self) -> Result<Vec<(String, i64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT MIN(holder), COUNT(*) FROM units
             WHERE active = 1 AND status = 'checked_out' AND holder_id IS NULL
             GROUP BY holder_key ORDER BY holder_key",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every location, inactive ones too, by name.
    pub fn all_locations(&self) -> Result<Vec<Location>> {
        Ok(sql::select_locations(&self.conn, "ORDER BY name_key", [])?)
    }

    /// The names of the locations in use, sorted: where a unit can be moved to.
    pub fn locations(&self) -> Result<Vec<String>> {
        Ok(
            sql::select_locations(&self.conn, "WHERE active = 1 ORDER BY name_key", [])?
                .into_iter()
                .map(|l| l.name)
                .collect(),
        )
    }

    /// A location by id, name or code, letter case aside.
    pub fn find_location(&self, reference: &str) -> Result<Location> {
        let found = sql::select_locations(
            &self.conn,
            "WHERE id = ?1 OR name_key = ?2 OR code_key = ?2",
            params![reference, fold(reference)],
        )?;
        one("location", reference, found, |l| l.name.clone())
    }

    pub fn location_view(&self, location: &Location) -> Result<LocationView> {
        Ok(view::location_view(
            &mut SqlProjection(&self.conn),
            location,
        )?)
    }

    /// Active units at a location (by name, code or id).
    pub fn units_at(&self, location: &str) -> Result<Vec<UnitView>> {
        let loc = self.find_location(location)?;
        SqlProjection(&self.conn)
            .units_where(&UnitQuery::At(loc.id))?
            .iter()
            .map(|u| self.unit_view(u))
            .collect()
    }

    /// Locations units name as free text that is no location (from before locations
    /// were entities), each spelling once, sorted.
    pub fn unplaced_locations(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT DISTINCT location FROM units
             WHERE active = 1 AND location IS NOT NULL AND location_id IS NULL ORDER BY location",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Has this station ever enrolled with a hub? Then people come from the hub.
    pub fn enrolled(&self) -> Result<bool> {
        Ok(self.hub()?.is_some())
    }
}
