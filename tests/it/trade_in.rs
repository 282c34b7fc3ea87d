//! The trade-in subsidy (docs/model.md §7.3, "Trade-in"): scrapping pays owners of a car bought
//! before the cut-off, replacement any owner who sells a car; claims are counted in
//! `trade_in_claims_*` and the subsidy raises retail sales.

use zeromile::model::metrics::idx;
use zeromile::model::World;
use zeromile::scenario::{self, Scenario};

/// The smoke scenario plus a trade-in event from 2019-03 with the given keys, at 40,000 agents.
fn smoke_with_trade_in(keys: &str) -> Scenario {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml")).unwrap();
    let text = if keys.is_empty() {
        text
    } else {
        format!("{text}\n[[events]]\nid = \"ti\"\ndate = \"2019-03\"\nkind = \"trade_in_subsidy\"\n{keys}\n")
    };
    let mut s: Scenario = scenario::from_str(&text, &[]).unwrap();
    s.consumers.agents = 40_000;
    s.consumers.households_per_agent = 5_000.0;
    s
}

/// Totals over 8 months and 8 replicates: retail sales, scrapping claims, replacement claims.
fn totals(keys: &str) -> [f64; 3] {
    let s = smoke_with_trade_in(keys);
    let mut out = [0.0; 3];
    for key in 0..8u64 {
        let mut world = World::new(&s, key);
        for _ in 0..8 {
            let row = world.step();
            out[0] += row[idx::DOMESTIC_RETAIL_SALES];
            out[1] += row[idx::TRADE_IN_CLAIMS_SCRAP];
            out[2] += row[idx::TRADE_IN_CLAIMS_REPLACE];
            assert_eq!(row[idx::TRADE_IN_CLAIMS], row[idx::TRADE_IN_CLAIMS_SCRAP] + row[idx::TRADE_IN_CLAIMS_REPLACE]);
        }
    }
    out
}

const AMOUNTS: &str = "nev_yuan = 30000.0\nice_yuan = 30000.0\n";

#[test]
fn scrapping_pays_only_cars_bought_before_the_cut_off() {
    let none = totals("");
    assert_eq!(none[1] + none[2], 0.0, "no event, no claims");
    // No car is 29 years old in 2019: the run is the run without the subsidy, bit for bit.
    let nobody = totals(&format!("{AMOUNTS}scrap_registered_before = \"1990-01\""));
    assert_eq!(nobody, none);
    // A cut-off after the start makes every owner's car old enough.
    let all = totals(&format!("{AMOUNTS}scrap_registered_before = \"2030-01\""));
    assert!(all[0] > 1.01 * none[0], "a subsidy for every owner sells more: {:.0} vs {:.0}", all[0], none[0]);
    assert!(all[1] > 0.0 && all[2] == 0.0, "only scrapping claims: {all:?}");
    let some = totals(&format!("{AMOUNTS}scrap_registered_before = \"2010-01\""));
    assert!(some[0] > none[0] && some[0] < all[0], "old cars only: {some:?} between {none:?} and {all:?}");
    assert!(some[1] > 0.0 && some[1] < all[1], "fewer scrapping claims: {some:?} vs {all:?}");
}

#[test]
fn replacement_pays_any_owner_who_sells_and_raises_claims_and_retail() {
    let none = totals("");
    // No car old enough to scrap: every owner is in the replacement scheme.
    let keys = "nev_yuan = 0.0\nice_yuan = 0.0\nreplace_nev_yuan = 15000.0\nreplace_ice_yuan = 10000.0\n\
                scrap_registered_before = \"1990-01\"\n";
    let full = totals(keys);
    assert!(full[2] > 0.0 && full[1] == 0.0, "replacement claims only (no scrapping money): {full:?}");
    assert!(full[2] < full[0], "claims are a part of retail sales: {full:?}");
    assert!(full[0] > none[0], "replacement subsidy sells more: {:.0} vs {:.0}", full[0], none[0]);
    let half = totals(&format!("{keys}replace_take_up = 0.5"));
    assert!(half[2] > 0.3 * full[2] && half[2] < 0.7 * full[2], "take-up halves the claims: {half:?} vs {full:?}");
    assert!(half[0] > none[0] && half[0] < full[0], "{half:?} between {none:?} and {full:?}");
    assert_eq!(totals(&format!("{keys}replace_take_up = 0.0")), none, "no take-up, no effect");
}
