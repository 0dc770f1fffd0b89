//! Decoder benchmark on the zxing-cpp QR samples in `tests/data/zxing-cpp` (see docs/scanning.md).
//!
//! `cargo bench --bench decode` (release). For each folder: images read correctly (or, for
//! false-positive folders, images with no read at all), median and p95 ms per image, at the
//! image's own size and letterboxed to 640x480, for rqrr alone and for the full pipeline.
//! Options: `--quick` (own size only), `--folders a,b` (other sample folders).
//!
//! Then the 1D camera set (`tests/common/camera_set.rs`): per symbology, how many frames the
//! project, zxing-cpp and zbar read, false reads on frames with no code and on textured
//! ones, and the time per 640x480 frame, all in the same run. The references run in the
//! tests' Python (`benches/ref_decode.py`); without it the table shows the project alone.
//! `--only-1d` runs just this part, `--verbose` lists every miss with how its frame was drawn.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use tagstation::decode::{
    decode_luma_rqrr, decode_luma_with, letterbox, load_luma, DecodeConfig, Decoded, CAMERA_CYCLE,
};
use tagstation::scan::viewfinder::Preview;

struct Img {
    name: String,
    w: u32,
    h: u32,
    luma: Vec<u8>,
    lb: Vec<u8>,
    want: Option<String>,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i]
}

/// CPU time of this thread in ms (not inflated by other processes waiting for the CPU).
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid pointer to a timespec for the duration of the call
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

type Dec<'a> = &'a dyn Fn(u32, u32, &[u8]) -> Vec<Decoded>;

/// Shelves: 640x480 frames each holding 2 to 12 QR tags of mixed sizes (2 to 4 pixels a
/// module) in a 4x3 grid of places, each tag somewhere in its place, with sensor noise.
/// Returns each frame with the tags drawn in it.
fn shelves(n: usize) -> Vec<(Vec<u8>, Vec<String>)> {
    use common::gen::{code, Img};
    // the camera set's seeded generator, so that every run draws the same shelves
    let mut rng = common::camera_set::Rng(0x5eed_5e1f);
    (0..n)
        .map(|f| {
            let mut frame = Img::new(640, 480, 200);
            let count = 2 + (f % 11);
            let mut places: Vec<u32> = (0..12).collect();
            let mut tags = Vec::new();
            for i in 0..count {
                let place = places.remove(rng.below(places.len() as u64) as usize);
                let tag = format!("TS-{:04}", f * 12 + i);
                let qr = code(
                    rxing::BarcodeFormat::QR_CODE,
                    &tag,
                    2 + rng.below(3) as u32,
                    0,
                );
                let (cx, cy) = ((place % 4) * 160, (place / 4) * 160);
                let x = cx + rng.below(u64::from(160u32.saturating_sub(qr.w)) + 1) as u32;
                let y = cy + rng.below(u64::from(160u32.saturating_sub(qr.h)) + 1) as u32;
                frame.blit(&qr, x, y);
                tags.push(tag);
            }
            for p in frame.px.iter_mut() {
                *p = (*p as i32 + rng.below(17) as i32 - 8).clamp(0, 255) as u8;
            }
            (frame.px, tags)
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let verbose = args.iter().any(|a| a == "--verbose");
    // a smoke run under `cargo test` (or --quick) draws a few frames; `cargo bench` the set
    let smoke = quick || !args.iter().any(|a| a == "--bench");
    if !args.iter().any(|a| a == "--only-1d") {
        qr_samples(&args, quick, verbose, smoke);
    }
    one_d_set(smoke, verbose);
}

fn qr_samples(args: &[String], quick: bool, verbose: bool, smoke: bool) {
    let folders: Vec<String> = match args.iter().position(|a| a == "--folders") {
        Some(i) => args
            .get(i + 1)
            .map(|s| s.split(',').map(String::from).collect())
            .unwrap_or_default(),
        None => common::QR_FOLDERS
            .iter()
            .chain(common::FP_FOLDERS)
            .map(|s| s.to_string())
            .collect(),
    };
    let full = DecodeConfig::default();
    let qr_only = DecodeConfig::qr_only();
    let rqrr: Dec = &|w, h, l| decode_luma_rqrr(w, h, l);
    let pipe: Dec = &|w, h, l| decode_luma_with(&full, w, h, l);
    let pipe_qr: Dec = &|w, h, l| decode_luma_with(&qr_only, w, h, l);
    let no_rqrr = DecodeConfig {
        rqrr_fallback: false,
        ..DecodeConfig::qr_only()
    };
    let pipe_nr: Dec = &|w, h, l| decode_luma_with(&no_rqrr, w, h, l);
    // camera frames: the plain search (frames 0 and 2 of the cycle), the thorough Data
    // Matrix search (frame 1), the QR second opinions and inverted retry (frame 3)
    let cam_plain = DecodeConfig::default().for_frame(0);
    let cam_dm = DecodeConfig::default().for_frame(1);
    let cam_qr = DecodeConfig::default().for_frame(3);
    let pipe_plain: Dec = &|w, h, l| decode_luma_with(&cam_plain, w, h, l);
    let pipe_dm: Dec = &|w, h, l| decode_luma_with(&cam_dm, w, h, l);
    let pipe_qr2: Dec = &|w, h, l| decode_luma_with(&cam_qr, w, h, l);
    // What the viewfinder adds to a camera frame: the picture made after the decode.
    let pipe_plain_vf: Dec = &|w, h, l| {
        let codes = decode_luma_with(&cam_plain, w, h, l);
        std::hint::black_box(Preview::of_luma(w, h, l, 1, &codes));
        codes
    };
    let mut decs: Vec<(&str, bool, Dec)> = vec![
        ("rqrr alone", false, rqrr),
        ("pipeline (QR+DM+1D)", false, pipe),
        ("pipeline (QR only)", false, pipe_qr),
        ("pipeline (QR only, no rqrr)", false, pipe_nr),
    ];
    let stage = |qr, dm, od, rq, re| DecodeConfig {
        data_matrix_thorough: dm,
        inverted: true,
        qr,
        data_matrix: dm,
        one_d: od,
        rqrr_fallback: rq,
        retries: re,
        only_where_busy: false,
    };
    let st: Vec<(&'static str, DecodeConfig)> = vec![
        (
            "stage: rxing QR only",
            stage(true, false, false, false, false),
        ),
        ("stage: QR + rqrr", stage(true, false, false, true, false)),
        (
            "stage: QR + retries",
            stage(true, false, false, false, true),
        ),
        ("stage: DataMatrix", stage(false, true, false, false, false)),
        (
            "stage: 1D scan lines",
            stage(false, false, true, false, false),
        ),
    ];
    let st: &'static [(&'static str, DecodeConfig)] = Box::leak(st.into_boxed_slice());
    if args.iter().any(|a| a == "--breakdown") {
        decs.clear();
        for (name, c) in st {
            let f: Dec = Box::leak(Box::new(move |w, h, l: &[u8]| decode_luma_with(c, w, h, l)));
            decs.push((name, true, f));
        }
    }
    if !quick && decs.len() == 4 {
        decs.push(("rqrr alone @640x480", true, rqrr));
        decs.push(("pipeline (QR+DM+1D) @640x480", true, pipe));
        decs.push(("pipeline (QR only, no rqrr) @640x480", true, pipe_nr));
        decs.push(("camera plain frame @640x480", true, pipe_plain));
        decs.push(("camera DM frame @640x480", true, pipe_dm));
        decs.push(("camera QR-retry frame @640x480", true, pipe_qr2));
        decs.push((
            "camera plain frame + viewfinder @640x480",
            true,
            pipe_plain_vf,
        ));
    }
    // totals over the QR folders: (ok, n, wall ms, cpu ms)
    type Tot = (usize, usize, Vec<f64>, Vec<f64>);
    let mut totals: Vec<Tot> = vec![(0, 0, vec![], vec![]); decs.len()];
    println!(
        "{:<18} {:<38} {:>9} {:>9} {:>9} {:>9}",
        "folder", "decoder", "ok", "median", "p95", "cpu-med"
    );
    for folder in &folders {
        let fp = folder.starts_with("falsepositives");
        let imgs: Vec<Img> = common::images(folder)
            .into_iter()
            .filter_map(|p| {
                let (w, h, luma) = load_luma(&p).map_err(|e| eprintln!("{e}")).ok()?;
                let lb = letterbox(w, h, &luma, 640, 480);
                Some(Img {
                    name: p.file_name()?.to_string_lossy().into_owned(),
                    want: common::expected(&p),
                    w,
                    h,
                    luma,
                    lb,
                })
            })
            .collect();
        for (k, (label, boxed, dec)) in decs.iter().enumerate() {
            let mut ok = 0;
            let mut times = Vec::new();
            let mut cpu = Vec::new();
            for im in &imgs {
                let (w, h, l) = if *boxed {
                    (640, 480, &im.lb)
                } else {
                    (im.w, im.h, &im.luma)
                };
                let t = Instant::now();
                let c = thread_cpu_ms();
                let found = dec(w, h, l);
                cpu.push(thread_cpu_ms() - c);
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                let good = if fp {
                    found.is_empty()
                } else {
                    im.want
                        .as_ref()
                        .is_some_and(|w| found.iter().any(|d| &d.text == w))
                };
                ok += good as usize;
                if verbose && !good {
                    let got: Vec<_> = found
                        .iter()
                        .map(|d| d.text.chars().take(40).collect::<String>())
                        .collect();
                    eprintln!("  MISS {folder}/{} [{label}] got {got:?}", im.name);
                }
            }
            if !fp && common::QR_FOLDERS.contains(&folder.as_str()) {
                totals[k].0 += ok;
                totals[k].1 += imgs.len();
                totals[k].2.extend(times.iter());
                totals[k].3.extend(cpu.iter());
            }
            let label2 = if fp {
                format!("{label} [clean]")
            } else {
                label.to_string()
            };
            println!(
                "{:<18} {:<38} {:>5}/{:<3} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
                folder,
                label2,
                ok,
                imgs.len(),
                pct(&mut times.clone(), 0.5),
                pct(&mut times, 0.95),
                pct(&mut cpu, 0.5)
            );
        }
    }
    // Shelves of tags: how many of the codes in view a camera frame reads.
    println!("\nShelves (2-12 QR tags of mixed sizes per 640x480 frame, seeded):");
    // 22 under `cargo test` (a smoke run) or with --quick, 110 under `cargo bench`.
    let frames = shelves(if smoke { 22 } else { 110 });
    for (label, dec) in [
        ("pipeline (QR+DM+1D)", pipe),
        ("camera plain frame", pipe_plain),
    ] {
        let (mut read, mut shown, mut times) = (0, 0, Vec::new());
        for (px, tags) in &frames {
            let t = Instant::now();
            let found = dec(640, 480, px);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            shown += tags.len();
            read += tags
                .iter()
                .filter(|t| found.iter().any(|d| &d.text == *t))
                .count();
        }
        println!(
            "{:<18} {:<38} {:>5}/{:<4} {:>6.1}%  median {:>6.2}ms  p95 {:>6.2}ms",
            "shelves",
            label,
            read,
            shown,
            100.0 * read as f64 / shown as f64,
            pct(&mut times.clone(), 0.5),
            pct(&mut times, 0.95)
        );
    }

    println!("\nQR folders 1-6 together:");
    print_totals(&decs, &mut totals);
}

fn print_totals(decs: &[(&str, bool, Dec)], totals: &mut [(usize, usize, Vec<f64>, Vec<f64>)]) {
    for (k, (label, _, _)) in decs.iter().enumerate() {
        let (ok, n, t, c) = &mut totals[k];
        println!(
            "{:<18} {:<38} {:>5}/{:<3} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            "qrcode-1..6",
            label,
            ok,
            n,
            pct(&mut t.clone(), 0.5),
            pct(t, 0.95),
            pct(c, 0.5)
        );
    }
}

/// What one decoder made of one frame of the 1D set.
struct Outcome {
    texts: Vec<String>,
    /// time of each decode of the frame (ours: one per configuration it was decoded with)
    ms: Vec<f64>,
}

/// Seed of the 1D camera set: the same frames in every run.
const SET_SEED: u64 = 0x1d_5e7_2026;

/// The 1D camera set: the project, zxing-cpp and zbar on the same frames.
fn one_d_set(smoke: bool, verbose: bool) {
    use common::camera_set::{camera_set, reads, KINDS};
    use std::collections::HashMap;

    let (per_kind, no_code) = if smoke { (3, 4) } else { (60, 60) };
    let frames = camera_set(per_kind, no_code, SET_SEED);
    let full = DecodeConfig::default();
    let one_d_only = DecodeConfig {
        qr: false,
        data_matrix: false,
        ..DecodeConfig::default()
    };
    // each of our decoders: the configurations frame number `i` is decoded with; a frame
    // reads when any of them reads it, and every one of them is timed
    type Runs = Box<dyn Fn(usize) -> Vec<DecodeConfig>>;
    let fixed = |c: DecodeConfig| -> Runs { Box::new(move |_| vec![c.clone()]) };
    let ours: Vec<(&str, Runs)> = if std::env::args().any(|a| a == "--breakdown") {
        let only = |qr, data_matrix, one_d, retries| DecodeConfig {
            qr,
            data_matrix,
            one_d,
            retries,
            ..DecodeConfig::default()
        };
        vec![
            ("QR, no retries", fixed(only(true, false, false, false))),
            ("QR with retries", fixed(only(true, false, false, true))),
            (
                "Data Matrix (thorough)",
                fixed(only(false, true, false, false)),
            ),
            (
                "Data Matrix (quick)",
                fixed(DecodeConfig {
                    data_matrix_thorough: false,
                    ..only(false, true, false, false)
                }),
            ),
            ("1D only", fixed(one_d_only)),
        ]
    } else {
        let cam = full.clone();
        let held = full.clone();
        vec![
            ("project, stills (every search)", fixed(full.clone())),
            (
                "project, camera, 1 frame a code",
                Box::new(move |i| vec![cam.for_frame(i as u64)]),
            ),
            (
                "project, camera, code held 4 frames",
                Box::new(move |_| (0..CAMERA_CYCLE).map(|s| held.for_frame(s)).collect()),
            ),
            ("project, 1D only", fixed(one_d_only)),
        ]
    };
    // decoder name -> frame name -> outcome
    let mut results: HashMap<String, HashMap<String, Outcome>> = HashMap::new();
    for (label, runs) in &ours {
        let per = results.entry(label.to_string()).or_default();
        for (i, f) in frames.iter().enumerate() {
            let mut o = Outcome {
                texts: Vec::new(),
                ms: Vec::new(),
            };
            for cfg in runs(i) {
                let c = thread_cpu_ms();
                let found = decode_luma_with(&cfg, f.w, f.h, &f.px);
                o.ms.push(thread_cpu_ms() - c);
                for d in found {
                    if !o.texts.contains(&d.text) {
                        o.texts.push(d.text);
                    }
                }
            }
            per.insert(f.name.clone(), o);
        }
    }
    let mut decoders: Vec<String> = ours.iter().map(|(l, _)| l.to_string()).collect();
    match references(&frames) {
        Ok(refs) => {
            for (name, per) in refs {
                decoders.push(name.clone());
                results.insert(name, per);
            }
        }
        Err(e) => println!("\n(reference decoders not run: {e})"),
    }
    let main = &decoders[0];

    println!(
        "\n1D camera set: {} frames of 640x480 (seed {SET_SEED:#x}), {per_kind} per symbology, {no_code} with no code",
        frames.len()
    );
    print!("{:<12}", "symbology");
    for d in &decoders {
        print!(" {:>36}", d);
    }
    println!();
    let row = |label: &str, pick: &dyn Fn(&common::camera_set::Frame) -> bool, clean: bool| {
        print!("{label:<12}");
        let set: Vec<_> = frames.iter().filter(|f| pick(f)).collect();
        for d in &decoders {
            let per = &results[d];
            let ok = set
                .iter()
                .filter(|f| {
                    per.get(&f.name).is_some_and(|o| {
                        if clean {
                            o.texts.is_empty()
                        } else {
                            o.texts.iter().any(|t| reads(f, t))
                        }
                    })
                })
                .count();
            print!(" {:>36}", format!("{ok}/{}", set.len()));
        }
        println!();
    };
    for kind in KINDS {
        row(kind.name(), &|f| f.kind == Some(kind), false);
    }
    row("all 1D", &|f| f.kind.is_some(), false);
    println!("frames with no code, clean (nothing read):");
    row("plain", &|f| f.name.starts_with("plain"), true);
    row("textured", &|f| f.name.starts_with("texture"), true);
    print!("{:<12}", "wrong reads");
    for d in &decoders {
        let per = &results[d];
        let wrong: usize = frames
            .iter()
            .map(|f| {
                per.get(&f.name)
                    .map_or(0, |o| o.texts.iter().filter(|t| !reads(f, t)).count())
            })
            .sum();
        print!(" {:>36}", wrong);
    }
    println!("  (codes reported that are not the frame's own)");

    println!("\nTime per 640x480 frame (ms; the project's CPU time on this thread, the references' wall time around the decode call):");
    println!(
        "{:<36} {:>8} {:>8} {:>8} {:>14} {:>14}",
        "decoder", "median", "p95", "max", "median code", "median no code"
    );
    for d in &decoders {
        let per = &results[d];
        // every decode time of the frames `pick` keeps
        let times = |pick: &dyn Fn(&common::camera_set::Frame) -> bool| -> Vec<f64> {
            frames
                .iter()
                .filter(|f| pick(f))
                .filter_map(|f| per.get(&f.name))
                .flat_map(|o| o.ms.iter().copied())
                .collect()
        };
        let all = times(&|_| true);
        let code = times(&|f| f.kind.is_some());
        let none = times(&|f| f.kind.is_none());
        println!(
            "{:<36} {:>8.2} {:>8.2} {:>8.2} {:>14.2} {:>14.2}",
            d,
            pct(&mut all.clone(), 0.5),
            pct(&mut all.clone(), 0.95),
            pct(&mut all.clone(), 1.0),
            pct(&mut code.clone(), 0.5),
            pct(&mut none.clone(), 0.5)
        );
    }
    if verbose {
        for f in &frames {
            let o = &results[main][&f.name];
            let good = match &f.text {
                Some(_) => o.texts.iter().any(|t| reads(f, t)),
                None => o.texts.is_empty(),
            };
            if !good {
                let refs: Vec<String> = decoders[ours.len()..]
                    .iter()
                    .map(|d| {
                        let hit = results[d]
                            .get(&f.name)
                            .is_some_and(|o| o.texts.iter().any(|t| reads(f, t)));
                        format!("{d} {}", if hit { "read" } else { "no" })
                    })
                    .collect();
                eprintln!(
                    "  MISS {} got {:?} [{}] {}",
                    f.name,
                    o.texts,
                    refs.join(", "),
                    f.traits
                );
            }
        }
    }
}

/// zxing-cpp and zbar on the set, in the tests' Python: the frames go to PNG files first.
fn references(
    frames: &[common::camera_set::Frame],
) -> Result<Vec<(String, std::collections::HashMap<String, Outcome>)>, String> {
    use std::collections::HashMap;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("decode-1d-set");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut list = String::new();
    for f in frames {
        image::GrayImage::from_raw(f.w, f.h, f.px.clone())
            .ok_or("frame size")?
            .save(dir.join(format!("{}.png", f.name)))
            .map_err(|e| format!("write {}: {e}", f.name))?;
        list.push_str(&format!("{}\t{}\n", f.name, f.traits));
    }
    std::fs::write(dir.join("frames.txt"), list).map_err(|e| e.to_string())?;
    let py = std::panic::catch_unwind(|| common::python::python("import zxingcpp"))
        .map_err(|_| "the tests' Python environment could not be made".to_string())?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/ref_decode.py");
    let out = std::process::Command::new(py)
        .arg(&script)
        .arg(&dir)
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "ref_decode.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut by: Vec<(String, HashMap<String, Outcome>)> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let dec = v["decoder"].as_str().unwrap_or("?").to_string();
        if let Some(why) = v["missing"].as_str() {
            println!("\n({dec} not run: {why})");
            continue;
        }
        let texts = v["texts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let o = Outcome {
            texts,
            ms: vec![v["ms"].as_f64().unwrap_or(f64::NAN)],
        };
        let file = v["file"].as_str().unwrap_or("?").to_string();
        match by.iter_mut().find(|(d, _)| *d == dec) {
            Some((_, per)) => {
                per.insert(file, o);
            }
            None => by.push((dec, HashMap::from([(file, o)]))),
        }
    }
    Ok(by)
}
