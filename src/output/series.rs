//! The shape of one scenario's output: its name, metric set and simulated months.

use crate::model::metrics::{MetricSet, Trajectory};
use crate::scenario::{Pairing, Scenario, YearMonth};

/// What every replicate of one scenario looks like: the writers size their tables from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSeries {
    /// Scenario name, written in the `scenario` column.
    pub name: String,
    /// Metrics of each month, in column order.
    pub metrics: MetricSet,
    /// Simulated months, in order; month index `i` of a trajectory is `dates[i]`.
    pub dates: Vec<YearMonth>,
    /// Horizon and resolution: `deltas.csv` compares only scenarios paired with the baseline.
    pub pairing: Pairing,
}

impl ScenarioSeries {
    /// The shape of `scenario`'s output: its name, its metric set (core metrics plus
    /// `exports_<market>` per foreign market), its months from `start` to `end` and its
    /// pairing.
    pub fn of(scenario: &Scenario) -> ScenarioSeries {
        let markets: Vec<&str> = scenario.markets.iter().map(|m| m.id.as_str()).collect();
        ScenarioSeries {
            name: scenario.name.clone(),
            metrics: MetricSet::new(&markets),
            dates: (0..scenario.months()).map(|i| scenario.start.offset(i as i64)).collect(),
            pairing: scenario.pairing(),
        }
    }

    /// Panics unless `traj` has exactly this series' months and metric count: a mismatch is a
    /// bug in the caller, not bad input.
    pub(crate) fn assert_fits(&self, traj: &Trajectory) {
        assert_eq!(
            traj.width,
            self.metrics.len(),
            "scenario `{}`: trajectory rows have {} metrics, expected {}",
            self.name,
            traj.width,
            self.metrics.len()
        );
        assert!(
            traj.dates == self.dates,
            "scenario `{}`: trajectory covers {} months, not the {} expected months",
            self.name,
            traj.months(),
            self.dates.len()
        );
        assert_eq!(
            traj.values.len(),
            traj.months() * traj.width,
            "scenario `{}`: trajectory values do not fill its rows",
            self.name
        );
    }
}
