//! Results to files: Monte Carlo summaries, raw trajectories and the run manifest.
//!
//! Brief overview:
//!
//! - [`MonteCarloStats`] streams replicates of one or more [`ScenarioSeries`] into
//!   per-cell [`QuantileSketch`]es and writes `summary.csv`, `annual.csv`, `deltas.csv` and
//!   `annual_deltas.csv`.
//! - [`GroupStats`] folds the brand groups' rows by ownership × size band into `groups.csv`
//!   (`run --by-group`).
//! - [`TrajectoryWriter`] writes raw replicates, one wide row per scenario × replicate × month.
//! - [`Manifest`] records seed, version, command, scenario hashes and files of a run.
//! - [`write_outputs`] writes a run directory through [`AtomicFile`]s, `manifest.json` last.
//! - [`ShardWriter`] and [`write_shard_outputs`] write one shard of a run (raw replicates,
//!   lossless); [`RunShards`] checks a set of shards and replays them in replicate order.
//! - [`FileChecksum`]s (length and FNV-1a, computed while writing) in a manifest's `checksums`
//!   let readers detect damaged files: [`verify_files`], and `merge` before it writes.
//!
//! Architecture invariants: this layer never runs a model or draws a random number; it only
//! consumes [`Trajectory`](crate::model::metrics::Trajectory)s. Every output is a pure function
//! of the replicates fed in, in order: no clock, hash-map order or thread count reaches a file
//! (the manifest's `provenance` excepted). CSV numbers are written to ten significant
//! digits (`number::cell`), undefined statistics as empty fields.

mod atomic;
pub mod calibration;
pub mod collapse;
mod dir;
pub mod facts;
mod groups;
mod manifest;
mod metrics;
mod number;
pub mod read;
mod series;
mod shard;
mod sketch;
mod summary;
pub mod sweep;
mod trajectory;
mod verify;

pub use atomic::{remove_if_present, AtomicFile};
pub use dir::{write_outputs, ANNUAL_DELTAS_FILE, ANNUAL_FILE, DELTAS_FILE, MANIFEST_FILE, SUMMARY_FILE};
pub use groups::{write_groups, GroupStats, GROUPS_FILE, GROUPS_HEADER};
pub use manifest::{
    fnv1a64, hash_hex, toml_to_json, Manifest, ManifestScenario, Provenance, ShardInfo, KIND_RUN, KIND_RUN_SHARD,
    KIND_SWEEP_SHARD,
};
pub use metrics::{
    metric_names, metric_row, run_metric_names, write_metrics, write_metrics_file, METRICS_FILE, METRICS_HEADER,
};
pub use series::ScenarioSeries;
pub use shard::{manifest_kind, scenario_file, write_shard_outputs, RunShards, ShardWriter, REPLICATES_FILE};
pub use sketch::{QuantileSketch, K};
pub use summary::{MonteCarloStats, ANNUAL_HEADER, SUMMARY_HEADER};
pub use trajectory::{read_trajectories, ReadTrajectories, TrajectoryWriter, TRAJECTORIES_FILE};
pub use verify::{check_file, checksum_file, verify_files, Checksummer, Checksums, FileChecksum, Fnv1a, HashingWriter};
