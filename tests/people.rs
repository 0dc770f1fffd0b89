//! People and locations as catalog entities, end to end with the real binary, a real
//! hub on loopback and real SQLite files: people are made on the hub and reach every
//! station, which can never make one; lending names a known person within their limit
//! (a limit broken offline is flagged at the hub, never dropped); free-text holders
//! from before are matched or listed; an erased person is gone from every file; moves
//! name known locations; one namespace of codes.

mod common;

use std::path::Path;

use common::*;
use tagstation::catalog::Status;
use tagstation::event::EventKind;

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(st: &TempStation, args: &[&str]) -> String {
    let o = st.cli(args);
    assert!(o.status.success(), "{args:?} failed: {}", err(&o));
    out(&o)
}

/// A refusal: exit 2, and the message.
fn refused(st: &TempStation, args: &[&str]) -> String {
    let o = st.cli(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", out(&o), err(&o));
    err(&o)
}

/// `tagstation admin ...` against a hub (the hub build's binary: a Pi's has no admin).
fn admin(hub: &TestHub, args: &[&str]) -> std::process::Output {
    std::process::Command::new(hub_bin())
        .arg("admin")
        .arg("--hub")
        .arg(&hub.url)
        .arg("--admin-token")
        .arg(ADMIN_TOKEN)
        .args(args)
        .output()
        .expect("run tagstation admin")
}

fn admin_ok(hub: &TestHub, args: &[&str]) -> String {
    let o = admin(hub, args);
    assert!(o.status.success(), "admin {args:?} failed: {}", err(&o));
    out(&o)
}

/// A hub with Laptop L-1..L-3, and stations A and B that pulled it.
fn fleet() -> (tempfile::TempDir, TestHub, TempStation, TempStation) {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path().to_str().unwrap());
    let (a, b) = (TempStation::new(), TempStation::new());
    {
        let (mut sa, mut sb) = (a.open(), b.open());
        hub.enroll(&mut sa, "A");
        hub.enroll(&mut sb, "B");
        tagged_item(&mut sa, "Laptop", "L", 3);
        sync(&mut sa);
        sync(&mut sb);
    }
    (dir, hub, a, b)
}

fn sync_all(stations: &[&TempStation]) {
    for _ in 0..2 {
        for s in stations {
            sync(&mut s.open());
        }
    }
}

#[test]
fn people_come_from_the_hub_and_a_station_may_never_make_one() {
    let (_dir, hub, a, _b) = fleet();
    admin_ok(
        &hub,
        &[
            "people",
            "add",
            "Ana",
            "--badge",
            "B-1",
            "--email",
            "ana@example.com",
            "--loan-days",
            "7",
        ],
    );
    // A station's config list of people, moved to the catalog once, on the hub.
    let config = a.path().join("station.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"Door\"\n[[station.people]]\nname = \"Ben\"\nbadge = \"B-2\"\n\
         [[station.people]]\nname = \"ana\"\nbadge = \"B-9\"\n",
    )
    .unwrap();
    let said = admin_ok(&hub, &["people", "import", config.to_str().unwrap()]);
    assert!(
        said.contains("added Ben") && said.contains("changed Ana"),
        "{said}"
    );
    sync_all(&[&a]);

    // The station knows them: by badge, letter case aside, and lists them.
    let list = ok(&a, &["person", "list"]);
    assert!(list.contains("Ana") && list.contains("Ben"), "{list}");
    let seen = a.cli_json(&["scan", "b-9", "--json"]);
    assert_eq!(seen["type"], "person");
    assert_eq!(seen["person"]["name"], "Ana");
    // ...and can never make or change one.
    let e = refused(&a, &["person", "add", "Zed"]);
    assert!(e.contains("managed on the hub"), "{e}");
    let e = refused(&a, &["person", "edit", "Ana", "--role", "admin"]);
    assert!(e.contains("managed on the hub"), "{e}");

    // A check-out names the person, by badge too, and is due by their loan length.
    ok(&a, &["checkout", "L-1", "--to", "B-1"]);
    let l1 = a.cli_json(&["unit", "show", "L-1", "--json"]);
    assert_eq!(l1["holder"], "Ana");
    assert!(l1["due"].is_string(), "{l1}");
    let e = refused(&a, &["checkout", "L-2", "--to", "Nobody"]);
    assert!(e.contains("not a known person"), "{e}");
    // Who has what, on the station and on the hub.
    let shown = ok(&a, &["person", "show", "ana"]);
    assert!(
        shown.contains("has          L-1") || shown.contains("Laptop 01"),
        "{shown}"
    );
    sync_all(&[&a]);
    let on_hub = admin_ok(&hub, &["people", "show", "Ana", "--json"]);
    let on_hub: serde_json::Value = serde_json::from_str(&on_hub).unwrap();
    assert_eq!(on_hub["checked_out"][0]["asset_tag"], "L-1");
    assert_eq!(
        on_hub["person"]["badges"],
        serde_json::json!(["B-1", "B-9"])
    );

    // A person event pushed by a station is refused by the hub: only it makes people.
    let s = a.open();
    let (_, token) = s.hub().unwrap().unwrap();
    let me = s.station_id();
    let seq = s.info().unwrap().last_seq + 1;
    drop(s);
    let forged = serde_json::json!({
        "id": uuid::Uuid::now_v7(), "station_id": me, "station_seq": seq,
        "actor": "kiosk", "wall_time_ms": 0, "clock_synced": true,
        "item_id": uuid::Uuid::now_v7(), "unit_id": null, "base_version": null, "scan": null,
        "kind": {"type": "person_created", "name": "Mallory", "role": "admin", "active": true},
    });
    let r: serde_json::Value = hub
        .client()
        .post(format!("{}/v1/sync/push", hub.url))
        .bearer_auth(token)
        .json(&serde_json::json!({ "events": [forged] }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["results"][0]["status"], "rejected", "{r}");
    assert!(
        r["results"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("only the hub makes person_created"),
        "{r}"
    );
    let people = admin_ok(&hub, &["people", "list"]);
    assert!(!people.contains("Mallory"), "{people}");
}

#[test]
fn a_limit_broken_offline_is_flagged_at_the_hub_never_dropped() {
    let (_dir, hub, a, b) = fleet();
    admin_ok(&hub, &["people", "add", "Ana", "--max-checkouts", "1"]);
    sync_all(&[&a, &b]);
    // Each station alone keeps the limit...
    ok(&a, &["checkout", "L-1", "--to", "Ana"]);
    let e = refused(&a, &["checkout", "L-2", "--to", "Ana"]);
    assert!(e.contains("over the limit of Ana"), "{e}");
    // ...but offline, each saw Ana with nothing out: both check-outs happened.
    ok(&b, &["checkout", "L-3", "--to", "Ana"]);
    sync_all(&[&a, &b]);
    for st in [&a, &b] {
        let shown = st.cli_json(&["person", "show", "Ana", "--json"]);
        assert_eq!(shown["checked_out"].as_array().unwrap().len(), 2, "{shown}");
    }
    let conflicts = a.cli_json(&["conflicts", "--json"]);
    let flagged: Vec<_> = conflicts
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["note"]
                .as_str()
                .unwrap_or_default()
                .contains("over the limit of Ana")
        })
        .collect();
    assert_eq!(flagged.len(), 1, "{conflicts}");
    assert_eq!(
        flagged[0]["applied"], true,
        "applied, and flagged for review"
    );
}

#[test]
fn free_text_holders_are_matched_to_people_and_the_rest_listed() {
    let (_dir, hub, a, b) = fleet();
    // Lending written as free text by a station from before people were entities.
    {
        let mut s = a.open();
        for (tag, holder) in [("L-1", "ben"), ("L-2", "Zed")] {
            let u = s.find_unit(tag).unwrap();
            s.record(cmd(
                u.item_id,
                Some(u.id),
                EventKind::CheckedOut {
                    holder: holder.into(),
                    due: None,
                    holder_id: None,
                },
            ))
            .unwrap();
        }
    }
    sync_all(&[&a]);
    let unmatched = admin_ok(&hub, &["people", "unmatched"]);
    assert!(
        unmatched.contains("ben") && unmatched.contains("Zed"),
        "{unmatched}"
    );
    // "Ben" is added: the check-out written "ben" is his; "Zed" is still listed.
    admin_ok(&hub, &["people", "add", "Ben"]);
    let unmatched = admin_ok(&hub, &["people", "unmatched"]);
    assert!(
        !unmatched.contains("ben") && unmatched.contains("Zed"),
        "{unmatched}"
    );
    let ben: serde_json::Value =
        serde_json::from_str(&admin_ok(&hub, &["people", "show", "Ben", "--json"])).unwrap();
    assert_eq!(ben["checked_out"][0]["asset_tag"], "L-1");
    assert_eq!(ben["checked_out"][0]["holder"], "Ben");
    sync_all(&[&a, &b]);
    for st in [&a, &b] {
        let l1 = st.cli_json(&["unit", "show", "L-1", "--json"]);
        assert_eq!(l1["holder"], "Ben", "linked on every station");
        let list = ok(st, &["person", "unmatched"]);
        assert!(list.contains("Zed") && !list.contains("ben"), "{list}");
    }
}

/// Every text cell of every table of a SQLite file.
fn all_text(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut all = String::new();
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                if let Ok(Some(s)) = r.get::<_, Option<String>>(i) {
                    all.push_str(&s);
                    all.push('\n');
                }
            }
        }
    }
    all
}

#[test]
fn an_erased_person_is_gone_from_every_station_and_a_sqlite_hub() {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let secrets = erasure(hub);
    let cells = all_text(&hub_dir.path().join("hub.db"));
    for s in secrets {
        assert!(!cells.contains(s), "{s:?} left in the hub's tables");
    }
}

#[cfg(feature = "hub")]
#[test]
fn an_erased_person_is_gone_from_every_station_and_a_postgres_hub() {
    let Some(base) = pg_url() else { return };
    let url = fresh_pg_db(&base, "people_erasure");
    let secrets = erasure(TestHub::start(&url));
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = c
        .query(
            "SELECT string_agg(actor || ' ' || payload || ' ' || coalesce(note, ''), ' ') FROM events
             UNION ALL SELECT string_agg(name || ' ' || badges || ' ' || coalesce(email, ''), ' ') FROM people
             UNION ALL SELECT string_agg(code_key, ' ') FROM badges
             UNION ALL SELECT string_agg(coalesce(holder, ''), ' ') FROM units",
            &[],
        )
        .unwrap();
    let cells: String = rows
        .iter()
        .filter_map(|r| r.get::<_, Option<String>>(0))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(cells.contains("Former person"), "{cells}");
    for s in secrets {
        assert!(!cells.contains(s), "{s:?} left in the hub's tables");
    }
}

/// A person lends, is refused erasure while holding a unit, then is erased: every
/// station's history keeps the lending under the pseudonym, and nothing of the person
/// is left in any station's tables or file. Returns what must be gone from the hub.
fn erasure(hub: TestHub) -> [&'static str; 5] {
    let (a, b) = (TempStation::new(), TempStation::new());
    {
        let (mut sa, mut sb) = (a.open(), b.open());
        hub.enroll(&mut sa, "A");
        hub.enroll(&mut sb, "B");
        tagged_item(&mut sa, "Laptop", "L", 2);
        sync(&mut sa);
    }
    admin_ok(
        &hub,
        &[
            "people",
            "add",
            "Anastasia Quill",
            "--badge",
            "QB-77",
            "--email",
            "aquill@example.com",
        ],
    );
    admin_ok(
        &hub,
        &[
            "people",
            "edit",
            "Anastasia Quill",
            "--name",
            "Anastasia Quillfeather",
        ],
    );
    sync_all(&[&a, &b]);
    ok(&a, &["checkout", "L-1", "--to", "qb-77"]);
    sync_all(&[&a, &b]);
    let o = admin(
        &hub,
        &["people", "erase", "Anastasia Quillfeather", "--yes"],
    );
    assert!(!o.status.success(), "refused while she has L-1");
    assert!(err(&o).contains("check them in first"), "{}", err(&o));
    ok(&a, &["checkin", "L-1"]);
    sync_all(&[&a, &b]);
    let said = admin_ok(
        &hub,
        &["people", "erase", "Anastasia Quillfeather", "--yes"],
    );
    let alias = said.trim().trim_start_matches("erased: now ").to_string();
    assert!(alias.starts_with("Former person "), "{said}");
    sync_all(&[&a, &b]);

    let secrets = ["Anastasia", "Quill", "QB-77", "qb-77", "aquill@example.com"];
    drop(hub);
    for st in [&a, &b] {
        // The unit's history is whole, under the pseudonym.
        let h = st.cli_json(&["history", "L-1", "--json"]);
        let kinds: Vec<&str> = h
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"checked_out") && kinds.contains(&"checked_in"),
            "{kinds:?}"
        );
        let text = h.to_string();
        assert!(text.contains(&alias), "{text}");
        let db = st.path().join(tagstation::store::DB_FILE);
        let cells = all_text(&db);
        for s in secrets {
            assert!(!cells.contains(s), "{s:?} left in a station's tables");
        }
        // Not even in the file's free space (the store is closed: WAL checkpointed).
        let bytes = std::fs::read(&db).unwrap();
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{s:?} left in a station's database file"
            );
        }
    }
    secrets
}

#[test]
fn moves_name_known_locations_and_free_text_ones_are_adopted() {
    let st = TempStation::new();
    ok(&st, &["person", "add", "Ana", "--badge", "B-ANA"]);
    ok(&st, &["location", "add", "Workshop", "--kind", "site"]);
    ok(
        &st,
        &[
            "location", "add", "Van 9", "--kind", "van", "--parent", "Workshop", "--code", "LOC-V9",
        ],
    );
    ok(&st, &["item", "add", "Drill", "--units"]);
    ok(&st, &["unit", "add", "Drill", "--tag", "D-1"]);
    ok(&st, &["unit", "add", "Drill", "--tag", "D-2"]);

    // An unknown location is an error unless the command says to create it.
    let e = refused(&st, &["unit", "move", "D-1", "Nowhere"]);
    assert!(e.contains("unknown location \"Nowhere\""), "{e}");
    ok(&st, &["unit", "move", "D-1", "loc-v9"]);
    assert_eq!(
        st.cli_json(&["unit", "show", "D-1", "--json"])["location"],
        "Van 9"
    );
    ok(&st, &["unit", "move", "D-2", "Yard", "--create"]);
    let e = refused(&st, &["checkin", "D-2", "--location", "Back room"]);
    assert!(e.contains("unknown location"), "{e}");

    // A location's label scans as the location; a rename shows on its units, and
    // history keeps the words of the time.
    let seen = st.cli_json(&["scan", "LOC-V9", "--json"]);
    assert_eq!(
        (seen["type"].as_str(), seen["location"]["units"].as_i64()),
        (Some("location"), Some(1))
    );
    ok(&st, &["location", "edit", "Van 9", "--name", "Van 9b"]);
    assert_eq!(
        st.cli_json(&["unit", "show", "D-1", "--json"])["location"],
        "Van 9b"
    );
    let h = ok(&st, &["history", "D-1"]);
    assert!(h.contains("moved to Van 9"), "{h}");
    let shown = ok(&st, &["location", "show", "Van 9b"]);
    assert!(
        shown.contains("Drill 01") && shown.contains("in           Workshop"),
        "{shown}"
    );
    let e = refused(&st, &["location", "edit", "Workshop", "--parent", "Van 9b"]);
    assert!(e.contains("circle"), "{e}");

    // One namespace of codes: a badge is no asset tag, a tag no badge or location code.
    let e = refused(&st, &["unit", "tag", "D-2", "b-ana"]);
    assert!(e.contains("badge of Ana"), "{e}");
    let e = refused(&st, &["location", "add", "Shelf Z", "--code", "D-1"]);
    assert!(e.contains("Drill 01"), "{e}");

    // Free text from before locations were entities: adopted, case twins reported.
    {
        let mut s = st.open();
        let d = s.find_item("Drill").unwrap();
        for (i, text) in ["Shelf C", "shelf c", "Loft"].into_iter().enumerate() {
            s.record(cmd(
                d.id,
                Some(uuid::Uuid::now_v7()),
                EventKind::UnitCreated {
                    name: format!("Old drill {i}"),
                    asset_tag: None,
                    status: Status::InStock,
                    location: Some(text.into()),
                    fields: Default::default(),
                    location_id: None,
                },
            ))
            .unwrap();
        }
    }
    let dry = ok(&st, &["location", "adopt", "--dry-run"]);
    assert!(dry.contains("would create location Loft"), "{dry}");
    assert!(dry.contains("Shelf C / shelf c"), "{dry}");
    assert!(
        st.cli(&["location", "show", "Loft"]).status.code() == Some(2),
        "dry run"
    );
    ok(&st, &["location", "adopt"]);
    let loft = ok(&st, &["location", "show", "Loft"]);
    assert!(loft.contains("Old drill 2"), "{loft}");
    ok(&st, &["location", "add", "Shelf C"]);
    let shelf = st.cli_json(&["location", "show", "Shelf C", "--json"]);
    assert_eq!(
        shelf["units"].as_array().unwrap().len(),
        2,
        "both spellings, once kept"
    );
}
