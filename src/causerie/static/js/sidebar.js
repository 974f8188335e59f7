// The left column: private conversations (with unread badges), message requests (apart, with
// accept / ignore / block / report) and friends.
import { $, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { keepFocus } from "./ui.js";

export class Sidebar {
  constructor(chat) {
    this.chat = chat;
    this.root = $("#sidebar-body");
    this.scheduled = false;
  }

  render() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      keepFocus(this.root, () => this.draw());
    });
  }

  draw() {
    const chat = this.chat;
    const dms = [];
    const requests = [];
    for (const conv of chat.convs.values()) {
      if (conv.kind !== "dm") continue;
      if (conv.state === "request") requests.push(conv);
      else if (conv.slug || chat.tabs.includes(conv.key)) dms.push(conv);
    }
    const byRecent = (a, b) => (b.lastTs || 0) - (a.lastTs || 0) || (a.peer?.nick || "").localeCompare(b.peer?.nick || "");
    dms.sort(byRecent);
    requests.sort(byRecent);

    const sections = [];
    sections.push(
      h(
        "section",
        { class: "side-section", attrs: { "aria-labelledby": "side-dms" } },
        h("h2", { id: "side-dms", text: t("side.dms") }),
        dms.length
          ? h("ul", { class: "conv-list", attrs: { role: "list" } }, dms.map((c) => this.convItem(c)))
          : h("p", { class: "muted small", text: t("side.no_dms") }),
      ),
    );
    if (requests.length) {
      sections.push(
        h(
          "section",
          { class: "side-section requests", attrs: { "aria-labelledby": "side-requests" } },
          h("h2", { id: "side-requests" }, t("side.requests"), " ", h("span", { class: "badge", text: String(requests.length) })),
          h("p", { class: "muted small", text: t("side.requests_hint") }),
          h("ul", { class: "conv-list", attrs: { role: "list" } }, requests.map((c) => this.requestItem(c))),
        ),
      );
    }
    sections.push(this.friendsSection());
    replaceChildren(this.root, sections);
    chat.updatePhoneNav();
  }

  convItem(conv) {
    const chat = this.chat;
    const nick = conv.peer?.nick || conv.info?.name || "";
    const active = chat.active === conv.key;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "conv-item" + (active ? " active" : "") + (conv.unread ? " unread" : ""),
          dataset: { key: `dm:${conv.key}`, slug: conv.slug || "" },
          attrs: { "aria-current": active ? "true" : null },
          on: { click: () => (chat.openConv(conv), chat.setPane("main")) },
        },
        h("span", { class: "avatar", attrs: { "aria-hidden": "true" }, text: [...nick][0]?.toLocaleUpperCase() || "?" }),
        h("span", { class: "conv-item-text" }, h("span", { class: "conv-item-nick", text: nick }), conv.lastText ? h("span", { class: "conv-item-preview", text: conv.lastText }) : null),
        conv.unread
          ? h("span", { class: "badge", text: conv.unread > 99 ? "99+" : String(conv.unread), attrs: { "aria-label": t("tabs.unread", { count: conv.unread }) } })
          : null,
      ),
    );
  }

  requestItem(conv) {
    const chat = this.chat;
    const nick = conv.peer?.nick || "";
    return h(
      "li",
      { class: "request-item" },
      h(
        "button",
        {
          type: "button",
          class: "conv-item",
          dataset: { key: `req:${conv.key}`, slug: conv.slug || "" },
          on: { click: () => (chat.openConv(conv), chat.setPane("main")) },
        },
        h("span", { class: "avatar", attrs: { "aria-hidden": "true" }, text: [...nick][0]?.toLocaleUpperCase() || "?" }),
        h(
          "span",
          { class: "conv-item-text" },
          h("span", { class: "conv-item-nick", text: nick }),
          h("span", { class: "conv-item-preview", text: conv.lastText || (conv.peer?.age ? chat.memberLine(conv.peer) : "") }),
        ),
        conv.unread ? h("span", { class: "badge", text: String(conv.unread) }) : null,
      ),
      h(
        "div",
        { class: "btn-row tight" },
        h("button", { type: "button", class: "btn primary tiny", dataset: { key: `acc:${conv.key}` }, text: t("dm.accept"), attrs: { "aria-label": t("dm.accept_from", { nick }) }, on: { click: () => chat.acceptDm(conv) } }),
        h("button", { type: "button", class: "btn tiny", dataset: { key: `ign:${conv.key}` }, text: t("dm.ignore"), attrs: { "aria-label": t("dm.ignore_from", { nick }) }, on: { click: () => chat.ignoreDm(conv) } }),
        h("button", { type: "button", class: "btn tiny danger", dataset: { key: `blk:${conv.key}` }, text: t("action.block"), attrs: { "aria-label": t("member.block_nick", { nick }) }, on: { click: () => chat.blockFromRequest(conv) } }),
        h("button", { type: "button", class: "btn tiny", dataset: { key: `rep:${conv.key}` }, text: t("action.report"), attrs: { "aria-label": t("member.report_nick", { nick }), "aria-haspopup": "dialog" }, on: { click: () => chat.reportUser(conv.peer) } }),
      ),
    );
  }

  friendsSection() {
    const chat = this.chat;
    const f = chat.friends;
    const items = [];
    const sorted = [...f.friends].sort((a, b) => Number(b.online) - Number(a.online) || a.member.nick.localeCompare(b.member.nick));
    for (const fr of sorted) {
      items.push(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "conv-item friend",
              dataset: { key: `fr:${fr.member.nick}` },
              on: { click: () => chat.openMemberCard(fr.member) },
            },
            h("span", { class: "dot" + (fr.online ? " on" : ""), attrs: { "aria-hidden": "true" } }),
            h("span", { class: "conv-item-text" }, h("span", { class: "conv-item-nick", text: fr.member.nick }), h("span", { class: "conv-item-preview", text: fr.online ? t("friend.online") : t("friend.offline") })),
          ),
        ),
      );
    }
    const incoming = f.incoming.map((m) =>
      h(
        "li",
        { class: "request-item" },
        h("span", { class: "conv-item-nick", text: m.nick }),
        h(
          "div",
          { class: "btn-row tight" },
          h("button", { type: "button", class: "btn primary tiny", dataset: { key: `fa:${m.nick}` }, text: t("friend.accept"), attrs: { "aria-label": t("friend.accept_from", { nick: m.nick }) }, on: { click: () => chat.addFriend(m) } }),
          h("button", { type: "button", class: "btn tiny", dataset: { key: `fd:${m.nick}` }, text: t("friend.decline"), on: { click: () => chat.removeFriend(m) } }),
        ),
      ),
    );
    return h(
      "section",
      { class: "side-section", attrs: { "aria-labelledby": "side-friends" } },
      h("h2", { id: "side-friends", text: t("side.friends") }),
      incoming.length ? h("ul", { class: "conv-list", attrs: { role: "list", "aria-label": t("side.friend_requests") } }, incoming) : null,
      items.length ? h("ul", { class: "conv-list", attrs: { role: "list" } }, items) : h("p", { class: "muted small", text: t("side.no_friends") }),
    );
  }
}
