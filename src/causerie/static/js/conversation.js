// One open conversation (a room or a private conversation): its message log, typing line and
// composer. Each conversation keeps its own DOM while its tab is open, so switching tabs keeps the
// scroll position and the draft.
import { h, richText, replaceChildren } from "./dom.js";
import { t, applyStatic } from "./i18n.js";
import { codePoints, shortTime, longTime, listNames, sameNick } from "./format.js";
import { ACCEPTED_TYPES, checkFile, pictureElement, pictureErrorText, uploadPicture } from "./pictures.js";
import { lockPictureButton } from "./privileges.js";

const GROUP_GAP_MS = 5 * 60 * 1000;
const TYPING_TTL_MS = 6000;
const TYPING_SEND_EVERY_MS = 3000;
const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 150;

let nextDomId = 1;

/** A stable colour index (0–7) for a nickname. */
function nickColor(nick) {
  let hash = 0;
  for (const ch of nick.toLocaleLowerCase()) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 8;
}

export class ConversationView {
  constructor(chat, conv) {
    this.chat = chat;
    this.conv = conv;
    this.domId = `c${nextDomId++}`;
    this.bySeq = new Map(); // seq → element
    this.typing = new Map(); // nick → timeout id
    this.lastTypingSent = 0;
    this.replyTo = null; // {seq, nick, excerpt}
    this.presenceGroup = null; // {el, joined: [], left: []}
    this.divider = null;
    this.minSeq = 0;
    this.maxSeq = 0;
    this.build();
  }

  get me() {
    return this.chat.me;
  }

  // ---------------------------------------------------------------- structure

  build() {
    const conv = this.conv;
    this.title = h("h2", { class: "conv-title", id: `${this.domId}-title` });
    this.subtitle = h("p", { class: "conv-sub" });
    this.membersBtn = h("button", {
      type: "button",
      class: "btn ghost small members-toggle",
      attrs: { "aria-controls": "members", "aria-expanded": "true" },
      on: { click: () => this.chat.toggleMembers() },
    });
    const reportBtn = h("button", {
      type: "button",
      class: "btn ghost small report",
      attrs: { "aria-haspopup": "dialog" },
      dataset: { i18n: conv.kind === "dm" ? "action.report_user" : "action.report_room" },
      on: { click: () => this.chat.reportConv(this.conv) },
    });
    this.header = h(
      "header",
      { class: "conv-head" },
      h("div", { class: "conv-titles" }, this.title, this.subtitle),
      h("div", { class: "conv-tools" }, conv.kind === "room" ? this.membersBtn : null, reportBtn),
    );

    this.requestBar = h("div", { class: "request-bar", hidden: true, attrs: { role: "region", "aria-labelledby": `${this.domId}-reqtext` } });

    this.loadMoreBtn = h("button", {
      type: "button",
      class: "btn ghost small load-more",
      hidden: true,
      dataset: { i18n: "conv.load_older" },
      on: { click: () => this.chat.loadOlder(this.conv) },
    });
    this.emptyNote = h("p", { class: "empty-note", hidden: true });
    this.log = h("div", {
      class: "log",
      attrs: { role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": `${this.domId}-title` },
    });
    this.nudgeBox = h("div", { class: "nudge-slot" });
    // The safety nudge sits after the messages, right below the one that caused it.
    this.scroller = h("div", { class: "log-scroll", tabIndex: 0, attrs: { "aria-label": t("conv.messages") } }, this.loadMoreBtn, this.emptyNote, this.log, this.nudgeBox);
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    // Touch screens have no hover: a tap on a message shows its actions.
    this.log.addEventListener("click", (e) => {
      if (e.target.closest("button, a, summary")) return;
      const msg = e.target.closest(".msg");
      for (const el of this.log.querySelectorAll(".msg.show-actions")) if (el !== msg) el.classList.remove("show-actions");
      if (msg) msg.classList.toggle("show-actions");
    });
    this.jumpBtn = h("button", {
      type: "button",
      class: "btn small jump",
      hidden: true,
      dataset: { i18n: "conv.jump" },
      on: { click: () => this.scrollToBottom(true) },
    });
    this.typingLine = h("div", { class: "typing-line", attrs: { "aria-live": "polite" } });

    this.buildComposer();

    this.root = h(
      "section",
      {
        class: "conv",
        id: `panel-${this.domId}`,
        hidden: true,
        attrs: { role: "tabpanel", "aria-labelledby": `tab-${this.domId}` },
      },
      this.header,
      this.requestBar,
      h("div", { class: "log-wrap" }, this.scroller, this.jumpBtn),
      this.typingLine,
      this.composer,
    );
    this.refreshHeader();
    this.refreshRequest();
    applyStatic(this.root);
  }

  buildComposer() {
    const taId = `${this.domId}-input`;
    this.replyText = h("span", { class: "reply-text" });
    this.replyBox = h(
      "div",
      { class: "reply-preview", hidden: true },
      this.replyText,
      h("button", {
        type: "button",
        class: "btn ghost small icon",
        dataset: { i18nAriaLabel: "composer.cancel_reply", i18nTitle: "composer.cancel_reply" },
        text: "×",
        on: { click: () => this.setReply(null) },
      }),
    );
    this.input = h("textarea", {
      id: taId,
      rows: 1,
      class: "composer-input",
      dataset: { i18nPlaceholder: "composer.placeholder", i18nTitle: "composer.hint" },
      attrs: { enterkeyhint: "send", "aria-describedby": `${this.domId}-hint ${this.domId}-counter` },
    });
    const hint = h("span", { class: "sr-only", id: `${this.domId}-hint`, dataset: { i18n: "composer.hint" } });
    this.counter = h("span", { class: "counter", id: `${this.domId}-counter`, hidden: true, attrs: { "aria-live": "polite" } });
    this.sendBtn = h("button", { type: "submit", class: "btn primary send", dataset: { i18n: "composer.send" } });
    this.fileInput = h("input", {
      type: "file",
      class: "file-input",
      accept: ACCEPTED_TYPES.join(","),
      tabIndex: -1,
      hidden: true,
      attrs: { "aria-hidden": "true" },
      on: { change: () => this.onFileChosen() },
    });
    this.attachBtn = h(
      "button",
      {
        type: "button",
        class: "btn ghost attach",
        dataset: { i18nAriaLabel: "pic.attach", i18nTitle: "pic.attach" },
        on: { click: () => this.chooseFile() },
      },
      pictureIcon(),
    );
    lockPictureButton(this.attachBtn); // a new account waits for pictures (progressive privileges)
    this.attachment = null; // {file, localUrl, state: uploading|ready|failed, media, error}
    this.attachBox = h("div", { class: "attach-preview", hidden: true, attrs: { "aria-live": "polite" } });
    this.composer = h(
      "form",
      { class: "composer", attrs: { "aria-label": t("composer.label") }, on: { submit: (e) => this.onSubmit(e) } },
      this.replyBox,
      this.attachBox,
      this.counter,
      h(
        "div",
        { class: "composer-row" },
        this.attachBtn,
        this.fileInput,
        h("label", { class: "sr-only", htmlFor: taId, dataset: { i18n: "composer.label" } }),
        this.input,
        hint,
        this.sendBtn,
      ),
    );
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.composer.requestSubmit();
      } else if (e.key === "Escape" && this.replyTo) {
        e.stopPropagation();
        this.setReply(null);
      }
    });
    this.input.addEventListener("input", () => this.onInput());
  }

  // ---------------------------------------------------------------- header, request bar

  refreshHeader() {
    const conv = this.conv;
    if (conv.kind === "room") {
      this.title.textContent = conv.info?.name || conv.slug;
      const bits = [];
      const st = conv.roomState;
      if (st?.closed) bits.push(t("mod.closed"));
      else if (st?.locked) bits.push(t("mod.locked"));
      if (st?.slow_mode) bits.push(t("mod.slow_mode", { count: st.slow_mode }));
      if (conv.info?.topic) bits.push(conv.info.topic);
      bits.push(t("room.members", { count: conv.members.size || conv.info?.members || 0 }));
      this.subtitle.textContent = bits.join(" · ");
      this.membersBtn.textContent = t("members.toggle", { count: conv.members.size });
    } else {
      const peer = conv.peer;
      this.title.textContent = peer ? peer.nick : conv.info?.name || "";
      this.subtitle.textContent = peer && peer.age ? this.chat.memberLine(peer) : t("dm.private");
    }
  }

  refreshRequest() {
    const conv = this.conv;
    const isRequest = conv.kind === "dm" && conv.state === "request";
    this.requestBar.hidden = !isRequest;
    this.composer.hidden = isRequest;
    if (!isRequest) return;
    const nick = conv.peer?.nick || "";
    replaceChildren(
      this.requestBar,
      h("p", { id: `${this.domId}-reqtext`, text: t("dm.request_text", { nick }) }),
      h(
        "div",
        { class: "btn-row" },
        h("button", { type: "button", class: "btn primary small", text: t("dm.accept"), on: { click: () => this.chat.acceptDm(conv) } }),
        h("button", { type: "button", class: "btn small", text: t("dm.ignore"), on: { click: () => this.chat.ignoreDm(conv) } }),
        h("button", { type: "button", class: "btn small danger", text: t("action.block"), on: { click: () => this.chat.blockFromRequest(conv) } }),
        h("button", { type: "button", class: "btn small", text: t("action.report"), attrs: { "aria-haspopup": "dialog" }, on: { click: () => this.chat.reportUser(conv.peer) } }),
      ),
    );
  }

  // ---------------------------------------------------------------- messages

  hasSeq(seq) {
    return this.bySeq.has(seq);
  }

  get oldestSeq() {
    return this.bySeq.size ? this.minSeq : null;
  }

  get newestSeq() {
    return this.bySeq.size ? this.maxSeq : 0;
  }

  /** Forget every message (used when a resume reports a gap). */
  reset() {
    this.bySeq.clear();
    this.log.replaceChildren();
    this.presenceGroup = null;
    this.divider = null;
  }

  /**
   * Insert messages in seq order, skipping those already shown. Returns the messages that were new.
   * Keeps the reader's place: sticks to the bottom when they were there, otherwise keeps what they
   * were looking at still when older messages come in above.
   */
  insertMessages(messages) {
    const atBottom = this.isAtBottom();
    const before = this.scroller.scrollHeight;
    const oldTop = this.scroller.scrollTop;
    const oldest = this.oldestSeq;
    let prepended = false;
    const added = [];
    for (const m of messages) {
      const existing = this.bySeq.get(m.seq);
      if (existing) {
        // Our own message shown from its ack: the server's copy replaces it in place.
        if (existing.dataset.provisional && !m.provisional) {
          const el = this.buildMessage(m);
          existing.replaceWith(el);
          this.bySeq.set(m.seq, el);
          this.regroup(el);
        }
        continue;
      }
      const el = this.buildMessage(m);
      this.placeBySeq(el, m.seq);
      this.bySeq.set(m.seq, el);
      this.regroup(el);
      if (oldest !== null && m.seq < oldest) prepended = true;
      added.push(m);
    }
    if (!added.length) return added;
    this.updateEmpty();
    if (prepended && !atBottom) {
      this.scroller.scrollTop = oldTop + (this.scroller.scrollHeight - before);
    } else if (atBottom) {
      this.scrollToBottom();
    } else if (added.some((m) => m.author.id !== this.me.id)) {
      this.jumpBtn.hidden = false;
    }
    return added;
  }

  /** Put `el` in seq order: older than everything → top; newer → bottom (before pending ones). */
  placeBySeq(el, seq) {
    const pendingFirst = this.log.querySelector(".msg.pending");
    if (!this.bySeq.size || seq > this.maxSeq) {
      this.log.insertBefore(el, pendingFirst);
    } else if (seq < this.minSeq) {
      this.log.prepend(el);
    } else {
      let next = null;
      let nextSeq = Infinity;
      for (const [s, other] of this.bySeq) {
        if (s > seq && s < nextSeq) (next = other), (nextSeq = s);
      }
      this.log.insertBefore(el, next || pendingFirst);
    }
    this.minSeq = this.bySeq.size ? Math.min(this.minSeq, seq) : seq;
    this.maxSeq = this.bySeq.size ? Math.max(this.maxSeq, seq) : seq;
  }

  regroup(el) {
    for (const node of [el, el.nextElementSibling]) {
      if (!node || !node.classList.contains("msg")) continue;
      const prev = node.previousElementSibling;
      const cont =
        prev &&
        prev.classList.contains("msg") &&
        !node.classList.contains("has-reply") &&
        prev.dataset.authorId === node.dataset.authorId &&
        Math.abs(Number(node.dataset.ts) - Number(prev.dataset.ts)) < GROUP_GAP_MS;
      node.classList.toggle("cont", Boolean(cont));
    }
  }

  buildMessage(m, pending = null) {
    const me = this.me;
    const mine = m.author.id === me.id;
    const mentionsMe = (m.mentions || []).some((n) => sameNick(n, me.nick));
    const classes = ["msg"];
    if (mine) classes.push("mine");
    if (mentionsMe && !mine) classes.push("mentions-me");
    if (m.reply) classes.push("has-reply");
    if (pending) classes.push("pending");
    const el = h("div", {
      class: classes.join(" "),
      dataset: { authorId: String(m.author.id), ts: String(m.ts) },
    });
    if (m.provisional) el.dataset.provisional = "1";
    if (!pending) {
      el.dataset.seq = String(m.seq);
      el.dataset.msgId = String(m.id);
      el.id = `${this.domId}-m${m.seq}`;
    } else {
      el.dataset.clientId = pending;
    }
    const nickBtn = h("button", {
      type: "button",
      class: `nick nc-${nickColor(m.author.nick)}`,
      text: m.author.nick,
      on: { click: () => this.chat.openMemberCard(m.author) },
    });
    const time = h("time", {
      class: "ts",
      dateTime: new Date(m.ts).toISOString(),
      title: timeTitle(m.ts, pending ? null : m.seq),
      text: shortTime(m.ts),
      dataset: { ts: String(m.ts), seq: pending ? "" : String(m.seq ?? "") },
    });
    el.append(h("div", { class: "msg-head" }, nickBtn, time));
    if (m.reply) {
      el.append(
        h(
          "button",
          {
            type: "button",
            class: "quote",
            attrs: { "aria-label": t("msg.quote_label", { nick: m.reply.nick }) },
            on: { click: () => this.jumpTo(m.reply.seq) },
          },
          h("span", { class: "quote-nick", text: m.reply.nick }),
          h("span", { class: "quote-text", text: m.reply.excerpt }),
        ),
      );
    }
    if (m.text) el.append(h("div", { class: "msg-text" }, richText(m.text, me.nick)));
    if (m.media) {
      const onReport = !pending && !mine ? () => this.chat.reportMessage(this.conv, m) : null;
      el.append(pictureElement(m.media, { nick: m.author.nick, blurred: Boolean(m.media.blurred) && !mine, localUrl: m.localUrl || null, onReport }));
      el.classList.add("has-media");
    }
    const actions = h("div", { class: "msg-actions" });
    if (!pending) {
      actions.append(
        h("button", {
          type: "button",
          class: "btn ghost tiny",
          dataset: { i18n: "msg.reply" },
          text: t("msg.reply"),
          on: { click: () => this.setReply({ seq: m.seq, nick: m.author.nick, excerpt: m.text || t("pic.reply_excerpt") }) },
        }),
      );
      if (!mine) {
        actions.append(
          h("button", {
            type: "button",
            class: "btn ghost tiny msg-report",
            dataset: { i18n: "action.report" },
            text: t("action.report"),
            attrs: { "aria-haspopup": "dialog", "aria-label": t("msg.report_label", { nick: m.author.nick }) },
            on: { click: () => this.chat.reportMessage(this.conv, m) },
          }),
        );
      }
    }
    el.append(actions);
    if (pending) el.append(h("div", { class: "msg-status", text: t("msg.sending") }));
    return el;
  }

  jumpTo(seq) {
    const el = this.bySeq.get(seq);
    if (!el) return;
    el.scrollIntoView({ block: "center", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
    const btn = el.querySelector("button.nick");
    if (btn) btn.focus({ preventScroll: true });
  }

  removeMessage(seq) {
    const el = this.bySeq.get(seq);
    if (!el) return;
    const next = el.nextElementSibling;
    el.remove();
    this.bySeq.delete(seq);
    if (next) this.regroup(next);
    this.updateEmpty();
  }

  // ---------------------------------------------------------------- pending (unacknowledged) messages

  addPending(p) {
    const fake = { author: this.me, ts: Date.now(), text: p.text, reply: p.reply || undefined, mentions: [], media: p.media || undefined, localUrl: p.localUrl || null };
    const el = this.buildMessage(fake, p.clientId);
    this.log.append(el);
    this.updateEmpty();
    this.regroup(el);
    this.scrollToBottom();
    return el;
  }

  pendingEl(clientId) {
    return this.log.querySelector(`.msg.pending[data-client-id="${CSS.escape(clientId)}"]`);
  }

  ackPending(clientId, ack, message) {
    const el = this.pendingEl(clientId);
    if (!el) return;
    el.remove();
    if (!this.bySeq.has(ack.seq) && message) this.insertMessages([message]);
    else if (this.bySeq.has(ack.seq)) this.regroup(this.bySeq.get(ack.seq));
  }

  failPending(clientId, text, { onRetry, onEdit, onDiscard }) {
    const el = this.pendingEl(clientId);
    if (!el) return;
    el.classList.add("failed");
    const status = el.querySelector(".msg-status");
    status.setAttribute("role", "alert");
    replaceChildren(
      status,
      h("span", { class: "fail-text", text: text }),
      " ",
      onRetry ? h("button", { type: "button", class: "btn ghost tiny", text: t("msg.retry"), on: { click: onRetry } }) : null,
      onEdit ? h("button", { type: "button", class: "btn ghost tiny", text: t("msg.edit"), on: { click: onEdit } }) : null,
      h("button", { type: "button", class: "btn ghost tiny", text: t("msg.discard"), on: { click: onDiscard } }),
    );
  }

  /** Put a refused message back in the composer to change it. */
  editText(text) {
    this.input.value = text;
    this.onInput();
    this.input.focus();
  }

  markSending(clientId, note = null) {
    const el = this.pendingEl(clientId);
    if (!el) return;
    el.classList.remove("failed");
    replaceChildren(el.querySelector(".msg-status"), note || t("msg.sending"));
  }

  removePending(clientId) {
    const el = this.pendingEl(clientId);
    if (el) el.remove();
    this.updateEmpty();
  }

  // ---------------------------------------------------------------- presence lines (collapsing)

  addPresence(action, member) {
    const atBottom = this.isAtBottom();
    let group = this.presenceGroup;
    const lastReal = this.lastNonPending();
    if (!group || lastReal !== group.el) {
      group = { el: h("div", { class: "sys presence" }), joined: [], left: [] };
      this.log.insertBefore(group.el, this.log.querySelector(".msg.pending"));
      this.presenceGroup = group;
    }
    const list = action === "join" ? group.joined : group.left;
    const other = action === "join" ? group.left : group.joined;
    const i = other.indexOf(member.nick);
    if (i >= 0) other.splice(i, 1); // left then came back (or the reverse): show only the latest
    if (!list.includes(member.nick)) list.push(member.nick);
    this.renderPresence(group);
    if (atBottom) this.scrollToBottom();
  }

  lastNonPending() {
    let el = this.log.lastElementChild;
    while (el && el.classList.contains("pending")) el = el.previousElementSibling;
    return el;
  }

  renderPresence(group) {
    const parts = [];
    const names = [];
    if (group.joined.length) parts.push(this.presenceText("join", group.joined)), names.push(...group.joined);
    if (group.left.length) parts.push(this.presenceText("leave", group.left)), names.push(...group.left);
    if (!parts.length) {
      group.el.remove();
      if (this.presenceGroup === group) this.presenceGroup = null;
      return;
    }
    const busy = group.joined.length > 2 || group.left.length > 2;
    if (!busy) {
      replaceChildren(group.el, parts.join(" · "));
      return;
    }
    const details = h("details", {}, h("summary", { text: parts.join(" · ") }));
    if (group.joined.length) details.append(h("p", { text: `${t("presence.joined_list")} ${group.joined.join(", ")}` }));
    if (group.left.length) details.append(h("p", { text: `${t("presence.left_list")} ${group.left.join(", ")}` }));
    replaceChildren(group.el, details);
  }

  presenceText(action, nicks) {
    const key = action === "join" ? "presence.join" : "presence.leave";
    if (nicks.length <= 2) return t(`${key}.names`, { names: listNames(nicks), count: nicks.length });
    return t(`${key}.many`, { count: nicks.length });
  }

  // ---------------------------------------------------------------- new-message divider

  showDivider(beforeSeq) {
    const el = this.bySeq.get(beforeSeq);
    if (!el) return;
    if (!this.divider) {
      this.divider = h("div", { class: "divider", attrs: { role: "separator" } }, h("span", { dataset: { i18n: "conv.new_messages" }, text: t("conv.new_messages") }));
    }
    this.log.insertBefore(this.divider, el);
  }

  clearDivider() {
    if (this.divider) this.divider.remove();
    this.divider = null;
  }

  // ---------------------------------------------------------------- typing

  setTyping(nick) {
    clearTimeout(this.typing.get(nick));
    this.typing.set(
      nick,
      setTimeout(() => this.clearTyping(nick), TYPING_TTL_MS),
    );
    this.renderTyping();
  }

  clearTyping(nick) {
    if (!this.typing.has(nick)) return;
    clearTimeout(this.typing.get(nick));
    this.typing.delete(nick);
    this.renderTyping();
  }

  renderTyping() {
    const nicks = [...this.typing.keys()];
    if (!nicks.length) this.typingLine.textContent = "";
    else if (nicks.length <= 2) this.typingLine.textContent = t("typing.names", { names: listNames(nicks), count: nicks.length });
    else this.typingLine.textContent = t("typing.many");
  }

  // ---------------------------------------------------------------- scrolling and history

  isAtBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  /** Remember where the reader was before the tab is hidden. */
  saveScroll() {
    this.savedScroll = { top: this.scroller.scrollTop, atBottom: this.isAtBottom() };
  }

  /** Back on the tab: show the new-message divider, else where they were, else the bottom. */
  restoreScroll() {
    const saved = this.savedScroll;
    this.savedScroll = null;
    if (this.divider) this.divider.scrollIntoView({ block: "center" });
    else if (saved && !saved.atBottom) this.scroller.scrollTop = saved.top;
    else this.scrollToBottom();
  }

  scrollToBottom(focus = false) {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jumpBtn.hidden = true;
    if (focus) this.input.focus();
  }

  onScroll() {
    if (this.isAtBottom()) this.jumpBtn.hidden = true;
    if (this.scroller.scrollTop < NEAR_TOP_PX && this.conv.more && !this.conv.loadingOlder && !this.root.hidden) {
      this.chat.loadOlder(this.conv);
    }
  }

  setHistoryState() {
    const conv = this.conv;
    this.loadMoreBtn.hidden = !conv.more;
    this.loadMoreBtn.disabled = Boolean(conv.loadingOlder);
    this.loadMoreBtn.textContent = conv.loadingOlder ? t("conv.loading") : t("conv.load_older");
    this.updateEmpty();
  }

  updateEmpty() {
    const empty = !this.log.querySelector(".msg") && !this.conv.more && !this.conv.loadingOlder;
    this.emptyNote.hidden = !empty;
    if (empty) {
      this.emptyNote.textContent = this.conv.kind === "dm" ? t("conv.empty_dm", { nick: this.conv.peer?.nick || "" }) : t("conv.empty_room");
    }
  }

  // ---------------------------------------------------------------- composer

  setReply(reply) {
    this.replyTo = reply;
    this.replyBox.hidden = !reply;
    if (reply) {
      const excerpt = [...reply.excerpt].slice(0, 80).join("");
      replaceChildren(this.replyText, t("composer.replying_to", { nick: reply.nick }), " ", h("q", { text: excerpt }));
      this.input.focus();
    }
  }

  onInput() {
    const input = this.input;
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 180)}px`;
    this.updateCounter();
    const now = Date.now();
    if (input.value.trim() && now - this.lastTypingSent > TYPING_SEND_EVERY_MS) {
      this.lastTypingSent = now;
      this.chat.sendTyping(this.conv);
    }
  }

  updateCounter() {
    const max = this.chat.limits.max_message_chars || 1000;
    const len = codePoints(this.input.value);
    const remaining = max - len;
    const near = len >= Math.floor(max * 0.8);
    this.counter.hidden = !near;
    this.counter.textContent = !near ? "" : remaining < 0 ? t("composer.over", { count: -remaining }) : t("composer.remaining", { count: remaining });
    this.counter.classList.toggle("over", remaining < 0);
    this.sendBtn.disabled = remaining < 0;
    this.input.setAttribute("aria-invalid", remaining < 0 ? "true" : "false");
  }

  onSubmit(e) {
    e.preventDefault();
    const att = this.attachment;
    if (att && att.state === "uploading") {
      this.setAttachState(t("pic.wait_upload"));
      return;
    }
    const media = att && att.state === "ready" ? att.media : null;
    const text = this.input.value;
    if (!text.trim() && !media) return;
    const max = this.chat.limits.max_message_chars || 1000;
    if (codePoints(text) > max) return;
    this.chat.sendText(this.conv, text.trim() ? text : "", this.replyTo, media ? { media, localUrl: att.localUrl } : null);
    if (media) this.clearAttachment({ keepUrl: true });
    this.lastTypingSent = 0; // the next keystroke starts a new "is typing"
    this.input.value = "";
    this.input.style.height = "";
    this.setReply(null);
    this.updateCounter();
    this.clearDivider();
    this.input.focus();
  }

  // ---------------------------------------------------------------- pictures in the composer

  async chooseFile() {
    const refusal = await this.chat.picturesRefusal();
    if (refusal) {
      this.showAttachError(refusal);
      return;
    }
    this.fileInput.value = "";
    this.fileInput.click();
  }

  async onFileChosen() {
    const file = this.fileInput.files && this.fileInput.files[0];
    this.fileInput.value = "";
    if (!file) return;
    const status = await this.chat.picturesStatus();
    const refusal = checkFile(file, status);
    if (refusal) {
      this.showAttachError(refusal);
      return;
    }
    this.clearAttachment();
    const att = { file, localUrl: URL.createObjectURL(file), state: "uploading", media: null };
    this.attachment = att;
    this.renderAttachment();
    try {
      const media = await uploadPicture(file, this.conv.kind === "dm");
      if (this.attachment !== att) return;
      att.media = { id: media.id, width: media.width, height: media.height, url: media.url, thumb: media.thumb };
      att.state = "ready";
    } catch (err) {
      if (this.attachment !== att) return;
      att.state = "failed";
      att.error = err.code === "network" ? t("error.upload_failed") : pictureErrorText(err.code, err.message, err.until ?? null, err.retryAfter);
      if (err.code === "pictures_disabled") this.chat.forgetPicturesStatus();
    }
    this.renderAttachment();
  }

  renderAttachment() {
    const att = this.attachment;
    this.attachBox.hidden = !att;
    this.attachBox.classList.toggle("failed", Boolean(att && att.state === "failed"));
    if (!att) {
      this.attachBox.replaceChildren();
      return;
    }
    const stateText = att.state === "uploading" ? t("pic.uploading") : att.state === "ready" ? t("pic.ready") : att.error;
    replaceChildren(
      this.attachBox,
      h("img", { class: "attach-thumb", src: att.localUrl, alt: "", width: 48, height: 48 }),
      h("span", { class: "attach-state", text: stateText, attrs: att.state === "failed" ? { role: "alert" } : {} }),
      h("button", {
        type: "button",
        class: "btn ghost small icon",
        text: "×",
        attrs: { "aria-label": t("pic.remove") },
        title: t("pic.remove"),
        on: { click: () => (this.clearAttachment(), this.input.focus()) },
      }),
    );
    this.attachBox.dataset.state = att.state;
  }

  setAttachState(text) {
    const el = this.attachBox.querySelector(".attach-state");
    if (el) el.textContent = text;
  }

  showAttachError(text) {
    this.clearAttachment();
    this.attachBox.hidden = false;
    this.attachBox.classList.add("failed");
    this.attachBox.dataset.state = "refused";
    replaceChildren(
      this.attachBox,
      h("span", { class: "attach-state", text, attrs: { role: "alert" } }),
      h("button", {
        type: "button",
        class: "btn ghost small icon",
        text: "×",
        attrs: { "aria-label": t("common.close") },
        on: { click: () => (this.clearAttachment(), this.input.focus()) },
      }),
    );
  }

  clearAttachment({ keepUrl = false } = {}) {
    const att = this.attachment;
    if (att && att.localUrl && !keepUrl) URL.revokeObjectURL(att.localUrl);
    this.attachment = null;
    this.attachBox.hidden = true;
    this.attachBox.classList.remove("failed");
    this.attachBox.replaceChildren();
  }

  // ---------------------------------------------------------------- safety nudge

  /** A kind, dismissible safety card: someone proposes a risky meet-up in this conversation. */
  showNudge(ev) {
    if (ev.kind !== "meetup_safety") return;
    const nick = ev.from || ev.peer || this.conv.peer?.nick || "";
    const titleId = `${this.domId}-nudge-title`;
    const card = h(
      "section",
      { class: "nudge-card", attrs: { role: "region", "aria-labelledby": titleId }, dataset: { kind: ev.kind } },
      h("h3", { id: titleId }, h("span", { class: "nudge-icon", attrs: { "aria-hidden": "true" } }, h("span", { text: "i" })), t("nudge.title")),
      h("p", { text: nick ? t("nudge.intro", { nick }) : t("nudge.intro_plain") }),
      h(
        "ul",
        {},
        h("li", { text: t("nudge.public_place") }),
        h("li", { text: t("nudge.tell_friend") }),
        h("li", { text: t("nudge.no_cash") }),
        h("li", { text: t("nudge.report") }),
      ),
      h("p", { class: "small muted", text: t("nudge.emergency") }),
      h(
        "div",
        { class: "btn-row" },
        h("button", {
          type: "button",
          class: "btn danger small",
          text: t("nudge.report_btn"),
          attrs: { "aria-haspopup": "dialog" },
          on: { click: () => this.chat.reportUser(this.conv.peer || { nick }, "violence_threat_ambush") },
        }),
        h("button", { type: "button", class: "btn small", text: t("nudge.dismiss"), on: { click: () => this.dismissNudge() } }),
      ),
    );
    const atBottom = this.isAtBottom();
    replaceChildren(this.nudgeBox, card);
    this.nudge = ev;
    if (atBottom || this.root.hidden) this.scrollToBottom();
    else this.jumpBtn.hidden = false;
  }

  dismissNudge() {
    const hadFocus = this.nudgeBox.contains(document.activeElement);
    this.nudgeBox.replaceChildren();
    this.nudge = null;
    if (hadFocus) this.scroller.focus();
  }

  // ---------------------------------------------------------------- language change

  relocalize() {
    applyStatic(this.root);
    this.scroller.setAttribute("aria-label", t("conv.messages"));
    this.composer.setAttribute("aria-label", t("composer.label"));
    for (const el of this.root.querySelectorAll("time.ts")) {
      const ts = Number(el.dataset.ts);
      el.textContent = shortTime(ts);
      el.title = timeTitle(ts, el.dataset.seq ? Number(el.dataset.seq) : null);
    }
    for (const el of this.root.querySelectorAll(".msg.pending:not(.failed) .msg-status")) el.textContent = t("msg.sending");
    if (this.presenceGroup) this.renderPresence(this.presenceGroup);
    this.refreshHeader();
    this.refreshRequest();
    this.renderTyping();
    this.setHistoryState();
    this.updateCounter();
    if (this.replyTo) this.setReply(this.replyTo);
    if (this.nudge) this.showNudge(this.nudge);
    if (this.attachment) this.renderAttachment();
    for (const el of this.root.querySelectorAll(".msg-report")) {
      const msg = el.closest(".msg");
      const nick = msg?.querySelector(".nick")?.textContent || "";
      el.setAttribute("aria-label", t("msg.report_label", { nick }));
    }
  }
}

/** A message time's tooltip: the full date, and the message's number in its room. */
function timeTitle(ts, seq) {
  return seq ? `${longTime(ts)} · ${t("msg.number", { seq })}` : longTime(ts);
}

/** A small picture icon (built with the DOM, no markup parsing). */
function pictureIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "22");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const frame = document.createElementNS(ns, "rect");
  for (const [k, v] of Object.entries({ x: "3", y: "4", width: "18", height: "16", rx: "2.5", fill: "none", stroke: "currentColor", "stroke-width": "2" })) frame.setAttribute(k, v);
  const sun = document.createElementNS(ns, "circle");
  for (const [k, v] of Object.entries({ cx: "9", cy: "9.5", r: "1.8", fill: "currentColor" })) sun.setAttribute(k, v);
  const hill = document.createElementNS(ns, "path");
  for (const [k, v] of Object.entries({ d: "M4 18l5-5 3 3 3-4 5 6", fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linejoin": "round" })) hill.setAttribute(k, v);
  svg.append(frame, sun, hill);
  return svg;
}
