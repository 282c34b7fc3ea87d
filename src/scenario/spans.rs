//! Reading TOML input with positioned errors, for every input file: scenarios, sweeps, targets
//! and calibrations. [`Spans::parse`] reads a file's text once into key path → line and column;
//! [`Spans::location`] finds a path or its nearest written ancestor and [`Spans::error`] builds
//! the positioned [`Error::Scenario`]. [`did_you_mean`] and [`similar`] suggest a known name for
//! a misspelt one, and [`deserialize_section`] deserialises a table reporting the failing key.

use super::words::in_user_words;
use crate::error::{Error, Location, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// How the elements of an array of tables (`[[events]]`) are named in key paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elements {
    /// By their `id` where it is a string (`events[ban]`), else by index (`events[2]`): scenario
    /// files, whose elements are merged and addressed by id.
    ById,
    /// By index (`parameters[0]`): sweep, targets and calibration files.
    ByIndex,
}

/// Where every key of one or more files was written, by dotted path (`consumers.agents`,
/// `events[ban].date`, `parameters[0].low`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Spans {
    keys: BTreeMap<String, Location>,
    /// Where a path without a written ancestor is reported: the file for [`Spans::parse`], the
    /// command line (no file) for [`Spans::default`].
    fallback: Location,
}

impl Spans {
    /// Parses `text` (reporting a TOML syntax error with its position in `file`) and records
    /// the position of every key: its name where written, else its value; each element of an
    /// array of tables at its `[[header]]`.
    pub(crate) fn parse(text: &str, file: &Path, elements: Elements) -> Result<Self> {
        let lines = LineIndex::new(text);
        let doc = toml_edit::Document::parse(text.to_string()).map_err(|e| {
            let (line, column) = e.span().map(|s| lines.line_col(s.start)).unwrap_or((0, 0));
            Error::Scenario {
                location: Location { file: Some(file.to_path_buf()), line, column },
                key: "<syntax>".into(),
                message: format!("invalid TOML: {}", e.message()),
            }
        })?;
        let mut keys = BTreeMap::new();
        Walker { lines: &lines, file, elements, keys: &mut keys }.table(doc.as_table(), "");
        Ok(Spans { keys, fallback: Location { file: Some(file.to_path_buf()), line: 0, column: 0 } })
    }

    /// Records `path` at `location` (e.g. a `--set` override, at no file), replacing any
    /// earlier position.
    pub(crate) fn insert(&mut self, path: &str, location: Location) {
        self.keys.insert(path.to_string(), location);
    }

    /// Adds the keys of `other`; where both have a path, `other`'s position wins (a child
    /// scenario over the base it extends). The fallback stays this one's.
    pub(crate) fn extend(&mut self, other: Spans) {
        self.keys.extend(other.keys);
    }

    /// Where `path` was written or, when it was not (a missing key), its nearest written
    /// ancestor (`events[ban].share` → `events[ban]`, `consumers.x` → `consumers`).
    pub(crate) fn location(&self, path: &str) -> Location {
        let mut p = path;
        loop {
            if let Some(l) = self.keys.get(p) {
                return l.clone();
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.fallback.clone(),
            }
        }
    }

    /// An input error about `key`, at [`Spans::location`] of `key`.
    pub(crate) fn error(&self, key: &str, message: impl Into<String>) -> Error {
        Error::Scenario { location: self.location(key), key: key.to_string(), message: message.into() }
    }

    /// Deserialises the whole of `text` (the file these spans were parsed from) into `T`,
    /// reporting the failing key's path and position (`<file>` for the file itself).
    pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(&self, text: &str) -> Result<T> {
        let de = toml::Deserializer::parse(text).map_err(|e| self.error("<syntax>", e.message().to_string()))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let (path, message) = failure(path, e.into_inner().message());
            let key = if path.is_empty() { "<file>".to_string() } else { path };
            self.error(&key, message)
        })
    }
}

/// Walks a parsed document, recording each key's position.
struct Walker<'a> {
    lines: &'a LineIndex<'a>,
    file: &'a Path,
    elements: Elements,
    keys: &'a mut BTreeMap<String, Location>,
}

impl Walker<'_> {
    fn record(&mut self, path: &str, span: Option<std::ops::Range<usize>>) {
        // A parsed document positions every key and table; an unpositioned one is left out,
        // so a lookup falls back to its ancestor.
        if let Some(s) = span {
            let (line, column) = self.lines.line_col(s.start);
            self.keys.insert(path.to_string(), Location { file: Some(self.file.to_path_buf()), line, column });
        }
    }

    fn table(&mut self, table: &dyn toml_edit::TableLike, prefix: &str) {
        for (key, item) in table.iter() {
            let path = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
            self.record(&path, table.key(key).and_then(|k| k.span()).or_else(|| item.span()));
            match item {
                toml_edit::Item::Table(t) => self.table(t, &path),
                toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => self.table(t, &path),
                toml_edit::Item::ArrayOfTables(arr) => {
                    for (i, t) in arr.iter().enumerate() {
                        let id = match self.elements {
                            Elements::ById => t.get("id").and_then(|v| v.as_str()).map(str::to_string),
                            Elements::ByIndex => None,
                        };
                        let elem = format!("{path}[{}]", id.unwrap_or_else(|| i.to_string()));
                        self.record(&elem, t.span());
                        self.table(t, &elem);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Byte offsets of the starts of a text's lines, for 1-based line and column of an offset in
/// O(log lines + line length) instead of a scan from the start of the text.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let column = self.text[self.starts[line - 1]..offset].chars().count() + 1;
        (line, column)
    }
}

/// The longest word (in bytes) "did you mean" suggestions are looked for: far longer than any
/// key, metric or name, and short enough that comparing it with every known key stays fast
/// (Jaro–Winkler costs about the word's length per candidate: a 16 MiB key took minutes).
const MAX_SUGGESTION_WORD: usize = 1024;

/// The candidates whose Jaro–Winkler similarity to `word` exceeds `above`, in their order;
/// none for a word longer than [`MAX_SUGGESTION_WORD`].
pub(crate) fn similar<'w, I>(word: &'w str, candidates: I, above: f64) -> impl Iterator<Item = I::Item> + 'w
where
    I: IntoIterator,
    I::Item: AsRef<str>,
    I::IntoIter: 'w,
{
    candidates
        .into_iter()
        .filter(move |c| word.len() <= MAX_SUGGESTION_WORD && strsim::jaro_winkler(word, c.as_ref()) > above)
}

/// The candidate most similar to `word` (Jaro–Winkler; the last of equals), if its similarity
/// exceeds `above`: the "did you mean" of an unknown name. None for a word longer than
/// [`MAX_SUGGESTION_WORD`].
pub(crate) fn did_you_mean<I>(word: &str, candidates: I, above: f64) -> Option<I::Item>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    candidates
        .into_iter()
        .filter(|_| word.len() <= MAX_SUGGESTION_WORD)
        .map(|c| (strsim::jaro_winkler(word, c.as_ref()), c))
        .filter(|(s, _)| *s > above)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "unknown key `x`; did you mean `y`?", or the list of `known` keys when none is close.
pub(crate) fn unknown_key_message(key: &str, known: &[&str]) -> String {
    match did_you_mean(key, known, 0.8) {
        Some(k) => format!("unknown key `{key}`; did you mean `{k}`?"),
        None => format!("unknown key `{key}`; expected one of: {}", known.join(", ")),
    }
}

/// Deserialises a section table, reporting `(key path relative to the section, message)`.
pub(crate) fn deserialize_section<T: serde::de::DeserializeOwned>(
    table: toml::Table,
) -> std::result::Result<T, (String, String)> {
    let value = toml::Value::Table(table);
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        failure(path, &e.into_inner().to_string())
    })
}

/// The key path (empty for the whole input) and the user's message of a deserialisation
/// failure at serde path `path` with serde's `message`: an unknown field is named with a "did you
/// mean", a type error in the user's words ([`in_user_words`]).
fn failure(path: String, message: &str) -> (String, String) {
    let message = message.lines().next().unwrap_or_default();
    let path = if path == "." { String::new() } else { path };
    // Unknown fields: serde names the field in the message, not in the path.
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default().to_string();
        let known: Vec<&str> = message
            .split_once("expected")
            .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        // serde_path_to_error already ends the path with the unknown key; older versions
        // stopped at its parent.
        let full = if path.is_empty() || path == key {
            key.clone()
        } else if path.ends_with(&format!(".{key}")) {
            path
        } else {
            format!("{path}.{key}")
        };
        return (full, unknown_key_message(&key, &known));
    }
    (path, in_user_words(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name = \"x\"
[consumers]
agents = 10
[policy.nested]
deep = { a = 1, b.c = 2 }
[[events]]
id = \"ban\"
date = \"2024-01\"
[[events]]
date = \"2025-01\"
";

    fn at(spans: &Spans, path: &str) -> (usize, usize) {
        let l = spans.location(path);
        (l.line, l.column)
    }

    #[test]
    fn nested_and_inline_tables_are_positioned_at_their_keys() {
        let s = Spans::parse(TEXT, Path::new("s.toml"), Elements::ById).unwrap();
        assert_eq!(at(&s, "name"), (1, 1));
        assert_eq!(at(&s, "consumers"), (2, 2));
        assert_eq!(at(&s, "consumers.agents"), (3, 1));
        assert_eq!(at(&s, "policy.nested"), (4, 9));
        assert_eq!(at(&s, "policy.nested.deep"), (5, 1));
        assert_eq!(at(&s, "policy.nested.deep.a"), (5, 10));
        assert_eq!(at(&s, "policy.nested.deep.b.c"), (5, 19));
        assert_eq!(s.location("name").file.as_deref(), Some(Path::new("s.toml")));
    }

    #[test]
    fn array_elements_by_id_or_by_index() {
        let by_id = Spans::parse(TEXT, Path::new("s.toml"), Elements::ById).unwrap();
        assert_eq!(at(&by_id, "events[ban]"), (6, 1));
        assert_eq!(at(&by_id, "events[ban].date"), (8, 1));
        assert_eq!(at(&by_id, "events[1]"), (9, 1), "an element without an id goes by index");
        assert_eq!(at(&by_id, "events[1].date"), (10, 1));
        let by_index = Spans::parse(TEXT, Path::new("s.toml"), Elements::ByIndex).unwrap();
        assert_eq!(at(&by_index, "events[0].id"), (7, 1));
        assert_eq!(at(&by_index, "events[1].date"), (10, 1));
        assert_eq!(at(&by_index, "events[ban]"), (6, 3), "not an element name: falls back to `events`");
    }

    #[test]
    fn missing_keys_fall_back_to_the_nearest_written_ancestor() {
        let s = Spans::parse(TEXT, Path::new("s.toml"), Elements::ById).unwrap();
        assert_eq!(at(&s, "consumers.missing"), (2, 2));
        assert_eq!(at(&s, "events[ban].share"), (6, 1));
        assert_eq!(at(&s, "policy.nested.deep.z.y"), (5, 1));
        // Nothing written: the file itself, or the command line for spans of no file.
        let l = s.location("governments.x");
        assert_eq!((l.file.as_deref(), l.line, l.column), (Some(Path::new("s.toml")), 0, 0));
        let mut merged = Spans::default();
        merged.extend(s);
        assert_eq!(merged.location("governments.x"), Location::default());
        assert_eq!(at(&merged, "consumers.agents"), (3, 1));
        merged.insert("consumers.agents", Location::default());
        assert_eq!(merged.location("consumers.agents.x"), Location::default());
        let e = merged.error("consumers.x", "bad").to_string();
        assert_eq!(e, "s.toml:2:2: `consumers.x`: bad");
    }

    #[test]
    fn columns_count_characters_and_syntax_errors_are_positioned() {
        let s = Spans::parse("a = \"é\"\n  b = 1\r\n c = 2", Path::new("u.toml"), Elements::ById).unwrap();
        assert_eq!(at(&s, "b"), (2, 3));
        assert_eq!(at(&s, "c"), (3, 2));
        let lines = LineIndex::new("αβ\nγ");
        assert_eq!(lines.line_col(0), (1, 1));
        assert_eq!(lines.line_col(4), (1, 3), "two 2-byte characters before the newline");
        assert_eq!(lines.line_col(5), (2, 1));
        assert_eq!(lines.line_col(99), (2, 2), "offsets past the end clamp to it");
        let e = Spans::parse("a = 1\nb = = 2\n", Path::new("bad.toml"), Elements::ByIndex).unwrap_err();
        match e {
            Error::Scenario { location, key, message } => {
                assert_eq!((location.line, location.column, key.as_str()), (2, 5, "<syntax>"));
                assert!(message.starts_with("invalid TOML: "), "{message}");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn deserialize_reports_the_failing_key() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct F {
            n: u32,
        }
        let text = "\n\nn = \"x\"\n";
        let s = Spans::parse(text, Path::new("f.toml"), Elements::ByIndex).unwrap();
        let e = s.deserialize::<F>(text).unwrap_err().to_string();
        assert_eq!(e, "f.toml:3:1: `n`: expected a whole number from 0 to 4294967295, found text \"x\"");
        let e = s.deserialize::<F>("").unwrap_err().to_string();
        assert_eq!(e, "f.toml: `<file>`: the required key `n` is missing");
        let e = s.deserialize::<F>("n = 6.5").unwrap_err().to_string();
        assert_eq!(e, "f.toml:3:1: `n`: expected a whole number from 0 to 4294967295, found 6.5");
    }

    #[test]
    fn suggestions_need_a_similarity_above_the_threshold() {
        let known = ["consumers", "automakers", "governments"];
        assert_eq!(did_you_mean("consumer", known, 0.8), Some("consumers"));
        assert_eq!(did_you_mean("xyz", known, 0.8), None);
        // "consumrs" is about 0.97 similar to "consumers": suggested at 0.8 or 0.95, not 0.99.
        assert!(did_you_mean("consumrs", known, 0.95).is_some());
        assert!(did_you_mean("consumrs", known, 0.99).is_none());
        // The threshold is exclusive: a word equal to a candidate (similarity 1) is not above 1.
        assert_eq!(did_you_mean("automakers", known, 1.0), None);
        // `similar` keeps every candidate above the threshold, in order; `did_you_mean` the best.
        let names = ["exports_a", "exports", "export", "imports"];
        assert_eq!(similar("exportz", names, 0.8).collect::<Vec<_>>(), ["exports_a", "exports", "export"]);
        assert_eq!(did_you_mean("exportz", names, 0.8), Some("export"));
        assert_eq!(unknown_key_message("polcy", &["policy", "events"]), "unknown key `polcy`; did you mean `policy`?");
        assert_eq!(
            unknown_key_message("zzz", &["policy", "events"]),
            "unknown key `zzz`; expected one of: policy, events"
        );
    }

    /// Found by fuzzing: a sweep parameter `path` of 800,000 characters took 5 s (a 16 MiB one
    /// minutes) comparing it with every scenario key; words that long get no suggestion.
    #[test]
    fn very_long_words_get_no_suggestion() {
        let known = ["consumers.agents", "consumers"];
        let long = format!("consumers.agents{}", "x".repeat(MAX_SUGGESTION_WORD));
        assert_eq!(did_you_mean(&long, known, 0.0), None);
        assert_eq!(similar(&long, known, 0.0).count(), 0);
        let at_limit = format!("consumers.agents{}", "x".repeat(MAX_SUGGESTION_WORD - 16));
        assert_eq!(did_you_mean(&at_limit, known, 0.0), Some("consumers.agents"));
        assert!(unknown_key_message(&long, &known).contains("expected one of: consumers.agents, consumers"));
    }

    #[test]
    fn deserialize_section_names_unknown_keys_relative_to_the_section() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            agents: u32,
            share: f64,
        }
        let t: toml::Table = toml::from_str("agent = 1").unwrap();
        let (k, m) = deserialize_section::<S>(t).unwrap_err();
        assert_eq!(k, "agent");
        assert_eq!(m, "unknown key `agent`; did you mean `agents`?");
        let t: toml::Table = toml::from_str("agents = \"x\"\nshare = 1.0").unwrap();
        let (k, _) = deserialize_section::<S>(t).unwrap_err();
        assert_eq!(k, "agents");
    }
}
