//! Foreign markets: demand for Chinese new cars (CES share against alternatives) and for
//! zero-mileage "used" cars (a price that falls with volume), tariffs and fees with dated
//! schedule changes, and an endogenous backlash when Chinese volumes surge.

use super::automaker::Automaker;
use super::policy::MarketSchedule;
use crate::scenario::MarketParams;

/// Cars in transit or stock abroad with their cost basis.
#[derive(Debug, Clone, Default)]
pub struct Lot {
    /// Vehicles.
    pub qty: f64,
    /// Cost basis of all of them (yuan).
    pub cost: f64,
    /// EV vehicles among them.
    pub ev: f64,
}

impl Lot {
    /// Adds another lot.
    pub fn add(&mut self, o: &Lot) {
        self.qty += o.qty;
        self.cost += o.cost;
        self.ev += o.ev;
    }

    /// Removes share `f` of the lot and returns it.
    pub fn take_share(&mut self, f: f64) -> Lot {
        let f = f.clamp(0.0, 1.0);
        let out = Lot { qty: self.qty * f, cost: self.cost * f, ev: self.ev * f };
        self.qty -= out.qty;
        self.cost -= out.cost;
        self.ev -= out.ev;
        out
    }
}

/// State of one foreign market.
#[derive(Debug, Clone)]
pub struct ForeignMarket {
    /// Duty from the schedule (parameters and `tariff` events) this month.
    pub scheduled_tariff: f64,
    /// Per-car fee from the schedule this month (yuan).
    pub fee: f64,
    /// Duty added by backlash so far.
    pub backlash: f64,
    /// Demand multiplier from `foreign_demand_shift` events this month.
    pub shift: f64,
    /// Landed price of Chinese new cars at the start (yuan), the CES reference.
    pub landed0: f64,
    /// Price of the alternative car (yuan).
    pub alt_price: f64,
    /// Zero-mileage cars shipped and not yet arrived, by months to arrival (index 0 = now).
    pub transit: Vec<Lot>,
    /// Zero-mileage cars arrived and unsold.
    pub stock: Lot,
    /// Last price a zero-mileage car fetched (yuan).
    pub zm_price: f64,
    /// New cars exported here this month.
    pub new_exports: f64,
    /// Zero-mileage cars shipped here this month.
    pub zm_shipped: f64,
    /// Zero-mileage cars sold here this month.
    pub zm_sold: f64,
    /// NEVs among them.
    pub zm_sold_ev: f64,
    /// Realised margin on them (yuan, total).
    pub zm_margin: f64,
    /// Value of an NEV to this market's buyers relative to an ICE car (r; 1 with a single
    /// powertrain): zero-mileage cars clear in ICE-equivalent units, an NEV counting r.
    pub nev_value: f64,
}

impl ForeignMarket {
    /// Initial state given the initial mean Chinese list and export prices.
    pub fn new(p: &MarketParams, list_mean: f64, export_price: f64, foreign_discount: f64) -> Self {
        let mut m = ForeignMarket {
            scheduled_tariff: p.tariff,
            fee: p.fee,
            backlash: 0.0,
            shift: 1.0,
            landed0: 0.0,
            alt_price: 0.0,
            transit: vec![Lot::default(); 13],
            stock: Lot::default(),
            zm_price: 0.0,
            new_exports: 0.0,
            zm_shipped: 0.0,
            zm_sold: 0.0,
            zm_sold_ev: 0.0,
            zm_margin: 0.0,
            nev_value: 1.0,
        };
        m.set_references(p, list_mean, export_price, foreign_discount);
        m
    }

    /// Sets the initial reference prices from the mean Chinese list and export prices: the
    /// alternative car's price, the CES reference landed price and the first zero-mileage price.
    pub fn set_references(&mut self, p: &MarketParams, list_mean: f64, export_price: f64, foreign_discount: f64) {
        self.alt_price = p.alt_price_ratio * list_mean;
        self.landed0 = export_price * (1.0 + p.tariff) + p.fee;
        self.zm_price = self.alt_price * (1.0 - foreign_discount);
    }

    /// Value of a car with EV share `ev_share` in ICE-equivalent units: 1 - e + r e.
    pub fn car_value(&self, ev_share: f64) -> f64 {
        if self.nev_value == 1.0 {
            1.0
        } else {
            1.0 - ev_share + self.nev_value * ev_share
        }
    }

    /// Puts this month's schedule (phase 1) in force.
    pub fn apply_schedule(&mut self, s: &MarketSchedule) {
        self.scheduled_tariff = s.tariff;
        self.fee = s.fee;
        self.shift = s.shift;
    }

    /// Zero-mileage cars shipped here this month: they arrive after `transit_months` (capped
    /// at the last transit slot).
    pub fn ship(&mut self, lot: Lot, transit_months: u32) {
        self.zm_shipped = lot.qty;
        let slot = (transit_months as usize).min(self.transit.len() - 1);
        self.transit[slot].add(&lot);
    }

    /// Duty in force.
    pub fn tariff(&self) -> f64 {
        self.scheduled_tariff + self.backlash
    }

    /// Acceptance of Chinese brands relative to the start.
    pub fn acceptance(p: &MarketParams, years: f64) -> f64 {
        (1.0 + p.acceptance_growth).powf(years)
    }

    /// Demand for Chinese new cars at mean export price `price` (vehicles/month):
    /// size x min(cap, share0 x acceptance x shift x (landed / landed0)^-eps).
    pub fn new_car_demand(&self, p: &MarketParams, years: f64, price: f64) -> f64 {
        let landed = price * (1.0 + self.tariff()) + self.fee;
        let share =
            p.cn_share_initial * Self::acceptance(p, years) * self.shift * (landed / self.landed0).powf(-p.elasticity);
        p.market_size * share.min(p.share_cap)
    }

    /// Clears the zero-mileage market: arrivals join the stock; buyers take
    /// `D(p) = demand x accept x shift x (p / alt)^-eps_z` at a price between the sellers' floor
    /// (`reservation_share` of cost) and the used-car cap `alt (1 - zeta_f)`.
    pub fn clear_zero_mileage(&mut self, p: &MarketParams, years: f64, foreign_discount: f64, reservation_share: f64) {
        let arrived = self.transit.remove(0);
        self.transit.push(Lot::default());
        self.stock.add(&arrived);
        let scale = p.zero_mileage_demand
            * (Self::acceptance(p, years) * self.shift).min(p.share_cap / p.cn_share_initial.max(1e-9));
        let cap = self.alt_price * (1.0 - foreign_discount);
        self.zm_sold = 0.0;
        self.zm_sold_ev = 0.0;
        self.zm_margin = 0.0;
        if self.stock.qty <= 1e-9 || scale <= 0.0 {
            return;
        }
        // Stock in ICE-equivalent units (an NEV counts r); prices are per unit.
        let s = if self.nev_value == 1.0 {
            self.stock.qty
        } else {
            self.stock.qty - self.stock.ev * (1.0 - self.nev_value)
        };
        if s <= 1e-9 {
            return;
        }
        let clear = self.alt_price * (s / scale).powf(-1.0 / p.zero_mileage_elasticity);
        let floor = reservation_share * self.stock.cost / s;
        let price = clear.min(cap).max(floor.min(cap));
        let demand = scale * (price / self.alt_price).powf(-p.zero_mileage_elasticity);
        let sold = demand.min(s);
        let lot = self.stock.take_share(sold / s);
        self.zm_price = price;
        self.zm_sold = lot.qty;
        self.zm_sold_ev = lot.ev;
        // Revenue on the units sold (the cars themselves without an NEV discount).
        let units = if self.nev_value == 1.0 { lot.qty } else { sold };
        self.zm_margin = units * price - lot.cost;
    }

    /// Backlash: duty rises by phi x (Chinese share - threshold)+ per month, up to its maximum.
    pub fn update_backlash(&mut self, p: &MarketParams) {
        if p.market_size <= 0.0 {
            return;
        }
        let share = (self.new_exports + self.zm_sold) / p.market_size;
        self.backlash =
            (self.backlash + p.backlash_strength * (share - p.backlash_threshold).max(0.0)).min(p.backlash_max);
    }
}

/// Foreign buyers' choice among Chinese groups for official exports (phase 6, docs/model.md
/// §7.6): CES over active firms with weights w_i = capacity × export orientation and
/// substitution elasticity `sigma`. Returns the price index the foreign demand responds to,
/// P = p̄ (Σ w_i r_i^(1−σ) / Σ w_i)^(1/(1−σ)), and each firm's share of orders,
/// w_i r_i^(−σ) / Σ w_j r_j^(−σ) (0 for inactive firms), where r_i = p_i / p̄ is the transaction
/// price relative to the w-weighted mean p̄. σ = 0 splits by weight at the mean price. `None`
/// without such capacity.
pub fn export_split(automakers: &[Automaker], sigma: f64) -> Option<(f64, Vec<f64>)> {
    let weights: Vec<f64> =
        automakers.iter().map(|a| if a.active { a.capacity * a.export_orientation } else { 0.0 }).collect();
    let w_sum: f64 = weights.iter().sum();
    if w_sum <= 0.0 {
        return None;
    }
    let mean = automakers.iter().zip(&weights).map(|(a, w)| w * a.factory_price()).sum::<f64>() / w_sum;
    if mean <= 0.0 {
        return None;
    }
    // Relative prices, floored so that a zero price (a 100 % discount) gives a finite pull, not
    // inf or NaN.
    let rel: Vec<f64> = automakers.iter().map(|a| (a.factory_price() / mean).max(1e-6)).collect();
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

/// Phase 6, official new-car exports: foreign demand at the CES price index of
/// [`export_split`] (`p_ref` without export capacity), split over the groups, each delivering
/// what its stock allows; every market gets the same fill. Returns the cars exported.
pub fn official_exports(
    markets: &mut [ForeignMarket],
    params: &[MarketParams],
    firms: &mut [Automaker],
    sigma: f64,
    years: f64,
    p_ref: f64,
) -> f64 {
    let split = export_split(firms, sigma);
    let export_price = split.as_ref().map_or(p_ref, |(index, _)| *index);
    let demand: Vec<f64> =
        markets.iter().zip(params).map(|(m, mp)| m.new_car_demand(mp, years, export_price)).collect();
    let demand_total: f64 = demand.iter().sum();
    let mut exported = 0.0;
    for a in firms.iter_mut() {
        a.export_orders_last = 0.0;
    }
    if let Some((_, shares)) = split.filter(|_| demand_total > 0.0) {
        for (a, share) in firms.iter_mut().zip(shares).filter(|(a, _)| a.active) {
            let ordered = demand_total * share;
            a.orders += ordered;
            a.export_orders_last = ordered;
            let x = ordered.min(a.inventory);
            a.export_sales = x;
            a.inventory -= x;
            a.revenue += x * a.factory_price();
            exported += x;
        }
    }
    let fill = if demand_total > 0.0 { exported / demand_total } else { 0.0 };
    for (m, d) in markets.iter_mut().zip(&demand) {
        m.new_exports = d * fill;
    }
    exported
}

/// Zero-mileage cars sold abroad this month, all markets.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ZeroMileageSales {
    /// Cars sold (vehicles).
    pub sold: f64,
    /// Traders' realised margin on them (yuan, total).
    pub margin: f64,
}

/// Phase 7a: unsold stock abroad accrues the monthly holding cost `carry`; every market clears
/// its zero-mileage cars ([`ForeignMarket::clear_zero_mileage`]) and updates its backlash.
pub fn clear_all(
    markets: &mut [ForeignMarket],
    params: &[MarketParams],
    years: f64,
    foreign_discount: f64,
    reservation_share: f64,
    carry: f64,
) -> ZeroMileageSales {
    let mut total = ZeroMileageSales::default();
    for (m, mp) in markets.iter_mut().zip(params) {
        m.stock.cost *= 1.0 + carry;
        m.clear_zero_mileage(mp, years, foreign_discount, reservation_share);
        total.sold += m.zm_sold;
        total.margin += m.zm_margin;
        m.update_backlash(mp);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{automaker, rng, rng::purpose};
    use crate::scenario::AutomakerParams;

    #[test]
    fn zero_mileage_price_falls_with_volume_and_stock_carries_over() {
        let p = MarketParams::default();
        let mut small = ForeignMarket::new(&p, 150_000.0, 135_000.0, 0.15);
        let mut big = small.clone();
        small.transit[0] = Lot { qty: 100.0, cost: 100.0 * 100_000.0, ev: 0.0 };
        // A glut bought dear: the clearing price would fall below the sellers' floor.
        big.transit[0] = Lot { qty: 500_000.0, cost: 500_000.0 * 180_000.0, ev: 0.0 };
        small.clear_zero_mileage(&p, 0.0, 0.15, 0.7);
        big.clear_zero_mileage(&p, 0.0, 0.15, 0.7);
        assert!(big.zm_price < small.zm_price, "{} vs {}", big.zm_price, small.zm_price);
        assert!(big.stock.qty > 0.0, "a glut leaves unsold stock abroad");
        assert!((big.stock.qty + big.zm_sold - 500_000.0).abs() < 1e-6);
        assert!((big.zm_price - 0.7 * 180_000.0).abs() < 1e-6, "the floor binds");
    }

    #[test]
    fn backlash_rises_only_above_threshold_and_is_capped() {
        let p = MarketParams { backlash_strength: 1.0, backlash_max: 0.3, ..MarketParams::default() };
        let mut m = ForeignMarket::new(&p, 150_000.0, 135_000.0, 0.15);
        m.new_exports = 0.1 * p.market_size;
        m.update_backlash(&p);
        assert_eq!(m.backlash, 0.0);
        m.new_exports = 0.9 * p.market_size;
        m.update_backlash(&p);
        m.update_backlash(&p);
        assert!((m.backlash - 0.3).abs() < 1e-12);
    }

    /// Three active groups with weights (capacity x orientation) 1, 2, 1 and transaction
    /// prices 80, 100, 120, and an inactive fourth (weight 5, price 10).
    fn groups() -> Vec<Automaker> {
        let p = AutomakerParams {
            count: 4,
            powertrains: crate::scenario::Powertrains::Single,
            ..AutomakerParams::default()
        };
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
