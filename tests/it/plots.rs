use crate::util::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Charts of a one-scenario run (`policy_deltas` needs two scenarios).
const CHARTS: [&str; 5] = ["price_war", "export_volumes", "overcapacity", "consumers", "industry_health"];

/// Every file under `plots/` plus `report.html`, by name.
fn plot_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(out.join("plots")).unwrap() {
        let path = entry.unwrap().path();
        files.insert(format!("plots/{}", path.file_name().unwrap().to_string_lossy()), std::fs::read(&path).unwrap());
    }
    files.insert("report.html".into(), std::fs::read(out.join("report.html")).unwrap());
    files
}

/// Decodes a PNG; returns (width, height, share of pixels that are not white).
fn png_stats(path: &Path) -> (u32, u32, f64) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let inked = pixels.chunks(channels).filter(|p| p.iter().take(3).any(|&c| c < 250)).count();
    (info.width, info.height, inked as f64 / (info.width * info.height) as f64)
}

/// Asserts the chart `name` exists in both formats and is non-trivial.
fn assert_chart(out: &Path, name: &str, legend: &str) {
    let png = out.join("plots").join(format!("{name}.png"));
    let (w, h, inked) = png_stats(&png);
    assert_eq!((w, h), (1600, 900), "{}", png.display());
    assert!(inked > 0.03, "{} is almost blank: {:.1}% of pixels drawn", png.display(), inked * 100.0);
    let svg = read(&out.join("plots").join(format!("{name}.svg")));
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{name}.svg is not an SVG document");
    assert!(svg.contains("<polyline") || svg.contains("<path"), "{name}.svg draws no line");
    assert!(svg.contains("<polygon"), "{name}.svg draws no band");
    assert!(svg.contains(legend), "{name}.svg lacks legend text {legend:?}");
}

fn assert_self_contained(out: &Path) {
    let report = read(&out.join("report.html"));
    assert!(report.starts_with("<!DOCTYPE html>"));
    for banned in ["http", "src=", "href=", "<script", "<link", "@import", "url("] {
        assert!(!report.contains(banned), "report.html contains {banned:?}");
    }
    assert!(report.matches("<svg").count() >= CHARTS.len(), "report.html inlines every chart");
}

#[test]
fn run_writes_charts_and_a_self_contained_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &[]);
    for (name, legend) in
        CHARTS.iter().zip(["price index", "new-car exports", "capacity", "households waiting", "exits"])
    {
        assert_chart(&out, name, legend);
    }
    assert!(!out.join("plots/policy_deltas.png").exists(), "policy_deltas needs two scenarios");
    // Zero-mileage exports have panels (and axes) of their own, not a line under new-car exports.
    let exports = svg_of(&out, "export_volumes");
    for title in ["Zero-mileage exports per month", "New-car exports per month", "Zero-mileage exports per year"] {
        assert!(exports.contains(title), "export_volumes lacks the panel {title:?}");
    }
    assert_self_contained(&out);
    let report = read(&out.join("report.html"));
    let smoke = zeromile::scenario::load(&scenario_path("smoke.toml"), &[]).unwrap();
    let hash = zeromile::output::hash_hex(smoke.canonical_text().as_bytes());
    for needle in ["smoke", hash.as_str(), "Annual headline figures", "holding_rule", "domestic retail sales"] {
        assert!(report.contains(needle), "report.html lacks {needle:?}");
    }
    assert_report_opening(&report);
    assert!(!report.contains("Annual policy effects"), "one scenario has no policy-effect table");
}

/// The report opens with what a zero-mileage car is and the key findings, before the scenarios;
/// each chart's title appears once (drawn in the chart, not repeated as a heading).
fn assert_report_opening(report: &str) {
    let what = report.find("<h2>What is a zero-mileage car</h2>").expect("report lacks the zero-mileage paragraph");
    let findings = report.find("<h2>Key findings</h2>").expect("report lacks the key findings");
    assert!(what < findings && findings < report.find("<h2>Scenarios</h2>").unwrap(), "the opening comes first");
    assert!(report.contains("counted as a domestic sale"), "the paragraph says why it is a domestic sale");
    assert!(report.contains("zero-mileage exports in "), "a finding gives zero-mileage exports");
    assert!(report.contains("transaction price index"), "a finding gives the price index");
    let title = "The price war: prices and discounts";
    assert_eq!(report.matches(&format!(">\n{title}\n<")).count(), 1, "the chart title is drawn once");
    assert!(!report.contains(&format!("<h3>{title}</h3>")), "the chart title is not repeated as a heading");
}

#[test]
fn plot_redraws_a_saved_directory_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &[]);
    let during_run = plot_files(&out);
    assert_eq!(during_run.len(), 2 * CHARTS.len() + 1, "{:?}", during_run.keys());

    // From the saved files alone, into a fresh copy without any plot.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in ["summary.csv", "annual.csv", "manifest.json"] {
        std::fs::copy(out.join(f), copy.join(f)).unwrap();
    }
    run_ok([std::ffi::OsStr::new("plot"), copy.as_os_str(), std::ffi::OsStr::new("-q")]);
    let redrawn = plot_files(&copy);
    assert_eq!(redrawn.keys().collect::<Vec<_>>(), during_run.keys().collect::<Vec<_>>());
    for (name, bytes) in &during_run {
        assert!(redrawn[name] == *bytes, "{name} differs between `run` and `plot`");
    }
}

#[test]
fn one_replicate_plots_with_collapsed_bands() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["--replicates", "1"]);
    for name in CHARTS {
        let (w, h, inked) = png_stats(&out.join("plots").join(format!("{name}.png")));
        assert_eq!((w, h), (1600, 900));
        assert!(inked > 0.02, "{name}.png is almost blank");
    }
    assert_self_contained(&out);
}

#[test]
fn two_scenarios_add_policy_deltas_and_a_rerun_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let alt = smoke_variant(dir.path(), "smoke_alt", "[consumers]\nprice_sensitivity = 6.0\n");
    run_scenarios(&[&scenario_path("smoke.toml"), &alt], &out, &["-n", "3"]);
    assert_chart(&out, "policy_deltas", "smoke_alt");
    assert!(read(&out.join("plots/price_war.svg")).contains("smoke_alt"), "overlay legend names both scenarios");
    let report = read(&out.join("report.html"));
    assert!(report.contains("id=\"policy_deltas\""));
    assert_report_opening(&report);
    assert!(report.contains("Largest policy effect: <b>smoke_alt</b>"), "a finding names the largest effect");
    let table = &report[report.find("<h2>Annual policy effects</h2>").expect("report lacks the effect table")..];
    assert!(table.contains("<h3>smoke_alt − smoke</h3>"), "the effect table is headed by the pair");
    assert!(table.contains("zero-mileage exports<br>"), "the effect table has a zero-mileage column");
    assert!(table.contains("<span class=\"ci\">["), "effects carry their 90% intervals");

    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["-n", "2"]);
    assert!(!out.join("plots/policy_deltas.png").exists(), "a stale policy_deltas chart survived a rerun");
    assert!(!out.join("plots/policy_deltas.svg").exists());
}

#[test]
fn no_plots_then_plot_later() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &[]);
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["--no-plots"]);
    assert!(!out.join("plots").exists() && !out.join("report.html").exists(), "--no-plots left older charts behind");
    run_ok([std::ffi::OsStr::new("plot"), out.as_os_str()]);
    assert_chart(&out, "price_war", "average discount");
    assert!(out.join("report.html").is_file());
}

#[test]
fn missing_metrics_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["--no-plots"]);
    // Keep only the price index: every other chart loses all its metrics.
    let summary = read(&out.join("summary.csv"));
    let kept: Vec<&str> =
        summary.lines().enumerate().filter(|(i, l)| *i == 0 || l.contains(",price_index,")).map(|p| p.1).collect();
    std::fs::write(out.join("summary.csv"), kept.join("\n") + "\n").unwrap();
    std::fs::remove_file(out.join("annual.csv")).unwrap();
    run_ok([std::ffi::OsStr::new("plot"), out.as_os_str(), std::ffi::OsStr::new("-q")]);
    let svg = read(&out.join("plots/price_war.svg"));
    assert!(svg.contains("price index") && !svg.contains("average discount"));
    let names: Vec<PathBuf> = std::fs::read_dir(out.join("plots")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(names.len(), 2, "only price_war has data: {names:?}");
    assert_self_contained_charts(&out, 1);
}

/// A damaged file of a run directory (a non-number in a value column, a missing column, a torn
/// row, in summary.csv, annual.csv or deltas.csv) makes `plot` exit 2 with a message naming the
/// file, the line and the column; the directory keeps its files.
#[test]
fn plot_of_a_damaged_file_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_smoke_pair(dir.path(), &["-n", "2", "--no-plots"]);
    // Line 3 of a file (its second data row): cell `col` set to `value`, or the last cell cut
    // when `col` is None.
    let damage = |text: &str, col: Option<usize>, value: &str| -> String {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut cells: Vec<&str> = lines[2].split(',').collect();
        match col {
            Some(c) => cells[c] = value,
            None => drop(cells.pop()),
        }
        lines[2] = cells.join(",");
        lines.join("\n") + "\n"
    };
    let cases: [(&str, Option<usize>, &str, &[&str]); 4] = [
        ("summary.csv", Some(11), "two", &["summary.csv:3", "column `n`", "expected a whole number, found \"two\""]),
        ("summary.csv", Some(8), "abc", &["summary.csv:3", "column `p50`", "expected a number, found \"abc\""]),
        ("annual.csv", Some(1), "1999x", &["annual.csv:3", "column `year`", "\"1999x\""]),
        ("deltas.csv", None, "", &["deltas.csv:3", "11 fields where the header has 12 (a torn or edited row)"]),
    ];
    for (i, (file, col, value, needles)) in cases.iter().enumerate() {
        let copy = dir.path().join(format!("copy-{i}"));
        std::fs::create_dir(&copy).unwrap();
        for f in ["summary.csv", "annual.csv", "deltas.csv", "manifest.json", "metrics.csv"] {
            std::fs::copy(out.join(f), copy.join(f)).unwrap();
        }
        let text = read(&copy.join(file));
        std::fs::write(copy.join(file), damage(&text, *col, value)).unwrap();
        let o = plot(&copy, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        for n in *needles {
            assert!(err.contains(n), "{file}: message lacks {n:?}: {err}");
        }
        assert!(!copy.join("plots").exists(), "{file}: nothing drawn");
    }
    // A header without a column the charts read.
    let copy = dir.path().join("copy-header");
    std::fs::create_dir(&copy).unwrap();
    for f in ["summary.csv", "annual.csv", "manifest.json"] {
        std::fs::copy(out.join(f), copy.join(f)).unwrap();
    }
    let text = read(&copy.join("annual.csv")).replacen(",p95,", ",p96,", 1);
    std::fs::write(copy.join("annual.csv"), text).unwrap();
    let o = plot(&copy, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("annual.csv:1: the header lacks column `p95`"), "{err}");
}

fn assert_self_contained_charts(out: &Path, charts: usize) {
    let report = read(&out.join("report.html"));
    assert!(!report.contains("http") && !report.contains("src="));
    assert_eq!(report.matches("<svg").count(), charts);
}

#[test]
fn plot_of_a_directory_without_summary_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = zeromile().args(["plot", &dir.path().display().to_string()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("manifest.json") && stderr.contains("zeromile run"), "{stderr}");
    assert!(!dir.path().join("plots").exists(), "nothing is written for a bad directory");
}

/// Ids of smoke.toml's dated events (all inside its 2019-01..2020-06 run).
const SMOKE_EVENTS: [&str; 5] = ["licence", "russia_shift", "trade_in", "holding_rule", "russia_fee"];

fn svg_of(out: &Path, name: &str) -> String {
    read(&out.join("plots").join(format!("{name}.svg")))
}

fn plot(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["plot".to_string(), out.display().to_string(), "-q".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    zeromile().args(&args).output().unwrap()
}

#[test]
fn event_markers_are_on_every_time_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let alt = smoke_variant(dir.path(), "smoke_alt", "[consumers]\nprice_sensitivity = 6.0\n");
    run_scenarios(&[&scenario_path("smoke.toml"), &alt], &out, &["-n", "2"]);
    for name in CHARTS.iter().chain(["policy_deltas"].iter()) {
        let svg = svg_of(&out, name);
        for id in SMOKE_EVENTS {
            assert!(svg.contains(id), "{name}.svg lacks the event marker label {id:?}");
        }
        assert!(svg.contains("Grey verticals: policy events"), "{name}.svg does not explain its markers");
    }
    // Numbered in the report's event table, parameters as tables, differing rows marked.
    let report = read(&out.join("report.html"));
    for needle in ["<th>#</th>", "Resolved parameters", "<code>[consumers]</code>", "consumers.price_sensitivity"] {
        assert!(report.contains(needle), "report.html lacks {needle:?}");
    }
    assert!(report.contains("<tr class=\"diff\"><td><code>consumers.price_sensitivity</code>"), "differing row");
    assert!(report.contains("<code>[[markets]]</code>"), "markets table");

    // --no-events leaves them out.
    let o = plot(&out, &["--no-events", "--charts", "price_war", "--format", "svg"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = svg_of(&out, "price_war");
    assert!(!svg.contains("russia_shift") && !svg.contains("Grey verticals"));
}

#[test]
fn dense_events_are_numbered_with_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["-n", "1", "--no-plots"]);
    // Twenty events, one a month: too many for full labels over a half-width panel.
    let path = out.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    let events: Vec<serde_json::Value> = (0..18)
        .map(|m| serde_json::json!({"id": format!("a_long_policy_event_name_{m}"), "date": format!("{}-{:02}", 2019 + m / 12, m % 12 + 1), "kind": "x"}))
        .collect();
    manifest["scenarios"][0]["resolved"]["events"] = serde_json::Value::Array(events);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let o = plot(&out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Half-width panels: numbers over the markers and a key under the panels.
    assert!(svg_of(&out, "industry_health").contains("Policy events: 1 2019-01: a_long_policy_event_name_0"));
    for name in CHARTS {
        let svg = svg_of(&out, name);
        for m in [0, 9, 17] {
            assert!(svg.contains(&format!("a_long_policy_event_name_{m}")), "{name}.svg lacks event {m}");
        }
    }
    let report = read(&out.join("report.html"));
    assert!(report.contains("<td class=\"n\">18</td><td>2020-06</td>"), "event 18 numbered in the report");
}

#[test]
fn plot_options_choose_charts_format_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["-n", "1", "--no-plots"]);
    let o =
        plot(&out, &["--charts", "price_war", "--format", "png", "--width", "1000", "--height", "600", "--no-report"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<String> = std::fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["price_war.png"]);
    assert!(!out.join("report.html").exists());
    let (w, h, inked) = png_stats(&out.join("plots/price_war.png"));
    assert_eq!((w, h), (1000, 600));
    assert!(inked > 0.03);

    let o = plot(&out, &["--charts", "consumers,overcapacity", "--format", "svg"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("plots/consumers.svg").is_file() && !out.join("plots/consumers.png").exists());
    assert!(!out.join("plots/export_volumes.svg").exists(), "only the chosen charts are drawn");
    assert_self_contained_charts(&out, 2);
    assert!(read(&out.join("report.html")).contains("also <code>plots/consumers.svg</code>)"));

    for bad in [&["--charts", "nope"][..], &["--width", "10"], &["--format", "gif"]] {
        let o = plot(&out, bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn render_with_defaults_equals_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["-n", "1"]);
    let before = plot_files(&out);
    zeromile::plot::render_with(&out, &zeromile::plot::PlotOptions::default()).unwrap();
    assert!(plot_files(&out) == before, "render_with(default) differs from the run's charts");
}

// ---- sweep charts, from hand-written fixture directories ----

const SWEEP_PARAMS: [&str; 3] =
    ["exporters.min_holding_months", "consumers.price_sensitivity", "policy.documentation_cost"];

/// Writes a sweep directory: manifest, `points.csv` with outcome `zm` (and `px` without unit or
/// label), and `sensitivity` when given.
fn sweep_fixture(dir: &Path, design: &str, params: &[&str], rows: &[Vec<f64>], sensitivity: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let parameters: Vec<serde_json::Value> = params
        .iter()
        .map(|p| {
            let log = p.ends_with("cost");
            serde_json::json!({"path": p, "low": if log { 100.0 } else { 0.0 }, "high": if log { 10000.0 } else { 12.0 },
                               "scale": if log { "log" } else { "linear" }, "levels": null})
        })
        .collect();
    let manifest = serde_json::json!({
        "kind": "sweep", "engine": "zeromile", "master_seed": 3, "extra_field": {"ignored": true},
        "sweep": {"design": design, "parameters": parameters, "replicates": 2, "points": rows.len(),
                  "outcomes": [{"name": "zm", "metric": "zero_mileage_exports", "unit": "vehicles", "label": "Zero-mileage exports 2024"},
                               {"name": "px", "metric": "price_index"}]}
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let mut csv = String::from("point");
    for p in params {
        csv += &format!(",{p}");
    }
    for o in ["zm", "px"] {
        for s in ["mean", "sd", "p05", "p50", "p95"] {
            csv += &format!(",{o}_{s}");
        }
    }
    csv.push('\n');
    for (i, row) in rows.iter().enumerate() {
        csv += &i.to_string();
        for v in row {
            csv += &format!(",{v}");
        }
        let zm = 200_000.0 - 9_000.0 * row[0] + 3_000.0 * row.get(1).copied().unwrap_or(0.0);
        let px = 100.0 - 2.0 * row.get(1).copied().unwrap_or(0.0);
        for m in [zm, px] {
            csv += &format!(",{m},{},{},{m},{}", m * 0.05, m * 0.9, m * 1.1);
        }
        csv.push('\n');
    }
    std::fs::write(dir.join("points.csv"), csv).unwrap();
    if let Some(s) = sensitivity {
        std::fs::write(dir.join("sensitivity.csv"), s).unwrap();
    }
}

fn lhs_rows(n: usize, k: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| {
            (0..k)
                .map(|j| {
                    let u = ((i * 7 + j * 13) % n) as f64 / n as f64;
                    if j == 2 {
                        10f64.powf(2.0 + 2.0 * u)
                    } else {
                        12.0 * u
                    }
                })
                .collect()
        })
        .collect()
}

/// Asserts a sweep chart is drawn, non-trivial, and names `needles`.
fn assert_sweep_chart(dir: &Path, name: &str, needles: &[&str]) {
    let (w, h, inked) = png_stats(&dir.join("plots").join(format!("{name}.png")));
    assert_eq!((w, h), (1600, 900), "{name}");
    assert!(inked > 0.02, "{name}.png is almost blank: {:.1}%", inked * 100.0);
    let svg = svg_of(dir, name);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for n in needles {
        assert!(svg.contains(n), "{name}.svg lacks {n:?}");
    }
}

fn assert_sweep_report(dir: &Path, charts: usize) {
    let report = read(&dir.join("sweep_report.html"));
    for banned in ["http", "src=", "href=", "<script", "<link", "url("] {
        assert!(!report.contains(banned), "sweep_report.html contains {banned:?}");
    }
    assert_eq!(report.matches("<svg").count(), charts);
}

#[test]
fn sweep_sobol_charts_are_sorted_bars() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("method,outcome,parameter,index,estimate,ci_low,ci_high\n");
    for (o, p, s1, st) in [
        ("zm", SWEEP_PARAMS[0], "0.55", "0.62"),
        ("zm", SWEEP_PARAMS[1], "0.20", "0.31"),
        ("zm", SWEEP_PARAMS[2], "", "0.02"),
        ("px", SWEEP_PARAMS[0], "0.1", "0.1"),
        ("px", SWEEP_PARAMS[1], "0.8", "0.9"),
    ] {
        s += &format!("sobol,{o},{p},S1,{s1},,\nsobol,{o},{p},ST,{st},0.01,0.95\n");
    }
    sweep_fixture(dir.path(), "saltelli", &SWEEP_PARAMS, &lhs_rows(40, 3), Some(&s));
    let written = zeromile::plot::sweep::render(dir.path()).unwrap();
    assert_eq!(written.last().unwrap().file_name().unwrap(), "sweep_report.html");
    assert_sweep_chart(
        dir.path(),
        "sobol_zm",
        &[SWEEP_PARAMS[0], SWEEP_PARAMS[2], "total ST", "Zero-mileage exports 2024"],
    );
    assert_sweep_chart(dir.path(), "sobol_px", &[SWEEP_PARAMS[1]]);
    assert_sweep_chart(dir.path(), "scatter_zm", &["log scale"]);
    // Sorted by ST: the largest (min_holding_months, 0.62) is drawn first from the top.
    let svg = svg_of(dir.path(), "sobol_zm");
    let pos = |p: &str| svg.find(p).unwrap();
    assert!(
        pos(SWEEP_PARAMS[2]) < pos(SWEEP_PARAMS[1]) && pos(SWEEP_PARAMS[1]) < pos(SWEEP_PARAMS[0]),
        "y labels bottom-up"
    );
    assert_sweep_report(dir.path(), 4);
    // Deterministic: drawing again gives the same bytes.
    let before = plot_files_named(dir.path(), "sweep_report.html");
    let o = plot(dir.path(), &[]);
    assert!(o.status.success(), "`zeromile plot` draws a sweep: {}", String::from_utf8_lossy(&o.stderr));
    assert!(plot_files_named(dir.path(), "sweep_report.html") == before, "re-plotting a sweep changed bytes");
}

/// The sweep report warns next to each Sobol table and chart when the indices come from fewer
/// than 256 base samples or fall outside [0, 1], and only then.
#[test]
fn sweep_report_warns_about_noisy_sobol_indices() {
    let dir = tempfile::tempdir().unwrap();
    let sensitivity = |s1: &str| {
        format!(
            "method,outcome,parameter,index,estimate,ci_low,ci_high\nsobol,zm,{p},S1,{s1},0,1\nsobol,zm,{p},ST,0.5,0,1\n",
            p = SWEEP_PARAMS[0]
        )
    };
    let set_points = |points: u64| {
        let path = dir.path().join("manifest.json");
        let mut m: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        m["sweep"]["points"] = points.into();
        std::fs::write(&path, m.to_string()).unwrap();
    };
    let report = || {
        zeromile::plot::sweep::render(dir.path()).unwrap();
        read(&dir.path().join("sweep_report.html"))
    };
    // 40 points of 3 parameters: N = 40 / 5 = 8 base samples.
    sweep_fixture(dir.path(), "saltelli", &SWEEP_PARAMS, &lhs_rows(40, 3), Some(&sensitivity("0.4")));
    let r = report();
    assert_eq!(r.matches("Sobol indices unreliable").count(), 2, "a warning by the table and by the chart");
    assert!(r.contains("only 8 base samples N (at least 256 needed)"), "{r}");
    assert!(!r.contains("= 0.400 outside"), "an index in [0, 1] is not flagged");

    set_points(256 * 5);
    assert!(!report().contains("class=\"warn\""), "N = 256 and indices in [0, 1]: no warning");

    std::fs::write(dir.path().join("sensitivity.csv"), sensitivity("1.33")).unwrap();
    let r = report();
    assert_eq!(r.matches("Sobol indices unreliable").count(), 2);
    assert!(r.contains(&format!("S1 of <code>{}</code> = 1.33 outside [0, 1]", SWEEP_PARAMS[0])), "{r}");
    assert!(!r.contains("only "), "N is large enough: {r}");
}

#[test]
fn sweep_morris_chart_labels_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("method,outcome,parameter,index,estimate,ci_low,ci_high\n");
    for (p, mu, mu_star, sigma) in
        [(SWEEP_PARAMS[0], -9.0, 12.0, 4.0), (SWEEP_PARAMS[1], 8.0, 9.0, 6.5), (SWEEP_PARAMS[2], 0.1, 0.8, 0.9)]
    {
        s += &format!("morris,zm,{p},mu,{mu},,\nmorris,zm,{p},mu_star,{mu_star},,\nmorris,zm,{p},sigma,{sigma},,\n");
    }
    sweep_fixture(dir.path(), "morris", &SWEEP_PARAMS, &lhs_rows(24, 3), Some(&s));
    zeromile::plot::sweep::render(dir.path()).unwrap();
    assert_sweep_chart(dir.path(), "morris_zm", &SWEEP_PARAMS);
    assert!(!dir.path().join("plots/morris_px.png").exists(), "no indices for px: no chart");
    assert_sweep_report(dir.path(), 3);
}

#[test]
fn sweep_grid_of_two_parameters_is_a_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Vec<f64>> = [1.0, 2.5, 4.0].iter().flat_map(|b| [0.0, 6.0, 12.0].map(|a| vec![a, *b])).collect();
    sweep_fixture(dir.path(), "grid", &SWEEP_PARAMS[..2], &rows, None);
    // One blank mean: its cell is grey, not a panic.
    let csv = read(&dir.path().join("points.csv"));
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let fields: Vec<&str> = lines[5].split(',').collect();
    let mut edited: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    edited[3] = String::new();
    lines[5] = edited.join(",");
    std::fs::write(dir.path().join("points.csv"), lines.join("\n") + "\n").unwrap();
    zeromile::plot::sweep::render(dir.path()).unwrap();
    assert_sweep_chart(dir.path(), "heatmap_zm", &[SWEEP_PARAMS[0], SWEEP_PARAMS[1], "thousand vehicles", "2.5", "–"]);
    assert_sweep_chart(dir.path(), "heatmap_px", &["px"]);
    assert!(!dir.path().join("plots/scatter_zm.png").exists());
}

#[test]
fn sweep_lhs_scatter_subset_and_degenerate_inputs() {
    let dir = tempfile::tempdir().unwrap();
    sweep_fixture(dir.path(), "lhs", &SWEEP_PARAMS, &lhs_rows(30, 3), None);
    let options = zeromile::plot::PlotOptions {
        charts: vec!["scatter_px".into()],
        format: zeromile::plot::ImageFormat::Png,
        report: false,
        ..Default::default()
    };
    let written = zeromile::plot::render_with(dir.path(), &options).unwrap();
    assert_eq!(written, vec![dir.path().join("plots/scatter_px.png")]);
    zeromile::plot::sweep::render(dir.path()).unwrap();
    assert_sweep_chart(dir.path(), "scatter_zm", &SWEEP_PARAMS);

    // One point, a blank estimate, a sensitivity file with only blanks: no panic, still charts.
    let one = dir.path().join("one");
    let s = "method,outcome,parameter,index,estimate,ci_low,ci_high\nsobol,zm,exporters.min_holding_months,S1,,,\n\
             sobol,zm,exporters.min_holding_months,ST,,,\nmorris,zm,exporters.min_holding_months,mu_star,,,\n";
    sweep_fixture(&one, "saltelli", &SWEEP_PARAMS[..1], &[vec![3.0]], Some(s));
    zeromile::plot::sweep::render(&one).unwrap();
    assert_sweep_chart(&one, "scatter_zm", &[SWEEP_PARAMS[0]]);
    assert!(one.join("plots/sobol_zm.png").is_file(), "a Sobol chart of blanks still names its parameter");
    assert!(!one.join("plots/morris_zm.png").exists());

    // A stale chart of an older sweep goes; a directory without points.csv is bad input.
    std::fs::write(one.join("plots/heatmap_old.png"), b"x").unwrap();
    zeromile::plot::sweep::render(&one).unwrap();
    assert!(!one.join("plots/heatmap_old.png").exists());
    std::fs::remove_file(one.join("points.csv")).unwrap();
    let err = zeromile::plot::sweep::render(&one).unwrap_err();
    assert!(err.is_bad_input() && err.to_string().contains("points.csv"), "{err}");
}

/// Every file under `plots/` plus `report`, by name.
fn plot_files_named(out: &Path, report: &str) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(out.join("plots")).unwrap() {
        let path = entry.unwrap().path();
        files.insert(path.display().to_string(), std::fs::read(&path).unwrap());
    }
    files.insert(report.into(), std::fs::read(out.join(report)).unwrap());
    files
}
