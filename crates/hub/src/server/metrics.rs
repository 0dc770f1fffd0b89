//! `/metrics`: the store's counters and the server's, in Prometheus text format.

use super::*;

pub(super) async fn metrics(State(st): State<Arc<AppState>>) -> Response {
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
        ("unsupported", &m.unsupported),
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
