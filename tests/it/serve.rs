//! `zeromile serve` over HTTP: a server on port 0 in this process, driven with plain requests on a
//! `TcpStream`. Every endpoint, the refusals (bad JSON, out-of-range values, unknown levers, a
//! path or `extends` smuggled in, oversized bodies, a full queue), a quick run of the smoke
//! scenario, and the downloaded scenarios run through `app::run` to the job's numbers.

use crate::util::{root, rows, smoke_variant, zeromile};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zeromile::serve::{ServeConfig, Server};

fn start(queue: usize) -> Server {
    start_on(root().join("scenarios/smoke.toml"), queue)
}

fn start_on(scenario: PathBuf, queue: usize) -> Server {
    let config = ServeConfig { scenario, port: 0, queue, ..ServeConfig::default() };
    Server::start(&config).unwrap()
}

/// The header of a JSON body.
const JSON_TYPE: &str = "Content-Type: application/json\r\n";

/// One HTTP/1.1 request (closed after the answer): status, headers and body.
fn http(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{headers}\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading all of a large body.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let status =
        head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("bad status line: {head}"));
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    (status, head.to_string(), body)
}

/// The body of a chunked answer (large ones are sent so).
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, tail) = rest.split_once("\r\n").expect("chunk size line");
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            return out;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = http(addr, "GET", path, "", b"");
    (status, body)
}

fn post(addr: SocketAddr, body: &str) -> (u16, Value) {
    let (status, _, text) =
        http(addr, "POST", "/api/run", &format!("{JSON_TYPE}Content-Length: {}\r\n", body.len()), body.as_bytes());
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// Polls run `id` until it is done; its result.
fn wait(addr: SocketAddr, id: u64) -> Value {
    let start = Instant::now();
    loop {
        let (status, body) = get(addr, &format!("/api/jobs/{id}"));
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        match v["state"].as_str() {
            Some("done") => return v["result"].clone(),
            Some("failed") => panic!("run {id} failed: {v}"),
            _ => {}
        }
        assert!(start.elapsed() < Duration::from_secs(300), "run {id} did not finish: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_endpoint_answers() {
    let server = start(2);
    let addr = server.addr();
    let (status, page) = get(addr, "/");
    assert_eq!(status, 200);
    assert!(page.contains("<html") && page.contains("app.js"), "{page}");
    assert!(!page.contains("http://") && !page.contains("https://"), "the page loads nothing from elsewhere");
    let (status, head, script) = http(addr, "GET", "/app.js", "", b"");
    assert_eq!(status, 200);
    assert!(head.contains("text/javascript"), "{head}");
    assert!(script.contains("/api/run"));
    assert_eq!(get(addr, "/style.css").0, 200);

    let (status, body) = get(addr, "/api/levers");
    assert_eq!(status, 200);
    let levers: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(levers["scenario"]["name"], "smoke");
    assert_eq!(levers["lessons"].as_array().unwrap().len(), 3, "three ready lessons");
    let first = &levers["levers"][0];
    for key in ["id", "label", "group", "min", "max", "unit", "meaning", "default", "valid_range"] {
        assert!(!first[key].is_null(), "lever field {key} missing: {first}");
    }
    assert!(levers["events"].as_array().unwrap().iter().any(|e| e["id"] == "zero_mileage_ban"));
    assert_eq!(levers["caps"]["replicates"], 200);

    assert_eq!(get(addr, "/nothing").0, 404);
    assert_eq!(get(addr, "/api/jobs/99").0, 404);
    assert_eq!(get(addr, "/api/jobs/x").0, 404);
    assert_eq!(get(addr, "/api/run").0, 405);
    assert_eq!(http(addr, "POST", "/api/levers", "Content-Length: 0\r\n", b"").0, 405);
    assert_eq!(get(addr, "/api/scenario?job=99").0, 404);
    assert_eq!(get(addr, "/api/scenario?path=/etc/passwd").0, 400);
}

#[test]
fn bad_requests_are_refused_next_to_their_field() {
    let server = start(2);
    let addr = server.addr();
    let refused = |body: &str, field: Option<&str>, words: &str| {
        let (status, v) = post(addr, body);
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(v["field"].as_str(), field, "{body}: {v}");
        let message = v["error"].as_str().unwrap();
        assert!(message.contains(words), "{body}: {message:?} lacks {words:?}");
    };
    refused("{bad", None, "not JSON");
    refused("[1, 2]", None, "not a run request");
    refused("", None, "not JSON");
    // The CLI's validation message for a value outside the validated range.
    refused(
        r#"{"levers": {"wait_horizon": 50}}"#,
        Some("levers.wait_horizon"),
        "`consumers.wait_horizon_months`: expected",
    );
    refused(r#"{"levers": {"holding_months": 6.5}}"#, Some("levers.holding_months"), "whole number");
    // Valid for the CLI, outside the teaching range.
    refused(r#"{"levers": {"wait_horizon": 20}}"#, Some("levers.wait_horizon"), "teaching range");
    refused(r#"{"levers": {"no_such": 1}}"#, Some("levers.no_such"), "no lever is named `no_such`");
    // Scenario keys that are not curated levers, paths and `extends` as names or values.
    refused(r#"{"levers": {"consumers.agents": 100}}"#, Some("levers.consumers.agents"), "no lever is named");
    refused(r#"{"levers": {"extends": 1}}"#, Some("levers.extends"), "no lever is named `extends`");
    refused(r#"{"levers": {"../../etc/passwd": 1}}"#, Some("levers.../../etc/passwd"), "no lever is named");
    refused(r#"{"levers": {"foreign_discount": "/etc/passwd"}}"#, Some("levers.foreign_discount"), "expected");
    refused(r#"{"levers": {"foreign_discount": "../baseline.toml"}}"#, Some("levers.foreign_discount"), "found text");
    refused(r#"{"extends": "baseline.toml"}"#, Some("extends"), "unknown field `extends`");
    refused(r#"{"scenario": "x = 1"}"#, Some("scenario"), "unknown field");
    refused(
        r#"{"events": {"zero_mileage_ban": {"date": "2019-13"}}}"#,
        Some("events.zero_mileage_ban.date"),
        "month 13",
    );
    refused(
        r#"{"events": {"zero_mileage_ban": {"path": "/x"}}}"#,
        Some("events.zero_mileage_ban.path"),
        "unknown field",
    );
    refused(r#"{"events": {"no_such": {"enabled": true}}}"#, Some("events.no_such"), "no event is named");
    refused(r#"{"replicates": 1000}"#, Some("replicates"), "from 1 to 200");
    refused(r#"{"replicates": 0}"#, Some("replicates"), "from 1 to 200");
    refused(r#"{"replicates": -5}"#, Some("replicates"), "expected");
    refused(r#"{"seed": 9223372036854775808}"#, Some("seed"), "`seed`");
    refused(r#"{"quality": "slow"}"#, Some("quality"), "quick");
    // Nothing refused was queued.
    assert_eq!(get(addr, "/api/jobs/1").0, 404);
}

#[test]
fn oversized_bodies_are_413() {
    let server = start(2);
    let addr = server.addr();
    let big = format!(r#"{{"levers": {{}}, "pad": "{}"}}"#, "x".repeat(70 * 1024));
    let (status, v) = post(addr, &big);
    assert_eq!(status, 413, "{v}");
    assert!(v["error"].as_str().unwrap().contains("65536 bytes"), "{v}");
    // A declared length over the cap is refused before the body is read.
    let (status, _, body) = http(addr, "POST", "/api/run", &format!("{JSON_TYPE}Content-Length: 100000000\r\n"), b"{}");
    assert_eq!(status, 413, "{body}");
    // Chunked, without a length.
    let chunk = format!("{:x}\r\n{}\r\n0\r\n\r\n", big.len(), big);
    let (status, _, body) =
        http(addr, "POST", "/api/run", &format!("{JSON_TYPE}Transfer-Encoding: chunked\r\n"), chunk.as_bytes());
    assert_eq!(status, 413, "{body}");
    // The server still answers.
    assert_eq!(get(addr, "/api/levers").0, 200);
    // A run request is JSON (so another site's page cannot post one without asking).
    let (status, _, body) = http(addr, "POST", "/api/run", "Content-Type: text/plain\r\nContent-Length: 2\r\n", b"{}");
    assert_eq!(status, 415, "{body}");
}

#[test]
fn levers_files_are_checked_against_the_scenario_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root().join("scenarios/classroom/levers.toml")).unwrap();
    let refused = |edit: (&str, &str), words: &[&str]| {
        assert!(shipped.contains(edit.0), "{}", edit.0);
        let path = dir.path().join("levers.toml");
        std::fs::write(&path, shipped.replacen(edit.0, edit.1, 1)).unwrap();
        let config = ServeConfig {
            scenario: root().join("scenarios/baseline.toml"),
            levers: Some(path),
            port: 0,
            ..ServeConfig::default()
        };
        let e = zeromile::serve::classroom(&config).unwrap_err();
        assert!(e.is_bad_input(), "{e}");
        let text = e.to_string();
        for w in words {
            assert!(text.contains(w), "{text:?} lacks {w:?}");
        }
    };
    // A teaching range beyond the validated range, with the file's line.
    refused(
        ("max = 12.0\nstep = 0.5", "max = 40.0\nstep = 0.5"),
        &["levers.toml:", "levers[0].max", "validated range"],
    );
    refused(("keys = [\"consumers.attention_mean\"]", "keys = [\"consumers.attention\"]"), &["levers[1]", "no key"]);
    refused(("agents = 50000", "agents = 5000000"), &["quality.quick.agents", "page's cap"]);
    refused(
        ("backlash_strength = 0.25\n", "backlash_strength = 0.9\n"),
        &["lessons[2].levers.backlash_strength", "teaching range"],
    );
    refused(("vehicles_per_month = 0.0\n", ""), &["events[0].define", "vehicles_per_month"]);
    refused(
        ("look_for = \"Utilisation", "colour = 1\nlook_for = \"Utilisation"),
        &["lessons[1].colour", "unknown key"],
    );
    // The shipped file serves the shipped scenarios it is meant for.
    for file in ["baseline.toml", "smoke.toml", "hard_budget.toml", "foreign_backlash.toml"] {
        let config = ServeConfig { scenario: root().join("scenarios").join(file), port: 0, ..ServeConfig::default() };
        zeromile::serve::classroom(&config).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn the_command_warns_off_loopback_and_refuses_a_bad_levers_file() {
    use std::io::BufRead;
    let mut child = zeromile()
        .args(["serve", "scenarios/smoke.toml", "--port", "0", "--bind", "0.0.0.0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("classroom page of");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = lines.join("\n");
    assert!(text.contains("warning: listening on 0.0.0.0"), "{text}");
    assert!(text.contains("http://0.0.0.0:"), "{text}");

    let out = zeromile().args(["serve", "scenarios/smoke.toml", "--levers", "Cargo.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Cargo.toml"), "{err}");
}

#[test]
fn a_full_queue_is_429_and_the_server_stays_responsive() {
    // A run long enough to be in progress while the test asks (it is stopped, not finished).
    let dir = tempfile::tempdir().unwrap();
    let slow = smoke_variant(dir.path(), "slow", "end = \"2022-12\"\n[consumers]\nagents = 20000\n");
    let server = start_on(slow, 1);
    let addr = server.addr();
    let (status, v) = post(addr, r#"{"replicates": 200, "seed": 11}"#);
    assert_eq!(status, 202, "{v}");
    let (status, v) = post(addr, r#"{"replicates": 2, "seed": 12}"#);
    assert_eq!(status, 429, "{v}");
    assert!(v["error"].as_str().unwrap().contains("try again"), "{v}");
    // Other requests are answered at once while the run goes on.
    let t = Instant::now();
    assert_eq!(get(addr, "/api/levers").0, 200);
    let (status, body) = get(addr, "/api/jobs/1");
    assert_eq!(status, 200);
    assert!(t.elapsed() < Duration::from_secs(5), "answers took {:?}", t.elapsed());
    let state: Value = serde_json::from_str(&body).unwrap();
    assert!(["queued", "running"].contains(&state["state"].as_str().unwrap()), "{state}");
    // Dropping the server stops the run without waiting for it.
    let t = Instant::now();
    drop(server);
    assert!(t.elapsed() < Duration::from_secs(60), "stopping took {:?}", t.elapsed());
}

/// The mean of `metric` at `date` of `scenario` in a `summary.csv` or `deltas.csv`.
fn csv_mean(path: &std::path::Path, scenario: &str, date: &str, metric: &str) -> f64 {
    let row = rows(path)
        .into_iter()
        .find(|r| &r[0] == scenario && &r[2] == date && &r[3] == metric)
        .unwrap_or_else(|| panic!("no row {scenario} {date} {metric} in {}", path.display()));
    row[4].parse().unwrap()
}

#[test]
fn a_quick_run_and_its_downloaded_scenarios_give_the_same_numbers() {
    let server = start(2);
    let addr = server.addr();
    let request = json!({
        "levers": {"foreign_discount": 0.3, "backlash_strength": 0.3},
        "events": {"zero_mileage_ban": {"enabled": true, "date": "2019-10"}},
        "replicates": 3,
        "quality": "quick",
    });
    let (status, v) = post(addr, &request.to_string());
    assert_eq!(status, 202, "{v}");
    let id = v["id"].as_u64().unwrap();
    let result = wait(addr, id);
    let dates: Vec<&str> = result["dates"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(dates.len(), 18);
    assert_eq!(result["replicates"], 3);
    assert_eq!(result["baseline_cached"], false);
    for m in [
        "avg_transaction_price",
        "avg_discount",
        "new_car_exports",
        "zero_mileage_exports",
        "utilization",
        "consumers_waiting_share",
    ] {
        for side in ["baseline", "changed", "difference"] {
            for stat in ["mean", "p05", "p95"] {
                assert_eq!(result["metrics"][m][side][stat].as_array().map(Vec::len), Some(18), "{m}.{side}.{stat}");
            }
        }
    }
    // The ban changes zero-mileage exports after 2019-10.
    let zm = &result["metrics"]["zero_mileage_exports"];
    let last = zm["changed"]["mean"][17].as_f64().unwrap();
    assert_eq!(last, 0.0, "a ban leaves no zero-mileage exports");

    // The downloaded scenarios run through the library to the job's numbers.
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for which in ["baseline", "changed"] {
        let (status, head, text) = http(addr, "GET", &format!("/api/scenario?job={id}&which={which}"), "", b"");
        assert_eq!(status, 200, "{text}");
        assert!(head.contains("attachment"), "{head}");
        assert!(
            text.contains("seed = 7") && text.contains("replicates = 3") && text.contains("agents = 3000"),
            "{text}"
        );
        let path = dir.path().join(format!("{which}.toml"));
        std::fs::write(&path, &text).unwrap();
        files.push(path);
    }
    let out = dir.path().join("out");
    let job = zeromile::app::run::RunJob { scenarios: files, out: out.clone(), ..Default::default() };
    zeromile::app::run::run(&job, &zeromile::app::Silent).unwrap();
    let names = result["scenarios"].as_array().unwrap();
    let (base, changed) = (names[0].as_str().unwrap(), names[1].as_str().unwrap());
    for m in ["avg_transaction_price", "zero_mileage_exports", "utilization", "consumers_waiting_share"] {
        for (i, date) in dates.iter().enumerate() {
            let page = &result["metrics"][m];
            // The CSV files hold 10 significant digits (README, Output files); the page holds
            // the full value.
            let at = |side: &str| as_written(page[side]["mean"][i].as_f64().unwrap());
            assert_eq!(at("baseline"), csv_mean(&out.join("summary.csv"), base, date, m), "{m} {date}");
            assert_eq!(at("changed"), csv_mean(&out.join("summary.csv"), changed, date, m), "{m} {date}");
            assert_eq!(at("difference"), csv_mean(&out.join("deltas.csv"), changed, date, m), "{m} {date}");
        }
    }

    // The unchanged scenario is cached per (seed, replicates, agents).
    let (status, v) = post(addr, &json!({"levers": {"attention": 0.8}, "replicates": 3}).to_string());
    assert_eq!(status, 202, "{v}");
    let again = wait(addr, v["id"].as_u64().unwrap());
    assert_eq!(again["baseline_cached"], true);
    assert_eq!(again["metrics"]["utilization"]["baseline"], result["metrics"]["utilization"]["baseline"]);
}

/// The p-th percentile (0-100, nearest rank) of `xs` in milliseconds.
fn percentile_ms(xs: &mut [Duration], p: f64) -> f64 {
    xs.sort();
    let i = ((p / 100.0) * xs.len() as f64).ceil().max(1.0) as usize - 1;
    xs[i.min(xs.len() - 1)].as_secs_f64() * 1e3
}

/// The load test of docs/performance.md: 20 clients at once on loopback against the baseline,
/// each loading the page 10 times and running one quick run with its own lever value (retrying
/// after a second when the queue is full), then checking it got its own run back. Run with
/// `cargo test --release --test tests serve_load -- --ignored --nocapture`.
#[test]
#[ignore = "a load test of a few minutes; see docs/performance.md"]
fn serve_load_20_clients() {
    const CLIENTS: usize = 20;
    let server = start_on(root().join("scenarios/baseline.toml"), zeromile::scenario::limits::SERVE_MAX_QUEUE);
    let addr = server.addr();
    let started = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|c| {
            std::thread::spawn(move || {
                let mut pages = Vec::new();
                for _ in 0..10 {
                    let t = Instant::now();
                    let (status, body) = get(addr, "/");
                    assert_eq!(status, 200);
                    assert!(body.contains("<html"));
                    pages.push(t.elapsed());
                }
                let attention = 0.1 + 0.04 * c as f64;
                let request = json!({"levers": {"attention": attention}, "quality": "quick"}).to_string();
                let t = Instant::now();
                let mut refused = 0;
                let id = loop {
                    let (status, v) = post(addr, &request);
                    match status {
                        202 => break v["id"].as_u64().unwrap(),
                        429 => refused += 1,
                        _ => panic!("client {c}: {status} {v}"),
                    }
                    std::thread::sleep(Duration::from_secs(1));
                };
                let result = wait(addr, id);
                let run = t.elapsed();
                assert_eq!(
                    result["request"]["levers"]["attention"].as_f64(),
                    Some(attention),
                    "client {c} got another run"
                );
                (pages, run, refused, id)
            })
        })
        .collect();
    let mut pages = Vec::new();
    let mut runs = Vec::new();
    let mut refused = 0;
    let mut ids = Vec::new();
    for h in handles {
        let (p, r, n, id) = h.join().unwrap();
        pages.extend(p);
        runs.push(r);
        refused += n;
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), CLIENTS, "every client got its own run");
    let wall = started.elapsed();
    assert!(wall < Duration::from_secs(600), "took {wall:?}");
    println!(
        "load: {CLIENTS} clients, {} page requests: p50 {:.1} ms, p95 {:.1} ms; {CLIENTS} quick runs (baseline, 50,000 \
         agents, 10 replicates): p50 {:.1} s, p95 {:.1} s from first POST to result; {refused} POSTs answered 429 and \
         retried; wall {:.1} s",
        pages.len(),
        percentile_ms(&mut pages, 50.0),
        percentile_ms(&mut pages, 95.0),
        percentile_ms(&mut runs, 50.0) / 1e3,
        percentile_ms(&mut runs, 95.0) / 1e3,
        wall.as_secs_f64()
    );
}

/// `x` as the CSV files write it: rounded to 10 significant digits.
fn as_written(x: f64) -> f64 {
    format!("{x:.9e}").parse().unwrap()
}
