//! References an assistant gives ("Drill 03", "laptops", "ana") resolved to exactly one
//! thing, or refused with what would help: every match when several match
//! ([`ToolError::Ambiguous`]), the closest names when none does
//! ([`ToolError::NotFound`]). Searches ([`score`]) are forgiving about letter case,
//! spacing, leading zeros and small typos; a change never acts on a guess.

use tagstation_core::catalog::{fold, same_key, Item, Unit};
use tagstation_core::kits::Kit;
use tagstation_core::locations::Location;
use tagstation_core::people::Person;
use tagstation_core::reservations::{Reservation, ReservationQuery};
use tagstation_ops::reads::Reads;
use tagstation_ops::{kits, reservations};
use tagstation_ops::{Ledger, OpError};

use crate::tools::ToolError;

/// Most closest matches or candidates named in an answer.
pub const MAX_SUGGESTIONS: usize = 8;

/// Text as searches compare it: lower case, runs of spaces, `-` and `_` as one space,
/// and numbers without leading zeros ("Drill 3" finds "drill 03").
pub fn normalize(s: &str) -> String {
    let mut out = Vec::new();
    normalize_into(s, &mut out);
    out.into_iter().collect()
}

/// [`normalize`] into a buffer of characters (a search reuses one for every name).
fn normalize_into(s: &str, out: &mut Vec<char>) {
    out.clear();
    let mut chars = s.chars().flat_map(char::to_lowercase).peekable();
    let mut space = false;
    let mut in_number = false;
    while let Some(c) = chars.next() {
        if c.is_whitespace() || c == '-' || c == '_' {
            space = !out.is_empty();
            in_number = false;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_ascii_digit() {
            let next_is_digit = chars.peek().is_some_and(char::is_ascii_digit);
            if c == '0' && !in_number && next_is_digit {
                continue;
            }
            in_number = true;
        } else {
            in_number = false;
        }
        out.push(c);
    }
}

/// Edit distance (insertions, deletions, substitutions, and two neighbours swapped
/// as one), or `None` once it must exceed `max`. `d` is scratch space.
fn distance(a: &[char], b: &[char], max: usize, d: &mut Vec<usize>) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    d.clear();
    d.extend(0..w);
    d.resize((a.len() + 1) * w, 0);
    for i in 1..=a.len() {
        d[i * w] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    Some(d[a.len() * w + b.len()]).filter(|x| *x <= max)
}

fn contains(haystack: &[char], needle: &[char]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// One search's query, ranking any number of names without allocating for each.
pub struct Matcher {
    query: Vec<char>,
    name: Vec<char>,
    scratch: Vec<usize>,
}

impl Matcher {
    pub fn new(query: &str) -> Matcher {
        let mut q = Vec::new();
        normalize_into(query, &mut q);
        Matcher {
            query: q,
            name: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// How close `name` is to the query (both [`normalize`]d): 0 the same, 1 one
    /// contains the other (three characters or more), 2 and up a few typos away (one
    /// per three characters); `None` not close.
    pub fn score(&mut self, name: &str) -> Option<usize> {
        normalize_into(name, &mut self.name);
        let (q, c) = (&self.query, &self.name);
        if q == c {
            return Some(0);
        }
        if q.len().min(c.len()) >= 3 && (contains(c, q) || contains(q, c)) {
            return Some(1);
        }
        let max = (q.len() / 3).max(1);
        distance(q, c, max, &mut self.scratch).map(|d| 1 + d)
    }

    /// The best score of any of `names` (a thing's name, tag, SKU...).
    pub fn best<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> Option<usize> {
        names.into_iter().filter_map(|n| self.score(n)).min()
    }
}

/// [`Matcher::score`] of one name.
pub fn score(query: &str, name: &str) -> Option<usize> {
    Matcher::new(query).score(name)
}

/// The closest of `things` to `query`, closest first, at most [`MAX_SUGGESTIONS`].
fn closest<'t, T>(query: &str, things: &'t [T], names: impl Fn(&T) -> Vec<&str>) -> Vec<&'t T> {
    let mut m = Matcher::new(query);
    let mut ranked: Vec<(usize, usize)> = things
        .iter()
        .enumerate()
        .filter_map(|(i, t)| m.best(names(t)).map(|s| (s, i)))
        .collect();
    ranked.sort();
    ranked.truncate(MAX_SUGGESTIONS);
    ranked.into_iter().map(|(_, i)| &things[i]).collect()
}

/// A name and an optional second one (a tag, a code), as one list.
fn names<'a>(name: &'a str, other: Option<&'a str>) -> Vec<&'a str> {
    let mut v = vec![name];
    v.extend(other);
    v
}

fn required<'a>(what: &str, reference: &'a str) -> Result<&'a str, ToolError> {
    let r = reference.trim();
    if r.is_empty() {
        return Err(ToolError::Arguments(format!("name the {what}")));
    }
    Ok(r)
}

/// A unit in words that tell it apart: "Drill 03 (item Cordless drill, tag TS-0003,
/// in_stock)".
pub fn describe_unit(l: &impl Ledger, u: &Unit) -> String {
    let item = l.item(u.item_id).map(|i| i.name).unwrap_or_default();
    let tag = u
        .asset_tag
        .as_deref()
        .map(|t| format!(", tag {t}"))
        .unwrap_or_default();
    format!("{} (item {item}{tag}, {})", u.name, u.status)
}

/// One active unit by asset tag, id or name; with `item`, among that item's units.
pub fn unit<L: Ledger + Reads>(
    l: &L,
    reference: &str,
    item: Option<&str>,
) -> Result<Unit, ToolError> {
    let r = required("unit (its name, asset tag or id)", reference)?;
    if let Some(item) = item.filter(|i| !i.trim().is_empty()) {
        let it = self::item(l, item)?;
        let units: Vec<Unit> = l
            .units_of_item(it.id)
            .map_err(ToolError::Op)?
            .into_iter()
            .filter(|u| u.active)
            .collect();
        let key = fold(r);
        let found: Vec<&Unit> = units
            .iter()
            .filter(|u| {
                u.id.to_string() == r
                    || fold(&u.name) == key
                    || u.asset_tag.as_deref().is_some_and(|t| fold(t) == key)
            })
            .collect();
        return match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(ToolError::NotFound {
                what: "unit",
                reference: format!("{r} (of item {})", it.name),
                closest: closest(r, &units, unit_names)
                    .into_iter()
                    .map(|u| describe_unit(l, u))
                    .collect(),
            }),
            many => Err(ToolError::Ambiguous {
                what: "units",
                reference: r.into(),
                candidates: many.iter().map(|u| describe_unit(l, u)).collect(),
            }),
        };
    }
    match l.find_unit(r) {
        Ok(u) => Ok(u),
        Err(OpError::Ambiguous { .. }) => {
            let key = fold(r);
            let mut candidates = Vec::new();
            for k in l.unit_keys().map_err(ToolError::Op)? {
                if fold(&k.name) == key {
                    let u = l.unit(k.id).map_err(ToolError::Op)?;
                    candidates.push(describe_unit(l, &u));
                }
            }
            candidates.sort();
            Err(ToolError::Ambiguous {
                what: "units",
                reference: r.into(),
                candidates,
            })
        }
        Err(OpError::NotFound { .. }) => {
            let keys = l.unit_keys().map_err(ToolError::Op)?;
            let near = closest(r, &keys, |k| names(&k.name, k.asset_tag.as_deref()));
            let mut shown = Vec::new();
            for k in near {
                let u = l.unit(k.id).map_err(ToolError::Op)?;
                shown.push(describe_unit(l, &u));
            }
            Err(ToolError::NotFound {
                what: "unit",
                reference: r.into(),
                closest: shown,
            })
        }
        Err(e) => Err(ToolError::Op(e)),
    }
}

fn unit_names(u: &Unit) -> Vec<&str> {
    names(&u.name, u.asset_tag.as_deref())
}

fn item_names(i: &Item) -> Vec<&str> {
    let mut v = vec![i.name.as_str()];
    v.extend(i.sku.as_deref());
    v.extend(i.barcode.as_deref());
    v
}

/// One item by id, name, SKU or barcode, letter case aside.
pub fn item<L: Ledger + Reads>(l: &L, reference: &str) -> Result<Item, ToolError> {
    let r = required("item", reference)?;
    match l.find_item(r) {
        Ok(i) => Ok(i),
        Err(OpError::Ambiguous { .. } | OpError::NotFound { .. }) => {
            let items = all_items(l)?;
            let key = fold(r);
            let same: Vec<String> = items
                .iter()
                .filter(|i| item_names(i).iter().any(|n| fold(n) == key))
                .map(show_item)
                .collect();
            if same.len() > 1 {
                return Err(ToolError::Ambiguous {
                    what: "items",
                    reference: r.into(),
                    candidates: same,
                });
            }
            Err(ToolError::NotFound {
                what: "item",
                reference: r.into(),
                closest: closest(r, &items, item_names)
                    .into_iter()
                    .map(show_item)
                    .collect(),
            })
        }
        Err(e) => Err(ToolError::Op(e)),
    }
}

/// Every item in use, as `Item`s (lookups by name need the rows, not the views).
fn all_items<L: Ledger + Reads>(l: &L) -> Result<Vec<Item>, ToolError> {
    l.items().map_err(ToolError::Op)
}

fn show_item(i: &Item) -> String {
    match &i.sku {
        Some(sku) => format!("{} (SKU {sku})", i.name),
        None => i.name.clone(),
    }
}

/// Items whose name, SKU or barcode is close to `query` (a search: several may
/// match), closest first.
pub fn items_like<L: Ledger + Reads>(l: &L, query: &str) -> Result<Vec<Item>, ToolError> {
    if let Ok(i) = l.find_item(query.trim()) {
        return Ok(vec![i]);
    }
    let mut m = Matcher::new(query);
    let mut ranked: Vec<(usize, Item)> = all_items(l)?
        .into_iter()
        .filter_map(|i| m.best(item_names(&i)).map(|s| (s, i)))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(ranked.into_iter().map(|(_, i)| i).collect())
}

fn person_names(p: &Person) -> Vec<&str> {
    let mut v = vec![p.name.as_str()];
    v.extend(p.badges.iter().map(String::as_str));
    v
}

/// One person by id, name or badge, letter case aside.
pub fn person(l: &impl Ledger, reference: &str) -> Result<Person, ToolError> {
    let r = required("person", reference)?;
    match l.find_person(r) {
        Ok(p) => Ok(p),
        Err(OpError::Ambiguous { candidates, .. }) => Err(ToolError::Ambiguous {
            what: "people",
            reference: r.into(),
            candidates: candidates.split(", ").map(str::to_string).collect(),
        }),
        Err(OpError::NotFound { .. }) => {
            let people: Vec<Person> = l
                .people()
                .map_err(ToolError::Op)?
                .into_iter()
                .filter(|p| p.active && !p.erased)
                .collect();
            Err(ToolError::NotFound {
                what: "person",
                reference: r.into(),
                closest: closest(r, &people, person_names)
                    .into_iter()
                    .map(|p| p.name.clone())
                    .collect(),
            })
        }
        Err(e) => Err(ToolError::Op(e)),
    }
}

/// People close to `query` (a search), closest first.
pub fn people_like(l: &impl Ledger, query: &str) -> Result<Vec<Person>, ToolError> {
    if let Ok(p) = l.find_person(query.trim()) {
        return Ok(vec![p]);
    }
    let mut m = Matcher::new(query);
    let mut ranked: Vec<(usize, Person)> = l
        .people()
        .map_err(ToolError::Op)?
        .into_iter()
        .filter(|p| !p.erased)
        .filter_map(|p| m.best(person_names(&p)).map(|s| (s, p)))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(ranked.into_iter().map(|(_, p)| p).collect())
}

fn location_names(l: &Location) -> Vec<&str> {
    names(&l.name, l.code.as_deref())
}

/// One location by id, name or code, letter case aside.
pub fn location(l: &impl Ledger, reference: &str) -> Result<Location, ToolError> {
    let r = required("location", reference)?;
    match l.find_location(r) {
        Ok(loc) => Ok(loc),
        Err(OpError::Ambiguous { candidates, .. }) => Err(ToolError::Ambiguous {
            what: "locations",
            reference: r.into(),
            candidates: candidates.split(", ").map(str::to_string).collect(),
        }),
        Err(OpError::NotFound { .. }) => {
            let all: Vec<Location> = l
                .locations()
                .map_err(ToolError::Op)?
                .into_iter()
                .filter(|x| x.active)
                .collect();
            Err(ToolError::NotFound {
                what: "location",
                reference: r.into(),
                closest: closest(r, &all, location_names)
                    .into_iter()
                    .map(|x| x.name.clone())
                    .collect(),
            })
        }
        Err(e) => Err(ToolError::Op(e)),
    }
}

/// Locations close to `query` (a search), closest first.
pub fn locations_like(l: &impl Ledger, query: &str) -> Result<Vec<Location>, ToolError> {
    if let Ok(x) = l.find_location(query.trim()) {
        return Ok(vec![x]);
    }
    let mut m = Matcher::new(query);
    let mut ranked: Vec<(usize, Location)> = l
        .locations()
        .map_err(ToolError::Op)?
        .into_iter()
        .filter_map(|x| m.best(location_names(&x)).map(|s| (s, x)))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(ranked.into_iter().map(|(_, x)| x).collect())
}

fn kit_names(k: &Kit) -> Vec<&str> {
    names(&k.name, k.tag.as_deref())
}

/// A kit in words that tell it apart: "Camera kit A (tag KIT-A, 4 units)".
pub fn describe_kit(k: &Kit) -> String {
    let tag = k
        .tag
        .as_deref()
        .map(|t| format!("tag {t}, "))
        .unwrap_or_default();
    let retired = if k.active { "" } else { ", retired" };
    format!("{} ({tag}{} units{retired})", k.name, k.units.len())
}

/// One kit by id, name or tag, letter case aside (retired ones too).
pub fn kit(l: &impl Ledger, reference: &str) -> Result<Kit, ToolError> {
    let r = required("kit (its name, tag or id)", reference)?;
    match kits::find_kit(l, r) {
        Ok(k) => Ok(k),
        Err(OpError::Ambiguous { .. }) => {
            let candidates = l
                .kits()?
                .iter()
                .filter(|k| {
                    same_key(&k.name, r) || k.tag.as_deref().is_some_and(|t| same_key(t, r))
                })
                .map(describe_kit)
                .collect();
            Err(ToolError::Ambiguous {
                what: "kits",
                reference: r.into(),
                candidates,
            })
        }
        Err(OpError::NotFound { .. }) => {
            let all = l.kits()?;
            Err(ToolError::NotFound {
                what: "kit",
                reference: r.into(),
                closest: closest(r, &all, kit_names)
                    .into_iter()
                    .map(describe_kit)
                    .collect(),
            })
        }
        Err(e) => Err(ToolError::Op(e)),
    }
}

/// Kits whose name or tag is close to `query` (a search), closest first; every kit,
/// by name, without one.
pub fn kits_like(l: &impl Ledger, query: Option<&str>) -> Result<Vec<Kit>, ToolError> {
    let all = l.kits()?;
    let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(all);
    };
    let mut m = Matcher::new(q);
    let mut ranked: Vec<(usize, Kit)> = all
        .into_iter()
        .filter_map(|k| m.best(kit_names(&k)).map(|s| (s, k)))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(ranked.into_iter().map(|(_, k)| k).collect())
}

/// One unit of `kit` by asset tag, name or id, looked for among the kit's units only
/// (a name other items use too is no trouble here). A unit outside the kit is refused
/// as such; an unknown one with the closest of the kit's units.
pub fn kit_unit(l: &impl Ledger, kit: &Kit, reference: &str) -> Result<Unit, ToolError> {
    let r = required("unit of the kit (its name, asset tag or id)", reference)?;
    let units = kit
        .units
        .iter()
        .map(|id| l.unit(*id))
        .collect::<Result<Vec<Unit>, OpError>>()?;
    let found: Vec<&Unit> = units
        .iter()
        .filter(|u| {
            u.id.to_string() == r
                || same_key(&u.name, r)
                || u.asset_tag.as_deref().is_some_and(|t| same_key(t, r))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            if let Ok(u) = l.find_unit(r) {
                return Err(ToolError::Refused(format!(
                    "{} is not a unit of the kit {}; its units: {}",
                    describe_unit(l, &u),
                    kit.name,
                    units
                        .iter()
                        .map(|u| u.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            Err(ToolError::NotFound {
                what: "unit",
                reference: format!("{r} (in the kit {})", kit.name),
                closest: closest(r, &units, unit_names)
                    .into_iter()
                    .map(|u| describe_unit(l, u))
                    .collect(),
            })
        }
        many => Err(ToolError::Ambiguous {
            what: "units",
            reference: r.into(),
            candidates: many.iter().map(|u| describe_unit(l, u)).collect(),
        }),
    }
}

/// A reservation in words that tell it apart: "1a2b3c4d: Camera 01 for Ana,
/// 2026-12-08 to 2026-12-10 (open)".
pub fn describe_reservation(l: &impl Ledger, r: &Reservation) -> Result<String, ToolError> {
    let v = reservations::view(l, r)?;
    Ok(format!(
        "{}: {} for {}, {} ({})",
        reservations::short_id(r.id),
        v.what(),
        v.person,
        v.days(),
        v.state
    ))
}

/// One reservation by its id or the end of it (8 characters or more: the `short_id`
/// lists show); several ending so are the candidates, none the closest of the live
/// ones from today on.
pub fn reservation(l: &impl Ledger, reference: &str) -> Result<Reservation, ToolError> {
    let r = required("reservation (its id or short_id)", reference)?;
    match reservations::find_reservation(l, r) {
        Ok(x) => Ok(x),
        Err(OpError::Ambiguous { .. }) => {
            let key = r.to_ascii_lowercase();
            let mut candidates = Vec::new();
            for x in l.reservations(&ReservationQuery::default())? {
                if x.id.to_string().ends_with(&key) {
                    candidates.push(describe_reservation(l, &x)?);
                }
            }
            Err(ToolError::Ambiguous {
                what: "reservations",
                reference: r.into(),
                candidates,
            })
        }
        Err(OpError::NotFound { .. }) => {
            let live = l.reservations(&ReservationQuery {
                from: Some(tagstation_core::clock::today()),
                live_only: true,
                ..ReservationQuery::default()
            })?;
            let ids: Vec<(String, String, &Reservation)> = live
                .iter()
                .map(|x| (reservations::short_id(x.id), x.id.to_string(), x))
                .collect();
            let mut shown = Vec::new();
            for (_, _, x) in closest(r, &ids, |(short, id, _)| vec![short.as_str(), id.as_str()]) {
                shown.push(describe_reservation(l, x)?);
            }
            Err(ToolError::NotFound {
                what: "reservation",
                reference: r.into(),
                closest: shown,
            })
        }
        Err(e) => Err(ToolError::Op(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms_forgive_case_spacing_and_leading_zeros() {
        assert_eq!(normalize("  Drill   03 "), "drill 3");
        assert_eq!(normalize("drill-3"), "drill 3");
        assert_eq!(normalize("TS-0100"), "ts 100");
        assert_eq!(normalize("Cable 10"), "cable 10");
        assert_eq!(normalize("0"), "0");
    }

    #[test]
    fn scores_rank_the_same_then_contained_then_typos() {
        assert_eq!(score("laptop", "laptop"), Some(0));
        assert_eq!(score("laptops", "laptop"), Some(1));
        assert_eq!(score("lpatop", "laptop"), Some(2), "a swap is one typo");
        assert_eq!(score("drill 3", "drill 4"), Some(2));
        assert_eq!(score("camera", "laptop"), None);
        assert_eq!(score("drlil 2", "drill 2"), Some(2));
        assert_eq!(
            score("ab", "abc"),
            Some(2),
            "short text: a typo, not containment"
        );
    }
}
