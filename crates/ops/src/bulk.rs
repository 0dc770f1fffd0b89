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
//!   check-out (a new unit with a holder is created and checked out to them), and
//!   tracking is switched only with `item track`;
//! - a folded unit (`active` false) is left as it is.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use tagstation_core::catalog::{same_key, Item, ItemId, Status, Totals, Tracking, Unit, UnitId};
use tagstation_core::event::{Command, EventKind};

use crate::catalog::{add_unit_command, adjust_quantity_command, NewUnit};
use crate::naming::next_free_name;
use crate::{on_item, on_unit, Actor, Ledger, OpError};

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
    mode: Quantities,
    actor: &Actor,
) -> Result<Plan, RowError> {
    let plan = plan(l, rows, mode, actor)?;
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
    mode: Quantities,
    actor: &Actor,
) -> Result<Plan, RowError> {
    let mut plan = plan(l, rows, mode, actor)?;
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
}

fn plan(
    l: &impl Ledger,
    rows: Vec<Row>,
    mode: Quantities,
    actor: &Actor,
) -> Result<Plan, RowError> {
    let mut p = Planner {
        l,
        actor,
        plan: Plan {
            mode,
            ..Plan::default()
        },
        items: Vec::new(),
        units: BTreeMap::new(),
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
    fn say(&mut self, row: usize, kind: ChangeKind, text: String) {
        let count = match kind {
            ChangeKind::NewItem => &mut self.plan.items_created,
            ChangeKind::ItemChanged => &mut self.plan.items_changed,
            ChangeKind::NewUnit => &mut self.plan.units_created,
            ChangeKind::UnitChanged => &mut self.plan.units_changed,
            ChangeKind::Quantity => &mut self.plan.quantities_adjusted,
            ChangeKind::Unchanged => &mut self.plan.unchanged,
            ChangeKind::Skipped => &mut self.plan.skipped,
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

    /// The item a row names, created or edited as the row says; its index in `items`.
    fn item_for(&mut self, row: &Row) -> Result<usize, OpError> {
        let at = match self.match_item(row)? {
            Some(at) => at,
            None => {
                let tracking = match row.tracking {
                    Some(t) => t,
                    None if row.is_unit() => Tracking::Units,
                    None => Tracking::Count,
                };
                let (id, cmds) = crate::catalog::create_item_commands(
                    crate::catalog::NewItem {
                        name: row.item.clone(),
                        sku: row.sku.clone(),
                        barcode: row.barcode.clone(),
                        tracking,
                        reorder_point: row.reorder_point,
                        quantity: None,
                    },
                    self.actor,
                )?;
                for c in cmds {
                    self.push(row.line, c);
                }
                self.say(
                    row.line,
                    ChangeKind::NewItem,
                    format!("new item {:?} ({})", row.item, tracking.as_str()),
                );
                self.items.push(Planned {
                    item: Item {
                        id,
                        name: row.item.clone(),
                        sku: row.sku.clone(),
                        barcode: row.barcode.clone(),
                        tracking,
                        reorder_point: row.reorder_point,
                        counts: Totals::default(),
                        version: 0,
                        archived: false,
                    },
                    new: true,
                    taken: BTreeSet::new(),
                    quantities: BTreeMap::new(),
                });
                return Ok(self.items.len() - 1);
            }
        };
        let item = &self.items[at].item;
        if let Some(t) = row.tracking {
            if t != item.tracking {
                return Err(OpError::invalid(format!(
                    "{:?} is tracked by {}, the file says {}: switch tracking with `item track`, not an import",
                    item.name,
                    item.tracking.as_str(),
                    t.as_str()
                )));
            }
        }
        let rename = !same_key(&row.item, &item.name);
        let mut changed = Vec::new();
        if rename {
            changed.push(format!("name {:?} → {:?}", item.name, row.item));
        }
        if row.sku.is_some() && !same_opt(row.sku.as_deref(), item.sku.as_deref()) {
            changed.push(format!(
                "sku {:?} → {:?}",
                item.sku.as_deref().unwrap_or(""),
                row.sku.as_deref().unwrap_or("")
            ));
        }
        if row.barcode.is_some() && !same_opt(row.barcode.as_deref(), item.barcode.as_deref()) {
            changed.push(format!(
                "barcode {:?} → {:?}",
                item.barcode.as_deref().unwrap_or(""),
                row.barcode.as_deref().unwrap_or("")
            ));
        }
        if row.reorder_point.is_some() && row.reorder_point != item.reorder_point {
            changed.push(format!(
                "reorder point {} → {}",
                item.reorder_point.map_or("-".into(), |r| r.to_string()),
                row.reorder_point.map_or("-".into(), |r| r.to_string())
            ));
        }
        if !changed.is_empty() {
            let p = &mut self.items[at];
            if rename {
                p.item.name = row.item.clone();
            }
            p.item.sku = row.sku.clone().or(p.item.sku.take());
            p.item.barcode = row.barcode.clone().or(p.item.barcode.take());
            p.item.reorder_point = row.reorder_point.or(p.item.reorder_point);
            let kind = EventKind::ItemEdited {
                name: p.item.name.clone(),
                sku: p.item.sku.clone(),
                barcode: p.item.barcode.clone(),
                reorder_point: p.item.reorder_point,
            };
            let cmd = on_item(p.item.id, kind, self.actor);
            let text = format!("item {:?}: {}", p.item.name, changed.join(", "));
            self.push(row.line, cmd);
            self.say(row.line, ChangeKind::ItemChanged, text);
        }
        Ok(at)
    }

    /// The planned item a row names, loading it from the catalog the first time.
    fn match_item(&mut self, row: &Row) -> Result<Option<usize>, OpError> {
        let by_id = |i: &Item| row.item_id == Some(i.id);
        let by_sku = |i: &Item| same_opt(row.sku.as_deref(), i.sku.as_deref());
        let by_barcode = |i: &Item| same_opt(row.barcode.as_deref(), i.barcode.as_deref());
        let by_name = |i: &Item| same_key(&row.item, &i.name);
        // By id, then SKU, barcode and name: the first reference that finds something.
        let keys: [&dyn Fn(&Item) -> bool; 4] = [&by_id, &by_sku, &by_barcode, &by_name];
        for key in keys {
            if let Some(at) = self.items.iter().position(|p| key(&p.item)) {
                return Ok(Some(at));
            }
        }
        let mut from_catalog = None;
        if let Some(id) = row.item_id {
            from_catalog = found(self.l.item(id))?;
        }
        for (reference, key) in [
            (row.sku.as_deref(), &by_sku as &dyn Fn(&Item) -> bool),
            (row.barcode.as_deref(), &by_barcode),
            (Some(row.item.as_str()), &by_name),
        ] {
            if from_catalog.is_some() {
                break;
            }
            if let Some(r) = reference {
                from_catalog = found(self.l.find_item(r))?.filter(|i| key(i));
            }
        }
        let Some(item) = from_catalog else {
            return Ok(None);
        };
        if let Some(at) = self.items.iter().position(|p| p.item.id == item.id) {
            return Ok(Some(at));
        }
        let taken = self.l.unit_names(item.id)?.into_iter().collect();
        self.items.push(Planned {
            item,
            new: false,
            taken,
            quantities: BTreeMap::new(),
        });
        Ok(Some(self.items.len() - 1))
    }

    /// The existing unit a unit row names: by id, then tag, then name in its item.
    fn match_unit(&mut self, at: usize, row: &Row) -> Result<Option<Unit>, OpError> {
        let item = self.items[at].item.clone();
        let mut hit: Option<Unit> = None;
        if let Some(id) = row.unit_id {
            hit = match self.units.get(&id) {
                Some(u) => Some(u.clone()),
                None => found(self.l.unit(id))?,
            };
        }
        if hit.is_none() {
            if let Some(tag) = &row.tag {
                let tagged = |u: &Unit| u.active && same_opt(Some(tag), u.asset_tag.as_deref());
                hit = self.units.values().find(|u| tagged(u)).cloned();
                if hit.is_none() {
                    hit = found(self.l.find_unit(tag))?.filter(tagged);
                }
            }
        }
        if hit.is_none() {
            if let Some(name) = &row.unit {
                hit = self
                    .units
                    .values()
                    .find(|u| u.active && u.item_id == item.id && same_key(&u.name, name))
                    .cloned();
                if hit.is_none() && !self.items[at].new {
                    hit = self
                        .l
                        .units_of(item.id)?
                        .into_iter()
                        .find(|u| u.active && same_key(&u.name, name));
                }
            }
        }
        let Some(unit) = hit else {
            return Ok(None);
        };
        // A unit already changed earlier in this file is seen as the file left it.
        let unit = self.units.get(&unit.id).cloned().unwrap_or(unit);
        if unit.item_id != item.id {
            let owner = match self.items.iter().find(|p| p.item.id == unit.item_id) {
                Some(p) => p.item.name.clone(),
                None => self.l.item(unit.item_id)?.name,
            };
            return Err(OpError::invalid(format!(
                "{:?} is a unit of {owner:?}, not of {:?}",
                unit.name, item.name
            )));
        }
        if !unit.active {
            return Err(OpError::invalid(format!(
                "{:?} was folded into a count; the file lists it as a unit",
                unit.name
            )));
        }
        Ok(Some(unit))
    }

    fn unit_row(&mut self, at: usize, row: Row) -> Result<(), OpError> {
        let item = self.items[at].item.clone();
        if item.tracking != Tracking::Units {
            return Err(OpError::invalid(format!(
                "{:?} is tracked by count; a unit row needs a unit-tracked item",
                item.name
            )));
        }
        if row.quantity.is_some_and(|q| q != 1) {
            return Err(OpError::invalid(
                "a unit row is one unit: leave its quantity empty (or 1)",
            ));
        }
        match self.match_unit(at, &row)? {
            Some(unit) => self.change_unit(unit, row),
            None => self.new_unit(at, row),
        }
    }

    fn new_unit(&mut self, at: usize, row: Row) -> Result<(), OpError> {
        let holder = row.holder.clone();
        let status = match (row.status, &holder) {
            (Some(Status::CheckedOut), None) => {
                return Err(OpError::invalid(
                    "checked_out needs a holder: say who has it in the holder column",
                ))
            }
            (Some(s), Some(h)) if s != Status::CheckedOut => {
                return Err(OpError::invalid(format!(
                    "the holder column says {h:?} has it but the status is {s}"
                )))
            }
            (Some(s), _) => s,
            (None, Some(_)) => Status::CheckedOut,
            (None, None) => Status::InStock,
        };
        let p = &mut self.items[at];
        let name = match &row.unit {
            Some(n) => n.clone(),
            None => next_free_name(&p.item.name, &p.taken),
        };
        p.taken.insert(name.clone());
        let item_id = p.item.id;
        let item_name = p.item.name.clone();
        let created = if Status::SETTABLE.contains(&status) {
            status
        } else {
            Status::InStock
        };
        let (id, cmd) = add_unit_command(
            item_id,
            &name,
            NewUnit {
                name: None,
                tag: row.tag.clone(),
                location: row.location.clone(),
                status: created,
                fields: row.fields.clone(),
            },
            self.actor,
        );
        self.push(row.line, cmd);
        let unit = Unit {
            id,
            item_id,
            name: name.clone(),
            asset_tag: row.tag.clone(),
            status,
            location: row.location.clone(),
            holder: holder.clone(),
            due: row.due.clone(),
            fields: row.fields.clone(),
            active: true,
            version: 1,
            last_station: None,
        };
        let mut text = format!("new unit {name:?} of {item_name:?}");
        if let Some(t) = &row.tag {
            text.push_str(&format!(", tag {t:?}"));
        }
        match status {
            Status::CheckedOut => {
                let h = holder.unwrap_or_default();
                text.push_str(&format!(", checked out to {h:?}"));
                let kind = EventKind::CheckedOut {
                    holder: h,
                    due: row.due.clone(),
                };
                self.push(row.line, on_unit(&unit, kind, self.actor, None));
            }
            Status::Retired => {
                text.push_str(", retired");
                let kind = EventKind::UnitRetired {
                    reason: Some("import".into()),
                };
                self.push(row.line, on_unit(&unit, kind, self.actor, None));
            }
            _ => {}
        }
        self.units.insert(id, unit);
        self.say(row.line, ChangeKind::NewUnit, text);
        Ok(())
    }

    fn change_unit(&mut self, mut unit: Unit, row: Row) -> Result<(), OpError> {
        // Lending: the file must agree with the check-out, never change it.
        let out = unit.status == Status::CheckedOut;
        let lending = |msg: String| {
            OpError::invalid(format!(
                "{msg}: check-outs change with `checkout` and `checkin`, not an import"
            ))
        };
        if let Some(h) = &row.holder {
            if unit.holder.as_deref() != Some(h.as_str()) {
                return Err(lending(match &unit.holder {
                    Some(have) => format!(
                        "{:?} is checked out to {have:?}, the file says {h:?}",
                        unit.name
                    ),
                    None => format!(
                        "{:?} is not checked out, the file says {h:?} has it",
                        unit.name
                    ),
                }));
            }
        }
        if out && row.status.is_some_and(|s| s != Status::CheckedOut) {
            return Err(lending(format!(
                "{:?} is checked out to {:?}, the file says {}",
                unit.name,
                unit.holder.as_deref().unwrap_or("someone"),
                row.status.map(Status::as_str).unwrap_or_default()
            )));
        }
        if !out && row.status == Some(Status::CheckedOut) {
            return Err(lending(format!(
                "{:?} is not checked out, the file says it is",
                unit.name
            )));
        }
        if out && differs(&row.due, &unit.due) {
            return Err(lending(format!(
                "{:?} is due back {}, the file says {}",
                unit.name,
                unit.due.as_deref().unwrap_or("-"),
                row.due.as_deref().unwrap_or("-")
            )));
        }
        let mut kinds = Vec::new();
        let mut said = Vec::new();
        if let Some(name) = &row.unit {
            if !same_key(name, &unit.name) {
                said.push(format!("name → {name:?}"));
                kinds.push(EventKind::UnitRenamed { name: name.clone() });
                unit.name = name.clone();
            }
        }
        if row.tag.is_some() && !same_opt(row.tag.as_deref(), unit.asset_tag.as_deref()) {
            said.push(format!(
                "tag {:?} → {:?}",
                unit.asset_tag.as_deref().unwrap_or(""),
                row.tag.as_deref().unwrap_or("")
            ));
            kinds.push(EventKind::UnitTagged {
                tag: row.tag.clone(),
            });
            unit.asset_tag = row.tag.clone();
        }
        if differs(&row.location, &unit.location) {
            said.push(format!(
                "location {} → {}",
                unit.location.as_deref().unwrap_or("-"),
                row.location.as_deref().unwrap_or("-")
            ));
            kinds.push(EventKind::LocationMoved {
                location: row.location.clone(),
            });
            unit.location = row.location.clone();
        }
        for (k, v) in &row.fields {
            if unit.fields.get(k) != Some(v) {
                said.push(format!(
                    "{k} {:?} → {v:?}",
                    unit.fields.get(k).map(String::as_str).unwrap_or("")
                ));
                kinds.push(EventKind::FieldSet {
                    key: k.clone(),
                    value: Some(v.clone()),
                });
                unit.fields.insert(k.clone(), v.clone());
            }
        }
        if let Some(s) = row.status.filter(|s| *s != unit.status && !out) {
            said.push(format!("status {} → {s}", unit.status));
            kinds.push(match s {
                Status::Retired => EventKind::UnitRetired {
                    reason: Some("import".into()),
                },
                to => EventKind::StatusChanged { to },
            });
            unit.status = s;
        }
        if kinds.is_empty() {
            self.say(
                row.line,
                ChangeKind::Unchanged,
                format!("{:?} unchanged", unit.name),
            );
        } else {
            for kind in kinds {
                let cmd = on_unit(&unit, kind, self.actor, None);
                self.push(row.line, cmd);
            }
            self.say(
                row.line,
                ChangeKind::UnitChanged,
                format!("{:?}: {}", unit.name, said.join(", ")),
            );
        }
        self.units.insert(unit.id, unit);
        Ok(())
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

#[cfg(test)]
mod tests;
