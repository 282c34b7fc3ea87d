//! Zero-mileage exporters: traders who enter and exit on margins, buy new cars at a discount,
//! register them (a domestic "sale"), hold them, ship them and sell them abroad as used cars.

use super::rng::Rng;
use crate::scenario::ExporterParams;
use rand::Rng as _;
use rand_distr::{Distribution, LogNormal};

/// Longest holding tracked (months since registration); older cars ship regardless.
pub const MAX_AGE: usize = 61;

/// One trader.
#[derive(Debug, Clone)]
pub struct Exporter {
    /// Home region (its government's licence and support apply).
    pub region: usize,
    /// Monthly purchase scale (vehicles/month).
    pub scale: f64,
    /// Trading now.
    pub active: bool,
    /// Destination market index.
    pub destination: usize,
    /// Smoothed realised margin share (margin / purchase price).
    pub margin_ema: f64,
    /// Cars bought this month.
    pub bought: f64,
}

/// Creates the trader pool, spread over regions by `region_weights`.
pub fn init(p: &ExporterParams, region_weights: &[f64], markets: usize, rng: &mut Rng) -> Vec<Exporter> {
    let dist = LogNormal::new(-0.5 * p.scale_sigma.powi(2), p.scale_sigma).ok();
    (0..p.pool)
        .map(|_| Exporter {
            region: super::automaker::pick(region_weights, rng.random()),
            scale: p.scale_mean * dist.map_or(1.0, |d| d.sample(rng)),
            active: false,
            destination: rng.random_range(0..markets.max(1)),
            margin_ema: 0.0,
            bought: 0.0,
        })
        .collect()
}

/// Cars registered for export and held, by months since registration, for one destination.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Cars per age.
    pub qty: Vec<f64>,
    /// Cost basis (yuan, all cars of that age together).
    pub cost: Vec<f64>,
    /// EV cars per age.
    pub ev: Vec<f64>,
    /// Purchase value (yuan) per age, base of holding costs.
    pub value: Vec<f64>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Pipeline {
            qty: vec![0.0; MAX_AGE],
            cost: vec![0.0; MAX_AGE],
            ev: vec![0.0; MAX_AGE],
            value: vec![0.0; MAX_AGE],
        }
    }

    /// Cars held.
    pub fn total(&self) -> f64 {
        self.qty.iter().sum()
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

/// Logistic function.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Entry, exit and destination choice (phase 5a). `margins[k]` is the prospective margin share
/// for market k; `licensed[g]` and `participating[g]` by region.
pub fn adjust_population(
    traders: &mut [Exporter],
    p: &ExporterParams,
    margins: &[f64],
    licensed: &[bool],
    participating: &[bool],
    rng: &mut Rng,
) {
    let best = margins.iter().enumerate().fold((0, f64::NEG_INFINITY), |b, (k, &m)| if m > b.1 { (k, m) } else { b });
    // Imitation (Bass 1969): entry odds rise with the share of licensed traders already active.
    let (licensed_n, active_n) = traders
        .iter()
        .filter(|t| licensed[t.region])
        .fold((0usize, 0usize), |(l, a), t| (l + 1, a + usize::from(t.active)));
    let adoption = if licensed_n > 0 { active_n as f64 / licensed_n as f64 } else { 0.0 };
    let base_rate = p.entry_rate + p.imitation * adoption;
    for t in traders.iter_mut() {
        let u: f64 = rng.random();
        if !licensed[t.region] {
            t.active = false;
            continue;
        }
        if t.active {
            let signal = 0.5 * (t.margin_ema + margins[t.destination]);
            let p_exit = p.exit_rate * logistic(-p.margin_sensitivity * (signal - p.margin_threshold));
            if u < p_exit {
                t.active = false;
                continue;
            }
            if rng.random::<f64>() < p.destination_revision {
                t.destination = best.0;
            }
        } else {
            let boost = if participating[t.region] { p.support_entry_boost } else { 1.0 };
            let p_enter = (base_rate * boost * logistic(p.margin_sensitivity * (best.1 - p.margin_threshold))).min(1.0);
            if u < p_enter {
                t.active = true;
                t.destination = best.0;
                t.margin_ema = best.1;
            }
        }
    }
}

/// Desired purchases of each active trader this month given prospective margins.
pub fn desired(traders: &mut [Exporter], p: &ExporterParams, margins: &[f64]) -> f64 {
    let mut total = 0.0;
    for t in traders.iter_mut() {
        t.bought = if t.active {
            t.scale * logistic(p.margin_sensitivity * (margins[t.destination] - p.margin_threshold))
        } else {
            0.0
        };
        total += t.bought;
    }
    total
}
