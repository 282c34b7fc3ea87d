//! `report.html`: one self-contained page per run: scenarios and provenance from the manifest,
//! the policy events, annual headline figures with 90 % intervals, every chart as inline SVG,
//! and the resolved scenarios.
//!
//! Architecture invariant: the page references nothing outside itself: no scripts, style sheets,
//! fonts, images or links (no `src=`, no `href=`, no URL), so it opens offline in any browser.
//! Text from the manifest (names, descriptions, commands) is HTML-escaped and shown as text.

use std::fmt::Write as _;

use super::charts::{annual_note, Chart};
use super::data::RunData;
use super::draw::{HEIGHT, WIDTH};
use super::units;

/// Metrics of the annual headline table, in column order.
const HEADLINE: [&str; 8] = [
    "production",
    "domestic_retail_sales",
    "new_car_exports",
    "zero_mileage_exports",
    "price_index",
    "avg_discount",
    "utilization",
    "active_automakers",
];

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;\
color:#222;max-width:1240px;margin:1.5em auto;padding:0 1em;line-height:1.4}\
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:.9em;margin:.6em 0}\
th,td{border:1px solid #d4d4d4;padding:.25em .55em;vertical-align:top}\
th{background:#f3f3f3;text-align:left}td.n{text-align:right;white-space:nowrap}\
.ci{color:#666;font-size:.85em}code{font-size:.92em}\
figure{margin:1.2em 0 2.2em}figure svg{width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#444;margin-top:.3em}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.8em}";

/// The report page for `data` with the `charts` (name, SVG document) in order.
pub fn html(data: &RunData, charts: &[(Chart, String)]) -> String {
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
        if data.deltas.is_empty() { "" } else { ", <code>deltas.csv</code>" },
        esc(env!("CARGO_PKG_VERSION")),
    );

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

    h.push_str("<h2>Provenance</h2>\n<table>\n");
    let p = &m.provenance;
    let mut rows = vec![
        ("engine", format!("{} {}", m.engine, m.engine_version)),
        ("master seed", m.master_seed.to_string()),
        ("replicates per scenario", m.replicates.to_string()),
        ("worker threads (results do not depend on it)", p.threads.to_string()),
        ("wall time", format!("{:.1} s", p.wall_time_s)),
        ("started", utc(p.started_unix_s)),
        ("command", p.command.join(" ")),
    ];
    if !p.shards.is_empty() {
        let busy: f64 = p.shards.iter().map(|s| s.wall_time_s).sum();
        rows.push(("merged from", format!("{} shards, {busy:.1} s of shard wall time in all", p.shards.len())));
    }
    rows.push(("seed derivation", m.seed_derivation.clone()));
    rows.push(("files", m.files.join(", ")));
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>\n");

    events_table(&mut h, data);
    annual_tables(&mut h, data);

    h.push_str("<h2>Charts</h2>\n");
    for (chart, svg) in charts {
        let _ = writeln!(h, "<figure id=\"{}\">\n<h3>{}</h3>", chart.name, esc(&chart.title));
        h.push_str(&inline_svg(svg, &chart.title));
        let _ = writeln!(
            h,
            "<figcaption>{} <span class=\"ci\">(also <code>plots/{}.png</code> and <code>plots/{}.svg</code>)</span></figcaption>\n</figure>",
            esc(super::description(chart.name)),
            chart.name,
            chart.name
        );
    }

    h.push_str(
        "<h2>Resolved scenarios</h2>\n<p>Every parameter as run, after <code>extends</code> and overrides.</p>\n",
    );
    for s in &m.scenarios {
        let json = serde_json::to_string_pretty(&s.resolved).unwrap_or_default();
        let _ = writeln!(h, "<details><summary>{}</summary>\n<pre>{}</pre>\n</details>", esc(&s.name), esc(&json));
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn events_table(h: &mut String, data: &RunData) {
    let mut rows = Vec::new();
    for s in &data.manifest.scenarios {
        let Some(list) = s.resolved.get("events").and_then(|e| e.as_array()) else { continue };
        for e in list {
            let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let enabled = e.get("enabled").and_then(serde_json::Value::as_bool) != Some(false);
            rows.push((field("date"), field("id"), field("until"), field("kind"), s.name.clone(), enabled));
        }
    }
    if rows.is_empty() {
        return;
    }
    rows.sort();
    h.push_str("<h2>Policy events</h2>\n<table>\n<tr><th>from</th><th>until</th><th>id</th><th>kind</th><th>scenario</th></tr>\n");
    for (date, id, until, kind, scenario, enabled) in rows {
        let off = if enabled { "" } else { " (switched off)" };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}{off}</td><td>{}</td><td>{}</td></tr>",
            esc(&date),
            esc(&until),
            esc(&id),
            esc(&kind),
            esc(&scenario)
        );
    }
    h.push_str("</table>\n");
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
                units::display(&units::annual_unit(units::metric_unit(m)), max)
            })
            .collect();
        let _ = writeln!(h, "<h3>{}</h3>\n<table>\n<tr><th>year</th>", esc(&table.name));
        for (m, d) in metrics.iter().zip(&shown) {
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
            for (m, d) in metrics.iter().zip(&shown) {
                let cell = table.get(m).unwrap_or_default().iter().find(|c| c.year == year);
                let f = |v: Option<f64>| v.map(|v| units::significant(v * d.factor)).unwrap_or_else(|| "–".into());
                match cell {
                    Some(c) => {
                        let _ = write!(
                            h,
                            "<td class=\"n\">{}<br><span class=\"ci\">{} – {}</span></td>",
                            f(c.p50),
                            f(c.p05),
                            f(c.p95)
                        );
                    }
                    None => h.push_str("<td class=\"n\">–</td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// An SVG document made fit to sit inside the page: the namespace URL (implied in HTML) goes,
/// the fixed size gives way to the style sheet's `width:100%`, and it gets an accessible name.
fn inline_svg(svg: &str, title: &str) -> String {
    let head = format!("<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" ");
    let svg = svg.replacen(&head, &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(title)), 1);
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// HTML text and attribute escaping.
fn esc(s: &str) -> String {
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

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (civil-from-days, proleptic Gregorian).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn escapes_and_inlines() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let svg = format!(
            "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>"
        );
        let inline = inline_svg(&svg, "T");
        assert!(
            !inline.contains("http") && inline.starts_with("<svg role=\"img\" aria-label=\"T\" viewBox"),
            "{inline}"
        );
    }
}
