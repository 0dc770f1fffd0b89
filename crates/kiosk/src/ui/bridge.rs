//! The typed bridge between the window and the flow: the Slint enums of
//! `ui/protocol.slint` (`UiAction`, `UnitStatus`, `Choices`) turned into the flow's
//! [`Touch`], and the window's callbacks connected to the driver. A finger on the
//! signature pad is collected into strokes by the driver's [`super::pad::Pad`] and
//! reaches the flow only at Done, as [`Input::Signed`].

use std::cell::RefCell;
use std::rc::Weak;

use super::driver::Driver;
use super::flow::{key_at, Input, Touch};
use super::generated::{PenPhase, StationWindow, UiAction, UnitStatus};
use super::pad::Pen;
use tagstation_core::catalog::Status;

/// The touch a button with no argument stands for.
pub fn touch(action: UiAction) -> Touch {
    match action {
        UiAction::OpenKiosk => Touch::OpenKiosk,
        UiAction::OpenAudit => Touch::OpenAudit,
        UiAction::TypeCode => Touch::TypeCode,
        UiAction::NewTagged => Touch::NewTagged,
        UiAction::Done => Touch::Done,
        UiAction::CheckOut => Touch::CheckOut,
        UiAction::CheckIn => Touch::CheckIn,
        UiAction::Move => Touch::Move,
        UiAction::PrintLabel => Touch::PrintLabel,
        UiAction::BasketCheckOut => Touch::BasketCheckOut,
        UiAction::BasketCheckIn => Touch::BasketCheckIn,
        UiAction::Receive => Touch::Receive,
        UiAction::Consume => Touch::Consume,
        UiAction::CountDamaged => Touch::CountDamaged,
        UiAction::OtherItem => Touch::OtherItem,
        UiAction::NewUnit => Touch::NewUnit,
        UiAction::FinishAudit => Touch::FinishAudit,
        UiAction::PickerType => Touch::PickerType,
        UiAction::PickerCancel => Touch::PickerCancel,
        UiAction::KeyShift => Touch::KeyShift,
        UiAction::KeySpace => Touch::Key(' '),
        UiAction::KeyDelete => Touch::KeyDelete,
        UiAction::KeyCancel => Touch::KeyCancel,
        UiAction::KeyOk => Touch::KeyOk,
        UiAction::LendAnyway => Touch::LendAnyway,
        UiAction::KeepReservation => Touch::KeepReservation,
        UiAction::ConfirmReturn => Touch::ConfirmReturn,
        UiAction::CancelReturn => Touch::CancelReturn,
        UiAction::SignDone => Touch::SignDone,
        UiAction::SignClear => Touch::SignClear,
        UiAction::SignCancel => Touch::SignCancel,
        UiAction::Reserve => Touch::Reserve,
        UiAction::BookEarlier => Touch::BookEarlier,
        UiAction::BookLater => Touch::BookLater,
        UiAction::BookShorter => Touch::BookShorter,
        UiAction::BookLonger => Touch::BookLonger,
        UiAction::BookConfirm => Touch::BookConfirm,
        UiAction::BookCancel => Touch::BookCancel,
    }
}

/// A status as the window names it.
pub fn ui_status(s: Status) -> UnitStatus {
    match s {
        Status::InStock => UnitStatus::InStock,
        Status::Receiving => UnitStatus::Receiving,
        Status::Sending => UnitStatus::Sending,
        Status::Damaged => UnitStatus::Damaged,
        Status::CheckedOut => UnitStatus::CheckedOut,
        Status::Retired => UnitStatus::Retired,
    }
}

/// A status the window names.
pub fn status(s: UnitStatus) -> Status {
    match s {
        UnitStatus::InStock => Status::InStock,
        UnitStatus::Receiving => Status::Receiving,
        UnitStatus::Sending => Status::Sending,
        UnitStatus::Damaged => Status::Damaged,
        UnitStatus::CheckedOut => Status::CheckedOut,
        UnitStatus::Retired => Status::Retired,
    }
}

/// A finger on the signature pad, as the window reports it.
pub fn pen(phase: PenPhase) -> Pen {
    match phase {
        PenPhase::Down => Pen::Down,
        PenPhase::Move => Pen::Move,
        PenPhase::Up => Pen::Up,
    }
}

/// Run `f` on the driver, unless it is gone or busy (a touch while a write runs).
fn with(driver: &Weak<RefCell<Driver>>, what: &str, f: impl FnOnce(&mut Driver)) {
    if let Some(d) = driver.upgrade() {
        match d.try_borrow_mut() {
            Ok(mut d) => f(&mut d),
            Err(_) => tracing::warn!(what, "touch while busy, ignored"),
        }
    }
}

/// Connect every callback of the window to the driver.
pub fn connect(window: &StationWindow, driver: &Weak<RefCell<Driver>>) {
    let d = driver.clone();
    window.on_act(move |a| with(&d, "act", |d| d.touch(touch(a))));
    let d = driver.clone();
    window.on_set_status(move |s| with(&d, "set-status", |d| d.touch(Touch::SetStatus(status(s)))));
    let d = driver.clone();
    window.on_step(move |n| with(&d, "step", |d| d.touch(Touch::Step(i64::from(n)))));
    let d = driver.clone();
    window.on_choose(move |list, index| {
        with(&d, "choose", |d| match d.shown(list, index) {
            Some(c) => d.touch(Touch::Choose(c)),
            None => tracing::warn!(?list, index, "a choice that is not on screen, ignored"),
        })
    });
    let d = driver.clone();
    window.on_key(move |row, column| {
        let key = usize::try_from(row)
            .ok()
            .zip(usize::try_from(column).ok())
            .and_then(|(r, c)| key_at(r, c));
        with(&d, "key", |d| match key {
            Some(k) => d.touch(Touch::Key(k)),
            None => tracing::warn!(row, column, "no such key, ignored"),
        })
    });
    let d = driver.clone();
    window.on_typed(move |text| with(&d, "typed", |d| d.feed(Input::Typed(text.to_string()))));
    // The ink stays here (the driver's pad) until Done: a move redraws the path only.
    let d = driver.clone();
    window.on_pen(move |phase, x, y| with(&d, "pen", |d| d.pen(pen(phase), x, y)));
}
