//! One simulated world and its monthly step. Pure: no I/O, no threads, no clock; all
//! randomness comes from streams derived from the replicate key (see [`rng`]).
//!
//! Process order within a month (documented in ARCHITECTURE.md and docs/model.md):
//!
//! 1. policy calendar and foreign schedules;
//! 2. local governments;
//! 3. dealers price; automakers plan (costs, expectations, production, prices, rebates);
//!    wholesale to dealers;
//! 4. domestic market (households choose, dealers' stock is rationed);
//! 5. dealers offer surplus stock; exporters enter/exit, buy from factories and dealers and
//!    register, hold and ship;
//! 6. official exports;
//! 7. foreign zero-mileage markets clear, backlash;
//! 8. accounting, bailouts and exits, investment, brands; dealers' accounts and closures;
//! 9. metrics.

pub mod automaker;
pub mod consumer;
pub mod dealer;
pub mod exporter;
pub mod foreign_market;
pub mod government;
pub mod groups;
pub mod metrics;
pub mod policy;
pub mod rng;

use crate::scenario::{PolicyParams, Powertrains, Scenario, YearMonth};
use automaker::{Accounts, Automaker, PlanOutcome, Powertrain};
use consumer::{ChoiceTables, Consumers, Expectations, MarketSignals, Nests};
use dealer::Dealer;
use exporter::{Exporter, Pipeline};
use foreign_market::{export_split, ForeignMarket};
use government::{Government, National};
use metrics::MetricSet;
use rand::Rng as _;
use rng::purpose;

/// Money and vehicle flows of the last month, kept for accounting checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// Automaker cash at the start of the month.
    pub cash_before: f64,
    /// Automaker cash at the end (active and exited firms).
    pub cash_after: f64,
    /// Revenue from all buyers.
    pub revenue: f64,
    /// Production subsidies received.
    pub production_subsidy: f64,
    /// Bailouts received.
    pub bailouts: f64,
    /// Debt written down by creditors in bankruptcy reorganisations.
    pub debt_writedowns: f64,
    /// Change of supplier payables.
    pub payables_change: f64,
    /// Spending on variable cost of production.
    pub production_cost: f64,
    /// Fixed cost.
    pub fixed_cost: f64,
    /// Interest on negative cash.
    pub interest: f64,
    /// Capacity investment paid by automakers.
    pub investment: f64,
    /// Vehicles available to sell (stock after production).
    pub available: f64,
    /// Vehicles sold (retail + exporters + official exports).
    pub sold: f64,
    /// Stock written off at exits.
    pub written_off: f64,
}

impl Ledger {
    /// The ledger of a month from the planning phase (cash before, production cost, stock
    /// available), the accounting phase's flows and the groups' cash at the end.
    fn of_month(plan: &PlanOutcome, a: &Accounts, cash_after: f64) -> Self {
        Ledger {
            cash_before: plan.cash_before,
            cash_after,
            revenue: a.revenue,
            production_subsidy: a.production_subsidy,
            bailouts: a.bailout_funds,
            debt_writedowns: a.debt_writedowns,
            payables_change: a.payables_change,
            production_cost: plan.production_cost,
            fixed_cost: a.fixed_cost,
            interest: a.interest,
            investment: a.investment,
            available: plan.available,
            sold: a.sold,
            written_off: a.written_off,
        }
    }
}

/// The simulated world: agents of every kind plus national state.
#[derive(Debug, Clone)]
pub struct World {
    scenario: Scenario,
    key: u64,
    t: usize,
    /// Current month.
    pub date: YearMonth,
    /// National policy in force this month.
    pub policy: PolicyParams,
    /// Brand groups (exited ones stay, inactive, so indices are stable).
    pub automakers: Vec<Automaker>,
    /// Local governments, one per region.
    pub governments: Vec<Government>,
    /// The national fiscal account.
    pub national: National,
    /// Zero-mileage traders.
    pub exporters: Vec<Exporter>,
    /// Household agents.
    pub consumers: Consumers,
    /// Foreign markets, in scenario order.
    pub markets: Vec<ForeignMarket>,
    /// Zero-mileage cars held before export, per destination.
    pub pipelines: Vec<Pipeline>,
    /// Dealer networks, one per line (empty with `dealers.enabled = false`).
    pub dealers: Vec<Dealer>,
    /// Flows of the last month.
    pub ledger: Ledger,
    metric_set: MetricSet,
    row: Vec<f64>,
    tables: ChoiceTables,
    hazard: Vec<f32>,
    p_ref: f64,
    price_index: f64,
    list_index: f64,
    expectations: Expectations,
}

impl World {
    /// Builds the initial world of `scenario` for replicate key `key` (see `engine::seed`).
    pub fn new(scenario: &Scenario, key: u64) -> Self {
        let s = scenario;
        let mut r = rng::stream(key, purpose::INIT_GOVERNMENTS, 0, 0);
        let raw: Vec<f64> = (0..s.governments.count)
            .map(|_| (1.0 - r.random::<f64>()).powf(-1.0 / s.governments.size_pareto_shape))
            .collect();
        let mut governments = government::init(&s.governments, &raw);
        let weights: Vec<f64> = governments.iter().map(|g| g.weight).collect();
        let mut ra = rng::stream(key, purpose::INIT_AUTOMAKERS, 0, 0);
        let mut automakers = automaker::init(&s.automakers, &weights, &mut ra);
        automaker::assign_central(&mut automakers, s.automakers.central_state_share, key);
        if s.dealers.enabled {
            automaker::sell_via_dealers(&mut automakers, &s.dealers, s.automakers.initial_discount);
        }
        let split = s.automakers.powertrains == Powertrains::Split;
        if split {
            // Foreign buyers of new cars weigh an NEV line by the markets' NEV value, averaged
            // with the markets' initial Chinese volumes (docs/model.md sec. 7.6).
            let w: Vec<f64> = s.markets.iter().map(|m| m.market_size * m.cn_share_initial).collect();
            let total: f64 = w.iter().sum();
            let r = if total > 0.0 {
                s.markets.iter().zip(&w).map(|(m, w)| w * m.nev_value_ratio).sum::<f64>() / total
            } else {
                1.0
            };
            for a in automakers.iter_mut().filter(|a| a.powertrain == Powertrain::Nev) {
                a.export_orientation *= r;
            }
        }
        // Initial demand follows the households' own logit shares at initial prices (mean over
        // the sensitivity classes), so the first months start near balance.
        let tx_mean = automakers.iter().map(|a| a.transaction_price()).sum::<f64>() / automakers.len().max(1) as f64;
        let mut shares = vec![0.0; automakers.len()];
        let c = &s.consumers;
        let nests = Nests::of(c, split, 0.0);
        let nev: Vec<bool> = automakers.iter().map(|a| a.powertrain == Powertrain::Nev).collect();
        let mut nested = vec![0.0; automakers.len()];
        for z in consumer::CLASS_Z {
            let alpha = c.price_sensitivity * (c.sensitivity_spread * z).exp();
            let u: Vec<f64> =
                automakers.iter().map(|a| a.appeal(c) - alpha * a.transaction_price() / tx_mean).collect();
            if let Some(nests) = &nests {
                consumer::nested_shares(&u, &nev, nests, &mut nested);
                for (sh, x) in shares.iter_mut().zip(&nested) {
                    *sh += x / consumer::CLASSES as f64;
                }
                continue;
            }
            let max_u = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = u.iter().map(|x| (x - max_u).exp()).sum();
            for (sh, x) in shares.iter_mut().zip(&u) {
                *sh += (x - max_u).exp() / total / consumer::CLASSES as f64;
            }
        }
        let demand: Vec<f64> = shares.iter().map(|sh| s.automakers.initial_demand * sh).collect();
        rebase_firms(&mut automakers, &demand, &s.automakers);
        let dealers = if s.dealers.enabled { seat_dealers(&mut automakers, &demand, &s.dealers) } else { Vec::new() };
        let consumers = Consumers::new(&s.consumers, &weights, key);
        let mut re = rng::stream(key, purpose::INIT_EXPORTERS, 0, 0);
        let exporters = exporter::init(&s.exporters, &weights, s.markets.len(), &mut re);

        let (list_mean0, p_ref, export_price0) = reference_prices(&automakers, s.automakers.export_substitution);
        let markets = s
            .markets
            .iter()
            .map(|m| {
                let mut market = ForeignMarket::new(m, list_mean0, export_price0, s.exporters.foreign_discount);
                market.nev_value = if split { m.nev_value_ratio } else { 1.0 };
                market
            })
            .collect();
        base_governments(&mut governments, &automakers, &s.governments);
        let metric_set = MetricSet::new(&s.markets.iter().map(|m| m.id.as_str()).collect::<Vec<_>>());
        let width = metric_set.len();
        let pipelines = (0..s.markets.len()).map(|_| Pipeline::new()).collect();
        World {
            scenario: s.clone(),
            key,
            t: 0,
            date: s.start,
            policy: s.policy.clone(),
            automakers,
            governments,
            national: National::default(),
            exporters,
            consumers,
            markets,
            pipelines,
            dealers,
            ledger: Ledger::default(),
            metric_set,
            row: vec![0.0; width],
            tables: ChoiceTables::default(),
            hazard: consumer::hazard_table(&s.consumers),
            p_ref,
            price_index: 100.0,
            list_index: 100.0,
            expectations: Expectations::new(s.consumers.initial_trend_share),
        }
    }

    /// Names and kinds of the metrics [`World::step`] reports.
    pub fn metric_set(&self) -> &MetricSet {
        &self.metric_set
    }

    /// True when groups have NEV and ICE lines (`automakers.powertrains = "split"`).
    pub fn split(&self) -> bool {
        self.scenario.automakers.powertrains == Powertrains::Split
    }

    /// Months simulated so far.
    pub fn months_done(&self) -> usize {
        self.t
    }

    /// The scenario this world runs.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Phase 1: puts the month's calendar in force — the national policy and each foreign
    /// market's schedule (duty, fee, demand shift).
    fn enact(&mut self, calendar: &policy::MonthCalendar) {
        self.policy = calendar.policy.clone();
        for (m, schedule) in self.markets.iter_mut().zip(&calendar.markets) {
            m.apply_schedule(schedule);
        }
    }

    /// Start of the first month (docs/model.md §5): the household burn-in, then every firm is
    /// re-based on the demand it will actually meet — the burn-in's last-month choices plus its
    /// share of the first month's foreign orders — so shares, capacity, stock, local targets and
    /// household demand start together instead of converging through a stock-out transient.
    fn begin(&mut self, exec: &dyn consumer::Executor) {
        let s = &self.scenario;
        let c = &s.consumers;
        if c.warmup_months == 0 {
            return;
        }
        let offers = consumer::offers(&self.automakers, &self.policy, c, |_, a| a.active);
        let nests = Nests::of(c, self.split(), 0.0);
        consumer::build_tables(c, &offers, self.governments.len(), self.p_ref, 1.0, nests.as_ref(), &mut self.tables);
        let signals = MarketSignals {
            pi_last: self.expectations.last_change(),
            trend_forecast: self.expectations.trend_forecast(),
            trend_probability: self.expectations.trend_probability(),
            valuation_mean: c.valuation_ratio * self.p_ref,
            hazard: &self.hazard,
            trade_in: consumer::TradeInRule::new(&self.policy, self.scenario.start, (self.key, 0)),
            // The burn-in runs without dated entry shocks (φ = 1).
            entry_factor: 1.0,
        };
        let last = consumer::warm_up(c, &signals, &self.tables, &mut self.consumers, self.key, c.warmup_months, exec);
        let retail: Vec<f64> = last.iter().map(|&d| d as f64 * c.households_per_agent).collect();
        if retail.iter().sum::<f64>() <= 0.0 {
            return;
        }
        let (_, _, export_price) = reference_prices(&self.automakers, s.automakers.export_substitution);
        let orders: f64 =
            self.markets.iter().zip(&s.markets).map(|(m, mp)| m.new_car_demand(mp, 0.0, export_price)).sum();
        // Foreign orders are split as in phase 6, and capacity follows demand: two passes of
        // this fixed point.
        for _ in 0..2 {
            // Without active export capacity firms are re-based on retail demand alone.
            let split = export_split(&self.automakers, s.automakers.export_substitution)
                .map_or_else(|| vec![0.0; retail.len()], |(_, split)| split);
            let demand: Vec<f64> = retail.iter().zip(&split).map(|(r, x)| r + orders * x).collect();
            rebase_firms(&mut self.automakers, &demand, &s.automakers);
        }
        if s.dealers.enabled {
            self.dealers = seat_dealers(&mut self.automakers, &retail, &s.dealers);
        }
        // p_ref stays the one the burn-in priced against; the foreign references follow the
        // re-based weights.
        let (list_mean, _, export_price) = reference_prices(&self.automakers, s.automakers.export_substitution);
        for (m, mp) in self.markets.iter_mut().zip(&s.markets) {
            m.set_references(mp, list_mean, export_price, s.exporters.foreign_discount);
        }
        base_governments(&mut self.governments, &self.automakers, &s.governments);
    }

    /// Advances one month and returns its metric row (order of [`World::metric_set`]).
    pub fn step(&mut self) -> &[f64] {
        self.step_with(&consumer::Sequential)
    }

    /// [`World::step`] with the household chunks run by `exec` (the engine passes a parallel
    /// executor); the result is identical for every executor. The phases run in the process
    /// order of docs/model.md §3, each a function of the agent kind that owns it.
    pub fn step_with(&mut self, exec: &dyn consumer::Executor) -> &[f64] {
        let date = self.scenario.start.offset(self.t as i64);
        self.date = date;
        let at = policy::Month { key: self.key, index: self.t as u64, date };
        let years = at.years();
        // 1. Policy calendar (later events win) and foreign schedules; the burn-in before the
        //    first month; dated capacity consolidations.
        let calendar = policy::calendar(&self.scenario, date);
        self.enact(&calendar);
        if self.t == 0 {
            self.begin(exec);
        }
        for c in &calendar.consolidations {
            automaker::consolidate(&mut self.automakers, c, self.scenario.automakers.target_utilization);
        }
        let (s, policy) = (&self.scenario, &self.policy);

        // 2. Local governments.
        government::update(&mut self.governments, &s.governments, policy, years, self.t);

        // 3. Dealers price on their stock; automakers plan on the stock of their channel; the
        //    price index and the households' expectations follow; wholesale to the dealers.
        dealer::reset_flows(&mut self.dealers);
        dealer::set_targets(&mut self.dealers, &s.dealers, policy, date.month, self.t == 0);
        let dealer_discounts = dealer::price_all(&mut self.dealers, &s.dealers);
        let channel: Vec<f64> = self.dealers.iter().map(|d| d.stock).collect();
        let support: Vec<f64> = self.governments.iter().map(|g| g.support).collect();
        let plan_ctx = automaker::PlanContext {
            p: &s.automakers,
            policy,
            at,
            target_growth: s.governments.target_growth,
            support: &support,
            rebate_max: s.exporters.rebate_max,
            battery_cost: calendar.battery_cost,
            channel: &channel,
            dealer_discounts: &dealer_discounts,
        };
        let plan = automaker::plan_all(&mut self.automakers, &plan_ctx);
        if s.dealers.enabled {
            dealer::wholesale_all(&mut self.dealers, &mut self.automakers, &s.dealers, policy);
        }
        self.price_index *= 1.0 + plan.transaction_change;
        self.list_index *= 1.0 + plan.list_change;
        self.expectations.observe(plan.regular_change, &s.consumers);

        // 4. Domestic market.
        let retail_ctx = consumer::RetailContext {
            p: &s.consumers,
            policy,
            regions: self.governments.len(),
            p_ref: self.p_ref,
            at,
            entry_factor: calendar.entry_factor,
            expectations: &self.expectations,
            hazard: &self.hazard,
            nests: Nests::of(&s.consumers, s.automakers.powertrains == Powertrains::Split, years),
        };
        let tally = consumer::domestic_market(
            &mut self.automakers,
            &mut self.dealers,
            &mut self.consumers,
            &mut self.tables,
            &retail_ctx,
            exec,
        );
        government::charge_purchases(&mut self.governments, &mut self.national, &tally.purchases, policy);

        // 5. Dealers offer stock above the warning line or short of their quarter's target;
        //    exporters buy from both routes; quarterly target rebates.
        dealer::offer_all(&mut self.dealers, &self.automakers, &s.dealers, date.month);
        let e = &s.exporters;
        let trade_ctx = exporter::TradeContext {
            p: e,
            markets: &s.markets,
            policy,
            rebate_acceleration: s.governments.rebate_acceleration,
            p_ref: self.p_ref,
            at,
            split: s.automakers.powertrains == Powertrains::Split,
            dealers: &s.dealers,
        };
        let exports = exporter::trade(
            &mut self.exporters,
            &mut self.pipelines,
            &mut self.automakers,
            &mut self.dealers,
            &mut self.governments,
            &mut self.markets,
            &trade_ctx,
        );
        self.national.vat_rebates = exports.vat_rebates;
        dealer::settle_targets(&mut self.dealers, &mut self.automakers, &s.dealers, date.month);

        // 6. Official new-car exports.
        let new_car_exports = foreign_market::official_exports(
            &mut self.markets,
            &s.markets,
            &mut self.automakers,
            s.automakers.export_substitution,
            years,
            self.p_ref,
        );

        // 7. Foreign zero-mileage markets clear; backlash builds; traders learn their margins.
        let zero_mileage = foreign_market::clear_all(
            &mut self.markets,
            &s.markets,
            years,
            e.foreign_discount,
            e.reservation_share,
            exporter::carry_rate(e),
        );
        exporter::learn_margins(&mut self.exporters, &self.markets, e, exports.purchase_price);

        // 8. Accounting, payables, bailouts and exits, investment, brands; local budgets.
        let accounting_ctx = automaker::AccountingContext { p: &s.automakers, g: &s.governments, policy, at };
        let accounts = automaker::account(&mut self.automakers, &mut self.governments, &accounting_ctx);
        let dealer_accounts = dealer::account_all(&mut self.dealers, &self.automakers, &s.dealers);
        government::close_month(&mut self.governments, &self.automakers, &s.governments);
        self.national.close_month();
        let cash_after = self.automakers.iter().map(|a| a.cash).sum();
        self.ledger = Ledger::of_month(&plan, &accounts, cash_after);

        // 9. Metrics.
        let agents = metrics::Agents {
            firms: &self.automakers,
            governments: &self.governments,
            national: &self.national,
            traders: &self.exporters,
            markets: &self.markets,
            dealers: &self.dealers,
        };
        let results = metrics::MonthResults {
            tally: &tally,
            exports: &exports,
            new_car_exports,
            zero_mileage: &zero_mileage,
            accounts: &accounts,
            dealers: &dealer_accounts,
            price_index: self.price_index,
            list_index: self.list_index,
        };
        metrics::fill_row(&mut self.row, &agents, &results);
        self.t += 1;
        &self.row
    }
}

/// Re-bases every line on its initial demand (vehicles/month). Leaders run fuller than the
/// tail: u0 ∝ min + spread √(share / max share) by the group's share (both lines of a group
/// start at its utilisation), scaled so that total capacity is `initial_capacity`.
fn rebase_firms(automakers: &mut [Automaker], demand: &[f64], p: &crate::scenario::AutomakerParams) {
    let total: f64 = demand.iter().sum::<f64>().max(1e-9);
    let groups = automakers.last().map_or(0, |a| a.group + 1);
    let mut group_demand = vec![0.0; groups];
    for (a, d) in automakers.iter().zip(demand) {
        group_demand[a.group] += d;
    }
    let max_share = group_demand.iter().copied().fold(0.0, f64::max).max(1e-12) / total;
    let mut u0: Vec<f64> = automakers
        .iter()
        .map(|a| {
            p.initial_utilization_min
                + p.initial_utilization_spread * (group_demand[a.group] / total / max_share).sqrt()
        })
        .collect();
    let implied: f64 = demand.iter().zip(&u0).map(|(d, u)| d / u).sum();
    let f = implied / p.initial_capacity.max(1.0);
    u0.iter_mut().for_each(|u| *u = (*u * f).clamp(0.05, 0.95));
    for ((a, d), u) in automakers.iter_mut().zip(demand).zip(&u0) {
        automaker::set_initial_demand(a, *d, d / total, *u, p);
    }
}

/// The dealer networks at the start, one per line, on each line's expected monthly retail
/// `retail`; the factory keeps the rest of the channel's initial stock, so that the channel
/// (factory + dealers) starts at the automakers' buffer.
fn seat_dealers(automakers: &mut [Automaker], retail: &[f64], p: &crate::scenario::DealerParams) -> Vec<Dealer> {
    let dealers = dealer::init(automakers, retail, p);
    for (a, d) in automakers.iter_mut().zip(&dealers) {
        a.inventory = (a.inventory - d.stock).max(0.0);
    }
    dealers
}

/// Initial demand-weighted mean list and transaction prices, and the export price computed as
/// every month ([`export_split`]).
fn reference_prices(automakers: &[Automaker], sigma: f64) -> (f64, f64, f64) {
    let dem: f64 = automakers.iter().map(|a| a.demand_exp).sum::<f64>().max(1e-9);
    let list_mean = automakers.iter().map(|a| a.list_price * a.demand_exp).sum::<f64>() / dem;
    let p_ref = automakers.iter().map(|a| a.transaction_price() * a.demand_exp).sum::<f64>() / dem;
    (list_mean, p_ref, export_split(automakers, sigma).map_or(p_ref, |(index, _)| index))
}

/// Local targets' bases and smoothed performance start at the region's initial demand; the
/// budget at `budget_initial_months` of income.
fn base_governments(governments: &mut [Government], automakers: &[Automaker], p: &crate::scenario::GovernmentParams) {
    for (gi, g) in governments.iter_mut().enumerate() {
        let local: f64 = automakers.iter().filter(|a| a.region == gi).map(|a| a.demand_exp).sum();
        let revenue: f64 =
            automakers.iter().filter(|a| a.region == gi).map(|a| a.demand_exp * a.transaction_price()).sum();
        g.sales_base = local;
        g.output_base = local;
        g.sales_ema = local;
        g.output_ema = local;
        let income = p.tax_share * revenue + p.land_revenue * g.weight;
        g.budget = p.budget_initial_months * income;
    }
}
