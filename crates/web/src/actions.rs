//! What people change from the web: check-out and check-in, the tracking switch, and
//! (for admins) set-password links and ending someone's sessions and tokens. Each form
//! carries the session's CSRF token and each route checks the role it needs on the
//! server.
//! Changes to the catalog go through the operations layer over the hub's ledger, as
//! the signed-in person: ordinary events that reach the stations by sync.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::session::{CsrfForm, Me, Signed};
use crate::signin::render;
use crate::{blocking, parse_id, WebError};
use tagstation_core::catalog::Tracking;
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::people::Role;
use tagstation_hub::server::AppState;
use tagstation_hub::{accounts, HubLedger};
use tagstation_ops::tracking::Fold;
use tagstation_ops::{lending, tracking, Ledger, OpError};

/// Run an operation over the hub's ledger on the blocking pool.
pub(crate) async fn op<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&mut HubLedger<'_>) -> Result<T, OpError> + Send + 'static,
) -> Result<T, WebError> {
    Ok(tagstation_hub::ledger::run(st.store.clone(), f).await?)
}

pub(crate) fn blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A form read as its fields in order: for a form with a repeated field (one checkbox
/// name ticked many times), which a derived form struct cannot take.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// The first value of the field `name`, if the form has it.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.all(name).next()
    }

    /// Every value of the field `name`, in the form's order.
    pub(crate) fn all<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The form's CSRF token ("" when it has none).
    pub(crate) fn csrf(&self) -> &str {
        self.get("csrf").unwrap_or_default()
    }
}

/// Lending a unit, and a whole kit ([`crate::kits::check_out`]).
#[derive(Deserialize)]
pub struct CheckOut {
    #[serde(default)]
    pub(crate) csrf: String,
    /// Who takes it (operators; a borrower always checks out to themselves).
    #[serde(default)]
    pub(crate) holder: String,
    #[serde(default)]
    pub(crate) due: String,
    /// "yes": lend it even though it is reserved for someone else (operators).
    #[serde(default)]
    pub(crate) over_reservation: Option<String>,
}

pub async fn check_out(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(unit): Path<String>,
    Form(f): Form<CheckOut>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Borrower)?;
    let id = parse_id(&unit, "unit")?;
    let holder = match blank(&f.holder) {
        Some(h) if signed.person.role >= Role::Operator => h,
        Some(h) if !tagstation_core::catalog::same_key(&h, &signed.person.name) && h != signed.person.id.to_string() => {
            return Err(WebError::Forbidden(
                "borrowers check units out to themselves only; ask an operator to lend to someone else".into(),
            ))
        }
        _ => signed.person.id.to_string(),
    };
    let due = blank(&f.due);
    let over = f.over_reservation.is_some();
    if over && signed.person.role < Role::Operator {
        return Err(WebError::Forbidden(
            "only an operator may lend a unit that is reserved for someone else".into(),
        ));
    }
    let actor = signed.actor();
    op(&st, move |l| {
        lending::lend(l, &[id], &holder, due.as_deref(), over, &actor)
    })
    .await?;
    Ok(Redirect::to(&format!("/units/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct CheckIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    location: String,
}

pub async fn check_in(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(unit): Path<String>,
    Form(f): Form<CheckIn>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Borrower)?;
    let id = parse_id(&unit, "unit")?;
    let me = signed.person.id;
    let operator = signed.person.role >= Role::Operator;
    let location = blank(&f.location);
    let actor = signed.actor();
    // A borrower checks in only what they hold: decided inside the same operation
    // call that checks in, so the answer is about the unit as it is then.
    let checked_in = op(&st, move |l| {
        if !operator && l.unit(id)?.holder_id != Some(me) {
            return Ok(false);
        }
        lending::check_in(l, id, location, &actor, None)?;
        Ok(true)
    })
    .await?;
    if !checked_in {
        return Err(WebError::Forbidden(
            "borrowers check in only what they hold; ask an operator".into(),
        ));
    }
    Ok(Redirect::to(&format!("/units/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct Switch {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    /// Fold even though units carry tags, fields or locations (history keeps them).
    #[serde(default)]
    force: Option<String>,
}

pub async fn switch_tracking(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(item): Path<String>,
    Form(f): Form<Switch>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&item, "item")?;
    let to = match f.to.as_str() {
        "units" => Tracking::Units,
        "count" => Tracking::Count,
        _ => {
            return Err(WebError::BadRequest(
                "switch to \"units\" or \"count\"".into(),
            ))
        }
    };
    let fold = if f.force.is_some() {
        Fold::Force
    } else {
        Fold::Safe
    };
    let actor = signed.actor();
    op(&st, move |l| {
        tracking::switch_tracking(l, id, to, fold, &actor)
    })
    .await?;
    Ok(Redirect::to(&format!("/items/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage {
    me: Option<Me>,
    name: String,
    path: String,
}

/// A one-time set-password link for a person: whoever opens it sets their password
/// and may then sign in with the role they have.
pub async fn password_link(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(person): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&person, "person")?;
    let store = st.store.clone();
    let (name, token) = blocking(move || {
        Ok(tagstation_hub::write(store.as_ref(), |c| {
            let p = tagstation_hub::tables::select_people(
                c,
                "WHERE id = ?1 AND erased = FALSE",
                &[id.into()],
            )?
            .pop()
            .ok_or_else(|| tagstation_hub::HubError::NotFound("person".into()))?;
            Ok((p.name, accounts::new_link(c, id, SystemClock.now().0)?))
        })?)
    })
    .await?;
    Ok(render(LinkPage {
        me: Some(signed.me()),
        name,
        path: format!("/set-password?token={token}"),
    }))
}

/// End every session of a person and revoke their API tokens (a lost phone or
/// laptop, someone who left).
pub async fn revoke_sessions(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(person): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Admin)?;
    let id = parse_id(&person, "person")?;
    let store = st.store.clone();
    blocking(move || {
        Ok(tagstation_hub::write(store.as_ref(), |c| {
            accounts::end_sessions_of(c, id)?;
            accounts::revoke_tokens_of(c, id, SystemClock.now().0)
        })?)
    })
    .await?;
    tracing::info!(person = %id, by = %signed.person.id, "web sessions and tokens revoked");
    Ok(Redirect::to("/people").into_response())
}
