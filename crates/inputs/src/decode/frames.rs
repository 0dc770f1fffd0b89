//! Frame sources for the camera path: image-folder replay, raw YUV420 streams (the
//! `rpicam-vid` child process for the Pi Camera Module), and the YUYV luma helper used by V4L2.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// One greyscale frame.
#[derive(Debug, Clone, PartialEq)]
pub struct LumaFrame {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
    /// capture time
    pub at: Instant,
    pub seq: u64,
}

/// Why a frame source failed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("I/O error on {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot decode image {path}: {reason}")]
    Image { path: PathBuf, reason: String },
    #[error("camera error: {0}")]
    Camera(String),
}

/// Something that yields frames; `Ok(None)` is the end of the stream.
pub trait FrameSource: Send + 'static {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, FrameError>;
}

/// Take the luma plane of a packed YUYV (YUY2) frame: every even byte.
pub fn yuyv_luma(yuyv: &[u8]) -> Vec<u8> {
    yuyv.iter().step_by(2).copied().collect()
}

/// Image extensions the folder replay and `decode` accept.
pub const IMAGE_EXTS: &[&str] = &["png", "jpg", "jpeg", "webp"];

/// Replays the images of a directory (sorted by name) as frames, optionally paced at `fps`.
/// Unreadable files are skipped with a warning (a replay shows what a camera would).
pub struct ImageFolder {
    files: Vec<PathBuf>,
    next: usize,
    interval: Option<Duration>,
    last: Option<Instant>,
    /// repeat each image this many times (a code "held in view")
    pub repeat: u32,
    repeat_left: u32,
    current: Option<(u32, u32, Vec<u8>)>,
    seq: u64,
}

impl ImageFolder {
    /// List the images of `dir`. `fps` = None replays as fast as the decoder takes frames.
    pub fn open(dir: &Path, fps: Option<f32>) -> Result<Self, FrameError> {
        let rd = std::fs::read_dir(dir).map_err(|source| FrameError::Io {
            what: dir.display().to_string(),
            source,
        })?;
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| IMAGE_EXTS.contains(&e.to_ascii_lowercase().as_str()))
            })
            .collect();
        files.sort();
        Ok(ImageFolder {
            files,
            next: 0,
            interval: fps
                .filter(|f| *f > 0.0)
                .map(|f| Duration::from_secs_f32(1.0 / f)),
            last: None,
            repeat: 1,
            repeat_left: 0,
            current: None,
            seq: 0,
        })
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl FrameSource for ImageFolder {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, FrameError> {
        while self.repeat_left == 0 {
            let Some(path) = self.files.get(self.next) else {
                return Ok(None);
            };
            self.next += 1;
            match super::still::load_luma(path) {
                Ok(img) => {
                    self.current = Some(img);
                    self.repeat_left = self.repeat.max(1);
                }
                Err(e) => tracing::warn!(error = %e, "replay: skipping image"),
            }
        }
        self.repeat_left -= 1;
        if let (Some(iv), Some(last)) = (self.interval, self.last) {
            let due = last + iv;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.last = Some(Instant::now());
        let Some((w, h, data)) = self.current.clone() else {
            return Ok(None);
        };
        self.seq += 1;
        Ok(Some(LumaFrame {
            width: w,
            height: h,
            data,
            at: Instant::now(),
            seq: self.seq,
        }))
    }
}

/// Reads planar YUV420 frames (`w*h*3/2` bytes each, luma first) from any byte stream.
pub struct Yuv420Stream<R: Read + Send + 'static> {
    reader: R,
    width: u32,
    height: u32,
    chroma: Vec<u8>,
    seq: u64,
    what: String,
}

impl<R: Read + Send + 'static> Yuv420Stream<R> {
    pub fn new(reader: R, width: u32, height: u32, what: impl Into<String>) -> Self {
        let chroma_len = 2 * (width.div_ceil(2) as usize) * (height.div_ceil(2) as usize);
        Yuv420Stream {
            reader,
            width,
            height,
            chroma: vec![0; chroma_len],
            seq: 0,
            what: what.into(),
        }
    }

    /// Fill `buf` completely; Ok(false) on a clean end of stream before the first byte.
    fn fill(&mut self, buf: &mut [u8]) -> Result<bool, FrameError> {
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(FrameError::Io {
                        what: self.what.clone(),
                        source: std::io::ErrorKind::UnexpectedEof.into(),
                    })
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(FrameError::Io {
                        what: self.what.clone(),
                        source,
                    })
                }
            }
        }
        Ok(true)
    }
}

impl<R: Read + Send + 'static> FrameSource for Yuv420Stream<R> {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, FrameError> {
        let mut luma = vec![0u8; self.width as usize * self.height as usize];
        if !self.fill(&mut luma)? {
            return Ok(None);
        }
        let at = Instant::now();
        let mut chroma = std::mem::take(&mut self.chroma);
        let r = self.fill(&mut chroma);
        self.chroma = chroma;
        if !r? {
            return Ok(None);
        }
        self.seq += 1;
        Ok(Some(LumaFrame {
            width: self.width,
            height: self.height,
            data: luma,
            at,
            seq: self.seq,
        }))
    }
}

/// Settings of the `rpicam-vid` backend (Raspberry Pi Camera Module over libcamera).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RpicamConfig {
    pub program: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// extra arguments, e.g. `["--camera", "1"]` or autofocus settings
    pub extra_args: Vec<String>,
}

impl Default for RpicamConfig {
    fn default() -> Self {
        RpicamConfig {
            program: "rpicam-vid".into(),
            width: 640,
            height: 480,
            fps: 30,
            extra_args: Vec::new(),
        }
    }
}

/// Frames from an `rpicam-vid` child process writing raw YUV420 to its stdout.
pub struct RpicamVid {
    child: Child,
    stream: Yuv420Stream<ChildStdout>,
}

impl RpicamVid {
    /// The command line run: `rpicam-vid -t 0 -n --codec yuv420 --width W --height H
    /// --framerate F -o -`.
    pub fn args(cfg: &RpicamConfig) -> Vec<String> {
        let mut a: Vec<String> = ["-t", "0", "-n", "--codec", "yuv420", "--width"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.push(cfg.width.to_string());
        a.push("--height".into());
        a.push(cfg.height.to_string());
        a.push("--framerate".into());
        a.push(cfg.fps.to_string());
        a.extend(cfg.extra_args.iter().cloned());
        a.push("-o".into());
        a.push("-".into());
        a
    }

    pub fn spawn(cfg: &RpicamConfig) -> Result<Self, FrameError> {
        // Look the program up first: a missing rpicam-vid is the common setup mistake, and
        // it deserves its own words (spawn's own error is lost under some emulators too).
        if find_program(&cfg.program).is_none() {
            return Err(FrameError::Camera(format!(
                "{} not found: install it with `sudo apt install rpicam-apps` (Raspberry Pi OS)",
                cfg.program
            )));
        }
        let mut child = Command::new(&cfg.program)
            .args(Self::args(cfg))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| FrameError::Io {
                what: format!("starting {}", cfg.program),
                source,
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| FrameError::Camera("rpicam-vid has no stdout".into()))?;
        Ok(RpicamVid {
            child,
            stream: Yuv420Stream::new(stdout, cfg.width, cfg.height, cfg.program.clone()),
        })
    }
}

/// The executable `program` names: a path as given, or the first match on `$PATH`.
fn find_program(program: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &std::path::Path| {
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if program.contains('/') {
        let p = std::path::PathBuf::from(program);
        return runnable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| runnable(p))
}

impl FrameSource for RpicamVid {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, FrameError> {
        let r = self.stream.next_frame();
        if !matches!(r, Ok(Some(_))) {
            let status = self.child.try_wait().ok().flatten();
            tracing::warn!(?status, "rpicam-vid stream ended");
        }
        r
    }
}

impl Drop for RpicamVid {
    fn drop(&mut self) {
        // our own child: stop it and reap it
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuv420_stream_splits_frames() {
        let (w, h) = (4u32, 2u32);
        let mut bytes = Vec::new();
        for f in 0..3u8 {
            bytes.extend(std::iter::repeat_n(f, 8)); // luma
            bytes.extend(std::iter::repeat_n(200, 4)); // chroma
        }
        let mut s = Yuv420Stream::new(std::io::Cursor::new(bytes), w, h, "test");
        for f in 0..3u8 {
            let fr = s.next_frame().unwrap().unwrap();
            assert_eq!(fr.data, vec![f; 8]);
        }
        assert!(s.next_frame().unwrap().is_none());
    }

    #[test]
    fn yuyv() {
        assert_eq!(yuyv_luma(&[1, 9, 2, 9, 3, 9, 4, 9]), vec![1, 2, 3, 4]);
    }

    #[test]
    fn rpicam_args() {
        let a = RpicamVid::args(&RpicamConfig::default()).join(" ");
        assert_eq!(
            a,
            "-t 0 -n --codec yuv420 --width 640 --height 480 --framerate 30 -o -"
        );
    }

    #[test]
    fn missing_rpicam_is_an_error_not_a_panic() {
        let cfg = RpicamConfig {
            program: "/nonexistent/rpicam-vid".into(),
            ..RpicamConfig::default()
        };
        let err = RpicamVid::spawn(&cfg).err().expect("refused");
        assert!(err.to_string().contains("rpicam-apps"), "{err}");
        assert!(find_program("sh").is_some());
        assert!(find_program("/nonexistent/sh").is_none());
    }
}
