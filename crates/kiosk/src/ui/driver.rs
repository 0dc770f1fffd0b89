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

use super::flow::{Choice, Effect, Input, LabelOutcome, State, Touch};
use super::generated::{Choices, StationWindow};
use super::inbox::{self, Inbound};
use super::render::{self, Shown};
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
    /// The same channel's sending end, for the label printing threads.
    outbox: Sender<Inbound>,
    me: Weak<RefCell<Driver>>,
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
        }
    }

    /// Feed every message waiting on the channel, in order.
    pub fn drain_inbox(&mut self) {
        while let Ok(message) = self.inbox.try_recv() {
            self.feed(match message {
                Inbound::Scan(ev) => Input::Scanned(ev),
                Inbound::Printed(outcome) => Input::Printed(outcome),
            });
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
            }
        }
        self.render();
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

    pub fn touch(&mut self, t: Touch) {
        self.feed(Input::Touch(t));
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
