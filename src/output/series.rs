//! The shape of one scenario's output: its name, metric set and simulated months.

use crate::model::metrics::{MetricSet, Trajectory};
use crate::scenario::YearMonth;

/// What every replicate of one scenario looks like: the writers size their tables from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSeries {
    /// Scenario name, written in the `scenario` column.
    pub name: String,
    /// Metrics of each month, in column order.
    pub metrics: MetricSet,
    /// Simulated months, in order; month index `i` of a trajectory is `dates[i]`.
    pub dates: Vec<YearMonth>,
}

impl ScenarioSeries {
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
