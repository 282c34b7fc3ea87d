//! `groups.csv` (`run --by-group`): the brand groups by ownership type × size band, per
//! scenario and calendar year, with the statistics of `annual.csv` across replicates.
//!
//! Each replicate's year sums its months' group rows per key
//! ([`crate::model::groups::fill_groups`]), derives the annual metrics
//! ([`crate::model::groups::annual_values`]) and adds them to one [`QuantileSketch`] per
//! (scenario, year, key, metric). Every cell is written, so the file has no holes: a ratio a
//! replicate cannot define (no revenue, retail sales or capacity in the key that year) leaves
//! that replicate out of the cell, `n` says how many count, and a cell no replicate defines
//! (`n` = 0) is written with every statistic 0.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::groups::{self, part, GROUP_METRICS, KEYS, METRICS, WIDTH};
use crate::model::metrics::Trajectory;

use super::dir::write_csv;
use super::series::ScenarioSeries;
use super::sketch::QuantileSketch;
use super::summary::{statistics, year_groups, YearGroup};

/// The file `run --by-group` writes.
pub const GROUPS_FILE: &str = "groups.csv";

/// Header of `groups.csv`: `annual.csv`'s, with the key's ownership and size band.
pub const GROUPS_HEADER: [&str; 13] =
    ["scenario", "year", "ownership", "size_band", "metric", "mean", "sd", "p05", "p25", "p50", "p75", "p95", "n"];

/// Streaming statistics of the group rows of every replicate, by scenario × year × key × metric.
#[derive(Debug, Clone)]
pub struct GroupStats {
    /// Name and calendar years of each scenario.
    scenarios: Vec<(String, Vec<YearGroup>)>,
    /// Per scenario, one sketch per `(year * KEYS + key) * METRICS + metric`.
    cells: Vec<Vec<QuantileSketch>>,
}

impl GroupStats {
    /// Empty statistics for these scenarios.
    pub fn new(series: &[ScenarioSeries]) -> Self {
        let scenarios: Vec<(String, Vec<YearGroup>)> =
            series.iter().map(|s| (s.name.clone(), year_groups(&s.dates))).collect();
        let cells = scenarios.iter().map(|(_, y)| vec![QuantileSketch::new(); y.len() * KEYS * METRICS]).collect();
        GroupStats { scenarios, cells }
    }

    /// Adds one replicate of every scenario, in increasing replicate order.
    ///
    /// # Panics
    ///
    /// If `trajs` does not hold one trajectory per scenario, each with its group rows
    /// (`engine::MonteCarlo::by_group`) for the scenario's months: a bug in the caller.
    pub fn add_replicate(&mut self, trajs: &[Trajectory]) {
        assert_eq!(trajs.len(), self.scenarios.len(), "one trajectory per scenario expected");
        for ((traj, (name, years)), cells) in trajs.iter().zip(&self.scenarios).zip(&mut self.cells) {
            assert!(traj.has_groups(), "scenario `{name}`: trajectory without group rows");
            for (y, year) in years.iter().enumerate() {
                let mut sums = [0.0; WIDTH];
                for &i in &year.months {
                    for (s, v) in sums.iter_mut().zip(&traj.groups[i * WIDTH..(i + 1) * WIDTH]) {
                        *s += v;
                    }
                }
                let all_sales: f64 = sums.chunks(part::COUNT).map(|key| key[part::SALES]).sum();
                for (k, key) in sums.chunks(part::COUNT).enumerate() {
                    let values = groups::annual_values(key, year.months.len(), all_sales);
                    let first = (y * KEYS + k) * METRICS;
                    for (cell, v) in cells[first..first + METRICS].iter_mut().zip(values) {
                        if let Some(v) = v {
                            cell.add(v);
                        }
                    }
                }
            }
        }
    }

    /// Writes `groups.csv` (columns [`GROUPS_HEADER`]): one row per scenario × year × ownership
    /// × size band × metric, in input, year, [`groups::keys`] and [`GROUP_METRICS`] order.
    pub fn write(&self, w: impl Write) -> Result<()> {
        self.csv(w).map_err(|e| Error::io(GROUPS_FILE, e.into()))
    }

    pub(crate) fn csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(GROUPS_HEADER)?;
        for ((name, years), cells) in self.scenarios.iter().zip(&self.cells) {
            for (y, year) in years.iter().enumerate() {
                for (k, (ownership, band)) in groups::keys().enumerate() {
                    for (m, metric) in GROUP_METRICS.iter().enumerate() {
                        let key = [name.clone(), year.year.to_string(), ownership.name().into(), band.name().into()];
                        let key = key.into_iter().chain([metric.name.to_string()]);
                        out.write_record(key.chain(cell_statistics(&cells[(y * KEYS + k) * METRICS + m])))?;
                    }
                }
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// The statistics of a cell as in `annual.csv`, every one 0 when no replicate counts (`n` = 0).
fn cell_statistics(s: &QuantileSketch) -> [String; 8] {
    if s.count() == 0 {
        return std::array::from_fn(|_| "0".to_string());
    }
    statistics(s)
}

/// Writes `dir/groups.csv` atomically; returns its path.
pub fn write_groups(dir: &Path, stats: &GroupStats) -> Result<PathBuf> {
    write_csv(dir, GROUPS_FILE, |w| stats.csv(w))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::automaker::Ownership;
    use crate::model::groups::key_index;
    use crate::model::groups::SizeBand;
    use crate::scenario::{Scenario, YearMonth};

    fn series(months: usize) -> ScenarioSeries {
        let start = YearMonth::new(2024, 11).unwrap();
        ScenarioSeries {
            name: "s".into(),
            metrics: crate::model::metrics::MetricSet::new::<&str>(&[]),
            dates: (0..months).map(|i| start.offset(i as i64)).collect(),
            pairing: Scenario::default().pairing(),
        }
    }

    /// A trajectory whose every month has one central top-5 group selling `sales` with revenue
    /// and profit, and nothing else.
    fn traj(s: &ScenarioSeries, sales: f64) -> Trajectory {
        let mut t = Trajectory::new(s.metrics.len(), s.dates.len());
        let k = key_index(Ownership::CentralState, SizeBand::Top5) * part::COUNT;
        for d in &s.dates {
            t.push(*d, &vec![0.0; s.metrics.len()]);
            let mut row = [0.0; WIDTH];
            (row[k + part::GROUPS], row[k + part::SALES], row[k + part::REVENUE], row[k + part::PROFIT]) =
                (1.0, sales, 10.0, 1.0);
            t.push_groups(&row);
        }
        t
    }

    #[test]
    fn full_grid_with_finite_values_and_counted_replicates() {
        let s = series(3); // 2024-11, 2024-12, 2025-01: two years.
        let mut stats = GroupStats::new(std::slice::from_ref(&s));
        stats.add_replicate(&[traj(&s, 5.0)]);
        stats.add_replicate(&[traj(&s, 7.0)]);
        let mut out = Vec::new();
        stats.write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), GROUPS_HEADER.join(","));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 2 * KEYS * METRICS);
        for r in &rows {
            assert!(r[5..12].iter().all(|v| v.parse::<f64>().unwrap().is_finite()), "{r:?}");
        }
        let find = |year: &str, o: &str, b: &str, m: &str| {
            rows.iter().find(|r| r[1] == year && r[2] == o && r[3] == b && r[4] == m).unwrap().clone()
        };
        // 2024 has two months: sales summed, mean over replicates (10 + 14) / 2.
        assert_eq!(find("2024", "central_state", "top_5", "sales")[5], "12");
        assert_eq!(find("2024", "central_state", "top_5", "sales_share")[5], "1");
        assert_eq!(find("2024", "central_state", "top_5", "profit_margin")[5], "0.1");
        assert_eq!(find("2024", "central_state", "top_5", "groups")[12], "2");
        // An empty key: counts are 0 with every replicate; ratios have none (n = 0, written 0).
        assert_eq!(find("2025", "private", "rest", "sales")[5..].join(","), "0,0,0,0,0,0,0,2");
        assert_eq!(find("2025", "private", "rest", "sales_share")[12], "2");
        assert_eq!(find("2025", "private", "rest", "profit_margin")[5..].join(","), "0,0,0,0,0,0,0,0");
    }
}
