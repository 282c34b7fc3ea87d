//! The scenario files this repository ships, by name. Tests run these files, and the README
//! documents them; a user's own `scenarios/*.toml` is not on the list, so it never breaks
//! `cargo test`. Shared by `tests/tests.rs` and `tests/docs.rs` (each includes this file).

/// Every shipped `scenarios/*.toml` (top level only), sorted. A new shipped scenario goes here
/// and into the README's "Shipped scenarios" table; `tests/docs.rs` checks both, and that this
/// list holds every `scenarios/*.toml` tracked by git.
pub const SHIPPED_SCENARIOS: &[&str] = &[
    "baseline.toml",
    "below_cost_ban.toml",
    "capacity_consolidation.toml",
    "dealer_relief.toml",
    "foreign_backlash.toml",
    "hard_budget.toml",
    "no_zero_mileage.toml",
    "smoke.toml",
    "strict_zero_mileage.toml",
    "trade_in_extended.toml",
];
