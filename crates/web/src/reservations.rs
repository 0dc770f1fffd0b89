//! Reservations in the office: the calendar (two weeks of days, one row a
//! reservation, for an item, a person or everyone), making one from a form and
//! cancelling it, each through `tagstation-ops` over the hub's ledger; and each
//! person's reservations as an iCalendar feed behind their personal token
//! (`/reservations.ics?token=tsp_…`, for a calendar app that cannot send headers).
//!
//! Borrowers see, make and cancel their own; operators anyone's.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::actions::{blank, op, Pairs};
use crate::session::{Me, Signed};
use crate::signin::render;
use crate::{parse_id, WebError};
use tagstation_core::people::{Person, Role};
use tagstation_core::reservations::{days_from, shift_day, ReservationQuery, ReservationState};
use tagstation_hub::server::AppState;
use tagstation_ops::reservations::{self, NewReservation, ReservationView};
use tagstation_ops::Ledger;

/// Days the calendar shows at once.
pub const CALENDAR_DAYS: i64 = 14;

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    #[serde(default)]
    item: String,
    #[serde(default)]
    person: String,
    /// First day shown, `YYYY-MM-DD` (today when absent).
    #[serde(default)]
    from: String,
}

/// One row of the calendar: a reservation and, for each day shown, whether it holds
/// that day.
pub struct Row {
    pub r: ReservationView,
    pub short: String,
    pub days: Vec<bool>,
    pub may_cancel: bool,
}

/// A day's column heading.
pub struct Day {
    pub date: String,
    /// "Mo 7".
    pub label: String,
}

#[derive(Template)]
#[template(path = "reservations.html")]
struct Calendar {
    me: Option<Me>,
    /// What the calendar is of: "Camera", "Ana", or everyone.
    title: String,
    item_id: String,
    person_id: String,
    days: Vec<Day>,
    rows: Vec<Row>,
    earlier: String,
    later: String,
    today: String,
    /// Units of the item, for the form (item calendars only).
    units: Vec<(String, String)>,
    /// The form may name anyone (operators).
    for_anyone: bool,
}

pub async fn calendar(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, WebError> {
    signed.require(Role::Borrower)?;
    let today = tagstation_core::clock::today();
    let from = blank(&q.from).unwrap_or_else(|| today.clone());
    tagstation_core::catalog::check_date(&from).map_err(WebError::BadRequest)?;
    let days = days_from(&from, CALENDAR_DAYS)
        .ok_or_else(|| WebError::BadRequest(format!("{from:?} is not a day")))?;
    let item = blank(&q.item).map(|i| parse_id(&i, "item")).transpose()?;
    let mut person = blank(&q.person)
        .map(|p| parse_id(&p, "person"))
        .transpose()?;
    let operator = signed.person.role >= Role::Operator;
    if !operator {
        // A borrower's calendar is their own.
        person = Some(signed.person.id);
    }
    let me = signed.person.clone();
    let (first, last) = (days[0].clone(), days[days.len() - 1].clone());
    let (title, rows, units) = op(&st, move |l| {
        let query = ReservationQuery {
            item,
            person,
            from: Some(first.clone()),
            to: Some(last.clone()),
            live_only: true,
        };
        let views = reservations::list(l, &query)?;
        let title = match (item, person) {
            (Some(i), _) => l.item(i)?.name,
            (None, Some(p)) => l.person(p)?.name,
            (None, None) => "everyone".to_string(),
        };
        let units = match item {
            Some(i) => l
                .units_of_item(i)?
                .into_iter()
                .filter(|u| u.status != tagstation_core::catalog::Status::Retired)
                .map(|u| (u.id.to_string(), u.name))
                .collect(),
            None => Vec::new(),
        };
        Ok((title, views, units))
    })
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| Row {
            short: reservations::short_id(r.id),
            days: days
                .iter()
                .map(|d| r.starts.as_str() <= d.as_str() && d.as_str() <= r.ends.as_str())
                .collect(),
            may_cancel: r.state == ReservationState::Open && (operator || r.person_id == me.id),
            r,
        })
        .collect();
    let earlier = shift_day(&from, -CALENDAR_DAYS).unwrap_or_default();
    let later = shift_day(&from, CALENDAR_DAYS).unwrap_or_default();
    Ok(render(Calendar {
        me: Some(signed.me()),
        title,
        item_id: item.map(|i| i.to_string()).unwrap_or_default(),
        person_id: person.map(|p| p.to_string()).unwrap_or_default(),
        days: days.iter().map(|d| day(d)).collect(),
        rows,
        earlier,
        later,
        today,
        units,
        for_anyone: operator,
    }))
}

/// "Mo 7" for a `YYYY-MM-DD` day.
fn day(date: &str) -> Day {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let label = match time::Date::parse(date, &fmt) {
        Ok(d) => format!("{} {}", &d.weekday().to_string()[..2], d.day()),
        Err(_) => date.to_string(),
    };
    Day {
        date: date.to_string(),
        label,
    }
}

/// Make a reservation from the calendar's form; back to the item's calendar. The
/// form's `unit` repeats, one for each unit ticked (none: a number of any units of the
/// item).
pub async fn reserve(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<Pairs>,
) -> Result<Response, WebError> {
    signed.may_post(f.csrf(), Role::Borrower)?;
    let field = |name| f.get(name).unwrap_or_default();
    let person = reserving_for(&signed, field("person"))?;
    let ticked: Vec<String> = f.all("unit").filter_map(blank).collect();
    let count = match blank(field("count")).filter(|_| ticked.is_empty()) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            WebError::BadRequest(format!("How many: {c:?} is not a number of units."))
        })?),
        None => None,
    };
    let new = NewReservation {
        item: blank(field("item")),
        units: ticked,
        count,
        person,
        starts: field("starts").trim().to_string(),
        ends: blank(field("ends")),
        note: blank(field("note")),
    };
    let actor = signed.actor();
    let r = op(&st, move |l| reservations::reserve(l, new, &actor)).await?;
    Ok(Redirect::to(&format!(
        "/reservations?item={}&from={}",
        r.fields.item_id, r.fields.starts
    ))
    .into_response())
}

/// Whom a reservation form is for: anyone named, for an operator; the one signed in,
/// for a borrower (naming someone else is refused) or when no one is named.
pub(crate) fn reserving_for(signed: &Signed, named: &str) -> Result<String, WebError> {
    match blank(named) {
        Some(p) if signed.person.role >= Role::Operator => Ok(p),
        Some(p) if !is_me(&signed.person, &p) => Err(WebError::Forbidden(
            "borrowers reserve for themselves only; ask an operator to reserve for someone else"
                .into(),
        )),
        _ => Ok(signed.person.id.to_string()),
    }
}

fn is_me(me: &Person, reference: &str) -> bool {
    tagstation_core::catalog::same_key(reference, &me.name) || reference == me.id.to_string()
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Cancel a reservation: operators any, borrowers their own.
pub async fn cancel(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<CancelForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Borrower)?;
    let id = parse_id(&id, "reservation")?;
    let operator = signed.person.role >= Role::Operator;
    let me = signed.person.id;
    let reason = blank(&f.reason);
    let actor = signed.actor();
    let done = op(&st, move |l| {
        let r = l.reservation(id)?;
        if !operator && r.fields.person_id != me {
            return Ok(None);
        }
        reservations::cancel(l, &id.to_string(), reason, &actor).map(Some)
    })
    .await?;
    let r = done.ok_or_else(|| {
        WebError::Forbidden("borrowers cancel only their own reservations".into())
    })?;
    Ok(Redirect::to(&format!("/reservations?item={}", r.fields.item_id)).into_response())
}

#[derive(Deserialize)]
pub struct FeedQuery {
    #[serde(default)]
    token: String,
}

/// The signed-in person's (or the token's person's) reservations as iCalendar: from
/// 30 days back on, cancelled ones marked so.
pub async fn feed(
    State(st): State<Arc<AppState>>,
    Query(q): Query<FeedQuery>,
) -> Result<Response, Response> {
    let signed = crate::session::by_token(&st, q.token.trim().to_string()).await?;
    let person = signed.person.id;
    let host = "tagstation".to_string();
    let views = op(&st, move |l| {
        reservations::list(
            l,
            &ReservationQuery {
                person: Some(person),
                from: Some(tagstation_core::clock::in_days(-30)),
                ..ReservationQuery::default()
            },
        )
    })
    .await
    .map_err(IntoResponse::into_response)?;
    let body = crate::ics::calendar(
        &format!("Reservations of {}", signed.person.name),
        &host,
        &views,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
