// "Too loud? No seat?": a visitor's word on a zone, sent anonymously (POST /api/v1/feedback).
import { STRINGS } from "./i18n.js";
import { zoneName } from "./view.js";

const $ = (id) => document.getElementById(id);

async function send(zone, kind) {
  try {
    const r = await fetch("/api/v1/feedback", { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ zone, kind }) });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

export function setupFeedback(site, lang) {
  $("feedback-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const result = $("feedback-result");
    result.textContent = "";
    const answer = await send($("feedback-zone").value, ev.submitter.value);
    const t = STRINGS[lang()];
    result.textContent = !answer ? t.feedbackFailed
      : answer.counted ? t.feedbackThanks : t.feedbackAgain(Math.ceil(answer.again_after_s / 60));
  });
  translateFeedback(site, lang());
}

// The zones one can speak about, named in the screen's language; the choice is kept.
export function translateFeedback(site, lang) {
  const select = $("feedback-zone");
  const chosen = select.value;
  const option = (value, text) => Object.assign(document.createElement("option"),
    { value, textContent: text });
  // No zone chosen for the visitor: a word about the wrong zone would mislead staff.
  select.replaceChildren(option("", STRINGS[lang].feedbackPick), ...site.zones
    .filter((z) => z.kind !== "entrance").map((z) => option(z.id, zoneName(z, lang))));
  select.value = chosen;
  $("feedback-result").textContent = "";
}
