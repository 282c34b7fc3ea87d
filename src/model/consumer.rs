//! Households: market entry (replacement and first purchase), price expectations by heuristic
//! switching, the buy-or-wait decision and the choice of a brand. Structure-of-arrays state.

use super::rng::{self, purpose, Rng};
use crate::scenario::ConsumerParams;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

mod expectations;
mod retail;
mod settle;
pub mod trade_in;
pub use expectations::{trend, Expectations};
pub use retail::{domestic_market, offers, RetailContext};
pub use settle::{settle, Served};
pub use trade_in::TradeInRule;
use trade_in::ELIGIBILITY;

/// Consumers processed with one random stream (fixed, so results do not depend on threads).
pub const CHUNK: usize = 4096;
/// Number of price-sensitivity classes.
pub const CLASSES: usize = 4;
/// Standard-normal quantiles at the class midpoints (1/8, 3/8, 5/8, 7/8).
pub const CLASS_Z: [f64; CLASSES] = [-1.150_349, -0.318_639, 0.318_639, 1.150_349];
/// Choice code meaning "no purchase this month".
pub const NO_CHOICE: u8 = u8::MAX;

const OWNER: u8 = 1;
const TREND: u8 = 2;

/// All household agents, one vector per attribute (20 bytes per agent).
#[derive(Debug, Clone, Default)]
pub struct Consumers {
    /// Willingness to pay (yuan) of a household in the market.
    pub valuation: Vec<f32>,
    /// Persistent valuation score ζ (standard normal): the household's place in the distribution
    /// of willingness to pay, kept between market entries (`consumers.valuation_persistence`).
    pub rank: Vec<f32>,
    /// Expected monthly price change (fraction).
    pub expectation: Vec<f32>,
    /// Months since the last purchase (car age for owners).
    pub age: Vec<u16>,
    /// Months in the market (0 = not in the market).
    pub waited: Vec<u8>,
    /// Bit 0: owns a car; bit 1: uses the trend rule.
    pub flags: Vec<u8>,
    /// Home region.
    pub region: Vec<u8>,
    /// Price-sensitivity class.
    pub class: Vec<u8>,
    /// Attention to expected cuts, k_h in 0..=255 / 255.
    pub attention: Vec<u8>,
    /// Brand demanded this month ([`NO_CHOICE`] if none).
    pub choice: Vec<u8>,
}

impl Consumers {
    /// Creates `p.agents` households with regions drawn from `region_weights`.
    pub fn new(p: &ConsumerParams, region_weights: &[f64], key: u64) -> Self {
        let n = p.agents;
        let mut c = Consumers {
            valuation: vec![0.0; n],
            rank: vec![0.0; n],
            expectation: vec![0.0; n],
            age: vec![0; n],
            waited: vec![0; n],
            flags: vec![0; n],
            region: vec![0; n],
            class: vec![0; n],
            attention: vec![0; n],
            choice: vec![NO_CHOICE; n],
        };
        let total: f64 = region_weights.iter().sum();
        let cum: Vec<f64> = region_weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w / total;
                Some(*acc)
            })
            .collect();
        for (ci, start) in (0..n).step_by(CHUNK).enumerate() {
            let mut r = rng::stream(key, purpose::INIT_CONSUMERS, ci as u64, 0);
            for i in start..(start + CHUNK).min(n) {
                let owner = r.random::<f64>() < p.initial_owner_share;
                let trend = r.random::<f64>() < p.initial_trend_share;
                c.flags[i] = ((owner as u8) * OWNER) | ((trend as u8) * TREND);
                // Stationary car-age distribution of a renewal process: density ∝ survival
                // S(a) = exp(-(a/l)^k), sampled by rejection on [0, 3l].
                c.age[i] = loop {
                    let a = r.random::<f64>() * 3.0 * p.replacement_scale_months;
                    if r.random::<f64>() < weibull_survival(p, a) {
                        break a as u16;
                    }
                };
                let u: f64 = r.random();
                c.region[i] = cum.partition_point(|&x| x <= u).min(cum.len().saturating_sub(1)) as u8;
                c.class[i] = r.random_range(0..CLASSES as u8);
                // k_h uniform on [0, 2 x attention_mean], capped at 1.
                let k = (r.random::<f64>() * 2.0 * p.attention_mean).min(1.0);
                c.attention[i] = (k * 255.0).round() as u8;
            }
            // The persistent score has its own stream, so the other initial draws do not move.
            let end = (start + CHUNK).min(n);
            let mut r = rng::stream(key, purpose::INIT_RANK, ci as u64, 0);
            for z in &mut c.rank[start..end] {
                *z = StandardNormal.sample(&mut r);
            }
            if p.valuation_persistence > 0.0 {
                initial_owners(p, &c.rank[start..end], &mut c.flags[start..end], &mut r);
            }
        }
        c
    }

    /// Number of agents.
    pub fn len(&self) -> usize {
        self.valuation.len()
    }

    /// True with no agents.
    pub fn is_empty(&self) -> bool {
        self.valuation.is_empty()
    }
}

/// √ρ ζ + √(1 − ρ) ε: standard normal for standard-normal ζ and ε, correlated ρ with ζ (exactly
/// ε at ρ = 0).
fn blend(rho: f64, zeta: f64, eps: f64) -> f64 {
    rho.sqrt() * zeta + (1.0 - rho).sqrt() * eps
}

/// Who owns a car at the start when valuations persist (ρ > 0): the owners are the
/// `initial_owner_share` of the chunk with the highest score √ρ ζ + √(1 − ρ) ξ, ξ standard normal
/// (with ρ = 1 exactly the richest, who are the households able to buy; with persistent
/// valuations the poorest would otherwise hold cars they could never replace). Replaces the
/// independent owner draw; the trend flag is kept.
fn initial_owners(p: &ConsumerParams, rank: &[f32], flags: &mut [u8], r: &mut Rng) {
    let rho = p.valuation_persistence;
    let score: Vec<f64> = rank
        .iter()
        .map(|&z| {
            let xi: f64 = StandardNormal.sample(&mut *r);
            blend(rho, z as f64, xi)
        })
        .collect();
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    let owners = (p.initial_owner_share * score.len() as f64).round() as usize;
    for (k, &i) in order.iter().enumerate() {
        flags[i] = (flags[i] & !OWNER) | if k < owners { OWNER } else { 0 };
    }
}

/// Logit choice tables: for each (region, class, trade-in eligibility) a cumulative distribution over brands,
/// with each brand's effective price for that buyer.
#[derive(Debug, Clone, Default)]
pub struct ChoiceTables {
    /// Brands offered.
    pub brands: usize,
    /// Cumulative choice probabilities, `[(region * CLASSES + class) * ELIGIBILITY + eligibility][brand]`.
    pub cum: Vec<f32>,
    /// Effective price per brand by trade-in eligibility ([`trade_in::NONE`], [`trade_in::REPLACE`],
    /// [`trade_in::SCRAP`]): `[eligibility][brand]` ([`TradeInRule::class`]).
    pub price: [Vec<f32>; ELIGIBILITY],
    /// The scheme a served buyer claims, `[eligibility][brand]` ([`trade_in::Amounts::claim`]).
    pub claim: [Vec<u8>; ELIGIBILITY],
}

impl ChoiceTables {
    fn table(&self, region: u8, class: u8, eligibility: u8) -> &[f32] {
        let t = (region as usize * CLASSES + class as usize) * ELIGIBILITY + eligibility as usize;
        &self.cum[t * self.brands..(t + 1) * self.brands]
    }
}

/// One brand as households see it this month.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// Can be bought (active with stock).
    pub available: bool,
    /// Home region.
    pub region: usize,
    /// Price a non-owner pays after national subsidies and taxes (yuan).
    pub price: f64,
    /// The trade-in subsidies a buyer of this line can claim (yuan).
    pub trade_in: trade_in::Amounts,
    /// Quality and brand utility (logit units).
    pub appeal: f64,
    /// Hedonic value of the group's car (yuan): what its features are worth to a buyer of the
    /// reference price sensitivity ([`Automaker::value`](super::automaker::Automaker::value)).
    pub value: f64,
    /// Zero-mileage share of its sales last month.
    pub zero_mileage_share: f64,
    /// In the NEV nest (split powertrains; ignored by a flat logit).
    pub nev: bool,
}

impl Offer {
    /// The price a buyer in trade-in eligibility class `e` pays (yuan, at least 0).
    pub fn price_for(&self, e: u8) -> f64 {
        (self.price - self.trade_in.subsidy(e)).max(0.0)
    }
}

/// The powertrain nests of the households' choice (split powertrains, docs/model.md sec. 7.3):
/// nesting parameter λ and the NEV nest's utility W over the ICE nest this month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nests {
    /// Nesting parameter λ in (0, 1] (1 = flat logit).
    pub lambda: f64,
    /// Utility of the NEV nest over the ICE nest (utils).
    pub nev_utility: f64,
}

impl Nests {
    /// The nests of `p` after `years`, or `None` for a flat logit (single powertrain).
    pub fn of(p: &ConsumerParams, split: bool, years: f64) -> Option<Nests> {
        split.then_some(Nests {
            lambda: p.powertrain_nest,
            nev_utility: p.nev_utility_initial + p.nev_utility_trend * years,
        })
    }
}

/// Nested-logit choice probabilities over lines with utilities `u` (`f64::NEG_INFINITY` for a
/// line not on offer), written to `out`: P(j) = P(k) exp((V_j - m_k)/λ) / D_k with
/// D_k = Σ_{i∈k} exp((V_i - m_k)/λ), m_k the nest's highest utility, and
/// P(k) ∝ exp(W_k + m_k + λ ln D_k) (W = `nev_utility` for the NEV nest, 0 for ICE). A nest with
/// no line on offer has probability 0; all zeros when nothing is on offer.
pub fn nested_shares(u: &[f64], nev: &[bool], nests: &Nests, out: &mut [f64]) {
    let lambda = nests.lambda;
    let mut top = [f64::NEG_INFINITY; 2];
    for (x, &k) in u.iter().zip(nev) {
        top[k as usize] = top[k as usize].max(*x);
    }
    let mut d = [0.0f64; 2];
    for ((o, x), &k) in out.iter_mut().zip(u).zip(nev) {
        *o = if x.is_finite() { ((x - top[k as usize]) / lambda).exp() } else { 0.0 };
        d[k as usize] += *o;
    }
    let w = [0.0, nests.nev_utility];
    let upper: Vec<f64> =
        (0..2).map(|k| if d[k] > 0.0 { w[k] + top[k] + lambda * d[k].ln() } else { f64::NEG_INFINITY }).collect();
    let m = upper[0].max(upper[1]);
    let pk: Vec<f64> = upper.iter().map(|x| if x.is_finite() { (x - m).exp() } else { 0.0 }).collect();
    let total = pk[0] + pk[1];
    for (o, &k) in out.iter_mut().zip(nev) {
        let k = k as usize;
        *o = if total > 0.0 && d[k] > 0.0 { *o / d[k] * pk[k] / total } else { 0.0 };
    }
}

/// Builds the logit tables: `U = appeal + alpha q v / p_ref - alpha_c y p / p_ref + home_bias
/// 1[local] - stigma zm` (v the hedonic value, q `vertical_quality`, y `income_factor`, the
/// income effect on the class's price weight alpha_c), over all lines as one flat logit, or in
/// the powertrain nests ([`nested_shares`]).
pub fn build_tables(
    p: &ConsumerParams,
    offers: &[Offer],
    regions: usize,
    p_ref: f64,
    income_factor: f64,
    nests: Option<&Nests>,
    out: &mut ChoiceTables,
) {
    let n = offers.len();
    out.brands = n;
    out.cum.clear();
    out.cum.reserve(regions * CLASSES * ELIGIBILITY * n);
    for e in 0..ELIGIBILITY as u8 {
        out.price[e as usize] = offers.iter().map(|o| o.price_for(e) as f32).collect();
        out.claim[e as usize] = offers.iter().map(|o| o.trade_in.claim(e)).collect();
    }
    let mut weights = vec![0.0f64; n];
    let mut shares = vec![0.0f64; n];
    let nev: Vec<bool> = offers.iter().map(|o| o.nev).collect();
    for region in 0..regions {
        for &z in &CLASS_Z {
            let alpha = p.price_sensitivity * (p.sensitivity_spread * z).exp() * income_factor;
            let quality = p.price_sensitivity * p.vertical_quality;
            for eligibility in 0..ELIGIBILITY as u8 {
                let mut max_u = f64::NEG_INFINITY;
                for (j, o) in offers.iter().enumerate() {
                    if !o.available {
                        weights[j] = f64::NEG_INFINITY;
                        continue;
                    }
                    let price = o.price_for(eligibility);
                    let u = o.appeal
                        + (quality * o.value - alpha * price) / p_ref
                        + if o.region == region { p.home_bias } else { 0.0 }
                        - p.zero_mileage_stigma * o.zero_mileage_share;
                    weights[j] = u;
                    max_u = max_u.max(u);
                }
                let start = out.cum.len();
                if let Some(nests) = nests {
                    nested_shares(&weights, &nev, nests, &mut shares);
                    out.cum.extend(shares.iter().map(|&s| s as f32));
                } else {
                    let mut acc = 0.0;
                    for w in weights.iter_mut() {
                        *w = if w.is_finite() { (*w - max_u).exp() } else { 0.0 };
                        acc += *w;
                    }
                    for w in &weights {
                        out.cum.push(if acc > 0.0 { (*w / acc) as f32 } else { 0.0 });
                    }
                }
                let mut run = 0.0f32;
                for c in &mut out.cum[start..] {
                    run += *c;
                    *c = run;
                }
            }
        }
    }
}

/// National, public inputs of the consumer phase.
pub struct MarketSignals<'a> {
    /// Observed monthly price change last month (fraction).
    pub pi_last: f64,
    /// The trend rule's forecast of the next monthly change ([`Expectations::trend_forecast`]).
    pub trend_forecast: f64,
    /// Probability of adopting the trend rule on revision.
    pub trend_probability: f64,
    /// Mean valuation of an entering household (yuan).
    pub valuation_mean: f64,
    /// Replacement hazard by car age in months (last entry for older cars).
    pub hazard: &'a [f32],
    /// Who may claim which trade-in subsidy this month.
    pub trade_in: TradeInRule,
    /// Multiplier of the market-entry hazards this month (`domestic_demand_shift` events; 1 = none).
    pub entry_factor: f64,
}

/// Per-chunk tallies of the consumer phase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Agents demanding each brand.
    pub demand: Vec<u32>,
    /// Agents in the market this month.
    pub in_market: u64,
    /// Agents with positive surplus who chose to wait for a cut.
    pub waiting: u64,
    /// Sum of expectations of agents in the market.
    pub expectation_sum: f64,
    /// Served buyers claiming the scrapping and the replacement subsidy, in households (set by
    /// [`domestic_market`] after the rationing; not merged per chunk).
    pub trade_in_claims: [f64; 2],
    /// What the served buyers gained and were paid (filled by [`domestic_market`]).
    pub purchases: Purchases,
}

/// The month's served buyers in money (households, yuan), from [`domestic_market`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Purchases {
    /// Realised buyer surplus: Σ (valuation − price paid) over served households.
    pub surplus: f64,
    /// Trade-in subsidies of served households, by home region.
    pub trade_in: Vec<f64>,
    /// National NEV purchase subsidies paid on retail sales.
    pub nev_subsidy: f64,
    /// NEV purchase tax forgone on retail sales against the ICE rate.
    pub tax_expenditure: f64,
}

impl Tally {
    /// An empty tally over `brands`.
    pub fn new(brands: usize) -> Self {
        Tally { demand: vec![0; brands], ..Default::default() }
    }

    /// Adds another chunk's tally (fixed chunk order keeps sums reproducible).
    pub fn merge(&mut self, o: &Tally) {
        for (a, b) in self.demand.iter_mut().zip(&o.demand) {
            *a += b;
        }
        self.in_market += o.in_market;
        self.waiting += o.waiting;
        self.expectation_sum += o.expectation_sum;
    }
}

/// Entry, expectations and buy-or-wait for agents `range` of `c` (one chunk), recording each
/// agent's demanded brand in `c.choice`. Pure given (key, month, chunk index).
pub fn decide_chunk(
    p: &ConsumerParams,
    s: &MarketSignals<'_>,
    tables: &ChoiceTables,
    c: &mut ConsumerSlice<'_>,
    r: &mut Rng,
    tally: &mut Tally,
) {
    let patience = p.patience_months as u8;
    let h_last = s.hazard.len() - 1;
    let entry = s.entry_factor as f32;
    let first = p.first_purchase_hazard as f32 * entry;
    let turnover = 1.0 - p.household_turnover as f32;
    let ada = p.adaptive_weight as f32;
    let pi_last = s.pi_last as f32;
    let trend_fc = s.trend_forecast as f32;
    let beta = p.monthly_discount as f32;
    let horizon = p.wait_horizon_months as f32;
    let delay = p.delay_cost as f32;
    let revise = p.rule_revision_rate as f32;
    let p_trend = s.trend_probability as f32;
    let rho = p.valuation_persistence;
    let keep = KeepValue::of(p);
    for i in 0..c.valuation.len() {
        c.choice[i] = NO_CHOICE;
        let owner = c.flags[i] & OWNER != 0;
        if c.waited[i] == 0 {
            let u: f32 = r.random();
            let hazard = if owner { s.hazard[(c.age[i] as usize).min(h_last)] * entry } else { first };
            c.age[i] = c.age[i].saturating_add(1);
            if u < hazard {
                c.waited[i] = 1;
                let e: f64 = StandardNormal.sample(r);
                // z = √ρ ζ + √(1 − ρ) ε: standard normal, with correlation ρ between entries.
                let z = blend(rho, c.rank[i] as f64, e);
                let v = s.valuation_mean * (p.valuation_sigma * z - 0.5 * p.valuation_sigma * p.valuation_sigma).exp();
                c.valuation[i] = v as f32;
                c.class[i] = valuation_class(z);
                c.expectation[i] = pi_last;
            } else {
                if owner && u > turnover {
                    c.flags[i] &= !OWNER;
                    c.age[i] = 0;
                    // A new household: a new place in the distribution (drawn only when used,
                    // so that ρ = 0 keeps the round-1 streams).
                    if rho > 0.0 {
                        c.rank[i] = StandardNormal.sample(r);
                    }
                }
                continue;
            }
        }
        tally.in_market += 1;
        // Expectation by the agent's rule, then a possible rule revision.
        let mut pe = c.expectation[i];
        if c.flags[i] & TREND != 0 {
            pe = trend_fc;
        } else {
            pe += ada * (pi_last - pe);
        }
        c.expectation[i] = pe;
        tally.expectation_sum += pe as f64;
        let u: f32 = r.random();
        if u < revise {
            // Reuse the uniform: u / revise is uniform on [0, 1) given u < revise.
            if u / revise < p_trend {
                c.flags[i] |= TREND;
            } else {
                c.flags[i] &= !TREND;
            }
        }
        // Brand drawn from the logit table of the agent's segment.
        let eligibility = s.trade_in.class(owner, c.age[i], c.start + i);
        let cum = tables.table(c.region[i], c.class[i], eligibility);
        let u: f32 = r.random();
        let total = cum.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            c.waited[i] = c.waited[i].saturating_add(1);
            continue;
        }
        let j = cum.partition_point(|&x| x <= u * total).min(cum.len() - 1);
        let price = tables.price[eligibility as usize][j];
        let kept = if owner { keep.of_car(c.valuation[i], c.age[i]) } else { 0.0 };
        let surplus = c.valuation[i] - price - kept;
        let k = c.attention[i] as f32 * (1.0 / 255.0);
        let gain = k * price * (-pe).max(0.0) * horizon;
        let waited = c.waited[i];
        let wait_value = beta * (surplus + gain) - delay * price * waited as f32;
        if surplus > 0.0 && (surplus >= wait_value || waited >= patience) {
            c.choice[i] = j as u8;
            tally.demand[j] += 1;
        } else if surplus > 0.0 {
            tally.waiting += 1;
            c.waited[i] = waited.saturating_add(1);
        } else if waited >= patience {
            c.waited[i] = 0;
        } else {
            c.waited[i] = waited.saturating_add(1);
        }
    }
}

/// The owner's keep-or-replace gate (docs/model.md sec. 7.3): the value κ v S(a) of the service
/// left in a car of age a that replacing it forgoes, S(a) = exp(−(a/l)^k) the Weibull survival of
/// the replacement hazard.
#[derive(Debug, Clone, Copy)]
struct KeepValue<'a> {
    kappa: f32,
    p: &'a ConsumerParams,
}

impl<'a> KeepValue<'a> {
    fn of(p: &'a ConsumerParams) -> Self {
        KeepValue { kappa: p.keep_value as f32, p }
    }

    /// κ v S(age) (yuan); exactly 0 when κ = 0.
    fn of_car(self, valuation: f32, age: u16) -> f32 {
        if self.kappa == 0.0 {
            return 0.0;
        }
        self.kappa * valuation * weibull_survival(self.p, age as f64) as f32
    }
}

/// S(a) = exp(−(a/l)^k): the Weibull survival of the replacement hazard at car age `a` months
/// (l, k the replacement scale and shape), used for the initial age distribution and the keep
/// value.
fn weibull_survival(p: &ConsumerParams, a: f64) -> f64 {
    (-(a / p.replacement_scale_months).powf(p.replacement_shape)).exp()
}

/// Quartiles of the standard normal (Φ⁻¹ of 1/4, 1/2, 3/4).
const QUARTILE_Z: [f64; 3] = [-0.674_49, 0.0, 0.674_49];

/// Price-sensitivity class of a household whose valuation has standard-normal score `z`: the
/// richest quartile is class 0 (the least price-sensitive, `CLASS_Z[0] < 0`), the poorest class 3.
pub fn valuation_class(z: f64) -> u8 {
    (CLASSES - QUARTILE_Z.partition_point(|&q| q < z)) as u8 - 1
}

/// Mutable views of one chunk of [`Consumers`].
pub struct ConsumerSlice<'a> {
    /// Global index of the chunk's first agent.
    pub start: usize,
    /// See [`Consumers::valuation`].
    pub valuation: &'a mut [f32],
    /// See [`Consumers::rank`].
    pub rank: &'a mut [f32],
    /// See [`Consumers::expectation`].
    pub expectation: &'a mut [f32],
    /// See [`Consumers::age`].
    pub age: &'a mut [u16],
    /// See [`Consumers::waited`].
    pub waited: &'a mut [u8],
    /// See [`Consumers::flags`].
    pub flags: &'a mut [u8],
    /// See [`Consumers::region`].
    pub region: &'a [u8],
    /// See [`Consumers::class`].
    pub class: &'a mut [u8],
    /// See [`Consumers::attention`].
    pub attention: &'a [u8],
    /// See [`Consumers::choice`].
    pub choice: &'a mut [u8],
}

/// One chunk of households with its own results: the unit of work of the consumer phase.
pub struct ChunkJob<'a> {
    /// Chunk number (also selects the chunk's random stream).
    pub index: usize,
    /// Index of the chunk's first agent.
    pub start: usize,
    /// The chunk's agents.
    pub slice: ConsumerSlice<'a>,
    /// Decision tallies of this chunk.
    pub tally: Tally,
    /// Agents served per brand in this chunk, their surplus and trade-in subsidies (rationing).
    pub served: Served,
}

/// Runs chunk jobs. The model runs them in order ([`Sequential`]); the engine may run them on
/// threads. Each job touches only its own chunk and results are merged in chunk order, so the
/// outcome is identical either way.
pub trait Executor: Sync {
    /// Calls `f` once on every job.
    fn for_each(&self, jobs: &mut [ChunkJob<'_>], f: &(dyn Fn(&mut ChunkJob<'_>) + Sync));
}

/// Runs chunk jobs one after another on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Executor for Sequential {
    fn for_each(&self, jobs: &mut [ChunkJob<'_>], f: &(dyn Fn(&mut ChunkJob<'_>) + Sync)) {
        jobs.iter_mut().for_each(f);
    }
}

/// Splits the households into chunk jobs of [`CHUNK`] agents.
fn chunk_jobs(c: &mut Consumers, brands: usize) -> Vec<ChunkJob<'_>> {
    let mut jobs = Vec::with_capacity(c.len().div_ceil(CHUNK));
    let mut valuation = c.valuation.as_mut_slice();
    let mut rank = c.rank.as_mut_slice();
    let mut expectation = c.expectation.as_mut_slice();
    let mut age = c.age.as_mut_slice();
    let mut waited = c.waited.as_mut_slice();
    let mut flags = c.flags.as_mut_slice();
    let mut choice = c.choice.as_mut_slice();
    let mut class = c.class.as_mut_slice();
    let (mut region, mut attention) = (c.region.as_slice(), c.attention.as_slice());
    let mut start = 0;
    while !valuation.is_empty() {
        let k = CHUNK.min(valuation.len());
        let (v, v_rest) = valuation.split_at_mut(k);
        let (z, z_rest) = rank.split_at_mut(k);
        let (e, e_rest) = expectation.split_at_mut(k);
        let (a, a_rest) = age.split_at_mut(k);
        let (w, w_rest) = waited.split_at_mut(k);
        let (f, f_rest) = flags.split_at_mut(k);
        let (ch, ch_rest) = choice.split_at_mut(k);
        let (r, r_rest) = region.split_at(k);
        let (cl, cl_rest) = class.split_at_mut(k);
        let (at, at_rest) = attention.split_at(k);
        jobs.push(ChunkJob {
            index: jobs.len(),
            start,
            slice: ConsumerSlice {
                start,
                valuation: v,
                rank: z,
                expectation: e,
                age: a,
                waited: w,
                flags: f,
                region: r,
                class: cl,
                attention: at,
                choice: ch,
            },
            tally: Tally::new(brands),
            served: Served::default(),
        });
        (valuation, rank, expectation, age, waited, flags, choice, class) =
            (v_rest, z_rest, e_rest, a_rest, w_rest, f_rest, ch_rest, cl_rest);
        (region, attention) = (r_rest, at_rest);
        start += k;
    }
    jobs
}

/// Runs the decision phase over all chunks (each with its own stream) and returns the tallies
/// merged in chunk order.
pub fn decide_all(
    p: &ConsumerParams,
    s: &MarketSignals<'_>,
    tables: &ChoiceTables,
    c: &mut Consumers,
    key: u64,
    month: u64,
    exec: &dyn Executor,
) -> Tally {
    let brands = tables.brands;
    let mut jobs = chunk_jobs(c, brands);
    exec.for_each(&mut jobs, &|job: &mut ChunkJob<'_>| {
        let mut r = rng::stream(key, purpose::CONSUMERS, month, job.index as u64);
        decide_chunk(p, s, tables, &mut job.slice, &mut r, &mut job.tally);
    });
    let mut total = Tally::new(brands);
    for job in &jobs {
        total.merge(&job.tally);
    }
    total
}

/// Burn-in before the first month (docs/model.md sec. 5): `months` rounds of entry and
/// buy-or-wait at the given tables and signals, with every buyer served (it becomes an owner of a
/// car of age 0). Households still in the market afterwards start the run in it, so the first
/// month has the stationary stock of waiting buyers. Returns the agents demanding each brand in
/// the last burn-in month.
pub fn warm_up(
    p: &ConsumerParams,
    s: &MarketSignals<'_>,
    tables: &ChoiceTables,
    c: &mut Consumers,
    key: u64,
    months: u32,
    exec: &dyn Executor,
) -> Vec<u32> {
    let brands = tables.brands;
    let mut last = vec![0u32; brands];
    for m in 0..months as u64 {
        let mut jobs = chunk_jobs(c, brands);
        exec.for_each(&mut jobs, &|job: &mut ChunkJob<'_>| {
            let mut r = rng::stream(key, purpose::WARMUP, m, job.index as u64);
            decide_chunk(p, s, tables, &mut job.slice, &mut r, &mut job.tally);
            let c = &mut job.slice;
            for i in 0..c.choice.len() {
                if c.choice[i] != NO_CHOICE {
                    c.choice[i] = NO_CHOICE;
                    c.flags[i] |= OWNER;
                    c.age[i] = 0;
                    c.waited[i] = 0;
                }
            }
        });
        last.iter_mut().for_each(|d| *d = 0);
        for job in &jobs {
            for (a, b) in last.iter_mut().zip(&job.tally.demand) {
                *a += b;
            }
        }
    }
    last
}

/// Weibull replacement hazard per month of car age: h(a) = (k/l)(a/l)^(k-1), capped at 1,
/// tabulated up to 50 years.
pub fn hazard_table(p: &ConsumerParams) -> Vec<f32> {
    let (k, l) = (p.replacement_shape, p.replacement_scale_months);
    (0..600).map(|a| ((k / l) * ((a as f64 + 0.5) / l).powf(k - 1.0)).min(1.0) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signals under which every household enters (hazard 1) with mean valuation 100,000 yuan.
    fn test_signals() -> MarketSignals<'static> {
        MarketSignals {
            pi_last: 0.0,
            trend_forecast: 0.0,
            trend_probability: 0.0,
            valuation_mean: 100_000.0,
            hazard: &[1.0],
            trade_in: TradeInRule::everyone(),
            entry_factor: 1.0,
        }
    }

    /// Every household enters (hazard 1), finds nothing on offer and stays in the market; its
    /// valuation is set at entry.
    fn enter_all(p: &ConsumerParams, c: &mut Consumers, stream: u64) -> Vec<f32> {
        c.waited.iter_mut().for_each(|w| *w = 0);
        let s = test_signals();
        let n = c.len();
        let mut slice = chunk_jobs(c, 0).remove(0).slice;
        let mut r = rng::stream(1, purpose::CONSUMERS, stream, 0);
        decide_chunk(p, &s, &ChoiceTables::default(), &mut slice, &mut r, &mut Tally::new(0));
        assert_eq!(slice.waited.iter().filter(|&&w| w >= 1).count(), n, "everyone entered");
        slice.valuation.to_vec()
    }

    /// With ρ = 1 a household's valuation at a second entry is the one it had at the first (the
    /// outside option persists); with ρ = 0 it is redrawn; in between, the correlation of the
    /// log valuations across entries is ρ.
    #[test]
    fn persistent_valuations_keep_a_household_where_it_was() {
        for (rho, lo, hi) in [(1.0, 0.999, 1.001), (0.0, -0.05, 0.05), (0.5, 0.45, 0.55)] {
            let p = ConsumerParams {
                agents: CHUNK,
                household_turnover: 0.0,
                first_purchase_hazard: 1.0,
                valuation_persistence: rho,
                ..Default::default()
            };
            let mut c = Consumers::new(&p, &[1.0], 9);
            let (a, b) = (enter_all(&p, &mut c, 0), enter_all(&p, &mut c, 1));
            let (x, y): (Vec<f64>, Vec<f64>) =
                a.iter().zip(&b).map(|(&u, &v)| ((u as f64).ln(), (v as f64).ln())).unzip();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let (mx, my) = (mean(&x), mean(&y));
            let cov = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>();
            let var = |v: &[f64], m: f64| v.iter().map(|a| (a - m) * (a - m)).sum::<f64>();
            let corr = cov / (var(&x, mx) * var(&y, my)).sqrt();
            assert!((lo..=hi).contains(&corr), "rho {rho}: correlation {corr}");
        }
    }

    /// The keep-or-replace gate: at a price of 0.7 v, a household without a car buys, an owner
    /// of a new car (service left S = 1) keeps it when κ = 0.5 (v − p < κ v) and buys when
    /// κ = 0, and an owner of a car far beyond its scale life (S ≈ 0) buys either way.
    #[test]
    fn owners_replace_only_if_the_new_car_beats_the_one_they_keep() {
        let bought = |kappa: f64, owner: bool, age: u16| {
            let p = ConsumerParams {
                agents: 64,
                household_turnover: 0.0,
                first_purchase_hazard: 1.0,
                valuation_sigma: 0.0,
                keep_value: kappa,
                ..Default::default()
            };
            let mut c = Consumers::new(&p, &[1.0], 3);
            for i in 0..c.len() {
                c.flags[i] = if owner { OWNER } else { 0 };
                c.age[i] = age;
            }
            let s = test_signals();
            let rows = CLASSES * ELIGIBILITY;
            let tables = ChoiceTables {
                brands: 1,
                cum: vec![1.0; rows],
                price: std::array::from_fn(|_| vec![70_000.0]),
                claim: std::array::from_fn(|_| vec![0]),
            };
            let mut slice = chunk_jobs(&mut c, 1).remove(0).slice;
            let mut r = rng::stream(1, purpose::CONSUMERS, 0, 0);
            let mut tally = Tally::new(1);
            decide_chunk(&p, &s, &tables, &mut slice, &mut r, &mut tally);
            tally.demand[0] as usize * 100 / slice.choice.len()
        };
        assert_eq!(bought(0.5, false, 0), 100, "non-owners are not gated");
        assert_eq!(bought(0.5, true, 0), 0, "a new car is kept");
        assert_eq!(bought(0.0, true, 0), 100, "kappa = 0 is the round-1 rule");
        assert_eq!(bought(0.5, true, 599), 100, "a worn-out car is replaced");
    }

    /// With persistent valuations the initial owners are the households with the highest scores
    /// (ρ = 1: exactly the top `initial_owner_share` of each chunk); with ρ = 0 ownership is
    /// independent of the score.
    #[test]
    fn initial_owners_are_the_households_able_to_buy() {
        let owners_mean_rank = |rho: f64| {
            let p = ConsumerParams { agents: 2 * CHUNK, valuation_persistence: rho, ..Default::default() };
            let c = Consumers::new(&p, &[1.0], 4);
            let own: Vec<bool> = c.flags.iter().map(|f| f & OWNER != 0).collect();
            let share = own.iter().filter(|&&o| o).count() as f64 / c.len() as f64;
            assert!((share - p.initial_owner_share).abs() < 0.02, "owner share {share}");
            if rho == 1.0 {
                for chunk in 0..2 {
                    let r = chunk * CHUNK..(chunk + 1) * CHUNK;
                    let min_owner = r.clone().filter(|&i| own[i]).map(|i| c.rank[i]).fold(f32::MAX, f32::min);
                    let max_other = r.filter(|&i| !own[i]).map(|i| c.rank[i]).fold(f32::MIN, f32::max);
                    assert!(min_owner >= max_other, "chunk {chunk}: an owner poorer than a non-owner");
                }
            }
            let n = own.iter().filter(|&&o| o).count() as f64;
            own.iter().zip(&c.rank).filter(|(&o, _)| o).map(|(_, &z)| z as f64).sum::<f64>() / n
        };
        assert!(owners_mean_rank(1.0) > 0.4);
        assert!(owners_mean_rank(0.0).abs() < 0.05);
    }
}
