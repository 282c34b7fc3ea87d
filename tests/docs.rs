//! Documentation stays in step with the code: the parameter reference is the output of
//! `zeromile describe --markdown`, and the model description and README name every metric,
//! event kind and scenario file.

use std::path::PathBuf;
use std::process::Command;

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
        .map(|m| m.0)
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "docs/model.md does not define these metrics (as `name`): {missing:?}");
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
fn readme_mentions_every_scenario_file() {
    let readme = read("README.md");
    let dir = root().join("scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario files found in {}", dir.display());
    let missing: Vec<&String> = files.iter().filter(|f| !readme.contains(f.as_str())).collect();
    assert!(missing.is_empty(), "README.md does not mention these scenario files: {missing:?}");
}
