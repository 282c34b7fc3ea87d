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
