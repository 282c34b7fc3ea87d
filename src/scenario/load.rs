//! TOML → validated [`Scenario`]: reads files, follows `extends`, merges, applies `--set`
//! overrides, deserialises and checks every key, reporting file, key path, line and column.

use super::events::{Event, EventKind, EVENT_KINDS};
use super::params::Violation;
use super::schema::{
    default_markets, AutomakerParams, ConsumerParams, ExporterParams, GovernmentParams, MarketParams, PolicyParams,
};
use super::spans::{deserialize_section, unknown_key_message, Elements, Spans};
use super::{Scenario, YearMonth};
use crate::error::{Error, Location, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Arrays of tables whose elements a child scenario merges by `id` instead of replacing.
const MERGED_ARRAYS: &[&str] = &["markets", "events"];

/// Top-level keys of a scenario file.
const TOP_KEYS: &[&str] = &[
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
    "markets",
    "policy",
    "events",
];

/// Loads a scenario file, following `extends`, then applies `overrides` (`path.to.key=value`).
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario> {
    let mut spans = Spans::default();
    let mut table = read_merged(path, &mut Vec::new(), &mut spans)?;
    for o in overrides {
        apply_override(&mut table, o, &mut spans)?;
    }
    let name_default = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    from_table(table, &spans, &name_default)
}

/// Parses scenario text that has no `extends` (used by tests and benches).
pub fn from_str(text: &str, overrides: &[String]) -> Result<Scenario> {
    let (mut table, mut spans) = parse_file(text, Path::new("<string>"))?;
    if table.contains_key("extends") {
        return Err(spans.error("extends", "`extends` needs a scenario file, not a string"));
    }
    for o in overrides {
        apply_override(&mut table, o, &mut spans)?;
    }
    from_table(table, &spans, "scenario")
}

fn read_merged(path: &Path, stack: &mut Vec<PathBuf>, spans: &mut Spans) -> Result<toml::Table> {
    let text = super::input::read_text(path)?;
    let canonical = path.canonicalize().map_err(|e| Error::io(path, e))?;
    let (mut table, own_spans) = parse_file(&text, path)?;
    let Some(ext) = table.remove("extends") else {
        spans.extend(own_spans);
        return Ok(table);
    };
    let toml::Value::String(ext) = ext else {
        return Err(own_spans.error("extends", "expected a string: the path of the scenario this one extends"));
    };
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&ext);
    if !base_path.is_file() {
        return Err(own_spans.error("extends", format!("the extended scenario {} does not exist", base_path.display())));
    }
    stack.push(canonical);
    let base_canonical = base_path.canonicalize().map_err(|e| Error::io(&base_path, e))?;
    if stack.contains(&base_canonical) {
        let chain: Vec<String> = stack.iter().map(|p| p.display().to_string()).collect();
        return Err(own_spans
            .error("extends", format!("cyclic `extends`: {} -> {}", chain.join(" -> "), base_canonical.display())));
    }
    let mut base = read_merged(&base_path, stack, spans)?;
    stack.pop();
    merge(&mut base, table, "");
    spans.extend(own_spans);
    Ok(base)
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
                for elem in c {
                    let id = elem.get("id").and_then(|v| v.as_str()).map(str::to_string);
                    let existing = id.as_ref().and_then(|id| {
                        b.iter_mut().find(|e| e.get("id").and_then(|v| v.as_str()) == Some(id.as_str()))
                    });
                    match (existing, elem) {
                        (Some(toml::Value::Table(bt)), toml::Value::Table(ct)) => merge(bt, ct, &path),
                        (_, elem) => b.push(elem),
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
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        // An empty path (`--set =1`) is named by the whole override.
        let key = if path.is_empty() { text } else { path };
        return Err(bad(key, "expected a dotted key path such as consumers.agents".into()));
    }
    // No scenario key is nested more than two deep (`markets[russia].tariff`); a much deeper
    // path would build nested tables deep enough to overflow the stack when they are dropped.
    if parts.len() > MAX_SET_PARTS {
        let shown: String = path.chars().take(60).collect();
        return Err(bad(
            &shown,
            format!("a key path has at most {MAX_SET_PARTS} parts (this one has {}); scenario keys have two, such as consumers.agents", parts.len()),
        ));
    }
    let mut cur = table;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (name, id) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']'))),
            None => (*part, None),
        };
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
        Some(v) => v.try_into::<T>().map(Some).map_err(|e| {
            let m = e.to_string();
            spans.error(key, format!("expected {expected}: {}", m.lines().next().unwrap_or_default()))
        }),
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
    let name = take_scalar::<String>(&mut table, "name", spans, "a string")?.unwrap_or_else(|| name_default.into());
    let description = take_scalar::<String>(&mut table, "description", spans, "a string")?.unwrap_or_default();
    let start = take_scalar::<YearMonth>(&mut table, "start", spans, "a month \"YYYY-MM\"")?.unwrap_or(defaults.start);
    let end = take_scalar::<YearMonth>(&mut table, "end", spans, "a month \"YYYY-MM\"")?.unwrap_or(defaults.end);
    let seed = take_scalar::<u64>(&mut table, "seed", spans, "a non-negative integer")?.unwrap_or(defaults.seed);
    let replicates =
        take_scalar::<u64>(&mut table, "replicates", spans, "a positive integer")?.unwrap_or(defaults.replicates);
    if end < start {
        return Err(spans.error("end", format!("`end` ({end}) must not be before `start` ({start})")));
    }
    if start.months_until(end) >= 1200 {
        return Err(spans.error("end", "runs are limited to 1200 months (100 years)"));
    }
    if !(1..=1_000_000).contains(&replicates) {
        return Err(spans.error("replicates", format!("expected an integer in [1, 1000000], got {replicates}")));
    }

    let consumers: ConsumerParams = take_section(&mut table, "consumers", spans)?;
    check_all(spans, "consumers", consumers.check())?;
    let automakers: AutomakerParams = take_section(&mut table, "automakers", spans)?;
    check_all(spans, "automakers", automakers.check())?;
    let governments: GovernmentParams = take_section(&mut table, "governments", spans)?;
    check_all(spans, "governments", governments.check())?;
    let exporters: ExporterParams = take_section(&mut table, "exporters", spans)?;
    check_all(spans, "exporters", exporters.check())?;
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
        Some(_) => return Err(spans.error(&format!("events[{index}].id"), "expected a non-empty string")),
        None => return Err(spans.error(&format!("events[{index}]"), "each `[[events]]` needs an `id`")),
    };
    let p = format!("events[{id}]");
    let date = take_scalar::<YearMonth>(&mut t, "date", spans, "a month \"YYYY-MM\"")
        .map_err(|_| spans.error(&format!("{p}.date"), "expected a month written YYYY-MM (e.g. \"2024-04\")"))?
        .ok_or_else(|| spans.error(&p, "each event needs a `date` (YYYY-MM)"))?;
    let until = take_scalar::<YearMonth>(&mut t, "until", spans, "a month")
        .map_err(|_| spans.error(&format!("{p}.until"), "expected a month written YYYY-MM (e.g. \"2024-12\")"))?;
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
    let parsed = EventKind::from_table(&kind, t)
        .ok_or_else(|| spans.error(&format!("{p}.kind"), unknown_kind_message(&kind)))?;
    let kind = parsed.map_err(|(k, m)| spans.error(&join(&p, &k), m))?;
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

fn unknown_kind_message(kind: &str) -> String {
    let m = unknown_key_message(kind, EVENT_KINDS);
    m.replacen("unknown key", "unknown event kind", 1)
}

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
    let g = &s.governments;
    let w = g.weight_production + g.weight_export + g.weight_bailout;
    if (w - 1.0).abs() > 1e-6 {
        return Err(spans.error(
            "governments.weight_bailout",
            format!("weight_production + weight_export + weight_bailout must sum to 1, got {w}"),
        ));
    }
    if s.consumers.agents > u32::MAX as usize {
        return Err(spans.error("consumers.agents", "too many agents"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
