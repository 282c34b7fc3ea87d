//! The observables of one simulated month: the metric names of the output contract and one
//! replicate's trajectory of them.

use crate::scenario::YearMonth;

/// How a metric aggregates over a year in `annual.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A flow per month (vehicles/month, yuan/month): summed over the months of a year.
    Flow,
    /// A stock, level, price or ratio: averaged over the months of a year.
    Level,
}

/// The fixed metrics, in output order, with their kind and unit. `exports_<market_id>` follow
/// them, one per foreign market, in the scenario's market order (kind `Flow`).
pub const CORE_METRICS: &[(&str, MetricKind, &str)] = &[
    ("production", MetricKind::Flow, "vehicles/month"),
    ("capacity", MetricKind::Level, "vehicles/month"),
    ("utilization", MetricKind::Level, "fraction"),
    ("domestic_retail_sales", MetricKind::Flow, "vehicles/month"),
    ("zero_mileage_exports", MetricKind::Flow, "vehicles/month"),
    ("new_car_exports", MetricKind::Flow, "vehicles/month"),
    ("reported_domestic_sales", MetricKind::Flow, "vehicles/month"),
    ("inventory", MetricKind::Level, "vehicles"),
    ("avg_list_price", MetricKind::Level, "yuan"),
    ("avg_transaction_price", MetricKind::Level, "yuan"),
    ("price_index", MetricKind::Level, "index, first month = 100"),
    ("avg_discount", MetricKind::Level, "fraction"),
    ("share_cutting_price", MetricKind::Level, "fraction"),
    ("active_automakers", MetricKind::Level, "count"),
    ("exits", MetricKind::Flow, "count/month"),
    ("bailouts", MetricKind::Flow, "count/month"),
    ("industry_profit_margin", MetricKind::Level, "fraction"),
    ("local_subsidy_spend", MetricKind::Flow, "yuan/month"),
    ("participating_governments", MetricKind::Level, "count"),
    ("active_exporters", MetricKind::Level, "count"),
    ("exporter_margin", MetricKind::Level, "yuan/vehicle"),
    ("consumers_waiting_share", MetricKind::Level, "fraction"),
    ("expected_price_change", MetricKind::Level, "fraction/month"),
    ("zero_mileage_ev_share", MetricKind::Level, "fraction"),
];

/// Index of each core metric in a trajectory row (same order as [`CORE_METRICS`]).
#[allow(missing_docs)]
pub mod idx {
    pub const PRODUCTION: usize = 0;
    pub const CAPACITY: usize = 1;
    pub const UTILIZATION: usize = 2;
    pub const DOMESTIC_RETAIL_SALES: usize = 3;
    pub const ZERO_MILEAGE_EXPORTS: usize = 4;
    pub const NEW_CAR_EXPORTS: usize = 5;
    pub const REPORTED_DOMESTIC_SALES: usize = 6;
    pub const INVENTORY: usize = 7;
    pub const AVG_LIST_PRICE: usize = 8;
    pub const AVG_TRANSACTION_PRICE: usize = 9;
    pub const PRICE_INDEX: usize = 10;
    pub const AVG_DISCOUNT: usize = 11;
    pub const SHARE_CUTTING_PRICE: usize = 12;
    pub const ACTIVE_AUTOMAKERS: usize = 13;
    pub const EXITS: usize = 14;
    pub const BAILOUTS: usize = 15;
    pub const INDUSTRY_PROFIT_MARGIN: usize = 16;
    pub const LOCAL_SUBSIDY_SPEND: usize = 17;
    pub const PARTICIPATING_GOVERNMENTS: usize = 18;
    pub const ACTIVE_EXPORTERS: usize = 19;
    pub const EXPORTER_MARGIN: usize = 20;
    pub const CONSUMERS_WAITING_SHARE: usize = 21;
    pub const EXPECTED_PRICE_CHANGE: usize = 22;
    pub const ZERO_MILEAGE_EV_SHARE: usize = 23;
    /// First `exports_<market>` column.
    pub const FIRST_MARKET: usize = 24;
}

/// Names and kinds of every metric of a scenario, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSet {
    /// Metric names (`production`, …, `exports_russia`, …).
    pub names: Vec<String>,
    /// Aggregation kind of each metric.
    pub kinds: Vec<MetricKind>,
    /// Unit of each metric.
    pub units: Vec<String>,
}

impl MetricSet {
    /// The metric set for a scenario with these foreign market ids.
    pub fn new<S: AsRef<str>>(market_ids: &[S]) -> Self {
        let mut names: Vec<String> = CORE_METRICS.iter().map(|m| m.0.to_string()).collect();
        let mut kinds: Vec<MetricKind> = CORE_METRICS.iter().map(|m| m.1).collect();
        let mut units: Vec<String> = CORE_METRICS.iter().map(|m| m.2.to_string()).collect();
        for id in market_ids {
            names.push(format!("exports_{}", id.as_ref()));
            kinds.push(MetricKind::Flow);
            units.push("vehicles/month".to_string());
        }
        MetricSet { names, kinds, units }
    }

    /// Number of metrics.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no metrics (never for a real scenario).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Position of a metric by name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// One replicate's path: for each simulated month, one value per metric of its [`MetricSet`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Simulated months in order.
    pub dates: Vec<YearMonth>,
    /// Number of metrics per month (the row width).
    pub width: usize,
    /// Row-major values: month `i`, metric `j` at `values[i * width + j]`.
    pub values: Vec<f64>,
}

impl Trajectory {
    /// An empty trajectory with rows of `width` metrics.
    pub fn new(width: usize, months: usize) -> Self {
        Trajectory { dates: Vec::with_capacity(months), width, values: Vec::with_capacity(months * width) }
    }

    /// Appends the row of one month.
    pub fn push(&mut self, date: YearMonth, row: &[f64]) {
        debug_assert_eq!(row.len(), self.width);
        self.dates.push(date);
        self.values.extend_from_slice(row);
    }

    /// Number of months.
    pub fn months(&self) -> usize {
        self.dates.len()
    }

    /// The metric row of month `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// Value of metric `j` in month `i`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.width + j]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_match_names() {
        let set = MetricSet::new(&["russia"]);
        assert_eq!(set.position("production"), Some(idx::PRODUCTION));
        assert_eq!(set.position("zero_mileage_ev_share"), Some(idx::ZERO_MILEAGE_EV_SHARE));
        assert_eq!(set.position("exports_russia"), Some(idx::FIRST_MARKET));
        assert_eq!(set.position("price_index"), Some(idx::PRICE_INDEX));
        assert_eq!(set.len(), CORE_METRICS.len() + 1);
    }
}
