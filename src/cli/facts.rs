//! `zeromile check-facts` (compare a run with observed targets) and `zeromile calibrate`
//! (estimate parameters by the method of simulated moments).

use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

use zeromile::engine::{self, MonteCarlo, Sink, Workers};
use zeromile::model::metrics::{MetricSet, Trajectory};
use zeromile::output::calibration::{self as cal_out, EvalLog};
use zeromile::output::facts::{write_facts, FACTS_FILE};
use zeromile::output::{self, Manifest, ManifestScenario, MonteCarloStats, ScenarioSeries};
use zeromile::scenario;
use zeromile::sweep::calibrate;
use zeromile::sweep::targets::{fit, Target, TargetFile, TargetFit};

use super::{progress_bar, progress_bar_with, thread_count, BadInput};
use zeromile::app::outdir;
use zeromile::output::toml_to_json;

/// The targets file used when `--targets` is not given.
pub const DEFAULT_TARGETS: &str = "scenarios/targets/china-2019-2024.toml";

#[derive(Args, Debug)]
pub struct CheckFactsArgs {
    /// A scenario file (runs it) or the output directory of `zeromile run --trajectories` (reads it).
    input: PathBuf,
    /// Targets file (TOML `[[targets]]`; see docs/validation.md).
    #[arg(long, default_value = DEFAULT_TARGETS)]
    targets: PathBuf,
    #[command(flatten)]
    mc: super::MonteCarloFlags,
    /// Override a scenario key: `--set path.to.key=value` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Output directory when running a scenario (a run directory with `facts.csv` added).
    #[arg(long, short = 'o', default_value = "out/check-facts")]
    out: PathBuf,
    /// Exit with status 1 when a model median lies outside its target's band.
    #[arg(long)]
    strict: bool,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts and report.
    #[arg(long)]
    no_plots: bool,
}

/// Feeds the run statistics and collects each replicate's target values.
struct FactsSink<'a> {
    stats: MonteCarloStats,
    targets: &'a [Target],
    values: Vec<Vec<f64>>,
    bar: &'a indicatif::ProgressBar,
}

impl Sink for FactsSink<'_> {
    fn replicate(&mut self, _replicate: u64, trajectories: &[Trajectory]) -> zeromile::Result<()> {
        self.stats.add_replicate(trajectories);
        if let Some(t) = trajectories.first() {
            self.values.push(self.targets.iter().map(|x| x.value(t)).collect());
        }
        Ok(())
    }

    fn progress(&mut self, done: u64) {
        self.bar.set_position(done);
    }
}

pub fn check_facts_cmd(args: CheckFactsArgs) -> Result<()> {
    let started = Instant::now();
    if !args.targets.is_file() {
        return Err(BadInput(format!(
            "--targets {}: no such file (the default is {DEFAULT_TARGETS}, relative to the working directory)",
            args.targets.display()
        ))
        .into());
    }
    let file = TargetFile::load(&args.targets)?;
    let (dir, targets, fits, replicates) =
        if args.input.is_dir() { from_dir(&args, &file)? } else { from_scenario(&args, &file, started)? };
    let path = write_facts(&dir.join(FACTS_FILE), &targets, &fits)?;
    print!("{}", table(&targets, &fits));
    let misses = fits.iter().filter(|f| !f.inside).count();
    let robust = fits.iter().filter(|f| f.robust).count();
    if !args.no_plots {
        zeromile::plot::render(&dir).with_context(|| {
            format!("drawing the report (facts.csv is complete; `zeromile plot {}` retries)", dir.display())
        })?;
    }
    if !args.quiet {
        eprintln!(
            "{} of {} targets inside their band, {robust} with the median's 95% CI inside too \
             ({replicates} replicates, {:.1}s) -> {}",
            fits.len() - misses,
            fits.len(),
            started.elapsed().as_secs_f64(),
            path.display()
        );
    }
    if args.strict && misses > 0 {
        anyhow::bail!("{misses} of {} targets outside their band (--strict)", fits.len());
    }
    Ok(())
}

type Checked = (PathBuf, Vec<Target>, Vec<TargetFit>, u64);

fn from_scenario(args: &CheckFactsArgs, file: &TargetFile, started: Instant) -> Result<Checked> {
    let full = scenario::load(&args.input, &args.set)?;
    let s = file.horizon(&full);
    let targets = file.resolve(&s)?;
    let replicates = args.mc.replicates.unwrap_or(s.replicates);
    if replicates == 0 {
        return Err(BadInput("--replicates must be at least 1".into()).into());
    }
    let master_seed = args.mc.seed.unwrap_or(s.seed);
    let threads = thread_count(args.mc.threads);
    outdir::check_out_dir(&args.out)?;
    outdir::create_out_dir(&args.out)?;
    for stale in [output::MANIFEST_FILE, FACTS_FILE, output::TRAJECTORIES_FILE] {
        outdir::remove_stale(&args.out.join(stale))?;
    }
    zeromile::plot::remove_stale(&args.out)?;
    let series = vec![ScenarioSeries {
        name: s.name.clone(),
        metrics: MetricSet::new(&s.markets.iter().map(|m| m.id.as_str()).collect::<Vec<_>>()),
        dates: (0..s.months()).map(|i| s.start.offset(i as i64)).collect(),
    }];
    let bar = progress_bar(replicates, args.quiet);
    let mut sink = FactsSink { stats: MonteCarloStats::new(series), targets: &targets, values: Vec::new(), bar: &bar };
    let scenarios = std::slice::from_ref(&s);
    engine::run_monte_carlo(
        &MonteCarlo { scenarios, master_seed, replicates, threads, shard: engine::Shard::ALL },
        &mut sink,
    )?;
    bar.finish_and_clear();
    let fits = fit(&targets, &sink.values).ok_or_else(|| BadInput("no replicates".into()))?;
    let text = s.canonical_text();
    let mut command: Vec<String> = std::env::args().collect();
    if command.is_empty() {
        command.push("zeromile".into());
    }
    let used_threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let manifest = Manifest {
        kind: output::KIND_RUN.into(),
        engine: "zeromile".into(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        master_seed,
        replicates,
        seed_derivation: engine::seed::DERIVATION.into(),
        scenarios: vec![ManifestScenario {
            name: s.name.clone(),
            source: args.input.display().to_string(),
            hash: output::hash_hex(text.as_bytes()),
            overrides: args.set.clone(),
            resolved: toml_to_json(&toml::Value::Table(s.to_toml())),
        }],
        files: vec![FACTS_FILE.to_string()],
        shard: None,
        provenance: output::Provenance {
            threads: used_threads,
            wall_time_s: started.elapsed().as_secs_f64(),
            started_unix_s: started_unix_s(started),
            command,
            shards: Vec::new(),
        },
    };
    output::write_outputs(&args.out, &sink.stats, &manifest)?;
    Ok((args.out.clone(), targets, fits, replicates))
}

fn from_dir(args: &CheckFactsArgs, file: &TargetFile) -> Result<Checked> {
    let dir = args.input.clone();
    let traj = dir.join("trajectories.csv");
    if !traj.is_file() {
        return Err(BadInput(format!(
            "{}: no trajectories.csv; rerun `zeromile run ... --trajectories -o {}` or give check-facts the scenario file",
            dir.display(),
            dir.display()
        ))
        .into());
    }
    let read = output::read_trajectories(&traj)?;
    let first = read.replicates.first().ok_or_else(|| BadInput(format!("{}: no replicates", traj.display())))?;
    let start = *first.dates.first().ok_or_else(|| BadInput(format!("{}: no months", traj.display())))?;
    let months = first.months();
    let end = start.offset(months as i64 - 1);
    let markets: Vec<String> =
        read.metrics.names.iter().filter_map(|n| n.strip_prefix("exports_")).map(str::to_string).collect();
    // A scenario with the run's months and markets, to resolve the targets against.
    let mut s = scenario::Scenario { start, end, name: read.scenario.clone(), ..Default::default() };
    s.markets.retain(|m| markets.contains(&m.id));
    let targets = file.resolve(&s)?;
    let values: Vec<Vec<f64>> = read.replicates.iter().map(|t| targets.iter().map(|x| x.value(t)).collect()).collect();
    let fits = fit(&targets, &values).ok_or_else(|| BadInput("no replicates".into()))?;
    Ok((dir, targets, fits, read.replicates.len() as u64))
}

/// Human number: `31.28m`, `436k`, `0.553`.
fn human(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "n/a".into()
    } else if a >= 1e6 {
        format!("{:.2}m", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// The aligned table of targets and fits.
fn table(targets: &[Target], fits: &[TargetFit]) -> String {
    let mut rows: Vec<[String; 7]> =
        vec![["target", "window", "observed", "band", "model median [5%, 95%]", "median 95% CI", "inside"]
            .map(str::to_string)];
    for (t, f) in targets.iter().zip(fits) {
        let s = &t.spec;
        rows.push([
            s.id().to_string(),
            s.outcome.window.describe(),
            human(s.observed),
            format!("[{}, {}]", human(s.band.0), human(s.band.1)),
            format!("{} [{}, {}]", human(f.stats.p50), human(f.stats.p05), human(f.stats.p95)),
            format!("[{}, {}]", human(f.median_ci.0), human(f.median_ci.1)),
            f.verdict(s.band).to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..7).map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Calibration file (TOML: `[calibration]`, `[optimizer]`, `[[parameters]]`; see docs/validation.md).
    calibration: PathBuf,
    /// Output directory (default: `out/calibrate-<name>`).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Continue an interrupted calibration in the same directory: logged evaluations are reused.
    #[arg(long)]
    resume: bool,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub fn calibrate_cmd(args: CalibrateArgs) -> Result<()> {
    let started = Instant::now();
    let cal = calibrate::load(&args.calibration)?;
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(format!("calibrate-{}", cal.name)));
    if out.exists() && !out.is_dir() {
        return Err(BadInput(format!("--out {} exists and is not a directory", out.display())).into());
    }
    let workers = Workers::new(thread_count(args.threads))?;
    let hash = output::hash_hex(cal.canonical_text().as_bytes());
    let names: Vec<String> = cal.parameters.iter().map(|p| p.name.clone()).collect();
    let (mut log, done) = EvalLog::open(&out, &names, &hash, args.resume)?;
    let budget = (cal.restarts as u64 + 1) * (cal.max_iterations * 2 + names.len() as u64 + 1);
    if !args.quiet {
        let resumed =
            if done.is_empty() { String::new() } else { format!("; {} logged evaluations reused", done.len()) };
        eprintln!(
            "calibrate {:?}: {} parameters, {} targets, {} replicates per candidate, up to {} iterations x {} start(s){resumed}",
            cal.name,
            names.len(),
            cal.targets.len(),
            cal.replicates,
            cal.max_iterations,
            cal.restarts + 1
        );
    }
    let bar = progress_bar_with(budget, args.quiet, "evaluations (at most)");
    let mut best: Option<(f64, Vec<f64>)> = None;
    let quiet = args.quiet;
    let result = calibrate::run(&cal, &workers, &done, &mut |e| {
        log.append(e)?;
        if best.as_ref().is_none_or(|(d, _)| e.distance < *d) {
            best = Some((e.distance, e.values.clone()));
            if !quiet {
                bar.set_message(format!("best {:.4}", e.distance));
            }
        }
        bar.set_position(e.index as u64 + 1);
        Ok(())
    });
    bar.finish_and_clear();
    log.finish()?;
    let est = match result {
        Ok(e) => e,
        Err(e) => {
            if let Some((d, v)) = &best {
                eprintln!(
                    "interrupted; best so far: distance {d:.5} at {} (log: {}; --resume continues)",
                    cal.overrides(v).join(" "),
                    out.join(cal_out::LOG_FILE).display()
                );
            }
            return Err(e.into());
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
        "wall_time_s": started.elapsed().as_secs_f64(),
        "command": std::env::args().collect::<Vec<_>>(),
        "files": [cal_out::LOG_FILE, cal_out::ESTIMATES_FILE, cal_out::FIT_FILE],
    });
    cal_out::write_results(&out, &cal, &est, &manifest)?;
    print!("{}", table(&cal.targets, &est.fits));
    println!("distance {:.5} after {} evaluations", est.distance, est.evaluations);
    for (p, v) in cal.parameters.iter().zip(&est.values) {
        println!("  {} = {v}", p.name);
    }
    if !args.quiet {
        eprintln!(
            "calibrated in {:.1}s -> {}/{{{},{},{},{}}}",
            started.elapsed().as_secs_f64(),
            out.display(),
            cal_out::LOG_FILE,
            cal_out::ESTIMATES_FILE,
            cal_out::FIT_FILE,
            cal_out::CALIBRATION_MANIFEST
        );
    }
    Ok(())
}

/// Unix time at which `started` was taken.
fn started_unix_s(started: Instant) -> u64 {
    std::time::SystemTime::now()
        .checked_sub(started.elapsed())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}
