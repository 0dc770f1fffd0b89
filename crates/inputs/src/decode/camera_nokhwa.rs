//! USB (UVC) cameras through nokhwa/V4L2 (feature `camera`). Asks for YUYV at the configured
//! size and takes every even byte as luma (no RGB conversion); MJPEG-only cameras fall back to
//! nokhwa's decoder to luma, which costs a JPEG decode per frame.

use std::sync::mpsc::{sync_channel, Receiver};
use std::time::Instant;

use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
};
use nokhwa::Camera;

use super::frames::{yuyv_luma, FrameError, FrameSource, LumaFrame};

/// Camera settings from config.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CameraConfig {
    /// V4L2 index: 0 is /dev/video0
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            index: 0,
            width: 640,
            height: 480,
            fps: 30,
        }
    }
}

/// An open V4L2 camera yielding luma frames. nokhwa's `Camera` is not `Send`, so it lives on
/// its own thread and hands frames over a small channel.
pub struct NokhwaCamera {
    rx: Receiver<Result<LumaFrame, FrameError>>,
}

fn open_camera(cfg: &CameraConfig) -> Result<Camera, FrameError> {
    let want = CameraFormat::new(
        Resolution::new(cfg.width, cfg.height),
        FrameFormat::YUYV,
        cfg.fps,
    );
    let req = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(want));
    let mut cam = Camera::new(CameraIndex::Index(cfg.index), req)
        .map_err(|e| FrameError::Camera(e.to_string()))?;
    cam.open_stream()
        .map_err(|e| FrameError::Camera(e.to_string()))?;
    tracing::info!(format = ?cam.camera_format(), "camera open");
    Ok(cam)
}

fn grab(cam: &mut Camera, seq: u64) -> Result<LumaFrame, FrameError> {
    let buf = cam.frame().map_err(|e| FrameError::Camera(e.to_string()))?;
    let at = Instant::now();
    let res = buf.resolution();
    let (w, h) = (res.width(), res.height());
    let data = match buf.source_frame_format() {
        FrameFormat::YUYV => yuyv_luma(buf.buffer()),
        FrameFormat::GRAY => buf.buffer().to_vec(),
        _ => buf
            .decode_image::<LumaFormat>()
            .map_err(|e| FrameError::Camera(e.to_string()))?
            .into_raw(),
    };
    if data.len() != w as usize * h as usize {
        return Err(FrameError::Camera(format!(
            "frame of {} bytes does not match {w}x{h}",
            data.len()
        )));
    }
    Ok(LumaFrame {
        width: w,
        height: h,
        data,
        at,
        seq,
    })
}

impl NokhwaCamera {
    /// Open the camera and start streaming. No camera: an error, not a panic.
    pub fn open(cfg: &CameraConfig) -> Result<Self, FrameError> {
        let (tx, rx) = sync_channel(1);
        let (ready_tx, ready_rx) = sync_channel(1);
        let cfg = cfg.clone();
        std::thread::Builder::new()
            .name(format!("v4l2-cam{}", cfg.index))
            .spawn(move || {
                let mut cam = match open_camera(&cfg) {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut seq = 0;
                loop {
                    seq += 1;
                    let r = grab(&mut cam, seq);
                    let failed = r.is_err();
                    if tx.send(r).is_err() || failed {
                        break;
                    }
                }
                let _ = cam.stop_stream();
            })
            .map_err(|e| FrameError::Camera(format!("cannot start camera thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(NokhwaCamera { rx }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(FrameError::Camera("camera thread ended".into())),
        }
    }
}

impl FrameSource for NokhwaCamera {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, FrameError> {
        match self.rx.recv() {
            Ok(r) => r.map(Some),
            Err(_) => Ok(None),
        }
    }
}
