//! Unit tests of `output::shard`: the shard writer, reading and verifying shards, replay.
use super::*;
use crate::scenario::Scenario;

#[test]
fn canonical_text_round_trips_through_from_str() {
    let base = Scenario::default();
    let text = base.canonical_text();
    let back = scenario::from_str(&text, &[]).unwrap();
    assert_eq!(back.canonical_text(), text);
    assert_eq!(ScenarioSeries::of(&back), ScenarioSeries::of(&base));
}

/// Writes `n` shards of `total` synthetic replicates and replays them: every replicate comes
/// back in order with its exact values, whether files stay open (few shards) or not (many).
#[test]
fn replay_returns_every_replicate_in_order() {
    use crate::model::metrics::{Annual, MetricSet};
    let series = vec![ScenarioSeries {
        name: "s".into(),
        metrics: MetricSet { names: vec!["a".into(), "b".into()], annual: vec![Annual::Sum; 2], units: vec![] },
        dates: (1..=3).map(|m| crate::scenario::YearMonth::new(2024, m).unwrap()).collect(),
        pairing: crate::scenario::Scenario::default().pairing(),
    }];
    let traj = |r: u64| {
        let mut t = Trajectory::new(2, 3);
        for (i, d) in series[0].dates.iter().enumerate() {
            t.push(*d, &[r as f64 + 0.1 * i as f64, -(r as f64) / 3.0]);
        }
        t
    };
    let total = 150;
    for n in [3u64, 70] {
        let tmp = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = (0..n).map(|k| tmp.path().join(format!("shard-{k}"))).collect();
        let mut sums = Vec::new();
        for (k, dir) in dirs.iter().enumerate() {
            std::fs::create_dir(dir).unwrap();
            let shard = Shard::new(k as u64, n).unwrap();
            let mut w = ShardWriter::create(dir, &series, shard, total).unwrap();
            for r in shard.indices(total) {
                w.write_replicate(r, &[traj(r)]).unwrap();
            }
            let sum = w.finish().unwrap();
            assert_eq!(sum, checksum_file(&dir.join(REPLICATES_FILE)).unwrap(), "hashed while written");
            sums.push(Some(sum));
        }
        let mut manifest = crate::output::manifest::tests::sample();
        manifest.replicates = total;
        let shards = RunShards { manifest, dirs, provenance: vec![], replicate_sums: sums, series: series.clone() };
        let mut seen = Vec::new();
        shards
            .replay(&series, |r, trajs| {
                assert_eq!(trajs, [traj(r)]);
                seen.push(r);
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, (0..total).collect::<Vec<_>>(), "{n} shards");

        // A file replaced after `read` verified it: replay's own hash check refuses it.
        let path = shards.dirs[1].join(REPLICATES_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8 + 8] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let e = shards.replay(&series, |_, _| Ok(())).unwrap_err();
        assert!(e.is_bad_input(), "{e}");
        assert!(e.to_string().contains("contents changed after it was written"), "{e}");
        assert!(e.to_string().contains(&format!("rerun shard 1/{n}")), "{e}");
    }
}

fn one_series() -> Vec<ScenarioSeries> {
    use crate::model::metrics::{Annual, MetricSet};
    vec![ScenarioSeries {
        name: "s".into(),
        metrics: MetricSet { names: vec!["a".into(), "b".into()], annual: vec![Annual::Sum; 2], units: vec![] },
        dates: (1..=2).map(|m| crate::scenario::YearMonth::new(2024, m).unwrap()).collect(),
        pairing: crate::scenario::Scenario::default().pairing(),
    }]
}

/// The writer refuses a non-finite value (the model never makes one), naming where it is,
/// and leaves no file behind.
#[test]
fn writer_refuses_non_finite_values() {
    let series = one_series();
    let tmp = tempfile::tempdir().unwrap();
    let mut w = ShardWriter::create(tmp.path(), &series, Shard::ALL, 1).unwrap();
    let mut t = Trajectory::new(2, 2);
    t.push(series[0].dates[0], &[1.0, 2.0]);
    t.push(series[0].dates[1], &[3.0, f64::INFINITY]);
    let e = w.write_replicate(0, &[t]).unwrap_err().to_string();
    assert!(e.contains("inf for replicate 0, scenario \"s\", 2024-02, metric `b`"), "{e}");
    drop(w);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "no file, no partial file");
}

/// A record is sound only with the right replicate index and finite values; the message
/// says where a bad value sits.
#[test]
fn check_record_finds_wrong_indices_and_non_finite_values() {
    let series = one_series();
    let record = |r: u64, values: [f64; 4]| {
        let mut b = r.to_le_bytes().to_vec();
        values.iter().for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
        b
    };
    assert_eq!(check_record(&record(4, [1.0, 2.0, 3.0, -4.0]), 4, &series), None);
    let wrong = check_record(&record(5, [1.0; 4]), 4, &series).unwrap();
    assert!(wrong.contains("holds replicate 5 where replicate 4 belongs"), "{wrong}");
    let nan = check_record(&record(4, [1.0, 2.0, f64::NAN, 4.0]), 4, &series).unwrap();
    assert!(nan.starts_with("NaN at replicate 4, scenario \"s\", 2024-02, metric `a`"), "{nan}");
}

#[test]
fn resubmit_hint_lists_missing() {
    let hint = resubmit_hint(&[2, 5], 7);
    assert!(hint.starts_with("missing shards: 2, 5 of 7; "), "{hint}");
    assert!(hint.contains("--array=2,5 ") && hint.contains("--shard K/7"), "{hint}");
}
