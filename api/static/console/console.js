// The staff console: sign-in, the session, the header and the view the path names. Every
// figure comes from the staff API (/api/v1), the same routes scripts and the CLI's service
// answer from; live zone state comes from the public API, as on the visitor screen.
import { STRINGS } from "../i18n.js";
import { h } from "./dom.js";
import { WORDS } from "./words.js";

// Each view, the scope it needs, and its module (loaded when shown).
const PAGES = {
  overview: "reports:read", utilization: "reports:read", compare: "reports:read",
  visits: "reports:read", acoustics: "reports:read", accuracy: "reports:read",
  check: "checks:write", nodes: "nodes:read",
};
const MODULES = { month: "visits", check: "accuracy" };

const state = { lang: "en", site: null, session: null, cleanup: null };
const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, detail, retryAfter = null) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

function t() {
  return WORDS[state.lang];
}

function pageName() {
  const name = location.pathname.replace(/^\/staff\/?/, "").replace(/\/$/, "");
  return name || "overview";
}

// fetch for the views: the session's CSRF token on writes; a page refreshing itself says so,
// so it does not keep an idle session alive; a lost session shows the sign-in form.
export async function api(path, opts = {}) {
  const headers = {};
  const method = opts.method || "GET";
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = state.session ? state.session.csrf : "";
  if (opts.refresh) headers["X-Hubsense-Refresh"] = "1";
  const r = await fetch(path, { method, headers, credentials: "same-origin",
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  if (r.status === 401 && !path.startsWith("/staff/api/session")) {
    showSignIn(t().idleOut);
    throw new ApiError(401, t().idleOut);
  }
  if (!r.ok) {
    let detail = null;
    try {
      detail = (await r.json()).detail;
    } catch {
      detail = null;
    }
    throw new ApiError(r.status, typeof detail === "string" ? detail : t().failed,
      r.headers.get("Retry-After"));
  }
  if (r.status === 204) return null;
  return (r.headers.get("content-type") || "").includes("json") ? r.json() : r.text();
}

function can(scope) {
  return Boolean(state.session && state.session.scopes.includes(scope));
}

function href(page, params = {}) {
  const q = new URLSearchParams({ ...params, lang: state.lang });
  return `/staff/${page}?${q}`;
}

function renderNav() {
  const current = pageName();
  const active = MODULES[current] === "visits" ? "visits" : current;
  $("nav-list").replaceChildren(...Object.entries(PAGES).filter(([, scope]) => can(scope))
    .map(([name]) => h("li", {}, h("a", { href: href(name), "data-page": name,
      "aria-current": name === active ? "page" : null }, t().nav[name]))));
}

function translateStatic() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t()[node.dataset.i18n];
  for (const b of document.querySelectorAll("#languages button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  }
  if (state.site) $("site-name").textContent = (state.lang === "sv" && state.site.name.sv) || state.site.name.en;
}

function showSignIn(reason) {
  state.session = null;
  if (state.cleanup) state.cleanup();
  state.cleanup = null;
  $("page").replaceChildren();
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("signin").hidden = false;
  $("signin-reason").textContent = reason || "";
  document.title = `${t().signInHeading} · hubsense`;
  $("username").focus();
}

async function showPage() {
  $("signin").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = state.session.username;
  renderNav();
  const name = pageName();
  const scope = PAGES[MODULES[name] === "visits" ? "visits" : name];
  const root = $("page");
  if (state.cleanup) state.cleanup();
  state.cleanup = null;
  root.replaceChildren();
  if (!scope || !can(scope)) {
    const first = Object.keys(PAGES).find((p) => can(p === "overview" ? "reports:read" : PAGES[p]));
    if (first && first !== name) {
      location.replace(href(first));
      return;
    }
    root.append(h("p", { class: "error" }, t().failed));
    return;
  }
  const mod = await import(`./${MODULES[name] || name}.js`);
  const ctx = { t: t(), screen: STRINGS[state.lang], lang: state.lang, site: state.site,
    session: state.session, api, can, href, root, page: name,
    params: new URLSearchParams(location.search) };
  document.title = `${t().nav[name] || t().monthReport} · hubsense`;
  try {
    state.cleanup = (await mod.render(ctx)) || null;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      root.append(h("p", { class: "error", role: "alert" }, err.message));
    }
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const err = $("signin-error");
  err.textContent = "";
  try {
    state.session = await api("/staff/api/session", { method: "POST",
      body: { username: $("username").value, password: $("password").value } });
    $("password").value = "";
    await showPage();
  } catch (e) {
    if (e.status === 429) err.textContent = t().tooMany(Math.max(1, Math.ceil(Number(e.retryAfter || 60) / 60)));
    else if (e.status === 401) err.textContent = t().wrongPassword;
    else err.textContent = t().failed;
  }
}

async function signOut() {
  try {
    await api("/staff/api/session", { method: "DELETE" });
  } finally {
    showSignIn(t().signedOut);
  }
}

async function start() {
  state.site = await (await fetch("/api/v1/site")).json();
  const asked = new URLSearchParams(location.search).get("lang");
  state.lang = WORDS[asked] ? asked : (WORDS[state.site.language] ? state.site.language : "en");
  translateStatic();
  for (const b of document.querySelectorAll("#languages button")) {
    b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      const url = new URL(location.href);
      url.searchParams.set("lang", state.lang);
      history.replaceState(null, "", url);
      translateStatic();
      if (state.session) showPage();
      else $("signin-heading").focus?.();
    });
  }
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  const r = await fetch("/staff/api/session", { credentials: "same-origin" });
  if (r.ok) {
    state.session = await r.json();
    await showPage();
  } else {
    let why = "";
    try {
      why = (await r.json()).detail;
    } catch {
      why = "";
    }
    showSignIn(why === "session ended" ? t().idleOut : "");
  }
}

start();
