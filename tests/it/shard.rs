use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Replicates of the test runs: fewer than some shard counts, so some shards are empty.
const REPLICATES: &str = "5";

/// The smoke scenario and a variant (so `deltas.csv` exists), and the common run arguments.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    scenarios: Vec<PathBuf>,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let alt = smoke_variant(&dir, "smoke_alt", "[policy]\nhard_budget = true\n[consumers]\ntrend_strength = 2.0\n");
        Fixture { _tmp: tmp, scenarios: vec![scenario_path("smoke.toml"), alt], dir }
    }

    fn run_args(&self, out: &Path, extra: &[&str]) -> Vec<String> {
        let mut a = vec!["run".to_string()];
        a.extend(self.scenarios.iter().map(|p| p.display().to_string()));
        a.extend(
            ["-n", REPLICATES, "--set", "consumers.agents=400", "--trajectories", "-q", "--out"].map(String::from),
        );
        a.push(out.display().to_string());
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    /// Runs shard `k` of `n` into `name` (with `extra` flags) and returns its directory.
    fn shard(&self, k: u64, n: u64, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.dir.join(name);
        let mut args = self.run_args(&out, extra);
        args.extend(["--shard".to_string(), format!("{k}/{n}")]);
        run_ok(args);
        out
    }

    fn shards(&self, n: u64) -> Vec<PathBuf> {
        (0..n).map(|k| self.shard(k, n, &format!("n{n}-shard-{k}"), &[])).collect()
    }

    fn reference(&self) -> PathBuf {
        let out = self.dir.join("reference");
        run_ok(self.run_args(&out, &[]));
        out
    }
}

/// `zeromile merge DIRS --out OUT -q`.
fn merge(dirs: &[PathBuf], out: &Path) -> Output {
    let mut c = zeromile();
    c.arg("merge").args(dirs).arg("--out").arg(out).arg("-q");
    c.output().unwrap()
}

/// Asserts `out` is a bad-input failure (exit 2) whose message contains every one of `needles`.
fn assert_rejected(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "expected exit 2, got {:?}: {err}", out.status);
    for n in needles {
        assert!(err.contains(n), "message lacks {n:?}: {err}");
    }
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// The manifest without its `provenance`, the one part allowed to differ.
fn manifest_sans_provenance(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    assert!(m.as_object_mut().unwrap().remove("provenance").is_some(), "manifest has no provenance");
    m
}

/// Asserts a merged directory holds exactly the files of the unsharded run, byte-identical except
/// the manifest's provenance (the report leaves it out, so it is compared byte for byte).
fn assert_same_run(reference: &Path, merged: &Path, what: &str) {
    assert_eq!(files(reference), files(merged), "{what}: different file sets");
    for f in files(reference) {
        let name = f.to_string_lossy();
        if name == "manifest.json" {
            continue;
        }
        assert!(
            std::fs::read(reference.join(&f)).unwrap() == std::fs::read(merged.join(&f)).unwrap(),
            "{what}: {name} differs"
        );
    }
    assert_eq!(manifest_sans_provenance(reference), manifest_sans_provenance(merged), "{what}: manifest");
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let fx = Fixture::new();
    let reference = fx.reference();
    let names = [
        "summary.csv",
        "annual.csv",
        "deltas.csv",
        "annual_deltas.csv",
        "metrics.csv",
        "trajectories.csv",
        "plots/price_war.png",
    ];
    for name in names.into_iter().chain(["report.html"]) {
        assert!(reference.join(name).exists(), "the reference run lacks {name}");
    }
    for n in [1, 2, 3, 7] {
        let mut shards = fx.shards(n);
        shards.reverse(); // any order
        let merged = fx.dir.join(format!("merged-{n}"));
        let out = merge(&shards, &merged);
        assert!(out.status.success(), "merge of {n} shards: {}", String::from_utf8_lossy(&out.stderr));
        assert_same_run(&reference, &merged, &format!("{n} shards"));
        let m: serde_json::Value = serde_json::from_str(&read(&merged.join("manifest.json"))).unwrap();
        assert_eq!(m["kind"], "run");
        assert_eq!(m["provenance"]["shards"].as_array().unwrap().len(), n as usize);
    }
}

#[test]
fn shard_directory_holds_raw_replicates_and_a_shard_manifest() {
    let fx = Fixture::new();
    let dir = fx.shard(2, 3, "s2", &[]);
    let mut names: Vec<String> = files(&dir).iter().map(|p| p.display().to_string()).collect();
    names.sort();
    assert_eq!(names, ["manifest.json", "replicates.bin", "scenario-0.toml", "scenario-1.toml"]);
    let m: serde_json::Value = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    assert_eq!(m["kind"], "run-shard");
    assert_eq!(m["shard"], serde_json::json!({"k": 2, "n": 3, "trajectories": true}));
    assert_eq!(m["replicates"], 5);
    // Shard 2 of 3 holds replicate 2 only: a header, then (index, 2 scenarios x months x metrics).
    let smoke = zeromile::scenario::load(&scenario_path("smoke.toml"), &[]).unwrap();
    let width = zeromile::output::ScenarioSeries::of(&smoke).metrics.len();
    let len = std::fs::metadata(dir.join("replicates.bin")).unwrap().len();
    assert_eq!(len, 8 + 8 + 2 * 8 * (smoke.months() * width) as u64);
}

#[test]
fn merge_names_missing_shards() {
    let fx = Fixture::new();
    let shards = fx.shards(7);
    let some: Vec<PathBuf> =
        shards.iter().enumerate().filter(|(k, _)| ![2, 5].contains(k)).map(|(_, d)| d.clone()).collect();
    let out = merge(&some, &fx.dir.join("m"));
    assert_rejected(&out, &["missing shards: 2, 5 of 7", "--array=2,5"]);
    assert!(!fx.dir.join("m").join("manifest.json").exists());

    // A shard that never finished (no manifest.json) is listed with the missing ones.
    std::fs::remove_file(shards[2].join("manifest.json")).unwrap();
    let mut with_unfinished = some.clone();
    with_unfinished.push(shards[2].clone());
    let out = merge(&with_unfinished, &fx.dir.join("m"));
    assert_rejected(&out, &["missing shards: 2, 5 of 7", "without manifest.json", "n7-shard-2"]);
}

#[test]
fn merge_rejects_duplicated_shards() {
    let fx = Fixture::new();
    let shards = fx.shards(2);
    let again = fx.shard(1, 2, "another-1", &[]);
    let out = merge(&[shards[0].clone(), shards[1].clone(), again], &fx.dir.join("m"));
    assert_rejected(&out, &["shard 1/2 given twice", "n2-shard-1", "another-1"]);
}

#[test]
fn merge_rejects_foreign_shards() {
    let fx = Fixture::new();
    let shards = fx.shards(2);
    let m = fx.dir.join("m");
    let other_seed = fx.shard(1, 2, "seed", &["--seed", "99"]);
    assert_rejected(&merge(&[shards[0].clone(), other_seed], &m), &["not shards of one run", "master seed"]);
    let other_scenario = fx.shard(1, 2, "scen", &["--set", "consumers.price_sensitivity=6.0"]);
    assert_rejected(&merge(&[shards[0].clone(), other_scenario], &m), &["not shards of one run", "hash"]);
    let other_n = fx.shard(1, 3, "n3", &[]);
    assert_rejected(&merge(&[shards[0].clone(), other_n], &m), &["shard count N"]);
    let run = fx.reference();
    assert_rejected(&merge(&[shards[0].clone(), shards[1].clone(), run], &m), &["reference", "a finished run"]);
    let not_json = fx.dir.join("junk");
    std::fs::create_dir_all(&not_json).unwrap();
    std::fs::write(not_json.join("manifest.json"), "hello").unwrap();
    assert_rejected(&merge(&[shards[0].clone(), not_json], &m), &["junk", "not a zeromile manifest"]);
    assert!(!m.join("manifest.json").exists());
}

#[test]
fn merge_rejects_damaged_replicate_data() {
    let fx = Fixture::new();
    let shards = fx.shards(2);
    let data = shards[1].join("replicates.bin");
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() - 8]).unwrap();
    assert_rejected(&merge(&shards, &fx.dir.join("m")), &["replicates.bin", "bytes, expected", "rerun shard 1/2"]);
}

#[test]
fn merge_refuses_to_write_into_a_shard() {
    let fx = Fixture::new();
    let shards = fx.shards(2);
    assert_rejected(&merge(&shards, &shards[0]), &["is also a shard directory"]);
    assert!(shards[0].join("manifest.json").exists());
}

#[test]
fn shard_auto_reads_slurm_array_task_id() {
    let fx = Fixture::new();
    let out = fx.dir.join("auto");
    let args = fx.run_args(&out, &["--shard", "auto/3"]);
    let ok = zeromile().args(&args).env("SLURM_ARRAY_TASK_ID", "1").output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let m: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(m["shard"]["k"], 1);
    assert_eq!(m["shard"]["n"], 3);

    let unset = zeromile().args(&args).env_remove("SLURM_ARRAY_TASK_ID").output().unwrap();
    assert_rejected(&unset, &["SLURM_ARRAY_TASK_ID is not set"]);
    let too_big = zeromile().args(&args).env("SLURM_ARRAY_TASK_ID", "3").output().unwrap();
    assert_rejected(&too_big, &["SLURM_ARRAY_TASK_ID=\"3\""]);
    for bad in ["3/3", "1/0", "one/2", "auto", "2"] {
        let out = zeromile().args(fx.run_args(&fx.dir.join("bad"), &["--shard", bad])).output().unwrap();
        assert_rejected(&out, &["--shard"]);
    }
}

#[test]
fn slurm_prints_an_array_script_with_a_dependent_merge() {
    let fx = Fixture::new();
    let out_dir = fx.dir.join("cluster");
    let mut args: Vec<String> = vec!["slurm".into()];
    args.extend(fx.scenarios.iter().map(|p| p.display().to_string()));
    args.extend(
        ["--shards", "4", "--cpus-per-task", "2", "--time", "0:10:00", "--partition", "short", "-n", "5"]
            .map(String::from),
    );
    args.extend(["--output-dir".to_string(), out_dir.display().to_string()]);
    let text = String::from_utf8(run_ok(args.clone()).stdout).unwrap();
    for needle in [
        "#!/bin/bash\n",
        "#SBATCH --array=0-3\n",
        "#SBATCH --cpus-per-task=2\n",
        "#SBATCH --time=0:10:00\n",
        "#SBATCH --partition=short\n",
        "N=4 ",
        "--dependency=afterok:\"$SLURM_ARRAY_JOB_ID\" --kill-on-invalid-dep=yes",
        " run ",
        "--replicates 5",
        "--shard \"$SLURM_ARRAY_TASK_ID/$N\" --out \"$OUT/shard-$SLURM_ARRAY_TASK_ID\"",
        " merge ",
    ] {
        assert!(text.contains(needle), "script lacks {needle:?}:\n{text}");
    }
    assert!(!text.contains("SLURM_ARRAY_TASK_COUNT\""), "N must not come from the array size");
    assert!(out_dir.join("logs").is_dir(), "the log directory is created for sbatch");

    // --out writes the same script to a file.
    let file = fx.dir.join("job.sh");
    args.extend(["--out".to_string(), file.display().to_string()]);
    run_ok(args);
    let written = read(&file);
    assert_eq!(
        written.lines().filter(|l| !l.starts_with("# Generated")).collect::<Vec<_>>(),
        text.lines().filter(|l| !l.starts_with("# Generated")).collect::<Vec<_>>()
    );
}

#[test]
fn slurm_detects_sweeps_and_rejects_bad_files() {
    let fx = Fixture::new();
    let sweep = crate::util::root().join("scenarios/sweeps/smoke.toml");
    let out = run_ok([
        "slurm".as_ref(),
        sweep.as_os_str(),
        "--shards".as_ref(),
        "3".as_ref(),
        "--output-dir".as_ref(),
        fx.dir.join("o").as_os_str(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(" sweep ") && text.contains("#SBATCH --array=0-2\n"), "{text}");

    let bad = fx.dir.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\n[consumers]\nagnets = 5\n").unwrap();
    let out = zeromile().args(["slurm".as_ref(), bad.as_os_str(), "--shards".as_ref(), "2".as_ref()]).output().unwrap();
    assert_rejected(&out, &["bad.toml", "agnets"]);
    assert!(out.stdout.is_empty(), "no script for a bad file");
    let missing = zeromile().args(["slurm", "no/such.toml", "--shards", "2"]).output().unwrap();
    assert_rejected(&missing, &["no/such.toml"]);
    let broken = fx.dir.join("sweep.toml");
    std::fs::write(&broken, "[sweep]\nbase = \"smoke.toml\"\n").unwrap();
    let out =
        zeromile().args(["slurm".as_ref(), broken.as_os_str(), "--shards".as_ref(), "2".as_ref()]).output().unwrap();
    assert_rejected(&out, &["sweep.toml", "design"]);
    let with_seed =
        zeromile().args(["slurm", "scenarios/sweeps/smoke.toml", "--shards", "2", "--seed", "4"]).output().unwrap();
    assert_eq!(with_seed.status.code(), Some(2), "a sweep sets its own seed");
    let zero = zeromile().args(["slurm", "scenarios/smoke.toml", "--shards", "0"]).output().unwrap();
    assert_eq!(zero.status.code(), Some(2));
}

/// A copy of shard directory `from` as `to` (flat: a shard directory has no subfolders).
fn copy_shard(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
    to.to_path_buf()
}

/// Every file a shard writes is listed in its manifest's `checksums`, with its length and the
/// hash of its bytes, and `output::verify_files` accepts the directory.
#[test]
fn shard_manifest_records_every_files_checksum() {
    let fx = Fixture::new();
    let dir = fx.shard(0, 2, "s0", &[]);
    let m: zeromile::output::Manifest = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    let names: Vec<&str> = m.checksums.keys().map(String::as_str).collect();
    assert_eq!(names, ["replicates.bin", "scenario-0.toml", "scenario-1.toml"]);
    for (name, sum) in &m.checksums {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(sum.bytes, bytes.len() as u64, "{name}");
        assert_eq!(sum.fnv1a64, zeromile::output::hash_hex(&bytes), "{name}");
    }
    assert_eq!(m.checksums["scenario-0.toml"].fnv1a64, m.scenarios[0].hash, "the scenario file is what is hashed");
    zeromile::output::verify_files(&dir, &m.checksums).unwrap();
    std::fs::write(dir.join("scenario-1.toml"), read(&dir.join("scenario-1.toml")) + "# note\n").unwrap();
    let e = zeromile::output::verify_files(&dir, &m.checksums).unwrap_err();
    assert!(e.is_bad_input() && e.to_string().contains("scenario-1.toml"), "{e}");
}

/// Each kind of damage to a shard, done to a copy of shard 1 of 2: `merge` exits 2 naming the
/// file, what is wrong and the shard to rerun, and creates no output directory.
#[test]
fn merge_verifies_every_recorded_checksum_before_writing() {
    let fx = Fixture::new();
    let shards = fx.shards(2);
    let smoke = zeromile::scenario::load(&scenario_path("smoke.toml"), &[]).unwrap();
    let width = zeromile::output::ScenarioSeries::of(&smoke).metrics.len();
    // Byte offset of value `v` (month-major) of scenario 0 in record 0: header, then the index.
    let value_at = |v: usize| 8 + 8 + 8 * v;
    type Damage<'a> = (&'a str, Box<dyn Fn(&Path)>, &'a [&'a str]);
    let damages: Vec<Damage> = vec![
        (
            "scenario value edited",
            Box::new(|d: &Path| {
                let p = d.join("scenario-0.toml");
                let text = read(&p);
                let edited = text.replacen("agents = 400", "agents = 401", 1);
                assert_ne!(edited, text, "the fixture's canonical scenario sets agents = 400");
                std::fs::write(&p, edited).unwrap();
            }),
            &["scenario-0.toml", "the file was edited", "rerun shard 1/2"],
        ),
        (
            "scenario comment added",
            Box::new(|d: &Path| {
                let p = d.join("scenario-1.toml");
                std::fs::write(&p, read(&p) + "# looked at it\n").unwrap();
            }),
            &["scenario-1.toml", "the file was edited", "rerun shard 1/2"],
        ),
        (
            "one byte flipped",
            Box::new(move |d: &Path| {
                let p = d.join("replicates.bin");
                let mut b = std::fs::read(&p).unwrap();
                // The lowest mantissa byte of a value: still a finite number, same length.
                b[value_at(width + 3)] ^= 0x01;
                std::fs::write(&p, b).unwrap();
            }),
            &["replicates.bin", "contents changed after it was written", "rerun shard 1/2"],
        ),
        (
            "NaN written over a value",
            Box::new(move |d: &Path| {
                let p = d.join("replicates.bin");
                let mut b = std::fs::read(&p).unwrap();
                let at = value_at(2 * width + 1);
                b[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
                std::fs::write(&p, b).unwrap();
            }),
            &["replicates.bin", "NaN at replicate 1, scenario \"smoke\"", "metric `capacity`", "rerun shard 1/2"],
        ),
        (
            "replicate index overwritten",
            Box::new(|d: &Path| {
                let p = d.join("replicates.bin");
                let mut b = std::fs::read(&p).unwrap();
                b[8..16].copy_from_slice(&3u64.to_le_bytes());
                std::fs::write(&p, b).unwrap();
            }),
            &["replicates.bin", "holds replicate 3 where replicate 1 belongs", "rerun shard 1/2"],
        ),
        (
            "replicates.bin missing",
            Box::new(|d: &Path| std::fs::remove_file(d.join("replicates.bin")).unwrap()),
            &["replicates.bin: missing", "rerun shard 1/2"],
        ),
    ];
    for (i, (what, damage, needles)) in damages.iter().enumerate() {
        let bad = copy_shard(&shards[1], &fx.dir.join(format!("damaged-{i}")));
        damage(&bad);
        let out_dir = fx.dir.join(format!("merged-{i}"));
        let out = merge(&[shards[0].clone(), bad], &out_dir);
        assert_rejected(&out, needles);
        assert!(!out_dir.exists(), "{what}: merge created {}", out_dir.display());
    }
    // The undamaged shards still merge.
    let out = merge(&shards, &fx.dir.join("merged"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `run --shard` applies `run`'s pairing rule: unpaired scenarios are refused without
/// `--allow-unpaired`; with it the merge, like the unsharded run, writes no `deltas.csv`, and
/// `slurm` passes the flag on (or refuses without it).
#[test]
fn shards_of_unpaired_scenarios_follow_the_run_rule() {
    let fx = Fixture::new();
    let short = smoke_variant(&fx.dir, "smoke_short", "end = \"2019-12\"\n");
    let unpaired = Fixture { scenarios: vec![scenario_path("smoke.toml"), short], ..fx };
    let mut args = unpaired.run_args(&unpaired.dir.join("refused"), &["--shard", "0/2"]);
    let o = zeromile().args(&args).output().unwrap();
    assert_rejected(&o, &["smoke_short differ in horizon", "--allow-unpaired"]);
    assert!(!unpaired.dir.join("refused").exists());

    let allow = ["--allow-unpaired", "--no-plots"];
    let shards: Vec<PathBuf> = (0..2).map(|k| unpaired.shard(k, 2, &format!("u-{k}"), &allow)).collect();
    let merged = unpaired.dir.join("merged");
    let o = merge(&shards, &merged);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    args = unpaired.run_args(&unpaired.dir.join("whole"), &allow);
    run_ok(&args);
    for dir in [&merged, &unpaired.dir.join("whole")] {
        assert!(!dir.join("deltas.csv").exists(), "{}: deltas.csv of unpaired scenarios", dir.display());
    }
    assert_eq!(read(&merged.join("summary.csv")), read(&unpaired.dir.join("whole/summary.csv")));

    let slurm = |extra: &[&str]| {
        let mut c = zeromile();
        c.arg("slurm").args(&unpaired.scenarios).args(["--shards", "2"]).args(extra);
        c.arg("--output-dir").arg(unpaired.dir.join("o"));
        c.output().unwrap()
    };
    assert_rejected(&slurm(&[]), &["differ in horizon", "--allow-unpaired"]);
    let o = slurm(&["--allow-unpaired"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains(" --allow-unpaired "), "the shard runs get the flag");
}
