//! tagstation-web: the office. The web app `tagstation hub` serves at `/`, from the
//! same process and database as the API: sign-in, roles, and pages over the catalog.
//!
//! - Pages are server-rendered HTML from compile-time-checked templates (askama,
//!   `templates/`), escaped by default. Every path works without JavaScript; the
//!   vendored htmx (`static/`) only makes the search live.
//! - [`session`]: who is signed in (a session cookie, kept in the hub's database), the
//!   CSRF token every form carries, and the role each route requires.
//! - [`pages`]: what people read (overview, items, units, people).
//! - [`actions`]: what people change. Every change goes through the operations layer
//!   (`tagstation-ops`) over the hub's ledger, as the signed-in person (`web:<name>`),
//!   so it is an ordinary event that reaches the stations by sync.
//! - [`catalog`]: changing items, units, people and locations from forms, through the
//!   same operations layer.
//! - [`reports`]: overdue, warranty and service due, utilisation.
//! - [`transfer`]: CSV import (a dry-run preview first) and export.
//! - [`labels`]: "Print labels": a PDF of labels for an item's units, chosen units,
//!   locations or badges (`tagstation-labels`).
//! - [`kits`]: kits (their state, lending a whole kit and taking it back with what
//!   is missing recorded; admins make and change them).
//! - [`reservations`]: the reservations calendar (by item, person or everyone), the
//!   form that makes one, cancelling, and each person's iCalendar feed ([`ics`]).
//! - [`fleet`]: stations (add with a one-time code, revoke) and conflicts to review.
//! - [`signin`]: signing in and out and setting a password from a one-time link.
//! - [`tokens`]: personal API tokens (`tsp_…`, capped at a role) for scripts.
//! - [`setup`]: the first admin and set-password links, from the command line.
//!
//! The hub does not depend on this crate: the binary hands [`routes`] to the hub as
//! extra routes beside its API.

pub mod actions;
pub mod catalog;
pub mod error;
pub mod fleet;
pub mod ics;
pub mod kits;
pub mod labels;
pub mod pages;
pub mod reminders;
pub mod reports;
pub mod reservations;
pub mod session;
pub mod setup;
pub mod signin;
pub mod tokens;
pub mod transfer;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use tagstation_hub::server::AppState;

pub use error::WebError;

/// Rows on one page of a list.
pub const PAGE: i64 = 50;

/// The web app's routes, served by the hub beside its API.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/sign-in", get(signin::form).post(signin::sign_in))
        .route("/sign-out", post(signin::sign_out))
        .route(
            "/set-password",
            get(signin::password_form).post(signin::set_password),
        )
        .route("/scan", get(pages::scan))
        .route("/items", get(pages::items))
        .route(
            "/items/new",
            get(catalog::new_item_form).post(catalog::create_item),
        )
        .route("/items/{item}", get(pages::item))
        .route(
            "/items/{item}/edit",
            get(catalog::edit_item_form).post(catalog::edit_item),
        )
        .route("/items/{item}/units", post(catalog::add_unit))
        .route("/items/{item}/quantity", post(catalog::adjust_quantity))
        .route(
            "/items/{item}/tracking",
            get(pages::tracking_preview).post(actions::switch_tracking),
        )
        .route("/units/{unit}", get(pages::unit))
        .route("/photos/{sha}", get(pages::photo))
        .route("/units/{unit}/check-out", post(actions::check_out))
        .route("/units/{unit}/check-in", post(actions::check_in))
        .route("/units/{unit}/status", post(catalog::set_status))
        .route("/units/{unit}/move", post(catalog::move_unit))
        .route(
            "/locations",
            get(catalog::locations).post(catalog::create_location),
        )
        .route(
            "/locations/{location}",
            get(catalog::location).post(catalog::edit_location),
        )
        .route("/stations", get(fleet::stations).post(fleet::add_station))
        .route("/stations/{name}/revoke", post(fleet::revoke_station))
        .route("/conflicts", get(fleet::conflicts))
        .route("/conflicts/{event}/resolve", post(fleet::resolve_conflict))
        .route("/reports", get(reports::reports))
        .route(
            "/import",
            get(transfer::import_form)
                .post(transfer::import)
                .layer(DefaultBodyLimit::max(transfer::IMPORT_MAX_BYTES)),
        )
        .route("/export/items.csv", get(transfer::export_items))
        .route("/export/units.csv", get(transfer::export_units))
        .route("/labels.pdf", get(labels::labels_pdf))
        .route("/people", get(pages::people))
        .route(
            "/people/new",
            get(catalog::new_person_form).post(catalog::create_person),
        )
        .route(
            "/people/{person}",
            get(catalog::person).post(catalog::edit_person),
        )
        .route(
            "/people/{person}/password-link",
            post(actions::password_link),
        )
        .route("/people/{person}/sign-out", post(actions::revoke_sessions))
        .route(
            "/reservations",
            get(reservations::calendar).post(reservations::reserve),
        )
        .route("/reservations/{id}/cancel", post(reservations::cancel))
        .route("/reservations.ics", get(reservations::feed))
        .route("/kits", get(kits::list).post(kits::create))
        .route("/kits/{id}", get(kits::page).post(kits::edit))
        .route("/kits/{id}/check-out", post(kits::check_out))
        .route("/kits/{id}/check-in", post(kits::check_in))
        .route("/kits/{id}/reserve", post(kits::reserve))
        .route("/reminders", get(reminders::reminders))
        .route("/reminders/preferences", post(reminders::save))
        .route("/tokens", get(tokens::tokens).post(tokens::new_token))
        .route("/tokens/{token}/revoke", post(tokens::revoke_token))
        .route("/static/htmx.min.js", get(htmx))
        .route("/static/style.css", get(style))
}

async fn htmx() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/htmx.min.js"),
    )
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/style.css"),
    )
}

/// An id from a path; anything else is a page that does not exist.
pub(crate) fn parse_id(s: &str, what: &str) -> Result<uuid::Uuid, WebError> {
    s.parse()
        .map_err(|_| WebError::NotFound(format!("no such {what}")))
}

/// Run blocking work (the store, the operations layer) on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WebError::Internal(format!("background task failed: {e}")))?
}
