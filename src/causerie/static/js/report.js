// Reports (DSA art. 16): the two-click report dialog for signed-in users, the public form for
// visitors without a session, and the acknowledgement / outcome notices.
import { $, h, replaceChildren } from "./dom.js";
import { get, post } from "./api.js";
import { t, errorText, getLang } from "./i18n.js";
import { longTime } from "./format.js";
import { openDialog, setFieldError, clearFieldErrors, toast } from "./ui.js";

/** The server's categories, most severe first (its order); our own labels for each code. */
export const CATEGORIES = [
  "child_sexual_abuse",
  "minor_at_risk",
  "sexual_solicitation",
  "drugs",
  "violence_threat_ambush",
  "harassment_hate",
  "scam_spam",
  "other_illegal",
  "rules_breach",
];
// Categories a report needs no good-faith confirmation for (DSA art. 16(2)(c)).
const NO_CONFIRM = new Set(["child_sexual_abuse"]);

let cached = null; // {lang, categories: [code], rules: [{code, text}]}

/** `GET /api/v1/moderation/categories`: codes and the rules a decision may rely on (in the UI language). */
export async function loadCategories() {
  if (cached && cached.lang === getLang()) return cached;
  try {
    const data = await get("/api/v1/moderation/categories");
    const codes = Array.isArray(data.categories) ? data.categories.filter((c) => typeof c === "string") : [];
    cached = { lang: getLang(), categories: codes.length ? codes : CATEGORIES, rules: Array.isArray(data.rules) ? data.rules : [] };
  } catch {
    return { lang: getLang(), categories: CATEGORIES, rules: [] };
  }
  return cached;
}

export function categoryLabel(code) {
  const key = `report.cat.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

function categoryHint(code) {
  const key = `report.cat_hint.${code}`;
  const text = t(key);
  return text === key ? "" : text;
}

/** Radio buttons for the categories, in `fieldset`. */
function fillCategories(fieldset, codes, name, idPrefix, selected) {
  const legend = fieldset.querySelector("legend");
  replaceChildren(
    fieldset,
    legend,
    codes.map((code) => {
      const id = `${idPrefix}-${code}`;
      const hint = categoryHint(code);
      return h(
        "label",
        { class: "check cat", htmlFor: id },
        h("input", { type: "radio", name, value: code, id, checked: code === selected }),
        h("span", {}, h("span", { class: "cat-label", text: categoryLabel(code) }), hint ? h("span", { class: "cat-hint", text: hint }) : null),
      );
    }),
  );
}

// -------------------------------------------------------------------- acknowledgements, outcomes

const acknowledged = new Set();

/** "Report received" once per report, whether the HTTP answer or the `report_ack` event comes first. */
export function reportAcknowledged(reportId, serverMessage) {
  if (reportId != null) {
    if (acknowledged.has(reportId)) return;
    acknowledged.add(reportId);
  }
  toast(t("report.ack") || serverMessage, "ok", { ms: 8000 });
}

export function outcomeText(outcome, serverMessage) {
  const key = `report.outcome.${outcome}`;
  const text = t(key);
  return text === key ? serverMessage || t("report.outcome.unknown") : text;
}

/** The `report_outcome` event: a notice that stays until read. */
export function reportDecided(ev, onShowMine) {
  toast(outcomeText(ev.outcome, ev.message), "info", {
    sticky: true,
    action: onShowMine ? { label: t("report.see_mine"), onClick: onShowMine } : undefined,
  });
}

// -------------------------------------------------------------------- the report dialog (signed in)

export class ReportDialog {
  constructor() {
    this.dialog = $("#dlg-report");
    this.form = $("#report-form");
    this.target = null;
    this.form.onsubmit = (e) => this.submit(e);
    $("#report-cancel").onclick = () => this.dialog.close();
    this.form.addEventListener("change", () => this.syncConfirm());
  }

  /**
   * Open the dialog for `target`: {message_id} | {user} | {room} (+ optional `category`).
   * `what` says in words what is reported; `excerpt` quotes it.
   */
  async open(target, what, excerpt = "", category = null) {
    this.target = target;
    this.form.reset();
    clearFieldErrors(this.form);
    $("#report-what").textContent = what;
    const q = $("#report-excerpt");
    q.hidden = !excerpt;
    q.textContent = excerpt ? [...excerpt].slice(0, 200).join("") : "";
    const cats = await loadCategories();
    fillCategories($("#report-cats"), cats.categories, "category", "rc", category);
    this.syncConfirm();
    openDialog(this.dialog);
    const first = this.form.querySelector("input[name=category]:checked") || this.form.querySelector("input[name=category]");
    if (first) first.focus();
  }

  syncConfirm() {
    const cat = this.form.querySelector("input[name=category]:checked")?.value;
    $("#report-gf-note").hidden = !NO_CONFIRM.has(cat);
  }

  async submit(e) {
    e.preventDefault();
    const form = this.form;
    clearFieldErrors(form);
    const category = form.querySelector("input[name=category]:checked")?.value;
    if (!category) return setFieldError(form, "category", t("report.choose_category"));
    const goodFaith = form.elements.good_faith.checked;
    if (!goodFaith && !NO_CONFIRM.has(category)) return setFieldError(form, "good_faith", t("error.good_faith_required"));
    const body = { ...this.target, category, good_faith: goodFaith };
    const details = form.elements.details.value.trim();
    if (details) body.details = details;
    delete body.what;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    let data;
    try {
      data = await post("/api/v1/reports", body);
    } catch (err) {
      let text = errorText(err.code, err.message);
      if (err.code === "reports_suspended" && typeof err.until === "number") text += ` (${t("report.suspended_until", { time: longTime(err.until) })})`;
      if (err.retryAfter) text += ` (${t("common.retry_in", { count: Math.ceil(err.retryAfter) })})`;
      setFieldError(form, "_form", text);
      return;
    } finally {
      submit.disabled = false;
    }
    this.dialog.close();
    reportAcknowledged(data?.report?.id ?? null, data?.message);
  }
}

// -------------------------------------------------------------------- the public form (no session)

export class PublicReport {
  constructor() {
    this.dialog = $("#dlg-public-report");
    this.form = $("#public-report-form");
    this.done = $("#public-report-done");
    $("#public-report-link").onclick = () => this.open();
    $("#public-report-cancel").onclick = () => this.dialog.close();
    $("#public-report-close").onclick = () => this.dialog.close();
    this.form.onsubmit = (e) => this.submit(e);
    this.form.addEventListener("change", () => this.sync());
  }

  async open() {
    this.form.reset();
    clearFieldErrors(this.form);
    this.form.hidden = false;
    this.done.hidden = true;
    const cats = await loadCategories();
    fillCategories($("#pr-cats"), cats.categories, "category", "prc", null);
    this.sync();
    openDialog(this.dialog);
    this.loadRooms();
  }

  /** The public rooms, offered as suggestions for the room field (the form covers public rooms). */
  async loadRooms() {
    let rooms = [];
    try {
      rooms = (await get("/api/v1/reports/rooms")).rooms || [];
    } catch {
      return; // typing the room's short name still works
    }
    replaceChildren(
      $("#pr-room-list"),
      rooms.map((r) => h("option", { value: r.slug, text: r.name })),
    );
  }

  sync() {
    const kind = this.form.querySelector("input[name=target]:checked")?.value || "message";
    $("#pr-room-field").hidden = kind === "user";
    $("#pr-seq-field").hidden = kind !== "message";
    $("#pr-user-field").hidden = kind !== "user";
    const cat = this.form.querySelector("input[name=category]:checked")?.value;
    $("#pr-gf-note").hidden = !NO_CONFIRM.has(cat);
  }

  async submit(e) {
    e.preventDefault();
    const form = this.form;
    clearFieldErrors(form);
    const f = form.elements;
    const kind = form.querySelector("input[name=target]:checked")?.value || "message";
    const body = {};
    if (kind === "user") {
      const user = f.user.value.trim();
      if (!user) return setFieldError(form, "user", t("report.public.need_user"));
      body.user = user;
    } else {
      const room = roomSlug(f.room.value);
      if (!room) return setFieldError(form, "room", t("report.public.need_room"));
      body.room = room;
      if (kind === "message") {
        const seq = Number.parseInt(f.seq.value, 10);
        if (!(seq >= 1)) return setFieldError(form, "seq", t("report.public.need_seq"));
        body.seq = seq;
      }
    }
    const category = form.querySelector("input[name=category]:checked")?.value;
    if (!category) return setFieldError(form, "category", t("report.choose_category"));
    body.category = category;
    body.good_faith = f.good_faith.checked;
    if (!body.good_faith && !NO_CONFIRM.has(category)) return setFieldError(form, "good_faith", t("error.good_faith_required"));
    const details = f.details.value.trim();
    if (details) body.details = details;
    if (f.name.value.trim()) body.name = f.name.value.trim();
    if (f.email.value.trim()) body.email = f.email.value.trim();
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    let data;
    try {
      data = await post("/api/v1/reports/public", body);
    } catch (err) {
      let text = errorText(err.code, err.message);
      if (err.code === "reports_suspended" && typeof err.until === "number") text += ` (${t("report.suspended_until", { time: longTime(err.until) })})`;
      if (err.retryAfter) text += ` (${t("common.retry_in", { count: Math.ceil(err.retryAfter) })})`;
      setFieldError(form, err.code === "report_target_not_found" ? (kind === "user" ? "user" : "room") : "_form", text);
      return;
    } finally {
      submit.disabled = false;
    }
    form.hidden = true;
    this.done.hidden = false;
    $("#public-report-done-text").textContent = t("report.public.done", { id: data?.report?.id ?? "?" });
    $("#public-report-close").focus();
  }
}

/** A room's slug from what a visitor pastes: "musique", "#musique" or a link ending in it. */
function roomSlug(raw) {
  let s = (raw || "").trim();
  if (!s) return "";
  const hash = s.lastIndexOf("#");
  if (hash >= 0) s = s.slice(hash + 1);
  s = s.replace(/\/+$/, "");
  const slash = s.lastIndexOf("/");
  if (slash >= 0) s = s.slice(slash + 1);
  return s.toLocaleLowerCase();
}

let dialogInstance = null;

/** The one report dialog of the page. */
export function reportDialog() {
  dialogInstance ??= new ReportDialog();
  return dialogInstance;
}
