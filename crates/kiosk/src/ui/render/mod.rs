//! Rendering: the flow's [`State`] (and what the store says about the units and items
//! on screen) into the window's properties and models. Nothing here decides anything;
//! it returns [`Shown`], what each row of each list of choices stands for, so a touch on
//! a row can be reported to the flow as a typed [`Choice`].

mod screens;

use slint::{ModelRc, SharedString, VecModel};

use super::flow::{
    Ask, Booking, Choice, Overlay, State, Tone as FlowTone, BOOK_AHEAD_DAYS, BOOK_MAX_DAYS, KEYS,
};
use super::generated::{Choices, Line, StationWindow, Tone};
use tagstation_core::catalog::Status;
use tagstation_station::store::{Store, StoreError};
use tagstation_station::sync::Worker;

/// What each row of each list of choices on screen stands for, by list and index.
#[derive(Debug, Default)]
pub struct Shown {
    pub people: Vec<Choice>,
    pub due: Vec<Choice>,
    pub unknown: Vec<Choice>,
    pub locations: Vec<Choice>,
    pub picker: Vec<Choice>,
    pub kit: Vec<Choice>,
}

impl Shown {
    /// The choice at `index` of `list`, if that row is on screen.
    pub fn get(&self, list: Choices, index: i32) -> Option<Choice> {
        let rows = match list {
            Choices::People => &self.people,
            Choices::Due => &self.due,
            Choices::Unknown => &self.unknown,
            Choices::Locations => &self.locations,
            Choices::Picker => &self.picker,
            Choices::Kit => &self.kit,
        };
        usize::try_from(index)
            .ok()
            .and_then(|i| rows.get(i))
            .cloned()
    }
}

/// Rows for the window and the choices they stand for, built together.
#[derive(Default)]
struct Rows {
    lines: Vec<Line>,
    choices: Vec<Choice>,
}

impl Rows {
    fn push(&mut self, choice: Choice, line: Line) {
        self.choices.push(choice);
        self.lines.push(line);
    }
}

/// Show `state`: every property of the current screen and overlay, and the message.
/// An error reading the store leaves the window half updated; the caller tells the
/// flow ([`super::flow::Input::CannotShow`]) and renders again.
pub fn show(w: &StationWindow, state: &State, store: &Store) -> Result<Shown, StoreError> {
    let mut shown = Shown::default();
    let s = &state.settings;
    w.set_station_name(s.station_name.clone().into());
    w.set_mode_text(
        match (s.door, s.kiosk) {
            (Some(d), _) => format!("DOOR: {}", d.label()),
            (None, true) => "KIOSK".into(),
            (None, false) => String::new(),
        }
        .into(),
    );
    screens::show(w, state, store, &mut shown)?;
    overlay(w, state, store, &mut shown)?;
    Ok(shown)
}

/// The bottom line, shown whatever else could be read.
pub fn message(w: &StationWindow, state: &State) {
    w.set_message(state.message.1.clone().into());
    w.set_message_tone(tone(state.message.0));
}

/// The status bar: online/offline, events waiting to sync, the last sync.
pub fn status_bar(w: &StationWindow, store: &Store, sync: Option<&Worker>) {
    w.set_online(sync.is_some_and(|s| s.state().online));
    match store.info() {
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

fn overlay(
    w: &StationWindow,
    state: &State,
    store: &Store,
    shown: &mut Shown,
) -> Result<(), StoreError> {
    let on = &state.overlay;
    w.set_show_picker(matches!(on, Overlay::Picker(_)));
    w.set_show_keyboard(matches!(on, Overlay::Keyboard { .. }));
    w.set_show_reserved(matches!(on, Overlay::Reserved { .. }));
    w.set_show_signature(matches!(on, Overlay::Signature { .. }));
    w.set_show_booking(matches!(on, Overlay::Booking(_)));
    match on {
        Overlay::None => {}
        Overlay::Signature { holder } => {
            w.set_signature_title(format!("{holder}, please sign for the check-out").into());
            w.set_hint("Sign with a finger on the white pad, then touch Done.".into());
        }
        Overlay::Reserved { text, may_override } => {
            w.set_reserved_text(text.clone().into());
            w.set_reserved_can_override(*may_override);
        }
        Overlay::Booking(b) => booking(w, b, store),
        Overlay::Picker(ask) => {
            let mut rows = Rows::default();
            let (title, can_type) = match ask {
                Ask::Holder | Ask::ReserveFor => {
                    for name in store.borrowers()? {
                        let l = line(name.clone(), "", Tone::None);
                        rows.push(Choice::Person(name), l);
                    }
                    let title = if *ask == Ask::Holder {
                        "Check out to whom?"
                    } else {
                        "Reserve for whom?"
                    };
                    (title, true)
                }
                Ask::Location => {
                    for l in store.locations()? {
                        let row = line(l.clone(), "", Tone::None);
                        rows.push(Choice::Location(l), row);
                    }
                    ("Move to which location?", true)
                }
                Ask::Code | Ask::NewUnitName | Ask::NewTaggedName => ("", false),
            };
            w.set_picker_title(title.into());
            w.set_picker_rows(model(rows.lines));
            shown.picker = rows.choices;
            w.set_picker_can_type(can_type);
        }
        Overlay::Keyboard { ask, text, shift } => {
            let prompt = match ask {
                Ask::Holder | Ask::ReserveFor => "Name:",
                Ask::Location => "Location:",
                Ask::Code => "Code:",
                Ask::NewUnitName | Ask::NewTaggedName => "Unit name:",
            };
            w.set_keyboard_prompt(prompt.into());
            w.set_keyboard_text(text.clone().into());
            w.set_keyboard_shift(*shift);
            let row = |r: &str| {
                model(
                    r.chars()
                        .map(|c| {
                            let s: String = if *shift {
                                c.to_uppercase().collect()
                            } else {
                                c.to_lowercase().collect()
                            };
                            SharedString::from(s)
                        })
                        .collect(),
                )
            };
            w.set_keyboard_row1(row(KEYS[0]));
            w.set_keyboard_row2(row(KEYS[1]));
            w.set_keyboard_row3(row(KEYS[2]));
            w.set_keyboard_row4(row(KEYS[3]));
        }
    }
    Ok(())
}

/// The days of a reservation being made, in words: "From tomorrow, Tue 2026-12-08",
/// "For 3 days, to Thu 2026-12-10".
fn booking(w: &StationWindow, b: &Booking, store: &Store) {
    let (first, last) = b.dates(store);
    let when = match b.from {
        0 => "today, ".to_string(),
        1 => "tomorrow, ".to_string(),
        _ => String::new(),
    };
    w.set_booking_title(format!("Reserve {} for {}", b.what, b.person).into());
    w.set_booking_first(format!("From {when}{}", day(&first)).into());
    w.set_booking_length(
        if b.days == 1 {
            "For 1 day".to_string()
        } else {
            format!("For {} days, to {}", b.days, day(&last))
        }
        .into(),
    );
    w.set_booking_can_earlier(b.from > 0);
    w.set_booking_can_later(b.from < BOOK_AHEAD_DAYS);
    w.set_booking_can_shorter(b.days > 1);
    w.set_booking_can_longer(b.days < BOOK_MAX_DAYS);
    w.set_hint("Choose the days, then touch Reserve.".into());
}

/// `2026-12-08` → `Tue 2026-12-08` (the date alone if it is not one).
fn day(date: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(date, &fmt) {
        Ok(d) => {
            let name = d.weekday().to_string();
            format!("{} {date}", name.get(..3).unwrap_or(&name))
        }
        Err(_) => date.to_string(),
    }
}

fn line(title: impl Into<SharedString>, detail: impl Into<SharedString>, tone: Tone) -> Line {
    Line {
        title: title.into(),
        detail: detail.into(),
        tone,
        selected: false,
    }
}

fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(v))
}

fn tone(t: FlowTone) -> Tone {
    match t {
        FlowTone::None => Tone::None,
        FlowTone::Ok => Tone::Ok,
        FlowTone::Warn => Tone::Warn,
        FlowTone::Error => Tone::Error,
    }
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
