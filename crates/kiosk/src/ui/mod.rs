//! The station's touch UI: the Slint window from `ui/*.slint`, driven by a pure flow.
//!
//! Three parts, each in its own module:
//! - [`flow`]: the workflows as a state machine, `input → (state, effects)`, with typed
//!   inputs (scan events, touches, the idle timer, results of writes) and effects (run an
//!   operation, feedback, the idle timer); no Slint, no store, unit-tested directly;
//! - [`render`]: the state into the window's properties and models;
//! - [`bridge`]: the window's typed callbacks (`UiAction`, `UnitStatus`, `Choices` from
//!   `ui/protocol.slint`) into the flow's [`Touch`].
//!
//! [`driver`] feeds the flow and carries out its effects; every write goes through
//! [`store::run`] (the operations layer, `Store::record_audit`, door mode), so the
//! durability rules of the store hold for the UI too. Scan events reach the UI thread
//! on a channel ([`inbox`]).

#[allow(clippy::all)]
mod generated {
    slint::include_modules!();
}

mod bridge;
mod driver;
pub mod flow;
mod inbox;
pub mod pad;
mod photo;
mod render;
mod store;
pub mod viewfinder;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use slint::{ComponentHandle, Timer, TimerMode};

pub use flow::Touch;
pub use generated::{
    Choices, Line, PenPhase, Screen, StationWindow, Tone, Total, UiAction, UnitStatus,
};
pub use inbox::ScanFeeder;

use crate::door::DoorAction;
use crate::feedback::Feedback;
use crate::label::LabelPrinter;
use driver::{Driver, Parts};
use flow::{Input, State};
use tagstation_inputs::scan::ScanEvent;
use tagstation_station::store::{Store, StoreError};
use tagstation_station::sync::Worker;

/// Why the station UI could not start.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("cannot open the station window: {0}")]
    Platform(#[from] slint::PlatformError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the UI needs to know about this station.
#[derive(Debug, Clone)]
pub struct Settings {
    pub station_name: String,
    /// Recorded as the actor when no person identified themself.
    pub actor: String,
    pub door: Option<DoorAction>,
    pub kiosk: bool,
    /// How long a screen stays after a confirmation or without a touch.
    pub idle: Duration,
    /// The label printer: with one, the unit card offers "Print label".
    pub labels: Option<LabelPrinter>,
    /// Ask for the borrower's signature on the pad before a check-out from a kiosk
    /// basket or a unit card (`[kiosk] signature`).
    pub signature: bool,
    /// When to keep a condition photo from the camera (`[photos]`).
    pub photos: PhotoSettings,
}

/// When the station keeps a condition photo of a unit: after it is checked in, after
/// it is marked damaged. Without a camera nothing is taken, whatever these say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhotoSettings {
    pub on_check_in: bool,
    pub on_damaged: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            station_name: "Station".into(),
            actor: "station".into(),
            door: None,
            kiosk: false,
            idle: Duration::from_secs(8),
            labels: None,
            signature: false,
            photos: PhotoSettings::default(),
        }
    }
}

/// The running station UI: the window, its driver, the scan channel and the status timer.
pub struct StationUi {
    driver: Rc<RefCell<Driver>>,
    window: StationWindow,
    feeder: ScanFeeder,
    _status_timer: Timer,
    /// Redraws the viewfinder while a camera feeds one.
    viewfinder: RefCell<Option<Timer>>,
}

impl StationUi {
    /// Build the window and its driver. The Slint platform (a real backend, or the
    /// testing backend in tests) must be usable from this thread, which becomes the UI
    /// thread: scan events sent through [`StationUi::feeder`] are handled here.
    pub fn new(
        store: Store,
        settings: Settings,
        feedback: Arc<dyn Feedback>,
        sync: Option<Worker>,
    ) -> Result<StationUi, UiError> {
        let window = StationWindow::new()?;
        let (tx, rx) = mpsc::channel();
        let parts = Parts {
            store,
            state: State::new(settings),
            feedback,
            sync,
            window: window.as_weak(),
            inbox: rx,
            outbox: tx.clone(),
        };
        let driver = Rc::new_cyclic(|me| RefCell::new(Driver::new(parts, me.clone())));
        bridge::connect(&window, &Rc::downgrade(&driver));
        inbox::install(Rc::downgrade(&driver));
        let status_timer = Timer::default();
        let d = Rc::downgrade(&driver);
        status_timer.start(TimerMode::Repeated, Duration::from_secs(1), move || {
            if let Some(d) = d.upgrade() {
                if let Ok(d) = d.try_borrow() {
                    d.refresh_status();
                }
            }
        });
        {
            let mut d = driver.borrow_mut();
            d.render();
            d.refresh_status();
        }
        Ok(StationUi {
            driver,
            window,
            feeder: ScanFeeder { tx },
            _status_timer: status_timer,
            viewfinder: RefCell::new(None),
        })
    }

    pub fn window(&self) -> &StationWindow {
        &self.window
    }

    /// A code, as an item scanner would deliver it, handled at once on this thread.
    pub fn on_scan(&self, text: &str) {
        self.driver.borrow_mut().feed(Input::Code(text.to_string()));
    }

    /// An event from the scan inputs, handled at once on this thread (tests, benchmark);
    /// other threads send through [`StationUi::feeder`].
    pub fn input(&self, ev: &ScanEvent) {
        self.driver.borrow_mut().feed(Input::Scanned(ev.clone()));
    }

    /// A touch, typed as the bridge reports it; for scripts and benchmarks.
    pub fn touch(&self, t: Touch) {
        self.driver.borrow_mut().touch(t);
    }

    /// Show the pictures a camera leaves in `viewfinder` on the scan and audit screens
    /// ([`viewfinder::REDRAW`]), until the UI ends; condition photos are taken from them.
    pub fn attach_viewfinder(&self, viewfinder: tagstation_inputs::scan::viewfinder::Viewfinder) {
        self.attach(viewfinder, true);
    }

    /// Take condition photos from the pictures a camera leaves in `viewfinder`, without
    /// showing them (the viewfinder is turned off).
    pub fn attach_camera(&self, viewfinder: tagstation_inputs::scan::viewfinder::Viewfinder) {
        self.attach(viewfinder, false);
    }

    fn attach(&self, viewfinder: tagstation_inputs::scan::viewfinder::Viewfinder, display: bool) {
        let camera = viewfinder::Camera::new(viewfinder);
        self.driver.borrow_mut().camera = Some(camera.clone());
        *self.viewfinder.borrow_mut() =
            Some(viewfinder::show(self.window.as_weak(), camera, display));
    }

    /// Condition photos taken and not yet kept or given up (tests: wait for none).
    pub fn photos_in_flight(&self) -> usize {
        self.driver.borrow().photos_in_flight
    }

    /// Something to give other threads so they can send scan events to this UI.
    pub fn feeder(&self) -> ScanFeeder {
        self.feeder.clone()
    }

    /// Handle the scan events waiting on the channel now. The event loop does this when
    /// a feeder wakes it; tests without an event loop call it.
    pub fn drain_inputs(&self) {
        self.driver.borrow_mut().drain_inbox();
    }

    /// Read the store (tests, benchmark).
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&self.driver.borrow().store)
    }

    /// Refresh the status bar now (it also refreshes every second).
    pub fn refresh_status(&self) {
        self.driver.borrow().refresh_status();
    }

    /// Show the window and run the event loop until the window is closed.
    pub fn run(&self) -> Result<(), UiError> {
        self.window.run()?;
        Ok(())
    }
}
