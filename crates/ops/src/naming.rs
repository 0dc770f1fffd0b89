//! The one naming rule for new units, whichever front end creates them.

use std::collections::BTreeSet;

use tagstation_core::catalog::{unit_name, ItemId};

use crate::{Ledger, OpError};

/// The name a new unit of `item` gets when none is given: "Drill 05" when Drill 01..04
/// exist. Units folded back into counts keep their names in history, so those names are
/// taken too: the same action names a unit the same way wherever it is done.
pub fn next_unit_name(ledger: &impl Ledger, item: ItemId) -> Result<String, OpError> {
    let it = ledger.item(item)?;
    let taken: BTreeSet<String> = ledger.unit_names(item)?.into_iter().collect();
    Ok(next_free_name(&it.name, &taken))
}

/// The rule itself: the first "<item> NN" not in `taken`. For a batch that names
/// several units before recording them (an import), `taken` holds the batch's names too.
pub fn next_free_name(item_name: &str, taken: &BTreeSet<String>) -> String {
    (1..=taken.len() + 1)
        .map(|n| unit_name(item_name, n))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| item_name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{create_item, NewItem};
    use crate::mem::MemLedger;
    use crate::Actor;
    use tagstation_core::catalog::Tracking;

    #[test]
    fn the_next_free_number_counts_every_unit_ever_made() {
        let mut l = MemLedger::new();
        let a = Actor::from("test");
        let drill = create_item(&mut l, NewItem::units("Drill"), &a).unwrap();
        assert_eq!(next_unit_name(&l, drill).unwrap(), "Drill 01");
        for _ in 0..3 {
            crate::catalog::add_unit(&mut l, drill, Default::default(), &a).unwrap();
        }
        assert_eq!(next_unit_name(&l, drill).unwrap(), "Drill 04");
        // Fold all three into a count, keep one, track units again: Drill 01..03 stay
        // taken in history, so the seeded unit and the next one are not named after them.
        crate::catalog::switch_tracking(
            &mut l,
            drill,
            Tracking::Count,
            crate::catalog::Fold::Safe,
            &a,
        )
        .unwrap();
        assert_eq!(next_unit_name(&l, drill).unwrap(), "Drill 04");
    }
}
