use crate::util::*;
use zeromile::engine::{run_one, seed::replicate_key};
use zeromile::model::metrics::idx;
use zeromile::scenario;

/// Mean of metric `j` over months `from..to` of one run.
fn mean(t: &zeromile::model::metrics::Trajectory, j: usize, from: usize, to: usize) -> f64 {
    (from..to).map(|i| t.get(i, j)).sum::<f64>() / (to - from) as f64
}

/// Behaviour, not identities: with production pushed toward local targets and that push put on
/// the dealers (`wholesale_push` = 1), wholesale runs above retail, the dealers' inventory
/// coefficient rises past CADA's 1.5 warning line, and the dealers' own discounts and their
/// sales to zero-mileage traders rise; in the same world (same replicate keys) with the push
/// relaxed (`dealer_relief`, `wholesale_push` = 0) all three fall, in every replicate.
#[test]
fn pushed_wholesale_fills_dealers_and_relaxing_it_empties_them() {
    let base = [
        "end=\"2020-12\"".to_string(),
        "consumers.agents=20000".into(),
        "consumers.households_per_agent=10500".into(),
        "automakers.target_push=2".into(),
        "governments.target_growth=0.6".into(),
    ];
    let pushed = scenario::load(&scenario_path("smoke.toml"), &base).unwrap();
    let mut relaxed = pushed.clone();
    relaxed.policy.wholesale_push = 0.0;
    for r in 0..3 {
        let key = replicate_key(pushed.seed, r);
        let (p, q) = (run_one(&pushed, key), run_one(&relaxed, key));
        let (from, to) = (3, p.months());
        let coefficient = (
            mean(&p, idx::DEALER_INVENTORY_COEFFICIENT, from, to),
            mean(&q, idx::DEALER_INVENTORY_COEFFICIENT, from, to),
        );
        let discount = (mean(&p, idx::DEALER_DISCOUNT, from, to), mean(&q, idx::DEALER_DISCOUNT, from, to));
        let to_traders =
            (mean(&p, idx::ZERO_MILEAGE_FROM_DEALERS, from, to), mean(&q, idx::ZERO_MILEAGE_FROM_DEALERS, from, to));
        let (wholesale, retail) =
            (mean(&p, idx::WHOLESALE_SALES, from, to), mean(&p, idx::DOMESTIC_RETAIL_SALES, from, to));
        assert!(wholesale > retail, "replicate {r}: wholesale {wholesale} not above retail {retail}");
        assert!(coefficient.0 > 1.5 && coefficient.1 < coefficient.0, "replicate {r}: coefficient {coefficient:?}");
        assert!(discount.1 < discount.0, "replicate {r}: dealer discount {discount:?}");
        assert!(to_traders.1 < to_traders.0, "replicate {r}: dealer-to-trader sales {to_traders:?}");
    }
}

/// The ablation switch: with `dealers.enabled = false` the smoke run's outputs, less the dealer
/// metrics' rows and columns, are byte for byte the ones pinned before the dealer tier existed
/// (tests/it/determinism.rs's pins of that commit).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[test]
fn no_dealers_reproduces_the_model_before_the_dealer_tier() {
    let pinned = [
        ("summary.csv", "40d128576d5a883a"),
        ("annual.csv", "2680beee5931d999"),
        ("deltas.csv", "d3960522aa048bee"),
        ("annual_deltas.csv", "9fcf23eca2e1e401"),
        ("trajectories.csv", "ee62ee7bc96888a5"),
    ];
    assert_smoke_bytes_without(&["dealers.enabled=false"], DEALER_METRICS, &pinned);
}

/// The target-rebate switch: with `dealers.target_rebate = 0` (and the operating cost set
/// without the rebates, 0.025) no network sells to traders for its target and none is paid,
/// and the smoke run's outputs, less the `dealer_target_rebates` metric, are byte for byte the
/// ones pinned before the quarterly targets existed.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[test]
fn no_target_rebate_reproduces_the_dealer_tier_before_quarterly_targets() {
    let pinned = [
        ("summary.csv", "055a6880c8f43c25"),
        ("annual.csv", "7685494fa8bb5a58"),
        ("deltas.csv", "8b7a4b9909e41f33"),
        ("annual_deltas.csv", "316cb5726ca29496"),
        ("trajectories.csv", "400e57dbcf99f2af"),
    ];
    let sets = ["dealers.target_rebate=0", "dealers.operating_cost_share=0.025"];
    assert_smoke_bytes_without(&sets, &["dealer_target_rebates"], &pinned);
}

/// Runs smoke and its below-cost-ban variant (3 replicates, trajectories) with the `--set`
/// overrides `sets`, and compares each output less the metrics `dropped` with its pinned hash.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn assert_smoke_bytes_without(sets: &[&str], dropped: &[&str], pinned: &[(&str, &str)]) {
    use zeromile::output::hash_hex;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ban = smoke_variant(dir.path(), "smoke_ban", "[policy]\nbelow_cost_ban = true\n");
    let mut args = vec!["-n", "3", "--trajectories", "--no-plots"];
    for set in sets {
        args.extend(["--set", set]);
    }
    run_scenarios(&[&scenario_path("smoke.toml"), &ban], &out, &args);
    for (file, want) in pinned {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        let stripped = without_metrics(&text, dropped);
        assert_eq!(hash_hex(stripped.as_bytes()), *want, "{file} without {dropped:?} changed bytes");
    }
}
