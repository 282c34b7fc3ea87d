//! Draws a [`Chart`] with plotters, once as PNG (pixels, encoded by the `png` crate) and once as
//! SVG, from the same drawing code.
//!
//! Text uses DejaVu Sans from the `dejavu` crate, registered with plotters' `ab_glyph` font
//! table: no system font or C library is involved, so a fresh machine renders the same pixels.
//! Everything drawn is a function of the chart alone (no clock, no hash-map order), so the files
//! are byte-identical whenever the inputs are.

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{Chart, Panel, Point, Stroke, Trace};
use super::units;

/// Default width of a chart, pixels.
pub const WIDTH: u32 = 1600;
/// Default height of a chart, pixels.
pub const HEIGHT: u32 = 900;

/// Okabe–Ito colour-blind-safe palette, in the order colours are handed out (yellow last: it is
/// hard to see on white).
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

const FAMILY: &str = "sans-serif";
pub(super) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const EVENT: RGBColor = RGBColor(0x70, 0x70, 0x70);
pub(super) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

pub(super) const MARGIN: u32 = 16;
pub(super) const HEAD: u32 = 76;
const LANE: u32 = 18;
const MAX_LANES: usize = 8;
/// Full event labels are used while they fit in this many lanes; denser events are numbered,
/// with a key under the panels.
const FULL_LABEL_LANES: usize = 6;
const KEY_LINE: u32 = 19;
const Y_LABEL_AREA: u32 = 96;
const X_LABEL_AREA: u32 = 50;
const PANEL_MARGIN: u32 = 8;

/// Something drawn the same way on the PNG and the SVG backend.
pub(super) trait Figure {
    /// Draws the figure on `root` (already of the output size).
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

impl Figure for Chart {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw(root, self)
    }
}

/// Registers the bundled fonts with plotters once per process.
fn fonts() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let bad = |_| "the bundled DejaVu Sans font could not be loaded".to_string();
        plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).map_err(bad)?;
        plotters::style::register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold()).map_err(bad)
    })
    .clone()
}

/// The figure as an RGB PNG of `width` × `height` pixels.
pub(super) fn png(figure: &impl Figure, (width, height): (u32, u32)) -> Result<Vec<u8>, String> {
    fonts()?;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        figure.draw_on(&root)?;
        root.present().map_err(text)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().map_err(text)?;
    writer.write_image_data(&pixels).map_err(text)?;
    writer.finish().map_err(text)?;
    Ok(out)
}

/// The figure as an SVG document of `width` × `height` (text as `<text>` in `sans-serif`).
pub(super) fn svg(figure: &impl Figure, size: (u32, u32)) -> Result<String, String> {
    fonts()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        figure.draw_on(&root)?;
        root.present().map_err(text)?;
    }
    Ok(out)
}

pub(super) fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub(super) fn font(size: u32) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), f64::from(size), FontStyle::Normal).color(&TEXT)
}

pub(super) fn bold(size: u32) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), f64::from(size), FontStyle::Bold).color(&TEXT)
}

/// The house style of every chart's grid and axes: tick labels of `label_px` pixels, axis titles
/// one pixel larger, light major grid lines only, muted axes.
pub(super) fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    label_px: u32,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(font(label_px))
        .axis_desc_style(font(label_px + 1))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .axis_style(MUTED.stroke_width(1))
}

/// Title and caption at the top of `root` (inside the margin); returns the area below them.
pub(super) fn heading<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    caption: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(text)?;
    let root = root.margin(MARGIN, MARGIN, MARGIN, MARGIN);
    let (head, body) = root.split_vertically(HEAD);
    head.draw_text(title, &bold(34), (0, 0)).map_err(text)?;
    head.draw_text(caption, &font(18).color(&MUTED), (2, 46)).map_err(text)?;
    Ok(body)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String> {
    let body = heading(root, &chart.title, &chart.caption)?;

    let columns = chart.columns.max(1);
    let rows = chart.panels.len().div_ceil(columns);
    let (body_w, body_h) = body.dim_in_pixel();
    let cell_w = body_w / columns as u32;
    let widest = chart
        .panels
        .iter()
        .flat_map(|p| &p.legend)
        .map(|k| body.estimate_text_size(&k.label, &font(16)).map_or(200, |s| s.0))
        .max()
        .unwrap_or(0);
    let legend_w = (widest + 76).clamp(150, if columns == 1 { 340 } else { 240 });

    // Event labels go in lanes above each column of panels; their x follows that column's
    // first panel. Full labels while they fit in a few lanes, numbers with a key otherwise.
    let marked = !chart.markers.is_empty() && chart.panels.iter().any(|p| p.events);
    let plot_px = (PANEL_MARGIN + Y_LABEL_AREA) as i32..(cell_w - legend_w - 2 * PANEL_MARGIN) as i32;
    let label_style = font(15).color(&MUTED);
    let mut labels: Vec<String> = chart.markers.iter().map(|m| m.label.clone()).collect();
    let mut lanes =
        if marked { assign_lanes(&body, chart, &labels, plot_px.clone(), cell_w, &label_style) } else { Vec::new() };
    let numbered = lanes.iter().any(|l| *l >= FULL_LABEL_LANES);
    let mut key_lines = Vec::new();
    if numbered {
        labels = chart.markers.iter().map(|m| m.number.to_string()).collect();
        lanes = assign_lanes(&body, chart, &labels, plot_px.clone(), cell_w, &label_style);
        let entries: Vec<String> =
            chart.markers.iter().map(|m| format!("{} {}: {}", m.number, m.date, m.label)).collect();
        key_lines = wrap(&body, "Policy events: ", &entries, body_w, &font(14).color(&MUTED));
    }
    let key_h = if key_lines.is_empty() { 0 } else { key_lines.len() as u32 * KEY_LINE + 6 };
    let (body, key) = body.split_vertically(body_h.saturating_sub(key_h));
    for (i, line) in key_lines.iter().enumerate() {
        key.draw_text(line, &font(14).color(&MUTED), (2, 4 + (i as u32 * KEY_LINE) as i32)).map_err(text)?;
    }
    let strip_h = lanes.iter().map(|l| l + 1).max().map_or(0, |n| n as u32 * LANE + 10);
    let (strip, grid) = body.split_vertically(strip_h);

    let cells = grid.split_evenly((rows.max(1), columns));
    let mut marker_px: Vec<Option<Vec<i32>>> = vec![None; columns];
    for (i, (panel, cell)) in chart.panels.iter().zip(&cells).enumerate() {
        let (w, _) = cell.dim_in_pixel();
        let (plot, legend) = cell.split_horizontally(w.saturating_sub(legend_w));
        let xs = draw_panel(&plot, chart, panel)?;
        if panel.events && marker_px[i % columns].is_none() {
            marker_px[i % columns] = Some(xs);
        }
        draw_legend(&legend, panel)?;
    }
    if !marked {
        return Ok(());
    }
    let (base_x, _) = strip.get_base_pixel();
    for (column, xs) in marker_px.iter().enumerate() {
        let Some(xs) = xs else { continue };
        let limit = ((column as u32 + 1) * cell_w) as i32;
        // Lines first, then each label on a white box, so a line passing behind a lower label
        // never strikes through its text.
        let placed: Vec<(i32, i32, &str)> = labels
            .iter()
            .zip(&lanes)
            .zip(xs)
            .map(|((label, lane), px)| (px - base_x, 2 + (*lane as u32 * LANE) as i32, label.as_str()))
            .collect();
        for (x, y, _) in &placed {
            strip
                .draw(&PathElement::new(vec![(*x, *y), (*x, strip_h as i32)], EVENT.mix(0.55).stroke_width(1)))
                .map_err(text)?;
        }
        for (x, y, label) in &placed {
            // The box fills the label's lane, so it hides lines behind the whole glyph height.
            let (w, _) = strip.estimate_text_size(label, &label_style).map_err(text)?;
            let start = label_start(*x, w as i32, limit);
            let lane_top = y - 2;
            strip
                .draw(&Rectangle::new(
                    [(start - 2, lane_top), (start + 3 + w as i32, lane_top + LANE as i32)],
                    WHITE.filled(),
                ))
                .map_err(text)?;
            strip.draw_text(label, &label_style.pos(Pos::new(HPos::Left, VPos::Top)), (start, *y)).map_err(text)?;
        }
    }
    Ok(())
}

/// Left end of a label of width `w` for a marker at `x`: just right of the line, moved left so
/// it ends before `limit` (the right edge of its column).
fn label_start(x: i32, w: i32, limit: i32) -> i32 {
    (x + 4).min(limit - w - 4)
}

/// `entries` after `lead`, joined with wide spaces and wrapped to lines of at most `width`
/// pixels, never splitting an entry.
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lead: &str,
    entries: &[String],
    width: u32,
    style: &TextStyle,
) -> Vec<String> {
    let measure = |s: &str| area.estimate_text_size(s, style).map_or(8 * s.len() as u32, |d| d.0);
    let mut lines = Vec::new();
    let mut line = lead.to_string();
    let mut empty = true;
    for e in entries {
        let candidate = if empty { format!("{line}{e}") } else { format!("{line}    {e}") };
        if !empty && measure(&candidate) > width {
            lines.push(std::mem::take(&mut line));
            line = e.clone();
        } else {
            line = candidate;
        }
        empty = false;
    }
    if !empty {
        lines.push(line);
    }
    lines
}

/// Greedy lane for each marker label: the first lane whose last label ends left of this one.
/// Estimated on the first panel's pixel span `plot_px` (relative to a panel cell of width
/// `cell_w`).
fn assign_lanes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    labels: &[String],
    plot_px: Range<i32>,
    cell_w: u32,
    style: &TextStyle,
) -> Vec<usize> {
    let (x0, x1) = chart.x_range;
    let span = (x1 - x0).max(1.0);
    let mut ends: Vec<i32> = Vec::new();
    let mut out = Vec::new();
    for (m, label) in chart.markers.iter().zip(labels) {
        let px = plot_px.start + ((m.x - x0) / span * f64::from(plot_px.end - plot_px.start)) as i32;
        let width = area.estimate_text_size(label, style).map_or(8 * label.len() as u32, |s| s.0) as i32;
        let start = label_start(px, width, cell_w as i32);
        let lane = match ends.iter().position(|&end| end + 6 < start) {
            Some(l) => l,
            None if ends.len() < MAX_LANES => {
                ends.push(i32::MIN);
                ends.len() - 1
            }
            // Out of lanes: share the one whose last label ends first.
            None => (0..ends.len()).min_by_key(|&l| ends[l]).unwrap_or(0),
        };
        ends[lane] = start + width;
        out.push(lane);
    }
    out
}

/// Draws one panel; returns the pixel x (absolute) of each of the chart's markers.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    panel: &Panel,
) -> Result<Vec<i32>, String> {
    let (x0, x1) = widen(chart.x_range, 0.5);
    let (y0, y1) = y_range(&panel.traces);
    let max_ticks = if chart.columns == 1 { 14 } else { 7 };
    let axis = MonthAxis { lo: x0, hi: x1, ticks: month_ticks(chart.x_range, max_ticks), years: x1 - x0 > 24.0 };
    let rows = chart.panels.len().div_ceil(chart.columns.max(1));
    let values = ValueAxis::new(y0, y1, if rows > 2 { 4 } else { 6 });

    let mut ctx = ChartBuilder::on(area)
        .caption(&panel.title, bold(22))
        .margin(PANEL_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(axis, values)
        .map_err(text)?;
    house_mesh(&mut ctx.configure_mesh(), 16).x_desc("month").y_desc(&panel.y_desc).draw().map_err(text)?;

    if y0 < 0.0 && y1 > 0.0 {
        ctx.draw_series(std::iter::once(PathElement::new(vec![(x0, 0.0), (x1, 0.0)], MUTED.stroke_width(1))))
            .map_err(text)?;
    }
    let mut xs = Vec::new();
    for m in &chart.markers {
        xs.push(ctx.backend_coord(&(m.x, y1)).0);
        if panel.events {
            // Solid, not dashed: a dashed line is one SVG element per dash.
            let line = PathElement::new(vec![(m.x, y0), (m.x, y1)], EVENT.mix(0.55).stroke_width(1));
            ctx.draw_series(std::iter::once(line)).map_err(text)?;
        }
    }
    // Bands under lines: every trace's 90 % band, then every 50 % band, then the lines.
    for (alpha, inner) in [(0.14, false), (0.26, true)] {
        for t in panel.traces.iter().filter(|t| !t.markers) {
            let colour = colour(t).mix(alpha);
            for run in runs(&t.points, |p| if inner { p.inner } else { p.outer }) {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|(x, (_, hi))| (*x, *hi)).collect();
                poly.extend(run.iter().rev().map(|(x, (lo, _))| (*x, *lo)));
                ctx.draw_series(std::iter::once(Polygon::new(poly, colour.filled()))).map_err(text)?;
            }
        }
    }
    // Overlapping translucent bands of different colours blend; thin edges keep each 90 % band
    // readable.
    let colours: Vec<usize> = panel.traces.iter().map(|t| t.colour).collect();
    if colours.iter().any(|c| *c != colours[0]) {
        for t in panel.traces.iter().filter(|t| !t.markers) {
            let edge = colour(t).mix(0.7).stroke_width(1);
            for run in runs(&t.points, |p| p.outer) {
                for side in [0, 1] {
                    let line = run.iter().map(|(x, (lo, hi))| (*x, if side == 0 { *lo } else { *hi }));
                    ctx.draw_series(LineSeries::new(line, edge)).map_err(text)?;
                }
            }
        }
    }
    for t in &panel.traces {
        let colour = colour(t);
        if t.markers {
            for p in &t.points {
                if let Some((lo, hi)) = p.outer {
                    let whisker = [(p.x, lo), (p.x, hi)];
                    ctx.draw_series(std::iter::once(PathElement::new(whisker.to_vec(), colour.stroke_width(2))))
                        .map_err(text)?;
                }
                if let Some(y) = p.mid {
                    ctx.draw_series(std::iter::once(Circle::new((p.x, y), 5, colour.filled()))).map_err(text)?;
                }
            }
        }
        for run in runs(&t.points, |p| p.mid) {
            let style = colour.stroke_width(3);
            match t.stroke {
                Stroke::Solid => ctx.draw_series(LineSeries::new(run, style)).map(|_| ()),
                Stroke::Dashed => ctx.draw_series(DashedLineSeries::new(run, 12, 7, style)).map(|_| ()),
                Stroke::Dotted => ctx.draw_series(DashedLineSeries::new(run, 3, 6, style)).map(|_| ()),
            }
            .map_err(text)?;
        }
    }
    Ok(xs)
}

/// The legend of a panel, in the column to its right: band swatch, line sample and label per
/// entry, rows tightened when there are many.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let room = w.saturating_sub(70);
    let n = panel.legend.len().max(1) as i32;
    let row = ((h as i32 - 50) / n).clamp(16, 30);
    let mut y = 44 + row / 2;
    for key in &panel.legend {
        let colour = key.colour.map_or(MUTED, |c| PALETTE[c % PALETTE.len()]);
        if key.bands {
            area.draw(&Rectangle::new([(6, y - 9), (50, y + 9)], colour.mix(0.14).filled())).map_err(text)?;
            area.draw(&Rectangle::new([(6, y - 4), (50, y + 4)], colour.mix(0.26).filled())).map_err(text)?;
        }
        if key.markers {
            area.draw(&PathElement::new(vec![(28, y - 10), (28, y + 10)], colour.stroke_width(2))).map_err(text)?;
            area.draw(&Circle::new((28, y), 5, colour.filled())).map_err(text)?;
        }
        let dashes: Vec<(i32, i32)> = match key.stroke {
            Stroke::Solid => vec![(6, 50)],
            Stroke::Dashed => vec![(6, 18), (25, 37), (44, 50)],
            Stroke::Dotted => vec![(6, 9), (15, 18), (24, 27), (33, 36), (42, 45)],
        };
        for (a, b) in dashes {
            area.draw(&PathElement::new(vec![(a, y), (b, y)], colour.stroke_width(3))).map_err(text)?;
        }
        let (label, size) = fit(area, &key.label, room, (row as u32).saturating_sub(2).clamp(12, 16));
        area.draw_text(&label, &font(size).pos(Pos::new(HPos::Left, VPos::Center)), (60, y)).map_err(text)?;
        y += row;
    }
    Ok(())
}

/// `label` at the largest size from `max` down to 12 that fits `room` pixels, shortened with
/// `…` when even 12 does not.
fn fit<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, label: &str, room: u32, max: u32) -> (String, u32) {
    let width = |s: &str, size: u32| area.estimate_text_size(s, &font(size)).map_or(0, |d| d.0);
    for size in (12..=max).rev() {
        if width(label, size) <= room {
            return (label.to_string(), size);
        }
    }
    let mut chars: Vec<char> = label.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let s: String = chars.iter().collect::<String>() + "…";
        if width(&s, 12) <= room {
            return (s, 12);
        }
    }
    (label.to_string(), 12)
}

fn colour(t: &Trace) -> RGBColor {
    PALETTE[t.colour % PALETTE.len()]
}

/// Maximal runs of consecutive points where `f` is defined, as (x, value) pairs.
fn runs<T: Copy>(points: &[Point], f: impl Fn(&Point) -> Option<T>) -> Vec<Vec<(f64, T)>> {
    let mut out: Vec<Vec<(f64, T)>> = Vec::new();
    let mut current = Vec::new();
    for p in points {
        match f(p) {
            Some(v) => current.push((p.x, v)),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn widen((a, b): (f64, f64), by: f64) -> (f64, f64) {
    if b > a {
        (a, b)
    } else {
        (a - by, b + by)
    }
}

/// The y range covering every median and band, padded; it starts at zero when the data sit well
/// above it (volumes, counts), and never collapses (one replicate, a constant series).
fn y_range(traces: &[Trace]) -> (f64, f64) {
    let values = traces.iter().flat_map(|t| &t.points).flat_map(|p| {
        let (a, b) = p.outer.unwrap_or((f64::NAN, f64::NAN));
        let (c, d) = p.inner.unwrap_or((f64::NAN, f64::NAN));
        [p.mid.unwrap_or(f64::NAN), a, b, c, d]
    });
    let (mut lo, mut hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if lo >= 0.0 && lo < 0.35 * hi {
        lo = 0.0;
    }
    if hi <= 0.0 && hi > 0.35 * lo {
        hi = 0.0;
    }
    let span = hi - lo;
    if span <= 1e-9 * hi.abs().max(lo.abs()).max(1e-12) {
        let pad = (hi.abs() * 0.05).max(1e-3);
        return (lo - pad, hi + pad);
    }
    let pad = span * 0.06;
    (if lo == 0.0 { 0.0 } else { lo - pad }, if hi == 0.0 { 0.0 } else { hi + pad })
}

/// Tick positions (month indices) for the x axis: Januaries (every k-th year) for long runs,
/// quarters or months for short ones, at most `max` of them.
fn month_ticks((x0, x1): (f64, f64), max: usize) -> Vec<f64> {
    let (first, last) = (x0.ceil() as i64, x1.floor() as i64);
    let span = last - first;
    let step_months = if span > 24 {
        let years = (span / 12 + 1) as usize;
        12 * years.div_ceil(max).max(1) as i64
    } else if span > 6 {
        3 * ((span / 3 + 1) as usize).div_ceil(max).max(1) as i64
    } else {
        1
    };
    (first..=last).filter(|m| m.rem_euclid(step_months) == 0).map(|m| m as f64).collect()
}

/// The calendar x axis: month indices, ticks where [`month_ticks`] puts them, labelled `YYYY`
/// (long runs) or `YYYY-MM`.
struct MonthAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    years: bool,
}

impl Ranged for MonthAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * t + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for MonthAxis {
    fn format_ext(&self, value: &f64) -> String {
        month_label(*value, self.years)
    }
}

/// The value (y) axis: ticks at multiples of a round step (1, 2, 2.5 or 5 × 10^k), all written
/// with the same number of decimals.
pub(super) struct ValueAxis {
    lo: f64,
    hi: f64,
    /// Tick positions.
    pub(super) ticks: Vec<f64>,
    decimals: usize,
}

impl ValueAxis {
    /// An axis over `lo..hi` with about `target` ticks.
    pub(super) fn new(lo: f64, hi: f64, target: usize) -> ValueAxis {
        let raw = (hi - lo) / target.max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let (mantissa, step) = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| (*m, m * magnitude))
            .find(|(_, s)| *s >= raw * (1.0 - 1e-9))
            .unwrap_or((10.0, 10.0 * magnitude));
        let (first, last) = ((lo / step).ceil() as i64, (hi / step).floor() as i64);
        let ticks = (first..=last).map(|k| k as f64 * step).collect();
        let extra = if mantissa == 2.5 { 1.0 } else { 0.0 };
        let decimals = (-step.log10().floor() + extra).max(0.0) as usize;
        ValueAxis { lo, hi, ticks, decimals }
    }
}

impl Ranged for ValueAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let length = f64::from(limit.1 - limit.0);
        if length >= 0.0 {
            limit.0 + (length * t + 1e-3).floor() as i32
        } else {
            limit.0 + (length * t - 1e-3).ceil() as i32
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for ValueAxis {
    fn format_ext(&self, value: &f64) -> String {
        units::fixed(*value, self.decimals)
    }
}

fn month_label(x: f64, years: bool) -> String {
    let ym = crate::scenario::YearMonth::from_index(x.round() as i64);
    if years {
        ym.year.to_string()
    } else {
        ym.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn point(x: f64, v: Option<f64>) -> Point {
        Point { x, mid: v, inner: v.map(|v| (v, v)), outer: v.map(|v| (v - 1.0, v + 1.0)) }
    }

    #[test]
    fn runs_split_at_gaps() {
        let pts = [point(0.0, Some(1.0)), point(1.0, None), point(2.0, Some(2.0)), point(3.0, Some(3.0))];
        let r = runs(&pts, |p| p.mid);
        assert_eq!(r, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }

    #[test]
    fn y_range_handles_constant_and_empty() {
        let t = |v: f64| Trace {
            label: String::new(),
            colour: 0,
            stroke: Stroke::Solid,
            markers: false,
            points: vec![Point { x: 0.0, mid: Some(v), inner: None, outer: None }],
        };
        let (a, b) = y_range(&[t(5.0)]);
        assert!(a < 5.0 && b > 5.0);
        assert_eq!(y_range(&[]), (0.0, 1.0));
        let (a, _) = y_range(&[t(10.0), t(100.0)]);
        assert_eq!(a, 0.0, "volumes start at zero");
    }

    #[test]
    fn value_ticks_are_round() {
        let a = ValueAxis::new(4.6, 12.4, 6);
        assert_eq!(a.ticks, vec![6.0, 8.0, 10.0, 12.0]);
        assert_eq!(a.decimals, 0);
        let b = ValueAxis::new(0.0, 1.0, 4);
        assert_eq!((b.ticks.len(), b.decimals, b.format_ext(&0.25)), (5, 2, "0.25".to_string()));
        let c = ValueAxis::new(-0.05, 0.05, 4);
        assert_eq!(c.format_ext(&-0.0), "0.000");
    }

    #[test]
    fn ticks_are_januaries_for_long_runs() {
        let jan2019 = (2019 * 12) as f64;
        let ticks = month_ticks((jan2019, jan2019 + 143.0), 14);
        assert_eq!(ticks.len(), 12);
        assert!(ticks.iter().all(|t| (*t as i64).rem_euclid(12) == 0));
        assert_eq!(month_ticks((jan2019, jan2019 + 143.0), 7).len(), 6);
        let short = month_ticks((jan2019, jan2019 + 17.0), 14);
        assert_eq!(short.len(), 6, "{short:?}");
        assert_eq!(month_label(jan2019 + 3.0, false), "2019-04");
        assert_eq!(month_label(jan2019, true), "2019");
    }
}
