//! Command-line interface (binary only): `run`, `sweep`, `merge`, `slurm`, `plot`, `validate`, `describe`,
//! `bench`, `check-facts`, `calibrate`.

mod facts;
mod sweep;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use zeromile::engine::{self, MonteCarlo, Shard, Sink};
use zeromile::model::metrics::Trajectory;
use zeromile::output::{
    self, AtomicFile, Manifest, ManifestScenario, MonteCarloStats, Provenance, ScenarioSeries, ShardInfo, ShardWriter,
    TrajectoryWriter,
};
use zeromile::scenario::{self, Scenario};

mod merge;
mod slurm;

/// A usage error detected by the binary (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// zeromile: agent-based simulation of China's car price war and zero-mileage exports.
#[derive(Parser, Debug)]
#[command(name = "zeromile", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run Monte Carlo replicates of one or more scenarios and write summary files, charts and a report.
    Run(RunArgs),
    /// Run a parameter sweep (grid, random, Latin hypercube, Saltelli or Morris design) and its sensitivity analysis.
    Sweep(sweep::SweepArgs),
    /// Re-draw the charts (`plots/`) and `report.html` of an existing output directory.
    Plot {
        /// Output directory of an earlier `zeromile run` (or `zeromile sweep`).
        out_dir: PathBuf,
        /// Print nothing on success.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Draw only these charts (comma-separated names; default: all); others keep their files.
        #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
        charts: Vec<String>,
        /// Image files to write.
        #[arg(long, default_value = "both", value_parser = ["png", "svg", "both"])]
        format: String,
        /// Leave out the vertical policy-event markers.
        #[arg(long)]
        no_events: bool,
        /// Chart width in pixels.
        #[arg(long, default_value_t = zeromile::plot::WIDTH)]
        width: u32,
        /// Chart height in pixels.
        #[arg(long, default_value_t = zeromile::plot::HEIGHT)]
        height: u32,
        /// Do not (re)write the HTML report.
        #[arg(long)]
        no_report: bool,
    },
    /// Check scenario or sweep files (and overrides) without running them.
    Validate {
        /// Scenario files, or sweep files (a top-level `[sweep]` table).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Override a key: `--set path.to.key=value` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// List every scenario key with type, unit, default, range, meaning and source.
    Describe {
        /// Print a Markdown table instead of plain text.
        #[arg(long)]
        markdown: bool,
    },
    /// Measure ns per consumer-month (full model and roofline kernel), replicates per second and peak memory.
    Bench(BenchArgs),
    /// Merge the shard directories of `run` or `sweep --shard K/N` into the output the unsharded command writes.
    Merge(merge::MergeArgs),
    /// Print an sbatch script that runs a scenario (or sweep) as a Slurm job array plus a merge job.
    Slurm(slurm::SlurmArgs),
    /// Compare a scenario's run (or a run directory) with observed targets: table, facts.csv, report.
    CheckFacts(facts::CheckFactsArgs),
    /// Estimate scenario parameters from observed targets by the method of simulated moments.
    Calibrate(facts::CalibrateArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Scenario files; the first is the baseline of `deltas.csv`.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Replicates per scenario (default: the first scenario's `replicates`).
    #[arg(long, short = 'n')]
    replicates: Option<u64>,
    /// Master seed (default: the first scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Output directory.
    #[arg(long, short = 'o', default_value = "out")]
    out: PathBuf,
    /// Override a key in every scenario: `--set path.to.key=value` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Also write every replicate's path to `trajectories.csv`.
    #[arg(long)]
    trajectories: bool,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts (`plots/`) and `report.html`; `zeromile plot DIR` draws them later.
    #[arg(long)]
    no_plots: bool,
    /// Run only shard K of N (replicates r with r % N == K) and write a shard directory for
    /// `zeromile merge`; `auto/N` takes K from `SLURM_ARRAY_TASK_ID`. See docs/cluster.md.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
}

/// Parses the command line and runs the subcommand.
pub fn run() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = e.exit_code();
            e.print().ok();
            if code == 0 {
                std::process::exit(0);
            }
            std::process::exit(2);
        }
    };
    match cli.command {
        Command::Run(args) => run_cmd(args),
        Command::Sweep(args) => sweep::sweep_cmd(args),
        Command::Plot { out_dir, quiet, charts, format, no_events, width, height, no_report } => {
            let started = Instant::now();
            let options = zeromile::plot::PlotOptions {
                charts,
                format: format.parse()?,
                events: !no_events,
                width,
                height,
                report: !no_report,
            };
            let written = zeromile::plot::render_with(&out_dir, &options)?;
            if !quiet {
                let names: Vec<String> =
                    written.iter().map(|f| f.strip_prefix(&out_dir).unwrap_or(f).display().to_string()).collect();
                let secs = started.elapsed().as_secs_f64();
                eprintln!("plotted in {secs:.2}s -> {}/{{{}}}", out_dir.display(), names.join(","));
            }
            Ok(())
        }
        Command::Validate { scenarios, set } => {
            for path in &scenarios {
                if sweep::is_sweep_file(path) {
                    if !set.is_empty() {
                        return Err(BadInput(format!(
                            "{}: --set applies to scenarios; a sweep file sets its overrides in `sweep.set`",
                            path.display()
                        ))
                        .into());
                    }
                    let s = zeromile::sweep::spec::load(path)?;
                    println!(
                        "{}: ok (sweep: {} design, {} points x {} replicates, {} parameters, {} outcomes)",
                        path.display(),
                        s.design.name(),
                        s.points(),
                        s.replicates,
                        s.parameters.len(),
                        s.outcomes.len()
                    );
                    continue;
                }
                let s = scenario::load(path, &set)?;
                println!("{}: ok ({} months, {} events)", path.display(), s.months(), s.events.len());
            }
            Ok(())
        }
        Command::Describe { markdown } => {
            let mut out = std::io::stdout().lock();
            out.write_all(describe_text(markdown).as_bytes())?;
            Ok(())
        }
        Command::Bench(args) => bench_cmd(args),
        Command::Merge(args) => merge::merge_cmd(args),
        Command::Slurm(args) => slurm::slurm_cmd(args),
        Command::CheckFacts(args) => facts::check_facts_cmd(args),
        Command::Calibrate(args) => facts::calibrate_cmd(args),
    }
}

/// The `describe` listing (plain text or Markdown).
fn describe_text(markdown: bool) -> String {
    let mut s = String::new();
    if markdown {
        s.push_str("| key | type | unit | default | range | meaning | source |\n|---|---|---|---|---|---|---|\n");
        for k in scenario::describe() {
            s.push_str(&format!(
                "| `{}` | {} | {} | `{}` | {} | {} | {} |\n",
                k.path,
                k.ty,
                k.unit,
                k.default,
                k.range.replace('|', "\\|"),
                k.meaning.replace('|', "\\|"),
                k.source
            ));
        }
    } else {
        for k in scenario::describe() {
            s.push_str(&format!(
                "{}\n    {} [{}] default {}; range {}\n    {} (source: {})\n",
                k.path, k.ty, k.unit, k.default, k.range, k.meaning, k.source
            ));
        }
    }
    s
}

/// Where each replicate goes: statistics and trajectories of a whole run, or a shard's raw file.
struct Collect<'a> {
    stats: Option<MonteCarloStats>,
    traj: Option<TrajectoryWriter<AtomicFile>>,
    shard: Option<ShardWriter>,
    bar: &'a ProgressBar,
}

impl Sink for Collect<'_> {
    fn replicate(&mut self, replicate: u64, trajectories: &[Trajectory]) -> zeromile::Result<()> {
        if let Some(s) = self.stats.as_mut() {
            s.add_replicate(trajectories);
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
        self.bar.set_position(done);
    }
}

fn thread_count(requested: Option<usize>) -> usize {
    requested.or_else(|| std::env::var("SLURM_CPUS_PER_TASK").ok().and_then(|v| v.parse().ok())).unwrap_or(0)
}

/// When and how a command started: the source of its manifest's `provenance`.
struct Clock {
    started: Instant,
    started_unix_s: u64,
}

impl Clock {
    fn start() -> Clock {
        let started_unix_s =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Clock { started: Instant::now(), started_unix_s }
    }

    fn provenance(&self, threads: usize) -> Provenance {
        Provenance {
            threads,
            wall_time_s: self.started.elapsed().as_secs_f64(),
            started_unix_s: self.started_unix_s,
            command: std::env::args().collect(),
            shards: Vec::new(),
        }
    }
}

/// `--shard` of `run`: `K/N`, or `auto/N` with K from `SLURM_ARRAY_TASK_ID`.
fn parse_shard(spec: &str) -> zeromile::Result<Shard> {
    let id = std::env::var("SLURM_ARRAY_TASK_ID").ok();
    Shard::parse_with(spec, id.as_deref())
}

/// Creates `dir` for a rewrite: refuses a non-directory, removes a stale `manifest.json` (a
/// directory being rewritten must never look complete) and stale charts.
fn prepare_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(BadInput(format!("--out {} exists and is not a directory", dir.display())).into());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let manifest_path = dir.join(output::MANIFEST_FILE);
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).with_context(|| format!("removing {}", manifest_path.display()))?;
    }
    // Charts of an earlier run in this directory would describe other data.
    zeromile::plot::remove_stale(dir)?;
    Ok(())
}

/// Starts `trajectories.csv` in `dir` when asked for, else removes a stale one.
fn trajectory_writer(
    dir: &Path,
    series: &[ScenarioSeries],
    wanted: bool,
) -> Result<Option<TrajectoryWriter<AtomicFile>>> {
    let path = dir.join(TRAJECTORIES_FILE);
    if wanted {
        return Ok(Some(TrajectoryWriter::new(AtomicFile::create(&path)?, series)?.with_label(path)));
    }
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(None)
}

/// Raw trajectories of `--trajectories`.
const TRAJECTORIES_FILE: &str = "trajectories.csv";

fn run_cmd(args: RunArgs) -> Result<()> {
    let clock = Clock::start();
    let scenarios: Vec<Scenario> =
        args.scenarios.iter().map(|p| scenario::load(p, &args.set)).collect::<zeromile::Result<_>>()?;
    let mut names: Vec<&str> = Vec::new();
    for s in &scenarios {
        if names.contains(&s.name.as_str()) {
            return Err(BadInput(format!("two scenarios are named {:?}: give each a distinct `name`", s.name)).into());
        }
        names.push(&s.name);
    }
    let first = &scenarios[0];
    let replicates = args.replicates.unwrap_or(first.replicates);
    if replicates == 0 {
        return Err(BadInput("--replicates must be at least 1".into()).into());
    }
    let master_seed = args.seed.unwrap_or(first.seed);
    let threads = thread_count(args.threads);
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    prepare_out_dir(&args.out)?;

    let series: Vec<ScenarioSeries> = scenarios.iter().map(ScenarioSeries::of).collect();
    let bar = progress_bar(shard.unwrap_or_default().count(replicates), args.quiet);
    let mut sink = match shard {
        // A shard keeps every value of its replicates, lossless; `merge` computes the statistics.
        Some(shard) => Collect {
            stats: None,
            traj: None,
            shard: Some(ShardWriter::create(&args.out, &series, shard, replicates)?),
            bar: &bar,
        },
        None => Collect {
            stats: Some(MonteCarloStats::new(series.clone())),
            traj: trajectory_writer(&args.out, &series, args.trajectories)?,
            shard: None,
            bar: &bar,
        },
    };
    let mc = MonteCarlo { scenarios: &scenarios, master_seed, replicates, threads, shard: shard.unwrap_or_default() };
    engine::run_monte_carlo(&mc, &mut sink)?;
    bar.finish_and_clear();

    let used_threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let mut manifest = Manifest {
        kind: output::KIND_RUN.into(),
        engine: "zeromile".into(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        master_seed,
        replicates,
        seed_derivation: engine::seed::DERIVATION.into(),
        scenarios: scenarios
            .iter()
            .zip(&args.scenarios)
            .map(|(s, p)| {
                let text = s.canonical_text();
                ManifestScenario {
                    name: s.name.clone(),
                    source: p.display().to_string(),
                    hash: output::hash_hex(text.as_bytes()),
                    overrides: args.set.clone(),
                    resolved: toml_to_json(&toml::Value::Table(s.to_toml())),
                }
            })
            .collect(),
        files: Vec::new(),
        shard: None,
        provenance: Provenance::default(),
    };

    if let (Some(shard), Some(writer)) = (shard, sink.shard.take()) {
        writer.finish()?;
        manifest.kind = output::KIND_RUN_SHARD.into();
        manifest.shard = Some(ShardInfo { k: shard.k(), n: shard.n(), trajectories: args.trajectories });
        manifest.files.push(output::REPLICATES_FILE.into());
        manifest.files.extend((0..scenarios.len()).map(output::scenario_file));
        manifest.provenance = clock.provenance(used_threads);
        let texts: Vec<String> = scenarios.iter().map(Scenario::canonical_text).collect();
        let mut written = vec![args.out.join(output::REPLICATES_FILE)];
        written.extend(output::write_shard_outputs(&args.out, &texts, &manifest)?);
        if !args.quiet {
            eprintln!(
                "shard {shard}: {} of {replicates} replicates x {} scenario(s) in {:.1}s -> {}",
                shard.count(replicates),
                scenarios.len(),
                clock.started.elapsed().as_secs_f64(),
                display_files(&args.out, &written)
            );
        }
        return Ok(());
    }

    if let Some(w) = sink.traj.take() {
        w.finish()?.commit()?;
        manifest.files.push(TRAJECTORIES_FILE.to_string());
    }
    let Some(stats) = sink.stats.take() else {
        anyhow::bail!("internal error: an unsharded run lost its statistics");
    };
    manifest.provenance = clock.provenance(used_threads);
    let written = output::write_outputs(&args.out, &stats, &manifest)?;
    if !args.quiet {
        eprintln!(
            "{} replicates x {} scenario(s) in {:.1}s -> {}",
            replicates,
            scenarios.len(),
            clock.started.elapsed().as_secs_f64(),
            display_files(&args.out, &written)
        );
    }
    render_plots(&args.out, args.no_plots, args.quiet)
}

/// Draws the charts and report of the finished directory `dir` (unless `skip`), exactly as
/// `zeromile plot` would.
fn render_plots(dir: &Path, skip: bool, quiet: bool) -> Result<()> {
    if skip {
        return Ok(());
    }
    let plotting = Instant::now();
    let plots = zeromile::plot::render(dir).with_context(|| {
        format!("drawing charts (the CSV files and manifest are complete; `zeromile plot {}` retries)", dir.display())
    })?;
    if !quiet {
        eprintln!("plotted in {:.2}s -> {}", plotting.elapsed().as_secs_f64(), display_plots(dir, &plots));
    }
    Ok(())
}

/// `DIR/report.html and N charts in DIR/plots/`.
fn display_plots(dir: &Path, files: &[PathBuf]) -> String {
    let charts = files.iter().filter(|f| f.extension().is_some_and(|e| e == "png")).count();
    format!(
        "{} and {charts} charts (PNG + SVG) in {}",
        dir.join(zeromile::plot::REPORT_FILE).display(),
        dir.join(zeromile::plot::PLOTS_DIR).display()
    )
}

fn display_files(dir: &Path, files: &[PathBuf]) -> String {
    let names: Vec<String> =
        files.iter().map(|f| f.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())).collect();
    format!("{}/{{{}}}", dir.display(), names.join(","))
}

fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    progress_bar_with(len, quiet, "replicates")
}

/// A progress bar over `len` items called `unit`, hidden when quiet or not on a terminal.
fn progress_bar_with(len: u64, quiet: bool, unit: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{elapsed}} elapsed, ETA {{eta}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// TOML → JSON for the manifest; non-finite floats become strings ("inf").
fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) if f.is_finite() => J::from(*f),
        toml::Value::Float(f) => J::String(f.to_string()),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Consumer agents of the timed month, the roofline kernel and the replicates (national
    /// totals are kept by rescaling `consumers.households_per_agent`).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(100..=50_000_000))]
    consumers: u64,
    /// Months timed, after a 12-month warm-up.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=120))]
    months: u64,
    /// Baseline replicates of the Monte Carlo throughput figures.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    replicates: u64,
    /// Worker threads of the multi-thread throughput figure (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
}

/// Months stepped before timing (exporters, trade-in and the price war are under way).
const BENCH_WARM_MONTHS: usize = 12;
/// Timing repeats of the per-consumer-month figures (the median is reported).
const BENCH_REPEATS: usize = 3;
/// Months the roofline kernel runs from an empty market, as the reference binary does (its
/// market fills up over time, so the horizon changes the average cost).
const ROOFLINE_MONTHS: usize = 120;
/// Seed of the roofline kernel.
const ROOFLINE_SEED: u64 = 0x00C0_FFEE;
/// Replicate key of the timed world.
const BENCH_KEY: u64 = 0x5EED_0001;

/// `scenarios/baseline.toml` (or the built-in default when the file is absent) with `agents`
/// consumer agents, rescaled so national totals are unchanged; and where it came from.
fn bench_scenario(agents: u64) -> Result<(Scenario, String)> {
    let path = Path::new("scenarios/baseline.toml");
    let (base, source) = if path.exists() {
        (scenario::load(path, &[])?, path.display().to_string())
    } else {
        (Scenario::default(), "built-in default scenario".to_string())
    };
    let per_agent = base.consumers.households_per_agent * base.consumers.agents as f64 / agents as f64;
    let overrides = [format!("consumers.agents={agents}"), format!("consumers.households_per_agent={per_agent:?}")];
    let s = if path.exists() { scenario::load(path, &overrides)? } else { scenario::from_str("", &overrides)? };
    Ok((s, source))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    zeromile::engine::quantile::quantile_sorted(&v, 0.5).unwrap_or(f64::NAN)
}

/// `x` with `digits` significant digits, in plain (non-exponent) notation.
fn sig(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

/// Peak resident set size (`VmHWM` of `/proc/self/status`), if the system reports it.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(format!("{} MiB", sig(kib / 1024.0, 3)))
}

/// Discards trajectories; counts them so the work is observable.
struct NullSink(u64);

impl Sink for NullSink {
    fn replicate(&mut self, _replicate: u64, trajectories: &[Trajectory]) -> zeromile::Result<()> {
        self.0 += std::hint::black_box(trajectories).len() as u64;
        Ok(())
    }
}

/// Replicates per second of `replicates` replicates of `s` on `threads` threads (0 = all).
fn replicates_per_s(s: &Scenario, replicates: u64, threads: usize) -> Result<f64> {
    let scenarios = std::slice::from_ref(s);
    let mc = MonteCarlo { scenarios, master_seed: s.seed, replicates, threads, shard: Shard::ALL };
    let mut sink = NullSink(0);
    let t = Instant::now();
    engine::run_monte_carlo(&mc, &mut sink)?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(sink.0 == replicates, "expected {replicates} replicates, got {}", sink.0);
    Ok(replicates as f64 / secs)
}

fn bench_cmd(args: BenchArgs) -> Result<()> {
    let n = args.consumers as usize;
    let months = args.months as usize;
    let threads = thread_count(args.threads);
    let threads_used = if threads == 0 { rayon::current_num_threads() } else { threads };
    let consumer_months = (n * months) as f64;
    let (s, source) = bench_scenario(args.consumers)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "zeromile bench: {n} consumers, {months} months timed after {BENCH_WARM_MONTHS} warm-up months, median of {BENCH_REPEATS}"
    )?;
    writeln!(
        out,
        "scenario: {source} with consumers.agents={n}, consumers.households_per_agent={}",
        sig(s.consumers.households_per_agent, 4)
    )?;
    out.flush()?;

    // The full model: a warmed world stepped on this thread (household chunks in order).
    let mut warm = zeromile::model::World::new(&s, BENCH_KEY);
    for _ in 0..BENCH_WARM_MONTHS {
        warm.step();
    }
    let mut model_ns = Vec::new();
    for _ in 0..BENCH_REPEATS {
        let mut w = warm.clone();
        let t = Instant::now();
        for _ in 0..months {
            std::hint::black_box(w.step());
        }
        model_ns.push(t.elapsed().as_secs_f64() * 1e9 / consumer_months);
    }
    drop(warm);
    let x = median(model_ns.clone());
    let fmt_all = |v: &[f64]| v.iter().map(|x| sig(*x, 3)).collect::<Vec<_>>().join(", ");
    writeln!(
        out,
        "full model, whole month (World::step, 1 thread): {} ns per consumer-month (repeats: {})",
        sig(x, 4),
        fmt_all(&model_ns)
    )?;
    out.flush()?;

    // The roofline-equivalent kernel at N consumers in a 1-thread pool, timed like the
    // reference binary: ROOFLINE_MONTHS months from an empty market.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut kernel_ns = Vec::new();
    let mut buyers = 0;
    for _ in 0..BENCH_REPEATS {
        let t = Instant::now();
        buyers = std::hint::black_box(pool.install(|| engine::roofline::run_kernel(n, ROOFLINE_MONTHS, ROOFLINE_SEED)));
        kernel_ns.push(t.elapsed().as_secs_f64() * 1e9 / (n * ROOFLINE_MONTHS) as f64);
    }
    drop(pool);
    let y = median(kernel_ns.clone());
    writeln!(
        out,
        "roofline kernel (engine::roofline, 1 thread, {ROOFLINE_MONTHS} months from an empty market): {} ns per consumer-month (repeats: {}; {buyers} buyers)",
        sig(y, 4),
        fmt_all(&kernel_ns)
    )?;
    // The ratio of the printed figures, so scripts can check it.
    let (xs, ys) = (sig(x, 4), sig(y, 4));
    let ratio = xs.parse::<f64>()? / ys.parse::<f64>()?;
    writeln!(out, "ratio full month / roofline: {} (target: consumer phase <= 1.5, whole month <= 2)", sig(ratio, 4))?;
    out.flush()?;

    // Replicate throughput: whole baseline replicates through engine::run_monte_carlo.
    writeln!(
        out,
        "Monte Carlo: {} replicates of {} months ({}..{}) at {n} consumers, no-op sink",
        args.replicates,
        s.months(),
        s.start,
        s.end
    )?;
    out.flush()?;
    let a = replicates_per_s(&s, args.replicates, 1)?;
    writeln!(out, "  1 thread: {} replicates/s", sig(a, 4))?;
    out.flush()?;
    let b = replicates_per_s(&s, args.replicates, threads)?;
    writeln!(out, "  {threads_used} threads: {} replicates/s (scaling {}x)", sig(b, 4), sig(b / a, 3))?;
    writeln!(out, "peak memory (VmHWM): {}", peak_rss().unwrap_or_else(|| "unknown".into()))?;
    writeln!(
        out,
        "consumer_month_ns={xs} roofline_ns={ys} ratio={} replicates_per_s_1t={} replicates_per_s_nt={}",
        sig(ratio, 4),
        sig(a, 4),
        sig(b, 4)
    )?;
    Ok(())
}
