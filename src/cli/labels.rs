//! `tagstation labels`: the station's units as printable labels (a PDF), through
//! `tagstation-labels`, read from the station's store.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

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
    /// Send the labels as ZPL straight to a Zebra printer on the network (HOST or
    /// HOST:PORT; port 9100 unless given) instead of writing a file.
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with = "out")]
    pub printer: Option<String>,
}

/// How long to wait for a network printer to answer, and for each write to it.
const PRINTER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn layouts_help() -> String {
    let mut s = String::from("Layouts:\n");
    for l in LAYOUTS {
        s.push_str(&format!("  {:<9} {}\n", l.name, l.description));
    }
    s
}

fn subject(u: &UnitView) -> Subject {
    Subject {
        unit: u.name.clone(),
        item: u.item.clone(),
        tag: u.asset_tag.clone(),
        fields: u.fields.clone(),
    }
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
    let subjects: Vec<Subject> = units.iter().map(subject).collect();
    let opts = Options {
        layout,
        code,
        start: args.start,
        org: args.org,
        field: args.field,
        url: args.url,
    };
    let zpl = args.zpl || args.printer.is_some();
    let (bytes, kind) = if zpl {
        (labels::zpl(&subjects, &opts)?.into_bytes(), "ZPL")
    } else {
        (labels::pdf(&subjects, &opts)?, "PDF")
    };
    if let Some(printer) = &args.printer {
        labels::print::send_raw(printer, &bytes, PRINTER_TIMEOUT)?;
        println!(
            "sent {} label(s) to the printer {} (ZPL, {}, {})",
            subjects.len(),
            tagstation::escape::controls(printer),
            layout.name,
            code.name()
        );
        return Ok(());
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(if zpl { "labels.zpl" } else { "labels.pdf" }));
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
