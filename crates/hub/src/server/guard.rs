//! Credentials on requests: a station's token, the admin token, and the per-client
//! failure limit both count against (kept in the database: every hub on one
//! PostgreSQL counts the same failures).

use super::*;

/// Refuse a client past the limit of failed attempts this minute (429).
pub(super) async fn not_locked_out(st: &Arc<AppState>, ip: IpAddr) -> Result<(), ApiError> {
    let store = st.store.clone();
    let client = ip.to_string();
    let n = blocking(move || store.failures(&client, SystemClock.now().0)).await?;
    if n >= i64::from(FAILURES_PER_MINUTE) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed attempts; wait a minute",
        ));
    }
    Ok(())
}

/// Count a failed attempt against this client.
pub(super) async fn failed(st: &Arc<AppState>, ip: IpAddr) {
    st.metrics.auth_failures.inc();
    let store = st.store.clone();
    let client = ip.to_string();
    if let Err(e) = blocking(move || store.note_failure(&client, SystemClock.now().0)).await {
        tracing::error!(code = e.code, "could not count a failed attempt");
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The station a request speaks for, after checking its token.
pub(super) async fn station_auth(
    st: &Arc<AppState>,
    peer: IpAddr,
    headers: &HeaderMap,
) -> Result<Uuid, ApiError> {
    let ip = st.proxies.client(peer, headers);
    not_locked_out(st, ip).await?;
    let refused = match bearer(headers).and_then(auth::parse_token) {
        None if bearer(headers).is_none() => "missing station token",
        None => "malformed station token",
        Some((id, secret)) => {
            let store = st.store.clone();
            let id_owned = id.to_string();
            let row = blocking(move || store.token(&id_owned)).await?;
            match row {
                Some(r) if auth::verify_secret(secret, &r.token_hash) => {
                    if !r.revoked {
                        return Ok(r.station_id);
                    }
                    "station token revoked"
                }
                _ => "unknown station token",
            }
        }
    };
    failed(st, ip).await;
    tracing::warn!(%ip, reason = refused, "station authentication failed");
    Err(ApiError::unauthorized(refused))
}

pub(super) async fn admin_auth(
    st: &Arc<AppState>,
    peer: IpAddr,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let ip = st.proxies.client(peer, headers);
    not_locked_out(st, ip).await?;
    let ok = bearer(headers).is_some_and(|t| auth::verify_secret(t, &st.admin_hash));
    if !ok {
        failed(st, ip).await;
        tracing::warn!(%ip, "admin authentication failed");
        return Err(ApiError::unauthorized("admin token required"));
    }
    Ok(())
}
