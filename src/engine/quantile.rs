//! The crate's one quantile definition: Hyndman–Fan type 7 (linear interpolation between order
//! statistics; numpy's default `quantile` and R's `quantile` default), with numpy's `_lerp`.
//!
//! It lives in `engine`, a layer below `sweep`, `output` and the binary, which all use it:
//! `output::sketch::QuantileSketch` (summary and annual quantiles), `sweep::outcome::OutcomeStats`
//! (sweep points' and fact checks' p05/p50/p95), the bootstrap intervals of `sweep::sensitivity`
//! and the bench's median.

/// Type-7 `q`-quantile of the values `sorted` (ascending, e.g. `sort_by(f64::total_cmp)`);
/// `None` when `sorted` is empty.
///
/// With `n` values, `h = q (n - 1)`: the result interpolates linearly between `sorted[floor(h)]`
/// and `sorted[floor(h) + 1]`, so `q = 0` gives the minimum, `q = 1` the maximum and one value
/// gives itself for every `q`. `q` is clamped to `[0, 1]`; a NaN `q` gives the median.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    quantile_ranked(sorted.len() as u64, q, |r| sorted[r as usize])
}

/// [`quantile_sorted`] over `n` ranked values that need not be stored one by one: `at_rank(r)`
/// is the value at rank `r` (`0 ≤ r < n`, ascending), as for a sketch's weighted items. `None`
/// when `n = 0` (`at_rank` is then never called).
pub fn quantile_ranked(n: u64, q: f64, at_rank: impl Fn(u64) -> f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
    let h = q * (n - 1) as f64;
    let lo = h.floor();
    let frac = h - lo;
    let lo = lo as u64;
    let v_lo = at_rank(lo);
    Some(if frac > 0.0 { lerp(v_lo, at_rank(lo + 1), frac) } else { v_lo })
}

/// Linear interpolation as numpy's `_lerp`: from the nearer end, so `t = 1` gives `b` exactly.
/// Equal ends give that value exactly, also when infinite.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b {
        return a;
    }
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_type_7() {
        // numpy.quantile([1, 2, 4, 8, 16], q) for q = 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, as numpy
        // prints them (0.95: h = 3.8 interpolates from the upper end, 16 - 8 * 0.2).
        let v = [1.0, 2.0, 4.0, 8.0, 16.0];
        let want = [(0.1, 1.4), (0.25, 2.0), (0.5, 4.0), (0.75, 8.0), (0.9, 12.8), (0.95, 14.399999999999999)];
        for (q, x) in want {
            assert_eq!(quantile_sorted(&v, q), Some(x), "q = {q}");
        }
        // numpy.quantile([0, 10], [0.05, 0.5, 0.95]) and numpy.quantile([3, 5, 9, 10], 0.3).
        assert_eq!(quantile_sorted(&[0.0, 10.0], 0.05), Some(0.5));
        assert_eq!(quantile_sorted(&[0.0, 10.0], 0.5), Some(5.0));
        assert_eq!(quantile_sorted(&[0.0, 10.0], 0.95), Some(9.5));
        assert_eq!(quantile_sorted(&[3.0, 5.0, 9.0, 10.0], 0.3), Some(4.8));
    }

    #[test]
    fn ends_one_value_and_empty() {
        let v = [-2.0, 0.5, 7.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(-2.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(7.0));
        assert_eq!(quantile_sorted(&v, -1.0), Some(-2.0), "q clamped");
        assert_eq!(quantile_sorted(&v, 2.0), Some(7.0), "q clamped");
        assert_eq!(quantile_sorted(&v, f64::NAN), Some(0.5), "NaN q is the median");
        for q in [0.0, 0.3, 0.5, 1.0] {
            assert_eq!(quantile_sorted(&[4.25], q), Some(4.25));
        }
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_ranked(0, 0.5, |_| unreachable!()), None);
    }

    #[test]
    fn equal_infinite_ends_stay_infinite() {
        let v = [1.0, f64::INFINITY, f64::INFINITY];
        assert_eq!(quantile_sorted(&v, 0.75), Some(f64::INFINITY));
    }
}
