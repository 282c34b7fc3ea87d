//! Rationing of the month's demand (docs/model.md §7.3): which buyers are served, and what the
//! served buyers gain (surplus) and receive (trade-in subsidies), counted where they buy.

use super::{chunk_jobs, ChunkJob, Consumers, Executor, ELIGIBLE, NO_CHOICE, OWNER};
use crate::model::rng::{self, purpose};

/// The served buyers of one month (or of one chunk), in agent units (one agent, not the
/// households it represents).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Served {
    /// Agents served per brand.
    pub count: Vec<u32>,
    /// Realised surplus per brand: Σ (valuation − price paid) over its served agents (yuan).
    pub surplus: Vec<f64>,
    /// Trade-in subsidies of the served agents, `[region * brands + brand]` (yuan): the
    /// non-owner price less the trade-in price for each eligible buyer.
    pub trade_in: Vec<f64>,
}

impl Served {
    /// Nothing served yet, over `brands` brands and `regions` home regions.
    pub fn new(brands: usize, regions: usize) -> Self {
        Served { count: vec![0; brands], surplus: vec![0.0; brands], trade_in: vec![0.0; brands * regions] }
    }

    /// Adds another chunk's buyers (fixed chunk order keeps sums reproducible).
    fn merge(&mut self, o: &Served) {
        for (a, b) in self.count.iter_mut().zip(&o.count) {
            *a += b;
        }
        for (a, b) in self.surplus.iter_mut().zip(&o.surplus) {
            *a += b;
        }
        for (a, b) in self.trade_in.iter_mut().zip(&o.trade_in) {
            *a += b;
        }
    }
}

/// Deterministic rationing: a buyer of brand j is served iff its counter-based uniform is below
/// the fill ratio of j. Served buyers own a new car; unserved ones stay in the market. A served
/// buyer pays `prices[eligible][j]` (the tables' prices, [`super::ChoiceTables::price`]); its
/// surplus is its valuation less that price (positive: households buy only with positive
/// surplus), and an eligible buyer's trade-in subsidy is `prices[0][j] − prices[1][j]`, booked
/// to its home region (`regions` of them). Returns the served agents, their surplus and subsidies.
pub fn settle(
    c: &mut Consumers,
    fill: &[f64],
    prices: &[Vec<f32>; 2],
    regions: usize,
    key: u64,
    month: u64,
    exec: &dyn Executor,
) -> Served {
    let brands = fill.len();
    let mut jobs = chunk_jobs(c, 0);
    exec.for_each(&mut jobs, &|job: &mut ChunkJob<'_>| {
        let mut served = Served::new(brands, regions);
        let c = &mut job.slice;
        for i in 0..c.choice.len() {
            let j = c.choice[i];
            if j == NO_CHOICE {
                continue;
            }
            let j = j as usize;
            let f = fill[j];
            let global = (job.start + i) as u64;
            let ok = f >= 1.0 || rng::hashed_uniform(key, purpose::RATIONING, month, global) < f;
            if ok {
                let eligible = c.flags[i] & ELIGIBLE != 0;
                let paid = prices[eligible as usize].get(j).copied().unwrap_or(0.0);
                served.count[j] += 1;
                served.surplus[j] += (c.valuation[i] - paid) as f64;
                if eligible {
                    let subsidy = prices[0].get(j).copied().unwrap_or(0.0) - paid;
                    let r = (c.region[i] as usize).min(regions.saturating_sub(1));
                    served.trade_in[r * brands + j] += subsidy as f64;
                }
                c.flags[i] = (c.flags[i] | OWNER) & !ELIGIBLE;
                c.age[i] = 0;
                c.waited[i] = 0;
            } else {
                c.waited[i] = c.waited[i].saturating_add(1);
            }
        }
        job.served = served;
    });
    let mut served = Served::new(brands, regions);
    for job in &jobs {
        served.merge(&job.served);
    }
    served
}

#[cfg(test)]
mod tests {
    use super::super::Sequential;
    use super::*;
    use crate::scenario::ConsumerParams;

    #[test]
    fn rationing_serves_everyone_at_full_fill_and_the_drawn_share_otherwise() {
        let p = ConsumerParams { agents: 20_000, ..ConsumerParams::default() };
        let mut c = Consumers::new(&p, &[1.0], 5);
        for (i, ch) in c.choice.iter_mut().enumerate() {
            *ch = (i % 2) as u8;
        }
        c.waited.iter_mut().for_each(|w| *w = 3);
        let prices = [vec![0.0; 2], vec![0.0; 2]];
        let served = settle(&mut c, &[1.0, 0.25], &prices, 1, 5, 0, &Sequential).count;
        assert_eq!(served[0], 10_000);
        let rate = served[1] as f64 / 10_000.0;
        assert!((rate - 0.25).abs() < 0.02, "served share {rate}");
        let owners_new = (0..c.len()).filter(|&i| c.waited[i] == 0 && c.age[i] == 0 && c.flags[i] & OWNER != 0).count();
        assert_eq!(owners_new as u32, served[0] + served[1], "a served buyer owns a new car and leaves the market");
        assert!((0..c.len()).filter(|&i| c.waited[i] == 4).count() as u32 == 10_000 - served[1]);
    }

    /// Every served buyer has positive surplus (households buy only when valuation exceeds the
    /// price they face), so the per-brand sums are positive too, over many months and owners.
    #[test]
    fn every_served_buyer_has_positive_surplus() {
        use super::super::{build_tables, decide_all, hazard_table, ChoiceTables, MarketSignals, Offer};
        let p = ConsumerParams { agents: 20_000, ..ConsumerParams::default() };
        let mut c = Consumers::new(&p, &[1.0, 2.0], 9);
        let offer = |price: f64, trade_in: f64, region: usize| Offer {
            available: true,
            region,
            price,
            owner_price: price - trade_in,
            appeal: 0.0,
            zero_mileage_share: 0.0,
            nev: false,
        };
        let offers = [offer(150_000.0, 20_000.0, 0), offer(90_000.0, 15_000.0, 1), offer(300_000.0, 0.0, 0)];
        let mut tables = ChoiceTables::default();
        build_tables(&p, &offers, 2, 150_000.0, None, &mut tables);
        let hazard = hazard_table(&p);
        let signals = MarketSignals {
            pi_last: -0.01,
            trend_forecast: -0.01,
            trend_probability: 0.3,
            valuation_mean: 1.2 * 150_000.0,
            hazard: &hazard,
            trade_in_min_age: 60.0,
            entry_factor: 3.0,
        };
        let mut buyers = 0;
        for month in 0..6 {
            decide_all(&p, &signals, &tables, &mut c, 9, month, &Sequential);
            for i in 0..c.len() {
                let j = c.choice[i];
                if j == NO_CHOICE {
                    continue;
                }
                let paid = tables.price[(c.flags[i] & ELIGIBLE != 0) as usize][j as usize];
                assert!(c.valuation[i] - paid > 0.0, "agent {i}: valuation {} price {paid}", c.valuation[i]);
                buyers += 1;
            }
            let s = settle(&mut c, &[1.0, 0.5, 1.0], &tables.price, 2, 9, month, &Sequential);
            assert!(s.surplus.iter().zip(&s.count).all(|(x, &n)| x.is_finite() && (n == 0 || *x > 0.0)), "{s:?}");
            assert!(s.trade_in.iter().all(|&t| t >= 0.0));
        }
        assert!(buyers > 100, "{buyers} buyers");
    }

    /// Surplus is valuation − price paid; an eligible buyer pays the trade-in price and its
    /// subsidy (non-owner price − trade-in price) is booked to its home region.
    #[test]
    fn settle_counts_surplus_and_trade_ins_by_home_region() {
        let p = ConsumerParams { agents: 3, ..ConsumerParams::default() };
        let mut c = Consumers::new(&p, &[1.0, 1.0], 5);
        c.valuation.copy_from_slice(&[100.0, 120.0, 90.0]);
        c.choice.copy_from_slice(&[0, 0, NO_CHOICE]);
        c.region.copy_from_slice(&[1, 0, 0]);
        c.flags[0] |= ELIGIBLE;
        c.flags[1] &= !ELIGIBLE;
        let prices = [vec![80.0], vec![70.0]];
        let s = settle(&mut c, &[1.0], &prices, 2, 5, 0, &Sequential);
        assert_eq!(s.count, vec![2]);
        assert_eq!(s.surplus, vec![(100.0 - 70.0) + (120.0 - 80.0)]);
        assert_eq!(s.trade_in, vec![0.0, 10.0]);
        assert!(c.flags.iter().all(|f| f & ELIGIBLE == 0));
    }
}
