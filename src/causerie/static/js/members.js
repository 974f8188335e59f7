// The members panel of the active room (with filters by age range, gender and region) and the
// member card (private message, friend, block, report).
import { $, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { metaName, sameNick } from "./format.js";
import { openDialog, keepFocus } from "./ui.js";

const FILTERS_KEY = "causerie.filters";

function loadFilters() {
  try {
    const f = JSON.parse(localStorage.getItem(FILTERS_KEY) || "{}");
    return { ageMin: f.ageMin ?? "", ageMax: f.ageMax ?? "", gender: f.gender ?? "", region: f.region ?? "" };
  } catch {
    return { ageMin: "", ageMax: "", gender: "", region: "" };
  }
}

export class MembersPanel {
  constructor(chat) {
    this.chat = chat;
    this.root = $("#members");
    this.form = $("#member-filters");
    this.list = $("#members-list");
    this.count = $("#members-count");
    this.title = $("#members-title");
    this.dialog = $("#dlg-member");
    this.filters = loadFilters();
    this.pendingRender = false;
    this.fillSelects();
    this.writeForm();
    this.form.oninput = () => this.readForm();
    this.form.onchange = () => this.readForm();
    this.form.onsubmit = (e) => e.preventDefault();
    this.form.onreset = () => setTimeout(() => this.readForm(), 0);
    $("#members-close").onclick = () => this.chat.setPane("main");
  }

  fillSelects() {
    const meta = this.chat.meta;
    const g = this.form.elements.gender;
    const r = this.form.elements.region;
    replaceChildren(g, h("option", { value: "", text: t("filters.all") }), (meta.genders || []).map((x) => h("option", { value: x.code, text: x.name })));
    replaceChildren(r, h("option", { value: "", text: t("filters.all_regions") }), (meta.regions || []).map((x) => h("option", { value: x.code, text: x.name })));
  }

  writeForm() {
    const f = this.form.elements;
    f.age_min.value = this.filters.ageMin;
    f.age_max.value = this.filters.ageMax;
    f.gender.value = this.filters.gender;
    f.region.value = this.filters.region;
  }

  readForm() {
    const f = this.form.elements;
    this.filters = { ageMin: f.age_min.value, ageMax: f.age_max.value, gender: f.gender.value, region: f.region.value };
    try {
      localStorage.setItem(FILTERS_KEY, JSON.stringify(this.filters));
    } catch {
      /* not essential */
    }
    this.render();
  }

  matches(m) {
    const f = this.filters;
    const min = parseInt(f.ageMin, 10);
    const max = parseInt(f.ageMax, 10);
    if (!Number.isNaN(min) && m.age < min) return false;
    if (!Number.isNaN(max) && m.age > max) return false;
    if (f.gender && m.gender !== f.gender) return false;
    if (f.region && m.region !== f.region) return false;
    return true;
  }

  get activeConv() {
    const key = this.chat.active;
    const conv = key ? this.chat.convs.get(key) : null;
    return conv && conv.kind === "room" ? conv : null;
  }

  scheduleRender() {
    if (this.pendingRender) return;
    this.pendingRender = true;
    requestAnimationFrame(() => {
      this.pendingRender = false;
      this.render();
    });
  }

  render() {
    const conv = this.activeConv;
    this.root.hidden = !conv;
    if (!conv) return;
    const all = [...conv.members.values()].filter((m) => !this.chat.isBlocked(m));
    all.sort((a, b) => a.nick.localeCompare(b.nick, undefined, { sensitivity: "base" }));
    const shown = all.filter((m) => this.matches(m));
    this.title.textContent = t("members.title", { count: all.length });
    this.count.textContent = shown.length === all.length ? t("members.all_shown", { count: all.length }) : t("members.shown", { shown: shown.length, count: all.length });
    keepFocus(this.list, () => {
      replaceChildren(
        this.list,
        shown.map((m) =>
          h(
            "li",
            { class: "member", dataset: { nick: m.nick, age: String(m.age), gender: m.gender, region: m.region } },
            h(
              "button",
              {
                type: "button",
                class: "member-btn" + (sameNick(m.nick, this.chat.me.nick) ? " me" : ""),
                dataset: { key: m.nick },
                on: { click: () => this.openCard(m) },
              },
              h("span", { class: `g g-${m.gender}`, attrs: { "aria-hidden": "true" }, text: genderMark(m.gender) }),
              h("span", { class: "member-nick", text: m.nick }),
              h("span", { class: "member-meta", text: `${m.age} · ${shortRegion(m.region)}`, title: this.chat.memberLine(m) }),
              h("span", { class: "sr-only", text: `, ${this.chat.memberLine(m)}` }),
            ),
          ),
        ),
      );
    });
    if (!shown.length) this.list.append(h("li", { class: "muted small empty", text: all.length ? t("members.none_match") : t("members.empty") }));
  }

  // ---------------------------------------------------------------- member card

  openCard(member) {
    const chat = this.chat;
    const me = sameNick(member.nick, chat.me.nick);
    // Prefer the freshest copy from an open room.
    for (const conv of chat.convs.values()) {
      const m = conv.members.get(member.nick);
      if (m) member = m;
    }
    this.cardMember = member;
    const body = $("#card-body", this.dialog);
    const rows = [];
    if (member.age) {
      rows.push(
        h(
          "dl",
          { class: "facts" },
          h("dt", { text: t("member.age_label") }),
          h("dd", { text: String(member.age) }),
          h("dt", { text: t("member.gender_label") }),
          h("dd", { text: metaName(chat.meta.genders, member.gender) }),
          h("dt", { text: t("member.region_label") }),
          h("dd", { text: metaName(chat.meta.regions, member.region) }),
        ),
      );
    }
    if (member.registered) rows.push(h("p", { class: "tag", text: t("member.registered") }));
    const actions = h("div", { class: "btn-col" });
    if (me) {
      actions.append(h("p", { class: "muted", text: t("member.this_is_you") }));
    } else {
      const blocked = chat.isBlocked(member);
      const fs = chat.friendState(member.nick);
      actions.append(
        h("button", {
          type: "button",
          class: "btn primary",
          text: t("member.dm"),
          disabled: blocked,
          on: { click: () => (this.dialog.close(), chat.openDmWith(member)) },
        }),
      );
      const friendLabel = { none: t("member.add_friend"), incoming: t("friend.accept"), outgoing: t("member.friend_pending"), friend: t("member.remove_friend") }[fs];
      actions.append(
        h("button", {
          type: "button",
          class: "btn",
          text: friendLabel,
          disabled: fs === "outgoing" || blocked,
          on: {
            click: async () => {
              const ok = fs === "friend" ? await chat.removeFriend(member) : await chat.addFriend(member);
              if (ok) this.openCard(member);
            },
          },
        }),
      );
      actions.append(
        h("button", {
          type: "button",
          class: "btn danger",
          text: blocked ? t("member.unblock") : t("action.block"),
          on: {
            click: async () => {
              const ok = blocked ? await chat.unblock(member) : await chat.block(member);
              if (ok) this.openCard(member);
            },
          },
        }),
      );
      for (const conv of chat.convs.values()) {
        const info = conv.info || {};
        if (conv.kind !== "room" || info.kind !== "invite" || !sameNick(info.owner, chat.me.nick) || conv.members.has(member.nick)) continue;
        actions.append(
          h("button", {
            type: "button",
            class: "btn",
            text: t("member.invite", { room: info.name }),
            disabled: blocked,
            on: { click: () => chat.invite(conv, member) },
          }),
        );
      }
      actions.append(
        h("button", {
          type: "button",
          class: "btn member-report",
          text: t("member.report"),
          attrs: { "aria-haspopup": "dialog" },
          on: { click: () => (this.dialog.close(), chat.reportUser(member)) },
        }),
      );
      actions.append(h("p", { class: "muted small", text: t("member.report_hint") }));
    }
    $("#card-nick", this.dialog).textContent = member.nick;
    replaceChildren(body, rows, actions);
    if (!this.dialog.open) openDialog(this.dialog);
    else actions.querySelector("button:not([disabled])")?.focus();
  }

  relocalize() {
    this.fillSelects();
    this.writeForm();
    this.render();
    if (this.dialog.open && this.cardMember) this.openCard(this.cardMember);
  }

  close() {
    if (this.dialog.open) this.dialog.close();
    this.list.replaceChildren();
  }
}

function genderMark(code) {
  return { f: "♀", m: "♂" }[code] || "○";
}

function shortRegion(code) {
  return code;
}
