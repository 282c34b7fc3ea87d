//! Sweep files: TOML naming a base scenario, the parameters to vary, the design, replicates and
//! the outcomes to summarise. Loading checks everything a run needs — every parameter path is
//! applied to the base scenario at its extremes, every outcome is resolved against the base
//! run's metrics and months — so a sweep that loads cannot fail halfway on bad input.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::metrics::MetricSet;
use crate::scenario::kind::FileKind;
use crate::scenario::spans::{did_you_mean, Elements, Spans};
use crate::scenario::{self, Scenario, YearMonth};

use super::design::{map_rows, Design, Factor, Scale, MORRIS_DEFAULT_LEVELS};
use super::outcome::{valid_name, Aggregation, Outcome, OutcomeSpec, Window};

/// Default bootstrap resamples of the Sobol confidence intervals.
pub const DEFAULT_BOOTSTRAP: u32 = 500;
/// Default number of levels of a grid factor and of the Morris grid.
pub const DEFAULT_LEVELS: u32 = 4;
/// Most points a sweep may have (a guard against a typo in `points` or `levels`).
pub const MAX_POINTS: usize = 10_000_000;

/// One varied parameter: the scenario key path(s) it sets and its range.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Column name in `points.csv` (defaults to the first path).
    pub name: String,
    /// Scenario key paths set to the same value (e.g. one key per foreign market).
    pub paths: Vec<String>,
    /// Range, scale, explicit levels and integer rounding.
    pub factor: Factor,
}

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Sweep name (defaults to the file stem).
    pub name: String,
    /// The sweep file.
    pub source: PathBuf,
    /// The base scenario file, as written in `sweep.base` (relative to the sweep file).
    pub base_source: String,
    /// Overrides applied to the base for every point (`sweep.set`).
    pub set: Vec<String>,
    /// The base scenario with `set` applied.
    pub base: Scenario,
    /// Design.
    pub design: Design,
    /// `sweep.points` as written (meaning depends on the design; 0 for grids).
    pub points_requested: u64,
    /// Levels per grid factor (default) or of the Morris grid (`sweep.levels`).
    pub levels: usize,
    /// Levels of each grid factor (explicit `levels` of a parameter, else `sweep.levels`).
    pub grid_levels: Vec<usize>,
    /// Replicates per point.
    pub replicates: u64,
    /// Sweep seed: drives the design and, through the replicate keys, every run.
    pub seed: u64,
    /// Bootstrap resamples of Sobol confidence intervals.
    pub bootstrap: u32,
    /// Varied parameters, in file order.
    pub parameters: Vec<Parameter>,
    /// Outcomes, resolved against the base run.
    pub outcomes: Vec<Outcome>,
    /// Design points in the unit hypercube (row = point).
    pub unit_rows: Vec<Vec<f64>>,
    /// Parameter values of each point (row = point, column = parameter).
    pub rows: Vec<Vec<f64>>,
    /// Canonical TOML of the base scenario (each point parses it with its overrides).
    base_text: String,
}

impl Sweep {
    /// Number of design points.
    pub fn points(&self) -> usize {
        self.rows.len()
    }

    /// The `--set` style overrides of point `p` (one per parameter path).
    pub fn overrides(&self, p: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (param, &v) in self.parameters.iter().zip(&self.rows[p]) {
            for path in &param.paths {
                out.push(format!("{path}={}", value_text(v, param.factor.integer)));
            }
        }
        out
    }

    /// The scenario of point `p`: the base with the point's parameter values.
    pub fn scenario(&self, p: usize) -> Result<Scenario> {
        scenario::from_str(&self.base_text, &self.overrides(p))
    }

    /// Canonical text of everything that determines the sweep's results: the resolved base
    /// scenario, the design, parameters, outcomes, replicates and seed. Its hash identifies a
    /// sweep across resumes and shards.
    pub fn canonical_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("design = {:?}\npoints = {}\n", self.design.name(), self.points()));
        s.push_str(&format!(
            "replicates = {}\nseed = {}\nbootstrap = {}\n",
            self.replicates, self.seed, self.bootstrap
        ));
        for p in &self.parameters {
            s.push_str(&format!("parameter {:?} {:?} {:?}\n", p.name, p.paths, p.factor));
        }
        for o in &self.outcomes {
            s.push_str(&format!(
                "outcome {:?} {:?} {:?} {:?}\n",
                o.spec.name,
                o.spec.metric,
                o.months,
                o.spec.aggregation.name()
            ));
        }
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s.push_str("[base]\n");
        s.push_str(&self.base_text);
        s
    }
}

/// How a swept value is written into an override (`12`, `0.35`, `1e-7`).
pub(crate) fn value_text(v: f64, integer: bool) -> String {
    if integer {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:?}")
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    sweep: RawSweep,
    #[serde(default)]
    parameters: Vec<RawParameter>,
    #[serde(default)]
    outcomes: Vec<RawOutcome>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<String>,
    base: String,
    #[serde(default)]
    set: Vec<String>,
    design: String,
    points: Option<u64>,
    levels: Option<u32>,
    #[serde(default = "one")]
    replicates: u64,
    seed: Option<u64>,
    bootstrap: Option<u32>,
}

fn one() -> u64 {
    1
}

/// A parameter's `path`: one key path, or a list of them set to the same value.
#[derive(Debug)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key path (text such as \"consumers.agents\") or a list of key paths")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<OneOrMany, E> {
                Ok(OneOrMany::One(s.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<String>()? {
                    out.push(p);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: OneOrMany,
    name: Option<String>,
    low: Option<f64>,
    high: Option<f64>,
    scale: Option<String>,
    levels: Option<Vec<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcome {
    name: String,
    metric: String,
    year: Option<i32>,
    from: Option<String>,
    to: Option<String>,
    aggregation: Option<String>,
    label: Option<String>,
}

/// Parses `YYYY-MM` for key `key`.
pub(crate) fn parse_month(spans: &Spans, key: &str, text: &str) -> Result<YearMonth> {
    text.parse::<YearMonth>().map_err(|e| spans.error(key, format!("{e}")))
}

/// Loads and validates a sweep file.
pub fn load(path: &Path) -> Result<Sweep> {
    let text = crate::scenario::input::read_text(path)?;
    let spans = Spans::parse(&text, path, Elements::ByIndex)?;
    scenario::kind::expect_text(&text, path, FileKind::Sweep)?;
    let raw: RawFile = spans.deserialize(&text)?;
    let RawFile { sweep: rs, parameters: raw_params, outcomes: raw_outcomes } = raw;

    let base_path = path.parent().unwrap_or(Path::new(".")).join(&rs.base);
    if !base_path.is_file() {
        return Err(spans.error("sweep.base", format!("the base scenario {} does not exist", base_path.display())));
    }
    let base = scenario::load(&base_path, &rs.set).map_err(|e| match e {
        Error::Scenario { location, key, message } if location.file.is_none() => {
            spans.error("sweep.set", format!("`{key}`: {message}"))
        }
        other => other,
    })?;
    let base_text = base.canonical_text();

    let design_kind: Design = rs.design.parse().map_err(|_| {
        spans.error(
            "sweep.design",
            format!("unknown design {:?}: expected one of {}", rs.design, Design::NAMES.join(", ")),
        )
    })?;
    scenario::limits::check_replicates(rs.replicates).map_err(|m| spans.error("sweep.replicates", m))?;
    let levels = rs.levels.unwrap_or(DEFAULT_LEVELS);
    if levels == 0 {
        return Err(spans.error("sweep.levels", "expected at least 1 level"));
    }

    if raw_params.is_empty() {
        return Err(spans.error("parameters", "a sweep needs at least one [[parameters]] entry"));
    }
    let mut parameters = Vec::new();
    for (i, rp) in raw_params.into_iter().enumerate() {
        parameters.push(parameter(&spans, i, rp, &base_text, &base, &design_kind)?);
    }
    for (i, p) in parameters.iter().enumerate() {
        if parameters[..i].iter().any(|q| q.name == p.name) {
            return Err(spans.error(&format!("parameters[{i}].name"), format!("two parameters are named {:?}", p.name)));
        }
    }

    if raw_outcomes.is_empty() {
        return Err(spans.error("outcomes", "a sweep needs at least one [[outcomes]] entry"));
    }
    let metrics = MetricSet::new(&base.markets.iter().map(|m| m.id.as_str()).collect::<Vec<_>>());
    let mut outcomes: Vec<Outcome> = Vec::new();
    for (i, ro) in raw_outcomes.into_iter().enumerate() {
        let spec = outcome_spec(&spans, &format!("outcomes[{i}]"), ro, &metrics)?;
        if outcomes.iter().any(|o| o.spec.name == spec.name) {
            return Err(spans.error(&format!("outcomes[{i}].name"), format!("two outcomes are named {:?}", spec.name)));
        }
        let o = Outcome::resolve(&spec, &metrics, base.start, base.months())
            .map_err(|e| spans.error(&format!("outcomes[{i}]"), e.0))?;
        outcomes.push(o);
    }

    let k = parameters.len();
    let points_requested = rs.points.unwrap_or(0);
    let grid_levels: Vec<usize> = parameters.iter().map(|p| p.factor.grid_levels(levels as usize)).collect();
    let design = match design_kind {
        Design::Grid { .. } => Design::Grid { levels: grid_levels.clone() },
        Design::Morris { .. } => Design::Morris { levels: rs.levels.map_or(MORRIS_DEFAULT_LEVELS, |l| l as usize) },
        other => other,
    };
    let key =
        if matches!(design, Design::Morris { .. }) && rs.levels.is_some() { "sweep.levels" } else { "sweep.points" };
    let count = design.num_points(k, points_requested as usize).map_err(|e| spans.error(key, e.to_string()))?;
    if count > MAX_POINTS {
        return Err(spans.error(
            "sweep.points",
            format!("the design has {count} points, more than {MAX_POINTS}: reduce `points` or `levels`"),
        ));
    }
    let seed = rs.seed.unwrap_or(base.seed);
    let unit_rows =
        design.unit_rows(k, points_requested as usize, seed).map_err(|e| spans.error(key, e.to_string()))?;
    let factors: Vec<Factor> = parameters.iter().map(|p| p.factor.clone()).collect();
    let rows = map_rows(&factors, &unit_rows);

    let name = match rs.name {
        Some(n) if !n.trim().is_empty() => n,
        Some(_) => return Err(spans.error("sweep.name", "expected a non-empty name")),
        None => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sweep".into()),
    };
    Ok(Sweep {
        name,
        source: path.to_path_buf(),
        base_source: rs.base,
        set: rs.set,
        base,
        design,
        points_requested,
        levels: levels as usize,
        grid_levels,
        replicates: rs.replicates,
        seed,
        bootstrap: rs.bootstrap.unwrap_or(DEFAULT_BOOTSTRAP),
        parameters,
        outcomes,
        unit_rows,
        rows,
        base_text,
    })
}

/// Top-level scenario keys that are not parameters of the model.
const NOT_SWEEPABLE: &[&str] = &["name", "description", "extends", "start", "end", "seed", "replicates"];

fn parameter(
    spans: &Spans,
    i: usize,
    rp: RawParameter,
    base_text: &str,
    base: &Scenario,
    design: &Design,
) -> Result<Parameter> {
    let key = format!("parameters[{i}]");
    let paths = match rp.path {
        OneOrMany::One(p) => vec![p],
        OneOrMany::Many(v) => v,
    };
    if paths.is_empty() {
        return Err(spans.error(&format!("{key}.path"), "expected a scenario key path or a non-empty list of them"));
    }
    let mut integer = None;
    for path in &paths {
        let ty = key_type(path, base).map_err(|m| spans.error(&format!("{key}.path"), m))?;
        match ty {
            "float" | "integer" => {}
            other => {
                return Err(spans.error(
                    &format!("{key}.path"),
                    format!("`{path}` is a {other} key: only numeric keys can be swept"),
                ))
            }
        }
        let is_int = ty == "integer";
        if integer.is_some_and(|x| x != is_int) {
            return Err(
                spans.error(&format!("{key}.path"), "the paths of one parameter must all be numbers or all integers")
            );
        }
        integer = Some(is_int);
    }
    let integer = integer.unwrap_or(false);
    let scale = match rp.scale.as_deref() {
        None | Some("linear") => Scale::Linear,
        Some("log") => Scale::Log,
        Some(other) => {
            return Err(spans.error(&format!("{key}.scale"), format!("unknown scale {other:?}: expected linear or log")))
        }
    };
    let (low, high) = match (&rp.levels, rp.low, rp.high) {
        (Some(levels), None, None) => {
            if !matches!(design, Design::Grid { .. }) {
                return Err(spans.error(
                    &format!("{key}.levels"),
                    format!(
                        "explicit `levels` are for the grid design; the {} design needs `low` and `high`",
                        design.name()
                    ),
                ));
            }
            let lo = levels.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo, hi)
        }
        (Some(_), _, _) => {
            return Err(spans.error(&format!("{key}.levels"), "give either `levels` or `low` and `high`, not both"))
        }
        (None, Some(lo), Some(hi)) => (lo, hi),
        (None, None, _) => return Err(spans.error(&key, "missing `low` (and `high`): the range to sweep")),
        (None, Some(_), None) => return Err(spans.error(&key, "missing `high`: the range to sweep")),
    };
    let factor = Factor { low, high, scale, levels: rp.levels.clone(), integer };
    let at = |k: &str| spans.error(&format!("{key}.{k}"), "");
    factor.validate().map_err(|m| {
        let which = if rp.levels.is_some() { "levels" } else { "low" };
        let mut e = at(which);
        if let Error::Scenario { message, .. } = &mut e {
            *message = m;
        }
        e
    })?;
    // Every path must accept both ends of the range (and every explicit level).
    let mut probe: Vec<f64> = vec![low, high];
    if let Some(l) = &rp.levels {
        probe.extend(l);
    }
    probe_values(spans, &key, base_text, &paths, &probe, integer)?;
    let name = parameter_name(spans, &key, rp.name, &paths)?;
    Ok(Parameter { name, paths, factor })
}

/// Checks that the base scenario accepts every value of `values` at every path of the
/// parameter at `key` (so a run cannot fail later on a swept value).
pub(crate) fn probe_values(
    spans: &Spans,
    key: &str,
    base_text: &str,
    paths: &[String],
    values: &[f64],
    integer: bool,
) -> Result<()> {
    for &v in values {
        let overrides: Vec<String> = paths.iter().map(|p| format!("{p}={}", value_text(v, integer))).collect();
        scenario::from_str(base_text, &overrides).map_err(|e| {
            let why = match e {
                Error::Scenario { key, message, .. } => format!("`{key}` = {}: {message}", value_text(v, integer)),
                other => other.to_string(),
            };
            spans.error(&format!("{key}.path"), format!("the base scenario rejects this value: {why}"))
        })?;
    }
    Ok(())
}

/// The column name of the parameter at `key`: its `name` (checked) or its first path.
pub(crate) fn parameter_name(spans: &Spans, key: &str, name: Option<String>, paths: &[String]) -> Result<String> {
    match name {
        Some(n) if valid_name(&n) => Ok(n),
        Some(n) => Err(spans.error(
            &format!("{key}.name"),
            format!("{n:?}: a parameter name must be letters, digits and `_` (it becomes a CSV column)"),
        )),
        None => Ok(paths[0].clone()),
    }
}

/// The `describe` type of a scenario key path (`markets[russia].tariff`, `events[ban].share`).
pub(crate) fn key_type(path: &str, base: &Scenario) -> std::result::Result<&'static str, String> {
    let top = path.split(['.', '[']).next().unwrap_or_default();
    if NOT_SWEEPABLE.contains(&top) {
        return Err(format!("`{top}` is not a model parameter and cannot be swept"));
    }
    let generic = match path.split_once('[') {
        Some((name, rest)) => {
            let (id, tail) = rest.split_once(']').ok_or_else(|| format!("`{path}`: unclosed `[`"))?;
            match name {
                "markets" => {
                    if !base.markets.iter().any(|m| m.id == id) {
                        let ids: Vec<&str> = base.markets.iter().map(|m| m.id.as_str()).collect();
                        return Err(format!("no market has id {id:?}; markets: {}", ids.join(", ")));
                    }
                    format!("markets[]{tail}")
                }
                "events" => {
                    let Some(ev) = base.events.iter().find(|e| e.id == id) else {
                        let ids: Vec<&str> = base.events.iter().map(|e| e.id.as_str()).collect();
                        return Err(format!("no event has id {id:?}; events: {}", ids.join(", ")));
                    };
                    format!("events[kind={}]{tail}", ev.kind.tag())
                }
                other => return Err(format!("`{other}` has no elements addressed by id")),
            }
        }
        None => path.to_string(),
    };
    let docs = scenario::describe();
    match docs.iter().find(|d| d.path == generic) {
        Some(d) => Ok(d.ty),
        None => Err(match did_you_mean(&generic, docs.iter().map(|d| &d.path), 0.85) {
            Some(p) => format!("unknown scenario key `{path}` (did you mean `{p}`?)"),
            None => format!("unknown scenario key `{path}`; `zeromile describe` lists every key"),
        }),
    }
}

fn outcome_spec(spans: &Spans, key: &str, ro: RawOutcome, metrics: &MetricSet) -> Result<OutcomeSpec> {
    let window = match (ro.year, &ro.from, &ro.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(spans.error(&format!("{key}.year"), "give either `year` or `from`/`to`, not both"))
        }
        (Some(y), None, None) => Window::year(y),
        (None, from, to) => Window {
            from: from.as_deref().map(|t| parse_month(spans, &format!("{key}.from"), t)).transpose()?,
            to: to.as_deref().map(|t| parse_month(spans, &format!("{key}.to"), t)).transpose()?,
        },
    };
    let aggregation = match ro.aggregation.as_deref() {
        None => match metrics.position(&ro.metric) {
            Some(j) => Aggregation::natural(metrics.annual[j]),
            None => Aggregation::Sum,
        },
        Some(a) => Aggregation::parse(a).ok_or_else(|| {
            let names: Vec<&str> = Aggregation::ALL.iter().map(|(_, n)| *n).collect();
            spans.error(
                &format!("{key}.aggregation"),
                format!("unknown aggregation {a:?}: expected one of {}", names.join(", ")),
            )
        })?,
    };
    Ok(OutcomeSpec { name: ro.name, metric: ro.metric, window, aggregation, label: ro.label })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_base_text_round_trips() {
        let s = scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"), &[]).unwrap();
        assert_eq!(scenario::from_str(&s.canonical_text(), &[]).unwrap(), s);
    }
}
