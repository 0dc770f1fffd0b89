//! The station-facing routes: enrollment with a one-time code, push and pull.

use super::*;

pub(super) async fn enroll(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> ApiResult<EnrollResponse> {
    let ip = st.proxies.client(addr.ip(), &headers);
    not_locked_out(&st, ip).await?;
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
            st.metrics.enrollments.inc();
            tracing::info!(station = %name, %station_id, "station enrolled");
            Ok(Json(EnrollResponse {
                station_name: name,
                station_id,
                token,
            }))
        }
        Err(e) => {
            if e.code == "bad_code" {
                failed(&st, ip).await;
                tracing::warn!(%ip, "enrollment with an invalid code");
            }
            Err(e)
        }
    }
}

pub(super) async fn push(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> ApiResult<proto::PushResponse> {
    let station = station_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let seen = seen(&headers);
    if req.events.len() > proto::MAX_PUSH_EVENTS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!("at most {} events per push", proto::MAX_PUSH_EVENTS),
        ));
    }
    st.metrics.push_requests.inc();
    st.metrics.push_batch.observe(req.events.len() as f64);
    let store = st.store.clone();
    let started = std::time::Instant::now();
    // A backlog waits for the bulk lane (never closed, so acquiring cannot fail).
    let _turn = if req.events.len() > LIVE_PUSH_EVENTS {
        st.bulk_lane.acquire().await.ok()
    } else {
        None
    };
    let resp = blocking(move || {
        let r = store.push(station, &req.events)?;
        store.touch(station, SystemClock.now().0, &seen)?;
        Ok(r)
    })
    .await?;
    st.metrics
        .push_seconds
        .observe(started.elapsed().as_secs_f64());
    for r in &resp.results {
        st.metrics.verdict(r.status);
    }
    Ok(Json(resp))
}

#[derive(Debug, Deserialize)]
pub(super) struct PullQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
    /// `ack`: send the station's own events back as acknowledgements.
    own: Option<String>,
    /// The id of the event the station holds at position `after`: a pull from a log
    /// that is not the one the station followed is refused (`log_diverged`).
    at: Option<Uuid>,
}

pub(super) async fn pull(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<proto::PullResponse> {
    let station = station_auth(&st, addr.ip(), &headers).await?;
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
    st.metrics.pull_requests.inc();
    let store = st.store.clone();
    let ack_for = (q.own.as_deref() == Some("ack")).then_some(station);
    let (after, expect) = (q.after, q.at);
    let seen = seen(&headers);
    let page = blocking(move || {
        store.touch(station, SystemClock.now().0, &seen)?;
        let here = store.at(after)?;
        if let (Some(expect), true) = (expect, after > 0) {
            if here.id != Some(expect) {
                return Ok(Err(here));
            }
        }
        store
            .pull(after, limit, ack_for)
            .map(|p| Ok((p, here.head)))
    })
    .await?;
    match page {
        Ok((page, head)) => {
            st.metrics.station_lag(station, after, head);
            Ok(Json(page))
        }
        Err(here) => {
            tracing::warn!(%station, after, head = here.head,
                "a station's pull position names another event: the hub's log differs from what the station followed (restored from a backup?)");
            Err(ApiError::new(
                StatusCode::CONFLICT,
                proto::LOG_DIVERGED,
                format!(
                    "the hub's log differs from this station's at position {after} (the hub's log ends at {}): the hub was restored from an older backup, or is another hub",
                    here.head
                ),
            ))
        }
    }
}

/// What a station says of itself in its request's headers.
fn seen(headers: &HeaderMap) -> crate::stations::Seen {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    crate::stations::Seen::from_headers(
        text(axum::http::header::USER_AGENT.as_str()),
        text(proto::PENDING_HEADER),
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct AtQuery {
    seq: i64,
}

/// `GET /v1/sync/at?seq=N`: the event at a position of the log, and the log's end.
pub(super) async fn at(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<AtQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<proto::AtResponse> {
    station_auth(&st, addr.ip(), &headers).await?;
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let store = st.store.clone();
    Ok(Json(blocking(move || store.at(q.seq)).await?))
}
