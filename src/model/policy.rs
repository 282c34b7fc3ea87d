//! Phase 1, the policy calendar: what the dated `[[events]]` put in force this month, read in
//! one pass over the event list (docs/model.md §7.1).

use crate::scenario::events::CapacityConsolidation;
use crate::scenario::{EventKind, PolicyParams, Scenario, YearMonth};

/// Where a phase is in the run: the replicate's key, the month index and the calendar date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Month {
    /// Replicate key (the root of every random stream, `model::rng`).
    pub key: u64,
    /// Months since the start, from 0 (the stream index of the month).
    pub index: u64,
    /// The calendar month.
    pub date: YearMonth,
}

impl Month {
    /// Years since the start (index / 12).
    pub fn years(&self) -> f64 {
        self.index as f64 / 12.0
    }

    /// True in the first month of a calendar quarter (January, April, July, October).
    pub fn quarter_start(&self) -> bool {
        self.date.month % 3 == 1
    }
}

/// One foreign market's schedule this month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketSchedule {
    /// Ad-valorem duty before backlash (fraction).
    pub tariff: f64,
    /// Per-car fee (yuan/vehicle).
    pub fee: f64,
    /// Multiplier of the market's demand (`foreign_demand_shift` events; 1 = none).
    pub shift: f64,
}

/// Everything the event list decides for one month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthCalendar {
    /// National policy: `[policy]` changed by every event in force, later events winning.
    pub policy: PolicyParams,
    /// Each foreign market's schedule, in scenario order.
    pub markets: Vec<MarketSchedule>,
    /// Multiplier of the households' market-entry hazards (`domestic_demand_shift`; 1 = none).
    pub entry_factor: f64,
    /// One-off capacity consolidations dated exactly this month.
    pub consolidations: Vec<CapacityConsolidation>,
    /// Battery pack cost relative to the first month: the path of the `battery_cost` events
    /// (`policy::battery_cost`), or (1 − d)^(years since the start) without one
    /// (d = `automakers.battery_cost_decline`).
    pub battery_cost: f64,
}

/// The calendar of `date`: one pass over the events in file order. Events in force
/// ([`crate::scenario::Event::active`]) change the policy, the foreign schedules and household
/// entry; a consolidation acts only in the month it is dated.
pub fn calendar(s: &Scenario, date: YearMonth) -> MonthCalendar {
    let mut policy = s.policy.clone();
    let mut markets: Vec<MarketSchedule> =
        s.markets.iter().map(|m| MarketSchedule { tariff: m.tariff, fee: m.fee, shift: 1.0 }).collect();
    let mut entry_factor = 1.0;
    let mut consolidations = Vec::new();
    for e in &s.events {
        if e.enabled && e.date == date {
            if let EventKind::CapacityConsolidation(c) = &e.kind {
                consolidations.push(c.clone());
            }
        }
        if !e.active(date) {
            continue;
        }
        e.apply_policy(&mut policy);
        for (schedule, mp) in markets.iter_mut().zip(&s.markets) {
            match &e.kind {
                EventKind::Tariff(t) if t.market == mp.id => {
                    schedule.tariff = t.ad_valorem;
                    schedule.fee = t.fee;
                }
                EventKind::ForeignDemandShift(d) if d.market == mp.id => schedule.shift *= d.factor,
                _ => {}
            }
        }
        if let EventKind::DomesticDemandShift(d) = &e.kind {
            entry_factor *= d.factor;
        }
    }
    let battery_cost = battery_cost(s, date);
    MonthCalendar { policy, markets, entry_factor, consolidations, battery_cost }
}

/// Battery pack cost in `date` relative to the first month: the enabled `battery_cost` events
/// are points (date, index) of a path, in date order, interpolated linearly in months from
/// (start, 1); after the last point (or from the start, without one) it falls at
/// `automakers.battery_cost_decline` a year.
fn battery_cost(s: &Scenario, date: YearMonth) -> f64 {
    let mut points: Vec<(i64, f64)> = s
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::BatteryCost(b) if e.enabled => Some((e.date.index(), b.index)),
            _ => None,
        })
        .collect();
    points.sort_by_key(|p| p.0);
    let mut last = (s.start.index(), 1.0);
    for (at, index) in points {
        if at > date.index() {
            let w = (date.index() - last.0) as f64 / (at - last.0).max(1) as f64;
            return last.1 + w * (index - last.1);
        }
        last = (at, index);
    }
    let years = (date.index() - last.0) as f64 / 12.0;
    last.1 * (1.0 - s.automakers.battery_cost_decline).powf(years)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(events: &str) -> Scenario {
        let text = format!(
            "name = \"t\"\nstart = \"2020-01\"\nend = \"2021-12\"\n[[markets]]\nid = \"ru\"\ntariff = 0.1\nfee = 5.0\n\
             [[markets]]\nid = \"me\"\n{events}"
        );
        crate::scenario::from_str(&text, &[]).unwrap()
    }

    #[test]
    fn later_events_win_and_end_when_due() {
        let s = scenario(
            "[[events]]\nid = \"a\"\nkind = \"zero_mileage_quota\"\ndate = \"2020-03\"\nvehicles_per_month = 10.0\n\
             [[events]]\nid = \"b\"\nkind = \"zero_mileage_quota\"\ndate = \"2020-06\"\nuntil = \"2020-09\"\nvehicles_per_month = 4.0\n",
        );
        let quota = |y, m| calendar(&s, YearMonth::new(y, m).unwrap()).policy.zero_mileage_quota;
        assert_eq!(quota(2020, 2), s.policy.zero_mileage_quota);
        assert_eq!(quota(2020, 3), 10.0);
        assert_eq!(quota(2020, 7), 4.0, "the later event wins while both are in force");
        assert_eq!(quota(2020, 9), 10.0, "`until` is exclusive");
    }

    #[test]
    fn tariffs_and_shifts_address_their_market_and_shifts_multiply() {
        let s = scenario(
            "[[events]]\nid = \"t\"\nkind = \"tariff\"\ndate = \"2020-02\"\nmarket = \"ru\"\nad_valorem = 0.3\nfee = 9.0\n\
             [[events]]\nid = \"s1\"\nkind = \"foreign_demand_shift\"\ndate = \"2020-02\"\nmarket = \"me\"\nfactor = 2.0\n\
             [[events]]\nid = \"s2\"\nkind = \"foreign_demand_shift\"\ndate = \"2020-02\"\nmarket = \"me\"\nfactor = 1.5\n\
             [[events]]\nid = \"d\"\nkind = \"domestic_demand_shift\"\ndate = \"2020-02\"\nuntil = \"2020-03\"\nfactor = 0.5\n",
        );
        let jan = calendar(&s, YearMonth::new(2020, 1).unwrap());
        assert_eq!(jan.markets[0], MarketSchedule { tariff: 0.1, fee: 5.0, shift: 1.0 });
        assert_eq!(jan.entry_factor, 1.0);
        let feb = calendar(&s, YearMonth::new(2020, 2).unwrap());
        assert_eq!(feb.markets[0], MarketSchedule { tariff: 0.3, fee: 9.0, shift: 1.0 });
        assert_eq!(feb.markets[1].shift, 3.0);
        assert_eq!(feb.markets[1].tariff, s.markets[1].tariff);
        assert_eq!(feb.entry_factor, 0.5);
        assert_eq!(calendar(&s, YearMonth::new(2020, 3).unwrap()).entry_factor, 1.0);
    }

    #[test]
    fn a_consolidation_acts_only_in_its_month() {
        let s = scenario(
            "[[events]]\nid = \"c\"\nkind = \"capacity_consolidation\"\ndate = \"2020-05\"\nretire_share = 0.4\n",
        );
        assert_eq!(calendar(&s, YearMonth::new(2020, 5).unwrap()).consolidations.len(), 1);
        assert!(calendar(&s, YearMonth::new(2020, 6).unwrap()).consolidations.is_empty());
        assert!(calendar(&s, YearMonth::new(2020, 4).unwrap()).consolidations.is_empty());
    }

    #[test]
    fn battery_cost_interpolates_its_points_and_then_declines() {
        // Points written out of date order: the path sorts them.
        let s = scenario(
            "[[events]]\nid = \"b2\"\nkind = \"battery_cost\"\ndate = \"2021-01\"\nindex = 1.2\n\
             [[events]]\nid = \"b1\"\nkind = \"battery_cost\"\ndate = \"2020-07\"\nindex = 0.7\n",
        );
        let d = s.automakers.battery_cost_decline;
        let at = |y, m| calendar(&s, YearMonth::new(y, m).unwrap()).battery_cost;
        assert_eq!(at(2020, 1), 1.0, "the start is 1");
        assert!((at(2020, 4) - 0.85).abs() < 1e-12, "half way from (start, 1) to (Jul, 0.7)");
        assert!((at(2020, 7) - 0.7).abs() < 1e-12);
        assert!((at(2020, 10) - 0.95).abs() < 1e-12, "half way from 0.7 to 1.2: the 2022-style rise");
        assert!((at(2021, 7) - 1.2 * (1.0 - d).powf(0.5)).abs() < 1e-12, "after the last point it declines");
        // Without points: the constant decline from the start.
        let none = scenario("");
        let b = calendar(&none, YearMonth::new(2021, 7).unwrap()).battery_cost;
        assert_eq!(b, (1.0 - d).powf(18.0 / 12.0));
    }
}
