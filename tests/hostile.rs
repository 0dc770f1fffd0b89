//! Hostile identities and text, and a station's storage turning against it: a station
//! enrolling as the hub, control characters and megabyte strings in events, forged
//! log lines, spreadsheet formulas in names, a full disk at start-up, a read-only
//! database file. Each case is refused with a clear message and changes nothing else.

mod common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::{cmd, tagged_item, TempStation, TestHub, ADMIN_TOKEN};
use tagstation::catalog::Status;
use tagstation::event::EventKind;
use tagstation::proto::{PullResponse, PushResponse, PushStatus};
use tagstation::store::DB_FILE;
use uuid::Uuid;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A pushed event as a station's JSON, built by hand so it can be made hostile.
fn event_json(station: Uuid, seq: i64, actor: &str, kind: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": Uuid::now_v7(),
        "station_id": station,
        "station_seq": seq,
        "actor": actor,
        "wall_time_ms": 1_764_000_000_000i64,
        "clock_synced": true,
        "item_id": Uuid::now_v7(),
        "unit_id": null,
        "base_version": null,
        "scan": null,
        "kind": kind,
    })
}

fn item_created(name: &str) -> serde_json::Value {
    serde_json::json!({"type": "item_created", "name": name, "sku": null, "barcode": null,
        "tracking": "count", "reorder_point": null})
}

/// Enroll with a code under a chosen station id; returns the HTTP status.
fn enroll_as(client: &reqwest::blocking::Client, url: &str, code: &str, id: Uuid) -> u16 {
    client
        .post(format!("{url}/v1/enroll"))
        .json(&serde_json::json!({"code": code, "station_id": id}))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn new_code(client: &reqwest::blocking::Client, url: &str, name: &str) -> String {
    let r: serde_json::Value = client
        .post(format!("{url}/v1/admin/stations"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "name": name }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    r["enrollment_code"].as_str().unwrap().to_string()
}

/// The hub's own station id, as any admin-made event shows it.
fn hub_id(client: &reqwest::blocking::Client, url: &str) -> Uuid {
    let r: serde_json::Value = client
        .post(format!("{url}/v1/admin/commands"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"kind": item_created("Hub item")}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    Uuid::parse_str(r["event"]["station_id"].as_str().expect("admin event")).unwrap()
}

/// No station can take the hub's id, the nil or max UUID, or an id whose events the
/// hub already holds; a refused attempt does not use up the code.
fn reserved_ids_are_refused(hub: &TestHub) -> Vec<String> {
    let c = hub.client();
    let url = &hub.url;
    let code = new_code(&c, url, "Spoof");
    let hub_id = hub_id(&c, url);
    let mut rows = Vec::new();
    for (what, id) in [
        ("the hub's own id", hub_id),
        ("the nil UUID", Uuid::nil()),
        ("the max UUID", Uuid::max()),
    ] {
        let status = enroll_as(&c, url, &code, id);
        assert_eq!(status, 403, "enrolling as {what}");
        rows.push(format!("| enroll under {what} | {status} |"));
    }
    // A station whose events the hub holds: its id is taken even for a new code.
    let st = TempStation::new();
    let mut s = st.open();
    hub.enroll(&mut s, "Real");
    tagged_item(&mut s, "Saw", "S", 1);
    common::sync(&mut s);
    let status = enroll_as(&c, url, &code, s.station_id());
    assert_eq!(status, 409, "enrolling under a known station's id");
    rows.push(format!("| enroll under another station's id | {status} |"));
    // The code still works for a station's own, new id.
    assert_eq!(enroll_as(&c, url, &code, Uuid::now_v7()), 200);
    rows
}

#[test]
fn reserved_station_ids_are_refused_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path().to_str().unwrap());
    reserved_ids_are_refused(&hub);
}

/// The PostgreSQL backend: a hub test, run where the hub is built.
#[cfg(feature = "hub")]
#[test]
fn reserved_station_ids_are_refused_postgres() {
    let Some(base) = common::pg_url() else { return };
    let url = common::fresh_pg_db(&base, "reserved_station_ids");
    let hub = TestHub::start(&url);
    reserved_ids_are_refused(&hub);
}

/// The hub binary with debug logging, to read exactly what it writes.
struct HubProcess {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl HubProcess {
    fn start() -> HubProcess {
        Self::start_with(&[])
    }

    /// A hub process with extra `tagstation hub` arguments.
    fn start_with(args: &[&str]) -> HubProcess {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let child = Command::new(common::hub_bin())
            .arg("--data")
            .arg(dir.path())
            .args(["hub", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("TAGSTATION_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TAGSTATION_LOG", "debug")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while reqwest::blocking::get(format!("{url}/healthz")).is_err() {
            assert!(std::time::Instant::now() < deadline, "hub did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        HubProcess {
            child,
            url,
            _dir: dir,
        }
    }

    fn log(mut self) -> String {
        let _ = self.child.kill();
        let out = self.child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

#[test]
fn hostile_events_are_quarantined_not_stored_and_logged_escaped() {
    let hub = HubProcess::start();
    let c = reqwest::blocking::Client::new();
    let url = hub.url.clone();
    let mut rows = reserved_over_http(&c, &url);

    // A station of its own, whose pushes we write by hand.
    let st = TempStation::new();
    let mut s = st.open();
    tagstation::sync::enroll(&mut s, &url, &new_code(&c, &url, "Hostile")).unwrap();
    let token = s.hub().unwrap().unwrap().1;
    let me = s.station_id();
    let push = |events: Vec<serde_json::Value>| -> PushResponse {
        let r = c
            .post(format!("{url}/v1/sync/push"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "events": events }))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "a bad event never fails the whole push");
        r.json().unwrap()
    };
    let forged = "x\nFORGED INFO tagstation::hub::server: station token revoked station=A";
    let mut unknown_inner = item_created("Unknown inner field");
    unknown_inner["evil"] = serde_json::json!(true);
    let mut unknown_outer = event_json(me, 0, "ana", item_created("Unknown outer field"));
    unknown_outer["extra"] = serde_json::json!(1);
    let mut with_scan = event_json(me, 0, "ana", item_created("Long scan"));
    with_scan["scan"] = serde_json::json!("S".repeat(1_000_000));
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "item name with ESC",
            event_json(me, 0, "ana", item_created("Drill\u{1b}[2J")),
        ),
        (
            "item name of 1 MB",
            event_json(me, 0, "ana", item_created(&"N".repeat(1_000_000))),
        ),
        (
            "actor with ESC and a newline",
            event_json(me, 0, "ana\u{1b}[2J\nhub-admin", item_created("Saw")),
        ),
        (
            "actor of 1 MB",
            event_json(me, 0, &"A".repeat(1_000_000), item_created("Saw")),
        ),
        ("scanned text of 1 MB", with_scan),
        ("unknown field in an event", unknown_outer),
        (
            "event type with a newline (log forging)",
            event_json(me, 0, "ana", serde_json::json!({"type": forged})),
        ),
    ];
    let n_bad = cases.len() as i64;
    for (i, (what, mut ev)) in cases.into_iter().enumerate() {
        ev["station_seq"] = serde_json::json!(i as i64 + 1);
        let r = push(vec![ev]);
        let res = &r.results[0];
        assert_eq!(res.status, PushStatus::Rejected, "{what}: {res:?}");
        assert!(res.hub_seq.is_none(), "{what}: no place in the hub's log");
        let reason = res.reason.clone().unwrap_or_default();
        assert!(
            !reason.chars().any(char::is_control),
            "{what}: reason {reason:?}"
        );
        assert_eq!(
            r.contiguous_seq,
            i as i64 + 1,
            "{what}: quarantined, the queue moves on"
        );
        rows.push(format!(
            "| pushed: {what} | 200, `rejected`, quarantined, no hub sequence: {} |",
            reason
                .chars()
                .take(70)
                .collect::<String>()
                .replace('|', "\\|")
        ));
    }
    // The next good event goes through, and nothing hostile reaches other stations.
    let r = push(vec![event_json(
        me,
        n_bad + 1,
        "ana",
        item_created("Good item"),
    )]);
    assert_eq!(r.results[0].status, PushStatus::Accepted, "{r:?}");
    // A field of a known kind this hub does not know reads as a newer station's: not
    // stored, not quarantined, left queued at the station (which alone it stalls).
    let r = push(vec![event_json(me, n_bad + 2, "ana", unknown_inner)]);
    let res = &r.results[0];
    assert_eq!(res.status, PushStatus::Unsupported, "{res:?}");
    assert!(res.hub_seq.is_none());
    assert_eq!(r.contiguous_seq, n_bad + 1, "its slot stays open");
    let reason = res.reason.clone().unwrap_or_default();
    assert!(reason.contains("\"evil\""), "{reason}");
    rows.push(format!(
        "| pushed: unknown field in an event's kind | 200, `unsupported` (a newer version's field): not stored, not quarantined, left queued: {} |",
        reason.chars().take(60).collect::<String>().replace('|', "\\|")
    ));
    let page: PullResponse = c
        .get(format!("{url}/v1/sync/pull?after=0"))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mine: Vec<_> = page
        .events
        .iter()
        .filter(|e| e.event.station_id == me)
        .collect();
    assert_eq!(mine.len(), 1, "only the good event is in the hub's log");
    let metrics = c
        .get(format!("{url}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(&format!("tagstation_quarantined {n_bad}")),
        "{metrics}"
    );

    let log = hub.log();
    assert!(log.contains("push: event rejected"), "refusals are logged");
    for line in log.lines() {
        assert!(
            !line.starts_with("FORGED"),
            "a station wrote a line into the hub's log: {line}"
        );
        assert!(
            !line.contains('\u{1b}'),
            "raw ESC in the hub's log: {line:?}"
        );
    }
    assert!(
        log.contains("\\nFORGED"),
        "the forged text is logged escaped, on its line"
    );
    common::report_fault(
        "71-hostile-events",
        &format!(
            "## Hostile identities and events at the hub\n\nA station enrolling under a reserved or \
             taken id is refused, and every event is checked like a local write: {n_bad} hostile \
             events pushed one by one, each answered `rejected`, kept in quarantine with no hub \
             sequence number and never sent to another station, and the station's next event was \
             accepted. The hub's log held no raw control character and no forged line.\n\n\
             | attack | answer |\n|---|---|\n{}\n\n",
            rows.join("\n")
        ),
    );
}

/// The reserved-id cases against the hub binary itself.
fn reserved_over_http(c: &reqwest::blocking::Client, url: &str) -> Vec<String> {
    let code = new_code(c, url, "Spoof");
    let hub = hub_id(c, url);
    let mut rows = Vec::new();
    for (what, id) in [("the hub's own id", hub), ("the nil UUID", Uuid::nil())] {
        let status = enroll_as(c, url, &code, id);
        assert_eq!(status, 403, "enrolling as {what}");
        rows.push(format!("| enroll under {what} | {status} |"));
    }
    rows
}

#[test]
fn actors_and_scans_follow_the_text_rules_at_the_station() {
    let st = TempStation::new();
    assert!(st
        .cli(&["item", "add", "Laptop", "--units"])
        .status
        .success());
    assert!(st
        .cli(&["unit", "add", "Laptop", "--tag", "L1"])
        .status
        .success());
    for actor in ["ana\u{1b}[2J", "ana\nfake line", &"A".repeat(100_000)] {
        let out = st.cli(&["--actor", actor, "scan", "L1", "--status", "damaged"]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "actor {:?}",
            &actor[..actor.len().min(20)]
        );
        assert!(stderr(&out).contains("actor"), "{}", stderr(&out));
        assert!(
            !stderr(&out).contains('\u{1b}'),
            "error output escapes the actor"
        );
    }
    let out = st.cli(&["scan", &"S".repeat(100_000)]);
    assert_ne!(out.status.code(), Some(0), "a 100 kB scan is refused");
    // The library's own door: a command with a 1 MB scan is refused before it is stored.
    let mut s = st.open();
    let u = s.find_unit("L1").unwrap();
    let mut c = cmd(
        u.item_id,
        Some(u.id),
        EventKind::StatusChanged {
            to: Status::Sending,
            reason: None,
        },
    );
    c.scan = Some("S".repeat(1_000_000));
    let e = s.record(c).unwrap_err();
    assert!(e.to_string().contains("scanned text is too long"), "{e}");
    assert_eq!(s.info().unwrap().last_seq, 2, "nothing was recorded");
    // FAULTS.md: this heading and these rows; the tests below add their own rows.
    common::report_fault(
        "72-hostile-text-a",
        "## Hostile text at the station\n\nActors and scanned text follow the same rules as names; \
         text already in a history is escaped on every output (`tests/hostile.rs`).\n\n\
         | input | answer |\n|---|---|\n\
         | `--actor` with ESC, with a newline, of 100 kB (3 cases) | exit 2, \"actor ...\", nothing recorded |\n\
         | a 100 kB scan on the command line; a 1 MB scan through the library (2) | refused, nothing recorded |\n",
    );
}

/// Text already in a history (written by an older binary, or arriving from elsewhere)
/// reaches terminals and CSV escaped; a change the hub refuses stays in the station's
/// history as not applied.
#[test]
fn history_prints_escaped_and_refused_changes_are_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path().to_str().unwrap());
    let st = TempStation::new();
    let mut s = st.open();
    hub.enroll(&mut s, "Old binary");
    let (item, units) = tagged_item(&mut s, "Meter", "M", 1);
    common::sync(&mut s);
    s.record(cmd(
        item,
        Some(units[0]),
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
    ))
    .unwrap();
    drop(s);
    // As an older binary would have stored it: an actor with ESC and a newline.
    let evil = "ana\u{1b}[2J\nFAKE saved by admin";
    let db = rusqlite::Connection::open(st.path().join(DB_FILE)).unwrap();
    let n = db
        .execute(
            "UPDATE events SET actor = ?1 WHERE kind = 'status_changed'",
            [evil],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);

    let out = st.cli(&["history", "M-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}'),
        "raw ESC reached the terminal: {text:?}"
    );
    assert!(text.contains("ana\\u{1b}[2J\\nFAKE"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("FAKE")),
        "a faked line: {text}"
    );
    let csv = stdout(&st.cli(&["export", "history"]));
    assert!(
        !csv.contains('\u{1b}') && csv.contains("ana\\u{1b}[2J"),
        "{csv}"
    );

    // The hub refuses that event; the station keeps it as not applied and rolls back.
    let mut s = st.open();
    let report = common::sync(&mut s);
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_eq!(s.find_unit("M-1").unwrap().status, Status::InStock);
    let last = s.history(units[0]).unwrap().pop().unwrap();
    assert!(!last.applied, "{last:?}");
    assert!(
        last.note
            .as_deref()
            .unwrap_or("")
            .contains("refused by the hub"),
        "{last:?}"
    );
    assert_eq!(s.info().unwrap().pending, 0, "not resent");
    common::report_fault(
        "72-hostile-text-b",
        "| an actor with ESC and a newline already in the history | `history` and CSV show \
         `\\u{1b}` and `\\n`: no raw control, no faked line |\n\
         | the hub refuses that older event on push | kept in the station's history as not \
         applied, state rolled back, not resent |\n",
    );
}

#[test]
fn csv_export_neutralises_formulas_and_import_restores_them() {
    let st = TempStation::new();
    let names = [
        "=cmd|' /C calc'!A1",
        "-5 V probe",
        "+Lens",
        "@Tripod",
        "'Quoted",
    ];
    for n in names {
        let out = st.cli(&["item", "add", "--quantity", "3", "--", n]);
        assert!(out.status.success(), "{n}: {}", stderr(&out));
    }
    let out = st.cli(&["item", "adjust", "--", "-5 V probe", "-2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&st.cli(&["export", "items"]));
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |h: &str| headers.iter().position(|x| x == h).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let cells: Vec<String> = rows.iter().map(|r| r[col("item")].to_string()).collect();
    for cell in &cells {
        assert!(
            cell.starts_with('\''),
            "formula-like cell not neutralised: {cell:?}"
        );
    }
    // Numbers stay numbers.
    let probe = rows
        .iter()
        .find(|r| r[col("item")].contains("5 V probe"))
        .unwrap();
    assert_eq!(&probe[col("in_stock")], "1");

    // Import takes the prefix off again: every name survives the round trip, and a
    // negative quantity in a numeric column is read as a number.
    let other = TempStation::new();
    let file = other.path().join("back.csv");
    let mut w = csv::Writer::from_path(&file).unwrap();
    w.write_record(["item", "tracking", "quantity"]).unwrap();
    for cell in &cells {
        w.write_record([cell.as_str(), "count", "5"]).unwrap();
    }
    w.write_record(["'-5 V probe", "", "-2"]).unwrap();
    w.flush().unwrap();
    let out = other.cli(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let items = other.cli_json(&["item", "list", "--json"]);
    let mut back: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    back.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(back, want);
    let probe = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "-5 V probe")
        .unwrap();
    assert_eq!(probe["totals"]["in_stock"], 3);
    common::report_fault(
        "72-hostile-text-c",
        "| item names `=cmd\\|' /C calc'!A1`, `-5 V probe`, `+Lens`, `@Tripod`, `'Quoted` (5) | \
         CSV cells start with `'`; import takes it off: the same 5 names back |\n\n",
    );
}

#[test]
fn a_read_only_database_file_keeps_its_mode_and_refuses_writes() {
    let st = TempStation::new();
    assert!(st
        .cli(&["item", "add", "Laptop", "--units"])
        .status
        .success());
    assert!(st
        .cli(&["unit", "add", "Laptop", "--tag", "L1"])
        .status
        .success());
    let db = st.path().join(DB_FILE);
    let mode = |m: u32| std::fs::set_permissions(&db, std::fs::Permissions::from_mode(m)).unwrap();
    let current = || std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;

    // An operator's mode is respected, not reset to 0600.
    mode(0o640);
    assert!(st.cli(&["status"]).status.success());
    assert_eq!(current(), 0o640);

    mode(0o444);
    let out = st.cli(&["status"]);
    assert!(out.status.success(), "reads still work: {}", stderr(&out));
    assert!(stdout(&out).contains("READ-ONLY"), "{}", stdout(&out));
    let out = st.cli(&["scan", "L1", "--status", "damaged"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(current(), 0o444, "the mode was not changed");
    let unit = st.cli_json(&["unit", "show", "L1", "--json"]);
    assert_eq!(unit["status"], "in_stock", "nothing was saved");

    mode(0o600);
    let out = st.cli(&["scan", "L1", "--status", "damaged"]);
    assert!(out.status.success(), "{}", stderr(&out));
    common::report_fault(
        "66-storage-at-start-b",
        "| database file mode 0640, then 0444 | modes kept; at 0444 `status` works and says \
         READ-ONLY, a scan exits 1 \"the database file is read-only\", nothing saved; writable \
         again, the scan saves |\n\n",
    );
}

#[test]
fn each_cause_is_said_once() {
    let st = TempStation::new();
    let long = "N".repeat(300);
    let out = st.cli(&["item", "add", &long]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.matches("too long (300 > 200)").count(), 1, "{err}");

    let junk = TempStation::new();
    std::fs::write(junk.path().join(DB_FILE), vec![b'x'; 8192]).unwrap();
    let out = junk.cli(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.matches("not a database").count(), 1, "{err}");
}

/// A real full disk: a 2 MB tmpfs in a private mount namespace (needs root, as in CI).
#[test]
fn a_station_on_a_full_disk_starts_read_only_and_recovers_when_space_returns() {
    let can_mount = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !can_mount {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: unshare and mount must work"
        );
        eprintln!("cannot mount a tmpfs here (not root?): skipping the full-disk start test");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let mnt = work.path().join("disk");
    std::fs::create_dir(&mnt).unwrap();
    let data = mnt.join("station");
    let bin = common::bin();
    let ts = |args: &str| {
        format!(
            "TAGSTATION_ACTOR=tester {} --data {} {args}",
            bin.display(),
            data.display()
        )
    };
    let script = format!(
        r#"set -u
mount -t tmpfs -o size=2m tmpfs {mnt}
{init} > /dev/null
{item} > /dev/null
{unit} > /dev/null
# Fill the disk to the last byte, then shut down cleanly.
dd if=/dev/zero of={mnt}/filler bs=4k > /dev/null 2>&1
sync
echo "== status"; {status} 2>&1; echo "exit $?"
echo "== scan"; {scan} 2>&1; echo "exit $?"
echo "== show"; {show} 2>&1; echo "exit $?"
rm {mnt}/filler
echo "== scan after"; {scan} 2>&1; echo "exit $?"
"#,
        mnt = mnt.display(),
        init = ts("init"),
        item = ts("item add Laptop --units"),
        unit = ts("unit add Laptop --tag L1"),
        status = ts("status"),
        scan = ts("scan L1 --status damaged"),
        show = ts("unit show L1 --json"),
    );
    let mut child = Command::new("unshare")
        .args(["-m", "bash", "-s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    let part = |name: &str| -> String {
        let start = text
            .find(&format!("== {name}\n"))
            .unwrap_or_else(|| panic!("{name} missing: {text}\n{}", stderr(&out)));
        let rest = &text[start + name.len() + 4..];
        rest[..rest.find("== ").unwrap_or(rest.len())].to_string()
    };
    let status = part("status");
    assert!(
        status.contains("exit 0"),
        "status works on a full disk: {status}"
    );
    assert!(
        status.contains("storage full: nothing can be saved until space is freed"),
        "{status}"
    );
    let scan = part("scan");
    assert!(
        scan.contains("exit 1") && scan.contains("storage full"),
        "{scan}"
    );
    let show = part("show");
    assert!(
        show.contains("\"status\": \"in_stock\"") && show.contains("exit 0"),
        "{show}"
    );
    let after = part("scan after");
    assert!(
        after.contains("exit 0"),
        "recovers once space returns: {after}"
    );
    common::report_fault(
        "66-storage-at-start-a",
        "## A station starting on a full disk, or on a read-only file\n\n\
         A real 2 MB tmpfs filled to the last byte after a clean shutdown (`tests/hostile.rs`).\n\n\
         | case | answer |\n|---|---|\n\
         | `status`, `unit show` on the full disk | exit 0, read from the file opened read-only; \
         status says \"storage full: nothing can be saved until space is freed\" |\n\
         | a scan on the full disk | exit 1, storage full, nothing saved |\n\
         | the same scan once space returns | saved |\n",
    );
}

/// Failed admin attempts from `client` (as a proxy on loopback forwards them): the
/// status of each answer.
#[cfg(feature = "hub")]
fn attempts(
    c: &reqwest::blocking::Client,
    url: &str,
    client: &str,
    n: usize,
    token: &str,
) -> Vec<u16> {
    (0..n)
        .map(|_| {
            c.get(format!("{url}/v1/admin/stations"))
                .bearer_auth(token)
                .header("x-forwarded-for", client)
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
        .collect()
}

/// The hub's own behaviour (with the hub build's limit): not part of the Pi's suite.
#[cfg(feature = "hub")]
#[test]
fn behind_a_trusted_proxy_each_client_has_its_own_failure_limit() {
    let c = reqwest::blocking::Client::new();
    // Loopback is the configured proxy: X-Forwarded-For names the client.
    let hub = HubProcess::start_with(&["--trusted-proxy", "127.0.0.1"]);
    let limit = tagstation::hub::server::FAILURES_PER_MINUTE as usize;
    let first = attempts(
        &c,
        &hub.url,
        "203.0.113.7",
        limit + 1,
        "wrong-token-0123456789",
    );
    assert_eq!(first.last(), Some(&429), "{first:?}");
    // Another client behind the same proxy is not locked out by the first one.
    assert_eq!(
        attempts(&c, &hub.url, "198.51.100.2", 1, ADMIN_TOKEN),
        [200]
    );
    assert_eq!(attempts(&c, &hub.url, "203.0.113.7", 1, ADMIN_TOKEN), [429]);
    let log = hub.log();
    assert!(log.contains("203.0.113.7"), "logs name the client");

    // Without it, the header is ignored: a client cannot pick whose limit it uses.
    let hub = HubProcess::start();
    let first = attempts(
        &c,
        &hub.url,
        "203.0.113.7",
        limit + 1,
        "wrong-token-0123456789",
    );
    assert_eq!(first.last(), Some(&429), "{first:?}");
    assert_eq!(
        attempts(&c, &hub.url, "198.51.100.2", 1, ADMIN_TOKEN),
        [429]
    );
}
