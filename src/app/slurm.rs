//! The files of the `slurm` job: the log directory Slurm opens before a task runs, and the
//! sbatch script itself, written atomically and made executable. (The script text is built by
//! the binary for now; see ARCHITECTURE.md.)

use super::outdir::create_out_dir;
use crate::error::{Error, Result};
use crate::output::AtomicFile;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates `out_dir/logs`: Slurm opens the per-task log files before the script runs, so their
/// directory must exist.
pub fn create_log_dir(out_dir: &Path) -> Result<PathBuf> {
    let logs = out_dir.join("logs");
    create_out_dir(&logs)?;
    Ok(logs)
}

/// Writes `script` to `path` atomically and makes it executable; returns the path written.
pub fn write_script(path: &Path, script: &str) -> Result<PathBuf> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(script.as_bytes()).map_err(|e| Error::io_while("writing ", path, e))?;
    let path = file.commit()?;
    make_executable(&path)?;
    Ok(path)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io_while("making executable ", path, e))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}
