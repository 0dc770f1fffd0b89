//! Items and units: add, list, show, edit, switch tracking, adjust counts; tag,
//! rename, move, set fields, dates and statuses of units, sell and return them.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use clap::Subcommand;
use serde::Serialize;

use tagstation::catalog::{Status, Tracking, SERVICE_DUE, WARRANTY_END};
use tagstation::ops::catalog::{self, Fold, ItemEdit, NewItem, NewUnit, UnitAdded, UnitChange};
use tagstation::ops::lifecycle;
use tagstation::ops::{Actor, OpError};
use tagstation::store::{ItemView, Store, UnitView};

use super::output::{print_item, print_json, print_unit, show, t};
use super::station::{parse_field, parse_settable, Ctx};
use super::JsonFlag;

#[derive(Debug, Subcommand)]
pub enum ItemCmd {
    /// Add an item.
    Add {
        name: String,
        #[arg(long)]
        sku: Option<String>,
        /// Product barcode, scanned for count-tracked stock.
        #[arg(long)]
        barcode: Option<String>,
        /// Track units individually from the start.
        #[arg(long)]
        units: bool,
        #[arg(long)]
        reorder_point: Option<i64>,
        /// Starting quantity in stock (count items).
        #[arg(long)]
        quantity: Option<i64>,
    },
    /// List items with their totals (archived ones with --all).
    List {
        /// Include archived items.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Archive an item no longer stocked: hidden from lists, its stock and units take
    /// no changes, its history stays. Refused while any of it is checked out.
    Archive { item: String },
    /// Bring an archived item back into use.
    Unarchive { item: String },
    /// Show one item, its totals and its units.
    Show {
        item: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Change an item's name, SKU, barcode or reorder point.
    Edit {
        item: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        sku: Option<String>,
        #[arg(long)]
        barcode: Option<String>,
        #[arg(long)]
        reorder_point: Option<i64>,
    },
    /// Switch "track units individually" on (--units) or off (--count). Switching to
    /// counts is refused while a unit is checked out, and while units carry tags,
    /// fields or locations unless --force (history then records what was discarded).
    Track {
        item: String,
        #[arg(long, conflicts_with = "count", required_unless_present = "count")]
        units: bool,
        #[arg(long)]
        count: bool,
        /// With --count: fold even units that carry tags, fields or locations.
        #[arg(long, requires = "count")]
        force: bool,
    },
    /// Add (positive) or remove (negative) quantity of a count item.
    Adjust {
        item: String,
        #[arg(allow_negative_numbers = true)]
        delta: i64,
        #[arg(long, default_value = "in_stock")]
        status: Status,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move quantity of a count item between statuses (e.g. mark 1 damaged).
    Move {
        item: String,
        qty: i64,
        #[arg(long)]
        from: Status,
        #[arg(long)]
        to: Status,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnitCmd {
    /// Add a unit to a unit-tracked item.
    Add {
        item: String,
        /// Default: "<item> NN", the next free number.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Give it the next of this station's new tags (leased from the hub at sync).
        #[arg(long, conflicts_with = "tag")]
        new_tag: bool,
        /// A known location (name or code).
        #[arg(long)]
        location: Option<String>,
        /// Create --location if no location has that name.
        #[arg(long, requires = "location")]
        create_location: bool,
        #[arg(long, default_value = "in_stock", value_parser = parse_settable)]
        status: Status,
        /// Custom field, KEY=VALUE (repeatable).
        #[arg(long = "field", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// When the warranty ends, YYYY-MM-DD.
        #[arg(long)]
        warranty_end: Option<String>,
        /// When the next service is due, YYYY-MM-DD.
        #[arg(long)]
        service_due: Option<String>,
    },
    /// List units (of one item with --item).
    List {
        #[arg(long)]
        item: Option<String>,
        /// Include units folded back into counts.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Show one unit.
    Show {
        unit: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Attach an asset tag to a unit (or remove it with --remove).
    Tag {
        unit: String,
        #[arg(required_unless_present = "remove")]
        tag: Option<String>,
        #[arg(long)]
        remove: bool,
    },
    /// Rename a unit.
    Rename { unit: String, name: String },
    /// Set a custom field (or clear it by leaving out the value).
    Field {
        unit: String,
        key: String,
        value: Option<String>,
    },
    /// Move a unit to a known location, by name or code (--reason transfer: moved
    /// between sites).
    Move {
        unit: String,
        location: String,
        /// Why: "transfer", or any short text.
        #[arg(long)]
        reason: Option<String>,
        /// Create the location if none has that name.
        #[arg(long)]
        create: bool,
    },
    /// Set a unit's status (in_stock, receiving, sending, damaged). From receiving to
    /// in_stock it is "received"; --reason repair with sending or damaged: out for repair.
    Status {
        unit: String,
        #[arg(value_parser = parse_settable)]
        status: Status,
        /// Why: "received", "repair", or any short text.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Retire a unit (written off): it leaves the totals, keeps its history.
    Retire {
        unit: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Sell a unit to a customer: retired with reason "sold" and the customer.
    Sell {
        unit: String,
        /// Who bought it: a name or a customer reference.
        #[arg(long)]
        customer: String,
    },
    /// A sold or retired unit back in stock (the customer brought it back).
    Return {
        unit: String,
        /// Where it goes.
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Set a unit's warranty end and/or next service date (YYYY-MM-DD).
    Dates {
        unit: String,
        #[arg(long, required_unless_present = "service_due")]
        warranty_end: Option<String>,
        #[arg(long)]
        service_due: Option<String>,
    },
}

/// Archive an item, or bring it back.
fn archive(store: &mut Store, item: &str, archive: bool, actor: &Actor) -> Result<()> {
    let it = store.find_item(item)?;
    catalog::archive_item(store, it.id, archive, actor)?;
    let done = if archive { "archived" } else { "unarchived" };
    println!("saved: {} {done}", t(&it.name));
    Ok(())
}

pub(super) fn item_cmd(ctx: &mut Ctx, cmd: ItemCmd) -> Result<()> {
    let actor = Actor::new(ctx.actor.clone());
    let store = &mut ctx.store;
    match cmd {
        ItemCmd::Add {
            name,
            sku,
            barcode,
            units,
            reorder_point,
            quantity,
        } => {
            let tracking = if units {
                Tracking::Units
            } else {
                Tracking::Count
            };
            let new = NewItem {
                name: name.clone(),
                sku,
                barcode,
                tracking,
                reorder_point,
                quantity,
            };
            let id = catalog::create_item(store, new, &actor).map_err(|e| match e {
                OpError::Invalid { .. } if units => anyhow::anyhow!(
                    "--quantity is for count items; add units with `tagstation unit add`"
                ),
                e => e.into(),
            })?;
            println!("added item {name} ({id})");
        }
        ItemCmd::Archive { item } => archive(store, &item, true, &actor)?,
        ItemCmd::Unarchive { item } => archive(store, &item, false, &actor)?,
        ItemCmd::List { all, json: j } => {
            let items = if all {
                store.all_items()?
            } else {
                store.items()?
            };
            return show(j.json, &items, |items| {
                println!(
                    "{:<28} {:<6} {:>8} {:>9} {:>7} {:>7} {:>7} {:>6}",
                    "ITEM", "TRACK", "IN_STOCK", "RECEIVING", "SENDING", "DAMAGED", "OUT", "TOTAL"
                );
                for i in items {
                    let t = |s| i.totals.get(&s).copied().unwrap_or(0);
                    println!(
                        "{:<28} {:<6} {:>8} {:>9} {:>7} {:>7} {:>7} {:>6}{}",
                        i.name,
                        i.tracking.as_str(),
                        t(Status::InStock),
                        t(Status::Receiving),
                        t(Status::Sending),
                        t(Status::Damaged),
                        t(Status::CheckedOut),
                        i.total,
                        if i.archived {
                            "  archived"
                        } else if i.below_reorder_point {
                            "  below reorder point"
                        } else {
                            ""
                        }
                    );
                }
            });
        }
        ItemCmd::Show { item, json } => {
            let it = store.find_item(&item)?;
            let view = store.item_view(&it)?;
            let units = store.units(Some(it.id), false)?;
            if json.json {
                #[derive(Serialize)]
                struct Shown<'a> {
                    #[serde(flatten)]
                    item: &'a ItemView,
                    unit_list: &'a [UnitView],
                }
                return print_json(&Shown {
                    item: &view,
                    unit_list: &units,
                });
            }
            print_item(&view);
            for u in &units {
                println!(
                    "  {:<24} {:<12} {:<12} {}",
                    u.name,
                    u.status.as_str(),
                    u.asset_tag.as_deref().unwrap_or("-"),
                    u.holder.as_deref().or(u.location.as_deref()).unwrap_or("")
                );
            }
        }
        ItemCmd::Edit {
            item,
            name,
            sku,
            barcode,
            reorder_point,
        } => {
            let it = store.find_item(&item)?;
            let edit = ItemEdit {
                name,
                sku,
                barcode,
                reorder_point,
            };
            catalog::edit_item(store, it.id, edit, &actor)?;
            println!("saved: {} edited", t(&it.name));
        }
        ItemCmd::Track {
            item, units, force, ..
        } => {
            let it = store.find_item(&item)?;
            let to = if units {
                Tracking::Units
            } else {
                Tracking::Count
            };
            let fold = if force { Fold::Force } else { Fold::Safe };
            let rec = catalog::switch_tracking(store, it.id, to, fold, &actor).map_err(|e| {
                let hint = matches!(e, OpError::FoldDiscards { .. })
                    .then_some("; add --force to fold anyway");
                anyhow::Error::new(e).context(format!(
                    "{} not switched{}",
                    t(&it.name),
                    hint.unwrap_or("")
                ))
            })?;
            match to {
                Tracking::Units => println!(
                    "saved: {} now tracks units individually ({} units created)",
                    it.name,
                    rec.units.len()
                ),
                Tracking::Count => println!(
                    "saved: {} now tracked by count ({} units folded)",
                    it.name,
                    rec.units.len()
                ),
            }
        }
        ItemCmd::Adjust {
            item,
            delta,
            status,
            reason,
        } => {
            let it = store.find_item(&item)?;
            catalog::adjust_quantity(store, it.id, status, delta, reason, &actor)?;
            let v = store.item_view(&store.find_item(&it.id.to_string())?)?;
            println!(
                "saved: {} {status} {delta:+} (now {})",
                it.name,
                v.totals.get(&status).copied().unwrap_or(0)
            );
        }
        ItemCmd::Move {
            item,
            qty,
            from,
            to,
        } => {
            let it = store.find_item(&item)?;
            catalog::move_quantity(store, it.id, qty, from, to, &actor)?;
            println!("saved: {qty} {} moved from {from} to {to}", t(&it.name));
        }
    }
    Ok(())
}

pub(super) fn unit_cmd(ctx: &mut Ctx, cmd: UnitCmd) -> Result<()> {
    let actor = Actor::new(ctx.actor.clone());
    let store = &mut ctx.store;
    let on_unit = |store: &mut Store, unit: &str, change: UnitChange| -> Result<String> {
        let u = store.find_unit(unit)?;
        catalog::change_unit(store, u.id, change, &actor, None)?;
        Ok(u.name)
    };
    match cmd {
        UnitCmd::Add {
            item,
            name,
            tag,
            new_tag,
            location,
            create_location,
            status,
            fields,
            warranty_end,
            service_due,
        } => {
            let it = store.find_item(&item)?;
            let tag = if new_tag {
                match store.take_new_tag()? {
                    Some(tag) => Some(tag),
                    None => bail!(
                        "no new tags left at this station: sync with the hub (`tagstation sync`) to lease a block"
                    ),
                }
            } else {
                tag
            };
            let mut fields = fields.into_iter().collect::<BTreeMap<_, _>>();
            for (key, value) in [(WARRANTY_END, warranty_end), (SERVICE_DUE, service_due)] {
                if let Some(v) = value {
                    fields.insert(key.to_string(), v);
                }
            }
            let new = NewUnit {
                name,
                tag: tag.clone(),
                location,
                create_location,
                status,
                fields,
            };
            let UnitAdded { id, name, .. } = catalog::add_unit(store, it.id, new, &actor)?;
            match new_tag.then_some(tag).flatten() {
                Some(tag) => println!(
                    "added unit {} ({id}) with the new tag {}; {} new tags left",
                    t(&name),
                    t(&tag),
                    store.new_tags_left()?
                ),
                None => println!("added unit {name} ({id})"),
            }
        }
        UnitCmd::List { item, all, json } => {
            let item_id = item.map(|i| store.find_item(&i)).transpose()?.map(|i| i.id);
            let units = store.units(item_id, all)?;
            return show(json.json, &units, |units| {
                println!(
                    "{:<24} {:<20} {:<12} {:<14} {}",
                    "UNIT", "ITEM", "STATUS", "TAG", "HOLDER/LOCATION"
                );
                for u in units {
                    println!(
                        "{:<24} {:<20} {:<12} {:<14} {}{}",
                        u.name,
                        u.item,
                        u.status.as_str(),
                        u.asset_tag.as_deref().unwrap_or("-"),
                        u.holder.as_deref().or(u.location.as_deref()).unwrap_or(""),
                        if u.active {
                            ""
                        } else {
                            "  (folded into count)"
                        }
                    );
                }
            });
        }
        UnitCmd::Show { unit, json } => {
            let u = store.find_unit(&unit)?;
            let v = store.unit_view(&u)?;
            return show(json.json, &v, |v| {
                print_unit(&v);
            });
        }
        UnitCmd::Tag { unit, tag, remove } => {
            let tag = if remove { None } else { tag };
            let name = on_unit(store, &unit, UnitChange::Tag(tag.clone()))?;
            match tag {
                Some(tag) => println!("saved: {} tagged {}", t(&name), t(&tag)),
                None => println!("saved: {} tag removed", t(&name)),
            }
        }
        UnitCmd::Rename { unit, name } => {
            let old = on_unit(store, &unit, UnitChange::Rename(name.clone()))?;
            println!("saved: {} renamed to {}", t(&old), t(&name));
        }
        UnitCmd::Field { unit, key, value } => {
            let name = on_unit(
                store,
                &unit,
                UnitChange::Field {
                    key: key.clone(),
                    value,
                },
            )?;
            println!("saved: {} {} updated", t(&name), t(&key));
        }
        UnitCmd::Move {
            unit,
            location,
            reason,
            create,
        } => {
            let change = UnitChange::Move {
                location: location.clone(),
                reason,
                create,
            };
            let name = on_unit(store, &unit, change)?;
            println!("saved: {} moved to {}", t(&name), t(&location));
        }
        UnitCmd::Status {
            unit,
            status,
            reason,
        } => {
            let change = UnitChange::Status { to: status, reason };
            let name = on_unit(store, &unit, change)?;
            println!("saved: {} set to {status}", t(&name));
        }
        UnitCmd::Sell { unit, customer } => {
            let u = store.find_unit(&unit)?;
            lifecycle::sell(store, u.id, &customer, &actor, None)?;
            println!("saved: {} sold to {}", t(&u.name), t(customer.trim()));
        }
        UnitCmd::Return {
            unit,
            location,
            reason,
        } => {
            let u = store.find_unit(&unit)?;
            lifecycle::return_unit(store, u.id, location, reason, &actor, None)?;
            println!("saved: {} returned to stock", t(&u.name));
        }
        UnitCmd::Dates {
            unit,
            warranty_end,
            service_due,
        } => {
            let u = store.find_unit(&unit)?;
            lifecycle::set_dates(store, u.id, warranty_end, service_due, &actor)?;
            println!("saved: {} dates updated", t(&u.name));
        }
        UnitCmd::Retire { unit, reason } => {
            let name = on_unit(store, &unit, UnitChange::Retire { reason })?;
            println!("saved: {} retired", t(&name));
        }
    }
    Ok(())
}
