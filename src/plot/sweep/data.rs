//! A sweep directory read into memory: the manifest's design, parameters and outcomes,
//! `points.csv` and, when present, `sensitivity.csv`.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{POINTS_FILE, SENSITIVITY_FILE};
use crate::error::{Error, Result};
use crate::output::read::CsvFile;
use crate::output::MANIFEST_FILE;

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
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
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

impl SweepData {
    /// Reads `dir`: `manifest.json` and `points.csv` are required, `sensitivity.csv` optional.
    /// Missing files are [`Error::Usage`], damaged CSV files [`Error::Data`] (file, line,
    /// column); unreadable ones [`Error::Io`].
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

        let mut csv = CsvFile::open(&points_path)?;
        let header: Vec<String> = csv.headers().iter().map(str::to_string).collect();
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
        // Every column of points.csv is a number (or empty): read the rows as such.
        csv.for_each_positional(|_, row: Vec<Option<f64>>, _| {
            let field = |c: Option<usize>| c.and_then(|c| row.get(c).copied().flatten());
            let point = match field(point_col) {
                Some(p) if p >= 0.0 && p.fract() == 0.0 => p as usize,
                _ => points.len(),
            };
            let values = param_cols.iter().map(|c| field(*c)).collect();
            let stats = stat_cols.iter().map(|cols| cols.map(field)).collect();
            points.push(SweepPoint { point, values, stats });
            Ok(())
        })?;
        let sensitivity_path = dir.join(SENSITIVITY_FILE);
        let sensitivity = if sensitivity_path.is_file() { read_sensitivity(&sensitivity_path)? } else { Vec::new() };
        Ok(SweepData { manifest, design, parameters, outcomes, replicates, points, sensitivity })
    }
}

/// The array at `key` of `v`; empty when there is none.
pub(super) fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn read_sensitivity(path: &Path) -> Result<Vec<SensitivityRow>> {
    crate::output::read::read_rows(path)
}
