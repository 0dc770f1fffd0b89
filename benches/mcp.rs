//! MCP bench: the p95 of a tool call with 10,000 units, on a station's store and on the
//! hub's (SQLite), each tool beside a baseline: the nearest read straight from the
//! store, as a ratio.
//!
//! A call is timed as the servers run it: `tagstation_mcp::tools::call` (name lookup,
//! role check, argument parsing, lookups and the operation) and the MCP result built
//! from it (`server::result`, JSON text and structured content); the transport's own
//! framing (stdio lines, HTTP) is not in the figure. Writes are real writes: on the
//! station each is one durable transaction (`synchronous=FULL`), so its figure depends
//! on the disk under the temporary directory.
//!
//! `cargo bench --bench mcp` runs 10,000 units and 200 calls per tool; without
//! `--bench` (as `cargo test --all-targets` runs it) a smoke run of 1,000 units and 5
//! calls. Options: `--units N`, `--calls N`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use uuid::Uuid;

use common::bench::arg;
use common::cmd;
use tagstation::catalog::{Status, Tracking};
use tagstation::event::EventKind;
use tagstation::hub::ledger::HubLedger;
use tagstation::mcp::{server, tools, Caller};
use tagstation::ops::reads::{Reads, UnitFilter};
use tagstation::ops::Ledger;
use tagstation::people::{PersonFields, Role};
use tagstation::store::Store;

const ITEMS: usize = 100;

/// `units` units over 100 items ("Item 000".."Item 099", units "Item 007 012", tags
/// `T-<n>`), every 10th sending, every 50th checked out to Ana.
fn build(l: &mut impl Ledger, units: usize) {
    let ana = Uuid::now_v7();
    let person = EventKind::PersonCreated(PersonFields {
        name: "Ana".into(),
        badges: vec!["B-ANA".into()],
        email: None,
        role: Role::Borrower,
        active: true,
        max_checkouts: None,
        loan_days: None,
    });
    l.record(vec![cmd(ana, None, person)]).expect("person");
    let per_item = units.div_ceil(ITEMS);
    let mut n = 0;
    for i in 0..ITEMS {
        let item = Uuid::now_v7();
        let mut batch = vec![cmd(
            item,
            None,
            EventKind::ItemCreated {
                name: format!("Item {i:03}"),
                sku: Some(format!("SKU-{i:03}")),
                barcode: None,
                tracking: Tracking::Units,
                reorder_point: Some(3),
            },
        )];
        let mut out = Vec::new();
        for j in 0..per_item {
            if n == units {
                break;
            }
            let id = Uuid::now_v7();
            let status = if n % 10 == 3 {
                Status::Sending
            } else {
                Status::InStock
            };
            batch.push(cmd(
                item,
                Some(id),
                EventKind::UnitCreated {
                    name: format!("Item {i:03} {:03}", j + 1),
                    asset_tag: Some(format!("T-{n}")),
                    status,
                    location: None,
                    fields: Default::default(),
                    location_id: None,
                },
            ));
            if n % 50 == 7 {
                out.push(id);
            }
            n += 1;
        }
        for id in out {
            batch.push(cmd(
                item,
                Some(id),
                EventKind::CheckedOut {
                    holder: "Ana".into(),
                    due: Some("2020-01-01".into()),
                    holder_id: Some(ana),
                },
            ));
        }
        l.record(batch).map_err(|(_, e)| e).expect("catalog");
    }
}

fn p95(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[(times.len() * 95 / 100).min(times.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The tools measured, with arguments; `i` varies the unit so caches do not flatter.
fn calls(units: usize) -> Vec<(&'static str, Box<dyn Fn(usize) -> Value>)> {
    vec![
        (
            "find_units (typo)",
            Box::new(
                move |i| json!({"tool": "find_units", "args": {"query": format!("item {:02} 0{:02}", i % ITEMS, 1 + i % 9)}}),
            ),
        ),
        (
            "find_units (item+status)",
            Box::new(
                |i| json!({"tool": "find_units", "args": {"item": format!("item {:03}", i % ITEMS), "status": "sending"}}),
            ),
        ),
        (
            "get_unit",
            Box::new(
                move |i| json!({"tool": "get_unit", "args": {"unit": format!("T-{}", (i * 37) % units)}}),
            ),
        ),
        // Damaged, then back in stock, unit by unit (every 40th: in stock, not lent).
        (
            "set_unit_status",
            Box::new(
                move |i| json!({"tool": "set_unit_status", "args": {"unit": format!("T-{}", (i / 2 * 40) % units), "status": if i % 2 == 0 {"damaged"} else {"in_stock"}}}),
            ),
        ),
        (
            "list_items",
            Box::new(|_| json!({"tool": "list_items", "args": {}})),
        ),
        (
            "who_has_what",
            Box::new(|_| json!({"tool": "who_has_what", "args": {}})),
        ),
        (
            "overdue",
            Box::new(|_| json!({"tool": "overdue", "args": {}})),
        ),
        (
            "low_stock",
            Box::new(|_| json!({"tool": "low_stock", "args": {}})),
        ),
        (
            "recent_activity",
            Box::new(|_| json!({"tool": "recent_activity", "args": {}})),
        ),
    ]
}

/// The baseline of each tool: the nearest read straight from the store.
fn baseline<L: Ledger + Reads>(l: &L, tool: &str, i: usize, units: usize) {
    match tool {
        "get_unit" | "set_unit_status" => {
            let n = if tool == "get_unit" {
                i * 37
            } else {
                i / 2 * 40
            };
            let u = l.find_unit(&format!("T-{}", n % units)).expect("unit");
            let _ = l.unit_history(u.id).expect("history");
        }
        "find_units (typo)" => {
            let _ = l.unit_keys().expect("keys");
        }
        "find_units (item+status)" => {
            let item = l
                .find_item(&format!("Item {:03}", i % ITEMS))
                .expect("item");
            let _ = l
                .unit_views(&UnitFilter {
                    item: Some(item.id),
                    status: Some(Status::Sending),
                    ..UnitFilter::default()
                })
                .expect("units");
        }
        "who_has_what" | "overdue" => {
            let _ = l
                .unit_views(&UnitFilter {
                    status: Some(Status::CheckedOut),
                    limit: 2000,
                    ..UnitFilter::default()
                })
                .expect("units");
        }
        "recent_activity" => {
            let _ = l.recent(20).expect("recent");
        }
        _ => {
            let _ = l.item_views().expect("items");
        }
    }
}

fn measure<L: Ledger + Reads>(name: &str, l: &mut L, units: usize, n: usize) -> bool {
    let caller = Caller::station("bench");
    println!("\n{name}: {units} units, {n} calls per tool");
    println!(
        "{:<26} {:>10} {:>12} {:>8}",
        "tool", "p95 ms", "baseline ms", "ratio"
    );
    let mut ok = true;
    for (label, make) in calls(units) {
        let mut times = Vec::with_capacity(n);
        let mut base = Vec::with_capacity(n);
        for i in 0..n {
            let c = make(i);
            let tool = c["tool"].as_str().unwrap_or_default().to_string();
            let t = Instant::now();
            let r = tools::call(l, &caller, &tool, c["args"].clone());
            let failed = r.is_err();
            let out = server::result(&tool, r);
            times.push(t.elapsed());
            assert!(!failed, "{label}: {:?}", out.content);
            let t = Instant::now();
            baseline(l, label, i, units);
            base.push(t.elapsed());
        }
        let (p, b) = (p95(times), p95(base));
        println!(
            "{label:<26} {:>10.2} {:>12.2} {:>8.1}",
            ms(p),
            ms(b),
            ms(p) / ms(b).max(0.001)
        );
        ok &= p < Duration::from_millis(20);
    }
    ok
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let units = arg("--units", if full { 10_000 } else { 1_000 });
    let n = arg("--calls", if full { 200 } else { 5 });

    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("station")).expect("station");
    let t = Instant::now();
    build(&mut store, units);
    println!(
        "station catalog built in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let station_ok = measure("station (SQLite store)", &mut store, units, n);

    let hub =
        tagstation::hub::open_store(&dir.path().join("hub.db").display().to_string()).expect("hub");
    let mut l = HubLedger::new(hub.as_ref());
    let t = Instant::now();
    build(&mut l, units);
    println!("hub catalog built in {:.1} s", t.elapsed().as_secs_f64());
    let hub_ok = measure("hub (SQLite)", &mut l, units, n);
    println!(
        "\np95 under 20 ms for every tool: station {}, hub {}",
        if station_ok { "yes" } else { "NO" },
        if hub_ok { "yes" } else { "NO" }
    );
}
