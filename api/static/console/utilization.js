// Utilization: the plan as a heat map, the hour-of-week grid, the zone table and the
// busiest stretches in words, all from one /api/v1/reports/utilization answer.
import { heatPlan, hourGrid } from "./charts.js";
import { h, num, pct, table, zoneName } from "./dom.js";
import { exportBar } from "./exporting.js";
import { period, periodFields, progressNote, qs, queryForm } from "./period.js";

export function highlightText(ctx, hl, zones) {
  const { t, lang, site } = ctx;
  const days = hl.first_day === hl.last_day ? t.weekdays[hl.first_day] : `${t.weekdays[hl.first_day]}–${t.weekdays[hl.last_day]}`;
  const hours = `${String(hl.first_hour).padStart(2, "0")}–${String(hl.end_hour).padStart(2, "0")}`;
  const zone = zones.find((z) => z.id === hl.zone);
  const desks = site.desks.some((d) => d.zone === hl.zone) && zone;
  return t.highlight(zoneName(site, hl.zone, lang), days, hours, pct(hl.share, lang), Boolean(desks));
}

function flag(t, f) {
  return f ? h("span", { class: `flag flag-${f}`, "data-flag": f }, t.flags[f] || f) : "";
}

function gridHours(profile) {
  let lo = 24;
  let hi = -1;
  for (const prof of Object.values(profile)) {
    prof.forEach((v, how) => {
      if (v) {
        lo = Math.min(lo, how % 24);
        hi = Math.max(hi, how % 24);
      }
    });
  }
  if (hi < lo) [lo, hi] = [8, 17];
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

export async function render(ctx) {
  const { t, lang, site, root, api, params } = ctx;
  const p = period(params);
  root.append(h("h1", {}, t.utilizationHeading), queryForm(ctx, periodFields(ctx, p)));
  const q = qs(p);
  const r = await api(`/api/v1/reports/utilization?${q}`);
  const zones = r.zones;
  const name = (z) => zoneName(site, z.id, lang);
  const plan = heatPlan({
    title: `${t.utilizationHeading} ${r.period.first} – ${r.period.last}`, site,
    zones: Object.fromEntries(zones.map((u) => [u.id, {
      share: u.mean_vs_capacity, unknown: u.unknown_share || 0,
      lines: u.mean_vs_capacity === null ? [t.unknown]
        : [t.ofCapacity(pct(u.mean_vs_capacity, lang)), ...(u.unknown_share ? [t.unknownShare(pct(u.unknown_share, lang))] : [])] }])),
    desks: Object.fromEntries(r.desks.map((d) => [d.id, d.occupied_share])),
    name: (z) => zoneName(site, z.id, lang),
  });
  plan.id = "heat-plan";
  const hours = gridHours(r.profile);
  const withProfile = zones.filter((u) => r.profile[u.id]);
  const chosen = params.get("zone") && r.profile[params.get("zone")] ? params.get("zone") : (withProfile[0] || zones[0] || {}).id;
  const gridFig = h("figure", { id: "hour-grid" });
  let grid = null;
  const drawGrid = (zoneId) => {
    const u = zones.find((z) => z.id === zoneId);
    const title = `${zoneName(site, zoneId, lang)}: ${t.gridHeading}`;
    grid = hourGrid({ title, profile: r.profile[zoneId] || new Array(168).fill(null), capacity: u ? u.capacity : 0,
      days: t.weekdays.map((label, index) => ({ label, index })), hours, format: (v) => pct(v, lang) });
    gridFig.replaceChildren(grid, h("figcaption", {}, t.gridCaption(zoneName(site, zoneId, lang))));
  };
  const picker = h("select", { id: "grid-zone", onchange: (ev) => drawGrid(ev.target.value) },
    zones.map((u) => h("option", { value: u.id, selected: u.id === chosen }, name(u))));
  drawGrid(chosen);
  root.append(progressNote(ctx, r) || "",
    h("section", { class: "card", "aria-labelledby": "summary-h" }, h("h2", { id: "summary-h" }, t.summaryHeading),
      h("ul", { class: "summary", id: "highlights" }, r.highlights.map((hl) => h("li", { "data-zone": hl.zone }, highlightText(ctx, hl, zones)))),
      h("p", { class: "note" }, t.opening(r.opening_hours))),
    h("section", { class: "card", "aria-labelledby": "heat-h" }, h("h2", { id: "heat-h" }, t.utilizationHeading),
      h("figure", {}, plan, h("figcaption", {}, t.heatCaption)),
      exportBar(t, `/api/v1/reports/utilization?${q}&format=csv`, `utilization-${r.period.first}-${r.period.last}`, () => plan)),
    h("section", { class: "card", "aria-labelledby": "grid-h" }, h("h2", { id: "grid-h" }, t.gridHeading),
      h("label", {}, `${t.zone} `, picker), gridFig,
      exportBar(t, null, `hour-of-week-${r.period.first}-${r.period.last}`, () => grid)),
    h("section", { class: "card", "aria-labelledby": "zones-h" }, h("h2", { id: "zones-h" }, t.zonesHeading),
      table(t.zonesHeading, [
        { head: t.zone, cell: name },
        { head: t.capacity, num: true, id: "capacity", cell: (u) => String(u.capacity) },
        { head: t.meanVsCap, num: true, id: "mean_vs_capacity", cell: (u) => pct(u.mean_vs_capacity, lang) },
        { head: t.occupied, num: true, id: "occupied_share", cell: (u) => pct(u.occupied_share, lang) },
        { head: t.unknownCol, num: true, id: "unknown_share", cell: (u) => pct(u.unknown_share, lang) },
        { head: t.peak, num: true, id: "peak", cell: (u) => num(u.peak, lang, 0) },
        { head: t.flag, id: "flag", cell: (u) => flag(t, u.flag) },
      ], zones, { key: (u) => u.id, id: "zones-table" })));
}
