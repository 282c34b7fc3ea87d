//! The measurements of `zeromile bench` (docs/performance.md): nanoseconds per consumer-month of
//! the full model and of the roofline-equivalent kernel, replicate throughput. The binary prints
//! each figure as it is measured.

use crate::engine::quantile::quantile_sorted;
use crate::engine::{self, MonteCarlo, Shard, Sink};
use crate::error::{Error, Result};
use crate::model::metrics::Trajectory;
use crate::model::World;
use crate::scenario::{self, Scenario};
use std::path::Path;
use std::time::Instant;

/// Months stepped before timing (exporters, trade-in and the price war are under way).
pub const WARM_MONTHS: usize = 12;
/// Timing repeats of the per-consumer-month figures (the median is reported).
pub const REPEATS: usize = 3;
/// Months the roofline kernel runs from an empty market, as the reference binary does (its
/// market fills up over time, so the horizon changes the average cost).
pub const ROOFLINE_MONTHS: usize = 120;
/// Seed of the roofline kernel.
const ROOFLINE_SEED: u64 = 0x00C0_FFEE;
/// Replicate key of the timed world.
const BENCH_KEY: u64 = 0x5EED_0001;

/// `scenarios/baseline.toml` (or the built-in default when the file is absent) with `agents`
/// consumer agents; `consumers.households_per_agent` is derived so national totals are unchanged
/// (the resolution rule of `scenario::load`), and the `--set` overrides `set`; and where it came
/// from.
pub fn scenario(agents: u64, set: &[String]) -> Result<(Scenario, String)> {
    let path = Path::new("scenarios/baseline.toml");
    let mut overrides = vec![format!("consumers.agents={agents}")];
    overrides.extend(set.iter().cloned());
    if path.exists() {
        Ok((scenario::load(path, &overrides)?, path.display().to_string()))
    } else {
        Ok((scenario::from_str("", &overrides)?, "built-in default scenario".to_string()))
    }
}

/// Timings of one figure: each repeat and their median (ns per consumer-month).
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Each repeat.
    pub repeats: Vec<f64>,
    /// Their median.
    pub median: f64,
}

impl Timing {
    fn of(repeats: Vec<f64>) -> Self {
        let mut sorted = repeats.clone();
        sorted.sort_by(f64::total_cmp);
        Timing { median: quantile_sorted(&sorted, 0.5).unwrap_or(f64::NAN), repeats }
    }
}

/// The full model: a world of `s` warmed for [`WARM_MONTHS`], then `months` months stepped on
/// this thread (household chunks in order), [`REPEATS`] times from the same warm state.
pub fn model(s: &Scenario, months: usize) -> Timing {
    let mut warm = World::new(s, BENCH_KEY);
    for _ in 0..WARM_MONTHS {
        warm.step();
    }
    let consumer_months = (s.consumers.agents * months) as f64;
    let mut ns = Vec::new();
    for _ in 0..REPEATS {
        let mut w = warm.clone();
        let t = Instant::now();
        for _ in 0..months {
            std::hint::black_box(w.step());
        }
        ns.push(t.elapsed().as_secs_f64() * 1e9 / consumer_months);
    }
    Timing::of(ns)
}

/// The roofline-equivalent kernel at `n` consumers in a 1-thread pool, timed like the reference
/// binary: [`ROOFLINE_MONTHS`] months from an empty market. Also returns the buyers counted.
pub fn roofline(n: usize) -> Result<(Timing, u64)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| Error::io("a 1-thread rayon pool", std::io::Error::other(e)))?;
    let mut ns = Vec::new();
    let mut buyers = 0;
    for _ in 0..REPEATS {
        let t = Instant::now();
        buyers = std::hint::black_box(pool.install(|| engine::roofline::run_kernel(n, ROOFLINE_MONTHS, ROOFLINE_SEED)));
        ns.push(t.elapsed().as_secs_f64() * 1e9 / (n * ROOFLINE_MONTHS) as f64);
    }
    Ok((Timing::of(ns), buyers))
}

/// Discards trajectories; counts them so the work is observable.
struct NullSink(u64);

impl Sink for NullSink {
    fn replicate(&mut self, _replicate: u64, trajectories: &[Trajectory]) -> Result<()> {
        self.0 += std::hint::black_box(trajectories).len() as u64;
        Ok(())
    }
}

/// Replicates per second of `replicates` replicates of `s` on `threads` threads (0 = all).
pub fn replicates_per_s(s: &Scenario, replicates: u64, threads: usize) -> Result<f64> {
    let scenarios = std::slice::from_ref(s);
    let mc = MonteCarlo { scenarios, master_seed: s.seed, replicates, threads, shard: Shard::ALL, by_group: false };
    let mut sink = NullSink(0);
    let t = Instant::now();
    engine::run_monte_carlo(&mc, &mut sink)?;
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(sink.0, replicates, "the engine delivered every replicate once");
    Ok(replicates as f64 / secs)
}

/// Peak resident set size in MiB (`VmHWM` of `/proc/self/status`), if the system reports it.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}
