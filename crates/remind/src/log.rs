//! The sent-log in the hub's database: one row per message and recipient, written
//! before anything is sent, so that every reminder is either sent, waiting for its next
//! try, failed after its last, or skipped with the reason, and never silently lost.
//!
//! A row's id is a hash of what it is about and who it is for: the same reminder for
//! the same recipient is one row however many hubs plan it (the insert does nothing
//! the second time), and the id is what the message's `Message-ID` and the webhook's
//! idempotency key carry, so a repeat after a crash can be recognised by the receiver.
//!
//! A hub takes a row with a lease (`lease_until_ms`): another hub, or this one after a
//! restart, takes it over only when the lease has run out.

use serde::Serialize;
use sha2::{Digest, Sha256};
use tagstation_core::clock::rfc3339;
use tagstation_core::people::PersonId;
use tagstation_hub::db::{Conn, Row, Value};
use tagstation_hub::Result;

use crate::due::Kind;

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// To be sent at `next_ms` (its first try or a retry).
    Pending,
    Sent,
    /// Every try failed; the last error is kept.
    Failed,
    /// Not sent, with the reason (no email address, no mail server).
    Skipped,
    /// The person opted out of this kind.
    OptedOut,
    /// Sent inside the person's daily digest (its own row).
    InDigest,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Skipped => "skipped",
            State::OptedOut => "opted_out",
            State::InDigest => "in_digest",
        }
    }
    fn parse(s: &str) -> State {
        match s {
            "sent" => State::Sent,
            "failed" => State::Failed,
            "skipped" => State::Skipped,
            "opted_out" => State::OptedOut,
            "in_digest" => State::InDigest,
            _ => State::Pending,
        }
    }
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// The id of the message about `key` for `recipient` on `channel`: 32 hex digits.
pub fn message_id(key: &str, channel: Channel, recipient: &str) -> String {
    let digest = Sha256::digest(format!("{key}\n{}\n{recipient}", channel.as_str()));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub key: String,
    pub kind: Kind,
    pub channel: Channel,
    /// An email address or a webhook URL (a person's name when they have no address).
    pub recipient: String,
    pub person: Option<PersonId>,
    pub subject: String,
    pub lines: Vec<String>,
    pub state: State,
    pub error: Option<String>,
}

impl NewEntry {
    pub fn id(&self) -> String {
        message_id(&self.key, self.channel, &self.recipient)
    }
}

/// Write `e` unless its row exists; true if it was new.
pub fn insert(c: &mut dyn Conn, e: &NewEntry, now_ms: i64) -> Result<bool> {
    let body = serde_json::to_string(&e.lines).unwrap_or_else(|_| "[]".into());
    let done = matches!(e.state, State::Skipped | State::OptedOut | State::InDigest);
    let n = c.execute(
        "INSERT INTO reminder_log (id, key, kind, channel, recipient, person_id, subject, body,
                                   state, attempts, next_ms, error, created_ms, sent_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?10, ?12)
         ON CONFLICT (id) DO NOTHING",
        &[
            e.id().into(),
            e.key.clone().into(),
            e.kind.as_str().into(),
            e.channel.as_str().into(),
            e.recipient.clone().into(),
            e.person
                .map(|p| Value::Text(p.to_string()))
                .unwrap_or(Value::Null),
            e.subject.clone().into(),
            body.into(),
            e.state.as_str().into(),
            Value::Int(now_ms),
            e.error.clone().map(Value::Text).unwrap_or(Value::Null),
            if done {
                Value::Int(now_ms)
            } else {
                Value::Null
            },
        ],
    )?;
    Ok(n == 1)
}

/// Claim the daily run of `day` for `hub`; false if a hub already made it.
pub fn claim_run(c: &mut dyn Conn, day: &str, hub: &str, now_ms: i64) -> Result<bool> {
    Ok(c.execute(
        "INSERT INTO reminder_runs (day, hub, started_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (day) DO NOTHING",
        &[day.into(), hub.into(), Value::Int(now_ms)],
    )? == 1)
}

/// Delete the rows finished (sent, failed, skipped) before `before_ms`, and the record of
/// daily runs made before it; how many log rows went. A row still pending stays
/// whatever its age.
pub fn prune(c: &mut dyn Conn, before_ms: i64) -> Result<usize> {
    let n = c.execute(
        "DELETE FROM reminder_log
          WHERE state <> 'pending' AND sent_ms IS NOT NULL AND sent_ms < ?1",
        &[Value::Int(before_ms)],
    )?;
    c.execute(
        "DELETE FROM reminder_runs WHERE started_ms < ?1",
        &[Value::Int(before_ms)],
    )?;
    Ok(n as usize)
}

/// One row of the log.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub key: String,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub person: Option<PersonId>,
    pub subject: String,
    pub lines: Vec<String>,
    pub state: State,
    pub attempts: i64,
    pub next_ms: i64,
    pub error: Option<String>,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
}

impl Entry {
    /// Who it went to as pages show it (a webhook by its host only).
    pub fn shown_recipient(&self) -> String {
        if self.channel == Channel::Webhook.as_str() {
            crate::settings::shown_url(&self.recipient)
        } else {
            self.recipient.clone()
        }
    }

    /// When it was sent, or what it waits for, in words.
    pub fn when(&self) -> String {
        match self.state {
            State::Pending if self.attempts > 0 => format!("retry at {}", rfc3339(self.next_ms)),
            State::Pending => "waiting to be sent".into(),
            _ => self.sent_ms.map(rfc3339).unwrap_or_default(),
        }
    }
}

const COLS: &str = "id, key, kind, channel, recipient, person_id, subject, body, state, \
                    attempts, next_ms, error, created_ms, sent_ms";

fn entry(r: &Row) -> Result<Entry> {
    Ok(Entry {
        id: r.text(0)?,
        key: r.text(1)?,
        kind: r.text(2)?,
        channel: r.text(3)?,
        recipient: r.text(4)?,
        person: r.opt_uuid(5)?,
        subject: r.text(6)?,
        lines: serde_json::from_str(&r.text(7)?).unwrap_or_default(),
        state: State::parse(&r.text(8)?),
        attempts: r.int(9)?,
        next_ms: r.int(10)?,
        error: r.opt_text(11)?,
        created_ms: r.int(12)?,
        sent_ms: r.opt_int(13)?,
    })
}

/// Rows due for a try at `now_ms` whose lease (if any) has run out, oldest first.
pub fn due(c: &mut dyn Conn, now_ms: i64, limit: i64) -> Result<Vec<Entry>> {
    c.query(
        &format!(
            "SELECT {COLS} FROM reminder_log
              WHERE state = 'pending' AND next_ms <= ?1
                AND (lease_until_ms IS NULL OR lease_until_ms < ?1)
              ORDER BY created_ms, id LIMIT ?2"
        ),
        &[Value::Int(now_ms), Value::Int(limit)],
    )?
    .iter()
    .map(entry)
    .collect()
}

/// Take row `id` for one try until `until_ms`, counting the try; false if another
/// hub holds it or it is no longer pending.
pub fn lease(c: &mut dyn Conn, id: &str, hub: &str, now_ms: i64, until_ms: i64) -> Result<bool> {
    Ok(c.execute(
        "UPDATE reminder_log SET lease_until_ms = ?3, lease_hub = ?4, attempts = attempts + 1
          WHERE id = ?1 AND state = 'pending' AND (lease_until_ms IS NULL OR lease_until_ms < ?2)",
        &[
            id.into(),
            Value::Int(now_ms),
            Value::Int(until_ms),
            hub.into(),
        ],
    )? == 1)
}

/// Record how a try went: sent, or the error with the next try at `retry_at` (`None`:
/// no tries left, the row fails).
pub fn finish(
    c: &mut dyn Conn,
    id: &str,
    hub: &str,
    now_ms: i64,
    outcome: std::result::Result<(), (String, Option<i64>)>,
) -> Result<()> {
    let (state, next, error, sent) = match outcome {
        Ok(()) => (
            State::Sent,
            Value::Int(now_ms),
            Value::Null,
            Value::Int(now_ms),
        ),
        Err((e, Some(at))) => (State::Pending, Value::Int(at), Value::Text(e), Value::Null),
        Err((e, None)) => (
            State::Failed,
            Value::Int(now_ms),
            Value::Text(e),
            Value::Int(now_ms),
        ),
    };
    c.execute(
        "UPDATE reminder_log SET state = ?3, next_ms = ?4, error = ?5, sent_ms = ?6,
                lease_until_ms = NULL, lease_hub = NULL
          WHERE id = ?1 AND lease_hub = ?2",
        &[
            id.into(),
            hub.into(),
            state.as_str().into(),
            next,
            error,
            sent,
        ],
    )?;
    Ok(())
}

/// The latest rows, newest first: everyone's, or one person's.
pub fn recent(c: &mut dyn Conn, person: Option<PersonId>, limit: i64) -> Result<Vec<Entry>> {
    let (filter, params) = match person {
        Some(p) => (
            "WHERE person_id = ?2",
            vec![Value::Int(limit), Value::Text(p.to_string())],
        ),
        None => ("", vec![Value::Int(limit)]),
    };
    c.query(
        &format!("SELECT {COLS} FROM reminder_log {filter} ORDER BY created_ms DESC, id LIMIT ?1"),
        &params,
    )?
    .iter()
    .map(entry)
    .collect()
}

/// What a person chose: kinds they opted out of, and whether they get a daily digest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefs {
    pub opted_out: Vec<Kind>,
    pub digest: bool,
}

impl Prefs {
    /// Whether this person gets `kind` (the borrower always gets "overdue").
    pub fn wants(&self, kind: Kind, as_holder: bool) -> bool {
        (as_holder && kind == Kind::Overdue) || !self.opted_out.contains(&kind)
    }
}

/// Everyone's choices.
pub fn all_prefs(c: &mut dyn Conn) -> Result<std::collections::HashMap<PersonId, Prefs>> {
    c.query(
        "SELECT person_id, opted_out, digest FROM reminder_prefs",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.uuid(0)?, prefs_of(r)?)))
    .collect()
}

fn prefs_of(r: &Row) -> Result<Prefs> {
    Ok(Prefs {
        opted_out: r.text(1)?.split(',').filter_map(Kind::parse).collect(),
        digest: r.bool(2)?,
    })
}

/// One person's choices (the defaults if they made none).
pub fn prefs(c: &mut dyn Conn, person: PersonId) -> Result<Prefs> {
    c.query_opt(
        "SELECT person_id, opted_out, digest FROM reminder_prefs WHERE person_id = ?1",
        &[person.to_string().into()],
    )?
    .map(|r| prefs_of(&r))
    .transpose()
    .map(Option::unwrap_or_default)
}

/// Save a person's choices.
pub fn set_prefs(c: &mut dyn Conn, person: PersonId, p: &Prefs) -> Result<()> {
    let out: Vec<&str> = p.opted_out.iter().map(|k| k.as_str()).collect();
    c.execute(
        "INSERT INTO reminder_prefs (person_id, opted_out, digest) VALUES (?1, ?2, ?3)
         ON CONFLICT (person_id) DO UPDATE SET opted_out = ?2, digest = ?3",
        &[
            person.to_string().into(),
            out.join(",").into(),
            Value::Bool(p.digest),
        ],
    )?;
    Ok(())
}

/// Keep the settings a hub runs with (no secrets) for the web app to show.
pub fn save_settings(
    c: &mut dyn Conn,
    shown: &serde_json::Value,
    hub: &str,
    now_ms: i64,
) -> Result<()> {
    c.execute(
        "INSERT INTO reminder_settings (only_row, settings, hub, set_ms) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (only_row) DO UPDATE SET settings = ?1, hub = ?2, set_ms = ?3",
        &[shown.to_string().into(), hub.into(), Value::Int(now_ms)],
    )?;
    Ok(())
}

/// The settings a hub runs reminders with, as the web app shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// `(name, value)` in words.
    pub rows: Vec<(String, String)>,
    /// When the hub that wrote them started its reminders.
    pub set_ms: i64,
}

/// The settings the last hub to start runs with; `None` if no hub runs reminders.
pub fn shown_settings(c: &mut dyn Conn) -> Result<Option<Shown>> {
    fn words(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Null => "not set".into(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) if a.is_empty() => "none".into(),
            serde_json::Value::Array(a) => a.iter().map(words).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
    c.query_opt("SELECT settings, set_ms FROM reminder_settings", &[])?
        .map(|r| {
            let v: serde_json::Value = r.json(0)?;
            let rows = v
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.replace('_', " "), words(v)))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Shown {
                rows,
                set_ms: r.int(1)?,
            })
        })
        .transpose()
}
