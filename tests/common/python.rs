//! The Python the test clients run on (the MCP SDK, the independent label decoder):
//! one virtual environment with every `tests/requirements.txt` and
//! `tests/*/requirements.txt`. `scripts/test` makes it and names it in
//! `TAGSTATION_PY_VENV`; without that (a plain `cargo test`) the first test that needs
//! it makes `target/py-venv` the same way.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The system's own Python (Debian's, with `venv` and `pip`), not one a version
/// manager put first on the PATH.
fn system_python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// The virtual environment's `python`, made (and its requirements installed) when
/// `probe` (a Python statement, such as an import) fails in it.
pub fn python(probe: &str) -> PathBuf {
    static MADE: Mutex<()> = Mutex::new(());
    let _one_at_a_time = MADE.lock().unwrap_or_else(|p| p.into_inner());
    let venv = match std::env::var_os("TAGSTATION_PY_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_TARGET_TMPDIR")).join("../py-venv"),
    };
    let py = venv.join("bin/python");
    let ready = |py: &Path| {
        Command::new(py)
            .args(["-c", probe])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&py) {
        return py;
    }
    if !py.exists() {
        let made = Command::new(system_python())
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            made,
            "python3 -m venv {} failed (apt-get install python3-venv)",
            venv.display()
        );
    }
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut pip = Command::new(&py);
    pip.args(["-m", "pip", "install", "--disable-pip-version-check", "-q"]);
    let mut files = vec![tests.join("requirements.txt")];
    if let Ok(dirs) = std::fs::read_dir(&tests) {
        files.extend(dirs.flatten().map(|d| d.path().join("requirements.txt")));
    }
    for f in files.iter().filter(|f| f.exists()) {
        pip.arg("-r").arg(f);
    }
    assert!(
        pip.status().is_ok_and(|s| s.success()),
        "pip install of the test clients failed"
    );
    assert!(
        ready(&py),
        "{probe:?} fails after installing the test clients"
    );
    py
}
