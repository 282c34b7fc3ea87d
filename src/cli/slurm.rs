//! `zeromile slurm`: arguments, then [`zeromile::app::slurm`]'s script, printed or written.

use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use zeromile::app::slurm::{self, SlurmJob};

#[derive(Args, Debug)]
pub(super) struct SlurmArgs {
    /// Scenario files (a run; the first is the baseline of `deltas.csv`), or one sweep file (a
    /// file with a top-level `[sweep]` table).
    #[arg(required = true, value_name = "SCENARIO_OR_SWEEP")]
    files: Vec<PathBuf>,
    /// Shards N: array tasks 0..N-1, shard K running the replicates (or sweep points) i % N == K.
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole::<1, 1_000_000>)]
    shards: u64,
    /// CPUs per array task (`#SBATCH --cpus-per-task`); each shard uses that many threads.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::values::whole::<1, 4096>)]
    cpus_per_task: u64,
    /// Slurm partition of the array and merge jobs (default: the cluster's default partition).
    #[arg(long)]
    partition: Option<String>,
    /// Time limit of each array task and of the merge job, in any form sbatch accepts
    /// (`MM`, `HH:MM:SS`, `D-HH`...; default: the partition's limit).
    #[arg(long)]
    time: Option<String>,
    /// Write the script to FILE (atomically, made executable) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Directory of the results: `shard-K/` per task, `logs/` and the merged output in `merged/`.
    #[arg(long, value_name = "DIR", default_value = "out")]
    output_dir: PathBuf,
    /// Replicates (per scenario, or per sweep point) of the whole job.
    #[arg(long, short = 'n', allow_negative_numbers = true, value_parser = super::values::whole::<1, { u64::MAX }>)]
    replicates: Option<u64>,
    /// Master seed (default: the first file's `seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole::<0, { u64::MAX }>)]
    seed: Option<u64>,
    /// Override a key in every scenario: `--set path.to.key=value` (repeatable; runs only).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Also write `trajectories.csv` in the merged output (runs only).
    #[arg(long)]
    trajectories: bool,
    /// Job name (default: `zeromile-<first file's stem>`); the merge job gets `-merge` appended.
    #[arg(long)]
    job_name: Option<String>,
    /// Let the shard runs run scenarios of another horizon or resolution than the first side by
    /// side, without deltas (`run --allow-unpaired`).
    #[arg(long)]
    allow_unpaired: bool,
}

pub(super) fn slurm_cmd(args: SlurmArgs) -> Result<()> {
    let job = SlurmJob {
        files: args.files,
        shards: args.shards,
        cpus_per_task: args.cpus_per_task,
        partition: args.partition,
        time: args.time,
        out: args.out,
        output_dir: args.output_dir,
        replicates: args.replicates,
        seed: args.seed,
        set: args.set,
        trajectories: args.trajectories,
        job_name: args.job_name,
        allow_unpaired: args.allow_unpaired,
    };
    let work = slurm::check_inputs(&job)?;
    let exe = std::env::current_exe().context("finding the path of the zeromile binary")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let out_dir = zeromile::app::absolute(&job.output_dir)?;
    let script = slurm::script(&job, &work, &exe, &out_dir)?;
    slurm::create_log_dir(&out_dir)?;
    match &job.out {
        Some(path) if path.as_os_str() != "-" => {
            let path = slurm::write_script(path, &script)?;
            eprintln!("wrote {}; submit it with: sbatch {}", path.display(), path.display());
        }
        _ => std::io::stdout().lock().write_all(script.as_bytes())?,
    }
    Ok(())
}
