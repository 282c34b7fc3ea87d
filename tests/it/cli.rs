use crate::util::*;
use std::collections::BTreeSet;
use std::path::Path;
use zeromile::scenario;

#[test]
fn run_writes_summary_annual_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &[]);

    let smoke = scenario::load(&scenario_path("smoke.toml"), &[]).unwrap();
    assert_eq!(header(&out.join("summary.csv")), SUMMARY_HEADER);
    assert_eq!(header(&out.join("annual.csv")), ANNUAL_HEADER);
    assert!(!out.join("deltas.csv").exists(), "deltas.csv needs two scenarios");
    assert!(!out.join("annual_deltas.csv").exists(), "annual_deltas.csv needs two scenarios");
    assert!(!out.join("trajectories.csv").exists(), "trajectories.csv needs --trajectories");

    // One row per month and metric, each over all replicates.
    let summary = rows(&out.join("summary.csv"));
    let metrics: BTreeSet<String> = summary.iter().map(|r| r[3].to_string()).collect();
    assert_eq!(summary.len(), smoke.months() * metrics.len());
    for r in &summary {
        assert_eq!(&r[0], "smoke");
        assert_eq!(r[11].parse::<u64>().unwrap(), smoke.replicates, "row {r:?}");
    }

    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert!(!manifest["engine_version"].as_str().unwrap().is_empty());
    assert_eq!(manifest["master_seed"].as_u64(), Some(smoke.seed));
    let s0 = &manifest["scenarios"][0];
    assert_eq!(s0["hash"].as_str(), Some(zeromile::output::hash_hex(smoke.canonical_text().as_bytes()).as_str()));
    let resolved = s0["resolved"].as_object().expect("resolved scenario is an object");
    assert_eq!(resolved["name"].as_str(), Some("smoke"));
    assert_eq!(resolved["consumers"]["agents"].as_u64(), Some(smoke.consumers.agents as u64));
}

#[test]
fn summary_has_every_contract_metric() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["-n", "1"]);
    let metrics: BTreeSet<String> = rows(&out.join("summary.csv")).iter().map(|r| r[3].to_string()).collect();
    for m in CONTRACT_METRICS {
        assert!(metrics.contains(*m), "summary.csv lacks metric {m}");
    }
}

#[test]
fn two_scenarios_write_deltas_and_trajectories() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_smoke_pair(dir.path(), &["-n", "3", "--trajectories"]);

    assert_eq!(header(&out.join("deltas.csv")), SUMMARY_HEADER);
    let deltas = rows(&out.join("deltas.csv"));
    assert!(!deltas.is_empty());
    assert!(deltas.iter().all(|r| &r[0] == "smoke_alt"), "deltas are named after the non-baseline scenario");
    assert_eq!(header(&out.join("annual_deltas.csv")), ANNUAL_HEADER);
    let annual_deltas = rows(&out.join("annual_deltas.csv"));
    // annual.csv's collapse_share rows are shares of replicates, with no paired difference.
    let annual = rows(&out.join("annual.csv")).into_iter().filter(|r| &r[2] != "collapse_share").count();
    assert_eq!(annual_deltas.len(), annual / 2, "one row per annual.csv row of smoke_alt");
    assert!(annual_deltas.iter().all(|r| &r[0] == "smoke_alt"));

    let traj = out.join("trajectories.csv");
    assert!(header(&traj).starts_with("scenario,replicate,month,date,production"), "{}", header(&traj));
    let smoke = scenario::load(&scenario_path("smoke.toml"), &[]).unwrap();
    assert_eq!(rows(&traj).len(), 2 * 3 * smoke.months());

    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    let files: Vec<&str> = manifest["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    for f in ["summary.csv", "annual.csv", "deltas.csv", "annual_deltas.csv", "trajectories.csv"] {
        assert!(files.contains(&f), "manifest files {files:?} lack {f}");
    }
    assert_eq!(manifest["scenarios"].as_array().unwrap().len(), 2);

    // Every metric of every file has exactly one row in metrics.csv.
    let mut used: Vec<String> = Vec::new();
    for f in ["summary.csv", "annual.csv", "deltas.csv", "annual_deltas.csv"] {
        let column = if f.starts_with("annual") { 2 } else { 3 };
        used.extend(rows(&out.join(f)).iter().map(|r| r[column].to_string()));
    }
    used.extend(header(&traj).split(',').skip(4).map(str::to_string));
    used.sort();
    used.dedup();
    assert_metrics_cover(&out, used);
}

/// `describe --metrics` prints the metrics.csv of the default scenario; with scenario files,
/// theirs.
#[test]
fn describe_metrics_prints_metrics_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_scenarios(&[&scenario_path("smoke.toml")], &out, &["-n", "1"]);
    let printed = run_ok(["describe", "--metrics", "scenarios/smoke.toml"]);
    assert_eq!(String::from_utf8_lossy(&printed.stdout), read(&out.join("metrics.csv")));
    let default = run_ok(["describe", "--metrics"]);
    assert!(String::from_utf8_lossy(&default.stdout).starts_with(&zeromile::output::METRICS_HEADER.join(",")));
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    for path in scenario_files() {
        run_ok([std::ffi::OsStr::new("validate"), path.as_os_str()]);
    }
}

#[test]
fn describe_lists_keys_with_units() {
    let doc = scenario::describe().into_iter().find(|k| k.path == "consumers.agents").unwrap();
    let text = String::from_utf8(run_ok(["describe"]).stdout).unwrap();
    let block: Vec<&str> = text.lines().skip_while(|l| l.trim() != "consumers.agents").take(3).collect();
    assert!(!block.is_empty(), "describe does not list consumers.agents");
    assert!(block.join("\n").contains(doc.unit), "unit {:?} missing from {block:?}", doc.unit);

    let md = String::from_utf8(run_ok(["describe", "--markdown"]).stdout).unwrap();
    let row = md.lines().find(|l| l.starts_with("| `consumers.agents` |")).expect("markdown row");
    assert!(row.contains(doc.unit), "{row}");
}

/// Runs `run` and `validate` on `file` (inside `dir`) with `set` overrides and asserts: exit
/// code 2, every needle on stderr, and no output directory left behind.
fn assert_bad_input(dir: &Path, file: &str, set: &[&str], needles: &[&str]) {
    let out = dir.join("out");
    let mut overrides: Vec<&str> = Vec::new();
    for s in set {
        overrides.extend(["--set", s]);
    }
    for cmd in ["run", "validate"] {
        let mut c = zeromile();
        c.current_dir(dir).arg(cmd).arg(file).args(&overrides);
        if cmd == "run" {
            c.arg("--out").arg(&out).arg("-q");
        }
        let o = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd} {file} {set:?}: want exit 2, stderr:\n{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{cmd} {file} {set:?}: stderr lacks {n:?}:\n{stderr}");
        }
        assert!(!out.exists(), "{cmd} {file} {set:?}: a failed run left {} behind", out.display());
    }
}

/// Writes `text` to `bad.toml` in a fresh directory and checks it is rejected with `needles`.
fn check_bad_file(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    assert_bad_input(dir.path(), "bad.toml", &[], needles);
}

#[test]
fn unknown_key_is_named_with_location_and_suggestion() {
    check_bad_file(
        "end = \"2019-03\"\n\n[consumers]\nagnets = 5\n",
        &["bad.toml:4:1", "`consumers.agnets`", "did you mean `agents`"],
    );
}

#[test]
fn unknown_key_in_market_and_event_is_named_once() {
    check_bad_file(
        "end = \"2019-03\"\n[[markets]]\nid = \"russia\"\ntarif = 0.1\n",
        &["bad.toml:4:1", "`markets[russia].tarif`", "did you mean `tariff`"],
    );
    check_bad_file(
        "end = \"2019-03\"\n[[events]]\nid = \"e1\"\ndate = \"2019-02\"\nkind = \"hard_budget\"\nenabld = true\n",
        &["bad.toml:6:1", "`events[e1].enabld`", "did you mean `enabled`"],
    );
}

#[test]
fn wrong_type_is_named_with_location() {
    check_bad_file(
        "end = \"2019-03\"\n[consumers]\nagents = \"many\"\n",
        &["bad.toml:3:1", "`consumers.agents`", "expected a whole number of at least 0, found text \"many\""],
    );
    check_bad_file(
        "end = \"2019-03\"\n[exporters]\nentry_rate = true\n",
        &["bad.toml:3:1", "`exporters.entry_rate`", "expected a number, found true"],
    );
    check_bad_file("name = 3\n", &["bad.toml:1:1", "`name`", "expected text, found 3"]);
    check_bad_file("seed = -3\n", &["bad.toml:1:1", "`seed`", "expected a whole number of at least 0, found -3"]);
}

#[test]
fn out_of_range_is_named_with_location() {
    check_bad_file("end = \"2019-03\"\n[automakers]\ncount = 1\n", &["bad.toml:3:1", "`automakers.count`"]);
}

#[test]
fn bad_date_is_named_with_location() {
    check_bad_file(
        "name = \"x\"\nstart = \"2019-13\"\n",
        &["bad.toml:2:1", "`start`", "month 13 is not a month (01-12)"],
    );
    check_bad_file(
        "name = \"x\"\nstart = \"0000-01\"\n",
        &["bad.toml:2:1", "`start`", "year 0000 is out of range (1900-2200)"],
    );
    check_bad_file(
        "name = \"x\"\nstart = \"2019/01\"\n",
        &["bad.toml:2:1", "`start`", "expected a month written YYYY-MM"],
    );
    check_bad_file(
        "name = \"x\"\nstart = 2019\n",
        &["bad.toml:2:1", "`start`", "expected a month written YYYY-MM", "found 2019"],
    );
}

#[test]
fn bad_event_date_is_named_with_location() {
    check_bad_file(
        "end = \"2019-03\"\n\n[[events]]\nid = \"e1\"\ndate = \"2019-13\"\nkind = \"hard_budget\"\n",
        &["bad.toml:5:1", "`events[e1].date`", "\"2019-13\": month 13 is not a month (01-12)"],
    );
}

#[test]
fn unknown_event_kind_is_named_with_suggestion() {
    check_bad_file(
        "end = \"2019-03\"\n[[events]]\nid = \"e1\"\ndate = \"2019-02\"\nkind = \"hard_budgt\"\n",
        &["bad.toml:5:1", "`events[e1].kind`", "did you mean `hard_budget`"],
    );
}

#[test]
fn missing_extends_target_is_named() {
    check_bad_file("extends = \"missing.toml\"\n", &["bad.toml:1:1", "`extends`", "missing.toml"]);
}

#[test]
fn cyclic_extends_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), "name = \"b\"\nextends = \"a.toml\"\n").unwrap();
    assert_bad_input(dir.path(), "a.toml", &[], &["b.toml:2:1", "`extends`", "cyclic"]);
}

#[test]
fn unknown_set_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.toml"), "end = \"2019-03\"\n").unwrap();
    assert_bad_input(
        dir.path(),
        "ok.toml",
        &["consumers.agnts=2000"],
        &["command line", "`consumers.agnts`", "did you mean `agents`"],
    );
    assert_bad_input(dir.path(), "ok.toml", &["sed=3"], &["command line", "`sed`", "did you mean `seed`"]);
}

#[test]
fn bad_set_value_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.toml"), "end = \"2019-03\"\n").unwrap();
    assert_bad_input(
        dir.path(),
        "ok.toml",
        &["consumers.agents=many"],
        &["command line", "`consumers.agents`", "expected a whole number of at least 0, found text \"many\""],
    );
    assert_bad_input(
        dir.path(),
        "ok.toml",
        &["automakers.count=6.5"],
        &["command line", "`automakers.count`", "expected a whole number", "found 6.5"],
    );
    assert_bad_input(
        dir.path(),
        "ok.toml",
        &["policy.hard_budget=3"],
        &["command line", "`policy.hard_budget`", "expected true or false, found 3"],
    );
}

#[test]
fn bench_prints_the_machine_readable_last_line() {
    let out = run_ok(["bench", "--consumers", "20000", "--months", "2", "--replicates", "2"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().expect("bench printed nothing");
    let pairs: Vec<(&str, f64)> = last
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("not key=value: {kv:?} in {last:?}"));
            (k, v.parse::<f64>().unwrap_or_else(|e| panic!("{k}={v}: {e}")))
        })
        .collect();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        ["consumer_month_ns", "roofline_ns", "ratio", "replicates_per_s_1t", "replicates_per_s_nt"],
        "last line: {last:?}"
    );
    for (k, v) in &pairs {
        assert!(v.is_finite() && *v > 0.0, "{k}={v} in {last:?}");
    }
    let (x, y, ratio) = (pairs[0].1, pairs[1].1, pairs[2].1);
    assert!((ratio - x / y).abs() <= 1e-3 * (x / y), "ratio {ratio} vs {x}/{y} in {last:?}");
}

#[test]
fn bench_rejects_bad_flags() {
    let out = zeromile().args(["bench", "--consumers", "many"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Input files that are not readable text are bad input (exit 2, nothing written) named in the
/// user's words, whatever the command: missing, a directory, a device, binary, too large.
#[test]
fn unreadable_inputs_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("binary.toml"), b"name = \"\xff\"\n").unwrap();
    std::fs::create_dir(dir.path().join("folder.toml")).unwrap();
    assert_bad_input(dir.path(), "missing.toml", &[], &["missing.toml: no such file"]);
    assert_bad_input(dir.path(), "folder.toml", &[], &["folder.toml: is a directory"]);
    assert_bad_input(dir.path(), "binary.toml", &[], &["binary.toml: not UTF-8 text"]);
    if Path::new("/dev/zero").exists() {
        assert_bad_input(dir.path(), "/dev/zero", &[], &["/dev/zero: not a regular file"]);
    }
    for cmd in ["sweep", "calibrate"] {
        let o = zeromile().current_dir(dir.path()).args([cmd, "missing.toml", "-q"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(stderr.contains("missing.toml: no such file"), "{cmd}: {stderr}");
    }
}

/// The files a run directory's manifest lists.
fn manifest_files(dir: &Path) -> Vec<String> {
    let manifest: serde_json::Value = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    manifest["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect()
}

/// Scenarios of another horizon or resolution than the baseline's are not a policy comparison:
/// `run` refuses them (exit 2, naming the difference, nothing written) unless `--allow-unpaired`,
/// and then runs them side by side, says so, and writes no `deltas.csv` (issue 15, item 3).
#[test]
fn unpaired_scenarios_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let smoke = scenario_path("smoke.toml");
    let short = smoke_variant(dir.path(), "smoke_short", "end = \"2019-12\"\n");
    let coarse = smoke_variant(dir.path(), "smoke_coarse", "[consumers]\nagents = 1500\n");
    let cases = [
        (&short, "scenarios smoke and smoke_short differ in horizon (2019-01..2020-06 vs 2019-01..2019-12)"),
        (&coarse, "scenarios smoke and smoke_coarse differ in resolution (3000 vs 1500 consumer agents)"),
    ];
    for (variant, message) in cases {
        let out = dir.path().join("refused");
        let o = zeromile()
            .arg("run")
            .args([&smoke, variant])
            .args(["-n", "1", "--no-plots", "-q", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(stderr.contains("not a policy effect") && stderr.contains("--allow-unpaired"), "{stderr}");
        assert!(!out.exists(), "a refused run left {} behind", out.display());
    }

    let out = dir.path().join("side_by_side");
    let o = zeromile()
        .arg("run")
        .args([&smoke, &short])
        .args(["-n", "1", "--no-plots", "-q", "--allow-unpaired", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("smoke_short is left out of deltas.csv"), "the run says why: {stderr}");
    assert!(!out.join("deltas.csv").exists(), "no deltas.csv for unpaired scenarios");
    assert!(!manifest_files(&out).contains(&"deltas.csv".to_string()), "{:?}", manifest_files(&out));
    let names: BTreeSet<String> = rows(&out.join("summary.csv")).iter().map(|r| r[0].to_string()).collect();
    assert_eq!(names, BTreeSet::from(["smoke".to_string(), "smoke_short".to_string()]), "both run");

    // A paired third scenario keeps its deltas; the unpaired one is left out.
    let twin = smoke_variant(dir.path(), "smoke_twin", "[policy]\nhard_budget = true\n");
    let out = dir.path().join("three");
    run_scenarios(&[&smoke, &short, &twin], &out, &["-n", "1", "--no-plots", "--allow-unpaired"]);
    let in_deltas: BTreeSet<String> = rows(&out.join("deltas.csv")).iter().map(|r| r[0].to_string()).collect();
    assert_eq!(in_deltas, BTreeSet::from(["smoke_twin".to_string()]));
    assert!(manifest_files(&out).contains(&"deltas.csv".to_string()));
}

/// With stderr piped (a batch job, a notebook cell), progress comes as lines at most every
/// `ZEROMILE_PROGRESS_EVERY` seconds (10 by default); `-q` silences them.
#[test]
fn a_piped_run_prints_progress_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let smoke = scenario_path("smoke.toml");
    let args = ["run", smoke.to_str().unwrap(), "-n", "5", "--no-plots", "--out", out.to_str().unwrap()];
    let o = zeromile().args(args).env("ZEROMILE_PROGRESS_EVERY", "0").output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("/5 replicates, ")).collect();
    assert_eq!(lines.len(), 5, "one line per replicate at interval 0:\n{err}");
    assert!(lines[4].starts_with("5/5 replicates, ") && lines[4].contains(" elapsed, ETA "), "{err}");
    let o = zeromile().args(args).arg("-q").env("ZEROMILE_PROGRESS_EVERY", "0").output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    // The default interval (10 s) prints nothing for a run this short.
    let o = zeromile().args(args).env_remove("ZEROMILE_PROGRESS_EVERY").output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("/5 replicates, "));
}
