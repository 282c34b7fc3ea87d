use crate::util::root;
use std::path::{Path, PathBuf};

/// Library layers, lowest first. A module may use its own layer and the layers before it.
const LAYERS: &[&str] = &["error", "scenario", "model", "engine", "sweep", "output", "plot", "serve", "app"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source files under `src/`, as (path relative to `src/`, code with line comments removed).
fn sources() -> Vec<(String, String)> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap();
            let code: Vec<&str> = text.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect();
            (rel, code.join("\n"))
        })
        .collect()
}

/// The layer a file belongs to; `None` for the crate root and the binary.
fn layer_of(rel: &str) -> Option<&'static str> {
    let top = rel.split('/').next().unwrap_or_default().trim_end_matches(".rs");
    LAYERS.iter().copied().find(|l| *l == top)
}

/// Top-level modules a file names through `crate::X` or `super::X` paths reaching the crate root.
fn referenced_modules(rel: &str, code: &str) -> Vec<String> {
    // Components of this file's module path: `super::` that many times reaches the crate root.
    let depth = rel.matches('/').count() + 1 - usize::from(rel.ends_with("/mod.rs"));
    let prefixes = ["crate::".to_string(), "super::".repeat(depth)];
    let mut out = Vec::new();
    for prefix in &prefixes {
        for (i, _) in code.match_indices(prefix.as_str()) {
            // `super::super::x` also contains `super::x`: only count the longest chain.
            if prefix.starts_with("super::") && code[..i].ends_with("super::") {
                continue;
            }
            let rest = &code[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut level = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => level += 1,
                        '}' if level == 0 => break,
                        '}' => level -= 1,
                        ',' if level == 0 => {
                            out.push(first_ident(&item));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                out.push(first_ident(&item));
            } else {
                out.push(first_ident(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = root().join("src");
    let mut unplaced = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_string();
        if !["lib", "main", "cli"].contains(&name.as_str()) && !LAYERS.contains(&name.as_str()) {
            unplaced.push(name);
        }
    }
    assert!(unplaced.is_empty(), "add these modules to LAYERS (and ARCHITECTURE.md): {unplaced:?}");
}

fn first_ident(s: &str) -> String {
    s.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

#[test]
fn modules_use_only_lower_layers() {
    let mut violations = Vec::new();
    let mut checked = 0;
    for (rel, code) in sources() {
        let Some(layer) = layer_of(&rel) else { continue };
        let own = LAYERS.iter().position(|l| *l == layer).unwrap();
        for m in referenced_modules(&rel, &code) {
            checked += 1;
            match LAYERS.iter().position(|l| *l == m) {
                Some(p) if p > own => violations.push(format!("src/{rel} ({layer}) uses {m}")),
                Some(_) => {}
                None if m == "Error" || m == "Result" => {} // crate-root re-exports of `error`
                None => violations.push(format!("src/{rel} ({layer}) uses crate::{m}, which is in no layer")),
            }
        }
    }
    assert!(checked > 0, "found no crate:: references; is the scanner broken?");
    assert!(
        violations.is_empty(),
        "layer rule error → scenario → model → engine → sweep → output → plot → serve → app broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn scanner_sees_grouped_and_super_paths() {
    let code = "use crate::{model::World, scenario::{A, B}};\nuse super::super::engine::x;\nlet y = crate::output::z;";
    let mut found = referenced_modules("model/file.rs", code);
    found.sort();
    assert_eq!(found, ["engine", "model", "output", "scenario"]);
    assert_eq!(referenced_modules("model/mod.rs", "use super::engine;"), ["engine"]);
    assert!(referenced_modules("model/automaker.rs", "use super::rng::Rng;").is_empty());
    assert_eq!(layer_of("model/mod.rs"), Some("model"));
    assert_eq!(layer_of("error.rs"), Some("error"));
    assert_eq!(layer_of("cli/mod.rs"), None);
}

/// Asserts none of `banned` occurs in the code of files under `src/<dir>/`.
fn assert_absent(dir: &str, banned: &[&str], why: &str) {
    let mut found = Vec::new();
    let mut files = 0;
    for (rel, code) in sources().into_iter().filter(|(rel, _)| rel.starts_with(&format!("{dir}/"))) {
        files += 1;
        for b in banned {
            if code.contains(b) {
                found.push(format!("src/{rel}: {b}"));
            }
        }
    }
    assert!(files > 0, "no files under src/{dir}");
    assert!(found.is_empty(), "{why}:\n{}", found.join("\n"));
}

#[test]
fn model_draws_only_from_derived_streams_in_stable_order() {
    assert_absent(
        "model",
        &["thread_rng", "rand::rng()", "StdRng", "OsRng", "from_os_rng", "from_entropy", "HashMap", "HashSet"],
        "the model must use seeded named generators and ordered collections",
    );
}

#[test]
fn model_does_no_io_threads_or_clock() {
    assert_absent(
        "model",
        &["std::fs", "std::time", "std::thread", "rayon", "println!", "print!", "eprintln!", "eprint!"],
        "the model is pure: no files, clock, threads or printing",
    );
}

#[test]
fn scenario_uses_no_clock_threads_or_printing() {
    assert_absent(
        "scenario",
        &["std::time", "std::thread", "rayon", "println!", "print!", "eprintln!", "eprint!"],
        "scenario loading may read files but not use the clock, threads or print",
    );
}

#[test]
fn plot_draws_from_files_only() {
    assert_absent(
        "plot",
        &["engine::", "MonteCarloStats", "model::World", "rayon", "std::thread", "std::time", "println!", "eprintln!"],
        "plots are drawn from an output directory's files, so `run` and `plot` give the same bytes",
    );
}

#[test]
fn serve_touches_no_file_itself() {
    assert_absent(
        "serve",
        &["std::fs", "File::open", "File::create", "Command::new", "read_dir", "std::env"],
        "the classroom server reads the scenario and levers through `scenario` at start and no other file",
    );
}

/// File-system writes of every file under `src/`, outside the layers allowed to write and
/// outside unit tests (`*_tests.rs` files and the `#[cfg(test)]` module that ends a file).
fn writes_outside(allowed: &[&str]) -> Vec<String> {
    const WRITES: &[&str] = &[
        "fs::write",
        "File::create",
        "create_dir",
        "remove_file",
        "remove_dir",
        "fs::rename",
        "OpenOptions",
        "fs::copy",
        "set_permissions",
        "File::options",
        "hard_link",
        "AtomicFile::create",
    ];
    let mut found = Vec::new();
    for (rel, code) in sources() {
        if allowed.iter().any(|d| rel.starts_with(&format!("{d}/"))) || rel.ends_with("_tests.rs") {
            continue;
        }
        // Unit tests (the `#[cfg(test)]` module at the end of a file) may write temporary files.
        let code = code.split("#[cfg(test)]").next().unwrap_or_default();
        for w in WRITES {
            if code.contains(w) {
                found.push(format!("src/{rel}: {w}"));
            }
        }
    }
    found
}

#[test]
fn only_output_plot_and_app_write_files() {
    let found = writes_outside(&["output", "plot", "app"]);
    assert!(
        found.is_empty(),
        "files are written by `output`, `plot` and the `app` jobs only (the binary parses and reports):\n{}",
        found.join("\n")
    );
    // The scanner sees writes where they are.
    assert!(!writes_outside(&["plot", "app"]).is_empty(), "no write found in src/output: is the scanner broken?");
}
