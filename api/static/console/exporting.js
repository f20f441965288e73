// Exports of a view: CSV from the API (the CLI's columns), and its chart as SVG or PNG.
// PNG is drawn in the browser from the same SVG: nothing leaves the machine.
import { h } from "./dom.js";

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// The chart as a standalone file: sized, with the XML namespace and a white ground.
function standalone(svg) {
  const copy = svg.cloneNode(true);
  const [, , w, hgt] = (svg.getAttribute("viewBox") || "0 0 960 420").split(" ").map(Number);
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", w);
  copy.setAttribute("height", hgt);
  copy.removeAttribute("class");
  return { text: new XMLSerializer().serializeToString(copy), w, h: hgt };
}

export function saveSvg(svg, name) {
  save(new Blob([standalone(svg).text], { type: "image/svg+xml" }), `${name}.svg`);
}

export function savePng(svg, name, scale = 2) {
  const { text, w, h: hgt } = standalone(svg);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  img.onload = () => {
    const canvas = h("canvas", { width: w * scale, height: hgt * scale });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => save(blob, `${name}.png`), "image/png");
  };
  img.src = url;
}

// The export bar: a CSV link (the API route with format=csv) and image buttons for `svg()`.
export function exportBar(t, csvHref, name, svg) {
  return h("div", { class: "exports", role: "group", "aria-label": t.exports },
    csvHref ? h("a", { href: csvHref, download: `${name}.csv`, "data-export": "csv" }, t.exportCsv) : null,
    svg ? h("button", { type: "button", "data-export": "svg", onclick: () => saveSvg(svg(), name) }, t.exportSvg) : null,
    svg ? h("button", { type: "button", "data-export": "png", onclick: () => savePng(svg(), name) }, t.exportPng) : null);
}
