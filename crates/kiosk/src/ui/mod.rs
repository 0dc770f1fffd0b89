//! The station's touch UI: the Slint window from `ui/*.slint` and the controller that drives it.
//!
//! The `.slint` files only show properties and report touches through one callback,
//! `act(action, argument)`. Everything else is decided here: what a scan means
//! ([`Controller::on_scan`]), which screen shows, what gets recorded. Every write goes
//! through [`tagstation_station::action`] or [`Store::record`]/[`Store::record_batch`]/
//! [`Store::record_audit`], so the durability rules of the store hold for the UI too.

#[allow(clippy::all)]
mod generated {
    slint::include_modules!();
}

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};
use uuid::Uuid;

pub use generated::{Line, Screen, StationWindow, Tone, Total};

use crate::door::DoorAction;
use crate::feedback::{Feedback, Signal};
use tagstation_core::catalog::{ItemId, Status, Tracking, UnitId};
use tagstation_inputs::scan::{ScanEvent, ScanRole, SourceStatus};
use tagstation_ops::catalog::{self, NewUnit, UnitChange};
use tagstation_ops::lending::{self, BasketUnit};
use tagstation_ops::naming::next_unit_name;
use tagstation_ops::{Actor, OpError, Recorded};
use tagstation_station::action::{act_on_unit, Action};
use tagstation_station::audit::{Audit, Seen};
use tagstation_station::config::PersonConfig;
use tagstation_station::store::{op_error, Resolved, Store, StoreError, UnitView};
use tagstation_station::sync::Worker;

/// Why the station UI could not start.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("cannot open the station window: {0}")]
    Platform(#[from] slint::PlatformError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the controller needs to know about this station.
#[derive(Debug, Clone)]
pub struct Settings {
    pub station_name: String,
    /// Recorded as the actor when no person identified themself.
    pub actor: String,
    pub door: Option<DoorAction>,
    pub kiosk: bool,
    /// How long a screen stays after a confirmation or without a touch.
    pub idle: Duration,
    pub people: Vec<PersonConfig>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            station_name: "Station".into(),
            actor: "station".into(),
            door: None,
            kiosk: false,
            idle: Duration::from_secs(8),
            people: Vec::new(),
        }
    }
}

/// Due-date choices in the kiosk: (key, label, days from today).
const DUE_CHOICES: [(&str, &str, Option<i64>); 4] = [
    ("none", "No date", None),
    ("1", "Tomorrow", Some(1)),
    ("7", "1 week", Some(7)),
    ("14", "2 weeks", Some(14)),
];

const KEYS: [&str; 4] = ["1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM,./"];

/// Where the person is in a workflow.
#[derive(Debug, Clone)]
enum Flow {
    Scan,
    Unit {
        unit: UnitId,
    },
    Kiosk {
        person: Option<String>,
        basket: Vec<UnitView>,
        due: &'static str,
    },
    Count {
        item: ItemId,
        qty: i64,
    },
    Unknown {
        code: String,
        item: Option<ItemId>,
    },
    AuditPick,
    Audit {
        audit: Audit,
        /// What each scan turned out to be, newest first, for the screen.
        seen: Vec<Line>,
    },
}

/// What a picker or the keyboard is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Holder,
    Location,
    Code,
    NewUnitName,
}

#[derive(Debug, Clone)]
enum Overlay {
    None,
    Picker(Ask),
    Keyboard { ask: Ask, text: String, shift: bool },
}

/// The station's brain: owns the store, reads scans and touches, drives the window.
pub struct Controller {
    store: Store,
    window: slint::Weak<StationWindow>,
    settings: Settings,
    feedback: Arc<dyn Feedback>,
    sync: Option<Worker>,
    flow: Flow,
    overlay: Overlay,
    message: (Tone, String),
    idle: Timer,
    me: Weak<RefCell<Controller>>,
}

fn line(
    key: impl Into<SharedString>,
    title: impl Into<SharedString>,
    detail: impl Into<SharedString>,
    tone: Tone,
) -> Line {
    Line {
        key: key.into(),
        title: title.into(),
        detail: detail.into(),
        tone,
        selected: false,
    }
}

fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(v))
}

fn status_tone(s: Status) -> Tone {
    match s {
        Status::InStock => Tone::Ok,
        Status::Receiving | Status::Sending => Tone::Info,
        Status::Damaged => Tone::Error,
        Status::CheckedOut => Tone::Warn,
        Status::Retired => Tone::None,
    }
}

/// `2026-11-23T05:41:07.120Z` → `11-23 05:41`.
fn short_time(rfc: &str) -> String {
    if rfc.len() >= 16 {
        format!("{} {}", &rfc[5..10], &rfc[11..16])
    } else {
        rfc.to_string()
    }
}

/// A date `days` from today, `YYYY-MM-DD` (UTC, like the overdue check).
fn date_in(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt)
        .unwrap_or_else(|_| tagstation_core::clock::today())
}

fn now_text() -> String {
    let t = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.format(&fmt)
        .unwrap_or_else(|_| tagstation_core::clock::today())
}

fn unit_detail(u: &UnitView) -> (String, Tone) {
    match u.status {
        Status::CheckedOut => {
            let who = u.holder.as_deref().unwrap_or("someone");
            match (&u.due, u.overdue) {
                (Some(d), true) => (format!("OVERDUE since {d}, {who}"), Tone::Error),
                (Some(d), false) => (format!("{who}, due {d}"), Tone::None),
                (None, _) => (format!("with {who}"), Tone::None),
            }
        }
        s => (s.label().to_string(), Tone::None),
    }
}

impl Controller {
    /// The entry point of every scan, whatever it came from (scanner, camera, typed).
    pub fn on_scan(&mut self, text: &str) {
        let code = text.trim_end_matches(['\r', '\n', '\t']).trim().to_string();
        if code.is_empty() {
            return;
        }
        tracing::debug!(%code, "scan");
        self.overlay = Overlay::None;
        if let Some(door) = self.settings.door {
            self.door_scan(door, &code);
        } else {
            match self.flow.clone() {
                Flow::Kiosk { .. } => self.kiosk_scan(&code),
                Flow::Audit { .. } => self.audit_scan(&code),
                Flow::AuditPick => self.say(
                    Tone::Warn,
                    "Pick the location to audit first, then scan.".into(),
                ),
                _ => self.lookup_scan(&code),
            }
        }
        self.render();
        self.restart_idle();
    }

    /// An event from the scan inputs, in the words [`input_words`] gives it.
    pub fn on_input(&mut self, kind: &str, text: &str) {
        match kind {
            "item" => self.on_scan(text),
            "badge" => self.on_badge(text),
            "rejected" => self.on_rejected(text),
            "source-lost" => self.on_source(true, text),
            "source-back" => self.on_source(false, text),
            _ => tracing::warn!(%kind, "unknown input event, ignored"),
        }
    }

    /// A scan from an input whose role is `badge` (a badge reader): it identifies a person
    /// and never touches a unit, so a badge code that is also some unit's tag is safe.
    pub fn on_badge(&mut self, text: &str) {
        let code = text.trim_end_matches(['\r', '\n', '\t']).trim().to_string();
        if code.is_empty() {
            return;
        }
        self.overlay = Overlay::None;
        match self.person_by_badge(&code) {
            Some(p) => {
                tracing::info!(person = %p, "badge");
                match &mut self.flow {
                    Flow::Kiosk { person, .. } => *person = Some(p.clone()),
                    _ => {
                        self.flow = Flow::Kiosk {
                            person: Some(p.clone()),
                            basket: Vec::new(),
                            due: "none",
                        }
                    }
                }
                self.greet(&p);
            }
            None => {
                tracing::warn!(%code, "unknown badge");
                self.say(
                    Tone::Warn,
                    "This badge is not known at this station. Ask the person in charge to add it."
                        .into(),
                );
            }
        }
        self.render();
        self.restart_idle();
    }

    /// Input that arrived but is not a scan (garbage from a scanner, a code typed by hand
    /// on a scanner's keyboard port, an unreadable layout): say so, keep the screen as is.
    pub fn on_rejected(&mut self, message: &str) {
        self.say(Tone::Error, message.to_string());
        self.render();
        self.restart_idle();
    }

    /// A scanner or camera went away, came back or failed: tell the person at the station.
    pub fn on_source(&mut self, tone_warn: bool, message: &str) {
        self.say(
            if tone_warn { Tone::Warn } else { Tone::Ok },
            message.to_string(),
        );
        self.render();
        self.restart_idle();
    }

    /// A touch on the screen: `action` and its argument as raised by the `.slint`.
    pub fn on_act(&mut self, action: &str, arg: &str) {
        tracing::debug!(action, arg, "touch");
        match (action, &self.overlay) {
            ("pick", Overlay::Picker(ask)) => {
                let ask = *ask;
                self.overlay = Overlay::None;
                self.answer(ask, arg.to_string());
            }
            ("picker-type", Overlay::Picker(ask)) => self.open_keyboard(*ask, String::new()),
            ("picker-cancel", _) => self.overlay = Overlay::None,
            ("key", Overlay::Keyboard { .. }) => self.key(arg),
            ("key-shift", Overlay::Keyboard { .. }) => {
                if let Overlay::Keyboard { shift, .. } = &mut self.overlay {
                    *shift = !*shift;
                }
            }
            ("key-delete", Overlay::Keyboard { .. }) => {
                if let Overlay::Keyboard { text, .. } = &mut self.overlay {
                    text.pop();
                }
            }
            ("key-cancel", _) => self.overlay = Overlay::None,
            ("key-ok", Overlay::Keyboard { ask, text, .. }) => {
                let (ask, text) = (*ask, text.trim().to_string());
                self.overlay = Overlay::None;
                if text.is_empty() {
                    self.say(Tone::Warn, "Nothing was typed.".into());
                } else if ask == Ask::Code {
                    self.on_scan(&text);
                    return;
                } else {
                    self.answer(ask, text);
                }
            }
            _ => self.screen_act(action, arg),
        }
        self.render();
        self.restart_idle();
    }

    /// Read access to the store, for tests and the benchmark.
    pub fn store(&self) -> &Store {
        &self.store
    }

    // ---- scans -------------------------------------------------------------------------

    fn lookup_scan(&mut self, code: &str) {
        match self.store.resolve(code) {
            Ok(Resolved::Unit { unit }) => {
                self.message = (Tone::None, String::new());
                self.flow = Flow::Unit { unit: unit.id };
            }
            Ok(Resolved::Item { item }) if item.tracking == Tracking::Count => {
                self.message = (Tone::None, String::new());
                self.flow = Flow::Count {
                    item: item.id,
                    qty: 1,
                };
            }
            Ok(Resolved::Item { item }) => self.say(
                Tone::Warn,
                format!(
                    "{} is tracked unit by unit: scan the unit's own tag.",
                    item.name
                ),
            ),
            Ok(Resolved::Unknown { code }) => {
                if let Some(p) = self.person_by_badge(&code) {
                    self.flow = Flow::Kiosk {
                        person: Some(p.clone()),
                        basket: Vec::new(),
                        due: "none",
                    };
                    self.greet(&p);
                } else {
                    self.say(
                        Tone::Warn,
                        "Tag not in the catalog: attach it to a unit, or Cancel.".into(),
                    );
                    self.flow = Flow::Unknown { code, item: None };
                }
            }
            Err(e) => self.fail(&op_error(e)),
        }
    }

    fn door_scan(&mut self, door: DoorAction, code: &str) {
        let actor = self.settings.actor.clone();
        let feedback = self.feedback.clone();
        match crate::door::apply(&mut self.store, door, code, &actor, feedback.as_ref()) {
            crate::door::DoorOutcome::Saved(done) => {
                self.message = (Tone::Ok, format!("Saved: {}.", done.message));
                self.flow = Flow::Unit { unit: done.unit.id };
                self.saved();
            }
            crate::door::DoorOutcome::Refused(e) => {
                self.message = (Tone::Error, e.user_message());
                self.flow = Flow::Scan;
            }
            crate::door::DoorOutcome::Ignored => {}
        }
    }

    fn kiosk_scan(&mut self, code: &str) {
        if let Some(p) = self.person_by_badge(code) {
            if let Flow::Kiosk { person, .. } = &mut self.flow {
                *person = Some(p.clone());
            }
            self.greet(&p);
            return;
        }
        let Flow::Kiosk {
            person: Some(_), ..
        } = &self.flow
        else {
            self.say(
                Tone::Warn,
                "Scan your badge or tap your name first, then scan the units.".into(),
            );
            return;
        };
        match self.store.resolve(code) {
            Ok(Resolved::Unit { unit }) => {
                let Flow::Kiosk { basket, .. } = &mut self.flow else {
                    return;
                };
                if basket.iter().any(|u| u.id == unit.id) {
                    let msg = format!("{} is already in the basket.", unit.name);
                    self.say(Tone::Warn, msg);
                } else {
                    let name = unit.name.clone();
                    basket.push(unit);
                    self.message = (Tone::Ok, format!("{name} added to the basket."));
                    self.feedback.signal(Signal::Success);
                }
            }
            Ok(Resolved::Item { item }) => self.say(
                Tone::Warn,
                format!(
                    "{} is counted, not checked out. Scan a unit's tag.",
                    item.name
                ),
            ),
            Ok(Resolved::Unknown { .. }) => self.say(
                Tone::Error,
                "Unknown tag. Check the label, or register it at a station.".into(),
            ),
            Err(e) => self.fail(&op_error(e)),
        }
    }

    fn audit_scan(&mut self, code: &str) {
        let unit = match self.store.resolve(code) {
            Ok(Resolved::Unit { unit }) => unit,
            Ok(Resolved::Item { item }) => {
                return self.say(
                    Tone::Warn,
                    format!("{} is counted: audits check tagged units.", item.name),
                )
            }
            Ok(Resolved::Unknown { code }) => {
                return self.say(
                    Tone::Warn,
                    format!("Unknown tag {code}: not in the catalog. Put it aside."),
                )
            }
            Err(e) => return self.fail(&op_error(e)),
        };
        let Flow::Audit { audit, seen } = &mut self.flow else {
            return;
        };
        let name = unit.name.clone();
        let recorded = unit
            .location
            .clone()
            .unwrap_or_else(|| "no location".into());
        let recorded = if unit.status == Status::CheckedOut {
            format!(
                "{} (checked out)",
                unit.holder.as_deref().unwrap_or("someone")
            )
        } else {
            recorded
        };
        let (tone, text) = match audit.scan(unit) {
            Seen::Found => {
                seen.insert(0, line("", name.clone(), "found", Tone::None));
                (Tone::Ok, format!("{name} found."))
            }
            Seen::Unexpected => {
                seen.insert(0, line("", name.clone(), "unexpected", Tone::Warn));
                (
                    Tone::Warn,
                    format!("{name} is recorded at {recorded}: not expected here."),
                )
            }
            Seen::Again => (Tone::Warn, format!("{name} was already scanned.")),
        };
        self.say(tone, text);
    }

    // ---- touches -------------------------------------------------------------------------

    fn screen_act(&mut self, action: &str, arg: &str) {
        match (action, self.flow.clone()) {
            ("done", _) => {
                self.message = (Tone::None, String::new());
                self.go_home();
            }
            ("kiosk", _) => {
                self.message = (Tone::None, String::new());
                self.flow = Flow::Kiosk {
                    person: None,
                    basket: Vec::new(),
                    due: "none",
                };
            }
            ("audit", _) => {
                self.message = (Tone::None, String::new());
                self.flow = Flow::AuditPick;
            }
            ("type-code", _) => self.open_keyboard(Ask::Code, String::new()),
            ("status", Flow::Unit { unit }) => match arg.parse::<Status>() {
                Ok(status) => self.act_unit(unit, Action::SetStatus { status }),
                Err(e) => tracing::error!(arg, error = %e, "unknown status from the UI"),
            },
            ("check-out", Flow::Unit { .. }) => {
                if self.settings.people.is_empty() {
                    self.open_keyboard(Ask::Holder, String::new());
                } else {
                    self.overlay = Overlay::Picker(Ask::Holder);
                }
            }
            ("check-in", Flow::Unit { unit }) => {
                self.act_unit(unit, Action::CheckIn { location: None })
            }
            ("move", Flow::Unit { .. }) => self.overlay = Overlay::Picker(Ask::Location),
            ("person", Flow::Kiosk { .. }) => {
                if let Some(p) = arg
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| self.settings.people.get(i))
                    .map(|p| p.name.clone())
                {
                    if let Flow::Kiosk { person, .. } = &mut self.flow {
                        *person = Some(p.clone());
                    }
                    self.greet(&p);
                }
            }
            ("due", Flow::Kiosk { .. }) => {
                if let Some((key, _, _)) = DUE_CHOICES.iter().find(|(k, _, _)| *k == arg) {
                    if let Flow::Kiosk { due, .. } = &mut self.flow {
                        *due = *key;
                    }
                }
            }
            (
                "basket-check-out",
                Flow::Kiosk {
                    person: Some(p),
                    basket,
                    due,
                },
            ) => {
                let due_date = DUE_CHOICES
                    .iter()
                    .find(|(k, _, _)| *k == due)
                    .and_then(|(_, _, d)| *d)
                    .map(date_in);
                let action = Action::CheckOut {
                    holder: p.clone(),
                    due: due_date.clone(),
                };
                if self.act_basket(&p, &basket, action) {
                    self.feedback.release();
                    let until = due_date.map(|d| format!(" until {d}")).unwrap_or_default();
                    self.message = (
                        Tone::Ok,
                        format!(
                            "Saved: {} checked out to {p}{until}.",
                            count_units(basket.len())
                        ),
                    );
                    self.go_home();
                }
            }
            (
                "basket-check-in",
                Flow::Kiosk {
                    person: Some(p),
                    basket,
                    ..
                },
            ) => {
                if self.act_basket(&p, &basket, Action::CheckIn { location: None }) {
                    self.message = (
                        Tone::Ok,
                        format!("Saved: {} checked in by {p}.", count_units(basket.len())),
                    );
                    self.go_home();
                }
            }
            ("step", Flow::Count { item, qty }) => {
                let delta: i64 = arg.trim_start_matches('+').parse().unwrap_or(0);
                let qty = (qty + delta).clamp(1, 9999);
                self.flow = Flow::Count { item, qty };
            }
            ("receive", Flow::Count { item, qty }) => self.act_count(
                item,
                |s, a| {
                    let why = Some("received".into());
                    catalog::adjust_quantity(s, item, Status::InStock, qty, why, a)
                },
                format!("{qty} received"),
            ),
            ("consume", Flow::Count { item, qty }) => self.act_count(
                item,
                |s, a| {
                    let why = Some("consumed".into());
                    catalog::adjust_quantity(s, item, Status::InStock, -qty, why, a)
                },
                format!("{qty} consumed"),
            ),
            ("count-damaged", Flow::Count { item, qty }) => self.act_count(
                item,
                |s, a| catalog::move_quantity(s, item, qty, Status::InStock, Status::Damaged, a),
                format!("{qty} marked damaged"),
            ),
            ("pick", Flow::Unknown { code, item: None }) => match Uuid::parse_str(arg) {
                Ok(item) => {
                    self.flow = Flow::Unknown {
                        code,
                        item: Some(item),
                    }
                }
                Err(_) => tracing::error!(arg, "bad item key from the UI"),
            },
            (
                "pick",
                Flow::Unknown {
                    code,
                    item: Some(_),
                },
            ) => match Uuid::parse_str(arg) {
                Ok(unit) => self.attach(unit, &code),
                Err(_) => tracing::error!(arg, "bad unit key from the UI"),
            },
            ("back", Flow::Unknown { code, .. }) => self.flow = Flow::Unknown { code, item: None },
            (
                "new-unit",
                Flow::Unknown {
                    item: Some(item), ..
                },
            ) => {
                let name = next_unit_name(&self.store, item).unwrap_or_default();
                self.open_keyboard(Ask::NewUnitName, name);
            }
            ("location", Flow::AuditPick) => match self.store.units_at(arg) {
                Ok(units) => {
                    self.message = (Tone::None, String::new());
                    self.flow = Flow::Audit {
                        audit: Audit::start(arg, units),
                        seen: Vec::new(),
                    };
                }
                Err(e) => self.fail(&op_error(e)),
            },
            ("finish-audit", Flow::Audit { audit, .. }) => self.finish_audit(&audit),
            (a, f) => {
                tracing::debug!(action = a, flow = ?std::mem::discriminant(&f), "touch ignored here")
            }
        }
    }

    /// A picker choice or typed text for what was asked.
    fn answer(&mut self, ask: Ask, text: String) {
        match (ask, self.flow.clone()) {
            (Ask::Holder, Flow::Unit { unit }) => self.act_unit(
                unit,
                Action::CheckOut {
                    holder: text,
                    due: None,
                },
            ),
            (Ask::Location, Flow::Unit { unit }) => {
                self.act_unit(unit, Action::Move { location: text })
            }
            (
                Ask::NewUnitName,
                Flow::Unknown {
                    code,
                    item: Some(item),
                },
            ) => self.create_unit(item, &text, &code),
            (ask, _) => tracing::debug!(?ask, "answer no longer needed"),
        }
    }

    fn open_keyboard(&mut self, ask: Ask, text: String) {
        let shift = text.is_empty();
        self.overlay = Overlay::Keyboard { ask, text, shift };
    }

    fn key(&mut self, k: &str) {
        if let Overlay::Keyboard { text, shift, ask } = &mut self.overlay {
            if text.chars().count() >= tagstation_core::catalog::MAX_TEXT_CHARS {
                return;
            }
            if *shift {
                text.push_str(&k.to_uppercase());
                // Codes are typed in capitals: Shift stays on. Names get one capital.
                if *ask != Ask::Code {
                    *shift = false;
                }
            } else {
                text.push_str(&k.to_lowercase());
            }
        }
    }

    // ---- writes --------------------------------------------------------------------------

    fn act_unit(&mut self, unit: UnitId, action: Action) {
        let actor = self.settings.actor.clone();
        let is_check_out = matches!(action, Action::CheckOut { .. });
        match act_on_unit(&mut self.store, unit, action, &actor, None) {
            Ok(done) => {
                self.message = (Tone::Ok, format!("Saved: {}.", done.message));
                self.feedback.signal(Signal::Success);
                if is_check_out {
                    self.feedback.release();
                }
                self.saved();
            }
            Err(e) => self.fail(&e),
        }
    }

    /// Apply one action to every unit in the basket, all or none.
    fn act_basket(&mut self, person: &str, basket: &[UnitView], action: Action) -> bool {
        let units: Vec<BasketUnit> = basket
            .iter()
            .map(|u| BasketUnit {
                unit: u.id,
                scan: u.asset_tag.clone(),
            })
            .collect();
        match lending::act_on_basket(&mut self.store, &units, &action, &Actor::from(person)) {
            Ok(_) => {
                self.feedback.signal(Signal::Success);
                self.saved();
                true
            }
            Err((_, e @ OpError::Invalid { .. })) => {
                self.say(Tone::Warn, e.user_message());
                false
            }
            Err((i, e)) => {
                let name = basket.get(i).map(|u| u.name.as_str()).unwrap_or("a unit");
                let text = format!("Nothing saved. {name}: {}", e.user_message());
                self.say(Tone::Error, text);
                false
            }
        }
    }

    /// A count-item operation at the count screen, confirmed with `what` ("3 received").
    fn act_count(
        &mut self,
        item: ItemId,
        op: impl FnOnce(&mut Store, &Actor) -> Result<Recorded, OpError>,
        what: String,
    ) {
        let actor = Actor::new(self.settings.actor.clone());
        match op(&mut self.store, &actor) {
            Ok(_) => {
                let name = self
                    .store
                    .find_item(&item.to_string())
                    .map(|i| i.name)
                    .unwrap_or_default();
                self.message = (Tone::Ok, format!("Saved: {name}, {what}."));
                self.feedback.signal(Signal::Success);
                self.flow = Flow::Count { item, qty: 1 };
                self.saved();
            }
            Err(e) => self.fail(&e),
        }
    }

    /// An unknown code scanned, attached to an untagged unit.
    fn attach(&mut self, unit: UnitId, code: &str) {
        let actor = Actor::new(self.settings.actor.clone());
        let change = UnitChange::Tag(Some(code.to_string()));
        match catalog::change_unit(&mut self.store, unit, change, &actor, Some(code)) {
            Ok(_) => {
                let name = self.store.unit(unit).map(|u| u.name).unwrap_or_default();
                self.message = (Tone::Ok, format!("Saved: tag {code} is now on {name}."));
                self.feedback.signal(Signal::Success);
                self.flow = Flow::Unit { unit };
                self.saved();
            }
            Err(e) => self.fail(&e),
        }
    }

    /// An unknown code scanned, registered as a new unit carrying it.
    fn create_unit(&mut self, item: ItemId, name: &str, code: &str) {
        let actor = Actor::new(self.settings.actor.clone());
        let new = NewUnit {
            name: Some(name.to_string()),
            tag: Some(code.to_string()),
            ..NewUnit::default()
        };
        match catalog::add_unit_scanned(&mut self.store, item, new, &actor, Some(code)) {
            Ok(added) => {
                self.message = (Tone::Ok, format!("Saved: new unit {name} with tag {code}."));
                self.feedback.signal(Signal::Success);
                self.flow = Flow::Unit { unit: added.id };
                self.saved();
            }
            Err(e) => self.fail(&e),
        }
    }

    fn finish_audit(&mut self, audit: &Audit) {
        let (cmds, summary) = audit.finish(&self.settings.actor, &now_text());
        match self.store.record_audit(&summary, cmds).map_err(op_error) {
            Ok(_) => {
                let tone = if summary.missing.is_empty() && summary.unexpected.is_empty() {
                    Tone::Ok
                } else {
                    Tone::Warn
                };
                self.message = (tone, format!("Audit saved. {}.", summary.describe()));
                self.feedback.signal(if tone == Tone::Ok {
                    Signal::Success
                } else {
                    Signal::Warning
                });
                self.saved();
                self.go_home();
            }
            Err(e) => self.fail(&e),
        }
    }

    /// After any durable write: wake the sync worker and refresh the status bar.
    fn saved(&mut self) {
        if let Some(w) = &self.sync {
            w.nudge();
        }
        self.refresh_status();
    }

    // ---- helpers -------------------------------------------------------------------------

    fn say(&mut self, tone: Tone, text: String) {
        self.feedback.signal(match tone {
            Tone::Error => Signal::Error,
            Tone::Warn => Signal::Warning,
            _ => Signal::Success,
        });
        self.message = (tone, text);
    }

    fn fail(&mut self, e: &OpError) {
        if e.is_user_error() {
            tracing::info!(error = %e, "refused");
        } else {
            tracing::error!(error = %e, "store failure");
        }
        self.say(Tone::Error, e.user_message());
    }

    fn person_by_badge(&self, code: &str) -> Option<String> {
        self.settings
            .people
            .iter()
            .find(|p| p.badge.as_deref() == Some(code))
            .map(|p| p.name.clone())
    }

    /// Welcome a person at the kiosk, naming what they have overdue.
    fn greet(&mut self, person: &str) {
        let overdue: Vec<String> = self
            .store
            .overdue()
            .unwrap_or_default()
            .into_iter()
            .filter(|u| u.holder.as_deref() == Some(person))
            .map(|u| u.name)
            .collect();
        if overdue.is_empty() {
            self.message = (Tone::Ok, format!("Hello {person}. Scan the units."));
            self.feedback.signal(Signal::Success);
        } else {
            let text = format!(
                "{person}, overdue: {}. Please bring back.",
                overdue.join(", ")
            );
            self.say(Tone::Warn, text);
        }
    }

    fn home(&self) -> Flow {
        if self.settings.kiosk {
            Flow::Kiosk {
                person: None,
                basket: Vec::new(),
                due: "none",
            }
        } else {
            Flow::Scan
        }
    }

    fn at_home(&self) -> bool {
        match (&self.flow, self.settings.kiosk) {
            (Flow::Scan, false) => true,
            (Flow::Kiosk { person: None, .. }, true) => true,
            _ => false,
        }
    }

    fn go_home(&mut self) {
        self.overlay = Overlay::None;
        self.flow = self.home();
    }

    fn restart_idle(&mut self) {
        if self.at_home() && matches!(self.overlay, Overlay::None) {
            self.idle.stop();
            return;
        }
        let long = matches!(
            self.flow,
            Flow::Kiosk {
                person: Some(_),
                ..
            } | Flow::Audit { .. }
        ) || matches!(self.overlay, Overlay::Keyboard { .. });
        let wait = if long {
            self.settings.idle.max(Duration::from_secs(10)) * 6
        } else {
            self.settings.idle
        };
        let me = self.me.clone();
        self.idle.start(TimerMode::SingleShot, wait, move || {
            if let Some(c) = me.upgrade() {
                if let Ok(mut c) = c.try_borrow_mut() {
                    c.idle_timeout();
                }
            }
        });
    }

    fn idle_timeout(&mut self) {
        tracing::debug!("idle: back to the start screen");
        self.message = (Tone::None, String::new());
        self.go_home();
        self.render();
    }

    /// Station name, online/offline, events waiting, last sync.
    pub fn refresh_status(&self) {
        let Some(w) = self.window.upgrade() else {
            return;
        };
        let online = self.sync.as_ref().is_some_and(|s| s.state().online);
        w.set_online(online);
        match self.store.info() {
            Ok(info) => {
                let waiting = if info.pending == 0 {
                    "all synced".to_string()
                } else {
                    format!("{} waiting", info.pending)
                };
                let last = info
                    .last_sync
                    .as_deref()
                    .map(|t| format!("last {}", t.get(11..16).unwrap_or(t)))
                    .unwrap_or_else(|| "never synced".into());
                w.set_sync_text(format!("{waiting} · {last}").into());
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the station state");
                w.set_sync_text("storage problem".into());
            }
        }
    }

    // ---- rendering -----------------------------------------------------------------------

    /// Push the current state into the window's properties.
    pub fn render(&mut self) {
        let Some(w) = self.window.upgrade() else {
            return;
        };
        let result = self.render_into(&w);
        if let Err(e) = result {
            tracing::error!(error = %e, "cannot show the screen");
            self.message = (Tone::Error, e.user_message());
            self.flow = self.home();
            // The home screens read little; try once more without recursing further.
            let _ = self.render_into(&w);
        }
        w.set_message(self.message.1.clone().into());
        w.set_message_tone(self.message.0);
    }

    fn render_into(&self, w: &StationWindow) -> Result<(), StoreError> {
        w.set_station_name(self.settings.station_name.clone().into());
        w.set_mode_text(
            match (self.settings.door, self.settings.kiosk) {
                (Some(d), _) => format!("DOOR: {}", d.label()),
                (None, true) => "KIOSK".into(),
                (None, false) => String::new(),
            }
            .into(),
        );
        match &self.flow {
            Flow::Scan => {
                w.set_screen(Screen::Scan);
                w.set_show_menu(self.settings.door.is_none());
                match self.settings.door {
                    Some(d) => {
                        w.set_scan_title("Scan a tag".into());
                        w.set_scan_subtitle(
                            format!(
                                "Door mode: every scan is saved as {}",
                                d.label().to_uppercase()
                            )
                            .into(),
                        );
                        w.set_hint("No touch needed: just scan.".into());
                    }
                    None => {
                        w.set_scan_title("Scan a tag".into());
                        w.set_scan_subtitle("Hold the label under the scanner".into());
                        w.set_hint("Scan a unit, a product barcode or a badge.".into());
                    }
                }
                let overdue: Vec<Line> = self
                    .store
                    .overdue()?
                    .into_iter()
                    .take(20)
                    .map(|u| {
                        line(
                            u.id.to_string(),
                            format!("OVERDUE {}", u.name),
                            format!(
                                "{}, due {}",
                                u.holder.as_deref().unwrap_or("someone"),
                                u.due.as_deref().unwrap_or("?")
                            ),
                            Tone::Error,
                        )
                    })
                    .collect();
                w.set_overdue(model(overdue));
            }
            Flow::Unit { unit } => {
                // By id directly (the name-or-id lookup scans every unit); a unit
                // folded back into a count meanwhile is not shown, as before.
                let u = self.store.unit(*unit)?;
                if !u.active {
                    return Err(StoreError::NotFound {
                        what: "unit",
                        reference: unit.to_string(),
                    });
                }
                let v = self.store.unit_view(&u)?;
                w.set_screen(Screen::Unit);
                w.set_unit_item(v.item.clone().into());
                w.set_unit_name(v.name.clone().into());
                w.set_unit_tag(
                    v.asset_tag
                        .as_deref()
                        .map(|t| format!("Tag {t}"))
                        .unwrap_or_else(|| "No tag".into())
                        .into(),
                );
                w.set_unit_status(v.status.label().to_uppercase().into());
                w.set_unit_status_key(v.status.as_str().into());
                w.set_unit_status_tone(status_tone(v.status));
                let (holder, holder_tone) = match (&v.holder, v.status) {
                    (Some(h), Status::CheckedOut) => {
                        let due = v
                            .due
                            .as_deref()
                            .map(|d| format!(", due {d}"))
                            .unwrap_or_default();
                        if v.overdue {
                            (format!("With {h}{due}: OVERDUE"), Tone::Error)
                        } else {
                            (format!("With {h}{due}"), Tone::None)
                        }
                    }
                    _ => (String::new(), Tone::None),
                };
                w.set_unit_holder(holder.into());
                w.set_unit_holder_tone(holder_tone);
                w.set_unit_location(
                    v.location
                        .as_deref()
                        .map(|l| format!("At {l}"))
                        .unwrap_or_else(|| "No location recorded".into())
                        .into(),
                );
                let history: Vec<Line> = self
                    .store
                    .history(*unit)?
                    .into_iter()
                    .rev()
                    .take(4)
                    .map(|h| {
                        line(
                            h.event_id.to_string(),
                            h.description,
                            short_time(&h.at),
                            Tone::None,
                        )
                    })
                    .collect();
                w.set_unit_history(model(history));
                let settable = !matches!(v.status, Status::CheckedOut | Status::Retired);
                w.set_unit_can_set_status(settable);
                w.set_unit_can_check_out(v.status == Status::InStock);
                w.set_unit_can_check_in(v.status == Status::CheckedOut);
                w.set_hint(if v.status == Status::CheckedOut {
                    "Checked out: check it in before changing its status.".into()
                } else {
                    "One touch saves. Done returns to the scan screen.".into()
                });
            }
            Flow::Kiosk {
                person,
                basket,
                due,
            } => {
                w.set_screen(Screen::Kiosk);
                w.set_show_menu(!self.settings.kiosk);
                w.set_kiosk_person(person.clone().unwrap_or_default().into());
                let people: Vec<Line> = self
                    .settings
                    .people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| line(i.to_string(), p.name.clone(), "", Tone::None))
                    .collect();
                w.set_people(model(people));
                let rows: Vec<Line> = basket
                    .iter()
                    .rev()
                    .map(|u| {
                        let (detail, tone) = unit_detail(u);
                        line(u.id.to_string(), u.name.clone(), detail, tone)
                    })
                    .collect();
                w.set_basket(model(rows));
                let dues: Vec<Line> = DUE_CHOICES
                    .iter()
                    .map(|(k, label, _)| Line {
                        selected: k == due,
                        tone: if k == due { Tone::Info } else { Tone::None },
                        ..line(*k, *label, "", Tone::None)
                    })
                    .collect();
                w.set_due_choices(model(dues));
                let n = basket.len();
                let all_in = n > 0 && basket.iter().all(|u| u.status == Status::InStock);
                let all_out = n > 0 && basket.iter().all(|u| u.status == Status::CheckedOut);
                w.set_kiosk_can_check_out(all_in);
                w.set_kiosk_can_check_in(all_out);
                w.set_kiosk_check_out_text(format!("Check out {n}").into());
                w.set_kiosk_check_in_text(format!("Check in {n}").into());
                w.set_hint(match (person, n, all_in || all_out) {
                    (None, _, _) => "Scan your badge, or tap your name.".into(),
                    (Some(_), 0, _) => "Scan each unit you take or bring back.".into(),
                    (Some(_), _, false) => {
                        "Mixed basket: check out only units in stock, check in only units checked out.".into()
                    }
                    (Some(_), _, true) => "Scan more, or confirm once for the whole basket.".into(),
                });
            }
            Flow::Count { item, qty } => {
                let it = self.store.find_item(&item.to_string())?;
                let v = self.store.item_view(&it)?;
                w.set_screen(Screen::Count);
                w.set_count_item(v.name.clone().into());
                let mut detail = Vec::new();
                if let Some(s) = &v.sku {
                    detail.push(format!("SKU {s}"));
                }
                if let Some(r) = v.reorder_point {
                    detail.push(format!("reorder at {r}"));
                }
                detail.push(format!("total {}", v.total));
                w.set_count_detail(detail.join(" · ").into());
                let totals: Vec<Total> = Status::COUNTED
                    .iter()
                    .map(|s| Total {
                        label: s.label().into(),
                        value: v.totals.get(s).copied().unwrap_or(0).to_string().into(),
                        tone: if *s == Status::InStock && v.below_reorder_point {
                            Tone::Warn
                        } else {
                            Tone::None
                        },
                    })
                    .collect();
                w.set_count_totals(model(totals));
                w.set_count_warning(if v.below_reorder_point {
                    format!(
                        "Below reorder point ({}): order more",
                        v.reorder_point.unwrap_or(0)
                    )
                    .into()
                } else {
                    SharedString::new()
                });
                w.set_count_qty(*qty as i32);
                w.set_hint("Set the quantity, then touch what happened to it.".into());
            }
            Flow::Unknown { code, item } => {
                w.set_screen(Screen::Unknown);
                w.set_unknown_code(code.clone().into());
                match item {
                    None => {
                        let rows: Vec<Line> = self
                            .store
                            .items()?
                            .into_iter()
                            .filter(|i| i.tracking == Tracking::Units)
                            .map(|i| {
                                line(
                                    i.id.to_string(),
                                    i.name,
                                    count_units(i.units as usize),
                                    Tone::None,
                                )
                            })
                            .collect();
                        w.set_unknown_prompt("Attach it to a unit. Which item is it?".into());
                        w.set_unknown_choices(model(rows));
                        w.set_unknown_can_create(false);
                        w.set_unknown_can_go_back(false);
                    }
                    Some(item) => {
                        let it = self.store.find_item(&item.to_string())?;
                        let rows: Vec<Line> = self
                            .store
                            .units(Some(*item), false)?
                            .into_iter()
                            .filter(|u| u.asset_tag.is_none() && u.status != Status::Retired)
                            .map(|u| {
                                let (detail, tone) = unit_detail(&u);
                                line(u.id.to_string(), u.name, detail, tone)
                            })
                            .collect();
                        w.set_unknown_prompt(
                            if rows.is_empty() {
                                format!("{} has no untagged unit: create a new one.", it.name)
                            } else {
                                format!(
                                    "Tap the {} unit that carries this tag, or create a new one.",
                                    it.name
                                )
                            }
                            .into(),
                        );
                        w.set_unknown_choices(model(rows));
                        w.set_unknown_can_create(true);
                        w.set_unknown_can_go_back(true);
                    }
                }
                w.set_hint("Nothing is saved until you choose.".into());
            }
            Flow::AuditPick => {
                w.set_screen(Screen::Audit);
                w.set_audit_location(SharedString::new());
                let rows: Vec<Line> = self
                    .store
                    .locations()?
                    .into_iter()
                    .map(|l| line(l.clone(), l, "", Tone::None))
                    .collect();
                w.set_audit_locations(model(rows));
                w.set_hint("Pick the location you are standing in.".into());
            }
            Flow::Audit { audit, seen } => {
                w.set_screen(Screen::Audit);
                w.set_audit_location(audit.location.clone().into());
                let missing: Vec<Line> = audit
                    .missing()
                    .map(|u| {
                        line(
                            u.id.to_string(),
                            u.name.clone(),
                            u.asset_tag.clone().unwrap_or_default(),
                            Tone::None,
                        )
                    })
                    .collect();
                let n_missing = missing.len();
                let total = |label: &str, n: usize, tone: Tone| Total {
                    label: label.into(),
                    value: n.to_string().into(),
                    tone: if n == 0 { Tone::None } else { tone },
                };
                w.set_audit_totals(model(vec![
                    total("expected", audit.expected.len(), Tone::None),
                    total("found", audit.found.len(), Tone::Ok),
                    total("not found", n_missing, Tone::Error),
                    total("unexpected", audit.unexpected.len(), Tone::Warn),
                ]));
                w.set_audit_missing(model(missing));
                w.set_audit_seen(model(seen.clone()));
                w.set_hint("Scan every unit here, then Finish audit.".into());
            }
        }
        // Overlays.
        match &self.overlay {
            Overlay::None => {
                w.set_show_picker(false);
                w.set_show_keyboard(false);
            }
            Overlay::Picker(ask) => {
                let (title, rows, can_type): (&str, Vec<Line>, bool) = match ask {
                    Ask::Holder => (
                        "Check out to whom?",
                        self.settings
                            .people
                            .iter()
                            .map(|p| line(p.name.clone(), p.name.clone(), "", Tone::None))
                            .collect(),
                        true,
                    ),
                    Ask::Location => (
                        "Move to which location?",
                        self.store
                            .locations()?
                            .into_iter()
                            .map(|l| line(l.clone(), l, "", Tone::None))
                            .collect(),
                        true,
                    ),
                    _ => ("", Vec::new(), false),
                };
                w.set_picker_title(title.into());
                w.set_picker_rows(model(rows));
                w.set_picker_can_type(can_type);
                w.set_show_picker(true);
                w.set_show_keyboard(false);
            }
            Overlay::Keyboard { ask, text, shift } => {
                let prompt = match ask {
                    Ask::Holder => "Name:",
                    Ask::Location => "Location:",
                    Ask::Code => "Code:",
                    Ask::NewUnitName => "Unit name:",
                };
                w.set_keyboard_prompt(prompt.into());
                w.set_keyboard_text(text.clone().into());
                w.set_keyboard_shift(*shift);
                let rows: Vec<ModelRc<SharedString>> = KEYS
                    .iter()
                    .map(|r| {
                        model(
                            r.chars()
                                .map(|c| {
                                    let s = if *shift {
                                        c.to_uppercase().to_string()
                                    } else {
                                        c.to_lowercase().to_string()
                                    };
                                    SharedString::from(s)
                                })
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect();
                w.set_keyboard_row1(rows[0].clone());
                w.set_keyboard_row2(rows[1].clone());
                w.set_keyboard_row3(rows[2].clone());
                w.set_keyboard_row4(rows[3].clone());
                w.set_show_keyboard(true);
                w.set_show_picker(false);
            }
        }
        Ok(())
    }
}

fn count_units(n: usize) -> String {
    if n == 1 {
        "1 unit".into()
    } else {
        format!("{n} units")
    }
}

/// The running station UI: the window, its controller and its timers.
pub struct StationUi {
    controller: Rc<RefCell<Controller>>,
    window: StationWindow,
    _status_timer: Timer,
}

/// Hands scans to the UI thread from any thread (stdin, scanner, camera).
#[derive(Clone)]
pub struct ScanFeeder {
    window: slint::Weak<StationWindow>,
}

impl ScanFeeder {
    /// Queue a scan for the UI; false once the UI has gone.
    pub fn feed(&self, text: String) -> bool {
        let w = self.window.clone();
        slint::invoke_from_event_loop(move || {
            if let Some(w) = w.upgrade() {
                w.invoke_scanned(text.into());
            }
        })
        .is_ok()
    }

    /// Deliver one event from the scan inputs (scanners, cameras, line input) to the UI
    /// thread. Returns false once the UI is gone.
    pub fn deliver(&self, ev: &ScanEvent) -> bool {
        let Some((kind, text)) = input_words(ev) else {
            return true;
        };
        let w = self.window.clone();
        slint::invoke_from_event_loop(move || {
            if let Some(w) = w.upgrade() {
                w.invoke_input_event(kind.into(), text.into());
            }
        })
        .is_ok()
    }
}

/// What an input event means to the screen: a kind (`item`, `badge`, `rejected`,
/// `source-lost`, `source-back`) and its code or message. `None`: nothing to show.
pub fn input_words(ev: &ScanEvent) -> Option<(&'static str, String)> {
    Some(match ev {
        ScanEvent::Scan(scan) => (
            match scan.role {
                ScanRole::Item => "item",
                ScanRole::Badge => "badge",
            },
            scan.text.as_str().to_string(),
        ),
        ScanEvent::Rejected { reason, .. } => ("rejected", reason.user_message().to_string()),
        ScanEvent::Status { source, status } => match status {
            SourceStatus::Connected(_) => ("source-back", format!("{source} is ready.")),
            SourceStatus::Disconnected(_) => (
                "source-lost",
                format!(
                    "{source} is not connected. Check its cable; scanning continues when it is back."
                ),
            ),
            SourceStatus::Failed(_) => (
                "source-lost",
                format!("{source} stopped working. Restart the station or call the person in charge."),
            ),
            SourceStatus::Finished => return None,
        },
    })
}

impl StationUi {
    /// Build the window and its controller. The Slint platform (a real backend, or the
    /// testing backend in tests) must be usable from this thread.
    pub fn new(
        store: Store,
        settings: Settings,
        feedback: Arc<dyn Feedback>,
        sync: Option<Worker>,
    ) -> Result<StationUi, UiError> {
        let window = StationWindow::new()?;
        let controller = Rc::new_cyclic(|me| {
            RefCell::new(Controller {
                store,
                window: window.as_weak(),
                flow: if settings.kiosk {
                    Flow::Kiosk {
                        person: None,
                        basket: Vec::new(),
                        due: "none",
                    }
                } else {
                    Flow::Scan
                },
                settings,
                feedback,
                sync,
                overlay: Overlay::None,
                message: (Tone::None, String::new()),
                idle: Timer::default(),
                me: me.clone(),
            })
        });
        let c = Rc::downgrade(&controller);
        window.on_act(move |action, arg| {
            if let Some(c) = c.upgrade() {
                match c.try_borrow_mut() {
                    Ok(mut c) => c.on_act(&action, &arg),
                    Err(_) => tracing::warn!(%action, "touch while busy, ignored"),
                }
            }
        });
        let c = Rc::downgrade(&controller);
        window.on_input_event(move |kind, text| {
            if let Some(c) = c.upgrade() {
                match c.try_borrow_mut() {
                    Ok(mut c) => c.on_input(&kind, &text),
                    Err(_) => tracing::warn!(%kind, "input while busy, ignored"),
                }
            }
        });
        let c = Rc::downgrade(&controller);
        window.on_scanned(move |text| {
            if let Some(c) = c.upgrade() {
                match c.try_borrow_mut() {
                    Ok(mut c) => c.on_scan(&text),
                    Err(_) => tracing::warn!("scan while busy, ignored"),
                }
            }
        });
        let status_timer = Timer::default();
        let c = Rc::downgrade(&controller);
        status_timer.start(TimerMode::Repeated, Duration::from_secs(1), move || {
            if let Some(c) = c.upgrade() {
                if let Ok(c) = c.try_borrow() {
                    c.refresh_status();
                }
            }
        });
        {
            let mut c = controller.borrow_mut();
            c.render();
            c.refresh_status();
        }
        Ok(StationUi {
            controller,
            window,
            _status_timer: status_timer,
        })
    }

    pub fn window(&self) -> &StationWindow {
        &self.window
    }

    /// A scan, on the UI thread.
    pub fn on_scan(&self, text: &str) {
        self.controller.borrow_mut().on_scan(text);
    }

    /// An event from the scan inputs, handled at once on this thread (tests, benchmark);
    /// other threads use [`ScanFeeder::deliver`].
    pub fn input(&self, ev: &ScanEvent) {
        if let Some((kind, text)) = input_words(ev) {
            self.controller.borrow_mut().on_input(kind, &text);
        }
    }

    /// A touch, as the window reports it (`"status", "damaged"`); for scripts and benchmarks.
    pub fn act(&self, action: &str, arg: &str) {
        self.controller.borrow_mut().on_act(action, arg);
    }

    /// Something to give other threads so they can deliver scans.
    pub fn feeder(&self) -> ScanFeeder {
        ScanFeeder {
            window: self.window.as_weak(),
        }
    }

    /// Read the store (tests, benchmark).
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(self.controller.borrow().store())
    }

    /// Refresh the status bar now (it also refreshes every second).
    pub fn refresh_status(&self) {
        self.controller.borrow().refresh_status();
    }

    /// Show the window and run the event loop until the window is closed.
    pub fn run(&self) -> Result<(), UiError> {
        self.window.run()?;
        Ok(())
    }
}
