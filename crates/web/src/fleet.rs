//! The fleet as the office sees it: stations (add one and show its one-time enrollment
//! code, as text and as a QR code, revoke one) and conflicts to review. Stations need
//! an admin; anyone signed in reads the conflicts, and an admin marks them reviewed (a
//! `conflict_reviewed` event every station learns at its next sync).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::pages::read;
use crate::session::{CsrfForm, Me, Signed};
use crate::signin::render;
use crate::{blocking, parse_id, WebError, PAGE};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::people::Role;
use tagstation_core::view::HistoryEntry;
use tagstation_hub::server::{AppState, ENROLL_CODE_TTL_MS};
use tagstation_hub::{auth, views, HubError, StationRow};

#[derive(Template)]
#[template(path = "stations.html")]
struct Stations {
    me: Option<Me>,
    stations: Vec<StationRow>,
    /// A station just added: its name, code and when the code expires.
    added: Option<(String, String, String)>,
    /// The added station's code as a QR code: inline SVG drawn by [`qr_svg`].
    qr: Option<String>,
    message: Option<String>,
}

/// A QR code of `text` as inline SVG (no XML declaration), for a page to include
/// unescaped: the labels' encoder ([`tagstation_labels::Symbol`]), whose markup holds
/// numbers and our colours only; `text` is only in the modules' pattern.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = tagstation_labels::Symbol::encode(tagstation_labels::Symbology::Qr, text).ok()?;
    let svg = code.svg(180);
    Some(svg.replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-label=\"QR code of the enrollment code\" ",
        1,
    ))
}

async fn stations_page(
    st: &Arc<AppState>,
    signed: &Signed,
    added: Option<(String, String, String)>,
    message: Option<String>,
) -> Result<Response, WebError> {
    let store = st.store.clone();
    let stations = blocking(move || Ok(store.stations()?)).await?;
    let qr = added.as_ref().and_then(|(_, code, _)| qr_svg(code));
    Ok(render(Stations {
        me: Some(signed.me()),
        stations,
        added,
        qr,
        message,
    }))
}

pub async fn stations(
    State(st): State<Arc<AppState>>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    stations_page(&st, &signed, None, None).await
}

#[derive(Deserialize)]
pub struct NewStation {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Add a station: the page shows its one-time enrollment code, once.
pub async fn add_station(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<NewStation>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let name = f.name.trim().to_string();
    if name.is_empty() {
        return stations_page(&st, &signed, None, Some("Give the station a name.".into())).await;
    }
    let (code, hash) = auth::new_enrollment_code();
    let now = SystemClock.now().0;
    let expires = now + ENROLL_CODE_TTL_MS;
    let store = st.store.clone();
    let n = name.clone();
    let made = blocking(
        move || match store.create_station(&n, &hash, expires, now) {
            Ok(()) => Ok(true),
            Err(HubError::Exists(_)) => Ok(false),
            Err(e) => Err(e.into()),
        },
    )
    .await?;
    if !made {
        let taken = format!("A station named {name} already exists.");
        return stations_page(&st, &signed, None, Some(taken)).await;
    }
    tracing::info!(station = %name, by = %signed.person.id, "station created on the web");
    stations_page(&st, &signed, Some((name, code, rfc3339(expires))), None).await
}

pub async fn revoke_station(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let store = st.store.clone();
    let n = name.clone();
    blocking(move || Ok(store.revoke(&n, SystemClock.now().0)?)).await?;
    tracing::info!(station = %name, by = %signed.person.id, "station revoked on the web");
    Ok(Redirect::to("/stations").into_response())
}

#[derive(Template)]
#[template(path = "conflicts.html")]
struct Conflicts {
    me: Option<Me>,
    conflicts: Vec<HistoryEntry>,
    page: i64,
    more: bool,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: i64,
}

pub async fn conflicts(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let page = q.page.max(0);
    let mut conflicts = read(&st, move |c| {
        views::conflicts_page(c, page * PAGE, PAGE + 1)
    })
    .await?;
    let more = conflicts.len() as i64 > PAGE;
    conflicts.truncate(PAGE as usize);
    Ok(render(Conflicts {
        me: Some(signed.me()),
        conflicts,
        page,
        more,
    }))
}

pub async fn resolve_conflict(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(event): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&event, "conflict")?;
    let store = st.store.clone();
    blocking(move || Ok(store.resolve_conflict(id)?)).await?;
    Ok(Redirect::to("/conflicts").into_response())
}
