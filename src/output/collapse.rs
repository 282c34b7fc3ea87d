//! `collapse_share`, the extra rows of `annual.csv` (docs/model.md §7.8): per scenario and year,
//! the share of replicates in which that year's total exports (new + zero-mileage) are below
//! [`EXPORT_COLLAPSE`] of the same replicate's 2024 total, or domestic retail sales below
//! [`RETAIL_COLLAPSE`] of its 2019 level. Each test applies from its reference year on (a
//! collapse is a fall from it). A horizon without 2024 (2019) takes its first year as the
//! reference instead.

use super::sketch::QuantileSketch;
use crate::model::metrics::MetricSet;

/// Name of the rows in `annual.csv` and `metrics.csv`.
pub const COLLAPSE_SHARE: &str = "collapse_share";
/// Exports below this fraction of the reference year's exports count as a collapse.
pub const EXPORT_COLLAPSE: f64 = 1.0 / 3.0;
/// Retail sales below this fraction of the reference year's sales count as a collapse.
pub const RETAIL_COLLAPSE: f64 = 0.5;
/// Reference year of exports.
pub const EXPORT_YEAR: i32 = 2024;
/// Reference year of retail sales.
pub const RETAIL_YEAR: i32 = 2019;

/// One scenario's collapse indicators: a sketch of the 0/1 indicator per year (its mean is the
/// share of replicates).
#[derive(Debug, Clone)]
pub(crate) struct Collapse {
    /// Metric indices of new-car exports, zero-mileage exports and retail sales (`None` when
    /// the metric set lacks one: no rows then).
    metrics: Option<[usize; 3]>,
    /// Year indices of the export and retail references.
    reference: [usize; 2],
    /// One sketch per year.
    pub(crate) cells: Vec<QuantileSketch>,
}

impl Collapse {
    /// The indicators of a scenario with these metrics and calendar years (ascending).
    pub(crate) fn new(metrics: &MetricSet, years: &[i32]) -> Self {
        let find = |name| metrics.position(name);
        let ids = match (find("new_car_exports"), find("zero_mileage_exports"), find("domestic_retail_sales")) {
            (Some(a), Some(b), Some(c)) if !years.is_empty() => Some([a, b, c]),
            _ => None,
        };
        let at = |year| years.iter().position(|&y| y == year).unwrap_or(0);
        Collapse {
            metrics: ids,
            reference: [at(EXPORT_YEAR), at(RETAIL_YEAR)],
            cells: vec![QuantileSketch::new(); years.len()],
        }
    }

    /// True when the scenario has the metrics, so `annual.csv` gets its rows.
    pub(crate) fn applies(&self) -> bool {
        self.metrics.is_some()
    }

    /// Adds one replicate from its annual values (`year_index * width + metric`).
    pub(crate) fn add(&mut self, values: &[f64], width: usize) {
        let Some([new, zm, retail]) = self.metrics else { return };
        let exports = |y: usize| values[y * width + new] + values[y * width + zm];
        let [xr, rr] = self.reference;
        let (x0, r0) = (exports(xr), values[rr * width + retail]);
        // Each test applies from its reference year on: a collapse is a fall from it.
        for (y, cell) in self.cells.iter_mut().enumerate() {
            let x = if y >= xr { exports(y) } else { f64::INFINITY };
            let r = if y >= rr { values[y * width + retail] } else { f64::INFINITY };
            cell.add(f64::from(u8::from(collapsed(x, x0, r, r0))));
        }
    }
}

/// A year collapsed: exports below [`EXPORT_COLLAPSE`] × the reference exports, or retail below
/// [`RETAIL_COLLAPSE`] × the reference retail.
pub fn collapsed(exports: f64, exports_ref: f64, retail: f64, retail_ref: f64) -> bool {
    exports < EXPORT_COLLAPSE * exports_ref || retail < RETAIL_COLLAPSE * retail_ref
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::Annual;

    #[test]
    fn share_of_replicates_below_the_thresholds() {
        let set = MetricSet {
            names: ["domestic_retail_sales", "new_car_exports", "zero_mileage_exports"].map(String::from).to_vec(),
            annual: vec![Annual::Sum; 3],
            units: vec!["vehicles/month".into(); 3],
        };
        let mut c = Collapse::new(&set, &[2019, 2024, 2025]);
        // Years 2019, 2024, 2025 × (retail, new, zm).
        c.add(&[100.0, 0.0, 0.0, 90.0, 60.0, 30.0, 60.0, 20.0, 9.0], 3);
        c.add(&[100.0, 0.0, 0.0, 40.0, 60.0, 30.0, 60.0, 20.0, 11.0], 3);
        let means: Vec<Option<f64>> = c.cells.iter().map(QuantileSketch::mean).collect();
        assert_eq!(means, vec![Some(0.0), Some(0.5), Some(0.5)]);
        assert!(collapsed(1.0, 3.1, 10.0, 10.0) && !collapsed(1.0, 3.0, 5.0, 10.0));
    }
}
