//! Reservations on the station's command line (`tagstation reservation ...`): make,
//! list and cancel them through `tagstation-ops`, and print them as aligned text.

use anyhow::Result;
use clap::{Args, Subcommand};

use tagstation::ops::reservations::{self, NewReservation, ReservationView};
use tagstation::ops::{Actor, Ledger};
use tagstation::reservations::ReservationQuery;

use super::output::t;
use super::JsonFlag;

/// Reservations: units, or a number of units of an item, held for a person for some
/// days.
#[derive(Debug, Subcommand)]
pub enum ReservationCmd {
    /// Reserve units (by tag, name or id) or a number of units of an item.
    Add {
        /// Units to reserve (repeatable), all of one item.
        #[arg(long = "unit")]
        units: Vec<String>,
        /// Or: the item, with --count.
        #[arg(long, required_unless_present = "units")]
        item: Option<String>,
        /// How many units of the item (default 1).
        #[arg(long, requires = "item")]
        count: Option<i64>,
        #[command(flatten)]
        booking: Booking,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// List reservations from today on (all of them with --all).
    List {
        /// Only this item's (name, SKU, barcode or id).
        #[arg(long)]
        item: Option<String>,
        /// Only this person's (name or badge).
        #[arg(long = "for")]
        person: Option<String>,
        /// Past and cancelled ones too.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Cancel a reservation (its id, or the id's last 8 characters as lists show).
    Cancel {
        reservation: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

/// For whom and which days: what every reservation on the command line asks for
/// (`reservation add`, `kit reserve`).
#[derive(Debug, Args)]
pub struct Booking {
    /// For whom (name or badge).
    #[arg(long = "for")]
    pub person: String,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub from: String,
    /// Last day, included (default: the first day).
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
}

impl Booking {
    /// The days and the note, as the operations layer takes them.
    pub fn days(&self) -> reservations::Days {
        reservations::Days {
            starts: self.from.clone(),
            ends: self.to.clone(),
            note: self.note.clone(),
        }
    }
}

pub(super) fn reservation_cmd(l: &mut impl Ledger, actor: &str, cmd: ReservationCmd) -> Result<()> {
    let actor = Actor::new(actor);
    match cmd {
        ReservationCmd::Add {
            units,
            item,
            count,
            booking,
            json,
        } => {
            let days = booking.days();
            let r = reservations::reserve(
                l,
                NewReservation {
                    item,
                    units,
                    count,
                    person: booking.person,
                    starts: days.starts,
                    ends: days.ends,
                    note: days.note,
                },
                &actor,
            )?;
            let v = reservations::view(l, &r)?;
            super::output::show(json.json, &v, |v| {
                println!(
                    "saved: {} reserved for {}, {} ({})",
                    t(&v.what()),
                    t(&v.person),
                    v.days(),
                    short(v)
                )
            })?;
        }
        ReservationCmd::List {
            item,
            person,
            all,
            json,
        } => {
            let q = ReservationQuery {
                item: item.map(|i| l.find_item(&i)).transpose()?.map(|i| i.id),
                person: person.map(|p| l.find_person(&p)).transpose()?.map(|p| p.id),
                from: (!all).then(tagstation::clock::today),
                to: None,
                live_only: !all,
            };
            let views = reservations::list(l, &q)?;
            super::output::show(json.json, &views, |v| print_reservations(v))?;
        }
        ReservationCmd::Cancel {
            reservation,
            reason,
        } => {
            let r = reservations::cancel(l, &reservation, reason, &actor)?;
            let v = reservations::view(l, &r)?;
            println!(
                "saved: reservation of {} for {} cancelled",
                t(&v.what()),
                t(&v.person)
            );
        }
    }
    Ok(())
}

fn short(v: &ReservationView) -> String {
    reservations::short_id(v.id)
}

/// One line a reservation: id, days, state, person, what.
pub fn print_reservations(views: &[ReservationView]) {
    if views.is_empty() {
        println!("no reservations");
        return;
    }
    for v in views {
        println!(
            "{}  {:<24}  {:<9}  {:<20}  {}",
            short(v),
            v.days(),
            v.state.as_str(),
            t(&v.person),
            t(&v.what())
        );
    }
}
