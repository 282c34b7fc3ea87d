use crate::util::*;
use std::collections::BTreeMap;
use std::path::Path;
use zeromile::engine::{run_one, run_one_by_group, seed::replicate_key};
use zeromile::model::groups::{self, part, GROUP_METRICS, KEYS, WIDTH};
use zeromile::model::metrics::MetricSet;
use zeromile::scenario;

/// 30 groups, so every size band has members.
const SET: &[&str] = &["--set", "automakers.count=30"];

/// `(scenario, year, metric) -> mean` of `annual.csv`.
fn annual_means(dir: &Path) -> BTreeMap<(String, String, String), f64> {
    rows(&dir.join("annual.csv"))
        .iter()
        .map(|r| ((r[0].to_string(), r[1].to_string(), r[2].to_string()), r[3].parse().unwrap()))
        .collect()
}

/// The sum over keys of a metric's mean in `groups.csv`, by (scenario, year).
fn key_sums(rows: &[csv::StringRecord], metric: &str) -> BTreeMap<(String, String), f64> {
    let mut sums = BTreeMap::new();
    for r in rows.iter().filter(|r| &r[4] == metric) {
        *sums.entry((r[0].to_string(), r[1].to_string())).or_insert(0.0) += r[5].parse::<f64>().unwrap();
    }
    sums
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn by_group_writes_a_full_tidy_grid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec!["-n", "3", "--no-plots", "--by-group"];
    args.extend(SET);
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &args);
    let path = out.join("groups.csv");
    assert_eq!(header(&path), zeromile::output::GROUPS_HEADER.join(","));
    let manifest = read(&out.join("manifest.json"));
    assert!(manifest.contains("\"groups.csv\""), "the manifest lists groups.csv: {manifest}");

    // One row per scenario × year × ownership × band × metric, none missing, none twice.
    let rows = rows(&path);
    let years = ["2019", "2020"];
    assert_eq!(rows.len(), years.len() * KEYS * GROUP_METRICS.len());
    let mut seen = std::collections::BTreeSet::new();
    for r in &rows {
        assert!(seen.insert((r[1].to_string(), r[2].to_string(), r[3].to_string(), r[4].to_string())), "{r:?} twice");
        assert_eq!(&r[0], "smoke");
        for col in 5..13 {
            let v: f64 = r[col].parse().unwrap_or_else(|_| panic!("column {col} of {r:?} is not a number"));
            assert!(v.is_finite(), "{r:?}");
        }
        let n: u64 = r[12].parse().unwrap();
        assert!(n <= 3, "{r:?}");
    }
    for year in years {
        for (o, b) in groups::keys() {
            for m in GROUP_METRICS {
                assert!(seen.contains(&(year.into(), o.name().into(), b.name().into(), m.name.into())));
            }
        }
    }
    // Every size band holds groups, and counts and sums are defined in every replicate.
    for b in groups::SizeBand::ALL {
        let n: f64 =
            rows.iter().filter(|r| &r[3] == b.name() && &r[4] == "groups").map(|r| r[5].parse::<f64>().unwrap()).sum();
        assert!(n > 0.0, "no groups in band {}", b.name());
    }
    assert!(rows.iter().filter(|r| ["groups", "sales", "exits", "profit"].contains(&&r[4])).all(|r| &r[12] == "3"));

    // Shares sum to 1 within each year; sales, groups and exits add up to the industry's.
    let annual = annual_means(&out);
    let mean = |year: &str, metric: &str| annual[&("smoke".to_string(), year.to_string(), metric.to_string())];
    for ((_, year), share) in key_sums(&rows, "sales_share") {
        assert!(close(share, 1.0), "{year}: shares sum to {share}");
    }
    for ((_, year), sales) in key_sums(&rows, "sales") {
        let industry = mean(&year, "reported_domestic_sales") + mean(&year, "new_car_exports");
        assert!(close(sales, industry), "{year}: group sales {sales} vs industry {industry}");
    }
    for ((_, year), groups) in key_sums(&rows, "groups") {
        assert!(close(groups, mean(&year, "active_automakers")), "{year}: {groups} groups");
    }
    for ((_, year), exits) in key_sums(&rows, "exits") {
        assert!(close(exits, mean(&year, "exits")), "{year}: {exits} exits");
    }
}

/// Same seed, any thread count: byte-identical `groups.csv`; and `--by-group` leaves every
/// other file as a run without it writes them.
#[test]
fn by_group_is_deterministic_and_changes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, plain) = (dir.path().join("t1"), dir.path().join("t2"), dir.path().join("plain"));
    let smoke = scenario_path("smoke.toml");
    let alt = smoke_variant(dir.path(), "smoke_hard", "[policy]\nhard_budget = true\n");
    let args = |threads: &'static str, by_group: bool| {
        let mut a = vec!["-n", "3", "--no-plots", "--trajectories", "--threads", threads];
        a.extend(SET);
        if by_group {
            a.push("--by-group");
        }
        a
    };
    run_scenarios(&[&smoke, &alt], &one, &args("1", true));
    run_scenarios(&[&smoke, &alt], &two, &args("2", true));
    run_scenarios(&[&smoke, &alt], &plain, &args("2", false));
    assert!(read(&one.join("groups.csv")) == read(&two.join("groups.csv")), "groups.csv differs by thread count");
    assert!(!plain.join("groups.csv").exists(), "groups.csv written without --by-group");
    assert!(rows(&one.join("groups.csv")).iter().any(|r| &r[0] == "smoke_hard"));
    for f in ["summary.csv", "annual.csv", "deltas.csv", "annual_deltas.csv", "trajectories.csv", "metrics.csv"] {
        assert!(read(&one.join(f)) == read(&plain.join(f)), "{f} differs with --by-group");
    }
}

#[test]
fn by_group_with_a_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = zeromile()
        .args(["run", "scenarios/smoke.toml", "--by-group", "--shard", "0/2", "-q", "--out"])
        .arg(dir.path().join("shard"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--by-group") && err.contains("--shard"), "{err}");
    assert!(!dir.path().join("shard").join("manifest.json").exists());
}

/// Month by month in one replicate: the keys' sales are the industry's sales (retail +
/// zero-mileage registrations + official exports), their groups and exits the industry's; the
/// metric rows are those of a run without group rows.
#[test]
fn group_rows_add_up_to_the_industry_every_month() {
    let s = scenario::load(&scenario_path("smoke.toml"), &["automakers.count=30".into()]).unwrap();
    let key = replicate_key(s.seed, 1);
    let t = run_one_by_group(&s, key);
    let plain = run_one(&s, key);
    assert_eq!(t.values, plain.values);
    assert!(t.has_groups() && plain.groups.is_empty());
    let set = MetricSet::new(&s.markets.iter().map(|m| m.id.as_str()).collect::<Vec<_>>());
    let col = |name: &str| set.position(name).unwrap();
    for i in 0..t.months() {
        let row = &t.groups[i * WIDTH..(i + 1) * WIDTH];
        let sum = |k: usize| (0..KEYS).map(|key| row[key * part::COUNT + k]).sum::<f64>();
        let industry = t.get(i, col("reported_domestic_sales")) + t.get(i, col("new_car_exports"));
        assert!(close(sum(part::SALES), industry), "month {i}: {} vs {industry}", sum(part::SALES));
        assert!(close(sum(part::RETAIL), t.get(i, col("domestic_retail_sales"))), "month {i}");
        assert_eq!(sum(part::GROUPS), t.get(i, col("active_automakers")), "month {i}");
        assert_eq!(sum(part::EXITS), t.get(i, col("exits")), "month {i}");
        assert_eq!(sum(part::BAILOUTS), t.get(i, col("bailouts")), "month {i}");
        assert!(close(sum(part::PRODUCTION), t.get(i, col("production"))), "month {i}");
        assert!(close(sum(part::CAPACITY), t.get(i, col("capacity"))), "month {i}");
    }
}

/// Central and local state groups follow the same rules, and the split has its own stream: at
/// any `central_state_share` the metric rows are the same; 0 makes no group central, 1 every
/// state group.
#[test]
fn central_state_share_only_relabels_state_groups() {
    let load = |share: &str| {
        let set = ["automakers.count=30".to_string(), format!("automakers.central_state_share={share}")];
        scenario::load(&scenario_path("smoke.toml"), &set).unwrap()
    };
    let key = replicate_key(7, 0);
    let (none, all) = (load("0"), load("1"));
    let (t0, t1) = (run_one_by_group(&none, key), run_one_by_group(&all, key));
    assert_eq!(t0.values, t1.values);
    let central = |t: &zeromile::model::metrics::Trajectory, o| {
        let k = groups::key_index(o, groups::SizeBand::Top5);
        (0..t.months()).map(|i| (0..3).map(|b| t.groups[i * WIDTH + (k + b) * part::COUNT]).sum::<f64>()).sum::<f64>()
    };
    use zeromile::model::automaker::Ownership::{CentralState, LocalState};
    assert_eq!(central(&t0, CentralState), 0.0);
    assert_eq!(central(&t1, LocalState), 0.0);
    assert_eq!(central(&t0, LocalState), central(&t1, CentralState));
}
