//! A unit row: matched to a unit by id, tag or name within its item, or a new unit;
//! the unit changed where the row says otherwise, its lending checked, never changed.

use tagstation_core::catalog::{same_key, Status, Tracking, Unit};
use tagstation_core::event::EventKind;

use super::{differs, found, same_opt, ChangeKind, Planner, Row};
use crate::catalog::{add_unit_command, NewUnit};
use crate::locations::Placed;
use crate::naming::next_free_name;
use crate::people;
use crate::{on_unit, Ledger, OpError};

impl<L: Ledger> Planner<'_, L> {
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

    pub(super) fn unit_row(&mut self, at: usize, row: Row) -> Result<(), OpError> {
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
        let person = match &holder {
            Some(h) => Some(people::holder(self.l, h)?),
            None => None,
        };
        let placed = match &row.location {
            Some(loc) => {
                let (name, id) = self.place(row.line, loc)?;
                Some(Placed {
                    name,
                    id,
                    create: None,
                })
            }
            None => None,
        };
        let (id, cmd) = add_unit_command(
            item_id,
            &name,
            NewUnit {
                tag: row.tag.clone(),
                status: created,
                fields: row.fields.clone(),
                ..NewUnit::default()
            },
            placed.as_ref(),
            self.actor,
        );
        self.push(row.line, cmd);
        let unit = Unit {
            id,
            item_id,
            name: name.clone(),
            asset_tag: row.tag.clone(),
            status,
            location: placed.as_ref().map(|p| p.name.clone()),
            location_id: placed.as_ref().map(|p| p.id),
            holder: person.as_ref().map(|p| p.name.clone()),
            holder_id: person.as_ref().map(|p| p.id),
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
                let (h, holder_id) = match &person {
                    Some(p) => (p.name.clone(), Some(p.id)),
                    None => (holder.unwrap_or_default(), None),
                };
                text.push_str(&format!(", checked out to {h:?}"));
                let kind = EventKind::CheckedOut {
                    holder: h,
                    due: row.due.clone(),
                    holder_id,
                };
                self.push(row.line, on_unit(&unit, kind, self.actor, None));
            }
            Status::Retired => {
                text.push_str(", retired");
                let kind = EventKind::UnitRetired {
                    reason: Some("import".into()),
                    customer: None,
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
            let same_person = match (unit.holder_id, found(self.l.find_person(h))?) {
                (Some(have), Some(p)) => have == p.id,
                _ => unit.holder.as_deref().is_some_and(|have| same_key(have, h)),
            };
            if !same_person {
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
        if let Some(loc) = &row.location {
            let (name, id) = self.place(row.line, loc)?;
            if unit.location_id != Some(id) {
                said.push(format!(
                    "location {} → {name}",
                    unit.location.as_deref().unwrap_or("-"),
                ));
                kinds.push(EventKind::LocationMoved {
                    location: Some(name.clone()),
                    reason: None,
                    location_id: Some(id),
                });
                unit.location = Some(name);
                unit.location_id = Some(id);
            }
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
                    customer: None,
                },
                // Receiving → in stock is "received", as from every front end.
                to => crate::lifecycle::default_reason(
                    &unit,
                    EventKind::StatusChanged { to, reason: None },
                ),
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
}
