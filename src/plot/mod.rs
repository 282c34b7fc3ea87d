//! Charts and a self-contained HTML report, drawn from a run's output directory.
//!
//! Brief overview:
//!
//! - [`render`] reads `summary.csv`, `annual.csv`, `deltas.csv` and `manifest.json` from a
//!   directory and writes `plots/<chart>.png` and `plots/<chart>.svg` for each chart of
//!   [`CHART_NAMES`] that has data, then `report.html`.
//! - [`RunData`] is the directory read back into memory; [`remove_stale`] clears this layer's
//!   files before a directory is rewritten.
//!
//! Architecture invariants: this layer reads only files (never a model, an engine or a
//! `MonteCarloStats`), so plotting during `zeromile run` and `zeromile plot DIR` later are the
//! same computation and give byte-identical files. Every file is written through
//! [`AtomicFile`]. Text is drawn with a font compiled into the binary; no system font, C
//! library or network is used. A missing metric or file leaves a panel or chart out instead of
//! failing.

mod charts;
mod data;
mod draw;
mod report;
mod units;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::AtomicFile;

pub use charts::CHART_NAMES;
pub use data::{AnnualCell, AnnualTable, EventMark, Quantiles, RunData, ScenarioTable, Series};
pub use draw::{HEIGHT, WIDTH};

/// Sub-directory of an output directory that holds the chart files.
pub const PLOTS_DIR: &str = "plots";
/// The report page, in the output directory.
pub const REPORT_FILE: &str = "report.html";

/// What chart `name` shows, in a sentence or two (for the report and the docs).
pub fn description(name: &str) -> &'static str {
    match name {
        "price_war" => {
            "Top: the chained transaction-price index (first month = 100). Bottom: the average \
             discount off list price, street plus push discounts. Falling prices and rising \
             discounts are the price war."
        }
        "export_volumes" => {
            "Top: zero-mileage shipments and official new-car exports per month. Middle: exports \
             by destination market (new-car plus zero-mileage, median). Bottom: annual totals \
             with their 90% interval."
        }
        "overcapacity" => {
            "Top: monthly production, installed capacity and domestic retail sales. Bottom: \
             capacity utilization (production / capacity); the gap is the overcapacity that \
             exports and discounts absorb."
        }
        "consumers" => {
            "Top: share of households in the market that could buy but wait for lower prices. \
             Bottom: their mean expected monthly price change (negative: prices expected to fall)."
        }
        "industry_health" => {
            "Active automakers, monthly exits and bailouts, the industry profit margin, and local \
             governments' subsidy spending (production, export, capital support and bailouts)."
        }
        "policy_deltas" => {
            "Each scenario minus the baseline in the same replicate (common random numbers), for \
             the price index, zero-mileage exports, the average discount and utilization: the \
             policy effect, with its 90% interval."
        }
        _ => "",
    }
}

/// Reads the run in `dir` and writes its charts (PNG and SVG, [`WIDTH`] × [`HEIGHT`]) into
/// `dir/plots/` and then `dir/report.html`; returns the paths written, report last.
///
/// Charts without data (e.g. `policy_deltas` for a one-scenario run) are skipped, and a stale
/// file of theirs is removed. Errors: [`Error::Usage`] when `dir` is not a complete zeromile
/// output directory, [`Error::Io`] when a file cannot be read, drawn or written.
pub fn render(dir: &Path) -> Result<Vec<PathBuf>> {
    let data = RunData::read(dir)?;
    let plots = dir.join(PLOTS_DIR);
    fs::create_dir_all(&plots).map_err(|e| Error::io(&plots, e))?;
    let mut written = Vec::new();
    let mut drawn = Vec::new();
    for (name, chart) in charts::build(&data) {
        let png_path = plots.join(format!("{name}.png"));
        let svg_path = plots.join(format!("{name}.svg"));
        let Some(chart) = chart else {
            remove_if_present(&png_path)?;
            remove_if_present(&svg_path)?;
            continue;
        };
        let png = draw::png(&chart).map_err(|e| drawing_error(&png_path, e))?;
        written.push(write_file(&png_path, &png)?);
        let svg = draw::svg(&chart).map_err(|e| drawing_error(&svg_path, e))?;
        written.push(write_file(&svg_path, svg.as_bytes())?);
        drawn.push((chart, svg));
    }
    let page = report::html(&data, &drawn);
    written.push(write_file(&dir.join(REPORT_FILE), page.as_bytes())?);
    Ok(written)
}

/// Removes the files [`render`] writes (every chart of [`CHART_NAMES`], `report.html`, and
/// `plots/` itself when that leaves it empty), so a rewritten directory never shows charts of an
/// older run.
pub fn remove_stale(dir: &Path) -> Result<()> {
    let plots = dir.join(PLOTS_DIR);
    for name in CHART_NAMES {
        for ext in ["png", "svg"] {
            remove_if_present(&plots.join(format!("{name}.{ext}")))?;
        }
    }
    remove_if_present(&dir.join(REPORT_FILE))?;
    if fs::read_dir(&plots).is_ok_and(|mut d| d.next().is_none()) {
        fs::remove_dir(&plots).map_err(|e| Error::io(&plots, e))?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

fn drawing_error(path: &Path, message: String) -> Error {
    Error::io(path, io::Error::other(format!("drawing failed: {message}")))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}
