//! What a scan means on each screen: open a unit card or a count, fill a kiosk basket,
//! check off an audit, identify a person by badge, or (door mode) apply the preset.

use tagstation_core::catalog::{Status, Tracking};
use tagstation_core::view::{LocationView, PersonView};
use tagstation_inputs::scan::{ScanEvent, ScanRole, SourceStatus};
use tagstation_station::audit::Seen;
use tagstation_station::store::Resolved;

use tagstation_ops::kits::KitView;

use super::{
    and_list, clean, count_units, kiosk, kit_not_ready, kit_unusable, AuditSeen, Flow, Fx, Op,
    Overlay, Reads, State, Tone,
};
use crate::feedback::Signal;

impl State {
    /// An event from the scan inputs. False: nothing to react to.
    pub(super) fn scanned(&mut self, ev: ScanEvent, reads: &dyn Reads, fx: &mut Fx) -> bool {
        match ev {
            ScanEvent::Scan(scan) => match scan.role {
                ScanRole::Item => self.code(scan.text.as_str(), reads, fx),
                ScanRole::Badge => self.badge(scan.text.as_str(), reads, fx),
            },
            // Input that arrived but is not a scan (garbage from a scanner, a code typed
            // by hand on a scanner's port): say so, keep the screen as it is.
            ScanEvent::Rejected { reason, .. } => {
                self.say(Tone::Error, reason.user_message().to_string(), fx);
                true
            }
            ScanEvent::Status { source, status } => {
                let (tone, text) = match status {
                    SourceStatus::Connected(_) => (Tone::Ok, format!("{source} is ready.")),
                    SourceStatus::Disconnected(_) => (
                        Tone::Warn,
                        format!(
                            "{source} is not connected. Check its cable; scanning continues when it is back."
                        ),
                    ),
                    SourceStatus::Failed(_) => (
                        Tone::Warn,
                        format!(
                            "{source} stopped working. Restart the station or call the person in charge."
                        ),
                    ),
                    SourceStatus::Finished => return false,
                };
                self.say(tone, text, fx);
                true
            }
        }
    }

    /// A code from an item scanner or typed: the entry point of every scan.
    pub(super) fn code(&mut self, text: &str, reads: &dyn Reads, fx: &mut Fx) -> bool {
        let code = clean(text);
        if code.is_empty() {
            return false;
        }
        tracing::debug!(%code, "scan");
        self.overlay = Overlay::None;
        if let Some(door) = self.settings.door {
            fx.run(Op::Door { door, code });
            return true;
        }
        match &self.flow {
            Flow::Kiosk { .. } => self.kiosk_scan(&code, reads, fx),
            Flow::Audit { .. } => self.audit_scan(&code, reads, fx),
            Flow::AuditPick => self.say(
                Tone::Warn,
                "Pick the location to audit first, then scan.".into(),
                fx,
            ),
            _ => self.lookup_scan(&code, reads, fx),
        }
        true
    }

    /// A scan from an input whose role is `badge`: it identifies a person and never
    /// touches a unit, so a badge code that is also some unit's tag is safe.
    fn badge(&mut self, text: &str, reads: &dyn Reads, fx: &mut Fx) -> bool {
        let code = clean(text);
        if code.is_empty() {
            return false;
        }
        self.overlay = Overlay::None;
        match reads.resolve(&code) {
            Ok(Resolved::Person { person }) => self.badge_of(person, reads, fx),
            Ok(_) => {
                tracing::warn!(%code, "unknown badge");
                self.say(
                    Tone::Warn,
                    "This badge is not known at this station. Ask the person in charge to add it, then sync."
                        .into(),
                    fx,
                );
            }
            Err(e) => self.fail(&e, fx),
        }
        true
    }

    /// A person's badge was scanned: into the kiosk for them, if they may borrow.
    fn badge_of(&mut self, person: PersonView, reads: &dyn Reads, fx: &mut Fx) {
        if person.erased || !person.active {
            return self.say(
                Tone::Warn,
                format!("{} is not active. Ask the person in charge.", person.name),
                fx,
            );
        }
        if !person.role.can_borrow() {
            return self.say(
                Tone::Warn,
                format!("{} may not borrow. Ask the person in charge.", person.name),
                fx,
            );
        }
        tracing::info!(person = %person.name, "badge");
        if !matches!(self.flow, Flow::Kiosk { .. }) {
            self.flow = kiosk(None);
        }
        self.identify(person.name, reads, fx);
    }

    /// A location's label was scanned: on the audit screen it starts that location's
    /// audit; elsewhere it says what is there.
    fn location_label(&mut self, location: LocationView, reads: &dyn Reads, fx: &mut Fx) {
        if matches!(self.flow, Flow::AuditPick) {
            return self.start_audit(location.name, reads, fx);
        }
        self.say(
            Tone::Ok,
            format!(
                "This is the label of {}: {} here.",
                location.name,
                super::count_units(location.units as usize)
            ),
            fx,
        );
    }

    /// A scan of an archived item or of one of its units: said, nothing opened.
    fn say_archived(&mut self, item: &str, fx: &mut Fx) {
        self.say(
            Tone::Warn,
            format!("{item} is archived: it takes no changes until it is unarchived."),
            fx,
        )
    }

    fn lookup_scan(&mut self, code: &str, reads: &dyn Reads, fx: &mut Fx) {
        match reads.resolve(code) {
            Ok(Resolved::Unit { unit }) if unit.item_archived => self.say_archived(&unit.item, fx),
            Ok(Resolved::Item { item }) if item.archived => self.say_archived(&item.name, fx),
            Ok(Resolved::Unit { unit }) => {
                self.clear_message();
                self.open_unit(unit.id, reads);
            }
            Ok(Resolved::Item { item }) if item.tracking == Tracking::Count => {
                self.clear_message();
                self.flow = Flow::Count {
                    item: item.id,
                    name: item.name,
                    qty: 1,
                };
            }
            Ok(Resolved::Item { item }) => self.say(
                Tone::Warn,
                format!(
                    "{} is tracked unit by unit: scan the unit's own tag.",
                    item.name
                ),
                fx,
            ),
            Ok(Resolved::Person { person }) => self.badge_of(person, reads, fx),
            Ok(Resolved::Location { location }) => self.location_label(location, reads, fx),
            Ok(Resolved::Kit { kit }) => {
                self.clear_message();
                self.open_kit(kit);
            }
            Ok(Resolved::Unknown { code }) => {
                self.say(
                    Tone::Warn,
                    "Tag not in the catalog: attach it to a unit, or Cancel.".into(),
                    fx,
                );
                self.flow = Flow::Unknown { code, item: None };
            }
            Err(e) => self.fail(&e, fx),
        }
    }

    fn kiosk_scan(&mut self, code: &str, reads: &dyn Reads, fx: &mut Fx) {
        let resolved = reads.resolve(code);
        if let Ok(Resolved::Person { person }) = resolved {
            return self.badge_of(person, reads, fx);
        }
        if !matches!(
            self.flow,
            Flow::Kiosk {
                person: Some(_),
                ..
            }
        ) {
            return self.say(
                Tone::Warn,
                "Scan your badge or tap your name first, then scan the units.".into(),
                fx,
            );
        }
        match resolved {
            Ok(Resolved::Unit { unit }) if unit.item_archived => self.say_archived(&unit.item, fx),
            Ok(Resolved::Unit { unit }) => {
                let Flow::Kiosk { basket, .. } = &mut self.flow else {
                    return;
                };
                if basket.iter().any(|u| u.id == unit.id) {
                    let msg = format!("{} is already in the basket.", unit.name);
                    self.say(Tone::Warn, msg, fx);
                } else {
                    let name = unit.name.clone();
                    basket.push(unit);
                    self.message = (Tone::Ok, format!("{name} added to the basket."));
                    fx.signal(Signal::Success);
                }
            }
            Ok(Resolved::Item { item }) => self.say(
                Tone::Warn,
                format!(
                    "{} is counted, not checked out. Scan a unit's tag.",
                    item.name
                ),
                fx,
            ),
            Ok(Resolved::Location { location }) => self.say(
                Tone::Warn,
                format!("This is the label of {}, not a unit's tag.", location.name),
                fx,
            ),
            Ok(Resolved::Person { .. }) => {}
            Ok(Resolved::Kit { kit }) => self.kiosk_kit(kit, code, reads, fx),
            Ok(Resolved::Unknown { .. }) => self.say(
                Tone::Error,
                "Unknown tag. Check the label, or register it at a station.".into(),
                fx,
            ),
            Err(e) => self.fail(&e, fx),
        }
    }

    fn audit_scan(&mut self, code: &str, reads: &dyn Reads, fx: &mut Fx) {
        let unit = match reads.resolve(code) {
            Ok(Resolved::Unit { unit }) => unit,
            Ok(Resolved::Item { item }) => {
                return self.say(
                    Tone::Warn,
                    format!("{} is counted: audits check tagged units.", item.name),
                    fx,
                )
            }
            Ok(Resolved::Person { person }) => {
                return self.say(
                    Tone::Warn,
                    format!("That is the badge of {}: audits check units.", person.name),
                    fx,
                )
            }
            Ok(Resolved::Location { location }) => {
                return self.say(
                    Tone::Warn,
                    format!(
                        "That is the label of {}: finish this audit before starting another.",
                        location.name
                    ),
                    fx,
                )
            }
            Ok(Resolved::Kit { kit }) => return self.audit_kit(kit, reads, fx),
            Ok(Resolved::Unknown { code }) => {
                return self.say(
                    Tone::Warn,
                    format!("Unknown tag {code}: not in the catalog. Put it aside."),
                    fx,
                )
            }
            Err(e) => return self.fail(&e, fx),
        };
        let Flow::Audit { audit, seen } = &mut self.flow else {
            return;
        };
        let name = unit.name.clone();
        let recorded = if unit.status == Status::CheckedOut {
            format!(
                "{} (checked out)",
                unit.holder.as_deref().unwrap_or("someone")
            )
        } else {
            unit.location
                .clone()
                .unwrap_or_else(|| "no location".into())
        };
        let seen_as = |unexpected| AuditSeen {
            name: name.clone(),
            unexpected,
        };
        let (tone, text) = match audit.scan(unit) {
            Seen::Found => {
                seen.insert(0, seen_as(false));
                (Tone::Ok, format!("{name} found."))
            }
            Seen::Unexpected => {
                seen.insert(0, seen_as(true));
                (
                    Tone::Warn,
                    format!("{name} is recorded at {recorded}: not expected here."),
                )
            }
            Seen::Again => (Tone::Warn, format!("{name} was already scanned.")),
        };
        self.say(tone, text, fx);
    }

    /// A kit's tag at the kiosk basket. A kit that is out comes back whole, at once, in
    /// one write (`kits::check_in_kit`), recorded as the person's; a kit in stock puts
    /// all of its units in the basket (those not there yet), to go out in the basket's
    /// one write.
    fn kiosk_kit(&mut self, kit: KitView, code: &str, reads: &dyn Reads, fx: &mut Fx) {
        if let Some(why) = kit_unusable(&kit) {
            return self.say(Tone::Warn, why, fx);
        }
        let Flow::Kiosk {
            person: Some(person),
            ..
        } = &self.flow
        else {
            return;
        };
        let person = person.clone();
        if kit.out() {
            tracing::info!(kit = %kit.name, "kit back at the kiosk");
            self.clear_message();
            return fx.run(Op::CheckInKit {
                kit: kit.id,
                present: None,
                by: Some(person),
                scan: Some(code.to_string()),
            });
        }
        if let Some(why) = kit_not_ready(&kit) {
            return self.say(Tone::Warn, why, fx);
        }
        let ids: Vec<_> = kit.units.iter().map(|u| u.id).collect();
        let units = match reads.units_by_id(&ids) {
            Ok(units) => units,
            Err(e) => return self.fail(&e, fx),
        };
        let Flow::Kiosk { basket, .. } = &mut self.flow else {
            return;
        };
        let before = basket.len();
        for u in units {
            if !basket.iter().any(|b| b.id == u.id) {
                basket.push(u);
            }
        }
        let added = basket.len() - before;
        if added == 0 {
            let text = format!("{} is already in the basket.", kit.name);
            return self.say(Tone::Warn, text, fx);
        }
        let also = match ids.len() - added {
            0 => String::new(),
            n => format!(" ({} in it already)", count_units(n)),
        };
        let text = format!(
            "{}: {} added to the basket{also}.",
            kit.name,
            count_units(added)
        );
        self.message = (Tone::Ok, text);
        fx.signal(Signal::Success);
    }

    /// A kit's tag during an audit: each of its units counts as scanned.
    fn audit_kit(&mut self, kit: KitView, reads: &dyn Reads, fx: &mut Fx) {
        if let Some(why) = kit_unusable(&kit) {
            return self.say(Tone::Warn, why, fx);
        }
        let ids: Vec<_> = kit.units.iter().map(|u| u.id).collect();
        let units = match reads.units_by_id(&ids) {
            Ok(units) => units,
            Err(e) => return self.fail(&e, fx),
        };
        let Flow::Audit { audit, seen } = &mut self.flow else {
            return;
        };
        let (mut found, mut unexpected, mut again) = (0, Vec::new(), 0);
        for unit in units {
            let name = unit.name.clone();
            let outcome = audit.scan(unit);
            if outcome != Seen::Again {
                let is_unexpected = outcome == Seen::Unexpected;
                seen.insert(
                    0,
                    AuditSeen {
                        name: name.clone(),
                        unexpected: is_unexpected,
                    },
                );
            }
            match outcome {
                Seen::Found => found += 1,
                Seen::Unexpected => unexpected.push(name),
                Seen::Again => again += 1,
            }
        }
        let mut said = Vec::new();
        if found > 0 {
            said.push(format!("{} found", count_units(found)));
        }
        if !unexpected.is_empty() {
            said.push(format!(
                "{} not expected here ({})",
                count_units(unexpected.len()),
                and_list(&unexpected)
            ));
        }
        if again > 0 && said.is_empty() {
            return self.say(Tone::Warn, format!("{} was already scanned.", kit.name), fx);
        }
        if again > 0 {
            said.push(format!("{again} already scanned"));
        }
        let text = format!("{}: {}.", kit.name, said.join(", "));
        let clean = unexpected.is_empty() && again == 0;
        self.say(if clean { Tone::Ok } else { Tone::Warn }, text, fx);
    }
}
