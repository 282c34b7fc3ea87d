//! Reading back the CSV files the program wrote, with the `csv` crate and serde: one place that
//! turns a damaged file (a non-number in a value column, a missing column, a torn row, bytes that
//! are not UTF-8) into an [`Error::Data`] naming the file, the line and the column, and what was
//! expected. Readers derive `Deserialize` for a row struct whose fields are the columns they
//! need (extra columns are ignored, empty fields are `None` for `Option` fields).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// A CSV file with a header, opened for reading back.
pub struct CsvFile<R: Read> {
    path: PathBuf,
    reader: csv::Reader<R>,
    headers: csv::StringRecord,
}

impl CsvFile<std::fs::File> {
    /// Opens `path` and reads its header. A file that cannot be opened is [`Error::Io`].
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        CsvFile::from_reader(path, file)
    }
}

impl<R: Read> CsvFile<R> {
    /// Reads CSV text from `reader`, reporting errors against `path`.
    pub fn from_reader(path: &Path, reader: R) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(csv_error(path, None, e)),
        };
        Ok(CsvFile { path: path.to_path_buf(), reader, headers })
    }

    /// The header's column names.
    pub fn headers(&self) -> &csv::StringRecord {
        &self.headers
    }

    /// The position of column `name`, or an error saying the header lacks it.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| self.missing(name))
    }

    /// The error for a header without column `name`.
    fn missing(&self, name: &str) -> Error {
        data_error(&self.path, 1, format!("the header lacks column `{name}` (not a file zeromile wrote, or damaged)"))
    }

    /// Calls `f` with each row deserialized into `T` by column name, with its line and raw
    /// record; stops at the first error (the file's, or `f`'s).
    /// Every field of `T` must be a column of the header.
    pub fn for_each<T: DeserializeOwned>(
        &mut self,
        f: impl FnMut(u64, T, &csv::StringRecord) -> Result<()>,
    ) -> Result<()> {
        for name in fields_of::<T>() {
            self.column(name)?;
        }
        self.rows(true, f)
    }

    /// Every row, deserialized into `T` by column name (see [`CsvFile::for_each`]).
    pub fn into_rows<T: DeserializeOwned>(mut self) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        self.for_each(|_, row: T, _| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Like [`CsvFile::for_each`], by position rather than by name (for rows of varying columns
    /// deserialized into a tuple ending in a `Vec`).
    pub fn for_each_positional<T: DeserializeOwned>(
        &mut self,
        f: impl FnMut(u64, T, &csv::StringRecord) -> Result<()>,
    ) -> Result<()> {
        self.rows(false, f)
    }

    fn rows<T: DeserializeOwned>(
        &mut self,
        by_name: bool,
        mut f: impl FnMut(u64, T, &csv::StringRecord) -> Result<()>,
    ) -> Result<()> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => return Err(csv_error(&self.path, Some(&self.headers), e)),
            }
            let line = record.position().map_or(0, csv::Position::line);
            let row = record
                .deserialize(by_name.then_some(&self.headers))
                .map_err(|e| row_error(&self.path, &self.headers, line, &record, e))?;
            f(line, row, &record)?;
        }
    }
}

/// A deserialisation error of the record at `line`, naming the column and the value.
fn row_error(path: &Path, headers: &csv::StringRecord, line: u64, record: &csv::StringRecord, e: csv::Error) -> Error {
    let csv::ErrorKind::Deserialize { err, .. } = e.kind() else {
        return csv_error(path, Some(headers), e);
    };
    let field = err.field().map(|j| j as usize);
    let column = field.and_then(|j| headers.get(j)).map_or_else(String::new, |h| format!("column `{h}`: "));
    let found = field.and_then(|j| record.get(j)).unwrap_or_default();
    let expected = match err.kind() {
        csv::DeserializeErrorKind::ParseFloat(_) => "a number".to_string(),
        csv::DeserializeErrorKind::ParseInt(_) => "a whole number".to_string(),
        csv::DeserializeErrorKind::ParseBool(_) => "true or false".to_string(),
        csv::DeserializeErrorKind::UnexpectedEndOfRow => "more fields (a torn row)".to_string(),
        other => other.to_string(),
    };
    data_error(path, line, format!("{column}expected {expected}, found {found:?}"))
}

/// One line of a file (`line`, without its header) deserialized into `T` by position, with
/// the errors of [`CsvFile::for_each_positional`]; for files read line by line (an append-only
/// log resumed after a kill).
pub fn parse_line<T: DeserializeOwned>(path: &Path, headers: &csv::StringRecord, line: u64, text: &str) -> Result<T> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Err(data_error(path, line, "an empty row".into())),
        Err(e) => return Err(csv_error(path, Some(headers), e)),
    }
    if record.len() != headers.len() {
        let message = format!("{} fields where the header has {} (a torn or edited row)", record.len(), headers.len());
        return Err(data_error(path, line, message));
    }
    record.deserialize(None).map_err(|e| row_error(path, headers, line, &record, e))
}

/// The field names of a struct that derives `Deserialize` (its CSV columns); empty for other
/// types. Found by offering `T` a deserializer that records the names and stops.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// The deserializer of [`fields_of`].
struct FieldNames<'a>(&'a mut &'static [&'static str]);

/// Its error: it always stops.
#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> std::result::Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Reads every row of `path` into `T` by column name.
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    CsvFile::open(path)?.into_rows()
}

/// An [`Error::Data`] for `path` at `line`.
pub fn data_error(path: &Path, line: u64, message: String) -> Error {
    Error::Data { path: path.to_path_buf(), line, message }
}

/// A `csv` error other than deserialisation: I/O stays [`Error::Io`], a torn row or bytes that
/// are not UTF-8 are [`Error::Data`] at their line.
pub fn csv_error(path: &Path, headers: Option<&csv::StringRecord>, e: csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            let header = headers.map_or(expected_len as usize, csv::StringRecord::len);
            data_error(path, line, format!("{len} fields where the header has {header} (a torn or edited row)"))
        }
        csv::ErrorKind::Utf8 { err, .. } => {
            data_error(path, line, format!("not UTF-8 text (field {})", err.field() + 1))
        }
        other => data_error(path, line, format!("malformed CSV: {other:?}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Row {
        name: String,
        value: Option<f64>,
    }

    fn read(text: &str) -> Result<Vec<Row>> {
        CsvFile::from_reader(Path::new("dir/x.csv"), text.as_bytes())?.into_rows()
    }

    #[test]
    fn reads_by_name_with_empty_as_none() {
        let rows = read("value,extra,name\n1.5,x,a\n,y,b\n").unwrap();
        assert_eq!(rows, [Row { name: "a".into(), value: Some(1.5) }, Row { name: "b".into(), value: None }]);
    }

    #[test]
    fn damaged_files_name_file_line_and_column() {
        let e = read("name,value\na,1\nb,abc\n").unwrap_err();
        assert!(e.is_bad_input());
        assert_eq!(e.to_string(), "dir/x.csv:3: column `value`: expected a number, found \"abc\"");
        let e = read("name,other\na,1\n").unwrap_err().to_string();
        assert!(e.starts_with("dir/x.csv:1: the header lacks column `value`"), "{e}");
        let e = read("name,value\na,1\nb\n").unwrap_err().to_string();
        assert_eq!(e, "dir/x.csv:3: 1 fields where the header has 2 (a torn or edited row)");
    }

    #[test]
    fn positional_rows_end_in_a_vec() {
        let mut f = CsvFile::from_reader(Path::new("p.csv"), "point,a,b\n0,1,\n1,2,3\n".as_bytes()).unwrap();
        let mut rows = Vec::new();
        f.for_each_positional(|_, r: (usize, Vec<Option<f64>>), _| {
            rows.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, [(0, vec![Some(1.0), None]), (1, vec![Some(2.0), Some(3.0)])]);
        let mut f = CsvFile::from_reader(Path::new("p.csv"), "point,a\nx,1\n".as_bytes()).unwrap();
        let e = f.for_each_positional(|_, _: (usize, Vec<Option<f64>>), _| Ok(())).unwrap_err().to_string();
        assert_eq!(e, "p.csv:2: column `point`: expected a whole number, found \"x\"");
    }
}
