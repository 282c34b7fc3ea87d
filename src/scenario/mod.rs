//! Scenarios: the validated description of one simulated world — its horizon, agent
//! populations, behavioural parameters, foreign markets, initial policy and dated events.

mod date;
pub mod events;
pub mod input;
pub mod kind;
pub mod limits;
mod load;
pub mod params;
mod resolution;
pub mod schema;
pub(crate) mod spans;
pub(crate) mod words;

pub use date::{BadDate, YearMonth};
pub use events::{Event, EventKind};
pub use load::{from_str, load};
pub use params::KeyDoc;
pub use resolution::{check_paired, Pairing};
pub use schema::{
    AutomakerParams, ConsumerParams, CostBasis, DealerParams, ExporterParams, GovernmentParams, MarketParams,
    PolicyParams, Powertrains,
};

/// A validated scenario. Built by [`load`] or [`from_str`]; `Default` is the built-in baseline
/// parameterisation without events.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Scenario name (defaults to the file stem).
    pub name: String,
    /// Free text.
    pub description: String,
    /// First simulated month.
    pub start: YearMonth,
    /// Last simulated month (inclusive).
    pub end: YearMonth,
    /// Default master seed.
    pub seed: u64,
    /// Default number of Monte Carlo replicates.
    pub replicates: u64,
    /// Household agents.
    pub consumers: ConsumerParams,
    /// Brand groups.
    pub automakers: AutomakerParams,
    /// Local governments.
    pub governments: GovernmentParams,
    /// Zero-mileage traders.
    pub exporters: ExporterParams,
    /// Dealer networks.
    pub dealers: DealerParams,
    /// Foreign markets.
    pub markets: Vec<MarketParams>,
    /// National policy at the start.
    pub policy: PolicyParams,
    /// Dated changes, in file order (later events win when several set the same lever).
    pub events: Vec<Event>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "default".into(),
            description: String::new(),
            start: YearMonth { year: 2019, month: 1 },
            end: YearMonth { year: 2030, month: 12 },
            seed: 20190101,
            replicates: 100,
            consumers: ConsumerParams::default(),
            automakers: AutomakerParams::default(),
            governments: GovernmentParams::default(),
            exporters: ExporterParams::default(),
            dealers: DealerParams::default(),
            markets: schema::default_markets(),
            policy: PolicyParams::default(),
            events: Vec::new(),
        }
    }
}

impl Scenario {
    /// Number of simulated months.
    pub fn months(&self) -> usize {
        (self.start.months_until(self.end) + 1) as usize
    }

    /// The resolved scenario as TOML (every key explicit): the canonical text that is hashed.
    pub fn to_toml(&self) -> toml::Table {
        let mut t = toml::Table::new();
        t.insert("name".into(), self.name.clone().into());
        t.insert("description".into(), self.description.clone().into());
        t.insert("start".into(), self.start.to_string().into());
        t.insert("end".into(), self.end.to_string().into());
        t.insert("seed".into(), toml::Value::Integer(self.seed as i64));
        t.insert("replicates".into(), toml::Value::Integer(self.replicates as i64));
        let section = |v: &dyn erased::Ser| v.table();
        t.insert("consumers".into(), section(&self.consumers).into());
        t.insert("automakers".into(), section(&self.automakers).into());
        t.insert("governments".into(), section(&self.governments).into());
        t.insert("exporters".into(), section(&self.exporters).into());
        t.insert("dealers".into(), section(&self.dealers).into());
        t.insert("policy".into(), section(&self.policy).into());
        let markets: Vec<toml::Value> = self.markets.iter().map(|m| section(m).into()).collect();
        t.insert("markets".into(), markets.into());
        let events: Vec<toml::Value> = self.events.iter().map(|e| e.to_toml().into()).collect();
        t.insert("events".into(), events.into());
        t
    }

    /// Canonical TOML text of [`Scenario::to_toml`].
    pub fn canonical_text(&self) -> String {
        toml::to_string(&self.to_toml()).unwrap_or_default()
    }
}

mod erased {
    /// Object-safe "serialise to a TOML table".
    pub trait Ser {
        fn table(&self) -> toml::Table;
    }
    impl<T: serde::Serialize> Ser for T {
        fn table(&self) -> toml::Table {
            toml::Table::try_from(self).unwrap_or_default()
        }
    }
}

/// Every scenario key with type, unit, default, range, meaning and source, generated from the
/// schema (what `zeromile describe` prints).
pub fn describe() -> Vec<KeyDoc> {
    let top =
        |path: &str, ty: &'static str, unit: &'static str, default: String, range: &str, meaning: &'static str| {
            KeyDoc { path: path.into(), ty, unit, default, range: range.into(), meaning, source: "-" }
        };
    let d = Scenario::default();
    let mut out = vec![
        top("name", "string", "-", "file stem".into(), "any", "Scenario name used in outputs."),
        top("description", "string", "-", "\"\"".into(), "any", "Free text."),
        top(
            "extends",
            "string",
            "-",
            "none".into(),
            "a scenario file path, relative to this file",
            "Scenario this one inherits from; its keys are overridden, markets and events merged by id.",
        ),
        top("start", "month", "YYYY-MM", format!("\"{}\"", d.start), "1900-01 .. 2200-12", "First simulated month."),
        top(
            "end",
            "month",
            "YYYY-MM",
            format!("\"{}\"", d.end),
            ">= start, < 1200 months",
            "Last simulated month (inclusive).",
        ),
        top("seed", "integer", "-", d.seed.to_string(), "[0, 2^63)", "Default master seed (overridden by --seed)."),
        top(
            "replicates",
            "integer",
            "runs",
            d.replicates.to_string(),
            "[1, 1000000]",
            "Default Monte Carlo replicates (overridden by --replicates).",
        ),
    ];
    out.extend(ConsumerParams::describe("consumers."));
    out.extend(AutomakerParams::describe("automakers."));
    out.extend(GovernmentParams::describe("governments."));
    out.extend(ExporterParams::describe("exporters."));
    out.extend(DealerParams::describe("dealers."));
    out.extend(MarketParams::describe("markets[]."));
    out.extend(PolicyParams::describe("policy."));
    out.push(top(
        "events[].id",
        "string",
        "-",
        "required".into(),
        "unique",
        "Event id; a child scenario overrides an inherited event with the same id.",
    ));
    out.push(top("events[].date", "month", "YYYY-MM", "required".into(), "any month", "First month in force."));
    out.push(top("events[].until", "month", "YYYY-MM", "none".into(), "> date", "First month no longer in force."));
    out.push(top(
        "events[].enabled",
        "bool",
        "-",
        "true".into(),
        "true | false",
        "False switches an inherited event off.",
    ));
    out.push(top(
        "events[].kind",
        "string",
        "-",
        "required".into(),
        &events::EVENT_KINDS.join(" | "),
        "What changes; the kind's keys follow.",
    ));
    out.extend(EventKind::describe());
    out
}
