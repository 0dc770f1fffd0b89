//! What is due: the hub's catalog read into [`Notice`]s, each with a key that names
//! what it is about (a check-out and its due date, a reservation not picked up, an
//! item's stock level, a date on a unit, a station's silence, a conflict), so that the
//! same notice is sent once.
//!
//! Reservations feed two reminders. One not picked up by its first day is its own
//! notice ([`not_picked_up`]). One picked up and not returned at its end needs none of
//! its own: picking it up made the loan due on the reservation's last day (unless the
//! lender gave another date), so the loan's "due soon" and "overdue" say it, naming the
//! reservation ([`loans`]), and nobody hears it twice.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tagstation_core::catalog::{Status, DATE_FIELDS, SERVICE_DUE};
use tagstation_core::due::dates_due;
use tagstation_core::people::PersonId;
use tagstation_core::reservations::{Reservation, ReservationId, ReservationState};
use tagstation_hub::db::{Conn, Value};
use tagstation_hub::{tables, views, HubStore, Result};

/// What a reminder is about. Each kind but [`Kind::Overdue`] (to the holder) can be
/// opted out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    DueSoon,
    Overdue,
    /// A reservation whose first day has passed and that nobody picked up.
    NotPickedUp,
    LowStock,
    WarrantyEnd,
    ServiceDue,
    StationSilent,
    Conflict,
    /// Several of the above in one message, for a person who asked for a daily digest.
    Digest,
}

impl Kind {
    /// Every kind a person may choose about (the digest is a way of sending, not a kind).
    pub const CHOOSABLE: [Kind; 8] = [
        Kind::DueSoon,
        Kind::Overdue,
        Kind::NotPickedUp,
        Kind::LowStock,
        Kind::WarrantyEnd,
        Kind::ServiceDue,
        Kind::StationSilent,
        Kind::Conflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DueSoon => "due_soon",
            Kind::Overdue => "overdue",
            Kind::NotPickedUp => "not_picked_up",
            Kind::LowStock => "low_stock",
            Kind::WarrantyEnd => "warranty_end",
            Kind::ServiceDue => "service_due",
            Kind::StationSilent => "station_silent",
            Kind::Conflict => "conflict",
            Kind::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::CHOOSABLE
            .into_iter()
            .chain([Kind::Digest])
            .find(|k| k.as_str() == s)
    }

    /// Words for a person choosing what they get.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::DueSoon => "Something I borrowed is due soon",
            Kind::Overdue => "Something I borrowed is overdue (always sent to the borrower)",
            Kind::NotPickedUp => "Something I reserved was not picked up",
            Kind::LowStock => "An item is below its reorder point (operators)",
            Kind::WarrantyEnd => "A warranty is ending (operators)",
            Kind::ServiceDue => "A service is due (operators)",
            Kind::StationSilent => "A station has gone quiet (operators)",
            Kind::Conflict => "A conflict waits for review (operators)",
            Kind::Digest => "Daily digest",
        }
    }
}

/// Who a notice goes to beside every webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The borrower (as the unit names them; for a reservation, the person who made
    /// it) and the operators.
    HolderAndOperators {
        holder: String,
        person: Option<PersonId>,
    },
    Operators,
}

/// One thing to remind someone of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Stable for the same thing: the same key is sent once.
    pub key: String,
    pub kind: Kind,
    pub subject: String,
    /// The message, a line each (plain text; escaped where it becomes HTML).
    pub lines: Vec<String>,
    pub audience: Audience,
}

/// A unit's name with its tag, as messages write it: `Drill 01 (TS-0001)`.
fn unit_label(name: &str, tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{name} ({t})"),
        None => name.to_string(),
    }
}

/// Loans due on or before `soon` (`YYYY-MM-DD`): overdue when before `today`. A loan
/// that picked up the borrower's reservation, due on its last day, says so: that is
/// the reminder of a reservation not returned at its end.
pub fn loans(c: &mut dyn Conn, today: &str, soon: &str) -> Result<Vec<Notice>> {
    let rows = c.query(
        "SELECT u.id, u.name, u.asset_tag, u.due, i.name, u.holder, u.holder_id, i.id
           FROM units u JOIN items i ON i.id = u.item_id
          WHERE u.active = TRUE AND u.status = ?1 AND u.due IS NOT NULL AND u.due <= ?2
          ORDER BY u.due, u.name",
        &[Status::CheckedOut.as_str().into(), Value::Text(soon.into())],
    )?;
    let mut out = Vec::new();
    for r in rows {
        let (unit, name, tag, due, item) = (
            r.text(0)?,
            r.text(1)?,
            r.opt_text(2)?,
            r.text(3)?,
            r.text(4)?,
        );
        let holder = r.opt_text(5)?.unwrap_or_default();
        let person = r.opt_uuid(6)?;
        let label = unit_label(&name, tag.as_deref());
        let overdue = due.as_str() < today;
        let (kind, subject, first) = if overdue {
            (
                Kind::Overdue,
                format!("Overdue: {label}"),
                format!("{label} ({item}) was due back on {due}."),
            )
        } else {
            (
                Kind::DueSoon,
                format!("Due {due}: {label}"),
                format!("{label} ({item}) is due back on {due}."),
            )
        };
        let mut lines = vec![first, format!("Borrowed by {holder}.")];
        if let Some(p) = person {
            let reserved = picked_up(c, p, &r.text(7)?, &unit, &due)?;
            if let Some(res) = reserved {
                lines.push(reservation_line(&res, overdue));
            }
        }
        out.push(Notice {
            // One check-out: this unit, this borrower, this due date.
            key: format!(
                "{}:{unit}:{}:{due}",
                kind.as_str(),
                person
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| holder.clone())
            ),
            kind,
            subject,
            lines,
            audience: Audience::HolderAndOperators { holder, person },
        });
    }
    Ok(out)
}

/// The reservation a loan of `unit` to `person`, due on `due`, picked up: theirs, of
/// the unit's item, covering the unit, fulfilled, and ending on the loan's due date
/// (the date a pick-up with no date given makes the loan due).
fn picked_up(
    c: &mut dyn Conn,
    person: PersonId,
    item: &str,
    unit: &str,
    due: &str,
) -> Result<Option<Reservation>> {
    let Ok(unit) = unit.parse() else {
        return Ok(None);
    };
    Ok(tables::select_reservations(
        c,
        "WHERE person_id = ?1 AND item_id = ?2 AND state = ?3 AND ends = ?4 ORDER BY starts, id",
        &[
            person.to_string(),
            item.to_string(),
            ReservationState::Fulfilled.as_str().to_string(),
            due.to_string(),
        ],
    )?
    .into_iter()
    .rev()
    .find(|r| r.covers(unit)))
}

/// The line a loan's notice gives the reservation it picked up.
fn reservation_line(r: &Reservation, ended: bool) -> String {
    let f = &r.fields;
    let (short, days) = (short_id(r.id), days(&f.starts, &f.ends));
    if ended {
        format!(
            "It was reserved {days} (reservation {short}), and the reservation has ended: \
             please bring it back."
        )
    } else {
        format!("It is reserved {days} (reservation {short}).")
    }
}

/// The end of a reservation's id that lists and commands show (its last 8
/// characters, as the operations layer's `short_id`).
fn short_id(id: ReservationId) -> String {
    let s = id.to_string();
    s[s.len().saturating_sub(8)..].to_string()
}

/// A reservation's days: "on 2026-12-08" or "from 2026-12-08 to 2026-12-10".
fn days(starts: &str, ends: &str) -> String {
    if starts == ends {
        format!("on {starts}")
    } else {
        format!("from {starts} to {ends}")
    }
}

/// The names a reservation's notice reads: its item's, its units' (with their tags)
/// and its person's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservedNames {
    pub item: String,
    /// The units it names, as [`unit_label`] writes them (none: any units of the item).
    pub units: Vec<String>,
    pub person: String,
}

/// Open reservations whose first day is before `today`: nobody picked them up. One
/// notice each, to the person who made it and the operators.
pub fn not_picked_up(c: &mut dyn Conn, today: &str) -> Result<Vec<Notice>> {
    let open = tables::select_reservations(
        c,
        "WHERE state = ?1 AND starts < ?2 ORDER BY starts, id",
        &[
            ReservationState::Open.as_str().to_string(),
            today.to_string(),
        ],
    )?;
    let mut out = Vec::new();
    for r in open {
        let f = &r.fields;
        let item = c
            .query_opt(
                "SELECT name FROM items WHERE id = ?1",
                &[Value::Text(f.item_id.to_string())],
            )?
            .map(|row| row.text(0))
            .transpose()?
            .unwrap_or_else(|| f.item_id.to_string());
        let mut units = Vec::new();
        for u in &f.units {
            let row = c.query_opt(
                "SELECT name, asset_tag FROM units WHERE id = ?1",
                &[Value::Text(u.to_string())],
            )?;
            units.push(match row {
                Some(row) => unit_label(&row.text(0)?, row.opt_text(1)?.as_deref()),
                None => u.to_string(),
            });
        }
        let person =
            tables::select_people(c, "WHERE id = ?1", &[Value::Text(f.person_id.to_string())])?
                .pop()
                .map(|p| p.name)
                .unwrap_or_else(|| f.person_id.to_string());
        out.push(not_picked_up_notice(
            &r,
            &ReservedNames {
                item,
                units,
                person,
            },
            today,
        ));
    }
    Ok(out)
}

/// The notice of reservation `r`, open with its first day before `today`: once per
/// reservation (it can only be picked up or cancelled after this, never moved).
pub fn not_picked_up_notice(r: &Reservation, names: &ReservedNames, today: &str) -> Notice {
    let f = &r.fields;
    let one = f.count == 1;
    let (it, they, are, has) = if one {
        ("it", "it", "is", "has")
    } else {
        ("them", "they", "are", "have")
    };
    let (what, short) = if names.units.is_empty() {
        let n = if one {
            format!("a unit of {}", names.item)
        } else {
            format!("{} units of {}", f.count, names.item)
        };
        (n.clone(), n)
    } else {
        let list = names.units.join(", ");
        (format!("{list} ({})", names.item), list)
    };
    let days = days(&f.starts, &f.ends);
    let then = if f.ends.as_str() >= today {
        format!(
            "The reservation holds {it} until {}. If {they} {are} no longer needed, cancel \
             the reservation so that others can borrow {it}.",
            f.ends
        )
    } else {
        format!(
            "The reservation ended on {} without being picked up: cancel it to close it.",
            f.ends
        )
    };
    Notice {
        key: format!("{}:{}", Kind::NotPickedUp.as_str(), r.id),
        kind: Kind::NotPickedUp,
        subject: format!("Not picked up: {short}"),
        lines: vec![
            format!(
                "{} reserved {what} {days}, and {they} {has} not been picked up.",
                names.person
            ),
            then,
            format!(
                "Reservation {} on the web app's Reservations page.",
                short_id(r.id)
            ),
        ],
        audience: Audience::HolderAndOperators {
            holder: names.person.clone(),
            person: Some(f.person_id),
        },
    }
}

/// Items below their reorder point: once per stock level reached.
pub fn low_stock(store: &dyn HubStore) -> Result<Vec<Notice>> {
    Ok(store
        .items()?
        .into_iter()
        .filter(|i| i.below_reorder_point && !i.archived)
        .map(|i| {
            let in_stock = i.totals.get(&Status::InStock).copied().unwrap_or(0);
            let point = i.reorder_point.unwrap_or(0);
            Notice {
                key: format!("low_stock:{}:{in_stock}", i.id),
                kind: Kind::LowStock,
                subject: format!("Low stock: {} ({in_stock} left)", i.name),
                lines: vec![format!(
                    "{} has {in_stock} in stock, below its reorder point of {point}.",
                    i.name
                )],
                audience: Audience::Operators,
            }
        })
        .collect())
}

/// Warranties ending and services due on or before `by`.
pub fn dates(c: &mut dyn Conn, by: &str) -> Result<Vec<Notice>> {
    let units = tables::select_units(
        c,
        "WHERE active = TRUE AND (fields LIKE ?1 OR fields LIKE ?2)",
        &[
            Value::Text(format!("%{}%", DATE_FIELDS[0])),
            Value::Text(format!("%{}%", DATE_FIELDS[1])),
        ],
    )?;
    let names: HashMap<String, String> = c
        .query("SELECT id, name FROM items", &[])?
        .into_iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<Result<_>>()?;
    Ok(dates_due(
        &units,
        |id| names.get(&id.to_string()).cloned().unwrap_or_default(),
        by,
    )
    .into_iter()
    .map(|d| {
        let label = unit_label(&d.unit, d.asset_tag.as_deref());
        let (kind, what) = if d.field == SERVICE_DUE {
            (Kind::ServiceDue, "Service due")
        } else {
            (Kind::WarrantyEnd, "Warranty ends")
        };
        Notice {
            key: format!("{}:{}:{}", kind.as_str(), d.unit_id, d.date),
            kind,
            subject: format!("{what} {}: {label}", d.date),
            lines: vec![format!("{what} on {} for {label} ({}).", d.date, d.item)],
            audience: Audience::Operators,
        }
    })
    .collect())
}

/// Enrolled stations not heard from since before `since_ms`: once per silence.
pub fn silent_stations(c: &mut dyn Conn, since_ms: i64, hours: i64) -> Result<Vec<Notice>> {
    let rows = c.query(
        "SELECT name, last_seen_ms FROM stations
          WHERE revoked_ms IS NULL AND station_id IS NOT NULL
            AND last_seen_ms IS NOT NULL AND last_seen_ms < ?1
          ORDER BY name",
        &[Value::Int(since_ms)],
    )?;
    rows.into_iter()
        .map(|r| {
            let (name, seen) = (r.text(0)?, r.int(1)?);
            let at = tagstation_core::clock::rfc3339(seen);
            Ok(Notice {
                key: format!("station_silent:{name}:{seen}"),
                kind: Kind::StationSilent,
                subject: format!("Station {name} has been quiet for over {hours} h"),
                lines: vec![format!(
                    "Station {name} was last heard from at {at}. Its scans wait on it until it reaches the hub again."
                )],
                audience: Audience::Operators,
            })
        })
        .collect()
}

/// Conflicts waiting for review: one notice each.
pub fn conflicts(c: &mut dyn Conn) -> Result<Vec<Notice>> {
    Ok(views::conflicts(c)?
        .into_iter()
        .map(|e| Notice {
            key: format!("conflict:{}", e.event_id),
            kind: Kind::Conflict,
            subject: format!("Conflict to review: {}", e.description),
            lines: vec![
                format!("{} ({} by {}).", e.description, e.at, e.actor),
                e.note.unwrap_or_default(),
                "Review it on the web app's Conflicts page.".into(),
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect(),
            audience: Audience::Operators,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in Kind::CHOOSABLE.into_iter().chain([Kind::Digest]) {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("nonsense"), None);
    }

    /// A person may opt out of "not picked up", as of every kind but their own overdue.
    #[test]
    fn not_picked_up_can_be_opted_out_of() {
        assert!(Kind::CHOOSABLE.contains(&Kind::NotPickedUp));
        assert_eq!(Kind::parse("not_picked_up"), Some(Kind::NotPickedUp));
        let p = crate::log::Prefs {
            opted_out: vec![Kind::NotPickedUp],
            digest: false,
        };
        assert!(!p.wants(Kind::NotPickedUp, true));
        assert!(!p.wants(Kind::NotPickedUp, false));
        assert!(crate::log::Prefs::default().wants(Kind::NotPickedUp, true));
    }

    fn reservation(units: usize, count: i64, starts: &str, ends: &str) -> Reservation {
        tagstation_core::reservations::ReservationFields {
            item_id: uuid::Uuid::new_v4(),
            units: (0..units).map(|_| uuid::Uuid::new_v4()).collect(),
            count,
            person_id: uuid::Uuid::new_v4(),
            starts: starts.into(),
            ends: ends.into(),
            note: None,
        }
        .into_reservation(uuid::Uuid::new_v4())
    }

    #[test]
    fn a_reservation_not_picked_up_names_the_units_the_days_and_what_to_do() {
        let r = reservation(2, 2, "2026-12-08", "2026-12-10");
        let names = ReservedNames {
            item: "Camera".into(),
            units: vec!["Camera 01 (CAM-01)".into(), "Camera 02".into()],
            person: "Ana".into(),
        };
        let n = not_picked_up_notice(&r, &names, "2026-12-09");
        assert_eq!(n.key, format!("not_picked_up:{}", r.id));
        assert_eq!(n.kind, Kind::NotPickedUp);
        assert_eq!(n.subject, "Not picked up: Camera 01 (CAM-01), Camera 02");
        assert_eq!(
            n.lines[..2],
            [
                "Ana reserved Camera 01 (CAM-01), Camera 02 (Camera) from 2026-12-08 to \
                 2026-12-10, and they have not been picked up.",
                "The reservation holds them until 2026-12-10. If they are no longer needed, \
                 cancel the reservation so that others can borrow them.",
            ]
        );
        let short = &r.id.to_string()[28..];
        assert!(n.lines[2].contains(short), "{:?}", n.lines);
        assert_eq!(
            n.audience,
            Audience::HolderAndOperators {
                holder: "Ana".into(),
                person: Some(r.fields.person_id),
            }
        );
        // The same reservation on a later day: the same key, so it goes out once.
        assert_eq!(not_picked_up_notice(&r, &names, "2026-12-20").key, n.key);
    }

    #[test]
    fn a_count_reservation_past_its_last_day_says_it_ended() {
        let r = reservation(0, 1, "2026-12-08", "2026-12-08");
        let names = ReservedNames {
            item: "Camera".into(),
            units: vec![],
            person: "Ben".into(),
        };
        let n = not_picked_up_notice(&r, &names, "2026-12-09");
        assert_eq!(n.subject, "Not picked up: a unit of Camera");
        assert_eq!(
            n.lines[..2],
            [
                "Ben reserved a unit of Camera on 2026-12-08, and it has not been picked up.",
                "The reservation ended on 2026-12-08 without being picked up: cancel it to \
                 close it.",
            ]
        );
    }

    /// Over a real hub (SQLite), with the catalog made through the operations layer:
    /// an open reservation past its first day is a notice, a picked-up or cancelled one
    /// is not, and the loan that picked one up names it when it is due and overdue.
    #[test]
    fn reservations_over_a_hub() {
        use tagstation_core::catalog::Tracking;
        use tagstation_core::clock::{in_days, today};
        use tagstation_core::people::{PersonFields, Role};
        use tagstation_hub::HubLedger;
        use tagstation_ops::catalog::{self, NewItem, NewUnit};
        use tagstation_ops::reservations::{self as res, NewReservation};
        use tagstation_ops::{lending, people, Actor};

        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = tagstation_hub::open_store(&dir.path().join("hub.db").display().to_string())
            .expect("open the hub");
        let mut l = HubLedger::new(store.as_ref());
        let office = Actor::new("office:test");
        people::add_person(
            &mut l,
            PersonFields {
                name: "Ana".into(),
                badges: vec![],
                email: Some("ana@example.org".into()),
                role: Role::Borrower,
                active: true,
                max_checkouts: None,
                loan_days: None,
            },
            &office,
        )
        .expect("add Ana");
        let camera = catalog::create_item(
            &mut l,
            NewItem {
                tracking: Tracking::Units,
                ..NewItem::named("Camera")
            },
            &office,
        )
        .expect("the camera");
        for i in 1..=3 {
            catalog::add_unit(
                &mut l,
                camera,
                NewUnit {
                    tag: Some(format!("CAM-0{i}")),
                    ..NewUnit::default()
                },
                &office,
            )
            .expect("a camera unit");
        }
        let reserve = |l: &mut HubLedger, unit: &str, days: i64| {
            res::reserve(
                l,
                NewReservation {
                    units: vec![unit.into()],
                    person: "Ana".into(),
                    starts: today(),
                    ends: Some(in_days(days)),
                    ..NewReservation::default()
                },
                &office,
            )
            .expect("reserve")
        };
        let picked = reserve(&mut l, "CAM-01", 1);
        let missed = reserve(&mut l, "CAM-02", 2);
        let called_off = reserve(&mut l, "CAM-03", 0);
        res::cancel(&mut l, &called_off.id.to_string(), None, &office).expect("cancel");
        let cam1 = tagstation_ops::Ledger::find_unit(&l, "CAM-01").expect("CAM-01");
        lending::check_out(&mut l, &[cam1.id], "Ana", None, &office).expect("pick up");

        let (on_the_day, later) = (today(), in_days(3));
        let read = |f: &dyn Fn(&mut dyn Conn) -> Result<Vec<Notice>>| {
            tagstation_hub::read(store.as_ref(), |c| f(c)).expect("read the hub")
        };
        // On the first day nothing is late yet; the loan is due tomorrow, on the
        // reservation's last day, and says so.
        assert_eq!(read(&|c| not_picked_up(c, &on_the_day)), vec![]);
        let soon = read(&|c| loans(c, &on_the_day, &in_days(2)));
        assert_eq!(soon.len(), 1, "{soon:?}");
        assert_eq!(soon[0].kind, Kind::DueSoon);
        assert!(
            soon[0].lines[2].starts_with(&format!("It is reserved from {on_the_day} to ")),
            "{soon:?}"
        );
        // Three days on: the one not picked up, once; the cancelled one and the one
        // picked up are not; the loan is overdue and names its reservation.
        let missing = read(&|c| not_picked_up(c, &later));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(missing[0].key, format!("not_picked_up:{}", missed.id));
        assert_eq!(missing[0].subject, "Not picked up: Camera 02 (CAM-02)");
        let late = read(&|c| loans(c, &later, &in_days(5)));
        assert_eq!(late.len(), 1, "{late:?}");
        assert_eq!(late[0].kind, Kind::Overdue);
        assert_eq!(late[0].subject, "Overdue: Camera 01 (CAM-01)");
        let short = &picked.id.to_string()[28..];
        assert!(
            late[0].lines[2].contains(short) && late[0].lines[2].contains("has ended"),
            "{late:?}"
        );
    }
}
