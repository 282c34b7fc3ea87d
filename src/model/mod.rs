//! One simulated world and its monthly step. Pure: no I/O, no threads, no clock; all
//! randomness comes from streams derived from the replicate key (see [`rng`]).
//!
//! Process order within a month (documented in ARCHITECTURE.md and docs/model.md):
//!
//! 1. policy calendar and foreign schedules;
//! 2. local governments;
//! 3. automakers plan (costs, expectations, production, prices, rebates);
//! 4. domestic market (households choose, stock is rationed);
//! 5. exporters enter/exit, buy and register, hold and ship;
//! 6. official exports;
//! 7. foreign zero-mileage markets clear, backlash;
//! 8. accounting, bailouts and exits, investment, brands;
//! 9. metrics.

pub mod automaker;
pub mod consumer;
pub mod exporter;
pub mod foreign_market;
pub mod government;
pub mod metrics;
pub mod rng;

use crate::scenario::{EventKind, PolicyParams, Scenario, YearMonth};
use automaker::{Automaker, Ownership};
use consumer::{ChoiceTables, Consumers, MarketSignals, Offer};
use exporter::{Exporter, Pipeline};
use foreign_market::{ForeignMarket, Lot};
use government::Government;
use metrics::{idx, MetricSet};
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
    /// Zero-mileage traders.
    pub exporters: Vec<Exporter>,
    /// Household agents.
    pub consumers: Consumers,
    /// Foreign markets, in scenario order.
    pub markets: Vec<ForeignMarket>,
    /// Zero-mileage cars held before export, per destination.
    pub pipelines: Vec<Pipeline>,
    /// Flows of the last month.
    pub ledger: Ledger,
    metric_set: MetricSet,
    row: Vec<f64>,
    tables: ChoiceTables,
    hazard: Vec<f32>,
    p_ref: f64,
    price_index: f64,
    pi: [f64; 2],
    fitness: [f64; 2],
    forecasts: [f64; 2],
    trend_probability: f64,
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
        // Initial demand follows the households' own logit shares at initial prices (mean over
        // the sensitivity classes), so the first months start near balance.
        let tx_mean = automakers.iter().map(|a| a.transaction_price()).sum::<f64>() / automakers.len().max(1) as f64;
        let mut shares = vec![0.0; automakers.len()];
        let c = &s.consumers;
        for z in consumer::CLASS_Z {
            let alpha = c.price_sensitivity * (c.sensitivity_spread * z).exp();
            let u: Vec<f64> =
                automakers.iter().map(|a| a.appeal(c) - alpha * a.transaction_price() / tx_mean).collect();
            let max_u = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = u.iter().map(|x| (x - max_u).exp()).sum();
            for (sh, x) in shares.iter_mut().zip(&u) {
                *sh += (x - max_u).exp() / total / consumer::CLASSES as f64;
            }
        }
        let demand: Vec<f64> = shares.iter().map(|sh| s.automakers.initial_demand * sh).collect();
        rebase_firms(&mut automakers, &demand, &s.automakers);
        let consumers = Consumers::new(&s.consumers, &weights, key);
        let mut re = rng::stream(key, purpose::INIT_EXPORTERS, 0, 0);
        let exporters = exporter::init(&s.exporters, &weights, s.markets.len(), &mut re);

        let (list_mean0, p_ref, export_price0) = reference_prices(&automakers, s.automakers.export_substitution);
        let markets = s
            .markets
            .iter()
            .map(|m| ForeignMarket::new(m, list_mean0, export_price0, s.exporters.foreign_discount))
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
            exporters,
            consumers,
            markets,
            pipelines,
            ledger: Ledger::default(),
            metric_set,
            row: vec![0.0; width],
            tables: ChoiceTables::default(),
            hazard: consumer::hazard_table(&s.consumers),
            p_ref,
            price_index: 100.0,
            pi: [0.0; 2],
            fitness: [0.0; 2],
            forecasts: [0.0; 2],
            trend_probability: s.consumers.initial_trend_share,
        }
    }

    /// Names and kinds of the metrics [`World::step`] reports.
    pub fn metric_set(&self) -> &MetricSet {
        &self.metric_set
    }

    /// Months simulated so far.
    pub fn months_done(&self) -> usize {
        self.t
    }

    /// The scenario this world runs.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Phase 1: national policy in force in `date` (later events win) and each foreign market's
    /// schedule (duty, fee, demand shift).
    fn calendar(&mut self, date: YearMonth) {
        let s = &self.scenario;
        let mut policy = s.policy.clone();
        for e in s.events.iter().filter(|e| e.active(date)) {
            e.apply_policy(&mut policy);
        }
        for (k, (m, mp)) in self.markets.iter_mut().zip(&s.markets).enumerate() {
            m.scheduled_tariff = mp.tariff;
            m.fee = mp.fee;
            m.shift = 1.0;
            for e in s.events.iter().filter(|e| e.active(date)) {
                match &e.kind {
                    EventKind::Tariff(t) if t.market == s.markets[k].id => {
                        m.scheduled_tariff = t.ad_valorem;
                        m.fee = t.fee;
                    }
                    EventKind::ForeignDemandShift(d) if d.market == s.markets[k].id => m.shift *= d.factor,
                    _ => {}
                }
            }
        }
        self.policy = policy;
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
        let offers = offers(&self.automakers, &self.policy, c, |a| a.active);
        consumer::build_tables(c, &offers, self.governments.len(), self.p_ref, &mut self.tables);
        let signals = MarketSignals {
            pi_last: 0.0,
            pi_prev: 0.0,
            trend_probability: self.trend_probability,
            valuation_mean: c.valuation_ratio * self.p_ref,
            hazard: &self.hazard,
            trade_in_min_age: self.policy.trade_in_min_age_months,
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
    /// executor); the result is identical for every executor.
    pub fn step_with(&mut self, exec: &dyn consumer::Executor) -> &[f64] {
        let date = self.scenario.start.offset(self.t as i64);
        self.date = date;
        // 1. Policy calendar (later events win) and foreign schedules.
        self.calendar(date);
        if self.t == 0 {
            self.begin(exec);
        }
        let s = &self.scenario;
        let years = self.t as f64 / 12.0;
        let month = self.t as u64;
        for e in s.events.iter().filter(|e| e.enabled && e.date == date) {
            if let EventKind::CapacityConsolidation(c) = &e.kind {
                for a in self.automakers.iter_mut().filter(|a| a.active) {
                    if a.utilization_ema < c.utilization_threshold {
                        let needed = a.demand_exp / s.automakers.target_utilization;
                        a.capacity -= c.retire_share * (a.capacity - needed).max(0.0);
                    }
                }
            }
        }
        let policy = &self.policy;

        // 2. Local governments.
        government::update(&mut self.governments, &s.governments, policy, years, self.t);
        let support: Vec<f64> = self.governments.iter().map(|g| g.support).collect();

        // 3. Automakers plan.
        let mut ranked: Vec<usize> = (0..self.automakers.len()).filter(|&i| self.automakers[i].active).collect();
        ranked.sort_by(|&a, &b| {
            self.automakers[b].total_sales().total_cmp(&self.automakers[a].total_sales()).then(a.cmp(&b))
        });
        // Each firm watches the three best sellers other than itself.
        let top: Vec<(usize, f64)> = ranked.iter().take(4).map(|&i| (i, self.automakers[i].last_cut)).collect();
        let rival_cut = |i: usize| top.iter().filter(|(j, _)| *j != i).take(3).map(|(_, c)| *c).fold(0.0, f64::max);
        let rival_cuts: Vec<f64> = (0..self.automakers.len()).map(rival_cut).collect();
        let tx_prev: Vec<f64> = self.automakers.iter().map(|a| a.transaction_price()).collect();
        let regular_prev: Vec<f64> = self.automakers.iter().map(|a| a.regular_price()).collect();
        let weights_prev: Vec<f64> = self.automakers.iter().map(|a| a.retail_sales).collect();
        let ctx = automaker::PlanContext {
            p: &s.automakers,
            policy,
            years,
            calendar_month: date.month,
            target_growth: s.governments.target_growth,
            support: &support,
            rebate_max: s.exporters.rebate_max,
        };
        let mut ledger = Ledger { cash_before: self.automakers.iter().map(|a| a.cash).sum(), ..Ledger::default() };
        for (i, a) in self.automakers.iter_mut().enumerate() {
            a.retail_sales = 0.0;
            a.zero_mileage_sales = 0.0;
            a.export_sales = 0.0;
            a.revenue = 0.0;
            a.orders = 0.0;
            if !a.active {
                a.production = 0.0;
                a.capacity_month = 0.0;
                continue;
            }
            let mut r = rng::stream(self.key, purpose::AUTOMAKERS, month, i as u64);
            automaker::plan(a, &ctx, rival_cuts[i], &mut r);
            ledger.production_cost += a.cost * a.production;
        }
        ledger.available = self.automakers.iter().filter(|a| a.active).map(|a| a.inventory).sum();

        // Price changes, chained on last month's retail weights: the transaction price index
        // (reported), and the regular price change households extrapolate — they recognise the
        // year-end push as a deal that expires, so it pulls purchases forward instead of
        // signalling a trend.
        let (mut num, mut den, mut num_r, mut den_r) = (0.0, 0.0, 0.0, 0.0);
        for (i, a) in self.automakers.iter().enumerate() {
            if a.active && weights_prev[i] > 0.0 {
                num += weights_prev[i] * a.transaction_price();
                den += weights_prev[i] * tx_prev[i];
                num_r += weights_prev[i] * a.regular_price();
                den_r += weights_prev[i] * regular_prev[i];
            }
        }
        let pi_tx = if den > 0.0 { num / den - 1.0 } else { 0.0 };
        self.price_index *= 1.0 + pi_tx;
        let pi_now = if den_r > 0.0 { num_r / den_r - 1.0 } else { 0.0 };
        // Heuristic fitness (errors in percentage points) and the trend-rule probability.
        let c = &s.consumers;
        for h in 0..2 {
            let e = 100.0 * (pi_now - self.forecasts[h]);
            self.fitness[h] = c.error_memory * self.fitness[h] + (1.0 - c.error_memory) * e * e;
        }
        let x = (c.switching_intensity * (self.fitness[1] - self.fitness[0])).clamp(-50.0, 50.0);
        self.trend_probability = 1.0 / (1.0 + x.exp());
        self.pi = [pi_now, self.pi[0]];
        self.forecasts[0] += c.adaptive_weight * (pi_now - self.forecasts[0]);
        self.forecasts[1] = pi_now + c.trend_strength * (pi_now - self.pi[1]);

        // 4. Domestic market.
        let scale = c.households_per_agent;
        let offers = offers(&self.automakers, policy, c, |a| a.active && a.inventory >= scale.min(1.0));
        consumer::build_tables(c, &offers, self.governments.len(), self.p_ref, &mut self.tables);
        let signals = MarketSignals {
            pi_last: self.pi[0],
            pi_prev: self.pi[1],
            trend_probability: self.trend_probability,
            valuation_mean: c.valuation_ratio * self.p_ref * (1.0 + c.income_growth).powf(years),
            hazard: &self.hazard,
            trade_in_min_age: policy.trade_in_min_age_months,
            entry_factor: s
                .events
                .iter()
                .filter(|e| e.active(date))
                .map(|e| if let EventKind::DomesticDemandShift(d) = &e.kind { d.factor } else { 1.0 })
                .product(),
        };
        let tally = consumer::decide_all(c, &signals, &self.tables, &mut self.consumers, self.key, month, exec);
        let fill: Vec<f64> = self
            .automakers
            .iter_mut()
            .zip(&tally.demand)
            .map(|(a, &d)| {
                let want = d as f64 * scale;
                a.orders += want;
                if want <= a.inventory {
                    1.0
                } else {
                    a.inventory / want
                }
            })
            .collect();
        let served = consumer::settle(&mut self.consumers, &fill, self.key, month, exec);
        for (a, &n) in self.automakers.iter_mut().zip(&served) {
            let sold = (n as f64 * scale).min(a.inventory);
            a.retail_sales = sold;
            a.inventory -= sold;
            a.revenue += sold * a.transaction_price();
        }

        // 5. Exporters.
        let e = &s.exporters;
        let weights: Vec<f64> =
            self.automakers
                .iter()
                .map(|a| {
                    if a.active && a.inventory > 0.0 {
                        a.inventory * (e.rebate_attraction * a.rebate).exp()
                    } else {
                        0.0
                    }
                })
                .collect();
        let wsum: f64 = weights.iter().sum();
        let (p_buy, ev_buy) = if wsum > 0.0 {
            let pb = self.automakers.iter().zip(&weights).map(|(a, w)| w * a.exporter_price()).sum::<f64>() / wsum;
            let ev = self.automakers.iter().zip(&weights).map(|(a, w)| w * a.ev_share).sum::<f64>() / wsum;
            (pb, ev)
        } else {
            (self.p_ref, 0.0)
        };
        let early = policy.documentation_months > policy.min_holding_months;
        let hold = if early {
            policy.confirmation_rate * policy.min_holding_months as f64
                + (1.0 - policy.confirmation_rate) * policy.documentation_months as f64
        } else {
            policy.min_holding_months as f64
        } + e.transit_months as f64;
        let carry = e.financing_rate / 12.0 + e.depreciation;
        let reg =
            e.registration_cost + p_buy * (e.ice_purchase_tax * (1.0 - ev_buy) + policy.nev_purchase_tax * ev_buy);
        let vat = e.export_vat_rebate * p_buy * (1.0 - e.rebate_delay_cost);
        let doc = if early { policy.confirmation_rate * policy.documentation_cost } else { 0.0 };
        let margins: Vec<f64> = self
            .markets
            .iter()
            .zip(&s.markets)
            .map(|(m, mp)| {
                let cost = p_buy * (1.0 + carry * hold + mp.shipping_share + m.tariff()) + reg + m.fee + doc - vat;
                (m.zm_price - cost) / p_buy
            })
            .collect();
        let licensed: Vec<bool> = self.governments.iter().map(|g| (g.rank as u32) < policy.licensed_regions).collect();
        let participating: Vec<bool> = self.governments.iter().map(|g| g.participating).collect();
        let mut rx = rng::stream(self.key, purpose::EXPORTERS, month, 0);
        exporter::adjust_population(&mut self.exporters, e, &margins, &licensed, &participating, &mut rx);
        let wanted = exporter::desired(&mut self.exporters, e, &margins).min(policy.zero_mileage_quota);
        let wanted_raw: f64 = self.exporters.iter().map(|t| t.bought).sum();
        let mut bought_total = 0.0;
        let mut ev_total = 0.0;
        let mut value_total = 0.0;
        if wsum > 0.0 && wanted > 0.0 {
            for (a, w) in self.automakers.iter_mut().zip(&weights) {
                a.orders += wanted * w / wsum;
                let z = (wanted * w / wsum).min(a.inventory);
                a.zero_mileage_sales = z;
                a.inventory -= z;
                a.revenue += z * a.exporter_price();
                bought_total += z;
                ev_total += z * a.ev_share;
                value_total += z * a.exporter_price();
            }
        }
        let fill_x = if wanted_raw > 0.0 { bought_total / wanted_raw } else { 0.0 };
        let (p_avg, ev_share_buy) =
            if bought_total > 0.0 { (value_total / bought_total, ev_total / bought_total) } else { (p_buy, 0.0) };
        let reg_avg = e.registration_cost
            + p_avg * (e.ice_purchase_tax * (1.0 - ev_share_buy) + policy.nev_purchase_tax * ev_share_buy);
        for t in self.exporters.iter_mut() {
            t.bought *= fill_x;
            if t.bought <= 0.0 {
                continue;
            }
            let g = &mut self.governments[t.region];
            let accel = if g.participating { s.governments.rebate_acceleration } else { 0.0 };
            let vat_t = e.export_vat_rebate * p_avg * (1.0 - e.rebate_delay_cost * (1.0 - accel));
            let support_t = g.export_rate;
            g.spend += support_t * t.bought;
            g.spend_export += support_t * t.bought;
            let pl = &mut self.pipelines[t.destination];
            pl.qty[0] += t.bought;
            pl.cost[0] += t.bought * (p_avg + reg_avg - vat_t - support_t);
            pl.ev[0] += t.bought * ev_share_buy;
            pl.value[0] += t.bought * p_avg;
        }
        // Ship what may leave: after the minimum holding; within the documentation window only
        // the confirmed share, paying for the confirmation.
        let mut shipped_total = 0.0;
        let mut shipped_ev = 0.0;
        for (k, pl) in self.pipelines.iter_mut().enumerate() {
            let mp = &s.markets[k];
            let m = &mut self.markets[k];
            m.zm_shipped = 0.0;
            let mut out = Lot::default();
            for age in 0..exporter::MAX_AGE {
                if pl.qty[age] <= 0.0 {
                    continue;
                }
                let share = if age < policy.min_holding_months as usize && age + 1 < exporter::MAX_AGE {
                    0.0
                } else if age < policy.documentation_months as usize && age + 1 < exporter::MAX_AGE {
                    policy.confirmation_rate
                } else {
                    1.0
                };
                if share <= 0.0 {
                    continue;
                }
                let q = pl.qty[age] * share;
                let value = pl.value[age] * share;
                let docs = if age < policy.documentation_months as usize { policy.documentation_cost * q } else { 0.0 };
                let lot = Lot {
                    qty: q,
                    cost: pl.cost[age] * share + value * (mp.shipping_share + m.tariff()) + m.fee * q + docs,
                    ev: pl.ev[age] * share,
                };
                pl.qty[age] -= q;
                pl.cost[age] -= pl.cost[age] * share;
                pl.ev[age] -= pl.ev[age] * share;
                pl.value[age] -= value;
                out.add(&lot);
            }
            m.zm_shipped = out.qty;
            shipped_total += out.qty;
            shipped_ev += out.ev;
            let slot = (e.transit_months as usize).min(m.transit.len() - 1);
            m.transit[slot].add(&out);
            // Age the cars still held; holding costs accrue on purchase value.
            for age in (0..exporter::MAX_AGE).rev() {
                pl.cost[age] += pl.value[age] * carry;
                if age + 1 < exporter::MAX_AGE {
                    let (q, c0, ev, v) = (pl.qty[age], pl.cost[age], pl.ev[age], pl.value[age]);
                    pl.qty[age + 1] += q;
                    pl.cost[age + 1] += c0;
                    pl.ev[age + 1] += ev;
                    pl.value[age + 1] += v;
                    pl.qty[age] = 0.0;
                    pl.cost[age] = 0.0;
                    pl.ev[age] = 0.0;
                    pl.value[age] = 0.0;
                }
            }
        }

        // 6. Official new-car exports.
        let split = export_split(&self.automakers, s.automakers.export_substitution);
        let export_price = split.as_ref().map_or(self.p_ref, |(index, _)| *index);
        let demand_k: Vec<f64> =
            self.markets.iter().zip(&s.markets).map(|(m, mp)| m.new_car_demand(mp, years, export_price)).collect();
        let demand_total: f64 = demand_k.iter().sum();
        let mut exported = 0.0;
        if let Some((_, shares)) = split.filter(|_| demand_total > 0.0) {
            for (a, share) in self.automakers.iter_mut().zip(shares).filter(|(a, _)| a.active) {
                let ordered = demand_total * share;
                a.orders += ordered;
                let x = ordered.min(a.inventory);
                a.export_sales = x;
                a.inventory -= x;
                a.revenue += x * a.transaction_price();
                exported += x;
            }
        }
        let export_fill = if demand_total > 0.0 { exported / demand_total } else { 0.0 };
        for (m, d) in self.markets.iter_mut().zip(&demand_k) {
            m.new_exports = d * export_fill;
        }

        // 7. Foreign zero-mileage markets clear; backlash builds.
        let mut zm_sold = 0.0;
        let mut zm_margin = 0.0;
        for (m, mp) in self.markets.iter_mut().zip(&s.markets) {
            // Unsold stock abroad keeps costing finance and depreciation.
            m.stock.cost *= 1.0 + carry;
            m.clear_zero_mileage(mp, years, e.foreign_discount, e.reservation_share);
            zm_sold += m.zm_sold;
            zm_margin += m.zm_margin;
            m.update_backlash(mp);
        }
        for t in self.exporters.iter_mut().filter(|t| t.active) {
            let m = &self.markets[t.destination];
            if m.zm_sold > 0.0 {
                let share = m.zm_margin / m.zm_sold / p_avg.max(1.0);
                t.margin_ema = e.margin_memory * t.margin_ema + (1.0 - e.margin_memory) * share;
            }
        }

        // 8. Accounting, payables, bailouts and exits, investment, brands.
        let a_p = &s.automakers;
        let g_p = &s.governments;
        let total_sales: f64 = self.automakers.iter().map(|a| a.total_sales()).sum::<f64>().max(1e-9);
        let quarter_start = date.month % 3 == 1;
        let (mut exits, mut bailouts) = (0u32, 0u32);
        let mut exited: Vec<usize> = Vec::new();
        for (i, a) in self.automakers.iter_mut().enumerate() {
            if !a.active {
                continue;
            }
            let g = &mut self.governments[a.region];
            let subsidy = g.production_rate * a.production;
            g.spend += subsidy;
            g.spend_production += subsidy;
            let fixed = a.fixed_cost(a_p);
            let interest = (-a.cash).max(0.0) * a_p.interest_rate / 12.0;
            // Payables: stretched while cash is short, capped by policy.
            if a.cash < 0.0 {
                a.payment_days = (a.payment_days + a_p.payment_stretch_days).min(a_p.payment_days_max);
            }
            // A cap is phased in: terms shorten by at most the same step per month.
            if a.payment_days > policy.payment_days_cap {
                a.payment_days = (a.payment_days - a_p.payment_stretch_days).max(policy.payment_days_cap);
            }
            // Payables are a stock: this month's purchases are added, and the outstanding
            // balance is settled at the rate 30 / payment days (a PD-day average term).
            let purchases = a.cost * a.production;
            let payments = a.payables * (30.0 / a.payment_days.max(1.0)).min(1.0);
            let d_payables = purchases - payments;
            a.payables += d_payables;
            let sold = a.total_sales();
            a.cash += a.revenue + subsidy - a.cost * a.production - fixed - interest + d_payables;
            a.profit = a.revenue + subsidy - a.cost * sold - fixed - interest;
            ledger.revenue += a.revenue;
            ledger.production_subsidy += subsidy;
            ledger.payables_change += d_payables;
            ledger.fixed_cost += fixed;
            ledger.interest += interest;
            ledger.sold += sold;
            a.ytd_reported += a.retail_sales + a.zero_mileage_sales;

            // Utilisation, share, brand.
            let u = a.production / a.capacity.max(1e-9);
            a.utilization_ema += (u - a.utilization_ema) / 12.0;
            a.low_util_months = if u < a_p.closure_utilization { a.low_util_months + 1 } else { 0 };
            let share = sold / total_sales;
            a.share_hist = [share, a.share_hist[0]];
            a.low_share_months = if share < a_p.min_share { a.low_share_months + 1 } else { 0 };
            let zm_share = if sold > 0.0 { a.zero_mileage_sales / sold } else { 0.0 };
            a.brand += a_p.brand_recovery * (a.brand_base - a.brand)
                - a_p.brand_cut_erosion * a.last_cut
                - a_p.brand_zero_mileage_erosion * zm_share;
            a.zm_last = a.zero_mileage_sales;
            a.sales_last = sold;
            a.orders_last = a.orders;

            // Quarterly capacity decisions: lagged investment toward K* = planned / u*; closure
            // of long-idle capacity unless protected.
            if quarter_start {
                let target = a.target_base * (1.0 + g_p.target_growth).powf(years);
                let push = a_p.target_push * a.push_factor(a_p) * g.support;
                let planned = a.demand_exp + push * (target - a.demand_exp).max(0.0);
                let k_star = planned / a_p.target_utilization;
                let on_order: f64 = a.pipeline.iter().sum();
                if k_star > a.capacity + on_order && a.cash > 0.0 && !a.pipeline.is_empty() {
                    let order = a_p.investment_rate * (k_star - a.capacity - on_order);
                    let cost = order * a_p.capacity_unit_cost;
                    let gov_share = g_p.capital_subsidy_share * g.support * if g.budget > 0.0 { 1.0 } else { 0.0 };
                    g.spend += gov_share * cost;
                    a.cash -= (1.0 - gov_share) * cost;
                    ledger.investment += (1.0 - gov_share) * cost;
                    if let Some(last) = a.pipeline.last_mut() {
                        *last += order;
                    }
                }
                // Politically driven capacity (I_pol): local support funds extra lines.
                let extra = a_p.political_investment * a.push_factor(a_p) * g.support * a.capacity;
                if let Some(last) = a.pipeline.last_mut() {
                    let cost = extra * a_p.capacity_unit_cost;
                    let gov_share = g_p.capital_subsidy_share * g.support * if g.budget > 0.0 { 1.0 } else { 0.0 };
                    *last += extra;
                    g.spend += gov_share * cost;
                    a.cash -= (1.0 - gov_share) * cost;
                    ledger.investment += (1.0 - gov_share) * cost;
                }
                let protected = a.ownership == Ownership::State && g.support > g_p.participation_threshold;
                if a.low_util_months >= a_p.closure_months && !protected {
                    a.capacity -= a_p.closure_rate * (a.capacity - k_star).max(0.0);
                }
            }

            // Distress: bailout by the home government, or exit.
            let distressed = a.cash < -a_p.distress_months * fixed || a.low_share_months >= a_p.min_share_months;
            if distressed {
                let amount = (a_p.bailout_cover_months * fixed - a.cash).max(0.0);
                // Too big to fail: a group with a large market share is rescued whenever its
                // government has any money; smaller ones by ownership-weighted chance within
                // the bailout envelope.
                let big = share >= a_p.too_big_to_fail_share;
                let affordable = if big { g.budget > 0.0 } else { g.budget * g_p.weight_bailout >= amount };
                let prob = if policy.hard_budget {
                    0.0
                } else if big {
                    1.0
                } else {
                    a_p.bailout_probability * a.softness(a_p)
                };
                let draw = rng::hashed_uniform(self.key, purpose::AUTOMAKERS, month, (1 << 32) | i as u64);
                if affordable && draw < prob {
                    a.cash += amount;
                    g.spend += amount;
                    ledger.bailouts += amount;
                    a.low_share_months = 0;
                    bailouts += 1;
                } else {
                    a.active = false;
                    ledger.written_off += a.inventory;
                    a.inventory = 0.0;
                    exits += 1;
                    exited.push(i);
                }
            }
        }
        // Takeover (phi_M): the best-capitalised surviving group takes over a share of an exiting
        // group's plants, demand and local target; the rest of its capacity is scrapped.
        for &i in &exited {
            let acquirer = (0..self.automakers.len())
                .filter(|&j| self.automakers[j].active)
                .max_by(|&x, &y| self.automakers[x].cash.total_cmp(&self.automakers[y].cash).then(y.cmp(&x)));
            let gone = &mut self.automakers[i];
            let phi = a_p.takeover_share;
            let taken = (phi * gone.capacity, phi * gone.demand_exp, phi * gone.target_base, phi * gone.orders_last);
            gone.capacity = 0.0;
            gone.pipeline.iter_mut().for_each(|x| *x = 0.0);
            if let Some(j) = acquirer {
                let b = &mut self.automakers[j];
                b.capacity += taken.0;
                b.demand_exp += taken.1;
                b.target_base += taken.2;
                b.orders_last += taken.3;
            }
        }
        // Budgets and smoothed local performance.
        let mut local_revenue = vec![0.0; self.governments.len()];
        let mut local_sales = vec![0.0; self.governments.len()];
        let mut local_output = vec![0.0; self.governments.len()];
        for a in &self.automakers {
            local_revenue[a.region] += a.revenue;
            local_sales[a.region] += a.retail_sales + a.zero_mileage_sales;
            local_output[a.region] += a.production;
        }
        for (gi, g) in self.governments.iter_mut().enumerate() {
            g.budget += g_p.tax_share * local_revenue[gi] + g_p.land_revenue * g.weight - g.spend;
            g.sales_ema += (local_sales[gi] - g.sales_ema) / 3.0;
            g.output_ema += (local_output[gi] - g.output_ema) / 3.0;
        }
        ledger.cash_after = self.automakers.iter().map(|a| a.cash).sum();
        self.ledger = ledger;

        // 9. Metrics.
        let row = &mut self.row;
        row.iter_mut().for_each(|x| *x = 0.0);
        let active: Vec<&Automaker> = self.automakers.iter().filter(|a| a.active).collect();
        let production: f64 = self.automakers.iter().map(|a| a.production).sum();
        // Capacity this month of every firm that produced in it (exits at month end included),
        // so that utilisation compares like with like.
        let capacity: f64 =
            self.automakers.iter().filter(|a| a.active || a.production > 0.0).map(|a| a.capacity_month).sum();
        let retail: f64 = self.automakers.iter().map(|a| a.retail_sales).sum();
        let zm_reg: f64 = self.automakers.iter().map(|a| a.zero_mileage_sales).sum();
        let (mut wl, mut wt, mut w) = (0.0, 0.0, 0.0);
        for a in &self.automakers {
            if a.retail_sales > 0.0 {
                wl += a.retail_sales * a.list_price;
                wt += a.retail_sales * a.transaction_price();
                w += a.retail_sales;
            }
        }
        if w <= 0.0 {
            for a in &active {
                wl += a.list_price;
                wt += a.transaction_price();
                w += 1.0;
            }
        }
        let n_active = active.len() as f64;
        let revenue: f64 = self.automakers.iter().map(|a| a.revenue).sum();
        let profit: f64 = self.automakers.iter().filter(|a| a.revenue != 0.0 || a.active).map(|a| a.profit).sum();
        row[idx::PRODUCTION] = production;
        row[idx::CAPACITY] = capacity;
        row[idx::UTILIZATION] = if capacity > 0.0 { production / capacity } else { 0.0 };
        row[idx::DOMESTIC_RETAIL_SALES] = retail;
        row[idx::ZERO_MILEAGE_EXPORTS] = shipped_total;
        row[idx::NEW_CAR_EXPORTS] = exported;
        row[idx::REPORTED_DOMESTIC_SALES] = retail + zm_reg;
        row[idx::INVENTORY] = active.iter().map(|a| a.inventory).sum();
        row[idx::AVG_LIST_PRICE] = if w > 0.0 { wl / w } else { 0.0 };
        row[idx::AVG_TRANSACTION_PRICE] = if w > 0.0 { wt / w } else { 0.0 };
        row[idx::PRICE_INDEX] = self.price_index;
        row[idx::AVG_DISCOUNT] = if wl > 0.0 { 1.0 - wt / wl } else { 0.0 };
        row[idx::SHARE_CUTTING_PRICE] = if n_active > 0.0 {
            active.iter().filter(|a| a.list_price < a.list_prev).count() as f64 / n_active
        } else {
            0.0
        };
        row[idx::ACTIVE_AUTOMAKERS] = n_active;
        row[idx::EXITS] = exits as f64;
        row[idx::BAILOUTS] = bailouts as f64;
        row[idx::INDUSTRY_PROFIT_MARGIN] = if revenue > 0.0 { profit / revenue } else { 0.0 };
        row[idx::LOCAL_SUBSIDY_SPEND] = self.governments.iter().map(|g| g.spend).sum();
        row[idx::PARTICIPATING_GOVERNMENTS] = self.governments.iter().filter(|g| g.participating).count() as f64;
        row[idx::ACTIVE_EXPORTERS] = self.exporters.iter().filter(|t| t.active).count() as f64;
        row[idx::EXPORTER_MARGIN] = if zm_sold > 0.0 { zm_margin / zm_sold } else { 0.0 };
        let in_market = tally.in_market as f64;
        row[idx::CONSUMERS_WAITING_SHARE] = if in_market > 0.0 { tally.waiting as f64 / in_market } else { 0.0 };
        row[idx::EXPECTED_PRICE_CHANGE] = if in_market > 0.0 { tally.expectation_sum / in_market } else { 0.0 };
        row[idx::ZERO_MILEAGE_EV_SHARE] = if shipped_total > 0.0 { shipped_ev / shipped_total } else { 0.0 };
        for (k, m) in self.markets.iter().enumerate() {
            row[idx::FIRST_MARKET + k] = m.new_exports + m.zm_shipped;
        }
        self.t += 1;
        &self.row
    }
}

/// Re-bases every firm on its initial demand (vehicles/month). Leaders run fuller than the tail:
/// u0 ∝ min + spread √(share / max share), scaled so that total capacity is `initial_capacity`.
fn rebase_firms(automakers: &mut [Automaker], demand: &[f64], p: &crate::scenario::AutomakerParams) {
    let total: f64 = demand.iter().sum::<f64>().max(1e-9);
    let max_share = demand.iter().copied().fold(0.0, f64::max).max(1e-12) / total;
    let mut u0: Vec<f64> = demand
        .iter()
        .map(|d| p.initial_utilization_min + p.initial_utilization_spread * (d / total / max_share).sqrt())
        .collect();
    let implied: f64 = demand.iter().zip(&u0).map(|(d, u)| d / u).sum();
    let f = implied / p.initial_capacity.max(1.0);
    u0.iter_mut().for_each(|u| *u = (*u * f).clamp(0.05, 0.95));
    for ((a, d), u) in automakers.iter_mut().zip(demand).zip(&u0) {
        automaker::set_initial_demand(a, *d, d / total, *u, p);
    }
}

/// Initial demand-weighted mean list and transaction prices, and the export price computed as
/// every month ([`export_split`]).
fn reference_prices(automakers: &[Automaker], sigma: f64) -> (f64, f64, f64) {
    let dem: f64 = automakers.iter().map(|a| a.demand_exp).sum::<f64>().max(1e-9);
    let list_mean = automakers.iter().map(|a| a.list_price * a.demand_exp).sum::<f64>() / dem;
    let p_ref = automakers.iter().map(|a| a.transaction_price() * a.demand_exp).sum::<f64>() / dem;
    (list_mean, p_ref, export_split(automakers, sigma).map_or(p_ref, |(index, _)| index))
}

/// Foreign buyers' choice among Chinese groups for official exports (phase 6, docs/model.md
/// §7.6): CES over active firms with weights w_i = capacity × export orientation and
/// substitution elasticity `sigma`. Returns the price index the foreign demand responds to,
/// P = p̄ (Σ w_i r_i^(1−σ) / Σ w_i)^(1/(1−σ)), and each firm's share of orders,
/// w_i r_i^(−σ) / Σ w_j r_j^(−σ) (0 for inactive firms), where r_i = p_i / p̄ is the transaction
/// price relative to the w-weighted mean p̄. σ = 0 splits by weight at the mean price. `None`
/// without such capacity.
fn export_split(automakers: &[Automaker], sigma: f64) -> Option<(f64, Vec<f64>)> {
    let weights: Vec<f64> =
        automakers.iter().map(|a| if a.active { a.capacity * a.export_orientation } else { 0.0 }).collect();
    let w_sum: f64 = weights.iter().sum();
    if w_sum <= 0.0 {
        return None;
    }
    let mean = automakers.iter().zip(&weights).map(|(a, w)| w * a.transaction_price()).sum::<f64>() / w_sum;
    if mean <= 0.0 {
        return None;
    }
    // Relative prices, floored so that a zero price (a 100 % discount) gives a finite pull, not
    // inf or NaN.
    let rel: Vec<f64> = automakers.iter().map(|a| (a.transaction_price() / mean).max(1e-6)).collect();
    let pulls: Vec<f64> = weights.iter().zip(&rel).map(|(w, r)| w * r.powf(-sigma)).collect();
    let pull_sum: f64 = pulls.iter().sum();
    // Near σ = 1 the exponent 1/(1 − σ) would magnify rounding in the mean: use the limit.
    let index = if (sigma - 1.0).abs() < 1e-6 {
        let log_mean =
            weights.iter().zip(&rel).filter(|(w, _)| **w > 0.0).map(|(w, r)| w * r.ln()).sum::<f64>() / w_sum;
        mean * log_mean.exp()
    } else {
        // Σ w r^(1−σ) = Σ pull_i r_i.
        let m: f64 = pulls.iter().zip(&rel).map(|(q, r)| q * r).sum::<f64>() / w_sum;
        mean * m.powf(1.0 / (1.0 - sigma))
    };
    Some((index, pulls.iter().map(|q| q / pull_sum).collect()))
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

/// What households see of each brand this month (docs/model.md §7.3): prices after national
/// subsidies, taxes and the trade-in subsidy, appeal and visible zero-mileage share;
/// `available` says which can be bought.
fn offers(
    automakers: &[Automaker],
    policy: &PolicyParams,
    c: &crate::scenario::ConsumerParams,
    available: impl Fn(&Automaker) -> bool,
) -> Vec<Offer> {
    automakers
        .iter()
        .map(|a| {
            let tx = a.transaction_price();
            let price = tx * (1.0 + policy.nev_purchase_tax * a.ev_share) - policy.nev_purchase_subsidy * a.ev_share;
            let trade_in = if policy.trade_in_price_share > 0.0 {
                (policy.trade_in_price_share * tx).min(policy.trade_in_cap)
            } else {
                a.ev_share * policy.trade_in_nev + (1.0 - a.ev_share) * policy.trade_in_ice
            };
            let sales = a.sales_last;
            Offer {
                available: available(a),
                region: a.region,
                price: price.max(0.0),
                owner_price: (price - trade_in).max(0.0),
                appeal: a.appeal(c),
                zero_mileage_share: if sales > 0.0 { a.zm_last / sales } else { 0.0 },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::AutomakerParams;

    /// Three active groups with weights (capacity x orientation) 1, 2, 1 and transaction
    /// prices 80, 100, 120, and an inactive fourth (weight 5, price 10).
    fn groups() -> Vec<Automaker> {
        let p = AutomakerParams { count: 4, ..AutomakerParams::default() };
        let mut firms = automaker::init(&p, &[1.0], &mut rng::stream(7, purpose::INIT_AUTOMAKERS, 0, 0));
        for (a, (k, price, active)) in
            firms.iter_mut().zip([(1.0, 80.0, true), (2.0, 100.0, true), (1.0, 120.0, true), (5.0, 10.0, false)])
        {
            a.capacity = k;
            a.export_orientation = 1.0;
            a.list_price = price;
            a.discount = 0.0;
            a.push_discount = 0.0;
            a.active = active;
        }
        firms
    }

    #[test]
    fn export_split_without_substitution_is_the_capacity_orientation_split() {
        let (index, shares) = export_split(&groups(), 0.0).unwrap();
        assert!((index - 100.0).abs() < 1e-9, "{index}");
        for (s, want) in shares.iter().zip([0.25, 0.5, 0.25, 0.0]) {
            assert!((s - want).abs() < 1e-12, "{shares:?}");
        }
    }

    #[test]
    fn export_split_sends_orders_to_cheaper_groups_and_prices_a_ces_index() {
        let sigma = 4.0;
        let (index, shares) = export_split(&groups(), sigma).unwrap();
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(shares[3], 0.0, "inactive groups get no orders");
        assert!(shares[0] > 0.25 && shares[2] < 0.25, "{shares:?}");
        // Shares are w_i p_i^-sigma normalised, whatever the reference price.
        let pull = |w: f64, p: f64| w * p.powf(-sigma);
        let total = pull(1.0, 80.0) + pull(2.0, 100.0) + pull(1.0, 120.0);
        assert!((shares[0] - pull(1.0, 80.0) / total).abs() < 1e-12);
        // CES index (sum w p^(1-sigma) / sum w)^(1/(1-sigma)), below the mean price for sigma > 1.
        let m = (80f64.powf(1.0 - sigma) + 2.0 * 100f64.powf(1.0 - sigma) + 120f64.powf(1.0 - sigma)) / 4.0;
        assert!((index - m.powf(1.0 / (1.0 - sigma))).abs() < 1e-9, "{index}");
        assert!(index < 100.0);
        // sigma = 1 is the weighted geometric mean.
        let (geo, _) = export_split(&groups(), 1.0).unwrap();
        let want = ((80f64.ln() + 2.0 * 100f64.ln() + 120f64.ln()) / 4.0).exp();
        assert!((geo - want).abs() < 1e-9, "{geo} vs {want}");
    }

    #[test]
    fn export_split_needs_active_capacity() {
        let mut firms = groups();
        firms.iter_mut().for_each(|a| a.active = false);
        assert!(export_split(&firms, 4.0).is_none());
    }
}
