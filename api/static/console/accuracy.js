// Accuracy: a phone page for a headcount now (/staff/check), and per zone and sensor kind
// how far hubsense was from the headcounts (/staff/accuracy).
import { barChart } from "./charts.js";
import { h, local, num, pct, table, zoneName } from "./dom.js";
import { exportBar } from "./exporting.js";
import { period, periodFields, qs, queryForm } from "./period.js";

async function renderCheck(ctx) {
  const { t, site, lang, root, api } = ctx;
  const result = h("p", { role: "status", id: "check-result" });
  const form = h("form", { class: "stack card check-page", id: "check-form" },
    h("p", {}, t.checkIntro),
    h("label", {}, t.zone, h("select", { name: "zone", required: true },
      site.zones.filter((z) => z.kind !== "entrance").map((z) => h("option", { value: z.id }, zoneName(site, z.id, lang))))),
    h("label", {}, t.people, h("input", { name: "people", type: "number", min: 0, max: 10000, step: 1, required: true, inputmode: "numeric" })),
    h("button", { type: "submit", class: "primary" }, t.record), result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    result.className = "";
    try {
      const c = await api("/api/v1/checks", { method: "POST", body: { zone: data.get("zone"), people: Number(data.get("people")) } });
      result.className = "ok";
      result.textContent = t.recorded(zoneName(site, c.zone, lang), c.people, c.sensor_people === null ? t.unknown : c.sensor_people);
    } catch (err) {
      result.className = "error";
      result.textContent = err.message;
    }
  });
  root.append(h("h1", {}, t.checkHeading), form);
}

async function renderAccuracy(ctx) {
  const { t, lang, site, root, api, params, can, href } = ctx;
  const p = period(params);
  root.append(h("h1", {}, t.accuracyHeading), queryForm(ctx, periodFields(ctx, p)),
    can("checks:write") ? h("p", {}, h("a", { href: href("check") }, t.checkHeading)) : "");
  const [r, checks] = await Promise.all([api(`/api/v1/reports/accuracy?${qs(p)}`), api(`/api/v1/checks?${qs(p)}`)]);
  const rows = [...r.zones, ...r.sensors];
  const label = (a) => `${a.zone ? zoneName(site, a.zone, lang) : "∑"} · ${a.sensor}`;
  const chart = barChart({ title: `${t.accuracyHeading} ${r.period.first} – ${r.period.last}`,
    items: r.zones.map((a) => ({ label: label(a), value: a.mean_abs_error })), format: (v) => num(v, lang, 1) });
  chart.id = "accuracy-chart";
  root.append(
    h("section", { class: "card", "aria-labelledby": "acc-h" }, h("h2", { id: "acc-h" }, t.accuracyHeading),
      table(t.accuracyHeading, [
        { head: t.zone, cell: label },
        { head: t.checks, num: true, id: "checks", cell: (a) => String(a.checks) },
        { head: t.compared, num: true, id: "compared", cell: (a) => String(a.compared) },
        { head: t.meanError, num: true, id: "mean_error", cell: (a) => num(a.mean_error, lang, 2) },
        { head: t.within(r.tolerance), num: true, id: "within", cell: (a) => pct(a.within_share, lang) },
      ], rows, { key: (a) => `${a.zone || "all"}:${a.sensor}`, id: "accuracy-table" }),
      h("figure", {}, chart, h("figcaption", {}, t.accuracyCaption)),
      exportBar(t, `/api/v1/reports/accuracy?${qs(p)}&format=csv`, `accuracy-${p.from}-${p.to}`, () => chart)),
    h("section", { class: "card", "aria-labelledby": "chk-h" }, h("h2", { id: "chk-h" }, t.recent),
      table(t.recent, [
        { head: t.at, cell: (c) => local(c.at) },
        { head: t.zone, cell: (c) => zoneName(site, c.zone, lang) },
        { head: t.counted, num: true, cell: (c) => String(c.people) },
        { head: t.shown, num: true, cell: (c) => (c.sensor_people === null ? t.unknown : String(c.sensor_people)) },
      ], checks.data.slice(-50).reverse(), { id: "checks-table" })));
}

export async function render(ctx) {
  return ctx.page === "check" ? renderCheck(ctx) : renderAccuracy(ctx);
}
