//! Condition photos between a station and a real hub on loopback: kept beside the
//! store by their SHA-256, sent once after their event, checked by the hub (its hash,
//! a JPEG, a station's token), and a photo that cannot be kept loses nothing else.

mod common;

use common::{sync, tagged_item, TempStation, TestHub};
use tagstation::ops::lending::{act, Action};
use tagstation::ops::Actor;

const JPEG: &str = "tests/data/zxing-cpp/qrcode-2/#199b.jpg";

#[test]
fn photos_go_once_and_the_hub_checks_what_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path().to_str().unwrap());
    let st = TempStation::new();
    let mut s = st.open();
    let token = hub.enroll(&mut s, "Van 3");
    let (_, units) = tagged_item(&mut s, "Drill", "D", 1);
    let a = Actor::from("test");
    let done = act(
        &mut s,
        units[0],
        Action::SetStatus {
            status: tagstation::catalog::Status::Damaged,
        },
        &a,
        None,
    )
    .unwrap();
    let jpeg = std::fs::read(JPEG).unwrap();
    let sha = s.keep_photo(done.event_id, units[0], &jpeg).unwrap();
    // The same picture again is the same file, kept once.
    assert_eq!(s.keep_photo(done.event_id, units[0], &jpeg).unwrap(), sha);
    assert_eq!(s.pending_photos(10).unwrap().len(), 1);
    let r = sync(&mut s);
    assert_eq!(r.photos_sent, 1);
    assert!(r.bytes_up >= jpeg.len());
    assert!(s.pending_photos(10).unwrap().is_empty());
    assert_eq!(s.photos_of(units[0]).unwrap().len(), 1);
    #[cfg(feature = "hub")]
    {
        let kept = tagstation::hub::read(hub.state.store.as_ref(), |c| {
            tagstation::hub::photos::of_unit(c, units[0])
        })
        .unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].sha256, sha);
        assert_eq!(kept[0].event_id, done.event_id);
    }

    // What the hub refuses: bytes that are not what their name says, not a JPEG, no
    // station's token.
    let put = |name: &str, body: Vec<u8>, auth: Option<&str>| {
        let mut req = hub
            .client()
            .put(format!("{}/v1/photos/{name}", hub.url))
            .header("x-tagstation-unit", units[0].to_string())
            .header("x-tagstation-event", done.event_id.to_string())
            .body(body);
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        req.send().unwrap().status().as_u16()
    };
    let mut other = jpeg.clone();
    other.push(0);
    assert_eq!(put(&sha, other.clone(), Some(&token)), 400);
    let png = b"\x89PNG\r\n\x1a\nnot a jpeg".to_vec();
    assert_eq!(put(&sha, png, Some(&token)), 400);
    assert_eq!(put(&sha, jpeg.clone(), None), 401);
    assert_eq!(
        put(&sha, jpeg.clone(), Some(&token)),
        200,
        "known: kept once"
    );
}

#[test]
fn a_photo_that_cannot_be_kept_loses_nothing_else() {
    let st = TempStation::new();
    let mut s = st.open();
    let (_, units) = tagged_item(&mut s, "Drill", "D", 1);
    let done = act(
        &mut s,
        units[0],
        Action::SetStatus {
            status: tagstation::catalog::Status::Damaged,
        },
        &Actor::from("test"),
        None,
    )
    .unwrap();
    // Where the photos go is taken by a file: the photo is refused in words, and the
    // event it was for stays as it was.
    std::fs::write(st.path().join("photos"), b"in the way").unwrap();
    let e = s
        .keep_photo(done.event_id, units[0], &std::fs::read(JPEG).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("photos"), "{e}");
    assert!(s.pending_photos(10).unwrap().is_empty());
    assert_eq!(
        s.unit(units[0]).unwrap().status,
        tagstation::catalog::Status::Damaged
    );
    assert!(s.check_consistency().unwrap().is_empty());
}
