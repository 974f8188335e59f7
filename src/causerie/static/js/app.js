// Entry point: load the meta data, find out whether we already have a session, then show the
// entry page or the chat.
import { $ } from "./dom.js";
import { get, del, ApiError } from "./api.js";
import { applyStatic, getLang, setLang, onLangChange, t, errorText } from "./i18n.js";
import { Entry } from "./entry.js";
import { Chat } from "./chat.js";
import { Settings } from "./settings.js";
import { PublicReport } from "./report.js";
import { renderBanned, showSafetyLevel } from "./decisions.js";

const meta = { regions: [], genders: [], categories: [], limits: {} };
let entry = null;
let chat = null;
let settings = null;
let bannedUntil = null;

function showScreen(name) {
  for (const id of ["loading", "entry", "chat", "banned"]) $(`#${id}`).hidden = id !== name;
  $("#conn-status").hidden = name !== "chat";
  $("#account-btn").hidden = name !== "chat";
  document.body.dataset.screen = name;
}

async function loadMeta() {
  const fresh = await get(`/api/v1/meta?lang=${getLang()}`);
  Object.assign(meta, fresh);
}

/** A banned account: a last screen with until when, the decisions and how to appeal. */
function showBanned(until) {
  chat = null;
  settings?.attach(null);
  showScreen("banned");
  $("#banned-reload").onclick = () => location.reload();
  // The session cookie is HttpOnly: only the server can end it (a banned session may log out).
  $("#banned-logout").onclick = async () => {
    try {
      await del("/api/v1/session");
    } catch {
      /* reload anyway: the entry page says what is wrong */
    }
    location.reload();
  };
  renderBanned(until);
  $("#banned-title").focus();
}

let safetyLevel = 0;

async function loadSafety() {
  try {
    const data = await get("/api/v1/safety");
    safetyLevel = data.level || 0;
    showSafetyLevel(safetyLevel);
  } catch {
    /* not essential */
  }
}

function startChat(me, registered) {
  showScreen("chat");
  chat = new Chat({
    me,
    registered,
    meta,
    onSignedOut: (message) => {
      chat = null;
      settings.attach(null);
      showScreen("entry");
      entry.show(message);
      loadSafety();
    },
    onBanned: (until) => showBanned((bannedUntil = until)),
    onShowDecisions: (which) => settings.openSection(which),
  });
  settings.attach(chat);
  chat.start();
}

function updateLangSwitch() {
  const btn = $("#lang-switch");
  const other = getLang() === "fr" ? "en" : "fr";
  btn.lang = other;
  btn.dataset.lang = other;
}

async function boot() {
  applyStatic(document);
  updateLangSwitch();
  $("#lang-switch").onclick = () => setLang(getLang() === "fr" ? "en" : "fr");
  onLangChange(async () => {
    updateLangSwitch();
    chat?.relocalize();
    settings?.relocalize();
    if (!chat) showSafetyLevel(safetyLevel);
    if (document.body.dataset.screen === "banned") renderBanned(bannedUntil);
    try {
      await loadMeta();
    } catch {
      return;
    }
    entry?.relocalize();
    chat?.relocalize();
    settings?.relocalize();
  });
  try {
    await loadMeta();
  } catch (err) {
    const msg = $("#loading-text");
    msg.textContent = err instanceof ApiError && err.code !== "network" ? errorText(err.code, err.message) : t("conn.cannot_load");
    $("#loading-retry").hidden = false;
    $("#loading-retry").onclick = () => location.reload();
    return;
  }
  entry = new Entry({
    meta,
    onEntered: (me, registered) => startChat(me, registered),
    onBanned: (until) => showBanned((bannedUntil = until)),
  });
  settings = new Settings();
  new PublicReport();
  let session = null;
  try {
    session = await get("/api/v1/session");
  } catch (err) {
    if (err instanceof ApiError && err.code === "banned") {
      bannedUntil = err.until === undefined ? null : err.until;
      showBanned(bannedUntil);
      return;
    }
    session = null;
  }
  if (session && session.me) {
    startChat(session.me, Boolean(session.registered));
  } else {
    showScreen("entry");
    entry.show();
    loadSafety();
  }
}

boot();
