//! Labels that scan: `tagstation labels` writes a real PDF for every layout and code,
//! `pdftoppm` (Debian's poppler-utils, deploy/test-deps.txt) rasterises its first page at
//! 300 and at 203 dpi, each label's cell is cut out (tests/common/labels.rs), and every
//! label must decode to exactly its tag twice: with the project's own decoder (`tagstation::decode`: rxing
//! and rqrr, which read QR, Data Matrix and Code 128) and with zxing-cpp, an independent
//! C++ decoder from PyPI (tests/labels/decode.py), in the tests' one virtual environment
//! (`TAGSTATION_PY_VENV`, made by scripts/test; else made here under the target dir from
//! tests/requirements.txt). Cells skipped by a start position must stay empty.
//!
//! Native only: rasterising and Python under qemu would be slow, and what is checked is
//! the drawing, the same on every architecture (the aarch64 stage runs the crate's own
//! unit tests).
#![cfg(all(feature = "station", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::cups::{self, Cups};
use common::labels::{cell, own_decoder, rasterise};
use common::TempStation;
use tagstation::labels::{Layout, Stock, Symbology, LAYOUTS};

/// Units labelled in each check: more than a thermal page, part of a sheet.
const UNITS: usize = 7;

/// A station with one unit-tracked item of `UNITS` tagged units, each with a serial.
fn station() -> TempStation {
    let tags: Vec<String> = (1..=UNITS).map(tag).collect();
    station_with(&tags)
}

/// A station with one unit-tracked item of a unit for each of `tags`, each with a serial.
fn station_with(tags: &[String]) -> TempStation {
    let st = TempStation::new();
    let run = |args: &[&str]| {
        let out = st.cli(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["init", "--name", "Label bench"]);
    run(&[
        "item",
        "add",
        "Cordless drill",
        "--quantity",
        &tags.len().to_string(),
    ]);
    run(&["item", "track", "Cordless drill", "--units"]);
    for (n, tag) in (1..).zip(tags) {
        let unit = format!("Cordless drill {n:02}");
        run(&["unit", "tag", &unit, tag]);
        run(&["unit", "field", &unit, "Serial", &format!("SN-{n:04}")]);
    }
    st
}

fn tag(n: usize) -> String {
    format!("TS-{:06}", 120 + n)
}

/// The Python of the test clients, with zxing-cpp.
fn python() -> PathBuf {
    common::python::python("import zxingcpp, PIL")
}

/// Each image's codes as zxing-cpp reads them.
fn zxing(images: &[PathBuf]) -> BTreeMap<PathBuf, Vec<String>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/labels/decode.py");
    let out = Command::new(python())
        .arg(script)
        .args(images)
        .output()
        .expect("run tests/labels/decode.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let texts = v["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["text"].as_str().unwrap().to_string())
                .collect();
            (PathBuf::from(v["path"].as_str().unwrap()), texts)
        })
        .collect()
}

/// Generate labels for the `units` units of `st` (a half-used sheet: from position 2;
/// `full`: a full one), rasterise at 300 and 203 dpi, cut out every slot of page 1 and
/// decode it. Returns how many labels were checked.
fn check(
    st: &TempStation,
    dir: &Path,
    layout: &Layout,
    code: Symbology,
    units: usize,
    full: bool,
) -> usize {
    let start = if layout.is_roll() || full { 0 } else { 2 };
    let pdf = dir.join(format!("{}-{}.pdf", layout.name, code.name()));
    let out = st.cli(&[
        "labels",
        "--all",
        "--layout",
        layout.name,
        "--code",
        code.name(),
        "--start",
        &start.to_string(),
        "--org",
        "Northwind Workshop",
        "--field",
        "Serial",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let slots = layout.per_page().min(start + units);
    let want: Vec<Vec<String>> = (0..slots)
        .map(|slot| {
            if slot < start {
                vec![]
            } else {
                vec![tag(slot - start + 1)]
            }
        })
        .collect();
    let name = format!("{}-{}", layout.name, code.name());
    check_page(&pdf, layout, &want, &[300, 203], dir, &name);
    slots - start
}

/// Rasterise page 1 of `pdf` at each of `dpis`, cut out the cells of slots 0, 1... and
/// check that both decoders read exactly `want[slot]` in each (nothing, for an empty
/// slot). `name` names the PDF in the crops' files and in failures.
fn check_page(
    pdf: &Path,
    layout: &Layout,
    want: &[Vec<String>],
    dpis: &[u32],
    dir: &Path,
    name: &str,
) {
    let mut crops = Vec::new();
    let mut expected = BTreeMap::new();
    for &dpi in dpis {
        let page = rasterise(pdf, dpi);
        for (slot, want) in want.iter().enumerate() {
            let crop = cell(&page, layout, slot, dpi);
            let what = format!("{name} slot {slot} at {dpi} dpi");
            assert_eq!(&own_decoder(&crop), want, "own decoder: {what}");
            let path = dir.join(format!("{name}-{dpi}-{slot}.png"));
            crop.save(&path).unwrap();
            expected.insert(path.clone(), (want, what));
            crops.push(path);
        }
    }
    for (path, found) in zxing(&crops) {
        let (want, what) = &expected[&path];
        assert_eq!(&&found, want, "zxing-cpp: {what}");
    }
}

#[test]
fn every_layout_and_code_decodes_to_its_tag_with_both_decoders() {
    let st = station();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for layout in LAYOUTS {
        for code in Symbology::ALL {
            checked += check(&st, dir.path(), layout, code, UNITS, false);
        }
    }
    let rolls = LAYOUTS
        .iter()
        .filter(|l| matches!(l.stock, Stock::Roll { .. }))
        .count();
    assert_eq!(checked, (LAYOUTS.len() - rolls) * UNITS * 3 + rolls * 3);
}

/// The release check: every label of a full first page of every layout, in every code,
/// read back by both decoders at 300 and 203 dpi (the suite checks a few of each).
/// `cargo test --release --test labels -- --ignored`.
#[test]
#[ignore = "release check: a full page of every layout and code (minutes)"]
fn release_check_every_label_of_a_full_page_decodes() {
    let most = LAYOUTS.iter().map(|l| l.per_page()).max().unwrap();
    let tags: Vec<String> = (1..=most).map(tag).collect();
    let st = station_with(&tags);
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for layout in LAYOUTS {
        for code in Symbology::ALL {
            checked += check(&st, dir.path(), layout, code, most, true);
        }
    }
    let every: usize = LAYOUTS.iter().map(|l| l.per_page()).sum();
    assert_eq!(checked, every * 3);
    eprintln!("release check: {checked} labels, each read by both decoders at 300 and 203 dpi");
}

#[test]
fn a_tag_too_long_for_the_code_and_size_is_refused_naming_the_unit() {
    let st = station();
    let long = format!("TS-{}", "9".repeat(40));
    let out = st.cli(&["unit", "tag", "Cordless drill 03", &long]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = st.path().join("out.pdf");
    let out = st.cli(&[
        "labels",
        "--all",
        "--layout",
        "5267",
        "--code",
        "code128",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Cordless drill 03: the tag"), "{err}");
    assert!(
        err.contains("too long for a Code 128 code on 5267 labels"),
        "{err}"
    );
    assert!(!pdf.exists(), "nothing written");
    // A larger label and a 2D code take it.
    let out = st.cli(&[
        "labels",
        "--all",
        "--layout",
        "l7163",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_field_no_unit_has_is_a_clear_error() {
    let st = station();
    let pdf = st.path().join("out.pdf");
    let out = st.cli(&[
        "labels",
        &tag(1),
        "--field",
        "Colour",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Cordless drill 01: no field \"Colour\" to print (its fields: Serial)"),
        "{err}"
    );
    assert!(!pdf.exists());
    let out = st.cli(&["labels", &tag(1), "--layout", "l9999"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown label layout \"l9999\""));
}

/// `--printer` sends the ZPL to a Zebra printer's raw port: a recorder on loopback gets
/// exactly the ZPL `--zpl --out` writes, one `^XA ... ^XZ` job per label, each field
/// holding its tag. An offline printer is an error naming it.
#[test]
fn zpl_reaches_a_network_printer_and_an_offline_one_is_named() {
    use std::io::Read;
    let st = station();
    let file = st.path().join("labels.zpl");
    let tags: Vec<String> = (1..=3).map(tag).collect();
    let mut args: Vec<&str> = vec!["labels"];
    args.extend(tags.iter().map(String::as_str));
    args.extend(["--layout", "2x1in", "--code", "code128"]);
    let mut to_file = args.clone();
    to_file.extend(["--zpl", "--out", file.to_str().unwrap()]);
    let out = st.cli(&to_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read(&file).unwrap();

    let printer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = printer.local_addr().unwrap().to_string();
    let recorder = std::thread::spawn(move || {
        let (mut s, _) = printer.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    let mut to_printer = args.clone();
    to_printer.extend(["--printer", addr.as_str()]);
    let out = st.cli(&to_printer);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "sent 3 label(s) to the printer zebra:{addr} (ZPL, 2x1in, code128)"
        )),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let got = recorder.join().unwrap();
    assert_eq!(got, written, "the printer got the ZPL the file holds");
    let zpl = String::from_utf8(got).unwrap();
    assert_eq!(zpl.matches("^XA").count(), 3);
    assert_eq!(zpl.matches("^XZ").count(), 3);
    for t in &tags {
        assert!(zpl.contains(t.as_str()), "{t} in {zpl}");
    }

    // Nobody listens there now.
    let offline = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let mut to_offline = args.clone();
    to_offline.extend(["--printer", offline.as_str()]);
    let out = st.cli(&to_offline);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot reach the printer {offline}"))
            && err.contains("Nothing was printed"),
        "{err}"
    );
}

/// `--lp` prints on a real CUPS queue: a private cupsd on loopback whose printer is
/// Debian's cups-pdf (tests/common/cups.rs), which renders each job again through
/// Ghostscript into a PDF file. Page 1 of that file, at 300 dpi, has every label where
/// its layout puts it, A4 and US Letter alike (the queue's default paper is A4), and
/// each decodes to exactly its tag with both decoders. An unknown queue, and CUPS not
/// running, are errors naming the queue, and nothing is printed.
#[test]
fn labels_printed_on_a_cups_queue_decode_to_their_tags() {
    let Some(cups) = Cups::start() else {
        return;
    };
    // The job's title carries the first tag, so this run's PDFs are told from any
    // earlier run's in cups-pdf's folder.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let token = format!("TP{:x}", nanos ^ std::process::id());
    let tags: Vec<String> = (1..=3).map(|n| format!("{token}-{n}")).collect();
    let st = station_with(&tags);
    let dir = tempfile::tempdir().unwrap();
    let server = [("CUPS_SERVER", cups.server.as_str())];
    for (layout, code, start) in [("l7651", "qr", 2), ("5160", "datamatrix", 0)] {
        let mut args = vec!["labels"];
        args.extend(tags.iter().map(String::as_str));
        let start_at = start.to_string();
        args.extend(["--layout", layout, "--code", code, "--start", &start_at]);
        args.extend(["--lp", cups::QUEUE]);
        let out = st.cli_env(&args, &server);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr),
            cups.logs()
        );
        let sent = format!(
            "sent 3 label(s) to the printer cups:tspdf (PDF, {layout}, {code}), job tspdf-"
        );
        assert!(stdout.contains(&sent), "{stdout}");
        let job = stdout.trim().rsplit("job ").next().unwrap();
        let printed = cups.wait_for_pdf(job, &token, std::time::Duration::from_secs(30));
        let pdf = dir.path().join(format!("{layout}.pdf"));
        std::fs::copy(&printed, &pdf).unwrap();
        std::fs::remove_file(&printed).unwrap();

        let layout = Layout::find(layout).unwrap();
        let want: Vec<Vec<String>> = (0..start)
            .map(|_| vec![])
            .chain(tags.iter().map(|t| vec![t.clone()]))
            .collect();
        check_page(
            &pdf,
            layout,
            &want,
            &[300],
            dir.path(),
            &format!("cups-{}", layout.name),
        );
    }

    let fails = |args: &[&str], env: &[(&str, &str)], says: &[&str]| {
        let out = st.cli_env(args, env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("sent"));
        for s in says {
            assert!(err.contains(s), "{s:?} in {err}");
        }
    };
    fails(
        &["labels", &tags[0], "--lp", "nosuchqueue"],
        &server,
        &[
            "there is no printer queue named nosuchqueue",
            "lpstat -p",
            "nothing was printed",
        ],
    );
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    fails(
        &["labels", &tags[0], "--printer", "cups:tspdf"],
        &[("CUPS_SERVER", &nobody)],
        &[
            "cannot print to the queue tspdf: CUPS, the print service, is not running",
            &nobody,
            "nothing was printed",
        ],
    );
    let left: Vec<_> = std::fs::read_dir(Cups::out_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(&token))
        .collect();
    assert!(left.is_empty(), "no other job printed: {left:?}");
}
