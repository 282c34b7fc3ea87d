//! The scenario schema: every section and key a scenario file may set, with unit, default,
//! valid range and source. Defaults are the calibrated baseline; `docs/model.md` explains each.

use super::date::YearMonth;
use super::params::params;

/// Range of `consumers.agents` (also used by the resolution rule, `scenario::resolution`).
pub(super) const AGENTS_RANGE: (usize, usize) = (100, 50_000_000);
/// Range of `consumers.households_per_agent` (also used by the resolution rule).
pub(super) const HOUSEHOLDS_PER_AGENT_RANGE: (f64, f64) = (1.0, 1.0e7);

params! {
    /// `[consumers]`: household agents deciding whether to buy a new car now or wait.
    pub struct ConsumerParams {
        /// Number of consumer agents simulated: a resolution setting. A file or `--set` that changes it without writing `households_per_agent` keeps the households represented (agents x households_per_agent) of the layers below it.
        agents: usize = 500_000, unit "agents", range [AGENTS_RANGE.0, AGENTS_RANGE.1], source "assumption";
        /// Households each agent stands for (totals are agents x this). Where not written beside a changed `agents`, it is derived: households represented / agents (240,000,000 households with the defaults; docs/model.md sec. 2).
        households_per_agent: f64 = 480.0, unit "households/agent", range [HOUSEHOLDS_PER_AGENT_RANGE.0, HOUSEHOLDS_PER_AGENT_RANGE.1], source "assumption: ~100m car-buying households";
        /// Share of agents owning a car at the start.
        initial_owner_share: f64 = 0.72, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Weibull scale of the owners' market-entry (replacement consideration) hazard in car age; with the keep-or-replace gate (`keep_value`) not every owner who enters replaces, so realised car lives are longer.
        replacement_scale_months: f64 = 74.0, unit "months", range [6.0, 600.0], source "assumption, set with keep_value so that 2019 domestic sales stay at CAAM's level (docs/validation.md, aggregate elasticity)";
        /// Weibull shape of the replacement hazard in car age.
        replacement_shape: f64 = 2.2, unit "1", range [0.5, 10.0], source "assumption";
        /// Keep-or-replace gate of an owner (kappa): an owner in the market replaces its car only if the valuation of a new car less the price exceeds kappa x valuation x S(age), the share S(a) = exp(-(a/l)^k) of the Weibull service life left in its car (l, k the replacement scale and shape) that replacing forgoes; 0 = owners replace whenever v > price (the round-1 rule).
        keep_value: f64 = 0.5, unit "fraction of valuation", range [0.0, 2.0], source "optimal-stopping replacement: Adda & Cooper 2000 (scrapping subsidies), Rust 1987; value set with the entry hazards (docs/validation.md, aggregate elasticity)";
        /// Monthly probability that a household without a car enters the market.
        first_purchase_hazard: f64 = 0.011, unit "1/month", range [0.0, 1.0], source "assumption, calibrated to retail sales";
        /// Monthly probability that an owning household is replaced by a new household without a car.
        household_turnover: f64 = 0.004, unit "1/month", range [0.0, 0.5], source "assumption";
        /// Growth of household willingness to pay (valuation drift V_t); the price weight follows real_income_growth instead.
        income_growth: f64 = 0.02, unit "1/year", range [-0.5, 0.5], source "assumption";
        /// Growth of real per-capita disposable income y, which lowers the price weight: alpha_t = alpha (1 + y)^(-eta t).
        real_income_growth: f64 = 0.05, unit "1/year", range [-0.5, 0.5], source "NBS Statistical Communiques 2019-2024: real per-capita disposable income +5.8, +2.1, +8.1, +2.9, +6.1, +5.1 %, mean 5.0 %";
        /// Mean valuation of an entering household relative to the initial average transaction price.
        valuation_ratio: f64 = 1.5, unit "1", range [0.1, 10.0], source "assumption, set with list_price_mean so that 2019 domestic sales stay at CAAM's level (docs/validation.md, price level)";
        /// Log-sd of valuations across households.
        valuation_sigma: f64 = 0.45, unit "log points", range [0.0, 3.0], source "assumption";
        /// Correlation rho of a household's valuation scores between market entries: z = sqrt(rho) zeta + sqrt(1 - rho) eps with zeta the household's persistent score (its income rank) and eps redrawn at each entry. 1 = a household that cannot afford a car now cannot later unless prices fall or incomes rise (the outside option); 0 = a fresh valuation at every entry (the round-1 model, in which every household buys eventually).
        valuation_persistence: f64 = 1.0, unit "1", range [0.0, 1.0], source "assumption: willingness to pay follows income, whose rank is persistent over a car's life; set with the entry hazards (docs/validation.md, aggregate elasticity)";
        /// Logit weight on price relative to the initial average price (elasticity about -alpha).
        price_sensitivity: f64 = 4.0, unit "utils per 100% of price", range [0.0, 50.0], source "BLP 1995 range -3..-6";
        /// Weight of a group's hedonic value (its initial transaction price, yuan) in utility, as a share of the price weight: 1 = price differences between groups at the start reflect features that buyers value (vertical differentiation).
        vertical_quality: f64 = 1.0, unit "fraction of price_sensitivity", range [0.0, 2.0], source "Griliches 1961 and Berry, Levinsohn & Pakes 1995 (prices across models follow characteristics); assumption";
        /// Income elasticity of the price weight: alpha falls as incomes grow, alpha_t = alpha (1 + real_income_growth)^(-eta t), and households in a richer valuation quartile are less price-sensitive.
        sensitivity_income_elasticity: f64 = 1.0, unit "1", range [0.0, 3.0], source "Berry, Levinsohn & Pakes 1995 (marginal utility of money falls with income); assumption eta = 1 (alpha / y)";
        /// Log-spread of price sensitivity across the four sensitivity classes.
        sensitivity_spread: f64 = 0.4, unit "log points", range [0.0, 3.0], source "assumption";
        /// Logit weight on brand value.
        brand_weight: f64 = 1.0, unit "utils per brand unit", range [0.0, 20.0], source "assumption";
        /// Logit weight on product quality.
        quality_weight: f64 = 0.8, unit "utils per quality unit", range [0.0, 20.0], source "assumption";
        /// Utility bonus for a brand made in the household's home region.
        home_bias: f64 = 0.5, unit "utils", range [0.0, 10.0], source "Barwick, Cao & Li 2021";
        /// Utility penalty per unit of a brand's visible zero-mileage dumping (exported share of its sales).
        zero_mileage_stigma: f64 = 1.0, unit "utils per share", range [0.0, 100.0], source "assumption";
        /// Weight of the adaptive (ADA) expectation rule on the last forecast error.
        adaptive_weight: f64 = 0.65, unit "1", range [0.0, 1.0], source "Anufriev & Hommes 2012";
        /// Extrapolation strength of the trend-following rule.
        trend_strength: f64 = 1.0, unit "1", range [0.0, 3.0], source "Anufriev & Hommes 2012: 0.4 weak, 1.3 strong";
        /// Intensity of choice between expectation rules (per squared percentage-point error).
        switching_intensity: f64 = 1.0, unit "1/pp^2", range [0.0, 100.0], source "Anufriev & Hommes 2012: 0.5-5";
        /// Memory of the rules' squared-error fitness.
        error_memory: f64 = 0.7, unit "1", range [0.0, 0.99], source "Anufriev & Hommes 2012";
        /// Monthly probability that a household in the market revises which rule it uses.
        rule_revision_rate: f64 = 0.3, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Share of trend followers at the start.
        initial_trend_share: f64 = 0.2, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Mean attention to expected price cuts (k_h drawn uniform on [0, 2 x mean], capped at 1).
        attention_mean: f64 = 0.5, unit "1", range [0.0, 1.0], source "assumption";
        /// Months of expected cuts a waiting household counts on (H_w).
        wait_horizon_months: f64 = 4.0, unit "months", range [0.0, 36.0], source "Gowrisankaran & Rysman 2012, reduced form";
        /// Monthly discount factor of a household.
        monthly_discount: f64 = 0.99, unit "1", range [0.5, 1.0], source "assumption";
        /// Cost of each month already waited, as a share of the price.
        delay_cost: f64 = 0.01, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Months in the market after which a household buys if it has positive surplus, else leaves.
        patience_months: u32 = 6, unit "months", range [1, 60], source "assumption";
        /// Households' utility of the NEV nest over the ICE nest at the start, before prices (split powertrains): range anxiety, charging, model choice in 2019.
        nev_utility_initial: f64 = -1.0, unit "utils", range [-20.0, 20.0], source "assumption, set to the CPCA NEV retail share of 2019 (about 5 %)";
        /// Yearly rise of the NEV nest's utility (split powertrains): the public charging network (0.52m points end-2019, 3.58m end-2024) and the NEV model range.
        nev_utility_trend: f64 = 0.65, unit "utils/year", range [-5.0, 5.0], source "China Charging Alliance (EVCIPA) charging-point counts; slope set to the CPCA NEV retail share path";
        /// Nesting parameter of the powertrain nests (lambda; 1 = a flat logit over all lines, smaller = stronger substitution within a powertrain).
        powertrain_nest: f64 = 0.8, unit "1", range [0.05, 1.0], source "assumption; nested logit of car demand: Goldberg 1995, Berry, Levinsohn & Pakes 1995";
        /// Burn-in months of household entry and buy-or-wait at the initial prices before the first month (every buyer served), so the run starts with the stationary stock of households in the market and, with the keep-or-replace gate, a car-age distribution near its stationary shape (the initial ages are drawn from the entry hazard's renewal distribution, which is younger; 60 months removes most of the resulting rise of sales in the first years).
        warmup_months: u32 = 60, unit "months", range [0, 120], source "assumption: initial condition (docs/model.md sec. 5)";
    }
}

/// How brand groups' products are modelled (`automakers.powertrains`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Powertrains {
    /// Each group has an NEV and an ICE line (docs/model.md sec. 7.2a).
    #[default]
    Split,
    /// Each group sells one car whose EV share drifts (the round-1 model, for ablations).
    Single,
}

impl super::params::ParamValue for Powertrains {
    const TY: &'static str = "string";
    const CHOICES: &'static [&'static str] = &["split", "single"];
    fn check(&self, _: &Self, _: &Self) -> Result<(), String> {
        Ok(())
    }
    fn toml(&self) -> String {
        match self {
            Powertrains::Split => "\"split\"".to_string(),
            Powertrains::Single => "\"single\"".to_string(),
        }
    }
}

/// Cost basis of a below-cost ban (`policy.below_cost_basis`, `basis` of a `below_cost_ban` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostBasis {
    /// Variable (manufacturing) cost c only.
    #[default]
    VariableCost,
    /// Full cost on planned output: c + F / max(Q, u_n K), the fixed cost spread over this
    /// month's planned output but never over less than normal-capacity output (docs/model.md sec. 7.1).
    FullCostPlanned,
}

impl super::params::ParamValue for CostBasis {
    const TY: &'static str = "string";
    const CHOICES: &'static [&'static str] = &["variable_cost", "full_cost_planned"];
    fn check(&self, _: &Self, _: &Self) -> Result<(), String> {
        Ok(())
    }
    fn toml(&self) -> String {
        match self {
            CostBasis::VariableCost => "\"variable_cost\"".to_string(),
            CostBasis::FullCostPlanned => "\"full_cost_planned\"".to_string(),
        }
    }
}

params! {
    /// `[automakers]`: brand groups with capacity, costs, prices, inventory and finances.
    pub struct AutomakerParams {
        /// Number of brand groups at the start.
        count: usize = 48, unit "firms", range [2, 250], source "facts.md sec. 2 (129 brands 2024, grouped)";
        /// Products of a group: "split" gives each group an NEV and an ICE line (own capacity, cost, learning, price, discount, stock; households choose powertrain in a nested logit); "single" is the round-1 model of one car per group whose EV share drifts by `ev_shift_per_year` (for ablations). With "split", `count` is at most 127.
        powertrains: Powertrains = Powertrains::Split, unit "-", range [Powertrains::Split, Powertrains::Single], source "docs/model.md sec. 7.2a";
        /// Share of the private groups smaller than the median group that make only NEVs at the start (new entrants: NIO, Xpeng, Li Auto, Leapmotor, Tesla Shanghai); they have no ICE line (split powertrains).
        nev_only_share: f64 = 0.4, unit "fraction", range [0.0, 1.0], source "assumption: about 8 of some 40 private groups in 2019 (CAAM/AlixPartners brand counts)";
        /// Price position of the NEV-only entrants: their list price, unit cost and hedonic value are the drawn group's times this factor (split powertrains); 1 = drawn like any other group.
        nev_entrant_price_factor: f64 = 1.5, unit "1", range [0.2, 5.0], source "2019-20 launch prices of the entrants (NIO ES6, Li ONE, Xpeng G3, Tesla Model 3, Weltmeister EX5, Leapmotor S01, Neta N01), about 1.5x CPCA's 151k average (docs/model.md sec. 7.2a)";
        /// Unit cost of an NEV line over an ICE line of the same group at the start (split powertrains).
        nev_cost_premium: f64 = 0.25, unit "fraction", range [0.0, 3.0], source "ICCT, Lutsey & Nicholas 2019 (BEV-ICE cost gap); assumption for China";
        /// Battery share of an NEV line's unit cost at the start (split powertrains).
        battery_cost_share: f64 = 0.35, unit "fraction", range [0.0, 1.0], source "BNEF Battery Price Survey 2019; assumption";
        /// Yearly decline of battery pack cost (split powertrains): the battery part of NEV unit cost falls by this share a year, on top of learning by doing, from the start or, with `battery_cost` events, after the last of them.
        battery_cost_decline: f64 = 0.08, unit "1/year", range [0.0, 0.5], source "BNEF Battery Price Survey: 156 $/kWh (2019) to 115 $/kWh (2024), 94 in China";
        /// Share of the smaller of an ICE line's idle capacity and its sibling NEV line's capacity gap converted per quarter (split powertrains).
        conversion_rate: f64 = 0.6, unit "1/quarter", range [0.0, 1.0], source "assumption (plant retooling, e.g. VW Anting, GAC)";
        /// Cost of converting one unit of monthly ICE capacity to NEV (split powertrains).
        conversion_cost_per_capacity: f64 = 150_000.0, unit "yuan/(vehicle/month)", range [0.0, 1.0e8], source "assumption: well under `capacity_unit_cost`";
        /// Months from the decision to convert capacity until the NEV line can use it (split powertrains).
        conversion_lag_months: u32 = 9, unit "months", range [1, 60], source "assumption";
        /// Pareto shape of capacity sizes (lower = more concentrated).
        size_pareto_shape: f64 = 1.1, unit "1", range [0.3, 10.0], source "assumption";
        /// National production capacity at the start.
        initial_capacity: f64 = 3_450_000.0, unit "vehicles/month", range [1.0, 1.0e9], source "assumption from facts.md sec. 2";
        /// Initial national demand expectation (domestic plus exports) when the household burn-in is off (`consumers.warmup_months = 0`); with it, firms start from the households' own demand and this has no effect.
        initial_demand: f64 = 2_150_000.0, unit "vehicles/month", range [0.0, 1.0e9], source "facts.md sec. 1 (2019 sales 25.8m)";
        /// Logit weight on ln(relative size): breadth of a group's model range (1 = shares proportional to size).
        demand_concentration: f64 = 1.1, unit "utils per log size", range [0.0, 3.0], source "assumption (facts.md sec. 2: leaders run fuller)";
        /// Share of state-owned groups.
        state_share: f64 = 0.35, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Share of foreign joint ventures.
        jv_share: f64 = 0.2, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Share of the state-owned groups under the central SASAC (central SOEs); the others are local state groups of a province or city. Central and local state groups follow the same rules; the split is reported in `groups.csv` (`run --by-group`) and drawn from its own random stream, so it changes no other draw.
        central_state_share: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "Xinhua, 29 Jul 2025 (en.people.cn/n3/2025/0730/c90000-20346650.html): FAW, Dongfeng and Changan are the three central SOE car groups; SAIC, GAC, BAIC, Chery, JAC, Brilliance and other state groups are local: about 3 of 10";
        /// Mean EV share of output of private groups at the start.
        ev_share_private: f64 = 0.15, unit "fraction", range [0.0, 1.0], source "assumption from 2019 group sales (CAAM/CPCA): BYD about half NEV, Geely and Great Wall under 10 %";
        /// Mean EV share of output of state groups at the start.
        ev_share_state: f64 = 0.05, unit "fraction", range [0.0, 1.0], source "assumption from 2019 group sales (CAAM/CPCA): SAIC, BAIC, GAC and Changan a few per cent NEV";
        /// Mean EV share of output of joint ventures at the start.
        ev_share_jv: f64 = 0.02, unit "fraction", range [0.0, 1.0], source "assumption from 2019 group sales (CAAM/CPCA): joint ventures sold almost no NEVs";
        /// Yearly shift of a state group's output toward EVs (other ownerships scaled below); single powertrain only.
        ev_shift_per_year: f64 = 0.07, unit "1/year", range [0.0, 1.0], source "assumption";
        /// EV-shift multiplier of private groups (single powertrain only).
        ev_shift_private: f64 = 1.3, unit "1", range [0.0, 10.0], source "assumption (private groups lead on NEVs)";
        /// EV-shift multiplier of joint ventures (single powertrain only).
        ev_shift_jv: f64 = 0.5, unit "1", range [0.0, 10.0], source "assumption (JVs lag on NEVs)";
        /// Initial utilisation of the smallest seller (profile u0 = min + spread x sqrt(share / max share), rescaled to the initial capacity).
        initial_utilization_min: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "facts.md sec. 2 (tail nearly idle)";
        /// Spread of initial utilisation from the smallest to the largest seller.
        initial_utilization_spread: f64 = 0.65, unit "fraction", range [0.0, 1.0], source "facts.md sec. 2 (leaders 82-96%)";
        /// Mean list price at the start.
        list_price_mean: f64 = 195_000.0, unit "yuan", range [1_000.0, 1.0e7], source "set so that the 2019 retail-weighted list price is CPCA's 151k yuan (docs/validation.md, price level)";
        /// Log-sd of list prices across groups.
        list_price_sigma: f64 = 0.35, unit "log points", range [0.0, 3.0], source "assumption";
        /// Street discount at the start.
        initial_discount: f64 = 0.10, unit "fraction", range [0.0, 0.9], source "facts.md sec. 2 (Dasouche, ~10% pre-2019)";
        /// Variable cost as a share of the initial transaction price.
        variable_cost_share: f64 = 0.78, unit "fraction", range [0.05, 2.0], source "assumption";
        /// Fixed cost per unit of monthly capacity, per month.
        fixed_cost_per_capacity: f64 = 10_000.0, unit "yuan/(vehicle/month)/month", range [0.0, 1.0e7], source "assumption";
        /// Elasticity of a group's fixed cost per unit of capacity with respect to the value of its car: F = fixed_cost_per_capacity x K x (v / v_ref)^epsilon, v the group's initial transaction price and v_ref = list_price_mean (1 - initial_discount); 0 = the same fixed cost per unit of capacity for a 60k and a 300k yuan car (the rule before issue 17's cost slice).
        fixed_cost_value_elasticity: f64 = 1.0, unit "1", range [0.0, 2.0], source "Rogozhin, Gallaher & McManus 2009 (EPA-420-R-09-003): indirect costs (R&D, depreciation and amortisation, SG&A, warranty) scale with direct manufacturing cost, retail price equivalent about 1.5";
        /// Learning rate of ICE output per doubling of cumulative output.
        learning_rate_ice: f64 = 0.05, unit "1", range [0.0, 0.5], source "mechanics.md 1.1: whole vehicle 0.05-0.10";
        /// Learning rate of EV output per doubling of cumulative output.
        learning_rate_ev: f64 = 0.15, unit "1", range [0.0, 0.5], source "Ziegler & Trancik 2021 (cells 0.20-0.24), diluted";
        /// Months of output that make up initial cumulative experience.
        initial_experience_months: f64 = 60.0, unit "months", range [1.0, 1200.0], source "assumption";
        /// Weight of the latest demand in adaptive demand expectations (theta).
        demand_expectation_weight: f64 = 0.3, unit "1", range [0.0, 1.0], source "mechanics.md 1.1: 0.3-0.7";
        /// Desired stock left after expected sales, in months of expected sales (iota).
        inventory_buffer: f64 = 1.2, unit "months of sales", range [0.0, 12.0], source "Dosi, Fagiolo & Roventini 2010 (0.1 of a quarter); facts.md sec. 2 (57 days of stock, 2025)";
        /// Political volume push toward the local target (lambda_g) at full local support.
        target_push: f64 = 0.4, unit "1", range [0.0, 2.0], source "assumption (mechanics.md 1.1)";
        /// Push multiplier of private groups (state = 1).
        push_private: f64 = 0.6, unit "1", range [0.0, 2.0], source "assumption";
        /// Push multiplier of joint ventures (state = 1).
        push_jv: f64 = 0.3, unit "1", range [0.0, 2.0], source "assumption";
        /// Mark-up response to the change of market share (upsilon).
        markup_share_response: f64 = 0.04, unit "1", range [0.0, 1.0], source "Dosi et al. 2010";
        /// Lowest mark-up over variable cost.
        markup_min: f64 = 0.0, unit "fraction", range [-0.5, 5.0], source "assumption";
        /// Highest mark-up over variable cost.
        markup_max: f64 = 0.8, unit "fraction", range [0.0, 10.0], source "assumption";
        /// Monthly partial adjustment of list price toward (1 + markup) x variable cost.
        list_price_adjustment: f64 = 0.08, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Inventory cover above which the street discount deepens.
        inventory_high_months: f64 = 1.6, unit "months of sales", range [0.0, 24.0], source "Lengnick 2013; mechanics.md 1.5-2";
        /// Inventory cover below which the discount may shrink.
        inventory_low_months: f64 = 1.0, unit "months of sales", range [0.0, 24.0], source "Lengnick 2013";
        /// Largest monthly step of the street discount (dp_max).
        discount_step_max: f64 = 0.012, unit "1/month", range [0.0, 0.5], source "mechanics.md 1.1: 0.02-0.06 (applied to the discount)";
        /// Weight of volume defence: firms below target utilisation deepen discounts in proportion to the shortfall (u* - u) / u*.
        volume_defence: f64 = 1.0, unit "1", range [0.0, 20.0], source "mechanics.md sec. 3 (L1 fixed-cost trap); assumption";
        /// Probability that a low-inventory firm narrows its discount in a month (sticky upward).
        discount_raise_probability: f64 = 0.3, unit "1/month", range [0.0, 1.0], source "Lengnick 2013";
        /// Highest street discount.
        max_discount: f64 = 0.45, unit "fraction", range [0.0, 0.95], source "facts.md sec. 2 (BYD up to 34%)";
        /// Extra street discount in November and December for firms short of their annual target.
        year_end_discount: f64 = 0.02, unit "fraction", range [0.0, 0.5], source "facts.md sec. 5 (year-end pushes)";
        /// Probability of matching a top-3 rival's list-price cut (pi_f).
        follow_probability: f64 = 0.5, unit "1/month", range [0.0, 1.0], source "mechanics.md 1.1: 0.3-0.8";
        /// Smallest rival cut that is matched (x_f).
        follow_threshold: f64 = 0.03, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Share below variable cost that soft-budget firms may price (omega).
        soft_floor_margin: f64 = 0.10, unit "fraction", range [0.0, 1.0], source "assumption (Kornai et al. 2003)";
        /// Supplier payment days at the start.
        payment_days_initial: f64 = 150.0, unit "days", range [0.0, 720.0], source "facts.md sec. 3 (>170 days before 2025)";
        /// Longest supplier payment days a distressed firm stretches to.
        payment_days_max: f64 = 240.0, unit "days", range [0.0, 720.0], source "mechanics.md 1.1: 180-270";
        /// Days added each month while cash is negative, and the most a payment-day cap removes per month.
        payment_stretch_days: f64 = 5.0, unit "days/month", range [0.0, 365.0], source "assumption";
        /// Interest rate on negative cash.
        interest_rate: f64 = 0.045, unit "1/year", range [0.0, 1.0], source "assumption";
        /// Initial cash in months of revenue.
        initial_cash_months: f64 = 3.0, unit "months of revenue", range [0.0, 120.0], source "assumption";
        /// Distress when net worth falls below minus this many months of fixed cost.
        distress_months: f64 = 18.0, unit "months of fixed cost", range [0.0, 240.0], source "assumption";
        /// Market share below which a firm is marginal.
        min_share: f64 = 0.0002, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Months of marginal share before distress.
        min_share_months: u32 = 18, unit "months", range [1, 240], source "assumption";
        /// Bailout probability of a distressed state group (bail_0).
        bailout_probability: f64 = 0.85, unit "1", range [0.0, 1.0], source "Kornai, Maskin & Roland 2003";
        /// Market share at or above which a distressed group is always rescued while its government has money (too big to fail; not under a hard budget).
        too_big_to_fail_share: f64 = 0.08, unit "fraction", range [0.0, 1.0], source "assumption (Kornai et al. 2003)";
        /// Market share at or above which a distressed group that is not bailed out (its government has no money, or a hard budget) is reorganised in bankruptcy instead of liquidated: creditors write its debt down to bailout_cover_months of fixed cost of net worth, and it keeps its brands, stock and orders, retiring restructuring_capacity_cut of its idle plants; above 1 = never (failing groups of any size exit, the rule before issue 17's restructuring slice).
        restructuring_share: f64 = 0.08, unit "fraction", range [0.0, 2.0], source "Enterprise Bankruptcy Law of the PRC (2006), ch. 8 (reorganisation); e.g. the reorganisations of Brilliance Auto Group (2020-2022) and Zotye (2020-2021), whose brands and plants continued; threshold = too_big_to_fail_share (assumption)";
        /// Share of a reorganised group's idle capacity (above expected demand at the target utilisation) retired in the reorganisation.
        restructuring_capacity_cut: f64 = 1.0, unit "fraction", range [0.0, 1.0], source "assumption: reorganisation closes the idle plants (0.3 left restructured groups investing into ever more idle capacity, docs/validation.md)";
        /// Bailout multiplier for private groups.
        bailout_private: f64 = 0.7, unit "1", range [0.0, 1.0], source "assumption";
        /// Bailout multiplier for joint ventures.
        bailout_jv: f64 = 0.3, unit "1", range [0.0, 1.0], source "assumption";
        /// Share of an exiting group's capacity, demand and target taken over by the best-capitalised survivor (phi_M).
        takeover_share: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "mechanics.md 1.1 (merger keeps share phi_M); assumption";
        /// Months of fixed cost a bailout restores as net worth.
        bailout_cover_months: f64 = 3.0, unit "months of fixed cost", range [0.0, 240.0], source "assumption";
        /// Utilisation at which a firm plans capacity (u*).
        target_utilization: f64 = 0.8, unit "fraction", range [0.05, 1.0], source "mechanics.md 1.1: 0.75-0.85";
        /// Share of the capacity gap ordered each quarter.
        investment_rate: f64 = 0.25, unit "1/quarter", range [0.0, 1.0], source "assumption";
        /// Months from ordering capacity to its use.
        investment_lag_months: u32 = 18, unit "months", range [1, 60], source "mechanics.md 1.1: 12-24";
        /// Capacity added per quarter at full local support by a state group (x push multiplier), beyond market needs (I_pol).
        political_investment: f64 = 0.04, unit "fraction of capacity/quarter", range [0.0, 1.0], source "mechanics.md 1.1 (I_pol = kappa x capital subsidy); assumption";
        /// Cost of one unit of monthly capacity.
        capacity_unit_cost: f64 = 400_000.0, unit "yuan/(vehicle/month)", range [0.0, 1.0e8], source "assumption";
        /// Utilisation below which capacity may close (u_min).
        closure_utilization: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Consecutive months below u_min before closure.
        closure_months: u32 = 12, unit "months", range [1, 240], source "mechanics.md 1.1";
        /// Share of excess capacity an unprotected firm closes per quarter.
        closure_rate: f64 = 0.1, unit "1/quarter", range [0.0, 1.0], source "assumption";
        /// Monthly recovery of brand value toward its base (rho).
        brand_recovery: f64 = 0.05, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Brand erosion per unit of relative list-price cut (eta1).
        brand_cut_erosion: f64 = 2.0, unit "brand units per fraction", range [0.0, 100.0], source "assumption";
        /// Brand erosion per unit of zero-mileage share of sales (eta2).
        brand_zero_mileage_erosion: f64 = 0.3, unit "brand units per share", range [0.0, 100.0], source "assumption";
        /// Sd of base brand value across groups.
        brand_sigma: f64 = 0.5, unit "brand units", range [0.0, 10.0], source "assumption";
        /// Sd of product quality across groups.
        quality_sigma: f64 = 0.5, unit "quality units", range [0.0, 10.0], source "assumption";
        /// Log-sd of export orientation across groups.
        export_orientation_sigma: f64 = 0.8, unit "log points", range [0.0, 5.0], source "assumption";
        /// Foreign buyers' substitution elasticity between Chinese groups' exports (sigma_x; 0 = split by capacity x orientation).
        export_substitution: f64 = 0.7, unit "1", range [0.0, 20.0], source "baseline estimate (docs/validation.md, round 6); car models: 3-6 (Berry, Levinsohn & Pakes 1995)";
    }
}

params! {
    /// `[governments]`: local governments hosting plants, with targets, budgets and instruments.
    pub struct GovernmentParams {
        /// Number of hosting regions.
        count: usize = 31, unit "regions", range [1, 250], source "31 provincial units; facts.md sec. 3";
        /// Pareto shape of region sizes.
        size_pareto_shape: f64 = 1.5, unit "1", range [0.3, 10.0], source "assumption";
        /// Yearly growth target for local output and reported sales.
        target_growth: f64 = 0.06, unit "1/year", range [-0.5, 1.0], source "assumption (Li & Zhou 2005)";
        /// Local support level at the start.
        support_initial: f64 = 0.2, unit "0-1", range [0.0, 1.0], source "assumption";
        /// Raise of support per unit of relative shortfall of reported sales (sigma).
        support_raise: f64 = 1.0, unit "1/month", range [0.0, 100.0], source "mechanics.md 1.2";
        /// Monthly decay of support toward its floor when targets are met.
        support_decay: f64 = 0.05, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Floor of support.
        support_floor: f64 = 0.1, unit "0-1", range [0.0, 1.0], source "assumption";
        /// Weight of career concerns: extra pressure per unit of growth gap to peers (b; 0 for robustness).
        career_weight: f64 = 1.0, unit "1", range [0.0, 100.0], source "Li & Zhou 2005; Pang et al. 2023 (b=0)";
        /// Per-unit production subsidy at full support.
        production_subsidy: f64 = 2_500.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "assumption";
        /// Share of capacity investment paid by the local government at full support.
        capital_subsidy_share: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "Barwick, Kalouptsidi & Zahur 2025";
        /// Support per zero-mileage car (warehouses, logistics, promotion) at full support.
        export_support: f64 = 4_000.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "assumption: per-car amounts unpublished (facts.md sec. 3)";
        /// Share of the export-rebate delay cost removed by faster local rebates.
        rebate_acceleration: f64 = 0.6, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Support level above which a licensed government backs zero-mileage exports.
        participation_threshold: f64 = 0.3, unit "0-1", range [0.0, 1.0], source "assumption";
        /// Budget share for production subsidies.
        weight_production: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Budget share for export facilitation.
        weight_export: f64 = 0.25, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Budget share for bailouts.
        weight_bailout: f64 = 0.25, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Local tax take on local automaker revenue.
        tax_share: f64 = 0.03, unit "fraction", range [0.0, 1.0], source "assumption";
        /// National land revenue available for industrial support, split by region size.
        land_revenue: f64 = 4.0e9, unit "yuan/month", range [0.0, 1.0e13], source "assumption";
        /// Initial budget in months of revenue.
        budget_initial_months: f64 = 12.0, unit "months", range [0.0, 240.0], source "assumption";
    }
}

params! {
    /// `[dealers]`: one franchised dealer network per line (docs/model.md sec. 7.2b): it buys
    /// the line's cars at the invoice price (wholesale), holds them on floor-plan credit,
    /// retails them to households and sells surplus stock to zero-mileage traders.
    pub struct DealerParams {
        /// The dealer tier; false runs the model without dealers (automakers retail directly, the model before issue 18).
        enabled: bool = true, unit "-", range [false, true], source "ablation switch (docs/model.md sec. 7.2b)";
        /// Dealer's invoice margin m: list less invoice price, as a share of list (the dealer's gross margin before its own discount, rebates and support).
        invoice_margin: f64 = 0.05, unit "fraction of list", range [0.0, 0.5], source "assumption: 4S-store new-car gross margins of a few per cent before the price war (CADA dealer surveys; docs/model.md sec. 7.2b)";
        /// Share φ of the automaker's street and push discounts beyond the initial one that its invoice price follows; dealers bear the rest (1 = dealers' margin protected).
        discount_pass_through: f64 = 0.85, unit "fraction", range [0.0, 1.0], source "set for dealers' net margin to fall from about +2 % (2019) toward -2 % (2025) (CPCA via SCMP; CADA: 41.7 % of dealers lost money in 2024)";
        /// Stock a dealer network restocks to, in months of its expected retail sales (CADA's inventory coefficient; 0.8-1.2 is CADA's reasonable range).
        target_coefficient: f64 = 1.0, unit "months of retail", range [0.0, 12.0], source "CADA inventory early-warning survey: reasonable coefficient 0.8-1.2";
        /// Most stock a network accepts, in months of expected retail, after this month's retail (floor-plan credit and yard space).
        max_coefficient: f64 = 3.0, unit "months of retail", range [0.0, 24.0], source "assumption (CADA monthly coefficients stayed below 2.5 in 2019-2024)";
        /// Stock a network keeps whatever its expected retail (show-room cars), so that its line stays on offer and its households' orders are seen. 0 (the default) is the tier as calibrated, in which a line whose dealers ran out is not offered, records no orders and is never restocked; 10 ends that trap but brings deep losses in 2028-30 (docs/validation.md, Dealers).
        display_stock: f64 = 0.0, unit "vehicles", range [0.0, 1.0e6], source "assumption (docs/model.md sec. 7.2b); off by default until its late-year losses are understood";
        /// Months of a line's official export orders (last month's) that its automaker keeps at the factory before pushing stock into its dealers: exports are planned output, shipped from the factory, and the push takes only what is left.
        export_reserve_months: f64 = 0.0, unit "months of export orders", range [0.0, 24.0], source "assumption (docs/model.md sec. 7.2b): export production is scheduled at the plant; off (0) by default: at 1 its effect is small (docs/validation.md, Dealers)";
        /// Coefficient above which a network starts to discount on its own account.
        healthy_coefficient: f64 = 1.2, unit "months of retail", range [0.0, 24.0], source "CADA: coefficient above 1.2 is above the reasonable range";
        /// Dealer's own discount per month of stock above the healthy coefficient (fraction of list per month of cover).
        discount_per_month: f64 = 0.02, unit "fraction of list per month", range [0.0, 1.0], source "assumption (docs/model.md sec. 7.2b)";
        /// Largest discount a dealer gives on its own account.
        max_discount: f64 = 0.10, unit "fraction of list", range [0.0, 0.9], source "assumption";
        /// Share of the gap to the target discount closed each month.
        discount_adjustment: f64 = 0.25, unit "1/month", range [0.0, 1.0], source "assumption: slow enough not to start a waiting cycle (docs/model.md sec. 7.2b)";
        /// Weight of this month's household orders in the network's expected retail sales.
        retail_expectation_weight: f64 = 0.3, unit "1", range [0.0, 1.0], source "as automakers.demand_expectation_weight";
        /// Coefficient above which a network sells stock to zero-mileage traders (CADA's warning line).
        export_coefficient: f64 = 1.5, unit "months of retail", range [0.0, 24.0], source "CADA inventory early-warning survey: 1.5 warning line";
        /// Share of the stock above the export coefficient offered to traders each month.
        export_offer_share: f64 = 0.5, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Extra discount to traders below the dealer's retail price (fraction of list).
        export_discount: f64 = 0.02, unit "fraction of list", range [0.0, 0.9], source "assumption";
        /// Rebate the automaker pays per car a network takes above its restocking need (fraction of the invoice price): the reward for taking pushed stock.
        push_rebate: f64 = 0.03, unit "fraction of invoice", range [0.0, 0.5], source "assumption: volume rebates of a few per cent of price (CADA; docs/model.md sec. 7.2b)";
        /// Quarterly sales target of a network above its expected retail (σ; times policy.wholesale_push): T = (1 + ω σ) R per month of the quarter.
        target_stretch: f64 = 0.05, unit "fraction", range [0.0, 5.0], source "assumption: automakers' sales targets above dealers' retail (ACFIC dealers' chamber, June 2025: 'reasonable targets'; docs/model.md sec. 7.2b)";
        /// Rebate an automaker pays on all of a network's quarter's sales (retail and to traders) when they reach the target (β, fraction of the invoice price).
        target_rebate: f64 = 0.02, unit "fraction of invoice", range [0.0, 0.5], source "assumption: target-linked rebates of a few per cent of price, paid only on reaching the target (CADA dealer surveys; ACFIC, June 2025; docs/model.md sec. 7.2b)";
        /// Share of the target rebate a network short of its target passes to traders as a lower price on the cars that close the gap (χ).
        target_pass_through: f64 = 0.5, unit "fraction", range [0.0, 1.0], source "assumption (docs/model.md sec. 7.2b)";
        /// Floor-plan interest rate on the stock's book value.
        floor_plan_rate: f64 = 0.06, unit "1/year", range [0.0, 1.0], source "assumption: Chinese dealer floor-plan loans (docs/model.md sec. 7.2b)";
        /// Operating cost net of after-sales income, as a share of the network's initial monthly retail revenue; fixed per outlet.
        operating_cost_share: f64 = 0.032, unit "fraction of revenue", range [0.0, 1.0], source "set for a net margin of about 2 % in 2019 with the target rebates (CPCA: dealers' average net margin +2 % in 2019, -2 % in 2025, via SCMP)";
        /// New cars retailed per outlet per month at the start (sets the number of outlets).
        sales_per_outlet: f64 = 60.0, unit "vehicles/month/outlet", range [1.0, 1.0e5], source "about 33,000 4S outlets (CADA, 32,878 at end-2024) and 21-23 million retail sales a year (CPCA)";
        /// Initial cash of a network, in months of its fixed operating cost.
        initial_cash_months: f64 = 3.0, unit "months", range [0.0, 240.0], source "assumption";
        /// Highest share of a loss-making network's outlets that close in a month (reached at 3 months of fixed cost in losses).
        exit_rate: f64 = 0.03, unit "1/month", range [0.0, 1.0], source "assumption (CADA: 4,419 of about 33,800 outlets closed in 2024)";
        /// Share of the gap to R / sales_per_outlet outlets that a profitable network opens each month.
        entry_rate: f64 = 0.02, unit "1/month", range [0.0, 1.0], source "assumption (CADA: about 3,500 outlets opened in 2024, net -2.7 %)";
    }
}

params! {
    /// `[exporters]`: traders who buy new cars, register them, hold and ship them abroad.
    pub struct ExporterParams {
        /// Potential traders (active or not).
        pool: usize = 5_000, unit "traders", range [0, 1_000_000], source "facts.md sec. 3 (3,000-4,000 sellers)";
        /// Mean monthly purchase scale of a trader.
        scale_mean: f64 = 9.0, unit "vehicles/month", range [0.0, 1.0e6], source "assumption";
        /// Log-sd of trader scales.
        scale_sigma: f64 = 0.8, unit "log points", range [0.0, 5.0], source "assumption";
        /// Highest monthly entry probability of a licensed inactive trader.
        entry_rate: f64 = 0.015, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Imitation term of trader entry (Bass 1969): extra entry odds per unit share of licensed traders already active (word of mouth, copied routes).
        imitation: f64 = 0.0, unit "1/month", range [0.0, 10.0], source "assumption (facts.md sec. 3: thousands of traders entered)";
        /// Highest monthly exit probability of an active trader.
        exit_rate: f64 = 0.1, unit "1/month", range [0.0, 1.0], source "assumption";
        /// Margin (share of purchase price) at which entry and exit balance (m0).
        margin_threshold: f64 = 0.05, unit "fraction", range [-1.0, 1.0], source "assumption";
        /// Slope of purchase, entry and exit probabilities in the margin share (beta_x).
        margin_sensitivity: f64 = 30.0, unit "1", range [0.0, 1000.0], source "assumption";
        /// Memory of a trader's realised-margin average.
        margin_memory: f64 = 0.7, unit "1", range [0.0, 0.99], source "assumption";
        /// Highest extra rebate an automaker gives exporters, at a full target gap (r_max).
        rebate_max: f64 = 0.12, unit "fraction of list", range [0.0, 0.9], source "facts.md sec. 3 (20-30% below new)";
        /// Sensitivity of exporters' sourcing to automakers' rebates.
        rebate_attraction: f64 = 10.0, unit "1", range [0.0, 1000.0], source "assumption";
        /// Registration and insurance cost per car.
        registration_cost: f64 = 3_000.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "assumption";
        /// Sensitivity of traders' sourcing to a line's expected margin abroad (split powertrains): each line's pull is multiplied by exp(this x its margin share at the traders' destinations).
        sourcing_margin_weight: f64 = 4.0, unit "1", range [0.0, 1000.0], source "assumption";
        /// Export VAT rebate on the purchase price.
        export_vat_rebate: f64 = 0.10, unit "fraction", range [0.0, 1.0], source "facts.md sec. 3 (~13%, weak)";
        /// Share of the VAT rebate lost to slow refunds without local acceleration.
        rebate_delay_cost: f64 = 0.4, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Financing cost of held cars.
        financing_rate: f64 = 0.08, unit "1/year", range [0.0, 1.0], source "assumption";
        /// Depreciation of a held car.
        depreciation: f64 = 0.008, unit "1/month", range [0.0, 0.5], source "assumption";
        /// Shipping months from release to sale abroad.
        transit_months: u32 = 1, unit "months", range [0, 12], source "assumption";
        /// Discount foreign buyers demand for a "used" zero-mileage car (zeta_f).
        foreign_discount: f64 = 0.15, unit "fraction", range [0.0, 0.9], source "Yicai: 0.1-0.2";
        /// Lowest price, as a share of cost basis, at which traders sell zero-mileage stock abroad (else they hold it).
        reservation_share: f64 = 0.7, unit "fraction of cost", range [0.0, 2.0], source "assumption";
        /// Entry-odds multiplier for traders in regions whose government backs zero-mileage exports (licences, promotion).
        support_entry_boost: f64 = 2.0, unit "1", range [0.0, 100.0], source "facts.md sec. 3 (local licences and promotion); assumption";
        /// Monthly probability a trader re-chooses its destination market.
        destination_revision: f64 = 0.2, unit "1/month", range [0.0, 1.0], source "assumption";
    }
}

params! {
    /// `[[markets]]`: a foreign market for Chinese new cars and zero-mileage "used" cars.
    pub struct MarketParams {
        /// Identifier, used in metric names (`exports_<id>`) and events.
        id: String = "market".to_string(), unit "-", range [String::new(), String::new()], source "-";
        /// Size of the whole car market.
        market_size: f64 = 100_000.0, unit "vehicles/month", range [0.0, 1.0e9], source "assumption";
        /// Share of Chinese new cars at the start (at initial landed prices).
        cn_share_initial: f64 = 0.05, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Yearly growth of acceptance of Chinese brands.
        acceptance_growth: f64 = 0.2, unit "1/year", range [-0.9, 5.0], source "assumption";
        /// Highest share of Chinese new cars.
        share_cap: f64 = 0.6, unit "fraction", range [0.0, 1.0], source "facts.md sec. 4 (over half of Russia)";
        /// Price elasticity of demand for Chinese new cars (eps_k).
        elasticity: f64 = 3.0, unit "1", range [0.0, 20.0], source "mechanics.md 1.5: 2-5";
        /// Price of the alternative car abroad relative to the initial Chinese mean list price.
        alt_price_ratio: f64 = 1.4, unit "1", range [0.01, 100.0], source "assumption";
        /// Ad-valorem duty at the start.
        tariff: f64 = 0.15, unit "fraction", range [0.0, 10.0], source "assumption";
        /// Per-car fee at the start (e.g. Russia's recycling fee).
        fee: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e7], source "assumption";
        /// Demand for zero-mileage cars at parity with the alternative price.
        zero_mileage_demand: f64 = 5_000.0, unit "vehicles/month", range [0.0, 1.0e9], source "assumption";
        /// Price elasticity of zero-mileage demand.
        zero_mileage_elasticity: f64 = 5.0, unit "1", range [0.1, 50.0], source "mechanics.md 1.5: 5-10";
        /// Shipping cost as a share of the purchase price.
        shipping_share: f64 = 0.05, unit "fraction", range [0.0, 1.0], source "mechanics.md 1.3: 3-8%";
        /// Tariff rise per unit of Chinese share above the threshold, per month (phi_k).
        backlash_strength: f64 = 0.05, unit "1/month", range [0.0, 10.0], source "assumption";
        /// Chinese share above which backlash builds (sbar_k).
        backlash_threshold: f64 = 0.4, unit "fraction", range [0.0, 1.0], source "assumption";
        /// Highest tariff that backlash can add.
        backlash_max: f64 = 0.5, unit "fraction", range [0.0, 10.0], source "assumption";
        /// Value of a Chinese NEV to this market's buyers relative to a comparable ICE car (split powertrains): the zero-mileage price of an NEV is this share of an ICE car's, and NEV lines' weight in new-car orders is multiplied by it (1 = indifferent).
        nev_value_ratio: f64 = 1.0, unit "1", range [0.0, 5.0], source "assumption from fuel prices and charging (docs/model.md sec. 7.6)";
    }
}

params! {
    /// `[policy]`: national policy in force at the start; `[[events]]` change it at dates.
    pub struct PolicyParams {
        /// Regions licensed for used-car exports (regions are licensed in order of size).
        licensed_regions: u32 = 0, unit "regions", range [0, 250], source "facts.md sec. 3";
        /// Minimum months between registration and export.
        min_holding_months: u32 = 0, unit "months", range [0, 60], source "facts.md sec. 3";
        /// Months after registration within which export needs a manufacturer confirmation.
        documentation_months: u32 = 0, unit "months", range [0, 60], source "MOFCOM Notice 648";
        /// Cost of a manufacturer confirmation.
        documentation_cost: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "assumption";
        /// Share of early exports for which manufacturers issue the confirmation.
        confirmation_rate: f64 = 1.0, unit "fraction", range [0.0, 1.0], source "assumption";
        /// National cap on zero-mileage registrations for export (0 = ban).
        zero_mileage_quota: f64 = f64::INFINITY, unit "vehicles/month", range [0.0, f64::INFINITY], source "policy lever";
        /// Sales below cost are banned.
        below_cost_ban: bool = false, unit "-", range [false, true], source "draft Price Law, Jul 2025";
        /// The ban's cost basis: "variable_cost" (c) or "full_cost_planned" (c + fixed cost / max(planned output, below_cost_normal_utilization x capacity)).
        below_cost_basis: CostBasis = CostBasis::VariableCost, unit "-", range [CostBasis::VariableCost, CostBasis::FullCostPlanned], source "State Planning Commission 1999 cost rules for low-price dumping, Jijiage (1999) 177 Art. 4 (manufacturing cost + period expenses); docs/model.md sec. 7.1";
        /// Normal utilisation u_n: the full-cost basis spreads fixed cost over at least u_n x capacity (normal-capacity allocation of fixed overheads).
        below_cost_normal_utilization: f64 = 0.8, unit "fraction", range [0.05, 1.0], source "IAS 2 para. 13 / CAS 1 normal capacity; 0.75-0.85 normal utilisation (docs/model.md sec. 7.1)";
        /// Share of a banned cut that still happens off the invoice as hidden discounts (free insurance, financing).
        below_cost_leakage: f64 = 0.3, unit "fraction", range [0.0, 1.0], source "assumption (docs/model.md sec. 7.1)";
        /// Cap on supplier payment days.
        payment_days_cap: f64 = f64::INFINITY, unit "days", range [0.0, f64::INFINITY], source "60-day pledge, Jun 2025";
        /// Scrapping subsidy (报废更新) for an NEV bought by an owner who scraps a car registered before `trade_in_scrap_before`.
        trade_in_nev: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "MOFCOM et al., Detailed Rules on Auto Trade-in Subsidies, Apr 2024 (10k); raised to 20k on 25 Jul 2024 (Fagai Huanzi (2024) No. 1104); kept for 2025 (Fagai Huanzi (2025) No. 13, Shangban Xiaofeihan (2025) No. 8)";
        /// Scrapping subsidy for an ICE car (flat amounts; see `trade_in_nev`).
        trade_in_ice: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "MOFCOM et al., Apr 2024 (7k); raised to 15k on 25 Jul 2024";
        /// Scrapping subsidy as a share of price (used instead of the flat amounts when > 0).
        trade_in_price_share: f64 = 0.0, unit "fraction", range [0.0, 1.0], source "2026 trade-in rules: 12% of price (facts.md sec. 3)";
        /// Cap of the price-share scrapping subsidy.
        trade_in_cap: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "2026 trade-in rules: cap 20k (facts.md sec. 3)";
        /// Scrapping cut-off: a car bought before this month qualifies (petrol China III or below: China IV was required of new light petrol cars nationwide from 2011-07).
        trade_in_scrap_before: YearMonth = YearMonth { year: 2011, month: 7 }, unit "month", range [YearMonth { year: 1990, month: 1 }, YearMonth { year: 2100, month: 12 }], source "MOFCOM et al., Apr 2024 and Shangban Xiaofeihan (2025) No. 8 (China III petrol); GB 18352.3-2005 phase IV, nationwide for new light petrol cars from 1 Jul 2011";
        /// Replacement subsidy (置换更新) for an NEV bought by any owner who sells a car (local schemes).
        trade_in_replace_nev: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "provincial replacement rules 2024 (up to 15k NEV)";
        /// Replacement subsidy for an ICE car (local schemes).
        trade_in_replace_ice: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "provincial replacement rules 2024 (up to 10k ICE); 2025: up to 13k (Shangban Xiaofeihan (2025) No. 8)";
        /// Share of replacing owners of a car too young to scrap who sell it in the scheme and claim the replacement subsidy (local quotas, sale and registration in the province).
        trade_in_replace_take_up: f64 = 1.0, unit "fraction", range [0.0, 1.0], source "calibrated: MOFCOM 2024 replacement claims, 3.7 million (SCIO press conference, Jan 2025)";
        /// Central government's share of trade-in subsidy money (the rest is paid by the buyer's home local government).
        trade_in_central_share: f64 = 0.9, unit "fraction", range [0.0, 1.0], source "NDRC and MOF, Measures to Step Up Support for Large-Scale Equipment Renewal and Consumer Goods Trade-ins (Fagai Huanzi (2024) No. 1104, 25 Jul 2024): ultra-long special treasury bond funds shared central:local about 9:1 overall";
        /// National NEV purchase subsidy per EV.
        nev_purchase_subsidy: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "ended Dec 2022 (facts.md sec. 2)";
        /// Multiplier of every retail transaction price (`retail_price_factor` events; a measurement lever).
        retail_price_factor: f64 = 1.0, unit "1", range [0.1, 10.0], source "measurement lever (docs/validation.md)";
        /// Purchase tax on ICE cars, as a share of the VAT-inclusive price (10 % of the pre-VAT price: 0.10 / 1.13); paid by households (split powertrains) and by traders at registration.
        ice_purchase_tax: f64 = 0.0885, unit "fraction", range [0.0, 1.0], source "Vehicle Purchase Tax Law of the PRC (2019), 10 %";
        /// Share of traders' NEV purchases blocked by the pure-EV export licence (`nev_export_licence` events).
        nev_export_blocked: f64 = 0.0, unit "fraction", range [0.0, 1.0], source "MOFCOM announcement, Sep 2025 (from Jan 2026)";
        /// Purchase tax on NEVs.
        nev_purchase_tax: f64 = 0.0, unit "fraction", range [0.0, 1.0], source "halved exemption from 2026 (facts.md sec. 3)";
        /// Cap on local per-unit production and export support.
        local_subsidy_cap: f64 = f64::INFINITY, unit "yuan/vehicle", range [0.0, f64::INFINITY], source "policy lever";
        /// No bailouts (hard budget constraint).
        hard_budget: bool = false, unit "-", range [false, true], source "Kornai et al. 2003; policy lever";
        /// Share of the production pushed toward local targets that automakers also push into their dealers' stock (`dealer_relief` events).
        wholesale_push: f64 = 1.0, unit "fraction", range [0.0, 1.0], source "policy lever: dealers' associations asked for lower wholesale targets in 2024-25 (docs/model.md sec. 7.2b)";
        /// Support an automaker pays its dealers per car retailed (`dealer_relief` events).
        dealer_support: f64 = 0.0, unit "yuan/vehicle", range [0.0, 1.0e6], source "policy lever (dealer compensation, 2024-25)";
    }
}

/// The five default foreign markets of the baseline.
pub fn default_markets() -> Vec<MarketParams> {
    let m = |id: &str, size: f64, share: f64, growth: f64, alt: f64, tariff: f64, zmd: f64, ship: f64| MarketParams {
        id: id.to_string(),
        market_size: size,
        cn_share_initial: share,
        acceptance_growth: growth,
        alt_price_ratio: alt,
        tariff,
        zero_mileage_demand: zmd,
        shipping_share: ship,
        ..MarketParams::default()
    };
    let mut markets = vec![
        m("russia", 150_000.0, 0.05, 0.15, 1.45, 0.15, 800.0, 0.05),
        m("central_asia", 40_000.0, 0.07, 0.25, 1.35, 0.10, 600.0, 0.04),
        m("middle_east", 250_000.0, 0.04, 0.28, 1.30, 0.05, 1_000.0, 0.06),
        m("africa", 120_000.0, 0.07, 0.30, 1.30, 0.20, 500.0, 0.07),
        m("rest_of_world", 5_000_000.0, 0.007, 0.30, 1.20, 0.10, 300.0, 0.06),
    ];
    markets[4].share_cap = 0.08;
    for (m, ratio) in markets.iter_mut().zip([0.6, 1.0, 0.9, 0.7, 1.0]) {
        m.nev_value_ratio = ratio;
    }
    markets
}
