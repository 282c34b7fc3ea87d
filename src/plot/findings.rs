//! The opening of `report.html`: what a zero-mileage car is, the key findings computed from the
//! run's files, and (with two or more scenarios) the annual policy-effect table read from
//! `annual_deltas.csv`.
//!
//! Every sentence is a function of the files read back ([`RunData`]), so the report stays
//! byte-identical for equal runs, at any thread count or shard split.

use std::fmt::Write as _;

use super::data::{AnnualCell, AnnualTable, RunData};
use super::report::{esc, year_rows};
use super::units;

/// Metrics of the annual policy-effect table and of the largest-effect finding, in column order.
const EFFECT: [&str; 8] = [
    "domestic_retail_sales",
    "new_car_exports",
    "zero_mileage_exports",
    "price_index",
    "avg_discount",
    "utilization",
    "active_automakers",
    "industry_profit_margin",
];

/// The "what is a zero-mileage car" paragraph.
pub(super) fn intro(h: &mut String) {
    h.push_str(
        "<h2>What is a zero-mileage car</h2>\n<p>A zero-mileage car is a new car that is registered in China, \
         so it is counted as a domestic sale, and is then exported as a <em>used</em> car, often within days and \
         with almost no kilometres driven. Exporters buy such cars when the price war has pushed domestic \
         discounts deep enough, and the registration lets carmakers and local governments meet sales targets. \
         This report shows how the simulated price war, official new-car exports and zero-mileage exports \
         evolve in each scenario, across Monte Carlo replicates.</p>\n",
    );
}

/// The key findings list: the first scenario's zero-mileage exports in its last full year and
/// its price index at the end, and with two or more scenarios the largest annual policy effect.
pub(super) fn key_findings(h: &mut String, data: &RunData) {
    let mut items: Vec<String> = Vec::new();
    if let Some(item) = zero_mileage_finding(data) {
        items.push(item);
    }
    if let Some(item) = price_finding(data) {
        items.push(item);
    }
    if let Some(item) = largest_effect(data) {
        items.push(item);
    }
    items.extend(collapse_findings(data));
    if items.is_empty() {
        return;
    }
    h.push_str("<h2>Key findings</h2>\n<ul>\n");
    for item in items {
        let _ = writeln!(h, "<li>{item}</li>");
    }
    h.push_str(
        "</ul>\n<p class=\"ci\">Medians across replicates with the 90% interval (5th–95th percentile); \
         policy effects are paired differences, scenario minus the first scenario in the same replicate.</p>\n",
    );
}

/// The last calendar year the first scenario simulates in full (12 months), else its last year.
fn last_full_year(data: &RunData) -> Option<(i32, usize)> {
    let dates = &data.monthly.first()?.get("price_index").or_else(|| data.monthly.first()?.get("production"))?.dates;
    let mut months: std::collections::BTreeMap<i32, usize> = Default::default();
    for d in dates {
        *months.entry(d.year).or_default() += 1;
    }
    months.iter().rev().find(|(_, &n)| n == 12).or_else(|| months.iter().next_back()).map(|(&y, &n)| (y, n))
}

/// `v` in display units `d`, or a dash.
fn shown(v: Option<f64>, d: &units::Display) -> String {
    v.map_or_else(|| "–".into(), |v| units::significant(v * d.factor))
}

fn zero_mileage_finding(data: &RunData) -> Option<String> {
    let table = data.annual.first()?;
    let (year, months) = last_full_year(data)?;
    let metric = "zero_mileage_exports";
    let cell = table.get(metric)?.iter().find(|c| c.year == year)?;
    let d = units::display(&units::annual_unit(metric), max_abs([cell]));
    let partial = if months == 12 { String::new() } else { format!(" ({months} simulated months)") };
    Some(format!(
        "<b>{}</b>: zero-mileage exports in {year}{partial}: {} {} (90% interval {} – {}).",
        esc(&table.name),
        shown(cell.p50, &d),
        esc(&d.label),
        shown(cell.p05, &d),
        shown(cell.p95, &d)
    ))
}

fn price_finding(data: &RunData) -> Option<String> {
    let table = data.monthly.first()?;
    let series = table.get("price_index")?;
    let (date, last) = series.dates.iter().zip(&series.cells).next_back()?;
    let f = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| units::fixed(v, 1));
    let change = last.p50.map_or_else(String::new, |p| match p - 100.0 {
        c if c < 0.0 => format!(": prices fell {}%", units::fixed(-c, 1)),
        c if c > 0.0 => format!(": prices rose {}%", units::fixed(c, 1)),
        _ => String::new(),
    });
    Some(format!(
        "<b>{}</b>: the transaction price index (first month = 100) stands at {} in {date}{change} \
         (90% interval {} – {}).",
        esc(&table.name),
        f(last.p50),
        f(last.p05),
        f(last.p95)
    ))
}

/// Per scenario with `collapse_share` rows: the share of replicates collapsed in the last full
/// year and the year it peaks (docs/model.md §7.8).
fn collapse_findings(data: &RunData) -> Vec<String> {
    let Some((year, _)) = last_full_year(data) else { return Vec::new() };
    let pct = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| units::fixed(100.0 * v, 0));
    data.annual
        .iter()
        .filter_map(|table| {
            let cells = table.get("collapse_share")?;
            let last = cells.iter().find(|c| c.year == year).or(cells.last())?;
            let peak = cells.iter().fold(None::<&AnnualCell>, |best, c| match best {
                Some(b) if b.mean.unwrap_or(0.0) >= c.mean.unwrap_or(0.0) => Some(b),
                _ => Some(c),
            })?;
            Some(format!(
                "<b>{}</b>: collapse (exports below a third of 2024, or retail sales below half of 2019) in {}% \
                 of replicates in {}; highest {}% in {}.",
                esc(&table.name),
                pct(last.mean),
                last.year,
                pct(peak.mean),
                peak.year
            ))
        })
        .collect()
}

/// Largest magnitude of the cells' mean and quantiles.
fn max_abs<'a>(cells: impl IntoIterator<Item = &'a AnnualCell>) -> f64 {
    cells.into_iter().flat_map(|c| [c.mean, c.p05, c.p50, c.p95]).flatten().map(f64::abs).fold(0.0, f64::max)
}

/// The largest effect in the last full year relative to the first scenario's median of the same
/// year and metric, over the effect metrics and scenarios (first found wins a tie).
fn largest_effect(data: &RunData) -> Option<String> {
    let base = data.annual.first()?;
    let (year, _) = last_full_year(data)?;
    let mut best: Option<(f64, &AnnualTable, &str, &AnnualCell)> = None;
    for table in &data.annual_deltas {
        for metric in EFFECT {
            let Some(cells) = table.get(metric) else { continue };
            for cell in cells.iter().filter(|c| c.year == year) {
                let Some(b) = base.get(metric).and_then(|b| b.iter().find(|b| b.year == cell.year)?.p50) else {
                    continue;
                };
                let (Some(mean), true) = (cell.mean, b.abs() > 0.0) else { continue };
                let relative = (mean / b).abs();
                if relative.is_finite() && best.is_none_or(|(r, ..)| relative > r) {
                    best = Some((relative, table, metric, cell));
                }
            }
        }
    }
    let (relative, table, metric, cell) = best?;
    if relative == 0.0 {
        return Some(format!(
            "No policy effect: no scenario differs from <b>{}</b> in the annual means of the headline metrics.",
            esc(data.baseline())
        ));
    }
    let d = effect_display(metric, max_abs([cell]));
    Some(format!(
        "Largest policy effect: <b>{}</b> changes {} in {} by {} {} (90% interval {} – {}), {}% of the \
         first scenario's median.",
        esc(&table.name),
        esc(&units::metric_label(metric)),
        cell.year,
        shown(cell.mean, &d),
        esc(&d.label),
        shown(cell.p05, &d),
        shown(cell.p95, &d),
        units::significant(100.0 * relative)
    ))
}

/// The display unit of a difference: a difference of fractions is in percentage points.
fn effect_display(metric: &str, max: f64) -> units::Display {
    let mut d = units::display(&units::annual_unit(metric), max);
    if d.label.starts_with('%') {
        d.label = d.label.replacen('%', "percentage points", 1);
    }
    d
}

/// The annual policy-effect table of every scenario in `annual_deltas.csv`: mean paired
/// difference with its 90% interval, per year and effect metric.
pub(super) fn effect_tables(h: &mut String, data: &RunData) {
    if data.annual_deltas.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h2>Annual policy effects</h2>\n<p>Each scenario minus <b>{}</b>, paired by replicate \
         (<code>annual_deltas.csv</code>): the mean difference across replicates, with the 90% interval \
         [5th, 95th percentile] below it. Flows are annual totals, levels annual means.</p>",
        esc(data.baseline())
    );
    for table in &data.annual_deltas {
        let metrics: Vec<&str> = EFFECT.iter().copied().filter(|m| table.get(m).is_some()).collect();
        if metrics.is_empty() {
            continue;
        }
        let shown_as: Vec<units::Display> =
            metrics.iter().map(|m| effect_display(m, max_abs(table.get(m).unwrap_or_default()))).collect();
        let _ = writeln!(
            h,
            "<h3>{} − {}</h3>\n<div class=\"wide\"><table>\n<tr><th>year</th>",
            esc(&table.name),
            esc(data.baseline())
        );
        year_rows(h, table, &metrics, &shown_as, |c, f| {
            format!("{}<br><span class=\"ci\">[{}, {}]</span>", f(c.mean), f(c.p05), f(c.p95))
        });
        h.push_str("</table></div>\n");
    }
}
