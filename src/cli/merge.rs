//! `zeromile merge`: shard directories → the output directory the unsharded command writes.

use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use zeromile::output::{self, MonteCarloStats, RunShards};

use super::{display_files, prepare_out_dir, render_plots, trajectory_writer, BadInput, Clock, TRAJECTORIES_FILE};

#[derive(Args, Debug)]
pub(super) struct MergeArgs {
    /// Shard directories (from `zeromile run` or `sweep --shard K/N`), in any order; every K of 0..N once.
    #[arg(required = true, value_name = "SHARD_DIR")]
    shards: Vec<PathBuf>,
    /// Output directory of the merged run.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Print nothing on success.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts (`plots/`) and `report.html`; `zeromile plot DIR` draws them later.
    #[arg(long)]
    no_plots: bool,
}

/// Reads the shards' manifest kinds and hands the directories to the merge of that kind.
pub(super) fn merge_cmd(args: MergeArgs) -> Result<()> {
    let clock = Clock::start();
    let out_abs = absolute(&args.out);
    for dir in &args.shards {
        if absolute(dir) == out_abs {
            return Err(BadInput(format!(
                "--out {} is also a shard directory: merge into a directory of its own",
                args.out.display()
            ))
            .into());
        }
    }
    let mut kinds = Vec::new();
    for dir in &args.shards {
        if let Some(kind) = output::manifest_kind(dir)? {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    // Dispatch point: each kind of shard has its own merge. Directories without a manifest
    // (unfinished shards) are reported by that merge, with the missing K values; anything else
    // that is not a run shard is named and explained by `RunShards::read`.
    let sweep = output::KIND_SWEEP_SHARD;
    if kinds.iter().any(|k| k == sweep) {
        if kinds.len() > 1 {
            return Err(BadInput(format!(
                "the directories hold different kinds of output ({}): merge the shards of one run or one sweep",
                kinds.join(", ")
            ))
            .into());
        }
        return merge_sweep_shards(&args, &clock);
    }
    merge_run_shards(&args, &clock)
}

/// Sweep shards (`zeromile sweep --shard K/N`, kind `sweep-shard`): see `sweep::merge_sweep`.
fn merge_sweep_shards(args: &MergeArgs, _clock: &Clock) -> Result<()> {
    super::sweep::merge_sweep(&args.shards, &args.out, args.quiet, args.no_plots)
}

/// Run shards: checks them, then replays every replicate in order into the same writers
/// `zeromile run` uses, so the merged files equal the unsharded run's byte for byte.
fn merge_run_shards(args: &MergeArgs, clock: &Clock) -> Result<()> {
    let shards = RunShards::read(&args.shards)?;
    let series = shards.series()?;
    prepare_out_dir(&args.out)?;
    let mut stats = MonteCarloStats::new(series.clone());
    let mut traj = trajectory_writer(&args.out, &series, shards.trajectories())?;
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
    let written = output::write_outputs(&args.out, &stats, &manifest)
        .with_context(|| format!("writing the merged run to {}", args.out.display()))?;
    if !args.quiet {
        eprintln!(
            "merged {} shards ({} replicates x {} scenario(s)) in {:.1}s -> {}",
            args.shards.len(),
            shards.replicates(),
            series.len(),
            clock.started.elapsed().as_secs_f64(),
            display_files(&args.out, &written)
        );
    }
    render_plots(&args.out, args.no_plots, args.quiet)
}

/// `path` made absolute against the working directory (not resolving links), for comparing.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| std::env::current_dir().map(|d| d.join(path)).unwrap_or_default())
}
