// The classroom page of `zeromile serve`: hand-written, no library, no build step. It reads the
// levers from /api/levers, posts runs to /api/run, polls /api/jobs/<id> and draws the series as
// SVG with hover values. The settings live in the URL's hash, so one link hands a class a setup.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const CHART_TITLES = {
  price_war: "Price war",
  exports: "Exports",
  overcapacity: "Overcapacity",
  waiting: "Households waiting to buy",
};
const state = { info: null, job: null, lesson: null, ready: false };

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

// --- Units -----------------------------------------------------------------------------------

/** How a unit is shown: a scale factor and a suffix. */
function display(unit, maxAbs) {
  if (unit === "fraction") return { scale: 100, suffix: "%" };
  if (unit === "yuan") return maxAbs >= 1e4 ? { scale: 1e-3, suffix: "k yuan" } : { scale: 1, suffix: "yuan" };
  if (unit === "vehicles/month") {
    if (maxAbs >= 1e6) return { scale: 1e-6, suffix: "M/month" };
    if (maxAbs >= 1e3) return { scale: 1e-3, suffix: "k/month" };
    return { scale: 1, suffix: "/month" };
  }
  return { scale: 1, suffix: unit };
}
function fmt(x, digits) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  const a = Math.abs(x);
  const d = digits !== undefined ? digits : a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return x.toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d });
}

// --- Controls --------------------------------------------------------------------------------

function buildControls(info) {
  $("scenario-name").textContent = `${info.scenario.name} (${info.scenario.start} to ${info.scenario.end})`;
  const levers = $("levers");
  const groups = {};
  for (const lever of info.levers) {
    if (!groups[lever.group]) {
      groups[lever.group] = el("div", { class: "group" }, el("h3", { text: lever.group }));
      levers.append(groups[lever.group]);
    }
    const input = el("input", {
      type: "range", min: lever.min, max: lever.max, step: lever.step, value: lever.default,
      id: `lever-${lever.id}`, "data-lever": lever.id, "aria-label": lever.label,
    });
    // A slider snaps the scenario's value to its step: that snapped position means "unchanged".
    input.dataset.initial = input.value;
    const value = el("span", { class: "value" });
    const box = el("div", { class: "lever", "data-lever-box": lever.id },
      el("div", { class: "top" }, el("label", { for: input.id, text: lever.label }), value),
      input,
      el("div", { class: "meaning", text: `${lever.meaning} Unchanged: ${lever.default}; teaching range ${lever.min}–${lever.max}; valid ${lever.valid_range || "see describe"}.` }),
      el("div", { class: "error", "data-field": `levers.${lever.id}` }));
    const show = () => {
      value.textContent = `${fmt(Number(input.value), decimals(lever.step))} ${lever.unit}`;
      box.classList.toggle("changed", input.value !== input.dataset.initial);
    };
    input.addEventListener("input", () => { show(); settingsChanged(); });
    input.show = show;
    show();
    groups[lever.group].append(box);
  }
  const events = $("events");
  for (const ev of info.events) {
    const check = el("input", { type: "checkbox", id: `event-${ev.id}`, "data-event": ev.id });
    check.checked = ev.enabled;
    const date = el("input", { type: "month", value: ev.date, "data-event-date": ev.id, "aria-label": `${ev.label}: from` });
    const box = el("div", { class: "event", "data-event-box": ev.id },
      el("div", { class: "top" }, el("label", { for: check.id }, check, " " + ev.label), date),
      el("div", { class: "meaning", text: ev.meaning }),
      el("div", { class: "error", "data-field": `events.${ev.id}` }),
      el("div", { class: "error", "data-field": `events.${ev.id}.date` }),
      el("div", { class: "error", "data-field": `events.${ev.id}.enabled` }));
    const mark = () => box.classList.toggle("changed", check.checked !== ev.enabled || date.value !== ev.date);
    check.addEventListener("change", () => { mark(); settingsChanged(); });
    date.addEventListener("change", () => { mark(); settingsChanged(); });
    check.mark = mark;
    events.append(box);
  }
  const lessons = $("lessons");
  for (const lesson of info.lessons) {
    const b = el("button", { "data-lesson": lesson.id, text: lesson.title });
    b.addEventListener("click", () => applyLesson(lesson));
    lessons.append(b);
  }
  for (const r of document.querySelectorAll("input[name=quality]")) r.addEventListener("change", qualityChanged);
  $("seed").value = info.scenario.seed;
  $("replicates").max = info.caps.replicates;
  $("replicates").addEventListener("input", settingsChanged);
  $("seed").addEventListener("input", settingsChanged);
  qualityChanged();
  const rows = info.schema.map((k) => el("tr", {},
    el("td", {}, el("code", { text: k.path })), el("td", { text: k.unit }), el("td", { text: k.default }),
    el("td", { text: k.range }), el("td", { text: k.meaning })));
  $("schema-list").append(el("table", {}, ...rows));
}

function decimals(step) {
  const s = String(step);
  return s.includes(".") ? s.split(".")[1].length : 0;
}

function quality() {
  return document.querySelector("input[name=quality]:checked").value;
}
function qualityChanged() {
  const q = state.info.quality[quality()];
  $("replicates").value = q.replicates;
  const agents = Math.min(q.agents, state.info.scenario.agents);
  $("quality-note").textContent = `${q.note} (${agents.toLocaleString("en")} agents here.)`;
  settingsChanged();
}

/** The run request of the controls: only what differs from the unchanged scenario. */
function request() {
  const levers = {};
  for (const lever of state.info.levers) {
    const input = $(`lever-${lever.id}`);
    if (input.value !== input.dataset.initial) levers[lever.id] = Number(input.value);
  }
  const events = {};
  for (const ev of state.info.events) {
    const on = $(`event-${ev.id}`).checked;
    const date = document.querySelector(`[data-event-date="${ev.id}"]`).value;
    const choice = {};
    if (on !== ev.enabled) choice.enabled = on;
    if (date && date !== ev.date) choice.date = date;
    if (Object.keys(choice).length) events[ev.id] = choice;
  }
  const req = { levers, events, quality: quality() };
  const n = Number($("replicates").value);
  if ($("replicates").value !== "") req.replicates = n;
  const seed = $("seed").value;
  if (seed !== "" && Number(seed) !== state.info.scenario.seed) req.seed = Number(seed);
  return req;
}

function setControls(req) {
  for (const lever of state.info.levers) {
    const input = $(`lever-${lever.id}`);
    input.value = req.levers && req.levers[lever.id] !== undefined ? req.levers[lever.id] : lever.default;
    input.show();
  }
  for (const ev of state.info.events) {
    const choice = (req.events && req.events[ev.id]) || {};
    const check = $(`event-${ev.id}`);
    check.checked = choice.enabled !== undefined ? choice.enabled : ev.enabled;
    document.querySelector(`[data-event-date="${ev.id}"]`).value = choice.date || ev.date;
    check.mark();
  }
  const q = req.quality === "careful" ? "careful" : "quick";
  document.querySelector(`input[name=quality][value=${q}]`).checked = true;
  qualityChanged();
  if (req.replicates) $("replicates").value = req.replicates;
  $("seed").value = req.seed !== undefined ? req.seed : state.info.scenario.seed;
  settingsChanged();
}

function applyLesson(lesson) {
  setControls({ levers: lesson.levers, events: lesson.events, quality: quality() });
  showLesson(lesson);
}
function showLesson(lesson) {
  state.lesson = lesson ? lesson.id : null;
  for (const b of document.querySelectorAll("#lessons button")) b.classList.toggle("active", lesson && b.dataset.lesson === lesson.id);
  const box = $("lesson-text");
  box.hidden = !lesson;
  box.replaceChildren();
  if (lesson) box.append(el("p", {}, el("b", { text: "Question: " }), lesson.question), el("p", {}, el("b", { text: "Look for: " }), lesson.look_for));
  settingsChanged();
}

// --- The link: settings in the URL hash ----------------------------------------------------------

function writeHash() {
  const req = request();
  const p = new URLSearchParams();
  if (state.lesson) p.set("lesson", state.lesson);
  for (const [k, v] of Object.entries(req.levers)) p.set(`l.${k}`, v);
  for (const [k, c] of Object.entries(req.events)) {
    p.set(`e.${k}`, `${c.enabled === undefined ? "" : c.enabled ? "on" : "off"}${c.date ? "@" + c.date : ""}`);
  }
  p.set("q", req.quality);
  if (req.replicates) p.set("n", req.replicates);
  if (req.seed !== undefined) p.set("seed", req.seed);
  history.replaceState(null, "", "#" + p.toString());
}
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (![...p.keys()].length) return false;
  const req = { levers: {}, events: {}, quality: p.get("q") || "quick" };
  for (const [k, v] of p) {
    if (k.startsWith("l.")) req.levers[k.slice(2)] = Number(v);
    if (k.startsWith("e.")) {
      const [on, date] = v.split("@");
      const c = {};
      if (on === "on" || on === "off") c.enabled = on === "on";
      if (date) c.date = date;
      req.events[k.slice(2)] = c;
    }
  }
  if (p.get("n")) req.replicates = Number(p.get("n"));
  if (p.get("seed")) req.seed = Number(p.get("seed"));
  setControls(req);
  const lesson = state.info.lessons.find((l) => l.id === p.get("lesson"));
  if (lesson) showLesson(lesson);
  return true;
}

function settingsChanged() {
  // Not before the hash has been read: it would overwrite the link the page was opened with.
  if (state.ready) writeHash();
}

// --- Runs --------------------------------------------------------------------------------------

function clearErrors() {
  for (const e of document.querySelectorAll(".error")) e.textContent = "";
}
function showError(body) {
  const slot = body.field && document.querySelector(`[data-field="${CSS.escape(body.field)}"]`);
  (slot || $("form-error")).textContent = body.error;
  $("status").textContent = "The run was refused: " + body.error;
}

async function run() {
  clearErrors();
  $("run").disabled = true;
  $("status").textContent = "Sending…";
  try {
    const res = await fetch("/api/run", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request()) });
    const body = await res.json();
    if (!res.ok) {
      showError(body);
      $("run").disabled = false;
      return;
    }
    state.job = body.id;
    $("progress").hidden = false;
    poll(body.id);
  } catch (e) {
    $("status").textContent = "The server did not answer: " + e;
    $("run").disabled = false;
  }
}

async function poll(id) {
  let body;
  try {
    const res = await fetch(`/api/jobs/${id}`);
    body = await res.json();
    if (!res.ok) throw new Error(body.error);
  } catch (e) {
    $("status").textContent = "Lost the run: " + e.message;
    $("run").disabled = false;
    return;
  }
  if (body.state === "queued") {
    $("status").textContent = `Waiting: ${body.ahead} run(s) ahead of this one.`;
  } else if (body.state === "running") {
    $("status").textContent = `Running the ${body.phase}: ${body.done} of ${body.total} replicate runs done.`;
    $("progress").max = body.total;
    $("progress").value = body.done;
  } else if (body.state === "failed") {
    $("status").textContent = "The run failed: " + body.error;
    $("run").disabled = false;
    $("progress").hidden = true;
    return;
  } else if (body.state === "done") {
    finished(id, body.result);
    return;
  }
  setTimeout(() => poll(id), 400);
}

function finished(id, result) {
  $("run").disabled = false;
  $("progress").hidden = true;
  const cached = result.baseline_cached ? " (the unchanged scenario came from the cache)" : "";
  $("status").textContent = `Run ${id}: ${result.replicates} replicates, ${result.agents.toLocaleString("en")} household agents, seed ${result.seed}${cached}. Hover a chart for values.`;
  for (const [a, which] of [["download", "changed"], ["download-base", "baseline"]]) {
    $(a).href = `/api/scenario?job=${id}&which=${which}`;
    $(a).classList.remove("disabled");
  }
  drawAll(id, result);
}

// --- Charts ------------------------------------------------------------------------------------

function drawAll(id, result) {
  const charts = $("charts");
  charts.replaceChildren();
  const byChart = {};
  // In the server's order of charts and metrics (the result's keys are sorted by name).
  for (const c of state.info.charts) {
    const m = result.metrics[c.metric];
    if (m) (byChart[c.chart] = byChart[c.chart] || []).push([c.metric, m]);
  }
  let checksum = 0;
  for (const [chart, metrics] of Object.entries(byChart)) {
    const card = el("div", { class: "chart", "data-chart": chart }, el("h2", { text: CHART_TITLES[chart] || chart }));
    for (const [name, m] of metrics) {
      const maxAbs = Math.max(...["baseline", "changed"].flatMap((s) => m[s].mean.map((x) => Math.abs(x || 0))));
      const unit = display(m.unit, maxAbs);
      const levels = [
        { label: "unchanged", color: "var(--base)", band: m.baseline },
        { label: "changed", color: "var(--changed)", band: m.changed },
      ];
      const diff = [{ label: "changed − unchanged", color: "var(--diff)", band: m.difference }];
      const row = el("div", { class: "metric", "data-metric": name },
        panel(`${m.label} (${unit.suffix})`, result, levels, unit, false),
        panel(`difference (${unit.suffix})`, result, diff, unit, true));
      card.append(row);
      for (const x of m.difference.mean) checksum += x || 0;
      for (const x of m.changed.mean) checksum += x || 0;
    }
    charts.append(card);
  }
  charts.dataset.job = id;
  charts.dataset.checksum = String(checksum);
}

function panel(title, result, series, unit, zero) {
  const W = 420, H = 200, L = 46, R = 8, T = 8, B = 22;
  const n = result.dates.length;
  const vals = series.flatMap((s) => [...s.band.mean, ...s.band.p05, ...s.band.p95]).filter((x) => x !== null).map((x) => x * unit.scale);
  let lo = Math.min(...vals, zero ? 0 : Infinity), hi = Math.max(...vals, zero ? 0 : -Infinity);
  if (!isFinite(lo) || !isFinite(hi)) { lo = 0; hi = 1; }
  if (hi - lo < 1e-12) { hi += Math.abs(hi) * 0.05 + 1e-9; lo -= Math.abs(lo) * 0.05 + 1e-9; }
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const x = (i) => L + (n <= 1 ? 0 : (i / (n - 1)) * (W - L - R));
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  for (const t of ticks(lo, hi, 5)) {
    s.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(t), y2: y(t) }));
    const label = svg("text", { x: L - 4, y: y(t) + 3, "text-anchor": "end" });
    label.textContent = fmt(t, decimalsFor(hi - lo));
    s.append(label);
  }
  const years = result.dates.map((d, i) => [d, i]).filter(([d]) => d.endsWith("-01"));
  const every = Math.max(1, Math.ceil(years.length / 8));
  years.forEach(([d, i], k) => {
    if (k % every) return;
    const label = svg("text", { x: x(i), y: H - 6, "text-anchor": "middle" });
    label.textContent = d.slice(0, 4);
    s.append(label);
  });
  for (const ev of result.events) {
    const i = result.dates.indexOf(ev.date);
    if (i > 0) s.append(svg("line", { class: "event", x1: x(i), x2: x(i), y1: T, y2: H - B }));
  }
  s.append(svg("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  s.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  if (zero && lo < 0 && hi > 0) s.append(svg("line", { class: "zero", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  for (const se of series) {
    const up = [], down = [];
    se.band.p95.forEach((v, i) => { if (v !== null && se.band.p05[i] !== null) { up.push(`${x(i)},${y(v * unit.scale)}`); down.unshift(`${x(i)},${y(se.band.p05[i] * unit.scale)}`); } });
    if (up.length) s.append(svg("polygon", { points: [...up, ...down].join(" "), fill: se.color, "fill-opacity": 0.16, stroke: "none" }));
    const pts = se.band.mean.map((v, i) => (v === null ? null : `${x(i)},${y(v * unit.scale)}`)).filter(Boolean);
    s.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: se.color, "stroke-width": 2 }));
  }
  const cursor = svg("line", { class: "cursor", x1: 0, x2: 0, y1: T, y2: H - B, visibility: "hidden" });
  s.append(cursor);
  s.addEventListener("mousemove", (e) => {
    const box = s.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    const i = Math.max(0, Math.min(n - 1, Math.round(((px - L) / (W - L - R)) * (n - 1))));
    cursor.setAttribute("x1", x(i));
    cursor.setAttribute("x2", x(i));
    cursor.setAttribute("visibility", "visible");
    const tip = $("tooltip");
    tip.replaceChildren(el("b", { text: result.dates[i] }));
    for (const se of series) {
      const b = se.band;
      const v = (a) => (a[i] === null ? null : a[i] * unit.scale);
      tip.append(el("div", { text: `${se.label}: ${fmt(v(b.mean))} ${unit.suffix} [${fmt(v(b.p05))}, ${fmt(v(b.p95))}]` }));
    }
    tip.hidden = false;
    tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${e.clientY + 14}px`;
  });
  s.addEventListener("mouseleave", () => { cursor.setAttribute("visibility", "hidden"); $("tooltip").hidden = true; });
  return el("div", {}, el("div", { class: "panel-title", text: title }), s);
}

function ticks(lo, hi, count) {
  const step0 = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}
function decimalsFor(range) {
  return range >= 50 ? 0 : range >= 5 ? 1 : range >= 0.5 ? 2 : 3;
}

// --- Start ---------------------------------------------------------------------------------------

async function start() {
  const res = await fetch("/api/levers");
  state.info = await res.json();
  buildControls(state.info);
  readHash();
  state.ready = true;
  $("run").addEventListener("click", run);
  $("reset").addEventListener("click", () => {
    setControls({ levers: {}, events: {}, quality: "quick" });
    showLesson(null);
    clearErrors();
    history.replaceState(null, "", location.pathname);
  });
  $("copy-link").addEventListener("click", async () => {
    writeHash();
    try {
      await navigator.clipboard.writeText(location.href);
      $("copy-link").textContent = "Link copied";
    } catch (e) {
      $("copy-link").textContent = "Copy the address bar";
    }
    setTimeout(() => { $("copy-link").textContent = "Copy link to these settings"; }, 2000);
  });
}
start().catch((e) => { $("status").textContent = "Could not load the levers: " + e; });
