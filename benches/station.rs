//! Station benchmark: memory (RSS) and start-up time to "ready to scan" with a catalog of
//! 10,000 units, and the time from a scan to its unit card being drawn.
//!
//! `cargo bench --bench station` builds the catalog in a temporary directory, then starts
//! this same binary again as a fresh process that opens the store, builds the UI and
//! draws its first frame with the software renderer (Slint's headless testing backend:
//! the same UI code as on the device, without a display). The parent times that child
//! from spawn to its "ready" line and reports the child's peak RSS.
//!
//! Then the signature pad: a further child draws `--moves N` (default 600) pointer
//! moves on the pad through the testing backend (press, move, release, as a finger)
//! and renders every frame with the software renderer; it reports the median and p95
//! of each frame (the move handled and the window rendered) beside the render of an
//! idle frame (the scan screen, nothing changed) and of the empty pad, measured in the
//! same run. `cargo bench --bench station -- --signature` runs only that.
//!
//! Options: `--units N` (default 10000), `--scans N` (default 300), `--moves N`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use common::bench::arg;
use common::cmd;
use slint::ComponentHandle;
use tagstation::catalog::{Status, Tracking};
use tagstation::event::EventKind;
use tagstation::feedback::LogFeedback;
use tagstation::store::Store;
use tagstation::ui::{Screen, Settings, StationUi, Touch};
use uuid::Uuid;

const ITEMS: usize = 100;

/// `units` units over 100 items, tagged `BENCH-0`.., on 20 shelves.
fn build_catalog(dir: &Path, units: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut store = Store::open(dir)?;
    let per_item = units.div_ceil(ITEMS);
    let mut n = 0;
    for i in 0..ITEMS {
        let item = Uuid::now_v7();
        let mut batch = vec![cmd(
            item,
            None,
            EventKind::ItemCreated {
                name: format!("Item {i:03}"),
                sku: Some(format!("SKU-{i:03}")),
                barcode: None,
                tracking: Tracking::Units,
                reorder_point: None,
            },
        )];
        for j in 0..per_item {
            if n == units {
                break;
            }
            batch.push(cmd(
                item,
                Some(Uuid::now_v7()),
                EventKind::UnitCreated {
                    name: format!("Item {i:03} {j:03}"),
                    asset_tag: Some(format!("BENCH-{n}")),
                    status: Status::InStock,
                    location: Some(format!("Shelf {}", n % 20)),
                    fields: Default::default(),
                    location_id: None,
                },
            ));
            n += 1;
        }
        store.record_batch(batch).map_err(|(_, e)| e)?;
    }
    Ok(())
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Slint's testing backend with the software renderer and real time: what both
/// children draw with.
fn software_platform() -> Result<(), Box<dyn std::error::Error>> {
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: false,
            threading: false,
            renderer_name: Some("software".into()),
        },
    )))
    .map_err(|e| format!("platform: {e:?}").into())
}

/// The child: start like a station, say "ready", then time scans to drawn cards.
fn measure(dir: &Path, units: usize, scans: usize) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    software_platform()?;
    let store = Store::open(dir)?;
    let ui = StationUi::new(store, Settings::default(), Arc::new(LogFeedback), None)?;
    ui.window()
        .window()
        .set_size(slint::PhysicalSize::new(800, 480));
    ui.window().show()?;
    let _first_frame = ui.window().window().take_snapshot()?;
    let ready = t0.elapsed();
    println!("ready {:.1}", ready.as_secs_f64() * 1000.0);

    let mut times = Vec::with_capacity(scans);
    let mut lookup_only = Vec::with_capacity(scans);
    for k in 0..scans {
        let tag = format!("BENCH-{}", (k * 7919) % units);
        let t = Instant::now();
        ui.on_scan(&tag);
        let shown = t.elapsed();
        let _frame = ui.window().window().take_snapshot()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        lookup_only.push(shown.as_secs_f64() * 1000.0);
        if ui.window().get_screen() != Screen::Unit {
            return Err(format!("scan {tag} did not show a unit card").into());
        }
        ui.touch(Touch::Done); // back to the scan screen, as the idle timer would
    }
    times.sort_by(f64::total_cmp);
    lookup_only.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "scan {:.2} {:.2} {:.2} {:.2} {:.2}",
        pct(&times, 0.5),
        pct(&times, 0.95),
        times[times.len() - 1],
        pct(&lookup_only, 0.5),
        pct(&lookup_only, 0.95)
    );
    println!(
        "rss {} {} {}",
        status_kb("VmRSS:"),
        status_kb("VmHWM:"),
        ready.as_millis()
    );
    Ok(())
}

/// Milliseconds of each call of `f`, `n` times, sorted.
fn timed(
    n: usize,
    mut f: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(f64::total_cmp);
    Ok(v)
}

fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// The child: the signature pad drawn on, every frame rendered.
fn measure_signature(moves: usize) -> Result<(), Box<dyn std::error::Error>> {
    use i_slint_backend_testing::ElementHandle;
    use slint::platform::{PointerEventButton, WindowEvent};
    software_platform()?;
    let dir = tempfile::tempdir()?;
    build_catalog(dir.path(), ITEMS)?;
    let store = Store::open(dir.path())?;
    let settings = Settings {
        signature: true,
        ..Settings::default()
    };
    let ui = StationUi::new(store, settings, Arc::new(LogFeedback), None)?;
    let window = ui.window().window();
    window.set_size(slint::PhysicalSize::new(800, 480));
    ui.window().show()?;
    let render = || -> Result<(), Box<dyn std::error::Error>> {
        window.take_snapshot()?;
        Ok(())
    };
    render()?;
    let idle = timed(100, render)?;

    // A unit's card, Check out, a name typed, OK: the pad.
    ui.on_scan("BENCH-0");
    ui.touch(Touch::CheckOut);
    ui.touch(Touch::Key('b'));
    ui.touch(Touch::KeyOk);
    if !ui.window().get_show_signature() {
        return Err("the signature pad did not open".into());
    }
    render()?;
    let empty_pad = timed(100, render)?;

    let pad = ElementHandle::find_by_accessible_label(ui.window(), "Signature pad")
        .next()
        .ok_or("no signature pad on screen")?;
    let (o, size) = (pad.absolute_position(), pad.size());
    // Strokes of 150 moves, a handwriting-like wave across the pad, lifted between.
    let at = |k: usize| {
        let stroke = k / 150;
        let t = (k % 150) as f32 / 150.0;
        let x = 20.0 + t * (size.width - 40.0);
        let y = size.height / 2.0
            + (t * 25.0 + stroke as f32).sin() * size.height * 0.3
            + (stroke % 3) as f32 * 10.0;
        slint::LogicalPosition::new(o.x + x, o.y + y)
    };
    let mut frames = Vec::with_capacity(moves);
    for k in 0..moves {
        let position = at(k);
        let t = Instant::now();
        if k % 150 == 0 {
            if k > 0 {
                window.dispatch_event(WindowEvent::PointerReleased {
                    position: at(k - 1),
                    button: PointerEventButton::Left,
                });
            }
            window.dispatch_event(WindowEvent::PointerMoved { position });
            window.dispatch_event(WindowEvent::PointerPressed {
                position,
                button: PointerEventButton::Left,
            });
        } else {
            window.dispatch_event(WindowEvent::PointerMoved { position });
        }
        window.take_snapshot()?;
        frames.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let ink = ui.window().get_signature_path();
    let points = ink.matches(['M', 'L']).count();
    frames.sort_by(f64::total_cmp);
    let last = frames.len() - 1;
    println!(
        "pad {:.3} {:.3} {:.3} {:.3} {:.3} {:.3} {points}",
        pct(&idle, 0.5),
        pct(&empty_pad, 0.5),
        pct(&frames, 0.5),
        pct(&frames, 0.95),
        frames[last],
        pct(&idle, 0.95),
    );
    Ok(())
}

/// Run the pad's child and print what it measured.
fn signature_report(moves: usize) -> Result<(), Box<dyn std::error::Error>> {
    let out = Command::new(std::env::current_exe()?)
        .args(["--measure-signature", "--moves", &moves.to_string()])
        .env("TAGSTATION_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("pad "))
        .ok_or_else(|| format!("signature measurement failed: {text}"))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 7 {
        return Err(format!("signature measurement: {line:?}").into());
    }
    let (idle, empty, median, p95, max, idle95, points) =
        (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    println!(
        "signature pad, {moves} pointer moves, each frame handled and rendered (software renderer, 800x480): median {median:.2} ms ({:.2}x an idle frame), p95 {p95:.2} ms ({:.2}x), max {max:.2} ms; idle frame median {idle:.2} ms (p95 {idle95:.2} ms), empty pad {empty:.2} ms ({:.2}x); {points:.0} points of ink  [target: p95 < 16.7 ms, a frame at 60 Hz] {}",
        median / idle,
        p95 / idle,
        empty / idle,
        if p95 < 1000.0 / 60.0 { "OK" } else { "MISSED" }
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let units = arg("--units", 10_000);
    let scans = arg("--scans", 300);
    let moves = arg("--moves", 600);
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        let dir = args.get(i + 1).ok_or("--measure DIR")?;
        return measure(Path::new(dir), units, scans);
    }
    if args.iter().any(|a| a == "--measure-signature") {
        return measure_signature(moves);
    }
    if args.iter().any(|a| a == "--list") {
        return Ok(()); // `cargo bench -- --list` / `cargo test --benches`
    }
    if args.iter().any(|a| a == "--signature") {
        return signature_report(moves);
    }
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    build_catalog(dir.path(), units)?;
    let db = std::fs::metadata(dir.path().join(tagstation::store::DB_FILE))?.len();
    println!(
        "catalog: {units} units in {ITEMS} items built in {:.1} s ({:.1} MB database)",
        t.elapsed().as_secs_f64(),
        db as f64 / 1e6
    );

    let spawn = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--measure")
        .arg(dir.path())
        .args(["--units", &units.to_string(), "--scans", &scans.to_string()])
        .env("TAGSTATION_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().ok_or("child stdout")?;
    let mut ready_ms = None;
    let mut lines = Vec::new();
    for line in BufReader::new(out).lines() {
        let line = line?;
        if line.starts_with("ready") && ready_ms.is_none() {
            ready_ms = Some(spawn.elapsed().as_secs_f64() * 1000.0);
        }
        lines.push(line);
    }
    if !child.wait()?.success() {
        return Err(format!("measurement failed: {lines:?}").into());
    }
    let field = |prefix: &str| -> Vec<f64> {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .filter_map(|v| v.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let ready_in = field("ready");
    let scan = field("scan");
    let rss = field("rss");
    let ready_ms = ready_ms.ok_or("no ready line")?;
    let (rss_mb, hwm_mb) = (rss[0] / 1024.0, rss[1] / 1024.0);
    println!(
        "start-up to ready to scan: {ready_ms:.0} ms from process spawn ({:.0} ms in process: open store, build UI, first frame)  [target < 1000 ms] {}",
        ready_in[0],
        if ready_ms < 1000.0 { "OK" } else { "MISSED" }
    );
    println!(
        "scan to card drawn ({scans} scans): median {:.1} ms, p95 {:.1} ms, max {:.1} ms (lookup + screen update alone: median {:.2} ms, p95 {:.2} ms)  [target < 50 ms] {}",
        scan[0],
        scan[1],
        scan[2],
        scan[3],
        scan[4],
        if scan[1] < 50.0 { "OK" } else { "MISSED" }
    );
    println!(
        "memory after the scans: RSS {rss_mb:.1} MB, peak RSS {hwm_mb:.1} MB  [target < 80 MB] {}",
        if hwm_mb < 80.0 { "OK" } else { "MISSED" }
    );
    signature_report(moves)
}
