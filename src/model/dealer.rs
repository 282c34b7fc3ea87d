//! Dealers (docs/model.md §7.2b): one franchised network per line. A network buys its line's
//! cars at the invoice price (wholesale), holds them on floor-plan credit, retails them to
//! households at its own discount, and sells stock above CADA's warning line to zero-mileage
//! traders. Networks lose outlets while they lose money, and go with their line when it exits.
//!
//! China's 4S outlets sell one brand, so a line's outlets are aggregated into one network
//! (one agent per line rather than per outlet: outlets of a brand face the same wholesale
//! policy, prices and stock signal; their number is the network's `outlets`). Deterministic:
//! no draws.

use super::automaker::Automaker;
use crate::scenario::{DealerParams, PolicyParams};

/// One line's dealer network. Stocks in vehicles, money in yuan; flows are this month's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dealer {
    /// Still trading (false once its line has exited).
    pub active: bool,
    /// New cars in stock (vehicles).
    pub stock: f64,
    /// Book value of the stock at its invoice prices (yuan), financed by a floor-plan loan of
    /// the same amount.
    pub book: f64,
    /// Cash (yuan, may be negative).
    pub cash: f64,
    /// Outlets (4S stores) of the network.
    pub outlets: f64,
    /// Operating cost net of after-sales income per outlet (yuan/month).
    pub cost_per_outlet: f64,
    /// Expected monthly retail sales (vehicles/month).
    pub retail_exp: f64,
    /// The network's own discount this month (fraction of list), beyond the automaker's.
    pub discount: f64,
    /// Household orders this month (before rationing).
    pub orders: f64,
    /// Wholesale received this month (vehicles).
    pub inflow: f64,
    /// The restocking need this month (vehicles): what brings stock to the target coefficient.
    pub restock: f64,
    /// Retail sales this month.
    pub retail: f64,
    /// Cars offered to traders this month.
    pub offer: f64,
    /// Cars sold to zero-mileage traders this month.
    pub to_exporters: f64,
    /// Stock written off this month (its line exited).
    pub written_off: f64,
    /// Revenue from retail and traders (yuan).
    pub revenue: f64,
    /// Book value of the cars sold (yuan).
    pub cogs: f64,
    /// Push rebates and per-car support received from the automaker (yuan).
    pub rebates: f64,
    /// Profit this month (yuan).
    pub profit: f64,
    /// Outlets closed this month.
    pub closed: f64,
    /// Outlets opened this month.
    pub opened: f64,
    /// Debt written down by creditors at closures (yuan).
    pub writedowns: f64,
    /// This quarter's sales target (vehicles): retail plus sales to traders that earn the
    /// quarterly target rebate ([`set_targets`]).
    pub target: f64,
    /// Cars sold this quarter so far, to households and to traders (vehicles).
    pub quarter_sold: f64,
    /// Cars offered to traders this month to reach the quarter's target (part of `offer`).
    pub target_offer: f64,
    /// The network's price to traders this month (yuan; [`offer_all`]).
    pub trader_price: f64,
    /// Target rebate received this month (yuan; part of `rebates`).
    pub target_rebate: f64,
}

impl Dealer {
    /// Inventory coefficient: stock over expected monthly retail (0 without expected retail).
    pub fn coefficient(&self) -> f64 {
        if self.retail_exp > 0.0 {
            self.stock / self.retail_exp
        } else {
            0.0
        }
    }

    /// Takes `qty` cars out of stock at their average book value and returns that value.
    fn take(&mut self, qty: f64) -> f64 {
        let value = if self.stock > 0.0 { self.book * (qty / self.stock).min(1.0) } else { 0.0 };
        self.stock -= qty;
        self.book -= value;
        if self.stock <= 0.0 {
            (self.stock, self.book) = (0.0, 0.0);
        }
        self.cogs += value;
        value
    }
}

/// One network per line, re-based by [`rebase`]: stock at the target coefficient of its
/// expected retail `retail[i]`, outlets at `sales_per_outlet`, the operating cost per outlet a
/// share of initial retail revenue, cash at `initial_cash_months` of that cost.
pub fn init(firms: &[Automaker], retail: &[f64], p: &DealerParams) -> Vec<Dealer> {
    let mut dealers = vec![Dealer { active: true, ..Dealer::default() }; firms.len()];
    rebase(&mut dealers, firms, retail, p);
    dealers
}

/// Re-bases every network on its line's expected monthly retail `retail` (vehicles/month).
pub fn rebase(dealers: &mut [Dealer], firms: &[Automaker], retail: &[f64], p: &DealerParams) {
    for ((d, a), &r) in dealers.iter_mut().zip(firms).zip(retail) {
        d.active = a.active;
        d.retail_exp = r;
        d.stock = p.target_coefficient * r;
        d.book = d.stock * a.invoice_price();
        d.outlets = (r / p.sales_per_outlet).max(if r > 0.0 { 1.0 } else { 0.0 });
        let cost = p.operating_cost_share * r * a.transaction_price();
        d.cost_per_outlet = if d.outlets > 0.0 { cost / d.outlets } else { 0.0 };
        d.cash = p.initial_cash_months * cost;
    }
}

/// Phase 3a, dealers price: each network's own discount moves a share `discount_adjustment`
/// toward d* = min(d_max, δ max(0, k − k_ok)), with k its inventory coefficient at the start of
/// the month (CADA's signal). Returns the new discounts, one per line (0 for inactive ones);
/// automakers' planning writes them into the lines (`PlanContext::dealer_discounts`).
pub fn price_all(dealers: &mut [Dealer], p: &DealerParams) -> Vec<f64> {
    dealers
        .iter_mut()
        .map(|d| {
            if !d.active {
                d.discount = 0.0;
                return 0.0;
            }
            let target =
                (p.discount_per_month * (d.coefficient() - p.healthy_coefficient).max(0.0)).min(p.max_discount);
            d.discount += p.discount_adjustment * (target - d.discount);
            d.discount
        })
        .collect()
}

/// This month's flows reset (phase 3a, before anything moves).
pub fn reset_flows(dealers: &mut [Dealer]) {
    for d in dealers {
        (d.orders, d.inflow, d.restock, d.retail, d.offer, d.to_exporters, d.written_off) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        (d.revenue, d.cogs, d.rebates, d.profit, d.closed, d.opened, d.writedowns) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        (d.target_offer, d.target_rebate) = (0.0, 0.0);
    }
}

/// Whether calendar month `month` (1–12) closes a quarter.
pub fn closes_quarter(month: u32) -> bool {
    month.is_multiple_of(3)
}

/// Phase 3a, the quarterly sales targets: in a quarter's first month (and in the run's first
/// month, for what is left of its quarter) each network's target is
/// T = (1 + ω σ) R × (months left in the quarter), R its expected retail, σ = `target_stretch`
/// and ω = `policy.wholesale_push` (the automakers' target pressure, which `dealer_relief`
/// lowers); the quarter's sales start again from 0.
pub fn set_targets(dealers: &mut [Dealer], p: &DealerParams, policy: &PolicyParams, month: u32, first: bool) {
    if !(first || month % 3 == 1) {
        return;
    }
    let months_left = (3 - (month - 1) % 3) as f64;
    for d in dealers.iter_mut() {
        d.target = (1.0 + policy.wholesale_push * p.target_stretch) * d.retail_exp * months_left;
        d.quarter_sold = 0.0;
    }
}

/// Phase 3c, wholesale: each active line ships to its network the restocking need
/// N = max(0, max((1 + k*) R, F) − S) plus the pushed part P = min(`wholesale_push` × the line's
/// target push (`Automaker::push_units`), max(0, I − N − h X)), h = `export_reserve_months` and
/// X the line's last export orders, limited by the network's acceptance,
/// max(0, max((1 + k_max) R, F) − S), F = `display_stock`,
/// and by the factory stock: W = min(I, min(N + P, acceptance)). The network books W at the
/// invoice price (its floor-plan loan); the automaker earns W × invoice less the push rebate ρ
/// on what it shipped above the need, ρ × invoice × max(0, W − N), which the network receives.
pub fn wholesale_all(dealers: &mut [Dealer], firms: &mut [Automaker], p: &DealerParams, policy: &PolicyParams) {
    for (d, a) in dealers.iter_mut().zip(firms.iter_mut()) {
        a.wholesale = 0.0;
        if !(a.active && d.active) {
            continue;
        }
        let (r, floor) = (d.retail_exp, p.display_stock);
        let need = (((1.0 + p.target_coefficient) * r).max(floor) - d.stock).max(0.0);
        let reserve = p.export_reserve_months * a.export_orders_last;
        let pushed = (policy.wholesale_push * a.push_units).min((a.inventory - need - reserve).max(0.0));
        let acceptance = (((1.0 + p.max_coefficient) * r).max(floor) - d.stock).max(0.0);
        let w = (need + pushed).min(acceptance).min(a.inventory).max(0.0);
        let invoice = a.invoice_price();
        let rebate = p.push_rebate * invoice * (w - need).max(0.0);
        a.inventory -= w;
        a.wholesale = w;
        a.revenue += w * invoice - rebate;
        (d.stock, d.book, d.inflow, d.restock) = (d.stock + w, d.book + w * invoice, w, need);
        d.rebates += rebate;
    }
}

/// Phase 4, a retail sale of `sold` cars from the network's stock. Households pay the
/// transaction price less the hidden discount (times `retail_price_factor`, a measurement
/// lever); the network receives the full transaction price: the automaker pays it the
/// difference (the hidden discount and the lever's cut, which automakers absorb) and the
/// per-car `dealer_support`.
pub fn sell_retail(d: &mut Dealer, a: &mut Automaker, sold: f64, policy: &PolicyParams) {
    let tx = a.transaction_price();
    let paid = (tx * policy.retail_price_factor - a.hidden_discount).max(0.0);
    let support = policy.dealer_support * sold;
    a.revenue -= sold * (tx - paid) + support;
    d.revenue += sold * tx;
    d.rebates += support;
    d.retail = sold;
    d.quarter_sold += sold;
    d.take(sold);
}

/// Phase 5a, offers to traders after this month's retail, for two motives. Stock: a share
/// `export_offer_share` of the stock above the export coefficient (CADA's 1.5 warning line) of
/// expected retail (and above the display stock), at p^Z ([`export_price`]). Target, in a quarter's last month (`month`): the
/// gap G = max(0, T − sold) to the quarter's target, whose rebate is B = β w T (β =
/// `target_rebate`, w the invoice price). The network passes a share χ = `target_pass_through`
/// of B to traders as a lower price, p^T = p^Z − min(χ B / G, d^D_max P) (P the list price,
/// d^D_max = `max_discount`), and offers G if what it keeps beats what selling G cars to traders
/// instead of households gives up: B − G (p − p^T) > 0. The offer is the larger of the two
/// motives' (at p^T when the target's is made), at most the stock.
pub fn offer_all(dealers: &mut [Dealer], firms: &[Automaker], p: &DealerParams, month: u32) {
    for (d, a) in dealers.iter_mut().zip(firms) {
        (d.offer, d.target_offer, d.trader_price) = (0.0, 0.0, export_price(a, p));
        if !d.active {
            continue;
        }
        let kept = (p.export_coefficient * d.retail_exp).max(p.display_stock);
        let surplus = p.export_offer_share * (d.stock - kept).max(0.0);
        let gap = (d.target - d.quarter_sold).max(0.0);
        if closes_quarter(month) && gap > 0.0 {
            let bonus = p.target_rebate * a.invoice_price() * d.target;
            let cut = (p.target_pass_through * bonus / gap).min(p.max_discount * a.list_price);
            let price = (d.trader_price - cut).max(0.05 * a.list_price);
            if bonus - gap * (a.transaction_price() - price) > 0.0 {
                (d.target_offer, d.trader_price) = (gap.min(d.stock), price);
            }
        }
        d.offer = surplus.max(d.target_offer).min(d.stock);
    }
}

/// Phase 5b, the quarterly target rebates, in a quarter's last month (`month`) after the
/// traders have bought: a network that sold at least its target this quarter receives
/// β w × its quarter's sales from its automaker (`target_rebate`, part of its `rebates`).
pub fn settle_targets(dealers: &mut [Dealer], firms: &mut [Automaker], p: &DealerParams, month: u32) {
    if !closes_quarter(month) {
        return;
    }
    for (d, a) in dealers.iter_mut().zip(firms.iter_mut()) {
        if d.active && a.active && d.target > 0.0 && d.quarter_sold >= d.target {
            let rebate = p.target_rebate * a.invoice_price() * d.quarter_sold;
            a.revenue -= rebate;
            d.rebates += rebate;
            d.target_rebate = rebate;
        }
    }
}

/// A network's price to traders (yuan): its retail transaction price less `export_discount`
/// of list.
pub fn export_price(a: &Automaker, p: &DealerParams) -> f64 {
    (a.transaction_price() - p.export_discount * a.list_price).max(0.05 * a.list_price)
}

/// Phase 5, a sale of `qty` cars to traders at `price`.
pub fn sell_to_traders(d: &mut Dealer, qty: f64, price: f64) {
    d.revenue += qty * price;
    d.to_exporters += qty;
    d.quarter_sold += qty;
    d.take(qty);
}

/// What the networks did this month, summed in line order.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DealerAccounts {
    /// Profit (yuan).
    pub profit: f64,
    /// Revenue from retail and traders (yuan).
    pub revenue: f64,
    /// Outlets closed.
    pub closed: f64,
    /// Stock written off (vehicles).
    pub written_off: f64,
    /// Debt written down by creditors (yuan).
    pub writedowns: f64,
}

/// Phase 8b, the networks' accounts after the automakers': profit = revenue − book value sold +
/// rebates and support − operating cost (per outlet) − floor-plan interest on the stock's book
/// value; the expected retail learns from this month's household orders. A network whose line
/// has exited writes its stock off (the loss is its own) and closes. A network with negative
/// cash closes a share φ = `exit_rate` × min(1, −cash / (3 × operating cost)) of its outlets;
/// their stock passes to the remaining outlets, and creditors write their share φ of the debt
/// down. A profitable network opens a share `entry_rate` of the gap to R / `sales_per_outlet`
/// outlets (R its expected retail).
pub fn account_all(dealers: &mut [Dealer], firms: &[Automaker], p: &DealerParams) -> DealerAccounts {
    let mut acc = DealerAccounts::default();
    for (d, a) in dealers.iter_mut().zip(firms) {
        if !d.active {
            continue;
        }
        let operating = d.cost_per_outlet * d.outlets;
        let interest = p.floor_plan_rate / 12.0 * d.book;
        d.profit = d.revenue - d.cogs + d.rebates - operating - interest;
        if !a.active {
            d.written_off = d.stock;
            d.profit -= d.book;
            (d.stock, d.book, d.active, d.closed, d.outlets) = (0.0, 0.0, false, d.outlets, 0.0);
        }
        d.cash += d.profit;
        d.retail_exp += p.retail_expectation_weight * (d.orders - d.retail_exp);
        if d.active && d.cash < 0.0 && operating > 0.0 {
            let phi = p.exit_rate * (-d.cash / (3.0 * operating)).min(1.0);
            d.closed = phi * d.outlets;
            d.outlets -= d.closed;
            d.writedowns = phi * -d.cash;
            d.cash += d.writedowns;
        } else if d.active && d.profit > 0.0 {
            d.opened = p.entry_rate * (d.retail_exp / p.sales_per_outlet - d.outlets).max(0.0);
            d.outlets += d.opened;
        }
        acc.profit += d.profit;
        acc.revenue += d.revenue;
        acc.closed += d.closed;
        acc.written_off += d.written_off;
        acc.writedowns += d.writedowns;
    }
    acc
}

#[cfg(test)]
#[path = "dealer/tests.rs"]
mod tests;
