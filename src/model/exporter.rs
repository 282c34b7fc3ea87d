//! Zero-mileage exporters: traders who enter and exit on margins, buy new cars at a discount,
//! register them (a domestic "sale"), hold them, ship them and sell them abroad as used cars.

use super::automaker::{Automaker, Powertrain};
use super::dealer::{self, Dealer};
use super::foreign_market::{ForeignMarket, Lot};
use super::government::Government;
use super::policy::Month;
use super::rng::{self, purpose, Rng};
use crate::scenario::{DealerParams, ExporterParams, MarketParams, PolicyParams};
use rand::Rng as _;
use rand_distr::{Distribution, LogNormal};

/// Longest holding tracked (months since registration); older cars ship regardless.
pub const MAX_AGE: usize = 61;

/// One trader.
#[derive(Debug, Clone)]
pub struct Exporter {
    /// Home region (its government's licence and support apply).
    pub region: usize,
    /// Monthly purchase scale (vehicles/month).
    pub scale: f64,
    /// Trading now.
    pub active: bool,
    /// Destination market index.
    pub destination: usize,
    /// Smoothed realised margin share (margin / purchase price).
    pub margin_ema: f64,
    /// Cars bought this month.
    pub bought: f64,
}

/// Creates the trader pool, spread over regions by `region_weights`.
pub fn init(p: &ExporterParams, region_weights: &[f64], markets: usize, rng: &mut Rng) -> Vec<Exporter> {
    let dist = LogNormal::new(-0.5 * p.scale_sigma.powi(2), p.scale_sigma).ok();
    (0..p.pool)
        .map(|_| Exporter {
            region: super::automaker::pick(region_weights, rng.random()),
            scale: p.scale_mean * dist.map_or(1.0, |d| d.sample(rng)),
            active: false,
            destination: rng.random_range(0..markets.max(1)),
            margin_ema: 0.0,
            bought: 0.0,
        })
        .collect()
}

/// Cars registered for export and held, by months since registration, for one destination.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Cars per age.
    pub qty: Vec<f64>,
    /// Cost basis (yuan, all cars of that age together).
    pub cost: Vec<f64>,
    /// EV cars per age.
    pub ev: Vec<f64>,
    /// Purchase value (yuan) per age, base of holding costs.
    pub value: Vec<f64>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Pipeline {
            qty: vec![0.0; MAX_AGE],
            cost: vec![0.0; MAX_AGE],
            ev: vec![0.0; MAX_AGE],
            value: vec![0.0; MAX_AGE],
        }
    }

    /// Cars held.
    pub fn total(&self) -> f64 {
        self.qty.iter().sum()
    }

    /// Registers `qty` cars at age 0, each with cost basis `unit_cost`, EV share `ev_share` and
    /// purchase value `unit_value` (yuan).
    pub fn enter(&mut self, qty: f64, unit_cost: f64, ev_share: f64, unit_value: f64) {
        self.qty[0] += qty;
        self.cost[0] += qty * unit_cost;
        self.ev[0] += qty * ev_share;
        self.value[0] += qty * unit_value;
    }

    /// Ships what `rule` lets leave this month and returns it as one lot whose cost adds the
    /// ad-valorem charges `ad_valorem` (shipping share + duty, fraction of purchase value), the
    /// per-car `fee` (yuan) and the documentation cost of early releases.
    pub fn release(&mut self, rule: &HoldingRule, ad_valorem: f64, fee: f64) -> Lot {
        let mut out = Lot::default();
        for age in 0..MAX_AGE {
            if self.qty[age] <= 0.0 {
                continue;
            }
            let share = rule.release_share(age);
            if share <= 0.0 {
                continue;
            }
            let q = self.qty[age] * share;
            let value = self.value[age] * share;
            let lot = Lot {
                qty: q,
                cost: self.cost[age] * share + value * ad_valorem + fee * q + rule.documentation_fee(age) * q,
                ev: self.ev[age] * share,
            };
            self.qty[age] -= q;
            self.cost[age] -= self.cost[age] * share;
            self.ev[age] -= self.ev[age] * share;
            self.value[age] -= value;
            out.add(&lot);
        }
        out
    }

    /// Ages the cars still held by one month; holding costs accrue on purchase value at the
    /// monthly rate `carry` (the oldest age keeps its cars).
    pub fn age(&mut self, carry: f64) {
        for age in (0..MAX_AGE).rev() {
            self.cost[age] += self.value[age] * carry;
            if age + 1 < MAX_AGE {
                self.qty[age + 1] += self.qty[age];
                self.cost[age + 1] += self.cost[age];
                self.ev[age + 1] += self.ev[age];
                self.value[age + 1] += self.value[age];
                self.qty[age] = 0.0;
                self.cost[age] = 0.0;
                self.ev[age] = 0.0;
                self.value[age] = 0.0;
            }
        }
    }
}

/// The holding and documentation rule in force (`[policy]` and `zero_mileage_rule` events,
/// docs/model.md §7.5): the one reading of those four policy fields for both the actual release
/// of held cars and the traders' expectation of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldingRule {
    /// Months a car must be held before it may leave (H_min).
    pub min_months: u32,
    /// Months within which an early release needs documentation (H_doc).
    pub documentation_months: u32,
    /// Share of held cars confirmed for early release each month (c).
    pub confirmation_rate: f64,
    /// Cost of documenting one early release (yuan/vehicle).
    pub documentation_cost: f64,
}

impl HoldingRule {
    /// The rule in `policy`.
    pub fn from_policy(policy: &PolicyParams) -> Self {
        HoldingRule {
            min_months: policy.min_holding_months,
            documentation_months: policy.documentation_months,
            confirmation_rate: policy.confirmation_rate,
            documentation_cost: policy.documentation_cost,
        }
    }

    /// True when documented early release is possible (H_doc > H_min).
    pub fn early_release(&self) -> bool {
        self.documentation_months > self.min_months
    }

    /// Share of the cars of `age` months that may ship this month: none before H_min, the
    /// confirmed share c before H_doc, all after (and at the last tracked age).
    pub fn release_share(&self, age: usize) -> f64 {
        let last = age + 1 >= MAX_AGE;
        if age < self.min_months as usize && !last {
            0.0
        } else if age < self.documentation_months as usize && !last {
            self.confirmation_rate
        } else {
            1.0
        }
    }

    /// Documentation cost per car released at `age` (yuan/vehicle).
    pub fn documentation_fee(&self, age: usize) -> f64 {
        if age < self.documentation_months as usize {
            self.documentation_cost
        } else {
            0.0
        }
    }

    /// **Approximation** used by traders when they price a purchase (docs/model.md §7.5): the
    /// expected months held, c·H_min + (1 − c)·H_doc with early release, H_min otherwise. The
    /// actual release ([`HoldingRule::release_share`]) is geometric — a share c of what remains
    /// each month between H_min and H_doc — so the true mean is shorter than this expectation.
    pub fn expected_months(&self) -> f64 {
        if self.early_release() {
            self.confirmation_rate * self.min_months as f64
                + (1.0 - self.confirmation_rate) * self.documentation_months as f64
        } else {
            self.min_months as f64
        }
    }

    /// Expected documentation cost per car under the same approximation (yuan/vehicle).
    pub fn expected_documentation_cost(&self) -> f64 {
        if self.early_release() {
            self.confirmation_rate * self.documentation_cost
        } else {
            0.0
        }
    }
}

/// Monthly holding-cost rate of a held car: financing plus depreciation (fraction of purchase
/// value per month).
pub fn carry_rate(p: &ExporterParams) -> f64 {
    p.financing_rate / 12.0 + p.depreciation
}

/// Registration cost of one car bought at `price` with EV share `ev_share` (yuan/vehicle): the
/// fixed cost plus the purchase tax on ICE cars and the NEV rate in force on EVs.
fn registration(p: &ExporterParams, policy: &PolicyParams, price: f64, ev_share: f64) -> f64 {
    p.registration_cost + price * (policy.ice_purchase_tax * (1.0 - ev_share) + policy.nev_purchase_tax * ev_share)
}

/// Margin share of one car bought at `p_buy` with EV share `ev_share` and sold in market `m`
/// (docs/model.md sec. 7.5): the zero-mileage price there, times the car's value
/// (1 - e + r e with the market's NEV value r), less the expected all-in cost (purchase,
/// holding for [`HoldingRule::expected_months`] plus transit, shipping and duty, registration,
/// fee, expected documentation, less the VAT rebate), over the purchase price.
fn margin_share(
    p_buy: f64,
    ev_share: f64,
    p: &ExporterParams,
    policy: &PolicyParams,
    rule: &HoldingRule,
    m: &ForeignMarket,
    mp: &MarketParams,
) -> f64 {
    let hold = rule.expected_months() + p.transit_months as f64;
    let reg = registration(p, policy, p_buy, ev_share);
    let vat = p.export_vat_rebate * p_buy * (1.0 - p.rebate_delay_cost);
    let cost = p_buy * (1.0 + carry_rate(p) * hold + mp.shipping_share + m.tariff())
        + reg
        + m.fee
        + rule.expected_documentation_cost()
        - vat;
    (m.zm_price * m.car_value(ev_share) - cost) / p_buy
}

/// Where traders sell this month: the active traders' purchase scale by destination, or each
/// market's zero-mileage demand while no trader is active (weights, not normalised).
fn destination_weights(traders: &[Exporter], params: &[MarketParams]) -> Vec<f64> {
    let mut w = vec![0.0; params.len()];
    for t in traders.iter().filter(|t| t.active) {
        w[t.destination] += t.scale;
    }
    if w.iter().sum::<f64>() <= 0.0 {
        w = params.iter().map(|mp| mp.zero_mileage_demand).collect();
    }
    w
}

/// Where traders buy this month: each source's pull (cars available × e^(λ·rebate)), and the
/// pull-weighted purchase price and EV share. The sources are the lines' factories and, with a
/// dealer tier, their dealer networks (docs/model.md §7.2b): the traders' two routes.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseMix {
    /// Pull of each source: the n lines' factories, then (with dealers) their n networks (0
    /// without stock or offer, or when inactive).
    pub weights: Vec<f64>,
    /// Each source's price (yuan/vehicle), in the order of `weights`.
    pub prices: Vec<f64>,
    /// Sum of the pulls.
    pub total: f64,
    /// Pull-weighted exporter price (yuan); the reference price without any stock.
    pub price: f64,
    /// Pull-weighted EV share; 0 without any stock.
    pub ev_share: f64,
}

/// What sourcing by line looks at beyond stock and rebates (split powertrains): each line's
/// expected margin share at the traders' destinations and the share of NEV purchases an export
/// licence blocks.
pub struct Sourcing<'a> {
    /// Exporter parameters.
    pub p: &'a ExporterParams,
    /// National policy in force.
    pub policy: &'a PolicyParams,
    /// Holding rule in force.
    pub rule: &'a HoldingRule,
    /// Foreign markets.
    pub markets: &'a [ForeignMarket],
    /// Their parameters.
    pub params: &'a [MarketParams],
    /// Destination weights: the active traders' scale by destination (or zero-mileage demand).
    pub destinations: &'a [f64],
}

impl Sourcing<'_> {
    /// Multiplier of the pull of line `a`'s cars bought at `price`: exp(κ m_a) with m_a their
    /// destination-weighted margin share ([`margin_share`] at that price), times 1 - blocked for
    /// an NEV line.
    fn factor(&self, a: &Automaker, price: f64) -> f64 {
        let total: f64 = self.destinations.iter().sum::<f64>().max(1e-12);
        let m: f64 = self
            .markets
            .iter()
            .zip(self.params)
            .zip(self.destinations)
            .map(|((m, mp), w)| w * margin_share(price, a.ev_share, self.p, self.policy, self.rule, m, mp))
            .sum::<f64>()
            / total;
        let blocked = if a.powertrain == Powertrain::Nev { self.policy.nev_export_blocked } else { 0.0 };
        (self.p.sourcing_margin_weight * m).exp() * (1.0 - blocked)
    }
}

impl PurchaseMix {
    /// The mix over `firms` and their `dealers` (empty without a dealer tier), with `p_ref` as
    /// the price when no source has stock; `sourcing` (split powertrains) weighs each source by
    /// its margin abroad and the NEV licence. A factory pulls with its stock and its exporter
    /// rebate, a network with its offer ([`dealer::offer_all`]) and its price below the invoice,
    /// (d_dealer + ζ − m) of list.
    pub fn new(
        firms: &[Automaker],
        dealers: &[Dealer],
        dp: &DealerParams,
        p: &ExporterParams,
        p_ref: f64,
        sourcing: Option<&Sourcing<'_>>,
    ) -> Self {
        let n = firms.len() + dealers.len();
        let (mut weights, mut prices) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for a in firms {
            let price = a.exporter_price();
            let w = if a.active && a.inventory > 0.0 {
                let pull = a.inventory * (p.rebate_attraction * a.rebate).exp();
                sourcing.map_or(pull, |s| pull * s.factor(a, price))
            } else {
                0.0
            };
            weights.push(w);
            prices.push(price);
        }
        for (a, d) in firms.iter().zip(dealers) {
            let price = d.trader_price;
            let w = if a.active && d.offer > 0.0 {
                let target_cut = (dealer::export_price(a, dp) - price) / a.list_price.max(1.0);
                let below_invoice = d.discount + dp.export_discount - a.dealer_margin + target_cut;
                let pull = d.offer * (p.rebate_attraction * below_invoice).exp();
                sourcing.map_or(pull, |s| pull * s.factor(a, price))
            } else {
                0.0
            };
            weights.push(w);
            prices.push(price);
        }
        let total: f64 = weights.iter().sum();
        let lines = firms.len();
        let (price, ev_share) = if total > 0.0 {
            let pb = weights.iter().zip(&prices).map(|(w, price)| w * price).sum::<f64>() / total;
            let ev = weights.iter().enumerate().map(|(k, w)| w * firms[k % lines].ev_share).sum::<f64>() / total;
            (pb, ev)
        } else {
            (p_ref, 0.0)
        };
        PurchaseMix { weights, prices, total, price, ev_share }
    }
}

/// Prospective margin share of one car bought now for each market (phase 5a): the last
/// zero-mileage price abroad less the expected all-in cost (purchase, holding for
/// [`HoldingRule::expected_months`] plus transit, shipping and duty, registration, fee, expected
/// documentation, less the VAT rebate), over the purchase price.
pub fn prospective_margins(
    mix: &PurchaseMix,
    p: &ExporterParams,
    policy: &PolicyParams,
    rule: &HoldingRule,
    markets: &[ForeignMarket],
    params: &[MarketParams],
) -> Vec<f64> {
    markets.iter().zip(params).map(|(m, mp)| margin_share(mix.price, mix.ev_share, p, policy, rule, m, mp)).collect()
}

/// What traders bought from the groups this month.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Purchases {
    /// Cars bought (registered).
    qty: f64,
    /// EV cars among them.
    ev: f64,
    /// Purchase value (yuan).
    value: f64,
}

/// Traders' orders `wanted` split over the sources by pull; each delivers what its stock or
/// offer allows, as zero-mileage "sales" at its price: a factory from its stock
/// (`zero_mileage_sales`), a network from its offer ([`dealer::sell_to_traders`]). Every
/// order counts in the line's orders.
fn buy(firms: &mut [Automaker], dealers: &mut [Dealer], mix: &PurchaseMix, wanted: f64) -> Purchases {
    let mut bought = Purchases { qty: 0.0, ev: 0.0, value: 0.0 };
    if mix.total > 0.0 && wanted > 0.0 {
        let lines = firms.len();
        for (k, (w, price)) in mix.weights.iter().zip(&mix.prices).enumerate() {
            let a = &mut firms[k % lines];
            a.orders += wanted * w / mix.total;
            let z = if k < lines {
                let z = (wanted * w / mix.total).min(a.inventory);
                a.zero_mileage_sales = z;
                a.inventory -= z;
                a.revenue += z * price;
                z
            } else {
                let d = &mut dealers[k - lines];
                let z = (wanted * w / mix.total).min(d.offer);
                a.dealer_zero_mileage = z;
                dealer::sell_to_traders(d, z, *price);
                z
            };
            bought.qty += z;
            bought.ev += z * a.ev_share;
            bought.value += z * price;
        }
    }
    bought
}

/// What the exporter phase did this month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportFlows {
    /// Mean purchase price of them (yuan/vehicle; the mix price when none were bought).
    pub purchase_price: f64,
    /// Cars shipped abroad this month, all destinations (vehicles).
    pub shipped: f64,
    /// EV cars among them.
    pub shipped_ev: f64,
    /// VAT rebates on this month's purchases for export, at the full rate (yuan; paid by the
    /// national budget).
    pub vat_rebates: f64,
}

/// What the exporter phase reads from the rest of the world.
pub struct TradeContext<'a> {
    /// Exporter parameters.
    pub p: &'a ExporterParams,
    /// Foreign market parameters, in scenario order.
    pub markets: &'a [MarketParams],
    /// National policy in force.
    pub policy: &'a PolicyParams,
    /// Rebate acceleration of participating governments (fraction of the VAT delay avoided).
    pub rebate_acceleration: f64,
    /// Price when no group has stock (yuan).
    pub p_ref: f64,
    /// The month traded (random streams).
    pub at: Month,
    /// Groups have NEV and ICE lines (sourcing by line margin and licence).
    pub split: bool,
    /// Dealer parameters (the dealers' price to traders).
    pub dealers: &'a DealerParams,
}

/// Phase 5, exporters: prospective margins; entry, exit and destination; purchases
/// (registrations) under the quota; government support; pipeline entry; shipping under the
/// holding rule; ageing.
pub fn trade(
    traders: &mut [Exporter],
    pipelines: &mut [Pipeline],
    firms: &mut [Automaker],
    dealers: &mut [Dealer],
    governments: &mut [Government],
    markets: &mut [ForeignMarket],
    ctx: &TradeContext<'_>,
) -> ExportFlows {
    let (e, policy) = (ctx.p, ctx.policy);
    let rule = HoldingRule::from_policy(policy);
    let destinations = destination_weights(traders, ctx.markets);
    let sourcing = Sourcing { p: e, policy, rule: &rule, markets, params: ctx.markets, destinations: &destinations };
    let mix = PurchaseMix::new(firms, dealers, ctx.dealers, e, ctx.p_ref, ctx.split.then_some(&sourcing));
    let margins = prospective_margins(&mix, e, policy, &rule, markets, ctx.markets);
    let licensed: Vec<bool> = governments.iter().map(|g| (g.rank as u32) < policy.licensed_regions).collect();
    let participating: Vec<bool> = governments.iter().map(|g| g.participating).collect();
    let mut rx = rng::stream(ctx.at.key, purpose::EXPORTERS, ctx.at.index, 0);
    adjust_population(traders, e, &margins, &licensed, &participating, &mut rx);
    let wanted = desired(traders, e, &margins).min(policy.zero_mileage_quota);
    let wanted_raw: f64 = traders.iter().map(|t| t.bought).sum();
    let bought = buy(firms, dealers, &mix, wanted);
    let fill = if wanted_raw > 0.0 { bought.qty / wanted_raw } else { 0.0 };
    let (p_avg, ev_share) =
        if bought.qty > 0.0 { (bought.value / bought.qty, bought.ev / bought.qty) } else { (mix.price, 0.0) };
    let reg = registration(e, policy, p_avg, ev_share);
    let mut vat_rebates = 0.0;
    for t in traders.iter_mut() {
        t.bought *= fill;
        if t.bought <= 0.0 {
            continue;
        }
        let g = &mut governments[t.region];
        let accel = if g.participating { ctx.rebate_acceleration } else { 0.0 };
        let vat = e.export_vat_rebate * p_avg * (1.0 - e.rebate_delay_cost * (1.0 - accel));
        let support = g.export_rate;
        // The state refunds the full rebate; a participating government advances it and
        // bears the delay cost it removes (docs/model.md sec. 7.5).
        vat_rebates += e.export_vat_rebate * p_avg * t.bought;
        let advanced = e.export_vat_rebate * p_avg * e.rebate_delay_cost * accel * t.bought;
        g.spend += advanced + support * t.bought;
        g.spend_rebate += advanced;
        g.spend_export += support * t.bought;
        pipelines[t.destination].enter(t.bought, p_avg + reg - vat - support, ev_share, p_avg);
    }
    // Ship what may leave, then age what stays.
    let carry = carry_rate(e);
    let (mut shipped, mut shipped_ev) = (0.0, 0.0);
    for ((pl, m), mp) in pipelines.iter_mut().zip(markets.iter_mut()).zip(ctx.markets) {
        let out = pl.release(&rule, mp.shipping_share + m.tariff(), m.fee);
        shipped += out.qty;
        shipped_ev += out.ev;
        m.ship(out, e.transit_months);
        pl.age(carry);
    }
    ExportFlows { purchase_price: p_avg, shipped, shipped_ev, vat_rebates }
}

/// Phase 7b: active traders update their smoothed realised margin share from their
/// destination's sales this month (margin per car over the mean purchase price).
pub fn learn_margins(traders: &mut [Exporter], markets: &[ForeignMarket], p: &ExporterParams, purchase_price: f64) {
    for t in traders.iter_mut().filter(|t| t.active) {
        let m = &markets[t.destination];
        if m.zm_sold > 0.0 {
            let share = m.zm_margin / m.zm_sold / purchase_price.max(1.0);
            t.margin_ema = p.margin_memory * t.margin_ema + (1.0 - p.margin_memory) * share;
        }
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

/// Logistic function.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Entry, exit and destination choice (phase 5a). `margins[k]` is the prospective margin share
/// for market k; `licensed[g]` and `participating[g]` by region.
pub fn adjust_population(
    traders: &mut [Exporter],
    p: &ExporterParams,
    margins: &[f64],
    licensed: &[bool],
    participating: &[bool],
    rng: &mut Rng,
) {
    let best = margins.iter().enumerate().fold((0, f64::NEG_INFINITY), |b, (k, &m)| if m > b.1 { (k, m) } else { b });
    // Imitation (Bass 1969): entry odds rise with the share of licensed traders already active.
    let (licensed_n, active_n) = traders
        .iter()
        .filter(|t| licensed[t.region])
        .fold((0usize, 0usize), |(l, a), t| (l + 1, a + usize::from(t.active)));
    let adoption = if licensed_n > 0 { active_n as f64 / licensed_n as f64 } else { 0.0 };
    let base_rate = p.entry_rate + p.imitation * adoption;
    for t in traders.iter_mut() {
        let u: f64 = rng.random();
        if !licensed[t.region] {
            t.active = false;
            continue;
        }
        if t.active {
            let signal = 0.5 * (t.margin_ema + margins[t.destination]);
            let p_exit = p.exit_rate * logistic(-p.margin_sensitivity * (signal - p.margin_threshold));
            if u < p_exit {
                t.active = false;
                continue;
            }
            if rng.random::<f64>() < p.destination_revision {
                t.destination = best.0;
            }
        } else {
            let boost = if participating[t.region] { p.support_entry_boost } else { 1.0 };
            let p_enter = (base_rate * boost * logistic(p.margin_sensitivity * (best.1 - p.margin_threshold))).min(1.0);
            if u < p_enter {
                t.active = true;
                t.destination = best.0;
                t.margin_ema = best.1;
            }
        }
    }
}

/// Desired purchases of each active trader this month given prospective margins.
pub fn desired(traders: &mut [Exporter], p: &ExporterParams, margins: &[f64]) -> f64 {
    let mut total = 0.0;
    for t in traders.iter_mut() {
        t.bought = if t.active {
            t.scale * logistic(p.margin_sensitivity * (margins[t.destination] - p.margin_threshold))
        } else {
            0.0
        };
        total += t.bought;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(min: u32, doc: u32, c: f64) -> HoldingRule {
        HoldingRule { min_months: min, documentation_months: doc, confirmation_rate: c, documentation_cost: 800.0 }
    }

    #[test]
    fn release_waits_for_the_minimum_then_ships_the_confirmed_share_then_all() {
        let r = rule(2, 5, 0.3);
        let shares: Vec<f64> = (0..7).map(|a| r.release_share(a)).collect();
        assert_eq!(shares, [0.0, 0.0, 0.3, 0.3, 0.3, 1.0, 1.0]);
        assert_eq!(r.release_share(MAX_AGE - 1), 1.0, "the last tracked age always ships");
        assert_eq!(rule(60, 60, 0.3).release_share(MAX_AGE - 1), 1.0);
        assert_eq!((r.documentation_fee(4), r.documentation_fee(5)), (800.0, 0.0));
        // Without a documentation window beyond the minimum there is no early release.
        let strict = rule(6, 3, 0.3);
        assert!(!strict.early_release());
        assert_eq!((strict.release_share(5), strict.release_share(6)), (0.0, 1.0));
        assert_eq!((strict.expected_months(), strict.expected_documentation_cost()), (6.0, 0.0));
    }

    /// Mean months held of one car entered at age 0 under `rule`, by running the pipeline.
    fn simulated_holding(rule: &HoldingRule) -> f64 {
        let mut pl = Pipeline::new();
        pl.enter(1.0, 0.0, 0.0, 0.0);
        let mut mean = 0.0;
        for month in 0..MAX_AGE {
            mean += month as f64 * pl.release(rule, 0.0, 0.0).qty;
            pl.age(0.0);
        }
        assert!(pl.total() < 1e-12, "every car ships by the last age");
        mean
    }

    /// The traders' expected holding c·H_min + (1 − c)·H_doc is the documented approximation of
    /// the geometric release, whose mean is H_min + (1 − c)(1 − (1 − c)^n)/c with n = H_doc − H_min.
    #[test]
    fn expected_holding_is_an_upper_bound_of_the_geometric_release() {
        for (min, doc, c) in [(0, 6, 0.3), (3, 9, 0.5), (2, 3, 0.4), (1, 12, 1.0), (4, 4, 0.2)] {
            let r = rule(min, doc, c);
            let n = doc.saturating_sub(min) as i32;
            let closed = min as f64 + if n > 0 { (1.0 - c) * (1.0 - (1.0 - c).powi(n)) / c } else { 0.0 };
            let simulated = simulated_holding(&r);
            assert!((simulated - closed).abs() < 1e-9, "{min}/{doc}/{c}: {simulated} vs {closed}");
            let approx = if doc > min { c * min as f64 + (1.0 - c) * doc as f64 } else { min as f64 };
            assert_eq!(r.expected_months(), approx);
            assert!(closed <= approx + 1e-12, "{min}/{doc}/{c}: true mean {closed} above expectation {approx}");
        }
        // Strictly shorter when confirmation is partial and the window longer than one month.
        assert!(simulated_holding(&rule(0, 6, 0.3)) < rule(0, 6, 0.3).expected_months() - 1.0);
    }

    #[test]
    fn pipeline_keeps_every_car_and_charges_carry_shipping_duty_fee_and_documents() {
        let mut pl = Pipeline::new();
        pl.enter(10.0, 100.0, 0.4, 90.0);
        let r = rule(1, 3, 0.5);
        assert_eq!(pl.release(&r, 0.1, 5.0).qty, 0.0, "nothing leaves before the minimum");
        pl.age(0.01);
        assert!((pl.cost[1] - (1000.0 + 900.0 * 0.01)).abs() < 1e-9, "carry accrues on purchase value");
        let lot = pl.release(&r, 0.1, 5.0);
        assert!((lot.qty - 5.0).abs() < 1e-12 && (lot.ev - 2.0).abs() < 1e-12);
        // Half the cost basis, 10 % of half the purchase value, the fee and the documentation.
        let want = 0.5 * 1009.0 + 0.1 * 450.0 + 5.0 * 5.0 + 800.0 * 5.0;
        assert!((lot.cost - want).abs() < 1e-9, "{} vs {want}", lot.cost);
        assert!((pl.total() + lot.qty - 10.0).abs() < 1e-12);
        assert!((pl.value[1] - 450.0).abs() < 1e-9 && (pl.ev[1] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn margins_fall_with_duty_holding_and_registration_tax() {
        use crate::scenario::MarketParams;
        let p = ExporterParams::default();
        let policy = PolicyParams::default();
        let mp = [MarketParams::default()];
        let market = [ForeignMarket::new(&mp[0], 150_000.0, 135_000.0, p.foreign_discount)];
        let mix =
            PurchaseMix { weights: vec![1.0], prices: vec![100_000.0], total: 1.0, price: 100_000.0, ev_share: 0.0 };
        let margin = |mix: &PurchaseMix, rule: HoldingRule, markets: &[ForeignMarket]| {
            prospective_margins(mix, &p, &policy, &rule, markets, &mp)[0]
        };
        let base = margin(&mix, rule(0, 0, 1.0), &market);
        let mut dutied = market.clone();
        dutied[0].backlash = 0.2;
        let with_duty = margin(&mix, rule(0, 0, 1.0), &dutied);
        assert!((base - with_duty - 0.2).abs() < 1e-12, "a duty of 20 % of value costs 0.2 of margin share");
        let held = margin(&mix, rule(6, 0, 1.0), &market);
        assert!((base - held - 6.0 * carry_rate(&p)).abs() < 1e-12, "six months of carry");
        let nev = margin(&PurchaseMix { ev_share: 1.0, ..mix.clone() }, rule(0, 0, 1.0), &market);
        let tax_gap = policy.ice_purchase_tax - policy.nev_purchase_tax;
        assert!((nev - base - tax_gap).abs() < 1e-12, "EVs pay the NEV rate instead of the ICE tax");
    }

    #[test]
    fn only_active_traders_learn_from_their_destination() {
        let p = ExporterParams { margin_memory: 0.75, ..ExporterParams::default() };
        let mp = crate::scenario::MarketParams::default();
        let mut markets = vec![ForeignMarket::new(&mp, 150_000.0, 135_000.0, 0.15); 2];
        markets[1].zm_sold = 10.0;
        markets[1].zm_margin = 10.0 * 8_000.0;
        let trader =
            |active, destination| Exporter { region: 0, scale: 1.0, active, destination, margin_ema: 0.1, bought: 0.0 };
        let mut traders = vec![trader(true, 1), trader(false, 1), trader(true, 0)];
        learn_margins(&mut traders, &markets, &p, 100_000.0);
        assert!((traders[0].margin_ema - (0.75 * 0.1 + 0.25 * 0.08)).abs() < 1e-12);
        assert_eq!(traders[1].margin_ema, 0.1, "inactive traders do not learn");
        assert_eq!(traders[2].margin_ema, 0.1, "no sales at the destination, nothing to learn");
    }
}
