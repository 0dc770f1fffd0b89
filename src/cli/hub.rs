//! Commands that talk across the network: run the hub, enroll and sync a station,
//! and the admin client for a running hub.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, Subcommand};

use tagstation::escape::percent;
use tagstation::hub::{self, auth, server};

use super::directory::{self as dir, LocationCmd, PersonCmd};

/// `tagstation hub`: serve the central catalog.
#[derive(Debug, ClapArgs)]
pub struct HubArgs {
    /// Database: a PostgreSQL URL (`postgres://...`) or a SQLite file. Default: `hub.db`
    /// in the data directory.
    #[arg(long, env = "TAGSTATION_DATABASE")]
    pub database: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878", env = "TAGSTATION_LISTEN")]
    pub listen: SocketAddr,
    /// TLS certificate (PEM). With --tls-key, serve HTTPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// File holding the admin token; created with a new random token if missing.
    /// `TAGSTATION_ADMIN_TOKEN` takes precedence.
    #[arg(long)]
    pub admin_token_file: Option<PathBuf>,
    /// A reverse proxy (an address or a network such as 10.0.0.0/8) whose
    /// X-Forwarded-For names the client, for rate limits and logs; repeatable. From
    /// any other address the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "TAGSTATION_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<hub::server::proxy::Network>,
    /// A name (or `name:port`) clients reach the hub by, beside loopback, e.g.
    /// `hub.example.org`; repeatable. The MCP endpoint (`/mcp`) refuses any other
    /// `Host` (DNS rebinding).
    #[arg(
        long = "host-name",
        env = "TAGSTATION_HOST_NAMES",
        value_delimiter = ','
    )]
    pub host_names: Vec<String>,
    /// New tags (leased to stations in blocks) start with this prefix: letters, digits
    /// and - _ . / (at most 16).
    #[arg(long, default_value = "TS-", env = "TAGSTATION_TAG_PREFIX")]
    pub tag_prefix: String,
    /// Digits of a new tag's number, zero-padded (1 to 12): 6 writes TS-000123.
    #[arg(long, default_value_t = 6, env = "TAGSTATION_TAG_DIGITS")]
    pub tag_digits: usize,
    /// End new tags with a Luhn check digit over the number (TS-0001230), so that a
    /// mistyped digit is caught.
    #[arg(
        long,
        env = "TAGSTATION_TAG_CHECK_DIGIT",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub tag_check_digit: bool,
    /// How many tag numbers a station leases at a time.
    #[arg(long, default_value_t = 100, env = "TAGSTATION_TAG_BLOCK")]
    pub tag_block: u64,
    /// Send reminders (due soon, overdue, low stock, dates, quiet stations, conflicts)
    /// by email and webhook, with the settings in this TOML file (README, "Reminders").
    #[arg(long, env = "TAGSTATION_REMINDERS")]
    pub reminders: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<HubCmd>,
}

impl HubArgs {
    /// The new tags this hub leases, as the flags say (checked as the hub starts).
    fn tags(&self) -> hub::tags::TagSettings {
        hub::tags::TagSettings {
            pattern: tagstation::tags::TagPattern {
                prefix: self.tag_prefix.clone(),
                digits: self.tag_digits,
                check_digit: self.tag_check_digit,
            },
            block: self.tag_block,
        }
    }
}

/// Accounts for the web app, made on the hub's database directly (no running hub
/// needed).
#[derive(Debug, Subcommand)]
pub enum HubCmd {
    /// Make someone an admin who signs in to the web app with a password (the first
    /// account). The password is read from `TAGSTATION_ADMIN_PASSWORD` or the first
    /// line of standard input.
    CreateAdmin {
        /// Their name (a new person, or someone already in the catalog).
        name: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Print a one-time set-password link for someone (valid three days).
    PasswordLink {
        /// Their name, id or badge.
        person: String,
        /// The address people reach the hub at, put in front of the link.
        #[arg(
            long,
            env = "TAGSTATION_HUB_URL",
            default_value = "http://127.0.0.1:7878"
        )]
        url: String,
    },
}

/// Read the admin token from the environment or a file, creating the file if needed.
pub fn admin_token(file: &Path) -> Result<String> {
    if let Ok(t) = std::env::var("TAGSTATION_ADMIN_TOKEN") {
        if t.len() < 16 {
            bail!("TAGSTATION_ADMIN_TOKEN is too short (at least 16 characters)");
        }
        return Ok(t);
    }
    if file.exists() {
        let t = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let t = t.trim().to_string();
        if t.len() < 16 {
            bail!("admin token in {} is too short", file.display());
        }
        return Ok(t);
    }
    let token = auth::new_admin_token();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(file)
        .with_context(|| format!("cannot create {}", file.display()))?;
    writeln!(f, "{token}")?;
    f.sync_all()?;
    eprintln!("admin token written to {}", file.display());
    Ok(token)
}

pub fn run_hub(args: HubArgs, data: PathBuf) -> Result<()> {
    let tags = args.tags();
    let database = args
        .database
        .unwrap_or_else(|| data.join(hub::sqlite::HUB_DB_FILE).display().to_string());
    if let Some(cmd) = args.command {
        return run_accounts(cmd, &database);
    }
    let token_file = args
        .admin_token_file
        .unwrap_or_else(|| data.join("admin.token"));
    let token = admin_token(&token_file)?;
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(server::Tls { cert, key }),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let hub = hub::Hub::open(hub::HubOptions {
        database,
        admin_token: token,
        tls,
        worker_threads: None,
        trusted_proxies: hub::server::proxy::TrustedProxies(args.trusted_proxies),
        routes: Some(tagstation::office_routes),
        host_names: args.host_names,
        tags,
    })?;
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    // Reminders run on a thread of their own: a slow mail server never holds up sync.
    let _reminders = match &args.reminders {
        Some(path) => {
            let settings = tagstation::remind::Settings::load(path)?;
            let every = std::time::Duration::from_secs(settings.tick_secs as u64);
            let service = tagstation::remind::Reminders::new(hub.store().clone(), settings)
                .context("cannot start reminders")?;
            eprintln!("reminders on, settings from {}", path.display());
            Some(service.spawn(every)?)
        }
        None => None,
    };
    let backend = hub.store().backend();
    tracing::info!(backend, "hub listening on {scheme}://{}", args.listen);
    eprintln!(
        "hub ({backend}) listening on {scheme}://{}",
        listener.local_addr()?
    );
    // The database is open and migrated and the port is bound: a `Type=notify` unit
    // counts the hub as started from here.
    tagstation::systemd::notify_or_log("READY=1");
    hub.run(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })?;
    Ok(())
}

fn run_accounts(cmd: HubCmd, database: &str) -> Result<()> {
    let store = hub::open_store(database).context("cannot open the hub database")?;
    match cmd {
        HubCmd::CreateAdmin { name, email } => {
            let password = match std::env::var("TAGSTATION_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!(
                        "password for {name} (at least {} characters):",
                        hub::accounts::MIN_PASSWORD
                    );
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let (p, created) = tagstation::web::setup::create_admin(
                store.as_ref(),
                &name,
                email.as_deref(),
                &password,
            )?;
            let what = if created { "created" } else { "made an admin" };
            println!(
                "{} {what}; they sign in to the web app with that password",
                tagstation::escape::controls(&p.name)
            );
        }
        HubCmd::PasswordLink { person, url } => {
            let (p, path) = tagstation::web::setup::password_link(store.as_ref(), &person)?;
            println!(
                "set-password link for {} (works once, for three days):",
                tagstation::escape::controls(&p.name)
            );
            println!("{}{path}", url.trim_end_matches('/'));
        }
    }
    Ok(())
}

/// `tagstation admin`: manage a running hub.
#[derive(Debug, ClapArgs)]
pub struct AdminArgs {
    /// Hub address.
    #[arg(
        long,
        env = "TAGSTATION_HUB_URL",
        default_value = "http://127.0.0.1:7878"
    )]
    pub hub: String,
    /// Admin token (or `TAGSTATION_ADMIN_TOKEN`, or --admin-token-file).
    #[arg(long, env = "TAGSTATION_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    #[arg(long)]
    pub admin_token_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AdminCmd,
}

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Create a station and print its one-time enrollment code.
    AddStation { name: String },
    /// List stations.
    Stations,
    /// Revoke a station's token: it can no longer sync.
    Revoke { name: String },
    /// Items with totals, as the hub sees them.
    Items,
    /// Units, as the hub sees them.
    Units,
    /// One unit's history across all stations.
    History { unit: String },
    /// Who has what: checked-out units by holder.
    Holdings,
    /// Conflicts awaiting review.
    Conflicts,
    /// Mark a conflict as reviewed.
    Resolve { event_id: String },
    /// Blocks of new tags leased to stations: which numbers, to which station, when.
    Tags(super::JsonFlag),
    /// People: badges, roles, limits, who has what; synced to every station.
    #[command(subcommand)]
    People(PersonCmd),
    /// Locations: sites, rooms, vans and shelves; synced to every station.
    #[command(subcommand)]
    Locations(LocationCmd),
}

pub fn run_admin(a: AdminArgs) -> Result<()> {
    let token = match (a.admin_token, a.admin_token_file) {
        (Some(t), _) => t,
        (None, Some(f)) => std::fs::read_to_string(&f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .trim()
            .to_string(),
        (None, None) => bail!(
            "an admin token is needed: --admin-token, TAGSTATION_ADMIN_TOKEN or --admin-token-file"
        ),
    };
    let base = a.hub.trim_end_matches('/').to_string();
    let client = reqwest::blocking::Client::new();
    let get = |path: &str| -> Result<serde_json::Value> {
        call(client.get(format!("{base}{path}")).bearer_auth(&token))
    };
    let post = |path: &str, body: serde_json::Value| -> Result<serde_json::Value> {
        call(
            client
                .post(format!("{base}{path}"))
                .bearer_auth(&token)
                .json(&body),
        )
    };
    let out = match a.command {
        AdminCmd::AddStation { name } => {
            let r = post("/v1/admin/stations", serde_json::json!({ "name": name }))?;
            println!(
                "station {} created; enrollment code {} (valid until {})",
                r["name"].as_str().unwrap_or_default(),
                r["enrollment_code"].as_str().unwrap_or_default(),
                r["expires"].as_str().unwrap_or_default()
            );
            println!(
                "on the station: tagstation enroll --hub {base} --code {}",
                r["enrollment_code"].as_str().unwrap_or_default()
            );
            return Ok(());
        }
        AdminCmd::Stations => get("/v1/admin/stations")?,
        AdminCmd::Revoke { name } => post(
            &format!("/v1/admin/stations/{}/revoke", percent(&name, "")),
            serde_json::json!({}),
        )?,
        AdminCmd::Items => get("/v1/admin/items")?,
        AdminCmd::Units => get("/v1/admin/units")?,
        AdminCmd::History { unit } => {
            get(&format!("/v1/admin/units/{}/history", percent(&unit, "")))?
        }
        AdminCmd::Holdings => get("/v1/admin/holdings")?,
        AdminCmd::Conflicts => get("/v1/admin/conflicts")?,
        AdminCmd::Resolve { event_id } => post(
            &format!("/v1/admin/conflicts/{}/resolve", percent(&event_id, "")),
            serde_json::json!({}),
        )?,
        AdminCmd::Tags(json) => {
            let leases: Vec<hub::tags::TagLease> = parse(get("/v1/admin/tags")?)?;
            return super::output::show(json.json, &leases, |l| print_tag_leases(l));
        }
        AdminCmd::People(cmd) => return admin_people(cmd, &get, &post),
        AdminCmd::Locations(cmd) => return admin_locations(cmd, &get, &post),
    };
    super::output::print_json(&out)
}

type Get<'a> = &'a dyn Fn(&str) -> Result<serde_json::Value>;
type Post<'a> = &'a dyn Fn(&str, serde_json::Value) -> Result<serde_json::Value>;

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).context("the hub's answer is not what this version expects")
}

/// `tagstation admin people ...`: the same commands as a standalone station's
/// `person ...`, made on the hub through its admin API.
fn admin_people(cmd: PersonCmd, get: Get, post: Post) -> Result<()> {
    use super::output::{print_json, show};
    let shown = |v: serde_json::Value| -> Result<server::PersonShown> { parse(v) };
    match cmd {
        PersonCmd::Add {
            name,
            badges,
            email,
            role,
            max_checkouts,
            loan_days,
        } => {
            let f = dir::new_person(name, badges, email, role, max_checkouts, loan_days);
            let body = serde_json::to_value(server::NewPerson {
                fields: f,
                actor: None,
            })?;
            let s = shown(post("/v1/admin/people", body)?)?;
            println!(
                "added {} ({}, {})",
                dir_t(&s.person.name),
                s.person.role,
                s.person.id
            );
        }
        PersonCmd::Edit {
            person,
            name,
            add_badges,
            remove_badges,
            email,
            no_email,
            role,
            active,
            inactive,
            max_checkouts,
            no_max_checkouts,
            loan_days,
            no_loan_days,
        } => {
            let change = dir::person_change(
                name,
                add_badges,
                remove_badges,
                email,
                no_email,
                role,
                active,
                inactive,
                max_checkouts,
                no_max_checkouts,
                loan_days,
                no_loan_days,
            );
            let body = serde_json::to_value(server::ChangePerson {
                change,
                actor: None,
            })?;
            let s = shown(post(
                &format!("/v1/admin/people/{}", percent(&person, "")),
                body,
            )?)?;
            println!("saved: {} changed", dir_t(&s.person.name));
        }
        PersonCmd::List { all, json } => {
            let people: Vec<tagstation::view::PersonView> = parse(get("/v1/admin/people")?)?;
            let people: Vec<_> = people
                .into_iter()
                .filter(|p| all || (p.active && !p.erased))
                .collect();
            return show(json.json, &people, |p| dir::print_people(p, true));
        }
        PersonCmd::Show { person, json } => {
            let s = shown(get(&format!("/v1/admin/people/{}", percent(&person, "")))?)?;
            if json.json {
                return print_json(&s);
            }
            dir::print_person(&s.person, &s.checked_out);
        }
        PersonCmd::Erase { person, yes } => {
            if !yes {
                return Err(super::Refused(format!(
                    "erasing {} cannot be undone: add --yes to erase",
                    dir_t(&person)
                ))
                .into());
            }
            let r = post(
                &format!("/v1/admin/people/{}/erase", percent(&person, "")),
                serde_json::json!({}),
            )?;
            println!("erased: now {}", dir_t(r["erased"].as_str().unwrap_or("?")));
        }
        PersonCmd::Import {
            file,
            dry_run,
            json,
        } => {
            let rows = dir::read_people_file(&file)?;
            let body = serde_json::to_value(server::ImportPeople {
                people: rows,
                dry_run,
                actor: None,
            })?;
            let done: tagstation::ops::people::PeopleImported =
                parse(post("/v1/admin/people/import", body)?)?;
            return show(json.json, &done, |d| dir::print_imported(d, dry_run));
        }
        PersonCmd::Unmatched(json) => {
            let list: Vec<(String, i64)> = parse(get("/v1/admin/people/unmatched")?)?;
            return show(json.json, &list, |list| {
                if list.is_empty() {
                    println!("every check-out names a person");
                }
                for (holder, n) in list {
                    println!(
                        "{:<24} {n} checked out (no person of that name)",
                        dir_t(holder)
                    );
                }
            });
        }
    }
    Ok(())
}

/// `tagstation admin locations ...`, through the hub's admin API.
fn admin_locations(cmd: LocationCmd, get: Get, post: Post) -> Result<()> {
    use super::output::{print_json, show};
    let shown = |v: serde_json::Value| -> Result<server::LocationShown> { parse(v) };
    match cmd {
        LocationCmd::Add {
            name,
            kind,
            parent,
            code,
        } => {
            let body = serde_json::to_value(server::AddLocation {
                new: dir::new_location(name, kind, parent, code),
                actor: None,
            })?;
            let s = shown(post("/v1/admin/locations", body)?)?;
            println!(
                "added location {} ({})",
                dir_t(&s.location.name),
                s.location.id
            );
        }
        LocationCmd::Edit {
            location,
            name,
            kind,
            parent,
            no_parent,
            code,
            no_code,
            active,
            inactive,
        } => {
            let change = dir::location_change(
                name, kind, parent, no_parent, code, no_code, active, inactive,
            );
            let body = serde_json::to_value(server::ChangeLocation {
                change,
                actor: None,
            })?;
            let s = shown(post(
                &format!("/v1/admin/locations/{}", percent(&location, "")),
                body,
            )?)?;
            println!("saved: {} changed", dir_t(&s.location.name));
        }
        LocationCmd::List { all, json } => {
            let list: Vec<tagstation::view::LocationView> = parse(get("/v1/admin/locations")?)?;
            let list: Vec<_> = list.into_iter().filter(|l| all || l.active).collect();
            return show(json.json, &list, |l| dir::print_locations(l, true));
        }
        LocationCmd::Show { location, json } => {
            let s = shown(get(&format!(
                "/v1/admin/locations/{}",
                percent(&location, "")
            ))?)?;
            if json.json {
                return print_json(&s);
            }
            dir::print_location(&s.location, &s.units);
        }
        LocationCmd::Adopt { dry_run, json } => {
            let body = serde_json::to_value(server::AdoptLocations {
                dry_run,
                actor: None,
            })?;
            let done: tagstation::ops::locations::Adopted =
                parse(post("/v1/admin/locations/adopt", body)?)?;
            return show(json.json, &done, |d| dir::print_adopted(d, dry_run));
        }
    }
    Ok(())
}

/// `admin tags`: each block of new tags as a line, oldest first.
fn print_tag_leases(leases: &[hub::tags::TagLease]) {
    if leases.is_empty() {
        println!("no blocks of new tags leased yet");
        return;
    }
    let row = |cells: [&str; 6]| {
        let [station, first, last, first_tag, last_tag, at] = cells;
        println!("{station:<24} {first:>12} {last:>12}  {first_tag:<20} {last_tag:<20} {at}");
    };
    row([
        "STATION",
        "FIRST",
        "LAST",
        "FIRST TAG",
        "LAST TAG",
        "LEASED AT",
    ]);
    for l in leases {
        let station = match &l.station {
            Some(name) => dir_t(name).into_owned(),
            None => format!("station {}", &l.station_id.simple().to_string()[..8]),
        };
        row([
            &station,
            &l.first.to_string(),
            &l.last.to_string(),
            &dir_t(&l.first_tag),
            &dir_t(&l.last_tag),
            &dir_t(&l.leased_at),
        ]);
    }
}

fn dir_t(s: &str) -> std::borrow::Cow<'_, str> {
    super::output::t(s)
}

fn call(req: reqwest::blocking::RequestBuilder) -> Result<serde_json::Value> {
    let resp = req.send().context("hub unreachable")?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        bail!(
            "hub answered {status}: {}",
            body["error"].as_str().unwrap_or("(no message)")
        );
    }
    Ok(body)
}
