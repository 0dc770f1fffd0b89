//! Secrets of the hub: station tokens, one-time enrollment codes, the admin token,
//! and a limiter for failed attempts.
//!
//! A station token is `tst_<id>_<secret>`: the id finds the row, the secret is checked
//! against its SHA-256 in constant time. Secrets are 256 random bits, so a fast hash is
//! enough (no password stretching needed) and the hub never stores a usable token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Characters of enrollment codes: no 0/O, 1/I/L to misread.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS random source failing is not something a hub can work around.
    getrandom::getrandom(&mut b).expect("operating system random source");
    b
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a secret, hex-encoded: what the hub stores.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compare a presented secret with a stored hash in constant time.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    let h = hash_secret(secret);
    h.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// A new station token: (token id, full token to hand out once, hash to store).
pub fn new_token() -> (String, String, String) {
    let id = hex(&random_bytes::<8>());
    let secret = hex(&random_bytes::<32>());
    let token = format!("tst_{id}_{secret}");
    (id, token, hash_secret(&secret))
}

/// Split a presented token into (id, secret); `None` if it is not shaped like one.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("tst_")?;
    let (id, secret) = rest.split_once('_')?;
    let ok = id.len() == 16
        && secret.len() == 64
        && (id.chars().chain(secret.chars())).all(|c| c.is_ascii_hexdigit());
    ok.then_some((id, secret))
}

/// A one-time enrollment code like `K7QX-M3TA-9WHP` (60 bits), and its hash.
pub fn new_enrollment_code() -> (String, String) {
    let raw = random_bytes::<12>();
    let chars: String = raw
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    let code = format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12]);
    let hash = hash_secret(&normalize_code(&code));
    (code, hash)
}

/// Codes are typed by people: ignore case, dashes and spaces.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A new random admin token (stored by the hub as a hash only).
pub fn new_admin_token() -> String {
    format!("tsa_{}", hex(&random_bytes::<32>()))
}

/// Counts failed attempts per client address in a sliding minute; past the limit the
/// client is refused (HTTP 429) until the minute has passed.
#[derive(Debug)]
pub struct FailureLimiter {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureLimiter {
    pub fn new(per_minute: u32) -> Self {
        FailureLimiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Is this client currently locked out?
    pub fn blocked(&self, ip: IpAddr) -> bool {
        let map = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&ip) {
            Some((since, n)) => since.elapsed() < Duration::from_secs(60) && *n >= self.per_minute,
            None => false,
        }
    }

    /// Note a failure from this client.
    pub fn failed(&self, ip: IpAddr) {
        let mut map = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (since, _)| since.elapsed() < Duration::from_secs(60));
        }
        let e = map.entry(ip).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= Duration::from_secs(60) {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_codes() {
        let (id, token, hash) = new_token();
        let (pid, secret) = parse_token(&token).unwrap();
        assert_eq!(pid, id);
        assert!(verify_secret(secret, &hash));
        assert!(!verify_secret("0".repeat(64).as_str(), &hash));
        assert!(parse_token("tst_abc_def").is_none());
        assert!(parse_token("Bearer x").is_none());

        let (code, hash) = new_enrollment_code();
        assert_eq!(code.len(), 14);
        assert_eq!(
            hash_secret(&normalize_code(&code.to_lowercase().replace('-', " "))),
            hash
        );
    }

    #[test]
    fn limiter_blocks_after_limit() {
        let l = FailureLimiter::new(3);
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        for _ in 0..3 {
            assert!(!l.blocked(ip));
            l.failed(ip);
        }
        assert!(l.blocked(ip));
        assert!(!l.blocked("127.0.0.8".parse().unwrap()));
    }
}
