//! The MCP server, tested with a real, independent client: the official Python MCP SDK
//! (`mcp` from PyPI, in the virtual environment `scripts/test` makes, or made here), run
//! as `tests/mcp/run_calls.py`. Over stdio against `tagstation mcp` on a real station
//! data directory, and over HTTP against a real hub with personal API tokens. The
//! scenarios are the tool calls an assistant would make, with the store's state
//! checked afterwards. Needs the hub and the station: never built for the emulated Pi.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use common::{bin, tagged_item, TempStation, TestHub};
use tagstation::catalog::Status;
use tagstation::hub::accounts;
use tagstation::hub::ledger::HubLedger;
use tagstation::ops::catalog::{add_unit, change_unit, create_item, NewItem, NewUnit, UnitChange};
use tagstation::ops::kits::{add_kit, NewKit};
use tagstation::ops::people::add_person;
use tagstation::ops::{Actor, Ledger};
use tagstation::people::{PersonFields, Role};
use tagstation::reservations::ReservationState;

/// The Python of the test clients, with the MCP SDK.
fn python() -> PathBuf {
    common::python::python("import mcp.client.streamable_http")
}

/// Run the Python client with `mode_args` (`stdio CMD...` or `http URL [TOKEN]`) and
/// these calls; its answer: the tools it was offered and each call's result.
fn client(mode_args: &[String], calls: Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/run_calls.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(mode_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python MCP client");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(calls.to_string().as_bytes())
        .expect("write calls");
    let out = child.wait_with_output().expect("client output");
    assert!(
        out.status.success(),
        "client failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("client JSON")
}

fn stdio(station: &Path, calls: Value) -> Value {
    let args = vec![
        "stdio".to_string(),
        bin().display().to_string(),
        "--data".into(),
        station.display().to_string(),
        "mcp".into(),
    ];
    client(&args, calls)
}

fn http(hub: &TestHub, token: Option<&str>, calls: Value) -> Value {
    let mut args = vec!["http".to_string(), format!("{}/mcp", hub.url)];
    args.extend(token.map(str::to_string));
    client(&args, calls)
}

fn names(answer: &Value) -> Vec<String> {
    answer["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn result(answer: &Value, i: usize) -> &Value {
    &answer["results"][i]
}

fn actor() -> Actor {
    Actor::new("test")
}

/// Drill 01-03 (tags TS-1..3), a Hammer drill unit also named "Drill 03" (HD-1), and
/// Laptop 01-03 (LT-1..3), two of them sending: on a station.
fn station_catalog() -> TempStation {
    let st = TempStation::new();
    let mut store = st.open();
    tagged_item(&mut store, "Drill", "TS", 3);
    let (hammer, _) = tagged_item(&mut store, "Hammer drill", "HD", 0);
    add_unit(
        &mut store,
        hammer,
        NewUnit {
            name: Some("Drill 03".into()),
            tag: Some("HD-1".into()),
            ..NewUnit::default()
        },
        &actor(),
    )
    .unwrap();
    let (_, laptops) = tagged_item(&mut store, "Laptop", "LT", 3);
    for id in &laptops[..2] {
        change_unit(
            &mut store,
            *id,
            UnitChange::Status {
                to: Status::Sending,
                reason: None,
            },
            &actor(),
            None,
        )
        .unwrap();
    }
    st
}

#[test]
fn an_assistant_on_a_station_marks_drill_03_damaged_and_finds_laptops_out_for_sending() {
    let st = station_catalog();
    let answer = stdio(
        st.path(),
        json!([
            // "Mark Drill 03 as damaged": the name is in two items, so not guessed.
            {"tool": "set_unit_status", "arguments": {"unit": "Drill 03", "status": "damaged"}},
            // The assistant asks again with the item the user named.
            {"tool": "set_unit_status", "arguments": {"unit": "drill 03", "item": "drill", "status": "damaged", "reason": "cracked housing"}},
            // "Which laptops are currently out for sending?"
            {"tool": "find_units", "arguments": {"item": "laptops", "status": "sending"}},
            // A typo: the closest names, nothing changed.
            {"tool": "move_unit", "arguments": {"unit": "Drlil 02", "location": "Shelf A"}},
            {"tool": "get_unit", "arguments": {"unit": "ts-3"}},
        ]),
    );
    let tools = names(&answer);
    assert_eq!(
        tools.len(),
        22,
        "a station's stdio has every tool: {tools:?}"
    );
    for t in answer["tools"].as_array().unwrap() {
        let read = [
            "find_units",
            "get_unit",
            "list_items",
            "who_has_what",
            "overdue",
            "low_stock",
            "recent_activity",
            "conflicts",
            "list_reservations",
            "list_kits",
            "get_kit",
        ]
        .contains(&t["name"].as_str().unwrap());
        assert_eq!(t["readOnlyHint"], json!(read), "{t}");
        assert!(t["description"].as_str().unwrap().len() > 40, "{t}");
    }

    let ambiguous = result(&answer, 0);
    assert_eq!(ambiguous["isError"], json!(true));
    assert_eq!(ambiguous["structured"]["error"], "ambiguous");
    let candidates = ambiguous["structured"]["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2, "{ambiguous}");
    assert!(candidates
        .iter()
        .any(|c| c.as_str().unwrap().contains("Hammer drill")));

    let done = result(&answer, 1);
    assert_eq!(done["isError"], json!(false), "{done}");
    assert_eq!(done["structured"]["unit"]["status"], "damaged");

    let sending = result(&answer, 2);
    let tags: Vec<&str> = sending["structured"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["asset_tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["LT-1", "LT-2"], "{sending}");

    let typo = result(&answer, 3);
    assert_eq!(typo["structured"]["error"], "not_found", "{typo}");
    assert!(
        typo["text"].as_str().unwrap().contains("Drill 02"),
        "{typo}"
    );

    assert_eq!(
        result(&answer, 4)["structured"]["unit"]["status"],
        "damaged"
    );

    // The store: Drill 03 of the Drill item damaged, by `mcp:<station>`; the Hammer
    // drill's "Drill 03" untouched; nothing moved.
    let store = st.open();
    let drill = store.find_unit("TS-3").unwrap();
    assert_eq!(drill.status, Status::Damaged);
    let last = store.history(drill.id).unwrap().pop().unwrap();
    let name = store.info().unwrap().name;
    assert_eq!(last.actor, format!("mcp:{name}"));
    assert_eq!(store.find_unit("HD-1").unwrap().status, Status::InStock);
    assert_eq!(store.find_unit("TS-2").unwrap().location, None);
    assert_eq!(
        store.pending(100).unwrap().len(),
        store.log().unwrap().len(),
        "nothing synced: offline"
    );
}

/// A hub with a catalog, people of each role and a token for each.
struct Shop {
    hub: TestHub,
    tokens: std::collections::BTreeMap<&'static str, String>,
    _dir: tempfile::TempDir,
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.db").display().to_string();
    shop_on(&database, dir)
}

/// [`shop`] on this database (a SQLite path or a PostgreSQL URL).
fn shop_on(database: &str, dir: tempfile::TempDir) -> Shop {
    let hub = TestHub::start(database);
    let store = hub.state.store.clone();
    let mut l = HubLedger::new(store.as_ref());
    let mut tokens = std::collections::BTreeMap::new();
    for (name, role) in [
        ("Vic", Role::Viewer),
        ("Bo", Role::Borrower),
        ("Olga", Role::Operator),
        ("Ada", Role::Admin),
    ] {
        let fields = PersonFields {
            name: name.into(),
            badges: Vec::new(),
            email: None,
            role,
            active: true,
            max_checkouts: None,
            loan_days: None,
        };
        let id = add_person(&mut l, fields, &actor()).unwrap();
        let (secret, _) = tagstation::hub::write(store.as_ref(), |c| {
            accounts::new_token(c, id.id, "assistant", role, 1)
        })
        .unwrap();
        tokens.insert(name, secret);
    }
    for (item, prefix) in [("Drill", "TS"), ("Hammer drill", "HD"), ("Laptop", "LT")] {
        let id = create_item(&mut l, NewItem::units(item), &actor()).unwrap();
        for n in 1..=3 {
            add_unit(
                &mut l,
                id,
                NewUnit {
                    tag: Some(format!("{prefix}-{n}")),
                    name: (item == "Hammer drill").then(|| format!("Drill 0{n}")),
                    ..NewUnit::default()
                },
                &actor(),
            )
            .unwrap();
        }
    }
    drop(l);
    Shop {
        hub,
        tokens,
        _dir: dir,
    }
}

fn hub_unit(shop: &Shop, tag: &str) -> tagstation::catalog::Unit {
    HubLedger::new(shop.hub.state.store.as_ref())
        .find_unit(tag)
        .unwrap()
}

#[test]
fn the_hub_needs_a_token_and_each_token_sees_only_what_its_role_allows() {
    let shop = shop();
    let url = format!("{}/mcp", shop.hub.url);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}});
    let c = shop.hub.client();
    let post = |token: Option<&str>, host: Option<&str>| {
        let mut r = c
            .post(&url)
            .header("Accept", "application/json, text/event-stream")
            .json(&init);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(h) = host {
            r = r.header("Host", h);
        }
        r.send().unwrap().status().as_u16()
    };
    assert_eq!(post(None, None), 401, "no token");
    assert_eq!(
        post(Some(&format!("tsp_{}", "0".repeat(64))), None),
        401,
        "unknown token"
    );
    assert_eq!(post(Some(&shop.tokens["Vic"]), None), 200);
    assert_ne!(
        post(Some(&shop.tokens["Vic"]), Some("evil.example")),
        200,
        "a Host not configured"
    );

    // A viewer's token: the read-only tools only; a write is refused, nothing changes.
    let viewer = http(
        &shop.hub,
        Some(&shop.tokens["Vic"]),
        json!([
            {"tool": "set_unit_status", "arguments": {"unit": "TS-1", "status": "damaged"}},
            {"tool": "find_units", "arguments": {"query": "drill 01"}},
        ]),
    );
    let tools = names(&viewer);
    assert_eq!(tools.len(), 11, "{tools:?}");
    assert!(viewer["tools"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["readOnlyHint"] == json!(true)));
    assert_eq!(result(&viewer, 0)["isError"], json!(true));
    assert_eq!(result(&viewer, 0)["structured"]["error"], "not_allowed");
    assert_eq!(
        hub_unit(&shop, "TS-1").status,
        Status::InStock,
        "a viewer cannot write"
    );
    assert_eq!(
        result(&viewer, 1)["structured"]["count"],
        json!(2),
        "Drill 01 of both items"
    );

    // A borrower: check out and in for themselves only.
    let bo = http(
        &shop.hub,
        Some(&shop.tokens["Bo"]),
        json!([
            {"tool": "check_out", "arguments": {"units": ["LT-1"]}},
            {"tool": "check_out", "arguments": {"units": ["LT-2"], "holder": "Olga"}},
            {"tool": "move_unit", "arguments": {"unit": "LT-1", "location": "Van 1"}},
        ]),
    );
    assert_eq!(names(&bo).len(), 15, "{:?}", names(&bo));
    assert!(!names(&bo).contains(&"set_unit_status".to_string()));
    assert_eq!(result(&bo, 0)["isError"], json!(false), "{bo}");
    assert_eq!(result(&bo, 1)["structured"]["error"], "refused");
    assert_eq!(result(&bo, 2)["structured"]["error"], "not_allowed");
    let lt1 = hub_unit(&shop, "LT-1");
    assert_eq!(
        (lt1.status, lt1.holder.as_deref()),
        (Status::CheckedOut, Some("Bo"))
    );
    assert_eq!(hub_unit(&shop, "LT-2").status, Status::InStock);

    // An operator: "mark Drill 03 as damaged" is ambiguous on the hub too; by tag it
    // is done, as `mcp:Olga`.
    let olga = http(
        &shop.hub,
        Some(&shop.tokens["Olga"]),
        json!([
            {"tool": "set_unit_status", "arguments": {"unit": "Drill 03", "status": "damaged"}},
            {"tool": "set_unit_status", "arguments": {"unit": "TS-3", "status": "damaged"}},
            {"tool": "who_has_what", "arguments": {}},
            {"tool": "switch_tracking", "arguments": {"item": "Laptop", "to": "count"}},
        ]),
    );
    assert_eq!(
        result(&olga, 0)["structured"]["error"],
        "ambiguous",
        "{olga}"
    );
    assert_eq!(hub_unit(&shop, "HD-3").status, Status::InStock);
    assert_eq!(result(&olga, 1)["isError"], json!(false));
    let ts3 = hub_unit(&shop, "TS-3");
    assert_eq!(ts3.status, Status::Damaged);
    let history = tagstation::hub::read(shop.hub.state.store.as_ref(), |c| {
        tagstation::hub::views::unit_history(c, ts3.id)
    })
    .unwrap();
    assert_eq!(history.last().unwrap().actor, "mcp:Olga");
    assert_eq!(result(&olga, 2)["structured"]["holders"][0]["holder"], "Bo");
    assert_eq!(result(&olga, 3)["structured"]["error"], "not_allowed");

    // An admin: the tracking switch previews first and changes nothing without confirm.
    let ada = http(
        &shop.hub,
        Some(&shop.tokens["Ada"]),
        json!([{"tool": "switch_tracking", "arguments": {"item": "drill", "to": "count"}}]),
    );
    assert_eq!(names(&ada).len(), 22);
    let preview = &result(&ada, 0)["structured"];
    assert_eq!(preview["switched"], json!(false), "{preview}");
    assert!(
        preview["preview"].as_str().unwrap().contains("discards"),
        "{preview}"
    );
    assert_eq!(
        HubLedger::new(shop.hub.state.store.as_ref())
            .find_item("Drill")
            .unwrap()
            .tracking,
        tagstation::catalog::Tracking::Units
    );
}

#[test]
fn a_write_made_offline_on_a_station_reaches_the_hub_after_sync() {
    let shop = shop();
    let st = TempStation::new();
    let mut store = st.open();
    shop.hub.enroll(&mut store, "Van 3");
    common::sync(&mut store);
    drop(store);
    let (database, addr) = shop.hub.stop();

    // The hub is down: the station's MCP server still answers and records.
    let answer = stdio(
        st.path(),
        json!([{"tool": "set_unit_status", "arguments": {"unit": "LT-3", "status": "sending", "reason": "to the client"}}]),
    );
    assert_eq!(result(&answer, 0)["isError"], json!(false), "{answer}");

    let hub = TestHub::start_on(&database, &addr);
    let mut store = st.open();
    let report = common::sync(&mut store);
    assert_eq!(report.pushed, 1, "{report:?}");
    let unit = HubLedger::new(hub.state.store.as_ref())
        .find_unit("LT-3")
        .unwrap();
    assert_eq!(unit.status, Status::Sending);
    let history = tagstation::hub::read(hub.state.store.as_ref(), |c| {
        tagstation::hub::views::unit_history(c, unit.id)
    })
    .unwrap();
    assert_eq!(history.last().unwrap().actor, "mcp:Van 3");
}

/// Over HTTP with each person's token: Bo (a borrower) reserves laptops for himself;
/// a check-out of one to someone else is refused with the reservation named, an
/// operator overrides another on record, and Bo cancels his own.
fn reservations_through_an_assistant(shop: &Shop) {
    let today = tagstation::clock::today();
    let later = tagstation::reservations::shift_day(&today, 2).unwrap();
    let bo = http(
        &shop.hub,
        Some(&shop.tokens["Bo"]),
        json!([
            {"tool": "reserve", "arguments": {"units": ["LT-3"], "starts": today, "ends": later, "note": "site visit"}},
            {"tool": "reserve", "arguments": {"units": ["lt-2"], "starts": today}},
            // For someone else: a borrower reserves for themselves only.
            {"tool": "reserve", "arguments": {"item": "Laptop", "count": 1, "person": "Olga", "starts": today}},
            {"tool": "list_reservations", "arguments": {"item": "laptop"}},
        ]),
    );
    let listed: Vec<&Value> = bo["tools"].as_array().unwrap().iter().collect();
    let hint = |name: &str| {
        listed
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| (t["readOnlyHint"].clone(), t["destructiveHint"].clone()))
    };
    assert_eq!(hint("reserve"), Some((json!(false), json!(false))));
    assert_eq!(hint("list_reservations"), Some((json!(true), json!(false))));
    assert_eq!(
        hint("cancel_reservation"),
        Some((json!(false), json!(true)))
    );

    let made = result(&bo, 0);
    assert_eq!(made["isError"], json!(false), "{made}");
    let r = &made["structured"]["reservation"];
    assert_eq!(
        (&r["person"], &r["starts"], &r["ends"], &r["state"]),
        (&json!("Bo"), &json!(today), &json!(later), &json!("open")),
        "{r}"
    );
    assert_eq!(r["units"][0]["name"], "Laptop 03");
    let id = r["id"].as_str().unwrap().to_string();
    let short = r["short_id"].as_str().unwrap().to_string();
    let id2 = result(&bo, 1)["structured"]["reservation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(result(&bo, 2)["structured"]["error"], "refused", "{bo}");
    let list = &result(&bo, 3)["structured"];
    assert_eq!(list["count"], json!(2), "{list}");
    assert_eq!(list["reservations"][0]["id"], json!(id));

    // An operator lends LT-3 to Ada: refused, naming Bo's reservation; LT-2 with the
    // override: lent, the reservation broken on record.
    let olga = http(
        &shop.hub,
        Some(&shop.tokens["Olga"]),
        json!([
            {"tool": "check_out", "arguments": {"units": ["LT-3"], "holder": "Ada"}},
            {"tool": "get_unit", "arguments": {"unit": "LT-3"}},
            {"tool": "check_out", "arguments": {"units": ["LT-2"], "holder": "Ada", "override_reservation": true}},
        ]),
    );
    let refused = result(&olga, 0);
    assert_eq!(refused["isError"], json!(true), "{refused}");
    assert_eq!(refused["structured"]["error"], "reserved", "{refused}");
    assert_eq!(refused["structured"]["reservation"], json!(id));
    let words = refused["text"].as_str().unwrap();
    assert!(
        words.contains("Laptop 03")
            && words.contains("reserved for Bo")
            && words.contains(&short)
            && words.contains("override_reservation=true"),
        "{words}"
    );
    assert_eq!(hub_unit(shop, "LT-3").status, Status::InStock);
    assert_eq!(
        result(&olga, 1)["structured"]["reservations"][0]["id"],
        json!(id),
        "{olga}"
    );
    let over = result(&olga, 2);
    assert_eq!(over["isError"], json!(false), "{over}");
    assert_eq!(over["structured"]["overridden"]["reservation"], json!(id2));
    let lt2 = hub_unit(shop, "LT-2");
    assert_eq!(
        (lt2.status, lt2.holder.as_deref()),
        (Status::CheckedOut, Some("Ada"))
    );

    // Bo cancels his own, once confirmed; it is then listed only on request.
    let bo = http(
        &shop.hub,
        Some(&shop.tokens["Bo"]),
        json!([
            {"tool": "check_out", "arguments": {"units": ["LT-1"], "override_reservation": true}},
            {"tool": "cancel_reservation", "arguments": {"reservation": short}},
            {"tool": "cancel_reservation", "arguments": {"reservation": short, "reason": "visit moved", "confirm": true}},
            {"tool": "list_reservations", "arguments": {"item": "Laptop"}},
            {"tool": "list_reservations", "arguments": {"item": "Laptop", "include_cancelled": true}},
        ]),
    );
    assert_eq!(result(&bo, 0)["structured"]["error"], "refused", "{bo}");
    assert_eq!(hub_unit(shop, "LT-1").status, Status::InStock);
    let unconfirmed = result(&bo, 1);
    assert_eq!(unconfirmed["structured"]["error"], "refused");
    assert!(unconfirmed["text"]
        .as_str()
        .unwrap()
        .contains("confirm=true"));
    let cancelled = result(&bo, 2);
    assert_eq!(cancelled["isError"], json!(false), "{cancelled}");
    assert_eq!(cancelled["structured"]["reservation"]["state"], "cancelled");
    let ids = |i: usize| -> Vec<String> {
        result(&bo, i)["structured"]["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!ids(3).contains(&id), "{bo}");
    assert!(ids(4).contains(&id), "{bo}");

    // The hub: cancelled by `mcp:Bo`; LT-3 may now go to Ada.
    let l = HubLedger::new(shop.hub.state.store.as_ref());
    let held = l.reservation(id.parse().unwrap()).unwrap();
    assert_eq!(held.state, ReservationState::Cancelled);
    drop(l);
    let olga = http(
        &shop.hub,
        Some(&shop.tokens["Olga"]),
        json!([{"tool": "check_out", "arguments": {"units": ["LT-3"], "holder": "Ada"}}]),
    );
    assert_eq!(result(&olga, 0)["isError"], json!(false), "{olga}");
    assert_eq!(hub_unit(shop, "LT-3").holder.as_deref(), Some("Ada"));
}

#[test]
fn an_assistant_reserves_and_a_check_out_to_someone_else_is_refused_naming_it() {
    reservations_through_an_assistant(&shop());
}

#[test]
fn an_assistant_reserves_on_a_postgresql_hub() {
    let Some(base) = common::pg_url() else { return };
    let database = common::fresh_pg_db(&base, "mcp_reservations");
    reservations_through_an_assistant(&shop_on(&database, tempfile::tempdir().unwrap()));
}

/// Over HTTP: a kit made in the setup (Drill 01, Drill 02 of the Drill item and the
/// Hammer drill's "Drill 03") is listed, lent whole to a person by an operator, and
/// taken back without one unit, which the answer names and the kit shows as missing.
fn a_kit_through_an_assistant(shop: &Shop) {
    let mut l = HubLedger::new(shop.hub.state.store.as_ref());
    let kit = add_kit(
        &mut l,
        NewKit {
            name: "Drill kit".into(),
            tag: Some("KIT-D".into()),
            units: vec!["TS-1".into(), "TS-2".into(), "HD-3".into()],
        },
        &actor(),
    )
    .unwrap();
    drop(l);

    // A viewer sees kits, and may not lend them.
    let vic = http(
        &shop.hub,
        Some(&shop.tokens["Vic"]),
        json!([
            {"tool": "list_kits", "arguments": {}},
            {"tool": "check_out_kit", "arguments": {"kit": "KIT-D", "holder": "Vic"}},
        ]),
    );
    assert!(names(&vic).contains(&"get_kit".to_string()), "{vic}");
    assert!(!names(&vic).contains(&"check_in_kit".to_string()), "{vic}");
    let list = &result(&vic, 0)["structured"];
    assert_eq!(list["count"], json!(1), "{list}");
    assert_eq!(list["kits"][0]["name"], "Drill kit");
    assert_eq!(list["kits"][0]["tag"], "KIT-D");
    assert_eq!(list["kits"][0]["state"], "all_in");
    assert_eq!(list["kits"][0]["units"].as_array().unwrap().len(), 3);
    assert_eq!(result(&vic, 1)["structured"]["error"], "not_allowed");

    let olga = http(
        &shop.hub,
        Some(&shop.tokens["Olga"]),
        json!([
            {"tool": "check_out_kit", "arguments": {"kit": "kit-d", "holder": "Ada"}},
            // "Drill 03" is in two items, but only one of them is in the kit.
            {"tool": "check_in_kit", "arguments": {"kit": "Drill kit", "missing": ["Drill 03"]}},
            {"tool": "get_kit", "arguments": {"kit": "KIT-D"}},
            {"tool": "get_unit", "arguments": {"unit": "HD-3"}},
        ]),
    );
    let lent = result(&olga, 0);
    assert_eq!(lent["isError"], json!(false), "{lent}");
    assert_eq!(lent["structured"]["kit"]["state"], "out", "{lent}");
    for u in lent["structured"]["kit"]["units"].as_array().unwrap() {
        assert_eq!(
            (&u["status"], &u["holder"]),
            (&json!("checked_out"), &json!("Ada")),
            "{u}"
        );
    }

    let back = &result(&olga, 1);
    assert_eq!(back["isError"], json!(false), "{back}");
    assert_eq!(
        back["structured"]["checked_in"],
        json!(["Drill 01", "Drill 02"]),
        "{back}"
    );
    assert_eq!(back["structured"]["missing"], json!(["Drill 03"]));
    assert!(
        back["text"].as_str().unwrap().contains("missing: Drill 03"),
        "{back}"
    );

    let shown = &result(&olga, 2)["structured"]["kit"];
    assert_eq!(shown["state"], "incomplete", "{shown}");
    assert_eq!(shown["missing"], json!(["Drill 03"]));
    assert_eq!(result(&olga, 3)["structured"]["kit"]["name"], "Drill kit");

    // The hub: the two back in stock, the Hammer drill's Drill 03 still with Ada and
    // recorded missing on the kit, by `mcp:Olga`.
    assert_eq!(hub_unit(shop, "TS-1").status, Status::InStock);
    assert_eq!(hub_unit(shop, "TS-2").status, Status::InStock);
    let hd3 = hub_unit(shop, "HD-3");
    assert_eq!(
        (hd3.status, hd3.holder.as_deref()),
        (Status::CheckedOut, Some("Ada"))
    );
    assert_eq!(hub_unit(shop, "TS-3").status, Status::InStock);
    let l = HubLedger::new(shop.hub.state.store.as_ref());
    assert_eq!(l.kit(kit.id).unwrap().missing, vec![hd3.id]);
    drop(l);
    let history = tagstation::hub::read(shop.hub.state.store.as_ref(), |c| {
        tagstation::hub::views::unit_history(c, hd3.id)
    })
    .unwrap();
    assert_eq!(history.last().unwrap().actor, "mcp:Olga");

    // Reserved whole: a reservation per item of its units, each noted with the kit.
    let (from, to) = (tagstation::clock::in_days(5), tagstation::clock::in_days(6));
    let olga = http(
        &shop.hub,
        Some(&shop.tokens["Olga"]),
        json!([
            {"tool": "reserve", "arguments": {"kit": "KIT-D", "person": "Ada", "starts": from, "ends": to}},
            {"tool": "reserve", "arguments": {"kit": "KIT-D", "units": ["TS-1"], "person": "Ada", "starts": from}},
        ]),
    );
    let made = result(&olga, 0);
    assert_eq!(made["isError"], json!(false), "{made}");
    let rs = made["structured"]["reservations"].as_array().unwrap();
    assert_eq!(
        rs.len(),
        2,
        "the Drill's two units, the Hammer drill's one: {made}"
    );
    assert!(
        rs.iter()
            .all(|r| r["note"] == "Kit Drill kit" && r["person"] == "Ada"),
        "{made}"
    );
    assert!(
        made["text"]
            .as_str()
            .unwrap()
            .contains("Reserved the kit Drill kit for Ada"),
        "{made}"
    );
    assert_eq!(result(&olga, 1)["structured"]["error"], "bad_arguments");
}

#[test]
fn an_assistant_lends_a_kit_and_takes_it_back_without_one_unit() {
    a_kit_through_an_assistant(&shop());
}

#[test]
fn an_assistant_lends_a_kit_on_a_postgresql_hub() {
    let Some(base) = common::pg_url() else { return };
    let database = common::fresh_pg_db(&base, "mcp_kits");
    a_kit_through_an_assistant(&shop_on(&database, tempfile::tempdir().unwrap()));
}
