//! Automakers (brand groups): learning-curve costs, adaptive demand expectations, production
//! pushed toward local targets, list prices and street discounts, capacity, cash and payables.

use super::policy::Month;
use super::rng::{self, purpose, Rng};
use crate::scenario::events::CapacityConsolidation;
use crate::scenario::{AutomakerParams, PolicyParams, Powertrains};
use rand::Rng as _;
use rand_distr::{Distribution, LogNormal, Normal};

mod accounts;
mod floor;
pub use accounts::{account, AccountingContext, Accounts};
pub use floor::cost_basis;

/// Ownership of a brand group. Central and local state groups behave alike (docs/model.md
/// sec. 2); the distinction is reported in `groups.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// State-owned group under a provincial or municipal SASAC (SAIC, GAC, BAIC, Chery).
    LocalState,
    /// State-owned group under the central SASAC (FAW, Dongfeng, Changan).
    CentralState,
    /// Private group.
    Private,
    /// Foreign joint venture.
    JointVenture,
}

impl Ownership {
    /// Every ownership type, in the order of `groups.csv`.
    pub const ALL: [Ownership; 4] =
        [Ownership::LocalState, Ownership::CentralState, Ownership::Private, Ownership::JointVenture];

    /// True for a state-owned group, local or central.
    pub fn is_state(self) -> bool {
        matches!(self, Ownership::LocalState | Ownership::CentralState)
    }

    /// The name written in `groups.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Ownership::LocalState => "local_state",
            Ownership::CentralState => "central_state",
            Ownership::Private => "private",
            Ownership::JointVenture => "foreign_jv",
        }
    }
}

/// What a product line makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Powertrain {
    /// One car per group whose EV share drifts (`powertrains = "single"`, the round-1 model).
    Blend,
    /// New-energy vehicles (battery-electric and plug-in hybrid).
    Nev,
    /// Internal-combustion cars.
    Ice,
}

/// One product line of a brand group: with `powertrains = "split"` each group has an NEV and
/// an ICE line (or one of them), with `"single"` one blended line. Identity (ownership, region,
/// quality, brand base, orientation) is the group's; capacity, cost, prices, stock, cash and
/// accounts are the line's. Volumes in vehicles/month, money in yuan.
#[derive(Debug, Clone)]
pub struct Automaker {
    /// Still producing.
    pub active: bool,
    /// Index of the brand group (lines of a group are adjacent).
    pub group: usize,
    /// What the line makes.
    pub powertrain: Powertrain,
    /// Ownership.
    pub ownership: Ownership,
    /// Home region (index of its local government).
    pub region: usize,
    /// EV share of output at the start.
    pub ev_share0: f64,
    /// EV share of output now.
    pub ev_share: f64,
    /// Product quality (logit units).
    pub quality: f64,
    /// Logit bonus of the group's size (breadth of its model range): concentration x ln(relative size).
    pub size_utility: f64,
    /// Base brand value (logit units).
    pub brand_base: f64,
    /// Current brand value.
    pub brand: f64,
    /// Hedonic value of the group's car (yuan): its initial transaction price, which buyers read
    /// as its features (docs/model.md sec. 7.3); both lines of a group share it.
    pub value: f64,
    /// Relative propensity to export officially.
    pub export_orientation: f64,
    /// Production capacity (vehicles/month).
    pub capacity: f64,
    /// Capacity in use this month (set when planning; kept for the month's metrics even if the
    /// firm exits at the end of the month).
    pub capacity_month: f64,
    /// Capacity on order, by months until arrival (index 0 arrives next).
    pub pipeline: Vec<f64>,
    /// Initial variable cost (yuan/vehicle).
    pub cost0: f64,
    /// Current variable cost (yuan/vehicle).
    pub cost: f64,
    /// Cumulative output including initial experience.
    pub experience: f64,
    /// Initial experience.
    pub experience0: f64,
    /// Mark-up over variable cost.
    pub markup: f64,
    /// List price (yuan).
    pub list_price: f64,
    /// List price last month.
    pub list_prev: f64,
    /// Relative list cut this month (0 when no cut).
    pub last_cut: f64,
    /// List prices of the last 12 months (ring, indexed by month mod 12), for the 12-month cut.
    pub list_ring: [f64; 12],
    /// Slot of this month in `list_ring`.
    pub ring_slot: usize,
    /// Relative list-price decline over the last 12 months (0 when the list did not fall).
    pub cut_12m: f64,
    /// Street discount (fraction of list).
    pub discount: f64,
    /// Year-end push discount in force this month.
    pub push_discount: f64,
    /// Hidden discount this month (yuan/vehicle): the part of a cut banned by a below-cost ban
    /// that still happens off the invoice (free insurance, financing); 0 without a ban.
    pub hidden_discount: f64,
    /// Extra rebate offered to exporters (fraction of list).
    pub rebate: f64,
    /// The dealer network's own discount this month (fraction of list; 0 without dealers).
    pub dealer_discount: f64,
    /// The dealers' invoice margin (fraction of list; 0 without dealers).
    pub dealer_margin: f64,
    /// The line sells through a dealer network (`dealers.enabled`); else it retails directly.
    pub via_dealers: bool,
    /// Share φ of its discounts beyond the initial one that the line passes into its invoice
    /// price (`dealers.discount_pass_through`).
    pub dealer_pass_through: f64,
    /// The initial street discount d0 the invoice price is set from.
    pub dealer_base_discount: f64,
    /// Cars shipped to the line's dealer network this month (wholesale).
    pub wholesale: f64,
    /// Output planned this month for the local target beyond demand (vehicles): the push term.
    pub push_units: f64,
    /// Cars the line's dealer network sold to zero-mileage traders this month.
    pub dealer_zero_mileage: f64,
    /// Unsold new cars (vehicles).
    pub inventory: f64,
    /// Expected monthly sales.
    pub demand_exp: f64,
    /// Base of the local output target (vehicles/month at the start).
    pub target_base: f64,
    /// Output this month.
    pub production: f64,
    /// Retail sales to households this month.
    pub retail_sales: f64,
    /// Sales to zero-mileage exporters (registrations) this month.
    pub zero_mileage_sales: f64,
    /// Official new-car exports this month.
    pub export_sales: f64,
    /// Official export orders of the line last month (vehicles; before rationing by its stock).
    pub export_orders_last: f64,
    /// Market share of total sales, last two months.
    pub share_hist: [f64; 2],
    /// Cash (yuan, may be negative).
    pub cash: f64,
    /// Supplier payment days.
    pub payment_days: f64,
    /// Supplier payables outstanding (yuan).
    pub payables: f64,
    /// Exponential mean of utilisation.
    pub utilization_ema: f64,
    /// Consecutive months under the closure utilisation.
    pub low_util_months: u32,
    /// Consecutive months under the minimum share.
    pub low_share_months: u32,
    /// Revenue this month.
    pub revenue: f64,
    /// Profit this month (revenue + subsidies - cost of goods sold - fixed cost - interest).
    pub profit: f64,
    /// Reported sales since January (for the year-end push).
    pub ytd_reported: f64,
    /// Total sales last month.
    pub sales_last: f64,
    /// Orders this month (retail buyers before rationing, exporters' and foreign demand before
    /// stock limits): what demand expectations learn from, so stock-outs do not hide demand.
    pub orders: f64,
    /// Orders last month.
    pub orders_last: f64,
    /// Zero-mileage registrations last month.
    pub zm_last: f64,
    /// Production and capital subsidies received from the home government this month (yuan).
    pub subsidy_received: f64,
    /// Bailout money received this month (yuan).
    pub bailout_received: f64,
    /// The group was bailed out this month (set on its first active line).
    pub bailed_out: bool,
    /// The line exited this month (with its whole group).
    pub exited_now: bool,
}

impl Automaker {
    /// Total sales this month: domestic sales ([`Automaker::domestic_sales`]) + zero-mileage
    /// registrations from the factory + official exports.
    pub fn total_sales(&self) -> f64 {
        self.domestic_sales() + self.zero_mileage_sales + self.export_sales
    }

    /// End sales of the line's cars this month: retail to households + zero-mileage
    /// registrations from both routes (factory and dealers) + official exports; with dealers it
    /// differs from [`Automaker::total_sales`] by the change of the dealers' stock.
    pub fn end_sales(&self) -> f64 {
        self.retail_sales + self.zero_mileage_sales + self.dealer_zero_mileage + self.export_sales
    }

    /// The line's own domestic sales: wholesale to its dealers, or retail to households when it
    /// sells directly (no dealer tier).
    pub fn domestic_sales(&self) -> f64 {
        if self.via_dealers {
            self.wholesale
        } else {
            self.retail_sales
        }
    }

    /// Transaction price households pay (list less the street, push and dealer's own discounts).
    pub fn transaction_price(&self) -> f64 {
        self.list_price * (1.0 - self.discount - self.push_discount - self.dealer_discount).max(0.0)
    }

    /// The automaker's own transaction price (list less its street and push discounts): what
    /// its price floor bounds and official exports fetch.
    pub fn factory_price(&self) -> f64 {
        self.list_price * (1.0 - self.discount - self.push_discount).max(0.0)
    }

    /// Price the dealer network pays (docs/model.md §7.2b): list less the initial discount d0,
    /// a share φ of the street and push discounts beyond d0 and the dealers' margin m,
    /// list × (1 − d0 − φ (d + d_push − d0) − m); the factory price without dealers. With φ < 1
    /// dealers bear part of the price war (the price inversion they complained of).
    pub fn invoice_price(&self) -> f64 {
        if !self.via_dealers {
            return self.factory_price();
        }
        let d0 = self.dealer_base_discount;
        let passed = self.dealer_pass_through * (self.discount + self.push_discount - d0);
        self.list_price * (1.0 - d0 - passed - self.dealer_margin).max(0.0)
    }

    /// Price households pay and the line receives for a retail sale: the invoice transaction
    /// price less the hidden discount (which the automaker funds).
    pub fn effective_price(&self) -> f64 {
        (self.transaction_price() - self.hidden_discount).max(0.0)
    }

    /// Regular transaction price: list less the street and dealer's discounts, without the
    /// year-end push.
    pub fn regular_price(&self) -> f64 {
        self.list_price * (1.0 - self.discount - self.dealer_discount).max(0.0)
    }

    /// Price exporters pay the factory (invoice price less the exporter rebate).
    pub fn exporter_price(&self) -> f64 {
        self.list_price * (1.0 - self.discount - self.push_discount - self.dealer_margin - self.rebate).max(0.05)
    }

    /// Households' logit appeal of the group apart from price: quality, brand and range breadth.
    pub fn appeal(&self, c: &crate::scenario::ConsumerParams) -> f64 {
        c.quality_weight * self.quality + c.brand_weight * self.brand + self.size_utility
    }

    /// Fixed cost per month (yuan): F = f K (v / v_ref)^ε, with v the group's hedonic value
    /// (its initial transaction price) and v_ref the mean list price less the initial discount:
    /// a plant that makes dearer cars costs more to run, depreciate and develop for.
    pub fn fixed_cost(&self, p: &AutomakerParams) -> f64 {
        let v_ref = p.list_price_mean * (1.0 - p.initial_discount);
        let scale = if v_ref > 0.0 { (self.value / v_ref).powf(p.fixed_cost_value_elasticity) } else { 1.0 };
        p.fixed_cost_per_capacity * self.capacity * scale
    }

    /// Ownership multiplier of political push.
    pub fn push_factor(&self, p: &AutomakerParams) -> f64 {
        match self.ownership {
            Ownership::LocalState | Ownership::CentralState => 1.0,
            Ownership::Private => p.push_private,
            Ownership::JointVenture => p.push_jv,
        }
    }

    /// Ownership multiplier of bailout probability and soft pricing floor ("softness").
    pub fn softness(&self, p: &AutomakerParams) -> f64 {
        match self.ownership {
            Ownership::LocalState | Ownership::CentralState => 1.0,
            Ownership::Private => p.bailout_private,
            Ownership::JointVenture => p.bailout_jv,
        }
    }
}

/// Creates `p.count` brand groups with Pareto capacities, split across `region_weights`.
pub fn init(p: &AutomakerParams, region_weights: &[f64], rng: &mut Rng) -> Vec<Automaker> {
    let n = p.count;
    let raw: Vec<f64> = (0..n).map(|_| (1.0 - rng.random::<f64>()).powf(-1.0 / p.size_pareto_shape)).collect();
    let total: f64 = raw.iter().sum();
    let price_dist = LogNormal::new(-0.5 * p.list_price_sigma.powi(2), p.list_price_sigma).ok();
    let orient_dist = LogNormal::new(-0.5 * p.export_orientation_sigma.powi(2), p.export_orientation_sigma).ok();
    let normal = Normal::new(0.0, 1.0).ok();
    let draw_n = |rng: &mut Rng| normal.map_or(0.0, |d| d.sample(rng));
    let mut out = Vec::with_capacity(n);
    for &size in &raw {
        let u: f64 = rng.random();
        // Central or local state ownership is assigned afterwards ([`assign_central`]).
        let ownership = if u < p.state_share {
            Ownership::LocalState
        } else if u < p.state_share + p.jv_share {
            Ownership::JointVenture
        } else {
            Ownership::Private
        };
        let ev_mean = match ownership {
            Ownership::LocalState | Ownership::CentralState => p.ev_share_state,
            Ownership::Private => p.ev_share_private,
            Ownership::JointVenture => p.ev_share_jv,
        };
        let ev_share0 = (ev_mean * 2.0 * rng.random::<f64>()).clamp(0.0, 1.0);
        let region = pick(region_weights, rng.random());
        let capacity = p.initial_capacity * size / total;
        let demand = p.initial_demand * size / total;
        let list = p.list_price_mean * price_dist.map_or(1.0, |d| d.sample(rng));
        let cost0 = list * (1.0 - p.initial_discount) * p.variable_cost_share;
        let quality = p.quality_sigma * draw_n(rng);
        let brand_base = p.brand_sigma * draw_n(rng);
        let mut a = Automaker {
            active: true,
            group: out.len(),
            powertrain: Powertrain::Blend,
            ownership,
            region,
            ev_share0,
            ev_share: ev_share0,
            quality,
            size_utility: p.demand_concentration * (size * n as f64 / total).ln(),
            brand_base,
            brand: brand_base,
            value: list * (1.0 - p.initial_discount),
            export_orientation: orient_dist.map_or(1.0, |d| d.sample(rng)),
            capacity,
            capacity_month: capacity,
            pipeline: vec![0.0; p.investment_lag_months as usize],
            cost0,
            cost: cost0,
            experience: 0.0,
            experience0: 0.0,
            markup: list / cost0 - 1.0,
            list_price: list,
            list_prev: list,
            last_cut: 0.0,
            list_ring: [list; 12],
            ring_slot: 0,
            cut_12m: 0.0,
            discount: p.initial_discount,
            push_discount: 0.0,
            hidden_discount: 0.0,
            rebate: 0.0,
            dealer_discount: 0.0,
            dealer_margin: 0.0,
            via_dealers: false,
            dealer_pass_through: 1.0,
            dealer_base_discount: 0.0,
            wholesale: 0.0,
            push_units: 0.0,
            dealer_zero_mileage: 0.0,
            inventory: 0.0,
            demand_exp: 0.0,
            target_base: 0.0,
            production: 0.0,
            retail_sales: 0.0,
            zero_mileage_sales: 0.0,
            export_sales: 0.0,
            export_orders_last: 0.0,
            share_hist: [0.0; 2],
            cash: 0.0,
            payment_days: p.payment_days_initial,
            payables: 0.0,
            utilization_ema: 0.0,
            low_util_months: 0,
            low_share_months: 0,
            revenue: 0.0,
            profit: 0.0,
            ytd_reported: 0.0,
            sales_last: 0.0,
            orders: 0.0,
            orders_last: 0.0,
            zm_last: 0.0,
            subsidy_received: 0.0,
            bailout_received: 0.0,
            bailed_out: false,
            exited_now: false,
        };
        // Provisional: demand proportional to size (the world re-bases it on household shares).
        set_initial_demand(&mut a, demand, size / total, demand / capacity.max(1e-9), p);
        out.push(a);
    }
    match p.powertrains {
        Powertrains::Single => out,
        Powertrains::Split => split_lines(out, p, rng),
    }
}

/// Makes a share `central_share` of the state groups central SOEs (docs/model.md sec. 2): group g
/// is central when a counter-based uniform of (key, `CENTRAL_STATE`, g) is below the share. The
/// draw has its own stream, so every other draw of the world is the same at any share.
pub fn assign_central(firms: &mut [Automaker], central_share: f64, key: u64) {
    for a in firms.iter_mut().filter(|a| a.ownership.is_state()) {
        if rng::hashed_uniform(key, purpose::CENTRAL_STATE, a.group as u64, 0) < central_share {
            a.ownership = Ownership::CentralState;
        }
    }
}

/// Splits each group into its NEV and ICE lines (docs/model.md sec. 7.2a): capacity and
/// provisional demand by the group's initial EV share e (1 for NEV-only groups: private groups
/// smaller than the median group, drawn with `nev_only_share`, the new entrants), the NEV line's cost c0 (1 + premium) with the group's mark-up, so its
/// list price carries the premium too; a line with no share is not created. A line's size
/// utility is the group rule on the line's size relative to the mean line.
fn split_lines(groups: Vec<Automaker>, p: &AutomakerParams, rng: &mut Rng) -> Vec<Automaker> {
    let mut lines = Vec::with_capacity(2 * groups.len());
    let mut sizes: Vec<f64> = groups.iter().map(|g| g.capacity).collect();
    sizes.sort_by(f64::total_cmp);
    let median = sizes[sizes.len() / 2];
    for (gi, g) in groups.into_iter().enumerate() {
        let entrant = g.ownership == Ownership::Private && g.capacity < median;
        let nev_only = rng.random::<f64>() < p.nev_only_share && entrant;
        let e = if nev_only { 1.0 } else { g.ev_share0 };
        for (powertrain, share) in [(Powertrain::Nev, e), (Powertrain::Ice, 1.0 - e)] {
            if share <= 0.0 {
                continue;
            }
            let mut a = g.clone();
            let nev = powertrain == Powertrain::Nev;
            (a.group, a.powertrain, a.ev_share0, a.ev_share) = (gi, powertrain, nev as u8 as f64, nev as u8 as f64);
            if nev {
                a.cost0 *= 1.0 + p.nev_cost_premium;
                if nev_only {
                    a.cost0 *= p.nev_entrant_price_factor;
                    a.value *= p.nev_entrant_price_factor;
                }
                a.cost = a.cost0;
                a.list_price = (1.0 + a.markup) * a.cost0;
                a.list_prev = a.list_price;
                a.list_ring = [a.list_price; 12];
            }
            a.capacity *= share;
            a.demand_exp *= share;
            lines.push(a);
        }
    }
    let sizes: Vec<f64> = lines.iter().map(|a| a.capacity).collect();
    let total: f64 = sizes.iter().sum::<f64>().max(1e-12);
    let n = lines.len() as f64;
    for (a, size) in lines.iter_mut().zip(sizes) {
        a.size_utility = p.demand_concentration * (size.max(1e-12) * n / total).ln();
        let (demand, capacity) = (a.demand_exp, a.capacity);
        set_initial_demand(a, demand, size / total, demand / capacity.max(1e-9), p);
    }
    lines
}

/// Puts a dealer tier between every line and its households (docs/model.md §7.2b): the line
/// sells at the invoice price ([`Automaker::invoice_price`]), at first its list less the initial
/// discount and the dealers' margin m, so its initial unit cost is
/// the cost share of the initial invoice price, c0 × (1 − d0 − m) / (1 − d0), and its mark-up
/// over cost covers the dealers' margin; list prices stay where they are.
pub fn sell_via_dealers(firms: &mut [Automaker], p: &crate::scenario::DealerParams, initial_discount: f64) {
    let margin = p.invoice_margin;
    let scale = (1.0 - initial_discount - margin) / (1.0 - initial_discount);
    for a in firms {
        a.via_dealers = true;
        a.dealer_margin = margin;
        a.dealer_pass_through = p.discount_pass_through;
        a.dealer_base_discount = initial_discount;
        a.cost0 *= scale;
        a.cost = a.cost0;
        a.markup = a.list_price / a.cost0 - 1.0;
    }
}

/// Unit cost of a line (yuan/vehicle) with cumulative experience X: the learning curve
/// c0 (X/X0)^-b, b = -log2(1 - LR), with the ICE or EV learning rate (a blended line: blended by
/// its EV share); an NEV line's battery share θ of its initial cost follows the battery pack cost
/// index B instead ([`PlanContext::battery_cost`]), c = c0 [(1 - θ)(X/X0)^-b + θ B].
pub fn unit_cost(a: &Automaker, p: &AutomakerParams, battery: f64) -> f64 {
    let lr = match a.powertrain {
        Powertrain::Blend => a.ev_share * p.learning_rate_ev + (1.0 - a.ev_share) * p.learning_rate_ice,
        Powertrain::Nev => p.learning_rate_ev,
        Powertrain::Ice => p.learning_rate_ice,
    };
    let b = -(1.0 - lr).log2();
    let learning = (a.experience / a.experience0).powf(-b);
    match a.powertrain {
        Powertrain::Nev => {
            let theta = p.battery_cost_share;
            a.cost0 * ((1.0 - theta) * learning + theta * battery)
        }
        _ => a.cost0 * learning,
    }
}

/// Re-bases a firm on its initial expected demand (vehicles/month) and market `share`: stock,
/// target, experience, cash and payables follow it, and capacity is set so that initial
/// utilisation is `utilization`.
pub fn set_initial_demand(a: &mut Automaker, demand: f64, share: f64, utilization: f64, p: &AutomakerParams) {
    a.capacity = demand / utilization.clamp(0.05, 0.95);
    a.demand_exp = demand;
    a.sales_last = demand;
    a.orders_last = demand;
    a.inventory = demand * p.inventory_buffer;
    a.target_base = demand;
    a.experience0 = p.initial_experience_months * demand.max(1.0);
    a.experience = a.experience0;
    a.share_hist = [share; 2];
    a.cash = p.initial_cash_months * demand * a.transaction_price();
    a.payables = a.payment_days / 30.0 * a.cost * demand;
    a.utilization_ema = demand / a.capacity.max(1e-9);
}

/// Index drawn from unnormalised `weights` with uniform `u` (last index on round-off).
pub fn pick(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w / total;
        if u < acc {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

/// What the automaker phase needs from the rest of the world this month.
pub struct PlanContext<'a> {
    /// Parameters.
    pub p: &'a AutomakerParams,
    /// National policy in force.
    pub policy: &'a PolicyParams,
    /// The month planned.
    pub at: Month,
    /// Yearly target growth of local governments.
    pub target_growth: f64,
    /// Support level of each firm's home government (0-1).
    pub support: &'a [f64],
    /// Highest exporter rebate (fraction of list).
    pub rebate_max: f64,
    /// Battery pack cost relative to the first month ([`crate::model::policy::MonthCalendar::battery_cost`]).
    pub battery_cost: f64,
    /// Stock each line's dealer network holds at the start of the month (empty without dealers):
    /// the line plans on the stock of its whole channel.
    pub channel: &'a [f64],
    /// Dealers' own discounts this month, one per line (empty without dealers; set by the
    /// dealer phase before planning).
    pub dealer_discounts: &'a [f64],
}

/// Costs, expectations, production, prices and rebates for one month (phase 3 of `step`).
/// `rival_cut` is the largest relative list cut last month among the three best-selling rivals.
/// `channel` is the stock of the line's dealers (0 without dealers): cover, production and the
/// exporter rebate read the stock of the whole channel, factory and dealers.
pub fn plan(a: &mut Automaker, ctx: &PlanContext<'_>, rival_cut: f64, channel: f64, rng: &mut Rng) {
    let p = ctx.p;
    let (years, calendar_month) = (ctx.at.years(), ctx.at.date.month);
    // Capacity on order arrives.
    if !a.pipeline.is_empty() {
        a.capacity += a.pipeline.remove(0);
        a.pipeline.push(0.0);
    }
    // EV shift of a blended line, then the learning curve ([`unit_cost`]).
    if a.powertrain == Powertrain::Blend {
        let mult = match a.ownership {
            Ownership::Private => p.ev_shift_private,
            Ownership::LocalState | Ownership::CentralState => 1.0,
            Ownership::JointVenture => p.ev_shift_jv,
        };
        a.ev_share = (a.ev_share0 + p.ev_shift_per_year * mult * years).min(1.0);
    }
    a.cost = unit_cost(a, p, ctx.battery_cost);

    // Adaptive demand expectation.
    let sales = a.orders_last;
    a.demand_exp += p.demand_expectation_weight * (sales - a.demand_exp);

    // Production pushed toward the local target.
    let support = ctx.support[a.region];
    let target = a.target_base * (1.0 + ctx.target_growth).powf(years);
    let gap = (target - a.demand_exp).max(0.0);
    let push = p.target_push * a.push_factor(p) * support;
    let held = a.inventory + channel;
    a.push_units = push * gap;
    let desired = (1.0 + p.inventory_buffer) * a.demand_exp - held + push * gap;
    // Cover of the stock carried into the month, before this month's output.
    let cover = held / a.demand_exp.max(1.0);
    a.production = desired.clamp(0.0, a.capacity);
    a.capacity_month = a.capacity;
    a.inventory += a.production;
    a.experience += a.production;

    // Mark-up responds to the change of market share (K+S rule).
    let [s1, s2] = a.share_hist;
    if s2 > 1e-12 {
        a.markup *= 1.0 + p.markup_share_response * (s1 - s2) / s2;
    }
    a.markup = a.markup.clamp(p.markup_min, p.markup_max);

    // List price: partial adjustment toward (1 + mu) c, then follow rivals' cuts.
    a.list_prev = a.list_price;
    let target_list = (1.0 + a.markup) * a.cost;
    a.list_price += p.list_price_adjustment * (target_list - a.list_price);
    if rival_cut > p.follow_threshold && rng.random::<f64>() < p.follow_probability {
        a.list_price *= 1.0 - rival_cut;
    }

    // Street discount from inventory cover (Lengnick band rule, sticky upward).
    if cover > p.inventory_high_months {
        a.discount += p.discount_step_max * rng.random::<f64>();
    } else if cover < p.inventory_low_months && rng.random::<f64>() < p.discount_raise_probability {
        a.discount -= p.discount_step_max * rng.random::<f64>();
    }
    // Volume defence (fixed-cost trap): idle capacity pushes discounts deeper.
    let u = a.production / a.capacity.max(1e-9);
    if u < p.target_utilization {
        a.discount += p.volume_defence * p.discount_step_max * rng.random::<f64>() * (p.target_utilization - u)
            / p.target_utilization;
    }
    a.discount = a.discount.clamp(0.0, p.max_discount);
    a.ytd_reported = if calendar_month == 1 { 0.0 } else { a.ytd_reported };
    let behind = a.ytd_reported < target * (calendar_month as f64 - 1.0) * 0.98;
    a.push_discount = if calendar_month >= 11 && behind { p.year_end_discount } else { 0.0 };

    // Price floor: soft-budget firms may sell below variable cost; a ban lifts it to the cost basis.
    floor::apply(a, p, ctx.policy);
    a.last_cut = ((a.list_prev - a.list_price) / a.list_prev).max(0.0);
    // The ring holds the lists of the last 12 months; this month's slot still has last year's.
    let year_ago = a.list_ring[a.ring_slot];
    a.cut_12m = if year_ago > 0.0 { ((year_ago - a.list_price) / year_ago).max(0.0) } else { 0.0 };
    a.list_ring[a.ring_slot] = a.list_price;
    a.ring_slot = (a.ring_slot + 1) % 12;

    // Exporter rebate grows with the gap to target and with excess stock.
    let excess = (a.inventory + channel - p.inventory_high_months * a.demand_exp).max(0.0);
    let pressure = (gap + excess) / a.demand_exp.max(1.0);
    a.rebate = ctx.rebate_max * pressure.clamp(0.0, 1.0);
}

/// Phase 1b, a dated `capacity_consolidation`: every active group whose 12-month utilisation is
/// below the threshold retires `retire_share` of its capacity above what its expected demand
/// needs at the target utilisation.
pub fn consolidate(firms: &mut [Automaker], c: &CapacityConsolidation, target_utilization: f64) {
    for a in firms.iter_mut().filter(|a| a.active) {
        if a.utilization_ema < c.utilization_threshold {
            let needed = a.demand_exp / target_utilization;
            a.capacity -= c.retire_share * (a.capacity - needed).max(0.0);
        }
    }
}

/// Largest relative list cut last month among the three best sellers other than each firm
/// (ties in sales broken by index), one entry per firm.
fn rival_cuts(firms: &[Automaker]) -> Vec<f64> {
    let mut ranked: Vec<usize> = (0..firms.len()).filter(|&i| firms[i].active).collect();
    ranked.sort_by(|&a, &b| firms[b].total_sales().total_cmp(&firms[a].total_sales()).then(a.cmp(&b)));
    let top: Vec<(usize, f64)> = ranked.iter().take(4).map(|&i| (i, firms[i].last_cut)).collect();
    (0..firms.len()).map(|i| top.iter().filter(|(j, _)| *j != i).take(3).map(|(_, c)| *c).fold(0.0, f64::max)).collect()
}

/// What the planning phase did this month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanOutcome {
    /// Cash of all groups before the month's flows (yuan).
    pub cash_before: f64,
    /// Variable cost of this month's production (yuan).
    pub production_cost: f64,
    /// Stock of active groups after production (vehicles).
    pub available: f64,
    /// Change of the transaction price index, chained on last month's retail weights.
    pub transaction_change: f64,
    /// Change of regular prices (list less street discount, without the year-end push) on the
    /// same weights: the change households extrapolate.
    pub regular_change: f64,
    /// Change of list prices on the same weights: the like-for-like list change, without the
    /// mix.
    pub list_change: f64,
}

/// Change of a price on fixed weights, Σ w_j now_j / Σ w_j prev_j − 1 over the active lines with
/// w_j > 0 (last month's retail sales): a like-for-like change, blind to shifts of the mix; 0
/// without weights.
pub fn chained_change(firms: &[Automaker], weights: &[f64], prev: &[f64], now: impl Fn(&Automaker) -> f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (i, a) in firms.iter().enumerate() {
        if a.active && weights[i] > 0.0 {
            num += weights[i] * now(a);
            den += weights[i] * prev[i];
        }
    }
    if den > 0.0 {
        num / den - 1.0
    } else {
        0.0
    }
}

/// Phase 3, automakers plan: this month's flows are reset and every active group plans
/// ([`plan`]) with its own random stream; inactive groups produce nothing. Price changes are
/// chained on last month's retail weights. Households recognise the year-end push as a deal
/// that expires, so the regular change they extrapolate leaves it out.
pub fn plan_all(firms: &mut [Automaker], ctx: &PlanContext<'_>) -> PlanOutcome {
    let rival = rival_cuts(firms);
    let tx_prev: Vec<f64> = firms.iter().map(|a| a.transaction_price()).collect();
    let regular_prev: Vec<f64> = firms.iter().map(|a| a.regular_price()).collect();
    let list_prev: Vec<f64> = firms.iter().map(|a| a.list_price).collect();
    let weights_prev: Vec<f64> = firms.iter().map(|a| a.retail_sales).collect();
    let cash_before = firms.iter().map(|a| a.cash).sum();
    let mut production_cost = 0.0;
    for (i, a) in firms.iter_mut().enumerate() {
        a.retail_sales = 0.0;
        a.zero_mileage_sales = 0.0;
        a.export_sales = 0.0;
        (a.wholesale, a.dealer_zero_mileage) = (0.0, 0.0);
        if let Some(&d) = ctx.dealer_discounts.get(i) {
            a.dealer_discount = d;
        }
        a.revenue = 0.0;
        a.orders = 0.0;
        (a.subsidy_received, a.bailout_received, a.bailed_out, a.exited_now) = (0.0, 0.0, false, false);
        if !a.active {
            a.production = 0.0;
            a.capacity_month = 0.0;
            continue;
        }
        let mut r = rng::stream(ctx.at.key, purpose::AUTOMAKERS, ctx.at.index, i as u64);
        plan(a, ctx, rival[i], ctx.channel.get(i).copied().unwrap_or(0.0), &mut r);
        production_cost += a.cost * a.production;
    }
    let available = firms.iter().filter(|a| a.active).map(|a| a.inventory).sum();
    PlanOutcome {
        cash_before,
        production_cost,
        available,
        transaction_change: chained_change(firms, &weights_prev, &tx_prev, Automaker::transaction_price),
        regular_change: chained_change(firms, &weights_prev, &regular_prev, Automaker::regular_price),
        list_change: chained_change(firms, &weights_prev, &list_prev, |a| a.list_price),
    }
}

#[cfg(test)]
#[path = "automaker/tests.rs"]
mod tests;
