//! Running a sweep's points: every (point, replicate) in parallel through the engine's
//! workers, reduced at once to outcome values so only outcome statistics stay in memory, and
//! delivered point by point in increasing point order.

use crate::engine::{self, seed, Workers};
use crate::error::{Error, Result};

use super::outcome::OutcomeStats;
use super::spec::Sweep;

/// One finished design point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    /// Point index in the design.
    pub point: usize,
    /// Parameter values (one per parameter).
    pub values: Vec<f64>,
    /// Statistics of each outcome over the point's replicates (one per outcome).
    pub stats: Vec<OutcomeStats>,
}

/// Runs `points` (ascending point indices) of `sweep` on `workers` and hands each finished
/// point to `deliver` in the order given. `progress` receives the number of point-replicates
/// finished so far.
///
/// Replicate `r` of every point uses the key `replicate_key(sweep.seed, r)` (common random
/// numbers across points, independent of shard, thread count and resume), so a point's result
/// depends only on the sweep and its index. Memory holds one window of points at a time.
pub fn run_points(
    sweep: &Sweep,
    points: &[usize],
    workers: &Workers,
    deliver: &mut dyn FnMut(PointResult) -> Result<()>,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let reps = sweep.replicates as usize;
    // Enough items to keep every worker busy, in whole points.
    let window = (4 * workers.threads()).div_ceil(reps).max(1);
    let mut done = 0u64;
    for chunk in points.chunks(window) {
        let scenarios = workers.map(chunk, |&p| sweep.scenario(p));
        let scenarios = scenarios.into_iter().collect::<Result<Vec<_>>>()?;
        let items: Vec<(usize, u64)> = (0..chunk.len()).flat_map(|i| (0..reps as u64).map(move |r| (i, r))).collect();
        let values: Vec<Vec<f64>> = workers.map(&items, |&(i, r)| {
            let traj = engine::run_one(&scenarios[i], seed::replicate_key(sweep.seed, r));
            sweep.outcomes.iter().map(|o| o.evaluate(&traj)).collect()
        });
        for (i, &p) in chunk.iter().enumerate() {
            let per_rep = &values[i * reps..(i + 1) * reps];
            let stats = (0..sweep.outcomes.len())
                .map(|j| {
                    let v: Vec<f64> = per_rep.iter().map(|row| row[j]).collect();
                    OutcomeStats::of(&v).ok_or_else(|| Error::Usage("a point has no replicates".into()))
                })
                .collect::<Result<Vec<_>>>()?;
            deliver(PointResult { point: p, values: sweep.rows[p].clone(), stats })?;
            done += reps as u64;
            progress(done);
        }
    }
    Ok(())
}
