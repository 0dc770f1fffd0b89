//! Reminders end to end: a real SMTP server on loopback (aiosmtpd, from the tests'
//! Python environment), a webhook receiver on loopback that checks signatures, the
//! hub's database on SQLite and PostgreSQL, and the clock passed in.
//!
//! - what is due goes out once, to the holder and the operators, by email and webhook,
//!   also when a second hub on the same database ticks too;
//! - the daily run waits for its time in the hub's time zone;
//! - opt-outs and digests; a person with no email is skipped and shown in the log;
//! - a refused recipient and an unreachable server are retried, then marked failed;
//! - a hub killed in the middle of a send repeats it after restart with the same
//!   Message-ID, and a stalled mail server never holds up sync;
//! - a reservation not picked up after its first day is a reminder of its own, once; one
//!   picked up and not returned at its end is the loan's "overdue", naming it.

#![cfg(feature = "hub")]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tagstation::catalog::Tracking;
use tagstation::clock::in_days;
use tagstation::hub::{HubLedger, HubStore};
use tagstation::ops::catalog::{self, NewItem, NewUnit};
use tagstation::ops::{lending, people, Actor};
use tagstation::people::{PersonFields, Role};
use tagstation::remind::due::Kind;
use tagstation::remind::log::{self, Prefs, State};
use tagstation::remind::settings::{Security, Smtp, Webhook};
use tagstation::remind::{send, Reminders, Settings};

const SECRET: &str = "webhook-secret-0123456789";

/// aiosmtpd on a free loopback port, writing what it takes to a directory.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    /// `args`: the script's options (`--refuse`, `--stall-file`, `--tls`...).
    fn start(dir: &Path, args: &[&str]) -> SmtpServer {
        let py = common::python::python("import aiosmtpd");
        let port_file = dir.join("smtp.port");
        let maildir = dir.join("mail");
        let mut cmd = Command::new(py);
        cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reminders/smtp_server.py"))
            .arg(&port_file)
            .arg(&maildir)
            .args(args);
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .expect("start the SMTP server");
        let t = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().parse().expect("port");
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "the SMTP server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// Every message taken so far, in order: its headers (the first of each name,
    /// lower-cased) and the whole text.
    fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.maildir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
            .iter()
            .map(|p| Mail::parse(&std::fs::read_to_string(p).expect("read a message")))
            .collect()
    }

    fn settings(&self) -> Smtp {
        Smtp {
            host: "127.0.0.1".into(),
            port: self.port,
            security: Security::None,
            username: None,
            password: None,
            from: "Tool crib <crib@example.org>".into(),
            ca_file: None,
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
struct Mail {
    headers: BTreeMap<String, String>,
    text: String,
}

impl Mail {
    fn parse(text: &str) -> Mail {
        let mut headers = BTreeMap::new();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        for line in head.split("\r\n") {
            if let Some((k, v)) = line.split_once(':') {
                headers
                    .entry(k.trim().to_lowercase())
                    .or_insert_with(|| v.trim().to_string());
            }
        }
        Mail {
            headers,
            text: text.to_string(),
        }
    }
    fn to(&self) -> &str {
        &self.headers["x-envelope-to"]
    }
    fn subject(&self) -> &str {
        &self.headers["subject"]
    }
    fn message_id(&self) -> &str {
        &self.headers["message-id"]
    }
}

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
struct Hook {
    key: String,
    body: serde_json::Value,
    signed: bool,
    answered: u16,
}

/// A webhook receiver on loopback: checks each request's signature and answers 500 to
/// the first `fail_first` requests, 200 after.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Hook>>>,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut r = BufReader::new(conn);
                let mut headers = BTreeMap::new();
                let mut line = String::new();
                let _ = r.read_line(&mut line);
                loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                    }
                }
                let len: usize = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                let _ = r.read_exact(&mut body);
                let ts: i64 = headers
                    .get("x-tagstation-timestamp")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let signed = headers.get("x-tagstation-signature")
                    == Some(&send::signature(SECRET, ts, &body));
                let mut all = seen.lock().unwrap();
                let answered = if all.len() < fail_first { 500 } else { 200 };
                all.push(Hook {
                    key: headers.get("idempotency-key").cloned().unwrap_or_default(),
                    body: serde_json::from_slice(&body).unwrap_or_default(),
                    signed,
                    answered,
                });
                drop(all);
                let mut conn = r.into_inner();
                let _ = write!(
                    conn,
                    "HTTP/1.1 {answered} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, got }
    }
    fn got(&self) -> Vec<Hook> {
        self.got.lock().unwrap().clone()
    }
}

/// The catalog the tests remind about, made through the operations layer:
/// Ana (borrower, with email) and Ben (borrower, no email) each hold a drill due on
/// `due`; Olga and Omar are operators with email; gloves are below their reorder
/// point; Drill 03's warranty ends on `due`.
fn catalog(store: &dyn HubStore, due: &str) {
    let mut l = HubLedger::new(store);
    let office = Actor::new("office:test");
    people::add_person(
        &mut l,
        person("Ana", Some("ana@example.org"), Role::Borrower),
        &office,
    )
    .unwrap();
    people::add_person(&mut l, person("Ben", None, Role::Borrower), &office).unwrap();
    people::add_person(
        &mut l,
        person("Olga", Some("olga@example.org"), Role::Operator),
        &office,
    )
    .unwrap();
    people::add_person(
        &mut l,
        person("Omar", Some("omar@example.org"), Role::Admin),
        &office,
    )
    .unwrap();
    let drill = catalog::create_item(
        &mut l,
        NewItem {
            tracking: Tracking::Units,
            ..NewItem::named("Drill")
        },
        &office,
    )
    .unwrap();
    let mut units = Vec::new();
    for i in 1..=3 {
        let mut fields = BTreeMap::new();
        if i == 3 {
            fields.insert("warranty_end".to_string(), due.to_string());
        }
        let u = catalog::add_unit(
            &mut l,
            drill,
            NewUnit {
                tag: Some(format!("TS-000{i}")),
                fields,
                ..NewUnit::default()
            },
            &office,
        )
        .unwrap();
        units.push(u.id);
    }
    lending::check_out(&mut l, &units[..1], "Ana", Some(due), &office).unwrap();
    lending::check_out(&mut l, &units[1..2], "Ben", Some(due), &office).unwrap();
    gloves_below_reorder(&mut l, &office);
}

fn person(name: &str, email: Option<&str>, role: Role) -> PersonFields {
    PersonFields {
        name: name.into(),
        badges: vec![],
        email: email.map(str::to_string),
        role,
        active: true,
        max_checkouts: None,
        loan_days: None,
    }
}

/// Gloves: 2 in stock, reorder point 5.
fn gloves_below_reorder(l: &mut HubLedger, office: &Actor) {
    catalog::create_item(
        l,
        NewItem {
            reorder_point: Some(5),
            ..NewItem::count("Gloves", 2)
        },
        office,
    )
    .unwrap();
}

fn settings(smtp: Option<Smtp>, hook: Option<&Receiver>) -> Settings {
    Settings {
        time_zone: "Europe/Lisbon".into(),
        send_at: "08:00".into(),
        smtp,
        webhooks: hook
            .map(|h| Webhook {
                url: h.url.clone(),
                secret_env: "UNUSED".into(),
                secret: SECRET.into(),
            })
            .into_iter()
            .collect(),
        hub_url: Some("https://hub.example.org".into()),
        ..Settings::default()
    }
}

fn person_id(store: &dyn HubStore, name: &str) -> tagstation::people::PersonId {
    tagstation::hub::read(store, |c| {
        tagstation::hub::tables::select_people(c, "", &[])
    })
    .unwrap()
    .into_iter()
    .find(|p| p.name == name)
    .unwrap()
    .id
}

fn log_rows(store: &dyn HubStore) -> Vec<log::Entry> {
    tagstation::hub::read(store, |c| log::recent(c, None, 10_000)).unwrap()
}

/// Everything the "once" asks, on one backend.
fn once_by_email_and_webhook(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), &[]);
    let hook = Receiver::start(2);
    let store = tagstation::hub::open_store(db).unwrap();
    let due = in_days(1);
    catalog(store.as_ref(), &due);
    // Omar skips low stock and takes a daily digest.
    let omar = person_id(store.as_ref(), "Omar");
    tagstation::hub::write(store.as_ref(), |c| {
        log::set_prefs(
            c,
            omar,
            &Prefs {
                opted_out: vec![Kind::LowStock],
                digest: true,
            },
        )
    })
    .unwrap();

    let s = settings(Some(smtp.settings()), Some(&hook));
    let run = s.run_at(&due).unwrap();
    let hub_a = Reminders::new(store.clone(), s.clone()).unwrap();

    // A minute before the run's time in Lisbon: nothing.
    let t = hub_a.tick(run - 60_000).unwrap();
    assert_eq!((t.ran.as_deref(), t.queued, t.sent), (None, 0, 0), "{t:?}");

    // The run: due soon (Ana's and Ben's drills), the warranty, the gloves.
    let t = hub_a.tick(run).unwrap();
    assert_eq!(t.ran.as_deref(), Some(due.as_str()), "{t:?}");
    let mails = smtp.messages();
    let to = |who: &str| -> Vec<String> {
        let mut v: Vec<String> = mails
            .iter()
            .filter(|m| m.to() == who)
            .map(|m| m.subject().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        to("ana@example.org"),
        [format!("Due {due}: Drill 01 (TS-0001)")]
    );
    assert_eq!(
        to("olga@example.org"),
        [
            format!("Due {due}: Drill 01 (TS-0001)"),
            format!("Due {due}: Drill 02 (TS-0002)"),
            "Low stock: Gloves (2 left)".to_string(),
            format!("Warranty ends {due}: Drill 03 (TS-0003)"),
        ]
    );
    // Omar: one digest with the three he did not opt out of.
    assert_eq!(to("omar@example.org"), [format!("3 reminders for {due}")]);
    let digest = mails.iter().find(|m| m.to() == "omar@example.org").unwrap();
    assert!(
        digest.text.contains("Drill 02") && !digest.text.contains("Gloves"),
        "{}",
        digest.text
    );
    // Plain text and HTML, every Message-ID distinct.
    let ana = mails.iter().find(|m| m.to() == "ana@example.org").unwrap();
    assert!(ana.text.contains("text/plain") && ana.text.contains("text/html"));
    assert!(ana.text.contains("https://hub.example.org/reminders"));
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), mails.len());
    // Ben has no email: skipped, and the log says why.
    let rows = log_rows(store.as_ref());
    let ben = rows
        .iter()
        .find(|r| r.recipient == "Ben")
        .expect("Ben's row");
    assert_eq!(ben.state, State::Skipped);
    assert_eq!(ben.error.as_deref(), Some("Ben has no email address"));
    assert!(rows.iter().any(|r| r.recipient == "omar@example.org"
        && r.state == State::OptedOut
        && r.kind == "low_stock"));

    // The webhook failed twice: those two are retried after the backoff, with the same
    // idempotency key, and every request was signed.
    let first = hook.got();
    assert_eq!(first.len(), 4, "one per reminder: {first:?}");
    assert!(first.iter().all(|h| h.signed));
    assert_eq!(t.retrying, 2, "{t:?}");
    let t = hub_a.tick(run + 30_000).unwrap();
    assert_eq!(
        (t.sent, t.retrying),
        (0, 0),
        "not before the backoff: {t:?}"
    );
    let t = hub_a.tick(run + 61_000).unwrap();
    assert_eq!(t.sent, 2, "{t:?}");
    let got = hook.got();
    assert_eq!(got.len(), 6);
    let retried: Vec<&str> = got[..2].iter().map(|h| h.key.as_str()).collect();
    let again: Vec<&str> = got[4..].iter().map(|h| h.key.as_str()).collect();
    assert_eq!(retried, again, "a retry carries the same idempotency key");
    assert!(got[4..]
        .iter()
        .all(|h| h.signed && h.answered == 200 && h.body["attempt"] == 2));

    // Later that day, and a second hub on the same database: nothing goes out again.
    let sent = smtp.messages().len();
    let hub_b = Reminders::new(store.clone(), s.clone()).unwrap();
    for (hub, at) in [(&hub_a, run + 3_600_000), (&hub_b, run + 3_700_000)] {
        let t = hub.tick(at).unwrap();
        assert_eq!((t.ran.clone(), t.queued, t.sent), (None, 0, 0), "{t:?}");
    }
    assert_eq!(smtp.messages().len(), sent);
    assert_eq!(hook.got().len(), 6);

    // Three days on: the loans are overdue (once), the rest is not repeated. Hub B makes
    // the run this time.
    let later = s.run_at(&in_days(4)).unwrap();
    let t = hub_b.tick(later).unwrap();
    assert!(t.ran.is_some(), "{t:?}");
    let t = hub_a.tick(later + 1).unwrap();
    assert_eq!((t.ran, t.queued, t.sent), (None, 0, 0));
    let new: Vec<Mail> = smtp.messages()[sent..].to_vec();
    let mut subjects: Vec<(String, String)> = new
        .iter()
        .map(|m| (m.to().to_string(), m.subject().to_string()))
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            (
                "ana@example.org".to_string(),
                "Overdue: Drill 01 (TS-0001)".to_string()
            ),
            (
                "olga@example.org".into(),
                "Overdue: Drill 01 (TS-0001)".into()
            ),
            (
                "olga@example.org".into(),
                "Overdue: Drill 02 (TS-0002)".into()
            ),
            (
                "omar@example.org".into(),
                format!("2 reminders for {}", in_days(4))
            ),
        ]
    );
    // Each row was sent exactly once.
    for r in log_rows(store.as_ref())
        .iter()
        .filter(|r| r.state == State::Sent)
    {
        let n = if r.channel == "webhook" {
            hook.got()
                .iter()
                .filter(|h| h.key == r.id && h.answered == 200)
                .count()
        } else {
            smtp.messages()
                .iter()
                .filter(|m| m.message_id().starts_with(&format!("<{}@", r.id)))
                .count()
        };
        assert_eq!(n, 1, "{r:?}");
    }
}

#[test]
fn sqlite_reminders_go_out_once_by_email_and_webhook() {
    let dir = tempfile::tempdir().unwrap();
    once_by_email_and_webhook(&dir.path().join("hub.db").display().to_string());
}

#[test]
fn postgres_reminders_go_out_once_by_email_and_webhook() {
    let Some(base) = common::pg_url() else { return };
    once_by_email_and_webhook(&common::fresh_pg_db(&base, "remind_once"));
}

/// A hub in `dir` with the catalog due tomorrow, and a mail server that refuses Olga:
/// the server, the store, settings sending through it, and the due date.
fn olga_refused(dir: &Path) -> (SmtpServer, Arc<dyn HubStore>, Settings, String) {
    let smtp = SmtpServer::start(dir, &["--refuse", "olga@example.org"]);
    let store = tagstation::hub::open_store(&dir.join("hub.db").display().to_string()).unwrap();
    let due = in_days(1);
    catalog(store.as_ref(), &due);
    let s = settings(Some(smtp.settings()), None);
    (smtp, store, s, due)
}

/// A refused recipient and a mail server that cannot be reached are logged and
/// retried with backoff, then marked failed: never dropped in silence.
#[test]
fn refused_and_unreachable_are_retried_then_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (smtp, store, mut s, due) = olga_refused(dir.path());
    s.max_attempts = 3;
    let run = s.run_at(&due).unwrap();
    let hub = Reminders::new(store.clone(), s.clone()).unwrap();
    let t = hub.tick(run).unwrap();
    assert!(
        t.sent > 0 && t.retrying == 4,
        "Olga's four are refused: {t:?}"
    );
    let olga = |store: &dyn HubStore| -> Vec<log::Entry> {
        log_rows(store)
            .into_iter()
            .filter(|r| r.recipient == "olga@example.org")
            .collect()
    };
    for r in olga(store.as_ref()) {
        assert_eq!((r.state, r.attempts), (State::Pending, 1));
        assert!(
            r.error
                .as_deref()
                .is_some_and(|e| e.contains("mailbox unavailable")),
            "{r:?}"
        );
        assert!(r.when().starts_with("retry at"));
    }
    // Backoff: 60 s, then 120 s; the third try is the last.
    assert_eq!(hub.tick(run + 59_000).unwrap().retrying, 0);
    assert_eq!(hub.tick(run + 60_000).unwrap().retrying, 4);
    assert_eq!(hub.tick(run + 179_000).unwrap().failed, 0);
    let t = hub.tick(run + 180_000).unwrap();
    assert_eq!((t.failed, t.retrying), (4, 0), "{t:?}");
    assert!(olga(store.as_ref())
        .iter()
        .all(|r| r.state == State::Failed && r.attempts == 3));

    // No server at all: the same, with the connection's error in the log.
    drop(smtp);
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let dir2 = tempfile::tempdir().unwrap();
    let store2 =
        tagstation::hub::open_store(&dir2.path().join("hub.db").display().to_string()).unwrap();
    catalog(store2.as_ref(), &due);
    let mut s2 = s.clone();
    if let Some(smtp) = &mut s2.smtp {
        smtp.port = port;
    }
    let hub2 = Reminders::new(store2.clone(), s2).unwrap();
    let t = hub2.tick(run).unwrap();
    // one try finds the server gone; the rest wait, untried, instead of each waiting for
    // its own connection to fail
    assert_eq!((t.sent, t.retrying), (0, 1), "{t:?}");
    assert!(t.waiting > 0, "{t:?}");
    let rows: Vec<_> = log_rows(store2.as_ref())
        .into_iter()
        .filter(|r| r.state != State::Skipped) // no email address: never sent
        .collect();
    assert!(rows.iter().all(|r| r.state == State::Pending), "{rows:?}");
    let tried: Vec<_> = rows.iter().filter(|r| r.attempts > 0).collect();
    assert_eq!(tried.len(), 1, "{rows:?}");
    assert!(tried[0]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("could not be reached")));
    assert!(rows
        .iter()
        .filter(|r| r.attempts == 0)
        .all(|r| r.error.is_none()));
    // the next round tries another (the first waits for its retry time) and again
    // leaves the rest
    let t = hub2.tick(run + 1_000).unwrap();
    assert_eq!((t.retrying, t.waiting), (1, rows.len() - 2), "{t:?}");
}

/// The sent-log keeps finished rows `keep_days`: the daily run a year and more later
/// deletes them, and keeps what is still pending whatever its age.
#[test]
fn the_daily_run_prunes_finished_rows_older_than_keep_days() {
    let dir = tempfile::tempdir().unwrap();
    let (_smtp, store, mut s, due) = olga_refused(dir.path());
    s.max_attempts = 100; // Olga's stay pending
    s.keep_days = 365;
    let run = s.run_at(&due).unwrap();
    let hub = Reminders::new(store.clone(), s).unwrap();
    let t = hub.tick(run).unwrap();
    assert!(t.sent > 0 && t.retrying > 0, "{t:?}");
    let before = log_rows(store.as_ref());
    let finished = before.iter().filter(|r| r.state != State::Pending).count();
    let pending: Vec<String> = before
        .iter()
        .filter(|r| r.state == State::Pending)
        .map(|r| r.id.clone())
        .collect();

    // 300 days on: nothing is old enough
    let t = hub.tick(run + 300 * DAY_MS).unwrap();
    assert!(t.ran.is_some() && t.pruned == 0, "{t:?}");
    // 400 days on: every finished row of the first day goes, the pending ones stay
    let t = hub.tick(run + 400 * DAY_MS).unwrap();
    assert!(t.ran.is_some(), "{t:?}");
    assert_eq!(t.pruned, finished, "{t:?}");
    let after = log_rows(store.as_ref());
    assert!(after
        .iter()
        .all(|r| r.created_ms > run || pending.contains(&r.id)));
    assert!(pending.iter().all(|id| after.iter().any(|r| &r.id == id)));
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// `tagstation hub --reminders` killed while the mail server holds back its answer to
/// a message it already took: after the restart the message goes out again with the
/// same Message-ID, and the log ends with it sent.
#[test]
fn a_hub_killed_mid_send_repeats_it_with_the_same_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let stall = dir.path().join("stall");
    std::fs::write(&stall, "").unwrap();
    let smtp = SmtpServer::start(dir.path(), &["--stall-file", &stall.display().to_string()]);
    let db = dir.path().join("hub.db");
    {
        // One reminder: the gloves, to the one operator.
        let store = tagstation::hub::open_store(&db.display().to_string()).unwrap();
        let mut l = HubLedger::new(store.as_ref());
        let office = Actor::new("office:test");
        people::add_person(
            &mut l,
            person("Olga", Some("olga@example.org"), Role::Operator),
            &office,
        )
        .unwrap();
        gloves_below_reorder(&mut l, &office);
    }
    let settings_file = dir.path().join("remind.toml");
    std::fs::write(
        &settings_file,
        format!(
            "time_zone = \"UTC\"\nsend_at = \"00:00\"\ntick_secs = 1\nlease_secs = 2\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"crib@example.org\"\n",
            smtp.port
        ),
    )
    .unwrap();
    let start = || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let child = Command::new(common::bin())
            .args(["hub", "--listen", &addr.to_string(), "--database"])
            .arg(&db)
            .arg("--reminders")
            .arg(&settings_file)
            .env("TAGSTATION_ADMIN_TOKEN", common::ADMIN_TOKEN)
            .env("TAGSTATION_DATA", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the hub");
        (child, format!("http://{addr}"))
    };
    let wait = |what: &str, f: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !f() {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "timed out waiting: {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let (mut hub, _url) = start();
    wait("the message reaches the stalled server", &|| {
        smtp.messages().len() == 1
    });

    hub.kill().unwrap();
    hub.wait().unwrap();
    std::fs::remove_file(&stall).unwrap();
    let (mut hub, _) = start();
    wait("the repeat after the restart", &|| {
        smtp.messages().len() == 2
    });
    let store = tagstation::hub::open_store(&db.display().to_string()).unwrap();
    wait("the log says sent", &|| {
        log_rows(store.as_ref())
            .iter()
            .all(|r| r.state == State::Sent)
    });
    hub.kill().unwrap();
    hub.wait().unwrap();
    let m = smtp.messages();
    assert_eq!(
        m[0].message_id(),
        m[1].message_id(),
        "the repeat carries the same Message-ID"
    );
    let rows = log_rows(store.as_ref());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 2);
    assert!(m[0]
        .message_id()
        .starts_with(&format!("<{}@example.org>", rows[0].id)));
}

/// The reminder thread waiting on a mail server that does not answer: a station still
/// enrolls, pushes and pulls.
#[test]
fn a_stalled_mail_server_never_holds_up_sync() {
    let dir = tempfile::tempdir().unwrap();
    let stall = dir.path().join("stall");
    std::fs::write(&stall, "").unwrap();
    let smtp = SmtpServer::start(dir.path(), &["--stall-file", &stall.display().to_string()]);
    let hub = common::TestHub::start(&dir.path().join("hub.db").display().to_string());
    let store = hub.state.store.clone();
    catalog(store.as_ref(), &in_days(1));
    let mut s = settings(Some(smtp.settings()), None);
    s.time_zone = "UTC".into();
    s.send_at = "00:00".into();
    let reminders = Reminders::new(store.clone(), s)
        .unwrap()
        .spawn(Duration::from_millis(100))
        .unwrap();
    let t = Instant::now();
    while smtp.messages().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no message reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The server now holds the reminder thread. A station syncs all the same.
    let st = common::TempStation::new();
    let mut station = st.open();
    hub.enroll(&mut station, "Door");
    let (item, _) = common::tagged_item(&mut station, "Ladder", "LD-", 2);
    let round = common::sync(&mut station);
    assert!(round.pushed >= 3, "{round:?}");
    assert!(
        store.catalog_item(item).unwrap().is_some(),
        "the hub has the station's item"
    );
    assert_eq!(smtp.messages().len(), 1, "the mail server is still stalled");
    std::fs::remove_file(&stall).unwrap();
    drop(reminders);
}

/// STARTTLS and TLS from the first byte, to a relay whose certificate a private CA
/// signed (`ca_file`); without that CA the certificate is refused and the mail waits
/// for its retry.
#[test]
fn mail_goes_over_starttls_and_tls_with_a_private_ca() {
    for (mode, security) in [("starttls", Security::Starttls), ("tls", Security::Tls)] {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, ca) = common::private_ca(dir.path());
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        let smtp = SmtpServer::start(dir.path(), &["--tls", mode, "--cert", &cert, "--key", &key]);
        let due = in_days(1);

        // Without the CA: refused, logged, retried later.
        let store =
            tagstation::hub::open_store(&dir.path().join("a.db").display().to_string()).unwrap();
        catalog(store.as_ref(), &due);
        let mut s = settings(
            Some(Smtp {
                security,
                ..smtp.settings()
            }),
            None,
        );
        let run = s.run_at(&due).unwrap();
        let t = Reminders::new(store.clone(), s.clone())
            .unwrap()
            .tick(run)
            .unwrap();
        assert_eq!(t.sent, 0, "{mode}: {t:?}");
        assert!(t.retrying > 0, "{mode}: {t:?}");
        assert!(smtp.messages().is_empty());

        // With it: every message over TLS.
        if let Some(smtp) = &mut s.smtp {
            smtp.ca_file = Some(ca.clone());
        }
        let store =
            tagstation::hub::open_store(&dir.path().join("b.db").display().to_string()).unwrap();
        catalog(store.as_ref(), &due);
        let t = Reminders::new(store.clone(), s).unwrap().tick(run).unwrap();
        assert!(t.sent >= 5 && t.retrying == 0, "{mode}: {t:?}");
        let mails = smtp.messages();
        assert_eq!(mails.len(), t.sent);
        for m in &mails {
            let over = m
                .headers
                .get("x-received-over")
                .map(String::as_str)
                .unwrap_or("plain");
            assert!(over.starts_with("TLS"), "{mode}: received over {over}");
        }
    }
}

/// A station gone quiet (looked for at every tick, not only in the daily run) and a
/// conflict waiting for review reach the operators and the webhook, once each.
#[test]
fn quiet_stations_and_conflicts_reach_operators_once() {
    use tagstation::catalog::Status;
    use tagstation::event::EventKind;

    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), &[]);
    let hook = Receiver::start(0);
    let hub = common::TestHub::start(&dir.path().join("hub.db").display().to_string());
    let store = hub.state.store.clone();
    let due = in_days(1);
    catalog(store.as_ref(), &due);
    // Two stations change the same unit while apart: the later one is a conflict.
    let (a_dir, b_dir) = (common::TempStation::new(), common::TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    hub.enroll(&mut a, "Front door");
    hub.enroll(&mut b, "Van <1>");
    common::sync(&mut a);
    common::sync(&mut b);
    let drill3 = a.find_unit("TS-0003").unwrap();
    for (s, to) in [(&mut a, Status::Damaged), (&mut b, Status::Sending)] {
        s.record(common::cmd(
            drill3.item_id,
            Some(drill3.id),
            EventKind::StatusChanged { to, reason: None },
        ))
        .unwrap();
        common::sync(s);
    }
    assert_eq!(store.conflicts().unwrap().len(), 1);

    let s = Settings {
        station_silent_hours: 48,
        ..settings(Some(smtp.settings()), Some(&hook))
    };
    let reminders = Reminders::new(store.clone(), s.clone()).unwrap();
    let run = s.run_at(&due).unwrap();
    reminders.tick(run).unwrap();
    let olga: Vec<String> = smtp
        .messages()
        .iter()
        .filter(|m| m.to() == "olga@example.org")
        .map(|m| m.subject().to_string())
        .collect();
    assert!(
        olga.iter().any(|s| s.starts_with("Conflict to review: ")),
        "{olga:?}"
    );
    // Both stations were heard from just now (real time): not quiet yet at the run,
    // about a day and a half from now.
    assert!(!olga.iter().any(|s| s.contains("quiet")), "{olga:?}");

    // Two days and a bit later, both have been quiet for over 48 h: one message each,
    // at the next tick, whatever the time of day; never again for the same silence.
    let seen = {
        use tagstation::clock::Clock;
        tagstation::clock::SystemClock.now().0
    };
    let later = seen + 49 * 3_600_000;
    reminders.tick(later).unwrap();
    reminders.tick(later + 60_000).unwrap();
    let quiet: Vec<(String, String)> = smtp
        .messages()
        .iter()
        .filter(|m| m.subject().contains("quiet"))
        .map(|m| (m.to().to_string(), m.subject().to_string()))
        .collect();
    let mut want = Vec::new();
    for who in ["olga@example.org", "omar@example.org"] {
        for name in ["Front door", "Van <1>"] {
            want.push((
                who.to_string(),
                format!("Station {name} has been quiet for over 48 h"),
            ));
        }
    }
    let mut got = quiet.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let hooks: Vec<String> = hook
        .got()
        .iter()
        .filter(|h| h.body["kind"] == "station_silent")
        .map(|h| h.body["subject"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
}

/// Two hubs on one PostgreSQL tick at the same moment, from two threads, over and
/// over: each reminder still reaches each recipient once.
#[test]
fn postgres_two_hubs_ticking_at_once_send_each_reminder_once() {
    let Some(base) = common::pg_url() else { return };
    let db = common::fresh_pg_db(&base, "remind_race");
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), &[]);
    let hook = Receiver::start(0);
    let store = tagstation::hub::open_store(&db).unwrap();
    let due = in_days(1);
    catalog(store.as_ref(), &due);
    let s = settings(Some(smtp.settings()), Some(&hook));
    let run = s.run_at(&due).unwrap();
    // Each hub its own connections, as two processes would have.
    let hubs: Vec<Reminders> = (0..2)
        .map(|_| Reminders::new(tagstation::hub::open_store(&db).unwrap(), s.clone()).unwrap())
        .collect();
    std::thread::scope(|scope| {
        for hub in &hubs {
            scope.spawn(move || {
                for i in 0..5 {
                    hub.tick(run + i * 10).unwrap();
                }
            });
        }
    });
    let rows = log_rows(store.as_ref());
    let sent: Vec<&log::Entry> = rows.iter().filter(|r| r.state == State::Sent).collect();
    assert!(rows.iter().all(|r| r.state != State::Pending), "{rows:?}");
    let mails = smtp.messages();
    assert_eq!(
        mails.len(),
        sent.iter().filter(|r| r.channel == "email").count()
    );
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), mails.len(), "no message twice");
    let hooks = hook.got();
    let mut keys: Vec<&str> = hooks.iter().map(|h| h.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), hooks.len(), "no webhook call twice");
    assert_eq!(
        hooks.len(),
        sent.iter().filter(|r| r.channel == "webhook").count()
    );
    let runs = tagstation::hub::read(store.as_ref(), |c| {
        c.query("SELECT day FROM reminder_runs", &[])
    })
    .unwrap();
    assert_eq!(runs.len(), 1, "one hub made the day's run");
}

/// The text of a message with quoted-printable's soft line breaks undone (a long line
/// of a plain-text body is sent folded), so that a sentence can be looked for whole.
fn unfolded(m: &Mail) -> String {
    m.text.replace("=\r\n", "").replace("=3D", "=")
}

/// Reservations feed the reminders, made through the operations layer over the hub's
/// ledger: one not picked up after its first day reaches its person and the operators
/// once (not a cancelled one, not one picked up, not whoever opted out of it); one
/// picked up and kept past its last day is the loan's own "overdue" (the pick-up made
/// the loan due on that day), which names the reservation: nobody hears it twice.
fn reservations_feed_the_reminders(db: &str) {
    use tagstation::ops::reservations::{self, NewReservation};

    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), &[]);
    let hook = Receiver::start(0);
    let store = tagstation::hub::open_store(db).unwrap();
    let mut l = HubLedger::new(store.as_ref());
    let office = Actor::new("office:test");
    for (name, email, role) in [
        ("Ana", "ana@example.org", Role::Borrower),
        ("Olga", "olga@example.org", Role::Operator),
        ("Omar", "omar@example.org", Role::Admin),
    ] {
        people::add_person(&mut l, person(name, Some(email), role), &office).unwrap();
    }
    let camera = catalog::create_item(
        &mut l,
        NewItem {
            tracking: Tracking::Units,
            ..NewItem::named("Camera")
        },
        &office,
    )
    .unwrap();
    let mut units = Vec::new();
    for i in 1..=4 {
        let u = catalog::add_unit(
            &mut l,
            camera,
            NewUnit {
                tag: Some(format!("CAM-0{i}")),
                ..NewUnit::default()
            },
            &office,
        )
        .unwrap();
        units.push(u.id);
    }
    // A reservation can start today at the earliest; the reminders are ticked days on.
    let today = in_days(0);
    let reserve = |l: &mut HubLedger, units: &[&str], who: &str, last: i64| {
        reservations::reserve(
            l,
            NewReservation {
                item: units.is_empty().then(|| "Camera".to_string()),
                units: units.iter().map(|u| u.to_string()).collect(),
                person: who.into(),
                starts: in_days(0),
                ends: Some(in_days(last)),
                ..NewReservation::default()
            },
            &office,
        )
        .unwrap()
    };
    // Ana's CAM-01 until tomorrow, picked up now (no due date given: due tomorrow).
    let picked = reserve(&mut l, &["CAM-01"], "Ana", 1);
    // Ana's CAM-02 until the day after tomorrow, and any one camera for Olga today:
    // neither picked up.
    let missed = reserve(&mut l, &["CAM-02"], "Ana", 2);
    let olgas = reserve(&mut l, &[], "Olga", 0);
    // Ana's CAM-03 until tomorrow, called off.
    let called_off = reserve(&mut l, &["CAM-03"], "Ana", 1);
    reservations::cancel(&mut l, &called_off.id.to_string(), None, &office).unwrap();
    lending::check_out(&mut l, &units[..1], "Ana", None, &office).unwrap();
    // Omar wants no "not picked up".
    let omar = person_id(store.as_ref(), "Omar");
    tagstation::hub::write(store.as_ref(), |c| {
        log::set_prefs(
            c,
            omar,
            &Prefs {
                opted_out: vec![Kind::NotPickedUp],
                digest: false,
            },
        )
    })
    .unwrap();

    let s = settings(Some(smtp.settings()), Some(&hook));
    let hub = Reminders::new(store.clone(), s.clone()).unwrap();
    let subjects = |from: usize| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = smtp.messages()[from..]
            .iter()
            .map(|m| (m.to().to_string(), m.subject().to_string()))
            .collect();
        v.sort();
        v
    };
    let pair = |to: &str, subject: &str| (to.to_string(), subject.to_string());

    // The first day: nothing is late yet. The loan is due soon, on the reservation's
    // last day, and says whose reservation it is.
    let t = hub.tick(s.run_at(&today).unwrap()).unwrap();
    assert_eq!(t.ran.as_deref(), Some(today.as_str()), "{t:?}");
    let due = format!("Due {}: Camera 01 (CAM-01)", in_days(1));
    assert_eq!(
        subjects(0),
        [
            pair("ana@example.org", &due),
            pair("olga@example.org", &due),
            pair("omar@example.org", &due),
        ]
    );
    let short = reservations::short_id;
    let ana = &smtp.messages()[0];
    assert!(
        unfolded(ana).contains(&format!(
            "It is reserved from {today} to {} (reservation {}).",
            in_days(1),
            short(picked.id)
        )),
        "{}",
        ana.text
    );

    // Two days on: the two reservations not picked up (Ana's still holds its camera
    // today, Olga's ended), once each to their person and the operators (Olga's own
    // once; Omar opted out), and the loan overdue, naming its reservation. The
    // cancelled one and the one picked up are not a notice of their own.
    let seen = smtp.messages().len();
    let later = in_days(2);
    let t = hub.tick(s.run_at(&later).unwrap()).unwrap();
    assert_eq!(t.ran.as_deref(), Some(later.as_str()), "{t:?}");
    let overdue = "Overdue: Camera 01 (CAM-01)";
    let cam2 = "Not picked up: Camera 02 (CAM-02)";
    let any = "Not picked up: a unit of Camera";
    assert_eq!(
        subjects(seen),
        [
            pair("ana@example.org", cam2),
            pair("ana@example.org", overdue),
            pair("olga@example.org", cam2),
            pair("olga@example.org", any),
            pair("olga@example.org", overdue),
            pair("omar@example.org", overdue),
        ]
    );
    let mails = smtp.messages();
    let find = |to: &str, subject: &str| {
        mails[seen..]
            .iter()
            .find(|m| m.to() == to && m.subject() == subject)
            .map(unfolded)
            .unwrap()
    };
    let text = find("ana@example.org", cam2);
    for words in [
        format!(
            "Ana reserved Camera 02 (CAM-02) (Camera) from {today} to {}, and it has not \
             been picked up.",
            in_days(2)
        ),
        format!(
            "The reservation holds it until {}. If it is no longer needed, cancel the \
             reservation so that others can borrow it.",
            in_days(2)
        ),
        format!("Reservation {}", short(missed.id)),
    ] {
        assert!(text.contains(&words), "{words:?} in {text}");
    }
    let text = find("olga@example.org", any);
    assert!(
        text.contains(&format!(
            "Olga reserved a unit of Camera on {today}, and it has not been picked up."
        )) && text.contains("The reservation ended on")
            && text.contains(&short(olgas.id)),
        "{text}"
    );
    let text = find("ana@example.org", overdue);
    assert!(
        text.contains(&format!("was due back on {}.", in_days(1)))
            && text.contains(&format!(
                "It was reserved from {today} to {} (reservation {}), and the reservation \
                 has ended: please bring it back.",
                in_days(1),
                short(picked.id)
            )),
        "{text}"
    );
    assert!(!mails.iter().any(|m| m.text.contains(&short(called_off.id))));
    let rows = log_rows(store.as_ref());
    let skipped: Vec<&log::Entry> = rows
        .iter()
        .filter(|r| r.kind == "not_picked_up" && r.recipient == "omar@example.org")
        .collect();
    assert_eq!(skipped.len(), 2, "{rows:?}");
    assert!(skipped.iter().all(|r| r.state == State::OptedOut));
    let hooks: Vec<String> = hook
        .got()
        .iter()
        .filter(|h| h.body["kind"] == "not_picked_up")
        .map(|h| h.body["key"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut want = vec![
        format!("not_picked_up:{}", missed.id),
        format!("not_picked_up:{}", olgas.id),
    ];
    want.sort();
    let mut got = hooks.clone();
    got.sort();
    assert_eq!(got, want);

    // The next day: nothing again.
    let seen = smtp.messages().len();
    let t = hub.tick(s.run_at(&in_days(3)).unwrap()).unwrap();
    assert_eq!((t.queued, t.sent), (0, 0), "{t:?}");
    assert_eq!(smtp.messages().len(), seen);
    // Each row was sent exactly once.
    for r in log_rows(store.as_ref())
        .iter()
        .filter(|r| r.state == State::Sent && r.channel == "email")
    {
        let n = smtp
            .messages()
            .iter()
            .filter(|m| m.message_id().starts_with(&format!("<{}@", r.id)))
            .count();
        assert_eq!(n, 1, "{r:?}");
    }
}

#[test]
fn sqlite_reservations_feed_the_reminders() {
    let dir = tempfile::tempdir().unwrap();
    reservations_feed_the_reminders(&dir.path().join("hub.db").display().to_string());
}

#[test]
fn postgres_reservations_feed_the_reminders() {
    let Some(base) = common::pg_url() else { return };
    reservations_feed_the_reminders(&common::fresh_pg_db(&base, "remind_reservations"));
}
