//! Whole replicates: one full baseline replicate (all months, default consumer count) at 1 and 2
//! threads (household chunks in parallel within the replicate), and a small Monte Carlo of 8
//! replicates at 1 and 2 worker threads (parallel across and within replicates).
//!
//! Run: `cargo bench --bench monte_carlo`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use zeromile::engine::{self, MonteCarlo, Sink};
use zeromile::model::metrics::Trajectory;
use zeromile::scenario::{self, Scenario};

const KEY: u64 = 0x5EED_0001;
const REPLICATES: u64 = 8;

fn baseline() -> Scenario {
    scenario::load(Path::new("scenarios/baseline.toml"), &[]).expect("load baseline")
}

/// Discards results (keeps only a count so the work is observable).
struct NullSink(u64);

impl Sink for NullSink {
    fn replicate(&mut self, _replicate: u64, trajectories: &[Trajectory]) -> zeromile::Result<()> {
        self.0 += black_box(trajectories).len() as u64;
        Ok(())
    }
}

fn bench_replicate(c: &mut Criterion) {
    let s = baseline();
    let mut group = c.benchmark_group("replicate");
    // Flat sampling: a replicate takes ~1 s at the default consumer count.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    // `run_one` runs each month's household chunks on the current rayon pool.
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| pool.install(|| black_box(engine::run_one(&s, KEY))))
        });
    }
    group.finish();
}

fn bench_monte_carlo(c: &mut Criterion) {
    let scenarios = [baseline()];
    let mut group = c.benchmark_group("monte_carlo/8");
    // Flat sampling: a Monte Carlo takes seconds, too long for criterion's linear ramp.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Elements(REPLICATES));
    for threads in [1usize, 2] {
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &threads| {
            let mc = MonteCarlo {
                scenarios: &scenarios,
                master_seed: scenarios[0].seed,
                replicates: REPLICATES,
                threads,
                shard: engine::Shard::ALL,
                by_group: false,
            };
            b.iter(|| {
                let mut sink = NullSink(0);
                engine::run_monte_carlo(&mc, &mut sink).expect("monte carlo");
                assert_eq!(sink.0, REPLICATES);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_replicate, bench_monte_carlo);
criterion_main!(benches);
