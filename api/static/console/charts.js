// Charts as SVG with presentation attributes only (no CSS), so the same element exports
// as an SVG or PNG file that looks as it does on the page. Nothing is drawn for what is
// not known or has not happened: a blank, never a zero.
const NS = "http://www.w3.org/2000/svg";
const FONT = "system-ui, DejaVu Sans, sans-serif";

export function s(name, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function frame(w, hgt, title) {
  const svg = s("svg", { viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": title,
    "font-family": FONT, "font-size": 14 });
  s("title", {}, svg, title);
  s("rect", { width: w, height: hgt, fill: "#ffffff" }, svg);
  s("text", { x: 16, y: 28, "font-size": 18, "font-weight": "bold", fill: "#14181d" }, svg, title);
  return svg;
}

function hatch(svg, id = "unknown-hatch") {
  const defs = s("defs", {}, svg);
  const p = s("pattern", { id, width: 10, height: 10, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)" }, defs);
  s("rect", { width: 10, height: 10, fill: "#eceff2" }, p);
  s("line", { x1: 0, y1: 0, x2: 0, y2: 10, stroke: "#7a8590", "stroke-width": 3 }, p);
  return `url(#${id})`;
}

// Share of capacity -> a blue from light to dark; text black or white for contrast.
export function heat(share) {
  const v = Math.max(0, Math.min(1, share));
  const from = [238, 244, 248];
  const to = [11, 60, 93];
  const c = from.map((a, i) => Math.round(a + (to[i] - a) * v));
  return { fill: `rgb(${c.join(",")})`, ink: v > 0.45 ? "#ffffff" : "#14181d" };
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  let mag = 1;
  while (mag * 10 <= v) mag *= 10;
  return [1, 2, 5, 10].map((m) => m * mag).find((m) => m >= v);
}

// Bars: items [{label, value (null: not happened, not drawn), progress, mark, tip}].
export function barChart({ title, items, format = String, mark = "◆" }) {
  const W = 960;
  const H = 420;
  const [L, R, T, B] = [64, 24, 56, 64];
  const svg = frame(W, H, title);
  const fill = hatch(svg, "progress-hatch");
  const top = niceMax(Math.max(0, ...items.map((i) => i.value || 0)));
  const pw = W - L - R;
  const ph = H - T - B;
  const step = pw / Math.max(items.length, 1);
  for (let k = 0; k <= 4; k++) {
    const y = T + ph - (ph * k) / 4;
    s("line", { x1: L, y1: y, x2: W - R, y2: y, stroke: "#dde2e6" }, svg);
    s("text", { x: L - 8, y: y + 4, "text-anchor": "end", fill: "#4a5560" }, svg, format((top * k) / 4));
  }
  const every = Math.max(1, Math.round(items.length / 16));
  items.forEach((it, i) => {
    const x = L + i * step;
    if (it.value !== null && it.value !== undefined) {
      const bh = (ph * it.value) / top;
      const bar = s("rect", { class: "bar", x: x + step * 0.1, y: T + ph - bh, width: step * 0.8, height: bh,
        fill: it.progress ? "#ffffff" : "#1f5f86", stroke: "#1f5f86", "stroke-width": 1.5,
        "data-label": it.label, "data-value": it.value, "data-progress": it.progress ? "1" : null }, svg);
      if (it.progress) bar.setAttribute("fill", fill);
      s("title", {}, bar, it.tip || `${it.label}: ${format(it.value)}`);
    }
    if (it.mark) s("text", { x: x + step / 2, y: T - 8, "text-anchor": "middle", fill: "#a3222b",
      "data-mark": it.label }, svg, mark);
    if (i % every === 0) s("text", { x: x + step / 2, y: T + ph + 18, "text-anchor": "middle", fill: "#14181d" }, svg, it.label);
  });
  s("line", { x1: L, y1: T + ph, x2: W - R, y2: T + ph, stroke: "#14181d" }, svg);
  return svg;
}

// Pairs of bars per zone (before, after), each a share of its own capacity; a zone that
// cannot be told gets words instead of bars.
export function pairChart({ title, rows, labels, format }) {
  const W = 960;
  const rowH = 54;
  const H = 80 + rows.length * rowH;
  const L = 220;
  const svg = frame(W, H, title);
  const top = Math.max(1, ...rows.flatMap((r) => [r.before || 0, r.after || 0]));
  const pw = W - L - 120;
  s("rect", { x: L, y: 40, width: 14, height: 14, fill: "#8fb8d3" }, svg);
  s("text", { x: L + 20, y: 52, fill: "#14181d" }, svg, labels.before);
  s("rect", { x: L + 140, y: 40, width: 14, height: 14, fill: "#1f5f86" }, svg);
  s("text", { x: L + 160, y: 52, fill: "#14181d" }, svg, labels.after);
  rows.forEach((r, i) => {
    const y = 70 + i * rowH;
    s("text", { x: L - 10, y: y + 24, "text-anchor": "end", fill: "#14181d" }, svg, r.name);
    if (r.cannot) {
      s("text", { x: L, y: y + 24, fill: "#4a5560", "font-style": "italic", "data-cannot": r.id }, svg, r.cannot);
      return;
    }
    [["before", "#8fb8d3", 0], ["after", "#1f5f86", 22]].forEach(([k, color, dy]) => {
      if (r[k] === null || r[k] === undefined) return;
      const w = (pw * r[k]) / top;
      s("rect", { x: L, y: y + dy, width: w, height: 18, fill: color, "data-zone": r.id, "data-side": k }, svg);
      s("text", { x: L + w + 6, y: y + dy + 14, fill: "#14181d" }, svg, format(r[k]));
    });
  });
  return svg;
}

function box(shape) {
  const xs = shape.map((p) => p[0]);
  const ys = shape.map((p) => p[1]);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}

// The floor plan as a heat map: zones by `zones[id].share`, desks by `desks[id]` (0..1),
// unknown time as a hatched strip at the bottom of the zone, as tall as its share.
export function heatPlan({ title, site, zones, desks, name }) {
  const pad = 50;
  const svg = frame(site.width, site.height + pad, title);
  const unknownFill = hatch(svg);
  const defs = svg.querySelector("defs");
  const plan = s("g", { transform: `translate(0 ${pad})` }, svg);
  for (const z of site.zones) {
    const v = zones[z.id];
    const b = box(z.shape);
    const points = z.shape.map((p) => p.join(",")).join(" ");
    const known = v && v.share !== null && v.share !== undefined;
    const c = known ? heat(v.share) : { fill: unknownFill, ink: "#14181d" };
    const g = s("g", { "data-zone": z.id }, plan);
    s("polygon", { points, fill: c.fill, stroke: "#14181d", "stroke-width": 2 }, g);
    if (known && v.unknown > 0) {
      const clip = s("clipPath", { id: `clip-${z.id}` }, defs);
      s("polygon", { points }, clip);
      const hgt = (b.y1 - b.y0) * Math.min(1, v.unknown);
      s("rect", { x: b.x0, y: b.y1 - hgt, width: b.x1 - b.x0, height: hgt, fill: unknownFill,
        "clip-path": `url(#clip-${z.id})`, opacity: 0.9 }, g);
    }
    const cx = (b.x0 + b.x1) / 2;
    const cy = (b.y0 + b.y1) / 2;
    const size = Math.max(14, Math.min(26, (b.x1 - b.x0) / 12));
    const lines = [name(z), ...(v ? v.lines : [])];
    lines.forEach((line, i) => {
      const y = cy + (i - (lines.length - 1) / 2) * size * 1.25;
      // A white outline under the text keeps it readable over any colour and the hatching.
      s("text", { x: cx, y, "text-anchor": "middle", "font-size": size, "font-weight": i === 0 ? "bold" : "normal",
        fill: known ? c.ink : "#14181d", stroke: known && c.ink === "#ffffff" ? "#0b3c5d" : "#ffffff",
        "stroke-width": 3, "paint-order": "stroke", "data-line": i }, g, line);
    });
  }
  for (const d of site.desks) {
    const v = desks[d.id];
    const [x, y] = d.position;
    const c = v === null || v === undefined ? { fill: unknownFill } : heat(v);
    const g = s("g", { "data-desk": d.id, "data-share": v ?? "" }, plan);
    s("circle", { cx: x, cy: y, r: 22, fill: c.fill, stroke: "#14181d", "stroke-width": 2 }, g);
    if (v !== null && v !== undefined) {
      s("text", { x, y: y + 5, "text-anchor": "middle", "font-size": 14, fill: c.ink }, g, `${Math.round(v * 100)}`);
    }
  }
  return svg;
}

// Weekdays x hours, each cell mean people / capacity (a blank where nothing is known).
export function hourGrid({ title, profile, capacity, days, hours, format }) {
  const cw = 52;
  const ch = 34;
  const L = 70;
  const T = 70;
  const W = L + hours.length * cw + 20;
  const H = T + days.length * ch + 20;
  const svg = frame(W, H, title);
  hours.forEach((hr, j) => s("text", { x: L + j * cw + cw / 2, y: T - 10, "text-anchor": "middle", fill: "#14181d" }, svg,
    String(hr).padStart(2, "0")));
  days.forEach((day, i) => {
    s("text", { x: L - 10, y: T + i * ch + ch / 2 + 5, "text-anchor": "end", fill: "#14181d" }, svg, day.label);
    hours.forEach((hr, j) => {
      const v = profile[day.index * 24 + hr];
      const x = L + j * cw;
      const y = T + i * ch;
      if (v === null || v === undefined) {
        s("rect", { x, y, width: cw - 2, height: ch - 2, fill: "#ffffff", stroke: "#dde2e6" }, svg);
        return;
      }
      const share = capacity ? v / capacity : 0;
      const c = heat(share);
      const cell = s("rect", { x, y, width: cw - 2, height: ch - 2, fill: c.fill, "data-how": day.index * 24 + hr,
        "data-share": share }, svg);
      s("title", {}, cell, `${day.label} ${hr}:00 ${format(share)}`);
      s("text", { x: x + cw / 2 - 1, y: y + ch / 2 + 4, "text-anchor": "middle", "font-size": 12, fill: c.ink }, svg,
        format(share));
    });
  });
  return svg;
}

// A node's hours: heartbeats as bars, the least free heap as a line (gaps where unheard).
export function nodeChart({ title, hours, label }) {
  const W = 960;
  const H = 300;
  const [L, R, T, B] = [64, 64, 50, 40];
  const svg = frame(W, H, title);
  const pw = W - L - R;
  const ph = H - T - B;
  const step = pw / Math.max(hours.length, 1);
  const maxBeats = niceMax(Math.max(1, ...hours.map((x) => x.heartbeats)));
  const heaps = hours.map((x) => x.heap_free_min).filter((v) => v !== null);
  const maxHeap = niceMax(Math.max(1, ...heaps));
  let path = "";
  hours.forEach((x, i) => {
    const bh = (ph * x.heartbeats) / maxBeats;
    if (x.heartbeats) s("rect", { x: L + i * step + step * 0.15, y: T + ph - bh, width: step * 0.7, height: bh, fill: "#8fb8d3",
      "data-hour": x.start, "data-beats": x.heartbeats }, svg);
    if (x.heap_free_min === null) {
      path += " ";
      return;
    }
    const y = T + ph - (ph * x.heap_free_min) / maxHeap;
    path += `${path.endsWith(" ") || !path ? "M" : "L"}${(L + i * step + step / 2).toFixed(1)},${y.toFixed(1)}`;
    if (i % 4 === 0) s("text", { x: L + i * step + step / 2, y: T + ph + 18, "text-anchor": "middle", fill: "#14181d" }, svg, label(x));
  });
  hours.forEach((x, i) => {
    if (i % 4 === 0 && x.heap_free_min === null) s("text", { x: L + i * step + step / 2, y: T + ph + 18, "text-anchor": "middle", fill: "#14181d" }, svg, label(x));
  });
  s("path", { d: path.replace(/ +/g, " ").trim(), fill: "none", stroke: "#a3222b", "stroke-width": 2 }, svg);
  s("text", { x: L - 8, y: T + 4, "text-anchor": "end", fill: "#4a5560" }, svg, String(maxBeats));
  s("text", { x: W - R + 8, y: T + 4, fill: "#a3222b" }, svg, `${maxHeap} B`);
  s("line", { x1: L, y1: T + ph, x2: W - R, y2: T + ph, stroke: "#14181d" }, svg);
  return svg;
}
