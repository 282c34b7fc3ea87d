//! Calendar months: the model's time axis, written `YYYY-MM` in scenarios and outputs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A calendar month (year and month 1–12). Ordered; `index` counts months from year 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// Calendar year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
}

impl YearMonth {
    /// Builds a month; `None` if `month` is not 1–12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then_some(YearMonth { year, month })
    }

    /// Months since January of year 0.
    pub fn index(self) -> i64 {
        self.year as i64 * 12 + (self.month as i64 - 1)
    }

    /// Inverse of [`YearMonth::index`].
    pub fn from_index(i: i64) -> Self {
        YearMonth { year: i.div_euclid(12) as i32, month: (i.rem_euclid(12) + 1) as u32 }
    }

    /// The month `n` months later (negative: earlier).
    pub fn offset(self, n: i64) -> Self {
        Self::from_index(self.index() + n)
    }

    /// Months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: YearMonth) -> i64 {
        later.index() - self.index()
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Why a string is not a `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDate(pub String);

impl fmt::Display for BadDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected a month written YYYY-MM (e.g. \"2024-04\"), got {:?}", self.0)
    }
}

impl FromStr for YearMonth {
    type Err = BadDate;
    fn from_str(s: &str) -> Result<Self, BadDate> {
        let bad = || BadDate(s.to_string());
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1900..=2200).contains(&year) {
            return Err(bad());
        }
        YearMonth::new(year, month).ok_or_else(bad)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d: YearMonth = "2024-04".parse().unwrap();
        assert_eq!(d, YearMonth { year: 2024, month: 4 });
        assert_eq!(d.to_string(), "2024-04");
        assert_eq!(d.offset(9).to_string(), "2025-01");
        assert_eq!(d.offset(-4).to_string(), "2023-12");
        assert_eq!(YearMonth::from_index(d.index()), d);
    }

    #[test]
    fn rejects_bad_dates() {
        for s in ["2024-13", "2024-00", "2024-4", "24-04", "2024/04", "", "abcd-ef"] {
            assert!(s.parse::<YearMonth>().is_err(), "{s}");
        }
    }
}
