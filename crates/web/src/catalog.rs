//! Changing the catalog from the web: items (new, edit, units, quantities), units
//! (status, location), people and locations. Every form is one call into the
//! operations layer over the hub's ledger, as the signed-in person, so each change is
//! an ordinary event that reaches the stations by sync.
//!
//! Who may do what: operators change units and quantities; admins change the catalog
//! (items, people, locations).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::actions::{blank, op};
use crate::pages::read;
use crate::session::{Me, Signed};
use crate::signin::render;
use crate::{parse_id, WebError};
use tagstation_core::catalog::{Status, Tracking};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::locations::LocationKind;
use tagstation_core::people::{PersonFields, Role};
use tagstation_core::view::{self, ItemView, LocationView, PersonView};
use tagstation_hub::server::AppState;
use tagstation_hub::tables::{select_items, select_locations, Tables};
use tagstation_ops::catalog::{self as ops_catalog, ItemEdit, NewItem, NewUnit, UnitChange};
use tagstation_ops::locations::{self as ops_locations, LocationChange, NewLocation};
use tagstation_ops::people::{self as ops_people, PersonChange};
use tagstation_ops::Ledger;

/// A whole number from a form field: empty is `None`, anything else that is not a
/// number is refused naming the field.
fn number(s: &str, what: &str) -> Result<Option<i64>, WebError> {
    match blank(s) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| WebError::BadRequest(format!("{what} must be a whole number, not “{v}”"))),
    }
}

// ---- items ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "item_form.html")]
struct ItemForm {
    me: Option<Me>,
    /// The item being edited; `None` for a new one.
    item: Option<ItemView>,
}

#[derive(Deserialize)]
pub struct ItemFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    barcode: String,
    #[serde(default)]
    tracking: String,
    #[serde(default)]
    reorder_point: String,
    #[serde(default)]
    quantity: String,
}

pub async fn new_item_form(signed: Signed) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    Ok(render(ItemForm {
        me: Some(signed.me()),
        item: None,
    }))
}

pub async fn create_item(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<ItemFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let tracking = if f.tracking == "units" {
        Tracking::Units
    } else {
        Tracking::Count
    };
    let new = NewItem {
        name: f.name.trim().to_string(),
        sku: blank(&f.sku),
        barcode: blank(&f.barcode),
        tracking,
        reorder_point: number(&f.reorder_point, "The reorder point")?,
        quantity: number(&f.quantity, "The quantity in stock")?,
    };
    let actor = signed.actor();
    let id = op(&st, move |l| ops_catalog::create_item(l, new, &actor)).await?;
    Ok(Redirect::to(&format!("/items/{id}")).into_response())
}

pub async fn edit_item_form(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    let id = parse_id(&item, "item")?;
    let item = read(&st, move |c| {
        let item = select_items(c, "WHERE id = ?1", &[id.into()])?
            .pop()
            .ok_or_else(|| tagstation_hub::HubError::NotFound("item".into()))?;
        Ok(view::item_view(&mut Tables::new(c), &item)?)
    })
    .await?;
    Ok(render(ItemForm {
        me: Some(signed.me()),
        item: Some(item),
    }))
}

pub async fn edit_item(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
    Form(f): Form<ItemFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&item, "item")?;
    let edit = ItemEdit {
        name: blank(&f.name),
        sku: blank(&f.sku),
        barcode: blank(&f.barcode),
        reorder_point: number(&f.reorder_point, "The reorder point")?,
    };
    let actor = signed.actor();
    op(&st, move |l| ops_catalog::edit_item(l, id, edit, &actor)).await?;
    Ok(Redirect::to(&format!("/items/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct UnitFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tag: String,
    /// `on`: with no tag typed, the next new tag of the hub's pattern.
    #[serde(default)]
    new_tag: String,
}

/// Add a unit to a unit-tracked item (named after the item when no name is given).
pub async fn add_unit(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
    Form(f): Form<UnitFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&item, "item")?;
    let mut tag = blank(&f.tag);
    if tag.is_none() && f.new_tag == "on" {
        // the next number of the hub's tag pattern, as a station would hand out
        let (store, settings) = (st.store.clone(), st.tags.clone());
        tag = Some(
            crate::blocking(move || {
                let hub = store.hub_id();
                Ok(tagstation_hub::write(store.as_ref(), |c| {
                    tagstation_hub::tags::take_one(c, &settings, hub, SystemClock.now().0)
                })?)
            })
            .await?,
        );
    }
    let new = NewUnit {
        name: blank(&f.name),
        tag,
        ..NewUnit::default()
    };
    let actor = signed.actor();
    let added = op(&st, move |l| ops_catalog::add_unit(l, id, new, &actor)).await?;
    Ok(Redirect::to(&format!("/units/{}", added.id)).into_response())
}

#[derive(Deserialize)]
pub struct QuantityFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
}

/// Add or remove pieces of a counted item in one status.
pub async fn adjust_quantity(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
    Form(f): Form<QuantityFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Operator)?;
    let id = parse_id(&item, "item")?;
    let status: Status = f.status.parse().map_err(WebError::BadRequest)?;
    let Some(delta) = number(&f.delta, "The change")? else {
        return Err(WebError::BadRequest(
            "Give how many pieces to add (or, with a minus, to remove).".into(),
        ));
    };
    let reason = blank(&f.reason);
    let actor = signed.actor();
    op(&st, move |l| {
        ops_catalog::adjust_quantity(l, id, status, delta, reason, &actor)
    })
    .await?;
    Ok(Redirect::to(&format!("/items/{id}")).into_response())
}

// ---- units ---------------------------------------------------------------------

#[derive(Deserialize)]
pub struct StatusFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// Set a unit's status (one of those a worker may set directly).
pub async fn set_status(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(unit): Path<String>,
    Form(f): Form<StatusFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Operator)?;
    let id = parse_id(&unit, "unit")?;
    let to: Status = f.status.parse().map_err(WebError::BadRequest)?;
    let change = UnitChange::Status {
        to,
        reason: blank(&f.reason),
    };
    let actor = signed.actor();
    op(&st, move |l| {
        ops_catalog::change_unit(l, id, change, &actor, None)
    })
    .await?;
    Ok(Redirect::to(&format!("/units/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct MoveFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    location: String,
}

/// Put a unit at a known location (by name or code).
pub async fn move_unit(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(unit): Path<String>,
    Form(f): Form<MoveFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Operator)?;
    let id = parse_id(&unit, "unit")?;
    let Some(location) = blank(&f.location) else {
        return Err(WebError::BadRequest("Say where it goes.".into()));
    };
    let change = UnitChange::Move {
        location,
        reason: None,
        create: false,
    };
    let actor = signed.actor();
    op(&st, move |l| {
        ops_catalog::change_unit(l, id, change, &actor, None)
    })
    .await?;
    Ok(Redirect::to(&format!("/units/{id}")).into_response())
}

// ---- locations -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "locations.html")]
struct Locations {
    me: Option<Me>,
    locations: Vec<LocationView>,
    kinds: [LocationKind; 5],
}

async fn all_locations(st: &Arc<AppState>) -> Result<Vec<LocationView>, WebError> {
    read(st, tagstation_hub::views::location_views).await
}

pub async fn locations(
    State(st): State<Arc<AppState>>,
    signed: Signed,
) -> Result<Response, WebError> {
    Ok(render(Locations {
        me: Some(signed.me()),
        locations: all_locations(&st).await?,
        kinds: LocationKind::ALL,
    }))
}

#[derive(Deserialize)]
pub struct LocationFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    code: String,
    /// Edit only: "yes" keeps it active, anything else retires it.
    #[serde(default)]
    active: Option<String>,
}

fn kind(s: &str) -> Result<LocationKind, WebError> {
    if s.trim().is_empty() {
        return Ok(LocationKind::Other);
    }
    s.parse().map_err(WebError::BadRequest)
}

pub async fn create_location(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<LocationFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let new = NewLocation {
        name: f.name.trim().to_string(),
        kind: kind(&f.kind)?,
        parent: blank(&f.parent),
        code: blank(&f.code),
    };
    let actor = signed.actor();
    op(&st, move |l| ops_locations::add_location(l, new, &actor)).await?;
    Ok(Redirect::to("/locations").into_response())
}

#[derive(Template)]
#[template(path = "location.html")]
struct LocationPage {
    me: Option<Me>,
    location: LocationView,
    kinds: [LocationKind; 5],
}

pub async fn location(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(location): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&location, "location")?;
    let location = read(&st, move |c| {
        let l = select_locations(c, "WHERE id = ?1", &[id.into()])?
            .pop()
            .ok_or_else(|| tagstation_hub::HubError::NotFound("location".into()))?;
        Ok(view::location_view(&mut Tables::new(c), &l)?)
    })
    .await?;
    Ok(render(LocationPage {
        me: Some(signed.me()),
        location,
        kinds: LocationKind::ALL,
    }))
}

pub async fn edit_location(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(location): Path<String>,
    Form(f): Form<LocationFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&location, "location")?;
    let change = LocationChange {
        name: blank(&f.name),
        kind: Some(kind(&f.kind)?),
        parent: Some(blank(&f.parent)),
        code: Some(blank(&f.code)),
        active: Some(f.active.as_deref() == Some("yes")),
    };
    let actor = signed.actor();
    op(&st, move |l| {
        ops_locations::edit_location(l, &id.to_string(), &change, &actor)
    })
    .await?;
    Ok(Redirect::to(&format!("/locations/{id}")).into_response())
}

// ---- people --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonForm {
    me: Option<Me>,
    /// The person being edited; `None` for a new one.
    person: Option<PersonView>,
    roles: [Role; 4],
}

#[derive(Deserialize)]
pub struct PersonFormFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// Badge codes, separated by commas or spaces.
    #[serde(default)]
    badges: String,
    #[serde(default)]
    max_checkouts: String,
    #[serde(default)]
    loan_days: String,
    /// Edit only: "yes" keeps them active.
    #[serde(default)]
    active: Option<String>,
}

impl PersonFormFields {
    fn role(&self) -> Result<Role, WebError> {
        self.role.parse().map_err(WebError::BadRequest)
    }
    fn badges(&self) -> Vec<String> {
        self.badges
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .collect()
    }
}

pub async fn new_person_form(signed: Signed) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    Ok(render(PersonForm {
        me: Some(signed.me()),
        person: None,
        roles: Role::ALL,
    }))
}

pub async fn create_person(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<PersonFormFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let fields = PersonFields {
        name: f.name.trim().to_string(),
        badges: f.badges(),
        email: blank(&f.email),
        role: f.role()?,
        active: true,
        max_checkouts: number(&f.max_checkouts, "The most check-outs at once")?,
        loan_days: number(&f.loan_days, "The loan days")?,
    };
    let actor = signed.actor();
    let p = op(&st, move |l| ops_people::add_person(l, fields, &actor)).await?;
    Ok(Redirect::to(&format!("/people/{}", p.id)).into_response())
}

pub async fn person(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(person): Path<String>,
) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    let id = parse_id(&person, "person")?;
    let now = tagstation_core::clock::Clock::now(&tagstation_core::clock::SystemClock).0;
    let person = read(&st, move |c| {
        let today = tagstation_core::clock::today();
        tagstation_hub::views::people_summaries(c, Some(id), &today, now, 0, 1)?
            .pop()
            .map(|p| p.view)
            .ok_or_else(|| tagstation_hub::HubError::NotFound("person".into()))
    })
    .await?;
    Ok(render(PersonForm {
        me: Some(signed.me()),
        person: Some(person),
        roles: Role::ALL,
    }))
}

pub async fn edit_person(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(person): Path<String>,
    Form(f): Form<PersonFormFields>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&person, "person")?;
    let badges = f.badges();
    let role = f.role()?;
    let max_checkouts = number(&f.max_checkouts, "The most check-outs at once")?;
    let loan_days = number(&f.loan_days, "The loan days")?;
    let name = blank(&f.name);
    let email = blank(&f.email);
    let active = f.active.as_deref() == Some("yes");
    let actor = signed.actor();
    op(&st, move |l| {
        let p = l.person(id)?;
        // The form shows every badge: those not sent back are removed.
        let change = PersonChange {
            name,
            add_badges: badges.clone(),
            remove_badges: p
                .badges
                .iter()
                .filter(|b| {
                    !badges
                        .iter()
                        .any(|n| tagstation_core::catalog::same_key(n, b))
                })
                .cloned()
                .collect(),
            email: Some(email),
            role: Some(role),
            active: Some(active),
            max_checkouts: Some(max_checkouts),
            loan_days: Some(loan_days),
        };
        ops_people::edit_person(l, &id.to_string(), &change, &actor)
    })
    .await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}
