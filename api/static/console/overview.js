// Overview: the live plan with node health on it, today so far against a typical same
// weekday, and alerts. Zone words are the visitor screen's (view.js), from the same state.
import { describe, zoneName as screenZoneName } from "../view.js";
import { s } from "./charts.js";
import { h, local, num, pct, table, zoneName } from "./dom.js";
import { exportBar } from "./exporting.js";

const FILL = { free: "#e3f4e8", filling: "#fdf0d8", full: "#fbe3e4", in_use: "#fde6d6", unknown: "#eceff2" };
const REFRESH_MS = 15000;

const LINE = 1.3;
// A glyph of the plan's sans is at most about this wide, in em (DejaVu Sans' widest
// common letters): an estimate, so a label fits before the SVG is on the page or exported.
const EM = 0.62;

function wrapRows(text, width, size) {
  const per = Math.max(4, Math.floor(width / (EM * size)));
  const rows = [];
  for (const word of text.split(" ")) {
    const joined = rows.length ? `${rows.at(-1)} ${word}` : word;
    if (rows.length && joined.length <= per) rows[rows.length - 1] = joined;
    else rows.push(word);
  }
  return rows;
}

// The largest size from 24 down to 12 at which every line, wrapped at spaces, fits the box.
function fit(texts, width, height) {
  let size = Math.min(24, width / 12);
  for (;;) {
    const rows = texts.map((text) => wrapRows(text, width, size));
    const fits = rows.flat().every((r) => r.length * EM * size <= width)
      && rows.flat().length * size * LINE <= height;
    if (fits || size <= 12) return { size, rows };
    size = Math.max(12, size * 0.92);
  }
}

function livePlan(ctx, zones, nodes) {
  const { site, t, screen, lang } = ctx;
  const pad = 50;
  const title = t.livePlan;
  const svg = s("svg", { viewBox: `0 0 ${site.width} ${site.height + pad}`, role: "img", "aria-label": title,
    "font-family": "system-ui, DejaVu Sans, sans-serif", id: "live-plan" });
  s("title", {}, svg, title);
  s("rect", { width: site.width, height: site.height + pad, fill: "#ffffff" }, svg);
  s("text", { x: 16, y: 32, "font-size": 22, "font-weight": "bold", fill: "#14181d" }, svg, title);
  const g0 = s("g", { transform: `translate(0 ${pad})` }, svg);
  const byId = Object.fromEntries(zones.data.map((z) => [z.id, z]));
  const now = Date.now();
  for (const zone of site.zones) {
    const z = byId[zone.id];
    const view = z && z.seatable ? describe(z, screen, now) : null;
    const xs = zone.shape.map((p) => p[0]);
    const ys = zone.shape.map((p) => p[1]);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const g = s("g", { "data-zone": zone.id, "data-status": view ? view.key : "none" }, g0);
    s("polygon", { points: zone.shape.map((p) => p.join(",")).join(" "), fill: view ? FILL[view.key] : "#ffffff",
      stroke: "#14181d", "stroke-width": 2 }, g);
    const mine = nodes ? Object.entries(nodes.placement).filter(([, zs]) => zs.includes(zone.id)).map(([n]) => n) : [];
    const health = nodes ? nodes.data.filter((n) => mine.includes(n.id)) : [];
    const bad = health.filter((n) => !n.fresh).length;
    const lines = [[screenZoneName(zone, lang), "bold"], view ? [`${view.icon} ${view.label}`, "normal"] : null,
      view && view.detail ? [view.detail, "normal"] : null,
      health.length ? [bad ? `⚠ ${t.nodesBad(bad)}` : `● ${t.nodesOk(health.length)}`, bad ? "bad" : "normal"] : null]
      .filter(Boolean);
    const width = 0.92 * (Math.max(...xs) - Math.min(...xs));
    const height = 0.92 * (Math.max(...ys) - Math.min(...ys));
    const { size, rows } = fit(lines.map(([text]) => text), width, height);
    const total = rows.flat().length;
    let row = 0;
    lines.forEach(([, kind], i) => {
      const el = s("text", { "text-anchor": "middle", "font-size": size,
        "font-weight": kind === "bold" ? "bold" : "normal", fill: kind === "bad" ? "#a3222b" : "#14181d",
        "data-nodes": kind === "bad" || (i === lines.length - 1 && health.length) ? String(bad) : null }, g);
      for (const part of rows[i]) {
        s("tspan", { x: cx, y: cy + (row - (total - 1) / 2) * size * LINE + size * 0.35 }, el, part);
        row += 1;
      }
    });
  }
  return svg;
}

function alertItems(ctx, zones, nodes) {
  const { t } = ctx;
  const found = nodes ? nodes.alerts : (zones.collector ? [] : [{ kind: "collector_down" }]);
  if (!found.length) return [h("li", { "data-level": "good" }, t.noAlerts)];
  return found.map((a) => h("li", { "data-alert": a.kind, "data-node": a.node || null,
    "data-level": ["collector_down", "offline"].includes(a.kind) ? "bad" : "warn" },
  t.alert[a.kind](a.node, a.value)));
}

function todayTable(ctx, r) {
  const { t, lang, site } = ctx;
  const cols = [{ head: t.what, cell: (x) => x.name }, { head: t.today, num: true, id: "today", cell: (x) => x.today },
    { head: t.typical, num: true, id: "typical", cell: (x) => x.typical }];
  const f = (d, fn) => (d ? fn(d) : "–");
  const rows = [
    { key: "visits", name: t.visits, today: num(r.today.visits, lang, 0), typical: f(r.typical, (d) => num(d.visits, lang, 1)) },
    { key: "peak", name: t.peakPeople, today: peak(ctx, r.today), typical: f(r.typical, (d) => peak(ctx, d)) },
    { key: "busiest", name: t.busiestZone, today: busiest(ctx, r.today), typical: f(r.typical, (d) => busiest(ctx, d)) },
  ];
  const out = table(t.today, cols, rows, { key: (x) => x.key, id: "today-table" });
  out.querySelector("table").classList.add("figures");
  return [out, h("p", { class: "note" }, t.countedTo(local(r.counted_through).slice(11), String(r.hours_before).padStart(2, "0"))),
    h("p", { class: "note", id: "typical-days" }, t.typicalNote(r.typical_days.length, r.typical_days.join(", "))),
    h("p", {}, h("span", { class: "progress" }, t.inProgress(local(r.counted_through))))];

  function peak(c, d) {
    return d.peak_people === null ? "–" : `${num(d.peak_people, lang, 1)} ${t.atHour(String(d.peak_hour).padStart(2, "0"))}`;
  }

  function busiest(c, d) {
    return d.busiest_zone ? `${zoneName(site, d.busiest_zone, lang)} (${pct(d.busiest_share, lang)})` : "–";
  }
}

export async function render(ctx) {
  const { t, root, api, can } = ctx;
  const planFig = h("figure", { id: "plan-figure" });
  const alerts = h("ul", { class: "alerts", id: "alerts", "aria-live": "polite" });
  const today = h("div", { id: "today" });
  let svg = null;
  root.append(h("h1", {}, t.overviewHeading),
    h("div", { class: "grid2" },
      h("section", { class: "card", "aria-labelledby": "plan-h" }, h("h2", { id: "plan-h" }, t.livePlan), planFig,
        exportBar(t, can("nodes:read") ? "/api/v1/nodes?format=csv" : null, "live-plan", () => svg)),
      h("div", {},
        h("section", { class: "card", "aria-labelledby": "today-h" }, h("h2", { id: "today-h" }, t.today), today,
          exportBar(t, "/api/v1/reports/today?format=csv", "today", null)),
        h("section", { class: "card", "aria-labelledby": "alerts-h" }, h("h2", { id: "alerts-h" }, t.alerts), alerts))));

  async function refresh(first) {
    const [zones, nodes] = await Promise.all([
      fetch("/api/v1/zones").then((r) => r.json()),
      can("nodes:read") ? api("/api/v1/nodes", { refresh: !first }) : Promise.resolve(null)]);
    svg = livePlan(ctx, zones, nodes);
    planFig.replaceChildren(svg);
    alerts.replaceChildren(...alertItems(ctx, zones, nodes));
  }

  await refresh(true);
  today.replaceChildren(...todayTable(ctx, await api("/api/v1/reports/today")));
  const timer = setInterval(() => refresh(false).catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}
