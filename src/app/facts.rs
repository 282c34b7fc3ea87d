//! The `check-facts` job (a scenario's run, or a run directory, against observed targets) and
//! the `calibrate` job (parameter estimation by the method of simulated moments).

use super::outdir::{check_out_dir, rewrite_run_manifest, OutDir};
use super::{publish_drawn, thread_count, usage, Clock, PlotReport, Progress};
use crate::engine::{self, MonteCarlo, Sink, Workers};
use crate::error::Result;
use crate::model::metrics::{MetricSet, Trajectory};
use crate::output::calibration::{self as cal_out, EvalLog};
use crate::output::facts::{write_facts, FACTS_FILE};
use crate::output::{self, Manifest, MonteCarloStats, ScenarioSeries};
use crate::scenario;
use crate::sweep::calibrate::{self, Calibration, Estimate};
use crate::sweep::targets::{fit, Target, TargetFile, TargetFit};
use std::path::{Path, PathBuf};

/// The targets file used when none is given.
pub const DEFAULT_TARGETS: &str = "scenarios/targets/china-2019-2024.toml";

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckFactsJob {
    /// A scenario file (run it) or the output directory of `run --trajectories` (read it).
    pub input: PathBuf,
    /// Targets file.
    pub targets: PathBuf,
    /// Replicates (default: the scenario's `replicates`).
    pub replicates: Option<u64>,
    /// Master seed (default: the scenario's `seed`).
    pub seed: Option<u64>,
    /// Worker threads (see [`thread_count`]).
    pub threads: Option<usize>,
    /// `key=value` overrides of the scenario.
    pub set: Vec<String>,
    /// Output directory when running a scenario.
    pub out: PathBuf,
    /// Draw the charts and `report.html`.
    pub plots: bool,
}

/// What a finished fact check found.
#[derive(Debug, Clone)]
pub struct FactsReport {
    /// The run directory that holds `facts.csv`.
    pub dir: PathBuf,
    /// The targets, in file order.
    pub targets: Vec<Target>,
    /// The model's fit to each.
    pub fits: Vec<TargetFit>,
    /// Replicates behind the fits.
    pub replicates: u64,
    /// The `facts.csv` written.
    pub facts_file: PathBuf,
    /// The charts and report drawn, when asked for.
    pub plots: Option<PlotReport>,
    /// Seconds from the start of the job.
    pub seconds: f64,
}

/// Checks `args`: runs the scenario into its output directory or reads the given finished run
/// directory's trajectories, fits every target, and publishes `facts.csv` (with the run's files,
/// or added to the run directory) and, when asked, the charts and report (see [`OutDir`]).
pub fn check_facts(args: &CheckFactsJob, progress: &dyn Progress) -> Result<FactsReport> {
    let clock = Clock::start();
    if !args.targets.is_file() {
        return Err(usage(format!(
            "--targets {}: no such file (the default is {DEFAULT_TARGETS}, relative to the working directory)",
            args.targets.display()
        )));
    }
    let file = TargetFile::load(&args.targets)?;
    let (dir, targets, fits, replicates) =
        if args.input.is_dir() { from_dir(args, &file)? } else { from_scenario(args, &file, &clock, progress)? };
    let out = dir.out().to_path_buf();
    write_facts(&dir.stage().join(FACTS_FILE), &targets, &fits)?;
    let (_, plots) = publish_drawn(dir, output::MANIFEST_FILE, args.plots)?;
    Ok(FactsReport {
        facts_file: out.join(FACTS_FILE),
        dir: out,
        targets,
        fits,
        replicates,
        plots,
        seconds: clock.elapsed_s(),
    })
}

/// Feeds the run statistics and collects each replicate's target values.
struct FactsSink<'a> {
    stats: MonteCarloStats,
    targets: &'a [Target],
    values: Vec<Vec<f64>>,
    progress: &'a dyn Progress,
}

impl Sink for FactsSink<'_> {
    fn replicate(&mut self, _replicate: u64, trajectories: &[Trajectory]) -> Result<()> {
        self.stats.add_replicate(trajectories);
        if let Some(t) = trajectories.first() {
            self.values.push(self.targets.iter().map(|x| x.value(t)).collect());
        }
        Ok(())
    }

    fn progress(&mut self, done: u64) {
        self.progress.advance(done);
    }
}

type Checked = (OutDir, Vec<Target>, Vec<TargetFit>, u64);

fn from_scenario(args: &CheckFactsJob, file: &TargetFile, clock: &Clock, progress: &dyn Progress) -> Result<Checked> {
    let full = scenario::load(&args.input, &args.set)?;
    let s = file.horizon(&full);
    let targets = file.resolve(&s)?;
    let replicates = args.replicates.unwrap_or(s.replicates);
    if replicates == 0 {
        return Err(usage("--replicates must be at least 1"));
    }
    let master_seed = args.seed.unwrap_or(s.seed);
    crate::scenario::limits::check_replicates_flag(args.replicates)?;
    let threads = thread_count(args.threads)?;
    let mut dir = OutDir::lock(&args.out)?;
    let stage = dir.fresh_stage()?.to_path_buf();
    let series = vec![ScenarioSeries {
        name: s.name.clone(),
        metrics: MetricSet::new(&s.markets.iter().map(|m| m.id.as_str()).collect::<Vec<_>>()),
        dates: (0..s.months()).map(|i| s.start.offset(i as i64)).collect(),
        pairing: s.pairing(),
    }];
    progress.start(replicates, "replicates");
    let mut sink = FactsSink { stats: MonteCarloStats::new(series), targets: &targets, values: Vec::new(), progress };
    let scenarios = std::slice::from_ref(&s);
    engine::run_monte_carlo(
        &MonteCarlo { scenarios, master_seed, replicates, threads, shard: engine::Shard::ALL, by_group: false },
        &mut sink,
    )?;
    progress.finish();
    let fits = fit(&targets, &sink.values).ok_or_else(|| usage("no replicates"))?;
    let used_threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let source = args.input.display().to_string();
    let mut manifest = Manifest::for_run(std::slice::from_ref(&s), &[source], &args.set, master_seed, replicates);
    manifest.files = vec![FACTS_FILE.to_string()];
    manifest.provenance = clock.provenance(used_threads);
    if manifest.provenance.command.is_empty() {
        manifest.provenance.command.push("zeromile".into());
    }
    output::write_outputs(&stage, &sink.stats, &manifest)?;
    Ok((dir, targets, fits, replicates))
}

fn from_dir(args: &CheckFactsJob, file: &TargetFile) -> Result<Checked> {
    let dir = args.input.clone();
    // Locked before anything is read, so no writer can publish another run between reading the
    // trajectories and adding facts.csv (and a publish a killed writer left is finished first).
    let mut out = OutDir::lock(&dir)?;
    if !dir.join(output::MANIFEST_FILE).is_file() {
        return Err(usage(format!(
            "{}: no manifest.json: not a finished run directory (an interrupted run? run it again)",
            dir.display()
        )));
    }
    let traj = dir.join("trajectories.csv");
    if !traj.is_file() {
        return Err(usage(format!(
            "{}: no trajectories.csv; rerun `zeromile run ... --trajectories -o {}` or give check-facts the scenario file",
            dir.display(),
            dir.display()
        ))
        );
    }
    let read = output::read_trajectories(&traj)?;
    let first = read.replicates.first().ok_or_else(|| usage(format!("{}: no replicates", traj.display())))?;
    let start = *first.dates.first().ok_or_else(|| usage(format!("{}: no months", traj.display())))?;
    let months = first.months();
    let end = start.offset(months as i64 - 1);
    let markets: Vec<String> =
        read.metrics.names.iter().filter_map(|n| n.strip_prefix("exports_")).map(str::to_string).collect();
    // A scenario with the run's months and markets, to resolve the targets against.
    let mut s = scenario::Scenario { start, end, name: read.scenario.clone(), ..Default::default() };
    s.markets.retain(|m| markets.contains(&m.id));
    let targets = file.resolve(&s)?;
    let values: Vec<Vec<f64>> = read.replicates.iter().map(|t| targets.iter().map(|x| x.value(t)).collect()).collect();
    let fits = fit(&targets, &values).ok_or_else(|| usage("no replicates"))?;
    let stage = out.stage_existing(output::MANIFEST_FILE)?.to_path_buf();
    let mut files = super::outdir::listed_files(&stage.join(output::MANIFEST_FILE));
    if !files.iter().any(|f| f == FACTS_FILE) {
        files.push(FACTS_FILE.to_string());
        rewrite_run_manifest(&stage, &files)?;
    }
    Ok((out, targets, fits, read.replicates.len() as u64))
}

/// What to calibrate.
#[derive(Debug, Clone, Default)]
pub struct CalibrateJob {
    /// Calibration file.
    pub calibration: PathBuf,
    /// Output directory (default: `out/calibrate-<name>`).
    pub out: Option<PathBuf>,
    /// Worker threads (see [`thread_count`]).
    pub threads: Option<usize>,
    /// Continue an interrupted calibration in the same directory.
    pub resume: bool,
}

/// What a finished calibration found.
#[derive(Debug)]
pub struct CalibrationReport {
    /// The output directory.
    pub out: PathBuf,
    /// The calibration run.
    pub calibration: Calibration,
    /// Its estimate.
    pub estimate: Estimate,
    /// Seconds from the start of the job.
    pub seconds: f64,
}

/// Runs the calibration `args`: loads and checks the calibration file, opens (or resumes) its
/// evaluation log, runs the optimiser (every evaluation logged as it finishes) and writes the
/// estimates, fit and manifest. When the optimiser fails, the best point so far is reported
/// through [`Progress::warn`] before the error is returned.
pub fn calibrate(args: &CalibrateJob, progress: &dyn Progress) -> Result<CalibrationReport> {
    let clock = Clock::start();
    let cal = calibrate::load(&args.calibration)?;
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(format!("calibrate-{}", cal.name)));
    check_out_dir(&out)?;
    let workers = Workers::new(thread_count(args.threads)?)?;
    let hash = output::hash_hex(cal.canonical_text().as_bytes());
    let names: Vec<String> = cal.parameters.iter().map(|p| p.name.clone()).collect();
    let mut dir = OutDir::lock(&out)?;
    let stage = calibration_stage(&mut dir, &hash, args.resume)?;
    dir.keep_stage_on_failure();
    let (mut log, done) = EvalLog::open(&stage, &names, &hash, args.resume)?;
    let budget = (cal.restarts as u64 + 1) * (cal.max_iterations * 2 + names.len() as u64 + 1);
    {
        let resumed =
            if done.is_empty() { String::new() } else { format!("; {} logged evaluations reused", done.len()) };
        progress.note(&format!(
            "calibrate {:?}: {} parameters, {} targets, {} replicates per candidate, up to {} iterations x {} start(s){resumed}",
            cal.name,
            names.len(),
            cal.targets.len(),
            cal.replicates,
            cal.max_iterations,
            cal.restarts + 1
        ));
    }
    progress.start(budget, "evaluations (at most)");
    let mut best: Option<(f64, Vec<f64>)> = None;
    let result = calibrate::run(&cal, &workers, &done, &mut |e| {
        log.append(e)?;
        if best.as_ref().is_none_or(|(d, _)| e.distance < *d) {
            best = Some((e.distance, e.values.clone()));
            progress.message(&format!("best {:.4}", e.distance));
        }
        progress.advance(e.index as u64 + 1);
        Ok(())
    });
    progress.finish();
    log.finish()?;
    let est = match result {
        Ok(e) => e,
        Err(e) => {
            if let Some((d, v)) = &best {
                progress.warn(&format!(
                    "interrupted; best so far: distance {d:.5} at {} (log: {}; --resume continues)",
                    cal.overrides(v).join(" "),
                    stage.join(cal_out::LOG_FILE).display()
                ));
            }
            return Err(e);
        }
    };
    let manifest = serde_json::json!({
        "kind": "calibration",
        "engine": "zeromile",
        "engine_version": env!("CARGO_PKG_VERSION"),
        "calibration": cal.name,
        "source": cal.source.display().to_string(),
        "base": cal.base_source,
        "base_hash": output::hash_hex(cal.base.canonical_text().as_bytes()),
        "targets": cal.targets_source,
        "set": cal.set,
        "calibration_hash": hash,
        "replicates": cal.replicates,
        "seed": cal.seed,
        "method": "method of simulated moments: D = sum_i w_i ((median_i - observed_i) / half band width_i)^2 / sum_i w_i, \
                   common random numbers, Nelder-Mead (argmin) on the unit cube of the parameter ranges",
        "distance": est.distance,
        "evaluations": est.evaluations,
        "estimates": cal.parameters.iter().zip(&est.values).map(|(p, v)| (p.name.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        "set_estimates": cal.overrides(&est.values),
        "inside": est.fits.iter().filter(|f| f.inside).count(),
        "wall_time_s": clock.elapsed_s(),
        "command": std::env::args().collect::<Vec<_>>(),
        "files": [cal_out::LOG_FILE, cal_out::ESTIMATES_FILE, cal_out::FIT_FILE],
    });
    cal_out::write_results(&stage, &cal, &est, &manifest)?;
    dir.publish(cal_out::CALIBRATION_MANIFEST)?;
    Ok(CalibrationReport { out, calibration: cal, estimate: est, seconds: clock.elapsed_s() })
}

/// The staging directory of a calibration into `dir`. Without `resume`, a fresh one. With it:
/// the interrupted calibration's stage when there is one; else, when `--out` holds this finished
/// calibration, a stage with its log (every evaluation is then reused); else a fresh one, unless
/// `--out` holds another finished result, which `--resume` refuses to replace.
fn calibration_stage(dir: &mut OutDir, hash: &str, resume: bool) -> Result<PathBuf> {
    if !resume {
        return Ok(dir.fresh_stage()?.to_path_buf());
    }
    if dir.stage().join(cal_out::LOG_STATE_FILE).is_file() {
        return Ok(dir.resume_stage()?.to_path_buf());
    }
    // Stopped after the results were written (while publishing): the staged log is complete,
    // and replaying it costs no simulation.
    let staged = dir.stage().join(cal_out::CALIBRATION_MANIFEST);
    if dir.stage().join(cal_out::LOG_FILE).is_file() && calibration_hash(&staged).as_deref() == Some(hash) {
        let stage = dir.resume_stage()?.to_path_buf();
        mark_resumable(&stage, hash)?;
        return Ok(stage);
    }
    let out = dir.out().to_path_buf();
    let finished = out.join(cal_out::CALIBRATION_MANIFEST);
    let refuse = |what: String| {
        usage(format!(
            "--resume: {} holds {what}; --resume only continues the same calibration: drop --resume to replace it, \
             or choose another --out",
            out.display()
        ))
    };
    if finished.is_file() {
        let old = calibration_hash(&finished);
        if old.as_deref() != Some(hash) {
            return Err(refuse(format!(
                "a finished calibration {} (this one is {hash}: the calibration file, its base or targets changed)",
                old.unwrap_or_else(|| "of unknown hash".into())
            )));
        }
        let stage = dir.fresh_stage()?.to_path_buf();
        let log = out.join(cal_out::LOG_FILE);
        std::fs::copy(&log, stage.join(cal_out::LOG_FILE))
            .map_err(|e| crate::error::Error::io_while("copying ", &log, e))?;
        mark_resumable(&stage, hash)?;
        return Ok(stage);
    }
    if let Some(kind) = output::manifest_kind(&out)? {
        return Err(refuse(format!("a finished {kind}, not a calibration")));
    }
    Ok(dir.fresh_stage()?.to_path_buf())
}

/// The `calibration_hash` a calibration manifest records (`None` if unreadable).
fn calibration_hash(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let v = serde_json::from_str::<serde_json::Value>(&text).ok()?;
    v.get("calibration_hash").and_then(|h| h.as_str()).map(str::to_string)
}

/// Writes the log state of calibration `hash` into `stage`, so `EvalLog::open` resumes the log
/// there (every logged evaluation is then reused).
fn mark_resumable(stage: &Path, hash: &str) -> Result<()> {
    let path = stage.join(cal_out::LOG_STATE_FILE);
    std::fs::write(&path, format!("{hash}\n")).map_err(|e| crate::error::Error::io(&path, e))
}
