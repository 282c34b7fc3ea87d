//! Library error type: every failure the library can report, each carrying what a user needs to fix it.

use std::fmt;
use std::path::PathBuf;

/// Where in the user's input a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// Scenario file, or `None` when the value came from the command line (`--set`) or a default.
    pub file: Option<PathBuf>,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(p) if self.line > 0 => write!(f, "{}:{}:{}", p.display(), self.line, self.column),
            Some(p) => write!(f, "{}", p.display()),
            None => write!(f, "command line"),
        }
    }
}

/// The kinds of library error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file or override is invalid (bad key, type, range, date, `extends`).
    #[error("{location}: `{key}`: {message}")]
    Scenario {
        /// Where the offending value was written.
        location: Location,
        /// Dotted key path, e.g. `consumers.agents` or `events[2].date`.
        key: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A data file the program wrote and reads back (`summary.csv`, `points.csv`, …) is damaged
    /// or not in its format: the file, the line (0 when the whole file is meant) and what is
    /// wrong, naming the column and what was expected. Bad input, like a bad scenario.
    #[error("{}{}: {message}", path.display(), line_suffix(*line))]
    Data {
        /// The file.
        path: PathBuf,
        /// 1-based line of the record (the header is line 1), or 0.
        line: u64,
        /// What was wrong, with the column and what was expected.
        message: String,
    },
    /// A file could not be read or written. The I/O error is part of the message and not a
    /// chained source, so an error chain prints it once.
    #[error("{action}{path}: {error}")]
    Io {
        /// What was being done, with a trailing space (`"creating "`), or empty.
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A step of a job failed for the reason in `source`; `context` says which step and what
    /// is already complete.
    #[error("{context}")]
    Context {
        /// The step, in the user's terms.
        context: String,
        /// Why it failed.
        source: Box<Error>,
    },
    /// Invalid request that is not about one scenario key (e.g. zero replicates).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Builds an I/O error for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action: "", path: path.into(), error: source }
    }

    /// An I/O error while `action` (`"creating "`, `"removing "`, with its trailing space) was
    /// being done to `path`.
    pub fn io_while(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), error: source }
    }

    /// Wraps `self` with the step that failed.
    pub fn context(self, context: impl Into<String>) -> Self {
        Error::Context { context: context.into(), source: Box::new(self) }
    }

    /// True when the error is the user's input (exit code 2), false for environment failures.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::Scenario { .. } | Error::Data { .. } | Error::Usage(_) => true,
            Error::Io { .. } => false,
            Error::Context { source, .. } => source.is_bad_input(),
        }
    }
}

/// `:N` for a line N > 0, nothing for 0.
fn line_suffix(line: u64) -> String {
    if line > 0 {
        format!(":{line}")
    } else {
        String::new()
    }
}

/// Library result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
