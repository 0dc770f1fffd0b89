//! A catalog a shop can trust, end to end through the real binary and a real hub:
//! folding units back into counts never loses a checked-out unit nor discards what
//! units carry without `--force`; the lifecycle of a serialised unit (received,
//! transferred, repair, sold, returned) in history; the built-in date fields; and the
//! same events through a hub on both backends.

mod common;

use common::{cmd, TempStation};
use tagstation::event::EventKind;

fn ok(st: &TempStation, args: &[&str]) -> String {
    let out = st.cli(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Refused as a user error (exit 2); returns what it said on stderr.
fn refused(st: &TempStation, args: &[&str]) -> String {
    let out = st.cli(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}

/// The scenario: a laptop checked out to Ben, overdue, with a serial number.
/// Switching Laptop back to counts is refused, naming the unit; overdue still lists
/// it and its tag still resolves. Once it is checked in, the fold still needs
/// --force (the tag and serial would go), and with it history keeps what went.
#[test]
fn folding_a_checked_out_laptop_is_refused_and_a_forced_fold_keeps_a_record() {
    let st = TempStation::new();
    ok(&st, &["item", "add", "Laptop", "--units"]);
    ok(
        &st,
        &[
            "unit",
            "add",
            "Laptop",
            "--tag",
            "TS-0001",
            "--field",
            "serial=SN-42",
        ],
    );
    ok(&st, &["unit", "add", "Laptop"]);
    // Checked out, due long ago (recorded directly: the due date is in the past).
    {
        let mut s = st.open();
        let u = s.find_unit("TS-0001").unwrap();
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
    let events_before = st.cli_json(&["status", "--json"])["last_seq"].clone();

    for args in [
        &["item", "track", "Laptop", "--count"][..],
        &["item", "track", "Laptop", "--count", "--force"][..],
    ] {
        let err = refused(&st, args);
        assert!(err.contains("Laptop 01 (to Ben)"), "{err}");
        assert!(err.contains("check them in first"), "{err}");
    }
    assert_eq!(
        st.cli_json(&["status", "--json"])["last_seq"],
        events_before,
        "a refused fold records nothing"
    );
    let overdue = st.cli_json(&["overdue", "--json"]);
    assert_eq!(overdue[0]["name"], "Laptop 01", "{overdue}");
    assert_eq!(overdue[0]["holder"], "Ben");
    let resolved = st.cli_json(&["scan", "TS-0001", "--json"]);
    assert_eq!(resolved["type"], "unit", "{resolved}");
    assert_eq!(resolved["unit"]["fields"]["serial"], "SN-42");

    // Checked in: the fold would still discard the tag and the serial.
    ok(&st, &["checkin", "TS-0001"]);
    let err = refused(&st, &["item", "track", "Laptop", "--count"]);
    assert!(err.contains("tag TS-0001"), "{err}");
    assert!(err.contains("SN-42"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        st.cli_json(&["item", "show", "Laptop", "--json"])["tracking"],
        "units"
    );

    let said = ok(&st, &["item", "track", "Laptop", "--count", "--force"]);
    assert!(said.contains("2 units folded"), "{said}");
    let laptop = st.cli_json(&["item", "show", "Laptop", "--json"]);
    assert_eq!(laptop["tracking"], "count");
    assert_eq!(laptop["totals"]["in_stock"], 2);
    // The folded unit's history (by its tag, folded units included) ends with the fold,
    // which names what it discarded.
    let history = st.cli_json(&["history", "TS-0001", "--json"]);
    let fold = history.as_array().unwrap().last().unwrap();
    assert_eq!(fold["kind"], "tracking_switched");
    let gone = &fold["data"]["discarded"];
    assert_eq!(gone.as_array().unwrap().len(), 1, "{fold}");
    assert_eq!(gone[0]["name"], "Laptop 01");
    assert_eq!(gone[0]["asset_tag"], "TS-0001");
    assert_eq!(gone[0]["fields"]["serial"], "SN-42");
    let text = ok(&st, &["history", "TS-0001"]);
    assert!(
        text.contains("discarded: Laptop 01 (tag TS-0001, serial=\"SN-42\")"),
        "{text}"
    );
}

/// Received, transferred, repair, in stock, sold to a customer, returned: each step
/// recorded on the existing events, and the unit's history (text and JSON) in these
/// words. The date fields are checked and shown.
#[test]
fn a_unit_lifecycle_reads_in_its_users_words() {
    let st = TempStation::new();
    st.add_directory();
    ok(&st, &["item", "add", "Drill", "--units"]);
    ok(
        &st,
        &[
            "unit",
            "add",
            "Drill",
            "--tag",
            "D-1",
            "--status",
            "receiving",
            "--warranty-end",
            "2027-01-31",
        ],
    );
    ok(&st, &["unit", "status", "D-1", "in_stock"]);
    ok(
        &st,
        &["unit", "move", "D-1", "Van 2", "--reason", "transfer"],
    );
    ok(
        &st,
        &["unit", "status", "D-1", "sending", "--reason", "repair"],
    );
    ok(&st, &["unit", "status", "D-1", "in_stock"]);
    let sold = ok(&st, &["unit", "sell", "D-1", "--customer", "ACME Ltd"]);
    assert!(sold.contains("Drill 01 sold to ACME Ltd"), "{sold}");
    let drill = st.cli_json(&["item", "show", "Drill", "--json"]);
    assert_eq!(drill["total"], 0, "a sold unit leaves the totals");
    // Only a sold or retired unit comes back.
    ok(&st, &["unit", "return", "D-1", "--location", "Shelf A"]);
    let err = refused(&st, &["unit", "return", "D-1"]);
    assert!(err.contains("not sold or retired"), "{err}");

    let history = st.cli_json(&["history", "D-1", "--json"]);
    let steps: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["lifecycle"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "received",
            "transferred",
            "repair",
            "in stock",
            "sold",
            "returned"
        ]
    );
    let sale = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["lifecycle"] == "sold")
        .unwrap();
    assert_eq!(sale["kind"], "unit_retired");
    assert_eq!(sale["data"]["reason"], "sold");
    assert_eq!(sale["data"]["customer"], "ACME Ltd");
    let received = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["lifecycle"] == "received")
        .unwrap();
    assert_eq!(received["data"]["reason"], "received");
    let text = ok(&st, &["history", "D-1"]);
    for line in [
        "received: status → in_stock (received)",
        "transferred: moved to Van 2 (transfer)",
        "repair: status → sending (repair)",
        "sold: retired (sold) to ACME Ltd",
        "returned: returned to stock at Shelf A",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    let unit = st.cli_json(&["unit", "show", "D-1", "--json"]);
    assert_eq!(unit["status"], "in_stock");
    assert_eq!(unit["location"], "Shelf A");
    assert_eq!(unit["asset_tag"], "D-1", "its tag came back with it");

    // Dates: checked, set, shown.
    let err = refused(
        &st,
        &["unit", "dates", "D-1", "--service-due", "2026-13-01"],
    );
    assert!(
        err.contains("service_due") && err.contains("not a date"),
        "{err}"
    );
    ok(
        &st,
        &["unit", "dates", "D-1", "--service-due", "2026-06-30"],
    );
    let unit = st.cli_json(&["unit", "show", "D-1", "--json"]);
    assert_eq!(unit["fields"]["warranty_end"], "2027-01-31");
    assert_eq!(unit["fields"]["service_due"], "2026-06-30");
    let shown = ok(&st, &["unit", "show", "D-1"]);
    assert!(shown.contains("service_due  2026-06-30"), "{shown}");
    let err = refused(&st, &["unit", "field", "D-1", "warranty_end", "next year"]);
    assert!(err.contains("not a date"), "{err}");
}

/// `report utilization` and `report dates` print what the history says; the figures
/// themselves are checked against a known history in `tagstation_core::utilization`.
#[test]
fn reports_from_history() {
    let st = TempStation::new();
    st.add_directory();
    ok(&st, &["item", "add", "Laptop", "--units"]);
    ok(&st, &["unit", "add", "Laptop", "--tag", "L-1"]);
    ok(
        &st,
        &[
            "unit",
            "add",
            "Laptop",
            "--tag",
            "L-2",
            "--service-due",
            "2020-05-01",
        ],
    );
    ok(&st, &["item", "add", "Gloves", "--quantity", "5"]);
    ok(&st, &["checkout", "L-1", "--to", "Ana"]);
    ok(&st, &["checkin", "L-1"]);
    ok(&st, &["checkout", "L-1", "--to", "Ben"]);

    let r = st.cli_json(&["report", "utilization", "--json"]);
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "count items have no units: {r}");
    assert_eq!(items[0]["rank"], 1);
    assert_eq!(items[0]["item"], "Laptop");
    assert_eq!(items[0]["units"], 2);
    assert_eq!(items[0]["checkouts"], 2);
    let units = r["units"].as_array().unwrap();
    assert_eq!(units[0]["name"], "Laptop 01", "the most used first: {r}");
    assert_eq!(units[0]["checkouts"], 2);
    assert_eq!(units[0]["folded"], false);
    assert_eq!(units[1]["checkouts"], 0);
    assert_eq!(units[1]["checked_out_ms"], 0);
    let share = units[0]["checked_out_share"].as_f64().unwrap();
    assert!(share > 0.0 && share <= 1.0, "{r}");
    let text = ok(&st, &["report", "utilization"]);
    assert!(
        text.contains("RANK") && text.contains("Laptop 01"),
        "{text}"
    );
    // A window before anything happened is empty of units; a backwards one is refused.
    let r = st.cli_json(&[
        "report",
        "utilization",
        "--since",
        "2001-01-01",
        "--until",
        "2001-12-31",
        "--json",
    ]);
    assert_eq!(r["units"].as_array().unwrap().len(), 0, "{r}");
    let err = refused(
        &st,
        &[
            "report",
            "utilization",
            "--since",
            "2026-12-01",
            "--until",
            "2026-11-01",
        ],
    );
    assert!(err.contains("empty"), "{err}");

    let due = st.cli_json(&["report", "dates", "--by", "2026-01-01", "--json"]);
    assert_eq!(due.as_array().unwrap().len(), 1, "{due}");
    assert_eq!(due[0]["unit"], "Laptop 02");
    assert_eq!(due[0]["field"], "service_due");
    assert_eq!(due[0]["date"], "2020-05-01");
    let none = st.cli_json(&["report", "dates", "--by", "2019-12-31", "--json"]);
    assert_eq!(none.as_array().unwrap().len(), 0);
}

/// Every new event and field (reasons, a sale's customer, a return, the date fields, a
/// forced fold's record) goes from one station through a real hub to another: none is
/// refused, and the hub and the other station show the same history and state.
fn lifecycle_through_a_hub(db: &str) {
    use tagstation::catalog::{Status, Tracking};
    use tagstation::ops::catalog::{
        add_unit, change_unit, create_item, switch_tracking, Fold, NewItem, NewUnit, UnitChange,
    };
    use tagstation::ops::{lifecycle, Actor};

    let hub = common::TestHub::start(db);
    let (a_dir, b_dir) = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    hub.add_directory();
    hub.enroll(&mut a, "A");
    hub.enroll(&mut b, "B");
    common::sync(&mut a);
    let who = Actor::from("tester");

    let drill = create_item(&mut a, NewItem::units("Drill"), &who).unwrap();
    let new = NewUnit {
        tag: Some("D-1".into()),
        status: Status::Receiving,
        ..NewUnit::default()
    };
    let u = add_unit(&mut a, drill, new, &who).unwrap().id;
    let ch = |s: &mut tagstation::store::Store, c| change_unit(s, u, c, &who, None).unwrap();
    ch(
        &mut a,
        UnitChange::Status {
            to: Status::InStock,
            reason: None,
        },
    );
    ch(
        &mut a,
        UnitChange::Move {
            location: "Van 2".into(),
            reason: Some("transfer".into()),
            create: true,
        },
    );
    ch(
        &mut a,
        UnitChange::Status {
            to: Status::Damaged,
            reason: Some("repair".into()),
        },
    );
    lifecycle::set_dates(&mut a, u, Some("2027-01-31".into()), None, &who).unwrap();
    lifecycle::sell(&mut a, u, "ACME Ltd", &who, None).unwrap();
    lifecycle::return_unit(
        &mut a,
        u,
        Some("Shelf A".into()),
        Some("unwanted".into()),
        &who,
        None,
    )
    .unwrap();
    let cable = create_item(&mut a, NewItem::units("Cable"), &who).unwrap();
    let mut new = NewUnit {
        tag: Some("C-1".into()),
        ..NewUnit::default()
    };
    new.fields.insert("colour".into(), "red".into());
    let c1 = add_unit(&mut a, cable, new, &who).unwrap().id;
    switch_tracking(&mut a, cable, Tracking::Count, Fold::Force, &who).unwrap();

    let pushed = common::sync(&mut a);
    assert_eq!((pushed.rejected, pushed.conflicts), (0, 0), "{pushed:?}");
    assert_eq!(a.info().unwrap().pending, 0, "every event taken by the hub");
    common::sync(&mut b);

    let kinds = |s: &tagstation::store::Store, unit| -> Vec<(EventKind, Option<String>)> {
        s.history(unit)
            .unwrap()
            .into_iter()
            .map(|h| (h.data, h.lifecycle))
            .collect()
    };
    for unit in [u, c1] {
        assert_eq!(kinds(&a, unit), kinds(&b, unit), "the same history on B");
    }
    let steps: Vec<String> = kinds(&b, u).into_iter().filter_map(|(_, w)| w).collect();
    assert_eq!(
        steps,
        ["received", "transferred", "repair", "sold", "returned"]
    );
    let on_b = b.find_unit("D-1").unwrap();
    assert_eq!(
        (on_b.status, on_b.location.as_deref(), on_b.warranty_end()),
        (Status::InStock, Some("Shelf A"), Some("2027-01-31"))
    );
    let counted = b.find_item("Cable").unwrap();
    assert_eq!(
        (counted.tracking, counted.counts.get(Status::InStock)),
        (Tracking::Count, 1)
    );

    // The hub applied them too, and shows the same words.
    let (st, history) = hub.admin("GET", &format!("/v1/admin/units/{u}/history"), None);
    assert_eq!(st, 200, "{history}");
    let sale = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["lifecycle"] == "sold")
        .unwrap_or_else(|| panic!("no sale in {history}"));
    assert_eq!(sale["data"]["customer"], "ACME Ltd");
    let (st, unit) = hub.admin("GET", &format!("/v1/admin/units/{u}"), None);
    assert_eq!(st, 200, "{unit}");
    assert_eq!(unit["status"], "in_stock");
    assert_eq!(unit["fields"]["warranty_end"], "2027-01-31");
    let (_, history) = hub.admin("GET", &format!("/v1/admin/units/{c1}/history"), None);
    let fold = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        fold["data"]["discarded"][0]["fields"]["colour"], "red",
        "{fold}"
    );
    assert_eq!(hub.stats().quarantined, 0);
}

#[test]
fn sqlite_hub_takes_the_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    lifecycle_through_a_hub(dir.path().to_str().unwrap());
}

#[test]
fn postgres_hub_takes_the_lifecycle() {
    if let Some(base) = common::pg_url() {
        lifecycle_through_a_hub(&common::fresh_pg_db(&base, "lifecycle"));
    }
}
