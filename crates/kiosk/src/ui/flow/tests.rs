//! The flow driven directly, without a window or a store: a fake [`Reads`] answers the
//! lookups, and the results of the operations it asks for are fed back by hand.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::*;
use crate::ui::PhotoSettings;
use tagstation_core::catalog::Tracking;
use tagstation_core::kits::KitId;
use tagstation_core::people::Role;
use tagstation_core::reservations::ReservationState;
use tagstation_core::scan::text::ScanText;
use tagstation_core::signature::Signature;
use tagstation_core::view::{ItemView, PersonView};
use tagstation_inputs::scan::{RejectReason, Scan, ScanRole, SourceStatus};
use tagstation_ops::kits::{KitReturn, KitUnit};
use tagstation_ops::reservations::{NamedUnit, ReservationView};
use uuid::Uuid;

/// Drill 01..03 (DR-1..3) on Shelf A, Saw 01 (SW-1) on Shelf B, Gloves counted by
/// barcode 4006381333931; Ana (badge B-ANA) has Drill 03 overdue, Ben has B-BEN, Olga
/// (B-OLGA) is an operator and Vic (B-VIC) is a viewer, who may not borrow. No
/// reservations unless a test adds them. Camera kit A (KIT-A) holds Camera body 01
/// (CB-1), Lens 01 (LN-1), Lens 02 (LN-2) and Battery 01 (BT-1), all in Van 1.
struct Fake {
    drill: ItemId,
    units: Vec<UnitView>,
    gloves: ItemView,
    people: Vec<PersonView>,
    tags_left: u64,
    reservations: Vec<ReservationView>,
    kit: FakeKit,
}

/// A kit as the fake catalog holds it: its units by tag, and those recorded missing.
struct FakeKit {
    id: KitId,
    units: Vec<String>,
    missing: Vec<String>,
    active: bool,
}

fn person(name: &str, role: Role) -> PersonView {
    PersonView {
        id: Uuid::now_v7(),
        name: name.into(),
        badges: vec![format!("B-{}", name.to_uppercase())],
        email: None,
        role,
        active: true,
        max_checkouts: None,
        loan_days: None,
        erased: false,
        checked_out: 0,
        overdue: 0,
    }
}

fn unit(item: ItemId, item_name: &str, name: &str, tag: &str, location: &str) -> UnitView {
    UnitView {
        id: Uuid::now_v7(),
        item_id: item,
        item: item_name.into(),
        name: name.into(),
        asset_tag: Some(tag.into()),
        status: Status::InStock,
        location: Some(location.into()),
        holder: None,
        due: None,
        overdue: false,
        fields: BTreeMap::new(),
        active: true,
        version: 1,
        item_archived: false,
    }
}

impl Fake {
    fn new() -> Fake {
        let drill = Uuid::now_v7();
        let saw = Uuid::now_v7();
        let mut units: Vec<UnitView> = (1..=3)
            .map(|i| {
                unit(
                    drill,
                    "Drill",
                    &format!("Drill 0{i}"),
                    &format!("DR-{i}"),
                    "Shelf A",
                )
            })
            .collect();
        units.push(unit(saw, "Saw", "Saw 01", "SW-1", "Shelf B"));
        let mut kit = Vec::new();
        for (item, name, tag) in [
            ("Camera body", "Camera body 01", "CB-1"),
            ("Lens", "Lens 01", "LN-1"),
            ("Lens", "Lens 02", "LN-2"),
            ("Battery", "Battery 01", "BT-1"),
        ] {
            units.push(unit(Uuid::now_v7(), item, name, tag, "Van 1"));
            kit.push(tag.to_string());
        }
        let gloves = ItemView {
            id: Uuid::now_v7(),
            name: "Gloves".into(),
            sku: None,
            barcode: Some("4006381333931".into()),
            tracking: Tracking::Count,
            reorder_point: Some(10),
            totals: BTreeMap::new(),
            total: 12,
            below_reorder_point: false,
            units: 0,
            archived: false,
        };
        Fake {
            drill,
            units,
            gloves,
            people: vec![
                person("Ana", Role::Borrower),
                person("Ben", Role::Borrower),
                person("Olga", Role::Operator),
                person("Vic", Role::Viewer),
            ],
            tags_left: 0,
            reservations: Vec::new(),
            kit: FakeKit {
                id: Uuid::now_v7(),
                units: kit,
                missing: Vec::new(),
                active: true,
            },
        }
    }

    fn unit_mut(&mut self, tag: &str) -> &mut UnitView {
        self.units
            .iter_mut()
            .find(|u| u.asset_tag.as_deref() == Some(tag))
            .expect("fixture unit")
    }

    /// Check these units out to `holder`, as a store would after the write.
    fn lend(&mut self, tags: &[&str], holder: &str) {
        for t in tags {
            let u = self.unit_mut(t);
            u.status = Status::CheckedOut;
            u.holder = Some(holder.into());
        }
    }

    /// Check these units in.
    fn take_back(&mut self, tags: &[&str]) {
        for t in tags {
            let u = self.unit_mut(t);
            u.status = Status::InStock;
            u.holder = None;
        }
    }

    /// Camera kit A as a store shows it: each unit as it is now, and those recorded
    /// missing that are still out.
    fn kit_now(&self) -> KitView {
        let units: Vec<KitUnit> = self
            .kit
            .units
            .iter()
            .map(|t| {
                let u = self.unit(t);
                KitUnit {
                    id: u.id,
                    name: u.name.clone(),
                    asset_tag: u.asset_tag.clone(),
                    status: u.status,
                    holder: u.holder.clone(),
                }
            })
            .collect();
        let missing = self
            .kit
            .missing
            .iter()
            .map(|t| self.unit(t))
            .filter(|u| u.status == Status::CheckedOut)
            .map(|u| u.name.clone())
            .collect();
        KitView {
            id: self.kit.id,
            name: "Camera kit A".into(),
            tag: Some("KIT-A".into()),
            active: self.kit.active,
            units,
            missing,
        }
    }

    /// An open reservation for `person` from `starts` to `ends`: of these units, or
    /// (none named) of any `count` units of the drill.
    fn reserve(&mut self, person: &str, tags: &[&str], count: i64, starts: &str, ends: &str) {
        let units: Vec<NamedUnit> = tags
            .iter()
            .map(|t| {
                let u = self.unit(t);
                NamedUnit {
                    id: u.id,
                    name: u.name.clone(),
                }
            })
            .collect();
        self.reservations.push(ReservationView {
            id: Uuid::now_v7(),
            item_id: self.drill,
            item: "Drill".into(),
            count: if units.is_empty() {
                count
            } else {
                units.len() as i64
            },
            units,
            person_id: Uuid::now_v7(),
            person: person.into(),
            starts: starts.into(),
            ends: ends.into(),
            note: None,
            state: ReservationState::Open,
        });
    }

    fn unit(&self, tag: &str) -> &UnitView {
        self.units
            .iter()
            .find(|u| u.asset_tag.as_deref() == Some(tag))
            .expect("fixture unit")
    }
}

impl Reads for Fake {
    fn resolve(&self, code: &str) -> Result<Resolved, OpError> {
        if let Some(u) = self
            .units
            .iter()
            .find(|u| u.asset_tag.as_deref() == Some(code))
        {
            return Ok(Resolved::Unit { unit: u.clone() });
        }
        if code == "KIT-A" {
            return Ok(Resolved::Kit {
                kit: self.kit_now(),
            });
        }
        if self.gloves.barcode.as_deref() == Some(code) {
            return Ok(Resolved::Item {
                item: self.gloves.clone(),
            });
        }
        if let Some(p) = self
            .people
            .iter()
            .find(|p| p.badges.iter().any(|b| b == code))
        {
            return Ok(Resolved::Person { person: p.clone() });
        }
        Ok(Resolved::Unknown { code: code.into() })
    }
    fn held_by(&self, person: &str) -> Vec<(String, bool)> {
        if person == "Ana" {
            vec![("Drill 03".into(), true)]
        } else {
            Vec::new()
        }
    }
    fn borrowers(&self) -> Vec<String> {
        self.people
            .iter()
            .filter(|p| p.role.can_borrow())
            .map(|p| p.name.clone())
            .collect()
    }
    fn next_unit_name(&self, _item: ItemId) -> String {
        "Drill 05".into()
    }
    fn units_at(&self, location: &str) -> Result<Vec<UnitView>, OpError> {
        Ok(self
            .units
            .iter()
            .filter(|u| u.location.as_deref() == Some(location))
            .cloned()
            .collect())
    }
    fn date_in(&self, days: i64) -> String {
        format!("today+{days}")
    }
    fn new_tags_left(&self) -> u64 {
        self.tags_left
    }
    fn reservations_of(&self, unit: UnitId) -> Vec<ReservationView> {
        let Some(u) = self.units.iter().find(|u| u.id == unit) else {
            return Vec::new();
        };
        self.reservations
            .iter()
            .filter(|r| r.item_id == u.item_id)
            .filter(|r| r.units.is_empty() || r.units.iter().any(|n| n.id == unit))
            .cloned()
            .collect()
    }
    fn role_of(&self, person: &str) -> Option<Role> {
        self.people
            .iter()
            .find(|p| p.name == person || p.badges.iter().any(|b| b == person))
            .filter(|p| p.active && !p.erased)
            .map(|p| p.role)
    }
    fn kit_view(&self, kit: KitId) -> Result<KitView, OpError> {
        if kit == self.kit.id {
            Ok(self.kit_now())
        } else {
            Err(OpError::NotFound {
                what: "kit",
                reference: kit.to_string(),
            })
        }
    }
    fn units_by_id(&self, ids: &[UnitId]) -> Result<Vec<UnitView>, OpError> {
        ids.iter()
            .map(|id| {
                self.units
                    .iter()
                    .find(|u| u.id == *id)
                    .cloned()
                    .ok_or_else(|| OpError::NotFound {
                        what: "unit",
                        reference: id.to_string(),
                    })
            })
            .collect()
    }
}

fn settings(tweak: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = Settings::default();
    tweak(&mut s);
    s
}

fn code(st: &mut State, reads: &Fake, text: &str) -> Vec<Effect> {
    st.handle(Input::Code(text.into()), reads)
}

fn touch(st: &mut State, reads: &Fake, t: Touch) -> Vec<Effect> {
    st.handle(Input::Touch(t), reads)
}

/// The one operation among the effects.
fn the_op(fx: Vec<Effect>) -> Op {
    let mut ops = fx.into_iter().filter_map(|e| match e {
        Effect::Run(op) => Some(op),
        _ => None,
    });
    let op = ops.next().expect("an operation");
    assert!(ops.next().is_none(), "one operation only");
    op
}

/// Feed the result of `op` back.
fn finish(st: &mut State, reads: &Fake, op: Op, result: Result<Done, Refused>) -> Vec<Effect> {
    st.handle(Input::Finished { op, result }, reads)
}

fn signals(fx: &[Effect]) -> Vec<&'static str> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Signal(Signal::Success) => Some("success"),
            Effect::Signal(Signal::Warning) => Some("warning"),
            Effect::Signal(Signal::Error) => Some("error"),
            Effect::Release => Some("release"),
            Effect::Saved => Some("saved"),
            _ => None,
        })
        .collect()
}

fn idle(fx: &[Effect]) -> Option<Duration> {
    match fx.last() {
        Some(Effect::Idle(d)) => *d,
        other => panic!("the last effect sets the idle timer, not {other:?}"),
    }
}

fn done_unit(u: &UnitView, message: &str) -> Result<Done, Refused> {
    Ok(Done::Unit {
        id: u.id,
        event: Some(Uuid::now_v7()),
        name: u.name.clone(),
        message: message.into(),
    })
}

fn badge(text: &str) -> Input {
    Input::Scanned(ScanEvent::Scan(Scan {
        text: ScanText::from_bytes(text.as_bytes()).expect("scan text"),
        source: "badge-reader".into(),
        role: ScanRole::Badge,
        symbology: None,
        aim_id: None,
        at: Instant::now(),
    }))
}

#[test]
fn scan_opens_the_unit_card_and_a_status_touch_records_it() {
    let r = Fake::new();
    let dr1 = r.unit("DR-1").clone();
    let mut st = State::new(settings(|_| {}));
    assert!(st.at_home());

    let fx = code(&mut st, &r, "DR-1\r\n");
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == dr1.id));
    assert_eq!(idle(&fx), Some(Duration::from_secs(8)));
    assert!(signals(&fx).is_empty(), "opening a card is silent");

    let op = the_op(touch(&mut st, &r, Touch::SetStatus(Status::Damaged)));
    assert!(matches!(
        &op,
        Op::Act { unit, action: Action::SetStatus { status: Status::Damaged } } if *unit == dr1.id
    ));
    let fx = finish(&mut st, &r, op, done_unit(&dr1, "Drill 01 set to damaged"));
    assert_eq!(
        st.message,
        (Tone::Ok, "Saved: Drill 01 set to damaged.".into())
    );
    assert_eq!(signals(&fx), ["success", "saved"]);
    assert!(matches!(st.flow, Flow::Unit { .. }), "the card stays");

    let fx = st.handle(Input::IdleTimeout, &r);
    assert!(matches!(st.flow, Flow::Scan));
    assert_eq!(st.message.1, "");
    assert_eq!(idle(&fx), None);
}

#[test]
fn check_out_on_the_card_asks_whom_then_pulses_the_relay() {
    let r = Fake::new();
    let dr2 = r.unit("DR-2").clone();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-2");
    touch(&mut st, &r, Touch::CheckOut);
    assert_eq!(st.overlay, Overlay::Picker(Ask::Holder));
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ben".into())),
    ));
    assert_eq!(st.overlay, Overlay::None);
    assert!(matches!(
        &op,
        Op::Act { action: Action::CheckOut { holder, due: None, .. }, .. } if holder == "Ben"
    ));
    let fx = finish(
        &mut st,
        &r,
        op,
        done_unit(&dr2, "Drill 02 checked out to Ben"),
    );
    assert_eq!(signals(&fx), ["success", "release", "saved"]);

    // A refusal is said in the operations layer's words, with an error signal.
    let op = the_op(touch(&mut st, &r, Touch::CheckIn));
    let refused = OpError::invalid("It is not checked out.");
    let fx = finish(&mut st, &r, op, Err(refused.into()));
    assert_eq!(st.message, (Tone::Error, "It is not checked out.".into()));
    assert_eq!(signals(&fx), ["error"]);

    // With no people in the catalog, the keyboard asks for the name.
    let r = Fake {
        people: Vec::new(),
        ..Fake::new()
    };
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-2");
    touch(&mut st, &r, Touch::CheckOut);
    assert!(matches!(
        st.overlay,
        Overlay::Keyboard {
            ask: Ask::Holder,
            ..
        }
    ));
}

#[test]
fn kiosk_basket_checks_out_all_units_or_none() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    touch(&mut st, &r, Touch::OpenKiosk);
    let fx = code(&mut st, &r, "DR-1");
    assert!(st.message.1.contains("badge"), "{:?}", st.message);
    assert_eq!(signals(&fx), ["warning"]);

    let fx = code(&mut st, &r, "B-ANA");
    assert!(
        st.message.1.contains("overdue: Drill 03"),
        "{:?}",
        st.message
    );
    assert_eq!(
        idle(&fx),
        Some(Duration::from_secs(60)),
        "baskets wait longer"
    );
    code(&mut st, &r, "DR-1");
    code(&mut st, &r, "DR-2");
    let fx = code(&mut st, &r, "DR-2");
    assert!(st.message.1.contains("already in the basket"));
    assert_eq!(signals(&fx), ["warning"]);
    touch(&mut st, &r, Touch::Choose(Choice::Due(Some(7))));

    let op = the_op(touch(&mut st, &r, Touch::BasketCheckOut));
    let Op::Basket {
        person,
        units,
        action,
    } = &op
    else {
        panic!("{op:?}")
    };
    assert_eq!(person, "Ana");
    assert_eq!(units.len(), 2);
    assert_eq!(units[1].scan.as_deref(), Some("DR-2"));
    assert_eq!(
        action,
        &Action::CheckOut {
            holder: "Ana".into(),
            due: Some("today+7".into()),
            over_reservation: false,
            signature: None,
        }
    );

    // None: the unit that could not go is named, the basket stays as it was.
    let refused = Refused {
        error: OpError::NotFound {
            what: "unit",
            reference: "x".into(),
        },
        at: Some(1),
    };
    let fx = finish(&mut st, &r, op.clone(), Err(refused));
    assert!(
        st.message.1.starts_with("Nothing saved. Drill 02: "),
        "{:?}",
        st.message
    );
    assert_eq!(signals(&fx), ["error"]);
    assert!(matches!(&st.flow, Flow::Kiosk { basket, .. } if basket.len() == 2));

    // All: one confirmation, the relay, back to the start.
    let fx = finish(&mut st, &r, op, Ok(Done::Basket(Vec::new())));
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Saved: 2 units checked out to Ana until today+7.".into()
        )
    );
    assert_eq!(signals(&fx), ["success", "saved", "release"]);
    assert!(matches!(st.flow, Flow::Scan));
}

#[test]
fn kiosk_mode_starts_and_ends_at_identification() {
    let r = Fake::new();
    let mut st = State::new(settings(|s| s.kiosk = true));
    assert!(matches!(st.flow, Flow::Kiosk { person: None, .. }));
    assert!(st.at_home());
    // A badge reader identifies; a unit's tag read by it is not a badge.
    st.handle(badge("DR-1"), &r);
    assert!(st.message.1.contains("badge is not known"));
    st.handle(badge("B-BEN"), &r);
    assert_eq!(st.message, (Tone::Ok, "Hello Ben. Scan the units.".into()));
    code(&mut st, &r, "SW-1");
    let fx = touch(&mut st, &r, Touch::Done);
    assert!(matches!(&st.flow, Flow::Kiosk { person: None, basket, .. } if basket.is_empty()));
    assert_eq!(idle(&fx), None);
}

#[test]
fn count_stepper_stays_between_one_and_9999_and_resets_after_a_save() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "4006381333931");
    let qty = |st: &State| match st.flow {
        Flow::Count { qty, .. } => qty,
        ref f => panic!("{f:?}"),
    };
    assert_eq!(qty(&st), 1);
    touch(&mut st, &r, Touch::Step(1));
    touch(&mut st, &r, Touch::Step(1));
    assert_eq!(qty(&st), 3);
    touch(&mut st, &r, Touch::Step(-10));
    assert_eq!(qty(&st), 1);
    for _ in 0..1001 {
        touch(&mut st, &r, Touch::Step(10));
    }
    assert_eq!(qty(&st), 9999);
    touch(&mut st, &r, Touch::Step(-9990));
    assert_eq!(qty(&st), 9);

    let op = the_op(touch(&mut st, &r, Touch::Consume));
    assert!(matches!(
        op,
        Op::Count {
            change: CountChange::Consume,
            qty: 9,
            ..
        }
    ));
    let refused = OpError::invalid("There are only 8.");
    finish(&mut st, &r, op.clone(), Err(refused.into()));
    assert_eq!(qty(&st), 9, "a refusal keeps the quantity");
    let fx = finish(&mut st, &r, op, Ok(Done::Recorded));
    assert_eq!(st.message, (Tone::Ok, "Saved: Gloves, 9 consumed.".into()));
    assert_eq!(signals(&fx), ["success", "saved"]);
    assert_eq!(qty(&st), 1);
    let op = the_op(touch(&mut st, &r, Touch::CountDamaged));
    finish(&mut st, &r, op, Ok(Done::Recorded));
    assert_eq!(st.message.1, "Saved: Gloves, 1 marked damaged.");
}

#[test]
fn unknown_tag_is_attached_to_an_untagged_unit_or_made_a_new_one() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    let fx = code(&mut st, &r, "NEW-1");
    assert!(matches!(&st.flow, Flow::Unknown { code, item: None } if code == "NEW-1"));
    assert_eq!(signals(&fx), ["warning"]);
    assert!(
        signals(&touch(&mut st, &r, Touch::Choose(Choice::Item(r.drill)))).is_empty(),
        "nothing saved until a unit is chosen"
    );
    touch(&mut st, &r, Touch::OtherItem);
    assert!(matches!(st.flow, Flow::Unknown { item: None, .. }));
    touch(&mut st, &r, Touch::Choose(Choice::Item(r.drill)));
    let d4 = Uuid::now_v7();
    let op = the_op(touch(&mut st, &r, Touch::Choose(Choice::Unit(d4))));
    assert!(matches!(&op, Op::AttachTag { unit, code } if *unit == d4 && code == "NEW-1"));
    let attached = Done::Unit {
        id: d4,
        event: None,
        name: "Drill 04".into(),
        message: String::new(),
    };
    finish(&mut st, &r, op, Ok(attached));
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == d4));
    assert_eq!(st.message.1, "Saved: tag NEW-1 is now on Drill 04.");

    // A new unit, named on the keyboard from the proposed name.
    code(&mut st, &r, "NEW-2");
    touch(&mut st, &r, Touch::Choose(Choice::Item(r.drill)));
    touch(&mut st, &r, Touch::NewUnit);
    assert_eq!(
        st.overlay,
        Overlay::Keyboard {
            ask: Ask::NewUnitName,
            text: "Drill 05".into(),
            shift: false
        }
    );
    touch(&mut st, &r, Touch::KeyDelete);
    touch(&mut st, &r, Touch::KeyDelete);
    touch(&mut st, &r, Touch::Key('4'));
    touch(&mut st, &r, Touch::Key('2'));
    let op = the_op(touch(&mut st, &r, Touch::KeyOk));
    assert!(matches!(&op, Op::AddUnit { name, code, .. } if name == "Drill 42" && code == "NEW-2"));
    let d42 = Uuid::now_v7();
    let added = Done::Unit {
        id: d42,
        event: None,
        name: "Drill 42".into(),
        message: String::new(),
    };
    finish(&mut st, &r, op, Ok(added));
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == d42));
    assert_eq!(st.message.1, "Saved: new unit Drill 42 with tag NEW-2.");

    // A badge code is not unknown: it opens the kiosk for that person.
    code(&mut st, &r, "B-BEN");
    assert!(matches!(&st.flow, Flow::Kiosk { person: Some(p), .. } if p == "Ben"));
}

#[test]
fn audit_counts_found_unexpected_and_again_then_records_once() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    touch(&mut st, &r, Touch::OpenAudit);
    code(&mut st, &r, "DR-1");
    assert!(st.message.1.starts_with("Pick the location"));
    touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Location("Shelf A".into())),
    );
    code(&mut st, &r, "DR-1");
    assert_eq!(st.message, (Tone::Ok, "Drill 01 found.".into()));
    code(&mut st, &r, "SW-1");
    assert_eq!(
        st.message.1,
        "Saw 01 is recorded at Shelf B: not expected here."
    );
    let fx = code(&mut st, &r, "DR-1");
    assert_eq!(st.message.1, "Drill 01 was already scanned.");
    assert_eq!(signals(&fx), ["warning"]);
    let Flow::Audit { audit, seen } = &st.flow else {
        panic!("{:?}", st.flow)
    };
    assert_eq!((audit.expected.len(), audit.found.len()), (3, 1));
    assert_eq!(
        seen,
        &[
            AuditSeen {
                name: "Saw 01".into(),
                unexpected: true
            },
            AuditSeen {
                name: "Drill 01".into(),
                unexpected: false
            },
        ]
    );

    let op = the_op(touch(&mut st, &r, Touch::FinishAudit));
    let Op::FinishAudit(a) = &op else {
        panic!("{op:?}")
    };
    let (_, summary) = a.finish("station", "2026-11-23 05:41:07");
    let fx = finish(&mut st, &r, op, Ok(Done::Audit(summary)));
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "Audit saved. Shelf A: 1 of 3 found, 2 missing, 1 unexpected.".into()
        )
    );
    assert_eq!(signals(&fx), ["warning", "saved"]);
    assert!(matches!(st.flow, Flow::Scan));
}

#[test]
fn door_mode_runs_the_preset_on_every_scan_and_leaves_feedback_to_it() {
    let r = Fake::new();
    let door = DoorAction::Status(Status::Sending);
    let mut st = State::new(settings(|s| s.door = Some(door)));
    let dr1 = r.unit("DR-1").clone();
    let fx = code(&mut st, &r, "DR-1");
    assert!(signals(&fx).is_empty());
    let op = the_op(fx);
    assert!(matches!(&op, Op::Door { door: d, code } if *d == door && code == "DR-1"));
    let fx = finish(
        &mut st,
        &r,
        op.clone(),
        done_unit(&dr1, "Drill 01 set to sending"),
    );
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == dr1.id));
    assert_eq!(st.message.1, "Saved: Drill 01 set to sending.");
    assert_eq!(signals(&fx), ["saved"]);

    let refused = OpError::NotFound {
        what: "tag",
        reference: "NOPE".into(),
    };
    let fx = finish(&mut st, &r, op, Err(refused.into()));
    assert!(matches!(st.flow, Flow::Scan));
    assert_eq!(
        st.message,
        (
            Tone::Error,
            "Unknown tag. Check the label, or register it.".into()
        )
    );
    assert!(signals(&fx).is_empty());
}

#[test]
fn a_code_typed_on_the_keyboard_is_a_scan_in_capitals() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    let fx = touch(&mut st, &r, Touch::TypeCode);
    assert_eq!(
        idle(&fx),
        Some(Duration::from_secs(60)),
        "typing waits longer"
    );
    for k in ['d', 'r', '-', '2'] {
        touch(&mut st, &r, Touch::Key(k));
    }
    assert!(matches!(&st.overlay, Overlay::Keyboard { text, shift: true, .. } if text == "DR-2"));
    touch(&mut st, &r, Touch::KeyOk);
    assert_eq!(st.overlay, Overlay::None);
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == r.unit("DR-2").id));

    touch(&mut st, &r, Touch::TypeCode);
    touch(&mut st, &r, Touch::KeyOk);
    assert_eq!(st.message, (Tone::Warn, "Nothing was typed.".into()));
    assert_eq!(key_at(1, 0), Some('Q'));
    assert_eq!(key_at(4, 0), None);
}

#[test]
fn input_trouble_is_said_and_a_finished_source_is_ignored() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    let fx = st.handle(
        Input::Scanned(ScanEvent::Rejected {
            source: "counter-keyboard".into(),
            role: ScanRole::Item,
            raw: b"DR-1".to_vec(),
            reason: RejectReason::Typed { max_gap_ms: 300 },
            at: Instant::now(),
        }),
        &r,
    );
    assert_eq!(
        st.message,
        (
            Tone::Error,
            "Please scan the code instead of typing it.".into()
        )
    );
    assert_eq!(signals(&fx), ["error"]);
    let lost = ScanEvent::Status {
        source: "badge-reader".into(),
        status: SourceStatus::Disconnected("/dev/input/event7".into()),
    };
    st.handle(Input::Scanned(lost), &r);
    assert!(st.message.1.starts_with("badge-reader is not connected"));
    let ended = ScanEvent::Status {
        source: "stdin".into(),
        status: SourceStatus::Finished,
    };
    assert!(st.handle(Input::Scanned(ended), &r).is_empty());
    assert!(
        code(&mut st, &r, " \r\n").is_empty(),
        "a blank line is nothing"
    );
}

#[test]
fn a_screen_that_cannot_be_read_goes_home_with_the_reason() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-1");
    let why = OpError::NotFound {
        what: "unit",
        reference: "x".into(),
    };
    let fx = st.handle(Input::CannotShow(why), &r);
    assert!(matches!(st.flow, Flow::Scan));
    assert_eq!(st.message.0, Tone::Error);
    assert_eq!(idle(&fx), None);
}

#[test]
fn print_label_asks_the_runtime_and_says_what_became_of_it() {
    let r = Fake::new();
    let dr1 = r.unit("DR-1").clone();

    // No printer set up: a warning, nothing to print.
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-1");
    let fx = touch(&mut st, &r, Touch::PrintLabel);
    assert!(!fx.iter().any(|e| matches!(e, Effect::PrintLabel { .. })));
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "No label printer is set up at this station.".into()
        )
    );

    let cfg = tagstation_station::config::LabelsConfig {
        printer: Some("zebra:127.0.0.1:9100".into()),
        ..Default::default()
    };
    let printer = crate::label::LabelPrinter::from_config(&cfg).expect("printer config");
    let mut st = State::new(settings(|s| s.labels = printer));
    code(&mut st, &r, "DR-1");
    let fx = touch(&mut st, &r, Touch::PrintLabel);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::PrintLabel { unit } if *unit == dr1.id)),
        "{fx:?}"
    );
    assert_eq!(st.message.1, "Printing the label…");

    // The outcome arrives later, whatever the screen: the card stays, the words say.
    let fx = st.handle(
        Input::Printed(LabelOutcome {
            unit: "Drill 01".into(),
            result: Ok("zebra:127.0.0.1:9100".into()),
        }),
        &r,
    );
    assert_eq!(signals(&fx), ["success"]);
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Label for Drill 01 sent to the printer zebra:127.0.0.1:9100.".into()
        )
    );
    assert!(matches!(st.flow, Flow::Unit { .. }));
    let fx = st.handle(
        Input::Printed(LabelOutcome {
            unit: "Drill 01".into(),
            result: Err("the printer is off.".into()),
        }),
        &r,
    );
    assert_eq!(signals(&fx), ["error"]);
    assert_eq!(
        st.message,
        (
            Tone::Error,
            "Label for Drill 01 not printed: the printer is off.".into()
        )
    );
}

#[test]
fn a_printer_setting_this_build_cannot_read_names_the_setting() {
    use tagstation_station::config::LabelsConfig;
    let bad = |f: fn(&mut LabelsConfig)| {
        let mut cfg = LabelsConfig {
            printer: Some("cups:Front".into()),
            ..Default::default()
        };
        f(&mut cfg);
        crate::label::LabelPrinter::from_config(&cfg).expect_err("refused")
    };
    assert!(bad(|c| c.printer = Some("laser".into())).starts_with("labels.printer:"));
    assert!(bad(|c| c.layout = "a4-huge".into()).starts_with("labels.layout:"));
    assert!(bad(|c| c.code = "morse".into()).starts_with("labels.code:"));
    let none = crate::label::LabelPrinter::from_config(&LabelsConfig::default());
    assert!(matches!(none, Ok(None)));
}

#[test]
fn a_new_unit_takes_a_new_tag_warns_when_few_are_left_and_prints_its_label() {
    let mut r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    // No block leased yet: nothing to hand out.
    touch(&mut st, &r, Touch::NewTagged);
    assert!(st.at_home());
    assert_eq!(st.message.0, Tone::Warn);
    assert!(st.message.1.starts_with("No new tags at this station"));

    r.tags_left = 40;
    touch(&mut st, &r, Touch::NewTagged);
    assert!(matches!(st.flow, Flow::NewTagged { item: None }));
    touch(&mut st, &r, Touch::Choose(Choice::Item(r.drill)));
    assert!(matches!(
        &st.overlay,
        Overlay::Keyboard { ask: Ask::NewTaggedName, text, .. } if text == "Drill 05"
    ));
    let op = the_op(touch(&mut st, &r, Touch::KeyOk));
    assert!(
        matches!(&op, Op::AddNewTagged { item, name } if *item == r.drill && name == "Drill 05")
    );
    let id = Uuid::now_v7();
    let done = |left| {
        Ok(Done::NewTagged {
            id,
            name: "Drill 05".into(),
            tag: "TS-000007".into(),
            left,
        })
    };
    let fx = finish(&mut st, &r, op.clone(), done(39));
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Saved: new unit Drill 05 with tag TS-000007.".into()
        )
    );
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == id));
    assert!(!fx.iter().any(|e| matches!(e, Effect::PrintLabel { .. })));

    // Few left: said as a warning. With a printer, the new tag's label prints at once.
    let cfg = tagstation_station::config::LabelsConfig {
        printer: Some("cups:Front".into()),
        ..Default::default()
    };
    st.settings.labels = crate::label::LabelPrinter::from_config(&cfg).expect("printer");
    let fx = finish(&mut st, &r, op, done(3));
    assert_eq!(st.message.0, Tone::Warn);
    assert_eq!(
        st.message.1,
        "Saved: new unit Drill 05 with tag TS-000007. Only 3 new tags left: connect to the hub to get more."
    );
    assert_eq!(signals(&fx), ["warning", "saved"]);
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::PrintLabel { unit } if *unit == id)));
}

fn typed(st: &mut State, reads: &Fake, keys: &[&str]) -> Vec<Effect> {
    keys.iter()
        .flat_map(|k| st.handle(Input::Typed((*k).into()), reads))
        .collect()
}

#[test]
fn keys_typed_into_the_window_are_a_scan_when_return_ends_them() {
    let r = Fake::new();
    let dr2 = r.unit("DR-2").clone();
    let mut st = State::new(settings(|_| {}));

    // A keyboard-wedge scanner: the code's keys, with Shift in between, then Return.
    let shift = "\u{10}";
    let fx = typed(&mut st, &r, &[shift, "D", shift, "R", "-", "2"]);
    assert!(st.at_home(), "nothing happens before Return");
    assert!(fx.is_empty());
    let fx = typed(&mut st, &r, &["\n"]);
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == dr2.id));
    assert_eq!(idle(&fx), Some(Duration::from_secs(8)));

    // Backspace and Escape edit what was typed; Return with nothing typed does nothing.
    st.handle(Input::IdleTimeout, &r);
    typed(
        &mut st,
        &r,
        &["X", "\u{1b}", "S", "W", "-", "1", "7", "\u{8}", "\t"],
    );
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == r.unit("SW-1").id));
    st.handle(Input::IdleTimeout, &r);
    assert!(typed(&mut st, &r, &["\n", "\n"]).is_empty());
    assert!(st.at_home());

    // With the on-screen keyboard open, keys type into it exactly as typed.
    touch(&mut st, &r, Touch::TypeCode);
    typed(&mut st, &r, &["D", "R", "-", "3", "x", "\u{8}"]);
    assert!(matches!(&st.overlay, Overlay::Keyboard { text, .. } if text == "DR-3"));
    typed(&mut st, &r, &["\n"]);
    assert_eq!(st.overlay, Overlay::None);
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == r.unit("DR-3").id));
    touch(&mut st, &r, Touch::TypeCode);
    typed(&mut st, &r, &["a", "\u{1b}"]);
    assert_eq!(st.overlay, Overlay::None, "Escape cancels");
}

/// The card's reservation lines, or a panic naming the screen.
fn reserved(st: &State) -> &[String] {
    match &st.flow {
        Flow::Unit { reserved, .. } => reserved,
        other => panic!("not a unit card: {other:?}"),
    }
}

#[test]
fn a_scanned_unit_shows_its_next_three_reservations() {
    let mut r = Fake::new();
    r.reserve("Ben", &["DR-1"], 1, "2026-12-20", "2026-12-20");
    r.reserve("Ana", &["DR-1", "DR-2"], 2, "2026-12-08", "2026-12-10");
    r.reserve("Vic", &[], 1, "2026-12-12", "2026-12-14");
    r.reserve("Olga", &["DR-1"], 1, "2027-01-04", "2027-01-05");
    let mut st = State::new(settings(|_| {}));

    // By first day, three at most; a reservation of any drill counts for each drill.
    code(&mut st, &r, "DR-1");
    assert_eq!(
        reserved(&st),
        [
            "Reserved for Ana, 2026-12-08 to 2026-12-10",
            "Reserved for Vic, 2026-12-12 to 2026-12-14 (any 1 × Drill)",
            "Reserved for Ben, 2026-12-20",
        ]
    );
    code(&mut st, &r, "DR-3");
    assert_eq!(
        reserved(&st),
        ["Reserved for Vic, 2026-12-12 to 2026-12-14 (any 1 × Drill)"]
    );
    code(&mut st, &r, "SW-1");
    assert!(reserved(&st).is_empty(), "{:?}", reserved(&st));

    // A check-out on the card reads them again: Ana's picked up, gone from the card.
    code(&mut st, &r, "DR-2");
    touch(&mut st, &r, Touch::CheckOut);
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ana".into())),
    ));
    let dr2 = r.unit("DR-2").clone();
    r.reservations.retain(|v| v.person != "Ana");
    finish(
        &mut st,
        &r,
        op,
        done_unit(&dr2, "Drill 02 checked out to Ana"),
    );
    assert_eq!(
        reserved(&st),
        ["Reserved for Vic, 2026-12-12 to 2026-12-14 (any 1 × Drill)"]
    );
}

fn reserved_for_ana(unit: &str) -> Result<Done, Refused> {
    Err(Refused {
        error: OpError::Reserved {
            unit: unit.into(),
            held: "reserved for Ana from 2026-12-08 to 2026-12-10".into(),
            reservation: Uuid::now_v7(),
        },
        at: Some(0),
    })
}

#[test]
fn a_check_out_over_a_reservation_warns_and_lends_anyway_only_when_told() {
    let r = Fake::new();
    let dr1 = r.unit("DR-1").clone();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-1");
    touch(&mut st, &r, Touch::CheckOut);
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ben".into())),
    ));

    // Refused for Ana's reservation: the warning names it and waits for a decision.
    let fx = finish(&mut st, &r, op.clone(), reserved_for_ana("Drill 01"));
    let warning = Overlay::Reserved {
        text: "Drill 01 is reserved for Ana from 2026-12-08 to 2026-12-10. An operator can lend it anyway (override).".into(),
        may_override: true,
    };
    assert_eq!(st.overlay, warning);
    assert_eq!(st.message.0, Tone::Warn);
    assert_eq!(signals(&fx), ["warning"]);
    assert_eq!(idle(&fx), Some(Duration::from_secs(60)), "time to decide");
    assert!(!st.at_home());

    // Cancel: nothing runs, the card stays, a later "Lend anyway" does nothing.
    let fx = touch(&mut st, &r, Touch::KeepReservation);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
    assert_eq!(st.overlay, Overlay::None);
    assert_eq!(st.message.1, "Not checked out: the reservation stands.");
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == dr1.id));
    let fx = touch(&mut st, &r, Touch::LendAnyway);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));

    // Lend anyway: the same check-out, over the reservation.
    finish(&mut st, &r, op, reserved_for_ana("Drill 01"));
    let again = the_op(touch(&mut st, &r, Touch::LendAnyway));
    assert_eq!(st.overlay, Overlay::None);
    let Op::Act { unit, action } = &again else {
        panic!("{again:?}")
    };
    assert_eq!(*unit, dr1.id);
    assert_eq!(
        action,
        &Action::CheckOut {
            holder: "Ben".into(),
            due: None,
            over_reservation: true,
            signature: None,
        }
    );
    let fx = finish(
        &mut st,
        &r,
        again,
        done_unit(&dr1, "Drill 01 checked out to Ben"),
    );
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Saved: Drill 01 checked out to Ben over a reservation (override recorded).".into()
        )
    );
    assert_eq!(signals(&fx), ["success", "release", "saved"]);

    // Any other refusal is said as before, with no warning over the screen.
    let op = the_op(touch(&mut st, &r, Touch::CheckIn));
    finish(&mut st, &r, op, Err(OpError::invalid("No.").into()));
    assert_eq!(st.overlay, Overlay::None);
    assert_eq!(st.message, (Tone::Error, "No.".into()));

    // The idle timer leaves the warning for the start screen, nothing lent.
    code(&mut st, &r, "DR-1");
    touch(&mut st, &r, Touch::CheckOut);
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ben".into())),
    ));
    finish(&mut st, &r, op, reserved_for_ana("Drill 01"));
    st.handle(Input::IdleTimeout, &r);
    assert!(st.at_home());
    let fx = touch(&mut st, &r, Touch::LendAnyway);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
}

#[test]
fn at_the_kiosk_only_an_operator_may_lend_over_a_reservation() {
    let r = Fake::new();
    let mut st = State::new(settings(|s| s.kiosk = true));

    // Ben borrows for himself: warned, and told to ask an operator; no way past it.
    st.handle(badge("B-BEN"), &r);
    code(&mut st, &r, "DR-2");
    code(&mut st, &r, "DR-1");
    let op = the_op(touch(&mut st, &r, Touch::BasketCheckOut));
    let fx = finish(&mut st, &r, op, reserved_for_ana("Drill 01"));
    assert_eq!(signals(&fx), ["warning"]);
    let Overlay::Reserved { text, may_override } = &st.overlay else {
        panic!("{:?}", st.overlay)
    };
    assert!(!may_override);
    assert!(
        text.starts_with("Drill 01 is reserved for Ana from 2026-12-08 to 2026-12-10.")
            && text.ends_with("Only an operator may lend it anyway: ask one."),
        "{text}"
    );
    assert_eq!(st.message.1, "Reserved for someone else: nothing saved.");
    let fx = touch(&mut st, &r, Touch::LendAnyway);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
    assert!(
        matches!(st.overlay, Overlay::Reserved { .. }),
        "still asking"
    );
    touch(&mut st, &r, Touch::KeepReservation);
    assert_eq!(st.overlay, Overlay::None);
    assert!(
        matches!(&st.flow, Flow::Kiosk { person: Some(p), basket, .. } if p == "Ben" && basket.len() == 2),
        "the basket stays: {:?}",
        st.flow
    );

    // Olga is an operator: she may, and her basket goes out over the reservation.
    touch(&mut st, &r, Touch::Done);
    st.handle(badge("B-OLGA"), &r);
    code(&mut st, &r, "DR-1");
    touch(&mut st, &r, Touch::Choose(Choice::Due(Some(1))));
    let op = the_op(touch(&mut st, &r, Touch::BasketCheckOut));
    finish(&mut st, &r, op, reserved_for_ana("Drill 01"));
    assert!(matches!(
        st.overlay,
        Overlay::Reserved {
            may_override: true,
            ..
        }
    ));
    assert_eq!(
        st.message.1,
        "Reserved for someone else: Lend anyway, or Cancel."
    );
    let again = the_op(touch(&mut st, &r, Touch::LendAnyway));
    let Op::Basket {
        person,
        units,
        action,
    } = &again
    else {
        panic!("{again:?}")
    };
    assert_eq!(person, "Olga");
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].unit, r.unit("DR-1").id);
    assert_eq!(
        action,
        &Action::CheckOut {
            holder: "Olga".into(),
            due: Some("today+1".into()),
            over_reservation: true,
            signature: None,
        }
    );
    let fx = finish(&mut st, &r, again, Ok(Done::Basket(Vec::new())));
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Saved: 1 unit checked out to Olga until today+1 over a reservation (override recorded).".into()
        )
    );
    assert_eq!(signals(&fx), ["success", "saved", "release"]);
    assert!(st.at_home());
}

const KIT: [&str; 4] = ["CB-1", "LN-1", "LN-2", "BT-1"];

/// The kit on the card, or a panic naming the screen.
fn kit_card(st: &State) -> (&KitView, Option<&[CameBack]>) {
    match &st.flow {
        Flow::Kit { kit, returning } => (kit, returning.as_deref()),
        other => panic!("not a kit's card: {other:?}"),
    }
}

#[test]
fn a_kit_tag_opens_its_card_and_it_goes_out_to_one_person_in_one_operation() {
    let mut r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    let fx = code(&mut st, &r, "KIT-A");
    let (kit, returning) = kit_card(&st);
    assert_eq!(kit.name, "Camera kit A");
    assert_eq!(kit.units.len(), 4);
    assert!(kit.all_in() && returning.is_none());
    assert!(signals(&fx).is_empty(), "opening a card is silent");
    assert_eq!(idle(&fx), Some(Duration::from_secs(8)));

    // Whom to: the same picker as a unit's check-out, then one operation for the kit.
    touch(&mut st, &r, Touch::CheckOut);
    assert_eq!(st.overlay, Overlay::Picker(Ask::Holder));
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ben".into())),
    ));
    let Op::CheckOutKit { kit, action } = &op else {
        panic!("{op:?}")
    };
    assert_eq!(
        (*kit, action),
        (r.kit.id, &Action::lend("Ben", None, false))
    );
    r.lend(&KIT, "Ben");
    let out = Ok(Done::KitOut {
        kit: "Camera kit A".into(),
        units: 4,
    });
    let fx = finish(&mut st, &r, op, out);
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Saved: Camera kit A (4 units) checked out to Ben.".into()
        )
    );
    assert_eq!(signals(&fx), ["success", "release", "saved"]);
    let (kit, _) = kit_card(&st);
    assert!(kit.out(), "the card read again: {kit:?}");

    // Out already: no picker, the unit in the way named.
    let fx = touch(&mut st, &r, Touch::CheckOut);
    assert_eq!(st.overlay, Overlay::None);
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "The kit Camera kit A cannot go out: Camera body 01 is checked out (to Ben).".into()
        )
    );
    assert_eq!(signals(&fx), ["warning"]);

    // A retired kit's tag opens its card, but it does not go out whole.
    r.take_back(&KIT);
    r.kit.active = false;
    code(&mut st, &r, "KIT-A");
    touch(&mut st, &r, Touch::CheckOut);
    assert_eq!(st.overlay, Overlay::None);
    assert!(st.message.1.contains("is retired"), "{:?}", st.message);
}

#[test]
fn a_kit_over_someone_elses_reservation_warns_and_lends_anyway_only_when_told() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "KIT-A");
    touch(&mut st, &r, Touch::CheckOut);
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ben".into())),
    ));
    let fx = finish(&mut st, &r, op.clone(), reserved_for_ana("Lens 02"));
    assert_eq!(
        st.overlay,
        Overlay::Reserved {
            text: "Lens 02 is reserved for Ana from 2026-12-08 to 2026-12-10. An operator can lend it anyway (override).".into(),
            may_override: true,
        }
    );
    assert_eq!(signals(&fx), ["warning"]);

    // Cancel: nothing runs, the card stays.
    let fx = touch(&mut st, &r, Touch::KeepReservation);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
    assert!(matches!(st.flow, Flow::Kit { .. }));

    // Lend anyway: the same kit, the same person, over the reservation.
    finish(&mut st, &r, op, reserved_for_ana("Lens 02"));
    let again = the_op(touch(&mut st, &r, Touch::LendAnyway));
    assert!(matches!(
        &again,
        Op::CheckOutKit { kit, action: Action::CheckOut { holder, over_reservation: true, .. } } if *kit == r.kit.id && holder == "Ben"
    ));
    let out = Ok(Done::KitOut {
        kit: "Camera kit A".into(),
        units: 4,
    });
    finish(&mut st, &r, again, out);
    assert_eq!(
        st.message.1,
        "Saved: Camera kit A (4 units) checked out to Ben over a reservation (override recorded)."
    );
}

#[test]
fn checking_a_kit_in_lists_what_is_out_and_records_what_did_not_come_back() {
    let mut r = Fake::new();
    let mut st = State::new(settings(|_| {}));

    // Nothing out: nothing to check in.
    code(&mut st, &r, "KIT-A");
    let fx = touch(&mut st, &r, Touch::CheckIn);
    assert!(kit_card(&st).1.is_none());
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "Nothing of the kit Camera kit A is checked out: there is nothing to check in.".into()
        )
    );
    assert_eq!(signals(&fx), ["warning"]);

    // Out with Ben (the card opened before: "Check in kit" reads the kit again).
    r.lend(&KIT, "Ben");
    let fx = touch(&mut st, &r, Touch::CheckIn);
    let (_, rows) = kit_card(&st);
    let rows = rows.expect("checking in");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.back), "all came back until touched");
    assert_eq!(
        idle(&fx),
        Some(Duration::from_secs(60)),
        "time to look through it"
    );

    // Lens 02 did not come back; Battery 01 touched twice did.
    let lens2 = r.unit("LN-2").id;
    let battery = r.unit("BT-1").id;
    for u in [lens2, battery, battery] {
        touch(&mut st, &r, Touch::Choose(Choice::Unit(u)));
    }
    let (_, rows) = kit_card(&st);
    let off: Vec<&str> = rows
        .expect("checking in")
        .iter()
        .filter(|r| !r.back)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(off, ["Lens 02"]);

    let op = the_op(touch(&mut st, &r, Touch::ConfirmReturn));
    let Op::CheckInKit {
        kit,
        present,
        by,
        scan,
    } = &op
    else {
        panic!("{op:?}")
    };
    assert_eq!(*kit, r.kit.id);
    let back: Vec<UnitId> = ["CB-1", "LN-1", "BT-1"]
        .iter()
        .map(|t| r.unit(t).id)
        .collect();
    assert_eq!(present.as_deref(), Some(&back[..]));
    assert_eq!((by, scan), (&None, &None));

    r.take_back(&["CB-1", "LN-1", "BT-1"]);
    r.kit.missing = vec!["LN-2".into()];
    let returned = KitReturn {
        kit: "Camera kit A".into(),
        checked_in: vec![
            "Camera body 01".into(),
            "Lens 01".into(),
            "Battery 01".into(),
        ],
        missing: vec!["Lens 02".into()],
        events: Vec::new(),
    };
    let fx = finish(&mut st, &r, op, Ok(Done::KitReturned(returned)));
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "Saved: Camera kit A checked in. Missing: Lens 02 — recorded.".into()
        )
    );
    assert_eq!(signals(&fx), ["warning", "saved"]);
    let (kit, rows) = kit_card(&st);
    assert!(rows.is_none(), "back to the card");
    assert_eq!(kit.missing, ["Lens 02"], "the card says it is incomplete");

    // Check in again, then Cancel: back to the card, nothing run.
    touch(&mut st, &r, Touch::CheckIn);
    assert_eq!(
        kit_card(&st).1.map(|r| r.len()),
        Some(1),
        "only Lens 02 is out"
    );
    let fx = touch(&mut st, &r, Touch::CancelReturn);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
    assert!(kit_card(&st).1.is_none());

    // Everything back: said as a plain confirmation.
    let (tone, text) = {
        touch(&mut st, &r, Touch::CheckIn);
        let op = the_op(touch(&mut st, &r, Touch::ConfirmReturn));
        let whole = KitReturn {
            kit: "Camera kit A".into(),
            checked_in: vec!["Lens 02".into()],
            missing: Vec::new(),
            events: Vec::new(),
        };
        finish(&mut st, &r, op, Ok(Done::KitReturned(whole)));
        st.message.clone()
    };
    assert_eq!(
        (tone, text.as_str()),
        (Tone::Ok, "Saved: Camera kit A checked in (1 unit).")
    );
}

#[test]
fn at_the_kiosk_a_kit_fills_the_basket_and_comes_back_whole() {
    let mut r = Fake::new();
    let mut st = State::new(settings(|s| s.kiosk = true));
    code(&mut st, &r, "KIT-A");
    assert!(st.message.1.contains("badge"), "{:?}", st.message);

    st.handle(badge("B-BEN"), &r);
    let fx = code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Camera kit A: 4 units added to the basket.".into()
        )
    );
    assert_eq!(signals(&fx), ["success"]);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Run(_))),
        "nothing saved yet"
    );
    let fx = code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message,
        (Tone::Warn, "Camera kit A is already in the basket.".into())
    );
    assert_eq!(signals(&fx), ["warning"]);

    // The basket goes out as one write, the kit's units in it.
    let op = the_op(touch(&mut st, &r, Touch::BasketCheckOut));
    let Op::Basket { units, action, .. } = &op else {
        panic!("{op:?}")
    };
    let ids: Vec<UnitId> = units.iter().map(|u| u.unit).collect();
    let kit_ids: Vec<UnitId> = KIT.iter().map(|t| r.unit(t).id).collect();
    assert_eq!(ids, kit_ids);
    assert!(matches!(action, Action::CheckOut { holder, .. } if holder == "Ben"));
    finish(&mut st, &r, op, Ok(Done::Basket(Vec::new())));
    assert!(st.at_home());

    // Some units of it in the basket already: only the rest are added.
    st.handle(badge("B-ANA"), &r);
    code(&mut st, &r, "LN-1");
    code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message.1,
        "Camera kit A: 3 units added to the basket (1 unit in it already)."
    );
    touch(&mut st, &r, Touch::Done);

    // Out with Ben: the kit's tag brings it back whole, at once, as Ben's.
    r.lend(&KIT, "Ben");
    st.handle(badge("B-BEN"), &r);
    code(&mut st, &r, "DR-1");
    code(&mut st, &r, "LN-2"); // scanned on its own first
    let op = the_op(code(&mut st, &r, "KIT-A"));
    let Op::CheckInKit {
        kit,
        present,
        by,
        scan,
    } = &op
    else {
        panic!("{op:?}")
    };
    assert_eq!(*kit, r.kit.id);
    assert_eq!(present, &None, "the whole kit");
    assert_eq!(by.as_deref(), Some("Ben"));
    assert_eq!(scan.as_deref(), Some("KIT-A"));
    r.take_back(&KIT);
    let whole = KitReturn {
        kit: "Camera kit A".into(),
        checked_in: KIT.iter().map(|t| r.unit(t).name.clone()).collect(),
        missing: Vec::new(),
        events: Vec::new(),
    };
    let fx = finish(&mut st, &r, op, Ok(Done::KitReturned(whole)));
    assert_eq!(
        st.message,
        (Tone::Ok, "Saved: Camera kit A checked in (4 units).".into())
    );
    assert_eq!(signals(&fx), ["success", "saved"]);
    let Flow::Kiosk { person, basket, .. } = &st.flow else {
        panic!("{:?}", st.flow)
    };
    assert_eq!(person.as_deref(), Some("Ben"), "still Ben's basket");
    let names: Vec<&str> = basket.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Drill 01"], "the kit's units left the basket");

    // A unit of it that cannot go out: said, nothing added.
    touch(&mut st, &r, Touch::Done);
    r.unit_mut("LN-2").status = Status::Damaged;
    st.handle(badge("B-ANA"), &r);
    code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "The kit Camera kit A cannot go out: Lens 02 is damaged.".into()
        )
    );
    assert!(matches!(&st.flow, Flow::Kiosk { basket, .. } if basket.is_empty()));
}

#[test]
fn a_kit_in_an_audit_counts_each_of_its_units_as_scanned() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    touch(&mut st, &r, Touch::OpenAudit);
    touch(&mut st, &r, Touch::Choose(Choice::Location("Van 1".into())));
    let fx = code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message,
        (Tone::Ok, "Camera kit A: 4 units found.".into())
    );
    assert_eq!(signals(&fx), ["success"]);
    let Flow::Audit { audit, seen } = &st.flow else {
        panic!("{:?}", st.flow)
    };
    assert_eq!((audit.expected.len(), audit.found.len()), (4, 4));
    assert_eq!(seen.len(), 4);
    assert!(audit.missing().next().is_none());

    code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message,
        (Tone::Warn, "Camera kit A was already scanned.".into())
    );

    // Elsewhere, its units are unexpected, each named.
    touch(&mut st, &r, Touch::Done);
    touch(&mut st, &r, Touch::OpenAudit);
    touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Location("Shelf A".into())),
    );
    code(&mut st, &r, "DR-1");
    code(&mut st, &r, "KIT-A");
    assert_eq!(
        st.message,
        (
            Tone::Warn,
            "Camera kit A: 4 units not expected here (Camera body 01, Lens 01, Lens 02 and Battery 01).".into()
        )
    );
    let Flow::Audit { audit, seen } = &st.flow else {
        panic!("{:?}", st.flow)
    };
    assert_eq!((audit.found.len(), audit.unexpected.len()), (1, 4));
    assert_eq!(seen.len(), 5);
}

fn pad(strokes: Vec<Vec<[u16; 2]>>) -> Signature {
    Signature {
        width: 760,
        height: 220,
        strokes,
    }
}

/// With signatures asked for, a check-out from the card or the basket waits on the pad:
/// Done with nothing drawn is refused, Cancel saves nothing, Done with strokes runs
/// the check-out carrying them (and Lend anyway keeps them).
#[test]
fn a_check_out_waits_for_the_borrowers_signature_where_the_station_asks_for_one() {
    let r = Fake::new();
    let dr2 = r.unit("DR-2").clone();
    let mut st = State::new(settings(|s| s.signature = true));
    code(&mut st, &r, "DR-2");
    touch(&mut st, &r, Touch::CheckOut);
    let fx = touch(&mut st, &r, Touch::Choose(Choice::Person("Ben".into())));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Run(_))), "not yet");
    assert_eq!(
        st.overlay,
        Overlay::Signature {
            holder: "Ben".into()
        }
    );
    assert_eq!(idle(&fx), Some(Duration::from_secs(60)), "time to sign");

    // Done on an empty pad: refused in words, the pad stays.
    let fx = st.handle(Input::Signed(pad(Vec::new())), &r);
    assert!(fx.iter().all(|e| !matches!(e, Effect::Run(_))));
    assert_eq!(st.message.0, Tone::Warn);
    assert!(matches!(st.overlay, Overlay::Signature { .. }));
    touch(&mut st, &r, Touch::SignClear);
    assert!(
        matches!(st.overlay, Overlay::Signature { .. }),
        "Clear keeps the pad"
    );

    let strokes = vec![vec![[10, 10], [40, 30], [80, 12]], vec![[100, 50]]];
    let op = the_op(st.handle(Input::Signed(pad(strokes.clone())), &r));
    assert_eq!(st.overlay, Overlay::None);
    match &op {
        Op::Act {
            unit,
            action:
                Action::CheckOut {
                    holder,
                    signature: Some(s),
                    over_reservation: false,
                    ..
                },
        } => {
            assert_eq!((*unit, holder.as_str()), (dr2.id, "Ben"));
            assert_eq!(s.strokes, strokes);
        }
        other => panic!("{other:?}"),
    }
    let fx = finish(
        &mut st,
        &r,
        op,
        done_unit(&dr2, "Drill 02 checked out to Ben"),
    );
    assert_eq!(signals(&fx), ["success", "release", "saved"]);

    // At the kiosk: Cancel on the pad saves nothing and keeps the basket.
    let mut st = State::new(settings(|s| s.signature = true));
    touch(&mut st, &r, Touch::OpenKiosk);
    st.handle(badge("B-OLGA"), &r);
    code(&mut st, &r, "DR-1");
    let fx = touch(&mut st, &r, Touch::BasketCheckOut);
    assert!(fx.iter().all(|e| !matches!(e, Effect::Run(_))));
    assert!(matches!(st.overlay, Overlay::Signature { ref holder } if holder == "Olga"));
    touch(&mut st, &r, Touch::SignCancel);
    assert_eq!(st.overlay, Overlay::None);
    assert!(matches!(&st.flow, Flow::Kiosk { basket, .. } if basket.len() == 1));
    assert!(
        st.message.1.starts_with("Not checked out"),
        "{}",
        st.message.1
    );
    let fx = st.handle(Input::Signed(pad(vec![vec![[1, 1]]])), &r);
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::Run(_))),
        "no pad open"
    );

    touch(&mut st, &r, Touch::BasketCheckOut);
    let op = the_op(st.handle(Input::Signed(pad(vec![vec![[5, 5], [9, 9]]])), &r));
    assert!(matches!(
        &op,
        Op::Basket {
            action: Action::CheckOut {
                signature: Some(_),
                ..
            },
            ..
        }
    ));
    // Refused over a reservation: Lend anyway runs it again, still signed.
    finish(&mut st, &r, op, reserved_for_ana("Drill 01"));
    assert!(matches!(
        st.overlay,
        Overlay::Reserved {
            may_override: true,
            ..
        }
    ));
    let op = the_op(touch(&mut st, &r, Touch::LendAnyway));
    assert!(matches!(
        &op,
        Op::Basket {
            action: Action::CheckOut {
                signature: Some(_),
                over_reservation: true,
                ..
            },
            ..
        }
    ));

    // Without the setting, no pad.
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-2");
    touch(&mut st, &r, Touch::CheckOut);
    let op = the_op(touch(
        &mut st,
        &r,
        Touch::Choose(Choice::Person("Ben".into())),
    ));
    assert!(matches!(
        &op,
        Op::Act {
            action: Action::CheckOut {
                signature: None,
                ..
            },
            ..
        }
    ));
}

/// The photos asked for: each unit with its event.
fn photos(fx: &[Effect]) -> Vec<(UnitId, Uuid)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Photo { of } => Some(of.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A check-in or a unit marked damaged asks for a photo of it after the save, where
/// the station keeps them for that; the screen says "Saved" as always.
#[test]
fn a_check_in_or_damage_asks_for_a_condition_photo_after_the_save_where_set() {
    let r = Fake::new();
    let dr1 = r.unit("DR-1").clone();
    let all = |s: &mut Settings| {
        s.photos = PhotoSettings {
            on_check_in: true,
            on_damaged: true,
        }
    };
    for (settings, action, wanted) in [
        (settings(all), Touch::CheckIn, true),
        (settings(all), Touch::SetStatus(Status::Damaged), true),
        (settings(all), Touch::SetStatus(Status::Sending), false),
        (
            settings(|s| s.photos.on_damaged = true),
            Touch::CheckIn,
            false,
        ),
        (settings(|_| {}), Touch::SetStatus(Status::Damaged), false),
    ] {
        let mut st = State::new(settings);
        code(&mut st, &r, "DR-1");
        let op = the_op(touch(&mut st, &r, action.clone()));
        let done = done_unit(&dr1, "Drill 01 checked in");
        let event = match &done {
            Ok(Done::Unit { event, .. }) => event.expect("event"),
            _ => unreachable!(),
        };
        let fx = finish(&mut st, &r, op, done);
        assert!(st.message.1.starts_with("Saved:"), "{}", st.message.1);
        let expected = if wanted {
            vec![(dr1.id, event)]
        } else {
            vec![]
        };
        assert_eq!(photos(&fx), expected, "{action:?}");
        let saved = fx.iter().position(|e| matches!(e, Effect::Saved));
        let photo = fx.iter().position(|e| matches!(e, Effect::Photo { .. }));
        if let (Some(s), Some(p)) = (saved, photo) {
            assert!(s < p, "saved first");
        }
    }
    // A refused check-in takes none.
    let mut st = State::new(settings(all));
    code(&mut st, &r, "DR-1");
    let op = the_op(touch(&mut st, &r, Touch::CheckIn));
    let fx = finish(
        &mut st,
        &r,
        op,
        Err(OpError::invalid("It is not checked out.").into()),
    );
    assert!(photos(&fx).is_empty());
}

/// A basket checked in and a kit taken back ask for one picture for all their units,
/// each unit with its own check-in; a basket lent out asks for none.
#[test]
fn a_basket_or_kit_checked_in_asks_for_a_photo_of_each_unit() {
    let r = Fake::new();
    let mut st = State::new(settings(|s| {
        s.kiosk = true;
        s.photos.on_check_in = true;
    }));
    st.handle(badge("B-BEN"), &r);
    code(&mut st, &r, "DR-1");
    code(&mut st, &r, "DR-2");
    let changed = vec![
        (r.unit("DR-1").id, Uuid::now_v7()),
        (r.unit("DR-2").id, Uuid::now_v7()),
    ];
    let op = the_op(touch(&mut st, &r, Touch::BasketCheckIn));
    let fx = finish(&mut st, &r, op, Ok(Done::Basket(changed.clone())));
    assert_eq!(photos(&fx), changed);
    let asked = fx.iter().filter(|e| matches!(e, Effect::Photo { .. }));
    assert_eq!(asked.count(), 1, "one picture for the basket");

    st.handle(badge("B-BEN"), &r);
    code(&mut st, &r, "DR-3");
    let op = the_op(touch(&mut st, &r, Touch::BasketCheckOut));
    let fx = finish(&mut st, &r, op, Ok(Done::Basket(changed[..1].to_vec())));
    assert!(photos(&fx).is_empty(), "none when lending");

    // A kit back from its card.
    let mut st = State::new(settings(|s| s.photos.on_check_in = true));
    code(&mut st, &r, "KIT-A");
    let op = Op::CheckInKit {
        kit: r.kit.id,
        present: None,
        by: None,
        scan: None,
    };
    let back = KitReturn {
        kit: "Camera kit A".into(),
        checked_in: vec!["Lens 01".into()],
        missing: Vec::new(),
        events: changed[1..].to_vec(),
    };
    let fx = finish(&mut st, &r, op, Ok(Done::KitReturned(back)));
    assert_eq!(photos(&fx), changed[1..]);
}

/// The booking over the screen, or a panic naming what is there.
fn booking(st: &State) -> &Booking {
    match &st.overlay {
        Overlay::Booking(b) => b,
        other => panic!("no booking on screen: {other:?}"),
    }
}

#[test]
fn a_unit_on_its_card_is_reserved_for_a_person_picked_on_days_stepped_to() {
    let r = Fake::new();
    let dr1 = r.unit("DR-1").clone();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "DR-1");
    touch(&mut st, &r, Touch::Reserve);
    assert_eq!(st.overlay, Overlay::Picker(Ask::ReserveFor));
    touch(&mut st, &r, Touch::Choose(Choice::Person("Ana".into())));
    let b = booking(&st);
    assert_eq!((b.person.as_str(), b.what.as_str()), ("Ana", "Drill 01"));
    assert_eq!(
        (b.from, b.days, b.by.as_deref()),
        (1, 1, None),
        "tomorrow, one day"
    );

    // The first day never goes before today nor past the horizon; the length stays
    // between one day and the longest.
    for _ in 0..3 {
        touch(&mut st, &r, Touch::BookEarlier);
    }
    assert_eq!(booking(&st).from, 0);
    for _ in 0..(BOOK_AHEAD_DAYS + 5) {
        touch(&mut st, &r, Touch::BookLater);
    }
    assert_eq!(booking(&st).from, BOOK_AHEAD_DAYS);
    for _ in 0..(BOOK_AHEAD_DAYS - 2) {
        touch(&mut st, &r, Touch::BookEarlier);
    }
    touch(&mut st, &r, Touch::BookShorter);
    assert_eq!(booking(&st).days, 1);
    for _ in 0..(BOOK_MAX_DAYS + 5) {
        touch(&mut st, &r, Touch::BookLonger);
    }
    assert_eq!(booking(&st).days, BOOK_MAX_DAYS);
    for _ in 0..(BOOK_MAX_DAYS - 3) {
        touch(&mut st, &r, Touch::BookShorter);
    }
    let fx = touch(&mut st, &r, Touch::BookConfirm);
    assert_eq!(idle(&fx), Some(Duration::from_secs(60)), "time to choose");
    let op = the_op(fx);
    let Op::Reserve {
        units,
        person,
        starts,
        ends,
        by,
        ..
    } = &op
    else {
        panic!("{op:?}")
    };
    assert_eq!(units, &[dr1.id]);
    assert_eq!(
        (person.as_str(), starts.as_str(), ends.as_str(), by),
        ("Ana", "today+2", "today+4", &None)
    );

    // Someone has those days: said, and the booking stays to pick others.
    let taken = OpError::invalid("Drill 01 cannot be reserved then: reserved for Ben.");
    let fx = finish(&mut st, &r, op.clone(), Err(taken.into()));
    assert_eq!(signals(&fx), ["error"]);
    assert!(
        st.message.1.contains("reserved for Ben"),
        "{:?}",
        st.message
    );
    assert_eq!(booking(&st).from, 2);

    // Saved: said with its days, the booking closes, the card reads its reservations
    // again.
    let fx = finish(&mut st, &r, op, Ok(Done::Reserved));
    assert_eq!(signals(&fx), ["success", "saved"]);
    assert_eq!(
        st.message,
        (
            Tone::Ok,
            "Saved: Drill 01 reserved for Ana, today+2 to today+4.".into()
        )
    );
    assert_eq!(st.overlay, Overlay::None);
    assert!(matches!(st.flow, Flow::Unit { unit, .. } if unit == dr1.id));

    // Cancel makes nothing.
    touch(&mut st, &r, Touch::Reserve);
    touch(&mut st, &r, Touch::Choose(Choice::Person("Ben".into())));
    let fx = touch(&mut st, &r, Touch::BookCancel);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
    assert_eq!(st.overlay, Overlay::None);
    assert_eq!(st.message.1, "Nothing reserved.");
}

#[test]
fn at_the_kiosk_a_person_reserves_the_basket_for_themselves() {
    let r = Fake::new();
    let mut st = State::new(settings(|s| s.kiosk = true));
    st.handle(badge("B-BEN"), &r);
    // An empty basket has nothing to reserve.
    let fx = touch(&mut st, &r, Touch::Reserve);
    assert_eq!(signals(&fx), ["warning"]);
    assert_eq!(st.overlay, Overlay::None);

    code(&mut st, &r, "DR-2");
    code(&mut st, &r, "SW-1");
    touch(&mut st, &r, Touch::Reserve);
    let b = booking(&st);
    assert_eq!(b.what, "Drill 02 and Saw 01");
    assert_eq!((b.person.as_str(), b.by.as_deref()), ("Ben", Some("Ben")));
    touch(&mut st, &r, Touch::BookLonger);
    let op = the_op(touch(&mut st, &r, Touch::BookConfirm));
    let Op::Reserve {
        units,
        starts,
        ends,
        ..
    } = &op
    else {
        panic!("{op:?}")
    };
    assert_eq!(units, &[r.unit("DR-2").id, r.unit("SW-1").id]);
    assert_eq!((starts.as_str(), ends.as_str()), ("today+1", "today+2"));
    finish(&mut st, &r, op, Ok(Done::Reserved));
    assert_eq!(
        st.message.1,
        "Saved: Drill 02 and Saw 01 reserved for Ben, today+1 to today+2."
    );
    // The basket was for the reservation: empty again, Ben still at the kiosk.
    assert!(
        matches!(&st.flow, Flow::Kiosk { person: Some(p), basket, .. } if p == "Ben" && basket.is_empty()),
        "{:?}",
        st.flow
    );
}

#[test]
fn a_kit_from_its_card_is_signed_for_where_the_station_asks_for_signatures() {
    let r = Fake::new();
    let mut st = State::new(settings(|s| s.signature = true));
    code(&mut st, &r, "KIT-A");
    touch(&mut st, &r, Touch::CheckOut);
    let fx = touch(&mut st, &r, Touch::Choose(Choice::Person("Ben".into())));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Run(_))), "not yet");
    assert!(matches!(st.overlay, Overlay::Signature { ref holder } if holder == "Ben"));
    let strokes = vec![vec![[5, 5], [60, 40]]];
    let op = the_op(st.handle(Input::Signed(pad(strokes.clone())), &r));
    let Op::CheckOutKit {
        kit,
        action:
            Action::CheckOut {
                holder,
                signature: Some(s),
                ..
            },
    } = &op
    else {
        panic!("{op:?}")
    };
    assert_eq!((*kit, holder.as_str()), (r.kit.id, "Ben"));
    assert_eq!(s.strokes, strokes);

    // Refused over a reservation: Lend anyway keeps the signature.
    finish(&mut st, &r, op, reserved_for_ana("Lens 02"));
    let again = the_op(touch(&mut st, &r, Touch::LendAnyway));
    assert!(
        matches!(
            &again,
            Op::CheckOutKit {
                action: Action::CheckOut {
                    over_reservation: true,
                    signature: Some(_),
                    ..
                },
                ..
            }
        ),
        "{again:?}"
    );
}

#[test]
fn a_kit_from_its_card_is_reserved_whole_noted_with_its_name() {
    let r = Fake::new();
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "KIT-A");
    touch(&mut st, &r, Touch::Reserve);
    assert_eq!(st.overlay, Overlay::Picker(Ask::ReserveFor));
    touch(&mut st, &r, Touch::Choose(Choice::Person("Ana".into())));
    let b = booking(&st);
    assert_eq!(b.what, "Camera kit A");
    assert_eq!(b.note.as_deref(), Some("Kit Camera kit A"));
    let op = the_op(touch(&mut st, &r, Touch::BookConfirm));
    let Op::Reserve { units, note, .. } = &op else {
        panic!("{op:?}")
    };
    let kit: Vec<UnitId> = KIT.iter().map(|t| r.unit(t).id).collect();
    assert_eq!(units, &kit);
    assert_eq!(note.as_deref(), Some("Kit Camera kit A"));
    finish(&mut st, &r, op, Ok(Done::Reserved));
    assert_eq!(
        st.message.1,
        "Saved: Camera kit A reserved for Ana, today+1."
    );
    assert!(matches!(st.flow, Flow::Kit { .. }), "the kit's card stays");

    // A retired kit is not reserved whole.
    let mut r = Fake::new();
    r.kit.active = false;
    let mut st = State::new(settings(|_| {}));
    code(&mut st, &r, "KIT-A");
    touch(&mut st, &r, Touch::Reserve);
    touch(&mut st, &r, Touch::Choose(Choice::Person("Ana".into())));
    assert_eq!(st.overlay, Overlay::None);
    assert!(st.message.1.contains("retired"), "{:?}", st.message);
}
