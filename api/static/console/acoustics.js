// Acoustics: the share of measured opening hours each zone's LAeq was above the target of
// its kind (report.noise_targets).
import { barChart } from "./charts.js";
import { h, num, pct, table, zoneName } from "./dom.js";
import { exportBar } from "./exporting.js";
import { period, periodFields, progressNote, qs, queryForm } from "./period.js";

export async function render(ctx) {
  const { t, lang, site, root, api, params } = ctx;
  const p = period(params);
  root.append(h("h1", {}, t.acousticsHeading), queryForm(ctx, periodFields(ctx, p)));
  const r = await api(`/api/v1/reports/acoustics?${qs(p)}`);
  const name = (z) => zoneName(site, z.zone, lang);
  const chart = barChart({ title: `${t.acousticsHeading} ${r.period.first} – ${r.period.last}`,
    items: r.zones.map((z) => ({ label: name(z), value: z.above_share, tip: `${name(z)}: ${pct(z.above_share, lang)} > ${z.target_db} dB(A)` })),
    format: (v) => pct(v, lang) });
  chart.id = "acoustics-chart";
  root.append(progressNote(ctx, r) || "",
    h("section", { class: "card", "aria-labelledby": "ac-h" }, h("h2", { id: "ac-h" }, t.above),
      h("figure", {}, chart, h("figcaption", {}, t.acousticsCaption)),
      exportBar(t, `/api/v1/reports/acoustics?${qs(p)}&format=csv`, `acoustics-${p.from}-${p.to}`, () => chart),
      table(t.acousticsHeading, [
        { head: t.zone, cell: name },
        { head: t.target, num: true, id: "target", cell: (z) => String(z.target_db) },
        { head: t.measured, num: true, id: "measured", cell: (z) => pct(z.measured_share, lang) },
        { head: t.above, num: true, id: "above", cell: (z) => pct(z.above_share, lang) },
        { head: "h", num: true, id: "above_h", cell: (z) => num(z.above_h, lang, 1) },
      ], r.zones, { key: (z) => z.zone, id: "acoustics-table" })));
}
