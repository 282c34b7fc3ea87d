//! Crash-safe file replacement: write to a hidden sibling, then fsync and rename over the target.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file that appears under its final name only when [`AtomicFile::commit`] succeeds.
///
/// Bytes go (buffered) to `.<name>.partial-<pid>` in the same directory; `commit` flushes,
/// fsyncs and renames it over `<name>`, so readers see either the old file or the complete new
/// one, never a torn one. Dropped without `commit` (an error, a panic), the temporary file is
/// removed and any existing file of the final name is left untouched.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp: PathBuf,
    /// `None` once `commit` has taken it.
    file: Option<BufWriter<File>>,
    /// Set once the rename succeeded; until then `drop` removes `temp`.
    committed: bool,
}

impl AtomicFile {
    /// Creates (truncating) the temporary sibling of `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<AtomicFile> {
        let path = path.as_ref().to_path_buf();
        let name = path
            .file_name()
            .ok_or_else(|| Error::io(&path, io::Error::new(io::ErrorKind::InvalidInput, "not a file name")))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".partial-{}", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        Ok(AtomicFile { path, temp, file: Some(BufWriter::new(file)), committed: false })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, fsyncs and renames the temporary file to the final path; returns that path.
    /// On error the temporary file is removed.
    pub fn commit(mut self) -> Result<PathBuf> {
        let Some(writer) = self.file.take() else {
            return Err(Error::io(&self.temp, io::Error::other("already closed")));
        };
        let file = writer.into_inner().map_err(|e| Error::io(&self.temp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        drop(file);
        fs::rename(&self.temp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.committed = true;
        sync_parent(&self.path);
        Ok(self.path.clone())
    }
}

/// Removes the file `path` if it exists (a missing file is not an error).
pub fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io_while("removing ", path, e)),
        _ => Ok(()),
    }
}

/// Makes the rename itself durable where the platform allows; best effort, as the data is
/// already safe and some filesystems refuse to sync a directory.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("write after commit")),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.write_all(buf),
            None => Err(io::Error::other("write after commit")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Discard the partial output (closing it first). Errors cannot be reported here.
            drop(self.file.take());
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn commit_renames_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"a,b\n").unwrap();
        let temp = format!(".out.csv.partial-{}", std::process::id());
        assert_eq!(entries(dir.path()), [temp]);
        assert_eq!(f.commit().unwrap(), path);
        assert_eq!(entries(dir.path()), ["out.csv"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "a,b\n");
    }

    #[test]
    fn drop_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn drop_without_commit_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new").unwrap();
        drop(f);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()), ["out.csv"]);
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = AtomicFile::create(dir.path().join("no/such/out.csv")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
