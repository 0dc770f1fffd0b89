//! People: adding, changing and erasing them, and the lending rules that name them.
//!
//! People are managed by the hub (its admin commands, later its web app). A station
//! enrolled with a hub receives them by sync and can never make or change one
//! ([`Ledger::manages_people`]); a standalone station is its own hub until it enrolls.
//! Every check-out names a known, active person who may borrow ([`holder`]), within
//! their limit of open check-outs ([`check_limit`]), due by their default loan length
//! when no date is given ([`due_for`]).

use uuid::Uuid;

use tagstation_core::catalog::{fold, Status};
use tagstation_core::event::{Command, DomainError, EventKind};
use tagstation_core::people::{pseudonym, Person, PersonFields, Role};

use crate::{one_recorded, record, Actor, Ledger, OpError};

/// Refuse a change of people where they are not managed (a station with a hub).
fn managed_here(l: &impl Ledger) -> Result<(), OpError> {
    if l.manages_people() {
        return Ok(());
    }
    Err(OpError::Invalid {
        user: "People are managed on the hub: ask an administrator (`tagstation admin people ...`). This station receives them when it syncs.".into(),
        engineer: "people are managed on the hub; this station is enrolled with one".into(),
    })
}

use crate::on_subject as on_person;

/// Add a person. Their name must be new (letter case aside) and their badges must not
/// be any other code the catalog knows.
pub fn add_person(
    l: &mut impl Ledger,
    fields: PersonFields,
    actor: &Actor,
) -> Result<Person, OpError> {
    managed_here(l)?;
    let cmd = add_person_command(fields, actor)?;
    let id = cmd.item_id;
    one_recorded(record(l, vec![cmd])?)?;
    l.person(id)
}

/// The command that adds a person, for a caller that records several at once (an
/// import).
pub fn add_person_command(fields: PersonFields, actor: &Actor) -> Result<Command, OpError> {
    fields.check().map_err(DomainError::from)?;
    Ok(on_person(
        Uuid::now_v7(),
        EventKind::PersonCreated(fields),
        actor,
    ))
}

/// Changes to a person; `None` keeps what they have.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersonChange {
    pub name: Option<String>,
    /// Badge codes to add.
    pub add_badges: Vec<String>,
    /// Badge codes to take away (letter case aside).
    pub remove_badges: Vec<String>,
    /// `Some(None)` clears the email (`null` in JSON; an absent field keeps it).
    #[serde(
        deserialize_with = "crate::some_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// `Some(None)` clears the limit.
    #[serde(
        deserialize_with = "crate::some_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_checkouts: Option<Option<i64>>,
    /// `Some(None)` clears the default loan length.
    #[serde(
        deserialize_with = "crate::some_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub loan_days: Option<Option<i64>>,
}

impl PersonChange {
    /// The person's fields after this change.
    pub fn applied_to(&self, p: &Person) -> PersonFields {
        let mut f = p.fields();
        if let Some(n) = &self.name {
            f.name = n.clone();
        }
        f.badges
            .retain(|b| !self.remove_badges.iter().any(|r| fold(r) == fold(b)));
        for b in &self.add_badges {
            if !f.badges.iter().any(|x| fold(x) == fold(b)) {
                f.badges.push(b.clone());
            }
        }
        if let Some(e) = &self.email {
            f.email = e.clone();
        }
        if let Some(r) = self.role {
            f.role = r;
        }
        if let Some(a) = self.active {
            f.active = a;
        }
        if let Some(m) = self.max_checkouts {
            f.max_checkouts = m;
        }
        if let Some(d) = self.loan_days {
            f.loan_days = d;
        }
        f
    }
}

/// Change a person, found by name, badge or id.
pub fn edit_person(
    l: &mut impl Ledger,
    reference: &str,
    change: &PersonChange,
    actor: &Actor,
) -> Result<Person, OpError> {
    managed_here(l)?;
    let p = l.find_person(reference)?;
    let Some(cmd) = edit_person_command(&p, change, actor)? else {
        return Err(OpError::invalid(format!(
            "nothing to change: {} already is so",
            p.name
        )));
    };
    one_recorded(record(l, vec![cmd])?)?;
    l.person(p.id)
}

/// The command that changes a person, or `None` when the change changes nothing.
pub fn edit_person_command(
    p: &Person,
    change: &PersonChange,
    actor: &Actor,
) -> Result<Option<Command>, OpError> {
    let fields = change.applied_to(p);
    if fields == p.fields() {
        return Ok(None);
    }
    fields.check().map_err(DomainError::from)?;
    Ok(Some(on_person(
        p.id,
        EventKind::PersonEdited(fields),
        actor,
    )))
}

/// Erase a person who left: their name, badges and email are replaced by a
/// pseudonym everywhere (the catalog, every event of history, every station after it
/// syncs); the units' history stays whole. Refused while they have units checked
/// out: who has them must not be lost. Returns the pseudonym.
pub fn erase_person(
    l: &mut impl Ledger,
    reference: &str,
    actor: &Actor,
) -> Result<String, OpError> {
    managed_here(l)?;
    let p = l.find_person(reference)?;
    let held = l.units_held_by(p.id)?;
    if !held.is_empty() {
        let names: Vec<String> = held.iter().map(|u| u.name.clone()).collect();
        return Err(OpError::Invalid {
            user: format!(
                "{} still has {} checked out. Check them in before erasing this person.",
                p.name,
                names.join(", ")
            ),
            engineer: format!(
                "cannot erase {}: still has {} checked out; check them in first",
                p.name,
                names.join(", ")
            ),
        });
    }
    let name = pseudonym(p.id);
    let kind = EventKind::PersonErased {
        pseudonym: name.clone(),
    };
    one_recorded(record(l, vec![on_person(p.id, kind, actor)])?)?;
    Ok(name)
}

/// The person a check-out goes to, found by name or badge (letter case aside): known,
/// active and allowed to borrow.
pub fn holder(l: &impl Ledger, reference: &str) -> Result<Person, OpError> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(OpError::invalid("say who takes it: the holder is empty"));
    }
    let p = match l.find_person(reference) {
        Ok(p) => p,
        Err(OpError::NotFound { .. }) => {
            return Err(OpError::Invalid {
                user: format!(
                    "{reference} is not a known person. Check the name or badge; new people are added by an administrator."
                ),
                engineer: format!("holder {reference:?} is not a known person"),
            })
        }
        Err(e) => return Err(e),
    };
    p.may_borrow().map_err(DomainError::from)?;
    Ok(p)
}

/// Refuse a check-out of `adding` more units that would take a person over their
/// limit of open check-outs.
pub fn check_limit(l: &impl Ledger, person: &Person, adding: usize) -> Result<(), OpError> {
    let Some(max) = person.max_checkouts else {
        return Ok(());
    };
    let open = l
        .units_held_by(person.id)?
        .iter()
        .filter(|u| u.status == Status::CheckedOut)
        .count() as i64;
    if open + adding as i64 > max {
        return Err(OpError::Invalid {
            user: format!(
                "{} may have {max} units checked out at once and has {open}. Check something in first.",
                person.name
            ),
            engineer: format!(
                "over the limit of {}: {max} units checked out at once, has {open}, {adding} more asked",
                person.name
            ),
        });
    }
    Ok(())
}

/// The due date of a check-out to `person`: the one given, else today plus their
/// default loan length, else none.
pub fn due_for(person: &Person, due: Option<&str>) -> Option<String> {
    if let Some(d) = due {
        return Some(d.to_string());
    }
    person.loan_days.map(tagstation_core::clock::in_days)
}

/// One person of an import (a station's config, a CSV file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRow {
    pub name: String,
    #[serde(default)]
    pub badges: Vec<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub max_checkouts: Option<i64>,
    #[serde(default)]
    pub loan_days: Option<i64>,
}

/// What an import did (or, in a dry run, would do), one line a person.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeopleImported {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Import people: each row is matched to a person by name (letter case aside) and
/// adds what is new (badges are added, never taken away), or adds the person. All
/// rows in one write, or none and the row that failed (1-based) with why.
pub fn import_people(
    l: &mut impl Ledger,
    rows: &[PersonRow],
    dry_run: bool,
    actor: &Actor,
) -> Result<PeopleImported, (usize, OpError)> {
    managed_here(l).map_err(|e| (0, e))?;
    let mut out = PeopleImported::default();
    let mut cmds = Vec::new();
    let mut rows_of_cmds = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let at = |e: OpError| (i + 1, e);
        match l.find_person(&r.name) {
            Ok(p) => {
                let change = PersonChange {
                    add_badges: r.badges.clone(),
                    email: r.email.clone().map(Some),
                    role: r.role,
                    max_checkouts: r.max_checkouts.map(Some),
                    loan_days: r.loan_days.map(Some),
                    ..PersonChange::default()
                };
                match edit_person_command(&p, &change, actor).map_err(at)? {
                    Some(c) => {
                        cmds.push(c);
                        rows_of_cmds.push(i + 1);
                        out.changed.push(p.name);
                    }
                    None => out.unchanged.push(p.name),
                }
            }
            Err(OpError::NotFound { .. }) => {
                let fields = PersonFields {
                    name: r.name.clone(),
                    badges: r.badges.clone(),
                    email: r.email.clone(),
                    role: r.role.unwrap_or(Role::Borrower),
                    active: true,
                    max_checkouts: r.max_checkouts,
                    loan_days: r.loan_days,
                };
                cmds.push(add_person_command(fields, actor).map_err(at)?);
                rows_of_cmds.push(i + 1);
                out.added.push(r.name.clone());
            }
            Err(e) => return Err(at(e)),
        }
    }
    let row_of = |i: usize| rows_of_cmds.get(i).copied().unwrap_or(0);
    if dry_run {
        l.rehearse(cmds).map_err(|(i, e)| (row_of(i), e))?;
    } else if !cmds.is_empty() {
        l.record(cmds).map_err(|(i, e)| (row_of(i), e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{add_unit, create_item, NewItem, NewUnit};
    use crate::lending::{check_in, check_out};
    use crate::mem::MemLedger;

    pub(crate) fn person(name: &str, badge: &str, role: Role) -> PersonFields {
        PersonFields {
            name: name.into(),
            badges: vec![badge.into()],
            email: None,
            role,
            active: true,
            max_checkouts: None,
            loan_days: None,
        }
    }

    #[test]
    fn people_are_added_changed_found_by_badge_and_unique() {
        let mut l = MemLedger::new();
        let a = Actor::from("admin");
        let ana = add_person(&mut l, person("Ana", "B-1", Role::Borrower), &a).unwrap();
        assert_eq!(l.find_person("b-1").unwrap().id, ana.id);
        assert_eq!(l.find_person("ANA").unwrap().id, ana.id);
        let e = add_person(&mut l, person("ana", "B-2", Role::Viewer), &a).unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::DuplicatePersonName(_))),
            "{e:?}"
        );
        let e = add_person(&mut l, person("Ben", "b-1", Role::Viewer), &a).unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::DuplicateTag { .. })),
            "{e:?}"
        );
        let change = PersonChange {
            name: Some("Ana Lima".into()),
            max_checkouts: Some(Some(1)),
            ..PersonChange::default()
        };
        let ana = edit_person(&mut l, "ana", &change, &a).unwrap();
        assert_eq!(
            (ana.name.as_str(), ana.max_checkouts),
            ("Ana Lima", Some(1))
        );
        assert!(
            edit_person(&mut l, "ana lima", &change, &a).is_err(),
            "no change"
        );
    }

    #[test]
    fn a_badge_cannot_become_an_asset_tag_and_back() {
        let mut l = MemLedger::new();
        let a = Actor::from("admin");
        add_person(&mut l, person("Ana", "B-1", Role::Borrower), &a).unwrap();
        let drill = create_item(&mut l, NewItem::units("Drill"), &a).unwrap();
        let new = NewUnit {
            tag: Some("b-1".into()),
            ..NewUnit::default()
        };
        let e = add_unit(&mut l, drill, new, &a).unwrap_err();
        assert!(
            e.user_message().contains("badge of Ana"),
            "{}",
            e.user_message()
        );
        let new = NewUnit {
            tag: Some("TS-1".into()),
            ..NewUnit::default()
        };
        add_unit(&mut l, drill, new, &a).unwrap();
        let e = add_person(&mut l, person("Ben", "ts-1", Role::Borrower), &a).unwrap_err();
        assert!(
            e.user_message().contains("Drill 01"),
            "{}",
            e.user_message()
        );
    }

    #[test]
    fn lending_names_a_known_active_borrower_within_their_limit() {
        let mut l = MemLedger::new();
        let a = Actor::from("admin");
        let mut f = person("Ana", "B-1", Role::Borrower);
        f.max_checkouts = Some(1);
        f.loan_days = Some(7);
        add_person(&mut l, f, &a).unwrap();
        add_person(&mut l, person("Vic", "B-2", Role::Viewer), &a).unwrap();
        let laptop = create_item(&mut l, NewItem::units("Laptop"), &a).unwrap();
        let u: Vec<_> = (0..2)
            .map(|_| add_unit(&mut l, laptop, NewUnit::default(), &a).unwrap().id)
            .collect();
        let e = check_out(&mut l, &u[..1], "Zed", None, &a).unwrap_err();
        assert!(
            e.user_message().contains("not a known person"),
            "{}",
            e.user_message()
        );
        let e = check_out(&mut l, &u[..1], "vic", None, &a).unwrap_err();
        assert!(
            e.user_message().contains("may not borrow"),
            "{}",
            e.user_message()
        );
        let e = check_out(&mut l, &u, "ana", None, &a).unwrap_err();
        assert!(
            e.user_message().contains("1 units checked out at once"),
            "{}",
            e.user_message()
        );
        check_out(&mut l, &u[..1], "b-1", None, &a).unwrap();
        let out = l.unit(u[0]).unwrap();
        assert_eq!(
            out.holder.as_deref(),
            Some("Ana"),
            "the person's name, not the badge"
        );
        assert!(out.due.is_some(), "due by the default loan length");
        assert!(
            check_out(&mut l, &u[1..], "Ana", None, &a).is_err(),
            "at the limit"
        );
        let e = erase_person(&mut l, "Ana", &a).unwrap_err();
        assert!(
            e.user_message().contains("Check them in"),
            "{}",
            e.user_message()
        );
        check_in(&mut l, u[0], None, &a, None).unwrap();
        let alias = erase_person(&mut l, "Ana", &a).unwrap();
        assert!(l.find_person("Ana").is_err());
        assert_eq!(l.find_person(&alias).unwrap().name, alias);
        assert!(
            check_out(&mut l, &u[..1], &alias, None, &a).is_err(),
            "erased"
        );
    }

    #[test]
    fn an_import_adds_and_merges_by_name_in_one_write() {
        let mut l = MemLedger::new();
        let a = Actor::from("admin");
        add_person(&mut l, person("Ana", "B-1", Role::Borrower), &a).unwrap();
        let rows = vec![
            PersonRow {
                name: "ana".into(),
                badges: vec!["B-9".into()],
                email: None,
                role: None,
                max_checkouts: None,
                loan_days: None,
            },
            PersonRow {
                name: "Ben".into(),
                badges: vec!["B-2".into()],
                email: Some("ben@example.com".into()),
                role: Some(Role::Operator),
                max_checkouts: None,
                loan_days: None,
            },
        ];
        let before = l.events().len();
        let dry = import_people(&mut l, &rows, true, &a).unwrap();
        assert_eq!(l.events().len(), before, "a dry run records nothing");
        assert_eq!((dry.added.len(), dry.changed.len()), (1, 1));
        import_people(&mut l, &rows, false, &a).unwrap();
        assert_eq!(l.find_person("B-9").unwrap().badges, ["B-1", "B-9"]);
        assert_eq!(l.find_person("b-2").unwrap().role, Role::Operator);
        let again = import_people(&mut l, &rows, false, &a).unwrap();
        assert_eq!(again.unchanged.len(), 2);
        let mut bad = rows.clone();
        bad[1].badges = vec!["B-1".into()];
        bad[1].name = "Cy".into();
        let (row, _) = import_people(&mut l, &bad, false, &a).unwrap_err();
        assert_eq!(row, 2);
    }
}
