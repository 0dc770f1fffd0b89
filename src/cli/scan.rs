//! Scans from the command line: what `scan --status` does to a unit (a status, or a
//! check-in) and line input (`scan --stdin`), one scan per line.

use std::io::Write;

use anyhow::Result;

use tagstation::action::{act_on_code, Action};
use tagstation::catalog::Status;
use tagstation::store::Store;

use super::output::t;
use super::station::parse_settable;

/// What a scan from the command line does to the unit: set a status, or check it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanAction {
    Set(Status),
    CheckIn,
}

impl ScanAction {
    pub(super) fn action(self) -> Action {
        match self {
            ScanAction::Set(status) => Action::SetStatus { status },
            ScanAction::CheckIn => Action::CheckIn { location: None },
        }
    }
}

pub(super) fn parse_scan_action(s: &str) -> Result<ScanAction, String> {
    if s == "check_in" {
        return Ok(ScanAction::CheckIn);
    }
    parse_settable(s)
        .map(ScanAction::Set)
        .map_err(|e| format!("{e}; or check_in"))
}

/// Line input: one scan per line, each acknowledged only once durably stored. A bad
/// line (unknown tag, garbage, refused change, full disk) is reported and skipped; the
/// loop keeps running. Returns how many lines were saved and how many were not.
pub(super) fn scan_lines(
    store: &mut Store,
    input: impl std::io::BufRead,
    action: Action,
    actor: &str,
    worker: Option<&tagstation::sync::Worker>,
) -> Result<(usize, usize)> {
    let (mut saved, mut refused) = (0, 0);
    let mut out = std::io::stdout().lock();
    for line in input.split(b'\n') {
        let raw = line?;
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        // The same checks as every other scan input: terminator stripped; control
        // characters (but GS, the GS1 separator), invalid UTF-8 and absurd length refused.
        let text = match tagstation::scan::text::ScanText::from_bytes(&raw) {
            Ok(t) => t.as_str().to_string(),
            Err(e) => {
                // Said once, on the `refused` line; the log has it with -v.
                tracing::debug!(error = %e, bytes = raw.len(), "scan refused");
                let shown: String = String::from_utf8_lossy(&raw[..raw.len().min(64)])
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                writeln!(out, "refused {shown}: {e}")?;
                out.flush()?;
                refused += 1;
                continue;
            }
        };
        let shown: String = text.chars().take(64).filter(|c| !c.is_control()).collect();
        match act_on_code(store, &text, action.clone(), actor) {
            Ok(done) => {
                saved += 1;
                writeln!(
                    out,
                    "saved {} {} {}",
                    done.station_seq,
                    done.event_id,
                    t(&text)
                )?;
                if let Some(w) = worker {
                    w.nudge();
                }
            }
            Err(e) if e.is_user_error() => {
                refused += 1;
                writeln!(out, "refused {shown}: {}", e.user_message())?
            }
            Err(e) => {
                refused += 1;
                tracing::error!(error = %e, "scan not saved");
                writeln!(out, "not-saved {shown}: {}", e.user_message())?
            }
        }
        out.flush()?;
    }
    Ok((saved, refused))
}
