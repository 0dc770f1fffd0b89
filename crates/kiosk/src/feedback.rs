//! Feedback a person gets without looking at a screen: buzzer patterns, green and red LEDs, and a relay.
//!
//! One small interface ([`Feedback`]) with a GPIO backend for the Raspberry Pi
//! (feature `gpio`, through rppal) and a backend that only logs what it would do, for
//! machines without GPIO and for headless tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tagstation_station::config::FeedbackConfig;

/// What happened, as the buzzer and LEDs tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Saved: one short beep, green LED.
    Success,
    /// Needs attention but nothing went wrong (already in the basket, unknown tag): two beeps, both LEDs.
    Warning,
    /// Refused or not saved: one long beep, red LED.
    Error,
}

/// One step of a pattern: buzzer and LEDs on for `on`, then all off for `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub green: bool,
    pub red: bool,
    pub buzz: bool,
    pub on: Duration,
    pub off: Duration,
}

impl Signal {
    /// The pattern a signal plays.
    pub fn pattern(self) -> Vec<Step> {
        let ms = Duration::from_millis;
        match self {
            Signal::Success => vec![Step {
                green: true,
                red: false,
                buzz: true,
                on: ms(80),
                off: ms(0),
            }],
            Signal::Warning => vec![
                Step {
                    green: true,
                    red: true,
                    buzz: true,
                    on: ms(80),
                    off: ms(80),
                };
                2
            ],
            Signal::Error => vec![Step {
                green: false,
                red: true,
                buzz: true,
                on: ms(600),
                off: ms(0),
            }],
        }
    }
}

/// The station's feedback hardware. Calls return at once; patterns play in the background.
pub trait Feedback: Send + Sync {
    fn signal(&self, signal: Signal);
    /// Close the relay for its configured time (a door or cabinet lock), after a valid check-out.
    fn release(&self);
}

#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("GPIO is not available: {0}")]
    Gpio(String),
    #[error("this binary was built without the `gpio` feature; pins are configured but cannot be driven")]
    NotBuilt,
}

/// Logs what the hardware would do; for machines without GPIO.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogFeedback;

impl Feedback for LogFeedback {
    fn signal(&self, signal: Signal) {
        tracing::info!(?signal, "feedback");
    }
    fn release(&self) {
        tracing::info!("feedback: relay released");
    }
}

/// Remembers every signal: for tests, and to show what a headless station did.
#[derive(Debug, Default, Clone)]
pub struct RecordingFeedback {
    log: Arc<Mutex<Vec<String>>>,
}

impl RecordingFeedback {
    pub fn new() -> Self {
        Self::default()
    }
    /// Everything so far: `success`, `warning`, `error`, `release`.
    pub fn events(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn push(&self, s: &str) {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(s.to_string());
    }
}

impl Feedback for RecordingFeedback {
    fn signal(&self, signal: Signal) {
        self.push(match signal {
            Signal::Success => "success",
            Signal::Warning => "warning",
            Signal::Error => "error",
        });
    }
    fn release(&self) {
        self.push("release");
    }
}

/// The feedback for a station: GPIO when pins are configured (and the binary has the
/// `gpio` feature), else logging.
pub fn from_config(cfg: &FeedbackConfig) -> Result<Arc<dyn Feedback>, FeedbackError> {
    let any_pin = cfg.buzzer_pin.is_some()
        || cfg.green_pin.is_some()
        || cfg.red_pin.is_some()
        || cfg.relay_pin.is_some();
    if !any_pin {
        return Ok(Arc::new(LogFeedback));
    }
    #[cfg(feature = "gpio")]
    {
        Ok(Arc::new(gpio::GpioFeedback::open(cfg)?))
    }
    #[cfg(not(feature = "gpio"))]
    {
        Err(FeedbackError::NotBuilt)
    }
}

#[cfg(feature = "gpio")]
pub mod gpio {
    //! The Raspberry Pi backend: rppal output pins driven from one background thread.

    use std::sync::mpsc;
    use std::sync::Mutex;
    use std::time::Duration;

    use rppal::gpio::{Gpio, OutputPin};

    use super::{Feedback, FeedbackError, Signal};
    use tagstation_station::config::FeedbackConfig;

    enum Msg {
        Signal(Signal),
        Release,
    }

    /// Buzzer, LEDs and relay on GPIO pins (BCM numbering).
    pub struct GpioFeedback {
        tx: Mutex<mpsc::Sender<Msg>>,
    }

    struct Pins {
        buzzer: Option<OutputPin>,
        green: Option<OutputPin>,
        red: Option<OutputPin>,
        relay: Option<OutputPin>,
        relay_time: Duration,
    }

    fn set(pin: &mut Option<OutputPin>, on: bool) {
        if let Some(p) = pin {
            if on {
                p.set_high();
            } else {
                p.set_low();
            }
        }
    }

    impl GpioFeedback {
        /// Claim the configured pins; fails off a Raspberry Pi (`UnknownModel`).
        pub fn open(cfg: &FeedbackConfig) -> Result<GpioFeedback, FeedbackError> {
            let gpio = Gpio::new().map_err(|e| FeedbackError::Gpio(e.to_string()))?;
            let out = |pin: Option<u8>| -> Result<Option<OutputPin>, FeedbackError> {
                pin.map(|p| {
                    gpio.get(p)
                        .map(|p| p.into_output_low())
                        .map_err(|e| FeedbackError::Gpio(format!("pin {p}: {e}")))
                })
                .transpose()
            };
            let mut pins = Pins {
                buzzer: out(cfg.buzzer_pin)?,
                green: out(cfg.green_pin)?,
                red: out(cfg.red_pin)?,
                relay: out(cfg.relay_pin)?,
                relay_time: Duration::from_millis(cfg.relay_ms),
            };
            let (tx, rx) = mpsc::channel::<Msg>();
            std::thread::Builder::new()
                .name("feedback".into())
                .spawn(move || {
                    for msg in rx {
                        match msg {
                            Msg::Signal(s) => {
                                for step in s.pattern() {
                                    set(&mut pins.buzzer, step.buzz);
                                    set(&mut pins.green, step.green);
                                    set(&mut pins.red, step.red);
                                    std::thread::sleep(step.on);
                                    set(&mut pins.buzzer, false);
                                    set(&mut pins.green, false);
                                    set(&mut pins.red, false);
                                    std::thread::sleep(step.off);
                                }
                            }
                            Msg::Release => {
                                set(&mut pins.relay, true);
                                std::thread::sleep(pins.relay_time);
                                set(&mut pins.relay, false);
                            }
                        }
                    }
                })
                .map_err(|e| {
                    FeedbackError::Gpio(format!("cannot start the feedback thread: {e}"))
                })?;
            Ok(GpioFeedback { tx: Mutex::new(tx) })
        }

        fn send(&self, m: Msg) {
            let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
            if tx.send(m).is_err() {
                tracing::warn!("feedback thread is gone");
            }
        }
    }

    impl Feedback for GpioFeedback {
        fn signal(&self, signal: Signal) {
            tracing::debug!(?signal, "feedback");
            self.send(Msg::Signal(signal));
        }
        fn release(&self) {
            tracing::info!("relay released");
            self.send(Msg::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_differ_and_no_pins_means_logging() {
        assert_ne!(Signal::Success.pattern(), Signal::Error.pattern());
        assert_eq!(Signal::Warning.pattern().len(), 2);
        assert!(from_config(&FeedbackConfig::default()).is_ok());
        let r = RecordingFeedback::new();
        r.signal(Signal::Success);
        r.release();
        assert_eq!(r.events(), vec!["success", "release"]);
    }
}
