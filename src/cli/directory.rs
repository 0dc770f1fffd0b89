//! People and locations on the command line: the arguments both the station
//! (`tagstation person|location ...`, on a station with no hub) and the hub's admin
//! client (`tagstation admin people|locations ...`) take, reading a people file for an
//! import, and printing people and locations as text.

use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use tagstation::locations::LocationKind;
use tagstation::ops::locations::{LocationChange, NewLocation};
use tagstation::ops::people::{PersonChange, PersonRow};
use tagstation::people::{PersonFields, Role};
use tagstation::view::{LocationView, PersonView, UnitView};

use super::output::t;
use super::JsonFlag;

/// People: who borrows, who works the stations, who runs the office.
#[derive(Debug, Subcommand)]
pub enum PersonCmd {
    /// Add a person.
    Add {
        name: String,
        /// A badge code (repeatable): what a badge reader or scanner reads for them.
        #[arg(long = "badge")]
        badges: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        /// viewer, borrower, operator or admin.
        #[arg(long, default_value = "borrower")]
        role: Role,
        /// At most this many units checked out at once.
        #[arg(long)]
        max_checkouts: Option<i64>,
        /// A check-out with no due date is due this many days later.
        #[arg(long)]
        loan_days: Option<i64>,
    },
    /// Change a person (by name or badge).
    Edit {
        person: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "add-badge")]
        add_badges: Vec<String>,
        #[arg(long = "remove-badge")]
        remove_badges: Vec<String>,
        #[arg(long, conflicts_with = "no_email")]
        email: Option<String>,
        #[arg(long)]
        no_email: bool,
        #[arg(long)]
        role: Option<Role>,
        /// Active again (may borrow and sign in).
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        /// No longer active: keeps their history, may not borrow.
        #[arg(long)]
        inactive: bool,
        #[arg(long, conflicts_with = "no_max_checkouts")]
        max_checkouts: Option<i64>,
        #[arg(long)]
        no_max_checkouts: bool,
        #[arg(long, conflicts_with = "no_loan_days")]
        loan_days: Option<i64>,
        #[arg(long)]
        no_loan_days: bool,
    },
    /// List people (inactive and erased ones with --all).
    List {
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// One person and who has what: the units checked out to them.
    Show {
        person: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Erase a person who left: name, badges and email replaced by a pseudonym
    /// everywhere, history kept. Refused while they have units checked out.
    Erase {
        person: String,
        /// Yes, erase: it cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Import people from a station's config file (its [[station.people]]) or a CSV
    /// file (name, badges, email, role, max_checkouts, loan_days): matched by name,
    /// new ones added, badges added; all or nothing.
    Import {
        file: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Check-outs whose holder is free text that names no person (from before people
    /// were entities): add those people, and the check-outs are theirs.
    Unmatched(JsonFlag),
}

/// Locations: sites, rooms, vans and shelves.
#[derive(Debug, Subcommand)]
pub enum LocationCmd {
    /// Add a location.
    Add {
        name: String,
        /// site, room, van, shelf or other.
        #[arg(long, default_value = "other")]
        kind: LocationKind,
        /// The location it is in (name or code).
        #[arg(long)]
        parent: Option<String>,
        /// A code for its label, in the one namespace of codes.
        #[arg(long)]
        code: Option<String>,
    },
    /// Change a location (by name or code). A new name shows on every unit there.
    Edit {
        location: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        kind: Option<LocationKind>,
        #[arg(long, conflicts_with = "no_parent")]
        parent: Option<String>,
        #[arg(long)]
        no_parent: bool,
        #[arg(long, conflicts_with = "no_code")]
        code: Option<String>,
        #[arg(long)]
        no_code: bool,
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        /// No longer in use: takes no more units.
        #[arg(long)]
        inactive: bool,
    },
    /// List locations (inactive ones with --all).
    List {
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// One location and the units there.
    Show {
        location: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Turn the free-text locations units carry (from before locations were entities)
    /// into locations; spellings that differ only by letter case are listed, not merged.
    Adopt {
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// A new person's fields from `person add`.
pub fn new_person(
    name: String,
    badges: Vec<String>,
    email: Option<String>,
    role: Role,
    max_checkouts: Option<i64>,
    loan_days: Option<i64>,
) -> PersonFields {
    PersonFields {
        name: name.trim().to_string(),
        badges,
        email,
        role,
        active: true,
        max_checkouts,
        loan_days,
    }
}

/// The change `person edit` asks for.
#[allow(clippy::too_many_arguments)]
pub fn person_change(
    name: Option<String>,
    add_badges: Vec<String>,
    remove_badges: Vec<String>,
    email: Option<String>,
    no_email: bool,
    role: Option<Role>,
    active: bool,
    inactive: bool,
    max_checkouts: Option<i64>,
    no_max_checkouts: bool,
    loan_days: Option<i64>,
    no_loan_days: bool,
) -> PersonChange {
    let either = |v: Option<i64>, clear: bool| if clear { Some(None) } else { v.map(Some) };
    PersonChange {
        name: name.map(|n| n.trim().to_string()),
        add_badges,
        remove_badges,
        email: if no_email {
            Some(None)
        } else {
            email.map(Some)
        },
        role,
        active: match (active, inactive) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        max_checkouts: either(max_checkouts, no_max_checkouts),
        loan_days: either(loan_days, no_loan_days),
    }
}

/// The change `location edit` asks for.
#[allow(clippy::too_many_arguments)]
pub fn location_change(
    name: Option<String>,
    kind: Option<LocationKind>,
    parent: Option<String>,
    no_parent: bool,
    code: Option<String>,
    no_code: bool,
    active: bool,
    inactive: bool,
) -> LocationChange {
    LocationChange {
        name,
        kind,
        parent: if no_parent {
            Some(None)
        } else {
            parent.map(Some)
        },
        code: if no_code { Some(None) } else { code.map(Some) },
        active: match (active, inactive) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    }
}

/// A new location from `location add`.
pub fn new_location(
    name: String,
    kind: LocationKind,
    parent: Option<String>,
    code: Option<String>,
) -> NewLocation {
    NewLocation {
        name,
        kind,
        parent,
        code,
    }
}

/// The people a file lists: a station's config (`[[station.people]]`, name and badge)
/// or a CSV file with a header row (`name` and any of `badges` — several separated by
/// spaces or `;` —, `badge`, `email`, `role`, `max_checkouts`, `loan_days`).
pub fn read_people_file(path: &Path) -> Result<Vec<PersonRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    if is_toml {
        people_from_config(&text).with_context(|| format!("{}", path.display()))
    } else {
        people_from_csv(&text).with_context(|| format!("{}", path.display()))
    }
}

fn people_from_config(text: &str) -> Result<Vec<PersonRow>> {
    let v: toml::Value = toml::from_str(text)?;
    let list = v
        .get("station")
        .and_then(|s| s.get("people"))
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        bail!("no [[station.people]] in this file: nothing to import");
    }
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let name = p
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .with_context(|| format!("person {} has no name", i + 1))?;
            let badges = p
                .get("badge")
                .and_then(|b| b.as_str())
                .map(|b| vec![b.trim().to_string()])
                .unwrap_or_default();
            Ok(PersonRow {
                name: name.to_string(),
                badges,
                email: None,
                role: None,
                max_checkouts: None,
                loan_days: None,
            })
        })
        .collect()
}

fn people_from_csv(text: &str) -> Result<Vec<PersonRow>> {
    let delimiter = match text.lines().next() {
        Some(h) if h.matches(';').count() > h.matches(',').count() => b';',
        _ => b',',
    };
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers()?.iter().map(|h| h.to_lowercase()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(name_col) = col("name") else {
        bail!("the header row has no `name` column");
    };
    let mut rows = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("row {line}"))?;
        let cell = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(|s| tagstation::escape::csv_uncell(s).trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let number = |name: &str| -> Result<Option<i64>> {
            cell(col(name))
                .map(|v| {
                    v.parse()
                        .with_context(|| format!("row {line}: {name} {v:?} is not a number"))
                })
                .transpose()
        };
        let Some(name) = cell(Some(name_col)) else {
            bail!("row {line}: the name is empty");
        };
        let mut badges: Vec<String> = cell(col("badges"))
            .map(|b| {
                b.split([';', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        badges.extend(cell(col("badge")));
        let role = cell(col("role"))
            .map(|r| r.parse::<Role>().map_err(anyhow::Error::msg))
            .transpose()
            .with_context(|| format!("row {line}"))?;
        rows.push(PersonRow {
            name,
            badges,
            email: cell(col("email")),
            role,
            max_checkouts: number("max_checkouts")?,
            loan_days: number("loan_days")?,
        });
    }
    Ok(rows)
}

pub fn print_people(people: &[PersonView], all: bool) {
    println!(
        "{:<24} {:<9} {:<20} {:>4} {:>7}  {}",
        "NAME", "ROLE", "BADGES", "OUT", "OVERDUE", "EMAIL"
    );
    for p in people.iter().filter(|p| all || (p.active && !p.erased)) {
        println!(
            "{:<24} {:<9} {:<20} {:>4} {:>7}  {}{}",
            t(&p.name),
            p.role.as_str(),
            t(&p.badges.join(" ")),
            p.checked_out,
            p.overdue,
            t(p.email.as_deref().unwrap_or("")),
            match (p.erased, p.active) {
                (true, _) => "  erased",
                (false, false) => "  inactive",
                _ => "",
            }
        );
    }
}

/// A person and who has what: their units checked out now.
pub fn print_person(p: &PersonView, held: &[UnitView]) {
    println!("person       {} ({})", t(&p.name), p.id);
    println!("role         {}", p.role);
    if !p.badges.is_empty() {
        println!("badges       {}", t(&p.badges.join(", ")));
    }
    if let Some(e) = &p.email {
        println!("email        {}", t(e));
    }
    if let Some(m) = p.max_checkouts {
        println!("limit        {m} units at once");
    }
    if let Some(d) = p.loan_days {
        println!("loan         {d} days unless a due date is given");
    }
    if p.erased {
        println!("ERASED       nothing personal is kept");
    } else if !p.active {
        println!("INACTIVE     may not borrow");
    }
    if held.is_empty() {
        println!("has          nothing checked out");
    }
    for u in held {
        println!(
            "has          {} ({}){}{}",
            t(&u.name),
            t(u.asset_tag.as_deref().unwrap_or("no tag")),
            u.due
                .as_deref()
                .map(|d| format!(", due {}", t(d)))
                .unwrap_or_default(),
            if u.overdue { "  OVERDUE" } else { "" }
        );
    }
}

pub fn print_locations(locations: &[LocationView], all: bool) {
    println!(
        "{:<24} {:<6} {:<20} {:<12} {:>5}",
        "LOCATION", "KIND", "IN", "CODE", "UNITS"
    );
    for l in locations.iter().filter(|l| all || l.active) {
        println!(
            "{:<24} {:<6} {:<20} {:<12} {:>5}{}",
            t(&l.name),
            l.kind.as_str(),
            t(l.parent.as_deref().unwrap_or("-")),
            t(l.code.as_deref().unwrap_or("-")),
            l.units,
            if l.active { "" } else { "  inactive" }
        );
    }
}

pub fn print_location(l: &LocationView, units: &[UnitView]) {
    println!("location     {} ({})", t(&l.name), l.id);
    println!("kind         {}", l.kind);
    if let Some(p) = &l.parent {
        println!("in           {}", t(p));
    }
    if let Some(c) = &l.code {
        println!("code         {}", t(c));
    }
    if !l.active {
        println!("INACTIVE     takes no more units");
    }
    println!("units        {}", units.len());
    for u in units {
        println!(
            "  {:<24} {:<12} {}",
            t(&u.name),
            u.status.as_str(),
            t(u.asset_tag.as_deref().unwrap_or("-"))
        );
    }
}

/// Words for an adoption of free-text locations.
pub fn print_adopted(a: &tagstation::ops::locations::Adopted, dry_run: bool) {
    let verb = if dry_run { "would create" } else { "created" };
    for name in &a.created {
        println!("{verb} location {}", t(name));
    }
    for group in &a.case_groups {
        println!(
            "differ only by letter case, left for you: {} (add the spelling to keep with `location add`)",
            t(&group.join(" / "))
        );
    }
    if a.created.is_empty() && a.case_groups.is_empty() {
        println!("every location units name is a location already");
    }
}

/// Words for an import of people.
pub fn print_imported(r: &tagstation::ops::people::PeopleImported, dry_run: bool) {
    let (added, changed) = if dry_run {
        ("would add", "would change")
    } else {
        ("added", "changed")
    };
    for n in &r.added {
        println!("{added} {}", t(n));
    }
    for n in &r.changed {
        println!("{changed} {}", t(n));
    }
    for n in &r.unchanged {
        println!("unchanged {}", t(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_files_read_as_config_or_csv() {
        let rows = people_from_config(
            "[station]\nname = \"Door\"\n[[station.people]]\nname = \"Ana\"\nbadge = \"B-1\"\n[[station.people]]\nname = \"Ben\"\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].badges, ["B-1"]);
        assert!(rows[1].badges.is_empty());
        let rows =
            people_from_csv("Name;Badges;Role;Max_Checkouts\nAna;B-1 B-2;operator;3\nBen;;;\n")
                .unwrap();
        assert_eq!(rows[0].badges, ["B-1", "B-2"]);
        assert_eq!(rows[0].role, Some(Role::Operator));
        assert_eq!(rows[0].max_checkouts, Some(3));
        assert!(people_from_csv("name,role\nAna,boss\n").is_err());
        assert!(people_from_csv("who\nAna\n").is_err());
    }
}

/// `tagstation person ...` on a station's own store (people are made here only while
/// the station has no hub; reads work everywhere).
#[cfg(feature = "station")]
pub(super) fn person_cmd(ctx: &mut super::station::Ctx, cmd: PersonCmd) -> Result<()> {
    use tagstation::ops::{people, Actor};
    let actor = Actor::new(ctx.actor.clone());
    let store = &mut ctx.store;
    match cmd {
        PersonCmd::Add {
            name,
            badges,
            email,
            role,
            max_checkouts,
            loan_days,
        } => {
            let f = new_person(name, badges, email, role, max_checkouts, loan_days);
            let p = people::add_person(store, f, &actor)?;
            println!("added {} ({}, {})", t(&p.name), p.role, p.id);
        }
        PersonCmd::Edit {
            person,
            name,
            add_badges,
            remove_badges,
            email,
            no_email,
            role,
            active,
            inactive,
            max_checkouts,
            no_max_checkouts,
            loan_days,
            no_loan_days,
        } => {
            let change = person_change(
                name,
                add_badges,
                remove_badges,
                email,
                no_email,
                role,
                active,
                inactive,
                max_checkouts,
                no_max_checkouts,
                loan_days,
                no_loan_days,
            );
            let p = people::edit_person(store, &person, &change, &actor)?;
            println!("saved: {} changed", t(&p.name));
        }
        PersonCmd::List { all, json } => {
            let views = store
                .people()?
                .iter()
                .filter(|p| all || (p.active && !p.erased))
                .map(|p| store.person_view(p))
                .collect::<Result<Vec<_>, _>>()?;
            return super::output::show(json.json, &views, |v| print_people(v, true));
        }
        PersonCmd::Show { person, json } => {
            let p = store.find_person(&person)?;
            let view = store.person_view(&p)?;
            let held = store.held_by(&p)?;
            if json.json {
                return super::output::print_json(&serde_json::json!({
                    "person": view, "checked_out": held,
                }));
            }
            print_person(&view, &held);
        }
        PersonCmd::Erase { person, yes } => {
            if !yes {
                return Err(super::Refused(format!(
                    "erasing {} cannot be undone: add --yes to erase",
                    t(&person)
                ))
                .into());
            }
            let alias = people::erase_person(store, &person, &actor)?;
            println!("erased: now {}", t(&alias));
        }
        PersonCmd::Import {
            file,
            dry_run,
            json,
        } => {
            let rows = read_people_file(&file)?;
            let done =
                people::import_people(store, &rows, dry_run, &actor).map_err(|(row, e)| {
                    anyhow::Error::new(e).context(format!("{}: person {row}", file.display()))
                })?;
            return super::output::show(json.json, &done, |d| print_imported(d, dry_run));
        }
        PersonCmd::Unmatched(json) => {
            let list = store.unmatched_holders()?;
            return super::output::show(json.json, &list, |list| {
                if list.is_empty() {
                    println!("every check-out names a person");
                }
                for (holder, n) in list {
                    println!("{:<24} {n} checked out (no person of that name)", t(holder));
                }
            });
        }
    }
    Ok(())
}

/// `tagstation location ...` on a station's own store.
#[cfg(feature = "station")]
pub(super) fn location_cmd(ctx: &mut super::station::Ctx, cmd: LocationCmd) -> Result<()> {
    use tagstation::ops::{locations, Actor};
    let actor = Actor::new(ctx.actor.clone());
    let store = &mut ctx.store;
    match cmd {
        LocationCmd::Add {
            name,
            kind,
            parent,
            code,
        } => {
            let l = locations::add_location(store, new_location(name, kind, parent, code), &actor)?;
            println!("added location {} ({})", t(&l.name), l.id);
        }
        LocationCmd::Edit {
            location,
            name,
            kind,
            parent,
            no_parent,
            code,
            no_code,
            active,
            inactive,
        } => {
            let change = location_change(
                name, kind, parent, no_parent, code, no_code, active, inactive,
            );
            let l = locations::edit_location(store, &location, &change, &actor)?;
            println!("saved: {} changed", t(&l.name));
        }
        LocationCmd::List { all, json } => {
            let views = store
                .all_locations()?
                .iter()
                .filter(|l| all || l.active)
                .map(|l| store.location_view(l))
                .collect::<Result<Vec<_>, _>>()?;
            return super::output::show(json.json, &views, |v| print_locations(v, true));
        }
        LocationCmd::Show { location, json } => {
            let l = store.find_location(&location)?;
            let view = store.location_view(&l)?;
            let units = store.units_at(&l.id.to_string())?;
            if json.json {
                return super::output::print_json(&serde_json::json!({
                    "location": view, "units": units,
                }));
            }
            print_location(&view, &units);
        }
        LocationCmd::Adopt { dry_run, json } => {
            let done = locations::adopt(store, dry_run, &actor)?;
            return super::output::show(json.json, &done, |d| print_adopted(d, dry_run));
        }
    }
    Ok(())
}
