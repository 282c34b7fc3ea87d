//! Rationing of the month's demand (docs/model.md §7.3): which buyers are served, and what the
//! served buyers gain (surplus) and receive (trade-in subsidies), counted where they buy.

use super::trade_in::{self, TradeInRule};
use super::{chunk_jobs, ChoiceTables, ChunkJob, Consumers, Executor, NO_CHOICE, OWNER};
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
    /// non-owner price less the price paid in the buyer's trade-in eligibility class.
    pub trade_in: Vec<f64>,
    /// Served agents claiming the scrapping subsidy.
    pub scrap: u32,
    /// Served agents claiming the replacement subsidy.
    pub replace: u32,
}

impl Served {
    /// Nothing served yet, over `brands` brands and `regions` home regions.
    pub fn new(brands: usize, regions: usize) -> Self {
        Served {
            count: vec![0; brands],
            surplus: vec![0.0; brands],
            trade_in: vec![0.0; brands * regions],
            ..Served::default()
        }
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
        self.scrap += o.scrap;
        self.replace += o.replace;
    }
}

/// Deterministic rationing: a buyer of brand j is served iff its counter-based uniform is below
/// the fill ratio of j. Served buyers own a new car; unserved ones stay in the market. A served
/// buyer's trade-in eligibility class e is its class under `rule` (its car's age before the
/// purchase, as when it chose); it pays `tables.price[e][j]`, its surplus is its valuation less
/// that price (positive: households buy only with positive surplus), its trade-in subsidy
/// `tables.price[NONE][j] − tables.price[e][j]` is booked to its home region (`regions` of them),
/// and it claims the scheme `tables.claim[e][j]`. Returns the served agents, their surplus,
/// subsidies and claims.
pub fn settle(
    c: &mut Consumers,
    fill: &[f64],
    tables: &ChoiceTables,
    rule: &TradeInRule,
    regions: usize,
    at: (u64, u64),
    exec: &dyn Executor,
) -> Served {
    let (key, month) = at;
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
                let e = rule.class(c.flags[i] & OWNER != 0, c.age[i], global as usize) as usize;
                let price = |e: usize| tables.price[e].get(j).copied().unwrap_or(0.0);
                let paid = price(e);
                served.count[j] += 1;
                served.surplus[j] += (c.valuation[i] - paid) as f64;
                if e != trade_in::NONE as usize {
                    let r = (c.region[i] as usize).min(regions.saturating_sub(1));
                    served.trade_in[r * brands + j] += (price(trade_in::NONE as usize) - paid) as f64;
                }
                match tables.claim[e].get(j) {
                    Some(&trade_in::SCRAP) => served.scrap += 1,
                    Some(&trade_in::REPLACE) => served.replace += 1,
                    _ => {}
                }
                c.flags[i] |= OWNER;
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
        let (tables, rule) = (ChoiceTables::default(), TradeInRule::everyone());
        let served = settle(&mut c, &[1.0, 0.25], &tables, &rule, 1, (5, 0), &Sequential).count;
        assert_eq!(served[0], 10_000);
        let rate = served[1] as f64 / 10_000.0;
        assert!((rate - 0.25).abs() < 0.02, "served share {rate}");
        let owners_new = (0..c.len()).filter(|&i| c.waited[i] == 0 && c.age[i] == 0 && c.flags[i] & OWNER != 0).count();
        assert_eq!(owners_new as u32, served[0] + served[1], "a served buyer owns a new car and leaves the market");
        assert!((0..c.len()).filter(|&i| c.waited[i] == 4).count() as u32 == 10_000 - served[1]);
    }

    /// Surplus is valuation − price paid; an owner eligible for the trade-in (here every owner)
    /// pays the trade-in price, its subsidy (non-owner price − price paid) is booked to its home
    /// region and its claim is counted; a non-owner pays the full price.
    #[test]
    fn settle_counts_surplus_trade_ins_by_home_region_and_claims() {
        let p = ConsumerParams { agents: 3, ..ConsumerParams::default() };
        let mut c = Consumers::new(&p, &[1.0, 1.0], 5);
        c.valuation.copy_from_slice(&[100.0, 120.0, 90.0]);
        c.choice.copy_from_slice(&[0, 0, NO_CHOICE]);
        c.region.copy_from_slice(&[1, 0, 0]);
        c.flags[0] |= OWNER;
        c.flags[1] &= !OWNER;
        let rule = TradeInRule::everyone();
        let e = rule.class(true, c.age[0], 0) as usize;
        assert_ne!(e, trade_in::NONE as usize, "every owner is eligible under `everyone`");
        let mut tables = ChoiceTables::default();
        for k in 0..tables.price.len() {
            tables.price[k] = vec![if k == e { 70.0 } else { 80.0 }];
            tables.claim[k] = vec![if k == e { e as u8 } else { trade_in::NONE }];
        }
        tables.price[trade_in::NONE as usize] = vec![80.0];
        let s = settle(&mut c, &[1.0], &tables, &rule, 2, (5, 0), &Sequential);
        assert_eq!(s.count, vec![2]);
        assert_eq!(s.surplus, vec![(100.0 - 70.0) + (120.0 - 80.0)]);
        assert_eq!(s.trade_in, vec![0.0, 10.0]);
        assert_eq!(s.scrap + s.replace, 1);
    }
}
