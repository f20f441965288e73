// The period a view shows, from its address (?from=&to=), and the form that changes it: a
// plain GET form, so every view's figures have an address to bookmark or send on.
import { addDays, h, isoDay, local } from "./dom.js";

export const DEFAULT_DAYS = 28;

export function period(params) {
  const to = params.get("to") || isoDay(new Date());
  const from = params.get("from") || addDays(to, -(DEFAULT_DAYS - 1));
  return { from, to };
}

// A GET form with `fields` ([{name, label, type, value, options}]) and the language kept.
export function queryForm(ctx, fields) {
  const { t, lang } = ctx;
  return h("form", { class: "query card", method: "get", action: location.pathname },
    fields.map((f) => h("label", {}, f.label, f.options
      ? h("select", { name: f.name }, f.options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(f.value) }, text)))
      : h("input", { name: f.name, type: f.type || "date", value: f.value, required: f.required === false ? null : true,
        min: f.min, max: f.max }))),
    h("input", { type: "hidden", name: "lang", value: lang }),
    h("button", { type: "submit", class: "primary" }, t.show));
}

export function periodFields(ctx, p) {
  return [{ name: "from", label: ctx.t.from, value: p.from }, { name: "to", label: ctx.t.to, value: p.to }];
}

// "In progress: counted to …" when a report's period is not over.
export function progressNote(ctx, r) {
  return r.in_progress && r.counted_through
    ? h("p", { "data-in-progress": "1" }, h("span", { class: "progress" }, ctx.t.inProgress(local(r.counted_through))))
    : null;
}

export function qs(obj) {
  return new URLSearchParams(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();
}
