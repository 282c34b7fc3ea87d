//! Many runs: one replicate of a scenario, and parallel Monte Carlo over replicates and
//! scenarios with streaming, order-stable delivery of results. The only layer that runs threads.

pub mod quantile;
pub mod roofline;
pub mod seed;
pub mod shard;

pub use shard::Shard;

use crate::error::{Error, Result};
use crate::model::consumer::{ChunkJob, Executor};
use crate::model::metrics::Trajectory;
use crate::model::{groups, World};
use crate::scenario::Scenario;
use rayon::prelude::*;

/// Runs household chunks on rayon's threads (the current pool). Chunks own their random
/// streams and are merged in chunk order, so results equal the sequential run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParallelChunks;

impl Executor for ParallelChunks {
    fn for_each(&self, jobs: &mut [ChunkJob<'_>], f: &(dyn Fn(&mut ChunkJob<'_>) + Sync)) {
        jobs.par_iter_mut().for_each(f);
    }
}

/// Runs one replicate of `scenario` from key `key` and returns its trajectory. The household
/// phase of each month runs in parallel, so a single large replicate uses every thread.
pub fn run_one(scenario: &Scenario, key: u64) -> Trajectory {
    run_one_with(scenario, key, &ParallelChunks)
}

/// [`run_one`] with an explicit household-chunk executor (e.g. `Sequential` for comparisons).
pub fn run_one_with(scenario: &Scenario, key: u64, exec: &dyn Executor) -> Trajectory {
    simulate(scenario, key, exec, false)
}

/// [`run_one`] that also records each month's group row (`Trajectory::groups`, for
/// `groups.csv`); the metric rows are the same as [`run_one`]'s.
pub fn run_one_by_group(scenario: &Scenario, key: u64) -> Trajectory {
    simulate(scenario, key, &ParallelChunks, true)
}

fn simulate(scenario: &Scenario, key: u64, exec: &dyn Executor, by_group: bool) -> Trajectory {
    let mut world = World::new(scenario, key);
    let months = scenario.months();
    let mut traj = Trajectory::new(world.metric_set().len(), months);
    let mut groups = vec![0.0; if by_group { groups::WIDTH } else { 0 }];
    for _ in 0..months {
        let date = scenario.start.offset(world.months_done() as i64);
        let row = world.step_with(exec);
        traj.push(date, row);
        if by_group {
            groups::fill_groups(&mut groups, &world.automakers);
            traj.push_groups(&groups);
        }
    }
    traj
}

/// A pool of worker threads that maps work items in parallel and returns results in item
/// order. Layers above the engine (sweeps, calibration) run their replicates through it, so the
/// engine stays the only layer that starts threads.
#[derive(Debug)]
pub struct Workers {
    pool: rayon::ThreadPool,
}

impl Workers {
    /// A pool of `threads` workers (0 = one per core).
    pub fn new(threads: usize) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
        Ok(Workers { pool })
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// `f` applied to every item in parallel; results in item order, whatever order workers
    /// finish in. Replicates run inside `f` also split their household phase across the pool.
    pub fn map<I: Sync, T: Send>(&self, items: &[I], f: impl Fn(&I) -> T + Sync + Send) -> Vec<T> {
        self.pool.install(|| items.par_iter().map(f).collect())
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct MonteCarlo<'a> {
    /// Scenarios; replicate r of each uses the same key (common random numbers).
    pub scenarios: &'a [Scenario],
    /// Master seed.
    pub master_seed: u64,
    /// Replicates per scenario.
    pub replicates: u64,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Which replicates to run: those `r < replicates` in the shard ([`Shard::ALL`]: every one).
    /// Replicate r is the same whichever shard runs it.
    pub shard: Shard,
    /// Also record each month's group row in the trajectories (`Trajectory::groups`).
    pub by_group: bool,
}

/// Receives results in replicate order (whatever order workers finish in).
pub trait Sink {
    /// Replicate `replicate`: one trajectory per scenario, in scenario order.
    fn replicate(&mut self, replicate: u64, trajectories: &[Trajectory]) -> Result<()>;
    /// Progress: replicates of the shard done so far (called after each delivery).
    fn progress(&mut self, _done: u64) {}
}

/// Runs every (scenario, replicate) of the shard in parallel and hands each replicate's
/// trajectories to `sink` in increasing replicate order. Memory holds at most one window of
/// replicates.
pub fn run_monte_carlo(mc: &MonteCarlo<'_>, sink: &mut dyn Sink) -> Result<()> {
    if mc.scenarios.is_empty() {
        return Err(Error::Usage("no scenario to run".into()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(mc.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", mc.threads)))?;
    let threads = pool.current_num_threads() as u64;
    // The window bounds memory; it does not affect results (delivery is by replicate index).
    let window = (4 * threads).max(4);
    let n_s = mc.scenarios.len();
    let mut todo = mc.shard.indices(mc.replicates).peekable();
    let mut done = 0;
    while todo.peek().is_some() {
        let batch: Vec<u64> = todo.by_ref().take(window as usize).collect();
        let items: Vec<(u64, usize)> = batch.iter().flat_map(|&r| (0..n_s).map(move |s| (r, s))).collect();
        let results: Vec<Trajectory> = pool.install(|| {
            items
                .par_iter()
                .map(|&(r, s)| {
                    let key = seed::replicate_key(mc.master_seed, r);
                    simulate(&mc.scenarios[s], key, &ParallelChunks, mc.by_group)
                })
                .collect()
        });
        for (&r, chunk) in batch.iter().zip(results.chunks(n_s)) {
            sink.replicate(r, chunk)?;
            done += 1;
            sink.progress(done);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_household_phase_equals_sequential() {
        let s = Scenario {
            end: crate::scenario::YearMonth { year: 2019, month: 8 },
            consumers: crate::scenario::ConsumerParams { agents: 30_000, ..Default::default() },
            ..Scenario::default()
        };
        let seq = run_one_with(&s, 5, &crate::model::consumer::Sequential);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let par = pool.install(|| run_one(&s, 5));
        assert_eq!(seq, par);
    }

    #[test]
    fn same_key_same_trajectory() {
        let s = Scenario {
            end: crate::scenario::YearMonth { year: 2019, month: 4 },
            consumers: crate::scenario::ConsumerParams { agents: 2_000, ..Default::default() },
            ..Scenario::default()
        };
        assert_eq!(run_one(&s, 11), run_one(&s, 11));
        assert_ne!(run_one(&s, 11), run_one(&s, 12));
    }
}
