//! Caps on the size of a request, in one place. Each is generous enough that no sensible use is
//! refused and small enough that no input, however mistyped, can make a run allocate without
//! bound, spawn threads for minutes or run for centuries. A capped value is bad input (exit code
//! 2) with a message naming the limit; `validate` applies the same caps as the commands.
//!
//! | What | Cap | Why |
//! |---|---|---|
//! | replicates (scenario, sweep and calibration `replicates`; `--replicates`) | 1,000,000 | 100× the largest shipped use; a shard's bookkeeping is 8 bytes per replicate |
//! | worker threads (`--threads`, `SLURM_CPUS_PER_TASK`) | 8 × available cores | more threads than that only add switching |
//! | `consumers.agents` | 50,000,000 | 20 bytes of state per agent: 1 GB per world in flight, one per thread |
//! | horizon (months from `start` to `end`, inclusive) | 1,200 | 100 years |
//! | `[[events]]` in a scenario (after `extends`) | 100,000 | each month's policy is one pass over them |
//! | files in an `extends` chain | 64 | read iteratively; a longer chain is a mistake |
//!
//! `zeromile serve` answers requests from a browser, so its caps are tighter (and within the
//! ones above, which its scenarios pass through as well):
//!
//! | What | Cap | Why |
//! |---|---|---|
//! | replicates of one page run | 200 | a careful run of 200 replicates takes about a minute on two cores |
//! | `consumers.agents` of a page run (the quick and careful settings) | 200,000 | a run must finish while a class waits |
//! | horizon of the scenario served | 240 months | 20 years: the shipped baseline has 144 |
//! | request body | 64 KiB | a request holds lever values only; the largest real one is under 2 KiB |
//! | runs waiting or running | 8 | beyond that a class waits minutes; the page says to try again |

use super::YearMonth;

/// Most replicates per scenario, sweep point or calibration candidate.
pub const MAX_REPLICATES: u64 = 1_000_000;
/// Most worker threads per available core.
pub const THREADS_PER_CORE: usize = 8;
/// Most consumer agents (`consumers.agents`; the key's range in `describe` ends here too).
pub const MAX_AGENTS: usize = 50_000_000;
/// Most months a run may have (`start` to `end`, both included): 100 years.
pub const MAX_MONTHS: i64 = 1_200;
/// Most `[[events]]` of one scenario, after merging the files it extends.
pub const MAX_EVENTS: usize = 100_000;
/// Most files in an `extends` chain (the scenario itself included).
pub const MAX_EXTENDS_DEPTH: usize = 64;

/// Most replicates of one run of the classroom page (`zeromile serve`).
pub const SERVE_MAX_REPLICATES: u64 = 200;
/// Most consumer agents of one run of the classroom page.
pub const SERVE_MAX_AGENTS: usize = 200_000;
/// Most months of the scenario `zeromile serve` serves.
pub const SERVE_MAX_MONTHS: usize = 240;
/// Largest request body `zeromile serve` reads, in bytes.
pub const SERVE_MAX_BODY_BYTES: usize = 64 * 1024;
/// Most runs of the classroom page waiting or running at once.
pub const SERVE_MAX_QUEUE: usize = 8;

/// `Err(message)` unless `n` is 1 to [`MAX_REPLICATES`].
pub fn check_replicates(n: u64) -> Result<(), String> {
    if (1..=MAX_REPLICATES).contains(&n) {
        Ok(())
    } else {
        Err(format!("expected a whole number of replicates from 1 to {MAX_REPLICATES}, found {n}"))
    }
}

/// The `--replicates` flag's check, as bad input naming the flag.
pub fn check_replicates_flag(requested: Option<u64>) -> crate::error::Result<()> {
    match requested.map(check_replicates) {
        Some(Err(m)) => Err(crate::error::Error::Usage(format!("--replicates: {m}"))),
        _ => Ok(()),
    }
}

/// `Err(message)` when `n` worker threads are more than [`THREADS_PER_CORE`] per core on a
/// machine with `cores` available cores (0 threads means one per core and always passes).
pub fn check_threads(n: usize, cores: usize) -> Result<(), String> {
    let max = THREADS_PER_CORE * cores.max(1);
    if n <= max {
        Ok(())
    } else {
        Err(format!(
            "{n} threads is more than {THREADS_PER_CORE} per available core ({cores} cores here: at most {max}); \
             0 or leaving it out uses one per core"
        ))
    }
}

/// `Err(message)` when `agents` is more than [`MAX_AGENTS`].
pub fn check_agents(agents: usize) -> Result<(), String> {
    if agents <= MAX_AGENTS {
        Ok(())
    } else {
        Err(format!("{agents} agents is more than the limit of {MAX_AGENTS}"))
    }
}

/// `Err(message)` when the run from `start` to `end` (inclusive, not before `start`) has more
/// than [`MAX_MONTHS`] months.
pub fn check_horizon(start: YearMonth, end: YearMonth) -> Result<(), String> {
    let months = start.months_until(end) + 1;
    if months <= MAX_MONTHS {
        Ok(())
    } else {
        Err(format!(
            "the run from {start} to {end} has {months} months, more than the limit of {MAX_MONTHS} (100 years)"
        ))
    }
}

/// `Err(message)` when a scenario has more than [`MAX_EVENTS`] events.
pub fn check_events(n: usize) -> Result<(), String> {
    if n <= MAX_EVENTS {
        Ok(())
    } else {
        Err(format!("{n} events is more than the limit of {MAX_EVENTS}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_from_1_to_the_cap() {
        assert!(check_replicates(1).is_ok());
        assert!(check_replicates(MAX_REPLICATES).is_ok());
        assert_eq!(
            check_replicates(1_000_000_000_000),
            Err("expected a whole number of replicates from 1 to 1000000, found 1000000000000".into())
        );
        assert!(check_replicates(0).is_err());
        assert!(check_replicates_flag(None).is_ok());
        assert!(check_replicates_flag(Some(5)).is_ok());
        let e = check_replicates_flag(Some(MAX_REPLICATES + 1)).unwrap_err();
        assert!(e.is_bad_input());
        assert_eq!(
            e.to_string(),
            "--replicates: expected a whole number of replicates from 1 to 1000000, found 1000001"
        );
    }

    #[test]
    fn threads_up_to_eight_per_core() {
        assert!(check_threads(0, 2).is_ok());
        assert!(check_threads(16, 2).is_ok());
        assert_eq!(
            check_threads(17, 2),
            Err("17 threads is more than 8 per available core (2 cores here: at most 16); 0 or leaving it out uses \
                 one per core"
                .into())
        );
        assert!(check_threads(8, 0).is_ok(), "unknown cores count as one");
        assert!(check_threads(100_000, 64).is_err());
    }

    #[test]
    fn agents_horizon_and_events() {
        assert!(check_agents(MAX_AGENTS).is_ok());
        assert!(check_agents(MAX_AGENTS + 1).is_err());
        let ym = |y, m| YearMonth::new(y, m).unwrap();
        assert!(check_horizon(ym(2000, 1), ym(2099, 12)).is_ok(), "exactly 1200 months");
        assert_eq!(
            check_horizon(ym(2000, 1), ym(2100, 1)),
            Err("the run from 2000-01 to 2100-01 has 1201 months, more than the limit of 1200 (100 years)".into())
        );
        assert!(check_events(MAX_EVENTS).is_ok());
        assert_eq!(check_events(MAX_EVENTS + 1), Err("100001 events is more than the limit of 100000".into()));
    }

    /// `consumers.agents`'s documented range ends at the cap, so `describe` and the check agree.
    #[test]
    fn the_agents_range_ends_at_the_cap() {
        let doc = crate::scenario::describe().into_iter().find(|k| k.path == "consumers.agents").unwrap();
        assert!(doc.range.ends_with(&format!(", {MAX_AGENTS}]")), "{}", doc.range);
    }
}
