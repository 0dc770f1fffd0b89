//! Bulk edits: rows of a catalog file (an import), matched to what the catalog already
//! holds and turned into a [`Plan`]: the changes in words a person checks before
//! anything happens (`--dry-run`), and the commands that make them, recorded in one
//! write by [`import`].
//!
//! The rules, whichever front end reads the file:
//! - an item is matched by its id (`item_id`), then its SKU, barcode or name; no match
//!   is a new item (so a typo in a name shows as "new item" in the plan);
//! - a unit is matched by its id, then its asset tag, then its name within the item; no
//!   match is a new unit;
//! - with [`Quantities::Set`] the quantities of one item and status in the file add up
//!   to the quantity it has afterwards: importing the same file twice changes nothing.
//!   With [`Quantities::Add`] they are added (a delivery);
//! - an empty cell keeps what the catalog has; a different value is a change;
//! - lending is never changed by a file: `holder` and `due` must agree with the unit's
//!   check-out (a new unit with a holder is created and checked out to them, who must
//!   be a known person), and tracking is switched only with `item track`;
//! - a location must be a known one (by name or code), unless the import is told to
//!   create the ones it does not know ([`Options::create_locations`]);
//! - a folded unit (`active` false) is left as it is.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use tagstation_core::catalog::{same_key, Item, ItemId, Status, Tracking, Unit, UnitId};
use tagstation_core::event::Command;

use crate::catalog::adjust_quantity_command;
use crate::{Actor, Ledger, OpError};

/// What the quantities in a file mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantities {
    /// The stock there is: the item is set to the file's quantity (safe to repeat).
    #[default]
    Set,
    /// Stock that arrived: the file's quantity is added to what there is.
    Add,
}

impl std::str::FromStr for Quantities {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "set" => Ok(Quantities::Set),
            "add" => Ok(Quantities::Add),
            _ => Err(format!("{s:?} is not one of set, add")),
        }
    }
}

/// How an import reads its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub mode: Quantities,
    /// Locations the file names that the catalog does not know are created (said
    /// explicitly); otherwise such a row is refused.
    pub create_locations: bool,
}

impl From<Quantities> for Options {
    fn from(mode: Quantities) -> Options {
        Options {
            mode,
            create_locations: false,
        }
    }
}

/// One row of a catalog file, typed. `None` is an empty cell.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Where the row is in its file (the header is row 1), for error messages.
    pub line: usize,
    pub item: String,
    pub item_id: Option<ItemId>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub tracking: Option<Tracking>,
    pub reorder_point: Option<i64>,
    pub quantity: Option<i64>,
    pub status: Option<Status>,
    pub unit: Option<String>,
    pub unit_id: Option<UnitId>,
    pub tag: Option<String>,
    pub location: Option<String>,
    pub holder: Option<String>,
    pub due: Option<String>,
    pub active: Option<bool>,
    pub fields: BTreeMap<String, String>,
}

impl Row {
    fn is_unit(&self) -> bool {
        self.unit.is_some() || self.tag.is_some() || self.unit_id.is_some()
    }
}

/// What a change of a plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    NewItem,
    ItemChanged,
    Quantity,
    NewUnit,
    UnitChanged,
    Unchanged,
    Skipped,
    NewLocation,
}

/// One change a plan makes (or a row it leaves alone), in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub row: usize,
    pub kind: ChangeKind,
    pub text: String,
}

/// What an import does (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub mode: Quantities,
    pub rows: usize,
    pub items_created: usize,
    pub items_changed: usize,
    pub units_created: usize,
    pub units_changed: usize,
    pub quantities_adjusted: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub locations_created: usize,
    pub changes: Vec<Change>,
    /// The commands, each with the row it came from.
    #[serde(skip)]
    cmds: Vec<(usize, Command)>,
}

impl Plan {
    /// Does the plan change nothing at all?
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }
}

/// Why an import cannot go ahead: the row, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("row {row}: {error}")]
pub struct RowError {
    pub row: usize,
    pub error: OpError,
}

/// Plan the rows against the catalog, then check the whole plan by every rule without
/// recording anything: the dry run.
pub fn dry_run(
    l: &mut impl Ledger,
    rows: Vec<Row>,
    opts: impl Into<Options>,
    actor: &Actor,
) -> Result<Plan, RowError> {
    let plan = plan(l, rows, opts.into(), actor)?;
    let rows: Vec<usize> = plan.cmds.iter().map(|(r, _)| *r).collect();
    l.rehearse(plan.cmds.iter().map(|(_, c)| c.clone()).collect())
        .map_err(|(i, error)| RowError {
            row: rows.get(i).copied().unwrap_or(0),
            error,
        })?;
    Ok(plan)
}

/// Plan the rows and record every change in one write: all rows or none.
pub fn import(
    l: &mut impl Ledger,
    rows: Vec<Row>,
    opts: impl Into<Options>,
    actor: &Actor,
) -> Result<Plan, RowError> {
    let mut plan = plan(l, rows, opts.into(), actor)?;
    let cmds = std::mem::take(&mut plan.cmds);
    if cmds.is_empty() {
        return Ok(plan);
    }
    let rows: Vec<usize> = cmds.iter().map(|(r, _)| *r).collect();
    l.record(cmds.into_iter().map(|(_, c)| c).collect())
        .map_err(|(i, error)| RowError {
            row: rows.get(i).copied().unwrap_or(0),
            error,
        })?;
    Ok(plan)
}

/// An item as the plan sees it: the catalog's, with this file's changes so far.
struct Planned {
    item: Item,
    new: bool,
    /// Unit names taken (in the catalog and earlier in the file).
    taken: BTreeSet<String>,
    /// The file's quantities per status, with the first row that named each.
    quantities: BTreeMap<Status, (usize, i64)>,
}

struct Planner<'a, L: Ledger> {
    l: &'a L,
    actor: &'a Actor,
    plan: Plan,
    items: Vec<Planned>,
    /// Units as the plan leaves them: existing ones changed, new ones created.
    units: BTreeMap<UnitId, Unit>,
    /// Locations the file named, by key: known ones, and new ones it creates.
    places: BTreeMap<String, crate::locations::Placed>,
    create_locations: bool,
}

fn plan(l: &impl Ledger, rows: Vec<Row>, opts: Options, actor: &Actor) -> Result<Plan, RowError> {
    let mode = opts.mode;
    let mut p = Planner {
        l,
        actor,
        plan: Plan {
            mode,
            ..Plan::default()
        },
        items: Vec::new(),
        units: BTreeMap::new(),
        places: BTreeMap::new(),
        create_locations: opts.create_locations,
    };
    for row in rows {
        p.plan.rows += 1;
        let line = row.line;
        p.row(row).map_err(|error| RowError { row: line, error })?;
    }
    p.quantities(mode)?;
    Ok(p.plan)
}

fn found<T>(r: Result<T, OpError>) -> Result<Option<T>, OpError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(OpError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn differs(want: &Option<String>, have: &Option<String>) -> bool {
    want.is_some() && want != have
}

impl<L: Ledger> Planner<'_, L> {
    /// The location a row names: known, or created by this file when it says so (the
    /// creation recorded once, before the first row that uses it).
    fn place(&mut self, row: usize, name: &str) -> Result<(String, uuid::Uuid), OpError> {
        let key = tagstation_core::catalog::fold(name.trim());
        if let Some(p) = self.places.get(&key) {
            return Ok((p.name.clone(), p.id));
        }
        let mut placed = crate::locations::place(self.l, name, self.create_locations, self.actor)?;
        if let Some(cmd) = placed.create.take() {
            self.push(row, cmd);
            self.say(
                row,
                ChangeKind::NewLocation,
                format!("new location {:?}", placed.name),
            );
        }
        let out = (placed.name.clone(), placed.id);
        self.places.insert(key, placed);
        Ok(out)
    }

    fn say(&mut self, row: usize, kind: ChangeKind, text: String) {
        let count = match kind {
            ChangeKind::NewItem => &mut self.plan.items_created,
            ChangeKind::ItemChanged => &mut self.plan.items_changed,
            ChangeKind::NewUnit => &mut self.plan.units_created,
            ChangeKind::UnitChanged => &mut self.plan.units_changed,
            ChangeKind::Quantity => &mut self.plan.quantities_adjusted,
            ChangeKind::Unchanged => &mut self.plan.unchanged,
            ChangeKind::Skipped => &mut self.plan.skipped,
            ChangeKind::NewLocation => &mut self.plan.locations_created,
        };
        *count += 1;
        self.plan.changes.push(Change { row, kind, text });
    }

    fn push(&mut self, row: usize, cmd: Command) {
        self.plan.cmds.push((row, cmd));
    }

    fn row(&mut self, row: Row) -> Result<(), OpError> {
        if row.item.trim().is_empty() {
            return Err(OpError::invalid("the item column is empty"));
        }
        if row.active == Some(false) {
            let what = row.unit.clone().or(row.tag.clone()).unwrap_or_default();
            self.say(
                row.line,
                ChangeKind::Skipped,
                format!(
                    "{what:?} of {:?} is folded into a count: left as it is",
                    row.item
                ),
            );
            return Ok(());
        }
        let said = self.plan.changes.len();
        let at = self.item_for(&row)?;
        if row.is_unit() {
            self.unit_row(at, row)
        } else {
            if let Some(q) = row.quantity {
                let p = &mut self.items[at];
                if p.item.tracking == Tracking::Units {
                    return Err(OpError::invalid(format!(
                        "{:?} is tracked unit by unit: give each unit a row, not a quantity",
                        p.item.name
                    )));
                }
                let status = row.status.unwrap_or(Status::InStock);
                if !Status::COUNTED.contains(&status) {
                    return Err(OpError::invalid(format!(
                        "a quantity cannot be {status}; use one of {}",
                        Status::COUNTED.map(Status::as_str).join(", ")
                    )));
                }
                let e = p.quantities.entry(status).or_insert((row.line, 0));
                e.1 = e.1.saturating_add(q);
            } else if self.plan.changes.len() == said {
                let name = self.items[at].item.name.clone();
                self.say(
                    row.line,
                    ChangeKind::Unchanged,
                    format!("{name:?} unchanged"),
                );
            }
            Ok(())
        }
    }

    /// The quantities of count items, once every row is read.
    fn quantities(&mut self, mode: Quantities) -> Result<(), RowError> {
        let mut out = Vec::new();
        for p in &self.items {
            for (status, (line, want)) in &p.quantities {
                let have = p.item.counts.get(*status);
                let (delta, after) = match mode {
                    Quantities::Set => (want - have, *want),
                    Quantities::Add => (*want, have + want),
                };
                if after < 0 {
                    return Err(RowError {
                        row: *line,
                        error: OpError::invalid(format!(
                            "{:?} would have {after} {status}: a quantity cannot go below 0",
                            p.item.name
                        )),
                    });
                }
                out.push((
                    *line,
                    p.item.id,
                    p.item.name.clone(),
                    *status,
                    have,
                    after,
                    delta,
                ));
            }
        }
        for (line, id, name, status, have, after, delta) in out {
            if delta == 0 {
                self.say(
                    line,
                    ChangeKind::Unchanged,
                    format!("{name:?} {status} {have} → {after} unchanged"),
                );
            } else {
                let cmd =
                    adjust_quantity_command(id, status, delta, Some("import".into()), self.actor);
                self.push(line, cmd);
                self.say(
                    line,
                    ChangeKind::Quantity,
                    format!("{name:?} {status} {have} → {after}"),
                );
            }
        }
        Ok(())
    }
}

/// A code given in the file and the one the catalog has, by the catalog's case rule.
fn same_opt(want: Option<&str>, have: Option<&str>) -> bool {
    matches!((want, have), (Some(w), Some(h)) if same_key(w, h))
}

mod items;
mod units;

#[cfg(test)]
mod tests;
