//! systemd integration: tell the service manager the station is ready, and ping its watchdog.
//!
//! Writes the `sd_notify` protocol to `$NOTIFY_SOCKET` directly (one datagram per
//! message); without that variable (not run by systemd) every call does nothing.

use std::time::Duration;

/// Send one notification (`READY=1`, `WATCHDOG=1`, `STATUS=...`). Returns whether a
/// service manager was there to receive it.
pub fn notify(state: &str) -> std::io::Result<bool> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            sock.send_to_addr(state.as_bytes(), &addr)?;
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = name;
            return Ok(false);
        }
    } else {
        sock.send_to(state.as_bytes(), &path)?;
    }
    Ok(true)
}

/// How often to ping the watchdog: half of `WatchdogSec=`, if systemd asked for pings
/// from this process.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Log instead of failing: a missing service manager is normal on a desktop.
pub fn notify_or_log(state: &str) {
    if let Err(e) = notify(state) {
        tracing::warn!(error = %e, state, "cannot notify systemd");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_reaches_a_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let server = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        // SAFETY-free: the variable is only read by this test's own call below.
        std::env::set_var("NOTIFY_SOCKET", &path);
        assert!(notify("WATCHDOG=1").unwrap());
        std::env::remove_var("NOTIFY_SOCKET");
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }
}
