//! Reports: what is overdue, which warranties end and services fall due, and how much
//! each item is used. The figures come from `tagstation_core` (`utilization`, `due`),
//! the same rules as the station's `report` command; this page only reads and shows
//! them.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::pages::read;
use crate::session::{Me, Signed};
use crate::signin::render;
use crate::{blocking, WebError};
use tagstation_core::catalog::check_date;
use tagstation_core::clock::{rfc3339, today, Clock, SystemClock};
use tagstation_core::due::{dates_due, Due};
#[allow(unused_imports)] // the page layout names roles
use tagstation_core::people::Role;
use tagstation_core::utilization::{ItemUse, Window};
use tagstation_core::view::UnitView;
use tagstation_hub::server::AppState;
use tagstation_hub::tables::{select_items, select_units};
use tagstation_hub::views;

/// Rows a report table shows at most (the CSV export has every unit).
pub const REPORT_ROWS: i64 = 200;
/// The utilisation window when none is asked for: the last 90 days.
const DEFAULT_DAYS: i64 = 90;
/// Dates due this many days ahead are shown when no day is asked for.
const DUE_AHEAD_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Utilisation over `window`, from the hub's timelines brought up to date
/// (`tagstation_hub::usage`): a report reads only what was logged since the last.
async fn utilization(st: &Arc<AppState>, window: Window) -> Result<Vec<ItemUse>, WebError> {
    st.usage.catch_up(st.store.clone()).await?;
    let usage = st.usage.clone();
    blocking(move || Ok(usage.utilization(window).items)).await
}

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    /// Utilisation from the start of this day (`YYYY-MM-DD`).
    #[serde(default)]
    since: String,
    /// Utilisation through the end of this day.
    #[serde(default)]
    until: String,
    /// Dates due on or before this day.
    #[serde(default)]
    by: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct Reports {
    me: Option<Me>,
    overdue: Vec<UnitView>,
    due: Vec<Due>,
    by: String,
    items: Vec<ItemUse>,
    since: String,
    until: String,
}

impl Reports {
    fn percent(&self, share: &f64) -> String {
        format!("{:.1}%", share * 100.0)
    }
}

fn date_or(s: &str, default: String, what: &str) -> Result<String, WebError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(default);
    }
    check_date(s).map_err(|e| WebError::BadRequest(format!("{what}: {e}")))?;
    Ok(s.to_string())
}

pub async fn reports(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let now = SystemClock.now().0;
    let day = |ms: i64| rfc3339(ms).chars().take(10).collect::<String>();
    let by = date_or(&q.by, day(now + DUE_AHEAD_DAYS * DAY_MS), "Due by")?;
    let since = date_or(&q.since, day(now - DEFAULT_DAYS * DAY_MS), "From")?;
    let until = date_or(&q.until, today(), "Through")?;
    let window =
        Window::from_dates(Some(&since), Some(&until), 0, now).map_err(WebError::BadRequest)?;
    let by_q = by.clone();
    let (overdue, due) = read(&st, move |c| {
        let overdue = views::overdue(c, &today(), REPORT_ROWS)?;
        // Units with a date field at all: the few that carry one, not every unit.
        let dated = select_units(
            c,
            "WHERE active = TRUE AND status <> 'retired'
               AND (fields LIKE '%\"warranty_end\"%' OR fields LIKE '%\"service_due\"%')",
            &[],
        )?;
        let names: HashMap<_, _> = select_items(c, "", &[])?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect();
        let mut due = dates_due(
            &dated,
            |i| names.get(&i).cloned().unwrap_or_default(),
            &by_q,
        );
        due.truncate(REPORT_ROWS as usize);
        Ok((overdue, due))
    })
    .await?;
    let mut items = utilization(&st, window).await?;
    items.truncate(REPORT_ROWS as usize);
    Ok(render(Reports {
        me: Some(signed.me()),
        overdue,
        due,
        by,
        items,
        since,
        until,
    }))
}
