//! Dates due on units: warranties that end and services that are due on or before a
//! day, from the built-in date fields ([`crate::catalog::DATE_FIELDS`]). One rule for
//! the station's report and the hub's web page.

use serde::Serialize;

use crate::catalog::{ItemId, Unit, UnitId, DATE_FIELDS};

/// One date due on one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Which date: `warranty_end` or `service_due`.
    pub field: String,
    pub unit: String,
    pub unit_id: UnitId,
    pub item: String,
    pub asset_tag: Option<String>,
}

/// Every date on or before `by` (`YYYY-MM-DD`) on the units that are still in service
/// (they count: active, not retired), oldest first. `item_name` names a unit's item.
pub fn dates_due<'a>(
    units: impl IntoIterator<Item = &'a Unit>,
    mut item_name: impl FnMut(ItemId) -> String,
    by: &str,
) -> Vec<Due> {
    let mut due = Vec::new();
    for u in units {
        if !u.counts() {
            continue;
        }
        for key in DATE_FIELDS {
            if let Some(d) = u.fields.get(key).filter(|d| d.as_str() <= by) {
                due.push(Due {
                    date: d.clone(),
                    field: key.to_string(),
                    unit: u.name.clone(),
                    unit_id: u.id,
                    item: item_name(u.item_id),
                    asset_tag: u.asset_tag.clone(),
                });
            }
        }
    }
    due.sort_by(|a, b| (&a.date, &a.unit).cmp(&(&b.date, &b.unit)));
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Status, SERVICE_DUE, WARRANTY_END};

    fn unit(name: &str, fields: &[(&str, &str)]) -> Unit {
        Unit {
            id: uuid::Uuid::now_v7(),
            item_id: uuid::Uuid::nil(),
            name: name.into(),
            asset_tag: None,
            status: Status::InStock,
            location: None,
            location_id: None,
            holder: None,
            holder_id: None,
            due: None,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            active: true,
            version: 1,
            last_station: None,
        }
    }

    #[test]
    fn dates_on_or_before_the_day_oldest_first_retired_left_out() {
        let mut retired = unit("Old", &[(WARRANTY_END, "2020-01-01")]);
        retired.status = Status::Retired;
        let units = [
            unit(
                "Drill 02",
                &[(SERVICE_DUE, "2026-05-01"), (WARRANTY_END, "2027-01-01")],
            ),
            unit("Drill 01", &[(WARRANTY_END, "2026-04-30")]),
            unit("Drill 03", &[("colour", "red")]),
            retired,
        ];
        let due = dates_due(&units, |_| "Drill".into(), "2026-05-01");
        let got: Vec<_> = due
            .iter()
            .map(|d| (d.date.as_str(), d.field.as_str(), d.unit.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-04-30", WARRANTY_END, "Drill 01"),
                ("2026-05-01", SERVICE_DUE, "Drill 02")
            ]
        );
    }
}
