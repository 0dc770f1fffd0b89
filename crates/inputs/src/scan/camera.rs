//! The camera path: a capture thread hands frames to one decode worker through a one-frame
//! slot where the newest frame wins (stale frames are dropped, never queued), then the
//! debouncer turns reads into scans. Live cameras and image-folder replay use this same code.
//! After each decode the worker may leave a small picture for the viewfinder.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::viewfinder::{Preview, Viewfinder};
use super::{Emitter, SourceStatus};
use crate::decode::frames::{FrameSource, LumaFrame};
use crate::decode::{decode_luma_with, Debouncer, DecodeConfig};

#[derive(Debug)]
struct SlotState<T> {
    item: Option<T>,
    closed: bool,
    dropped: u64,
}

/// A one-item hand-over between two threads. In `latest` mode `put` replaces an unread item
/// (counted as dropped); in blocking mode `put` waits until the item was taken (replay: every
/// frame is decoded).
#[derive(Debug)]
pub struct LatestSlot<T> {
    state: Mutex<SlotState<T>>,
    cv: Condvar,
    drop_stale: bool,
}

impl<T> LatestSlot<T> {
    pub fn new(drop_stale: bool) -> Arc<Self> {
        Arc::new(LatestSlot {
            state: Mutex::new(SlotState {
                item: None,
                closed: false,
                dropped: 0,
            }),
            cv: Condvar::new(),
            drop_stale,
        })
    }

    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        // a poisoned lock only means a thread panicked while holding it; the state is a plain
        // Option and stays consistent
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offer an item. Returns false if the slot was closed.
    pub fn put(&self, item: T) -> bool {
        let mut st = self.lock();
        if !self.drop_stale {
            while st.item.is_some() && !st.closed {
                st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
            }
        }
        if st.closed {
            return false;
        }
        if st.item.replace(item).is_some() {
            st.dropped += 1;
        }
        self.cv.notify_all();
        true
    }

    /// Take the newest item, waiting up to `timeout`. `None` on timeout or when closed and empty.
    pub fn take(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(item) = st.item.take() {
                self.cv.notify_all();
                return Some(item);
            }
            if st.closed {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            st = self
                .cv
                .wait_timeout(st, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// No more items will come (the other side stops after the last one).
    pub fn close(&self) {
        self.lock().closed = true;
        self.cv.notify_all();
    }

    pub fn is_closed(&self) -> bool {
        let st = self.lock();
        st.closed && st.item.is_none()
    }

    /// Items replaced before anyone took them.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }
}

/// Settings of the camera path.
#[derive(Debug, Clone)]
pub struct CameraPipelineConfig {
    pub decode: DecodeConfig,
    /// drop stale frames (live cameras) or decode every frame (replay)
    pub drop_stale: bool,
    pub debounce_frames: u64,
    pub debounce_ms: u64,
    /// decode threads (1 on a 2-core machine; 2-3 on a Pi 4/5 to keep up with 30 fps)
    pub workers: usize,
    /// where to leave a small picture of each decoded frame for the scan screen
    pub viewfinder: Option<Viewfinder>,
}

impl Default for CameraPipelineConfig {
    fn default() -> Self {
        CameraPipelineConfig {
            decode: DecodeConfig::default(),
            drop_stale: true,
            debounce_frames: 5,
            debounce_ms: 500,
            workers: 1,
            viewfinder: None,
        }
    }
}

/// Counters from one run of the camera path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineStats {
    pub frames_captured: u64,
    pub frames_decoded: u64,
    pub frames_dropped: u64,
    pub scans: u64,
}

/// Run a frame source through decode and debounce, sending scans to `em`, until the source
/// ends or a stop is requested. Capture runs on its own thread; decoding on this one.
pub fn run_camera_pipeline<S: FrameSource>(
    mut source: S,
    cfg: &CameraPipelineConfig,
    em: &Emitter,
) -> PipelineStats {
    let slot = LatestSlot::<LumaFrame>::new(cfg.drop_stale);
    let cap_slot = Arc::clone(&slot);
    let cap_em = em.clone();
    let capture = std::thread::Builder::new()
        .name(format!("capture-{}", em.source))
        .spawn(move || {
            let mut n = 0u64;
            loop {
                if cap_em.should_stop() {
                    break;
                }
                match source.next_frame() {
                    Ok(Some(f)) => {
                        n += 1;
                        if !cap_slot.put(f) {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(source = %cap_em.source, error = %e, "camera read failed");
                        cap_em.status(SourceStatus::Failed(e.to_string()));
                        break;
                    }
                }
            }
            cap_slot.close();
            n
        });
    let capture = match capture {
        Ok(h) => h,
        Err(e) => {
            em.status(SourceStatus::Failed(format!(
                "cannot start capture thread: {e}"
            )));
            return PipelineStats::default();
        }
    };
    let mut stats = PipelineStats::default();
    let mut debouncer = Debouncer::new(cfg.debounce_frames, cfg.debounce_ms);
    let t0 = Instant::now();
    let (rtx, rrx) = std::sync::mpsc::channel::<(u64, Vec<crate::decode::Decoded>)>();
    std::thread::scope(|scope| {
        for i in 0..cfg.workers.max(1) {
            let rtx = rtx.clone();
            let slot = &slot;
            let spawned = std::thread::Builder::new()
                .name(format!("decode-{}-{i}", em.source))
                .spawn_scoped(scope, move || {
                    while !em.should_stop() {
                        let Some(frame) = slot.take(Duration::from_millis(200)) else {
                            if slot.is_closed() {
                                break;
                            }
                            continue;
                        };
                        // costly searches for rare cases alternate between frames
                        let dcfg = cfg.decode.for_frame(frame.seq);
                        let codes = decode_luma_with(&dcfg, frame.width, frame.height, &frame.data);
                        let ms = frame.at.saturating_duration_since(t0).as_millis() as u64;
                        // after the decode, so the picture never delays a scan; the
                        // frame goes with it (moved, not copied) for a condition photo
                        if let Some(v) = cfg.viewfinder.as_ref().filter(|v| v.due()) {
                            v.put(Preview::keeping(frame, &codes));
                        }
                        if rtx.send((ms, codes)).is_err() {
                            break;
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start decode worker");
            }
        }
        drop(rtx);
        // debounce and emit in arrival order (with several workers a frame may overtake its
        // predecessor by one; presence tracking does not care)
        for (ms, codes) in rrx {
            stats.frames_decoded += 1;
            for d in debouncer.update(ms, codes) {
                stats.scans += 1;
                // the text, not the engine-specific bytes: rqrr gives raw Shift_JIS where rxing
                // gives Unicode, and a scan must not depend on which engine read it
                if !em.raw_with_aim(
                    d.text.as_bytes(),
                    Some(d.symbology.clone()),
                    d.aim_id.clone(),
                ) {
                    break;
                }
            }
            if em.should_stop() {
                slot.close();
            }
        }
    });
    slot.close();
    stats.frames_captured = capture.join().unwrap_or(0);
    stats.frames_dropped = slot.dropped();
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_wins() {
        let s = LatestSlot::new(true);
        assert!(s.put(1));
        assert!(s.put(2));
        assert_eq!(s.take(Duration::from_millis(1)), Some(2));
        assert_eq!(s.dropped(), 1);
        s.close();
        assert_eq!(s.take(Duration::from_millis(1)), None);
        assert!(!s.put(3));
    }

    #[test]
    fn blocking_mode_keeps_every_item() {
        let s = LatestSlot::new(false);
        let s2 = Arc::clone(&s);
        let h = std::thread::spawn(move || {
            for i in 0..100 {
                s2.put(i);
            }
            s2.close();
        });
        let mut got = vec![];
        while let Some(i) = s.take(Duration::from_secs(5)) {
            got.push(i);
        }
        h.join().unwrap();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert_eq!(s.dropped(), 0);
    }
}
