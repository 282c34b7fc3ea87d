//! Bad input in the user's words (issue 15): every reproducer exits 2 with a message that says
//! what was expected and what was found, names the file, line and key (or the flag), and leaves
//! no output directory behind.

use crate::util::{scenario_path, zeromile};
use std::path::Path;
use std::process::Command;

/// Runs `cmd` (in `dir`, with `--out dir/out` where the command takes one) and asserts exit code
/// 2, every needle on stderr, no clap tip and no output directory. Returns stderr.
fn refused(dir: &Path, mut cmd: Command, needles: &[&str]) -> String {
    let o = cmd.current_dir(dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{cmd:?}: want exit 2, stderr:\n{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{cmd:?}: stderr lacks {n:?}:\n{stderr}");
    }
    assert!(!stderr.contains("use '--"), "{cmd:?}: clap's tip instead of our words:\n{stderr}");
    assert!(!dir.join("out").exists(), "{cmd:?}: a refused command left out/ behind");
    stderr
}

/// `zeromile <args>` writing into `dir/out` where it writes at all.
fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = zeromile();
    c.args(args);
    if matches!(args.first(), Some(&("run" | "check-facts" | "sweep" | "calibrate"))) {
        c.arg("--out").arg(dir.join("out")).arg("-q");
    }
    c
}

/// A fresh directory with `smoke.toml` copied in and `files` written.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(scenario_path("smoke.toml"), dir.path().join("smoke.toml")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const SWEEP: &str = "[sweep]\nbase = \"smoke.toml\"\ndesign = \"grid\"\nreplicates = 2\n\n[[parameters]]\n\
     path = \"consumers.trend_strength\"\nlow = 0.2\nhigh = 2.0\n\n[[outcomes]]\nname = \"output\"\n\
     metric = \"production\"\n";

const TARGETS: &str = "[[targets]]\nid = \"production_2019\"\nmetric = \"production\"\nyear = 2019\n\
     observed = 25000000\ntolerance = 0.05\nsource = \"test\"\n";

const CALIBRATION: &str = "[calibration]\nbase = \"smoke.toml\"\ntargets = \"targets.toml\"\nreplicates = 2\n\n\
     [[parameters]]\npath = \"consumers.trend_strength\"\nlow = 0.2\nhigh = 2.0\n";

#[test]
fn type_errors_say_what_was_expected_and_found() {
    let dir = dir_with(&[
        ("count.toml", "end = \"2019-03\"\n[automakers]\ncount = 6.5\n"),
        ("sweep.toml", &SWEEP.replace("replicates = 2", "replicates = \"two\"")),
        ("targets.toml", &TARGETS.replace("observed = 25000000", "observed = \"many\"")),
        ("cal.toml", &CALIBRATION.replace("replicates = 2", "replicates = 2.5")),
        ("flag.toml", "end = \"2019-03\"\n[policy]\nhard_budget = \"yes\"\n"),
    ]);
    let d = dir.path();
    for verb in ["run", "validate"] {
        refused(
            d,
            cmd(d, &[verb, "smoke.toml", "--set", "consumers.agents=many"]),
            &["command line: `consumers.agents`: expected a whole number of at least 0, found text \"many\""],
        );
        refused(
            d,
            cmd(d, &[verb, "count.toml"]),
            &["count.toml:3:1: `automakers.count`: expected a whole number of at least 0, found 6.5"],
        );
        refused(
            d,
            cmd(d, &[verb, "flag.toml"]),
            &["flag.toml:3:1: `policy.hard_budget`: expected true or false, found text \"yes\""],
        );
    }
    refused(
        d,
        cmd(d, &["sweep", "sweep.toml"]),
        &["sweep.toml:4:1: `sweep.replicates`: expected a whole number of at least 0, found text \"two\""],
    );
    refused(
        d,
        cmd(d, &["check-facts", "smoke.toml", "--targets", "targets.toml"]),
        &["targets.toml:5:1: `targets[0].observed`: expected a number, found text \"many\""],
    );
    refused(
        d,
        cmd(d, &["calibrate", "cal.toml"]),
        &["cal.toml:4:1: `calibration.replicates`: expected a whole number of at least 0, found 2.5"],
    );
    let all = refused(d, cmd(d, &["validate", "sweep.toml"]), &["expected a whole number"]);
    assert!(!all.contains("invalid type") && !all.contains("u64"), "{all}");
}

#[test]
fn impossible_months_say_what_is_wrong() {
    let dir = dir_with(&[
        ("m13.toml", "start = \"2019-13\"\n"),
        ("m00.toml", "end = \"2019-03\"\n[[events]]\nid = \"e\"\ndate = \"2019-02\"\nuntil = \"2019-00\"\nkind = \"hard_budget\"\n"),
        ("y0.toml", "start = \"0000-01\"\n"),
    ]);
    let d = dir.path();
    for verb in ["run", "validate"] {
        refused(
            d,
            cmd(d, &[verb, "m13.toml"]),
            &["m13.toml:1:1: `start`: \"2019-13\": month 13 is not a month (01-12)"],
        );
        refused(
            d,
            cmd(d, &[verb, "m00.toml"]),
            &["m00.toml:5:1: `events[e].until`: \"2019-00\": month 00 is not a month (01-12)"],
        );
        refused(
            d,
            cmd(d, &[verb, "y0.toml"]),
            &["y0.toml:1:1: `start`: \"0000-01\": year 0000 is out of range (1900-2200)"],
        );
    }
}

#[test]
fn negative_flag_values_are_named_not_tipped() {
    let dir = dir_with(&[("sweep.toml", SWEEP), ("targets.toml", TARGETS), ("cal.toml", CALIBRATION)]);
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "smoke.toml", "-n", "-5"], "error: --replicates: expected a whole number of at least 1, found -5"),
        (&["run", "smoke.toml", "--replicates", "0"], "--replicates: expected a whole number of at least 1, found 0"),
        (&["run", "smoke.toml", "-n", "many"], "--replicates: expected a whole number of at least 1, found \"many\""),
        (&["run", "smoke.toml", "--threads", "-1"], "--threads: expected a whole number of at least 0, found -1"),
        (&["run", "smoke.toml", "--seed", "-3"], "--seed: expected a whole number of at least 0, found -3"),
        (&["check-facts", "smoke.toml", "-n", "-5"], "--replicates: expected a whole number of at least 1, found -5"),
        (&["sweep", "sweep.toml", "-j", "-2"], "--threads: expected a whole number of at least 0, found -2"),
        (&["calibrate", "cal.toml", "-j", "-1"], "--threads: expected a whole number of at least 0, found -1"),
        (&["bench", "--months", "-1"], "--months: expected a whole number from 1 to 120, found -1"),
        (&["bench", "--consumers", "6.5"], "--consumers: expected a whole number from 100 to 50000000, found 6.5"),
        (&["plot", "nowhere", "--width", "-5"], "--width: expected a whole number from 0 to 4294967295, found -5"),
        (&["run", "smoke.toml", "--shard", "-1/2"], "--shard \"-1/2\": expected K/N"),
        (&["slurm", "smoke.toml", "--shards", "-2"], "--shards: expected a whole number from 1 to 1000000, found -2"),
        (
            &["slurm", "smoke.toml", "--shards", "2", "-n", "-5"],
            "--replicates: expected a whole number of at least 1, found -5",
        ),
    ];
    for (args, needle) in cases {
        refused(d, cmd(d, args), &[needle]);
    }
}

#[test]
fn a_file_given_to_the_wrong_command_is_named_for_what_it_is() {
    let dir = dir_with(&[("sweep.toml", SWEEP), ("targets.toml", TARGETS), ("cal.toml", CALIBRATION)]);
    let d = dir.path();
    let sweep_file = "sweep.toml is a sweep file (it has a top-level [sweep] table), not a scenario: use `zeromile sweep sweep.toml`";
    refused(d, cmd(d, &["run", "sweep.toml"]), &[sweep_file]);
    refused(d, cmd(d, &["check-facts", "sweep.toml", "--targets", "targets.toml"]), &[sweep_file]);
    refused(
        d,
        cmd(d, &["run", "cal.toml"]),
        &["cal.toml is a calibration file (it has a top-level [calibration] table), not a scenario: use `zeromile calibrate cal.toml`"],
    );
    refused(
        d,
        cmd(d, &["run", "targets.toml"]),
        &["targets.toml is a targets file (it has [[targets]]), not a scenario: use `zeromile check-facts SCENARIO --targets targets.toml`"],
    );
    refused(
        d,
        cmd(d, &["sweep", "smoke.toml"]),
        &["smoke.toml is a scenario file, not a sweep file: use `zeromile run smoke.toml`"],
    );
    refused(
        d,
        cmd(d, &["calibrate", "sweep.toml"]),
        &["sweep.toml is a sweep file (it has a top-level [sweep] table), not a calibration file: use `zeromile sweep sweep.toml`"],
    );
    refused(
        d,
        cmd(d, &["check-facts", "smoke.toml", "--targets", "smoke.toml"]),
        &["smoke.toml is a scenario file, not a targets file"],
    );
    let sweep_base = SWEEP.replace("base = \"smoke.toml\"", "base = \"cal.toml\"");
    std::fs::write(d.join("sweep_of_cal.toml"), sweep_base).unwrap();
    refused(d, cmd(d, &["sweep", "sweep_of_cal.toml"]), &["cal.toml is a calibration file", "not a scenario"]);
    // validate takes every kind, each checked as its command would.
    let o =
        cmd(d, &["validate", "sweep.toml", "cal.toml", "targets.toml", "smoke.toml"]).current_dir(d).output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for line in [
        "sweep.toml: ok (sweep: grid design",
        "cal.toml: ok (calibration: 1 parameters, 1 targets, 2 replicates per candidate)",
        "targets.toml: ok (targets: 1 targets)",
        "smoke.toml: ok (18 months",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    refused(
        d,
        cmd(d, &["validate", "cal.toml", "--set", "seed=1"]),
        &["--set applies to scenarios", "calibration.set"],
    );
}

#[test]
fn set_refuses_extends_and_malformed_paths() {
    let dir = dir_with(&[]);
    let d = dir.path();
    for verb in ["run", "validate"] {
        refused(
            d,
            cmd(d, &[verb, "smoke.toml", "--set", "extends=baseline.toml"]),
            &["command line: `extends`: `extends` cannot be set with --set; write it in the scenario file"],
        );
        for path in ["markets[russia.tariff=0.7", "events[licence]].regions=3"] {
            let key = path.split_once('=').unwrap().0;
            refused(
                d,
                cmd(d, &[verb, "smoke.toml", "--set", path]),
                &[&format!("command line: `{key}`: not a key path"), "e.g. consumers.agents or markets[russia].tariff"],
            );
        }
    }
}

#[test]
fn events_name_their_required_keys() {
    let quota = "end = \"2019-03\"\n\n[[events]]\nid = \"cap\"\ndate = \"2019-02\"\nkind = \"zero_mileage_quota\"\n";
    let tariff = "end = \"2019-03\"\n\n[[events]]\nid = \"duty\"\ndate = \"2019-02\"\nkind = \"tariff\"\nmarket = \"russia\"\nfee = 100.0\n";
    let dir = dir_with(&[("quota.toml", quota), ("tariff.toml", tariff)]);
    let d = dir.path();
    for verb in ["run", "validate"] {
        refused(
            d,
            cmd(d, &[verb, "quota.toml"]),
            &["quota.toml:3:1: `events[cap].vehicles_per_month`: a `zero_mileage_quota` event needs `vehicles_per_month`", "write 0 for a ban"],
        );
        refused(
            d,
            cmd(d, &[verb, "tariff.toml"]),
            &["tariff.toml:3:1: `events[duty].ad_valorem`: a `tariff` event needs `ad_valorem`"],
        );
    }
    std::fs::write(d.join("quota.toml"), format!("{quota}vehicles_per_month = 0.0\n")).unwrap();
    let o = cmd(d, &["validate", "quota.toml"]).current_dir(d).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn caps_are_refused_before_any_work() {
    let big = |s: &str| s.replace("replicates = 2", "replicates = 1000000000000");
    let dir = dir_with(&[
        ("sweep.toml", &big(SWEEP)),
        ("targets.toml", TARGETS),
        ("cal.toml", &big(CALIBRATION)),
        ("agents.toml", "end = \"2019-03\"\n[consumers]\nagents = 60000000\n"),
        ("long.toml", "start = \"1900-01\"\nend = \"2200-12\"\n"),
    ]);
    let d = dir.path();
    let replicates = "--replicates: expected a whole number of replicates from 1 to 1000000, found 1000000000000";
    // Refused at once: it used to run forever, and with --shard to abort on a 4 TB allocation.
    let started = std::time::Instant::now();
    refused(d, cmd(d, &["run", "smoke.toml", "-n", "1000000000000", "--shard", "0/2"]), &[replicates]);
    refused(d, cmd(d, &["run", "smoke.toml", "-n", "1000000000000"]), &[replicates]);
    refused(
        d,
        cmd(d, &["check-facts", "smoke.toml", "--targets", "targets.toml", "-n", "1000001"]),
        &["found 1000001"],
    );
    refused(d, cmd(d, &["slurm", "smoke.toml", "--shards", "2", "-n", "1000000000000"]), &[replicates]);
    assert!(started.elapsed().as_secs() < 60, "caps are checked before running");
    for verb in ["validate", "sweep"] {
        refused(
            d,
            cmd(d, &[verb, "sweep.toml"]),
            &["sweep.toml:4:1: `sweep.replicates`: expected a whole number of replicates from 1 to 1000000, found 1000000000000"],
        );
    }
    for verb in ["validate", "calibrate"] {
        refused(d, cmd(d, &[verb, "cal.toml"]), &["cal.toml:4:1: `calibration.replicates`", "found 1000000000000"]);
    }
    for verb in ["run", "validate"] {
        refused(
            d,
            cmd(d, &[verb, "smoke.toml", "--set", "replicates=1000000000000"]),
            &["`replicates`", "from 1 to 1000000"],
        );
        refused(
            d,
            cmd(d, &[verb, "agents.toml"]),
            &["agents.toml:3:1: `consumers.agents`", "50000000", "got 60000000"],
        );
        refused(d, cmd(d, &[verb, "long.toml"]), &["long.toml:2:1: `end`", "3612 months, more than the limit of 1200"]);
    }
    // Threads: more than 8 per core, from the flag or from Slurm's variable.
    std::fs::write(d.join("ok_sweep.toml"), SWEEP).unwrap();
    for args in [&["run", "smoke.toml", "-j", "100000"][..], &["sweep", "ok_sweep.toml", "-j", "100000"][..]] {
        let mut c = cmd(d, args);
        c.env_remove("SLURM_CPUS_PER_TASK");
        refused(d, c, &["--threads: 100000 threads is more than 8 per available core"]);
    }
    let mut c = cmd(d, &["run", "smoke.toml"]);
    c.env("SLURM_CPUS_PER_TASK", "100000");
    refused(d, c, &["SLURM_CPUS_PER_TASK: 100000 threads is more than 8 per available core"]);
}

#[test]
fn extends_chains_are_capped_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Thousands of files: this overflowed the stack when `extends` was followed recursively.
    let n = 3000;
    for i in 0..n {
        std::fs::write(d.join(format!("f{i}.toml")), format!("extends = \"f{}.toml\"\n", i + 1)).unwrap();
    }
    std::fs::write(d.join(format!("f{n}.toml")), "end = \"2019-03\"\n").unwrap();
    for verb in ["run", "validate"] {
        refused(
            d,
            cmd(d, &[verb, "f0.toml"]),
            &["f63.toml:1:1: `extends`: extends chain deeper than 64 files (f0.toml -> f1.toml -> f2.toml -> ... -> f64.toml)"],
        );
    }
    let o = cmd(d, &["validate", &format!("f{}.toml", n - 63)]).current_dir(d).output().unwrap();
    assert!(o.status.success(), "64 files load: {}", String::from_utf8_lossy(&o.stderr));
}
