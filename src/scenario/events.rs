//! Dated national-policy and foreign-market events: `[[events]]` tables with an `id`, a `date`,
//! an optional `until` and a `kind` naming what changes.

use super::params::{params, KeyDoc, Violation};
use super::schema::{CostBasis, PolicyParams};
use super::YearMonth;

params! {
    /// `kind = "export_licensing"`: regions licensed for used-car exports from `date`.
    pub struct ExportLicensing {
        /// Number of licensed regions, largest first.
        regions: u32 = 10, unit "regions", range [0, 250], source "facts.md sec. 3";
    }
}

params! {
    /// `kind = "zero_mileage_rule"`: holding period and documentation rule for exports of recently registered cars.
    pub struct ZeroMileageRule {
        /// Minimum months between registration and export.
        min_holding_months: u32 = 0, unit "months", range [0, 60], source "policy lever";
        /// Months after registration within which export needs a manufacturer confirmation.
        documentation_months: u32 = 6, unit "months", range [0, 60], source "MOFCOM Notice 648 (180 days)";
        /// Cost of obtaining the confirmation.
        documentation_cost: f64 = 3_000.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "assumption";
        /// Share of early exports manufacturers confirm.
        confirmation_rate: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "assumption";
    }
}

params! {
    /// `kind = "zero_mileage_quota"`: national cap on zero-mileage registrations for export (0 = ban).
    pub struct ZeroMileageQuota {
        /// Cap on registrations for export.
        vehicles_per_month: f64 = 0.0, unit "vehicles/month", range [0.0, f64::INFINITY], source "policy lever";
    }
}

params! {
    /// `kind = "below_cost_ban"`: sales below cost are banned.
    pub struct BelowCostBan {
        /// Cost basis: "variable_cost" (c) or "full_cost_planned" (c + fixed cost / max(planned output, normal_utilization x capacity)).
        basis: CostBasis = CostBasis::VariableCost, unit "-", range [CostBasis::VariableCost, CostBasis::FullCostPlanned], source "draft Price Law amendment, Jul 2025; State Planning Commission, Jijiage (1999) 177 Art. 4 (manufacturing cost + period expenses)";
        /// Normal utilisation u_n under which fixed cost is not spread over fewer cars.
        normal_utilization: f64 = 0.8, unit "fraction", range [0.05, 1.0], source "IAS 2 para. 13 / CAS 1 normal capacity; 0.75-0.85 (docs/model.md sec. 7.1)";
        /// Share of a banned cut that still happens off the invoice as hidden discounts.
        leakage: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "assumption (docs/model.md sec. 7.1)";
    }
}

params! {
    /// `kind = "payment_days_cap"`: cap on supplier payment days.
    pub struct PaymentDaysCap {
        /// Longest permitted payment term.
        days: f64 = 60.0, unit "days", range [0.0, 720.0], source "17 automakers' pledge, Jun 2025";
    }
}

params! {
    /// `kind = "trade_in_subsidy"`: the scrapping (报废更新) and replacement (置换更新) subsidies
    /// for car owners who buy a new car (docs/model.md §7.3, "Trade-in").
    pub struct TradeInSubsidy {
        /// Flat scrapping subsidy for an NEV.
        nev_yuan: f64 = 20_000.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "MOFCOM et al., Apr 2024 (10k), raised 25 Jul 2024 (20k)";
        /// Flat scrapping subsidy for an ICE car.
        ice_yuan: f64 = 15_000.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "MOFCOM et al., Apr 2024 (7k), raised 25 Jul 2024 (15k)";
        /// Scrapping subsidy as a share of price, used instead of the flat amounts when > 0.
        price_share: f64 = 0.0, unit "fraction", range [0.0, 1.0], source "2026 trade-in rules: 12% (facts.md sec. 3)";
        /// Cap of the price-share scrapping subsidy.
        cap_yuan: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "2026 trade-in rules: 20k (facts.md sec. 3)";
        /// Scrapping cut-off: a car bought before this month may be scrapped for the subsidy.
        scrap_registered_before: YearMonth = YearMonth { year: 2011, month: 7 }, unit "month", range [YearMonth { year: 1990, month: 1 }, YearMonth { year: 2100, month: 12 }], source "China III petrol cars (MOFCOM et al., Apr 2024; Shangban Xiaofeihan (2025) No. 8); China IV required of new light petrol cars nationwide from 1 Jul 2011 (GB 18352.3-2005, MEP implementation notice)";
        /// Replacement subsidy for an NEV bought by an owner who sells a car.
        replace_nev_yuan: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "provincial replacement rules 2024 (up to 15k NEV)";
        /// Replacement subsidy for an ICE car bought by an owner who sells a car.
        replace_ice_yuan: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "provincial replacement rules 2024 (up to 10k ICE); 2025: up to 13k (Shangban Xiaofeihan (2025) No. 8)";
        /// Share of replacing owners of a younger car who sell it in the scheme and claim.
        replace_take_up: f64 = 1.0, unit "fraction", range [0.0, 1.0], source "calibrated: MOFCOM 2024 replacement claims, 3.7 million (SCIO press conference, Jan 2025)";
    }
}

params! {
    /// `kind = "nev_purchase_subsidy"`: national purchase subsidy per EV.
    pub struct NevPurchaseSubsidy {
        /// Subsidy per EV bought.
        yuan: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "facts.md sec. 2";
    }
}

params! {
    /// `kind = "nev_purchase_tax"`: purchase tax on NEVs.
    pub struct NevPurchaseTax {
        /// Tax rate.
        rate: f64 = 0.05, unit "fraction", range [0.0, 1.0], source "facts.md sec. 3 (halved exemption 2026)";
    }
}

params! {
    /// `kind = "nev_export_licence"`: exports of pure-electric cars need a licence held by makers and the traders they authorise (from 1 Jan 2026), so part of the zero-mileage trade in NEVs stops.
    pub struct NevExportLicence {
        /// Share of traders' NEV purchases the licence blocks (unauthorised traders; pure EVs but not plug-in hybrids need it).
        blocked_share: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "MOFCOM/MIIT/GAC/SAMR announcement on pure-EV export licences (Sep 2025), effective 1 Jan 2026; share assumed (docs/model.md sec. 7.5)";
    }
}

params! {
    /// `kind = "local_subsidy_cap"`: cap on local per-unit production and export support.
    pub struct LocalSubsidyCap {
        /// Cap per vehicle.
        yuan_per_vehicle: f64 = 0.0, unit "yuan/vehicle", range [0.0, f64::INFINITY], source "policy lever";
    }
}

params! {
    /// `kind = "hard_budget"`: bailouts stop while in force.
    pub struct HardBudget {
        /// Whether the hard budget constraint applies.
        enabled: bool = true, unit "-", range [false, true], source "Kornai et al. 2003";
    }
}

params! {
    /// `kind = "capacity_consolidation"`: one-off retirement of idle capacity at `date`.
    pub struct CapacityConsolidation {
        /// Firms below this utilisation (12-month mean) retire capacity.
        utilization_threshold: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "policy lever";
        /// Share of their excess capacity retired.
        retire_share: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "policy lever";
    }
}

params! {
    /// `kind = "tariff"`: scheduled duty and per-car fee of one foreign market from `date`.
    pub struct Tariff {
        /// Market id.
        market: String = "market".to_string(), unit "-", range [String::new(), String::new()], source "-";
        /// Ad-valorem duty.
        ad_valorem: f64 = 0.15, unit "fraction", range [0.0, 10.0], source "facts.md sec. 4";
        /// Per-car fee.
        fee: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e7], source "facts.md sec. 4";
    }
}

params! {
    /// `kind = "foreign_demand_shift"`: multiplies one market's demand for Chinese cars.
    pub struct ForeignDemandShift {
        /// Market id.
        market: String = "market".to_string(), unit "-", range [String::new(), String::new()], source "-";
        /// Multiplier of demand for Chinese new and zero-mileage cars.
        factor: f64 = 2.0, unit "1", range [0.0, 1000.0], source "assumption (Western brands leave Russia, 2022)";
    }
}

params! {
    /// `kind = "domestic_demand_shift"`: multiplies households' monthly hazard of entering the
    /// car market (first purchase and replacement) while in force, e.g. a lockdown that closes
    /// showrooms. Households kept out are not lost: they enter later at their own hazards.
    pub struct DomesticDemandShift {
        /// Multiplier of the market-entry hazards (several in force multiply).
        factor: f64 = 1.0, unit "1", range [0.0, 5.0], source "assumption (COVID-19 lockdowns; not in facts.md, estimated)";
    }
}

params! {
    /// `kind = "battery_cost"`: one point of the battery pack cost path, the cost at `date` as an
    /// index of the scenario's first month (1 = the start). The points are interpolated linearly
    /// in months from (start, 1); after the last the cost falls at
    /// `automakers.battery_cost_decline` a year; `until` has no effect. Market data, not a
    /// policy: the baseline dates BNEF's yearly pack prices (the 2022 rise with lithium).
    pub struct BatteryCost {
        /// Battery pack cost at the event's date relative to the first month.
        index: f64 = 1.0, unit "1", range [0.01, 10.0], source "BNEF Battery Price Survey (yearly volume-weighted pack prices)";
    }
}

params! {
    /// `kind = "retail_price_factor"`: a measurement lever, not a policy: every line's retail
    /// transaction price times `factor` (automakers absorb the cut in their revenue), used by
    /// `scenarios/tests/price_cut_10.toml` to measure the market's price elasticity.
    pub struct RetailPriceFactor {
        /// Multiplier of every retail transaction price (0.9 = a uniform 10 % cut).
        factor: f64 = 1.0, unit "1", range [0.1, 10.0], source "measurement lever (docs/validation.md, aggregate elasticity)";
    }
}

params! {
    /// `kind = "dealer_relief"`: what dealers' associations asked of automakers in 2024-25:
    /// lower wholesale targets (less of the production pushed toward local targets is pushed
    /// into dealers' stock) and support per car retailed, paid by the automakers.
    pub struct DealerRelief {
        /// Share of the target push that is still pushed into dealers' stock (1 = none of the relief, 0 = none pushed).
        wholesale_push: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "CADA appeal to automakers, Jun 2024 (docs/model.md sec. 7.2b)";
        /// Support an automaker pays its dealers per car retailed.
        support_yuan: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "policy lever";
    }
}

macro_rules! event_kinds {
    ($($variant:ident($ty:ident) = $tag:literal,)*) => {
        /// What an event changes.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        #[allow(missing_docs)]
        pub enum EventKind {
            $($variant($ty),)*
        }

        /// Every `kind` an event may name.
        pub const EVENT_KINDS: &[&str] = &[$($tag),*];

        impl EventKind {
            /// The `kind` tag.
            pub fn tag(&self) -> &'static str {
                match self {
                    $(EventKind::$variant(_) => $tag,)*
                }
            }

            /// Deserialises the event's own keys for `tag`.
            pub(crate) fn from_table(tag: &str, table: toml::Table) -> Option<Result<Self, (String, String)>> {
                match tag {
                    $($tag => Some(super::spans::deserialize_section::<$ty>(table).map(EventKind::$variant)),)*
                    _ => None,
                }
            }

            /// Range violations of the event's keys.
            pub fn check(&self) -> Vec<Violation> {
                match self {
                    $(EventKind::$variant(p) => p.check(),)*
                }
            }

            /// Key documentation for every kind.
            pub fn describe() -> Vec<KeyDoc> {
                let mut out = Vec::new();
                $(out.extend($ty::describe(concat!("events[kind=", $tag, "]."))));*;
                out
            }
        }
    };
}

event_kinds! {
    ExportLicensing(ExportLicensing) = "export_licensing",
    ZeroMileageRule(ZeroMileageRule) = "zero_mileage_rule",
    ZeroMileageQuota(ZeroMileageQuota) = "zero_mileage_quota",
    BelowCostBan(BelowCostBan) = "below_cost_ban",
    PaymentDaysCap(PaymentDaysCap) = "payment_days_cap",
    TradeInSubsidy(TradeInSubsidy) = "trade_in_subsidy",
    NevPurchaseSubsidy(NevPurchaseSubsidy) = "nev_purchase_subsidy",
    NevPurchaseTax(NevPurchaseTax) = "nev_purchase_tax",
    NevExportLicence(NevExportLicence) = "nev_export_licence",
    LocalSubsidyCap(LocalSubsidyCap) = "local_subsidy_cap",
    HardBudget(HardBudget) = "hard_budget",
    CapacityConsolidation(CapacityConsolidation) = "capacity_consolidation",
    Tariff(Tariff) = "tariff",
    ForeignDemandShift(ForeignDemandShift) = "foreign_demand_shift",
    DomesticDemandShift(DomesticDemandShift) = "domestic_demand_shift",
    RetailPriceFactor(RetailPriceFactor) = "retail_price_factor",
    BatteryCost(BatteryCost) = "battery_cost",
    DealerRelief(DealerRelief) = "dealer_relief",
}

/// A key that an event of one kind must write because its default would silently mean
/// something drastic or arbitrary (a quota of 0 is a ban, a demand shift of 2 doubles demand):
/// the amount, rate or level that defines the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredKey {
    /// The event kind.
    pub kind: &'static str,
    /// The key.
    pub key: &'static str,
    /// What it is, and what to write in doubt.
    pub meaning: &'static str,
}

const fn required(kind: &'static str, key: &'static str, meaning: &'static str) -> RequiredKey {
    RequiredKey { kind, key, meaning }
}

/// Every event kind's required keys, in the order they are checked. A `trade_in_subsidy` is
/// special: with `price_share` > 0 it needs `cap_yuan` (the subsidy is min(share × price, cap)),
/// else the flat `nev_yuan` and `ice_yuan` ([`missing_key`]).
pub const REQUIRED_KEYS: &[RequiredKey] = &[
    required("export_licensing", "regions", "the number of licensed regions, largest first (0 to 250)"),
    required(
        "zero_mileage_rule",
        "min_holding_months",
        "the minimum months between registration and export (write 0 for none)",
    ),
    required(
        "zero_mileage_quota",
        "vehicles_per_month",
        "the cap on registrations for export per month (write 0 for a ban)",
    ),
    required(
        "below_cost_ban",
        "basis",
        "the cost basis of the floor: \"variable_cost\" or \"full_cost_planned\" (docs/model.md sec. 7.1)",
    ),
    required("payment_days_cap", "days", "the longest permitted supplier payment term, in days"),
    required(
        "trade_in_subsidy",
        "nev_yuan",
        "the flat subsidy for an NEV, in yuan (write 0 for none, or give `price_share` and `cap_yuan`)",
    ),
    required(
        "trade_in_subsidy",
        "ice_yuan",
        "the flat subsidy for an ICE car, in yuan (write 0 for none, or give `price_share` and `cap_yuan`)",
    ),
    required("nev_purchase_subsidy", "yuan", "the subsidy per EV bought, in yuan"),
    required("nev_purchase_tax", "rate", "the tax rate (e.g. 0.05; write 0 for an exemption)"),
    required("nev_export_licence", "blocked_share", "the share of traders' NEV purchases the licence stops (0 to 1)"),
    required(
        "local_subsidy_cap",
        "yuan_per_vehicle",
        "the cap on local per-unit support, in yuan per vehicle (write 0 to end it)",
    ),
    required(
        "capacity_consolidation",
        "retire_share",
        "the share of their excess capacity that firms below the threshold retire",
    ),
    required("tariff", "market", "the id of the foreign market"),
    required("tariff", "ad_valorem", "the ad-valorem duty (write 0 for none; the per-car `fee` is 0 unless written)"),
    required("foreign_demand_shift", "market", "the id of the foreign market"),
    required(
        "foreign_demand_shift",
        "factor",
        "the multiplier of the market's demand for Chinese cars (1 = no change)",
    ),
    required("domestic_demand_shift", "factor", "the multiplier of households' market-entry hazards (1 = no change)"),
    required("retail_price_factor", "factor", "the multiplier of every retail transaction price (0.9 = a 10 % cut)"),
    required(
        "dealer_relief",
        "wholesale_push",
        "the share of the target push still pushed into dealers' stock (1 = unchanged, 0 = none)",
    ),
    required(
        "battery_cost",
        "index",
        "the battery pack cost at the event's date relative to the first month (1 = unchanged)",
    ),
];

/// The first required key that an event of kind `kind` with keys `table` does not write, with
/// its meaning.
pub fn missing_key(kind: &str, table: &toml::Table) -> Option<(&'static str, &'static str)> {
    if kind == "trade_in_subsidy" {
        let by_share = table.get("price_share").and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)));
        if by_share.is_some_and(|s| s > 0.0) {
            return (!table.contains_key("cap_yuan")).then_some((
                "cap_yuan",
                "the cap of the price-share subsidy, in yuan (the subsidy is min(price_share x price, cap_yuan))",
            ));
        }
    }
    REQUIRED_KEYS.iter().find(|r| r.kind == kind && !table.contains_key(r.key)).map(|r| (r.key, r.meaning))
}

/// A key an older scenario may still write that was removed, with what to write instead:
/// `trade_in_subsidy.min_car_age_months` (a fixed car age) became the registration cut-off
/// `scrap_registered_before` plus the replacement amounts.
pub fn removed_key(kind: &str, table: &toml::Table) -> Option<(&'static str, &'static str)> {
    (kind == "trade_in_subsidy" && table.contains_key("min_car_age_months")).then_some((
        "min_car_age_months",
        "`min_car_age_months` was removed: write `scrap_registered_before = \"YYYY-MM\"` (scrapping: cars bought \
         before that month, e.g. \"2011-07\" for China III petrol cars; the age threshold then moves with the \
         calendar) and `replace_nev_yuan` / `replace_ice_yuan` (replacement: any owner who sells a car)",
    ))
}

/// A dated change.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique id; a scenario that `extends` another overrides an inherited event by its id.
    pub id: String,
    /// First month in force.
    pub date: YearMonth,
    /// First month no longer in force (`None`: stays in force).
    pub until: Option<YearMonth>,
    /// False switches an inherited event off (`enabled = false` in a child scenario).
    pub enabled: bool,
    /// What changes.
    pub kind: EventKind,
}

impl Event {
    /// Whether the event is in force in `month` (one-off kinds act only in their `date` month).
    pub fn active(&self, month: YearMonth) -> bool {
        self.enabled && month >= self.date && self.until.is_none_or(|u| month < u)
    }

    /// Applies a national-policy change to `policy` (foreign and one-off kinds do nothing here).
    pub fn apply_policy(&self, policy: &mut PolicyParams) {
        match &self.kind {
            EventKind::ExportLicensing(e) => policy.licensed_regions = e.regions,
            EventKind::ZeroMileageRule(e) => {
                policy.min_holding_months = e.min_holding_months;
                policy.documentation_months = e.documentation_months;
                policy.documentation_cost = e.documentation_cost;
                policy.confirmation_rate = e.confirmation_rate;
            }
            EventKind::ZeroMileageQuota(e) => policy.zero_mileage_quota = e.vehicles_per_month,
            EventKind::BelowCostBan(e) => {
                policy.below_cost_ban = true;
                policy.below_cost_basis = e.basis;
                policy.below_cost_normal_utilization = e.normal_utilization;
                policy.below_cost_leakage = e.leakage;
            }
            EventKind::PaymentDaysCap(e) => policy.payment_days_cap = e.days,
            EventKind::TradeInSubsidy(e) => {
                policy.trade_in_nev = e.nev_yuan;
                policy.trade_in_ice = e.ice_yuan;
                policy.trade_in_price_share = e.price_share;
                policy.trade_in_cap = e.cap_yuan;
                policy.trade_in_scrap_before = e.scrap_registered_before;
                policy.trade_in_replace_nev = e.replace_nev_yuan;
                policy.trade_in_replace_ice = e.replace_ice_yuan;
                policy.trade_in_replace_take_up = e.replace_take_up;
            }
            EventKind::NevPurchaseSubsidy(e) => policy.nev_purchase_subsidy = e.yuan,
            EventKind::NevPurchaseTax(e) => policy.nev_purchase_tax = e.rate,
            EventKind::NevExportLicence(e) => policy.nev_export_blocked = e.blocked_share,
            EventKind::LocalSubsidyCap(e) => policy.local_subsidy_cap = e.yuan_per_vehicle,
            EventKind::HardBudget(e) => policy.hard_budget = e.enabled,
            EventKind::RetailPriceFactor(e) => policy.retail_price_factor = e.factor,
            EventKind::DealerRelief(e) => {
                policy.wholesale_push = e.wholesale_push;
                policy.dealer_support = e.support_yuan;
            }
            EventKind::CapacityConsolidation(_)
            | EventKind::Tariff(_)
            | EventKind::ForeignDemandShift(_)
            | EventKind::DomesticDemandShift(_)
            | EventKind::BatteryCost(_) => {}
        }
    }

    /// The event as a TOML table (for the resolved scenario in the manifest).
    pub fn to_toml(&self) -> toml::Table {
        let mut t = match toml::Table::try_from(&self.kind) {
            Ok(t) => t,
            Err(_) => toml::Table::new(),
        };
        t.insert("id".into(), self.id.clone().into());
        t.insert("date".into(), self.date.to_string().into());
        if let Some(u) = self.until {
            t.insert("until".into(), u.to_string().into());
        }
        t.insert("kind".into(), self.tag_value());
        if !self.enabled {
            t.insert("enabled".into(), false.into());
        }
        t
    }

    fn tag_value(&self) -> toml::Value {
        self.kind.tag().into()
    }
}
