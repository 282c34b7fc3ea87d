//! The `slurm` job: checks the input files, builds an sbatch job-array script for a sharded run
//! or sweep (whose lowest array task also submits the dependent merge job), creates the log
//! folder Slurm opens before a task runs, and writes the script atomically, made executable.

use super::outdir::create_out_dir;
use super::{absolute, usage};
use crate::error::{Error, Result};
use crate::output::AtomicFile;
use crate::scenario;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to submit: the files and the options of the sbatch job array.
#[derive(Debug, Clone, Default)]
pub struct SlurmJob {
    /// Scenario files (a run; the first is the baseline of `deltas.csv`), or one sweep file (a
    /// file with a top-level `[sweep]` table).
    pub files: Vec<PathBuf>,
    /// Shards N: array tasks 0..N-1, shard K running the replicates (or sweep points) i % N == K.
    pub shards: u64,
    /// CPUs per array task (`#SBATCH --cpus-per-task`); each shard uses that many threads.
    pub cpus_per_task: u64,
    /// Slurm partition of the array and merge jobs (default: the cluster's default partition).
    pub partition: Option<String>,
    /// Time limit of each array task and of the merge job, in any form sbatch accepts
    /// (`MM`, `HH:MM:SS`, `D-HH`...; default: the partition's limit).
    pub time: Option<String>,
    /// Write the script to FILE (atomically, made executable) instead of stdout.
    pub out: Option<PathBuf>,
    /// Directory of the results: `shard-K/` per task, `logs/` and the merged output in `merged/`.
    pub output_dir: PathBuf,
    /// Replicates (per scenario, or per sweep point) of the whole job.
    pub replicates: Option<u64>,
    /// Master seed (default: the first file's `seed`).
    pub seed: Option<u64>,
    /// Override a key in every scenario: `--set path.to.key=value` (repeatable; runs only).
    pub set: Vec<String>,
    /// Also write `trajectories.csv` in the merged output (runs only).
    pub trajectories: bool,
    /// Job name (default: `zeromile-<first file's stem>`); the merge job gets `-merge` appended.
    pub job_name: Option<String>,
    /// Pass `--allow-unpaired` to the shard runs (scenarios of another horizon or resolution
    /// than the first run side by side, without deltas); without it they are refused here.
    pub allow_unpaired: bool,
}

/// What the array tasks run.
pub enum Work {
    /// `zeromile run` of these scenario files.
    Run(Vec<PathBuf>),
    /// `zeromile sweep` of this sweep file.
    Sweep(PathBuf),
}

/// Checks the files before any script is written: a sweep file alone, or valid scenarios.
pub fn check_inputs(args: &SlurmJob) -> Result<Work> {
    let mut sweeps = Vec::new();
    for path in &args.files {
        crate::scenario::input::read_text(path)?;
        // A sweep file has a top-level `[sweep]` table; anything else is checked as a scenario.
        if super::sweep::is_sweep_file(path) {
            sweeps.push(path.clone());
        }
    }
    if let Some(sweep) = sweeps.first() {
        if args.files.len() > 1 {
            return Err(usage(format!(
                "{} is a sweep file ([sweep] table): give it alone, not with other files",
                sweep.display()
            )));
        }
        if !args.set.is_empty() || args.trajectories || args.replicates.is_some() || args.seed.is_some() {
            return Err(usage(
                "--set, --trajectories, --replicates and --seed apply to scenario runs; a sweep file sets its \
                 own replicates, seed and overrides (`[sweep]` replicates, seed, set)",
            ));
        }
        crate::sweep::spec::load(sweep)?;
        return Ok(Work::Sweep(absolute(sweep)?));
    }
    let mut scenarios: Vec<scenario::Scenario> = Vec::new();
    for path in &args.files {
        let s = scenario::load(path, &args.set)?;
        if scenarios.iter().any(|o| o.name == s.name) {
            return Err(usage(format!("two scenarios are named {:?}: give each a distinct `name`", s.name)));
        }
        scenarios.push(s);
    }
    scenario::check_paired(&scenarios, args.allow_unpaired)?;
    if args.replicates == Some(0) {
        return Err(usage("--replicates must be at least 1"));
    }
    crate::scenario::limits::check_replicates_flag(args.replicates)?;
    let files = args.files.iter().map(|p| absolute(p)).collect::<Result<_>>()?;
    Ok(Work::Run(files))
}

/// The job's name: `--job-name`, else `zeromile-<first file's stem>`; without spaces or quotes.
fn job_name(args: &SlurmJob, work: &Work) -> Result<String> {
    let first = match work {
        Work::Run(files) => files.first(),
        Work::Sweep(file) => Some(file),
    };
    let stem = first.and_then(|f| f.file_stem()).map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    let name = args.job_name.clone().unwrap_or_else(|| format!("zeromile-{stem}"));
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        return Err(usage(format!("--job-name {name:?}: use a name without spaces or quotes")));
    }
    Ok(name)
}

/// The sbatch script.
pub fn script(args: &SlurmJob, work: &Work, exe: &Path, out_dir: &Path) -> Result<String> {
    let n = args.shards;
    let name = job_name(args, work)?;
    let mut shard_cmd: Vec<String> = vec!["\"$ZEROMILE\"".into()];
    let what = match work {
        Work::Run(files) => {
            shard_cmd.push("run".into());
            shard_cmd.extend(files.iter().map(|f| quote(&f.to_string_lossy())));
            format!("zeromile run of {}", files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" "))
        }
        Work::Sweep(file) => {
            shard_cmd.push("sweep".into());
            shard_cmd.push(quote(&file.to_string_lossy()));
            format!("zeromile sweep of {}", file.display())
        }
    };
    if let Some(r) = args.replicates {
        shard_cmd.push(format!("--replicates {r}"));
    }
    if let Some(s) = args.seed {
        shard_cmd.push(format!("--seed {s}"));
    }
    for kv in &args.set {
        shard_cmd.push(format!("--set {}", quote(kv)));
    }
    if args.trajectories {
        shard_cmd.push("--trajectories".into());
    }
    if args.allow_unpaired && matches!(work, Work::Run(_)) {
        shard_cmd.push("--allow-unpaired".into());
    }
    shard_cmd.push("--shard \"$SLURM_ARRAY_TASK_ID/$N\"".into());
    shard_cmd.push("--out \"$OUT/shard-$SLURM_ARRAY_TASK_ID\"".into());
    shard_cmd.push("--quiet".into());

    let mut directives = vec![
        format!("--job-name={name}"),
        format!("--array=0-{}", n - 1),
        format!("--cpus-per-task={}", args.cpus_per_task),
        format!("--output={}", sbatch_path(&out_dir.join("logs").join("%x-%A_%a.out"))?),
    ];
    let mut merge_opts = vec![format!("--job-name={name}-merge"), "--cpus-per-task=1".to_string()];
    if let Some(p) = &args.partition {
        check_word("--partition", p)?;
        directives.push(format!("--partition={p}"));
        merge_opts.push(format!("--partition={p}"));
    }
    if let Some(t) = &args.time {
        check_word("--time", t)?;
        directives.push(format!("--time={t}"));
        merge_opts.push(format!("--time={t}"));
    }
    let invocation: Vec<String> = std::env::args().map(|a| quote(&a)).collect();

    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    for d in &directives {
        s.push_str(&format!("#SBATCH {d}\n"));
    }
    s.push_str(&format!(
        r#"#
# Slurm job array: {what}, split into {n} shards
# (shard K runs the replicates or sweep points i with i % {n} == K), then one merge job.
# Generated by zeromile {version}: {invocation}
#
#   sbatch THIS_FILE                   run every shard; the lowest task also submits the merge
#   sbatch --array=2,5 THIS_FILE       rerun only shards 2 and 5 (the merge is submitted again)
#   ZEROMILE=/path/to/zeromile sbatch THIS_FILE     use another binary
#
# Results: {out}/merged/ (what the unsharded command writes), shards in {out}/shard-K/,
# logs in {out}/logs/. `zeromile merge {out}/shard-* --out DIR` merges by hand; it names any
# missing shard. See docs/cluster.md.
set -euo pipefail

ZEROMILE=${{ZEROMILE:-{exe}}}
N={n}  # the shard count is fixed here, never $SLURM_ARRAY_TASK_COUNT: a rerun of some shards keeps the split
OUT={out_q}

if [ -z "${{SLURM_ARRAY_TASK_ID:-}}" ]; then
    echo "submit this script with sbatch (it is a job array of $N tasks): sbatch $0" >&2
    exit 2
fi

# POSIX single quotes, for the merge job's command line.
q() {{ printf "'%s'" "${{1//\'/\'\\\'\'}}"; }}

if [ "$SLURM_ARRAY_TASK_ID" = "${{SLURM_ARRAY_TASK_MIN:-0}}" ]; then
    # The merge starts once every task of this array has succeeded; if one fails it is cancelled
    # (--kill-on-invalid-dep) instead of waiting forever: rerun the failed shards as above.
    merge_cmd="$(q "$ZEROMILE") merge $(q "$OUT")/shard-* --out $(q "$OUT/merged") --quiet"
    if merge_id=$(sbatch --parsable {merge_opts} \
        --dependency=afterok:"$SLURM_ARRAY_JOB_ID" --kill-on-invalid-dep=yes \
        --output="$OUT/logs/%x-%j.out" --wrap "$merge_cmd"); then
        echo "${{merge_id%%;*}}" > "$OUT/logs/merge-job-id"
        echo "submitted merge job ${{merge_id%%;*}} after array job $SLURM_ARRAY_JOB_ID"
    else
        echo "warning: could not submit the merge job; when all shards are done run: $merge_cmd" >&2
    fi
fi

# One shard; rayon uses SLURM_CPUS_PER_TASK threads.
exec {shard_cmd}
"#,
        version = env!("CARGO_PKG_VERSION"),
        invocation = invocation.join(" "),
        out = out_dir.display(),
        exe = quote(&exe.to_string_lossy()),
        out_q = quote(&out_dir.to_string_lossy()),
        merge_opts = merge_opts.join(" "),
        shard_cmd = shard_cmd.join(" "),
    ));
    Ok(s)
}

/// `s` as one shell word: unchanged when it has only safe characters, else single-quoted.
fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A path for an `#SBATCH` line, which sbatch does not unquote: it must have no spaces or quotes.
fn sbatch_path(p: &Path) -> Result<String> {
    let s = p.to_string_lossy().into_owned();
    check_word("--output-dir", &s)?;
    Ok(s)
}

/// Refuses option values that would break an `#SBATCH` line or the shell script.
fn check_word(flag: &str, v: &str) -> Result<()> {
    if v.is_empty() || v.contains(|c: char| c.is_whitespace() || "'\"\\$`;&|<>#".contains(c)) {
        return Err(usage(format!("{flag} {v:?}: expected a value without spaces, quotes or shell characters")));
    }
    Ok(())
}

/// Creates `out_dir/logs`: Slurm opens the per-task log files before the script runs, so their
/// directory must exist.
pub fn create_log_dir(out_dir: &Path) -> Result<PathBuf> {
    let logs = out_dir.join("logs");
    create_out_dir(&logs)?;
    Ok(logs)
}

/// Writes `script` to `path` atomically and makes it executable; returns the path written.
pub fn write_script(path: &Path, script: &str) -> Result<PathBuf> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(script.as_bytes()).map_err(|e| Error::io_while("writing ", path, e))?;
    let path = file.commit()?;
    make_executable(&path)?;
    Ok(path)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io_while("making executable ", path, e))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}
