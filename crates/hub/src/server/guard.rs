//! Credentials on requests: a station's token, the admin token, and the per-address
//! failure limit both count against.

use super::*;

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
    if st.limiter.blocked(ip) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed attempts; wait a minute",
        ));
    }
    let fail = |msg: &str| {
        st.limiter.failed(ip);
        st.metrics.auth_failures.inc();
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

pub(super) async fn admin_auth(
    st: &Arc<AppState>,
    peer: IpAddr,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let ip = st.proxies.client(peer, headers);
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
        st.metrics.auth_failures.inc();
        tracing::warn!(%ip, "admin authentication failed");
        return Err(ApiError::unauthorized("admin token required"));
    }
    Ok(())
}
