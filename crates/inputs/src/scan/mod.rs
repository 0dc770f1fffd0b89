//! Scan inputs: every source (HID scanner, line input, camera, replays) runs on its own
//! thread and sends [`ScanEvent`]s over one `std::sync::mpsc` channel.
//!
//! A source implements [`ScanSource`]; [`spawn`] runs it on a named thread. Raw input becomes
//! a [`ScanText`] (validated) and is tagged with its source name and [`ScanRole`].

pub mod camera;
pub mod config;
#[cfg(feature = "hid")]
pub mod hid_live;
pub mod sources;
pub mod viewfinder;

pub use tagstation_core::scan::{gs1, hid, text};

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

pub use crate::decode::Symbology;
pub use text::{ScanText, TextError};

/// What a scan from a given input stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanRole {
    /// tags and barcodes on things
    Item,
    /// a person's badge
    Badge,
}

/// Unknown role name in config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scanner role {0:?} (known: item, badge)")]
pub struct UnknownRole(pub String);

impl FromStr for ScanRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "item" => Ok(ScanRole::Item),
            "badge" => Ok(ScanRole::Badge),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

impl std::fmt::Display for Symbology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One accepted scan.
#[derive(Debug, Clone)]
pub struct Scan {
    pub text: ScanText,
    /// the source's name from config (e.g. `item-scanner`, `camera0`)
    pub source: String,
    pub role: ScanRole,
    pub symbology: Option<Symbology>,
    /// AIM symbology identifier reported by a camera decoder (`]Q3` = GS1 QR, `]d2` = GS1
    /// Data Matrix, `]C1` = GS1-128); HID scanners that send it put it in front of the text
    pub aim_id: Option<String>,
    /// when the scan was complete (last key, or the frame it was read in)
    pub at: Instant,
}

impl Scan {
    /// The GS1 element string in this scan, if it is marked as one (AIM identifier from the
    /// decoder or in the text, a GS separator, or the `(01)...` form).
    pub fn gs1(&self) -> Option<Result<gs1::Gs1, gs1::Gs1Error>> {
        gs1::from_scan(self.text.as_str(), self.aim_id.as_deref())
    }
}

/// State changes of a source, for logs and the status screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    Connected(String),
    Disconnected(String),
    /// the source ended for good (replay finished, stdin closed)
    Finished,
    Failed(String),
}

/// Everything a source reports on the channel.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    Scan(Scan),
    /// Input arrived but was not a valid scan (bad text, person typing, overflow).
    Rejected {
        source: String,
        role: ScanRole,
        /// exact bytes as received, for the log
        raw: Vec<u8>,
        reason: RejectReason,
        at: Instant,
    },
    Status {
        source: String,
        status: SourceStatus,
    },
}

/// Why input was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("keys came at typing speed (largest gap {max_gap_ms} ms), not from a scanner")]
    Typed { max_gap_ms: u64 },
    #[error("{dropped} keys without Enter/Tab; input dropped")]
    Overflow { dropped: usize },
    #[error("{0} keys have no character in the configured layout")]
    Unmapped(u32),
}

impl RejectReason {
    /// Plain words for the station screen.
    pub fn user_message(&self) -> &'static str {
        match self {
            RejectReason::Text(e) => e.user_message(),
            RejectReason::Typed { .. } => "Please scan the code instead of typing it.",
            RejectReason::Overflow { .. } | RejectReason::Unmapped(_) => {
                "The scanner sent something unreadable. Check its keyboard layout setting and scan again."
            }
        }
    }
}

/// Sending half handed to a source, with its identity attached.
#[derive(Debug, Clone)]
pub struct Emitter {
    pub source: String,
    pub role: ScanRole,
    tx: Sender<ScanEvent>,
    stop: Arc<AtomicBool>,
}

impl Emitter {
    pub fn new(source: impl Into<String>, role: ScanRole, tx: Sender<ScanEvent>) -> Self {
        Emitter {
            source: source.into(),
            role,
            tx,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Share a stop flag (set it to end the source at its next check).
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    /// True when the source should end: stop requested or nobody is listening.
    pub fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Validate raw bytes and send a `Scan` or a `Rejected`. Returns false if the receiver is gone.
    pub fn raw(&self, raw: &[u8], symbology: Option<Symbology>) -> bool {
        self.raw_with_aim(raw, symbology, None)
    }

    /// Like [`Emitter::raw`], with the decoder's AIM symbology identifier.
    pub fn raw_with_aim(
        &self,
        raw: &[u8],
        symbology: Option<Symbology>,
        aim_id: Option<String>,
    ) -> bool {
        let at = Instant::now();
        let ev = match ScanText::from_bytes(raw) {
            Ok(text) => {
                tracing::info!(source = %self.source, text = %text, raw = ?String::from_utf8_lossy(raw), "scan");
                ScanEvent::Scan(Scan {
                    text,
                    source: self.source.clone(),
                    role: self.role.clone(),
                    symbology,
                    aim_id,
                    at,
                })
            }
            Err(e) => self.rejected_event(raw, e.into()),
        };
        self.send(ev)
    }

    /// Send a rejection.
    pub fn reject(&self, raw: &[u8], reason: RejectReason) -> bool {
        let ev = self.rejected_event(raw, reason);
        self.send(ev)
    }

    fn rejected_event(&self, raw: &[u8], reason: RejectReason) -> ScanEvent {
        tracing::warn!(source = %self.source, raw = ?String::from_utf8_lossy(raw), %reason, "input rejected");
        ScanEvent::Rejected {
            source: self.source.clone(),
            role: self.role.clone(),
            raw: raw.to_vec(),
            reason,
            at: Instant::now(),
        }
    }

    /// Report a status change.
    pub fn status(&self, status: SourceStatus) -> bool {
        tracing::info!(source = %self.source, ?status, "source status");
        self.send(ScanEvent::Status {
            source: self.source.clone(),
            status,
        })
    }

    fn send(&self, ev: ScanEvent) -> bool {
        if self.tx.send(ev).is_err() {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// An input that produces scans. `run` blocks until the input ends or `em.should_stop()`.
pub trait ScanSource: Send + 'static {
    fn run(self: Box<Self>, em: Emitter);
}

/// Run a source on its own named thread.
pub fn spawn(
    source: Box<dyn ScanSource>,
    em: Emitter,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("scan-{}", em.source))
        .spawn(move || source.run(em))
}
