//! One conformance suite, run against both hub backends: SQLite (embedded) and
//! PostgreSQL (from TAGSTATION_TEST_PG_URL, which `.ci/run` provides).
//! The hub's own tests, in process (its store, its schema check): built only with the
//! `hub` feature, so never for the Pi.
#![cfg(feature = "hub")]

mod common;

use std::collections::BTreeSet;

use common::{cmd, sync, tagged_item, TempStation, TestHub};
use tagstation::catalog::Status;
use tagstation::event::EventKind;
use tagstation::hub::tags::TagSettings;
use tagstation::tags::{TagBlock, TagPattern};

fn catalog_and_sync(db: &str) {
    let hub = TestHub::start(db);
    hub.add_directory();
    let (a_dir, b_dir) = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    hub.enroll(&mut a, "A");
    hub.enroll(&mut b, "B");

    // An admin creates an item on the hub; stations see it after pulling.
    let (st, entry) = hub.admin(
        "POST",
        "/v1/admin/commands",
        Some(serde_json::json!({"kind": {"type": "item_created", "name": "Ladder", "sku": null, "barcode": "5012345678900", "tracking": "count", "reorder_point": 2}})),
    );
    assert_eq!(st, 201, "{entry}");
    let ladder = entry["event"]["item_id"].as_str().unwrap().to_string();
    let (st, _) = hub.admin(
        "POST",
        "/v1/admin/commands",
        Some(serde_json::json!({"item_id": ladder, "kind": {"type": "quantity_adjusted", "status": "in_stock", "delta": 5, "reason": null}})),
    );
    assert_eq!(st, 201);
    // A refused admin change is an error and leaves no trace.
    let (st, body) = hub.admin(
        "POST",
        "/v1/admin/commands",
        Some(serde_json::json!({"item_id": ladder, "kind": {"type": "quantity_adjusted", "status": "in_stock", "delta": -50, "reason": null}})),
    );
    assert_eq!(st, 422, "{body}");

    let (item, units) = tagged_item(&mut a, "Drill", "D", 4);
    sync(&mut a);
    sync(&mut b);
    assert_eq!(
        b.resolve("5012345678900")
            .map(|r| matches!(r, tagstation::store::Resolved::Item { .. }))
            .unwrap(),
        true
    );
    assert_eq!(b.find_unit("D-4").unwrap().name, "Drill 04");

    // Conflict, then convergence.
    a.record(cmd(
        item,
        Some(units[0]),
        EventKind::CheckedOut {
            holder: "Ana".into(),
            due: Some("2026-01-10".into()),
            holder_id: None,
        },
    ))
    .unwrap();
    b.record(cmd(
        item,
        Some(units[0]),
        EventKind::LocationMoved {
            location: Some("Van 2".into()),
            reason: None,
            location_id: None,
        },
    ))
    .unwrap();
    sync(&mut a);
    sync(&mut b);
    sync(&mut a);
    for s in [&a, &b] {
        let u = s.find_unit("D-1").unwrap();
        assert_eq!(
            (u.status, u.holder.as_deref(), u.location.as_deref()),
            (Status::CheckedOut, Some("Ana"), Some("Van 2"))
        );
    }
    let (_, holdings) = hub.admin("GET", "/v1/admin/holdings", None);
    assert_eq!(holdings[0]["holder"], "Ana");
    assert_eq!(holdings[0]["unit"]["overdue"], true);
    let (_, history) = hub.admin("GET", "/v1/admin/units/D-1/history", None);
    assert_eq!(
        history.as_array().unwrap().len(),
        3,
        "created, checked out, moved: {history}"
    );
    let (_, conflicts) = hub.admin("GET", "/v1/admin/conflicts", None);
    assert_eq!(conflicts.as_array().unwrap().len(), 1);
    let (_, items) = hub.admin("GET", "/v1/admin/items", None);
    let ladder_view = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Ladder")
        .unwrap()
        .clone();
    assert_eq!(ladder_view["totals"]["in_stock"], 5);

    // Pull in small pages walks the whole log exactly once, in order.
    let token = a.hub().unwrap().unwrap().1;
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page: tagstation::proto::PullResponse = hub
            .client()
            .get(format!("{}/v1/sync/pull?after={after}&limit=3", hub.url))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        seen.extend(page.events.iter().map(|e| e.hub_seq));
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    let stats = hub.state.store.stats().unwrap();
    assert_eq!(seen, (1..=stats.hub_seq).collect::<Vec<_>>());
    assert_eq!(stats.events, stats.hub_seq);

    // Revoke: refused from now on.
    let (st, _) = hub.admin("POST", "/v1/admin/stations/B/revoke", None);
    assert_eq!(st, 200);
    assert!(tagstation::sync::sync_once(&mut b, 100).is_err());
    let (_, stations) = hub.admin("GET", "/v1/admin/stations", None);
    let b_row = stations
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "B")
        .unwrap()
        .clone();
    assert_eq!(b_row["revoked"], true);
    assert!(b_row.get("token_hash").is_none(), "no secrets in listings");
}

/// Several stations push at once while a reader walks the log: the reader's cursor
/// never skips an event, and every event is stored once.
fn concurrent_pushes_never_skip(db: &str) {
    concurrent_pushes_through(&[TestHub::start(db)]);
}

/// Six stations push at once, spread over `hubs` (several hubs on one database), while
/// a reader pulls round after round, from each hub in turn: one order, no event
/// skipped or doubled.
fn concurrent_pushes_through(hubs: &[TestHub]) {
    let dirs: Vec<TempStation> = (0..6).map(|_| TempStation::new()).collect();
    let mut stores: Vec<_> = dirs.iter().map(|d| d.open()).collect();
    for (i, s) in stores.iter_mut().enumerate() {
        hubs[i % hubs.len()].enroll(s, &format!("S{i}"));
        tagged_item(s, &format!("Item {i}"), &format!("T{i}"), 20);
    }
    let reader_dir = TempStation::new();
    let mut reader = reader_dir.open();
    let token = hubs[0].enroll(&mut reader, "Reader");
    let handles: Vec<_> = stores
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                while s.info().unwrap().pending > 0 {
                    tagstation::sync::sync_once(&mut s, 7).unwrap();
                }
            })
        })
        .collect();
    // Keep pulling while the pushes run, from each hub in turn.
    let mut rounds = 0;
    while handles.iter().any(|h| !h.is_finished()) || rounds == 0 {
        reader
            .set_hub(&hubs[rounds % hubs.len()].url, &token)
            .unwrap();
        sync(&mut reader);
        rounds += 1;
    }
    for h in handles {
        h.join().unwrap();
    }
    sync(&mut reader);
    let hist = reader.all_history().unwrap();
    let ids: BTreeSet<_> = hist.iter().map(|h| h.event_id).collect();
    assert_eq!(ids.len(), 6 * 21);
    assert_eq!(hist.len(), 6 * 21);
    assert_eq!(reader.units(None, false).unwrap().len(), 6 * 20);
    assert!(reader.check_consistency().unwrap().is_empty());
}

/// An admin's change on the hub runs through the same operations as a station's
/// (`HubLedger`): the same naming rule, the same checks, one transaction per operation,
/// and the stations pull the result.
fn operations_run_on_the_hub(db: &str) {
    use tagstation::catalog::Tracking;
    use tagstation::event::Command;
    use tagstation::hub::HubLedger;
    use tagstation::ops::catalog::{self, NewItem, NewUnit, UnitChange};
    use tagstation::ops::{Actor, Ledger, OpError};

    let hub = TestHub::start(db);
    hub.add_directory();
    let store = hub.state.store.clone();
    let mut l = HubLedger::new(store.as_ref());
    let admin = Actor::new("office:ana");

    let drill = catalog::create_item(&mut l, NewItem::count("Drill", 3), &admin).unwrap();
    let switched =
        catalog::switch_tracking(&mut l, drill, Tracking::Units, catalog::Fold::Safe, &admin)
            .unwrap();
    assert_eq!(
        switched.units.len(),
        3,
        "the switch seeds one unit per piece"
    );
    assert_eq!(switched.event.station_id, store.hub_id());
    let added = catalog::add_unit(&mut l, drill, NewUnit::default(), &admin).unwrap();
    assert_eq!(added.name, "Drill 04", "the one naming rule");
    catalog::change_unit(
        &mut l,
        added.id,
        UnitChange::Tag(Some("TS-0404".into())),
        &admin,
        None,
    )
    .unwrap();
    assert_eq!(l.find_unit("TS-0404").unwrap().id, added.id);
    assert_eq!(l.find_item("Drill").unwrap().id, drill);
    // The catalog's letter-case rule, as at a station.
    assert_eq!(l.find_item("drill").unwrap().id, drill);
    assert_eq!(l.find_unit("ts-0404").unwrap().id, added.id);
    assert_eq!(l.find_unit("drill 04").unwrap().id, added.id);

    // The same checks as at a station: a second unit with that tag is refused.
    let dup = NewUnit {
        tag: Some("TS-0404".into()),
        ..NewUnit::default()
    };
    let err = catalog::add_unit(&mut l, drill, dup, &admin).unwrap_err();
    assert!(matches!(err, OpError::Refused(_)), "{err:?}");
    assert!(l.find_item("Nope").is_err());

    // All or nothing: a refused second command leaves the first unrecorded too.
    let before = store.stats().unwrap().events;
    let (ladder, ok) = catalog::create_item_commands(NewItem::named("Ladder"), &admin).unwrap();
    let bad = Command {
        item_id: ladder,
        unit_id: None,
        kind: EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: -50,
            reason: None,
        },
        actor: admin.0.clone(),
        scan: None,
    };
    let (at, _) = l.record(ok.into_iter().chain([bad]).collect()).unwrap_err();
    assert_eq!(at, 1);
    assert_eq!(store.stats().unwrap().events, before);
    assert!(l.find_item("Ladder").is_err());
    // A dry run checks every rule and records nothing.
    let (_, cmds) = catalog::create_item_commands(NewItem::count("Bench", 2), &admin).unwrap();
    l.rehearse(cmds).unwrap();
    assert!(l.find_item("Bench").is_err());
    assert_eq!(store.stats().unwrap().events, before);

    // A station pulls what the office made.
    let st = TempStation::new();
    let mut s = st.open();
    hub.enroll(&mut s, "Door");
    sync(&mut s);
    let u = s.find_unit("TS-0404").unwrap();
    assert_eq!(u.name, "Drill 04");
    assert_eq!(s.units(Some(drill), false).unwrap().len(), 4);
}

/// The admin API's switch to counts takes the same fold rule as every front end:
/// refused while a unit is checked out, and without `force` while units carry tags;
/// a forced fold records what the hub found on the units.
fn admin_fold_takes_the_rule(db: &str) {
    use tagstation::catalog::Tracking;
    use tagstation::hub::HubLedger;
    use tagstation::ops::catalog::{self, NewItem, NewUnit};
    use tagstation::ops::{lending, Actor, Ledger};

    let hub = TestHub::start(db);
    hub.add_directory();
    let store = hub.state.store.clone();
    let mut l = HubLedger::new(store.as_ref());
    let admin = Actor::new("office:ana");
    let laptop = catalog::create_item(&mut l, NewItem::units("Laptop"), &admin).unwrap();
    let tagged = NewUnit {
        tag: Some("LT-9".into()),
        ..NewUnit::default()
    };
    let u = catalog::add_unit(&mut l, laptop, tagged, &admin).unwrap();
    lending::check_out(&mut l, &[u.id], "Ben", None, &admin).unwrap();
    let fold = |force: bool| {
        hub.admin(
            "POST",
            "/v1/admin/commands",
            Some(serde_json::json!({"item_id": laptop, "force": force,
                "kind": {"type": "tracking_switched", "to": "count"}})),
        )
    };
    let (st, body) = fold(true);
    assert_eq!(st, 422, "{body}");
    assert!(body.to_string().contains("Laptop 01 (to Ben)"), "{body}");
    lending::check_in(&mut l, u.id, None, &admin, None).unwrap();
    let (st, body) = fold(false);
    assert_eq!(st, 422, "{body}");
    assert!(body.to_string().contains("LT-9"), "{body}");
    assert_eq!(l.item(laptop).unwrap().tracking, Tracking::Units);
    let (st, entry) = fold(true);
    assert_eq!(st, 201, "{entry}");
    assert_eq!(
        entry["event"]["kind"]["discarded"][0]["asset_tag"], "LT-9",
        "{entry}"
    );
    assert_eq!(l.item(laptop).unwrap().tracking, Tracking::Count);
}

/// Archiving is an event like any other: made on one station, pushed, applied at the
/// hub, pulled by the other; and the hub compares names and tags letter case aside, so
/// "drill" beside "Drill" and tag "d-1" beside "D-1", made offline, are refused there.
fn archive_and_case_rule(db: &str) {
    use tagstation::ops::{catalog, Actor};
    let hub = TestHub::start(db);
    let (a_dir, b_dir) = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    hub.enroll(&mut a, "A");
    hub.enroll(&mut b, "B");
    let (drill, _) = tagged_item(&mut a, "Drill", "D", 2);
    sync(&mut a);
    // B, not yet pulled, makes the same names in other letter case.
    let who = Actor::from("tester");
    catalog::create_item(&mut b, catalog::NewItem::count("drill", 3), &who).unwrap();
    let saw = catalog::create_item(&mut b, catalog::NewItem::units("Saw"), &who).unwrap();
    let new = catalog::NewUnit {
        tag: Some("d-1".into()),
        ..Default::default()
    };
    catalog::add_unit(&mut b, saw, new, &who).unwrap();
    sync(&mut b);
    sync(&mut b);
    let names: Vec<String> = b.all_items().unwrap().into_iter().map(|i| i.name).collect();
    assert_eq!(names, ["Drill", "Saw"], "the hub refused \"drill\"");
    assert_eq!(
        b.find_unit("d-1").unwrap().item_id,
        drill,
        "tag d-1 is A's D-1"
    );
    let (_, items) = hub.admin("GET", "/v1/admin/items", None);
    let hub_names: BTreeSet<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(hub_names.len(), items.as_array().unwrap().len(), "{items}");

    // A archives Drill; B sees it archived after pulling, with its history.
    catalog::archive_item(&mut a, drill, true, &who).unwrap();
    sync(&mut a);
    sync(&mut b);
    let on_b = b.find_item("DRILL").unwrap();
    assert!(on_b.archived);
    assert!(
        b.items().unwrap().iter().all(|i| i.id != drill),
        "hidden from lists"
    );
    let d1 = b.find_unit("D-1").unwrap();
    let e = tagstation::action::act_on_code(
        &mut b,
        "d-1",
        tagstation::action::Action::SetStatus {
            status: Status::Damaged,
        },
        "tester",
    )
    .unwrap_err();
    assert!(
        e.user_message().contains("archived"),
        "{}",
        e.user_message()
    );
    assert!(!b.history(d1.id).unwrap().is_empty(), "history kept");
    let (_, hub_items) = hub.admin("GET", "/v1/admin/items", None);
    let on_hub = hub_items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Drill")
        .unwrap()
        .clone();
    assert_eq!(on_hub["archived"], true, "{on_hub}");
    // B unarchives it; A pulls that.
    catalog::archive_item(&mut b, drill, false, &who).unwrap();
    sync(&mut b);
    sync(&mut a);
    assert!(!a.find_item("Drill").unwrap().archived);
}

/// A station made and enrolled straight through the API of the hub at `url` (no
/// station store): its token.
fn station_token(url: &str, name: &str) -> String {
    let client = reqwest::blocking::Client::new();
    let made: serde_json::Value = client
        .post(format!("{url}/v1/admin/stations"))
        .bearer_auth(common::ADMIN_TOKEN)
        .json(&serde_json::json!({ "name": name }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let enrolled: serde_json::Value = client
        .post(format!("{url}/v1/enroll"))
        .json(&serde_json::json!({
            "code": made["enrollment_code"], "station_id": uuid::Uuid::now_v7(),
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = enrolled["token"].as_str();
    token
        .unwrap_or_else(|| panic!("{made} {enrolled}"))
        .to_string()
}

/// `POST /v1/tags/lease` as a station: the status and the JSON answer.
fn lease(url: &str, token: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{url}/v1/tags/lease"))
        .bearer_auth(token)
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.json().unwrap())
}

/// A block leased, as a station reads it.
fn leased(url: &str, token: &str) -> TagBlock {
    let (status, body) = lease(url, token);
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

fn tag_settings(prefix: &str, digits: usize, check_digit: bool, block: u64) -> TagSettings {
    TagSettings {
        pattern: TagPattern {
            prefix: prefix.into(),
            digits,
            check_digit,
        },
        block,
    }
}

/// New tags are leased in consecutive blocks of the hub's size, from 1, whichever
/// station asks, and on after a restart (with the block size and pattern of the
/// restarted hub); the admin sees every block with its station and tags; a revoked or
/// unknown station gets none.
fn tag_blocks_follow_each_other(db: &str) {
    let hub = TestHub::start(db);
    let (a, b) = (
        station_token(&hub.url, "Van 1"),
        station_token(&hub.url, "Van 2"),
    );
    let (status, first) = lease(&hub.url, &a);
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first,
        serde_json::json!({"pattern": {"prefix": "TS-", "digits": 6, "check_digit": false},
            "first": 1, "last": 100}),
        "the wire shape"
    );
    // A body is not needed, and one sent is ignored.
    let with_body = hub
        .client()
        .post(format!("{}/v1/tags/lease", hub.url))
        .bearer_auth(&b)
        .json(&serde_json::json!({"first": 1, "size": 5}))
        .send()
        .unwrap();
    assert_eq!(with_body.status().as_u16(), 200);
    let second: TagBlock = with_body.json().unwrap();
    assert_eq!((second.first, second.last), (101, 200));
    let (third, fourth) = (leased(&hub.url, &a), leased(&hub.url, &a));
    assert_eq!((third.first, fourth.first, fourth.last), (201, 301, 400));

    // Restarted, with smaller blocks and a check digit: on from the largest number.
    let (db, _) = hub.stop();
    let hub = TestHub::start_tags(&db, tag_settings("TS-", 6, true, 10));
    let block = leased(&hub.url, &b);
    assert_eq!((block.first, block.last), (401, 410));
    assert!(block.pattern.check_digit);
    // 7 digits and no check digit would write TS-0004010 (401 with its check digit)
    // again, as 4010: a hub set so does not start.
    let err = refused_start(&hub.database, tag_settings("TS-", 7, false, 10));
    assert!(err.contains("leased before"), "{err}");

    let (status, list) = hub.admin("GET", "/v1/admin/tags", None);
    assert_eq!(status, 200, "{list}");
    let rows: Vec<(String, u64, u64, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["station"].as_str().unwrap().to_string(),
                l["first"].as_u64().unwrap(),
                l["last"].as_u64().unwrap(),
                l["first_tag"].as_str().unwrap().to_string(),
                l["last_tag"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let tag = |n| TagPattern::default().format(n);
    let checked = TagPattern {
        check_digit: true,
        ..TagPattern::default()
    };
    assert_eq!(
        rows,
        [
            ("Van 1".into(), 1, 100, tag(1), tag(100)),
            ("Van 2".into(), 101, 200, tag(101), tag(200)),
            ("Van 1".into(), 201, 300, tag(201), tag(300)),
            ("Van 1".into(), 301, 400, tag(301), tag(400)),
            (
                "Van 2".into(),
                401,
                410,
                checked.format(401),
                checked.format(410)
            ),
        ],
        "each block written by the pattern it was leased with: {list}"
    );
    assert!(
        list[0]["leased_at"].as_str().unwrap().ends_with('Z'),
        "{list}"
    );
    // `tagstation admin tags`: the same, as a table.
    let admin = |args: &[&str]| {
        let out = std::process::Command::new(common::hub_bin())
            .args([
                "admin",
                "--hub",
                &hub.url,
                "--admin-token",
                common::ADMIN_TOKEN,
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = admin(&["tags"]);
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines.len(), 6, "{table}");
    assert_eq!(lines[0][..3], ["STATION", "FIRST", "LAST"], "{table}");
    assert_eq!(
        lines[2][..6],
        ["Van", "2", "101", "200", "TS-000101", "TS-000200"],
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&admin(&["tags", "--json"])).unwrap();
    assert_eq!(json, list);
    let metrics = hub.metrics();
    assert!(
        metrics.contains("tagstation_tag_leases_total 1"),
        "this hub leased one: {metrics}"
    );

    // Revoked or unknown: refused as push and pull refuse them, and nothing leased.
    let (status, _) = hub.admin("POST", "/v1/admin/stations/Van%202/revoke", None);
    assert_eq!(status, 200);
    for token in [b.as_str(), "tst_0000000000000000_00", ""] {
        let (status, body) = lease(&hub.url, token);
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthorized")),
            "{body}"
        );
    }
    let (_, list) = hub.admin("GET", "/v1/admin/tags", None);
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert_eq!(leased(&hub.url, &a).first, 411);
}

/// Stations leasing all at once (4 stations, 10 threads each, 5 leases per thread,
/// spread over `hubs` on one database) get blocks that never overlap and leave no gap.
fn concurrent_leases_are_disjoint(hubs: &[TestHub]) {
    let tokens: Vec<String> = (0..4)
        .map(|i| station_token(&hubs[i % hubs.len()].url, &format!("S{i}")))
        .collect();
    let threads: Vec<_> = (0..40)
        .map(|i| {
            let url = hubs[i % hubs.len()].url.clone();
            let token = tokens[i % tokens.len()].clone();
            std::thread::spawn(move || (0..5).map(|_| leased(&url, &token)).collect::<Vec<_>>())
        })
        .collect();
    let mut blocks: Vec<TagBlock> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    blocks.sort_by_key(|b| b.first);
    assert_eq!(blocks.len(), 200);
    let mut next = 1;
    for b in &blocks {
        assert_eq!((b.first, b.len()), (next, 100), "{blocks:?}");
        next = b.last + 1;
    }
    let (_, list) = hubs[0].admin("GET", "/v1/admin/tags", None);
    assert_eq!(list.as_array().unwrap().len(), 200);
}

/// A tiny pattern (numbers 1 to 99, blocks of 40): two whole blocks, a partial last
/// one, then `tags_exhausted`, saying what to change; a new prefix counts from 1, more
/// digits go on from 100.
fn tags_run_out(db: &str) {
    let hub = TestHub::start_tags(db, tag_settings("TS-", 2, false, 40));
    let token = station_token(&hub.url, "Van 1");
    let blocks: Vec<(u64, u64)> = (0..3)
        .map(|_| leased(&hub.url, &token))
        .map(|b| (b.first, b.last))
        .collect();
    assert_eq!(blocks, [(1, 40), (41, 80), (81, 99)]);
    for _ in 0..2 {
        let (status, body) = lease(&hub.url, &token);
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], tagstation::proto::TAGS_EXHAUSTED, "{body}");
        let message = body["error"].as_str().unwrap();
        for words in ["TS-99", "--tag-digits", "--tag-prefix"] {
            assert!(message.contains(words), "{message}");
        }
    }
    let (db, _) = hub.stop();
    let hub = TestHub::start_tags(&db, tag_settings("TT-", 2, false, 40));
    assert_eq!(
        leased(&hub.url, &token).first,
        1,
        "another prefix, its own numbers"
    );
    let (db, _) = hub.stop();
    // The case rule: "ts-" is the prefix "TS-".
    let hub = TestHub::start_tags(&db, tag_settings("ts-", 3, false, 40));
    let block = leased(&hub.url, &token);
    assert_eq!((block.first, block.last), (100, 139));
    assert_eq!(block.pattern.format(block.first), "ts-100");
}

fn schema_newer_than_binary_is_refused(db: &str, bump: impl FnOnce()) {
    drop(TestHub::start(db));
    bump();
    let err = tagstation::hub::open_store(db).err().expect("must refuse");
    assert!(
        err.to_string().contains("newer than this hub supports"),
        "{err}"
    );
}

#[test]
fn sqlite_catalog_and_sync() {
    let d = tempfile::tempdir().unwrap();
    catalog_and_sync(d.path().to_str().unwrap());
}

#[test]
fn sqlite_operations_run_on_the_hub() {
    let d = tempfile::tempdir().unwrap();
    operations_run_on_the_hub(d.path().to_str().unwrap());
}

#[test]
fn postgres_operations_run_on_the_hub() {
    if let Some(base) = common::pg_url() {
        operations_run_on_the_hub(&common::fresh_pg_db(&base, "conf_operations"));
    }
}

#[test]
fn sqlite_archive_and_case_rule() {
    let d = tempfile::tempdir().unwrap();
    archive_and_case_rule(d.path().to_str().unwrap());
}

#[test]
fn postgres_archive_and_case_rule() {
    if let Some(base) = common::pg_url() {
        archive_and_case_rule(&common::fresh_pg_db(&base, "conf_archive"));
    }
}

#[test]
fn sqlite_admin_fold_takes_the_rule() {
    let d = tempfile::tempdir().unwrap();
    admin_fold_takes_the_rule(d.path().to_str().unwrap());
}

#[test]
fn postgres_admin_fold_takes_the_rule() {
    if let Some(base) = common::pg_url() {
        admin_fold_takes_the_rule(&common::fresh_pg_db(&base, "conf_admin_fold"));
    }
}

#[test]
fn sqlite_concurrent_pushes_never_skip() {
    let d = tempfile::tempdir().unwrap();
    concurrent_pushes_never_skip(d.path().to_str().unwrap());
}

#[test]
fn sqlite_tag_blocks_follow_each_other() {
    let d = tempfile::tempdir().unwrap();
    tag_blocks_follow_each_other(d.path().to_str().unwrap());
}

#[test]
fn postgres_tag_blocks_follow_each_other() {
    if let Some(base) = common::pg_url() {
        tag_blocks_follow_each_other(&common::fresh_pg_db(&base, "conf_tag_blocks"));
    }
}

#[test]
fn sqlite_concurrent_leases_are_disjoint() {
    let d = tempfile::tempdir().unwrap();
    concurrent_leases_are_disjoint(&[TestHub::start(d.path().to_str().unwrap())]);
}

/// Two hubs on one PostgreSQL lease at once: still one sequence of blocks.
#[test]
fn postgres_concurrent_leases_are_disjoint() {
    if let Some(base) = common::pg_url() {
        let url = common::fresh_pg_db(&base, "conf_tag_leases");
        concurrent_leases_are_disjoint(&[TestHub::start(&url), TestHub::start(&url)]);
    }
}

#[test]
fn sqlite_tags_run_out() {
    let d = tempfile::tempdir().unwrap();
    tags_run_out(d.path().to_str().unwrap());
}

#[test]
fn postgres_tags_run_out() {
    if let Some(base) = common::pg_url() {
        tags_run_out(&common::fresh_pg_db(&base, "conf_tags_run_out"));
    }
}

/// `tagstation hub` takes its tag settings from its flags and the environment, and
/// will not start with settings no tag can follow.
#[test]
fn hub_command_takes_tag_settings() {
    use std::io::BufRead;
    let d = tempfile::tempdir().unwrap();
    let hub = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(common::hub_bin());
        c.arg("--data")
            .arg(d.path())
            .args(["hub", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("TAGSTATION_ADMIN_TOKEN", common::ADMIN_TOKEN);
        for var in [
            "DATABASE",
            "LISTEN",
            "TAG_PREFIX",
            "TAG_DIGITS",
            "TAG_CHECK_DIGIT",
        ] {
            c.env_remove(format!("TAGSTATION_{var}"));
        }
        c.env_remove("TAGSTATION_TAG_BLOCK")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        c
    };
    for (args, env, words) in [
        (
            &["--tag-digits", "13"][..],
            &[][..],
            "tags need between 1 and 12 digits, not 13",
        ),
        (
            &[],
            &[("TAGSTATION_TAG_PREFIX", "T S")],
            "the tag prefix \"T S\" may hold only",
        ),
        (
            &[],
            &[("TAGSTATION_TAG_BLOCK", "0")],
            "between 1 and 1000000 numbers, not 0",
        ),
    ] {
        let out = hub(args, env).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(words),
            "{args:?} {env:?}: {err}"
        );
    }
    assert!(
        !d.path().join("hub.db").exists(),
        "refused before opening a database"
    );

    let env = [
        ("TAGSTATION_TAG_PREFIX", "AB-"),
        ("TAGSTATION_TAG_BLOCK", "25"),
    ];
    let mut child = hub(&["--tag-digits", "4", "--tag-check-digit"], &env)
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let url = stderr
        .lines()
        .map_while(Result::ok)
        .find_map(|l| Some(l.split_once(" listening on ")?.1.trim().to_string()));
    let block = url.map(|url| leased(&url, &station_token(&url, "Van 1")));
    child.kill().unwrap();
    child.wait().unwrap();
    let pattern = TagPattern {
        prefix: "AB-".into(),
        digits: 4,
        check_digit: true,
    };
    assert_eq!(
        block.expect("the hub started"),
        TagBlock {
            pattern,
            first: 1,
            last: 25
        }
    );
}

/// Why a hub with these tag settings will not start on `database`.
fn refused_start(database: &str, tags: TagSettings) -> String {
    let err = tagstation::hub::Hub::open(tagstation::hub::HubOptions {
        database: database.into(),
        admin_token: common::ADMIN_TOKEN.into(),
        tls: None,
        worker_threads: Some(1),
        trusted_proxies: Default::default(),
        routes: None,
        host_names: Vec::new(),
        tags,
    })
    .err()
    .expect("refused");
    format!("{err}: {}", std::error::Error::source(&err).unwrap())
}

/// Tag settings no pattern can follow stop the hub before it opens its database.
#[test]
fn impossible_tag_settings_stop_the_hub() {
    let d = tempfile::tempdir().unwrap();
    for (settings, words) in [
        (
            tag_settings("TS-", 0, false, 100),
            "between 1 and 12 digits",
        ),
        (tag_settings("TS 1", 6, false, 100), "may hold only letters"),
        (tag_settings("TS-", 6, false, 0), "between 1 and 1000000"),
    ] {
        let err = refused_start(&d.path().join("hub").display().to_string(), settings);
        assert!(err.contains(words), "{err}");
    }
    assert!(!d.path().join("hub").exists(), "no database made");
}

#[test]
fn sqlite_schema_newer_than_binary_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().to_path_buf();
    schema_newer_than_binary_is_refused(p.to_str().unwrap(), || {
        let c = rusqlite::Connection::open(p.join("hub.db")).unwrap();
        c.pragma_update(None, "user_version", 42).unwrap();
    });
}

#[test]
fn postgres_catalog_and_sync() {
    if let Some(base) = common::pg_url() {
        catalog_and_sync(&common::fresh_pg_db(&base, "conf_catalog"));
    }
}

#[test]
fn postgres_concurrent_pushes_never_skip() {
    if let Some(base) = common::pg_url() {
        concurrent_pushes_never_skip(&common::fresh_pg_db(&base, "conf_concurrent"));
    }
}

/// Two hub processes on one PostgreSQL serve stations at once with the same
/// guarantees (one order, no skipped cursor), and count failed credentials together.
#[test]
fn postgres_two_hubs_keep_one_order() {
    let Some(base) = common::pg_url() else { return };
    let url = common::fresh_pg_db(&base, "conf_two_hubs");
    let hubs = [TestHub::start(&url), TestHub::start(&url)];
    concurrent_pushes_through(&hubs);
    // Failures through one hub lock the client out of the other.
    let limit = tagstation::hub::server::FAILURES_PER_MINUTE;
    for _ in 0..limit {
        let r = hubs[0]
            .client()
            .get(format!("{}/v1/admin/stations", hubs[0].url))
            .bearer_auth("wrong-token-0123456789")
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
    }
    let (status, _) = hubs[1].admin("GET", "/v1/admin/stations", None);
    assert_eq!(status, 429, "the other hub counts the same failures");
}

#[test]
fn postgres_schema_newer_than_binary_is_refused() {
    if let Some(base) = common::pg_url() {
        let url = common::fresh_pg_db(&base, "conf_schema");
        let u = url.clone();
        schema_newer_than_binary_is_refused(&url, move || {
            let mut c = postgres::Client::connect(&u, postgres::NoTls).unwrap();
            c.execute("UPDATE hub_schema SET version = 42", &[])
                .unwrap();
        });
    }
}

/// A PostgreSQL hub from before the case rule: the upgrade fills every row's keys and
/// keeps names that now collide (both of them, reported in the log), never merged.
#[test]
fn postgres_case_rule_upgrade_keeps_both_names() {
    let Some(base) = common::pg_url() else { return };
    let url = common::fresh_pg_db(&base, "conf_case_upgrade");
    drop(TestHub::start(&url));
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(
        "DROP TABLE people, badges, locations, auth_failures, web_passwords, web_sessions, web_links,
           web_tokens, tag_leases, reminder_runs, reminder_log, reminder_prefs, reminder_settings,
           reservations, kits, photos;
         DROP INDEX IF EXISTS events_item_seq;
         ALTER TABLE stations DROP COLUMN version, DROP COLUMN pending;
         DROP VIEW units;
         DROP TABLE unit_state, unit_rows;
         CREATE TABLE units (
           id TEXT PRIMARY KEY, item_id TEXT NOT NULL, name TEXT NOT NULL, asset_tag TEXT,
           status TEXT NOT NULL, location TEXT, holder TEXT, due TEXT, fields TEXT NOT NULL,
           active BOOLEAN NOT NULL, version BIGINT NOT NULL, last_station TEXT);
         CREATE INDEX units_item ON units(item_id, active);
         CREATE INDEX units_name ON units(item_id, name);
         CREATE INDEX units_tag ON units(asset_tag) WHERE asset_tag IS NOT NULL;
         ALTER TABLE items DROP COLUMN name_key, DROP COLUMN sku_key, DROP COLUMN barcode_key,
           DROP COLUMN archived;
         UPDATE hub_schema SET version = 1;
         INSERT INTO items (id, name, sku, barcode, tracking, reorder_point, counts, version)
           VALUES ('i1', 'Drill', 'DR-1', NULL, 'count', NULL, '{}', 1),
                  ('i2', 'drill', NULL, NULL, 'units', NULL, '{}', 1);
         INSERT INTO units (id, item_id, name, asset_tag, status, location, holder, due,
             fields, active, version, last_station)
           VALUES ('u1', 'i2', 'Drill 01', 'T-9', 'checked_out', 'Van 2', 'Ana', '2026-12-09',
             '{}', TRUE, 4, NULL);",
    )
    .unwrap();
    drop(tagstation::hub::open_store(&url).unwrap());
    // The unit came through every migration, its state split off and joined again.
    let unit = c
        .query_one(
            "SELECT name, tag_key, status, holder_key, location_key, due, version
             FROM units WHERE id = 'u1'",
            &[],
        )
        .unwrap();
    let got: (String, String, String, String, String, String, i64) = (
        unit.get(0),
        unit.get(1),
        unit.get(2),
        unit.get(3),
        unit.get(4),
        unit.get(5),
        unit.get(6),
    );
    assert_eq!(
        got,
        (
            "Drill 01".into(),
            "t-9".into(),
            "checked_out".into(),
            "ana".into(),
            "van 2".into(),
            "2026-12-09".into(),
            4
        )
    );
    let rows = c
        .query("SELECT name, name_key, sku_key FROM items ORDER BY id", &[])
        .unwrap();
    let got: Vec<(String, String, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        [
            ("Drill".into(), "drill".into(), Some("dr-1".into())),
            ("drill".into(), "drill".into(), None)
        ]
    );
}

/// The two backends keep their schemas apart (SQLite's in `tagstation-sql`, PostgreSQL's
/// in the hub's `postgres.rs`), so this compares them: every hub table, column by column,
/// with whether it may be NULL. The only differences allowed are listed, each with why.
#[test]
fn both_backends_keep_the_same_columns() {
    use std::collections::BTreeMap;
    use tagstation::hub::db::Database;

    let Some(base) = common::pg_url() else { return };
    let d = tempfile::tempdir().unwrap();
    let sqlite = tagstation::hub::sqlite::SqliteHub::open(d.path()).unwrap();
    let pg = tagstation::hub::postgres::PgHub::connect(&common::fresh_pg_db(&base, "conf_columns"))
        .unwrap();

    // Tables or columns only one side has, and why that is no drift.
    let only_sqlite: &[(&str, &str)] = &[
        // The event log's table is shared with the station's SQLite store; these are
        // the station's: local insertion order, and why the hub refused its event.
        ("events", "pos"),
        ("events", "rejected"),
    ];
    // PostgreSQL keeps its schema version in a table; SQLite in PRAGMA user_version.
    // PostgreSQL stores a unit in two tables, what it is and its state (a status change
    // rewrites only the narrow one), and `units` is the view that joins them: compared
    // below as the union of the two tables.
    let only_pg_tables: &[&str] = &["hub_schema", "unit_rows", "unit_state"];
    // NULL there means "not yet known to the hub", a station's state; the hub always
    // sets it (PostgreSQL: NOT NULL).
    let nullable_on_sqlite_only: &[(&str, &str)] = &[("events", "hub_seq")];

    let columns = |db: Vec<tagstation::hub::db::Column>| -> BTreeMap<(String, String), bool> {
        db.into_iter()
            .map(|c| ((c.table, c.name), c.nullable))
            .collect()
    };
    let mut lite = columns(sqlite.db().columns().unwrap());
    let mut post = columns(pg.db().columns().unwrap());
    // The view's columns, as nullable as the tables' columns under them.
    let split: Vec<((String, String), bool)> = post
        .iter()
        .filter(|((t, _), _)| t == "unit_rows" || t == "unit_state")
        .map(|((_, c), n)| (("units".to_owned(), c.clone()), *n))
        .collect();
    assert_eq!(
        split.iter().filter(|((_, c), _)| c == "id").count(),
        2,
        "{split:?}"
    );
    post.retain(|(t, _), _| t != "units");
    post.extend(split);
    assert!(lite.keys().any(|(t, _)| t == "hub_meta"), "{lite:?}");
    assert!(post.keys().any(|(t, _)| t == "hub_meta"), "{post:?}");
    for (t, c) in only_sqlite {
        assert!(
            lite.remove(&(t.to_string(), c.to_string())).is_some(),
            "{t}.{c}"
        );
    }
    post.retain(|(t, _), _| !only_pg_tables.contains(&t.as_str()));
    for (t, c) in nullable_on_sqlite_only {
        let k = (t.to_string(), c.to_string());
        assert_eq!(
            (lite.get(&k), post.get(&k)),
            (Some(&true), Some(&false)),
            "{t}.{c}"
        );
        lite.insert(k, false);
    }

    let mut drift = Vec::new();
    for ((t, c), n) in &lite {
        match post.get(&(t.clone(), c.clone())) {
            None => drift.push(format!("{t}.{c}: only on SQLite")),
            Some(m) if m != n => drift.push(format!(
                "{t}.{c}: nullable on SQLite {n}, on PostgreSQL {m}"
            )),
            Some(_) => {}
        }
    }
    for (t, c) in post.keys() {
        if !lite.contains_key(&(t.clone(), c.clone())) {
            drift.push(format!("{t}.{c}: only on PostgreSQL"));
        }
    }
    assert!(
        drift.is_empty(),
        "the hub's schemas drifted:\n{}",
        drift.join("\n")
    );
}

/// Sets of rows (`Conn::write_rows`: multi-row `VALUES` in chunks on SQLite, one
/// `UNNEST` on PostgreSQL) keep every row and every value, NULLs included, whatever
/// their number; an update of chosen columns leaves the others as they were.
fn sets_of_rows_are_written_whole<D: tagstation::hub::db::Database>(db: &D) {
    use tagstation::catalog::{Item, Tracking, Unit};
    use tagstation::event::Projection;
    use tagstation::hub::tables::{unit_values, Tables};
    use uuid::Uuid;

    // 301 rows: more than one chunk of every size on SQLite.
    let items: Vec<Item> = (0..301)
        .map(|i| Item {
            id: Uuid::now_v7(),
            name: format!("Item {i} 'quoted' \"twice\""),
            sku: (i % 2 == 0).then(|| format!("SKU-{i}")),
            barcode: (i % 3 == 0).then(|| format!("{:013}", i)),
            tracking: if i % 2 == 0 {
                Tracking::Units
            } else {
                Tracking::Count
            },
            reorder_point: (i % 5 == 0).then_some(i as i64),
            counts: Default::default(),
            version: i as i64,
            archived: i % 7 == 0,
        })
        .collect();
    let units: Vec<Unit> = (0..301)
        .map(|i| Unit {
            id: Uuid::now_v7(),
            item_id: items[i].id,
            name: format!("Unit {i}"),
            asset_tag: (i % 2 == 1).then(|| format!("T-{i}")),
            status: Status::InStock,
            location: (i % 3 == 0).then(|| "Shelf ü".to_owned()),
            location_id: None,
            holder: None,
            holder_id: (i % 4 == 0).then(Uuid::now_v7),
            due: None,
            fields: [("colour".to_owned(), format!("{i}"))].into(),
            active: i % 6 != 0,
            version: 1,
            last_station: None,
        })
        .collect();
    db.write(|c| {
        let mut t = Tables::new(c);
        t.put_items(&items)?;
        t.put_units(&units)
    })
    .unwrap();

    // Change status, version and name, but write back only status and version.
    let changed: Vec<Unit> = units
        .iter()
        .map(|u| Unit {
            status: Status::Sending,
            version: 2,
            name: "not written".into(),
            ..u.clone()
        })
        .collect();
    let rows: Vec<_> = changed.iter().map(|u| unit_values(u).unwrap()).collect();
    // The `changed` bits of these columns.
    let picked = |names: &[&str]| {
        tagstation::hub::tables::UNIT_COLUMNS
            .iter()
            .enumerate()
            .filter(|(_, c)| names.contains(c))
            .fold(0u32, |m, (i, _)| m | 1 << i)
    };
    let status_and_version = picked(&["status", "version"]);
    db.write(|c| Tables::new(c).update_units(status_and_version, &rows))
        .unwrap();

    db.read(|c| {
        let mut t = Tables::new(c);
        for i in &items {
            assert_eq!(t.item(i.id)?.as_ref(), Some(i));
        }
        for u in &units {
            let want = Unit {
                status: Status::Sending,
                version: 2,
                ..u.clone()
            };
            assert_eq!(t.unit(u.id)?, Some(want));
        }
        Ok(())
    })
    .unwrap();

    // A change of what a unit is and of its state at once (a rename and a check-out;
    // on PostgreSQL the two live in different tables) writes both, and only them.
    let renamed: Vec<Unit> = changed
        .iter()
        .map(|u| Unit {
            name: format!("{} renamed", u.name),
            status: Status::CheckedOut,
            holder: Some("Bo".into()),
            version: 3,
            fields: [("colour".to_owned(), "not written".to_owned())].into(),
            ..u.clone()
        })
        .collect();
    let rows: Vec<_> = renamed.iter().map(|u| unit_values(u).unwrap()).collect();
    let mask = picked(&[
        "name",
        "name_key",
        "status",
        "holder",
        "holder_key",
        "version",
    ]);
    db.write(|c| Tables::new(c).update_units(mask, &rows))
        .unwrap();
    db.read(|c| {
        let mut t = Tables::new(c);
        for (u, r) in units.iter().zip(&renamed) {
            let want = Unit {
                fields: u.fields.clone(),
                ..r.clone()
            };
            assert_eq!(t.unit(u.id)?, Some(want));
            let named = t.units_named(&[(u.item_id, tagstation::catalog::fold(&r.name))])?;
            assert_eq!(named.len(), usize::from(u.active), "{}", r.name);
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn sqlite_sets_of_rows_are_written_whole() {
    let d = tempfile::tempdir().unwrap();
    let hub = tagstation::hub::sqlite::SqliteHub::open(d.path()).unwrap();
    sets_of_rows_are_written_whole(hub.db());
}

#[test]
fn postgres_sets_of_rows_are_written_whole() {
    let Some(base) = common::pg_url() else { return };
    let hub =
        tagstation::hub::postgres::PgHub::connect(&common::fresh_pg_db(&base, "conf_row_sets"))
            .unwrap();
    sets_of_rows_are_written_whole(hub.db());
}
