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
    assert_self_contained(&out);
    let report = read(&out.join("report.html"));
    let smoke = zeromile::scenario::load(&scenario_path("smoke.toml"), &[]).unwrap();
    let hash = zeromile::output::hash_hex(smoke.canonical_text().as_bytes());
    for needle in ["smoke", hash.as_str(), "Annual headline figures", "holding_rule", "domestic retail sales"] {
        assert!(report.contains(needle), "report.html lacks {needle:?}");
    }
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
    assert!(read(&out.join("report.html")).contains("id=\"policy_deltas\""));

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
    assert!(stderr.contains("summary.csv") && stderr.contains("zeromile run"), "{stderr}");
    assert!(!dir.path().join("plots").exists(), "nothing is written for a bad directory");
}
