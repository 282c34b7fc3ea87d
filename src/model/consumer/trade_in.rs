//! Trade-in eligibility (docs/model.md §7.3, "Trade-in"): which owner may claim the scrapping
//! subsidy (报废更新: a car registered before the cut-off) or the replacement subsidy
//! (置换更新: any owner who sells a car and buys a new one), what each pays, and which scheme a
//! served buyer claims.

use crate::model::rng::{self, purpose};
use crate::scenario::{PolicyParams, YearMonth};

/// A buyer who claims nothing (non-owner, or no scheme pays for the line bought).
pub const NONE: u8 = 0;
/// An owner whose car is too young to scrap: the replacement scheme only.
pub const REPLACE: u8 = 1;
/// An owner whose car was registered before the scrapping cut-off.
pub const SCRAP: u8 = 2;
/// Number of eligibility classes (the logit tables hold one set per class).
pub const ELIGIBILITY: usize = 3;

/// The eligibility rule of one month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeInRule {
    /// Car age (months) from which an owner's car was registered before the scrapping cut-off.
    pub scrap_min_age: u32,
    /// Share of replacing owners of a younger car who sell it and claim the replacement
    /// subsidy (`policy.trade_in_replace_take_up`).
    pub take_up: f64,
    /// Replicate key and month index of the take-up draw.
    pub at: (u64, u64),
}

impl TradeInRule {
    /// The rule in force in calendar month `date`: a car bought in month M has age t − M in
    /// month t, so "registered before the cut-off C" (M ≤ C − 1) is age ≥ t − C + 1. The
    /// threshold moves with the calendar; a cut-off after `date` makes every owner eligible.
    pub fn new(policy: &PolicyParams, date: YearMonth, at: (u64, u64)) -> Self {
        let months = policy.trade_in_scrap_before.months_until(date) + 1;
        TradeInRule {
            scrap_min_age: months.clamp(0, u32::MAX as i64) as u32,
            take_up: policy.trade_in_replace_take_up,
            at,
        }
    }

    /// A rule with every owner's car old enough to scrap and full take-up (tests).
    pub fn everyone() -> Self {
        TradeInRule { scrap_min_age: 0, take_up: 1.0, at: (0, 0) }
    }

    /// The eligibility class ([`NONE`], [`REPLACE`], [`SCRAP`]) of household `agent` (global
    /// index) that owns a car (`owner`) of age `age` months. A younger car's owner is in the
    /// replacement class with probability `take_up`, by a counter-based draw of (key, month,
    /// agent), the same in the decision and in the rationing.
    pub fn class(&self, owner: bool, age: u16, agent: usize) -> u8 {
        match (owner, age as u32 >= self.scrap_min_age) {
            (false, _) => NONE,
            (true, true) => SCRAP,
            (true, false) if self.take_up >= 1.0 => REPLACE,
            (true, false) => {
                let u = rng::hashed_uniform(self.at.0, purpose::TRADE_IN, self.at.1, agent as u64);
                if u < self.take_up {
                    REPLACE
                } else {
                    NONE
                }
            }
        }
    }
}

/// The two subsidies a buyer of one line can claim (yuan): scrapping and replacement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amounts {
    /// Scrapping subsidy: min(share × p, cap) when the price share is positive, else the flat
    /// amount by powertrain, ev × NEV + (1 − ev) × ICE.
    pub scrap: f64,
    /// Replacement subsidy, ev × NEV + (1 − ev) × ICE.
    pub replace: f64,
}

impl Amounts {
    /// The amounts for a line with EV share `ev` and transaction price `tx` under `policy`.
    pub fn of(policy: &PolicyParams, ev: f64, tx: f64) -> Self {
        let scrap = if policy.trade_in_price_share > 0.0 {
            (policy.trade_in_price_share * tx).min(policy.trade_in_cap)
        } else {
            ev * policy.trade_in_nev + (1.0 - ev) * policy.trade_in_ice
        };
        let replace = ev * policy.trade_in_replace_nev + (1.0 - ev) * policy.trade_in_replace_ice;
        Amounts { scrap, replace }
    }

    /// The subsidy of a buyer in eligibility class `class` (the owner of an old car takes the
    /// larger of the two: it can scrap the car or sell it).
    pub fn subsidy(&self, class: u8) -> f64 {
        match class {
            SCRAP => self.scrap.max(self.replace),
            REPLACE => self.replace,
            _ => 0.0,
        }
    }

    /// The scheme a buyer in `class` claims ([`NONE`] when it pays nothing): the owner of an old
    /// car claims scrapping unless replacement pays more.
    pub fn claim(&self, class: u8) -> u8 {
        match class {
            SCRAP if self.scrap > 0.0 && self.scrap >= self.replace => SCRAP,
            SCRAP | REPLACE if self.replace > 0.0 => REPLACE,
            _ => NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(cutoff: &str) -> PolicyParams {
        PolicyParams {
            trade_in_nev: 20_000.0,
            trade_in_ice: 15_000.0,
            trade_in_replace_nev: 15_000.0,
            trade_in_replace_ice: 10_000.0,
            trade_in_scrap_before: cutoff.parse().unwrap(),
            ..PolicyParams::default()
        }
    }

    #[test]
    fn scrapping_needs_a_car_registered_before_the_cut_off_and_the_threshold_moves_with_the_calendar() {
        let p = policy("2011-01");
        let aug24: YearMonth = "2024-08".parse().unwrap();
        let rule = TradeInRule::new(&p, aug24, (1, 0));
        // Bought in Dec 2010 (age 164 in Aug 2024) qualifies, Jan 2011 (age 163) does not.
        assert_eq!(rule.scrap_min_age, 164);
        assert_eq!(rule.class(true, 164, 0), SCRAP);
        assert_eq!(rule.class(true, 163, 0), REPLACE);
        assert_eq!(rule.class(false, 400, 0), NONE, "a household without a car claims nothing");
        // A year later the same cars are a year older: the threshold rises by 12 months.
        let later = TradeInRule::new(&p, aug24.offset(12), (1, 12));
        assert_eq!(later.scrap_min_age, 176);
        assert_eq!(later.class(true, 175, 0), REPLACE);
        // A cut-off in the future makes every owner's car old enough.
        assert_eq!(TradeInRule::new(&policy("2030-01"), aug24, (1, 0)).scrap_min_age, 0);
    }

    #[test]
    fn replacement_take_up_is_the_drawn_share_of_younger_cars_and_the_same_draw_twice() {
        let p = PolicyParams { trade_in_replace_take_up: 0.4, ..policy("2011-01") };
        let rule = TradeInRule::new(&p, "2024-08".parse().unwrap(), (7, 67));
        let n = 20_000;
        let replace = (0..n).filter(|&i| rule.class(true, 24, i) == REPLACE).count();
        assert!((replace as f64 / n as f64 - 0.4).abs() < 0.02, "{replace}");
        assert!((0..n).all(|i| rule.class(true, 24, i) == rule.class(true, 24, i)));
        assert!((0..n).all(|i| rule.class(true, 200, i) == SCRAP), "take-up limits replacement only");
    }

    #[test]
    fn replacement_pays_any_owner_and_scrapping_pays_the_old_car_the_larger_amount() {
        let p = policy("2011-01");
        let nev = Amounts::of(&p, 1.0, 150_000.0);
        let ice = Amounts::of(&p, 0.0, 150_000.0);
        assert_eq!((nev.scrap, nev.replace), (20_000.0, 15_000.0));
        assert_eq!((ice.subsidy(SCRAP), ice.subsidy(REPLACE), ice.subsidy(NONE)), (15_000.0, 10_000.0, 0.0));
        assert_eq!((nev.claim(SCRAP), nev.claim(REPLACE), nev.claim(NONE)), (SCRAP, REPLACE, NONE));
        // Without a replacement scheme a young car claims nothing; without scrapping money an old
        // car is sold and claims replacement.
        let scrap_only = PolicyParams { trade_in_replace_nev: 0.0, trade_in_replace_ice: 0.0, ..p.clone() };
        let a = Amounts::of(&scrap_only, 1.0, 150_000.0);
        assert_eq!((a.claim(REPLACE), a.subsidy(REPLACE)), (NONE, 0.0));
        let replace_only = PolicyParams { trade_in_nev: 0.0, trade_in_ice: 0.0, ..p.clone() };
        let a = Amounts::of(&replace_only, 1.0, 150_000.0);
        assert_eq!((a.claim(SCRAP), a.subsidy(SCRAP)), (REPLACE, 15_000.0));
        // 2026: scrapping by price share, capped.
        let share = PolicyParams { trade_in_price_share: 0.12, trade_in_cap: 20_000.0, ..p };
        assert_eq!(Amounts::of(&share, 0.0, 100_000.0).scrap, 12_000.0);
        assert_eq!(Amounts::of(&share, 0.0, 300_000.0).scrap, 20_000.0);
    }
}
