//! Kits on the station's command line (`tagstation kit ...`): make and change them,
//! lend and take back a whole kit, through `tagstation-ops`; and print them as text.

use anyhow::Result;
use clap::Subcommand;

use tagstation::ops::kits::{self, KitChange, KitView, NewKit};
use tagstation::ops::reservations;
use tagstation::ops::{Action, Actor, Ledger};

use super::output::t;
use super::reservations::Booking;
use super::JsonFlag;

/// Kits: a named set of units (a camera body, its lenses, batteries) with a tag of its
/// own, lent and taken back with one scan.
#[derive(Debug, Subcommand)]
pub enum KitCmd {
    /// Make a kit of units (by tag, name or id).
    Add {
        name: String,
        /// The kit's own tag (in the one namespace of codes).
        #[arg(long)]
        tag: Option<String>,
        /// A unit of the kit (repeatable).
        #[arg(long = "unit")]
        units: Vec<String>,
    },
    /// Change a kit (by name, tag or id).
    Edit {
        kit: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, conflicts_with = "no_tag")]
        tag: Option<String>,
        #[arg(long)]
        no_tag: bool,
        /// Put a unit in the kit (repeatable).
        #[arg(long = "add")]
        add: Vec<String>,
        /// Take a unit out of the kit (repeatable).
        #[arg(long = "remove")]
        remove: Vec<String>,
        /// No longer in use: its units are free for other kits.
        #[arg(long, conflicts_with = "active")]
        retire: bool,
        #[arg(long)]
        active: bool,
    },
    /// List kits.
    List {
        #[command(flatten)]
        json: JsonFlag,
    },
    /// One kit with its units as they are now.
    Show {
        kit: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Check the whole kit out, in one write: every unit, or none.
    Checkout {
        kit: String,
        /// Who takes it.
        #[arg(long = "to")]
        holder: String,
        /// Due back, YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
        /// Lend it even though a unit is reserved for someone else then.
        #[arg(long)]
        override_reservation: bool,
    },
    /// Reserve the whole kit for a person: every unit of it, one reservation per item,
    /// noted with the kit's name.
    Reserve {
        kit: String,
        #[command(flatten)]
        booking: Booking,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Check the kit back in: every unit of it that is out, but those named missing,
    /// which are recorded as missing until they come back.
    Checkin {
        kit: String,
        /// A unit that did not come back (repeatable).
        #[arg(long = "missing")]
        missing: Vec<String>,
        /// Where it goes back to.
        #[arg(long)]
        location: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
}

pub(super) fn kit_cmd(l: &mut impl Ledger, actor: &str, cmd: KitCmd) -> Result<()> {
    let actor = Actor::new(actor);
    match cmd {
        KitCmd::Add { name, tag, units } => {
            let k = kits::add_kit(l, NewKit { name, tag, units }, &actor)?;
            println!(
                "added kit {} of {} units ({})",
                t(&k.name),
                k.units.len(),
                k.id
            );
        }
        KitCmd::Edit {
            kit,
            name,
            tag,
            no_tag,
            add,
            remove,
            retire,
            active,
        } => {
            let change = KitChange {
                name,
                tag: if no_tag { Some(None) } else { tag.map(Some) },
                add_units: add,
                remove_units: remove,
                active: if retire {
                    Some(false)
                } else {
                    active.then_some(true)
                },
            };
            let k = kits::edit_kit(l, &kit, change, &actor)?;
            println!("saved: kit {} changed", t(&k.name));
        }
        KitCmd::List { json } => {
            let views = l
                .kits()?
                .iter()
                .map(|k| kits::view(l, k))
                .collect::<Result<Vec<_>, _>>()?;
            super::output::show(json.json, &views, |v| {
                if v.is_empty() {
                    println!("no kits");
                }
                for k in v {
                    println!(
                        "{:<24} {:<12} {:>3} units  {}{}",
                        t(&k.name),
                        t(k.tag.as_deref().unwrap_or("-")),
                        k.units.len(),
                        state(k),
                        if k.active { "" } else { " (retired)" }
                    );
                }
            })?;
        }
        KitCmd::Show { kit, json } => {
            let k = kits::find_kit(l, &kit)?;
            let v = kits::view(l, &k)?;
            super::output::show(json.json, &v, print_kit)?;
        }
        KitCmd::Checkout {
            kit,
            holder,
            due,
            override_reservation,
        } => {
            let k = kits::find_kit(l, &kit)?;
            let lend = Action::lend(&holder, due, override_reservation);
            let n = kits::check_out_kit(l, k.id, lend, &actor, None)?;
            println!(
                "saved: kit {} ({n} units) checked out to {}",
                t(&k.name),
                t(&holder)
            );
        }
        KitCmd::Reserve { kit, booking, json } => {
            let k = kits::find_kit(l, &kit)?;
            let (person, days) = (&booking.person, booking.days());
            let made = reservations::reserve_kit(l, k.id, person, &days, &actor)?;
            let views = made
                .iter()
                .map(|r| reservations::view(l, r))
                .collect::<Result<Vec<_>, _>>()?;
            super::output::show(json.json, &views, |v| {
                if let Some(first) = v.first() {
                    println!(
                        "saved: kit {} reserved for {}, {} ({} reservations)",
                        t(&k.name),
                        t(&first.person),
                        first.days(),
                        v.len()
                    );
                }
                super::reservations::print_reservations(v);
            })?;
        }
        KitCmd::Checkin {
            kit,
            missing,
            location,
            json,
        } => {
            let k = kits::find_kit(l, &kit)?;
            let mut gone = Vec::new();
            for m in &missing {
                gone.push(l.find_unit(m)?.id);
            }
            let present: Vec<_> = k
                .units
                .iter()
                .copied()
                .filter(|u| !gone.contains(u))
                .collect();
            let back = kits::check_in_kit(l, k.id, Some(&present), location, &actor, None)?;
            super::output::show(json.json, &back, |b| {
                println!(
                    "saved: kit {} checked in ({} units)",
                    t(&b.kit),
                    b.checked_in.len()
                );
                if !b.missing.is_empty() {
                    println!(
                        "incomplete: missing {}",
                        b.missing
                            .iter()
                            .map(|m| t(m).into_owned())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            })?;
        }
    }
    Ok(())
}

/// "all in", "out", "incomplete: missing Lens 02".
fn state(k: &KitView) -> String {
    if !k.missing.is_empty() {
        format!("incomplete: missing {}", t(&k.missing.join(", ")))
    } else if k.all_in() {
        "all in".into()
    } else if k.out() {
        "out".into()
    } else {
        "partly in".into()
    }
}

/// A kit and each of its units, aligned.
pub fn print_kit(k: &KitView) {
    println!("kit          {}", t(&k.name));
    println!("tag          {}", t(k.tag.as_deref().unwrap_or("-")));
    println!("state        {}", state(k));
    for u in &k.units {
        println!(
            "  {:<22} {:<12} {}{}",
            t(&u.name),
            t(u.asset_tag.as_deref().unwrap_or("-")),
            u.status.label().to_lowercase(),
            u.holder
                .as_deref()
                .map(|h| format!(" ({})", t(h)))
                .unwrap_or_default()
        );
    }
}
