//! The scan sources that need no hardware feature: line input (stdin or FIFO), HID replay
//! from an evemu recording, and the camera path over any frame source (image-folder replay,
//! `rpicam-vid`).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::Duration;

use super::hid::{parse_evemu, HidConfig, HidDecoder, HidOutput, InputEvent, Origin};
use super::{Emitter, RejectReason, ScanSource, SourceStatus};
use crate::decode::frames::{FrameSource, ImageFolder};
use crate::scan::camera::{run_camera_pipeline, CameraPipelineConfig};

/// One scan per line from stdin (`path: None`) or a file/FIFO. A FIFO is reopened on EOF
/// (a writer went away), so scripts can write to it any number of times.
pub struct LineSource {
    pub path: Option<PathBuf>,
    /// reopen on EOF (FIFO); otherwise the source finishes at EOF
    pub reopen: bool,
}

/// Longest line read before it is rejected (protects memory against a stream without newlines).
const MAX_LINE: usize = 4096;

impl LineSource {
    pub fn stdin() -> Self {
        LineSource {
            path: None,
            reopen: false,
        }
    }

    pub fn fifo(path: impl Into<PathBuf>) -> Self {
        LineSource {
            path: Some(path.into()),
            reopen: true,
        }
    }

    /// Read lines from `r` until EOF; false if the receiver is gone.
    fn pump(r: impl Read, em: &Emitter) -> bool {
        let mut r = BufReader::new(r);
        let mut line = Vec::new();
        loop {
            line.clear();
            match (&mut r)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
            {
                Ok(0) => return true,
                Ok(_) => {
                    if line.len() > MAX_LINE && !line.ends_with(b"\n") {
                        // swallow the rest of the over-long line
                        let mut rest = Vec::new();
                        let _ = r.read_until(b'\n', &mut rest);
                        if !em.reject(
                            &line[..64],
                            RejectReason::Text(super::TextError::TooLong {
                                len: line.len() + rest.len(),
                                max: super::text::MAX_SCAN_BYTES,
                            }),
                        ) {
                            return false;
                        }
                        continue;
                    }
                    if line.iter().all(|b| b.is_ascii_whitespace()) {
                        continue; // blank lines are not scans
                    }
                    if !em.raw(&line, None) {
                        return false;
                    }
                }
                Err(e) => {
                    em.status(SourceStatus::Failed(e.to_string()));
                    return true;
                }
            }
            if em.should_stop() {
                return false;
            }
        }
    }
}

impl ScanSource for LineSource {
    fn run(self: Box<Self>, em: Emitter) {
        match &self.path {
            None => {
                Self::pump(std::io::stdin().lock(), &em);
            }
            Some(p) => loop {
                match std::fs::File::open(p) {
                    Ok(f) => {
                        em.status(SourceStatus::Connected(p.display().to_string()));
                        if !Self::pump(f, &em) || !self.reopen {
                            break;
                        }
                    }
                    Err(e) => {
                        em.status(SourceStatus::Failed(format!("{}: {e}", p.display())));
                        if !self.reopen {
                            break;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
                if em.should_stop() {
                    break;
                }
            },
        }
        em.status(SourceStatus::Finished);
    }
}

/// Send what the HID decoder produced. Shared by replay and the live evdev backend.
/// Returns false if the receiver is gone.
pub fn emit_hid_output(em: &Emitter, out: HidOutput) -> bool {
    match out {
        HidOutput::Line {
            text,
            origin,
            max_gap_us,
            unmapped,
            ..
        } => {
            if unmapped > 0 {
                em.reject(text.as_bytes(), RejectReason::Unmapped(unmapped))
            } else if origin == Origin::Typed {
                em.reject(
                    text.as_bytes(),
                    RejectReason::Typed {
                        max_gap_ms: max_gap_us / 1000,
                    },
                )
            } else {
                em.raw(text.as_bytes(), None)
            }
        }
        HidOutput::Overflow { dropped, .. } => em.reject(&[], RejectReason::Overflow { dropped }),
    }
}

/// Replays an evemu recording through the HID decoder, optionally in real time.
pub struct HidReplaySource {
    pub events: Vec<InputEvent>,
    pub config: HidConfig,
    /// sleep between events as recorded
    pub pace: bool,
}

impl HidReplaySource {
    /// Load an `evemu-record` file.
    pub fn from_file(
        path: &std::path::Path,
        config: HidConfig,
        pace: bool,
    ) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rec = parse_evemu(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(HidReplaySource {
            events: rec.events,
            config,
            pace,
        })
    }
}

impl ScanSource for HidReplaySource {
    fn run(self: Box<Self>, em: Emitter) {
        let mut dec = HidDecoder::new(self.config);
        let start = std::time::Instant::now();
        let t0 = self.events.first().map(|e| e.ts_us).unwrap_or(0);
        for e in &self.events {
            if em.should_stop() {
                return;
            }
            if self.pace {
                let due = Duration::from_micros(e.ts_us.saturating_sub(t0));
                let el = start.elapsed();
                if due > el {
                    std::thread::sleep(due - el);
                }
            }
            if let Some(o) = dec.poll_idle(e.ts_us) {
                if !emit_hid_output(&em, o) {
                    return;
                }
            }
            if let Some(o) = dec.feed(e.ts_us, e.ev_type, e.code, e.value) {
                if !emit_hid_output(&em, o) {
                    return;
                }
            }
        }
        if let Some(last) = self.events.last() {
            if let Some(o) = dec.poll_idle(last.ts_us.saturating_add(20_000_000)) {
                emit_hid_output(&em, o);
            }
        }
        em.status(SourceStatus::Finished);
    }
}

/// The camera path over any frame source: decode, debounce, emit.
pub struct CameraSource<S: FrameSource> {
    pub frames: S,
    pub config: CameraPipelineConfig,
}

impl<S: FrameSource> ScanSource for CameraSource<S> {
    fn run(self: Box<Self>, em: Emitter) {
        let this = *self;
        let stats = run_camera_pipeline(this.frames, &this.config, &em);
        tracing::info!(source = %em.source, ?stats, "camera pipeline ended");
        em.status(SourceStatus::Finished);
    }
}

/// Image-folder replay through the exact camera pipeline (every frame decoded, none dropped).
pub fn image_folder_source(
    dir: &std::path::Path,
    fps: Option<f32>,
    repeat: u32,
) -> Result<CameraSource<ImageFolder>, crate::decode::frames::FrameError> {
    let mut frames = ImageFolder::open(dir, fps)?;
    frames.repeat = repeat;
    Ok(CameraSource {
        frames,
        config: CameraPipelineConfig {
            drop_stale: false,
            ..CameraPipelineConfig::default()
        },
    })
}

/// Replay a raw YUV420 recording (e.g. `rpicam-vid --codec yuv420 -o clip.yuv`) through the
/// camera pipeline: the "video of frames" replay, same frames as the live Pi camera path.
pub fn yuv_file_source(
    path: &std::path::Path,
    width: u32,
    height: u32,
) -> Result<CameraSource<crate::decode::frames::Yuv420Stream<std::fs::File>>, std::io::Error> {
    let f = std::fs::File::open(path)?;
    Ok(CameraSource {
        frames: crate::decode::frames::Yuv420Stream::new(
            f,
            width,
            height,
            path.display().to_string(),
        ),
        config: CameraPipelineConfig {
            drop_stale: false,
            ..CameraPipelineConfig::default()
        },
    })
}
