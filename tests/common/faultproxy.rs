//! A TCP proxy between station and hub that breaks things on purpose: refuses
//! connections, delays, cuts requests part way, loses responses after the hub has
//! answered (so the hub committed but the station never hears of it), and holds
//! requests without passing them on (a wedged network: the connection stays open,
//! nothing comes back).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Probabilities of each fault, per connection (drop) or per chunk (the rest).
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub drop_connect: f64,
    pub delay: f64,
    pub max_delay_ms: u64,
    pub cut_request: f64,
    pub lose_response: f64,
    /// While set, requests are held (not passed on) until it is cleared.
    pub stall: bool,
}

#[derive(Debug, Default)]
pub struct ProxyStats {
    pub connections: AtomicU64,
    pub dropped: AtomicU64,
    pub delayed: AtomicU64,
    pub cut_requests: AtomicU64,
    pub lost_responses: AtomicU64,
    /// Chunks of request held by a stall.
    pub stalled: AtomicU64,
}

pub struct FaultProxy {
    pub url: String,
    pub stats: Arc<ProxyStats>,
    faults: Arc<Mutex<Faults>>,
    stop: Arc<AtomicBool>,
}

/// A small xorshift generator: deterministic per seed, no dependency.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

impl FaultProxy {
    pub fn start(upstream: &str, faults: Faults, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let stats = Arc::new(ProxyStats::default());
        let faults = Arc::new(Mutex::new(faults));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, fa, sp, up) = (
            stats.clone(),
            faults.clone(),
            stop.clone(),
            upstream.to_string(),
        );
        std::thread::spawn(move || {
            let mut rng = Rng(seed | 1);
            while !sp.load(Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        st.connections.fetch_add(1, Relaxed);
                        let f = *fa.lock().unwrap();
                        if rng.chance(f.drop_connect) {
                            st.dropped.fetch_add(1, Relaxed);
                            drop(client);
                            continue;
                        }
                        let Ok(server) = TcpStream::connect(&up) else {
                            continue;
                        };
                        let seed = rng.next();
                        let (st2, fa2) = (st.clone(), fa.clone());
                        std::thread::spawn(move || pipe_pair(client, server, fa2, st2, seed));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultProxy {
            url,
            stats,
            faults,
            stop,
        }
    }

    pub fn set(&self, f: Faults) {
        *self.faults.lock().unwrap() = f;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
    }
}

fn pipe_pair(
    client: TcpStream,
    server: TcpStream,
    faults: Arc<Mutex<Faults>>,
    stats: Arc<ProxyStats>,
    seed: u64,
) {
    let dead = Arc::new(AtomicBool::new(false));
    let kill = {
        let (c, s) = (
            Arc::new(client.try_clone().unwrap()),
            Arc::new(server.try_clone().unwrap()),
        );
        move || {
            let _ = c.shutdown(Shutdown::Both);
            let _ = s.shutdown(Shutdown::Both);
        }
    };
    let up = {
        let (mut from, mut to) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let (faults, stats, dead, kill) =
            (faults.clone(), stats.clone(), dead.clone(), kill.clone());
        std::thread::spawn(move || {
            let mut rng = Rng(seed ^ 0x9e3779b97f4a7c15 | 1);
            let mut buf = [0u8; 16384];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if faults.lock().unwrap().stall {
                    stats.stalled.fetch_add(1, Relaxed);
                    while faults.lock().unwrap().stall {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
                let f = *faults.lock().unwrap();
                if rng.chance(f.delay) {
                    stats.delayed.fetch_add(1, Relaxed);
                    std::thread::sleep(Duration::from_millis(rng.below(f.max_delay_ms + 1)));
                }
                if rng.chance(f.cut_request) {
                    stats.cut_requests.fetch_add(1, Relaxed);
                    let part = rng.below(n as u64) as usize;
                    let _ = to.write_all(&buf[..part]);
                    dead.store(true, Relaxed);
                    kill();
                    break;
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    let (mut from, mut to) = (server, client);
    let mut rng = Rng(seed | 1);
    let mut buf = [0u8; 16384];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if dead.load(Relaxed) {
            break;
        }
        let f = *faults.lock().unwrap();
        if rng.chance(f.lose_response) {
            // The hub has answered, so it has committed: the station never hears it.
            stats.lost_responses.fetch_add(1, Relaxed);
            kill();
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    kill();
    let _ = up.join();
}
