// Visits and events: visits per day, week or month with events marked and the bar still
// being counted hatched (days to come are not drawn); each event's visits against the
// same hours of earlier same weekdays without one; events added, changed and deleted in
// local time; and the month report, one click away (/staff/month).
import { barChart } from "./charts.js";
import { addDays, h, local, num, pct, table, zoneName } from "./dom.js";
import { exportBar } from "./exporting.js";
import { period, periodFields, progressNote, qs, queryForm } from "./period.js";
import { highlightText } from "./utilization.js";

function bucket(day, by) {
  if (by === "month") return `${day.slice(0, 7)}-01`;
  if (by === "week") {
    const d = new Date(`${day}T12:00:00`);
    return addDays(day, -((d.getDay() + 6) % 7));
  }
  return day;
}

// Every bucket of the period, in order: those counted carry their visits, those to come none.
function buckets(r, events) {
  const got = Object.fromEntries(r.rows.map(([d, n]) => [d, n]));
  const counted = r.counted_through ? r.counted_through.slice(0, 10) : r.period.last;
  const marked = new Set(events.map((e) => bucket(e.start.slice(0, 10), r.by)));
  const out = [];
  for (let d = r.period.first; d <= r.period.last; d = addDays(d, 1)) {
    const b = bucket(d, r.by);
    if (out.length && out.at(-1).key === b) continue;
    const future = b > counted;
    out.push({ key: b, label: r.by === "month" ? b.slice(0, 7) : b.slice(5), value: future ? null : (got[b] ?? 0),
      progress: r.in_progress && b === bucket(counted, r.by), mark: marked.has(b) });
  }
  return out;
}

function eventForm(ctx, onSaved, ev = null) {
  const { t, site, lang, api } = ctx;
  const status = h("p", { role: "status", id: "event-status" });
  const form = h("form", { class: "stack card", id: "event-form" },
    h("h2", {}, ev ? `${t.editEvent}: ${ev.name}` : t.addEvent),
    h("label", {}, t.eventName, h("input", { name: "name", required: true, maxlength: 200, value: ev ? ev.name : "" })),
    h("label", {}, t.start, h("input", { name: "start", type: "datetime-local", required: true, value: ev ? ev.start.slice(0, 16) : "" })),
    h("label", {}, t.end, h("input", { name: "end", type: "datetime-local", required: true, value: ev ? ev.end.slice(0, 16) : "" })),
    h("label", {}, t.zones, h("select", { name: "zones", multiple: true, size: 4 },
      site.zones.filter((z) => z.kind !== "entrance").map((z) => h("option", { value: z.id,
        selected: ev && ev.zones.includes(z.id) }, zoneName(site, z.id, lang))))),
    h("button", { type: "submit", class: "primary" }, t.saveEvent), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    // Local wall-clock times without an offset: the server reads them in the site's time zone.
    const body = { name: data.get("name"), start: data.get("start"), end: data.get("end"), zones: data.getAll("zones") };
    if (ev) body.id = ev.id;
    try {
      const saved = await api("/api/v1/events", { method: "POST", body });
      status.textContent = t.saved(saved.name);
      await onSaved();
    } catch (err) {
      status.textContent = err.message;
      status.className = "error";
    }
  });
  return form;
}

function eventsTable(ctx, reports, refresh, editSlot) {
  const { t, lang, api, can } = ctx;
  const actions = (r) => (can("events:write") ? h("div", { class: "row-actions" },
    h("button", { type: "button", "data-edit": r.event.id, onclick: () => editSlot(r.event) }, t.editEvent),
    h("button", { type: "button", "data-delete": r.event.id, onclick: async () => {
      await api(`/api/v1/events/${encodeURIComponent(r.event.id)}`, { method: "DELETE" });
      await refresh(t.deleted(r.event.name));
    } }, t.deleteEvent)) : "");
  return table(t.eventsHeading, [
    { head: t.eventName, cell: (r) => r.event.name },
    { head: t.start, id: "start", cell: (r) => local(r.event.start) },
    { head: t.end, id: "end", cell: (r) => local(r.event.end) },
    { head: t.state, id: "status", cell: (r) => t.statusWord[r.status] },
    { head: t.eventVisits, num: true, id: "visits", cell: (r) => String(r.visits) },
    { head: t.usual, num: true, id: "usual", cell: (r) => num(r.usual_visits, lang, 1) },
    { head: t.extra, num: true, id: "extra", cell: (r) => (r.usual_visits === null ? "–" : num(r.visits - r.usual_visits, lang, 1)) },
    { head: t.actions, cell: actions },
  ], reports, { key: (r) => r.event.id, id: "events-table" });
}

function summaryLine(ctx, r) {
  const { t, lang } = ctx;
  return [t.total(r.total), t.previous(r.previous_total), r.trend === null ? null : t.trend(pct(r.trend, lang, 1)),
    r.peak_hour ? t.peakHour(local(r.peak_hour.start), r.peak_hour.visits) : null].filter(Boolean).join(" · ");
}

async function visitsView(ctx, q, title, name) {
  const { t, api } = ctx;
  const [r, reports] = await Promise.all([api(`/api/v1/reports/visits?${qs(q)}`),
    api(`/api/v1/reports/events?${qs({ from: q.from, to: q.to, month: q.month })}`)]);
  const chart = barChart({ title: `${title}: ${r.period.first} – ${r.period.last}, ${t.total(r.total)}`, items: buckets(r, reports.map((x) => x.event)),
    format: (v) => String(Math.round(v)) });
  chart.id = "visits-chart";
  return { r, reports, section: h("section", { class: "card", "aria-labelledby": "visits-h" },
    h("h2", { id: "visits-h" }, title), h("p", { id: "visits-summary" }, summaryLine(ctx, r)), progressNote(ctx, r),
    h("figure", {}, chart, h("figcaption", {}, t.visitsCaption)),
    exportBar(t, `/api/v1/reports/visits?${qs(q)}&format=csv`, name, () => chart)) };
}

async function renderVisits(ctx) {
  const { t, root, params, href } = ctx;
  const p = period(params);
  const by = ["day", "week", "month"].includes(params.get("by")) ? params.get("by") : "day";
  root.append(h("h1", {}, t.visitsHeading), queryForm(ctx, [...periodFields(ctx, p),
    { name: "by", label: t.by, value: by, options: [["day", t.byDay], ["week", t.byWeek], ["month", t.byMonth]] }]),
  h("p", {}, h("a", { href: href("month", { month: p.to.slice(0, 7) }), id: "month-report" }, `${t.monthReport} ${p.to.slice(0, 7)}`)));
  const body = h("div", {});
  const editSlot = h("div", { id: "event-edit" });
  root.append(body);
  const draw = async (message = "") => {
    const v = await visitsView(ctx, { ...p, by }, t.visitsHeading, `visits-${p.from}-${p.to}`);
    const edit = (ev) => editSlot.replaceChildren(eventForm(ctx, () => draw(), ev));
    body.replaceChildren(v.section,
      h("section", { class: "card", "aria-labelledby": "events-h" }, h("h2", { id: "events-h" }, t.eventsHeading),
        h("p", { role: "status", id: "events-status" }, message),
        eventsTable(ctx, v.reports, draw, edit), h("p", { class: "note" }, t.usualNote),
        exportBar(t, `/api/v1/reports/events?${qs(p)}&format=csv`, `events-${p.from}-${p.to}`, null)),
      editSlot);
    if (ctx.can("events:write") && !editSlot.firstChild) edit(null);
  };
  await draw();
}

async function renderMonth(ctx) {
  const { t, root, params, api, lang, site } = ctx;
  const month = /^\d{4}-\d{2}$/.test(params.get("month") || "") ? params.get("month") : new Date().toISOString().slice(0, 7);
  root.append(h("h1", {}, t.monthHeading(month)),
    queryForm(ctx, [{ name: "month", label: t.byMonth, type: "month", value: month }]),
    // The hub team sends the month on: the browser's own print makes it a PDF, figures only.
    h("p", { class: "no-print" }, h("button", { type: "button", class: "primary", id: "print-report",
      onclick: () => window.print() }, t.printReport)));
  const v = await visitsView(ctx, { month, by: "day" }, t.monthHeading(month), `month-${month}`);
  const u = await api(`/api/v1/reports/utilization?${qs({ month })}`);
  root.append(v.section,
    h("section", { class: "card", "aria-labelledby": "mev-h" }, h("h2", { id: "mev-h" }, t.eventsHeading),
      eventsTable({ ...ctx, can: () => false }, v.reports, () => {}, () => {}), h("p", { class: "note" }, t.usualNote),
      exportBar(t, `/api/v1/reports/events?${qs({ month })}&format=csv`, `events-${month}`, null)),
    h("section", { class: "card", "aria-labelledby": "mu-h" }, h("h2", { id: "mu-h" }, t.summaryHeading),
      h("ul", { class: "summary" }, u.highlights.map((hl) => h("li", {}, highlightText(ctx, hl, u.zones))),
        u.zones.filter((z) => z.flag === "overused" || z.flag === "underused")
          .map((z) => h("li", { "data-flag": z.flag }, `${zoneName(site, z.id, lang)}: ${t.flags[z.flag]} (${pct(z.mean_vs_capacity, lang)})`))),
      exportBar(t, `/api/v1/reports/utilization?${qs({ month })}&format=csv`, `utilization-${month}`, null)));
}

export async function render(ctx) {
  return ctx.page === "month" ? renderMonth(ctx) : renderVisits(ctx);
}
