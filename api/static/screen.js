// The visitor screen: floor plan, labelled zone list and suggestions, live over SSE.
import { STRINGS } from "./i18n.js";
import { drawPlan, paintDesk, paintZone } from "./plan.js";
import { setupFeedback, translateFeedback } from "./feedback.js";
import { describe, suggestionWords, zoneName } from "./view.js";

// After this long without a connection the screen stops trusting what it shows.
const DISCONNECTED_UNKNOWN_MS = 15000;

const state = { site: null, cells: {}, desks: {}, body: null, deskBody: null, lang: "en", lostSince: null };
const $ = (id) => document.getElementById(id);

function t() {
  return STRINGS[state.lang];
}

function lostTooLong() {
  return state.lostSince !== null && Date.now() - state.lostSince > DISCONNECTED_UNKNOWN_MS;
}

// What the domain shows while what feeds a zone is down (hubsense.state.unknown_zone): here,
// while this page has lost the server for too long to trust what it last heard.
const unknownZone = (z) => ({ ...z, status: "unknown", occupied: null, at_least: false,
  desks_free: null, desks_unknown: z.desks_total, laeq: null, noise: null, stale: true });

function zonesToShow() {
  if (!state.body) return [];
  return lostTooLong() ? state.body.data.map(unknownZone) : state.body.data;
}
function renderList(zones, now) {
  const items = zones.filter((z) => z.seatable).map((z) => {
    const view = describe(z, t(), now);
    const li = document.createElement("li");
    li.dataset.zone = z.id;
    li.dataset.status = view.key;
    const icon = document.createElement("span");
    icon.className = "icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = view.icon;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = zoneName(z, state.lang);
    const status = document.createElement("span");
    status.className = "status";
    status.textContent = view.label;
    const detail = document.createElement("span");
    detail.className = "detail";
    detail.textContent = [view.detail, view.noise && view.noise.label].filter(Boolean).join(" · ");
    li.append(icon, name, status, detail);
    return li;
  });
  $("zones").replaceChildren(...items);
}

function renderPlan(zones, now) {
  const byId = Object.fromEntries(zones.map((z) => [z.id, z]));
  for (const zone of state.site.zones) {
    const z = byId[zone.id];
    const seatable = z ? z.seatable : zone.kind !== "entrance";
    const view = z && seatable ? describe(z, t(), now) : null;
    paintZone(state.cells[zone.id], zoneName(zone, state.lang), view,
      zone.kind === "entrance" ? t().here : "");
  }
  const desks = state.deskBody && !lostTooLong() ? state.deskBody.data : [];
  const deskStatus = Object.fromEntries(desks.map((d) => [d.id, d.status]));
  for (const [id, g] of Object.entries(state.desks)) paintDesk(g, deskStatus[id] || "unknown");
}

// The zone's name stands out in the sentence; the words around it come from i18n.
function setSuggestion(node, words) {
  const zone = words.zone && state.site.zones.find((z) => z.id === words.zone);
  const name = zone ? zoneName(zone, state.lang) : null;
  const text = name ? [words.sentence(name), words.why].filter(Boolean).join(" · ") : words.none;
  // Only touch live regions when the words change, or screen readers repeat them.
  if (node.textContent === text) return;
  if (!name) {
    node.textContent = text;
    return;
  }
  const [before, after] = words.sentence("\u0000").split("\u0000");
  const strong = document.createElement("strong");
  strong.textContent = name;
  const parts = [before, strong, after];
  if (words.why) {
    const why = document.createElement("span");
    why.className = "why";
    const sep = document.createElement("span");
    sep.className = "sep";  // a phone puts the reason on a line of its own instead
    sep.textContent = " · ";
    why.append(sep, words.why);
    parts.push(why);
  }
  node.replaceChildren(...parts);
}

function renderSuggestions() {
  // Picks heard before the page lost the server are not picks any more.
  const words = suggestionWords(state.body && !lostTooLong() ? state.body.suggestions : null, t());
  setSuggestion($("quiet-spot"), words.quiet);
  setSuggestion($("talk-spot"), words.talk);
}

function render() {
  if (!state.site) return;
  const zones = zonesToShow();
  const now = Date.now();
  renderPlan(zones, now);
  renderList(zones, now);
  renderSuggestions();
}

function applyLanguage(lang) {
  state.lang = STRINGS[lang] ? lang : "en";
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t()[node.dataset.i18n];
  }
  for (const b of document.querySelectorAll("#languages button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  }
  $("qr-image").alt = t().qrAlt;
  if (state.site) {
    const site = zoneName(state.site, state.lang);
    $("site-name").textContent = site;
    document.title = site;
    $("plan").setAttribute("aria-label", t().planLabel(site));
  }
  translateFeedback(state.site, state.lang);
  setConnection();
  render();
}

// The header says what the screen can vouch for: its own connection first, then the
// broker's and the collector's, as the last zones event reported them.
function connectionState() {
  if (state.lostSince !== null) return "reconnecting";
  if (!state.body) return "connecting";
  return state.body.broker && state.body.collector ? "live" : "offline";
}

function setConnection() {
  const el = $("connection");
  const kind = connectionState();
  el.dataset.state = kind;
  if (el.textContent !== t()[kind]) el.textContent = t()[kind];
}

function connect() {
  const source = new EventSource("/api/v1/stream");
  // Each change sends `desks` then `zones`; drawing on `zones` paints both at once.
  source.addEventListener("desks", (ev) => {
    state.deskBody = JSON.parse(ev.data);
  });
  source.addEventListener("zones", (ev) => {
    state.body = JSON.parse(ev.data);
    state.lostSince = null;
    setConnection();
    render();
  });
  // EventSource reconnects by itself (the server asks for 1 s); say so meanwhile.
  source.addEventListener("error", () => {
    state.lostSince = state.lostSince ?? Date.now();
    setConnection();
  });
}

async function start() {
  const site = await (await fetch("/api/v1/site")).json();
  state.site = site;
  ({ cells: state.cells, desks: state.desks } = drawPlan($("plan"), site));
  const asked = new URLSearchParams(location.search).get("lang");
  for (const b of document.querySelectorAll("#languages button")) {
    b.addEventListener("click", () => {
      const url = new URL(location.href);
      url.searchParams.set("lang", b.dataset.lang);
      history.replaceState(null, "", url);
      applyLanguage(b.dataset.lang);
    });
  }
  setupFeedback(site, () => state.lang);
  applyLanguage(asked || site.language);
  connect();
  // Keep "last data … ago" and the disconnect timeout honest between events.
  setInterval(render, 5000);
  // Labels fit the plan as drawn: a new size (a phone turned) fits them again.
  window.addEventListener("resize", render);
}

start();
