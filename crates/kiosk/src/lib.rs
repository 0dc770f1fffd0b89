//! tagstation-kiosk: the station as people meet it.
//!
//! [`runtime`] runs a whole station from its config: the store, the sync worker, the
//! configured scan inputs, the feedback hardware and either the touch UI or headless
//! door mode. [`ui`] is the Slint touch UI (the `.slint` sources are in the
//! repository's `ui/`); [`door`] is door mode, one preset action per scan; [`feedback`]
//! drives the buzzer, LEDs and relay (GPIO, or the log on machines without it);
//! [`label`] prints a unit's label on the station's printer.

pub mod door;
pub mod feedback;
pub mod label;
pub mod runtime;
pub mod ui;
