use std::ffi::OsStr;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The package root (the binary runs from here, so `scenarios/…` paths resolve).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A shipped scenario file.
pub fn scenario_path(file: &str) -> PathBuf {
    root().join("scenarios").join(file)
}

/// Every shipped scenario file (`crate::shipped::SHIPPED_SCENARIOS`, not a scan of the folder,
/// so a user's own `scenarios/*.toml` is left alone), sorted.
pub fn scenario_files() -> Vec<PathBuf> {
    crate::shipped::SHIPPED_SCENARIOS.iter().map(|f| scenario_path(f)).collect()
}

/// The built binary, run from the package root.
pub fn zeromile() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zeromile"));
    c.current_dir(root());
    c
}

/// Runs the binary with `args` and asserts it succeeds.
pub fn run_ok<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S> + Debug + Clone,
    S: AsRef<OsStr>,
{
    let out = zeromile().args(args.clone()).output().unwrap();
    assert!(
        out.status.success(),
        "zeromile {args:?} failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `zeromile run <scenarios> --out <out> -q <extra>` and asserts it succeeds.
pub fn run_scenarios(scenarios: &[&Path], out: &Path, extra: &[&str]) {
    let mut args: Vec<&OsStr> = vec![OsStr::new("run")];
    args.extend(scenarios.iter().map(|p| p.as_os_str()));
    args.extend([OsStr::new("--out"), out.as_os_str(), OsStr::new("-q")]);
    args.extend(extra.iter().map(OsStr::new));
    run_ok(args);
}

/// A file's text.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A CSV file's header line.
pub fn header(path: &Path) -> String {
    read(path).lines().next().unwrap_or_default().to_string()
}

/// A CSV file's data rows (header excluded).
pub fn rows(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(Result::unwrap).collect()
}

/// Checks `dir/metrics.csv`: its header, one row per metric name, and exactly one for each of
/// `metrics` (the metrics some output of the directory uses); and that the manifest lists it.
pub fn assert_metrics_cover(dir: &Path, metrics: impl IntoIterator<Item = String>) {
    let path = dir.join("metrics.csv");
    assert_eq!(header(&path), zeromile::output::METRICS_HEADER.join(","));
    let rows = rows(&path);
    for m in metrics {
        let n = rows.iter().filter(|r| r[0] == *m).count();
        assert_eq!(n, 1, "{}: {n} rows for metric {m}", path.display());
    }
    for r in &rows {
        assert!(!r[1].is_empty() && !r[3].is_empty() && !r[6].is_empty(), "incomplete row {r:?}");
    }
    let manifest: serde_json::Value = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    assert!(manifest["files"].as_array().unwrap().iter().any(|f| f == "metrics.csv"), "{manifest}");
}

/// Runs the smoke scenario and `smoke_alt` (a variant with another price sensitivity) into
/// `dir/out` with `extra` flags; returns the output directory.
pub fn run_smoke_pair(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("out");
    let alt = smoke_variant(dir, "smoke_alt", "[consumers]\nprice_sensitivity = 6.0\n");
    run_scenarios(&[&scenario_path("smoke.toml"), &alt], &out, extra);
    out
}

/// Writes a scenario that extends `scenarios/smoke.toml` under another name, with `extra` TOML
/// (tables only) appended; returns its path.
pub fn smoke_variant(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let smoke = scenario_path("smoke.toml");
    let text = format!("extends = {:?}\nname = {name:?}\n{extra}", smoke.display().to_string());
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The metric names of the output contract (ARCHITECTURE.md), for the default markets.
pub const CONTRACT_METRICS: &[&str] = &[
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
    "exports_russia",
    "exports_central_asia",
    "exports_middle_east",
    "exports_africa",
    "exports_rest_of_world",
];

pub const SUMMARY_HEADER: &str = "scenario,month,date,metric,mean,sd,p05,p25,p50,p75,p95,n";
pub const ANNUAL_HEADER: &str = "scenario,year,metric,mean,sd,p05,p25,p50,p75,p95,n";

/// The metrics the dealer tier added (issue 18): without dealers the outputs less these are the
/// bytes of the model before it.
pub const DEALER_METRICS: &[&str] = &[
    "wholesale_sales",
    "dealer_target_rebates",
    "dealer_inventory",
    "dealer_inventory_coefficient",
    "industry_stock_days",
    "dealer_margin",
    "active_dealers",
    "zero_mileage_from_dealers",
    "zero_mileage_from_factories",
    "dealer_discount",
    "dealer_closures",
];

/// `text` (a CSV file of the run) without the dealer metrics ([`without_metrics`]).
pub fn without_dealer_metrics(text: &str) -> String {
    without_metrics(text, DEALER_METRICS)
}

/// `text` (a CSV file of the run) without the metrics `names`: their rows in a long file (a
/// `metric` column), their columns in a wide one.
pub fn without_metrics(text: &str, names: &[&str]) -> String {
    let mut lines = text.split('\n');
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let mut out = vec![header.clone()];
    let rows = lines.map(|l| l.split(',').collect::<Vec<_>>());
    match header.iter().position(|h| *h == "metric") {
        Some(m) => out.extend(rows.filter(|r| r.len() <= m || !names.contains(&r[m]))),
        None => {
            let keep: Vec<usize> = (0..header.len()).filter(|&i| !names.contains(&header[i])).collect();
            out[0] = keep.iter().map(|&i| header[i]).collect();
            out.extend(rows.map(|r| if r.len() == header.len() { keep.iter().map(|&i| r[i]).collect() } else { r }));
        }
    }
    out.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n")
}
