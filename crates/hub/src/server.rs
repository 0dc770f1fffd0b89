//! The hub's HTTP API (axum): `/v1/` for stations and admins, `/healthz`, `/metrics`.
//!
//! Every route that changes data needs a credential: a station token for sync, the
//! admin token for `/v1/admin/`, a one-time code for enrollment. Failed credentials
//! count against the client's address and are refused with 429 past a limit. Error
//! bodies are `{"error", "code"}` and never echo a credential.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::{self, FailureLimiter};
use super::{HubError, HubStore};
use tagstation_core::catalog::{ItemId, UnitId};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::event::Command;
use tagstation_core::event::EventKind;
use tagstation_core::proto::{
    self, EnrollRequest, EnrollResponse, ErrorBody, PushRequest, PushStatus,
};

/// How long an enrollment code stays valid.
pub const ENROLL_CODE_TTL_MS: i64 = 24 * 3600 * 1000;
/// Failed credential attempts per client address per minute before 429.
pub const FAILURES_PER_MINUTE: u32 = 20;

/// Counters for `/metrics`, beside the store's own numbers.
#[derive(Debug, Default)]
pub struct Metrics {
    pub push_requests: AtomicU64,
    pub pull_requests: AtomicU64,
    pub accepted: AtomicU64,
    pub duplicate: AtomicU64,
    pub conflict: AtomicU64,
    pub rejected: AtomicU64,
    pub retry: AtomicU64,
    pub auth_failures: AtomicU64,
    pub enrollments: AtomicU64,
}

/// Shared state of the running hub.
pub struct AppState {
    pub store: Arc<dyn HubStore>,
    admin_hash: String,
    limiter: FailureLimiter,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(store: Arc<dyn HubStore>, admin_token: &str) -> Arc<AppState> {
        Arc::new(AppState {
            store,
            admin_hash: auth::hash_secret(admin_token),
            limiter: FailureLimiter::new(FAILURES_PER_MINUTE),
            metrics: Metrics::default(),
        })
    }
}

/// An error as the API answers it.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn unauthorized(msg: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", msg)
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        use HubError::*;
        match &e {
            Domain(d) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", d.to_string()),
            NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            Exists(_) => Self::new(StatusCode::CONFLICT, "exists", e.to_string()),
            BadCode => Self::new(StatusCode::UNAUTHORIZED, "bad_code", e.to_string()),
            BadRequest(_) => Self::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
            _ => {
                tracing::error!(error = %e, "hub storage error");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "the hub could not complete this; try again",
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "request body too large",
            );
        }
        Self::new(StatusCode::BAD_REQUEST, "bad_json", r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            code: self.code.into(),
        };
        (self.status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Run a blocking store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HubError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(HubError::Task(e.to_string()).into()),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The station a request speaks for, after checking its token.
async fn station_auth(
    st: &Arc<AppState>,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<Uuid, ApiError> {
    if st.limiter.blocked(ip) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed attempts; wait a minute",
        ));
    }
    let fail = |msg: &str| {
        st.limiter.failed(ip);
        st.metrics.auth_failures.fetch_add(1, Relaxed);
        tracing::warn!(%ip, reason = msg, "station authentication failed");
        ApiError::unauthorized(msg)
    };
    let Some(token) = bearer(headers) else {
        return Err(fail("missing station token"));
    };
    let Some((id, secret)) = auth::parse_token(token) else {
        return Err(fail("malformed station token"));
    };
    let store = st.store.clone();
    let id_owned = id.to_string();
    let row = blocking(move || store.token(&id_owned)).await?;
    match row {
        Some(r) if auth::verify_secret(secret, &r.token_hash) => {
            if r.revoked {
                Err(fail("station token revoked"))
            } else {
                Ok(r.station_id)
            }
        }
        _ => Err(fail("unknown station token")),
    }
}

async fn admin_auth(st: &Arc<AppState>, ip: IpAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    if st.limiter.blocked(ip) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed attempts; wait a minute",
        ));
    }
    let ok = bearer(headers).is_some_and(|t| auth::verify_secret(t, &st.admin_hash));
    if !ok {
        st.limiter.failed(ip);
        st.metrics.auth_failures.fetch_add(1, Relaxed);
        tracing::warn!(%ip, "admin authentication failed");
        return Err(ApiError::unauthorized("admin token required"));
    }
    Ok(())
}

/// The API's routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route(
            "/v1/admin/stations",
            get(list_stations).post(create_station),
        )
        .route("/v1/admin/stations/{name}/revoke", post(revoke_station))
        .route("/v1/admin/items", get(list_items))
        .route("/v1/admin/units", get(list_units))
        .route("/v1/admin/units/{unit}", get(show_unit))
        .route("/v1/admin/units/{unit}/history", get(unit_history))
        .route("/v1/admin/holdings", get(holdings))
        .route("/v1/admin/conflicts", get(conflicts))
        .route(
            "/v1/admin/conflicts/{event}/resolve",
            post(resolve_conflict),
        )
        .route("/v1/admin/commands", post(command))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .layer(DefaultBodyLimit::max(proto::MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(close_after_too_large))
        .with_state(state)
}

/// A body over the limit is refused before it is all read, so the connection cannot
/// carry another request: say so (`Connection: close`), or a client would keep it in
/// its pool and its next request would fail on a connection the hub has dropped.
async fn close_after_too_large(mut r: Response) -> Response {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        r.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    r
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    let store = st.store.clone();
    match blocking(move || store.stats()).await {
        Ok(s) => Json(serde_json::json!({"status": "ok", "backend": st.store.backend(), "hub_seq": s.hub_seq})).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let store = st.store.clone();
    let s = match blocking(move || store.stats()).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let m = &st.metrics;
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, v: String| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
        ));
    };
    line(
        "tagstation_hub_seq",
        "gauge",
        "Last position in the hub's event log.",
        s.hub_seq.to_string(),
    );
    line(
        "tagstation_events",
        "gauge",
        "Events in the hub's log.",
        s.events.to_string(),
    );
    line(
        "tagstation_conflicts_open",
        "gauge",
        "Conflicts not yet reviewed.",
        s.conflicts_open.to_string(),
    );
    line(
        "tagstation_quarantined",
        "gauge",
        "Refused events kept for review.",
        s.quarantined.to_string(),
    );
    line(
        "tagstation_stations",
        "gauge",
        "Stations not revoked.",
        s.stations.to_string(),
    );
    line(
        "tagstation_items",
        "gauge",
        "Items in the catalog.",
        s.items.to_string(),
    );
    line(
        "tagstation_units",
        "gauge",
        "Active units.",
        s.units.to_string(),
    );
    line(
        "tagstation_push_requests_total",
        "counter",
        "Push requests served.",
        m.push_requests.load(Relaxed).to_string(),
    );
    line(
        "tagstation_pull_requests_total",
        "counter",
        "Pull requests served.",
        m.pull_requests.load(Relaxed).to_string(),
    );
    let mut out2 = String::from(
        "# HELP tagstation_pushed_events_total Pushed events by verdict.\n# TYPE tagstation_pushed_events_total counter\n",
    );
    for (v, c) in [
        ("accepted", &m.accepted),
        ("duplicate", &m.duplicate),
        ("conflict", &m.conflict),
        ("rejected", &m.rejected),
        ("retry", &m.retry),
    ] {
        out2.push_str(&format!(
            "tagstation_pushed_events_total{{verdict=\"{v}\"}} {}\n",
            c.load(Relaxed)
        ));
    }
    out.push_str(&out2);
    out.push_str(&format!(
        "# HELP tagstation_auth_failures_total Refused credentials.\n# TYPE tagstation_auth_failures_total counter\ntagstation_auth_failures_total {}\n",
        m.auth_failures.load(Relaxed)
    ));
    out.push_str(&format!(
        "# HELP tagstation_enrollments_total Stations enrolled.\n# TYPE tagstation_enrollments_total counter\ntagstation_enrollments_total {}\n",
        m.enrollments.load(Relaxed)
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

async fn enroll(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> ApiResult<EnrollResponse> {
    let ip = addr.ip();
    if st.limiter.blocked(ip) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed attempts; wait a minute",
        ));
    }
    let Json(req) = body?;
    let station_id = req.station_id;
    // The hub's own id (on every admin-made event), the nil and the max UUID are never
    // a station's: enrolling under one would let a station write as the hub.
    if station_id.is_nil() || station_id.is_max() || station_id == st.store.hub_id() {
        tracing::warn!(%ip, %station_id, "enrollment under a reserved station id refused");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "reserved_station_id",
            format!("station id {station_id} is reserved; a station enrolls under its own id"),
        ));
    }
    let code_hash = auth::hash_secret(&auth::normalize_code(&req.code));
    let (token_id, token, token_hash) = auth::new_token();
    let store = st.store.clone();
    let r = blocking(move || {
        store.enroll(
            &code_hash,
            station_id,
            &token_id,
            &token_hash,
            SystemClock.now().0,
        )
    })
    .await;
    match r {
        Ok(name) => {
            st.metrics.enrollments.fetch_add(1, Relaxed);
            tracing::info!(station = %name, %station_id, "station enrolled");
            Ok(Json(EnrollResponse {
                station_name: name,
                station_id,
                token,
            }))
        }
        Err(e) => {
            if e.code == "bad_code" {
                st.limiter.failed(ip);
                st.metrics.auth_failures.fetch_add(1, Relaxed);
                tracing::warn!(%ip, "enrollment with an invalid code");
            }
            Err(e)
        }
    }
}

async fn push(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> ApiResult<proto::PushResponse> {
    let station = station_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    if req.events.len() > proto::MAX_PUSH_EVENTS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!("at most {} events per push", proto::MAX_PUSH_EVENTS),
        ));
    }
    st.metrics.push_requests.fetch_add(1, Relaxed);
    let store = st.store.clone();
    let resp = blocking(move || {
        let r = store.push(station, &req.events)?;
        store.touch(station, SystemClock.now().0)?;
        Ok(r)
    })
    .await?;
    for r in &resp.results {
        let c = match r.status {
            PushStatus::Accepted => &st.metrics.accepted,
            PushStatus::Duplicate => &st.metrics.duplicate,
            PushStatus::Conflict => &st.metrics.conflict,
            PushStatus::Rejected => &st.metrics.rejected,
            PushStatus::Retry => &st.metrics.retry,
        };
        c.fetch_add(1, Relaxed);
    }
    Ok(Json(resp))
}

#[derive(Debug, Deserialize)]
struct PullQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
}

async fn pull(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<proto::PullResponse> {
    station_auth(&st, addr.ip(), &headers).await?;
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    if q.after < 0 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "after must be >= 0",
        ));
    }
    let limit = q
        .limit
        .unwrap_or(proto::MAX_PULL_EVENTS)
        .clamp(1, proto::MAX_PULL_EVENTS);
    st.metrics.pull_requests.fetch_add(1, Relaxed);
    let store = st.store.clone();
    Ok(Json(blocking(move || store.pull(q.after, limit)).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStation {
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NewStationResponse {
    pub name: String,
    pub enrollment_code: String,
    pub expires: String,
}

async fn create_station(
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

async fn list_stations(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<super::StationRow>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.stations()).await?))
}

async fn revoke_station(
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

async fn list_items(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<tagstation_core::view::ItemView>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.items()).await?))
}

#[derive(Debug, Deserialize)]
struct UnitsQuery {
    item: Option<ItemId>,
}

async fn list_units(
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

async fn show_unit(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(unit): Path<String>,
) -> ApiResult<tagstation_core::view::UnitView> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.find_unit(&unit)).await?))
}

async fn unit_history(
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

async fn holdings(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<super::Holding>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.holdings()).await?))
}

async fn conflicts(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<tagstation_core::view::HistoryEntry>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.conflicts()).await?))
}

async fn resolve_conflict(
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
}

async fn command(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<AdminCommand>, JsonRejection>,
) -> Result<(StatusCode, Json<proto::LogEntry>), ApiError> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(c) = body?;
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
    let entry = blocking(move || store.admin_record(cmd)).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// How to serve: plain HTTP, or HTTPS with a certificate and key (PEM).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Serve until `shutdown` resolves. With `tls`, terminate TLS with rustls.
pub async fn serve(
    listener: std::net::TcpListener,
    state: Arc<AppState>,
    tls: Option<Tls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    listener.set_nonblocking(true)?;
    match tls {
        None => {
            let l = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(l, app).with_graceful_shutdown(shutdown).await
        }
        Some(t) => {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&t.cert, &t.key).await?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                h.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
            });
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(app)
                .await
        }
    }
}
