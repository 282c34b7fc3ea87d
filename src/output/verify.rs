//! Integrity checksums of the files an output directory holds, and their verification.
//!
//! A manifest may list, under `checksums`, each file it vouches for with its length in bytes and
//! its 64-bit FNV-1a hash ([`FileChecksum`]). Writers compute it while they write
//! ([`Checksummer`], [`HashingWriter`]), so a large file is never read back to be hashed;
//! readers verify it while they read, or with [`verify_files`].
//!
//! **Why FNV-1a and not a cryptographic hash.** The checksum guards against accidents: a file
//! truncated or torn by a crash, a bit flipped on a disk or in a copy, a value edited by hand or
//! by a script that should not have touched it. FNV-1a detects every change of a single byte
//! with certainty (each step `h ← (h ⊕ b)·p` is a bijection of the state, so two inputs that
//! differ in one byte always differ at the end), and other accidental changes with probability
//! 1 − 2⁻⁶⁴ for practical purposes. It cannot stop a deliberate forgery, but neither could
//! SHA-256 here: the hash is stored next to the file, in a manifest anyone who can edit the file
//! can edit too. It is also the hash the manifest already uses for scenarios, so one algorithm,
//! with no new dependency, covers both.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Streaming 64-bit FNV-1a (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`): feeding
/// bytes in any number of pieces gives [`super::fnv1a64`] of their concatenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// The hash of no bytes.
    pub fn new() -> Self {
        Fnv1a(Self::OFFSET)
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0 = bytes.iter().fold(self.0, |h, &b| (h ^ u64::from(b)).wrapping_mul(Self::PRIME));
    }

    /// The hash of every byte fed so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

/// Length and hash of one file, as a manifest's `checksums` records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChecksum {
    /// Length in bytes.
    pub bytes: u64,
    /// 64-bit FNV-1a of the bytes, 16 lowercase hex digits (the form of
    /// [`super::hash_hex`]).
    pub fnv1a64: String,
}

impl FileChecksum {
    /// The checksum of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let mut c = Checksummer::new();
        c.update(bytes);
        c.finish()
    }
}

impl std::fmt::Display for FileChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes, FNV-1a {}", self.bytes, self.fnv1a64)
    }
}

/// A manifest's `checksums`: file name (relative to the directory, `/`-separated) → checksum,
/// in name order.
pub type Checksums = BTreeMap<String, FileChecksum>;

/// Length and [`Fnv1a`] of a byte stream, fed piece by piece.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksummer {
    hash: Fnv1a,
    bytes: u64,
}

impl Checksummer {
    /// Nothing fed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The checksum of everything fed.
    pub fn finish(&self) -> FileChecksum {
        FileChecksum { bytes: self.bytes, fnv1a64: format!("{:016x}", self.hash.value()) }
    }
}

/// A writer that checksums exactly the bytes its inner writer accepted.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    sum: Checksummer,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, sum: Checksummer::new() }
    }

    /// The inner writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The checksum of the bytes written so far.
    pub fn checksum(&self) -> FileChecksum {
        self.sum.finish()
    }

    /// The inner writer and the checksum of everything written through this one.
    pub fn into_parts(self) -> (W, FileChecksum) {
        let sum = self.sum.finish();
        (self.inner, sum)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sum.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads `path` front to back in 64 KiB pieces and returns its checksum (memory does not grow
/// with the file).
pub fn checksum_file(path: &Path) -> Result<FileChecksum> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut sum = Checksummer::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        sum.update(&buf[..n]);
    }
    Ok(sum.finish())
}

/// Why a file does not match its recorded checksum, in the user's words; `None` when it does.
/// `name` must be a plain relative path inside `dir` (a manifest is input, so `..` or an
/// absolute name is refused rather than followed).
pub fn check_file(dir: &Path, name: &str, want: &FileChecksum) -> Result<Option<String>> {
    let rel = Path::new(name);
    if name.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Ok(Some(format!("{name:?} is not a file name inside the directory")));
    }
    let path = dir.join(rel);
    let len = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => return Ok(Some("not a regular file, but the manifest lists it as one".into())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Some("missing, but the manifest lists it".into()));
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    if len != want.bytes {
        return Ok(Some(format!("{len} bytes, but the manifest records {} (truncated or overwritten)", want.bytes)));
    }
    let got = checksum_file(&path)?;
    if got != *want {
        return Ok(Some(format!(
            "its contents changed after it was written (FNV-1a {}, the manifest records {})",
            got.fnv1a64, want.fnv1a64
        )));
    }
    Ok(None)
}

/// Checks that every file `checksums` lists exists in `dir` with that length and hash.
///
/// Errors: [`Error::Usage`] (bad input, exit code 2) naming the first file that does not match
/// and what is wrong with it; [`Error::Io`] when a file exists but cannot be read. Files the
/// map does not list are not looked at.
pub fn verify_files(dir: &Path, checksums: &Checksums) -> Result<()> {
    for (name, want) in checksums {
        if let Some(why) = check_file(dir, name, want)? {
            return Err(Error::Usage(format!(
                "{}: {why}; the directory was modified or damaged after it was written: rerun the command that \
                 wrote it",
                dir.join(name).display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn streaming_equals_one_shot_fnv1a() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = Fnv1a::new();
        for piece in data.chunks(37) {
            h.update(piece);
        }
        assert_eq!(h.value(), crate::output::fnv1a64(&data));
        let c = FileChecksum::of(&data);
        assert_eq!(c.bytes, 1000);
        assert_eq!(c.fnv1a64, crate::output::hash_hex(&data));
        assert_eq!(FileChecksum::of(b"").fnv1a64, "cbf29ce484222325");
    }

    #[test]
    fn hashing_writer_hashes_what_was_written() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello, ").unwrap();
        write!(w, "world {}", 42).unwrap();
        let (inner, sum) = w.into_parts();
        assert_eq!(sum, FileChecksum::of(&inner));
        assert_eq!(inner, b"hello, world 42");
    }

    /// Any change of one byte changes the hash (FNV-1a's steps are bijections of the state).
    #[test]
    fn every_single_byte_change_is_detected() {
        let data: Vec<u8> = (0..64u8).collect();
        let base = FileChecksum::of(&data);
        for i in 0..data.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut d = data.clone();
                d[i] ^= flip;
                assert_ne!(FileChecksum::of(&d), base, "byte {i} ^ {flip:#x}");
            }
        }
    }

    #[test]
    fn verify_files_names_the_first_bad_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a.csv"), b"x,y\n1,2\n").unwrap();
        std::fs::create_dir(dir.join("plots")).unwrap();
        std::fs::write(dir.join("plots/b.svg"), b"<svg/>").unwrap();
        let mut sums = Checksums::new();
        sums.insert("a.csv".into(), checksum_file(&dir.join("a.csv")).unwrap());
        sums.insert("plots/b.svg".into(), FileChecksum::of(b"<svg/>"));
        verify_files(dir, &sums).unwrap();

        std::fs::write(dir.join("a.csv"), b"x,y\n1,3\n").unwrap();
        let e = verify_files(dir, &sums).unwrap_err();
        assert!(e.is_bad_input());
        let msg = e.to_string();
        assert!(msg.contains("a.csv") && msg.contains("contents changed"), "{msg}");

        std::fs::write(dir.join("a.csv"), b"x,y\n1,2\n").unwrap();
        std::fs::remove_file(dir.join("plots/b.svg")).unwrap();
        let msg = verify_files(dir, &sums).unwrap_err().to_string();
        assert!(msg.contains("b.svg") && msg.contains("missing"), "{msg}");

        std::fs::write(dir.join("plots/b.svg"), b"<svg/>\n").unwrap();
        let msg = verify_files(dir, &sums).unwrap_err().to_string();
        assert!(msg.contains("7 bytes, but the manifest records 6"), "{msg}");

        for bad in ["../a.csv", "/etc/passwd", ""] {
            let mut s = Checksums::new();
            s.insert(bad.into(), FileChecksum::of(b""));
            let msg = verify_files(dir, &s).unwrap_err().to_string();
            assert!(msg.contains("not a file name inside the directory"), "{bad}: {msg}");
        }
    }
}
