//! The station's workflows as a pure state machine: `input → (state, effects)`.
//!
//! [`State::handle`] takes one typed [`Input`] (a scan event, a touch, the idle timer,
//! the result of a write it asked for) and returns the [`Effect`]s the runtime must carry
//! out: run an operation ([`Op`]), give feedback, mark a write as durable, start or stop
//! the idle timer. It never touches the store, the window or a clock itself: what it
//! needs to look up comes through [`Reads`], and every write is an [`Op`] whose result
//! comes back as [`Input::Finished`]. Nothing here knows about Slint; the unit tests in
//! `tests.rs` drive it directly.

mod finish;
mod scan;
mod touch;

#[cfg(test)]
mod tests;

use std::time::Duration;

use tagstation_core::catalog::{ItemId, Status, UnitId};
use tagstation_core::kits::KitId;
use tagstation_core::people::Role;
use tagstation_core::signature::Signature;
use tagstation_core::view::UnitView;
use tagstation_inputs::scan::ScanEvent;
use tagstation_ops::kits::{KitReturn, KitView};
use tagstation_ops::lending::BasketUnit;
use tagstation_ops::reservations::ReservationView;
use tagstation_ops::{Action, OpError};
use tagstation_station::audit::{Audit, AuditSummary};
use tagstation_station::store::Resolved;

use super::Settings;
use crate::door::DoorAction;
use crate::feedback::Signal;

/// Due-date choices in the kiosk: label and days from today (`None`: no date).
pub const DUE_CHOICES: [(&str, Option<i64>); 4] = [
    ("No date", None),
    ("Tomorrow", Some(1)),
    ("1 week", Some(7)),
    ("2 weeks", Some(14)),
];

/// How many of a unit's next reservations its card shows.
pub const RESERVATIONS_SHOWN: usize = 3;

/// How far ahead a reservation made at the station may start, in days from today.
pub const BOOK_AHEAD_DAYS: i64 = 90;

/// The longest reservation made at the station, in days.
pub const BOOK_MAX_DAYS: i64 = 28;

/// The on-screen keyboard's rows, unshifted letters shown in capitals.
pub const KEYS: [&str; 4] = ["1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM,./"];

/// The character of the on-screen key at `row`, `column`, if there is one.
pub fn key_at(row: usize, column: usize) -> Option<char> {
    KEYS.get(row).and_then(|r| r.chars().nth(column))
}

/// What the flow may look up. The station's store implements it; tests use a fake.
pub trait Reads {
    /// What a scanned or typed code refers to.
    fn resolve(&self, code: &str) -> Result<Resolved, OpError>;
    /// Who has what: the units checked out to `person` now, each with whether it is
    /// overdue (none when that cannot be read).
    fn held_by(&self, person: &str) -> Vec<(String, bool)>;
    /// The names of the people who may borrow, for the kiosk's list.
    fn borrowers(&self) -> Vec<String>;
    /// The name a new unit of `item` is offered (empty when none can be proposed).
    fn next_unit_name(&self, item: ItemId) -> String;
    /// Every unit recorded at `location`.
    fn units_at(&self, location: &str) -> Result<Vec<UnitView>, OpError>;
    /// The date `days` from today, `YYYY-MM-DD`.
    fn date_in(&self, days: i64) -> String;
    /// How many new tags (leased from the hub) this station can still hand out.
    fn new_tags_left(&self) -> u64;
    /// The open reservations of `unit` from today on, by first day (none when they
    /// cannot be read).
    fn reservations_of(&self, unit: UnitId) -> Vec<ReservationView>;
    /// The role of the active person of that name or badge (none when unknown).
    fn role_of(&self, person: &str) -> Option<Role>;
    /// A kit with its units as they are now.
    fn kit_view(&self, kit: KitId) -> Result<KitView, OpError>;
    /// These units as they are now, in this order.
    fn units_by_id(&self, ids: &[UnitId]) -> Result<Vec<UnitView>, OpError>;
}

/// One thing that happened, for the flow to react to.
#[derive(Debug)]
pub enum Input {
    /// An event from a scan input: a scan (item or badge), rejected input, a source
    /// lost or back.
    Scanned(ScanEvent),
    /// A code, taken as an item scan (typed on the keyboard, a test, the benchmark).
    Code(String),
    /// One key of a physical keyboard, or of a keyboard-wedge scanner, typed into the
    /// window: its text as the window reports it (`"\n"` for Return).
    Typed(String),
    Touch(Touch),
    /// The idle timer ran out.
    IdleTimeout,
    /// An operation the flow asked for ran: its result.
    Finished {
        op: Op,
        result: Result<Done, Refused>,
    },
    /// The screen for the current state could not be read from the store.
    CannotShow(OpError),
    /// A label the runtime was asked to print ([`Effect::PrintLabel`]) went out, or not.
    Printed(LabelOutcome),
    /// "Done" on the signature pad, with the strokes drawn on it (the window's bridge
    /// collects them while the finger moves).
    Signed(Signature),
}

/// What became of a label: the unit's name, and the printer it went to or why it did
/// not go (in a shop worker's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelOutcome {
    pub unit: String,
    pub result: Result<String, String>,
}

/// A touch on the screen, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    OpenKiosk,
    OpenAudit,
    TypeCode,
    /// A new unit with the next of the station's new tags.
    NewTagged,
    /// Done or Cancel: back to the start screen.
    Done,
    SetStatus(Status),
    CheckOut,
    CheckIn,
    Move,
    /// Print the unit's label on the station's printer.
    PrintLabel,
    /// Over a check-out refused for someone else's reservation: lend it anyway (the
    /// override is recorded), or leave it.
    LendAnyway,
    KeepReservation,
    /// Checking a kit in: record the return of the units marked as back (the others
    /// as missing), or go back to the kit's card.
    ConfirmReturn,
    CancelReturn,
    BasketCheckOut,
    BasketCheckIn,
    /// The count stepper: add this much to the quantity.
    Step(i64),
    Receive,
    Consume,
    CountDamaged,
    /// Unknown tag: choose another item.
    OtherItem,
    NewUnit,
    FinishAudit,
    /// A row of a list of choices.
    Choose(Choice),
    PickerType,
    PickerCancel,
    /// A key of the on-screen keyboard (Space is `' '`).
    Key(char),
    KeyShift,
    KeyDelete,
    KeyCancel,
    KeyOk,
    /// The signature pad's buttons: Done (the runtime turns it into
    /// [`Input::Signed`] with what was drawn), Clear (the runtime wipes the pad), and
    /// Cancel (no check-out).
    SignDone,
    SignClear,
    SignCancel,
    /// Reserve the unit on the card (for a person picked next), or the kiosk basket's
    /// units for its person.
    Reserve,
    /// The days of the reservation being made: its first day a day earlier or later,
    /// a day shorter or longer; then make it, or not.
    BookEarlier,
    BookLater,
    BookShorter,
    BookLonger,
    BookConfirm,
    BookCancel,
}

/// What a row of a list of choices stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Person(String),
    /// Days until a check-out is due back (`None`: no date).
    Due(Option<i64>),
    Item(ItemId),
    /// A unit: of an item (to carry an unknown tag), or of a kit being checked in
    /// (came back or not).
    Unit(UnitId),
    Location(String),
}

/// What the runtime must do after an input, in order.
#[derive(Debug)]
pub enum Effect {
    /// Run a write through the operations layer and hand its result back as
    /// [`Input::Finished`].
    Run(Op),
    Signal(Signal),
    /// Pulse the relay (a valid check-out).
    Release,
    /// A write is durable: wake the sync worker and refresh the status bar.
    Saved,
    /// Restart the idle timer for this long, or stop it.
    Idle(Option<Duration>),
    /// Print this unit's label on the station's printer, without holding up the screen,
    /// and report back as [`Input::Printed`].
    PrintLabel {
        unit: UnitId,
    },
    /// Keep a condition photo of each unit for its event (already saved), from the
    /// camera's newest picture, without holding up the screen: nothing comes back.
    /// Several units (a basket, a kit) share the one picture.
    Photo {
        of: Vec<(UnitId, uuid::Uuid)>,
    },
}

/// A write the flow asks for. Each names one call of the operations layer (or the
/// store's audit record, or door mode's scan), run with the station's actor unless it
/// says otherwise.
#[derive(Debug, Clone)]
pub enum Op {
    /// `action::act_on_unit`.
    Act { unit: UnitId, action: Action },
    /// `door::apply`: the door's preset action on a scanned code (it gives its own feedback).
    Door { door: DoorAction, code: String },
    /// `lending::act_on_basket`, recorded as done by `person`.
    Basket {
        person: String,
        units: Vec<BasketUnit>,
        action: Action,
    },
    /// `kits::check_out_kit`: every unit of the kit lent by `action` (an
    /// `Action::CheckOut`), in one write (every unit or none).
    CheckOutKit { kit: KitId, action: Action },
    /// `kits::check_in_kit`: the units `present` (`None`: every unit of it that is out)
    /// checked in and the kit's return recorded with the rest missing, in one write;
    /// recorded as done by `by` (a kiosk's person) or the station.
    CheckInKit {
        kit: KitId,
        present: Option<Vec<UnitId>>,
        by: Option<String>,
        scan: Option<String>,
    },
    /// `reservations::reserve_units`: `units` (named `what`) for `person` from `starts`
    /// to `ends`, with `note` (a kit's name), recorded as done by `by` (a kiosk's
    /// person) or the station.
    Reserve {
        units: Vec<UnitId>,
        what: String,
        person: String,
        starts: String,
        ends: String,
        note: Option<String>,
        by: Option<String>,
    },
    /// `catalog::adjust_quantity` or `catalog::move_quantity` on a count item.
    Count {
        item: ItemId,
        change: CountChange,
        qty: i64,
    },
    /// `catalog::change_unit`: put the scanned `code` on an untagged unit.
    AttachTag { unit: UnitId, code: String },
    /// `catalog::add_unit_scanned`: a new unit named `name` carrying `code`.
    AddUnit {
        item: ItemId,
        name: String,
        code: String,
    },
    /// `Store::take_new_tag`, then `catalog::add_unit`: a new unit named `name` with the
    /// next of the station's new tags.
    AddNewTagged { item: ItemId, name: String },
    /// `Audit::finish` and `Store::record_audit`.
    FinishAudit(Audit),
}

/// What happened to a count item's stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountChange {
    Receive,
    Consume,
    Damaged,
}

/// A durable write, as the runtime reports it back.
#[derive(Debug, Clone)]
pub enum Done {
    /// One unit changed or created: its id and name after the write, the event that
    /// changed it (when the operation reports one), and the operations layer's words
    /// for it ("Drill 01 set to damaged").
    Unit {
        id: UnitId,
        event: Option<uuid::Uuid>,
        name: String,
        message: String,
    },
    /// A unit made with a new tag: the tag, and how many new tags are left.
    NewTagged {
        id: UnitId,
        name: String,
        tag: String,
        left: u64,
    },
    /// A kit went out: its name and how many units.
    KitOut { kit: String, units: usize },
    /// A kit came back: what was checked in, and what is still missing.
    KitReturned(KitReturn),
    /// The write went through (a count).
    Recorded,
    /// A basket's units changed, each with the event that changed it.
    Basket(Vec<(UnitId, uuid::Uuid)>),
    /// The reservations were made (one per item).
    Reserved,
    /// An audit, with its summary.
    Audit(AuditSummary),
}

/// A write that did not happen: why, and for a basket which unit could not go.
#[derive(Debug)]
pub struct Refused {
    pub error: OpError,
    pub at: Option<usize>,
}

impl From<OpError> for Refused {
    fn from(error: OpError) -> Refused {
        Refused { error, at: None }
    }
}

/// How the bottom line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    None,
    Ok,
    Warn,
    Error,
}

/// Where the person is in a workflow, with that screen's data.
#[derive(Debug, Clone)]
pub enum Flow {
    Scan,
    Unit {
        unit: UnitId,
        /// Its next reservations in words, at most [`RESERVATIONS_SHOWN`].
        reserved: Vec<String>,
    },
    /// A kit's card: the kit as last read, and while it is being checked in each of
    /// its units that is out, with whether it came back.
    Kit {
        kit: KitView,
        returning: Option<Vec<CameBack>>,
    },
    Kiosk {
        person: Option<String>,
        basket: Vec<UnitView>,
        /// Days until due back.
        due: Option<i64>,
    },
    Count {
        item: ItemId,
        name: String,
        qty: i64,
    },
    Unknown {
        code: String,
        item: Option<ItemId>,
    },
    /// A new unit with a new tag: which item (then its name on the keyboard).
    NewTagged {
        item: Option<ItemId>,
    },
    AuditPick,
    Audit {
        audit: Audit,
        /// What each scan turned out to be, newest first.
        seen: Vec<AuditSeen>,
    },
}

/// A unit of a kit being checked in: did it come back (all do, until touched)?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameBack {
    pub unit: UnitId,
    pub name: String,
    pub back: bool,
}

/// One scan of an audit, for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSeen {
    pub name: String,
    pub unexpected: bool,
}

/// What a picker or the keyboard is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Holder,
    /// Whom the unit on the card is reserved for.
    ReserveFor,
    Location,
    Code,
    NewUnitName,
    NewTaggedName,
}

/// A picker, the keyboard or a warning over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Picker(Ask),
    Keyboard {
        ask: Ask,
        text: String,
        shift: bool,
    },
    /// A check-out refused because it would break someone else's reservation: the
    /// conflict in the operations layer's words, and whether the person here may lend
    /// it anyway (the check-out to run again is kept in [`State`]).
    Reserved {
        text: String,
        may_override: bool,
    },
    /// The signature pad, before a check-out to `holder` (the check-out to run is
    /// kept in [`State`]; the strokes in the window's bridge until Done).
    Signature {
        holder: String,
    },
    /// A reservation being made: its days are chosen here.
    Booking(Booking),
}

/// A reservation being made at the station: for whom, which units, and which days
/// (counted from today, so the screen never holds a date in the past).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub person: String,
    pub units: Vec<UnitId>,
    /// The units' names, as the screen and the confirmation say them.
    pub what: String,
    /// Who records it: the kiosk's person, or none for the station.
    pub by: Option<String>,
    /// Kept with each reservation ("Kit Camera kit A" for a kit's units).
    pub note: Option<String>,
    /// The first day, in days from today (0 to [`BOOK_AHEAD_DAYS`]).
    pub from: i64,
    /// How many days, the first included (1 to [`BOOK_MAX_DAYS`]).
    pub days: i64,
}

impl Booking {
    /// A booking of one day, tomorrow.
    pub fn new(person: String, units: Vec<UnitId>, what: String, by: Option<String>) -> Booking {
        Booking {
            person,
            units,
            what,
            by,
            note: None,
            from: 1,
            days: 1,
        }
    }

    /// Its first and last day, `YYYY-MM-DD`.
    pub fn dates(&self, reads: &dyn Reads) -> (String, String) {
        (
            reads.date_in(self.from),
            reads.date_in(self.from + self.days - 1),
        )
    }
}

/// The whole state of the station's screen.
#[derive(Debug, Clone)]
pub struct State {
    pub settings: Settings,
    pub flow: Flow,
    pub overlay: Overlay,
    /// The bottom line: a confirmation, warning or error (empty: the screen's hint).
    pub message: (Tone, String),
    /// Keys typed into the window since the last Return, while no on-screen keyboard
    /// was open: a keyboard-wedge scanner's code on its way.
    typed: String,
    /// The check-out behind [`Overlay::Reserved`], run again over the reservation if
    /// the person lends it anyway.
    lend_anyway: Option<Op>,
    /// The check-out behind [`Overlay::Signature`], run with the signature at Done.
    to_sign: Option<Op>,
}

/// The effects of one input, collected in order.
struct Fx(Vec<Effect>);

impl Fx {
    fn push(&mut self, e: Effect) {
        self.0.push(e);
    }
    fn run(&mut self, op: Op) {
        self.0.push(Effect::Run(op));
    }
    fn signal(&mut self, s: Signal) {
        self.0.push(Effect::Signal(s));
    }
}

impl State {
    /// The start screen for these settings.
    pub fn new(settings: Settings) -> State {
        let flow = home(&settings);
        State {
            settings,
            flow,
            overlay: Overlay::None,
            message: (Tone::None, String::new()),
            typed: String::new(),
            lend_anyway: None,
            to_sign: None,
        }
    }

    /// React to one input: update the state, return what the runtime must do.
    pub fn handle(&mut self, input: Input, reads: &dyn Reads) -> Vec<Effect> {
        let mut fx = Fx(Vec::new());
        let acted = match input {
            Input::Scanned(ev) => self.scanned(ev, reads, &mut fx),
            Input::Code(text) => self.code(&text, reads, &mut fx),
            Input::Typed(text) => self.typed(&text, reads, &mut fx),
            Input::Touch(t) => {
                tracing::debug!(touch = ?t, "touch");
                self.touch(t, reads, &mut fx);
                true
            }
            Input::IdleTimeout => {
                tracing::debug!("idle: back to the start screen");
                self.clear_message();
                self.go_home();
                true
            }
            Input::Finished { op, result } => {
                self.finished(op, result, reads, &mut fx);
                true
            }
            Input::Printed(outcome) => {
                self.printed(outcome, &mut fx);
                true
            }
            Input::Signed(signature) => {
                self.signed(signature, &mut fx);
                true
            }
            Input::CannotShow(e) => {
                tracing::error!(error = %e, "cannot show the screen");
                self.message = (Tone::Error, e.user_message());
                self.flow = home(&self.settings);
                true
            }
        };
        if acted {
            fx.push(self.idle());
        }
        fx.0
    }

    /// Is this the start screen with nothing over it?
    pub fn at_home(&self) -> bool {
        let home = matches!(
            (&self.flow, self.settings.kiosk),
            (Flow::Scan, false) | (Flow::Kiosk { person: None, .. }, true)
        );
        home && self.overlay == Overlay::None
    }

    /// How long until the screen returns to the start: `None` at the start already.
    /// Kiosk baskets, audits and the keyboard wait 6× longer (at least a minute).
    fn idle(&self) -> Effect {
        if self.at_home() {
            return Effect::Idle(None);
        }
        let long = matches!(
            self.flow,
            Flow::Kiosk {
                person: Some(_),
                ..
            } | Flow::Audit { .. }
                | Flow::Kit {
                    returning: Some(_),
                    ..
                }
        ) || matches!(
            self.overlay,
            Overlay::Keyboard { .. }
                | Overlay::Reserved { .. }
                | Overlay::Signature { .. }
                | Overlay::Booking(_)
        );
        let idle = self.settings.idle;
        Effect::Idle(Some(if long {
            idle.max(Duration::from_secs(10)) * 6
        } else {
            idle
        }))
    }

    fn clear_message(&mut self) {
        self.message = (Tone::None, String::new());
    }

    /// Show `text` and give the matching signal.
    fn say(&mut self, tone: Tone, text: String, fx: &mut Fx) {
        fx.signal(match tone {
            Tone::Error => Signal::Error,
            Tone::Warn => Signal::Warning,
            _ => Signal::Success,
        });
        self.message = (tone, text);
    }

    fn fail(&mut self, e: &OpError, fx: &mut Fx) {
        if e.is_user_error() {
            tracing::info!(error = %e, "refused");
        } else {
            tracing::error!(error = %e, "store failure");
        }
        self.say(Tone::Error, e.user_message(), fx);
    }

    /// Welcome a person at the kiosk with who has what: the units they have now,
    /// and what of it is overdue.
    fn greet(&mut self, person: &str, reads: &dyn Reads, fx: &mut Fx) {
        let held = reads.held_by(person);
        let overdue: Vec<&str> = held
            .iter()
            .filter(|(_, late)| *late)
            .map(|(n, _)| n.as_str())
            .collect();
        let has = held.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>();
        if !overdue.is_empty() {
            let text = format!(
                "{person}, overdue: {}. Please bring back.",
                overdue.join(", ")
            );
            self.say(Tone::Warn, text, fx);
        } else if has.is_empty() {
            self.message = (Tone::Ok, format!("Hello {person}. Scan the units."));
            fx.signal(Signal::Success);
        } else {
            let text = format!(
                "Hello {person}. You have {}. Scan the units.",
                has.join(", ")
            );
            self.message = (Tone::Ok, text);
            fx.signal(Signal::Success);
        }
    }

    /// `person` identified: into (or stay in) the kiosk for them.
    fn identify(&mut self, person: String, reads: &dyn Reads, fx: &mut Fx) {
        match &mut self.flow {
            Flow::Kiosk { person: p, .. } => *p = Some(person.clone()),
            _ => self.flow = kiosk(Some(person.clone())),
        }
        self.greet(&person, reads, fx);
    }

    fn go_home(&mut self) {
        self.overlay = Overlay::None;
        self.lend_anyway = None;
        self.to_sign = None;
        self.flow = home(&self.settings);
    }

    /// Show the card of `unit`, with its next reservations.
    fn open_unit(&mut self, unit: UnitId, reads: &dyn Reads) {
        self.flow = Flow::Unit {
            unit,
            reserved: reserved_lines(&reads.reservations_of(unit)),
        };
    }

    /// Read the card's reservations again (a check-out may have picked one up).
    fn refresh_unit(&mut self, reads: &dyn Reads) {
        if let Flow::Unit { unit, reserved } = &mut self.flow {
            *reserved = reserved_lines(&reads.reservations_of(*unit));
        }
    }

    /// Show the card of a kit.
    fn open_kit(&mut self, kit: KitView) {
        self.flow = Flow::Kit {
            kit,
            returning: None,
        };
    }

    /// Read the kit on its card again (after a change made on it); the card as it was
    /// if it cannot be read.
    fn refresh_kit(&mut self, reads: &dyn Reads) {
        if let Flow::Kit { kit, .. } = &mut self.flow {
            match reads.kit_view(kit.id) {
                Ok(v) => *kit = v,
                Err(e) => tracing::warn!(error = %e, kit = %kit.id, "cannot read the kit again"),
            }
        }
    }
}

/// Why a kit's tag cannot stand for its units here: it is retired, or holds none.
fn kit_unusable(kit: &KitView) -> Option<String> {
    if !kit.active {
        Some(format!(
            "The kit {} is retired: scan its units one by one.",
            kit.name
        ))
    } else if kit.units.is_empty() {
        Some(format!(
            "The kit {} has no units: add them at a station's command line.",
            kit.name
        ))
    } else {
        None
    }
}

/// Why a kit cannot go out now: the first of its units that is not in stock.
fn kit_not_ready(kit: &KitView) -> Option<String> {
    let u = kit.units.iter().find(|u| u.status != Status::InStock)?;
    let with = match (&u.holder, u.status) {
        (Some(h), Status::CheckedOut) => format!(" (to {h})"),
        _ => String::new(),
    };
    Some(format!(
        "The kit {} cannot go out: {} is {}{with}.",
        kit.name,
        u.name,
        u.status.label().to_lowercase()
    ))
}

/// "Lens 02", "Lens 02 and Battery 01", "Lens 01, Lens 02 and Battery 01".
pub fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A unit's next reservations as its card says them: "Reserved for Ana, 2026-12-08 to
/// 2026-12-10", and for any units of the item "... (any 2 × Drill)"; the first
/// [`RESERVATIONS_SHOWN`] by first day.
pub fn reserved_lines(reservations: &[ReservationView]) -> Vec<String> {
    let mut by_day: Vec<&ReservationView> = reservations.iter().collect();
    by_day.sort_by(|a, b| (&a.starts, &a.ends).cmp(&(&b.starts, &b.ends)));
    by_day
        .into_iter()
        .take(RESERVATIONS_SHOWN)
        .map(|r| {
            let line = format!("Reserved for {}, {}", r.person, r.days());
            if r.units.is_empty() {
                format!("{line} (any {})", r.what())
            } else {
                line
            }
        })
        .collect()
}

/// An empty kiosk basket for `person`.
fn kiosk(person: Option<String>) -> Flow {
    Flow::Kiosk {
        person,
        basket: Vec::new(),
        due: None,
    }
}

/// The start screen: the kiosk's identification screen in kiosk mode, else Scan.
fn home(settings: &Settings) -> Flow {
    if settings.kiosk {
        kiosk(None)
    } else {
        Flow::Scan
    }
}

/// A scanned line without its terminator and surrounding blanks.
fn clean(text: &str) -> String {
    text.trim_end_matches(['\r', '\n', '\t']).trim().to_string()
}

/// "1 unit", "3 units".
pub fn count_units(n: usize) -> String {
    if n == 1 {
        "1 unit".into()
    } else {
        format!("{n} units")
    }
}
