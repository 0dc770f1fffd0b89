//! New tags at this station: the blocks of numbers leased from the hub
//! ([`TagBlock`]), and handing out the next one. A number is taken in a committed
//! write before the unit that carries it is made, so a crash can leave a gap in the
//! numbers but never hand the same tag out twice.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{Result, Store};
use tagstation_core::catalog::fold;
use tagstation_core::clock::rfc3339;
use tagstation_core::tags::{TagBlock, TagPattern};

impl Store {
    /// Keep a block the hub leased to this station (the same block twice is kept once).
    pub fn add_tag_block(&mut self, block: &TagBlock) -> Result<()> {
        self.writable()?;
        let p = &block.pattern;
        self.conn.execute(
            "INSERT OR IGNORE INTO tag_blocks (first, last, next, prefix, digits, check_digit, leased_at)
             VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6)",
            params![
                block.first as i64,
                block.last as i64,
                p.prefix,
                p.digits as i64,
                p.check_digit,
                rfc3339(self.clock.now().0),
            ],
        )?;
        Ok(())
    }

    /// How many new tags this station can still hand out.
    pub fn new_tags_left(&self) -> Result<u64> {
        let left: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(last - next + 1), 0) FROM tag_blocks WHERE next <= last",
            [],
            |r| r.get(0),
        )?;
        Ok(left.max(0) as u64)
    }

    /// Whether the hub ever leased this station tags (a station that never synced has
    /// none to offer).
    pub fn has_tag_blocks(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM tag_blocks LIMIT 1", [], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Take the next new tag, from the block that came first, skipping any number whose
    /// tag a unit here already carries (typed in by hand, say). `None`: none left.
    pub fn take_new_tag(&mut self) -> Result<Option<String>> {
        self.writable()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken = loop {
            let next = tx
                .query_row(
                    "SELECT rowid, next, prefix, digits, check_digit FROM tag_blocks
                     WHERE next <= last ORDER BY rowid LIMIT 1",
                    [],
                    |r| {
                        let pattern = TagPattern {
                            prefix: r.get(2)?,
                            digits: r.get::<_, i64>(3)? as usize,
                            check_digit: r.get(4)?,
                        };
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, pattern))
                    },
                )
                .optional()?;
            let Some((block, number, pattern)) = next else {
                break None;
            };
            tx.execute(
                "UPDATE tag_blocks SET next = next + 1 WHERE rowid = ?1",
                [block],
            )?;
            let tag = pattern.format(number as u64);
            let used = tx
                .query_row(
                    "SELECT 1 FROM units WHERE tag_key = ?1",
                    [fold(&tag)],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if used {
                tracing::warn!(%tag, "a unit here already carries the next new tag: skipped");
            } else {
                break Some(tag);
            }
        };
        tx.commit()?;
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagstation_core::tags::TagPattern;

    fn block(first: u64, last: u64) -> TagBlock {
        TagBlock {
            pattern: TagPattern::default(),
            first,
            last,
        }
    }

    #[test]
    fn hands_out_each_number_once_oldest_block_first_across_reopening() {
        let dir = tempfile::tempdir().expect("dir");
        let mut s = Store::open(dir.path()).expect("store");
        assert!(!s.has_tag_blocks().expect("read"));
        assert_eq!(s.take_new_tag().expect("take"), None);
        s.add_tag_block(&block(1, 2)).expect("block");
        s.add_tag_block(&block(1, 2)).expect("same block again");
        // The hub counts per prefix: another prefix's block may start at 1 too.
        let mut other = block(1, 1);
        other.pattern.prefix = "VAN-".into();
        s.add_tag_block(&other).expect("block");
        s.add_tag_block(&block(201, 201)).expect("block");
        assert_eq!(s.new_tags_left().expect("left"), 4);
        assert_eq!(
            s.take_new_tag().expect("take").as_deref(),
            Some("TS-000001")
        );
        drop(s);
        let mut s = Store::open(dir.path()).expect("reopen");
        let rest: Vec<_> = (0..4).map(|_| s.take_new_tag().expect("take")).collect();
        assert_eq!(
            rest,
            [
                Some("TS-000002"),
                Some("VAN-000001"),
                Some("TS-000201"),
                None
            ]
            .map(|t| t.map(String::from))
        );
        assert_eq!(s.new_tags_left().expect("left"), 0);
    }
}
