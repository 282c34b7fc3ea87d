//! `report.html`: one self-contained page per run: what a zero-mileage car is and the key
//! findings (`findings`), scenarios and provenance from the manifest, the policy events (numbered as the charts' markers), annual headline figures with 90 %
//! intervals, the annual policy effects (two or more scenarios), every chart as inline SVG (its
//! title drawn in the chart, not repeated as a heading), and the resolved parameters as tables by section.
//!
//! Architecture invariant: the page references nothing outside itself: no scripts, style sheets,
//! fonts, images or links (no `src=`, no `href=`, no URL), so it opens offline in any browser.
//! Text from the manifest (names, descriptions, commands) is HTML-escaped and shown as text.

use std::fmt::Write as _;

use serde_json::Value;

use super::charts::{annual_note, event_markers, Chart};
use super::data::{AnnualCell, AnnualTable, RunData};
use super::findings;
use super::units;
use super::ImageFormat;
use crate::output::ManifestScenario;

/// Metrics of the annual headline table, in column order.
const HEADLINE: [&str; 12] = [
    "production",
    "domestic_retail_sales",
    "nev_share_retail",
    "new_car_exports",
    "zero_mileage_exports",
    "zero_mileage_exports_nev",
    "zero_mileage_exports_ice",
    "price_index",
    "avg_discount_nev",
    "avg_discount_ice",
    "utilization",
    "active_automakers",
];

pub(super) const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;\
color:#222;max-width:1240px;margin:1.5em auto;padding:0 1em;line-height:1.4}\
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:.9em;margin:.6em 0}\
th,td{border:1px solid #d4d4d4;padding:.25em .55em;vertical-align:top}\
th{background:#f3f3f3;text-align:left}td.n{text-align:right;white-space:nowrap}\
.ci{color:#666;font-size:.85em}code{font-size:.92em}\
figure{margin:1.2em 0 2.2em}figure svg{width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#444;margin-top:.3em}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.8em}\
tr.diff td{background:#fff4d6}.wide{overflow-x:auto}td.m{color:#555;font-size:.9em}\
.warn{background:#fff4d6;border-left:4px solid #e69f00;padding:.4em .7em}";

/// The report page for `data` with the `charts` (chart, SVG document) in order; `format` says
/// which files of each chart were written.
pub fn html(data: &RunData, charts: &[(Chart, String)], format: ImageFormat) -> String {
    let m = &data.manifest;
    let names: Vec<&str> = m.scenarios.iter().map(|s| s.name.as_str()).collect();
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>zeromile report: {}</title>", esc(&names.join(", ")));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1>zeromile run: {}</h1>", esc(&names.join(" vs ")));
    let _ = writeln!(
        h,
        "<p>{} replicate{} per scenario, master seed {}. Rendered from <code>summary.csv</code>, \
         <code>annual.csv</code>{} and <code>manifest.json</code> of this directory by zeromile {}; \
         <code>zeromile plot DIR</code> re-renders it.</p>",
        m.replicates,
        if m.replicates == 1 { "" } else { "s" },
        m.master_seed,
        if data.deltas.is_empty() { "" } else { ", <code>deltas.csv</code>, <code>annual_deltas.csv</code>" },
        esc(env!("CARGO_PKG_VERSION")),
    );
    findings::intro(&mut h);
    findings::key_findings(&mut h, data);

    h.push_str("<h2>Scenarios</h2>\n<table>\n<tr><th>scenario</th><th>description</th><th>source</th>");
    h.push_str("<th>hash (FNV-1a of the resolved TOML)</th><th>overrides</th></tr>\n");
    for s in &m.scenarios {
        let description = s.resolved.get("description").and_then(|d| d.as_str()).unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&s.name),
            esc(description),
            esc(&s.source),
            esc(&s.hash),
            if s.overrides.is_empty() {
                "none".to_string()
            } else {
                s.overrides.iter().map(|o| format!("<code>{}</code>", esc(o))).collect::<Vec<_>>().join(" ")
            }
        );
    }
    h.push_str("</table>\n");

    // Only what determines the results: the manifest's `provenance` (threads, wall time, start,
    // command, shards) differs between equal runs, and the report must not, so that a re-run,
    // a different thread count or a merge of shards gives a byte-identical report.
    h.push_str(
        "<h2>Provenance</h2>\n<p>Threads, wall time, start time and command line of this run are in \
         <code>manifest.json</code> (<code>provenance</code>); results do not depend on them.</p>\n<table>\n",
    );
    let mut rows = vec![
        ("engine", format!("{} {}", m.engine, m.engine_version)),
        ("master seed", m.master_seed.to_string()),
        ("replicates per scenario", m.replicates.to_string()),
    ];
    rows.push(("seed derivation", m.seed_derivation.clone()));
    // Data files only: the charts and this page are listed once drawn, and the page must not
    // depend on whether an earlier drawing was listed.
    let listed: Vec<&str> = m.files.iter().map(String::as_str).filter(|f| !super::is_drawn_file(f)).collect();
    rows.push(("files", listed.join(", ")));
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>\n");

    events_table(&mut h, data);
    facts_table(&mut h, data);
    annual_tables(&mut h, data);
    findings::effect_tables(&mut h, data);

    h.push_str("<h2>Charts</h2>\n");
    for (chart, svg) in charts {
        // The title is drawn at the top of the chart itself: no heading repeats it.
        let _ = writeln!(h, "<figure id=\"{}\">", chart.name);
        h.push_str(&inline_svg(svg, &chart.title));
        let _ = writeln!(
            h,
            "<figcaption>{} <span class=\"ci\">({})</span></figcaption>\n</figure>",
            esc(super::description(chart.name)),
            files_note(chart.name, format)
        );
    }

    parameter_tables(&mut h, &m.scenarios);
    h.push_str("</body>\n</html>\n");
    h
}

/// Which files hold chart `name` besides the page, as HTML.
pub(super) fn files_note(name: &str, format: ImageFormat) -> String {
    match format {
        ImageFormat::Both => format!("also <code>plots/{name}.png</code> and <code>plots/{name}.svg</code>"),
        ImageFormat::Png => format!("also <code>plots/{name}.png</code>"),
        ImageFormat::Svg => format!("also <code>plots/{name}.svg</code>"),
    }
}

/// A scenario value as table text: strings bare, numbers as stored, lists comma-separated,
/// `null` as a dash.
fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => {
            map.iter().map(|(k, v)| format!("{k} = {}", value_text(v))).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// The resolved parameters of every scenario, as tables: general keys, one table per section
/// (one value column per scenario, rows that differ highlighted, unit and meaning from the
/// schema) and one table per list section (markets) with a row per entry. Events are in the
/// event table; the raw JSON stays available, collapsed.
fn parameter_tables(h: &mut String, scenarios: &[ManifestScenario]) {
    if scenarios.is_empty() {
        return;
    }
    let docs = crate::scenario::describe();
    let doc = |path: &str| docs.iter().find(|d| d.path == path);
    let several = scenarios.len() > 1;
    h.push_str(
        "<h2>Resolved parameters</h2>\n<p>Every parameter as run, after <code>extends</code> and overrides, by \
         section. Units and meanings as <code>zeromile describe</code> lists them.",
    );
    if several {
        h.push_str(" Rows where the scenarios differ are highlighted.");
    }
    h.push_str("</p>\n");

    // Keys in first-seen order across scenarios: scalars (general), objects (sections), lists.
    let mut general: Vec<String> = Vec::new();
    let mut sections: Vec<String> = Vec::new();
    let mut lists: Vec<String> = Vec::new();
    for s in scenarios {
        let Some(map) = s.resolved.as_object() else { continue };
        for (k, v) in map {
            let slot = match v {
                Value::Object(_) => &mut sections,
                Value::Array(a) if a.iter().all(Value::is_object) && k != "events" => &mut lists,
                Value::Array(_) if k == "events" => continue,
                _ => &mut general,
            };
            if !slot.contains(k) {
                slot.push(k.clone());
            }
        }
    }
    let header = |h: &mut String| {
        h.push_str("<table>\n<tr><th>key</th>");
        for s in scenarios {
            let _ = write!(h, "<th>{}</th>", esc(&s.name));
        }
        h.push_str("<th>unit</th><th>meaning</th></tr>\n");
    };
    let row = |h: &mut String, path: &str, values: Vec<String>| {
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        let _ = write!(h, "<tr{}><td><code>{}</code></td>", if differs { " class=\"diff\"" } else { "" }, esc(path));
        for v in &values {
            let _ = write!(h, "<td class=\"n\">{}</td>", esc(v));
        }
        let (unit, meaning) = doc(path).map_or(("", ""), |d| (d.unit, d.meaning));
        let _ = writeln!(h, "<td>{}</td><td class=\"m\">{}</td></tr>", esc(unit.trim_matches('-')), esc(meaning));
    };
    let get = |s: &ManifestScenario, path: &[&str]| -> String {
        let mut v = &s.resolved;
        for p in path {
            match v.get(p) {
                Some(next) => v = next,
                None => return "–".into(),
            }
        }
        value_text(v)
    };

    if !general.is_empty() {
        h.push_str("<h3>General</h3>\n");
        header(h);
        for k in &general {
            row(h, k, scenarios.iter().map(|s| get(s, &[k])).collect());
        }
        h.push_str("</table>\n");
    }
    for section in &sections {
        let mut keys: Vec<String> = Vec::new();
        for s in scenarios {
            for k in s.resolved.get(section).and_then(Value::as_object).into_iter().flat_map(|m| m.keys()) {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        let _ = writeln!(h, "<h3><code>[{}]</code></h3>\n<div class=\"wide\">", esc(section));
        header(h);
        for k in &keys {
            row(h, &format!("{section}.{k}"), scenarios.iter().map(|s| get(s, &[section, k])).collect());
        }
        h.push_str("</table>\n</div>\n");
    }
    for list in &lists {
        list_tables(h, scenarios, list, &|field: &str| doc(&format!("{list}[].{field}")).map_or("", |d| d.unit));
    }

    h.push_str("<details><summary>Resolved scenarios as JSON</summary>\n");
    for s in scenarios {
        let json = serde_json::to_string_pretty(&s.resolved).unwrap_or_default();
        let _ = writeln!(h, "<h4>{}</h4>\n<pre>{}</pre>", esc(&s.name), esc(&json));
    }
    h.push_str("</details>\n");
}

/// A list section (`[[markets]]`): a table per scenario with a row per entry (by `id`) and a
/// column per field; one table for all scenarios when they agree.
fn list_tables(h: &mut String, scenarios: &[ManifestScenario], list: &str, unit: &dyn Fn(&str) -> &'static str) {
    let entries = |s: &ManifestScenario| s.resolved.get(list).and_then(Value::as_array).cloned().unwrap_or_default();
    let same = scenarios.windows(2).all(|w| entries(&w[0]) == entries(&w[1]));
    let shown: Vec<&ManifestScenario> =
        if same { scenarios.iter().take(1).collect() } else { scenarios.iter().collect() };
    for s in shown {
        let items = entries(s);
        let mut fields: Vec<String> = Vec::new();
        for item in &items {
            for k in item.as_object().into_iter().flat_map(|m| m.keys()) {
                if k != "id" && !fields.contains(k) {
                    fields.push(k.clone());
                }
            }
        }
        let whose = if same && scenarios.len() > 1 { "all scenarios".to_string() } else { s.name.clone() };
        let _ = writeln!(
            h,
            "<h3><code>[[{}]]</code> ({})</h3>\n<div class=\"wide\">\n<table>\n<tr><th>id</th>",
            esc(list),
            esc(&whose)
        );
        for f in &fields {
            let u = unit(f).trim_matches('-');
            let _ = write!(
                h,
                "<th>{}{}</th>",
                esc(f),
                if u.is_empty() { String::new() } else { format!("<br><span class=\"ci\">{}</span>", esc(u)) }
            );
        }
        h.push_str("</tr>\n");
        for item in &items {
            let id = item.get("id").map(value_text).unwrap_or_default();
            let _ = write!(h, "<tr><td><code>{}</code></td>", esc(&id));
            for f in &fields {
                let _ = write!(
                    h,
                    "<td class=\"n\">{}</td>",
                    esc(&item.get(f).map(value_text).unwrap_or_else(|| "–".into()))
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n</div>\n");
    }
}

fn events_table(h: &mut String, data: &RunData) {
    let mut rows = Vec::new();
    for s in &data.manifest.scenarios {
        let Some(list) = s.resolved.get("events").and_then(|e| e.as_array()) else { continue };
        for e in list {
            let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let enabled = e.get("enabled").and_then(Value::as_bool) != Some(false);
            let settings: Vec<String> = e
                .as_object()
                .into_iter()
                .flat_map(|m| m.iter())
                .filter(|(k, _)| !["id", "date", "until", "kind", "enabled"].contains(&k.as_str()))
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect();
            rows.push((
                field("date"),
                field("id"),
                field("until"),
                field("kind"),
                settings.join("; "),
                s.name.clone(),
                enabled,
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    rows.sort();
    let markers = event_markers(data);
    h.push_str(
        "<h2>Policy events</h2>\n<p>Column # is the number of the event's marker: charts with many events label \
         their vertical markers with it.</p>\n<table>\n<tr><th>#</th><th>from</th><th>until</th><th>id</th>\
         <th>kind</th><th>settings</th><th>scenario</th></tr>\n",
    );
    for (date, id, until, kind, settings, scenario, enabled) in rows {
        let off = if enabled { "" } else { " (switched off)" };
        let number =
            markers.iter().find(|m| enabled && m.date == date).map_or_else(String::new, |m| m.number.to_string());
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{number}</td><td>{}</td><td>{}</td><td>{}{off}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&date),
            esc(&until),
            esc(&id),
            esc(&kind),
            esc(&settings),
            esc(&scenario)
        );
    }
    h.push_str("</table>\n");
}

/// The `facts.csv` of `zeromile check-facts`, when present: observed vs model median and 90 %
/// interval per target.
fn facts_table(h: &mut String, data: &RunData) {
    if data.facts.is_empty() {
        return;
    }
    let inside = data.facts.iter().filter(|f| f.inside).count();
    let robust = data.facts.iter().filter(|f| f.verdict == "yes").count();
    let _ = writeln!(
        h,
        "<h2>Observed facts</h2>\n<p>{inside} of {} targets have the model median inside their acceptance band, \
         {robust} of them with the median's 95% confidence interval inside too (<code>facts.csv</code>, written by \
         <code>zeromile check-facts</code>). Verdicts: <em>yes</em> median and its interval inside; <em>edge</em> \
         median inside, interval crossing a band edge (another seed may miss); <em>miss</em> median outside, interval \
         reaching the band; <em>NO</em> interval outside.</p>\n<div class=\"wide\"><table>",
        data.facts.len()
    );
    h.push_str("<tr><th>target</th><th>window</th><th>observed</th><th>band</th><th>model median</th>");
    h.push_str("<th>90% interval</th><th>median 95% CI</th><th>inside</th><th>source</th></tr>\n");
    let num = |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"));
    for f in &data.facts {
        let _ = writeln!(
            h,
            "<tr{}><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">[{}, {}]</td>\
             <td class=\"n\">{}</td><td class=\"n\">[{}, {}]</td><td class=\"n\">[{}, {}]</td><td>{}</td><td>{}</td></tr>",
            if f.inside { "" } else { " class=\"diff\"" },
            esc(&f.target),
            esc(&f.window),
            num(Some(f.observed)),
            num(Some(f.band_lo)),
            num(Some(f.band_hi)),
            num(f.p50),
            num(f.p05),
            num(f.p95),
            num(f.median_lo),
            num(f.median_hi),
            esc(&f.verdict),
            esc(&f.source)
        );
    }
    h.push_str("</table></div>\n");
}

fn annual_tables(h: &mut String, data: &RunData) {
    if data.annual.is_empty() {
        return;
    }
    h.push_str(
        "<h2>Annual headline figures</h2>\n<p>Median across replicates, with the 90% interval \
                (5th–95th percentile) below it. Flows are annual totals, levels annual means; a \
                partial first or last year covers only its simulated months.</p>\n",
    );
    for table in &data.annual {
        let metrics: Vec<&str> = HEADLINE.iter().copied().filter(|m| table.get(m).is_some()).collect();
        if metrics.is_empty() {
            continue;
        }
        let shown: Vec<units::Display> = metrics
            .iter()
            .map(|m| {
                let max = table
                    .get(m)
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|c| [c.p05, c.p50, c.p95])
                    .flatten()
                    .map(f64::abs)
                    .fold(0.0, f64::max);
                units::display(&units::annual_unit(m), max)
            })
            .collect();
        let _ = writeln!(h, "<h3>{}</h3>\n<table>\n<tr><th>year</th>", esc(&table.name));
        year_rows(h, table, &metrics, &shown, |c, f| {
            format!("{}<br><span class=\"ci\">{} – {}</span>", f(c.p50), f(c.p05), f(c.p95))
        });
        h.push_str("</table>\n");
    }
}

/// The rest of a table of `table`'s years (the caller has opened it and its first header cell):
/// a header cell per metric with its unit `shown` and annual note, then a row per year with a
/// cell per metric written by `cell` (given the formatter of a value in the column's unit), a
/// dash where the year lacks the metric.
pub(super) fn year_rows(
    h: &mut String,
    table: &AnnualTable,
    metrics: &[&str],
    shown: &[units::Display],
    cell: impl Fn(&AnnualCell, &dyn Fn(Option<f64>) -> String) -> String,
) {
    for (m, d) in metrics.iter().zip(shown) {
        let _ = write!(
            h,
            "<th>{}<br><span class=\"ci\">{}, {}</span></th>",
            esc(&units::metric_label(m)),
            esc(&d.label),
            annual_note(m)
        );
    }
    h.push_str("</tr>\n");
    let mut years: Vec<i32> =
        metrics.iter().flat_map(|m| table.get(m).unwrap_or_default().iter().map(|c| c.year)).collect();
    years.sort_unstable();
    years.dedup();
    for year in years {
        let _ = write!(h, "<tr><td>{year}</td>");
        for (m, d) in metrics.iter().zip(shown) {
            let f = |v: Option<f64>| v.map(|v| units::significant(v * d.factor)).unwrap_or_else(|| "–".into());
            match table.get(m).unwrap_or_default().iter().find(|c| c.year == year) {
                Some(c) => {
                    let _ = write!(h, "<td class=\"n\">{}</td>", cell(c, &f));
                }
                None => h.push_str("<td class=\"n\">–</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
}

/// An SVG document made fit to sit inside the page: the namespace URL (implied in HTML) goes,
/// the fixed size gives way to the style sheet's `width:100%`, and it gets an accessible name.
pub(super) fn inline_svg(svg: &str, title: &str) -> String {
    let Some(body) = svg.strip_prefix("<svg ") else { return svg.to_string() };
    let end = body.find('>').unwrap_or(body.len());
    let mut attrs = &body[..end];
    for name in ["width=\"", "height=\""] {
        if let Some(rest) = attrs.strip_prefix(name) {
            attrs = rest.split_once("\" ").map_or(rest, |(_, after)| after);
        }
    }
    let attrs = attrs.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1).replacen(
        "xmlns=\"http://www.w3.org/2000/svg\"",
        "",
        1,
    );
    format!("<svg role=\"img\" aria-label=\"{}\" {}{}", esc(title), attrs.trim_start(), &body[end..])
}

/// HTML text and attribute escaping.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_inlines() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let svg =
            "<svg width=\"1600\" height=\"900\" viewBox=\"0 0 1600 900\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>";
        let inline = inline_svg(svg, "T");
        assert!(
            !inline.contains("http") && inline.starts_with("<svg role=\"img\" aria-label=\"T\" viewBox"),
            "{inline}"
        );
    }
}
