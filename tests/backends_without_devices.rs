//! The hardware backends behave when the hardware is missing (as in CI): errors and status
//! reports, no panics. Built only with their features.

#[cfg(feature = "hid")]
#[test]
fn hid_live_without_device_reports_and_stops() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use tagstation::scan::hid::HidConfig;
    use tagstation::scan::hid_live::{HidDeviceConfig, HidLiveSource};
    use tagstation::scan::{spawn, Emitter, ScanEvent, ScanRole, SourceStatus};

    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let em = Emitter::new("scanner", ScanRole::Item, tx).with_stop(stop.clone());
    let src = HidLiveSource {
        config: HidDeviceConfig {
            device: "/dev/input/by-id/usb-none-event-kbd"
                .parse()
                .expect("selector"),
            hid: HidConfig::default(),
            grab: true,
        },
    };
    let h = spawn(Box::new(src), em).expect("spawn");
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("a status");
    assert!(matches!(
        first,
        ScanEvent::Status {
            status: SourceStatus::Disconnected(_),
            ..
        }
    ));
    stop.store(true, Ordering::Relaxed);
    h.join().expect("source thread ends on stop");
}

#[cfg(feature = "camera")]
#[test]
fn camera_open_without_device_does_not_panic() {
    use tagstation::decode::camera_nokhwa::{CameraConfig, NokhwaCamera};
    let cfg = CameraConfig {
        index: 63,
        ..CameraConfig::default()
    };
    assert!(NokhwaCamera::open(&cfg).is_err());
}

#[test]
fn rpicam_without_program_is_an_error() {
    use tagstation::scan::config::{CameraTuning, InputConfig, InputKind};
    use tagstation::scan::ScanRole;
    // rpicam-vid is not installed off a Pi; building the input must fail cleanly
    if std::process::Command::new("rpicam-vid")
        .arg("--version")
        .output()
        .is_ok()
    {
        return;
    }
    let c = InputConfig {
        name: "cam".into(),
        role: ScanRole::Item,
        kind: InputKind::Rpicam {
            width: 640,
            height: 480,
            fps: 30,
            extra_args: vec![],
            tuning: CameraTuning::default(),
        },
    };
    assert!(c.build().is_err());
}

/// The default build has the desktop window. Without a display session, `station`
/// says so and points at door mode, instead of a window error or a hint to rebuild.
#[cfg(all(feature = "desktop", not(feature = "linuxkms")))]
#[test]
fn desktop_station_without_display_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tagstation"))
        .arg("--data")
        .arg(dir.path())
        .arg("station")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("TAGSTATION_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run tagstation");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("no display"), "{err}");
    assert!(err.contains("--headless"), "{err}");
    assert!(!err.contains("build with"), "{err}");
    assert_eq!(err.matches("no display").count(), 1, "said once: {err}");
}
