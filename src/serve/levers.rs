//! The curated levers file of the classroom page (`scenarios/classroom/levers.toml`): the
//! levers a class may move, the policy events it may switch on or date, the quick and careful
//! settings and the ready lessons. Loaded with positioned errors (`scenario::spans`), and
//! checked against the served scenario: both ends of every lever's teaching range, every event
//! and every lesson must pass the scenario validation the CLI applies.

use crate::error::{Error, Result};
use crate::scenario::limits::{SERVE_MAX_AGENTS, SERVE_MAX_REPLICATES};
use crate::scenario::spans::{Elements, Spans};
use crate::scenario::{self, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The shipped levers file, built into the binary (the default of `zeromile serve --levers`).
pub const SHIPPED_LEVERS: &str = include_str!("../../scenarios/classroom/levers.toml");
/// The name the shipped levers file is reported under.
pub const SHIPPED_LEVERS_NAME: &str = "scenarios/classroom/levers.toml";

/// A "quick" or "careful" run: household agents (capped at the served scenario's own) and the
/// default replicates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quality {
    /// Household agents (`consumers.agents`, a resolution setting).
    pub agents: usize,
    /// Replicates when the request names none.
    pub replicates: u64,
    /// What the page says about it.
    pub note: String,
}

/// The two run settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Qualities {
    /// Few agents and replicates: a first look in seconds.
    pub quick: Quality,
    /// More of both: narrower bands.
    pub careful: Quality,
}

/// One teachable lever: a value applied to one or more scenario keys.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lever {
    /// The request's name for the lever.
    pub id: String,
    /// Scenario key paths it sets, all to the same value (`markets[russia].tariff` by id).
    pub keys: Vec<String>,
    /// Its name on the page.
    pub label: String,
    /// The agent kind it belongs to (the page groups levers by it).
    pub group: String,
    /// Lowest value for teaching.
    pub min: f64,
    /// Highest value for teaching.
    pub max: f64,
    /// Slider step.
    pub step: f64,
    /// Unit shown beside the value.
    pub unit: String,
    /// One line on what it means.
    pub meaning: String,
    /// The served scenario's value (of the first key).
    #[serde(default, skip_deserializing)]
    pub default: f64,
    /// Whether the keys take whole numbers.
    #[serde(default, skip_deserializing)]
    pub integer: bool,
    /// The validated range of the first key, as `zeromile describe` writes it.
    #[serde(default, skip_deserializing)]
    pub valid_range: String,
}

/// A dated policy event the page may switch on or off and date.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventToggle {
    /// The event's id in the scenario.
    pub id: String,
    /// Its name on the page.
    pub label: String,
    /// Group on the page.
    pub group: String,
    /// One line on what it does.
    pub meaning: String,
    /// First month in force (default: the scenario's date for its own events).
    #[serde(default)]
    pub date: String,
    /// Whether it is on in the unchanged scenario (its own events; defined ones are off).
    #[serde(default, skip_deserializing)]
    pub enabled: bool,
    /// The event kind.
    #[serde(default, skip_deserializing)]
    pub kind: String,
    /// The event's keys (beside id, date and enabled) when the scenario lacks it.
    #[serde(default, skip_serializing)]
    pub define: Option<toml::Table>,
}

/// A choice for one event: switch it on or off, date it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventChoice {
    /// On or off (default: as in the unchanged scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// First month in force, `YYYY-MM` (default: the event's date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// A ready lesson.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Its id (the page's link names it).
    pub id: String,
    /// Its title.
    pub title: String,
    /// The question it asks.
    pub question: String,
    /// What to look for in the charts.
    pub look_for: String,
    /// Lever values it sets, by lever id.
    #[serde(default)]
    pub levers: BTreeMap<String, f64>,
    /// Events it switches or dates, by event id.
    #[serde(default)]
    pub events: BTreeMap<String, EventChoice>,
}

/// A levers file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeversFile {
    quality: Qualities,
    #[serde(default)]
    levers: Vec<Lever>,
    #[serde(default)]
    events: Vec<EventToggle>,
    #[serde(default)]
    lessons: Vec<Lesson>,
}

/// A levers file checked against the scenario it serves.
#[derive(Debug, Clone, Serialize)]
pub struct Levers {
    /// The quick and careful settings.
    pub quality: Qualities,
    /// The levers, in file order.
    pub levers: Vec<Lever>,
    /// The events the scenario has or the file defines, in file order.
    pub events: Vec<EventToggle>,
    /// The lessons, in file order.
    pub lessons: Vec<Lesson>,
    /// Events of the file left out because the scenario lacks them and the file does not define them.
    pub left_out: Vec<String>,
}

impl Levers {
    /// Reads the levers file `text` (reported as `file`) and checks it against `base`, the
    /// served scenario; `changed_base` is `base` with the file's defined events added, off
    /// (see [`with_defined_events`]), as TOML text.
    pub fn load(text: &str, file: &Path, base: &Scenario) -> Result<(Levers, String)> {
        let spans = Spans::parse(text, file, Elements::ByIndex)?;
        let raw: LeversFile = spans.deserialize(text)?;
        check_quality(&raw.quality, &spans)?;
        let (events, left_out) = resolve_events(raw.events, base, &spans)?;
        let changed_base = with_defined_events(base, &events);
        let table: toml::Table = toml::from_str(&changed_base).map_err(|e| Error::Usage(e.to_string()))?;
        let docs = scenario::describe();
        let mut levers = Vec::new();
        for (i, mut lever) in raw.levers.into_iter().enumerate() {
            let at = |k: &str| format!("levers[{i}].{k}");
            if levers.iter().any(|l: &Lever| l.id == lever.id) {
                return Err(spans.error(&at("id"), format!("a second lever is named `{}`", lever.id)));
            }
            if lever.keys.is_empty() {
                return Err(spans.error(&at("keys"), "a lever sets at least one scenario key"));
            }
            if !(lever.min.is_finite() && lever.max.is_finite() && lever.min < lever.max && lever.step > 0.0) {
                return Err(spans.error(&at("min"), "expected finite min < max and a step above 0"));
            }
            let value = lookup(&table, &lever.keys[0]).ok_or_else(|| {
                spans.error(&at("keys"), format!("the served scenario has no key `{}`", lever.keys[0]))
            })?;
            lever.integer = matches!(value, toml::Value::Integer(_));
            lever.default = match value {
                toml::Value::Integer(n) => *n as f64,
                toml::Value::Float(x) => *x,
                _ => return Err(spans.error(&at("keys"), format!("`{}` is not a number", lever.keys[0]))),
            };
            lever.valid_range = doc_path(&lever.keys[0], &table)
                .and_then(|p| docs.iter().find(|d| d.path == p))
                .map(|d| d.range.clone())
                .unwrap_or_default();
            for (end, v) in [("min", lever.min), ("max", lever.max)] {
                let set: Vec<String> =
                    lever.keys.iter().map(|k| format!("{k}={}", number_text(v, lever.integer))).collect();
                scenario::from_str(&changed_base, &set)
                    .map_err(|e| spans.error(&at(end), format!("outside the validated range: {}", inner(&e))))?;
            }
            levers.push(lever);
        }
        let levers = Levers { quality: raw.quality, levers, events, lessons: raw.lessons, left_out };
        levers.check_lessons(&spans, &changed_base)?;
        Ok((levers, changed_base))
    }

    /// The lever named `id`.
    pub fn lever(&self, id: &str) -> Option<&Lever> {
        self.levers.iter().find(|l| l.id == id)
    }

    /// The event named `id`.
    pub fn event(&self, id: &str) -> Option<&EventToggle> {
        self.events.iter().find(|e| e.id == id)
    }

    /// Every lesson names known levers (inside their teaching range) and known events, and
    /// builds a valid scenario.
    fn check_lessons(&self, spans: &Spans, changed_base: &str) -> Result<()> {
        for (i, lesson) in self.lessons.iter().enumerate() {
            let mut set = Vec::new();
            for (id, v) in &lesson.levers {
                let at = format!("lessons[{i}].levers.{id}");
                let Some(lever) = self.lever(id) else {
                    return Err(spans.error(&at, format!("no lever is named `{id}`")));
                };
                if !(lever.min..=lever.max).contains(v) {
                    return Err(spans.error(&at, format!("outside the teaching range [{}, {}]", lever.min, lever.max)));
                }
                set.extend(lever.keys.iter().map(|k| format!("{k}={}", number_text(*v, lever.integer))));
            }
            for (id, choice) in &lesson.events {
                if self.event(id).is_none() {
                    return Err(spans.error(&format!("lessons[{i}].events.{id}"), format!("no event is named `{id}`")));
                }
                set.extend(event_overrides(id, choice));
            }
            scenario::from_str(changed_base, &set)
                .map_err(|e| spans.error(&format!("lessons[{i}]"), format!("the lesson's scenario: {}", inner(&e))))?;
        }
        Ok(())
    }
}

/// The quick and careful settings are within the page's caps.
fn check_quality(q: &Qualities, spans: &Spans) -> Result<()> {
    for (name, q) in [("quick", &q.quick), ("careful", &q.careful)] {
        if !(100..=SERVE_MAX_AGENTS).contains(&q.agents) {
            let m = format!("expected 100 to {SERVE_MAX_AGENTS} agents (the page's cap), found {}", q.agents);
            return Err(spans.error(&format!("quality.{name}.agents"), m));
        }
        if !(1..=SERVE_MAX_REPLICATES).contains(&q.replicates) {
            let m = format!("expected 1 to {SERVE_MAX_REPLICATES} replicates (the page's cap), found {}", q.replicates);
            return Err(spans.error(&format!("quality.{name}.replicates"), m));
        }
    }
    Ok(())
}

/// The file's events that the scenario has (taking its date, on/off and kind) or that the file
/// defines (off), and the ids of those left out.
fn resolve_events(raw: Vec<EventToggle>, base: &Scenario, spans: &Spans) -> Result<(Vec<EventToggle>, Vec<String>)> {
    let mut events: Vec<EventToggle> = Vec::new();
    let mut left_out = Vec::new();
    for (i, mut e) in raw.into_iter().enumerate() {
        let at = |k: &str| format!("events[{i}].{k}");
        if events.iter().any(|x| x.id == e.id) {
            return Err(spans.error(&at("id"), format!("a second event is named `{}`", e.id)));
        }
        if let Some(own) = base.events.iter().find(|x| x.id == e.id) {
            // A definition of the scenario's own event's kind gives way to the scenario's event.
            let defined_kind = e.define.as_ref().and_then(|d| d.get("kind")).and_then(|k| k.as_str());
            if defined_kind.is_some_and(|k| k != own.kind.tag()) {
                let m = format!(
                    "the served scenario has an event `{}` of kind `{}`: rename this one or define that kind",
                    e.id,
                    own.kind.tag()
                );
                return Err(spans.error(&at("define"), m));
            }
            e.define = None;
            e.date = own.date.to_string();
            e.enabled = own.enabled;
            e.kind = own.kind.tag().to_string();
        } else if let Some(define) = &e.define {
            for k in ["id", "date", "enabled"] {
                if define.contains_key(k) {
                    return Err(spans.error(&at("define"), format!("`{k}` is written beside `define`, not in it")));
                }
            }
            e.kind = define.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_string();
            e.enabled = false;
            // The event must validate when switched on at its date.
            let text = with_defined_events(base, std::slice::from_ref(&e));
            scenario::from_str(&text, &[format!("events[{}].enabled=true", e.id)])
                .map_err(|err| spans.error(&at("define"), inner(&err)))?;
        } else {
            left_out.push(e.id);
            continue;
        }
        events.push(e);
    }
    Ok((events, left_out))
}

/// `base`'s canonical TOML with the defined events of `events` appended, off, at their dates.
pub fn with_defined_events(base: &Scenario, events: &[EventToggle]) -> String {
    let mut table = base.to_toml();
    let mut list = match table.remove("events") {
        Some(toml::Value::Array(a)) => a,
        _ => Vec::new(),
    };
    for e in events {
        if let Some(define) = &e.define {
            let mut t = define.clone();
            t.insert("id".into(), e.id.clone().into());
            t.insert("date".into(), e.date.clone().into());
            t.insert("enabled".into(), false.into());
            list.push(toml::Value::Table(t));
        }
    }
    table.insert("events".into(), toml::Value::Array(list));
    toml::to_string(&table).unwrap_or_default()
}

/// `--set` overrides of one event choice.
pub fn event_overrides(id: &str, choice: &EventChoice) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(on) = choice.enabled {
        out.push(format!("events[{id}].enabled={on}"));
    }
    if let Some(date) = &choice.date {
        out.push(format!("events[{id}].date={}", toml::Value::String(date.clone())));
    }
    out
}

/// A lever value as TOML text: a whole number for an integer key, else a float.
pub fn number_text(v: f64, integer: bool) -> String {
    if integer && v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// The message of a scenario error without its location (the page is not a file).
pub fn inner(e: &Error) -> String {
    match e {
        Error::Scenario { key, message, .. } => format!("`{key}`: {message}"),
        other => other.to_string(),
    }
}

/// The value at a `--set`-style key path (`consumers.agents`, `markets[russia].tariff`).
fn lookup<'t>(table: &'t toml::Table, path: &str) -> Option<&'t toml::Value> {
    let mut cur = table;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let value = match part.split_once('[') {
            Some((name, id)) => {
                let id = id.strip_suffix(']')?;
                cur.get(name)?.as_array()?.iter().find(|e| e.get("id").and_then(|v| v.as_str()) == Some(id))?
            }
            None => cur.get(*part)?,
        };
        if i + 1 == parts.len() {
            return Some(value);
        }
        cur = value.as_table()?;
    }
    None
}

/// The `describe` path of a key path: `markets[russia].tariff` → `markets[].tariff`,
/// `events[ban].x` → `events[kind=<the event's kind>].x`.
fn doc_path(key: &str, table: &toml::Table) -> Option<String> {
    let Some((name, rest)) = key.split_once('[') else {
        return Some(key.to_string());
    };
    let (id, tail) = rest.split_once(']')?;
    if name == "events" {
        let kind = lookup(table, &format!("events[{id}].kind"))?.as_str()?;
        return Some(format!("events[kind={kind}]{tail}"));
    }
    Some(format!("{name}[]{tail}"))
}
