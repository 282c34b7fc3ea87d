//! The roofline kernel: the least work one consumer-month can cost, measured in the same
//! process as the full model so `zeromile bench` can report their ratio from one run.
//!
//! It re-implements a minimal structure-of-arrays consumer kernel, an external reference
//! kernel that is not shipped in this repository (docs/performance.md compares the two): per
//! consumer, structure-of-arrays state (valuation, expected monthly price change, months
//! waiting). A consumer outside the market enters with a
//! fixed monthly probability and draws a lognormal valuation. A consumer in the market moves its
//! expectation toward the observed price change and toward one random peer's expectation (read
//! from last month's copy), draws a brand from a 60-brand cumulative share table by binary
//! search, and buys if the surplus beats the value of waiting for a cut, or if it has waited too
//! long. Consumers run in chunks of [`CHUNK`], each with its own Xoshiro256++ stream seeded from
//! (seed, month, chunk), so results do not depend on the thread count.
//!
//! This module only computes; the caller (the binary) owns the clock.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Consumers per chunk (one random stream each).
pub const CHUNK: usize = 16_384;
/// Brands in the share table.
pub const BRANDS: usize = 60;

/// Monthly probability that a consumer outside the market enters it.
const ENTRY_PROBABILITY: f32 = 0.08;
/// Median valuation (yuan) and log-sd of the lognormal valuation draw.
const VALUATION_MEDIAN: f32 = 150_000.0;
const VALUATION_LOG_SD: f32 = 0.35;
/// Weights of the observed change and of the peer in the expectation update.
const OWN_WEIGHT: f32 = 0.2;
const PEER_WEIGHT: f32 = 0.1;
/// Observed monthly price change (a mild price war).
const OBSERVED_CHANGE: f32 = -0.005;
/// Discount applied to the value of waiting one month.
const WAIT_DISCOUNT: f32 = 0.99;
/// Months after which a consumer with positive surplus buys regardless of expectations.
const PATIENCE: u8 = 12;

/// Population state and the fixed market of the kernel.
#[derive(Debug, Clone)]
pub struct Kernel {
    valuation: Vec<f32>,
    expectation: Vec<f32>,
    /// 0 = not in the market; k ≥ 1 = in the market for k months.
    waiting: Vec<u8>,
    /// Last month's expectations (what peers are read from).
    peers: Vec<f32>,
    prices: [f32; BRANDS],
    cum_share: [f32; BRANDS],
    seed: u64,
    month: u64,
}

/// SplitMix64 finaliser: spreads (seed, month, chunk) over the seed space.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Kernel {
    /// `n` consumers, none in the market yet; `seed` fixes every draw.
    pub fn new(n: usize, seed: u64) -> Self {
        let prices: [f32; BRANDS] = std::array::from_fn(|b| 80_000.0 + 3_000.0 * b as f32);
        // Shares fall with rank (Zipf-like), accumulated into a table for binary search.
        let weights: [f32; BRANDS] = std::array::from_fn(|b| 1.0 / (1.0 + b as f32));
        let total: f32 = weights.iter().sum();
        let mut acc = 0.0;
        let cum_share = weights.map(|w| {
            acc += w / total;
            acc
        });
        Kernel {
            valuation: vec![0.0; n],
            expectation: vec![0.0; n],
            waiting: vec![0; n],
            peers: vec![0.0; n],
            prices,
            cum_share,
            seed,
            month: 0,
        }
    }

    /// Consumers in the population.
    pub fn len(&self) -> usize {
        self.valuation.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.valuation.is_empty()
    }

    /// Runs one month on the current rayon pool and returns the number of buyers.
    pub fn step(&mut self) -> u64 {
        self.peers.copy_from_slice(&self.expectation);
        let month_seed = mix(self.seed ^ mix(self.month));
        self.month += 1;
        let peers = &self.peers[..];
        let prices = &self.prices;
        let cum = &self.cum_share;
        self.valuation
            .par_chunks_mut(CHUNK)
            .zip(self.expectation.par_chunks_mut(CHUNK))
            .zip(self.waiting.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(chunk, ((val, exp), wait))| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(month_seed ^ mix(chunk as u64));
                decide_chunk(&mut rng, val, exp, wait, peers, prices, cum)
            })
            .sum()
    }
}

/// One chunk of consumers for one month; returns its buyers.
fn decide_chunk(
    rng: &mut Xoshiro256PlusPlus,
    val: &mut [f32],
    exp: &mut [f32],
    wait: &mut [u8],
    peers: &[f32],
    prices: &[f32; BRANDS],
    cum: &[f32; BRANDS],
) -> u64 {
    let mut buyers = 0;
    for ((v, e), w) in val.iter_mut().zip(exp.iter_mut()).zip(wait.iter_mut()) {
        if *w == 0 {
            if rng.random::<f32>() < ENTRY_PROBABILITY {
                let z: f32 = StandardNormal.sample(rng);
                *v = VALUATION_MEDIAN * (VALUATION_LOG_SD * z).exp();
                *w = 1;
            }
            continue;
        }
        let peer = peers[rng.random_range(0..peers.len())];
        *e += OWN_WEIGHT * (OBSERVED_CHANGE - *e) + PEER_WEIGHT * (peer - *e);
        let u: f32 = rng.random();
        let brand = cum.partition_point(|&c| c < u).min(BRANDS - 1);
        let price = prices[brand];
        let surplus = *v - price;
        // Waiting is worth the surplus plus the cut expected on this price, discounted.
        let wait_value = WAIT_DISCOUNT * (surplus + price * (-*e).max(0.0));
        if surplus > 0.0 && (surplus >= wait_value || *w > PATIENCE) {
            buyers += 1;
            *w = 0;
        } else {
            *w = w.saturating_add(1);
        }
    }
    buyers
}

/// Runs `months` months of `n` consumers from `seed` on the current rayon pool and returns the
/// total number of buyers (so the work cannot be optimised away).
pub fn run_kernel(n: usize, months: usize, seed: u64) -> u64 {
    let mut kernel = Kernel::new(n, seed);
    (0..months).map(|_| kernel.step()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_pool(threads: usize, f: impl FnOnce() -> u64 + Send) -> u64 {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
    }

    #[test]
    fn same_seed_same_buyers_and_plausible_count() {
        let a = in_pool(1, || run_kernel(40_000, 24, 7));
        assert_eq!(a, in_pool(1, || run_kernel(40_000, 24, 7)));
        assert_ne!(a, in_pool(1, || run_kernel(40_000, 24, 8)));
        // Entry is 8 % a month, so buyers are a sizeable but bounded share of consumer-months.
        assert!(a > 10_000 && a < 40_000 * 24, "buyers {a}");
    }

    #[test]
    fn thread_count_does_not_change_the_result() {
        // Several chunks, the last one partial.
        let n = 3 * CHUNK + 123;
        let one = in_pool(1, || run_kernel(n, 15, 42));
        let two = in_pool(2, || run_kernel(n, 15, 42));
        assert_eq!(one, two);
        let mut k1 = Kernel::new(n, 42);
        let mut k2 = Kernel::new(n, 42);
        for _ in 0..6 {
            in_pool(1, || k1.step());
            in_pool(3, || k2.step());
        }
        assert_eq!(k1.expectation, k2.expectation);
        assert_eq!(k1.waiting, k2.waiting);
    }
}
