//! Wall-clock time for events, and whether the clock can be trusted.
//!
//! A Raspberry Pi has no real-time clock: after an offline boot its time may be days
//! off. Events record the time anyway, with a flag saying whether the kernel reported
//! the clock as synchronised (NTP, GPS, an RTC battery). Sync never orders by it.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of "now" for new events.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch, and whether the time is known to be right.
    fn now(&self) -> (i64, bool);
}

/// The system clock, with the kernel's own synchronisation status.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> (i64, bool) {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            // Before 1970: record it as negative time, clearly unsynchronised.
            .unwrap_or_else(|e| -(e.duration().as_millis() as i64));
        (ms, ms > 0 && kernel_clock_synced())
    }
}

/// Ask the kernel whether NTP (or chrony, or systemd-timesyncd) has the clock in sync,
/// the same status `timedatectl` shows as "System clock synchronized".
#[cfg(target_os = "linux")]
pub fn kernel_clock_synced() -> bool {
    // SAFETY: adjtimex with modes = 0 only reads the kernel's clock state into `tx`.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    state >= 0 && state != libc::TIME_ERROR
}

#[cfg(not(target_os = "linux"))]
pub fn kernel_clock_synced() -> bool {
    false
}

/// A clock that always says the same thing: for tests and replays.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64, pub bool);

impl Clock for FixedClock {
    fn now(&self) -> (i64, bool) {
        (self.0, self.1)
    }
}

/// RFC 3339 text for a millisecond timestamp, e.g. `2026-11-23T09:15:02.120Z`.
pub fn rfc3339(ms: i64) -> String {
    let nanos = (ms as i128) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{ms}ms"))
}

/// Today's date in UTC as `YYYY-MM-DD`, for due-date checks.
pub fn today() -> String {
    in_days(0)
}

/// The date `days` from today in UTC as `YYYY-MM-DD` (a default due date).
pub fn in_days(days: i64) -> String {
    let (ms, _) = SystemClock.now();
    rfc3339(ms.saturating_add(days.saturating_mul(86_400_000)))
        .chars()
        .take(10)
        .collect()
}
