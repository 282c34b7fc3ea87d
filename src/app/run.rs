//! The `run` job: Monte Carlo replicates of one or more scenarios into a run directory (or, with
//! a shard, a shard directory for `merge`).

use super::outdir::{trajectory_writer, OutDir};
use super::{parse_shard, publish_drawn, thread_count, usage, Clock, PlotReport, Progress};
use crate::engine::{self, MonteCarlo, Shard, Sink};
use crate::error::Result;
use crate::model::metrics::Trajectory;
use crate::output::{
    self, AtomicFile, GroupStats, Manifest, MonteCarloStats, ScenarioSeries, ShardInfo, ShardWriter, TrajectoryWriter,
    GROUPS_FILE, TRAJECTORIES_FILE,
};
use crate::scenario::{self, Scenario};
use std::path::PathBuf;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct RunJob {
    /// Scenario files; the first is the baseline of `deltas.csv`.
    pub scenarios: Vec<PathBuf>,
    /// `key=value` overrides applied to every scenario.
    pub set: Vec<String>,
    /// Replicates per scenario (default: the first scenario's `replicates`).
    pub replicates: Option<u64>,
    /// Master seed (default: the first scenario's `seed`).
    pub seed: Option<u64>,
    /// Worker threads (see [`thread_count`]).
    pub threads: Option<usize>,
    /// Output directory.
    pub out: PathBuf,
    /// Also write every replicate's path to `trajectories.csv`.
    pub trajectories: bool,
    /// Also write `groups.csv`, the brand groups by ownership type × size band (not with a
    /// shard: a shard keeps only the metric rows).
    pub by_group: bool,
    /// Run only this shard (`K/N` or `auto/N`) into a shard directory.
    pub shard: Option<String>,
    /// Draw the charts and `report.html` (not for a shard).
    pub plots: bool,
    /// Run scenarios whose horizon or resolution differ from the first's side by side, left out
    /// of `deltas.csv`, instead of refusing them (see [`scenario::check_paired`]).
    pub allow_unpaired: bool,
}

/// What a finished `run` did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Replicates per scenario of the whole run.
    pub replicates: u64,
    /// Scenarios run.
    pub scenarios: usize,
    /// The shard run, with the replicates it held; `None` for a whole run.
    pub shard: Option<(Shard, u64)>,
    /// Data files published (the manifest last).
    pub written: Vec<PathBuf>,
    /// The charts and report drawn, when asked for.
    pub plots: Option<PlotReport>,
    /// Seconds from the start of the job.
    pub seconds: f64,
}

/// Where each replicate goes: statistics and trajectories of a whole run, or a shard's raw file.
struct Collect<'a> {
    stats: Option<MonteCarloStats>,
    groups: Option<GroupStats>,
    traj: Option<TrajectoryWriter<AtomicFile>>,
    shard: Option<ShardWriter>,
    progress: &'a dyn Progress,
}

impl Sink for Collect<'_> {
    fn replicate(&mut self, replicate: u64, trajectories: &[Trajectory]) -> Result<()> {
        if let Some(s) = self.stats.as_mut() {
            s.add_replicate(trajectories);
        }
        if let Some(g) = self.groups.as_mut() {
            g.add_replicate(trajectories);
        }
        if let Some(w) = self.traj.as_mut() {
            w.write_replicate(replicate, trajectories)?;
        }
        if let Some(w) = self.shard.as_mut() {
            w.write_replicate(replicate, trajectories)?;
        }
        Ok(())
    }

    fn progress(&mut self, done: u64) {
        self.progress.advance(done);
    }
}

/// Loads every scenario of `job` and refuses two with one name.
fn load_scenarios(job: &RunJob) -> Result<Vec<Scenario>> {
    let scenarios: Vec<Scenario> = job.scenarios.iter().map(|p| scenario::load(p, &job.set)).collect::<Result<_>>()?;
    let mut names: Vec<&str> = Vec::new();
    for s in &scenarios {
        if names.contains(&s.name.as_str()) {
            return Err(usage(format!("two scenarios are named {:?}: give each a distinct `name`", s.name)));
        }
        names.push(&s.name);
    }
    Ok(scenarios)
}

/// Runs `job`: validates every scenario and the request, locks the output directory, runs the
/// replicates into its staging directory, writes the statistics (or the shard's replicates) and
/// manifest, draws the charts when asked, and publishes it all, the manifest last (see
/// [`OutDir`]). A failure leaves the previous contents of `--out` as they were.
pub fn run(job: &RunJob, progress: &dyn Progress) -> Result<RunReport> {
    let clock = Clock::start();
    let scenarios = load_scenarios(job)?;
    scenario::check_paired(&scenarios, job.allow_unpaired)?.iter().for_each(|line| progress.warn(line));
    let Some(first) = scenarios.first() else {
        return Err(usage("no scenario to run"));
    };
    let replicates = job.replicates.unwrap_or(first.replicates);
    if replicates == 0 {
        return Err(usage("--replicates must be at least 1"));
    }
    let master_seed = job.seed.unwrap_or(first.seed);
    crate::scenario::limits::check_replicates_flag(job.replicates)?;
    let threads = thread_count(job.threads)?;
    let shard = job.shard.as_deref().map(parse_shard).transpose()?;
    if job.by_group && shard.is_some() {
        return Err(usage(
            "--by-group cannot be combined with --shard: a shard keeps only the metric rows, so `merge` \
             could not write groups.csv; run without --shard for groups.csv (docs/cluster.md)",
        ));
    }
    let mut out = OutDir::lock(&job.out)?;
    let stage = out.fresh_stage()?.to_path_buf();

    let series: Vec<ScenarioSeries> = scenarios.iter().map(ScenarioSeries::of).collect();
    progress.start(shard.unwrap_or_default().count(replicates), "replicates");
    let mut sink = match shard {
        // A shard keeps every value of its replicates, lossless; `merge` computes the statistics.
        Some(shard) => Collect {
            stats: None,
            groups: None,
            traj: None,
            shard: Some(ShardWriter::create(&stage, &series, shard, replicates)?),
            progress,
        },
        None => Collect {
            stats: Some(MonteCarloStats::new(series.clone())),
            groups: job.by_group.then(|| GroupStats::new(&series)),
            traj: trajectory_writer(&stage, &series, job.trajectories)?,
            shard: None,
            progress,
        },
    };
    let mc = MonteCarlo {
        scenarios: &scenarios,
        master_seed,
        replicates,
        threads,
        shard: shard.unwrap_or_default(),
        by_group: job.by_group,
    };
    engine::run_monte_carlo(&mc, &mut sink)?;
    progress.finish();

    let used_threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let sources: Vec<String> = job.scenarios.iter().map(|p| p.display().to_string()).collect();
    let mut manifest = Manifest::for_run(&scenarios, &sources, &job.set, master_seed, replicates);
    let Collect { stats, groups, traj, shard: writer, .. } = sink;
    match (shard, writer, stats) {
        (Some(shard), Some(writer), _) => {
            manifest.checksums.insert(output::REPLICATES_FILE.into(), writer.finish()?);
            manifest.kind = output::KIND_RUN_SHARD.into();
            manifest.shard = Some(ShardInfo { k: shard.k(), n: shard.n(), trajectories: job.trajectories });
            manifest.files.push(output::REPLICATES_FILE.into());
            manifest.files.extend((0..scenarios.len()).map(output::scenario_file));
            manifest.provenance = clock.provenance(used_threads);
            let texts: Vec<String> = scenarios.iter().map(Scenario::canonical_text).collect();
            output::write_shard_outputs(&stage, &texts, &manifest)?;
        }
        (_, _, Some(stats)) => {
            if let Some(w) = traj {
                w.finish()?.commit()?;
                manifest.files.push(TRAJECTORIES_FILE.to_string());
            }
            if let Some(g) = &groups {
                output::write_groups(&stage, g)?;
                manifest.files.push(GROUPS_FILE.to_string());
            }
            manifest.provenance = clock.provenance(used_threads);
            output::write_outputs(&stage, &stats, &manifest)?;
        }
        _ => unreachable!("a run collects either statistics or a shard's replicates"),
    };
    let (written, plots) = publish_drawn(out, output::MANIFEST_FILE, job.plots && shard.is_none())?;
    Ok(RunReport {
        replicates,
        scenarios: scenarios.len(),
        shard: shard.map(|s| (s, s.count(replicates))),
        written,
        plots,
        seconds: clock.elapsed_s(),
    })
}
