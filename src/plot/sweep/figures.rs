//! What each sweep chart shows, backend-free: Sobol and Morris bars and dots from
//! `sensitivity.csv`, the heat map of a 2-parameter grid, or scatter panels of each outcome
//! against each parameter.

use super::data::{SensitivityRow, SweepData};

/// An outcome name made safe for a file name.
fn file_stem(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// One sweep chart.
#[derive(Debug, Clone)]
pub(super) struct SweepFigure {
    /// File stem, `<kind>_<outcome>`.
    pub(super) name: String,
    /// One of [`SWEEP_CHART_KINDS`](super::SWEEP_CHART_KINDS).
    pub(super) kind: &'static str,
    pub(super) title: String,
    pub(super) caption: String,
    pub(super) body: Body,
}

/// What a chart shows.
#[derive(Debug, Clone)]
pub(super) enum Body {
    /// Rows (parameter, S1, ST), top to bottom; each index as (estimate, ci low, ci high).
    Sobol(Vec<(String, Estimate, Estimate)>),
    /// (parameter, μ*, σ) with μ* and σ defined.
    Morris { unit: String, points: Vec<(String, f64, f64)> },
    /// x levels, y levels, mean per (x, y) (row-major by y), axis names, outcome label and unit.
    Heatmap { x: Axis, y: Axis, values: Vec<Option<f64>>, label: String, unit: String },
    /// Per parameter: (axis, points (x, mean, p05..p95)); outcome unit.
    Scatter { panels: Vec<(Axis, Vec<Dot>)>, unit: String },
}

/// One design point in a scatter panel: parameter value (log10 on a log axis), outcome mean, and
/// its 5th–95th percentile range.
pub(super) type Dot = (f64, f64, Option<(f64, f64)>);

/// A sensitivity estimate (finite, or `None`) and its confidence interval.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Estimate {
    pub(super) value: Option<f64>,
    pub(super) ci: Option<(f64, f64)>,
}

/// A parameter as a chart axis: its path, whether it is drawn on a log scale, and its distinct
/// finite values in ascending order.
#[derive(Debug, Clone)]
pub(super) struct Axis {
    pub(super) path: String,
    pub(super) log: bool,
    pub(super) levels: Vec<f64>,
}

/// Every chart the sweep's files support, in report order: sensitivity charts by outcome, then
/// the heatmap or scatter of each outcome.
pub(super) fn figures(data: &SweepData) -> Vec<SweepFigure> {
    let mut out = Vec::new();
    let reps = data.replicates.map_or_else(String::new, |r| format!(" ({r} replicate{} per point)", plural(r)));
    for outcome in &data.outcomes {
        let stem = file_stem(&outcome.name);
        let unit = if outcome.unit.is_empty() { String::new() } else { format!(" ({})", outcome.unit) };
        if let Some(body) = sobol(data, &outcome.name) {
            out.push(SweepFigure {
                name: format!("sobol_{stem}"),
                kind: "sobol",
                title: format!("Sobol indices: {}", outcome.label),
                caption: format!(
                    "First-order (S1) and total (ST) variance shares of each parameter, sorted by ST; whiskers: \
                     confidence intervals. Design: {}{reps}.",
                    data.design
                ),
                body,
            });
        }
        if let Some(points) = morris(data, &outcome.name) {
            out.push(SweepFigure {
                name: format!("morris_{stem}"),
                kind: "morris",
                title: format!("Morris screening: {}", outcome.label),
                caption: format!(
                    "μ*: mean absolute elementary effect (importance); σ: their spread (non-linearity or \
                     interactions). Dashed: σ = μ*. Design: {}{reps}.",
                    data.design
                ),
                body: Body::Morris { unit: outcome.unit.clone(), points },
            });
        }
        let k = data.outcomes.iter().position(|o| o.name == outcome.name).unwrap_or(0);
        if data.design == "grid" && data.parameters.len() == 2 {
            if let Some(body) = heatmap(data, k) {
                out.push(SweepFigure {
                    name: format!("heatmap_{stem}"),
                    kind: "heatmap",
                    title: format!("{} over the grid{unit}", outcome.label),
                    caption: format!("Mean across replicates at each grid point{reps}. Grey: no value."),
                    body,
                });
            }
        } else if let Some(body) = scatter(data, k) {
            out.push(SweepFigure {
                name: format!("scatter_{stem}"),
                kind: "scatter",
                title: format!("{} against each parameter{unit}", outcome.label),
                caption: format!(
                    "Dots: mean across replicates at each design point; whiskers: 5th–95th percentile. Design: {}{reps}.",
                    data.design
                ),
                body,
            });
        }
    }
    out
}

pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Parameters in the order they appear: the manifest's, then any other named in `rows`.
fn parameter_order<'a>(data: &'a SweepData, rows: impl Iterator<Item = &'a SensitivityRow>) -> Vec<String> {
    let mut names: Vec<String> = data.parameters.iter().map(|p| p.path.clone()).collect();
    for r in rows {
        if !names.contains(&r.parameter) {
            names.push(r.parameter.clone());
        }
    }
    names
}

fn estimate(data: &SweepData, method: &str, outcome: &str, parameter: &str, index: &str) -> Option<Estimate> {
    data.sensitivity
        .iter()
        .find(|r| r.method == method && r.outcome == outcome && r.parameter == parameter && r.index == index)
        .map(|r| Estimate { value: r.estimate.filter(|v| v.is_finite()), ci: r.ci_low.zip(r.ci_high) })
}

fn sobol(data: &SweepData, outcome: &str) -> Option<Body> {
    let rows = data.sensitivity.iter().filter(|r| r.method == "sobol" && r.outcome == outcome);
    let names = parameter_order(data, rows.clone());
    if rows.count() == 0 {
        return None;
    }
    let mut out: Vec<(String, Estimate, Estimate)> = names
        .into_iter()
        .filter_map(|p| {
            let s1 = estimate(data, "sobol", outcome, &p, "S1");
            let st = estimate(data, "sobol", outcome, &p, "ST");
            (s1.is_some() || st.is_some()).then(|| (p, s1.unwrap_or_default(), st.unwrap_or_default()))
        })
        .collect();
    // Largest total index first; undefined last; ties by first-order index, then name.
    let key = |e: &Estimate| e.value.unwrap_or(f64::NEG_INFINITY);
    out.sort_by(|a, b| key(&b.2).total_cmp(&key(&a.2)).then(key(&b.1).total_cmp(&key(&a.1))).then(a.0.cmp(&b.0)));
    Some(Body::Sobol(out))
}

fn morris(data: &SweepData, outcome: &str) -> Option<Vec<(String, f64, f64)>> {
    let rows = data.sensitivity.iter().filter(|r| r.method == "morris" && r.outcome == outcome);
    let names = parameter_order(data, rows.clone());
    if rows.count() == 0 {
        return None;
    }
    let points: Vec<(String, f64, f64)> = names
        .into_iter()
        .filter_map(|p| {
            let mu_star = estimate(data, "morris", outcome, &p, "mu_star")?.value?;
            let sigma = estimate(data, "morris", outcome, &p, "sigma")?.value?;
            Some((p, mu_star, sigma))
        })
        .collect();
    (!points.is_empty()).then_some(points)
}

fn axis_of(data: &SweepData, j: usize) -> Axis {
    let p = &data.parameters[j];
    let mut levels: Vec<f64> =
        data.points.iter().filter_map(|pt| pt.values.get(j).copied().flatten()).filter(|v| v.is_finite()).collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    Axis { path: p.path.clone(), log: p.log && levels.iter().all(|v| *v > 0.0), levels }
}

fn heatmap(data: &SweepData, k: usize) -> Option<Body> {
    let (x, y) = (axis_of(data, 0), axis_of(data, 1));
    if x.levels.is_empty() || y.levels.is_empty() {
        return None;
    }
    let mut sums = vec![(0.0, 0usize); x.levels.len() * y.levels.len()];
    for pt in &data.points {
        let (Some(Some(a)), Some(Some(b)), Some(Some(v))) =
            (pt.values.first(), pt.values.get(1), pt.stats.get(k).map(|s| s[0]))
        else {
            continue;
        };
        let (Some(i), Some(j)) = (x.levels.iter().position(|l| l == a), y.levels.iter().position(|l| l == b)) else {
            continue;
        };
        if v.is_finite() {
            let cell = &mut sums[j * x.levels.len() + i];
            cell.0 += v;
            cell.1 += 1;
        }
    }
    let values: Vec<Option<f64>> = sums.iter().map(|(s, n)| (*n > 0).then(|| s / *n as f64)).collect();
    if values.iter().all(Option::is_none) {
        return None;
    }
    let o = &data.outcomes[k];
    Some(Body::Heatmap { x, y, values, label: o.label.clone(), unit: o.unit.clone() })
}

/// Most points drawn per scatter panel: beyond it every `⌈n / MAX_SCATTER_POINTS⌉`-th point (in
/// point order, so the choice is deterministic) is drawn, which keeps chart files and plotting
/// memory bounded however many points a sweep has.
pub const MAX_SCATTER_POINTS: usize = 2000;

fn scatter(data: &SweepData, k: usize) -> Option<Body> {
    let mut panels = Vec::new();
    let stride = data.points.len().div_ceil(MAX_SCATTER_POINTS).max(1);
    for j in 0..data.parameters.len() {
        let axis = axis_of(data, j);
        let points: Vec<Dot> = data
            .points
            .iter()
            .step_by(stride)
            .filter_map(|pt| {
                let x = pt.values.get(j).copied().flatten()?;
                let s = pt.stats.get(k)?;
                let mean = s[0].filter(|v| v.is_finite())?;
                let x = if axis.log { x.log10() } else { x };
                x.is_finite().then_some((x, mean, s[2].zip(s[4])))
            })
            .collect();
        if !points.is_empty() {
            panels.push((axis, points));
        }
    }
    (!panels.is_empty()).then(|| Body::Scatter { panels, unit: data.outcomes[k].unit.clone() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("zm exports/2024"), "zm_exports_2024");
    }
}
