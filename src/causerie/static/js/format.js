// Formatting helpers: times, people, lengths, ids.
import { getLang, t } from "./i18n.js";

/** Length in Unicode code points (the unit of `max_message_chars`). */
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** A random id for `client_id` / `ref` (works without a secure context). */
export function randomId(prefix = "c") {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Short time for a message: "14:03", or "12/03 14:03" when not today. */
export function shortTime(ts) {
  const d = new Date(ts);
  const loc = getLang() === "fr" ? "fr-FR" : "en-GB";
  const time = d.toLocaleTimeString(loc, { hour: "2-digit", minute: "2-digit" });
  if (sameDay(d, new Date())) return time;
  return `${d.toLocaleDateString(loc, { day: "2-digit", month: "2-digit" })} ${time}`;
}

export function longTime(ts) {
  const loc = getLang() === "fr" ? "fr-FR" : "en-GB";
  return new Date(ts).toLocaleString(loc, { dateStyle: "full", timeStyle: "short" });
}

/** Join names into "a, b and c". */
export function listNames(names) {
  try {
    return new Intl.ListFormat(getLang(), { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}

/** Meta lookups: {code → name}. */
export function metaName(list, code) {
  const found = (list || []).find((x) => x.code === code);
  return found ? found.name : code;
}

/** "27 · Femme · Rhône" for a member. */
export function memberLine(member, meta) {
  return [t("member.age", { age: member.age }), metaName(meta.genders, member.gender), metaName(meta.regions, member.region)].join(" · ");
}

export function sameNick(a, b) {
  return typeof a === "string" && typeof b === "string" && a.toLocaleLowerCase() === b.toLocaleLowerCase();
}

/** A duration in words, short: "45 s", "12 min", "3 h", "2 j". */
export function shortDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return t("time.s", { n: s });
  if (s < 3600) return t("time.min", { n: Math.floor(s / 60) });
  if (s < 86400) return t("time.h", { n: Math.floor(s / 3600) });
  return t("time.d", { n: Math.floor(s / 86400) });
}
