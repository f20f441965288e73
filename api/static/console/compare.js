// Did the layout change help? Two layout versions or two periods, per zone against each
// side's own capacity, with the comparable days and "cannot tell" where the API says so.
import { pairChart } from "./charts.js";
import { h, pct, table, zoneName } from "./dom.js";
import { exportBar } from "./exporting.js";
import { qs, queryForm } from "./period.js";

export async function render(ctx) {
  const { t, lang, site, root, api, params } = ctx;
  const layouts = await api("/api/v1/reports/layouts");
  const mode = params.get("mode") === "periods" || layouts.length < 2 ? "periods" : "versions";
  const versions = layouts.map((l) => [l.version, `${t.version(l.version)} (${l.effective_from || "…"})`]);
  const last = layouts.at(-1);
  const prev = layouts.at(-2) || last;
  const days = params.get("days") || "28";
  const modeSel = [{ name: "mode", label: t.compareHeading, value: mode, options: [["versions", t.versions], ["periods", t.periods]] }];
  const q = mode === "versions"
    ? { before_version: params.get("before_version") || prev.version, after_version: params.get("after_version") || last.version, days }
    : { before_from: params.get("before_from"), before_to: params.get("before_to"), after_from: params.get("after_from"),
      after_to: params.get("after_to") };
  const fields = mode === "versions"
    ? [{ name: "before_version", label: t.before, value: q.before_version, options: versions },
      { name: "after_version", label: t.after, value: q.after_version, options: versions },
      { name: "days", label: t.days, type: "number", value: days, min: 1, max: 366 }]
    : [{ name: "before_from", label: t.beforeFrom, value: q.before_from || "" }, { name: "before_to", label: t.beforeTo, value: q.before_to || "" },
      { name: "after_from", label: t.afterFrom, value: q.after_from || "" }, { name: "after_to", label: t.afterTo, value: q.after_to || "" }];
  root.append(h("h1", {}, t.compareHeading), queryForm(ctx, [...modeSel, ...fields]));
  if (mode === "periods" && !(q.before_from && q.before_to && q.after_from && q.after_to)) return null;
  const r = await api(`/api/v1/reports/compare?${qs(q)}`);
  const name = (id) => zoneName(site, id, lang);
  const side = (x) => t.sideNote(x.first, x.last, x.days, x.versions.map((v) => `v${v}`).join(", ") || "–");
  const chart = pairChart({
    title: `${t.compareHeading} ${r.before.first}–${r.before.last} / ${r.after.first}–${r.after.last}`,
    labels: { before: t.before, after: t.after }, format: (v) => pct(v, lang),
    rows: r.zones.map((c) => ({ id: c.zone, name: name(c.zone), before: c.before ? c.before.mean_vs_capacity : null,
      after: c.after ? c.after.mean_vs_capacity : null, cannot: c.cannot_tell ? t.cannotTell : null })),
  });
  chart.id = "compare-chart";
  const change = (c) => (c.cannot_tell ? h("span", { class: "flag flag-cannot_tell", "data-cannot": "1", title: c.cannot_tell }, t.cannotTell)
    : t.points(num(c.mean_vs_capacity_change)));
  const num = (v) => (v === null || v === undefined ? "–" : `${v >= 0 ? "+" : "−"}${Math.abs(Math.round(v * 100))}`);
  root.append(
    h("section", { class: "card", "aria-labelledby": "cmp-h" }, h("h2", { id: "cmp-h" }, t.comparableDays),
      h("p", { id: "before-side" }, `${t.before}: ${side(r.before)}`),
      h("p", { id: "after-side" }, `${t.after}: ${side(r.after)}`),
      r.exclusion ? h("p", { class: "note" }, r.exclusion) : null,
      h("figure", {}, chart, h("figcaption", {}, t.compareCaption)),
      exportBar(t, `/api/v1/reports/compare?${qs(q)}&format=csv`, "compare", () => chart)),
    h("section", { class: "card", "aria-labelledby": "cmpz-h" }, h("h2", { id: "cmpz-h" }, t.zonesHeading),
      table(t.zonesHeading, [
        { head: t.zone, cell: (c) => name(c.zone) },
        { head: `${t.before}: ${t.capacity}`, num: true, id: "before_capacity", cell: (c) => (c.before ? String(c.before.capacity) : "–") },
        { head: `${t.before}: ${t.meanVsCap}`, num: true, id: "before", cell: (c) => pct(c.before && c.before.mean_vs_capacity, lang) },
        { head: `${t.after}: ${t.capacity}`, num: true, id: "after_capacity", cell: (c) => (c.after ? String(c.after.capacity) : "–") },
        { head: `${t.after}: ${t.meanVsCap}`, num: true, id: "after", cell: (c) => pct(c.after && c.after.mean_vs_capacity, lang) },
        { head: t.change, num: true, id: "change", cell: change },
        { head: t.why, id: "why", cell: (c) => c.cannot_tell || "" },
      ], r.zones, { key: (c) => c.zone, id: "compare-table" })));
  return null;
}
