//! Condition photos kept beside the store: each JPEG a file under `photos/` in the
//! data directory, named by its SHA-256 (so the same picture is kept once), written
//! durably (temporary file, fsync, rename, fsync of the directory) and listed in the
//! `photos` table with the unit and event it belongs to and whether the hub has it.
//! Never in the event log: the event is saved first, and a photo that cannot be kept
//! (no camera, a full disk) loses nothing but itself.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use rusqlite::params;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Result, Store, StoreError};
use tagstation_core::catalog::UnitId;

/// A photo kept at this station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPhoto {
    pub sha256: String,
    pub unit_id: UnitId,
    pub event_id: Uuid,
    pub taken_ms: i64,
    pub bytes: i64,
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// `photos/` in the data directory, beside the database file.
    fn photo_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(dir) => dir.join("photos"),
            None => PathBuf::from("photos"),
        }
    }

    /// Where the photo with this SHA-256 is kept.
    pub fn photo_path(&self, sha256: &str) -> PathBuf {
        self.photo_dir().join(format!("{sha256}.jpg"))
    }

    /// Keep a JPEG taken of `unit` for the event `event` (already saved). Returns its
    /// SHA-256. A full disk is `StoreError::StorageFull`; nothing is half written.
    pub fn keep_photo(&mut self, event: Uuid, unit: UnitId, jpeg: &[u8]) -> Result<String> {
        let sha = sha256_hex(jpeg);
        let dir = self.photo_dir();
        let io = |e: std::io::Error| -> StoreError {
            if e.raw_os_error() == Some(libc::ENOSPC) {
                StoreError::StorageFull(format!("keeping a photo: {e}"))
            } else {
                StoreError::DataDir {
                    path: dir.clone(),
                    source: e,
                }
            }
        };
        fs::create_dir_all(&dir).map_err(io)?;
        let path = self.photo_path(&sha);
        if !path.exists() {
            let tmp = dir.join(format!(".{sha}.tmp"));
            let written = (|| {
                let mut f = fs::File::create(&tmp)?;
                f.write_all(jpeg)?;
                f.sync_all()?;
                fs::rename(&tmp, &path)?;
                fs::File::open(&dir)?.sync_all()
            })();
            if let Err(e) = written {
                let _ = fs::remove_file(&tmp);
                return Err(io(e));
            }
        }
        let now = self.clock.now().0;
        self.conn.execute(
            "INSERT INTO photos (sha256, unit_id, event_id, taken_ms, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) DO NOTHING",
            params![
                sha,
                unit.to_string(),
                event.to_string(),
                now,
                jpeg.len() as i64
            ],
        )?;
        Ok(sha)
    }

    /// Photos the hub does not have yet, oldest first.
    pub fn pending_photos(&self, limit: usize) -> Result<Vec<KeptPhoto>> {
        self.photos_where(
            "WHERE pushed = 0 ORDER BY taken_ms, sha256 LIMIT ?1",
            limit as i64,
        )
    }

    /// Every photo of a unit kept here, newest first.
    pub fn photos_of(&self, unit: UnitId) -> Result<Vec<KeptPhoto>> {
        let mut st = self.conn.prepare_cached(
            "SELECT sha256, unit_id, event_id, taken_ms, bytes FROM photos
             WHERE unit_id = ?1 ORDER BY taken_ms DESC",
        )?;
        let rows = st.query_map(params![unit.to_string()], photo_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn photos_where(&self, filter: &str, n: i64) -> Result<Vec<KeptPhoto>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT sha256, unit_id, event_id, taken_ms, bytes FROM photos {filter}"
        ))?;
        let rows = st.query_map(params![n], photo_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The hub has this photo (or it is gone and cannot be sent): stop offering it.
    pub fn photo_pushed(&mut self, sha256: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET pushed = 1 WHERE sha256 = ?1",
            params![sha256],
        )?;
        Ok(())
    }
}

fn photo_row(r: &rusqlite::Row) -> rusqlite::Result<KeptPhoto> {
    let uuid = |i: usize| -> rusqlite::Result<Uuid> {
        let s: String = r.get(i)?;
        s.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(KeptPhoto {
        sha256: r.get(0)?,
        unit_id: uuid(1)?,
        event_id: uuid(2)?,
        taken_ms: r.get(3)?,
        bytes: r.get(4)?,
    })
}
