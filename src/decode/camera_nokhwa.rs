//! USB (UVC) cameras through nokhwa/V4L2 (feature `camera`). Asks for YUYV at the configured
//! size and takes every even byte as luma (no RGB conversion); MJPEG-only cameras fall back to
//! nokhwa's decoder to luma, which costs a JPEG decode per frame.

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

/// An open V4L2 camera yielding luma frames.
pub struct NokhwaCamera {
    cam: Camera,
    seq: u64,
}

impl NokhwaCamera {
    /// Open the camera and start streaming. No camera: an error, not a panic.
    pub fn open(cfg: &CameraConfig) -> Result<Self, FrameError> {
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
        Ok(NokhwaCamera { cam, seq: 0 })
    }
}

impl FrameSource for NokhwaCamera {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, FrameError> {
        let buf = self
            .cam
            .frame()
            .map_err(|e| FrameError::Camera(e.to_string()))?;
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
        self.seq += 1;
        Ok(Some(LumaFrame {
            width: w,
            height: h,
            data,
            at,
            seq: self.seq,
        }))
    }
}
