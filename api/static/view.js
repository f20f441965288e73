// What a zone looks like on the screen: status key, words and suggestions. No DOM here.
import { ICONS, NOISE_BARS } from "./i18n.js";

export function zoneName(zone, lang) {
  return (lang === "sv" && zone.name.sv) || zone.name.en;
}

// A stale zone is unknown here, never free. A meeting area is "in use": one group takes it.
export function statusKey(z) {
  if (z.status === "unknown" || z.stale) return "unknown";
  if (z.kind === "meeting_area" && z.occupied > 0) return "inuse";
  return z.status;
}

export function describe(z, t, nowMs) {
  const key = statusKey(z);
  const parts = [];
  if (key === "unknown") {
    const seen = z.last_seen_ms ?? z.updated_ms;
    parts.push(seen ? t.lastSeen(t.ago(Math.max(0, Math.floor((nowMs - seen) / 60000)))) : t.noData);
  } else if (z.desks_total > 0 && z.desks_free !== null) {
    parts.push(t.desks(z.desks_free, z.desks_total));
  } else if (z.occupied !== null && z.kind !== "meeting_area") {
    parts.push(t.people(z.occupied, z.capacity));
  }
  const noisy = z.kind === "buzz_zone" || z.kind === "quiet_zone";
  const noise = noisy && key !== "unknown" && z.noise ? z.noise : null;
  return {
    key,
    icon: ICONS[key],
    label: t.status[key],
    detail: parts.join(" · "),
    noise: noise && { bars: NOISE_BARS[noise], label: t.noise[noise] },
  };
}

const hasRoom = (z) => z.seatable && !z.stale && (z.status === "free" || z.status === "filling");
const quietness = (z) => z.laeq ?? (z.kind === "quiet_zone" ? 30 : z.kind === "buzz_zone" ? 65 : 50);

// Quietest place with room where one works, preferring free over filling.
export function quietestSpot(zones) {
  return zones
    .filter((z) => hasRoom(z) && z.kind !== "meeting_area" && z.kind !== "entrance")
    .sort((a, b) => quietness(a) - quietness(b) || (a.status === "free" ? -1 : 1))[0];
}

// A free meeting area first; else the buzz zone or lounge with the most room.
export function roomToTalk(zones) {
  const meeting = zones.find((z) => z.kind === "meeting_area" && !z.stale && z.occupied === 0);
  if (meeting) return meeting;
  return zones
    .filter((z) => hasRoom(z) && (z.kind === "buzz_zone" || z.kind === "lounge"))
    .sort((a, b) => (b.capacity - (b.occupied ?? 0)) - (a.capacity - (a.occupied ?? 0)))[0];
}
