//! The below-cost ban on its full-cost basis (docs/model.md sec. 7.1): on a short smoke run with
//! the ban in force from the third month, transaction prices stay within 0.5-2x the paired
//! baseline in every replicate-month, the hidden discount stays off the invoice and bounded,
//! and every value of every CSV file is finite.

use crate::util::{rows, run_scenarios, scenario_path, smoke_variant};
use std::collections::HashMap;

const BAN: &str = "[[events]]\nid = \"ban\"\ndate = \"2019-03\"\nkind = \"below_cost_ban\"\n\
                   basis = \"full_cost_planned\"\nnormal_utilization = 0.8\nleakage = 0.3\n";

/// `(replicate, month) -> row` of one scenario's trajectories, with the column index of `metric`.
fn series(dir: &std::path::Path, scenario: &str, metric: &str) -> HashMap<(String, String), f64> {
    let all = rows(&dir.join("trajectories.csv"));
    let header = crate::util::header(&dir.join("trajectories.csv"));
    let col = header.split(',').position(|h| h == metric).unwrap_or_else(|| panic!("no column {metric}"));
    all.iter()
        .filter(|r| &r[0] == scenario)
        .map(|r| ((r[1].to_string(), r[2].to_string()), r[col].parse().unwrap()))
        .collect()
}

#[test]
fn full_cost_ban_keeps_prices_bounded_and_outputs_finite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ban = smoke_variant(dir.path(), "smoke_full_cost_ban", BAN);
    run_scenarios(&[&scenario_path("smoke.toml"), &ban], &out, &["-n", "3", "--trajectories", "--no-plots"]);
    for file in ["summary.csv", "annual.csv", "deltas.csv", "annual_deltas.csv", "trajectories.csv"] {
        for (i, r) in rows(&out.join(file)).iter().enumerate() {
            for field in r.iter() {
                if let Ok(x) = field.parse::<f64>() {
                    assert!(x.is_finite(), "{file} row {i}: {field}");
                }
            }
        }
    }
    let base = series(&out, "smoke", "avg_transaction_price");
    let banned = series(&out, "smoke_full_cost_ban", "avg_transaction_price");
    assert_eq!(base.len(), banned.len());
    for (k, b) in &base {
        let ratio = banned[k] / b;
        assert!((0.5..=2.0).contains(&ratio), "replicate-month {k:?}: ban {} vs baseline {b}", banned[k]);
    }
    let hidden = series(&out, "smoke_full_cost_ban", "hidden_discount");
    let discount = series(&out, "smoke_full_cost_ban", "avg_discount");
    assert!(hidden.values().all(|h| (0.0..=1.0).contains(h)));
    assert!(series(&out, "smoke", "hidden_discount").values().all(|&h| h == 0.0), "no ban, nothing hidden");
    assert!(hidden.iter().all(|(k, h)| h + discount[k] < 1.0), "invoice and hidden discounts below list");
}

/// `basis` is required and must be one of its two words; the old `full_cost` key is refused
/// with the keys that exist. Each error names the file, line and key and exits 2.
#[test]
fn bad_basis_is_refused_in_the_users_words() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("basis = \"full\"\n", "unknown variant `full`, expected `variable_cost` or `full_cost_planned`"),
        ("", "a `below_cost_ban` event needs `basis`"),
        ("basis = \"variable_cost\"\nfull_cost = true\n", "unknown key `full_cost`"),
    ];
    for (i, (keys, needle)) in cases.iter().enumerate() {
        let text = format!("[[events]]\nid = \"b\"\ndate = \"2019-03\"\nkind = \"below_cost_ban\"\n{keys}");
        let path = smoke_variant(dir.path(), &format!("bad{i}"), &text);
        let o = crate::util::zeromile().arg("validate").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle) && stderr.contains("events[b]"), "{stderr}");
    }
}
