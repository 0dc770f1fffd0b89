//! Printing a unit's label at the station: the station's `[labels]` settings read into a
//! printer and label options, and one unit sent to that printer. The driver runs
//! [`LabelPrinter::print`] on a thread of its own, so the screen never waits for a
//! printer.

use std::time::Duration;

use tagstation_core::view::UnitView;
use tagstation_labels::print::{self, PrintError, Printed, Printer};
use tagstation_labels::{Layout, Options, Subject, Symbology};
use tagstation_station::config::LabelsConfig;

/// How long a printer may take to answer, and to take each part of a job.
pub const PRINTER_TIMEOUT: Duration = Duration::from_secs(10);

/// The station's printer and how its labels look.
#[derive(Debug, Clone)]
pub struct LabelPrinter {
    pub printer: Printer,
    pub options: Options,
}

impl LabelPrinter {
    /// The printer `[labels]` names, or `None` when it names none. A printer, layout or
    /// code this build does not know is an error saying which setting is wrong.
    pub fn from_config(cfg: &LabelsConfig) -> Result<Option<LabelPrinter>, String> {
        let Some(printer) = cfg.printer.as_deref() else {
            return Ok(None);
        };
        let printer: Printer = printer
            .parse()
            .map_err(|e: PrintError| format!("labels.printer: {e}"))?;
        let layout = Layout::find(&cfg.layout).map_err(|e| format!("labels.layout: {e}"))?;
        let code: Symbology = cfg.code.parse().map_err(|e| format!("labels.code: {e}"))?;
        let mut options = Options::new(layout);
        options.code = code;
        options.org = cfg.org.clone();
        options.url = cfg.url.clone();
        Ok(Some(LabelPrinter { printer, options }))
    }

    /// Print `unit`'s label: rendered for this printer and sent, or why not.
    pub fn print(&self, unit: &UnitView) -> Result<Printed, PrintError> {
        print::print(
            &self.printer,
            &[Subject::from(unit)],
            &self.options,
            PRINTER_TIMEOUT,
        )
    }
}
