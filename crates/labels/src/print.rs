//! Sending labels to a printer. ZPL goes raw to a Zebra printer's TCP port (9100, the
//! "raw" or JetDirect port most label printers listen on): connect, write every byte,
//! close, each step with a time limit. A printer that cannot be reached, or that stops
//! reading, is an error naming it, so nothing is taken for printed that was not sent.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

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
