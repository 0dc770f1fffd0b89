//! The admin routes under `/v1/admin/`: stations, catalog views, conflicts and
//! commands.

use super::*;
use tagstation_core::catalog::Tracking;
use tagstation_ops::tracking::{check_fold, Fold};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewStation {
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NewStationResponse {
    pub name: String,
    pub enrollment_code: String,
    pub expires: String,
}

pub(super) async fn create_station(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<NewStation>, JsonRejection>,
) -> Result<(StatusCode, Json<NewStationResponse>), ApiError> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let (code, hash) = auth::new_enrollment_code();
    let now = SystemClock.now().0;
    let expires = now + ENROLL_CODE_TTL_MS;
    let store = st.store.clone();
    let name = req.name.clone();
    blocking(move || store.create_station(&name, &hash, expires, now)).await?;
    tracing::info!(station = %req.name, "station created; enrollment code issued");
    Ok((
        StatusCode::CREATED,
        Json(NewStationResponse {
            name: req.name,
            enrollment_code: code,
            expires: rfc3339(expires),
        }),
    ))
}

pub(super) async fn list_stations(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<crate::StationRow>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.stations()).await?))
}

pub(super) async fn revoke_station(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<serde_json::Value> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    let n = name.clone();
    blocking(move || store.revoke(&n, SystemClock.now().0)).await?;
    tracing::info!(station = %name, "station token revoked");
    Ok(Json(serde_json::json!({"revoked": name})))
}

pub(super) async fn list_items(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<tagstation_core::view::ItemView>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.items()).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct UnitsQuery {
    item: Option<ItemId>,
}

pub(super) async fn list_units(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<UnitsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Vec<tagstation_core::view::UnitView>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.units(q.item)).await?))
}

pub(super) async fn show_unit(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(unit): Path<String>,
) -> ApiResult<tagstation_core::view::UnitView> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.find_unit(&unit)).await?))
}

pub(super) async fn unit_history(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(unit): Path<String>,
) -> ApiResult<Vec<tagstation_core::view::HistoryEntry>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(
        blocking(move || {
            let u: UnitId = store.find_unit(&unit)?.id;
            store.unit_history(u)
        })
        .await?,
    ))
}

pub(super) async fn holdings(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<crate::Holding>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.holdings()).await?))
}

pub(super) async fn conflicts(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<tagstation_core::view::HistoryEntry>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.conflicts()).await?))
}

pub(super) async fn resolve_conflict(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(event): Path<String>,
) -> ApiResult<serde_json::Value> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let id = Uuid::parse_str(&event)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_id", "not an event id"))?;
    let store = st.store.clone();
    blocking(move || store.resolve_conflict(id)).await?;
    Ok(Json(serde_json::json!({"reviewed": id})))
}

/// `POST /v1/admin/commands`: make any catalog change as the hub itself.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminCommand {
    /// Omit to create a new item with `item_created`.
    pub item_id: Option<ItemId>,
    pub unit_id: Option<UnitId>,
    pub actor: Option<String>,
    pub kind: EventKind,
    /// For a switch to counts: fold even units that carry tags, fields or locations
    /// (history keeps what was discarded). Never folds a checked-out unit.
    #[serde(default)]
    pub force: bool,
}

pub(super) async fn command(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<AdminCommand>, JsonRejection>,
) -> Result<(StatusCode, Json<proto::LogEntry>), ApiError> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(c) = body?;
    if c.kind.hub_only() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "use_resolve",
            "mark a conflict reviewed with POST /v1/admin/conflicts/{event_id}/resolve",
        ));
    }
    let unit_id = match (&c.kind, c.unit_id) {
        (EventKind::UnitCreated { .. }, None) => Some(Uuid::now_v7()),
        (_, u) => u,
    };
    let cmd = Command {
        item_id: c.item_id.unwrap_or_else(Uuid::now_v7),
        unit_id,
        kind: c.kind,
        actor: c.actor.unwrap_or_else(|| "hub-admin".into()),
        scan: None,
    };
    let store = st.store.clone();
    let force = c.force;
    let entry = blocking(move || {
        Ok(checked_fold(store.as_ref(), cmd, force)
            .and_then(|cmd| store.admin_record(cmd).map_err(ApiError::from)))
    })
    .await??;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// A switch to counts takes the operations layer's fold rule, as from every front end
/// (`ops::tracking::check_fold`): refused while a unit is checked out, and unless
/// forced while units carry tags, fields or locations. What a forced fold discards is
/// what the hub finds, never what the request says.
fn checked_fold(store: &dyn HubStore, mut cmd: Command, force: bool) -> Result<Command, ApiError> {
    let EventKind::TrackingSwitched {
        to: Tracking::Count,
        discarded,
    } = &mut cmd.kind
    else {
        return Ok(cmd);
    };
    let Some(item) = store.catalog_item(cmd.item_id)? else {
        return Ok(cmd); // `apply` says "no such item"
    };
    if item.tracking != Tracking::Units {
        return Ok(cmd); // `apply` says "already counted"
    }
    let units = store.catalog_units(item.id, false)?;
    let fold = if force { Fold::Force } else { Fold::Safe };
    *discarded = check_fold(&item.name, &units, fold)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", e.to_string()))?;
    Ok(cmd)
}
