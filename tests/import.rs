//! Safe bulk edits through the `tagstation` binary: an export imports back unchanged,
//! importing twice does not double stock, a dry run records nothing, spreadsheets'
//! CSV dialects are read; archived items; names and codes compared letter case aside.

mod common;

use common::TempStation;

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(st: &TempStation, args: &[&str]) -> String {
    let o = st.cli(args);
    assert!(o.status.success(), "{args:?}: {}", err(&o));
    out(&o)
}

fn write(st: &TempStation, name: &str, text: &str) -> String {
    let p = st.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// A catalog with what an export has to carry: tags, fields, locations, a unit checked
/// out with a due date, a retired one, a count item.
fn shop(st: &TempStation) {
    st.add_directory();
    let f = write(
        st,
        "shop.csv",
        "item,quantity,unit,asset_tag,location,field:serial\n\
         Gloves,60,,,,\n\
         Laptop,,Laptop 01,LT-1,Office,SN-1\n\
         Laptop,,Laptop 02,LT-2,Office,'-5\n\
         Laptop,,Laptop 03,LT-3,,\n",
    );
    // "Office" is a new location: created because the import is told to.
    let o = st.cli(&["import", &f]);
    assert!(
        err(&o).contains("unknown location \"Office\""),
        "{}",
        err(&o)
    );
    ok(st, &["import", &f, "--create-locations"]);
    ok(
        st,
        &["checkout", "LT-1", "--to", "Ben", "--due", "2031-01-31"],
    );
    ok(st, &["unit", "retire", "LT-3"]);
}

/// The units export with its id columns left out (another station gives its units
/// new ids).
fn without_ids(csv: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let keep: Vec<usize> = (0..headers.len())
        .filter(|i| !["id", "item_id"].contains(&&headers[*i]))
        .collect();
    let mut rows = vec![keep.iter().map(|i| headers[*i].to_string()).collect()];
    for r in rdr.records() {
        let r = r.unwrap();
        rows.push(keep.iter().map(|i| r[*i].to_string()).collect());
    }
    rows
}

#[test]
fn export_units_imports_back_to_the_same_catalog() {
    let a = TempStation::new();
    shop(&a);
    let exported = ok(&a, &["export", "units"]);
    assert!(
        exported.contains("holder") && exported.contains(",Ben,"),
        "{exported}"
    );
    let file = write(&a, "units.csv", &exported);

    // Into the same station: every row matches its unit by id; nothing changes.
    let again = ok(&a, &["import", &file, "--json"]);
    let plan: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(plan["units_created"], 0, "{plan}");
    assert_eq!(plan["units_changed"], 0, "{plan}");
    assert_eq!(
        ok(&a, &["export", "units"]),
        exported,
        "an identical export"
    );

    // Into a new station: the same catalog, the same columns, new ids.
    let b = TempStation::new();
    b.add_directory();
    ok(&b, &["import", &file, "--create-locations"]);
    let back = ok(&b, &["export", "units"]);
    assert_eq!(without_ids(&back), without_ids(&exported));
    let lt1 = b.cli_json(&["unit", "show", "LT-1", "--json"]);
    assert_eq!(lt1["holder"], "Ben");
    assert_eq!(lt1["due"], "2031-01-31");
    let lt2 = b.cli_json(&["unit", "show", "LT-2", "--json"]);
    assert_eq!(lt2["fields"]["serial"], "-5", "the formula guard comes off");

    // A file that would change lending is refused, naming the row; nothing lands.
    let other = exported.replace(",Ben,", ",Ana,");
    let f = write(&a, "other.csv", &other);
    let o = a.cli(&["import", &f]);
    assert_eq!(o.status.code(), Some(2), "a refused file exits 2");
    assert!(
        err(&o).contains("row 2") && err(&o).contains("checkin"),
        "{}",
        err(&o)
    );
    assert_eq!(ok(&a, &["export", "units"]), exported);
}

#[test]
fn importing_the_same_file_twice_sets_the_stock_once() {
    let st = TempStation::new();
    let f = write(
        &st,
        "gloves.csv",
        "item,sku,quantity\nGloves,GL-1,40\nGloves,GL-1,20\n",
    );
    ok(&st, &["import", &f]);
    ok(&st, &["import", &f]);
    let gloves = st.cli_json(&["item", "show", "GL-1", "--json"]);
    assert_eq!(gloves["totals"]["in_stock"], 60);
    // `--mode add` adds: a delivery.
    let delivery = write(&st, "delivery.csv", "item,quantity\ngloves,5\n");
    ok(&st, &["import", &delivery, "--mode", "add"]);
    let gloves = st.cli_json(&["item", "show", "Gloves", "--json"]);
    assert_eq!(gloves["totals"]["in_stock"], 65);
}

#[test]
fn a_dry_run_lists_the_changes_and_records_nothing() {
    let st = TempStation::new();
    st.add_directory();
    ok(&st, &["item", "add", "Gloves", "--quantity", "60"]);
    ok(&st, &["item", "add", "Drill", "--units"]);
    ok(
        &st,
        &[
            "unit",
            "add",
            "Drill",
            "--tag",
            "TS-0001",
            "--location",
            "Van 1",
        ],
    );
    let before = st.cli_json(&["status", "--json"])["last_seq"].clone();
    let f = write(
        &st,
        "plan.csv",
        "item,quantity,unit,asset_tag,location\n\
         Gloves,60,,,\n\
         Glvoes,5,,,\n\
         Drill,,,ts-0001,Shelf A\n\
         Drill,,Drill 02,TS-0002,\n",
    );
    let text = ok(&st, &["import", &f, "--dry-run"]);
    for want in [
        "row 3     new item \"Glvoes\" (count)",
        "\"Gloves\" in_stock 60 → 60 unchanged",
        "\"Drill 01\": location Van 1 → Shelf A",
        "new unit \"Drill 02\" of \"Drill\", tag \"TS-0002\"",
        "dry run, nothing recorded",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    assert_eq!(st.cli_json(&["status", "--json"])["last_seq"], before);
    assert_eq!(
        st.cli_json(&["item", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The dry run checks every rule, as the import would.
    let bad = write(&st, "bad.csv", "item,unit,asset_tag\nSaw,Saw 01,TS-0001\n");
    let o = st.cli(&["import", &bad, "--dry-run"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("row 2"), "{}", err(&o));
}

#[test]
fn semicolon_files_and_mixed_case_headers_import() {
    let st = TempStation::new();
    let f = write(
        &st,
        "excel.csv",
        "\u{feff}Item;SKU;Quantity;Unit;Asset_Tag;Field:Serial\r\n\
         Gloves;GL-1;60;;;\r\n\
         Drill;;;Drill 01;TS-0001;SN 1\r\n",
    );
    ok(&st, &["import", &f]);
    let gloves = st.cli_json(&["item", "show", "Gloves", "--json"]);
    assert_eq!(gloves["totals"]["in_stock"], 60);
    assert_eq!(gloves["sku"], "GL-1");
    let d1 = st.cli_json(&["unit", "show", "TS-0001", "--json"]);
    assert_eq!(d1["fields"]["Serial"], "SN 1");
}

#[test]
fn an_archived_item_is_hidden_refuses_changes_and_keeps_its_history() {
    let st = TempStation::new();
    st.add_directory();
    ok(&st, &["item", "add", "Drill", "--units"]);
    ok(&st, &["unit", "add", "Drill", "--tag", "TS-0001"]);
    ok(&st, &["item", "add", "Gloves", "--quantity", "3"]);
    ok(&st, &["checkout", "TS-0001", "--to", "Ben"]);
    let o = st.cli(&["item", "archive", "Drill"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("Drill 01 (Ben)"), "{}", err(&o));
    ok(&st, &["checkin", "TS-0001"]);
    ok(&st, &["item", "archive", "Drill"]);

    let list = st.cli_json(&["item", "list", "--json"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Gloves"]);
    assert!(ok(&st, &["item", "list", "--all"]).contains("archived"));
    assert!(st
        .cli_json(&["unit", "list", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    assert!(ok(&st, &["scan", "TS-0001"]).contains("ARCHIVED"));
    let o = st.cli(&["scan", "TS-0001", "--status", "damaged"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("archived"), "{}", err(&o));
    let history = st.cli_json(&["history", "TS-0001", "--json"]);
    assert_eq!(
        history.as_array().unwrap().len(),
        3,
        "created, out, in: {history}"
    );

    ok(&st, &["item", "unarchive", "drill"]);
    ok(&st, &["scan", "TS-0001", "--status", "damaged"]);
}

#[test]
fn names_and_codes_are_found_and_unique_letter_case_aside() {
    let st = TempStation::new();
    ok(&st, &["item", "add", "Drill", "--units"]);
    ok(&st, &["unit", "add", "Drill", "--tag", "TS-0001"]);
    let found = st.cli_json(&["scan", "ts-0001", "--json"]);
    assert_eq!(found["unit"]["asset_tag"], "TS-0001", "{found}");
    assert_eq!(
        st.cli_json(&["unit", "show", "drill 01", "--json"])["name"],
        "Drill 01"
    );
    assert_eq!(
        st.cli_json(&["item", "show", "DRILL", "--json"])["name"],
        "Drill"
    );

    let o = st.cli(&["item", "add", "drill"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("already exists"), "{}", err(&o));
    ok(&st, &["unit", "add", "Drill"]);
    let o = st.cli(&["unit", "tag", "Drill 02", "ts-0001"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("already used"), "{}", err(&o));
    let o = st.cli(&["unit", "rename", "Drill 02", "DRILL 01"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}
