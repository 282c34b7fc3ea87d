use crate::util::*;
use zeromile::engine::{run_one, seed::replicate_key};
use zeromile::scenario::{self, schema::default_markets, EventKind, Scenario};

fn load(file: &str) -> Scenario {
    scenario::load(&scenario_path(file), &[]).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_scenario_loads_and_runs_briefly() {
    for path in scenario_files() {
        let full = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let end = full.start.offset(5);
        let overrides = [format!("end=\"{end}\""), "consumers.agents=1500".to_string()];
        let s = scenario::load(&path, &overrides).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(s.months(), 6);
        assert_eq!(s.consumers.agents, 1500);
        assert_eq!(s.events.len(), full.events.len(), "overrides must not change events");

        let traj = run_one(&s, replicate_key(s.seed, 0));
        assert_eq!(traj.months(), 6);
        assert_eq!(traj.width, zeromile::model::metrics::CORE_METRICS.len() + s.markets.len());
        if let Some(bad) = traj.values.iter().position(|v| !v.is_finite()) {
            panic!(
                "{}: non-finite value {} at month {}, metric {}",
                path.display(),
                traj.values[bad],
                bad / traj.width,
                bad % traj.width
            );
        }
    }
}

#[test]
fn child_event_overrides_inherited_event_by_id() {
    let base = load("baseline.toml");
    let strict = load("strict_zero_mileage.toml");
    assert_eq!(strict.events.len(), base.events.len(), "same id must replace, not add");
    let ids = |s: &Scenario| s.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&strict), ids(&base), "inherited events keep their order");
    let e = strict.events.iter().find(|e| e.id == "mofcom_648_documentation").unwrap();
    match &e.kind {
        EventKind::ZeroMileageRule(r) => assert_eq!(r.min_holding_months, 6),
        other => panic!("mofcom_648_documentation has kind {}", other.tag()),
    }
}

#[test]
fn child_can_disable_and_extend_inherited_events() {
    let base = load("baseline.toml");
    let ext = load("trade_in_extended.toml");
    assert_eq!(ext.events.len(), base.events.len());
    let get = |s: &Scenario, id: &str| s.events.iter().find(|e| e.id == id).cloned().unwrap();
    assert!(get(&base, "trade_in_2026").enabled);
    assert!(!get(&ext, "trade_in_2026").enabled);
    // A partial override keeps the inherited keys it does not name.
    let (b, e) = (get(&base, "trade_in_2025"), get(&ext, "trade_in_2025"));
    assert_eq!((e.date, &e.kind), (b.date, &b.kind));
    assert_eq!(e.until, Some(scenario::YearMonth::new(2029, 1).unwrap()));
}

#[test]
fn child_market_override_keeps_built_in_defaults() {
    let backlash = load("foreign_backlash.toml");
    let defaults = default_markets();
    assert_eq!(backlash.markets.len(), defaults.len());
    let russia = backlash.markets.iter().find(|m| m.id == "russia").unwrap();
    let default_russia = defaults.iter().find(|m| m.id == "russia").unwrap();
    assert_eq!(russia.market_size, default_russia.market_size);
    assert_eq!(russia.tariff, default_russia.tariff);
    assert_ne!(russia.backlash_strength, default_russia.backlash_strength);
    let ids: Vec<&str> = backlash.markets.iter().map(|m| m.id.as_str()).collect();
    let default_ids: Vec<&str> = defaults.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, default_ids, "markets merged by id keep their order");
}

/// The 2019 mean of `domestic_retail_sales` in a run directory's `annual.csv`.
fn retail_2019(dir: &std::path::Path) -> f64 {
    let row = rows(&dir.join("annual.csv"))
        .into_iter()
        .find(|r| &r[1] == "2019" && &r[2] == "domestic_retail_sales")
        .expect("a 2019 retail row");
    row[3].parse().unwrap()
}

/// `consumers.agents` is a resolution setting (issue 15, item 4): halving it keeps national
/// retail sales within Monte Carlo noise (measured: 21.0 M at 3,000 agents, 20.8 M at 1,500,
/// 4 replicates), while writing `households_per_agent` as well still sets it (and halves them).
#[test]
fn agents_is_a_resolution_setting() {
    let dir = tempfile::tempdir().unwrap();
    let smoke = scenario_path("smoke.toml");
    let run = |name: &str, set: &[&str]| {
        let out = dir.path().join(name);
        let mut extra = vec!["-n", "4", "--no-plots"];
        for s in set {
            extra.extend(["--set", s]);
        }
        run_scenarios(&[&smoke], &out, &extra);
        retail_2019(&out)
    };
    let full = run("full", &[]);
    let half = run("half", &["consumers.agents=1500"]);
    let scaled = run("scaled", &["consumers.agents=1500", "consumers.households_per_agent=70000"]);
    assert!((half / full - 1.0).abs() < 0.1, "2019 retail sales: {full} at 3,000 agents, {half} at 1,500");
    assert!((scaled / full - 0.5).abs() < 0.1, "explicit households_per_agent: {scaled} vs {full}");
    let s = scenario::load(&smoke, &["consumers.agents=1500".into()]).unwrap();
    assert_eq!(s.consumers.households_per_agent, 140_000.0);
}

/// The derived households_per_agent equals what `bench` (and docs/performance.md) computed by
/// hand before the rule, `H / agents` written with `{:?}` and read back, bit for bit, so the
/// bench's scenario is unchanged.
#[test]
fn derived_households_per_agent_equals_the_hand_rescaling() {
    let base = load("baseline.toml");
    for agents in [100_u64, 2_000, 123_457, 500_000, 1_000_000, 7_777_777, 50_000_000] {
        let per_agent = base.consumers.households_per_agent * base.consumers.agents as f64 / agents as f64;
        let by_hand = [format!("consumers.agents={agents}"), format!("consumers.households_per_agent={per_agent:?}")];
        let by_rule = [format!("consumers.agents={agents}")];
        let path = scenario_path("baseline.toml");
        assert_eq!(scenario::load(&path, &by_rule).unwrap(), scenario::load(&path, &by_hand).unwrap(), "{agents}");
    }
    assert_eq!(base.consumers.households_per_agent, 480.0, "the baseline's own value is unchanged");
    assert_eq!(load("smoke.toml").consumers.households_per_agent, 70_000.0);
}
