//! Door mode: a station at a door applies one preset action to every scan, with no touch needed.
//!
//! With a screen it shows the card of each unit it changed; with `--headless` the
//! buzzer and LEDs are the only feedback ([`run_headless`]).

use std::str::FromStr;

use crate::feedback::{Feedback, Signal};
use tagstation_core::catalog::Status;
use tagstation_inputs::scan::{ScanEvent, ScanRole};
use tagstation_ops::OpError;
use tagstation_station::action::{act_on_code, Action, Done};
use tagstation_station::store::Store;

/// The action a door applies to every scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorAction {
    /// Set a status: `in_stock`, `receiving`, `sending` or `damaged`.
    Status(Status),
    /// Check in whatever comes back (the returns desk).
    CheckIn,
}

impl DoorAction {
    pub fn action(self) -> Action {
        match self {
            DoorAction::Status(status) => Action::SetStatus { status },
            DoorAction::CheckIn => Action::CheckIn { location: None },
        }
    }

    /// Words for the screen: "Sending", "Check in".
    pub fn label(self) -> &'static str {
        match self {
            DoorAction::Status(s) => s.label(),
            DoorAction::CheckIn => "Check in",
        }
    }
}

impl FromStr for DoorAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "check_in" {
            return Ok(DoorAction::CheckIn);
        }
        match s.parse::<Status>() {
            Ok(st) if Status::SETTABLE.contains(&st) => Ok(DoorAction::Status(st)),
            _ => Err(format!(
                "door action {s:?} is not one of in_stock, receiving, sending, damaged, check_in"
            )),
        }
    }
}

/// What happened to one scan at the door.
#[derive(Debug)]
pub enum DoorOutcome {
    Saved(Done),
    Refused(OpError),
    Ignored,
}

/// Apply the door's action to one scanned line, signal the result, and log it.
pub fn apply(
    store: &mut Store,
    door: DoorAction,
    line: &str,
    actor: &str,
    feedback: &dyn Feedback,
) -> DoorOutcome {
    let code = line.trim_end_matches(['\r', '\n', '\t']);
    if code.trim().is_empty() {
        return DoorOutcome::Ignored;
    }
    match act_on_code(store, code, door.action(), actor) {
        Ok(done) => {
            tracing::info!(code, message = %done.message, seq = done.station_seq, "door: saved");
            feedback.signal(Signal::Success);
            DoorOutcome::Saved(done)
        }
        Err(e) => {
            // One line per scan: the worker's words, with the detail beside them.
            if e.is_user_error() {
                tracing::warn!(code, reason = %e.user_message(), detail = %e, "door: refused");
            } else {
                tracing::error!(code, reason = %e.user_message(), detail = %e, "door: NOT SAVED");
            }
            feedback.signal(Signal::Error);
            DoorOutcome::Refused(e)
        }
    }
}

/// Headless door mode: every scan from an `item` input gets the door's action. Returns the
/// number of scans saved and refused when every input has ended. `after_save` runs after
/// each saved scan (e.g. nudge sync). Badge scans are ignored (a door has no people to
/// identify); rejected input signals an error, as a refused scan does.
pub fn run_headless(
    store: &mut Store,
    door: DoorAction,
    actor: &str,
    scans: impl IntoIterator<Item = ScanEvent>,
    feedback: &dyn Feedback,
    mut after_save: impl FnMut(&Done),
) -> (usize, usize) {
    let (mut saved, mut refused) = (0, 0);
    for ev in scans {
        match ev {
            ScanEvent::Scan(scan) if scan.role == ScanRole::Item => {
                match apply(store, door, scan.text.as_str(), actor, feedback) {
                    DoorOutcome::Saved(done) => {
                        saved += 1;
                        after_save(&done);
                    }
                    DoorOutcome::Refused(_) => refused += 1,
                    DoorOutcome::Ignored => {}
                }
            }
            ScanEvent::Scan(scan) => {
                tracing::info!(source = %scan.source, "badge scan ignored in door mode");
            }
            ScanEvent::Rejected { .. } => {
                // the input already logged what it received and why it was rejected
                feedback.signal(Signal::Error);
                refused += 1;
            }
            ScanEvent::Status { .. } => {}
        }
    }
    (saved, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_door_actions() {
        assert_eq!(
            "sending".parse::<DoorAction>(),
            Ok(DoorAction::Status(Status::Sending))
        );
        assert_eq!("check_in".parse::<DoorAction>(), Ok(DoorAction::CheckIn));
        assert!("checked_out".parse::<DoorAction>().is_err());
        assert!("retired".parse::<DoorAction>().is_err());
    }
}
