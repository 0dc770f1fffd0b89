use super::*;

fn drill(n: usize) -> Subject {
    Subject {
        unit: format!("Drill {n:02}"),
        item: "Drill".into(),
        tag: Some(format!("TS-{n:06}")),
        fields: BTreeMap::from([("Serial".to_string(), format!("SN-{n}"))]),
    }
}

#[test]
fn every_layout_and_code_fits_a_usual_tag() {
    for layout in LAYOUTS {
        for code in Symbology::ALL {
            let mut opts = Options::new(layout);
            opts.code = code;
            opts.org = Some("Northwind Workshop".into());
            opts.field = Some("Serial".into());
            let labels = prepare(&[drill(123)], &opts).unwrap();
            let plan = plan(&labels[0], layout).unwrap();
            assert!(
                plan.module >= code.min_module_mm(),
                "{} {code}",
                layout.name
            );
            // The quiet zone stays on the label.
            let q = code.quiet_zone() as f32 * plan.module;
            assert!(plan.code_x - q >= 0.0, "{} {code}", layout.name);
            let right = plan.code_x + labels[0].symbol.width as f32 * plan.module + q;
            assert!(right <= layout.label_w, "{} {code}", layout.name);
            for l in &plan.lines {
                let w = font::width_em(&l.bytes, l.bold) * l.size_pt * PT;
                assert!(
                    l.x + w <= layout.label_w - layout.padding() + 0.01,
                    "{} {code}: {:?}",
                    layout.name,
                    l.text
                );
                assert!(
                    l.baseline <= layout.label_h,
                    "{} {code}: {:?}",
                    layout.name,
                    l.text
                );
                assert!(l.size_pt >= 4.0, "{} {code}: {:?}", layout.name, l.text);
            }
            let pdf = pdf(&[drill(123)], &opts).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
        }
    }
}

#[test]
fn a_tag_too_long_for_the_code_and_size_names_the_unit() {
    let mut s = drill(1);
    s.tag = Some("TS-".to_string() + &"7".repeat(60));
    let mut opts = Options::new(Layout::find("5267").unwrap());
    opts.code = Symbology::Code128;
    let err = prepare(&[drill(2), s.clone()], &opts).unwrap_err();
    assert!(
        matches!(err, LabelError::TooLong { ref unit, .. } if unit == "Drill 01"),
        "{err}"
    );
    assert!(err.to_string().starts_with("Drill 01: the tag"), "{err}");
    assert!(err.to_string().contains("0.25 mm"), "{err}");
    // Far past what any QR symbol holds.
    s.tag = Some("x".repeat(3000));
    opts.code = Symbology::Qr;
    let err = prepare(&[s], &opts).unwrap_err();
    assert!(err.to_string().contains("largest QR symbol"), "{err}");
    assert!(err.to_string().len() < 200, "the tag is shortened: {err}");
}

#[test]
fn a_missing_field_or_tag_is_an_error_naming_both() {
    let mut opts = Options::new(&LAYOUTS[0]);
    opts.field = Some("Colour".into());
    let err = prepare(&[drill(1)], &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Drill 01: no field \"Colour\" to print (its fields: Serial)"
    );
    opts.field = Some("serial".into());
    let labels = prepare(&[drill(1)], &opts).unwrap();
    assert_eq!(labels[0].lines.last().unwrap().text, "serial: SN-1");
    let mut s = drill(1);
    s.tag = None;
    assert_eq!(
        prepare(&[s], &Options::new(&LAYOUTS[0]))
            .unwrap_err()
            .to_string(),
        "Drill 01: no tag to print"
    );
}

#[test]
fn the_code_holds_the_tag_or_a_url_with_it() {
    let mut opts = Options::new(&LAYOUTS[0]);
    assert_eq!(prepare(&[drill(7)], &opts).unwrap()[0].payload, "TS-000007");
    opts.url = Some("https://hub.example/t/{tag}".into());
    let mut s = drill(7);
    s.tag = Some("A B/7".into());
    assert_eq!(
        prepare(&[s], &opts).unwrap()[0].payload,
        "https://hub.example/t/A%20B%2F7"
    );
    opts.url = Some("https://hub.example/".into());
    assert!(matches!(
        prepare(&[drill(7)], &opts),
        Err(LabelError::UrlWithoutTag(_))
    ));
}

#[test]
fn a_start_position_skips_labels_on_the_first_sheet() {
    let layout = Layout::find("l7163").unwrap();
    let mut opts = Options::new(layout);
    opts.start = 13;
    // 14 a sheet: one label on the first, two on the second.
    let pdf = pdf(&[drill(1), drill(2), drill(3)], &opts).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/Count 2"), "two pages");
    opts.start = 14;
    assert!(matches!(
        prepare(&[drill(1)], &opts),
        Err(LabelError::BadStart { .. })
    ));
}

#[test]
fn zpl_is_one_format_per_label_for_thermal_layouts_only() {
    let mut opts = Options::new(Layout::find("2x1in").unwrap());
    let z = zpl(&[drill(1), drill(2)], &opts).unwrap();
    assert_eq!(z.matches("^XA").count(), 2);
    assert_eq!(z.matches("^XZ").count(), 2);
    assert!(z.contains("^PW406\n^LL203\n"), "{z}");
    assert!(z.contains("^BQN,2,"), "{z}");
    assert!(z.contains("^FDMA,TS-000001^FS"), "{z}");
    opts.code = Symbology::Code128;
    assert!(zpl(&[drill(1)], &opts).unwrap().contains("^BCN,"));
    opts.code = Symbology::DataMatrix;
    assert!(zpl(&[drill(1)], &opts).unwrap().contains("^BXN,"));
    assert!(matches!(
        zpl(&[drill(1)], &Options::new(&LAYOUTS[0])),
        Err(LabelError::NotThermal("l7651"))
    ));
}
