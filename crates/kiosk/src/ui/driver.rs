//! The driver: feeds the flow its inputs, carries out the effects it returns (writes
//! through [`super::store::run`], feedback, the sync nudge, the idle timer, printing a
//! label on a thread of its own) and renders the resulting state into the window. The
//! one place where the flow meets the world.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Weak;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use slint::{Timer, TimerMode};

use super::flow::{Choice, Effect, Input, LabelOutcome, Overlay, State, Touch};
use super::generated::{Choices, StationWindow};
use super::inbox::{self, Inbound};
use super::pad::{Pad, Pen};
use super::photo;
use super::render::{self, Shown};
use super::viewfinder::Camera;
use crate::feedback::Feedback;
use tagstation_core::catalog::UnitId;
use tagstation_station::store::{op_error, Store};
use tagstation_station::sync::Worker;

pub struct Driver {
    pub(super) store: Store,
    state: State,
    feedback: Arc<dyn Feedback>,
    sync: Option<Worker>,
    window: slint::Weak<StationWindow>,
    /// What the rows of the lists on screen stand for, from the last render.
    shown: Shown,
    idle: Timer,
    /// Scan events from the input threads, labels' outcomes ([`super::inbox`]).
    inbox: Receiver<Inbound>,
    /// The same channel's sending end, for the label printing and photo threads.
    outbox: Sender<Inbound>,
    me: Weak<RefCell<Driver>>,
    /// The ink on the signature pad while it is open.
    pad: Pad,
    /// The camera's pictures, for condition photos (none: no camera here).
    pub(super) camera: Option<Camera>,
    /// Condition photos being encoded on their threads.
    pub(super) photos_in_flight: usize,
}

/// What a driver is made of.
pub struct Parts {
    pub store: Store,
    pub state: State,
    pub feedback: Arc<dyn Feedback>,
    pub sync: Option<Worker>,
    pub window: slint::Weak<StationWindow>,
    pub inbox: Receiver<Inbound>,
    pub outbox: Sender<Inbound>,
}

impl Driver {
    pub fn new(parts: Parts, me: Weak<RefCell<Driver>>) -> Driver {
        Driver {
            store: parts.store,
            state: parts.state,
            feedback: parts.feedback,
            sync: parts.sync,
            window: parts.window,
            shown: Shown::default(),
            idle: Timer::default(),
            inbox: parts.inbox,
            outbox: parts.outbox,
            me,
            pad: Pad::default(),
            camera: None,
            photos_in_flight: 0,
        }
    }

    /// Feed every message waiting on the channel, in order.
    pub fn drain_inbox(&mut self) {
        while let Ok(message) = self.inbox.try_recv() {
            match message {
                Inbound::Scan(ev) => self.feed(Input::Scanned(ev)),
                Inbound::Printed(outcome) => self.feed(Input::Printed(outcome)),
                Inbound::Photo(encoded) => self.keep_photo(encoded),
            }
        }
    }

    /// One input through the flow, its effects carried out, then the screen redrawn.
    pub fn feed(&mut self, input: Input) {
        let mut queue: VecDeque<Effect> = self.state.handle(input, &self.store).into();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Run(op) => {
                    let actor = self.state.settings.actor.clone();
                    let result = super::store::run(&mut self.store, &op, &actor, &*self.feedback);
                    if let Some(result) = result {
                        let next = self
                            .state
                            .handle(Input::Finished { op, result }, &self.store);
                        queue.extend(next);
                    }
                }
                Effect::Signal(s) => self.feedback.signal(s),
                Effect::Release => self.feedback.release(),
                Effect::Saved => {
                    if let Some(w) = &self.sync {
                        w.nudge();
                    }
                    self.refresh_status();
                }
                Effect::Idle(wait) => self.set_idle(wait),
                Effect::PrintLabel { unit } => {
                    if let Some(input) = self.print_label(unit) {
                        queue.extend(self.state.handle(input, &self.store));
                    }
                }
                Effect::Photo { of } => self.take_photo(of),
            }
        }
        self.render();
    }

    /// A finger on the signature pad: only the ink is redrawn (the flow hears of it
    /// at Done), so drawing costs one property and one path per move.
    pub fn pen(&mut self, pen: Pen, x: f32, y: f32) {
        if !matches!(self.state.overlay, Overlay::Signature { .. }) {
            return;
        }
        let was_empty = self.pad.is_empty();
        if self.pad.pen(pen, x, y) {
            if let Some(w) = self.window.upgrade() {
                w.set_signature_path(self.pad.commands().into());
                if was_empty {
                    w.set_signature_empty(false);
                }
            }
        }
    }

    /// Condition photo of each unit for its event (`of`): the camera's newest picture
    /// encoded once, on a thread of its own, and kept for each when it comes back
    /// through the inbox. Whatever goes wrong only loses the photo; the events are
    /// saved and the screen said so.
    fn take_photo(&mut self, of: Vec<(UnitId, uuid::Uuid)>) {
        let units = of.len();
        let Some(camera) = &self.camera else {
            tracing::warn!(
                units,
                "condition photo skipped: no camera input at this station"
            );
            return;
        };
        let Some(picture) = camera.newest() else {
            tracing::warn!(
                units,
                "condition photo skipped: the camera has delivered no picture yet (or stopped)"
            );
            return;
        };
        let outbox = self.outbox.clone();
        let spawned = std::thread::Builder::new()
            .name("condition-photo".into())
            .spawn(move || {
                let jpeg = photo::encode(&picture);
                if !inbox::post(&outbox, Inbound::Photo(photo::Encoded { of, jpeg })) {
                    tracing::warn!(
                        units,
                        "condition photo encoded after the screen closed: not kept"
                    );
                }
            });
        match spawned {
            Ok(_) => self.photos_in_flight += 1,
            Err(e) => {
                tracing::warn!(error = %e, units, "condition photo skipped: cannot start its thread")
            }
        }
    }

    /// A photo back from its thread: the short, durable file writes, on this thread
    /// (the store lives here), one per unit, each naming its unit and event inside
    /// the JPEG ([`photo::labelled`]). A full disk or a blocked directory loses the
    /// photo only.
    fn keep_photo(&mut self, encoded: photo::Encoded) {
        self.photos_in_flight = self.photos_in_flight.saturating_sub(1);
        let photo::Encoded { of, jpeg } = encoded;
        let jpeg = match jpeg {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, units = of.len(), "condition photo not kept: cannot encode the picture as JPEG");
                return;
            }
        };
        let mut kept = 0;
        for (unit, event) in of {
            let jpeg = photo::labelled(&jpeg, unit, event);
            match self.store.keep_photo(event, unit, &jpeg) {
                Ok(sha256) => {
                    tracing::info!(%event, %unit, %sha256, bytes = jpeg.len(), "condition photo kept");
                    kept += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, %event, %unit, "condition photo not kept; the event is saved without it")
                }
            }
        }
        if kept > 0 {
            if let Some(w) = &self.sync {
                w.nudge();
            }
        }
    }

    /// Send `unit`'s label to the printer on a thread of its own; its outcome comes
    /// back through the inbox. What fails before that (no printer, the unit unreadable
    /// or without a tag) is returned at once.
    fn print_label(&self, unit: UnitId) -> Option<Input> {
        let printer = self.state.settings.labels.clone()?;
        let view = match self.store.unit(unit).and_then(|u| self.store.unit_view(&u)) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, %unit, "cannot read the unit to print its label");
                return Some(Input::CannotShow(op_error(e)));
            }
        };
        if view.asset_tag.is_none() {
            return Some(Input::Printed(LabelOutcome {
                unit: view.name,
                result: Err("it has no tag yet: scan its tag first.".into()),
            }));
        }
        let name = view.name.clone();
        let outbox = self.outbox.clone();
        let spawned = std::thread::Builder::new()
            .name("label-printer".into())
            .spawn(move || {
                let result = match printer.print(&view) {
                    Ok(printed) => {
                        tracing::info!(unit = %view.name, printer = %printed.printer, job = ?printed.job, "label printed");
                        Ok(printed.printer.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                };
                let outcome = LabelOutcome {
                    unit: view.name,
                    result,
                };
                if !inbox::post(&outbox, Inbound::Printed(outcome)) {
                    tracing::debug!("the label's outcome arrived after the screen closed");
                }
            });
        match spawned {
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the label printing thread");
                Some(Input::Printed(LabelOutcome {
                    unit: name,
                    result: Err("the station could not start printing; try again.".into()),
                }))
            }
        }
    }

    /// A touch; Done on the signature pad goes to the flow with the strokes drawn.
    pub fn touch(&mut self, t: Touch) {
        match t {
            Touch::SignDone if matches!(self.state.overlay, Overlay::Signature { .. }) => {
                self.feed(Input::Signed(self.pad.signature()))
            }
            Touch::SignClear => {
                self.pad.clear();
                self.feed(Input::Touch(t));
            }
            t => self.feed(Input::Touch(t)),
        }
    }

    /// The choice at `index` of the list `list` as last rendered.
    pub fn shown(&self, list: Choices, index: i32) -> Option<Choice> {
        self.shown.get(list, index)
    }

    /// Push the state into the window. A screen that cannot be read is reported to the
    /// flow, which goes back to the start screen; that is drawn once more.
    pub fn render(&mut self) {
        let Some(w) = self.window.upgrade() else {
            return;
        };
        match render::show(&w, &self.state, &self.store) {
            Ok(shown) => self.shown = shown,
            Err(e) => {
                // Its effects only stop the idle timer (the start screen has none).
                for effect in self
                    .state
                    .handle(Input::CannotShow(op_error(e)), &self.store)
                {
                    if let Effect::Idle(wait) = effect {
                        self.set_idle(wait);
                    }
                }
                match render::show(&w, &self.state, &self.store) {
                    Ok(shown) => self.shown = shown,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot show the start screen either");
                        self.shown = Shown::default();
                    }
                }
            }
        }
        render::message(&w, &self.state);
        // A pad that closed (signed, cancelled, gone home) is blank when it opens next.
        if !matches!(self.state.overlay, Overlay::Signature { .. }) && !self.pad.is_empty() {
            self.pad.clear();
        }
        w.set_signature_path(self.pad.commands().into());
        w.set_signature_empty(self.pad.is_empty());
    }

    /// Station name, online/offline, events waiting, last sync.
    pub fn refresh_status(&self) {
        if let Some(w) = self.window.upgrade() {
            render::status_bar(&w, &self.store, self.sync.as_ref());
        }
    }

    fn set_idle(&mut self, wait: Option<Duration>) {
        let Some(wait) = wait else {
            self.idle.stop();
            return;
        };
        let me = self.me.clone();
        self.idle.start(TimerMode::SingleShot, wait, move || {
            if let Some(d) = me.upgrade() {
                if let Ok(mut d) = d.try_borrow_mut() {
                    d.feed(Input::IdleTimeout);
                }
            }
        });
    }
}
