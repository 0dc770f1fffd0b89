//! Sending labels to a printer, either of two ways:
//! - a PDF to a CUPS queue through `lp` (any office or label printer the computer knows;
//!   `lpstat -p` lists the queues), at the layout's page size and never scaled, so the
//!   labels land on the sheet's die-cut labels;
//! - ZPL raw to a Zebra printer's TCP port (9100, the "raw" or JetDirect port most label
//!   printers listen on): connect, write every byte, close, each step with a time limit.
//!
//! Whatever goes wrong is an error naming the printer and saying what to do, so nothing
//! is taken for printed that was not sent; `lp` is stopped when it takes too long.

use std::io::{Read, Seek, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// The port label printers take raw print data on.
pub const RAW_PORT: u16 = 9100;

/// What goes wrong sending to a printer; each names the printer.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the printer {printer:?} is not a host name or address (HOST or HOST:PORT)")]
    BadAddress { printer: String },
    #[error("cannot reach the printer {printer} ({reason}): is it on, and on this network? Nothing was printed")]
    Unreachable { printer: String, reason: String },
    #[error("the printer {printer} stopped taking the labels ({reason}): {sent} of {total} bytes were sent; check the printer before printing again")]
    Interrupted {
        printer: String,
        reason: String,
        sent: usize,
        total: usize,
    },
    #[error("the printer {spec:?} is neither cups:QUEUE (a CUPS printer queue; lpstat -p lists them) nor zebra:HOST[:PORT] (a Zebra printer on the network, port 9100 unless given)")]
    BadPrinter { spec: String },
    #[error("{queue:?} cannot be a printer queue's name: a CUPS queue's name has no spaces, control characters, '/' or '#', is at most 127 characters and does not start with '-' (lpstat -p lists the queues)")]
    BadQueue { queue: String },
    #[error("there is no printer queue named {queue} {place} (lpstat -p lists them); nothing was printed")]
    NoSuchQueue { queue: String, place: String },
    #[error("cannot print to the queue {queue}: CUPS, the print service, is not running {place} (start it with `sudo systemctl start cups`); nothing was printed")]
    CupsNotRunning { queue: String, place: String },
    #[error("cannot print to the queue {queue}: the command {command} is not on this computer ({reason}); install it with `sudo apt install cups-client`; nothing was printed")]
    NoCupsClient {
        queue: String,
        command: String,
        reason: String,
    },
    #[error("cannot run {command} to print to the queue {queue}: {reason}; nothing was printed")]
    CannotRun {
        queue: String,
        command: String,
        reason: String,
    },
    #[error(
        "CUPS did not take the labels for the queue {queue}: lp said {said:?}; nothing was printed"
    )]
    Refused { queue: String, said: String },
    #[error("lp did not finish sending the labels to the queue {queue} within {secs} s and was stopped: check the queue (lpstat -o {queue}) before printing again")]
    TimedOut { queue: String, secs: u64 },
    #[error("lp took the labels for the queue {queue} but did not say which job they are (it said {said:?}): check the queue (lpstat -o {queue}) before printing again")]
    NoJobId { queue: String, said: String },
    #[error("{0}; nothing was printed")]
    Label(#[from] crate::LabelError),
}

/// Where labels go: a CUPS queue (a PDF through `lp`) or a Zebra printer's raw port (ZPL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printer {
    Cups { queue: String },
    Zebra { address: String },
}

impl std::str::FromStr for Printer {
    type Err = PrintError;

    /// `cups:QUEUE` or `zebra:HOST[:PORT]`. Nothing is looked up: an unknown queue or
    /// host is found when printing.
    fn from_str(s: &str) -> Result<Self, PrintError> {
        let bad = || PrintError::BadPrinter { spec: s.into() };
        if let Some(queue) = s.strip_prefix("cups:") {
            if queue.is_empty() {
                return Err(bad());
            }
            check_queue(queue)?;
            Ok(Printer::Cups {
                queue: queue.into(),
            })
        } else if let Some(address) = s.strip_prefix("zebra:") {
            // A bare number is no host: the system would take "9100" for 0.0.35.140.
            let host = match address.parse::<std::net::Ipv6Addr>() {
                Ok(_) => address,
                Err(_) => address.rsplit_once(':').map_or(address, |(host, _)| host),
            };
            let bad_host = host.is_empty() || host.bytes().all(|b| b.is_ascii_digit());
            if bad_host || address.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad());
            }
            Ok(Printer::Zebra {
                address: address.into(),
            })
        } else {
            Err(bad())
        }
    }
}

impl std::fmt::Display for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Printer::Cups { queue } => write!(f, "cups:{queue}"),
            Printer::Zebra { address } => write!(f, "zebra:{address}"),
        }
    }
}

/// What was sent: how many labels, to which printer, and CUPS's job id when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    pub labels: usize,
    pub printer: Printer,
    pub job: Option<String>,
}

/// Render `subjects` for `printer` (a PDF for CUPS, ZPL for a Zebra) and send them.
/// Nothing is sent unless every label renders; an error means the labels were not
/// printed (or, for a job cut short, says what to check).
pub fn print(
    printer: &Printer,
    subjects: &[crate::Subject],
    opts: &crate::Options,
    timeout: Duration,
) -> Result<Printed, PrintError> {
    let job = match printer {
        Printer::Cups { queue } => {
            check_queue(queue)?;
            let pdf = crate::pdf(subjects, opts)?;
            let media = [
                format!("media={}", media(opts.layout)),
                "print-scaling=none".to_string(),
            ];
            let title = job_title(subjects);
            Some(lp(&CUPS_CLIENT, queue, &pdf, &title, &media, timeout)?)
        }
        Printer::Zebra { address } => {
            let zpl = crate::zpl(subjects, opts)?;
            send_raw(address, zpl.as_bytes(), timeout)?;
            None
        }
    };
    Ok(Printed {
        labels: subjects.len(),
        printer: printer.clone(),
        job,
    })
}

/// Send a PDF to a CUPS queue with `lp -d QUEUE -t TITLE` (PDF on stdin), honouring
/// CUPS_SERVER from the environment; returns the job id ("request id is Q-12 (1 file(s))"
/// -> "Q-12"). The queue's own paper size and scaling apply ([`print`] sets the
/// layout's). `lp` is stopped after `timeout`.
pub fn send_to_cups(
    queue: &str,
    pdf: &[u8],
    title: &str,
    timeout: Duration,
) -> Result<String, PrintError> {
    lp(&CUPS_CLIENT, queue, pdf, title, &[], timeout)
}

/// Send `bytes` (ZPL) to the printer at `printer` (`HOST` or `HOST:PORT`; port 9100
/// unless given), waiting at most `timeout` to connect and for each write.
pub fn send_raw(printer: &str, bytes: &[u8], timeout: Duration) -> Result<(), PrintError> {
    let addrs = addresses(printer)?;
    let mut last = String::from("no address");
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let mut stream = stream.ok_or_else(|| PrintError::Unreachable {
        printer: printer.into(),
        reason: last,
    })?;
    let interrupted = |e: std::io::Error, sent: usize| PrintError::Interrupted {
        printer: printer.into(),
        reason: e.to_string(),
        sent,
        total: bytes.len(),
    };
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| interrupted(e, 0))?;
    let mut sent = 0;
    for chunk in bytes.chunks(16 * 1024) {
        stream.write_all(chunk).map_err(|e| interrupted(e, sent))?;
        sent += chunk.len();
    }
    stream.flush().map_err(|e| interrupted(e, sent))?;
    // Half-close: the printer sees the end of the job.
    stream
        .shutdown(std::net::Shutdown::Write)
        .map_err(|e| interrupted(e, sent))?;
    tracing::info!(printer, bytes = sent, "labels sent to the printer");
    Ok(())
}

/// The printer's addresses, port 9100 unless one is given.
fn addresses(printer: &str) -> Result<Vec<SocketAddr>, PrintError> {
    let bad = || PrintError::BadAddress {
        printer: printer.into(),
    };
    let p = printer.trim();
    if p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    // HOST:PORT, [V6]:PORT, a bare V6 address, or a bare host.
    let with_port = if p.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{p}]:{RAW_PORT}")
    } else if p.ends_with(']') || !p.contains(':') {
        format!("{p}:{RAW_PORT}")
    } else {
        p.to_string()
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|e| PrintError::Unreachable {
            printer: printer.into(),
            reason: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(bad());
    }
    Ok(addrs)
}

/// The CUPS commands: each a program and the arguments before ours (tests put a
/// stand-in shell script there).
struct CupsClient<'a> {
    lp: &'a [&'a str],
    lpstat: &'a [&'a str],
}

const CUPS_CLIENT: CupsClient<'static> = CupsClient {
    lp: &["lp"],
    lpstat: &["lpstat"],
};

/// CUPS's rule for a queue's name, and no leading '-' (it would be read as an option).
fn check_queue(queue: &str) -> Result<(), PrintError> {
    let bad = queue.is_empty()
        || queue.len() > 127
        || queue.starts_with('-')
        || queue
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '#');
    if bad {
        return Err(PrintError::BadQueue {
            queue: queue.into(),
        });
    }
    Ok(())
}

/// The layout's page as a CUPS media size, so a sheet is printed on its own paper size
/// and a roll label on its label, whatever the queue's default.
fn media(layout: &crate::Layout) -> String {
    let (w, h) = layout.page_size();
    let mm = |v: f32| (v * 10.0).round() / 10.0;
    format!("Custom.{}x{}mm", mm(w), mm(h))
}

/// The job's title in the queue: the first and last tags (or unit names).
fn job_title(subjects: &[crate::Subject]) -> String {
    let name = |s: &crate::Subject| -> String {
        s.tag
            .as_deref()
            .unwrap_or(&s.unit)
            .chars()
            .filter(|c| !c.is_control())
            .take(48)
            .collect()
    };
    match subjects {
        [] => "tagstation labels".into(),
        [one] => format!("tagstation labels {}", name(one)),
        [first, .., last] => format!("tagstation labels {} to {}", name(first), name(last)),
    }
}

/// Where the queue is, for messages: CUPS_SERVER when set.
fn place() -> String {
    match std::env::var("CUPS_SERVER") {
        Ok(server) if !server.is_empty() => format!(
            "on the print server {} (CUPS_SERVER)",
            server.escape_debug()
        ),
        _ => "on this computer".into(),
    }
}

/// Run `lp` and read its job id.
fn lp(
    client: &CupsClient,
    queue: &str,
    pdf: &[u8],
    title: &str,
    options: &[String],
    timeout: Duration,
) -> Result<String, PrintError> {
    check_queue(queue)?;
    let mut args: Vec<&str> = vec!["-d", queue, "-t", title];
    for o in options {
        args.extend(["-o", o.as_str()]);
    }
    let out = run(client.lp, &args, pdf, timeout).map_err(|e| match e {
        RunError::TimedOut => PrintError::TimedOut {
            queue: queue.into(),
            secs: timeout.as_secs_f64().ceil() as u64,
        },
        RunError::NotFound(e) => PrintError::NoCupsClient {
            queue: queue.into(),
            command: client.lp[0].into(),
            reason: e.to_string(),
        },
        RunError::Io(e) => PrintError::CannotRun {
            queue: queue.into(),
            command: client.lp[0].into(),
            reason: e.to_string(),
        },
    })?;
    if !out.status.success() {
        return Err(lp_failed(client, queue, &out.stderr, timeout));
    }
    let job = job_id(&out.stdout).ok_or_else(|| PrintError::NoJobId {
        queue: queue.into(),
        said: said(&out.stdout),
    })?;
    tracing::info!(queue, job, bytes = pdf.len(), "labels sent to CUPS");
    Ok(job)
}

/// Why `lp` failed. It says "The printer or class does not exist" both for an unknown
/// queue and when it cannot reach CUPS at all, so `lpstat -r` tells them apart.
fn lp_failed(client: &CupsClient, queue: &str, stderr: &str, timeout: Duration) -> PrintError {
    let queue = queue.to_string();
    let unreachable = [
        "Scheduler not responding",
        "Unable to connect",
        "Connection refused",
    ]
    .iter()
    .any(|m| stderr.contains(m));
    let unknown = stderr.contains("does not exist");
    let down = unreachable
        || (unknown
            && run(client.lpstat, &["-r"], b"", timeout)
                .is_ok_and(|o| o.stdout.contains("not running")));
    if down {
        PrintError::CupsNotRunning {
            queue,
            place: place(),
        }
    } else if unknown {
        PrintError::NoSuchQueue {
            queue,
            place: place(),
        }
    } else {
        PrintError::Refused {
            queue,
            said: said(stderr),
        }
    }
}

/// What a command said, trimmed and cut to a length an error can carry.
fn said(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > 300 {
        text.chars().take(299).collect::<String>() + "…"
    } else {
        text.to_string()
    }
}

/// The job id in what `lp` prints: "request id is Q-12 (1 file(s))" -> "Q-12".
fn job_id(stdout: &str) -> Option<String> {
    stdout.lines().find_map(|l| {
        let rest = l.split("request id is ").nth(1)?;
        let id = rest.split_whitespace().next()?;
        Some(id.to_string())
    })
}

/// A finished command's exit status and what it printed.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

enum RunError {
    /// It is not installed (or not a program).
    NotFound(std::io::Error),
    /// It could not be started or watched, or its files could not be made.
    Io(std::io::Error),
    /// It was still running at the time limit and was killed.
    TimedOut,
}

/// Whether `program` (a path, or a name looked up on `PATH`) is a file. Asked before
/// spawning: a failed exec is not reported as an error everywhere (under qemu-user the
/// child starts, then exits).
fn installed(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Run `program` (its first word, then the rest and `args`) in the C locale, `input` on
/// its standard input; killed at `timeout`. Input and output go through unnamed
/// temporary files, not pipes: no thread to feed it, and nothing to block or to break
/// (a command that exits without reading does not raise SIGPIPE here).
fn run(program: &[&str], args: &[&str], input: &[u8], timeout: Duration) -> Result<Ran, RunError> {
    if !installed(program[0]) {
        let missing = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not installed", program[0]),
        );
        return Err(RunError::NotFound(missing));
    }
    let deadline = Instant::now() + timeout;
    let mut stdin = tempfile::tempfile().map_err(RunError::Io)?;
    stdin.write_all(input).map_err(RunError::Io)?;
    stdin.rewind().map_err(RunError::Io)?;
    let mut stdout = tempfile::tempfile().map_err(RunError::Io)?;
    let mut stderr = tempfile::tempfile().map_err(RunError::Io)?;
    let mut child = Command::new(program[0])
        .args(&program[1..])
        .args(args)
        .env("LC_ALL", "C")
        .stdin(stdin)
        .stdout(stdout.try_clone().map_err(RunError::Io)?)
        .stderr(stderr.try_clone().map_err(RunError::Io)?)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                RunError::NotFound(e)
            }
            _ => RunError::Io(e),
        })?;
    let mut pause = Duration::from_millis(2);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(RunError::Io)? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RunError::TimedOut);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    let read = |f: &mut std::fs::File| -> Result<String, RunError> {
        let mut s = Vec::new();
        f.rewind().map_err(RunError::Io)?;
        f.read_to_end(&mut s).map_err(RunError::Io)?;
        Ok(String::from_utf8_lossy(&s).into_owned())
    };
    Ok(Ran {
        status,
        stdout: read(&mut stdout)?,
        stderr: read(&mut stderr)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    /// Every byte reaches a printer on loopback, and the job ends with the connection.
    #[test]
    fn sends_every_byte_and_closes() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let got = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut v = Vec::new();
            s.read_to_end(&mut v).unwrap();
            v
        });
        let job: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        send_raw(&addr.to_string(), &job, Duration::from_secs(5)).unwrap();
        assert_eq!(got.join().unwrap(), job);
    }

    /// Nobody listening: an error naming the printer.
    #[test]
    fn an_offline_printer_is_named() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let e = send_raw(&addr.to_string(), b"^XA^XZ", Duration::from_secs(2)).unwrap_err();
        assert!(matches!(e, PrintError::Unreachable { .. }), "{e}");
        assert!(e.to_string().contains(&addr.to_string()), "{e}");
    }

    #[test]
    fn printers_parse_and_print_back() {
        let cups = |queue: &str| Printer::Cups {
            queue: queue.into(),
        };
        let zebra = |address: &str| Printer::Zebra {
            address: address.into(),
        };
        let cases = [
            ("cups:Office", cups("Office")),
            ("cups:Brother_QL-820", cups("Brother_QL-820")),
            ("zebra:192.168.1.40", zebra("192.168.1.40")),
            ("zebra:zt410.local:6101", zebra("zt410.local:6101")),
            ("zebra:[::1]:9100", zebra("[::1]:9100")),
            ("zebra:fe80::1", zebra("fe80::1")),
        ];
        for (spec, printer) in cases {
            assert_eq!(spec.parse::<Printer>().unwrap(), printer, "{spec}");
            assert_eq!(printer.to_string(), spec);
        }
    }

    #[test]
    fn a_printer_of_neither_form_is_refused_naming_both() {
        for spec in [
            "",
            "Office",
            "192.168.1.40",
            "ipp:Office",
            "cups:",
            "zebra:",
            "zebra:a b",
        ] {
            let e = spec.parse::<Printer>().unwrap_err();
            assert!(matches!(e, PrintError::BadPrinter { .. }), "{spec}: {e}");
            let msg = e.to_string();
            assert!(msg.contains(&format!("{spec:?}")), "{msg}");
            assert!(
                msg.contains("cups:QUEUE") && msg.contains("zebra:HOST[:PORT]"),
                "{msg}"
            );
        }
    }

    /// No option smuggled in as a queue, no spaces, controls or CUPS's forbidden '/' and '#'.
    #[test]
    fn queue_names_that_lp_could_misread_are_refused() {
        let long = "q".repeat(128);
        for queue in [
            "-oraw",
            "-d",
            "Office 2",
            "Office\n",
            "Office\u{1b}[2J",
            "a/b",
            "a#b",
            &long,
        ] {
            let e = format!("cups:{queue}").parse::<Printer>().unwrap_err();
            assert!(matches!(e, PrintError::BadQueue { .. }), "{queue:?}: {e}");
            assert!(!e.to_string().contains('\u{1b}'), "{e}");
            let e = send_to_cups(queue, b"%PDF", "t", Duration::from_secs(1)).unwrap_err();
            assert!(matches!(e, PrintError::BadQueue { .. }), "{queue:?}: {e}");
        }
    }

    #[test]
    fn the_job_id_is_read_from_what_lp_says() {
        assert_eq!(
            job_id("request id is Q-12 (1 file(s))\n").as_deref(),
            Some("Q-12")
        );
        assert_eq!(
            job_id("request id is Office_2-7 (0 file(s))").as_deref(),
            Some("Office_2-7")
        );
        assert_eq!(
            job_id("lp: note\nrequest id is A-1\n").as_deref(),
            Some("A-1")
        );
        assert_eq!(job_id(""), None);
        assert_eq!(job_id("request id is "), None);
        assert_eq!(job_id("printed"), None);
    }

    #[test]
    fn media_is_the_layouts_page() {
        let find = |n| crate::Layout::find(n).unwrap();
        assert_eq!(media(find("l7651")), "Custom.210x297mm");
        assert_eq!(media(find("5160")), "Custom.215.9x279.4mm");
        assert_eq!(media(find("62mm")), "Custom.62x29mm");
        assert_eq!(media(find("2x1in")), "Custom.50.8x25.4mm");
    }

    /// A stand-in for lp and lpstat: `sh -c SCRIPT` with lp's arguments as $1...
    fn stand_in<'a>(lp: &'a [&'a str], lpstat: &'a [&'a str]) -> CupsClient<'a> {
        CupsClient { lp, lpstat }
    }

    const T: Duration = Duration::from_secs(5);

    /// lp gets the queue, the title, the options and every byte of the PDF on stdin.
    #[test]
    fn lp_gets_the_queue_title_options_and_pdf() {
        let script = r#"test "$*" = "-d Q -t my title -o media=A4" || { echo "args: $*" >&2; exit 1; }
            echo "request id is $2-$(wc -c | tr -d ' ') (0 file(s))""#;
        let sh = ["sh", "-c", script, "lp"];
        let c = stand_in(&sh, &["false"]);
        let pdf = vec![b'x'; 200_000];
        let job = lp(&c, "Q", &pdf, "my title", &["media=A4".into()], T).unwrap();
        assert_eq!(job, "Q-200000");
    }

    /// lp that never ends is killed at the time limit.
    #[test]
    fn a_hanging_lp_is_stopped() {
        let c = stand_in(&["sh", "-c", "exec sleep 30", "lp"], &["false"]);
        let started = Instant::now();
        let e = lp(&c, "Q", b"%PDF", "t", &[], Duration::from_millis(300)).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(e, PrintError::TimedOut { .. }), "{e}");
        assert!(e.to_string().contains("lpstat -o Q"), "{e}");
    }

    /// lp's own words, quoted with its control characters escaped.
    #[test]
    fn lp_refusing_is_quoted_escaped() {
        let script =
            r#"printf 'lp: Error - The printer is not accepting jobs.\033[2J\n' >&2; exit 1"#;
        let sh = ["sh", "-c", script, "lp"];
        let c = stand_in(&sh, &["false"]);
        let e = lp(&c, "Q", b"%PDF", "t", &[], T).unwrap_err();
        assert!(matches!(e, PrintError::Refused { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(r#"lp said "lp: Error - The printer is not accepting jobs.\u{1b}[2J""#),
            "{msg}"
        );
        assert!(msg.contains("nothing was printed"), "{msg}");
    }

    /// "does not exist" is an unknown queue while CUPS runs, and CUPS down when not.
    #[test]
    fn an_unknown_queue_and_cups_down_are_told_apart() {
        let lp_says = "echo 'lp: Error - The printer or class does not exist.' >&2; exit 1";
        let lp_cmd = ["sh", "-c", lp_says, "lp"];
        let running = stand_in(&lp_cmd, &["echo", "scheduler is running"]);
        let e = lp(&running, "Office", b"%PDF", "t", &[], T).unwrap_err();
        assert!(matches!(e, PrintError::NoSuchQueue { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("there is no printer queue named Office")
                && e.to_string().contains("lpstat -p"),
            "{e}"
        );
        let down = stand_in(&lp_cmd, &["echo", "scheduler is not running"]);
        let e = lp(&down, "Office", b"%PDF", "t", &[], T).unwrap_err();
        assert!(matches!(e, PrintError::CupsNotRunning { .. }), "{e}");
    }

    #[test]
    fn a_missing_lp_says_to_install_cups_client() {
        let c = stand_in(&["/nonexistent/lp"], &["false"]);
        let e = lp(&c, "Q", b"%PDF", "t", &[], T).unwrap_err();
        assert!(matches!(e, PrintError::NoCupsClient { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("/nonexistent/lp") && msg.contains("cups-client"),
            "{msg}"
        );
    }

    /// A label that cannot be made is sent nowhere.
    #[test]
    fn a_label_error_prints_nothing() {
        let subjects = [crate::Subject {
            unit: "Drill 01".into(),
            item: "Drill".into(),
            tag: None,
            ..Default::default()
        }];
        let opts = crate::Options::new(crate::Layout::find("l7651").unwrap());
        let printer = Printer::Cups { queue: "Q".into() };
        let e = print(&printer, &subjects, &opts, T).unwrap_err();
        assert!(matches!(e, PrintError::Label(_)), "{e}");
        assert_eq!(
            e.to_string(),
            "Drill 01: no tag to print; nothing was printed"
        );
        let zebra = Printer::Zebra {
            address: "127.0.0.1:9".into(),
        };
        let e = print(&zebra, &subjects[..0], &opts, T).unwrap_err();
        assert!(e.to_string().contains("l7651 is a sheet"), "{e}");
    }

    #[test]
    fn the_job_title_names_the_first_and_last_tag() {
        let s = |tag: &str| crate::Subject {
            unit: format!("unit {tag}"),
            tag: Some(tag.into()),
            ..Default::default()
        };
        assert_eq!(job_title(&[s("TS-1")]), "tagstation labels TS-1");
        assert_eq!(
            job_title(&[s("TS-1"), s("TS-2"), s("TS-3\n")]),
            "tagstation labels TS-1 to TS-3"
        );
    }

    #[test]
    fn addresses_default_to_the_raw_port() {
        assert_eq!(
            addresses("127.0.0.1").unwrap(),
            vec!["127.0.0.1:9100".parse().unwrap()]
        );
        assert_eq!(
            addresses("::1").unwrap(),
            vec!["[::1]:9100".parse().unwrap()]
        );
        assert_eq!(
            addresses("127.0.0.1:6101").unwrap(),
            vec!["127.0.0.1:6101".parse().unwrap()]
        );
        assert!(matches!(
            addresses("zebra 1"),
            Err(PrintError::BadAddress { .. })
        ));
    }
}
