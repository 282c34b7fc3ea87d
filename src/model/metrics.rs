//! The observables of one simulated month: the metric names of the output contract and one
//! replicate's trajectory of them.

use super::automaker::{Accounts, Automaker};
use super::consumer::Tally;
use super::exporter::{ExportFlows, Exporter};
use super::foreign_market::{ForeignMarket, ZeroMileageSales};
use super::government::Government;
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
    ("nev_share_retail", MetricKind::Level, "fraction"),
    ("domestic_retail_sales_nev", MetricKind::Flow, "vehicles/month"),
    ("domestic_retail_sales_ice", MetricKind::Flow, "vehicles/month"),
    ("avg_list_price_nev", MetricKind::Level, "yuan"),
    ("avg_list_price_ice", MetricKind::Level, "yuan"),
    ("avg_transaction_price_nev", MetricKind::Level, "yuan"),
    ("avg_transaction_price_ice", MetricKind::Level, "yuan"),
    ("avg_discount_nev", MetricKind::Level, "fraction"),
    ("avg_discount_ice", MetricKind::Level, "fraction"),
    ("avg_list_cut_nev", MetricKind::Level, "fraction"),
    ("avg_list_cut_ice", MetricKind::Level, "fraction"),
    ("new_car_exports_nev", MetricKind::Flow, "vehicles/month"),
    ("new_car_exports_ice", MetricKind::Flow, "vehicles/month"),
    ("zero_mileage_exports_nev", MetricKind::Flow, "vehicles/month"),
    ("zero_mileage_exports_ice", MetricKind::Flow, "vehicles/month"),
    ("capacity_nev", MetricKind::Level, "vehicles/month"),
    ("capacity_ice", MetricKind::Level, "vehicles/month"),
];

/// The metrics reported by powertrain, each as a `_nev` and an `_ice` column from
/// [`idx::FIRST_POWERTRAIN`] on, in this order.
pub const POWERTRAIN_METRICS: &[&str] = &[
    "domestic_retail_sales",
    "avg_list_price",
    "avg_transaction_price",
    "avg_discount",
    "avg_list_cut",
    "new_car_exports",
    "zero_mileage_exports",
    "capacity",
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
    pub const NEV_SHARE_RETAIL: usize = 24;
    /// First of the metrics by powertrain (`<metric>_nev`, `<metric>_ice` pairs in
    /// [`super::POWERTRAIN_METRICS`] order).
    pub const FIRST_POWERTRAIN: usize = 25;
    /// First `exports_<market>` column.
    pub const FIRST_MARKET: usize = 41;
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
        debug_assert_eq!(CORE_METRICS[idx::FIRST_POWERTRAIN].0, "domestic_retail_sales_nev");
        debug_assert_eq!(idx::FIRST_MARKET, idx::FIRST_POWERTRAIN + 2 * POWERTRAIN_METRICS.len());
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

/// The typed results of one month's phases that the metrics row reports.
pub struct MonthResults<'a> {
    /// Households' tallies (phase 4).
    pub tally: &'a Tally,
    /// Exporter flows (phase 5).
    pub exports: &'a ExportFlows,
    /// Official new-car exports (phase 6, vehicles).
    pub new_car_exports: f64,
    /// Zero-mileage sales abroad (phase 7).
    pub zero_mileage: &'a ZeroMileageSales,
    /// Accounting of the groups (phase 8).
    pub accounts: &'a Accounts,
    /// Transaction price index after this month's change.
    pub price_index: f64,
}

/// The agents whose end-of-month state the metrics row reads.
pub struct Agents<'a> {
    /// Brand groups.
    pub firms: &'a [Automaker],
    /// Local governments.
    pub governments: &'a [Government],
    /// Zero-mileage traders.
    pub traders: &'a [Exporter],
    /// Foreign markets.
    pub markets: &'a [ForeignMarket],
}

/// Phase 9: one month's metric row (order of [`MetricSet`]) from the agents' end-of-month state
/// and the phases' results. Prices are retail-weighted means, or plain means over active groups
/// in a month without retail sales; capacity counts every group that produced this month.
pub fn fill_row(row: &mut [f64], agents: &Agents<'_>, r: &MonthResults<'_>) {
    row.iter_mut().for_each(|x| *x = 0.0);
    let firms = agents.firms;
    let active: Vec<&Automaker> = firms.iter().filter(|a| a.active).collect();
    let production: f64 = firms.iter().map(|a| a.production).sum();
    // Capacity this month of every firm that produced in it (exits at month end included), so
    // that utilisation compares like with like.
    let capacity: f64 = firms.iter().filter(|a| a.active || a.production > 0.0).map(|a| a.capacity_month).sum();
    let retail: f64 = firms.iter().map(|a| a.retail_sales).sum();
    let zm_reg: f64 = firms.iter().map(|a| a.zero_mileage_sales).sum();
    let (mut wl, mut wt, mut w) = (0.0, 0.0, 0.0);
    for a in firms {
        if a.retail_sales > 0.0 {
            wl += a.retail_sales * a.list_price;
            wt += a.retail_sales * a.transaction_price();
            w += a.retail_sales;
        }
    }
    if w <= 0.0 {
        for a in &active {
            wl += a.list_price;
            wt += a.transaction_price();
            w += 1.0;
        }
    }
    let n_active = active.len() as f64;
    let revenue: f64 = firms.iter().map(|a| a.revenue).sum();
    let profit: f64 = firms.iter().filter(|a| a.revenue != 0.0 || a.active).map(|a| a.profit).sum();
    let (shipped, zm) = (r.exports.shipped, r.zero_mileage);
    row[idx::PRODUCTION] = production;
    row[idx::CAPACITY] = capacity;
    row[idx::UTILIZATION] = if capacity > 0.0 { production / capacity } else { 0.0 };
    row[idx::DOMESTIC_RETAIL_SALES] = retail;
    row[idx::ZERO_MILEAGE_EXPORTS] = shipped;
    row[idx::NEW_CAR_EXPORTS] = r.new_car_exports;
    row[idx::REPORTED_DOMESTIC_SALES] = retail + zm_reg;
    row[idx::INVENTORY] = active.iter().map(|a| a.inventory).sum();
    row[idx::AVG_LIST_PRICE] = if w > 0.0 { wl / w } else { 0.0 };
    row[idx::AVG_TRANSACTION_PRICE] = if w > 0.0 { wt / w } else { 0.0 };
    row[idx::PRICE_INDEX] = r.price_index;
    row[idx::AVG_DISCOUNT] = if wl > 0.0 { 1.0 - wt / wl } else { 0.0 };
    row[idx::SHARE_CUTTING_PRICE] = if n_active > 0.0 {
        active.iter().filter(|a| a.list_price < a.list_prev).count() as f64 / n_active
    } else {
        0.0
    };
    // Groups with at least one active line (lines of a group are adjacent).
    let mut groups = 0;
    let mut last = usize::MAX;
    for a in &active {
        if a.group != last {
            (groups, last) = (groups + 1, a.group);
        }
    }
    row[idx::ACTIVE_AUTOMAKERS] = groups as f64;
    row[idx::EXITS] = r.accounts.exits as f64;
    row[idx::BAILOUTS] = r.accounts.bailouts as f64;
    row[idx::INDUSTRY_PROFIT_MARGIN] = if revenue > 0.0 { profit / revenue } else { 0.0 };
    row[idx::LOCAL_SUBSIDY_SPEND] = agents.governments.iter().map(|g| g.spend).sum();
    row[idx::PARTICIPATING_GOVERNMENTS] = agents.governments.iter().filter(|g| g.participating).count() as f64;
    row[idx::ACTIVE_EXPORTERS] = agents.traders.iter().filter(|t| t.active).count() as f64;
    row[idx::EXPORTER_MARGIN] = if zm.sold > 0.0 { zm.margin / zm.sold } else { 0.0 };
    let in_market = r.tally.in_market as f64;
    row[idx::CONSUMERS_WAITING_SHARE] = if in_market > 0.0 { r.tally.waiting as f64 / in_market } else { 0.0 };
    row[idx::EXPECTED_PRICE_CHANGE] = if in_market > 0.0 { r.tally.expectation_sum / in_market } else { 0.0 };
    row[idx::ZERO_MILEAGE_EV_SHARE] = if shipped > 0.0 { r.exports.shipped_ev / shipped } else { 0.0 };
    for (k, m) in agents.markets.iter().enumerate() {
        row[idx::FIRST_MARKET + k] = m.new_exports + m.zm_shipped;
    }
    fill_powertrains(row, firms, r.exports);
}

/// The metrics by powertrain ([`POWERTRAIN_METRICS`]): an NEV line counts as NEV, an ICE line
/// as ICE, a blended line (single powertrain) by its EV share e and 1 − e. Prices are
/// retail-weighted (plain means over active lines without retail sales); the list cut is the
/// retail-weighted mean 12-month list-price decline among lines whose list fell; the NEV share
/// of retail is NEV retail over all retail.
fn fill_powertrains(row: &mut [f64], firms: &[Automaker], exports: &ExportFlows) {
    let retail: f64 = firms.iter().map(|a| a.retail_sales).sum();
    let mut nev_retail = 0.0;
    for (k, nev) in [(0usize, true), (1, false)] {
        let weight = |a: &Automaker| if nev { a.ev_share } else { 1.0 - a.ev_share };
        let (mut q, mut wl, mut wt, mut w, mut cut, mut wc, mut x, mut cap) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for a in firms {
            let share = weight(a);
            q += share * a.retail_sales;
            x += share * a.export_sales;
            if a.active || a.production > 0.0 {
                cap += share * a.capacity_month;
            }
            if a.retail_sales > 0.0 {
                wl += share * a.retail_sales * a.list_price;
                wt += share * a.retail_sales * a.transaction_price();
                w += share * a.retail_sales;
            }
            let year_cut = a.cut_12m;
            if year_cut > 0.0 && a.active {
                cut += share * a.retail_sales.max(1e-9) * year_cut;
                wc += share * a.retail_sales.max(1e-9);
            }
        }
        if w <= 0.0 {
            for a in firms.iter().filter(|a| a.active) {
                wl += weight(a) * a.list_price;
                wt += weight(a) * a.transaction_price();
                w += weight(a);
            }
        }
        let zm = if nev { exports.shipped_ev } else { exports.shipped - exports.shipped_ev };
        let values = [
            q,
            if w > 0.0 { wl / w } else { 0.0 },
            if w > 0.0 { wt / w } else { 0.0 },
            if wl > 0.0 { 1.0 - wt / wl } else { 0.0 },
            if wc > 0.0 { cut / wc } else { 0.0 },
            x,
            zm.max(0.0),
            cap,
        ];
        for (m, v) in values.into_iter().enumerate() {
            row[idx::FIRST_POWERTRAIN + 2 * m + k] = v;
        }
        if nev {
            nev_retail = q;
        }
    }
    row[idx::NEV_SHARE_RETAIL] = if retail > 0.0 { nev_retail / retail } else { 0.0 };
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
