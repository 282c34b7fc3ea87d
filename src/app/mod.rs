//! Jobs: what each subcommand does, as library calls the binary only parses arguments for and
//! reports on. Each job validates its inputs, prepares its output directory, drives the engine or
//! the sweep layer, writes through `output` and `plot`, and returns a typed report; progress and
//! status lines go through the [`Progress`] callback (the binary implements it with indicatif).
//!
//! This layer may read the clock (for a manifest's provenance and the reports' timings) and the
//! environment (`SLURM_CPUS_PER_TASK`, `SLURM_ARRAY_TASK_ID`); results never depend on either.

pub mod bench;
pub mod facts;
pub mod merge;
pub mod outdir;
pub mod run;
pub mod slurm;
pub mod sweep;

use crate::engine::Shard;
use crate::error::{Error, Result};
use crate::output::{self, Provenance};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How a job tells its caller what it is doing. Every method has a do-nothing default, so a
/// library user implements only what it shows; [`Silent`] shows nothing.
pub trait Progress {
    /// Work of `total` items called `unit` (`"replicates"`, `"point-replicates"`) starts.
    fn start(&self, total: u64, unit: &str) {
        let _ = (total, unit);
    }
    /// `done` of the items are finished.
    fn advance(&self, done: u64) {
        let _ = done;
    }
    /// The work counted by [`Progress::start`] is over.
    fn finish(&self) {}
    /// A short message beside the progress, such as the best distance so far.
    fn message(&self, text: &str) {
        let _ = text;
    }
    /// A status line for the user, such as what a sweep is about to do.
    fn note(&self, line: &str) {
        let _ = line;
    }
    /// A line the user must see even when progress is hidden, such as the best point of an
    /// interrupted calibration.
    fn warn(&self, line: &str) {
        let _ = line;
    }
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// When a job started: the source of its manifest's `provenance` and of its report's timing.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: Instant,
    started_unix_s: u64,
}

impl Clock {
    /// Starts the clock now.
    pub fn start() -> Clock {
        let started_unix_s =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Clock { started: Instant::now(), started_unix_s }
    }

    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The provenance of a job that used `threads` worker threads, with the process's command
    /// line.
    pub fn provenance(&self, threads: usize) -> Provenance {
        Provenance {
            threads,
            wall_time_s: self.elapsed_s(),
            started_unix_s: self.started_unix_s,
            command: std::env::args().collect(),
            shards: Vec::new(),
        }
    }
}

/// Worker threads to use: `requested`, else `SLURM_CPUS_PER_TASK`, else 0 (all cores). More than
/// [`crate::scenario::limits::THREADS_PER_CORE`] per available core is bad input naming where the
/// count came from.
pub fn thread_count(requested: Option<usize>) -> Result<usize> {
    let from_env = || std::env::var("SLURM_CPUS_PER_TASK").ok().and_then(|v| v.parse().ok());
    let (threads, source) = match requested {
        Some(n) => (n, "--threads"),
        None => match from_env() {
            Some(n) => (n, "SLURM_CPUS_PER_TASK"),
            None => return Ok(0),
        },
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    crate::scenario::limits::check_threads(threads, cores).map_err(|m| usage(format!("{source}: {m}")))?;
    Ok(threads)
}

/// A `--shard` value: `K/N`, or `auto/N` with K from `SLURM_ARRAY_TASK_ID`.
pub fn parse_shard(spec: &str) -> Result<Shard> {
    let id = std::env::var("SLURM_ARRAY_TASK_ID").ok();
    Shard::parse_with(spec, id.as_deref())
}

/// `path` made canonical (links resolved) where it exists, else joined to the working
/// directory (it need not exist yet).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    if let Ok(c) = path.canonicalize() {
        return Ok(c);
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io_while("reading the working directory ", ".", e))?;
    Ok(cwd.join(path))
}

/// Charts and report drawn for a finished directory.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotReport {
    /// Files written (charts and report), as published.
    pub files: Vec<PathBuf>,
    /// Seconds spent drawing.
    pub seconds: f64,
}

/// Draws (again) the charts and report of the finished run or sweep directory `dir`, as
/// `zeromile plot` does: under the directory's lock, into a staging copy of it, published with
/// the manifest listing the charts. A failure leaves `dir` as it was.
pub fn render_plots(dir: &Path) -> Result<PlotReport> {
    render_plots_with(dir, &crate::plot::PlotOptions::default())
}

/// [`render_plots`] with options (only some charts, one image format, a size, no report).
pub fn render_plots_with(dir: &Path, options: &crate::plot::PlotOptions) -> Result<PlotReport> {
    let started = Instant::now();
    let missing = || {
        usage(format!(
            "{}: no manifest.json: not a finished zeromile output directory (write one with `zeromile run \
             SCENARIO -o DIR`, or run the interrupted job again)",
            dir.display()
        ))
    };
    if !dir.is_dir() {
        return Err(missing());
    }
    // Locked first: taking the lock finishes a publish a killed writer left.
    let mut out = outdir::OutDir::lock(dir)?;
    if !dir.join(output::MANIFEST_FILE).is_file() {
        return Err(missing());
    }
    out.stage_existing(output::MANIFEST_FILE)?;
    let stage = out.stage().to_path_buf();
    let drawn = draw_staged(&stage, options)?;
    out.publish(output::MANIFEST_FILE)?;
    let files = drawn.iter().filter_map(|p| p.strip_prefix(&stage).ok()).map(|p| dir.join(p)).collect();
    Ok(PlotReport { files, seconds: started.elapsed().as_secs_f64() })
}

/// Sets the `files` of the manifest staged in `stage` (a run's or a sweep's).
fn relist(stage: &Path, files: &[String]) -> Result<()> {
    if !crate::plot::sweep::is_sweep_dir(stage) {
        return outdir::rewrite_run_manifest(stage, files);
    }
    if let Ok(mut m) = output::sweep::SweepManifest::read(stage) {
        m.files = files.to_vec();
        m.write(stage)?;
        return Ok(());
    }
    // A sweep manifest this version does not fully know (an older one, or written by hand):
    // its other entries are kept as they are, in key order, and a manifest without `files` is
    // left without.
    let path = stage.join(output::MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io_while("reading ", &path, e))?;
    let mut v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("{}: not a zeromile sweep manifest: {e}", path.display())))?;
    match v.as_object_mut() {
        Some(obj) if obj.contains_key("files") => obj.insert("files".into(), serde_json::json!(files)),
        _ => return Ok(()),
    };
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
    text.push('\n');
    let mut f = output::AtomicFile::create(&path)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| Error::io(&path, e))?;
    f.commit()?;
    Ok(())
}

/// The data files (not charts or reports) the manifest staged in `stage` lists.
fn data_files(stage: &Path) -> Vec<String> {
    outdir::listed_files(&stage.join(output::MANIFEST_FILE))
        .into_iter()
        .filter(|f| !crate::plot::is_drawn_file(f))
        .collect()
}

/// Draws the charts and report of the complete directory staged in `stage`: its manifest first
/// lists only the data files (so a report drawn from it is the same however it was reached),
/// then the data files, the engine's charts in `plots/` (sorted) and the report. Returns the
/// files drawn.
fn draw_staged(stage: &Path, options: &crate::plot::PlotOptions) -> Result<Vec<PathBuf>> {
    let data = data_files(stage);
    relist(stage, &data)?;
    let drawn = crate::plot::render_with(stage, options)?;
    let mut files = data;
    let plots = stage.join(crate::plot::PLOTS_DIR);
    let mut charts: Vec<String> = std::fs::read_dir(&plots)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    // Only the engine's charts: a user's file in `plots/` is never listed (publishing would
    // then treat it as the result's and remove it later).
    charts.retain(|c| crate::plot::is_engine_chart(c));
    charts.sort();
    files.extend(charts.into_iter().map(|c| format!("{}/{c}", crate::plot::PLOTS_DIR)));
    for report in [crate::plot::REPORT_FILE, crate::plot::sweep::SWEEP_REPORT_FILE] {
        if stage.join(report).is_file() {
            files.push(report.to_string());
        }
    }
    relist(stage, &files)?;
    Ok(drawn)
}

/// Draws the staged directory's charts when `plots`, then publishes it. When drawing fails the
/// data is published without charts and the error says so and how to retry. Returns the data
/// files published (marker last) and the charts drawn.
fn publish_drawn(out: outdir::OutDir, marker: &str, plots: bool) -> Result<(Vec<PathBuf>, Option<PlotReport>)> {
    let started = Instant::now();
    let stage = out.stage().to_path_buf();
    let drawn = if plots { Some(draw_staged(&stage, &crate::plot::PlotOptions::default())) } else { None };
    let failed = match drawn {
        Some(Err(e)) => {
            crate::plot::remove_stale(&stage)?;
            let _ = std::fs::remove_file(stage.join(crate::plot::sweep::SWEEP_REPORT_FILE));
            let _ = std::fs::remove_dir_all(stage.join(crate::plot::PLOTS_DIR));
            relist(&stage, &data_files(&stage))?;
            Some(e)
        }
        _ => None,
    };
    outdir::checkpoint("drawn");
    let dir = out.out().to_path_buf();
    let published = out.publish(marker)?;
    if let Some(e) = failed {
        return Err(e.context(format!(
            "drawing charts (the data files and manifest are complete; `zeromile plot {}` retries)",
            dir.display()
        )));
    }
    let (charts, files): (Vec<PathBuf>, Vec<PathBuf>) = published.into_iter().partition(|p| {
        p.strip_prefix(&dir)
            .ok()
            .and_then(|r| r.to_str())
            .is_some_and(|r| crate::plot::is_drawn_file(&r.replace('\\', "/")))
    });
    let report = plots.then(|| PlotReport { files: charts, seconds: started.elapsed().as_secs_f64() });
    Ok((files, report))
}

/// The error of a request that cannot be carried out as given (exit code 2).
fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}
