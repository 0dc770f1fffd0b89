//! New tags: a station leases its next block of numbers (`POST /v1/tags/lease`), and
//! the admin lists every block leased (`GET /v1/admin/tags`).

use super::*;
use crate::tags::TagLease;
use tagstation_core::escape::controls;
use tagstation_core::tags::TagBlock;

/// `POST /v1/tags/lease`: the next block of new tags, for the station whose token this
/// is. Any body is ignored.
pub(super) async fn lease_tags(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<TagBlock> {
    let station = station_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    let settings = st.tags.clone();
    let leased = blocking(move || {
        crate::write(store.as_ref(), |c| {
            crate::tags::lease(c, &settings, station, SystemClock.now().0)
        })
    })
    .await;
    let leased = match leased {
        Ok(l) => l,
        Err(e) => {
            if e.code == proto::TAGS_EXHAUSTED {
                tracing::warn!(%station, "a station asked for new tags; every number of the tag pattern is leased");
            }
            return Err(e);
        }
    };
    st.metrics.tag_leases.inc();
    let b = &leased.block;
    tracing::info!(
        station = %controls(leased.station.as_deref().unwrap_or("?")),
        %station,
        first = %b.pattern.format(b.first),
        last = %b.pattern.format(b.last),
        "block of new tags leased"
    );
    Ok(Json(leased.block))
}

/// `GET /v1/admin/tags`: every block of new tags leased, oldest first.
pub(super) async fn list_tags(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<TagLease>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let store = st.store.clone();
    Ok(Json(
        blocking(move || crate::read(store.as_ref(), crate::tags::leases)).await?,
    ))
}
