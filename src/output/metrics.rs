//! `metrics.csv`: one row per metric of a directory's outputs, with its units, kind, annual
//! aggregation, definition and the section of docs/model.md that computes it. The rows come from
//! the one declaration of each metric, [`crate::model::metrics::CORE_METRICS`].

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Result;

use crate::model::metrics::{metric_def, MetricSet};

/// The metric dictionary of a run, merge, sweep or `check-facts` directory.
pub const METRICS_FILE: &str = "metrics.csv";

/// Header of `metrics.csv`. `unit` is the unit of the monthly value (`summary.csv`,
/// `deltas.csv`, `trajectories.csv`), `annual_unit` the unit in `annual.csv`.
pub const METRICS_HEADER: [&str; 7] =
    ["metric", "unit", "annual_unit", "kind", "annual_aggregation", "definition", "source_equation"];

/// The `metrics.csv` row of metric `name` (a core metric or `exports_<id>`); a name outside the
/// output contract keeps only its name and `unit`.
pub fn metric_row(name: &str, unit: &str) -> [String; 7] {
    let Some(def) = metric_def(name) else {
        return [
            name.to_string(),
            unit.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    };
    let definition = match name.strip_prefix("exports_") {
        Some(id) if def.name != name => format!("{} Market: {id}.", def.definition),
        _ => def.definition.to_string(),
    };
    [
        name.to_string(),
        def.unit.to_string(),
        def.annual_unit(),
        def.kind.name().to_string(),
        def.annual.name().to_string(),
        definition,
        def.source.to_string(),
    ]
}

/// Writes `metrics.csv` for the metrics of `names` (name, monthly unit), each once, in the
/// order they first appear.
pub fn write_metrics<'a>(w: impl Write, names: impl IntoIterator<Item = (&'a str, &'a str)>) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(METRICS_HEADER)?;
    let mut seen: Vec<&str> = Vec::new();
    for (name, unit) in names {
        if !seen.contains(&name) {
            seen.push(name);
            out.write_record(metric_row(name, unit))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes `dir/metrics.csv` atomically (see [`write_metrics`]).
pub fn write_metrics_file<'a>(dir: &Path, names: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<PathBuf> {
    super::dir::write_csv(dir, METRICS_FILE, |w| write_metrics(w, names))
}

/// The (name, unit) pairs of these metric sets, in order, for [`write_metrics`].
pub fn metric_names<'a>(sets: impl IntoIterator<Item = &'a MetricSet>) -> Vec<(&'a str, &'a str)> {
    sets.into_iter().flat_map(|m| m.names.iter().map(String::as_str).zip(m.units.iter().map(String::as_str))).collect()
}

/// [`metric_names`] of a run's metric sets, followed by `collapse_share` when `annual.csv` has
/// its rows (a set with exports and retail sales, [`super::collapse`]).
pub fn run_metric_names<'a>(sets: impl IntoIterator<Item = &'a MetricSet> + Clone) -> Vec<(&'a str, &'a str)> {
    let mut names = metric_names(sets.clone());
    if sets.into_iter().any(|m| super::collapse::Collapse::new(m, &[0]).applies()) {
        names.push((super::collapse::COLLAPSE_SHARE, "fraction"));
    }
    names
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_two_sets_once_each() {
        let (a, b) = (MetricSet::new(&["russia"]), MetricSet::new(&["russia", "gulf"]));
        let mut buf = Vec::new();
        write_metrics(&mut buf, metric_names([&a, &b])).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "metric,unit,annual_unit,kind,annual_aggregation,definition,source_equation");
        assert_eq!(lines.len(), 1 + b.len());
        assert_eq!(
            lines[1],
            "production,vehicles/month,vehicles/year,flow,sum,\"Vehicles produced, all groups.\",\
             docs/model.md#71-automakers-phase-3-automakerplan"
        );
        assert!(lines[2].starts_with("capacity,vehicles/month,vehicles/year,flow,sum,"), "{}", lines[2]);
        assert!(lines.iter().any(|l| l.starts_with("utilization,fraction,fraction,ratio,mean,")));
        let gulf = lines.iter().find(|l| l.starts_with("exports_gulf,")).unwrap();
        assert!(gulf.contains("Market: gulf."), "{gulf}");
    }
}
