//! `facts.csv` (and a calibration's `fit.csv`): one row per target with the observation, its
//! acceptance band, the model's 5 %, 50 % and 95 % quantiles over replicates and the 95 %
//! confidence interval of the median; written atomically and read back by the report.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sweep::targets::{Target, TargetFit};

use super::atomic::AtomicFile;
use super::number::cell;

/// File name of the fact check in a run directory.
pub const FACTS_FILE: &str = "facts.csv";

/// Columns of `facts.csv` and `fit.csv`.
pub const FACTS_HEADER: [&str; 17] = [
    "target",
    "metric",
    "window",
    "aggregation",
    "scale",
    "observed",
    "band_lo",
    "band_hi",
    "p05",
    "p50",
    "p95",
    "median_lo",
    "median_hi",
    "inside",
    "verdict",
    "weight",
    "source",
];

/// One row of `facts.csv` read back (its columns by name; `scale` and `weight` are not kept).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct FactRow {
    /// Target id.
    pub target: String,
    /// Metric.
    pub metric: String,
    /// Window text (`2024`, `2024-06`, `2022-01..2024-12`).
    pub window: String,
    /// Aggregation name.
    pub aggregation: String,
    /// Observed value.
    pub observed: f64,
    /// Band, low end.
    pub band_lo: f64,
    /// Band, high end.
    pub band_hi: f64,
    /// Model 5 % quantile (`None` when undefined).
    pub p05: Option<f64>,
    /// Model median.
    pub p50: Option<f64>,
    /// Model 95 % quantile.
    pub p95: Option<f64>,
    /// 95 % confidence interval of the median, low end (`None` in files without it).
    pub median_lo: Option<f64>,
    /// 95 % confidence interval of the median, high end.
    pub median_hi: Option<f64>,
    /// Median inside the band.
    pub inside: bool,
    /// `yes`, `edge`, `miss` or `NO` (`TargetFit::verdict`).
    pub verdict: String,
    /// Source key.
    pub source: String,
}

/// Writes `targets` with their `fits` (same order) to `path` atomically.
pub fn write_facts(path: &Path, targets: &[Target], fits: &[TargetFit]) -> Result<PathBuf> {
    let mut file = AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(&mut file);
        let err = |e: csv::Error| Error::Usage(format!("writing {}: {e}", path.display()));
        w.write_record(FACTS_HEADER).map_err(err)?;
        for (t, f) in targets.iter().zip(fits) {
            let s = &t.spec;
            w.write_record([
                s.id().to_string(),
                s.outcome.metric.clone(),
                s.outcome.window.describe(),
                s.outcome.aggregation.name().to_string(),
                cell(Some(s.scale)),
                cell(Some(s.observed)),
                cell(Some(s.band.0)),
                cell(Some(s.band.1)),
                cell(Some(f.stats.p05)),
                cell(Some(f.stats.p50)),
                cell(Some(f.stats.p95)),
                cell(Some(f.median_ci.0)),
                cell(Some(f.median_ci.1)),
                f.inside.to_string(),
                f.verdict(s.band).to_string(),
                cell(Some(s.weight)),
                s.source.clone(),
            ])
            .map_err(err)?;
        }
        w.flush().map_err(|e| Error::io(path, e))?;
    }
    file.flush().map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// Reads a `facts.csv`; a damaged file is an [`Error::Data`] naming the file, line and column.
pub fn read_facts(path: &Path) -> Result<Vec<FactRow>> {
    super::read::read_rows(path)
}
