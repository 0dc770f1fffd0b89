//! The flow's way to the station's store: its reads ([`Reads`] for [`Store`]) and its
//! writes ([`run`] carries out one [`Op`] through the operations layer, the store's
//! audit record or door mode, and reports the result back in the flow's terms).

use tagstation_core::catalog::{ItemId, Status, UnitId};
use tagstation_core::kits::KitId;
use tagstation_core::people::Role;
use tagstation_core::view::UnitView;
use tagstation_ops::catalog::{self, NewUnit, UnitChange};
use tagstation_ops::kits::{self, KitView};
use tagstation_ops::reservations::{self, upcoming_for_unit, ReservationView};
use tagstation_ops::{lending, Actor, Ledger, OpError};
use tagstation_station::action::act_on_unit;
use tagstation_station::store::{op_error, Resolved, Store};

use super::flow::{CountChange, Done, Op, Reads, Refused};
use crate::door::{self, DoorOutcome};
use crate::feedback::Feedback;

impl Reads for Store {
    fn resolve(&self, code: &str) -> Result<Resolved, OpError> {
        Store::resolve(self, code).map_err(op_error)
    }

    fn held_by(&self, person: &str) -> Vec<(String, bool)> {
        let held = self
            .find_person(person)
            .and_then(|p| self.held_by(&p))
            .unwrap_or_default();
        held.into_iter().map(|u| (u.name, u.overdue)).collect()
    }

    fn borrowers(&self) -> Vec<String> {
        self.borrowers().unwrap_or_default()
    }

    fn next_unit_name(&self, item: ItemId) -> String {
        tagstation_ops::naming::next_unit_name(self, item).unwrap_or_default()
    }

    fn units_at(&self, location: &str) -> Result<Vec<UnitView>, OpError> {
        Store::units_at(self, location).map_err(op_error)
    }

    fn new_tags_left(&self) -> u64 {
        Store::new_tags_left(self).unwrap_or(0)
    }

    fn reservations_of(&self, unit: UnitId) -> Vec<ReservationView> {
        let found = Store::unit(self, unit)
            .map_err(op_error)
            .and_then(|u| upcoming_for_unit(self, &u));
        found.unwrap_or_else(|e| {
            tracing::warn!(error = %e, %unit, "cannot read the unit's reservations");
            Vec::new()
        })
    }

    fn role_of(&self, person: &str) -> Option<Role> {
        self.find_person(person)
            .ok()
            .filter(|p| p.active && !p.erased)
            .map(|p| p.role)
    }

    fn kit_view(&self, kit: KitId) -> Result<KitView, OpError> {
        let kit = Ledger::kit(self, kit)?;
        kits::view(self, &kit)
    }

    fn units_by_id(&self, ids: &[UnitId]) -> Result<Vec<UnitView>, OpError> {
        ids.iter()
            .map(|id| Store::unit(self, *id).and_then(|u| self.unit_view(&u)))
            .collect::<Result<_, _>>()
            .map_err(op_error)
    }

    fn date_in(&self, days: i64) -> String {
        let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        d.format(&fmt)
            .unwrap_or_else(|_| tagstation_core::clock::today())
    }
}

/// The wall time an audit is stamped with, `YYYY-MM-DD hh:mm:ss` (UTC).
fn now_text() -> String {
    let t = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.format(&fmt)
        .unwrap_or_else(|_| tagstation_core::clock::today())
}

/// A new unit of `item` named `name` with the next of the station's new tags. The tag
/// is taken (and kept taken) before the unit is made: a refusal leaves a gap in the
/// numbers, never a tag handed out twice.
fn add_new_tagged(
    store: &mut Store,
    item: ItemId,
    name: &str,
    who: &Actor,
) -> Result<Done, Refused> {
    let tag = match store.take_new_tag() {
        Ok(Some(tag)) => tag,
        Ok(None) => {
            return Err(OpError::invalid(
                "No new tags left at this station: connect it to the hub to get more.",
            )
            .into())
        }
        Err(e) => return Err(op_error(e).into()),
    };
    let new = NewUnit {
        name: Some(name.to_string()),
        tag: Some(tag.clone()),
        ..NewUnit::default()
    };
    let added = catalog::add_unit(store, item, new, who)?;
    Ok(Done::NewTagged {
        id: added.id,
        name: added.name,
        tag,
        left: store.new_tags_left().unwrap_or(0),
    })
}

/// Carry out one write the flow asked for, as `actor` (a kiosk basket is recorded as
/// its person's). `None`: nothing was done and there is nothing to report (door mode
/// ignoring a blank line).
pub fn run(
    store: &mut Store,
    op: &Op,
    actor: &str,
    feedback: &dyn Feedback,
) -> Option<Result<Done, Refused>> {
    let who = Actor::from(actor);
    let unit_done = |store: &Store, id, message: String| -> Result<Done, Refused> {
        let name = store.unit(id).map(|u| u.name).unwrap_or_default();
        Ok(Done::Unit {
            id,
            event: None,
            name,
            message,
        })
    };
    Some(match op {
        Op::Act { unit, action } => act_on_unit(store, *unit, action.clone(), actor, None)
            .map(|done| Done::Unit {
                id: done.unit.id,
                event: Some(done.event_id),
                name: done.unit.name,
                message: done.message,
            })
            .map_err(Refused::from),
        Op::Door { door, code } => match door::apply(store, *door, code, actor, feedback) {
            DoorOutcome::Saved(done) => Ok(Done::Unit {
                id: done.unit.id,
                event: Some(done.event_id),
                name: done.unit.name,
                message: done.message,
            }),
            DoorOutcome::Refused(e) => Err(e.into()),
            DoorOutcome::Ignored => return None,
        },
        Op::Basket {
            person,
            units,
            action,
        } => lending::act_on_basket(store, units, action, &Actor::from(person.as_str()))
            .map(Done::Basket)
            .map_err(|(i, error)| Refused { error, at: Some(i) }),
        Op::CheckOutKit { kit, action } => {
            // Its name first: a kit that cannot be read cannot go out either.
            let name = match Ledger::kit(store, *kit) {
                Ok(k) => k.name,
                Err(e) => return Some(Err(e.into())),
            };
            kits::check_out_kit(store, *kit, action.clone(), &who, None)
                .map(|units| Done::KitOut { kit: name, units })
                .map_err(Refused::from)
        }
        Op::CheckInKit {
            kit,
            present,
            by,
            scan,
        } => {
            let by = by.as_deref().map_or_else(|| who.clone(), Actor::from);
            let (present, scan) = (present.as_deref(), scan.as_deref());
            kits::check_in_kit(store, *kit, present, None, &by, scan)
                .map(Done::KitReturned)
                .map_err(Refused::from)
        }
        Op::Reserve {
            units,
            person,
            starts,
            ends,
            note,
            by,
            ..
        } => {
            let by = by.as_deref().map_or_else(|| who.clone(), Actor::from);
            let days = reservations::Days {
                starts: starts.clone(),
                ends: Some(ends.clone()),
                note: note.clone(),
            };
            reservations::reserve_units(store, units, person, &days, &by)
                .map(|_| Done::Reserved)
                .map_err(Refused::from)
        }
        Op::Count { item, change, qty } => {
            let (item, qty) = (*item, *qty);
            match change {
                CountChange::Receive => {
                    let why = Some("received".into());
                    catalog::adjust_quantity(store, item, Status::InStock, qty, why, &who)
                }
                CountChange::Consume => {
                    let why = Some("consumed".into());
                    catalog::adjust_quantity(store, item, Status::InStock, -qty, why, &who)
                }
                CountChange::Damaged => {
                    catalog::move_quantity(store, item, qty, Status::InStock, Status::Damaged, &who)
                }
            }
            .map(|_| Done::Recorded)
            .map_err(Refused::from)
        }
        Op::AttachTag { unit, code } => {
            let change = UnitChange::Tag(Some(code.clone()));
            match catalog::change_unit(store, *unit, change, &who, Some(code)) {
                Ok(_) => unit_done(store, *unit, String::new()),
                Err(e) => Err(e.into()),
            }
        }
        Op::AddUnit { item, name, code } => {
            let new = NewUnit {
                name: Some(name.clone()),
                tag: Some(code.clone()),
                ..NewUnit::default()
            };
            catalog::add_unit_scanned(store, *item, new, &who, Some(code))
                .map(|added| Done::Unit {
                    id: added.id,
                    event: None,
                    name: added.name,
                    message: String::new(),
                })
                .map_err(Refused::from)
        }
        Op::AddNewTagged { item, name } => add_new_tagged(store, *item, name, &who),
        Op::FinishAudit(audit) => {
            let (cmds, summary) = audit.finish(actor, &now_text());
            store
                .record_audit(&summary, cmds)
                .map(|_| Done::Audit(summary))
                .map_err(|e| op_error(e).into())
        }
    })
}
