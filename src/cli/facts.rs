//! `zeromile check-facts` and `zeromile calibrate`: arguments, the jobs of
//! [`zeromile::app::facts`], the tables and report lines.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use zeromile::app::facts::{calibrate, check_facts, CalibrateJob, CheckFactsJob, DEFAULT_TARGETS};
use zeromile::output::calibration as cal_out;
use zeromile::sweep::targets::{Target, TargetFit};

use super::Bar;

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
    /// Hide the progress (a bar on a terminal, lines every 10 s when piped) and status lines.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts and report.
    #[arg(long)]
    no_plots: bool,
}

pub fn check_facts_cmd(args: CheckFactsArgs) -> Result<()> {
    let job = CheckFactsJob {
        input: args.input,
        targets: args.targets,
        replicates: args.mc.replicates,
        seed: args.mc.seed,
        threads: args.mc.threads,
        set: args.set,
        out: args.out,
        plots: !args.no_plots,
    };
    let report = check_facts(&job, &Bar::new(args.quiet))?;
    print!("{}", table(&report.targets, &report.fits));
    let misses = report.fits.iter().filter(|f| !f.inside).count();
    let robust = report.fits.iter().filter(|f| f.robust).count();
    if !args.quiet {
        eprintln!(
            "{} of {} targets inside their band, {robust} with the median's 95% CI inside too \
             ({} replicates, {:.1}s) -> {}",
            report.fits.len() - misses,
            report.fits.len(),
            report.replicates,
            report.seconds,
            report.facts_file.display()
        );
    }
    if args.strict && misses > 0 {
        anyhow::bail!("{misses} of {} targets outside their band (--strict)", report.fits.len());
    }
    Ok(())
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
    #[arg(long, short = 'j', allow_negative_numbers = true, value_parser = super::values::whole_usize::<0>)]
    threads: Option<usize>,
    /// Continue an interrupted calibration in the same directory: logged evaluations are reused.
    #[arg(long)]
    resume: bool,
    /// Hide the progress (a bar on a terminal, lines every 10 s when piped) and status lines.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub fn calibrate_cmd(args: CalibrateArgs) -> Result<()> {
    let job = CalibrateJob { calibration: args.calibration, out: args.out, threads: args.threads, resume: args.resume };
    let report = calibrate(&job, &Bar::new(args.quiet))?;
    let (cal, est) = (&report.calibration, &report.estimate);
    print!("{}", table(&cal.targets, &est.fits));
    println!("distance {:.5} after {} evaluations", est.distance, est.evaluations);
    for (p, v) in cal.parameters.iter().zip(&est.values) {
        println!("  {} = {v}", p.name);
    }
    if !args.quiet {
        eprintln!(
            "calibrated in {:.1}s -> {}/{{{},{},{},{}}}",
            report.seconds,
            report.out.display(),
            cal_out::LOG_FILE,
            cal_out::ESTIMATES_FILE,
            cal_out::FIT_FILE,
            cal_out::CALIBRATION_MANIFEST
        );
    }
    Ok(())
}
