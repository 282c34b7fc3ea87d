//! A run request of the classroom page, checked and turned into two scenarios: the unchanged
//! one and the changed one. Requests carry lever values and event choices only, never TOML
//! text, `extends` or paths: each value becomes a `--set`-style override of a lever's own keys,
//! so the scenario validation the CLI applies checks it, and its message comes back with the
//! field it is about.

use super::levers::{event_overrides, inner, number_text, EventChoice, Levers, Quality};
use crate::error::Error;
use crate::scenario::limits::SERVE_MAX_REPLICATES;
use crate::scenario::{self, Scenario, YearMonth};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A refused request: the HTTP status, the field it is about (`levers.<id>`,
/// `events.<id>.date`, `replicates`, …) and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// HTTP status: 400, 404, 405, 413, 415, 429 or 503.
    pub status: u16,
    /// The request field the message is about.
    pub field: Option<String>,
    /// What is wrong, in the CLI's words where the scenario validation said it.
    pub message: String,
}

impl Refusal {
    /// A 400 about `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal { status: 400, field: Some(field.into()), message: message.into() }
    }

    /// A refusal about no one field.
    pub fn new(status: u16, message: impl Into<String>) -> Refusal {
        Refusal { status, field: None, message: message.into() }
    }

    /// The JSON body: `{"error": message, "field": field}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.message, "field": self.field })
    }
}

/// "quick" or "careful".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityName {
    /// Few agents and replicates.
    #[default]
    Quick,
    /// More agents and replicates.
    Careful,
}

/// The body of `POST /api/run`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Lever values by lever id.
    #[serde(default)]
    pub levers: BTreeMap<String, f64>,
    /// Event choices by event id.
    #[serde(default)]
    pub events: BTreeMap<String, EventChoice>,
    /// Replicates (default: the quality's).
    #[serde(default)]
    pub replicates: Option<u64>,
    /// Master seed (default: the served scenario's).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Quick or careful.
    #[serde(default)]
    pub quality: QualityName,
}

impl RunRequest {
    /// Parses a request body; a malformed one is refused naming the field.
    pub fn parse(body: &[u8]) -> Result<RunRequest, Refusal> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let request = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let text = inner.to_string();
            // serde_json ends its messages with the position; the user's words come first.
            let text = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m);
            let message = crate::scenario::words::in_user_words(text);
            match path.as_str() {
                _ if inner.is_syntax() || inner.is_eof() => {
                    Refusal::new(400, format!("the request is not JSON: {inner}"))
                }
                _ if path.is_empty() || path.starts_with(['.', '?', '[']) => {
                    Refusal::new(400, format!("the request is not a run request: {message}"))
                }
                _ => Refusal::field(path, message),
            }
        })?;
        de.end().map_err(|e| Refusal::new(400, format!("the request is not a run request: {e}")))?;
        Ok(request)
    }
}

/// The unchanged scenario's cache key: its runs differ only in these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CacheKey {
    /// Master seed.
    pub seed: u64,
    /// Replicates.
    pub replicates: u64,
    /// Household agents.
    pub agents: usize,
}

/// A checked request: the two scenarios to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The request as given.
    pub request: RunRequest,
    /// The served scenario at the run's seed, replicates and agents.
    pub baseline: Scenario,
    /// The same with the request's levers and events.
    pub changed: Scenario,
    /// Seed, replicates and agents.
    pub key: CacheKey,
}

/// The served scenario and its levers.
#[derive(Debug, Clone)]
pub struct Classroom {
    /// The served scenario as loaded.
    pub base: Scenario,
    /// Its canonical TOML.
    pub base_text: String,
    /// The same with the levers file's defined events added, off.
    pub changed_base: String,
    /// The levers file.
    pub levers: Levers,
}

impl Classroom {
    /// The quality settings of `name`.
    pub fn quality(&self, name: QualityName) -> &Quality {
        match name {
            QualityName::Quick => &self.levers.quality.quick,
            QualityName::Careful => &self.levers.quality.careful,
        }
    }

    /// Checks `request` and builds its scenarios: unknown levers and events are refused,
    /// values go through the scenario validation (its message next to the field), then the
    /// teaching ranges and the page's replicate cap apply.
    pub fn plan(&self, request: RunRequest) -> Result<Plan, Refusal> {
        let mut set = Vec::new();
        for (id, &v) in &request.levers {
            let Some(lever) = self.levers.lever(id) else {
                let known: Vec<&str> = self.levers.levers.iter().map(|l| l.id.as_str()).collect();
                let m = format!("no lever is named `{id}`; the levers are {}", known.join(", "));
                return Err(Refusal::field(format!("levers.{id}"), m));
            };
            set.extend(lever.keys.iter().map(|k| format!("{k}={}", number_text(v, lever.integer))));
        }
        for (id, choice) in &request.events {
            if self.levers.event(id).is_none() {
                let known: Vec<&str> = self.levers.events.iter().map(|e| e.id.as_str()).collect();
                let m = format!("no event is named `{id}`; the events are {}", known.join(", "));
                return Err(Refusal::field(format!("events.{id}"), m));
            }
            if let Some(date) = &choice.date {
                date.parse::<YearMonth>().map_err(|e| Refusal::field(format!("events.{id}.date"), e.to_string()))?;
            }
            set.extend(event_overrides(id, choice));
        }
        let quality = self.quality(request.quality);
        let replicates = request.replicates.unwrap_or(quality.replicates);
        if !(1..=SERVE_MAX_REPLICATES).contains(&replicates) {
            let m = format!("expected a whole number of replicates from 1 to {SERVE_MAX_REPLICATES} (the page's cap), found {replicates}");
            return Err(Refusal::field("replicates", m));
        }
        let seed = request.seed.unwrap_or(self.base.seed);
        let agents = quality.agents.min(self.base.consumers.agents);
        let mut common = vec![format!("seed={seed}"), format!("replicates={replicates}")];
        if agents != self.base.consumers.agents {
            common.push(format!("consumers.agents={agents}"));
        }
        let baseline = scenario::from_str(&self.base_text, &common).map_err(|e| self.refusal(&e))?;
        let name = toml::Value::String(format!("{}_changed", self.base.name));
        set.extend(common);
        set.push(format!("name={name}"));
        let changed = scenario::from_str(&self.changed_base, &set).map_err(|e| self.refusal(&e))?;
        for (id, &v) in &request.levers {
            if let Some(lever) = self.levers.lever(id).filter(|l| !(l.min..=l.max).contains(&v)) {
                let m = format!("{v} is outside the teaching range {} to {} {}", lever.min, lever.max, lever.unit);
                return Err(Refusal::field(format!("levers.{id}"), m));
            }
        }
        Ok(Plan { request, baseline, changed, key: CacheKey { seed, replicates, agents } })
    }

    /// A scenario validation error as a refusal about the request field its key came from.
    fn refusal(&self, e: &Error) -> Refusal {
        let Error::Scenario { key, .. } = e else {
            return Refusal::new(400, e.to_string());
        };
        let message = inner(e);
        if let Some(lever) = self.levers.levers.iter().find(|l| l.keys.iter().any(|k| k == key)) {
            return Refusal::field(format!("levers.{}", lever.id), message);
        }
        if let Some(rest) = key.strip_prefix("events[") {
            if let Some((id, tail)) = rest.split_once(']') {
                return Refusal::field(format!("events.{id}{tail}"), message);
            }
        }
        match key.as_str() {
            "seed" | "replicates" => Refusal::field(key.clone(), message),
            _ => Refusal::new(400, message),
        }
    }
}
