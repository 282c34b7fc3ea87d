//! Charts of a parameter sweep (`zeromile sweep`), drawn from its output directory.
//!
//! Reads `manifest.json` (`"kind": "sweep"`, the design, parameters and outcomes), `points.csv`
//! (one row per design point: parameter values, then mean, sd, p05, p50 and p95 of each outcome
//! across replicates) and, for Saltelli and Morris designs, `sensitivity.csv` (Sobol `S1`/`ST`
//! or Morris `mu`/`mu_star`/`sigma` per outcome and parameter). Writes into `plots/`:
//!
//! - `sobol_<outcome>`: first-order and total Sobol indices per parameter, with confidence
//!   whiskers, sorted by the total index;
//! - `morris_<outcome>`: Morris μ* against σ, one labelled dot per parameter;
//! - `heatmap_<outcome>`: for a `grid` design over exactly two parameters, the outcome mean over
//!   the grid (viridis colours, colour bar with the unit);
//! - `scatter_<outcome>`: for any other design, the outcome mean (with its 5–95 % range across
//!   replicates) against each parameter, one small panel per parameter;
//!
//! and `sweep_report.html`, a self-contained page with the design, the sensitivity tables and
//! every chart inline. Like the run charts, everything is a pure function of the files: plotting
//! again gives byte-identical output. A blank number is a missing value; a chart with no value
//! at all is left out.
//!
//! `data` reads the files into [`SweepData`], `figures` decides what each chart shows, `draw`
//! draws the charts with plotters and `report` writes the page; this module renders them.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{remove_if_present, write_file, PlotOptions, PLOTS_DIR};
use crate::error::{Error, Result};
use crate::output::MANIFEST_FILE;

mod data;
mod draw;
mod figures;
mod report;

pub use data::{SensitivityRow, SweepData, SweepOutcome, SweepParameter, SweepPoint};
pub use figures::MAX_SCATTER_POINTS;
use figures::{figures, SweepFigure};

/// Design points and their outcome statistics.
pub const POINTS_FILE: &str = "points.csv";
/// Sensitivity indices (Saltelli and Morris designs).
pub const SENSITIVITY_FILE: &str = "sensitivity.csv";
/// The sweep's report page, in the output directory.
pub const SWEEP_REPORT_FILE: &str = "sweep_report.html";
/// Kinds of sweep chart; a chart's file stem is `<kind>_<outcome>`.
pub const SWEEP_CHART_KINDS: [&str; 4] = ["sobol", "morris", "heatmap", "scatter"];

/// Whether `dir` holds a sweep: its `manifest.json` is a JSON object with `"kind": "sweep"`.
pub fn is_sweep_dir(dir: &Path) -> bool {
    fs::read_to_string(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|m| m.get("kind").and_then(Value::as_str) == Some("sweep"))
}

/// Draws the charts of the sweep in `dir` into `dir/plots/` with the default options, then
/// `dir/sweep_report.html`; returns the paths written, report last.
///
/// Errors: [`Error::Usage`] when `dir` lacks `manifest.json` or `points.csv` or a file is
/// malformed, [`Error::Io`] when a file cannot be read, drawn or written.
pub fn render(dir: &Path) -> Result<Vec<PathBuf>> {
    render_with(dir, &PlotOptions::default())
}

/// [`render`] with options: chart subset (by file stem or kind), image format, size, report.
/// Without a subset, sweep chart files of an older sweep that are not drawn again are removed.
pub fn render_with(dir: &Path, options: &PlotOptions) -> Result<Vec<PathBuf>> {
    let data = SweepData::read(dir)?;
    let figures = figures(&data);
    let mut known: Vec<&str> = SWEEP_CHART_KINDS.to_vec();
    known.extend(figures.iter().map(|f| f.name.as_str()));
    options.check(&known)?;
    let plots = dir.join(PLOTS_DIR);
    fs::create_dir_all(&plots).map_err(|e| Error::io(&plots, e))?;
    if options.charts.is_empty() {
        remove_stale(&plots, &figures)?;
    }
    let mut written = Vec::new();
    let mut drawn = Vec::new();
    for figure in figures.iter().filter(|f| options.wants(&f.name, f.kind)) {
        let png_path = plots.join(format!("{}.png", figure.name));
        let svg_path = plots.join(format!("{}.svg", figure.name));
        let (w, svg) = super::draw_figure(figure, &png_path, &svg_path, options)?;
        written.extend(w);
        if let Some(svg) = svg {
            drawn.push((figure, svg));
        }
    }
    if options.report {
        let page = report::html(&data, &drawn, options.format);
        written.push(write_file(&dir.join(SWEEP_REPORT_FILE), page.as_bytes())?);
    }
    Ok(written)
}

/// Removes sweep chart files in `plots` that `figures` will not rewrite.
fn remove_stale(plots: &Path, figures: &[SweepFigure]) -> Result<()> {
    let Ok(entries) = fs::read_dir(plots) else { return Ok(()) };
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for path in names {
        let (Some(stem), Some(ext)) = (path.file_stem().and_then(|s| s.to_str()), path.extension()) else { continue };
        let ours = SWEEP_CHART_KINDS.iter().any(|k| stem.starts_with(&format!("{k}_")));
        if ours && (ext == "png" || ext == "svg") && !figures.iter().any(|f| f.name == stem) {
            remove_if_present(&path)?;
        }
    }
    Ok(())
}
