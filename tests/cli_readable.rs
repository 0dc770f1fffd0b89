//! The `tagstation` binary's output as people read it and its exit codes as the README
//! gives them: history with names and local time, conflicts with both changes (and
//! cleared on the station once reviewed on a real hub), overdue with days late, line
//! input, door mode, due dates, no database made by a look, no "Broken pipe".

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{cmd, sync, tagged_item, TempStation, TestHub};
use tagstation::catalog::Status;
use tagstation::event::EventKind;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A station with a Laptop (units L1, L2) and Gloves (a count item).
fn laptops() -> TempStation {
    let st = TempStation::new();
    for args in [
        &["init", "--name", "Shop door"][..],
        &["person", "add", "Ana", "--badge", "B-ANA"],
        &["person", "add", "Ben", "--badge", "B-BEN"],
        &["location", "add", "Shelf A", "--kind", "shelf"],
        &["item", "add", "Laptop", "--units"],
        &["unit", "add", "Laptop", "--tag", "L1"],
        &["unit", "add", "Laptop", "--tag", "L2"],
        &["item", "add", "Gloves", "--quantity", "40"],
    ] {
        let o = st.cli(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    st
}

/// Run the binary with standard input and extra environment.
fn run_with(
    st: &TempStation,
    args: &[&str],
    input: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut c = Command::new(common::bin());
    c.arg("--data")
        .arg(st.path())
        .args(args)
        .env_remove("TAGSTATION_CONFIG")
        .env_remove("TAGSTATION_LOG")
        .env("TAGSTATION_ACTOR", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("run tagstation");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn scanning_an_unknown_code_exits_2_and_says_so_once() {
    let st = laptops();
    let o = st.cli(&["scan", "NOPE-1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).matches("unknown code").count(),
        1,
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    // Scripts still get the JSON answer, with the same exit code.
    let o = st.cli(&["scan", "NOPE-1", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["type"], "unknown");
    assert!(st.cli(&["scan", "L1"]).status.success());
}

#[test]
fn decoding_a_missing_image_fails_and_says_so_once() {
    let st = TempStation::new();
    let o = st.cli(&["decode", "missing.png"]);
    assert_eq!(o.status.code(), Some(1));
    let all = stdout(&o) + &stderr(&o);
    assert_eq!(all.matches("No such file").count(), 1, "{all}");
    assert!(
        stderr(&o).contains("1 of 1 images could not be read"),
        "{all}"
    );
    // One good image beside a missing one: still a failure for a script.
    let good = common::samples_root().join("qrcode-2/#1086.png");
    let o = st.cli(&["decode", good.to_str().unwrap(), "missing.png"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("H15-03-34"), "{}", stdout(&o));
}

#[test]
fn line_input_checks_in_and_fails_when_every_line_is_refused() {
    let st = laptops();
    assert!(st.cli(&["checkout", "L1", "--to", "Ana"]).status.success());
    let o = run_with(
        &st,
        &["scan", "--stdin", "--status", "check_in"],
        "L1\n",
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("saved "), "{}", stdout(&o));
    let unit = st.cli_json(&["unit", "show", "L1", "--json"]);
    assert_eq!(unit["status"], "in_stock");

    // Nothing saved, everything refused: exit 2, each line said once.
    let o = run_with(
        &st,
        &["scan", "--stdin", "--status", "check_in"],
        "L1\nNOPE\n",
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert_eq!(stdout(&o).matches("refused").count(), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("all 2 scans were refused"),
        "{}",
        stderr(&o)
    );
    // A line that is no scan at all (a control character): refused once, on stdout.
    let o = run_with(
        &st,
        &["scan", "--stdin", "--status", "damaged"],
        "L2\u{7}x\n",
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o).matches("refused").count(), 1, "{}", stdout(&o));
    assert!(!stderr(&o).contains("scan refused"), "{}", stderr(&o));
    // One saved among refused ones is not a failure.
    let o = run_with(
        &st,
        &["scan", "--stdin", "--status", "damaged"],
        "NOPE\nL2\n",
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_check_out_due_in_the_past_is_refused() {
    let st = laptops();
    let o = st.cli(&["checkout", "L1", "--to", "Ana", "--due", "2020-01-31"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("in the past"), "{}", stderr(&o));
    let unit = st.cli_json(&["unit", "show", "L1", "--json"]);
    assert_eq!(unit["status"], "in_stock");
    let today = tagstation::clock::today();
    assert!(st
        .cli(&["checkout", "L1", "--to", "Ana", "--due", &today])
        .status
        .success());
}

#[test]
fn overdue_lists_holder_item_unit_and_days_late_under_a_header() {
    let st = laptops();
    {
        // Overdue from long ago: recorded below the operations (which refuse past dates).
        let mut s = st.open();
        let u = s.find_unit("L2").unwrap();
        s.record(cmd(
            u.item_id,
            Some(u.id),
            EventKind::CheckedOut {
                holder: "Ben".into(),
                due: Some("2020-01-31".into()),
                holder_id: None,
            },
        ))
        .unwrap();
    }
    let o = st.cli(&["overdue"]);
    let text = stdout(&o);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for col in ["HOLDER", "ITEM", "UNIT", "TAG", "DUE", "DAYS LATE"] {
        assert!(header.contains(col), "{text}");
    }
    let row = lines.next().unwrap();
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let today = time::Date::parse(&tagstation::clock::today(), &f).unwrap();
    let late = (today - time::Date::from_calendar_date(2020, time::Month::January, 31).unwrap())
        .whole_days();
    for cell in [
        "Ben",
        "Laptop",
        "Laptop 02",
        "L2",
        "2020-01-31",
        &late.to_string(),
    ] {
        assert!(row.contains(cell), "{cell} missing: {text}");
    }
    assert_eq!(row.find("Laptop"), header.find("ITEM"), "{text}");
}

#[test]
fn status_in_an_empty_folder_creates_nothing_and_says_to_run_init() {
    let st = TempStation::new();
    for args in [
        &["status"][..],
        &["history", "L1"],
        &["overdue"],
        &["scan", "L1"],
    ] {
        let o = st.cli(args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert_eq!(
            stderr(&o).matches("tagstation init").count(),
            1,
            "{}",
            stderr(&o)
        );
    }
    assert!(
        std::fs::read_dir(st.path()).unwrap().next().is_none(),
        "nothing created"
    );
    assert!(st.cli(&["init"]).status.success());
    assert!(st.cli(&["status"]).status.success());
}

#[test]
fn history_piped_into_head_ends_quietly() {
    let st = laptops();
    {
        let mut s = st.open();
        let u = s.find_unit("L1").unwrap();
        let cmds = (0..3000)
            .map(|i| {
                cmd(
                    u.item_id,
                    Some(u.id),
                    EventKind::StatusChanged {
                        to: if i % 2 == 0 {
                            Status::Damaged
                        } else {
                            Status::InStock
                        },
                        reason: None,
                    },
                )
            })
            .collect();
        s.record_batch(cmds).unwrap();
    }
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} --data {} history L1 | head -n 2",
            common::bin().display(),
            st.path().display()
        ))
        .output()
        .unwrap();
    assert_eq!(stdout(&o).lines().count(), 2);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn history_reads_with_names_local_time_and_aligned_columns() {
    let st = laptops();
    assert!(st.cli(&["checkout", "L1", "--to", "Ana"]).status.success());
    assert!(st
        .cli(&["checkin", "L1", "--location", "Shelf A"])
        .status
        .success());
    assert!(st.cli(&["item", "adjust", "Gloves", "-2"]).status.success());
    let info = st.cli_json(&["status", "--json"]);
    let station_id = info["station_id"].as_str().unwrap().to_string();

    // 9 hours east of UTC (POSIX TZ needs no zone files).
    let o = run_with(&st, &["history", "L1"], "", &[("TZ", "UTC-9")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains(&station_id), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let header = lines[0];
    assert!(header.starts_with("WHEN"), "{text}");
    let rows: Vec<&str> = lines[1..]
        .iter()
        .copied()
        .filter(|l| !l.starts_with('('))
        .collect();
    assert_eq!(rows.len(), 3, "created, out, in: {text}");
    for r in &rows {
        assert!(
            r.contains("Shop door") && r.contains("Laptop 01 (L1)"),
            "{text}"
        );
        assert_eq!(r.find("Shop door"), header.find("STATION"), "{text}");
        assert_eq!(r.find("tester"), header.find("WHO"), "{text}");
    }
    assert!(rows[2].contains("checked in at Shelf A"), "{text}");
    // Local time: the JSON's UTC time, nine hours on.
    let json = st.cli_json(&["history", "L1", "--json"]);
    let at = json[2]["at"].as_str().unwrap();
    let utc =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap();
    let local = utc.to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    assert!(
        rows[2].starts_with(&local.format(&f).unwrap()),
        "{at} vs {text}"
    );

    // A count item has a history too.
    let o = st.cli(&["history", "Gloves"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("item \"Gloves\" created"), "{text}");
    assert!(text.contains("in_stock -2"), "{text}");
    assert!(text.lines().nth(1).unwrap().contains("Gloves"), "{text}");
}

#[test]
fn door_check_in_of_a_unit_not_out_says_one_thing_and_saved_scans_are_logged() {
    let st = laptops();
    assert!(st.cli(&["checkout", "L2", "--to", "Ana"]).status.success());
    // A config from before people were catalog entities still lists them: ignored,
    // and said so.
    let config = st.path().join("station.toml");
    std::fs::write(
        &config,
        "[[station.people]]\nname = \"Ana\"\nbadge = \"B-1\"\n",
    )
    .unwrap();
    let o = run_with(
        &st,
        &[
            "--config",
            config.to_str().unwrap(),
            "station",
            "--headless",
        ],
        "L1\nL2\n",
        &[("TAGSTATION_DOOR", "check_in")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("[[station.people]] list in this station's config is ignored")
            && err.contains("tagstation admin people import"),
        "{err}"
    );
    let about_l1: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("door") && l.contains("L1"))
        .collect();
    assert_eq!(about_l1.len(), 1, "{err}");
    assert!(about_l1[0].contains("is not checked out"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("door: saved") && l.contains("L2")),
        "{err}"
    );
}

#[test]
fn conflicts_name_both_changes_and_clear_once_reviewed_on_the_hub() {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let (a_dir, b_dir) = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    hub.enroll(&mut a, "Van 1");
    hub.enroll(&mut b, "Shop door");
    let (item, units) = tagged_item(&mut a, "Camera", "C", 1);
    sync(&mut a);
    sync(&mut b);
    let change = |s: &mut tagstation::store::Store, to| {
        s.record(cmd(
            item,
            Some(units[0]),
            EventKind::StatusChanged { to, reason: None },
        ))
        .unwrap();
    };
    change(&mut a, Status::Sending);
    change(&mut b, Status::Damaged);
    sync(&mut a);
    assert_eq!(sync(&mut b).conflicts, 1);
    drop(b);

    let o = b_dir.cli(&["conflicts"]);
    let text = stdout(&o);
    let (_, hub_conflicts) = hub.admin("GET", "/v1/admin/conflicts", None);
    let id = hub_conflicts[0]["event_id"].as_str().unwrap().to_string();
    assert!(text.contains(&format!("conflict {id}")), "{text}");
    assert!(text.contains("Camera 01 (C-1)"), "{text}");
    let first = text
        .lines()
        .find(|l| l.trim_start().starts_with("first"))
        .unwrap();
    let then = text
        .lines()
        .find(|l| l.trim_start().starts_with("then"))
        .unwrap();
    assert!(
        first.contains("Van 1") && first.contains("status → sending"),
        "{text}"
    );
    assert!(
        then.contains("Shop door") && then.contains("status → damaged"),
        "{text}"
    );
    assert_eq!(b_dir.cli_json(&["status", "--json"])["conflicts"], 1);

    let (code, _) = hub.admin("POST", &format!("/v1/admin/conflicts/{id}/resolve"), None);
    assert_eq!(code, 200);
    let mut b = b_dir.open();
    sync(&mut b);
    sync(&mut a);
    drop(b);
    for s in [&b_dir, &a_dir] {
        assert_eq!(s.cli_json(&["status", "--json"])["conflicts"], 0);
        assert_eq!(stdout(&s.cli(&["conflicts"])), "no conflicts\n");
    }
    // The review is in the unit's history, everywhere.
    let h = b_dir.cli_json(&["history", "C-1", "--json"]);
    assert!(h
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "conflict_reviewed"));
}
