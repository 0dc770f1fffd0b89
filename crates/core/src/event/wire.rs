//! How an [`EventKind`] is read and written as JSON: the derived, `type`-tagged form
//! for every kind this version knows, and [`EventKind::Unknown`] for what a newer
//! version made — any other well-formed kind, and a known kind carrying a field this
//! version does not know — kept raw and written back exactly as it came, never applied
//! without the field. A malformed object of a known kind (a missing or mistyped
//! field) stays an error.

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
    "signed",
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
    "kit_created",
    "kit_edited",
    "kit_returned",
    "reservation_made",
    "reservation_cancelled",
    "reservation_fulfilled",
    "reservation_overridden",
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
            // A field of a newer version: decoding alone would drop it silently and
            // apply the change without it. Kept raw instead, like an unknown kind.
            Ok(known) => match serde_json::to_value(&KnownKind(&known))
                .ok()
                .and_then(|canonical| unknown_field(&raw, &canonical, String::new()))
            {
                None => Ok(known),
                Some(_) => Ok(EventKind::Unknown { kind: tag, raw }),
            },
            Err(e) if KNOWN_KINDS.contains(&tag.as_str()) => Err(D::Error::custom(e)),
            Err(e) if !raw.is_object() || !plausible_kind(&tag) => Err(D::Error::custom(e)),
            Err(_) => Ok(EventKind::Unknown { kind: tag, raw }),
        }
    }
}

/// A known kind written in its derived form (never the raw form of `Unknown`).
struct KnownKind<'a>(&'a EventKind);

impl Serialize for KnownKind<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventKind::serialize(self.0, s)
    }
}

/// The first key of `raw` (as a dotted path) that its decoded form does not have: a
/// field this version does not know, which decoding alone would drop. A key whose
/// value is `null` is an absent optional field, not an unknown one.
pub fn unknown_field(
    raw: &serde_json::Value,
    canonical: &serde_json::Value,
    path: String,
) -> Option<String> {
    let (serde_json::Value::Object(raw), serde_json::Value::Object(known)) = (raw, canonical)
    else {
        return None;
    };
    for (key, value) in raw {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match known.get(key) {
            None if value.is_null() => {}
            None => return Some(here),
            Some(k) => {
                if let Some(p) = unknown_field(value, k, here) {
                    return Some(p);
                }
            }
        }
    }
    None
}

/// The field that made a known kind [`EventKind::Unknown`] (a newer version's), if
/// that is why it is unknown: for messages.
pub fn newer_field(kind: &EventKind) -> Option<String> {
    let EventKind::Unknown { kind: tag, raw } = kind else {
        return None;
    };
    if !KNOWN_KINDS.contains(&tag.as_str()) {
        return None;
    }
    let known = EventKind::deserialize(raw).ok()?;
    let canonical = serde_json::to_value(KnownKind(&known)).ok()?;
    unknown_field(raw, &canonical, String::new())
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
    fn a_known_kind_with_a_newer_field_is_kept_raw_not_applied_without_it() {
        let raw = serde_json::json!({"type": "status_changed", "to": "damaged", "photo": "p1"});
        let k: EventKind = serde_json::from_value(raw.clone()).unwrap();
        assert!(k.is_unknown(), "{k:?}");
        assert_eq!(k.name(), "status_changed");
        assert_eq!(newer_field(&k).as_deref(), Some("photo"));
        assert_eq!(
            serde_json::to_value(&k).unwrap(),
            raw,
            "written back as it came"
        );
        assert!(k.check_fields().is_err());
        // An optional field sent as null is an absent field, not a newer one.
        let k: EventKind = serde_json::from_value(serde_json::json!(
            {"type": "checked_in", "location": null, "location_id": null}
        ))
        .unwrap();
        assert!(!k.is_unknown(), "{k:?}");
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
