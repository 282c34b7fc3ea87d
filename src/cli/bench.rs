//! `zeromile bench`: prints each figure of [`zeromile::app::bench`] as it is measured, and ends
//! with one machine-readable line (docs/performance.md).

use anyhow::Result;
use clap::Args;
use std::io::Write;
use zeromile::app::bench::{self, REPEATS, ROOFLINE_MONTHS, WARM_MONTHS};
use zeromile::app::thread_count;

#[derive(Args, Debug)]
pub(super) struct BenchArgs {
    /// Consumer agents of the timed month, the roofline kernel and the replicates (a resolution:
    /// national totals are kept, `consumers.households_per_agent` is derived).
    #[arg(long, default_value_t = 1_000_000, allow_negative_numbers = true, value_parser = super::values::whole::<100, 50_000_000>)]
    consumers: u64,
    /// Months timed, after a 12-month warm-up.
    #[arg(long, default_value_t = 12, allow_negative_numbers = true, value_parser = super::values::whole::<1, 120>)]
    months: u64,
    /// Baseline replicates of the Monte Carlo throughput figures.
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = super::values::whole::<1, 100_000>)]
    replicates: u64,
    /// Worker threads of the multi-thread throughput figure (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j', allow_negative_numbers = true, value_parser = super::values::whole_usize::<0>)]
    threads: Option<usize>,
    /// Override a key of the benchmarked baseline (repeatable), e.g.
    /// `--set automakers.powertrains="single"` for the round-1 products.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

/// `x` with `digits` significant digits, in plain (non-exponent) notation.
fn sig(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

fn all(v: &[f64]) -> String {
    v.iter().map(|x| sig(*x, 3)).collect::<Vec<_>>().join(", ")
}

pub(super) fn bench_cmd(args: BenchArgs) -> Result<()> {
    let n = args.consumers as usize;
    let months = args.months as usize;
    let threads = thread_count(args.threads)?;
    let threads_used = if threads == 0 { rayon::current_num_threads() } else { threads };
    let (s, source) = bench::scenario(args.consumers, &args.set)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "zeromile bench: {n} consumers, {months} months timed after {WARM_MONTHS} warm-up months, median of {REPEATS}"
    )?;
    writeln!(
        out,
        "scenario: {source} with consumers.agents={n}, consumers.households_per_agent={}{}",
        sig(s.consumers.households_per_agent, 4),
        args.set.iter().map(|k| format!(", {k}")).collect::<String>()
    )?;
    out.flush()?;

    let model = bench::model(&s, months);
    writeln!(
        out,
        "full model, whole month (World::step, 1 thread): {} ns per consumer-month (repeats: {})",
        sig(model.median, 4),
        all(&model.repeats)
    )?;
    out.flush()?;

    let (kernel, buyers) = bench::roofline(n)?;
    writeln!(
        out,
        "roofline kernel (engine::roofline, 1 thread, {ROOFLINE_MONTHS} months from an empty market): {} ns per consumer-month (repeats: {}; {buyers} buyers)",
        sig(kernel.median, 4),
        all(&kernel.repeats)
    )?;
    // The ratio of the printed figures, so scripts can check it.
    let (xs, ys) = (sig(model.median, 4), sig(kernel.median, 4));
    let ratio = xs.parse::<f64>()? / ys.parse::<f64>()?;
    writeln!(out, "ratio full month / roofline: {} (target: consumer phase <= 1.5, whole month <= 2)", sig(ratio, 4))?;
    out.flush()?;

    writeln!(
        out,
        "Monte Carlo: {} replicates of {} months ({}..{}) at {n} consumers, no-op sink",
        args.replicates,
        s.months(),
        s.start,
        s.end
    )?;
    out.flush()?;
    let a = bench::replicates_per_s(&s, args.replicates, 1)?;
    writeln!(out, "  1 thread: {} replicates/s", sig(a, 4))?;
    out.flush()?;
    let b = bench::replicates_per_s(&s, args.replicates, threads)?;
    writeln!(out, "  {threads_used} threads: {} replicates/s (scaling {}x)", sig(b, 4), sig(b / a, 3))?;
    let rss = bench::peak_rss_mib().map_or_else(|| "unknown".into(), |m| format!("{} MiB", sig(m, 3)));
    writeln!(out, "peak memory (VmHWM): {rss}")?;
    writeln!(
        out,
        "consumer_month_ns={xs} roofline_ns={ys} ratio={} replicates_per_s_1t={} replicates_per_s_nt={}",
        sig(ratio, 4),
        sig(a, 4),
        sig(b, 4)
    )?;
    Ok(())
}
