//! Personal API tokens: anyone signed in makes tokens for their scripts (and the MCP
//! server), each with a name and a role cap at most their own role. The secret
//! (`tsp_…`) is shown once, on the page that makes it; the hub keeps only its SHA-256.
//! A request that sends it as `Authorization: Bearer` acts as the person with the
//! lower of the cap and their role at the time (see [`crate::session`]).
//!
//! Tokens are managed from a signed-in browser only: a token cannot make or revoke
//! tokens, so a leaked one cannot outlive its own revocation. Everyone revokes their
//! own; an admin sees everyone's live tokens here and revokes any, and "End sessions
//! and tokens" on the people page revokes all of a person's.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::session::{CsrfForm, Me, Signed, Via};
use crate::signin::render;
use crate::{blocking, parse_id, WebError};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::people::Role;
use tagstation_hub::accounts::{self, Token};
use tagstation_hub::server::AppState;
use tagstation_hub::tables::select_people;

/// A token as a page lists it.
pub struct TokenRow {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub cap: &'static str,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

fn row(t: &Token, owner: String) -> TokenRow {
    TokenRow {
        id: t.id.to_string(),
        owner,
        name: t.name.clone(),
        cap: t.cap.as_str(),
        created: rfc3339(t.created_ms),
        last_used: t
            .last_used_ms
            .map(rfc3339)
            .unwrap_or_else(|| "never".into()),
        revoked: t.revoked_ms.is_some(),
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    me: Option<Me>,
    mine: Vec<TokenRow>,
    /// Everyone's live tokens (admins only).
    everyone: Option<Vec<TokenRow>>,
    /// Roles a new token may be capped at: up to the person's own.
    caps: Vec<&'static str>,
    /// A token just made: its name and secret, shown this once.
    made: Option<(String, String)>,
    message: Option<String>,
}

async fn tokens_page(
    st: &Arc<AppState>,
    signed: &Signed,
    made: Option<(String, String)>,
    message: Option<String>,
) -> Result<Response, WebError> {
    let store = st.store.clone();
    let me = signed.person.id;
    let admin = signed.person.role >= Role::Admin;
    let (mine, everyone) = blocking(move || {
        Ok(tagstation_hub::read(store.as_ref(), |c| {
            let mine: Vec<TokenRow> = accounts::tokens_of(c, me)?
                .iter()
                .map(|t| row(t, String::new()))
                .collect();
            let everyone = if admin {
                let names: HashMap<_, _> = select_people(c, "", &[])?
                    .into_iter()
                    .map(|p| (p.id, p.name))
                    .collect();
                Some(
                    accounts::live_tokens(c)?
                        .iter()
                        .map(|t| row(t, names.get(&t.person).cloned().unwrap_or_default()))
                        .collect(),
                )
            } else {
                None
            };
            Ok((mine, everyone))
        })?)
    })
    .await?;
    let caps = Role::ALL
        .into_iter()
        .filter(|r| *r <= signed.person.role)
        .map(Role::as_str)
        .collect();
    let secret_shown = made.is_some();
    let mut r = render(TokensPage {
        me: Some(signed.me()),
        mine,
        everyone,
        caps,
        made,
        message,
    });
    if secret_shown {
        // The secret must not linger in a cache.
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(r)
}

pub async fn tokens(State(st): State<Arc<AppState>>, signed: Signed) -> Result<Response, WebError> {
    tokens_page(&st, &signed, None, None).await
}

/// Tokens are made and revoked from a signed-in browser, never with a token.
fn from_browser(signed: &Signed) -> Result<(), WebError> {
    match signed.via {
        Via::Session => Ok(()),
        Via::Token => Err(WebError::Forbidden(
            "tokens are made and revoked from a signed-in browser, not with a token".into(),
        )),
    }
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    cap: String,
}

/// Make a token: the page shows its secret, once.
pub async fn new_token(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<NewToken>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Viewer)?;
    from_browser(&signed)?;
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > accounts::MAX_TOKEN_NAME {
        let m = format!(
            "Give the token a name of at most {} characters, such as \"inventory script\".",
            accounts::MAX_TOKEN_NAME
        );
        return tokens_page(&st, &signed, None, Some(m)).await;
    }
    let Ok(cap) = f.cap.parse::<Role>() else {
        return Err(WebError::BadRequest(
            "choose the role the token is capped at".into(),
        ));
    };
    if cap > signed.person.role {
        return Err(WebError::Forbidden(format!(
            "a token can do at most what you can: you are {}, the token asked for {}",
            signed.person.role.as_str(),
            cap.as_str()
        )));
    }
    let store = st.store.clone();
    let person = signed.person.id;
    let n = name.clone();
    let (secret, token) = blocking(move || {
        Ok(tagstation_hub::write(store.as_ref(), |c| {
            accounts::new_token(c, person, &n, cap, SystemClock.now().0)
        })?)
    })
    .await?;
    tracing::info!(person = %person, token = %token.id, cap = %cap, "personal token made on the web");
    tokens_page(&st, &signed, Some((name, secret)), None).await
}

/// Revoke a token: one's own, or (for an admin) anyone's.
pub async fn revoke_token(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Path(token): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.may_post(&f.csrf, Role::Viewer)?;
    from_browser(&signed)?;
    let id = parse_id(&token, "token")?;
    let store = st.store.clone();
    let me = signed.person.id;
    let admin = signed.person.role >= Role::Admin;
    let revoked = blocking(move || {
        Ok(tagstation_hub::write(
            store.as_ref(),
            |c| match accounts::token(c, id)? {
                Some(t) if t.person == me || admin => {
                    accounts::revoke_token(c, id, SystemClock.now().0)?;
                    Ok(true)
                }
                _ => Ok(false),
            },
        )?)
    })
    .await?;
    if !revoked {
        // Someone else's token is no different from one that does not exist.
        return Err(WebError::NotFound("no such token".into()));
    }
    tracing::info!(token = %id, by = %signed.person.id, "personal token revoked on the web");
    Ok(Redirect::to("/tokens").into_response())
}
