//! What the reminders run with: the schedule in the hub's time zone, the look-ahead
//! windows, the SMTP server and the webhooks. Read from a TOML file, with environment
//! variables over it (secrets come only from the environment).

use std::path::Path;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the reminder settings {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the reminder settings {path} are not valid TOML: {source}")]
    Toml {
        path: String,
        source: toml::de::Error,
    },
    #[error("reminder setting {name}: {why}")]
    Invalid { name: &'static str, why: String },
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587); refused without it.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: for a relay on the same machine only.
    None,
}

/// The mail server reminders go through.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "default_security")]
    pub security: Security,
    #[serde(default)]
    pub username: Option<String>,
    /// From `TAGSTATION_SMTP_PASSWORD` only; never written anywhere.
    #[serde(skip)]
    pub password: Option<String>,
    /// The sender, e.g. `Tool crib <crib@example.org>`.
    pub from: String,
    /// A CA certificate (PEM) to trust besides the public ones: a relay whose
    /// certificate a private CA signed.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_port() -> u16 {
    587
}
fn default_security() -> Security {
    Security::Starttls
}

/// A chat or automation endpoint that gets every reminder as signed JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// The environment variable holding the signing secret
    /// (default `TAGSTATION_WEBHOOK_SECRET`).
    #[serde(default = "default_secret_env")]
    pub secret_env: String,
    #[serde(skip)]
    pub secret: String,
}

fn default_secret_env() -> String {
    "TAGSTATION_WEBHOOK_SECRET".into()
}

/// Every reminder setting. See the README's "Reminders" for each.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// An IANA time zone, e.g. `Europe/Lisbon`: the schedule and "today" are in it.
    pub time_zone: String,
    /// When the daily run happens, `HH:MM` in the time zone.
    pub send_at: String,
    /// A loan due within this many days gets a "due soon" reminder.
    pub due_soon_days: i64,
    /// Warranties ending and services due within this many days are reminded.
    pub dates_ahead_days: i64,
    /// A station not heard from for this many hours is reported (0: never).
    pub station_silent_hours: i64,
    /// More addresses that get what operators get (a team mailbox).
    pub operators: Vec<String>,
    /// The address people reach the web app at, for links in messages.
    pub hub_url: Option<String>,
    /// A message is tried this many times before it is marked failed.
    pub max_attempts: i64,
    /// The first retry waits this long; each next one twice as long (at most 6 h).
    pub retry_secs: i64,
    /// How long a hub may take over one send before another takes it over.
    pub lease_secs: i64,
    /// How often the hub looks for what is due and pending, in seconds.
    pub tick_secs: i64,
    /// Rows of the sent-log older than this many days are deleted at the daily run
    /// (0: kept for ever).
    pub keep_days: i64,
    pub smtp: Option<Smtp>,
    pub webhooks: Vec<Webhook>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: "UTC".into(),
            send_at: "08:00".into(),
            due_soon_days: 2,
            dates_ahead_days: 30,
            station_silent_hours: 24,
            operators: Vec::new(),
            hub_url: None,
            max_attempts: 8,
            retry_secs: 60,
            lease_secs: 120,
            tick_secs: 30,
            keep_days: 365,
            smtp: None,
            webhooks: Vec::new(),
        }
    }
}

/// The longest wait between two tries of one message.
pub const MAX_BACKOFF_MS: i64 = 6 * 3600 * 1000;

impl Settings {
    /// Read `path` (TOML), apply the environment over it, and check the result.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Settings::from_toml(&text, path, &|k| std::env::var(k).ok())
    }

    /// Parse `text`, then take overrides and secrets from `env`.
    pub fn from_toml(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        let mut s: Settings = toml::from_str(text).map_err(|source| SettingsError::Toml {
            path: path.display().to_string(),
            source,
        })?;
        s.apply_env(env)?;
        s.check()?;
        Ok(s)
    }

    /// `TAGSTATION_REMIND_TIME_ZONE`, `TAGSTATION_REMIND_SEND_AT`, `TAGSTATION_SMTP_HOST`,
    /// `_PORT`, `_SECURITY`, `_USERNAME`, `_FROM` over the file; `TAGSTATION_SMTP_PASSWORD`
    /// and each webhook's secret variable.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        if let Some(v) = env("TAGSTATION_REMIND_TIME_ZONE") {
            self.time_zone = v;
        }
        if let Some(v) = env("TAGSTATION_REMIND_SEND_AT") {
            self.send_at = v;
        }
        if let Some(host) = env("TAGSTATION_SMTP_HOST") {
            let from = self
                .smtp
                .as_ref()
                .map(|s| s.from.clone())
                .unwrap_or_default();
            let smtp = self.smtp.get_or_insert(Smtp {
                host: String::new(),
                port: default_port(),
                security: default_security(),
                username: None,
                password: None,
                from,
                ca_file: None,
            });
            smtp.host = host;
        }
        if let Some(smtp) = &mut self.smtp {
            if let Some(v) = env("TAGSTATION_SMTP_PORT") {
                smtp.port = v.parse().map_err(|_| SettingsError::Invalid {
                    name: "TAGSTATION_SMTP_PORT",
                    why: format!("{v:?} is not a port number"),
                })?;
            }
            if let Some(v) = env("TAGSTATION_SMTP_SECURITY") {
                smtp.security = match v.as_str() {
                    "starttls" => Security::Starttls,
                    "tls" => Security::Tls,
                    "none" => Security::None,
                    _ => {
                        return Err(SettingsError::Invalid {
                            name: "TAGSTATION_SMTP_SECURITY",
                            why: format!("{v:?} is not starttls, tls or none"),
                        })
                    }
                };
            }
            if let Some(v) = env("TAGSTATION_SMTP_USERNAME") {
                smtp.username = Some(v);
            }
            if let Some(v) = env("TAGSTATION_SMTP_FROM") {
                smtp.from = v;
            }
            smtp.password = env("TAGSTATION_SMTP_PASSWORD");
        }
        for w in &mut self.webhooks {
            w.secret = env(&w.secret_env).unwrap_or_default();
        }
        Ok(())
    }

    /// Every rule a setting must follow, with the setting named when one does not.
    pub fn check(&self) -> Result<(), SettingsError> {
        let bad = |name, why: String| Err(SettingsError::Invalid { name, why });
        self.zone()?;
        self.send_time()?;
        for (name, v, lo) in [
            ("due_soon_days", self.due_soon_days, 0),
            ("dates_ahead_days", self.dates_ahead_days, 0),
            ("station_silent_hours", self.station_silent_hours, 0),
            ("max_attempts", self.max_attempts, 1),
            ("retry_secs", self.retry_secs, 1),
            ("lease_secs", self.lease_secs, 1),
            ("tick_secs", self.tick_secs, 1),
            ("keep_days", self.keep_days, 0),
        ] {
            if v < lo || v > 100_000 {
                return bad(name, format!("{v} is out of range ({lo} to 100000)"));
            }
        }
        for a in &self.operators {
            if tagstation_core::people::check_email(a).is_err() {
                return bad("operators", format!("{a:?} is not an email address"));
            }
        }
        if let Some(s) = &self.smtp {
            if s.host.trim().is_empty() {
                return bad("smtp.host", "is empty".into());
            }
            if s.from.parse::<lettre::message::Mailbox>().is_err() {
                return bad("smtp.from", format!("{:?} is not a sender address", s.from));
            }
            if s.username.is_some() && s.password.is_none() {
                return bad(
                    "smtp.username",
                    "is set but TAGSTATION_SMTP_PASSWORD is not".into(),
                );
            }
        }
        for w in &self.webhooks {
            match reqwest::Url::parse(&w.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => return bad("webhooks.url", format!("{:?} is not an http(s) URL", w.url)),
            }
            if w.secret.len() < 16 {
                return bad(
                    "webhooks.secret_env",
                    format!(
                        "{} must hold a secret of at least 16 characters",
                        w.secret_env
                    ),
                );
            }
        }
        Ok(())
    }

    /// The configured time zone.
    pub fn zone(&self) -> Result<TimeZone, SettingsError> {
        TimeZone::get(&self.time_zone).map_err(|e| SettingsError::Invalid {
            name: "time_zone",
            why: format!("{:?}: {e}", self.time_zone),
        })
    }

    /// The daily run's time of day.
    pub fn send_time(&self) -> Result<Time, SettingsError> {
        let bad = || SettingsError::Invalid {
            name: "send_at",
            why: format!("{:?} is not a time of day such as 08:00", self.send_at),
        };
        let (h, m) = self.send_at.split_once(':').ok_or_else(bad)?;
        let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Time::new(h, m, 0, 0).map_err(|_| bad())
    }

    /// When the daily run of local date `day` (`YYYY-MM-DD`) happens, in milliseconds
    /// since the epoch.
    pub fn run_at(&self, day: &str) -> Result<i64, SettingsError> {
        let date: jiff::civil::Date =
            day.parse()
                .map_err(|e: jiff::Error| SettingsError::Invalid {
                    name: "day",
                    why: format!("{day:?}: {e}"),
                })?;
        let at = date
            .to_datetime(self.send_time()?)
            .to_zoned(self.zone()?)
            .map_err(|e| SettingsError::Invalid {
                name: "send_at",
                why: format!("{day} {}: {e}", self.send_at),
            })?;
        Ok(at.timestamp().as_millisecond())
    }

    /// The wait before the try after `attempts` tries: `retry_secs`, doubled each
    /// time, at most [`MAX_BACKOFF_MS`].
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        let doublings = (attempts - 1).clamp(0, 20) as u32;
        (self.retry_secs * 1000)
            .saturating_mul(1i64 << doublings)
            .min(MAX_BACKOFF_MS)
    }

    /// The settings as the web app shows them: no secrets, and which are set.
    pub fn public(&self) -> serde_json::Value {
        serde_json::json!({
            "time_zone": self.time_zone,
            "send_at": self.send_at,
            "due_soon_days": self.due_soon_days,
            "dates_ahead_days": self.dates_ahead_days,
            "station_silent_hours": self.station_silent_hours,
            "operators": self.operators,
            "max_attempts": self.max_attempts,
            "retry_secs": self.retry_secs,
            "keep_days": self.keep_days,
            "smtp": self.smtp.as_ref().map(|s| format!(
                "{}:{} ({}), from {}",
                s.host,
                s.port,
                match s.security { Security::Starttls => "STARTTLS", Security::Tls => "TLS", Security::None => "no encryption" },
                s.from
            )),
            "webhooks": self.webhooks.iter().map(|w| shown_url(&w.url)).collect::<Vec<_>>(),
        })
    }
}

/// A webhook URL as pages show it: its scheme and host only, since chat services put
/// the hook's secret in the path (`https://chat.example.org/…`).
pub fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("?")),
        Err(_) => "(not a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_toml(text, Path::new("remind.toml"), &|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn a_file_with_env_over_it() {
        let s = parse(
            r#"time_zone = "Europe/Lisbon"
send_at = "07:30"
[smtp]
host = "mail.example.org"
username = "crib"
from = "Tool crib <crib@example.org>"
[[webhooks]]
url = "https://chat.example.org/hook"
"#,
            &[
                ("TAGSTATION_SMTP_PASSWORD", "pw"),
                ("TAGSTATION_SMTP_PORT", "465"),
                ("TAGSTATION_SMTP_SECURITY", "tls"),
                ("TAGSTATION_WEBHOOK_SECRET", "0123456789abcdef"),
            ],
        )
        .unwrap();
        let smtp = s.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.security), (465, Security::Tls));
        assert_eq!(smtp.password.as_deref(), Some("pw"));
        assert_eq!(s.send_time().unwrap(), Time::new(7, 30, 0, 0).unwrap());
        // The page's view carries no secret, nor a webhook's path.
        let shown = s.public().to_string();
        assert!(!shown.contains("pw\"") && !shown.contains("0123456789abcdef"));
        assert!(shown.contains("https://chat.example.org/…") && !shown.contains("/hook"));
    }

    #[test]
    fn bad_settings_are_named() {
        for (text, env, name) in [
            ("time_zone = \"Mars/Olympus\"", vec![], "time_zone"),
            ("send_at = \"25:00\"", vec![], "send_at"),
            ("max_attempts = 0", vec![], "max_attempts"),
            ("operators = [\"not an address\"]", vec![], "operators"),
            (
                "[smtp]\nhost = \"h\"\nusername = \"u\"\nfrom = \"a@b.org\"",
                vec![],
                "smtp.username",
            ),
            (
                "[[webhooks]]\nurl = \"https://x.org\"",
                vec![("TAGSTATION_WEBHOOK_SECRET", "short")],
                "webhooks.secret_env",
            ),
            (
                "[[webhooks]]\nurl = \"ftp://x.org\"",
                vec![("TAGSTATION_WEBHOOK_SECRET", "0123456789abcdef")],
                "webhooks.url",
            ),
        ] {
            match parse(text, &env) {
                Err(SettingsError::Invalid { name: n, .. }) => assert_eq!(n, name, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parse("nonsense = 1", &[]),
            Err(SettingsError::Toml { .. })
        ));
    }

    #[test]
    fn the_run_is_at_send_at_in_the_time_zone() {
        let s = Settings {
            time_zone: "Europe/Lisbon".into(),
            send_at: "08:00".into(),
            ..Settings::default()
        };
        // Lisbon is UTC+1 in summer, UTC in winter.
        assert_eq!(s.run_at("2026-07-01").unwrap(), 1_782_889_200_000);
        assert_eq!(s.run_at("2026-12-01").unwrap(), 1_796_112_000_000);
    }

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        let s = Settings::default();
        assert_eq!(s.backoff_ms(1), 60_000);
        assert_eq!(s.backoff_ms(2), 120_000);
        assert_eq!(s.backoff_ms(3), 240_000);
        assert_eq!(s.backoff_ms(30), MAX_BACKOFF_MS);
    }
}
