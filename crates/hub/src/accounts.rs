//! Who may sign in to the web app, and how they stay signed in: a password per person
//! (an argon2id hash), sessions, one-time set-password links, and personal API tokens
//! (`tsp_…`, each capped at a role) for scripts. All of it lives in the hub's
//! database, so several hubs on one PostgreSQL share every session and token.
//!
//! A session cookie, a set-password link and a token are 256 random bits, stored only
//! as their SHA-256: a copy of the database signs nobody in. Each session has its own CSRF
//! token, which every form of the web app carries back.

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};

use crate::auth::{hash_secret, hex, random_bytes, verify_secret};
use crate::db::{params, Conn};
use crate::{HubError, Result};
use tagstation_core::people::{PersonId, Role};

/// A session ends this long after sign-in.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// A set-password link works once, within this long.
pub const LINK_TTL_MS: i64 = 72 * 3600 * 1000;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted (hashing a huge one would cost the hub CPU for nothing).
pub const MAX_PASSWORD: usize = 256;

/// Why a new password is refused, in the words the person sees.
pub fn check_password(password: &str) -> std::result::Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        ));
    }
    if n > MAX_PASSWORD {
        return Err(format!(
            "a password can have at most {MAX_PASSWORD} characters"
        ));
    }
    Ok(())
}

/// The argon2id hash of a password (PHC string). Slow on purpose: call it outside a
/// database transaction.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| HubError::Task(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::Task(format!("password hashing failed: {e}")))
}

/// Whether `password` matches a stored hash. A stored hash that cannot be read
/// matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when a person has no password, so that "no such person"
/// and "wrong password" take the same time.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("a password nobody has").unwrap_or_default())
}

pub fn set_password(c: &mut dyn Conn, person: PersonId, hash: &str, now_ms: i64) -> Result<()> {
    c.execute(
        "INSERT INTO web_passwords (person_id, hash, set_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (person_id) DO UPDATE SET hash = ?2, set_ms = ?3",
        params![person, hash, now_ms],
    )?;
    Ok(())
}

pub fn password_of(c: &mut dyn Conn, person: PersonId) -> Result<Option<String>> {
    c.query_opt(
        "SELECT hash FROM web_passwords WHERE person_id = ?1",
        params![person],
    )?
    .map(|r| r.text(0))
    .transpose()
}

/// A signed-in session as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub person: PersonId,
    pub csrf: String,
    pub expires_ms: i64,
}

/// Start a session: returns the cookie value (shown once) and the session.
pub fn start_session(c: &mut dyn Conn, person: PersonId, now_ms: i64) -> Result<(String, Session)> {
    let cookie = hex(&random_bytes::<32>());
    let session = Session {
        person,
        csrf: hex(&random_bytes::<32>()),
        expires_ms: now_ms + SESSION_TTL_MS,
    };
    c.execute(
        "INSERT INTO web_sessions (id_hash, person_id, csrf, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            hash_secret(&cookie),
            person,
            &session.csrf,
            now_ms,
            session.expires_ms
        ],
    )?;
    // Sessions that are over are forgotten as new ones start.
    c.execute(
        "DELETE FROM web_sessions WHERE expires_ms < ?1",
        params![now_ms],
    )?;
    Ok((cookie, session))
}

/// The live session a cookie names, if any.
pub fn session(c: &mut dyn Conn, cookie: &str, now_ms: i64) -> Result<Option<Session>> {
    let Some(r) = c.query_opt(
        "SELECT person_id, csrf, expires_ms FROM web_sessions WHERE id_hash = ?1",
        params![hash_secret(cookie)],
    )?
    else {
        return Ok(None);
    };
    let s = Session {
        person: r.uuid(0)?,
        csrf: r.text(1)?,
        expires_ms: r.int(2)?,
    };
    Ok((s.expires_ms > now_ms).then_some(s))
}

/// End the session a cookie names (signing out).
pub fn end_session(c: &mut dyn Conn, cookie: &str) -> Result<()> {
    c.execute(
        "DELETE FROM web_sessions WHERE id_hash = ?1",
        params![hash_secret(cookie)],
    )?;
    Ok(())
}

/// End every session of a person (an admin revoking them, or a new password); returns
/// how many there were.
pub fn end_sessions_of(c: &mut dyn Conn, person: PersonId) -> Result<u64> {
    c.execute(
        "DELETE FROM web_sessions WHERE person_id = ?1",
        params![person],
    )
}

/// Live sessions of a person.
pub fn sessions_of(c: &mut dyn Conn, person: PersonId, now_ms: i64) -> Result<i64> {
    c.query_one(
        "SELECT COUNT(*) FROM web_sessions WHERE person_id = ?1 AND expires_ms > ?2",
        params![person, now_ms],
    )?
    .int(0)
}

/// A one-time set-password link's token for a person (earlier links of theirs stop
/// working).
pub fn new_link(c: &mut dyn Conn, person: PersonId, now_ms: i64) -> Result<String> {
    let token = hex(&random_bytes::<32>());
    c.execute(
        "DELETE FROM web_links WHERE person_id = ?1 OR expires_ms < ?2",
        params![person, now_ms],
    )?;
    c.execute(
        "INSERT INTO web_links (token_hash, person_id, expires_ms) VALUES (?1, ?2, ?3)",
        params![hash_secret(&token), person, now_ms + LINK_TTL_MS],
    )?;
    Ok(token)
}

/// Whose link this is, if it is live (it stays usable).
pub fn link_person(c: &mut dyn Conn, token: &str, now_ms: i64) -> Result<Option<PersonId>> {
    let Some(r) = c.query_opt(
        "SELECT person_id, expires_ms, token_hash FROM web_links WHERE token_hash = ?1",
        params![hash_secret(token)],
    )?
    else {
        return Ok(None);
    };
    let live = r.int(1)? > now_ms && verify_secret(token, &r.text(2)?);
    Ok(if live { Some(r.uuid(0)?) } else { None })
}

/// Use a link: it stops working. Whose it was, if it was live.
pub fn use_link(c: &mut dyn Conn, token: &str, now_ms: i64) -> Result<Option<PersonId>> {
    let who = link_person(c, token, now_ms)?;
    c.execute(
        "DELETE FROM web_links WHERE token_hash = ?1",
        params![hash_secret(token)],
    )?;
    Ok(who)
}

/// Personal API tokens start with this, so a leaked one is recognisable (in a log, a
/// script, a secret scanner).
pub const TOKEN_PREFIX: &str = "tsp_";
/// Longest token name accepted.
pub const MAX_TOKEN_NAME: usize = 100;
/// `last_used_ms` is written at most this often per token, so scripts that call in a
/// loop do not turn every read into a write.
pub const TOKEN_USE_GRANULARITY_MS: i64 = 60 * 1000;

/// A personal API token as the hub keeps it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: uuid::Uuid,
    pub person: PersonId,
    pub name: String,
    /// The most the token may do; a request acts with the lower of this and the
    /// person's role at the time.
    pub cap: Role,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// Is this shaped like a personal token (`tsp_` and 64 hex digits)?
pub fn is_token(secret: &str) -> bool {
    secret
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A new personal token for a person: returns the secret (shown once, never stored)
/// and the token. The caller decides whether `cap` is allowed (at most the person's
/// own role).
pub fn new_token(
    c: &mut dyn Conn,
    person: PersonId,
    name: &str,
    cap: Role,
    now_ms: i64,
) -> Result<(String, Token)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
        return Err(HubError::BadRequest(format!(
            "a token needs a name of 1 to {MAX_TOKEN_NAME} characters"
        )));
    }
    let secret = format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()));
    let token = Token {
        id: uuid::Uuid::now_v7(),
        person,
        name: name.to_string(),
        cap,
        created_ms: now_ms,
        last_used_ms: None,
        revoked_ms: None,
    };
    c.execute(
        "INSERT INTO web_tokens (id, person_id, name, cap, secret_hash, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token.id,
            person,
            &token.name,
            cap.as_str(),
            hash_secret(&secret),
            now_ms
        ],
    )?;
    Ok((secret, token))
}

const TOKEN_COLUMNS: &str = "id, person_id, name, cap, created_ms, last_used_ms, revoked_ms";

fn token_row(r: &crate::db::Row) -> Result<Token> {
    Ok(Token {
        id: r.uuid(0)?,
        person: r.uuid(1)?,
        name: r.text(2)?,
        // A cap this binary does not know grants the least.
        cap: r.text(3)?.parse().unwrap_or(Role::Viewer),
        created_ms: r.int(4)?,
        last_used_ms: r.opt_int(5)?,
        revoked_ms: r.opt_int(6)?,
    })
}

/// A person's tokens, newest first, revoked ones included (marked).
pub fn tokens_of(c: &mut dyn Conn, person: PersonId) -> Result<Vec<Token>> {
    c.query(
        &format!(
            "SELECT {TOKEN_COLUMNS} FROM web_tokens WHERE person_id = ?1 ORDER BY created_ms DESC, id DESC"
        ),
        params![person],
    )?
    .iter()
    .map(token_row)
    .collect()
}

/// Every live (not revoked) token, of everyone, newest first: what an admin reviews.
pub fn live_tokens(c: &mut dyn Conn) -> Result<Vec<Token>> {
    c.query(
        &format!(
            "SELECT {TOKEN_COLUMNS} FROM web_tokens WHERE revoked_ms IS NULL ORDER BY created_ms DESC, id DESC"
        ),
        &[],
    )?
    .iter()
    .map(token_row)
    .collect()
}

/// One token by id (revoked or not).
pub fn token(c: &mut dyn Conn, id: uuid::Uuid) -> Result<Option<Token>> {
    c.query_opt(
        &format!("SELECT {TOKEN_COLUMNS} FROM web_tokens WHERE id = ?1"),
        params![id],
    )?
    .map(|r| token_row(&r))
    .transpose()
}

/// Revoke a token: it stops working at once and stays listed as revoked. Whether it
/// was live.
pub fn revoke_token(c: &mut dyn Conn, id: uuid::Uuid, now_ms: i64) -> Result<bool> {
    Ok(c.execute(
        "UPDATE web_tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
        params![id, now_ms],
    )? > 0)
}

/// Revoke every live token of a person (an admin ending their access); how many.
pub fn revoke_tokens_of(c: &mut dyn Conn, person: PersonId, now_ms: i64) -> Result<u64> {
    c.execute(
        "UPDATE web_tokens SET revoked_ms = ?2 WHERE person_id = ?1 AND revoked_ms IS NULL",
        params![person, now_ms],
    )
}

/// The live token a secret is: whose it is and its cap. Records when it was used (to
/// the minute). Looked up by the secret's SHA-256, then compared in constant time.
/// Whether the person may still act (active, not erased) is the caller's to check.
pub fn verify_token(
    c: &mut dyn Conn,
    secret: &str,
    now_ms: i64,
) -> Result<Option<(PersonId, Role)>> {
    if !is_token(secret) {
        return Ok(None);
    }
    let Some(r) = c.query_opt(
        "SELECT id, person_id, cap, secret_hash, revoked_ms, last_used_ms FROM web_tokens
         WHERE secret_hash = ?1",
        params![hash_secret(secret)],
    )?
    else {
        return Ok(None);
    };
    if !verify_secret(secret, &r.text(3)?) || r.opt_int(4)?.is_some() {
        return Ok(None);
    }
    let (id, person) = (r.uuid(0)?, r.uuid(1)?);
    let cap = r.text(2)?.parse().unwrap_or(Role::Viewer);
    if r.opt_int(5)?
        .is_none_or(|t| now_ms - t >= TOKEN_USE_GRANULARITY_MS)
    {
        c.execute(
            "UPDATE web_tokens SET last_used_ms = ?2 WHERE id = ?1",
            params![id, now_ms],
        )?;
    }
    Ok(Some((person, cap)))
}

/// The person a request signed with a personal token acts as: the token's person with
/// the lower of the token's cap and their current role, or `None` unless the token is
/// live and the person active (not erased). The web app and the MCP endpoint both
/// authenticate a bearer token through this.
pub fn token_person(
    c: &mut dyn Conn,
    secret: &str,
    now_ms: i64,
) -> Result<Option<tagstation_core::people::Person>> {
    let Some((id, cap)) = verify_token(c, secret, now_ms)? else {
        return Ok(None);
    };
    let person = crate::tables::select_people(c, "WHERE id = ?1", params![id])?.pop();
    Ok(person.filter(|p| p.active && !p.erased).map(|mut p| {
        p.role = p.role.min(cap);
        p
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;
    use uuid::Uuid;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(300)).is_err());
        assert!(check_password("long enough now").is_ok());
    }

    #[test]
    fn sessions_and_links_live_in_the_database_and_end() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::sqlite::SqliteDb::open(dir.path()).unwrap();
        let ana = Uuid::now_v7();
        let now = 1_000_000;
        db.write(|c| {
            let (cookie, s) = start_session(c, ana, now)?;
            assert_eq!(session(c, &cookie, now + 1)?, Some(s.clone()));
            assert_eq!(session(c, "not a cookie", now)?, None);
            assert_eq!(session(c, &cookie, now + SESSION_TTL_MS)?, None, "expired");
            let stored = c
                .query_one("SELECT id_hash FROM web_sessions", &[])?
                .text(0)?;
            assert_ne!(stored, cookie, "only the hash is kept");
            let (other, _) = start_session(c, ana, now)?;
            end_session(c, &cookie)?;
            assert_eq!(session(c, &cookie, now)?, None);
            assert!(session(c, &other, now)?.is_some());
            assert_eq!(end_sessions_of(c, ana)?, 1);
            assert_eq!(session(c, &other, now)?, None);

            let first = new_link(c, ana, now)?;
            let link = new_link(c, ana, now)?;
            assert_eq!(
                link_person(c, &first, now)?,
                None,
                "a new link ends the old"
            );
            assert_eq!(link_person(c, &link, now)?, Some(ana));
            assert_eq!(link_person(c, &link, now + LINK_TTL_MS)?, None, "expired");
            assert_eq!(use_link(c, &link, now)?, Some(ana));
            assert_eq!(use_link(c, &link, now)?, None, "used once");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn tokens_are_kept_as_hashes_carry_their_cap_and_stop_when_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::sqlite::SqliteDb::open(dir.path()).unwrap();
        let (ana, bo) = (Uuid::now_v7(), Uuid::now_v7());
        let now = 1_000_000;
        db.write(|c| {
            assert!(
                new_token(c, ana, "  ", Role::Viewer, now).is_err(),
                "a name"
            );
            let (secret, t) = new_token(c, ana, "inventory script", Role::Viewer, now)?;
            assert!(is_token(&secret), "{secret}");
            let stored = c
                .query_one("SELECT secret_hash FROM web_tokens", &[])?
                .text(0)?;
            assert!(!stored.contains(&secret[4..]), "only the hash is kept");
            assert_eq!(t.last_used_ms, None);
            assert_eq!(
                verify_token(c, &secret, now + 5)?,
                Some((ana, Role::Viewer))
            );
            assert_eq!(token(c, t.id)?.unwrap().last_used_ms, Some(now + 5));
            // Used again within the minute: not written again.
            verify_token(c, &secret, now + 10)?;
            assert_eq!(token(c, t.id)?.unwrap().last_used_ms, Some(now + 5));
            assert_eq!(verify_token(c, "tsp_nope", now)?, None);
            let wrong = format!("{TOKEN_PREFIX}{}", "0".repeat(64));
            assert_eq!(verify_token(c, &wrong, now)?, None);

            let (other, _) = new_token(c, ana, "backup", Role::Viewer, now + 1)?;
            let (bos, _) = new_token(c, bo, "bo's", Role::Borrower, now)?;
            assert_eq!(tokens_of(c, ana)?.len(), 2);
            assert_eq!(tokens_of(c, ana)?[0].name, "backup", "newest first");
            assert!(revoke_token(c, t.id, now)?);
            assert!(!revoke_token(c, t.id, now)?, "once");
            assert_eq!(verify_token(c, &secret, now)?, None, "revoked");
            assert!(tokens_of(c, ana)?.iter().any(|x| x.revoked_ms.is_some()));
            assert_eq!(live_tokens(c)?.len(), 2);
            assert_eq!(revoke_tokens_of(c, ana, now)?, 1);
            assert_eq!(verify_token(c, &other, now)?, None);
            assert_eq!(verify_token(c, &bos, now)?, Some((bo, Role::Borrower)));
            Ok(())
        })
        .unwrap();
    }
}
