// The floor plan as SVG, drawn once from the layout and re-coloured on each change.
const SVG = "http://www.w3.org/2000/svg";
const LINE = 1.2; // line height, in font sizes
// Rows a label line may wrap to; a detail that does not fit is left out (the list has it).
const MAX_ROWS = { name: 2, status: 2, detail: 3 };
const DETAIL_FLOOR = 0.75; // of its CSS size

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function box(shape) {
  const xs = shape.map((p) => p[0]);
  const ys = shape.map((p) => p[1]);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}

export function drawPlan(svg, site) {
  svg.setAttribute("viewBox", `0 0 ${site.width} ${site.height}`);
  svg.replaceChildren();
  const defs = el("defs", {}, svg);
  const hatch = el("pattern", { id: "hatch", width: 16, height: 16, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)" }, defs);
  el("rect", { width: 16, height: 16, fill: "#2b3036" }, hatch);
  el("line", { x1: 0, y1: 0, x2: 0, y2: 16, stroke: "#4a525b", "stroke-width": 6 }, hatch);
  const cells = {};
  for (const zone of site.zones) {
    const g = el("g", { class: "zone", "data-zone": zone.id, "data-kind": zone.kind }, svg);
    el("polygon", { points: zone.shape.map((p) => p.join(",")).join(" ") }, g);
    cells[zone.id] = { g, text: el("text", { "text-anchor": "middle" }, g), box: box(zone.shape),
      desks: [] };
  }
  // Desks last, so they sit on top of their zone. Shape and glyph, not colour alone.
  const desks = {};
  for (const desk of site.desks) {
    const [x, y] = desk.position;
    const g = el("g", { class: "desk", "data-desk": desk.id, "data-status": "unknown" }, svg);
    el("circle", { cx: x, cy: y, r: 20 }, g);
    const glyph = el("text", { x, y, dy: "0.35em", "text-anchor": "middle" }, g);
    glyph.textContent = DESK_GLYPHS.unknown;
    desks[desk.id] = g;
    cells[desk.zone]?.desks.push(g);
  }
  return { cells, desks };
}

const DESK_GLYPHS = { free: "✓", occupied: "✕", unknown: "?" };

export function paintDesk(g, status) {
  if (!g || g.dataset.status === status) return;
  g.dataset.status = status;
  g.querySelector("text").textContent = DESK_GLYPHS[status] || DESK_GLYPHS.unknown;
}

// A zone's label: its name, its status, and what is known, fitted inside the zone.
export function paintZone(cell, name, view, hereLabel) {
  cell.g.dataset.status = view ? view.key : "none";
  const lines = view
    ? [["name", name], ["status", `${view.icon} ${view.label}`],
      ["detail", [view.detail, view.noise && `${view.noise.bars}\u00a0${view.noise.label}`]
        .filter(Boolean).join("\u00a0· ")]]
    : [["name", name], ["status", hereLabel || ""]];
  label(cell, lines.filter(([, text]) => text));
}

// Widths at the CSS size, in plan units; bounded, as the texts change with the clock.
const widths = new Map();

function measurer(probe) {
  return (text) => {
    const key = `${probe.getAttribute("class")}|${getComputedStyle(probe).fontSize}|${text}`;
    if (!widths.has(key)) {
      if (widths.size > 2000) widths.clear();
      probe.textContent = text;
      widths.set(key, probe.getComputedTextLength());
    }
    return widths.get(key);
  };
}

function rowsAt(words, width, scale, measure) {
  const rows = [];
  for (const word of words) {
    const joined = rows.length ? `${rows.at(-1)} ${word}` : word;
    if (rows.length && measure(joined) * scale <= width) rows[rows.length - 1] = joined;
    else rows.push(word);
  }
  return rows;
}

// The largest size (not over `cap`, not under `min`) at which the text fits `width` in at
// most `most` rows: on one row if it can stay near its CSS size, else wrapped at spaces.
// Null for a detail that never fits.
function wrap(text, cls, content, width, min, most = MAX_ROWS[cls], cap = Infinity) {
  const probe = el("tspan", { class: cls }, text);
  const base = parseFloat(getComputedStyle(probe).fontSize);
  const measure = measurer(probe);
  const words = content.split(" ");
  const top = Math.min(base, cap);
  // A detail squeezed far below its neighbours is more noise than news: leave it out instead.
  if (cls === "detail") min = Math.max(min, base * DETAIL_FLOOR);
  try {
    for (const [rows, floor] of [[1, Math.max(min, base * 0.8)], [most, min]]) {
      for (let size = Math.max(top, floor); size <= cap; size = Math.max(floor, size * 0.94)) {
        const wrapped = rowsAt(words, width, size / base, measure);
        if (wrapped.length <= rows && wrapped.every((r) => measure(r) * size / base <= width)) {
          return { cls, size, rows: wrapped };
        }
        if (size === floor) break;
      }
    }
    return cls === "detail" ? null : { cls, size: min, rows: rowsAt(words, width, min / base, measure) };
  } finally {
    probe.remove();
  }
}

// Where a label may go: the zone's box, less the rows of desks above and below its middle.
function room(cell) {
  const { x0, x1, y0, y1 } = cell.box;
  const mid = (y0 + y1) / 2;
  let top = y0;
  let bottom = y1;
  for (const desk of cell.desks) {
    const b = desk.getBBox();
    if (b.y + b.height <= mid) top = Math.max(top, b.y + b.height);
    else if (b.y >= mid) bottom = Math.min(bottom, b.y);
  }
  const pad = 0.04 * (y1 - y0);
  return { cx: (x0 + x1) / 2, width: 0.92 * (x1 - x0), top: top + pad, bottom: bottom - pad };
}

// Lay the lines out in rows, never under the CSS --plan-min-px on screen, so no label
// spills over a neighbour or shrinks out of reach. The detail gets the height that is left,
// in fewer rows or smaller type, at most --plan-detail-rows; where none is left it stays
// out (the list has it).
function label(cell, lines) {
  const { text } = cell;
  text.replaceChildren();
  const svg = text.ownerSVGElement;
  const scale = svg.getScreenCTM()?.a || 1;
  const min = (parseFloat(getComputedStyle(svg).getPropertyValue("--plan-min-px")) || 14) / scale;
  const r = room(cell);
  const height = (blocks) => blocks.reduce((h, b) => h + b.rows.length * b.size * LINE, 0);
  const blocks = lines.filter(([cls]) => cls !== "detail")
    .map(([cls, content]) => wrap(text, cls, content, r.width, min));
  const detail = lines.find(([cls]) => cls === "detail");
  const left = r.bottom - r.top - height(blocks);
  const rows = parseFloat(getComputedStyle(svg).getPropertyValue("--plan-detail-rows"));
  for (let most = Number.isNaN(rows) ? MAX_ROWS.detail : rows; detail && most > 0; most--) {
    const block = wrap(text, "detail", detail[1], r.width, min, most, left / (most * LINE));
    if (block) {
      blocks.push(block);
      break;
    }
  }
  let y = (r.top + r.bottom - height(blocks)) / 2;
  for (const b of blocks) {
    for (const row of b.rows) {
      const tspan = el("tspan", { x: r.cx, y: y + b.size * 0.95, class: b.cls }, text);
      tspan.style.fontSize = `${b.size}px`;
      tspan.textContent = row;
      y += b.size * LINE;
    }
  }
}
