//! Output-directory preparation shared by every job that writes a run directory: a directory
//! being rewritten must never look complete, and files an earlier job left that this one will not
//! write again must not survive next to its results.

use super::usage;
use crate::error::{Error, Result};
use crate::output::{self, AtomicFile, ScenarioSeries, TrajectoryWriter, TRAJECTORIES_FILE};
use std::path::Path;

/// Refuses an `--out` that exists and is not a directory.
pub fn check_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!("--out {} exists and is not a directory", dir.display())));
    }
    Ok(())
}

/// Creates `dir` (and its parents).
pub fn create_out_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io_while("creating ", dir, e))
}

/// Removes `path` if it exists.
pub fn remove_stale(path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::remove_file(path).map_err(|e| Error::io_while("removing ", path, e))?;
    }
    Ok(())
}

/// Creates `dir` for a rewrite: refuses a non-directory, removes a stale `manifest.json` (a
/// directory being rewritten must never look complete) and the charts of an earlier run, which
/// would describe other data.
pub fn prepare_run_dir(dir: &Path) -> Result<()> {
    check_out_dir(dir)?;
    create_out_dir(dir)?;
    remove_stale(&dir.join(output::MANIFEST_FILE))?;
    crate::plot::remove_stale(dir)
}

/// Starts `trajectories.csv` in `dir` when `wanted`, else removes a stale one.
pub fn trajectory_writer(
    dir: &Path,
    series: &[ScenarioSeries],
    wanted: bool,
) -> Result<Option<TrajectoryWriter<AtomicFile>>> {
    let path = dir.join(TRAJECTORIES_FILE);
    if wanted {
        return Ok(Some(TrajectoryWriter::new(AtomicFile::create(&path)?, series)?.with_label(path)));
    }
    remove_stale(&path)?;
    Ok(None)
}
