//! Stations as the hub keeps them: creation with a one-time enrollment code,
//! enrollment (binding the station id and token), token lookup, revocation, the admin's
//! list and last-seen times. Only hashes of codes and tokens are stored.

use uuid::Uuid;

use super::db::{params, Conn, Row};
use super::{HubError, Result, StationRow, TokenRow};
use tagstation_core::clock::rfc3339;

pub fn create(
    c: &mut dyn Conn,
    name: &str,
    code_hash: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<()> {
    tagstation_core::catalog::check_text("station name", name)
        .map_err(tagstation_core::event::DomainError::from)?;
    let n = c.execute(
        "INSERT INTO stations (name, created_ms, enroll_hash, enroll_expires_ms)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
        params![name, now_ms, code_hash, expires_ms],
    )?;
    if n == 0 {
        return Err(HubError::Exists(format!("station {name:?}")));
    }
    Ok(())
}

/// Use a one-time code, in the caller's write transaction. The final update is
/// guarded by the code itself, so of two enrollments racing for one code only the
/// first to commit binds it; the other sees [`HubError::BadCode`].
pub fn enroll(
    c: &mut dyn Conn,
    code_hash: &str,
    station_id: Uuid,
    token_id: &str,
    token_hash: &str,
    now_ms: i64,
) -> Result<String> {
    const LIVE: &str = "enroll_hash = ?1 AND enroll_expires_ms > ?2 AND revoked_ms IS NULL";
    let name = c
        .query_opt(
            &format!("SELECT name FROM stations WHERE {LIVE}"),
            params![code_hash, now_ms],
        )?
        .ok_or(HubError::BadCode)?
        .text(0)?;
    if let Some(r) = c.query_opt(
        "SELECT name FROM stations WHERE station_id = ?1",
        params![station_id],
    )? {
        let other = r.text(0)?;
        return Err(HubError::Exists(format!(
            "station id {station_id} is already enrolled as {other:?}"
        )));
    }
    // An id whose events the hub already holds (the hub's own admin edits, a station
    // enrolled before) is not free, even with no station row bound to it.
    if c.query_opt(
        "SELECT 1 FROM station_seqs WHERE station_id = ?1",
        params![station_id],
    )?
    .is_some()
    {
        return Err(HubError::Exists(format!(
            "station id {station_id} already has events at this hub"
        )));
    }
    let n = c.execute(
        &format!(
            "UPDATE stations SET station_id = ?3, token_id = ?4, token_hash = ?5,
               enroll_hash = NULL, enroll_expires_ms = NULL, last_seen_ms = ?2
             WHERE name = ?6 AND {LIVE}"
        ),
        params![code_hash, now_ms, station_id, token_id, token_hash, &name],
    )?;
    if n == 0 {
        return Err(HubError::BadCode);
    }
    Ok(name)
}

pub fn token(c: &mut dyn Conn, token_id: &str) -> Result<Option<TokenRow>> {
    c.query_opt(
        "SELECT name, station_id, token_hash, revoked_ms FROM stations WHERE token_id = ?1",
        params![token_id],
    )?
    .map(|r| {
        Ok(TokenRow {
            name: r.text(0)?,
            station_id: r.uuid(1)?,
            token_hash: r.text(2)?,
            revoked: r.opt_int(3)?.is_some(),
        })
    })
    .transpose()
}

pub fn revoke(c: &mut dyn Conn, name: &str, now_ms: i64) -> Result<()> {
    let n = c.execute(
        "UPDATE stations SET revoked_ms = COALESCE(revoked_ms, ?2), enroll_hash = NULL
         WHERE name = ?1",
        params![name, now_ms],
    )?;
    if n == 0 {
        return Err(HubError::NotFound(format!("station {name:?}")));
    }
    Ok(())
}

fn station_row(r: &Row) -> Result<StationRow> {
    let id = r.opt_text(1)?;
    Ok(StationRow {
        name: r.text(0)?,
        station_id: id.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
        created: rfc3339(r.int(2)?),
        enrolled: id.is_some(),
        revoked: r.opt_int(3)?.is_some(),
        last_seen: r.opt_int(4)?.map(rfc3339),
        contiguous_seq: r.int(5)?,
        version: r.opt_text(6)?,
        pending: r.opt_int(7)?,
    })
}

pub fn list(c: &mut dyn Conn) -> Result<Vec<StationRow>> {
    c.query(
        "SELECT s.name, s.station_id, s.created_ms, s.revoked_ms, s.last_seen_ms,
                COALESCE(q.contiguous_seq, 0), s.version, s.pending
         FROM stations s LEFT JOIN station_seqs q ON q.station_id = s.station_id
         ORDER BY s.name",
        &[],
    )?
    .iter()
    .map(station_row)
    .collect()
}

/// What a station says of itself on each push and pull.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Its version (from its `User-Agent`, `tagstation/<version>`).
    pub version: Option<String>,
    /// How many of its events wait to reach the hub.
    pub pending: Option<i64>,
}

impl Seen {
    /// Does `self` already say everything `new` says (a field `new` leaves out is
    /// no news)?
    pub fn says_all_of(&self, new: &Seen) -> bool {
        new.version
            .as_ref()
            .is_none_or(|v| self.version.as_ref() == Some(v))
            && new.pending.is_none_or(|p| self.pending == Some(p))
    }

    /// `self` with what `new` says, as [`touch`] writes it.
    pub fn updated(self, new: &Seen) -> Seen {
        Seen {
            version: new.version.clone().or(self.version),
            pending: new.pending.or(self.pending),
        }
    }

    /// Read from a request's headers; anything malformed is left out.
    pub fn from_headers(user_agent: Option<&str>, pending: Option<&str>) -> Seen {
        let version = user_agent
            .and_then(|ua| ua.strip_prefix("tagstation/"))
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 32
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b))
            })
            .map(str::to_string);
        let pending = pending
            .and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|p| *p >= 0);
        Seen { version, pending }
    }
}

/// How often a station's last contact is written while it says nothing new.
pub const CONTACT_EVERY_MS: i64 = 30_000;

/// Note that a station was heard from. A pull every few seconds must not be a write
/// every few seconds: the row changes when half a minute ([`CONTACT_EVERY_MS`]) has
/// passed or what the station says of itself changed (and the hub skips even the
/// transaction when it wrote the same within that time itself: `SqlHub::touch`).
/// (`?2` is compared with the BIGINT column as it is: written as `?2 - 30000`,
/// PostgreSQL would type it INTEGER and refuse the value.)
pub fn touch(c: &mut dyn Conn, station: Uuid, now_ms: i64, seen: &Seen) -> Result<()> {
    // 30000: CONTACT_EVERY_MS.
    c.execute(
        "UPDATE stations SET last_seen_ms = ?2,
                version = COALESCE(?3, version), pending = COALESCE(?4, pending)
         WHERE station_id = ?1
           AND (last_seen_ms IS NULL OR last_seen_ms + 30000 < ?2
                OR COALESCE(version, '') <> COALESCE(?3, version, '')
                OR COALESCE(pending, -1) <> COALESCE(?4, pending, -1))",
        params![station, now_ms, seen.version.clone(), seen.pending],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Seen;

    fn seen(version: Option<&str>, pending: Option<i64>) -> Seen {
        Seen {
            version: version.map(str::to_string),
            pending,
        }
    }

    /// A contact that says something new is never taken for one already written.
    #[test]
    fn only_news_is_written() {
        let last = seen(Some("0.1.0"), Some(3));
        assert!(last.says_all_of(&seen(Some("0.1.0"), Some(3))));
        assert!(last.says_all_of(&seen(None, None)));
        assert!(!last.says_all_of(&seen(Some("0.2.0"), Some(3))));
        assert!(!last.says_all_of(&seen(None, Some(0))));
        assert!(!seen(None, None).says_all_of(&seen(Some("0.1.0"), None)));
        let next = last.updated(&seen(None, Some(0)));
        assert_eq!(next, seen(Some("0.1.0"), Some(0)));
    }
}
