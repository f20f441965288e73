// Nodes: online, stale or offline, last seen, firmware, uptime, free heap, RSSI and
// offline-queue drops as the collector last published them, and a node's last day.
// The update column: the release a node runs and, if one was offered since, where it is
// with that one (hubsense ota offer; the node's own reports, through the collector).
import { nodeChart } from "./charts.js";
import { h, num, table } from "./dom.js";
import { exportBar } from "./exporting.js";

function when(ms, lang) {
  if (!ms) return "–";
  return new Date(ms).toLocaleString(lang === "sv" ? "sv-SE" : "en-GB", { dateStyle: "short", timeStyle: "short" });
}

function stateOf(n, t) {
  if (!n.online) return h("span", { class: "status-bad", "data-state": "offline" }, t.offline);
  if (!n.fresh) return h("span", { class: "status-warn", "data-state": "stale" }, t.stale);
  return h("span", { class: "status-good", "data-state": "online" }, t.online);
}

function updateOf(n, t) {
  const u = n.update;
  const runs = n.release === null || n.release === undefined ? null : t.release(n.release);
  if (!u || (u.state === "online" && u.release === n.release)) return h("span", { "data-slot": "ota" }, runs || t.noUpdate);
  const bad = ["refused", "failed", "rolled_back"].includes(u.state);
  const text = `${t.release(u.release)}${u.version ? ` (${u.version})` : ""}: ${t.update[u.state] || u.state}`;
  return h("span", { "data-slot": "ota", "data-update": u.state, class: bad ? "status-bad" : null, title: u.why || null },
    runs && u.state !== "online" ? `${runs} · ${text}` : text);
}

export async function render(ctx) {
  const { t, lang, root, api, params } = ctx;
  const body = await api("/api/v1/nodes");
  const panel = h("section", { class: "card", id: "node-history", "aria-live": "polite" });
  let chart = null;
  const show = async (id) => {
    const hist = await api(`/api/v1/nodes/${encodeURIComponent(id)}/history?hours=24`);
    chart = nodeChart({ title: t.historyHeading(id), hours: hist.hours, label: (x) => x.start.slice(11, 16) });
    chart.id = "node-chart";
    panel.replaceChildren(h("h2", {}, t.historyHeading(id)), h("figure", {}, chart, h("figcaption", {}, t.historyCaption)),
      exportBar(t, `/api/v1/nodes/${encodeURIComponent(id)}/history?hours=24&format=csv`, `node-${id}`, () => chart));
  };
  root.append(h("h1", {}, t.nodesHeading),
    h("section", { class: "card", "aria-labelledby": "nodes-h" }, h("h2", { id: "nodes-h", class: "visually-hidden" }, t.nodesHeading),
      table(t.nodesHeading, [
        { head: t.node, cell: (n) => n.id },
        { head: t.zones, id: "zones", cell: (n) => (body.placement[n.id] || []).join(", ") },
        { head: t.state, id: "state", cell: (n) => stateOf(n, t) },
        { head: t.lastSeen, id: "last_seen", cell: (n) => when(n.last_seen_ms, lang) },
        { head: t.firmware, id: "fw", cell: (n) => n.fw || "–" },
        { head: t.uptime, num: true, id: "uptime", cell: (n) => (n.uptime_s === null ? "–" : `${num(n.uptime_s / 3600, lang, 1)} h`) },
        { head: t.heap, num: true, id: "heap", cell: (n) => (n.heap_free === null ? "–" : `${num(n.heap_free, lang, 0)} B`) },
        { head: t.rssi, num: true, id: "rssi", cell: (n) => (n.rssi === null ? "–" : `${n.rssi} dBm`) },
        { head: t.drops, num: true, id: "drops", cell: (n) => (n.drops === null ? "–" : String(n.drops)) },
        { head: t.ota, id: "ota", cell: (n) => updateOf(n, t) },
        { head: t.history, cell: (n) => h("button", { type: "button", "data-history": n.id, onclick: () => show(n.id),
          "aria-label": `${t.history}: ${n.id}` }, t.history) },
      ], body.data, { key: (n) => n.id, id: "nodes-table" }),
      exportBar(t, "/api/v1/nodes?format=csv", "nodes", null)),
    panel);
  const first = params.get("node") || (body.data[0] && body.data[0].id);
  if (first) await show(first);
}
