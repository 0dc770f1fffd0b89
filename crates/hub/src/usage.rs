//! How much each unit is used, kept ready for reports: every unit's timeline
//! ([`Timelines`]) in the hub's memory, fed the log as it grows. The hub starts feeding
//! it when it starts serving ([`Usage::catch_up`]), so even the first report reads
//! timelines instead of replaying the whole log, and each report feeds it only what
//! was logged since the last one.

use std::sync::{Arc, Mutex, MutexGuard};

use tagstation_core::utilization::{Timelines, Utilization, Window};

use crate::tables::select_events;
use crate::{read, HubError, HubStore, Result};

/// Events read from the log at a time: each page is its own read, so other requests
/// are served between them (SQLite has one connection).
const LOG_PAGE: i64 = 20_000;

/// The timelines, and the right to feed them (one feeder at a time; a report that
/// arrives while the hub is still reading the log waits for it, then reads the rest).
#[derive(Default)]
pub struct Usage {
    timelines: Arc<Mutex<Timelines>>,
    feeding: tokio::sync::Mutex<()>,
}

impl Usage {
    /// Feed the timelines every event logged since they were last fed.
    pub async fn catch_up(&self, store: Arc<dyn HubStore>) -> Result<()> {
        let _feeding = self.feeding.lock().await;
        loop {
            let (from, timelines) = (store.clone(), self.timelines.clone());
            let done = blocking(move || {
                let after = lock(&timelines).last_seq();
                let page = read(from.as_ref(), |c| {
                    select_events(
                        c,
                        "WHERE e.hub_seq > ?1 ORDER BY e.hub_seq LIMIT ?2",
                        &[after.into(), LOG_PAGE.into()],
                    )
                })?;
                lock(&timelines).feed(&page);
                Ok((page.len() as i64) < LOG_PAGE)
            })
            .await?;
            if done {
                return Ok(());
            }
        }
    }

    /// Utilisation over `window` from the timelines as fed so far (call
    /// [`Usage::catch_up`] first for the latest). It is a pass over every unit's
    /// timeline: run it off the async threads.
    pub fn utilization(&self, window: Window) -> Utilization {
        lock(&self.timelines).utilization(window)
    }
}

/// The timelines, locked. Feeding that panicked may have left them half fed: they are
/// then dropped, and the next catch-up rebuilds them from the whole log.
fn lock(timelines: &Mutex<Timelines>) -> MutexGuard<'_, Timelines> {
    timelines.lock().unwrap_or_else(|poisoned| {
        timelines.clear_poison();
        let mut t = poisoned.into_inner();
        *t = Timelines::default();
        t
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HubError::Task(format!("reading the log for usage failed: {e}")))?
}
