//! The powertrain split (docs/model.md, Powertrains): `powertrains = "single"` reproduces the
//! round-1 model bit for bit, and the split's levers move the powertrain they name.

use crate::util::scenario_path;
use zeromile::engine::{run_one, seed::replicate_key};
use zeromile::scenario::{self, Scenario};

/// The metrics of the round-1 output contract (before the powertrain split), by name.
const ROUND1_METRICS: &[&str] = &[
    "production",
    "capacity",
    "utilization",
    "domestic_retail_sales",
    "zero_mileage_exports",
    "new_car_exports",
    "reported_domestic_sales",
    "inventory",
    "avg_list_price",
    "avg_transaction_price",
    "price_index",
    "avg_discount",
    "share_cutting_price",
    "active_automakers",
    "exits",
    "bailouts",
    "industry_profit_margin",
    "local_subsidy_spend",
    "participating_governments",
    "active_exporters",
    "exporter_margin",
    "consumers_waiting_share",
    "expected_price_change",
    "zero_mileage_ev_share",
];

/// FNV-1a over the bits of every round-1 metric (and `exports_<market>`) of `replicates`
/// replicates of `s`, month by month.
fn round1_bits(s: &Scenario, replicates: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: f64| {
        for b in x.to_bits().to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for r in 0..replicates {
        let world = zeromile::model::World::new(s, replicate_key(s.seed, r));
        let set = world.metric_set().clone();
        let mut cols: Vec<usize> = ROUND1_METRICS.iter().map(|m| set.position(m).expect(m)).collect();
        cols.extend((0..set.len()).filter(|&j| set.names[j].starts_with("exports_")));
        let t = run_one(s, replicate_key(s.seed, r));
        for i in 0..t.months() {
            for &j in &cols {
                eat(t.get(i, j));
            }
        }
    }
    h
}

fn load(file: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(&scenario_path(file), &sets).unwrap()
}

/// Bits taken from the round-1 model (commit d72e117) on the same scenarios.
#[test]
fn single_powertrain_reproduces_the_round1_model_bit_for_bit() {
    let single = "automakers.powertrains=\"single\"";
    let smoke = load("smoke.toml", &[single]);
    let baseline = load("baseline.toml", &[single, "consumers.agents=20000", "end=\"2021-06\""]);
    let got = (round1_bits(&smoke, 2), round1_bits(&baseline, 2));
    assert_eq!(got, (0xa631_5812_5b38_2db0, 0x5643_bb0b_fd2b_7e4a), "{:016x} {:016x}", got.0, got.1);
}
