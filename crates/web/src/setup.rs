//! Accounts made from the command line, before anyone can sign in: the first admin
//! (`tagstation hub create-admin`) and a set-password link for someone
//! (`tagstation hub password-link`). Both run on the hub's database directly.

use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::people::{Person, PersonFields, Role};
use tagstation_hub::{accounts, ledger, HubLedger, HubStore};
use tagstation_ops::people::{self, PersonChange};
use tagstation_ops::{one_of, Actor};

use crate::WebError;

/// Make `name` an admin who signs in with `password`: the person is created (or, if
/// they exist, given the admin role) through the operations layer, so every station
/// learns of them by sync. Returns the person and whether they were new.
pub fn create_admin(
    store: &dyn HubStore,
    name: &str,
    email: Option<&str>,
    password: &str,
) -> Result<(Person, bool), WebError> {
    accounts::check_password(password).map_err(WebError::BadRequest)?;
    let hash = accounts::hash_password(password)?;
    let actor = Actor::new("cli:create-admin");
    let found = tagstation_hub::read(store, |c| ledger::people_matching(c, name))?;
    let mut l = HubLedger::new(store);
    let (person, created) = match found.len() {
        0 => {
            let fields = PersonFields {
                name: name.to_string(),
                badges: Vec::new(),
                email: email.map(str::to_string),
                role: Role::Admin,
                active: true,
                max_checkouts: None,
                loan_days: None,
            };
            (people::add_person(&mut l, fields, &actor)?, true)
        }
        _ => {
            let p = one_of("person", name, found, |p| p.name.clone())?;
            if p.role == Role::Admin && p.active && email.is_none() {
                (p, false)
            } else {
                let change = PersonChange {
                    role: Some(Role::Admin),
                    active: Some(true),
                    email: email.map(|e| Some(e.to_string())),
                    ..PersonChange::default()
                };
                (
                    people::edit_person(&mut l, &p.id.to_string(), &change, &actor)?,
                    false,
                )
            }
        }
    };
    tagstation_hub::write(store, |c| {
        accounts::set_password(c, person.id, &hash, SystemClock.now().0)
    })?;
    Ok((person, created))
}

/// A one-time set-password link's path (`/set-password?token=...`) for a person named
/// by id, name, email or badge.
pub fn password_link(store: &dyn HubStore, person: &str) -> Result<(Person, String), WebError> {
    let found = tagstation_hub::read(store, |c| ledger::people_matching(c, person))?;
    let p = one_of("person", person, found, |p| p.name.clone())?;
    if !p.active || p.erased {
        return Err(WebError::Refused(format!(
            "{} is not active; make them active before they can sign in",
            p.name
        )));
    }
    let token = tagstation_hub::write(store, |c| accounts::new_link(c, p.id, SystemClock.now().0))?;
    Ok((p, format!("/set-password?token={token}")))
}
