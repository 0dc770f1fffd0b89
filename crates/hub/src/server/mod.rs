//! The hub's HTTP API (axum): `/v1/` for stations and admins, `/healthz`, `/metrics`,
//! and the routes a front end adds beside them ([`ExtraRoutes`]: the web app).
//!
//! Every route that changes data needs a credential: a station token for sync, the
//! admin token for `/v1/admin/`, a one-time code for enrollment. Failed credentials
//! count against the client's address and are refused with 429 past a limit. Error
//! bodies are `{"error", "code"}` and never echo a credential.

mod admin;
mod directory;
mod error;
mod guard;
mod metrics;
mod photos;
pub mod proxy;
mod sync;
mod tags;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth;
use super::{db, HubError, HubStore};
use tagstation_core::catalog::{ItemId, UnitId};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::event::Command;
use tagstation_core::event::EventKind;
use tagstation_core::proto::{
    self, EnrollRequest, EnrollResponse, ErrorBody, PushRequest, PushStatus,
};

use admin::*;
use directory::*;
pub use directory::{
    AddLocation, AdoptLocations, ChangeLocation, ChangePerson, ImportPeople, LocationShown,
    NewPerson, PersonShown,
};
pub use error::ApiError;
use error::*;
use guard::*;
pub use metrics::Metrics;
use metrics::*;
use photos::*;
use sync::*;
use tags::*;

/// How long an enrollment code stays valid.
pub const ENROLL_CODE_TTL_MS: i64 = 24 * 3600 * 1000;
/// Failed credential attempts per client address per minute before 429.
pub const FAILURES_PER_MINUTE: u32 = 20;

/// Shared state of the running hub.
pub struct AppState {
    pub store: Arc<dyn HubStore>,
    admin_hash: String,
    pub metrics: Metrics,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub proxies: proxy::TrustedProxies,
    /// Served over TLS: the web app's cookies are marked `Secure`.
    pub tls: bool,
    /// The names clients reach this hub by, beside loopback (`--host-name`): the
    /// MCP endpoint accepts them in `Host`.
    pub host_names: Vec<String>,
    /// Every unit's timeline for utilisation reports, fed the log as it grows.
    pub usage: Arc<crate::usage::Usage>,
    /// The new tags this hub leases to stations.
    pub tags: crate::tags::TagSettings,
    /// The bulk lane: a push of more than [`LIVE_PUSH_EVENTS`] events (a station
    /// catching up) waits here for its turn, so at most [`BULK_LANE_WIDTH`] such pushes
    /// per hub process queue for the log's lock at a time and a live scan's push never
    /// waits behind a row of backlogs.
    pub bulk_lane: tokio::sync::Semaphore,
}

/// The most events a push may carry and still go in the live lane (see
/// [`AppState::bulk_lane`]): a station scanning live pushes a few at a time.
pub const LIVE_PUSH_EVENTS: usize = 50;

/// How many backlogs one hub process takes at once: two, so that one is decoded
/// while the other is written and the log's lock does not sit idle between them.
pub const BULK_LANE_WIDTH: usize = 2;

/// Routes served beside the API (the web app), over the same state.
pub type ExtraRoutes = fn() -> Router<Arc<AppState>>;

impl AppState {
    pub fn new(
        store: Arc<dyn HubStore>,
        admin_token: &str,
        proxies: proxy::TrustedProxies,
        tls: bool,
        host_names: Vec<String>,
        tags: crate::tags::TagSettings,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            store,
            admin_hash: auth::hash_secret(admin_token),
            metrics: Metrics::default(),
            proxies,
            tls,
            host_names,
            usage: Default::default(),
            tags,
            bulk_lane: tokio::sync::Semaphore::new(BULK_LANE_WIDTH),
        })
    }
}

/// The API's routes, and `extra` beside them.
pub fn router(state: Arc<AppState>, extra: Option<ExtraRoutes>) -> Router {
    let extra = extra.map_or_else(Router::new, |f| f());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/at", get(at))
        .route("/v1/tags/lease", post(lease_tags))
        .route("/v1/photos/{sha256}", axum::routing::put(put_photo))
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
        .route("/v1/admin/tags", get(list_tags))
        .route("/v1/admin/conflicts", get(conflicts))
        .route(
            "/v1/admin/conflicts/{event}/resolve",
            post(resolve_conflict),
        )
        .route("/v1/admin/commands", post(command))
        .route("/v1/admin/people", get(list_people).post(add_person))
        .route("/v1/admin/people/import", post(import_people))
        .route("/v1/admin/people/unmatched", get(unmatched_holders))
        .route(
            "/v1/admin/people/{person}",
            get(show_person).post(edit_person),
        )
        .route("/v1/admin/people/{person}/erase", post(erase_person))
        .route(
            "/v1/admin/locations",
            get(list_locations).post(add_location),
        )
        .route("/v1/admin/locations/adopt", post(adopt_locations))
        .route(
            "/v1/admin/locations/{location}",
            get(show_location).post(edit_location),
        )
        .merge(extra)
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .layer(DefaultBodyLimit::max(proto::MAX_BODY_BYTES))
        // Sync bodies are compressed both ways (gzip): a van's link is metered. The
        // body limit above counts the body as decompressed.
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::map_response(close_after_too_large))
        .layer(axum::middleware::map_response(stamp_version))
        .with_state(state)
}

/// Every answer says which version the hub runs, so a station can show it (and tell
/// "the hub is older than me" from "the hub is broken").
async fn stamp_version(mut r: Response) -> Response {
    r.headers_mut().insert(
        proto::VERSION_HEADER,
        header::HeaderValue::from_static(proto::VERSION),
    );
    r.headers_mut().insert(
        proto::ACCEPTS_HEADER,
        header::HeaderValue::from_static("gzip"),
    );
    r
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

/// Alive, and the database answers: one read of the log's counter, not the counts of
/// `/metrics` (which read the whole log).
async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    let store = st.store.clone();
    match blocking(move || crate::read(store.as_ref(), crate::views::head)).await {
        Ok(s) => {
            Json(serde_json::json!({"status": "ok", "backend": st.store.backend(), "hub_seq": s}))
                .into_response()
        }
        Err(e) => e.into_response(),
    }
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
    extra: Option<ExtraRoutes>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Reports read every unit's timeline: built from the log while the hub serves.
    let (usage, store) = (state.usage.clone(), state.store.clone());
    tokio::spawn(async move {
        if let Err(e) = usage.catch_up(store).await {
            tracing::warn!(error = %e, "reading the log for utilisation reports failed; the next report retries");
        }
    });
    let app = router(state, extra).into_make_service_with_connect_info::<SocketAddr>();
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
