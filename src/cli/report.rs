//! Reports computed from the station's history and catalog: utilisation (how much of
//! the time each unit is out, and a ranking of items) and the units whose warranty
//! ends or whose service is due. The figures come from `tagstation::utilization`;
//! this only prints them.

use anyhow::Result;
use clap::Subcommand;

use tagstation::clock::{rfc3339, Clock, SystemClock};
use tagstation::due::dates_due;
use tagstation::ops::OpError;
use tagstation::store::Store;
use tagstation::utilization::{utilization, Utilization, Window};

use super::output::{show, t};
use super::JsonFlag;

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Per unit: the share of the window it was checked out and not in stock, and its
    /// check-outs; per item: a ranking, most used first.
    Utilization {
        /// From the start of this day (YYYY-MM-DD, UTC); default: the oldest event.
        #[arg(long)]
        since: Option<String>,
        /// Through the end of this day (YYYY-MM-DD, UTC); default: now.
        #[arg(long)]
        until: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Units whose warranty ends or whose service is due on or before a date.
    Dates {
        /// YYYY-MM-DD; default: today.
        #[arg(long)]
        by: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
}

pub(super) fn report_cmd(store: &Store, cmd: ReportCmd) -> Result<()> {
    match cmd {
        ReportCmd::Utilization { since, until, json } => {
            let log = store.log()?;
            let first = log.iter().map(|s| s.event.wall_time_ms).min().unwrap_or(0);
            let (now, _) = SystemClock.now();
            let window = Window::from_dates(since.as_deref(), until.as_deref(), first, now)
                .map_err(OpError::invalid)?;
            let report = utilization(&log, window);
            show(json.json, &report, print_utilization)
        }
        ReportCmd::Dates { by, json } => {
            let by = by.unwrap_or_else(tagstation::clock::today);
            tagstation::catalog::check_date(&by).map_err(OpError::invalid)?;
            let units = store.units(None, false)?;
            let items: std::collections::HashMap<_, _> =
                units.iter().map(|u| (u.item_id, u.item.clone())).collect();
            let catalog: Vec<_> = units
                .iter()
                .map(|u| store.unit(u.id))
                .collect::<Result<_, _>>()?;
            let due = dates_due(
                &catalog,
                |i| items.get(&i).cloned().unwrap_or_default(),
                &by,
            );
            show(json.json, &due, |due| {
                if due.is_empty() {
                    println!("no warranty ends and no service is due by {by}");
                    return;
                }
                println!(
                    "{:<10}  {:<12}  {:<24} {:<20} TAG",
                    "DATE", "WHAT", "UNIT", "ITEM"
                );
                for d in due {
                    println!(
                        "{:<10}  {:<12}  {:<24} {:<20} {}",
                        t(&d.date),
                        d.field,
                        t(&d.unit),
                        t(&d.item),
                        t(d.asset_tag.as_deref().unwrap_or("-"))
                    );
                }
            })
        }
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn print_utilization(r: &Utilization) {
    println!(
        "utilization from {} to {}",
        rfc3339(r.window.since_ms),
        rfc3339(r.window.until_ms)
    );
    if r.units.is_empty() {
        println!("no unit was in service in this window");
        return;
    }
    println!(
        "\n{:<4} {:<24} {:>5} {:>8} {:>13} {:>10}",
        "RANK", "ITEM", "UNITS", "OUT", "NOT IN STOCK", "CHECK-OUTS"
    );
    for i in &r.items {
        println!(
            "{:<4} {:<24} {:>5} {:>8} {:>13} {:>10}",
            i.rank,
            t(&i.item),
            i.units,
            percent(i.checked_out_share),
            percent(i.not_in_stock_share),
            i.checkouts
        );
    }
    println!(
        "\n{:<24} {:<20} {:>8} {:>13} {:>10}",
        "UNIT", "ITEM", "OUT", "NOT IN STOCK", "CHECK-OUTS"
    );
    for u in &r.units {
        println!(
            "{:<24} {:<20} {:>8} {:>13} {:>10}{}",
            t(&u.name),
            t(&u.item),
            percent(u.checked_out_share),
            percent(u.not_in_stock_share),
            u.checkouts,
            if u.folded {
                "  (folded into count)"
            } else {
                ""
            }
        );
    }
}
