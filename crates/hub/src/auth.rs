//! Secrets of the hub: station tokens, one-time enrollment codes, the admin token,
//! and the count of failed attempts per client (in the database: several hubs on one
//! PostgreSQL share it).
//!
//! A station token is `tst_<id>_<secret>`: the id finds the row, the secret is checked
//! against its SHA-256 in constant time. Secrets are 256 random bits, so a fast hash is
//! enough (no password stretching needed) and the hub never stores a usable token.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::{params, Conn};
use crate::Result;

/// Characters of enrollment codes: no 0/O, 1/I/L to misread.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS random source failing is not something a hub can work around.
    getrandom::getrandom(&mut b).expect("operating system random source");
    b
}

pub(crate) fn hex(bytes: &[u8]) -> String {
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

/// Failed credentials from one client in the current minute, kept in the hub's
/// database so that every hub on one PostgreSQL counts against the same limit: how
/// many there were so far.
pub fn failures(c: &mut dyn Conn, client: &str, now_ms: i64) -> Result<i64> {
    let minute = now_ms.div_euclid(60_000);
    Ok(c.query_opt(
        "SELECT count FROM auth_failures WHERE client = ?1 AND minute = ?2",
        params![client, minute],
    )?
    .map(|r| r.int(0))
    .transpose()?
    .unwrap_or(0))
}

/// Note a failed credential from one client, and forget minutes that are over.
pub fn note_failure(c: &mut dyn Conn, client: &str, now_ms: i64) -> Result<()> {
    let minute = now_ms.div_euclid(60_000);
    c.execute(
        "INSERT INTO auth_failures (client, minute, count) VALUES (?1, ?2, 1)
         ON CONFLICT (client, minute) DO UPDATE SET count = auth_failures.count + 1",
        params![client, minute],
    )?;
    c.execute(
        "DELETE FROM auth_failures WHERE minute < ?1",
        params![minute - 1],
    )?;
    Ok(())
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
    fn failures_count_per_client_and_minute_in_the_database() {
        use crate::db::Database;
        let dir = tempfile::tempdir().unwrap();
        let db = crate::sqlite::SqliteDb::open(dir.path()).unwrap();
        let now = 120_000 * 1000;
        db.write(|c| {
            for _ in 0..3 {
                note_failure(c, "127.0.0.9", now)?;
            }
            assert_eq!(failures(c, "127.0.0.9", now)?, 3);
            assert_eq!(failures(c, "127.0.0.8", now)?, 0);
            assert_eq!(failures(c, "127.0.0.9", now + 60_000)?, 0, "a new minute");
            note_failure(c, "127.0.0.8", now + 180_000)?;
            let left = c
                .query_one("SELECT COUNT(*) FROM auth_failures", &[])?
                .int(0)?;
            assert_eq!(left, 1, "minutes that are over are forgotten");
            Ok(())
        })
        .unwrap();
    }
}
