//! Mutations of input files and `--set` strings for the fuzz tests (`fuzz.rs`): proptest
//! strategies that describe a mutation as data (so a failure prints and shrinks), and the
//! functions that apply it to a seed file's bytes.

use proptest::prelude::*;
use proptest::sample::Index;

/// Values written in place of a key's value: the number edge cases (huge, tiny, signed zero,
/// NaN and infinity spellings, 2^64, integer limits, long digit strings), type swaps, dates
/// that look right but are not, and paths a file may name (itself, a directory, a device, a
/// file of another kind).
pub const SPECIAL_VALUES: &[&str] = &[
    "1e308",
    "-1e308",
    "1e-308",
    "1e309",
    "-1e309",
    "5e-324",
    "0",
    "-0",
    "+0",
    "0.0",
    "-0.0",
    "nan",
    "+nan",
    "-nan",
    "inf",
    "+inf",
    "-inf",
    "NaN",
    "Infinity",
    "18446744073709551616",
    "18446744073709551615",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "4294967296",
    "4294967295",
    "2147483648",
    "-2147483649",
    "-1",
    "1",
    "2",
    "3",
    "100",
    "1000000",
    "1000001",
    "10000000",
    "999999999999",
    "1e12",
    "0.5",
    "1.5",
    "-0.5",
    "6.5",
    "0x7fffffffffffffff",
    "0o777",
    "0b1010",
    "1_000_000",
    "1.",
    ".5",
    "1e",
    "--1",
    "\"\"",
    "\" \"",
    "\"x\"",
    "\"NaN\"",
    "\"inf\"",
    "\"1e308\"",
    "\"-1\"",
    "\"12\"",
    "\"2024-13\"",
    "\"2024-00\"",
    "\"0000-01\"",
    "\"9999-12\"",
    "\"-001-01\"",
    "\"2024-1\"",
    "\"2024-01-01\"",
    "\"1900-01\"",
    "\"1899-12\"",
    "\"2200-12\"",
    "\"2201-01\"",
    "\"2019-01\"",
    "\"2019-03\"",
    "\"2024-12\"",
    "true",
    "false",
    "[]",
    "{}",
    "[1, 2]",
    "[1.0, 2.0]",
    "[3.0, 1.0]",
    "[0.0, 0.0, 0.0]",
    "[\"x\"]",
    "[[]]",
    "{ a = 1 }",
    "{ id = \"x\" }",
    "1979-05-27T07:32:00Z",
    "1979-05-27",
    "07:32:00",
    "\"../baseline.toml\"",
    "\"../smoke.toml\"",
    "\"smoke.toml\"",
    "\"baseline.toml\"",
    "\"fuzz_case.toml\"",
    "\"../fuzz_case.toml\"",
    "\"/dev/null\"",
    "\"/dev/zero\"",
    "\"/\"",
    "\".\"",
    "\"..\"",
    "\"../targets/china-2019-2024.toml\"",
    "\"../sweeps/smoke.toml\"",
    "\"../ablations/no_backlash.toml\"",
    "\"../calibration/baseline.toml\"",
    "\"saltelli\"",
    "\"morris\"",
    "\"grid\"",
    "\"random\"",
    "\"latin_hypercube\"",
    "\"log\"",
    "\"linear\"",
    "\"integer\"",
    "\"mean\"",
    "\"median\"",
    "\"sum\"",
    "\"last\"",
    "\"russia\"",
    "\"tariff\"",
    "\"zero_mileage_rule\"",
    "\"zero_mileage_quota\"",
    "\"consumers.agents\"",
    "\"events[holding_rule].min_holding_months\"",
    "\"markets[russia].tariff\"",
    "\"production\"",
    "\"exports_russia\"",
    "[\"end=2019-03\"]",
    "[\"end=\\\"2019-03\\\"\"]",
    "[\"consumers.agents=100\"]",
    "[\"replicates=1000000000000\"]",
    "[\"extends=\\\"smoke.toml\\\"\"]",
    "[\"x\"]",
    "[\"end=\"]",
    "[\"=\"]",
    "[\"markets[russia.tariff=0.7\"]",
];

/// Nested-value shapes for the deep-nesting mutations.
#[derive(Debug, Clone, Copy)]
pub enum Nest {
    /// `[[[…1…]]]`
    Array,
    /// `{a={a=…1…}}`
    InlineTable,
    /// `[{a=[{a=…1…}]}]`
    Mixed,
    /// `[[[[…` never closed.
    Unclosed,
}

/// Nesting depths: around the parsers' recursion limit (80) and far beyond it.
const DEPTHS: &[usize] = &[1, 2, 10, 40, 79, 80, 81, 127, 128, 1000, 10_000, 100_000];

/// Long-string lengths.
const LENGTHS: &[usize] = &[0, 1, 255, 256, 4096, 65_536, 200_000];

/// A generated value.
#[derive(Debug, Clone)]
pub enum Value {
    /// One of [`SPECIAL_VALUES`].
    Special(Index),
    /// A random integer.
    Int(i64),
    /// A random float, written with `{:?}` (so NaN and infinities come out as Rust spells them).
    Float(f64),
    /// A long run of digits (integer or fraction).
    Digits { count: Index, fraction: bool },
    /// A deeply nested value.
    Deep { depth: Index, nest: Nest },
    /// A long string.
    Long(Index),
    /// A string of arbitrary characters (quotes, escapes, control characters, non-ASCII).
    Chars(String),
    /// A `set` list whose override has a deep key path: `["consumers.a.a.….a=1"]`.
    DeepSet(Index),
}

impl Value {
    pub fn text(&self) -> String {
        match self {
            Value::Special(i) => i.get(SPECIAL_VALUES).to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(x) => format!("{x:?}"),
            Value::Digits { count, fraction } => {
                let n = [30, 400, 5000][count.index(3)];
                if *fraction {
                    format!("0.{}", "7".repeat(n))
                } else {
                    format!("1{}", "0".repeat(n))
                }
            }
            Value::Deep { depth, nest } => deep(*depth.get(DEPTHS), *nest),
            Value::Long(len) => format!("\"{}\"", "x".repeat(*len.get(LENGTHS))),
            Value::Chars(s) => format!("\"{s}\""),
            Value::DeepSet(d) => format!("[\"consumers.{}=1\"]", vec!["a"; *d.get(DEPTHS)].join(".")),
        }
    }
}

/// A value nested `depth` deep.
pub fn deep(depth: usize, nest: Nest) -> String {
    match nest {
        Nest::Array => format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        Nest::InlineTable => format!("{}1{}", "{a=".repeat(depth), "}".repeat(depth)),
        Nest::Mixed => format!("{}1{}", "[{a=".repeat(depth), "}]".repeat(depth)),
        Nest::Unclosed => "[".repeat(depth),
    }
}

/// A generated line inserted into a file.
#[derive(Debug, Clone)]
pub enum Line {
    /// `deep = <nested value>`.
    DeepValue { depth: Index, nest: Nest },
    /// `a.a.a.….a = 1`.
    DottedKey(Index),
    /// `[a.a.….a]` or `[[a.a.….a]]`.
    DeepHeader { depth: Index, array: bool },
    /// A very long bare key.
    LongKey(Index),
    /// `<known key> = <value>`: a key of the file's kind (maybe a duplicate).
    Known { key: Index, value: Value },
    /// `= 1`, `key`, `key =`, `"" = 1`, `[]`, `[[]]`, `[ ]`, a lone `]`.
    Broken(Index),
    /// A header of the file's kind (a duplicate table, or an extra array element).
    Header(Index),
}

/// Keys and headers of every input kind, for [`Line::Known`] and [`Line::Header`].
const KNOWN_KEYS: &[&str] = &[
    "id",
    "name",
    "extends",
    "start",
    "end",
    "seed",
    "replicates",
    "date",
    "until",
    "kind",
    "enabled",
    "agents",
    "count",
    "pool",
    "tariff",
    "market",
    "base",
    "set",
    "design",
    "points",
    "levels",
    "bootstrap",
    "path",
    "low",
    "high",
    "scale",
    "values",
    "metric",
    "from",
    "to",
    "year",
    "aggregation",
    "observed",
    "band",
    "tolerance",
    "weight",
    "targets",
    "statistic",
    "max_iterations",
    "initial_step",
    "restarts",
    "start",
];
const HEADERS: &[&str] = &[
    "[consumers]",
    "[automakers]",
    "[governments]",
    "[exporters]",
    "[policy]",
    "[[markets]]",
    "[[events]]",
    "[sweep]",
    "[[parameters]]",
    "[[outcomes]]",
    "[[targets]]",
    "[calibration]",
    "[optimizer]",
    "[markets]",
    "[events]",
    "[[consumers]]",
];
const BROKEN: &[&str] =
    &["= 1", "key", "key =", "\"\" = 1", "[]", "[[]]", "[ ]", "]", "[a", "a = 1 = 2", "a.=1", "\u{feff}a = 1"];

impl Line {
    pub fn text(&self) -> String {
        match self {
            Line::DeepValue { depth, nest } => format!("deep = {}", deep(*depth.get(DEPTHS), *nest)),
            Line::DottedKey(d) => format!("{} = 1", vec!["a"; *d.get(DEPTHS)].join(".")),
            Line::DeepHeader { depth, array } => {
                let k = vec!["a"; *depth.get(DEPTHS)].join(".");
                if *array {
                    format!("[[{k}]]")
                } else {
                    format!("[{k}]")
                }
            }
            Line::LongKey(len) => format!("{} = 1", "k".repeat(1 + *len.get(LENGTHS))),
            Line::Known { key, value } => format!("{} = {}", key.get(KNOWN_KEYS), value.text()),
            Line::Broken(i) => i.get(BROKEN).to_string(),
            Line::Header(i) => i.get(HEADERS).to_string(),
        }
    }
}

/// Bytes that are not valid UTF-8 (or are odd in TOML): a lone continuation byte, a truncated
/// two-byte sequence, an overlong encoding, a surrogate, NUL, a byte-order mark, CR alone.
const ODD_BYTES: &[&[u8]] = &[
    b"\xff",
    b"\x80",
    b"\xc3",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\0",
    b"\xef\xbb\xbf",
    b"\r",
    b"\x7f",
    b"\xf4\x90\x80\x80",
];

/// One mutation of a file.
#[derive(Debug, Clone)]
pub enum Op {
    /// Replaces one byte.
    FlipByte { at: Index, byte: u8 },
    /// Flips one bit of one byte.
    FlipBit { at: Index, bit: u8 },
    /// Inserts bytes that are not valid UTF-8 (or odd ones).
    OddBytes { at: Index, which: Index },
    /// Cuts the file at a byte.
    Truncate { at: Index },
    /// Deletes a line.
    DeleteLine { line: Index },
    /// Copies a line elsewhere (duplicate keys, duplicate tables).
    DuplicateLine { line: Index, to: Index },
    /// Swaps the type of an assignment's value (number ↔ string, array/table → scalar, …).
    SwapType { line: Index },
    /// Replaces an assignment's value.
    SetValue { line: Index, value: Value },
    /// Turns a `[table]` or `[[array]]` header into `name = 1`.
    HeaderToScalar { line: Index },
    /// Inserts a generated line.
    InsertLine { at: Index, line: Line },
}

fn nest() -> impl Strategy<Value = Nest> {
    prop_oneof![Just(Nest::Array), Just(Nest::InlineTable), Just(Nest::Mixed), Just(Nest::Unclosed)]
}

fn chars() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('\\'),
            Just('"'),
            Just('\''),
            Just('\n'),
            Just('\t'),
            Just('\u{0}'),
            Just('é'),
            Just('\u{202e}'),
            Just('='),
            Just('['),
            Just('.'),
            proptest::char::any(),
        ],
        0..8,
    )
    .prop_map(|v| v.into_iter().collect())
}

pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => any::<Index>().prop_map(Value::Special),
        2 => any::<i64>().prop_map(Value::Int),
        2 => any::<f64>().prop_map(Value::Float),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(count, fraction)| Value::Digits { count, fraction }),
        1 => (any::<Index>(), nest()).prop_map(|(depth, nest)| Value::Deep { depth, nest }),
        1 => any::<Index>().prop_map(Value::Long),
        1 => chars().prop_map(Value::Chars),
        1 => any::<Index>().prop_map(Value::DeepSet),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        1 => (any::<Index>(), nest()).prop_map(|(depth, nest)| Line::DeepValue { depth, nest }),
        1 => any::<Index>().prop_map(Line::DottedKey),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(depth, array)| Line::DeepHeader { depth, array }),
        1 => any::<Index>().prop_map(Line::LongKey),
        4 => (any::<Index>(), value()).prop_map(|(key, value)| Line::Known { key, value }),
        1 => any::<Index>().prop_map(Line::Broken),
        2 => any::<Index>().prop_map(Line::Header),
    ]
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<Index>(), prop_oneof![3 => 0x20u8..0x7f, 1 => any::<u8>()])
            .prop_map(|(at, byte)| Op::FlipByte { at, byte }),
        1 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Op::FlipBit { at, bit }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(at, which)| Op::OddBytes { at, which }),
        2 => any::<Index>().prop_map(|at| Op::Truncate { at }),
        3 => any::<Index>().prop_map(|line| Op::DeleteLine { line }),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(line, to)| Op::DuplicateLine { line, to }),
        3 => any::<Index>().prop_map(|line| Op::SwapType { line }),
        6 => (any::<Index>(), value()).prop_map(|(line, value)| Op::SetValue { line, value }),
        1 => any::<Index>().prop_map(|line| Op::HeaderToScalar { line }),
        3 => (any::<Index>(), line()).prop_map(|(at, line)| Op::InsertLine { at, line }),
    ]
}

/// One mutation of a file (most cases, so that more of them stay valid and run), or two to four.
pub fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop_oneof![3 => proptest::collection::vec(op(), 1..=1), 1 => proptest::collection::vec(op(), 2..=4)]
}

/// The lines of `bytes`, each without its `\n`.
fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

/// The byte offset of `=` in an assignment line (`key = value`, not a comment or header).
fn assignment(line: &[u8]) -> Option<usize> {
    let t = line.iter().position(|b| !b.is_ascii_whitespace())?;
    if line[t] == b'#' || line[t] == b'[' {
        return None;
    }
    line.iter().position(|&b| b == b'=')
}

fn is_header(line: &[u8]) -> bool {
    line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// The value of type-swapped `value` (trimmed, comment not removed).
fn swapped(value: &[u8]) -> Vec<u8> {
    let v = String::from_utf8_lossy(value);
    let v = v.trim();
    let out = match v.chars().next() {
        Some('"') => {
            let inner = v.trim_matches('"');
            if inner.parse::<f64>().is_ok() {
                inner.to_string()
            } else {
                "3".to_string()
            }
        }
        Some('[') | Some('{') => "1".to_string(),
        Some('t') | Some('f') => "\"true\"".to_string(),
        Some(_) => format!("\"{}\"", v.split('#').next().unwrap_or_default().trim()),
        None => "[]".to_string(),
    };
    out.into_bytes()
}

/// `bytes` with `ops` applied in order.
pub fn apply(bytes: &[u8], ops: &[Op]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for op in ops {
        b = apply_one(b, op);
    }
    b
}

fn apply_one(mut b: Vec<u8>, op: &Op) -> Vec<u8> {
    // Lines of one kind, or all lines when the file has none of that kind.
    let pick = |ls: &[Vec<u8>], i: &Index, want: &dyn Fn(&[u8]) -> bool| -> usize {
        let cands: Vec<usize> = (0..ls.len()).filter(|&j| want(&ls[j])).collect();
        if cands.is_empty() {
            i.index(ls.len())
        } else {
            *i.get(&cands)
        }
    };
    match op {
        Op::FlipByte { at, byte } => {
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] = *byte;
            }
            b
        }
        Op::FlipBit { at, bit } => {
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] ^= 1 << bit;
            }
            b
        }
        Op::OddBytes { at, which } => {
            let i = at.index(b.len() + 1);
            let odd = which.get(ODD_BYTES);
            b.splice(i..i, odd.iter().copied());
            b
        }
        Op::Truncate { at } => {
            b.truncate(at.index(b.len() + 1));
            b
        }
        Op::DeleteLine { line } => {
            let mut ls = lines(&b);
            let i = pick(&ls, line, &|l| !l.is_empty());
            ls.remove(i);
            join(&ls)
        }
        Op::DuplicateLine { line, to } => {
            let mut ls = lines(&b);
            let i = pick(&ls, line, &|l| !l.is_empty());
            let copy = ls[i].clone();
            ls.insert(to.index(ls.len() + 1), copy);
            join(&ls)
        }
        Op::SwapType { line } => {
            let mut ls = lines(&b);
            let i = pick(&ls, line, &|l| assignment(l).is_some());
            if let Some(eq) = assignment(&ls[i]) {
                let mut l = ls[i][..=eq].to_vec();
                l.push(b' ');
                l.extend(swapped(&ls[i][eq + 1..]));
                ls[i] = l;
            }
            join(&ls)
        }
        Op::SetValue { line, value } => {
            let mut ls = lines(&b);
            let i = pick(&ls, line, &|l| assignment(l).is_some());
            if let Some(eq) = assignment(&ls[i]) {
                let mut l = ls[i][..=eq].to_vec();
                l.push(b' ');
                l.extend(value.text().into_bytes());
                ls[i] = l;
            }
            join(&ls)
        }
        Op::HeaderToScalar { line } => {
            let mut ls = lines(&b);
            let i = pick(&ls, line, &|l| is_header(l));
            if is_header(&ls[i]) {
                let name: Vec<u8> = ls[i].iter().copied().filter(|c| !matches!(c, b'[' | b']' | b' ')).collect();
                let mut l = name;
                l.extend_from_slice(b" = 1");
                ls[i] = l;
            }
            join(&ls)
        }
        Op::InsertLine { at, line } => {
            let mut ls = lines(&b);
            let i = at.index(ls.len() + 1);
            ls.insert(i, line.text().into_bytes());
            join(&ls)
        }
    }
}

/// What changed between `before` and `after`, shortened for a failure message: the first
/// changed line and the changed bytes (at most `max` characters of each).
pub fn describe_change(before: &[u8], after: &[u8], max: usize) -> String {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let suffix = before[prefix..].iter().rev().zip(after[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let line = 1 + after[..prefix].iter().filter(|&&c| c == b'\n').count();
    let short = |s: &[u8]| {
        let t = String::from_utf8_lossy(s);
        if t.chars().count() > max {
            format!("{}… ({} bytes)", t.chars().take(max).collect::<String>(), s.len())
        } else {
            t.into_owned()
        }
    };
    format!(
        "line {line}: {:?} became {:?} ({} → {} bytes in all)",
        short(&before[prefix..before.len() - suffix]),
        short(&after[prefix..after.len() - suffix]),
        before.len(),
        after.len()
    )
}

/// One generated `--set` string.
#[derive(Debug, Clone)]
pub struct SetString {
    pub path: SetPath,
    pub sep: Index,
    /// The value; `None` writes the key's documented default (so that many cases are valid).
    pub value: Option<Value>,
}

/// The key path of a `--set` string.
#[derive(Debug, Clone)]
pub enum SetPath {
    /// A documented key (`zeromile describe`), its `[]` filled with an element id.
    Doc { key: Index, id: Index },
    /// A documented key, then mangled.
    Mangled { key: Index, id: Index, how: Index, at: Index },
    /// A top-level key, then `.a` repeated (a deep key path).
    Deep { key: Index, depth: Index },
    /// Arbitrary characters.
    Garbage(String),
}

/// Separators between a `--set` path and its value; the empty one leaves `=` out.
const SEPS: &[&str] = &["=", "=", "=", " = ", "", "==", ":", "= ="];

/// Ways to break a key path.
const MANGLES: &[&str] =
    &["drop", "[", "]", ".", "..", "[]", " ", "x", "=", "upper", "prefix.", "suffix.", "suffix[", "empty"];

impl SetString {
    /// The override text, given the documented keys, their defaults and the element ids to
    /// fill in.
    pub fn text(&self, keys: &[String], defaults: &[String], ids: &[String]) -> String {
        let fill = |key: &Index, id: &Index| {
            let k = key.get(keys);
            let id = id.get(ids);
            match k.find('[') {
                Some(open) => match k[open..].find(']') {
                    Some(close) => format!("{}[{id}]{}", &k[..open], &k[open + close + 1..]),
                    None => k.clone(),
                },
                None => k.clone(),
            }
        };
        let path = match &self.path {
            SetPath::Doc { key, id } => fill(key, id),
            SetPath::Mangled { key, id, how, at } => {
                let p = fill(key, id);
                let mut chars: Vec<char> = p.chars().collect();
                let i = at.index(chars.len() + 1);
                match *how.get(MANGLES) {
                    "drop" => {
                        if i < chars.len() {
                            chars.remove(i);
                        }
                    }
                    "upper" => chars = p.to_uppercase().chars().collect(),
                    "prefix." => chars.insert(0, '.'),
                    "suffix." => chars.push('.'),
                    "suffix[" => chars.push('['),
                    "empty" => chars.clear(),
                    ins => {
                        for (k, c) in ins.chars().enumerate() {
                            chars.insert(i + k, c);
                        }
                    }
                }
                chars.into_iter().collect()
            }
            SetPath::Deep { key, depth } => {
                let top = key.get(keys).split(['.', '[']).next().unwrap_or_default().to_string();
                format!("{top}{}", ".a".repeat(*depth.get(DEPTHS)))
            }
            SetPath::Garbage(s) => s.clone(),
        };
        let value = match (&self.value, &self.path) {
            (Some(v), _) => v.text(),
            (None, SetPath::Doc { key, .. } | SetPath::Mangled { key, .. }) => {
                defaults[key.index(defaults.len())].clone()
            }
            (None, _) => "1".to_string(),
        };
        format!("{path}{}{value}", self.sep.get(SEPS))
    }
}

fn set_path() -> impl Strategy<Value = SetPath> {
    prop_oneof![
        6 => (any::<Index>(), any::<Index>()).prop_map(|(key, id)| SetPath::Doc { key, id }),
        3 => (any::<Index>(), any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(key, id, how, at)| SetPath::Mangled { key, id, how, at }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(key, depth)| SetPath::Deep { key, depth }),
        1 => "[a-z.\\[\\]= ]{0,12}".prop_map(SetPath::Garbage),
    ]
}

/// One to three `--set` strings.
pub fn set_strings() -> impl Strategy<Value = Vec<SetString>> {
    proptest::collection::vec(
        (set_path(), any::<Index>(), proptest::option::weighted(0.6, value()))
            .prop_map(|(path, sep, value)| SetString { path, sep, value }),
        1..=3,
    )
}
