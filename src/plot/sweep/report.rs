//! `sweep_report.html`: the design, parameters, outcomes and sensitivity tables of a sweep, and
//! every chart as inline SVG. The manifest's `provenance` is left out, so the page is the same
//! for a resumed, sharded or re-run sweep.

use std::fmt::Write as _;

use serde_json::Value;

use super::data::{list, SensitivityRow, SweepData};
use super::figures::{plural, SweepFigure};
use crate::plot::report::{esc, files_note, inline_svg, STYLE};
use crate::plot::{units, ImageFormat};
use crate::sweep::sensitivity::SOBOL_MIN_BASE_SAMPLES;

/// The sweep's report page: design, parameters, outcomes, sensitivity tables, charts inline.
pub(super) fn html(data: &SweepData, charts: &[(&SweepFigure, String)], format: ImageFormat) -> String {
    let mut h = String::new();
    header(&mut h, data);
    provenance_table(&mut h, data);
    parameter_table(&mut h, data);
    outcome_table(&mut h, data);
    sensitivity_tables(&mut h, data);
    chart_sections(&mut h, data, charts, format);
    h.push_str("</body>\n</html>\n");
    h
}

/// The page head and the summary line: design, numbers of points, parameters and outcomes, and
/// the files the page is rendered from.
fn header(h: &mut String, data: &SweepData) {
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>zeromile sweep: {} design</title>", esc(&data.design));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        h,
        "<h1>zeromile sweep: {} design</h1>\n<p>{} design point{}{}, {} parameter{}, {} outcome{}. Rendered from \
         <code>points.csv</code>{} and <code>manifest.json</code> of this directory; <code>zeromile plot DIR</code> \
         re-renders it.</p>",
        esc(&data.design),
        data.points.len(),
        plural(data.points.len() as u64),
        data.replicates.map_or_else(String::new, |r| format!(" × {r} replicate{}", plural(r))),
        data.parameters.len(),
        plural(data.parameters.len() as u64),
        data.outcomes.len(),
        plural(data.outcomes.len() as u64),
        if data.sensitivity.is_empty() { "" } else { ", <code>sensitivity.csv</code>" },
    );
}

/// The manifest's top-level entries but `sweep`, `scenarios`, `kind` and `provenance`, as a
/// key–value table.
fn provenance_table(h: &mut String, data: &SweepData) {
    // The manifest's `provenance` (threads, wall time, command) is left out: it differs between
    // equal sweeps, and the report must be byte-identical for a resumed, sharded or re-run sweep.
    h.push_str(
        "<h2>Provenance</h2>\n<p>Threads, wall time and command line: see <code>manifest.json</code> \
                (<code>provenance</code>).</p>\n<table>\n",
    );
    if let Some(map) = data.manifest.as_object() {
        for (k, v) in map.iter().filter(|(k, _)| !["sweep", "scenarios", "kind", "provenance"].contains(&k.as_str())) {
            let shown = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) => a
                    .iter()
                    .filter(|x| k != "files" || !x.as_str().is_some_and(crate::plot::is_drawn_file))
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&shown));
        }
    }
    h.push_str("</table>\n");
}

/// The swept parameters: key, bounds, scale and the manifest's grid levels.
fn parameter_table(h: &mut String, data: &SweepData) {
    h.push_str(
        "<h2>Parameters</h2>\n<table>\n<tr><th>key</th><th>low</th><th>high</th><th>scale</th><th>levels</th></tr>\n",
    );
    let sweep = data.manifest.get("sweep");
    for p in &data.parameters {
        let levels = sweep
            .map(|s| list(s, "parameters"))
            .and_then(|ps| ps.iter().find(|q| q.get("path").and_then(Value::as_str) == Some(p.path.as_str())))
            .and_then(|q| q.get("levels"))
            .and_then(Value::as_array)
            .map_or_else(|| "–".to_string(), |l| l.iter().map(Value::to_string).collect::<Vec<_>>().join(", "));
        let num = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| v.to_string());
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.path),
            num(p.low),
            num(p.high),
            if p.log { "log" } else { "linear" },
            esc(&levels)
        );
    }
    h.push_str("</table>\n");
}

/// The outcomes: name, label, the manifest's metric, and unit.
fn outcome_table(h: &mut String, data: &SweepData) {
    h.push_str("<h2>Outcomes</h2>\n<table>\n<tr><th>name</th><th>label</th><th>metric</th><th>unit</th></tr>\n");
    let sweep = data.manifest.get("sweep");
    for o in &data.outcomes {
        let metric = sweep
            .map(|s| list(s, "outcomes"))
            .and_then(|os| os.iter().find(|q| q.get("name").and_then(Value::as_str) == Some(o.name.as_str())))
            .and_then(|q| q.get("metric"))
            .and_then(Value::as_str)
            .unwrap_or("–");
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&o.name),
            esc(&o.label),
            esc(metric),
            esc(&o.unit)
        );
    }
    h.push_str("</table>\n");
}

/// One table per (method, outcome) of `sensitivity.csv`, in the order they first appear;
/// nothing without the file.
fn sensitivity_tables(h: &mut String, data: &SweepData) {
    if data.sensitivity.is_empty() {
        return;
    }
    h.push_str("<h2>Sensitivity indices</h2>\n");
    let mut groups: Vec<(String, String)> = Vec::new();
    for r in &data.sensitivity {
        let g = (r.method.clone(), r.outcome.clone());
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for (method, outcome) in groups {
        sensitivity_table(h, data, &method, &outcome);
    }
}

/// The indices of one method for one outcome: a row per parameter, a column per index, both in
/// the order they first appear.
fn sensitivity_table(h: &mut String, data: &SweepData, method: &str, outcome: &str) {
    let rows: Vec<&SensitivityRow> =
        data.sensitivity.iter().filter(|r| r.method == method && r.outcome == outcome).collect();
    let mut indices: Vec<&str> = Vec::new();
    let mut params: Vec<&str> = Vec::new();
    for r in &rows {
        if !indices.contains(&r.index.as_str()) {
            indices.push(&r.index);
        }
        if !params.contains(&r.parameter.as_str()) {
            params.push(&r.parameter);
        }
    }
    let _ = writeln!(h, "<h3>{} indices: <code>{}</code></h3>", esc(method), esc(outcome));
    if let Some(warning) = (method == "sobol").then(|| sobol_warning(data, Some(outcome))).flatten() {
        h.push_str(&warning);
        h.push('\n');
    }
    h.push_str("<table>\n<tr><th>parameter</th>");
    for i in &indices {
        let _ = write!(h, "<th>{}</th>", esc(i));
    }
    h.push_str("</tr>\n");
    for p in params {
        let _ = write!(h, "<tr><td><code>{}</code></td>", esc(p));
        for i in &indices {
            sensitivity_cell(h, rows.iter().copied().find(|r| r.parameter == p && r.index == *i));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// One cell of a sensitivity table: the estimate, with its confidence interval under it when
/// the row has one; `–` for a missing row or value.
fn sensitivity_cell(h: &mut String, cell: Option<&SensitivityRow>) {
    let v = |x: Option<f64>| x.map_or_else(|| "–".to_string(), units::significant);
    match cell {
        Some(r) if r.ci_low.is_some() || r.ci_high.is_some() => {
            let _ = write!(
                h,
                "<td class=\"n\">{}<br><span class=\"ci\">{} – {}</span></td>",
                v(r.estimate),
                v(r.ci_low),
                v(r.ci_high)
            );
        }
        Some(r) => {
            let _ = write!(h, "<td class=\"n\">{}</td>", v(r.estimate));
        }
        None => h.push_str("<td class=\"n\">–</td>"),
    }
}

/// The Saltelli base sample count N of the sweep: the manifest's point count (else the points
/// read) over k + 2; `None` for another design.
fn sobol_base_samples(data: &SweepData) -> Option<usize> {
    if data.design != "saltelli" {
        return None;
    }
    let points =
        data.manifest.pointer("/sweep/points").and_then(Value::as_u64).map_or(data.points.len(), |p| p as usize);
    Some(points / (data.parameters.len() + 2))
}

/// A warning when the Sobol indices of `outcome` (all outcomes with `None`) are noise: from
/// fewer than [`SOBOL_MIN_BASE_SAMPLES`] base samples, or with an estimate outside [0, 1].
fn sobol_warning(data: &SweepData, outcome: Option<&str>) -> Option<String> {
    let rows = data.sensitivity.iter().filter(|r| r.method == "sobol" && outcome.is_none_or(|o| r.outcome == o));
    let outside: Vec<String> = rows
        .filter_map(|r| r.estimate.filter(|v| !(0.0..=1.0).contains(v)).map(|v| (r, v)))
        .map(|(r, v)| format!("{} of <code>{}</code> = {}", esc(&r.index), esc(&r.parameter), units::significant(v)))
        .collect();
    let n = sobol_base_samples(data);
    let few = n.is_some_and(|n| n < SOBOL_MIN_BASE_SAMPLES);
    if !few && outside.is_empty() {
        return None;
    }
    let mut why = Vec::new();
    if let Some(n) = n.filter(|_| few) {
        why.push(format!("only {n} base sample{} N (at least {SOBOL_MIN_BASE_SAMPLES} needed)", plural(n as u64)));
    }
    if !outside.is_empty() {
        why.push(format!("{} outside [0, 1]", outside.join(", ")));
    }
    Some(format!(
        "<p class=\"warn\"><b>Sobol indices unreliable:</b> {}. Indices outside [0, 1], or from fewer than \
         {SOBOL_MIN_BASE_SAMPLES} base samples, are sampling noise, not shares of variance; run the sweep with \
         <code>points</code> of at least {SOBOL_MIN_BASE_SAMPLES} before reading them.</p>",
        why.join("; ")
    ))
}

/// The charts section: each chart as a figure with its inline SVG, caption and file note, and
/// a Sobol chart with the warning of [`sobol_warning`] when it applies.
fn chart_sections(h: &mut String, data: &SweepData, charts: &[(&SweepFigure, String)], format: ImageFormat) {
    h.push_str("<h2>Charts</h2>\n");
    for (figure, svg) in charts {
        // The title is drawn at the top of the chart itself: no heading repeats it.
        let _ = writeln!(h, "<figure id=\"{}\">", esc(&figure.name));
        if figure.kind == "sobol" {
            let outcome = data.outcomes.iter().find(|o| figure.name == format!("sobol_{}", o.name));
            if let Some(warning) = sobol_warning(data, outcome.map(|o| o.name.as_str())) {
                h.push_str(&warning);
                h.push('\n');
            }
        }
        h.push_str(&inline_svg(svg, &figure.title));
        let _ = writeln!(
            h,
            "<figcaption>{} <span class=\"ci\">({})</span></figcaption>\n</figure>",
            esc(&figure.caption),
            files_note(&figure.name, format)
        );
    }
}
