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

/// Years a month may have (a guard against typos such as `0000` or `20240`).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Why a string is not a `YYYY-MM` month: the text and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDate {
    /// The text as written.
    pub text: String,
    /// What is wrong, in the user's words.
    pub reason: String,
}

impl fmt::Display for BadDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.text, self.reason)
    }
}

impl FromStr for YearMonth {
    type Err = BadDate;
    fn from_str(s: &str) -> Result<Self, BadDate> {
        let bad = |reason: String| BadDate { text: s.to_string(), reason };
        let format = || bad("expected a month written YYYY-MM (e.g. \"2024-04\")".to_string());
        let (y, m) = s.split_once('-').ok_or_else(format)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) {
            return Err(format());
        }
        let year: i32 = y.parse().map_err(|_| format())?;
        let month: u32 = m.parse().map_err(|_| format())?;
        if !(1..=12).contains(&month) {
            return Err(bad(format!("month {m} is not a month (01-12)")));
        }
        if !YEARS.contains(&year) {
            return Err(bad(format!("year {y} is out of range ({}-{})", YEARS.start(), YEARS.end())));
        }
        YearMonth::new(year, month).ok_or_else(format)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = YearMonth;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a month written YYYY-MM (e.g. \"2024-04\")")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<YearMonth, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
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
        for s in ["2024-13", "2024-00", "2024-4", "24-04", "2024/04", "", "abcd-ef", "+024-01", "2024-+1", "0000-01"] {
            assert!(s.parse::<YearMonth>().is_err(), "{s}");
        }
    }

    #[test]
    fn bad_dates_say_what_is_wrong() {
        let why = |s: &str| s.parse::<YearMonth>().unwrap_err().to_string();
        assert_eq!(why("2024-13"), "\"2024-13\": month 13 is not a month (01-12)");
        assert_eq!(why("2024-00"), "\"2024-00\": month 00 is not a month (01-12)");
        assert_eq!(why("0000-01"), "\"0000-01\": year 0000 is out of range (1900-2200)");
        assert_eq!(why("2201-01"), "\"2201-01\": year 2201 is out of range (1900-2200)");
        assert_eq!(why("2024/04"), "\"2024/04\": expected a month written YYYY-MM (e.g. \"2024-04\")");
        assert_eq!(why("2024-4"), "\"2024-4\": expected a month written YYYY-MM (e.g. \"2024-04\")");
        // Not text at all: the type error names the month format.
        let e = toml::from_str::<std::collections::BTreeMap<String, YearMonth>>("d = 2024").unwrap_err();
        assert!(e.message().contains("expected a month written YYYY-MM"), "{}", e.message());
    }
}
