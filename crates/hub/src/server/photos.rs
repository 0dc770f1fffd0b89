//! Condition photos from stations: `PUT /v1/photos/{sha256}` with the JPEG as the body
//! and what it shows in headers (`x-tagstation-unit`, `x-tagstation-event`,
//! `x-tagstation-taken-ms`). 201 for a new photo, 200 for one the hub already has.

use super::*;
use crate::photos::{NewPhoto, MAX_PHOTO_BYTES};

fn header_uuid(headers: &HeaderMap, name: &str) -> Result<Uuid, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("header {name} must be a UUID"),
            )
        })
}

pub(super) async fn put_photo(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let station = station_auth(&st, addr.ip(), &headers).await?;
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "a photo is named by its SHA-256 in lowercase hex",
        ));
    }
    if body.len() > MAX_PHOTO_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a photo is at most {MAX_PHOTO_BYTES} bytes"),
        ));
    }
    let photo = NewPhoto {
        sha256,
        unit: header_uuid(&headers, "x-tagstation-unit")?,
        event: header_uuid(&headers, "x-tagstation-event")?,
        taken_ms: headers
            .get("x-tagstation-taken-ms")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        data: body.to_vec(),
    };
    let store = st.store.clone();
    let bytes = photo.data.len();
    let new = blocking(move || {
        crate::write(store.as_ref(), |c| {
            crate::photos::put(c, station, &photo, SystemClock.now().0)
        })
    })
    .await?;
    tracing::info!(%station, bytes, new, "condition photo received");
    Ok(if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}
