//! Phase 4, the domestic market: what households see of each brand, their decisions and the
//! rationing of each brand's stock (docs/model.md §7.3).

use super::trade_in::{Amounts, TradeInRule};
use super::{build_tables, decide_all, settle, ChoiceTables, Consumers, Executor, MarketSignals, Nests, Offer, Tally};
use crate::model::automaker::{Automaker, Powertrain};
use crate::model::consumer::Expectations;
use crate::model::dealer::{self, Dealer};
use crate::model::policy::Month;
use crate::scenario::{ConsumerParams, PolicyParams};

/// What households see of each brand this month (docs/model.md §7.3): prices after national
/// subsidies, taxes and the trade-in subsidy, appeal and visible zero-mileage share;
/// `available` says which can be bought. An ICE line's buyer pays the ICE purchase tax; a
/// blended line (single powertrain, the round-1 rule) pays only the NEV rate on its EV share.
pub fn offers(
    automakers: &[Automaker],
    policy: &PolicyParams,
    c: &ConsumerParams,
    available: impl Fn(usize, &Automaker) -> bool,
) -> Vec<Offer> {
    automakers
        .iter()
        .enumerate()
        .map(|(j, a)| {
            let tx = a.transaction_price() * policy.retail_price_factor;
            let price = match a.powertrain {
                Powertrain::Blend => {
                    tx * (1.0 + policy.nev_purchase_tax * a.ev_share) - policy.nev_purchase_subsidy * a.ev_share
                }
                Powertrain::Nev => tx * (1.0 + policy.nev_purchase_tax) - policy.nev_purchase_subsidy,
                Powertrain::Ice => tx * (1.0 + policy.ice_purchase_tax),
            } - a.hidden_discount; // taxed on the invoice; the hidden discount comes off after
            let sales = a.sales_last;
            Offer {
                available: available(j, a),
                region: a.region,
                price: price.max(0.0),
                trade_in: Amounts::of(policy, a.ev_share, tx),
                appeal: a.appeal(c),
                value: a.value,
                zero_mileage_share: if sales > 0.0 { a.zm_last / sales } else { 0.0 },
                nev: a.powertrain == Powertrain::Nev,
            }
        })
        .collect()
}

/// Income effect on the price weight after `years`: (1 + y)^(-eta years), with y
/// `real_income_growth` (not the valuation drift `income_growth`) and eta `sensitivity_income_elasticity` (1 at the start).
pub fn income_factor(c: &ConsumerParams, years: f64) -> f64 {
    (1.0 + c.real_income_growth).powf(-c.sensitivity_income_elasticity * years)
}

/// What the domestic market phase reads from the rest of the world.
pub struct RetailContext<'a> {
    /// Household parameters.
    pub p: &'a ConsumerParams,
    /// National policy in force.
    pub policy: &'a PolicyParams,
    /// Number of regions (home-bias segments).
    pub regions: usize,
    /// Reference price of the logit (yuan).
    pub p_ref: f64,
    /// The month of the market (income growth, random streams).
    pub at: Month,
    /// Entry-hazard multiplier of the month's calendar.
    pub entry_factor: f64,
    /// Shared expectation state after this month's observation.
    pub expectations: &'a Expectations,
    /// Replacement hazard table ([`super::hazard_table`]).
    pub hazard: &'a [f32],
    /// Powertrain nests this month (`None`: one flat logit, single powertrain).
    pub nests: Option<Nests>,
}

/// Phase 4, the domestic market: offers and logit tables, household entry, expectations, brand
/// and buy-or-wait ([`decide_all`]); demand is rationed by the stock each line retails from
/// ([`settle`]) and sold at its transaction price. A line retails from its dealer network's
/// stock (`dealers`, one per line; [`dealer::sell_retail`]), or from its own stock without a
/// dealer tier (`dealers` empty). Returns the households' tallies.
pub fn domestic_market(
    firms: &mut [Automaker],
    dealers: &mut [Dealer],
    consumers: &mut Consumers,
    tables: &mut ChoiceTables,
    ctx: &RetailContext<'_>,
    exec: &dyn Executor,
) -> Tally {
    let c = ctx.p;
    let scale = c.households_per_agent;
    let shelf: Vec<f64> = match dealers.is_empty() {
        true => firms.iter().map(|a| a.inventory).collect(),
        false => dealers.iter().map(|d| d.stock).collect(),
    };
    let offers = offers(firms, ctx.policy, c, |j, a| a.active && shelf[j] >= scale.min(1.0));
    build_tables(c, &offers, ctx.regions, ctx.p_ref, income_factor(c, ctx.at.years()), ctx.nests.as_ref(), tables);
    let signals = MarketSignals {
        pi_last: ctx.expectations.last_change(),
        trend_forecast: ctx.expectations.trend_forecast(),
        trend_probability: ctx.expectations.trend_probability(),
        valuation_mean: c.valuation_ratio * ctx.p_ref * (1.0 + c.income_growth).powf(ctx.at.years()),
        hazard: ctx.hazard,
        trade_in: TradeInRule::new(ctx.policy, ctx.at.date, (ctx.at.key, ctx.at.index)),
        entry_factor: ctx.entry_factor,
    };
    let mut tally = decide_all(c, &signals, tables, consumers, ctx.at.key, ctx.at.index, exec);
    let fill: Vec<f64> = firms
        .iter_mut()
        .zip(&tally.demand)
        .enumerate()
        .map(|(j, (a, &d))| {
            let want = d as f64 * scale;
            a.orders += want;
            if let Some(dealer) = dealers.get_mut(j) {
                dealer.orders = want;
            }
            if want <= shelf[j] {
                1.0
            } else {
                shelf[j] / want
            }
        })
        .collect();
    let served = settle(consumers, &fill, tables, &signals.trade_in, ctx.regions, (ctx.at.key, ctx.at.index), exec);
    tally.trade_in_claims = [served.scrap as f64 * scale, served.replace as f64 * scale];
    let brands = firms.len();
    let (policy, out) = (ctx.policy, &mut tally.purchases);
    out.trade_in = vec![0.0; ctx.regions];
    for (j, (a, &n)) in firms.iter_mut().zip(&served.count).enumerate() {
        let sold = (n as f64 * scale).min(shelf[j]);
        a.retail_sales = sold;
        if let Some(d) = dealers.get_mut(j) {
            dealer::sell_retail(d, a, sold, policy);
        } else {
            a.inventory -= sold;
            // The line receives what households pay before tax: the invoice (scaled by a
            // measurement `retail_price_factor`) less the hidden discount, as in [`offers`].
            a.revenue += sold * (a.transaction_price() * ctx.policy.retail_price_factor - a.hidden_discount).max(0.0);
        }
        // Households per served agent, less any stock the draw could not deliver.
        let per_agent = if n > 0 { sold / n as f64 } else { 0.0 };
        out.surplus += per_agent * served.surplus[j];
        for (r, t) in out.trade_in.iter_mut().enumerate() {
            *t += per_agent * served.trade_in[r * brands + j];
        }
        // A split line's EV share is 1 (NEV) or 0 (ICE); a blended line's drifts.
        let ev = a.ev_share;
        let gross = a.transaction_price() * (1.0 + policy.nev_purchase_tax * ev);
        out.nev_subsidy += sold * (policy.nev_purchase_subsidy * ev).min(gross);
        out.tax_expenditure +=
            sold * ev * a.transaction_price() * (policy.ice_purchase_tax - policy.nev_purchase_tax).max(0.0);
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::{self, purpose};
    use crate::scenario::AutomakerParams;

    fn firm(ev_share: f64, tx: f64) -> Automaker {
        let p = AutomakerParams {
            count: 1,
            powertrains: crate::scenario::Powertrains::Single,
            ..AutomakerParams::default()
        };
        let mut a =
            crate::model::automaker::init(&p, &[1.0], &mut rng::stream(3, purpose::INIT_AUTOMAKERS, 0, 0)).remove(0);
        (a.list_price, a.discount, a.push_discount, a.ev_share) = (tx, 0.0, 0.0, ev_share);
        (a.sales_last, a.zm_last) = (200.0, 50.0);
        a
    }

    #[test]
    fn offers_price_taxes_subsidies_and_trade_ins_by_powertrain() {
        let p = ConsumerParams::default();
        let firms = [firm(1.0, 100_000.0), firm(0.0, 100_000.0), firm(0.5, 10_000.0)];
        let policy = PolicyParams {
            nev_purchase_tax: 0.05,
            nev_purchase_subsidy: 3_000.0,
            trade_in_nev: 20_000.0,
            trade_in_ice: 15_000.0,
            ..PolicyParams::default()
        };
        let o = offers(&firms, &policy, &p, |_, a| a.ev_share > 0.0);
        let scrap = super::super::trade_in::SCRAP;
        assert_eq!((o[0].price, o[0].price_for(scrap)), (102_000.0, 82_000.0));
        assert_eq!((o[1].price, o[1].price_for(scrap)), (100_000.0, 85_000.0));
        assert_eq!(o[2].price_for(scrap), 0.0, "a trade-in above the price pays nothing back");
        assert_eq!([o[0].available, o[1].available, o[2].available], [true, false, true]);
        assert_eq!(o[0].zero_mileage_share, 0.25);
        // A trade-in by price share is capped and the same for both powertrains.
        let share = PolicyParams { trade_in_price_share: 0.12, trade_in_cap: 10_000.0, ..PolicyParams::default() };
        let o = offers(&firms, &share, &p, |_, _| true);
        assert_eq!(o[0].price - o[0].price_for(scrap), 10_000.0);
        assert_eq!(o[2].price - o[2].price_for(scrap), 1_200.0);
    }

    fn offer(price: f64, value: f64) -> Offer {
        Offer {
            available: true,
            region: 0,
            price,
            trade_in: super::super::trade_in::Amounts { scrap: 0.0, replace: 0.0 },
            appeal: 0.0,
            value,
            zero_mileage_share: 0.0,
            nev: false,
        }
    }

    /// Shares of two offers for the price-sensitivity class `class` (one region, not eligible).
    fn shares(p: &ConsumerParams, offers: &[Offer], income: f64, class: usize) -> f64 {
        let mut t = super::super::ChoiceTables::default();
        build_tables(p, offers, 1, 100_000.0, income, None, &mut t);
        let start = class * super::super::trade_in::ELIGIBILITY * 2;
        let row = &t.cum[start..start + 2];
        (row[0] / row[1]) as f64
    }

    /// Vertical differentiation: with quality priced in (vertical_quality = 1) and no spread of
    /// sensitivity, a car twice as dear that is worth twice as much sells as well as the cheap
    /// one; without it the cheap car takes the market.
    #[test]
    fn priced_in_quality_neutralises_price_levels_for_the_reference_buyer() {
        let p = ConsumerParams { sensitivity_spread: 0.0, ..ConsumerParams::default() };
        let pair = [offer(100_000.0, 100_000.0), offer(200_000.0, 200_000.0)];
        assert!((shares(&p, &pair, 1.0, 0) - 0.5).abs() < 1e-6);
        let flat = ConsumerParams { vertical_quality: 0.0, ..p.clone() };
        assert!(shares(&flat, &pair, 1.0, 0) > 0.95);
        // Richer households (income factor below 1) buy up: the dear car's share rises.
        assert!(shares(&p, &pair, 0.8, 0) < 0.5);
    }

    /// The least price-sensitive class (0) buys the dearer car more often than the most
    /// sensitive (3), and households are sorted into classes by valuation quartile.
    #[test]
    fn rich_households_are_the_least_price_sensitive() {
        let p = ConsumerParams::default();
        let pair = [offer(100_000.0, 100_000.0), offer(200_000.0, 200_000.0)];
        assert!(shares(&p, &pair, 1.0, 0) < 0.5 && shares(&p, &pair, 1.0, 3) > 0.5);
        let classes: Vec<u8> = [-2.0, -0.5, 0.3, 1.0].iter().map(|&z| super::super::valuation_class(z)).collect();
        assert_eq!(classes, vec![3, 2, 1, 0]);
        assert!((income_factor(&p, 0.0) - 1.0).abs() < 1e-12 && income_factor(&p, 5.0) < 1.0);
        // The weight follows real income, not the valuation drift.
        let drift = ConsumerParams { income_growth: 0.3, ..p.clone() };
        assert_eq!(income_factor(&drift, 5.0), income_factor(&p, 5.0));
        let richer = ConsumerParams { real_income_growth: p.real_income_growth + 0.05, ..p.clone() };
        assert!(income_factor(&richer, 5.0) < income_factor(&p, 5.0));
    }
}
