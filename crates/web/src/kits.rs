//! Kits in the office: the list (each kit's state: all in, out, incomplete with what is
//! missing), a kit's page with its units, and through `tagstation-ops` over the hub's
//! ledger: making and changing kits (admins), lending a whole kit and taking it back
//! with what did not come back recorded (operators).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

use crate::actions::{blank, op, CheckOut, Pairs};
use crate::session::{Me, Signed};
use crate::signin::render;
use crate::{parse_id, WebError};
use tagstation_core::catalog::Status;
use tagstation_core::people::Role;
use tagstation_hub::server::AppState;
use tagstation_ops::kits::{self, KitChange, KitView, NewKit};
use tagstation_ops::reservations;
use tagstation_ops::{Action, Ledger};

#[derive(Template)]
#[template(path = "kits.html")]
struct KitsPage {
    me: Option<Me>,
    kits: Vec<KitView>,
}

pub async fn list(State(st): State<Arc<AppState>>, signed: Signed) -> Result<Response, WebError> {
    let kits = op(&st, |l| {
        l.kits()?
            .iter()
            .map(|k| kits::view(l, k))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(render(KitsPage {
        me: Some(signed.me()),
        kits,
    }))
}

#[derive(Template)]
#[template(path = "kit.html")]
struct KitPage {
    me: Option<Me>,
    kit: KitView,
    today: String,
}

pub async fn page(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, "kit")?;
    let kit = op(&st, move |l| kits::view(l, &l.kit(id)?)).await?;
    Ok(render(KitPage {
        me: Some(signed.me()),
        kit,
        today: tagstation_core::clock::today(),
    }))
}

/// Unit references typed one a line or separated by commas.
fn refs(text: &str) -> Vec<String> {
    text.split([',', '\n']).filter_map(|r| blank(r)).collect()
}

#[derive(serde::Deserialize)]
pub struct NewKitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tag: String,
    /// Unit tags or names, one a line or comma-separated.
    #[serde(default)]
    units: String,
}

pub async fn create(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<NewKitForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let new = NewKit {
        name: f.name,
        tag: blank(&f.tag),
        units: refs(&f.units),
    };
    let actor = signed.actor();
    let kit = op(&st, move |l| kits::add_kit(l, new, &actor)).await?;
    Ok(Redirect::to(&format!("/kits/{}", kit.id)).into_response())
}

#[derive(serde::Deserialize)]
pub struct EditKitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    add: String,
    #[serde(default)]
    remove: String,
    /// "retire" or "activate".
    #[serde(default)]
    state: String,
}

pub async fn edit(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<EditKitForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&id, "kit")?;
    let change = KitChange {
        add_units: refs(&f.add),
        remove_units: refs(&f.remove),
        active: match f.state.as_str() {
            "retire" => Some(false),
            "activate" => Some(true),
            _ => None,
        },
        ..KitChange::default()
    };
    let actor = signed.actor();
    op(&st, move |l| {
        kits::edit_kit(l, &id.to_string(), change, &actor)
    })
    .await?;
    Ok(Redirect::to(&format!("/kits/{id}")).into_response())
}

/// Lend the whole kit (operators): every unit, or none.
pub async fn check_out(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<CheckOut>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Operator)?;
    let id = parse_id(&id, "kit")?;
    let holder =
        blank(&f.holder).ok_or_else(|| WebError::BadRequest("Say who takes the kit.".into()))?;
    let lend = Action::lend(holder, blank(&f.due), f.over_reservation.is_some());
    let actor = signed.actor();
    op(&st, move |l| kits::check_out_kit(l, id, lend, &actor, None)).await?;
    Ok(Redirect::to(&format!("/kits/{id}")).into_response())
}

#[derive(serde::Deserialize)]
pub struct ReserveKitForm {
    #[serde(default)]
    csrf: String,
    /// For whom (operators; a borrower reserves for themselves).
    #[serde(default)]
    person: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    note: String,
}

/// Reserve the whole kit: every unit of it, one reservation per item, noted with the
/// kit's name; then the person's calendar from the first day.
pub async fn reserve(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<ReserveKitForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Borrower)?;
    let id = parse_id(&id, "kit")?;
    let person = crate::reservations::reserving_for(&signed, &f.person)?;
    let days = reservations::Days {
        starts: f.starts.trim().to_string(),
        ends: blank(&f.ends),
        note: blank(&f.note),
    };
    let actor = signed.actor();
    let made = op(&st, move |l| {
        reservations::reserve_kit(l, id, &person, &days, &actor)
    })
    .await?;
    let to = match made.first() {
        Some(r) => format!(
            "/reservations?person={}&from={}",
            r.fields.person_id, r.fields.starts
        ),
        None => format!("/kits/{id}"),
    };
    Ok(Redirect::to(&to).into_response())
}

/// Take the kit back (operators): the units ticked came back; the others are recorded
/// missing. `back` repeats, one for each unit ticked.
pub async fn check_in(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Result<Response, WebError> {
    signed.may_post(f.csrf(), Role::Operator)?;
    let id = parse_id(&id, "kit")?;
    let back = f
        .all("back")
        .map(|v| parse_id(v, "unit"))
        .collect::<Result<Vec<_>, _>>()?;
    let actor = signed.actor();
    op(&st, move |l| {
        let kit = l.kit(id)?;
        // Units in stock were never out: only the out ones can be missing.
        let present: Vec<_> = kit
            .units
            .iter()
            .copied()
            .filter(|u| {
                back.contains(u) || l.unit(*u).is_ok_and(|u| u.status != Status::CheckedOut)
            })
            .collect();
        kits::check_in_kit(l, id, Some(&present), None, &actor, None)
    })
    .await?;
    Ok(Redirect::to(&format!("/kits/{id}")).into_response())
}
