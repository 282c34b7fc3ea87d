//! Integration tests, built as one binary. Each module tests one boundary of the crate; all are
//! fast (small scenarios, short horizons) and assert contracts and properties, never calibrated
//! model outputs.

/// Shared helpers: paths, running the binary, reading CSV files.
#[path = "it/util.rs"]
mod util;

/// The list of shipped scenario files, shared with `tests/docs.rs`.
#[path = "it/shipped.rs"]
mod shipped;

/// The `zeromile` command line: output files and their headers, exit codes, error messages.
#[path = "it/cli.rs"]
mod cli;

/// Reproducibility: thread count, seeds and common random numbers.
#[path = "it/determinism.rs"]
mod determinism;

/// Every shipped scenario loads, runs briefly, and `extends` merges as documented.
#[path = "it/scenarios.rs"]
mod scenarios;

/// The below-cost ban on its full-cost basis: bounded prices, finite outputs.
#[path = "it/below_cost_ban.rs"]
mod below_cost_ban;
/// Trade-in eligibility (scrapping cut-off, replacement) moves claims and retail sales.
#[path = "it/trade_in.rs"]
mod trade_in;

/// Accounting and range invariants of the model, month by month, over random small worlds.
#[path = "it/invariants.rs"]
mod invariants;

/// The layer rule of ARCHITECTURE.md and the purity bans on model and scenario code.
#[path = "it/layers.rs"]
mod layers;

/// Charts and report: files, sizes, byte-identical re-plotting, self-containment, degenerate runs.
#[path = "it/plots.rs"]
mod plots;

/// `zeromile sweep` and `merge`: designs end to end, shard/merge and thread equality, resume after a kill, bad files.
#[path = "it/sweep.rs"]
mod sweep;

/// Sharded runs: `run --shard K/N`, `merge` (byte-identical to the unsharded run, refusals) and `slurm`.
#[path = "it/shard.rs"]
mod shard;

/// Bad input in the user's words: type errors, impossible months, negative flags, a file given
/// to the wrong command, strict `--set`, required event keys and the caps, all exit 2.
#[path = "it/input_errors.rs"]
mod input_errors;

/// `zeromile check-facts` and `calibrate`: targets files, facts.csv and the report, exit codes, parameter recovery.
#[path = "it/facts.rs"]
mod facts;

/// Static memory facts: bytes of state per consumer agent, fixed size of a quantile sketch.
#[path = "it/memory.rs"]
mod memory;

/// Output-directory safety: refused jobs keep earlier results, `--resume` checks, the lock, and
/// a writer stopped at every step by fault injection.
#[path = "it/reliability.rs"]
mod reliability;

/// Fuzzing the input parsers: mutated shipped files and generated `--set` strings are either
/// valid (and run a tiny horizon) or refused as bad input with a positioned message.
#[path = "it/fuzz.rs"]
mod fuzz;

/// `run --by-group`: groups.csv's full grid, its identities with the industry metrics,
/// determinism, the shard refusal and the central/local state split.
#[path = "it/groups.rs"]
mod groups;
/// Powertrains: the single-line switch reproduces round 1; NEV and ICE levers move their line.
#[path = "it/powertrains.rs"]
mod powertrains;
/// `zeromile serve` over HTTP: every endpoint, refusals, a full queue, a quick run and the
/// downloaded scenario's round trip through `app::run`.
#[path = "it/serve.rs"]
mod serve;

/// The dealer tier: pushed wholesale fills dealers' stock, discounts and the dealer export route;
/// the switch reproduces the model without dealers.
#[path = "it/dealers.rs"]
mod dealers;
