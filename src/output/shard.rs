//! Shard directories of a Monte Carlo run: writing one (`zeromile run --shard K/N`), and reading
//! a complete set back in replicate order (`zeromile merge`).
//!
//! A shard directory holds:
//!
//! - `replicates.bin`: the shard's raw trajectories, lossless. The 8 bytes `ZMSHARD1`, then one
//!   record per replicate of the shard in increasing replicate order: the replicate index as a
//!   little-endian `u64`, then for each scenario in run order its `months × metrics` values as
//!   little-endian IEEE-754 `f64`, month by month (the layout of a `Trajectory`'s values).
//!   Every record has the same length, so record j of shard K (replicate `K + j·N`) sits at a
//!   known offset.
//! - `scenario-<i>.toml`: scenario i's canonical TOML, whose FNV-1a hash is the manifest's; the
//!   merge rebuilds the output shape from it and checks the hash.
//! - `manifest.json`, written last: a [`Manifest`] of kind [`KIND_RUN_SHARD`] with
//!   [`ShardInfo`] `{k, n, trajectories}`.
//!
//! Statistics are not computed per shard: the quantile sketches depend on the order values
//! arrive in, so the merge replays every replicate in increasing order into one
//! [`MonteCarloStats`](super::MonteCarloStats), exactly as the unsharded run does.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::engine::Shard;
use crate::error::{Error, Result};
use crate::model::metrics::Trajectory;
use crate::scenario;

use super::atomic::AtomicFile;
use super::dir::MANIFEST_FILE;
use super::manifest::{hash_hex, Manifest, Provenance, ShardInfo, KIND_RUN, KIND_RUN_SHARD};
use super::series::ScenarioSeries;

/// The raw replicate data of a shard directory.
pub const REPLICATES_FILE: &str = "replicates.bin";
/// First bytes of [`REPLICATES_FILE`] (format version 1).
const MAGIC: &[u8; 8] = b"ZMSHARD1";

/// Name of the file holding scenario `i`'s canonical TOML in a shard directory.
pub fn scenario_file(i: usize) -> String {
    format!("scenario-{i}.toml")
}

/// Bytes of one record of [`REPLICATES_FILE`] for these scenarios.
fn record_len(series: &[ScenarioSeries]) -> u64 {
    8 + series.iter().map(|s| 8 * (s.dates.len() * s.metrics.len()) as u64).sum::<u64>()
}

/// Streams a shard's replicates into [`REPLICATES_FILE`] (through an [`AtomicFile`]).
#[derive(Debug)]
pub struct ShardWriter {
    file: AtomicFile,
    series: Vec<ScenarioSeries>,
    /// Replicates the file must hold, in order; checked as they arrive.
    expected: std::iter::Peekable<std::vec::IntoIter<u64>>,
}

impl ShardWriter {
    /// Starts `dir/replicates.bin` for `shard` of a run of `replicates` replicates of `series`.
    pub fn create(dir: &Path, series: &[ScenarioSeries], shard: Shard, replicates: u64) -> Result<ShardWriter> {
        let mut file = AtomicFile::create(dir.join(REPLICATES_FILE))?;
        file.write_all(MAGIC).map_err(|e| Error::io(file.path(), e))?;
        let expected: Vec<u64> = shard.indices(replicates).collect();
        Ok(ShardWriter { file, series: series.to_vec(), expected: expected.into_iter().peekable() })
    }

    /// Appends replicate `replicate` (`trajs[s]` belongs to scenario `s`).
    ///
    /// # Panics
    ///
    /// If replicates arrive out of order, outside the shard, or with the wrong shape: a bug in
    /// the caller.
    pub fn write_replicate(&mut self, replicate: u64, trajs: &[Trajectory]) -> Result<()> {
        assert_eq!(self.expected.next(), Some(replicate), "shard replicates must arrive in order");
        assert_eq!(trajs.len(), self.series.len(), "one trajectory per scenario expected");
        let mut buf = Vec::with_capacity(record_len(&self.series) as usize);
        buf.extend_from_slice(&replicate.to_le_bytes());
        for (series, traj) in self.series.iter().zip(trajs) {
            series.assert_fits(traj);
            for v in &traj.values {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.file.write_all(&buf).map_err(|e| Error::io(self.file.path(), e))
    }

    /// Checks every replicate of the shard was written and commits the file; returns its path.
    pub fn finish(mut self) -> Result<PathBuf> {
        if let Some(r) = self.expected.peek() {
            return Err(Error::Usage(format!("{}: replicate {r} was never written", self.file.path().display())));
        }
        self.file.commit()
    }
}

/// Writes the rest of a shard directory after [`ShardWriter::finish`]: each scenario's
/// canonical TOML (`texts[i]` to [`scenario_file`]`(i)`), then `manifest.json` last. Returns
/// the paths written, manifest last.
pub fn write_shard_outputs(dir: &Path, texts: &[String], manifest: &Manifest) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let mut file = AtomicFile::create(dir.join(scenario_file(i)))?;
        file.write_all(text.as_bytes()).map_err(|e| Error::io(file.path(), e))?;
        written.push(file.commit()?);
    }
    let mut file = AtomicFile::create(dir.join(MANIFEST_FILE))?;
    let text = manifest.to_json()?;
    file.write_all(text.as_bytes()).map_err(|e| Error::io(file.path(), e))?;
    written.push(file.commit()?);
    Ok(written)
}

/// The `kind` of the manifest in `dir`: `Ok(None)` when there is no `manifest.json` (a shard
/// that did not finish, or not an output directory). A manifest without `kind` is an older
/// run directory ([`KIND_RUN`]).
pub fn manifest_kind(dir: &Path) -> Result<Option<String>> {
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: not a zeromile manifest (expected JSON): {e}", path.display())))?;
    match value.get("kind") {
        None => Ok(Some(KIND_RUN.to_string())),
        Some(serde_json::Value::String(k)) => Ok(Some(k.clone())),
        Some(other) => Err(Error::Usage(format!("{}: `kind` should be a string, found {other}", path.display()))),
    }
}

/// A complete, consistent set of run shards, ready to replay.
#[derive(Debug, Clone)]
pub struct RunShards {
    /// Shard 0's manifest: what every shard agrees on.
    manifest: Manifest,
    /// Shard directories, shard K at index K.
    dirs: Vec<PathBuf>,
    /// Each shard's provenance, shard K at index K.
    provenance: Vec<Provenance>,
}

/// Message tail telling the user how to rerun shards of the same split.
fn resubmit_hint(missing: &[u64], n: u64) -> String {
    let list: Vec<String> = missing.iter().map(u64::to_string).collect();
    format!(
        "missing shards: {} of {n}; rerun them with the same N (Slurm: sbatch --array={} SCRIPT; \
         by hand: zeromile run ... --shard K/{n}), then merge again",
        list.join(", "),
        list.join(",")
    )
}

impl RunShards {
    /// Reads the manifests of `dirs` and checks they form one complete run: every directory is
    /// a finished shard of kind [`KIND_RUN_SHARD`], all agree on engine version, seed, seed
    /// derivation, replicate count, N, `--trajectories` and scenarios (names, sources,
    /// overrides, hashes), and every K in `0..N` occurs exactly once. Otherwise
    /// [`Error::Usage`], naming the directories, the field that differs, or the missing K.
    pub fn read(dirs: &[PathBuf]) -> Result<RunShards> {
        if dirs.is_empty() {
            return Err(Error::Usage("no shard directories given".into()));
        }
        let (shards, unfinished) = read_shard_manifests(dirs)?;
        let Some((first_dir, first, first_info)) = shards.first().cloned() else {
            return Err(Error::Usage(format!(
                "no finished shard among {} (no manifest.json: failed, still running or not shards)",
                unfinished.join(", ")
            )));
        };
        for (dir, m, info) in &shards[1..] {
            let differ = |what: &str, a: String, b: String| {
                Error::Usage(format!(
                    "{} and {} are not shards of one run: {what} differs ({a} vs {b}); all shards need the same \
                     scenarios, overrides, seed, replicates, N and engine version",
                    first_dir.display(),
                    dir.display()
                ))
            };
            let names = |m: &Manifest| m.scenarios.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(",");
            if m.engine != first.engine || m.engine_version != first.engine_version {
                return Err(differ(
                    "engine version",
                    format!("{} {}", first.engine, first.engine_version),
                    format!("{} {}", m.engine, m.engine_version),
                ));
            }
            if info.n != first_info.n {
                return Err(differ("shard count N", first_info.n.to_string(), info.n.to_string()));
            }
            if m.master_seed != first.master_seed {
                return Err(differ("master seed", first.master_seed.to_string(), m.master_seed.to_string()));
            }
            if m.replicates != first.replicates {
                return Err(differ("replicates", first.replicates.to_string(), m.replicates.to_string()));
            }
            if names(m) != names(&first) {
                return Err(differ("scenario list", names(&first), names(m)));
            }
            for (a, b) in first.scenarios.iter().zip(&m.scenarios) {
                if a.hash != b.hash {
                    return Err(differ(&format!("scenario {:?} hash", a.name), a.hash.clone(), b.hash.clone()));
                }
                if a.source != b.source || a.overrides != b.overrides {
                    return Err(differ(
                        &format!("scenario {:?} source or overrides", a.name),
                        format!("{} {:?}", a.source, a.overrides),
                        format!("{} {:?}", b.source, b.overrides),
                    ));
                }
            }
            if info.trajectories != first_info.trajectories {
                return Err(differ(
                    "--trajectories",
                    first_info.trajectories.to_string(),
                    info.trajectories.to_string(),
                ));
            }
            if m.seed_derivation != first.seed_derivation || m.scenarios != first.scenarios {
                return Err(differ("seed derivation or resolved scenarios", "shard 0".into(), "this shard".into()));
            }
        }
        let n = first_info.n;
        let mut slots: Vec<Option<(PathBuf, Provenance)>> = vec![None; usize::try_from(n).unwrap_or(usize::MAX)];
        for (dir, m, info) in shards {
            let Some(slot) = slots.get_mut(info.k as usize) else {
                return Err(Error::Usage(format!("{}: shard {}/{} is out of range", dir.display(), info.k, info.n)));
            };
            if let Some((other, _)) = slot {
                return Err(Error::Usage(format!(
                    "shard {}/{n} given twice: {} and {} (pass each shard directory once)",
                    info.k,
                    other.display(),
                    dir.display()
                )));
            }
            *slot = Some((dir, m.provenance));
        }
        let missing: Vec<u64> = (0..n).filter(|&k| slots[k as usize].is_none()).collect();
        if !missing.is_empty() {
            let mut msg = resubmit_hint(&missing, n);
            if !unfinished.is_empty() {
                msg.push_str(&format!("; without manifest.json (failed or unfinished): {}", unfinished.join(", ")));
            }
            return Err(Error::Usage(msg));
        }
        if !unfinished.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no manifest.json, so not a finished shard (every shard 0..{n} is present without it; \
                 leave it out)",
                unfinished.join(", ")
            )));
        }
        let (dirs, provenance): (Vec<PathBuf>, Vec<Provenance>) = slots.into_iter().flatten().unzip();
        Ok(RunShards { manifest: first, dirs, provenance })
    }

    /// The manifest of the merged run: shard 0's, as kind [`KIND_RUN`], without shard, with
    /// `files` empty (the caller lists what it writes) and with `provenance`.
    pub fn run_manifest(&self, mut provenance: Provenance) -> Manifest {
        provenance.threads = self.provenance.iter().map(|p| p.threads).max().unwrap_or(0);
        provenance.shards = self.provenance.clone();
        Manifest { kind: KIND_RUN.into(), shard: None, files: Vec::new(), provenance, ..self.manifest.clone() }
    }

    /// True when the shards were run with `--trajectories`.
    pub fn trajectories(&self) -> bool {
        self.manifest.shard.is_some_and(|s| s.trajectories)
    }

    /// Replicates of the run (all shards together).
    pub fn replicates(&self) -> u64 {
        self.manifest.replicates
    }

    /// The shape of each scenario's output, rebuilt from shard 0's `scenario-<i>.toml` files,
    /// whose hashes must match the manifest.
    pub fn series(&self) -> Result<Vec<ScenarioSeries>> {
        let mut out = Vec::new();
        for (i, ms) in self.manifest.scenarios.iter().enumerate() {
            let path = self.dirs[0].join(scenario_file(i));
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            let s = scenario::from_str(&text, &[]).map_err(|e| {
                Error::Usage(format!("{}: not the canonical scenario of this shard: {e}", path.display()))
            })?;
            let hash = hash_hex(s.canonical_text().as_bytes());
            if hash != ms.hash || s.name != ms.name {
                return Err(Error::Usage(format!(
                    "{}: scenario {:?} with hash {hash}, but the manifest says {:?} with hash {} (the shard \
                     directory was modified; rerun shard 0)",
                    path.display(),
                    s.name,
                    ms.name,
                    ms.hash
                )));
            }
            out.push(ScenarioSeries::of(&s));
        }
        Ok(out)
    }

    /// Calls `f` with every replicate of the run, in increasing replicate order, read from the
    /// shards' [`REPLICATES_FILE`]s (one record in memory at a time). A file of the wrong size,
    /// format or content is [`Error::Usage`] naming it and the shard to rerun.
    pub fn replay(&self, series: &[ScenarioSeries], mut f: impl FnMut(u64, &[Trajectory]) -> Result<()>) -> Result<()> {
        let n = self.dirs.len() as u64;
        let rec = record_len(series);
        // Each shard's file is read front to back: replicate r is the next record of shard
        // r % N. Up to OPEN_LIMIT shards keep their file open; beyond that (large arrays) a file
        // is reopened at its offset for each record, so no file-descriptor limit is reached.
        const OPEN_LIMIT: usize = 64;
        let keep_open = self.dirs.len() <= OPEN_LIMIT;
        let mut files: Vec<ReplicateFile> = Vec::with_capacity(self.dirs.len());
        for (k, dir) in self.dirs.iter().enumerate() {
            let path = dir.join(REPLICATES_FILE);
            let bad = |why: String| {
                Error::Usage(format!("{}: {why}; rerun shard {k}/{n} (e.g. sbatch --array={k})", path.display()))
            };
            let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
            let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
            let count = Shard::new(k as u64, n)?.count(self.replicates());
            let want = MAGIC.len() as u64 + count * rec;
            if len != want {
                return Err(bad(format!(
                    "{len} bytes, expected {want} ({count} replicates of {rec} bytes after the header)"
                )));
            }
            let mut reader = BufReader::new(file);
            let mut magic = [0u8; 8];
            reader.read_exact(&mut magic).map_err(|e| Error::io(&path, e))?;
            if &magic != MAGIC {
                return Err(bad("not a zeromile replicate file (bad header)".into()));
            }
            let reader = if keep_open { Some(reader) } else { None };
            files.push(ReplicateFile { path, offset: MAGIC.len() as u64, reader });
        }
        let mut buf = vec![0u8; rec as usize];
        let mut trajs: Vec<Trajectory> = Vec::with_capacity(series.len());
        let mut row: Vec<f64> = Vec::new();
        for r in 0..self.replicates() {
            let file = &mut files[(r % n) as usize];
            file.read_record(&mut buf, keep_open)?;
            let path = &file.path;
            let mut words = buf.chunks_exact(8).map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                b
            });
            let found = words.next().map_or(u64::MAX, u64::from_le_bytes);
            if found != r {
                return Err(Error::Usage(format!(
                    "{}: holds replicate {found} where replicate {r} belongs; rerun shard {}/{n}",
                    path.display(),
                    r % n
                )));
            }
            let mut values = words.map(f64::from_le_bytes);
            trajs.clear();
            for s in series {
                let width = s.metrics.len();
                let mut t = Trajectory::new(width, s.dates.len());
                for date in &s.dates {
                    row.clear();
                    row.extend(values.by_ref().take(width));
                    t.push(*date, &row);
                }
                trajs.push(t);
            }
            f(r, &trajs)?;
        }
        Ok(())
    }
}

/// One shard's `replicates.bin` during a replay: the next record's offset, and the open reader
/// when files are kept open.
struct ReplicateFile {
    path: PathBuf,
    offset: u64,
    reader: Option<BufReader<File>>,
}

impl ReplicateFile {
    /// Reads the next record into `buf`; with `keep_open` false, opens the file for this read only.
    fn read_record(&mut self, buf: &mut [u8], keep_open: bool) -> Result<()> {
        let io_err = |e| Error::io(&self.path, e);
        let mut reader = match self.reader.take() {
            Some(r) => r,
            None => {
                let mut f = File::open(&self.path).map_err(io_err)?;
                f.seek(SeekFrom::Start(self.offset)).map_err(io_err)?;
                BufReader::new(f)
            }
        };
        reader.read_exact(buf).map_err(io_err)?;
        self.offset += buf.len() as u64;
        if keep_open {
            self.reader = Some(reader);
        }
        Ok(())
    }
}

/// A finished shard: its directory, manifest and shard.
type FinishedShard = (PathBuf, Manifest, ShardInfo);

/// Reads the manifest of every shard directory in `dirs`: the finished shards (directory,
/// manifest, shard) and the directories without a manifest yet. Anything that is not a run
/// shard is refused, naming the directory.
fn read_shard_manifests(dirs: &[PathBuf]) -> Result<(Vec<FinishedShard>, Vec<String>)> {
    let mut unfinished = Vec::new();
    let mut shards: Vec<FinishedShard> = Vec::new();
    for dir in dirs {
        let path = dir.join(MANIFEST_FILE);
        if !dir.is_dir() {
            return Err(Error::Usage(format!("{}: no such directory (expected a shard directory)", dir.display())));
        }
        if !path.is_file() {
            unfinished.push(dir.display().to_string());
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: not a zeromile shard manifest: {e}", path.display())))?;
        let foreign = |why: String| {
            Error::Usage(format!(
                "{}: {why}; merge takes the directories written by `zeromile run --shard K/N`",
                dir.display()
            ))
        };
        if m.kind == KIND_RUN {
            return Err(foreign("a finished run (kind \"run\"), not a shard".into()));
        }
        if m.kind != KIND_RUN_SHARD {
            return Err(foreign(format!("kind {:?}, expected {KIND_RUN_SHARD:?}", m.kind)));
        }
        let Some(info) = m.shard else {
            return Err(foreign("the manifest has no `shard` field".into()));
        };
        shards.push((dir.clone(), m, info));
    }
    Ok((shards, unfinished))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn canonical_text_round_trips_through_from_str() {
        let base = Scenario::default();
        let text = base.canonical_text();
        let back = scenario::from_str(&text, &[]).unwrap();
        assert_eq!(back.canonical_text(), text);
        assert_eq!(ScenarioSeries::of(&back), ScenarioSeries::of(&base));
    }

    /// Writes `n` shards of `total` synthetic replicates and replays them: every replicate comes
    /// back in order with its exact values, whether files stay open (few shards) or not (many).
    #[test]
    fn replay_returns_every_replicate_in_order() {
        use crate::model::metrics::{MetricKind, MetricSet};
        let series = vec![ScenarioSeries {
            name: "s".into(),
            metrics: MetricSet { names: vec!["a".into(), "b".into()], kinds: vec![MetricKind::Flow; 2], units: vec![] },
            dates: (1..=3).map(|m| crate::scenario::YearMonth::new(2024, m).unwrap()).collect(),
            pairing: crate::scenario::Scenario::default().pairing(),
        }];
        let traj = |r: u64| {
            let mut t = Trajectory::new(2, 3);
            for (i, d) in series[0].dates.iter().enumerate() {
                t.push(*d, &[r as f64 + 0.1 * i as f64, -(r as f64) / 3.0]);
            }
            t
        };
        let total = 150;
        for n in [3u64, 70] {
            let tmp = tempfile::tempdir().unwrap();
            let dirs: Vec<PathBuf> = (0..n).map(|k| tmp.path().join(format!("shard-{k}"))).collect();
            for (k, dir) in dirs.iter().enumerate() {
                std::fs::create_dir(dir).unwrap();
                let shard = Shard::new(k as u64, n).unwrap();
                let mut w = ShardWriter::create(dir, &series, shard, total).unwrap();
                for r in shard.indices(total) {
                    w.write_replicate(r, &[traj(r)]).unwrap();
                }
                w.finish().unwrap();
            }
            let mut manifest = crate::output::manifest::tests::sample();
            manifest.replicates = total;
            let shards = RunShards { manifest, dirs, provenance: vec![] };
            let mut seen = Vec::new();
            shards
                .replay(&series, |r, trajs| {
                    assert_eq!(trajs, [traj(r)]);
                    seen.push(r);
                    Ok(())
                })
                .unwrap();
            assert_eq!(seen, (0..total).collect::<Vec<_>>(), "{n} shards");
        }
    }

    #[test]
    fn resubmit_hint_lists_missing() {
        let hint = resubmit_hint(&[2, 5], 7);
        assert!(hint.starts_with("missing shards: 2, 5 of 7; "), "{hint}");
        assert!(hint.contains("--array=2,5 ") && hint.contains("--shard K/7"), "{hint}");
    }
}
