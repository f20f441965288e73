// Small DOM and number helpers the console's views share.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

// A table: columns [{head, cell(row) -> text|Node, num}], with a caption for screen readers.
export function table(caption, cols, rows, attrs = {}) {
  const head = h("tr", {}, cols.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.head)));
  const body = rows.map((r) => h("tr", { "data-row": attrs.key ? attrs.key(r) : null },
    cols.map((c, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, class: c.num ? "num" : null,
      "data-col": c.id || null }, c.cell(r)))));
  return h("div", { class: "table-wrap" }, h("table", { id: attrs.id || null },
    h("caption", { class: "visually-hidden" }, caption), h("thead", {}, head), h("tbody", {}, body)));
}

export function pct(v, lang, digits = 0) {
  if (v === null || v === undefined) return "–";
  return new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB", { style: "percent",
    maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
}

export function num(v, lang, digits = 1) {
  if (v === null || v === undefined) return "–";
  return new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB", { maximumFractionDigits: digits,
    minimumFractionDigits: 0 }).format(v);
}

// "2026-11-18T18:00:00+01:00" -> "2026-11-18 18:00": the site's local time as the API gave it.
export function local(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "–";
}

export function isoDay(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function addDays(iso, n) {
  const d = new Date(`${iso}T12:00:00`);
  d.setDate(d.getDate() + n);
  return isoDay(d);
}

export function zoneName(site, id, lang) {
  const z = site.zones.find((x) => x.id === id);
  return z ? (lang === "sv" && z.name.sv) || z.name.en : id;
}
