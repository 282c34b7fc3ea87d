//! Unit tests of `automaker` (plan, consolidation, rivals' cuts, learning curve, floors).

use super::*;
use crate::scenario::{CostBasis, YearMonth};

fn firms(n: usize) -> Vec<Automaker> {
    init(
        &AutomakerParams { count: n, powertrains: Powertrains::Single, ..Default::default() },
        &[1.0],
        &mut rng::stream(7, purpose::INIT_AUTOMAKERS, 0, 0),
    )
}

/// Month `index` of a run starting January 2020 (index 2 is March: no quarter or year-end rule).
fn month(index: u64) -> Month {
    Month { key: 1, index, date: YearMonth::new(2020, 1).unwrap().offset(index as i64) }
}

/// Parameters with every random or political term of `plan` switched off.
fn quiet() -> AutomakerParams {
    AutomakerParams {
        discount_step_max: 0.0,
        follow_probability: 0.0,
        list_price_adjustment: 0.0,
        target_push: 0.0,
        ..Default::default()
    }
}

fn ctx<'a>(p: &'a AutomakerParams, policy: &'a PolicyParams, at: Month) -> PlanContext<'a> {
    PlanContext {
        p,
        policy,
        at,
        target_growth: 0.0,
        support: &[0.0],
        rebate_max: 0.0,
        battery_cost: (1.0 - p.battery_cost_decline).powf(at.years()),
        channel: &[],
        dealer_discounts: &[],
    }
}

fn run_plan(a: &mut Automaker, p: &AutomakerParams, policy: &PolicyParams, at: Month) {
    plan(a, &ctx(p, policy, at), 0.0, 0.0, &mut rng::stream(1, purpose::AUTOMAKERS, 0, 0));
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Under the threshold a group retires `retire_share` of its capacity above demand / u*;
/// above the threshold, with no excess, or inactive, capacity is untouched.
#[test]
fn consolidate_retires_share_of_excess_below_threshold_only() {
    let mut f = firms(4);
    for (a, (util, cap, active)) in
        f.iter_mut().zip([(0.3, 1000.0, true), (0.6, 1000.0, true), (0.3, 400.0, true), (0.1, 1000.0, false)])
    {
        (a.utilization_ema, a.capacity, a.demand_exp, a.active) = (util, cap, 400.0, active);
    }
    let c = CapacityConsolidation { utilization_threshold: 0.5, retire_share: 0.4 };
    consolidate(&mut f, &c, 0.8);
    // needed = 400 / 0.8 = 500; excess 500; 40% of it retired.
    assert!(close(f[0].capacity, 800.0));
    assert_eq!(f[1].capacity, 1000.0, "above the threshold");
    assert_eq!(f[2].capacity, 400.0, "capacity below what demand needs");
    assert_eq!(f[3].capacity, 1000.0, "inactive");
}

/// Each firm sees the largest last cut among the three best sellers (all sales channels)
/// other than itself; inactive firms do not rank.
#[test]
fn rival_cuts_are_the_largest_among_top_three_others() {
    let mut f = firms(6);
    let sales =
        [(50.0, 0.0, 0.0), (10.0, 20.0, 10.0), (30.0, 0.0, 0.0), (0.0, 0.0, 20.0), (10.0, 0.0, 0.0), (99.0, 0.0, 0.0)];
    let cuts = [0.01, 0.02, 0.03, 0.09, 0.5, 0.7];
    for ((a, s), c) in f.iter_mut().zip(sales).zip(cuts) {
        (a.retail_sales, a.zero_mileage_sales, a.export_sales, a.last_cut) = (s.0, s.1, s.2, c);
    }
    f[5].active = false;
    // Ranking 0 (50), 1 (40), 2 (30), 3 (20), then 4 (10).
    assert_eq!(rival_cuts(&f), vec![0.09, 0.09, 0.09, 0.03, 0.03, 0.03]);
}

/// Equal sales rank by index, lower first.
#[test]
fn rival_cuts_break_sales_ties_by_index() {
    let mut f = firms(5);
    for (i, a) in f.iter_mut().enumerate() {
        (a.retail_sales, a.last_cut) = (10.0, 0.1 * (i + 1) as f64);
    }
    // Top four are 0..=3: firm 0 sees max(0.2, 0.3, 0.4); firms 3 and 4 see max(0.1, 0.2, 0.3).
    let r = rival_cuts(&f);
    assert!(close(r[0], 0.4) && close(r[3], 0.3) && close(r[4], 0.3), "{r:?}");
}

/// c = c0 (X/X0)^-b with b = -log2(1 - LR): two doublings of experience cut cost by (1 - LR)^2,
/// LR blended by the EV share after the yearly shift.
#[test]
fn plan_cost_follows_the_learning_curve() {
    let p = quiet();
    let mut a = firms(1).remove(0);
    (a.ownership, a.ev_share0) = (Ownership::LocalState, 0.5);
    a.experience = 4.0 * a.experience0;
    run_plan(&mut a, &p, &PolicyParams::default(), month(6));
    let ev = 0.5 + 0.07 * 0.5;
    let lr = ev * 0.15 + (1.0 - ev) * 0.05;
    assert!(close(a.ev_share, ev));
    assert!(close(a.cost, a.cost0 * (1.0 - lr).powi(2)), "{} vs {}", a.cost, a.cost0 * (1.0 - lr).powi(2));
}

/// Demand expectation moves θ toward last month's orders; production is
/// (1 + ι) E - stock clamped to [0, capacity], capacity including the arriving order.
#[test]
fn plan_production_is_desired_clamped_to_capacity() {
    let p = quiet();
    let produce = |inventory: f64, capacity: f64, arriving: f64| {
        let mut a = firms(1).remove(0);
        (a.demand_exp, a.orders_last, a.inventory, a.capacity) = (1000.0, 2000.0, inventory, capacity);
        a.pipeline[0] = arriving;
        run_plan(&mut a, &p, &PolicyParams::default(), month(2));
        assert!(close(a.demand_exp, 1300.0));
        assert!(close(a.inventory, inventory + a.production));
        (a.production, a.capacity_month)
    };
    // desired = 2.2 x 1300 - 500 = 2360.
    let (q, _) = produce(500.0, 5000.0, 0.0);
    assert!(close(q, 2360.0));
    assert_eq!(produce(500.0, 1000.0, 500.0), (1500.0, 1500.0));
    assert_eq!(produce(4000.0, 5000.0, 0.0).0, 0.0);
}

/// A below-cost ban lifts list and invoice prices to the cost basis; a share λ of the banned
/// cut (down to the soft floor) is the hidden discount, off the invoice, so the effective price
/// is the basis less it; without a ban only the soft floor c (1 - ω) holds and nothing is hidden.
#[test]
fn plan_below_cost_ban_lifts_prices_to_the_cost_basis() {
    let p = quiet();
    let price = |ban: bool, basis: CostBasis, leakage: f64| {
        let mut a = firms(1).remove(0);
        a.ownership = Ownership::LocalState;
        // The reference value: fixed cost 10,000 yuan per unit of capacity.
        a.value = p.list_price_mean * (1.0 - p.initial_discount);
        (a.cost0, a.experience, a.list_price, a.discount) = (100_000.0, a.experience0, 50_000.0, 0.1);
        (a.capacity, a.demand_exp, a.orders_last, a.inventory) = (1000.0, 1000.0, 1000.0, 0.0);
        let policy = PolicyParams {
            below_cost_ban: ban,
            below_cost_basis: basis,
            below_cost_leakage: leakage,
            ..Default::default()
        };
        run_plan(&mut a, &p, &policy, month(2));
        assert_eq!(a.production, 1000.0);
        (a.list_price, a.transaction_price(), a.effective_price(), a.hidden_discount)
    };
    let (list, tx, eff, hidden) = price(true, CostBasis::VariableCost, 0.0);
    assert!(close(list, 100_000.0) && close(tx, 100_000.0) && close(eff, tx) && hidden == 0.0, "{list} {tx}");
    // Soft floor 90,000 (ω = 0.1); 30% of the 10,000 banned cut is hidden: the invoice stays at
    // the floor, households pay 97,000.
    let (_, tx, eff, hidden) = price(true, CostBasis::VariableCost, 0.3);
    assert!(close(tx, 100_000.0) && close(hidden, 3_000.0) && close(eff, 97_000.0), "{tx} {hidden} {eff}");
    let (_, tx, eff, hidden) = price(false, CostBasis::VariableCost, 0.3);
    assert!(close(tx, 90_000.0) && close(eff, 90_000.0) && hidden == 0.0);
    // Full cost: 100,000 + 10,000 x 1000 capacity / max(1000 planned, 0.8 x 1000).
    assert!(close(price(true, CostBasis::FullCostPlanned, 0.0).1, 110_000.0));
}

/// The full-cost basis spreads fixed cost over max(planned output, u_n K): with no output it is
/// c + F / (u_n K), finite and bounded, never F / max(Q, 1); above normal output it falls with Q;
/// without capacity it is c; the variable basis is c.
#[test]
fn full_cost_planned_basis_is_bounded_when_output_is_zero() {
    let p = AutomakerParams::default();
    let mut a = firms(1).remove(0);
    (a.cost, a.capacity, a.production) = (100_000.0, 1000.0, 0.0);
    let policy =
        PolicyParams { below_cost_ban: true, below_cost_basis: CostBasis::FullCostPlanned, ..Default::default() };
    let f = a.fixed_cost(&p);
    assert!(close(cost_basis(&a, &p, &policy), 100_000.0 + f / 800.0));
    a.production = 1000.0;
    assert!(close(cost_basis(&a, &p, &policy), 100_000.0 + f / 1000.0));
    (a.capacity, a.production) = (0.0, 0.0);
    assert_eq!(cost_basis(&a, &p, &policy), 100_000.0);
    let variable = PolicyParams { below_cost_basis: CostBasis::VariableCost, ..policy };
    a.capacity = 1000.0;
    assert_eq!(cost_basis(&a, &p, &variable), 100_000.0);
}

/// The line prices on what households pay: last month's hidden discount comes off its planned
/// price, so a line held at the floor keeps leaking λ (B − c (1 − ω)); a planned price between
/// that effective floor E and B is the basis on the invoice, the rest of the cut hidden.
#[test]
fn hidden_discount_is_the_leaked_part_of_the_banned_cut() {
    let p = quiet();
    let run = |list: f64, hidden_prev: f64| {
        let mut a = firms(1).remove(0);
        a.ownership = Ownership::LocalState;
        (a.cost0, a.experience, a.list_price, a.discount) = (100_000.0, a.experience0, list, 0.0);
        a.hidden_discount = hidden_prev;
        let policy = PolicyParams { below_cost_ban: true, below_cost_leakage: 0.3, ..Default::default() };
        run_plan(&mut a, &p, &policy, month(2));
        (a.transaction_price(), a.hidden_discount, a.effective_price())
    };
    // E = 100,000 - 0.3 x 10,000 = 97,000. Planned 99,000: invoice 100,000, 1,000 hidden.
    let (tx, h, eff) = run(99_000.0, 0.0);
    assert!(close(tx, 100_000.0) && close(h, 1_000.0) && close(eff, 99_000.0), "{tx} {h} {eff}");
    // At the floor with 1,000 hidden last month, planned is 99,000 again: no creep below it.
    let (tx, h, _) = run(100_000.0, 1_000.0);
    assert!(close(tx, 100_000.0) && close(h, 1_000.0));
    // Planned below E: the hidden discount is capped at B - E.
    let (_, h, eff) = run(100_000.0, 5_000.0);
    assert!(close(h, 3_000.0) && close(eff, 97_000.0));
}

/// A price above the basis is untouched by a ban and nothing is hidden; without a ban a line
/// above the soft floor keeps its planned prices (the old behaviour).
#[test]
fn ban_leaves_prices_above_the_basis_alone() {
    let p = quiet();
    for ban in [false, true] {
        let mut a = firms(1).remove(0);
        (a.cost0, a.experience, a.list_price, a.discount) = (100_000.0, a.experience0, 200_000.0, 0.3);
        let policy =
            PolicyParams { below_cost_ban: ban, below_cost_basis: CostBasis::FullCostPlanned, ..Default::default() };
        run_plan(&mut a, &p, &policy, month(2));
        assert!(close(a.list_price, 200_000.0) && close(a.discount, 0.3) && a.hidden_discount == 0.0);
        assert!(close(a.effective_price(), 140_000.0));
    }
}

/// Inactive groups produce nothing and hold no available stock; the transaction change is
/// Σ w p_new / Σ w p_old - 1 over active groups with last month's retail weights w > 0.
#[test]
fn plan_all_chains_prices_on_last_months_retail_weights() {
    let p = AutomakerParams { list_price_adjustment: 1.0, ..quiet() };
    let mut f = firms(4);
    // (weight, list, cost, markup, discount): the new list is (1 + markup) x cost.
    let set = [
        (100.0, 200e3, 100e3, 0.5, 0.1),
        (300.0, 100e3, 50e3, 0.8, 0.2),
        (0.0, 100e3, 10e3, 0.1, 0.0),
        (500.0, 100e3, 10e3, 0.1, 0.0),
    ];
    for (a, (w, list, cost, mu, d)) in f.iter_mut().zip(set) {
        (a.retail_sales, a.list_price, a.cost0, a.markup, a.discount) = (w, list, cost, mu, d);
        (a.experience, a.share_hist) = (a.experience0, [0.1, 0.1]);
    }
    (f[3].active, f[3].production, f[3].capacity_month, f[3].inventory) = (false, 7.0, 7.0, 1e12);
    let out = plan_all(&mut f, &ctx(&p, &PolicyParams::default(), month(2)));
    let expected = (100.0 * 150e3 * 0.9 + 300.0 * 90e3 * 0.8) / (100.0 * 200e3 * 0.9 + 300.0 * 100e3 * 0.8) - 1.0;
    assert!(close(out.transaction_change, expected), "{} vs {expected}", out.transaction_change);
    assert!(close(out.regular_change, expected));
    assert_eq!((f[3].production, f[3].capacity_month, f[3].retail_sales), (0.0, 0.0, 0.0));
    assert!(out.available < 1e12, "the inactive group's stock is not available");
    assert_eq!(f[0].retail_sales, 0.0, "this month's flows are reset");
}

/// Fixed cost scales with the value of the car a plant makes (ε = 1): twice the value, twice
/// the fixed cost per unit of capacity; with ε = 0 the value does not matter.
#[test]
fn fixed_cost_follows_the_value_of_the_car() {
    let p = AutomakerParams::default();
    let mut a = firms(1).remove(0);
    a.capacity = 1000.0;
    a.value = p.list_price_mean * (1.0 - p.initial_discount);
    assert!(close(a.fixed_cost(&p), p.fixed_cost_per_capacity * 1000.0));
    let base = a.fixed_cost(&p);
    a.value *= 2.0;
    assert!(close(a.fixed_cost(&p), 2.0 * base));
    let flat = AutomakerParams { fixed_cost_value_elasticity: 0.0, ..p.clone() };
    assert_eq!(flat.fixed_cost_per_capacity * 1000.0, a.fixed_cost(&flat));
}

#[test]
fn nev_only_entrants_carry_the_entrant_price_factor_in_cost_price_and_value() {
    let lines = |factor: f64| {
        let p =
            AutomakerParams { count: 40, nev_only_share: 1.0, nev_entrant_price_factor: factor, ..Default::default() };
        init(&p, &[1.0], &mut rng::stream(7, purpose::INIT_AUTOMAKERS, 0, 0))
    };
    let (plain, dear) = (lines(1.0), lines(1.5));
    assert_eq!(plain.len(), dear.len(), "the factor changes no draw");
    // An NEV-only group has one line; the other groups have an ICE line beside the NEV one.
    let only: Vec<usize> = (0..plain.len())
        .filter(|&i| {
            plain[i].powertrain == Powertrain::Nev && plain.iter().filter(|b| b.group == plain[i].group).count() == 1
        })
        .collect();
    assert!(!only.is_empty(), "40 groups with nev_only_share 1 have entrants");
    for (i, (a, b)) in plain.iter().zip(&dear).enumerate() {
        let f = if only.contains(&i) { 1.5 } else { 1.0 };
        assert!((b.cost0 / a.cost0 - f).abs() < 1e-12, "line {i}: cost");
        assert!((b.value / a.value - f).abs() < 1e-12, "line {i}: value");
        // Lines are re-based on demand, so prices are compared before that: list = (1 + markup) c0.
        assert!((b.markup - a.markup).abs() < 1e-12, "line {i}: the mark-up is the group's");
    }
}

#[test]
fn chained_change_is_like_for_like_and_blind_to_the_mix() {
    let mut f = firms(3);
    for (a, price) in f.iter_mut().zip([100.0, 200.0, 400.0]) {
        a.list_price = price;
    }
    let prev: Vec<f64> = f.iter().map(|a| a.list_price).collect();
    // Unchanged prices: no change whatever the weights, though the weighted average moves.
    for w in [[1.0, 0.0, 0.0], [0.0, 1.0, 3.0], [5.0, 1.0, 1.0]] {
        assert_eq!(chained_change(&f, &w, &prev, |a| a.list_price), 0.0);
    }
    // The dearest line cuts 10 %: the change is its weight share of list value times -10 %.
    f[2].list_price = 360.0;
    let w = [2.0, 1.0, 1.0];
    let got = chained_change(&f, &w, &prev, |a| a.list_price);
    assert!((got - (-40.0 / 800.0)).abs() < 1e-12, "{got}");
    // An exited line and a line without last month's sales are left out.
    f[2].active = false;
    assert_eq!(chained_change(&f, &w, &prev, |a| a.list_price), 0.0);
    assert_eq!(chained_change(&f, &[0.0, 0.0, 0.0], &prev, |a| a.list_price), 0.0);
}
