//! Calibration targets: observed facts as outcomes with an observed value, an acceptance band, a
//! weight and a source. A targets file (`[[targets]]`) is parsed and checked here with the
//! file's line numbers; each target is then resolved to an [`Outcome`] against a scenario, and
//! replicates of that scenario are reduced to one value per target (`simulate`) and compared
//! with the observations (`fit`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::{self, seed, Workers};
use crate::error::Result;
use crate::model::metrics::MetricSet;
use crate::scenario::spans::{did_you_mean, Elements, Spans};
use crate::scenario::{Scenario, YearMonth};

use super::outcome::{valid_name, Aggregation, Outcome, OutcomeSpec, OutcomeStats, Window};
use super::spec::parse_month;

/// One target as written: an outcome, how its model value is scaled, the observation and its
/// acceptance band.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// The outcome (its name is the target id).
    pub outcome: OutcomeSpec,
    /// Factor applied to the model's outcome before comparison (e.g. 12: a monthly mean to an
    /// annual figure).
    pub scale: f64,
    /// Observed value, in the target's units (after `scale`).
    pub observed: f64,
    /// Acceptance band `[low, high]`; contains `observed`.
    pub band: (f64, f64),
    /// Weight in the calibration distance (≥ 0).
    pub weight: f64,
    /// Source key of facts.md.
    pub source: String,
    /// Confidence grade of the fact (H, M or L, as in facts.md), if given.
    pub confidence: Option<String>,
    /// Why the band is what it is, how the fact maps to the metric.
    pub note: Option<String>,
}

impl TargetSpec {
    /// The target's id (its outcome name).
    pub fn id(&self) -> &str {
        &self.outcome.name
    }

    /// Half the band's width: the unit of misfit in the calibration distance.
    pub fn half_width(&self) -> f64 {
        0.5 * (self.band.1 - self.band.0)
    }

    /// Whether a model value lies inside the band (bounds included).
    pub fn inside(&self, x: f64) -> bool {
        x >= self.band.0 && x <= self.band.1
    }
}

/// A validated targets file.
#[derive(Debug)]
pub struct TargetFile {
    /// The file.
    pub source: PathBuf,
    /// Free text.
    pub description: Option<String>,
    /// Targets in file order.
    pub targets: Vec<TargetSpec>,
    spans: Spans,
}

/// A target resolved against a scenario: ready to evaluate on its trajectories.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The definition.
    pub spec: TargetSpec,
    /// The resolved outcome.
    pub outcome: Outcome,
}

impl Target {
    /// The target's model value in one replicate (the outcome times `scale`).
    pub fn value(&self, traj: &crate::model::metrics::Trajectory) -> f64 {
        self.spec.scale * self.outcome.evaluate(traj)
    }
}

/// How a target fares over the replicates of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetFit {
    /// Statistics of the model value over replicates.
    pub stats: OutcomeStats,
    /// Whether the median lies inside the acceptance band.
    pub inside: bool,
    /// Distribution-free 95 % confidence interval of the median over replicates (order
    /// statistics, see [`median_interval`]): where another master seed's median may fall.
    pub median_ci: (f64, f64),
    /// Whether the whole of `median_ci` lies inside the band, i.e. the verdict `inside` does not
    /// hang on the Monte Carlo draw.
    pub robust: bool,
    /// (median − observed) / half band width.
    pub z: f64,
}

impl TargetFit {
    /// One-word verdict: `yes` (median and its 95 % interval inside the band), `edge` (median
    /// inside, interval crossing a band edge), `miss` (median outside, interval reaching into the
    /// band) or `NO` (the whole interval outside).
    pub fn verdict(&self, band: (f64, f64)) -> &'static str {
        let reaches = self.median_ci.1 >= band.0 && self.median_ci.0 <= band.1;
        match (self.inside, self.robust, reaches) {
            (true, true, _) => "yes",
            (true, false, _) => "edge",
            (false, _, true) => "miss",
            (false, _, false) => "NO",
        }
    }
}

/// Distribution-free 95 % confidence interval of the median of ascending `sorted` (not empty):
/// the order statistics x_(j) and x_(k) with j = ⌊n/2 − 1.96 √n / 2⌋ and k = ⌈n/2 + 1.96 √n / 2⌉
/// (1-based, clamped to 1..n), the normal approximation to the binomial count of values below
/// the median. For n = 100 it is [x_(40), x_(60)].
pub fn median_interval(sorted: &[f64]) -> (f64, f64) {
    let n = sorted.len() as f64;
    let half = 1.96 * n.sqrt() / 2.0;
    let j = ((n / 2.0 - half).floor() as usize).clamp(1, sorted.len());
    let k = ((n / 2.0 + half).ceil() as usize).clamp(1, sorted.len());
    (sorted[j - 1], sorted[k - 1])
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    description: Option<String>,
    #[serde(default)]
    targets: Vec<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    id: String,
    metric: String,
    year: Option<i32>,
    from: Option<String>,
    to: Option<String>,
    aggregation: Option<String>,
    scale: Option<f64>,
    observed: f64,
    band: Option<Vec<f64>>,
    tolerance: Option<f64>,
    weight: Option<f64>,
    source: String,
    confidence: Option<String>,
    label: Option<String>,
    note: Option<String>,
}

impl TargetFile {
    /// Reads and checks a targets file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::scenario::input::read_text(path)?;
        Self::parse(&text, path)
    }

    /// Checks the text of a targets file; `path` is used in error locations.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let spans = Spans::parse(text, path, Elements::ByIndex)?;
        crate::scenario::kind::expect_text(text, path, crate::scenario::kind::FileKind::Targets)?;
        let raw: RawFile = spans.deserialize(text)?;
        if raw.targets.is_empty() {
            return Err(spans.error("targets", "a targets file needs at least one [[targets]] entry"));
        }
        // Market metrics (`exports_<market>`) depend on the scenario: checked by `resolve`.
        let metrics = MetricSet::new::<&str>(&[]);
        let mut targets: Vec<TargetSpec> = Vec::new();
        for (i, rt) in raw.targets.into_iter().enumerate() {
            let t = target(&spans, i, rt, &metrics)?;
            if targets.iter().any(|o| o.id() == t.id()) {
                return Err(spans.error(&format!("targets[{i}].id"), format!("two targets have id {:?}", t.id())));
            }
            targets.push(t);
        }
        Ok(TargetFile { source: path.to_path_buf(), description: raw.description, targets, spans })
    }

    /// The last month any target looks at, or `None` when one runs to the end of the run.
    /// Months after it cannot change a target (the model is causal), so runs for these targets
    /// may stop there.
    pub fn last_month(&self) -> Option<YearMonth> {
        let mut last: Option<YearMonth> = None;
        for t in &self.targets {
            let to = t.outcome.window.to?;
            last = Some(last.map_or(to, |l| l.max(to)));
        }
        last
    }

    /// `scenario` cut at [`TargetFile::last_month`] (when that is before its end).
    pub fn horizon(&self, scenario: &Scenario) -> Scenario {
        let mut s = scenario.clone();
        if let Some(last) = self.last_month() {
            if last < s.end && last >= s.start {
                s.end = last;
            }
        }
        s
    }

    /// Resolves every target against `scenario`'s metrics and months; errors point at the
    /// target in the file.
    pub fn resolve(&self, scenario: &Scenario) -> Result<Vec<Target>> {
        let metrics = MetricSet::new(&scenario.markets.iter().map(|m| m.id.as_str()).collect::<Vec<_>>());
        self.targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let outcome =
                    Outcome::resolve(&t.outcome, &metrics, scenario.start, scenario.months()).map_err(|e| {
                        self.spans.error(&format!("targets[{i}]"), format!("{} (scenario {:?})", e.0, scenario.name))
                    })?;
                Ok(Target { spec: t.clone(), outcome })
            })
            .collect()
    }
}

fn target(spans: &Spans, i: usize, rt: RawTarget, metrics: &MetricSet) -> Result<TargetSpec> {
    let key = format!("targets[{i}]");
    let at = |k: &str| format!("{key}.{k}");
    if !valid_name(&rt.id) {
        return Err(spans.error(&at("id"), format!("{:?}: an id must be letters, digits and `_`", rt.id)));
    }
    let position = metrics.position(&rt.metric);
    let market_metric = rt.metric.starts_with("exports_");
    if position.is_none() && !market_metric {
        let hint = match did_you_mean(&rt.metric, &metrics.names, 0.8) {
            Some(n) => format!(" (did you mean `{n}`?)"),
            None => "; `zeromile describe` and docs/model.md list the metrics".to_string(),
        };
        return Err(spans.error(&at("metric"), format!("unknown metric `{}`{hint}", rt.metric)));
    }
    let window = match (rt.year, &rt.from, &rt.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(spans.error(&at("year"), "give either `year` or `from`/`to`, not both"))
        }
        (Some(y), None, None) => Window::year(y),
        (None, None, None) => {
            return Err(spans.error(&key, "missing the window: `year = 2024` or `from`/`to` = \"YYYY-MM\""))
        }
        (None, from, to) => Window {
            from: from.as_deref().map(|t| parse_month(spans, &at("from"), t)).transpose()?,
            to: to.as_deref().map(|t| parse_month(spans, &at("to"), t)).transpose()?,
        },
    };
    if let (Some(f), Some(t)) = (window.from, window.to) {
        if f > t {
            return Err(spans.error(&at("to"), format!("the window {f}..{t} is empty: `from` is after `to`")));
        }
    }
    let aggregation = match rt.aggregation.as_deref() {
        None => position.map_or(Aggregation::Sum, |j| Aggregation::natural(metrics.annual[j])),
        Some(a) => Aggregation::parse(a).ok_or_else(|| {
            let names: Vec<&str> = Aggregation::ALL.iter().map(|(_, n)| *n).collect();
            spans.error(&at("aggregation"), format!("unknown aggregation {a:?}: expected one of {}", names.join(", ")))
        })?,
    };
    let scale = rt.scale.unwrap_or(1.0);
    if !scale.is_finite() || scale == 0.0 {
        return Err(spans.error(&at("scale"), format!("{scale}: expected a finite, non-zero factor")));
    }
    if !rt.observed.is_finite() {
        return Err(spans.error(&at("observed"), "expected a finite number"));
    }
    let band =
        match (&rt.band, rt.tolerance) {
            (Some(_), Some(_)) => {
                return Err(spans.error(&at("tolerance"), "give either `band = [low, high]` or `tolerance`, not both"))
            }
            (None, None) => return Err(spans.error(
                &key,
                "missing the acceptance band: `band = [low, high]` or `tolerance = 0.05` (relative, ± around observed)",
            )),
            (Some(b), None) => match b.as_slice() {
                [lo, hi] if lo.is_finite() && hi.is_finite() && lo < hi => (*lo, *hi),
                _ => return Err(spans.error(&at("band"), format!("{b:?}: expected [low, high] with low < high"))),
            },
            (None, Some(tol)) => {
                if !(tol > 0.0 && tol < 10.0) || rt.observed == 0.0 {
                    return Err(spans.error(
                        &at("tolerance"),
                        format!("{tol}: expected a relative tolerance in (0, 10) around a non-zero observed value"),
                    ));
                }
                let (a, b) = (rt.observed * (1.0 - tol), rt.observed * (1.0 + tol));
                (a.min(b), a.max(b))
            }
        };
    if rt.observed < band.0 || rt.observed > band.1 {
        return Err(spans.error(
            &at("band"),
            format!("the band [{}, {}] does not contain the observed value {}", band.0, band.1, rt.observed),
        ));
    }
    let weight = rt.weight.unwrap_or(1.0);
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(spans.error(&at("weight"), format!("{weight}: expected a finite weight ≥ 0")));
    }
    if rt.source.trim().is_empty() {
        return Err(spans.error(&at("source"), "expected the source key of the fact (facts.md `Source keys`)"));
    }
    if let Some(c) = &rt.confidence {
        if !matches!(c.as_str(), "H" | "M" | "L") {
            return Err(spans.error(&at("confidence"), format!("{c:?}: expected H, M or L (facts.md grades)")));
        }
    }
    Ok(TargetSpec {
        outcome: OutcomeSpec { name: rt.id, metric: rt.metric, window, aggregation, label: rt.label },
        scale,
        observed: rt.observed,
        band,
        weight,
        source: rt.source,
        confidence: rt.confidence,
        note: rt.note,
    })
}

/// Runs `replicates` replicates of `scenario` (replicate r under key
/// `replicate_key(seed, r)`) on `workers` and returns each replicate's target values, in
/// replicate order. `progress` receives the number of replicates finished so far.
pub fn simulate(
    scenario: &Scenario,
    targets: &[Target],
    seed: u64,
    replicates: u64,
    workers: &Workers,
    progress: &mut dyn FnMut(u64),
) -> Vec<Vec<f64>> {
    let window = (2 * workers.threads()).max(1) as u64;
    let mut out = Vec::with_capacity(replicates as usize);
    let mut start = 0;
    while start < replicates {
        let end = (start + window).min(replicates);
        let reps: Vec<u64> = (start..end).collect();
        out.extend(workers.map(&reps, |&r| {
            let traj = engine::run_one(scenario, seed::replicate_key(seed, r));
            targets.iter().map(|t| t.value(&traj)).collect::<Vec<f64>>()
        }));
        progress(end);
        start = end;
    }
    out
}

/// Summarises per-replicate values (`values[r][target]`) into each target's fit; `None` when
/// there are no replicates.
pub fn fit(targets: &[Target], values: &[Vec<f64>]) -> Option<Vec<TargetFit>> {
    targets
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let mut v: Vec<f64> = values.iter().map(|row| row[j]).collect();
            let stats = OutcomeStats::of(&v)?;
            v.sort_by(f64::total_cmp);
            let median_ci = median_interval(&v);
            let inside = t.spec.inside(stats.p50);
            let robust = t.spec.inside(median_ci.0) && t.spec.inside(median_ci.1);
            let z = (stats.p50 - t.spec.observed) / t.spec.half_width();
            Some(TargetFit { stats, inside, median_ci, robust, z })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TargetFile> {
        TargetFile::parse(text, Path::new("t.toml"))
    }

    const ONE: &str = r#"
[[targets]]
id = "production_2019"
metric = "production"
year = 2019
observed = 25.72e6
tolerance = 0.05
source = "CAAM"
confidence = "H"

[[targets]]
id = "capacity_2024"
metric = "capacity"
from = "2019-01"
to = "2019-03"
aggregation = "mean"
scale = 12.0
observed = 40.0e6
band = [35.0e6, 45.0e6]
weight = 0.5
source = "Bloomberg/Gasgoo"
"#;

    #[test]
    fn parses_windows_bands_and_defaults() {
        let f = parse(ONE).unwrap();
        assert_eq!(f.targets.len(), 2);
        let p = &f.targets[0];
        assert_eq!(p.outcome.aggregation, Aggregation::Sum, "flows are summed by default");
        assert!((p.band.0 - 25.72e6 * 0.95).abs() < 1.0 && (p.band.1 - 25.72e6 * 1.05).abs() < 1.0);
        assert_eq!(p.weight, 1.0);
        let c = &f.targets[1];
        assert_eq!(c.outcome.aggregation, Aggregation::Mean, "levels are averaged by default");
        assert_eq!(c.half_width(), 5.0e6);
        assert_eq!(f.last_month(), YearMonth::new(2019, 12));
        let s = Scenario { end: YearMonth { year: 2022, month: 6 }, ..Scenario::default() };
        let cut = f.horizon(&s);
        assert_eq!(cut.end, YearMonth { year: 2019, month: 12 });
        let resolved = f.resolve(&cut).unwrap();
        assert_eq!(resolved[1].outcome.months, (0, 2));
    }

    #[test]
    fn bad_files_name_line_and_key() {
        let cases: &[(&str, &str, &str)] = &[
            ("observed = 40.0e6", "observed = 30e6", "does not contain the observed"),
            ("metric = \"production\"", "metric = \"producton\"", "did you mean `production`"),
            ("tolerance = 0.05", "tolerance = 0.05\nband = [1.0, 2.0]", "not both"),
            ("confidence = \"H\"", "confidence = \"high\"", "expected H, M or L"),
            ("year = 2019", "", "missing the window"),
            ("source = \"CAAM\"", "source = \" \"", "source key"),
        ];
        for (from, to, expect) in cases {
            let e = parse(&ONE.replacen(from, to, 1)).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(expect), "{from} -> {to}: {msg}");
            assert!(msg.contains("t.toml:"), "{msg}");
        }
        let e = parse(&ONE.replace("capacity_2024", "production_2019")).unwrap_err();
        assert!(e.to_string().contains("two targets"), "{e}");
    }

    #[test]
    fn fit_compares_medians_with_bands() {
        let f = parse(ONE).unwrap();
        let s = Scenario { end: YearMonth { year: 2019, month: 12 }, ..Scenario::default() };
        let t = f.resolve(&s).unwrap();
        let values = vec![vec![25.0e6, 50.0e6], vec![26.0e6, 50.0e6], vec![25.5e6, 52.0e6]];
        let fits = fit(&t, &values).unwrap();
        assert!(fits[0].inside && !fits[1].inside);
        assert!((fits[1].z - 2.0).abs() < 1e-12);
        assert!(fit(&t, &[]).is_none());
        // Three replicates: the interval is their range; 25.0m..26.0m lies in [24.43m, 27.01m].
        assert_eq!(fits[0].median_ci, (25.0e6, 26.0e6));
        assert!(fits[0].robust && fits[0].verdict(t[0].spec.band) == "yes");
        assert_eq!(fits[1].verdict(t[1].spec.band), "NO");
    }

    #[test]
    fn median_interval_uses_the_binomial_order_statistics() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(median_interval(&v), (40.0, 60.0));
        assert_eq!(median_interval(&[3.0]), (3.0, 3.0));
        // The interval narrows like 1/sqrt(n): 400 values give x_(180)..x_(220).
        let w: Vec<f64> = (1..=400).map(f64::from).collect();
        assert_eq!(median_interval(&w), (180.0, 220.0));
    }

    #[test]
    fn verdict_separates_robust_fits_from_edge_cases() {
        let fit_at = |lo: f64, mid: f64, hi: f64, band: (f64, f64)| {
            let stats = OutcomeStats { mean: mid, sd: None, p05: lo, p50: mid, p95: hi };
            let inside = mid >= band.0 && mid <= band.1;
            let robust = lo >= band.0 && hi <= band.1;
            TargetFit { stats, inside, median_ci: (lo, hi), robust, z: 0.0 }.verdict(band)
        };
        let band = (10.0, 20.0);
        assert_eq!(fit_at(12.0, 15.0, 18.0, band), "yes");
        assert_eq!(fit_at(8.0, 11.0, 13.0, band), "edge");
        assert_eq!(fit_at(18.0, 21.0, 23.0, band), "miss");
        assert_eq!(fit_at(22.0, 24.0, 25.0, band), "NO");
    }
}
