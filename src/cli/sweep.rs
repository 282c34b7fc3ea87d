//! `zeromile sweep` and the sweep half of `zeromile merge`: arguments, the job, the report.

use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};
use zeromile::app::sweep::{merge_sweeps, sweep, SweepJob};

use super::{report_plots, Bar};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML: `[sweep]`, `[[parameters]]`, `[[outcomes]]`; see docs/sweeps.md).
    sweep: PathBuf,
    /// Output directory (default: `out/<sweep name>`).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j', allow_negative_numbers = true, value_parser = super::values::whole_usize::<0>)]
    threads: Option<usize>,
    /// Finish an interrupted sweep in the same directory: keep its finished points, run the rest.
    #[arg(long)]
    resume: bool,
    /// Run only shard K of N (points with index mod N = K); `auto/N` reads K from
    /// `SLURM_ARRAY_TASK_ID`. Combine shard directories with `zeromile merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    shard: Option<String>,
    /// Hide the progress (a bar on a terminal, lines every 10 s when piped) and status lines.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts (`plots/`).
    #[arg(long)]
    no_plots: bool,
}

pub fn sweep_cmd(args: SweepArgs) -> Result<()> {
    let job = SweepJob {
        sweep: args.sweep,
        out: args.out,
        threads: args.threads,
        resume: args.resume,
        shard: args.shard,
        plots: !args.no_plots,
    };
    let report = sweep(&job, &Bar::new(args.quiet))?;
    if !args.quiet {
        if report.complete_before {
            eprintln!("{}: already complete, nothing to resume", report.out.display());
        } else {
            eprintln!("swept in {:.1}s -> {}/{{{}}}", report.seconds, report.out.display(), report.written.join(","));
        }
    }
    if let Some(plots) = &report.plots {
        report_plots(&report.out, plots, args.quiet);
    }
    Ok(())
}

/// `zeromile merge` for sweep shards.
pub fn merge_sweep(dirs: &[PathBuf], out: &Path, quiet: bool, no_plots: bool) -> Result<()> {
    let report = merge_sweeps(dirs, out, !no_plots)?;
    if !quiet {
        eprintln!(
            "merged {} shards in {:.1}s -> {}/{{{}}}",
            report.shards,
            report.seconds,
            out.display(),
            report.written.join(",")
        );
    }
    if let Some(plots) = &report.plots {
        report_plots(out, plots, quiet);
    }
    Ok(())
}
