//! TOML → validated [`Scenario`]: reads files, follows `extends`, merges, applies `--set`
//! overrides, deserialises and checks every key, reporting file, key path, line and column.

use super::events::{missing_key, removed_key, Event, EventKind, EVENT_KINDS};
use super::kind::FileKind;
use super::limits;
use super::params::Violation;
use super::resolution::{keep_households, keep_households_over_defaults, Scale, Writes};
use super::schema::{
    default_markets, AutomakerParams, ConsumerParams, DealerParams, ExporterParams, GovernmentParams, MarketParams,
    PolicyParams,
};
use super::spans::{deserialize_section, unknown_key_message, Elements, Spans};
use super::words::{found_value, in_user_words, is_type_error};
use super::{Scenario, YearMonth};
use crate::error::{Error, Location, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Arrays of tables whose elements a child scenario merges by `id` instead of replacing.
const MERGED_ARRAYS: &[&str] = &["markets", "events"];

/// What a month is expected to look like.
const MONTH: &str = "a month written YYYY-MM (e.g. \"2024-04\")";

/// Top-level keys of a scenario file.
pub(super) const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "extends",
    "start",
    "end",
    "seed",
    "replicates",
    "consumers",
    "automakers",
    "governments",
    "exporters",
    "dealers",
    "markets",
    "policy",
    "events",
];

/// Loads a scenario file, following `extends`, then applies `overrides` (`path.to.key=value`).
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario> {
    let mut spans = Spans::default();
    let mut table = read_merged(path, &mut spans)?;
    apply_overrides(&mut table, overrides, &mut spans)?;
    let name_default = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    from_table(table, &spans, &name_default)
}

/// Parses scenario text that has no `extends` (used by tests and benches).
pub fn from_str(text: &str, overrides: &[String]) -> Result<Scenario> {
    let (mut table, mut spans) = parse_file(text, Path::new("<string>"))?;
    if table.contains_key("extends") {
        return Err(spans.error("extends", "`extends` needs a scenario file, not a string"));
    }
    keep_households_over_defaults(&mut table, &spans)?;
    apply_overrides(&mut table, overrides, &mut spans)?;
    from_table(table, &spans, "scenario")
}

/// Reads `path` and the files it `extends`, one after the other (a chain of at most
/// [`limits::MAX_EXTENDS_DEPTH`] files, without a cycle), and merges them from the last base up,
/// each child over its base. `spans` gets every file's positions, a child's over its base's.
fn read_merged(path: &Path, spans: &mut Spans) -> Result<toml::Table> {
    // The chain, child first: each file's table (without `extends`) and positions.
    let mut chain: Vec<(toml::Table, Spans)> = Vec::new();
    // The canonical paths read so far, for cycles; the paths as named, for messages.
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut named: Vec<PathBuf> = Vec::new();
    let mut current = path.to_path_buf();
    loop {
        let text = super::input::read_text(&current)?;
        seen.push(current.canonicalize().map_err(|e| Error::io(&current, e))?);
        named.push(current.clone());
        let (mut table, own_spans) = parse_file(&text, &current)?;
        super::kind::expect_table(&table, &current, FileKind::Scenario)?;
        let ext = match table.remove("extends") {
            None => {
                chain.push((table, own_spans));
                break;
            }
            Some(toml::Value::String(ext)) => ext,
            Some(_) => {
                return Err(own_spans.error("extends", "expected text: the path of the scenario this one extends"));
            }
        };
        let base_path = current.parent().unwrap_or(Path::new(".")).join(&ext);
        if !base_path.is_file() {
            return Err(
                own_spans.error("extends", format!("the extended scenario {} does not exist", base_path.display()))
            );
        }
        let base_canonical = base_path.canonicalize().map_err(|e| Error::io(&base_path, e))?;
        if seen.contains(&base_canonical) {
            let chain: Vec<String> = seen.iter().map(|p| p.display().to_string()).collect();
            return Err(own_spans.error(
                "extends",
                format!("cyclic `extends`: {} -> {}", chain.join(" -> "), base_canonical.display()),
            ));
        }
        if seen.len() >= limits::MAX_EXTENDS_DEPTH {
            named.push(base_path);
            return Err(own_spans.error("extends", extends_too_deep(&named)));
        }
        chain.push((table, own_spans));
        current = base_path;
    }
    // From the last base up: the base over the defaults, then each child over what is below it,
    // each a layer of the resolution rule (`resolution::keep_households`).
    let mut merged = toml::Table::new();
    for (i, (mut table, own_spans)) in chain.into_iter().rev().enumerate() {
        if i == 0 {
            keep_households_over_defaults(&mut table, &own_spans)?;
            merged = table;
        } else {
            let (below, writes) = (Scale::of(&merged), Writes::of(&table));
            merge(&mut merged, table, "");
            keep_households(&mut merged, below, writes, &own_spans)?;
        }
        spans.extend(own_spans);
    }
    Ok(merged)
}

/// "extends chain deeper than 64 files (a.toml -> b.toml -> c.toml -> ... -> z.toml)".
fn extends_too_deep(named: &[PathBuf]) -> String {
    let shown: Vec<String> = named.iter().map(|p| p.display().to_string()).collect();
    let text = match shown.as_slice() {
        [a, b, c, .., z] if shown.len() > 4 => format!("{a} -> {b} -> {c} -> ... -> {z}"),
        all => all.join(" -> "),
    };
    format!("extends chain deeper than {} files ({text})", limits::MAX_EXTENDS_DEPTH)
}

/// Parses one file's text; its spans report keys no file wrote as from the command line.
fn parse_file(text: &str, path: &Path) -> Result<(toml::Table, Spans)> {
    let mut spans = Spans::default();
    spans.extend(Spans::parse(text, path, Elements::ById)?);
    let table: toml::Table = toml::from_str(text).map_err(|e| Error::Scenario {
        location: Location { file: Some(path.to_path_buf()), line: 0, column: 0 },
        key: "<syntax>".into(),
        message: format!("invalid TOML: {}", e.message()),
    })?;
    Ok((table, spans))
}

/// Deep-merges `child` into `base`: tables recursively, `markets`/`events` by `id`, else replace.
fn merge(base: &mut toml::Table, child: toml::Table, prefix: &str) {
    for (k, v) in child {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(c)) => merge(b, c, &path),
            (Some(toml::Value::Array(b)), toml::Value::Array(c)) if MERGED_ARRAYS.contains(&path.as_str()) => {
                // The first element of each id, by position: a lookup per child element instead
                // of a scan, so merging thousands of events stays n log n.
                let mut first: BTreeMap<String, usize> = BTreeMap::new();
                for (i, e) in b.iter().enumerate() {
                    if let Some(id) = e.get("id").and_then(|v| v.as_str()) {
                        first.entry(id.to_string()).or_insert(i);
                    }
                }
                for elem in c {
                    let id = elem.get("id").and_then(|v| v.as_str()).map(str::to_string);
                    let existing = id.as_ref().and_then(|id| first.get(id)).and_then(|&i| b.get_mut(i));
                    match (existing, elem) {
                        (Some(toml::Value::Table(bt)), toml::Value::Table(ct)) => merge(bt, ct, &path),
                        (_, elem) => {
                            if let Some(id) = id {
                                first.entry(id).or_insert(b.len());
                            }
                            b.push(elem);
                        }
                    }
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The most dot-separated parts a `--set` key path may have.
const MAX_SET_PARTS: usize = 32;

/// What a `--set` key path looks like, for a path that is not one.
const KEY_PATH_SHAPE: &str = "not a key path: write dotted names, with an element of [[markets]] or [[events]] \
     by its id in brackets, e.g. consumers.agents or markets[russia].tariff";

/// The steps of a `--set` key path, each a name and an optional element id in brackets
/// (`markets[russia].tariff` → `markets` `russia`, `tariff`); `None` when `path` is not one.
fn key_path(path: &str) -> Option<Vec<(&str, Option<&str>)>> {
    let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut steps = Vec::new();
    let mut rest = path;
    loop {
        let end = rest.find(|c: char| !bare(c)).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        if name.is_empty() {
            return None;
        }
        let (id, after) = match after.strip_prefix('[') {
            Some(inner) => {
                let close = inner.find(']')?;
                let id = &inner[..close];
                if id.is_empty() || id.contains('[') {
                    return None;
                }
                (Some(id), &inner[close + 1..])
            }
            None => (None, after),
        };
        steps.push((name, id));
        if after.is_empty() {
            return Some(steps);
        }
        rest = after.strip_prefix('.')?;
    }
}

/// Applies the `--set` overrides in order, then the resolution rule to them as one layer.
fn apply_overrides(table: &mut toml::Table, overrides: &[String], spans: &mut Spans) -> Result<()> {
    let below = Scale::of(table);
    for o in overrides {
        apply_override(table, o, spans)?;
    }
    keep_households(table, below, Writes::of_overrides(overrides), spans)
}

/// Applies one `path.to.key=value` override; `markets[russia].tariff` addresses by id.
fn apply_override(table: &mut toml::Table, text: &str, spans: &mut Spans) -> Result<()> {
    let bad =
        |key: &str, m: String| Error::Scenario { location: Location::default(), key: key.to_string(), message: m };
    let Some((path, raw)) = text.split_once('=') else {
        return Err(bad(text, "expected --set path.to.key=value".into()));
    };
    let path = path.trim();
    let raw = raw.trim();
    let value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    let Some(steps) = key_path(path) else {
        // An empty path (`--set =1`) is named by the whole override.
        let key = if path.is_empty() { text } else { path };
        return Err(bad(key, KEY_PATH_SHAPE.into()));
    };
    // No scenario key is nested more than two deep (`markets[russia].tariff`); a much deeper
    // path would build nested tables deep enough to overflow the stack when they are dropped.
    if steps.len() > MAX_SET_PARTS {
        let shown: String = path.chars().take(60).collect();
        return Err(bad(
            &shown,
            format!(
                "a key path has at most {MAX_SET_PARTS} parts (this one has {}); scenario keys have two, such as \
                 consumers.agents",
                steps.len()
            ),
        ));
    }
    if steps.first().map(|s| s.0) == Some("extends") {
        return Err(bad(path, "`extends` cannot be set with --set; write it in the scenario file".into()));
    }
    let mut cur = table;
    for (i, &(name, id)) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        if i == 0 && !TOP_KEYS.contains(&name) {
            return Err(bad(path, unknown_key_message(name, TOP_KEYS)));
        }
        match id {
            None if last => {
                cur.insert(name.to_string(), value);
                break;
            }
            None => {
                let entry = cur.entry(name.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let toml::Value::Table(t) = entry else {
                    return Err(bad(path, format!("`{name}` is not a table")));
                };
                cur = t;
            }
            Some(id) => {
                // Built-in markets can be addressed even where no file lists `[[markets]]`.
                if name == "markets" && !cur.contains_key("markets") {
                    let defaults: Vec<toml::Value> = default_markets()
                        .iter()
                        .map(|m| toml::Value::Table(toml::Table::try_from(m).unwrap_or_default()))
                        .collect();
                    cur.insert("markets".into(), toml::Value::Array(defaults));
                }
                let arr = match cur.get_mut(name) {
                    Some(toml::Value::Array(a)) => a,
                    _ => return Err(bad(path, format!("`{name}` has no elements to address by id"))),
                };
                let elem = arr.iter_mut().find(|e| e.get("id").and_then(|v| v.as_str()) == Some(id));
                let Some(toml::Value::Table(t)) = elem else {
                    return Err(bad(path, format!("no element of `{name}` has id {id:?}")));
                };
                if last {
                    return Err(bad(path, "address a key inside the element, e.g. markets[russia].tariff".into()));
                }
                cur = t;
            }
        }
    }
    spans.insert(path, Location::default());
    Ok(())
}

fn take_section<T: serde::de::DeserializeOwned>(table: &mut toml::Table, name: &str, spans: &Spans) -> Result<T> {
    let sub = match table.remove(name) {
        None => toml::Table::new(),
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(spans.error(name, format!("expected a table `[{name}]`"))),
    };
    deserialize_section(sub).map_err(|(k, m)| spans.error(&join(name, &k), m))
}

fn join(prefix: &str, key: &str) -> String {
    if key.is_empty() {
        prefix.to_string()
    } else if key.starts_with('[') {
        format!("{prefix}{key}")
    } else {
        format!("{prefix}.{key}")
    }
}

fn take_scalar<T: serde::de::DeserializeOwned>(
    table: &mut toml::Table,
    key: &str,
    spans: &Spans,
    expected: &str,
) -> Result<Option<T>> {
    match table.remove(key) {
        None => Ok(None),
        Some(v) => {
            let found = found_value(&v);
            v.try_into::<T>().map(Some).map_err(|e| {
                let m = e.to_string();
                // A value of the wrong type is named in `expected`'s words; a value of the right
                // type that is still wrong (a month 13) says why.
                let message =
                    if is_type_error(&m) { format!("expected {expected}, found {found}") } else { in_user_words(&m) };
                spans.error(key, message)
            })
        }
    }
}

fn check_all(spans: &Spans, prefix: &str, violations: Vec<Violation>) -> Result<()> {
    match violations.into_iter().next() {
        Some((k, m)) => Err(spans.error(&join(prefix, &k), m)),
        None => Ok(()),
    }
}

fn from_table(mut table: toml::Table, spans: &Spans, name_default: &str) -> Result<Scenario> {
    for key in table.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            return Err(spans.error(key, unknown_key_message(key, TOP_KEYS)));
        }
    }
    let defaults = Scenario::default();
    let name = take_scalar::<String>(&mut table, "name", spans, "text")?.unwrap_or_else(|| name_default.into());
    let description = take_scalar::<String>(&mut table, "description", spans, "text")?.unwrap_or_default();
    let start = take_scalar::<YearMonth>(&mut table, "start", spans, MONTH)?.unwrap_or(defaults.start);
    let end = take_scalar::<YearMonth>(&mut table, "end", spans, MONTH)?.unwrap_or(defaults.end);
    let seed = take_scalar::<u64>(&mut table, "seed", spans, "a whole number of at least 0")?.unwrap_or(defaults.seed);
    let replicates = take_scalar::<u64>(&mut table, "replicates", spans, "a whole number of at least 1")?
        .unwrap_or(defaults.replicates);
    if end < start {
        return Err(spans.error("end", format!("`end` ({end}) must not be before `start` ({start})")));
    }
    limits::check_horizon(start, end).map_err(|m| spans.error("end", m))?;
    limits::check_replicates(replicates).map_err(|m| spans.error("replicates", m))?;

    let consumers: ConsumerParams = take_section(&mut table, "consumers", spans)?;
    check_all(spans, "consumers", consumers.check())?;
    let automakers: AutomakerParams = take_section(&mut table, "automakers", spans)?;
    check_all(spans, "automakers", automakers.check())?;
    let governments: GovernmentParams = take_section(&mut table, "governments", spans)?;
    check_all(spans, "governments", governments.check())?;
    let exporters: ExporterParams = take_section(&mut table, "exporters", spans)?;
    check_all(spans, "exporters", exporters.check())?;
    let dealers: DealerParams = take_section(&mut table, "dealers", spans)?;
    check_all(spans, "dealers", dealers.check())?;
    let policy: PolicyParams = take_section(&mut table, "policy", spans)?;
    check_all(spans, "policy", policy.check())?;

    let markets = match table.remove("markets") {
        None => default_markets(),
        Some(toml::Value::Array(arr)) => {
            let mut out = Vec::new();
            for (i, v) in arr.into_iter().enumerate() {
                let id = v.get("id").and_then(|v| v.as_str()).map_or_else(|| i.to_string(), str::to_string);
                let prefix = format!("markets[{id}]");
                let toml::Value::Table(t) = v else {
                    return Err(spans.error(&prefix, "expected a table `[[markets]]`"));
                };
                // An element naming a built-in market starts from that market's defaults.
                let t = match default_markets()
                    .into_iter()
                    .find(|d| Some(d.id.as_str()) == t.get("id").and_then(|v| v.as_str()))
                {
                    Some(d) => {
                        let mut base = toml::Table::try_from(&d).unwrap_or_default();
                        merge(&mut base, t, "");
                        base
                    }
                    None => t,
                };
                if !t.contains_key("id") {
                    return Err(spans.error(&prefix, "each `[[markets]]` needs an `id`"));
                }
                let m: MarketParams = deserialize_section(t).map_err(|(k, m)| spans.error(&join(&prefix, &k), m))?;
                check_all(spans, &prefix, m.check())?;
                out.push(m);
            }
            out
        }
        Some(_) => return Err(spans.error("markets", "expected an array of tables `[[markets]]`")),
    };
    if markets.is_empty() {
        return Err(spans.error("markets", "at least one foreign market is needed"));
    }
    for (i, m) in markets.iter().enumerate() {
        if markets[..i].iter().any(|o| o.id == m.id) {
            return Err(spans.error(&format!("markets[{}].id", m.id), format!("duplicate market id {:?}", m.id)));
        }
    }

    let events = match table.remove("events") {
        None => Vec::new(),
        Some(toml::Value::Array(arr)) => {
            limits::check_events(arr.len()).map_err(|m| spans.error("events", m))?;
            let mut out: Vec<Event> = Vec::new();
            // Ids seen so far: a set, so that thousands of events are checked in n log n.
            let mut ids = BTreeSet::new();
            for (i, v) in arr.into_iter().enumerate() {
                let toml::Value::Table(t) = v else {
                    return Err(spans.error(&format!("events[{i}]"), "expected a table `[[events]]`"));
                };
                let ev = parse_event(t, i, spans, &markets)?;
                if !ids.insert(ev.id.clone()) {
                    return Err(
                        spans.error(&format!("events[{}].id", ev.id), format!("duplicate event id {:?}", ev.id))
                    );
                }
                out.push(ev);
            }
            out
        }
        Some(_) => return Err(spans.error("events", "expected an array of tables `[[events]]`")),
    };

    let s = Scenario {
        name,
        description,
        start,
        end,
        seed,
        replicates,
        consumers,
        automakers,
        governments,
        exporters,
        dealers,
        markets,
        policy,
        events,
    };
    cross_checks(&s, spans)?;
    Ok(s)
}

fn parse_event(mut t: toml::Table, index: usize, spans: &Spans, markets: &[MarketParams]) -> Result<Event> {
    let id = match t.remove("id") {
        Some(toml::Value::String(s)) if !s.is_empty() => s,
        Some(_) => return Err(spans.error(&format!("events[{index}].id"), "expected text (a non-empty id)")),
        None => return Err(spans.error(&format!("events[{index}]"), "each `[[events]]` needs an `id`")),
    };
    let p = format!("events[{id}]");
    let date = take_scalar::<YearMonth>(&mut t, "date", spans, MONTH)
        .map_err(|e| rekey(e, &format!("{p}.date"), spans))?
        .ok_or_else(|| spans.error(&p, "each event needs a `date` (YYYY-MM)"))?;
    let until =
        take_scalar::<YearMonth>(&mut t, "until", spans, MONTH).map_err(|e| rekey(e, &format!("{p}.until"), spans))?;
    if let Some(u) = until {
        if u <= date {
            return Err(spans.error(&format!("{p}.until"), format!("`until` ({u}) must be after `date` ({date})")));
        }
    }
    let enabled = take_scalar::<bool>(&mut t, "enabled", spans, "true or false")
        .map_err(|_| spans.error(&format!("{p}.enabled"), "expected true or false"))?
        .unwrap_or(true);
    let kind = match t.remove("kind") {
        Some(toml::Value::String(s)) => s,
        _ => {
            return Err(spans
                .error(&format!("{p}.kind"), format!("each event needs a `kind`, one of: {}", EVENT_KINDS.join(", "))))
        }
    };
    if let Some((key, message)) = removed_key(&kind, &t) {
        return Err(spans.error(&format!("{p}.{key}"), message));
    }
    let missing = missing_key(&kind, &t);
    let parsed = EventKind::from_table(&kind, t)
        .ok_or_else(|| spans.error(&format!("{p}.kind"), unknown_kind_message(&kind)))?;
    let parsed = parsed.map_err(|(k, m)| spans.error(&join(&p, &k), m))?;
    if let Some((key, meaning)) = missing {
        return Err(spans.error(&format!("{p}.{key}"), format!("a `{kind}` event needs `{key}`: {meaning}")));
    }
    let kind = parsed;
    check_all(spans, &p, kind.check())?;
    let market = match &kind {
        EventKind::Tariff(e) => Some(&e.market),
        EventKind::ForeignDemandShift(e) => Some(&e.market),
        _ => None,
    };
    if let Some(m) = market {
        if !markets.iter().any(|x| &x.id == m) {
            let ids: Vec<&str> = markets.iter().map(|x| x.id.as_str()).collect();
            return Err(
                spans.error(&format!("{p}.market"), format!("unknown market {m:?}; markets are: {}", ids.join(", ")))
            );
        }
    }
    Ok(Event { id, date, until, enabled, kind })
}

/// An error of an event's own key (`date`, read from the element's table) moved to the key's
/// full path and position.
fn rekey(e: Error, key: &str, spans: &Spans) -> Error {
    match e {
        Error::Scenario { message, .. } => spans.error(key, message),
        other => other,
    }
}

fn unknown_kind_message(kind: &str) -> String {
    let m = unknown_key_message(kind, EVENT_KINDS);
    m.replacen("unknown key", "unknown event kind", 1)
}

/// Most brand groups with split powertrains: households' choice codes are bytes (254 lines).
pub const MAX_SPLIT_GROUPS: usize = 127;

fn cross_checks(s: &Scenario, spans: &Spans) -> Result<()> {
    let a = &s.automakers;
    if a.state_share + a.jv_share > 1.0 + 1e-9 {
        return Err(spans.error("automakers.jv_share", "state_share + jv_share must not exceed 1"));
    }
    if a.inventory_low_months > a.inventory_high_months {
        return Err(spans.error("automakers.inventory_low_months", "must not exceed inventory_high_months"));
    }
    if a.markup_min >= a.markup_max {
        return Err(spans.error("automakers.markup_min", "must be below markup_max"));
    }
    if a.powertrains == super::Powertrains::Split && a.count > MAX_SPLIT_GROUPS {
        return Err(spans.error(
            "automakers.count",
            format!(
                "at most {MAX_SPLIT_GROUPS} groups with powertrains = \"split\" (each has an NEV and an ICE line), got {}",
                a.count
            ),
        ));
    }
    let d = &s.dealers;
    if d.target_coefficient > d.max_coefficient {
        return Err(spans.error("dealers.target_coefficient", "must not exceed max_coefficient"));
    }
    if d.invoice_margin + a.initial_discount >= 1.0 {
        return Err(
            spans.error("dealers.invoice_margin", "invoice_margin + automakers.initial_discount must be below 1")
        );
    }
    let g = &s.governments;
    let w = g.weight_production + g.weight_export + g.weight_bailout;
    if (w - 1.0).abs() > 1e-6 {
        return Err(spans.error(
            "governments.weight_bailout",
            format!("weight_production + weight_export + weight_bailout must sum to 1, got {w}"),
        ));
    }
    limits::check_agents(s.consumers.agents).map_err(|m| spans.error("consumers.agents", m))?;
    Ok(())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
