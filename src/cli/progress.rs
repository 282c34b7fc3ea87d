//! The binary's [`Progress`]: on a terminal an indicatif bar on stderr; with stderr piped (a batch
//! job, a notebook cell) a line on stderr at most every [`DEFAULT_EVERY_S`] seconds
//! (`ZEROMILE_PROGRESS_EVERY` seconds when set); nothing with `--quiet`. Status lines go to
//! stderr unless quiet; warnings always.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeromile::app::Progress;

/// Seconds between progress lines when stderr is not a terminal.
pub(super) const DEFAULT_EVERY_S: f64 = 10.0;
/// The environment variable that sets the seconds between progress lines (0: every step).
pub(super) const EVERY_ENV: &str = "ZEROMILE_PROGRESS_EVERY";

/// Progress as lines, for a stderr that is not a terminal.
struct Lines {
    total: u64,
    unit: String,
    started: Instant,
    last: Option<Instant>,
    every: Duration,
}

impl Lines {
    fn new(total: u64, unit: &str) -> Lines {
        let every = std::env::var(EVERY_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(DEFAULT_EVERY_S);
        Lines {
            total,
            unit: unit.to_string(),
            started: Instant::now(),
            last: None,
            every: Duration::from_secs_f64(every),
        }
    }

    /// The line for `done` items, when one is due.
    fn line(&mut self, done: u64) -> Option<String> {
        let now = Instant::now();
        let due = self.last.map_or(now.duration_since(self.started), |l| now.duration_since(l));
        if due < self.every || done == 0 {
            return None;
        }
        self.last = Some(now);
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let eta = elapsed * self.total.saturating_sub(done) as f64 / done as f64;
        Some(format!("{done}/{} {}, {} elapsed, ETA {}", self.total, self.unit, clock(elapsed), clock(eta)))
    }
}

/// `1h02m03s`, `2m05s`, `7s`.
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, sec) => format!("{h}h{m:02}m{sec:02}s"),
    }
}

/// A progress bar over `len` items called `unit`, hidden when quiet or not on a terminal.
fn progress_bar_with(len: u64, visible: bool, unit: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{elapsed}} elapsed, ETA {{eta}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// See the module documentation.
pub(super) struct Bar {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
    lines: Mutex<Option<Lines>>,
}

impl Bar {
    pub(super) fn new(quiet: bool) -> Self {
        Bar { quiet, bar: Mutex::new(None), lines: Mutex::new(None) }
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.bar.lock() {
            if let Some(bar) = guard.as_ref() {
                f(bar);
            }
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, unit: &str) {
        let terminal = std::io::stderr().is_terminal();
        if let Ok(mut guard) = self.bar.lock() {
            *guard = Some(progress_bar_with(total, !self.quiet && terminal, unit));
        }
        if let Ok(mut guard) = self.lines.lock() {
            *guard = (!self.quiet && !terminal).then(|| Lines::new(total, unit));
        }
    }

    fn advance(&self, done: u64) {
        self.with(|b| b.set_position(done));
        if let Ok(mut guard) = self.lines.lock() {
            if let Some(line) = guard.as_mut().and_then(|l| l.line(done)) {
                eprintln!("{line}");
            }
        }
    }

    fn finish(&self) {
        self.with(ProgressBar::finish_and_clear);
        if let Ok(mut guard) = self.lines.lock() {
            *guard = None;
        }
    }

    fn message(&self, text: &str) {
        if !self.quiet {
            let text = text.to_string();
            self.with(|b| b.set_message(text));
        }
    }

    fn note(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    fn warn(&self, line: &str) {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_like_a_clock() {
        assert_eq!(clock(7.4), "7s");
        assert_eq!(clock(125.0), "2m05s");
        assert_eq!(clock(3723.0), "1h02m03s");
    }

    #[test]
    fn lines_are_due_every_interval_with_an_eta() {
        let mut l = Lines::new(100, "replicates");
        l.every = Duration::ZERO;
        assert_eq!(l.line(0), None, "nothing done: no rate, no line");
        let line = l.line(25).unwrap_or_default();
        assert!(line.starts_with("25/100 replicates, ") && line.contains(" elapsed, ETA "), "{line}");
        l.every = Duration::from_secs(3600);
        assert_eq!(l.line(50), None, "not due before the interval");
    }
}
