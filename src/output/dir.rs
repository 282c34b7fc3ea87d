//! Writes a run's output directory, with `manifest.json` last as the completion marker.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::atomic::{remove_if_present, AtomicFile};
use super::manifest::Manifest;
use super::metrics::{run_metric_names, write_metrics_file, METRICS_FILE};
use super::summary::MonteCarloStats;

/// Monte Carlo summary file (see [`MonteCarloStats::write_summary`]).
pub const SUMMARY_FILE: &str = "summary.csv";
/// Annual summary file (see [`MonteCarloStats::write_annual`]).
pub const ANNUAL_FILE: &str = "annual.csv";
/// Paired scenario differences (see [`MonteCarloStats::write_deltas`]).
pub const DELTAS_FILE: &str = "deltas.csv";
/// Paired annual differences (see [`MonteCarloStats::write_annual_deltas`]).
pub const ANNUAL_DELTAS_FILE: &str = "annual_deltas.csv";
/// The run manifest; its presence marks the directory complete.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Writes `summary.csv`, `annual.csv`, `deltas.csv` and `annual_deltas.csv` (only with two or
/// more paired scenarios),
/// `metrics.csv` (every metric of those files, once) and `manifest.json` into `dir`, creating it if needed; returns the paths written, manifest last.
///
/// **A directory is complete if and only if it holds `manifest.json`.** A stale manifest is
/// removed before anything else is written and the new one is written last, each file through
/// [`AtomicFile`], so an interrupted rewrite never looks complete and never holds a torn file.
/// A stale `deltas.csv` or `annual_deltas.csv` is removed when this run has no deltas.
///
/// The manifest written is `manifest` with `files` completed: entries naming this function's
/// files are replaced by the ones actually written, other entries (e.g. a trajectories file
/// the caller wrote) are kept first, in their order.
pub fn write_outputs(dir: &Path, stats: &MonteCarloStats, manifest: &Manifest) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    remove_if_present(&dir.join(MANIFEST_FILE))?;

    let mut written = Vec::new();
    written.push(write_csv(dir, SUMMARY_FILE, |w| stats.summary_csv(w))?);
    written.push(write_csv(dir, ANNUAL_FILE, |w| stats.annual_csv(w))?);
    if stats.has_deltas() {
        written.push(write_csv(dir, DELTAS_FILE, |w| stats.deltas_csv(w))?);
        written.push(write_csv(dir, ANNUAL_DELTAS_FILE, |w| stats.annual_deltas_csv(w))?);
    } else {
        remove_if_present(&dir.join(DELTAS_FILE))?;
        remove_if_present(&dir.join(ANNUAL_DELTAS_FILE))?;
    }

    written.push(write_metrics_file(dir, run_metric_names(stats.scenarios().iter().map(|s| &s.metrics)))?);

    let ours = [SUMMARY_FILE, ANNUAL_FILE, DELTAS_FILE, ANNUAL_DELTAS_FILE, METRICS_FILE, MANIFEST_FILE];
    let mut manifest = manifest.clone();
    manifest.files.retain(|f| !ours.contains(&f.as_str()));
    manifest.files.extend(written.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()));

    let path = dir.join(MANIFEST_FILE);
    let text = manifest.to_json()?;
    let mut file = AtomicFile::create(&path)?;
    file.write_all(text.as_bytes()).map_err(|e| Error::io(&path, e))?;
    written.push(file.commit()?);
    Ok(written)
}

/// Writes one CSV atomically with `body`, labelling errors with its path.
pub(crate) fn write_csv(
    dir: &Path,
    name: &str,
    body: impl FnOnce(&mut AtomicFile) -> csv::Result<()>,
) -> Result<PathBuf> {
    let path = dir.join(name);
    let mut file = AtomicFile::create(&path)?;
    body(&mut file).map_err(|e| Error::io(&path, e.into()))?;
    file.commit()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::metrics::{Annual, MetricSet, Trajectory};
    use crate::output::manifest::{hash_hex, ManifestScenario};
    use crate::output::ScenarioSeries;
    use crate::scenario::YearMonth;

    fn stats(scenarios: usize) -> MonteCarloStats {
        let series: Vec<ScenarioSeries> = (0..scenarios)
            .map(|s| ScenarioSeries {
                name: format!("s{s}"),
                metrics: MetricSet { names: vec!["sales".into()], annual: vec![Annual::Sum], units: vec!["u".into()] },
                dates: vec![YearMonth::new(2024, 1).unwrap()],
                pairing: crate::scenario::Scenario::default().pairing(),
            })
            .collect();
        let mut stats = MonteCarloStats::new(series.clone());
        for r in 0..2 {
            let trajs: Vec<Trajectory> = series
                .iter()
                .enumerate()
                .map(|(s, x)| {
                    let mut t = Trajectory::new(1, 1);
                    t.push(x.dates[0], &[(r + s) as f64]);
                    t
                })
                .collect();
            stats.add_replicate(&trajs);
        }
        stats
    }

    fn manifest() -> Manifest {
        Manifest {
            kind: crate::output::KIND_RUN.into(),
            engine: "zeromile".into(),
            engine_version: "0.1.0".into(),
            master_seed: 1,
            replicates: 2,
            seed_derivation: "test".into(),
            scenarios: vec![ManifestScenario {
                name: "s0".into(),
                source: "s0.toml".into(),
                hash: hash_hex(b""),
                overrides: vec![],
                resolved: serde_json::Value::Null,
            }],
            files: vec!["trajectories.csv".into(), "deltas.csv".into()],
            shard: None,
            checksums: Default::default(),
            provenance: crate::output::Provenance {
                threads: 1,
                wall_time_s: 0.25,
                command: vec!["zeromile".into()],
                ..Default::default()
            },
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn writes_all_files_manifest_last() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let s = stats(2);
        let paths = write_outputs(&dir, &s, &manifest()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(
            names,
            ["summary.csv", "annual.csv", "deltas.csv", "annual_deltas.csv", "metrics.csv", "manifest.json"]
        );
        assert_eq!(
            entries(&dir),
            ["annual.csv", "annual_deltas.csv", "deltas.csv", "manifest.json", "metrics.csv", "summary.csv"]
        );
        let mut summary = Vec::new();
        s.write_summary(&mut summary).unwrap();
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), summary);
        let m: Manifest = serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(
            m.files,
            ["trajectories.csv", "summary.csv", "annual.csv", "deltas.csv", "annual_deltas.csv", "metrics.csv"]
        );
    }

    #[test]
    fn rewrite_removes_stale_deltas_and_is_byte_identical() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write_outputs(dir, &stats(2), &manifest()).unwrap();
        write_outputs(dir, &stats(1), &manifest()).unwrap();
        assert_eq!(entries(dir), ["annual.csv", "manifest.json", "metrics.csv", "summary.csv"]);
        let first = fs::read(dir.join("summary.csv")).unwrap();
        let manifest_first = fs::read(dir.join("manifest.json")).unwrap();
        write_outputs(dir, &stats(1), &manifest()).unwrap();
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), first);
        assert_eq!(fs::read(dir.join("manifest.json")).unwrap(), manifest_first);
        let m: Manifest = serde_json::from_slice(&manifest_first).unwrap();
        assert_eq!(m.files, ["trajectories.csv", "summary.csv", "annual.csv", "metrics.csv"]);
    }

    #[test]
    fn failed_write_leaves_no_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write_outputs(dir, &stats(1), &manifest()).unwrap();
        // A directory where summary.csv should go makes the rename fail.
        fs::remove_file(dir.join("summary.csv")).unwrap();
        fs::create_dir(dir.join("summary.csv")).unwrap();
        assert!(write_outputs(dir, &stats(1), &manifest()).is_err());
        assert!(!dir.join("manifest.json").exists(), "an incomplete directory has no manifest");
        assert!(entries(dir).iter().all(|n| !n.contains(".partial-")), "{:?}", entries(dir));
    }
}
