//! The `tagstation` binary as people and scripts use it: commands, JSON output,
//! CSV import and export, exit codes and messages.

mod common;

use common::TempStation;

#[test]
fn scan_path_sets_status_and_json_is_stable() {
    let st = TempStation::new();
    assert!(st
        .cli(&[
            "item",
            "add",
            "Drill",
            "--quantity",
            "4",
            "--reorder-point",
            "2"
        ])
        .status
        .success());
    assert!(st
        .cli(&["item", "track", "Drill", "--units"])
        .status
        .success());
    assert!(st
        .cli(&["unit", "tag", "Drill 03", "TS-03"])
        .status
        .success());

    let done = st.cli_json(&["scan", "TS-03", "--status", "damaged", "--json"]);
    assert_eq!(done["unit"]["status"], "damaged");
    assert_eq!(done["unit"]["name"], "Drill 03");

    let items = st.cli_json(&["item", "list", "--json"]);
    let drill = &items[0];
    for key in [
        "id",
        "name",
        "sku",
        "barcode",
        "tracking",
        "reorder_point",
        "totals",
        "total",
        "below_reorder_point",
        "units",
    ] {
        assert!(drill.get(key).is_some(), "item JSON lacks {key}: {drill}");
    }
    assert_eq!(drill["totals"]["in_stock"], 3);
    assert_eq!(drill["totals"]["damaged"], 1);
    assert_eq!(drill["tracking"], "units");

    let history = st.cli_json(&["history", "TS-03", "--json"]);
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "status_changed");
    assert_eq!(last["data"]["to"], "damaged");
    assert_eq!(last["actor"], "tester");
    assert_eq!(last["scan"], "TS-03");
    for key in [
        "event_id",
        "at",
        "clock_synced",
        "station_id",
        "station_seq",
        "applied",
        "conflict",
        "synced",
    ] {
        assert!(last.get(key).is_some(), "history JSON lacks {key}");
    }

    let resolved = st.cli_json(&["scan", "TS-03", "--json"]);
    assert_eq!(resolved["type"], "unit");
    // Unknown: still the JSON answer, with exit code 2 as for every refusal.
    let out = st.cli(&["scan", "NOPE-1", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let unknown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(unknown["type"], "unknown");

    let status = st.cli_json(&["status", "--json"]);
    assert_eq!(status["pending"], 5);
}

#[test]
fn user_errors_exit_2_with_a_message() {
    let st = TempStation::new();
    st.cli(&["item", "add", "Laptop", "--units"]);
    st.cli(&["unit", "add", "Laptop", "--tag", "L1"]);
    let out = st.cli(&["scan", "L9", "--status", "damaged"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tag matches \"L9\""));

    let out = st.cli(&["checkin", "L1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot go from in_stock to in_stock"));

    let out = st.cli(&["item", "adjust", "Laptop", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be edited"));

    let out = st.cli(&["scan", "L1", "--status", "lost"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses unknown statuses");
}

#[test]
fn import_export_round_trip() {
    let st = TempStation::new();
    let csv = st.path().join("catalog.csv");
    std::fs::write(
        &csv,
        "item,sku,barcode,tracking,quantity,status,unit,asset_tag,location,field:serial\n\
         Gloves,GL-1,4006381333931,count,40,,,,,\n\
         Gloves,,,,2,damaged,,,,\n\
         Drill,DR-1,,units,,,Drill 01,TS-0001,Van 1,SN123\n\
         Drill,,,,,,,TS-0002,Shelf A,SN124\n",
    )
    .unwrap();
    let s = st.cli_json(&[
        "import",
        csv.to_str().unwrap(),
        "--create-locations",
        "--json",
    ]);
    assert_eq!(s["items_created"], 2);
    assert_eq!(s["locations_created"], 2);
    assert_eq!(s["units_created"], 2);

    let gloves = st.cli_json(&["scan", "4006381333931", "--json"]);
    assert_eq!(gloves["type"], "item");
    assert_eq!(gloves["item"]["totals"]["in_stock"], 40);
    assert_eq!(gloves["item"]["totals"]["damaged"], 2);
    let d2 = st.cli_json(&["unit", "show", "TS-0002", "--json"]);
    assert_eq!(d2["name"], "Drill 02");
    assert_eq!(d2["fields"]["serial"], "SN124");

    let units = st.cli(&["export", "units"]);
    let text = String::from_utf8(units.stdout).unwrap();
    assert!(text.starts_with("item,unit,asset_tag,status,location"));
    assert!(text.contains("Drill,Drill 01,TS-0001,in_stock,Van 1"));

    // A bad row stops the whole import: nothing from it lands.
    let bad = st.path().join("bad.csv");
    std::fs::write(
        &bad,
        "item,unit,asset_tag\nSaw,Saw 01,S-1\nSaw,Saw 02,TS-0001\n",
    )
    .unwrap();
    let out = st.cli(&["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("row 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items = st.cli_json(&["item", "list", "--json"]);
    assert_eq!(items.as_array().unwrap().len(), 2, "Saw was not created");

    // Exports to files, JSON and CSV history.
    let out = st.path().join("history.json");
    assert!(st
        .cli(&[
            "export",
            "history",
            "--format",
            "json",
            "-o",
            out.to_str().unwrap()
        ])
        .status
        .success());
    let h: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    // 6 changes of items and units, and the 2 locations the import created.
    assert_eq!(h.as_array().unwrap().len(), 8);
    let items_csv = String::from_utf8(st.cli(&["export", "items"]).stdout).unwrap();
    assert!(
        items_csv.contains("Gloves,GL-1,4006381333931,count,,40,0,0,2,0,42"),
        "{items_csv}"
    );
}

/// The demo runs a hub in the binary, and the test reads the hub's store: `hub` only.
#[cfg(feature = "hub")]
#[test]
fn demo_runs_hub_and_station_end_to_end() {
    let keep = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["demo", "--script", "--keep"])
        .arg(keep.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("saved: Drill 01 set to sending"), "{text}");
    assert!(
        text.contains("saved: Gloves now 9 in stock — below reorder point"),
        "{text}"
    );
    assert!(text.contains("Unknown tag UNKNOWN-77"), "{text}");
    assert!(text.contains("station has 0 waiting to sync"), "{text}");
    // The station's scans reached the hub.
    let hub = tagstation::hub::sqlite::SqliteHub::open(&keep.path().join("hub")).unwrap();
    use tagstation::hub::HubStore;
    let drill01 = hub.find_unit("TS-0001").unwrap();
    assert_eq!(drill01.status, tagstation::catalog::Status::Sending);
    let laptop = hub.find_unit("LT-001").unwrap();
    assert_eq!(laptop.status, tagstation::catalog::Status::Damaged);
}

#[test]
fn decode_prints_codes_found_in_images() {
    let img = common::samples_root().join("qrcode-2/#1086.png");
    let out = std::process::Command::new(common::bin())
        .arg("decode")
        .arg(&img)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\tqr\t") && text.contains("H15-03-34"),
        "{text}"
    );
    let out = std::process::Command::new(common::bin())
        .args(["decode", "--json"])
        .arg(&img)
        .arg(common::samples_root().join("falsepositives-1/01.webp"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["codes"][0]["text"], "H15-03-34");
    assert_eq!(v[0]["codes"][0]["symbology"], "qr");
    assert!(v[0]["codes"][0]["center"]["x"].is_number());
    assert_eq!(
        v[1]["codes"].as_array().unwrap().len(),
        0,
        "nothing in a false positive"
    );
    let out = std::process::Command::new(common::bin())
        .args(["decode", "/nonexistent.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
