// Decisions about me (DSA arts. 17 and 20): statements of reasons shown prominently, the list of
// them with their appeals, the appeal form; banners for a mute, a ban and the emergency level.
import { $, h, replaceChildren } from "./dom.js";
import { get, post } from "./api.js";
import { t, errorText } from "./i18n.js";
import { openDialog, toast } from "./ui.js";
import { longTime } from "./format.js";

function kindTitle(kind) {
  const key = `mod.kind.${kind}`;
  const text = t(key);
  return text === key ? t("mod.statement_title") : text;
}

/** When a sanction ends, in words: "until Monday 3 March 2027 at 14:00", or "permanently". */
export function untilText(until) {
  if (until === null) return t("mod.permanent");
  if (typeof until !== "number") return "";
  return t("mod.until_time", { time: longTime(until) });
}

/**
 * One statement of reasons as a card: what was decided, until when, the facts, whether it
 * followed a report, automated or not, the rule, how to contest it; and the appeal form.
 */
export function statementCard(st, { headingLevel = "h3" } = {}) {
  const rows = [
    ["mod.decision", st.decision],
    ["mod.until_label", st.until ? longTime(st.until) : st.kind === "ban" || st.kind === "shadow_hide" ? t("mod.permanent_short") : ""],
    ["mod.scope", st.scope],
    ["mod.facts", st.facts],
    ["mod.source", st.source === "notice" ? t("mod.source_notice") : st.source ? t("mod.source_own") : ""],
    ["mod.automated", st.automated ? t("mod.automated_yes") : t("mod.automated_no")],
    ["mod.ground", st.ground ? (st.rule ? `${st.ground} (${st.rule})` : st.ground) : st.rule],
    ["mod.redress", st.redress],
    ["mod.appeal_until", st.appeal_until ? longTime(st.appeal_until) : ""],
  ];
  const card = h(
    "article",
    { class: `statement kind-${st.kind || "other"}`, dataset: { statementId: String(st.id) } },
    h(headingLevel, { class: "statement-title" }, kindTitle(st.kind), st.ts ? h("span", { class: "muted small statement-date", text: ` · ${longTime(st.ts)}` }) : null),
    h("dl", { class: "facts" }, rows.filter(([, v]) => v).map(([k, v]) => [h("dt", { text: t(k) }), h("dd", { text: String(v) })])),
  );
  card.append(appealBlock(st));
  return card;
}

function appealStatusText(appeal) {
  const key = `appeal.status.${appeal.status}`;
  const text = t(key);
  return text === key ? appeal.status : text;
}

function appealBlock(st) {
  const box = h("div", { class: "appeal-box" });
  const render = () => {
    if (st.appeal) {
      const a = st.appeal;
      replaceChildren(
        box,
        h("p", { class: `tag appeal-${a.status}`, text: appealStatusText(a) }),
        a.decision_reason ? h("p", { class: "small" }, h("strong", { text: `${t("appeal.reason")} ` }), a.decision_reason) : null,
      );
      return;
    }
    if (st.appeal_until && st.appeal_until < Date.now()) {
      replaceChildren(box, h("p", { class: "muted small", text: t("error.appeal_period_over") }));
      return;
    }
    const open = h("button", {
      type: "button",
      class: "btn appeal-open",
      text: t("appeal.open"),
      on: { click: () => showForm() },
    });
    replaceChildren(box, open);
  };
  const showForm = () => {
    const id = `appeal-${st.id}-text`;
    const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
    const text = h("textarea", { id, name: "text", rows: 4, maxLength: 4000, required: true, attrs: { "aria-describedby": `${id}-hint` } });
    const form = h(
      "form",
      { class: "form appeal-form", attrs: { novalidate: true } },
      h("label", { htmlFor: id, text: t("appeal.label") }),
      h("p", { class: "muted small", id: `${id}-hint`, text: t("appeal.hint") }),
      text,
      err,
      h(
        "div",
        { class: "btn-row" },
        h("button", { type: "submit", class: "btn primary", text: t("appeal.submit") }),
        h("button", { type: "button", class: "btn", text: t("common.cancel"), on: { click: () => render() } }),
      ),
    );
    form.onsubmit = async (e) => {
      e.preventDefault();
      const value = text.value.trim();
      err.hidden = true;
      if (!value) {
        err.textContent = t("appeal.need_text");
        err.hidden = false;
        text.focus();
        return;
      }
      const submit = form.querySelector("[type=submit]");
      submit.disabled = true;
      try {
        const data = await post("/api/v1/appeals", { statement_id: st.id, text: value });
        st.appeal = data?.appeal || { status: "open" };
        toast(t("appeal.sent"), "ok");
        render();
      } catch (ex) {
        err.textContent = errorText(ex.code, ex.message);
        err.hidden = false;
        submit.disabled = false;
      }
    };
    replaceChildren(box, form);
    text.focus();
  };
  render();
  return box;
}

// -------------------------------------------------------------------- live statements

/** A `statement` event: shown at once in a dialog that keeps every decision of this session. */
export function showStatement(ev) {
  const dialog = $("#dlg-statement");
  const body = $("#statement-body", dialog);
  if (body.querySelector(`[data-statement-id="${CSS.escape(String(ev.id))}"]`)) {
    if (!dialog.open) openDialog(dialog);
    return;
  }
  body.prepend(statementCard(ev));
  const count = body.querySelectorAll(".statement").length;
  $("#statement-count").textContent = count > 1 ? t("mod.statements_count", { count }) : "";
  if (!dialog.open) {
    dialog.addEventListener("close", () => body.replaceChildren(), { once: true });
    openDialog(dialog);
  }
}

/** The list of every decision about me (`GET /api/v1/me/statements`) into `container`. */
export async function renderMyStatements(container) {
  replaceChildren(container, h("p", { class: "muted small", text: t("common.loading") }));
  let data;
  try {
    data = await get("/api/v1/me/statements");
  } catch (err) {
    replaceChildren(container, h("p", { class: "error", text: errorText(err.code, err.message) }));
    return;
  }
  const list = (data.statements || []).slice().sort((a, b) => (b.ts || 0) - (a.ts || 0));
  replaceChildren(container, list.length ? list.map((st) => statementCard(st, { headingLevel: "h4" })) : h("p", { class: "muted small", text: t("mod.no_statements") }));
}

/** The `appeal_decided` event. */
export function appealDecided(ev, onShow) {
  const key = `appeal.decided.${ev.status}`;
  const text = t(key) === key ? ev.message || t("appeal.decided.other") : t(key);
  toast(text, ev.status === "reversed" ? "ok" : "info", { sticky: true, action: onShow ? { label: t("mod.see_decisions"), onClick: onShow } : undefined });
}

// -------------------------------------------------------------------- banners

let sanctionTimer = null;

/** The mute banner: "you may not post until …", with the way to the decision. */
export function showMuted(until, onShow, scope = "") {
  const banner = $("#sanction-banner");
  let text = until === undefined ? t("mod.muted_banner_plain") : until === null ? t("mod.muted_banner_permanent") : t("mod.muted_banner", { time: longTime(until) });
  if (scope) text += ` (${scope})`;
  replaceChildren(
    banner,
    h("span", { class: "banner-icon", attrs: { "aria-hidden": "true" } }, h("span", { text: "!" })),
    h("span", { id: "sanction-text", text }),
    onShow ? h("button", { type: "button", class: "btn small", text: t("mod.see_decisions"), on: { click: onShow } }) : null,
    h("button", { type: "button", class: "btn ghost small icon", text: "×", attrs: { "aria-label": t("common.close") }, on: { click: () => hideSanction() } }),
  );
  banner.hidden = false;
  clearTimeout(sanctionTimer);
  if (typeof until === "number") {
    const left = until - Date.now();
    if (left <= 0) hideSanction();
    else if (left < 2 ** 31 - 1) sanctionTimer = setTimeout(hideSanction, left + 500);
  }
}

export function hideSanction() {
  clearTimeout(sanctionTimer);
  $("#sanction-banner").hidden = true;
}

/** The operator-wide emergency level (0 normal … 3): a banner for everyone while above 0. */
export function showSafetyLevel(level) {
  const banner = $("#safety-banner");
  const n = Number(level) || 0;
  banner.dataset.level = String(n);
  if (n <= 0) {
    banner.hidden = true;
    return;
  }
  replaceChildren(
    banner,
    h("span", { class: "banner-icon", attrs: { "aria-hidden": "true" } }, h("span", { text: "!" })),
    h("span", {}, h("strong", { text: t("safety.title", { level: n }) }), " ", t(`safety.level${Math.min(3, n)}`)),
  );
  banner.hidden = false;
}

// -------------------------------------------------------------------- the banned screen

/** The last screen of a banned account: until when, the decisions, how to appeal. */
export async function renderBanned(until) {
  if (until === undefined) {
    // Not told yet: the session's own refusal says until when.
    try {
      await get("/api/v1/session");
    } catch (err) {
      if (err.code === "banned") until = err.until === undefined ? null : err.until;
    }
  }
  $("#banned-until").textContent = until === null ? t("banned.permanent") : typeof until === "number" ? t("banned.until", { time: longTime(until) }) : "";
  await renderMyStatements($("#banned-statements"));
}
