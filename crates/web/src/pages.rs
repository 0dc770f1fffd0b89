//! What people read: the overview, items (search, detail, the tracking switch's
//! preview), units with their history, people. Every page needs a signed-in person;
//! the people page needs an admin.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::session::{Me, Signed};
use crate::signin::render;
use crate::{blocking, parse_id, WebError, PAGE};
use tagstation_core::catalog::{unit_name, Status, Tracking};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::escape::percent;
#[allow(unused_imports)] // the unit page draws `signed` events
use tagstation_core::event::EventKind;
use tagstation_core::people::Role;
use tagstation_core::view::{HistoryEntry, ItemView, PersonView, UnitView};
use tagstation_hub::server::AppState;
use tagstation_hub::tables::Tables;
use tagstation_hub::{ledger, views, HubStore, StationRow};
use tagstation_ops::tracking::{check_fold, Fold};

/// A station silent for longer than this shows as offline on the overview.
pub const OFFLINE_AFTER_MS: i64 = 24 * 3600 * 1000;

pub(crate) async fn read<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&mut dyn tagstation_hub::db::Conn) -> tagstation_hub::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    let store: Arc<dyn HubStore> = st.store.clone();
    blocking(move || Ok(tagstation_hub::read(store.as_ref(), f)?)).await
}

pub struct StationHealth {
    pub row: StationRow,
    pub offline: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    me: Option<Me>,
    totals: Vec<(String, i64)>,
    overdue: Vec<UnitView>,
    low: Vec<ItemView>,
    recent: Vec<HistoryEntry>,
    stations: Vec<StationHealth>,
    conflicts: i64,
    events: i64,
}

pub async fn overview(
    State(st): State<Arc<AppState>>,
    signed: Signed,
) -> Result<Response, WebError> {
    let (totals, overdue, low, recent, stats) = read(&st, |c| {
        let totals = views::unit_status_totals(c)?
            .into_iter()
            .map(|(s, n)| {
                let label = s
                    .parse::<Status>()
                    .map(|s| s.label().to_string())
                    .unwrap_or(s);
                (label, n)
            })
            .collect();
        let overdue = views::overdue(c, &tagstation_core::clock::today(), PAGE)?;
        let low = views::below_reorder(c, PAGE)?;
        Ok((
            totals,
            overdue,
            low,
            views::recent(c, 20)?,
            views::log_counts(c)?,
        ))
    })
    .await?;
    let store = st.store.clone();
    let now = SystemClock.now().0;
    let stations = blocking(move || Ok(store.stations()?)).await?;
    let stations = stations
        .into_iter()
        .filter(|s| !s.revoked)
        .map(|row| {
            let seen = row
                .last_seen
                .as_deref()
                .and_then(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
            let offline = row.enrolled && seen.is_none_or(|s| now - s > OFFLINE_AFTER_MS);
            StationHealth { row, offline }
        })
        .collect();
    Ok(render(Overview {
        me: Some(signed.me()),
        totals,
        overdue,
        low,
        recent,
        stations,
        conflicts: stats.conflicts_open,
        events: stats.events,
    }))
}

#[derive(Deserialize)]
pub struct ScanQuery {
    #[serde(default)]
    code: String,
}

/// What a scanner types into the search box: a unit's tag jumps to the unit, an
/// item's barcode, SKU or exact name to the item; anything else searches items.
pub async fn scan(
    State(st): State<Arc<AppState>>,
    _signed: Signed,
    Query(q): Query<ScanQuery>,
) -> Result<Response, WebError> {
    let code = q.code.trim().to_string();
    if code.is_empty() {
        return Ok(Redirect::to("/items").into_response());
    }
    let c2 = code.clone();
    let (units, items) = read(&st, move |c| {
        Ok((
            ledger::units_matching(c, &c2)?,
            ledger::items_matching(c, &c2)?,
        ))
    })
    .await?;
    let to = match (units.as_slice(), items.as_slice()) {
        ([u], _) => format!("/units/{}", u.id),
        ([], [i]) => format!("/items/{}", i.id),
        _ => format!("/items?q={}", percent(&code, "")),
    };
    Ok(Redirect::to(&to).into_response())
}

/// Text as a URL query value.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: i64,
}

pub struct ItemRow {
    pub item: ItemView,
    pub in_stock: i64,
}

#[derive(Template)]
#[template(path = "items.html")]
struct Items {
    me: Option<Me>,
    q: String,
    q_url: String,
    page: i64,
    items: Vec<ItemRow>,
    more: bool,
}

pub async fn items(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let page = q.page.max(0);
    let search = q.q.clone();
    let mut items = read(&st, move |c| {
        views::items_page(c, &search, page * PAGE, PAGE)
    })
    .await?;
    let more = items.len() as i64 > PAGE;
    items.truncate(PAGE as usize);
    Ok(render(Items {
        me: Some(signed.me()),
        q_url: percent(&q.q, ""),
        q: q.q,
        page,
        items: items
            .into_iter()
            .map(|item| ItemRow {
                in_stock: item.totals.get(&Status::InStock).copied().unwrap_or(0),
                item,
            })
            .collect(),
        more,
    }))
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    me: Option<Me>,
    item: ItemView,
    units: Vec<UnitView>,
    more: bool,
    page: i64,
    history: Vec<HistoryEntry>,
    /// The label stocks "Print labels" offers.
    layouts: &'static [tagstation_labels::Layout],
}

pub async fn item(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&item, "item")?;
    let page = q.page.max(0);
    let found = read(&st, move |c| {
        let Some(item) =
            tagstation_hub::tables::select_items(c, "WHERE id = ?1", &[id.into()])?.pop()
        else {
            return Ok(None);
        };
        let view = tagstation_core::view::item_view(&mut Tables::new(c), &item)?;
        let units = views::units_page(c, id, page * PAGE, PAGE)?;
        Ok(Some((view, units, views::item_history(c, id, 50)?)))
    })
    .await?;
    let (item, mut units, history) =
        found.ok_or_else(|| WebError::NotFound("no such item".into()))?;
    let more = units.len() as i64 > PAGE;
    units.truncate(PAGE as usize);
    Ok(render(ItemPage {
        me: Some(signed.me()),
        item,
        units,
        more,
        page,
        history,
        layouts: tagstation_labels::LAYOUTS,
    }))
}

#[derive(Template)]
#[template(path = "tracking.html")]
struct TrackingPreview {
    me: Option<Me>,
    item: ItemView,
    to_units: bool,
    seeds: Vec<String>,
    seeded: i64,
    folds: i64,
    refusal: Option<String>,
    discards: Vec<String>,
}

/// What switching an item's tracking would do, before it is done: the units it seeds,
/// or the units it folds and why a fold is refused.
pub async fn tracking_preview(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    let id = parse_id(&item, "item")?;
    let found = read(&st, move |c| {
        let Some(item) =
            tagstation_hub::tables::select_items(c, "WHERE id = ?1", &[id.into()])?.pop()
        else {
            return Ok(None);
        };
        let units = ledger::units_of(c, id)?;
        let view = tagstation_core::view::item_view(&mut Tables::new(c), &item)?;
        Ok(Some((view, units)))
    })
    .await?;
    let (item, units) = found.ok_or_else(|| WebError::NotFound("no such item".into()))?;
    let to_units = item.tracking == Tracking::Count;
    let mut page = TrackingPreview {
        me: Some(signed.me()),
        to_units,
        seeds: Vec::new(),
        seeded: 0,
        folds: units.len() as i64,
        refusal: None,
        discards: Vec::new(),
        item,
    };
    if to_units {
        page.seeded = page.item.total;
        page.seeds = (1..=page.seeded.min(10) as usize)
            .map(|n| unit_name(&page.item.name, n))
            .collect();
    } else {
        match check_fold(&page.item.name, &units, Fold::Safe) {
            Ok(_) => {}
            Err(tagstation_ops::OpError::FoldDiscards { units, .. }) => page.discards = units,
            Err(e) => page.refusal = Some(e.user_message()),
        }
    }
    Ok(render(page))
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    me: Option<Me>,
    unit: UnitView,
    history: Vec<HistoryEntry>,
    /// The signed-in person may check it out (to themselves at least).
    can_check_out: bool,
    /// ... for anyone.
    for_anyone: bool,
    can_check_in: bool,
    today: String,
    /// Its open reservations from today on.
    reserved: Vec<tagstation_ops::reservations::ReservationView>,
    /// Condition photos stations took of it, newest first, with when.
    photos: Vec<(tagstation_hub::photos::Photo, String)>,
}

pub async fn unit(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(unit): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&unit, "unit")?;
    let found = read(&st, move |c| {
        let Some(u) = tagstation_hub::tables::select_units(c, "WHERE id = ?1", &[id.into()])?.pop()
        else {
            return Ok(None);
        };
        let view = tagstation_core::view::unit_view(&mut Tables::new(c), &u)?;
        let photos = tagstation_hub::photos::of_unit(c, id)?
            .into_iter()
            .map(|p| {
                let at = tagstation_core::clock::rfc3339(p.taken_ms);
                (p, at.chars().take(16).collect::<String>().replace('T', " "))
            })
            .collect::<Vec<_>>();
        Ok(Some((
            view,
            u.holder_id,
            views::unit_history(c, id)?,
            photos,
        )))
    })
    .await?;
    let (unit, holder_id, mut history, photos) =
        found.ok_or_else(|| WebError::NotFound("no such unit".into()))?;
    history.reverse();
    let reserved = crate::actions::op(&st, move |l| {
        use tagstation_ops::Ledger;
        let u = l.unit(id)?;
        tagstation_ops::reservations::upcoming_for_unit(l, &u)
    })
    .await?;
    let me = signed.me();
    let mine = holder_id == Some(signed.person.id);
    let usable = unit.active && !unit.item_archived;
    Ok(render(UnitPage {
        can_check_out: usable && unit.status == Status::InStock && me.can(Role::Borrower),
        for_anyone: me.can(Role::Operator),
        can_check_in: usable
            && unit.status == Status::CheckedOut
            && (me.can(Role::Operator) || (me.can(Role::Borrower) && mine)),
        today: tagstation_core::clock::today(),
        me: Some(me),
        unit,
        history,
        reserved,
        photos,
    }))
}

/// `GET /photos/{sha256}`: a condition photo, to anyone signed in.
pub async fn photo(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(sha): Path<String>,
) -> Result<Response, WebError> {
    signed.require(Role::Viewer)?;
    let sha = sha.trim_end_matches(".jpg").to_string();
    let data = read(&st, move |c| tagstation_hub::photos::data(c, &sha))
        .await?
        .ok_or_else(|| WebError::NotFound("no such photo".into()))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=86400, immutable",
            ),
        ],
        data,
    )
        .into_response())
}

pub struct PersonRow {
    pub view: PersonView,
    pub sessions: i64,
    pub has_password: bool,
}

#[derive(Template)]
#[template(path = "people.html")]
struct People {
    me: Option<Me>,
    people: Vec<PersonRow>,
    page: i64,
    more: bool,
}

pub async fn people(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    let now = SystemClock.now().0;
    let page = q.page.max(0);
    let mut people = read(&st, move |c| {
        let today = tagstation_core::clock::today();
        Ok(
            views::people_summaries(c, None, &today, now, page * PAGE, PAGE + 1)?
                .into_iter()
                .map(|p| PersonRow {
                    view: p.view,
                    sessions: p.sessions,
                    has_password: p.has_password,
                })
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    let more = people.len() as i64 > PAGE;
    people.truncate(PAGE as usize);
    Ok(render(People {
        me: Some(signed.me()),
        people,
        page,
        more,
    }))
}
