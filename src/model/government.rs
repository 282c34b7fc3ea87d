//! Local governments: growth targets for local output and reported sales, a support level that
//! rises with shortfalls (and career pressure relative to peers), a budget, and instruments.

use super::automaker::Automaker;
use super::consumer::Purchases;
use crate::scenario::{GovernmentParams, PolicyParams};

/// One hosting region's government. Money in yuan.
#[derive(Debug, Clone)]
pub struct Government {
    /// Relative size (population and industry weight).
    pub weight: f64,
    /// Licence rank: regions are licensed for used-car exports in rank order (0 = first).
    pub rank: usize,
    /// Support level 0-1.
    pub support: f64,
    /// Budget (yuan).
    pub budget: f64,
    /// Local reported sales at the start (vehicles/month): the target base.
    pub sales_base: f64,
    /// Local output at the start (vehicles/month).
    pub output_base: f64,
    /// Smoothed local reported sales.
    pub sales_ema: f64,
    /// Smoothed local output.
    pub output_ema: f64,
    /// Smoothed local output a year ago (for growth comparisons), ring of 12.
    pub output_hist: [f64; 12],
    /// Backs zero-mileage exports this month.
    pub participating: bool,
    /// Per-unit production subsidy paid this month (yuan/vehicle).
    pub production_rate: f64,
    /// Per-car export support paid this month (yuan/vehicle).
    pub export_rate: f64,
    /// Spending this month (yuan).
    pub spend: f64,
    /// Production subsidies paid last month (yuan), for the instrument envelope.
    pub spend_production: f64,
    /// Export support paid last month (yuan), for the instrument envelope.
    pub spend_export: f64,
    /// Capital subsidies paid this month (yuan).
    pub spend_capital: f64,
    /// Bailouts paid this month (yuan).
    pub spend_bailout: f64,
    /// Local share of the trade-in subsidies of this month's buyers living in the region (yuan).
    pub spend_trade_in: f64,
    /// Value of the VAT-rebate delay avoided for the region's traders this month (yuan).
    pub spend_rebate: f64,
}

impl Government {
    /// This month's spending by instrument, in the order production subsidies, export support,
    /// capital subsidies, bailouts, trade-in share, rebate acceleration (yuan); their sum is
    /// `spend`, the amount the budget pays in [`close_month`].
    pub fn instruments(&self) -> [f64; 6] {
        [
            self.spend_production,
            self.spend_export,
            self.spend_capital,
            self.spend_bailout,
            self.spend_trade_in,
            self.spend_rebate,
        ]
    }
}

/// The national fiscal account (docs/model.md sec. 7.5): what the central budget pays this
/// month per instrument, the NEV purchase tax forgone, and the running budget balance. The
/// account is booked only: no behaviour reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct National {
    /// Running balance (yuan): starts at 0 and falls by each month's cash spending.
    pub budget: f64,
    /// Central share of the trade-in subsidies paid this month (yuan).
    pub trade_in: f64,
    /// NEV purchase subsidies paid this month (yuan).
    pub nev_subsidy: f64,
    /// VAT rebates paid on zero-mileage exports this month (yuan).
    pub vat_rebates: f64,
    /// NEV purchase tax forgone against the ICE rate this month (yuan; a tax expenditure, not cash).
    pub tax_expenditure: f64,
}

impl National {
    /// Cash paid this month: trade-in share + NEV subsidies + VAT rebates (yuan).
    pub fn spend(&self) -> f64 {
        self.trade_in + self.nev_subsidy + self.vat_rebates
    }

    /// Ends a month: the budget pays this month's cash spending.
    pub fn close_month(&mut self) {
        self.budget -= self.spend();
    }
}

/// Creates `p.count` governments with Pareto weights (largest is licensed first).
pub fn init(p: &GovernmentParams, raw_weights: &[f64]) -> Vec<Government> {
    let total: f64 = raw_weights.iter().sum();
    let mut order: Vec<usize> = (0..raw_weights.len()).collect();
    order.sort_by(|&a, &b| raw_weights[b].total_cmp(&raw_weights[a]).then(a.cmp(&b)));
    let mut rank = vec![0; raw_weights.len()];
    for (r, &g) in order.iter().enumerate() {
        rank[g] = r;
    }
    raw_weights
        .iter()
        .enumerate()
        .map(|(g, w)| Government {
            weight: w / total,
            rank: rank[g],
            support: p.support_initial,
            budget: 0.0,
            sales_base: 0.0,
            output_base: 0.0,
            sales_ema: 0.0,
            output_ema: 0.0,
            output_hist: [0.0; 12],
            participating: false,
            production_rate: 0.0,
            export_rate: 0.0,
            spend: 0.0,
            spend_production: 0.0,
            spend_export: 0.0,
            spend_capital: 0.0,
            spend_bailout: 0.0,
            spend_trade_in: 0.0,
            spend_rebate: 0.0,
        })
        .collect()
}

/// Updates support and instrument rates (phase 2 of `step`). `month_index` counts from 0.
pub fn update(govs: &mut [Government], p: &GovernmentParams, policy: &PolicyParams, years: f64, month_index: usize) {
    let n = govs.len().max(1) as f64;
    let slot = month_index % 12;
    let growth = |g: &Government| {
        let past = g.output_hist[slot];
        if past > 0.0 {
            g.output_ema / past - 1.0
        } else {
            0.0
        }
    };
    let peer_growth: f64 = govs.iter().map(growth).sum::<f64>() / n;
    for g in govs.iter_mut() {
        let factor = (1.0 + p.target_growth).powf(years);
        let sales_target = g.sales_base * factor;
        let output_target = g.output_base * factor;
        let short = |target: f64, actual: f64| if target > 0.0 { ((target - actual) / target).max(0.0) } else { 0.0 };
        let shortfall = 0.5 * (short(sales_target, g.sales_ema) + short(output_target, g.output_ema));
        let career = p.career_weight * (peer_growth - growth(g)).max(0.0);
        if shortfall > 0.0 {
            g.support += p.support_raise * shortfall * (1.0 + career);
        } else {
            g.support -= p.support_decay * (g.support - p.support_floor);
        }
        g.support = g.support.clamp(p.support_floor, 1.0);
        if month_index >= 12 || g.output_hist[slot] == 0.0 {
            g.output_hist[slot] = g.output_ema;
        }
        // Budget health scales instruments: a government with no money cannot pay.
        let budget_factor = if g.budget > 0.0 { 1.0 } else { 0.0 };
        let level = g.support * budget_factor;
        // Envelopes: an instrument may spend at most its budget weight x budget over a year;
        // at last month's pace beyond that, its rate is scaled down.
        let envelope = |weight: f64, last: f64| {
            if last > 0.0 {
                (weight * g.budget.max(0.0) / (12.0 * last)).min(1.0)
            } else {
                1.0
            }
        };
        let prod_scale = envelope(p.weight_production, g.spend_production);
        let export_scale = envelope(p.weight_export, g.spend_export);
        g.production_rate = (level * prod_scale * p.production_subsidy).min(policy.local_subsidy_cap);
        let licensed = (g.rank as u32) < policy.licensed_regions;
        g.participating = licensed && g.support > p.participation_threshold && budget_factor > 0.0;
        g.export_rate =
            if g.participating { (level * export_scale * p.export_support).min(policy.local_subsidy_cap) } else { 0.0 };
        g.spend = 0.0;
        g.spend_production = 0.0;
        g.spend_export = 0.0;
        (g.spend_capital, g.spend_bailout, g.spend_trade_in, g.spend_rebate) = (0.0, 0.0, 0.0, 0.0);
    }
}

/// End of phase 4: the served buyers' subsidies are charged (the national account's flows of
/// the month are set here, and its VAT rebates after phase 5). The trade-in subsidy is
/// co-financed, `trade_in_central_share` by the national account and the rest by the buyer's
/// home government; NEV purchase subsidies and the NEV purchase tax forgone are national.
pub fn charge_purchases(govs: &mut [Government], national: &mut National, bought: &Purchases, policy: &PolicyParams) {
    let central = policy.trade_in_central_share;
    national.trade_in = 0.0;
    for (g, &t) in govs.iter_mut().zip(&bought.trade_in) {
        let local = (1.0 - central) * t;
        g.spend += local;
        g.spend_trade_in += local;
        national.trade_in += central * t;
    }
    national.nev_subsidy = bought.nev_subsidy;
    national.tax_expenditure = bought.tax_expenditure;
}

/// Phase 8b, local budgets: each government's budget gains its tax share of local revenue and
/// its land revenue and pays this month's spending; smoothed local reported sales and output
/// (3-month memory) follow the region's groups.
pub fn close_month(govs: &mut [Government], firms: &[Automaker], p: &GovernmentParams) {
    let mut local_revenue = vec![0.0; govs.len()];
    let mut local_sales = vec![0.0; govs.len()];
    let mut local_output = vec![0.0; govs.len()];
    for a in firms {
        local_revenue[a.region] += a.revenue;
        local_sales[a.region] += a.retail_sales + a.zero_mileage_sales;
        local_output[a.region] += a.production;
    }
    for (gi, g) in govs.iter_mut().enumerate() {
        g.budget += p.tax_share * local_revenue[gi] + p.land_revenue * g.weight - g.spend;
        g.sales_ema += (local_sales[gi] - g.sales_ema) / 3.0;
        g.output_ema += (local_output[gi] - g.output_ema) / 3.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::automaker;
    use crate::model::rng::{self, purpose};
    use crate::scenario::AutomakerParams;

    /// Two governments (weights 1/3 and 2/3, so government 1 has rank 0) meeting flat targets of
    /// 100 with `support` and a budget of `budget`.
    fn govs(support: f64, budget: f64) -> Vec<Government> {
        let mut g = init(&GovernmentParams::default(), &[1.0, 2.0]);
        for g in &mut g {
            (g.sales_base, g.output_base, g.sales_ema, g.output_ema) = (100.0, 100.0, 100.0, 100.0);
            (g.support, g.budget) = (support, budget);
        }
        g
    }

    fn update_with(g: &mut [Government], policy: &PolicyParams) {
        update(g, &GovernmentParams::default(), policy, 0.0, 0);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    /// A shortfall raises support by σ x shortfall x (1 + career pressure); meeting targets
    /// decays it toward the floor: s - δ (s - floor).
    #[test]
    fn update_raises_support_on_a_shortfall_and_decays_it_otherwise() {
        let mut g = govs(0.2, 1e9);
        // Government 0: sales 20% short (shortfall 0.1), output flat; government 1 grew 50% in a year.
        g[0].sales_ema = 80.0;
        g[0].output_hist = [100.0; 12];
        (g[1].output_ema, g[1].output_hist, g[1].support) = (150.0, [100.0; 12], 0.5);
        update_with(&mut g, &PolicyParams::default());
        // Peer growth 0.25, government 0's growth 0: career pressure 1.0 x 0.25.
        assert!(close(g[0].support, 0.2 + 0.1 * 1.25), "{}", g[0].support);
        assert!(close(g[1].support, 0.5 - 0.05 * (0.5 - 0.1)), "{}", g[1].support);
    }

    /// Support stays in [floor, 1].
    #[test]
    fn update_keeps_support_between_floor_and_one() {
        let mut g = govs(0.95, 1e9);
        g[0].sales_ema = 0.0;
        g[1].support = 0.0;
        update_with(&mut g, &PolicyParams::default());
        assert_eq!((g[0].support, g[1].support), (1.0, 0.1));
    }

    /// Regions are licensed by rank: with one licence only the larger region (rank 0) may back
    /// zero-mileage exports; the unlicensed one pays no export support.
    #[test]
    fn update_unlicensed_regions_never_participate() {
        let mut g = govs(0.9, 1e9);
        update_with(&mut g, &PolicyParams { licensed_regions: 1, ..Default::default() });
        assert_eq!((g[0].rank, g[1].rank), (1, 0));
        assert!(!g[0].participating && g[1].participating);
        assert_eq!(g[0].export_rate, 0.0);
        // Support after decay 0.86: export support 0.86 x 4,000, production 0.86 x 2,500.
        assert!(close(g[1].export_rate, 0.86 * 4000.0) && close(g[0].production_rate, 0.86 * 2500.0));
    }

    /// A government without money has no instruments, whatever its support and licence.
    #[test]
    fn update_without_budget_pays_nothing() {
        let mut g = govs(0.9, 0.0);
        g[1].budget = -5.0;
        update_with(&mut g, &PolicyParams { licensed_regions: 2, ..Default::default() });
        for g in &g {
            assert_eq!((g.production_rate, g.export_rate, g.participating), (0.0, 0.0, false));
        }
    }

    /// Rates are capped by `local_subsidy_cap`, and this month's spending counters restart at 0.
    #[test]
    fn update_caps_rates_and_resets_spending() {
        let mut g = govs(0.9, 1e9);
        for g in &mut g {
            (g.spend, g.spend_production, g.spend_export) = (1.0, 2.0, 3.0);
        }
        update_with(&mut g, &PolicyParams { licensed_regions: 2, local_subsidy_cap: 500.0, ..Default::default() });
        for g in &g {
            assert_eq!((g.production_rate, g.export_rate), (500.0, 500.0));
            assert_eq!((g.spend, g.spend_production, g.spend_export), (0.0, 0.0, 0.0));
        }
    }

    /// Budget += tax share x local revenue + land revenue x weight - spending; local reported
    /// sales (retail + zero-mileage) and output are smoothed with a 3-month memory.
    #[test]
    fn close_month_books_the_budget_and_smooths_local_performance() {
        let mut g = govs(0.2, 1e9);
        g[0].spend = 2e8;
        let p = AutomakerParams { count: 3, powertrains: crate::scenario::Powertrains::Single, ..Default::default() };
        let mut firms = automaker::init(&p, &[1.0], &mut rng::stream(7, purpose::INIT_AUTOMAKERS, 0, 0));
        for (a, (region, revenue, retail, zm, export, output)) in firms.iter_mut().zip([
            (0, 1e9, 40.0, 5.0, 7.0, 70.0),
            (1, 2e9, 10.0, 0.0, 0.0, 20.0),
            (0, 3e9, 15.0, 0.0, 0.0, 50.0),
        ]) {
            (a.region, a.revenue, a.retail_sales, a.zero_mileage_sales, a.export_sales, a.production) =
                (region, revenue, retail, zm, export, output);
        }
        close_month(&mut g, &firms, &GovernmentParams::default());
        assert!((g[0].budget - (1e9 + 0.03 * 4e9 + 4e9 / 3.0 - 2e8)).abs() < 1e-3, "{}", g[0].budget);
        assert!((g[1].budget - (1e9 + 0.03 * 2e9 + 4e9 * 2.0 / 3.0)).abs() < 1e-3);
        assert!(
            close(g[0].sales_ema, 100.0 + (60.0 - 100.0) / 3.0)
                && close(g[0].output_ema, 100.0 + (120.0 - 100.0) / 3.0)
        );
        assert!(close(g[1].sales_ema, 100.0 - 90.0 / 3.0) && close(g[1].output_ema, 100.0 - 80.0 / 3.0));
    }
}
