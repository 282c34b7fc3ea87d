//! The output-directory discipline every job that writes a directory follows: validate every
//! input first, then [`OutDir::lock`] the directory, write everything into a staging directory
//! and [`OutDir::publish`] it with renames, the completion marker (`manifest.json`) last.
//!
//! The promises (docs/reliability.md):
//! - **One writer.** The lock is an advisory `flock` on `<out>/.zeromile/lock`, holding the
//!   writer's host, pid and command. A second writer is refused (exit 2)
//!   with the holder named. A lock left by a dead process on this host is broken; one that names
//!   another host is never broken (the message says which file to remove once that job is known
//!   to be dead).
//! - **Complete or says it is not.** A directory is complete if and only if it holds its
//!   marker. Everything is written into `<out>/.zeromile/stage/` first; publishing checks that
//!   every file can be renamed into place, journals the previous result's files, removes the old
//!   marker, renames the new files into place, removes the previous result's files that the new
//!   one does not have, and renames the new marker in last.
//! - **Nothing good destroyed early.** Until the new result is complete in the staging
//!   directory, the previous result in `--out` is untouched; a refused or failed job leaves it
//!   as it was (and leaves no new directory behind).
//! - **No litter.** A failed job removes its staging directory (a resumable one keeps it for
//!   `--resume`); a stale staging directory and stale `.<file>.partial-<pid>` files of dead
//!   writers on this host are removed by the next writer.
//!
//! [`checkpoint`] is the test-only fault-injection hook: with `ZEROMILE_FAULT_AT=N` the process
//! exits (status 137, no destructors run, as under `kill -9`) at the N-th checkpoint, so tests
//! can stop a writer at every step of publishing.

use super::usage;
use crate::error::{Error, Result};
use crate::output::{self, remove_if_present, AtomicFile, ScenarioSeries, TrajectoryWriter, TRAJECTORIES_FILE};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The work directory inside an output directory: its lock, stage and journal.
pub const WORK_DIR: &str = ".zeromile";
/// The journal inside the work directory: the files of the previous result, written before its
/// marker is removed, so an interrupted publish still knows what to replace.
pub const JOURNAL_FILE: &str = "previous.json";
/// The lock file inside the work directory.
pub const LOCK_FILE: &str = "lock";
/// The staging directory inside the work directory.
pub const STAGE_DIR: &str = "stage";
/// The environment variable of the fault-injection hook (see [`checkpoint`]).
pub const FAULT_ENV: &str = "ZEROMILE_FAULT_AT";

/// The completion markers: a run's, sweep's or shard's `manifest.json`, a calibration's
/// `calibration.json`. Publishing removes every old one first, whichever kind it was.
pub const MARKERS: [&str; 2] = ["manifest.json", "calibration.json"];

/// Refuses an `--out` that exists and is not a directory.
pub fn check_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!("--out {} exists and is not a directory", dir.display())));
    }
    Ok(())
}

/// Creates `dir` (and its parents).
pub fn create_out_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io_while("creating ", dir, e))
}

/// Starts `trajectories.csv` in `dir` when `wanted`.
pub fn trajectory_writer(
    dir: &Path,
    series: &[ScenarioSeries],
    wanted: bool,
) -> Result<Option<TrajectoryWriter<AtomicFile>>> {
    if !wanted {
        return Ok(None);
    }
    let path = dir.join(TRAJECTORIES_FILE);
    Ok(Some(TrajectoryWriter::new(AtomicFile::create(&path)?, series)?.with_label(path)))
}

/// Who holds a lock: written into the lock file, read back to name the holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// The holder's command line.
    pub command: Vec<String>,
    /// When it took the lock (Unix seconds).
    pub since_unix_s: u64,
}

impl Holder {
    fn this_process() -> Holder {
        Holder {
            host: host_name(),
            pid: std::process::id(),
            command: std::env::args().collect(),
            since_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    fn describe(&self) -> String {
        format!(
            "`{}` (pid {} on host {}, since Unix time {})",
            self.command.join(" "),
            self.pid,
            self.host,
            self.since_unix_s
        )
    }
}

/// This machine's host name (as the lock file records it).
pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Whether process `pid` runs on this host. Where that cannot be known (no `/proc`), a process
/// is assumed alive, so its lock is never broken.
pub fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// The test-only fault-injection hook: counts checkpoints and, when `ZEROMILE_FAULT_AT=N` is
/// set, exits the process at the N-th with status 137 without running destructors (as
/// `kill -9` would leave things). Unset, it only counts.
pub fn checkpoint(step: &str) {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let Some(at) = *AT.get_or_init(|| std::env::var(FAULT_ENV).ok().and_then(|v| v.trim().parse().ok())) else {
        return;
    };
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    if n == at {
        eprintln!("zeromile: fault injected at checkpoint {n} ({step})");
        std::process::exit(137);
    }
}

/// A locked output directory and its staging directory. Dropped without [`OutDir::publish`],
/// it removes the staging directory (unless [`OutDir::keep_stage_on_failure`] was asked for, so
/// `--resume` can continue), any directory it created, and its lock.
#[derive(Debug)]
pub struct OutDir {
    out: PathBuf,
    work: PathBuf,
    stage: PathBuf,
    lock: Option<File>,
    /// Directories this job created (outermost first), removed again if nothing was published.
    created: Vec<PathBuf>,
    keep_stage: bool,
    published: bool,
    /// A stale lock (its dead holder) that was broken.
    broken: Option<Holder>,
    /// A killed writer's publish was finished when the lock was taken.
    rolled_forward: bool,
}

impl OutDir {
    /// Locks `out` for writing: refuses a non-directory, creates `out` (and its parents) if
    /// needed and the work directory `out/.zeromile` inside it, takes the lock (refusing a live
    /// holder, breaking a dead one's on this host), checks that `out` can be written to, and
    /// removes stale partial files of dead writers.
    ///
    /// The work directory is inside `out`, so the stage is on the file system `out` is on (a
    /// mount point, a symlink to another disk), the lock is the directory's whatever it is
    /// called (`-o link` and `-o real` share it), and only `out` itself need be writable.
    pub fn lock(out: &Path) -> Result<OutDir> {
        // `res/.` is `res` (a trailing `.` would make creating it fail).
        let out: PathBuf = out.components().collect();
        let out = out.as_path();
        check_out_dir(out)?;
        let mut created = Vec::new();
        let mut p = out;
        while !p.as_os_str().is_empty() && !p.exists() {
            created.push(p.to_path_buf());
            match p.parent() {
                Some(up) => p = up,
                None => break,
            }
        }
        created.reverse();
        fs::create_dir_all(out).map_err(|e| Error::io_while("creating ", out, e))?;
        let work = out.join(WORK_DIR);
        let mut dir = OutDir {
            out: out.to_path_buf(),
            stage: work.join(STAGE_DIR),
            work,
            lock: None,
            created,
            keep_stage: true,
            published: false,
            broken: None,
            rolled_forward: false,
        };
        dir.take_lock()?;
        checkpoint("locked");
        dir.probe_writable()?;
        dir.remove_dead_partials()?;
        dir.roll_forward()?;
        Ok(dir)
    }

    fn take_lock(&mut self) -> Result<()> {
        let path = self.work.join(LOCK_FILE);
        for _ in 0..8 {
            fs::create_dir_all(&self.work).map_err(|e| Error::io_while("creating ", &self.work, e))?;
            let mut file = match OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path) {
                Ok(f) => f,
                // The previous holder removed the work directory after this one made it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io_while("opening the lock ", &path, e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                // A file system without `flock` (some NFS and Lustre mounts): the holder record
                // below is then the only guard.
                Err(TryLockError::Error(e))
                    if matches!(e.kind(), io::ErrorKind::Unsupported) || e.raw_os_error() == Some(37) => {}
                Err(TryLockError::WouldBlock) => {
                    let holder = read_holder(&mut file);
                    return Err(usage(format!(
                        "--out {} is being written by {}; wait for it to finish or choose another --out",
                        self.out.display(),
                        holder.map_or_else(|| "another zeromile job".to_string(), |h| h.describe())
                    )));
                }
                Err(TryLockError::Error(e)) => return Err(Error::io_while("locking ", &path, e)),
            }
            // The file may have been removed by its previous holder after this open: then the
            // lock is on a deleted file, and the path must be opened again.
            if !same_file(&file, &path) {
                continue;
            }
            let me = Holder::this_process();
            if let Some(old) = read_holder(&mut file) {
                if old.host != me.host {
                    return Err(usage(format!(
                        "--out {} is locked by {}; a lock of another host is never broken: if that job is dead, \
                         remove {} and run again",
                        self.out.display(),
                        old.describe(),
                        path.display()
                    )));
                }
                if old.pid != me.pid && process_alive(old.pid) {
                    return Err(usage(format!(
                        "--out {} is locked by {}, which is still running; if it is not a zeromile job writing \
                         there, remove {} and run again",
                        self.out.display(),
                        old.describe(),
                        path.display()
                    )));
                }
                self.broken = Some(old);
            }
            let me = serde_json::to_string(&me).unwrap_or_default();
            file.set_len(0).map_err(|e| Error::io_while("writing the lock ", &path, e))?;
            file.rewind().map_err(|e| Error::io_while("writing the lock ", &path, e))?;
            file.write_all(me.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io_while("writing the lock ", &path, e))?;
            self.lock = Some(file);
            return Ok(());
        }
        Err(usage(format!("--out {}: its lock keeps changing hands; try again", self.out.display())))
    }

    /// Writes and removes a probe file in an existing `out`, so an unwritable directory is
    /// reported before the work, not after it.
    fn probe_writable(&self) -> Result<()> {
        if !self.out.is_dir() {
            return Ok(());
        }
        let probe = self.out.join(format!(".zeromile-probe-{}", std::process::id()));
        File::create(&probe).map_err(|e| Error::io_while("writing into ", &self.out, e))?;
        remove_if_present(&probe)
    }

    /// Removes `.<file>.partial-<pid>` files of processes that are dead, in `out` and its
    /// `plots/`; only called under the lock, so no live writer of this host owns them.
    fn remove_dead_partials(&self) -> Result<()> {
        for dir in [self.out.clone(), self.out.join(crate::plot::PLOTS_DIR)] {
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            names.sort();
            for path in names {
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
                let pid = name
                    .strip_prefix('.')
                    .and_then(|n| n.rsplit_once(".partial-"))
                    .and_then(|(_, pid)| pid.parse::<u32>().ok());
                if pid.is_some_and(|p| p != std::process::id() && !process_alive(p)) {
                    remove_if_present(&path)?;
                }
            }
        }
        Ok(())
    }

    /// The directory being published.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The staging directory (exists after [`OutDir::fresh_stage`] or [`OutDir::resume_stage`]).
    pub fn stage(&self) -> &Path {
        &self.stage
    }

    /// The dead holder whose stale lock was broken, if any.
    pub fn broken_lock(&self) -> Option<&Holder> {
        self.broken.as_ref()
    }

    /// Keep the staging directory when the job fails, for `--resume` (sweeps, calibrations).
    pub fn keep_stage_on_failure(&mut self) {
        self.keep_stage = true;
    }

    /// Remove the staging directory when this job ends without publishing (a job that found
    /// nothing to do: an interrupted job's leftovers are of no further use).
    pub fn discard_stage(&mut self) {
        self.keep_stage = false;
    }

    /// Starts an empty staging directory (an earlier one is removed).
    pub fn fresh_stage(&mut self) -> Result<&Path> {
        if self.stage.exists() {
            fs::remove_dir_all(&self.stage).map_err(|e| Error::io_while("removing ", &self.stage, e))?;
        }
        self.keep_stage = false;
        fs::create_dir(&self.stage).map_err(|e| Error::io_while("creating ", &self.stage, e))?;
        Ok(&self.stage)
    }

    /// Keeps the staging directory of an interrupted job (creating an empty one if there is
    /// none), for a resumed job to continue.
    pub fn resume_stage(&mut self) -> Result<&Path> {
        fs::create_dir_all(&self.stage).map_err(|e| Error::io_while("creating ", &self.stage, e))?;
        Ok(&self.stage)
    }

    /// Starts a staging directory holding the complete directory `out` as it is (its files and
    /// those in `plots/`, hard-linked where possible, else copied; hidden files are left), for
    /// a job that adds to a finished directory (charts, `facts.csv`).
    pub fn stage_existing(&mut self, marker: &str) -> Result<&Path> {
        self.fresh_stage()?;
        if !self.out.join(marker).is_file() {
            return Err(usage(format!(
                "{}: no {marker}: not a finished zeromile output directory (an interrupted job? run it again)",
                self.out.display()
            )));
        }
        for sub in [None, Some(crate::plot::PLOTS_DIR)] {
            let from_dir = sub.map_or_else(|| self.out.clone(), |s| self.out.join(s));
            let to_dir = sub.map_or_else(|| self.stage.clone(), |s| self.stage.join(s));
            let Ok(entries) = fs::read_dir(&from_dir) else { continue };
            let mut files: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .collect();
            files.sort();
            fs::create_dir_all(&to_dir).map_err(|e| Error::io_while("creating ", &to_dir, e))?;
            for from in files {
                let Some(name) = from.file_name() else { continue };
                let to = to_dir.join(name);
                if fs::hard_link(&from, &to).is_err() {
                    fs::copy(&from, &to).map_err(|e| Error::io_while("copying ", &from, e))?;
                }
            }
        }
        Ok(&self.stage)
    }

    /// Publishes the staging directory into `out`: checks that every staged file can be renamed
    /// into place (no directory or symlinked `plots/` in the way), records the previous result's
    /// files in the journal, removes the old markers (see [`MARKERS`]), renames every staged file
    /// into place, removes the previous result's files that this one does not have (only files a
    /// previous marker or the journal lists, and the engine's chart names in `plots/` of a
    /// previous result), then renames the new `marker` in last. Returns the published paths,
    /// marker last. A refusal before the first marker is removed leaves `out` as it was.
    pub fn publish(mut self, marker: &str) -> Result<Vec<PathBuf>> {
        let staged = list_files(&self.stage)?;
        if !staged.iter().any(|f| f == marker) {
            return Err(Error::io(self.stage.join(marker), io::Error::other("nothing to publish: no marker staged")));
        }
        self.check_targets(&staged)?;
        checkpoint("staged");
        let journal_path = self.work.join(JOURNAL_FILE);
        let stale = read_journal(&journal_path);
        let had_result = MARKERS.iter().any(|m| self.out.join(m).is_file()) || stale.is_some();
        let mut previous: Vec<String> = MARKERS.iter().flat_map(|m| listed_files(&self.out.join(m))).collect();
        if let Some(j) = stale {
            // An earlier publish was stopped: its files and the ones it replaced are stale too.
            previous.extend(j.previous);
            previous.extend(j.new);
        }
        if had_result {
            previous.extend(self.engine_charts());
        }
        previous.sort();
        previous.dedup();
        let journal = Journal { marker: marker.to_string(), previous, new: staged };
        write_journal(&journal_path, &journal)?;
        let published = self.finish_publishing(&journal)?;
        self.published = true;
        Ok(published)
    }

    /// The renames and removals of a publish whose journal is written: removes the old markers,
    /// renames the staged files still in the stage into place, removes the previous files the
    /// new result lacks, renames the marker in, removes the journal. Also finishes a publish that
    /// a killed writer left (see [`OutDir::lock`]).
    fn finish_publishing(&mut self, journal: &Journal) -> Result<Vec<PathBuf>> {
        let marker = journal.marker.as_str();
        for m in MARKERS {
            remove_if_present(&self.out.join(m))?;
        }
        checkpoint("old marker removed");
        let mut published = Vec::new();
        for rel in journal.new.iter().filter(|f| *f != marker && is_relative_name(f)) {
            let from = self.stage.join(rel);
            let to = self.out.join(rel);
            if from.is_file() {
                if let Some(p) = to.parent() {
                    fs::create_dir_all(p).map_err(|e| Error::io_while("creating ", p, e))?;
                }
                fs::rename(&from, &to).map_err(|e| Error::io_while("publishing ", &to, e))?;
                checkpoint("file published");
            }
            published.push(to);
        }
        for rel in journal.previous.iter().filter(|f| !journal.new.contains(f) && is_relative_name(f)) {
            let path = self.out.join(rel);
            if in_real_folders(&self.out, rel) && path.symlink_metadata().is_ok_and(|m| m.is_file()) {
                remove_if_present(&path)?;
            }
        }
        let plots = self.out.join(crate::plot::PLOTS_DIR);
        if plots.symlink_metadata().is_ok_and(|m| m.is_dir())
            && fs::read_dir(&plots).is_ok_and(|mut d| d.next().is_none())
        {
            let _ = fs::remove_dir(&plots);
        }
        checkpoint("previous files removed");
        let to = self.out.join(marker);
        fs::rename(self.stage.join(marker), &to).map_err(|e| Error::io_while("publishing ", &to, e))?;
        sync_dir(&self.out);
        remove_if_present(&self.work.join(JOURNAL_FILE))?;
        checkpoint("marker published");
        published.push(to);
        Ok(published)
    }

    /// Finishes the publish a killed writer left: its journal is written (so its stage was
    /// complete and checked) and its marker is still in the stage. Then the stage is emptied.
    fn roll_forward(&mut self) -> Result<()> {
        let Some(journal) = read_journal(&self.work.join(JOURNAL_FILE)) else { return Ok(()) };
        if !self.stage.join(&journal.marker).is_file() || !MARKERS.contains(&journal.marker.as_str()) {
            return Ok(());
        }
        self.finish_publishing(&journal)?;
        self.rolled_forward = true;
        let _ = fs::remove_dir_all(&self.stage);
        Ok(())
    }

    /// Whether [`OutDir::lock`] finished a publish a killed writer had left.
    pub fn rolled_forward(&self) -> bool {
        self.rolled_forward
    }

    /// Refuses (before anything is changed) a staged file whose place in `out` is taken by a
    /// directory, or whose folder there is not a real directory (a symlink or a file). A symlink
    /// in a file's place is replaced, not followed.
    fn check_targets(&self, staged: &[String]) -> Result<()> {
        for rel in staged {
            let to = self.out.join(rel);
            let mut folder = to.parent();
            while let Some(f) = folder.filter(|f| *f != self.out.as_path()) {
                if f.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
                    return Err(usage(format!(
                        "{} is not a directory (a symlink or a file); zeromile writes {rel} there: move it away",
                        f.display()
                    )));
                }
                folder = f.parent();
            }
            if to.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                return Err(usage(format!(
                    "{} is a directory; zeromile writes the file {rel} there: move it away",
                    to.display()
                )));
            }
        }
        Ok(())
    }

    /// The engine's chart files in `out/plots/` (run charts by name, sweep charts by kind prefix),
    /// which a previous result wrote whether or not its manifest listed them.
    fn engine_charts(&self) -> Vec<String> {
        let plots = self.out.join(crate::plot::PLOTS_DIR);
        if !plots.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir(&plots) else { return Vec::new() };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if crate::plot::is_engine_chart(&name) {
                out.push(format!("{}/{name}", crate::plot::PLOTS_DIR));
            }
        }
        out
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if self.published || !self.keep_stage {
            let _ = fs::remove_dir_all(&self.stage);
        }
        if let Some(file) = self.lock.take() {
            // Unlink while still holding the lock, so a waiting writer never holds a lock on a
            // file that is gone (it checks the path against its handle).
            let _ = fs::remove_file(self.work.join(LOCK_FILE));
            drop(file);
        }
        let _ = fs::remove_dir(&self.work);
        if !self.published {
            for dir in self.created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

/// What a publish is about to do, written before the old marker is removed: the marker, the
/// previous result's files and the new result's. A writer that finds it with the marker still
/// staged finishes that publish; one that finds it without treats both lists as stale files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Journal {
    marker: String,
    previous: Vec<String>,
    new: Vec<String>,
}

fn read_journal(path: &Path) -> Option<Journal> {
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

fn write_journal(path: &Path, journal: &Journal) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(serde_json::to_string(journal).unwrap_or_default().as_bytes()).map_err(|e| Error::io(path, e))?;
    f.commit()?;
    Ok(())
}

/// Whether every folder between `out` and `rel` is a real directory (not a symlink), so removing
/// `rel` cannot reach outside `out`.
fn in_real_folders(out: &Path, rel: &str) -> bool {
    let mut folder = out.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        folder.push(part);
        if !folder.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return false;
        }
    }
    true
}

/// A name from a marker's `files` list that stays inside the directory.
fn is_relative_name(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty() && p.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// The `files` a marker (`manifest.json`) lists (empty when there is none or it cannot be read).
pub fn listed_files(marker: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(marker) else { return Vec::new() };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return Vec::new() };
    v.get("files")
        .and_then(|f| f.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Every file under `dir`, as sorted `/`-separated relative paths; partial files are skipped.
fn list_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = todo.pop() {
        let entries = fs::read_dir(&d).map_err(|e| Error::io_while("reading ", &d, e))?;
        for e in entries {
            let e = e.map_err(|e| Error::io_while("reading ", &d, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            let kind = e.file_type().map_err(|err| Error::io_while("reading ", e.path(), err))?;
            if kind.is_dir() {
                todo.push((e.path(), rel));
            } else if !name.contains(".partial-") {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Writes `manifest.json` into `dir` (a staging directory) with `files` as its list.
pub fn rewrite_run_manifest(dir: &Path, files: &[String]) -> Result<()> {
    let path = dir.join(output::MANIFEST_FILE);
    let text = fs::read_to_string(&path).map_err(|e| Error::io_while("reading ", &path, e))?;
    let mut m: output::Manifest =
        serde_json::from_str(&text).map_err(|e| usage(format!("{}: not a zeromile manifest: {e}", path.display())))?;
    m.files = files.to_vec();
    let mut f = AtomicFile::create(&path)?;
    f.write_all(m.to_json()?.as_bytes()).map_err(|e| Error::io(&path, e))?;
    f.commit()?;
    Ok(())
}

#[cfg(test)]
#[path = "outdir_tests.rs"]
mod tests;
