//! Live keyboard-wedge scanners through evdev (feature `hid`): open by `/dev/input/by-id/...`
//! path or `vendor:product`, grab exclusively so keystrokes reach nothing else, feed the pure
//! [`HidDecoder`](super::hid::HidDecoder), and reopen with backoff after unplug.

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evdev::raw_stream::RawDevice;

use super::hid::{HidConfig, HidDecoder};
use super::sources::emit_hid_output;
use super::{Emitter, ScanSource, SourceStatus};

/// How to find the scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSelector {
    /// a device node, best a stable `/dev/input/by-id/usb-...-event-kbd` link
    Path(PathBuf),
    /// USB vendor and product id, e.g. `0c2e:0b61` (first matching device)
    VendorProduct(u16, u16),
}

impl FromStr for DeviceSelector {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((v, p)) = s.split_once(':') {
            if let (Ok(v), Ok(p)) = (u16::from_str_radix(v, 16), u16::from_str_radix(p, 16)) {
                if !s.contains('/') {
                    return Ok(DeviceSelector::VendorProduct(v, p));
                }
            }
        }
        Ok(DeviceSelector::Path(PathBuf::from(s)))
    }
}

/// One configured scanner.
#[derive(Debug, Clone)]
pub struct HidDeviceConfig {
    pub device: DeviceSelector,
    pub hid: HidConfig,
    /// take the device exclusively (default true): its keys go nowhere else
    pub grab: bool,
}

/// A live evdev scanner; runs until stopped, surviving unplug/replug.
pub struct HidLiveSource {
    pub config: HidDeviceConfig,
}

fn open(sel: &DeviceSelector) -> std::io::Result<(String, RawDevice)> {
    match sel {
        DeviceSelector::Path(p) => Ok((p.display().to_string(), RawDevice::open(p)?)),
        DeviceSelector::VendorProduct(v, p) => evdev::raw_stream::enumerate()
            .find(|(_, d)| d.input_id().vendor() == *v && d.input_id().product() == *p)
            .map(|(path, d)| (path.display().to_string(), d))
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no input device {v:04x}:{p:04x}"),
                )
            }),
    }
}

/// Wait until the device has events (true), or `timeout_ms` passed (false).
fn wait_readable(dev: &RawDevice, timeout_ms: i32) -> std::io::Result<bool> {
    let mut p = libc::pollfd {
        fd: dev.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd that lives for the whole call; the fd is owned by `dev`.
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    if r > 0 && p.revents & libc::POLLIN == 0 {
        // POLLERR/POLLHUP/POLLNVAL without data: the device went away
        return Err(std::io::Error::from_raw_os_error(libc::ENODEV));
    }
    Ok(r > 0)
}

fn micros(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl ScanSource for HidLiveSource {
    fn run(self: Box<Self>, em: Emitter) {
        let mut dec = HidDecoder::new(self.config.hid);
        let mut backoff = Duration::from_millis(250);
        let mut last_err = String::new();
        while !em.should_stop() {
            let (path, mut dev) = match open(&self.config.device) {
                Ok(x) => x,
                Err(e) => {
                    let msg = e.to_string();
                    if msg != last_err {
                        em.status(SourceStatus::Disconnected(msg.clone()));
                        last_err = msg;
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            if self.config.grab {
                if let Err(e) = dev.grab() {
                    // another program holds it; keep trying rather than share keystrokes
                    em.status(SourceStatus::Failed(format!("cannot grab {path}: {e}")));
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
            em.status(SourceStatus::Connected(format!(
                "{path} ({})",
                dev.name().unwrap_or("unnamed")
            )));
            backoff = Duration::from_millis(250);
            last_err.clear();
            dec.reset();
            'read: loop {
                // wake up every 20 ms to end suffix-less bursts and to notice a stop request
                match wait_readable(&dev, 20) {
                    Ok(true) => {}
                    Ok(false) => {
                        if let Some(o) = dec.poll_idle(micros(SystemTime::now())) {
                            if !emit_hid_output(&em, o) {
                                return;
                            }
                        }
                        if em.should_stop() {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        em.status(SourceStatus::Disconnected(format!("{path}: {e}")));
                        break 'read;
                    }
                }
                match dev.fetch_events() {
                    Ok(events) => {
                        for ev in events {
                            let ts = micros(ev.timestamp());
                            if let Some(o) = dec.poll_idle(ts) {
                                if !emit_hid_output(&em, o) {
                                    return;
                                }
                            }
                            if let Some(o) = dec.feed(ts, ev.event_type().0, ev.code(), ev.value())
                            {
                                if !emit_hid_output(&em, o) {
                                    return;
                                }
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // ENODEV after unplug: drop partial input and reopen
                        em.status(SourceStatus::Disconnected(format!("{path}: {e}")));
                        break 'read;
                    }
                }
                if em.should_stop() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_parse() {
        assert_eq!(
            "0c2e:0b61".parse::<DeviceSelector>().unwrap(),
            DeviceSelector::VendorProduct(0x0c2e, 0x0b61)
        );
        assert!(matches!(
            "/dev/input/by-id/usb-Honeywell-event-kbd"
                .parse::<DeviceSelector>()
                .unwrap(),
            DeviceSelector::Path(_)
        ));
    }
}
