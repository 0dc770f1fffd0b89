//! A real CUPS for the label tests, private to one test: its own `cupsd` on a free
//! loopback port, its configuration, spool and state in a temporary folder, and one
//! queue, [`QUEUE`], whose printer is Debian's cups-pdf (device `cups-pdf:/tagstation`):
//! what it prints becomes a PDF file, rendered again through Ghostscript like a real
//! print job. cups-pdf reads that device's settings from [`CONF`], which
//! deploy/cups-pdf-test-queue writes (scripts/test runs it); the packages are in
//! deploy/test-deps.txt. A missing piece fails the test saying what to run; only a run
//! without root outside CI is skipped, with a note (cupsd runs cups-pdf as root).
//! `cupsd` is killed when the [`Cups`] is dropped, a failed test too.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The queue the private CUPS prints PDFs on.
pub const QUEUE: &str = "tspdf";
/// cups-pdf's settings for the device `cups-pdf:/tagstation`.
pub const CONF: &str = "/etc/cups/cups-pdf-tagstation.conf";
const PPD: &str = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd";
const CUPSD: &str = "/usr/sbin/cupsd";
const LPADMIN: &str = "/usr/sbin/lpadmin";
const SETUP: &str = "run scripts/test, or deploy/apt-install cups-daemon cups-client \
                     printer-driver-cups-pdf and then deploy/cups-pdf-test-queue";

/// A running private CUPS; `server` is its address for CUPS_SERVER.
pub struct Cups {
    pub server: String,
    cupsd: Child,
    dir: tempfile::TempDir,
}

impl Drop for Cups {
    fn drop(&mut self) {
        let _ = self.cupsd.kill();
        let _ = self.cupsd.wait();
    }
}

impl Cups {
    /// Start cupsd and add the queue. `None` (with a note) only without root outside
    /// CI; anything else missing is a failure naming what to run.
    pub fn start() -> Option<Cups> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            let why = "the CUPS printing test needs root (cupsd runs cups-pdf as root)";
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipped: {why}");
            return None;
        }
        for (path, what) in [
            (CUPSD, "cupsd (cups-daemon)"),
            (LPADMIN, "lpadmin (cups-client)"),
            ("/usr/bin/lp", "lp (cups-client)"),
            (
                "/usr/lib/cups/backend/cups-pdf",
                "cups-pdf (printer-driver-cups-pdf)",
            ),
            (PPD, "cups-pdf's PPD (printer-driver-cups-pdf)"),
            (CONF, "cups-pdf's settings for the test queue"),
        ] {
            assert!(Path::new(path).exists(), "no {path}, {what}: {SETUP}");
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // cupsd's filters run as lp and read the spool below it.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["root", "spool", "cache", "state"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let files = format!(
            "ServerRoot {d}/root\nRequestRoot {d}/spool\nCacheDir {d}/cache\n\
             StateDir {d}/state\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\n\
             User lp\nGroup lp\nSandboxing Relaxed\nErrorLog {d}/error_log\n\
             AccessLog {d}/access_log\nPageLog {d}/page_log\n",
            d = d.display()
        );
        let conf = format!(
            "Listen 127.0.0.1:{port}\nBrowsing No\nLogLevel info\nDefaultAuthType None\n\
             <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
             <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        );
        std::fs::write(d.join("cups-files.conf"), files).unwrap();
        std::fs::write(d.join("cupsd.conf"), conf).unwrap();
        let cupsd = Command::new(CUPSD)
            .arg("-f")
            .arg("-c")
            .arg(d.join("cupsd.conf"))
            .arg("-s")
            .arg(d.join("cups-files.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("cupsd.out")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{CUPSD}: {e}: {SETUP}"));
        let mut cups = Cups {
            server: format!("127.0.0.1:{port}"),
            cupsd,
            dir,
        };
        cups.wait_until_running();
        let out = cups.run(Command::new(LPADMIN).args([
            "-p",
            QUEUE,
            "-E",
            "-v",
            "cups-pdf:/tagstation",
            "-P",
            PPD,
        ]));
        assert!(out.status.success(), "lpadmin: {}", cups.said(&out));
        Some(cups)
    }

    /// Until `lpstat -r` says the scheduler is running (at most 20 s).
    fn wait_until_running(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.cupsd.try_wait().unwrap() {
                panic!("cupsd stopped ({status}): {}", self.logs());
            }
            let out = self.run(Command::new("lpstat").arg("-r"));
            if String::from_utf8_lossy(&out.stdout).contains("scheduler is running") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "cupsd did not start: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `cmd` against this CUPS.
    pub fn run(&self, cmd: &mut Command) -> Output {
        cmd.env("CUPS_SERVER", &self.server)
            .env("LC_ALL", "C")
            .output()
            .expect("run a CUPS command")
    }

    /// What a command said, and the scheduler's logs.
    fn said(&self, out: &Output) -> String {
        format!(
            "{}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        )
    }

    /// cupsd's own output and error log, for a failure's message.
    pub fn logs(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!(
            "cupsd: {}\nerror_log:\n{}",
            read("cupsd.out"),
            read("error_log")
        )
    }

    /// Where cups-pdf writes its PDFs: `Out` in [`CONF`].
    pub fn out_dir() -> PathBuf {
        let conf = std::fs::read_to_string(CONF).unwrap_or_else(|e| panic!("{CONF}: {e}: {SETUP}"));
        conf.lines()
            .find_map(|l| l.strip_prefix("Out "))
            .map(|d| PathBuf::from(d.trim()))
            .unwrap_or_else(|| panic!("{CONF} has no Out line: {SETUP}"))
    }

    /// The PDF cups-pdf made of `job` (the id lp gave, `tspdf-4`), whose title holds
    /// `token`, once the job is complete; at most `timeout`. cups-pdf names the file
    /// after the title and the job's number (`..._TITLE_...-job_4.pdf`).
    pub fn wait_for_pdf(&self, job: &str, token: &str, timeout: Duration) -> PathBuf {
        let out = Self::out_dir();
        let number = job.rsplit('-').next().unwrap();
        let ends = [format!("-job_{number}.pdf"), format!("job_{number}-")];
        let deadline = Instant::now() + timeout;
        loop {
            let found = std::fs::read_dir(&out)
                .unwrap_or_else(|e| panic!("{}: {e}: {SETUP}", out.display()))
                .map(|e| e.unwrap().path())
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name.contains(token) && (name.ends_with(&ends[0]) || name.starts_with(&ends[1]))
                });
            // cups-pdf writes the file, then the job completes.
            let done = || {
                self.run(Command::new("lpstat").args(["-o", QUEUE]))
                    .stdout
                    .is_empty()
            };
            if let Some(pdf) = found.filter(|_| done()) {
                return pdf;
            }
            assert!(
                Instant::now() < deadline,
                "no PDF of the job {job} ({token}) in {} after {timeout:?}: {}",
                out.display(),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
