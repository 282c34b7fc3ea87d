//! Phase 8a, the groups' accounts (docs/model.md §7.2, §7.7): money flows and payables,
//! standing (utilisation, share, brand), quarterly capacity decisions, distress with bailout
//! or exit, and takeovers of exiting groups.

use super::{Automaker, Powertrain};
use crate::model::government::Government;
use crate::model::policy::Month;
use crate::model::rng::{self, purpose};
use crate::scenario::{AutomakerParams, GovernmentParams, PolicyParams};

/// The month's money and vehicle flows of all groups, summed in group order by the
/// accounting phase.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Accounts {
    /// Revenue from all buyers (yuan).
    pub revenue: f64,
    /// Production subsidies received (yuan).
    pub production_subsidy: f64,
    /// Bailouts received (yuan).
    pub bailout_funds: f64,
    /// Change of supplier payables (yuan).
    pub payables_change: f64,
    /// Fixed cost (yuan).
    pub fixed_cost: f64,
    /// Interest on negative cash (yuan).
    pub interest: f64,
    /// Capacity investment paid by the groups themselves (yuan).
    pub investment: f64,
    /// Vehicles sold (retail + exporters + official exports).
    pub sold: f64,
    /// Stock written off at exits (vehicles).
    pub written_off: f64,
    /// Groups that exited this month.
    pub exits: u32,
    /// Groups bailed out this month.
    pub bailouts: u32,
    /// Groups reorganised in bankruptcy this month.
    pub restructurings: u32,
    /// Debt written down by creditors in reorganisations (yuan).
    pub debt_writedowns: f64,
}

/// What the accounting phase reads from the rest of the world.
pub struct AccountingContext<'a> {
    /// Automaker parameters.
    pub p: &'a AutomakerParams,
    /// Local-government parameters.
    pub g: &'a GovernmentParams,
    /// National policy in force.
    pub policy: &'a PolicyParams,
    /// The month accounted (quarterly decisions, bailout draws).
    pub at: Month,
}

/// Phase 8a, accounting of every active line: money flows (`pay_month`), standing
/// (`update_standing`), quarterly conversion of ICE capacity to NEV (`convert_quarterly`,
/// split powertrains) and capacity (`invest_quarterly`); then distress is resolved for each
/// group as a whole (`resolve_distress`: its lines are rescued or exit together), and exiting
/// lines are taken over (`take_over`).
pub fn account(firms: &mut [Automaker], governments: &mut [Government], ctx: &AccountingContext<'_>) -> Accounts {
    let total_sales: f64 = firms.iter().map(|a| a.total_sales()).sum::<f64>().max(1e-9);
    let mut acc = Accounts::default();
    let mut exited = Vec::new();
    let mut start = 0;
    while start < firms.len() {
        let group = firms[start].group;
        let end = start + firms[start..].iter().take_while(|a| a.group == group).count();
        let lines: Vec<usize> = (start..end).filter(|&i| firms[i].active).collect();
        start = end;
        if lines.is_empty() {
            continue;
        }
        let g = &mut governments[firms[lines[0]].region];
        let (mut fixed, mut share) = (Vec::with_capacity(lines.len()), 0.0);
        for &i in &lines {
            fixed.push(pay_month(&mut firms[i], g, ctx, &mut acc));
            share += update_standing(&mut firms[i], total_sales, ctx.p);
        }
        // The group is marginal while its share of all sales is below `min_share`.
        for &i in &lines {
            let a = &mut firms[i];
            a.low_share_months = if share < ctx.p.min_share { a.low_share_months + 1 } else { 0 };
        }
        if ctx.at.quarter_start() {
            if let [nev, ice] = lines[..] {
                convert_quarterly(firms, nev, ice, ctx.p, &mut acc);
            }
            let group_capacity: f64 = lines.iter().map(|&i| firms[i].capacity).sum();
            for &i in &lines {
                invest_quarterly(&mut firms[i], g, group_capacity, ctx, &mut acc);
            }
        }
        if resolve_distress(firms, &lines, g, share, &fixed, ctx, &mut acc) {
            exited.extend(&lines);
        }
    }
    take_over(firms, &exited, ctx.p.takeover_share);
    acc
}

/// Quarterly conversion (split powertrains): when a group's ICE line's 12-month utilisation is
/// below u* while its NEV line needs capacity, a share `conversion_rate` of the smaller of the
/// ICE line's idle capacity (K − E / u*) and the NEV line's gap (E / u* − K − on order) is
/// retooled: it leaves the ICE line now and reaches the NEV line after `conversion_lag_months`,
/// at `conversion_cost_per_capacity` paid by the NEV line (while its cash is positive).
fn convert_quarterly(firms: &mut [Automaker], nev: usize, ice: usize, p: &AutomakerParams, acc: &mut Accounts) {
    let lines = (firms[nev].powertrain, firms[ice].powertrain);
    if lines != (Powertrain::Nev, Powertrain::Ice) || firms[ice].utilization_ema >= p.target_utilization {
        return;
    }
    let idle = (firms[ice].capacity - firms[ice].demand_exp / p.target_utilization).max(0.0);
    let on_order: f64 = firms[nev].pipeline.iter().sum();
    let gap = (firms[nev].demand_exp / p.target_utilization - firms[nev].capacity - on_order).max(0.0);
    let moved = p.conversion_rate * idle.min(gap);
    let slot = (p.conversion_lag_months as usize).min(firms[nev].pipeline.len());
    if moved <= 0.0 || firms[nev].cash <= 0.0 || slot == 0 {
        return;
    }
    firms[nev].pipeline[slot - 1] += moved;
    firms[ice].capacity -= moved;
    let cost = moved * p.conversion_cost_per_capacity;
    firms[nev].cash -= cost;
    acc.investment += cost;
}

/// A group's money this month: production subsidy (charged to its government), fixed cost,
/// interest, payables (stretched while cash is short, capped by policy), cash and profit.
/// Returns the fixed cost.
fn pay_month(a: &mut Automaker, g: &mut Government, ctx: &AccountingContext<'_>, acc: &mut Accounts) -> f64 {
    let (p, policy) = (ctx.p, ctx.policy);
    let subsidy = g.production_rate * a.production;
    g.spend += subsidy;
    g.spend_production += subsidy;
    a.subsidy_received += subsidy;
    let fixed = a.fixed_cost(p);
    let interest = (-a.cash).max(0.0) * p.interest_rate / 12.0;
    if a.cash < 0.0 {
        a.payment_days = (a.payment_days + p.payment_stretch_days).min(p.payment_days_max);
    }
    // A cap is phased in: terms shorten by at most the same step per month.
    if a.payment_days > policy.payment_days_cap {
        a.payment_days = (a.payment_days - p.payment_stretch_days).max(policy.payment_days_cap);
    }
    // Payables are a stock: this month's purchases are added, and the outstanding balance is
    // settled at the rate 30 / payment days (a PD-day average term).
    let purchases = a.cost * a.production;
    let payments = a.payables * (30.0 / a.payment_days.max(1.0)).min(1.0);
    let d_payables = purchases - payments;
    a.payables += d_payables;
    let sold = a.total_sales();
    a.cash += a.revenue + subsidy - a.cost * a.production - fixed - interest + d_payables;
    a.profit = a.revenue + subsidy - a.cost * sold - fixed - interest;
    acc.revenue += a.revenue;
    acc.production_subsidy += subsidy;
    acc.payables_change += d_payables;
    acc.fixed_cost += fixed;
    acc.interest += interest;
    acc.sold += sold;
    a.ytd_reported += a.domestic_sales() + a.zero_mileage_sales;
    fixed
}

/// Utilisation, market share and brand after the month; remembers this month's sales, orders
/// and zero-mileage registrations. Returns the group's share of all sales.
fn update_standing(a: &mut Automaker, total_sales: f64, p: &AutomakerParams) -> f64 {
    let sold = a.total_sales();
    let u = a.production / a.capacity.max(1e-9);
    a.utilization_ema += (u - a.utilization_ema) / 12.0;
    a.low_util_months = if u < p.closure_utilization { a.low_util_months + 1 } else { 0 };
    let share = sold / total_sales;
    a.share_hist = [share, a.share_hist[0]];
    // Zero-mileage cars of the brand from both routes, factory and dealers.
    let zm = a.zero_mileage_sales + a.dealer_zero_mileage;
    let zm_share = if sold > 0.0 { zm / sold } else { 0.0 };
    a.brand += p.brand_recovery * (a.brand_base - a.brand)
        - p.brand_cut_erosion * a.last_cut
        - p.brand_zero_mileage_erosion * zm_share;
    a.zm_last = zm;
    a.sales_last = sold;
    a.orders_last = a.orders;
    share
}

/// Quarterly capacity decisions: lagged investment toward K* = planned / u*, politically
/// driven extra lines (I_pol, on the group's whole capacity and built as NEV capacity with
/// split powertrains: local industrial policy backs NEVs) funded partly by local support, and
/// closure of long-idle capacity unless the group is protected (state-owned, strong support).
fn invest_quarterly(
    a: &mut Automaker,
    g: &mut Government,
    group_capacity: f64,
    ctx: &AccountingContext<'_>,
    acc: &mut Accounts,
) {
    let (p, gp) = (ctx.p, ctx.g);
    let target = a.target_base * (1.0 + gp.target_growth).powf(ctx.at.years());
    let push = p.target_push * a.push_factor(p) * g.support;
    let planned = a.demand_exp + push * (target - a.demand_exp).max(0.0);
    let k_star = planned / p.target_utilization;
    let on_order: f64 = a.pipeline.iter().sum();
    if k_star > a.capacity + on_order && a.cash > 0.0 && !a.pipeline.is_empty() {
        let order = p.investment_rate * (k_star - a.capacity - on_order);
        let cost = order * p.capacity_unit_cost;
        let gov_share = gp.capital_subsidy_share * g.support * if g.budget > 0.0 { 1.0 } else { 0.0 };
        g.spend += gov_share * cost;
        g.spend_capital += gov_share * cost;
        a.subsidy_received += gov_share * cost;
        a.cash -= (1.0 - gov_share) * cost;
        acc.investment += (1.0 - gov_share) * cost;
        if let Some(last) = a.pipeline.last_mut() {
            *last += order;
        }
    }
    // With split powertrains the political line is an NEV line, sized on the whole group.
    let base = match a.powertrain {
        Powertrain::Blend => a.capacity,
        Powertrain::Nev => group_capacity,
        Powertrain::Ice => 0.0,
    };
    let extra = p.political_investment * a.push_factor(p) * g.support * base;
    if let Some(last) = a.pipeline.last_mut() {
        let cost = extra * p.capacity_unit_cost;
        let gov_share = gp.capital_subsidy_share * g.support * if g.budget > 0.0 { 1.0 } else { 0.0 };
        *last += extra;
        g.spend += gov_share * cost;
        g.spend_capital += gov_share * cost;
        a.subsidy_received += gov_share * cost;
        a.cash -= (1.0 - gov_share) * cost;
        acc.investment += (1.0 - gov_share) * cost;
    }
    let protected = a.ownership.is_state() && g.support > gp.participation_threshold;
    if a.low_util_months >= p.closure_months && !protected {
        a.capacity -= p.closure_rate * (a.capacity - k_star).max(0.0);
    }
}

/// Distress of a group (its active `lines`, with this month's `fixed` costs and its `share` of
/// all sales): cash below `distress_months` of fixed cost, or every line's share too small for
/// too long. A bailout by the home government, or exit of all its lines with their stock written
/// off. Too big to fail: a group with a large share is rescued whenever its government has any
/// money; smaller ones by ownership-weighted chance within the bailout envelope. The bailout is
/// shared among the lines by fixed cost. Returns true when the group exits.
fn resolve_distress(
    firms: &mut [Automaker],
    lines: &[usize],
    g: &mut Government,
    share: f64,
    fixed: &[f64],
    ctx: &AccountingContext<'_>,
    acc: &mut Accounts,
) -> bool {
    let (p, gp) = (ctx.p, ctx.g);
    let cash: f64 = lines.iter().map(|&i| firms[i].cash).sum();
    let fixed_total: f64 = fixed.iter().sum();
    let low_share = firms[lines[0]].low_share_months;
    let distressed = cash < -p.distress_months * fixed_total || low_share >= p.min_share_months;
    if !distressed {
        return false;
    }
    let lead = lines[0];
    let amount = (p.bailout_cover_months * fixed_total - cash).max(0.0);
    let big = share >= p.too_big_to_fail_share;
    let affordable = if big { g.budget > 0.0 } else { g.budget * gp.weight_bailout >= amount };
    let prob = if ctx.policy.hard_budget {
        0.0
    } else if big {
        1.0
    } else {
        p.bailout_probability * firms[lead].softness(p)
    };
    let draw = rng::hashed_uniform(ctx.at.key, purpose::AUTOMAKERS, ctx.at.index, (1 << 32) | lead as u64);
    if affordable && draw < prob {
        for (k, &i) in lines.iter().enumerate() {
            let part = line_part(amount, fixed, k);
            firms[i].cash += part;
            firms[i].bailout_received += part;
            firms[i].low_share_months = 0;
        }
        firms[lead].bailed_out = true;
        g.spend += amount;
        g.spend_bailout += amount;
        acc.bailout_funds += amount;
        acc.bailouts += 1;
        false
    } else if share >= p.restructuring_share {
        reorganise(firms, lines, fixed, amount, p, acc);
        false
    } else {
        for &i in lines {
            let a = &mut firms[i];
            a.active = false;
            a.exited_now = true;
            acc.written_off += a.inventory;
            a.inventory = 0.0;
        }
        acc.exits += 1;
        true
    }
}

/// Line `k`'s part of a group's rescue `amount` (bailout or write-down): all of it for a
/// single line, else shared by the lines' fixed costs `fixed` (evenly without fixed cost).
fn line_part(amount: f64, fixed: &[f64], k: usize) -> f64 {
    let fixed_total: f64 = fixed.iter().sum();
    match fixed.len() {
        1 => amount,
        _ if fixed_total > 0.0 => amount * fixed[k] / fixed_total,
        n => amount / n as f64,
    }
}

/// Bankruptcy reorganisation of a distressed group that is too big to liquidate and was not
/// bailed out: its creditors write `amount` of its debt down (shared among the lines by fixed
/// cost, as a bailout), a share `restructuring_capacity_cut` of each line's idle plants (capacity
/// above expected demand at the target utilisation) is retired, and the group carries on with
/// its brands, stock and orders. No budget pays: the write-down is the creditors' loss
/// (`debt_writedowns`).
fn reorganise(
    firms: &mut [Automaker],
    lines: &[usize],
    fixed: &[f64],
    amount: f64,
    p: &AutomakerParams,
    acc: &mut Accounts,
) {
    for (k, &i) in lines.iter().enumerate() {
        let a = &mut firms[i];
        a.cash += line_part(amount, fixed, k);
        let idle = (a.capacity - a.demand_exp / p.target_utilization).max(0.0);
        a.capacity -= p.restructuring_capacity_cut * idle;
        a.low_share_months = 0;
    }
    acc.debt_writedowns += amount;
    acc.restructurings += 1;
}

/// Takeover (φ_M): the best-capitalised surviving line of the same powertrain takes over a
/// share `phi` of each exiting line's plants, demand, local target and orders; the rest of its
/// capacity is scrapped.
fn take_over(firms: &mut [Automaker], exited: &[usize], phi: f64) {
    for &i in exited {
        let acquirer = (0..firms.len())
            .filter(|&j| firms[j].active && firms[j].powertrain == firms[i].powertrain)
            .max_by(|&x, &y| firms[x].cash.total_cmp(&firms[y].cash).then(y.cmp(&x)));
        let gone = &mut firms[i];
        let taken = (phi * gone.capacity, phi * gone.demand_exp, phi * gone.target_base, phi * gone.orders_last);
        gone.capacity = 0.0;
        gone.pipeline.iter_mut().for_each(|x| *x = 0.0);
        if let Some(j) = acquirer {
            let b = &mut firms[j];
            b.capacity += taken.0;
            b.demand_exp += taken.1;
            b.target_base += taken.2;
            b.orders_last += taken.3;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{automaker, government};
    use crate::scenario::YearMonth;

    fn firms(n: usize) -> Vec<Automaker> {
        let p = AutomakerParams { count: n, powertrains: crate::scenario::Powertrains::Single, ..Default::default() };
        automaker::init(&p, &[1.0], &mut rng::stream(7, purpose::INIT_AUTOMAKERS, 0, 0))
    }

    fn govs() -> Vec<Government> {
        government::init(&GovernmentParams::default(), &[1.0, 2.0])
    }

    /// A month of 2020 with its index from January 2020.
    fn month(m: u32) -> Month {
        Month { key: 3, index: m as u64 - 1, date: YearMonth::new(2020, m).unwrap() }
    }

    /// Runs `f` with an accounting context of default parameters and `policy`.
    fn with_ctx<T>(policy: &PolicyParams, at: Month, f: impl FnOnce(&AccountingContext<'_>) -> T) -> T {
        let (p, g) = (AutomakerParams::default(), GovernmentParams::default());
        f(&AccountingContext { p: &p, g: &g, policy, at })
    }

    /// A group with 200 capacity (fixed cost 2m), producing 100 at cost 20,000, selling 80.
    fn group(cash: f64, payment_days: f64) -> Automaker {
        let mut a = firms(1).remove(0);
        (a.capacity, a.production, a.cost, a.revenue, a.retail_sales) = (200.0, 100.0, 20_000.0, 5e6, 80.0);
        (a.cash, a.payment_days, a.payables) = (cash, payment_days, 3e6);
        // The reference value, so that the fixed cost is 10,000 yuan per unit of capacity.
        let p = AutomakerParams::default();
        a.value = p.list_price_mean * (1.0 - p.initial_discount);
        a
    }

    fn pay(a: &mut Automaker, g: &mut Government, policy: &PolicyParams) -> Accounts {
        let mut acc = Accounts::default();
        with_ctx(policy, month(5), |ctx| pay_month(a, g, ctx, &mut acc));
        acc
    }

    /// Δcash = revenue + subsidy − cost·production − fixed − interest + Δpayables, with
    /// payables += purchases − payables·30/days; the subsidy is charged to the government.
    #[test]
    fn pay_month_keeps_the_cash_identity_and_charges_the_subsidy() {
        let mut a = group(1e6, 150.0);
        let mut g = govs().remove(0);
        g.production_rate = 1000.0;
        let acc = pay(&mut a, &mut g, &PolicyParams::default());
        // Δpayables = 2m purchases − 3m x 30/150 = 1.4m; Δcash = 5m + 0.1m − 2m − 2m + 1.4m.
        assert!((a.cash - (1e6 + 2.5e6)).abs() < 1e-6, "{}", a.cash);
        assert!((a.payables - 4.4e6).abs() < 1e-6);
        assert!((a.profit - (5e6 + 1e5 - 80.0 * 20_000.0 - 2e6)).abs() < 1e-6);
        assert_eq!((g.spend, g.spend_production, acc.production_subsidy), (1e5, 1e5, 1e5));
        assert_eq!((acc.fixed_cost, acc.interest, acc.sold), (2e6, 0.0, 80.0));
    }

    /// Negative cash pays interest r/12 on the overdraft and stretches payment days by
    /// `payment_stretch_days`, up to `payment_days_max`.
    #[test]
    fn pay_month_stretches_payment_days_while_cash_is_negative() {
        let mut g = govs().remove(0);
        let mut a = group(-1.2e6, 150.0);
        let acc = pay(&mut a, &mut g, &PolicyParams::default());
        assert_eq!(a.payment_days, 155.0);
        assert!((acc.interest - 1.2e6 * 0.045 / 12.0).abs() < 1e-9);
        let mut a = group(-1.0, 238.0);
        pay(&mut a, &mut g, &PolicyParams::default());
        assert_eq!(a.payment_days, 240.0);
    }

    /// A payment-day cap is phased in: terms shorten by at most the stretch step a month and
    /// stop at the cap.
    #[test]
    fn pay_month_shortens_payment_days_toward_the_cap() {
        let mut g = govs().remove(0);
        let policy = PolicyParams { payment_days_cap: 60.0, ..Default::default() };
        let mut a = group(1e9, 150.0);
        for month in 1..=25 {
            pay(&mut a, &mut g, &policy);
            assert_eq!(a.payment_days, (150.0 - 5.0 * month as f64).max(60.0));
        }
    }

    fn distress(a: &mut Automaker, g: &mut Government, share: f64, policy: &PolicyParams) -> (bool, Accounts) {
        let mut acc = Accounts::default();
        let fixed = a.fixed_cost(&AutomakerParams::default());
        let mut lines = [a.clone()];
        let exits =
            with_ctx(policy, month(5), |ctx| resolve_distress(&mut lines, &[0], g, share, &[fixed], ctx, &mut acc));
        *a = lines[0].clone();
        (exits, acc)
    }

    /// Under a hard budget a distressed group below the reorganisation share exits and its
    /// stock is written off, even when its government is rich.
    #[test]
    fn resolve_distress_exits_under_a_hard_budget() {
        let (mut a, mut g) = (group(-20.0 * 2e6, 150.0), govs().remove(0));
        (a.inventory, g.budget) = (321.0, 1e15);
        let (exits, acc) = distress(&mut a, &mut g, 0.05, &PolicyParams { hard_budget: true, ..Default::default() });
        assert!(exits && !a.active);
        assert_eq!((a.inventory, acc.written_off, acc.exits, g.spend), (0.0, 321.0, 1, 0.0));
    }

    /// A large distressed group that is not bailed out (hard budget, or a government without
    /// money) is reorganised: creditors restore its net worth to `bailout_cover_months` of fixed
    /// cost, no budget pays, its idle plants are retired and it keeps its stock and brands.
    #[test]
    fn resolve_distress_reorganises_a_large_group_without_a_rescuer() {
        for (policy, budget) in
            [(PolicyParams { hard_budget: true, ..Default::default() }, 1e15), (PolicyParams::default(), 0.0)]
        {
            let (mut a, mut g) = (group(-20.0 * 2e6, 150.0), govs().remove(0));
            (a.inventory, a.demand_exp, a.low_share_months, g.budget) = (321.0, 120.0, 7, budget);
            let (exits, acc) = distress(&mut a, &mut g, 0.5, &policy);
            assert!(!exits && a.active);
            assert_eq!((a.cash, acc.debt_writedowns, acc.restructurings, g.spend), (3.0 * 2e6, 23.0 * 2e6, 1, 0.0));
            assert_eq!((a.inventory, acc.written_off, acc.exits, acc.bailouts), (321.0, 0.0, 0, 0));
            // Expected demand 120 at the target utilisation 0.8 needs 150 of the 200 units.
            assert_eq!((a.capacity, a.low_share_months), (150.0, 0));
        }
    }

    /// A too-big-to-fail group is rescued whenever its government has money: cash is restored
    /// to `bailout_cover_months` of fixed cost and the amount is charged to the government.
    #[test]
    fn resolve_distress_bails_out_a_big_group_of_a_funded_government() {
        let (mut a, mut g) = (group(-20.0 * 2e6, 150.0), govs().remove(0));
        (a.low_share_months, g.budget) = (3, 1.0);
        let (exits, acc) = distress(&mut a, &mut g, 0.5, &PolicyParams::default());
        assert!(!exits && a.active);
        assert_eq!((a.cash, g.spend, acc.bailout_funds, acc.bailouts), (3.0 * 2e6, 23.0 * 2e6, 23.0 * 2e6, 1));
        assert_eq!(a.low_share_months, 0);
        // Without money the same group is reorganised, and a smaller one exits.
        let (mut a, mut g) = (group(-20.0 * 2e6, 150.0), govs().remove(0));
        g.budget = 0.0;
        assert!(!distress(&mut a, &mut g, 0.5, &PolicyParams::default()).0);
        let mut a = group(-20.0 * 2e6, 150.0);
        assert!(distress(&mut a, &mut g, 0.05, &PolicyParams::default()).0);
        // Above the distress line nothing happens.
        let (mut a, mut g) = (group(-17.0 * 2e6, 150.0), govs().remove(0));
        assert_eq!(distress(&mut a, &mut g, 0.5, &PolicyParams::default()), (false, Accounts::default()));
    }

    /// The richest surviving group (lowest index on ties; exited groups excluded) takes over
    /// `phi` of the exiting group's capacity, demand, target and orders; the rest is scrapped.
    #[test]
    fn take_over_gives_the_richest_survivor_its_share() {
        let mut f = firms(4);
        for (a, cash) in f.iter_mut().zip([5.0, 9.0, 99.0, 9.0]) {
            (a.cash, a.capacity, a.demand_exp, a.target_base, a.orders_last) = (cash, 10.0, 20.0, 30.0, 40.0);
        }
        let gone = &mut f[2];
        (gone.active, gone.capacity, gone.demand_exp, gone.target_base, gone.orders_last) =
            (false, 1000.0, 400.0, 300.0, 500.0);
        gone.pipeline[3] = 77.0;
        take_over(&mut f, &[2], 0.4);
        let b = &f[1];
        assert_eq!((b.capacity, b.demand_exp, b.target_base, b.orders_last), (410.0, 180.0, 150.0, 240.0));
        assert_eq!((f[3].capacity, f[0].capacity), (10.0, 10.0));
        assert_eq!(f[2].capacity, 0.0);
        assert!(f[2].pipeline.iter().all(|&x| x == 0.0));
    }

    /// Capacity is ordered only in quarter-start months: with no market gap, April adds the
    /// political line political_investment x support x capacity at the end of the pipeline;
    /// May adds nothing. The subsidy is charged to the home government only.
    #[test]
    fn account_invests_in_quarter_start_months_only() {
        let run = |m: u32| {
            let mut f = firms(1);
            let a = &mut f[0];
            (a.region, a.ownership, a.cash, a.capacity, a.production) =
                (1, automaker::Ownership::LocalState, 1e12, 1000.0, 100.0);
            (a.demand_exp, a.target_base, a.low_util_months) = (100.0, 100.0, 0);
            let mut g = govs();
            (g[1].production_rate, g[1].support) = (10.0, 0.5);
            with_ctx(&PolicyParams::default(), month(m), |ctx| account(&mut f, &mut g, ctx));
            assert_eq!((g[0].spend, g[1].spend_production), (0.0, 1000.0));
            *f[0].pipeline.last().unwrap()
        };
        assert!((run(4) - 0.04 * 0.5 * 1000.0).abs() < 1e-9);
        assert_eq!(run(5), 0.0);
        assert!(month(4).quarter_start() && !month(5).quarter_start() && month(10).quarter_start());
    }
}
