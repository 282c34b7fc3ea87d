//! Runs of the classroom page: a bounded queue, one worker thread, the unchanged scenario's
//! replicates cached per (seed, replicates, agents), and each finished run's series as JSON.
//!
//! A run goes through the library as `zeromile run` does: `engine::run_monte_carlo` into an
//! `output::MonteCarloStats` of the unchanged and the changed scenario, replicate r of both
//! keyed by (seed, r), so the paired differences are those of `deltas.csv`. Nothing is written
//! to disk.

use super::request::{CacheKey, Plan, Refusal};
use crate::engine::{self, MonteCarlo, Shard, Sink};
use crate::error::{Error, Result};
use crate::model::metrics::Trajectory;
use crate::output::{MonteCarloStats, QuantileSketch, ScenarioSeries};
use crate::scenario::Scenario;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The metrics the page draws, by chart: (chart, metric, label, unit).
pub const CHART_METRICS: &[(&str, &str, &str, &str)] = &[
    ("price_war", "avg_transaction_price", "average transaction price", "yuan"),
    ("price_war", "avg_discount", "average discount", "fraction"),
    ("exports", "new_car_exports", "new-car exports", "vehicles/month"),
    ("exports", "zero_mileage_exports", "zero-mileage exports", "vehicles/month"),
    ("overcapacity", "utilization", "capacity utilisation", "fraction"),
    ("waiting", "consumers_waiting_share", "households waiting", "fraction"),
];

/// Finished runs kept for `GET /api/jobs/<id>`; older ones are forgotten.
const KEEP_FINISHED: usize = 64;
/// Unchanged scenarios' replicates kept (each at most a few MiB).
const CACHE_ENTRIES: usize = 4;

/// Where a run is.
#[derive(Debug, Clone)]
enum Status {
    Queued,
    Running { done: u64, total: u64, phase: &'static str },
    Done(Arc<Value>),
    Failed(String),
}

#[derive(Debug)]
struct Job {
    plan: Arc<Plan>,
    status: Status,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    queue: VecDeque<u64>,
    running: Option<u64>,
    jobs: BTreeMap<u64, Job>,
    finished: VecDeque<u64>,
    shutdown: bool,
}

/// The queue and the runs' states, shared by the HTTP threads and the worker.
#[derive(Debug)]
pub struct Jobs {
    state: Mutex<State>,
    wake: Condvar,
    capacity: usize,
}

impl Jobs {
    /// A queue holding at most `capacity` runs waiting or running.
    pub fn new(capacity: usize) -> Jobs {
        Jobs { state: Mutex::new(State { next_id: 1, ..State::default() }), wake: Condvar::new(), capacity }
    }

    /// Runs waiting or running at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would be a bug; the state stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `plan`; its id, or 429 when the queue is full (503 when shutting down).
    pub fn submit(&self, plan: Plan) -> std::result::Result<u64, Refusal> {
        let mut s = self.lock();
        if s.shutdown {
            return Err(Refusal::new(503, "the server is shutting down"));
        }
        let in_flight = s.queue.len() + usize::from(s.running.is_some());
        if in_flight >= self.capacity {
            return Err(Refusal::new(
                429,
                format!("{in_flight} runs are waiting or running, the most this server takes; try again in a minute"),
            ));
        }
        let id = s.next_id;
        s.next_id += 1;
        s.jobs.insert(id, Job { plan: Arc::new(plan), status: Status::Queued });
        s.queue.push_back(id);
        self.wake.notify_all();
        Ok(id)
    }

    /// The plan of run `id`.
    pub fn plan(&self, id: u64) -> Option<Arc<Plan>> {
        self.lock().jobs.get(&id).map(|j| Arc::clone(&j.plan))
    }

    /// `GET /api/jobs/<id>`: the state of run `id`, with its series when done.
    pub fn status_json(&self, id: u64) -> Option<Value> {
        let s = self.lock();
        let job = s.jobs.get(&id)?;
        let position = s.queue.iter().position(|&q| q == id);
        Some(match &job.status {
            Status::Queued => {
                json!({ "id": id, "state": "queued", "ahead": position.unwrap_or(0) + usize::from(s.running.is_some()) })
            }
            Status::Running { done, total, phase } => {
                json!({ "id": id, "state": "running", "done": done, "total": total, "phase": phase })
            }
            Status::Done(result) => json!({ "id": id, "state": "done", "result": &**result }),
            Status::Failed(m) => json!({ "id": id, "state": "failed", "error": m }),
        })
    }

    /// Stops the worker after the run in progress.
    pub fn shutdown(&self) {
        self.lock().shutdown = true;
        self.wake.notify_all();
    }

    fn set(&self, id: u64, status: Status) {
        let mut s = self.lock();
        let finished = matches!(status, Status::Done(_) | Status::Failed(_));
        if let Some(job) = s.jobs.get_mut(&id) {
            job.status = status;
        }
        if finished {
            s.running = None;
            s.finished.push_back(id);
            while s.finished.len() > KEEP_FINISHED {
                if let Some(old) = s.finished.pop_front() {
                    s.jobs.remove(&old);
                }
            }
        }
    }

    /// The worker's loop: runs queued plans one after the other until [`Jobs::shutdown`].
    pub fn work(&self) {
        let mut cache: VecDeque<(CacheKey, Arc<Vec<Trajectory>>)> = VecDeque::new();
        loop {
            let (id, plan) = {
                let mut s = self.lock();
                loop {
                    if s.shutdown {
                        return;
                    }
                    if let Some(id) = s.queue.pop_front() {
                        s.running = Some(id);
                        let plan = s.jobs.get(&id).map(|j| Arc::clone(&j.plan));
                        if let Some(plan) = plan {
                            break (id, plan);
                        }
                        s.running = None;
                        continue;
                    }
                    s = self.wake.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            };
            let report = |done, total, phase| self.set(id, Status::Running { done, total, phase });
            let status = match run(&plan, &mut cache, &report, &|| self.lock().shutdown) {
                Ok(v) => Status::Done(Arc::new(v)),
                Err(e) => Status::Failed(e.to_string()),
            };
            self.set(id, status);
        }
    }
}

/// Collects every replicate of the unchanged scenario.
struct Keep<'a> {
    out: Vec<Trajectory>,
    report: &'a dyn Fn(u64),
    stopped: &'a dyn Fn() -> bool,
}

/// The error that ends a run when the server stops.
fn stopping() -> Error {
    Error::Usage("the server stopped before the run finished".into())
}

impl Sink for Keep<'_> {
    fn replicate(&mut self, _: u64, trajectories: &[Trajectory]) -> Result<()> {
        if (self.stopped)() {
            return Err(stopping());
        }
        self.out.extend(trajectories.iter().cloned());
        Ok(())
    }
    fn progress(&mut self, done: u64) {
        (self.report)(done);
    }
}

/// Adds each changed replicate, with the unchanged one of the same index, to the statistics.
struct Pair<'a> {
    baseline: &'a [Trajectory],
    stats: MonteCarloStats,
    report: &'a dyn Fn(u64),
    stopped: &'a dyn Fn() -> bool,
}

impl Sink for Pair<'_> {
    fn replicate(&mut self, replicate: u64, trajectories: &[Trajectory]) -> Result<()> {
        if (self.stopped)() {
            return Err(stopping());
        }
        let base = &self.baseline[replicate as usize];
        self.stats.add_replicate(&[base.clone(), trajectories[0].clone()]);
        Ok(())
    }
    fn progress(&mut self, done: u64) {
        (self.report)(done);
    }
}

/// Runs `plan` (the unchanged scenario from `cache` when there) and builds its result.
fn run(
    plan: &Plan,
    cache: &mut VecDeque<(CacheKey, Arc<Vec<Trajectory>>)>,
    report: &dyn Fn(u64, u64, &'static str),
    stopped: &dyn Fn() -> bool,
) -> Result<Value> {
    let r = plan.key.replicates;
    let cached = cache.iter().find(|(k, _)| *k == plan.key).map(|(_, t)| Arc::clone(t));
    let total = if cached.is_some() { r } else { 2 * r };
    let baseline = match cached {
        Some(t) => t,
        None => {
            report(0, total, "unchanged scenario");
            let mut keep = Keep { out: Vec::new(), report: &|d| report(d, total, "unchanged scenario"), stopped };
            engine::run_monte_carlo(&monte_carlo(&plan.baseline, plan), &mut keep)?;
            let t = Arc::new(keep.out);
            cache.push_back((plan.key, Arc::clone(&t)));
            while cache.len() > CACHE_ENTRIES {
                cache.pop_front();
            }
            t
        }
    };
    let done_before = total - r;
    report(done_before, total, "changed scenario");
    let series = vec![ScenarioSeries::of(&plan.baseline), ScenarioSeries::of(&plan.changed)];
    let mut pair = Pair {
        baseline: &baseline,
        stats: MonteCarloStats::new(series),
        report: &|d| report(done_before + d, total, "changed scenario"),
        stopped,
    };
    engine::run_monte_carlo(&monte_carlo(&plan.changed, plan), &mut pair)?;
    Ok(result_json(plan, &pair.stats, done_before == 0))
}

fn monte_carlo<'a>(scenario: &'a Scenario, plan: &Plan) -> MonteCarlo<'a> {
    MonteCarlo {
        scenarios: std::slice::from_ref(scenario),
        master_seed: plan.key.seed,
        replicates: plan.key.replicates,
        threads: 0,
        shard: Shard::default(),
        by_group: false,
    }
}

/// Mean, p05 and p95 of a series of cells.
fn band<'a>(cells: impl Iterator<Item = Option<&'a QuantileSketch>>) -> Value {
    let (mut mean, mut p05, mut p95) = (Vec::new(), Vec::new(), Vec::new());
    for c in cells {
        let q = c.and_then(|c| c.quantiles(&[0.05, 0.95]));
        mean.push(c.and_then(QuantileSketch::mean).filter(|x| x.is_finite()));
        p05.push(q.as_ref().map(|q| q[0]).filter(|x| x.is_finite()));
        p95.push(q.as_ref().map(|q| q[1]).filter(|x| x.is_finite()));
    }
    json!({ "mean": mean, "p05": p05, "p95": p95 })
}

/// The result of a finished run: dates, and for each drawn metric the unchanged and changed
/// series and the paired difference (changed − unchanged), each as mean, p05 and p95, and the
/// events the request switched on or dated.
fn result_json(plan: &Plan, stats: &MonteCarloStats, cached: bool) -> Value {
    let series = &stats.scenarios()[0];
    let months = series.dates.len();
    let mut metrics = serde_json::Map::new();
    for &(chart, name, label, unit) in CHART_METRICS {
        let Some(j) = series.metrics.position(name) else { continue };
        metrics.insert(
            name.to_string(),
            json!({
                "chart": chart,
                "label": label,
                "unit": unit,
                "baseline": band((0..months).map(|i| stats.monthly(0, i, j))),
                "changed": band((0..months).map(|i| stats.monthly(1, i, j))),
                "difference": band((0..months).map(|i| stats.delta(1, i, j))),
            }),
        );
    }
    let events: Vec<Value> = plan
        .changed
        .events
        .iter()
        // The events the request switched on or dated: the rest are the same in both scenarios.
        .filter(|e| e.enabled && plan.request.events.contains_key(&e.id))
        .map(|e| json!({ "id": e.id, "date": e.date.to_string(), "kind": e.kind.tag() }))
        .collect();
    json!({
        "dates": series.dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "seed": plan.key.seed,
        "replicates": plan.key.replicates,
        "agents": plan.key.agents,
        "quality": plan.request.quality,
        "request": plan.request,
        "baseline_cached": cached,
        "scenarios": [plan.baseline.name, plan.changed.name],
        "events": events,
        "metrics": metrics,
    })
}
