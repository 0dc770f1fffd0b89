//! What a touch means: the overlays (picker, on-screen keyboard, the warning of a
//! reservation) first, then the buttons and choices of the screen underneath.

use tagstation_core::catalog::{Status, MAX_TEXT_CHARS};
use tagstation_core::signature::{Signature, SignatureError};
use tagstation_ops::lending::BasketUnit;
use tagstation_ops::Action;
use tagstation_station::audit::Audit;

use super::{
    and_list, kiosk, kit_not_ready, kit_unusable, Ask, Booking, CameBack, Choice, CountChange,
    Effect, Flow, Fx, Op, Overlay, Reads, State, Tone, Touch, BOOK_AHEAD_DAYS, BOOK_MAX_DAYS,
};

impl State {
    pub(super) fn touch(&mut self, t: Touch, reads: &dyn Reads, fx: &mut Fx) {
        match (t, &mut self.overlay) {
            (Touch::Choose(c), Overlay::Picker(ask)) => {
                let ask = *ask;
                self.overlay = Overlay::None;
                match c {
                    Choice::Person(text) | Choice::Location(text) => {
                        self.answer(ask, text, reads, fx)
                    }
                    other => tracing::debug!(?other, "not a picker choice, ignored"),
                }
            }
            (Touch::PickerType, Overlay::Picker(ask)) => {
                let ask = *ask;
                self.open_keyboard(ask, String::new());
            }
            (Touch::PickerCancel | Touch::KeyCancel, _) => self.overlay = Overlay::None,
            (Touch::LendAnyway, Overlay::Reserved { may_override, .. }) => {
                if !*may_override {
                    tracing::warn!("lend anyway by someone who may not, ignored");
                    return;
                }
                self.overlay = Overlay::None;
                match self.lend_anyway.take() {
                    Some(op) => {
                        tracing::info!(?op, "lent over a reservation");
                        self.clear_message();
                        fx.run(over_reservation(op));
                    }
                    None => tracing::error!("lend anyway with no check-out to run"),
                }
            }
            (Touch::KeepReservation, Overlay::Reserved { .. }) => {
                self.overlay = Overlay::None;
                self.lend_anyway = None;
                self.message = (
                    Tone::None,
                    "Not checked out: the reservation stands.".into(),
                );
            }
            (Touch::SignCancel, Overlay::Signature { .. }) => {
                self.overlay = Overlay::None;
                self.to_sign = None;
                self.message = (Tone::None, "Not checked out: nothing was signed.".into());
            }
            // The runtime wipes the pad; the check-out still waits for Done.
            (Touch::SignClear, Overlay::Signature { .. }) => self.clear_message(),
            // Done reaches the flow as `Input::Signed`, with the strokes.
            (Touch::SignDone, Overlay::Signature { .. }) => {
                tracing::debug!("Done on the pad without its strokes, ignored")
            }
            (Touch::Key(k), Overlay::Keyboard { ask, text, shift }) => {
                if text.chars().count() >= MAX_TEXT_CHARS {
                    return;
                }
                if *shift {
                    text.extend(k.to_uppercase());
                    // Codes are typed in capitals: Shift stays on. Names get one capital.
                    if *ask != Ask::Code {
                        *shift = false;
                    }
                } else {
                    text.extend(k.to_lowercase());
                }
            }
            (Touch::KeyShift, Overlay::Keyboard { shift, .. }) => *shift = !*shift,
            (Touch::KeyDelete, Overlay::Keyboard { text, .. }) => {
                text.pop();
            }
            (Touch::KeyOk, Overlay::Keyboard { ask, text, .. }) => {
                let (ask, text) = (*ask, text.trim().to_string());
                self.overlay = Overlay::None;
                if text.is_empty() {
                    self.say(Tone::Warn, "Nothing was typed.".into(), fx);
                } else if ask == Ask::Code {
                    self.code(&text, reads, fx);
                } else {
                    self.answer(ask, text, reads, fx);
                }
            }
            (Touch::BookEarlier, Overlay::Booking(b)) => b.from = (b.from - 1).max(0),
            (Touch::BookLater, Overlay::Booking(b)) => b.from = (b.from + 1).min(BOOK_AHEAD_DAYS),
            (Touch::BookShorter, Overlay::Booking(b)) => b.days = (b.days - 1).max(1),
            (Touch::BookLonger, Overlay::Booking(b)) => b.days = (b.days + 1).min(BOOK_MAX_DAYS),
            (Touch::BookCancel, Overlay::Booking(_)) => {
                self.overlay = Overlay::None;
                self.message = (Tone::None, "Nothing reserved.".into());
            }
            // The booking stays on screen until the reservation is saved: a refusal
            // (someone has those days) lets the person pick others.
            (Touch::BookConfirm, Overlay::Booking(b)) => {
                let (starts, ends) = b.dates(reads);
                fx.run(Op::Reserve {
                    units: b.units.clone(),
                    what: b.what.clone(),
                    person: b.person.clone(),
                    starts,
                    ends,
                    note: b.note.clone(),
                    by: b.by.clone(),
                });
            }
            (t, _) => self.screen_touch(t, reads, fx),
        }
    }

    fn screen_touch(&mut self, t: Touch, reads: &dyn Reads, fx: &mut Fx) {
        match (t, &mut self.flow) {
            (Touch::Done, _) => {
                self.clear_message();
                self.go_home();
            }
            (Touch::OpenKiosk, _) => {
                self.clear_message();
                self.flow = kiosk(None);
            }
            (Touch::OpenAudit, _) => {
                self.clear_message();
                self.flow = Flow::AuditPick;
            }
            (Touch::TypeCode, _) => self.open_keyboard(Ask::Code, String::new()),
            (Touch::NewTagged, _) => {
                if reads.new_tags_left() == 0 {
                    let text = "No new tags at this station: connect it to the hub to get a block of them.";
                    self.say(Tone::Warn, text.into(), fx);
                } else {
                    self.clear_message();
                    self.flow = Flow::NewTagged { item: None };
                }
            }
            (Touch::Choose(Choice::Item(id)), Flow::NewTagged { item }) => {
                *item = Some(id);
                let name = reads.next_unit_name(id);
                self.open_keyboard(Ask::NewTaggedName, name);
            }
            (Touch::SetStatus(status), Flow::Unit { unit, .. }) => fx.run(Op::Act {
                unit: *unit,
                action: Action::SetStatus { status },
            }),
            (Touch::CheckOut, Flow::Unit { .. }) => self.ask_person(Ask::Holder, reads),
            (
                Touch::CheckOut,
                Flow::Kit {
                    kit,
                    returning: None,
                },
            ) => match kit_unusable(kit).or_else(|| kit_not_ready(kit)) {
                Some(why) => self.say(Tone::Warn, why, fx),
                None => self.ask_person(Ask::Holder, reads),
            },
            (
                Touch::CheckIn,
                Flow::Kit {
                    returning: None, ..
                },
            ) => self.start_return(reads, fx),
            (
                Touch::Choose(Choice::Unit(unit)),
                Flow::Kit {
                    returning: Some(rows),
                    ..
                },
            ) => {
                if let Some(row) = rows.iter_mut().find(|r| r.unit == unit) {
                    row.back = !row.back;
                }
            }
            (
                Touch::ConfirmReturn,
                Flow::Kit {
                    kit,
                    returning: Some(rows),
                },
            ) => fx.run(Op::CheckInKit {
                kit: kit.id,
                present: Some(rows.iter().filter(|r| r.back).map(|r| r.unit).collect()),
                by: None,
                scan: None,
            }),
            (Touch::CancelReturn, Flow::Kit { returning, .. }) => {
                *returning = None;
                self.clear_message();
            }
            (Touch::CheckIn, Flow::Unit { unit, .. }) => fx.run(Op::Act {
                unit: *unit,
                action: Action::CheckIn { location: None },
            }),
            (Touch::Move, Flow::Unit { .. }) => self.overlay = Overlay::Picker(Ask::Location),
            (
                Touch::Reserve,
                Flow::Unit { .. }
                | Flow::Kit {
                    returning: None, ..
                },
            ) => self.ask_person(Ask::ReserveFor, reads),
            (
                Touch::Reserve,
                Flow::Kiosk {
                    person: Some(p),
                    basket,
                    ..
                },
            ) => {
                if basket.is_empty() {
                    let text = "Scan the units to reserve first, then touch Reserve.";
                    return self.say(Tone::Warn, text.into(), fx);
                }
                let names: Vec<String> = basket.iter().map(|u| u.name.clone()).collect();
                let units = basket.iter().map(|u| u.id).collect();
                let booking = Booking::new(p.clone(), units, and_list(&names), Some(p.clone()));
                self.clear_message();
                self.overlay = Overlay::Booking(booking);
            }
            (Touch::PrintLabel, Flow::Unit { unit, .. }) => {
                if self.settings.labels.is_some() {
                    self.message = (Tone::None, "Printing the label…".into());
                    fx.push(Effect::PrintLabel { unit: *unit });
                } else {
                    let text = "No label printer is set up at this station.".into();
                    self.say(Tone::Warn, text, fx);
                }
            }
            (Touch::Choose(Choice::Person(p)), Flow::Kiosk { .. }) => self.identify(p, reads, fx),
            (Touch::Choose(Choice::Due(days)), Flow::Kiosk { due, .. }) => *due = days,
            (
                Touch::BasketCheckOut,
                Flow::Kiosk {
                    person: Some(p),
                    basket,
                    due,
                },
            ) => {
                let action = Action::lend(p.clone(), due.map(|d| reads.date_in(d)), false);
                let op = basket_op(p, basket, action);
                self.check_out(op, fx);
            }
            (
                Touch::BasketCheckIn,
                Flow::Kiosk {
                    person: Some(p),
                    basket,
                    ..
                },
            ) => fx.run(basket_op(p, basket, Action::CheckIn { location: None })),
            (Touch::Step(delta), Flow::Count { qty, .. }) => {
                *qty = qty.saturating_add(delta).clamp(1, 9999)
            }
            (Touch::Receive, Flow::Count { item, qty, .. }) => {
                fx.run(count_op(*item, CountChange::Receive, *qty))
            }
            (Touch::Consume, Flow::Count { item, qty, .. }) => {
                fx.run(count_op(*item, CountChange::Consume, *qty))
            }
            (Touch::CountDamaged, Flow::Count { item, qty, .. }) => {
                fx.run(count_op(*item, CountChange::Damaged, *qty))
            }
            (
                Touch::Choose(Choice::Item(id)),
                Flow::Unknown {
                    item: item @ None, ..
                },
            ) => *item = Some(id),
            (
                Touch::Choose(Choice::Unit(unit)),
                Flow::Unknown {
                    code,
                    item: Some(_),
                },
            ) => fx.run(Op::AttachTag {
                unit,
                code: code.clone(),
            }),
            (Touch::OtherItem, Flow::Unknown { item, .. }) => *item = None,
            (
                Touch::NewUnit,
                Flow::Unknown {
                    item: Some(item), ..
                },
            ) => {
                let name = reads.next_unit_name(*item);
                self.open_keyboard(Ask::NewUnitName, name);
            }
            (Touch::Choose(Choice::Location(l)), Flow::AuditPick) => self.start_audit(l, reads, fx),
            (Touch::FinishAudit, Flow::Audit { audit, .. }) => {
                fx.run(Op::FinishAudit(audit.clone()))
            }
            (t, f) => {
                tracing::debug!(touch = ?t, flow = ?std::mem::discriminant(f), "touch ignored here")
            }
        }
    }

    /// Start the audit of a location (picked from the list or its label scanned):
    /// the units recorded there are expected.
    pub(super) fn start_audit(&mut self, location: String, reads: &dyn Reads, fx: &mut Fx) {
        match reads.units_at(&location) {
            Ok(units) => {
                self.clear_message();
                self.flow = Flow::Audit {
                    audit: Audit::start(&location, units),
                    seen: Vec::new(),
                };
            }
            Err(e) => self.fail(&e, fx),
        }
    }

    /// A picker choice or typed text for what was asked.
    fn answer(&mut self, ask: Ask, text: String, reads: &dyn Reads, fx: &mut Fx) {
        match (ask, &self.flow) {
            (Ask::ReserveFor, Flow::Unit { unit, .. }) => {
                let name = match reads.units_by_id(&[*unit]) {
                    Ok(mut v) if !v.is_empty() => v.remove(0).name,
                    Ok(_) => return tracing::warn!(%unit, "the unit to reserve is gone"),
                    Err(e) => return self.fail(&e, fx),
                };
                self.overlay = Overlay::Booking(Booking::new(text, vec![*unit], name, None));
            }
            (Ask::ReserveFor, Flow::Kit { kit, .. }) => {
                if let Some(why) = kit_unusable(kit) {
                    return self.say(Tone::Warn, why, fx);
                }
                let units = kit.units.iter().map(|u| u.id).collect();
                let mut booking = Booking::new(text, units, kit.name.clone(), None);
                booking.note = Some(format!("Kit {}", kit.name));
                self.overlay = Overlay::Booking(booking);
            }
            (Ask::Holder, Flow::Unit { unit, .. }) => {
                let op = Op::Act {
                    unit: *unit,
                    action: Action::lend(text, None, false),
                };
                self.check_out(op, fx);
            }
            (Ask::Holder, Flow::Kit { kit, .. }) => {
                let op = Op::CheckOutKit {
                    kit: kit.id,
                    action: Action::lend(text, None, false),
                };
                self.check_out(op, fx);
            }
            (Ask::Location, Flow::Unit { unit, .. }) => fx.run(Op::Act {
                unit: *unit,
                action: Action::Move { location: text },
            }),
            (
                Ask::NewUnitName,
                Flow::Unknown {
                    code,
                    item: Some(item),
                },
            ) => fx.run(Op::AddUnit {
                item: *item,
                name: text,
                code: code.clone(),
            }),
            (Ask::NewTaggedName, Flow::NewTagged { item: Some(item) }) => {
                fx.run(Op::AddNewTagged {
                    item: *item,
                    name: text,
                })
            }
            (ask, _) => tracing::debug!(?ask, "answer no longer needed"),
        }
    }

    /// A check-out from a unit card or a kiosk basket: at once, or, where the station
    /// asks for signatures, after the borrower signed on the pad.
    fn check_out(&mut self, op: Op, fx: &mut Fx) {
        let holder = match &op {
            Op::Act {
                action: Action::CheckOut { holder, .. },
                ..
            }
            | Op::Basket {
                action: Action::CheckOut { holder, .. },
                ..
            }
            | Op::CheckOutKit {
                action: Action::CheckOut { holder, .. },
                ..
            } => holder.clone(),
            _ => return fx.run(op),
        };
        if !self.settings.signature {
            return fx.run(op);
        }
        self.message = (
            Tone::None,
            format!("{holder}: sign on the screen, then touch Done."),
        );
        self.overlay = Overlay::Signature { holder };
        self.to_sign = Some(op);
    }

    /// Done on the signature pad: the check-out waiting for it runs with the strokes.
    /// An empty pad is refused; so is a signature too large to record (the pad keeps
    /// within the limits, so that is a bug), in words.
    pub(super) fn signed(&mut self, signature: Signature, fx: &mut Fx) {
        if !matches!(self.overlay, Overlay::Signature { .. }) {
            tracing::debug!("a signature with no pad open, ignored");
            return;
        }
        if let Err(e) = signature.check() {
            tracing::info!(error = %e, "signature refused");
            let text = match e {
                SignatureError::Empty => "Nothing was signed: sign on the white pad, then Done.",
                _ => "The signature cannot be kept: touch Clear and sign again.",
            };
            return self.say(Tone::Warn, text.into(), fx);
        }
        self.overlay = Overlay::None;
        match self.to_sign.take() {
            Some(op) => {
                self.clear_message();
                fx.run(with_signature(op, signature));
            }
            None => tracing::error!("a signature with no check-out to run"),
        }
    }

    /// Whom to lend to or reserve for: the picker of people, or the keyboard when
    /// there are none.
    fn ask_person(&mut self, ask: Ask, reads: &dyn Reads) {
        if reads.borrowers().is_empty() {
            self.open_keyboard(ask, String::new());
        } else {
            self.overlay = Overlay::Picker(ask);
        }
    }

    /// "Check in kit": the kit read again, and each of its units that is out listed as
    /// came back, for the person to touch off what did not.
    fn start_return(&mut self, reads: &dyn Reads, fx: &mut Fx) {
        let Flow::Kit { kit, .. } = &self.flow else {
            return;
        };
        let fresh = match reads.kit_view(kit.id) {
            Ok(fresh) => fresh,
            Err(e) => return self.fail(&e, fx),
        };
        let out: Vec<CameBack> = fresh
            .units
            .iter()
            .filter(|u| u.status == Status::CheckedOut)
            .map(|u| CameBack {
                unit: u.id,
                name: u.name.clone(),
                back: true,
            })
            .collect();
        let name = fresh.name.clone();
        let returning = if out.is_empty() { None } else { Some(out) };
        let nothing_out = returning.is_none();
        self.flow = Flow::Kit {
            kit: fresh,
            returning,
        };
        if nothing_out {
            let text =
                format!("Nothing of the kit {name} is checked out: there is nothing to check in.");
            self.say(Tone::Warn, text, fx);
        } else {
            self.clear_message();
        }
    }

    fn open_keyboard(&mut self, ask: Ask, text: String) {
        let shift = text.is_empty();
        self.overlay = Overlay::Keyboard { ask, text, shift };
    }
}

fn basket_op(person: &str, basket: &[tagstation_core::view::UnitView], action: Action) -> Op {
    Op::Basket {
        person: person.to_string(),
        units: basket
            .iter()
            .map(|u| BasketUnit {
                unit: u.id,
                scan: u.asset_tag.clone(),
            })
            .collect(),
        action,
    }
}

/// The same check-out, signed.
fn with_signature(op: Op, signed: Signature) -> Op {
    map_check_out(op, |action| match action {
        Action::CheckOut {
            holder,
            due,
            over_reservation,
            ..
        } => Action::CheckOut {
            holder,
            due,
            over_reservation,
            signature: Some(signed),
        },
        other => other,
    })
}

/// The same check-out, this time over the reservation it breaks.
fn over_reservation(op: Op) -> Op {
    map_check_out(op, |action| match action {
        Action::CheckOut {
            holder,
            due,
            signature,
            ..
        } => Action::CheckOut {
            holder,
            due,
            over_reservation: true,
            signature,
        },
        other => other,
    })
}

/// The same operation with its action changed by `f` (a unit's, a basket's or a kit's).
fn map_check_out(op: Op, f: impl FnOnce(Action) -> Action) -> Op {
    match op {
        Op::Act { unit, action } => Op::Act {
            unit,
            action: f(action),
        },
        Op::Basket {
            person,
            units,
            action,
        } => Op::Basket {
            person,
            units,
            action: f(action),
        },
        Op::CheckOutKit { kit, action } => Op::CheckOutKit {
            kit,
            action: f(action),
        },
        other => other,
    }
}

fn count_op(item: tagstation_core::catalog::ItemId, change: CountChange, qty: i64) -> Op {
    Op::Count { item, change, qty }
}

/// Longest code a keyboard-wedge scanner may type before it presses Return; longer
/// input is cut there, and the scan check says what is wrong with it.
const MAX_TYPED_CHARS: usize = 1024;

/// Does a key type text? Control keys (Return, Tab, Backspace, Escape) do not, nor
/// do keys the window reports in the private use area (Shift, arrows, F1...).
fn types_text(c: char) -> bool {
    !c.is_control() && !('\u{e000}'..='\u{f8ff}').contains(&c)
}

impl State {
    /// Keys of a physical keyboard typed into the window. With the on-screen keyboard
    /// open they type into it (Return is OK, Backspace deletes, Escape cancels).
    /// Otherwise they collect into a code that Return or Tab ends: a keyboard-wedge
    /// scanner types its code and presses Return, so that counts as a scan. Returns
    /// whether a key did something the idle timer should count.
    pub(super) fn typed(&mut self, keys: &str, reads: &dyn Reads, fx: &mut Fx) -> bool {
        let mut acted = false;
        for c in keys.chars() {
            if let Overlay::Keyboard { text, .. } = &mut self.overlay {
                acted = true;
                match c {
                    '\n' | '\r' => self.touch(Touch::KeyOk, reads, fx),
                    '\u{8}' | '\u{7f}' => self.touch(Touch::KeyDelete, reads, fx),
                    '\u{1b}' => self.touch(Touch::KeyCancel, reads, fx),
                    c if types_text(c) && text.chars().count() < MAX_TEXT_CHARS => text.push(c),
                    _ => {}
                }
                continue;
            }
            match c {
                '\n' | '\r' | '\t' => {
                    let code = std::mem::take(&mut self.typed);
                    acted |= self.code(&code, reads, fx);
                }
                '\u{1b}' => self.typed.clear(),
                '\u{8}' | '\u{7f}' => {
                    self.typed.pop();
                }
                c if types_text(c) && self.typed.chars().count() < MAX_TYPED_CHARS => {
                    self.typed.push(c)
                }
                _ => {}
            }
        }
        acted
    }
}
