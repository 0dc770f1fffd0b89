//! `tagstation demo` on a machine with a display: the station's touch UI opens in a
//! window beside the hub. Checked on a real X server (Xvfb) driven with xdotool as a
//! person and a keyboard-wedge scanner would: keys typed into the window and Return
//! are a scan that opens the unit card, a click on the card sets the status, a line
//! typed at the terminal is a scan too. What happened is read back with the CLI.
//!
//! Needs `Xvfb` and `xdotool` (Debian's `xvfb` and `xdotool`; `scripts/test` installs
//! them).

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An X server of our own; returns it and its display (`:N`), once it is ready.
fn xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
        // Xvfb picks a free display and writes its number on fd 1 once it is ready.
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb (Debian package xvfb; scripts/test installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("Xvfb's stdout"))
        .read_line(&mut line)
        .expect("Xvfb's display number");
    let display = format!(":{}", line.trim());
    assert!(line.trim().parse::<u32>().is_ok(), "Xvfb said {line:?}");
    (Killed(child), display)
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool (Debian package xdotool; scripts/test installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Wait up to `secs` for `f` to give something.
fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The unit's history as the CLI prints it, from the demo's station.
fn history(station: &Path, tag: &str) -> String {
    let out = common::cli(station, &["history", tag]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Touch the unit card's Damaged button (where the 800x480 layout puts it) until the
/// unit's history shows it: the card opens once the scan is taken, which the test
/// cannot see from outside. Returns the history.
fn touch_damaged_until(display: &str, window: &str, station: &Path, tag: &str) -> String {
    wait_for(90, &format!("{tag} set to damaged"), || {
        xdotool(
            display,
            &["mousemove", "--window", window, "693", "187", "click", "1"],
        );
        std::thread::sleep(Duration::from_millis(800));
        let h = history(station, tag);
        h.contains("status → damaged").then_some(h)
    })
}

#[test]
fn the_demo_opens_the_touch_screen_in_a_window() {
    let (_x, display) = xvfb();
    let keep = tempfile::tempdir().unwrap();
    let mut demo = Killed(
        Command::new(common::bin())
            .args(["demo", "--keep"])
            .arg(keep.path())
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the demo"),
    );
    let station = keep.path().join("station");

    // The window opens, at the touch screen's size.
    let window = wait_for(120, "the station window", || {
        xdotool(&display, &["search", "--name", "^tagstation$"])
            .lines()
            .next()
            .map(str::to_owned)
    });
    let geometry = xdotool(&display, &["getwindowgeometry", &window]);
    assert!(geometry.contains("800x480"), "{geometry}");
    // Kept open to the end: the demo may still write.
    let mut said = String::new();
    let mut out = BufReader::new(demo.0.stdout.take().expect("demo's stdout"));
    out.read_line(&mut said).expect("the demo's first line");
    assert_eq!(said.trim(), "tagstation demo");

    // A keyboard-wedge scanner types into the window and presses Return: the unit
    // card; a click on its Damaged button (the card's layout, 800x480) saves it.
    xdotool(&display, &["windowfocus", "--sync", &window]);
    xdotool(&display, &["type", "--delay", "30", "TS-0001"]);
    xdotool(&display, &["key", "Return"]);
    let h = touch_damaged_until(&display, &window, &station, "TS-0001");
    assert!(h.contains("Demo door"), "{h}");

    // A tag typed at the terminal is a scan too; the same click saves it.
    let stdin = demo.0.stdin.as_mut().expect("demo's stdin");
    writeln!(stdin, "LT-002").unwrap();
    stdin.flush().unwrap();
    touch_damaged_until(&display, &window, &station, "LT-002");
}
