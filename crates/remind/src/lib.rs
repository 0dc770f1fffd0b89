//! Reminders that bring gear back: the hub reads what is due (loans due soon and
//! overdue, reservations not picked up, items below their reorder point, warranties
//! ending and services due, stations gone quiet, conflicts waiting for review) and
//! sends each reminder once, by email over SMTP and to signed webhooks, with a sent-log
//! in its database.
//!
//! - [`settings`]: the schedule, windows, mail server and webhooks (TOML, env over it);
//! - [`due`]: the catalog read into notices, each with a stable key;
//! - [`log`]: the sent-log, people's choices and the shown settings, in the hub's tables;
//! - [`send`]: SMTP (lettre) and webhooks (HMAC-SHA256);
//! - [`Reminders`]: the daily run and the delivery of what is pending, driven by
//!   [`Reminders::tick`] with the time passed in (tests inject it) and, in a hub, by
//!   [`Reminders::spawn`]'s own thread, so that nothing here ever waits inside sync.
//!
//! "Once" across restarts and several hubs on one database: the daily run is claimed
//! by inserting its day; each message is a row whose id is a hash of what and whom it
//! is about, inserted only if absent; a hub leases a row before sending it. A crash
//! between sending and marking it sent leaves the lease to run out and the row is sent
//! again with the same `Message-ID` / idempotency key, so receivers can drop the repeat.

pub mod due;
pub mod log;
pub mod send;
pub mod settings;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::people::{PersonId, Role};
use tagstation_hub::{tables, HubStore};

use due::{Audience, Kind, Notice};
use log::{Channel, NewEntry, Prefs, State};
pub use settings::Settings;

/// Why reminders could not run.
#[derive(Debug, thiserror::Error)]
pub enum RemindError {
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    #[error("the hub database: {0}")]
    Hub(#[from] tagstation_hub::HubError),
    #[error(transparent)]
    Send(#[from] send::SendError),
    #[error("cannot start the reminder thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    /// The day whose daily run this tick made, if it made one.
    pub ran: Option<String>,
    /// Log rows written (every state).
    pub queued: usize,
    pub sent: usize,
    /// Tries that failed and will be tried again.
    pub retrying: usize,
    /// Rows that failed their last try.
    pub failed: usize,
    /// Rows left untried this round because their server could not be reached.
    pub waiting: usize,
    /// Old finished rows the daily run deleted (`keep_days`).
    pub pruned: usize,
}

/// The reminder service of one hub.
pub struct Reminders {
    store: Arc<dyn HubStore>,
    settings: Settings,
    /// This hub process, for leases (several hubs share one database).
    instance: String,
    mailer: Option<send::Mailer>,
    http: reqwest::blocking::Client,
}

/// Rows tried per tick at most (the rest wait for the next tick).
const BATCH: i64 = 100;

impl Reminders {
    /// Check the settings and note them in the database for the web app.
    pub fn new(store: Arc<dyn HubStore>, settings: Settings) -> Result<Reminders, RemindError> {
        settings.check()?;
        let mailer = settings.smtp.as_ref().map(send::Mailer::new).transpose()?;
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(send::SendError::Http)?;
        let instance = uuid::Uuid::new_v4().to_string();
        let shown = settings.public();
        tagstation_hub::write(store.as_ref(), |c| {
            log::save_settings(c, &shown, &instance, SystemClock.now().0)
        })?;
        Ok(Reminders {
            store,
            settings,
            instance,
            mailer,
            http,
        })
    }

    /// Plan what is due at `now_ms` and send what is pending.
    pub fn tick(&self, now_ms: i64) -> Result<Tick, RemindError> {
        let mut t = Tick::default();
        self.plan(now_ms, &mut t)?;
        self.deliver(now_ms, &mut t)?;
        Ok(t)
    }

    /// The local date and whether the daily run's time has come, at `now_ms`.
    fn local_day(&self, now_ms: i64) -> Result<(jiff::civil::Date, bool), RemindError> {
        let zone = self.settings.zone()?;
        let at = jiff::Timestamp::from_millisecond(now_ms)
            .map_err(|e| settings::SettingsError::Invalid {
                name: "clock",
                why: e.to_string(),
            })?
            .to_zoned(zone);
        Ok((at.date(), at.time() >= self.settings.send_time()?))
    }

    fn plan(&self, now_ms: i64, t: &mut Tick) -> Result<(), RemindError> {
        let s = &self.settings;
        let mut notices = Vec::new();
        if s.station_silent_hours > 0 {
            let since = now_ms - s.station_silent_hours * 3_600_000;
            notices.extend(tagstation_hub::read(self.store.as_ref(), |c| {
                due::silent_stations(c, since, s.station_silent_hours)
            })?);
        }
        let (today, time_has_come) = self.local_day(now_ms)?;
        let day = today.to_string();
        // The day's run is due if its time has come and no hub has made it yet.
        let run_due = time_has_come && !self.ran(&day)?;
        let mut daily = Vec::new();
        if run_due {
            let soon = today
                .saturating_add(jiff::Span::new().days(s.due_soon_days))
                .to_string();
            let ahead = today
                .saturating_add(jiff::Span::new().days(s.dates_ahead_days))
                .to_string();
            daily = tagstation_hub::read(self.store.as_ref(), |c| {
                let mut n = due::loans(c, &day, &soon)?;
                n.extend(due::not_picked_up(c, &day)?);
                n.extend(due::dates(c, &ahead)?);
                n.extend(due::conflicts(c)?);
                Ok(n)
            })?;
            daily.extend(due::low_stock(self.store.as_ref())?);
        }
        if notices.is_empty() && !run_due {
            return Ok(());
        }
        let run_day = run_due.then_some(day.as_str());
        tagstation_hub::write(self.store.as_ref(), |c| {
            // The daily run is this hub's only if it is the first to claim the day.
            let (daily, digest_day): (&[Notice], _) = match run_day {
                Some(d) if log::claim_run(c, d, &self.instance, now_ms)? => {
                    t.ran = Some(d.to_string());
                    if self.settings.keep_days > 0 {
                        let before = now_ms - self.settings.keep_days * 24 * 3600 * 1000;
                        t.pruned = log::prune(c, before)?;
                    }
                    (&daily, Some(d))
                }
                _ => (&[], None),
            };
            let people = Recipients::read(c)?;
            t.queued += self.queue(c, &people, &notices, None, now_ms)?;
            t.queued += self.queue(c, &people, daily, digest_day, now_ms)?;
            Ok(())
        })?;
        Ok(())
    }

    /// Whether `day`'s run has been made (by any hub).
    fn ran(&self, day: &str) -> Result<bool, RemindError> {
        Ok(tagstation_hub::read(self.store.as_ref(), |c| {
            run_made(c, day)
        })?)
    }

    /// Write the log rows of `notices`: a row per recipient and channel, each in the
    /// state it starts in. With `digest_day`, the email of people who asked for a
    /// digest is gathered into one message per person. Returns how many rows were new.
    fn queue(
        &self,
        c: &mut dyn tagstation_hub::db::Conn,
        people: &Recipients,
        notices: &[Notice],
        digest_day: Option<&str>,
        now_ms: i64,
    ) -> tagstation_hub::Result<usize> {
        let mut new = 0;
        let mut digests: BTreeMap<PersonId, Vec<&Notice>> = BTreeMap::new();
        for n in notices {
            let mut rows = Vec::new();
            let mut email = |person: Option<&Person>, name: &str, as_holder: bool| {
                let (recipient, start) = match person {
                    Some(p) if !p.prefs.wants(n.kind, as_holder) => {
                        (p.address(), (State::OptedOut, None))
                    }
                    Some(p) if p.email.is_none() => (
                        p.name.clone(),
                        (
                            State::Skipped,
                            Some(format!("{} has no email address", p.name)),
                        ),
                    ),
                    None => (
                        name.to_string(),
                        (
                            State::Skipped,
                            Some(format!(
                                "{name} is not a person in the directory, so has no email address"
                            )),
                        ),
                    ),
                    Some(p) if p.prefs.digest && digest_day.is_some() && self.mailer.is_some() => {
                        (p.address(), (State::InDigest, None))
                    }
                    Some(p) => (p.address(), self.email_start()),
                };
                rows.push(row(
                    n,
                    Channel::Email,
                    recipient,
                    person.map(|p| p.id),
                    start,
                ));
            };
            if let Audience::HolderAndOperators { holder, person } = &n.audience {
                email(person.and_then(|id| people.by_id.get(&id)), holder, true);
            }
            for op in &people.operators {
                let holder_too = matches!(&n.audience, Audience::HolderAndOperators { person: Some(h), .. } if *h == op.id);
                if !holder_too {
                    email(Some(op), &op.name, false);
                }
            }
            for e in &self.settings.operators {
                rows.push(row(n, Channel::Email, e.clone(), None, self.email_start()));
            }
            for w in &self.settings.webhooks {
                rows.push(row(
                    n,
                    Channel::Webhook,
                    w.url.clone(),
                    None,
                    (State::Pending, None),
                ));
            }
            for r in rows {
                if log::insert(c, &r, now_ms)? {
                    new += 1;
                    if let (State::InDigest, Some(p)) = (r.state, r.person) {
                        digests.entry(p).or_default().push(n);
                    }
                }
            }
        }
        // One message per person who asked for a digest, listing what is new today.
        for (pid, items) in digests {
            let (Some(p), Some(day)) = (people.by_id.get(&pid), digest_day) else {
                continue;
            };
            let mut lines = Vec::new();
            for n in &items {
                lines.push(n.subject.clone());
                lines.extend(n.lines.iter().map(|l| format!("  {l}")));
            }
            let n = items.len();
            let row = NewEntry {
                key: format!("digest:{pid}:{day}"),
                kind: Kind::Digest,
                channel: Channel::Email,
                recipient: p.address(),
                person: Some(pid),
                subject: format!("{n} reminder{} for {day}", if n == 1 { "" } else { "s" }),
                lines,
                state: State::Pending,
                error: None,
            };
            new += usize::from(log::insert(c, &row, now_ms)?);
        }
        Ok(new)
    }

    /// Try every pending row that is due: lease it, send it, record how it went.
    fn deliver(&self, now_ms: i64, t: &mut Tick) -> Result<(), RemindError> {
        let rows = tagstation_hub::read(self.store.as_ref(), |c| log::due(c, now_ms, BATCH))?;
        let lease_until = now_ms + self.settings.lease_secs * 1000;
        // where the server itself failed this round (the mail server, or a webhook's
        // address): the rest of its rows wait, untried, for the next round
        let mut down: Vec<(String, String)> = Vec::new();
        let target = |e: &log::Entry| match e.channel.as_str() {
            "webhook" => ("webhook".to_string(), e.recipient.clone()),
            c => (c.to_string(), String::new()),
        };
        for e in rows {
            if down.contains(&target(&e)) {
                t.waiting += 1;
                continue;
            }
            let me = self.instance.as_str();
            let mine = tagstation_hub::write(self.store.as_ref(), |c| {
                log::lease(c, &e.id, me, now_ms, lease_until)
            })?;
            if !mine {
                continue;
            }
            let result = match e.channel.as_str() {
                "webhook" => match self.settings.webhooks.iter().find(|w| w.url == e.recipient) {
                    Some(hook) => send::post(&self.http, hook, &e, now_ms),
                    None => Err(send::SendError::Setup(format!(
                        "the webhook {} is no longer in the settings",
                        e.recipient
                    ))),
                },
                _ => match &self.mailer {
                    Some(m) => m.send(&e, self.settings.hub_url.as_deref()),
                    None => Err(send::SendError::Setup(NO_MAIL_SERVER.into())),
                },
            };
            let attempts = e.attempts + 1;
            let outcome = match result {
                Ok(()) => {
                    t.sent += 1;
                    tracing::info!(id = %e.id, kind = %e.kind, channel = %e.channel, "reminder sent");
                    Ok(())
                }
                Err(err) => {
                    if err.server_down() {
                        down.push(target(&e));
                    }
                    let retry = (attempts < self.settings.max_attempts)
                        .then(|| now_ms + self.settings.backoff_ms(attempts));
                    if retry.is_some() {
                        t.retrying += 1;
                    } else {
                        t.failed += 1;
                    }
                    tracing::warn!(
                        id = %e.id, kind = %e.kind, channel = %e.channel, attempts,
                        recipient = %tagstation_core::escape::controls(&e.recipient),
                        error = %tagstation_core::escape::controls(&err.to_string()),
                        last = retry.is_none(),
                        "reminder not sent"
                    );
                    Err((err.to_string(), retry))
                }
            };
            tagstation_hub::write(self.store.as_ref(), |c| {
                log::finish(c, &e.id, me, now_ms, outcome)
            })?;
        }
        if t.waiting > 0 {
            tracing::warn!(
                waiting = t.waiting,
                "reminders: a server could not be reached; the rest of its reminders wait for the next round, untried"
            );
        }
        Ok(())
    }

    /// Tick every `every` on a thread of its own until the handle is stopped or dropped.
    pub fn spawn(self, every: Duration) -> Result<Running, RemindError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new().name("reminders".into()).spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match self.tick(SystemClock.now().0) {
                    Ok(t) if t != Tick::default() => tracing::info!(?t, "reminders"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "reminders: this round failed; the next one tries again"),
                }
                let mut waited = Duration::ZERO;
                while waited < every && !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    waited += Duration::from_millis(100);
                }
            }
        })?;
        Ok(Running {
            stop,
            thread: Some(thread),
        })
    }
}

/// Why an email was not sent when the settings have no mail server.
const NO_MAIL_SERVER: &str = "no mail server is set up ([smtp] in the reminder settings)";

impl Reminders {
    /// The state an email row starts in: pending, or skipped without a mail server.
    fn email_start(&self) -> (State, Option<String>) {
        match self.mailer {
            Some(_) => (State::Pending, None),
            None => (State::Skipped, Some(NO_MAIL_SERVER.into())),
        }
    }
}

/// The log row of notice `n` for `recipient`, in the state (and with the reason) it
/// starts in.
fn row(
    n: &Notice,
    channel: Channel,
    recipient: String,
    person: Option<PersonId>,
    (state, error): (State, Option<String>),
) -> NewEntry {
    NewEntry {
        key: n.key.clone(),
        kind: n.kind,
        channel,
        recipient,
        person,
        subject: n.subject.clone(),
        lines: n.lines.clone(),
        state,
        error,
    }
}

fn run_made(c: &mut dyn tagstation_hub::db::Conn, day: &str) -> tagstation_hub::Result<bool> {
    Ok(c.query_opt(
        "SELECT day FROM reminder_runs WHERE day = ?1",
        &[day.into()],
    )?
    .is_some())
}

/// The reminder thread of a running hub; dropping it stops the thread.
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A person as reminders see them.
struct Person {
    id: PersonId,
    name: String,
    email: Option<String>,
    prefs: Prefs,
}

impl Person {
    fn address(&self) -> String {
        self.email.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// Everyone a reminder may go to: people by id, and the operators (operators and
/// admins who are active).
struct Recipients {
    by_id: HashMap<PersonId, Person>,
    operators: Vec<Person>,
}

impl Recipients {
    fn read(c: &mut dyn tagstation_hub::db::Conn) -> tagstation_hub::Result<Recipients> {
        let mut prefs = log::all_prefs(c)?;
        let mut by_id = HashMap::new();
        let mut operators = Vec::new();
        for p in tables::select_people(c, "", &[])? {
            let person = |prefs: Prefs| Person {
                id: p.id,
                name: p.name.clone(),
                email: p.email.clone().filter(|_| p.active && !p.erased),
                prefs,
            };
            let mine = prefs.remove(&p.id).unwrap_or_default();
            if p.active && !p.erased && p.role >= Role::Operator {
                operators.push(person(mine.clone()));
            }
            by_id.insert(p.id, person(mine));
        }
        operators.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Recipients { by_id, operators })
    }
}
