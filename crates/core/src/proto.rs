//! The wire format between stations and the hub (`/v1/`, JSON). Documented for people
//! in `docs/api.md` and `docs/openapi.yaml`; change both with this file.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::escape;
use crate::event::{Event, EventKind, Outcome, StoredEvent};

/// Most events a station may push in one request.
pub const MAX_PUSH_EVENTS: usize = 1000;
/// Most events the hub returns per pull page.
pub const MAX_PULL_EVENTS: usize = 1000;
/// Largest request body the hub reads, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// This build's version, as the hub reports it on every answer and a station shows
/// it in `status`. The crates of the workspace are versioned together.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The response header that carries the hub's [`VERSION`].
pub const VERSION_HEADER: &str = "x-tagstation-version";
/// The response header by which a hub says which request body encodings it reads
/// (`gzip`): a station compresses its pushes only to a hub that says so, so a newer
/// station still talks to an older hub.
pub const ACCEPTS_HEADER: &str = "x-tagstation-accepts";
/// The request header by which a station says how many of its events are waiting to
/// reach the hub, on every push and pull: the office sees a station that falls behind.
pub const PENDING_HEADER: &str = "x-tagstation-pending";
/// The error code of a pull whose position names another event than the station's:
/// the hub's log is not the one the station followed (a hub restored from an older
/// backup). The station finds where the two agree and heals ([`AtResponse`]).
pub const LOG_DIVERGED: &str = "log_diverged";
/// The error code of a tag lease (`POST /v1/tags/lease`, answered with a
/// [`crate::tags::TagBlock`]) once every number of the hub's tag pattern is leased.
pub const TAGS_EXHAUSTED: &str = "tags_exhausted";

/// `POST /v1/enroll`: exchange a one-time enrollment code for a station token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
    /// The station's own id: the one its events carry.
    pub station_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub station_name: String,
    pub station_id: Uuid,
    /// The long-lived token. Shown once; the hub keeps only a hash.
    pub token: String,
}

/// `POST /v1/sync/push`: a batch of the station's events in sequence order. Each event
/// is decoded on its own so one malformed event cannot block the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub events: Vec<serde_json::Value>,
}

/// The id and sequence number a pushed event names, read even when the rest of it is
/// malformed, so the hub's answer can say which event it is about.
pub fn pushed_identity(value: &serde_json::Value) -> (Option<Uuid>, Option<i64>) {
    let id = value
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok());
    (id, value.get("station_seq").and_then(|v| v.as_i64()))
}

/// Why the hub refuses a pushed event before it looks at its log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRefusal {
    /// Not an event. `own` says whether it still names the pushing station: then the
    /// hub keeps it in quarantine when it names the next sequence number.
    #[error("malformed event: {reason}")]
    Malformed { reason: String, own: bool },
    /// A well-formed event of this station that breaks the input rules a local write
    /// obeys (a control character in a name, a 1 MB actor) or carries a field this hub
    /// does not know. Quarantined like a malformed one.
    #[error("refused event: {reason}")]
    Invalid { reason: String },
    #[error("event belongs to station {claimed}, not to this station")]
    OtherStation { claimed: Uuid },
    /// A well-formed event of a kind this hub does not know, or of a known kind with a
    /// field it does not know: made by a newer station. Not quarantined and not
    /// malformed: the station keeps it queued, and it is taken once the hub is upgraded.
    #[error("this hub (version {VERSION}) does not know {}; it stays queued at the station until the hub is upgraded", match field { Some(f) => format!("the field {f:?} of changes of kind {kind:?}"), None => format!("changes of kind {kind:?}") })]
    UnknownKind { kind: String, field: Option<String> },
}

/// The fields of an event's envelope (`Event`), beside its `kind`.
const ENVELOPE: [&str; 11] = [
    "id",
    "station_id",
    "station_seq",
    "actor",
    "wall_time_ms",
    "clock_synced",
    "item_id",
    "unit_id",
    "base_version",
    "scan",
    "kind",
];

/// Decode one pushed event and check that `station` made it and that it obeys the
/// same rules as a local write ([`Event::check`]), with no field this hub does not
/// know: what the hub checks of every pushed event before sequence numbers and the
/// rules of [`crate::event::apply`]. Reasons quote the event's text escaped.
pub fn decode_pushed(value: &serde_json::Value, station: Uuid) -> Result<Event, PushRefusal> {
    let ev = Event::deserialize(value).map_err(|e| PushRefusal::Malformed {
        reason: escape::controls(&e.to_string()).into_owned(),
        own: value.get("station_id").and_then(|v| v.as_str()) == Some(station.to_string().as_str()),
    })?;
    if ev.station_id != station {
        return Err(PushRefusal::OtherStation {
            claimed: ev.station_id,
        });
    }
    if let EventKind::Unknown { kind, .. } = &ev.kind {
        return Err(PushRefusal::UnknownKind {
            kind: escape::controls(kind).into_owned(),
            field: crate::event::newer_field(&ev.kind).map(|f| escape::controls(&f).into_owned()),
        });
    }
    // The kind's own fields were checked as it decoded (a newer field makes it
    // unknown); the envelope's are these.
    if let Some(obj) = value.as_object() {
        if let Some((key, _)) = obj
            .iter()
            .find(|(k, v)| !ENVELOPE.contains(&k.as_str()) && !v.is_null())
        {
            return Err(PushRefusal::Invalid {
                reason: format!("unknown field {}", escape::controls(key)),
            });
        }
    }
    ev.check().map_err(|e| PushRefusal::Invalid {
        reason: escape::controls(&e.to_string()).into_owned(),
    })?;
    Ok(ev)
}

/// The hub's verdict on one pushed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Stored and applied.
    Accepted,
    /// Already stored earlier (a replayed batch): harmless.
    Duplicate,
    /// Stored in history, but made on a state another station changed meanwhile:
    /// applied on top, or not applied (see `reason`); flagged for review.
    Conflict,
    /// Not stored in history: malformed, not this station's, or its sequence number
    /// is taken by another event. Kept by the hub for review; do not resend.
    Rejected,
    /// Not stored yet: an earlier sequence number is missing. Resend from
    /// `contiguous_seq + 1`.
    Retry,
    /// Not stored: a kind of change this hub does not know (the station is newer).
    /// Not a refusal of the event: keep it queued and resend once the hub is upgraded.
    Unsupported,
    /// A verdict newer than this station (from a newer hub): nothing is marked, the
    /// event stays queued.
    #[serde(other)]
    Unrecognized,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResult {
    pub id: Option<Uuid>,
    pub station_seq: Option<i64>,
    pub status: PushStatus,
    pub hub_seq: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    /// Highest sequence number below which the hub holds every event of this station.
    pub contiguous_seq: i64,
}

/// One entry of the hub's log, as pulled by stations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub hub_seq: i64,
    pub applied: bool,
    pub conflict: bool,
    pub note: Option<String>,
    pub event: Event,
}

impl From<LogEntry> for StoredEvent {
    fn from(e: LogEntry) -> Self {
        StoredEvent {
            event: e.event,
            hub_seq: Some(e.hub_seq),
            outcome: Outcome {
                applied: e.applied,
                conflict: e.conflict,
                note: e.note,
            },
        }
    }
}

/// `GET /v1/sync/pull?after=N&limit=M`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub events: Vec<LogEntry>,
    /// The cursor to save with this page and send as `after` next time.
    pub cursor: i64,
    /// More events are waiting after this page.
    pub more: bool,
    /// The names of the stations that made this page's events ("hub" for the hub's
    /// own), for history views. Absent from older hubs.
    #[serde(default)]
    pub stations: std::collections::BTreeMap<Uuid, String>,
    /// The pulling station's own events in this page, acknowledged by their sequence
    /// numbers with their place and verdict instead of sent back whole (when it asked
    /// with `own=ack`). Absent from older hubs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acks: Vec<Ack>,
}

/// A run of the pulling station's own events in a pull page: it has the events; this
/// is where the hub put them and what it did with them. `count` events from
/// `station_seq` sit at consecutive places from `hub_seq`, with the same verdict (a
/// run of plain applied events is one entry; a conflict or a refusal is its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub station_seq: i64,
    pub hub_seq: i64,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: i64,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub applied: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub conflict: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn one() -> i64 {
    1
}
fn is_one(n: &i64) -> bool {
    *n == 1
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

impl Ack {
    /// Add the event at `station_seq`, `hub_seq` with this verdict to the run, if it
    /// continues it: the next of both numbers, and a plain verdict like the run's.
    pub fn extend(&mut self, station_seq: i64, hub_seq: i64, plain: bool) -> bool {
        let continues = plain
            && self.applied
            && !self.conflict
            && self.note.is_none()
            && station_seq == self.station_seq + self.count
            && hub_seq == self.hub_seq + self.count;
        if continues {
            self.count += 1;
        }
        continues
    }
}

/// `GET /v1/sync/at?seq=N`: which event is at position N of the hub's log, and how far
/// the log goes: how a station finds where its history and the hub's agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtResponse {
    pub hub_seq: i64,
    pub id: Option<Uuid>,
    /// The last position of the hub's log.
    pub head: i64,
}

/// Errors the hub returns as JSON: `{"error": "...", "code": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(station: Uuid, actor: &str, kind: EventKind) -> serde_json::Value {
        serde_json::to_value(Event {
            id: Uuid::now_v7(),
            station_id: station,
            station_seq: 1,
            actor: actor.into(),
            wall_time_ms: 0,
            clock_synced: true,
            item_id: Uuid::now_v7(),
            unit_id: None,
            base_version: None,
            scan: None,
            kind,
        })
        .unwrap()
    }

    fn item(name: &str) -> EventKind {
        EventKind::ItemCreated {
            name: name.into(),
            sku: None,
            barcode: None,
            tracking: crate::catalog::Tracking::Count,
            reorder_point: None,
        }
    }

    #[test]
    fn pushed_events_obey_the_local_rules_and_carry_no_unknown_field() {
        let me = Uuid::now_v7();
        assert!(decode_pushed(&event(me, "ana", item("Saw")), me).is_ok());
        // The envelope's fields, as an event writes them, are exactly the known ones.
        let keys: Vec<String> = event(me, "ana", item("Saw"))
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut known: Vec<String> = ENVELOPE.iter().map(|k| k.to_string()).collect();
        known.sort();
        assert_eq!(keys, known);
        let invalid = |v: &serde_json::Value| match decode_pushed(v, me) {
            Err(PushRefusal::Invalid { reason }) => reason,
            other => panic!("not refused as invalid: {other:?}"),
        };
        assert!(invalid(&event(me, "ana\u{1b}[2J", item("Saw"))).contains("actor"));
        assert!(invalid(&event(me, "ana", item("Saw\nx"))).contains("item name"));
        let mut v = event(me, "ana", item("Saw"));
        v["scan"] = serde_json::json!("x".repeat(300));
        assert!(invalid(&v).contains("scanned text is too long"));
        // A field of a known kind this hub does not know: a newer station's, queued.
        let mut v = event(me, "ana", item("Saw"));
        v["kind"]["colour"] = serde_json::json!("red");
        match decode_pushed(&v, me) {
            Err(PushRefusal::UnknownKind { kind, field }) => {
                assert_eq!(
                    (kind.as_str(), field.as_deref()),
                    ("item_created", Some("colour"))
                )
            }
            other => panic!("{other:?}"),
        }
        let mut v = event(me, "ana", item("Saw"));
        v["x\u{1b}"] = serde_json::json!(1);
        assert_eq!(invalid(&v), "unknown field x\\u{1b}");
        // A kind this hub does not know: not malformed, not quarantined.
        let mut v = event(me, "ana", item("Saw"));
        v["kind"] = serde_json::json!({"type": "unit_sold", "customer": "ACME"});
        match decode_pushed(&v, me) {
            Err(PushRefusal::UnknownKind { kind, field: None }) => assert_eq!(kind, "unit_sold"),
            other => panic!("{other:?}"),
        }
        // A type with a newline: malformed, and the reason quotes it escaped.
        let mut v = event(me, "ana", item("Saw"));
        v["kind"] = serde_json::json!({"type": "a\nFORGED"});
        match decode_pushed(&v, me) {
            Err(PushRefusal::Malformed { reason, own: true }) => {
                assert!(reason.contains("a\\nFORGED"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
