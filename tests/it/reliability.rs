//! The output-directory promises of docs/reliability.md, each reproducer of issue 15 as a test:
//! refused jobs leave earlier results intact, `--resume` refuses what it would overwrite, a second
//! writer is refused, and a writer stopped at any step (deterministic fault injection through
//! `ZEROMILE_FAULT_AT`) never leaves a directory that looks complete when it is not.

use crate::util::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Every file under `dir` (relative path → bytes), hidden entries included.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn smoke_run(out: &Path, seed: &str, extra: &[&str]) -> Output {
    let smoke = scenario_path("smoke.toml");
    let mut c = zeromile();
    c.args(["run", smoke.to_str().unwrap(), "-n", "1", "--seed", seed, "-q", "--out", out.to_str().unwrap()]);
    c.args(extra);
    c.output().unwrap()
}

/// The checks every directory must pass: with a manifest, every file it lists is there; without
/// one, it is not mistaken for complete (no chart without data is checked: only the manifest
/// marks completeness).
fn assert_complete_or_marked(dir: &Path, what: &str) {
    let m = dir.join("manifest.json");
    if !m.exists() {
        return;
    }
    let v: serde_json::Value = serde_json::from_str(&read(&m)).unwrap();
    for f in v["files"].as_array().unwrap() {
        let f = f.as_str().unwrap();
        assert!(dir.join(f).is_file(), "{what}: the manifest lists {f}, which is missing");
    }
}

#[test]
fn a_refused_merge_keeps_the_previous_result_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let smoke = scenario_path("smoke.toml");
    let shards: Vec<PathBuf> = (0..3)
        .map(|k| {
            let d = tmp.path().join(format!("s{k}"));
            run_ok([
                "run",
                smoke.to_str().unwrap(),
                "-n",
                "3",
                "-q",
                "--shard",
                &format!("{k}/3"),
                "--out",
                d.to_str().unwrap(),
            ]);
            d
        })
        .collect();
    let good = tmp.path().join("good");
    let mut c = zeromile();
    c.arg("merge").args(&shards).arg("--out").arg(&good).arg("-q");
    assert!(c.output().unwrap().status.success());
    let before = tree(&good);
    assert!(before.contains_key("manifest.json") && before.contains_key("report.html"));

    let bin = shards[1].join("replicates.bin");
    let len = std::fs::metadata(&bin).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&bin).unwrap().set_len(len - 8).unwrap();
    for out in [good.clone(), tmp.path().join("fresh")] {
        let mut c = zeromile();
        c.arg("merge").args(&shards).arg("--out").arg(&out).arg("-q");
        let o = c.output().unwrap();
        assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    }
    assert!(tree(&good) == before, "a refused merge changed the earlier result");
    assert!(!tmp.path().join("fresh").exists(), "a refused merge into a new --out writes nothing");
}

#[test]
fn a_second_writer_is_refused_with_the_holder_named() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(smoke_run(&out, "1", &["--no-plots"]).status.success());
    let before = tree(&out);
    let held = zeromile::app::outdir::OutDir::lock(&out).unwrap();
    let o = smoke_run(&out, "2", &["--no-plots"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("is being written by") && err.contains(&format!("pid {}", std::process::id())), "{err}");
    // Through a symlink, the same directory has the same lock.
    #[cfg(unix)]
    {
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        let o = smoke_run(&link, "2", &["--no-plots"]);
        assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    }
    drop(held);
    assert!(tree(&out) == before, "the refused writer changed nothing");
    assert!(smoke_run(&out, "2", &["--no-plots"]).status.success(), "the lock is released");
}

#[test]
fn resume_refuses_what_it_would_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = |file: &str, out: &Path, extra: &[&str]| {
        let mut c = zeromile();
        c.args(["sweep", file, "-q", "--no-plots", "--out", out.to_str().unwrap()]).args(extra);
        c.output().unwrap()
    };
    // A finished sweep of another sweep file.
    let other = tmp.path().join("other.toml");
    let text = read(&root().join("scenarios/sweeps/smoke.toml")).replace("seed = 11", "seed = 12").replace(
        "base = \"../smoke.toml\"",
        &format!("base = {:?}", scenario_path("smoke.toml").display().to_string()),
    );
    std::fs::write(&other, text).unwrap();
    let done = tmp.path().join("done");
    assert!(sweep(other.to_str().unwrap(), &done, &[]).status.success());
    let before = tree(&done);
    let o = sweep("scenarios/sweeps/smoke.toml", &done, &["--resume"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--resume only continues the same sweep"), "{}", stderr(&o));
    assert!(tree(&done) == before);
    // The same sweep: nothing to do.
    let o = sweep(other.to_str().unwrap(), &done, &["--resume"]);
    assert!(o.status.success() && tree(&done) == before, "{}", stderr(&o));

    // Shard 1/2 resumed into shard 0's directory.
    let s0 = tmp.path().join("s0");
    assert!(sweep("scenarios/sweeps/smoke.toml", &s0, &["--shard", "0/2"]).status.success());
    let before = tree(&s0);
    let o = sweep("scenarios/sweeps/smoke.toml", &s0, &["--shard", "1/2", "--resume"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(tree(&s0) == before);

    // A run directory.
    let run = tmp.path().join("run");
    assert!(smoke_run(&run, "1", &["--no-plots"]).status.success());
    let before = tree(&run);
    let o = sweep("scenarios/sweeps/smoke.toml", &run, &["--resume"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds a finished run"), "{}", stderr(&o));
    assert!(tree(&run) == before);
}

#[test]
fn check_facts_of_an_unfinished_run_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    assert!(smoke_run(&run, "1", &["--no-plots", "--trajectories"]).status.success());
    std::fs::remove_file(run.join("manifest.json")).unwrap();
    let o = zeromile().args(["check-facts", run.to_str().unwrap(), "-q", "--no-plots"]).output().unwrap();
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a finished run directory"), "{}", stderr(&o));
    assert!(!run.join("facts.csv").exists());
}

/// Runs `args` with the fault injected at checkpoint 1, 2, … until it finishes; after every
/// stop, `dir` must be complete or say it is not, and at the end it must hold what an
/// uninterrupted run writes. Returns the number of checkpoints passed.
fn stop_at_every_checkpoint(args: &[String], dir: &Path, expected: &BTreeMap<String, Vec<u8>>, data: &[&str]) -> u64 {
    for n in 1..200u64 {
        let o = zeromile().args(args).env("ZEROMILE_FAULT_AT", n.to_string()).output().unwrap();
        assert_complete_or_marked(dir, &format!("stopped at checkpoint {n}"));
        if o.status.success() {
            let got = tree(dir);
            for f in data {
                assert!(got.get(*f) == expected.get(*f), "{f} differs from the uninterrupted run's");
            }
            let names: Vec<String> = got.keys().filter(|k| k.contains(".partial-")).cloned().collect();
            assert!(names.is_empty(), "partial files left: {names:?}");
            assert!(!dir.join(".zeromile").exists(), "the work directory is removed");
            return n - 1;
        }
        assert_eq!(code(&o), Some(137), "checkpoint {n}: {}", stderr(&o));
        assert!(stderr(&o).contains("fault injected"), "{}", stderr(&o));
    }
    panic!("the job never finished");
}

#[test]
fn a_run_stopped_at_any_step_is_complete_or_says_it_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    assert!(smoke_run(&reference, "2", &["--trajectories"]).status.success());
    let expected = tree(&reference);
    let out = tmp.path().join("out");
    // The previous result: another seed, with charts.
    assert!(smoke_run(&out, "1", &[]).status.success());
    let smoke = scenario_path("smoke.toml");
    let args: Vec<String> = [
        "run",
        smoke.to_str().unwrap(),
        "-n",
        "1",
        "--seed",
        "2",
        "-q",
        "--trajectories",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let data = ["summary.csv", "annual.csv", "trajectories.csv", "report.html", "plots/price_war.png"];
    let passed = stop_at_every_checkpoint(&args, &out, &expected, &data);
    assert!(passed >= 10, "only {passed} checkpoints: publishing is not instrumented");
    let m: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(m["master_seed"], 2);
    let listed: Vec<&str> = m["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(listed.contains(&"report.html") && listed.contains(&"plots/price_war.png"), "{listed:?}");
}

#[test]
fn a_sweep_stopped_at_any_step_resumes_to_the_uninterrupted_result() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    run_ok(["sweep", "scenarios/sweeps/smoke.toml", "-q", "--out", reference.to_str().unwrap()]);
    let expected = tree(&reference);
    let out = tmp.path().join("out");
    let args: Vec<String> = ["sweep", "scenarios/sweeps/smoke.toml", "-q", "--resume", "--out", out.to_str().unwrap()]
        .map(String::from)
        .to_vec();
    let data = ["points.csv", "sensitivity.csv", "sweep_report.html"];
    stop_at_every_checkpoint(&args, &out, &expected, &data);
}

// ---- reproducers of a review of the discipline ----

#[test]
fn a_run_never_deletes_the_users_files_in_a_fresh_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("exp");
    std::fs::create_dir(&out).unwrap();
    let input = out.join("scenario-high.toml");
    std::fs::copy(scenario_path("smoke.toml"), &input).unwrap();
    std::fs::write(out.join("report.html"), "my notes").unwrap();
    let o = zeromile()
        .args(["run", input.to_str().unwrap(), "-n", "1", "-q", "--no-plots", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(input.exists(), "the input scenario was deleted");
    assert!(out.join("report.html").exists(), "the user's report.html was deleted");
}

#[cfg(unix)]
#[test]
fn a_symlinked_plots_dir_keeps_its_files_and_the_previous_result() {
    let tmp = tempfile::tempdir().unwrap();
    let figs = tmp.path().join("figs");
    std::fs::create_dir(&figs).unwrap();
    std::fs::write(figs.join("logo.png"), "png").unwrap();
    let out = tmp.path().join("run");
    assert!(smoke_run(&out, "1", &["--no-plots"]).status.success());
    std::os::unix::fs::symlink(&figs, out.join("plots")).unwrap();
    let o = smoke_run(&out, "2", &["--no-plots"]);
    assert!(figs.join("logo.png").exists(), "a file outside --out was deleted");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn sweep_resume_refuses_a_finished_calibration() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cal");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("calibration.json"), r#"{"kind":"calibration","files":["fit.csv"]}"#).unwrap();
    std::fs::write(out.join("fit.csv"), "x").unwrap();
    let o = zeromile()
        .args(["sweep", "scenarios/sweeps/smoke.toml", "-q", "--resume", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(out.join("calibration.json").exists());
}

#[test]
fn plot_dot_from_inside_a_run_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    assert!(smoke_run(&out, "1", &["--no-plots"]).status.success());
    let o =
        zeromile().args(["plot", ".", "--format", "svg", "--charts", "price_war"]).current_dir(&out).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn sweep_resume_after_a_stop_while_drawing_reuses_the_points() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sw");
    let o = zeromile()
        .args(["sweep", "scenarios/sweeps/smoke.toml", "-q", "--out", out.to_str().unwrap()])
        .env("ZEROMILE_FAULT_AT", "2")
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(137), "{}", stderr(&o));
    let o = zeromile()
        .args(["sweep", "scenarios/sweeps/smoke.toml", "--resume", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(stderr(&o).contains("all points were done; publishing them"), "all points were run again: {}", stderr(&o));
}

/// `plot` stopped at every checkpoint never costs the finished directory its completeness: the
/// next command that takes the lock finishes the stopped publish (or finds it untouched).
#[test]
fn a_stopped_plot_never_loses_a_finished_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    assert!(smoke_run(&out, "1", &[]).status.success());
    let data = ["summary.csv", "annual.csv"].map(|f| read(&out.join(f)));
    for n in 1..60u64 {
        let o = zeromile()
            .args(["plot", out.to_str().unwrap(), "-q"])
            .env("ZEROMILE_FAULT_AT", n.to_string())
            .output()
            .unwrap();
        let stopped = !o.status.success();
        // Another command taking the lock finds a complete directory.
        let again = zeromile().args(["plot", out.to_str().unwrap(), "-q", "--charts", "price_war"]).output().unwrap();
        assert!(again.status.success(), "after a stop at checkpoint {n}: {}", stderr(&again));
        assert_complete_or_marked(&out, &format!("checkpoint {n}"));
        assert!(out.join("manifest.json").is_file());
        assert_eq!(["summary.csv", "annual.csv"].map(|f| read(&out.join(f))), data);
        if !stopped {
            return;
        }
    }
    panic!("plot never finished");
}

/// A user's files in `plots/` are never listed as charts, so no later run removes them; a
/// `plots/` that is a symlink is never followed.
#[test]
fn files_in_plots_that_are_not_charts_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    assert!(smoke_run(&out, "1", &[]).status.success());
    std::fs::write(out.join("plots/my_notes.txt"), "mine").unwrap();
    run_ok(["plot", out.to_str().unwrap(), "-q"]);
    assert!(smoke_run(&out, "1", &["--no-plots"]).status.success());
    assert_eq!(read(&out.join("plots/my_notes.txt")), "mine");
    #[cfg(unix)]
    {
        let b = tmp.path().join("b");
        assert!(smoke_run(&b, "1", &[]).status.success());
        let web = tmp.path().join("web");
        std::fs::rename(b.join("plots"), &web).unwrap();
        std::os::unix::fs::symlink(&web, b.join("plots")).unwrap();
        let before = tree(&web);
        assert!(smoke_run(&b, "2", &["--no-plots"]).status.success());
        assert!(tree(&web) == before, "files outside --out were removed");
    }
}
