//! Image-folder replay through the camera pipeline end to end (frames -> decode -> debounce ->
//! Scans on the channel; generated frames and a zxing-cpp sample folder from
//! `tests/data/zxing-cpp`), line input from a file and a FIFO, and the `decode` report.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::gen::{code, Img};
use rxing::BarcodeFormat;
use tagstation::decode::{decode_files_report, still::write_report, DecodeConfig, CAMERA_CYCLE};
use tagstation::scan::sources::{image_folder_source, LineSource};
use tagstation::scan::{spawn, Emitter, ScanEvent, ScanRole, SourceStatus, Symbology};

fn frame_with(fmt: Option<(BarcodeFormat, &str)>) -> Img {
    let mut f = Img::new(640, 480, 230);
    if let Some((fmt, t)) = fmt {
        let c = code(fmt, t, 4, 100);
        f.blit(&c, (640 - c.w) / 2, (480 - c.h) / 2);
    }
    f
}

fn scans(rx: &mpsc::Receiver<ScanEvent>) -> Vec<(String, Option<Symbology>)> {
    rx.try_iter()
        .filter_map(|e| match e {
            ScanEvent::Scan(s) => Some((s.text.as_str().to_string(), s.symbology)),
            _ => None,
        })
        .collect()
}

#[test]
fn folder_replay_produces_debounced_scans() {
    let dir = tempfile::tempdir().expect("tmp");
    // a code held for 3 frames, gone for 8 (missed frames), the same code back, then others
    let seq: Vec<Option<(BarcodeFormat, &str)>> = [
        vec![Some((BarcodeFormat::QR_CODE, "TS-000001")); 3],
        vec![None; 8],
        vec![Some((BarcodeFormat::QR_CODE, "TS-000001"))],
        vec![Some((BarcodeFormat::CODE_128, "TS-000002")); 2],
        vec![Some((BarcodeFormat::DATA_MATRIX, "TS-000003"))],
    ]
    .concat();
    for (i, s) in seq.iter().enumerate() {
        frame_with(*s).save_png(&dir.path().join(format!("frame{i:03}.png")));
    }
    let (tx, rx) = mpsc::channel();
    let mut src = image_folder_source(dir.path(), None, 1).expect("open");
    // frames come as fast as decoded: make "gone" a matter of frames only
    src.config.debounce_frames = 5;
    src.config.debounce_ms = 0;
    let h = spawn(Box::new(src), Emitter::new("camera0", ScanRole::Item, tx)).expect("spawn");
    h.join().expect("join");
    assert_eq!(
        scans(&rx),
        vec![
            ("TS-000001".to_string(), Some(Symbology::Qr)),
            ("TS-000001".to_string(), Some(Symbology::Qr)),
            ("TS-000002".to_string(), Some(Symbology::Code128)),
            ("TS-000003".to_string(), Some(Symbology::DataMatrix)),
        ]
    );
}

#[test]
fn folder_replay_of_zxing_cpp_samples() {
    let (tx, rx) = mpsc::channel();
    let folder = common::samples_root().join("qrcode-3");
    let mut src = image_folder_source(&folder, None, 2).expect("open");
    src.config.debounce_frames = 1;
    src.config.debounce_ms = 0;
    spawn(Box::new(src), Emitter::new("replay", ScanRole::Item, tx))
        .expect("spawn")
        .join()
        .expect("join");
    let evs: Vec<ScanEvent> = rx.try_iter().collect();
    let got: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Scan(s) => Some(s.text.as_str().to_string()),
            _ => None,
        })
        .collect();
    let rejected: Vec<&[u8]> = evs
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Rejected { raw, .. } => Some(raw.as_slice()),
            _ => None,
        })
        .collect();
    // expected texts in frame order; each image is shown twice (a code held in view), and
    // neighbouring images with the same text are the same code still in view
    let mut runs: Vec<String> = Vec::new();
    for p in common::images("qrcode-3") {
        let want = common::expected(&p).expect("txt");
        if runs.last() != Some(&want) {
            runs.push(want);
        }
    }
    // a payload with CR/LF inside is read but rejected by text validation (never a tag)
    let (ok, bad): (Vec<String>, Vec<String>) = runs
        .into_iter()
        .partition(|t| tagstation::scan::ScanText::parse(t).is_ok());
    assert_eq!(got, ok);
    assert_eq!(
        rejected,
        bad.iter().map(|t| t.as_bytes()).collect::<Vec<_>>()
    );
    assert!(!bad.is_empty());
}

#[test]
fn line_input_from_file_and_fifo() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("scans.txt");
    std::fs::write(&file, b"TS-1\r\n\nTS-2\nbad\x07\n").expect("write");
    let (tx, rx) = mpsc::channel();
    let src = LineSource {
        path: Some(file),
        reopen: false,
    };
    spawn(Box::new(src), Emitter::new("line", ScanRole::Item, tx))
        .expect("spawn")
        .join()
        .expect("join");
    let evs: Vec<_> = rx.try_iter().collect();
    let texts: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Scan(s) => Some(s.text.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["TS-1", "TS-2"]);
    assert!(evs
        .iter()
        .any(|e| matches!(e, ScanEvent::Rejected { raw, .. } if raw == b"bad\x07\n")));

    // FIFO: two writers one after the other; the source reopens after the first EOF
    let fifo = dir.path().join("scan.fifo");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(st.success());
    let (tx, rx) = mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let em = Emitter::new("fifo", ScanRole::Badge, tx).with_stop(stop.clone());
    let h = spawn(Box::new(LineSource::fifo(&fifo)), em).expect("spawn");
    for t in ["BADGE-1\n", "BADGE-2\n"] {
        std::fs::write(&fifo, t).expect("write fifo");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut got = vec![];
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.len() < 2 && std::time::Instant::now() < deadline {
        if let Ok(ScanEvent::Scan(s)) = rx.recv_timeout(Duration::from_millis(100)) {
            assert_eq!(s.role, ScanRole::Badge);
            got.push(s.text.as_str().to_string());
        }
    }
    assert_eq!(got, ["BADGE-1", "BADGE-2"]);
    // stop: set the flag and unblock the pending open with one last writer
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    std::fs::write(&fifo, b"").expect("write fifo");
    h.join().expect("join");
    let _ = SourceStatus::Finished;
}

#[test]
fn decode_report_text_and_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("qr.png");
    frame_with(Some((BarcodeFormat::QR_CODE, "(01)09506000134352(21)S1"))).save_png(&p);
    let missing = dir.path().join("missing.png");
    let reps = decode_files_report(&[p.clone(), missing], &DecodeConfig::default());
    assert_eq!(reps[0].codes.len(), 1);
    assert_eq!(reps[0].codes[0].symbology, "qr");
    assert_eq!(
        reps[0].codes[0].gs1.as_deref(),
        Some("(01)09506000134352(21)S1")
    );
    assert!(reps[1].error.is_some());
    let mut out = Vec::new();
    write_report(&reps, false, &mut out).expect("write");
    let s = String::from_utf8(out).expect("utf8");
    assert!(s.contains("\tqr\t320,240\t(01)09506000134352(21)S1"), "{s}");
    let mut out = Vec::new();
    write_report(&reps, true, &mut out).expect("write");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v[0]["codes"][0]["text"], "(01)09506000134352(21)S1");
}

#[test]
fn yuv_video_replay_with_two_workers() {
    // a raw YUV420 "video" as rpicam-vid writes it: luma plane then quarter-size U and V
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("clip.yuv");
    let mut bytes = Vec::new();
    let frames = [
        None,
        Some("VID-1"),
        Some("VID-1"),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        Some("VID-2"),
    ];
    for f in frames {
        let img = frame_with(f.map(|t| (BarcodeFormat::QR_CODE, t)));
        bytes.extend_from_slice(&img.px);
        bytes.extend(std::iter::repeat_n(128u8, 2 * 320 * 240));
    }
    std::fs::write(&path, bytes).expect("write");
    let mut src = tagstation::scan::sources::yuv_file_source(&path, 640, 480).expect("open");
    src.config.workers = 2;
    src.config.debounce_ms = 0;
    let (tx, rx) = mpsc::channel();
    spawn(Box::new(src), Emitter::new("video", ScanRole::Item, tx))
        .expect("spawn")
        .join()
        .expect("join");
    let mut got: Vec<String> = scans(&rx).into_iter().map(|s| s.0).collect();
    got.sort();
    assert_eq!(got, ["VID-1", "VID-2"]);
}

#[test]
fn gs1_datamatrix_from_camera_keeps_its_aim_id() {
    // a GS1 Data Matrix with only fixed-length AIs carries no GS: only the AIM id (]d2) says GS1
    let dir = tempfile::tempdir().expect("tmp");
    let dm = code(
        BarcodeFormat::DATA_MATRIX,
        "\u{1d}010950600013435217261231",
        5,
        0,
    );
    let mut f = Img::new(640, 480, 230);
    f.blit(&dm, 250, 150);
    f.save_png(&dir.path().join("f.png"));
    let (tx, rx) = mpsc::channel();
    let src = image_folder_source(dir.path(), None, 1).expect("open");
    spawn(Box::new(src), Emitter::new("cam", ScanRole::Item, tx))
        .expect("spawn")
        .join()
        .expect("join");
    let scan = rx
        .try_iter()
        .find_map(|e| match e {
            ScanEvent::Scan(s) => Some(s),
            _ => None,
        })
        .expect("a scan");
    eprintln!("text {:?} aim {:?}", scan.text.as_str(), scan.aim_id);
    let g = scan.gs1().expect("marked as GS1").expect("parses");
    assert_eq!(g.gtin.as_deref(), Some("09506000134352"));
}

#[test]
fn rare_case_searches_take_turns_but_a_held_code_is_read() {
    // light-on-dark QR (one frame in four) and a vertical barcode, each held for 4 frames
    let dir = tempfile::tempdir().expect("tmp");
    let qr = frame_with(Some((BarcodeFormat::QR_CODE, "INV-9")));
    let inv = Img {
        px: qr.px.iter().map(|p| 255 - p).collect(),
        ..qr
    };
    inv.save_png(&dir.path().join("a.png"));
    let bars = code(BarcodeFormat::CODE_128, "VERT-7", 3, 100);
    let mut vert = Img::new(480, 640, 230);
    let rot = {
        // turn the barcode by 90 degrees
        let mut r = Img::new(bars.h, bars.w, 255);
        for y in 0..bars.h {
            for x in 0..bars.w {
                r.px[(x * r.w + (bars.h - 1 - y)) as usize] = bars.px[(y * bars.w + x) as usize];
            }
        }
        r
    };
    vert.blit(&rot, (480 - rot.w) / 2, (640 - rot.h) / 2);
    vert.save_png(&dir.path().join("b.png"));
    let (tx, rx) = mpsc::channel();
    let src = image_folder_source(dir.path(), None, CAMERA_CYCLE as u32).expect("open");
    spawn(Box::new(src), Emitter::new("cam", ScanRole::Item, tx))
        .expect("spawn")
        .join()
        .expect("join");
    let got: Vec<String> = scans(&rx).into_iter().map(|s| s.0).collect();
    assert_eq!(got, ["INV-9", "VERT-7"]);
    let phases: Vec<DecodeConfig> = (0..CAMERA_CYCLE)
        .map(|seq| DecodeConfig::default().for_frame(seq))
        .collect();
    let plain =
        |c: &DecodeConfig| !c.data_matrix_thorough && !c.inverted && !c.retries && !c.rqrr_fallback;
    assert!(plain(&phases[0]) && plain(&phases[2]));
    assert!(phases[1].data_matrix_thorough && !phases[1].retries);
    assert!(phases[3].inverted && phases[3].retries && phases[3].rqrr_fallback);
    assert!(!phases[3].data_matrix_thorough);
}
