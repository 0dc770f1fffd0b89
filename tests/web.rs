//! The office web app over HTTP, against a real hub on loopback with its SQLite file:
//! sign-in (argon2id passwords, a new session at every sign-in, cookies that scripts
//! cannot read, no open redirects, a limit on failed attempts), CSRF tokens on every
//! form, the role each route needs (checked per route and per role), escaping, and
//! writes that are ordinary events reaching a station by sync.
#![cfg(feature = "hub")]

mod common;

use std::collections::BTreeMap;

use common::*;
use tagstation::catalog::Status;
use tagstation::hub::HubLedger;
use tagstation::ops::catalog::{add_unit, create_item, NewItem, NewUnit};
use tagstation::ops::Actor;
use tagstation::people::{PersonFields, Role};
use uuid::Uuid;

const PASSWORD: &str = "a long test password";

/// A browser's worth of HTTP: one cookie jar, no redirects followed.
struct Browser {
    base: String,
    http: reqwest::blocking::Client,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl Browser {
    fn new(hub: &TestHub) -> Browser {
        Browser {
            base: hub.url.clone(),
            http: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn take(&mut self, r: reqwest::blocking::Response) -> Page {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let set_cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &set_cookies {
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status,
            location,
            set_cookies,
            body: r.text().unwrap(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(&mut self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .unwrap();
        self.take(r)
    }

    /// A GET whose answer is not text (a PDF): its status, content type and bytes.
    fn get_bytes(&mut self, path: &str) -> (u16, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, kind, r.bytes().unwrap().to_vec())
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .unwrap();
        self.take(r)
    }

    /// Post a file-upload form (`multipart/form-data`): text fields, and `file` as
    /// the file named `name`.
    fn upload(&mut self, path: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Page {
        let boundary = "----tagstation-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((name, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .unwrap();
        self.take(r)
    }

    /// Sign in through the form; returns the answer to the form's post.
    fn sign_in(&mut self, login: &str, password: &str, next: &str) -> Page {
        let form = self.get(&format!("/sign-in?next={next}"));
        assert_eq!(form.status, 200);
        let token = hidden(&form.body, "csrf");
        let next = hidden(&form.body, "next");
        self.post(
            "/sign-in",
            &[
                ("login", login),
                ("password", password),
                ("next", &next),
                ("csrf", &token),
            ],
        )
    }

    /// The CSRF token of the signed-in session, from any page's sign-out form.
    fn csrf(&mut self) -> String {
        let page = self.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        hidden(&page.body, "csrf")
    }
}

/// The value of the first hidden input named `name`.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name} in:\n{html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// A hub with people of every role (each with a password) and a laptop item of three
/// tagged units.
struct Shop {
    hub: TestHub,
    _dir: tempfile::TempDir,
    item: Uuid,
    units: Vec<Uuid>,
}

fn person(name: &str, role: Role) -> PersonFields {
    PersonFields {
        name: name.into(),
        badges: vec![format!("B-{}", name.to_uppercase())],
        email: Some(format!("{}@shop.example", name.to_lowercase())),
        role,
        active: true,
        max_checkouts: None,
        loan_days: None,
    }
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    shop_on(&db, dir)
}

fn shop_on(database: &str, dir: tempfile::TempDir) -> Shop {
    let hub = TestHub::start(database);
    let store = hub.state.store.clone();
    let actor = Actor::new("test");
    let mut l = HubLedger::new(store.as_ref());
    for (name, role) in [
        ("Vic", Role::Viewer),
        ("Bo", Role::Borrower),
        ("Bea", Role::Borrower),
        ("Olga", Role::Operator),
    ] {
        tagstation::ops::people::add_person(&mut l, person(name, role), &actor).unwrap();
    }
    let item = create_item(&mut l, NewItem::units("Laptop"), &actor).unwrap();
    let units = (1..=3)
        .map(|n| {
            add_unit(
                &mut l,
                item,
                NewUnit {
                    tag: Some(format!("LT-00{n}")),
                    ..NewUnit::default()
                },
                &actor,
            )
            .unwrap()
            .id
        })
        .collect();
    drop(l);
    tagstation::web::setup::create_admin(store.as_ref(), "Ada", None, PASSWORD).unwrap();
    for name in ["Vic", "Bo", "Bea", "Olga"] {
        let (_, path) = tagstation::web::setup::password_link(store.as_ref(), name).unwrap();
        let mut b = Browser::new(&hub);
        let token = path.split("token=").nth(1).unwrap().to_string();
        let page = b.post(
            "/set-password",
            &[
                ("token", &token),
                ("password", PASSWORD),
                ("again", PASSWORD),
            ],
        );
        assert_eq!(page.status, 303, "{}", page.body);
    }
    Shop {
        hub,
        _dir: dir,
        item,
        units,
    }
}

fn signed_in(shop: &Shop, name: &str) -> Browser {
    let mut b = Browser::new(&shop.hub);
    let page = b.sign_in(name, PASSWORD, "/");
    assert_eq!(page.status, 303, "{name} signs in: {}", page.body);
    b
}

#[test]
fn sign_in_gives_a_new_strict_session_and_sign_out_ends_it() {
    let shop = shop();
    let mut b = Browser::new(&shop.hub);

    // Not signed in: every page leads to sign-in, keeping where it was going.
    let page = b.get("/items?q=lap");
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/sign-in?next=/items%3Fq%3Dlap")
    );

    // A wrong password says so, in words, and sets no session.
    let page = b.sign_in("Ada", "not the password", "/");
    assert_eq!(page.status, 401);
    assert!(page.body.contains("do not match"), "{}", page.body);
    assert!(!b.cookies.contains_key("ts_session"));

    // A session id planted before sign-in is replaced (no session fixation).
    b.cookies.insert("ts_session".into(), "f".repeat(64));
    let page = b.sign_in("ada", PASSWORD, "/items");
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/items"));
    let session = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("ts_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    assert_ne!(b.cookies["ts_session"], "f".repeat(64));
    assert_eq!(b.get("/").status, 200);

    // Signing in by email works too; by a badge as well.
    assert_eq!(signed_in(&shop, "olga@shop.example").get("/").status, 200);
    assert_eq!(signed_in(&shop, "B-VIC").get("/").status, 200);

    // Sign out: the same cookie no longer opens anything.
    let kept = b.cookies.clone();
    let csrf = b.csrf();
    let page = b.post("/sign-out", &[("csrf", &csrf)]);
    assert_eq!(page.status, 303);
    b.cookies = kept;
    assert_eq!(b.get("/").status, 303, "the old session is gone");
}

#[test]
fn sign_in_refuses_open_redirects_and_forged_forms_and_counts_failures() {
    let shop = shop();
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let mut b = Browser::new(&shop.hub);
        let page = b.sign_in("Ada", PASSWORD, &tagstation::escape::percent(next, ""));
        assert_eq!(page.status, 303);
        assert_eq!(page.location.as_deref(), Some("/"), "next={next}");
    }

    // The sign-in form carries a token tied to the browser that loaded it.
    let mut b = Browser::new(&shop.hub);
    let page = b.post(
        "/sign-in",
        &[("login", "Ada"), ("password", PASSWORD), ("csrf", "forged")],
    );
    assert_eq!(page.status, 403);
    assert!(!b.cookies.contains_key("ts_session"));

    // Failed sign-ins from one address are limited; the limit holds for a right
    // password too, then says to wait.
    let mut b = Browser::new(&shop.hub);
    for _ in 0..tagstation::web::signin::SIGN_IN_FAILURES_PER_MINUTE {
        assert_eq!(b.sign_in("Ada", "wrong password!", "/").status, 401);
    }
    let page = b.sign_in("Ada", PASSWORD, "/");
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.body.contains("wait a minute"));
    common::report_fault(
        "75-web-sign-in",
        &format!(
            "## Hostile sign-ins to the web app\n\n\
             | attack | answer |\n|---|---|\n\
             | `next` = `//evil.example/`, `https://evil.example/`, `/\\evil.example` | signed in, sent to `/` (no open redirect) |\n\
             | sign-in form posted without the token its page set | 403, no session |\n\
             | a session id planted before sign-in | replaced by a new one at sign-in (no fixation) |\n\
             | {} wrong passwords from one address in a minute | then 429 \"wait a minute\", even for the right password |\n\n",
            tagstation::web::signin::SIGN_IN_FAILURES_PER_MINUTE
        ),
    );
}

/// Every route, and the least role it needs (`None`: any signed-in person).
fn routes(shop: &Shop) -> Vec<(&'static str, String, Role)> {
    let item = shop.item;
    let unit = shop.units[0];
    let vic = {
        let store = shop.hub.state.store.clone();
        tagstation::hub::read(store.as_ref(), |c| {
            tagstation::hub::ledger::people_matching(c, "Vic")
        })
        .unwrap()[0]
            .id
    };
    vec![
        ("GET", "/".into(), Role::Viewer),
        ("GET", "/items".into(), Role::Viewer),
        ("GET", format!("/items/{item}"), Role::Viewer),
        ("GET", format!("/units/{unit}"), Role::Viewer),
        ("GET", "/scan?code=LT-001".into(), Role::Viewer),
        ("GET", format!("/items/{item}/tracking"), Role::Admin),
        ("GET", "/people".into(), Role::Admin),
        ("POST", format!("/units/{unit}/check-out"), Role::Borrower),
        ("POST", format!("/units/{unit}/check-in"), Role::Borrower),
        ("POST", format!("/items/{item}/tracking"), Role::Admin),
        ("POST", format!("/people/{vic}/password-link"), Role::Admin),
        ("POST", format!("/people/{vic}/sign-out"), Role::Admin),
        ("GET", "/tokens".into(), Role::Viewer),
        ("POST", "/tokens".into(), Role::Viewer),
        ("GET", "/reminders".into(), Role::Viewer),
        ("POST", "/reminders/preferences".into(), Role::Viewer),
        (
            "POST",
            format!("/tokens/{}/revoke", Uuid::now_v7()),
            Role::Viewer,
        ),
        ("GET", "/stations".into(), Role::Admin),
        ("POST", "/stations".into(), Role::Admin),
        ("POST", "/stations/Nowhere/revoke".into(), Role::Admin),
        ("GET", "/conflicts".into(), Role::Viewer),
        ("GET", "/items/new".into(), Role::Admin),
        ("POST", "/items/new".into(), Role::Admin),
        ("GET", format!("/items/{item}/edit"), Role::Admin),
        ("POST", format!("/items/{item}/edit"), Role::Admin),
        ("POST", format!("/items/{item}/units"), Role::Admin),
        ("POST", format!("/items/{item}/quantity"), Role::Operator),
        ("POST", format!("/units/{unit}/status"), Role::Operator),
        ("POST", format!("/units/{unit}/move"), Role::Operator),
        ("GET", "/locations".into(), Role::Viewer),
        ("POST", "/locations".into(), Role::Admin),
        (
            "GET",
            format!("/locations/{}", Uuid::now_v7()),
            Role::Viewer,
        ),
        (
            "POST",
            format!("/locations/{}", Uuid::now_v7()),
            Role::Admin,
        ),
        ("GET", "/people/new".into(), Role::Admin),
        ("POST", "/people/new".into(), Role::Admin),
        ("GET", format!("/people/{vic}"), Role::Admin),
        ("POST", format!("/people/{vic}"), Role::Admin),
        ("GET", "/reports".into(), Role::Viewer),
        ("GET", "/import".into(), Role::Viewer),
        ("POST", "/import".into(), Role::Admin),
        ("GET", "/export/items.csv".into(), Role::Viewer),
        ("GET", "/export/units.csv".into(), Role::Viewer),
        ("GET", format!("/labels.pdf?item={item}"), Role::Viewer),
        (
            "POST",
            format!("/conflicts/{}/resolve", Uuid::now_v7()),
            Role::Admin,
        ),
    ]
}

#[test]
fn every_route_checks_its_role_on_the_server() {
    let shop = shop();
    for (method, path, _) in routes(&shop) {
        let mut anonymous = Browser::new(&shop.hub);
        let page = if method == "GET" {
            anonymous.get(&path)
        } else {
            anonymous.post(&path, &[("csrf", "x")])
        };
        assert_eq!(page.status, 303, "anonymous {method} {path}");
        assert!(page.location.unwrap().starts_with("/sign-in"));
    }
    for (name, role) in [
        ("Vic", Role::Viewer),
        ("Bo", Role::Borrower),
        ("Olga", Role::Operator),
        ("Ada", Role::Admin),
    ] {
        let mut b = signed_in(&shop, name);
        let csrf = b.csrf();
        for (method, path, needs) in routes(&shop) {
            let page = if method == "GET" {
                b.get(&path)
            } else {
                // A form the route cannot act on (no such status to switch to, say) is
                // fine here: what matters is whether the role got past the gate.
                b.post(&path, &[("csrf", &csrf), ("to", "neither")])
            };
            if role >= needs {
                assert_ne!(
                    page.status, 403,
                    "{name} ({role:?}) {method} {path}: {}",
                    page.body
                );
            } else {
                assert_eq!(
                    page.status, 403,
                    "{name} ({role:?}) {method} {path}: {}",
                    page.body
                );
                assert!(page.body.contains("needs the"), "{}", page.body);
            }
        }
    }
}

#[test]
fn forms_without_their_csrf_token_change_nothing() {
    let shop = shop();
    let mut b = signed_in(&shop, "Olga");
    let unit = shop.units[0];
    let before = shop.hub.stats().events;
    for form in [
        vec![("holder", "Bo")],
        vec![("holder", "Bo"), ("csrf", "0".repeat(64).as_str())],
    ] {
        let page = b.post(&format!("/units/{unit}/check-out"), &form);
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(page.body.contains("this form has expired"), "{}", page.body);
    }
    assert_eq!(shop.hub.stats().events, before, "nothing recorded");
    common::report_fault(
        "76-web-forms",
        "## Forged forms and roles on the web app\n\n\
         A check-out posted without the session's CSRF token, or with a wrong one, is refused \
         (403, \"this form has expired or did not come from this page\") and records nothing. \
         Every route checks the role it needs on the server, for each of viewer, borrower, \
         operator and admin (`tests/web.rs`, `every_route_checks_its_role_on_the_server`); a \
         borrower lending to someone else, or checking in what another holds, gets 403.\n\n",
    );
}

#[test]
fn borrowers_lend_to_themselves_only_and_operators_to_anyone() {
    let shop = shop();
    let (u1, u2) = (shop.units[0], shop.units[1]);
    let mut bo = signed_in(&shop, "Bo");
    let csrf = bo.csrf();

    // Not for someone else...
    let page = bo.post(
        &format!("/units/{u1}/check-out"),
        &[("csrf", &csrf), ("holder", "Bea")],
    );
    assert_eq!(page.status, 403, "{}", page.body);
    // ...but for themselves.
    let page = bo.post(&format!("/units/{u1}/check-out"), &[("csrf", &csrf)]);
    assert_eq!(page.status, 303, "{}", page.body);
    let unit = bo.get(&format!("/units/{u1}"));
    assert!(unit.body.contains("class=\"holder\">Bo<"), "{}", unit.body);
    assert!(unit.body.contains("by web:Bo"), "attributed: {}", unit.body);

    // An operator lends to Bea; Bo cannot check in what Bea holds.
    let mut olga = signed_in(&shop, "Olga");
    let oc = olga.csrf();
    let page = olga.post(
        &format!("/units/{u2}/check-out"),
        &[("csrf", &oc), ("holder", "B-BEA"), ("due", "2099-01-31")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let page = bo.post(&format!("/units/{u2}/check-in"), &[("csrf", &csrf)]);
    assert_eq!(page.status, 403, "{}", page.body);
    // A refusal of the operations layer reads as words, not a code.
    let page = olga.post(
        &format!("/units/{u2}/check-out"),
        &[("csrf", &oc), ("holder", "Bo")],
    );
    assert_eq!(page.status, 422);
    assert!(page.body.contains("checked out"), "{}", page.body);

    // The overview shows who has what is overdue... nothing yet; Bo checks in his own.
    let page = bo.post(&format!("/units/{u1}/check-in"), &[("csrf", &csrf)]);
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(bo.get(&format!("/units/{u1}")).body.contains("In stock"));
}

#[test]
fn untrusted_text_shows_as_text() {
    let shop = shop();
    let store = shop.hub.state.store.clone();
    let mut l = HubLedger::new(store.as_ref());
    let nasty = add_unit(
        &mut l,
        shop.item,
        NewUnit {
            name: Some("<script>alert(1)</script>".into()),
            tag: Some("\"><img src=x onerror=alert(2)>".into()),
            ..NewUnit::default()
        },
        &Actor::new("<b>bold</b>"),
    )
    .unwrap();
    drop(l);
    let mut b = signed_in(&shop, "Vic");
    for path in [
        format!("/units/{}", nasty.id),
        format!("/items/{}", shop.item),
        "/".into(),
    ] {
        let page = b.get(&path);
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("<b>bold"), "{path}");
    }
    assert!(b
        .get(&format!("/units/{}", nasty.id))
        .body
        .contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    common::report_fault(
        "77-web-escaping",
        "## Untrusted text on the web app\n\n\
         A unit named `<script>alert(1)</script>`, tagged `\"><img src=x onerror=alert(2)>`, \
         recorded by an actor named `<b>bold</b>`, shows as text on the unit, item and overview \
         pages: the templates escape every value.\n\n",
    );
}

#[test]
fn an_admin_switches_tracking_with_a_preview_and_the_fold_refusal() {
    let shop = shop();
    let store = shop.hub.state.store.clone();
    let mut l = HubLedger::new(store.as_ref());
    let gloves = create_item(&mut l, NewItem::count("Gloves", 3), &Actor::new("test")).unwrap();
    drop(l);
    let mut ada = signed_in(&shop, "Ada");
    let csrf = ada.csrf();

    let preview = ada.get(&format!("/items/{gloves}/tracking"));
    assert!(
        preview.body.contains("seeds <strong>3</strong> units"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("Gloves 01"));
    let page = ada.post(
        &format!("/items/{gloves}/tracking"),
        &[("csrf", &csrf), ("to", "units")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let item = ada.get(&format!("/items/{gloves}"));
    assert!(
        item.body.contains("Tracked by unit: 3 units"),
        "{}",
        item.body
    );
    assert!(item.body.contains("Gloves 03"));

    // A laptop is out: the fold is refused, named, and nothing changes.
    let mut olga = signed_in(&shop, "Olga");
    let oc = olga.csrf();
    let u = shop.units[0];
    assert_eq!(
        olga.post(
            &format!("/units/{u}/check-out"),
            &[("csrf", &oc), ("holder", "Bo")]
        )
        .status,
        303
    );
    let preview = ada.get(&format!("/items/{}/tracking", shop.item));
    assert!(
        preview.body.contains("check them in first") || preview.body.contains("Check them in"),
        "{}",
        preview.body
    );
    let page = ada.post(
        &format!("/items/{}/tracking", shop.item),
        &[("csrf", &csrf), ("to", "count")],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("Laptop 01") || page.body.contains("LT-001") || page.body.contains("Bo"),
        "{}",
        page.body
    );
}

#[test]
fn web_changes_reach_a_station_and_station_scans_reach_the_web() {
    let shop = shop();
    let station_dir = TempStation::new();
    let mut station = station_dir.open();
    shop.hub.enroll(&mut station, "Door");
    sync(&mut station);

    // Checked out on the web, by an operator...
    let mut olga = signed_in(&shop, "Olga");
    let csrf = olga.csrf();
    let u = shop.units[2];
    assert_eq!(
        olga.post(
            &format!("/units/{u}/check-out"),
            &[("csrf", &csrf), ("holder", "Bea")]
        )
        .status,
        303
    );
    // ...reaches the station by sync as an ordinary event.
    sync(&mut station);
    let unit = station.unit(u).unwrap();
    assert_eq!(unit.status, Status::CheckedOut);
    assert_eq!(unit.holder.as_deref(), Some("Bea"));

    // A status set at the station shows on the web after sync.
    let other = station.unit(shop.units[1]).unwrap();
    station
        .record(cmd(
            shop.item,
            Some(other.id),
            tagstation::event::EventKind::StatusChanged {
                to: Status::Damaged,
                reason: None,
            },
        ))
        .unwrap();
    sync(&mut station);
    let page = olga.get(&format!("/units/{}", other.id));
    assert!(page.body.contains("Damaged"), "{}", page.body);
    assert!(olga.get("/").body.contains("Damaged"));

    // Station health: the station says at every contact how many of its events wait to
    // reach the hub, and which version it runs.
    for colour in ["red", "blue"] {
        station
            .record(cmd(
                shop.item,
                Some(shop.units[0]),
                tagstation::event::EventKind::FieldSet {
                    key: "colour".into(),
                    value: Some(colour.into()),
                },
            ))
            .unwrap();
    }
    tagstation::sync::pull_all(&mut station).unwrap();
    let door = |page: &Page| {
        let at = page
            .body
            .find("<td>Door</td>")
            .unwrap_or_else(|| panic!("{}", page.body));
        page.body[at..at + page.body[at..].find("</tr>").unwrap()].to_string()
    };
    let version = tagstation::proto::VERSION;
    let mut ada = signed_in(&shop, "Ada");
    let row = door(&ada.get("/stations"));
    assert!(
        row.contains("<td>2</td>") && row.contains(version),
        "2 waiting: {row}"
    );
    let row = door(&ada.get("/"));
    assert!(row.contains("<td>2</td>") && row.contains(version), "{row}");
    sync(&mut station);
    let row = door(&ada.get("/stations"));
    assert!(row.contains("<td>0</td>"), "none waiting after sync: {row}");
}

#[test]
fn set_password_links_work_once_and_admins_end_sessions() {
    let shop = shop();
    let mut ada = signed_in(&shop, "Ada");
    let csrf = ada.csrf();
    let vic_id = {
        let store = shop.hub.state.store.clone();
        tagstation::hub::read(store.as_ref(), |c| {
            tagstation::hub::ledger::people_matching(c, "Vic")
        })
        .unwrap()[0]
            .id
    };
    let mut vic = signed_in(&shop, "Vic");
    assert_eq!(vic.get("/").status, 200);

    // An admin ends Vic's sessions from the people page.
    let people = ada.get("/people");
    assert!(people.body.contains("Vic"));
    assert_eq!(
        ada.post(&format!("/people/{vic_id}/sign-out"), &[("csrf", &csrf)])
            .status,
        303
    );
    assert_eq!(vic.get("/").status, 303, "Vic's session has ended");

    // A new link; a mismatched pair and a short password are refused with words.
    let page = ada.post(
        &format!("/people/{vic_id}/password-link"),
        &[("csrf", &csrf)],
    );
    assert_eq!(page.status, 200);
    let start = page.body.find("/set-password?token=").unwrap();
    let link = &page.body[start..start + "/set-password?token=".len() + 64];
    let token = link.split("token=").nth(1).unwrap();
    let mut anyone = Browser::new(&shop.hub);
    assert!(anyone.get(link).body.contains("Set a password for Vic"));
    let page = anyone.post(
        "/set-password",
        &[("token", token), ("password", "short"), ("again", "short")],
    );
    assert_eq!(page.status, 422);
    assert!(page.body.contains("at least 10 characters"));
    let page = anyone.post(
        "/set-password",
        &[
            ("token", token),
            ("password", "new password 1"),
            ("again", "new password 2"),
        ],
    );
    assert!(page.body.contains("differ"));
    let page = anyone.post(
        "/set-password",
        &[
            ("token", token),
            ("password", "new password 1"),
            ("again", "new password 1"),
        ],
    );
    assert_eq!(page.status, 303);
    // Used once: the link is gone; the new password works, the old does not.
    assert_eq!(anyone.get(link).status, 404);
    assert_eq!(
        Browser::new(&shop.hub).sign_in("Vic", PASSWORD, "/").status,
        401
    );
    assert_eq!(
        Browser::new(&shop.hub)
            .sign_in("Vic", "new password 1", "/")
            .status,
        303
    );
}

#[test]
fn a_scanner_typing_into_the_search_box_jumps_to_the_unit() {
    let shop = shop();
    let mut b = signed_in(&shop, "Vic");
    let page = b.get("/scan?code=lt-002");
    assert_eq!(page.location, Some(format!("/units/{}", shop.units[1])));
    let page = b.get("/scan?code=Laptop");
    assert_eq!(page.location, Some(format!("/items/{}", shop.item)));
    let page = b.get("/scan?code=nothing%20like%20it");
    assert_eq!(
        page.location.as_deref(),
        Some("/items?q=nothing%20like%20it")
    );
    let page = b.get("/items?q=lap");
    assert!(page.body.contains("Laptop"));
    assert!(!b.get("/items?q=zzz").body.contains("Laptop"));
}

#[test]
fn create_admin_and_password_link_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let run = |args: &[&str], password: Option<&str>| {
        let mut c = std::process::Command::new(hub_bin());
        c.arg("hub").arg("--database").arg(&db).args(args);
        match password {
            Some(p) => c.env("TAGSTATION_ADMIN_PASSWORD", p),
            None => c.env_remove("TAGSTATION_ADMIN_PASSWORD"),
        };
        c.output().unwrap()
    };
    let o = run(&["create-admin", "Ada"], Some("short"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 10 characters"));
    let o = run(
        &["create-admin", "Ada", "--email", "ada@shop.example"],
        Some(PASSWORD),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Ada created"));
    let o = run(
        &["password-link", "Ada", "--url", "https://hub.shop.example/"],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("https://hub.shop.example/set-password?token=")
    );

    let hub = TestHub::start(&db);
    let mut b = Browser::new(&hub);
    assert_eq!(b.sign_in("ada@shop.example", PASSWORD, "/").status, 303);
    assert!(b.get("/people").body.contains("Ada"));
}

#[test]
fn two_hubs_on_one_postgresql_share_sessions_and_the_sign_in_limit() {
    let Some(base) = pg_url() else { return };
    let db = fresh_pg_db(&base, "web_two_hubs");
    let shop = shop_on(&db, tempfile::tempdir().unwrap());
    let other = TestHub::start(&db);

    // Signed in on one hub, the same cookie works on the other: sessions live in the
    // database, not in one process.
    let mut b = signed_in(&shop, "Olga");
    let csrf = b.csrf();
    b.base = other.url.clone();
    assert_eq!(b.get("/").status, 200);
    let u = shop.units[0];
    let page = b.post(
        &format!("/units/{u}/check-out"),
        &[("csrf", &csrf), ("holder", "Bo")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(b.get("/items?q=lap").body.contains("Laptop"));
    assert!(b.get("/").body.contains("Checked out"));

    // Failed sign-ins count across both hubs.
    let limit = tagstation::web::signin::SIGN_IN_FAILURES_PER_MINUTE;
    for i in 0..limit {
        let mut x = Browser::new(if i % 2 == 0 { &shop.hub } else { &other });
        assert_eq!(x.sign_in("Ada", "wrong password!", "/").status, 401);
    }
    assert_eq!(
        Browser::new(&other).sign_in("Ada", PASSWORD, "/").status,
        429
    );

    // Signing out on one ends the session on both.
    let page = b.post("/sign-out", &[("csrf", &csrf)]);
    assert_eq!(page.status, 303);
}

#[test]
fn an_admin_enrolls_a_station_from_the_web_and_reviews_its_conflicts() {
    let shop = shop();
    let mut ada = signed_in(&shop, "Ada");
    let csrf = ada.csrf();

    // Add a station: the page shows its one-time code, which a real station enrolls with.
    let mut codes = Vec::new();
    for name in ["Front door", "Van <1>"] {
        let page = ada.post("/stations", &[("csrf", &csrf), ("name", name)]);
        assert_eq!(page.status, 200, "{}", page.body);
        let at = page.body.find("class=\"code\">").unwrap() + 13;
        codes.push(page.body[at..at + 14].to_string());
        assert!(!page.body.contains("Van <1>"), "escaped");
    }
    let page = ada.post("/stations", &[("csrf", &csrf), ("name", "Front door")]);
    assert!(page.body.contains("already exists"), "{}", page.body);
    let (a_dir, b_dir) = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    tagstation::sync::enroll(&mut a, &shop.hub.url, &codes[0]).unwrap();
    tagstation::sync::enroll(&mut b, &shop.hub.url, &codes[1]).unwrap();
    sync(&mut a);
    sync(&mut b);
    assert!(ada.get("/stations").body.contains("Front door"));

    // Both change the same laptop while apart: the later one is a conflict to review.
    let u = shop.units[0];
    for (store, to) in [(&mut a, Status::Damaged), (&mut b, Status::Sending)] {
        store
            .record(cmd(
                shop.item,
                Some(u),
                tagstation::event::EventKind::StatusChanged { to, reason: None },
            ))
            .unwrap();
    }
    sync(&mut a);
    sync(&mut b);
    let page = signed_in(&shop, "Vic").get("/conflicts");
    assert!(
        page.body.contains("Mark reviewed") == false,
        "a viewer reads, without the button"
    );
    let page = ada.get("/conflicts");
    let at = page.body.find("/conflicts/").unwrap();
    let event = &page.body[at + 11..at + 11 + 36];
    assert_eq!(
        ada.post(&format!("/conflicts/{event}/resolve"), &[("csrf", &csrf)])
            .status,
        303
    );
    assert!(ada
        .get("/conflicts")
        .body
        .contains("No conflicts to review"));
    assert_eq!(shop.hub.stats().conflicts_open, 0);

    // Revoke the van: its token stops working.
    let page = ada.post("/stations/Van%20%3C1%3E/revoke", &[("csrf", &csrf)]);
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(ada.get("/stations").body.contains("revoked"));
    b.record(cmd(
        shop.item,
        Some(u),
        tagstation::event::EventKind::StatusChanged {
            to: Status::InStock,
            reason: None,
        },
    ))
    .unwrap();
    assert!(
        tagstation::sync::sync_once(&mut b, 100).is_err(),
        "a revoked station cannot sync"
    );
}

/// The id at the end of a redirect (`/items/<id>`).
fn redirected_id(page: &Page) -> String {
    let to = page
        .location
        .clone()
        .unwrap_or_else(|| panic!("no redirect: {}", page.body));
    to.rsplit('/').next().unwrap().to_string()
}

#[test]
fn admins_keep_the_catalog_people_and_locations_and_operators_move_units() {
    let shop = shop();
    let mut ada = signed_in(&shop, "Ada");
    let csrf = ada.csrf();

    // A new counted item, then edited.
    let page = ada.post(
        "/items/new",
        &[
            ("csrf", &csrf),
            ("name", "Gloves <L>"),
            ("tracking", "count"),
            ("quantity", "40"),
            ("reorder_point", "x"),
        ],
    );
    assert_eq!(
        page.status, 400,
        "a reorder point that is not a number: {}",
        page.body
    );
    assert!(
        page.body.contains("must be a whole number"),
        "{}",
        page.body
    );
    let page = ada.post(
        "/items/new",
        &[
            ("csrf", &csrf),
            ("name", "Gloves <L>"),
            ("tracking", "count"),
            ("quantity", "40"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let gloves = redirected_id(&page);
    let page = ada.post(
        &format!("/items/{gloves}/edit"),
        &[
            ("csrf", &csrf),
            ("name", "Gloves L"),
            ("reorder_point", "50"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let item = ada.get(&format!("/items/{gloves}"));
    assert!(item.body.contains("<h1>Gloves L</h1>"), "{}", item.body);
    assert!(
        item.body.contains("below it now"),
        "40 in stock, reorder at 50: {}",
        item.body
    );

    // An operator changes the stock of a counted item.
    let mut olga = signed_in(&shop, "Olga");
    let ocsrf = olga.csrf();
    let page = olga.post(
        &format!("/items/{gloves}/quantity"),
        &[
            ("csrf", &ocsrf),
            ("status", "in_stock"),
            ("delta", "15"),
            ("reason", "delivery"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let item = olga.get(&format!("/items/{gloves}"));
    assert!(
        item.body.contains("<span class=\"n\">55</span> In stock"),
        "{}",
        item.body
    );

    // A unit added to the laptops, a location, and the operator moves and repairs it.
    let page = ada.post(
        &format!("/items/{}/units", shop.item),
        &[("csrf", &csrf), ("tag", "LT-100")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let unit = redirected_id(&page);
    // "the next new tag": a number of the hub's pattern, leased to the hub itself, so no
    // station is ever handed the same one
    let mut tags = Vec::new();
    for _ in 0..2 {
        let page = ada.post(
            &format!("/items/{}/units", shop.item),
            &[("csrf", &csrf), ("new_tag", "on")],
        );
        assert_eq!(page.status, 303, "{}", page.body);
        let id: Uuid = redirected_id(&page).parse().unwrap();
        let u = shop.hub.state.store.catalog_unit(id).unwrap().unwrap();
        tags.push(u.asset_tag.expect("a new tag"));
    }
    assert!(tags[0].starts_with("TS-") && tags[1] > tags[0], "{tags:?}");
    let leases =
        tagstation::hub::read(shop.hub.state.store.as_ref(), tagstation::hub::tags::leases)
            .unwrap();
    let hub_id = shop.hub.state.store.hub_id();
    let mine: Vec<_> = leases.iter().filter(|l| l.station_id == hub_id).collect();
    assert_eq!(mine.len(), 2, "{leases:?}");
    assert!(mine.iter().all(|l| l.first == l.last));
    let page = ada.post(
        "/locations",
        &[
            ("csrf", &csrf),
            ("name", "Back room"),
            ("kind", "room"),
            ("code", "LOC-BR"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let page = ada.post("/locations", &[("csrf", &csrf), ("name", "Back room")]);
    assert_eq!(
        page.status, 422,
        "a second location of that name: {}",
        page.body
    );
    let page = olga.post(
        &format!("/units/{unit}/move"),
        &[("csrf", &ocsrf), ("location", "Attic")],
    );
    assert_eq!(page.status, 422, "an unknown location: {}", page.body);
    assert!(
        page.body.contains("There is no location called Attic"),
        "{}",
        page.body
    );
    let page = olga.post(
        &format!("/units/{unit}/move"),
        &[("csrf", &ocsrf), ("location", "LOC-BR")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let page = olga.post(
        &format!("/units/{unit}/status"),
        &[
            ("csrf", &ocsrf),
            ("status", "damaged"),
            ("reason", "cracked screen"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let shown = olga.get(&format!("/units/{unit}"));
    assert!(
        shown.body.contains("class=\"status\">Damaged"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Back room"), "{}", shown.body);
    assert!(
        shown.body.contains("by web:Olga"),
        "attributed: {}",
        shown.body
    );
    let places = olga.get("/locations");
    assert!(
        places.body.contains("Back room") && places.body.contains("LOC-BR"),
        "{}",
        places.body
    );

    // People: a new one, then their role changed and a badge dropped.
    let page = ada.post(
        "/people/new",
        &[
            ("csrf", &csrf),
            ("name", "Nia"),
            ("role", "borrower"),
            ("badges", "B-NIA, B-NIA2"),
            ("max_checkouts", "2"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let nia = redirected_id(&page);
    let page = ada.post(
        &format!("/people/{nia}"),
        &[
            ("csrf", &csrf),
            ("name", "Nia"),
            ("role", "operator"),
            ("badges", "B-NIA"),
            ("max_checkouts", "2"),
            ("active", "yes"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let store = shop.hub.state.store.clone();
    let p = tagstation::hub::read(store.as_ref(), |c| {
        tagstation::hub::ledger::people_matching(c, "Nia")
    })
    .unwrap();
    assert_eq!(p[0].role, Role::Operator);
    assert_eq!(p[0].badges, ["B-NIA"]);
    assert_eq!(p[0].max_checkouts, Some(2));
    let people = ada.get("/people");
    assert!(
        people.body.contains("B-NIA") && people.body.contains("2 at once"),
        "{}",
        people.body
    );
    // A badge is a code: one already taken is refused, in words.
    let page = ada.post(
        "/people/new",
        &[
            ("csrf", &csrf),
            ("name", "Copy"),
            ("role", "viewer"),
            ("badges", "B-NIA"),
        ],
    );
    assert_eq!(page.status, 422, "{}", page.body);
}

const UNITS_CSV: &str = "item,unit,asset_tag,status,location\n\
Camera,Camera 01,CAM-001,in_stock,\n\
Camera,Camera 02,CAM-002,damaged,\n\
Tripod,,,,\n";

#[test]
fn a_csv_import_shows_its_preview_first_and_a_bad_file_changes_nothing() {
    let shop = shop();
    let mut ada = signed_in(&shop, "Ada");
    let csrf = ada.csrf();
    let before = shop.hub.stats().events;

    // The preview: every change in words, nothing recorded.
    let page = ada.upload(
        "/import",
        &[("csrf", &csrf), ("mode", "set"), ("step", "preview")],
        Some(("units.csv", UNITS_CSV.as_bytes())),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Preview: nothing is recorded yet"),
        "{}",
        page.body
    );
    assert!(page.body.contains("CAM-002"), "{}", page.body);
    assert_eq!(shop.hub.stats().events, before, "a preview records nothing");

    // A file with a bad row: refused, naming the row, nothing recorded.
    let bad = format!("{UNITS_CSV}Camera,Camera 03,CAM-003,lost,\n");
    let page = ada.upload(
        "/import",
        &[("csrf", &csrf), ("mode", "set"), ("step", "import")],
        Some(("bad.csv", bad.as_bytes())),
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("row 5") && page.body.contains("Nothing was imported"),
        "{}",
        page.body
    );
    assert_eq!(shop.hub.stats().events, before);
    let page = ada.upload(
        "/import",
        &[("csrf", &csrf), ("step", "import")],
        Some(("colour.csv", b"item,colour\nSaw,red\n")),
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("unknown column"), "{}", page.body);
    assert_eq!(shop.hub.stats().events, before);

    // Without the form's token: refused, nothing recorded.
    let page = ada.upload(
        "/import",
        &[("step", "import")],
        Some(("units.csv", UNITS_CSV.as_bytes())),
    );
    assert_eq!(page.status, 403, "{}", page.body);

    // Too large: a clear answer, nothing recorded.
    let mut huge = String::from("item,quantity\n");
    while huge.len() <= 6 * 1024 * 1024 {
        huge.push_str("Gloves,1\n");
    }
    let page = ada.upload(
        "/import",
        &[("csrf", &csrf), ("step", "import")],
        Some(("huge.csv", huge.as_bytes())),
    );
    assert_eq!(page.status, 413, "{}", page.body);
    assert!(page.body.contains("larger than 5 MB"), "{}", page.body);
    assert_eq!(shop.hub.stats().events, before);

    // The import the preview offered, as its form posts it (the text carried along).
    let preview = ada.upload(
        "/import",
        &[("csrf", &csrf), ("mode", "set"), ("step", "preview")],
        Some(("units.csv", UNITS_CSV.as_bytes())),
    );
    let carried = preview
        .body
        .split("<textarea name=\"csv\" hidden>")
        .nth(1)
        .unwrap();
    let carried = carried[..carried.find("</textarea>").unwrap()].replace("&#38;", "&");
    let page = ada.upload(
        "/import",
        &[
            ("csrf", &csrf),
            ("mode", "set"),
            ("step", "import"),
            ("csv", &carried),
        ],
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Recorded: 2 new items"), "{}", page.body);
    assert!(shop.hub.stats().events > before);
    let camera = ada.get("/scan?code=CAM-002");
    assert_eq!(
        camera.status, 303,
        "the imported tag scans: {}",
        camera.body
    );

    // The export of units reads back unchanged.
    let export = ada.get("/export/units.csv");
    assert_eq!(export.status, 200);
    assert!(
        export.body.starts_with("item,unit,asset_tag,status"),
        "{}",
        export.body
    );
    assert!(export.body.contains("CAM-002,damaged"), "{}", export.body);
    let again = ada.upload(
        "/import",
        &[("csrf", &csrf), ("step", "preview")],
        Some(("export.csv", export.body.as_bytes())),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(
        again.body.contains("The file changes nothing"),
        "{}",
        again.body
    );
    let items = ada.get("/export/items.csv");
    assert!(items.body.contains("Tripod"), "{}", items.body);

    common::report_fault(
        "78-web-import",
        "## Catalog files on the web\n\n\
         An import shows its dry run (every change, row by row) and records nothing until the \
         preview's button is pressed. A file with a bad row (a status that does not exist) or an \
         unknown column is refused naming the row or column, and records nothing (422). An upload \
         without the form's token is refused (403). An upload over 5 MB is refused with \"The file \
         is larger than 5 MB, the most an import takes. Nothing was imported.\" (413). An export of \
         units previews as \"The file changes nothing\" (`tests/web.rs`).\n\n",
    );
}

#[test]
fn reports_show_overdue_dates_due_and_utilisation() {
    let shop = shop();
    let store = shop.hub.state.store.clone();
    let actor = Actor::new("test");
    {
        let mut l = HubLedger::new(store.as_ref());
        tagstation::ops::lifecycle::set_dates(
            &mut l,
            shop.units[1],
            Some("2020-03-01".into()),
            None,
            &actor,
        )
        .unwrap();
        tagstation::ops::lending::check_out(&mut l, &[shop.units[0]], "Bo", None, &actor).unwrap();
    }
    // Overdue: due yesterday, written as a station would have (a past due date).
    tagstation::hub::write(store.as_ref(), |c| {
        c.execute(
            "UPDATE units SET due = '2020-01-01' WHERE id = ?1",
            &[shop.units[0].into()],
        )
    })
    .unwrap();
    let mut vic = signed_in(&shop, "Vic");
    let page = vic.get("/reports");
    assert_eq!(page.status, 200, "{}", page.body);
    let overdue = &page.body
        [page.body.find("id=\"overdue\"").unwrap()..page.body.find("id=\"dates\"").unwrap()];
    assert!(
        overdue.contains("LT-001") || overdue.contains("Laptop 01"),
        "{overdue}"
    );
    let dates = &page.body
        [page.body.find("id=\"dates\"").unwrap()..page.body.find("id=\"utilization\"").unwrap()];
    assert!(
        dates.contains("2020-03-01") && dates.contains("warranty ends"),
        "{dates}"
    );
    let using = &page.body[page.body.find("id=\"utilization\"").unwrap()..];
    assert!(using.contains("Laptop"), "{using}");
    let page = vic.get("/reports?by=tomorrow");
    assert_eq!(page.status, 400, "{}", page.body);
}

/// A request signed with a personal token, as a script sends it: no cookie, no CSRF.
/// Returns the page and whether it asked for a bearer token (`WWW-Authenticate`).
fn with_token(
    hub: &TestHub,
    method: &str,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> (Page, bool) {
    let mut b = Browser::new(hub);
    let url = format!("{}{path}", hub.url);
    let req = if method == "GET" {
        b.http.get(url)
    } else {
        b.http.post(url).form(form)
    };
    let r = req
        .header("authorization", format!("Bearer {token}"))
        .send()
        .unwrap();
    let asks = r.headers().get("www-authenticate").is_some();
    (b.take(r), asks)
}

fn token_status(hub: &TestHub, token: &str) -> u16 {
    with_token(hub, "GET", "/", token, &[]).0.status
}

/// Make a token on the tokens page; returns its secret, shown once.
fn make_token(b: &mut Browser, name: &str, cap: &str) -> String {
    let csrf = b.csrf();
    let page = b.post("/tokens", &[("csrf", &csrf), ("name", name), ("cap", cap)]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("not shown again"), "{}", page.body);
    let at = page.body.find("tsp_").unwrap();
    page.body[at..at + 68].to_string()
}

#[test]
fn personal_tokens_act_as_their_person_capped_at_their_role() {
    let shop = shop();
    let (u1, u2) = (shop.units[0], shop.units[1]);
    let mut olga = signed_in(&shop, "Olga");
    let page = olga.get("/tokens");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("You have no tokens"), "{}", page.body);
    assert!(
        page.body.contains("<option value=\"operator\"") && !page.body.contains("value=\"admin\""),
        "caps up to her own role: {}",
        page.body
    );

    // Capped at viewer: reads, but cannot check out, CSRF or not.
    let viewer = make_token(&mut olga, "inventory script", "viewer");
    let page = olga.get("/tokens");
    assert!(!page.body.contains(&viewer), "the secret is shown once");
    assert!(page.body.contains("inventory script") && page.body.contains("<td>never</td>"));
    let (page, _) = with_token(&shop.hub, "GET", "/items?q=lap", &viewer, &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Laptop"));
    let before = shop.hub.stats().events;
    let (page, _) = with_token(
        &shop.hub,
        "POST",
        &format!("/units/{u1}/check-out"),
        &viewer,
        &[("holder", "Bo")],
    );
    assert_eq!(page.status, 403, "capped at viewer: {}", page.body);
    assert!(
        page.body.contains("needs the borrower role"),
        "{}",
        page.body
    );
    assert_eq!(shop.hub.stats().events, before);
    assert!(
        !olga.get("/tokens").body.contains("<td>never</td>"),
        "last use is recorded"
    );

    // Capped at operator: checks out for anyone, without a CSRF token.
    let operator = make_token(&mut olga, "lending desk", "operator");
    let (page, _) = with_token(
        &shop.hub,
        "POST",
        &format!("/units/{u1}/check-out"),
        &operator,
        &[("holder", "Bo")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(olga.get(&format!("/units/{u1}")).body.contains("web:Olga"));

    // A token cannot make tokens: a leaked one cannot outlive its revocation.
    let (page, _) = with_token(
        &shop.hub,
        "POST",
        "/tokens",
        &operator,
        &[("name", "more"), ("cap", "viewer")],
    );
    assert_eq!(page.status, 403, "{}", page.body);

    // Only its person (or an admin) revokes a token; revoked, it gets 401, not a
    // redirect to sign in. The page lists the newest (the operator's) first.
    let page = olga.get("/tokens");
    let at = page.body.find("/tokens/").unwrap() + 8;
    let id = page.body[at..at + 36].to_string();
    let mut bo = signed_in(&shop, "Bo");
    let bo_csrf = bo.csrf();
    let page = bo.post(&format!("/tokens/{id}/revoke"), &[("csrf", &bo_csrf)]);
    assert_eq!(page.status, 404, "someone else's token: {}", page.body);
    assert_eq!(token_status(&shop.hub, &operator), 200);
    let csrf = olga.csrf();
    let page = olga.post(&format!("/tokens/{id}/revoke"), &[("csrf", &csrf)]);
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(olga.get("/tokens").body.contains("revoked"));
    let (page, asks) = with_token(&shop.hub, "GET", "/items", &operator, &[]);
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(page.location.is_none() && asks);
    assert_eq!(
        token_status(&shop.hub, &viewer),
        200,
        "the other still works"
    );
    for bad in [
        format!("tsp_{}", "0".repeat(64)),
        "tsp_short".to_string(),
        "not-a-token".to_string(),
    ] {
        assert_eq!(token_status(&shop.hub, &bad), 401, "{bad}");
    }

    // A borrower cannot make a token above their role; theirs lends to them only.
    let page = bo.post(
        "/tokens",
        &[("csrf", &bo_csrf), ("name", "sneaky"), ("cap", "operator")],
    );
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(!bo.get("/tokens").body.contains("sneaky"));
    let bos = make_token(&mut bo, "my loans", "borrower");
    let (page, _) = with_token(
        &shop.hub,
        "POST",
        &format!("/units/{u2}/check-out"),
        &bos,
        &[("holder", "Bea")],
    );
    assert_eq!(page.status, 403, "{}", page.body);

    // The person's role at the time counts: lowered to viewer, an operator token reads
    // only; deactivated, the token is refused.
    let still = make_token(&mut olga, "still", "operator");
    let actor = Actor::new("test");
    let store = shop.hub.state.store.clone();
    let mut l = HubLedger::new(store.as_ref());
    let change = |role, active| tagstation::ops::people::PersonChange {
        role,
        active,
        ..Default::default()
    };
    tagstation::ops::people::edit_person(&mut l, "Olga", &change(Some(Role::Viewer), None), &actor)
        .unwrap();
    let (page, _) = with_token(
        &shop.hub,
        "POST",
        &format!("/units/{u2}/check-out"),
        &still,
        &[("holder", "Bo")],
    );
    assert_eq!(page.status, 403, "{}", page.body);
    tagstation::ops::people::edit_person(&mut l, "Olga", &change(None, Some(false)), &actor)
        .unwrap();
    drop(l);
    assert_eq!(token_status(&shop.hub, &still), 401);

    // An admin sees everyone's live tokens; ending a person's sessions revokes theirs.
    let mut ada = signed_in(&shop, "Ada");
    let page = ada.get("/tokens");
    assert!(
        page.body.contains("Everyone") && page.body.contains("my loans"),
        "{}",
        page.body
    );
    assert_eq!(token_status(&shop.hub, &bos), 200);
    let bo_id = {
        let store = shop.hub.state.store.clone();
        tagstation::hub::read(store.as_ref(), |c| {
            tagstation::hub::ledger::people_matching(c, "Bo")
        })
        .unwrap()[0]
            .id
    };
    let csrf = ada.csrf();
    let page = ada.post(&format!("/people/{bo_id}/sign-out"), &[("csrf", &csrf)]);
    assert_eq!(page.status, 303);
    assert_eq!(token_status(&shop.hub, &bos), 401);
}

/// The QR code's modules, read back from the SVG the page inlines (the `qrcode` crate
/// draws each run of dark modules as `M{x} {y}h{w}v{h}H{x}V{y}`) and painted into a
/// greyscale image: parsed from the page, independent of the crate's own matrix.
fn svg_to_luma(svg: &str) -> (usize, usize, Vec<u8>) {
    let attr = |key: &str| -> &str {
        let at = svg.find(key).unwrap() + key.len();
        &svg[at..at + svg[at..].find('"').unwrap()]
    };
    let (w, h): (usize, usize) = (
        attr(" width=\"").parse().unwrap(),
        attr(" height=\"").parse().unwrap(),
    );
    let mut img = vec![255u8; w * h];
    let mut rects = 0;
    for cmd in attr(" d=\"").split('M').filter(|c| !c.is_empty()) {
        let nums: Vec<usize> = cmd
            .split(|c: char| c == ' ' || c.is_ascii_alphabetic())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect();
        // x y, then h width, v height, H x, V y
        let [x, y, rw, rh, _, _] = nums[..] else {
            panic!("not a rectangle: {cmd}")
        };
        for yy in y..y + rh {
            img[yy * w + x..yy * w + x + rw].fill(0);
        }
        rects += 1;
    }
    assert!(rects > 20, "a QR code's worth of modules: {rects}");
    (w, h, img)
}

#[test]
fn adding_a_station_shows_its_code_as_a_qr_code_that_decodes() {
    let shop = shop();
    let mut ada = signed_in(&shop, "Ada");
    let csrf = ada.csrf();
    let page = ada.post("/stations", &[("csrf", &csrf), ("name", "Back door")]);
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("class=\"code\">").unwrap() + 13;
    let code = page.body[at..at + 14].to_string();
    let start = page.body.find("<svg ").expect("an inline SVG");
    let end = page.body[start..].find("</svg>").unwrap() + start + 6;
    let svg = &page.body[start..end];
    assert!(
        !page.body.contains("<?xml"),
        "inline, without an XML declaration"
    );
    assert!(svg.contains("role=\"img\""), "{svg}");

    let (w, h, img) = svg_to_luma(svg);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img[y * w + x]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(text, code, "the QR code is the enrollment code");

    // What it carries enrolls a station; the code and its QR code are not shown again.
    let dir = TempStation::new();
    let mut station = dir.open();
    tagstation::sync::enroll(&mut station, &shop.hub.url, &text).unwrap();
    assert!(!ada.get("/stations").body.contains("<svg"));
}

/// What each label of page 1 of `pdf` (on `layout`) decodes to, by the project's decoder.
#[cfg(target_arch = "x86_64")]
fn label_codes(pdf: &[u8], layout: &str, slots: usize) -> Vec<Vec<String>> {
    use common::labels::{cell, own_decoder, rasterise};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels.pdf");
    std::fs::write(&path, pdf).unwrap();
    let layout = tagstation::labels::Layout::find(layout).unwrap();
    let page = rasterise(&path, 300);
    (0..slots)
        .map(|slot| own_decoder(&cell(&page, layout, slot, 300)))
        .collect()
}

#[test]
fn print_labels_gives_a_pdf_whose_labels_scan_as_their_tags() {
    let shop = shop();
    // Any signed-in person may print: the item page offers it to a viewer.
    let mut vic = signed_in(&shop, "Vic");
    let page = vic.get(&format!("/items/{}", shop.item));
    assert!(
        page.body.contains("action=\"/labels.pdf\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Print labels"));

    // The whole item, one label skipped on a half-used sheet.
    let (status, kind, pdf) = vic.get_bytes(&format!("/labels.pdf?item={}&start=1", shop.item));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"));
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        label_codes(&pdf, "l7651", 5),
        [
            vec![],
            vec!["LT-001".to_string()],
            vec!["LT-002".into()],
            vec!["LT-003".into()],
            vec![]
        ]
    );

    // Chosen units, in the order asked, as Data Matrix on another layout.
    let (status, _, pdf) = vic.get_bytes(&format!(
        "/labels.pdf?unit={}&unit={}&layout=5160&code=datamatrix",
        shop.units[2], shop.units[0]
    ));
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"));
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        label_codes(&pdf, "5160", 2),
        [vec!["LT-003".to_string()], vec!["LT-001".to_string()]]
    );

    // A kit's own label carries its tag; a kit with no tag is refused in words.
    let page = vic.get("/labels.pdf?kits=all");
    assert_eq!(page.status, 422);
    assert!(page.body.contains("no kit with a tag"), "{}", page.body);
    let kit = {
        let store = shop.hub.state.store.clone();
        let mut l = HubLedger::new(store.as_ref());
        let new = tagstation::ops::kits::NewKit {
            name: "Laptop cart".into(),
            tag: Some("KIT-7".into()),
            units: vec!["LT-001".into(), "LT-002".into()],
        };
        tagstation::ops::kits::add_kit(&mut l, new, &Actor::new("test"))
            .unwrap()
            .id
    };
    let (status, _, pdf) = vic.get_bytes(&format!("/labels.pdf?kit={kit}"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    #[cfg(target_arch = "x86_64")]
    assert_eq!(label_codes(&pdf, "l7651", 1), [vec!["KIT-7".to_string()]]);

    // What cannot be printed is an error page saying why.
    let page = vic.get(&format!("/labels.pdf?item={}", Uuid::now_v7()));
    assert_eq!(page.status, 404);
    let page = vic.get(&format!("/labels.pdf?unit={}", Uuid::now_v7()));
    assert_eq!(page.status, 404);
    let page = vic.get(&format!("/labels.pdf?item={}&layout=l9999", shop.item));
    assert_eq!(page.status, 400);
    assert!(page.body.contains("unknown label layout"), "{}", page.body);
    let page = vic.get(&format!("/labels.pdf?item={}&start=65", shop.item));
    assert_eq!(page.status, 400);
    assert!(page.body.contains("start position 65"), "{}", page.body);
    let page = vic.get("/labels.pdf?locations=all");
    assert_eq!(page.status, 422);
    assert!(page.body.contains("no locations to label"), "{}", page.body);
    {
        let store = shop.hub.state.store.clone();
        let mut l = HubLedger::new(store.as_ref());
        let actor = Actor::new("test");
        let long = format!("LT-{}", "9".repeat(40));
        add_unit(
            &mut l,
            shop.item,
            NewUnit {
                tag: Some(long),
                ..NewUnit::default()
            },
            &actor,
        )
        .unwrap();
        create_item(&mut l, NewItem::units("Tripod"), &actor).unwrap();
    }
    let page = vic.get(&format!(
        "/labels.pdf?item={}&layout=5267&code=code128",
        shop.item
    ));
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains("too long for a Code 128 code on 5267 labels"),
        "{}",
        page.body
    );
    assert!(page.body.contains("No labels were made"), "{}", page.body);
    let tripod = vic.get("/scan?code=Tripod").location.unwrap();
    let page = vic.get(&format!(
        "/labels.pdf?item={}",
        tripod.trim_start_matches("/items/")
    ));
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("Tripod has no tagged units"),
        "{}",
        page.body
    );

    // Badges are an admin's, as the people page is.
    assert_eq!(vic.get("/labels.pdf?people=all").status, 403);
    let mut ada = signed_in(&shop, "Ada");
    assert!(ada.get("/people").body.contains("/labels.pdf?people=all"));
    let (status, _, pdf) = ada.get_bytes("/labels.pdf?people=all");
    assert_eq!(status, 200);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        label_codes(&pdf, "l7651", 4),
        [["B-BEA"], ["B-BO"], ["B-OLGA"], ["B-VIC"]].map(|b| vec![b[0].to_string()])
    );
    let _ = pdf;

    // Locations: the code on its label, or else the name.
    let csrf = ada.csrf();
    for (name, code) in [("Back shelf", ""), ("Cage", "LOC-CAGE")] {
        let page = ada.post(
            "/locations",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("kind", "shelf"),
                ("code", code),
            ],
        );
        assert_eq!(page.status, 303, "{}", page.body);
    }
    assert!(vic
        .get("/locations")
        .body
        .contains("/labels.pdf?locations=all"));
    let (status, _, pdf) = vic.get_bytes("/labels.pdf?locations=all&code=qr");
    assert_eq!(status, 200);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        label_codes(&pdf, "l7651", 2),
        [vec!["Back shelf".to_string()], vec!["LOC-CAGE".to_string()]]
    );
    let _ = pdf;
}

/// The reminders page: the settings the hub runs them with, each person's own choices
/// (saved by the form), and the sent-log: an operator sees every row, a borrower only
/// theirs, with why a row was not sent.
#[test]
fn the_reminders_page_shows_settings_choices_and_the_log() {
    use tagstation::remind::due::Kind;
    use tagstation::remind::{log, Reminders, Settings};

    let shop = shop();
    let store = shop.hub.state.store.clone();
    let mut bo = signed_in(&shop, "Bo");
    let page = bo.get("/reminders");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No hub runs reminders"), "{}", page.body);

    // Bo borrows a laptop due tomorrow; the run finds it (no mail server set up, so
    // every email is skipped with the reason).
    let due = tagstation::clock::in_days(1);
    let mut l = HubLedger::new(store.as_ref());
    tagstation::ops::lending::check_out(
        &mut l,
        &shop.units[..1],
        "Bo",
        Some(&due),
        &Actor::new("test"),
    )
    .unwrap();
    let settings = Settings {
        time_zone: "Europe/Lisbon".into(),
        ..Settings::default()
    };
    let run = settings.run_at(&due).unwrap();
    let reminders = Reminders::new(store.clone(), settings).unwrap();
    reminders.tick(run).unwrap();

    let page = bo.get("/reminders");
    assert!(page.body.contains("Europe/Lisbon"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("Due {due}: Laptop 01 (LT-001)")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("no mail server is set up"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("olga@shop.example"),
        "a borrower sees only their own rows"
    );
    let olga = signed_in(&shop, "Olga").get("/reminders");
    assert!(
        olga.body.contains("olga@shop.example") && olga.body.contains("bo@shop.example"),
        "{}",
        olga.body
    );

    // Bo keeps only "overdue" and asks for a digest.
    let csrf = bo.csrf();
    let page = bo.post(
        "/reminders/preferences",
        &[("csrf", &csrf), ("get", "overdue"), ("digest", "1")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let bo_id = tagstation::hub::read(store.as_ref(), |c| {
        tagstation::hub::ledger::people_matching(c, "Bo")
    })
    .unwrap()[0]
        .id;
    let prefs = tagstation::hub::read(store.as_ref(), |c| log::prefs(c, bo_id)).unwrap();
    assert!(prefs.digest);
    assert!(prefs.opted_out.contains(&Kind::DueSoon) && !prefs.opted_out.contains(&Kind::Overdue));
    let page = bo.get("/reminders");
    assert!(
        page.body.contains("value=\"overdue\" checked")
            && !page.body.contains("value=\"due_soon\" checked"),
        "{}",
        page.body
    );
    // Without the form's token nothing changes.
    let page = bo.post("/reminders/preferences", &[("get", "due_soon")]);
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(
        tagstation::hub::read(store.as_ref(), |c| log::prefs(c, bo_id)).unwrap(),
        prefs
    );
}
