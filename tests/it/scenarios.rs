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
    let (b, e) = (get(&base, "trade_in_2024_raised"), get(&ext, "trade_in_2024_raised"));
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
