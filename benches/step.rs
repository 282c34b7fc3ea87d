//! One simulated month of the baseline at 100k and 1M consumer agents.
//!
//! The world is warmed up for [`WARM_MONTHS`] months (exporters, trade-in and price war are
//! active by then), and every measured iteration steps a fresh clone of that warmed world, so
//! each sample measures the same month. Throughput is in consumers, so criterion's
//! elements/s is consumer-months per second (1e9 / that = ns per consumer-month).
//! National totals are held fixed: `households_per_agent × agents` equals the baseline's.
//!
//! Per size: `step` is `World::step` (household chunks run sequentially on this thread);
//! `parallel/T` is `World::step_with(&ParallelChunks)` inside a T-thread rayon pool, as
//! `engine::run_one` runs it.
//!
//! Run: `cargo bench --bench step`.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use zeromile::engine::ParallelChunks;
use zeromile::model::World;
use zeromile::scenario::{self, Scenario};

/// Months simulated before the measured month.
const WARM_MONTHS: usize = 24;
/// Replicate key of the benchmarked world.
const KEY: u64 = 0x5EED_0001;
const BASELINE: &str = "scenarios/baseline.toml";

/// The baseline with `agents` consumers, rescaled so national totals are unchanged.
fn baseline_with(agents: usize) -> Scenario {
    let base = scenario::load(Path::new(BASELINE), &[]).expect("load baseline");
    let households = base.consumers.households_per_agent * base.consumers.agents as f64;
    let per_agent = households / agents as f64;
    let overrides = [format!("consumers.agents={agents}"), format!("consumers.households_per_agent={per_agent:?}")];
    scenario::load(Path::new(BASELINE), &overrides).expect("load baseline with overrides")
}

fn warmed_world(agents: usize) -> World {
    let s = baseline_with(agents);
    let mut world = World::new(&s, KEY);
    for _ in 0..WARM_MONTHS {
        world.step();
    }
    world
}

fn bench_month(c: &mut Criterion) {
    for (label, agents, measure) in [("100k", 100_000usize, 4u64), ("1M", 1_000_000, 10)] {
        let world = warmed_world(agents);
        let mut group = c.benchmark_group(format!("month/{label}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(measure))
            .throughput(Throughput::Elements(agents as u64));
        group.bench_function("step", |b| {
            b.iter_batched(
                || world.clone(),
                |mut w| {
                    black_box(w.step());
                    w
                },
                BatchSize::LargeInput,
            )
        });
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
            group.bench_with_input(BenchmarkId::new("parallel", threads), &threads, |b, _| {
                b.iter_batched(
                    || world.clone(),
                    |mut w| {
                        pool.install(|| {
                            black_box(w.step_with(&ParallelChunks));
                        });
                        w
                    },
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_month);
criterion_main!(benches);
