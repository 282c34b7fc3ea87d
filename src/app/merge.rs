//! The `merge` job: shard directories → the output directory the unsharded command writes.

use super::outdir::{trajectory_writer, OutDir};
use super::{absolute, publish_drawn, usage, Clock, PlotReport};
use crate::error::Result;
use crate::output::{self, MonteCarloStats, RunShards, TRAJECTORIES_FILE};
use std::path::{Path, PathBuf};

/// What a finished merge of run shards did.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeReport {
    /// Shard directories merged.
    pub shards: usize,
    /// Replicates per scenario of the merged run.
    pub replicates: u64,
    /// Scenarios.
    pub scenarios: usize,
    /// Data files published (the manifest last).
    pub written: Vec<PathBuf>,
    /// The charts and report drawn, when asked for.
    pub plots: Option<PlotReport>,
    /// Seconds from the start of the job.
    pub seconds: f64,
}

/// What kind of shards a set of directories holds, read from their manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardKind {
    /// Shards of `run --shard` (or directories without a manifest: unfinished shards).
    Run,
    /// Shards of `sweep --shard`.
    Sweep,
}

/// Checks that `out` is none of the shard directories and that the shards are of one kind.
pub fn shard_kind(shards: &[PathBuf], out: &Path) -> Result<ShardKind> {
    let out_abs = absolute(out)?;
    for dir in shards {
        if absolute(dir)? == out_abs {
            return Err(usage(format!(
                "--out {} is also a shard directory: merge into a directory of its own",
                out.display()
            )));
        }
    }
    let mut kinds = Vec::new();
    for dir in shards {
        if let Some(kind) = output::manifest_kind(dir)? {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    // Directories without a manifest (unfinished shards) are reported by the merge of the other
    // directories' kind, with the missing K values; anything else that is not a run shard is
    // named and explained by `RunShards::read`.
    if kinds.iter().any(|k| k == output::KIND_SWEEP_SHARD) {
        if kinds.len() > 1 {
            return Err(usage(format!(
                "the directories hold different kinds of output ({}): merge the shards of one run or one sweep",
                kinds.join(", ")
            )));
        }
        return Ok(ShardKind::Sweep);
    }
    Ok(ShardKind::Run)
}

/// Merges run shards: checks them (before `out` is touched), then replays every replicate in
/// order into the same writers `run` uses, so the merged files equal the unsharded run's byte
/// for byte, and publishes them with the charts when `plots` (see [`OutDir`]).
pub fn merge_runs(shard_dirs: &[PathBuf], out: &Path, plots: bool) -> Result<MergeReport> {
    let clock = Clock::start();
    let shards = RunShards::read(shard_dirs)?;
    let series = shards.series()?;
    let mut dir = OutDir::lock(out)?;
    let stage = dir.fresh_stage()?.to_path_buf();
    let mut stats = MonteCarloStats::new(series.clone());
    let mut traj = trajectory_writer(&stage, &series, shards.trajectories())?;
    shards.replay(&series, |r, trajs| {
        stats.add_replicate(trajs);
        if let Some(w) = traj.as_mut() {
            w.write_replicate(r, trajs)?;
        }
        Ok(())
    })?;
    let mut files = Vec::new();
    if let Some(w) = traj.take() {
        w.finish()?.commit()?;
        files.push(TRAJECTORIES_FILE.to_string());
    }
    let manifest = output::Manifest { files, ..shards.run_manifest(clock.provenance(0)) };
    output::write_outputs(&stage, &stats, &manifest)
        .map_err(|e| e.context(format!("writing the merged run to {}", out.display())))?;
    let (written, plots) = publish_drawn(dir, output::MANIFEST_FILE, plots)?;
    Ok(MergeReport {
        shards: shard_dirs.len(),
        replicates: shards.replicates(),
        scenarios: series.len(),
        written,
        plots,
        seconds: clock.elapsed_s(),
    })
}
