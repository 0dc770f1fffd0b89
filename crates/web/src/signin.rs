//! Signing in and out, and setting a password from a one-time link.
//!
//! Sign-in takes a name, email or badge and a password. A failed attempt counts
//! against the client's address in the hub's database (shared by every hub on one
//! PostgreSQL); past [`SIGN_IN_FAILURES_PER_MINUTE`] the form answers "wait a minute".
//! Signing in always starts a new session (a session id planted before sign-in is
//! worth nothing), and `next` only ever leads to a path on this site.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use subtle::ConstantTimeEq;
#[allow(unused_imports)] // the page layout names roles
use tagstation_core::people::Role;

use crate::session::{cookie, safe_next, set_cookie, CsrfForm, Me, SESSION_COOKIE};
use crate::{blocking, WebError};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::people::Person;
use tagstation_hub::accounts;
use tagstation_hub::db::Value;
use tagstation_hub::ledger::people_matching;
use tagstation_hub::server::AppState;
use tagstation_hub::tables::select_people;

/// Failed sign-ins from one address per minute before the form refuses.
pub const SIGN_IN_FAILURES_PER_MINUTE: i64 = 10;
/// The cookie that ties the sign-in form to the browser that posts it (the form's
/// CSRF token before there is a session).
const FORM_COOKIE: &str = "ts_signin";

pub(crate) fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => WebError::Internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    me: Option<Me>,
    next: String,
    token: String,
    login: String,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn form_token() -> String {
    uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string()
}

fn sign_in_page(
    st: &AppState,
    next: String,
    login: String,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let token = form_token();
    let mut r = render(SignInPage {
        me: None,
        next,
        token: token.clone(),
        login,
        message,
    });
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &token, "/sign-in", 3600, st.tls),
    );
    r
}

pub async fn form(State(st): State<Arc<AppState>>, Query(q): Query<NextQuery>) -> Response {
    sign_in_page(
        &st,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// The one person a sign-in name means: by email, else by id, name or badge.
fn who(
    c: &mut dyn tagstation_hub::db::Conn,
    login: &str,
) -> tagstation_hub::Result<Option<Person>> {
    let login = login.trim();
    if login.is_empty() {
        return Ok(None);
    }
    // Emails compare by the catalog's case rule, in Rust (SQL's `lower()` differs
    // between SQLite and PostgreSQL).
    let key = tagstation_core::catalog::fold(login);
    let mut found: Vec<Person> =
        select_people(c, "WHERE email IS NOT NULL AND erased = FALSE", &[])?
            .into_iter()
            .filter(|p| p.email.as_deref().map(tagstation_core::catalog::fold) == Some(key.clone()))
            .collect();
    if found.is_empty() {
        found = people_matching(c, login)?;
    }
    Ok(if found.len() == 1 { found.pop() } else { None })
}

pub async fn sign_in(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or("");
    if expected.is_empty() || !bool::from(f.csrf.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(WebError::Csrf);
    }
    let next = safe_next(Some(&f.next));
    let client = format!("web-sign-in:{}", st.proxies.client(peer.ip(), &headers));
    let store = st.store.clone();
    let old = cookie(&headers, SESSION_COOKIE).map(str::to_string);
    let login = f.login.clone();
    let outcome = blocking(move || {
        let now = SystemClock.now().0;
        if store.failures(&client, now)? >= SIGN_IN_FAILURES_PER_MINUTE {
            return Err(WebError::TooMany);
        }
        let (person, hash) = tagstation_hub::read(store.as_ref(), |c| {
            let p = who(c, &login)?;
            let hash = match &p {
                Some(p) => accounts::password_of(c, p.id)?,
                None => None,
            };
            Ok((p, hash))
        })?;
        // The same work whether or not the person exists.
        let matches = accounts::verify_password(
            &f.password,
            hash.as_deref().unwrap_or(accounts::decoy_hash()),
        );
        match person {
            Some(p) if matches && hash.is_some() && p.active && !p.erased => {
                let cookie = tagstation_hub::write(store.as_ref(), |c| {
                    if let Some(old) = &old {
                        accounts::end_session(c, old)?;
                    }
                    Ok(accounts::start_session(c, p.id, now)?.0)
                })?;
                tracing::info!(person = %p.id, "signed in to the web app");
                Ok(Some(cookie))
            }
            _ => {
                store.note_failure(&client, now)?;
                tracing::warn!(client = %client, "web sign-in failed");
                Ok(None)
            }
        }
    })
    .await?;
    match outcome {
        Some(session) => {
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &session,
                    "/",
                    accounts::SESSION_TTL_MS / 1000,
                    st.tls,
                ),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(FORM_COOKIE, "", "/sign-in", 0, st.tls),
            );
            Ok(r)
        }
        None => Ok(sign_in_page(
            &st,
            next,
            f.login,
            Some("That name and password do not match an account that may sign in.".into()),
            StatusCode::UNAUTHORIZED,
        )),
    }
}

pub async fn sign_out(
    State(st): State<Arc<AppState>>,
    signed: crate::session::Signed,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&f.csrf)?;
    if let Some(c) = cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let store = st.store.clone();
        blocking(move || {
            Ok(tagstation_hub::write(store.as_ref(), |db| {
                accounts::end_session(db, &c)
            })?)
        })
        .await?;
    }
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", "/", 0, st.tls),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct PasswordPage {
    me: Option<Me>,
    token: String,
    name: String,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

async fn link_owner(st: &Arc<AppState>, token: String) -> Result<Person, WebError> {
    let store = st.store.clone();
    blocking(move || {
        let p = tagstation_hub::read(store.as_ref(), |c| {
            let Some(id) = accounts::link_person(c, &token, SystemClock.now().0)? else {
                return Ok(None);
            };
            Ok(select_people(c, "WHERE id = ?1", &[Value::from(id)])?.pop())
        })?;
        p.filter(|p| p.active && !p.erased).ok_or_else(|| {
            WebError::NotFound(
                "this set-password link is unknown, used or expired; ask an admin for a new one"
                    .into(),
            )
        })
    })
    .await
}

pub async fn password_form(
    State(st): State<Arc<AppState>>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let p = link_owner(&st, q.token.clone()).await?;
    Ok(render(PasswordPage {
        me: None,
        token: q.token,
        name: p.name,
        message: None,
    }))
}

#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

/// Set a password from a link. The link's own 256-bit token is what the form carries
/// back, and it works once: it is this form's CSRF token.
pub async fn set_password(
    State(st): State<Arc<AppState>>,
    Form(f): Form<NewPassword>,
) -> Result<Response, WebError> {
    let p = link_owner(&st, f.token.clone()).await?;
    let refused = if f.password != f.again {
        Some("The two passwords differ.".to_string())
    } else {
        accounts::check_password(&f.password).err()
    };
    if let Some(message) = refused {
        let mut r = render(PasswordPage {
            me: None,
            token: f.token,
            name: p.name,
            message: Some(message),
        });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let store = st.store.clone();
    blocking(move || {
        let hash = accounts::hash_password(&f.password)?;
        let now = SystemClock.now().0;
        tagstation_hub::write(store.as_ref(), |c| {
            if accounts::use_link(c, &f.token, now)? != Some(p.id) {
                return Err(tagstation_hub::HubError::NotFound(
                    "set-password link".into(),
                ));
            }
            accounts::set_password(c, p.id, &hash, now)?;
            // A new password ends every session signed in with the old one.
            accounts::end_sessions_of(c, p.id)?;
            Ok(())
        })?;
        tracing::info!(person = %p.id, "password set from a link");
        Ok(())
    })
    .await?;
    Ok(Redirect::to("/sign-in?next=/").into_response())
}
