//! Shards: which replicates (or sweep points) one process of an N-way split runs.
//!
//! Shard K of N owns the indices `i` with `i % N == K` (round-robin), so every shard gets a
//! share of early and late indices and shards differ in size by at most one. Seeds depend on
//! the index only (see [`super::seed`]), never on K, N or threads, so the union of all shards
//! is exactly the unsharded run.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Shard `k` of `n`: the indices `i` with `i % n == k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    k: u64,
    n: u64,
}

impl Shard {
    /// The whole run: shard 0 of 1.
    pub const ALL: Shard = Shard { k: 0, n: 1 };

    /// Shard `k` of `n`; needs `n >= 1` and `k < n`.
    pub fn new(k: u64, n: u64) -> Result<Shard> {
        if n == 0 {
            return Err(Error::Usage("the shard count N must be at least 1 (expected K/N with 0 <= K < N)".into()));
        }
        if k >= n {
            return Err(Error::Usage(format!("K = {k} must be below N = {n} (shards are numbered 0 to {})", n - 1)));
        }
        Ok(Shard { k, n })
    }

    /// This shard's index K.
    pub fn k(self) -> u64 {
        self.k
    }

    /// The shard count N.
    pub fn n(self) -> u64 {
        self.n
    }

    /// True when index `i` belongs to this shard.
    pub fn contains(self, i: u64) -> bool {
        i % self.n == self.k
    }

    /// How many of the indices `0..total` belong to this shard.
    pub fn count(self, total: u64) -> u64 {
        if total <= self.k {
            0
        } else {
            (total - self.k - 1) / self.n + 1
        }
    }

    /// This shard's indices below `total`, increasing.
    pub fn indices(self, total: u64) -> impl Iterator<Item = u64> {
        (self.k..total).step_by(usize::try_from(self.n).unwrap_or(usize::MAX))
    }

    /// Parses `K/N`, or `auto/N` with K taken from `array_index` (the scheduler's array task
    /// index, e.g. `SLURM_ARRAY_TASK_ID`; `None` when the variable is unset). N always comes
    /// from the text, never from the scheduler, so resubmitting a subset of shards cannot change
    /// the split.
    pub fn parse_with(text: &str, array_index: Option<&str>) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {text:?}: expected K/N (0 <= K < N, e.g. 2/8) or auto/N (K from SLURM_ARRAY_TASK_ID)"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        let k = if k.trim() == "auto" {
            let Some(id) = array_index else {
                return Err(Error::Usage(format!(
                    "--shard {text}: SLURM_ARRAY_TASK_ID is not set (auto takes K from it; outside a Slurm \
                     array job give K explicitly, e.g. --shard 0/{n})"
                )));
            };
            match id.trim().parse::<u64>() {
                Ok(k) if k < n => k,
                _ => {
                    return Err(Error::Usage(format!(
                        "--shard {text}: SLURM_ARRAY_TASK_ID={id:?} is not a shard index (expected an integer 0 to {}; \
                         the array must be --array=0-{} or a subset)",
                        n.saturating_sub(1),
                        n.saturating_sub(1)
                    )))
                }
            }
        } else {
            k.trim().parse().map_err(|_| bad())?
        };
        Shard::new(k, n).map_err(|e| Error::Usage(format!("--shard {text}: {e}")))
    }
}

impl Default for Shard {
    fn default() -> Self {
        Shard::ALL
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// Parses `K/N` (not `auto/N`, which needs the environment: see [`Shard::parse_with`]).
    fn from_str(s: &str) -> Result<Shard> {
        Shard::parse_with(s, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_indices() {
        for n in 1..=8 {
            for total in 0..20 {
                let mut seen = Vec::new();
                for k in 0..n {
                    let s = Shard::new(k, n).unwrap();
                    let idx: Vec<u64> = s.indices(total).collect();
                    assert_eq!(idx.len() as u64, s.count(total), "{s} of {total}");
                    assert!(idx.iter().all(|&i| s.contains(i)));
                    seen.extend(idx);
                }
                seen.sort();
                assert_eq!(seen, (0..total).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn parses_explicit_and_auto() {
        assert_eq!("2/7".parse::<Shard>().unwrap(), Shard::new(2, 7).unwrap());
        assert_eq!(Shard::parse_with("auto/4", Some("3")).unwrap(), Shard::new(3, 4).unwrap());
        for bad in ["7/7", "1/0", "x/3", "3", "-1/3", "auto/4"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.is_bad_input(), "{bad}: {e}");
        }
        let unset = Shard::parse_with("auto/4", None).unwrap_err().to_string();
        assert!(unset.contains("SLURM_ARRAY_TASK_ID is not set"), "{unset}");
        let junk = Shard::parse_with("auto/4", Some("x")).unwrap_err().to_string();
        assert!(junk.contains("SLURM_ARRAY_TASK_ID=\"x\""), "{junk}");
        assert!(Shard::parse_with("auto/4", Some("4")).is_err());
    }
}
