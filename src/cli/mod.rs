//! Command-line interface (binary only): `run`, `sweep`, `merge`, `slurm`, `plot`, `validate`, `describe`,
//! `bench`, `check-facts`, `calibrate`, `serve`.

mod bench;
mod facts;
mod merge;
mod progress;
mod run;
mod serve;
mod slurm;
mod sweep;
mod values;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zeromile::app::{self, PlotReport};

use progress::Bar;
use zeromile::scenario;

/// A usage error detected by the binary (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The Monte Carlo flags that `run` and `check-facts` share.
#[derive(Args, Debug)]
struct MonteCarloFlags {
    /// Replicates per scenario (default: the (first) scenario's `replicates`).
    #[arg(long, short = 'n', allow_negative_numbers = true, value_parser = values::whole::<1, { u64::MAX }>)]
    replicates: Option<u64>,
    /// Master seed (default: the (first) scenario's `seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = values::whole::<0, { u64::MAX }>)]
    seed: Option<u64>,
    /// Worker threads (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j', allow_negative_numbers = true, value_parser = values::whole_usize::<0>)]
    threads: Option<usize>,
}

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
    Run(run::RunArgs),
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
        #[arg(long, default_value_t = zeromile::plot::WIDTH, allow_negative_numbers = true, value_parser = values::whole_u32)]
        width: u32,
        /// Chart height in pixels.
        #[arg(long, default_value_t = zeromile::plot::HEIGHT, allow_negative_numbers = true, value_parser = values::whole_u32)]
        height: u32,
        /// Do not (re)write the HTML report.
        #[arg(long)]
        no_report: bool,
    },
    /// Check scenario, sweep, calibration or targets files (and overrides) without running them.
    Validate {
        /// Scenario files, sweep files (a top-level `[sweep]` table), calibration files (a
        /// top-level `[calibration]` table) or targets files (`[[targets]]`).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Override a key: `--set path.to.key=value` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// List every scenario key with type, unit, default, range, meaning and source.
    Describe {
        /// Print a Markdown table instead of plain text.
        #[arg(long, conflicts_with = "metrics")]
        markdown: bool,
        /// Print the metric dictionary instead, as `metrics.csv` (of the default foreign markets, or of SCENARIO's).
        #[arg(long)]
        metrics: bool,
        /// With `--metrics`: the scenario files whose metrics to list.
        #[arg(value_name = "SCENARIO", requires = "metrics")]
        scenarios: Vec<PathBuf>,
    },
    /// Measure ns per consumer-month (full model and roofline kernel), replicates per second and peak memory.
    Bench(bench::BenchArgs),
    /// Merge the shard directories of `run` or `sweep --shard K/N` into the output the unsharded command writes.
    Merge(merge::MergeArgs),
    /// Print an sbatch script that runs a scenario (or sweep) as a Slurm job array plus a merge job.
    Slurm(slurm::SlurmArgs),
    /// Compare a scenario's run (or a run directory) with observed targets: table, facts.csv, report.
    CheckFacts(facts::CheckFactsArgs),
    /// Estimate scenario parameters from observed targets by the method of simulated moments.
    Calibrate(facts::CalibrateArgs),
    /// Serve the classroom page: what-if experiments on a scenario in a browser (docs/classroom.md).
    Serve(serve::ServeArgs),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if let Some(line) = values::flag_error(&e) {
                eprintln!("error: {line}");
                std::process::exit(2);
            }
            let code = e.exit_code();
            e.print().ok();
            if code == 0 {
                std::process::exit(0);
            }
            std::process::exit(2);
        }
    };
    match cli.command {
        Command::Run(args) => run::run_cmd(args),
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
            let written = app::render_plots_with(&out_dir, &options)?.files;
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
                validate(path, &set)?;
            }
            Ok(())
        }
        Command::Describe { markdown, metrics, scenarios } => {
            let mut out = std::io::stdout().lock();
            if metrics {
                let sets = metric_sets(&scenarios)?;
                zeromile::output::write_metrics(&mut out, zeromile::output::run_metric_names(&sets))?;
            } else {
                out.write_all(describe_text(markdown).as_bytes())?;
            }
            Ok(())
        }
        Command::Bench(args) => bench::bench_cmd(args),
        Command::Merge(args) => merge::merge_cmd(args),
        Command::Slurm(args) => slurm::slurm_cmd(args),
        Command::CheckFacts(args) => facts::check_facts_cmd(args),
        Command::Calibrate(args) => facts::calibrate_cmd(args),
        Command::Serve(args) => serve::serve_cmd(args),
    }
}

/// `zeromile validate` of one file, by its kind: loads it as its command would and prints what
/// it holds.
fn validate(path: &Path, set: &[String]) -> Result<()> {
    use scenario::kind::{file_kind, FileKind};
    let kind = file_kind(path);
    let section = match kind {
        Some(FileKind::Sweep) => Some("a sweep file sets its overrides in `sweep.set`"),
        Some(FileKind::Calibration) => Some("a calibration file sets its overrides in `calibration.set`"),
        Some(FileKind::Targets) => Some("a targets file has none"),
        Some(FileKind::Scenario) | None => None,
    };
    if let (Some(section), false) = (section, set.is_empty()) {
        return Err(BadInput(format!("{}: --set applies to scenarios; {section}", path.display())).into());
    }
    match kind {
        Some(FileKind::Sweep) => {
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
        }
        Some(FileKind::Calibration) => {
            let c = zeromile::sweep::calibrate::load(path)?;
            println!(
                "{}: ok (calibration: {} parameters, {} targets, {} replicates per candidate)",
                path.display(),
                c.parameters.len(),
                c.targets.len(),
                c.replicates
            );
        }
        Some(FileKind::Targets) => {
            let t = zeromile::sweep::targets::TargetFile::load(path)?;
            println!("{}: ok (targets: {} targets)", path.display(), t.targets.len());
        }
        Some(FileKind::Scenario) | None => {
            let s = scenario::load(path, set)?;
            println!("{}: ok ({} months, {} events)", path.display(), s.months(), s.events.len());
        }
    }
    Ok(())
}

/// The metric sets of `describe --metrics`: of these scenarios, or of the default one.
fn metric_sets(scenarios: &[PathBuf]) -> Result<Vec<zeromile::model::metrics::MetricSet>> {
    let loaded = if scenarios.is_empty() {
        vec![scenario::Scenario::default()]
    } else {
        scenarios.iter().map(|p| scenario::load(p, &[])).collect::<zeromile::Result<Vec<_>>>()?
    };
    let ids = |s: &scenario::Scenario| s.markets.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    Ok(loaded.iter().map(|s| zeromile::model::metrics::MetricSet::new(&ids(s))).collect())
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

/// Prints the outcome of drawing a finished directory's charts (unless quiet).
fn report_plots(dir: &Path, plots: &PlotReport, quiet: bool) {
    if !quiet {
        eprintln!("plotted in {:.2}s -> {}", plots.seconds, display_plots(dir, &plots.files));
    }
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
