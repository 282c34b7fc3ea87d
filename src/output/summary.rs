//! Streaming Monte Carlo statistics across replicates, written as `summary.csv`, `annual.csv`,
//! `deltas.csv` and `annual_deltas.csv`.
//!
//! Each cell (scenario × month × metric, scenario × year × metric, or paired difference) owns
//! one [`QuantileSketch`] of fixed size (4 KiB, reserved by the first replicate), so memory does
//! not grow with the replicate count. Row order is fixed by the input, never by a hash map, so the same
//! replicates fed in the same order give byte-identical files.

use std::collections::BTreeMap;
use std::io::Write;

use crate::error::{Error, Result};
use crate::model::metrics::Trajectory;
use crate::scenario::YearMonth;

use super::collapse::{Collapse, COLLAPSE_SHARE};
use super::number::cell;
use super::series::ScenarioSeries;
use super::sketch::QuantileSketch;

/// Header of `summary.csv` and `deltas.csv`.
pub const SUMMARY_HEADER: [&str; 12] =
    ["scenario", "month", "date", "metric", "mean", "sd", "p05", "p25", "p50", "p75", "p95", "n"];

/// Header of `annual.csv` and `annual_deltas.csv`: the statistics of `summary.csv` per
/// calendar year.
pub const ANNUAL_HEADER: [&str; 11] =
    ["scenario", "year", "metric", "mean", "sd", "p05", "p25", "p50", "p75", "p95", "n"];

/// Quantile levels of the `p05 … p95` columns of `summary.csv`, `annual.csv` and `deltas.csv`.
const SUMMARY_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The simulated months of one calendar year within a run.
#[derive(Debug, Clone)]
pub(crate) struct YearGroup {
    pub(crate) year: i32,
    /// Month indices (into the run) falling in `year`, ascending.
    pub(crate) months: Vec<usize>,
}

/// Paired differences of one scenario against the baseline (scenario 0).
#[derive(Debug, Clone)]
struct DeltaPlan {
    /// `(month index in this scenario, month index in the baseline)` for each shared date, in
    /// this scenario's month order.
    months: Vec<(usize, usize)>,
    /// `(metric index in this scenario, metric index in the baseline)` for each shared name, in
    /// this scenario's metric order.
    metrics: Vec<(usize, usize)>,
    /// One sketch per `(month pair, metric pair)`, row-major by month pair.
    cells: Vec<QuantileSketch>,
    /// `(year index in this scenario, year index in the baseline)` for each shared calendar
    /// year, in this scenario's year order.
    years: Vec<(usize, usize)>,
    /// One sketch per `(year pair, metric pair)` of the annual values' difference, row-major by
    /// year pair.
    annual_cells: Vec<QuantileSketch>,
}

/// Accumulates replicates of one or more scenarios and writes their summaries.
///
/// The `write_*` methods report I/O errors against the bare file name (`summary.csv`, …);
/// [`write_outputs`](super::write_outputs) reports the full path.
///
/// Feed every replicate once, in increasing replicate order, with
/// [`MonteCarloStats::add_replicate`]; the writers can be called at any point and reflect the
/// replicates added so far.
#[derive(Debug, Clone)]
pub struct MonteCarloStats {
    scenarios: Vec<ScenarioSeries>,
    /// Per scenario, one sketch per `month * width + metric`.
    monthly: Vec<Vec<QuantileSketch>>,
    /// Per scenario, the calendar years of its run.
    years: Vec<Vec<YearGroup>>,
    /// Per scenario, one sketch per `year_index * width + metric`.
    annual: Vec<Vec<QuantileSketch>>,
    /// `deltas[s - 1]` pairs scenario `s` with scenario 0; `None` when the two are not paired
    /// (different horizon or resolution, see [`crate::scenario::Pairing`]).
    deltas: Vec<Option<DeltaPlan>>,
    /// Per scenario, the `collapse_share` rows of `annual.csv`.
    collapse: Vec<Collapse>,
    replicates: u64,
}

impl MonteCarloStats {
    /// Empty statistics for these scenarios; scenario 0 is the baseline of `deltas.csv`.
    pub fn new(scenarios: Vec<ScenarioSeries>) -> Self {
        let monthly = scenarios.iter().map(|s| vec![QuantileSketch::new(); s.dates.len() * s.metrics.len()]).collect();
        let years: Vec<Vec<YearGroup>> = scenarios.iter().map(|s| year_groups(&s.dates)).collect();
        let annual =
            scenarios.iter().zip(&years).map(|(s, y)| vec![QuantileSketch::new(); y.len() * s.metrics.len()]).collect();
        let deltas = match scenarios.split_first() {
            Some((base, others)) => others
                .iter()
                .zip(&years[1..])
                .map(|(s, y)| s.pairing.is_paired_with(&base.pairing).then(|| delta_plan(base, &years[0], s, y)))
                .collect(),
            None => Vec::new(),
        };
        let collapse = scenarios
            .iter()
            .zip(&years)
            .map(|(s, y)| Collapse::new(&s.metrics, &y.iter().map(|g| g.year).collect::<Vec<_>>()))
            .collect();
        MonteCarloStats { scenarios, monthly, years, annual, deltas, collapse, replicates: 0 }
    }

    /// The scenarios, in input order.
    pub fn scenarios(&self) -> &[ScenarioSeries] {
        &self.scenarios
    }

    /// Adds one replicate of every scenario (`trajs[s]` belongs to scenario `s`, all sharing one
    /// replicate index, hence common random numbers across scenarios). Call in increasing
    /// replicate order.
    ///
    /// # Panics
    ///
    /// If `trajs` does not hold one trajectory per scenario, each with that scenario's dates
    /// and metric count: that is a bug in the caller.
    pub fn add_replicate(&mut self, trajs: &[Trajectory]) {
        assert_eq!(
            trajs.len(),
            self.scenarios.len(),
            "one trajectory per scenario expected, got {} for {} scenarios",
            trajs.len(),
            self.scenarios.len()
        );
        // Per scenario, this replicate's value of each `year_index * width + metric`.
        let mut annual_values: Vec<Vec<f64>> = Vec::with_capacity(trajs.len());
        for (s, traj) in trajs.iter().enumerate() {
            let series = &self.scenarios[s];
            series.assert_fits(traj);
            for (sketch, &v) in self.monthly[s].iter_mut().zip(&traj.values) {
                sketch.add(v);
            }
            let values: Vec<f64> = self.years[s]
                .iter()
                .flat_map(|group| {
                    series
                        .metrics
                        .annual
                        .iter()
                        .enumerate()
                        .map(|(j, annual)| annual.aggregate(group.months.iter().map(|&i| traj.get(i, j))))
                })
                .collect();
            for (sketch, &v) in self.annual[s].iter_mut().zip(&values) {
                sketch.add(v);
            }
            self.collapse[s].add(&values, series.metrics.len());
            annual_values.push(values);
        }
        if let Some((base, others)) = trajs.split_first() {
            let base_width = base.width;
            for ((plan, traj), values) in self.deltas.iter_mut().zip(others).zip(&annual_values[1..]) {
                let Some(plan) = plan else { continue };
                let m = plan.metrics.len();
                for (mi, &(i, i0)) in plan.months.iter().enumerate() {
                    for (mj, &(j, j0)) in plan.metrics.iter().enumerate() {
                        plan.cells[mi * m + mj].add(traj.get(i, j) - base.get(i0, j0));
                    }
                }
                for (yi, &(y, y0)) in plan.years.iter().enumerate() {
                    for (mj, &(j, j0)) in plan.metrics.iter().enumerate() {
                        let diff = values[y * traj.width + j] - annual_values[0][y0 * base_width + j0];
                        plan.annual_cells[yi * m + mj].add(diff);
                    }
                }
            }
        }
        self.replicates += 1;
    }

    /// Replicates added so far.
    pub fn replicates(&self) -> u64 {
        self.replicates
    }

    /// True when there is a baseline and at least one other scenario paired with it, i.e.
    /// `deltas.csv` has something to compare.
    pub fn has_deltas(&self) -> bool {
        self.deltas.iter().any(Option::is_some)
    }

    /// Writes `summary.csv`: one row per scenario × month × metric, in scenario (input), month
    /// and metric-set order, with columns [`SUMMARY_HEADER`]. `month` is the 0-based index
    /// within the run, `date` is `YYYY-MM`, `sd` is the sample sd (`n - 1` denominator, 0 when
    /// `n = 1`), quantiles as in [`QuantileSketch::quantiles`]. Undefined or non-finite
    /// statistics (e.g. with no replicates) are empty fields.
    pub fn write_summary(&self, w: impl Write) -> Result<()> {
        self.summary_csv(w).map_err(|e| Error::io("summary.csv", e.into()))
    }

    /// Writes `annual.csv`: one row per scenario × calendar year × metric with columns
    /// [`ANNUAL_HEADER`]. For each replicate a year's value aggregates its months as the metric's
    /// [`Annual`](crate::model::metrics::Annual) says (a sum of flows and of capacity, a mean of
    /// levels, ratios, shares and prices); the statistics are then taken across replicates.
    ///
    /// A partial year (a run starting or ending mid-year) is aggregated over the months
    /// actually simulated in it: a flow sums fewer than 12 months, a level averages them.
    /// After each year's metrics comes its `collapse_share` row ([`super::collapse`]) when the
    /// scenario reports exports and retail sales.
    pub fn write_annual(&self, w: impl Write) -> Result<()> {
        self.annual_csv(w).map_err(|e| Error::io("annual.csv", e.into()))
    }

    /// Writes `deltas.csv` (columns [`SUMMARY_HEADER`]): for every scenario `s >= 1`, the
    /// statistics across replicates of the paired difference `scenario s − scenario 0` of the
    /// same replicate index. Only months (matched by date) and metrics (matched by name) that
    /// both scenarios have are written, in scenario `s`'s order; `month` is the index within
    /// scenario `s`'s run. Baseline rows are not written, nor rows of a scenario not paired with
    /// the baseline ([`ScenarioSeries::pairing`]: another horizon or resolution). With no paired
    /// scenario besides the baseline only the header is written (see
    /// [`MonteCarloStats::has_deltas`]).
    pub fn write_deltas(&self, w: impl Write) -> Result<()> {
        self.deltas_csv(w).map_err(|e| Error::io("deltas.csv", e.into()))
    }

    /// Writes `annual_deltas.csv` (columns [`ANNUAL_HEADER`]): for every scenario `s >= 1`
    /// paired with the baseline, the statistics across replicates of the paired difference of
    /// annual values, `annual(scenario s) − annual(scenario 0)` of the same replicate index, each
    /// year's value aggregated as in `annual.csv` (the metric's
    /// [`Annual`](crate::model::metrics::Annual)). Years (matched by calendar year) and metrics
    /// (matched by name) that both scenarios have, in scenario `s`'s order; written exactly when
    /// `deltas.csv` is, and with only the header when it would be.
    pub fn write_annual_deltas(&self, w: impl Write) -> Result<()> {
        self.annual_deltas_csv(w).map_err(|e| Error::io("annual_deltas.csv", e.into()))
    }

    pub(crate) fn summary_csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(SUMMARY_HEADER)?;
        for (series, cells) in self.scenarios.iter().zip(&self.monthly) {
            let width = series.metrics.len();
            for (i, date) in series.dates.iter().enumerate() {
                for (j, name) in series.metrics.names.iter().enumerate() {
                    let row = summary_row(&series.name, i, *date, name, &cells[i * width + j]);
                    out.write_record(row)?;
                }
            }
        }
        out.flush()?;
        Ok(())
    }

    pub(crate) fn annual_csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(ANNUAL_HEADER)?;
        let all = self.scenarios.iter().zip(&self.years).zip(&self.annual).zip(&self.collapse);
        for (((series, years), cells), collapse) in all {
            let width = series.metrics.len();
            for (y, group) in years.iter().enumerate() {
                for (j, name) in series.metrics.names.iter().enumerate() {
                    let key = [series.name.clone(), group.year.to_string(), name.clone()];
                    out.write_record(key.into_iter().chain(statistics(&cells[y * width + j])))?;
                }
                if collapse.applies() {
                    let key = [series.name.clone(), group.year.to_string(), COLLAPSE_SHARE.to_string()];
                    out.write_record(key.into_iter().chain(statistics(&collapse.cells[y])))?;
                }
            }
        }
        out.flush()?;
        Ok(())
    }

    pub(crate) fn deltas_csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(SUMMARY_HEADER)?;
        for (series, plan) in self.scenarios.iter().skip(1).zip(&self.deltas) {
            let Some(plan) = plan else { continue };
            let m = plan.metrics.len();
            for (mi, &(i, _)) in plan.months.iter().enumerate() {
                for (mj, &(j, _)) in plan.metrics.iter().enumerate() {
                    let name = &series.metrics.names[j];
                    let sketch = &plan.cells[mi * m + mj];
                    out.write_record(summary_row(&series.name, i, series.dates[i], name, sketch))?;
                }
            }
        }
        out.flush()?;
        Ok(())
    }
}

impl MonteCarloStats {
    pub(crate) fn annual_deltas_csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(ANNUAL_HEADER)?;
        for ((series, years), plan) in self.scenarios.iter().zip(&self.years).skip(1).zip(&self.deltas) {
            let Some(plan) = plan else { continue };
            let m = plan.metrics.len();
            for (yi, &(y, _)) in plan.years.iter().enumerate() {
                for (mj, &(j, _)) in plan.metrics.iter().enumerate() {
                    let key = [series.name.clone(), years[y].year.to_string(), series.metrics.names[j].clone()];
                    out.write_record(key.into_iter().chain(statistics(&plan.annual_cells[yi * m + mj])))?;
                }
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// Reading the statistics back in memory (for `zeromile serve`, which writes no file): the same
/// sketches the CSV rows are written from.
impl MonteCarloStats {
    /// The statistics of scenario `scenario`, month index `month`, metric index `metric`
    /// (the `summary.csv` row); `None` outside the run.
    pub fn monthly(&self, scenario: usize, month: usize, metric: usize) -> Option<&QuantileSketch> {
        let width = self.scenarios.get(scenario)?.metrics.len();
        if metric >= width {
            return None;
        }
        self.monthly.get(scenario)?.get(month * width + metric)
    }

    /// The paired difference scenario `scenario` − scenario 0 at `scenario`'s month index
    /// `month` and metric index `metric` (the `deltas.csv` row); `None` for scenario 0, an
    /// unpaired scenario, or a month or metric the baseline lacks.
    pub fn delta(&self, scenario: usize, month: usize, metric: usize) -> Option<&QuantileSketch> {
        let plan = self.deltas.get(scenario.checked_sub(1)?)?.as_ref()?;
        let mi = plan.months.iter().position(|&(i, _)| i == month)?;
        let mj = plan.metrics.iter().position(|&(j, _)| j == metric)?;
        plan.cells.get(mi * plan.metrics.len() + mj)
    }
}

/// One `summary.csv`/`deltas.csv` row.
fn summary_row(
    scenario: &str,
    month: usize,
    date: YearMonth,
    metric: &str,
    s: &QuantileSketch,
) -> impl Iterator<Item = String> {
    let key = [scenario.to_string(), month.to_string(), date.to_string(), metric.to_string()];
    key.into_iter().chain(statistics(s))
}

/// The statistics columns of a row: `mean, sd, p05, p25, p50, p75, p95, n`.
pub(crate) fn statistics(s: &QuantileSketch) -> [String; 8] {
    let q = s.quantiles(&SUMMARY_QUANTILES);
    let q = |k: usize| cell(q.as_ref().map(|q| q[k]));
    [cell(s.mean()), cell(s.sd()), q(0), q(1), q(2), q(3), q(4), s.count().to_string()]
}

/// Groups month indices by calendar year, years ascending.
pub(crate) fn year_groups(dates: &[YearMonth]) -> Vec<YearGroup> {
    let mut by_year: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, d) in dates.iter().enumerate() {
        by_year.entry(d.year).or_default().push(i);
    }
    by_year.into_iter().map(|(year, months)| YearGroup { year, months }).collect()
}

/// Matches `other`'s months, years and metrics to the baseline's by date, calendar year (with
/// the same months simulated) and name.
fn delta_plan(
    base: &ScenarioSeries,
    base_years: &[YearGroup],
    other: &ScenarioSeries,
    other_years: &[YearGroup],
) -> DeltaPlan {
    let base_month: BTreeMap<YearMonth, usize> = base.dates.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let months: Vec<(usize, usize)> =
        other.dates.iter().enumerate().filter_map(|(i, d)| base_month.get(d).map(|&i0| (i, i0))).collect();
    let metrics: Vec<(usize, usize)> = other
        .metrics
        .names
        .iter()
        .enumerate()
        .filter_map(|(j, name)| base.metrics.position(name).map(|j0| (j, j0)))
        .collect();
    let cells = vec![QuantileSketch::new(); months.len() * metrics.len()];
    let base_year: BTreeMap<i32, usize> = base_years.iter().enumerate().map(|(y, g)| (g.year, y)).collect();
    // A year is compared only when both scenarios simulate the same months of it.
    let same_months = |g: &YearGroup, g0: &YearGroup| {
        g.months.iter().map(|&i| other.dates[i]).eq(g0.months.iter().map(|&i| base.dates[i]))
    };
    let years: Vec<(usize, usize)> = other_years
        .iter()
        .enumerate()
        .filter_map(|(y, g)| base_year.get(&g.year).map(|&y0| (y, y0)))
        .filter(|&(y, y0)| same_months(&other_years[y], &base_years[y0]))
        .collect();
    let annual_cells = vec![QuantileSketch::new(); years.len() * metrics.len()];
    DeltaPlan { months, metrics, cells, years, annual_cells }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::metrics::{Annual, MetricSet};

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).unwrap()
    }

    /// Metric set with one flow (`sales`) and one level (`price`).
    fn metrics(names: &[(&str, Annual)]) -> MetricSet {
        MetricSet {
            names: names.iter().map(|n| n.0.to_string()).collect(),
            annual: names.iter().map(|n| n.1).collect(),
            units: names.iter().map(|_| "u".to_string()).collect(),
        }
    }

    fn series(name: &str, start: YearMonth, months: usize, m: &[(&str, Annual)]) -> ScenarioSeries {
        ScenarioSeries {
            name: name.into(),
            metrics: metrics(m),
            dates: (0..months).map(|i| start.offset(i as i64)).collect(),
            // One pairing for all, whatever the dates: `delta_plan` still matches by date.
            pairing: crate::scenario::Scenario::default().pairing(),
        }
    }

    /// Trajectory whose value at (month i, metric j) is `f(i, j)`.
    fn traj(s: &ScenarioSeries, f: impl Fn(usize, usize) -> f64) -> Trajectory {
        let mut t = Trajectory::new(s.metrics.len(), s.dates.len());
        for (i, d) in s.dates.iter().enumerate() {
            let row: Vec<f64> = (0..s.metrics.len()).map(|j| f(i, j)).collect();
            t.push(*d, &row);
        }
        t
    }

    const SP: &[(&str, Annual)] = &[("sales", Annual::Sum), ("price", Annual::Mean)];

    /// Two scenarios, 14 months from 2024-11 (2 + 12 months: years 2024, 2025), 3 replicates.
    /// Baseline: sales = 10 i + r, price = 100 + r. Policy: sales = baseline + 2 r + 1,
    /// price = baseline − r.
    fn two_scenarios() -> MonteCarloStats {
        let base = series("base", ym(2024, 11), 14, SP);
        let policy = series("policy", ym(2024, 11), 14, SP);
        let mut stats = MonteCarloStats::new(vec![base.clone(), policy.clone()]);
        for r in 0..3 {
            let r = r as f64;
            let b = traj(&base, |i, j| if j == 0 { 10.0 * i as f64 + r } else { 100.0 + r });
            let p = traj(&policy, |i, j| if j == 0 { 10.0 * i as f64 + 3.0 * r + 1.0 } else { 100.0 });
            stats.add_replicate(&[b, p]);
        }
        stats
    }

    fn text(f: impl Fn(&mut Vec<u8>) -> Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn lines(s: &str) -> Vec<&str> {
        s.lines().collect()
    }

    #[test]
    fn summary_rows() {
        let stats = two_scenarios();
        assert_eq!(stats.replicates(), 3);
        let csv = text(|w| stats.write_summary(w));
        let l = lines(&csv);
        assert_eq!(l[0], "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n");
        assert_eq!(l.len(), 1 + 2 * 14 * 2);
        // Month 0 sales: 0, 1, 2. sd 1; p05 = 0.1 (h = 0.1), p95 = 1.9.
        assert_eq!(l[1], "base,0,2024-11,sales,1,1,0.1,0.5,1,1.5,1.9,3");
        assert_eq!(l[2], "base,0,2024-11,price,101,1,100.1,100.5,101,101.5,101.9,3");
        // Month 13 sales: 130, 131, 132.
        assert_eq!(l[27], "base,13,2025-12,sales,131,1,130.1,130.5,131,131.5,131.9,3");
        // Policy month 1 sales: 11, 14, 17; price constant 100.
        assert_eq!(l[31], "policy,1,2024-12,sales,14,3,11.3,12.5,14,15.5,16.7,3");
        assert_eq!(l[32], "policy,1,2024-12,price,100,0,100,100,100,100,100,3");
    }

    #[test]
    fn annual_rows() {
        let stats = two_scenarios();
        let csv = text(|w| stats.write_annual(w));
        let l = lines(&csv);
        assert_eq!(l[0], "scenario,year,metric,mean,sd,p05,p25,p50,p75,p95,n");
        assert_eq!(l.len(), 1 + 2 * 2 * 2);
        // 2024 holds months 0, 1 (partial year): sales sum = 10 + 2r -> 10, 12, 14.
        assert_eq!(l[1], "base,2024,sales,12,2,10.2,11,12,13,13.8,3");
        // Level averages: price 100 + r.
        assert_eq!(l[2], "base,2024,price,101,1,100.1,100.5,101,101.5,101.9,3");
        // 2025 holds months 2..=13: sum 10 * (2 + … + 13) = 900, + 12 r -> 900, 912, 924.
        assert_eq!(l[3], "base,2025,sales,912,12,901.2,906,912,918,922.8,3");
        assert_eq!(l[4], "base,2025,price,101,1,100.1,100.5,101,101.5,101.9,3");
        // Policy 2025 sales: 900 + 12 (3 r + 1) -> 912, 948, 984.
        assert_eq!(l[7], "policy,2025,sales,948,36,915.6,930,948,966,980.4,3");
    }

    #[test]
    fn deltas_and_annual_deltas_are_paired_differences() {
        let stats = two_scenarios();
        assert!(stats.has_deltas());
        let csv = text(|w| stats.write_deltas(w));
        let l = lines(&csv);
        assert_eq!(l[0], "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n");
        assert_eq!(l.len(), 1 + 14 * 2, "baseline rows are not written");
        // Paired: sales diff = 2 r + 1 -> 1, 3, 5 (unpaired sds would differ).
        assert_eq!(l[1], "policy,0,2024-11,sales,3,2,1.2,2,3,4,4.8,3");
        // price diff = −r -> 0, −1, −2 (p95 numpy.quantile gives as -0.10000000000000009, written to ten digits).
        assert_eq!(l[2], "policy,0,2024-11,price,-1,1,-1.9,-1.5,-1,-0.5,-0.1,3");
        assert!(l[1..].iter().all(|r| r.starts_with("policy,")));

        // annual_deltas.csv: the paired differences of each replicate's annual values.
        let csv = text(|w| stats.write_annual_deltas(w));
        let l = lines(&csv);
        assert_eq!(l[0], "scenario,year,metric,mean,sd,p05,p25,p50,p75,p95,n");
        assert_eq!(l.len(), 1 + 2 * 2, "baseline rows are not written");
        // 2024 (2 months): sales diff summed = 2 (2 r + 1) -> 2, 6, 10; price mean diff = −r.
        assert_eq!(l[1], "policy,2024,sales,6,4,2.4,4,6,8,9.6,3");
        assert_eq!(l[2], "policy,2024,price,-1,1,-1.9,-1.5,-1,-0.5,-0.1,3");
        // 2025 (12 months): 12 (2 r + 1) -> 12, 36, 60.
        assert_eq!(l[3], "policy,2025,sales,36,24,14.4,24,36,48,57.6,3");
    }

    /// A scenario against an identical twin: every annual delta is exactly zero.
    #[test]
    fn annual_deltas_of_a_twin_are_zero() {
        let (a, b) = (series("a", ym(2024, 11), 14, SP), series("b", ym(2024, 11), 14, SP));
        let mut stats = MonteCarloStats::new(vec![a.clone(), b.clone()]);
        for r in 0..4 {
            let f = |i: usize, j: usize| (i * 7 + j * 3 + r * 11) as f64 * 0.37;
            stats.add_replicate(&[traj(&a, f), traj(&b, f)]);
        }
        let csv = text(|w| stats.write_annual_deltas(w));
        assert_eq!(lines(&csv).len(), 1 + 2 * 2);
        for row in &lines(&csv)[1..] {
            assert!(row.starts_with("b,") && row.ends_with(",0,0,0,0,0,0,0,4"), "{row}");
        }
    }

    #[test]
    fn deltas_match_dates_and_names() {
        // Baseline 2024-01..2024-06 with sales, price; other 2024-04..2024-09 with
        // price, exports: only 2024-04..06 × price overlap.
        let base = series("a", ym(2024, 1), 6, SP);
        let other = series("b", ym(2024, 4), 6, &[("price", Annual::Mean), ("exports", Annual::Sum)]);
        let mut stats = MonteCarloStats::new(vec![base.clone(), other.clone()]);
        stats.add_replicate(&[traj(&base, |i, j| (i * 10 + j) as f64), traj(&other, |i, j| (i * 100 + j) as f64)]);
        let csv = text(|w| stats.write_deltas(w));
        // b month 0 (2024-04) price = 0, a month 3 price = 31.
        assert_eq!(
            lines(&csv)[1..],
            [
                "b,0,2024-04,price,-31,0,-31,-31,-31,-31,-31,1",
                "b,1,2024-05,price,59,0,59,59,59,59,59,1",
                "b,2,2024-06,price,149,0,149,149,149,149,149,1",
            ]
        );
    }

    /// A scenario of another horizon or resolution than the baseline has no deltas; a paired
    /// third scenario still has.
    #[test]
    fn unpaired_scenarios_have_no_deltas() {
        let base = series("a", ym(2024, 1), 2, SP);
        let mut short = series("short", ym(2024, 1), 1, SP);
        short.pairing.end = ym(2024, 1);
        let mut coarse = series("coarse", ym(2024, 1), 2, SP);
        coarse.pairing.agents /= 2;
        let mut stats = MonteCarloStats::new(vec![base.clone(), short.clone(), coarse.clone()]);
        stats.add_replicate(&[traj(&base, |_, _| 1.0), traj(&short, |_, _| 2.0), traj(&coarse, |_, _| 3.0)]);
        assert!(!stats.has_deltas());
        assert_eq!(text(|w| stats.write_deltas(w)), "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n\n");

        let twin = series("twin", ym(2024, 1), 2, SP);
        let mut stats = MonteCarloStats::new(vec![base.clone(), short.clone(), twin.clone()]);
        stats.add_replicate(&[traj(&base, |_, _| 1.0), traj(&short, |_, _| 2.0), traj(&twin, |_, _| 3.0)]);
        assert!(stats.has_deltas());
        let csv = text(|w| stats.write_deltas(w));
        assert_eq!(lines(&csv).len(), 1 + 2 * 2, "{csv}");
        assert!(lines(&csv)[1..].iter().all(|r| r.starts_with("twin,")), "{csv}");
    }

    #[test]
    fn single_scenario_has_no_deltas() {
        let s = series("only", ym(2024, 1), 2, SP);
        let mut stats = MonteCarloStats::new(vec![s.clone()]);
        stats.add_replicate(&[traj(&s, |_, _| 1.0)]);
        assert!(!stats.has_deltas());
        assert_eq!(text(|w| stats.write_deltas(w)), "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n\n");
        assert_eq!(text(|w| stats.write_annual_deltas(w)), "scenario,year,metric,mean,sd,p05,p25,p50,p75,p95,n\n");
    }

    #[test]
    fn no_replicates_gives_empty_fields() {
        let s = series("only", ym(2024, 1), 1, SP);
        let stats = MonteCarloStats::new(vec![s]);
        assert_eq!(lines(&text(|w| stats.write_summary(w)))[1], "only,0,2024-01,sales,,,,,,,,0");
        assert_eq!(lines(&text(|w| stats.write_annual(w)))[1], "only,2024,sales,,,,,,,,0");
    }

    #[test]
    fn writing_is_reproducible() {
        let (a, b) = (two_scenarios(), two_scenarios());
        type Writer = fn(&MonteCarloStats, &mut Vec<u8>) -> Result<()>;
        let writers: [Writer; 4] = [
            |s, w| s.write_summary(w),
            |s, w| s.write_annual(w),
            |s, w| s.write_deltas(w),
            |s, w| s.write_annual_deltas(w),
        ];
        for f in writers {
            let ta = text(|w| f(&a, w));
            assert_eq!(ta, text(|w| f(&b, w)));
            assert_eq!(ta, text(|w| f(&a, w)), "writing does not consume state");
        }
    }

    #[test]
    #[should_panic(expected = "one trajectory per scenario")]
    fn wrong_scenario_count_panics() {
        let mut stats = two_scenarios();
        stats.add_replicate(&[]);
    }
}
