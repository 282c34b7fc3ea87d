//! Chart contents: which metrics each chart shows, turned into backend-free panels of traces in
//! display units. Drawing is `draw.rs`'s job; nothing here knows about pixels.
//!
//! The x axis of every chart counts months ([`YearMonth::index`]), so stacked panels share one
//! calendar scale and event markers line up across them.

use crate::model::metrics::Annual;
use crate::scenario::YearMonth;

use super::data::{AnnualTable, EventMark, Quantiles, RunData, ScenarioTable, Series};
use super::units;

/// File stems of every chart, in report order. A chart without data is skipped (and a stale
/// file of its name removed).
pub const CHART_NAMES: [&str; 6] =
    ["price_war", "export_volumes", "overcapacity", "consumers", "industry_health", "policy_deltas"];

/// How a trace's line is stroked; the dash tells metrics apart when colours mark scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    /// Continuous line.
    Solid,
    /// Long dashes.
    Dashed,
    /// Short dashes.
    Dotted,
}

impl Stroke {
    fn nth(i: usize) -> Stroke {
        [Stroke::Solid, Stroke::Dashed, Stroke::Dotted][i % 3]
    }
}

/// One x position of a trace, in display units; a `None` leaves a gap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Months since January of year 0 (fractional for annual points).
    pub x: f64,
    /// The median.
    pub mid: Option<f64>,
    /// The 50 % interval (p25, p75).
    pub inner: Option<(f64, f64)>,
    /// The 90 % interval (p05, p95).
    pub outer: Option<(f64, f64)>,
}

/// One line (with its bands) in a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Legend text.
    pub label: String,
    /// Index into the palette.
    pub colour: usize,
    /// Line pattern.
    pub stroke: Stroke,
    /// Draw a dot at each point (annual values).
    pub markers: bool,
    /// The points, x ascending.
    pub points: Vec<Point>,
}

/// One legend entry: what a colour or a line pattern stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// Legend text.
    pub label: String,
    /// Palette index; `None` for a grey sample (a line pattern that means a scenario).
    pub colour: Option<usize>,
    /// Line pattern of the sample.
    pub stroke: Stroke,
    /// Show the band swatch behind the sample.
    pub bands: bool,
    /// Show a dot with a whisker (annual values).
    pub markers: bool,
}

/// One plotting area: a title, a y axis, its traces and their legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Panel title.
    pub title: String,
    /// Y axis description with unit.
    pub y_desc: String,
    /// Traces, drawn in order.
    pub traces: Vec<Trace>,
    /// Legend entries, top to bottom.
    pub legend: Vec<Key>,
    /// Draw the chart's event markers here.
    pub events: bool,
}

impl Panel {
    /// A panel whose legend has one entry per trace.
    fn new(title: &str, y_desc: String, traces: Vec<Trace>) -> Panel {
        let legend = traces
            .iter()
            .map(|t| Key {
                label: t.label.clone(),
                colour: Some(t.colour),
                stroke: t.stroke,
                bands: !t.markers && t.points.iter().any(|p| p.outer.is_some()),
                markers: t.markers,
            })
            .collect();
        Panel { title: title.to_string(), y_desc, traces, legend, events: true }
    }
}

/// A vertical marker for the policy events of one month.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Month index of the events.
    pub x: f64,
    /// 1-based number of the marker in date order, the same in every chart and in the report's
    /// event table (charts with dense events label their markers with it).
    pub number: usize,
    /// The month, `YYYY-MM`.
    pub date: String,
    /// Event ids, with the scenarios that have them when not all do.
    pub label: String,
}

/// A whole chart: title, layout and panels.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem (`price_war`).
    pub name: &'static str,
    /// Chart title.
    pub title: String,
    /// One line under the title: what lines and bands mean.
    pub caption: String,
    /// Panels per row (1: stacked).
    pub columns: usize,
    /// Common x range of all panels, month indices.
    pub x_range: (f64, f64),
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Event markers, by x.
    pub markers: Vec<Marker>,
}

/// Every chart of [`CHART_NAMES`] that `wanted` accepts, with its name; `None` for one without
/// data. `events`: draw the policy-event markers.
pub fn build(data: &RunData, events: bool, wanted: impl Fn(&str) -> bool) -> Vec<(&'static str, Option<Chart>)> {
    let mut ctx = Context::new(data);
    if !events {
        ctx.markers.clear();
    }
    CHART_NAMES
        .iter()
        .filter(|name| wanted(name))
        .map(|&name| {
            let chart = match name {
                "price_war" => ctx.price_war(),
                "export_volumes" => ctx.export_volumes(),
                "overcapacity" => ctx.overcapacity(),
                "consumers" => ctx.consumers(),
                "industry_health" => ctx.industry_health(),
                _ => ctx.policy_deltas(),
            };
            (name, chart)
        })
        .collect()
}

/// What every chart needs from the run: tables, the x range and the markers.
struct Context<'a> {
    data: &'a RunData,
    x_range: Option<(f64, f64)>,
    markers: Vec<Marker>,
    /// "Median and 50 %/90 % intervals across N replicates" caption.
    fan_caption: String,
}

impl<'a> Context<'a> {
    fn new(data: &'a RunData) -> Self {
        let months = data.monthly.iter().chain(&data.deltas).flat_map(|t| t.metrics.iter().filter_map(|m| t.get(m)));
        let mut range: Option<(f64, f64)> = None;
        for s in months {
            if let (Some(first), Some(last)) = (s.dates.first(), s.dates.last()) {
                let (a, b) = (first.index() as f64, last.index() as f64);
                range = Some(range.map_or((a, b), |(x0, x1)| (x0.min(a), x1.max(b))));
            }
        }
        let markers = range.map(|r| markers(&data.events, data.monthly.len(), r)).unwrap_or_default();
        let n = data.manifest.replicates;
        let fan_caption = format!(
            "Lines: median across {n} replicate{}; shaded: 50% and 90% intervals.",
            if n == 1 { "" } else { "s" }
        );
        Context { data, x_range: range, markers, fan_caption }
    }

    fn scenarios(&self) -> Vec<&'a ScenarioTable> {
        self.data.monthly.iter().collect()
    }

    /// Colour of scenario `name`: its position in the run.
    fn colour_of(&self, name: &str) -> usize {
        let run: Vec<&str> = self.data.manifest.scenarios.iter().map(|s| s.name.as_str()).collect();
        run.iter()
            .position(|n| *n == name)
            .or_else(|| self.data.monthly.iter().position(|t| t.name == name).map(|i| i + run.len()))
            .unwrap_or(0)
    }

    fn chart(
        &self,
        name: &'static str,
        title: &str,
        caption: String,
        columns: usize,
        panels: Vec<Panel>,
    ) -> Option<Chart> {
        let x_range = self.x_range?;
        if panels.is_empty() {
            return None;
        }
        let any_events = panels.iter().any(|p| p.events);
        let caption = if any_events && !self.markers.is_empty() {
            format!("{caption} Grey verticals: policy events.")
        } else {
            caption
        };
        Some(Chart {
            name,
            title: title.to_string(),
            caption,
            columns,
            x_range,
            panels,
            markers: if any_events { self.markers.clone() } else { Vec::new() },
        })
    }

    /// A panel of `metrics` for each scenario of `tables`: fans (median and bands) or medians.
    ///
    /// Colours mark scenarios when the run has several, dashes then mark metrics; with one
    /// scenario, colours mark metrics.
    fn monthly_panel(&self, title: &str, tables: &[&ScenarioTable], metrics: &[&str], bands: bool) -> Option<Panel> {
        let several = self.data.monthly.len() > 1;
        let present: Vec<&str> =
            metrics.iter().copied().filter(|m| tables.iter().any(|t| t.get(m).is_some())).collect();
        let unit = units::metric_unit(present.first()?);
        let max_abs =
            tables.iter().flat_map(|t| present.iter().filter_map(|m| t.get(m))).map(max_abs).fold(0.0, f64::max);
        let shown = units::display(unit, max_abs);
        let mut traces = Vec::new();
        for table in tables {
            for (k, metric) in present.iter().enumerate() {
                let Some(series) = table.get(metric) else { continue };
                let (colour, stroke) =
                    if several { (self.colour_of(&table.name), Stroke::nth(k)) } else { (k, Stroke::Solid) };
                let label = match (several, present.len() > 1) {
                    (true, true) => format!("{}: {}", table.name, units::metric_label(metric)),
                    (true, false) => table.name.clone(),
                    (false, _) => units::metric_label(metric),
                };
                traces.push(Trace {
                    label,
                    colour,
                    stroke,
                    markers: false,
                    points: points(series, shown.factor, bands),
                });
            }
        }
        (!traces.is_empty()).then(|| Panel::new(title, shown.label, traces))
    }

    /// Medians of many `metrics` (one colour each) for every scenario (one line pattern each),
    /// with a legend of metrics and then scenarios, so it stays short as scenarios are added.
    fn medians_panel(&self, title: &str, tables: &[&ScenarioTable], metrics: &[&str]) -> Option<Panel> {
        if tables.len() < 2 {
            return self.monthly_panel(title, tables, metrics, false);
        }
        let present: Vec<&str> =
            metrics.iter().copied().filter(|m| tables.iter().any(|t| t.get(m).is_some())).collect();
        let unit = units::metric_unit(present.first()?);
        let max_abs =
            tables.iter().flat_map(|t| present.iter().filter_map(|m| t.get(m))).map(max_abs).fold(0.0, f64::max);
        let shown = units::display(unit, max_abs);
        let mut traces = Vec::new();
        for (s, table) in tables.iter().enumerate() {
            for (k, metric) in present.iter().enumerate() {
                let Some(series) = table.get(metric) else { continue };
                traces.push(Trace {
                    label: format!("{}: {}", table.name, units::metric_label(metric)),
                    colour: k,
                    stroke: Stroke::nth(s),
                    markers: false,
                    points: points(series, shown.factor, false),
                });
            }
        }
        let key = |label: String, colour: Option<usize>, stroke: Stroke| Key {
            label,
            colour,
            stroke,
            bands: false,
            markers: false,
        };
        let mut legend: Vec<Key> =
            present.iter().enumerate().map(|(k, m)| key(units::metric_label(m), Some(k), Stroke::Solid)).collect();
        legend.extend(tables.iter().enumerate().map(|(s, t)| key(t.name.clone(), None, Stroke::nth(s))));
        let mut panel = Panel::new(title, shown.label, traces);
        panel.legend = legend;
        Some(panel)
    }

    fn price_war(&self) -> Option<Chart> {
        let s = self.scenarios();
        let by_powertrain = [
            self.medians_panel(
                "Transaction price by powertrain, median",
                &s,
                &["avg_transaction_price_nev", "avg_transaction_price_ice"],
            ),
            self.medians_panel("Discount by powertrain, median", &s, &["avg_discount_nev", "avg_discount_ice"]),
        ];
        let panels: Vec<Panel> = [
            self.monthly_panel("Transaction price index", &s, &["price_index"], true),
            self.monthly_panel("Average discount off list price", &s, &["avg_discount"], true),
        ]
        .into_iter()
        .chain(by_powertrain)
        .flatten()
        .collect();
        // Side by side once the powertrain panels are there (runs of an older version lack them).
        let columns = if panels.len() > 2 { 2 } else { 1 };
        self.chart("price_war", "The price war: prices and discounts", self.fan_caption.clone(), columns, panels)
    }

    fn export_volumes(&self) -> Option<Chart> {
        let s = self.scenarios();
        let mut markets: Vec<&str> = Vec::new();
        for t in &s {
            for m in t.metrics.iter().filter(|m| m.starts_with("exports_")) {
                if !markets.contains(&m.as_str()) {
                    markets.push(m);
                }
            }
        }
        // Zero-mileage exports on their own axes: under new-car exports (ten times as many) they
        // would be a flat line at the bottom.
        let panels: Vec<Panel> = [
            self.monthly_panel("Zero-mileage exports per month", &s, &["zero_mileage_exports"], true),
            self.monthly_panel("New-car exports per month", &s, &["new_car_exports"], true),
            self.annual_panel("Zero-mileage exports per year, 90% interval", &["zero_mileage_exports"]),
            self.annual_panel("New-car exports per year, 90% interval", &["new_car_exports"]),
            self.medians_panel("All exports by destination, median", &s, &markets),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.chart("export_volumes", "Export volumes", self.fan_caption.clone(), 2, panels)
    }

    /// Annual figures of `metrics` per scenario, each year placed at the middle of its simulated
    /// months so it lines up with the monthly panels.
    fn annual_panel(&self, title: &str, metrics: &[&str]) -> Option<Panel> {
        let several = self.data.monthly.len() > 1;
        let tables: Vec<&AnnualTable> = self.data.annual.iter().collect();
        let present: Vec<&str> =
            metrics.iter().copied().filter(|m| tables.iter().any(|t| t.get(m).is_some())).collect();
        let unit = units::annual_unit(present.first()?);
        let max_abs = tables
            .iter()
            .flat_map(|t| present.iter().filter_map(|m| t.get(m)))
            .flatten()
            .flat_map(|c| [c.p05, c.p50, c.p95])
            .flatten()
            .map(f64::abs)
            .fold(0.0, f64::max);
        let shown = units::display(&unit, max_abs);
        let mut traces = Vec::new();
        for table in tables {
            let months = self.data.monthly.iter().find(|t| t.name == table.name);
            for (k, metric) in present.iter().enumerate() {
                let Some(cells) = table.get(metric) else { continue };
                let (colour, stroke) =
                    if several { (self.colour_of(&table.name), Stroke::nth(k)) } else { (k, Stroke::Solid) };
                let label = match (several, present.len() > 1) {
                    (true, true) => format!("{}: {}", table.name, units::metric_label(metric)),
                    (true, false) => table.name.clone(),
                    (false, _) => units::metric_label(metric),
                };
                let f = shown.factor;
                let points = cells
                    .iter()
                    .map(|c| Point {
                        x: year_position(c.year, months),
                        mid: c.p50.map(|v| v * f),
                        inner: None,
                        outer: c.p05.zip(c.p95).map(|(a, b)| (a * f, b * f)),
                    })
                    .collect();
                traces.push(Trace { label, colour, stroke, markers: true, points });
            }
        }
        (!traces.is_empty()).then(|| Panel::new(title, shown.label, traces))
    }

    fn overcapacity(&self) -> Option<Chart> {
        let s = self.scenarios();
        let panels: Vec<Panel> = [
            self.monthly_panel(
                "Production, capacity and domestic retail sales",
                &s,
                &["production", "capacity", "domestic_retail_sales"],
                true,
            ),
            self.monthly_panel("Capacity utilization", &s, &["utilization"], true),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.chart("overcapacity", "Overcapacity", self.fan_caption.clone(), 1, panels)
    }

    fn consumers(&self) -> Option<Chart> {
        let s = self.scenarios();
        let panels: Vec<Panel> = [
            self.monthly_panel(
                "Households in the market who wait for lower prices",
                &s,
                &["consumers_waiting_share"],
                true,
            ),
            self.monthly_panel("Households' mean expected price change", &s, &["expected_price_change"], true),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.chart("consumers", "Consumers: buy now or wait?", self.fan_caption.clone(), 1, panels)
    }

    fn industry_health(&self) -> Option<Chart> {
        let s = self.scenarios();
        let panels: Vec<Panel> = [
            self.monthly_panel("Active automakers", &s, &["active_automakers"], true),
            self.monthly_panel("Exits and bailouts", &s, &["exits", "bailouts"], true),
            self.monthly_panel("Industry profit margin", &s, &["industry_profit_margin"], true),
            self.monthly_panel("Local government subsidy spend", &s, &["local_subsidy_spend"], true),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.chart("industry_health", "Industry health", self.fan_caption.clone(), 2, panels)
    }

    /// Scenario − baseline, paired by replicate: median and 90 % band, one colour per scenario.
    fn policy_deltas(&self) -> Option<Chart> {
        if self.data.deltas.is_empty() {
            return None;
        }
        let mut panels = Vec::new();
        for (metric, title) in [
            ("price_index", "Price index"),
            ("zero_mileage_exports", "Zero-mileage exports"),
            ("avg_discount", "Average discount"),
            ("utilization", "Capacity utilization"),
        ] {
            let tables: Vec<&ScenarioTable> = self.data.deltas.iter().filter(|t| t.get(metric).is_some()).collect();
            let max_abs = tables.iter().filter_map(|t| t.get(metric)).map(max_abs).fold(0.0, f64::max);
            let unit = units::metric_unit(metric);
            let shown = units::display(unit, max_abs);
            let traces: Vec<Trace> = tables
                .iter()
                .filter_map(|t| {
                    let series = t.get(metric)?;
                    let mut points = points(series, shown.factor, true);
                    for p in &mut points {
                        p.inner = None;
                    }
                    Some(Trace {
                        label: t.name.clone(),
                        colour: self.colour_of(&t.name),
                        stroke: Stroke::Solid,
                        markers: false,
                        points,
                    })
                })
                .collect();
            if !traces.is_empty() {
                let y_desc = match unit {
                    "index, first month = 100" => "index points".to_string(),
                    "fraction" => "percentage points".to_string(),
                    _ => shown.label,
                };
                panels.push(Panel::new(&format!("{title}: difference"), y_desc, traces));
            }
        }
        let n = self.data.manifest.replicates;
        let caption = format!(
            "Scenario minus {} in the same replicate (common random numbers): median and 90% interval across {n} replicate{}.",
            self.data.baseline(),
            if n == 1 { "" } else { "s" }
        );
        self.chart("policy_deltas", "Policy effects: scenario minus baseline", caption, 2, panels)
    }
}

fn max_abs(s: &Series) -> f64 {
    s.cells.iter().flat_map(|c| [c.p05, c.p25, c.p50, c.p75, c.p95]).flatten().map(f64::abs).fold(0.0, f64::max)
}

fn points(series: &Series, factor: f64, bands: bool) -> Vec<Point> {
    let scaled = |v: Option<f64>| v.map(|v| v * factor);
    let pair = |a: Option<f64>, b: Option<f64>| scaled(a).zip(scaled(b));
    series
        .dates
        .iter()
        .zip(&series.cells)
        .map(|(d, c): (&YearMonth, &Quantiles)| Point {
            x: d.index() as f64,
            mid: scaled(c.p50),
            inner: if bands { pair(c.p25, c.p75) } else { None },
            outer: if bands { pair(c.p05, c.p95) } else { None },
        })
        .collect()
}

/// Where an annual point goes on the month axis: the mean month index of the year's simulated
/// months (mid-year for a full year), so a partial year sits over the months it covers.
fn year_position(year: i32, months: Option<&ScenarioTable>) -> f64 {
    let dates = months.and_then(|t| t.metrics.first().and_then(|m| t.get(m))).map(|s| s.dates.as_slice());
    let inside: Vec<f64> =
        dates.unwrap_or_default().iter().filter(|d| d.year == year).map(|d| d.index() as f64).collect();
    if inside.is_empty() {
        f64::from(year) * 12.0 + 5.5
    } else {
        inside.iter().sum::<f64>() / inside.len() as f64
    }
}

/// The event markers of the run's time axis, numbered in date order: what every time chart
/// draws and what the report's event table refers to.
pub fn event_markers(data: &RunData) -> Vec<Marker> {
    Context::new(data).markers
}

/// One marker per month with events inside `range`; an event not in every scenario names the
/// scenarios that have it.
fn markers(events: &[EventMark], scenarios: usize, range: (f64, f64)) -> Vec<Marker> {
    let mut out: Vec<Marker> = Vec::new();
    for e in events {
        let x = e.date.index() as f64;
        if x < range.0 || x > range.1 {
            continue;
        }
        let mut label = e.id.clone();
        if scenarios > 1 && e.scenarios.len() < scenarios {
            label = format!("{label} ({})", e.scenarios.join(", "));
        }
        match out.last_mut() {
            Some(m) if m.x == x => {
                m.label.push_str(", ");
                m.label.push_str(&label);
            }
            _ => out.push(Marker { x, number: out.len() + 1, date: e.date.to_string(), label }),
        }
    }
    out
}

/// The flow/level note of an annual figure, for table headers.
pub fn annual_note(metric: &str) -> &'static str {
    match units::metric_annual(metric) {
        Annual::Sum => "annual total",
        Annual::Mean => "annual mean",
        Annual::Last => "year end",
    }
}
