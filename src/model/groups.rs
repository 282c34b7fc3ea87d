//! Brand groups by ownership type and size band: each month's sums per key, read from the
//! groups' end-of-month state, and the annual metrics of `groups.csv` (`run --by-group`,
//! docs/model.md, Metrics) derived from them. Group ids are redrawn each replicate, so the file is
//! keyed by what a group is (its ownership) and where it stands (its sales rank), never by id.

use super::automaker::{Automaker, Ownership};

/// Size rank band of a group in a month, by its rank in that month's sales (retail +
/// zero-mileage registrations + official exports) among the groups in the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeBand {
    /// Ranks 1 to 5.
    Top5,
    /// Ranks 6 to 15.
    Rank6To15,
    /// Rank 16 and below.
    Rest,
}

impl SizeBand {
    /// Every band, in the order of `groups.csv`.
    pub const ALL: [SizeBand; 3] = [SizeBand::Top5, SizeBand::Rank6To15, SizeBand::Rest];

    /// The band of a group with 0-based sales rank `rank` (0 is the best seller).
    pub fn of_rank(rank: usize) -> SizeBand {
        match rank {
            0..=4 => SizeBand::Top5,
            5..=14 => SizeBand::Rank6To15,
            _ => SizeBand::Rest,
        }
    }

    /// The name written in `groups.csv`.
    pub fn name(self) -> &'static str {
        match self {
            SizeBand::Top5 => "top_5",
            SizeBand::Rank6To15 => "6_15",
            SizeBand::Rest => "rest",
        }
    }
}

/// Number of keys: ownership types × size bands.
pub const KEYS: usize = Ownership::ALL.len() * SizeBand::ALL.len();

/// Index of a key (ownership-major, in the order of [`Ownership::ALL`] and [`SizeBand::ALL`]).
pub fn key_index(ownership: Ownership, band: SizeBand) -> usize {
    let o = Ownership::ALL.iter().position(|&x| x == ownership).unwrap_or(0);
    let b = SizeBand::ALL.iter().position(|&x| x == band).unwrap_or(0);
    o * SizeBand::ALL.len() + b
}

/// Every key in index order.
pub fn keys() -> impl Iterator<Item = (Ownership, SizeBand)> {
    Ownership::ALL.into_iter().flat_map(|o| SizeBand::ALL.into_iter().map(move |b| (o, b)))
}

/// The monthly sums kept per key, at these offsets within the key's [`part::COUNT`] values.
#[allow(missing_docs)]
pub mod part {
    /// Groups with an active line at the month's end (count).
    pub const GROUPS: usize = 0;
    /// Groups that exited this month (count).
    pub const EXITS: usize = 1;
    /// Groups bailed out this month (count).
    pub const BAILOUTS: usize = 2;
    /// Sales: retail + zero-mileage registrations + official exports (vehicles).
    pub const SALES: usize = 3;
    pub const RETAIL: usize = 4;
    /// Retail sales × transaction price (yuan), the numerator of the average price.
    pub const RETAIL_VALUE: usize = 5;
    pub const REVENUE: usize = 6;
    pub const PROFIT: usize = 7;
    pub const PRODUCTION: usize = 8;
    pub const CAPACITY: usize = 9;
    pub const SUBSIDIES: usize = 10;
    pub const BAILOUT_FUNDS: usize = 11;
    /// Values per key.
    pub const COUNT: usize = 12;
}

/// Values of one month's group row: [`part::COUNT`] per key, keys in [`key_index`] order.
pub const WIDTH: usize = KEYS * part::COUNT;

/// The month's group row (length [`WIDTH`]) from the lines' end-of-month state.
///
/// The groups in the month are those with a line active at its end or exiting in it (exited in
/// an earlier month: left out, they have no sales). They are ranked by their sales this month,
/// largest first, ties to the lower group index, and banded by [`SizeBand::of_rank`]. A group
/// exiting this month falls in the band of its last month's sales and counts in `EXITS`, not
/// in `GROUPS`. Sums are over the group's lines; capacity counts lines active or producing, as
/// the metric `capacity` does.
pub fn fill_groups(row: &mut [f64], firms: &[Automaker]) {
    row.iter_mut().for_each(|x| *x = 0.0);
    // (first line, end, sales) of each group in the month; lines of a group are adjacent.
    let mut groups: Vec<(usize, usize, f64)> = Vec::new();
    let mut start = 0;
    while start < firms.len() {
        let group = firms[start].group;
        let end = start + firms[start..].iter().take_while(|a| a.group == group).count();
        let lines = &firms[start..end];
        if lines.iter().any(|a| a.active || a.exited_now) {
            groups.push((start, end, lines.iter().map(Automaker::end_sales).sum()));
        }
        start = end;
    }
    groups.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let flag = |b: bool| f64::from(u8::from(b));
    for (rank, &(start, end, sales)) in groups.iter().enumerate() {
        let lines = &firms[start..end];
        let k = key_index(lines[0].ownership, SizeBand::of_rank(rank)) * part::COUNT;
        let cell = &mut row[k..k + part::COUNT];
        cell[part::GROUPS] += flag(lines.iter().any(|a| a.active));
        cell[part::EXITS] += flag(lines.iter().any(|a| a.exited_now));
        cell[part::BAILOUTS] += flag(lines.iter().any(|a| a.bailed_out));
        cell[part::SALES] += sales;
        for a in lines {
            cell[part::RETAIL] += a.retail_sales;
            cell[part::RETAIL_VALUE] += a.retail_sales * a.transaction_price();
            cell[part::REVENUE] += a.revenue;
            cell[part::PROFIT] += a.profit;
            cell[part::PRODUCTION] += a.production;
            if a.active || a.production > 0.0 {
                cell[part::CAPACITY] += a.capacity_month;
            }
            cell[part::SUBSIDIES] += a.subsidy_received;
            cell[part::BAILOUT_FUNDS] += a.bailout_received;
        }
    }
}

/// One annual metric of `groups.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMetric {
    /// The `metric` column.
    pub name: &'static str,
    /// Unit of the annual value.
    pub unit: &'static str,
    /// How a replicate's year is computed from its months.
    pub definition: &'static str,
}

const fn gm(name: &'static str, unit: &'static str, definition: &'static str) -> GroupMetric {
    GroupMetric { name, unit, definition }
}

/// The metrics of `groups.csv`, in row order within a key.
#[rustfmt::skip]
pub const GROUP_METRICS: &[GroupMetric] = &[
    gm("groups", "count", "Groups of the key with an active line at the month's end, averaged over the year's months."),
    gm("exits", "count/year", "Groups of the key that exited, banded by their sales in the month they exited."),
    gm("bailouts", "count/year", "Bailouts granted to groups of the key."),
    gm("sales", "vehicles/year", "Sales of the key's groups: retail to households + zero-mileage registrations (factory and dealer routes) + official new-car exports."),
    gm("sales_share", "fraction", "sales / the sales of all groups in the year (replicates without any sales do not count)."),
    gm("retail_sales", "vehicles/year", "Retail sales to households."),
    gm("revenue", "yuan/year", "Revenue from all buyers."),
    gm("profit", "yuan/year", "Profit: revenue + production subsidies - cost of goods sold - fixed cost - interest."),
    gm("profit_margin", "fraction", "profit / revenue over the year (replicates without revenue in the key do not count)."),
    gm("avg_transaction_price", "yuan", "Transaction price (list less discounts) weighted by retail sales over the year (replicates without retail sales in the key do not count)."),
    gm("production", "vehicles/year", "Vehicles produced."),
    gm("capacity", "vehicles/year", "Monthly capacities of lines active or producing, summed over the year as annual.csv's capacity."),
    gm("utilization", "fraction", "production / capacity over the year (replicates without capacity in the key do not count)."),
    gm("subsidies", "yuan/year", "Production and capital subsidies received from the home government."),
    gm("bailout_funds", "yuan/year", "Bailout money received."),
];

/// Number of [`GROUP_METRICS`].
pub const METRICS: usize = GROUP_METRICS.len();

/// One key's annual values (order of [`GROUP_METRICS`]) from its monthly parts summed over the
/// year (`sums`, [`part::COUNT`] values), the number of months simulated in the year and the
/// sales of all groups in the year. A ratio without a positive denominator is `None`: that
/// replicate does not count for the key's statistics (its `n`).
pub fn annual_values(sums: &[f64], months: usize, all_sales: f64) -> [Option<f64>; METRICS] {
    let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
    let p = |k: usize| sums[k];
    [
        Some(p(part::GROUPS) / months.max(1) as f64),
        Some(p(part::EXITS)),
        Some(p(part::BAILOUTS)),
        Some(p(part::SALES)),
        ratio(p(part::SALES), all_sales),
        Some(p(part::RETAIL)),
        Some(p(part::REVENUE)),
        Some(p(part::PROFIT)),
        ratio(p(part::PROFIT), p(part::REVENUE)),
        ratio(p(part::RETAIL_VALUE), p(part::RETAIL)),
        Some(p(part::PRODUCTION)),
        Some(p(part::CAPACITY)),
        ratio(p(part::PRODUCTION), p(part::CAPACITY)),
        Some(p(part::SUBSIDIES)),
        Some(p(part::BAILOUT_FUNDS)),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::automaker;
    use crate::model::rng::{self, purpose};
    use crate::scenario::AutomakerParams;

    #[test]
    fn bands_and_keys() {
        let bands: Vec<SizeBand> = [0, 4, 5, 14, 15, 99].into_iter().map(SizeBand::of_rank).collect();
        use SizeBand::*;
        assert_eq!(bands, [Top5, Top5, Rank6To15, Rank6To15, Rest, Rest]);
        let all: Vec<(Ownership, SizeBand)> = keys().collect();
        assert_eq!(all.len(), KEYS);
        for (i, (o, b)) in all.into_iter().enumerate() {
            assert_eq!(key_index(o, b), i);
        }
        assert_eq!(GROUP_METRICS[part::SALES].name, "sales");
    }

    /// 20 single-line groups with sales 20, 19, …, 1: the top 5, ranks 6-15 and the rest are
    /// banded by sales; an exiting group counts as an exit in its band, an exited one nowhere.
    #[test]
    fn groups_are_banded_by_sales() {
        let p = AutomakerParams { count: 22, powertrains: crate::scenario::Powertrains::Single, ..Default::default() };
        let mut firms = automaker::init(&p, &[1.0], &mut rng::stream(1, purpose::INIT_AUTOMAKERS, 0, 0));
        for (i, a) in firms.iter_mut().enumerate() {
            (a.ownership, a.retail_sales, a.zero_mileage_sales, a.export_sales) =
                (Ownership::Private, 20.0 - i as f64, 0.0, 0.0);
        }
        firms[0].ownership = Ownership::CentralState;
        // Group 6 exits this month (rank 7), group 20 exited earlier, group 21 too.
        (firms[6].active, firms[6].exited_now) = (false, true);
        firms[20].active = false;
        (firms[21].active, firms[21].retail_sales) = (false, 0.0);
        let mut row = vec![1.0; WIDTH];
        fill_groups(&mut row, &firms);
        let at = |o, b, k| row[key_index(o, b) * part::COUNT + k];
        use Ownership::*;
        use SizeBand::*;
        assert_eq!(at(CentralState, Top5, part::GROUPS), 1.0);
        assert_eq!(at(CentralState, Top5, part::SALES), 20.0);
        assert_eq!(at(Private, Top5, part::GROUPS), 4.0);
        assert_eq!(at(Private, Rank6To15, part::GROUPS), 9.0);
        assert_eq!(at(Private, Rank6To15, part::EXITS), 1.0);
        assert_eq!(at(Private, Rank6To15, part::SALES), (5..15).map(|r| 20.0 - r as f64).sum::<f64>());
        assert_eq!(at(Private, Rest, part::GROUPS), 5.0);
        assert_eq!(at(LocalState, Top5, part::GROUPS), 0.0);
        let total: f64 = (0..KEYS).map(|k| row[k * part::COUNT + part::SALES]).sum();
        assert_eq!(total, (0..20).map(|r| 20.0 - r as f64).sum::<f64>());
    }

    #[test]
    fn ratios_without_denominator_are_none() {
        let mut sums = [0.0; part::COUNT];
        let v = annual_values(&sums, 12, 0.0);
        assert!(v[4].is_none() && v[8].is_none() && v[9].is_none() && v[12].is_none());
        assert_eq!(v[0], Some(0.0));
        sums[part::GROUPS] = 24.0;
        (sums[part::SALES], sums[part::PROFIT], sums[part::REVENUE]) = (5.0, 1.0, 4.0);
        let v = annual_values(&sums, 12, 20.0);
        assert_eq!((v[0], v[4], v[8]), (Some(2.0), Some(0.25), Some(0.25)));
        assert!(v.iter().flatten().all(|x| x.is_finite()));
    }
}
