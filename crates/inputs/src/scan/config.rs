//! Input configuration (one `[[input]]` table per scanner or camera in the station's TOML)
//! and turning it into running sources.
//!
//! ```toml
//! [[input]]
//! kind = "hid"
//! name = "item-scanner"
//! role = "item"
//! device = "/dev/input/by-id/usb-Honeywell_Scanner-event-kbd"   # or "0c2e:0b61"
//! layout = "de"
//!
//! [[input]]
//! kind = "rpicam"
//! name = "camera0"
//! width = 640
//! height = 480
//! ```

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use serde::Deserialize;

use super::hid::{HidConfig, Layout};
use super::sources::{image_folder_source, CameraSource, HidReplaySource, LineSource};
use super::{spawn, Emitter, ScanEvent, ScanRole, ScanSource};
use crate::decode::frames::{RpicamConfig, RpicamVid};
use crate::decode::DecodeConfig;
use crate::scan::camera::CameraPipelineConfig;
use crate::scan::viewfinder::Viewfinder;

fn default_role() -> ScanRole {
    ScanRole::Item
}
fn default_layout() -> Layout {
    Layout::Us
}
fn default_gap_ms() -> u64 {
    30
}
fn default_true() -> bool {
    true
}
fn default_workers() -> usize {
    1
}
fn default_w() -> u32 {
    640
}
fn default_h() -> u32 {
    480
}
fn default_fps() -> u32 {
    30
}

/// Decoder and debounce settings shared by camera-like inputs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CameraTuning {
    #[serde(default)]
    pub decode: DecodeConfig,
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// a code absent for more than this many frames and `debounce_ms` is scanned again
    #[serde(default = "default_debounce_frames")]
    pub debounce_frames: u64,
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u64,
}

fn default_debounce_frames() -> u64 {
    5
}
fn default_debounce_ms() -> u64 {
    500
}

impl Default for CameraTuning {
    fn default() -> Self {
        CameraTuning {
            decode: DecodeConfig::default(),
            workers: 1,
            debounce_frames: 5,
            debounce_ms: 500,
        }
    }
}

impl CameraTuning {
    fn pipeline(&self, drop_stale: bool, viewfinder: Option<&Viewfinder>) -> CameraPipelineConfig {
        CameraPipelineConfig {
            decode: self.decode.clone(),
            drop_stale,
            debounce_frames: self.debounce_frames,
            debounce_ms: self.debounce_ms,
            workers: self.workers,
            viewfinder: viewfinder.cloned(),
        }
    }
}

/// What kind of input, with its own settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum InputKind {
    /// one scan per line; no path = stdin; a FIFO path is reopened on EOF
    Line {
        path: Option<PathBuf>,
        #[serde(default = "default_true")]
        reopen: bool,
    },
    /// live keyboard-wedge scanner (feature `hid`)
    Hid {
        device: String,
        #[serde(default = "default_layout")]
        layout: Layout,
        #[serde(default = "default_gap_ms")]
        max_gap_ms: u64,
        /// end a burst after this much silence (scanners without Enter/Tab suffix)
        idle_end_ms: Option<u64>,
        #[serde(default = "default_true")]
        grab: bool,
    },
    /// replay of an evemu recording
    HidReplay {
        path: PathBuf,
        #[serde(default = "default_layout")]
        layout: Layout,
        #[serde(default = "default_gap_ms")]
        max_gap_ms: u64,
        #[serde(default)]
        pace: bool,
    },
    /// USB camera through V4L2 (feature `camera`)
    Camera {
        #[serde(default)]
        index: u32,
        #[serde(default = "default_w")]
        width: u32,
        #[serde(default = "default_h")]
        height: u32,
        #[serde(default = "default_fps")]
        fps: u32,
        #[serde(default, flatten)]
        tuning: CameraTuning,
    },
    /// Raspberry Pi Camera Module through `rpicam-vid`
    Rpicam {
        #[serde(default = "default_w")]
        width: u32,
        #[serde(default = "default_h")]
        height: u32,
        #[serde(default = "default_fps")]
        fps: u32,
        #[serde(default)]
        extra_args: Vec<String>,
        #[serde(default, flatten)]
        tuning: CameraTuning,
    },
    /// a folder of images played through the camera pipeline
    ImageFolder {
        path: PathBuf,
        fps: Option<f32>,
        #[serde(default = "default_repeat")]
        repeat: u32,
        #[serde(default, flatten)]
        tuning: CameraTuning,
    },
}

fn default_repeat() -> u32 {
    1
}

/// One configured input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InputConfig {
    pub name: String,
    #[serde(default = "default_role")]
    pub role: ScanRole,
    #[serde(flatten)]
    pub kind: InputKind,
}

/// Why an input could not be started.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("input {name}: {reason}")]
    Setup { name: String, reason: String },
    #[error("input {name}: this build has no `{feature}` feature")]
    NotBuilt { name: String, feature: &'static str },
    #[error("input {name}: cannot start thread: {source}")]
    Thread {
        name: String,
        #[source]
        source: std::io::Error,
    },
}

fn hid_config(layout: Layout, max_gap_ms: u64, idle_end_ms: Option<u64>) -> HidConfig {
    HidConfig {
        layout,
        max_gap_us: max_gap_ms.saturating_mul(1000),
        idle_end_us: idle_end_ms.map(|m| m.saturating_mul(1000)),
        ..HidConfig::default()
    }
}

impl InputConfig {
    /// Read one `[[input]]` table of the station's config file (`index` counts from 0,
    /// for the message when the table has no usable name).
    pub fn from_table(index: usize, table: &toml::Table) -> Result<InputConfig, InputError> {
        toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| InputError::Setup {
                name: table
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| format!("#{}", index + 1)),
                reason: e.message().to_string(),
            })
    }

    /// Build the source (opening what must be opened now, e.g. a replay file).
    pub fn build(&self) -> Result<Box<dyn ScanSource>, InputError> {
        self.build_with(None)
    }

    /// [`InputConfig::build`], a camera leaving pictures in `viewfinder`.
    fn build_with(
        &self,
        viewfinder: Option<&Viewfinder>,
    ) -> Result<Box<dyn ScanSource>, InputError> {
        let setup = |reason: String| InputError::Setup {
            name: self.name.clone(),
            reason,
        };
        Ok(match &self.kind {
            InputKind::Line { path, reopen } => Box::new(LineSource {
                path: path.clone(),
                reopen: *reopen && path.is_some(),
            }),
            InputKind::HidReplay {
                path,
                layout,
                max_gap_ms,
                pace,
            } => Box::new(
                HidReplaySource::from_file(path, hid_config(*layout, *max_gap_ms, None), *pace)
                    .map_err(setup)?,
            ),
            #[cfg(feature = "hid")]
            InputKind::Hid {
                device,
                layout,
                max_gap_ms,
                idle_end_ms,
                grab,
            } => Box::new(super::hid_live::HidLiveSource {
                config: super::hid_live::HidDeviceConfig {
                    device: device
                        .parse()
                        .unwrap_or_else(|e: std::convert::Infallible| match e {}),
                    hid: hid_config(*layout, *max_gap_ms, *idle_end_ms),
                    grab: *grab,
                },
            }),
            #[cfg(not(feature = "hid"))]
            InputKind::Hid { .. } => {
                return Err(InputError::NotBuilt {
                    name: self.name.clone(),
                    feature: "hid",
                })
            }
            #[cfg(feature = "camera")]
            InputKind::Camera {
                index,
                width,
                height,
                fps,
                tuning,
            } => {
                let cam = crate::decode::camera_nokhwa::NokhwaCamera::open(
                    &crate::decode::camera_nokhwa::CameraConfig {
                        index: *index,
                        width: *width,
                        height: *height,
                        fps: *fps,
                    },
                )
                .map_err(|e| setup(e.to_string()))?;
                Box::new(CameraSource {
                    frames: cam,
                    config: tuning.pipeline(true, viewfinder),
                })
            }
            #[cfg(not(feature = "camera"))]
            InputKind::Camera { .. } => {
                return Err(InputError::NotBuilt {
                    name: self.name.clone(),
                    feature: "camera",
                })
            }
            InputKind::Rpicam {
                width,
                height,
                fps,
                extra_args,
                tuning,
            } => {
                let cam = RpicamVid::spawn(&RpicamConfig {
                    program: "rpicam-vid".into(),
                    width: *width,
                    height: *height,
                    fps: *fps,
                    extra_args: extra_args.clone(),
                })
                .map_err(|e| setup(e.to_string()))?;
                Box::new(CameraSource {
                    frames: cam,
                    config: tuning.pipeline(true, viewfinder),
                })
            }
            InputKind::ImageFolder {
                path,
                fps,
                repeat,
                tuning,
            } => {
                let mut src =
                    image_folder_source(path, *fps, *repeat).map_err(|e| setup(e.to_string()))?;
                src.config = tuning.pipeline(false, viewfinder);
                Box::new(src)
            }
        })
    }

    /// Is this a camera (one that can feed a viewfinder)?
    pub fn is_camera(&self) -> bool {
        matches!(
            self.kind,
            InputKind::Camera { .. } | InputKind::Rpicam { .. } | InputKind::ImageFolder { .. }
        )
    }

    /// Build and start the source on its own thread, sending to `tx`.
    pub fn start(&self, tx: Sender<ScanEvent>) -> Result<std::thread::JoinHandle<()>, InputError> {
        self.start_with(tx, None)
    }

    /// [`InputConfig::start`], and a camera also leaves pictures in `viewfinder`.
    pub fn start_with(
        &self,
        tx: Sender<ScanEvent>,
        viewfinder: Option<&Viewfinder>,
    ) -> Result<std::thread::JoinHandle<()>, InputError> {
        let src = self.build_with(viewfinder)?;
        spawn(src, Emitter::new(self.name.clone(), self.role.clone(), tx)).map_err(|source| {
            InputError::Thread {
                name: self.name.clone(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        input: Vec<InputConfig>,
    }

    #[test]
    fn parses_every_kind() {
        let f: File = toml::from_str(
            r#"
            [[input]]
            kind = "hid"
            name = "item-scanner"
            device = "0c2e:0b61"
            layout = "de"
            max_gap_ms = 40

            [[input]]
            kind = "hid"
            name = "badge-reader"
            role = "badge"
            device = "/dev/input/by-id/usb-RFIDeas-event-kbd"

            [[input]]
            kind = "line"
            name = "door"
            path = "/run/tagstation/scan.fifo"

            [[input]]
            kind = "rpicam"
            name = "camera0"
            workers = 2

            [[input]]
            kind = "camera"
            name = "usbcam"
            index = 1
            fps = 15

            [[input]]
            kind = "image-folder"
            name = "replay"
            path = "frames"
            repeat = 3
            "#,
        )
        .unwrap();
        assert_eq!(f.input.len(), 6);
        assert!(matches!(
            f.input[0].kind,
            InputKind::Hid {
                layout: Layout::De,
                max_gap_ms: 40,
                ..
            }
        ));
        assert_eq!(f.input[1].role, ScanRole::Badge);
        assert!(
            matches!(f.input[3].kind, InputKind::Rpicam { width: 640, ref tuning, .. } if tuning.workers == 2)
        );
        assert!(matches!(
            f.input[4].kind,
            InputKind::Camera {
                index: 1,
                fps: 15,
                ..
            }
        ));
        // unknown keys are an error, not silently ignored
        assert!(
            toml::from_str::<File>("[[input]]\nkind = \"line\"\nname = \"x\"\nbogus = 1\n")
                .is_err()
        );
    }

    #[test]
    fn missing_hardware_is_an_error() {
        let c = InputConfig {
            name: "cam".into(),
            role: ScanRole::Item,
            kind: InputKind::ImageFolder {
                path: "/nonexistent/frames".into(),
                fps: None,
                repeat: 1,
                tuning: CameraTuning::default(),
            },
        };
        assert!(c.build().is_err());
    }
}
