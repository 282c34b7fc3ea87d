//! The `sweep` job and the sweep half of `merge`: a parameter sweep's points (resumable,
//! shardable), its sensitivity analysis, charts and manifest.

use super::outdir::{check_out_dir, create_out_dir, remove_stale};
use super::{parse_shard, thread_count, usage, Clock, Progress};
use crate::engine::{self, Shard, Workers};
use crate::error::Result;
use crate::output::sweep::{
    points_header, OutcomeInfo, ParameterInfo, PartialState, PointsLog, PointsTable, ShardInfo, SweepInfo,
    SweepManifest, POINTS_FILE, SENSITIVITY_FILE,
};
use crate::output::{self, MANIFEST_FILE};
use crate::sweep::analysis::{self, Plan};
use crate::sweep::run::run_points;
use crate::sweep::spec::{self, Sweep};
use std::path::{Path, PathBuf};

/// What to sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepJob {
    /// Sweep file.
    pub sweep: PathBuf,
    /// Output directory (default: `out/<sweep name>`).
    pub out: Option<PathBuf>,
    /// Worker threads (see [`thread_count`]).
    pub threads: Option<usize>,
    /// Finish an interrupted sweep in the same directory.
    pub resume: bool,
    /// Run only this shard of the points (`K/N` or `auto/N`).
    pub shard: Option<String>,
    /// Draw the charts and report.
    pub plots: bool,
}

/// What a finished sweep did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    /// The output directory.
    pub out: PathBuf,
    /// Files written, relative to `out` (the manifest last); empty when nothing was left to do.
    pub written: Vec<String>,
    /// Seconds from the start of the job.
    pub seconds: f64,
    /// `--resume` found the same sweep (and shard) already complete: nothing was run.
    pub complete_before: bool,
}

/// What a finished merge of sweep shards did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepMergeReport {
    /// Shards merged (N).
    pub shards: u64,
    /// Files written, relative to the output directory (the manifest last).
    pub written: Vec<String>,
    /// Seconds from the start of the job.
    pub seconds: f64,
}

/// Whether `path` is a sweep file: TOML with a top-level `[sweep]` table. Unreadable or invalid
/// files are not (the scenario loader then reports what is wrong with them).
pub fn is_sweep_file(path: &Path) -> bool {
    crate::scenario::kind::file_kind(path) == Some(crate::scenario::kind::FileKind::Sweep)
}

/// The `sweep` object of the manifest: everything about the sweep a reader (or `merge`) needs.
fn sweep_info(s: &Sweep) -> SweepInfo {
    let parameters = s
        .parameters
        .iter()
        .map(|p| ParameterInfo {
            high: p.factor.high,
            integer: p.factor.integer,
            levels: p.factor.levels.clone(),
            low: p.factor.low,
            name: p.name.clone(),
            path: p.paths[0].clone(),
            paths: p.paths.clone(),
            scale: match p.factor.scale {
                crate::sweep::design::Scale::Linear => "linear",
                crate::sweep::design::Scale::Log => "log",
            }
            .into(),
        })
        .collect();
    let outcomes = s
        .outcomes
        .iter()
        .map(|o| OutcomeInfo {
            aggregation: o.spec.aggregation.name().into(),
            from: o.spec.window.from.map(|d| d.to_string()),
            label: o.label().into(),
            metric: o.spec.metric.clone(),
            name: o.spec.name.clone(),
            to: o.spec.window.to.map(|d| d.to_string()),
            unit: o.unit.clone(),
            window: o.spec.window.describe(),
        })
        .collect();
    SweepInfo {
        base: s.base_source.clone(),
        base_hash: output::hash_hex(s.base.canonical_text().as_bytes()),
        base_scenario: s.base.name.clone(),
        design: s.design.name().into(),
        name: s.name.clone(),
        outcomes,
        parameters,
        plan: Plan::of(s),
        points: s.points(),
        replicates: s.replicates,
        seed: s.seed,
        set: s.set.clone(),
        source: s.source.display().to_string(),
    }
}

/// The sweep manifest's provenance: the job clock's (threads, wall time, start, command) plus
/// `extra` fields.
fn provenance(threads: usize, clock: &Clock, extra: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::to_value(clock.provenance(threads)).unwrap_or_default();
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

/// Runs the sweep `args`: loads and checks the sweep file, refuses a resume whose finished points
/// do not match, runs the remaining points (each logged as it finishes, so a kill loses at most
/// the points in flight), then writes the analysis, charts and manifest, or for a shard its
/// points and manifest.
pub fn sweep(args: &SweepJob, progress: &dyn Progress) -> Result<SweepReport> {
    let clock = Clock::start();
    let sweep = spec::load(&args.sweep)?;
    // With --shard (even 0/1) the directory is a shard for `merge`; without, a complete sweep.
    let sharded = args.shard.is_some();
    let shard = match &args.shard {
        Some(t) => parse_shard(t)?,
        None => Shard::ALL,
    };
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(&sweep.name));
    check_out_dir(&out)?;
    let threads = thread_count(args.threads)?;
    let workers = Workers::new(threads)?;
    let sweep_hash = output::hash_hex(sweep.canonical_text().as_bytes());
    let points: Vec<usize> = shard.indices(sweep.points() as u64).map(|p| p as usize).collect();

    let param_names: Vec<String> = sweep.parameters.iter().map(|p| p.name.clone()).collect();
    let outcome_names: Vec<String> = sweep.outcomes.iter().map(|o| o.spec.name.clone()).collect();
    let header = points_header(&param_names, &outcome_names);
    let state =
        PartialState { sweep_hash: sweep_hash.clone(), shard: if sharded { shard.to_string() } else { "all".into() } };

    if args.resume && out.join(MANIFEST_FILE).exists() && !out.join(output::sweep::POINTS_PARTIAL_FILE).exists() {
        if let Ok(m) = SweepManifest::read(&out) {
            if m.sweep_hash == sweep_hash && m.shard == sharded.then_some(ShardInfo { k: shard.k(), n: shard.n() }) {
                return Ok(SweepReport { out, written: Vec::new(), seconds: clock.elapsed_s(), complete_before: true });
            }
        }
    }
    let (mut log, done) = PointsLog::open(&out, &header, &state, args.resume)?;
    if done.as_slice() != &points[..done.len().min(points.len())] {
        return Err(usage(format!(
            "{}: the finished points do not match this sweep's order; drop --resume to start over",
            out.join(output::sweep::POINTS_PARTIAL_FILE).display()
        )));
    }
    let reps = sweep.replicates;
    let total = points.len() as u64 * reps;
    {
        let shard_text = if sharded { format!(" (shard {shard}: {} of them)", points.len()) } else { String::new() };
        let resumed = if done.is_empty() { String::new() } else { format!("; resuming after {} finished", done.len()) };
        progress.note(&format!(
            "sweep {:?}: {} design, {} points{shard_text} x {reps} replicates, {} outcomes{resumed}",
            sweep.name,
            sweep.design.name(),
            sweep.points(),
            sweep.outcomes.len()
        ));
    }
    progress.start(total, "point-replicates");
    let base = done.len() as u64 * reps;
    progress.advance(base);
    run_points(&sweep, &points[done.len()..], &workers, &mut |r| log.append(&r), &mut |n| progress.advance(base + n))?;
    progress.finish();
    log.finish()?;

    let manifest = SweepManifest {
        kind: if sharded { "sweep-shard".into() } else { "sweep".into() },
        engine: "zeromile".into(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        sweep_hash,
        shard: sharded.then_some(ShardInfo { k: shard.k(), n: shard.n() }),
        points_total: sweep.points(),
        points_here: points.len(),
        seed_derivation: format!(
            "replicate r of every point uses replicate key splitmix-hash(sweep seed, r) (common random numbers \
             across points); {}",
            engine::seed::DERIVATION
        ),
        sweep: sweep_info(&sweep),
        files: vec![POINTS_FILE.into()],
        provenance: provenance(workers.threads(), &clock, serde_json::json!({})),
    };
    let written = if sharded {
        manifest.write(&out)?;
        vec![POINTS_FILE.to_string(), MANIFEST_FILE.to_string()]
    } else {
        finish(&out, manifest, !args.plots)?
    };
    Ok(SweepReport { out, written, seconds: clock.elapsed_s(), complete_before: false })
}

/// Writes the analysis, charts and manifest of a complete sweep directory whose `points.csv`
/// is in place. Shared by `sweep` and `merge`, so both write the same bytes.
pub fn finish(out: &Path, mut manifest: SweepManifest, no_plots: bool) -> Result<Vec<String>> {
    let plan = manifest.sweep.plan.clone();
    let mut files = vec![POINTS_FILE.to_string()];
    let sens = out.join(SENSITIVITY_FILE);
    if plan.has_indices() {
        let table = PointsTable::read(&out.join(POINTS_FILE))?;
        let means = table.means(&plan.outcomes)?;
        let rows = analysis::analyse(&plan, &means);
        output::sweep::write_sensitivity(&sens, &rows)?;
        files.push(SENSITIVITY_FILE.into());
    } else {
        remove_stale(&sens)?;
    }
    // The charts are drawn from the files, so they read the manifest: write it first, then
    // rewrite it with the chart files listed (a failed drawing leaves a complete data directory).
    manifest.files = files.clone();
    manifest.write(out)?;
    if !no_plots {
        let plots = crate::plot::sweep::render(out).map_err(|e| {
            e.context(format!(
                "drawing sweep charts (the data files are complete; `zeromile plot {}` retries)",
                out.display()
            ))
        })?;
        files.extend(plots.iter().filter_map(|p| p.strip_prefix(out).ok()).map(|p| p.display().to_string()));
        manifest.files = files.clone();
        manifest.write(out)?;
    }
    files.push(MANIFEST_FILE.into());
    Ok(files)
}

/// `zeromile merge` for sweep shards: checks that the shards belong to one sweep and cover it,
/// then writes what the unsharded sweep writes.
pub fn merge_sweeps(dirs: &[PathBuf], out: &Path, plots: bool) -> Result<SweepMergeReport> {
    let clock = Clock::start();
    let mut shards: Vec<(SweepManifest, &PathBuf)> = Vec::new();
    for d in dirs {
        let m = SweepManifest::read(d)?;
        if m.kind != "sweep-shard" || m.shard.is_none() {
            return Err(usage(format!("{}: not a sweep shard (kind {:?})", d.display(), m.kind)));
        }
        shards.push((m, d));
    }
    let Some((first, first_dir)) = shards.first().cloned() else {
        return Err(usage("merge: no shard directories given"));
    };
    let n = first.shard.map_or(1, |s| s.n);
    let mut seen: Vec<Option<&PathBuf>> = vec![None; n as usize];
    for (m, d) in &shards {
        let what = if m.engine_version != first.engine_version {
            Some(format!("engine version {} vs {}", m.engine_version, first.engine_version))
        } else if m.sweep_hash != first.sweep_hash {
            Some(format!("sweep {} vs {} (another sweep file, base scenario or seed)", m.sweep_hash, first.sweep_hash))
        } else if m.shard.map(|s| s.n) != Some(n) {
            Some(format!("N = {} vs {n}", m.shard.map_or(0, |s| s.n)))
        } else {
            None
        };
        if let Some(w) = what {
            return Err(usage(format!("{} and {} are not shards of one sweep: {w}", d.display(), first_dir.display())));
        }
        let k = m.shard.map_or(0, |s| s.k) as usize;
        if let Some(other) = seen[k] {
            return Err(usage(format!("shard {k}/{n} given twice: {} and {}", other.display(), d.display())));
        }
        seen[k] = Some(d);
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(k, _)| k.to_string()).collect();
    if !missing.is_empty() {
        return Err(usage(format!(
            "missing shards: {} of {n}; rerun them (e.g. sbatch --array={}) and merge again",
            missing.join(", "),
            missing.join(",")
        )));
    }
    let mut header: Option<String> = None;
    let mut rows: Vec<(usize, String)> = Vec::new();
    for (m, d) in &shards {
        let t = PointsTable::read(&d.join(POINTS_FILE))?;
        if header.as_ref().is_some_and(|h| *h != t.header) {
            return Err(usage(format!("{}: points.csv header differs from the other shards'", d.display())));
        }
        if t.rows.len() != m.points_here {
            return Err(usage(format!(
                "{}: points.csv has {} rows, its manifest says {}",
                d.display(),
                t.rows.len(),
                m.points_here
            )));
        }
        header = Some(t.header);
        rows.extend(t.rows);
    }
    rows.sort_by_key(|r| r.0);
    if rows.len() != first.points_total || rows.iter().enumerate().any(|(i, r)| r.0 != i) {
        return Err(usage(format!(
            "the shards' points do not cover 0..{} exactly once; rerun the shards",
            first.points_total
        )));
    }
    create_out_dir(out)?;
    remove_stale(&out.join(MANIFEST_FILE))?;
    let table = PointsTable { header: header.unwrap_or_default(), rows };
    table.write(&out.join(POINTS_FILE))?;
    let merged_from: Vec<String> = shards.iter().map(|(_, d)| d.display().to_string()).collect();
    let manifest = SweepManifest {
        kind: "sweep".into(),
        shard: None,
        points_here: first.points_total,
        files: Vec::new(),
        provenance: provenance(0, &clock, serde_json::json!({ "merged_from": merged_from })),
        ..first
    };
    let written = finish(out, manifest, !plots)?;
    Ok(SweepMergeReport { shards: n, written, seconds: clock.elapsed_s() })
}
