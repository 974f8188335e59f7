// Small, safe DOM helpers. Nothing here ever parses HTML: user text only becomes text nodes.

/**
 * Build an element. `props` keys:
 *  - class: string; text: string (textContent); hidden: bool
 *  - attrs: {name: value} set with setAttribute (null/false skips; true → "")
 *  - dataset: {key: value}
 *  - on: {event: handler}
 *  - any other key is assigned as a DOM property (type, value, disabled, checked, title, href…)
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "attrs") {
      for (const [name, v] of Object.entries(value)) {
        if (v === null || v === undefined || v === false) continue;
        el.setAttribute(name, v === true ? "" : String(v));
      }
    } else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "on") {
      for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    } else el[key] = value;
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Remove every child of `el`, then append `children`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// URLs: only http(s), built with the DOM API. Anything else stays text.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`\u00a0]+/giu;
const TRAILING = /[.,;:!?)\]}'»]+$/u;
// @mentions, as the server finds them: "@" not preceded by a letter/digit/mark, then a letter or
// digit, then letters, digits, marks and _ - . ' ; trailing . ' - are punctuation.
const MENTION_RE = /(?<![\p{L}\p{N}\p{M}])@([\p{L}\p{Nd}][\p{L}\p{Nd}\p{Mc}_\-.'\u2019]*)/gu;
const MENTION_TRAILING = /[.'\-]+$/u;

/** Is `href` a URL we are willing to make clickable? */
export function safeHttpUrl(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

/**
 * Turn message text into DOM nodes: http(s) links become <a>, "@nick" becomes a highlighted span
 * (class "is-me" when it names `myNick`); everything else is a text node.
 */
export function richText(text, myNick = "") {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let raw = match[0];
    const trail = raw.match(TRAILING);
    if (trail) raw = raw.slice(0, raw.length - trail[0].length);
    const href = safeHttpUrl(raw);
    if (!href) continue;
    appendMentions(frag, text.slice(last, match.index), myNick);
    frag.append(
      h("a", {
        href,
        text: raw,
        target: "_blank",
        rel: "noopener noreferrer nofollow",
        attrs: { referrerpolicy: "no-referrer" },
      }),
    );
    last = match.index + raw.length;
  }
  appendMentions(frag, text.slice(last), myNick);
  return frag;
}

function appendMentions(frag, text, myNick) {
  if (!text) return;
  let last = 0;
  const me = myNick.toLocaleLowerCase();
  for (const match of text.matchAll(MENTION_RE)) {
    const nick = match[1].replace(/\u2019/g, "'").replace(MENTION_TRAILING, "");
    if (!nick) continue;
    if (match.index > last) frag.append(document.createTextNode(text.slice(last, match.index)));
    const isMe = me && nick.toLocaleLowerCase() === me;
    const shown = text.slice(match.index, match.index + 1 + nick.length);
    frag.append(h("span", { class: isMe ? "at is-me" : "at", text: shown }));
    last = match.index + shown.length;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
}

/** Focus the first focusable element inside `root`. */
export function focusFirst(root) {
  const el = root.querySelector(
    "[autofocus], input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), [href], [tabindex]:not([tabindex='-1'])",
  );
  if (el) el.focus();
}
