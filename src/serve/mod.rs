//! `zeromile serve`: the classroom page. A local HTTP server (`tiny_http`, synchronous) serving
//! one page built into the binary and a JSON API that runs what-if experiments through the
//! library. It reads no file but the served scenario and levers file at start, and writes none.
//!
//! | Endpoint | What |
//! |---|---|
//! | `GET /` (and `/app.js`, `/style.css`) | the page |
//! | `GET /api/levers` | the served scenario, levers, events, lessons, quality settings and caps |
//! | `POST /api/run` | a [`RunRequest`] → `{"id": …}` (202), or a refusal |
//! | `GET /api/jobs/<id>` | queued / running (done, total) / done (the series) / failed |
//! | `GET /api/scenario?job=<id>&which=changed\|baseline` | a run's scenario as TOML for `zeromile run` |
//!
//! HTTP threads answer requests while one worker thread runs the queue ([`jobs::Jobs`]); a
//! refusal is JSON `{"error", "field"}` with status 400, 404, 405, 413, 415, 429 or 503.

pub mod jobs;
pub mod levers;
pub mod request;

use crate::error::{Error, Result};
use crate::scenario::limits::{SERVE_MAX_BODY_BYTES, SERVE_MAX_MONTHS, SERVE_MAX_QUEUE, SERVE_MAX_REPLICATES};
use crate::scenario::{self};
pub use levers::{Levers, SHIPPED_LEVERS, SHIPPED_LEVERS_NAME};
pub use request::{Classroom, Plan, Refusal, RunRequest};
use serde_json::{json, Value};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/style.css");

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The served scenario (the unchanged one).
    pub scenario: PathBuf,
    /// A levers file (default: the shipped one, built in).
    pub levers: Option<PathBuf>,
    /// Address to listen on (loopback by default).
    pub bind: IpAddr,
    /// Port (0: any free one).
    pub port: u16,
    /// Runs waiting or running at most (at most [`SERVE_MAX_QUEUE`]).
    pub queue: usize,
    /// Threads answering HTTP requests.
    pub http_threads: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            scenario: PathBuf::from("scenarios/baseline.toml"),
            levers: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            queue: SERVE_MAX_QUEUE,
            http_threads: 4,
        }
    }
}

/// Loads the served scenario and the levers file and checks them against the page's caps.
pub fn classroom(config: &ServeConfig) -> Result<Classroom> {
    let base = scenario::load(&config.scenario, &[])?;
    if base.months() > SERVE_MAX_MONTHS {
        return Err(Error::Usage(format!(
            "{}: {} months is more than the classroom page runs ({SERVE_MAX_MONTHS})",
            config.scenario.display(),
            base.months()
        )));
    }
    let (text, name) = match &config.levers {
        Some(p) => (scenario::input::read_text(p)?, p.clone()),
        None => (SHIPPED_LEVERS.to_string(), PathBuf::from(SHIPPED_LEVERS_NAME)),
    };
    let (levers, changed_base) = Levers::load(&text, &name, &base)?;
    Ok(Classroom { base_text: base.canonical_text(), base, changed_base, levers })
}

/// A running server; dropping it stops it (after the run in progress).
pub struct Server {
    addr: SocketAddr,
    http: Arc<tiny_http::Server>,
    jobs: Arc<jobs::Jobs>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Events of the levers file the served scenario lacks (left off the page).
    pub left_out: Vec<String>,
}

impl Server {
    /// Loads the scenario and levers, binds, and starts the HTTP threads and the worker.
    pub fn start(config: &ServeConfig) -> Result<Server> {
        let classroom = Arc::new(classroom(config)?);
        let queue = config.queue.clamp(1, SERVE_MAX_QUEUE);
        let http = tiny_http::Server::http(SocketAddr::new(config.bind, config.port)).map_err(|e| Error::Io {
            action: "listening on ",
            path: PathBuf::from(format!("{}:{}", config.bind, config.port)),
            error: std::io::Error::other(e.to_string()),
        })?;
        let addr = http.server_addr().to_ip().ok_or_else(|| Error::Usage("not listening on an IP address".into()))?;
        let http = Arc::new(http);
        let jobs = Arc::new(jobs::Jobs::new(queue));
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let worker = Arc::clone(&jobs);
        threads.push(std::thread::spawn(move || worker.work()));
        for _ in 0..config.http_threads.max(1) {
            let (http, jobs, stop, classroom) =
                (Arc::clone(&http), Arc::clone(&jobs), Arc::clone(&stop), Arc::clone(&classroom));
            threads.push(std::thread::spawn(move || loop {
                match http.recv() {
                    Ok(rq) => answer(rq, &classroom, &jobs),
                    Err(_) if stop.load(Ordering::SeqCst) => break,
                    Err(_) => continue,
                }
            }));
        }
        let left_out = classroom.levers.left_out.clone();
        Ok(Server { addr, http, jobs, stop, threads, left_out })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.jobs.shutdown();
        for _ in 0..self.threads.len() {
            self.http.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A response: status, content type, body, extra headers.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply { status, content_type: "application/json", body: v.to_string().into_bytes(), headers: Vec::new() }
    }
    fn text(content_type: &'static str, body: &str) -> Reply {
        Reply { status: 200, content_type, body: body.as_bytes().to_vec(), headers: Vec::new() }
    }
}

impl From<Refusal> for Reply {
    fn from(r: Refusal) -> Reply {
        Reply::json(r.status, &r.to_json())
    }
}

fn answer(mut rq: tiny_http::Request, classroom: &Classroom, jobs: &jobs::Jobs) {
    let reply = route(&mut rq, classroom, jobs).unwrap_or_else(Reply::from);
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    let mut headers = vec![
        ("Content-Type", format!("{}; charset=utf-8", reply.content_type)),
        ("Cache-Control", "no-store".into()),
        ("X-Content-Type-Options", "nosniff".into()),
    ];
    headers.extend(reply.headers);
    for (k, v) in headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response = response.with_header(h);
        }
    }
    // A client that went away is not the server's failure.
    let _ = rq.respond(response);
}

fn route(rq: &mut tiny_http::Request, classroom: &Classroom, jobs: &jobs::Jobs) -> std::result::Result<Reply, Refusal> {
    let url = rq.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let get = *rq.method() == tiny_http::Method::Get || *rq.method() == tiny_http::Method::Head;
    let post = *rq.method() == tiny_http::Method::Post;
    let wrong_method = |allowed: &str| Refusal::new(405, format!("{path} answers {allowed} only"));
    match path {
        "/" | "/index.html" if get => Ok(Reply::text("text/html", PAGE)),
        "/app.js" if get => Ok(Reply::text("text/javascript", SCRIPT)),
        "/style.css" if get => Ok(Reply::text("text/css", STYLE)),
        "/api/levers" if get => Ok(Reply::json(200, &levers_json(classroom, jobs))),
        "/api/run" if post => {
            // A JSON content type makes a browser ask first (CORS preflight, answered 405) before
            // another site's page can post a run here.
            let json = rq.headers().iter().any(|h| {
                h.field.equiv("Content-Type") && h.value.as_str().trim_start().starts_with("application/json")
            });
            if !json {
                return Err(Refusal::new(415, "a run request is JSON: send Content-Type: application/json"));
            }
            let body = read_body(rq)?;
            let plan = classroom.plan(RunRequest::parse(&body)?)?;
            let id = jobs.submit(plan)?;
            Ok(Reply::json(202, &json!({ "id": id, "status": format!("/api/jobs/{id}") })))
        }
        "/api/scenario" if get => scenario_toml(query, jobs),
        "/" | "/index.html" | "/app.js" | "/style.css" | "/api/levers" | "/api/scenario" => Err(wrong_method("GET")),
        "/api/run" => Err(wrong_method("POST")),
        _ => match path.strip_prefix("/api/jobs/") {
            Some(_) if !get => Err(wrong_method("GET")),
            Some(id) => {
                let v = id.parse().ok().and_then(|id| jobs.status_json(id));
                v.map(|v| Reply::json(200, &v))
                    .ok_or_else(|| Refusal::new(404, format!("no run {id:?} (finished runs are kept for a while)")))
            }
            None => Err(Refusal::new(404, format!("nothing at {path}"))),
        },
    }
}

/// The request body, at most [`SERVE_MAX_BODY_BYTES`] (413 beyond).
fn read_body(rq: &mut tiny_http::Request) -> std::result::Result<Vec<u8>, Refusal> {
    let too_big = || Refusal::new(413, format!("a run request is at most {SERVE_MAX_BODY_BYTES} bytes"));
    if rq.body_length().is_some_and(|n| n > SERVE_MAX_BODY_BYTES) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    rq.as_reader()
        .take(SERVE_MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| Refusal::new(400, format!("cannot read the request: {e}")))?;
    if body.len() > SERVE_MAX_BODY_BYTES {
        return Err(too_big());
    }
    Ok(body)
}

/// `GET /api/levers`.
fn levers_json(c: &Classroom, jobs: &jobs::Jobs) -> Value {
    let b = &c.base;
    json!({
        "scenario": {
            "name": b.name, "description": b.description, "start": b.start.to_string(), "end": b.end.to_string(),
            "seed": b.seed, "agents": b.consumers.agents,
        },
        "levers": c.levers.levers,
        "events": c.levers.events,
        "lessons": c.levers.lessons,
        "quality": c.levers.quality,
        "charts": jobs::CHART_METRICS.iter().map(|m| json!({"chart": m.0, "metric": m.1, "label": m.2, "unit": m.3})).collect::<Vec<_>>(),
        "schema": scenario::describe().iter().map(|k| json!({"path": k.path, "unit": k.unit, "default": k.default, "range": k.range, "meaning": k.meaning})).collect::<Vec<_>>(),
        "caps": {
            "replicates": SERVE_MAX_REPLICATES, "agents": crate::scenario::limits::SERVE_MAX_AGENTS,
            "months": SERVE_MAX_MONTHS, "body_bytes": SERVE_MAX_BODY_BYTES, "queue": jobs.capacity(),
        },
    })
}

/// `GET /api/scenario?job=<id>&which=changed|baseline`: the run's scenario, resolved, as TOML
/// that `zeromile run` gives the page's numbers for.
fn scenario_toml(query: &str, jobs: &jobs::Jobs) -> std::result::Result<Reply, Refusal> {
    let mut id = None;
    let mut which = "changed";
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("job", v)) => id = v.parse::<u64>().ok(),
            Some(("which", "changed")) => which = "changed",
            Some(("which", "baseline")) => which = "baseline",
            _ => {
                return Err(Refusal::new(
                    400,
                    format!("unknown parameter {pair:?}: expected job=<id> and which=changed|baseline"),
                ))
            }
        }
    }
    let id = id.ok_or_else(|| Refusal::field("job", "expected job=<the run's id>"))?;
    let plan = jobs.plan(id).ok_or_else(|| Refusal::new(404, format!("no run {id}")))?;
    let scenario = if which == "baseline" { &plan.baseline } else { &plan.changed };
    let safe: String = scenario.name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')).collect();
    let file = format!("{safe}.toml");
    let header = format!(
        "# Written by `zeromile serve`: the {which} scenario of run {id} (seed {}, {} replicates, {} agents).\n\
         # Every key is resolved; `zeromile run` gives the page's numbers:\n\
         #   zeromile run {}.toml {}.toml -o out/classroom\n\
         # (the unchanged scenario first: deltas.csv holds the paired difference the page draws).\n",
        plan.key.seed, plan.key.replicates, plan.key.agents, plan.baseline.name, plan.changed.name
    );
    let mut reply = Reply::text("application/toml", &(header + &scenario.canonical_text()));
    reply.headers.push(("Content-Disposition", format!("attachment; filename=\"{file}\"")));
    Ok(reply)
}
