//! Configuration: a TOML file, then environment overrides, then command-line flags.
//!
//! Lookup: `--config FILE`, else `$TAGSTATION_CONFIG`, else `tagstation.toml` in the
//! data directory if it exists. Unknown keys are an error, so a typo never silently
//! falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("environment variable {var}: {msg}")]
    Env { var: &'static str, msg: String },
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data directory (database, state). Default: `/var/lib/tagstation` when it
    /// exists and is writable, else `./tagstation-data`.
    pub data: Option<PathBuf>,
    pub station: StationConfig,
    pub sync: SyncConfig,
    pub feedback: FeedbackConfig,
    pub labels: LabelsConfig,
    /// The touch screen's optional steps (`[kiosk]`).
    pub kiosk: KioskConfig,
    /// Condition photos from a camera input (`[photos]`).
    pub photos: PhotosConfig,
    /// Scanners and cameras, one `[[input]]` table each, kept as written: the station
    /// runtime reads each with `tagstation_inputs::scan::config::InputConfig::from_table`
    /// (the store and the sync client never need them). None configured: the station
    /// reads one scan per line from standard input.
    #[serde(skip_serializing)]
    pub input: Vec<toml::Table>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StationConfig {
    /// Display name of this station ("Shop door", "Van 3").
    pub name: Option<String>,
    /// Who is recorded as the actor when no person identified themself.
    pub actor: Option<String>,
    /// Door mode: every scan applies this one action with no touch needed. One of
    /// `in_stock`, `receiving`, `sending`, `damaged`, `check_in`. Absent: normal mode.
    pub door: Option<String>,
    /// Kiosk mode: the idle screen asks people to identify themselves, then to scan
    /// what they take or bring back.
    pub kiosk: bool,
    /// Seconds a screen stays after a confirmation (or untouched) before the station
    /// returns to its idle screen.
    pub idle_secs: Option<u64>,
    /// Show what a camera input sees on the scan and audit screens (default: yes,
    /// when a camera is configured). `false` turns the viewfinder off.
    pub viewfinder: Option<bool>,
    /// People who may check units out at a kiosk, each with an optional badge code.
    pub people: Vec<PersonConfig>,
}

/// One person known to the station: a name, and the code on their badge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersonConfig {
    pub name: String,
    pub badge: Option<String>,
}

/// The touch screen's optional steps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KioskConfig {
    /// Ask the borrower to sign on the touch screen before a check-out (from the kiosk
    /// basket or a unit card); the strokes are recorded with it. Default: no.
    pub signature: bool,
}

/// Condition photos: after a check-in or a unit marked damaged at the touch screen,
/// one picture from the station's camera input is kept beside the store and synced.
/// Without a camera input these do nothing. Default: no photos.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhotosConfig {
    pub on_check_in: bool,
    pub on_damaged: bool,
}

/// GPIO pins (BCM numbering) of the station's buzzer, LEDs and relay. Used only by a
/// binary built with the `gpio` feature; absent pins are skipped.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackConfig {
    pub buzzer_pin: Option<u8>,
    pub green_pin: Option<u8>,
    pub red_pin: Option<u8>,
    pub relay_pin: Option<u8>,
    /// How long the relay stays closed after a valid check-out, in milliseconds.
    pub relay_ms: u64,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        FeedbackConfig {
            buzzer_pin: None,
            green_pin: None,
            red_pin: None,
            relay_pin: None,
            relay_ms: 3000,
        }
    }
}

/// The station's label printer: with one set, the unit card offers "Print label".
/// Names are checked when the station starts (`tagstation-labels` reads them).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsConfig {
    /// `cups:QUEUE` (a PDF through `lp`) or `zebra:HOST[:PORT]` (ZPL to the raw port).
    /// Absent: no printing at this station.
    pub printer: Option<String>,
    /// The label stock, as `tagstation labels --layout` names it.
    pub layout: String,
    /// `qr`, `datamatrix` or `code128`.
    pub code: String,
    /// The organisation's name, on every label.
    pub org: Option<String>,
    /// Make the code a URL: `{tag}` is replaced by the tag.
    pub url: Option<String>,
}

impl Default for LabelsConfig {
    fn default() -> Self {
        LabelsConfig {
            printer: None,
            layout: "50x25mm".into(),
            code: "qr".into(),
            org: None,
            url: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Hub address, e.g. `https://hub.example.com`. Also set by `tagstation enroll`.
    pub hub_url: Option<String>,
    /// Seconds between sync rounds while everything is fine.
    pub interval_secs: u64,
    /// Longest wait between retries after failures, in seconds.
    pub max_backoff_secs: u64,
    /// Events per push request.
    pub batch_size: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            hub_url: None,
            interval_secs: 5,
            max_backoff_secs: 300,
            batch_size: 500,
        }
    }
}

impl Config {
    /// Load from an explicit file, `$TAGSTATION_CONFIG`, or `<data>/tagstation.toml`.
    pub fn load(explicit: Option<&Path>, data_hint: Option<&Path>) -> Result<Config, ConfigError> {
        let env_path = std::env::var_os("TAGSTATION_CONFIG").map(PathBuf::from);
        let candidate = explicit
            .map(Path::to_path_buf)
            .or(env_path)
            .map(|p| (p, true))
            .or_else(|| data_hint.map(|d| (d.join("tagstation.toml"), false)));
        let mut cfg = match candidate {
            Some((path, required)) if required || path.exists() => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Self::parse(&text).map_err(|source| ConfigError::Parse { path, source })?
            }
            _ => Config::default(),
        };
        cfg.apply_env()?;
        Ok(cfg)
    }

    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// `TAGSTATION_STATION_NAME`, `TAGSTATION_ACTOR`, `TAGSTATION_HUB_URL`,
    /// `TAGSTATION_SYNC_INTERVAL_SECS`, `TAGSTATION_DOOR` (empty: off),
    /// `TAGSTATION_KIOSK`, `TAGSTATION_SIGNATURE`, `TAGSTATION_PHOTOS_ON_CHECK_IN`,
    /// `TAGSTATION_PHOTOS_ON_DAMAGED` (each `1`/`true`/`0`/`false`) and
    /// `TAGSTATION_LABEL_PRINTER` (empty: none) override the file.
    fn apply_env(&mut self) -> Result<(), ConfigError> {
        if let Ok(v) = std::env::var("TAGSTATION_STATION_NAME") {
            self.station.name = Some(v);
        }
        if let Ok(v) = std::env::var("TAGSTATION_ACTOR") {
            self.station.actor = Some(v);
        }
        if let Ok(v) = std::env::var("TAGSTATION_HUB_URL") {
            self.sync.hub_url = Some(v);
        }
        if let Ok(v) = std::env::var("TAGSTATION_DOOR") {
            self.station.door = Some(v).filter(|v| !v.is_empty());
        }
        if let Ok(v) = std::env::var("TAGSTATION_LABEL_PRINTER") {
            self.labels.printer = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(on) = env_bool("TAGSTATION_KIOSK")? {
            self.station.kiosk = on;
        }
        if let Some(on) = env_bool("TAGSTATION_SIGNATURE")? {
            self.kiosk.signature = on;
        }
        if let Some(on) = env_bool("TAGSTATION_PHOTOS_ON_CHECK_IN")? {
            self.photos.on_check_in = on;
        }
        if let Some(on) = env_bool("TAGSTATION_PHOTOS_ON_DAMAGED")? {
            self.photos.on_damaged = on;
        }
        if let Ok(v) = std::env::var("TAGSTATION_SYNC_INTERVAL_SECS") {
            self.sync.interval_secs = v.parse().map_err(|_| ConfigError::Env {
                var: "TAGSTATION_SYNC_INTERVAL_SECS",
                msg: format!("{v:?} is not a number of seconds"),
            })?;
        }
        Ok(())
    }
}

/// A yes/no setting from the environment: `None` when the variable is not set.
fn env_bool(var: &'static str) -> Result<Option<bool>, ConfigError> {
    let Ok(v) = std::env::var(var) else {
        return Ok(None);
    };
    match v.as_str() {
        "1" | "true" | "yes" => Ok(Some(true)),
        "0" | "false" | "no" | "" => Ok(Some(false)),
        _ => Err(ConfigError::Env {
            var,
            msg: format!("{v:?} is not true or false"),
        }),
    }
}

/// The data directory when none was given.
pub fn default_data_dir() -> PathBuf {
    let system = PathBuf::from("/var/lib/tagstation");
    let writable = std::fs::metadata(&system)
        .map(|m| m.is_dir() && !m.permissions().readonly())
        .unwrap_or(false);
    if writable {
        system
    } else {
        PathBuf::from("tagstation-data")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_typos() {
        let c = Config::parse("[station]\nname = \"Door\"\n[sync]\ninterval_secs = 2\n").unwrap();
        assert_eq!(c.station.name.as_deref(), Some("Door"));
        assert_eq!(c.sync.interval_secs, 2);
        assert_eq!(c.sync.batch_size, 500);
        assert!(Config::parse("[station]\nnmae = \"x\"\n").is_err());
    }

    #[test]
    fn parses_station_settings() {
        let c = Config::parse(
            r#"
[station]
name = "Outbound door"
door = "sending"
kiosk = false
idle_secs = 4
[[station.people]]
name = "Ana"
badge = "B-0001"
[[station.people]]
name = "Ben"
[feedback]
buzzer_pin = 17
green_pin = 27
"#,
        )
        .unwrap();
        assert_eq!(c.station.door.as_deref(), Some("sending"));
        assert_eq!(c.station.people.len(), 2);
        assert_eq!(c.station.people[0].badge.as_deref(), Some("B-0001"));
        assert_eq!(c.feedback.buzzer_pin, Some(17));
        assert_eq!(c.feedback.relay_ms, 3000);
        assert!(Config::parse("[feedback]\nbuzer_pin = 1\n").is_err());
        let example = Config::parse(include_str!("../../../deploy/station.example.toml")).unwrap();
        assert_eq!(example.station.people.len(), 2);
        assert!(Config::parse("[[station.people]]\nname = \"A\"\nbadg = \"x\"\n").is_err());
    }

    #[test]
    fn parses_the_label_printer() {
        let c = Config::parse("[labels]\nprinter = \"cups:Front\"\nlayout = \"62mm\"\n").unwrap();
        assert_eq!(c.labels.printer.as_deref(), Some("cups:Front"));
        assert_eq!(
            (c.labels.layout.as_str(), c.labels.code.as_str()),
            ("62mm", "qr")
        );
        assert_eq!(Config::default().labels.printer, None);
        assert!(Config::parse("[labels]\nprinte = \"cups:Front\"\n").is_err());
    }

    #[test]
    fn parses_the_signature_and_photo_settings() {
        let off = Config::default();
        assert!(!off.kiosk.signature && !off.photos.on_check_in && !off.photos.on_damaged);
        let c = Config::parse("[kiosk]\nsignature = true\n[photos]\non_check_in = true\n").unwrap();
        assert!(c.kiosk.signature && c.photos.on_check_in && !c.photos.on_damaged);
        assert!(Config::parse("[photos]\non_checkin = true\n").is_err());
        assert!(Config::parse("[kiosk]\nsignatures = true\n").is_err());
    }
}
