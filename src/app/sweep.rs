//! The `sweep` job and the sweep half of `merge`: a parameter sweep's points (resumable,
//! shardable), its sensitivity analysis, charts and manifest.

use super::outdir::{check_out_dir, OutDir};
use super::{parse_shard, publish_drawn, thread_count, usage, Clock, PlotReport, Progress};
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
    /// Data files published, relative to `out` (the manifest last); empty when nothing was left
    /// to do.
    pub written: Vec<String>,
    /// The charts and report drawn, when asked for.
    pub plots: Option<PlotReport>,
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
    /// Data files published, relative to the output directory (the manifest last).
    pub written: Vec<String>,
    /// The charts and report drawn, when asked for.
    pub plots: Option<PlotReport>,
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

    let this_shard = sharded.then_some(ShardInfo { k: shard.k(), n: shard.n() });
    let mut dir = OutDir::lock(&out)?;
    let resuming = args.resume && dir.stage().join(output::sweep::PARTIAL_STATE_FILE).is_file();
    if args.resume && !resuming && staged_complete(dir.stage(), &sweep_hash, this_shard) {
        // Stopped after the points were done (while drawing or publishing): publish them.
        dir.resume_stage()?;
        dir.keep_stage_on_failure();
        progress.note(&format!("sweep {:?}: all points were done; publishing them", sweep.name));
        let (published, plots) = publish_drawn(dir, MANIFEST_FILE, args.plots && !sharded)?;
        let written = relative(&out, &published);
        return Ok(SweepReport { out, written, plots, seconds: clock.elapsed_s(), complete_before: false });
    }
    if args.resume && !resuming && super::outdir::MARKERS.iter().any(|m| out.join(m).exists()) {
        finished_here(&out, &sweep_hash, this_shard)?;
        dir.discard_stage();
        return Ok(SweepReport {
            out,
            written: Vec::new(),
            plots: None,
            seconds: clock.elapsed_s(),
            complete_before: true,
        });
    }
    let stage = if resuming { dir.resume_stage()? } else { dir.fresh_stage()? }.to_path_buf();
    dir.keep_stage_on_failure();
    let (mut log, done) = PointsLog::open(&stage, &header, &state, resuming)?;
    if done.as_slice() != &points[..done.len().min(points.len())] {
        return Err(usage(format!(
            "{}: the finished points do not match this sweep's order; drop --resume to start over",
            out.display()
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
    let points_sum = log.finish()?;

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
        checksums: [(POINTS_FILE.to_string(), points_sum)].into(),
        provenance: provenance(workers.threads(), &clock, serde_json::json!({})),
    };
    if sharded {
        manifest.write(&stage)?;
    } else {
        finish(&stage, manifest)?;
    }
    let (published, plots) = publish_drawn(dir, MANIFEST_FILE, args.plots && !sharded)?;
    let written = relative(&out, &published);
    Ok(SweepReport { out, written, plots, seconds: clock.elapsed_s(), complete_before: false })
}

/// `--resume` into `out`, which holds a finished result and no interrupted sweep: fine when it
/// is this sweep and shard (nothing to do), refused for anything else, which `--resume` would
/// otherwise replace.
fn finished_here(out: &Path, sweep_hash: &str, shard: Option<ShardInfo>) -> Result<()> {
    let what = match SweepManifest::read(out) {
        Ok(m) if m.sweep_hash == sweep_hash && m.shard == shard => {
            return output::verify_files(out, &m.checksums).map_err(|e| {
                e.context(format!(
                    "--resume: {} holds this sweep, damaged; drop --resume to run it again",
                    out.display()
                ))
            });
        }
        Ok(m) => format!(
            "{} {}{}",
            m.kind,
            m.sweep.name,
            m.shard.map_or_else(|| " (all points)".to_string(), |s| format!(" (shard {}/{})", s.k, s.n))
        ),
        Err(_) if out.join(crate::output::calibration::CALIBRATION_MANIFEST).is_file() => "calibration".to_string(),
        Err(_) => {
            format!("{} directory", output::manifest_kind(out).ok().flatten().unwrap_or_else(|| "another".into()))
        }
    };
    Err(usage(format!(
        "--resume: {} holds a finished {what}, not this sweep{}; --resume only continues the same sweep and \
         shard: drop --resume to replace it, or choose another --out",
        out.display(),
        shard.map_or_else(String::new, |s| format!(" shard {}/{}", s.k, s.n))
    )))
}

/// Whether `stage` holds this sweep's (and shard's) complete result: its manifest, with every
/// file it checksums intact (a stop while drawing or publishing, before the stage was emptied).
fn staged_complete(stage: &Path, sweep_hash: &str, shard: Option<ShardInfo>) -> bool {
    SweepManifest::read(stage).is_ok_and(|m| {
        m.sweep_hash == sweep_hash
            && m.shard == shard
            && !m.checksums.is_empty()
            && m.files.iter().filter(|f| !crate::plot::is_drawn_file(f)).all(|f| stage.join(f).is_file())
            && output::verify_files(stage, &m.checksums).is_ok()
    })
}

/// `paths` relative to `dir`, as `/`-separated text.
fn relative(dir: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths.iter().filter_map(|p| p.strip_prefix(dir).ok()).map(|p| p.display().to_string()).collect()
}

/// Writes the analysis, `metrics.csv` (the metrics of the outcomes) and manifest of a complete sweep directory (a staging directory) whose
/// `points.csv` is in place. Shared by `sweep` and `merge`, so both write the same bytes; the
/// charts are drawn when it is published.
pub fn finish(stage: &Path, mut manifest: SweepManifest) -> Result<()> {
    let plan = manifest.sweep.plan.clone();
    let mut files = vec![POINTS_FILE.to_string()];
    let sens = stage.join(SENSITIVITY_FILE);
    if plan.has_indices() {
        let table = PointsTable::read(&stage.join(POINTS_FILE))?;
        let means = table.means(&plan.outcomes)?;
        let rows = analysis::analyse(&plan, &means);
        output::sweep::write_sensitivity(&sens, &rows)?;
        files.push(SENSITIVITY_FILE.into());
    }
    let metrics = manifest.sweep.outcomes.iter().map(|o| (o.metric.as_str(), ""));
    output::write_metrics_file(stage, metrics)?;
    files.push(output::METRICS_FILE.into());
    manifest.files = files;
    manifest.write(stage)?;
    Ok(())
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
        let t = PointsTable::read_shard(d, m)?;
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
    let mut dir = OutDir::lock(out)?;
    let stage = dir.fresh_stage()?.to_path_buf();
    let table = PointsTable { header: header.unwrap_or_default(), rows };
    table.write(&stage.join(POINTS_FILE))?;
    let merged_from: Vec<String> = shards.iter().map(|(_, d)| d.display().to_string()).collect();
    let manifest = SweepManifest {
        kind: "sweep".into(),
        shard: None,
        points_here: first.points_total,
        files: Vec::new(),
        checksums: [(POINTS_FILE.to_string(), table.checksum())].into(),
        provenance: provenance(0, &clock, serde_json::json!({ "merged_from": merged_from })),
        ..first
    };
    finish(&stage, manifest)?;
    let (published, plots) = publish_drawn(dir, MANIFEST_FILE, plots)?;
    Ok(SweepMergeReport { shards: n, written: relative(out, &published), plots, seconds: clock.elapsed_s() })
}
