//! The station's side of sync: enroll with a hub, push pending events, pull the hub's
//! log, and a background worker that keeps doing it without ever blocking a scan.
//!
//! A round is always push-then-pull. Push sends this station's events in sequence
//! order; the hub's per-event verdicts are stored in one local transaction. Pull asks
//! for the hub's log after the saved cursor, page by page, and each page is applied
//! together with its cursor in one local transaction ([`Store::apply_pulled`]), so a
//! crash between pages loses nothing and skips nothing.
//!
//! On the wire: the hub sends this station's own events back as acknowledgements (id,
//! place, verdict), not whole; bodies are gzip-compressed both ways (pushes only to a
//! hub that says it reads them, [`proto::ACCEPTS_HEADER`]). Each pull names the event
//! the station holds at its cursor: a hub restored from an older backup answers
//! `log_diverged`, and the station finds where the two logs agree, pushes again what
//! the hub lost and pulls on from there ([`heal`]).

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::config::SyncConfig;
use crate::store::{Store, StoreError};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::proto::{
    self, AtResponse, EnrollRequest, EnrollResponse, ErrorBody, PullResponse, PushRequest,
    PushResponse, PushStatus,
};
use tagstation_core::tags::TagBlock;
use tagstation_sql::projection::StoredEvent;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this station is not enrolled with a hub (run `tagstation enroll`)")]
    NotEnrolled,
    #[error("hub unreachable: {0}")]
    Network(String),
    #[error("the hub refused this station's token ({0}); enroll again")]
    Unauthorized(String),
    #[error("hub answered {status}: {message}")]
    Hub { status: u16, message: String },
    #[error("hub sent something unexpected: {0}")]
    Protocol(String),
    /// The hub's log is not the one this station followed (restored from a backup).
    #[error("the hub's log differs from this station's: {0}")]
    Diverged(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Will trying again later help?
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Network(_) => true,
            SyncError::Hub { status, .. } => *status >= 500 || *status == 429,
            SyncError::Store(e) => matches!(e, StoreError::Busy(_) | StoreError::StorageFull(_)),
            _ => false,
        }
    }
}

/// An HTTP client for the hub, trusting `ca_pem` in addition to the system's roots.
fn http_client(ca_pem: Option<&str>) -> Result<reqwest::blocking::Client, SyncError> {
    let mut b = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("tagstation/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = ca_pem {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| {
            SyncError::Protocol(format!("the hub CA certificate is not valid PEM: {e}"))
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| SyncError::Network(e.to_string()))
}

fn check(resp: reqwest::blocking::Response) -> Result<reqwest::blocking::Response, SyncError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = match read_body(resp) {
        Ok((body, _)) => String::from_utf8_lossy(&body).into_owned(),
        Err(_) => String::new(),
    };
    let message = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| b.error)
        .unwrap_or_else(|_| text.chars().take(200).collect());
    if status.as_u16() == 401 {
        return Err(SyncError::Unauthorized(message));
    }
    if status.as_u16() == 409
        && serde_json::from_str::<ErrorBody>(&text).is_ok_and(|b| b.code == proto::LOG_DIVERGED)
    {
        return Err(SyncError::Diverged(message));
    }
    Err(SyncError::Hub {
        status: status.as_u16(),
        message,
    })
}

/// [`check`], first remembering the version the hub reports (shown by `status`) and
/// which request encodings it reads.
fn check_noting_version(
    store: &mut Store,
    resp: reqwest::blocking::Response,
) -> Result<reqwest::blocking::Response, SyncError> {
    let accepts = resp
        .headers()
        .get(proto::ACCEPTS_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            if v.split(',').any(|e| e.trim() == "gzip") {
                "gzip"
            } else {
                ""
            }
        });
    store.set_hub_accepts(accepts)?;
    if let Some(v) = resp
        .headers()
        .get(tagstation_core::proto::VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        // The hub's text: kept only when it looks like a version.
        let v: String = v.chars().take(40).collect();
        if v.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
        {
            store.set_hub_version(&v)?;
        }
    }
    check(resp)
}

fn net(e: reqwest::Error) -> SyncError {
    SyncError::Network(e.to_string())
}

/// `body` gzip-compressed.
fn gzip(body: &[u8]) -> Result<Vec<u8>, SyncError> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body)
        .and_then(|_| enc.finish())
        .map_err(|e| SyncError::Protocol(format!("compressing a push: {e}")))
}

/// A response's body as JSON, decompressing it when the hub sent it gzip-compressed;
/// also returns how many bytes came over the wire.
fn read_json<T: serde::de::DeserializeOwned>(
    resp: reqwest::blocking::Response,
) -> Result<(T, usize), SyncError> {
    let (body, wire) = read_body(resp)?;
    let value = serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(e.to_string()))?;
    Ok((value, wire))
}

/// A response's body, decompressed when the hub sent it gzip-compressed, and how many
/// bytes came over the wire.
fn read_body(resp: reqwest::blocking::Response) -> Result<(Vec<u8>, usize), SyncError> {
    use std::io::Read;
    let gzipped = resp
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let wire = resp.bytes().map_err(net)?;
    let body = if gzipped {
        let mut out = Vec::new();
        // At most what the hub may send in one answer, decompressed.
        flate2::read::GzDecoder::new(&wire[..])
            .take(proto::MAX_BODY_BYTES as u64 * 4)
            .read_to_end(&mut out)
            .map_err(|e| SyncError::Protocol(format!("the hub's compressed answer: {e}")))?;
        out
    } else {
        wire.to_vec()
    };
    Ok((body, wire.len()))
}

/// Exchange a one-time code for this station's token and remember the hub.
pub fn enroll(store: &mut Store, hub_url: &str, code: &str) -> Result<EnrollResponse, SyncError> {
    enroll_with_ca(store, hub_url, code, None)
}

/// [`enroll`] with a hub whose TLS certificate is signed by a private CA (PEM).
pub fn enroll_with_ca(
    store: &mut Store,
    hub_url: &str,
    code: &str,
    ca_pem: Option<&str>,
) -> Result<EnrollResponse, SyncError> {
    let url = format!("{}/v1/enroll", hub_url.trim_end_matches('/'));
    let resp = http_client(ca_pem)?
        .post(url)
        .json(&EnrollRequest {
            code: code.into(),
            station_id: store.station_id(),
        })
        .send()
        .map_err(net)?;
    let r: EnrollResponse = check(resp)?
        .json()
        .map_err(|e| SyncError::Protocol(e.to_string()))?;
    store.set_hub(hub_url.trim_end_matches('/'), &r.token)?;
    store.set_hub_ca(ca_pem)?;
    store.set_station_name(&r.station_name)?;
    Ok(r)
}

/// What one sync round did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RoundReport {
    /// Bytes sent and received over the wire (request and response bodies).
    pub bytes_up: usize,
    pub bytes_down: usize,
    /// Own events the hub had lost (restored from an older backup), pushed again.
    pub pushed_again: usize,
    pub pushed: usize,
    pub conflicts: usize,
    pub rejected: usize,
    pub pulled: usize,
    /// Events left queued because the hub does not know their kind (it is older than
    /// this station); they go once the hub is upgraded.
    pub waiting_for_hub_upgrade: usize,
    /// The hub's words for why, when some wait.
    pub waiting_reason: Option<String>,
    /// New tag numbers the hub leased this station in this round.
    pub tags_leased: u64,
    /// Condition photos sent to the hub in this round.
    pub photos_sent: usize,
}

/// A station with fewer new tags than this left leases the next block at sync.
pub const LEASE_TAGS_BELOW: u64 = 25;

/// With fewer new tags than this left, the station warns as it hands one out.
pub const FEW_TAGS_LEFT: u64 = 10;

/// One push-then-pull round against the enrolled hub.
pub fn sync_once(store: &mut Store, batch: usize) -> Result<RoundReport, SyncError> {
    let mut report = push_pending(store, batch)?;
    let pull = pull_with_report(store)?;
    report.pulled = pull.pulled;
    report.bytes_up += pull.bytes_up;
    report.bytes_down += pull.bytes_down;
    report.pushed_again += pull.pushed_again;
    if pull.pushed_again > 0 {
        // What the hub lost goes back now, not at the next round.
        let again = push_pending(store, batch)?;
        report.pushed += again.pushed;
        report.bytes_up += again.bytes_up;
        report.bytes_down += again.bytes_down;
    }
    report.tags_leased = top_up_tags(store)?;
    let (photos, bytes) = push_photos(store, PHOTOS_PER_ROUND)?;
    report.photos_sent = photos;
    report.bytes_up += bytes;
    store.set_sync_result(None)?;
    Ok(report)
}

/// Most condition photos sent in one round: events first, pictures after.
pub const PHOTOS_PER_ROUND: usize = 20;

/// Send up to `limit` condition photos the hub does not have yet, each after the
/// event it belongs to (rounds push events first). Returns how many went and their
/// bytes. A photo whose file is gone, or that the hub refuses as malformed, is
/// logged and not offered again; a hub that does not take photos (an older one, 404)
/// leaves them for later.
pub fn push_photos(store: &mut Store, limit: usize) -> Result<(usize, usize), SyncError> {
    let pending = store.pending_photos(limit)?;
    if pending.is_empty() {
        return Ok((0, 0));
    }
    let (url, token, client) = connect(store)?;
    let (mut sent, mut bytes) = (0, 0);
    for p in pending {
        let data = match std::fs::read(store.photo_path(&p.sha256)) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(sha256 = %p.sha256, error = %e, "a condition photo's file is gone; not sent");
                store.photo_pushed(&p.sha256)?;
                continue;
            }
        };
        let resp = client
            .put(format!("{url}/v1/photos/{}", p.sha256))
            .bearer_auth(&token)
            .header("x-tagstation-unit", p.unit_id.to_string())
            .header("x-tagstation-event", p.event_id.to_string())
            .header("x-tagstation-taken-ms", p.taken_ms.to_string())
            .header(reqwest::header::CONTENT_TYPE, "image/jpeg")
            .body(data.clone())
            .send()
            .map_err(net)?;
        match check(resp) {
            Ok(_) => {
                store.photo_pushed(&p.sha256)?;
                sent += 1;
                bytes += data.len();
            }
            Err(SyncError::Hub { status: 404, .. }) => {
                tracing::debug!("the hub takes no photos (an older hub)");
                break;
            }
            Err(SyncError::Hub { status, message }) if status == 400 || status == 413 => {
                tracing::warn!(sha256 = %p.sha256, status, %message, "the hub refused a condition photo; not sent again");
                store.photo_pushed(&p.sha256)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((sent, bytes))
}

/// Lease the next block of new tags when fewer than [`LEASE_TAGS_BELOW`] are left.
/// Returns how many numbers came. A hub that refuses (it leases no tags, or every number
/// of its pattern is taken) is logged and the round goes on: events matter more.
pub fn top_up_tags(store: &mut Store) -> Result<u64, SyncError> {
    if store.new_tags_left()? >= LEASE_TAGS_BELOW {
        return Ok(0);
    }
    match lease_tags(store) {
        Ok(block) => {
            tracing::info!(
                first = %block.pattern.format(block.first),
                last = %block.pattern.format(block.last),
                "new tags leased from the hub"
            );
            Ok(block.len())
        }
        Err(SyncError::Hub { status: 404, .. }) => {
            tracing::debug!("the hub leases no tags (an older hub)");
            Ok(0)
        }
        Err(SyncError::Hub { status, message }) if status < 500 => {
            tracing::warn!(status, %message, "the hub leased no new tags");
            Ok(0)
        }
        Err(e) => Err(e),
    }
}

/// Lease a block of new tag numbers from the hub (`POST /v1/tags/lease`) and keep it.
pub fn lease_tags(store: &mut Store) -> Result<TagBlock, SyncError> {
    let (url, token, client) = connect(store)?;
    let resp = client
        .post(format!("{url}/v1/tags/lease"))
        .bearer_auth(&token)
        .send()
        .map_err(net)?;
    let (block, _) = read_json::<TagBlock>(check(resp)?)?;
    if block.is_empty() || block.pattern.check().is_err() || block.last > block.pattern.max() {
        return Err(SyncError::Protocol(format!(
            "the hub leased an impossible block of tags: {block:?}"
        )));
    }
    store.add_tag_block(&block)?;
    Ok(block)
}

/// Find the last position where the hub's log and this station's agree (the event
/// each holds there is the same), by halving, and heal the store from there
/// ([`Store::heal`]). Returns how many own events wait to be pushed again.
pub fn heal(store: &mut Store) -> Result<usize, SyncError> {
    let (url, token, client) = connect(store)?;
    let at = |seq: i64| -> Result<AtResponse, SyncError> {
        let resp = client
            .get(format!("{url}/v1/sync/at"))
            .query(&[("seq", seq)])
            .bearer_auth(&token)
            .send()
            .map_err(net)?;
        Ok(read_json::<AtResponse>(check(resp)?)?.0)
    };
    let agrees = |store: &Store, seq: i64| -> Result<bool, SyncError> {
        if seq == 0 {
            return Ok(true);
        }
        let mine = store.event_at(seq)?;
        Ok(mine.is_some() && at(seq)?.id == mine)
    };
    // The hub's log is a prefix of what this station followed up to where it was
    // restored: agreement holds up to some position and not after it.
    let mut agreed = store.pull_cursor()?.min(at(0)?.head);
    if !agrees(store, agreed)? {
        // Invariant: the logs agree at `lo` and differ at `hi`.
        let (mut lo, mut hi) = (0, agreed);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if agrees(store, mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        agreed = lo;
    }
    Ok(store.heal(agreed)?)
}

/// The enrolled hub's address, token and an HTTP client for it.
fn connect(store: &Store) -> Result<(String, String, reqwest::blocking::Client), SyncError> {
    let (url, token) = store.hub()?.ok_or(SyncError::NotEnrolled)?;
    let client = http_client(store.hub_ca()?.as_deref())?;
    Ok((url, token, client))
}

/// Push this station's pending events, in sequence order, until nothing is pending
/// or the hub wants a resend. Each answer is stored in one local transaction.
pub fn push_pending(store: &mut Store, batch: usize) -> Result<RoundReport, SyncError> {
    let (url, token, client) = connect(store)?;
    let mut report = RoundReport::default();
    let mut healed = false;
    loop {
        let pending = store.pending(batch.max(1))?;
        if pending.is_empty() {
            if store.set_push_held(None)? {
                tracing::info!("the hub takes this station's changes again");
            }
            return Ok(report);
        }
        let events = pending
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let body = serde_json::to_vec(&PushRequest { events })
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let compress = store.hub_accepts()?.as_deref() == Some("gzip");
        let body = if compress { gzip(&body)? } else { body };
        report.bytes_up += body.len();
        let mut req = client
            .post(format!("{url}/v1/sync/push"))
            .bearer_auth(&token)
            .header(proto::PENDING_HEADER, store.pending_count()?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT_ENCODING, "gzip");
        if compress {
            req = req.header(reqwest::header::CONTENT_ENCODING, "gzip");
        }
        let resp = req.body(body).send().map_err(net)?;
        let (resp, down): (PushResponse, usize) = read_json(check_noting_version(store, resp)?)?;
        report.bytes_down += down;
        // The hub holds fewer of this station's events than it acknowledged: it was
        // restored from an older backup. Find where its log and ours agree, and push
        // again what it lost.
        if resp.contiguous_seq < store.acknowledged_seq()? {
            if healed {
                return Err(SyncError::Diverged(format!(
                    "the hub holds this station's changes up to {} only, after healing",
                    resp.contiguous_seq
                )));
            }
            tracing::warn!(
                hub = resp.contiguous_seq,
                acknowledged = store.acknowledged_seq()?,
                "the hub holds fewer of this station's changes than it acknowledged: healing"
            );
            report.pushed_again += heal(store)?;
            healed = true;
            continue;
        }
        let mut verdicts = Vec::new();
        let mut progressed = false;
        let mut held: Option<String> = None;
        for r in &resp.results {
            let Some(id) = r.id else { continue };
            match (r.status, r.hub_seq) {
                (
                    PushStatus::Accepted | PushStatus::Duplicate | PushStatus::Conflict,
                    Some(seq),
                ) => {
                    verdicts.push((id, Ok(seq)));
                    report.pushed += 1;
                    progressed = true;
                    if r.status == PushStatus::Conflict {
                        report.conflicts += 1;
                    }
                }
                (PushStatus::Rejected, _) => {
                    let reason = r.reason.clone().unwrap_or_else(|| "refused".into());
                    tracing::warn!(event = %id, %reason, "hub refused an event; kept locally for review");
                    verdicts.push((id, Err(reason)));
                    report.rejected += 1;
                    progressed = true;
                }
                (PushStatus::Unsupported | PushStatus::Unrecognized, _) => {
                    // The hub is older than this station: not a refusal. The event and
                    // everything after it stay queued, in order, until it is upgraded.
                    held.get_or_insert_with(|| {
                        r.reason
                            .clone()
                            .unwrap_or_else(|| "the hub does not know this kind of change".into())
                    });
                }
                _ => {}
            }
        }
        store.mark_pushed(&verdicts)?;
        if let Some(why) = held {
            let waiting = store.info()?.pending;
            if store.set_push_held(Some(&why))? {
                tracing::warn!(waiting, reason = %why,
                    "the hub is older than this station: events stay queued until the hub is upgraded");
            }
            report.waiting_for_hub_upgrade = usize::try_from(waiting).unwrap_or(0);
            report.waiting_reason = Some(why);
            return Ok(report);
        }
        if !progressed {
            let why = resp
                .results
                .iter()
                .find_map(|r| r.reason.clone())
                .unwrap_or_default();
            return Err(SyncError::Hub {
                status: 409,
                message: format!("push made no progress: {why}"),
            });
        }
    }
}

/// Pull the hub's log after the saved cursor, one page per local transaction.
/// Returns how many events were pulled.
pub fn pull_all(store: &mut Store) -> Result<usize, SyncError> {
    Ok(pull_with_report(store)?.pulled)
}

/// [`pull_all`], with the bytes it moved and what a heal put back in the queue.
pub fn pull_with_report(store: &mut Store) -> Result<RoundReport, SyncError> {
    let (url, token, client) = connect(store)?;
    let mut report = RoundReport::default();
    let mut ack = true;
    let mut healed = false;
    loop {
        let cursor = store.pull_cursor()?;
        let mut query: Vec<(&str, String)> = vec![("after", cursor.to_string())];
        if ack {
            query.push(("own", "ack".into()));
        }
        if let Some(id) = store.event_at(cursor)? {
            query.push(("at", id.to_string()));
        }
        let resp = client
            .get(format!("{url}/v1/sync/pull"))
            .query(&query)
            .header(proto::PENDING_HEADER, store.pending_count()?)
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .bearer_auth(&token)
            .send()
            .map_err(net)?;
        let page = match check_noting_version(store, resp) {
            Err(SyncError::Diverged(why)) if !healed => {
                tracing::warn!(%why, "the hub's log is not the one this station followed: healing");
                report.pushed_again += heal(store)?;
                healed = true;
                continue;
            }
            other => other?,
        };
        let (page, down): (PullResponse, usize) = read_json(page)?;
        report.bytes_down += down;
        // Our own events come back as acknowledgements: the events are ours already.
        let mut stored: Vec<StoredEvent> = Vec::with_capacity(page.events.len());
        let mut whole = true;
        for a in &page.acks {
            let mine = store.own_events(a.station_seq, a.count)?;
            if mine.len() as i64 != a.count {
                whole = false;
                break;
            }
            for (i, event) in mine.into_iter().enumerate() {
                stored.push(StoredEvent {
                    event,
                    hub_seq: Some(a.hub_seq + i as i64),
                    outcome: tagstation_sql::projection::Outcome {
                        applied: a.applied,
                        conflict: a.conflict,
                        note: a.note.clone(),
                    },
                });
            }
        }
        if !whole {
            // Events we do not hold (a store restored from an older copy): ask for
            // this page whole instead.
            tracing::warn!(
                "the hub acknowledged events this station does not hold; pulling them whole"
            );
            ack = false;
            continue;
        }
        report.pulled += page.events.len() + stored.len();
        let more = page.more;
        store.remember_station_names(&page.stations)?;
        stored.extend(page.events.into_iter().map(StoredEvent::from));
        stored.sort_by_key(|s| s.hub_seq);
        store.apply_pulled(&stored, page.cursor)?;
        if !more {
            return Ok(report);
        }
    }
}

/// The worker's state, for the UI and `tagstation status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncState {
    pub online: bool,
    pub pending: i64,
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    pub rounds: u64,
}

/// Settings of the background worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub data_dir: PathBuf,
    pub interval: Duration,
    pub max_backoff: Duration,
    pub batch: usize,
}

impl WorkerConfig {
    /// The worker for the station in `data_dir`, from its `[sync]` settings. The one
    /// place the floors live: rounds at least 200 ms apart (`interval_secs = 0` means
    /// "as often as sensible"), a backoff of at least a second, at least one event per
    /// push.
    pub fn from_settings(data_dir: PathBuf, s: &SyncConfig) -> WorkerConfig {
        WorkerConfig {
            data_dir,
            interval: Duration::from_millis(s.interval_secs.saturating_mul(1000).max(200)),
            max_backoff: Duration::from_secs(s.max_backoff_secs.max(1)),
            batch: s.batch_size.max(1),
        }
    }
}

/// A background thread that syncs every `interval`, right away when nudged, and backs
/// off exponentially (with jitter) while the hub is unreachable.
pub struct Worker {
    state: Arc<Mutex<SyncState>>,
    nudge: mpsc::Sender<Msg>,
    handle: Option<JoinHandle<()>>,
}

enum Msg {
    Nudge,
    Stop,
}

impl Worker {
    pub fn spawn(cfg: WorkerConfig) -> Result<Worker, StoreError> {
        // Open once here so a broken data directory is reported to the caller.
        let store = Store::open(&cfg.data_dir)?;
        let state = Arc::new(Mutex::new(SyncState::default()));
        let (tx, rx) = mpsc::channel();
        let st = state.clone();
        let handle = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || run(store, cfg, st, rx))
            .map_err(|e| StoreError::Busy(format!("cannot start the sync thread: {e}")))?;
        Ok(Worker {
            state,
            nudge: tx,
            handle: Some(handle),
        })
    }

    /// Sync soon: a new event is waiting.
    pub fn nudge(&self) {
        let _ = self.nudge.send(Msg::Nudge);
    }

    pub fn state(&self) -> SyncState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn stop(mut self) {
        let _ = self.nudge.send(Msg::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.nudge.send(Msg::Stop);
    }
}

/// Delay before the next attempt after `failures` failures in a row: doubling from
/// the interval up to the cap, then spread by ±50% so a fleet does not retry in step.
pub fn backoff(interval: Duration, max: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let base = interval.saturating_mul(1u32 << failures.min(16)).min(max);
    let mut b = [0u8; 2];
    let r = if getrandom::getrandom(&mut b).is_ok() {
        u16::from_le_bytes(b) as f64 / u16::MAX as f64
    } else {
        0.5
    };
    base.mul_f64(0.5 + r)
}

fn run(mut store: Store, cfg: WorkerConfig, state: Arc<Mutex<SyncState>>, rx: mpsc::Receiver<Msg>) {
    let mut failures = 0u32;
    loop {
        let result = sync_once(&mut store, cfg.batch);
        let pending = store.info().map(|i| i.pending).unwrap_or(-1);
        {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            s.rounds += 1;
            s.pending = pending;
            match &result {
                Ok(r) => {
                    failures = 0;
                    s.online = true;
                    s.last_sync = Some(rfc3339(SystemClock.now().0));
                    s.last_error = None;
                    if r.pushed + r.pulled > 0 || r.tags_leased > 0 {
                        tracing::info!(
                            pushed = r.pushed,
                            pulled = r.pulled,
                            conflicts = r.conflicts,
                            tags_leased = r.tags_leased,
                            "synced"
                        );
                    }
                }
                Err(SyncError::NotEnrolled) => {
                    s.online = false;
                    s.last_error = Some(SyncError::NotEnrolled.to_string());
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    s.online = false;
                    s.last_error = Some(e.to_string());
                    tracing::warn!(error = %e, failures, "sync failed; will retry");
                    let _ = store.set_sync_result(Some(&e.to_string()));
                }
            }
        }
        let wait = backoff(cfg.interval, cfg.max_backoff, failures);
        match rx.recv_timeout(wait) {
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Msg::Nudge) => {
                // Collect a burst of nudges into one round, but never skip the backoff
                // while the hub is failing.
                if failures > 0 {
                    std::thread::sleep(wait.min(Duration::from_secs(1)));
                }
                while let Ok(m) = rx.try_recv() {
                    if matches!(m, Msg::Stop) {
                        return;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let i = Duration::from_secs(5);
        let max = Duration::from_secs(300);
        assert_eq!(backoff(i, max, 0), i);
        for f in 1..20 {
            let d = backoff(i, max, f);
            let base = i.saturating_mul(1 << f.min(16)).min(max);
            assert!(
                d >= base.mul_f64(0.5) && d <= base.mul_f64(1.5),
                "{f}: {d:?}"
            );
        }
    }
}
