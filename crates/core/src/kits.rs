//! Kits: a named set of units that go out and come back together (a camera body, two
//! lenses, batteries), with a tag of its own.
//!
//! A [`Kit`] is a catalog entity made by its own events, like a location: made and
//! changed (`kit_created`, `kit_edited`, each carrying all of [`KitFields`]), and
//! returned (`kit_returned`), which records the units that did not come back with it:
//! the kit is incomplete until they are checked in. A unit belongs to at most one
//! active kit, and the kit's tag is in the one namespace of codes, so a scan of it
//! names the kit.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{check_tag, check_text, TextError, UnitId};

pub type KitId = Uuid;

/// Most units one kit may hold.
pub const MAX_KIT_UNITS: usize = 200;

/// What a kit is made of, as `kit_created` and `kit_edited` carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KitFields {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub units: Vec<UnitId>,
    /// An inactive kit is kept with its history but holds no units any more.
    pub active: bool,
}

/// Why a kit's fields are not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KitError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("a kit holds at most {MAX_KIT_UNITS} units")]
    TooMany,
    #[error("the kit names a unit twice")]
    RepeatedUnit,
}

impl KitFields {
    /// The stateless rules: a name, a well-formed tag, each unit once.
    pub fn check(&self) -> Result<(), KitError> {
        check_text("kit name", &self.name)?;
        if let Some(t) = &self.tag {
            check_tag("kit tag", t)?;
        }
        if self.units.len() > MAX_KIT_UNITS {
            return Err(KitError::TooMany);
        }
        let mut seen = self.units.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.units.len() {
            return Err(KitError::RepeatedUnit);
        }
        Ok(())
    }
}

/// A kit as the catalog knows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kit {
    pub id: KitId,
    pub name: String,
    pub tag: Option<String>,
    pub units: Vec<UnitId>,
    pub active: bool,
    /// The units that did not come back at its last return (some may have been
    /// checked in since: a view shows those still out).
    #[serde(default)]
    pub missing: Vec<UnitId>,
    pub version: i64,
}

impl Kit {
    pub fn new(id: KitId, f: KitFields) -> Kit {
        Kit {
            id,
            name: f.name,
            tag: f.tag,
            units: f.units,
            active: f.active,
            missing: Vec::new(),
            version: 1,
        }
    }

    pub fn fields(&self) -> KitFields {
        KitFields {
            name: self.name.clone(),
            tag: self.tag.clone(),
            units: self.units.clone(),
            active: self.active,
        }
    }

    /// Does this kit, while active, hold the unit?
    pub fn holds(&self, unit: UnitId) -> bool {
        self.active && self.units.contains(&unit)
    }
}
