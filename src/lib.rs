//! zeromile: an agent-based simulation of China's car price war and its "zero-mileage"
//! used-car exports, month by month, with deterministic parallel Monte Carlo.
//!
//! # Brief overview
//! - [`scenario::Scenario`]: a validated scenario, loaded from TOML with `extends` and `--set`
//!   overrides by [`scenario::load`]. Every parameter has a unit, default, range and source,
//!   listed by [`scenario::describe`].
//! - [`model::World`]: one simulated world; [`model::World::step`] advances it one month and
//!   reports the metrics of the output contract. Pure: no I/O, threads or clock.
//! - [`engine::run_monte_carlo`]: many replicates of one or more scenarios in parallel, seeded per
//!   (master seed, replicate, stream), so outputs are identical at any thread count.
//! - [`sweep::spec::load`] and [`sweep::run::run_points`]: parameter sweeps over scenario keys
//!   (grid, random, Latin hypercube, Saltelli, Morris designs) summarised by outcomes, and
//!   [`sweep::analysis::analyse`] for Sobol and Morris sensitivity indices.
//! - [`output::MonteCarloStats`]: streaming per-month statistics and the CSV/JSON writers.
//! - [`plot::render`]: charts (PNG and SVG) and a self-contained `report.html`, drawn from an
//!   output directory's files.
//!
//! - [`serve::Server`]: the classroom page (`zeromile serve`), a local web server running what-if
//!   experiments through the engine, writing no file.
//!
//! Layers, bottom to top: `error → scenario → model → engine → sweep → output → plot → serve → app`;
//! the binary's `cli` sits on top and only parses arguments and reports what an `app` job did. A module imports only from layers below it (checked by `tests/it/layers.rs`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod engine;
pub mod error;
pub mod model;
pub mod output;
pub mod plot;
pub mod scenario;
pub mod serve;
pub mod sweep;

pub use error::{Error, Result};
