//! Resolution and pairing.
//!
//! `consumers.agents` is a resolution setting: how finely the households are sampled, not how
//! many there are. The households a scenario represents, H = agents × households_per_agent, is
//! the real quantity. A scenario is built in layers (the defaults, each file of an `extends`
//! chain from the base down, then the `--set` overrides). A layer that writes `agents` without
//! writing `households_per_agent` keeps the H of the layers below it:
//! households_per_agent = H_below / agents. A layer that writes `households_per_agent` (alone or
//! with `agents`) sets it as written.
//!
//! Two scenarios of one run are paired, and their replicate-by-replicate difference is a policy
//! effect, only when they share the horizon (`start`, `end`) and the resolution (`agents` and
//! H): [`Pairing`], [`check_paired`].

use super::schema::{ConsumerParams, AGENTS_RANGE, HOUSEHOLDS_PER_AGENT_RANGE};
use super::spans::Spans;
use super::{Scenario, YearMonth};
use crate::error::{Error, Result};

/// The agents and households per agent of a (merged) scenario table, defaults where unwritten.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    agents: i64,
    per_agent: f64,
}

impl Scale {
    /// The scale of `table`'s `[consumers]`; `None` when either value is not a valid number of
    /// its kind (then the key checks report it, and the rule does nothing).
    pub(super) fn of(table: &toml::Table) -> Option<Scale> {
        let d = ConsumerParams::default();
        let consumers = match table.get("consumers") {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => return None,
        };
        let agents = match consumers.and_then(|c| c.get("agents")) {
            None => i64::try_from(d.agents).ok()?,
            Some(toml::Value::Integer(a)) => *a,
            Some(_) => return None,
        };
        let per_agent = match consumers.and_then(|c| c.get("households_per_agent")) {
            None => d.households_per_agent,
            Some(toml::Value::Integer(h)) => *h as f64,
            Some(toml::Value::Float(h)) => *h,
            Some(_) => return None,
        };
        let (lo, hi) = HOUSEHOLDS_PER_AGENT_RANGE;
        (agents > 0 && (lo..=hi).contains(&per_agent)).then_some(Scale { agents, per_agent })
    }

    /// Households represented, H = households_per_agent × agents.
    fn households(&self) -> f64 {
        self.per_agent * self.agents as f64
    }
}

/// Which of `consumers.agents` and `consumers.households_per_agent` one layer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Writes {
    agents: bool,
    per_agent: bool,
}

impl Writes {
    /// What a file's own table (before it is merged onto its base) writes.
    pub(super) fn of(layer: &toml::Table) -> Writes {
        match layer.get("consumers") {
            Some(toml::Value::Table(c)) => {
                Writes { agents: c.contains_key("agents"), per_agent: c.contains_key("households_per_agent") }
            }
            _ => Writes::default(),
        }
    }

    /// What `--set` overrides write: `consumers.agents=…`, `consumers.households_per_agent=…`,
    /// or a whole `consumers={…}` table.
    pub(super) fn of_overrides(overrides: &[String]) -> Writes {
        let mut w = Writes::default();
        for o in overrides {
            let (path, raw) = o.split_once('=').unwrap_or((o.as_str(), ""));
            match path.trim() {
                "consumers.agents" => w.agents = true,
                "consumers.households_per_agent" => w.per_agent = true,
                "consumers" => {
                    let table = toml::from_str::<toml::Table>(&format!("v = {raw}")).ok();
                    let inner = table.as_ref().and_then(|t| t.get("v")).and_then(|v| v.as_table());
                    // A whole table replaces the earlier overrides of its keys.
                    w.agents = inner.is_some_and(|c| c.contains_key("agents"));
                    w.per_agent = inner.is_some_and(|c| c.contains_key("households_per_agent"));
                }
                _ => {}
            }
        }
        w
    }
}

/// The resolution rule for one layer: `merged` is the scenario table after the layer was merged
/// onto the layers below, whose scale was `below`. A layer that writes `agents` but not
/// `households_per_agent` gets households_per_agent = H_below / agents. Invalid values are left
/// alone for the key checks to report; a derived value outside the key's range is refused here,
/// at `consumers.agents`, saying why.
pub(super) fn keep_households(
    merged: &mut toml::Table,
    below: Option<Scale>,
    writes: Writes,
    spans: &Spans,
) -> Result<()> {
    if !writes.agents || writes.per_agent {
        return Ok(());
    }
    let (Some(below), Some(now)) = (below, Scale::of(merged)) else { return Ok(()) };
    let (lo, hi) = AGENTS_RANGE;
    if now.agents == below.agents || !(lo as i64..=hi as i64).contains(&now.agents) {
        return Ok(());
    }
    let per_agent = derived_per_agent(below.households(), now.agents);
    let (lo, hi) = HOUSEHOLDS_PER_AGENT_RANGE;
    if !(lo..=hi).contains(&per_agent) {
        return Err(spans.error(
            "consumers.agents",
            format!(
                "{} agents for the {} households represented would stand for {per_agent} households each, \
                 outside [{lo}, {hi}]: write consumers.households_per_agent as well",
                now.agents,
                below.households()
            ),
        ));
    }
    if let Some(toml::Value::Table(c)) = merged.get_mut("consumers") {
        c.insert("households_per_agent".into(), toml::Value::Float(per_agent));
    }
    Ok(())
}

/// The rule for a file without `extends` (or a scenario string): its layer below is the defaults.
pub(super) fn keep_households_over_defaults(table: &mut toml::Table, spans: &Spans) -> Result<()> {
    let writes = Writes::of(table);
    keep_households(table, Scale::of(&toml::Table::new()), writes, spans)
}

/// households_per_agent = H / agents (households per agent).
fn derived_per_agent(households: f64, agents: i64) -> f64 {
    households / agents as f64
}

/// What two scenarios of one run must share for their paired difference to be a policy effect:
/// the horizon and the resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pairing {
    /// First simulated month.
    pub start: YearMonth,
    /// Last simulated month (inclusive).
    pub end: YearMonth,
    /// `consumers.agents`.
    pub agents: usize,
    /// Households represented, `consumers.agents × consumers.households_per_agent`.
    pub households: f64,
}

impl Scenario {
    /// This scenario's horizon and resolution.
    pub fn pairing(&self) -> Pairing {
        Pairing {
            start: self.start,
            end: self.end,
            agents: self.consumers.agents,
            households: self.consumers.households_per_agent * self.consumers.agents as f64,
        }
    }
}

impl Pairing {
    /// How `self` differs from `base` (`"horizon (2019-01..2030-12 vs 2019-01..2024-12)"`), or
    /// `None` when the two are paired. Households represented are compared to 1 part in 10^9,
    /// the rounding of a derived households_per_agent.
    pub fn difference(&self, base: &Pairing) -> Option<String> {
        if (self.start, self.end) != (base.start, base.end) {
            return Some(format!("horizon ({}..{} vs {}..{})", base.start, base.end, self.start, self.end));
        }
        if self.agents != base.agents {
            return Some(format!("resolution ({} vs {} consumer agents)", base.agents, self.agents));
        }
        if (self.households - base.households).abs() > 1e-9 * base.households.abs().max(self.households.abs()) {
            return Some(format!(
                "resolution ({} vs {} households represented, consumers.agents × households_per_agent)",
                base.households, self.households
            ));
        }
        None
    }

    /// Whether `self` is paired with `base`.
    pub fn is_paired_with(&self, base: &Pairing) -> bool {
        self.difference(base).is_none()
    }
}

/// Checks that every scenario is paired with the first (the baseline of `deltas.csv`). Without
/// `allow_unpaired` the first that is not is refused (`Error::Usage`, exit code 2), naming the
/// difference; with it, the result holds one line per unpaired scenario, saying it is left out
/// of `deltas.csv`.
pub fn check_paired(scenarios: &[Scenario], allow_unpaired: bool) -> Result<Vec<String>> {
    let Some((base, others)) = scenarios.split_first() else { return Ok(Vec::new()) };
    let mut notes = Vec::new();
    for s in others {
        let Some(diff) = s.pairing().difference(&base.pairing()) else { continue };
        let pair = format!("scenarios {} and {} differ in {diff}", base.name, s.name);
        if !allow_unpaired {
            return Err(Error::Usage(format!(
                "{pair}: their differences are not a policy effect; pass --allow-unpaired to run them side by \
                 side without comparing them in deltas.csv"
            )));
        }
        notes.push(format!("{pair}: run side by side (--allow-unpaired); {} is left out of deltas.csv", s.name));
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::from_str;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth { year, month }
    }

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    fn per_agent(text: &str, overrides: &[&str]) -> f64 {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        from_str(text, &o).unwrap().consumers.households_per_agent
    }

    #[test]
    fn scale_reads_defaults_and_written_values() {
        assert_eq!(Scale::of(&table("")), Some(Scale { agents: 500_000, per_agent: 480.0 }));
        assert_eq!(
            Scale::of(&table("[consumers]\nagents = 3000\nhouseholds_per_agent = 70000")).unwrap().per_agent,
            70000.0
        );
        assert_eq!(Scale::of(&table("[consumers]\nagents = \"many\"")), None);
        assert_eq!(Scale::of(&table("[consumers]\nhouseholds_per_agent = 0.0")), None);
        assert_eq!(Scale::of(&table("consumers = 3")), None);
    }

    #[test]
    fn overrides_say_what_they_write() {
        let w = |o: &[&str]| Writes::of_overrides(&o.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(w(&["consumers.agents=10"]), Writes { agents: true, per_agent: false });
        assert_eq!(
            w(&[" consumers.households_per_agent = 3", "end=2020-01"]),
            Writes { agents: false, per_agent: true }
        );
        assert_eq!(w(&["consumers={agents = 200}"]), Writes { agents: true, per_agent: false });
        assert_eq!(
            w(&["consumers.agents=10", "consumers.households_per_agent=3"]),
            Writes { agents: true, per_agent: true }
        );
        assert_eq!(w(&["consumers.trend_strength=2"]), Writes::default());
    }

    /// households_per_agent = H_below / agents, H = 500,000 × 480 = 240,000,000 with the defaults.
    #[test]
    fn agents_alone_keeps_the_households_represented() {
        assert_eq!(per_agent("", &[]), 480.0);
        assert_eq!(per_agent("[consumers]\nagents = 250000\n", &[]), 960.0);
        assert_eq!(per_agent("", &["consumers.agents=20000"]), 12_000.0);
        assert_eq!(per_agent("", &["consumers.agents=500000"]), 480.0);
        // The file's own H is kept by an override of agents.
        let smoke = "[consumers]\nagents = 3000\nhouseholds_per_agent = 70000.0\n";
        assert_eq!(per_agent(smoke, &[]), 70_000.0);
        assert_eq!(per_agent(smoke, &["consumers.agents=1500"]), 140_000.0);
        assert_eq!(per_agent(smoke, &["consumers={agents = 6000}"]), 35_000.0);
        let s = from_str(smoke, &["consumers.agents=7000".into()]).unwrap();
        assert!((s.consumers.households_per_agent * 7000.0 - 210e6).abs() < 1e-3);
    }

    #[test]
    fn written_households_per_agent_wins() {
        let smoke = "[consumers]\nagents = 3000\nhouseholds_per_agent = 70000.0\n";
        assert_eq!(per_agent(smoke, &["consumers.agents=1500", "consumers.households_per_agent=5"]), 5.0);
        assert_eq!(per_agent(smoke, &["consumers.households_per_agent=5"]), 5.0);
        assert_eq!(per_agent("[consumers]\nagents = 1000\nhouseholds_per_agent = 2.0\n", &[]), 2.0);
        assert_eq!(per_agent("", &["consumers.households_per_agent=100", "consumers.agents=1000"]), 100.0);
    }

    /// Each file of an `extends` chain is a layer: a child that writes only `agents` keeps its
    /// base's H; one that writes `households_per_agent` sets it; `--set` comes last.
    #[test]
    fn each_extends_layer_keeps_the_households_below() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("base.toml", "[consumers]\nagents = 3000\nhouseholds_per_agent = 70000.0\n");
        write("finer.toml", "extends = \"base.toml\"\n[consumers]\nagents = 6000\n");
        write("scaled.toml", "extends = \"base.toml\"\n[consumers]\nhouseholds_per_agent = 100.0\n");
        write("both.toml", "extends = \"finer.toml\"\n[consumers]\nagents = 1000\nhouseholds_per_agent = 7.0\n");
        write("only_scale.toml", "[consumers]\nhouseholds_per_agent = 10.0\n");
        write("child.toml", "extends = \"only_scale.toml\"\n[consumers]\nagents = 1000\n");
        let load = |name: &str, o: &[&str]| {
            let o: Vec<String> = o.iter().map(|s| s.to_string()).collect();
            let s = crate::scenario::load(&dir.path().join(name), &o).unwrap();
            (s.consumers.agents, s.consumers.households_per_agent)
        };
        assert_eq!(load("finer.toml", &[]), (6000, 35_000.0));
        assert_eq!(load("finer.toml", &["consumers.agents=1500"]), (1500, 140_000.0));
        assert_eq!(load("scaled.toml", &[]), (3000, 100.0));
        assert_eq!(load("scaled.toml", &["consumers.agents=1500"]), (1500, 200.0));
        assert_eq!(load("both.toml", &[]), (1000, 7.0));
        // The base's H is its default 500,000 agents x the 10 households it writes.
        assert_eq!(load("child.toml", &[]), (1000, 5_000.0));
    }

    #[test]
    fn a_derived_value_out_of_range_is_refused_at_agents() {
        let text = "[consumers]\nagents = 1000\nhouseholds_per_agent = 1.0\n";
        match from_str(text, &["consumers.agents=2000".into()]) {
            Err(Error::Scenario { key, message, .. }) => {
                assert_eq!(key, "consumers.agents");
                assert!(message.contains("write consumers.households_per_agent as well"), "{message}");
            }
            other => panic!("expected a scenario error, got {other:?}"),
        }
        // Out-of-range agents are the key check's to report.
        match from_str("", &["consumers.agents=10".into()]) {
            Err(Error::Scenario { key, message, .. }) => {
                assert_eq!(key, "consumers.agents");
                assert!(message.contains("[100, 50000000]"), "{message}");
            }
            other => panic!("expected a scenario error, got {other:?}"),
        }
    }

    fn scenario(name: &str, end: YearMonth, agents: usize, per_agent: f64) -> Scenario {
        let mut s = Scenario { name: name.into(), end, ..Scenario::default() };
        s.consumers.agents = agents;
        s.consumers.households_per_agent = per_agent;
        s
    }

    #[test]
    fn pairing_names_the_difference() {
        let base = scenario("baseline", ym(2030, 12), 500_000, 480.0).pairing();
        assert_eq!(scenario("x", ym(2030, 12), 500_000, 480.0).pairing().difference(&base), None);
        // H kept to rounding: 240e6 / 700,000 × 700,000 is not exactly 240e6.
        let p = scenario("x", ym(2030, 12), 700_000, 240e6 / 700_000.0).pairing();
        assert_eq!(p.difference(&scenario("b", ym(2030, 12), 700_000, 240e6 / 700_000.0).pairing()), None);
        assert_eq!(
            scenario("x", ym(2024, 12), 500_000, 480.0).pairing().difference(&base).as_deref(),
            Some("horizon (2019-01..2030-12 vs 2019-01..2024-12)")
        );
        assert_eq!(
            scenario("x", ym(2030, 12), 250_000, 960.0).pairing().difference(&base).as_deref(),
            Some("resolution (500000 vs 250000 consumer agents)")
        );
        let d = scenario("x", ym(2030, 12), 500_000, 400.0).pairing().difference(&base).unwrap();
        assert!(d.starts_with("resolution (240000000 vs 200000000 households"), "{d}");
    }

    #[test]
    fn check_paired_refuses_unless_allowed() {
        let runs = [
            scenario("baseline", ym(2030, 12), 500_000, 480.0),
            scenario("same", ym(2030, 12), 500_000, 480.0),
            scenario("short", ym(2024, 12), 500_000, 480.0),
        ];
        assert_eq!(check_paired(&runs[..2], false).unwrap(), Vec::<String>::new());
        assert_eq!(check_paired(&[], false).unwrap(), Vec::<String>::new());
        match check_paired(&runs, false) {
            Err(Error::Usage(m)) => {
                assert!(
                    m.starts_with(
                        "scenarios baseline and short differ in horizon (2019-01..2030-12 vs 2019-01..2024-12)"
                    ),
                    "{m}"
                );
                assert!(m.contains("--allow-unpaired"), "{m}");
            }
            other => panic!("expected a usage error, got {other:?}"),
        }
        let notes = check_paired(&runs, true).unwrap();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("short is left out of deltas.csv"), "{}", notes[0]);
    }
}
