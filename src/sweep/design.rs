//! Experimental designs: points in the unit hypercube [0, 1]^k, and the map from a unit
//! coordinate to a parameter value.
//!
//! A design is built in unit coordinates (one row per point, one column per factor) and only
//! then mapped to parameter values by each [`Factor`], so the sensitivity estimators work on the
//! same rows whatever the ranges and scales.
//!
//! Determinism: every design is a pure function of its arguments and `seed`. Random draws come
//! from Xoshiro256++ streams ([`crate::model::rng::stream`]) turned into numbers by the
//! integer arithmetic in this file (never through a distribution whose algorithm a crate
//! version could change), and Saltelli designs from the `sobol_burley` crate, which is integer
//! hashing plus a table. The same seed therefore gives the same rows bit for bit on any machine.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;

use crate::error::{Error, Result};
use crate::model::rng::{mix64, stream, Rng};

/// Stream purposes of the designs (distinct from the model's purposes, which are small numbers).
mod purpose {
    pub const RANDOM: u64 = 0x5357_4545_5000_0001;
    pub const LATIN_HYPERCUBE: u64 = 0x5357_4545_5000_0002;
    pub const MORRIS: u64 = 0x5357_4545_5000_0003;
}

/// Largest Saltelli base sample count: `sobol_burley` supports 2^16 points per sequence.
pub const SALTELLI_MAX_N: usize = 1 << 16;

/// Largest factor count of a Saltelli design: the base matrices A and B take 2k Sobol
/// dimensions, and `sobol_burley` has 256.
pub const SALTELLI_MAX_FACTORS: usize = sobol_burley::NUM_DIMENSIONS as usize / 2;

/// Morris level count used when none is given (the usual choice, with Δ = 2/3).
pub const MORRIS_DEFAULT_LEVELS: usize = 4;

/// How a factor's unit coordinate spreads over its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Equal steps in value: `low + u (high − low)`.
    #[default]
    Linear,
    /// Equal steps in log value: `exp(ln low + u (ln high − ln low))`; needs `low > 0`.
    Log,
}

/// One swept parameter: how a unit coordinate u ∈ [0, 1] becomes a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Value at u = 0 (ignored when `levels` is set).
    pub low: f64,
    /// Value at u = 1 (ignored when `levels` is set).
    pub high: f64,
    /// Spacing between `low` and `high` (ignored when `levels` is set).
    pub scale: Scale,
    /// Explicit values: u picks level `min(floor(u L), L − 1)` of the L levels, so equal-width
    /// strata of [0, 1] map to the levels in order, and the grid coordinate u = i/(L − 1) maps
    /// to level i exactly.
    pub levels: Option<Vec<f64>>,
    /// Round the value to the nearest integer (halves away from zero).
    pub integer: bool,
}

impl Factor {
    /// A factor on `[low, high]` with linear spacing.
    pub fn linear(low: f64, high: f64) -> Self {
        Factor { low, high, scale: Scale::Linear, levels: None, integer: false }
    }

    /// A factor on `[low, high]` with logarithmic spacing (`low > 0`).
    pub fn log(low: f64, high: f64) -> Self {
        Factor { low, high, scale: Scale::Log, levels: None, integer: false }
    }

    /// A factor taking only the given values (in the given order).
    pub fn with_levels(levels: Vec<f64>) -> Self {
        let low = levels.first().copied().unwrap_or(0.0);
        let high = levels.last().copied().unwrap_or(0.0);
        Factor { low, high, scale: Scale::Linear, levels: Some(levels), integer: false }
    }

    /// The same factor with values rounded to the nearest integer.
    pub fn integer(mut self) -> Self {
        self.integer = true;
        self
    }

    /// Checks the factor; the message says what is wrong, for the caller to prefix with the key.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if let Some(levels) = &self.levels {
            if levels.is_empty() {
                return Err("`levels` is empty: give at least one value".into());
            }
            if let Some((i, v)) = levels.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(format!("level {i} is {v}: every level must be a finite number"));
            }
            return Ok(());
        }
        if !self.low.is_finite() || !self.high.is_finite() {
            return Err(format!("range [{}, {}] must be finite", self.low, self.high));
        }
        if self.low >= self.high {
            return Err(format!("range [{}, {}] is empty: `low` must be less than `high`", self.low, self.high));
        }
        if self.scale == Scale::Log && self.low <= 0.0 {
            return Err(format!(
                "log scale needs a positive range, got [{}, {}]: use a linear scale or a low above 0",
                self.low, self.high
            ));
        }
        Ok(())
    }

    /// The number of grid levels this factor takes in a full factorial: its explicit level
    /// count, else `default`.
    pub fn grid_levels(&self, default: usize) -> usize {
        self.levels.as_ref().map_or(default, Vec::len)
    }

    /// The value at unit coordinate `u` (clamped to [0, 1]). Assumes [`Factor::validate`]
    /// passed; u = 0 and u = 1 give `low` and `high` exactly.
    pub fn value(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let v = match &self.levels {
            Some(levels) if !levels.is_empty() => {
                let l = levels.len();
                // floor(u L) for u = i/(L-1) is i + floor(i/(L-1)): exactly i below the top level,
                // since the fraction i/(L-1) is at least 1/(L-1) away from an integer.
                let i = ((u * l as f64).floor() as usize).min(l - 1);
                levels[i]
            }
            Some(_) => f64::NAN,
            None if u == 0.0 => self.low,
            None if u == 1.0 => self.high,
            None => match self.scale {
                Scale::Linear => self.low + u * (self.high - self.low),
                Scale::Log => {
                    let (a, b) = (self.low.ln(), self.high.ln());
                    (a + u * (b - a)).exp().clamp(self.low, self.high)
                }
            },
        };
        if self.integer {
            v.round()
        } else {
            v
        }
    }
}

/// Maps unit rows to parameter values, column `i` through `factors[i]`.
pub fn map_rows(factors: &[Factor], rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    rows.iter().map(|row| row.iter().zip(factors).map(|(&u, f)| f.value(u)).collect()).collect()
}

/// A uniform in [0, 1) with 53 random bits.
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An integer in `0..n` (`n ≥ 1`) by multiply-shift; bias below 2^-40 for any n we use.
fn below(rng: &mut Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// A uniform random permutation of `0..n` (Fisher–Yates).
fn permutation(rng: &mut Rng, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, below(rng, i + 1));
    }
    p
}

/// Full factorial: every combination of the factors' levels, row-major with the LAST factor
/// varying fastest. A factor with L levels takes u = i/(L − 1), i = 0..L (u = 0.5 when L = 1).
/// A zero level count gives no rows; no factors give one empty row.
pub fn grid(levels_per_factor: &[usize]) -> Vec<Vec<f64>> {
    let total: usize = levels_per_factor.iter().product();
    let coordinate = |i: usize, l: usize| if l == 1 { 0.5 } else { i as f64 / (l - 1) as f64 };
    (0..total)
        .map(|mut index| {
            let mut row = vec![0.0; levels_per_factor.len()];
            for (c, &l) in levels_per_factor.iter().enumerate().rev() {
                row[c] = coordinate(index % l, l);
                index /= l;
            }
            row
        })
        .collect()
}

/// `n` points drawn independently and uniformly in [0, 1)^k.
pub fn random(k: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = stream(seed, purpose::RANDOM, 0, 0);
    (0..n).map(|_| (0..k).map(|_| unit(&mut rng)).collect()).collect()
}

/// Latin hypercube of `n` points in [0, 1)^k: in every column each stratum [i/n, (i+1)/n) holds
/// exactly one point (a random permutation of strata per factor, uniform within the stratum).
pub fn latin_hypercube(k: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rows = vec![vec![0.0; k]; n];
    for c in 0..k {
        let mut rng = stream(seed, purpose::LATIN_HYPERCUBE, c as u64, 0);
        for (row, stratum) in rows.iter_mut().zip(permutation(&mut rng, n)) {
            let top = (stratum + 1) as f64 / n as f64;
            let v = (stratum as f64 + unit(&mut rng)) / n as f64;
            // (i + u)/n can round up to the next stratum's edge when u is within 2^-52 of 1.
            row[c] = if v < top { v } else { f64::from_bits(top.to_bits() - 1) };
        }
    }
    rows
}

/// The 32-bit seed of `sobol_burley` from a 64-bit design seed.
fn sobol_seed(seed: u64) -> u32 {
    let z = mix64(seed);
    (z ^ (z >> 32)) as u32
}

/// Saltelli design for first-order and total Sobol indices: `n (k + 2)` rows.
///
/// Base matrices A and B (n × k each) are the first and last k dimensions of an Owen-scrambled
/// Sobol sequence of dimension 2k, from the `sobol_burley` crate (Burley 2020 hash-based Owen
/// scrambling with Joe–Kuo direction numbers; seedable, pure integer arithmetic, no unsafe with
/// its SIMD feature off). It was chosen over the `sobol` crate because scrambling gives an
/// unbiased randomised QMC design that a seed varies; its limits are 2^16 points
/// ([`SALTELLI_MAX_N`]), 256 dimensions ([`SALTELLI_MAX_FACTORS`] factors) and f32 precision
/// (coordinates are multiples of 2^-24, ample for parameter values). Different seeds that fold
/// to the same 32-bit `sobol_burley` seed give the same design.
///
/// Row order per base sample j (SALib's convention): A_j, AB_j^(1), …, AB_j^(k), B_j, where
/// AB^(i) is A with column i taken from B. [`crate::sweep::sensitivity::sobol_indices`] reads
/// outcomes in this order.
pub fn saltelli(k: usize, n: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
    if k == 0 || k > SALTELLI_MAX_FACTORS {
        return Err(Error::Usage(format!("saltelli design: {k} factors; it supports 1 to {SALTELLI_MAX_FACTORS}")));
    }
    if n == 0 || n > SALTELLI_MAX_N {
        return Err(Error::Usage(format!("saltelli design: n = {n} base samples; it supports 1 to {SALTELLI_MAX_N}")));
    }
    let s = sobol_seed(seed);
    let mut rows = Vec::with_capacity(n * (k + 2));
    for j in 0..n {
        let point: Vec<f64> = (0..2 * k).map(|d| f64::from(sobol_burley::sample(j as u32, d as u32, s))).collect();
        let (a, b) = point.split_at(k);
        rows.push(a.to_vec());
        for i in 0..k {
            let mut ab = a.to_vec();
            ab[i] = b[i];
            rows.push(ab);
        }
        rows.push(b.to_vec());
    }
    Ok(rows)
}

/// Morris elementary-effects design: `r` trajectories of `k + 1` rows each on the p-level grid
/// {0, 1/(p−1), …, 1}, with step Δ = p / (2 (p − 1)) (p/2 grid steps; p even).
///
/// Each trajectory (Morris 1991, in Campolongo et al. 2007's form) draws a base level for every
/// factor among the lower p/2 levels (so x + Δ ≤ 1), a random direction per factor and a random
/// factor order; its first row has every factor at its base level, or at base + Δ where the
/// direction is down, and step s moves the s-th factor of the order by +Δ or −Δ. Consecutive
/// rows of a trajectory thus differ in exactly one coordinate; the analysis
/// ([`crate::sweep::sensitivity::morris_effects`]) recovers which, and the signed step, by
/// comparing them, so no side table is returned.
pub fn morris(k: usize, r: usize, p: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
    if k == 0 {
        return Err(Error::Usage("morris design: needs at least one factor".into()));
    }
    if p < 2 || !p.is_multiple_of(2) {
        return Err(Error::Usage(format!("morris design: {p} levels; the level count must be even and at least 2")));
    }
    let half = p / 2;
    let top = (p - 1) as f64;
    let mut rows = Vec::with_capacity(r * (k + 1));
    for t in 0..r {
        let mut rng = stream(seed, purpose::MORRIS, t as u64, 0);
        let up: Vec<bool> = (0..k).map(|_| rng.next_u64() >> 63 == 1).collect();
        let mut index: Vec<usize> = up.iter().map(|&u| below(&mut rng, half) + if u { 0 } else { half }).collect();
        let order = permutation(&mut rng, k);
        let as_row = |index: &[usize]| index.iter().map(|&i| i as f64 / top).collect::<Vec<_>>();
        rows.push(as_row(&index));
        for &f in &order {
            index[f] = if up[f] { index[f] + half } else { index[f] - half };
            rows.push(as_row(&index));
        }
    }
    Ok(rows)
}

/// Morris step Δ = p / (2 (p − 1)) in unit coordinates for `p` levels.
pub fn morris_delta(p: usize) -> f64 {
    p as f64 / (2.0 * (p as f64 - 1.0))
}

/// A design with its parameters; `n` (points, base samples or trajectories) and the seed are
/// given when the rows are built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Design {
    /// Full factorial with these level counts per factor (see [`grid`]); `n` is not used.
    Grid {
        /// Level count of each factor, in factor order (see [`Factor::grid_levels`]).
        levels: Vec<usize>,
    },
    /// `n` independent uniform points (see [`random`]).
    Random,
    /// Latin hypercube of `n` points (see [`latin_hypercube`]).
    LatinHypercube,
    /// Saltelli design of `n` base samples, `n (k + 2)` points (see [`saltelli`]).
    Saltelli,
    /// Morris design of `n` trajectories, `n (k + 1)` points (see [`morris`]).
    Morris {
        /// Grid levels p (even; usually 4).
        levels: usize,
    },
}

impl Design {
    /// The names accepted by [`Design::from_str`], in order.
    pub const NAMES: [&'static str; 5] = ["grid", "random", "lhs", "saltelli", "morris"];

    /// The design's name: `grid`, `random`, `lhs`, `saltelli` or `morris`.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid { .. } => "grid",
            Design::Random => "random",
            Design::LatinHypercube => "lhs",
            Design::Saltelli => "saltelli",
            Design::Morris { .. } => "morris",
        }
    }

    /// Checks the design for `k` factors and size `n` and returns its number of points: grid,
    /// the product of its levels; random and lhs, `n`; saltelli, `n (k + 2)`; morris, `n (k + 1)`.
    pub fn num_points(&self, k: usize, n: usize) -> Result<usize> {
        let usage = |m: String| Err(Error::Usage(format!("{} design: {m}", self.name())));
        if k == 0 {
            return usage("needs at least one factor".into());
        }
        let count = match self {
            Design::Grid { levels } => {
                if levels.len() != k {
                    return usage(format!("{} level counts for {k} factors; give one per factor", levels.len()));
                }
                if let Some(i) = levels.iter().position(|&l| l == 0) {
                    return usage(format!("factor {i} has 0 levels; every factor needs at least 1"));
                }
                levels.iter().try_fold(1usize, |acc, &l| acc.checked_mul(l))
            }
            Design::Random | Design::LatinHypercube => {
                if n == 0 {
                    return usage("n = 0 points; give at least 1".into());
                }
                Some(n)
            }
            Design::Saltelli => {
                if k > SALTELLI_MAX_FACTORS {
                    return usage(format!("{k} factors; it supports at most {SALTELLI_MAX_FACTORS}"));
                }
                if !(2..=SALTELLI_MAX_N).contains(&n) {
                    return usage(format!("n = {n} base samples; give 2 to {SALTELLI_MAX_N}"));
                }
                n.checked_mul(k + 2)
            }
            Design::Morris { levels } => {
                if *levels < 2 || levels % 2 != 0 {
                    return usage(format!("{levels} levels; the level count must be even and at least 2"));
                }
                if n < 2 {
                    return usage(format!("n = {n} trajectories; give at least 2 (σ needs two effects)"));
                }
                n.checked_mul(k + 1)
            }
        };
        match count {
            Some(c) => Ok(c),
            None => usage("the number of points overflows".into()),
        }
    }

    /// The design's rows in unit coordinates, after the checks of [`Design::num_points`].
    pub fn unit_rows(&self, k: usize, n: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
        self.num_points(k, n)?;
        match self {
            Design::Grid { levels } => Ok(grid(levels)),
            Design::Random => Ok(random(k, n, seed)),
            Design::LatinHypercube => Ok(latin_hypercube(k, n, seed)),
            Design::Saltelli => saltelli(k, n, seed),
            Design::Morris { levels } => morris(k, n, *levels, seed),
        }
    }
}

impl fmt::Display for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Design {
    type Err = Error;

    /// Parses a design name. `grid` gets no level counts yet (fill `levels`, e.g. from
    /// [`Factor::grid_levels`]); `morris` gets [`MORRIS_DEFAULT_LEVELS`].
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "grid" => Ok(Design::Grid { levels: Vec::new() }),
            "random" => Ok(Design::Random),
            "lhs" => Ok(Design::LatinHypercube),
            "saltelli" => Ok(Design::Saltelli),
            "morris" => Ok(Design::Morris { levels: MORRIS_DEFAULT_LEVELS }),
            _ => Err(Error::Usage(format!("unknown design `{s}`; expected one of {}", Design::NAMES.join(", ")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_order_and_count() {
        let rows = grid(&[2, 3]);
        assert_eq!(rows.len(), 6);
        let expected = [[0.0, 0.0], [0.0, 0.5], [0.0, 1.0], [1.0, 0.0], [1.0, 0.5], [1.0, 1.0]];
        for (row, e) in rows.iter().zip(expected) {
            assert_eq!(row.as_slice(), e.as_slice());
        }
        assert_eq!(grid(&[1, 2]), vec![vec![0.5, 0.0], vec![0.5, 1.0]]);
        assert_eq!(grid(&[4, 0, 2]).len(), 0);
        assert_eq!(grid(&[3, 4, 5]).len(), 60);
    }

    #[test]
    fn grid_hits_each_explicit_level_once() {
        for l in 1..60 {
            let levels: Vec<f64> = (0..l).map(|i| 10.0 * i as f64 + 1.0).collect();
            let f = Factor::with_levels(levels.clone());
            let got: Vec<f64> = grid(&[l]).iter().map(|r| f.value(r[0])).collect();
            assert_eq!(got, levels, "L = {l}");
        }
    }

    #[test]
    fn factor_mapping() {
        let lin = Factor::linear(2.0, 4.0);
        assert_eq!((lin.value(0.0), lin.value(0.5), lin.value(1.0)), (2.0, 3.0, 4.0));
        assert_eq!(lin.value(-1.0), 2.0);
        let log = Factor::log(1.0, 100.0);
        assert_eq!((log.value(0.0), log.value(1.0)), (1.0, 100.0));
        assert!((log.value(0.5) - 10.0).abs() < 1e-12);
        let int = Factor::linear(0.0, 10.0).integer();
        assert_eq!((int.value(0.26), int.value(0.24), int.value(0.95)), (3.0, 2.0, 10.0));
        let lv = Factor::with_levels(vec![5.0, 7.0, 9.0]);
        // Equal-width strata: [0, 1/3) → 5, [1/3, 2/3) → 7, [2/3, 1] → 9.
        assert_eq!(
            [lv.value(0.0), lv.value(0.33), lv.value(0.34), lv.value(0.67), lv.value(1.0)],
            [5.0, 5.0, 7.0, 9.0, 9.0]
        );
        let lv_int = Factor::with_levels(vec![1.4, 2.6]).integer();
        assert_eq!((lv_int.value(0.0), lv_int.value(1.0)), (1.0, 3.0));
    }

    #[test]
    fn factor_validation() {
        assert!(Factor::linear(0.0, 1.0).validate().is_ok());
        assert!(Factor::linear(1.0, 1.0).validate().unwrap_err().contains("less than"));
        assert!(Factor::linear(0.0, f64::INFINITY).validate().unwrap_err().contains("finite"));
        assert!(Factor::log(0.0, 1.0).validate().unwrap_err().contains("log scale"));
        assert!(Factor::with_levels(vec![]).validate().unwrap_err().contains("empty"));
        assert!(Factor::with_levels(vec![1.0, f64::NAN]).validate().unwrap_err().contains("level 1"));
        assert!(Factor::with_levels(vec![3.0, 1.0]).validate().is_ok());
    }

    #[test]
    fn latin_hypercube_strata() {
        for (k, n) in [(1, 1), (3, 7), (5, 100)] {
            let rows = latin_hypercube(k, n, 42);
            assert_eq!(rows.len(), n);
            for c in 0..k {
                let mut seen = vec![false; n];
                for row in &rows {
                    let v = row[c];
                    let i = (v * n as f64).floor() as usize;
                    assert!(i < n && i as f64 / n as f64 <= v && v < (i + 1) as f64 / n as f64, "{v}");
                    assert!(!seen[i], "stratum {i} of column {c} used twice");
                    seen[i] = true;
                }
            }
        }
    }

    #[test]
    fn random_points_in_unit_cube() {
        let rows = random(4, 200, 1);
        assert_eq!(rows.len(), 200);
        assert!(rows.iter().flatten().all(|v| (0.0..1.0).contains(v)));
        let mean = rows.iter().flatten().sum::<f64>() / 800.0;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
    }

    #[test]
    fn saltelli_row_structure() {
        let (k, n) = (4, 33);
        let rows = saltelli(k, n, 9).unwrap();
        assert_eq!(rows.len(), n * (k + 2));
        for block in rows.chunks(k + 2) {
            let (a, b) = (&block[0], &block[k + 1]);
            assert!(a.iter().zip(b).all(|(x, y)| x != y), "A and B share a coordinate");
            for i in 0..k {
                let ab = &block[1 + i];
                for c in 0..k {
                    assert_eq!(ab[c], if c == i { b[c] } else { a[c] });
                }
            }
        }
        assert!(rows.iter().flatten().all(|v| (0.0..1.0).contains(v)));
        // Scrambled Sobol points are well spread: each column of A over 32 points hits every
        // eighth of [0, 1) (a (0, m, s)-net property of the first 2^m points).
        for c in 0..k {
            let mut hit = [0; 8];
            for block in rows.chunks(k + 2).take(32) {
                hit[(block[0][c] * 8.0) as usize] += 1;
            }
            assert_eq!(hit, [4; 8], "column {c}");
        }
    }

    #[test]
    fn saltelli_limits_are_errors() {
        assert!(saltelli(0, 10, 0).is_err());
        assert!(saltelli(SALTELLI_MAX_FACTORS + 1, 10, 0).is_err());
        assert!(saltelli(2, SALTELLI_MAX_N + 1, 0).is_err());
        assert!(saltelli(2, 0, 0).is_err());
    }

    #[test]
    fn morris_steps_change_one_coordinate_by_delta() {
        for p in [2, 4, 6, 8] {
            let (k, r) = (5, 20);
            let delta = morris_delta(p);
            let rows = morris(k, r, p, 3).unwrap();
            assert_eq!(rows.len(), r * (k + 1));
            assert!(rows.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
            for traj in rows.chunks(k + 1) {
                let mut moved = vec![false; k];
                for pair in traj.windows(2) {
                    let changed: Vec<usize> = (0..k).filter(|&c| pair[0][c] != pair[1][c]).collect();
                    assert_eq!(changed.len(), 1);
                    let c = changed[0];
                    assert!(((pair[1][c] - pair[0][c]).abs() - delta).abs() < 1e-12);
                    assert!(!moved[c]);
                    moved[c] = true;
                }
                // Every coordinate is on the p-level grid.
                for v in traj.iter().flatten() {
                    let i = v * (p - 1) as f64;
                    assert!((i - i.round()).abs() < 1e-12);
                }
            }
        }
        assert!(morris(3, 4, 3, 0).is_err());
        assert!(morris(3, 4, 0, 0).is_err());
        assert!(morris(0, 4, 4, 0).is_err());
    }

    #[test]
    fn designs_are_deterministic() {
        let all = |seed| {
            vec![
                random(3, 10, seed),
                latin_hypercube(3, 10, seed),
                saltelli(3, 10, seed).unwrap(),
                morris(3, 10, 4, seed).unwrap(),
            ]
        };
        let (a, b, c) = (all(5), all(5), all(6));
        assert_eq!(a, b);
        for (x, y) in a.iter().zip(&c) {
            assert_ne!(x, y);
        }
    }

    /// Pins a checksum of each design's bits, so a dependency change that alters designs is caught.
    #[test]
    fn designs_are_portable() {
        let sum = |rows: Vec<Vec<f64>>| rows.iter().flatten().fold(0u64, |h, v| mix64(h ^ v.to_bits()));
        let got = [
            sum(random(3, 8, 1)),
            sum(latin_hypercube(3, 8, 1)),
            sum(saltelli(3, 8, 1).unwrap()),
            sum(morris(3, 8, 4, 1).unwrap()),
        ];
        assert_eq!(got, [0xece8_b5ea_3d23_94a0, 0x16b1_6e85_c1b6_2216, 0x9eb4_7047_732e_9369, 0x58c2_adb9_6632_5233]);
    }

    #[test]
    fn design_names_and_counts() {
        for name in Design::NAMES {
            let d: Design = name.parse().unwrap();
            assert_eq!(d.name(), name);
            assert_eq!(d.to_string(), name);
        }
        let err = "sobol".parse::<Design>().unwrap_err().to_string();
        assert!(err.contains("unknown design `sobol`") && err.contains("lhs"), "{err}");
        let grid = Design::Grid { levels: vec![2, 3, 4] };
        assert_eq!(grid.num_points(3, 999).unwrap(), 24);
        assert!(grid.num_points(2, 1).is_err());
        assert!(Design::Grid { levels: vec![2, 0] }.num_points(2, 1).is_err());
        assert_eq!(Design::Random.num_points(3, 10).unwrap(), 10);
        assert_eq!(Design::LatinHypercube.num_points(3, 10).unwrap(), 10);
        assert_eq!(Design::Saltelli.num_points(3, 10).unwrap(), 50);
        assert_eq!(Design::Morris { levels: 4 }.num_points(3, 10).unwrap(), 40);
        assert!(Design::Morris { levels: 5 }.num_points(3, 10).is_err());
        assert!(Design::Random.num_points(0, 10).is_err());
        assert!(Design::Random.num_points(2, 0).is_err());
        assert!(Design::Grid { levels: vec![usize::MAX, 2] }.num_points(2, 1).is_err());
        for d in [grid, Design::Random, Design::LatinHypercube, Design::Saltelli, Design::Morris { levels: 4 }] {
            let rows = d.unit_rows(3, 10, 7).unwrap();
            assert_eq!(rows.len(), d.num_points(3, 10).unwrap());
            assert!(rows.iter().all(|r| r.len() == 3));
        }
        let factors = [Factor::linear(0.0, 10.0), Factor::with_levels(vec![1.0, 2.0])];
        assert_eq!(map_rows(&factors, &[vec![0.5, 1.0]]), vec![vec![5.0, 2.0]]);
    }
}
