//! Reading an input file (scenario, sweep, targets, calibration): only regular files, at most
//! [`MAX_INPUT_BYTES`], UTF-8 text. Every refusal is bad input (exit code 2) in the user's
//! words, so a missing file, a directory, a device such as `/dev/zero`, a FIFO or a binary file
//! never hangs, exhausts memory or reads as an environment failure.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// The largest input file read (16 MiB): far above any real scenario, sweep, targets or
/// calibration file.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// The text of the input file `path`.
pub fn read_text(path: &Path) -> Result<String> {
    let refuse = |what: String| Error::Usage(format!("{}: {what}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => refuse("no such file (expected a TOML file)".into()),
        _ => refuse(format!("cannot read it ({e})")),
    })?;
    if meta.is_dir() {
        return Err(refuse("is a directory (expected a TOML file)".into()));
    }
    if !meta.is_file() {
        return Err(refuse("not a regular file (expected a TOML file)".into()));
    }
    let too_large = || refuse(format!("larger than the {} MiB an input file may have", MAX_INPUT_BYTES >> 20));
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| refuse(format!("cannot read it ({e})")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes)
        .map_err(|e| refuse(format!("not UTF-8 text (byte {}); expected a TOML file", e.utf8_error().valid_up_to())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<String>) -> String {
        match r {
            Err(e @ Error::Usage(_)) => e.to_string(),
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn reads_text_and_refuses_what_is_not_a_text_file() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.toml");
        std::fs::write(&ok, "name = \"x\"\n").unwrap();
        assert_eq!(read_text(&ok).unwrap(), "name = \"x\"\n");
        assert!(message(read_text(&dir.path().join("missing.toml"))).contains("no such file"));
        assert!(message(read_text(dir.path())).contains("is a directory"));
        let binary = dir.path().join("bin.toml");
        std::fs::write(&binary, b"name = \"\xff\"\n").unwrap();
        assert!(message(read_text(&binary)).contains("not UTF-8 text (byte 8)"));
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_INPUT_BYTES as usize + 1]).unwrap();
        assert!(message(read_text(&big)).contains("larger than the 16 MiB"));
        if Path::new("/dev/zero").exists() {
            assert!(message(read_text(Path::new("/dev/zero"))).contains("not a regular file"));
        }
    }
}
