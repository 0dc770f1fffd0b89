//! A row's item: matched to the catalog by id, SKU, barcode or name, or created; its
//! description changed where the row says otherwise.

use std::collections::{BTreeMap, BTreeSet};

use tagstation_core::catalog::{same_key, Item, Totals, Tracking};
use tagstation_core::event::EventKind;

use super::{found, same_opt, ChangeKind, Planned, Planner, Row};
use crate::{on_item, Ledger, OpError};

impl<L: Ledger> Planner<'_, L> {
    /// The item a row names, created or edited as the row says; its index in `items`.
    pub(super) fn item_for(&mut self, row: &Row) -> Result<usize, OpError> {
        let at = match self.match_item(row)? {
            Some(at) => at,
            None => {
                let tracking = match row.tracking {
                    Some(t) => t,
                    None if row.is_unit() => Tracking::Units,
                    None => Tracking::Count,
                };
                let (id, cmds) = crate::catalog::create_item_commands(
                    crate::catalog::NewItem {
                        name: row.item.clone(),
                        sku: row.sku.clone(),
                        barcode: row.barcode.clone(),
                        tracking,
                        reorder_point: row.reorder_point,
                        quantity: None,
                    },
                    self.actor,
                )?;
                for c in cmds {
                    self.push(row.line, c);
                }
                self.say(
                    row.line,
                    ChangeKind::NewItem,
                    format!("new item {:?} ({})", row.item, tracking.as_str()),
                );
                self.items.push(Planned {
                    item: Item {
                        id,
                        name: row.item.clone(),
                        sku: row.sku.clone(),
                        barcode: row.barcode.clone(),
                        tracking,
                        reorder_point: row.reorder_point,
                        counts: Totals::default(),
                        version: 0,
                        archived: false,
                    },
                    new: true,
                    taken: BTreeSet::new(),
                    quantities: BTreeMap::new(),
                });
                return Ok(self.items.len() - 1);
            }
        };
        let item = &self.items[at].item;
        if let Some(t) = row.tracking {
            if t != item.tracking {
                return Err(OpError::invalid(format!(
                    "{:?} is tracked by {}, the file says {}: switch tracking with `item track`, not an import",
                    item.name,
                    item.tracking.as_str(),
                    t.as_str()
                )));
            }
        }
        let rename = !same_key(&row.item, &item.name);
        let mut changed = Vec::new();
        if rename {
            changed.push(format!("name {:?} → {:?}", item.name, row.item));
        }
        if row.sku.is_some() && !same_opt(row.sku.as_deref(), item.sku.as_deref()) {
            changed.push(format!(
                "sku {:?} → {:?}",
                item.sku.as_deref().unwrap_or(""),
                row.sku.as_deref().unwrap_or("")
            ));
        }
        if row.barcode.is_some() && !same_opt(row.barcode.as_deref(), item.barcode.as_deref()) {
            changed.push(format!(
                "barcode {:?} → {:?}",
                item.barcode.as_deref().unwrap_or(""),
                row.barcode.as_deref().unwrap_or("")
            ));
        }
        if row.reorder_point.is_some() && row.reorder_point != item.reorder_point {
            changed.push(format!(
                "reorder point {} → {}",
                item.reorder_point.map_or("-".into(), |r| r.to_string()),
                row.reorder_point.map_or("-".into(), |r| r.to_string())
            ));
        }
        if !changed.is_empty() {
            let p = &mut self.items[at];
            if rename {
                p.item.name = row.item.clone();
            }
            p.item.sku = row.sku.clone().or(p.item.sku.take());
            p.item.barcode = row.barcode.clone().or(p.item.barcode.take());
            p.item.reorder_point = row.reorder_point.or(p.item.reorder_point);
            let kind = EventKind::ItemEdited {
                name: p.item.name.clone(),
                sku: p.item.sku.clone(),
                barcode: p.item.barcode.clone(),
                reorder_point: p.item.reorder_point,
            };
            let cmd = on_item(p.item.id, kind, self.actor);
            let text = format!("item {:?}: {}", p.item.name, changed.join(", "));
            self.push(row.line, cmd);
            self.say(row.line, ChangeKind::ItemChanged, text);
        }
        Ok(at)
    }

    /// The planned item a row names, loading it from the catalog the first time.
    fn match_item(&mut self, row: &Row) -> Result<Option<usize>, OpError> {
        let by_id = |i: &Item| row.item_id == Some(i.id);
        let by_sku = |i: &Item| same_opt(row.sku.as_deref(), i.sku.as_deref());
        let by_barcode = |i: &Item| same_opt(row.barcode.as_deref(), i.barcode.as_deref());
        let by_name = |i: &Item| same_key(&row.item, &i.name);
        // By id, then SKU, barcode and name: the first reference that finds something.
        let keys: [&dyn Fn(&Item) -> bool; 4] = [&by_id, &by_sku, &by_barcode, &by_name];
        for key in keys {
            if let Some(at) = self.items.iter().position(|p| key(&p.item)) {
                return Ok(Some(at));
            }
        }
        let mut from_catalog = None;
        if let Some(id) = row.item_id {
            from_catalog = found(self.l.item(id))?;
        }
        for (reference, key) in [
            (row.sku.as_deref(), &by_sku as &dyn Fn(&Item) -> bool),
            (row.barcode.as_deref(), &by_barcode),
            (Some(row.item.as_str()), &by_name),
        ] {
            if from_catalog.is_some() {
                break;
            }
            if let Some(r) = reference {
                from_catalog = found(self.l.find_item(r))?.filter(|i| key(i));
            }
        }
        let Some(item) = from_catalog else {
            return Ok(None);
        };
        if let Some(at) = self.items.iter().position(|p| p.item.id == item.id) {
            return Ok(Some(at));
        }
        let taken = self.l.unit_names(item.id)?.into_iter().collect();
        self.items.push(Planned {
            item,
            new: false,
            taken,
            quantities: BTreeMap::new(),
        });
        Ok(Some(self.items.len() - 1))
    }
}
