// The chat controller: owns the state (open conversations, private conversations, pending sends),
// drives the WebSocket, and tells the views what changed.
//
//   Chat ── Connection (ws.js)         hello/welcome, reconnect, frames
//        ├─ ConversationView × n       one per open room / private conversation
//        ├─ Directory                  room list, search, create-room dialog
//        ├─ MembersPanel               members of the active room, filters, member card
//        └─ Sidebar                    private conversations, requests, friends
import { $, h, replaceChildren } from "./dom.js";
import { get, post, put, del, seg } from "./api.js";
import { t, errorText, getLang } from "./i18n.js";
import { Connection } from "./ws.js";
import { ConversationView } from "./conversation.js";
import { Directory } from "./directory.js";
import { MembersPanel } from "./members.js";
import { Sidebar } from "./sidebar.js";
import { toast, keepFocus } from "./ui.js";
import { memberLine, randomId, sameNick, shortTime } from "./format.js";
import { showStatement, appealDecided, showMuted, hideSanction, showSafetyLevel } from "./decisions.js";
import { reportDialog, reportAcknowledged, reportDecided } from "./report.js";
import { mediaStatus, pictureErrorText } from "./pictures.js";
import { ModConsole, MOD_KEY } from "./console.js";

const DEFAULT_LIMITS = { max_message_chars: 1000, max_rooms_joined: 20, history_page_max: 100 };
const PAGE = 50;
const TABS_KEY = "causerie.tabs";
// Refusals that sending again cannot cure: the text must change, or the sanction end.
const NO_RETRY = new Set(["message_blocked", "muted", "banned", "kicked", "room_closed", "room_locked", "pictures_disabled", "media_not_found", "blocked", "dm_refused", "emergency_dms_off", "message_too_long", "message_empty", "privilege_locked", "repeated_message"]);

function readJSON(storage, key, fallback) {
  try {
    const raw = storage.getItem(key);
    return raw ? JSON.parse(raw) : fallback;
  } catch {
    return fallback;
  }
}

function writeJSON(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage unavailable: not essential */
  }
}

export class Chat {
  constructor({ me, registered, meta, onSignedOut, onBanned, onShowDecisions }) {
    this.me = me;
    this.registered = registered;
    this.meta = meta;
    this.onSignedOut = onSignedOut;
    this.onBanned = onBanned || (() => onSignedOut(errorText("banned")));
    this.onShowDecisions = onShowDecisions || null;
    this.roles = { roles: [], owned_rooms: [], moderated_rooms: [] };
    this.banUntil = undefined; // from a `banned` error: ms, or null (permanent)
    this.pendingNudges = new Map(); // DM slug → nudge event that came before its conversation
    this.mediaState = null; // GET /api/v1/media/status, when known
    this.limits = { ...DEFAULT_LIMITS, ...(meta.limits || {}) };
    this.convs = new Map(); // key (slug, or "to:<nick>" before a new DM has its slug) → conv
    this.tabs = []; // keys of open tabs, in order
    this.active = null; // key of the shown conversation, null = room directory
    this.lastConv = null;
    this.pending = new Map(); // client_id → {key, text, reply, state: queued|sent|failed}
    this.refs = new Map(); // ref → {kind: join|history, key}
    this.blocked = new Set(); // lower-cased nicknames
    this.blockedList = [];
    this.friends = { friends: [], incoming: [], outgoing: [] };
    this.wasConnected = false;
    this.root = $("#chat");
    this.panes = $("#panes");
    this.tabList = $("#tabs");
    this.banner = $("#conn-banner");
    this.directory = new Directory(this);
    this.membersPanel = new MembersPanel(this);
    this.sidebar = new Sidebar(this);
    this.modConsole = new ModConsole(this);
    this.reporter = reportDialog();
    this.conn = new Connection({
      hello: () => ({ type: "hello", v: 1, lang: getLang() }),
      onEvent: (ev) => this.onEvent(ev),
      onState: (state, info) => this.onConnState(state, info),
    });
    this._bound = {
      retry: () => this.conn.retryNow(),
      visibility: () => {
        if (!document.hidden) this.markActiveRead();
        this.updateTitle();
      },
    };
  }

  // ==================================================================== lifecycle

  async start() {
    const saved = readJSON(sessionStorage, TABS_KEY, {});
    $("#conn-retry").addEventListener("click", this._bound.retry);
    document.addEventListener("visibilitychange", this._bound.visibility);
    for (const btn of document.querySelectorAll("#phone-nav [data-pane]")) {
      btn.onclick = () => this.phoneNav(btn.dataset.pane);
    }
    this.root.classList.remove("members-hidden");
    this.tabList.onkeydown = (e) => this.onTabKey(e);
    this.renderTabs();
    this.activate(null, { focus: false });
    this.setPane("main");
    this.updateAccountButton();
    const jobs = [this.directory.load(), this.loadBlocks(), this.loadFriends(), this.loadRoles(), this.loadSafety(), this.picturesStatus()];
    for (const tab of Array.isArray(saved.tabs) ? saved.tabs : []) {
      if (tab && tab.kind === "room" && typeof tab.slug === "string") this.openRoom(tab.slug, null, { focus: false, activate: false });
    }
    if (typeof saved.active === "string" && this.convs.has(saved.active)) this.activate(saved.active, { focus: false });
    this.conn.start();
    await Promise.allSettled(jobs);
  }

  stop() {
    this.conn.stop();
    $("#conn-retry").removeEventListener("click", this._bound.retry);
    document.removeEventListener("visibilitychange", this._bound.visibility);
    for (const conv of this.convs.values()) conv.view.root.remove();
    this.convs.clear();
    this.tabs = [];
    this.pending.clear();
    this.banner.hidden = true;
    this.membersPanel.close();
    this.modConsole.destroy();
    hideSanction();
    for (const d of document.querySelectorAll("dialog[open]")) d.close();
    document.title = "Causerie";
  }

  async signOut() {
    try {
      await del("/api/v1/session");
    } catch {
      /* the session may already be gone */
    }
    this.stop();
    this.onSignedOut(null);
  }

  sessionEnded() {
    this.stop();
    this.onSignedOut(t("entry.session_ended"));
  }

  // ==================================================================== connection state

  onConnState(state, info) {
    this.connState = state;
    this.connInfo = info;
    const status = $("#conn-status");
    if (state === "open") {
      this.banner.hidden = true;
      status.dataset.state = "online";
      status.textContent = t("conn.online");
      return;
    }
    if (state === "closed") {
      if (info.code === 4001) this.sessionEnded();
      else if (info.code === 4003) {
        const until = this.banUntil;
        this.stop();
        this.onBanned(until);
      } else this.showBanner(t("conn.fatal"), false);
      return;
    }
    status.dataset.state = "offline";
    status.textContent = t("conn.offline");
    if (!this.wasConnected && state === "connecting") return; // first connection: no alarm yet
    if (state === "waiting" && info.delay) {
      const secs = Math.max(1, Math.round(info.delay / 1000));
      this.showBanner(this.wasConnected ? t("conn.lost", { count: secs }) : t("conn.cannot", { count: secs }), true);
    } else {
      this.showBanner(t("conn.reconnecting"), false);
    }
  }

  showBanner(text, canRetry) {
    $("#conn-text").textContent = text;
    $("#conn-retry").hidden = !canRetry;
    this.banner.hidden = false;
  }

  // ==================================================================== events

  onEvent(ev) {
    switch (ev.type) {
      case "welcome":
        return this.onWelcome(ev);
      case "joined":
        return this.onJoined(ev);
      case "left":
        return;
      case "message":
        return this.onMessage(ev);
      case "ack":
        return this.onAck(ev);
      case "history":
        return this.onHistory(ev);
      case "presence":
        return this.onPresence(ev);
      case "typing":
        return this.onTyping(ev);
      case "mention":
        return this.onMention(ev);
      case "counts":
        return this.directory.updateCounts(ev.rooms || {});
      case "dm_request":
        return this.onDmInfo(ev.room, true);
      case "dm_state":
        return this.onDmInfo(ev.room, false);
      case "friend":
        return this.onFriend(ev);
      case "notice":
        if (ev.code === "appeal_filed") {
          return toast(t("mc.appeal_filed"), "info", { action: { label: t("nudge.see"), onClick: () => (this.activate(MOD_KEY), this.modConsole.show("appeals")) } });
        }
        if (ev.code === "sanction_lifted") hideSanction();
        return toast(errorText(ev.code, ev.message), "info", { sticky: ev.code === "sanction_lifted" });
      case "removed":
        return this.onRemoved(ev);
      case "kicked":
        return this.onKicked(ev);
      case "room_state":
        return this.onRoomState(ev);
      case "statement":
        if (ev.kind === "ban") this.banUntil = typeof ev.until === "number" ? ev.until : null; // the socket closes next (4003)
        if (ev.kind === "mute") showMuted(typeof ev.until === "number" ? ev.until : null, this.onShowDecisions ? () => this.onShowDecisions("statements") : null, ev.scope || "");
        return showStatement(ev);
      case "report_ack":
        return reportAcknowledged(ev.report, ev.message);
      case "report_outcome":
        return reportDecided(ev, this.onShowDecisions ? () => this.onShowDecisions("reports") : null);
      case "appeal_decided":
        if (ev.status === "reversed") hideSanction();
        return appealDecided(ev, this.onShowDecisions ? () => this.onShowDecisions("statements") : null);
      case "safety_level":
        return this.onSafetyLevel(ev);
      case "case":
        return this.modConsole.onCase(ev);
      case "nudge":
        return this.onNudge(ev);
      case "error":
        return this.onError(ev);
      default:
        return; // pong and future events
    }
  }

  onWelcome(ev) {
    this.me = ev.me || this.me;
    this.limits = { ...this.limits, ...(ev.limits || {}) };
    const reconnect = this.wasConnected;
    this.wasConnected = true;
    this.updateAccountButton();
    for (const conv of this.convs.values()) {
      conv.joined = false;
      conv.joinRef = null;
      conv.loadingOlder = false;
    }
    this.refs.clear();
    for (const conv of this.convs.values()) if (conv.kind === "room") this.sendJoin(conv);
    this.flushPending((conv) => conv.kind !== "room");
    this.refreshDms({ resume: reconnect });
    if (reconnect) {
      this.directory.load();
      this.loadFriends();
    }
    for (const conv of this.convs.values()) conv.view.setHistoryState();
  }

  sendJoin(conv) {
    if (conv.joinRef && this.refs.has(conv.joinRef)) return;
    const ref = randomId("j");
    conv.joinRef = ref;
    this.refs.set(ref, { kind: "join", key: conv.key });
    const frame = { type: "join", room: conv.slug, ref };
    if (conv.hasJoined) frame.since = conv.seenSeq;
    this.conn.send(frame);
  }

  onJoined(ev) {
    const info = ev.room || {};
    const pend = ev.ref ? this.refs.get(ev.ref) : null;
    if (ev.ref) this.refs.delete(ev.ref);
    const conv = (pend && this.convs.get(pend.key)) || this.convs.get(info.slug);
    if (!conv) return;
    conv.joinRef = null;
    if (conv.kind === "room") {
      conv.info = { ...(conv.info || {}), ...info };
      conv.members = new Map((ev.members || []).map((m) => [m.nick, m]));
      this.directory.upsert(conv.info);
    }
    conv.joined = true;
    if (!conv.hasJoined) {
      conv.hasJoined = true;
      conv.seenSeq = Math.max(conv.seenSeq, ev.last_seq || 0);
      conv.more = (ev.last_seq || 0) > 0;
      if (conv.more) this.requestHistory(conv, (ev.last_seq || 0) + 1);
    }
    conv.view.refreshHeader();
    conv.view.setHistoryState();
    if (this.active === conv.key) this.membersPanel.render();
    this.renderTabs();
    this.flushPending((c) => c === conv);
  }

  requestHistory(conv, before) {
    if (!this.conn.isOpen || !conv.slug) return;
    const ref = randomId("h");
    this.refs.set(ref, { kind: "history", key: conv.key });
    conv.loadingOlder = true;
    const frame = { type: "history", room: conv.slug, limit: Math.min(PAGE, this.limits.history_page_max || PAGE), ref };
    if (before) frame.before = before;
    this.conn.send(frame);
    conv.view.setHistoryState();
  }

  loadOlder(conv) {
    if (!conv.more || conv.loadingOlder) return;
    const oldest = conv.view.oldestSeq;
    this.requestHistory(conv, oldest ?? conv.seenSeq + 1);
  }

  onHistory(ev) {
    const conv = this.convs.get(ev.room);
    if (ev.ref) {
      const pend = this.refs.get(ev.ref);
      this.refs.delete(ev.ref);
      const target = pend ? this.convs.get(pend.key) : conv;
      if (target) {
        target.loadingOlder = false;
        target.more = Boolean(ev.more);
        target.initialLoaded = true;
      }
    }
    if (!conv) return;
    const messages = (ev.messages || []).filter((m) => m && typeof m.seq === "number");
    if (ev.resume && ev.more) {
      // More was missed than one resume holds: drop what we had, page back from here.
      conv.view.reset();
      conv.more = true;
    }
    const visible = messages.filter((m) => !this.isBlocked(m.author));
    const added = conv.view.insertMessages(visible);
    for (const m of messages) conv.seenSeq = Math.max(conv.seenSeq, m.seq);
    if (ev.resume) for (const m of added) this.countUnread(conv, m);
    conv.view.setHistoryState();
    this.renderTabs();
    this.sidebar.render();
  }

  onMessage(m) {
    let conv = this.convs.get(m.room);
    if (!conv && typeof m.room === "string" && m.room.startsWith("dm-")) {
      conv = this.dmFromMessage(m);
    }
    if (!conv) return;
    conv.seenSeq = Math.max(conv.seenSeq, m.seq);
    conv.lastTs = Math.max(conv.lastTs || 0, m.ts || 0);
    if (conv.kind === "dm") conv.lastText = m.text || (m.media ? t("pic.reply_excerpt") : "");
    if (this.isBlocked(m.author)) return;
    const added = conv.view.insertMessages([m]);
    if (m.author.id !== this.me.id) conv.view.clearTyping(m.author.nick);
    for (const msg of added) this.countUnread(conv, msg);
    if (conv.kind === "dm") this.sidebar.render();
  }

  countUnread(conv, m) {
    if (m.author.id === this.me.id) {
      if (conv.kind === "dm" && !conv.unread) this.setLastRead(conv, m.seq);
      return;
    }
    if (this.isVisible(conv)) {
      if (conv.kind === "dm") this.setLastRead(conv, m.seq);
      return;
    }
    conv.unread = (conv.unread || 0) + 1;
    if (conv.unread === 1) conv.view.showDivider(m.seq);
    if ((m.mentions || []).some((n) => sameNick(n, this.me.nick))) conv.mentioned = true;
    this.renderTabs();
    this.sidebar.render();
    this.updateTitle();
  }

  isVisible(conv) {
    return this.active === conv.key && !document.hidden;
  }

  onAck(ev) {
    const p = this.pending.get(ev.ref);
    if (!p) return;
    this.pending.delete(ev.ref);
    let conv = this.convs.get(p.key);
    if (conv && !conv.slug) conv = this.promoteDraft(conv, ev.room);
    if (!conv) conv = this.convs.get(ev.room);
    if (!conv) return;
    const provisional = {
      room: ev.room,
      seq: ev.seq,
      id: ev.id,
      ts: ev.ts,
      author: this.me,
      text: p.text,
      reply: p.reply ? { seq: p.reply.seq, nick: p.reply.nick, excerpt: [...p.reply.excerpt].slice(0, 80).join("") } : undefined,
      mentions: [],
      media: p.media || undefined,
      localUrl: p.localUrl || null,
      provisional: true,
    };
    conv.view.ackPending(ev.ref, ev, provisional);
    conv.lastTs = Math.max(conv.lastTs || 0, ev.ts || 0);
    if (conv.kind === "dm") {
      conv.lastText = p.text || (p.media ? t("pic.reply_excerpt") : "");
      if (!conv.unread) this.setLastRead(conv, ev.seq);
      this.sidebar.render();
    }
  }

  onError(ev) {
    const text = errorText(ev.code, ev.message);
    if (ev.code === "not_authenticated") return this.sessionEnded();
    if (ev.code === "banned") {
      // The socket closes next (4003): remember until when (absent: permanent).
      this.banUntil = typeof ev.until === "number" ? ev.until : null;
      return;
    }
    if (ev.code === "muted") showMuted(typeof ev.until === "number" ? ev.until : null, this.onShowDecisions ? () => this.onShowDecisions("statements") : null);
    if (ev.ref && this.pending.has(ev.ref)) return this.failSend(ev.ref, ev);
    const pend = ev.ref ? this.refs.get(ev.ref) : null;
    if (pend) {
      this.refs.delete(ev.ref);
      const conv = this.convs.get(pend.key);
      if (pend.kind === "join" && conv) {
        conv.joinRef = null;
        const until = typeof ev.until === "number" ? ` (${t("mod.until", { time: shortTime(ev.until) })})` : "";
        toast(`${conv.info?.name || conv.slug} : ${text}${until}`, "error");
        if (!conv.hasJoined) this.removeConv(conv);
        return;
      }
      if (pend.kind === "history" && conv) {
        conv.loadingOlder = false;
        conv.more = false;
        conv.view.setHistoryState();
        return;
      }
    }
    if (ev.code === "muted") return;
    if (ev.code === "bad_frame") console.warn("server refused a frame:", ev.message);
    let shown = ev.code === "pictures_disabled" ? pictureErrorText(ev.code, ev.message, ev.until ?? null, ev.retry_after) : text;
    if (ev.until && ev.code !== "pictures_disabled") shown += ` (${t("mod.until", { time: shortTime(ev.until) })})`;
    toast(ev.retry_after && ev.code !== "pictures_disabled" ? `${shown} (${t("common.retry_in", { count: Math.ceil(ev.retry_after) })})` : shown, "error");
  }

  // ==================================================================== moderation, safety

  async loadRoles() {
    try {
      const data = await get("/api/v1/me/roles");
      this.roles = { roles: data.roles || [], owned_rooms: data.owned_rooms || [], moderated_rooms: data.moderated_rooms || [] };
    } catch {
      return;
    }
    this.modConsole.rolesChanged();
    this.renderTabs();
  }

  get isStaff() {
    const r = this.roles;
    return r.roles.length > 0 || r.owned_rooms.length > 0 || r.moderated_rooms.length > 0;
  }

  get isGlobalStaff() {
    return this.roles.roles.length > 0;
  }

  get isAdmin() {
    return this.roles.roles.includes("admin");
  }

  async loadSafety() {
    try {
      const data = await get("/api/v1/safety");
      showSafetyLevel(data.level);
      this.safetyLevel = data.level;
    } catch {
      /* the banner stays as it was */
    }
  }

  onSafetyLevel(ev) {
    this.safetyLevel = ev.level;
    showSafetyLevel(ev.level);
    if (ev.level >= 2) this.forgetPicturesStatus();
    this.modConsole.onSafetyLevel(ev.level);
  }

  /** A safety nudge: someone proposes a risky meet-up in a private conversation. */
  onNudge(ev) {
    if (typeof ev.room !== "string") return;
    const conv = this.convs.get(ev.room);
    const nick = ev.from || ev.peer || conv?.peer?.nick || "";
    if (conv) conv.view.showNudge(ev);
    else {
      this.pendingNudges.set(ev.room, ev);
      clearTimeout(this._dmRefresh);
      this._dmRefresh = setTimeout(() => this.refreshDms(), 100);
    }
    if (!conv || !this.isVisible(conv)) {
      toast(t("nudge.toast", { nick }), "info", {
        sticky: true,
        action: {
          label: t("nudge.see"),
          onClick: () => {
            const c = this.convs.get(ev.room);
            if (c) (this.openConv(c), this.setPane("main"));
          },
        },
      });
    }
  }

  // Reports: what each "Report" button reports.

  reportMessage(conv, m) {
    const what = m.media && !m.text ? t("report.what_picture", { nick: m.author.nick }) : t("report.what_message", { nick: m.author.nick });
    this.reporter.open({ message_id: m.id }, what, m.text || "");
  }

  reportUser(member, category = null) {
    if (!member || !member.nick) return;
    this.reporter.open({ user: member.nick }, t("report.what_user", { nick: member.nick }), "", category);
  }

  reportRoom(slug, name) {
    this.reporter.open({ room: slug }, t("report.what_room", { name: name || slug }));
  }

  reportConv(conv) {
    if (conv.kind === "dm") this.reportUser(conv.peer);
    else this.reportRoom(conv.slug, conv.info?.name);
  }

  // Pictures: may I send one now?

  async picturesStatus() {
    if (this.mediaState && !(this.mediaState.allowed === false && this.mediaState.unlock_at && this.mediaState.unlock_at <= Date.now())) return this.mediaState;
    this.mediaState = await mediaStatus();
    return this.mediaState;
  }

  forgetPicturesStatus() {
    this.mediaState = null;
  }

  /** Why pictures cannot be sent now (text), or null. */
  async picturesRefusal() {
    const status = await this.picturesStatus();
    if (status && status.allowed === false) return pictureErrorText("pictures_disabled", "", status.unlock_at ?? null);
    return null;
  }

  /** A moderator removed a message: it leaves the view (and the reply quotes stay as text). */
  onRemoved(ev) {
    const conv = this.convs.get(ev.room);
    if (conv) conv.view.removeMessage(ev.seq);
  }

  onKicked(ev) {
    const conv = this.convs.get(ev.room);
    const name = conv?.info?.name || ev.room;
    const text = ev.until ? t("mod.kicked_until", { room: name, time: shortTime(ev.until) }) : t("mod.kicked", { room: name });
    toast(text, "error", { sticky: true });
    if (conv) {
      const tabIndex = this.tabs.indexOf(conv.key);
      this.removeConv(conv);
      if (tabIndex >= 0) this.directory.render();
    }
  }

  onRoomState(ev) {
    const conv = this.convs.get(ev.room);
    if (!conv) return;
    conv.roomState = ev;
    conv.view.refreshHeader();
  }

  onPresence(ev) {
    const conv = this.convs.get(ev.room);
    if (!conv || conv.kind !== "room" || !ev.member) return;
    if (ev.action === "join") conv.members.set(ev.member.nick, ev.member);
    else conv.members.delete(ev.member.nick);
    if (ev.member.id !== this.me.id && !this.isBlocked(ev.member)) conv.view.addPresence(ev.action, ev.member);
    if (ev.action === "leave") conv.view.clearTyping(ev.member.nick);
    conv.view.refreshHeader();
    if (this.active === conv.key) this.membersPanel.scheduleRender();
  }

  onTyping(ev) {
    const conv = this.convs.get(ev.room);
    if (!conv || !ev.nick || sameNick(ev.nick, this.me.nick) || this.blocked.has(ev.nick.toLocaleLowerCase())) return;
    conv.view.setTyping(ev.nick);
  }

  onMention(ev) {
    const conv = this.convs.get(ev.room);
    if (!conv || this.isVisible(conv)) return;
    conv.mentioned = true;
    this.renderTabs();
    toast(t("mention.toast", { nick: ev.by, room: conv.info?.name || conv.slug }));
  }

  // ==================================================================== sending

  sendText(conv, text, reply, picture = null) {
    const clientId = randomId("c");
    const p = { key: conv.key, text, reply: reply || null, state: "queued", media: picture ? picture.media : null, localUrl: picture ? picture.localUrl : null };
    this.pending.set(clientId, p);
    conv.view.addPending({
      clientId,
      text,
      reply: reply ? { seq: reply.seq, nick: reply.nick, excerpt: [...reply.excerpt].slice(0, 80).join("") } : null,
      media: p.media,
      localUrl: p.localUrl,
    });
    this.trySend(clientId, p);
  }

  frameFor(clientId, p) {
    const conv = this.convs.get(p.key);
    if (!conv) return null;
    const frame = { type: "send", client_id: clientId, text: p.text };
    if (conv.slug) frame.room = conv.slug;
    else frame.to = conv.peer.nick;
    if (p.reply) frame.reply_to = p.reply.seq;
    if (p.media) frame.media = p.media.id;
    return frame;
  }

  trySend(clientId, p) {
    const conv = this.convs.get(p.key);
    if (!conv) return;
    if (conv.kind === "room" && !conv.joined) return; // sent after `joined`
    const frame = this.frameFor(clientId, p);
    if (frame && this.conn.send(frame)) p.state = "sent";
  }

  /** Resend every unacknowledged message (same client_id) of the conversations `which` selects. */
  flushPending(which) {
    for (const [clientId, p] of this.pending) {
      if (p.state === "failed") continue;
      const conv = this.convs.get(p.key);
      if (conv && which(conv)) this.trySend(clientId, p);
    }
  }

  failSend(clientId, ev) {
    const p = this.pending.get(clientId);
    const conv = p && this.convs.get(p.key);
    if (!p || !conv) return;
    let text = ev.code === "pictures_disabled" ? pictureErrorText(ev.code, ev.message, ev.until ?? null, ev.retry_after) : errorText(ev.code, ev.message);
    if (ev.until && ev.code !== "pictures_disabled") text += ` (${t("mod.until", { time: shortTime(ev.until) })})`;
    else if (ev.code === "muted" && !ev.until) text += ` (${t("mod.permanent")})`;
    if ((ev.code === "rate_limited" || ev.code === "slow_mode") && (p.autoRetries || 0) < 3) {
      // Refused, so not stored: try again by itself once the server allows it.
      p.autoRetries = (p.autoRetries || 0) + 1;
      p.state = "queued";
      const wait = Math.max(0.5, Number(ev.retry_after) || 1);
      conv.view.markSending(clientId, `${text} (${t("common.retry_in", { count: Math.ceil(wait) })})`);
      setTimeout(() => {
        if (this.pending.get(clientId) !== p) return;
        conv.view.markSending(clientId);
        this.trySend(clientId, p);
      }, wait * 1000);
      return;
    }
    p.state = "failed";
    if (ev.retry_after && ev.code !== "pictures_disabled") text += ` (${t("common.retry_in", { count: Math.ceil(ev.retry_after) })})`;
    if (ev.code === "pictures_disabled") this.forgetPicturesStatus();
    const retry = !NO_RETRY.has(ev.code);
    conv.view.failPending(clientId, text, {
      onRetry: retry
        ? () => {
            // A refused message was not stored: send it again under a fresh id.
            this.pending.delete(clientId);
            conv.view.removePending(clientId);
            this.sendText(conv, p.text, p.reply, p.media ? { media: p.media, localUrl: p.localUrl } : null);
          }
        : null,
      onEdit:
        !retry && p.text
          ? () => {
              this.pending.delete(clientId);
              conv.view.removePending(clientId);
              conv.view.editText(p.text);
            }
          : null,
      onDiscard: () => {
        this.pending.delete(clientId);
        conv.view.removePending(clientId);
      },
    });
  }

  sendTyping(conv) {
    // Rooms only: the protocol does not say whether typing works in private conversations
    // (the server answers not_in_room for a DM slug that was not joined).
    if (conv.kind === "room" && conv.joined && this.conn.isOpen) this.conn.send({ type: "typing", room: conv.slug });
  }

  // ==================================================================== conversations and tabs

  newConv(key, fields) {
    const conv = {
      key,
      slug: null,
      kind: "room",
      info: null,
      peer: null,
      state: "accepted",
      members: new Map(),
      seenSeq: 0,
      hasJoined: false,
      joined: false,
      joinRef: null,
      more: false,
      loadingOlder: false,
      initialLoaded: false,
      unread: 0,
      mentioned: false,
      lastTs: 0,
      lastText: "",
      ...fields,
    };
    conv.view = new ConversationView(this, conv);
    this.panes.append(conv.view.root);
    this.convs.set(key, conv);
    if (conv.slug && this.pendingNudges.has(conv.slug)) {
      conv.view.showNudge(this.pendingNudges.get(conv.slug));
      this.pendingNudges.delete(conv.slug);
    }
    return conv;
  }

  openRoom(slug, info, { focus = true, activate = true } = {}) {
    let conv = this.convs.get(slug);
    if (!conv) {
      conv = this.newConv(slug, { slug, kind: "room", info: info || this.directory.rooms.get(slug) || { slug, name: slug } });
      conv.view.refreshHeader();
      if (this.conn.isOpen) this.sendJoin(conv);
    }
    if (!this.tabs.includes(slug)) this.tabs.push(slug);
    this.saveTabs();
    this.renderTabs();
    if (activate) this.activate(slug, { focus });
    this.directory.render();
  }

  openConv(conv, { focus = true } = {}) {
    if (!this.tabs.includes(conv.key)) this.tabs.push(conv.key);
    this.renderTabs();
    this.activate(conv.key, { focus });
  }

  closeTab(key) {
    const conv = this.convs.get(key);
    const i = this.tabs.indexOf(key);
    if (i >= 0) this.tabs.splice(i, 1);
    if (conv && conv.kind === "room") {
      if (this.conn.isOpen) this.conn.send({ type: "leave", room: conv.slug });
      this.removeConv(conv);
    } else if (conv && !conv.slug) {
      this.removeConv(conv);
    }
    if (this.active === key) {
      const next = this.tabs[Math.min(i, this.tabs.length - 1)] ?? null;
      this.activate(next, { focus: true });
    }
    this.saveTabs();
    this.renderTabs();
    this.directory.render();
  }

  removeConv(conv) {
    for (const [id, p] of this.pending) if (p.key === conv.key) this.pending.delete(id);
    conv.view.root.remove();
    this.convs.delete(conv.key);
    const i = this.tabs.indexOf(conv.key);
    if (i >= 0) this.tabs.splice(i, 1);
    if (this.active === conv.key) this.activate(null, { focus: false });
    if (this.lastConv === conv.key) this.lastConv = null;
    this.saveTabs();
    this.renderTabs();
    this.sidebar.render();
  }

  saveTabs() {
    const tabs = this.tabs.map((k) => this.convs.get(k)).filter((c) => c && c.kind === "room").map((c) => ({ kind: "room", slug: c.slug }));
    const activeConv = this.active && this.active !== MOD_KEY ? this.convs.get(this.active) : null;
    writeJSON(sessionStorage, TABS_KEY, { tabs, active: activeConv && activeConv.kind === "room" ? activeConv.slug : null });
  }

  /** Show conversation `key` (null: the room directory). */
  activate(key, { focus = true } = {}) {
    const prev = this.active ? this.convs.get(this.active) : null;
    if (prev && prev.key !== key) {
      prev.view.saveScroll();
      prev.view.clearDivider();
    }
    this.active = key;
    const isMod = key === MOD_KEY;
    const conv = key && !isMod ? this.convs.get(key) : null;
    this.directory.root.hidden = Boolean(conv) || isMod;
    this.modConsole.setVisible(isMod, { focus });
    for (const c of this.convs.values()) c.view.root.hidden = c !== conv;
    if (conv) {
      this.lastConv = conv.key;
      if (!conv.initialLoaded && conv.kind === "dm" && conv.slug && !conv.loadingOlder) {
        conv.more = true;
        this.requestHistory(conv, null);
      }
      conv.view.setHistoryState();
      conv.view.restoreScroll();
      this.markActiveRead();
      if (focus) conv.view.input.focus({ preventScroll: true });
    } else if (focus) {
      this.directory.focus();
    }
    this.saveTabs();
    this.root.classList.toggle("has-room", Boolean(conv && conv.kind === "room"));
    this.root.classList.toggle("has-conv", Boolean(conv));
    this.membersPanel.render();
    this.renderTabs();
    this.sidebar.render();
    this.updatePhoneNav();
  }

  markActiveRead() {
    const conv = this.active ? this.convs.get(this.active) : null;
    if (!conv || document.hidden) return;
    conv.unread = 0;
    conv.mentioned = false;
    if (conv.kind === "dm") this.setLastRead(conv, conv.seenSeq);
    this.renderTabs();
    this.sidebar.render();
    this.updateTitle();
  }

  updateTitle() {
    let total = 0;
    for (const c of this.convs.values()) total += c.unread || 0;
    document.title = total ? `(${total}) Causerie` : "Causerie";
  }

  renderTabs() {
    keepFocus(this.tabList, () => {
      const items = [];
      const dirTab = h("button", {
        type: "button",
        class: "tab-btn",
        id: "tab-directory",
        dataset: { key: "__directory" },
        attrs: { role: "tab", "aria-selected": this.active === null ? "true" : "false", "aria-controls": "directory" },
        tabIndex: this.active === null ? 0 : -1,
        on: { click: () => this.activate(null) },
      }, h("span", { class: "tab-label", text: t("tabs.directory") }));
      items.push(h("div", { class: "tab dir" + (this.active === null ? " active" : ""), attrs: { role: "presentation" } }, dirTab));
      if (this.isStaff) items.push(this.modConsole.tab(this.active === MOD_KEY));
      for (const key of this.tabs) {
        const conv = this.convs.get(key);
        if (!conv) continue;
        const selected = this.active === key;
        const label = conv.kind === "room" ? conv.info?.name || conv.slug : conv.peer?.nick || conv.info?.name || "";
        const badge = conv.unread ? h("span", { class: "badge" + (conv.mentioned ? " mention" : ""), text: conv.unread > 99 ? "99+" : String(conv.unread), attrs: { "aria-label": t("tabs.unread", { count: conv.unread }) } }) : null;
        const btn = h(
          "button",
          {
            type: "button",
            class: "tab-btn",
            id: `tab-${conv.view.domId}`,
            dataset: { key },
            attrs: { role: "tab", "aria-selected": selected ? "true" : "false", "aria-controls": conv.view.root.id },
            tabIndex: selected ? 0 : -1,
            on: { click: () => this.activate(key) },
          },
          h("span", { class: "tab-icon", attrs: { "aria-hidden": "true" }, text: conv.kind === "room" ? "#" : "@" }),
          h("span", { class: "tab-label", text: label }),
          badge,
        );
        const close = h("button", {
          type: "button",
          class: "tab-close",
          text: "×",
          dataset: { key },
          title: conv.kind === "room" ? t("tabs.leave", { name: label }) : t("tabs.close", { name: label }),
          attrs: { "aria-label": conv.kind === "room" ? t("tabs.leave", { name: label }) : t("tabs.close", { name: label }) },
          on: { click: () => this.closeTab(key) },
        });
        items.push(h("div", { class: "tab" + (selected ? " active" : "") + (conv.unread ? " unread" : ""), attrs: { role: "presentation" } }, btn, close));
      }
      replaceChildren(this.tabList, items);
    });
  }

  /** Arrow keys move between tabs (WAI-ARIA tabs pattern). */
  onTabKey(e) {
    const tabs = [...this.tabList.querySelectorAll('[role="tab"]')];
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
    else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = tabs.length - 1;
    if (j === null) return;
    e.preventDefault();
    tabs[j].focus();
  }

  // ==================================================================== phone layout

  setPane(pane) {
    this.root.dataset.pane = pane;
    this.updatePhoneNav();
  }

  phoneNav(pane) {
    if (pane === "rooms") {
      this.activate(null, { focus: false });
      this.setPane("main");
    } else if (pane === "conv") {
      const key = this.lastConv && this.convs.has(this.lastConv) ? this.lastConv : this.tabs[0];
      if (key) this.activate(key, { focus: false });
      this.setPane("main");
    } else {
      this.setPane(pane);
    }
  }

  updatePhoneNav() {
    const pane = this.root.dataset.pane;
    const hasConv = this.tabs.length > 0;
    for (const btn of document.querySelectorAll("#phone-nav [data-pane]")) {
      const p = btn.dataset.pane;
      const current = (p === "rooms" && pane === "main" && this.active === null) || (p === "conv" && pane === "main" && this.active !== null && this.active !== MOD_KEY) || p === pane;
      btn.setAttribute("aria-current", current ? "page" : "false");
      if (p === "conv") btn.disabled = !hasConv;
      if (p === "members") btn.disabled = !(this.active && this.convs.get(this.active)?.kind === "room");
    }
    let unread = 0;
    for (const c of this.convs.values()) if (c.kind === "dm") unread += c.unread || 0;
    const badge = $("#phone-nav .badge");
    if (badge) {
      badge.hidden = !unread;
      badge.textContent = String(unread);
    }
  }

  toggleMembers() {
    if (matchMedia("(max-width: 640px)").matches) {
      this.setPane(this.root.dataset.pane === "members" ? "main" : "members");
      return;
    }
    const hidden = this.root.classList.toggle("members-hidden");
    for (const conv of this.convs.values()) conv.view.membersBtn.setAttribute("aria-expanded", hidden ? "false" : "true");
  }

  // ==================================================================== private conversations

  async refreshDms({ resume = false } = {}) {
    let data;
    try {
      data = await get("/api/v1/dms");
    } catch {
      return;
    }
    for (const info of data.conversations || []) {
      const conv = this.upsertDm(info);
      if (!conv) continue;
      const last = info.last_seq || 0;
      if (resume && conv.initialLoaded && last > conv.seenSeq) {
        // Missed messages while offline: resume like a room.
        const ref = randomId("j");
        this.refs.set(ref, { kind: "join", key: conv.key });
        conv.hasJoined = true;
        this.conn.send({ type: "join", room: conv.slug, since: conv.seenSeq, ref });
      } else if (!conv.initialLoaded && last > conv.seenSeq) {
        conv.seenSeq = last;
        if (!this.isVisible(conv)) conv.unread = Math.max(0, last - this.lastRead(conv));
      }
    }
    this.renderTabs();
    this.sidebar.render();
    this.updateTitle();
  }

  upsertDm(info) {
    if (!info || typeof info.slug !== "string") return null;
    let conv = this.convs.get(info.slug);
    if (!conv) {
      // A draft conversation with the same person becomes this one.
      const draft = info.peer && this.convs.get(`to:${info.peer.nick.toLocaleLowerCase()}`);
      if (draft) return this.promoteDraft(draft, info.slug, info);
      conv = this.newConv(info.slug, { slug: info.slug, kind: "dm" });
    }
    conv.info = info;
    if (info.peer) conv.peer = info.peer;
    if (info.state) conv.state = info.state;
    conv.view.refreshHeader();
    conv.view.refreshRequest();
    return conv;
  }

  onDmInfo(info, isRequest) {
    if (!info) return;
    if (info.state === "ignored") {
      const conv = this.convs.get(info.slug);
      if (conv) this.removeConv(conv);
      return;
    }
    const known = this.convs.has(info.slug);
    const conv = this.upsertDm(info);
    if (!conv) return;
    if (isRequest && !known) toast(t("dm.request_toast", { nick: info.peer?.nick || info.name }));
    this.renderTabs();
    this.sidebar.render();
  }

  dmFromMessage(m) {
    const mine = m.author.id === this.me.id;
    const peer = mine ? { nick: m.to } : m.author;
    const draft = peer.nick && this.convs.get(`to:${peer.nick.toLocaleLowerCase()}`);
    if (draft) return this.promoteDraft(draft, m.room);
    const conv = this.newConv(m.room, { slug: m.room, kind: "dm", peer, info: { slug: m.room, name: peer.nick, kind: "direct" }, initialLoaded: false });
    // Whether it is a request is told by dm_request / the list; ask the list.
    clearTimeout(this._dmRefresh);
    this._dmRefresh = setTimeout(() => this.refreshDms(), 300);
    return conv;
  }

  /** Start (or reopen) a private conversation with `member`. */
  openDmWith(member) {
    if (sameNick(member.nick, this.me.nick)) return;
    for (const conv of this.convs.values()) {
      if (conv.kind === "dm" && conv.peer && sameNick(conv.peer.nick, member.nick)) {
        this.openConv(conv);
        this.setPane("main");
        return;
      }
    }
    const key = `to:${member.nick.toLocaleLowerCase()}`;
    const conv = this.convs.get(key) || this.newConv(key, { kind: "dm", peer: member, info: { name: member.nick, kind: "direct" }, initialLoaded: true });
    conv.view.refreshHeader();
    conv.view.updateEmpty();
    this.openConv(conv);
    this.setPane("main");
  }

  /** A draft "to:<nick>" conversation got its slug from the server. */
  promoteDraft(draft, slug, info = null) {
    const existing = this.convs.get(slug);
    if (existing && existing !== draft) {
      // Move the draft's pending messages over, then drop the draft.
      for (const [, p] of this.pending) if (p.key === draft.key) p.key = existing.key;
      for (const el of draft.view.log.querySelectorAll(".msg.pending")) existing.view.log.append(el);
      const wasActive = this.active === draft.key;
      const tabIndex = this.tabs.indexOf(draft.key);
      this.convs.delete(draft.key);
      draft.view.root.remove();
      if (tabIndex >= 0) this.tabs.splice(tabIndex, 1, existing.key);
      if (wasActive) this.activate(existing.key, { focus: false });
      return existing;
    }
    const oldKey = draft.key;
    this.convs.delete(oldKey);
    draft.key = slug;
    draft.slug = slug;
    if (info) {
      draft.info = info;
      if (info.peer) draft.peer = info.peer;
      if (info.state) draft.state = info.state;
    }
    this.convs.set(slug, draft);
    for (const [, p] of this.pending) if (p.key === oldKey) p.key = slug;
    const i = this.tabs.indexOf(oldKey);
    if (i >= 0) this.tabs[i] = slug;
    if (this.active === oldKey) this.active = slug;
    if (this.lastConv === oldKey) this.lastConv = slug;
    this.renderTabs();
    this.sidebar.render();
    return draft;
  }

  async acceptDm(conv) {
    try {
      await post(`/api/v1/dms/${seg(conv.slug)}/accept`);
    } catch (err) {
      return toast(errorText(err.code, err.message), "error");
    }
    conv.state = "accepted";
    conv.view.refreshRequest();
    this.sidebar.render();
    conv.view.input.focus();
  }

  async ignoreDm(conv) {
    try {
      await post(`/api/v1/dms/${seg(conv.slug)}/ignore`);
    } catch (err) {
      return toast(errorText(err.code, err.message), "error");
    }
    this.removeConv(conv);
    toast(t("dm.ignored", { nick: conv.peer?.nick || "" }));
  }

  async blockFromRequest(conv) {
    if (!conv.peer) return;
    const ok = await this.block(conv.peer);
    if (!ok) return;
    try {
      await post(`/api/v1/dms/${seg(conv.slug)}/ignore`);
    } catch {
      /* blocked anyway */
    }
    this.removeConv(conv);
  }

  lastRead(conv) {
    return readJSON(localStorage, `causerie.read.${this.me.id}`, {})[conv.slug] || 0;
  }

  setLastRead(conv, seq) {
    if (!conv.slug || !seq) return;
    const key = `causerie.read.${this.me.id}`;
    const map = readJSON(localStorage, key, {});
    if ((map[conv.slug] || 0) >= seq) return;
    map[conv.slug] = seq;
    writeJSON(localStorage, key, map);
  }

  // ==================================================================== people: blocks, friends

  isBlocked(member) {
    return Boolean(member && member.nick && this.blocked.has(member.nick.toLocaleLowerCase()));
  }

  async loadBlocks() {
    try {
      const data = await get("/api/v1/blocks");
      this.blocked = new Set((data.blocked || []).map((m) => m.nick.toLocaleLowerCase()));
      this.blockedList = data.blocked || [];
    } catch {
      /* keep what we have */
    }
  }

  async block(member) {
    try {
      await put(`/api/v1/blocks/${seg(member.nick)}`);
    } catch (err) {
      toast(errorText(err.code, err.message), "error");
      return false;
    }
    this.blocked.add(member.nick.toLocaleLowerCase());
    this.blockedList = [...(this.blockedList || []).filter((m) => !sameNick(m.nick, member.nick)), member];
    for (const conv of this.convs.values()) {
      for (const el of conv.view.log.querySelectorAll(`.msg[data-author-id="${CSS.escape(String(member.id))}"]`)) {
        el.remove();
        conv.view.bySeq.delete(Number(el.dataset.seq));
      }
      conv.view.clearTyping(member.nick);
    }
    toast(t("member.blocked_toast", { nick: member.nick }));
    this.membersPanel.render();
    return true;
  }

  async unblock(member) {
    try {
      await del(`/api/v1/blocks/${seg(member.nick)}`);
    } catch (err) {
      toast(errorText(err.code, err.message), "error");
      return false;
    }
    this.blocked.delete(member.nick.toLocaleLowerCase());
    this.blockedList = (this.blockedList || []).filter((m) => !sameNick(m.nick, member.nick));
    toast(t("member.unblocked_toast", { nick: member.nick }));
    this.membersPanel.render();
    return true;
  }

  async loadFriends() {
    try {
      const data = await get("/api/v1/friends");
      this.friends = { friends: data.friends || [], incoming: data.incoming || [], outgoing: data.outgoing || [] };
    } catch {
      /* keep what we have */
    }
    this.sidebar.render();
  }

  friendState(nick) {
    const f = this.friends;
    if (f.friends.some((x) => sameNick(x.member.nick, nick))) return "friend";
    if (f.incoming.some((m) => sameNick(m.nick, nick))) return "incoming";
    if (f.outgoing.some((m) => sameNick(m.nick, nick))) return "outgoing";
    return "none";
  }

  async addFriend(member) {
    try {
      await put(`/api/v1/friends/${seg(member.nick)}`);
    } catch (err) {
      toast(errorText(err.code, err.message), "error");
      return false;
    }
    const was = this.friendState(member.nick);
    toast(was === "incoming" ? t("friend.now_friends", { nick: member.nick }) : t("friend.requested", { nick: member.nick }));
    await this.loadFriends();
    return true;
  }

  async removeFriend(member) {
    try {
      await del(`/api/v1/friends/${seg(member.nick)}`);
    } catch (err) {
      toast(errorText(err.code, err.message), "error");
      return false;
    }
    await this.loadFriends();
    return true;
  }

  onFriend(ev) {
    const nick = ev.member?.nick || "";
    if (ev.action === "request") toast(t("friend.request_toast", { nick }));
    else if (ev.action === "accepted") toast(t("friend.accepted_toast", { nick }));
    if (ev.action === "online" || ev.action === "offline") {
      const f = this.friends.friends.find((x) => sameNick(x.member.nick, nick));
      if (f) f.online = ev.action === "online";
      this.sidebar.render();
      return;
    }
    this.loadFriends();
  }

  async invite(conv, member) {
    try {
      await post(`/api/v1/rooms/${seg(conv.slug)}/invites`, { nickname: member.nick });
    } catch (err) {
      toast(errorText(err.code, err.message), "error");
      return;
    }
    toast(t("member.invited", { nick: member.nick, room: conv.info?.name || conv.slug }));
  }

  // ==================================================================== misc

  openMemberCard(member) {
    this.membersPanel.openCard(member);
  }

  memberLine(member) {
    return memberLine(member, this.meta);
  }

  updateAccountButton() {
    const btn = $("#account-btn");
    btn.hidden = false;
    $("#account-nick").textContent = this.me.nick;
  }

  relocalize() {
    for (const conv of this.convs.values()) conv.view.relocalize();
    this.modConsole.relocalize();
    showSafetyLevel(this.safetyLevel || 0);
    this.renderTabs();
    this.directory.render();
    this.membersPanel.relocalize();
    this.sidebar.render();
    if (this.connState) this.onConnState(this.connState, this.connInfo || {});
  }
}
