//! Outcomes: one number per replicate, defined from a metric of the output contract by a
//! window of months and an aggregation ("zero-mileage exports summed over 2024", "active
//! automakers in the last month"). Sweeps summarise outcomes per design point; fact checks and
//! calibration compare them with observed values.

use crate::engine::quantile::quantile_sorted;
use crate::model::metrics::{Annual, MetricSet, Trajectory};
use crate::scenario::spans::similar;
use crate::scenario::YearMonth;

/// How the months of a window are reduced to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Sum over the window (flows: vehicles/month summed to vehicles).
    Sum,
    /// Arithmetic mean over the window.
    Mean,
    /// Smallest monthly value.
    Min,
    /// Largest monthly value.
    Max,
    /// Value in the first month of the window.
    First,
    /// Value in the last month of the window.
    Last,
    /// Last minus first month of the window.
    Change,
    /// Last month divided by the first month of the window (a relative change; NaN when the
    /// first month is 0).
    Ratio,
}

impl Aggregation {
    /// Every aggregation with its name in files.
    pub const ALL: [(Aggregation, &'static str); 8] = [
        (Aggregation::Sum, "sum"),
        (Aggregation::Mean, "mean"),
        (Aggregation::Min, "min"),
        (Aggregation::Max, "max"),
        (Aggregation::First, "first"),
        (Aggregation::Last, "last"),
        (Aggregation::Change, "change"),
        (Aggregation::Ratio, "ratio"),
    ];

    /// The name used in sweep, target and calibration files.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(a, _)| *a == self).map_or("sum", |(_, n)| n)
    }

    /// Parses a name of [`Aggregation::ALL`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(a, _)| *a)
    }

    /// The natural aggregation of a metric over a window: its annual aggregation (as in
    /// `annual.csv`: flows and capacity summed, the others averaged).
    pub fn natural(annual: Annual) -> Self {
        match annual {
            Annual::Sum => Aggregation::Sum,
            Annual::Mean => Aggregation::Mean,
            Annual::Last => Aggregation::Last,
        }
    }
}

/// The months an outcome looks at (inclusive bounds; `None` = the run's first or last month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// First month, or the run's start.
    pub from: Option<YearMonth>,
    /// Last month, or the run's end.
    pub to: Option<YearMonth>,
}

impl Window {
    /// The whole calendar year `year`.
    pub fn year(year: i32) -> Self {
        Window { from: Some(YearMonth { year, month: 1 }), to: Some(YearMonth { year, month: 12 }) }
    }

    /// Human-readable text: `2024`, `2024-03..2024-08`, `whole run`, `..2024-06`.
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (None, None) => "whole run".into(),
            (Some(f), Some(t)) if f.year == t.year && f.month == 1 && t.month == 12 => f.year.to_string(),
            (Some(f), Some(t)) if f == t => f.to_string(),
            (f, t) => format!(
                "{}..{}",
                f.map(|d| d.to_string()).unwrap_or_default(),
                t.map(|d| d.to_string()).unwrap_or_default()
            ),
        }
    }
}

/// An outcome as written in a file: a name, a metric, a window and an aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeSpec {
    /// Column-safe name (`[A-Za-z0-9_]+`), e.g. `zm_exports_2024`.
    pub name: String,
    /// Metric name of the output contract (see `zeromile describe` and docs/model.md).
    pub metric: String,
    /// Months reduced.
    pub window: Window,
    /// Reduction.
    pub aggregation: Aggregation,
    /// Free-text label for charts and tables (defaults to the name).
    pub label: Option<String>,
}

/// Why an outcome cannot be evaluated on a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeError(pub String);

impl std::fmt::Display for OutcomeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when `name` can be a CSV column prefix: ASCII letters, digits and `_`, not empty.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An outcome resolved against a run's metric set and months: ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The definition.
    pub spec: OutcomeSpec,
    /// Column of the metric in a trajectory row.
    pub metric_index: usize,
    /// Month indices `first..=last` of the window within the run.
    pub months: (usize, usize),
    /// Unit of the outcome (the metric's unit; `/month` dropped by a sum).
    pub unit: String,
}

impl Outcome {
    /// Resolves `spec` for a run with these metrics starting at `start` for `months` months.
    pub fn resolve(
        spec: &OutcomeSpec,
        metrics: &MetricSet,
        start: YearMonth,
        months: usize,
    ) -> Result<Self, OutcomeError> {
        if !valid_name(&spec.name) {
            return Err(OutcomeError(format!(
                "outcome name {:?} must be letters, digits and `_` (it becomes a CSV column)",
                spec.name
            )));
        }
        let Some(metric_index) = metrics.position(&spec.metric) else {
            let hint = match similar(&spec.metric, &metrics.names, 0.8).next() {
                Some(c) => format!(" (did you mean `{c}`?)"),
                None => format!("; known metrics: {}", metrics.names.join(", ")),
            };
            return Err(OutcomeError(format!("unknown metric `{}`{hint}", spec.metric)));
        };
        if months == 0 {
            return Err(OutcomeError("the run has no months".into()));
        }
        let end = start.offset(months as i64 - 1);
        let from = spec.window.from.unwrap_or(start);
        let to = spec.window.to.unwrap_or(end);
        if from > to {
            return Err(OutcomeError(format!("window {from}..{to} is empty: `from` is after `to`")));
        }
        if from < start || to > end {
            return Err(OutcomeError(format!("window {}..{} is not inside the run {start}..{end}", from, to)));
        }
        let first = start.months_until(from) as usize;
        let last = start.months_until(to) as usize;
        let unit = metrics.units[metric_index].clone();
        let unit = match spec.aggregation {
            Aggregation::Sum => unit.strip_suffix("/month").map_or(unit.clone(), str::to_string),
            Aggregation::Ratio => "ratio".to_string(),
            _ => unit,
        };
        Ok(Outcome { spec: spec.clone(), metric_index, months: (first, last), unit })
    }

    /// The outcome's value in one replicate.
    pub fn evaluate(&self, traj: &Trajectory) -> f64 {
        let (first, last) = self.months;
        let values = (first..=last).map(|i| traj.get(i, self.metric_index));
        match self.spec.aggregation {
            Aggregation::Sum => values.sum(),
            Aggregation::Mean => values.sum::<f64>() / (last - first + 1) as f64,
            Aggregation::Min => values.fold(f64::INFINITY, f64::min),
            Aggregation::Max => values.fold(f64::NEG_INFINITY, f64::max),
            Aggregation::First => traj.get(first, self.metric_index),
            Aggregation::Last => traj.get(last, self.metric_index),
            Aggregation::Change => traj.get(last, self.metric_index) - traj.get(first, self.metric_index),
            Aggregation::Ratio => {
                let base = traj.get(first, self.metric_index);
                if base == 0.0 {
                    f64::NAN
                } else {
                    traj.get(last, self.metric_index) / base
                }
            }
        }
    }

    /// The label for charts and tables.
    pub fn label(&self) -> &str {
        self.spec.label.as_deref().unwrap_or(&self.spec.name)
    }
}

/// Summary of an outcome over the replicates of one design point or scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutcomeStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); `None` with one replicate.
    pub sd: Option<f64>,
    /// 5% quantile.
    pub p05: f64,
    /// Median.
    pub p50: f64,
    /// 95% quantile.
    pub p95: f64,
}

impl OutcomeStats {
    /// Statistics of `values` (at least one); quantiles by linear interpolation between order
    /// statistics ([`quantile_sorted`]: Hyndman–Fan type 7, as R's and NumPy's defaults). `None`
    /// for no values.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd =
            (values.len() > 1).then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(OutcomeStats {
            mean,
            sd,
            p05: quantile_sorted(&sorted, 0.05)?,
            p50: quantile_sorted(&sorted, 0.5)?,
            p95: quantile_sorted(&sorted, 0.95)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traj() -> (Trajectory, MetricSet, YearMonth) {
        let metrics = MetricSet::new(&["russia"]);
        let start = YearMonth::new(2023, 11).unwrap();
        let mut t = Trajectory::new(metrics.len(), 4);
        for i in 0..4 {
            let row: Vec<f64> = (0..metrics.len()).map(|j| (i * 10 + j) as f64).collect();
            t.push(start.offset(i as i64), &row);
        }
        (t, metrics, start)
    }

    fn spec(metric: &str, window: Window, aggregation: Aggregation) -> OutcomeSpec {
        OutcomeSpec { name: "o".into(), metric: metric.into(), window, aggregation, label: None }
    }

    #[test]
    fn aggregations_over_a_window() {
        let (t, m, start) = traj();
        let zm = crate::model::metrics::idx::ZERO_MILEAGE_EXPORTS as f64;
        let y2024 = Window::year(2024); // months 2 and 3 of the run
        let eval = |a| Outcome::resolve(&spec("zero_mileage_exports", y2024, a), &m, start, 4).map_err(|e| e.0);
        assert!(eval(Aggregation::Sum).is_err(), "2024 is not fully inside 2023-11..2024-02");
        let w = Window { from: YearMonth::new(2024, 1), to: YearMonth::new(2024, 2) };
        let eval = |a| Outcome::resolve(&spec("zero_mileage_exports", w, a), &m, start, 4).unwrap().evaluate(&t);
        assert_eq!(eval(Aggregation::Sum), (20.0 + zm) + (30.0 + zm));
        assert_eq!(eval(Aggregation::Mean), 25.0 + zm);
        assert_eq!(eval(Aggregation::Min), 20.0 + zm);
        assert_eq!(eval(Aggregation::Max), 30.0 + zm);
        assert_eq!(eval(Aggregation::First), 20.0 + zm);
        assert_eq!(eval(Aggregation::Last), 30.0 + zm);
        assert_eq!(eval(Aggregation::Change), 10.0);
        assert_eq!(eval(Aggregation::Ratio), (30.0 + zm) / (20.0 + zm));
        let whole =
            Outcome::resolve(&spec("exports_russia", Window::default(), Aggregation::Last), &m, start, 4).unwrap();
        assert_eq!(whole.months, (0, 3));
        assert_eq!(whole.evaluate(&t), 30.0 + m.position("exports_russia").unwrap() as f64);
    }

    #[test]
    fn units_follow_the_aggregation() {
        let (_, m, start) = traj();
        let sum = Outcome::resolve(&spec("production", Window::default(), Aggregation::Sum), &m, start, 4).unwrap();
        assert_eq!(sum.unit, "vehicles");
        let mean = Outcome::resolve(&spec("production", Window::default(), Aggregation::Mean), &m, start, 4).unwrap();
        assert_eq!(mean.unit, "vehicles/month");
    }

    #[test]
    fn bad_definitions_are_explained() {
        let (_, m, start) = traj();
        let e = Outcome::resolve(&spec("zero_milage_exports", Window::default(), Aggregation::Sum), &m, start, 4)
            .unwrap_err();
        assert!(e.0.contains("did you mean `zero_mileage_exports`"), "{e}");
        let mut s = spec("production", Window::default(), Aggregation::Sum);
        s.name = "bad name".into();
        assert!(Outcome::resolve(&s, &m, start, 4).unwrap_err().0.contains("letters, digits"));
        let back = Window { from: YearMonth::new(2024, 2), to: YearMonth::new(2024, 1) };
        assert!(Outcome::resolve(&spec("production", back, Aggregation::Sum), &m, start, 4)
            .unwrap_err()
            .0
            .contains("empty"));
    }

    #[test]
    fn stats_and_quantiles() {
        let s = OutcomeStats::of(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.sd.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.p50, 2.5);
        assert!((s.p05 - 1.15).abs() < 1e-12);
        assert!((s.p95 - 3.85).abs() < 1e-12);
        let one = OutcomeStats::of(&[7.0]).unwrap();
        assert_eq!((one.mean, one.sd, one.p05, one.p95), (7.0, None, 7.0, 7.0));
        assert!(OutcomeStats::of(&[]).is_none());
        assert_eq!(Aggregation::parse("last"), Some(Aggregation::Last));
        assert_eq!(Aggregation::parse("median"), None);
        assert_eq!(Window::year(2024).describe(), "2024");
    }
}
