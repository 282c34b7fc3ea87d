//! The run manifest (`manifest.json`): what was run, with which seed and inputs, and which files
//! it produced.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::engine;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

use super::verify::{Checksums, Fnv1a};

/// [`Manifest::kind`] of a finished run directory (`zeromile run`, or `zeromile merge` of run shards).
pub const KIND_RUN: &str = "run";
/// [`Manifest::kind`] of one shard of a run (`zeromile run --shard K/N`).
pub const KIND_RUN_SHARD: &str = "run-shard";
/// [`Manifest::kind`] reserved for one shard of a sweep (`zeromile sweep --shard K/N`).
pub const KIND_SWEEP_SHARD: &str = "sweep-shard";

/// Everything needed to reproduce a run and check its outputs.
///
/// Written last by [`super::write_outputs`]: its presence marks an output directory as complete.
///
/// **Contract:** everything except [`Manifest::provenance`] is a pure function of the resolved
/// scenarios, their sources and overrides, the master seed, the replicate count and the
/// `--trajectories` flag. A run merged from shards therefore has a manifest equal to the
/// unsharded run's except for `provenance` (the clock, threads and command line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// What the directory holds: [`KIND_RUN`] (default when absent, as in older manifests) or
    /// [`KIND_RUN_SHARD`].
    #[serde(default = "kind_run")]
    pub kind: String,
    /// Always `"zeromile"`.
    pub engine: String,
    /// Crate version that produced the outputs (`CARGO_PKG_VERSION`).
    pub engine_version: String,
    /// Master seed from which every replicate's random stream is derived.
    pub master_seed: u64,
    /// Replicates run per scenario (for a shard: of the whole run, not of the shard).
    pub replicates: u64,
    /// How a replicate's random stream follows from `master_seed` (human-readable).
    pub seed_derivation: String,
    /// The scenarios run, in output order (scenario 0 is the baseline of `deltas.csv`).
    pub scenarios: Vec<ManifestScenario>,
    /// Output files of the run, relative to the output directory (the manifest excluded).
    pub files: Vec<String>,
    /// Which shard this directory holds; only for [`KIND_RUN_SHARD`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Length and FNV-1a hash of files of the directory, by name: for a shard, `replicates.bin`
    /// and every `scenario-<i>.toml`. Checked by `merge` and [`super::verify_files`]. Absent
    /// (empty) in older manifests and in run directories.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: Checksums,
    /// How this copy of the outputs was produced: the only part of the manifest that differs
    /// between two runs with equal results (thread count, clock, command line, shards merged).
    #[serde(default)]
    pub provenance: Provenance,
}

fn kind_run() -> String {
    KIND_RUN.to_string()
}

/// The shard a [`KIND_RUN_SHARD`] directory holds: replicates `r` with `r % n == k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Shard index K, `0 <= k < n`.
    pub k: u64,
    /// Shard count N.
    pub n: u64,
    /// The run asked for `--trajectories`: the merge writes `trajectories.csv`.
    pub trajectories: bool,
}

/// How, where and how fast a directory's outputs were produced. Never affects a result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Worker threads used (results do not depend on it); for a merge, the most any shard used.
    pub threads: usize,
    /// Wall-clock duration of this command, seconds (for a merge: of the merge alone).
    pub wall_time_s: f64,
    /// Start of this command, seconds since the Unix epoch.
    pub started_unix_s: u64,
    /// The command line, program name first.
    pub command: Vec<String>,
    /// For a merged run: each shard's provenance, in shard order (shard K at index K).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<Provenance>,
}

/// One scenario of a run, as resolved after `extends` and overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestScenario {
    /// Scenario name (the `scenario` column of the CSVs).
    pub name: String,
    /// Path of the scenario file as given.
    pub source: String,
    /// 64-bit FNV-1a of the resolved scenario's canonical TOML text, as 16 lowercase hex digits
    /// (see [`fnv1a64`] and [`hash_hex`]). Equal hashes mean equal inputs; not cryptographic.
    pub hash: String,
    /// Command-line overrides applied (`key=value`), in order.
    pub overrides: Vec<String>,
    /// The resolved scenario as JSON.
    pub resolved: serde_json::Value,
}

impl ManifestScenario {
    /// The record of scenario `s`, read from `source` with the command-line `overrides`.
    pub fn of(s: &Scenario, source: &str, overrides: &[String]) -> Self {
        let text = s.canonical_text();
        ManifestScenario {
            name: s.name.clone(),
            source: source.to_string(),
            hash: hash_hex(text.as_bytes()),
            overrides: overrides.to_vec(),
            resolved: toml_to_json(&toml::Value::Table(s.to_toml())),
        }
    }
}

impl Manifest {
    /// The manifest of a run ([`KIND_RUN`]) of `scenarios`, read from `sources` (as given)
    /// with `overrides`, at `master_seed` with `replicates` replicates: no files listed yet, no
    /// shard, empty provenance.
    pub fn for_run(
        scenarios: &[Scenario],
        sources: &[String],
        overrides: &[String],
        master_seed: u64,
        replicates: u64,
    ) -> Self {
        Manifest {
            kind: KIND_RUN.into(),
            engine: "zeromile".into(),
            engine_version: env!("CARGO_PKG_VERSION").into(),
            master_seed,
            replicates,
            seed_derivation: engine::seed::DERIVATION.into(),
            scenarios: scenarios.iter().zip(sources).map(|(s, p)| ManifestScenario::of(s, p, overrides)).collect(),
            files: Vec::new(),
            shard: None,
            checksums: Checksums::new(),
            provenance: Provenance::default(),
        }
    }

    /// The manifest as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::io("manifest.json", std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        text.push('\n');
        Ok(text)
    }

    /// Writes [`Manifest::to_json`] to `w`.
    pub fn write(&self, mut w: impl Write) -> Result<()> {
        let text = self.to_json()?;
        w.write_all(text.as_bytes()).and_then(|()| w.flush()).map_err(|e| Error::io("manifest.json", e))
    }
}

/// TOML → JSON for the manifest; non-finite floats become strings ("inf").
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) if f.is_finite() => J::from(*f),
        toml::Value::Float(f) => J::String(f.to_string()),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

/// 64-bit FNV-1a hash of `bytes` (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`).
/// Stable across platforms and versions, unlike `std`'s hashers.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.update(bytes);
    h.value()
}

/// [`fnv1a64`] of `bytes` as 16 lowercase hex digits, the form stored in
/// [`ManifestScenario::hash`].
pub fn hash_hex(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a64(bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        Manifest {
            kind: KIND_RUN.into(),
            engine: "zeromile".into(),
            engine_version: "0.1.0".into(),
            master_seed: 42,
            replicates: 3,
            seed_derivation: "xoshiro256++ seeded from (master_seed, replicate)".into(),
            scenarios: vec![ManifestScenario {
                name: "base".into(),
                source: "scenarios/base.toml".into(),
                hash: hash_hex(b"name = \"base\"\n"),
                overrides: vec!["consumers.agents=100".into()],
                resolved: serde_json::json!({"name": "base"}),
            }],
            files: vec!["summary.csv".into()],
            shard: None,
            checksums: Checksums::new(),
            provenance: Provenance {
                threads: 2,
                wall_time_s: 1.5,
                started_unix_s: 1_700_000_000,
                command: vec!["zeromile".into(), "run".into()],
                shards: vec![],
            },
        }
    }

    #[test]
    fn fnv1a_known_values() {
        // Reference values of the FNV-1a 64-bit test suite.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
        assert_eq!(hash_hex(b""), "cbf29ce484222325");
    }

    #[test]
    fn json_round_trips_with_trailing_newline() {
        let m = sample();
        let text = m.to_json().unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\n  \"engine\": \"zeromile\",\n"));
        assert!(text.contains("\"hash\": \""));
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert!(!text.contains("\"shard\""), "no shard field outside shards");
        assert!(text.trim_end().trim_end_matches('}').trim_end().ends_with('}'), "provenance is the last field");
    }

    #[test]
    fn older_manifest_without_kind_or_provenance_reads_as_run() {
        let mut v: serde_json::Value = serde_json::from_str(&sample().to_json().unwrap()).unwrap();
        let obj = v.as_object_mut().unwrap();
        obj.remove("kind");
        obj.remove("provenance");
        let m: Manifest = serde_json::from_value(v).unwrap();
        assert_eq!(m.kind, KIND_RUN);
        assert_eq!(m.provenance, Provenance::default());
    }
}
