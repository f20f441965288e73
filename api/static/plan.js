// The floor plan as SVG, drawn once from the layout and re-coloured on each change.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function centre(shape) {
  const xs = shape.map((p) => p[0]);
  const ys = shape.map((p) => p[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
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
    const [cx, cy] = centre(zone.shape);
    const xs = zone.shape.map((p) => p[0]);
    const room = (Math.max(...xs) - Math.min(...xs)) * 0.92;
    const text = el("text", { x: cx, y: cy, "text-anchor": "middle" }, g);
    const lines = ["name", "status", "detail"].map((cls, i) =>
      el("tspan", { x: cx, dy: i === 0 ? "-0.9em" : "1.3em", class: cls }, text));
    cells[zone.id] = { g, lines, room };
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
  }
  return { cells, desks };
}

const DESK_GLYPHS = { free: "✓", occupied: "✕", unknown: "?" };

export function paintDesk(g, status) {
  if (!g || g.dataset.status === status) return;
  g.dataset.status = status;
  g.querySelector("text").textContent = DESK_GLYPHS[status] || DESK_GLYPHS.unknown;
}

export function paintZone(cell, name, view, hereLabel) {
  cell.g.dataset.status = view ? view.key : "none";
  const [n, s, d] = cell.lines;
  n.textContent = name;
  if (!view) {
    s.textContent = hereLabel || "";
    d.textContent = "";
    fit(cell);
    return;
  }
  s.textContent = `${view.icon} ${view.label}`;
  d.textContent = [view.detail, view.noise && `${view.noise.bars} ${view.noise.label}`]
    .filter(Boolean).join(" · ");
  fit(cell);
}

// Shrink a label that is wider than its zone (a long name in a narrow meeting area),
// so it never spills over a neighbour; the CSS size is the most it gets.
function fit(cell) {
  for (const line of cell.lines) {
    line.style.fontSize = "";
    const width = line.textContent ? line.getComputedTextLength() : 0;
    if (width > cell.room) {
      const size = parseFloat(getComputedStyle(line).fontSize);
      line.style.fontSize = `${Math.floor(size * cell.room / width)}px`;
    }
  }
}
