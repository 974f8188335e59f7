// The moderators' console (shown only to staff, as a "Modération" tab): the queue by priority
// with live updates, a case with its frozen context and the reported user's history, one-click
// actions with a reason, appeals, user look-up, room safety presets, the audit trail and the
// operator-wide emergency level. Every right is checked again by the server on every call.
import { h, replaceChildren } from "./dom.js";
import { get, post, put, seg } from "./api.js";
import { t, errorText } from "./i18n.js";
import { toast } from "./ui.js";
import { longTime, shortTime, shortDuration } from "./format.js";
import { categoryLabel, loadCategories, CATEGORIES } from "./report.js";
import { renderRules } from "./rules.js";
import { renderLegal } from "./legal.js";
import { renderHolds } from "./holds.js";

export const MOD_KEY = "__mod";

// The rule a decision relies on by default, per category (domain.moderation.DEFAULT_RULE).
const DEFAULT_RULE = {
  child_sexual_abuse: "law.csam",
  minor_at_risk: "law.minors",
  sexual_solicitation: "law.prostitution",
  drugs: "law.drugs",
  violence_threat_ambush: "law.threats",
  harassment_hate: "law.hate",
  scam_spam: "rules.spam",
  other_illegal: "law.other",
  rules_breach: "rules.respect",
};
// What a room owner or room moderator may do (domain.moderation.ROOM_SCOPED_ACTIONS).
const ROOM_SCOPED = new Set(["remove_message", "warn", "mute", "kick", "slow_mode", "lock_room", "reopen_room", "escalate", "dismiss", "restore_message", "unmute"]);
const USER_ACTIONS = ["warn", "mute", "kick", "ban", "ban_ip", "ban_device", "shadow_hide", "remove_recent"];
const ROOM_ACTIONS = ["slow_mode", "lock_room", "reopen_room", "close_room"];
const CASE_ACTIONS = ["escalate", "dismiss"];
const LIFT_ACTIONS = ["unmute", "unban", "unshadow", "lift_ip_ban", "lift_device_ban", "lift_report_suspension"];
const DANGER = new Set(["ban", "ban_ip", "ban_device", "shadow_hide", "close_room", "remove_recent"]);
const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
// Durations offered per action (seconds; null: permanent). The first is the default.
const DURATIONS = {
  mute: [HOUR, 15 * MIN, 24 * HOUR, 7 * DAY, 30 * DAY],
  kick: [10 * MIN, HOUR, 24 * HOUR],
  ban: [7 * DAY, 24 * HOUR, 30 * DAY, null],
  ban_ip: [7 * DAY, 24 * HOUR, 30 * DAY, null],
  ban_device: [7 * DAY, 24 * HOUR, 30 * DAY, null],
  shadow_hide: [7 * DAY, 24 * HOUR, null],
};
const SLOW_MODES = [10, 5, 30, 60, 0];
const VIEWS = [
  { id: "queue", label: "mc.nav.queue", who: "staff" },
  { id: "appeals", label: "mc.nav.appeals", who: "global" },
  { id: "user", label: "mc.nav.user", who: "global" },
  { id: "rooms", label: "mc.nav.rooms", who: "staff" },
  { id: "audit", label: "mc.nav.audit", who: "admin" },
  { id: "emergency", label: "mc.nav.emergency", who: "admin" },
  { id: "rules", label: "mc.nav.rules", who: "admin" },
  { id: "legal", label: "mc.nav.legal", who: "admin" },
  { id: "holds", label: "mc.nav.holds", who: "admin" },
];

function actionName(kind) {
  const key = `mc.action.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

function durationLabel(seconds) {
  if (seconds === null) return t("mc.permanent");
  return shortDuration(seconds);
}

function targetLabel(kind) {
  const key = `mc.target.${kind}`;
  const text = t(key);
  return text === key ? kind || "" : text;
}

function section(titleKey, ...children) {
  return h("section", { class: "mc-section" }, h("h3", { text: t(titleKey) }), ...children);
}

export class ModConsole {
  constructor(chat) {
    this.chat = chat;
    this.view = "queue";
    this.filters = { status: "open", category: "", escalated: false };
    this.cases = [];
    this.queues = [];
    this.openCount = 0;
    this.loadedQueue = false;
    this.caseId = null;
    this.caseData = null;
    this.selected = new Set(); // message ids chosen in a case's context (bulk removal)
    this.presets = null;
    this.auditEntries = [];
    this.visible = false;
    this.body = h("div", { class: "mc-body" });
    this.nav = h("div", { class: "mc-nav", attrs: { role: "toolbar", "aria-label": t("mc.nav.label") } });
    this.heading = h("h2", { class: "mc-title", tabIndex: -1 });
    this.root = h(
      "section",
      { id: "moderation", class: "modview", hidden: true, attrs: { role: "tabpanel", "aria-labelledby": "tab-moderation" } },
      h("header", { class: "mc-head" }, this.heading, this.nav),
      this.body,
    );
    chat.panes.append(this.root);
  }

  destroy() {
    clearTimeout(this._reload);
    this.root.remove();
  }

  // ---------------------------------------------------------------- tab, visibility, roles

  tab(selected) {
    const badge = this.openCount
      ? h("span", { class: "badge mention", text: this.openCount > 99 ? "99+" : String(this.openCount), attrs: { "aria-label": t("mc.open_cases", { count: this.openCount }) } })
      : null;
    const btn = h(
      "button",
      {
        type: "button",
        class: "tab-btn",
        id: "tab-moderation",
        dataset: { key: MOD_KEY },
        attrs: { role: "tab", "aria-selected": selected ? "true" : "false", "aria-controls": "moderation" },
        tabIndex: selected ? 0 : -1,
        on: { click: () => this.chat.activate(MOD_KEY) },
      },
      h("span", { class: "tab-icon", attrs: { "aria-hidden": "true" }, text: "⚑" }),
      h("span", { class: "tab-label", text: t("mc.tab") }),
      badge,
    );
    return h("div", { class: "tab mod" + (selected ? " active" : ""), attrs: { role: "presentation" } }, btn);
  }

  setVisible(on, { focus = false } = {}) {
    const was = this.visible;
    this.visible = on;
    this.root.hidden = !on;
    if (!on) return;
    if (!was) this.show(this.view === "case" && this.caseId ? "case" : this.view);
    if (focus) this.heading.focus({ preventScroll: true });
  }

  rolesChanged() {
    if (!this.chat.isStaff) {
      if (this.chat.active === MOD_KEY) this.chat.activate(null, { focus: false });
      return;
    }
    if (!this.loadedQueue) this.loadQueue();
    if (this.visible) this.renderNav();
  }

  allowed(who) {
    if (who === "admin") return this.chat.isAdmin;
    if (who === "global") return this.chat.isGlobalStaff;
    return this.chat.isStaff;
  }

  /** May I take action `kind` (in `room`, a slug)? The server checks again. */
  canAct(kind, room = null) {
    if (this.chat.isGlobalStaff) return true;
    if (!ROOM_SCOPED.has(kind)) return false;
    const r = this.chat.roles;
    return Boolean(room) && (r.owned_rooms.includes(room) || r.moderated_rooms.includes(room));
  }

  renderNav() {
    replaceChildren(
      this.nav,
      VIEWS.filter((v) => this.allowed(v.who)).map((v) => {
        const current = this.view === v.id || (v.id === "queue" && this.view === "case") || (v.id === "appeals" && this.view === "appeal");
        return h("button", {
          type: "button",
          class: "btn small" + (current ? " primary" : ""),
          text: t(v.label),
          dataset: { view: v.id },
          attrs: { "aria-current": current ? "page" : null },
          on: { click: () => this.show(v.id) },
        });
      }),
    );
    this.nav.setAttribute("aria-label", t("mc.nav.label"));
  }

  show(view) {
    this.view = view;
    this.renderNav();
    this.heading.textContent = t("mc.title");
    switch (view) {
      case "case":
        return this.loadCase(this.caseId);
      case "appeals":
        return this.loadAppeals();
      case "user":
        return this.renderUserLookup();
      case "rooms":
        return this.renderRooms();
      case "audit":
        return this.loadAudit(true);
      case "emergency":
        return this.renderEmergency();
      case "rules":
        return renderRules(this);
      case "legal":
        return renderLegal(this);
      case "holds":
        return renderHolds(this);
      default:
        this.view = "queue";
        this.renderNav();
        this.renderQueue();
        return this.loadQueue();
    }
  }

  relocalize() {
    this.chat.renderTabs();
    if (this.visible) this.show(this.view);
  }

  busy(text = t("common.loading")) {
    replaceChildren(this.body, h("p", { class: "muted", text }));
  }

  failed(err, retry) {
    replaceChildren(
      this.body,
      h("p", { class: "error", attrs: { role: "alert" }, text: errorText(err.code, err.message) }),
      retry ? h("button", { type: "button", class: "btn", text: t("common.retry"), on: { click: retry } }) : null,
    );
  }

  // ---------------------------------------------------------------- the queue

  async loadQueue() {
    const f = this.filters;
    const q = new URLSearchParams({ status: f.status, limit: "200" });
    if (f.category) q.set("category", f.category);
    if (f.escalated) q.set("escalated", "true");
    let data;
    try {
      data = await get(`/api/v1/moderation/cases?${q}`);
    } catch (err) {
      if (this.visible && this.view === "queue") this.failed(err, () => this.loadQueue());
      return;
    }
    this.loadedQueue = true;
    this.cases = data.cases || [];
    this.queues = data.queues || [];
    if (f.status === "open" && !f.category && !f.escalated) this.openCount = this.queues.reduce((n, x) => n + (x.open || 0), 0);
    this.chat.renderTabs();
    if (this.visible && this.view === "queue") this.renderQueue();
  }

  /** A `case` event: a case opened, changed, was claimed or closed. */
  onCase(ev) {
    if (!ev || typeof ev.id !== "number") return;
    const i = this.cases.findIndex((c) => c.id === ev.id);
    if (i >= 0) this.cases[i] = { ...this.cases[i], ...ev };
    if (this.visible && this.view === "queue") this.renderQueue();
    if (this.visible && this.view === "case" && this.caseId === ev.id) this.scheduleCaseReload();
    // New cases and the per-category ages come from the server: refresh the queue soon.
    clearTimeout(this._reload);
    this._reload = setTimeout(() => this.loadQueue(), 250);
  }

  scheduleCaseReload() {
    clearTimeout(this._caseReload);
    this._caseReload = setTimeout(() => {
      if (!this.visible || this.view !== "case" || !this.caseId) return;
      if (this.busyEditing()) this.markStale();
      else this.loadCase(this.caseId, { keepScroll: true, background: true });
    }, 300);
  }

  /** A form being filled in or a selection that a re-render would wipe. */
  busyEditing() {
    return Boolean(this.body.querySelector(".mc-action-form")) || this.selected.size > 0;
  }

  /** Offer to refresh a case that changed meanwhile, instead of re-rendering under the moderator. */
  markStale() {
    const head = this.body.querySelector(".mc-case-head");
    if (!head || head.querySelector(".mc-stale")) return;
    head.append(
      h(
        "p",
        { class: "notice mc-stale", attrs: { role: "status" } },
        t("mc.case_changed"),
        " ",
        h("button", { type: "button", class: "btn small", text: t("mc.refresh"), on: { click: () => this.loadCase(this.caseId, { keepScroll: true }) } }),
      ),
    );
  }

  renderQueue() {
    const f = this.filters;
    const catSelect = h(
      "select",
      { name: "category", id: "mc-f-category", on: { change: (e) => ((f.category = e.target.value), this.loadQueue()) } },
      h("option", { value: "", text: t("mc.all_categories") }),
      CATEGORIES.map((c) => h("option", { value: c, text: categoryLabel(c), selected: c === f.category })),
    );
    const statusSelect = h(
      "select",
      { name: "status", id: "mc-f-status", on: { change: (e) => ((f.status = e.target.value), this.loadQueue()) } },
      h("option", { value: "open", text: t("mc.status.open"), selected: f.status === "open" }),
      h("option", { value: "closed", text: t("mc.status.closed"), selected: f.status === "closed" }),
    );
    const filters = h(
      "form",
      { class: "mc-filters", attrs: { "aria-label": t("mc.filters") }, on: { submit: (e) => (e.preventDefault(), this.loadQueue()) } },
      h("label", { class: "filter-field", htmlFor: "mc-f-status" }, h("span", { text: t("mc.status_label") }), statusSelect),
      h("label", { class: "filter-field", htmlFor: "mc-f-category" }, h("span", { text: t("mc.category") }), catSelect),
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "escalated", checked: f.escalated, on: { change: (e) => ((f.escalated = e.target.checked), this.loadQueue()) } }),
        h("span", { text: t("mc.escalated_only") }),
      ),
      h("button", { type: "submit", class: "btn small", text: t("mc.refresh") }),
    );
    const summary = this.queues.length
      ? h(
          "ul",
          { class: "mc-queues", attrs: { role: "list", "aria-label": t("mc.by_category") } },
          this.queues.map((q) =>
            h(
              "li",
              { class: `mc-queue cat-${q.category}` },
              h("span", { class: "mc-queue-cat", text: categoryLabel(q.category) }),
              h("span", { class: "mc-queue-n", text: t("mc.open_cases", { count: q.open || 0 }) }),
              h("span", { class: "muted small", text: t("mc.oldest", { age: shortDuration(q.oldest_age_seconds) }) }),
            ),
          ),
        )
      : null;
    const rows = this.cases
      .filter((c) => f.status !== "open" || c.status === "open")
      .map((c) => this.caseRow(c));
    replaceChildren(
      this.body,
      h("h3", { class: "sr-only", text: t("mc.nav.queue") }),
      filters,
      summary,
      rows.length ? h("ul", { class: "mc-cases", attrs: { role: "list" } }, rows) : h("p", { class: "muted mc-empty", text: f.status === "open" ? t("mc.no_open_cases") : t("mc.no_cases") }),
    );
  }

  caseRow(c) {
    const mine = c.assigned_to === this.chat.me.id;
    const bits = [targetLabel(c.target)];
    if (c.nick) bits.push(c.nick);
    if (c.room) bits.push(`#${c.room}`);
    bits.push(t("mc.reports_count", { count: c.reports || 0 }));
    if (c.reporters > 1) bits.push(t("mc.reporters_count", { count: c.reporters }));
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: `case-row cat-${c.category}` + (c.status !== "open" ? " closed" : ""),
          dataset: { caseId: String(c.id), key: `case:${c.id}`, target: c.target || "" },
          on: { click: () => this.openCase(c.id) },
        },
        h("span", { class: "case-prio", text: String(c.priority ?? ""), title: t("mc.priority"), attrs: { "aria-label": `${t("mc.priority")} ${c.priority ?? ""}` } }),
        h(
          "span",
          { class: "case-main" },
          h("span", { class: "case-cat", text: `${t("mc.case_no", { id: c.id })} · ${categoryLabel(c.category)}` }),
          h("span", { class: "case-meta", text: bits.join(" · ") }),
        ),
        h(
          "span",
          { class: "case-side" },
          c.escalated ? h("span", { class: "tag warn", text: t("mc.escalated") }) : null,
          c.assigned_to ? h("span", { class: "tag" + (mine ? " on" : ""), text: mine ? t("mc.assigned_me") : t("mc.assigned_other") }) : null,
          c.status !== "open" ? h("span", { class: "tag", text: t("mc.status.closed") }) : null,
          typeof c.age_seconds === "number" ? h("span", { class: "muted small", text: t("mc.age", { age: shortDuration(c.age_seconds) }) }) : null,
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- a case

  openCase(id) {
    this.caseId = id;
    this.selected = new Set();
    this.view = "case";
    this.renderNav();
    this.loadCase(id);
  }

  async loadCase(id, { keepScroll = false, background = false } = {}) {
    if (!keepScroll) this.busy();
    const seq = (this.caseLoads = (this.caseLoads || 0) + 1);
    let data;
    try {
      data = await get(`/api/v1/moderation/cases/${seg(String(id))}`);
    } catch (err) {
      if (!background) this.failed(err, () => this.loadCase(id));
      return;
    }
    if (this.caseId !== id || this.view !== "case" || seq !== this.caseLoads) return; // a newer load wins
    if (background && this.busyEditing()) {
      this.markStale();
      return;
    }
    this.caseData = data;
    const top = this.root.scrollTop;
    this.renderCase();
    if (keepScroll) this.root.scrollTop = top;
  }

  renderCase() {
    const data = this.caseData;
    const c = data.case;
    const back = h("button", { type: "button", class: "btn ghost small", text: t("mc.back_queue"), on: { click: () => this.show("queue") } });
    const mine = c.assigned_to === this.chat.me.id;
    const head = h(
      "div",
      { class: "mc-case-head" },
      h("h3", { class: "mc-case-title", tabIndex: -1 }, t("mc.case_no", { id: c.id }), " · ", categoryLabel(c.category)),
      h(
        "p",
        { class: "mc-tags" },
        h("span", { class: "tag", text: c.status === "open" ? t("mc.status.open") : t("mc.status.closed") }),
        " ",
        h("span", { class: "tag", text: `${t("mc.priority")} ${c.priority}` }),
        c.escalated ? [" ", h("span", { class: "tag warn", text: t("mc.escalated") })] : null,
        c.assigned_to ? [" ", h("span", { class: "tag" + (mine ? " on" : ""), text: mine ? t("mc.assigned_me") : t("mc.assigned_other") })] : null,
      ),
      h(
        "p",
        { class: "muted small" },
        [targetLabel(c.target), c.room ? `#${c.room}` : null, c.created ? t("mc.opened_at", { time: longTime(c.created) }) : null, c.resolution ? t("mc.resolution", { kind: actionName(c.resolution) }) : null]
          .filter(Boolean)
          .join(" · "),
      ),
    );
    replaceChildren(this.body, back, head, this.claimBlock(c), this.reportsBlock(data), this.contextBlock(data), this.targetBlock(data), this.actionsTaken(data.actions || []), this.actBlock(data));
  }

  claimBlock(c) {
    if (c.status !== "open") return null;
    const mine = c.assigned_to === this.chat.me.id;
    const row = h("div", { class: "btn-row mc-claim" });
    if (!mine) row.append(h("button", { type: "button", class: "btn small primary", text: t("mc.claim"), dataset: { action: "claim" }, on: { click: () => this.claim(c.id) } }));
    if (c.assigned_to) row.append(h("button", { type: "button", class: "btn small", text: t("mc.release"), on: { click: () => this.assign(c.id, null) } }));
    if (this.chat.isGlobalStaff) {
      const id = `mc-assign-${c.id}`;
      const input = h("input", { type: "text", id, name: "nickname", autocomplete: "off", placeholder: t("mc.assign_placeholder"), attrs: { "aria-label": t("mc.assign_to") } });
      row.append(
        h(
          "form",
          { class: "mc-assign", on: { submit: (e) => (e.preventDefault(), input.value.trim() && this.assign(c.id, input.value.trim())) } },
          input,
          h("button", { type: "submit", class: "btn small", text: t("mc.assign") }),
        ),
      );
    }
    return row;
  }

  async claim(id) {
    try {
      await post(`/api/v1/moderation/cases/${seg(String(id))}/claim`);
    } catch (err) {
      return toast(errorText(err.code, err.message), "error");
    }
    toast(t("mc.claimed"), "ok");
    this.loadCase(id, { keepScroll: true });
  }

  async assign(id, nickname) {
    try {
      await post(`/api/v1/moderation/cases/${seg(String(id))}/assign`, { nickname });
    } catch (err) {
      return toast(errorText(err.code, err.message), "error");
    }
    toast(nickname ? t("mc.assigned_to_nick", { nick: nickname }) : t("mc.released"), "ok");
    this.loadCase(id, { keepScroll: true });
  }

  reportsBlock(data) {
    const items = (data.reports || []).map((r) =>
      h(
        "li",
        { class: "mc-report" },
        h("p", {}, h("strong", { text: categoryLabel(r.category) }), " · ", h("span", { class: "muted small", text: `${targetLabel(r.target)} · ${r.created ? longTime(r.created) : ""}` })),
        r.details ? h("p", { class: "mc-details", text: r.details }) : h("p", { class: "muted small", text: t("mc.no_details") }),
        "anonymous" in r
          ? h(
              "p",
              { class: "muted small" },
              r.anonymous ? t("mc.reporter_anonymous") : t("mc.reporter_account", { id: r.reporter_id }),
              r.reporter_name ? ` · ${r.reporter_name}` : "",
              r.reporter_email ? ` · ${r.reporter_email}` : "",
            )
          : null,
        r.outcome ? h("p", { class: "tag", text: t(`mc.outcome.${r.outcome}`) }) : null,
      ),
    );
    return section("mc.reports", items.length ? h("ul", { class: "plain-list mc-reports", attrs: { role: "list" } }, items) : h("p", { class: "muted small", text: t("mc.no_reports") }));
  }

  contextBlock(data) {
    const c = data.case;
    const groups = Object.entries(data.context || {});
    if (!groups.length) return section("mc.context", h("p", { class: "muted small", text: t("mc.no_context") }));
    const canRemove = c.status === "open" && this.canAct("remove_message", c.room);
    // Reports on the same target share most of their context: show each message once, in order.
    const merged = new Map();
    for (const [, msgs] of groups) {
      for (const m of msgs) {
        const had = merged.get(m.id);
        merged.set(m.id, had ? { ...had, reported: had.reported || m.reported } : m);
      }
    }
    const ordered = [...merged.values()].sort((a, b) => (a.room || "").localeCompare(b.room || "") || a.seq - b.seq || a.id - b.id);
    const rows = ordered.map((m) => {
      const removable = canRemove && m.state === "visible";
      const box = removable
        ? h("input", {
            type: "checkbox",
            class: "mc-select",
            value: String(m.id),
            checked: this.selected.has(m.id),
            attrs: { "aria-label": t("mc.select_message", { nick: m.author }) },
            on: {
              change: (e) => {
                if (e.target.checked) this.selected.add(m.id);
                else this.selected.delete(m.id);
                this.updateBulk();
              },
            },
          })
        : h("span", { class: "mc-select-gap", attrs: { "aria-hidden": "true" } });
      return h(
        "li",
        { class: "mc-ctx" + (m.reported ? " reported" : "") + (m.state !== "visible" ? ` state-${m.state}` : ""), dataset: { msgId: String(m.id), seq: String(m.seq) } },
        box,
        h(
          "div",
          { class: "mc-ctx-body" },
          h(
            "div",
            { class: "mc-ctx-head" },
            h("span", { class: "mc-ctx-nick", text: m.author }),
            h("time", { class: "ts", dateTime: new Date(m.ts).toISOString(), title: longTime(m.ts), text: shortTime(m.ts) }),
            m.room ? h("span", { class: "muted small", text: `#${m.room}` }) : null,
            m.reported ? h("span", { class: "tag warn", text: t("mc.reported") }) : null,
            m.state !== "visible" ? h("span", { class: "tag", text: t(`mc.state.${m.state}`) === `mc.state.${m.state}` ? m.state : t(`mc.state.${m.state}`) }) : null,
          ),
          h("p", { class: "mc-ctx-text", text: m.text }),
        ),
      );
    });
    const lists = h("ol", { class: "mc-context", attrs: { "aria-label": t("mc.context") } }, rows);
    this.bulkBtn = canRemove
      ? h("button", {
          type: "button",
          class: "btn small danger",
          dataset: { action: "remove_selected" },
          on: { click: () => this.openAction("remove_message", { caseId: c.id, room: c.room, messageIds: [...this.selected] }) },
        })
      : null;
    const block = section("mc.context", h("p", { class: "muted small", text: t("mc.context_hint") }), lists, this.bulkBtn ? h("div", { class: "btn-row" }, this.bulkBtn) : null);
    this.updateBulk();
    return block;
  }

  updateBulk() {
    if (!this.bulkBtn) return;
    const n = this.selected.size;
    this.bulkBtn.textContent = t("mc.remove_selected", { count: n });
    this.bulkBtn.disabled = n === 0;
  }

  targetBlock(data) {
    const tg = data.target;
    if (!tg) return null;
    const m = tg.member || {};
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", { text: t("mc.nick") }),
      h("dd", { class: "mc-target-nick", text: m.nick || "" }),
      h("dt", { text: t("mc.profile") }),
      h("dd", { text: m.age ? this.chat.memberLine(m) : "" }),
      h("dt", { text: t("mc.account_kind") }),
      h("dd", { text: t(`mc.kind.${tg.kind}`) === `mc.kind.${tg.kind}` ? tg.kind : t(`mc.kind.${tg.kind}`) }),
      h("dt", { text: t("mc.account_age") }),
      h("dd", { text: shortDuration(tg.account_age_seconds) }),
    );
    const more = this.chat.isGlobalStaff && m.nick
      ? h("button", { type: "button", class: "btn small", text: t("mc.full_history"), on: { click: () => this.lookUp(m.nick) } })
      : null;
    return section("mc.target_user", facts, data.history ? this.historyBlock(data.history) : null, more);
  }

  /** A user's moderation history: sanctions in force, past actions, cases, other nicknames. */
  historyBlock(hist) {
    const now = Date.now();
    const inForce = (hist.sanctions || []).filter((x) => x.until === null || x.until > now);
    const parts = [];
    parts.push(
      h("h4", { text: t("mc.sanctions") }),
      inForce.length
        ? h("ul", { class: "plain-list small" }, inForce.map((x) => h("li", { text: `${t(`mc.sanction.${x.kind}`) === `mc.sanction.${x.kind}` ? x.kind : t(`mc.sanction.${x.kind}`)}${x.room ? ` #${x.room}` : ""} · ${x.until ? t("mc.until", { time: longTime(x.until) }) : t("mc.permanent")}` })))
        : h("p", { class: "muted small", text: t("mc.none") }),
    );
    parts.push(
      h("h4", { text: t("mc.past_actions") }),
      (hist.actions || []).length
        ? h("ul", { class: "plain-list small" }, hist.actions.slice(0, 20).map((a) => h("li", { text: `${actionName(a.kind)} · ${a.ts ? longTime(a.ts) : ""}${a.reversed_by ? ` · ${t("mc.reversed")}` : ""} — ${a.reason || ""}` })))
        : h("p", { class: "muted small", text: t("mc.none") }),
    );
    parts.push(
      h("h4", { text: t("mc.past_cases") }),
      (hist.cases || []).length
        ? h("ul", { class: "plain-list small" }, hist.cases.slice(0, 20).map((c) => h("li", {}, h("button", { type: "button", class: "btn ghost tiny", text: `${t("mc.case_no", { id: c.id })} · ${categoryLabel(c.category)} · ${c.status === "open" ? t("mc.status.open") : t("mc.status.closed")}`, on: { click: () => this.openCase(c.id) } }))))
        : h("p", { class: "muted small", text: t("mc.none") }),
    );
    parts.push(h("p", { class: "small", text: t("mc.reports_filed", { count: hist.reports_filed || 0 }) }));
    if ((hist.other_nicknames || []).length) {
      parts.push(h("h4", { text: t("mc.other_nicks") }), h("p", { class: "small", text: hist.other_nicknames.map((o) => o.nick).join(", ") }));
    }
    if ((hist.device_nicknames || []).length) {
      parts.push(h("h4", { text: t("mc.device_nicks") }), h("p", { class: "small mc-device-nicks", text: hist.device_nicknames.map((o) => o.nick).join(", ") }));
    }
    if (hist.last_ip) parts.push(h("p", { class: "small" }, h("strong", { text: `${t("mc.last_ip")} ` }), hist.last_ip));
    if ((hist.devices || []).length) parts.push(h("p", { class: "small mc-devices" }, h("strong", { text: `${t("mc.devices")} ` }), hist.devices.join(", ")));
    return h("div", { class: "mc-history" }, parts);
  }

  actionsTaken(actions) {
    if (!actions.length) return null;
    return section(
      "mc.actions_taken",
      h(
        "ul",
        { class: "plain-list small mc-taken" },
        actions.map((a) =>
          h("li", {}, h("span", {}, h("strong", { text: actionName(a.kind) }), ` · ${a.ts ? longTime(a.ts) : ""}${a.until ? ` · ${t("mc.until", { time: longTime(a.until) })}` : ""}${a.reversed_by ? ` · ${t("mc.reversed")}` : ""} — ${a.reason || ""}`)),
        ),
      ),
    );
  }

  actBlock(data) {
    const c = data.case;
    if (c.status !== "open") return section("mc.act", h("p", { class: "muted small", text: t("mc.case_closed_note") }));
    // Room actions and room-scoped sanctions make no sense in a private conversation.
    const room = c.room && !c.room.startsWith("dm-") ? c.room : null;
    const ctx = { caseId: c.id, room, user: data.target?.member?.nick || null, category: c.category };
    const kinds = [];
    if (c.message_id) kinds.push("remove_message");
    if (ctx.user) kinds.push(...USER_ACTIONS.filter((k) => k !== "kick" || room));
    if (room) kinds.push(...ROOM_ACTIONS);
    kinds.push(...CASE_ACTIONS);
    const allowed = kinds.filter((k) => (k === "remove_message" || CASE_ACTIONS.includes(k) ? this.canAct(k, c.room) : this.canAct(k, room)));
    return section("mc.act", this.actionButtons(allowed, ctx), h("div", { class: "mc-action-slot" }));
  }

  actionButtons(kinds, ctx) {
    return h(
      "div",
      { class: "mc-actions" },
      kinds.map((kind) =>
        h("button", {
          type: "button",
          class: "btn small" + (DANGER.has(kind) ? " danger" : ""),
          text: actionName(kind),
          dataset: { action: kind },
          attrs: { "aria-expanded": "false" },
          on: { click: (e) => this.openAction(kind, ctx, e.currentTarget) },
        }),
      ),
    );
  }

  // ---------------------------------------------------------------- the action form

  /** Show the form for `kind` (reason, rule, and what the action needs) in the nearest slot. */
  async openAction(kind, ctx, button = null) {
    const scope = button ? button.closest(".mc-section") || this.body : this.body;
    let slot = scope.querySelector(".mc-action-slot");
    if (!slot) {
      slot = h("div", { class: "mc-action-slot" });
      (scope.querySelector(".btn-row") || scope).after(slot);
    }
    for (const b of this.body.querySelectorAll("[data-action][aria-expanded]")) b.setAttribute("aria-expanded", String(b === button));
    const cats = await loadCategories();
    replaceChildren(slot, this.actionForm(kind, ctx, cats.rules, button));
    slot.querySelector("textarea, select, input")?.focus();
  }

  actionForm(kind, ctx, rules, button) {
    const uid = `mcf-${kind}`;
    const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
    const fields = [];
    const summary = [];
    if (ctx.user && (USER_ACTIONS.includes(kind) || LIFT_ACTIONS.includes(kind))) summary.push(t("mc.about_user", { nick: ctx.user }));
    if (kind === "remove_message") {
      const n = ctx.messageIds && ctx.messageIds.length ? ctx.messageIds.length : 1;
      summary.push(ctx.messageIds && ctx.messageIds.length ? t("mc.about_messages", { count: n }) : t("mc.about_reported_message"));
    }
    if (ROOM_ACTIONS.includes(kind) && ctx.room) summary.push(t("mc.about_room", { room: ctx.room }));
    // duration
    if (DURATIONS[kind]) {
      const id = `${uid}-duration`;
      fields.push(
        h(
          "div",
          { class: "field" },
          h("label", { htmlFor: id, text: t("mc.duration") }),
          h("select", { id, name: "duration" }, DURATIONS[kind].map((d, i) => h("option", { value: d === null ? "" : String(d), text: durationLabel(d), selected: i === 0 }))),
        ),
      );
    }
    // where (mute, warn): everywhere (global staff) or this room
    if ((kind === "mute" || kind === "warn") && ctx.room !== undefined) {
      const global = this.chat.isGlobalStaff;
      const opts = [];
      if (global) opts.push(["", t("mc.where_everywhere")]);
      if (ctx.room) opts.push([ctx.room, t("mc.where_room", { room: ctx.room })]);
      if (opts.length > 1) {
        const id = `${uid}-where`;
        fields.push(h("div", { class: "field" }, h("label", { htmlFor: id, text: t("mc.where") }), h("select", { id, name: "where" }, opts.map(([v, l]) => h("option", { value: v, text: l })))));
      } else if (opts.length === 1) {
        fields.push(h("input", { type: "hidden", name: "where", value: opts[0][0] }));
      }
    }
    if (kind === "ban") {
      fields.push(h("label", { class: "check" }, h("input", { type: "checkbox", name: "also_ban_ip" }), h("span", { text: t("mc.also_ban_ip") })));
      fields.push(h("label", { class: "check" }, h("input", { type: "checkbox", name: "also_ban_device" }), h("span", { text: t("mc.also_ban_device") })));
    }
    if (kind === "ban_device" || kind === "lift_device_ban") {
      const id = `${uid}-device`;
      fields.push(
        h(
          "div",
          { class: "field" },
          h("label", { htmlFor: id, text: t("mc.device_id") }),
          h("input", { type: "text", id, name: "device_id", autocomplete: "off", spellcheck: false, maxLength: 64, attrs: { "aria-describedby": `${id}-hint` } }),
          h("p", { class: "muted small", id: `${id}-hint`, text: ctx.user ? t("mc.device_hint_user") : t("mc.device_hint") }),
        ),
      );
    }
    if (kind === "dismiss" && ctx.caseId) {
      fields.push(h("label", { class: "check" }, h("input", { type: "checkbox", name: "unfounded" }), h("span", { text: t("mc.unfounded") })));
    }
    if (kind === "ban_ip" || kind === "lift_ip_ban") {
      const id = `${uid}-ip`;
      fields.push(
        h(
          "div",
          { class: "field" },
          h("label", { htmlFor: id, text: t("mc.ip_range") }),
          h("input", { type: "text", id, name: "ip_range", autocomplete: "off", spellcheck: false, placeholder: "203.0.113.0/24", attrs: { "aria-describedby": `${id}-hint` } }),
          h("p", { class: "muted small", id: `${id}-hint`, text: ctx.user ? t("mc.ip_range_hint_user") : t("mc.ip_range_hint") }),
        ),
      );
    }
    if (kind === "slow_mode") {
      const id = `${uid}-slow`;
      fields.push(
        h(
          "div",
          { class: "field" },
          h("label", { htmlFor: id, text: t("mc.slow_mode_seconds") }),
          h("select", { id, name: "slow_mode_seconds" }, SLOW_MODES.map((n, i) => h("option", { value: String(n), text: n ? t("mc.every_seconds", { count: n }) : t("mc.slow_off"), selected: i === 0 }))),
        ),
      );
    }
    // reason and rule (every action)
    const reasonId = `${uid}-reason`;
    const ruleId = `${uid}-rule`;
    const userFacing = USER_ACTIONS.includes(kind) || kind === "remove_message";
    fields.push(
      h(
        "div",
        { class: "field" },
        h("label", { htmlFor: reasonId, text: userFacing ? t("mc.reason_user") : t("mc.reason") }),
        h("textarea", { id: reasonId, name: "reason", rows: 3, maxLength: 1000, required: true, attrs: { "aria-describedby": userFacing ? `${reasonId}-hint` : null } }),
        userFacing ? h("p", { class: "muted small", id: `${reasonId}-hint`, text: t("mc.reason_hint") }) : null,
      ),
    );
    if (rules && rules.length && kind !== "escalate") {
      const def = ctx.category ? DEFAULT_RULE[ctx.category] : "rules.respect";
      fields.push(
        h(
          "div",
          { class: "field" },
          h("label", { htmlFor: ruleId, text: t("mc.rule") }),
          h(
            "select",
            { id: ruleId, name: "rule" },
            rules.map((r) => h("option", { value: r.code, text: `${r.code} — ${r.text}`, selected: r.code === def })),
          ),
        ),
      );
    }
    if (ctx.caseId && !CASE_ACTIONS.includes(kind)) {
      fields.push(h("label", { class: "check" }, h("input", { type: "checkbox", name: "keep_open" }), h("span", { text: t("mc.keep_open") })));
    }
    const form = h(
      "form",
      { class: "form mc-action-form", dataset: { kind }, attrs: { novalidate: true, "aria-label": actionName(kind) } },
      h("h4", { text: actionName(kind) }),
      summary.length ? h("p", { class: "small", text: summary.join(" · ") }) : null,
      fields,
      err,
      h(
        "div",
        { class: "btn-row" },
        h("button", { type: "submit", class: "btn " + (DANGER.has(kind) ? "danger" : "primary"), text: t("mc.apply", { action: actionName(kind) }) }),
        h(
          "button",
          {
            type: "button",
            class: "btn",
            text: t("common.cancel"),
            on: {
              click: () => {
                form.remove();
                if (button) (button.setAttribute("aria-expanded", "false"), button.focus());
              },
            },
          },
        ),
      ),
    );
    form.onsubmit = (e) => this.submitAction(e, form, kind, ctx, err);
    return form;
  }

  async submitAction(e, form, kind, ctx, err) {
    e.preventDefault();
    err.hidden = true;
    const f = form.elements;
    const reason = f.reason.value.trim();
    if (!reason) {
      err.textContent = t("mc.need_reason");
      err.hidden = false;
      f.reason.focus();
      return;
    }
    const body = { kind, reason };
    if (f.rule && f.rule.value) body.rule = f.rule.value;
    if (f.duration) {
      if (f.duration.value) body.duration_seconds = Number(f.duration.value);
    }
    if (kind === "remove_message" && ctx.messageIds && ctx.messageIds.length) body.message_ids = ctx.messageIds;
    if (ctx.user && (USER_ACTIONS.includes(kind) || LIFT_ACTIONS.includes(kind))) body.user = ctx.user;
    if (kind === "kick" || ROOM_ACTIONS.includes(kind)) body.room = ctx.room;
    if (f.where && f.where.value) body.room = f.where.value;
    if (f.also_ban_ip && f.also_ban_ip.checked) body.also_ban_ip = true;
    if (f.also_ban_device && f.also_ban_device.checked) body.also_ban_device = true;
    if (f.device_id && f.device_id.value.trim()) body.device_id = f.device_id.value.trim();
    if (f.unfounded && f.unfounded.checked) body.unfounded = true;
    if (f.ip_range && f.ip_range.value.trim()) body.ip_range = f.ip_range.value.trim();
    if (f.slow_mode_seconds) body.slow_mode_seconds = Number(f.slow_mode_seconds.value);
    if (f.keep_open && f.keep_open.checked) body.keep_open = true;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    const path = ctx.caseId ? `/api/v1/moderation/cases/${seg(String(ctx.caseId))}/actions` : "/api/v1/moderation/actions";
    try {
      await post(path, body);
    } catch (ex) {
      err.textContent = errorText(ex.code, ex.message);
      err.hidden = false;
      submit.disabled = false;
      return;
    }
    toast(t("mc.done", { action: actionName(kind) }), "ok");
    if (kind === "remove_message") this.selected.clear();
    if (ctx.caseId && this.view === "case") {
      await this.loadCase(ctx.caseId, { keepScroll: true });
      this.body.querySelector(".mc-case-title")?.focus({ preventScroll: true });
    }
    else if (this.view === "user" && ctx.user) this.lookUp(ctx.user);
    else if (this.view === "rooms" && ctx.room) this.openRoomSettings(ctx.room);
    else form.remove();
    this.loadQueue();
  }

  // ---------------------------------------------------------------- user look-up (global staff)

  renderUserLookup(result = null) {
    const id = "mc-user-nick";
    const input = h("input", { type: "text", id, name: "nick", autocomplete: "off", spellcheck: false, value: this.lastLookup || "" });
    const form = h(
      "form",
      { class: "mc-lookup", on: { submit: (e) => (e.preventDefault(), input.value.trim() && this.lookUp(input.value.trim())) } },
      h("label", { htmlFor: id, text: t("mc.lookup_label") }),
      h("div", { class: "btn-row" }, input, h("button", { type: "submit", class: "btn primary small", text: t("mc.lookup") })),
    );
    replaceChildren(this.body, h("h3", { text: t("mc.nav.user") }), form, result);
  }

  async lookUp(nick) {
    this.lastLookup = nick;
    this.view = "user";
    this.renderNav();
    this.renderUserLookup(h("p", { class: "muted", text: t("common.loading") }));
    let data;
    try {
      data = await get(`/api/v1/moderation/users/${seg(nick)}`);
    } catch (err) {
      this.renderUserLookup(h("p", { class: "error", attrs: { role: "alert" }, text: errorText(err.code, err.message) }));
      return;
    }
    const m = data.member || {};
    const ctx = { user: m.nick, room: null };
    const result = h(
      "div",
      { class: "mc-user" },
      h("h3", { text: m.nick || nick }),
      h(
        "dl",
        { class: "facts" },
        h("dt", { text: t("mc.profile") }),
        h("dd", { text: m.age ? this.chat.memberLine(m) : "" }),
        h("dt", { text: t("mc.account_kind") }),
        h("dd", { text: t(`mc.kind.${data.kind}`) === `mc.kind.${data.kind}` ? data.kind : t(`mc.kind.${data.kind}`) }),
        h("dt", { text: t("mc.account_age") }),
        h("dd", { text: shortDuration(data.account_age_seconds) }),
      ),
      this.historyBlock(data),
      h(
        "section",
        { class: "mc-section" },
        h("h3", { text: t("mc.own_initiative") }),
        this.actionButtons([...USER_ACTIONS.filter((k) => k !== "kick"), ...LIFT_ACTIONS], ctx),
        h("div", { class: "mc-action-slot" }),
      ),
    );
    this.renderUserLookup(result);
  }

  // ---------------------------------------------------------------- appeals (global staff)

  async loadAppeals(status = this.appealStatus || "open") {
    this.appealStatus = status;
    this.busy();
    let data;
    try {
      data = await get(`/api/v1/moderation/appeals?status=${encodeURIComponent(status)}`);
    } catch (err) {
      this.failed(err, () => this.loadAppeals(status));
      return;
    }
    const select = h(
      "select",
      { id: "mc-appeal-status", on: { change: (e) => this.loadAppeals(e.target.value) } },
      ["open", "upheld", "reversed"].map((s) => h("option", { value: s, text: t(`appeal.status.${s}`), selected: s === status })),
    );
    const rows = (data.appeals || []).map((a) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "case-row", dataset: { appealId: String(a.id) }, on: { click: () => this.openAppeal(a.id) } },
          h("span", { class: "case-main" }, h("span", { class: "case-cat", text: t("mc.appeal_no", { id: a.id }) }), h("span", { class: "case-meta", text: [a.ts ? longTime(a.ts) : "", a.acted_by === this.chat.me.id ? t("mc.appeal_yours") : ""].filter(Boolean).join(" · ") })),
          h("span", { class: "case-side" }, h("span", { class: "tag", text: t(`appeal.status.${a.status}`) })),
        ),
      ),
    );
    replaceChildren(
      this.body,
      h("h3", { text: t("mc.nav.appeals") }),
      h("label", { class: "filter-field", htmlFor: "mc-appeal-status" }, h("span", { text: t("mc.status_label") }), select),
      rows.length ? h("ul", { class: "mc-cases", attrs: { role: "list" } }, rows) : h("p", { class: "muted mc-empty", text: t("mc.no_appeals") }),
    );
  }

  async openAppeal(id) {
    this.view = "appeal";
    this.renderNav();
    this.busy();
    let data;
    try {
      data = await get(`/api/v1/moderation/appeals/${seg(String(id))}`);
    } catch (err) {
      this.failed(err, () => this.openAppeal(id));
      return;
    }
    const a = data.appeal;
    const st = data.statement;
    const act = data.action;
    const parts = [
      h("button", { type: "button", class: "btn ghost small", text: t("mc.back_appeals"), on: { click: () => this.show("appeals") } }),
      h("h3", { text: t("mc.appeal_no", { id: a.id }) }),
      h("p", { class: "tag", text: t(`appeal.status.${a.status}`) }),
      h("h4", { text: t("mc.appeal_text") }),
      h("p", { class: "mc-details", text: a.text }),
    ];
    if (st) {
      parts.push(
        h("h4", { text: t("mc.contested") }),
        h(
          "dl",
          { class: "facts" },
          [
            ["mod.decision", st.decision],
            ["mod.facts", st.facts],
            ["mod.ground", st.ground],
            ["mod.until_label", st.until ? longTime(st.until) : ""],
          ]
            .filter(([, v]) => v)
            .map(([k, v]) => [h("dt", { text: t(k) }), h("dd", { text: v })]),
        ),
      );
    }
    if (act) parts.push(h("p", { class: "small muted", text: `${actionName(act.kind)} · ${act.ts ? longTime(act.ts) : ""}${act.reversed_by ? ` · ${t("mc.reversed")}` : ""}` }));
    if (a.status === "open") {
      if (a.acted_by === this.chat.me.id) parts.push(h("p", { class: "notice", text: t("error.appeal_same_moderator") }));
      const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
      const form = h(
        "form",
        { class: "form mc-decision", attrs: { novalidate: true } },
        h(
          "fieldset",
          { class: "field" },
          h("legend", { text: t("mc.decide") }),
          h("label", { class: "check" }, h("input", { type: "radio", name: "decision", value: "uphold", checked: true }), h("span", { text: t("mc.uphold") })),
          h("label", { class: "check" }, h("input", { type: "radio", name: "decision", value: "reverse" }), h("span", { text: t("mc.reverse") })),
        ),
        h("div", { class: "field" }, h("label", { htmlFor: "mc-decision-reason", text: t("mc.decision_reason") }), h("textarea", { id: "mc-decision-reason", name: "reason", rows: 3, maxLength: 4000 })),
        err,
        h("button", { type: "submit", class: "btn primary", text: t("mc.decide_submit") }),
      );
      form.onsubmit = async (e) => {
        e.preventDefault();
        err.hidden = true;
        const reason = form.elements.reason.value.trim();
        if (!reason) {
          err.textContent = t("mc.need_reason");
          err.hidden = false;
          return;
        }
        try {
          await post(`/api/v1/moderation/appeals/${seg(String(a.id))}/decision`, { decision: form.elements.decision.value, reason });
        } catch (ex) {
          err.textContent = errorText(ex.code, ex.message);
          err.hidden = false;
          return;
        }
        toast(t("mc.appeal_decided"), "ok");
        this.openAppeal(a.id);
      };
      parts.push(form);
    } else if (a.decision_reason) {
      parts.push(h("p", {}, h("strong", { text: `${t("appeal.reason")} ` }), a.decision_reason));
    }
    replaceChildren(this.body, parts);
  }

  // ---------------------------------------------------------------- rooms: safety presets, room actions

  renderRooms(result = null) {
    const r = this.chat.roles;
    const mine = [...new Set([...r.owned_rooms, ...r.moderated_rooms])];
    const open = [...this.chat.convs.values()].filter((c) => c.kind === "room").map((c) => c.slug);
    const list = this.chat.isGlobalStaff ? [...new Set([...mine, ...open])] : mine;
    const id = "mc-room-slug";
    const input = h("input", { type: "text", id, name: "slug", autocomplete: "off", spellcheck: false, value: this.roomSlug || "", attrs: { list: "mc-room-list" } });
    const form = h(
      "form",
      { class: "mc-lookup", on: { submit: (e) => (e.preventDefault(), input.value.trim() && this.openRoomSettings(input.value.trim())) } },
      h("label", { htmlFor: id, text: t("mc.room_label") }),
      h("datalist", { id: "mc-room-list" }, list.map((slug) => h("option", { value: slug }))),
      h("div", { class: "btn-row" }, input, h("button", { type: "submit", class: "btn primary small", text: t("mc.open_room") })),
    );
    const quick = list.length
      ? h("div", { class: "btn-row" }, list.map((slug) => h("button", { type: "button", class: "btn tiny", text: `#${slug}`, dataset: { room: slug }, on: { click: () => this.openRoomSettings(slug) } })))
      : null;
    replaceChildren(this.body, h("h3", { text: t("mc.nav.rooms") }), h("p", { class: "muted small", text: t("mc.rooms_hint") }), form, quick, result);
  }

  async openRoomSettings(slug) {
    this.roomSlug = slug;
    this.view = "rooms";
    this.renderNav();
    let data;
    try {
      [data, this.presets] = await Promise.all([get(`/api/v1/rooms/${seg(slug)}/settings`), this.presets ? Promise.resolve(this.presets) : get("/api/v1/moderation/presets").then((p) => p.presets || {})]);
    } catch (err) {
      this.renderRooms(h("p", { class: "error", attrs: { role: "alert" }, text: errorText(err.code, err.message) }));
      return;
    }
    const s = data.settings || {};
    const presets = this.presets || {};
    const r = this.chat.roles;
    const canWrite = this.chat.isGlobalStaff || r.owned_rooms.includes(slug);
    const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
    const presetRadios = Object.entries(presets).map(([name, p]) =>
      h(
        "label",
        { class: "check preset" },
        h("input", { type: "radio", name: "preset", value: name, checked: name === s.preset, disabled: !canWrite }),
        h("span", {}, h("strong", { text: t(`mc.preset.${name}`) === `mc.preset.${name}` ? name : t(`mc.preset.${name}`) }), h("span", { class: "cat-hint", text: presetSummary(p) })),
      ),
    );
    const form = h(
      "form",
      { class: "form mc-room-settings", attrs: { novalidate: true } },
      h("fieldset", { class: "field", disabled: !canWrite }, h("legend", { text: t("mc.preset") }), presetRadios),
      h(
        "fieldset",
        { class: "field mc-adjust", disabled: !canWrite },
        h("legend", { text: t("mc.adjust") }),
        h("label", { class: "filter-field", htmlFor: "mc-rs-slow" }, h("span", { text: t("mc.slow_mode_seconds") }), h("input", { type: "number", id: "mc-rs-slow", name: "slow_mode_seconds", min: 0, max: 3600, value: String(s.slow_mode_seconds ?? 0) })),
        h("label", { class: "filter-field", htmlFor: "mc-rs-age" }, h("span", { text: t("mc.min_account_age") }), h("input", { type: "number", id: "mc-rs-age", name: "min_account_age_minutes", min: 0, max: 10080, value: String(s.min_account_age_minutes ?? 0) })),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "pictures", checked: s.pictures !== false }), h("span", { text: t("mc.pictures_on") })),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "hold_first_messages", checked: Boolean(s.hold_first_messages) }), h("span", { text: t("mc.hold_first") })),
      ),
      err,
      canWrite ? h("button", { type: "submit", class: "btn primary", text: t("common.save") }) : h("p", { class: "muted small", text: t("mc.owner_only") }),
    );
    form.addEventListener("change", (e) => {
      if (e.target.name !== "preset") return;
      const p = presets[e.target.value];
      if (!p) return;
      form.elements.slow_mode_seconds.value = String(p.slow_mode_seconds ?? 0);
      form.elements.min_account_age_minutes.value = String(p.min_account_age_minutes ?? 0);
      form.elements.pictures.checked = p.pictures !== false;
      form.elements.hold_first_messages.checked = Boolean(p.hold_first_messages);
    });
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.hidden = true;
      const f = form.elements;
      const body = {
        slow_mode_seconds: Math.max(0, Math.min(3600, Number.parseInt(f.slow_mode_seconds.value, 10) || 0)),
        min_account_age_minutes: Math.max(0, Math.min(10080, Number.parseInt(f.min_account_age_minutes.value, 10) || 0)),
        pictures: f.pictures.checked,
        hold_first_messages: f.hold_first_messages.checked,
      };
      const preset = form.querySelector("input[name=preset]:checked")?.value;
      if (preset) body.preset = preset;
      try {
        await put(`/api/v1/rooms/${seg(slug)}/settings`, body);
      } catch (ex) {
        err.textContent = errorText(ex.code, ex.message);
        err.hidden = false;
        return;
      }
      toast(t("mc.room_saved", { room: slug }), "ok");
      this.openRoomSettings(slug);
    };
    const state = [s.locked ? t("mod.locked") : null, s.closed ? t("mod.closed") : null].filter(Boolean).join(" · ");
    const ctx = { room: slug, user: null };
    const actions = ROOM_ACTIONS.filter((k) => this.canAct(k, slug));
    const result = h(
      "div",
      { class: "mc-room" },
      h("h3", { text: `#${slug}` }),
      state ? h("p", { class: "tag warn", text: state }) : null,
      form,
      actions.length ? h("section", { class: "mc-section" }, h("h3", { text: t("mc.room_actions") }), this.actionButtons(actions, ctx), h("div", { class: "mc-action-slot" })) : null,
    );
    this.renderRooms(result);
  }

  // ---------------------------------------------------------------- audit trail (admins)

  async loadAudit(reset = false) {
    if (reset) this.auditEntries = [];
    const after = this.auditEntries.length ? this.auditEntries[this.auditEntries.length - 1].id : 0;
    if (reset) this.busy();
    let data;
    try {
      data = await get(`/api/v1/moderation/audit?after=${after}&limit=100`);
    } catch (err) {
      this.failed(err, () => this.loadAudit(true));
      return;
    }
    const got = data.entries || [];
    this.auditEntries.push(...got);
    this.auditMore = got.length >= 100;
    this.renderAudit();
  }

  renderAudit(verify = null) {
    const rows = this.auditEntries.map((e) =>
      h(
        "tr",
        {},
        h("td", { text: String(e.id) }),
        h("td", { text: e.ts ? shortTime(e.ts) : "", title: e.ts ? longTime(e.ts) : "" }),
        h("td", { text: e.actor_id == null ? "—" : String(e.actor_id) }),
        h("td", { text: e.action || "" }),
        h("td", { text: e.target || "" }),
        h("td", { class: "mc-reason", text: e.reason || "" }),
        h("td", { class: "mc-hash", text: (e.hash || "").slice(0, 12), title: e.hash || "" }),
      ),
    );
    const table = h(
      "div",
      { class: "mc-table-wrap", tabIndex: 0, attrs: { role: "region", "aria-label": t("mc.nav.audit") } },
      h(
        "table",
        { class: "mc-table" },
        h("thead", {}, h("tr", {}, ["mc.audit.id", "mc.audit.time", "mc.audit.actor", "mc.audit.action", "mc.audit.target", "mc.audit.reason", "mc.audit.hash"].map((k) => h("th", { attrs: { scope: "col" }, text: t(k) })))),
        h("tbody", {}, rows),
      ),
    );
    const status = h("p", { class: "mc-verify", attrs: { role: "status" } });
    if (verify) {
      status.classList.add(verify.ok ? "ok" : "bad");
      status.textContent = verify.ok
        ? t("mc.audit.ok", { count: verify.checked, head: (verify.head || "").slice(0, 16) })
        : t("mc.audit.broken", { id: verify.broken_id ?? "?", problem: verify.problem || "" });
    }
    replaceChildren(
      this.body,
      h("h3", { text: t("mc.nav.audit") }),
      h("div", { class: "btn-row" }, h("button", { type: "button", class: "btn primary small", text: t("mc.audit.verify"), dataset: { action: "verify" }, on: { click: () => this.verifyAudit() } })),
      status,
      rows.length ? table : h("p", { class: "muted", text: t("mc.audit.empty") }),
      this.auditMore ? h("button", { type: "button", class: "btn small", text: t("mc.audit.more"), on: { click: () => this.loadAudit(false) } }) : null,
    );
  }

  async verifyAudit() {
    let data;
    try {
      data = await get("/api/v1/moderation/audit/verify");
    } catch (err) {
      return toast(errorText(err.code, err.message), "error");
    }
    this.renderAudit(data);
  }

  // ---------------------------------------------------------------- emergency level (admins)

  onSafetyLevel(level) {
    if (this.visible && this.view === "emergency") this.renderEmergency(level);
  }

  async renderEmergency(known = null) {
    let level = known;
    if (level === null) {
      try {
        level = (await get("/api/v1/safety")).level ?? 0;
      } catch (err) {
        this.failed(err, () => this.renderEmergency());
        return;
      }
    }
    const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
    const form = h(
      "form",
      { class: "form mc-emergency", attrs: { novalidate: true } },
      h(
        "fieldset",
        { class: "field" },
        h("legend", { text: t("mc.emergency_level") }),
        [0, 1, 2, 3].map((n) =>
          h(
            "label",
            { class: "check preset" },
            h("input", { type: "radio", name: "level", value: String(n), checked: n === level }),
            h("span", {}, h("strong", { text: t("mc.level_name", { level: n }) }), h("span", { class: "cat-hint", text: n === 0 ? t("mc.level0") : t(`safety.level${n}`) })),
          ),
        ),
      ),
      h("div", { class: "field" }, h("label", { htmlFor: "mc-em-reason", text: t("mc.reason") }), h("textarea", { id: "mc-em-reason", name: "reason", rows: 2, maxLength: 2000 })),
      err,
      h("button", { type: "submit", class: "btn danger", text: t("mc.set_level") }),
    );
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.hidden = true;
      const reason = form.elements.reason.value.trim();
      if (!reason) {
        err.textContent = t("mc.need_reason");
        err.hidden = false;
        return;
      }
      const next = Number(form.querySelector("input[name=level]:checked")?.value ?? level);
      try {
        await put("/api/v1/moderation/emergency", { level: next, reason });
      } catch (ex) {
        err.textContent = errorText(ex.code, ex.message);
        err.hidden = false;
        return;
      }
      toast(t("mc.level_set", { level: next }), "ok");
      this.renderEmergency(next);
    };
    replaceChildren(this.body, h("h3", { text: t("mc.nav.emergency") }), h("p", { class: "muted small", text: t("mc.emergency_hint", { level }) }), form);
  }
}

function presetSummary(p) {
  const bits = [];
  bits.push(p.slow_mode_seconds ? t("mc.every_seconds", { count: p.slow_mode_seconds }) : t("mc.slow_off"));
  bits.push(p.pictures ? t("mc.pictures_yes") : t("mc.pictures_no"));
  if (p.min_account_age_minutes) bits.push(t("mc.min_age_minutes", { count: p.min_account_age_minutes }));
  if (p.hold_first_messages) bits.push(t("mc.held"));
  if (p.rule_packs && p.rule_packs.length) bits.push(p.rule_packs.join(", "));
  return bits.join(" · ");
}
