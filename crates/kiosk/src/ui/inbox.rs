//! News from other threads to the UI thread: a `std::sync::mpsc` channel whose receiver
//! the driver owns. [`ScanFeeder::send`] queues a [`ScanEvent`] from the input threads,
//! [`post`] what became of a label from its printing thread; each wakes the UI thread
//! through `slint::invoke_from_event_loop`, where the driver drains the channel and feeds
//! each message to the flow (a condition photo from its encoding thread it keeps
//! itself: the flow said "Saved" before it was taken). Nothing travels as text through
//! the window.

use std::cell::RefCell;
use std::rc::Weak;
use std::sync::mpsc::Sender;

use super::driver::Driver;
use super::flow::LabelOutcome;
use tagstation_inputs::scan::ScanEvent;

/// One message for the UI thread.
#[derive(Debug)]
pub enum Inbound {
    Scan(ScanEvent),
    Printed(LabelOutcome),
    /// A condition photo encoded on its thread, for the driver to keep.
    Photo(super::photo::Encoded),
}

thread_local! {
    /// The driver on this (the UI) thread. The closure a feeder sends to the event loop
    /// must be `Send`, so it cannot carry the driver; it finds it here.
    static DRIVER: RefCell<Weak<RefCell<Driver>>> = const { RefCell::new(Weak::new()) };
}

/// Make `driver` the one this thread's wake-ups drain (one station UI per thread).
pub fn install(driver: Weak<RefCell<Driver>>) {
    DRIVER.with(|d| *d.borrow_mut() = driver);
}

/// On the UI thread: feed every message waiting on the channel to the flow.
fn wake() {
    let Some(driver) = DRIVER.with(|d| d.borrow().upgrade()) else {
        return;
    };
    let busy = match driver.try_borrow_mut() {
        Ok(mut d) => {
            d.drain_inbox();
            false
        }
        Err(_) => true,
    };
    if busy && slint::invoke_from_event_loop(wake).is_err() {
        // still busy with an input, and no way to come back: they wait for the next scan
        tracing::warn!("scan events arrived while busy");
    }
}

/// Hands scan events to the UI thread from any thread (stdin, scanners, cameras).
#[derive(Clone)]
pub struct ScanFeeder {
    pub(super) tx: Sender<Inbound>,
}

impl ScanFeeder {
    /// Queue an event for the UI and wake it. False once the UI has gone (its driver
    /// dropped, or its event loop ended).
    pub fn send(&self, ev: ScanEvent) -> bool {
        post(&self.tx, Inbound::Scan(ev))
    }
}

/// Queue `message` for the UI and wake it; false once the UI has gone.
pub(super) fn post(tx: &Sender<Inbound>, message: Inbound) -> bool {
    tx.send(message).is_ok() && slint::invoke_from_event_loop(wake).is_ok()
}
