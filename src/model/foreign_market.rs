//! Foreign markets: demand for Chinese new cars (CES share against alternatives) and for
//! zero-mileage "used" cars (a price that falls with volume), tariffs and fees with dated
//! schedule changes, and an endogenous backlash when Chinese volumes surge.

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
    /// Realised margin on them (yuan, total).
    pub zm_margin: f64,
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
            zm_margin: 0.0,
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
        self.zm_margin = 0.0;
        if self.stock.qty <= 1e-9 || scale <= 0.0 {
            return;
        }
        let s = self.stock.qty;
        let clear = self.alt_price * (s / scale).powf(-1.0 / p.zero_mileage_elasticity);
        let floor = reservation_share * self.stock.cost / s;
        let price = clear.min(cap).max(floor.min(cap));
        let demand = scale * (price / self.alt_price).powf(-p.zero_mileage_elasticity);
        let sold = demand.min(s);
        let lot = self.stock.take_share(sold / s);
        self.zm_price = price;
        self.zm_sold = lot.qty;
        self.zm_margin = lot.qty * price - lot.cost;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
