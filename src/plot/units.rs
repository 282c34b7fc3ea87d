//! Display units: readable metric names, the unit an axis or table column is shown in (with its
//! scale factor), and number text.

use crate::model::metrics::{metric_def, Annual};

/// A unit as displayed: values are multiplied by `factor`, then labelled `label`.
#[derive(Debug, Clone, PartialEq)]
pub struct Display {
    /// Multiplier from the metric's unit to the displayed one.
    pub factor: f64,
    /// Axis or column unit, e.g. `million vehicles/month`, `%`.
    pub label: String,
}

/// The monthly unit of a metric in the output contract (`model::metrics::metric_def`); an
/// unknown metric has no unit (`""`).
pub fn metric_unit(metric: &str) -> &'static str {
    metric_def(metric).map_or("", |m| m.unit)
}

/// How `annual.csv` aggregates a metric (an unknown one is taken as averaged).
pub fn metric_annual(metric: &str) -> Annual {
    metric_def(metric).map_or(Annual::Mean, |m| m.annual)
}

/// A metric's name for people: `zero_mileage_exports` → `zero-mileage exports`,
/// `exports_central_asia` → `central asia`.
pub fn metric_label(metric: &str) -> String {
    let known = match metric {
        "price_index" => "price index",
        "avg_discount" => "average discount",
        "zero_mileage_exports" => "zero-mileage exports",
        "new_car_exports" => "new-car exports",
        "domestic_retail_sales" => "domestic retail sales",
        "consumers_waiting_share" => "households waiting",
        "expected_price_change" => "expected price change",
        "active_automakers" => "active automakers",
        "industry_profit_margin" => "industry profit margin",
        "local_subsidy_spend" => "local subsidy spend",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    metric.strip_prefix("exports_").unwrap_or(metric).replace('_', " ")
}

/// The unit of a metric's figure in `annual.csv`: summed flows per month become per year.
pub fn annual_unit(metric: &str) -> String {
    metric_def(metric).map_or_else(String::new, |m| m.annual_unit())
}

/// How to show values of `unit` whose largest magnitude is `max_abs`: fractions as percent,
/// large counts of vehicles or yuan in thousands, millions or billions.
pub fn display(unit: &str, max_abs: f64) -> Display {
    let plain = |label: &str| Display { factor: 1.0, label: label.to_string() };
    match unit {
        "fraction" => return Display { factor: 100.0, label: "%".into() },
        "fraction/month" => return Display { factor: 100.0, label: "% per month".into() },
        "index, first month = 100" => return plain("index, first month = 100"),
        "" => return plain("value"),
        _ => {}
    }
    if unit.starts_with("vehicles") || unit.starts_with("yuan") {
        for (limit, word) in [(1e9, "billion"), (1e6, "million"), (1e3, "thousand")] {
            if max_abs >= limit {
                return Display { factor: 1.0 / limit, label: format!("{word} {unit}") };
            }
        }
    }
    plain(unit)
}

/// `x` with `decimals` decimals, never `-0`.
pub fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `x` to about three significant digits (for tables): `1234.6` → `1235`, `0.01234` → `0.0123`.
pub fn significant(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 6) as usize;
    fixed(x, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_and_label() {
        assert_eq!(display("vehicles/month", 2.5e6), Display { factor: 1e-6, label: "million vehicles/month".into() });
        assert_eq!(display("yuan/month", 3.0e9).label, "billion yuan/month");
        assert_eq!(display("vehicles/month", 12.0).factor, 1.0);
        assert_eq!(display("fraction", 0.3).factor, 100.0);
        assert_eq!(display("count", 1e7).label, "count");
        assert_eq!(annual_unit("capacity"), "vehicles/year");
        assert_eq!(annual_unit("exports_russia"), "vehicles/year");
        assert_eq!(annual_unit("expected_price_change"), "fraction/month");
        assert_eq!(annual_unit("unknown"), "");
        assert_eq!(metric_unit("exports_russia"), "vehicles/month");
        assert_eq!(metric_unit("avg_discount"), "fraction");
        assert_eq!(metric_label("exports_rest_of_world"), "rest of world");
    }

    #[test]
    fn numbers() {
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(significant(1234.6), "1235");
        assert_eq!(significant(0.012345), "0.0123");
        assert_eq!(significant(2.5), "2.50");
    }
}
