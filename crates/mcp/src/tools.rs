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
use tagstation_core::kits::Kit;
use tagstation_core::people::{Person, PersonId, Role};
use tagstation_core::reservations::ReservationQuery;
use tagstation_core::view::{unit_view_with, UnitView};
use tagstation_ops::catalog::{adjust_quantity, change_unit, UnitChange};
use tagstation_ops::kits::{self, KitView};
use tagstation_ops::lending::{self, Action};
use tagstation_ops::reads::{Reads, UnitFilter};
use tagstation_ops::reservations::{self, NewReservation, ReservationView};
use tagstation_ops::tracking::{check_fold, switch_tracking, Fold};
use tagstation_ops::{Actor, Ledger, OpError};

use crate::find;

/// Most units one answer lists.
pub const MAX_UNITS: usize = 200;
/// Units listed when the assistant does not say.
pub const DEFAULT_UNITS: usize = 50;
/// Most reservations one answer lists.
pub const MAX_RESERVATIONS: usize = 200;

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
    /// A check-out that would break someone else's reservation; nothing was lent.
    #[error("{unit} is {held} (reservation {}); nothing was checked out. {}", reservations::short_id(*.reservation), .next)]
    Reserved {
        unit: String,
        /// "reserved for Ana from 2026-12-08 to 2026-12-10".
        held: String,
        reservation: uuid::Uuid,
        /// What may be done about it, for this caller.
        next: &'static str,
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
            ToolError::Reserved { .. } => "reserved",
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
            ToolError::Reserved {
                unit,
                held,
                reservation,
                ..
            } => {
                v["unit"] = json!(unit);
                v["held"] = json!(held);
                v["reservation"] = json!(reservation);
                v["short_id"] = json!(reservations::short_id(*reservation));
            }
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
    Reserve,
    ListReservations,
    CancelReservation,
    ListKits,
    GetKit,
    CheckOutKit,
    CheckInKit,
}

impl Tool {
    pub const ALL: [Tool; 22] = [
        Tool::FindUnits,
        Tool::GetUnit,
        Tool::ListItems,
        Tool::WhoHasWhat,
        Tool::Overdue,
        Tool::LowStock,
        Tool::RecentActivity,
        Tool::Conflicts,
        Tool::ListReservations,
        Tool::ListKits,
        Tool::GetKit,
        Tool::SetUnitStatus,
        Tool::CheckOut,
        Tool::CheckIn,
        Tool::CheckOutKit,
        Tool::CheckInKit,
        Tool::Reserve,
        Tool::CancelReservation,
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
            Tool::Reserve => "reserve",
            Tool::ListReservations => "list_reservations",
            Tool::CancelReservation => "cancel_reservation",
            Tool::ListKits => "list_kits",
            Tool::GetKit => "get_kit",
            Tool::CheckOutKit => "check_out_kit",
            Tool::CheckInKit => "check_in_kit",
        }
    }

    pub fn by_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    /// What an assistant reads to pick the tool.
    pub fn description(self) -> &'static str {
        match self {
            Tool::FindUnits => "Search the physical units (individually tracked things such as \"Drill 03\" or a laptop) by any mix of: free text matched against unit name and asset tag and item name (query), item, status, location, holder. Forgiving about letter case and small typos; returns a list, never changes anything. Use it for questions like \"which laptops are out for sending?\" (item=laptop, status=sending) or \"what is at Van 2?\". Statuses: in_stock, receiving, sending, damaged, checked_out.",
            Tool::GetUnit => "One unit in full (status, location, holder, due date, fields, the kit it belongs to) with its history: what happened to it, when and by whom, and its open reservations from today on. Name it by asset tag, name or id; if the name is used by units of several items, give item too.",
            Tool::SetUnitStatus => "Set one unit's status to in_stock, receiving, sending or damaged (e.g. \"mark Drill 03 as damaged\"), with an optional reason. For lending use check_out/check_in; to take a unit out of service for good use retire_unit.",
            Tool::CheckOut => "Lend one or more units to a person (all of them or none), optionally due back on a date (YYYY-MM-DD; default: the end of the person's own reservation it picks up, else their usual loan length). A borrower's token checks out to its own person only. A check-out that would break someone else's reservation is refused with the reservation named (error \"reserved\"); an operator may lend anyway with override_reservation=true once the user agreed, which is recorded on the reservation.",
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
            Tool::Reserve => "Reserve units for a person for whole days (YYYY-MM-DD, both ends included; ends defaults to starts; from today on): particular units (units: tags, names or ids, all of one item), a number of any units of an item (item and count, default 1), or a whole kit (kit: every unit of it, one reservation per item, returned as reservations). Refused, naming the reservation in the way, when it clashes with one already made. A borrower's token reserves for its own person only. Returns the reservation with its id.",
            Tool::ListReservations => "Reservations (who holds which units of which item on which days, open or picked up), by first day; filters: item, person, from and to (YYYY-MM-DD; from defaults to today, so past ones are left out), include_cancelled. Each has an id and the short_id people see in lists.",
            Tool::CancelReservation => "Cancel a reservation (by its id or short_id, from list_reservations), with an optional reason; it then holds nothing. Destructive: call with confirm=true only after the user agreed. A borrower's token cancels its own person's reservations only.",
            Tool::ListKits => "The kits (named sets of units lent and taken back together, e.g. \"Camera kit A\": a body, lenses, batteries, with a tag of its own), each with its units (status, holder) and its state: all_in (ready to go out), out, partly_in, incomplete (returned without some units: missing names them) or retired. Optional query filters by kit name or tag (forgiving).",
            Tool::GetKit => "One kit by name, tag or id: its units with their status and holder, its state (all_in, out, partly_in, incomplete, retired) and the units missing since its last return.",
            Tool::CheckOutKit => "Lend a whole kit (by name, tag or id) to a person: every unit of it, or none (a unit not in stock is named and nothing is lent), optionally due back on a date (YYYY-MM-DD). A check-out that would break someone else's reservation of one of its units is refused with the reservation named (error \"reserved\"); lend anyway with override_reservation=true once the user agreed, which is recorded on the reservation.",
            Tool::CheckInKit => "Take a lent kit back (by name, tag or id), optionally at a location: its units that are out are checked in, except those listed in missing (units that did not come back, by tag or name), which stay out and are recorded on the kit, so it shows as incomplete until they are checked in (check_in). Returns the units checked in and those still missing.",
        }
    }

    /// The least role that may use the tool.
    pub fn role(self) -> Role {
        match self {
            Tool::CheckOut | Tool::CheckIn | Tool::Reserve | Tool::CancelReservation => {
                Role::Borrower
            }
            Tool::SetUnitStatus
            | Tool::MoveUnit
            | Tool::RetireUnit
            | Tool::AdjustCount
            | Tool::CheckOutKit
            | Tool::CheckInKit => Role::Operator,
            Tool::SwitchTracking => Role::Admin,
            _ => Role::Viewer,
        }
    }

    pub fn read_only(self) -> bool {
        self.role() == Role::Viewer
    }

    /// Changes that cannot simply be undone: they need `confirm: true`.
    pub fn destructive(self) -> bool {
        matches!(
            self,
            Tool::RetireUnit | Tool::SwitchTracking | Tool::CancelReservation
        )
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
            Tool::Reserve => schemars::schema_for!(Reserve),
            Tool::ListReservations => schemars::schema_for!(ListReservations),
            Tool::CancelReservation => schemars::schema_for!(CancelReservation),
            Tool::ListKits => schemars::schema_for!(ListKits),
            Tool::GetKit => schemars::schema_for!(GetKit),
            Tool::CheckOutKit => schemars::schema_for!(CheckOutKit),
            Tool::CheckInKit => schemars::schema_for!(CheckInKit),
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
    /// true to lend even though it breaks someone else's reservation (operators only,
    /// once the user agreed; recorded on the reservation).
    #[serde(default)]
    pub override_reservation: bool,
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reserve {
    /// The item (kind of thing) to reserve any `count` units of, e.g. "camera kit"; with units, their item when a unit's name alone is used by several items.
    pub item: Option<String>,
    /// Particular units to reserve: asset tags, names or ids, all of one item.
    #[serde(default)]
    pub units: Vec<String>,
    /// How many units of the item, when no units are named (default 1).
    pub count: Option<i64>,
    /// For whom: a person's name or badge (a borrower's token: themselves).
    pub person: Option<String>,
    /// The first day, YYYY-MM-DD (today or later).
    pub starts: String,
    /// The last day, included, YYYY-MM-DD (default: the first day).
    pub ends: Option<String>,
    /// A note kept with the reservation (e.g. "for the Harbour shoot").
    pub note: Option<String>,
    /// Instead of units or an item: a whole kit (name, tag or id), every unit of it,
    /// one reservation per item, each noted with the kit's name.
    pub kit: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListReservations {
    /// Only this item's reservations (name, SKU or barcode).
    pub item: Option<String>,
    /// Only this person's reservations (name or badge).
    pub person: Option<String>,
    /// Only those still holding a day on or after this day, YYYY-MM-DD (default today).
    pub from: Option<String>,
    /// Only those starting on or before this day, YYYY-MM-DD.
    pub to: Option<String>,
    /// true to list cancelled reservations too.
    #[serde(default)]
    pub include_cancelled: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelReservation {
    /// The reservation's id, or its short_id (the last 8 characters of the id).
    pub reservation: String,
    /// Why, kept in history.
    pub reason: Option<String>,
    /// true once the user agreed: a cancelled reservation cannot be reopened.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListKits {
    /// Part of a kit's name or its tag; every kit when left out.
    pub query: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetKit {
    /// The kit's name, tag or id.
    pub kit: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOutKit {
    /// The kit's name, tag or id.
    pub kit: String,
    /// Who borrows it: a person's name or badge.
    pub holder: String,
    /// Due back on this day, YYYY-MM-DD.
    pub due: Option<String>,
    /// true to lend even though it breaks someone else's reservation (once the user
    /// agreed; recorded on the reservation).
    #[serde(default)]
    pub override_reservation: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInKit {
    /// The kit's name, tag or id.
    pub kit: String,
    /// Units of the kit that did not come back (asset tags, names or ids): they stay
    /// checked out and the kit shows as incomplete. Left out: everything came back.
    #[serde(default)]
    pub missing: Vec<String>,
    /// Where the units go back to (a known location's name or code).
    pub location: Option<String>,
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
        Tool::Reserve => reserve(l, caller, args(tool, v)?),
        Tool::ListReservations => list_reservations(l, args(tool, v)?),
        Tool::CancelReservation => cancel_reservation(l, caller, args(tool, v)?),
        Tool::ListKits => {
            let a: ListKits = args(tool, v)?;
            let kits = find::kits_like(l, a.query.as_deref())?
                .iter()
                .map(|k| kit_json(l, k))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json!({"count": kits.len(), "kits": kits}))
        }
        Tool::GetKit => {
            let a: GetKit = args(tool, v)?;
            let k = find::kit(l, &a.kit)?;
            Ok(json!({"kit": kit_json(l, &k)?}))
        }
        Tool::CheckOutKit => check_out_kit(l, caller, args(tool, v)?),
        Tool::CheckInKit => check_in_kit(l, caller, args(tool, v)?),
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
    let reserved: Vec<Value> = reservations::upcoming_for_unit(l, &u)?
        .iter()
        .map(reservation_json)
        .collect();
    let kit = kits::kit_of(l, u.id)?.map(|k| json!({"id": k.id, "name": k.name, "tag": k.tag}));
    Ok(json!({
        "unit": view(l, &u),
        "kit": kit,
        "history": history,
        "earlier_entries": earlier,
        "reservations": reserved,
    }))
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
    if a.override_reservation && caller.role < Role::Operator {
        return Err(ToolError::Refused(format!(
            "only an operator may lend over someone else's reservation; this connection acts as {}. Nothing was checked out",
            caller.role.as_str()
        )));
    }
    let mut ids = Vec::new();
    for r in &a.units {
        let u = find::unit(l, r, a.item.as_deref())?;
        if !ids.contains(&u.id) {
            ids.push(u.id);
        }
    }
    let who = holder.id.to_string();
    let (n, overridden) = lend_minding_reservations(
        l,
        caller,
        Tool::CheckOut,
        a.override_reservation,
        |l, over| lending::lend(l, &ids, &who, a.due.as_deref(), over, &caller.actor),
    )?;
    let units: Vec<UnitView> = ids
        .iter()
        .map(|id| l.unit(*id).map(|u| view(l, &u)))
        .collect::<Result<_, OpError>>()?;
    let mut out = json!({"units": units});
    let message = format!("{n} checked out to {}", holder.name);
    with_override(&mut out, message, overridden);
    Ok(out)
}

/// A reservation a check-out broke with the override: the unit, what held it, which.
type Overridden = (String, String, uuid::Uuid);

/// Lend (`lend(l, over_reservation)`) plainly when it breaks no reservation; when it
/// would, refused with the reservation named unless `override_reservation`, then lent
/// over it and what it broke returned (nothing is recorded by a refused attempt).
fn lend_minding_reservations<L: Ledger>(
    l: &mut L,
    caller: &Caller,
    tool: Tool,
    override_reservation: bool,
    mut lend: impl FnMut(&mut L, bool) -> Result<usize, OpError>,
) -> Result<(usize, Option<Overridden>), ToolError> {
    match lend(l, false) {
        Ok(n) => Ok((n, None)),
        Err(OpError::Reserved {
            unit,
            held,
            reservation,
        }) => {
            if !override_reservation {
                return Err(ToolError::Reserved {
                    unit,
                    held,
                    reservation,
                    next: match (caller.role >= Role::Operator, tool) {
                        (true, Tool::CheckOutKit) => "An operator may lend the kit anyway: ask the user, then call check_out_kit again with override_reservation=true (recorded on the reservation).",
                        (true, _) => "An operator may lend it anyway: ask the user, then call check_out again with override_reservation=true (recorded on the reservation).",
                        (false, _) => "An operator may override the reservation and lend it anyway (this connection may not); ask one, or choose other units.",
                    },
                });
            }
            Ok((lend(l, true)?, Some((unit, held, reservation))))
        }
        Err(e) => Err(e.into()),
    }
}

/// A check-out's answer: its message, and the reservation it broke with the override
/// named in both.
fn with_override(out: &mut Value, mut message: String, overridden: Option<Overridden>) {
    if let Some((unit, held, reservation)) = overridden {
        let short = reservations::short_id(reservation);
        message.push_str(&format!(
            ", over the reservation {short} ({unit} was {held})"
        ));
        out["overridden"] = json!({
            "unit": unit,
            "held": held,
            "reservation": reservation,
            "short_id": short,
        });
    }
    out["message"] = json!(message);
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

/// A reservation as the tools answer it: its view, with the short id lists show.
fn reservation_json(v: &ReservationView) -> Value {
    let mut out = json!(v);
    out["short_id"] = json!(reservations::short_id(v.id));
    out["what"] = json!(v.what());
    out["days"] = json!(v.days());
    out
}

/// Refuse a day that is not `YYYY-MM-DD`.
fn day(name: &str, d: &str) -> Result<String, ToolError> {
    let d = d.trim();
    tagstation_core::catalog::check_date(d)
        .map_err(|e| ToolError::Arguments(format!("{name}: {e} (YYYY-MM-DD)")))?;
    Ok(d.to_string())
}

fn reserve<L: Ledger + Reads>(l: &mut L, caller: &Caller, a: Reserve) -> Result<Value, ToolError> {
    let person = match (caller.borrower_only(), &a.person) {
        (Some(me), Some(p)) => {
            let p = find::person(l, p)?;
            if p.id != me.id {
                return Err(ToolError::Refused(format!(
                    "a borrower reserves for themselves only ({}); ask an operator to reserve for {}",
                    me.name, p.name
                )));
            }
            p
        }
        (Some(me), None) => me.clone(),
        (None, Some(p)) => find::person(l, p)?,
        (None, None) => {
            return Err(ToolError::Arguments(
                "name the person the reservation is for".into(),
            ))
        }
    };
    if let Some(kit) = a.kit.as_deref().filter(|k| !k.trim().is_empty()) {
        if a.item.is_some() || !a.units.is_empty() || a.count.is_some() {
            return Err(ToolError::Arguments(
                "give a kit, or units or an item, not both".into(),
            ));
        }
        let k = find::kit(l, kit)?;
        let days = reservations::Days {
            starts: a.starts,
            ends: a.ends,
            note: a.note,
        };
        let made =
            reservations::reserve_kit(l, k.id, &person.id.to_string(), &days, &caller.actor)?;
        let views = made
            .iter()
            .map(|r| reservations::view(l, r))
            .collect::<Result<Vec<_>, _>>()?;
        let days = views.first().map(|v| v.days()).unwrap_or_default();
        return Ok(json!({
            "message": format!(
                "Reserved the kit {} for {} ({days}): {} reservations, one per item",
                k.name,
                person.name,
                views.len()
            ),
            "reservations": views.iter().map(reservation_json).collect::<Vec<_>>(),
        }));
    }
    let item = a.item.as_deref().filter(|i| !i.trim().is_empty());
    let mut units = Vec::new();
    for r in &a.units {
        let u = find::unit(l, r, item)?;
        let id = u.id.to_string();
        if !units.contains(&id) {
            units.push(id);
        }
    }
    let item = match item {
        Some(i) => Some(find::item(l, i)?.id.to_string()),
        None if units.is_empty() => {
            return Err(ToolError::Arguments(
                "say what to reserve: an item (with a count), or units".into(),
            ))
        }
        None => None,
    };
    let made = reservations::reserve(
        l,
        NewReservation {
            item,
            units,
            count: a.count,
            person: person.id.to_string(),
            starts: a.starts,
            ends: a.ends,
            note: a.note,
        },
        &caller.actor,
    )?;
    let v = reservations::view(l, &made)?;
    Ok(json!({
        "message": format!(
            "Reserved {} for {} ({}), reservation {}",
            v.what(),
            v.person,
            v.days(),
            reservations::short_id(v.id)
        ),
        "reservation": reservation_json(&v),
    }))
}

fn list_reservations<L: Ledger + Reads>(l: &L, a: ListReservations) -> Result<Value, ToolError> {
    let item = match a.item.as_deref().filter(|i| !i.trim().is_empty()) {
        Some(i) => Some(find::item(l, i)?),
        None => None,
    };
    let person = match a.person.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Some(find::person(l, p)?),
        None => None,
    };
    let from = match a.from.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => day("from", d)?,
        None => tagstation_core::clock::today(),
    };
    let to = match a.to.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(day("to", d)?),
        None => None,
    };
    let q = ReservationQuery {
        item: item.as_ref().map(|i| i.id),
        person: person.as_ref().map(|p| p.id),
        from: Some(from.clone()),
        to: to.clone(),
        live_only: !a.include_cancelled,
    };
    let mut views = reservations::list(l, &q)?;
    let truncated = views.len() > MAX_RESERVATIONS;
    views.truncate(MAX_RESERVATIONS);
    let mut matched = serde_json::Map::new();
    if let Some(i) = &item {
        matched.insert("item".into(), json!(i.name));
    }
    if let Some(p) = &person {
        matched.insert("person".into(), json!(p.name));
    }
    matched.insert("from".into(), json!(from));
    if let Some(t) = &to {
        matched.insert("to".into(), json!(t));
    }
    Ok(json!({
        "count": views.len(),
        "truncated": truncated,
        "matched": matched,
        "reservations": views.iter().map(reservation_json).collect::<Vec<_>>(),
    }))
}

fn cancel_reservation<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: CancelReservation,
) -> Result<Value, ToolError> {
    let r = find::reservation(l, &a.reservation)?;
    let v = reservations::view(l, &r)?;
    if let Some(me) = caller.borrower_only() {
        if r.fields.person_id != me.id {
            return Err(ToolError::Refused(format!(
                "reservation {} is {}'s; a borrower cancels their own reservations only",
                reservations::short_id(r.id),
                v.person
            )));
        }
    }
    let what = format!(
        "the reservation {} ({} for {}, {})",
        reservations::short_id(r.id),
        v.what(),
        v.person,
        v.days()
    );
    if !a.confirm {
        return Err(ToolError::Refused(format!(
            "cancelling {what} cannot be undone; nothing changed. Ask the user, then call again with confirm=true"
        )));
    }
    let done = reservations::cancel(l, &r.id.to_string(), a.reason, &caller.actor)?;
    let after = reservations::view(l, &done)?;
    Ok(json!({
        "message": format!("Cancelled {what}"),
        "reservation": reservation_json(&after),
    }))
}

/// A kit's state in one word: retired, incomplete (returned without some units, still
/// out), all_in (ready to go out), out (units of it are out) or partly_in.
fn kit_state(v: &KitView) -> &'static str {
    if !v.active {
        "retired"
    } else if !v.missing.is_empty() {
        "incomplete"
    } else if v.all_in() {
        "all_in"
    } else if v.out() {
        "out"
    } else {
        "partly_in"
    }
}

/// A kit as the tools answer it: its view (units with status and holder, `missing`),
/// its state and how many of its units are out.
fn kit_json(l: &impl Ledger, k: &Kit) -> Result<Value, ToolError> {
    let v = kits::view(l, k)?;
    let mut out = json!(v);
    out["state"] = json!(kit_state(&v));
    out["units_out"] = json!(v
        .units
        .iter()
        .filter(|u| u.status == Status::CheckedOut)
        .count());
    Ok(out)
}

fn check_out_kit<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: CheckOutKit,
) -> Result<Value, ToolError> {
    let k = find::kit(l, &a.kit)?;
    let holder = find::person(l, &a.holder)?;
    let who = holder.id.to_string();
    let (n, overridden) = lend_minding_reservations(
        l,
        caller,
        Tool::CheckOutKit,
        a.override_reservation,
        |l, over| {
            let lend = Action::lend(&who, a.due.clone(), over);
            kits::check_out_kit(l, k.id, lend, &caller.actor, None)
        },
    )?;
    let after = l.kit(k.id)?;
    let mut out = json!({"kit": kit_json(l, &after)?});
    let message = format!(
        "The kit {} ({n} units) checked out to {}",
        k.name, holder.name
    );
    with_override(&mut out, message, overridden);
    Ok(out)
}

fn check_in_kit<L: Ledger + Reads>(
    l: &mut L,
    caller: &Caller,
    a: CheckInKit,
) -> Result<Value, ToolError> {
    let k = find::kit(l, &a.kit)?;
    let mut missing: Vec<UnitId> = Vec::new();
    for r in &a.missing {
        let u = find::kit_unit(l, &k, r)?;
        if u.status != Status::CheckedOut {
            return Err(ToolError::Refused(format!(
                "{} is {}, not out: only a unit that went out can be missing. Nothing was checked in",
                u.name,
                u.status.label().to_lowercase()
            )));
        }
        if !missing.contains(&u.id) {
            missing.push(u.id);
        }
    }
    let location = match &a.location {
        Some(loc) => Some(find::location(l, loc)?.id.to_string()),
        None => None,
    };
    // What came back: every unit of the kit but those named missing.
    let present: Option<Vec<UnitId>> = (!missing.is_empty()).then(|| {
        k.units
            .iter()
            .copied()
            .filter(|u| !missing.contains(u))
            .collect()
    });
    let back = kits::check_in_kit(l, k.id, present.as_deref(), location, &caller.actor, None)?;
    let after = l.kit(k.id)?;
    let mut message = format!("The kit {}: {} checked in", back.kit, back.checked_in.len());
    if !back.missing.is_empty() {
        message.push_str(&format!(
            "; missing: {} (still out; the kit is incomplete until checked in)",
            back.missing.join(", ")
        ));
    }
    Ok(json!({
        "message": message,
        "checked_in": back.checked_in,
        "missing": back.missing,
        "kit": kit_json(l, &after)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use tagstation_core::people::PersonFields;
    use tagstation_ops::catalog::{add_unit, create_item, NewItem, NewUnit};
    use tagstation_ops::people::add_person;
    use tagstation_station::store::Store;

    fn actor() -> Actor {
        Actor::new("test")
    }

    struct Shop {
        store: Store,
        ana: Caller,
        bo: Caller,
        olga: Caller,
        _dir: tempfile::TempDir,
    }

    /// A station (it manages its people: no hub) with Camera 01-02 (CAM-1, CAM-2),
    /// borrowers Ana and Bo and the operator Olga, each as a token's caller.
    fn shop() -> Shop {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("station")).expect("station");
        let mut callers = Vec::new();
        for (name, role) in [
            ("Ana", Role::Borrower),
            ("Bo", Role::Borrower),
            ("Olga", Role::Operator),
        ] {
            let fields = PersonFields {
                name: name.into(),
                badges: Vec::new(),
                email: None,
                role,
                active: true,
                max_checkouts: None,
                loan_days: None,
            };
            let p = add_person(&mut store, fields, &actor()).expect("person");
            callers.push(Caller::person(p));
        }
        let item = create_item(&mut store, NewItem::units("Camera"), &actor()).expect("item");
        for n in 1..=2 {
            add_unit(
                &mut store,
                item,
                NewUnit {
                    tag: Some(format!("CAM-{n}")),
                    ..NewUnit::default()
                },
                &actor(),
            )
            .expect("unit");
        }
        let mut c = callers.into_iter();
        let (ana, bo, olga) = match (c.next(), c.next(), c.next()) {
            (Some(a), Some(b), Some(o)) => (a, b, o),
            _ => panic!("three callers"),
        };
        Shop {
            store,
            ana,
            bo,
            olga,
            _dir: dir,
        }
    }

    fn today() -> String {
        tagstation_core::clock::today()
    }

    #[test]
    fn reservation_tools_have_their_roles_and_hints() {
        for (tool, role, read_only, destructive) in [
            (Tool::Reserve, Role::Borrower, false, false),
            (Tool::ListReservations, Role::Viewer, true, false),
            (Tool::CancelReservation, Role::Borrower, false, true),
        ] {
            assert_eq!(Tool::by_name(tool.name()), Some(tool));
            assert_eq!(tool.role(), role, "{}", tool.name());
            assert_eq!(tool.read_only(), read_only, "{}", tool.name());
            assert_eq!(tool.destructive(), destructive, "{}", tool.name());
        }
        assert_eq!(Tool::allowed(Role::Viewer).count(), 11);
        assert_eq!(Tool::allowed(Role::Borrower).count(), 15);
        assert_eq!(Tool::allowed(Role::Admin).count(), Tool::ALL.len());
        let schema = serde_json::to_value(Tool::CheckOut.schema()).expect("schema");
        assert!(
            schema["properties"]["override_reservation"].is_object(),
            "{schema}"
        );
    }

    #[test]
    fn kit_tools_have_their_roles_and_hints() {
        for (tool, role, read_only) in [
            (Tool::ListKits, Role::Viewer, true),
            (Tool::GetKit, Role::Viewer, true),
            (Tool::CheckOutKit, Role::Operator, false),
            (Tool::CheckInKit, Role::Operator, false),
        ] {
            assert_eq!(Tool::by_name(tool.name()), Some(tool));
            assert_eq!(tool.role(), role, "{}", tool.name());
            assert_eq!(tool.read_only(), read_only, "{}", tool.name());
            assert!(!tool.destructive(), "{}", tool.name());
        }
        assert_eq!(Tool::allowed(Role::Operator).count(), 21);
        let schema = serde_json::to_value(Tool::CheckOutKit.schema()).expect("schema");
        assert!(
            schema["properties"]["override_reservation"].is_object(),
            "{schema}"
        );
        let schema = serde_json::to_value(Tool::CheckInKit.schema()).expect("schema");
        assert!(schema["properties"]["missing"].is_object(), "{schema}");
    }

    #[test]
    fn a_kit_is_listed_lent_over_a_reservation_and_returned_incomplete() {
        let Shop {
            mut store,
            ana,
            bo,
            olga,
            _dir,
        } = shop();
        let l = &mut store;
        kits::add_kit(
            l,
            kits::NewKit {
                name: "Camera kit A".into(),
                tag: Some("KIT-A".into()),
                units: vec!["CAM-1".into(), "CAM-2".into()],
            },
            &actor(),
        )
        .expect("kit");

        let list = call(l, &ana, "list_kits", json!({})).expect("list_kits");
        assert_eq!(list["count"], json!(1), "{list}");
        assert_eq!(list["kits"][0]["state"], "all_in", "{list}");
        assert_eq!(list["kits"][0]["units"][1]["status"], "in_stock");
        let e = call(l, &olga, "get_kit", json!({"kit": "Camra kit"})).expect_err("typo");
        assert_eq!(e.kind(), "not_found", "{e}");
        assert!(
            e.to_json()["closest"][0]
                .as_str()
                .is_some_and(|c| c.contains("Camera kit A") && c.contains("KIT-A")),
            "{}",
            e.to_json()
        );

        // Borrowers do not lend kits; a reservation of one unit holds the whole kit.
        let e = call(
            l,
            &bo,
            "check_out_kit",
            json!({"kit": "KIT-A", "holder": "Bo"}),
        )
        .expect_err("borrower");
        assert_eq!(e.kind(), "not_allowed", "{e}");
        call(
            l,
            &ana,
            "reserve",
            json!({"units": ["CAM-2"], "starts": today()}),
        )
        .expect("Ana reserves CAM-2");
        let e = call(
            l,
            &olga,
            "check_out_kit",
            json!({"kit": "kit-a", "holder": "Bo"}),
        )
        .expect_err("reserved");
        assert_eq!(e.kind(), "reserved", "{e}");
        let words = e.to_string();
        assert!(
            words.contains("Camera 02")
                && words.contains("reserved for Ana")
                && words.contains("check_out_kit"),
            "{words}"
        );
        assert_eq!(
            l.find_unit("CAM-1").expect("unit").status,
            Status::InStock,
            "all or nothing"
        );
        let lent = call(
            l,
            &olga,
            "check_out_kit",
            json!({"kit": "Camera Kit A", "holder": "bo", "override_reservation": true}),
        )
        .expect("lent over the reservation");
        assert_eq!(lent["kit"]["state"], "out", "{lent}");
        assert_eq!(lent["kit"]["units_out"], json!(2));
        assert_eq!(lent["overridden"]["unit"], "Camera 02", "{lent}");
        let unit = call(l, &olga, "get_unit", json!({"unit": "CAM-1"})).expect("get_unit");
        assert_eq!(unit["kit"]["name"], "Camera kit A", "{unit}");
        assert_eq!(unit["unit"]["holder"], "Bo");

        // Back without CAM-2: named, still out, the kit incomplete.
        let e = call(
            l,
            &olga,
            "check_in_kit",
            json!({"kit": "KIT-A", "missing": ["Camera 09"]}),
        )
        .expect_err("no such unit");
        assert_eq!(e.kind(), "not_found", "{e}");
        let back = call(
            l,
            &olga,
            "check_in_kit",
            json!({"kit": "KIT-A", "missing": ["cam-2"]}),
        )
        .expect("check_in_kit");
        assert_eq!(back["checked_in"], json!(["Camera 01"]), "{back}");
        assert_eq!(back["missing"], json!(["Camera 02"]));
        assert_eq!(back["kit"]["state"], "incomplete");
        let kit = call(l, &ana, "get_kit", json!({"kit": "KIT-A"})).expect("get_kit");
        assert_eq!(kit["kit"]["missing"], json!(["Camera 02"]), "{kit}");
        assert_eq!(
            l.find_unit("CAM-2").expect("unit").holder.as_deref(),
            Some("Bo")
        );
        // A unit already in cannot be missing.
        let e = call(
            l,
            &olga,
            "check_in_kit",
            json!({"kit": "KIT-A", "missing": ["CAM-1"]}),
        )
        .expect_err("in stock");
        assert_eq!(e.kind(), "refused", "{e}");

        // The rest comes back: complete again.
        let back = call(l, &olga, "check_in_kit", json!({"kit": "KIT-A"})).expect("rest");
        assert_eq!(back["checked_in"], json!(["Camera 02"]), "{back}");
        assert_eq!(back["kit"]["state"], "all_in");
    }

    #[test]
    fn a_reservation_is_made_listed_shown_defended_overridden_and_cancelled() {
        let Shop {
            mut store,
            ana,
            bo,
            olga,
            _dir,
        } = shop();
        let l = &mut store;

        // A borrower reserves for themselves only.
        let e = call(
            l,
            &bo,
            "reserve",
            json!({"units": ["CAM-1"], "person": "Ana", "starts": today()}),
        )
        .expect_err("for someone else");
        assert_eq!(e.kind(), "refused", "{e}");
        let made = call(
            l,
            &ana,
            "reserve",
            json!({"units": ["cam-1"], "starts": today(), "note": "harbour shoot"}),
        )
        .expect("Ana reserves CAM-1");
        let r = &made["reservation"];
        assert_eq!(r["person"], "Ana", "{made}");
        assert_eq!(r["state"], "open");
        assert_eq!(r["units"][0]["name"], "Camera 01");
        let id = r["id"].as_str().expect("id").to_string();
        let short = r["short_id"].as_str().expect("short id").to_string();
        assert!(id.ends_with(&short));

        // The same unit on the same day clashes, named.
        let e = call(
            l,
            &olga,
            "reserve",
            json!({"units": ["CAM-1"], "person": "Bo", "starts": today()}),
        )
        .expect_err("clash");
        assert!(e.to_string().contains("reserved for Ana"), "{e}");

        // Listed (a viewer may list), and shown on the unit.
        let list = call(l, &olga, "list_reservations", json!({"person": "ana"})).expect("list");
        assert_eq!(list["count"], json!(1), "{list}");
        assert_eq!(list["reservations"][0]["id"], json!(id));
        let unit = call(l, &olga, "get_unit", json!({"unit": "CAM-1"})).expect("get_unit");
        assert_eq!(unit["reservations"][0]["id"], json!(id), "{unit}");
        let e = call(l, &olga, "list_reservations", json!({"from": "12/08/2026"}))
            .expect_err("bad day");
        assert_eq!(e.kind(), "bad_arguments");

        // Lending CAM-1 to Bo breaks it: refused with the reservation named.
        let e = call(
            l,
            &olga,
            "check_out",
            json!({"units": ["CAM-1"], "holder": "Bo"}),
        )
        .expect_err("reserved");
        assert_eq!(e.kind(), "reserved");
        let words = e.to_string();
        assert!(
            words.contains("reserved for Ana") && words.contains(&short),
            "{words}"
        );
        assert!(words.contains("override_reservation"), "{words}");
        assert_eq!(e.to_json()["reservation"], json!(id));
        // A borrower may not override.
        let e = call(
            l,
            &bo,
            "check_out",
            json!({"units": ["CAM-1"], "override_reservation": true}),
        )
        .expect_err("borrowers do not override");
        assert_eq!(e.kind(), "refused", "{e}");
        let cam1 = l.find_unit("CAM-1").expect("unit");
        assert_eq!(cam1.status, Status::InStock, "nothing lent");
        // CAM-2 is free.
        call(l, &bo, "check_out", json!({"units": ["CAM-2"]})).expect("CAM-2 lent");

        // Borrowers cancel their own only; cancelling needs confirm.
        let e = call(
            l,
            &bo,
            "cancel_reservation",
            json!({"reservation": short, "confirm": true}),
        )
        .expect_err("not Bo's");
        assert_eq!(e.kind(), "refused");
        let e = call(l, &ana, "cancel_reservation", json!({"reservation": short}))
            .expect_err("confirm");
        assert!(e.to_string().contains("confirm=true"), "{e}");
        let e = call(
            l,
            &ana,
            "cancel_reservation",
            json!({"reservation": "ffffffff", "confirm": true}),
        )
        .expect_err("unknown");
        assert_eq!(e.kind(), "not_found", "{e}");

        // An operator overrides, and the answer names what was broken.
        let lent = call(
            l,
            &olga,
            "check_out",
            json!({"units": ["CAM-1"], "holder": "Bo", "override_reservation": true}),
        )
        .expect("override");
        assert_eq!(lent["overridden"]["reservation"], json!(id), "{lent}");
        assert!(lent["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&short));
        assert_eq!(
            l.find_unit("CAM-1").expect("unit").holder.as_deref(),
            Some("Bo")
        );

        // A new one from Ana, cancelled by Ana with confirm.
        let made = call(
            l,
            &ana,
            "reserve",
            json!({"item": "camera", "count": 1, "starts": tagstation_core::reservations::shift_day(&today(), 30)}),
        )
        .expect("reserve any camera");
        let id2 = made["reservation"]["id"].as_str().expect("id").to_string();
        let done = call(
            l,
            &ana,
            "cancel_reservation",
            json!({"reservation": id2, "reason": "shoot moved", "confirm": true}),
        )
        .expect("cancel");
        assert_eq!(done["reservation"]["state"], "cancelled", "{done}");
        let live = call(l, &ana, "list_reservations", json!({"item": "Camera"})).expect("list");
        assert!(
            live["reservations"]
                .as_array()
                .is_some_and(|v| v.iter().all(|r| r["id"] != json!(id2))),
            "{live}"
        );
        let all = call(
            l,
            &ana,
            "list_reservations",
            json!({"item": "Camera", "include_cancelled": true}),
        )
        .expect("list");
        assert!(
            all["reservations"]
                .as_array()
                .is_some_and(|v| v.iter().any(|r| r["id"] == json!(id2))),
            "{all}"
        );
    }
}
