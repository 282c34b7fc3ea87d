//! The observables of one simulated month: the metric names of the output contract and one
//! replicate's trajectory of them.

use super::automaker::{Accounts, Automaker};
use super::consumer::Tally;
use super::dealer::{Dealer, DealerAccounts};
use super::exporter::{ExportFlows, Exporter};
use super::foreign_market::{ForeignMarket, ZeroMileageSales};
use super::government::{Government, National};
use crate::scenario::YearMonth;

/// What a metric measures: the `kind` column of `metrics.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A quantity per month (vehicles/month, yuan/month, count/month).
    Flow,
    /// A stock or count at a point in time (vehicles, count).
    Level,
    /// A ratio of two quantities (utilisation, discount, margin, change).
    Ratio,
    /// A share of a population or of a flow (0 to 1).
    Share,
    /// A price or price index.
    Price,
}

impl MetricKind {
    /// The name written in `metrics.csv`.
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::Flow => "flow",
            MetricKind::Level => "level",
            MetricKind::Ratio => "ratio",
            MetricKind::Share => "share",
            MetricKind::Price => "price",
        }
    }
}

/// How a metric's months become one calendar year's value in `annual.csv` (and a sweep or fact
/// outcome's default aggregation over its window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annual {
    /// Summed over the months: a per-month unit becomes a per-year one.
    Sum,
    /// Averaged over the months, in the monthly unit.
    Mean,
    /// The value of the year's last simulated month.
    Last,
}

impl Annual {
    /// The name written in `metrics.csv` (`sum`, `mean`, `last`).
    pub fn name(self) -> &'static str {
        match self {
            Annual::Sum => "sum",
            Annual::Mean => "mean",
            Annual::Last => "last",
        }
    }

    /// The unit of the annual value of a metric with monthly `unit`: `vehicles/month` summed is
    /// `vehicles/year`; a mean or last value keeps the monthly unit.
    pub fn unit(self, unit: &str) -> String {
        match (self, unit.strip_suffix("/month")) {
            (Annual::Sum, Some(base)) => format!("{base}/year"),
            _ => unit.to_string(),
        }
    }

    /// One year's value from its monthly values (at least one).
    pub fn aggregate(self, months: impl ExactSizeIterator<Item = f64>) -> f64 {
        let n = months.len() as f64;
        match self {
            Annual::Sum => months.sum(),
            Annual::Mean => months.sum::<f64>() / n,
            Annual::Last => months.last().unwrap_or(f64::NAN),
        }
    }
}

/// One metric of the output contract, declared once: its row of `metrics.csv`, its annual
/// aggregation, and its definition in docs/model.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    /// Column or `metric` value in the output files.
    pub name: &'static str,
    /// What it measures.
    pub kind: MetricKind,
    /// How a calendar year aggregates it in `annual.csv`.
    pub annual: Annual,
    /// Unit of the monthly value (`summary.csv`, `trajectories.csv`).
    pub unit: &'static str,
    /// Section of docs/model.md holding the equation, as `docs/model.md#anchor`.
    pub source: &'static str,
    /// What is computed in phase 9.
    pub definition: &'static str,
}

impl MetricDef {
    /// Unit of the value in `annual.csv`.
    pub fn annual_unit(&self) -> String {
        self.annual.unit(self.unit)
    }
}

/// Shorthand for a [`CORE_METRICS`] entry: name, kind, annual aggregation, monthly unit, source
/// section in docs/model.md, definition.
const fn metric(
    name: &'static str,
    kind: MetricKind,
    annual: Annual,
    unit: &'static str,
    source: &'static str,
    definition: &'static str,
) -> MetricDef {
    MetricDef { name, kind, annual, unit, source, definition }
}

use Annual::{Mean, Sum};
use MetricKind::{Flow, Level, Price, Ratio, Share};

const AUTOMAKERS: &str = "docs/model.md#71-automakers-phase-3-automakerplan";
const PRICES: &str = "docs/model.md#72-observed-prices-and-expectation-rules-end-of-phase-3";
const HOUSEHOLDS: &str = "docs/model.md#73-households-phase-4-consumerdecide_all-consumersettle";
const EXPORTERS: &str = "docs/model.md#74-exporters-phase-5-exportertrade";
const GOVERNMENTS: &str = "docs/model.md#75-local-governments-phase-2-governmentupdate";
const MARKETS: &str = "docs/model.md#76-foreign-markets-phases-67-foreign_market";
const ACCOUNTING: &str = "docs/model.md#77-accounting-finance-capacity-and-brands-phase-8";
const FISCAL: &str = "docs/model.md#78-fiscal-accounts-and-welfare";
const DEALERS: &str = "docs/model.md#72b-dealers-phases-3-5-and-8-dealer";

/// The fixed metrics, in output order. `exports_<market_id>` follow them, one per foreign
/// market, in the scenario's market order (see [`MARKET_EXPORTS`]). Append a metric with one
/// `metric(…)` line here (one line per metric: the table is not reformatted), a constant in
/// [`idx`] and its value in [`fill_row`].
#[rustfmt::skip]
pub const CORE_METRICS: &[MetricDef] = &[
    metric("production", Flow, Sum, "vehicles/month", AUTOMAKERS, "Vehicles produced, all groups."),
    metric("capacity", Flow, Sum, "vehicles/month", ACCOUNTING, "Production capacity as it stood when production was planned, over groups active or producing this month (groups exiting at month end included). Summed per year like production, so the two compare in vehicles/year."),
    metric("utilization", Ratio, Mean, "fraction", ACCOUNTING, "production / capacity (0 without capacity)."),
    metric("domestic_retail_sales", Flow, Sum, "vehicles/month", HOUSEHOLDS, "Retail sales to households."),
    metric("zero_mileage_exports", Flow, Sum, "vehicles/month", EXPORTERS, "Zero-mileage cars shipped out of the export pipelines, all destinations (shipments, not registrations)."),
    metric("new_car_exports", Flow, Sum, "vehicles/month", MARKETS, "Official new-car exports supplied."),
    metric("reported_domestic_sales", Flow, Sum, "vehicles/month", EXPORTERS, "domestic_retail_sales + zero-mileage registrations from both routes (factories and dealers): the registration statistic that includes cars later exported."),
    metric("inventory", Level, Mean, "vehicles", AUTOMAKERS, "Unsold new cars of active groups at their factories at the month's end (dealers' stock is dealer_inventory)."),
    metric("avg_list_price", Price, Mean, "yuan", AUTOMAKERS, "List price weighted by retail sales (plain mean over active groups in a month without retail sales)."),
    metric("avg_transaction_price", Price, Mean, "yuan", AUTOMAKERS, "Transaction price (list price less discounts), with the weights of avg_list_price."),
    metric("price_index", Price, Mean, "index, first month = 100", PRICES, "Chained transaction-price index."),
    metric("avg_discount", Ratio, Mean, "fraction", AUTOMAKERS, "1 - weighted transaction price / weighted list price: street plus year-end push discount."),
    metric("share_cutting_price", Share, Mean, "fraction", AUTOMAKERS, "Share of active lines whose list price fell by at least PRICE_CUT_THRESHOLD (1 %) this month."),
    metric("active_automakers", Level, Mean, "count", ACCOUNTING, "Groups with an active line at the month's end."),
    metric("exits", Flow, Sum, "count/month", ACCOUNTING, "Groups that exited this month."),
    metric("bailouts", Flow, Sum, "count/month", ACCOUNTING, "Bailouts granted this month."),
    metric("industry_profit_margin", Ratio, Mean, "fraction", ACCOUNTING, "Total profit / total revenue over groups active or with revenue this month (0 without revenue)."),
    metric("local_subsidy_spend", Flow, Sum, "yuan/month", GOVERNMENTS, "Local governments' spending: production subsidies, export support, capital subsidies and bailouts."),
    metric("participating_governments", Level, Mean, "count", GOVERNMENTS, "Local governments backing zero-mileage exports this month."),
    metric("active_exporters", Level, Mean, "count", EXPORTERS, "Active traders after this month's entry and exit."),
    metric("exporter_margin", Price, Mean, "yuan/vehicle", MARKETS, "Realised margin per zero-mileage car sold abroad this month (0 when none were sold)."),
    metric("consumers_waiting_share", Share, Mean, "fraction", HOUSEHOLDS, "Households in the market with positive surplus who chose to wait / households in the market."),
    metric("expected_price_change", Ratio, Mean, "fraction/month", PRICES, "Mean expected price change of households in the market."),
    metric("zero_mileage_ev_share", Share, Mean, "fraction", EXPORTERS, "EV share of the cars counted in zero_mileage_exports (0 if none)."),
    metric("nev_share_retail", Share, Mean, "fraction", HOUSEHOLDS, "NEV retail sales / all retail sales (0 without retail sales)."),
    metric("hidden_discount", Ratio, Mean, "fraction", AUTOMAKERS, "Hidden discount (free insurance, financing) under a below-cost ban: retail-weighted hidden discount / weighted list price, with the weights of avg_list_price; off the invoice, so not in avg_discount or avg_transaction_price (0 without a ban)."),
    metric("domestic_retail_sales_nev", Flow, Sum, "vehicles/month", HOUSEHOLDS, "Retail sales of NEVs: an NEV line counts as NEV, an ICE line as ICE, a blended line (single powertrain) by its EV share."),
    metric("domestic_retail_sales_ice", Flow, Sum, "vehicles/month", HOUSEHOLDS, "Retail sales of ICE cars, split as domestic_retail_sales_nev."),
    metric("avg_list_price_nev", Price, Mean, "yuan", AUTOMAKERS, "NEV list price weighted by NEV retail sales (plain mean over active lines without retail sales)."),
    metric("avg_list_price_ice", Price, Mean, "yuan", AUTOMAKERS, "ICE list price, weighted as avg_list_price_nev."),
    metric("avg_transaction_price_nev", Price, Mean, "yuan", AUTOMAKERS, "NEV transaction price, weighted as avg_list_price_nev."),
    metric("avg_transaction_price_ice", Price, Mean, "yuan", AUTOMAKERS, "ICE transaction price, weighted as avg_list_price_nev."),
    metric("avg_discount_nev", Ratio, Mean, "fraction", AUTOMAKERS, "1 - weighted NEV transaction price / weighted NEV list price."),
    metric("avg_discount_ice", Ratio, Mean, "fraction", AUTOMAKERS, "1 - weighted ICE transaction price / weighted ICE list price."),
    metric("avg_list_cut_nev", Ratio, Mean, "fraction", AUTOMAKERS, "Retail-weighted mean 12-month list-price decline of the NEV lines whose list price fell."),
    metric("avg_list_cut_ice", Ratio, Mean, "fraction", AUTOMAKERS, "Retail-weighted mean 12-month list-price decline of the ICE lines whose list price fell."),
    metric("new_car_exports_nev", Flow, Sum, "vehicles/month", MARKETS, "Official new-car exports of NEVs."),
    metric("new_car_exports_ice", Flow, Sum, "vehicles/month", MARKETS, "Official new-car exports of ICE cars."),
    metric("zero_mileage_exports_nev", Flow, Sum, "vehicles/month", EXPORTERS, "Zero-mileage NEVs shipped out of the export pipelines."),
    metric("zero_mileage_exports_ice", Flow, Sum, "vehicles/month", EXPORTERS, "Zero-mileage ICE cars shipped out of the export pipelines."),
    metric("capacity_nev", Flow, Sum, "vehicles/month", ACCOUNTING, "NEV production capacity, counted as capacity; summed per year like capacity."),
    metric("capacity_ice", Flow, Sum, "vehicles/month", ACCOUNTING, "ICE production capacity, counted as capacity; summed per year like capacity."),
    metric("trade_in_claims", Flow, Sum, "vehicles/month", HOUSEHOLDS, "Trade-in subsidy claims: served buyers claiming the scrapping or the replacement subsidy (trade_in_claims_scrap + trade_in_claims_replace), scaled to households like retail sales."),
    metric("trade_in_claims_scrap", Flow, Sum, "vehicles/month", HOUSEHOLDS, "Scrapping claims: served owners of a car bought before the scrapping cut-off, on a line with a positive scrapping subsidy at least the replacement one."),
    metric("trade_in_claims_replace", Flow, Sum, "vehicles/month", HOUSEHOLDS, "Replacement claims: other served owners on a line with a positive replacement subsidy."),
    metric("buyer_surplus", Flow, Sum, "yuan/month", FISCAL, "Realised surplus of this month's served buyers: sum of valuation - price paid, in households (not a logit log-sum)."),
    metric("fiscal_cost_national", Flow, Sum, "yuan/month", FISCAL, "National budget's cash spending: subsidy_trade_in's central share + subsidy_nev + export_vat_rebates."),
    metric("fiscal_cost_local", Flow, Sum, "yuan/month", FISCAL, "Local budgets' spending (= local_subsidy_spend): production, export, capital subsidies, bailouts, trade-in local share, rebate acceleration."),
    metric("subsidy_trade_in", Flow, Sum, "yuan/month", FISCAL, "Trade-in subsidies of served buyers, central and local shares together."),
    metric("subsidy_nev", Flow, Sum, "yuan/month", FISCAL, "National NEV purchase subsidies paid on retail sales."),
    metric("export_vat_rebates", Flow, Sum, "yuan/month", FISCAL, "VAT rebates on cars bought for zero-mileage export, paid by the national budget."),
    metric("rebate_acceleration_cost", Flow, Sum, "yuan/month", FISCAL, "Local governments' cost of advancing traders' VAT rebates (the delay cost removed)."),
    metric("tax_expenditure_nev", Flow, Sum, "yuan/month", FISCAL, "NEV purchase tax forgone on retail sales against the ICE rate: a tax expenditure, not cash."),
    metric("bailout_spend", Flow, Sum, "yuan/month", FISCAL, "Bailout money paid by local governments."),
    metric("export_support_spend", Flow, Sum, "yuan/month", FISCAL, "Local per-car export support paid to traders."),
    metric("total_welfare", Flow, Sum, "yuan/month", FISCAL, "buyer_surplus + automaker profits + trader margins realised abroad + dealer networks' profits - fiscal_cost_national - fiscal_cost_local."),
    metric("restructurings", Flow, Sum, "count/month", ACCOUNTING, "Groups reorganised in bankruptcy this month (too big to liquidate, not bailed out)."),
    metric("debt_writedowns", Flow, Sum, "yuan/month", ACCOUNTING, "Debt written down by creditors in reorganisations: the creditors' loss, paid by no budget and not in total_welfare (a transfer)."),
    metric("list_price_index", Price, Mean, "index, first month = 100", PRICES, "Chained like-for-like list-price index (last month's retail weights): avg_list_price / (its first month x list_price_index / 100) is the mix."),
    metric("wholesale_sales", Flow, Sum, "vehicles/month", DEALERS, "Automakers' domestic sales, CAAM's: cars shipped to their dealer networks + cars sold from the factory to zero-mileage traders (without a dealer tier, retail + those: reported_domestic_sales)."),
    metric("dealer_inventory", Level, Mean, "vehicles", DEALERS, "New cars in the dealer networks' stock at the month's end (0 without dealers)."),
    metric("dealer_inventory_coefficient", Ratio, Mean, "months of retail", DEALERS, "CADA's inventory coefficient: dealer_inventory / domestic_retail_sales of the month (0 without dealers or retail sales)."),
    metric("industry_stock_days", Ratio, Mean, "days of retail", DEALERS, "Stock of the whole channel, automakers' inventory + dealer_inventory, in days of this month's retail sales: 30 x stock / domestic_retail_sales (0 without retail sales)."),
    metric("dealer_margin", Ratio, Mean, "fraction", DEALERS, "Dealer networks' profit / their revenue from retail and traders (0 without revenue)."),
    metric("active_dealers", Level, Mean, "outlets", DEALERS, "Dealer outlets (4S stores) of the active networks at the month's end."),
    metric("zero_mileage_from_dealers", Flow, Sum, "vehicles/month", DEALERS, "Zero-mileage registrations bought by traders from dealer networks."),
    metric("zero_mileage_from_factories", Flow, Sum, "vehicles/month", EXPORTERS, "Zero-mileage registrations bought by traders from automakers' factory stock."),
    metric("dealer_discount", Ratio, Mean, "fraction", DEALERS, "Dealers' own discount beyond the automakers' (fraction of list), weighted by retail sales (plain mean over active networks without retail sales; 0 without dealers); part of avg_discount."),
    metric("dealer_closures", Flow, Sum, "outlets/month", DEALERS, "Dealer outlets closed this month (loss-making networks, and the networks of exiting lines)."),
    metric("dealer_target_rebates", Flow, Sum, "yuan/month", DEALERS, "Quarterly sales-target rebates automakers paid to the networks that reached their target (in a quarter's last month; part of their rebates)."),
];

/// Smallest fall of a line's list price in a month, as a fraction of last month's list, that
/// `share_cutting_price` counts as a cut (smaller moves are noise of the pricing rule).
pub const PRICE_CUT_THRESHOLD: f64 = 0.01;

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

/// The template of the per-market metrics `exports_<market_id>` (its `name` is the pattern).
pub const MARKET_EXPORTS: MetricDef = metric(
    "exports_<market>",
    Flow,
    Sum,
    "vehicles/month",
    MARKETS,
    "Exports to one foreign market: new-car exports + zero-mileage shipments.",
);

/// `collapse_share`, a row of `annual.csv` only: folded by the output layer from each
/// replicate's annual values (`output::collapse`), not a monthly metric.
pub const COLLAPSE_SHARE: MetricDef = metric(
    "collapse_share",
    Share,
    Mean,
    "fraction",
    FISCAL,
    "Annual only: share of replicates in which, that year, exports (new + zero-mileage) are below 1/3 of the replicate's 2024 exports (from 2024 on), or domestic retail sales below 1/2 of its 2019 sales (from 2019 on); a horizon without 2024 or 2019 takes its first year.",
);

/// The definition of the metric `name`: a core metric, [`COLLAPSE_SHARE`], or
/// [`MARKET_EXPORTS`] for `exports_<id>`; `None` for a name outside the output contract.
pub fn metric_def(name: &str) -> Option<&'static MetricDef> {
    CORE_METRICS
        .iter()
        .find(|m| m.name == name)
        .or_else(|| (name == COLLAPSE_SHARE.name).then_some(&COLLAPSE_SHARE))
        .or_else(|| name.starts_with("exports_").then_some(&MARKET_EXPORTS))
}

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
    pub const HIDDEN_DISCOUNT: usize = 25;
    /// First of the metrics by powertrain (`<metric>_nev`, `<metric>_ice` pairs in
    /// [`super::POWERTRAIN_METRICS`] order).
    pub const FIRST_POWERTRAIN: usize = 26;
    pub const TRADE_IN_CLAIMS: usize = 42;
    pub const TRADE_IN_CLAIMS_SCRAP: usize = 43;
    pub const TRADE_IN_CLAIMS_REPLACE: usize = 44;
    pub const BUYER_SURPLUS: usize = 45;
    pub const FISCAL_COST_NATIONAL: usize = 46;
    pub const FISCAL_COST_LOCAL: usize = 47;
    pub const SUBSIDY_TRADE_IN: usize = 48;
    pub const SUBSIDY_NEV: usize = 49;
    pub const EXPORT_VAT_REBATES: usize = 50;
    pub const REBATE_ACCELERATION_COST: usize = 51;
    pub const TAX_EXPENDITURE_NEV: usize = 52;
    pub const BAILOUT_SPEND: usize = 53;
    pub const EXPORT_SUPPORT_SPEND: usize = 54;
    pub const TOTAL_WELFARE: usize = 55;
    pub const RESTRUCTURINGS: usize = 56;
    pub const DEBT_WRITEDOWNS: usize = 57;
    pub const LIST_PRICE_INDEX: usize = 58;
    pub const WHOLESALE_SALES: usize = 59;
    pub const DEALER_INVENTORY: usize = 60;
    pub const DEALER_INVENTORY_COEFFICIENT: usize = 61;
    pub const INDUSTRY_STOCK_DAYS: usize = 62;
    pub const DEALER_MARGIN: usize = 63;
    pub const ACTIVE_DEALERS: usize = 64;
    pub const ZERO_MILEAGE_FROM_DEALERS: usize = 65;
    pub const ZERO_MILEAGE_FROM_FACTORIES: usize = 66;
    pub const DEALER_DISCOUNT: usize = 67;
    pub const DEALER_CLOSURES: usize = 68;
    pub const DEALER_TARGET_REBATES: usize = 69;
    /// First `exports_<market>` column.
    pub const FIRST_MARKET: usize = 70;
}

/// Names, annual aggregations and units of every metric of a scenario, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSet {
    /// Metric names (`production`, …, `exports_russia`, …).
    pub names: Vec<String>,
    /// Annual aggregation of each metric.
    pub annual: Vec<Annual>,
    /// Monthly unit of each metric.
    pub units: Vec<String>,
}

impl MetricSet {
    /// The metric set for a scenario with these foreign market ids.
    pub fn new<S: AsRef<str>>(market_ids: &[S]) -> Self {
        debug_assert_eq!(CORE_METRICS[idx::FIRST_POWERTRAIN].name, "domestic_retail_sales_nev");
        debug_assert_eq!(idx::TRADE_IN_CLAIMS, idx::FIRST_POWERTRAIN + 2 * POWERTRAIN_METRICS.len());
        debug_assert_eq!(idx::BUYER_SURPLUS, idx::TRADE_IN_CLAIMS + 3);
        debug_assert_eq!(idx::FIRST_MARKET, CORE_METRICS.len());
        let mut names: Vec<String> = CORE_METRICS.iter().map(|m| m.name.to_string()).collect();
        let mut annual: Vec<Annual> = CORE_METRICS.iter().map(|m| m.annual).collect();
        let mut units: Vec<String> = CORE_METRICS.iter().map(|m| m.unit.to_string()).collect();
        for id in market_ids {
            names.push(format!("exports_{}", id.as_ref()));
            annual.push(MARKET_EXPORTS.annual);
            units.push(MARKET_EXPORTS.unit.to_string());
        }
        MetricSet { names, annual, units }
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
    /// The months' group rows (`run --by-group`), [`super::groups::WIDTH`] values per month in
    /// the layout of [`super::groups::fill_groups`]; empty unless recorded.
    pub groups: Vec<f64>,
}

impl Trajectory {
    /// An empty trajectory with rows of `width` metrics.
    pub fn new(width: usize, months: usize) -> Self {
        Trajectory {
            dates: Vec::with_capacity(months),
            width,
            values: Vec::with_capacity(months * width),
            groups: Vec::new(),
        }
    }

    /// Appends the group row of the month last pushed ([`super::groups::WIDTH`] values).
    pub fn push_groups(&mut self, row: &[f64]) {
        debug_assert_eq!(row.len(), super::groups::WIDTH);
        self.groups.extend_from_slice(row);
    }

    /// True when every month has its group row.
    pub fn has_groups(&self) -> bool {
        self.groups.len() == self.months() * super::groups::WIDTH
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
    /// Accounting of the dealer networks (phase 8b; zero without dealers).
    pub dealers: &'a DealerAccounts,
    /// Transaction price index after this month's change.
    pub price_index: f64,
    /// Like-for-like list price index after this month's change.
    pub list_index: f64,
}

/// The agents whose end-of-month state the metrics row reads.
pub struct Agents<'a> {
    /// Brand groups.
    pub firms: &'a [Automaker],
    /// Local governments.
    pub governments: &'a [Government],
    /// The national fiscal account.
    pub national: &'a National,
    /// Zero-mileage traders.
    pub traders: &'a [Exporter],
    /// Foreign markets.
    pub markets: &'a [ForeignMarket],
    /// Dealer networks (empty without dealers).
    pub dealers: &'a [Dealer],
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
    let (mut wl, mut wt, mut wh, mut w) = (0.0, 0.0, 0.0, 0.0);
    for a in firms {
        if a.retail_sales > 0.0 {
            wl += a.retail_sales * a.list_price;
            wt += a.retail_sales * a.transaction_price();
            wh += a.retail_sales * a.hidden_discount;
            w += a.retail_sales;
        }
    }
    if w <= 0.0 {
        for a in &active {
            wl += a.list_price;
            wt += a.transaction_price();
            wh += a.hidden_discount;
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
    let zm_dealers: f64 = agents.dealers.iter().map(|d| d.to_exporters).sum();
    row[idx::REPORTED_DOMESTIC_SALES] = retail + zm_reg + zm_dealers;
    row[idx::INVENTORY] = active.iter().map(|a| a.inventory).sum();
    row[idx::AVG_LIST_PRICE] = if w > 0.0 { wl / w } else { 0.0 };
    row[idx::AVG_TRANSACTION_PRICE] = if w > 0.0 { wt / w } else { 0.0 };
    row[idx::PRICE_INDEX] = r.price_index;
    row[idx::AVG_DISCOUNT] = if wl > 0.0 { 1.0 - wt / wl } else { 0.0 };
    row[idx::HIDDEN_DISCOUNT] = if wl > 0.0 { wh / wl } else { 0.0 };
    row[idx::SHARE_CUTTING_PRICE] = if n_active > 0.0 {
        let cut = |a: &&&Automaker| a.list_price <= (1.0 - PRICE_CUT_THRESHOLD) * a.list_prev;
        active.iter().filter(cut).count() as f64 / n_active
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
    row[idx::RESTRUCTURINGS] = r.accounts.restructurings as f64;
    row[idx::DEBT_WRITEDOWNS] = r.accounts.debt_writedowns;
    row[idx::LIST_PRICE_INDEX] = r.list_index;
    row[idx::INDUSTRY_PROFIT_MARGIN] = if revenue > 0.0 { profit / revenue } else { 0.0 };
    row[idx::LOCAL_SUBSIDY_SPEND] = agents.governments.iter().map(|g| g.spend).sum();
    row[idx::PARTICIPATING_GOVERNMENTS] = agents.governments.iter().filter(|g| g.participating).count() as f64;
    row[idx::ACTIVE_EXPORTERS] = agents.traders.iter().filter(|t| t.active).count() as f64;
    row[idx::EXPORTER_MARGIN] = if zm.sold > 0.0 { zm.margin / zm.sold } else { 0.0 };
    let in_market = r.tally.in_market as f64;
    row[idx::CONSUMERS_WAITING_SHARE] = if in_market > 0.0 { r.tally.waiting as f64 / in_market } else { 0.0 };
    row[idx::EXPECTED_PRICE_CHANGE] = if in_market > 0.0 { r.tally.expectation_sum / in_market } else { 0.0 };
    row[idx::ZERO_MILEAGE_EV_SHARE] = if shipped > 0.0 { r.exports.shipped_ev / shipped } else { 0.0 };
    let [scrap, replace] = r.tally.trade_in_claims;
    row[idx::TRADE_IN_CLAIMS] = scrap + replace;
    row[idx::TRADE_IN_CLAIMS_SCRAP] = scrap;
    row[idx::TRADE_IN_CLAIMS_REPLACE] = replace;
    for (k, m) in agents.markets.iter().enumerate() {
        row[idx::FIRST_MARKET + k] = m.new_exports + m.zm_shipped;
    }
    fill_powertrains(row, firms, r.exports);
    fill_fiscal(row, agents, r, profit);
    fill_dealers(row, agents, r, retail);
    row[idx::ZERO_MILEAGE_FROM_DEALERS] = zm_dealers;
    row[idx::ZERO_MILEAGE_FROM_FACTORIES] = zm_reg;
}

/// The dealer tier's metrics (docs/model.md §7.2b); `retail` is this month's retail sales.
fn fill_dealers(row: &mut [f64], agents: &Agents<'_>, r: &MonthResults<'_>, retail: f64) {
    let (firms, dealers) = (agents.firms, agents.dealers);
    let factory: f64 = firms.iter().filter(|a| a.active).map(|a| a.inventory).sum();
    let stock: f64 = dealers.iter().map(|d| d.stock).sum();
    let factory_route: f64 = firms.iter().map(|a| a.zero_mileage_sales).sum();
    let shipped: f64 = if dealers.is_empty() { retail } else { firms.iter().map(|a| a.wholesale).sum() };
    row[idx::WHOLESALE_SALES] = shipped + factory_route;
    row[idx::DEALER_INVENTORY] = stock;
    row[idx::DEALER_INVENTORY_COEFFICIENT] = if retail > 0.0 && !dealers.is_empty() { stock / retail } else { 0.0 };
    row[idx::INDUSTRY_STOCK_DAYS] = if retail > 0.0 { 30.0 * (factory + stock) / retail } else { 0.0 };
    row[idx::DEALER_MARGIN] = if r.dealers.revenue > 0.0 { r.dealers.profit / r.dealers.revenue } else { 0.0 };
    row[idx::ACTIVE_DEALERS] = dealers.iter().filter(|d| d.active).map(|d| d.outlets).sum();
    row[idx::DEALER_CLOSURES] = r.dealers.closed;
    row[idx::DEALER_TARGET_REBATES] = dealers.iter().map(|d| d.target_rebate).sum();
    let (mut wd, mut w) = (0.0, 0.0);
    for (a, d) in firms.iter().zip(dealers) {
        wd += a.retail_sales * d.discount;
        w += a.retail_sales;
    }
    if w <= 0.0 {
        for d in dealers.iter().filter(|d| d.active) {
            wd += d.discount;
            w += 1.0;
        }
    }
    row[idx::DEALER_DISCOUNT] = if w > 0.0 { wd / w } else { 0.0 };
}

/// The fiscal and welfare metrics (docs/model.md §7.8). `profit` is the groups' profit as in
/// `industry_profit_margin`.
fn fill_fiscal(row: &mut [f64], agents: &Agents<'_>, r: &MonthResults<'_>, profit: f64) {
    let (nat, govs) = (agents.national, agents.governments);
    let local = |k: usize| govs.iter().map(|g| g.instruments()[k]).sum::<f64>();
    let national = nat.spend();
    let local_total: f64 = govs.iter().map(|g| g.spend).sum();
    let surplus = r.tally.purchases.surplus;
    row[idx::BUYER_SURPLUS] = surplus;
    row[idx::FISCAL_COST_NATIONAL] = national;
    row[idx::FISCAL_COST_LOCAL] = local_total;
    row[idx::SUBSIDY_TRADE_IN] = nat.trade_in + local(4);
    row[idx::SUBSIDY_NEV] = nat.nev_subsidy;
    row[idx::EXPORT_VAT_REBATES] = nat.vat_rebates;
    row[idx::REBATE_ACCELERATION_COST] = local(5);
    row[idx::TAX_EXPENDITURE_NEV] = nat.tax_expenditure;
    row[idx::BAILOUT_SPEND] = local(3);
    row[idx::EXPORT_SUPPORT_SPEND] = local(1);
    row[idx::TOTAL_WELFARE] = welfare(&Welfare {
        buyer_surplus: surplus,
        profit,
        trader_margin: r.zero_mileage.margin,
        dealer_margin: r.dealers.profit,
        fiscal_cost: national + local_total,
    });
}

/// The components of `total_welfare` (yuan/month): subsidies are transfers, counted once in
/// what buyers, groups and traders gain and once, with the opposite sign, in the fiscal cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welfare {
    /// Realised buyer surplus.
    pub buyer_surplus: f64,
    /// Automaker profits (production subsidies included).
    pub profit: f64,
    /// Traders' margins on zero-mileage cars sold abroad (VAT rebates and export support included).
    pub trader_margin: f64,
    /// Dealers' margins: 0, the model has no dealers yet (a documented slot).
    pub dealer_margin: f64,
    /// National plus local cash spending.
    pub fiscal_cost: f64,
}

/// W = buyer surplus + profits + trader margins + dealer margins − fiscal cost.
pub fn welfare(w: &Welfare) -> f64 {
    w.buyer_surplus + w.profit + w.trader_margin + w.dealer_margin - w.fiscal_cost
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
        assert_eq!(metric_def("exports_russia"), Some(&MARKET_EXPORTS));
        assert_eq!(metric_def("capacity").map(MetricDef::annual_unit).as_deref(), Some("vehicles/year"));
        assert_eq!(metric_def("price_index").map(MetricDef::annual_unit).as_deref(), Some("index, first month = 100"));
        assert_eq!(metric_def("nonsense"), None);
    }

    #[test]
    fn annual_aggregation() {
        let v = [1.0, 2.0, 6.0];
        assert_eq!(Annual::Sum.aggregate(v.into_iter()), 9.0);
        assert_eq!(Annual::Mean.aggregate(v.into_iter()), 3.0);
        assert_eq!(Annual::Last.aggregate(v.into_iter()), 6.0);
        assert_eq!(Annual::Sum.unit("count/month"), "count/year");
        assert_eq!(Annual::Mean.unit("fraction/month"), "fraction/month");
    }

    /// Every name is unique, and flows (per month) are exactly the metrics summed per year.
    #[test]
    fn table_is_consistent() {
        let mut names: Vec<&str> = CORE_METRICS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CORE_METRICS.len());
        for m in CORE_METRICS.iter().chain([&MARKET_EXPORTS]) {
            assert_eq!(m.kind == MetricKind::Flow, m.annual == Annual::Sum, "{}", m.name);
            assert!(m.kind != MetricKind::Flow || m.unit.ends_with("/month"), "{}", m.name);
        }
    }
}
