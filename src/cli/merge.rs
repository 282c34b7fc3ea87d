//! `zeromile merge`: shard directories → the output directory the unsharded command writes.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use zeromile::app::merge::{merge_runs, shard_kind, ShardKind};

use super::{display_files, report_plots};

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

/// Merges the shards of one run or one sweep.
pub(super) fn merge_cmd(args: MergeArgs) -> Result<()> {
    if shard_kind(&args.shards, &args.out)? == ShardKind::Sweep {
        return super::sweep::merge_sweep(&args.shards, &args.out, args.quiet, args.no_plots);
    }
    let report = merge_runs(&args.shards, &args.out, !args.no_plots)?;
    if !args.quiet {
        eprintln!(
            "merged {} shards ({} replicates x {} scenario(s)) in {:.1}s -> {}",
            report.shards,
            report.replicates,
            report.scenarios,
            report.seconds,
            display_files(&args.out, &report.written)
        );
    }
    if let Some(plots) = &report.plots {
        report_plots(&args.out, plots, args.quiet);
    }
    Ok(())
}
