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

use common::labels::{cell, own_decoder, rasterise};
use common::TempStation;
use tagstation::labels::{Layout, Stock, Symbology, LAYOUTS};

/// Units labelled in each check: more than a thermal page, part of a sheet.
const UNITS: usize = 7;

/// A station with one unit-tracked item of `UNITS` tagged units, each with a serial.
fn station() -> TempStation {
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
        &UNITS.to_string(),
    ]);
    run(&["item", "track", "Cordless drill", "--units"]);
    for n in 1..=UNITS {
        let unit = format!("Cordless drill {n:02}");
        run(&["unit", "tag", &unit, &tag(n)]);
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

/// Generate, rasterise at 300 and 203 dpi, cut out every slot of page 1 and decode it.
/// Returns how many labels were checked.
fn check(st: &TempStation, dir: &Path, layout: &Layout, code: Symbology) -> usize {
    let start = if layout.is_roll() { 0 } else { 2 };
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
    let slots = layout.per_page().min(start + UNITS);
    let mut crops = Vec::new();
    let mut expected = BTreeMap::new();
    for dpi in [300, 203] {
        let page = rasterise(&pdf, dpi);
        for slot in 0..slots {
            let crop = cell(&page, layout, slot, dpi);
            let want: Vec<String> = if slot < start {
                vec![]
            } else {
                vec![tag(slot - start + 1)]
            };
            let what = format!("{} {} slot {slot} at {dpi} dpi", layout.name, code.name());
            assert_eq!(own_decoder(&crop), want, "own decoder: {what}");
            let path = dir.join(format!("{}-{}-{dpi}-{slot}.png", layout.name, code.name()));
            crop.save(&path).unwrap();
            expected.insert(path.clone(), (want, what));
            crops.push(path);
        }
    }
    for (path, found) in zxing(&crops) {
        let (want, what) = &expected[&path];
        assert_eq!(&found, want, "zxing-cpp: {what}");
    }
    slots - start
}

#[test]
fn every_layout_and_code_decodes_to_its_tag_with_both_decoders() {
    let st = station();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for layout in LAYOUTS {
        for code in Symbology::ALL {
            checked += check(&st, dir.path(), layout, code);
        }
    }
    let rolls = LAYOUTS
        .iter()
        .filter(|l| matches!(l.stock, Stock::Roll { .. }))
        .count();
    assert_eq!(checked, (LAYOUTS.len() - rolls) * UNITS * 3 + rolls * 3);
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
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("sent 3 label(s) to the printer {addr}")),
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
