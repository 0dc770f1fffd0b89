//! The hub's log: [`ingest`], the one path every event takes in (idempotent by event
//! id, gap and reuse detection per station, the hub's order, conflict flagging),
//! [`admin_event`] for changes made through the admin API, and [`pull`], the log read
//! back out in pages. Written once over [`HubTx`] and [`Conn`].

use uuid::Uuid;

use super::db::{params, Conn};
use super::tables::select_events;
use super::{HubError, Result};
use tagstation_core::catalog::UnitId;
use tagstation_core::event::{
    apply, base_version, ApplyError, Command, Event, Mode, Outcome, Projection,
};
use tagstation_core::proto::{
    self, Ack, AtResponse, LogEntry, PullResponse, PushRefusal, PushResponse, PushResult,
    PushStatus,
};

/// Where an event already stands in the hub.
#[derive(Debug, Clone)]
pub struct Held {
    pub id: Uuid,
    pub station_id: Uuid,
    pub station_seq: i64,
    pub hub_seq: Option<i64>,
}

/// The writes and lookups [`ingest`] needs inside one backend transaction.
pub trait HubTx: Projection<Error = HubError> {
    /// Lock the log's counter row until commit, before reading anything else: two
    /// writers (two hubs on one PostgreSQL, a station retrying through another hub)
    /// then never work from the same stale state.
    fn lock_log(&mut self) -> Result<()>;
    /// Hand out the next position in the hub's log (locks the counter until commit).
    fn next_hub_seq(&mut self) -> Result<i64>;
    /// An event or quarantined event with this id.
    fn held_by_id(&mut self, id: Uuid) -> Result<Option<Held>>;
    fn contiguous(&mut self, station: Uuid) -> Result<i64>;
    fn set_contiguous(&mut self, station: Uuid, seq: i64) -> Result<()>;
    fn insert_event(
        &mut self,
        ev: &Event,
        hub_seq: i64,
        outcome: &Outcome,
        units: &[UnitId],
    ) -> Result<()>;
    fn quarantine(
        &mut self,
        station: Uuid,
        seq: i64,
        id: Uuid,
        reason: &str,
        body: &str,
    ) -> Result<()>;
    /// Read up front what these events will need (a store that batches its reads).
    fn prefetch(&mut self, _events: &[Event]) -> Result<()> {
        Ok(())
    }
    /// Write what is still held back (a store that batches its writes); the caller
    /// commits after.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A pushed batch decoded and checked against the input rules, event by event: work
/// that needs no lock, done before the write transaction ([`ingest_decoded`]).
pub type Decoded = Vec<std::result::Result<Event, PushRefusal>>;

/// Decode and check every event of a push (see [`proto::decode_pushed`]); a station
/// never makes a hub-only kind.
pub fn decode(station: Uuid, raw: &[serde_json::Value], strict: bool) -> Decoded {
    raw.iter()
        .map(|value| {
            proto::decode_pushed(value, station).and_then(|ev| {
                if !strict && ev.kind.hub_only() {
                    return Err(PushRefusal::Invalid {
                        reason: format!("only the hub makes {} events", ev.kind.name()),
                    });
                }
                Ok(ev)
            })
        })
        .collect()
}

/// Take a batch of raw events from `station` into the log, in order, in the caller's
/// transaction. `strict` (admin edits) turns a refused event into an error instead of
/// a recorded, flagged "not applied" entry.
pub fn ingest<T: HubTx>(
    tx: &mut T,
    station: Uuid,
    raw: &[serde_json::Value],
    strict: bool,
) -> Result<PushResponse> {
    let decoded = decode(station, raw, strict);
    ingest_decoded(tx, station, raw, decoded, strict)
}

/// [`ingest`] of a batch already [`decode`]d (outside the transaction, so the log's
/// lock is held only for what needs it).
pub fn ingest_decoded<T: HubTx>(
    tx: &mut T,
    station: Uuid,
    raw: &[serde_json::Value],
    decoded_all: Decoded,
    strict: bool,
) -> Result<PushResponse> {
    tx.lock_log()?;
    let mut contiguous = tx.contiguous(station)?;
    let mut results = Vec::with_capacity(raw.len());
    let good: Vec<Event> = decoded_all
        .iter()
        .filter_map(|d| d.as_ref().ok().cloned())
        .collect();
    tx.prefetch(&good)?;
    for (value, decoded) in raw.iter().zip(decoded_all) {
        let (id, station_seq) = proto::pushed_identity(value);
        let mut r = PushResult {
            id,
            station_seq,
            status: PushStatus::Rejected,
            hub_seq: None,
            reason: None,
        };
        let ev = match decoded {
            Ok(ev) => ev,
            Err(refusal) => {
                let reason = refusal.to_string();
                let own = match refusal {
                    PushRefusal::Malformed { own, .. } => own,
                    PushRefusal::Invalid { .. } => true,
                    PushRefusal::OtherStation { .. } | PushRefusal::UnknownKind { .. } => false,
                };
                match refusal {
                    PushRefusal::UnknownKind { kind, field } => {
                        // A newer station: neither quarantined nor rejected. Its slot
                        // stays open (the events after it are gaps), so its queue waits
                        // in order until this hub is upgraded.
                        tracing::warn!(%station, ?kind, ?field, seq = ?r.station_seq,
                            "push: a change this hub does not know (made by a newer version); upgrade the hub");
                        r.status = PushStatus::Unsupported;
                    }
                    PushRefusal::Malformed { .. } | PushRefusal::Invalid { .. } => {
                        // Keep it for review and let the queue move past it, if it names
                        // its slot: it never gets a hub_seq and never reaches another station.
                        if let (true, Some(id), Some(seq)) = (own, r.id, r.station_seq) {
                            if seq == contiguous + 1 && tx.held_by_id(id)?.is_none() {
                                tx.quarantine(station, seq, id, &reason, &value.to_string())?;
                                contiguous = seq;
                            }
                        }
                        // `?`: the reason quotes station text; logged escaped, never raw.
                        tracing::warn!(%station, ?reason, "push: event rejected");
                    }
                    PushRefusal::OtherStation { claimed } => {
                        tracing::warn!(%station, %claimed, "push: station wrote as another station");
                    }
                }
                r.reason = Some(reason);
                results.push(r);
                continue;
            }
        };
        if let Some(h) = tx.held_by_id(ev.id)? {
            if h.station_id == ev.station_id && h.station_seq == ev.station_seq {
                r.status = if h.hub_seq.is_some() {
                    PushStatus::Duplicate
                } else {
                    PushStatus::Rejected
                };
                r.hub_seq = h.hub_seq;
                if h.hub_seq.is_none() {
                    r.reason = Some("already refused earlier".into());
                }
            } else {
                r.reason = Some(format!(
                    "event id {} is already used by another event",
                    ev.id
                ));
            }
            results.push(r);
            continue;
        }
        if ev.station_seq <= contiguous {
            r.reason = Some(format!(
                "sequence number {} is already used by another event",
                ev.station_seq
            ));
            tracing::warn!(%station, seq = ev.station_seq, event = %ev.id, "push: sequence number reused");
            results.push(r);
            continue;
        }
        if ev.station_seq != contiguous + 1 {
            r.status = PushStatus::Retry;
            r.reason = Some(format!(
                "gap: expected sequence number {}, got {}",
                contiguous + 1,
                ev.station_seq
            ));
            results.push(r);
            continue;
        }
        let hub_seq = tx.next_hub_seq()?;
        let (outcome, units) = match apply(tx, &ev, Mode::Full) {
            Ok(a) => (
                Outcome {
                    applied: true,
                    conflict: a.conflict.is_some(),
                    note: a.conflict,
                },
                a.units,
            ),
            Err(ApplyError::Domain(d)) if !strict => (
                Outcome {
                    applied: false,
                    conflict: true,
                    note: Some(d.to_string()),
                },
                ev.unit_id.into_iter().collect(),
            ),
            Err(e) => return Err(e.into()),
        };
        tx.insert_event(&ev, hub_seq, &outcome, &units)?;
        contiguous = ev.station_seq;
        r.status = if outcome.conflict {
            PushStatus::Conflict
        } else {
            PushStatus::Accepted
        };
        r.hub_seq = Some(hub_seq);
        r.reason = outcome.note;
        results.push(r);
    }
    tx.set_contiguous(station, contiguous)?;
    tx.finish()?;
    Ok(PushResponse {
        results,
        contiguous_seq: contiguous,
    })
}

/// Turn an admin command into the hub's own next event and ingest it strictly.
pub fn admin_event<T: HubTx>(
    tx: &mut T,
    hub_id: Uuid,
    cmd: Command,
    now: (i64, bool),
) -> Result<LogEntry> {
    tx.lock_log()?;
    let seq = tx.contiguous(hub_id)? + 1;
    let event = Event {
        id: Uuid::now_v7(),
        station_id: hub_id,
        station_seq: seq,
        actor: cmd.actor,
        wall_time_ms: now.0,
        clock_synced: now.1,
        item_id: cmd.item_id,
        unit_id: cmd.unit_id,
        base_version: base_version(tx, &cmd.kind, cmd.item_id, cmd.unit_id)?,
        scan: cmd.scan,
        kind: cmd.kind,
    };
    // The same input rules as a station's write, answered as a refusal (422).
    event.check()?;
    let value = serde_json::to_value(&event).map_err(|e| HubError::Corrupt(e.to_string()))?;
    let resp = ingest(tx, hub_id, &[value], true)?;
    let r = resp
        .results
        .into_iter()
        .next()
        .ok_or_else(|| HubError::Corrupt("no result for admin event".into()))?;
    match r.hub_seq {
        Some(hub_seq) => Ok(LogEntry {
            hub_seq,
            applied: true,
            conflict: false,
            note: None,
            event,
        }),
        None => Err(HubError::BadRequest(r.reason.unwrap_or_default())),
    }
}

/// Events after `after` in the hub's order, at most `limit`, and whether more follow.
/// The events of `ack_for` (the pulling station, when it asked) come back as [`Ack`]s:
/// their place and verdict, not the events it already has.
pub fn pull(
    c: &mut dyn Conn,
    after: i64,
    limit: usize,
    ack_for: Option<Uuid>,
) -> Result<PullResponse> {
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
    let mut rows = select_events(
        c,
        "WHERE e.hub_seq > ?1 ORDER BY e.hub_seq LIMIT ?2",
        params![after, fetch],
    )?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let mut events = Vec::with_capacity(rows.len());
    let mut acks = Vec::new();
    let mut cursor = after;
    for s in rows {
        let hub_seq = s
            .hub_seq
            .ok_or_else(|| HubError::Corrupt(format!("event {} has no hub_seq", s.event.id)))?;
        cursor = hub_seq;
        if Some(s.event.station_id) == ack_for {
            let o = &s.outcome;
            let plain = o.applied && !o.conflict && o.note.is_none();
            let extended = acks
                .last_mut()
                .is_some_and(|run: &mut Ack| run.extend(s.event.station_seq, hub_seq, plain));
            if !extended {
                acks.push(Ack {
                    station_seq: s.event.station_seq,
                    hub_seq,
                    count: 1,
                    applied: s.outcome.applied,
                    conflict: s.outcome.conflict,
                    note: s.outcome.note,
                });
            }
            continue;
        }
        events.push(LogEntry {
            hub_seq,
            applied: s.outcome.applied,
            conflict: s.outcome.conflict,
            note: s.outcome.note,
            event: s.event,
        });
    }
    Ok(PullResponse {
        events,
        cursor,
        more,
        stations: Default::default(),
        acks,
    })
}

/// Which event is at position `seq` of the log, and the log's last position.
pub fn at(c: &mut dyn Conn, seq: i64) -> Result<AtResponse> {
    let id = c
        .query_opt("SELECT id FROM events WHERE hub_seq = ?1", params![seq])?
        .map(|r| r.uuid(0))
        .transpose()?;
    let head = c
        .query_one("SELECT last_hub_seq FROM hub_meta", &[])?
        .int(0)?;
    Ok(AtResponse {
        hub_seq: seq,
        id,
        head,
    })
}
