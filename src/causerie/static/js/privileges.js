// Progressive privileges (docs/safety.md): what a new account may do yet, and when the rest
// unlocks. The server enforces them; here they are shown: the composer's picture button is
// disabled with "vous pourrez envoyer des photos dans 20 minutes", and settings list them all.
import { get } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";

const NAMES = ["dm_strangers", "links", "pictures", "room_creation"];
let cached = null;
let fetched = 0;

/** The privileges ({name: {unlocked, until, reason, minutes}}), fetched at most every 30 s. */
export async function loadPrivileges(force = false) {
  if (!force && cached && Date.now() - fetched < 30_000) return cached;
  try {
    const data = await get("/api/v1/me/privileges");
    cached = Object.fromEntries((data.privileges || []).map((p) => [p.name, p]));
    fetched = Date.now();
  } catch {
    cached = cached || {};
  }
  return cached;
}

export function forgetPrivileges() {
  cached = null;
}

/** A sentence for one privilege: done, in N minutes, or paused by the emergency level. */
export function privilegeText(p) {
  if (!p || p.unlocked) return t(`priv.${p ? p.name : "pictures"}.ok`);
  if (p.reason === "emergency") return t(`priv.${p.name}.paused`);
  if (typeof p.until !== "number") return t(`priv.${p.name}.later`);
  const minutes = Math.max(1, Math.ceil((p.until - Date.now()) / 60_000));
  return t(`priv.${p.name}.wait`, { count: minutes });
}

/**
 * Disable the composer's picture button until pictures unlock, with when as its tooltip. It stays
 * focusable and clickable (aria-disabled): a click explains the wait in the composer.
 */
export async function lockPictureButton(button) {
  const p = (await loadPrivileges())?.pictures;
  if (!p || p.unlocked) {
    if (button.dataset.locked) {
      button.removeAttribute("aria-disabled");
      delete button.dataset.locked;
      button.dataset.i18nTitle = "pic.attach";
      button.title = t("pic.attach");
    }
    return;
  }
  const text = privilegeText(p);
  button.setAttribute("aria-disabled", "true");
  button.dataset.locked = "1";
  delete button.dataset.i18nTitle; // the tooltip says when, not "attach a picture"
  button.title = text;
  if (typeof p.until === "number") {
    const wait = Math.min(Math.max(p.until - Date.now(), 1000), 60_000); // refresh the minutes
    setTimeout(() => {
      if (button.isConnected) lockPictureButton(button);
    }, wait);
    if (p.until - Date.now() <= 60_000) forgetPrivileges();
  }
}

/** The list shown in settings. */
export async function renderPrivileges(box) {
  replaceChildren(box, h("p", { class: "muted small", text: t("common.loading") }));
  const state = await loadPrivileges(true);
  replaceChildren(
    box,
    h("p", { class: "muted small", text: t("priv.intro") }),
    h(
      "ul",
      { class: "plain-list privileges", attrs: { role: "list" } },
      NAMES.filter((n) => state[n]).map((n) =>
        h(
          "li",
          { class: "privilege" + (state[n].unlocked ? " on" : ""), dataset: { privilege: n } },
          h("span", { class: "tag" + (state[n].unlocked ? " on" : ""), text: state[n].unlocked ? "✓" : "…" }),
          " ",
          h("span", { text: privilegeText(state[n]) }),
        ),
      ),
    ),
  );
}
