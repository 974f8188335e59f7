// The room directory: rooms by category with live member counts, a search box, and the
// create-room dialog.
import { $, h, replaceChildren } from "./dom.js";
import { get, post } from "./api.js";
import { t, errorText } from "./i18n.js";
import { openDialog, setFieldError, clearFieldErrors, keepFocus } from "./ui.js";

const FIELD_OF = {
  room_name_length: "name",
  room_name_chars: "name",
  room_name_taken: "name",
  room_topic_length: "topic",
};

function fold(s) {
  return (s || "").normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}

export class Directory {
  constructor(chat) {
    this.chat = chat;
    this.root = $("#directory");
    this.body = $("#dir-body");
    this.search = $("#room-search");
    this.dialog = $("#dlg-room");
    this.form = $("#room-form");
    this.rooms = new Map();
    this.loaded = false;
    this.error = null;
    this.search.oninput = () => this.render();
    $("#create-room-btn").onclick = () => this.openCreate();
    $("#room-cancel").onclick = () => this.dialog.close();
    this.form.onsubmit = (e) => this.onCreate(e);
  }

  async load() {
    try {
      const data = await get("/api/v1/rooms");
      this.rooms = new Map((data.rooms || []).map((r) => [r.slug, r]));
      this.error = null;
    } catch (err) {
      this.error = errorText(err.code, err.message);
    }
    this.loaded = true;
    this.render();
  }

  upsert(info) {
    if (!info || !info.slug || info.kind === "direct") return;
    this.rooms.set(info.slug, { ...(this.rooms.get(info.slug) || {}), ...info });
    this.render();
  }

  focus() {
    this.search.focus({ preventScroll: true });
  }

  updateCounts(counts) {
    for (const [slug, n] of Object.entries(counts)) {
      const room = this.rooms.get(slug);
      if (room) room.members = n;
      const conv = this.chat.convs.get(slug);
      if (conv && conv.info) conv.info.members = n;
      const el = this.body.querySelector(`.room-count[data-slug="${CSS.escape(slug)}"]`);
      if (el) this.fillCount(el, n);
    }
  }

  fillCount(el, n) {
    el.replaceChildren(h("span", { class: n > 0 ? "dot on" : "dot", attrs: { "aria-hidden": "true" } }), h("span", { class: "n", text: String(n) }));
    el.setAttribute("aria-label", t("room.online", { count: n }));
    el.title = t("room.online", { count: n });
  }

  render() {
    keepFocus(this.body, () => this.draw());
  }

  draw() {
    if (!this.loaded) {
      replaceChildren(this.body, h("p", { class: "muted", text: t("common.loading") }));
      return;
    }
    if (this.error) {
      replaceChildren(
        this.body,
        h("p", { class: "error", attrs: { role: "alert" }, text: this.error }),
        h("button", { type: "button", class: "btn", text: t("common.retry"), on: { click: () => this.load() } }),
      );
      return;
    }
    const q = fold(this.search.value.trim());
    const rooms = [...this.rooms.values()].filter((r) => r.kind !== "direct" && (!q || fold(`${r.name} ${r.topic || ""} ${r.slug}`).includes(q)));
    const cats = [...(this.chat.meta.categories || [])];
    const known = new Set(cats.map((c) => c.code));
    if (rooms.some((r) => !known.has(r.category))) cats.push({ code: "__other", name: t("dir.other") });
    const sections = [];
    for (const cat of cats) {
      const list = rooms.filter((r) => (cat.code === "__other" ? !known.has(r.category) : r.category === cat.code));
      if (!list.length) continue;
      list.sort((a, b) => (b.members || 0) - (a.members || 0) || a.name.localeCompare(b.name));
      const id = `cat-${cat.code}`;
      sections.push(
        h(
          "section",
          { class: "dir-cat", attrs: { "aria-labelledby": id } },
          h("h3", { id, text: cat.name }),
          h("ul", { class: "room-grid", attrs: { role: "list" } }, list.map((r) => this.card(r))),
        ),
      );
    }
    if (!sections.length) sections.push(h("p", { class: "muted", text: q ? t("dir.no_match") : t("dir.empty") }));
    replaceChildren(this.body, sections);
  }

  card(r) {
    const open = this.chat.tabs.includes(r.slug);
    const tags = [];
    if (r.kind === "invite") tags.push(h("span", { class: "tag", text: t("room.invite_only") }));
    if (r.max_age || (r.min_age && r.min_age > 18)) {
      tags.push(h("span", { class: "tag", text: r.max_age ? t("room.age_range", { min: r.min_age || 18, max: r.max_age }) : t("room.age_min", { min: r.min_age }) }));
    }
    if (open) tags.push(h("span", { class: "tag on", text: t("room.open") }));
    const count = h("span", { class: "room-count", dataset: { slug: r.slug } });
    this.fillCount(count, r.members || 0);
    return h(
      "li",
      { class: "room-card" + (open ? " is-open" : ""), dataset: { slug: r.slug, category: r.category || "", kind: r.kind || "public", minAge: String(r.min_age || 18), maxAge: r.max_age ? String(r.max_age) : "" } },
      h(
        "button",
        {
          type: "button",
          class: "room-open",
          dataset: { key: r.slug },
          on: { click: () => (this.chat.openRoom(r.slug, r), this.chat.setPane("main")) },
        },
        h("span", { class: "room-name", text: r.name }),
        r.topic ? h("span", { class: "room-topic", text: r.topic }) : null,
      ),
      h("div", { class: "room-foot" }, count, tags, h("button", { type: "button", class: "btn ghost tiny report", text: t("action.report"), attrs: { "aria-label": t("room.report", { name: r.name }), "aria-haspopup": "dialog" }, on: { click: () => this.chat.reportRoom(r.slug, r.name) } })),
    );
  }

  // ---------------------------------------------------------------- create a room

  openCreate() {
    this.form.reset();
    clearFieldErrors(this.form);
    openDialog(this.dialog);
  }

  async onCreate(e) {
    e.preventDefault();
    clearFieldErrors(this.form);
    const f = this.form.elements;
    const body = { name: f.name.value.trim(), topic: f.topic.value.trim(), kind: f.kind.value || "public" };
    if (!body.name) return setFieldError(this.form, "name", t("error.room_name_length"));
    const submit = this.form.querySelector("[type=submit]");
    submit.disabled = true;
    let room;
    try {
      room = await post("/api/v1/rooms", body);
    } catch (err) {
      setFieldError(this.form, FIELD_OF[err.code] || "_form", errorText(err.code, err.message));
      return;
    } finally {
      submit.disabled = false;
    }
    this.dialog.close();
    this.upsert(room);
    this.chat.openRoom(room.slug, room);
    this.chat.loadRoles(); // the owner of a room moderates it
  }
}
