//! Fuzzing the input parsers in-process on stable Rust (issue 15, item 5): proptest mutates the
//! shipped scenario, sweep, targets and calibration files (byte and bit flips, bytes that are
//! not UTF-8, truncation, deleted and duplicated lines, type swaps, huge and tiny numbers, deep
//! nesting, long keys and strings, duplicate tables) and generates `--set` strings from
//! `zeromile describe`'s keys. Every case must obey one rule:
//!
//! - valid input: loading succeeds, and a scenario then runs one replicate cut to at most three
//!   months with few agents (`--set` overrides; the horizon and agent caps are checked by the
//!   loaders, not here); a sweep also builds its first and last point's scenarios;
//! - invalid input: refused with bad input (`Error::is_bad_input`, exit code 2) and a
//!   positioned message, naming the file (a line where one is known) or the key;
//! - never a panic, an I/O-class error (exit 1) for a regular file, or a case slower than
//!   [`case_limit`]. An abort (stack overflow, failed allocation) ends the test process: set
//!   `ZEROMILE_FUZZ_TRACE=1` to print each case before it runs.
//!
//! The runs are deterministic (a fixed proptest seed per test), so a failure reproduces. The
//! default suite runs [`DEFAULT_CASES`] cases per parser; the `#[ignore]`d `*_10k` tests run
//! [`LONG_CASES`]: `cargo test --release --test tests fuzz -- --ignored --nocapture`.

#[path = "fuzz_mutate.rs"]
mod mutate;

use mutate::{describe_change, ops, set_strings, Op, SetString};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use zeromile::engine::{run_one_with, seed::replicate_key};
use zeromile::model::consumer::Sequential;
use zeromile::scenario::{self, Scenario};
use zeromile::sweep::{calibrate, spec, targets::TargetFile};
use zeromile::Error;

/// Cases per parser in the default suite.
const DEFAULT_CASES: u32 = 300;
/// Cases per parser in the `#[ignore]`d long runs.
const LONG_CASES: u32 = 10_000;

/// The longest a case may take before it counts as a hang: 5 s in an optimised build, more in
/// a debug build (about ten times slower).
fn case_limit() -> Duration {
    Duration::from_secs(if cfg!(debug_assertions) { 120 } else { 5 })
}

/// The input parsers fuzzed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `scenario::load` (and `scenario::from_str` where the text is UTF-8).
    Scenario,
    /// `sweep::spec::load`.
    Sweep,
    /// `sweep::targets::TargetFile::load`, then `resolve` against the smoke scenario.
    Targets,
    /// `sweep::calibrate::load`.
    Calibration,
}

/// A shipped file mutations start from: its folder under `scenarios/` and its bytes.
#[derive(Debug)]
struct SeedFile {
    name: String,
    folder: PathBuf,
    bytes: Vec<u8>,
}

/// What a test's cases share: a copy of `scenarios/` (so files that `extends` or name a base
/// find it beside them), the seed files, the smoke scenario and the `--set` vocabulary.
struct Ctx {
    /// Holds the copy of `scenarios/` alive.
    _dir: tempfile::TempDir,
    /// The copy's root (canonical, as error messages write it).
    root: PathBuf,
    seeds: Vec<SeedFile>,
    smoke: Scenario,
    smoke_path: PathBuf,
    /// `zeromile describe`'s key paths and their defaults (as TOML values where they are one).
    keys: Vec<String>,
    defaults: Vec<String>,
    /// Element ids to put between brackets: the smoke scenario's markets and events, and wrong ones.
    ids: Vec<String>,
    stats: Mutex<Stats>,
}

/// What the cases of one test did.
#[derive(Debug, Default)]
struct Stats {
    cases: u64,
    valid: u64,
    refused: std::collections::BTreeMap<&'static str, u64>,
    /// The first message of each refusal class.
    examples: std::collections::BTreeMap<&'static str, String>,
    non_finite_runs: u64,
    /// `--set` strings accepted although their key path is malformed (an unbalanced or stray
    /// bracket) or names `extends` (which `--set` cannot change): not failures of the rule,
    /// reported as findings.
    accepted_nonsense: u64,
    accepted_nonsense_example: String,
    slowest: Duration,
    slowest_case: String,
}

fn copy_tomls(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            copy_tomls(&p, &to.join(p.file_name().unwrap()));
        } else if p.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

impl Ctx {
    fn new(kind: Kind) -> Arc<Ctx> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        copy_tomls(&crate::util::root().join("scenarios"), &root.join("scenarios"));
        let folders: &[&str] = match kind {
            Kind::Scenario => &["", "ablations"],
            Kind::Sweep => &["sweeps"],
            Kind::Targets => &["targets"],
            Kind::Calibration => &["calibration"],
        };
        let mut seeds = Vec::new();
        for f in folders {
            let folder = root.join("scenarios").join(f);
            let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for p in files {
                let name = p.strip_prefix(&root).unwrap().display().to_string();
                seeds.push(SeedFile { name, folder: folder.clone(), bytes: std::fs::read(&p).unwrap() });
            }
        }
        assert!(!seeds.is_empty(), "no seed files for {kind:?}");
        let smoke_path = root.join("scenarios/smoke.toml");
        let smoke = scenario::load(&smoke_path, &[]).unwrap();
        let docs = scenario::describe();
        let keys: Vec<String> = docs.iter().map(|k| k.path.clone()).collect();
        let defaults: Vec<String> = docs.iter().map(|k| k.default.clone()).collect();
        let mut ids: Vec<String> = smoke.markets.iter().map(|m| m.id.clone()).collect();
        ids.extend(smoke.events.iter().map(|e| e.id.clone()));
        ids.extend(["", "nope", "0", "russia]", "[", "kind=tariff", "russia.tariff", " russia "].map(String::from));
        Arc::new(Ctx { _dir: dir, root, seeds, smoke, smoke_path, keys, defaults, ids, stats: Mutex::default() })
    }

    fn count_refusal(&self, class: &'static str, e: &Error) {
        let mut st = self.stats.lock().unwrap();
        *st.refused.entry(class).or_default() += 1;
        st.examples.entry(class).or_insert_with(|| e.to_string().chars().take(200).collect());
    }

    fn count_valid(&self) {
        self.stats.lock().unwrap().valid += 1;
    }
}

/// Checks a refusal: bad input (exit code 2) with a positioned message. Returns its class
/// for the statistics: where the message points.
fn refusal(e: &Error, root: &Path, file_root: bool) -> Result<&'static str, String> {
    match e {
        Error::Context { source, .. } => refusal(source, root, file_root),
        Error::Io { .. } => Err(format!("an I/O-class error (exit 1) for input in regular files: {e}")),
        _ if !e.is_bad_input() => Err(format!("not bad input (exit 1): {e}")),
        Error::Scenario { location, key, message } => {
            if message.trim().is_empty() {
                return Err(format!("an empty message: {e}"));
            }
            match &location.file {
                Some(f) if f == Path::new("<string>") => Ok("string, key"),
                Some(f) if !f.starts_with(root) => Err(format!("names a file that is not an input: {e}")),
                Some(_) if location.line > 0 => Ok("file:line:column, key"),
                Some(_) => Ok("file, key"),
                None if key.trim().is_empty() => Err(format!("names neither a file nor a key: {e:?}")),
                None if file_root => Ok("key only (\"command line\")"),
                None => Ok("command line, key"),
            }
        }
        Error::Data { .. } => Err(format!("a damaged-output error for an input file: {e}")),
        Error::Usage(m) => {
            if m.contains(&root.display().to_string()) {
                Ok("usage, names the file")
            } else {
                Err(format!("a usage error that names no file: {e}"))
            }
        }
    }
}

/// The smoke-sized overrides for a valid scenario `s`: one replicate of at most three months,
/// at most 500 household agents and 500 traders, at most 6 burn-in months.
fn tiny(s: &Scenario) -> Vec<String> {
    let months = s.months().min(3) as i64;
    let mut o = vec![format!("end=\"{}\"", s.start.offset(months - 1)), "replicates=1".to_string()];
    if s.consumers.agents > 500 {
        // The households represented are kept where the resolution rule's range allows, so a
        // file that wrote households_per_agent for many agents is not refused for the cut.
        let per_agent = (s.consumers.households_per_agent * s.consumers.agents as f64 / 500.0).clamp(1.0, 1.0e7);
        o.push("consumers.agents=500".into());
        o.push(format!("consumers.households_per_agent={per_agent:?}"));
    }
    if s.exporters.pool > 500 {
        o.push("exporters.pool=500".into());
    }
    if s.consumers.warmup_months > 6 {
        o.push("consumers.warmup_months=6".into());
    }
    o
}

/// Loads `path` with `overrides` plus [`tiny`] and runs one replicate.
fn tiny_run(ctx: &Ctx, path: &Path, overrides: &[String], s: &Scenario) -> Result<(), String> {
    let mut o = overrides.to_vec();
    o.extend(tiny(s));
    let t = scenario::load(path, &o).map_err(|e| format!("valid, but refused once cut to a tiny run ({o:?}): {e}"))?;
    let traj = run_one_with(&t, replicate_key(t.seed, 0), &Sequential);
    if traj.months() != t.months() {
        return Err(format!("the tiny run gave {} months, expected {}", traj.months(), t.months()));
    }
    if traj.values.iter().any(|v| !v.is_finite()) {
        ctx.stats.lock().unwrap().non_finite_runs += 1;
    }
    Ok(())
}

/// One file case: the seed file `seed` with `ops` applied, written beside the seed.
fn file_case(ctx: &Ctx, kind: Kind, seed: usize, ops: &[Op]) -> Result<(), String> {
    let seed = &ctx.seeds[seed];
    check_file(ctx, kind, &seed.folder, &mutate::apply(&seed.bytes, ops)).map(drop)
}

/// Writes `bytes` as `fuzz_case.toml` in `folder` and checks the rule for the loader of
/// `kind`. Returns the refusal's message, or `None` when the input was valid.
fn check_file(ctx: &Ctx, kind: Kind, folder: &Path, bytes: &[u8]) -> Result<Option<String>, String> {
    let path = folder.join("fuzz_case.toml");
    std::fs::write(&path, bytes).unwrap();
    let ok = match kind {
        Kind::Scenario => {
            if let Ok(text) = std::str::from_utf8(bytes) {
                if let Err(e) = scenario::from_str(text, &[]) {
                    refusal(&e, &ctx.root, true).map_err(|m| format!("from_str: {m}"))?;
                }
            }
            scenario::load(&path, &[]).map(|s| tiny_run(ctx, &path, &[], &s))
        }
        Kind::Sweep => spec::load(&path).map(|sw| {
            let last = sw.points().saturating_sub(1);
            for p in [0, last] {
                sw.scenario(p).map_err(|e| format!("a loaded sweep's point {p} is refused: {e}"))?;
            }
            Ok(())
        }),
        // Resolved against the smoke scenario stretched to 12 years, so the shipped targets
        // (2019-2024) resolve and a mutated one is checked the way check-facts checks it.
        Kind::Targets => TargetFile::load(&path).map(|f| {
            match f.resolve(&f.horizon(&Scenario { end: ctx.smoke.start.offset(12 * 12 - 1), ..ctx.smoke.clone() })) {
                Ok(_) => Ok(()),
                Err(e) => refusal(&e, &ctx.root, true).map(|c| ctx.count_refusal(c, &e)),
            }
        }),
        Kind::Calibration => calibrate::load(&path).map(|_| Ok(())),
    };
    match ok {
        Ok(run) => {
            ctx.count_valid();
            run.map(|()| None)
        }
        Err(e) => refusal(&e, &ctx.root, true).map(|c| {
            ctx.count_refusal(c, &e);
            Some(e.to_string())
        }),
    }
}

/// One `--set` case: the smoke scenario with the generated overrides, through `load` and
/// `from_str`.
fn set_case(ctx: &Ctx, sets: &[SetString]) -> Result<(), String> {
    let overrides: Vec<String> = sets.iter().map(|s| s.text(&ctx.keys, &ctx.defaults, &ctx.ids)).collect();
    let text = std::fs::read_to_string(&ctx.smoke_path).unwrap();
    if let Err(e) = scenario::from_str(&text, &overrides) {
        refusal(&e, &ctx.root, false).map_err(|m| format!("from_str: {m}"))?;
    }
    match scenario::load(&ctx.smoke_path, &overrides) {
        Ok(s) => {
            ctx.count_valid();
            if let Some(o) = overrides.iter().find(|o| nonsense(o)) {
                let mut st = ctx.stats.lock().unwrap();
                st.accepted_nonsense += 1;
                if st.accepted_nonsense_example.is_empty() {
                    st.accepted_nonsense_example = o.chars().take(160).collect();
                }
            }
            tiny_run(ctx, &ctx.smoke_path, &overrides, &s)
        }
        Err(e) => refusal(&e, &ctx.root, false).map(|c| ctx.count_refusal(c, &e)),
    }
}

/// Whether the key path of override `o` is malformed (each part `name` or `name[id]`) or is
/// `extends`.
fn nonsense(o: &str) -> bool {
    let path = o.split_once('=').map_or(o, |(p, _)| p).trim();
    path == "extends"
        || path.split('.').any(|part| {
            let (name, rest) = part.split_once('[').unwrap_or((part, ""));
            name.contains(']')
                || (!rest.is_empty() && (!rest.ends_with(']') || rest[..rest.len() - 1].contains(['[', ']'])))
                || (part.contains('[') && rest.is_empty())
        })
}

/// Runs `case` on a thread of its own (the default 2 MiB stack of a spawned thread), turning a
/// panic or a case slower than [`case_limit`] into a failure.
fn guarded<T, F>(ctx: &Arc<Ctx>, input: T, case: F) -> Result<Duration, String>
where
    T: Send + 'static,
    F: FnOnce(&Ctx, &T) -> Result<(), String> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let c = Arc::clone(ctx);
    let started = Instant::now();
    let handle = std::thread::Builder::new()
        .name("fuzz-case".into())
        .stack_size(2 << 20)
        .spawn(move || {
            let r = case(&c, &input);
            let _ = tx.send(r);
        })
        .unwrap();
    match rx.recv_timeout(case_limit()) {
        Ok(r) => {
            let _ = handle.join();
            r.map(|()| started.elapsed())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no answer within {:?}: a hang", case_limit())),
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panicked: {msg}"))
            }
            Ok(()) => Err("the case thread ended without an answer".into()),
        },
    }
}

fn runner(cases: u32, seed: u64) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_time: 60_000,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn trace() -> bool {
    std::env::var_os("ZEROMILE_FUZZ_TRACE").is_some()
}

fn record(ctx: &Ctx, took: Duration, what: impl FnOnce() -> String) {
    let mut st = ctx.stats.lock().unwrap();
    st.cases += 1;
    if took > st.slowest {
        st.slowest = took;
        st.slowest_case = what();
    }
}

fn report(name: &str, ctx: &Ctx, started: Instant) {
    let st = ctx.stats.lock().unwrap();
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s ({} valid; refused: {:?}; runs with non-finite values: {}); slowest case {:.0} ms: {}",
        st.cases,
        started.elapsed().as_secs_f64(),
        st.valid,
        st.refused,
        st.non_finite_runs,
        st.slowest.as_secs_f64() * 1e3,
        st.slowest_case
    );
    if st.accepted_nonsense > 0 {
        eprintln!(
            "  accepted {} times although malformed or `extends`, e.g. --set {:?}",
            st.accepted_nonsense, st.accepted_nonsense_example
        );
    }
    for (class, e) in &st.examples {
        eprintln!("  e.g. {class}: {e}");
    }
}

fn fail<T: Debug>(name: &str, e: TestError<T>) -> ! {
    match e {
        TestError::Fail(why, input) => panic!("fuzz {name}: {why}\nminimal input: {input:#?}"),
        TestError::Abort(why) => panic!("fuzz {name}: aborted: {why}"),
    }
}

/// Fuzzes the parser of `kind` with `cases` mutated files.
fn fuzz_files(kind: Kind, cases: u32, seed: u64) {
    let name = format!("{kind:?} files");
    let ctx = Ctx::new(kind);
    let started = Instant::now();
    let strategy = (0..ctx.seeds.len(), ops());
    let result = runner(cases, seed).run(&strategy, |(seed, ops)| {
        let describe = || {
            let s = &ctx.seeds[seed];
            format!("{}: {}", s.name, describe_change(&s.bytes, &mutate::apply(&s.bytes, &ops), 160))
        };
        if trace() {
            eprintln!("case {}", describe());
        }
        match guarded(&ctx, (seed, ops.clone()), move |c, (s, o): &(usize, Vec<Op>)| file_case(c, kind, *s, o)) {
            Ok(took) => {
                record(&ctx, took, describe);
                Ok(())
            }
            Err(why) => Err(TestCaseError::fail(format!("{why}\nmutation of {}", describe()))),
        }
    });
    report(&name, &ctx, started);
    if let Err(e) = result {
        fail(&name, e);
    }
}

/// Fuzzes `--set` with `cases` lists of generated overrides of the smoke scenario.
fn fuzz_set(cases: u32, seed: u64) {
    let name = "--set strings";
    let ctx = Ctx::new(Kind::Scenario);
    let started = Instant::now();
    let result = runner(cases, seed).run(&set_strings(), |sets| {
        let describe = || {
            let texts: Vec<String> = sets.iter().map(|s| s.text(&ctx.keys, &ctx.defaults, &ctx.ids)).collect();
            let short: Vec<String> = texts.iter().map(|t| t.chars().take(160).collect()).collect();
            format!("{short:?}")
        };
        if trace() {
            eprintln!("case {}", describe());
        }
        match guarded(&ctx, sets.clone(), |c, s: &Vec<SetString>| set_case(c, s)) {
            Ok(took) => {
                record(&ctx, took, describe);
                Ok(())
            }
            Err(why) => Err(TestCaseError::fail(format!("{why}\n--set {}", describe()))),
        }
    });
    report(name, &ctx, started);
    if let Err(e) = result {
        fail(name, e);
    }
}

/// Nesting far beyond the TOML parsers' recursion limit (80 levels of arrays and inline tables,
/// 80 parts of a dotted key, in toml 1.x and toml_edit 0.25 unless their `unbounded` feature is
/// on) is refused by every loader as a positioned syntax error before any recursive code sees
/// it, on a spawned thread's 2 MiB stack; so is a sweep's or calibration's `set` with a key path
/// 100,000 parts deep. If a dependency update lifts the limit, this test fails (or aborts) first.
#[test]
fn deep_nesting_is_refused_by_every_loader() {
    use mutate::{deep, Nest};
    let depth = 100_000;
    let dotted = vec!["a"; depth].join(".");
    let lines = [
        format!("deep = {}", deep(depth, Nest::Array)),
        format!("deep = {}", deep(depth, Nest::InlineTable)),
        format!("deep = {}", deep(depth, Nest::Mixed)),
        format!("deep = {}", deep(depth, Nest::Unclosed)),
        format!("{dotted} = 1"),
        format!("[{dotted}]"),
        format!("[[{dotted}]]"),
    ];
    for kind in [Kind::Scenario, Kind::Sweep, Kind::Targets, Kind::Calibration] {
        let ctx = Ctx::new(kind);
        for (i, line) in lines.iter().enumerate() {
            for at_start in [true, false] {
                let seed = &ctx.seeds[0];
                let mut bytes = seed.bytes.clone();
                if at_start {
                    bytes.splice(0..0, format!("{line}\n").into_bytes());
                } else {
                    bytes.extend(format!("\n{line}\n").into_bytes());
                }
                let (folder, input) = (seed.folder.clone(), bytes);
                let r = guarded(&ctx, (), move |c, ()| check_file(c, kind, &folder, &input).map(drop));
                assert!(r.is_ok(), "{kind:?}, line {i}, at start {at_start}: {r:?}");
            }
        }
        let ctx_stats = ctx.stats.lock().unwrap();
        assert_eq!(ctx_stats.valid, 0, "{kind:?}: deep nesting must be refused");
    }
    let deep_set = format!("set = [\"consumers.{dotted}=1\"]");
    for (kind, header) in [(Kind::Sweep, "[sweep]"), (Kind::Calibration, "[calibration]")] {
        let ctx = Ctx::new(kind);
        let seed = &ctx.seeds[0];
        let text = String::from_utf8(seed.bytes.clone()).unwrap();
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("set ="))
            .map(|l| if l == header { format!("{l}\n{deep_set}\n") } else { format!("{l}\n") })
            .collect();
        let folder = seed.folder.clone();
        let r = guarded(&ctx, (), move |c, ()| {
            let m = check_file(c, kind, &folder, text.as_bytes())?;
            match m {
                Some(m) if m.contains("at most 32 parts") => Ok(()),
                other => Err(format!("expected the deep `set` path refused, got {other:?}")),
            }
        });
        assert!(r.is_ok(), "{kind:?}: {r:?}");
    }
}

#[test]
fn fuzz_scenario_files() {
    fuzz_files(Kind::Scenario, DEFAULT_CASES, 1);
}

#[test]
fn fuzz_sweep_files() {
    fuzz_files(Kind::Sweep, DEFAULT_CASES, 2);
}

#[test]
fn fuzz_targets_files() {
    fuzz_files(Kind::Targets, DEFAULT_CASES, 3);
}

#[test]
fn fuzz_calibration_files() {
    fuzz_files(Kind::Calibration, DEFAULT_CASES, 4);
}

#[test]
fn fuzz_set_strings() {
    fuzz_set(DEFAULT_CASES, 5);
}

#[test]
#[ignore = "long: 10,000 cases; run with --release"]
fn fuzz_scenario_files_10k() {
    fuzz_files(Kind::Scenario, LONG_CASES, 101);
}

#[test]
#[ignore = "long: 10,000 cases; run with --release"]
fn fuzz_sweep_files_10k() {
    fuzz_files(Kind::Sweep, LONG_CASES, 102);
}

#[test]
#[ignore = "long: 10,000 cases; run with --release"]
fn fuzz_targets_files_10k() {
    fuzz_files(Kind::Targets, LONG_CASES, 103);
}

#[test]
#[ignore = "long: 10,000 cases; run with --release"]
fn fuzz_calibration_files_10k() {
    fuzz_files(Kind::Calibration, LONG_CASES, 104);
}

#[test]
#[ignore = "long: 10,000 cases; run with --release"]
fn fuzz_set_strings_10k() {
    fuzz_set(LONG_CASES, 105);
}
