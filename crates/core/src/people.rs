//! People: who borrows, who works the stations, who runs the office.
//!
//! A [`Person`] is a catalog entity like an item: created and changed by events, synced
//! to every station. Only the hub makes people events (a station receives them and can
//! never grant a role), except on a standalone station, which is its own hub until it
//! enrolls. A person has a name (unique, letter case aside), badge codes (in the one
//! namespace of codes with asset tags, barcodes and location codes), an optional
//! email, a [`Role`], whether they are active, and optional lending limits.
//!
//! A person who leaves can be erased: [`Scrub`] says what every replica rewrites in
//! its stored history so that the name, badges and email are gone everywhere, while
//! the units' history stays whole under a pseudonym.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{check_tag, check_text, fold, TextError};
use crate::event::{Event, EventKind};

pub type PersonId = Uuid;

/// Longest an email address may be, in bytes (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Most badge codes one person may carry.
pub const MAX_BADGES: usize = 16;
/// Largest lending limit or loan length that makes sense.
pub const MAX_LIMIT: i64 = 10_000;

/// What a person may do. Ordered: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads: the catalog, history, reports.
    Viewer,
    /// Checks units out and in for themselves.
    Borrower,
    /// Every unit and quantity operation, for anyone.
    Operator,
    /// The catalog, people, locations, stations and users.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Borrower, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Borrower => "borrower",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// May a person with this role hold units (be the holder of a check-out)?
    pub fn can_borrow(self) -> bool {
        self >= Role::Borrower
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown role {s:?}; expected viewer, borrower, operator or admin")
            })
    }
}

/// A person as the catalog knows them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    /// Codes a badge reader or scanner reads for this person.
    pub badges: Vec<String>,
    pub email: Option<String>,
    pub role: Role,
    /// An inactive person keeps their history but cannot borrow or sign in.
    pub active: bool,
    /// At most this many units checked out at once, if set.
    pub max_checkouts: Option<i64>,
    /// A check-out with no due date is due this many days later, if set.
    pub loan_days: Option<i64>,
    /// Erased: the name is a pseudonym and nothing personal is kept.
    pub erased: bool,
    /// How many events have changed this person.
    pub version: i64,
}

/// What a person is made of, as a `person_created` or `person_edited` event carries it
/// (every field, so an edit says the whole new state and replays the same everywhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonFields {
    pub name: String,
    #[serde(default)]
    pub badges: Vec<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub role: Role,
    pub active: bool,
    #[serde(default)]
    pub max_checkouts: Option<i64>,
    #[serde(default)]
    pub loan_days: Option<i64>,
}

impl PersonFields {
    /// The stateless rules: a name, well-formed badges (no two alike), a plausible
    /// email, limits in range.
    pub fn check(&self) -> Result<(), PersonError> {
        check_text("person's name", &self.name)?;
        if self.badges.len() > MAX_BADGES {
            return Err(PersonError::TooManyBadges(self.badges.len()));
        }
        for (i, b) in self.badges.iter().enumerate() {
            check_tag("badge code", b)?;
            if self.badges[..i].iter().any(|o| fold(o) == fold(b)) {
                return Err(PersonError::RepeatedBadge(b.clone()));
            }
        }
        if let Some(e) = &self.email {
            check_email(e)?;
        }
        for (what, v) in [
            ("max check-outs", self.max_checkouts),
            ("loan days", self.loan_days),
        ] {
            if let Some(v) = v {
                if !(1..=MAX_LIMIT).contains(&v) {
                    return Err(PersonError::BadLimit { what, value: v });
                }
            }
        }
        Ok(())
    }

    /// These fields applied to a person (a new one, or the next version).
    pub fn into_person(self, id: PersonId, version: i64) -> Person {
        Person {
            id,
            name: self.name,
            badges: self.badges,
            email: self.email,
            role: self.role,
            active: self.active,
            max_checkouts: self.max_checkouts,
            loan_days: self.loan_days,
            erased: false,
            version,
        }
    }
}

impl Person {
    /// The person's current fields, to change some and record a `person_edited`.
    pub fn fields(&self) -> PersonFields {
        PersonFields {
            name: self.name.clone(),
            badges: self.badges.clone(),
            email: self.email.clone(),
            role: self.role,
            active: self.active,
            max_checkouts: self.max_checkouts,
            loan_days: self.loan_days,
        }
    }

    /// May this person hold units now? Active, not erased, and a role that borrows.
    pub fn may_borrow(&self) -> Result<(), PersonError> {
        if self.erased || !self.active {
            return Err(PersonError::Inactive(self.name.clone()));
        }
        if !self.role.can_borrow() {
            return Err(PersonError::CannotBorrow(self.name.clone(), self.role));
        }
        Ok(())
    }

    /// Does this code (letter case aside) belong to this person's badges?
    pub fn has_badge(&self, code: &str) -> bool {
        let k = fold(code);
        self.badges.iter().any(|b| fold(b) == k)
    }
}

/// Why a person's fields or a check-out to them are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("{0:?} is not an email address like name@example.com")]
    BadEmail(String),
    #[error("{0} badges: at most {MAX_BADGES} per person")]
    TooManyBadges(usize),
    #[error("badge {0:?} is listed twice")]
    RepeatedBadge(String),
    #[error("{what} must be between 1 and {MAX_LIMIT}, not {value}")]
    BadLimit { what: &'static str, value: i64 },
    #[error("{0} is not active: ask an administrator to reactivate them")]
    Inactive(String),
    #[error("{0} is a {1}, who may not borrow: ask an administrator for the borrower role")]
    CannotBorrow(String, Role),
}

/// A plausible email address: one `@` with text on both sides, a dot in the domain,
/// no spaces or control characters, at most [`MAX_EMAIL_BYTES`]. Delivery is what
/// really checks an address; this only refuses what is surely a typo.
pub fn check_email(s: &str) -> Result<(), PersonError> {
    let bad = || PersonError::BadEmail(s.to_string());
    if s.len() > MAX_EMAIL_BYTES || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(())
}

/// The name an erased person is shown by: "Former person 3F2A9C", derived from the id
/// so every replica shows the same one and it says nothing about the person.
pub fn pseudonym(id: PersonId) -> String {
    let hex = id.simple().to_string().to_uppercase();
    format!("Former person {}", &hex[hex.len() - 6..])
}

/// What an erasure removes from stored history: every name the person was known by,
/// their badge codes and emails, each replaced by the pseudonym (or dropped). Built by
/// each replica from its own log of the person's events, so the erasure event itself
/// carries nothing personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrub {
    pub person: PersonId,
    pub pseudonym: String,
    /// Names (as keys, [`fold`]ed) and badge codes (folded) to replace.
    pub keys: Vec<String>,
    /// The exact texts to replace inside free-text notes.
    pub texts: Vec<String>,
}

impl Scrub {
    /// What to erase of a person, from the fields of every `person_created` and
    /// `person_edited` event they had (oldest first) and their current state.
    pub fn new<'a>(
        person: PersonId,
        pseudonym: &str,
        known_as: impl IntoIterator<Item = &'a PersonFields>,
    ) -> Scrub {
        let mut keys: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut add = |t: &str| {
            if !texts.iter().any(|x| x == t) {
                texts.push(t.to_string());
            }
            let k = fold(t);
            if !keys.contains(&k) {
                keys.push(k);
            }
        };
        for f in known_as {
            add(&f.name);
            for b in &f.badges {
                add(b);
            }
            if let Some(e) = &f.email {
                add(e);
            }
        }
        // Longest first, so "Ben Smith" is replaced before "Ben".
        texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
        Scrub {
            person,
            pseudonym: pseudonym.to_string(),
            keys,
            texts,
        }
    }

    /// Is this text (a holder, an actor such as `kiosk:Ben`) the erased person?
    fn names(&self, text: &str) -> bool {
        let tail = text.rsplit(':').next().unwrap_or(text);
        self.keys.contains(&fold(text)) || self.keys.contains(&fold(tail))
    }

    /// The actor with the person's name replaced, keeping a `web:` style prefix.
    fn actor(&self, actor: &str) -> String {
        match actor.rsplit_once(':') {
            Some((prefix, tail)) if self.keys.contains(&fold(tail)) => {
                format!("{prefix}:{}", self.pseudonym)
            }
            _ => self.pseudonym.clone(),
        }
    }

    /// Rewrite one stored event so that nothing of the person is left in it. Returns
    /// whether anything changed (the store then writes the event back).
    pub fn event(&self, ev: &mut Event) -> bool {
        let mut changed = false;
        if self.names(&ev.actor) {
            ev.actor = self.actor(&ev.actor);
            changed = true;
        }
        match &mut ev.kind {
            EventKind::PersonCreated(f) | EventKind::PersonEdited(f)
                if ev.item_id == self.person && f.name != self.pseudonym =>
            {
                f.name = self.pseudonym.clone();
                f.badges.clear();
                f.email = None;
                changed = true;
            }
            EventKind::CheckedOut {
                holder, holder_id, ..
            } if *holder != self.pseudonym
                && (*holder_id == Some(self.person) || self.names(holder)) =>
            {
                *holder = self.pseudonym.clone();
                *holder_id = Some(self.person);
                changed = true;
            }
            _ => {}
        }
        changed
    }

    /// A free-text note (a conflict's explanation) with the person's names replaced.
    pub fn note(&self, note: &str) -> Option<String> {
        let mut out = note.to_string();
        for t in &self.texts {
            if t.len() >= 2 {
                out = out.replace(t.as_str(), &self.pseudonym);
            }
        }
        (out != note).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> PersonFields {
        PersonFields {
            name: "Ana Lima".into(),
            badges: vec!["B-0001".into()],
            email: Some("ana@example.com".into()),
            role: Role::Borrower,
            active: true,
            max_checkouts: Some(3),
            loan_days: None,
        }
    }

    #[test]
    fn fields_are_checked() {
        assert!(ana().check().is_ok());
        let mut f = ana();
        f.email = Some("ana at example".into());
        assert!(matches!(f.check(), Err(PersonError::BadEmail(_))));
        let mut f = ana();
        f.badges = vec!["B-1".into(), "b-1".into()];
        assert!(matches!(f.check(), Err(PersonError::RepeatedBadge(_))));
        let mut f = ana();
        f.max_checkouts = Some(0);
        assert!(matches!(f.check(), Err(PersonError::BadLimit { .. })));
        assert!("Operator".parse::<Role>().unwrap() == Role::Operator);
        assert!("boss".parse::<Role>().is_err());
        assert!(Role::Admin.can_borrow() && !Role::Viewer.can_borrow());
    }

    #[test]
    fn a_scrub_replaces_every_name_badge_and_email() {
        let id = Uuid::now_v7();
        let mut renamed = ana();
        renamed.name = "Ana Lima-Sousa".into();
        let s = Scrub::new(id, &pseudonym(id), [&ana(), &renamed]);
        assert!(s.pseudonym.starts_with("Former person "));
        let mut ev = Event {
            id: Uuid::now_v7(),
            station_id: Uuid::now_v7(),
            station_seq: 1,
            actor: "kiosk:ana lima".into(),
            wall_time_ms: 0,
            clock_synced: true,
            item_id: Uuid::now_v7(),
            unit_id: Some(Uuid::now_v7()),
            base_version: Some(1),
            scan: None,
            kind: EventKind::CheckedOut {
                holder: "ANA LIMA".into(),
                due: None,
                holder_id: None,
            },
        };
        assert!(s.event(&mut ev));
        assert_eq!(ev.actor, format!("kiosk:{}", s.pseudonym));
        let EventKind::CheckedOut {
            holder, holder_id, ..
        } = &ev.kind
        else {
            unreachable!()
        };
        assert_eq!(holder, &s.pseudonym);
        assert_eq!(*holder_id, Some(id));
        assert!(!s.event(&mut ev), "a second pass changes nothing");

        let mut own = ev.clone();
        own.item_id = id;
        own.actor = "hub-admin".into();
        own.kind = EventKind::PersonEdited(renamed.clone());
        assert!(s.event(&mut own));
        let EventKind::PersonEdited(f) = &own.kind else {
            unreachable!()
        };
        assert_eq!(
            (f.name.as_str(), f.badges.len(), &f.email),
            (s.pseudonym.as_str(), 0, &None)
        );
        assert_eq!(
            s.note("Laptop 01 is checked out to Ana Lima-Sousa")
                .as_deref(),
            Some(format!("Laptop 01 is checked out to {}", s.pseudonym).as_str())
        );
        assert_eq!(s.note("nothing personal"), None);
    }
}
