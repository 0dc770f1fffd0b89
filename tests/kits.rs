//! Kits end to end: made and lent on a station's command line, a scan of the kit's tag
//! through the same path as a real scan, and between two stations and a real hub on
//! loopback (SQLite and PostgreSQL): a kit made at one station is lent and taken back
//! short at another, and the hub and both stations agree on what is missing.

mod common;

use common::{sync, tagged_item, two_stations, TempStation};
use tagstation::catalog::Status;
use tagstation::ops::kits::{add_kit, check_in_kit, check_out_kit, find_kit, view, NewKit};
use tagstation::ops::{Actor, Ledger};

fn kit_of(store: &mut tagstation::store::Store, tags: &[&str]) -> tagstation::kits::Kit {
    add_kit(
        store,
        NewKit {
            name: "Camera kit A".into(),
            tag: Some("KIT-A".into()),
            units: tags.iter().map(|t| t.to_string()).collect(),
        },
        &Actor::from("op"),
    )
    .unwrap()
}

#[test]
fn kits_on_the_command_line_and_by_scan() {
    let st = TempStation::new();
    st.add_directory();
    tagged_item(&mut st.open(), "Camera", "C", 3);
    let out = st.cli(&[
        "kit",
        "add",
        "Camera kit A",
        "--tag",
        "KIT-A",
        "--unit",
        "C-1",
        "--unit",
        "C-2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A unit is in one kit at most: refused, exit 2, naming the kit it is in.
    let out = st.cli(&["kit", "add", "Kit B", "--unit", "C-2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Camera kit A"));

    // The kit's tag scanned: the kit, with its units.
    let shown = String::from_utf8_lossy(&st.cli(&["scan", "kit-a"]).stdout).to_string();
    assert!(
        shown.contains("Camera kit A") && shown.contains("Camera 02"),
        "{shown}"
    );
    // Out with one command, every unit to Ana.
    let out = st.cli(&["kit", "checkout", "KIT-A", "--to", "Ana"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = st.open();
    for tag in ["C-1", "C-2"] {
        let u = s.find_unit(tag).unwrap();
        assert_eq!(
            (u.status, u.holder.as_deref()),
            (Status::CheckedOut, Some("Ana"))
        );
    }
    drop(s);
    // Back without C-2: incomplete, C-2 named, in the kit's view and its list line.
    let back = st.cli_json(&["kit", "checkin", "KIT-A", "--missing", "C-2", "--json"]);
    assert_eq!(back["checked_in"], serde_json::json!(["Camera 01"]));
    assert_eq!(back["missing"], serde_json::json!(["Camera 02"]));
    let list = String::from_utf8_lossy(&st.cli(&["kit", "list"]).stdout).to_string();
    assert!(list.contains("incomplete: missing Camera 02"), "{list}");
    // C-2 comes back by itself: the kit is whole again.
    assert!(st.cli(&["checkin", "C-2"]).status.success());
    let shown = st.cli_json(&["kit", "show", "Camera kit A", "--json"]);
    assert_eq!(shown["missing"], serde_json::json!([]));

    // The path of a real scan (door mode, `scan --status`): the kit's tag checks the
    // whole kit in; a status is for units one by one.
    assert!(st
        .cli(&["kit", "checkout", "KIT-A", "--to", "Ben"])
        .status
        .success());
    let out = st.cli(&["scan", "KIT-A", "--status", "check_in"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("kit Camera kit A checked in (2 units)"),
        "{said}"
    );
    let out = st.cli(&["scan", "KIT-A", "--status", "damaged"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("kit"), "{err}");

    // Reserved whole for Ben: its units, noted with the kit's name; a second booking
    // on a shared day is refused, exit 2, naming Ben's.
    let (from, to) = (tagstation::clock::in_days(3), tagstation::clock::in_days(5));
    let out = st.cli(&[
        "kit", "reserve", "KIT-A", "--for", "Ben", "--from", &from, "--to", &to,
    ]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains(&format!(
            "saved: kit Camera kit A reserved for Ben, {from} to {to}"
        )),
        "{said}"
    );
    let listed = st.cli_json(&["reservation", "list", "--json"]);
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1, "one item: one reservation");
    assert_eq!(listed[0]["note"], "Kit Camera kit A");
    assert_eq!(listed[0]["units"].as_array().map(Vec::len), Some(2));
    let out = st.cli(&["kit", "reserve", "KIT-A", "--for", "Ana", "--from", &to]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("reserved for Ben"), "{err}");
}

fn made_at_one_lent_at_another(database: &str) {
    let (t, mut a, mut b) = two_stations(database, 3);
    let kit = kit_of(&mut a, &["C-1", "C-2", "C-3"]);
    sync(&mut a);
    sync(&mut b);
    // Made at A, lent and taken back short at B.
    let at_b = find_kit(&b, "KIT-A").unwrap();
    assert_eq!(at_b.id, kit.id);
    let op = Actor::from("op");
    let lend = tagstation::ops::Action::lend("Ben", None, false);
    check_out_kit(&mut b, kit.id, lend, &op, Some("KIT-A")).unwrap();
    let c3 = b.find_unit("C-3").unwrap().id;
    let present: Vec<_> = kit.units.iter().copied().filter(|u| *u != c3).collect();
    check_in_kit(&mut b, kit.id, Some(&present), None, &op, Some("KIT-A")).unwrap();
    sync(&mut b);
    sync(&mut a);
    for s in [&a, &b] {
        let v = view(s, &s.kit(kit.id).unwrap()).unwrap();
        assert_eq!(v.missing, vec!["Camera 03".to_string()]);
        assert!(s.check_consistency().unwrap().is_empty());
    }
    let (_, unit) = t.hub.admin("GET", "/v1/admin/units/C-3", None);
    assert_eq!(unit["status"], "checked_out");
}

#[test]
fn a_kit_made_at_one_station_is_lent_at_another_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    made_at_one_lent_at_another(dir.path().to_str().unwrap());
}

#[cfg(feature = "hub")]
#[test]
fn a_kit_made_at_one_station_is_lent_at_another_on_postgres() {
    let Some(base) = common::pg_url() else { return };
    made_at_one_lent_at_another(&common::fresh_pg_db(&base, "kits_sync"));
}
