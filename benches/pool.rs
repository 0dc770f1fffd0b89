//! The equipment pool at the station: what a kit and reservations add to a check-out,
//! over the station's SQLite store on disk (every write durable, as in service).
//!
//! In one run, on one catalog (`BENCH_UNITS` units of one item, 2000; kits of 4 of
//! them; `BENCH_RESERVATIONS` reservations, 200, of a second item's units), each a
//! check-out by scan and the check-in after it, `BENCH_ROUNDS` times (200):
//! - *unit*: one unit by its tag: the baseline;
//! - *basket of 4*: four units in one write (`act_on_basket`);
//! - *kit of 4*: the kit's tag (`act_on_code`: resolve the kit, check each unit, one
//!   write; the check-in records the kit's return too);
//! - *unit, reserved item*: one unit of the item with the reservations (each check-out
//!   reads the item's reservations over the loan's days).
//!
//! Medians in ms and each as a ratio to *unit*. `cargo bench --bench pool`; without
//! `--bench` a tiny smoke run.

use std::time::Instant;

use tagstation::action::{act_on_code, Action};
use tagstation::clock::in_days;
use tagstation::ops::kits::{add_kit, NewKit};
use tagstation::ops::lending::{act_on_basket, BasketUnit};
use tagstation::ops::reservations::{reserve, NewReservation};
use tagstation::ops::{catalog, people, Actor, Ledger};
use tagstation::people::{PersonFields, Role};
use tagstation::store::Store;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn out(holder: &str) -> Action {
    Action::CheckOut {
        holder: holder.into(),
        due: Some(in_days(1)),
        over_reservation: false,
        signature: None,
    }
}

fn back() -> Action {
    Action::CheckIn { location: None }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (rounds, units, reservations) = if full {
        (
            env("BENCH_ROUNDS", 200),
            env("BENCH_UNITS", 2000),
            env("BENCH_RESERVATIONS", 200),
        )
    } else {
        (5, 40, 10)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path()).unwrap();
    let a = Actor::from("bench");
    for name in ["Ana", "Ben"] {
        let f = PersonFields {
            name: name.into(),
            badges: vec![],
            email: None,
            role: Role::Borrower,
            active: true,
            max_checkouts: None,
            loan_days: None,
        };
        people::add_person(&mut s, f, &a).unwrap();
    }
    let cams = catalog::create_item(&mut s, catalog::NewItem::units("Camera"), &a).unwrap();
    for i in 0..units {
        let new = catalog::NewUnit {
            tag: Some(format!("C-{i}")),
            ..catalog::NewUnit::default()
        };
        catalog::add_unit(&mut s, cams, new, &a).unwrap();
    }
    let kits = (rounds / 4).clamp(1, units / 4);
    for k in 0..kits {
        let units = (0..4).map(|j| format!("C-{}", 4 * k + j)).collect();
        let new = NewKit {
            name: format!("Kit {k}"),
            tag: Some(format!("K-{k}")),
            units,
        };
        add_kit(&mut s, new, &a).unwrap();
    }
    // A second item, fully booked ahead: a reservation a unit, some days from now.
    let lenses = catalog::create_item(&mut s, catalog::NewItem::units("Lens"), &a).unwrap();
    for i in 0..reservations + 1 {
        let new = catalog::NewUnit {
            tag: Some(format!("L-{i}")),
            ..catalog::NewUnit::default()
        };
        catalog::add_unit(&mut s, lenses, new, &a).unwrap();
    }
    for i in 0..reservations {
        let new = NewReservation {
            units: vec![format!("L-{}", i + 1)],
            person: "Ana".into(),
            starts: in_days(3 + (i % 20) as i64),
            ends: Some(in_days(4 + (i % 20) as i64)),
            ..NewReservation::default()
        };
        reserve(&mut s, new, &a).unwrap();
    }

    let (mut unit, mut basket, mut kit, mut reserved) = (vec![], vec![], vec![], vec![]);
    let base = 4 * kits;
    for r in 0..rounds {
        // One unit, out and back.
        let tag = format!("C-{}", base + r % (units - base));
        let t = Instant::now();
        act_on_code(&mut s, &tag, out("Ben"), "bench").unwrap();
        act_on_code(&mut s, &tag, back(), "bench").unwrap();
        unit.push(ms(t));

        // Four units in one basket (the units of a kit, lent as loose units).
        let k = r % kits;
        let four: Vec<BasketUnit> = (0..4)
            .map(|j| BasketUnit {
                unit: s.find_unit(&format!("C-{}", 4 * k + j)).unwrap().id,
                scan: None,
            })
            .collect();
        let t = Instant::now();
        act_on_basket(&mut s, &four, &out("Ben"), &a).unwrap();
        act_on_basket(&mut s, &four, &back(), &a).unwrap();
        basket.push(ms(t));

        // The same four as a kit, by its tag.
        let code = format!("K-{k}");
        let t = Instant::now();
        act_on_code(&mut s, &code, out("Ben"), "bench").unwrap();
        act_on_code(&mut s, &code, back(), "bench").unwrap();
        kit.push(ms(t));

        // A lens not booked, of the item whose other units are.
        let t = Instant::now();
        act_on_code(&mut s, "L-0", out("Ben"), "bench").unwrap();
        act_on_code(&mut s, "L-0", back(), "bench").unwrap();
        reserved.push(ms(t));
    }
    assert_eq!(
        s.reservations(&Default::default()).unwrap().len(),
        reservations
    );
    let u = median(&mut unit);
    println!(
        "pool: {rounds} rounds, {units} units, {kits} kits of 4, {reservations} reservations \
         (medians of a check-out and its check-in)"
    );
    for (name, v) in [
        ("unit", u),
        ("basket of 4", median(&mut basket)),
        ("kit of 4", median(&mut kit)),
        ("unit, reserved item", median(&mut reserved)),
    ] {
        println!("  {name:<22} {v:>8.2} ms  {:>5.2} × unit", v / u);
    }
}
