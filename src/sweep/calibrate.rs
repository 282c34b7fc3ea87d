//! Calibration by the method of simulated moments: chosen scenario parameters are estimated by
//! minimising a weighted distance between simulated and observed targets with Nelder–Mead
//! (argmin) over the unit cube of the parameters' ranges.
//!
//! The distance of a parameter vector θ is
//!
//! ```text
//! D(θ) = Σ_i w_i z_i² / Σ_i w_i,   z_i = (m_i(θ) − observed_i) / h_i
//! ```
//!
//! where m_i is the median (or mean) of target i over the replicates, h_i half the width of its
//! acceptance band (so D ≤ 1 when every target sits within its band on average) and w_i its
//! weight. Every candidate runs the same replicate keys (common random numbers), so D is a
//! deterministic function of θ and differences between candidates are not replicate noise.
//! The optimiser works on u ∈ [0, 1]^k (log or linear scale per parameter); a point outside the
//! cube is evaluated at its projection onto the cube plus 100 × the squared distance to it.
//! Evaluations are memoised by their (projected) point, which is also how an interrupted run is
//! resumed: the optimiser replays its deterministic path, taking logged distances instead of
//! simulating.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argmin::core::{CostFunction, Executor};
use argmin::solver::neldermead::NelderMead;
use serde::Deserialize;

use crate::engine::Workers;
use crate::error::{Error, Result};
use crate::scenario::kind::FileKind;
use crate::scenario::spans::{Elements, Spans};
use crate::scenario::{self, Scenario};

use super::design::{Factor, Scale};
use super::spec::{self, key_type, value_text};
use super::targets::{fit, simulate, Target, TargetFile, TargetFit};

/// Penalty per squared unit distance outside the parameter cube.
pub const OUT_OF_BOUNDS_PENALTY: f64 = 100.0;
/// Misfit (in half band widths) charged for a target whose model statistic is not finite.
const NOT_FINITE_Z: f64 = 1.0e3;

/// The replicate statistic compared with the observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Median over replicates (robust; the statistic `check-facts` judges).
    Median,
    /// Mean over replicates.
    Mean,
}

/// One estimated parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct CalParameter {
    /// Name in the output files.
    pub name: String,
    /// Scenario key paths set to the value.
    pub paths: Vec<String>,
    /// Range and scale (bounds of the search).
    pub factor: Factor,
    /// Starting value.
    pub start: f64,
}

impl CalParameter {
    /// The unit-cube coordinate of `value` (inverse of `Factor::value`).
    pub fn unit(&self, value: f64) -> f64 {
        let f = &self.factor;
        let u = match f.scale {
            Scale::Linear => (value - f.low) / (f.high - f.low),
            Scale::Log => (value / f.low).ln() / (f.high / f.low).ln(),
        };
        u.clamp(0.0, 1.0)
    }
}

/// A validated calibration file.
#[derive(Debug)]
pub struct Calibration {
    /// Name (defaults to the file stem).
    pub name: String,
    /// The calibration file.
    pub source: PathBuf,
    /// `calibration.base` as written.
    pub base_source: String,
    /// `calibration.targets` as written.
    pub targets_source: String,
    /// Overrides applied to the base for every candidate.
    pub set: Vec<String>,
    /// The base with `set`, cut at the targets' last month.
    pub base: Scenario,
    /// Targets resolved against the base.
    pub targets: Vec<Target>,
    /// Estimated parameters.
    pub parameters: Vec<CalParameter>,
    /// Replicates per candidate.
    pub replicates: u64,
    /// Master seed of the replicate keys.
    pub seed: u64,
    /// Statistic compared with observations.
    pub statistic: Statistic,
    /// Nelder–Mead iterations per (re)start.
    pub max_iterations: u64,
    /// Edge of the initial simplex in unit-cube coordinates.
    pub initial_step: f64,
    /// Restarts from the best point with a fresh simplex.
    pub restarts: u32,
    /// Stop when the standard deviation of the simplex's distances falls below this.
    pub tolerance: f64,
    base_text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    calibration: RawCalibration,
    #[serde(default)]
    optimizer: RawOptimizer,
    #[serde(default)]
    parameters: Vec<RawParameter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    name: Option<String>,
    base: String,
    targets: String,
    #[serde(default)]
    set: Vec<String>,
    replicates: Option<u64>,
    seed: Option<u64>,
    statistic: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptimizer {
    max_iterations: Option<u64>,
    initial_step: Option<f64>,
    restarts: Option<u32>,
    tolerance: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: super::spec::OneOrMany,
    name: Option<String>,
    low: f64,
    high: f64,
    scale: Option<String>,
    start: Option<f64>,
}

/// Loads and checks a calibration file: the base scenario, the targets (resolved against it)
/// and every parameter path at both bounds and its start.
pub fn load(path: &Path) -> Result<Calibration> {
    let text = crate::scenario::input::read_text(path)?;
    let spans = Spans::parse(&text, path, Elements::ByIndex)?;
    scenario::kind::expect_text(&text, path, FileKind::Calibration)?;
    let raw: RawFile = spans.deserialize(&text)?;
    let RawFile { calibration: rc, optimizer: ro, parameters: raw_params } = raw;
    let dir = path.parent().unwrap_or(Path::new("."));
    let base_path = dir.join(&rc.base);
    if !base_path.is_file() {
        return Err(
            spans.error("calibration.base", format!("the base scenario {} does not exist", base_path.display()))
        );
    }
    let full = scenario::load(&base_path, &rc.set).map_err(|e| match e {
        Error::Scenario { location, key, message } if location.file.is_none() => {
            spans.error("calibration.set", format!("`{key}`: {message}"))
        }
        other => other,
    })?;
    let targets_path = dir.join(&rc.targets);
    if !targets_path.is_file() {
        return Err(
            spans.error("calibration.targets", format!("the targets file {} does not exist", targets_path.display()))
        );
    }
    let file = TargetFile::load(&targets_path)?;
    let base = file.horizon(&full);
    let targets = file.resolve(&base)?;
    let base_text = base.canonical_text();

    let replicates = rc.replicates.unwrap_or(base.replicates);
    scenario::limits::check_replicates(replicates).map_err(|m| spans.error("calibration.replicates", m))?;
    let statistic = match rc.statistic.as_deref() {
        None | Some("median") => Statistic::Median,
        Some("mean") => Statistic::Mean,
        Some(o) => return Err(spans.error("calibration.statistic", format!("{o:?}: expected median or mean"))),
    };
    let max_iterations = ro.max_iterations.unwrap_or(100);
    if max_iterations == 0 {
        return Err(spans.error("optimizer.max_iterations", "expected at least 1 iteration"));
    }
    let initial_step = ro.initial_step.unwrap_or(0.2);
    if !(initial_step > 0.0 && initial_step <= 1.0) {
        return Err(spans.error("optimizer.initial_step", format!("{initial_step}: expected a step in (0, 1]")));
    }
    let tolerance = ro.tolerance.unwrap_or(1e-4);
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(spans.error("optimizer.tolerance", format!("{tolerance}: expected a finite tolerance ≥ 0")));
    }

    if raw_params.is_empty() {
        return Err(spans.error("parameters", "a calibration needs at least one [[parameters]] entry"));
    }
    let mut parameters: Vec<CalParameter> = Vec::new();
    for (i, rp) in raw_params.into_iter().enumerate() {
        let p = parameter(&spans, i, rp, &base_text, &base)?;
        if parameters.iter().any(|q| q.name == p.name) {
            return Err(spans.error(&format!("parameters[{i}].name"), format!("two parameters are named {:?}", p.name)));
        }
        parameters.push(p);
    }
    let name = match rc.name {
        Some(n) if !n.trim().is_empty() => n,
        Some(_) => return Err(spans.error("calibration.name", "expected a non-empty name")),
        None => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "calibration".into()),
    };
    Ok(Calibration {
        name,
        source: path.to_path_buf(),
        base_source: rc.base,
        targets_source: rc.targets,
        set: rc.set,
        seed: rc.seed.unwrap_or(base.seed),
        base,
        targets,
        parameters,
        replicates,
        statistic,
        max_iterations,
        initial_step,
        restarts: ro.restarts.unwrap_or(1),
        tolerance,
        base_text,
    })
}

fn parameter(spans: &Spans, i: usize, rp: RawParameter, base_text: &str, base: &Scenario) -> Result<CalParameter> {
    let key = format!("parameters[{i}]");
    let paths = match rp.path {
        super::spec::OneOrMany::One(p) => vec![p],
        super::spec::OneOrMany::Many(v) => v,
    };
    if paths.is_empty() {
        return Err(spans.error(&format!("{key}.path"), "expected a scenario key path or a non-empty list of them"));
    }
    for path in &paths {
        match key_type(path, base).map_err(|m| spans.error(&format!("{key}.path"), m))? {
            "float" => {}
            other => {
                return Err(spans.error(
                    &format!("{key}.path"),
                    format!("`{path}` is a {other} key: only float keys can be estimated"),
                ))
            }
        }
    }
    let scale = match rp.scale.as_deref() {
        None | Some("linear") => Scale::Linear,
        Some("log") => Scale::Log,
        Some(o) => {
            return Err(spans.error(&format!("{key}.scale"), format!("unknown scale {o:?}: expected linear or log")))
        }
    };
    let factor = Factor { low: rp.low, high: rp.high, scale, levels: None, integer: false };
    factor.validate().map_err(|m| spans.error(&format!("{key}.low"), m))?;
    if rp.low >= rp.high {
        return Err(spans.error(&format!("{key}.high"), format!("expected low < high, got [{}, {}]", rp.low, rp.high)));
    }
    let start = rp.start.unwrap_or_else(|| factor.value(0.5));
    if !(start >= rp.low && start <= rp.high) {
        return Err(spans.error(&format!("{key}.start"), format!("{start} is outside [{}, {}]", rp.low, rp.high)));
    }
    spec::probe_values(spans, &key, base_text, &paths, &[rp.low, rp.high, start], false)?;
    let name = spec::parameter_name(spans, &key, rp.name, &paths)?;
    Ok(CalParameter { name, paths, factor, start })
}

impl Calibration {
    /// Parameter values of the unit-cube point `u` (clamped into the cube).
    pub fn values(&self, u: &[f64]) -> Vec<f64> {
        self.parameters.iter().zip(u).map(|(p, &x)| p.factor.value(x)).collect()
    }

    /// The `--set` overrides of parameter values `values`.
    pub fn overrides(&self, values: &[f64]) -> Vec<String> {
        let mut out = Vec::new();
        for (p, &v) in self.parameters.iter().zip(values) {
            for path in &p.paths {
                out.push(format!("{path}={}", value_text(v, false)));
            }
        }
        out
    }

    /// The base scenario with parameter values `values`.
    pub fn scenario(&self, values: &[f64]) -> Result<Scenario> {
        scenario::from_str(&self.base_text, &self.overrides(values))
    }

    /// The starting point in unit-cube coordinates.
    pub fn start(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.unit(p.start)).collect()
    }

    /// The distance of a set of target fits (see the module documentation).
    pub fn distance(&self, fits: &[TargetFit]) -> f64 {
        let mut num = 0.0;
        let mut den = 0.0;
        for (t, f) in self.targets.iter().zip(fits) {
            let m = match self.statistic {
                Statistic::Median => f.stats.p50,
                Statistic::Mean => f.stats.mean,
            };
            let z = (m - t.spec.observed) / t.spec.half_width();
            let z = if z.is_finite() { z } else { NOT_FINITE_Z };
            num += t.spec.weight * z * z;
            den += t.spec.weight;
        }
        if den > 0.0 {
            num / den
        } else {
            0.0
        }
    }

    /// Simulates parameter values `values` and returns each target's fit.
    pub fn evaluate(&self, values: &[f64], workers: &Workers) -> Result<Vec<TargetFit>> {
        let s = self.scenario(values)?;
        let v = simulate(&s, &self.targets, self.seed, self.replicates, workers, &mut |_| {});
        fit(&self.targets, &v).ok_or_else(|| Error::Usage("no replicates".into()))
    }

    /// Canonical text of everything that determines the results (hashed to check a resume).
    pub fn canonical_text(&self) -> String {
        let mut s = format!(
            "replicates = {}\nseed = {}\nstatistic = {:?}\nmax_iterations = {}\ninitial_step = {:?}\n\
             restarts = {}\ntolerance = {:?}\n",
            self.replicates,
            self.seed,
            self.statistic,
            self.max_iterations,
            self.initial_step,
            self.restarts,
            self.tolerance
        );
        for p in &self.parameters {
            s.push_str(&format!("parameter {:?} {:?} {:?} start {:?}\n", p.name, p.paths, p.factor, p.start));
        }
        for t in &self.targets {
            s.push_str(&format!("target {:?} {:?} {:?}\n", t.spec, t.outcome.months, t.outcome.metric_index));
        }
        s.push_str("[base]\n");
        s.push_str(&self.base_text);
        s
    }
}

/// One evaluation of the distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// 0-based index among the evaluations of the run.
    pub index: usize,
    /// Which (re)start of the optimiser asked for it.
    pub restart: u32,
    /// Unit-cube point (inside the cube).
    pub unit: Vec<f64>,
    /// Parameter values.
    pub values: Vec<f64>,
    /// Distance D.
    pub distance: f64,
    /// Taken from the resume log instead of simulated.
    pub cached: bool,
}

/// The result of a calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Best unit-cube point.
    pub unit: Vec<f64>,
    /// Best parameter values.
    pub values: Vec<f64>,
    /// Distance at the best point.
    pub distance: f64,
    /// Target fits at the best point.
    pub fits: Vec<TargetFit>,
    /// Number of distinct points evaluated.
    pub evaluations: usize,
}

/// Receives each evaluation as it happens.
pub type EvalSink<'a> = &'a mut dyn FnMut(&Evaluation) -> Result<()>;

/// A logged evaluation: unit-cube point and distance.
pub type Logged = (Vec<f64>, f64);

struct Objective<'a> {
    cal: &'a Calibration,
    workers: &'a Workers,
    restart: RefCell<u32>,
    cache: RefCell<BTreeMap<Vec<u64>, f64>>,
    count: RefCell<usize>,
    best: RefCell<Option<(Vec<f64>, f64)>>,
    on_eval: RefCell<EvalSink<'a>>,
}

impl Objective<'_> {
    fn distance_at(&self, u: &[f64]) -> Result<f64> {
        let key: Vec<u64> = u.iter().map(|x| x.to_bits()).collect();
        let cached = self.cache.borrow().get(&key).copied();
        let (distance, was_cached) = match cached {
            Some(d) => (d, true),
            None => {
                let fits = self.cal.evaluate(&self.cal.values(u), self.workers)?;
                let d = self.cal.distance(&fits);
                self.cache.borrow_mut().insert(key, d);
                (d, false)
            }
        };
        let index = {
            let mut c = self.count.borrow_mut();
            *c += 1;
            *c - 1
        };
        let ev = Evaluation {
            index,
            restart: *self.restart.borrow(),
            unit: u.to_vec(),
            values: self.cal.values(u),
            distance,
            cached: was_cached,
        };
        {
            let mut best = self.best.borrow_mut();
            if best.as_ref().is_none_or(|(_, d)| distance < *d) {
                *best = Some((u.to_vec(), distance));
            }
        }
        (self.on_eval.borrow_mut())(&ev)?;
        Ok(distance)
    }
}

impl CostFunction for &Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, param: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        let inside: Vec<f64> = param.iter().map(|x| if x.is_nan() { 0.5 } else { x.clamp(0.0, 1.0) }).collect();
        let outside: f64 = param.iter().zip(&inside).map(|(a, b)| (a - b).powi(2)).sum();
        let d = self.distance_at(&inside).map_err(argmin::core::Error::new)?;
        Ok(d + OUT_OF_BOUNDS_PENALTY * if outside.is_finite() { outside } else { 1.0 })
    }
}

/// The initial simplex around `x0`: x0 and x0 ± step along each axis (towards the cube's
/// inside).
fn simplex(x0: &[f64], step: f64) -> Vec<Vec<f64>> {
    let mut out = vec![x0.to_vec()];
    for i in 0..x0.len() {
        let mut v = x0.to_vec();
        v[i] = if x0[i] + step <= 1.0 { x0[i] + step } else { x0[i] - step };
        out.push(v);
    }
    out
}

/// Runs the calibration on `workers`. `resume` holds (unit point, distance) pairs logged by an
/// earlier run of the same calibration: they are used instead of simulating. `on_eval` sees
/// every evaluation as it happens (e.g. to append it to a log).
pub fn run(
    cal: &Calibration,
    workers: &Workers,
    resume: &[(Vec<f64>, f64)],
    on_eval: &mut dyn FnMut(&Evaluation) -> Result<()>,
) -> Result<Estimate> {
    let cache: BTreeMap<Vec<u64>, f64> =
        resume.iter().map(|(u, d)| (u.iter().map(|x| x.to_bits()).collect(), *d)).collect();
    let objective = Objective {
        cal,
        workers,
        restart: RefCell::new(0),
        cache: RefCell::new(cache),
        count: RefCell::new(0),
        best: RefCell::new(None),
        on_eval: RefCell::new(on_eval),
    };
    let mut x0 = cal.start();
    for r in 0..=cal.restarts {
        *objective.restart.borrow_mut() = r;
        let solver = NelderMead::new(simplex(&x0, cal.initial_step))
            .with_sd_tolerance(cal.tolerance)
            .map_err(|e| Error::Usage(format!("optimizer settings: {e}")))?;
        let result = Executor::new(&objective, solver).configure(|s| s.max_iters(cal.max_iterations)).run();
        if let Err(e) = result {
            return Err(match e.downcast::<Error>() {
                Ok(ours) => ours,
                Err(other) => Error::Usage(format!("optimizer: {other}")),
            });
        }
        if let Some((u, _)) = objective.best.borrow().as_ref() {
            x0 = u.clone();
        }
    }
    let (unit, _) =
        objective.best.borrow().clone().ok_or_else(|| Error::Usage("the optimiser evaluated no point".into()))?;
    let values = cal.values(&unit);
    let fits = cal.evaluate(&values, workers)?;
    let distance = cal.distance(&fits);
    let evaluations = objective.cache.borrow().len();
    Ok(Estimate { unit, values, distance, fits, evaluations })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_round_trips_and_simplex_stays_inside() {
        let p = CalParameter { name: "a".into(), paths: vec![], factor: Factor::log(0.1, 10.0), start: 1.0 };
        assert!((p.unit(1.0) - 0.5).abs() < 1e-12);
        assert!((p.factor.value(p.unit(2.0)) - 2.0).abs() < 1e-9);
        let s = simplex(&[0.9, 0.1], 0.2);
        assert_eq!(s, vec![vec![0.9, 0.1], vec![0.7, 0.1], vec![0.9, 0.30000000000000004]]);
    }
}
