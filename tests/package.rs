//! The Debian package: `deploy/package-deb` builds it from the binary under test; it
//! installs into a throwaway root with dpkg (no container, no chroot), creates its user,
//! groups and data directories, ships unit files that `systemd-analyze verify` accepts,
//! keeps an edited config over a reinstall, and a purge takes config and data with it.
//!
//! Needs dpkg, dpkg-deb, binutils (readelf, strip) and the systemd tools
//! (systemd-analyze, systemd-sysusers, systemd-tmpfiles: Debian package `systemd`, in
//! `deploy/build-deps.txt`), and root, for the ownership the package sets. In CI (`CI`
//! set) anything missing fails the test; elsewhere the test is skipped with a note.
//!
//! The unit files are also checked against the real command line without any of that.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOOLS: &[&str] = &[
    "dpkg",
    "dpkg-deb",
    "readelf",
    "systemd-analyze",
    "systemd-sysusers",
    "systemd-tmpfiles",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the sbin directories dpkg insists on (it looks for ldconfig and
/// start-stop-daemon before installing anything).
fn path_env() -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        if !dirs.iter().any(|x| x == Path::new(d)) {
            dirs.push(d.into());
        }
    }
    std::env::join_paths(dirs).unwrap()
}

fn on_path(tool: &str) -> bool {
    std::env::split_paths(&path_env()).any(|d| d.join(tool).is_file())
}

/// The package architecture of the binary under test, or why this test cannot run.
fn deb_arch() -> Result<&'static str, String> {
    match std::env::consts::ARCH {
        "x86_64" => Ok("amd64"),
        "aarch64" => Ok("arm64"),
        other => Err(format!("no Debian package for {other}")),
    }
}

/// Whether everything the install test needs is here. In CI a gap is a failure.
fn can_run() -> Option<&'static str> {
    let mut missing: Vec<String> = TOOLS
        .iter()
        .filter(|t| !on_path(t))
        .map(|t| t.to_string())
        .collect();
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        missing.push("root (the package sets owners and groups)".into());
    }
    let arch = deb_arch().map_err(|e| missing.push(e)).ok();
    if missing.is_empty() {
        return arch;
    }
    let why = format!("package install test needs: {}", missing.join(", "));
    if std::env::var_os("CI").is_some() {
        panic!("{why} (deploy/build-deps.txt lists the system packages)");
    }
    eprintln!("skipped: {why}");
    None
}

fn run(cmd: &mut Command) -> Output {
    cmd.env("PATH", path_env());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// dpkg on the throwaway root: maintainer scripts run on this machine with
/// `DPKG_ROOT` set (no chroot, so the root needs no shell or libc); dependencies are
/// not installed there; the package architecture is the binary's own.
fn dpkg(root: &Path) -> Command {
    let mut c = Command::new("dpkg");
    c.arg(format!("--root={}", root.display()))
        .arg("--force-script-chrootless")
        .arg("--force-not-root")
        .arg("--force-depends")
        .arg("--force-architecture")
        .arg("--force-confold");
    c
}

/// `name:x:id:...` lines of a passwd or group file, by name.
fn id_db(path: &Path) -> BTreeMap<String, Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| {
            let f: Vec<String> = l.split(':').map(String::from).collect();
            (f[0].clone(), f)
        })
        .collect()
}

fn mode_owner(path: &Path) -> (u32, u32, u32) {
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (m.mode() & 0o7777, m.uid(), m.gid())
}

const CONFFILES: &[&str] = &[
    "/etc/tagstation/station.toml",
    "/etc/tagstation/station.env",
    "/etc/tagstation/hub.env",
];
const UNITS: &[&str] = &["tagstation-station.service", "tagstation-hub.service"];

#[test]
fn package_installs_verifies_and_purges_in_a_throwaway_root() {
    let Some(arch) = can_run() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");

    // --- build -----------------------------------------------------------------------
    // gzip: the test checks contents, not compression; xz takes a minute here.
    let out = run(Command::new(repo().join("deploy/package-deb"))
        .args(["--arch", arch, "--binary", env!("CARGO_BIN_EXE_tagstation")])
        .arg("--out")
        .arg(tmp.path().join("out"))
        .args(["--compress", "gzip"]));
    let deb = PathBuf::from(stdout(&out).trim());
    assert_eq!(
        deb,
        tmp.path()
            .join("out")
            .join(format!("tagstation_{version}_{arch}.deb"))
    );
    let deb_size = std::fs::metadata(&deb).unwrap().len();

    // --- what is in it ---------------------------------------------------------------
    let field = |name: &str| {
        stdout(&run(Command::new("dpkg-deb")
            .arg("--field")
            .arg(&deb)
            .arg(name)))
        .trim()
        .to_string()
    };
    assert_eq!(field("Package"), "tagstation");
    assert_eq!(field("Version"), version);
    assert_eq!(field("Architecture"), arch);
    let depends = field("Depends");
    assert!(depends.starts_with("libc6 (>= 2."), "Depends: {depends}");
    assert!(depends.contains("systemd"), "Depends: {depends}");
    let installed_kib: u64 = field("Installed-Size").parse().unwrap();
    let conffiles = stdout(&run(Command::new("dpkg-deb")
        .arg("--info")
        .arg(&deb)
        .arg("conffiles")));
    assert_eq!(conffiles.lines().collect::<Vec<_>>(), CONFFILES);
    let info = stdout(&run(Command::new("dpkg-deb").arg("--info").arg(&deb)));
    for script in ["postinst", "prerm", "postrm"] {
        assert!(info.contains(script), "no {script} in:\n{info}");
    }
    // `-rw-r--r-- root/root 1555 2026-11-23 08:12 ./usr/lib/...`
    let contents: BTreeMap<String, (String, String)> =
        stdout(&run(Command::new("dpkg-deb").arg("--contents").arg(&deb)))
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (
                    f[5].trim_start_matches('.').to_string(),
                    (f[0].to_string(), f[1].to_string()),
                )
            })
            .collect();
    let expect = [
        ("/usr/bin/tagstation", "-rwxr-xr-x"),
        ("/etc/tagstation/station.toml", "-rw-r-----"),
        ("/etc/tagstation/station.env", "-rw-r-----"),
        ("/etc/tagstation/hub.env", "-rw-r-----"),
        (
            "/usr/lib/systemd/system/tagstation-station.service",
            "-rw-r--r--",
        ),
        (
            "/usr/lib/systemd/system/tagstation-hub.service",
            "-rw-r--r--",
        ),
        ("/usr/lib/sysusers.d/tagstation.conf", "-rw-r--r--"),
        ("/usr/lib/tmpfiles.d/tagstation.conf", "-rw-r--r--"),
        ("/usr/lib/udev/rules.d/70-tagstation.rules", "-rw-r--r--"),
        ("/usr/share/doc/tagstation/copyright", "-rw-r--r--"),
        (
            "/usr/share/doc/tagstation/THIRD-PARTY-LICENSES",
            "-rw-r--r--",
        ),
        ("/usr/share/doc/tagstation/pi.md", "-rw-r--r--"),
        ("/usr/share/doc/tagstation/hub.md", "-rw-r--r--"),
        (
            "/usr/share/doc/tagstation/remind.example.toml",
            "-rw-r--r--",
        ),
    ];
    for (path, mode) in expect {
        let got = contents
            .get(path)
            .unwrap_or_else(|| panic!("{path} not in the package: {contents:#?}"));
        assert_eq!(
            (got.0.as_str(), got.1.as_str()),
            (mode, "root/root"),
            "{path}"
        );
    }
    for (path, (_, owner)) in &contents {
        assert_eq!(owner, "root/root", "{path}");
    }

    // --- install into a throwaway root -------------------------------------------------
    let root = tmp.path().join("root");
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    // The smallest base systemd-sysusers can add to: root only. The groups input,
    // video, render and gpio must be created by the package's sysusers file.
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    run(dpkg(&root).arg("-i").arg(&deb));
    let status = stdout(&run(dpkg(&root).args(["-s", "tagstation"])));
    assert!(status.contains("Status: install ok installed"), "{status}");

    let passwd = id_db(&root.join("etc/passwd"));
    let groups = id_db(&root.join("etc/group"));
    let user = passwd.get("tagstation").expect("user tagstation created");
    assert_eq!(user[5], "/var/lib/tagstation", "home: {user:?}");
    assert!(user[6].ends_with("nologin"), "shell: {user:?}");
    let uid: u32 = user[2].parse().unwrap();
    let gid: u32 = groups["tagstation"][2].parse().unwrap();
    assert_eq!(user[3], gid.to_string(), "primary group: {user:?}");
    assert!(uid < 1000, "a system user: {user:?}");
    for g in ["input", "video", "render", "gpio"] {
        let members = &groups.get(g).unwrap_or_else(|| panic!("group {g} created"))[3];
        assert!(
            members.split(',').any(|m| m == "tagstation"),
            "tagstation in {g}: {members}"
        );
    }
    let check_installed = |root: &Path| {
        assert_eq!(mode_owner(&root.join("usr/bin/tagstation")), (0o755, 0, 0));
        for f in CONFFILES {
            let p = root.join(f.trim_start_matches('/'));
            assert_eq!(mode_owner(&p), (0o640, 0, gid), "{f}");
        }
        for d in ["var/lib/tagstation", "var/lib/tagstation-hub"] {
            assert_eq!(mode_owner(&root.join(d)), (0o750, uid, gid), "{d}");
        }
        for u in UNITS {
            let p = root.join("usr/lib/systemd/system").join(u);
            assert_eq!(mode_owner(&p), (0o644, 0, 0), "{u}");
        }
    };
    check_installed(&root);
    // The licence the package is distributed under, and every linked crate's licence.
    let doc = root.join("usr/share/doc/tagstation");
    let copyright = std::fs::read_to_string(doc.join("copyright")).unwrap();
    assert!(
        copyright.starts_with(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
        ),
        "{copyright}"
    );
    assert!(
        copyright.contains("\nLicense: GPL-3\n") && copyright.contains("GPL-3.0-only"),
        "the package links Slint, so it is distributed under GPL-3.0-only:\n{copyright}"
    );
    assert!(
        copyright.contains("License: Expat or Apache-2.0"),
        "{copyright}"
    );
    let third = std::fs::read_to_string(doc.join("THIRD-PARTY-LICENSES")).unwrap();
    assert_eq!(
        third,
        std::fs::read_to_string(repo().join("deploy/THIRD-PARTY-LICENSES.txt")).unwrap()
    );
    assert!(
        third.contains("\nslint 1.") && third.contains("GNU GENERAL PUBLIC LICENSE"),
        "Slint and the GPL text are listed"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/tagstation/station.toml")).unwrap(),
        std::fs::read_to_string(repo().join("deploy/station.toml")).unwrap()
    );
    // The installed binary runs and reads the installed default config.
    let bin = root.join("usr/bin/tagstation");
    let v = stdout(&run(Command::new(&bin).arg("--version")));
    assert_eq!(v.trim(), format!("tagstation {version}"));
    let data = tmp.path().join("data");
    // `init` makes the database (`status` only looks, and never creates one).
    for args in [&["init"][..], &["status", "--json"]] {
        run(Command::new(&bin)
            .arg("--data")
            .arg(&data)
            .arg("--config")
            .arg(root.join("etc/tagstation/station.toml"))
            .args(args));
    }

    // --- systemd-analyze verify --------------------------------------------------------
    // With --root it reads units from the root and checks that ExecStart's binary is
    // there and executable. The root has none of systemd's own units, and every service
    // depends on sysinit.target, basic.target and shutdown.target by default: empty stand-ins
    // for those three go into the root's /etc/systemd/system. Nothing else is provided
    // and nothing is filtered: unknown keys or wrong sections are only warnings (exit
    // status 0), so any line verify prints about our units fails the test. A line about
    // anything else would be about the stand-ins or this machine, and is printed only.
    let sysdir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&sysdir).unwrap();
    for t in ["sysinit.target", "basic.target", "shutdown.target"] {
        std::fs::write(
            sysdir.join(t),
            "[Unit]\nDescription=stand-in for systemd's own target\nDefaultDependencies=no\n",
        )
        .unwrap();
    }
    let verify = |units: &[&str]| -> Output {
        let mut c = Command::new("systemd-analyze");
        c.arg("verify")
            .arg(format!("--root={}", root.display()))
            .args(units)
            .current_dir(tmp.path())
            .env("PATH", path_env())
            .env("SYSTEMD_LOG_COLOR", "0");
        c.output().expect("run systemd-analyze")
    };
    let out = verify(UNITS);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("systemd-analyze verify said: {:?}", said.trim());
    let about_ours: Vec<&str> = said.lines().filter(|l| l.contains("tagstation")).collect();
    assert!(
        out.status.success() && about_ours.is_empty(),
        "systemd-analyze verify ({}):\n{said}",
        out.status
    );
    // The check has teeth: a misspelt key in a copy of the station unit is reported.
    let broken =
        std::fs::read_to_string(root.join("usr/lib/systemd/system/tagstation-station.service"))
            .unwrap()
            .replace("WatchdogSec=", "WatchdogSecs=");
    std::fs::write(sysdir.join("tagstation-broken.service"), broken).unwrap();
    let out = verify(&["tagstation-broken.service"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("WatchdogSecs"),
        "verify missed a typo: {said}"
    );
    std::fs::remove_file(sysdir.join("tagstation-broken.service")).unwrap();

    // --- reinstall keeps an edited config ----------------------------------------------
    let station_toml = root.join("etc/tagstation/station.toml");
    let edited = std::fs::read_to_string(&station_toml).unwrap() + "# edited here\n";
    std::fs::write(&station_toml, &edited).unwrap();
    run(dpkg(&root).arg("-i").arg(&deb));
    assert_eq!(std::fs::read_to_string(&station_toml).unwrap(), edited);
    check_installed(&root);
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert_eq!(
        passwd
            .lines()
            .filter(|l| l.starts_with("tagstation:"))
            .count(),
        1,
        "{passwd}"
    );

    // --- remove keeps config and data; purge deletes them -------------------------------
    std::fs::write(root.join("var/lib/tagstation/tagstation.db"), "scans").unwrap();
    std::fs::write(root.join("var/lib/tagstation-hub/hub.db"), "log").unwrap();
    std::fs::create_dir_all(sysdir.join("multi-user.target.wants")).unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/systemd/system/tagstation-station.service",
        sysdir.join("multi-user.target.wants/tagstation-station.service"),
    )
    .unwrap();
    run(dpkg(&root).args(["-r", "tagstation"]));
    assert!(!root.join("usr/bin/tagstation").exists());
    assert!(!root
        .join("usr/lib/systemd/system/tagstation-station.service")
        .exists());
    assert!(station_toml.exists(), "remove keeps the config");
    assert!(root.join("var/lib/tagstation/tagstation.db").exists());
    run(dpkg(&root).args(["-P", "tagstation"]));
    for gone in [
        "etc/tagstation",
        "var/lib/tagstation",
        "var/lib/tagstation-hub",
        "etc/systemd/system/multi-user.target.wants/tagstation-station.service",
    ] {
        assert!(
            std::fs::symlink_metadata(root.join(gone)).is_err(),
            "{gone} left after purge"
        );
    }
    let st = Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["-s", "tagstation"])
        .env("PATH", path_env())
        .output()
        .unwrap();
    assert!(!st.status.success(), "still known to dpkg after purge");
    eprintln!(
        "{}: {deb_size} bytes (gzip), Installed-Size {installed_kib} KiB",
        deb.file_name().unwrap().to_string_lossy()
    );
}

/// `[Section]` → key → values, in file order.
fn parse_unit(text: &str) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        let (k, v) = line.split_once('=').expect("key=value");
        out.entry(section.clone())
            .or_default()
            .entry(k.trim().to_string())
            .or_default()
            .push(v.trim().to_string());
    }
    out
}

fn unit(name: &str) -> (String, BTreeMap<String, BTreeMap<String, Vec<String>>>) {
    let text = std::fs::read_to_string(repo().join("deploy").join(name)).unwrap();
    let parsed = parse_unit(&text);
    (text, parsed)
}

fn one<'a>(u: &'a BTreeMap<String, BTreeMap<String, Vec<String>>>, s: &str, k: &str) -> &'a str {
    match u.get(s).and_then(|s| s.get(k)).map(Vec::as_slice) {
        Some([v]) => v,
        other => panic!("[{s}] {k}: expected one value, got {other:?}"),
    }
}

/// Run a unit's ExecStart with the binary under test and `--help` appended: clap checks
/// the global flags and the subcommand exist. `$VAR` words (options from the environment
/// file, empty by default) are left out.
fn exec_start_parses(u: &BTreeMap<String, BTreeMap<String, Vec<String>>>) {
    let line = one(u, "Service", "ExecStart");
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("/usr/bin/tagstation"), "{line}");
    let args: Vec<&str> = words.filter(|w| !w.starts_with('$')).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_tagstation"))
        .args(&args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn station_unit_waits_for_no_network_and_matches_the_cli() {
    let (text, u) = unit("tagstation-station.service");
    assert!(
        !text.contains("network-online"),
        "the station works offline: it must not wait for network-online.target"
    );
    assert_eq!(one(&u, "Service", "Type"), "notify");
    assert_eq!(one(&u, "Service", "Restart"), "always");
    assert_eq!(one(&u, "Service", "User"), "tagstation");
    assert!(one(&u, "Service", "WatchdogSec").parse::<u32>().unwrap() > 0);
    // systemd ignores StartLimitIntervalSec= in [Service].
    assert_eq!(one(&u, "Unit", "StartLimitIntervalSec"), "0");
    assert_eq!(one(&u, "Install", "WantedBy"), "multi-user.target");
    assert!(
        !u["Service"].contains_key("PrivateDevices"),
        "the station needs /dev/dri, /dev/input, /dev/video*, /dev/gpiomem"
    );
    let cmd = one(&u, "Service", "ExecStart");
    assert!(cmd.contains("--data /var/lib/tagstation "), "{cmd}");
    assert!(
        cmd.contains("--config /etc/tagstation/station.toml "),
        "{cmd}"
    );
    exec_start_parses(&u);
}

#[test]
fn hub_unit_matches_the_cli() {
    let (_, u) = unit("tagstation-hub.service");
    assert_eq!(one(&u, "Service", "Type"), "notify");
    assert_eq!(one(&u, "Service", "Restart"), "on-failure");
    assert_eq!(one(&u, "Service", "User"), "tagstation");
    assert!(!u["Unit"].contains_key("Wants"), "the hub pulls in nothing");
    let after = one(&u, "Unit", "After");
    assert!(after.contains("postgresql.service"), "{after}");
    assert!(!after.contains("network-online"), "{after}");
    // A build without the hub (the Pi's) has no `hub` command to check it against.
    if cfg!(feature = "hub") {
        exec_start_parses(&u);
    }
}

#[test]
fn packaged_station_config_is_valid() {
    let text = std::fs::read_to_string(repo().join("deploy/station.toml")).unwrap();
    let c = tagstation::config::Config::parse(&text).unwrap();
    // A fresh station takes its name from the hub and lists nobody until configured.
    assert_eq!(c.station.name, None);
    assert!(c.station.people.is_empty());
    assert_eq!(c.sync.hub_url, None);
}
