//! `/metrics`: what the hub does, in the Prometheus (OpenMetrics) text format, through
//! the `prometheus-client` crate: one registry per running hub (several hubs in one
//! process, as the tests run them, never mix their numbers).
//!
//! - the store's numbers, read at each scrape: the log's position, events, open
//!   conflicts, quarantined events, stations, items, units;
//! - requests and verdicts: pushes, pulls, pushed events by verdict, ingested events
//!   (their rate is the ingest rate), refused credentials, enrollments, blocks of new
//!   tags leased;
//! - how pushes go: the events per push and the time a push takes (histograms);
//! - how far behind each station is: the log's end minus where the station last
//!   pulled from, per station.

use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::*;

type Labels = Vec<(String, String)>;

/// The hub's metrics and the registry that renders them.
pub struct Metrics {
    registry: Mutex<Registry>,
    store: StoreGauges,
    pub push_requests: Counter,
    pub pull_requests: Counter,
    pushed: Family<Labels, Counter>,
    pub ingested: Counter,
    pub auth_failures: Counter,
    pub enrollments: Counter,
    pub tag_leases: Counter,
    pub push_batch: Histogram,
    pub push_seconds: Histogram,
    lag: Family<Labels, Gauge>,
}

/// The store's numbers, set at each scrape.
#[derive(Default)]
struct StoreGauges {
    hub_seq: Gauge,
    events: Gauge,
    conflicts_open: Gauge,
    quarantined: Gauge,
    stations: Gauge,
    items: Gauge,
    units: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut r = Registry::default();
        let store = StoreGauges::default();
        for (name, help, g) in [
            (
                "tagstation_hub_seq",
                "Last position in the hub's event log",
                &store.hub_seq,
            ),
            (
                "tagstation_events",
                "Events in the hub's log",
                &store.events,
            ),
            (
                "tagstation_conflicts_open",
                "Conflicts not yet reviewed",
                &store.conflicts_open,
            ),
            (
                "tagstation_quarantined",
                "Refused events kept for review",
                &store.quarantined,
            ),
            (
                "tagstation_stations",
                "Stations not revoked",
                &store.stations,
            ),
            ("tagstation_items", "Items in the catalog", &store.items),
            ("tagstation_units", "Active units", &store.units),
        ] {
            r.register(name, help, g.clone());
        }
        let m = Metrics {
            registry: Mutex::new(Registry::default()),
            store,
            push_requests: Counter::default(),
            pull_requests: Counter::default(),
            pushed: Family::default(),
            ingested: Counter::default(),
            auth_failures: Counter::default(),
            enrollments: Counter::default(),
            tag_leases: Counter::default(),
            // 1 to ~1000 events per push.
            push_batch: Histogram::new(exponential_buckets(1.0, 2.0, 11)),
            // 1 ms to ~16 s per push.
            push_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            lag: Family::default(),
        };
        r.register(
            "tagstation_push_requests",
            "Push requests served",
            m.push_requests.clone(),
        );
        r.register(
            "tagstation_pull_requests",
            "Pull requests served",
            m.pull_requests.clone(),
        );
        r.register(
            "tagstation_pushed_events",
            "Pushed events by verdict",
            m.pushed.clone(),
        );
        r.register(
            "tagstation_ingested_events",
            "Events taken into the log (its rate is the ingest rate)",
            m.ingested.clone(),
        );
        r.register(
            "tagstation_auth_failures",
            "Refused credentials",
            m.auth_failures.clone(),
        );
        r.register(
            "tagstation_enrollments",
            "Stations enrolled",
            m.enrollments.clone(),
        );
        r.register(
            "tagstation_tag_leases",
            "Blocks of new tags leased to stations",
            m.tag_leases.clone(),
        );
        r.register(
            "tagstation_push_batch_events",
            "Events per push",
            m.push_batch.clone(),
        );
        r.register(
            "tagstation_push_duration_seconds",
            "Time to take one push into the log",
            m.push_seconds.clone(),
        );
        r.register(
            "tagstation_station_lag_events",
            "How far the log's end is past where each station last pulled from",
            m.lag.clone(),
        );
        *m.registry.lock().unwrap_or_else(|p| p.into_inner()) = r;
        m
    }
}

impl Metrics {
    /// Count one pushed event's verdict.
    pub fn verdict(&self, status: PushStatus) {
        let v = match status {
            PushStatus::Accepted => "accepted",
            PushStatus::Duplicate => "duplicate",
            PushStatus::Conflict => "conflict",
            PushStatus::Rejected => "rejected",
            PushStatus::Retry | PushStatus::Unrecognized => "retry",
            PushStatus::Unsupported => "unsupported",
        };
        self.pushed
            .get_or_create(&vec![("verdict".to_string(), v.to_string())])
            .inc();
        if matches!(status, PushStatus::Accepted | PushStatus::Conflict) {
            self.ingested.inc();
        }
    }

    /// A station pulled from `after` while the log ended at `head`.
    pub fn station_lag(&self, station: Uuid, after: i64, head: i64) {
        self.lag
            .get_or_create(&vec![("station".to_string(), station.to_string())])
            .set((head - after).max(0));
    }

    /// Everything, rendered (store numbers from `stats`).
    fn render(&self, s: &crate::Stats) -> Result<String, std::fmt::Error> {
        let g = &self.store;
        g.hub_seq.set(s.hub_seq);
        g.events.set(s.events);
        g.conflicts_open.set(s.conflicts_open);
        g.quarantined.set(s.quarantined);
        g.stations.set(s.stations);
        g.items.set(s.items);
        g.units.set(s.units);
        let mut out = String::new();
        encode(
            &mut out,
            &self.registry.lock().unwrap_or_else(|p| p.into_inner()),
        )?;
        Ok(out)
    }
}

pub(super) async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let store = st.store.clone();
    let s = match blocking(move || store.stats()).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match st.metrics.render(&s) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
