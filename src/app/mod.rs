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
use crate::output::Provenance;
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
    /// Files written (charts and report).
    pub files: Vec<PathBuf>,
    /// Seconds spent drawing.
    pub seconds: f64,
}

/// Draws the charts and report of the finished run directory `dir`, exactly as `zeromile plot`
/// would. A failure says that the data files are complete and how to retry.
pub fn render_plots(dir: &Path) -> Result<PlotReport> {
    let started = Instant::now();
    let files = crate::plot::render(dir).map_err(|e| {
        e.context(format!(
            "drawing charts (the CSV files and manifest are complete; `zeromile plot {}` retries)",
            dir.display()
        ))
    })?;
    Ok(PlotReport { files, seconds: started.elapsed().as_secs_f64() })
}

/// The error of a request that cannot be carried out as given (exit code 2).
fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}
