//! Charts and a self-contained HTML report, drawn from a run's output directory.
//!
//! Brief overview:
//!
//! - [`render`] reads `summary.csv`, `annual.csv`, `deltas.csv` and `manifest.json` from a
//!   directory and writes `plots/<chart>.png` and `plots/<chart>.svg` for each chart of
//!   [`CHART_NAMES`] that has data, then `report.html`. [`render_with`] does the same with
//!   [`PlotOptions`] (a subset of charts, one format, another size, no event markers).
//! - [`sweep::render`] draws the sensitivity and response charts of a `zeromile sweep`
//!   directory; [`render_with`] hands a sweep directory to it.
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
mod findings;
mod report;
pub mod sweep;
mod units;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
            "Top: the chained transaction-price index (first month = 100) and the average \
             discount off list price, street plus push discounts. Falling prices and rising \
             discounts are the price war. Bottom: transaction prices and discounts of NEV and \
             ICE lines (medians)."
        }
        "export_volumes" => {
            "Top: zero-mileage shipments (left) and official new-car exports (right) per month, \
             each on its own axis. Middle: their annual totals with the 90% interval. Bottom: \
             exports by destination market (new-car plus zero-mileage, median)."
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

/// Which image files a chart is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageFormat {
    /// `plots/<chart>.png` only.
    Png,
    /// `plots/<chart>.svg` only.
    Svg,
    /// Both (the default).
    #[default]
    Both,
}

impl ImageFormat {
    /// Whether PNG files are written.
    pub fn png(self) -> bool {
        self != ImageFormat::Svg
    }

    /// Whether SVG files are written.
    pub fn svg(self) -> bool {
        self != ImageFormat::Png
    }
}

impl FromStr for ImageFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "png" => Ok(ImageFormat::Png),
            "svg" => Ok(ImageFormat::Svg),
            "both" => Ok(ImageFormat::Both),
            _ => Err(Error::Usage(format!("unknown image format {s:?}: expected png, svg or both"))),
        }
    }
}

/// Smallest and largest chart size accepted by [`render_with`], pixels (width, height).
pub const SIZE_LIMITS: ((u32, u32), (u32, u32)) = ((800, 450), (6400, 3600));

/// How [`render_with`] draws: which charts, in which format and size, with or without event
/// markers and report. [`PlotOptions::default`] is what [`render`] and `zeromile run` use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotOptions {
    /// Chart names to draw; empty: all. For a run directory the names of [`CHART_NAMES`]; for a
    /// sweep directory a chart's file stem (`sobol_zm_exports_2024`) or its kind (`sobol`,
    /// `morris`, `heatmap`, `scatter`). Charts not chosen keep whatever files they have.
    pub charts: Vec<String>,
    /// Image files to write.
    pub format: ImageFormat,
    /// Draw the scenarios' dated policy events as vertical markers on the time charts.
    pub events: bool,
    /// Chart width, pixels (within [`SIZE_LIMITS`]).
    pub width: u32,
    /// Chart height, pixels (within [`SIZE_LIMITS`]).
    pub height: u32,
    /// Write the HTML report (`report.html`, or `sweep_report.html` for a sweep).
    pub report: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            charts: Vec::new(),
            format: ImageFormat::Both,
            events: true,
            width: WIDTH,
            height: HEIGHT,
            report: true,
        }
    }
}

impl PlotOptions {
    /// Checks the size against [`SIZE_LIMITS`] and every chart name against `known` (names or
    /// kinds); [`Error::Usage`] naming the valid choices otherwise.
    pub fn check(&self, known: &[&str]) -> Result<()> {
        let ((w0, h0), (w1, h1)) = SIZE_LIMITS;
        if !(w0..=w1).contains(&self.width) || !(h0..=h1).contains(&self.height) {
            return Err(Error::Usage(format!(
                "chart size {}x{} out of range: width {w0}..={w1}, height {h0}..={h1} pixels",
                self.width, self.height
            )));
        }
        if let Some(bad) = self.charts.iter().find(|c| !known.contains(&c.as_str())) {
            return Err(Error::Usage(format!("unknown chart {bad:?}: expected one of {}", known.join(", "))));
        }
        Ok(())
    }

    /// Whether chart `name` (of kind `kind`) is chosen.
    pub fn wants(&self, name: &str, kind: &str) -> bool {
        self.charts.is_empty() || self.charts.iter().any(|c| c == name || c == kind)
    }

    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// Reads the run in `dir` and writes its charts (PNG and SVG, [`WIDTH`] × [`HEIGHT`]) into
/// `dir/plots/` and then `dir/report.html`; returns the paths written, report last.
///
/// The same as [`render_with`] with [`PlotOptions::default`]. Charts without data (e.g.
/// `policy_deltas` for a one-scenario run) are skipped, and a stale file of theirs is removed.
/// Errors: [`Error::Usage`] when `dir` is not a complete zeromile output directory,
/// [`Error::Io`] when a file cannot be read, drawn or written.
pub fn render(dir: &Path) -> Result<Vec<PathBuf>> {
    render_with(dir, &PlotOptions::default())
}

/// [`render`] with options: only the charts of `options.charts` (others keep their files),
/// only the chosen image format, the chosen size, event markers or not, report or not.
///
/// A sweep directory (its `manifest.json` has `"kind": "sweep"`) is drawn by
/// [`sweep::render_with`]. Errors as [`render`], and [`Error::Usage`] for an unknown chart
/// name or a size outside [`SIZE_LIMITS`].
pub fn render_with(dir: &Path, options: &PlotOptions) -> Result<Vec<PathBuf>> {
    if sweep::is_sweep_dir(dir) {
        return sweep::render_with(dir, options);
    }
    options.check(&CHART_NAMES)?;
    let data = RunData::read(dir)?;
    let plots = dir.join(PLOTS_DIR);
    fs::create_dir_all(&plots).map_err(|e| Error::io(&plots, e))?;
    let mut written = Vec::new();
    let mut drawn = Vec::new();
    for (name, chart) in charts::build(&data, options.events, |n| options.wants(n, n)) {
        let png_path = plots.join(format!("{name}.png"));
        let svg_path = plots.join(format!("{name}.svg"));
        let Some(chart) = chart else {
            remove_if_present(&png_path)?;
            remove_if_present(&svg_path)?;
            continue;
        };
        let (w, svg) = draw_figure(&chart, &png_path, &svg_path, options)?;
        written.extend(w);
        if let Some(svg) = svg {
            drawn.push((chart, svg));
        }
    }
    if options.report {
        let page = report::html(&data, &drawn, options.format);
        written.push(write_file(&dir.join(REPORT_FILE), page.as_bytes())?);
    }
    Ok(written)
}

/// Draws `figure` into the files `options.format` asks for; returns the paths written and the
/// SVG text when it was drawn (for a file or the report).
fn draw_figure(
    figure: &impl draw::Figure,
    png_path: &Path,
    svg_path: &Path,
    options: &PlotOptions,
) -> Result<(Vec<PathBuf>, Option<String>)> {
    let mut written = Vec::new();
    if options.format.png() {
        let png = draw::png(figure, options.size()).map_err(|e| drawing_error(png_path, e))?;
        written.push(write_file(png_path, &png)?);
    }
    let mut svg = None;
    if options.format.svg() || options.report {
        let text = draw::svg(figure, options.size()).map_err(|e| drawing_error(svg_path, e))?;
        if options.format.svg() {
            written.push(write_file(svg_path, text.as_bytes())?);
        }
        svg = Some(text);
    }
    Ok((written, svg))
}

/// Whether `rel`, a manifest's `files` entry, is a chart or a report (which drawing writes),
/// not a data file.
pub fn is_drawn_file(rel: &str) -> bool {
    rel.starts_with("plots/") || rel == REPORT_FILE || rel == sweep::SWEEP_REPORT_FILE
}

/// Whether `file_name` (in `plots/`) is a chart the engine draws: a run chart by name or a
/// sweep chart by kind prefix, as PNG or SVG.
pub fn is_engine_chart(file_name: &str) -> bool {
    let Some((stem, ext)) = file_name.rsplit_once('.') else { return false };
    let ours =
        CHART_NAMES.contains(&stem) || sweep::SWEEP_CHART_KINDS.iter().any(|k| stem.starts_with(&format!("{k}_")));
    ours && (ext == "png" || ext == "svg")
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

pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

fn drawing_error(path: &Path, message: String) -> Error {
    Error::io(path, io::Error::other(format!("drawing failed: {message}")))
}

pub(super) use crate::output::remove_if_present;
