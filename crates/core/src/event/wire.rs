//! How an [`EventKind`] is read and written as JSON: the derived, `type`-tagged form
//! for every kind this version knows, and [`EventKind::Unknown`] for any other
//! well-formed kind, kept raw and written back exactly as it came. A malformed
//! object of a known kind (a missing or mistyped field) stays an error.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::EventKind;

/// The `type` tag of every kind this version knows. A new kind is added here too: an
/// object whose tag is listed but that does not decode is malformed, not unknown (a
/// kind missing here still decodes; only its malformed objects would be kept raw).
pub const KNOWN_KINDS: &[&str] = &[
    "item_created",
    "item_edited",
    "item_archived",
    "item_unarchived",
    "tracking_switched",
    "quantity_adjusted",
    "quantity_moved",
    "unit_created",
    "unit_renamed",
    "unit_tagged",
    "status_changed",
    "checked_out",
    "checked_in",
    "unit_retired",
    "field_set",
    "location_moved",
    "unit_returned",
    "conflict_reviewed",
    "person_created",
    "person_edited",
    "person_erased",
    "location_created",
    "location_edited",
];

/// Longest `type` tag kept as an unknown kind.
const MAX_KIND_LEN: usize = 64;

/// Can `t` be the tag of a kind some version defines: `snake_case` ASCII, short.
/// Anything else (a newline, an escape, a megabyte) is malformed, never kept.
fn plausible_kind(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= MAX_KIND_LEN
        && t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EventKind::Unknown { raw, .. } => raw.serialize(s),
            known => EventKind::serialize(known, s),
        }
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        let tag = match raw.get("type") {
            Some(serde_json::Value::String(t)) => t.clone(),
            Some(_) => return Err(D::Error::custom("event type is not a string")),
            None => return Err(D::Error::missing_field("type")),
        };
        match EventKind::deserialize(&raw) {
            Ok(known) => Ok(known),
            Err(e) if KNOWN_KINDS.contains(&tag.as_str()) => Err(D::Error::custom(e)),
            Err(e) if !raw.is_object() || !plausible_kind(&tag) => Err(D::Error::custom(e)),
            Err(_) => Ok(EventKind::Unknown { kind: tag, raw }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Status;

    #[test]
    fn unknown_kinds_are_kept_raw_and_written_back_unchanged() {
        let raw = serde_json::json!({"type": "unit_sold", "customer": "ACME", "n": [1, 2]});
        let k: EventKind = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(k.name(), "unit_sold");
        assert!(k.is_unknown());
        assert!(k.describe().contains("needs an update"));
        assert_eq!(serde_json::to_value(&k).unwrap(), raw);
        assert!(k.check_fields().is_err(), "never recorded as if known");
    }

    #[test]
    fn known_kinds_decode_as_before_and_malformed_ones_stay_errors() {
        let k: EventKind =
            serde_json::from_value(serde_json::json!({"type": "status_changed", "to": "damaged"}))
                .unwrap();
        assert_eq!(
            k,
            EventKind::StatusChanged {
                to: Status::Damaged,
                reason: None,
            }
        );
        assert_eq!(
            serde_json::to_value(&k).unwrap(),
            serde_json::json!({"type": "status_changed", "to": "damaged"})
        );
        for bad in [
            serde_json::json!({"type": "status_changed"}),
            serde_json::json!({"type": "status_changed", "to": 3}),
            serde_json::json!({"type": "a\nFORGED"}),
            serde_json::json!({"type": "X"}),
            serde_json::json!({"type": "x".repeat(65)}),
            serde_json::json!({"type": 7}),
            serde_json::json!({"to": "damaged"}),
        ] {
            assert!(
                serde_json::from_value::<EventKind>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
