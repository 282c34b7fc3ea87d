//! Sensitivity estimators: Sobol indices from a Saltelli design and Morris elementary effects,
//! each with seeded bootstrap confidence intervals.
//!
//! Inputs are one outcome per design point (e.g. the replicate mean), in the design's row order
//! ([`crate::sweep::design::saltelli`], [`crate::sweep::design::morris`]). Failures (wrong
//! lengths, non-finite outcomes, zero variance) are errors, never panics. Bootstrap resample b
//! draws from its own stream (seed, purpose, b), so intervals are reproducible bit for bit.

use rand::RngCore;

use crate::engine::quantile::quantile_sorted;
use crate::error::{Error, Result};
use crate::model::rng::{stream, Rng};

/// Stream purposes of the bootstraps.
mod purpose {
    pub const SOBOL_BOOTSTRAP: u64 = 0x5357_4545_5000_0011;
    pub const MORRIS_BOOTSTRAP: u64 = 0x5357_4545_5000_0012;
}

/// Coverage of the bootstrap intervals.
pub const CONFIDENCE: f64 = 0.95;

/// Saltelli base samples N below which Sobol indices are noise rather than shares of variance:
/// the sweep report says so next to their table and chart (docs/sweeps.md). With N in the tens,
/// estimates outside [0, 1] and intervals wider than the index are common.
pub const SOBOL_MIN_BASE_SAMPLES: usize = 256;

/// A point estimate with its bootstrap percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate from all samples.
    pub estimate: f64,
    /// The 95% bootstrap percentile interval `(low, high)`; `None` when no resamples were asked
    /// for or none was usable (every resample had zero variance).
    pub ci: Option<(f64, f64)>,
}

/// Sobol indices of one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolIndices {
    /// First-order index S1: the share of output variance due to the factor alone.
    pub first: Estimate,
    /// Total index ST: the share due to the factor including all its interactions.
    pub total: Estimate,
}

/// Morris elementary-effect statistics of one factor, in outcome units per unit coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndices {
    /// μ: mean elementary effect (signed; effects of opposite sign cancel).
    pub mu: f64,
    /// μ*: mean absolute elementary effect (overall importance), with a bootstrap interval over
    /// trajectories.
    pub mu_star: Estimate,
    /// σ: standard deviation of the elementary effects (n − 1 denominator): nonlinearity or
    /// interactions.
    pub sigma: f64,
}

fn usage<T>(message: String) -> Result<T> {
    Err(Error::Usage(message))
}

fn check_finite(y: &[f64]) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(i) => usage(format!("outcome of point {i} is {}: every outcome must be a finite number", y[i])),
        None => Ok(()),
    }
}

/// An integer in `0..n` (`n ≥ 1`) by multiply-shift (portable, bias below 2^-40 here).
fn below(rng: &mut Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// `n` indices drawn with replacement from `0..n`, from resample `b`'s own stream.
fn resample(seed: u64, purpose: u64, b: usize, n: usize) -> Vec<usize> {
    let mut rng = stream(seed, purpose, b as u64, 0);
    (0..n).map(|_| below(&mut rng, n)).collect()
}

/// The central [`CONFIDENCE`] percentile interval of `values` (non-finite ones dropped; `None`
/// when none is left), from type-7 quantiles ([`quantile_sorted`]).
fn percentile_interval(mut values: Vec<f64>) -> Option<(f64, f64)> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Some((quantile_sorted(&values, tail)?, quantile_sorted(&values, 1.0 - tail)?))
}

/// Outcomes of a Saltelli design split by role, centred on their overall mean.
struct SaltelliOutcomes {
    a: Vec<f64>,
    b: Vec<f64>,
    /// `ab[i][j]`: f(AB^(i)_j).
    ab: Vec<Vec<f64>>,
}

impl SaltelliOutcomes {
    /// (S1, ST) per factor over base samples `js`; `None` when their variance is zero.
    fn indices(&self, js: &[usize]) -> Option<Vec<(f64, f64)>> {
        let m = js.len() as f64;
        let mean = js.iter().map(|&j| self.a[j] + self.b[j]).sum::<f64>() / (2.0 * m);
        let var = js.iter().map(|&j| (self.a[j] - mean).powi(2) + (self.b[j] - mean).powi(2)).sum::<f64>() / (2.0 * m);
        let scale = js.iter().map(|&j| self.a[j].abs().max(self.b[j].abs())).fold(0.0, f64::max);
        // Zero variance, or only rounding noise relative to the outcomes' size.
        if var.is_nan() || var <= (1e-12 * scale).powi(2) {
            return None;
        }
        Some(
            self.ab
                .iter()
                .map(|ab| {
                    let first = js.iter().map(|&j| self.b[j] * (ab[j] - self.a[j])).sum::<f64>() / m;
                    let total = js.iter().map(|&j| (self.a[j] - ab[j]).powi(2)).sum::<f64>() / (2.0 * m);
                    (first / var, total / var)
                })
                .collect(),
        )
    }
}

/// First-order and total Sobol indices of each of `k` factors from the outcomes `y` of a
/// Saltelli design with `n` base samples, in its row order (A_j, AB_j^(1..k), B_j per j, length
/// `n (k + 2)`).
///
/// Estimators: S1_i = mean(f(B) (f(AB_i) − f(A))) / V (Saltelli et al. 2010), ST_i =
/// mean((f(A) − f(AB_i))²) / 2V (Jansen 1999), V the variance (1/N) of f(A) and f(B) pooled.
/// Outcomes are first centred on their overall mean, as SALib does, which leaves the indices'
/// expectations unchanged and lowers the variance of S1. Intervals: `resamples` bootstrap
/// resamples of the base samples j with replacement (seeded by `seed`), 95% percentile; resamples
/// whose variance is zero are skipped. Errors: wrong length, `k` or `n` zero, a non-finite
/// outcome, or zero variance (the indices are undefined).
pub fn sobol_indices(y: &[f64], k: usize, n: usize, resamples: usize, seed: u64) -> Result<Vec<SobolIndices>> {
    if k == 0 || n == 0 {
        return usage(format!("sobol indices: need k ≥ 1 factors and n ≥ 1 base samples, got k = {k}, n = {n}"));
    }
    let expected = n.checked_mul(k + 2);
    if expected != Some(y.len()) {
        return usage(format!(
            "sobol indices: {} outcomes for a Saltelli design of n = {n}, k = {k}; expected n (k + 2) = {}",
            y.len(),
            expected.map_or("too many".into(), |e| e.to_string())
        ));
    }
    check_finite(y)?;
    let centre = y.iter().sum::<f64>() / y.len() as f64;
    let at = |j: usize, c: usize| y[j * (k + 2) + c] - centre;
    let outcomes = SaltelliOutcomes {
        a: (0..n).map(|j| at(j, 0)).collect(),
        b: (0..n).map(|j| at(j, k + 1)).collect(),
        ab: (0..k).map(|i| (0..n).map(|j| at(j, 1 + i)).collect()).collect(),
    };
    let all: Vec<usize> = (0..n).collect();
    let Some(point) = outcomes.indices(&all) else {
        return usage(
            "sobol indices: the outcome has zero variance over the A and B samples, so no factor explains \
             any of it (indices undefined)"
                .into(),
        );
    };
    let boot: Vec<Vec<(f64, f64)>> =
        (0..resamples).filter_map(|b| outcomes.indices(&resample(seed, purpose::SOBOL_BOOTSTRAP, b, n))).collect();
    let ci = |i: usize, pick: fn(&(f64, f64)) -> f64| percentile_interval(boot.iter().map(|r| pick(&r[i])).collect());
    Ok(point
        .iter()
        .enumerate()
        .map(|(i, &(s1, st))| SobolIndices {
            first: Estimate { estimate: s1, ci: ci(i, |r| r.0) },
            total: Estimate { estimate: st, ci: ci(i, |r| r.1) },
        })
        .collect())
}

/// Morris statistics of each of `k` factors from the outcomes `y` of a Morris design of `r`
/// trajectories (`rows` and `y` of length `r (k + 1)`, in the design's order).
///
/// The factor moved at each step, and the signed step, are recovered by comparing consecutive
/// rows of a trajectory: exactly one coordinate must differ, and each factor must move once per
/// trajectory. The elementary effect is EE = (y(x') − y(x)) / (x'_i − x_i) in unit coordinates
/// (so a step down counts with its sign). μ* gets a 95% percentile interval from `resamples`
/// bootstrap resamples of the trajectories (seeded by `seed`; none when `resamples` is 0).
/// Errors: wrong lengths, `k` zero, `r` below 2 (σ needs two effects), a non-finite outcome, or
/// rows that are not Morris trajectories.
pub fn morris_effects(
    rows: &[Vec<f64>],
    y: &[f64],
    k: usize,
    r: usize,
    resamples: usize,
    seed: u64,
) -> Result<Vec<MorrisIndices>> {
    if k == 0 || r < 2 {
        return usage(format!("morris effects: need k ≥ 1 factors and r ≥ 2 trajectories, got k = {k}, r = {r}"));
    }
    let expected = r.checked_mul(k + 1);
    if expected != Some(rows.len()) || expected != Some(y.len()) {
        return usage(format!(
            "morris effects: {} rows and {} outcomes for r = {r} trajectories of k = {k} factors; expected r (k + 1) \
             = {} of each",
            rows.len(),
            y.len(),
            expected.map_or("too many".into(), |e| e.to_string())
        ));
    }
    if let Some(i) = rows.iter().position(|row| row.len() != k) {
        return usage(format!("morris effects: row {i} has {} coordinates, expected k = {k}", rows[i].len()));
    }
    check_finite(y)?;
    // effects[t][i]: the elementary effect of factor i in trajectory t.
    let mut effects = vec![vec![0.0; k]; r];
    for (t, effect) in effects.iter_mut().enumerate() {
        let start = t * (k + 1);
        let mut moved = vec![false; k];
        for s in start..start + k {
            let (x0, x1) = (&rows[s], &rows[s + 1]);
            let mut changed = (0..k).filter(|&c| x0[c] != x1[c]);
            let (Some(i), None) = (changed.next(), changed.next()) else {
                return usage(format!(
                    "morris effects: rows {s} and {} (trajectory {t}) must differ in exactly one coordinate",
                    s + 1
                ));
            };
            if moved[i] {
                return usage(format!("morris effects: trajectory {t} moves factor {i} twice"));
            }
            moved[i] = true;
            effect[i] = (y[s + 1] - y[s]) / (x1[i] - x0[i]);
        }
    }
    let mu_star = |ts: &[usize], i: usize| ts.iter().map(|&t| effects[t][i].abs()).sum::<f64>() / ts.len() as f64;
    let all: Vec<usize> = (0..r).collect();
    let boot: Vec<Vec<usize>> = (0..resamples).map(|b| resample(seed, purpose::MORRIS_BOOTSTRAP, b, r)).collect();
    Ok((0..k)
        .map(|i| {
            let mu = effects.iter().map(|e| e[i]).sum::<f64>() / r as f64;
            let var = effects.iter().map(|e| (e[i] - mu).powi(2)).sum::<f64>() / (r - 1) as f64;
            MorrisIndices {
                mu,
                mu_star: Estimate {
                    estimate: mu_star(&all, i),
                    ci: percentile_interval(boot.iter().map(|ts| mu_star(ts, i)).collect()),
                },
                sigma: var.sqrt(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::design::{morris, saltelli, Factor};
    use std::f64::consts::PI;

    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|&u| Factor::linear(-PI, PI).value(u)).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    /// Sobol' g-function on unit coordinates.
    fn g_function(u: &[f64], a: &[f64]) -> f64 {
        u.iter().zip(a).map(|(&x, &a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a)).product()
    }

    fn covers(e: &Estimate, truth: f64) -> bool {
        e.ci.is_some_and(|(lo, hi)| lo <= truth && truth <= hi)
    }

    #[test]
    fn ishigami_sobol_indices() {
        let (k, n) = (3, 4096);
        let rows = saltelli(k, n, 2024).unwrap();
        let y: Vec<f64> = rows.iter().map(|r| ishigami(r)).collect();
        let s = sobol_indices(&y, k, n, 300, 7).unwrap();
        let s1 = [0.3139, 0.4424, 0.0];
        let st = [0.5576, 0.4424, 0.2437];
        let mut covered = 0;
        for i in 0..k {
            assert!((s[i].first.estimate - s1[i]).abs() < 0.05, "S1[{i}] = {:?}", s[i].first);
            assert!((s[i].total.estimate - st[i]).abs() < 0.05, "ST[{i}] = {:?}", s[i].total);
            for (e, truth) in [(&s[i].first, s1[i]), (&s[i].total, st[i])] {
                let (lo, hi) = e.ci.unwrap();
                assert!(lo <= e.estimate && e.estimate <= hi && hi - lo < 0.2, "{e:?}");
                covered += usize::from(covers(e, truth));
            }
        }
        // Six 95% intervals: at least five should hold the truth (all six with probability 0.74,
        // five or more with 0.97 if they were independent; a fixed seed makes this deterministic).
        assert!(covered >= 5, "{covered} of 6 intervals cover the truth: {s:?}");
    }

    #[test]
    fn linear_model_indices_are_shares_of_squared_coefficients() {
        let c = [1.0, 2.0, 3.0, 0.0];
        let (k, n) = (4, 1024);
        let rows = saltelli(k, n, 1).unwrap();
        let y: Vec<f64> = rows.iter().map(|r| r.iter().zip(c).map(|(x, c)| c * x).sum()).collect();
        let s = sobol_indices(&y, k, n, 0, 0).unwrap();
        let total: f64 = c.iter().map(|c| c * c).sum();
        for i in 0..k {
            let share = c[i] * c[i] / total;
            assert!((s[i].first.estimate - share).abs() < 0.02, "S1[{i}] = {:?}", s[i].first);
            assert!((s[i].total.estimate - share).abs() < 0.02, "ST[{i}] = {:?}", s[i].total);
            assert!(s[i].first.ci.is_none());
        }
        assert_eq!(s[3].total.estimate, 0.0);
    }

    #[test]
    fn sobol_degenerate_inputs_are_errors() {
        let (k, n) = (2, 8);
        let msg = |r: Result<Vec<SobolIndices>>| r.unwrap_err().to_string();
        assert!(msg(sobol_indices(&vec![0.1; n * (k + 2)], k, n, 10, 0)).contains("zero variance"));
        assert!(msg(sobol_indices(&[1.0; 7], k, n, 10, 0)).contains("expected n (k + 2) = 32"));
        assert!(msg(sobol_indices(&[], 0, n, 10, 0)).contains("k = 0"));
        let mut y: Vec<f64> = (0..n * (k + 2)).map(|i| i as f64).collect();
        y[5] = f64::NAN;
        assert!(msg(sobol_indices(&y, k, n, 10, 0)).contains("point 5 is NaN"));
        assert!(sobol_indices(&y, k, usize::MAX, 10, 0).is_err());
    }

    #[test]
    fn sobol_bootstrap_is_deterministic() {
        let (k, n) = (3, 64);
        let rows = saltelli(k, n, 3).unwrap();
        let y: Vec<f64> = rows.iter().map(|r| ishigami(r)).collect();
        let a = sobol_indices(&y, k, n, 50, 11).unwrap();
        assert_eq!(a, sobol_indices(&y, k, n, 50, 11).unwrap());
        assert_ne!(a, sobol_indices(&y, k, n, 50, 12).unwrap());
    }

    #[test]
    fn morris_ranks_g_function_factors() {
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
        let (k, r) = (a.len(), 100);
        let rows = morris(k, r, 4, 5).unwrap();
        let y: Vec<f64> = rows.iter().map(|row| g_function(row, &a)).collect();
        let m = morris_effects(&rows, &y, k, r, 200, 1).unwrap();
        let mu_star: Vec<f64> = m.iter().map(|m| m.mu_star.estimate).collect();
        for i in 0..3 {
            assert!(mu_star[i] > mu_star[i + 1], "μ* not decreasing at {i}: {mu_star:?}");
            // The intervals of the clearly separated factors do not overlap.
            let (lo, _) = m[i].mu_star.ci.unwrap();
            let (_, hi) = m[i + 1].mu_star.ci.unwrap();
            assert!(lo > hi, "{i}: {:?} vs {:?}", m[i].mu_star, m[i + 1].mu_star);
        }
        assert!(mu_star[3] > mu_star[4].max(mu_star[5]), "{mu_star:?}");
        assert!(mu_star[4] < 0.05 * mu_star[0] && mu_star[5] < 0.05 * mu_star[0], "{mu_star:?}");
    }

    #[test]
    fn morris_on_ishigami() {
        let (k, r) = (3, 200);
        let rows = morris(k, r, 4, 8).unwrap();
        let y: Vec<f64> = rows.iter().map(|row| ishigami(row)).collect();
        let m = morris_effects(&rows, &y, k, r, 0, 0).unwrap();
        // x1 and x2 matter most; x3 acts only through its interaction with x1, so its effects
        // change sign with sin(x1): μ near 0 against a large σ.
        assert!(
            m[0].mu_star.estimate > m[2].mu_star.estimate && m[1].mu_star.estimate > m[2].mu_star.estimate,
            "{m:?}"
        );
        assert!(m[2].mu.abs() < 0.25 * m[2].sigma, "{m:?}");
        assert!(m[2].sigma > m[0].sigma.max(m[1].sigma) * 0.5, "{m:?}");
        assert!(m.iter().all(|m| m.mu_star.ci.is_none()));
    }

    #[test]
    fn morris_linear_effects_are_the_slopes() {
        let c = [2.0, -3.0, 0.5];
        let (k, r) = (3, 10);
        let rows = morris(k, r, 6, 2).unwrap();
        let y: Vec<f64> = rows.iter().map(|row| row.iter().zip(c).map(|(x, c)| c * x).sum()).collect();
        let m = morris_effects(&rows, &y, k, r, 20, 3).unwrap();
        for i in 0..k {
            assert!((m[i].mu - c[i]).abs() < 1e-9 && (m[i].mu_star.estimate - c[i].abs()).abs() < 1e-9);
            assert!(m[i].sigma < 1e-9);
        }
    }

    #[test]
    fn morris_degenerate_inputs_are_errors() {
        let (k, r) = (2, 3);
        let rows = morris(k, r, 4, 0).unwrap();
        let y = vec![1.0; rows.len()];
        let msg = |r: Result<Vec<MorrisIndices>>| r.unwrap_err().to_string();
        // A constant outcome is valid: every effect is zero.
        let flat = morris_effects(&rows, &y, k, r, 5, 0).unwrap();
        assert!(flat.iter().all(|m| m.mu == 0.0 && m.sigma == 0.0 && m.mu_star.estimate == 0.0));
        assert!(msg(morris_effects(&rows, &y[1..], k, r, 0, 0)).contains("expected r (k + 1) = 9"));
        assert!(msg(morris_effects(&rows[..3], &y[..3], k, 1, 0, 0)).contains("r ≥ 2"));
        let mut bad = rows.clone();
        bad[1] = bad[0].clone();
        assert!(msg(morris_effects(&bad, &y, k, r, 0, 0)).contains("exactly one coordinate"));
        let mut short = rows.clone();
        short[4].pop();
        assert!(msg(morris_effects(&short, &y, k, r, 0, 0)).contains("row 4"));
        let mut y_nan = y.clone();
        y_nan[2] = f64::INFINITY;
        assert!(msg(morris_effects(&rows, &y_nan, k, r, 0, 0)).contains("point 2"));
    }
}
