//! Locations: the sites, rooms, vans and shelves where units are.
//!
//! A [`Location`] is a catalog entity made by events, like an item: a name (unique,
//! letter case aside), a [`LocationKind`], an optional parent (a shelf in a room on a
//! site) and an optional code, so a location can carry a label that a scan resolves.
//! Units refer to a location by its id; the name they show is the location's current
//! name, so renaming a location renames it on every unit there.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{check_tag, check_text, TextError};

pub type LocationId = Uuid;

/// Deepest a chain of parents may go (a shelf in a room in a building on a site...).
pub const MAX_DEPTH: usize = 16;

/// What kind of place it is. Only a word for people and lists: the rules treat every
/// kind alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Site,
    Room,
    Van,
    Shelf,
    #[default]
    Other,
}

impl LocationKind {
    pub const ALL: [LocationKind; 5] = [
        LocationKind::Site,
        LocationKind::Room,
        LocationKind::Van,
        LocationKind::Shelf,
        LocationKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Site => "site",
            LocationKind::Room => "room",
            LocationKind::Van => "van",
            LocationKind::Shelf => "shelf",
            LocationKind::Other => "other",
        }
    }
}

impl fmt::Display for LocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LocationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocationKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown kind of location {s:?}; expected site, room, van, shelf or other")
            })
    }
}

/// A location as the catalog knows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub id: LocationId,
    pub name: String,
    pub kind: LocationKind,
    pub parent: Option<LocationId>,
    /// A code its label carries, in the one namespace of codes.
    pub code: Option<String>,
    /// An inactive location keeps its history but takes no more units.
    pub active: bool,
    pub version: i64,
}

/// What a location is made of, as `location_created` and `location_edited` carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationFields {
    pub name: String,
    #[serde(default)]
    pub kind: LocationKind,
    #[serde(default)]
    pub parent: Option<LocationId>,
    #[serde(default)]
    pub code: Option<String>,
    pub active: bool,
}

impl LocationFields {
    /// The stateless rules: a name and a well-formed code.
    pub fn check(&self) -> Result<(), TextError> {
        check_text("location name", &self.name)?;
        if let Some(c) = &self.code {
            check_tag("location code", c)?;
        }
        Ok(())
    }

    pub fn into_location(self, id: LocationId, version: i64) -> Location {
        Location {
            id,
            name: self.name,
            kind: self.kind,
            parent: self.parent,
            code: self.code,
            active: self.active,
            version,
        }
    }
}

impl Location {
    pub fn fields(&self) -> LocationFields {
        LocationFields {
            name: self.name.clone(),
            kind: self.kind,
            parent: self.parent,
            code: self.code.clone(),
            active: self.active,
        }
    }
}
