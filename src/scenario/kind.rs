//! Which kind of input file a TOML file is (scenario, sweep, calibration or targets), told by its
//! top-level keys, so that a file given to the wrong command is named for what it is ("… is a
//! sweep file: use `zeromile sweep …`") instead of failing on its first unknown key.

use super::load::TOP_KEYS;
use crate::error::{Error, Result};
use std::path::Path;

/// The kinds of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A scenario (`zeromile run`, `validate`, `check-facts`): scenario keys such as `name`,
    /// `end`, `[consumers]`, `[[events]]`.
    Scenario,
    /// A sweep file (`zeromile sweep`): a top-level `[sweep]` table.
    Sweep,
    /// A calibration file (`zeromile calibrate`): a top-level `[calibration]` table.
    Calibration,
    /// A targets file (`zeromile check-facts --targets`): `[[targets]]`.
    Targets,
}

impl FileKind {
    /// The kind a file's top-level `table` shows, or `None` when none of its keys tells (an empty
    /// or unrelated file: the loader then reports what is missing).
    pub fn of(table: &toml::Table) -> Option<FileKind> {
        if table.get("sweep").is_some_and(toml::Value::is_table) {
            Some(FileKind::Sweep)
        } else if table.get("calibration").is_some_and(toml::Value::is_table) {
            Some(FileKind::Calibration)
        } else if table.get("targets").is_some_and(toml::Value::is_array) {
            Some(FileKind::Targets)
        } else if table.keys().any(|k| k != "description" && TOP_KEYS.contains(&k.as_str())) {
            Some(FileKind::Scenario)
        } else {
            None
        }
    }

    /// "a sweep file (it has a top-level [sweep] table)" and so on.
    fn described(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario file",
            FileKind::Sweep => "a sweep file (it has a top-level [sweep] table)",
            FileKind::Calibration => "a calibration file (it has a top-level [calibration] table)",
            FileKind::Targets => "a targets file (it has [[targets]])",
        }
    }

    /// "a scenario" and so on: what the command wanted.
    fn wanted(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario",
            FileKind::Sweep => "a sweep file",
            FileKind::Calibration => "a calibration file",
            FileKind::Targets => "a targets file",
        }
    }

    /// How a file of this kind at `path` is used.
    fn usage(self, path: &Path) -> String {
        let p = path.display();
        match self {
            FileKind::Scenario => {
                format!("use `zeromile run {p}` (or name it as `base` in a sweep or calibration file)")
            }
            FileKind::Sweep => format!("use `zeromile sweep {p}`"),
            FileKind::Calibration => format!("use `zeromile calibrate {p}`"),
            FileKind::Targets => format!("use `zeromile check-facts SCENARIO --targets {p}`"),
        }
    }
}

/// The kind of the file at `path`, or `None` when it cannot be read or parsed or nothing in it
/// tells (its loader then reports what is wrong).
pub fn file_kind(path: &Path) -> Option<FileKind> {
    let text = super::input::read_text(path).ok()?;
    toml::from_str::<toml::Table>(&text).ok().as_ref().and_then(FileKind::of)
}

/// `Ok` unless `table` (read from `path`) is a file of another kind than `wanted`: then the
/// usage error naming what it is and how it is used.
pub(crate) fn expect_table(table: &toml::Table, path: &Path, wanted: FileKind) -> Result<()> {
    match FileKind::of(table) {
        Some(found) if found != wanted => Err(Error::Usage(format!(
            "{} is {}, not {}: {}",
            path.display(),
            found.described(),
            wanted.wanted(),
            found.usage(path)
        ))),
        _ => Ok(()),
    }
}

/// [`expect_table`] for the `text` of `path`; text that is not TOML passes (its loader reports
/// the syntax error with its position).
pub(crate) fn expect_text(text: &str, path: &Path, wanted: FileKind) -> Result<()> {
    match toml::from_str::<toml::Table>(text) {
        Ok(table) => expect_table(&table, path, wanted),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<FileKind> {
        FileKind::of(&toml::from_str(text).unwrap())
    }

    #[test]
    fn kinds_are_told_by_top_level_keys() {
        assert_eq!(kind("[sweep]\nbase = \"a.toml\"\n[[outcomes]]\nname = \"x\""), Some(FileKind::Sweep));
        assert_eq!(kind("[calibration]\nbase = \"a.toml\""), Some(FileKind::Calibration));
        assert_eq!(kind("description = \"d\"\n[[targets]]\nid = \"a\""), Some(FileKind::Targets));
        assert_eq!(kind("end = \"2019-03\""), Some(FileKind::Scenario));
        assert_eq!(kind("[[events]]\nid = \"e\""), Some(FileKind::Scenario));
        // Nothing tells: an empty file, a description alone, unrelated keys, `sweep` not a table.
        assert_eq!(kind(""), None);
        assert_eq!(kind("description = \"d\""), None);
        assert_eq!(kind("colour = 1"), None);
        assert_eq!(kind("sweep = 1"), None);
    }

    #[test]
    fn a_file_of_another_kind_is_named_with_its_command() {
        let sweep: toml::Table = toml::from_str("[sweep]\nbase = \"a.toml\"").unwrap();
        let e = expect_table(&sweep, Path::new("s.toml"), FileKind::Scenario).unwrap_err();
        assert!(matches!(e, Error::Usage(_)));
        assert_eq!(
            e.to_string(),
            "s.toml is a sweep file (it has a top-level [sweep] table), not a scenario: use `zeromile sweep s.toml`"
        );
        assert!(expect_table(&sweep, Path::new("s.toml"), FileKind::Sweep).is_ok());
        let e = expect_text("name = \"x\"", Path::new("b.toml"), FileKind::Sweep).unwrap_err().to_string();
        assert_eq!(
            e,
            "b.toml is a scenario file, not a sweep file: use `zeromile run b.toml` (or name it as `base` in a sweep \
             or calibration file)"
        );
        let e = expect_text("[[targets]]\nid = \"a\"", Path::new("t.toml"), FileKind::Calibration).unwrap_err();
        assert!(e.to_string().ends_with("use `zeromile check-facts SCENARIO --targets t.toml`"), "{e}");
        let e = expect_text("[calibration]\n", Path::new("c.toml"), FileKind::Targets).unwrap_err();
        assert!(e.to_string().ends_with("use `zeromile calibrate c.toml`"), "{e}");
        assert!(expect_text("not = = toml", Path::new("x.toml"), FileKind::Sweep).is_ok());
    }
}
