//! The tools, written once over `Ledger + Reads`: what each is called, what it tells an
//! assistant, which role may use it, and what it does ([`call`]). Every change runs
//! through a `tagstation-ops` operation with the actor `mcp:<who>`; reads go through
//! the store's views. Results are JSON; refusals are [`ToolError`]s in words an
//! assistant can act on (the candidates, the closest names, what to call instead).

use std::collections::BTreeMap;

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;
use serde_json::{json, Value};

use tagstation_core::catalog::{Item, Status, Tracking, Unit, UnitId, MAX_SEEDED_UNITS};
use tagstation_core::people::{Person, PersonId, Role};
use tagstation_core::view::{unit_view_with, UnitView};
use tagstation_ops::catalog::{adjust_quantity, change_unit, UnitChange};
use tagstation_ops::lending::{self, Action};
use tagstation_ops::reads::{Reads, UnitFilter};
use tagstation_ops::tracking::{check_fold, switch_tracking, Fold};
use tagstation_ops::{Actor, Ledger, OpError};

use crate::find;

/// Most units one answer lists.
pub const MAX_UNITS: usize = 200;
/// Units listed when the assistant does not say.
pub const DEFAULT_UNITS: usize = 50;

/// Who calls, as the tools see it: the role that decides which tools they have, the
/// actor history records, and the person behind a hub token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    pub actor: Actor,
    /// The person a hub token belongs to; `None` on a station's stdio, where nobody
    /// signs in.
    pub person: Option<Person>,
}

impl Caller {
    /// A station's own MCP server (stdio): every tool, recorded as `mcp:<name>` (the
    /// station's name, or the actor it was started with).
    pub fn station(name: &str) -> Caller {
        Caller {
            role: Role::Admin,
            actor: Actor::new(format!("mcp:{name}")),
            person: None,
        }
    }

    /// A person signed in with a token, acting with `person.role` (already capped by
    /// the token), recorded as `mcp:<their name>`.
    pub fn person(person: Person) -> Caller {
        Caller {
            role: person.role,
            actor: Actor::new(format!("mcp:{}", person.name)),
            person: Some(person),
        }
    }

    /// Is this a borrower acting for themselves only (not an operator)?
    fn borrower_only(&self) -> Option<&Person> {
        self.person.as_ref().filter(|_| self.role < Role::Operator)
    }
}

/// Why a tool call did not happen (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("no tool is called {0:?}")]
    UnknownTool(String),
    #[error("{tool} needs the {} role; this connection acts as {}", .needs.as_str(), .has.as_str())]
    NotAllowed {
        tool: &'static str,
        needs: Role,
        has: Role,
    },
    #[error("{0}")]
    Arguments(String),
    /// A change that needs an explicit `confirm: true`, or that this caller may not
    /// make, in words.
    #[error("{0}")]
    Refused(String),
    #[error("{reference:?} matches several {what}; name one of them (by tag, or with its item): {}", .candidates.join("; "))]
    Ambiguous {
        what: &'static str,
        reference: String,
        candidates: Vec<String>,
    },
    #[error("no {what} matches {reference:?}{}", closest_words(.closest))]
    NotFound {
        what: &'static str,
        reference: String,
        closest: Vec<String>,
    },
    #[error("{}", op_words(.0))]
    Op(#[from] OpError),
}

fn closest_words(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; the closest: {}", closest.join("; "))
    }
}

fn op_words(e: &OpError) -> String {
    match e {
        OpError::Storage { user, .. } => user.clone(),
        other => other.user_message(),
    }
}

impl ToolError {
    /// A short word for the kind of refusal, for a program reading the result.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolError::UnknownTool(_) => "unknown_tool",
            ToolError::NotAllowed { .. } => "not_allowed",
            ToolError::Arguments(_) => "bad_arguments",
            ToolError::Refused(_) => "refused",
            ToolError::Ambiguous { .. } => "ambiguous",
            ToolError::NotFound { .. } => "not_found",
            ToolError::Op(OpError::Storage { .. }) => "storage",
            ToolError::Op(_) => "refused",
        }
    }

    /// The refusal as JSON: its kind, the words, and the candidates or closest names.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"error": self.kind(), "message": self.to_string()});
        match self {
            ToolError::Ambiguous { candidates, .. } => v["candidates"] = json!(candidates),
            ToolError::NotFound { closest, .. } => v["closest"] = json!(closest),
            _ => {}
        }
        v
    }
}

/// Every tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    FindUnits,
    GetUnit,
    SetUnitStatus,
    CheckOut,
    CheckIn,
    MoveUnit,
    RetireUnit,
    ListItems,
    AdjustCount,
    SwitchTracking,
    WhoHasWhat,
    Overdue,
    LowStock,
    RecentActivity,
    Conflicts,
}

impl Tool {
    pub const ALL: [Tool; 15] = [
        Tool::FindUnits,
        Tool::GetUnit,
        Tool::ListItems,
        Tool::WhoHasWhat,
        Tool::Overdue,
        Tool::LowStock,
        Tool::RecentActivity,
        Tool::Conflicts,
        Tool::SetUnitStatus,
        Tool::CheckOut,
        Tool::CheckIn,
        Tool::MoveUnit,
        Tool::RetireUnit,
        Tool::AdjustCount,
        Tool::SwitchTracking,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::FindUnits => "find_units",
            Tool::GetUnit => "get_unit",
            Tool::SetUnitStatus => "set_unit_status",
            Tool::CheckOut => "check_out",
            Tool::CheckIn => "check_in",
            Tool::MoveUnit => "move_unit",
            Tool::RetireUnit => "retire_unit",
            Tool::ListItems => "list_items",
            Tool::AdjustCount => "adjust_count",
            Tool::SwitchTracking => "switch_tracking",
            Tool::WhoHasWhat => "who_has_what",
            Tool::Overdue => "overdue",
            Tool::LowStock => "low_stock",
            Tool::RecentActivity => "recent_activity",
            Tool::Conflicts => "conflicts",
        }
    }

    pub fn by_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    /// What an assistant reads to pick the tool.
    pub fn description(self) -> &'static str {
        match self {
            Tool::FindUnits => "Search the physical units (individually tracked things such as \"Drill 03\" or a laptop) by any mix of: free text matched against unit name and asset tag and item name (query), item, status, location, holder. Forgiving about letter case and small typos; returns a list, never changes anything. Use it for questions like \"which laptops are out for sending?\" (item=laptop, status=sending) or \"what is at Van 2?\". Statuses: in_stock, receiving, sending, damaged, checked_out.",
            Tool::GetUnit => "One unit in full (status, location, holder, due date, fields) with its history: what happened to it, when and by whom. Name it by asset tag, name or id; if the name is used by units of several items, give item too.",
            Tool::SetUnitStatus => "Set one unit's status to in_stock, receiving, sending or damaged (e.g. \"mark Drill 03 as damaged\"), with an optional reason. For lending use check_out/check_in; to take a unit out of service for good use retire_unit.",
            Tool::CheckOut => "Lend one or more units to a person (all of them or none), optionally due back on a date (YYYY-MM-DD; default: the person's usual loan length). A borrower's token checks out to its own person only.",
            Tool::CheckIn => "Take a lent unit back in (status becomes in_stock), optionally at a location. A borrower's token checks in only units lent to its own person.",
            Tool::MoveUnit => "Move one unit to a known location (by name or code). Does not change its status.",
            Tool::RetireUnit => "Retire a unit for good (sold, lost, written off): it leaves the totals and keeps its history. Destructive: call with confirm=true only after the user agreed.",
            Tool::ListItems => "The items (kinds of things, e.g. \"Laptop\", \"Screws M4\") with their totals by status, whether each is counted or tracked unit by unit, and whether it is below its reorder point. Optional query filters by name, SKU or barcode (forgiving).",
            Tool::AdjustCount => "Add or remove pieces of a counted item (not one tracked unit by unit): delta +10 received, -3 used, in a status (default in_stock), with an optional reason.",
            Tool::SwitchTracking => "Switch an item between counting pieces (to=count) and tracking each unit (to=units). Without confirm=true it changes nothing and returns a preview of what the switch would do (units created or folded, what would be discarded, why it is refused); show the preview to the user, then call again with confirm=true. Folding units that carry tags, fields or locations also needs discard=true.",
            Tool::WhoHasWhat => "Who has what now: units checked out, grouped by holder, with due dates; or one person's units (person).",
            Tool::Overdue => "Units checked out and past their due date, the longest overdue first, with their holders.",
            Tool::LowStock => "Items with fewer in stock than their reorder point.",
            Tool::RecentActivity => "The latest changes (scans, check-outs, status changes...), newest first, with who made them and when.",
            Tool::Conflicts => "Changes two stations made to the same unit while offline that the hub flagged for review (not yet reviewed).",
        }
    }

    /// The least role that may use the tool.
    pub fn role(self) -> Role {
        match self {
            Tool::CheckOut | Tool::CheckIn => Role::Borrower,
            Tool::SetUnitStatus | Tool::MoveUnit | Tool::RetireUnit | Tool::AdjustCount => {
                Role::Operator
            }
            Tool::SwitchTracking => Role::Admin,
            _ => Role::Viewer,
        }
    }

    pub fn read_only(self) -> bool {
        self.role() == Role::Viewer
    }

    /// Changes that cannot simply be undone: they need `confirm: true`.
    pub fn destructive(self) -> bool {
        matches!(self, Tool::RetireUnit | Tool::SwitchTracking)
    }

    /// The tools `role` may use.
    pub fn allowed(role: Role) -> impl Iterator<Item = Tool> {
        Tool::ALL.into_iter().filter(move |t| t.role() <= role)
    }

    /// The JSON schema of the tool's arguments.
    pub fn schema(self) -> schemars::Schema {
        match self {
            Tool::FindUnits => schemars::schema_for!(FindUnits),
            Tool::GetUnit => schemars::schema_for!(GetUnit),
            Tool::SetUnitStatus => schemars::schema_for!(SetUnitStatus),
            Tool::CheckOut => schemars::schema_for!(CheckOut),
            Tool::CheckIn => schemars::schema_for!(CheckIn),
            Tool::MoveUnit => schemars::schema_for!(MoveUnit),
            Tool::RetireUnit => schemars::schema_for!(RetireUnit),
            Tool::ListItems => schemars::schema_for!(ListItems),
            Tool::AdjustCount => schemars::schema_for!(AdjustCount),
            Tool::SwitchTracking => schemars::schema_for!(SwitchTracking),
            Tool::WhoHasWhat => schemars::schema_for!(WhoHasWhat),
            Tool::Overdue | Tool::LowStock | Tool::Conflicts => schemars::schema_for!(NoArguments),
            Tool::RecentActivity => schemars::schema_for!(RecentActivity),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindUnits {
    /// Free text: part of a unit's name or asset tag, or an item's name.
    pub query: Option<String>,
    /// The item (kind of thing), e.g. "laptop".
    pub item: Option<String>,
    /// in_stock, receiving, sending, damaged or checked_out (words like "out" or "in stock" work too).
    pub status: Option<String>,
    /// A location's name or code.
    pub location: Option<String>,
    /// The person who has the unit now.
    pub holder: Option<String>,
    /// At most this many units (default 50, at most 200).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUnit {
    /// The unit's asset tag, name (e.g. "Drill 03") or id.
    pub unit: String,
    /// The unit's item, when its name alone is used by several items.
    pub item: Option<String>,
    /// At most this many history entries, the latest (default 20).
    pub history: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUnitStatus {
    /// The unit's asset tag, name or id.
    pub unit: String,
    /// The unit's item, when its name alone is used by several items.
    pub item: Option<String>,
    /// in_stock, receiving, sending or damaged.
    pub status: String,
    /// Why, kept in history (e.g. "cracked housing", "repair").
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOut {
    /// The units to lend: asset tags, names or ids.
    pub units: Vec<String>,
    /// Their item, when a unit's name alone is used by several items.
    pub item: Option<String>,
    /// Who borrows them: a person's name or badge (a borrower's token: themselves).
    pub holder: Option<String>,
    /// Due back on this day, YYYY-MM-DD.
    pub due: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The unit's asset tag, name or id.
    pub unit: String,
    /// The unit's item, when its name alone is used by several items.
    pub item: Option<String>,
    /// Where it goes back to (a known location's name or code).
    pub location: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUnit {
    /// The unit's asset tag, name or id.
    pub unit: String,
    /// The unit's item, when its name alone is used by several items.
    pub item: Option<String>,
    /// A known location's name or code.
    pub location: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireUnit {
    /// The unit's asset tag, name or id.
    pub unit: String,
    /// The unit's item, when its name alone is used by several items.
    pub item: Option<String>,
    /// Why: "sold", "lost", "written off"...
    pub reason: Option<String>,
    /// true once the user agreed: retiring cannot be undone.
    pub confirm: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListItems {
    /// Part of an item's name, or its SKU or barcode.
    pub query: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustCount {
    /// The counted item: name, SKU or barcode.
    pub item: String,
    /// Pieces to add (positive) or remove (negative).
    pub delta: i64,
    /// The status the pieces are in (default in_stock).
    pub status: Option<String>,
    /// Why, kept in history.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchTracking {
    /// The item: name, SKU or barcode.
    pub item: String,
    /// "units" (track each unit) or "count" (count pieces).
    pub to: String,
    /// true to make the switch; without it, only the preview.
    #[serde(default)]
    pub confirm: bool,
    /// true to fold units whose tags, fields or locations would be discarded (history keeps them).
    #[serde(default)]
    pub discard: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhoHasWhat {
    /// One person (name or badge); everyone when left out.
    pub person: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecentActivity {
    /// How many changes (default 20, at most 200).
    pub limit: Option<u32>,
}

fn args<T: serde::de::DeserializeOwned>(tool: Tool, v: Value) -> Result<T, ToolError> {
    let v = if v.is_null() { json!({}) } else { v };
    serde_json::from_value(v).map_err(|e| ToolError::Arguments(format!("{}: {e}", tool.name())))
}

/// A status as an assistant may write it: "in stock", "In-Stock", "out", "damaged".
pub fn status(s: &str) -> Result<Status, ToolError> {
    let key = find::normalize(s).replace(' ', "_");
    let found = match key.as_str() {
        "in" | "instock" | "available" | "returned" => Some(Status::InStock),
        "out" | "lent" | "borrowed" | "checkedout" | "checked_out" | "on_loan" => {
            Some(Status::CheckedOut)
        }
        "received" | "incoming" => Some(Status::Receiving),
        "sent" | "send" | "outgoing" | "out_for_sending" => Some(Status::Sending),
        "broken" => Some(Status::Damaged),
        other => other.parse().ok(),
    };
    found.ok_or_else(|| {
        ToolError::Arguments(format!(
            "unknown status {s:?}; one of: in_stock, receiving, sending, damaged, checked_out"
        ))
    })
}

/// Run one tool for `caller`: refused unless their role allows it.
pub fn call<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    name: &str,
    arguments: Value,
) -> Result<Value, ToolError> {
    let tool = Tool::by_name(name).ok_or_else(|| ToolError::UnknownTool(name.into()))?;
    if tool.role() > caller.role {
        return Err(ToolError::NotAllowed {
            tool: tool.name(),
            needs: tool.role(),
            has: caller.role,
        });
    }
    let v = arguments;
    match tool {
        Tool::FindUnits => find_units(l, args(tool, v)?),
        Tool::GetUnit => get_unit(l, args(tool, v)?),
        Tool::ListItems => list_items(l, args(tool, v)?),
        Tool::WhoHasWhat => who_has_what(l, args(tool, v)?),
        Tool::Overdue => {
            args::<NoArguments>(tool, v)?;
            let units = l.unit_views(&UnitFilter {
                due_before: Some(tagstation_core::clock::today()),
                limit: MAX_UNITS,
                ..UnitFilter::default()
            })?;
            Ok(json!({"count": units.len(), "units": units}))
        }
        Tool::LowStock => {
            args::<NoArguments>(tool, v)?;
            let items: Vec<_> = l
                .item_views()?
                .into_iter()
                .filter(|i| i.below_reorder_point)
                .collect();
            Ok(json!({"count": items.len(), "items": items}))
        }
        Tool::RecentActivity => {
            let a: RecentActivity = args(tool, v)?;
            let limit = a.limit.map_or(20, |n| n as usize).clamp(1, MAX_UNITS);
            Ok(json!({"changes": l.recent(limit)?}))
        }
        Tool::Conflicts => {
            args::<NoArguments>(tool, v)?;
            let c = l.conflicts()?;
            Ok(json!({"count": c.len(), "conflicts": c}))
        }
        Tool::SetUnitStatus => set_unit_status(l, caller, args(tool, v)?),
        Tool::CheckOut => check_out(l, caller, args(tool, v)?),
        Tool::CheckIn => check_in(l, caller, args(tool, v)?),
        Tool::MoveUnit => {
            let a: MoveUnit = args(tool, v)?;
            let u = find::unit(l, &a.unit, a.item.as_deref())?;
            let place = find::location(l, &a.location)?;
            let done = lending::act(
                l,
                u.id,
                Action::Move {
                    location: place.id.to_string(),
                },
                &caller.actor,
                None,
            )?;
            Ok(json!({"message": done.message, "unit": view(l, &done.unit)}))
        }
        Tool::RetireUnit => {
            let a: RetireUnit = args(tool, v)?;
            let u = find::unit(l, &a.unit, a.item.as_deref())?;
            if !a.confirm {
                return Err(ToolError::Refused(format!(
                    "retiring {} cannot be undone; nothing changed. Ask the user, then call again with confirm=true",
                    find::describe_unit(l, &u)
                )));
            }
            change_unit(
                l,
                u.id,
                UnitChange::Retire { reason: a.reason },
                &caller.actor,
                None,
            )?;
            let after = l.unit(u.id)?;
            Ok(json!({"message": format!("{} retired", u.name), "unit": view(l, &after)}))
        }
        Tool::AdjustCount => adjust_count(l, caller, args(tool, v)?),
        Tool::SwitchTracking => tracking(l, caller, args(tool, v)?),
    }
}

/// A unit's view, its item read by id.
fn view(l: &impl Ledger, u: &Unit) -> UnitView {
    let item = l.item(u.item_id).ok();
    unit_view_with(u, item.as_ref(), &tagstation_core::clock::today())
}

fn find_units<L: Ledger + Reads>(l: &L, a: FindUnits) -> Result<Value, ToolError> {
    let limit = a
        .limit
        .map_or(DEFAULT_UNITS, |n| n as usize)
        .clamp(1, MAX_UNITS);
    let status = a.status.as_deref().map(status).transpose()?;
    let mut matched = BTreeMap::new();
    let items: Option<Vec<Item>> = match &a.item {
        Some(q) => {
            let found = find::items_like(l, q)?;
            if found.is_empty() {
                return Err(find::item(l, q)
                    .err()
                    .unwrap_or_else(|| ToolError::NotFound {
                        what: "item",
                        reference: q.clone(),
                        closest: Vec::new(),
                    }));
            }
            matched.insert(
                "items",
                json!(found.iter().map(|i| &i.name).collect::<Vec<_>>()),
            );
            Some(found)
        }
        None => None,
    };
    let holders: Option<Vec<PersonId>> = match &a.holder {
        Some(q) => {
            let found = find::people_like(l, q)?;
            if found.is_empty() {
                find::person(l, q)?;
            }
            matched.insert(
                "holders",
                json!(found.iter().map(|p| &p.name).collect::<Vec<_>>()),
            );
            Some(found.iter().map(|p| p.id).collect())
        }
        None => None,
    };
    let places = match &a.location {
        Some(q) => {
            let found = find::locations_like(l, q)?;
            if found.is_empty() {
                find::location(l, q)?;
            }
            matched.insert(
                "locations",
                json!(found.iter().map(|x| &x.name).collect::<Vec<_>>()),
            );
            Some(found.iter().map(|x| x.id).collect::<Vec<_>>())
        }
        None => None,
    };
    let mut units: Vec<UnitView> = Vec::new();
    let mut truncated = false;
    match a.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => {
            // Units whose name or tag is close, then the units of items whose name is.
            let mut m = find::Matcher::new(q);
            let mut ranked: Vec<(usize, UnitId)> = l
                .unit_keys()?
                .into_iter()
                .filter_map(|k| {
                    let mut names = vec![k.name.as_str()];
                    names.extend(k.asset_tag.as_deref());
                    m.best(names).map(|s| (s, k.id))
                })
                .collect();
            ranked.sort();
            // A unit named or tagged exactly so: those alone, not their neighbours.
            let exact = ranked.first().is_some_and(|(s, _)| *s == 0);
            if exact {
                ranked.retain(|(s, _)| *s == 0);
            }
            let by_item = if exact {
                Vec::new()
            } else {
                find::items_like(l, q)?
            };
            let keep = |u: &Unit| {
                u.active
                    && status.is_none_or(|s| u.status == s)
                    && items
                        .as_ref()
                        .is_none_or(|i| i.iter().any(|i| i.id == u.item_id))
                    && holders
                        .as_ref()
                        .is_none_or(|h| u.holder_id.is_some_and(|id| h.contains(&id)))
                    && places
                        .as_ref()
                        .is_none_or(|p| u.location_id.is_some_and(|id| p.contains(&id)))
            };
            let mut seen = std::collections::HashSet::new();
            for (_, id) in ranked {
                let u = l.unit(id)?;
                if keep(&u) && seen.insert(u.id) {
                    if units.len() == limit {
                        truncated = true;
                        break;
                    }
                    units.push(view(l, &u));
                }
            }
            for it in by_item {
                if truncated {
                    break;
                }
                for u in l.units_of_item(it.id)? {
                    if keep(&u) && seen.insert(u.id) {
                        if units.len() == limit {
                            truncated = true;
                            break;
                        }
                        units.push(view(l, &u));
                    }
                }
            }
        }
        None => {
            // Each combination of the items, holders and locations matched, in SQL.
            let one = |x: Option<Vec<uuid::Uuid>>| -> Vec<Option<uuid::Uuid>> {
                x.map_or(vec![None], |v| v.into_iter().map(Some).collect())
            };
            let item_ids = one(items.map(|v| v.iter().map(|i| i.id).collect()));
            for item in &item_ids {
                for holder in &one(holders.clone()) {
                    for location in &one(places.clone()) {
                        let want = limit + 1 - units.len().min(limit);
                        units.extend(l.unit_views(&UnitFilter {
                            item: *item,
                            status,
                            holder: *holder,
                            location: *location,
                            due_before: None,
                            limit: want,
                        })?);
                    }
                }
            }
            if units.len() > limit {
                units.truncate(limit);
                truncated = true;
            }
        }
    }
    Ok(json!({
        "count": units.len(),
        "truncated": truncated,
        "matched": matched,
        "units": units,
    }))
}

fn get_unit<L: Ledger + Reads>(l: &L, a: GetUnit) -> Result<Value, ToolError> {
    let u = find::unit(l, &a.unit, a.item.as_deref())?;
    let mut history = l.unit_history(u.id)?;
    let keep = a.history.map_or(20, |n| n as usize).clamp(1, MAX_UNITS);
    let skip = history.len().saturating_sub(keep);
    let earlier = skip;
    history.drain(..skip);
    Ok(json!({"unit": view(l, &u), "history": history, "earlier_entries": earlier}))
}

fn list_items<L: Ledger + Reads>(l: &L, a: ListItems) -> Result<Value, ToolError> {
    let mut views = l.item_views()?;
    if let Some(q) = a.query.as_deref().filter(|q| !q.trim().is_empty()) {
        let ids: Vec<_> = find::items_like(l, q)?.iter().map(|i| i.id).collect();
        views.retain(|v| ids.contains(&v.id));
        views.sort_by_key(|v| ids.iter().position(|id| *id == v.id));
    }
    Ok(json!({"count": views.len(), "items": views}))
}

fn who_has_what<L: Ledger + Reads>(l: &L, a: WhoHasWhat) -> Result<Value, ToolError> {
    let filter = match &a.person {
        Some(p) => UnitFilter {
            holder: Some(find::person(l, p)?.id),
            status: Some(Status::CheckedOut),
            limit: MAX_UNITS * 10,
            ..UnitFilter::default()
        },
        None => UnitFilter {
            status: Some(Status::CheckedOut),
            limit: MAX_UNITS * 10,
            ..UnitFilter::default()
        },
    };
    let mut by: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for u in l.unit_views(&filter)? {
        by.entry(u.holder.clone().unwrap_or_default())
            .or_default()
            .push(json!({
                "unit": u.name, "item": u.item, "asset_tag": u.asset_tag,
                "due": u.due, "overdue": u.overdue, "id": u.id,
            }));
    }
    let holders: Vec<Value> = by
        .into_iter()
        .map(|(holder, units)| json!({"holder": holder, "count": units.len(), "units": units}))
        .collect();
    Ok(json!({"holders": holders}))
}

fn set_unit_status<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: SetUnitStatus,
) -> Result<Value, ToolError> {
    let to = status(&a.status)?;
    match to {
        Status::CheckedOut => {
            return Err(ToolError::Arguments(
                "to lend a unit use check_out (it names the borrower)".into(),
            ))
        }
        Status::Retired => {
            return Err(ToolError::Arguments(
                "to retire a unit use retire_unit (it needs confirm=true)".into(),
            ))
        }
        _ => {}
    }
    let u = find::unit(l, &a.unit, a.item.as_deref())?;
    change_unit(
        l,
        u.id,
        UnitChange::Status {
            to,
            reason: a.reason,
        },
        &caller.actor,
        None,
    )?;
    let after = l.unit(u.id)?;
    Ok(json!({
        "message": format!("{} set to {}", after.name, to.label().to_lowercase()),
        "unit": view(l, &after),
    }))
}

fn check_out<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: CheckOut,
) -> Result<Value, ToolError> {
    if a.units.is_empty() {
        return Err(ToolError::Arguments("name the units to check out".into()));
    }
    let holder = match (caller.borrower_only(), &a.holder) {
        (Some(me), Some(h)) => {
            let p = find::person(l, h)?;
            if p.id != me.id {
                return Err(ToolError::Refused(format!(
                    "a borrower checks out to themselves only ({}); ask an operator to lend to {}",
                    me.name, p.name
                )));
            }
            p
        }
        (Some(me), None) => me.clone(),
        (None, Some(h)) => find::person(l, h)?,
        (None, None) => {
            return Err(ToolError::Arguments(
                "name the holder: who borrows the units".into(),
            ))
        }
    };
    let mut ids = Vec::new();
    for r in &a.units {
        let u = find::unit(l, r, a.item.as_deref())?;
        if !ids.contains(&u.id) {
            ids.push(u.id);
        }
    }
    let n = lending::check_out(
        l,
        &ids,
        &holder.id.to_string(),
        a.due.as_deref(),
        &caller.actor,
    )?;
    let units: Vec<UnitView> = ids
        .iter()
        .map(|id| l.unit(*id).map(|u| view(l, &u)))
        .collect::<Result<_, OpError>>()?;
    Ok(json!({
        "message": format!("{n} checked out to {}", holder.name),
        "units": units,
    }))
}

fn check_in<L: Ledger + Reads>(l: &mut L, caller: &Caller, a: CheckIn) -> Result<Value, ToolError> {
    let u = find::unit(l, &a.unit, a.item.as_deref())?;
    if let Some(me) = caller.borrower_only() {
        if u.holder_id != Some(me.id) {
            return Err(ToolError::Refused(format!(
                "{} is not checked out to {}; a borrower checks in their own units only",
                u.name, me.name
            )));
        }
    }
    let location = match &a.location {
        Some(loc) => Some(find::location(l, loc)?.id.to_string()),
        None => None,
    };
    let done = lending::check_in(l, u.id, location, &caller.actor, None)?;
    Ok(json!({"message": done.message, "unit": view(l, &done.unit)}))
}

fn adjust_count<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: AdjustCount,
) -> Result<Value, ToolError> {
    let it = find::item(l, &a.item)?;
    if it.tracking == Tracking::Units {
        return Err(ToolError::Refused(format!(
            "{} is tracked unit by unit: its totals come from its units (set a unit's status, or switch tracking to count)",
            it.name
        )));
    }
    if a.delta == 0 {
        return Err(ToolError::Arguments("delta must not be 0".into()));
    }
    let st = a
        .status
        .as_deref()
        .map(status)
        .transpose()?
        .unwrap_or(Status::InStock);
    adjust_quantity(l, it.id, st, a.delta, a.reason, &caller.actor)?;
    let view = l.item_views()?.into_iter().find(|v| v.id == it.id);
    Ok(json!({
        "message": format!("{} {:+} {}", it.name, a.delta, st.label().to_lowercase()),
        "item": view,
    }))
}

fn tracking<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: SwitchTracking,
) -> Result<Value, ToolError> {
    let it = find::item(l, &a.item)?;
    let to = match find::normalize(&a.to).as_str() {
        "units" | "unit" | "individually" | "each unit" => Tracking::Units,
        "count" | "counts" | "pieces" | "quantity" => Tracking::Count,
        _ => {
            return Err(ToolError::Arguments(format!(
                "to must be \"units\" or \"count\", not {:?}",
                a.to
            )))
        }
    };
    if it.tracking == to {
        return Err(ToolError::Refused(format!(
            "{} is already tracked as {}",
            it.name,
            to.as_str()
        )));
    }
    // The preview: what the switch would do, or why it would be refused.
    let (preview, ok, needs_discard) = match to {
        Tracking::Units => {
            let n = it.counts.total();
            if n > MAX_SEEDED_UNITS {
                (
                    format!(
                        "refused: {n} pieces would become {n} units, more than {MAX_SEEDED_UNITS}"
                    ),
                    false,
                    false,
                )
            } else {
                (format!("creates {n} units of {}, one per piece counted, each in the status its piece had", it.name), true, false)
            }
        }
        Tracking::Count => {
            let units = l.units_of_item(it.id)?;
            match check_fold(&it.name, &units, Fold::Safe) {
                Ok(_) => (format!("folds {} units of {} back into counts by status", units.len(), it.name), true, false),
                Err(e @ OpError::FoldCheckedOut { .. }) => (format!("refused: {}", e.user_message()), false, false),
                Err(OpError::FoldDiscards { units: carrying, .. }) => (
                    format!(
                        "folds {} units of {} into counts and discards what these carry (history keeps it): {}",
                        units.len(),
                        it.name,
                        carrying.join("; ")
                    ),
                    true,
                    true,
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    if !a.confirm || !ok || (needs_discard && !a.discard) {
        let next = if !ok {
            "This switch cannot be made now."
        } else if needs_discard {
            "Nothing changed. Show this to the user; to switch, call again with confirm=true and discard=true."
        } else {
            "Nothing changed. Show this to the user; to switch, call again with confirm=true."
        };
        return Ok(json!({
            "switched": false,
            "item": it.name,
            "from": it.tracking.as_str(),
            "to": to.as_str(),
            "preview": preview,
            "needs_discard": needs_discard,
            "message": next,
        }));
    }
    let fold = if a.discard { Fold::Force } else { Fold::Safe };
    let rec = switch_tracking(l, it.id, to, fold, &caller.actor)?;
    Ok(json!({
        "switched": true,
        "item": it.name,
        "to": to.as_str(),
        "units": rec.units.len(),
        "message": format!("{} is now tracked as {}", it.name, to.as_str()),
    }))
}
