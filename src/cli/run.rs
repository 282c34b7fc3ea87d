//! `zeromile run`: arguments, then [`zeromile::app::run`], then the report and the charts.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use zeromile::app::run::{run, RunJob};

use super::{display_files, report_plots, Bar};

#[derive(Args, Debug)]
pub(super) struct RunArgs {
    /// Scenario files; the first is the baseline of `deltas.csv`.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    #[command(flatten)]
    mc: super::MonteCarloFlags,
    /// Output directory.
    #[arg(long, short = 'o', default_value = "out")]
    out: PathBuf,
    /// Override a key in every scenario: `--set path.to.key=value` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Also write every replicate's path to `trajectories.csv`.
    #[arg(long)]
    trajectories: bool,
    /// Also write `groups.csv`: the brand groups by ownership type (local state, central
    /// state, private, foreign JV) x size rank band (top 5, 6-15, rest) per year. Not with
    /// `--shard`.
    #[arg(long)]
    by_group: bool,
    /// Hide the progress (a bar on a terminal, lines every 10 s when piped) and status lines.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts (`plots/`) and `report.html`; `zeromile plot DIR` draws them later.
    #[arg(long)]
    no_plots: bool,
    /// Run only shard K of N (replicates r with r % N == K) and write a shard directory for
    /// `zeromile merge`; `auto/N` takes K from `SLURM_ARRAY_TASK_ID`. See docs/cluster.md.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    shard: Option<String>,
    /// Run scenarios whose horizon (start, end) or resolution (consumers.agents, households
    /// represented) differ from the first's side by side, without comparing them in
    /// `deltas.csv`; without it such a run is refused.
    #[arg(long)]
    allow_unpaired: bool,
}

pub(super) fn run_cmd(args: RunArgs) -> Result<()> {
    let job = RunJob {
        scenarios: args.scenarios,
        set: args.set,
        replicates: args.mc.replicates,
        seed: args.mc.seed,
        threads: args.mc.threads,
        out: args.out,
        trajectories: args.trajectories,
        by_group: args.by_group,
        shard: args.shard,
        plots: !args.no_plots,
        allow_unpaired: args.allow_unpaired,
    };
    let report = run(&job, &Bar::new(args.quiet))?;
    let files = display_files(&job.out, &report.written);
    if let Some((shard, held)) = report.shard {
        if !args.quiet {
            eprintln!(
                "shard {shard}: {held} of {} replicates x {} scenario(s) in {:.1}s -> {files}",
                report.replicates, report.scenarios, report.seconds
            );
        }
        return Ok(());
    }
    if !args.quiet {
        eprintln!(
            "{} replicates x {} scenario(s) in {:.1}s -> {files}",
            report.replicates, report.scenarios, report.seconds
        );
    }
    if let Some(plots) = &report.plots {
        report_plots(&job.out, plots, args.quiet);
    }
    Ok(())
}
