//! Who is signed in. A session cookie (`ts_session`: HttpOnly, SameSite=Strict, and
//! Secure under TLS) names a session in the hub's database; the person behind it must
//! still be active, and their role is read fresh on every request, so a changed role
//! or a deactivated person takes effect at once. Each session has a CSRF token that
//! every form carries back ([`Signed::check_csrf`]), and each route asks for the role
//! it needs ([`Signed::require`]).
//!
//! Scripts sign each request instead: `Authorization: Bearer tsp_…`, a personal token
//! ([`accounts::verify_token`]). The request acts as the token's person with the lower
//! of the token's cap and the person's current role. A bearer request carries no
//! ambient credential a page on another site could borrow, so it needs no CSRF token;
//! a bearer token that is not live (unknown, revoked, or its person inactive or
//! erased) is answered 401, never a redirect to sign in.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use crate::{blocking, WebError};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::escape::percent;
use tagstation_core::people::{Person, Role};
use tagstation_hub::accounts;
use tagstation_hub::server::AppState;
use tagstation_hub::tables::select_people;

pub const SESSION_COOKIE: &str = "ts_session";

/// The signed-in person as a page shows them (name, role, the form token).
#[derive(Debug, Clone)]
pub struct Me {
    pub name: String,
    pub role: Role,
    pub csrf: String,
}

impl Me {
    pub fn can(&self, role: Role) -> bool {
        self.role >= role
    }
    pub fn role_name(&self) -> &'static str {
        self.role.as_str()
    }
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A session cookie: forms must carry the session's CSRF token.
    Session,
    /// A personal token in `Authorization: Bearer`: no ambient credential, no CSRF.
    Token,
}

/// A request from a signed-in person. Pages that need one take it as an argument;
/// without a live session the request is sent to sign in first. `person.role` is the
/// role the request acts with (for a token, capped by the token).
#[derive(Debug, Clone)]
pub struct Signed {
    pub person: Person,
    pub csrf: String,
    pub via: Via,
}

impl Signed {
    pub fn me(&self) -> Me {
        Me {
            name: self.person.name.clone(),
            role: self.person.role,
            csrf: self.csrf.clone(),
        }
    }

    /// Refuse unless the person's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), WebError> {
        if self.person.role >= role {
            Ok(())
        } else {
            Err(WebError::Forbidden(format!(
                "this needs the {} role; you are signed in as {}",
                role.as_str(),
                self.person.role.as_str()
            )))
        }
    }

    /// Refuse a form that does not carry this session's CSRF token. A bearer request
    /// needs none (a browser never adds the header on its own).
    pub fn check_csrf(&self, presented: &str) -> Result<(), WebError> {
        if self.via == Via::Token {
            return Ok(());
        }
        if !presented.is_empty() && bool::from(presented.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// A form post: refused without this session's CSRF token, then unless the
    /// person's role is at least `role`. Every route that changes something starts here.
    pub fn may_post(&self, csrf: &str, role: Role) -> Result<(), WebError> {
        self.check_csrf(csrf)?;
        self.require(role)
    }

    /// How the person is named in history.
    pub fn actor(&self) -> tagstation_ops::Actor {
        tagstation_ops::Actor::new(format!("web:{}", self.person.name))
    }
}

/// A form that carries nothing but its CSRF token (sign out, revoke, resolve).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure under TLS.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age_s: i64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    let v = format!(
        "{name}={value}; Path={path}; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}"
    );
    // Values are hex and fixed names: always a valid header.
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Where to go after signing in: only a path on this site (no `//host`, no scheme),
/// else the overview. Refuses open redirects.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn to_sign_in(parts: &Parts) -> Response {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next = percent(path, "/");
    Redirect::to(&format!("/sign-in?next={next}")).into_response()
}

/// The secret of an `Authorization: Bearer` header, if the request has one. Other
/// schemes (a proxy's Basic, say) are left alone.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, secret) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_string())
}

/// A request signed with a personal token: its person, acting with the lower of the
/// token's cap and their role; 401 unless the token is live and the person active.
pub(crate) async fn by_token(st: &Arc<AppState>, secret: String) -> Result<Signed, Response> {
    let store = st.store.clone();
    let found = blocking(move || {
        Ok(tagstation_hub::write(store.as_ref(), |c| {
            accounts::token_person(c, &secret, SystemClock.now().0)
        })?)
    })
    .await
    .map_err(IntoResponse::into_response)?;
    match found {
        Some(person) => Ok(Signed {
            person,
            csrf: String::new(),
            via: Via::Token,
        }),
        None => Err(WebError::Unauthorized.into_response()),
    }
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Self, Response> {
        if let Some(secret) = bearer(&parts.headers) {
            return by_token(st, secret).await;
        }
        let Some(cookie) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string) else {
            return Err(to_sign_in(parts));
        };
        let store = st.store.clone();
        let found = blocking(move || {
            Ok(tagstation_hub::read(store.as_ref(), |c| {
                let now = SystemClock.now().0;
                let Some(s) = accounts::session(c, &cookie, now)? else {
                    return Ok(None);
                };
                let person = select_people(
                    c,
                    "WHERE id = ?1",
                    &[tagstation_hub::db::Value::from(s.person)],
                )?
                .pop();
                Ok(person.map(|p| (p, s.csrf)))
            })?)
        })
        .await
        .map_err(IntoResponse::into_response)?;
        match found {
            Some((person, csrf)) if person.active && !person.erased => Ok(Signed {
                person,
                csrf,
                via: Via::Session,
            }),
            _ => Err(to_sign_in(parts)),
        }
    }
}
