//! Condition photos: pictures a station takes of a unit at check-in or when it is
//! marked damaged, sent after the event they belong to (`PUT /v1/photos/{sha256}`),
//! content-addressed by their SHA-256 so a photo sent twice is kept once. Kept in the
//! hub's database (`photos`, `HUB_V13`, PostgreSQL migration 13) as base64 text, so
//! several hubs on one PostgreSQL share them; never in the event log.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::db::{params, Conn};
use super::{HubError, Result};
use tagstation_core::catalog::UnitId;

/// The largest photo a hub takes.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// A photo as a station sends it.
pub struct NewPhoto {
    pub sha256: String,
    pub unit: UnitId,
    pub event: Uuid,
    pub taken_ms: i64,
    pub data: Vec<u8>,
}

/// What the hub knows of a photo, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Photo {
    pub sha256: String,
    pub unit_id: UnitId,
    pub event_id: Uuid,
    pub station: Uuid,
    pub taken_ms: i64,
    pub bytes: i64,
}

/// The lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Check a photo (its hash, its size, a JPEG) and keep it. Returns whether it was new.
pub fn put(c: &mut dyn Conn, station: Uuid, p: &NewPhoto, now_ms: i64) -> Result<bool> {
    if p.data.len() > MAX_PHOTO_BYTES {
        return Err(HubError::BadRequest(format!(
            "a photo of {} bytes is over the limit of {MAX_PHOTO_BYTES}",
            p.data.len()
        )));
    }
    if !p.data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(HubError::BadRequest("a photo must be a JPEG image".into()));
    }
    if sha256_hex(&p.data) != p.sha256 {
        return Err(HubError::BadRequest(
            "the photo's bytes do not match its SHA-256 (damaged on the way?)".into(),
        ));
    }
    let text = base64::engine::general_purpose::STANDARD.encode(&p.data);
    let n = c.execute(
        "INSERT INTO photos (sha256, unit_id, event_id, station, taken_ms, bytes, data, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (sha256) DO NOTHING",
        params![
            p.sha256.as_str(),
            p.unit,
            p.event,
            station,
            p.taken_ms,
            p.data.len() as i64,
            text,
            now_ms,
        ],
    )?;
    Ok(n > 0)
}

/// The photos of a unit, newest first.
pub fn of_unit(c: &mut dyn Conn, unit: UnitId) -> Result<Vec<Photo>> {
    c.query(
        "SELECT sha256, unit_id, event_id, station, taken_ms, bytes FROM photos
         WHERE unit_id = ?1 ORDER BY taken_ms DESC, sha256",
        params![unit],
    )?
    .iter()
    .map(|r| {
        Ok(Photo {
            sha256: r.text(0)?,
            unit_id: r.uuid(1)?,
            event_id: r.uuid(2)?,
            station: r.uuid(3)?,
            taken_ms: r.int(4)?,
            bytes: r.int(5)?,
        })
    })
    .collect()
}

/// A photo's bytes, if the hub has it.
pub fn data(c: &mut dyn Conn, sha256: &str) -> Result<Option<Vec<u8>>> {
    let Some(row) = c.query_opt("SELECT data FROM photos WHERE sha256 = ?1", params![sha256])?
    else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(row.text(0)?)
        .map(Some)
        .map_err(|e| HubError::Corrupt(format!("photo {sha256}: {e}")))
}
