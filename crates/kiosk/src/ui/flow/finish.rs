//! What the result of a write means for the screen: the confirmation or the refusal
//! in plain words, the feedback, and where the workflow goes next.

use tagstation_core::catalog::{Status, UnitId};
use tagstation_core::people::Role;
use tagstation_ops::{Action, OpError};
use uuid::Uuid;

use super::{
    and_list, count_units, CountChange, Done, Effect, Flow, Fx, LabelOutcome, Op, Overlay, Reads,
    Refused, State, Tone,
};
use crate::feedback::Signal;
use tagstation_ops::kits::KitReturn;
use tagstation_station::sync::FEW_TAGS_LEFT;

impl State {
    pub(super) fn finished(
        &mut self,
        op: Op,
        result: Result<Done, Refused>,
        reads: &dyn Reads,
        fx: &mut Fx,
    ) {
        let done = match result {
            Ok(done) => done,
            Err(refused) => return self.refused(op, refused, reads, fx),
        };
        match (op, done) {
            (
                Op::Act { action, .. },
                Done::Unit {
                    id, event, message, ..
                },
            ) => {
                self.message = (
                    Tone::Ok,
                    format!("Saved: {message}{}.", overridden(&action)),
                );
                fx.signal(Signal::Success);
                if matches!(action, Action::CheckOut { .. }) {
                    fx.push(Effect::Release);
                }
                fx.push(Effect::Saved);
                self.photo(&action, event.map(|e| (id, e)).into_iter().collect(), fx);
                // A check-out may have picked up a reservation of the unit.
                self.refresh_unit(reads);
            }
            // door mode's scan gave its own feedback
            (
                Op::Door { door, .. },
                Done::Unit {
                    id, event, message, ..
                },
            ) => {
                self.message = (Tone::Ok, format!("Saved: {message}."));
                self.open_unit(id, reads);
                fx.push(Effect::Saved);
                self.photo(
                    &door.action(),
                    event.map(|e| (id, e)).into_iter().collect(),
                    fx,
                );
            }
            (
                Op::Basket {
                    person,
                    units,
                    action,
                },
                Done::Basket(changed),
            ) => {
                fx.signal(Signal::Success);
                fx.push(Effect::Saved);
                self.photo(&action, changed, fx);
                let n = count_units(units.len());
                let over = overridden(&action);
                let text = match action {
                    Action::CheckOut { due, .. } => {
                        fx.push(Effect::Release);
                        let until = due.map(|d| format!(" until {d}")).unwrap_or_default();
                        format!("Saved: {n} checked out to {person}{until}{over}.")
                    }
                    _ => format!("Saved: {n} checked in by {person}."),
                };
                self.message = (Tone::Ok, text);
                self.go_home();
            }
            (Op::CheckOutKit { action, .. }, Done::KitOut { kit, units }) => {
                let over = overridden(&action);
                let holder = match &action {
                    Action::CheckOut { holder, .. } => holder.as_str(),
                    _ => "",
                };
                let n = count_units(units);
                self.message = (
                    Tone::Ok,
                    format!("Saved: {kit} ({n}) checked out to {holder}{over}."),
                );
                fx.signal(Signal::Success);
                fx.push(Effect::Release);
                fx.push(Effect::Saved);
                self.refresh_kit(reads);
            }
            (Op::CheckInKit { kit, .. }, Done::KitReturned(back)) => {
                let (tone, text) = kit_returned(&back);
                self.say(tone, text, fx);
                fx.push(Effect::Saved);
                let check_in = Action::CheckIn { location: None };
                self.photo(&check_in, back.events.clone(), fx);
                match &mut self.flow {
                    Flow::Kit { returning, .. } => {
                        *returning = None;
                        self.refresh_kit(reads);
                    }
                    // The kit's units are in now: out of the basket, whose lines would
                    // say otherwise.
                    Flow::Kiosk { basket, .. } => match reads.kit_view(kit) {
                        Ok(v) => basket.retain(|u| !v.units.iter().any(|k| k.id == u.id)),
                        Err(e) => tracing::warn!(error = %e, %kit, "cannot read the kit again"),
                    },
                    _ => {}
                }
            }
            (
                Op::Reserve {
                    what,
                    person,
                    starts,
                    ends,
                    ..
                },
                Done::Reserved,
            ) => {
                self.overlay = Overlay::None;
                let days = if starts == ends {
                    starts
                } else {
                    format!("{starts} to {ends}")
                };
                let text = format!("Saved: {what} reserved for {person}, {days}.");
                self.say(Tone::Ok, text, fx);
                fx.push(Effect::Saved);
                // The card lists it now; a kiosk's basket was for the reservation.
                self.refresh_unit(reads);
                if let Flow::Kiosk { basket, .. } = &mut self.flow {
                    basket.clear();
                }
            }
            (Op::Count { change, qty, .. }, Done::Recorded) => {
                let what = match change {
                    CountChange::Receive => "received",
                    CountChange::Consume => "consumed",
                    CountChange::Damaged => "marked damaged",
                };
                if let Flow::Count { name, qty: q, .. } = &mut self.flow {
                    self.message = (Tone::Ok, format!("Saved: {name}, {qty} {what}."));
                    *q = 1;
                }
                fx.signal(Signal::Success);
                fx.push(Effect::Saved);
            }
            (Op::AttachTag { code, .. }, Done::Unit { id, name, .. }) => {
                self.message = (Tone::Ok, format!("Saved: tag {code} is now on {name}."));
                fx.signal(Signal::Success);
                self.open_unit(id, reads);
                fx.push(Effect::Saved);
            }
            (Op::AddUnit { name, code, .. }, Done::Unit { id, .. }) => {
                self.message = (Tone::Ok, format!("Saved: new unit {name} with tag {code}."));
                fx.signal(Signal::Success);
                self.open_unit(id, reads);
                fx.push(Effect::Saved);
            }
            (
                Op::AddNewTagged { .. },
                Done::NewTagged {
                    id,
                    name,
                    tag,
                    left,
                },
            ) => {
                let saved = format!("Saved: new unit {name} with tag {tag}.");
                if left < FEW_TAGS_LEFT {
                    let text = format!(
                        "{saved} Only {left} new tags left: connect to the hub to get more."
                    );
                    self.say(Tone::Warn, text, fx);
                } else {
                    self.say(Tone::Ok, saved, fx);
                }
                self.open_unit(id, reads);
                fx.push(Effect::Saved);
                // Its tag exists on no label yet: print one at once where a printer is set up.
                if self.settings.labels.is_some() {
                    fx.push(Effect::PrintLabel { unit: id });
                }
            }
            (Op::FinishAudit(_), Done::Audit(summary)) => {
                let clean = summary.missing.is_empty() && summary.unexpected.is_empty();
                let tone = if clean { Tone::Ok } else { Tone::Warn };
                self.message = (tone, format!("Audit saved. {}.", summary.describe()));
                fx.signal(if clean {
                    Signal::Success
                } else {
                    Signal::Warning
                });
                fx.push(Effect::Saved);
                self.go_home();
            }
            (op, done) => tracing::error!(?op, ?done, "a write reported something unexpected"),
        }
    }

    /// After a check-in or a unit marked damaged (saved): a condition photo, where the
    /// station keeps them for that, of each unit the write changed (`of`: the unit and
    /// its event). The runtime takes it on its own; the screen has said "Saved" already
    /// and never hears of it.
    fn photo(&self, action: &Action, of: Vec<(UnitId, Uuid)>, fx: &mut Fx) {
        let wanted = match action {
            Action::CheckIn { .. } => self.settings.photos.on_check_in,
            Action::SetStatus {
                status: Status::Damaged,
            } => self.settings.photos.on_damaged,
            _ => false,
        };
        if !wanted {
            return;
        }
        if of.is_empty() {
            // A write that names no event has nothing for a photo to belong to.
            tracing::info!(?action, "no condition photo: the write reported no event");
            return;
        }
        fx.push(Effect::Photo { of });
    }

    /// A label went to the printer, or did not: say which, whatever screen is showing.
    pub(super) fn printed(&mut self, outcome: LabelOutcome, fx: &mut Fx) {
        let LabelOutcome { unit, result } = outcome;
        match result {
            Ok(printer) => {
                let text = format!("Label for {unit} sent to the printer {printer}.");
                self.say(Tone::Ok, text, fx);
            }
            Err(why) => {
                tracing::warn!(%unit, %why, "label not printed");
                self.say(
                    Tone::Error,
                    format!("Label for {unit} not printed: {why}"),
                    fx,
                );
            }
        }
    }

    fn refused(&mut self, op: Op, refused: Refused, reads: &dyn Reads, fx: &mut Fx) {
        match (op, refused) {
            // Someone else's reservation: name it, and let the person decide.
            (
                op @ (Op::Act {
                    action: Action::CheckOut { .. },
                    ..
                }
                | Op::Basket {
                    action: Action::CheckOut { .. },
                    ..
                }
                | Op::CheckOutKit { .. }),
                Refused {
                    error: e @ OpError::Reserved { .. },
                    ..
                },
            ) => self.reserved(op, &e, reads, fx),
            // door mode's scan gave its own feedback
            (Op::Door { .. }, Refused { error, .. }) => {
                self.message = (Tone::Error, error.user_message());
                self.flow = Flow::Scan;
            }
            (
                Op::Basket { .. },
                Refused {
                    error: e @ OpError::Invalid { .. },
                    ..
                },
            ) => self.say(Tone::Warn, e.user_message(), fx),
            (Op::Basket { .. }, Refused { error, at }) => {
                let name = match (&self.flow, at) {
                    (Flow::Kiosk { basket, .. }, Some(i)) => basket.get(i).map(|u| u.name.clone()),
                    _ => None,
                };
                let name = name.as_deref().unwrap_or("a unit");
                let text = format!("Nothing saved. {name}: {}", error.user_message());
                self.say(Tone::Error, text, fx);
            }
            (_, Refused { error, .. }) => self.fail(&error, fx),
        }
    }

    /// A check-out that would break someone else's reservation: the warning over the
    /// screen names the conflict; "Lend anyway" runs it again over the reservation
    /// (recorded on it), for an operator only. At a kiosk basket the person who
    /// identified themself is the one acting, so their role decides; the unit card
    /// identifies no one (it is the station's own screen, every operation open), so
    /// there anyone may.
    fn reserved(&mut self, op: Op, e: &OpError, reads: &dyn Reads, fx: &mut Fx) {
        tracing::info!(error = %e, "check-out over a reservation: asking");
        let may_override = match &op {
            Op::Basket { person, .. } => reads.role_of(person).is_some_and(|r| r >= Role::Operator),
            _ => true,
        };
        let (text, prompt) = match e {
            OpError::Reserved { unit, held, .. } if !may_override => (
                format!("{unit} is {held}. Only an operator may lend it anyway: ask one."),
                "Reserved for someone else: nothing saved.",
            ),
            _ => (
                e.user_message(),
                "Reserved for someone else: Lend anyway, or Cancel.",
            ),
        };
        self.say(Tone::Warn, prompt.into(), fx);
        self.overlay = Overlay::Reserved { text, may_override };
        self.lend_anyway = Some(op);
    }
}

/// How a confirmation says a check-out went over a reservation.
const OVERRIDDEN: &str = " over a reservation (override recorded)";

/// [`OVERRIDDEN`] for a check-out over a reservation, else nothing.
fn overridden(action: &Action) -> &'static str {
    match action {
        Action::CheckOut {
            over_reservation: true,
            ..
        } => OVERRIDDEN,
        _ => "",
    }
}

/// What a kit's return says: what came back, and what did not (a warning: it is
/// recorded, and the kit shows as incomplete until those are in).
fn kit_returned(back: &KitReturn) -> (Tone, String) {
    let kit = &back.kit;
    if back.missing.is_empty() {
        let n = count_units(back.checked_in.len());
        return (Tone::Ok, format!("Saved: {kit} checked in ({n})."));
    }
    let missing = and_list(&back.missing);
    let text = if back.checked_in.is_empty() {
        format!("Saved: nothing of {kit} came back. Missing: {missing} — recorded.")
    } else {
        format!("Saved: {kit} checked in. Missing: {missing} — recorded.")
    };
    (Tone::Warn, text)
}
