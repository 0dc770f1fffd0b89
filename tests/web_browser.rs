//! The web app in a real browser: Debian's Chromium, headless, driven over WebDriver
//! (Debian's chromedriver) against a hub on loopback. A person signs in, switches an
//! item to units and sees them seeded, checks a unit out and sees it on the overview;
//! a form stripped of its CSRF token is refused; a viewer cannot write; a borrower
//! cannot lend to someone else; a scan made at a station shows after sync.
//!
//! Needs `chromium` and `chromium-driver` (deploy/test-deps.txt; scripts/test installs
//! them). A screenshot of each page is saved under the target directory, or in the
//! directory `TAGSTATION_WEB_SCREENSHOTS` names (`docs/screenshots` for the README).
#![cfg(feature = "hub")]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use serde_json::{json, Value};
use tagstation::catalog::Status;
use tagstation::event::EventKind;
use tagstation::hub::HubLedger;
use tagstation::ops::catalog::{add_unit, create_item, NewItem, NewUnit};
use tagstation::ops::Actor;
use tagstation::people::{PersonFields, Role};

const PASSWORD: &str = "a long test password";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a port of its own, stopped on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start chromedriver ({e}): install chromium and chromium-driver (deploy/test-deps.txt; scripts/test installs them)")
        });
    let d = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let start = Instant::now();
    loop {
        let ready = reqwest::blocking::get(format!("{}/status", d.url))
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_some_and(|v| v["value"]["ready"] == true);
        if ready {
            return d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One headless Chromium session.
struct Browser {
    http: reqwest::blocking::Client,
    session: String,
    base: String,
    shots: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn open(d: &Driver, base: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1100,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let r: Value = http
            .post(format!("{}/session", d.url))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {r}"))
            .to_string();
        let shots = match std::env::var_os("TAGSTATION_WEB_SCREENSHOTS") {
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots"),
        };
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            http,
            session: format!("{}/session/{session}", d.url),
            base: base.to_string(),
            shots,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().unwrap().json().unwrap();
        if v["value"].get("error").is_some() {
            panic!("webdriver {method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    fn go(&self, path: &str) {
        self.call(
            "POST",
            "/url",
            json!({"url": format!("{}{path}", self.base)}),
        );
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    fn count(&self, css: &str) -> usize {
        self.call(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .unwrap()
        .len()
    }

    fn type_in(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            json!({"text": text}),
        );
    }

    fn click(&self, css: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/click"), json!({}));
    }

    /// Click what submits a form or follows a link, and wait until the page it leads
    /// to has loaded: text waited for afterwards may also be on the page left behind.
    fn submit(&self, css: &str) {
        self.script("window.__leaving = true;");
        self.click(css);
        self.wait(&format!("the page after {css}"), |b| {
            b.call(
                "POST",
                "/execute/sync",
                json!({"script": "return window.__leaving !== true && document.readyState === 'complete'", "args": []}),
            )
            .as_bool()
            .unwrap_or(false)
        });
    }

    fn text(&self) -> String {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "return document.body.innerText", "args": []}),
        )
        .as_str()
        .unwrap()
        .to_string()
    }

    fn path(&self) -> String {
        let url = self
            .call("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_string();
        url.strip_prefix(&self.base).unwrap_or(&url).to_string()
    }

    /// Wait (up to 20 s) until `done` holds: a click returns before the page it leads
    /// to has loaded on a busy machine.
    fn wait(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited 20 s for {what}; at {}: {}",
                self.path(),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_path(&self, path: &str) {
        self.wait(path, |b| b.path() == path);
    }

    fn wait_text(&self, text: &str) {
        self.wait(text, |b| b.text().contains(text));
    }

    fn script(&self, js: &str) {
        self.call("POST", "/execute/sync", json!({"script": js, "args": []}));
    }

    fn screenshot(&self, name: &str) {
        let b64 = self.call("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    fn sign_in(&self, login: &str) {
        self.call("DELETE", "/cookie", Value::Null);
        self.go("/");
        assert!(self.path().starts_with("/sign-in"), "{}", self.path());
        self.type_in("#login", login);
        self.type_in("#password", PASSWORD);
        self.submit("form.card button");
        self.wait_path("/");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.session).send();
    }
}

fn person(name: &str, role: Role) -> PersonFields {
    PersonFields {
        name: name.into(),
        badges: vec![format!("B-{}", name.to_uppercase())],
        email: None,
        role,
        active: true,
        max_checkouts: None,
        loan_days: None,
    }
}

#[test]
fn a_shop_manager_works_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(&dir.path().join("hub.db").display().to_string());
    let store = hub.state.store.clone();
    let actor = Actor::new("test");
    let mut l = HubLedger::new(store.as_ref());
    for (name, role) in [
        ("Vic", Role::Viewer),
        ("Bo", Role::Borrower),
        ("Bea", Role::Borrower),
    ] {
        tagstation::ops::people::add_person(&mut l, person(name, role), &actor).unwrap();
    }
    let laptop = create_item(&mut l, NewItem::units("Laptop"), &actor).unwrap();
    let units: Vec<_> = (1..=3)
        .map(|n| {
            let new = NewUnit {
                tag: Some(format!("LT-00{n}")),
                ..NewUnit::default()
            };
            add_unit(&mut l, laptop, new, &actor).unwrap().id
        })
        .collect();
    let gloves = create_item(&mut l, NewItem::count("Gloves", 3), &actor).unwrap();
    drop(l);
    tagstation::web::setup::create_admin(store.as_ref(), "Ada", None, PASSWORD).unwrap();
    for name in ["Vic", "Bo"] {
        let (_, path) = tagstation::web::setup::password_link(store.as_ref(), name).unwrap();
        let token = path.split("token=").nth(1).unwrap();
        tagstation::hub::write(store.as_ref(), |c| {
            let who = tagstation::hub::accounts::use_link(c, token, 0)?.unwrap();
            let hash = tagstation::hub::accounts::hash_password(PASSWORD)?;
            tagstation::hub::accounts::set_password(c, who, &hash, 0)
        })
        .unwrap();
    }
    let station_dir = TempStation::new();
    let mut station = station_dir.open();
    hub.enroll(&mut station, "Front door");
    sync(&mut station);

    let d = driver();
    let b = Browser::open(&d, &hub.url);

    // Sign in.
    b.go("/");
    b.screenshot("sign-in");
    b.sign_in("Ada");
    b.screenshot("overview-empty");

    // Switch Gloves to units, from the preview, and see the three seeded.
    b.go("/items");
    b.screenshot("items");
    b.go(&format!("/items/{gloves}/tracking"));
    assert!(b.text().contains("This seeds 3 units"), "{}", b.text());
    b.screenshot("tracking-preview");
    b.submit("form[action$='/tracking'] button");
    b.wait_path(&format!("/items/{gloves}"));
    b.wait_text("Gloves 03");
    let t = b.text();
    assert!(t.contains("Gloves 01") && t.contains("Gloves 03"), "{t}");
    b.screenshot("item");

    // A scanner types a tag into the search box and presses Enter: the unit opens.
    b.go("/");
    b.type_in("#scan-code", "lt-001\n");
    b.wait_path(&format!("/units/{}", units[0]));
    // Check it out to Bea, and see it on the overview.
    b.type_in("#holder", "Bea");
    b.submit("form[action$='check-out'] button");
    // The click returns before the next page loads: wait for it.
    b.wait_text("Bea");
    b.screenshot("unit");
    b.go("/");
    assert!(b.text().contains("Checked out"), "{}", b.text());
    b.screenshot("overview");
    b.go("/people");
    b.screenshot("people");
    b.go("/locations");
    b.screenshot("locations");
    b.go("/reports");
    assert!(b.text().contains("Utilisation"), "{}", b.text());
    b.screenshot("reports");
    // Reminders: Bo's projector due tomorrow is found by the daily run (nobody here has an
    // email address, so the log says each was skipped and why); Ada opts out of one kind.
    {
        let due = tagstation::clock::in_days(1);
        let mut l = HubLedger::new(store.as_ref());
        let projector = create_item(&mut l, NewItem::units("Projector"), &actor).unwrap();
        let new = NewUnit {
            tag: Some("PJ-001".into()),
            ..NewUnit::default()
        };
        let p1 = add_unit(&mut l, projector, new, &actor).unwrap().id;
        tagstation::ops::lending::check_out(&mut l, &[p1], "Bo", Some(&due), &actor).unwrap();
        let settings = tagstation::remind::Settings {
            time_zone: "Europe/Lisbon".into(),
            ..Default::default()
        };
        let run = settings.run_at(&due).unwrap();
        tagstation::remind::Reminders::new(store.clone(), settings)
            .unwrap()
            .tick(run)
            .unwrap();
    }
    b.go("/reminders");
    b.click("input[value='station_silent']");
    b.submit("form[action='/reminders/preferences'] button");
    b.wait_path("/reminders");
    let t = b.text();
    assert!(
        t.contains("Europe/Lisbon") && t.contains("Projector 01 (PJ-001)"),
        "{t}"
    );
    assert!(t.contains("Bo has no email address"), "{t}");
    b.screenshot("reminders");
    // At a phone's width every column is still there, the table scrolls sideways.
    b.call("POST", "/window/rect", json!({"width": 390, "height": 844}));
    b.go(&format!("/items/{}", laptop));
    b.screenshot("item-phone");
    b.call(
        "POST",
        "/window/rect",
        json!({"width": 1100, "height": 900}),
    );

    // Import a catalog file: the preview first, then the changes recorded.
    let csv = dir.path().join("cameras.csv");
    std::fs::write(&csv, "item,unit,asset_tag,status\nCamera,Camera 01,CAM-001,in_stock\nCamera,Camera 02,CAM-002,damaged\n").unwrap();
    b.go("/import");
    b.type_in("#file", &csv.display().to_string());
    b.submit("form[action='/import'] button");
    b.wait_text("Preview: nothing is recorded yet");
    assert!(b.text().contains("CAM-002"), "{}", b.text());
    b.screenshot("import-preview");
    b.submit("form[action='/import'] textarea + button");
    b.wait_text("Recorded: 1 new items");
    b.type_in("#scan-code", "CAM-002\n");
    // The import page names Camera 02 too: wait for the unit's own page.
    b.wait("the imported unit's page", |b| {
        b.path().starts_with("/units/") && b.text().contains("Camera 02")
    });

    // A form stripped of its CSRF token is refused, and nothing changes.
    b.go(&format!("/units/{}", units[1]));
    b.type_in("#holder", "Bea");
    b.script("document.querySelector(\"form[action$='check-out'] input[name=csrf]\").remove()");
    b.submit("form[action$='check-out'] button");
    b.wait_text("this form has expired");
    b.go(&format!("/units/{}", units[1]));
    assert!(b.text().contains("In stock"));

    // A viewer sees no forms, and a forged one is refused.
    b.sign_in("Vic");
    b.go(&format!("/units/{}", units[1]));
    assert_eq!(b.count("form[action$='check-out']"), 0);
    let csrf = b.call(
        "POST",
        "/execute/sync",
        json!({"script": "return document.querySelector('input[name=csrf]').value", "args": []}),
    );
    b.script(&format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/units/{}/check-out';
         f.innerHTML = '<input name=csrf value={}><input name=holder value=Vic>'; document.body.append(f); f.submit();",
        units[1],
        csrf.as_str().unwrap()
    ));
    b.wait_text("needs the borrower role");

    // A borrower checks out to themselves only.
    b.sign_in("Bo");
    b.go(&format!("/units/{}", units[1]));
    assert_eq!(b.count("#holder"), 0, "no holder field for a borrower");
    b.script("const i = document.createElement('input'); i.name = 'holder'; i.value = 'Bea'; document.querySelector(\"form[action$='check-out']\").append(i)");
    b.submit("form[action$='check-out'] button");
    b.wait_text("to themselves only");
    b.go(&format!("/units/{}", units[1]));
    b.submit("form[action$='check-out'] button");
    b.wait_text("Checked out");
    assert!(b.text().contains("Bo"), "{}", b.text());
    b.screenshot("unit-borrower");

    // A scan at the station shows on the web after sync.
    station
        .record(cmd(
            laptop,
            Some(units[2]),
            EventKind::StatusChanged {
                to: Status::Damaged,
                reason: None,
            },
        ))
        .unwrap();
    sync(&mut station);
    b.go(&format!("/units/{}", units[2]));
    assert!(b.text().contains("Damaged"), "{}", b.text());
    assert!(
        b.text().contains("Front door") || b.text().contains("tester"),
        "{}",
        b.text()
    );
}

/// The equipment pool in a real browser: an operator books a unit for Bea from the
/// item's calendar, a second booking of it on a shared day is refused naming Bea's, a
/// check-out to Bo over it is refused until the operator overrides it on record; a
/// borrower books and cancels only for herself; her calendar app reads her bookings
/// from the iCalendar feed behind her token.
#[test]
fn an_equipment_pool_books_and_lends_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(&dir.path().join("hub.db").display().to_string());
    let store = hub.state.store.clone();
    let actor = Actor::new("test");
    let mut l = HubLedger::new(store.as_ref());
    for (name, role) in [("Bea", Role::Borrower), ("Bo", Role::Borrower)] {
        tagstation::ops::people::add_person(&mut l, person(name, role), &actor).unwrap();
    }
    let kit = create_item(&mut l, NewItem::units("Camera kit"), &actor).unwrap();
    let units: Vec<_> = (1..=2)
        .map(|n| {
            let new = NewUnit {
                tag: Some(format!("CK-{n}")),
                ..NewUnit::default()
            };
            add_unit(&mut l, kit, new, &actor).unwrap().id
        })
        .collect();
    drop(l);
    tagstation::web::setup::create_admin(store.as_ref(), "Ada", None, PASSWORD).unwrap();
    let (_, path) = tagstation::web::setup::password_link(store.as_ref(), "Bea").unwrap();
    let link = path.split("token=").nth(1).unwrap().to_string();
    let bea_token = tagstation::hub::write(store.as_ref(), |c| {
        let who = tagstation::hub::accounts::use_link(c, &link, 0)?.unwrap();
        let hash = tagstation::hub::accounts::hash_password(PASSWORD)?;
        tagstation::hub::accounts::set_password(c, who, &hash, 0)?;
        tagstation::hub::accounts::new_token(c, who, "calendar", Role::Viewer, 0)
    })
    .unwrap()
    .0;
    let (from, to) = (tagstation::clock::in_days(1), tagstation::clock::in_days(3));
    // Date inputs take what is typed in the browser's locale: set them directly.
    let set_dates = |b: &Browser, starts: &str, ends: &str| {
        b.script(&format!(
            "document.getElementById('r-starts').value = '{starts}';
             document.getElementById('r-ends').value = '{ends}';"
        ));
    };

    let d = driver();
    let b = Browser::open(&d, &hub.url);
    b.sign_in("Ada");
    b.go(&format!("/items/{kit}"));
    b.submit(&format!("a[href='/reservations?item={kit}']"));
    b.wait_text("No reservations in these days");
    b.type_in("#r-person", "Bea");
    set_dates(&b, &from, &to);
    b.click(&format!("input[name='unit'][value='{}']", units[0]));
    b.submit("form[action='/reservations'] button");
    b.wait_text("Camera kit 01");
    assert_eq!(b.count("table.calendar td.held"), 3, "{}", b.text());
    assert!(
        b.text().contains(&format!("{from} to {to}")),
        "{}",
        b.text()
    );
    b.screenshot("reservations");

    // The same unit for Bo on a shared day: refused, naming Bea's booking.
    b.go(&format!("/reservations?item={kit}"));
    b.type_in("#r-person", "Bo");
    set_dates(&b, &to, &to);
    b.click(&format!("input[name='unit'][value='{}']", units[0]));
    b.submit("form[action='/reservations'] button");
    b.wait_text("cannot be reserved then");
    assert!(b.text().contains("reserved for Bea"), "{}", b.text());

    // Lending CK-1 to Bo (no due date: he may keep it) runs into Bea's days.
    b.go(&format!("/units/{}", units[0]));
    assert!(b.text().contains("Reserved for Bea"), "{}", b.text());
    b.type_in("#holder", "Bo");
    b.submit("form[action$='check-out'] button");
    b.wait_text("An operator can lend it anyway");
    b.go(&format!("/units/{}", units[0]));
    b.type_in("#holder", "Bo");
    b.click("input[name='over_reservation']");
    b.submit("form[action$='check-out'] button");
    b.wait_text("checked out to Bo");
    b.screenshot("unit-reserved");
    let out = tagstation::hub::read(store.as_ref(), |c| {
        tagstation::hub::tables::select_units(c, "WHERE id = ?1", &[units[0].into()])
    })
    .unwrap();
    assert_eq!(out[0].status, Status::CheckedOut);
    assert_eq!(out[0].holder.as_deref(), Some("Bo"));

    // Bea, a borrower, sees her own calendar, books CK-2 for herself and cancels it.
    b.sign_in("Bea");
    b.go("/reservations");
    assert!(b.text().contains("Reservations: Bea"), "{}", b.text());
    b.go(&format!("/reservations?item={kit}"));
    assert!(
        b.count("#r-person") == 0,
        "a borrower books for herself only"
    );
    set_dates(&b, &to, &to);
    b.click(&format!("input[name='unit'][value='{}']", units[1]));
    b.submit("form[action='/reservations'] button");
    b.wait_text("Camera kit 02");
    b.wait("both of Bea's bookings listed", |b| {
        b.count("form[action$='/cancel'] button") == 2
    });
    // Her calendar app subscribes with her token (no session, no header).
    let ics =
        reqwest::blocking::get(format!("{}/reservations.ics?token={bea_token}", hub.url)).unwrap();
    assert_eq!(ics.status(), 200);
    assert!(ics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = ics.text().unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains("SUMMARY:Reserved: Camera kit 01"), "{ics}");
    assert!(ics.contains(&format!("DTSTART;VALUE=DATE:{}", from.replace('-', ""))));
    let bad =
        reqwest::blocking::get(format!("{}/reservations.ics?token=tsp_nope", hub.url)).unwrap();
    assert_eq!(bad.status(), 401);
    b.submit("tr:last-child form[action$='/cancel'] button");
    b.wait("the cancelled booking gone", |b| {
        b.count("form[action$='/cancel'] button") == 1
    });
    let ics = reqwest::blocking::get(format!("{}/reservations.ics?token={bea_token}", hub.url))
        .unwrap()
        .text()
        .unwrap();
    assert!(ics.contains("STATUS:CANCELLED"), "{ics}");

    // Kits: Ada makes one of both units with its own tag, lends it whole to Bea (who
    // reserved CK-1: her reservation is picked up with it), takes it back with CK-2 missing: the kit shows incomplete, naming it. Its label prints.
    b.sign_in("Ada");
    tagstation::ops::lending::check_in(
        &mut HubLedger::new(store.as_ref()),
        units[0],
        None,
        &actor,
        None,
    )
    .unwrap();
    b.go("/kits");
    b.type_in("#kit-name", "Shoot kit");
    b.type_in("#kit-tag", "KIT-1");
    b.type_in("#kit-units", "CK-1\nck-2");
    b.submit("form[action='/kits'] button");
    b.wait_text("Kit: Shoot kit");
    b.type_in("#kit-holder", "Bea");
    b.submit("form[action$='/check-out'] button");
    b.wait_text("Take the kit back");
    assert_eq!(b.count("input[name='back']"), 2);
    b.click(&format!("input[name='back'][value='{}']", units[1]));
    b.submit("form[action$='/check-in'] button");
    b.wait_text("Incomplete");
    assert!(b.text().contains("missing Camera kit 02"), "{}", b.text());
    b.screenshot("kit-incomplete");

    // The kit reserved whole for Bo: his calendar, both units in one reservation
    // (one item), noted with the kit.
    let (kfrom, kto) = (
        tagstation::clock::in_days(10),
        tagstation::clock::in_days(11),
    );
    b.type_in("#kr-person", "Bo");
    b.script(&format!(
        "document.getElementById('kr-starts').value = '{kfrom}';
         document.getElementById('kr-ends').value = '{kto}';"
    ));
    b.submit("form[action$='/reserve'] button");
    b.wait_text("Reservations: Bo");
    assert!(
        b.text().contains(&format!(
            "{kfrom} to {kto}\tBo\tCamera kit 01, Camera kit 02"
        )),
        "{}",
        b.text()
    );
    let l = HubLedger::new(store.as_ref());
    let all = tagstation::ops::reservations::list(&l, &Default::default()).unwrap();
    let bos: Vec<_> = all.iter().filter(|r| r.person == "Bo").collect();
    assert_eq!(bos.len(), 1, "{bos:?}");
    assert_eq!(bos[0].note.as_deref(), Some("Kit Shoot kit"));
    drop(l);
    b.go("/kits");
    assert!(
        b.text().contains("incomplete: missing Camera kit 02"),
        "{}",
        b.text()
    );
    b.screenshot("kits");
    let pdf = b.call(
        "POST",
        "/execute/sync",
        json!({"script": "return fetch('/labels.pdf?kits=all').then(r => r.headers.get('content-type') + ' ' + r.status)", "args": []}),
    );
    assert_eq!(pdf.as_str(), Some("application/pdf 200"), "{pdf}");
}

/// A signature and a condition photo made at a station reach the office: the station
/// records the check-out with the borrower's strokes and keeps a photo at check-in;
/// one sync later the unit's page in the browser draws the signature in its history and
/// shows the photo, served by the hub.
#[test]
fn a_signature_and_a_photo_go_from_a_station_to_the_web() {
    use tagstation::ops::lending::{act, Action};
    use tagstation::signature::Signature;
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(&dir.path().join("hub.db").display().to_string());
    let store = hub.state.store.clone();
    hub.add_directory();
    tagstation::web::setup::create_admin(store.as_ref(), "Ada", None, PASSWORD).unwrap();
    let station_dir = TempStation::new();
    let mut station = station_dir.open();
    hub.enroll(&mut station, "Front door");
    let (_, units) = tagged_item(&mut station, "Camera", "C", 1);
    sync(&mut station);

    let strokes = vec![
        vec![[20, 80], [60, 30], [100, 90], [140, 40]],
        vec![[170, 60], [230, 62]],
    ];
    let sig = Signature {
        width: 300,
        height: 120,
        strokes: strokes.clone(),
    };
    let a = Actor::from("station:Front door");
    let lend = Action::CheckOut {
        holder: "Ana".into(),
        due: None,
        over_reservation: false,
        signature: Some(sig),
    };
    act(&mut station, units[0], lend, &a, Some("C-1")).unwrap();
    let back = act(
        &mut station,
        units[0],
        Action::CheckIn { location: None },
        &a,
        Some("C-1"),
    )
    .unwrap();
    let jpeg = std::fs::read("tests/data/zxing-cpp/qrcode-2/#199b.jpg").unwrap();
    let sha = station.keep_photo(back.event_id, units[0], &jpeg).unwrap();
    assert!(station.photo_path(&sha).is_file());
    let round = sync(&mut station);
    assert_eq!(round.photos_sent, 1);
    assert_eq!(sync(&mut station).photos_sent, 0, "sent once");

    let d = driver();
    let b = Browser::open(&d, &hub.url);
    b.sign_in("Ada");
    b.go(&format!("/units/{}", units[0]));
    b.wait_text("Condition photos");
    assert!(b.text().contains("signed for at check-out"), "{}", b.text());
    // The strokes as drawn: the first polyline is the first stroke.
    let points = b.call(
        "POST",
        "/execute/sync",
        json!({"script": "return document.querySelector('.signature polyline').getAttribute('points')", "args": []}),
    );
    assert_eq!(points.as_str(), Some("20,80 60,30 100,90 140,40"));
    // The photo loaded: the browser decoded the JPEG the hub served.
    b.wait("the photo decoded", |b| {
        b.call(
            "POST",
            "/execute/sync",
            json!({"script": "const i = document.querySelector('.photos img'); return i.complete && i.naturalWidth", "args": []}),
        )
        .as_u64()
            > Some(0)
    });
    b.screenshot("unit-photo-signature");
    // The bytes served are the bytes taken.
    let served = b.call(
        "POST",
        "/execute/async",
        json!({"script": format!("const done = arguments[0]; fetch('/photos/{sha}.jpg').then(r => r.arrayBuffer()).then(b => done(b.byteLength))"), "args": []}),
    );
    assert_eq!(served.as_u64(), Some(jpeg.len() as u64));
}
