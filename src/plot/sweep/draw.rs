//! Sweep charts drawn with plotters: Sobol bars with confidence whiskers, the Morris μ*–σ
//! plane, the viridis heat map with its colour bar, and scatter panels, on category, value
//! and log-scale parameter axes.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::{Axis, Body, Dot, Estimate, SweepFigure};
use crate::plot::draw::{bold, font, heading, house_mesh, text, Figure, ValueAxis, MUTED, PALETTE};
use crate::plot::units;

impl Figure for SweepFigure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let body = heading(root, &self.title, &self.caption)?;
        match &self.body {
            Body::Sobol(rows) => draw_sobol(&body, rows),
            Body::Morris { unit, points } => draw_morris(&body, unit, points),
            Body::Heatmap { x, y, values, label, unit } => draw_heatmap(&body, x, y, values, label, unit),
            Body::Scatter { panels, unit } => draw_scatter(&body, panels, unit),
        }
    }
}

/// A finite range that never collapses: `lo..hi` padded by `pad` of its span (or ±0.5 / ±5 %
/// when it is a single value).
fn padded(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        let d = (lo.abs() * 0.05).max(0.5);
        return (lo - d, hi + d);
    }
    (lo - span * pad, hi + span * pad)
}

/// Categories on an axis: value `i` is category `i`, labelled `labels[i]`.
struct CategoryAxis {
    labels: Vec<String>,
}

impl Ranged for CategoryAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let n = self.labels.len().max(1) as f64;
        let t = (value + 0.5) / n;
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            (0..self.labels.len()).map(|i| i as f64).collect()
        }
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.labels.len().max(1) as f64 - 0.5
    }
}

impl ValueFormatter<f64> for CategoryAxis {
    fn format_ext(&self, value: &f64) -> String {
        let i = value.round();
        if i < 0.0 {
            return String::new();
        }
        self.labels.get(i as usize).cloned().unwrap_or_default()
    }
}

/// A value axis whose values are log10 of the shown ones when `log`.
struct ParamAxis {
    inner: ValueAxis,
    log: bool,
}

impl Ranged for ParamAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if self.log && !hint.weight().allow_light_points() {
            let (lo, hi) = (self.inner.range().start, self.inner.range().end);
            let ticks = log_ticks(lo, hi, 8);
            if ticks.len() >= 2 {
                return ticks;
            }
        }
        self.inner.key_points(hint)
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

impl ValueFormatter<f64> for ParamAxis {
    fn format_ext(&self, value: &f64) -> String {
        if self.log {
            units::significant(10f64.powf(*value))
        } else {
            self.inner.format_ext(value)
        }
    }
}

fn label_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, labels: &[String], size: u32) -> u32 {
    labels
        .iter()
        .map(|l| area.estimate_text_size(l, &font(size)).map_or(8 * l.len() as u32, |s| s.0))
        .max()
        .unwrap_or(0)
}

/// Legend rows at the top right of `area`: a filled square of each colour and its label.
fn swatches<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, keys: &[(RGBColor, &str)]) -> Result<(), String> {
    for (i, (colour, label)) in keys.iter().enumerate() {
        let y = 12 + 28 * i as i32;
        area.draw(&Rectangle::new([(6, y - 9), (30, y + 9)], colour.filled())).map_err(text)?;
        area.draw_text(label, &font(16).pos(Pos::new(HPos::Left, VPos::Center)), (40, y)).map_err(text)?;
    }
    Ok(())
}

fn draw_sobol<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    rows: &[(String, Estimate, Estimate)],
) -> Result<(), String> {
    let (w, _) = body.dim_in_pixel();
    let (plot, legend) = body.split_horizontally(w.saturating_sub(260));
    swatches(&legend.margin(40, 0, 10, 0), &[(PALETTE[0], "first-order S1"), (PALETTE[1], "total ST")])?;
    legend.draw_text("whiskers: confidence interval", &font(15).color(&MUTED), (16, 110)).map_err(text)?;
    let n = rows.len();
    // Row 0 (largest ST) at the top.
    let labels: Vec<String> = rows.iter().rev().map(|r| r.0.clone()).collect();
    let all = rows.iter().flat_map(|r| [r.1, r.2]).flat_map(|e| [e.value, e.ci.map(|c| c.0), e.ci.map(|c| c.1)]);
    let values: Vec<f64> = all.flatten().chain([0.0, 0.1]).collect();
    let (lo, hi) = padded(values.into_iter(), 0.04);
    let lo = lo.min(0.0);
    let y_area = (label_width(body, &labels, 16) + 24).clamp(120, w / 2);
    let mut ctx = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(56)
        .y_label_area_size(y_area)
        .build_cartesian_2d(ValueAxis::new(lo, hi, 8), CategoryAxis { labels })
        .map_err(text)?;
    house_mesh(&mut ctx.configure_mesh(), 16).x_desc("Sobol index (share of output variance)").draw().map_err(text)?;
    ctx.draw_series(std::iter::once(PathElement::new(vec![(0.0, -0.5), (0.0, n as f64 - 0.5)], MUTED.stroke_width(1))))
        .map_err(text)?;
    let half = if n > 12 { 0.42 } else { 0.36 };
    for (i, (_, s1, st)) in rows.iter().enumerate() {
        let c = (n - 1 - i) as f64;
        for (e, colour, (a, b)) in [(s1, PALETTE[0], (c, c + half)), (st, PALETTE[1], (c - half, c))] {
            let Some(v) = e.value else { continue };
            ctx.draw_series(std::iter::once(Rectangle::new([(0.0, a + 0.02), (v, b - 0.02)], colour.filled())))
                .map_err(text)?;
            let mid = (a + b) / 2.0;
            if let Some((l, h)) = e.ci {
                let whisker = colour.mix(1.0).stroke_width(2);
                ctx.draw_series([
                    PathElement::new(vec![(l, mid), (h, mid)], TEXT_WHISKER.stroke_width(2)),
                    PathElement::new(vec![(l, a + 0.1), (l, b - 0.1)], whisker),
                    PathElement::new(vec![(h, a + 0.1), (h, b - 0.1)], whisker),
                ])
                .map_err(text)?;
            }
            let at = e.ci.map_or(v, |(_, h)| h.max(v));
            if n <= 24 {
                let style = font(13).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Center));
                ctx.draw_series(std::iter::once(
                    EmptyElement::at((at, mid)) + Text::new(units::significant(v), (6, 0), style),
                ))
                .map_err(text)?;
            }
        }
    }
    Ok(())
}

const TEXT_WHISKER: RGBColor = RGBColor(0x33, 0x33, 0x33);

fn draw_morris<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    unit: &str,
    points: &[(String, f64, f64)],
) -> Result<(), String> {
    let (x0, x1) = padded(points.iter().map(|p| p.1).chain([0.0]), 0.08);
    let (y0, y1) = padded(points.iter().map(|p| p.2).chain([0.0]), 0.08);
    let unit_note = if unit.is_empty() { String::new() } else { format!(", {unit}") };
    let mut ctx = ChartBuilder::on(body)
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(110)
        .build_cartesian_2d(ValueAxis::new(x0.min(0.0), x1, 8), ValueAxis::new(y0.min(0.0), y1, 6))
        .map_err(text)?;
    house_mesh(&mut ctx.configure_mesh(), 16)
        .x_desc(format!("μ*: mean absolute elementary effect{unit_note}"))
        .y_desc(format!("σ: standard deviation of elementary effects{unit_note}"))
        .draw()
        .map_err(text)?;
    let top = x1.min(y1);
    if top > 0.0 {
        ctx.draw_series(DashedLineSeries::new([(0.0, 0.0), (top, top)], 10, 6, MUTED.mix(0.7).stroke_width(2)))
            .map_err(text)?;
    }
    ctx.draw_series(points.iter().map(|p| Circle::new((p.1, p.2), 7, PALETTE[0].filled()))).map_err(text)?;
    // Labels beside their dots, moved to a free side when they would overlap a placed one.
    let style = font(15);
    let (width, height) = body.dim_in_pixel();
    let mut placed: Vec<(i32, i32, i32, i32)> = points
        .iter()
        .map(|(_, x, y)| {
            let (px, py) = ctx.backend_coord(&(*x, *y));
            (px - 8, py - 8, px + 8, py + 8)
        })
        .collect();
    for (label, x, y) in points {
        let (px, py) = ctx.backend_coord(&(*x, *y));
        let (w, h) =
            body.estimate_text_size(label, &style).map_or((8 * label.len() as i32, 16), |(w, h)| (w as i32, h as i32));
        let candidates = [(10, -h - 4), (10, 4), (-w - 10, -h - 4), (-w - 10, 4), (10, -2 * h - 8), (10, h + 8)];
        let free = |(dx, dy): (i32, i32)| {
            let r = (px + dx, py + dy, px + dx + w, py + dy + h);
            let inside = r.0 >= 0
                && r.2 <= width as i32 + body.get_base_pixel().0
                && r.1 >= 0
                && r.3 <= height as i32 + body.get_base_pixel().1;
            inside && placed.iter().all(|p| r.2 < p.0 || r.0 > p.2 || r.3 < p.1 || r.1 > p.3)
        };
        let (dx, dy) = candidates.iter().copied().find(|c| free(*c)).unwrap_or(candidates[0]);
        placed.push((px + dx, py + dy, px + dx + w, py + dy + h));
        ctx.draw_series(std::iter::once(
            EmptyElement::at((*x, *y)) + Text::new(label.clone(), (dx, dy), style.pos(Pos::new(HPos::Left, VPos::Top))),
        ))
        .map_err(text)?;
    }
    Ok(())
}

/// Viridis (perceptually uniform, colour-blind safe), sampled at nine stops.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2D, 0x7B),
    (0x3B, 0x52, 0x8B),
    (0x2C, 0x72, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x28, 0xAE, 0x80),
    (0x5E, 0xC9, 0x62),
    (0xAD, 0xDC, 0x30),
    (0xFD, 0xE7, 0x25),
];

/// The viridis colour at `t` in 0..=1.
fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn level_labels(axis: &Axis) -> Vec<String> {
    axis.levels.iter().map(|v| level_text(*v)).collect()
}

/// A grid level as written (`2.5`, `12`), or to three significant digits when that is long.
fn level_text(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 7 {
        plain
    } else {
        units::significant(v)
    }
}

/// Ticks of a log10 axis over `lo..hi` (log10 values): 1, 2 and 5 × 10^k, or powers of ten
/// only when that would be more than `max`.
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (first, last) = (lo.floor() as i32, hi.ceil() as i32);
    if last - first > 60 {
        return Vec::new();
    }
    let at = |mantissas: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|k| mantissas.iter().map(move |m| (m * 10f64.powi(k)).log10()))
            .filter(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9)
            .collect()
    };
    let dense = at(&[1.0, 2.0, 5.0]);
    if dense.len() <= max {
        dense
    } else {
        at(&[1.0])
    }
}

fn draw_heatmap<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    values: &[Option<f64>],
    label: &str,
    unit: &str,
) -> Result<(), String> {
    let (w, h) = body.dim_in_pixel();
    let (plot, bar) = body.split_horizontally(w.saturating_sub(230));
    let finite: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = padded(finite.iter().copied(), 0.0);
    let shown = units::display(unit, lo.abs().max(hi.abs()));
    let (ylabels, xlabels) = (level_labels(y), level_labels(x));
    let y_area = (label_width(body, &ylabels, 16) + 60).clamp(90, w / 3);
    let scale = |axis: &Axis| if axis.log { " (log scale)" } else { "" };
    let mut ctx = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(y_area)
        .build_cartesian_2d(CategoryAxis { labels: xlabels }, CategoryAxis { labels: ylabels })
        .map_err(text)?;
    ctx.configure_mesh()
        .x_desc(format!("{}{}", x.path, scale(x)))
        .y_desc(format!("{}{}", y.path, scale(y)))
        .label_style(font(16))
        .axis_desc_style(font(17))
        .disable_mesh()
        .axis_style(MUTED.stroke_width(1))
        .draw()
        .map_err(text)?;
    let (nx, ny) = (x.levels.len(), y.levels.len());
    let write_values = nx <= 16 && ny <= 16;
    for j in 0..ny {
        for i in 0..nx {
            let v = values.get(j * nx + i).copied().flatten();
            let (a, b) = ((i as f64 - 0.5, j as f64 - 0.5), (i as f64 + 0.5, j as f64 + 0.5));
            let t = v.map(|v| (v - lo) / (hi - lo));
            let fill = t.map_or(RGBColor(0xD9, 0xD9, 0xD9), viridis);
            ctx.draw_series(std::iter::once(Rectangle::new([a, b], fill.filled()))).map_err(text)?;
            ctx.draw_series(std::iter::once(Rectangle::new([a, b], WHITE.stroke_width(1)))).map_err(text)?;
            if write_values {
                let light = t.is_some_and(|t| t > 0.6);
                let colour = if v.is_none() || light { RGBColor(0x11, 0x11, 0x11) } else { WHITE };
                let cell = v.map_or_else(|| "–".to_string(), |v| units::significant(v * shown.factor));
                let style = font(15).color(&colour).pos(Pos::new(HPos::Center, VPos::Center));
                ctx.draw_series(std::iter::once(Text::new(cell, (i as f64, j as f64), style))).map_err(text)?;
            }
        }
    }

    // Colour bar: a vertical gradient with value ticks and the unit.
    let (bar_x0, bar_x1, top, bottom) = (30, 62, 70, h as i32 - 90);
    bar.draw_text(label, &bold(15).pos(Pos::new(HPos::Left, VPos::Top)), (4, 8)).map_err(text)?;
    bar.draw_text(&shown.label, &font(15).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Top)), (4, 32)).map_err(text)?;
    let steps = (bottom - top).max(1);
    for k in 0..steps {
        let t = 1.0 - f64::from(k) / f64::from(steps);
        bar.draw(&Rectangle::new([(bar_x0, top + k), (bar_x1, top + k + 1)], viridis(t).filled())).map_err(text)?;
    }
    bar.draw(&Rectangle::new([(bar_x0, top), (bar_x1, bottom)], MUTED.stroke_width(1))).map_err(text)?;
    let axis = ValueAxis::new(lo * shown.factor, hi * shown.factor, 6);
    for &tick in &axis.ticks {
        let t = (tick / shown.factor - lo) / (hi - lo);
        let y = bottom - (t * f64::from(bottom - top)).round() as i32;
        bar.draw(&PathElement::new(vec![(bar_x1, y), (bar_x1 + 6, y)], MUTED.stroke_width(1))).map_err(text)?;
        bar.draw_text(&axis.format_ext(&tick), &font(15).pos(Pos::new(HPos::Left, VPos::Center)), (bar_x1 + 10, y))
            .map_err(text)?;
    }
    Ok(())
}

fn draw_scatter<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    panels: &[(Axis, Vec<Dot>)],
    unit: &str,
) -> Result<(), String> {
    let k = panels.len().max(1);
    let columns = if k <= 3 { k } else { (k as f64).sqrt().ceil() as usize };
    let rows = k.div_ceil(columns);
    let max_abs = panels
        .iter()
        .flat_map(|p| &p.1)
        .flat_map(|(_, m, r)| [Some(*m), r.map(|r| r.0), r.map(|r| r.1)])
        .flatten()
        .map(f64::abs)
        .fold(0.0, f64::max);
    let shown = units::display(unit, max_abs);
    let f = shown.factor;
    let cells = body.split_evenly((rows, columns));
    let ticks = if columns > 2 { 4 } else { 6 };
    for ((axis, points), cell) in panels.iter().zip(&cells) {
        let (x0, x1) = padded(points.iter().map(|p| p.0), 0.04);
        let ys = points.iter().flat_map(|(_, m, r)| [Some(*m), r.map(|r| r.0), r.map(|r| r.1)]).flatten();
        let (y0, y1) = padded(ys.map(|v| v * f), 0.06);
        let x_axis = ParamAxis { inner: ValueAxis::new(x0, x1, ticks), log: axis.log };
        let mut ctx = ChartBuilder::on(cell)
            .caption(&axis.path, bold(18))
            .margin(10)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(x_axis, ValueAxis::new(y0, y1, if rows > 2 { 4 } else { 6 }))
            .map_err(text)?;
        house_mesh(&mut ctx.configure_mesh(), 15)
            .x_desc(if axis.log { "value (log scale)" } else { "value" })
            .y_desc(&shown.label)
            .draw()
            .map_err(text)?;
        let whisker = PALETTE[0].mix(0.35).stroke_width(2);
        ctx.draw_series(
            points
                .iter()
                .filter_map(|(x, _, r)| r.map(|(a, b)| PathElement::new(vec![(*x, a * f), (*x, b * f)], whisker))),
        )
        .map_err(text)?;
        let dot = if points.len() > 400 { 3 } else { 5 };
        ctx.draw_series(points.iter().map(|(x, m, _)| Circle::new((*x, m * f), dot, PALETTE[0].filled())))
            .map_err(text)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn padded_never_collapses() {
        assert_eq!(padded([].into_iter(), 0.1), (0.0, 1.0));
        let (a, b) = padded([3.0].into_iter(), 0.1);
        assert!(a < 3.0 && b > 3.0);
        let (a, b) = padded([0.0, 10.0, f64::NAN].into_iter(), 0.1);
        assert_eq!((a, b), (-1.0, 11.0));
    }
}
