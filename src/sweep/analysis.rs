//! Sensitivity analysis of a finished sweep: Sobol first-order and total indices with
//! bootstrap intervals (Saltelli design) or Morris μ, μ*, σ (Morris design), per outcome,
//! computed from the per-point outcome means.
//!
//! The analysis needs only the [`Plan`] (recorded in the sweep manifest) and the means read
//! back from `points.csv`, so a single-machine sweep and a merge of shards compute it from the
//! same numbers and write the same bytes.

use serde::{Deserialize, Serialize};

use super::design::Design;
use super::sensitivity;
use super::spec::Sweep;

/// What the analysis needs to know about a sweep's design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Design name (`grid`, `random`, `lhs`, `saltelli`, `morris`).
    pub design: String,
    /// Parameter names, in column order.
    pub parameters: Vec<String>,
    /// Outcome names, in column order.
    pub outcomes: Vec<String>,
    /// `sweep.points` (Saltelli base samples, Morris trajectories, random/LHS points).
    pub points_requested: usize,
    /// Levels per grid factor or of the Morris grid.
    pub levels: usize,
    /// Levels of each grid factor.
    pub grid_levels: Vec<usize>,
    /// Sweep seed.
    pub seed: u64,
    /// Bootstrap resamples of Sobol intervals.
    pub bootstrap: u32,
}

impl Plan {
    /// The plan of a loaded sweep.
    pub fn of(sweep: &Sweep) -> Self {
        Plan {
            design: sweep.design.name().to_string(),
            parameters: sweep.parameters.iter().map(|p| p.name.clone()).collect(),
            outcomes: sweep.outcomes.iter().map(|o| o.spec.name.clone()).collect(),
            points_requested: sweep.points_requested as usize,
            levels: sweep.levels,
            grid_levels: sweep.grid_levels.clone(),
            seed: sweep.seed,
            bootstrap: sweep.bootstrap,
        }
    }

    /// Whether this design has an analysis (`sensitivity.csv`).
    pub fn has_indices(&self) -> bool {
        matches!(self.design.parse::<Design>(), Ok(Design::Saltelli | Design::Morris { .. }))
    }
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// `sobol` or `morris`.
    pub method: &'static str,
    /// Outcome name.
    pub outcome: String,
    /// Parameter name.
    pub parameter: String,
    /// `S1`, `ST` (Sobol) or `mu`, `mu_star`, `sigma` (Morris).
    pub index: &'static str,
    /// Estimate; `None` when undefined (e.g. an outcome that does not vary).
    pub estimate: Option<f64>,
    /// Lower end of the 95% bootstrap interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% bootstrap interval.
    pub ci_high: Option<f64>,
}

/// The sensitivity indices of every outcome, given `means[outcome][point]` in point order.
/// Empty for designs without an analysis. Outcomes whose means do not vary (or are not all
/// finite) get rows with empty estimates rather than an error, so one flat outcome does not
/// sink the others.
pub fn analyse(plan: &Plan, means: &[Vec<f64>]) -> Vec<IndexRow> {
    let k = plan.parameters.len();
    let mut rows = Vec::new();
    match plan.design.parse::<Design>() {
        Ok(Design::Saltelli) => {
            for (o, y) in plan.outcomes.iter().zip(means) {
                let est =
                    sensitivity::sobol_indices(y, k, plan.points_requested, plan.bootstrap as usize, plan.seed).ok();
                for (i, p) in plan.parameters.iter().enumerate() {
                    let e = est.as_ref().map(|v| &v[i]);
                    let row = |index, estimate: Option<f64>, ci: Option<(f64, f64)>| IndexRow {
                        method: "sobol",
                        outcome: o.clone(),
                        parameter: p.clone(),
                        index,
                        estimate,
                        ci_low: ci.map(|c| c.0),
                        ci_high: ci.map(|c| c.1),
                    };
                    rows.push(row("S1", e.map(|e| e.first.estimate), e.and_then(|e| e.first.ci)));
                    rows.push(row("ST", e.map(|e| e.total.estimate), e.and_then(|e| e.total.ci)));
                }
            }
        }
        Ok(design @ Design::Morris { .. }) => {
            let unit = design.unit_rows(k, plan.points_requested, plan.seed).unwrap_or_default();
            for (o, y) in plan.outcomes.iter().zip(means) {
                let est =
                    sensitivity::morris_effects(&unit, y, k, plan.points_requested, plan.bootstrap as usize, plan.seed)
                        .ok();
                for (i, p) in plan.parameters.iter().enumerate() {
                    let e = est.as_ref().map(|v| &v[i]);
                    for (index, value, ci) in [
                        ("mu", e.map(|e| e.mu), None),
                        ("mu_star", e.map(|e| e.mu_star.estimate), e.and_then(|e| e.mu_star.ci)),
                        ("sigma", e.map(|e| e.sigma), None),
                    ] {
                        rows.push(IndexRow {
                            method: "morris",
                            outcome: o.clone(),
                            parameter: p.clone(),
                            index,
                            estimate: value,
                            ci_low: ci.map(|c: (f64, f64)| c.0),
                            ci_high: ci.map(|c: (f64, f64)| c.1),
                        });
                    }
                }
            }
        }
        _ => {}
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::design::{map_rows, Factor};

    fn plan(design: &str, parameters: &[&str], outcomes: &[&str], points: usize, levels: usize) -> Plan {
        Plan {
            design: design.to_string(),
            parameters: parameters.iter().map(|s| s.to_string()).collect(),
            outcomes: outcomes.iter().map(|s| s.to_string()).collect(),
            points_requested: points,
            levels,
            grid_levels: vec![levels; parameters.len()],
            seed: 11,
            bootstrap: 100,
        }
    }

    fn row<'a>(rows: &'a [IndexRow], outcome: &str, parameter: &str, index: &str) -> &'a IndexRow {
        rows.iter()
            .find(|r| r.outcome == outcome && r.parameter == parameter && r.index == index)
            .unwrap_or_else(|| panic!("no row {outcome}/{parameter}/{index}"))
    }

    /// Grid, random and LHS designs (and unknown names) have no indices: no rows at all.
    #[test]
    fn non_index_designs_have_no_rows() {
        for design in ["grid", "random", "lhs", "no_such_design"] {
            let p = plan(design, &["a", "b"], &["y"], 8, 4);
            assert!(!p.has_indices(), "{design}");
            assert!(analyse(&p, &[vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]).is_empty(), "{design}");
        }
        for design in ["saltelli", "morris"] {
            assert!(plan(design, &["a"], &["y"], 8, 4).has_indices(), "{design}");
        }
    }

    /// Sobol on y = a·x1 + b·x2 with uniform inputs: S1_i = ST_i = c_i² / (a² + b²), each
    /// estimate inside its bootstrap interval; rows come per outcome, per parameter, S1 then ST.
    #[test]
    fn saltelli_additive_function_gives_closed_form_indices() {
        let (a, b, n) = (1.0, 2.0, 512);
        let p = plan("saltelli", &["x1", "x2"], &["y", "flat"], n, 4);
        let rows = Design::Saltelli.unit_rows(2, n, p.seed).unwrap();
        assert_eq!(rows.len(), n * 4);
        let y: Vec<f64> = rows.iter().map(|x| a * x[0] + b * x[1]).collect();
        let out = analyse(&p, &[y, vec![3.0; rows.len()]]);
        assert_eq!(out.len(), 2 * 2 * 2);
        let order: Vec<(&str, &str, &str)> =
            out.iter().map(|r| (r.outcome.as_str(), r.parameter.as_str(), r.index)).collect();
        assert_eq!(&order[..4], [("y", "x1", "S1"), ("y", "x1", "ST"), ("y", "x2", "S1"), ("y", "x2", "ST")]);
        for (param, c) in [("x1", a), ("x2", b)] {
            let expected = c * c / (a * a + b * b);
            for index in ["S1", "ST"] {
                let r = row(&out, "y", param, index);
                assert_eq!(r.method, "sobol");
                let e = r.estimate.unwrap();
                assert!((e - expected).abs() < 0.05, "{param} {index}: {e} vs {expected}");
                let (lo, hi) = (r.ci_low.unwrap(), r.ci_high.unwrap());
                assert!(lo <= e && e <= hi, "{param} {index}: {lo} <= {e} <= {hi}");
            }
        }
        // A flat outcome keeps its rows, with empty estimates, and does not sink the other.
        for r in out.iter().filter(|r| r.outcome == "flat") {
            assert_eq!((r.estimate, r.ci_low, r.ci_high), (None, None, None));
        }
    }

    /// A factor the outcome does not depend on gets S1 and ST near 0.
    #[test]
    fn saltelli_inert_factor_gets_zero_indices() {
        let n = 256;
        let p = plan("saltelli", &["x1", "x2", "x3"], &["y"], n, 4);
        let rows = Design::Saltelli.unit_rows(3, n, p.seed).unwrap();
        let y: Vec<f64> = rows.iter().map(|x| x[0] + x[1] * x[1]).collect();
        let out = analyse(&p, &[y]);
        for index in ["S1", "ST"] {
            let e = row(&out, "y", "x3", index).estimate.unwrap();
            assert!(e.abs() < 1e-9, "x3 {index}: {e}");
        }
    }

    /// Morris on a linear function of the parameter values: every elementary effect in unit
    /// coordinates is c_i × (high_i − low_i), so μ = that, μ* = |that| and σ = 0.
    #[test]
    fn morris_linear_function_mu_star_is_coefficient_times_range() {
        let r = 10;
        let p = plan("morris", &["x1", "x2"], &["y"], r, 4);
        let factors = [Factor::linear(10.0, 20.0), Factor::linear(-1.0, 3.0)];
        let coef = [-3.0, 0.5];
        let unit = Design::Morris { levels: 4 }.unit_rows(2, r, p.seed).unwrap();
        let values = map_rows(&factors, &unit);
        let y: Vec<f64> = values.iter().map(|v| coef[0] * v[0] + coef[1] * v[1]).collect();
        let out = analyse(&p, &[y]);
        assert_eq!(out.len(), 2 * 3);
        for (i, param) in ["x1", "x2"].into_iter().enumerate() {
            let effect = coef[i] * (factors[i].high - factors[i].low);
            let close = |v: f64, w: f64| (v - w).abs() <= 1e-9 * w.abs().max(1.0);
            let mu = row(&out, "y", param, "mu");
            assert!(close(mu.estimate.unwrap(), effect), "{param} mu {:?} vs {effect}", mu.estimate);
            assert_eq!((mu.ci_low, mu.ci_high), (None, None));
            let ms = row(&out, "y", param, "mu_star");
            assert_eq!(ms.method, "morris");
            assert!(close(ms.estimate.unwrap(), effect.abs()), "{param} mu* {:?} vs {}", ms.estimate, effect.abs());
            let (lo, hi) = (ms.ci_low.unwrap(), ms.ci_high.unwrap());
            assert!(close(lo, effect.abs()) && close(hi, effect.abs()), "{param}: [{lo}, {hi}]");
            let sigma = row(&out, "y", param, "sigma").estimate.unwrap();
            assert!(sigma.abs() < 1e-9, "{param} sigma {sigma}");
        }
    }

    /// Morris of a sweep with `sweep.levels = 6`: the analysis should rebuild the design with
    /// the plan's levels, so μ* of a linear function is still |c| × range.
    #[test]
    #[ignore = "analyse rebuilds Morris rows with MORRIS_DEFAULT_LEVELS, not plan.levels"]
    fn morris_uses_the_plans_levels() {
        let r = 10;
        let p = plan("morris", &["x1", "x2"], &["y"], r, 6);
        let unit = Design::Morris { levels: 6 }.unit_rows(2, r, p.seed).unwrap();
        let y: Vec<f64> = unit.iter().map(|x| 2.0 * x[0] + x[1]).collect();
        let out = analyse(&p, &[y]);
        let ms = row(&out, "y", "x1", "mu_star").estimate;
        assert!(ms.is_some_and(|v| (v - 2.0).abs() < 1e-9), "mu* {ms:?}");
    }
}
