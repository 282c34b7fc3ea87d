//! Reads a run's output directory back into memory: the monthly, annual and paired-difference
//! tables, the manifest, and the dated policy events of its scenarios.
//!
//! Only the columns the charts need are kept. Empty CSV fields are missing values (`None`), as
//! the output layer writes undefined statistics; a missing optional file (`annual.csv`,
//! `deltas.csv`, `annual_deltas.csv`) is an empty table, never an error.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::output::read::CsvFile;
use crate::output::{Manifest, ANNUAL_DELTAS_FILE, ANNUAL_FILE, DELTAS_FILE, MANIFEST_FILE, SUMMARY_FILE};
use crate::scenario::YearMonth;

/// Quantiles of one cell (scenario × month × metric) across replicates; `None` where the CSV
/// field is empty.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quantiles {
    /// 5th percentile.
    pub p05: Option<f64>,
    /// 25th percentile.
    pub p25: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

/// One metric of one scenario over the months of the run, in calendar order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The months.
    pub dates: Vec<YearMonth>,
    /// The statistics of each month, parallel to `dates`.
    pub cells: Vec<Quantiles>,
}

/// The monthly series of one scenario (`summary.csv`) or of one paired difference
/// (`deltas.csv`), by metric.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioTable {
    /// Scenario name (the `scenario` column).
    pub name: String,
    /// Metric names in the order they first appear in the file.
    pub metrics: Vec<String>,
    series: BTreeMap<String, Series>,
}

impl ScenarioTable {
    /// The series of `metric`, if the file has it.
    pub fn get(&self, metric: &str) -> Option<&Series> {
        self.series.get(metric)
    }
}

/// One calendar year of one metric in `annual.csv` (or `annual_deltas.csv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnnualCell {
    /// Calendar year.
    pub year: i32,
    /// Mean across replicates.
    pub mean: Option<f64>,
    /// 5th percentile of the annual total (flows) or average (levels).
    pub p05: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

/// `annual.csv` (or `annual_deltas.csv`) of one scenario, by metric, years ascending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnnualTable {
    /// Scenario name.
    pub name: String,
    years: BTreeMap<String, Vec<AnnualCell>>,
}

impl AnnualTable {
    /// The years of `metric`, if the file has it.
    pub fn get(&self, metric: &str) -> Option<&[AnnualCell]> {
        self.years.get(metric).map(Vec::as_slice)
    }
}

/// A dated policy event of one or more scenarios of the run (from the manifest's resolved
/// scenarios; events switched off with `enabled = false` are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMark {
    /// Event id.
    pub id: String,
    /// First month in force.
    pub date: YearMonth,
    /// The scenarios that have this event (same id and date), in run order.
    pub scenarios: Vec<String>,
}

/// Everything the charts and the report are drawn from.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The run manifest.
    pub manifest: Manifest,
    /// `summary.csv`, one table per scenario in run order (manifest order first).
    pub monthly: Vec<ScenarioTable>,
    /// `annual.csv`, one table per scenario in the same order; empty without the file.
    pub annual: Vec<AnnualTable>,
    /// `deltas.csv`, one table per non-baseline scenario; empty without the file.
    pub deltas: Vec<ScenarioTable>,
    /// `annual_deltas.csv`, one table per non-baseline scenario; empty without the file.
    pub annual_deltas: Vec<AnnualTable>,
    /// Dated events of all scenarios, by date then id.
    pub events: Vec<EventMark>,
    /// `facts.csv` of `zeromile check-facts`; empty without the file.
    pub facts: Vec<crate::output::facts::FactRow>,
}

impl RunData {
    /// Reads `dir`: `summary.csv` and `manifest.json` are required, `annual.csv`,
    /// `deltas.csv` and `annual_deltas.csv` optional.
    ///
    /// A directory without `summary.csv` or `manifest.json` is the user's mistake
    /// ([`Error::Usage`]), and so is a CSV file that is not in the format `zeromile run` writes
    /// ([`Error::Data`], naming the file, line and column); a file that exists but cannot be
    /// read is [`Error::Io`].
    pub fn read(dir: &Path) -> Result<RunData> {
        let summary_path = dir.join(SUMMARY_FILE);
        if !summary_path.is_file() {
            return Err(Error::Usage(format!(
                "{}: not a zeromile output directory (no {SUMMARY_FILE}); write one with \
                 `zeromile run SCENARIO --out {}`",
                dir.display(),
                dir.display()
            )));
        }
        let manifest_path = dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(Error::Usage(format!(
                "{}: incomplete output directory (no {MANIFEST_FILE}): the run did not finish; run it again",
                dir.display()
            )));
        }
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: not a zeromile manifest: {e}", manifest_path.display())))?;

        let order: Vec<String> = manifest.scenarios.iter().map(|s| s.name.clone()).collect();
        let monthly = read_monthly(&summary_path, &order)?;
        let annual_path = dir.join(ANNUAL_FILE);
        let annual = if annual_path.is_file() { read_annual(&annual_path, &order)? } else { Vec::new() };
        let deltas_path = dir.join(DELTAS_FILE);
        let deltas = if deltas_path.is_file() { read_monthly(&deltas_path, &order)? } else { Vec::new() };
        let annual_deltas_path = dir.join(ANNUAL_DELTAS_FILE);
        let annual_deltas =
            if annual_deltas_path.is_file() { read_annual(&annual_deltas_path, &order)? } else { Vec::new() };
        let events = events(&manifest);
        let facts_path = dir.join(crate::output::facts::FACTS_FILE);
        let facts = if facts_path.is_file() { crate::output::facts::read_facts(&facts_path)? } else { Vec::new() };
        Ok(RunData { manifest, monthly, annual, deltas, annual_deltas, events, facts })
    }

    /// Name of the baseline (the first scenario), against which `deltas` are taken.
    pub fn baseline(&self) -> &str {
        self.manifest
            .scenarios
            .first()
            .map(|s| s.name.as_str())
            .or_else(|| self.monthly.first().map(|t| t.name.as_str()))
            .unwrap_or("baseline")
    }

    /// The annual table of scenario `name`.
    pub fn annual_of(&self, name: &str) -> Option<&AnnualTable> {
        self.annual.iter().find(|t| t.name == name)
    }
}

/// Position of `name` in `order`, appending it when new.
fn slot(order: &mut Vec<String>, name: &str) -> usize {
    match order.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            order.push(name.to_string());
            order.len() - 1
        }
    }
}

/// A `summary.csv` or `deltas.csv` row: the columns the charts use, and the others checked.
#[derive(Deserialize)]
struct MonthlyRow {
    scenario: String,
    #[serde(rename = "month")]
    _month: u64,
    date: YearMonth,
    metric: String,
    #[serde(rename = "mean")]
    _mean: Option<f64>,
    #[serde(rename = "sd")]
    _sd: Option<f64>,
    #[serde(rename = "n")]
    _n: u64,
    p05: Option<f64>,
    p25: Option<f64>,
    p50: Option<f64>,
    p75: Option<f64>,
    p95: Option<f64>,
}

/// An `annual.csv` or `annual_deltas.csv` row: the columns the charts and the report use. Older files without `sd`,
/// `p25`, `p75` and `n` are still read.
#[derive(Deserialize)]
struct AnnualRow {
    scenario: String,
    year: i32,
    metric: String,
    mean: Option<f64>,
    p05: Option<f64>,
    p50: Option<f64>,
    p95: Option<f64>,
}

/// Tables by scenario: ordered as `order` (the manifest's scenarios) with unknown names after
/// them, and only scenarios present in the file.
struct ByScenario<T> {
    names: Vec<String>,
    tables: Vec<Option<T>>,
}

impl<T> ByScenario<T> {
    fn new(order: &[String]) -> Self {
        ByScenario { names: order.to_vec(), tables: order.iter().map(|_| None).collect() }
    }

    /// The table of scenario `name`, made by `new` on first sight.
    fn get(&mut self, name: &str, new: impl FnOnce(String) -> T) -> &mut T {
        let s = slot(&mut self.names, name);
        if self.tables.len() < self.names.len() {
            self.tables.push(None);
        }
        self.tables[s].get_or_insert_with(|| new(self.names[s].clone()))
    }

    fn into_tables(self) -> Vec<T> {
        self.tables.into_iter().flatten().collect()
    }
}

/// Reads `summary.csv` or `deltas.csv` into per-scenario tables, ordered as `order` (the
/// manifest's scenarios) with unknown names after them, and only scenarios present in the file.
fn read_monthly(path: &Path, order: &[String]) -> Result<Vec<ScenarioTable>> {
    let mut by = ByScenario::new(order);
    CsvFile::open(path)?.for_each(|_, r: MonthlyRow, _| {
        let table = by.get(&r.scenario, |name| ScenarioTable { name, ..Default::default() });
        let q = Quantiles { p05: r.p05, p25: r.p25, p50: r.p50, p75: r.p75, p95: r.p95 };
        if !table.series.contains_key(&r.metric) {
            table.metrics.push(r.metric.clone());
        }
        let series = table.series.entry(r.metric).or_default();
        series.dates.push(r.date);
        series.cells.push(q);
        Ok(())
    })?;
    let mut out = by.into_tables();
    for table in &mut out {
        for series in table.series.values_mut() {
            sort_by_date(series);
        }
    }
    Ok(out)
}

/// Puts a series in calendar order (the writer already does; this keeps the charts right for
/// a file someone re-sorted).
fn sort_by_date(series: &mut Series) {
    if series.dates.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    let mut pairs: Vec<(YearMonth, Quantiles)> =
        series.dates.iter().copied().zip(series.cells.iter().copied()).collect();
    pairs.sort_by_key(|p| p.0);
    series.dates = pairs.iter().map(|p| p.0).collect();
    series.cells = pairs.iter().map(|p| p.1).collect();
}

fn read_annual(path: &Path, order: &[String]) -> Result<Vec<AnnualTable>> {
    let mut by = ByScenario::new(order);
    CsvFile::open(path)?.for_each(|_, r: AnnualRow, _| {
        let table = by.get(&r.scenario, |name| AnnualTable { name, ..Default::default() });
        let cell = AnnualCell { year: r.year, mean: r.mean, p05: r.p05, p50: r.p50, p95: r.p95 };
        table.years.entry(r.metric).or_default().push(cell);
        Ok(())
    })?;
    let mut out = by.into_tables();
    for table in &mut out {
        for years in table.years.values_mut() {
            years.sort_by_key(|c| c.year);
        }
    }
    Ok(out)
}

/// The enabled dated events of every scenario in the manifest, merged by (id, date).
///
/// Reads `scenarios[i].resolved.events[j].{id, date, enabled}`; entries without a valid id or
/// date are skipped, as the events are decoration, not data.
pub fn events(manifest: &Manifest) -> Vec<EventMark> {
    let mut marks: BTreeMap<(YearMonth, String), Vec<String>> = BTreeMap::new();
    for s in &manifest.scenarios {
        let Some(list) = s.resolved.get("events").and_then(|e| e.as_array()) else { continue };
        for e in list {
            if e.get("enabled").and_then(serde_json::Value::as_bool) == Some(false) {
                continue;
            }
            let id = e.get("id").and_then(serde_json::Value::as_str);
            let date = e.get("date").and_then(serde_json::Value::as_str).and_then(|d| d.parse::<YearMonth>().ok());
            if let (Some(id), Some(date)) = (id, date) {
                let names = marks.entry((date, id.to_string())).or_default();
                if !names.contains(&s.name) {
                    names.push(s.name.clone());
                }
            }
        }
    }
    marks.into_iter().map(|((date, id), scenarios)| EventMark { id, date, scenarios }).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::output::ManifestScenario;

    fn manifest(resolved: Vec<serde_json::Value>) -> Manifest {
        Manifest {
            kind: crate::output::KIND_RUN.into(),
            engine: "zeromile".into(),
            engine_version: "0.1.0".into(),
            master_seed: 1,
            replicates: 2,
            seed_derivation: String::new(),
            scenarios: resolved
                .into_iter()
                .enumerate()
                .map(|(i, r)| ManifestScenario {
                    name: format!("s{i}"),
                    source: String::new(),
                    hash: String::new(),
                    overrides: vec![],
                    resolved: r,
                })
                .collect(),
            files: vec![],
            shard: None,
            checksums: Default::default(),
            provenance: Default::default(),
        }
    }

    #[test]
    fn events_merge_by_id_and_date_and_skip_disabled() {
        let m = manifest(vec![
            serde_json::json!({"events": [
                {"id": "a", "date": "2020-01"},
                {"id": "off", "date": "2020-02", "enabled": false},
                {"id": "bad", "date": "soon"}
            ]}),
            serde_json::json!({"events": [{"id": "a", "date": "2020-01"}, {"id": "b", "date": "2019-05"}]}),
        ]);
        let e = events(&m);
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].id.as_str(), e[0].scenarios.clone()), ("b", vec!["s1".to_string()]));
        assert_eq!((e[1].id.as_str(), e[1].scenarios.len()), ("a", 2));
    }

    #[test]
    fn reads_tables_with_missing_fields() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(vec![serde_json::json!({})]);
        std::fs::write(dir.path().join(MANIFEST_FILE), m.to_json().unwrap()).unwrap();
        std::fs::write(
            dir.path().join(SUMMARY_FILE),
            "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n\n\
             s0,1,2020-02,x,1,,1,1,1,1,1,1\n\
             s0,0,2020-01,x,,,,,,,,0\n\
             other,0,2020-01,y,2,0,2,2,2,2,2,1\n",
        )
        .unwrap();
        let data = RunData::read(dir.path()).unwrap();
        assert_eq!(data.monthly.len(), 2);
        assert_eq!(data.monthly[1].name, "other");
        let x = data.monthly[0].get("x").unwrap();
        assert_eq!(x.dates[0].to_string(), "2020-01", "sorted by date");
        assert_eq!(x.cells[0].p50, None);
        assert_eq!(x.cells[1].p50, Some(1.0));
        assert!(data.annual.is_empty() && data.deltas.is_empty());
        assert_eq!(data.baseline(), "s0");
    }

    #[test]
    fn missing_summary_or_bad_number_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let err = RunData::read(dir.path()).unwrap_err();
        assert!(err.is_bad_input() && err.to_string().contains("summary.csv"), "{err}");
        std::fs::write(
            dir.path().join(SUMMARY_FILE),
            "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n\ns,0,2020-01,x,1,0,1,2,z,4,5,1\n",
        )
        .unwrap();
        let err = RunData::read(dir.path()).unwrap_err();
        assert!(err.is_bad_input() && err.to_string().contains("manifest.json"), "{err}");
        std::fs::write(dir.path().join(MANIFEST_FILE), manifest(vec![]).to_json().unwrap()).unwrap();
        let err = RunData::read(dir.path()).unwrap_err();
        assert!(err.is_bad_input() && err.to_string().contains(":2: column `p50`"), "{err}");
        // A header without a column: named, at line 1.
        std::fs::write(dir.path().join(SUMMARY_FILE), "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,n\n")
            .unwrap();
        let err = RunData::read(dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("summary.csv:1: the header lacks column `p95` (not a file zeromile wrote, or damaged)"),
            "{err}"
        );
    }
}
