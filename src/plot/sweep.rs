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

use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;

use super::data::{csv_error, number};
use super::draw::{bold, font, heading, house_mesh, text, Figure, ValueAxis, MUTED, PALETTE};
use super::{remove_if_present, report, units, write_file, PlotOptions, PLOTS_DIR};
use crate::error::{Error, Result};
use crate::output::MANIFEST_FILE;

/// Design points and their outcome statistics.
pub const POINTS_FILE: &str = "points.csv";
/// Sensitivity indices (Saltelli and Morris designs).
pub const SENSITIVITY_FILE: &str = "sensitivity.csv";
/// The sweep's report page, in the output directory.
pub const SWEEP_REPORT_FILE: &str = "sweep_report.html";
/// Kinds of sweep chart; a chart's file stem is `<kind>_<outcome>`.
pub const SWEEP_CHART_KINDS: [&str; 4] = ["sobol", "morris", "heatmap", "scatter"];

/// One swept parameter, from the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepParameter {
    /// Scenario key path (`exporters.min_holding_months`).
    pub path: String,
    /// Lower bound, when given.
    pub low: Option<f64>,
    /// Upper bound, when given.
    pub high: Option<f64>,
    /// Sampled on a log scale.
    pub log: bool,
}

/// One outcome of the sweep, from the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOutcome {
    /// Column stem in `points.csv` and name in `sensitivity.csv`.
    pub name: String,
    /// Readable label (the name when the manifest has none).
    pub label: String,
    /// Unit (empty when unknown).
    pub unit: String,
}

/// One design point: parameter values and, per outcome, mean, sd, p05, p50, p95.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// 0-based point index.
    pub point: usize,
    /// Value of each parameter, in [`SweepData::parameters`] order.
    pub values: Vec<Option<f64>>,
    /// Statistics of each outcome, in [`SweepData::outcomes`] order.
    pub stats: Vec<[Option<f64>; 5]>,
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityRow {
    /// `sobol` or `morris`.
    pub method: String,
    /// Outcome name.
    pub outcome: String,
    /// Parameter path.
    pub parameter: String,
    /// `S1`, `ST`, `mu`, `mu_star` or `sigma`.
    pub index: String,
    /// The estimate.
    pub estimate: Option<f64>,
    /// Lower end of its confidence interval.
    pub ci_low: Option<f64>,
    /// Upper end of its confidence interval.
    pub ci_high: Option<f64>,
}

/// A sweep directory read back into memory.
#[derive(Debug, Clone)]
pub struct SweepData {
    /// The manifest, as JSON.
    pub manifest: Value,
    /// `grid`, `random`, `lhs`, `saltelli` or `morris`.
    pub design: String,
    /// The swept parameters, in column order.
    pub parameters: Vec<SweepParameter>,
    /// The outcomes, in column order.
    pub outcomes: Vec<SweepOutcome>,
    /// Replicates per point, when the manifest says.
    pub replicates: Option<u64>,
    /// The design points.
    pub points: Vec<SweepPoint>,
    /// `sensitivity.csv`; empty without the file.
    pub sensitivity: Vec<SensitivityRow>,
}

const STATS: [&str; 5] = ["mean", "sd", "p05", "p50", "p95"];

/// Whether `dir` holds a sweep: its `manifest.json` is a JSON object with `"kind": "sweep"`.
pub fn is_sweep_dir(dir: &Path) -> bool {
    fs::read_to_string(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|m| m.get("kind").and_then(Value::as_str) == Some("sweep"))
}

impl SweepData {
    /// Reads `dir`: `manifest.json` and `points.csv` are required, `sensitivity.csv` optional.
    /// Missing or malformed files are [`Error::Usage`]; unreadable ones [`Error::Io`].
    pub fn read(dir: &Path) -> Result<SweepData> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let points_path = dir.join(POINTS_FILE);
        if !manifest_path.is_file() || !points_path.is_file() {
            return Err(Error::Usage(format!(
                "{}: not a complete sweep directory (needs {MANIFEST_FILE} and {POINTS_FILE}); write one with \
                 `zeromile sweep`",
                dir.display()
            )));
        }
        let text = fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
        let manifest: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: not a JSON manifest: {e}", manifest_path.display())))?;
        let sweep = manifest.get("sweep").cloned().unwrap_or(Value::Null);
        let design = sweep.get("design").and_then(Value::as_str).unwrap_or("unknown").to_string();
        let replicates = sweep.get("replicates").and_then(Value::as_u64);
        let mut parameters: Vec<SweepParameter> = list(&sweep, "parameters")
            .iter()
            .filter_map(|p| {
                // Columns are named by the parameter's `name` (which defaults to its path).
                Some(SweepParameter {
                    path: p.get("name").or_else(|| p.get("path"))?.as_str()?.to_string(),
                    low: p.get("low").and_then(Value::as_f64),
                    high: p.get("high").and_then(Value::as_f64),
                    log: p.get("scale").and_then(Value::as_str) == Some("log"),
                })
            })
            .collect();
        let mut outcomes: Vec<SweepOutcome> = list(&sweep, "outcomes")
            .iter()
            .filter_map(|o| {
                let name = o.get("name")?.as_str()?.to_string();
                let text = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
                Some(SweepOutcome {
                    label: text("label").unwrap_or_else(|| name.clone()),
                    unit: text("unit").unwrap_or_default(),
                    name,
                })
            })
            .collect();

        let file = fs::File::open(&points_path).map_err(|e| Error::io(&points_path, e))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(file);
        let header: Vec<String> =
            reader.headers().map_err(|e| csv_error(&points_path, e))?.iter().map(str::to_string).collect();
        let column = |name: &str| header.iter().position(|h| h == name);
        // Without the manifest's lists, infer them from the header: `<name>_mean` columns are
        // outcomes, other columns (but `point`) parameters.
        if outcomes.is_empty() {
            outcomes = header
                .iter()
                .filter_map(|h| h.strip_suffix("_mean"))
                .map(|n| SweepOutcome { name: n.into(), label: n.into(), unit: String::new() })
                .collect();
        }
        if parameters.is_empty() {
            let stat_columns: Vec<String> =
                outcomes.iter().flat_map(|o| STATS.iter().map(move |s| format!("{}_{s}", o.name))).collect();
            parameters = header
                .iter()
                .filter(|h| *h != "point" && !stat_columns.contains(h))
                .map(|h| SweepParameter { path: h.clone(), low: None, high: None, log: false })
                .collect();
        }
        let param_cols: Vec<Option<usize>> = parameters.iter().map(|p| column(&p.path)).collect();
        let stat_cols: Vec<[Option<usize>; 5]> =
            outcomes.iter().map(|o| STATS.map(|s| column(&format!("{}_{s}", o.name)))).collect();
        let point_col = column("point");
        let mut points = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(|e| csv_error(&points_path, e))? {
            let line = record.position().map_or(0, csv::Position::line);
            let field = |c: Option<usize>| -> Result<Option<f64>> {
                let Some(c) = c else { return Ok(None) };
                number(&points_path, line, &header[c], record.get(c).unwrap_or_default())
            };
            let point = match point_col.and_then(|c| record.get(c)).map(str::parse::<usize>) {
                Some(Ok(p)) => p,
                _ => points.len(),
            };
            let values = param_cols.iter().map(|c| field(*c)).collect::<Result<Vec<_>>>()?;
            let mut stats = Vec::with_capacity(stat_cols.len());
            for cols in &stat_cols {
                let mut s = [None; 5];
                for (k, c) in cols.iter().enumerate() {
                    s[k] = field(*c)?;
                }
                stats.push(s);
            }
            points.push(SweepPoint { point, values, stats });
        }
        let sensitivity_path = dir.join(SENSITIVITY_FILE);
        let sensitivity = if sensitivity_path.is_file() { read_sensitivity(&sensitivity_path)? } else { Vec::new() };
        Ok(SweepData { manifest, design, parameters, outcomes, replicates, points, sensitivity })
    }
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn read_sensitivity(path: &Path) -> Result<Vec<SensitivityRow>> {
    const COLS: [&str; 7] = ["method", "outcome", "parameter", "index", "estimate", "ci_low", "ci_high"];
    let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(file);
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let mut index = [0usize; 7];
    for (k, c) in COLS.iter().enumerate() {
        index[k] = header.iter().position(|h| h == *c).ok_or_else(|| {
            Error::Usage(format!("{}: not a sweep sensitivity file: the header lacks column `{c}`", path.display()))
        })?;
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| csv_error(path, e))? {
        let line = record.position().map_or(0, csv::Position::line);
        let field = |k: usize| record.get(index[k]).unwrap_or_default();
        out.push(SensitivityRow {
            method: field(0).to_string(),
            outcome: field(1).to_string(),
            parameter: field(2).to_string(),
            index: field(3).to_string(),
            estimate: number(path, line, COLS[4], field(4))?,
            ci_low: number(path, line, COLS[5], field(5))?,
            ci_high: number(path, line, COLS[6], field(6))?,
        });
    }
    Ok(out)
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
        let page = html(&data, &drawn, options.format);
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

/// An outcome name made safe for a file name.
fn file_stem(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// One sweep chart.
#[derive(Debug, Clone)]
struct SweepFigure {
    /// File stem, `<kind>_<outcome>`.
    name: String,
    /// One of [`SWEEP_CHART_KINDS`].
    kind: &'static str,
    title: String,
    caption: String,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    /// Rows (parameter, S1, ST), top to bottom; each index as (estimate, ci low, ci high).
    Sobol(Vec<(String, Estimate, Estimate)>),
    /// (parameter, μ*, σ) with μ* and σ defined.
    Morris { unit: String, points: Vec<(String, f64, f64)> },
    /// x levels, y levels, mean per (x, y) (row-major by y), axis names, outcome label and unit.
    Heatmap { x: Axis, y: Axis, values: Vec<Option<f64>>, label: String, unit: String },
    /// Per parameter: (axis, points (x, mean, p05..p95)); outcome unit.
    Scatter { panels: Vec<(Axis, Vec<Dot>)>, unit: String },
}

/// One design point in a scatter panel: parameter value (log10 on a log axis), outcome mean, and
/// its 5th–95th percentile range.
type Dot = (f64, f64, Option<(f64, f64)>);

#[derive(Debug, Clone, Copy, Default)]
struct Estimate {
    value: Option<f64>,
    ci: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
struct Axis {
    path: String,
    log: bool,
    levels: Vec<f64>,
}

/// Every chart the sweep's files support, in report order: sensitivity charts by outcome, then
/// the heatmap or scatter of each outcome.
fn figures(data: &SweepData) -> Vec<SweepFigure> {
    let mut out = Vec::new();
    let reps = data.replicates.map_or_else(String::new, |r| format!(" ({r} replicate{} per point)", plural(r)));
    for outcome in &data.outcomes {
        let stem = file_stem(&outcome.name);
        let unit = if outcome.unit.is_empty() { String::new() } else { format!(" ({})", outcome.unit) };
        if let Some(body) = sobol(data, &outcome.name) {
            out.push(SweepFigure {
                name: format!("sobol_{stem}"),
                kind: "sobol",
                title: format!("Sobol indices: {}", outcome.label),
                caption: format!(
                    "First-order (S1) and total (ST) variance shares of each parameter, sorted by ST; whiskers: \
                     confidence intervals. Design: {}{reps}.",
                    data.design
                ),
                body,
            });
        }
        if let Some(points) = morris(data, &outcome.name) {
            out.push(SweepFigure {
                name: format!("morris_{stem}"),
                kind: "morris",
                title: format!("Morris screening: {}", outcome.label),
                caption: format!(
                    "μ*: mean absolute elementary effect (importance); σ: their spread (non-linearity or \
                     interactions). Dashed: σ = μ*. Design: {}{reps}.",
                    data.design
                ),
                body: Body::Morris { unit: outcome.unit.clone(), points },
            });
        }
        let k = data.outcomes.iter().position(|o| o.name == outcome.name).unwrap_or(0);
        if data.design == "grid" && data.parameters.len() == 2 {
            if let Some(body) = heatmap(data, k) {
                out.push(SweepFigure {
                    name: format!("heatmap_{stem}"),
                    kind: "heatmap",
                    title: format!("{} over the grid{unit}", outcome.label),
                    caption: format!("Mean across replicates at each grid point{reps}. Grey: no value."),
                    body,
                });
            }
        } else if let Some(body) = scatter(data, k) {
            out.push(SweepFigure {
                name: format!("scatter_{stem}"),
                kind: "scatter",
                title: format!("{} against each parameter{unit}", outcome.label),
                caption: format!(
                    "Dots: mean across replicates at each design point; whiskers: 5th–95th percentile. Design: {}{reps}.",
                    data.design
                ),
                body,
            });
        }
    }
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Parameters in the order they appear: the manifest's, then any other named in `rows`.
fn parameter_order<'a>(data: &'a SweepData, rows: impl Iterator<Item = &'a SensitivityRow>) -> Vec<String> {
    let mut names: Vec<String> = data.parameters.iter().map(|p| p.path.clone()).collect();
    for r in rows {
        if !names.contains(&r.parameter) {
            names.push(r.parameter.clone());
        }
    }
    names
}

fn estimate(data: &SweepData, method: &str, outcome: &str, parameter: &str, index: &str) -> Option<Estimate> {
    data.sensitivity
        .iter()
        .find(|r| r.method == method && r.outcome == outcome && r.parameter == parameter && r.index == index)
        .map(|r| Estimate { value: r.estimate.filter(|v| v.is_finite()), ci: r.ci_low.zip(r.ci_high) })
}

fn sobol(data: &SweepData, outcome: &str) -> Option<Body> {
    let rows = data.sensitivity.iter().filter(|r| r.method == "sobol" && r.outcome == outcome);
    let names = parameter_order(data, rows.clone());
    if rows.count() == 0 {
        return None;
    }
    let mut out: Vec<(String, Estimate, Estimate)> = names
        .into_iter()
        .filter_map(|p| {
            let s1 = estimate(data, "sobol", outcome, &p, "S1");
            let st = estimate(data, "sobol", outcome, &p, "ST");
            (s1.is_some() || st.is_some()).then(|| (p, s1.unwrap_or_default(), st.unwrap_or_default()))
        })
        .collect();
    // Largest total index first; undefined last; ties by first-order index, then name.
    let key = |e: &Estimate| e.value.unwrap_or(f64::NEG_INFINITY);
    out.sort_by(|a, b| key(&b.2).total_cmp(&key(&a.2)).then(key(&b.1).total_cmp(&key(&a.1))).then(a.0.cmp(&b.0)));
    Some(Body::Sobol(out))
}

fn morris(data: &SweepData, outcome: &str) -> Option<Vec<(String, f64, f64)>> {
    let rows = data.sensitivity.iter().filter(|r| r.method == "morris" && r.outcome == outcome);
    let names = parameter_order(data, rows.clone());
    if rows.count() == 0 {
        return None;
    }
    let points: Vec<(String, f64, f64)> = names
        .into_iter()
        .filter_map(|p| {
            let mu_star = estimate(data, "morris", outcome, &p, "mu_star")?.value?;
            let sigma = estimate(data, "morris", outcome, &p, "sigma")?.value?;
            Some((p, mu_star, sigma))
        })
        .collect();
    (!points.is_empty()).then_some(points)
}

fn axis_of(data: &SweepData, j: usize) -> Axis {
    let p = &data.parameters[j];
    let mut levels: Vec<f64> =
        data.points.iter().filter_map(|pt| pt.values.get(j).copied().flatten()).filter(|v| v.is_finite()).collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    Axis { path: p.path.clone(), log: p.log && levels.iter().all(|v| *v > 0.0), levels }
}

fn heatmap(data: &SweepData, k: usize) -> Option<Body> {
    let (x, y) = (axis_of(data, 0), axis_of(data, 1));
    if x.levels.is_empty() || y.levels.is_empty() {
        return None;
    }
    let mut sums = vec![(0.0, 0usize); x.levels.len() * y.levels.len()];
    for pt in &data.points {
        let (Some(Some(a)), Some(Some(b)), Some(Some(v))) =
            (pt.values.first(), pt.values.get(1), pt.stats.get(k).map(|s| s[0]))
        else {
            continue;
        };
        let (Some(i), Some(j)) = (x.levels.iter().position(|l| l == a), y.levels.iter().position(|l| l == b)) else {
            continue;
        };
        if v.is_finite() {
            let cell = &mut sums[j * x.levels.len() + i];
            cell.0 += v;
            cell.1 += 1;
        }
    }
    let values: Vec<Option<f64>> = sums.iter().map(|(s, n)| (*n > 0).then(|| s / *n as f64)).collect();
    if values.iter().all(Option::is_none) {
        return None;
    }
    let o = &data.outcomes[k];
    Some(Body::Heatmap { x, y, values, label: o.label.clone(), unit: o.unit.clone() })
}

/// Most points drawn per scatter panel: beyond it every `⌈n / MAX_SCATTER_POINTS⌉`-th point (in
/// point order, so the choice is deterministic) is drawn, which keeps chart files and plotting
/// memory bounded however many points a sweep has.
pub const MAX_SCATTER_POINTS: usize = 2000;

fn scatter(data: &SweepData, k: usize) -> Option<Body> {
    let mut panels = Vec::new();
    let stride = data.points.len().div_ceil(MAX_SCATTER_POINTS).max(1);
    for j in 0..data.parameters.len() {
        let axis = axis_of(data, j);
        let points: Vec<Dot> = data
            .points
            .iter()
            .step_by(stride)
            .filter_map(|pt| {
                let x = pt.values.get(j).copied().flatten()?;
                let s = pt.stats.get(k)?;
                let mean = s[0].filter(|v| v.is_finite())?;
                let x = if axis.log { x.log10() } else { x };
                x.is_finite().then_some((x, mean, s[2].zip(s[4])))
            })
            .collect();
        if !points.is_empty() {
            panels.push((axis, points));
        }
    }
    (!panels.is_empty()).then(|| Body::Scatter { panels, unit: data.outcomes[k].unit.clone() })
}

impl Figure for SweepFigure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let body = heading(root, &self.title, &self.caption)?;
        match &self.body {
            Body::Sobol(rows) => draw_sobol(&body, rows),
            Body::Morris { unit, points } => draw_morris(&body, unit, points),
            Body::Heatmap { x, y, values, label, unit } => draw_heatmap(&body, x, y, values, label, unit),
            Body::Scatter { panels, unit } => draw_scatter(&body, panels, unit),
        }
    }
}

/// A finite range that never collapses: `lo..hi` padded by `pad` of its span (or ±0.5 / ±5 %
/// when it is a single value).
fn padded(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        let d = (lo.abs() * 0.05).max(0.5);
        return (lo - d, hi + d);
    }
    (lo - span * pad, hi + span * pad)
}

/// Categories on an axis: value `i` is category `i`, labelled `labels[i]`.
struct CategoryAxis {
    labels: Vec<String>,
}

impl Ranged for CategoryAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let n = self.labels.len().max(1) as f64;
        let t = (value + 0.5) / n;
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            (0..self.labels.len()).map(|i| i as f64).collect()
        }
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.labels.len().max(1) as f64 - 0.5
    }
}

impl ValueFormatter<f64> for CategoryAxis {
    fn format_ext(&self, value: &f64) -> String {
        let i = value.round();
        if i < 0.0 {
            return String::new();
        }
        self.labels.get(i as usize).cloned().unwrap_or_default()
    }
}

/// A value axis whose values are log10 of the shown ones when `log`.
struct ParamAxis {
    inner: ValueAxis,
    log: bool,
}

impl Ranged for ParamAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if self.log && !hint.weight().allow_light_points() {
            let (lo, hi) = (self.inner.range().start, self.inner.range().end);
            let ticks = log_ticks(lo, hi, 8);
            if ticks.len() >= 2 {
                return ticks;
            }
        }
        self.inner.key_points(hint)
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

impl ValueFormatter<f64> for ParamAxis {
    fn format_ext(&self, value: &f64) -> String {
        if self.log {
            units::significant(10f64.powf(*value))
        } else {
            self.inner.format_ext(value)
        }
    }
}

fn label_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, labels: &[String], size: u32) -> u32 {
    labels
        .iter()
        .map(|l| area.estimate_text_size(l, &font(size)).map_or(8 * l.len() as u32, |s| s.0))
        .max()
        .unwrap_or(0)
}

/// Legend rows at the top right of `area`: a filled square of each colour and its label.
fn swatches<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, keys: &[(RGBColor, &str)]) -> Result<(), String> {
    for (i, (colour, label)) in keys.iter().enumerate() {
        let y = 12 + 28 * i as i32;
        area.draw(&Rectangle::new([(6, y - 9), (30, y + 9)], colour.filled())).map_err(text)?;
        area.draw_text(label, &font(16).pos(Pos::new(HPos::Left, VPos::Center)), (40, y)).map_err(text)?;
    }
    Ok(())
}

fn draw_sobol<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    rows: &[(String, Estimate, Estimate)],
) -> Result<(), String> {
    let (w, _) = body.dim_in_pixel();
    let (plot, legend) = body.split_horizontally(w.saturating_sub(260));
    swatches(&legend.margin(40, 0, 10, 0), &[(PALETTE[0], "first-order S1"), (PALETTE[1], "total ST")])?;
    legend.draw_text("whiskers: confidence interval", &font(15).color(&MUTED), (16, 110)).map_err(text)?;
    let n = rows.len();
    // Row 0 (largest ST) at the top.
    let labels: Vec<String> = rows.iter().rev().map(|r| r.0.clone()).collect();
    let all = rows.iter().flat_map(|r| [r.1, r.2]).flat_map(|e| [e.value, e.ci.map(|c| c.0), e.ci.map(|c| c.1)]);
    let values: Vec<f64> = all.flatten().chain([0.0, 0.1]).collect();
    let (lo, hi) = padded(values.into_iter(), 0.04);
    let lo = lo.min(0.0);
    let y_area = (label_width(body, &labels, 16) + 24).clamp(120, w / 2);
    let mut ctx = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(56)
        .y_label_area_size(y_area)
        .build_cartesian_2d(ValueAxis::new(lo, hi, 8), CategoryAxis { labels })
        .map_err(text)?;
    house_mesh(&mut ctx.configure_mesh(), 16).x_desc("Sobol index (share of output variance)").draw().map_err(text)?;
    ctx.draw_series(std::iter::once(PathElement::new(vec![(0.0, -0.5), (0.0, n as f64 - 0.5)], MUTED.stroke_width(1))))
        .map_err(text)?;
    let half = if n > 12 { 0.42 } else { 0.36 };
    for (i, (_, s1, st)) in rows.iter().enumerate() {
        let c = (n - 1 - i) as f64;
        for (e, colour, (a, b)) in [(s1, PALETTE[0], (c, c + half)), (st, PALETTE[1], (c - half, c))] {
            let Some(v) = e.value else { continue };
            ctx.draw_series(std::iter::once(Rectangle::new([(0.0, a + 0.02), (v, b - 0.02)], colour.filled())))
                .map_err(text)?;
            let mid = (a + b) / 2.0;
            if let Some((l, h)) = e.ci {
                let whisker = colour.mix(1.0).stroke_width(2);
                ctx.draw_series([
                    PathElement::new(vec![(l, mid), (h, mid)], TEXT_WHISKER.stroke_width(2)),
                    PathElement::new(vec![(l, a + 0.1), (l, b - 0.1)], whisker),
                    PathElement::new(vec![(h, a + 0.1), (h, b - 0.1)], whisker),
                ])
                .map_err(text)?;
            }
            let at = e.ci.map_or(v, |(_, h)| h.max(v));
            if n <= 24 {
                let style = font(13).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Center));
                ctx.draw_series(std::iter::once(
                    EmptyElement::at((at, mid)) + Text::new(units::significant(v), (6, 0), style),
                ))
                .map_err(text)?;
            }
        }
    }
    Ok(())
}

const TEXT_WHISKER: RGBColor = RGBColor(0x33, 0x33, 0x33);

fn draw_morris<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    unit: &str,
    points: &[(String, f64, f64)],
) -> Result<(), String> {
    let (x0, x1) = padded(points.iter().map(|p| p.1).chain([0.0]), 0.08);
    let (y0, y1) = padded(points.iter().map(|p| p.2).chain([0.0]), 0.08);
    let unit_note = if unit.is_empty() { String::new() } else { format!(", {unit}") };
    let mut ctx = ChartBuilder::on(body)
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(110)
        .build_cartesian_2d(ValueAxis::new(x0.min(0.0), x1, 8), ValueAxis::new(y0.min(0.0), y1, 6))
        .map_err(text)?;
    house_mesh(&mut ctx.configure_mesh(), 16)
        .x_desc(format!("μ*: mean absolute elementary effect{unit_note}"))
        .y_desc(format!("σ: standard deviation of elementary effects{unit_note}"))
        .draw()
        .map_err(text)?;
    let top = x1.min(y1);
    if top > 0.0 {
        ctx.draw_series(DashedLineSeries::new([(0.0, 0.0), (top, top)], 10, 6, MUTED.mix(0.7).stroke_width(2)))
            .map_err(text)?;
    }
    ctx.draw_series(points.iter().map(|p| Circle::new((p.1, p.2), 7, PALETTE[0].filled()))).map_err(text)?;
    // Labels beside their dots, moved to a free side when they would overlap a placed one.
    let style = font(15);
    let (width, height) = body.dim_in_pixel();
    let mut placed: Vec<(i32, i32, i32, i32)> = points
        .iter()
        .map(|(_, x, y)| {
            let (px, py) = ctx.backend_coord(&(*x, *y));
            (px - 8, py - 8, px + 8, py + 8)
        })
        .collect();
    for (label, x, y) in points {
        let (px, py) = ctx.backend_coord(&(*x, *y));
        let (w, h) =
            body.estimate_text_size(label, &style).map_or((8 * label.len() as i32, 16), |(w, h)| (w as i32, h as i32));
        let candidates = [(10, -h - 4), (10, 4), (-w - 10, -h - 4), (-w - 10, 4), (10, -2 * h - 8), (10, h + 8)];
        let free = |(dx, dy): (i32, i32)| {
            let r = (px + dx, py + dy, px + dx + w, py + dy + h);
            let inside = r.0 >= 0
                && r.2 <= width as i32 + body.get_base_pixel().0
                && r.1 >= 0
                && r.3 <= height as i32 + body.get_base_pixel().1;
            inside && placed.iter().all(|p| r.2 < p.0 || r.0 > p.2 || r.3 < p.1 || r.1 > p.3)
        };
        let (dx, dy) = candidates.iter().copied().find(|c| free(*c)).unwrap_or(candidates[0]);
        placed.push((px + dx, py + dy, px + dx + w, py + dy + h));
        ctx.draw_series(std::iter::once(
            EmptyElement::at((*x, *y)) + Text::new(label.clone(), (dx, dy), style.pos(Pos::new(HPos::Left, VPos::Top))),
        ))
        .map_err(text)?;
    }
    Ok(())
}

/// Viridis (perceptually uniform, colour-blind safe), sampled at nine stops.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2D, 0x7B),
    (0x3B, 0x52, 0x8B),
    (0x2C, 0x72, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x28, 0xAE, 0x80),
    (0x5E, 0xC9, 0x62),
    (0xAD, 0xDC, 0x30),
    (0xFD, 0xE7, 0x25),
];

/// The viridis colour at `t` in 0..=1.
fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn level_labels(axis: &Axis) -> Vec<String> {
    axis.levels.iter().map(|v| level_text(*v)).collect()
}

/// A grid level as written (`2.5`, `12`), or to three significant digits when that is long.
fn level_text(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 7 {
        plain
    } else {
        units::significant(v)
    }
}

/// Ticks of a log10 axis over `lo..hi` (log10 values): 1, 2 and 5 × 10^k, or powers of ten
/// only when that would be more than `max`.
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (first, last) = (lo.floor() as i32, hi.ceil() as i32);
    if last - first > 60 {
        return Vec::new();
    }
    let at = |mantissas: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|k| mantissas.iter().map(move |m| (m * 10f64.powi(k)).log10()))
            .filter(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9)
            .collect()
    };
    let dense = at(&[1.0, 2.0, 5.0]);
    if dense.len() <= max {
        dense
    } else {
        at(&[1.0])
    }
}

fn draw_heatmap<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    values: &[Option<f64>],
    label: &str,
    unit: &str,
) -> Result<(), String> {
    let (w, h) = body.dim_in_pixel();
    let (plot, bar) = body.split_horizontally(w.saturating_sub(230));
    let finite: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = padded(finite.iter().copied(), 0.0);
    let shown = units::display(unit, lo.abs().max(hi.abs()));
    let (ylabels, xlabels) = (level_labels(y), level_labels(x));
    let y_area = (label_width(body, &ylabels, 16) + 60).clamp(90, w / 3);
    let scale = |axis: &Axis| if axis.log { " (log scale)" } else { "" };
    let mut ctx = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(y_area)
        .build_cartesian_2d(CategoryAxis { labels: xlabels }, CategoryAxis { labels: ylabels })
        .map_err(text)?;
    ctx.configure_mesh()
        .x_desc(format!("{}{}", x.path, scale(x)))
        .y_desc(format!("{}{}", y.path, scale(y)))
        .label_style(font(16))
        .axis_desc_style(font(17))
        .disable_mesh()
        .axis_style(MUTED.stroke_width(1))
        .draw()
        .map_err(text)?;
    let (nx, ny) = (x.levels.len(), y.levels.len());
    let write_values = nx <= 16 && ny <= 16;
    for j in 0..ny {
        for i in 0..nx {
            let v = values.get(j * nx + i).copied().flatten();
            let (a, b) = ((i as f64 - 0.5, j as f64 - 0.5), (i as f64 + 0.5, j as f64 + 0.5));
            let t = v.map(|v| (v - lo) / (hi - lo));
            let fill = t.map_or(RGBColor(0xD9, 0xD9, 0xD9), viridis);
            ctx.draw_series(std::iter::once(Rectangle::new([a, b], fill.filled()))).map_err(text)?;
            ctx.draw_series(std::iter::once(Rectangle::new([a, b], WHITE.stroke_width(1)))).map_err(text)?;
            if write_values {
                let light = t.is_some_and(|t| t > 0.6);
                let colour = if v.is_none() || light { RGBColor(0x11, 0x11, 0x11) } else { WHITE };
                let cell = v.map_or_else(|| "–".to_string(), |v| units::significant(v * shown.factor));
                let style = font(15).color(&colour).pos(Pos::new(HPos::Center, VPos::Center));
                ctx.draw_series(std::iter::once(Text::new(cell, (i as f64, j as f64), style))).map_err(text)?;
            }
        }
    }

    // Colour bar: a vertical gradient with value ticks and the unit.
    let (bar_x0, bar_x1, top, bottom) = (30, 62, 70, h as i32 - 90);
    bar.draw_text(label, &bold(15).pos(Pos::new(HPos::Left, VPos::Top)), (4, 8)).map_err(text)?;
    bar.draw_text(&shown.label, &font(15).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Top)), (4, 32)).map_err(text)?;
    let steps = (bottom - top).max(1);
    for k in 0..steps {
        let t = 1.0 - f64::from(k) / f64::from(steps);
        bar.draw(&Rectangle::new([(bar_x0, top + k), (bar_x1, top + k + 1)], viridis(t).filled())).map_err(text)?;
    }
    bar.draw(&Rectangle::new([(bar_x0, top), (bar_x1, bottom)], MUTED.stroke_width(1))).map_err(text)?;
    let axis = ValueAxis::new(lo * shown.factor, hi * shown.factor, 6);
    for &tick in &axis.ticks {
        let t = (tick / shown.factor - lo) / (hi - lo);
        let y = bottom - (t * f64::from(bottom - top)).round() as i32;
        bar.draw(&PathElement::new(vec![(bar_x1, y), (bar_x1 + 6, y)], MUTED.stroke_width(1))).map_err(text)?;
        bar.draw_text(&axis.format_ext(&tick), &font(15).pos(Pos::new(HPos::Left, VPos::Center)), (bar_x1 + 10, y))
            .map_err(text)?;
    }
    Ok(())
}

fn draw_scatter<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    panels: &[(Axis, Vec<Dot>)],
    unit: &str,
) -> Result<(), String> {
    let k = panels.len().max(1);
    let columns = if k <= 3 { k } else { (k as f64).sqrt().ceil() as usize };
    let rows = k.div_ceil(columns);
    let max_abs = panels
        .iter()
        .flat_map(|p| &p.1)
        .flat_map(|(_, m, r)| [Some(*m), r.map(|r| r.0), r.map(|r| r.1)])
        .flatten()
        .map(f64::abs)
        .fold(0.0, f64::max);
    let shown = units::display(unit, max_abs);
    let f = shown.factor;
    let cells = body.split_evenly((rows, columns));
    let ticks = if columns > 2 { 4 } else { 6 };
    for ((axis, points), cell) in panels.iter().zip(&cells) {
        let (x0, x1) = padded(points.iter().map(|p| p.0), 0.04);
        let ys = points.iter().flat_map(|(_, m, r)| [Some(*m), r.map(|r| r.0), r.map(|r| r.1)]).flatten();
        let (y0, y1) = padded(ys.map(|v| v * f), 0.06);
        let x_axis = ParamAxis { inner: ValueAxis::new(x0, x1, ticks), log: axis.log };
        let mut ctx = ChartBuilder::on(cell)
            .caption(&axis.path, bold(18))
            .margin(10)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(x_axis, ValueAxis::new(y0, y1, if rows > 2 { 4 } else { 6 }))
            .map_err(text)?;
        house_mesh(&mut ctx.configure_mesh(), 15)
            .x_desc(if axis.log { "value (log scale)" } else { "value" })
            .y_desc(&shown.label)
            .draw()
            .map_err(text)?;
        let whisker = PALETTE[0].mix(0.35).stroke_width(2);
        ctx.draw_series(
            points
                .iter()
                .filter_map(|(x, _, r)| r.map(|(a, b)| PathElement::new(vec![(*x, a * f), (*x, b * f)], whisker))),
        )
        .map_err(text)?;
        let dot = if points.len() > 400 { 3 } else { 5 };
        ctx.draw_series(points.iter().map(|(x, m, _)| Circle::new((*x, m * f), dot, PALETTE[0].filled())))
            .map_err(text)?;
    }
    Ok(())
}

/// The sweep's report page: design, parameters, outcomes, sensitivity tables, charts inline.
fn html(data: &SweepData, charts: &[(&SweepFigure, String)], format: super::ImageFormat) -> String {
    let esc = report::esc;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>zeromile sweep: {} design</title>", esc(&data.design));
    let _ = writeln!(h, "<style>{}</style>\n</head>\n<body>", report::STYLE);
    let _ = writeln!(
        h,
        "<h1>zeromile sweep: {} design</h1>\n<p>{} design point{}{}, {} parameter{}, {} outcome{}. Rendered from \
         <code>points.csv</code>{} and <code>manifest.json</code> of this directory; <code>zeromile plot DIR</code> \
         re-renders it.</p>",
        esc(&data.design),
        data.points.len(),
        plural(data.points.len() as u64),
        data.replicates.map_or_else(String::new, |r| format!(" × {r} replicate{}", plural(r))),
        data.parameters.len(),
        plural(data.parameters.len() as u64),
        data.outcomes.len(),
        plural(data.outcomes.len() as u64),
        if data.sensitivity.is_empty() { "" } else { ", <code>sensitivity.csv</code>" },
    );

    // The manifest's `provenance` (threads, wall time, command) is left out: it differs between
    // equal sweeps, and the report must be byte-identical for a resumed, sharded or re-run sweep.
    h.push_str(
        "<h2>Provenance</h2>\n<p>Threads, wall time and command line: see <code>manifest.json</code> \
                (<code>provenance</code>).</p>\n<table>\n",
    );
    if let Some(map) = data.manifest.as_object() {
        for (k, v) in map.iter().filter(|(k, _)| !["sweep", "scenarios", "kind", "provenance"].contains(&k.as_str())) {
            let shown = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&shown));
        }
    }
    h.push_str("</table>\n");

    h.push_str(
        "<h2>Parameters</h2>\n<table>\n<tr><th>key</th><th>low</th><th>high</th><th>scale</th><th>levels</th></tr>\n",
    );
    let sweep = data.manifest.get("sweep");
    for p in &data.parameters {
        let levels = sweep
            .map(|s| list(s, "parameters"))
            .and_then(|ps| ps.iter().find(|q| q.get("path").and_then(Value::as_str) == Some(p.path.as_str())))
            .and_then(|q| q.get("levels"))
            .and_then(Value::as_array)
            .map_or_else(|| "–".to_string(), |l| l.iter().map(Value::to_string).collect::<Vec<_>>().join(", "));
        let num = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| v.to_string());
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.path),
            num(p.low),
            num(p.high),
            if p.log { "log" } else { "linear" },
            esc(&levels)
        );
    }
    h.push_str(
        "</table>\n<h2>Outcomes</h2>\n<table>\n<tr><th>name</th><th>label</th><th>metric</th><th>unit</th></tr>\n",
    );
    for o in &data.outcomes {
        let metric = sweep
            .map(|s| list(s, "outcomes"))
            .and_then(|os| os.iter().find(|q| q.get("name").and_then(Value::as_str) == Some(o.name.as_str())))
            .and_then(|q| q.get("metric"))
            .and_then(Value::as_str)
            .unwrap_or("–");
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&o.name),
            esc(&o.label),
            esc(metric),
            esc(&o.unit)
        );
    }
    h.push_str("</table>\n");

    if !data.sensitivity.is_empty() {
        h.push_str("<h2>Sensitivity indices</h2>\n");
        let mut groups: Vec<(String, String)> = Vec::new();
        for r in &data.sensitivity {
            let g = (r.method.clone(), r.outcome.clone());
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        for (method, outcome) in groups {
            let rows: Vec<&SensitivityRow> =
                data.sensitivity.iter().filter(|r| r.method == method && r.outcome == outcome).collect();
            let mut indices: Vec<&str> = Vec::new();
            let mut params: Vec<&str> = Vec::new();
            for r in &rows {
                if !indices.contains(&r.index.as_str()) {
                    indices.push(&r.index);
                }
                if !params.contains(&r.parameter.as_str()) {
                    params.push(&r.parameter);
                }
            }
            let _ = writeln!(
                h,
                "<h3>{} indices: <code>{}</code></h3>\n<table>\n<tr><th>parameter</th>",
                esc(&method),
                esc(&outcome)
            );
            for i in &indices {
                let _ = write!(h, "<th>{}</th>", esc(i));
            }
            h.push_str("</tr>\n");
            for p in params {
                let _ = write!(h, "<tr><td><code>{}</code></td>", esc(p));
                for i in &indices {
                    let cell = rows.iter().find(|r| r.parameter == p && r.index == *i);
                    let v = |x: Option<f64>| x.map_or_else(|| "–".to_string(), units::significant);
                    match cell {
                        Some(r) if r.ci_low.is_some() || r.ci_high.is_some() => {
                            let _ = write!(
                                h,
                                "<td class=\"n\">{}<br><span class=\"ci\">{} – {}</span></td>",
                                v(r.estimate),
                                v(r.ci_low),
                                v(r.ci_high)
                            );
                        }
                        Some(r) => {
                            let _ = write!(h, "<td class=\"n\">{}</td>", v(r.estimate));
                        }
                        None => h.push_str("<td class=\"n\">–</td>"),
                    }
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        }
    }

    h.push_str("<h2>Charts</h2>\n");
    for (figure, svg) in charts {
        let _ = writeln!(h, "<figure id=\"{}\">\n<h3>{}</h3>", esc(&figure.name), esc(&figure.title));
        h.push_str(&report::inline_svg(svg, &figure.title));
        let _ = writeln!(
            h,
            "<figcaption>{} <span class=\"ci\">({})</span></figcaption>\n</figure>",
            esc(&figure.caption),
            report::files_note(&figure.name, format)
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn padded_never_collapses() {
        assert_eq!(padded([].into_iter(), 0.1), (0.0, 1.0));
        let (a, b) = padded([3.0].into_iter(), 0.1);
        assert!(a < 3.0 && b > 3.0);
        let (a, b) = padded([0.0, 10.0, f64::NAN].into_iter(), 0.1);
        assert_eq!((a, b), (-1.0, 11.0));
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("zm exports/2024"), "zm_exports_2024");
    }
}
