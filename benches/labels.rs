//! Labels: 1,000 labels on Avery L7651 sheets (16 pages of 65) rendered to PDF bytes,
//! timed against a baseline measured in the same run: encoding the same 1,000 QR codes
//! alone. The budget is 2 s for the sheet of 1,000.
//!
//! `cargo bench --bench labels` runs it; without `--bench` (as `cargo test --all-targets`
//! runs it) a smoke run of 20 labels.

use std::time::Instant;

use tagstation::labels::{self, Layout, Options, Subject, Symbol, Symbology};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 1000 } else { 20 };
    let subjects: Vec<Subject> = (1..=n)
        .map(|i| Subject {
            unit: format!("Cordless drill {i:04}"),
            item: "Cordless drill".into(),
            tag: Some(format!("TS-{i:06}")),
            fields: [("Serial".to_string(), format!("SN-{i:05}"))].into(),
        })
        .collect();
    let mut opts = Options::new(Layout::find("l7651").expect("l7651"));
    opts.org = Some("Northwind Workshop".into());
    opts.field = Some("Serial".into());

    let best = |f: &mut dyn FnMut() -> usize| {
        (0..if full { 5 } else { 1 })
            .map(|_| {
                let t = Instant::now();
                let size = f();
                (t.elapsed().as_secs_f64(), size)
            })
            .fold((f64::MAX, 0), |a, b| if b.0 < a.0 { b } else { a })
    };
    let (encode_s, _) = best(&mut || {
        subjects
            .iter()
            .map(|s| {
                Symbol::encode(Symbology::Qr, s.tag.as_deref().unwrap())
                    .unwrap()
                    .width
            })
            .sum()
    });
    let (pdf_s, bytes) = best(&mut || labels::pdf(&subjects, &opts).unwrap().len());
    println!(
        "labels: {n} labels on l7651 to PDF in {pdf_s:.3} s ({bytes} bytes); \
         encoding the {n} QR codes alone {encode_s:.3} s; ratio {:.1}x",
        pdf_s / encode_s
    );
    if full {
        assert!(
            pdf_s < 2.0,
            "1,000 labels took {pdf_s:.3} s, over the 2 s budget"
        );
    }
}
