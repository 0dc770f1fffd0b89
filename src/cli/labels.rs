//! `tagstation labels`: the station's units as printable labels (a PDF or ZPL, to a file
//! or a printer), through `tagstation-labels`, read from the station's store.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;

use tagstation::labels::print::{self, Printer};
use tagstation::labels::{self, Layout, Options, Subject, Symbology, LAYOUTS};
use tagstation::store::Store;
use tagstation::view::UnitView;

/// Which units, how, and where to.
#[derive(Debug, Args)]
#[command(after_help = layouts_help())]
pub struct LabelsArgs {
    /// Asset tags (or unit names) to label, in this order.
    pub units: Vec<String>,
    /// Every unit of this item (name, SKU or barcode) that has a tag.
    #[arg(long, conflicts_with = "all")]
    pub item: Option<String>,
    /// Every tagged unit of every item in use.
    #[arg(long, conflicts_with = "units")]
    pub all: bool,
    /// Label stock: l7651, l7163, 5160, 5267, 62mm, 50x25mm, 2x1in.
    #[arg(long, default_value = "l7651")]
    pub layout: String,
    /// The code: qr, datamatrix (small labels) or code128 (laser scanners).
    #[arg(long, default_value = "qr")]
    pub code: String,
    /// Skip this many labels on the first sheet (a half-used sheet), counting across
    /// then down from 0.
    #[arg(long, default_value_t = 0)]
    pub start: usize,
    /// The organisation's name, on every label.
    #[arg(long)]
    pub org: Option<String>,
    /// One custom field of each unit, printed as "NAME: value" (every unit must have it).
    #[arg(long = "field", value_name = "NAME")]
    pub field: Option<String>,
    /// Make the code a URL: `{tag}` is replaced by the tag (e.g. https://hub.example/t/{tag}).
    #[arg(long)]
    pub url: Option<String>,
    /// The PDF to write.
    #[arg(long, short, value_name = "FILE.pdf")]
    pub out: Option<PathBuf>,
    /// Write ZPL for a Zebra printer instead of a PDF (thermal layouts).
    #[arg(long)]
    pub zpl: bool,
    /// Send the labels to a printer instead of writing a file: `cups:QUEUE`, a CUPS
    /// printer queue (a PDF; `lpstat -p` lists them), or `zebra:HOST[:PORT]` (or just
    /// HOST[:PORT]), a Zebra printer on the network (ZPL to its raw port, 9100 unless
    /// given).
    #[arg(long, value_name = "PRINTER", conflicts_with = "out")]
    pub printer: Option<String>,
    /// Print the PDF on this CUPS queue: short for `--printer cups:QUEUE`.
    #[arg(long, value_name = "QUEUE", conflicts_with_all = ["out", "printer", "zpl"])]
    pub lp: Option<String>,
}

/// How long to wait for a Zebra printer to answer, and for each write to it.
const ZEBRA_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `lp` may take to hand the PDF to CUPS (a remote print server may be slow).
const CUPS_TIMEOUT: Duration = Duration::from_secs(30);

/// The printer `--lp` or `--printer` names; a bare HOST, HOST:PORT or IPv6 address is a
/// Zebra printer, as `--printer` always took.
fn printer(args: &LabelsArgs) -> Result<Option<Printer>> {
    if let Some(queue) = &args.lp {
        return Ok(Some(Printer::Cups {
            queue: queue.clone(),
        }));
    }
    let Some(spec) = &args.printer else {
        return Ok(None);
    };
    let prefixed = spec.starts_with("cups:") || spec.starts_with("zebra:");
    Ok(Some(if !prefixed && bare_address(spec) {
        Printer::Zebra {
            address: spec.clone(),
        }
    } else {
        spec.parse()?
    }))
}

/// HOST, HOST:PORT, [V6]:PORT or a bare IPv6 address.
fn bare_address(spec: &str) -> bool {
    let port = spec.rsplit_once(':').map(|(_, port)| port);
    port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        || spec.parse::<std::net::Ipv6Addr>().is_ok()
}

fn layouts_help() -> String {
    let mut s = String::from("Layouts:\n");
    for l in LAYOUTS {
        s.push_str(&format!("  {:<9} {}\n", l.name, l.description));
    }
    s
}

pub(super) fn labels_cmd(store: &Store, args: LabelsArgs) -> Result<()> {
    let layout = Layout::find(&args.layout)?;
    let code: Symbology = args.code.parse()?;
    let units: Vec<UnitView> = if !args.units.is_empty() {
        args.units
            .iter()
            .map(|r| store.unit_view(&store.find_unit(r)?))
            .collect::<Result<_, _>>()?
    } else if args.item.is_some() || args.all {
        let item = args.item.as_ref().map(|i| store.find_item(i)).transpose()?;
        let all = store.units(item.map(|i| i.id), false)?;
        let (tagged, untagged): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|u| u.asset_tag.is_some());
        if !untagged.is_empty() {
            let names: Vec<&str> = untagged.iter().map(|u| u.name.as_str()).collect();
            eprintln!(
                "skipped {} unit(s) without a tag: {}",
                names.len(),
                names.join(", ")
            );
        }
        tagged
    } else {
        bail!("name the units to label: asset tags, --item ITEM or --all");
    };
    if units.is_empty() {
        bail!("no tagged units to label");
    }
    let subjects: Vec<Subject> = units.iter().map(Subject::from).collect();
    let to_printer = printer(&args)?;
    let opts = Options {
        layout,
        code,
        start: args.start,
        org: args.org,
        field: args.field,
        url: args.url,
    };
    if let Some(printer) = to_printer {
        let (kind, timeout) = match &printer {
            Printer::Cups { .. } if args.zpl => {
                bail!("--zpl is for a Zebra printer; a CUPS queue ({printer}) takes the PDF")
            }
            Printer::Cups { .. } => ("PDF", CUPS_TIMEOUT),
            Printer::Zebra { .. } => ("ZPL", ZEBRA_TIMEOUT),
        };
        let printed = print::print(&printer, &subjects, &opts, timeout)?;
        let job = printed
            .job
            .map(|j| format!(", job {}", tagstation::escape::controls(&j)))
            .unwrap_or_default();
        println!(
            "sent {} label(s) to the printer {} ({kind}, {}, {}){job}",
            printed.labels,
            tagstation::escape::controls(&printed.printer.to_string()),
            layout.name,
            code.name()
        );
        return Ok(());
    }
    let (bytes, kind) = if args.zpl {
        (labels::zpl(&subjects, &opts)?.into_bytes(), "ZPL")
    } else {
        (labels::pdf(&subjects, &opts)?, "PDF")
    };
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(if args.zpl { "labels.zpl" } else { "labels.pdf" }));
    std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    tracing::info!(labels = subjects.len(), layout = layout.name, code = code.name(), out = %out.display(), "labels written");
    println!(
        "wrote {} label(s) to {} ({kind}, {}, {})",
        subjects.len(),
        out.display(),
        layout.name,
        code.name()
    );
    Ok(())
}
