//! How commands print: text for people, escaped, or `--json` for scripts.

// A hub-only build prints only JSON (the admin client); the text views are the station's.
#![cfg_attr(not(feature = "station"), allow(dead_code))]

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use tagstation::view::{ItemView, UnitView};

/// Print `value` as pretty JSON with `--json`, otherwise as text through `text`: the
/// one place a command chooses between the two.
pub fn show<T: Serialize + ?Sized>(json: bool, value: &T, text: impl FnOnce(&T)) -> Result<()> {
    if json {
        print_json(value)
    } else {
        text(value);
        Ok(())
    }
}

pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

pub fn print_item(i: &ItemView) {
    println!("item         {} ({})", t(&i.name), i.id);
    println!("tracking     {}", i.tracking.as_str());
    if i.archived {
        println!("ARCHIVED     hidden from lists, no changes until `item unarchive`");
    }
    if let Some(s) = &i.sku {
        println!("sku          {}", t(s));
    }
    if let Some(b) = &i.barcode {
        println!("barcode      {}", t(b));
    }
    let t: Vec<String> = i.totals.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!("totals       {} (total {})", t.join(", "), i.total);
    if let Some(r) = i.reorder_point {
        println!(
            "reorder at   {r}{}",
            if i.below_reorder_point {
                "  BELOW REORDER POINT"
            } else {
                ""
            }
        );
    }
}

pub fn print_unit(u: &UnitView) {
    println!("unit         {} ({})", t(&u.name), u.id);
    println!("item         {}", t(&u.item));
    println!("tag          {}", t(u.asset_tag.as_deref().unwrap_or("-")));
    println!("status       {}", u.status);
    if let Some(h) = &u.holder {
        println!(
            "holder       {}{}{}",
            t(h),
            u.due
                .as_deref()
                .map(|d| format!(", due {}", t(d)))
                .unwrap_or_default(),
            if u.overdue { "  OVERDUE" } else { "" }
        );
    }
    println!("location     {}", t(u.location.as_deref().unwrap_or("-")));
    for (k, v) in &u.fields {
        println!("{:<12} {}", t(k), t(v));
    }
    if u.item_archived {
        println!("ARCHIVED     its item is archived: no changes until `item unarchive`");
    }
    if !u.active {
        println!("(folded into its item's count; kept for history)");
    }
}

/// Text from the store (names, actors, notes: from people, scanners and other
/// stations) as it may reach a terminal: control characters escaped, never raw.
pub fn t(s: &str) -> std::borrow::Cow<'_, str> {
    tagstation::escape::controls(s)
}
