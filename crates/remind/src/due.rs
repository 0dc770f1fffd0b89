//! What is due: the hub's catalog read into [`Notice`]s, each with a key that names
//! what it is about (a check-out and its due date, an item's stock level, a date on a
//! unit, a station's silence, a conflict), so that the same notice is sent once.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tagstation_core::catalog::{Status, DATE_FIELDS, SERVICE_DUE};
use tagstation_core::due::dates_due;
use tagstation_core::people::PersonId;
use tagstation_hub::db::{Conn, Value};
use tagstation_hub::{tables, views, HubStore, Result};

/// What a reminder is about. Each kind but [`Kind::Overdue`] (to the holder) can be
/// opted out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    DueSoon,
    Overdue,
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
    pub const CHOOSABLE: [Kind; 7] = [
        Kind::DueSoon,
        Kind::Overdue,
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
    /// The borrower (as the unit names them) and the operators.
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

/// Loans due on or before `soon` (`YYYY-MM-DD`): overdue when before `today`.
pub fn loans(c: &mut dyn Conn, today: &str, soon: &str) -> Result<Vec<Notice>> {
    let rows = c.query(
        "SELECT u.id, u.name, u.asset_tag, u.due, i.name, u.holder, u.holder_id
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
        let (kind, subject, first) = if due.as_str() < today {
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
            lines: vec![first, format!("Borrowed by {holder}.")],
            audience: Audience::HolderAndOperators { holder, person },
        });
    }
    Ok(out)
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
}
