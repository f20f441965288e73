// A zone and the suggestions in words, from what the domain decided (hubsense/state.py,
// hubsense/suggest.py). No rules here: status, lower bounds and picks come with the state.
import { ICONS, NOISE_BARS } from "./i18n.js";

export function zoneName(zone, lang) {
  return (lang === "sv" && zone.name.sv) || zone.name.en;
}

// What is known of the people or desks in a zone; a lower bound says so.
function known(z, t) {
  if (z.desks_total > 0 && z.desks_free !== null) {
    const parts = [];
    if (z.status === "unknown") parts.push(t.reportingTaken(z.desks_total - z.desks_unknown));
    else parts.push((z.at_least ? t.desksAtLeast : t.desks)(z.desks_free, z.desks_total));
    if (z.desks_unknown > 0) parts.push(t.notReporting(z.desks_unknown));
    return parts;
  }
  if (z.kind === "meeting_area") return [t.seats(z.capacity)];  // one group: no head count
  if (z.occupied !== null) return [(z.at_least ? t.peopleAtLeast : t.people)(z.occupied, z.capacity)];
  return [];
}

function silence(z, t, nowMs) {
  const seen = z.last_seen_ms ?? z.updated_ms;
  return seen ? t.silentFor(Math.max(0, Math.floor((nowMs - seen) / 60000))) : t.noData;
}

export function describe(z, t, nowMs) {
  const parts = known(z, t);
  if (z.status === "unknown" && z.occupied === null) parts.push(silence(z, t, nowMs));
  return {
    key: z.status,
    icon: ICONS[z.status],
    label: t.status[z.status],
    detail: parts.join(" · "),
    noise: z.noise ? { bars: NOISE_BARS[z.noise], label: t.noise[z.noise] } : null,
  };
}

// Each suggestion as sentence(name) and a note on why; null when the domain has none.
export function suggestionWords(suggestions, t) {
  const { quiet, talk } = suggestions || {};
  return {
    quiet: quiet ? { zone: quiet.zone, sentence: t.quiet, why: t.quietWhy[quiet.why] }
      : { none: t.noQuiet },
    talk: talk ? { zone: talk.zone, sentence: t.talk[talk.why], why: "" } : { none: t.noTalk },
  };
}
