use crate::util::{assert_metrics_cover, read, root, run_ok, zeromile};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small Saltelli sweep on the smoke scenario (12 months, 1,500 households): 3 × 2 base
/// samples = 10 points × 2 replicates, under a second.
fn tiny_sweep(dir: &Path, design_lines: &str) -> PathBuf {
    let smoke = root().join("scenarios/smoke.toml");
    let text = format!(
        r#"[sweep]
name = "tiny"
base = {smoke:?}
set = ["consumers.agents=1500", "end=2019-12"]
{design_lines}
replicates = 2
seed = 3
bootstrap = 50

[[parameters]]
name = "holding"
path = "events[holding_rule].min_holding_months"
low = 0
high = 6

[[parameters]]
path = "consumers.trend_strength"
low = 0.2
high = 2.0

[[outcomes]]
name = "zm"
metric = "zero_mileage_exports"
year = 2019

[[outcomes]]
name = "price_end"
metric = "price_index"
aggregation = "last"
"#,
        smoke = smoke.display().to_string()
    );
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const SALTELLI: &str = "design = \"saltelli\"\npoints = 2";

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["sweep".to_string(), file.display().to_string(), "-q".into(), "--out".into()];
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    run_ok(&args);
}

/// The manifest without its `provenance` object (the only part allowed to differ).
fn manifest_core(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    m.as_object_mut().unwrap().remove("provenance");
    m
}

/// Every file under `dir` (relative path, bytes), sorted; the manifest compared without provenance.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                let bytes = if rel == "manifest.json" {
                    manifest_core(base).to_string().into_bytes()
                } else {
                    std::fs::read(&p).unwrap()
                };
                out.push((rel, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb), "file lists differ");
    for ((n, x), (_, y)) in ta.iter().zip(&tb) {
        assert!(x == y, "{n} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn smoke_sweep_writes_points_sensitivity_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("smoke");
    run_ok(["sweep", "scenarios/sweeps/smoke.toml", "-q", "--no-plots", "--out", out.to_str().unwrap()]);
    let points = read(&out.join("points.csv"));
    let mut lines = points.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("point,holding_months,production_subsidy,trend_strength,zm_exports_2020_mean,"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4 * (3 + 2), "Saltelli: N (k + 2) points");
    for (i, r) in rows.iter().enumerate() {
        assert!(r.starts_with(&format!("{i},")), "rows in point order: {r}");
    }
    let sens = read(&out.join("sensitivity.csv"));
    assert!(sens.starts_with("method,outcome,parameter,index,estimate,ci_low,ci_high\n"));
    // 3 outcomes × 3 parameters × (S1, ST).
    assert_eq!(sens.lines().count() - 1, 3 * 3 * 2);
    let m = manifest_core(&out);
    assert_eq!(m["kind"], "sweep");
    assert_eq!(m["points_total"], 20);
    assert_eq!(m["sweep"]["design"], "saltelli");
    assert!(!out.join("points.partial.csv").exists());
    let outcomes = m["sweep"]["outcomes"].as_array().unwrap().iter().map(|o| o["metric"].as_str().unwrap().to_string());
    assert_metrics_cover(&out, outcomes);

    // N = 4 base samples: the report warns by each of the 3 outcomes' tables and charts.
    run_ok(["plot", out.to_str().unwrap()]);
    let report = read(&out.join("sweep_report.html"));
    assert_eq!(report.matches("Sobol indices unreliable").count(), 2 * 3, "a warning by every table and chart");
    assert!(report.contains("only 4 base samples N (at least 256 needed)"));
}

#[test]
fn thread_count_and_shards_do_not_change_a_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tiny_sweep(tmp.path(), SALTELLI);
    let one = tmp.path().join("one");
    sweep(&file, &one, &["-j", "1"]);
    let two = tmp.path().join("two");
    sweep(&file, &two, &["-j", "2"]);
    assert_same_tree(&one, &two);

    for n in [1usize, 2, 3, 7] {
        let mut dirs = Vec::new();
        for k in 0..n {
            let d = tmp.path().join(format!("shard-{n}-{k}"));
            sweep(&file, &d, &["--shard", &format!("{k}/{n}"), "-j", "1"]);
            dirs.push(d);
        }
        let merged = tmp.path().join(format!("merged-{n}"));
        let mut args = vec!["merge".to_string(), "-q".into(), "--out".into(), merged.display().to_string()];
        // Shards in reverse order: merge sorts them.
        args.extend(dirs.iter().rev().map(|d| d.display().to_string()));
        run_ok(&args);
        assert_same_tree(&one, &merged);
    }
}

#[test]
fn merge_refuses_missing_duplicated_and_foreign_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tiny_sweep(tmp.path(), SALTELLI);
    let shard = |k: usize, seed_file: &Path, name: &str| {
        let d = tmp.path().join(name);
        sweep(seed_file, &d, &["--shard", &format!("{k}/3")]);
        d
    };
    let s0 = shard(0, &file, "s0");
    let s2 = shard(2, &file, "s2");
    let merge = |dirs: &[&Path]| {
        let mut c = zeromile();
        c.args(["merge", "-q", "--out"]).arg(tmp.path().join("m"));
        c.args(dirs);
        c.output().unwrap()
    };
    let out = merge(&[&s0, &s2]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing shards: 1 of 3"), "{err}");

    let out = merge(&[&s0, &s0, &s2]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("given twice"));

    let other_dir = tmp.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other = tiny_sweep(&other_dir, "design = \"saltelli\"\npoints = 2\nlevels = 4\n");
    let text = read(&other).replace("seed = 3", "seed = 4");
    std::fs::write(&other, text).unwrap();
    let s1_foreign = shard(1, &other, "s1-foreign");
    let out = merge(&[&s0, &s1_foreign, &s2]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not shards of one sweep"));
    assert!(!tmp.path().join("m").join("manifest.json").exists());
}

#[test]
fn resume_after_interruption_equals_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    // More points so the run is still going when it is killed.
    let file = tiny_sweep(tmp.path(), "design = \"lhs\"\npoints = 120");
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["-j", "1"]);

    // Simulated interruption: the staging directory holds the first rows and half a row, and
    // `cut` itself holds an older, different result.
    let cut = tmp.path().join("cut");
    sweep(&file, &cut, &["-j", "1"]);
    let text = read(&cut.join("points.csv"));
    let stage = cut.join(".zeromile/stage");
    std::fs::create_dir_all(&stage).unwrap();
    let mut partial: String = text.lines().take(6).map(|l| format!("{l}\n")).collect();
    partial.push_str(&text.lines().nth(6).unwrap()[..7]);
    std::fs::write(stage.join("points.partial.csv"), partial).unwrap();
    let state_hash = manifest_core(&cut)["sweep_hash"].as_str().unwrap().to_string();
    std::fs::write(stage.join("points.partial.json"), format!("{{\"sweep_hash\":\"{state_hash}\",\"shard\":\"all\"}}"))
        .unwrap();
    std::fs::write(cut.join("points.csv"), "older\n").unwrap();
    sweep(&file, &cut, &["--resume", "-j", "2"]);
    assert!(!cut.join(".zeromile").exists(), "the work directory is gone after publishing");
    assert_same_tree(&whole, &cut);

    // A real kill -9 part-way through, then --resume.
    let killed = tmp.path().join("killed");
    let mut child = zeromile()
        .args(["sweep", file.to_str().unwrap(), "-q", "-j", "1", "--out", killed.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = std::fs::read_to_string(killed.join(".zeromile/stage/points.partial.csv"))
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if rows >= 4 || Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    assert!(finished_early || !killed.join("manifest.json").exists(), "killed part-way: no manifest");
    assert!(!killed.join("manifest.json").exists() || killed.join("points.csv").exists());
    sweep(&file, &killed, &["--resume"]);
    assert_same_tree(&whole, &killed);
}

#[test]
fn malformed_sweep_files_exit_2_with_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tiny_sweep(tmp.path(), SALTELLI);
    let base = read(&file);
    let cases = [
        (
            "consumers.trend_strength",
            "consumers.trend_strenght",
            "parameters[1].path",
            "did you mean `consumers.trend_strength`",
        ),
        ("low = 0.2", "low = 2.0", "parameters[1].low", "range"),
        ("design = \"saltelli\"", "design = \"sobol-ish\"", "sweep.design", "expected one of"),
        ("points = 2", "points = 0", "sweep.points", "points"),
        ("metric = \"price_index\"", "metric = \"price\"", "outcomes[1]", "unknown metric"),
        ("year = 2019", "year = 2031", "outcomes[0]", "not inside the run"),
        ("replicates = 2", "replicates = 2\ncolour = 1", "colour", "unknown key `colour`"),
        ("replicates = 2", "replicates = 2.5", "sweep.replicates", "expected a whole number of at least 0, found 2.5"),
    ];
    for (from, to, key, message) in cases {
        assert!(base.contains(from), "{from}");
        let bad = tmp.path().join("bad.toml");
        std::fs::write(&bad, base.replacen(from, to, 1)).unwrap();
        let out = zeromile().args(["sweep", "-q", "--out"]).arg(tmp.path().join("o")).arg(&bad).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {err}");
        assert!(err.contains(key) && err.contains(message), "{to}: expected {key} / {message} in: {err}");
        assert!(err.contains("bad.toml:"), "{to}: the file and line: {err}");
        assert!(!tmp.path().join("o").join("manifest.json").exists());
    }
}

#[test]
fn validate_checks_sweep_files() {
    let out = run_ok(["validate", "scenarios/sweeps/smoke.toml", "scenarios/sweeps/policy_levers.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("smoke.toml: ok (sweep: saltelli design, 20 points x 2 replicates"), "{text}");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, read(&tiny_sweep(tmp.path(), SALTELLI)).replace("design = \"saltelli\"", "design = \"x\""))
        .unwrap();
    let out = zeromile().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sweep.design"));
}

/// A sweep shard records its `points.csv`'s length and hash; each kind of damage to a copy of
/// shard 1 of 2 makes `merge` exit 2 naming the file, the line and the shard to rerun, and
/// creates no output directory. The merged and unsharded sweeps record the same checksum.
#[test]
fn merge_verifies_sweep_shards_points_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tiny_sweep(tmp.path(), SALTELLI);
    let shards: Vec<PathBuf> = (0..2)
        .map(|k| {
            let d = tmp.path().join(format!("shard-{k}"));
            sweep(&file, &d, &["--shard", &format!("{k}/2"), "--no-plots"]);
            d
        })
        .collect();
    let m = manifest_core(&shards[1]);
    let points = std::fs::read(shards[1].join("points.csv")).unwrap();
    assert_eq!(m["checksums"]["points.csv"]["bytes"], points.len());
    assert_eq!(m["checksums"]["points.csv"]["fnv1a64"], zeromile::output::hash_hex(&points));

    // Edits a copy of shard 1's points.csv: `edit` gets the data rows (header excluded).
    let damaged = |name: &str, edit: &dyn Fn(&mut Vec<String>) -> String| -> PathBuf {
        let d = tmp.path().join(name);
        std::fs::create_dir(&d).unwrap();
        for f in ["manifest.json", "points.csv"] {
            std::fs::copy(shards[1].join(f), d.join(f)).unwrap();
        }
        let text = read(&d.join("points.csv"));
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut rows = lines.split_off(1);
        let tail = edit(&mut rows);
        lines.extend(rows);
        std::fs::write(d.join("points.csv"), lines.join("\n") + &tail).unwrap();
        d
    };
    let set_cell = |rows: &mut Vec<String>, row: usize, col: usize, value: &dyn Fn(&str) -> String| {
        let mut cells: Vec<String> = rows[row].split(',').map(String::from).collect();
        cells[col] = value(&cells[col]);
        rows[row] = cells.join(",");
    };
    type Case<'a> = (&'a str, Box<dyn Fn(&mut Vec<String>) -> String + 'a>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "value-edited",
            Box::new(|rows: &mut Vec<String>| {
                // points,holding,trend_strength,zm_mean,...: a mean changed, still a number.
                set_cell(rows, 1, 3, &|c: &str| (c.parse::<f64>().unwrap() + 1.0).to_string());
                "\n".into()
            }),
            &["points.csv", "contents changed after it was written", "rerun sweep shard 1/2"],
        ),
        (
            "torn-last-row",
            Box::new(|rows: &mut Vec<String>| {
                let last = rows.last_mut().unwrap();
                last.truncate(last.len() / 2);
                String::new()
            }),
            &["points.csv:5", "the last row is torn", "rerun sweep shard 1/2"],
        ),
        (
            "nan-cell",
            Box::new(|rows: &mut Vec<String>| {
                set_cell(rows, 2, 3, &|_| "NaN".into());
                "\n".into()
            }),
            &["points.csv:4", "column `zm_mean` holds \"NaN\", not a finite number or empty", "rerun sweep shard 1/2"],
        ),
        (
            "infinite-parameter",
            Box::new(|rows: &mut Vec<String>| {
                set_cell(rows, 0, 1, &|_| "inf".into());
                "\n".into()
            }),
            &["points.csv:2", "column `holding` holds \"inf\", not a finite number", "rerun sweep shard 1/2"],
        ),
        (
            "row-dropped",
            Box::new(|rows: &mut Vec<String>| {
                rows.pop();
                "\n".into()
            }),
            &["points.csv", "3 rows, but shard 1/2 has 4 points", "rerun sweep shard 1/2"],
        ),
        (
            "cell-added",
            Box::new(|rows: &mut Vec<String>| {
                rows[0].push_str(",1");
                "\n".into()
            }),
            &["points.csv:2", "fields where the header has", "rerun sweep shard 1/2"],
        ),
    ];
    for (name, edit, needles) in &cases {
        let bad = damaged(name, edit.as_ref());
        let out_dir = tmp.path().join(format!("merged-{name}"));
        let out = zeromile().args(["merge", "-q", "--out"]).arg(&out_dir).arg(&shards[0]).arg(&bad).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        for n in *needles {
            assert!(err.contains(n), "{name}: message lacks {n:?}: {err}");
        }
        assert!(!out_dir.exists(), "{name}: merge created {}", out_dir.display());
    }

    let merged = tmp.path().join("merged");
    run_ok([
        "merge".as_ref(),
        "-q".as_ref(),
        "--no-plots".as_ref(),
        "--out".as_ref(),
        merged.as_os_str(),
        shards[0].as_os_str(),
        shards[1].as_os_str(),
    ]);
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--no-plots"]);
    assert_eq!(manifest_core(&merged)["checksums"], manifest_core(&whole)["checksums"]);
    assert_eq!(
        manifest_core(&whole)["checksums"]["points.csv"]["bytes"],
        std::fs::read(whole.join("points.csv")).unwrap().len()
    );
}
