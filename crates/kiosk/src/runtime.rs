//! The station runtime behind `tagstation station`: store, sync worker, scan inputs, feedback, and the UI or headless door mode.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::Duration;

use crate::door::DoorAction;
use crate::feedback::{self, Feedback, FeedbackError};
use crate::label::LabelPrinter;
use crate::ui::{PhotoSettings, Settings, StationUi, UiError};
use tagstation_inputs::scan::config::{InputConfig, InputError, InputKind};
use tagstation_inputs::scan::viewfinder::Viewfinder;
use tagstation_inputs::scan::{ScanEvent, ScanRole, SourceStatus};
use tagstation_station::config::Config;
use tagstation_station::store::{Store, StoreError};
use tagstation_station::sync::{Worker, WorkerConfig};

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("config: {0}")]
    Config(String),
    #[error(transparent)]
    Feedback(#[from] FeedbackError),
    #[error("{0}{hint}", hint = window_hint())]
    Ui(UiError),
    #[error("no display to open the station window on ({0}): start it from a desktop session, or run `tagstation station --headless` for door mode")]
    NoDisplay(&'static str),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot start the scan thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// What to try when the window cannot open, by which window backends this build has.
fn window_hint() -> &'static str {
    if cfg!(any(feature = "desktop", feature = "linuxkms")) {
        "; or run with --headless for door mode"
    } else {
        "; this build has no window backend: build with `--features desktop` (a window) or `--features linuxkms` (a Raspberry Pi display), or run with --headless"
    }
}

/// On a build whose only window backend is the desktop one, why no window can open
/// here (no X11 or Wayland session), before Slint is asked and fails less clearly.
/// The Pi's build (`linuxkms`) draws straight to the display and needs no session.
pub fn missing_display() -> Option<&'static str> {
    if !cfg!(feature = "desktop") || cfg!(feature = "linuxkms") {
        return None;
    }
    let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    (!set("DISPLAY") && !set("WAYLAND_DISPLAY"))
        .then_some("neither DISPLAY nor WAYLAND_DISPLAY is set")
}

/// How to run the station.
#[derive(Debug, Clone)]
pub struct Options {
    pub data_dir: PathBuf,
    pub config: Config,
    /// Overrides `station.actor` (from `--actor`).
    pub actor: Option<String>,
    pub headless: bool,
}

/// The UI settings from the config file and the store.
pub fn settings(
    cfg: &Config,
    store: &Store,
    actor: Option<String>,
) -> Result<Settings, StationError> {
    let door = cfg
        .station
        .door
        .as_deref()
        .map(str::parse::<DoorAction>)
        .transpose()
        .map_err(StationError::Config)?;
    let name = match &cfg.station.name {
        Some(n) => n.clone(),
        None => store.info()?.name,
    };
    if !cfg.station.people.is_empty() {
        // People are catalog entities now, synced from the hub: a list here would
        // silently disagree with it.
        tracing::warn!(
            listed = cfg.station.people.len(),
            "the [[station.people]] list in this station's config is ignored: people come from the catalog. \
             Import it once on the hub with `tagstation admin people import <this config file>`, then remove it"
        );
    }
    Ok(Settings {
        station_name: name.clone(),
        actor: actor
            .or(cfg.station.actor.clone())
            .unwrap_or_else(|| format!("station:{name}")),
        door,
        kiosk: cfg.station.kiosk,
        idle: Duration::from_secs(cfg.station.idle_secs.unwrap_or(8).max(1)),
        labels: LabelPrinter::from_config(&cfg.labels).map_err(StationError::Config)?,
        signature: cfg.kiosk.signature,
        photos: PhotoSettings {
            on_check_in: cfg.photos.on_check_in,
            on_damaged: cfg.photos.on_damaged,
        },
    })
}

/// The sync worker, when the station is enrolled with a hub.
pub fn start_sync(opts: &Options, store: &Store) -> Result<Option<Worker>, StationError> {
    if store.hub()?.is_none() {
        tracing::info!("not enrolled with a hub: events stay local until `tagstation enroll`");
        return Ok(None);
    }
    Ok(Some(Worker::spawn(WorkerConfig::from_settings(
        opts.data_dir.clone(),
        &opts.config.sync,
    ))?))
}

/// Start the configured scan inputs, each on its own thread, all sending to one channel.
/// With no `[[input]]` in the config the station reads one scan per line from stdin.
/// An input that cannot start (scanner not plugged in is *not* such a case: live scanners
/// wait for their device) is an error, so a typo in a device path is seen at once.
pub fn start_inputs(cfg: &Config) -> Result<Receiver<ScanEvent>, StationError> {
    start_inputs_with(cfg, None)
}

/// Is one of the inputs a camera?
fn has_camera(cfg: &Config) -> bool {
    cfg.input
        .iter()
        .enumerate()
        .any(|(i, t)| InputConfig::from_table(i, t).is_ok_and(|c| c.is_camera()))
}

/// A viewfinder for the camera inputs, unless there is none or `station.viewfinder`
/// is `false`.
pub fn viewfinder(cfg: &Config) -> Option<Viewfinder> {
    (has_camera(cfg) && cfg.station.viewfinder.unwrap_or(true)).then(Viewfinder::new)
}

/// Where the cameras leave their pictures: the viewfinder's, or with the viewfinder
/// turned off, one only condition photos take from (when `[photos]` asks for any).
/// Returns it and whether it is shown.
pub fn camera_pictures(cfg: &Config) -> Option<(Viewfinder, bool)> {
    if let Some(v) = viewfinder(cfg) {
        return Some((v, true));
    }
    let photos = cfg.photos.on_check_in || cfg.photos.on_damaged;
    (photos && has_camera(cfg)).then(|| (Viewfinder::new(), false))
}

/// [`start_inputs`], the cameras leaving their pictures in `viewfinder`.
pub fn start_inputs_with(
    cfg: &Config,
    viewfinder: Option<&Viewfinder>,
) -> Result<Receiver<ScanEvent>, StationError> {
    let (tx, rx) = mpsc::channel();
    let inputs = if cfg.input.is_empty() {
        vec![InputConfig {
            name: "stdin".into(),
            role: ScanRole::Item,
            kind: InputKind::Line {
                path: None,
                reopen: false,
            },
        }]
    } else {
        cfg.input
            .iter()
            .enumerate()
            .map(|(i, t)| InputConfig::from_table(i, t))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut names = HashSet::new();
    for input in &inputs {
        if !names.insert(input.name.as_str()) {
            return Err(StationError::Config(format!(
                "two inputs are named {:?}; give each [[input]] its own name",
                input.name
            )));
        }
        input.start_with(tx.clone(), viewfinder)?;
        tracing::info!(input = %input.name, role = ?input.role, "input started");
    }
    // `tx` drops here: the channel closes when the last input ends.
    Ok(rx)
}

/// Send the scan events of the inputs to the UI's thread, from a thread of their own,
/// until every input has ended or the UI is gone.
pub fn forward_scans(scans: Receiver<ScanEvent>, ui: &StationUi) -> Result<(), StationError> {
    let feeder = ui.feeder();
    std::thread::Builder::new()
        .name("scan-input".into())
        .spawn(move || {
            // A source's "connected" is news only after it was lost.
            let mut lost = HashSet::new();
            for ev in scans {
                if let ScanEvent::Status { source, status } = &ev {
                    match status {
                        SourceStatus::Connected(_) if !lost.remove(source) => continue,
                        SourceStatus::Disconnected(_) | SourceStatus::Failed(_) => {
                            lost.insert(source.clone());
                        }
                        _ => {}
                    }
                }
                if !feeder.send(ev) {
                    break;
                }
            }
            tracing::info!("scan inputs ended; the touch screen keeps working");
        })?;
    Ok(())
}

/// Run the station until the window closes (UI) or every scan input has ended (headless).
pub fn run(opts: Options) -> Result<(), StationError> {
    let mut store = Store::open(&opts.data_dir)?;
    let settings = settings(&opts.config, &store, opts.actor.clone())?;
    let fb: Arc<dyn Feedback> = feedback::from_config(&opts.config.feedback)?;
    if opts.headless && settings.door.is_none() {
        return Err(StationError::Config(
            "--headless needs a door action: set station.door (e.g. \"sending\") or TAGSTATION_DOOR"
                .into(),
        ));
    }
    if let (false, Some(why)) = (opts.headless, missing_display()) {
        return Err(StationError::NoDisplay(why));
    }
    let sync = start_sync(&opts, &store)?;
    if let (true, Some(door)) = (opts.headless, settings.door) {
        let scans = start_inputs(&opts.config)?;
        tracing::info!(station = %settings.station_name, door = door.label(), "headless door mode: reading scans");
        tagstation_systemd::notify_or_log("READY=1");
        if let Some(every) = tagstation_systemd::watchdog_interval() {
            std::thread::spawn(move || loop {
                tagstation_systemd::notify_or_log("WATCHDOG=1");
                std::thread::sleep(every);
            });
        }
        let (saved, refused) = crate::door::run_headless(
            &mut store,
            door,
            &settings.actor,
            scans,
            fb.as_ref(),
            |_| {
                if let Some(w) = &sync {
                    w.nudge();
                }
            },
        );
        tracing::info!(saved, refused, "scan input ended");
        if let Some(w) = sync {
            w.stop();
        }
        return Ok(());
    }

    let ui = StationUi::new(store, settings, fb, sync).map_err(StationError::Ui)?;
    let pictures = camera_pictures(&opts.config);
    let slot = pictures.as_ref().map(|(v, _)| v);
    forward_scans(start_inputs_with(&opts.config, slot)?, &ui)?;
    match pictures {
        Some((v, true)) => ui.attach_viewfinder(v),
        Some((v, false)) => ui.attach_camera(v),
        None => {
            if opts.config.photos.on_check_in || opts.config.photos.on_damaged {
                tracing::warn!(
                    "[photos] is on but no [[input]] is a camera: no condition photos are taken"
                );
            }
        }
    }
    // A frozen UI stops pinging and systemd restarts the station.
    let _watchdog = tagstation_systemd::watchdog_interval().map(|every| {
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, every, || {
            tagstation_systemd::notify_or_log("WATCHDOG=1")
        });
        t
    });
    tagstation_systemd::notify_or_log("READY=1");
    tracing::info!("station ready to scan");
    ui.run().map_err(StationError::Ui)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_gets_a_viewfinder_unless_it_is_turned_off() {
        let parse = |text: &str| Config::parse(text).expect("config");
        assert!(viewfinder(&parse("")).is_none(), "no camera");
        let line = "[[input]]\nkind = \"line\"\nname = \"door\"\n";
        assert!(viewfinder(&parse(line)).is_none(), "no camera");
        let camera = "[[input]]\nkind = \"image-folder\"\nname = \"cam\"\npath = \"frames\"\n";
        assert!(viewfinder(&parse(camera)).is_some());
        let off = format!("[station]\nviewfinder = false\n{camera}");
        assert!(viewfinder(&parse(&off)).is_none(), "turned off");
        assert!(camera_pictures(&parse(&off)).is_none(), "no photos wanted");
        let photos =
            format!("[station]\nviewfinder = false\n[photos]\non_damaged = true\n{camera}");
        assert!(matches!(camera_pictures(&parse(&photos)), Some((_, false))));
        assert!(matches!(camera_pictures(&parse(camera)), Some((_, true))));
        assert!(camera_pictures(&parse("[photos]\non_check_in = true\n")).is_none());
    }
}
