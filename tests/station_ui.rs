//! The station UI driven through Slint's testing backend, headless: scans and touches
//! go in, events come out of the real store. Each screen is rendered to a PNG with the
//! software renderer under `<target>/screenshots/` for review.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;
use tagstation::catalog::Status;
use tagstation::door::DoorAction;
use tagstation::event::EventKind;
use tagstation::feedback::RecordingFeedback;
use tagstation::scan::viewfinder::Viewfinder;
use tagstation::store::{Resolved, Store};
use tagstation::ui::{Screen, Settings, StationUi};

fn init_backend() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("testing backend");
}

struct Fixture {
    _station: TempStation,
    ui: StationUi,
    feedback: RecordingFeedback,
    drill: uuid::Uuid,
    drills: Vec<uuid::Uuid>,
}

/// A station with Drill 01..03 (DR-1..3) on Shelf A, Saw 01 (SW-1) on Shelf B, and
/// Gloves counted by barcode 4006381333931 (12 in stock, reorder at 10).
fn fixture(tweak: impl FnOnce(&mut Settings)) -> Fixture {
    init_backend();
    let station = TempStation::new();
    let mut store = station.open();
    directory(&mut store);
    let (drill, drills) = tagged_item(&mut store, "Drill", "DR", 3);
    for u in &drills {
        place(&mut store, drill, *u, "Shelf A");
    }
    let (saw, saws) = tagged_item(&mut store, "Saw", "SW", 1);
    place(&mut store, saw, saws[0], "Shelf B");
    count_item(&mut store, "Gloves", "4006381333931", 12, Some(10));
    let mut settings = Settings {
        station_name: "Shop counter".into(),
        actor: "station:test".into(),
        ..Settings::default()
    };
    tweak(&mut settings);
    let feedback = RecordingFeedback::new();
    let ui = StationUi::new(store, settings, Arc::new(feedback.clone()), None).expect("ui");
    ui.window()
        .window()
        .set_size(slint::PhysicalSize::new(800, 480));
    ui.window().show().expect("show");
    Fixture {
        _station: station,
        ui,
        feedback,
        drill,
        drills,
    }
}

fn find(ui: &StationUi, label: &str) -> Vec<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui.window(), label).collect()
}

/// Touch a button the way a finger does: press and release at its centre.
fn touch(ui: &StationUi, label: &str) {
    let found = find(ui, label);
    let el = found.first().unwrap_or_else(|| {
        panic!(
            "no {label:?} on screen {:?} (message {:?})",
            ui.window().get_screen(),
            ui.window().get_message()
        )
    });
    el.mock_single_click(slint::platform::PointerEventButton::Left);
}

/// Activate an element that may be scrolled out of view (accessibility default action).
fn activate(ui: &StationUi, label: &str) {
    let found = find(ui, label);
    let el = found
        .first()
        .unwrap_or_else(|| panic!("no {label:?} on screen {:?}", ui.window().get_screen()));
    el.invoke_accessible_default_action();
}

fn message(ui: &StationUi) -> String {
    ui.window().get_message().to_string()
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Render the window with the software renderer and write it as a PNG.
fn screenshot(ui: &StationUi, name: &str) {
    let buf = ui.window().window().take_snapshot().expect("snapshot");
    assert_eq!((buf.width(), buf.height()), (800, 480));
    let path = screenshot_dir().join(format!("{name}.png"));
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("png file"));
    let mut enc = png::Encoder::new(file, buf.width(), buf.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("png header");
    w.write_image_data(buf.as_bytes()).expect("png data");
}

fn unit(store: &Store, tag: &str) -> tagstation::store::UnitView {
    match store.resolve(tag).expect("resolve") {
        Resolved::Unit { unit } => unit,
        other => panic!("{tag} resolves to {other:?}"),
    }
}

fn item_total(store: &Store, name: &str, status: Status) -> i64 {
    let item = store.find_item(name).expect("item");
    let v = store.item_view(&item).expect("item view");
    v.totals.get(&status).copied().unwrap_or(0)
}

#[test]
fn scan_card_touch_status_saves_event_and_updates_totals() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    assert_eq!(ui.window().get_screen(), Screen::Scan);
    assert!(
        ui.window()
            .get_sync_text()
            .ends_with("waiting · never synced"),
        "{}",
        ui.window().get_sync_text()
    );
    screenshot(ui, "01-scan");

    ui.on_scan("DR-1\r\n");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    assert_eq!(ui.window().get_unit_name(), "Drill 01");
    assert_eq!(ui.window().get_unit_status(), "IN STOCK");
    screenshot(ui, "02-unit-card");

    let before = ui.with_store(|s| s.info().expect("info").last_seq);
    touch(ui, "Damaged");
    assert!(
        message(ui).starts_with("Saved: Drill 01 set to damaged"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        assert_eq!(unit(s, "DR-1").status, Status::Damaged);
        assert_eq!(s.info().expect("info").last_seq, before + 1);
        assert_eq!(item_total(s, "Drill", Status::Damaged), 1);
        assert_eq!(item_total(s, "Drill", Status::InStock), 2);
        let h = s.history(f.drills[0]).expect("history");
        assert_eq!(h.last().expect("event").kind, "status_changed");
        assert_eq!(h.last().expect("event").actor, "station:test");
    });
    assert_eq!(ui.window().get_unit_status(), "DAMAGED");
    assert_eq!(f.feedback.events(), vec!["success"]);
    screenshot(ui, "03-unit-saved");

    // Check-out is not possible from damaged: the button is disabled, a touch does nothing.
    touch(ui, "Check out");
    assert!(!ui.window().get_show_picker());

    // Idle: back to the scan screen by itself.
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(9));
    assert_eq!(ui.window().get_screen(), Screen::Scan);
}

#[test]
fn unit_card_check_out_move_and_refusal_in_plain_words() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    ui.on_scan("DR-2");
    touch(ui, "Move");
    assert!(ui.window().get_show_picker());
    screenshot(ui, "04-move-picker");
    touch(ui, "Shelf B");
    ui.with_store(|s| assert_eq!(unit(s, "DR-2").location.as_deref(), Some("Shelf B")));

    touch(ui, "Check out");
    touch(ui, "Ben");
    ui.with_store(|s| {
        let u = unit(s, "DR-2");
        assert_eq!(u.status, Status::CheckedOut);
        assert_eq!(u.holder.as_deref(), Some("Ben"));
    });
    assert_eq!(ui.window().get_unit_holder(), "With Ben");
    assert!(f.feedback.events().contains(&"release".to_string()));

    let before = ui.with_store(|s| s.info().expect("info").last_seq);
    // Status buttons are disabled while checked out; check in works.
    touch(ui, "Sending");
    assert_eq!(ui.with_store(|s| s.info().expect("info").last_seq), before);
    touch(ui, "Check in");
    ui.with_store(|s| assert_eq!(unit(s, "DR-2").status, Status::InStock));
}

#[test]
fn kiosk_basket_check_out_then_check_in() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    // Something overdue, visible on the idle screen.
    let overdue_unit = f.drills[2];
    {
        // record through a second connection: the UI's store sees it on its next read
        let mut s = Store::open(f._station.path()).expect("store");
        s.record(cmd(
            f.drill,
            Some(overdue_unit),
            EventKind::CheckedOut {
                holder: "Ana".into(),
                due: Some("2020-01-31".into()),
                holder_id: None,
            },
        ))
        .expect("check out overdue");
    }
    touch(ui, "Check out / in");
    assert_eq!(ui.window().get_screen(), Screen::Kiosk);
    screenshot(ui, "05-kiosk-identify");

    ui.on_scan("B-ANA");
    assert_eq!(ui.window().get_kiosk_person(), "Ana");
    assert!(message(ui).contains("overdue: Drill 03"), "{}", message(ui));
    ui.on_scan("DR-1");
    ui.on_scan("DR-2");
    ui.on_scan("DR-2");
    assert!(message(ui).contains("already in the basket"));
    touch(ui, "1 week");
    screenshot(ui, "06-kiosk-basket");
    touch(ui, "Check out 2");
    let due = ui.with_store(|s| {
        let a = unit(s, "DR-1");
        let b = unit(s, "DR-2");
        assert_eq!(a.status, Status::CheckedOut);
        assert_eq!(b.holder.as_deref(), Some("Ana"));
        assert_eq!(a.due, b.due);
        a.due.expect("due date")
    });
    assert!(due > tagstation::clock::today());
    assert!(
        message(ui).contains("2 units checked out to Ana until"),
        "{}",
        message(ui)
    );
    assert!(f.feedback.events().contains(&"release".to_string()));
    assert_eq!(ui.window().get_screen(), Screen::Scan);
    assert!(
        !find(ui, "OVERDUE Drill 03").is_empty(),
        "overdue list on the idle screen"
    );
    screenshot(ui, "07-scan-overdue");

    // Back in: pick the name instead of the badge.
    touch(ui, "Check out / in");
    touch(ui, "Ana");
    ui.on_scan("DR-1");
    ui.on_scan("DR-2");
    ui.on_scan("DR-3");
    touch(ui, "Check in 3");
    ui.with_store(|s| {
        for t in ["DR-1", "DR-2", "DR-3"] {
            assert_eq!(unit(s, t).status, Status::InStock, "{t}");
        }
        assert!(s.overdue().expect("overdue").is_empty());
    });
}

#[test]
fn kiosk_mode_starts_at_identification_and_cancel_saves_nothing() {
    let f = fixture(|s| s.kiosk = true);
    let ui = &f.ui;
    assert_eq!(ui.window().get_screen(), Screen::Kiosk);
    assert_eq!(ui.window().get_mode_text(), "KIOSK");
    ui.on_scan("DR-1");
    assert!(message(ui).contains("badge"), "{}", message(ui));
    ui.on_scan("B-BEN");
    ui.on_scan("DR-1");
    ui.on_scan("SW-1");
    assert!(ui.window().get_kiosk_can_check_out());
    touch(ui, "Cancel");
    assert_eq!(ui.window().get_kiosk_person(), "");
    ui.with_store(|s| assert_eq!(unit(s, "DR-1").status, Status::InStock));
}

#[test]
fn unknown_tag_attach_or_create_unit() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    {
        let mut s = Store::open(f._station.path()).expect("store");
        untagged_unit(&mut s, f.drill, "Drill 04");
    }
    ui.on_scan("NEW-1");
    assert_eq!(ui.window().get_screen(), Screen::Unknown);
    screenshot(ui, "08-unknown-tag");
    touch(ui, "Drill");
    screenshot(ui, "09-unknown-pick-unit");
    touch(ui, "Drill 04");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    ui.with_store(|s| assert_eq!(unit(s, "NEW-1").name, "Drill 04"));

    // A new unit, named on the on-screen keyboard.
    ui.on_scan("NEW-2");
    touch(ui, "Drill");
    touch(ui, "New unit");
    assert!(ui.window().get_show_keyboard());
    assert_eq!(ui.window().get_keyboard_text(), "Drill 05");
    screenshot(ui, "10-keyboard");
    touch(ui, "Delete");
    touch(ui, "Delete");
    touch(ui, "4");
    touch(ui, "2");
    touch(ui, "keyboard OK");
    ui.with_store(|s| {
        let u = unit(s, "NEW-2");
        assert_eq!(u.name, "Drill 42");
        assert_eq!(u.status, Status::InStock);
    });
    assert_eq!(ui.window().get_unit_name(), "Drill 42");

    ui.on_scan("NOPE-9");
    touch(ui, "Cancel");
    assert_eq!(ui.window().get_screen(), Screen::Scan);

    // A badge is a person, never a tag to attach: its scan opens the kiosk for them.
    ui.on_scan("b-ben");
    assert_eq!(ui.window().get_screen(), Screen::Kiosk);
    assert_eq!(ui.window().get_kiosk_person(), "Ben");
}

#[test]
fn count_item_stepper_receive_consume_damaged() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    ui.on_scan("4006381333931");
    assert_eq!(ui.window().get_screen(), Screen::Count);
    assert_eq!(ui.window().get_count_warning(), "");
    screenshot(ui, "11-count");
    touch(ui, "plus 1");
    touch(ui, "plus 1");
    assert_eq!(ui.window().get_count_qty(), 3);
    touch(ui, "Consume");
    ui.with_store(|s| assert_eq!(item_total(s, "Gloves", Status::InStock), 9));
    assert!(ui
        .window()
        .get_count_warning()
        .contains("Below reorder point (10)"));
    screenshot(ui, "12-count-below-reorder");
    touch(ui, "plus 10");
    touch(ui, "minus 1");
    assert_eq!(ui.window().get_count_qty(), 10);
    touch(ui, "Receive");
    touch(ui, "Mark damaged");
    ui.with_store(|s| {
        assert_eq!(item_total(s, "Gloves", Status::InStock), 18);
        assert_eq!(item_total(s, "Gloves", Status::Damaged), 1);
    });
    assert_eq!(ui.window().get_count_warning(), "");
    // Too many: refused, nothing saved, a plain message.
    for _ in 0..3 {
        touch(ui, "plus 10");
    }
    touch(ui, "Consume");
    assert!(message(ui).contains("There are only 18"), "{}", message(ui));
    ui.with_store(|s| assert_eq!(item_total(s, "Gloves", Status::InStock), 18));
}

#[test]
fn audit_records_found_missing_unexpected() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    touch(ui, "Audit");
    screenshot(ui, "13-audit-pick");
    touch(ui, "Shelf A");
    ui.on_scan("DR-1");
    ui.on_scan("DR-2");
    ui.on_scan("SW-1");
    ui.on_scan("DR-1");
    assert!(message(ui).contains("already scanned"));
    screenshot(ui, "14-audit-progress");
    touch(ui, "Finish audit");
    assert!(
        message(ui).contains("Shelf A: 2 of 3 found, 1 missing, 1 unexpected"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        let field = |t: &str| unit(s, t).fields.get("audit").cloned().unwrap_or_default();
        assert!(field("DR-1").starts_with("found at Shelf A"));
        assert!(field("DR-3").starts_with("missing from Shelf A"));
        assert!(field("SW-1").starts_with("unexpected at Shelf A, recorded at Shelf B"));
        let a = s.audits().expect("audits");
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].2, a[0].3, a[0].4), (2, 1, 1));
    });
    assert_eq!(ui.window().get_screen(), Screen::Scan);
}

#[test]
fn door_mode_with_screen_applies_preset_to_every_scan() {
    let f = fixture(|s| s.door = Some(DoorAction::Status(Status::Sending)));
    let ui = &f.ui;
    assert_eq!(ui.window().get_mode_text(), "DOOR: Sending");
    screenshot(ui, "15-door-idle");
    ui.on_scan("DR-1");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    assert_eq!(ui.window().get_unit_status(), "SENDING");
    screenshot(ui, "16-door-saved");
    ui.on_scan("DR-1");
    assert!(
        message(ui).contains("Nothing to do: already sending"),
        "{}",
        message(ui)
    );
    ui.on_scan("NOPE");
    assert!(message(ui).starts_with("Unknown tag."), "{}", message(ui));
    screenshot(ui, "17-door-error");
    assert_eq!(f.feedback.events(), vec!["success", "error", "error"]);
    ui.with_store(|s| assert_eq!(unit(s, "DR-1").status, Status::Sending));
}

#[test]
fn typed_code_on_the_keyboard_acts_as_a_scan() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    touch(ui, "Type a code");
    for k in ["D", "R", "-", "2"] {
        activate(ui, k);
    }
    assert_eq!(ui.window().get_keyboard_text(), "DR-2");
    touch(ui, "keyboard OK");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    assert_eq!(ui.window().get_unit_name(), "Drill 02");
}

#[test]
fn typed_capitals_find_a_lower_case_tag_and_an_archived_item_says_so() {
    use tagstation::ops::catalog::{archive_item, change_unit, UnitChange};
    use tagstation::ops::Actor;
    let f = fixture(|_| {});
    let ui = &f.ui;
    // Another connection to the same station database changes the catalog.
    let mut other = f._station.open();
    let who = Actor::from("tester");
    let tag = UnitChange::Tag(Some("dr-x2".into()));
    change_unit(&mut other, f.drills[1], tag, &who, None).unwrap();
    let saw = other.find_item("Saw").unwrap();
    archive_item(&mut other, saw.id, true, &who).unwrap();

    ui.on_scan("sw-1");
    assert!(message(ui).contains("Saw is archived"), "{}", message(ui));
    assert_ne!(ui.window().get_screen(), Screen::Unit);

    // The on-screen keyboard types capitals: the same case rule as a scan.
    touch(ui, "Type a code");
    for k in ["D", "R", "-", "X", "2"] {
        activate(ui, k);
    }
    touch(ui, "keyboard OK");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    assert_eq!(ui.window().get_unit_name(), "Drill 02");
}

/// The log without terminal colour codes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn headless_door_mode_end_to_end_through_stdin() {
    use std::io::Write;
    let station = TempStation::new();
    {
        let mut store = station.open();
        tagged_item(&mut store, "Drill", "DR", 2);
    }
    let mut child = std::process::Command::new(bin())
        .args(["--data"])
        .arg(station.path())
        .args(["station", "--headless"])
        .env_remove("TAGSTATION_CONFIG")
        .env("TAGSTATION_DOOR", "sending")
        .env("TAGSTATION_LOG", "info")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start station");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"DR-1\nDR-2\r\nNOPE\n\n")
        .expect("write scans");
    let out = child.wait_with_output().expect("station output");
    let log = strip_ansi(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{log}");
    assert!(log.contains("door: saved"), "{log}");
    assert!(log.contains("door: refused"), "{log}");
    assert!(log.contains("saved=2 refused=1"), "{log}");
    let store = station.open();
    assert_eq!(unit(&store, "DR-1").status, Status::Sending);
    assert_eq!(unit(&store, "DR-2").status, Status::Sending);
    assert_eq!(unit(&store, "DR-2").fields.len(), 0, "nothing else changed");
    let h = store.all_history().expect("history");
    assert_eq!(h.last().expect("event").scan.as_deref(), Some("DR-2"));
}

#[test]
fn station_without_a_display_backend_says_how_to_get_one() {
    if cfg!(any(feature = "desktop", feature = "linuxkms")) {
        return; // this binary has a backend and would open a window
    }
    let station = TempStation::new();
    let out = std::process::Command::new(bin())
        .arg("--data")
        .arg(station.path())
        .arg("station")
        .env_remove("TAGSTATION_CONFIG")
        .env_remove("TAGSTATION_DOOR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run station");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--features desktop"), "{err}");
    assert!(err.contains("--headless"), "{err}");

    // Headless without a door action is refused with what to set.
    let out = std::process::Command::new(bin())
        .arg("--data")
        .arg(station.path())
        .args(["station", "--headless"])
        .env_remove("TAGSTATION_CONFIG")
        .env_remove("TAGSTATION_DOOR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run station");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("station.door"), "{err}");
}

#[test]
fn status_bar_shows_sync_worker_state_with_a_real_hub() {
    init_backend();
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let hub = TestHub::start(hub_dir.path().to_str().expect("path"));
    let station = TempStation::new();
    let mut store = station.open();
    hub.enroll(&mut store, "Counter");
    tagged_item(&mut store, "Laptop", "L", 2);
    let worker = tagstation::sync::Worker::spawn(tagstation::sync::WorkerConfig {
        data_dir: station.path().to_path_buf(),
        interval: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        batch: 100,
    })
    .expect("worker");
    let ui = StationUi::new(
        store,
        Settings::default(),
        Arc::new(RecordingFeedback::new()),
        Some(worker),
    )
    .expect("ui");
    ui.window()
        .window()
        .set_size(slint::PhysicalSize::new(800, 480));
    ui.window().show().expect("show");
    ui.on_scan("L-1");
    touch(&ui, "Sending");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        // The status timer refreshes every second of (mocked) UI time.
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1000));
        if ui.window().get_online() && ui.window().get_sync_text().starts_with("all synced") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never synced: {} / online {}",
            ui.window().get_sync_text(),
            ui.window().get_online()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ui.window().get_sync_text().contains("last "));
    screenshot(&ui, "18-online-synced");
    assert_eq!(hub.stats().units, 2);
}

/// A unit-tracked item whose units carry the given tags; returns the unit ids.
fn item_with_tags(store: &mut Store, name: &str, tags: &[&str]) -> Vec<uuid::Uuid> {
    let (item, _) = tagged_item(store, name, "UNUSED", 0);
    tags.iter()
        .enumerate()
        .map(|(i, tag)| {
            let id = uuid::Uuid::now_v7();
            store
                .record(cmd(
                    item,
                    Some(id),
                    EventKind::UnitCreated {
                        name: format!("{name} {:02}", i + 1),
                        asset_tag: Some(tag.to_string()),
                        status: Status::InStock,
                        location: None,
                        fields: Default::default(),
                        location_id: None,
                    },
                ))
                .expect("create unit");
            id
        })
        .collect()
}

fn hid_recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/hid")
        .join(name)
}

/// The `[[input]]` tables of the config drive a headless door: a recorded HID scanner, a
/// camera fed from image files, a badge reader and a person typing on a scanner port.
#[test]
fn headless_door_reads_every_configured_input() {
    let station = TempStation::new();
    let tags = ["TS-000042", "ASSET-00137/B", "QR-CAM-7"];
    let units = {
        let mut store = station.open();
        item_with_tags(&mut store, "Laptop", &tags)
    };
    // The camera's frames: a real PNG with a QR code, read by the station's decoder.
    let frames = station.path().join("frames");
    std::fs::create_dir_all(&frames).expect("frames dir");
    let mut img = gen::Img::new(480, 360, 255);
    img.blit(
        &gen::code(rxing::BarcodeFormat::QR_CODE, "QR-CAM-7", 6, 0),
        120,
        60,
    );
    img.save_png(&frames.join("0001.png"));
    let config = station.path().join("station.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[station]
door = "sending"

[[input]]
kind = "hid-replay"
name = "item-scanner"
path = "{us}"

[[input]]
kind = "hid-replay"
name = "badge-reader"
role = "badge"
layout = "de"
path = "{de}"

[[input]]
kind = "hid-replay"
name = "counter-keyboard"
path = "{typed}"

[[input]]
kind = "image-folder"
name = "camera0"
path = "{frames}"
"#,
            us = hid_recording("scanner_us.evemu").display(),
            de = hid_recording("scanner_de.evemu").display(),
            typed = hid_recording("typing_slow.evemu").display(),
            frames = frames.display(),
        ),
    )
    .expect("config");
    let out = std::process::Command::new(bin())
        .arg("--data")
        .arg(station.path())
        .arg("--config")
        .arg(&config)
        .args(["station", "--headless"])
        .env_remove("TAGSTATION_CONFIG")
        .env_remove("TAGSTATION_DOOR")
        .env("TAGSTATION_LOG", "info")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run station");
    let log = strip_ansi(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{log}");
    // Three tags saved once each; "hello World 9" is not in the catalog; the typed code is
    // refused as typing; the badge reader's codes (one of them a unit's tag) change nothing.
    assert!(log.contains("saved=3 refused=2"), "{log}");
    assert!(log.contains("typing speed"), "{log}");
    assert!(log.contains("badge scan ignored"), "{log}");
    let store = station.open();
    for (tag, id) in tags.iter().zip(&units) {
        assert_eq!(unit(&store, tag).status, Status::Sending, "{tag}");
        let changes = store
            .history(*id)
            .expect("history")
            .iter()
            .filter(|h| matches!(h.data, EventKind::StatusChanged { .. }))
            .count();
        assert_eq!(changes, 1, "{tag} changed exactly once");
    }
}

/// Events from real inputs reach the screen: a badge reader identifies a person and never
/// touches a unit, typing on a scanner port and an unplugged scanner are said in plain words.
#[test]
fn scanner_events_reach_the_screen() {
    use tagstation::scan::config::{InputConfig, InputKind};
    use tagstation::scan::hid::Layout;
    use tagstation::scan::{Emitter, ScanRole, SourceStatus};
    let f = fixture(|s| s.kiosk = true);
    let (tx, rx) = std::sync::mpsc::channel();
    InputConfig {
        name: "counter-keyboard".into(),
        role: ScanRole::Item,
        kind: InputKind::HidReplay {
            path: hid_recording("typing_slow.evemu"),
            layout: Layout::Us,
            max_gap_ms: 30,
            pace: false,
        },
    }
    .start(tx)
    .expect("start replay");
    // the channel closes when the replay has ended
    let typed: Vec<_> = rx.iter().collect();
    assert!(!typed.is_empty());
    for ev in &typed {
        f.ui.input(ev);
    }
    assert_eq!(message(&f.ui), "Please scan the code instead of typing it.");

    // A unit's tag read by the badge reader is not a badge, and the unit stays as it was.
    let (tx, rx) = std::sync::mpsc::channel();
    let badge = Emitter::new("badge-reader", ScanRole::Badge, tx);
    assert!(badge.raw(b"DR-1", None));
    f.ui.input(&rx.recv().expect("badge event"));
    assert!(
        message(&f.ui).contains("badge is not known"),
        "{}",
        message(&f.ui)
    );
    f.ui.with_store(|s| {
        assert_eq!(unit(s, "DR-1").status, Status::InStock);
    });

    assert!(badge.raw(b"B-ANA", None));
    f.ui.input(&rx.recv().expect("badge event"));
    assert!(
        message(&f.ui).starts_with("Hello Ana"),
        "{}",
        message(&f.ui)
    );

    assert!(badge.status(SourceStatus::Disconnected("/dev/input/event7".into())));
    f.ui.input(&rx.recv().expect("status event"));
    assert!(
        message(&f.ui).contains("badge-reader is not connected"),
        "{}",
        message(&f.ui)
    );
    screenshot(&f.ui, "scanner-unplugged");
}

/// Scan events from another thread travel on the UI's channel: queued by the feeder,
/// handled on the UI thread when it drains the channel (the event loop does when woken).
#[test]
fn scan_events_from_another_thread_arrive_through_the_channel() {
    use tagstation::scan::{Emitter, ScanRole};
    let f = fixture(|s| s.kiosk = true);
    let (tx, rx) = std::sync::mpsc::channel();
    let badge = Emitter::new("badge-reader", ScanRole::Badge, tx.clone());
    let scanner = Emitter::new("item-scanner", ScanRole::Item, tx);
    assert!(badge.raw(b"B-ANA", None));
    assert!(scanner.raw(b"DR-1", None));
    let events = [rx.recv().expect("badge"), rx.recv().expect("scan")];
    let feeder = f.ui.feeder();
    std::thread::spawn(move || {
        for ev in events {
            // no event loop runs in this test: the wake-up is not delivered
            let _ = feeder.send(ev);
        }
    })
    .join()
    .expect("sender thread");
    assert_eq!(
        f.ui.window().get_kiosk_person(),
        "",
        "nothing before the drain"
    );
    f.ui.drain_inputs();
    assert_eq!(f.ui.window().get_kiosk_person(), "Ana");
    assert_eq!(message(&f.ui), "Drill 01 added to the basket.");
    assert_eq!(f.ui.window().get_kiosk_check_out_text(), "Check out 1");
}

/// The station's label printer at `to` (`zebra:HOST:PORT`), 50×25 mm QR labels.
fn label_printer(to: String) -> Option<tagstation::label::LabelPrinter> {
    tagstation::label::LabelPrinter::from_config(&tagstation::config::LabelsConfig {
        printer: Some(to),
        ..Default::default()
    })
    .expect("printer settings")
}

/// A Zebra printer's raw port on loopback: its address, and the one job it receives.
fn zebra_recorder() -> (std::net::SocketAddr, std::thread::JoinHandle<String>) {
    use std::io::Read;
    let printer = std::net::TcpListener::bind("127.0.0.1:0").expect("printer port");
    let address = printer.local_addr().expect("address");
    let received = std::thread::spawn(move || {
        let (mut job, _) = printer.accept().expect("a print job");
        let mut bytes = Vec::new();
        job.read_to_end(&mut bytes).expect("the job's bytes");
        String::from_utf8(bytes).expect("ZPL is text")
    });
    (address, received)
}

/// "Print label" on the card of a unit just registered: its label goes to the station's
/// printer (a Zebra's raw port, here a recorder on loopback) without holding up the
/// screen, and the screen says so.
#[test]
fn print_label_after_registering_a_unit_reaches_the_printer() {
    let (address, received) = zebra_recorder();
    let f = fixture(|s| s.labels = label_printer(format!("zebra:{address}")));
    let ui = &f.ui;
    ui.on_scan("NEW-7");
    touch(ui, "Drill");
    touch(ui, "New unit");
    touch(ui, "keyboard OK");
    assert_eq!(ui.window().get_unit_name(), "Drill 04");
    assert!(ui.window().get_unit_can_print());
    touch(ui, "Print label");
    assert_eq!(
        message(ui),
        "Printing the label…",
        "the screen does not wait"
    );
    let zpl = received.join().expect("recorder");
    assert!(
        zpl.starts_with("^XA") && zpl.trim_end().ends_with("^XZ"),
        "{zpl}"
    );
    assert!(zpl.contains("NEW-7") && zpl.contains("Drill 04"), "{zpl}");
    let said = wait_for_message(ui, "Label for");
    assert_eq!(
        said,
        format!("Label for Drill 04 sent to the printer zebra:{address}.")
    );
    assert_eq!(
        f.feedback.events().last().map(String::as_str),
        Some("success")
    );
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    screenshot(ui, "14-print-label");
}

/// Nobody listening at the printer's address: the bottom line says the label was not
/// printed and why, with the error signal.
#[test]
fn an_offline_label_printer_is_said_in_plain_words() {
    let offline = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address");
    let f = fixture(|s| s.labels = label_printer(format!("zebra:{offline}")));
    f.ui.on_scan("DR-1");
    touch(&f.ui, "Print label");
    let said = wait_for_message(&f.ui, "Label for");
    assert!(
        said.starts_with("Label for Drill 01 not printed: cannot reach the printer"),
        "{said}"
    );
    assert_eq!(
        f.feedback.events().last().map(String::as_str),
        Some("error")
    );
}

/// A station without a printer shows no "Print label".
#[test]
fn without_a_printer_the_card_has_no_print_button() {
    let f = fixture(|_| {});
    f.ui.on_scan("DR-1");
    assert!(!f.ui.window().get_unit_can_print());
    assert!(find(&f.ui, "Print label").is_empty());
}

/// Drain the UI's channel until the bottom line starts with `prefix` (at most 20 s).
fn wait_for_message(ui: &StationUi, prefix: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        ui.drain_inputs();
        let said = message(ui);
        if said.starts_with(prefix) {
            return said;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited 20 s for {prefix:?}; the screen says {said:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// "New unit" on the scan screen: the unit gets the next of the station's leased tags,
/// offline, and its label prints at once; with few tags left the screen warns.
#[test]
fn a_new_unit_takes_the_next_leased_tag_and_prints_its_label() {
    use tagstation::tags::{TagBlock, TagPattern};
    let (address, received) = zebra_recorder();
    let f = fixture(|s| s.labels = label_printer(format!("zebra:{address}")));
    let ui = &f.ui;
    assert!(!ui.window().get_scan_can_new_tagged(), "no tags leased yet");
    let tag = {
        let mut s = Store::open(f._station.path()).expect("store");
        let pattern = TagPattern {
            prefix: "TS-".into(),
            digits: 6,
            check_digit: true,
        };
        s.add_tag_block(&TagBlock {
            pattern: pattern.clone(),
            first: 41,
            last: 44,
        })
        .expect("block");
        pattern.format(41)
    };
    // The next screen drawn offers it.
    ui.on_scan("DR-1");
    touch(ui, "Done");
    assert!(ui.window().get_scan_can_new_tagged());
    screenshot(ui, "15-scan-with-new-tags");
    touch(ui, "New unit");
    assert_eq!(ui.window().get_screen(), Screen::Unknown);
    assert_eq!(
        ui.window().get_unknown_prompt(),
        "Which item is it? (4 new tags left here)"
    );
    screenshot(ui, "16-new-unit-item");
    touch(ui, "Saw");
    assert_eq!(ui.window().get_keyboard_text(), "Saw 02");
    touch(ui, "keyboard OK");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    assert_eq!(ui.window().get_unit_name(), "Saw 02");
    assert_eq!(tag, "TS-0000414", "41 and its Luhn check digit");
    ui.with_store(|s| assert_eq!(unit(s, &tag).name, "Saw 02"));
    assert_eq!(
        message(ui),
        format!("Saved: new unit Saw 02 with tag {tag}. Only 3 new tags left: connect to the hub to get more.")
    );
    let zpl = received.join().expect("recorder");
    assert!(zpl.contains(&tag) && zpl.contains("Saw 02"), "{zpl}");
    let said = wait_for_message(ui, "Label for");
    assert_eq!(
        said,
        format!("Label for Saw 02 sent to the printer zebra:{address}.")
    );
    ui.with_store(|s| assert_eq!(s.new_tags_left().expect("left"), 3));
}

/// Press and release each key in the window, as a keyboard (or a keyboard-wedge
/// scanner, which is one) does.
fn type_keys(ui: &StationUi, keys: &[&str]) {
    use slint::platform::WindowEvent;
    for k in keys {
        let text: slint::SharedString = (*k).into();
        ui.window()
            .window()
            .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        ui.window()
            .window()
            .dispatch_event(WindowEvent::KeyReleased { text });
    }
}

/// A keyboard-wedge scanner on a desktop types its code into the window and presses
/// Return: that is a scan, on any screen, and after touches. With the on-screen
/// keyboard open, a physical keyboard types into it.
#[test]
fn a_keyboard_wedge_scanner_typing_into_the_window_is_a_scan() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let shift = "\u{10}";
    type_keys(ui, &[shift, "D", shift, "R", "-", "2", "\n"]);
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    assert_eq!(ui.window().get_unit_name(), "Drill 02");

    // After a touch the keys still arrive: buttons do not take the focus.
    touch(ui, "Damaged");
    type_keys(ui, &["S", "W", "-", "1", "\n"]);
    assert_eq!(ui.window().get_unit_name(), "Saw 01");
    ui.with_store(|s| assert_eq!(unit(s, "DR-2").status, Status::Damaged));

    // The on-screen keyboard takes typed keys as they are; Return is its OK.
    touch(ui, "Done");
    touch(ui, "Type a code");
    type_keys(ui, &["D", "R", "-", "3"]);
    assert_eq!(ui.window().get_keyboard_text(), "DR-3");
    screenshot(ui, "21-typed-into-keyboard");
    type_keys(ui, &["\n"]);
    assert!(!ui.window().get_show_keyboard());
    assert_eq!(ui.window().get_unit_name(), "Drill 03");
}

/// Run a folder of camera frames (real image files) through the camera pipeline, as a
/// camera input with the viewfinder, and hand its scans to the UI.
fn camera_sees(ui: &StationUi, frames: &std::path::Path, vf: &Viewfinder) {
    use tagstation::scan::config::{CameraTuning, InputConfig, InputKind};
    let (tx, rx) = std::sync::mpsc::channel();
    let camera = InputConfig {
        name: "camera".into(),
        role: tagstation::scan::ScanRole::Item,
        kind: InputKind::ImageFolder {
            path: frames.to_path_buf(),
            fps: None,
            repeat: 1,
            tuning: CameraTuning::default(),
        },
    };
    assert!(camera.is_camera());
    camera
        .start_with(tx, Some(vf))
        .expect("camera input")
        .join()
        .expect("camera thread");
    for ev in rx.try_iter() {
        ui.input(&ev);
    }
}

/// The viewfinder shows what the camera sees, each code outlined, on the audit screen;
/// every code in view counts as found, so one look at a shelf audits it. With no new
/// picture for two seconds (the camera stopped) the viewfinder hides.
#[test]
fn the_viewfinder_shows_the_shelf_and_one_look_audits_it() {
    use common::gen::{code, Img};
    use slint::Model;
    let f = fixture(|_| {});
    let ui = &f.ui;
    let vf = Viewfinder::new();
    ui.attach_viewfinder(vf.clone());
    assert!(!ui.window().get_viewfinder_on(), "no picture yet");

    // Shelf A in one frame: Drill 01..03's tags, as the labels print them (QR).
    let frames = tempfile::tempdir().unwrap();
    let mut shelf = Img::new(640, 480, 225);
    for (i, tag) in ["DR-1", "DR-2", "DR-3"].iter().enumerate() {
        let qr = code(rxing::BarcodeFormat::QR_CODE, tag, 5, 0);
        shelf.blit(&qr, 30 + i as u32 * 200, 60 + (i as u32 % 2) * 190);
    }
    shelf.save_png(&frames.path().join("shelf.png"));

    touch(ui, "Audit");
    touch(ui, "Shelf A");
    camera_sees(ui, frames.path(), &vf);
    i_slint_backend_testing::mock_elapsed_time(tagstation::ui::viewfinder::REDRAW);
    assert!(ui.window().get_viewfinder_on());
    assert_eq!(find(ui, "Viewfinder").len(), 1);
    let seen: Vec<String> = ui
        .window()
        .get_audit_seen()
        .iter()
        .map(|l| l.title.to_string())
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        ui.window().get_audit_missing().row_count() == 0,
        "everything on the shelf was found"
    );
    screenshot(ui, "22-audit-shelf-in-the-viewfinder");

    // The picture: the shelf's grey, each code outlined in green.
    let picture = ui
        .window()
        .get_viewfinder()
        .to_rgb8()
        .expect("an RGB picture");
    assert_eq!((picture.width(), picture.height()), (320, 240));
    let green = picture
        .as_slice()
        .iter()
        .filter(|p| p.g > 200 && p.r < 100 && p.b < 120)
        .count();
    assert!(green > 3 * 100, "three outlines, {green} green pixels");

    // The scan screen shows it too (a frame with no code: a code would open its
    // card); then the camera stops and it hides.
    touch(ui, "Cancel");
    assert_eq!(ui.window().get_screen(), Screen::Scan);
    let empty = tempfile::tempdir().unwrap();
    let mut wall = Img::new(640, 480, 0);
    for (i, p) in wall.px.iter_mut().enumerate() {
        *p = ((i % 640) / 3 + (i / 640) / 4) as u8;
    }
    wall.save_png(&empty.path().join("wall.png"));
    // The decode thread makes at most 15 pictures a second (real time).
    std::thread::sleep(Duration::from_millis(70));
    camera_sees(ui, empty.path(), &vf);
    i_slint_backend_testing::mock_elapsed_time(tagstation::ui::viewfinder::REDRAW);
    screenshot(ui, "23-scan-screen-viewfinder");
    assert_eq!(find(ui, "Viewfinder").len(), 1);
    let picture = ui
        .window()
        .get_viewfinder()
        .to_rgb8()
        .expect("an RGB picture");
    assert!(
        picture.as_slice().iter().all(|p| p.r == p.g && p.g == p.b),
        "the wall's picture, grey, nothing outlined"
    );
    for _ in 0..20 {
        i_slint_backend_testing::mock_elapsed_time(tagstation::ui::viewfinder::REDRAW);
    }
    assert!(!ui.window().get_viewfinder_on());
}

/// Reserve the unit with this tag for `person`, from `from` to `to` days from today,
/// through a second connection (the UI's store sees it on its next read).
fn reserve_unit(f: &Fixture, tag: &str, person: &str, from: i64, to: i64) {
    use tagstation::ops::reservations::{reserve, NewReservation};
    let mut s = Store::open(f._station.path()).expect("store");
    let new = NewReservation {
        units: vec![tag.into()],
        person: person.into(),
        starts: tagstation::clock::in_days(from),
        ends: Some(tagstation::clock::in_days(to)),
        ..NewReservation::default()
    };
    reserve(&mut s, new, &tagstation::ops::Actor::from("setup")).expect("reserve");
}

fn unit_reservations(ui: &StationUi) -> Vec<String> {
    use slint::Model;
    ui.window()
        .get_unit_reservations()
        .iter()
        .map(|r| r.to_string())
        .collect()
}

/// The reservation overrides recorded for `unit`, each with its holder's id.
fn overrides(store: &Store, unit: uuid::Uuid) -> Vec<uuid::Uuid> {
    store
        .log()
        .expect("log")
        .into_iter()
        .filter_map(|e| match e.event.kind {
            EventKind::ReservationOverridden { unit_id, holder_id } if unit_id == unit => {
                Some(holder_id)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_reserved_unit_says_so_and_lends_to_someone_else_only_when_told() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let day = tagstation::clock::in_days;
    reserve_unit(&f, "DR-1", "Ana", 1, 3);
    reserve_unit(&f, "DR-1", "Ana", 20, 20);

    // The card shows the next reservations.
    ui.on_scan("DR-1");
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    let ana = format!("Reserved for Ana, {} to {}", day(1), day(3));
    assert_eq!(
        unit_reservations(ui),
        [ana.clone(), format!("Reserved for Ana, {}", day(20))]
    );
    assert!(!find(ui, &ana).is_empty(), "on screen");
    screenshot(ui, "24-unit-card-reserved");
    ui.on_scan("DR-2");
    assert!(unit_reservations(ui).is_empty());

    // To Ben: refused, and the warning names Ana's reservation.
    ui.on_scan("DR-1");
    let before = ui.with_store(|s| s.info().expect("info").last_seq);
    touch(ui, "Check out");
    touch(ui, "Ben");
    assert!(ui.window().get_show_reserved());
    assert!(!ui.window().get_show_picker());
    let text = ui.window().get_reserved_text().to_string();
    let held = format!(
        "Drill 01 is reserved for Ana from {} to {}.",
        day(1),
        day(3)
    );
    assert!(text.starts_with(&held), "{text}");
    assert!(ui.window().get_reserved_can_override());
    assert!(!find(ui, "Lend anyway").is_empty(), "offered");
    assert!(f.feedback.events().contains(&"warning".to_string()));
    ui.with_store(|s| {
        assert_eq!(unit(s, "DR-1").status, Status::InStock);
        assert_eq!(s.info().expect("info").last_seq, before, "nothing recorded");
    });
    screenshot(ui, "25-reserved-warning");

    // Cancel leaves it as it is.
    touch(ui, "reservation Cancel");
    assert!(!ui.window().get_show_reserved());
    assert_eq!(ui.window().get_screen(), Screen::Unit);
    ui.with_store(|s| assert_eq!(s.info().expect("info").last_seq, before));

    // Lend anyway: checked out to Ben, each broken reservation's override recorded.
    touch(ui, "Check out");
    touch(ui, "Ben");
    touch(ui, "Lend anyway");
    assert!(!ui.window().get_show_reserved());
    assert_eq!(
        message(ui),
        "Saved: Drill 01 checked out to Ben over a reservation (override recorded)."
    );
    ui.with_store(|s| {
        let u = unit(s, "DR-1");
        assert_eq!(u.status, Status::CheckedOut);
        assert_eq!(u.holder.as_deref(), Some("Ben"));
        let ben = s.find_person("Ben").expect("Ben").id;
        assert_eq!(overrides(s, u.id), [ben, ben], "both of Ana's reservations");
        let log = s.log().expect("log");
        let last = log.last().expect("events");
        assert!(
            matches!(last.event.kind, EventKind::ReservationOverridden { .. }),
            "recorded with the check-out: {:?}",
            last.event.kind
        );
        assert_eq!(last.event.actor, "station:test");
        assert_eq!(s.info().expect("info").last_seq, before + 3);
    });
    assert!(f.feedback.events().contains(&"release".to_string()));
    // Ana's reservations still stand: the card still says so.
    assert_eq!(unit_reservations(ui).len(), 2);
    screenshot(ui, "26-lent-over-a-reservation");
}

#[test]
fn at_the_kiosk_a_borrower_cannot_lend_over_a_reservation_and_an_operator_can() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    reserve_unit(&f, "DR-1", "Ana", 0, 2);
    {
        use tagstation::ops::{people, Actor};
        use tagstation::people::{PersonFields, Role};
        let mut s = Store::open(f._station.path()).expect("store");
        let olga = PersonFields {
            name: "Olga".into(),
            badges: vec!["B-OLGA".into()],
            email: None,
            role: Role::Operator,
            active: true,
            max_checkouts: None,
            loan_days: None,
        };
        people::add_person(&mut s, olga, &Actor::from("setup")).expect("add Olga");
    }
    let before = ui.with_store(|s| s.info().expect("info").last_seq);

    // Ben takes Drill 01 for himself: warned, no way past it but an operator.
    ui.on_scan("B-BEN");
    ui.on_scan("DR-1");
    touch(ui, "Check out 1");
    assert!(ui.window().get_show_reserved());
    assert!(!ui.window().get_reserved_can_override());
    assert!(find(ui, "Lend anyway").is_empty());
    let text = ui.window().get_reserved_text().to_string();
    assert!(
        text.contains("reserved for Ana")
            && text.ends_with("Only an operator may lend it anyway: ask one."),
        "{text}"
    );
    screenshot(ui, "27-kiosk-reserved-borrower");
    touch(ui, "reservation Cancel");
    assert_eq!(ui.window().get_kiosk_person(), "Ben");
    ui.with_store(|s| assert_eq!(s.info().expect("info").last_seq, before));

    // Olga, an operator, lends it anyway: recorded as hers.
    touch(ui, "Cancel");
    ui.on_scan("B-OLGA");
    ui.on_scan("DR-1");
    touch(ui, "Check out 1");
    assert!(ui.window().get_reserved_can_override());
    touch(ui, "Lend anyway");
    assert!(
        message(ui).starts_with("Saved: 1 unit checked out to Olga"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        let u = unit(s, "DR-1");
        assert_eq!(u.holder.as_deref(), Some("Olga"));
        let olga = s.find_person("Olga").expect("Olga").id;
        assert_eq!(overrides(s, u.id), [olga]);
        let log = s.log().expect("log");
        assert_eq!(log.last().expect("events").event.actor, "Olga");
    });
}

const KIT_TAGS: [&str; 4] = ["CB-1", "LN-1", "LN-2", "BT-1"];

/// Camera kit A (KIT-A): Camera body 01 (CB-1), Lens 01 and 02 (LN-1, LN-2) and
/// Battery 01 (BT-1), all in Van 1, made through a second connection; its units' ids.
fn camera_kit(f: &Fixture) -> Vec<uuid::Uuid> {
    use tagstation::ops::kits::{add_kit, NewKit};
    let mut s = Store::open(f._station.path()).expect("store");
    let mut units = Vec::new();
    for (name, prefix, n) in [
        ("Camera body", "CB", 1),
        ("Lens", "LN", 2),
        ("Battery", "BT", 1),
    ] {
        let (item, ids) = tagged_item(&mut s, name, prefix, n);
        for u in &ids {
            place(&mut s, item, *u, "Van 1");
        }
        units.extend(ids);
    }
    let kit = NewKit {
        name: "Camera kit A".into(),
        tag: Some("KIT-A".into()),
        units: KIT_TAGS.iter().map(|t| t.to_string()).collect(),
    };
    add_kit(&mut s, kit, &tagstation::ops::Actor::from("setup")).expect("add the kit");
    units
}

/// The station's events after sequence number `after`, in order.
fn events_after(store: &Store, after: i64) -> Vec<tagstation::event::Event> {
    store
        .log()
        .expect("log")
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.station_seq > after)
        .collect()
}

fn last_seq(ui: &StationUi) -> i64 {
    ui.with_store(|s| s.info().expect("info").last_seq)
}

#[test]
fn a_kit_goes_out_with_one_scan_and_comes_back_short_with_the_missing_unit_named() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let units = camera_kit(&f);
    let lens2 = units[2];

    // Its tag opens the kit's card: each unit with its state.
    ui.on_scan("kit-a");
    assert_eq!(ui.window().get_screen(), Screen::Kit);
    assert_eq!(ui.window().get_kit_name(), "Camera kit A");
    assert_eq!(ui.window().get_kit_state(), "IN STOCK");
    assert!(ui.window().get_kit_can_check_out());
    assert!(!ui.window().get_kit_can_check_in());
    for name in ["Camera body 01", "Lens 01", "Lens 02", "Battery 01"] {
        assert!(!find(ui, name).is_empty(), "{name} listed");
    }
    screenshot(ui, "28-kit-card");

    // Check out kit: whom to, then every unit to Ben in one write.
    let before = last_seq(ui);
    touch(ui, "Check out kit");
    assert!(ui.window().get_show_picker());
    touch(ui, "Ben");
    assert_eq!(
        message(ui),
        "Saved: Camera kit A (4 units) checked out to Ben."
    );
    ui.with_store(|s| {
        for t in KIT_TAGS {
            let u = unit(s, t);
            assert_eq!(
                (u.status, u.holder.as_deref()),
                (Status::CheckedOut, Some("Ben")),
                "{t}"
            );
        }
        let events = events_after(s, before);
        let seqs: Vec<i64> = events.iter().map(|e| e.station_seq).collect();
        assert_eq!(seqs, [before + 1, before + 2, before + 3, before + 4]);
        for e in &events {
            assert!(
                matches!(e.kind, EventKind::CheckedOut { ref holder, .. } if holder == "Ben"),
                "{:?}",
                e.kind
            );
            assert_eq!(e.actor, "station:test");
        }
        let mut out: Vec<uuid::Uuid> = events.iter().filter_map(|e| e.unit_id).collect();
        let mut kit = units.clone();
        out.sort();
        kit.sort();
        assert_eq!(out, kit, "the kit's four units, each once");
    });
    assert_eq!(ui.window().get_kit_state(), "CHECKED OUT");
    assert_eq!(ui.window().get_kit_holder(), "With Ben");
    assert!(ui.window().get_kit_can_check_in());
    assert!(f.feedback.events().contains(&"release".to_string()));
    screenshot(ui, "29-kit-checked-out");

    // Check in kit: every unit that is out counts as back until touched; Lens 02 did
    // not come back.
    let before = last_seq(ui);
    touch(ui, "Check in kit");
    assert!(ui.window().get_kit_returning());
    assert_eq!(ui.window().get_kit_return_text(), "Check in 4 of 4");
    touch(ui, "Lens 02");
    assert_eq!(ui.window().get_kit_return_text(), "Check in 3 of 4");
    assert_eq!(last_seq(ui), before, "nothing saved while choosing");
    screenshot(ui, "30-kit-check-in-what-came-back");
    touch(ui, "Check in 3 of 4");
    assert_eq!(
        message(ui),
        "Saved: Camera kit A checked in. Missing: Lens 02 — recorded."
    );
    assert!(!ui.window().get_kit_returning());
    ui.with_store(|s| {
        for t in ["CB-1", "LN-1", "BT-1"] {
            assert_eq!(unit(s, t).status, Status::InStock, "{t}");
        }
        let l2 = unit(s, "LN-2");
        assert_eq!(
            (l2.status, l2.holder.as_deref()),
            (Status::CheckedOut, Some("Ben"))
        );
        // One write: three check-ins and the kit's return naming Lens 02.
        let events = events_after(s, before);
        assert_eq!(events.len(), 4, "{events:?}");
        assert!(events[..3]
            .iter()
            .all(|e| matches!(e.kind, EventKind::CheckedIn { .. }) && e.unit_id != Some(lens2)));
        match &events[3].kind {
            EventKind::KitReturned { missing } => assert_eq!(missing, &[lens2]),
            other => panic!("the kit's return, not {other:?}"),
        }
    });
    // The card says the kit is incomplete, and names what is missing.
    assert_eq!(ui.window().get_kit_state(), "INCOMPLETE");
    assert_eq!(ui.window().get_kit_missing(), "Incomplete: missing Lens 02");
    assert!(!find(ui, "Incomplete: missing Lens 02").is_empty());
    screenshot(ui, "31-kit-incomplete");

    // Scanned again later: still incomplete, Lens 02 the one to check in.
    touch(ui, "Done");
    ui.on_scan("KIT-A");
    assert_eq!(ui.window().get_kit_missing(), "Incomplete: missing Lens 02");
    touch(ui, "Check in kit");
    assert_eq!(ui.window().get_kit_return_text(), "Check in 1 of 1");
    touch(ui, "return Cancel");
    assert!(!ui.window().get_kit_returning());
    assert_eq!(ui.window().get_screen(), Screen::Kit);
}

#[test]
fn a_kit_at_the_kiosk_goes_out_in_the_basket_and_comes_back_with_one_scan() {
    let f = fixture(|s| s.kiosk = true);
    let ui = &f.ui;
    camera_kit(&f);
    ui.on_scan("B-BEN");
    ui.on_scan("KIT-A");
    assert_eq!(message(ui), "Camera kit A: 4 units added to the basket.");
    assert!(ui.window().get_kiosk_can_check_out());
    screenshot(ui, "32-kiosk-kit-in-the-basket");

    let before = last_seq(ui);
    touch(ui, "Check out 4");
    assert!(
        message(ui).starts_with("Saved: 4 units checked out to Ben"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        let events = events_after(s, before);
        assert_eq!(events.len(), 4, "{events:?}");
        assert!(events
            .iter()
            .all(|e| matches!(e.kind, EventKind::CheckedOut { .. }) && e.actor == "Ben"));
    });

    // Back: the kit's tag checks the whole kit in at once, recorded as Ben's.
    let before = last_seq(ui);
    ui.on_scan("B-BEN");
    ui.on_scan("KIT-A");
    assert_eq!(message(ui), "Saved: Camera kit A checked in (4 units).");
    assert_eq!(ui.window().get_kiosk_person(), "Ben");
    ui.with_store(|s| {
        for t in KIT_TAGS {
            assert_eq!(unit(s, t).status, Status::InStock, "{t}");
        }
        let events = events_after(s, before);
        assert_eq!(events.len(), 5, "{events:?}");
        assert!(events.iter().all(|e| e.actor == "Ben"));
        assert!(matches!(
            &events[4].kind,
            EventKind::KitReturned { missing } if missing.is_empty()
        ));
        assert_eq!(events[0].scan.as_deref(), Some("KIT-A"));
    });
    screenshot(ui, "33-kiosk-kit-back");
}

#[test]
fn a_kit_in_an_audit_counts_each_of_its_units() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    camera_kit(&f);
    touch(ui, "Audit");
    touch(ui, "Van 1");
    ui.on_scan("KIT-A");
    assert_eq!(message(ui), "Camera kit A: 4 units found.");
    assert!(!find(ui, "Battery 01").is_empty(), "listed as scanned");
    screenshot(ui, "34-audit-a-kit");
    touch(ui, "Finish audit");
    assert!(
        message(ui).contains("Van 1: 4 of 4 found, 0 missing, 0 unexpected"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        for t in KIT_TAGS {
            let audit = unit(s, t).fields.get("audit").cloned().unwrap_or_default();
            assert!(audit.starts_with("found at Van 1"), "{t}: {audit}");
        }
    });
}

#[test]
fn a_kit_with_a_unit_reserved_for_someone_else_goes_out_whole_or_not_at_all() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let units = camera_kit(&f);
    reserve_unit(&f, "LN-2", "Ana", 0, 2);
    ui.on_scan("KIT-A");
    let before = last_seq(ui);
    touch(ui, "Check out kit");
    touch(ui, "Ben");
    assert!(ui.window().get_show_reserved());
    let text = ui.window().get_reserved_text().to_string();
    assert!(text.starts_with("Lens 02 is reserved for Ana"), "{text}");
    ui.with_store(|s| {
        assert_eq!(s.info().expect("info").last_seq, before, "nothing recorded");
        for t in KIT_TAGS {
            assert_eq!(unit(s, t).status, Status::InStock, "{t}: none went out");
        }
    });
    screenshot(ui, "35-kit-reserved-warning");

    touch(ui, "Lend anyway");
    assert_eq!(
        message(ui),
        "Saved: Camera kit A (4 units) checked out to Ben over a reservation (override recorded)."
    );
    ui.with_store(|s| {
        for t in KIT_TAGS {
            assert_eq!(unit(s, t).holder.as_deref(), Some("Ben"), "{t}");
        }
        let ben = s.find_person("Ben").expect("Ben").id;
        assert_eq!(overrides(s, units[2]), [ben]);
        let events = events_after(s, before);
        assert_eq!(
            events.len(),
            5,
            "four check-outs and the override: {events:?}"
        );
    });
    assert_eq!(ui.window().get_kit_state(), "CHECKED OUT");
}

/// Draw on the signature pad with the pointer, as a finger does: each stroke pressed
/// at its first point, moved through the rest, released at its last (pad pixels).
fn draw(ui: &StationUi, strokes: &[&[(f32, f32)]]) {
    use slint::platform::{PointerEventButton, WindowEvent};
    let found = find(ui, "Signature pad");
    let pad = found.first().expect("the signature pad on screen");
    let origin = pad.absolute_position();
    let at = |(x, y): (f32, f32)| slint::LogicalPosition::new(origin.x + x, origin.y + y);
    let window = ui.window().window();
    for stroke in strokes {
        let (first, rest) = stroke.split_first().expect("a point");
        window.dispatch_event(WindowEvent::PointerMoved {
            position: at(*first),
        });
        window.dispatch_event(WindowEvent::PointerPressed {
            position: at(*first),
            button: PointerEventButton::Left,
        });
        for p in rest {
            window.dispatch_event(WindowEvent::PointerMoved { position: at(*p) });
        }
        let last = *rest.last().unwrap_or(first);
        window.dispatch_event(WindowEvent::PointerReleased {
            position: at(last),
            button: PointerEventButton::Left,
        });
    }
}

/// The strokes of the `signed` events after `after`, by unit.
fn signatures(store: &Store, after: i64) -> Vec<(uuid::Uuid, tagstation::signature::Signature)> {
    events_after(store, after)
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Signed(s) => Some((e.unit_id.expect("a unit's event"), s)),
            _ => None,
        })
        .collect()
}

/// With `[kiosk] signature` on, a check-out from the unit card and from the kiosk
/// basket shows the pad; what the finger draws is shown, thinned out, and recorded
/// with the check-out as a `signed` event per unit. Cancel lends nothing; without the
/// setting there is no pad.
#[test]
fn a_check_out_is_signed_on_the_pad_where_the_station_asks_for_it() {
    let f = fixture(|s| s.signature = true);
    let ui = &f.ui;
    ui.on_scan("DR-1");
    touch(ui, "Check out");
    touch(ui, "Ben");
    assert!(ui.window().get_show_signature(), "the pad");
    assert!(ui.window().get_signature_empty());
    screenshot(ui, "40-signature-pad");
    let before = last_seq(ui);

    // Done on an empty pad: nothing saved.
    touch(ui, "signature Done");
    assert!(ui.window().get_show_signature());
    assert_eq!(last_seq(ui), before);

    // A scribble, cleared, then the signature.
    draw(ui, &[&[(50.0, 50.0), (90.0, 90.0)]]);
    assert!(!ui.window().get_signature_empty());
    touch(ui, "signature Clear");
    assert!(ui.window().get_signature_empty());
    assert_eq!(ui.window().get_signature_path(), "");
    let b: Vec<(f32, f32)> = (0..60)
        .map(|i| {
            (
                100.0 + i as f32 * 4.0,
                120.0 + (i as f32 / 5.0).sin() * 40.0,
            )
        })
        .collect();
    let jitter: Vec<(f32, f32)> = (0..20).map(|i| (400.0 + (i % 2) as f32, 60.0)).collect();
    draw(
        ui,
        &[
            &b,
            &[(420.0, 40.0), (460.0, 180.0), (520.0, 100.0)],
            &jitter,
        ],
    );
    assert!(ui.window().get_signature_path().starts_with("M 100 120"));
    screenshot(ui, "41-signature-drawn");
    // The ink is on the pad: dark pixels inside it.
    let shot = ui.window().window().take_snapshot().expect("snapshot");
    let pad = &find(ui, "Signature pad")[0];
    let (o, size) = (pad.absolute_position(), pad.size());
    let dark = (o.y as u32..(o.y + size.height) as u32)
        .flat_map(|y| (o.x as u32..(o.x + size.width) as u32).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = shot.as_slice()[(y * shot.width() + x) as usize];
            p.r < 60 && p.g < 60 && p.b < 60
        })
        .count();
    assert!(dark > 500, "{dark} dark pixels of ink");

    touch(ui, "signature Done");
    assert!(!ui.window().get_show_signature());
    assert!(
        message(ui).starts_with("Saved: Drill 01 checked out to Ben"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        let events = events_after(s, before);
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(kinds, ["checked_out", "signed"]);
        let signed = signatures(s, before);
        assert_eq!(signed.len(), 1);
        let (unit_id, sig) = &signed[0];
        assert_eq!(*unit_id, f.drills[0]);
        assert_eq!((sig.width, sig.height), (760, 220));
        assert_eq!(sig.strokes.len(), 3, "the scribble was cleared");
        assert_eq!(sig.strokes[0][0], [100, 120]);
        assert_eq!(sig.strokes[0].len(), 60, "4 px apart: every point kept");
        assert_eq!(sig.strokes[1], vec![[420, 40], [460, 180], [520, 100]]);
        assert_eq!(sig.strokes[2], vec![[400, 60]], "1 px jitter thinned out");
        assert_eq!(sig.check(), Ok(()));
        assert_eq!(unit(s, "DR-1").status, Status::CheckedOut);
    });

    // At the kiosk: Cancel on the pad lends nothing; signed, each unit has it.
    touch(ui, "Done");
    touch(ui, "Check out / in");
    ui.on_scan("B-ANA");
    ui.on_scan("DR-2");
    ui.on_scan("DR-3");
    touch(ui, "Check out 2");
    assert!(ui.window().get_show_signature());
    assert_eq!(
        ui.window().get_signature_title(),
        "Ana, please sign for the check-out"
    );
    let before = last_seq(ui);
    touch(ui, "signature Cancel");
    assert_eq!(last_seq(ui), before);
    assert_eq!(ui.window().get_screen(), Screen::Kiosk);
    touch(ui, "Check out 2");
    assert!(ui.window().get_signature_empty(), "a fresh pad");
    draw(ui, &[&[(30.0, 30.0), (200.0, 150.0), (300.0, 40.0)]]);
    screenshot(ui, "42-signature-kiosk");
    touch(ui, "signature Done");
    assert!(
        message(ui).contains("2 units checked out to Ana"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        let signed = signatures(s, before);
        let units: Vec<uuid::Uuid> = signed.iter().map(|(u, _)| *u).collect();
        assert_eq!(units.len(), 2);
        assert!(units.contains(&f.drills[1]) && units.contains(&f.drills[2]));
        for (_, sig) in &signed {
            assert_eq!(sig.strokes, vec![vec![[30, 30], [200, 150], [300, 40]]]);
        }
    });
}

/// Without `[kiosk] signature`: no pad, the check-out at once, unsigned.
#[test]
fn without_the_setting_a_check_out_asks_for_no_signature() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let before = last_seq(ui);
    ui.on_scan("SW-1");
    touch(ui, "Check out");
    touch(ui, "Ben");
    assert!(!ui.window().get_show_signature());
    assert!(message(ui).starts_with("Saved:"), "{}", message(ui));
    ui.with_store(|s| assert!(signatures(s, before).is_empty()));
}

/// Photos on: `[photos]` for check-ins and damage.
fn photos_on(s: &mut Settings) {
    s.photos = tagstation::ui::PhotoSettings {
        on_check_in: true,
        on_damaged: true,
    };
}

/// Drain the UI's channel until no condition photo is on its way (at most 20 s).
fn wait_for_photos(ui: &StationUi) {
    let start = std::time::Instant::now();
    while ui.photos_in_flight() > 0 {
        ui.drain_inputs();
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "a photo never came back"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A camera (a folder of frames through the real camera pipeline) that has seen a
/// wall with no code on it.
fn camera_on(ui: &StationUi) -> Viewfinder {
    let vf = Viewfinder::new();
    ui.attach_viewfinder(vf.clone());
    camera_sees_wall(ui, &vf, 0);
    vf
}

/// The camera sees a grey gradient with no code, brighter by `shade`.
fn camera_sees_wall(ui: &StationUi, vf: &Viewfinder, shade: u8) {
    use common::gen::Img;
    let frames = tempfile::tempdir().unwrap();
    let mut wall = Img::new(640, 480, 0);
    for (i, p) in wall.px.iter_mut().enumerate() {
        *p = (((i % 640) / 3 + (i / 640) / 4) as u8).saturating_add(shade);
    }
    wall.save_png(&frames.path().join("wall.png"));
    // The decode thread makes at most 15 pictures a second (real time).
    std::thread::sleep(Duration::from_millis(70));
    camera_sees(ui, frames.path(), vf);
    i_slint_backend_testing::mock_elapsed_time(tagstation::ui::viewfinder::REDRAW);
}

/// With `[photos]` on and a camera, a check-in and a unit marked damaged each keep one
/// JPEG under photos/, named by its SHA-256, listed with its unit and event; the
/// screen says "Saved" before it is taken.
#[test]
fn a_check_in_and_damage_keep_a_condition_photo_from_the_camera() {
    use sha2::Digest;
    let f = fixture(photos_on);
    let ui = &f.ui;
    let vf = camera_on(ui);
    assert!(ui.window().get_viewfinder_on());
    ui.on_scan("DR-1");
    touch(ui, "Check out");
    touch(ui, "Ben");
    wait_for_photos(ui);
    ui.with_store(|s| assert!(s.photos_of(f.drills[0]).expect("photos").is_empty()));

    let before = last_seq(ui);
    touch(ui, "Check in");
    assert!(message(ui).starts_with("Saved:"), "{}", message(ui));
    wait_for_photos(ui);
    ui.with_store(|s| {
        let event = events_after(s, before)
            .into_iter()
            .find(|e| e.kind.name() == "checked_in")
            .expect("checked in");
        let kept = s.photos_of(f.drills[0]).expect("photos");
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].event_id, event.id);
        let path = s.photo_path(&kept[0].sha256);
        assert_eq!(
            path.parent().and_then(|p| p.file_name()),
            Some("photos".as_ref())
        );
        let jpeg = std::fs::read(&path).expect("the photo's file");
        assert_eq!(&jpeg[..3], &[0xff, 0xd8, 0xff], "a JPEG");
        assert_eq!(jpeg.len() as i64, kept[0].bytes);
        let img = image::load_from_memory(&jpeg).expect("decodes");
        assert_eq!(
            (img.width(), img.height()),
            (640, 480),
            "the camera's whole frame, not the viewfinder's picture"
        );
        let sha: String = sha2::Sha256::digest(&jpeg)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(kept[0].sha256, sha);
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some(format!("{sha}.jpg").as_str())
        );
    });

    // Damaged: a photo of Drill 02, from the camera's newer picture (the same bytes
    // would be the same photo, kept once).
    camera_sees_wall(ui, &vf, 40);
    ui.on_scan("DR-2");
    touch(ui, "Damaged");
    wait_for_photos(ui);
    ui.with_store(|s| assert_eq!(s.photos_of(f.drills[1]).expect("photos").len(), 1));
}

/// A basket checked in at the kiosk and a kit taken back keep one picture for each of
/// their units: the same frame, each copy naming its unit and check-in inside the JPEG,
/// so each is a photo of its own.
#[test]
fn a_basket_and_a_kit_checked_in_keep_a_photo_of_each_unit() {
    let f = fixture(photos_on);
    let ui = &f.ui;
    let kit = camera_kit(&f);
    let vf = camera_on(ui);
    ui.on_scan("B-BEN");
    ui.on_scan("DR-1");
    ui.on_scan("DR-2");
    touch(ui, "Check out 2");
    wait_for_photos(ui);

    ui.on_scan("B-BEN");
    ui.on_scan("DR-1");
    ui.on_scan("DR-2");
    let before = last_seq(ui);
    touch(ui, "Check in 2");
    assert!(message(ui).starts_with("Saved:"), "{}", message(ui));
    wait_for_photos(ui);
    let shas = ui.with_store(|s| {
        let events = events_after(s, before);
        let mut shas = Vec::new();
        for u in &f.drills[..2] {
            let kept = s.photos_of(*u).expect("photos");
            assert_eq!(kept.len(), 1, "{kept:?}");
            let check_in = events
                .iter()
                .find(|e| e.unit_id == Some(*u) && e.kind.name() == "checked_in")
                .expect("its check-in");
            assert_eq!(kept[0].event_id, check_in.id);
            let jpeg = std::fs::read(s.photo_path(&kept[0].sha256)).expect("file");
            let names = format!("unit {u}; event {}", check_in.id);
            assert!(
                jpeg.windows(names.len()).any(|w| w == names.as_bytes()),
                "the photo names its unit and event"
            );
            image::load_from_memory(&jpeg).expect("a JPEG that decodes");
            shas.push(kept[0].sha256.clone());
        }
        shas
    });
    assert_ne!(shas[0], shas[1], "a photo of each");

    // The kit: lent from its card, taken back with its tag at the kiosk.
    camera_sees_wall(ui, &vf, 20);
    ui.on_scan("KIT-A");
    touch(ui, "Check out kit");
    touch(ui, "Ana");
    ui.on_scan("B-ANA");
    ui.on_scan("KIT-A");
    assert!(message(ui).contains("checked in"), "{}", message(ui));
    wait_for_photos(ui);
    ui.with_store(|s| {
        for u in &kit {
            assert_eq!(s.photos_of(*u).expect("photos").len(), 1, "unit {u}");
        }
    });
}

/// No camera: the unit marked damaged is saved, no photo.
#[test]
fn without_a_camera_the_event_is_saved_without_a_photo() {
    let f = fixture(photos_on);
    let ui = &f.ui;
    ui.on_scan("DR-1");
    touch(ui, "Damaged");
    assert!(
        message(ui).starts_with("Saved: Drill 01 set to damaged"),
        "{}",
        message(ui)
    );
    assert_eq!(ui.photos_in_flight(), 0, "nothing to take");
    ui.with_store(|s| {
        assert_eq!(unit(s, "DR-1").status, Status::Damaged);
        assert!(s.photos_of(f.drills[0]).expect("photos").is_empty());
    });
}

/// The photos directory blocked (a file where it should be): saved, no photo, and
/// the screen says only "Saved".
#[test]
fn with_no_place_for_photos_the_event_is_saved_without_one() {
    let f = fixture(photos_on);
    let ui = &f.ui;
    let _vf = camera_on(ui);
    let photos = f._station.path().join("photos");
    std::fs::write(&photos, b"not a directory").expect("a file in the way");
    ui.on_scan("DR-2");
    touch(ui, "Damaged");
    wait_for_photos(ui);
    let said = message(ui);
    assert!(said.starts_with("Saved: Drill 02 set to damaged"), "{said}");
    assert_eq!(ui.window().get_message_tone(), tagstation::ui::Tone::Ok);
    ui.with_store(|s| {
        assert_eq!(unit(s, "DR-2").status, Status::Damaged);
        assert!(s.photos_of(f.drills[1]).expect("photos").is_empty());
    });
    assert!(photos.is_file(), "left as it was");
}

/// Every reservation the station's store holds, with its names, by first day.
fn reservations(store: &Store) -> Vec<tagstation::ops::reservations::ReservationView> {
    let all = tagstation::reservations::ReservationQuery::default();
    tagstation::ops::reservations::list(store, &all).expect("reservations")
}

#[test]
fn a_unit_is_reserved_on_its_card_and_a_basket_at_the_kiosk_on_days_stepped_to() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let day = tagstation::clock::in_days;

    // On the card: for Ana, from the day after tomorrow, three days.
    ui.on_scan("DR-1");
    touch(ui, "Reserve");
    assert_eq!(ui.window().get_picker_title(), "Reserve for whom?");
    touch(ui, "Ana");
    assert!(ui.window().get_show_booking());
    assert_eq!(ui.window().get_booking_title(), "Reserve Drill 01 for Ana");
    assert!(
        ui.window()
            .get_booking_first()
            .starts_with("From tomorrow, "),
        "{}",
        ui.window().get_booking_first()
    );
    assert_eq!(ui.window().get_booking_length(), "For 1 day");
    assert!(!ui.window().get_booking_can_shorter());
    touch(ui, "first day Later");
    touch(ui, "Longer");
    touch(ui, "Longer");
    let first = ui.window().get_booking_first().to_string();
    assert!(
        first.starts_with("From ") && first.ends_with(&day(2)),
        "{first}"
    );
    let length = ui.window().get_booking_length().to_string();
    assert!(
        length.starts_with("For 3 days, to ") && length.ends_with(&day(4)),
        "{length}"
    );
    screenshot(ui, "42-reserve-days");
    let before = last_seq(ui);
    touch(ui, "booking Reserve");
    assert_eq!(
        message(ui),
        format!(
            "Saved: Drill 01 reserved for Ana, {} to {}.",
            day(2),
            day(4)
        )
    );
    assert!(!ui.window().get_show_booking());
    assert_eq!(
        unit_reservations(ui),
        [format!("Reserved for Ana, {} to {}", day(2), day(4))]
    );
    ui.with_store(|s| {
        let made = reservations(s);
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].what(), "Drill 01");
        assert_eq!(
            (made[0].starts.clone(), made[0].ends.clone()),
            (day(2), day(4))
        );
        assert_eq!(made[0].person, "Ana");
        let log = events_after(s, before);
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].actor, "station:test");
    });

    // The same unit for Ben on a shared day: refused in words, the booking stays.
    touch(ui, "Reserve");
    touch(ui, "Ben");
    touch(ui, "Longer");
    touch(ui, "Longer");
    let before = last_seq(ui);
    touch(ui, "booking Reserve");
    assert!(ui.window().get_show_booking(), "still choosing");
    assert!(
        message(ui).contains("cannot be reserved then") && message(ui).contains("Ana"),
        "{}",
        message(ui)
    );
    assert_eq!(last_seq(ui), before, "nothing recorded");
    touch(ui, "booking Cancel");
    assert_eq!(message(ui), "Nothing reserved.");

    // A unit out now is reserved for later days all the same.
    ui.on_scan("DR-3");
    touch(ui, "Check out");
    touch(ui, "Ben");
    assert!(!ui.window().get_unit_can_set_status());
    assert!(ui.window().get_unit_can_reserve());
    touch(ui, "Reserve");
    touch(ui, "Ana");
    touch(ui, "first day Later");
    touch(ui, "booking Reserve");
    assert!(
        message(ui).starts_with("Saved: Drill 03 reserved for Ana"),
        "{}",
        message(ui)
    );

    // At the kiosk: Ben scans two units and reserves them for himself.
    touch(ui, "Done");
    ui.on_scan("B-BEN");
    ui.on_scan("DR-2");
    ui.on_scan("SW-1");
    touch(ui, "Reserve");
    assert_eq!(
        ui.window().get_booking_title(),
        "Reserve Drill 02 and Saw 01 for Ben"
    );
    screenshot(ui, "43-kiosk-reserve");
    let before = last_seq(ui);
    touch(ui, "booking Reserve");
    assert_eq!(
        message(ui),
        format!("Saved: Drill 02 and Saw 01 reserved for Ben, {}.", day(1))
    );
    assert_eq!(ui.window().get_kiosk_person(), "Ben");
    assert_eq!(
        slint::Model::row_count(&ui.window().get_basket()),
        0,
        "the basket is empty"
    );
    ui.with_store(|s| {
        let bens: Vec<_> = reservations(s)
            .into_iter()
            .filter(|r| r.person == "Ben")
            .collect();
        let mut what: Vec<String> = bens.iter().map(|r| r.what()).collect();
        what.sort();
        assert_eq!(what, ["Drill 02", "Saw 01"], "one reservation per item");
        let log = events_after(s, before);
        assert_eq!(log.len(), 2, "both in one write");
        assert!(log.iter().all(|e| e.actor == "Ben"), "recorded as Ben's");
        // Nothing was lent.
        assert_eq!(unit(s, "DR-2").status, Status::InStock);
    });
}

/// A kit lent from its own card asks for the borrower's signature like a unit, and the
/// strokes go with every unit of it.
#[test]
fn a_kit_from_its_card_is_signed_for_on_the_pad() {
    let f = fixture(|s| s.signature = true);
    let ui = &f.ui;
    let units = camera_kit(&f);
    ui.on_scan("KIT-A");
    touch(ui, "Check out kit");
    touch(ui, "Ben");
    assert!(ui.window().get_show_signature(), "the pad");
    let before = last_seq(ui);
    draw(ui, &[&[(40.0, 40.0), (120.0, 100.0), (200.0, 60.0)]]);
    touch(ui, "signature Done");
    assert!(!ui.window().get_show_signature());
    assert!(
        message(ui).starts_with("Saved: Camera kit A (4 units) checked out to Ben"),
        "{}",
        message(ui)
    );
    ui.with_store(|s| {
        let signed = signatures(s, before);
        let mut got: Vec<uuid::Uuid> = signed.iter().map(|(u, _)| *u).collect();
        let mut want = units.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "a signed event per unit of the kit");
        assert!(signed.iter().all(|(_, sig)| sig == &signed[0].1));
        assert_eq!(signed[0].1.strokes.len(), 1);
    });
}

/// *Reserve kit* on a kit's card books all of its units, one reservation per item,
/// each noted with the kit's name.
#[test]
fn a_kit_is_reserved_whole_from_its_card() {
    let f = fixture(|_| {});
    let ui = &f.ui;
    let units = camera_kit(&f);
    ui.on_scan("KIT-A");
    touch(ui, "Reserve kit");
    touch(ui, "Ana");
    assert_eq!(
        ui.window().get_booking_title(),
        "Reserve Camera kit A for Ana"
    );
    let before = last_seq(ui);
    touch(ui, "booking Reserve");
    let day = tagstation::clock::in_days(1);
    assert_eq!(
        message(ui),
        format!("Saved: Camera kit A reserved for Ana, {day}.")
    );
    ui.with_store(|s| {
        let made = reservations(s);
        assert_eq!(made.len(), 3, "camera body, lenses, battery");
        assert!(made
            .iter()
            .all(|r| r.note.as_deref() == Some("Kit Camera kit A") && r.starts == day));
        let mut reserved: Vec<uuid::Uuid> = made
            .iter()
            .flat_map(|r| r.units.iter().map(|u| u.id))
            .collect();
        let mut all = units.clone();
        reserved.sort();
        all.sort();
        assert_eq!(reserved, all);
        assert_eq!(events_after(s, before).len(), 3, "one write");
    });
}
