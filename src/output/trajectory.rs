//! Wide CSV of raw trajectories: one row per scenario × replicate × month, one column per metric.

use std::io::Write;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::metrics::Trajectory;

use super::number::cell;
use super::series::ScenarioSeries;

/// Raw trajectories of `run --trajectories`.
pub const TRAJECTORIES_FILE: &str = "trajectories.csv";

/// Writes replicates as rows `scenario,replicate,month,date,<metrics…>`.
///
/// Scenarios may have different metric sets (e.g. different foreign markets), so the metric
/// columns are the union of all scenarios' metric names in first-seen order (scenario order,
/// then metric-set order); a cell whose scenario lacks the metric is left empty. `month` is the
/// 0-based index within the run and `date` is `YYYY-MM`. Numbers are written as in
/// `summary.csv` (ten significant digits, empty when not finite).
#[derive(Debug)]
pub struct TrajectoryWriter<W: Write> {
    out: csv::Writer<W>,
    scenarios: Vec<ScenarioSeries>,
    /// Per scenario, for each output metric column, the metric index in that scenario.
    columns: Vec<Vec<Option<usize>>>,
    /// Names the output in error messages.
    label: PathBuf,
}

impl<W: Write> TrajectoryWriter<W> {
    /// Starts the table and writes its header.
    pub fn new(w: W, scenarios: &[ScenarioSeries]) -> Result<Self> {
        let mut names: Vec<&str> = Vec::new();
        for s in scenarios {
            for n in &s.metrics.names {
                if !names.contains(&n.as_str()) {
                    names.push(n);
                }
            }
        }
        let columns = scenarios.iter().map(|s| names.iter().map(|n| s.metrics.position(n)).collect()).collect();
        let mut header: Vec<&str> = vec!["scenario", "replicate", "month", "date"];
        header.extend(&names);
        let mut writer = TrajectoryWriter {
            out: csv::Writer::from_writer(w),
            scenarios: scenarios.to_vec(),
            columns,
            label: PathBuf::from("trajectories.csv"),
        };
        writer.out.write_record(&header).map_err(|e| writer.err(e))?;
        Ok(writer)
    }

    /// Names the file in error messages (default `trajectories.csv`).
    pub fn with_label(mut self, path: impl Into<PathBuf>) -> Self {
        self.label = path.into();
        self
    }

    /// Writes replicate `replicate` of every scenario (`trajs[s]` belongs to scenario `s`):
    /// rows grouped by scenario, then month.
    ///
    /// # Panics
    ///
    /// If `trajs` does not hold one trajectory per scenario, each with that scenario's dates
    /// and metric count: that is a bug in the caller.
    pub fn write_replicate(&mut self, replicate: u64, trajs: &[Trajectory]) -> Result<()> {
        assert_eq!(
            trajs.len(),
            self.scenarios.len(),
            "one trajectory per scenario expected, got {} for {} scenarios",
            trajs.len(),
            self.scenarios.len()
        );
        let rep = replicate.to_string();
        let mut row: Vec<String> = Vec::new();
        for ((series, columns), traj) in self.scenarios.iter().zip(&self.columns).zip(trajs) {
            series.assert_fits(traj);
            for (i, date) in series.dates.iter().enumerate() {
                row.clear();
                row.extend([series.name.clone(), rep.clone(), i.to_string(), date.to_string()]);
                row.extend(columns.iter().map(|c| cell(c.map(|j| traj.get(i, j)))));
                if let Err(e) = self.out.write_record(&row) {
                    return Err(self.err(e));
                }
            }
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W> {
        let label = self.label;
        self.out.into_inner().map_err(|e| Error::io(label, e.into_error()))
    }

    fn err(&self, e: csv::Error) -> Error {
        Error::io(self.label.clone(), e.into())
    }
}

/// The replicates of one scenario read back from a `trajectories.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadTrajectories {
    /// Scenario name.
    pub scenario: String,
    /// The metrics of the file's columns (foreign markets from its `exports_<id>` columns).
    pub metrics: crate::model::metrics::MetricSet,
    /// One trajectory per replicate, in file order.
    pub replicates: Vec<Trajectory>,
}

/// Reads the replicates of the first scenario of a `trajectories.csv` (empty cells become NaN).
/// A damaged file is an [`Error::Data`] naming the file, the line and the column.
pub fn read_trajectories(path: &std::path::Path) -> Result<ReadTrajectories> {
    use super::read::{data_error, CsvFile};
    use crate::model::metrics::{MetricSet, CORE_METRICS};
    let mut csv = CsvFile::open(path)?;
    let header: Vec<String> = csv.headers().iter().map(str::to_string).collect();
    if header.len() < 4 || header[..4] != ["scenario", "replicate", "month", "date"] {
        return Err(data_error(path, 1, "expected the columns scenario,replicate,month,date,<metrics>".into()));
    }
    let names = &header[4..];
    let markets: Vec<&str> = names.iter().filter_map(|n| n.strip_prefix("exports_")).collect();
    let metrics = MetricSet::new(&markets);
    let cols: Vec<Option<usize>> = metrics.names.iter().map(|n| names.iter().position(|h| h == n)).collect();
    if let Some(j) = cols[..CORE_METRICS.len()].iter().position(Option::is_none) {
        return Err(data_error(path, 1, format!("the header lacks the metric `{}`", metrics.names[j])));
    }
    let mut scenario: Option<String> = None;
    let mut replicates: Vec<Trajectory> = Vec::new();
    let mut current: Option<String> = None;
    type Row = (String, String, u64, crate::scenario::YearMonth, Vec<Option<f64>>);
    csv.for_each_positional(|_, (name, rep, _, date, values): Row, _| {
        if scenario.as_deref().is_some_and(|s| s != name) {
            return Ok(());
        }
        scenario.get_or_insert(name);
        if current.as_deref() != Some(rep.as_str()) {
            replicates.push(Trajectory::new(metrics.len(), 0));
            current = Some(rep);
        }
        let row: Vec<f64> =
            cols.iter().map(|c| c.and_then(|j| values.get(j).copied().flatten()).unwrap_or(f64::NAN)).collect();
        if let Some(t) = replicates.last_mut() {
            t.push(date, &row);
        }
        Ok(())
    })?;
    let scenario = scenario.ok_or_else(|| data_error(path, 0, "no rows".into()))?;
    Ok(ReadTrajectories { scenario, metrics, replicates })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::metrics::{Annual, MetricSet};
    use crate::scenario::YearMonth;

    fn series(name: &str, metrics: &[&str]) -> ScenarioSeries {
        ScenarioSeries {
            name: name.into(),
            metrics: MetricSet {
                names: metrics.iter().map(|m| m.to_string()).collect(),
                annual: vec![Annual::Sum; metrics.len()],
                units: vec![String::new(); metrics.len()],
            },
            dates: vec![YearMonth::new(2024, 12).unwrap(), YearMonth::new(2025, 1).unwrap()],
            pairing: crate::scenario::Scenario::default().pairing(),
        }
    }

    fn traj(s: &ScenarioSeries, base: f64) -> Trajectory {
        let mut t = Trajectory::new(s.metrics.len(), 2);
        for (i, d) in s.dates.iter().enumerate() {
            let row: Vec<f64> = (0..s.metrics.len()).map(|j| base + (10 * i + j) as f64 + 0.5).collect();
            t.push(*d, &row);
        }
        t
    }

    #[test]
    fn union_of_columns_with_empty_cells() {
        let a = series("a", &["production", "exports_ru"]);
        let b = series("b,x", &["production", "exports_kz"]);
        let mut w = TrajectoryWriter::new(Vec::new(), &[a.clone(), b.clone()]).unwrap();
        w.write_replicate(0, &[traj(&a, 0.0), traj(&b, 100.0)]).unwrap();
        w.write_replicate(1, &[traj(&a, 1.0), traj(&b, f64::NAN)]).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "scenario,replicate,month,date,production,exports_ru,exports_kz\n\
             a,0,0,2024-12,0.5,1.5,\n\
             a,0,1,2025-01,10.5,11.5,\n\
             \"b,x\",0,0,2024-12,100.5,,101.5\n\
             \"b,x\",0,1,2025-01,110.5,,111.5\n\
             a,1,0,2024-12,1.5,2.5,\n\
             a,1,1,2025-01,11.5,12.5,\n\
             \"b,x\",1,0,2024-12,,,\n\
             \"b,x\",1,1,2025-01,,,\n"
        );
    }
}
