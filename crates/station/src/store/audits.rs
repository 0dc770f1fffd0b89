//! Audits: a location's expected, found and missing units, recorded in one transaction
//! with the summary row.

use rusqlite::{params, TransactionBehavior};

use super::{record_in, Command, Recorded, Result, Store};
use tagstation_core::clock::rfc3339;

impl Store {
    /// Record an audit: its per-unit events and its summary, in one transaction (all
    /// or nothing, durable when this returns `Ok`).
    pub fn record_audit(
        &mut self,
        summary: &crate::audit::AuditSummary,
        cmds: Vec<Command>,
    ) -> Result<Vec<Recorded>> {
        let (wall_time_ms, clock_synced) = self.clock.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut done = Vec::with_capacity(cmds.len());
        for cmd in cmds {
            done.push(record_in(
                &tx,
                self.station_id,
                wall_time_ms,
                clock_synced,
                cmd,
            )?);
        }
        let detail = serde_json::json!({
            "found": summary.found,
            "missing": summary.missing,
            "unexpected": summary.unexpected,
        });
        tx.execute(
            "INSERT INTO audits (id, location, actor, finished_ms, expected, found, missing, unexpected, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                summary.id.to_string(),
                summary.location,
                summary.actor,
                wall_time_ms,
                summary.expected as i64,
                summary.found.len() as i64,
                summary.missing.len() as i64,
                summary.unexpected.len() as i64,
                detail.to_string(),
            ],
        )?;
        tx.commit()?;
        tracing::info!(audit = %summary.id, result = %summary.describe(), "audit recorded");
        Ok(done)
    }

    /// Summaries of recorded audits, newest first: (location, finished at, found,
    /// missing, unexpected).
    pub fn audits(&self) -> Result<Vec<(String, String, i64, i64, i64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT location, finished_ms, found, missing, unexpected FROM audits ORDER BY finished_ms DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                rfc3339(r.get(1)?),
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
