//! Calibration output files: the evaluation log `calibration.csv` (appended and flushed as each
//! candidate finishes, so an interrupted run keeps every evaluation and `--resume` replays
//! them), `estimates.toml` (best values as scenario overrides), `fit.csv` (the per-target fit at
//! the best point, in the format of `facts.csv`) and the manifest `calibration.json`, written
//! last: a calibration directory is complete if and only if it holds `calibration.json`.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sweep::calibrate::{Calibration, Estimate, Evaluation};

use super::atomic::AtomicFile;
use super::number::cell_exact;
use super::read::parse_line;

/// The evaluation log.
pub const LOG_FILE: &str = "calibration.csv";
/// Identity of the calibration that wrote the log (its hash), for `--resume`.
pub const LOG_STATE_FILE: &str = "calibration.state";
/// Best values.
pub const ESTIMATES_FILE: &str = "estimates.toml";
/// Per-target fit at the best point.
pub const FIT_FILE: &str = "fit.csv";
/// Manifest, written last.
pub const CALIBRATION_MANIFEST: &str = "calibration.json";

/// Header of `calibration.csv` for these parameter names: `evaluation,restart,u_<p>…,<p>…,distance`.
pub fn log_header(names: &[String]) -> String {
    let mut h = vec!["evaluation".to_string(), "restart".to_string()];
    h.extend(names.iter().map(|n| format!("u_{n}")));
    h.extend(names.iter().cloned());
    h.push("distance".into());
    h.join(",")
}

/// The append-only evaluation log of a running calibration.
#[derive(Debug)]
pub struct EvalLog {
    path: PathBuf,
    file: File,
}

impl EvalLog {
    /// Starts the log in `dir`, or with `resume` continues the one there if it belongs to the
    /// calibration with hash `hash` (else a usage error). Returns the log and the logged (unit
    /// point, distance) pairs. A fresh start removes the directory's earlier calibration files.
    pub fn open(
        dir: &Path,
        names: &[String],
        hash: &str,
        resume: bool,
    ) -> Result<(EvalLog, Vec<crate::sweep::calibrate::Logged>)> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(LOG_FILE);
        let state = dir.join(LOG_STATE_FILE);
        let header = log_header(names);
        let k = names.len();
        if resume && path.exists() && state.exists() {
            let old = fs::read_to_string(&state).map_err(|e| Error::io(&state, e))?;
            if old.trim() != hash {
                return Err(Error::Usage(format!(
                    "{}: cannot resume: the log belongs to calibration {}, this is {} (the calibration file, its \
                     base scenario or targets changed); use another --out or drop --resume",
                    dir.display(),
                    old.trim(),
                    hash
                )));
            }
            let reader = BufReader::new(File::open(&path).map_err(|e| Error::io(&path, e))?);
            let mut done = Vec::new();
            let mut keep = 0u64;
            let columns = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
            for (i, line) in reader.split(b'\n').enumerate() {
                let line = line.map_err(|e| Error::io(&path, e))?;
                let text = String::from_utf8_lossy(&line).to_string();
                if i == 0 {
                    if text != header {
                        return Err(Error::Usage(format!("{}: its header differs; drop --resume", path.display())));
                    }
                } else {
                    // A row that does not parse is where a killed run stopped: the log is cut there.
                    match parse_line::<Vec<f64>>(&path, &columns, i as u64 + 1, &text) {
                        Ok(v) => done.push((v[2..2 + k].to_vec(), v[2 + 2 * k])),
                        Err(_) => break,
                    }
                }
                keep += line.len() as u64 + 1;
            }
            let mut file = OpenOptions::new().write(true).open(&path).map_err(|e| Error::io(&path, e))?;
            let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
            file.set_len(keep.min(len)).map_err(|e| Error::io(&path, e))?;
            file.flush().map_err(|e| Error::io(&path, e))?;
            let file = OpenOptions::new().append(true).open(&path).map_err(|e| Error::io(&path, e))?;
            return Ok((EvalLog { path, file }, done));
        }
        for stale in [CALIBRATION_MANIFEST, ESTIMATES_FILE, FIT_FILE, LOG_FILE] {
            let p = dir.join(stale);
            if p.exists() {
                fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        let mut st = AtomicFile::create(&state)?;
        writeln!(st, "{hash}").map_err(|e| Error::io(&state, e))?;
        st.commit()?;
        let mut file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        writeln!(file, "{header}").map_err(|e| Error::io(&path, e))?;
        Ok((EvalLog { path, file }, Vec::new()))
    }

    /// Appends one evaluation (not cached ones already in the log); it reaches the operating
    /// system before this returns.
    pub fn append(&mut self, e: &Evaluation) -> Result<()> {
        if e.cached {
            return Ok(());
        }
        let mut cells = vec![e.index.to_string(), e.restart.to_string()];
        cells.extend(e.unit.iter().map(|x| cell_exact(Some(*x))));
        cells.extend(e.values.iter().map(|x| cell_exact(Some(*x))));
        cells.push(cell_exact(Some(e.distance)));
        writeln!(self.file, "{}", cells.join(",")).map_err(|e| Error::io(&self.path, e))
    }

    /// Syncs the log.
    pub fn finish(self) -> Result<PathBuf> {
        self.file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.path)
    }
}

/// `estimates.toml`: the best values as `--set` overrides and as a TOML fragment to paste into a
/// scenario.
pub fn estimates_text(cal: &Calibration, est: &Estimate) -> String {
    let mut s = format!(
        "# Estimates of calibration {:?} ({}): distance {} over {} targets, {} replicates, seed {}.\n",
        cal.name,
        cal.source.display(),
        cell_exact(Some(est.distance)),
        cal.targets.len(),
        cal.replicates,
        cal.seed
    );
    s.push_str("# `set` can be passed as `--set` options; the tables below can be pasted into a scenario.\n");
    let overrides = cal.overrides(&est.values);
    s.push_str("set = [\n");
    for o in &overrides {
        s.push_str(&format!("  {:?},\n", o));
    }
    s.push_str("]\n\n[estimates]\n");
    for (p, v) in cal.parameters.iter().zip(&est.values) {
        s.push_str(&format!(
            "{} = {}  # range [{}, {}]\n",
            toml_key(&p.name),
            cell_exact(Some(*v)),
            p.factor.low,
            p.factor.high
        ));
    }
    s
}

fn toml_key(k: &str) -> String {
    if k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// Writes `estimates.toml`, `fit.csv` and then the manifest `calibration.json` into `dir`.
pub fn write_results(
    dir: &Path,
    cal: &Calibration,
    est: &Estimate,
    manifest: &serde_json::Value,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let path = dir.join(ESTIMATES_FILE);
    let mut f = AtomicFile::create(&path)?;
    f.write_all(estimates_text(cal, est).as_bytes()).map_err(|e| Error::io(&path, e))?;
    written.push(f.commit()?);
    written.push(super::facts::write_facts(&dir.join(FIT_FILE), &cal.targets, &est.fits)?);
    let path = dir.join(CALIBRATION_MANIFEST);
    let mut f = AtomicFile::create(&path)?;
    let text = serde_json::to_string_pretty(manifest).map_err(|e| Error::Usage(e.to_string()))?;
    f.write_all(text.as_bytes()).map_err(|e| Error::io(&path, e))?;
    f.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
    written.push(f.commit()?);
    let state = dir.join(LOG_STATE_FILE);
    if state.exists() {
        fs::remove_file(&state).map_err(|e| Error::io(&state, e))?;
    }
    Ok(written)
}
