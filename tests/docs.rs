//! Documentation stays in step with the code: the parameter reference is the output of
//! `zeromile describe --markdown`, and the model description and README name every metric,
//! event kind and shipped scenario file.

use std::path::PathBuf;
use std::process::Command;

/// The list of shipped scenario files, shared with `tests/tests.rs`.
#[path = "it/shipped.rs"]
mod shipped;
use shipped::SHIPPED_SCENARIOS;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn parameters_md_is_the_describe_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_zeromile"))
        .args(["describe", "--markdown"])
        .current_dir(root())
        .output()
        .expect("run zeromile describe --markdown");
    assert!(out.status.success(), "describe failed: {}", String::from_utf8_lossy(&out.stderr));
    let generated = String::from_utf8(out.stdout).expect("describe prints UTF-8");
    assert!(!generated.trim().is_empty(), "describe --markdown printed nothing");
    let doc = read("docs/parameters.md");
    assert!(
        doc.ends_with(&generated),
        "docs/parameters.md is stale: keep its intro line and replace everything after it with \
         the output of `cargo run --release -q -- describe --markdown`, e.g.\n    \
         {{ head -n 2 docs/parameters.md; cargo run --release -q -- describe --markdown; }} > /tmp/p.md \
         && mv /tmp/p.md docs/parameters.md"
    );
}

#[test]
fn model_md_defines_every_metric() {
    let doc = read("docs/model.md");
    let missing: Vec<&str> = zeromile::model::metrics::CORE_METRICS
        .iter()
        .map(|m| m.name)
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "docs/model.md does not define these metrics (as `name`): {missing:?}");
}

/// GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of the headings of a Markdown text (fenced code skipped).
fn anchors(doc: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in doc.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(anchor(line));
        }
    }
    out
}

/// Every `source_equation` of `metrics.csv` names a heading of docs/model.md.
#[test]
fn metric_sources_are_headings_of_model_md() {
    let headings = anchors(&read("docs/model.md"));
    assert!(headings.contains(&"71-automakers-phase-3-automakerplan".to_string()), "{headings:?}");
    let defs = zeromile::model::metrics::CORE_METRICS.iter().chain([&zeromile::model::metrics::MARKET_EXPORTS]);
    for m in defs {
        let a = m.source.strip_prefix("docs/model.md#").unwrap_or_else(|| panic!("{}: {}", m.name, m.source));
        assert!(headings.iter().any(|h| h == a), "{}: docs/model.md has no heading #{a}", m.name);
    }
}

/// docs/model.md's metric table gives each metric the kind, unit and annual aggregation that
/// `metrics.csv` gives it.
#[test]
fn model_md_metric_table_matches_the_declaration() {
    let doc = read("docs/model.md");
    let defs = zeromile::model::metrics::CORE_METRICS.iter().chain([&zeromile::model::metrics::MARKET_EXPORTS]);
    for m in defs {
        let name = m.name.replace("<market>", "<id>");
        let annual = match m.annual {
            zeromile::model::metrics::Annual::Sum => format!("sum ({})", m.annual_unit()),
            other => other.name().to_string(),
        };
        let row = format!("| `{name}` | {} | {} | {annual} | ", m.kind.name(), m.unit);
        assert!(doc.contains(&row), "docs/model.md's metric table lacks the row starting {row:?}");
    }
}

/// docs/model.md's table of `groups.csv` lists every group metric with its unit.
#[test]
fn model_md_lists_every_group_metric() {
    let doc = read("docs/model.md");
    for m in zeromile::model::groups::GROUP_METRICS {
        let row = format!("| `{}` | {} | {} |", m.name, m.unit, m.definition);
        assert!(doc.contains(&row), "docs/model.md's groups.csv table lacks the row {row:?}");
    }
}

/// docs/analysis.md shows the example scripts as they are.
#[test]
fn analysis_md_shows_the_example_scripts() {
    let doc = read("docs/analysis.md");
    for script in ["docs/examples/analysis.py", "docs/examples/analysis.R"] {
        assert!(doc.contains(&read(script)), "docs/analysis.md does not show {script} as it is; paste it again");
    }
}

#[test]
fn model_md_lists_every_event_kind() {
    let doc = read("docs/model.md");
    let missing: Vec<&str> = zeromile::scenario::events::EVENT_KINDS
        .iter()
        .copied()
        .filter(|kind| !doc.contains(&format!("`{kind}`")))
        .collect();
    assert!(missing.is_empty(), "docs/model.md does not describe these event kinds (as `kind`): {missing:?}");
}

#[test]
fn readme_mentions_every_shipped_scenario() {
    let readme = read("README.md");
    let missing: Vec<&str> =
        SHIPPED_SCENARIOS.iter().copied().filter(|f| !readme.contains(&format!("scenarios/{f}"))).collect();
    assert!(
        missing.is_empty(),
        "README.md does not mention these shipped scenario files (as scenarios/<file>): {missing:?}"
    );
}

#[test]
fn every_shipped_scenario_exists() {
    assert!(!SHIPPED_SCENARIOS.is_empty(), "SHIPPED_SCENARIOS is empty");
    assert!(SHIPPED_SCENARIOS.windows(2).all(|w| w[0] < w[1]), "SHIPPED_SCENARIOS must be sorted, without repeats");
    let missing: Vec<&str> =
        SHIPPED_SCENARIOS.iter().copied().filter(|f| !root().join("scenarios").join(f).is_file()).collect();
    assert!(
        missing.is_empty(),
        "SHIPPED_SCENARIOS (tests/it/shipped.rs) names files that are not in scenarios/: {missing:?}"
    );
}

/// A scenario file committed to the repository is a shipped one, so it must be on the list (and
/// therefore in the README). Untracked files, such as a user's own scenarios, are ignored.
#[test]
fn shipped_scenarios_include_every_tracked_scenario_file() {
    let out = match Command::new("git").args(["ls-files", "-z", "--", "scenarios"]).current_dir(root()).output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            eprintln!(
                "skipped: `git ls-files` failed here (not a git checkout?): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("skipped: git is not available ({e})");
            return;
        }
    };
    let listed = String::from_utf8_lossy(&out.stdout);
    let tracked: Vec<&str> = listed
        .split('\0')
        .filter_map(|p| p.strip_prefix("scenarios/"))
        .filter(|f| !f.contains('/') && f.ends_with(".toml"))
        .collect();
    let missing: Vec<&str> = tracked.into_iter().filter(|f| !SHIPPED_SCENARIOS.contains(f)).collect();
    assert!(
        missing.is_empty(),
        "these scenario files are tracked by git but not listed in SHIPPED_SCENARIOS (tests/it/shipped.rs): \
         {missing:?}; add each to the list and to the README's \"Shipped scenarios\" table"
    );
}

/// The README's table of required event keys names every required key on its kind's row, and
/// every event kind has a row.
#[test]
fn readme_lists_every_required_event_key() {
    let readme = read("README.md");
    let row = |kind: &str| {
        readme
            .lines()
            .find(|l| l.starts_with('|') && l.split('|').nth(1).is_some_and(|c| c.contains(&format!("`{kind}`"))))
            .unwrap_or_else(|| panic!("README.md's required event keys table has no row for `{kind}`"))
            .to_string()
    };
    for kind in zeromile::scenario::events::EVENT_KINDS {
        row(kind);
    }
    for r in zeromile::scenario::events::REQUIRED_KEYS {
        let line = row(r.kind);
        let keys = line.split('|').nth(2).unwrap_or_default();
        assert!(keys.contains(&format!("`{}`", r.key)), "README.md's row for `{}` lacks `{}`: {line}", r.kind, r.key);
    }
}
