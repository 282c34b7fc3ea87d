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
use super::verify::{check_file, checksum_file, Checksummer, Checksums, FileChecksum};

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

/// Streams a shard's replicates into [`REPLICATES_FILE`] (through an [`AtomicFile`]), hashing
/// the bytes as they are written.
#[derive(Debug)]
pub struct ShardWriter {
    file: AtomicFile,
    series: Vec<ScenarioSeries>,
    /// Replicates the file must hold, in order; checked as they arrive.
    expected: std::iter::Peekable<std::vec::IntoIter<u64>>,
    /// Length and hash of the bytes written so far.
    sum: Checksummer,
}

impl ShardWriter {
    /// Starts `dir/replicates.bin` for `shard` of a run of `replicates` replicates of `series`.
    pub fn create(dir: &Path, series: &[ScenarioSeries], shard: Shard, replicates: u64) -> Result<ShardWriter> {
        let mut file = AtomicFile::create(dir.join(REPLICATES_FILE))?;
        file.write_all(MAGIC).map_err(|e| Error::io(file.path(), e))?;
        let mut sum = Checksummer::new();
        sum.update(MAGIC);
        let expected: Vec<u64> = shard.indices(replicates).collect();
        Ok(ShardWriter { file, series: series.to_vec(), expected: expected.into_iter().peekable(), sum })
    }

    /// Appends replicate `replicate` (`trajs[s]` belongs to scenario `s`).
    ///
    /// A non-finite value is refused (an error naming the replicate, scenario, month and
    /// metric): the model's metrics are always finite, so `merge` treats a non-finite value in
    /// a shard as damage, and a shard holding one could never be merged.
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
            if let Some(i) = traj.values.iter().position(|v| !v.is_finite()) {
                return Err(Error::io(
                    self.file.path(),
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the model produced {} for {} (a bug: its metrics are always finite; please report \
                             it with the scenario and seed); the shard is not written",
                            traj.values[i],
                            describe_value(series, replicate, i)
                        ),
                    ),
                ));
            }
            for v in &traj.values {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.sum.update(&buf);
        self.file.write_all(&buf).map_err(|e| Error::io(self.file.path(), e))
    }

    /// Checks every replicate of the shard was written and commits the file; returns its
    /// length and hash, for the manifest's `checksums` under [`REPLICATES_FILE`].
    pub fn finish(mut self) -> Result<FileChecksum> {
        if let Some(r) = self.expected.peek() {
            return Err(Error::Usage(format!("{}: replicate {r} was never written", self.file.path().display())));
        }
        self.file.commit()?;
        Ok(self.sum.finish())
    }
}

/// Value `i` of a trajectory of `series` (months × metrics, month by month) of `replicate`, in
/// words: "replicate 3, scenario \"base\", 2024-05, metric `sales`".
fn describe_value(series: &ScenarioSeries, replicate: u64, i: usize) -> String {
    let width = series.metrics.len().max(1);
    let date = series.dates.get(i / width).map_or_else(|| format!("month {}", i / width), ToString::to_string);
    let metric = series.metrics.names.get(i % width).map_or("?", String::as_str);
    format!("replicate {replicate}, scenario {:?}, {date}, metric `{metric}`", series.name)
}

/// Writes the rest of a shard directory after [`ShardWriter::finish`]: each scenario's
/// canonical TOML (`texts[i]` to [`scenario_file`]`(i)`), then `manifest.json` last. The
/// manifest written is `manifest` with the scenario files' lengths and hashes added to its
/// `checksums` (the caller records [`REPLICATES_FILE`]'s, from [`ShardWriter::finish`]).
/// Returns the paths written, manifest last.
pub fn write_shard_outputs(dir: &Path, texts: &[String], manifest: &Manifest) -> Result<Vec<PathBuf>> {
    let mut manifest = manifest.clone();
    let mut written = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let mut file = AtomicFile::create(dir.join(scenario_file(i)))?;
        file.write_all(text.as_bytes()).map_err(|e| Error::io(file.path(), e))?;
        written.push(file.commit()?);
        manifest.checksums.insert(scenario_file(i), FileChecksum::of(text.as_bytes()));
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
    /// Each shard's recorded length and hash of [`REPLICATES_FILE`] (`None` in manifests older
    /// than the checksums), shard K at index K.
    replicate_sums: Vec<Option<FileChecksum>>,
    /// The shape of each scenario's output, rebuilt from shard 0's `scenario-<i>.toml`.
    series: Vec<ScenarioSeries>,
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
    ///
    /// Then every shard's files are verified before anything is written:
    /// each `scenario-<i>.toml` against the scenario's hash, every file the manifest's
    /// `checksums` lists against its length and hash, and `replicates.bin` read through once
    /// (streamed): its size, header, the replicate index of every record, that every value is
    /// finite, and its recorded hash. A mismatch is [`Error::Usage`] naming the file, what is
    /// wrong and which shard to rerun.
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
        let mut slots: Vec<Option<(PathBuf, Manifest)>> = vec![None; usize::try_from(n).unwrap_or(usize::MAX)];
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
            *slot = Some((dir, m));
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
        let (dirs, manifests): (Vec<PathBuf>, Vec<Manifest>) = slots.into_iter().flatten().unzip();
        let series = read_series(&dirs[0], &first, n)?;
        for (k, (dir, m)) in dirs.iter().zip(&manifests).enumerate() {
            verify_shard(dir, m, k as u64, n, &series)?;
        }
        let replicate_sums = manifests.iter().map(|m| m.checksums.get(REPLICATES_FILE).cloned()).collect();
        let provenance = manifests.into_iter().map(|m| m.provenance).collect();
        Ok(RunShards { manifest: first, dirs, provenance, replicate_sums, series })
    }

    /// The manifest of the merged run: shard 0's, as kind [`KIND_RUN`], without shard, with
    /// `files` and `checksums` empty (they described shard 0's files; the caller lists what it
    /// writes) and with `provenance`.
    pub fn run_manifest(&self, mut provenance: Provenance) -> Manifest {
        provenance.threads = self.provenance.iter().map(|p| p.threads).max().unwrap_or(0);
        provenance.shards = self.provenance.clone();
        Manifest {
            kind: KIND_RUN.into(),
            shard: None,
            files: Vec::new(),
            checksums: Checksums::new(),
            provenance,
            ..self.manifest.clone()
        }
    }

    /// True when the shards were run with `--trajectories`.
    pub fn trajectories(&self) -> bool {
        self.manifest.shard.is_some_and(|s| s.trajectories)
    }

    /// Replicates of the run (all shards together).
    pub fn replicates(&self) -> u64 {
        self.manifest.replicates
    }

    /// The shape of each scenario's output, rebuilt from shard 0's `scenario-<i>.toml` files
    /// (verified by [`RunShards::read`]).
    pub fn series(&self) -> Result<Vec<ScenarioSeries>> {
        Ok(self.series.clone())
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
            let count = Shard::new(k as u64, n)?.count(self.replicates());
            let (reader, sum) = open_replicates(&path, k as u64, n, count, rec)?;
            let reader = if keep_open { Some(reader) } else { None };
            files.push(ReplicateFile { path, offset: MAGIC.len() as u64, reader, sum });
        }
        let mut buf = vec![0u8; rec as usize];
        let mut trajs: Vec<Trajectory> = Vec::with_capacity(series.len());
        let mut row: Vec<f64> = Vec::new();
        for r in 0..self.replicates() {
            let k = r % n;
            let file = &mut files[k as usize];
            file.read_record(&mut buf, keep_open)?;
            if let Some(why) = check_record(&buf, r, series) {
                return Err(damaged(&file.path, &why, k, n));
            }
            let mut values = buf[8..].chunks_exact(8).map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                f64::from_le_bytes(b)
            });
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
        // The files were verified by `read`; checking their hashes again here catches a file
        // replaced between the two reads (e.g. a shard rerun during the merge).
        for (k, (file, want)) in files.iter().zip(&self.replicate_sums).enumerate() {
            if let Some(why) = want.as_ref().and_then(|w| hash_mismatch(&file.sum.finish(), w)) {
                return Err(damaged(&file.path, &why, k as u64, n));
            }
        }
        Ok(())
    }
}

/// How to redo shard `k` of `n`, the tail of every message about a damaged shard.
fn rerun_hint(k: u64, n: u64) -> String {
    format!("rerun shard {k}/{n} (Slurm: sbatch --array={k} SCRIPT; by hand: zeromile run ... --shard {k}/{n}), then merge again")
}

/// The [`Error::Usage`] for file `path` of shard `k` of `n`, damaged as `why` says.
fn damaged(path: &Path, why: &str, k: u64, n: u64) -> Error {
    Error::Usage(format!(
        "{}: {why}; the shard directory was modified or damaged after it was written: {}",
        path.display(),
        rerun_hint(k, n)
    ))
}

/// Why a file whose bytes have checksum `got` is not the one recorded as `want`; `None` if it is.
fn hash_mismatch(got: &FileChecksum, want: &FileChecksum) -> Option<String> {
    (got != want).then(|| {
        format!(
            "its contents changed after it was written ({got}; the manifest records {want}); a file of the right \
             size with other bytes, e.g. an edited value"
        )
    })
}

/// The shape of each scenario's output, rebuilt from `dir`'s (shard 0's) `scenario-<i>.toml`
/// files, which must be the canonical scenarios the manifest names and hashes.
fn read_series(dir: &Path, m: &Manifest, n: u64) -> Result<Vec<ScenarioSeries>> {
    let mut out = Vec::new();
    for (i, ms) in m.scenarios.iter().enumerate() {
        let path = dir.join(scenario_file(i));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(damaged(&path, "missing (every shard holds a copy of each scenario)", 0, n));
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(damaged(&path, "not UTF-8 text, so not the scenario the shard wrote", 0, n));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let s = scenario::from_str(&text, &[])
            .map_err(|e| damaged(&path, &format!("not the canonical scenario of this shard ({e})"), 0, n))?;
        let hash = hash_hex(s.canonical_text().as_bytes());
        if hash != ms.hash || s.name != ms.name {
            return Err(damaged(
                &path,
                &format!(
                    "scenario {:?} with hash {hash}, but the manifest says {:?} with hash {}",
                    s.name, ms.name, ms.hash
                ),
                0,
                n,
            ));
        }
        out.push(ScenarioSeries::of(&s));
    }
    Ok(out)
}

/// Verifies shard `k` of `n` in `dir` (manifest `m`) before a merge writes anything:
///
/// - every `scenario-<i>.toml`'s bytes hash to scenario i's hash in the manifest (the file is
///   the canonical text the hash is computed from, so any edit, even a comment, is refused);
/// - every other file in the manifest's `checksums` has its recorded length and hash;
/// - `replicates.bin` has the size, header and record indices of this shard, only finite
///   values (the model's metrics always are: a NaN or infinity is damage), and its recorded
///   length and hash. It is streamed, one record in memory at a time.
fn verify_shard(dir: &Path, m: &Manifest, k: u64, n: u64, series: &[ScenarioSeries]) -> Result<()> {
    let mut checked = vec![REPLICATES_FILE.to_string()];
    for (i, ms) in m.scenarios.iter().enumerate() {
        let name = scenario_file(i);
        let path = dir.join(&name);
        let got = match checksum_file(&path) {
            Ok(c) => c,
            Err(Error::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
                return Err(damaged(&path, "missing (every shard holds a copy of each scenario)", k, n));
            }
            Err(e) => return Err(e),
        };
        if got.fnv1a64 != ms.hash {
            return Err(damaged(
                &path,
                &format!(
                    "hashes to {}, but the manifest records {} for scenario {:?} (the file was edited)",
                    got.fnv1a64, ms.hash, ms.name
                ),
                k,
                n,
            ));
        }
        if let Some(why) = m.checksums.get(&name).and_then(|want| hash_mismatch(&got, want)) {
            return Err(damaged(&path, &why, k, n));
        }
        checked.push(name);
    }
    for (name, want) in &m.checksums {
        if checked.contains(name) {
            continue;
        }
        if let Some(why) = check_file(dir, name, want)? {
            return Err(damaged(&dir.join(name), &why, k, n));
        }
    }
    let path = dir.join(REPLICATES_FILE);
    let rec = record_len(series);
    let count = Shard::new(k, n)?.count(m.replicates);
    let want = m.checksums.get(REPLICATES_FILE);
    // The size follows from the shape and the shard, so a truncated file is named as such
    // before its (then certainly different) hash is computed.
    let (mut reader, mut sum) = open_replicates(&path, k, n, count, rec)?;
    let mut buf = vec![0u8; rec as usize];
    for j in 0..count {
        reader.read_exact(&mut buf).map_err(|e| Error::io(&path, e))?;
        sum.update(&buf);
        if let Some(why) = check_record(&buf, k + j * n, series) {
            return Err(damaged(&path, &why, k, n));
        }
    }
    if let Some(why) = want.and_then(|w| hash_mismatch(&sum.finish(), w)) {
        return Err(damaged(&path, &why, k, n));
    }
    Ok(())
}

/// Opens shard `k`'s `replicates.bin` at `path` for `count` records of `rec` bytes: checks its
/// size and header, and returns the reader positioned after the header and the checksum of
/// the header.
fn open_replicates(path: &Path, k: u64, n: u64, count: u64, rec: u64) -> Result<(BufReader<File>, Checksummer)> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(damaged(path, "missing", k, n)),
        Err(e) => return Err(Error::io(path, e)),
    };
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let want = MAGIC.len() as u64 + count * rec;
    if len != want {
        return Err(damaged(
            path,
            &format!("{len} bytes, expected {want} ({count} replicates of {rec} bytes after the header)"),
            k,
            n,
        ));
    }
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut magic = [0u8; 8];
    reader.read_exact(&mut magic).map_err(|e| Error::io(path, e))?;
    if &magic != MAGIC {
        return Err(damaged(path, "not a zeromile replicate file (bad header)", k, n));
    }
    let mut sum = Checksummer::new();
    sum.update(&magic);
    Ok((reader, sum))
}

/// Why record `buf` of a `replicates.bin` is not replicate `r` of `series`: a wrong replicate
/// index, or a value that is not finite. `None` when it is sound.
fn check_record(buf: &[u8], r: u64, series: &[ScenarioSeries]) -> Option<String> {
    let mut words = buf.chunks_exact(8).map(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        b
    });
    let found = words.next().map_or(u64::MAX, u64::from_le_bytes);
    if found != r {
        return Some(format!("holds replicate {found} where replicate {r} belongs"));
    }
    let (i, v) = words.map(f64::from_le_bytes).enumerate().find(|(_, v)| !v.is_finite())?;
    let mut offset = i;
    for s in series {
        let size = s.dates.len() * s.metrics.len();
        if offset < size {
            return Some(format!(
                "{v} at {}, a value no run writes (the model's metrics are always finite)",
                describe_value(s, r, offset)
            ));
        }
        offset -= size;
    }
    Some(format!("{v} at value {i} of replicate {r}"))
}

/// One shard's `replicates.bin` during a replay: the next record's offset, and the open reader
/// when files are kept open.
struct ReplicateFile {
    path: PathBuf,
    offset: u64,
    reader: Option<BufReader<File>>,
    /// Length and hash of the bytes read so far.
    sum: Checksummer,
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
        self.sum.update(buf);
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
#[path = "shard_tests.rs"]
mod tests;
