// Translation: French by default, English on request (stored in localStorage).
import fr from "../i18n/fr.js";
import en from "../i18n/en.js";

const TABLES = { fr, en };
const STORAGE_KEY = "causerie.lang";
const listeners = new Set();

function readStored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

let lang = readStored() === "en" ? "en" : "fr";
let plural = new Intl.PluralRules(lang);

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (!(next in TABLES) || next === lang) return;
  lang = next;
  plural = new Intl.PluralRules(lang);
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: keep it for this page only */
  }
  applyStatic(document);
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Translate `key`. `{name}` placeholders are replaced from `vars`. When `vars.count` is a number,
 * the key `key.one` / `key.other` (Intl plural category) is tried first.
 */
export function t(key, vars = {}) {
  const table = TABLES[lang];
  let text;
  if (typeof vars.count === "number") {
    text = table[`${key}.${plural.select(vars.count)}`] ?? table[`${key}.other`];
  }
  text ??= table[key] ?? TABLES.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** Text for a server error code, in the UI language; falls back to the server's own message. */
export function errorText(code, serverMessage) {
  const table = TABLES[lang];
  const text = table[`error.${code}`];
  if (text) return text;
  return serverMessage || table["error.generic"];
}

/**
 * Fill static markup: data-i18n (textContent), data-i18n-placeholder, data-i18n-title,
 * data-i18n-aria-label.
 */
export function applyStatic(root) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
}
