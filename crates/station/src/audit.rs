//! Audits: check a location against what the catalog expects there, and record found, missing and unexpected units.
//!
//! An audit is recorded as one `field_set` event per unit (field `audit`, e.g.
//! `found at Shelf A (2026-11-23 05:41:07)`), written with a summary row in the same
//! transaction ([`crate::store::Store::record_audit`]). The events sync like any other,
//! so the hub and every station see each unit's last audit result in its history.

use std::collections::BTreeSet;

use serde::Serialize;
use uuid::Uuid;

use tagstation_core::catalog::{Status, UnitId};
use tagstation_core::event::Command;
use tagstation_core::event::EventKind;
use tagstation_core::view::UnitView;

/// The field an audit writes on each unit it checked.
pub const AUDIT_FIELD: &str = "audit";

/// What a scan during an audit turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Expected here, and now found.
    Found,
    /// Not expected here (recorded elsewhere, or nowhere).
    Unexpected,
    /// Scanned before in this audit.
    Again,
}

/// An audit in progress at one location.
#[derive(Debug, Clone)]
pub struct Audit {
    pub id: Uuid,
    pub location: String,
    /// Units the catalog says are here (active, not retired, not checked out).
    pub expected: Vec<UnitView>,
    pub found: BTreeSet<UnitId>,
    /// Units scanned here that the catalog places elsewhere, in scan order.
    pub unexpected: Vec<UnitView>,
}

/// The outcome of an audit, stored as its summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditSummary {
    pub id: Uuid,
    pub location: String,
    pub actor: String,
    pub expected: usize,
    pub found: Vec<UnitId>,
    pub missing: Vec<UnitId>,
    pub unexpected: Vec<UnitId>,
}

impl AuditSummary {
    /// "Shelf A: 9 of 10 found, 1 missing, 2 unexpected".
    pub fn describe(&self) -> String {
        format!(
            "{}: {} of {} found, {} missing, {} unexpected",
            self.location,
            self.found.len(),
            self.expected,
            self.missing.len(),
            self.unexpected.len()
        )
    }
}

impl Audit {
    /// Start an audit of `location` with every unit (from `units`) recorded there.
    pub fn start(location: &str, units: Vec<UnitView>) -> Audit {
        let expected = units
            .into_iter()
            .filter(|u| {
                u.active
                    && u.location.as_deref() == Some(location)
                    && !matches!(u.status, Status::Retired | Status::CheckedOut)
            })
            .collect();
        Audit {
            id: Uuid::now_v7(),
            location: location.to_string(),
            expected,
            found: BTreeSet::new(),
            unexpected: Vec::new(),
        }
    }

    /// Take one scanned unit into account.
    pub fn scan(&mut self, unit: UnitView) -> Seen {
        if self.expected.iter().any(|u| u.id == unit.id) {
            if self.found.insert(unit.id) {
                Seen::Found
            } else {
                Seen::Again
            }
        } else if self.unexpected.iter().any(|u| u.id == unit.id) {
            Seen::Again
        } else {
            self.unexpected.push(unit);
            Seen::Unexpected
        }
    }

    /// Expected units not scanned (yet).
    pub fn missing(&self) -> impl Iterator<Item = &UnitView> {
        self.expected.iter().filter(|u| !self.found.contains(&u.id))
    }

    /// The events that record this audit (one per unit) and its summary. `when` is a
    /// human timestamp such as `2026-11-23 05:41:07`. Units whose `audit` field already
    /// says exactly this get no event (nothing would change).
    pub fn finish(&self, actor: &str, when: &str) -> (Vec<Command>, AuditSummary) {
        let loc = &self.location;
        let mut cmds = Vec::new();
        let mut push = |u: &UnitView, value: String| {
            if u.fields.get(AUDIT_FIELD) != Some(&value) {
                cmds.push(Command {
                    item_id: u.item_id,
                    unit_id: Some(u.id),
                    kind: EventKind::FieldSet {
                        key: AUDIT_FIELD.into(),
                        value: Some(value),
                    },
                    actor: actor.into(),
                    scan: None,
                });
            }
        };
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for u in &self.expected {
            if self.found.contains(&u.id) {
                push(u, format!("found at {loc} ({when})"));
                found.push(u.id);
            } else {
                push(u, format!("missing from {loc} ({when})"));
                missing.push(u.id);
            }
        }
        let mut unexpected = Vec::new();
        for u in &self.unexpected {
            let recorded = match (&u.location, u.status) {
                (_, Status::CheckedOut) => format!(
                    "checked out to {}",
                    u.holder.as_deref().unwrap_or("someone")
                ),
                (Some(l), _) => format!("recorded at {l}"),
                (None, _) => "no location recorded".into(),
            };
            push(u, format!("unexpected at {loc}, {recorded} ({when})"));
            unexpected.push(u.id);
        }
        let summary = AuditSummary {
            id: self.id,
            location: loc.clone(),
            actor: actor.into(),
            expected: self.expected.len(),
            found,
            missing,
            unexpected,
        };
        (cmds, summary)
    }
}
