//! Sweep output files: `points.csv` written incrementally (through `points.partial.csv`, so a
//! killed sweep can be resumed and never leaves a file that looks complete), `sensitivity.csv`,
//! and the sweep manifest.
//!
//! A sweep directory is complete if and only if it holds `manifest.json`. While a sweep runs
//! it holds `points.partial.csv` (finished points, one row each, in point order, appended and
//! flushed as each point finishes) and `points.partial.json` (which sweep and shard the rows
//! belong to). `--resume` keeps every complete row, drops a torn last line, and appends the
//! rest; because rows depend only on the sweep and the point index, the final `points.csv` is
//! byte-identical to an uninterrupted run's.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sweep::analysis::{IndexRow, Plan};
use crate::sweep::run::PointResult;

use super::atomic::{remove_if_present, AtomicFile};
use super::number::cell;
use super::read::{data_error, parse_line, CsvFile};
use super::verify::{Checksummer, Checksums, FileChecksum};

/// Final per-point results.
pub const POINTS_FILE: &str = "points.csv";
/// Per-point results while the sweep runs.
pub const POINTS_PARTIAL_FILE: &str = "points.partial.csv";
/// Which sweep the partial rows belong to.
pub const PARTIAL_STATE_FILE: &str = "points.partial.json";
/// Sensitivity indices.
pub const SENSITIVITY_FILE: &str = "sensitivity.csv";
/// Header of `sensitivity.csv`.
pub const SENSITIVITY_HEADER: [&str; 7] = ["method", "outcome", "parameter", "index", "estimate", "ci_low", "ci_high"];
/// Statistics written per outcome in `points.csv`, in column order.
pub const POINT_STATS: [&str; 5] = ["mean", "sd", "p05", "p50", "p95"];

/// The `points.csv` header: `point`, the parameter names, then `<outcome>_<stat>` for each
/// outcome and each of [`POINT_STATS`].
pub fn points_header(parameters: &[String], outcomes: &[String]) -> String {
    let mut cols = vec!["point".to_string()];
    cols.extend(parameters.iter().cloned());
    for o in outcomes {
        cols.extend(POINT_STATS.iter().map(|s| format!("{o}_{s}")));
    }
    cols.join(",")
}

/// One `points.csv` row (without the newline).
pub fn point_row(r: &PointResult) -> String {
    let mut cells = vec![r.point.to_string()];
    cells.extend(r.values.iter().map(|&v| cell(Some(v))));
    for s in &r.stats {
        cells.extend([cell(Some(s.mean)), cell(s.sd), cell(Some(s.p05)), cell(Some(s.p50)), cell(Some(s.p95))]);
    }
    cells.join(",")
}

/// What `points.partial.json` records: the rows below belong to this sweep and shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialState {
    /// Hash of the sweep's canonical text.
    pub sweep_hash: String,
    /// `K/N`.
    pub shard: String,
}

/// The append-only `points.partial.csv` of a running sweep.
#[derive(Debug)]
pub struct PointsLog {
    dir: PathBuf,
    file: File,
    /// Length and hash of the file's bytes so far (kept rows of a resumed file included).
    sum: Checksummer,
}

impl PointsLog {
    /// Starts (or, with `resume`, continues) the partial points file of `dir`.
    ///
    /// Fresh: any earlier manifest, points and partial files are removed, then the state file
    /// and the header are written. Resume: the state must match `state` (else a bad-input
    /// error naming both), the header must equal `header`, complete rows are kept and a torn
    /// last line is cut off. Returns the log and the point indices already done, in file order.
    pub fn open(dir: &Path, header: &str, state: &PartialState, resume: bool) -> Result<(PointsLog, Vec<usize>)> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let partial = dir.join(POINTS_PARTIAL_FILE);
        let state_path = dir.join(PARTIAL_STATE_FILE);
        if resume && partial.exists() && state_path.exists() {
            let text = fs::read_to_string(&state_path).map_err(|e| Error::io(&state_path, e))?;
            let old: PartialState = serde_json::from_str(&text).map_err(|e| {
                Error::Usage(format!(
                    "{}: unreadable ({e}); remove the directory or drop --resume",
                    state_path.display()
                ))
            })?;
            if &old != state {
                return Err(Error::Usage(format!(
                    "{}: cannot resume: the directory holds sweep {} shard {}, this is sweep {} shard {} \
                     (the sweep file, its base scenario or --shard changed); use another --out or drop --resume",
                    dir.display(),
                    old.sweep_hash,
                    old.shard,
                    state.sweep_hash,
                    state.shard
                )));
            }
            let (done, sum) = complete_rows(&partial, header)?;
            let mut file = OpenOptions::new().write(true).open(&partial).map_err(|e| Error::io(&partial, e))?;
            file.set_len(sum.bytes()).map_err(|e| Error::io(&partial, e))?;
            file.seek(SeekFrom::End(0)).map_err(|e| Error::io(&partial, e))?;
            return Ok((PointsLog { dir: dir.to_path_buf(), file, sum }, done));
        }
        for stale in [super::MANIFEST_FILE, POINTS_FILE, SENSITIVITY_FILE, POINTS_PARTIAL_FILE] {
            remove_if_present(&dir.join(stale))?;
        }
        let mut st = AtomicFile::create(&state_path)?;
        let json = serde_json::to_string(state).map_err(|e| Error::Usage(e.to_string()))?;
        st.write_all(json.as_bytes()).map_err(|e| Error::io(&state_path, e))?;
        st.commit()?;
        let mut file = File::create(&partial).map_err(|e| Error::io(&partial, e))?;
        let line = format!("{header}\n");
        file.write_all(line.as_bytes()).map_err(|e| Error::io(&partial, e))?;
        let mut sum = Checksummer::new();
        sum.update(line.as_bytes());
        Ok((PointsLog { dir: dir.to_path_buf(), file, sum }, Vec::new()))
    }

    /// Appends one finished point. The row reaches the operating system before this returns,
    /// so a killed process loses at most the row being written.
    pub fn append(&mut self, r: &PointResult) -> Result<()> {
        let line = format!("{}\n", point_row(r));
        self.file.write_all(line.as_bytes()).map_err(|e| Error::io(self.dir.join(POINTS_PARTIAL_FILE), e))?;
        self.sum.update(line.as_bytes());
        Ok(())
    }

    /// Syncs the partial file and renames it to `points.csv`; removes the state file. Returns
    /// the length and hash of `points.csv` (computed as the rows were written), for the
    /// manifest's `checksums`.
    pub fn finish(self) -> Result<FileChecksum> {
        let partial = self.dir.join(POINTS_PARTIAL_FILE);
        self.file.sync_all().map_err(|e| Error::io(&partial, e))?;
        drop(self.file);
        let path = self.dir.join(POINTS_FILE);
        fs::rename(&partial, &path).map_err(|e| Error::io(&path, e))?;
        remove_if_present(&self.dir.join(PARTIAL_STATE_FILE))?;
        Ok(self.sum.finish())
    }
}

/// The point indices of the complete rows of a partial file and the length and hash of the bytes
/// they span (header included). A last line without its newline is torn and not counted.
fn complete_rows(path: &Path, header: &str) -> Result<(Vec<usize>, Checksummer)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut keep = Checksummer::new();
    let mut done = Vec::new();
    let mut first = true;
    let columns = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| Error::io(path, e))?;
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        let body = line.trim_end_matches('\n');
        if first {
            if body != header {
                return Err(Error::Usage(format!(
                    "{}: its header does not match this sweep's parameters and outcomes; use another --out or drop --resume",
                    path.display()
                )));
            }
            first = false;
        } else {
            let (point, _): (usize, Vec<Option<f64>>) = parse_line(path, &columns, done.len() as u64 + 2, body)
                .map_err(|e| Error::Usage(format!("{e}; drop --resume to start over")))?;
            done.push(point);
        }
        keep.update(line.as_bytes());
    }
    if first {
        // Not even a complete header: start the file again.
        let mut f = File::create(path).map_err(|e| Error::io(path, e))?;
        let line = format!("{header}\n");
        f.write_all(line.as_bytes()).map_err(|e| Error::io(path, e))?;
        keep = Checksummer::new();
        keep.update(line.as_bytes());
    }
    Ok((done, keep))
}

/// A `points.csv` read back: the header and each row with its point index, text and outcome
/// means.
#[derive(Debug, Clone)]
pub struct PointsTable {
    /// The header line.
    pub header: String,
    /// `(point, row text without newline)`, in file order.
    pub rows: Vec<(usize, String)>,
}

impl PointsTable {
    /// Reads `points.csv` (or a shard's).
    pub fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let lines: Vec<&str> = text.lines().collect();
        let header = lines.first().ok_or_else(|| data_error(path, 0, "empty file".into()))?.to_string();
        let mut rows = Vec::new();
        CsvFile::from_reader(path, text.as_bytes())?.for_each_positional(
            |line, (point, _): (usize, Vec<Option<f64>>), _| {
                rows.push((point, lines[line as usize - 1].to_string()));
                Ok(())
            },
        )?;
        Ok(PointsTable { header, rows })
    }

    /// Reads and verifies the `points.csv` of the sweep shard in `dir`, whose manifest is `m`,
    /// before a merge writes anything. The file must be exactly what the shard wrote:
    ///
    /// - its length and FNV-1a hash equal the manifest's `checksums` entry (when recorded);
    /// - UTF-8 text ending in a newline (a last row without one is torn);
    /// - the header of the manifest's parameters and outcomes, then one row per point of shard
    ///   K/N of the manifest (`points_here` of them, indices K, K + N, … in order), each with
    ///   as many cells as the header;
    /// - every parameter cell a finite number, every statistic cell a finite number or empty
    ///   (empty: undefined, e.g. the sd of one replicate or the ratio to a zero month).
    ///
    /// Errors: [`Error::Usage`] (exit code 2) naming the file, the line and what is wrong, and
    /// which shard to rerun.
    pub fn read_shard(dir: &Path, m: &SweepManifest) -> Result<Self> {
        let path = dir.join(POINTS_FILE);
        let (k, n) = m.shard.map_or((0, 1), |s| (s.k, s.n));
        let bad = |at: String, why: String| {
            Error::Usage(format!(
                "{at}: {why}; the shard directory was modified or damaged after it was written: rerun sweep shard \
                 {k}/{n} (Slurm: sbatch --array={k} SCRIPT; by hand: zeromile sweep FILE --shard {k}/{n} --out {}), \
                 then merge again",
                dir.display()
            ))
        };
        let at = |line: usize| format!("{}:{line}", path.display());
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(bad(path.display().to_string(), "missing".into()));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| bad(path.display().to_string(), format!("not UTF-8 text ({e})")))?;
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        if !text.ends_with('\n') {
            return Err(bad(at(lines.len().max(1)), "the last row is torn (it has no end of line)".into()));
        }
        let params: Vec<String> = m.sweep.parameters.iter().map(|p| p.name.clone()).collect();
        let outcomes: Vec<String> = m.sweep.outcomes.iter().map(|o| o.name.clone()).collect();
        let header = points_header(&params, &outcomes);
        let Some((&first, body)) = lines.split_first() else {
            return Err(bad(path.display().to_string(), "empty file".into()));
        };
        if first != header {
            return Err(bad(at(1), format!("the header should be {header:?}, the manifest's columns")));
        }
        let cols: Vec<&str> = header.split(',').collect();
        let expected: Vec<usize> =
            crate::engine::Shard::new(k, n)?.indices(m.points_total as u64).map(|p| p as usize).collect();
        if expected.len() != m.points_here {
            return Err(bad(
                dir.join(super::MANIFEST_FILE).display().to_string(),
                format!(
                    "`points_here` is {}, but shard {k}/{n} of {} points has {}",
                    m.points_here,
                    m.points_total,
                    expected.len()
                ),
            ));
        }
        let mut rows = Vec::with_capacity(body.len());
        // The cells through the csv crate: the point index a whole number, every parameter a
        // finite number, every statistic a finite number or empty.
        let as_bad = |e: Error| match e {
            Error::Data { line, message, .. } => bad(at(line as usize), message),
            other => other,
        };
        let mut csv = CsvFile::from_reader(&path, bytes.as_slice()).map_err(as_bad)?;
        csv.for_each_positional(|line, (point, cells): (usize, Vec<Option<f64>>), record| {
            let no = line as usize;
            match expected.get(rows.len()) {
                Some(&want) if want == point => {}
                Some(&want) => {
                    return Err(bad(at(no), format!("point {point} where point {want} of shard {k}/{n} belongs")));
                }
                None => {
                    return Err(bad(at(no), format!("more rows than the {} points of shard {k}/{n}", expected.len())))
                }
            }
            for (j, c) in cells.iter().enumerate().map(|(j, c)| (j + 1, c)) {
                let is_parameter = j <= params.len();
                if !c.map_or(!is_parameter, f64::is_finite) {
                    let what = if is_parameter { "a finite number" } else { "a finite number or empty" };
                    let text = record.get(j).unwrap_or_default();
                    return Err(bad(at(no), format!("column `{}` holds {text:?}, not {what}", cols[j])));
                }
            }
            rows.push((point, lines[no - 1].to_string()));
            Ok(())
        })
        .map_err(as_bad)?;
        if rows.len() != expected.len() {
            return Err(bad(
                path.display().to_string(),
                format!("{} rows, but shard {k}/{n} has {} points (rows are missing)", rows.len(), expected.len()),
            ));
        }
        if let Some(want) = m.checksums.get(POINTS_FILE) {
            let got = FileChecksum::of(&bytes);
            if got != *want {
                return Err(bad(
                    path.display().to_string(),
                    format!(
                        "its contents changed after it was written ({got}; the manifest records {want}), e.g. an \
                         edited value"
                    ),
                ));
            }
        }
        Ok(PointsTable { header, rows })
    }

    /// The `<outcome>_mean` column of every row, per outcome: `means[o][row]` (NaN when blank).
    pub fn means(&self, outcomes: &[String]) -> Result<Vec<Vec<f64>>> {
        let text = self.text();
        let mut csv = CsvFile::from_reader(Path::new(POINTS_FILE), text.as_bytes())?;
        let columns: Vec<usize> = outcomes.iter().map(|o| csv.column(&format!("{o}_mean"))).collect::<Result<_>>()?;
        let mut out = vec![Vec::with_capacity(self.rows.len()); outcomes.len()];
        csv.for_each_positional(|_, row: Vec<Option<f64>>, _| {
            for (o, &j) in columns.iter().enumerate() {
                out[o].push(row.get(j).copied().flatten().unwrap_or(f64::NAN));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The file's text: the header and every row, each ending in a newline.
    fn text(&self) -> String {
        let mut body =
            String::with_capacity(self.header.len() + 1 + self.rows.iter().map(|r| r.1.len() + 1).sum::<usize>());
        body.push_str(&self.header);
        body.push('\n');
        for (_, l) in &self.rows {
            body.push_str(l);
            body.push('\n');
        }
        body
    }

    /// Length and hash of the file [`PointsTable::write`] writes, for a manifest's `checksums`.
    pub fn checksum(&self) -> FileChecksum {
        FileChecksum::of(self.text().as_bytes())
    }

    /// Writes the table as `path` atomically (rows in their current order).
    pub fn write(&self, path: &Path) -> Result<PathBuf> {
        let mut f = AtomicFile::create(path)?;
        f.write_all(self.text().as_bytes()).map_err(|e| Error::io(path, e))?;
        f.commit()
    }
}

/// Writes `sensitivity.csv` atomically.
pub fn write_sensitivity(path: &Path, rows: &[IndexRow]) -> Result<PathBuf> {
    let mut f = AtomicFile::create(path)?;
    let mut w = csv::Writer::from_writer(&mut f);
    let io_err = |e: csv::Error| Error::io(path, e.into());
    w.write_record(SENSITIVITY_HEADER).map_err(io_err)?;
    for r in rows {
        w.write_record([
            r.method.to_string(),
            r.outcome.clone(),
            r.parameter.clone(),
            r.index.to_string(),
            cell(r.estimate),
            cell(r.ci_low),
            cell(r.ci_high),
        ])
        .map_err(io_err)?;
    }
    w.flush().map_err(|e| Error::io(path, e))?;
    drop(w);
    f.commit()
}

/// The manifest of a sweep or sweep shard (`manifest.json`, written last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    /// `"sweep"` for a complete sweep, `"sweep-shard"` for one shard of it.
    pub kind: String,
    /// Always `"zeromile"`.
    pub engine: String,
    /// Crate version.
    pub engine_version: String,
    /// FNV-1a hash of the sweep's canonical text (design, points, parameters, outcomes, base).
    pub sweep_hash: String,
    /// `{"k": K, "n": N}` for a shard.
    pub shard: Option<ShardInfo>,
    /// Points of the whole sweep.
    pub points_total: usize,
    /// Points in this directory's `points.csv`.
    pub points_here: usize,
    /// How replicate keys follow from the sweep seed.
    pub seed_derivation: String,
    /// The sweep: name, source, base, design, seed, replicates, parameters, outcomes, plan.
    pub sweep: SweepInfo,
    /// Output files, relative to the directory (the manifest excluded).
    pub files: Vec<String>,
    /// Length and FNV-1a hash of files of the directory, by name: `points.csv` (see
    /// [`super::verify_files`]). `merge` verifies a shard's before it writes anything. Absent
    /// (empty) in older manifests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: Checksums,
    /// Run-specific facts that do not affect any result (threads, wall time, command, start):
    /// the only part of the manifest that may differ between equal sweeps.
    pub provenance: serde_json::Value,
}

/// The `sweep` object of a sweep manifest: everything about the sweep a reader (or `merge`)
/// needs. Fields are declared in alphabetical order, the order the manifest has always listed
/// them in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepInfo {
    /// Base scenario file, as written in the sweep file.
    pub base: String,
    /// FNV-1a hash of the base scenario's canonical text (with `sweep.set`).
    pub base_hash: String,
    /// Name of the base scenario.
    pub base_scenario: String,
    /// Design name (`grid`, `random`, `lhs`, `saltelli`, `morris`).
    pub design: String,
    /// Sweep name.
    pub name: String,
    /// The outcomes, in column order.
    pub outcomes: Vec<OutcomeInfo>,
    /// The swept parameters, in column order.
    pub parameters: Vec<ParameterInfo>,
    /// What the analysis needs (keys in alphabetical order, as the manifest has always had them).
    #[serde(serialize_with = "sorted_keys")]
    pub plan: Plan,
    /// Points of the design.
    pub points: usize,
    /// Replicates per point.
    pub replicates: u64,
    /// Sweep seed.
    pub seed: u64,
    /// `sweep.set` overrides of the base scenario.
    pub set: Vec<String>,
    /// The sweep file, as given.
    pub source: String,
}

/// One swept parameter of [`SweepInfo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterInfo {
    /// Upper end of the range.
    pub high: f64,
    /// Values are rounded to whole numbers.
    pub integer: bool,
    /// Explicit levels, if the range is given by them.
    pub levels: Option<Vec<f64>>,
    /// Lower end of the range.
    pub low: f64,
    /// Column name.
    pub name: String,
    /// The first scenario key it sets.
    pub path: String,
    /// Every scenario key it sets.
    pub paths: Vec<String>,
    /// `linear` or `log`.
    pub scale: String,
}

/// One outcome of [`SweepInfo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeInfo {
    /// Aggregation over the window (`sum`, `mean`, …).
    pub aggregation: String,
    /// First month of the window, if bounded.
    pub from: Option<String>,
    /// Readable label.
    pub label: String,
    /// Metric reduced.
    pub metric: String,
    /// Column name.
    pub name: String,
    /// Last month of the window, if bounded.
    pub to: Option<String>,
    /// Unit of the value.
    pub unit: String,
    /// The window in words.
    pub window: String,
}

/// Serializes `value` through a JSON value, whose objects list their keys in alphabetical order.
fn sorted_keys<T: Serialize, S: serde::Serializer>(value: &T, s: S) -> std::result::Result<S::Ok, S::Error> {
    serde_json::to_value(value).map_err(serde::ser::Error::custom)?.serialize(s)
}

/// Which shard a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This shard.
    pub k: u64,
    /// Number of shards.
    pub n: u64,
}

impl SweepManifest {
    /// Writes `dir/manifest.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(super::MANIFEST_FILE);
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Usage(e.to_string()))?;
        text.push('\n');
        let mut f = AtomicFile::create(&path)?;
        f.write_all(text.as_bytes()).map_err(|e| Error::io(&path, e))?;
        f.commit()
    }

    /// Reads `dir/manifest.json` if it is a sweep manifest.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(super::MANIFEST_FILE);
        let text = fs::read_to_string(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::Usage(format!(
                "{}: no manifest.json: not a finished zeromile output directory (an interrupted shard?)",
                dir.display()
            )),
            _ => Error::io(&path, e),
        })?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: not a zeromile sweep manifest: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::outcome::OutcomeStats;

    fn result(p: usize) -> PointResult {
        PointResult {
            point: p,
            values: vec![p as f64 * 0.5],
            stats: vec![OutcomeStats { mean: p as f64, sd: None, p05: 0.0, p50: 1.0, p95: 2.5 }],
        }
    }

    #[test]
    fn resume_keeps_complete_rows_and_cuts_a_torn_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let header = points_header(&["x".into()], &["y".into()]);
        assert_eq!(header, "point,x,y_mean,y_sd,y_p05,y_p50,y_p95");
        let state = PartialState { sweep_hash: "abc".into(), shard: "0/1".into() };
        let (mut log, done) = PointsLog::open(dir, &header, &state, false).unwrap();
        assert!(done.is_empty());
        log.append(&result(0)).unwrap();
        log.append(&result(1)).unwrap();
        drop(log);
        // A killed writer: half a row.
        let partial = dir.join(POINTS_PARTIAL_FILE);
        let mut f = OpenOptions::new().append(true).open(&partial).unwrap();
        f.write_all(b"2,1,2,,0,").unwrap();
        drop(f);
        let (mut log, done) = PointsLog::open(dir, &header, &state, true).unwrap();
        assert_eq!(done, [0, 1]);
        log.append(&result(2)).unwrap();
        let sum = log.finish().unwrap();
        let text = fs::read_to_string(dir.join(POINTS_FILE)).unwrap();
        assert_eq!(text, format!("{header}\n0,0,0,,0,1,2.5\n1,0.5,1,,0,1,2.5\n2,1,2,,0,1,2.5\n"));
        assert_eq!(sum, FileChecksum::of(text.as_bytes()), "hashed while written, across the resume");
        assert!(!dir.join(PARTIAL_STATE_FILE).exists());

        // Another sweep's partial state refuses to resume.
        let (log, _) = PointsLog::open(dir, &header, &state, false).unwrap();
        drop(log);
        let other = PartialState { sweep_hash: "def".into(), shard: "0/1".into() };
        let e = PointsLog::open(dir, &header, &other, true).unwrap_err();
        assert!(e.to_string().contains("cannot resume"), "{e}");
    }

    #[test]
    fn points_table_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let header = points_header(&["x".into()], &["y".into()]);
        let table =
            PointsTable { header: header.clone(), rows: vec![(0, point_row(&result(0))), (3, point_row(&result(3)))] };
        let path = tmp.path().join("points.csv");
        table.write(&path).unwrap();
        let back = PointsTable::read(&path).unwrap();
        assert_eq!(back.rows, table.rows);
        assert_eq!(back.means(&["y".into()]).unwrap(), vec![vec![0.0, 3.0]]);
        assert!(back.means(&["z".into()]).is_err());
    }
}
