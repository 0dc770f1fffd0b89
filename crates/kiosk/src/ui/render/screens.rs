//! Each screen's properties: scan, unit card, kit card, kiosk, count item, unknown tag,
//! audit.

use slint::SharedString;

use super::{line, model, status_tone, Rows, Shown};
use crate::ui::bridge;
use crate::ui::flow::{
    and_list, count_units, AuditSeen, CameBack, Choice, Flow, State, DUE_CHOICES,
};
use crate::ui::generated::{Line, Screen, StationWindow, Tone, Total};
use tagstation_core::catalog::{ItemId, Status, Tracking, UnitId};
use tagstation_core::view::UnitView;
use tagstation_ops::kits::KitView;
use tagstation_station::audit::Audit;
use tagstation_station::store::{Store, StoreError};

pub(super) fn show(
    w: &StationWindow,
    state: &State,
    store: &Store,
    shown: &mut Shown,
) -> Result<(), StoreError> {
    match &state.flow {
        Flow::Scan => scan(w, state, store),
        Flow::Unit { unit, reserved } => {
            unit_card(w, store, *unit, reserved, state.settings.labels.is_some())
        }
        Flow::Kit { kit: k, returning } => {
            kit(w, k, returning.as_deref(), shown);
            Ok(())
        }
        Flow::Kiosk {
            person,
            basket,
            due,
        } => kiosk(w, state, store, person.as_deref(), basket, *due, shown),
        Flow::Count { item, qty, .. } => count(w, store, *item, *qty),
        Flow::Unknown { code, item } => unknown(w, store, code, *item, shown),
        Flow::NewTagged { .. } => new_tagged(w, store, shown),
        Flow::AuditPick => audit_pick(w, store, shown),
        Flow::Audit { audit: a, seen } => {
            audit(w, a, seen);
            Ok(())
        }
    }
}

/// `2026-11-23T05:41:07.120Z` → `11-23 05:41`.
fn short_time(rfc: &str) -> String {
    match (rfc.get(5..10), rfc.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => rfc.to_string(),
    }
}

fn unit_detail(u: &UnitView) -> (String, Tone) {
    match u.status {
        Status::CheckedOut => {
            let who = u.holder.as_deref().unwrap_or("someone");
            match (&u.due, u.overdue) {
                (Some(d), true) => (format!("OVERDUE since {d}, {who}"), Tone::Error),
                (Some(d), false) => (format!("{who}, due {d}"), Tone::None),
                (None, _) => (format!("with {who}"), Tone::None),
            }
        }
        s => (s.label().to_string(), Tone::None),
    }
}

fn scan(w: &StationWindow, state: &State, store: &Store) -> Result<(), StoreError> {
    let door = state.settings.door;
    w.set_screen(Screen::Scan);
    w.set_show_menu(door.is_none());
    w.set_scan_can_new_tagged(store.has_tag_blocks()?);
    w.set_scan_title("Scan a tag".into());
    match door {
        Some(d) => {
            w.set_scan_subtitle(
                format!(
                    "Door mode: every scan is saved as {}",
                    d.label().to_uppercase()
                )
                .into(),
            );
            w.set_hint("No touch needed: just scan.".into());
        }
        None => {
            w.set_scan_subtitle("Hold the label under the scanner".into());
            w.set_hint("Scan a unit, a product barcode or a badge.".into());
        }
    }
    let overdue: Vec<Line> = store
        .overdue()?
        .into_iter()
        .take(20)
        .map(|u| {
            line(
                format!("OVERDUE {}", u.name),
                format!(
                    "{}, due {}",
                    u.holder.as_deref().unwrap_or("someone"),
                    u.due.as_deref().unwrap_or("?")
                ),
                Tone::Error,
            )
        })
        .collect();
    w.set_overdue(model(overdue));
    Ok(())
}

fn unit_card(
    w: &StationWindow,
    store: &Store,
    unit: UnitId,
    reserved: &[String],
    can_print: bool,
) -> Result<(), StoreError> {
    // By id directly (the name-or-id lookup scans every unit); a unit folded back into
    // a count meanwhile is not shown.
    let u = store.unit(unit)?;
    if !u.active {
        return Err(StoreError::NotFound {
            what: "unit",
            reference: unit.to_string(),
        });
    }
    let v = store.unit_view(&u)?;
    w.set_screen(Screen::Unit);
    w.set_unit_item(v.item.clone().into());
    w.set_unit_name(v.name.clone().into());
    w.set_unit_tag(
        v.asset_tag
            .as_deref()
            .map(|t| format!("Tag {t}"))
            .unwrap_or_else(|| "No tag".into())
            .into(),
    );
    w.set_unit_status(v.status.label().to_uppercase().into());
    w.set_unit_status_value(bridge::ui_status(v.status));
    w.set_unit_status_tone(status_tone(v.status));
    let (holder, holder_tone) = match (&v.holder, v.status) {
        (Some(h), Status::CheckedOut) => {
            let due = v
                .due
                .as_deref()
                .map(|d| format!(", due {d}"))
                .unwrap_or_default();
            if v.overdue {
                (format!("With {h}{due}: OVERDUE"), Tone::Error)
            } else {
                (format!("With {h}{due}"), Tone::None)
            }
        }
        _ => (String::new(), Tone::None),
    };
    w.set_unit_holder(holder.into());
    w.set_unit_holder_tone(holder_tone);
    w.set_unit_location(
        v.location
            .as_deref()
            .map(|l| format!("At {l}"))
            .unwrap_or_else(|| "No location recorded".into())
            .into(),
    );
    let history: Vec<Line> = store
        .history(unit)?
        .into_iter()
        .rev()
        .take(4)
        .map(|h| line(h.description, short_time(&h.at), Tone::None))
        .collect();
    w.set_unit_history(model(history));
    w.set_unit_reservations(model(
        reserved
            .iter()
            .map(|r| SharedString::from(r.as_str()))
            .collect(),
    ));
    let settable = !matches!(v.status, Status::CheckedOut | Status::Retired);
    w.set_unit_can_set_status(settable);
    w.set_unit_can_check_out(v.status == Status::InStock);
    w.set_unit_can_check_in(v.status == Status::CheckedOut);
    w.set_unit_can_print(can_print && v.asset_tag.is_some());
    w.set_unit_can_reserve(v.status != Status::Retired);
    w.set_hint(if v.status == Status::CheckedOut {
        "Checked out: check it in before changing its status.".into()
    } else {
        "One touch saves. Done returns to the scan screen.".into()
    });
    Ok(())
}

/// A kit's card: its state, who has it, what is missing and each unit; or, while it
/// is checked in, a toggle for each unit that is out (on: came back).
fn kit(w: &StationWindow, kit: &KitView, returning: Option<&[CameBack]>, shown: &mut Shown) {
    w.set_screen(Screen::Kit);
    w.set_kit_name(kit.name.clone().into());
    w.set_kit_tag(
        kit.tag
            .as_deref()
            .map(|t| format!("Kit · tag {t}"))
            .unwrap_or_else(|| "Kit · no tag".into())
            .into(),
    );
    let out = kit
        .units
        .iter()
        .filter(|u| u.status == Status::CheckedOut)
        .count();
    let all_in = kit.all_in();
    let (state, tone) = if !kit.active {
        ("RETIRED", Tone::None)
    } else if kit.units.is_empty() {
        ("NO UNITS", Tone::None)
    } else if !kit.missing.is_empty() {
        ("INCOMPLETE", Tone::Error)
    } else if all_in {
        ("IN STOCK", Tone::Ok)
    } else if out == kit.units.len() {
        ("CHECKED OUT", Tone::Warn)
    } else if out > 0 {
        ("PARTLY OUT", Tone::Warn)
    } else {
        ("NOT ALL IN STOCK", Tone::Info)
    };
    w.set_kit_state(state.into());
    w.set_kit_state_tone(tone);
    let mut holders: Vec<String> = Vec::new();
    for u in &kit.units {
        if let (Status::CheckedOut, Some(h)) = (u.status, &u.holder) {
            if !holders.contains(h) {
                holders.push(h.clone());
            }
        }
    }
    w.set_kit_holder(if holders.is_empty() {
        SharedString::new()
    } else {
        format!("With {}", and_list(&holders)).into()
    });
    w.set_kit_missing(if kit.missing.is_empty() {
        SharedString::new()
    } else {
        format!("Incomplete: missing {}", and_list(&kit.missing)).into()
    });
    let units: Vec<Line> = kit
        .units
        .iter()
        .map(|u| {
            let missing = u.status == Status::CheckedOut && kit.missing.contains(&u.name);
            let detail = match (u.status, &u.holder) {
                (Status::CheckedOut, Some(h)) if missing => format!("missing, with {h}"),
                (Status::CheckedOut, Some(h)) => format!("with {h}"),
                (s, _) => s.label().to_string(),
            };
            line(
                u.name.clone(),
                detail,
                if missing { Tone::Error } else { Tone::None },
            )
        })
        .collect();
    w.set_kit_units(model(units));
    let usable = kit.active && !kit.units.is_empty();
    w.set_kit_can_check_out(usable && all_in);
    w.set_kit_can_check_in(out > 0);
    let mut rows = Rows::default();
    let rs = returning.unwrap_or_default();
    for r in rs {
        let (detail, tone) = if r.back {
            ("came back", Tone::Ok)
        } else {
            ("missing", Tone::Error)
        };
        let l = Line {
            selected: r.back,
            ..line(r.name.clone(), detail, tone)
        };
        rows.push(Choice::Unit(r.unit), l);
    }
    w.set_kit_return_rows(model(rows.lines));
    shown.kit = rows.choices;
    let back = rs.iter().filter(|r| r.back).count();
    w.set_kit_return_text(format!("Check in {back} of {}", rs.len()).into());
    w.set_kit_returning(returning.is_some());
    w.set_hint(
        match returning {
            Some(_) => "Touch each unit that did not come back, then Check in.",
            None if !kit.active => "A retired kit: lend its units one by one.",
            None if all_in && usable => "Check out kit lends every unit in one go.",
            None if out > 0 => "Check in kit, then touch what did not come back.",
            None => "Not every unit is in stock: the kit cannot go out.",
        }
        .into(),
    );
}

fn kiosk(
    w: &StationWindow,
    state: &State,
    store: &Store,
    person: Option<&str>,
    basket: &[UnitView],
    due: Option<i64>,
    shown: &mut Shown,
) -> Result<(), StoreError> {
    w.set_screen(Screen::Kiosk);
    w.set_show_menu(!state.settings.kiosk);
    w.set_kiosk_person(person.unwrap_or_default().into());
    let mut people = Rows::default();
    for name in store.borrowers()? {
        let l = line(name.clone(), "", Tone::None);
        people.push(Choice::Person(name), l);
    }
    w.set_people(model(people.lines));
    shown.people = people.choices;
    let rows: Vec<Line> = basket
        .iter()
        .rev()
        .map(|u| {
            let (detail, tone) = unit_detail(u);
            line(u.name.clone(), detail, tone)
        })
        .collect();
    w.set_basket(model(rows));
    let mut dues = Rows::default();
    for (label, days) in DUE_CHOICES {
        let selected = days == due;
        let tone = if selected { Tone::Info } else { Tone::None };
        let l = Line {
            selected,
            ..line(label, "", tone)
        };
        dues.push(Choice::Due(days), l);
    }
    w.set_due_choices(model(dues.lines));
    shown.due = dues.choices;
    let n = basket.len();
    let all_in = n > 0 && basket.iter().all(|u| u.status == Status::InStock);
    let all_out = n > 0 && basket.iter().all(|u| u.status == Status::CheckedOut);
    w.set_kiosk_can_check_out(all_in);
    w.set_kiosk_can_check_in(all_out);
    w.set_kiosk_check_out_text(format!("Check out {n}").into());
    w.set_kiosk_check_in_text(format!("Check in {n}").into());
    w.set_hint(match (person, n, all_in || all_out) {
        (None, _, _) => "Scan your badge, or tap your name.".into(),
        (Some(_), 0, _) => "Scan each unit you take or bring back.".into(),
        (Some(_), _, false) => {
            "Mixed basket: check out only units in stock, check in only units checked out.".into()
        }
        (Some(_), _, true) => "Scan more, or confirm once for the whole basket.".into(),
    });
    Ok(())
}

fn count(w: &StationWindow, store: &Store, item: ItemId, qty: i64) -> Result<(), StoreError> {
    let it = store.find_item(&item.to_string())?;
    let v = store.item_view(&it)?;
    w.set_screen(Screen::Count);
    w.set_count_item(v.name.clone().into());
    let mut detail = Vec::new();
    if let Some(s) = &v.sku {
        detail.push(format!("SKU {s}"));
    }
    if let Some(r) = v.reorder_point {
        detail.push(format!("reorder at {r}"));
    }
    detail.push(format!("total {}", v.total));
    w.set_count_detail(detail.join(" · ").into());
    let totals: Vec<Total> = Status::COUNTED
        .iter()
        .map(|s| Total {
            label: s.label().into(),
            value: v.totals.get(s).copied().unwrap_or(0).to_string().into(),
            tone: if *s == Status::InStock && v.below_reorder_point {
                Tone::Warn
            } else {
                Tone::None
            },
        })
        .collect();
    w.set_count_totals(model(totals));
    w.set_count_warning(if v.below_reorder_point {
        format!(
            "Below reorder point ({}): order more",
            v.reorder_point.unwrap_or(0)
        )
        .into()
    } else {
        SharedString::new()
    });
    w.set_count_qty(i32::try_from(qty).unwrap_or(i32::MAX));
    w.set_hint("Set the quantity, then touch what happened to it.".into());
    Ok(())
}

fn unknown(
    w: &StationWindow,
    store: &Store,
    code: &str,
    item: Option<ItemId>,
    shown: &mut Shown,
) -> Result<(), StoreError> {
    w.set_screen(Screen::Unknown);
    w.set_unknown_heading(format!("Unknown tag {code}").into());
    let mut rows = Rows::default();
    match item {
        None => {
            item_rows(store, &mut rows)?;
            w.set_unknown_prompt("Attach it to a unit. Which item is it?".into());
        }
        Some(item) => {
            let it = store.find_item(&item.to_string())?;
            for u in store.units(Some(item), false)? {
                if u.asset_tag.is_none() && u.status != Status::Retired {
                    let (detail, tone) = unit_detail(&u);
                    rows.push(Choice::Unit(u.id), line(u.name, detail, tone));
                }
            }
            w.set_unknown_prompt(
                if rows.lines.is_empty() {
                    format!("{} has no untagged unit: create a new one.", it.name)
                } else {
                    format!(
                        "Tap the {} unit that carries this tag, or create a new one.",
                        it.name
                    )
                }
                .into(),
            );
        }
    }
    w.set_unknown_choices(model(rows.lines));
    shown.unknown = rows.choices;
    w.set_unknown_can_create(item.is_some());
    w.set_unknown_can_go_back(item.is_some());
    w.set_hint("Nothing is saved until you choose.".into());
    Ok(())
}

/// Every item tracked by units, a row each, to choose from.
fn item_rows(store: &Store, rows: &mut Rows) -> Result<(), StoreError> {
    for i in store.items()? {
        if i.tracking == Tracking::Units {
            let l = line(i.name, count_units(i.units as usize), Tone::None);
            rows.push(Choice::Item(i.id), l);
        }
    }
    Ok(())
}

/// A new unit with a new tag: the unknown tag's screen, choosing its item.
fn new_tagged(w: &StationWindow, store: &Store, shown: &mut Shown) -> Result<(), StoreError> {
    w.set_screen(Screen::Unknown);
    w.set_unknown_heading("New unit with a new tag".into());
    let mut rows = Rows::default();
    item_rows(store, &mut rows)?;
    let left = store.new_tags_left()?;
    w.set_unknown_prompt(format!("Which item is it? ({left} new tags left here)").into());
    w.set_unknown_choices(model(rows.lines));
    shown.unknown = rows.choices;
    w.set_unknown_can_create(false);
    w.set_unknown_can_go_back(false);
    w.set_hint("The next new tag goes on it once you name it.".into());
    Ok(())
}

fn audit_pick(w: &StationWindow, store: &Store, shown: &mut Shown) -> Result<(), StoreError> {
    w.set_screen(Screen::Audit);
    w.set_audit_location(SharedString::new());
    let mut rows = Rows::default();
    for l in store.locations()? {
        let row = line(l.clone(), "", Tone::None);
        rows.push(Choice::Location(l), row);
    }
    w.set_audit_locations(model(rows.lines));
    shown.locations = rows.choices;
    w.set_hint("Pick the location you are standing in.".into());
    Ok(())
}

fn audit(w: &StationWindow, audit: &Audit, seen: &[AuditSeen]) {
    w.set_screen(Screen::Audit);
    w.set_audit_location(audit.location.clone().into());
    let missing: Vec<Line> = audit
        .missing()
        .map(|u| {
            line(
                u.name.clone(),
                u.asset_tag.clone().unwrap_or_default(),
                Tone::None,
            )
        })
        .collect();
    let n_missing = missing.len();
    let total = |label: &str, n: usize, tone: Tone| Total {
        label: label.into(),
        value: n.to_string().into(),
        tone: if n == 0 { Tone::None } else { tone },
    };
    w.set_audit_totals(model(vec![
        total("expected", audit.expected.len(), Tone::None),
        total("found", audit.found.len(), Tone::Ok),
        total("not found", n_missing, Tone::Error),
        total("unexpected", audit.unexpected.len(), Tone::Warn),
    ]));
    w.set_audit_missing(model(missing));
    let seen: Vec<Line> = seen
        .iter()
        .map(|s| {
            if s.unexpected {
                line(s.name.clone(), "unexpected", Tone::Warn)
            } else {
                line(s.name.clone(), "found", Tone::None)
            }
        })
        .collect();
    w.set_audit_seen(model(seen));
    w.set_hint("Scan every unit here, then Finish audit.".into());
}
