//! The reminders page: the settings the hub runs them with, what each person chose to
//! get (everyone sets their own: kinds to skip, a daily digest), and the sent-log, with
//! failures and retries. Operators see every row of the log; others see their own.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

use crate::actions::Pairs;
use crate::pages::read;
use crate::session::{Me, Signed};
use crate::signin::render;
use crate::{blocking, WebError};
use tagstation_core::clock::rfc3339;
use tagstation_core::people::Role;
use tagstation_hub::server::AppState;
use tagstation_remind::due::Kind;
use tagstation_remind::log::{self, Entry, Prefs};

/// Rows of the log a page shows.
const SHOWN: i64 = 200;

/// One kind a person may choose about.
pub struct Choice {
    pub kind: &'static str,
    pub words: &'static str,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "reminders.html")]
struct RemindersPage {
    me: Option<Me>,
    /// The settings as `(name, value)`, and when the hub that wrote them started.
    settings: Option<(Vec<(String, String)>, String)>,
    choices: Vec<Choice>,
    digest: bool,
    everyone: bool,
    log: Vec<Entry>,
}

pub async fn reminders(
    State(st): State<Arc<AppState>>,
    signed: Signed,
) -> Result<Response, WebError> {
    let me = signed.person.id;
    let everyone = signed.person.role >= Role::Operator;
    let (settings, prefs, log) = read(&st, move |c| {
        Ok((
            log::shown_settings(c)?,
            log::prefs(c, me)?,
            log::recent(c, (!everyone).then_some(me), SHOWN)?,
        ))
    })
    .await?;
    let settings = settings.map(|s| (s.rows, rfc3339(s.set_ms)));
    let choices = Kind::CHOOSABLE
        .into_iter()
        .map(|k| Choice {
            kind: k.as_str(),
            words: k.describe(),
            on: !prefs.opted_out.contains(&k),
        })
        .collect();
    Ok(render(RemindersPage {
        me: Some(signed.me()),
        settings,
        choices,
        digest: prefs.digest,
        everyone,
        log,
    }))
}

/// Save what the signed-in person gets, from the form's `csrf`, `digest` and one
/// `get` per kind ticked (a repeated field, so the form is read as [`Pairs`]). Kinds left
/// unticked are opted out of ("overdue" still reaches them as the borrower).
pub async fn save(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Form(f): Form<Pairs>,
) -> Result<Response, WebError> {
    signed.may_post(f.csrf(), Role::Viewer)?;
    let prefs = Prefs {
        opted_out: Kind::CHOOSABLE
            .into_iter()
            .filter(|k| !f.all("get").any(|v| v == k.as_str()))
            .collect(),
        digest: f.get("digest").is_some(),
    };
    let me = signed.person.id;
    let store = st.store.clone();
    blocking(move || {
        Ok(tagstation_hub::write(store.as_ref(), |c| {
            log::set_prefs(c, me, &prefs)
        })?)
    })
    .await?;
    Ok(Redirect::to("/reminders").into_response())
}
