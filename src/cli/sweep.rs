//! `zeromile sweep` and the sweep half of `zeromile merge`.

use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

use zeromile::engine::Shard;
use zeromile::engine::{self, Workers};
use zeromile::output::sweep::{
    points_header, PartialState, PointsLog, PointsTable, ShardInfo, SweepManifest, POINTS_FILE, SENSITIVITY_FILE,
};
use zeromile::output::{self, MANIFEST_FILE};
use zeromile::sweep::analysis::{self, Plan};
use zeromile::sweep::run::run_points;
use zeromile::sweep::spec::{self, Sweep};

use super::{progress_bar_with, thread_count, BadInput};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML: `[sweep]`, `[[parameters]]`, `[[outcomes]]`; see docs/sweeps.md).
    sweep: PathBuf,
    /// Output directory (default: `out/<sweep name>`).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores; `SLURM_CPUS_PER_TASK` when set).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Finish an interrupted sweep in the same directory: keep its finished points, run the rest.
    #[arg(long)]
    resume: bool,
    /// Run only shard K of N (points with index mod N = K); `auto/N` reads K from
    /// `SLURM_ARRAY_TASK_ID`. Combine shard directories with `zeromile merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip the charts (`plots/`).
    #[arg(long)]
    no_plots: bool,
}

/// Whether `path` is a sweep file: TOML with a top-level `[sweep]` table. Unreadable or invalid
/// files are not (the scenario loader then reports what is wrong with them).
pub fn is_sweep_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
        .is_some_and(|t| t.get("sweep").is_some_and(toml::Value::is_table))
}

/// The `sweep` object of the manifest: everything about the sweep a reader (or `merge`) needs.
fn sweep_json(s: &Sweep) -> serde_json::Value {
    use serde_json::json;
    let parameters: Vec<serde_json::Value> = s
        .parameters
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "path": p.paths[0],
                "paths": p.paths,
                "low": p.factor.low,
                "high": p.factor.high,
                "scale": match p.factor.scale { zeromile::sweep::design::Scale::Linear => "linear", zeromile::sweep::design::Scale::Log => "log" },
                "levels": p.factor.levels,
                "integer": p.factor.integer,
            })
        })
        .collect();
    let outcomes: Vec<serde_json::Value> = s
        .outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.spec.name,
                "metric": o.spec.metric,
                "window": o.spec.window.describe(),
                "from": o.spec.window.from.map(|d| d.to_string()),
                "to": o.spec.window.to.map(|d| d.to_string()),
                "aggregation": o.spec.aggregation.name(),
                "unit": o.unit,
                "label": o.label(),
            })
        })
        .collect();
    json!({
        "name": s.name,
        "source": s.source.display().to_string(),
        "base": s.base_source,
        "base_scenario": s.base.name,
        "base_hash": output::hash_hex(s.base.canonical_text().as_bytes()),
        "set": s.set,
        "design": s.design.name(),
        "points": s.points(),
        "replicates": s.replicates,
        "seed": s.seed,
        "parameters": parameters,
        "outcomes": outcomes,
        "plan": serde_json::to_value(Plan::of(s)).unwrap_or_default(),
    })
}

fn provenance(threads: usize, started: Instant, extra: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::json!({
        "threads": threads,
        "wall_time_s": started.elapsed().as_secs_f64(),
        "started_unix_s": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "command": std::env::args().collect::<Vec<_>>(),
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

pub fn sweep_cmd(args: SweepArgs) -> Result<()> {
    let started = Instant::now();
    let sweep = spec::load(&args.sweep)?;
    // With --shard (even 0/1) the directory is a shard for `merge`; without, a complete sweep.
    let sharded = args.shard.is_some();
    let shard = match &args.shard {
        Some(t) => super::parse_shard(t)?,
        None => Shard::ALL,
    };
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(&sweep.name));
    if out.exists() && !out.is_dir() {
        return Err(BadInput(format!("--out {} exists and is not a directory", out.display())).into());
    }
    let threads = thread_count(args.threads);
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
                if !args.quiet {
                    eprintln!("{}: already complete, nothing to resume", out.display());
                }
                return Ok(());
            }
        }
    }
    let (mut log, done) = PointsLog::open(&out, &header, &state, args.resume)?;
    if done.as_slice() != &points[..done.len().min(points.len())] {
        return Err(BadInput(format!(
            "{}: the finished points do not match this sweep's order; drop --resume to start over",
            out.join(output::sweep::POINTS_PARTIAL_FILE).display()
        ))
        .into());
    }
    let reps = sweep.replicates;
    let total = points.len() as u64 * reps;
    if !args.quiet {
        let shard_text = if sharded { format!(" (shard {shard}: {} of them)", points.len()) } else { String::new() };
        let resumed = if done.is_empty() { String::new() } else { format!("; resuming after {} finished", done.len()) };
        eprintln!(
            "sweep {:?}: {} design, {} points{shard_text} x {reps} replicates, {} outcomes{resumed}",
            sweep.name,
            sweep.design.name(),
            sweep.points(),
            sweep.outcomes.len()
        );
    }
    let bar = progress_bar_with(total, args.quiet, "point-replicates");
    bar.set_position(done.len() as u64 * reps);
    let base = done.len() as u64 * reps;
    run_points(&sweep, &points[done.len()..], &workers, &mut |r| log.append(&r), &mut |n| bar.set_position(base + n))?;
    bar.finish_and_clear();
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
        sweep: sweep_json(&sweep),
        files: vec![POINTS_FILE.into()],
        provenance: provenance(workers.threads(), started, serde_json::json!({})),
    };
    let written = if sharded {
        manifest.write(&out)?;
        vec![POINTS_FILE.to_string(), MANIFEST_FILE.to_string()]
    } else {
        finish(&out, manifest, args.no_plots)?
    };
    if !args.quiet {
        eprintln!("swept in {:.1}s -> {}/{{{}}}", started.elapsed().as_secs_f64(), out.display(), written.join(","));
    }
    Ok(())
}

/// Writes the analysis, charts and manifest of a complete sweep directory whose `points.csv`
/// is in place. Shared by `sweep` and `merge`, so both write the same bytes.
fn finish(out: &Path, mut manifest: SweepManifest, no_plots: bool) -> Result<Vec<String>> {
    let plan: Plan = serde_json::from_value(manifest.sweep["plan"].clone())
        .map_err(|e| BadInput(format!("{}: sweep manifest without a readable plan: {e}", out.display())))?;
    let mut files = vec![POINTS_FILE.to_string()];
    let sens = out.join(SENSITIVITY_FILE);
    if plan.has_indices() {
        let table = PointsTable::read(&out.join(POINTS_FILE))?;
        let means = table.means(&plan.outcomes)?;
        let rows = analysis::analyse(&plan, &means);
        output::sweep::write_sensitivity(&sens, &rows)?;
        files.push(SENSITIVITY_FILE.into());
    } else if sens.exists() {
        std::fs::remove_file(&sens).with_context(|| format!("removing {}", sens.display()))?;
    }
    // The charts are drawn from the files, so they read the manifest: write it first, then
    // rewrite it with the chart files listed (a failed drawing leaves a complete data directory).
    manifest.files = files.clone();
    manifest.write(out)?;
    if !no_plots {
        let plots = zeromile::plot::sweep::render(out).with_context(|| {
            format!("drawing sweep charts (the data files are complete; `zeromile plot {}` retries)", out.display())
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
pub fn merge_sweep(dirs: &[PathBuf], out: &Path, quiet: bool, no_plots: bool) -> Result<()> {
    let started = Instant::now();
    let mut shards: Vec<(SweepManifest, &PathBuf)> = Vec::new();
    for d in dirs {
        let m = SweepManifest::read(d)?;
        if m.kind != "sweep-shard" || m.shard.is_none() {
            return Err(BadInput(format!("{}: not a sweep shard (kind {:?})", d.display(), m.kind)).into());
        }
        shards.push((m, d));
    }
    let Some((first, first_dir)) = shards.first().cloned() else {
        return Err(BadInput("merge: no shard directories given".into()).into());
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
            return Err(BadInput(format!(
                "{} and {} are not shards of one sweep: {w}",
                d.display(),
                first_dir.display()
            ))
            .into());
        }
        let k = m.shard.map_or(0, |s| s.k) as usize;
        if let Some(other) = seen[k] {
            return Err(BadInput(format!("shard {k}/{n} given twice: {} and {}", other.display(), d.display())).into());
        }
        seen[k] = Some(d);
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(k, _)| k.to_string()).collect();
    if !missing.is_empty() {
        return Err(BadInput(format!(
            "missing shards: {} of {n}; rerun them (e.g. sbatch --array={}) and merge again",
            missing.join(", "),
            missing.join(",")
        ))
        .into());
    }
    let mut header: Option<String> = None;
    let mut rows: Vec<(usize, String)> = Vec::new();
    for (m, d) in &shards {
        let t = PointsTable::read(&d.join(POINTS_FILE))?;
        if header.as_ref().is_some_and(|h| *h != t.header) {
            return Err(BadInput(format!("{}: points.csv header differs from the other shards'", d.display())).into());
        }
        if t.rows.len() != m.points_here {
            return Err(BadInput(format!(
                "{}: points.csv has {} rows, its manifest says {}",
                d.display(),
                t.rows.len(),
                m.points_here
            ))
            .into());
        }
        header = Some(t.header);
        rows.extend(t.rows);
    }
    rows.sort_by_key(|r| r.0);
    if rows.len() != first.points_total || rows.iter().enumerate().any(|(i, r)| r.0 != i) {
        return Err(BadInput(format!(
            "the shards' points do not cover 0..{} exactly once; rerun the shards",
            first.points_total
        ))
        .into());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let manifest_path = out.join(MANIFEST_FILE);
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).with_context(|| format!("removing {}", manifest_path.display()))?;
    }
    let table = PointsTable { header: header.unwrap_or_default(), rows };
    table.write(&out.join(POINTS_FILE))?;
    let merged_from: Vec<String> = shards.iter().map(|(_, d)| d.display().to_string()).collect();
    let manifest = SweepManifest {
        kind: "sweep".into(),
        shard: None,
        points_here: first.points_total,
        files: Vec::new(),
        provenance: provenance(0, started, serde_json::json!({ "merged_from": merged_from })),
        ..first
    };
    let written = finish(out, manifest, no_plots)?;
    if !quiet {
        eprintln!(
            "merged {n} shards in {:.1}s -> {}/{{{}}}",
            started.elapsed().as_secs_f64(),
            out.display(),
            written.join(",")
        );
    }
    Ok(())
}
