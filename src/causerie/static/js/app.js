// Entry point: load the meta data, find out whether we already have a session, then show the
// entry page or the chat.
import { $ } from "./dom.js";
import { get, ApiError } from "./api.js";
import { applyStatic, getLang, setLang, onLangChange, t, errorText } from "./i18n.js";
import { Entry } from "./entry.js";
import { Chat } from "./chat.js";
import { Settings } from "./settings.js";

const meta = { regions: [], genders: [], categories: [], limits: {} };
let entry = null;
let chat = null;
let settings = null;

function showScreen(name) {
  for (const id of ["loading", "entry", "chat"]) $(`#${id}`).hidden = id !== name;
  $("#conn-status").hidden = name !== "chat";
  $("#account-btn").hidden = name !== "chat";
  document.body.dataset.screen = name;
}

async function loadMeta() {
  const fresh = await get(`/api/v1/meta?lang=${getLang()}`);
  Object.assign(meta, fresh);
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
    },
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
  entry = new Entry({ meta, onEntered: (me, registered) => startChat(me, registered) });
  settings = new Settings();
  let session = null;
  try {
    session = await get("/api/v1/session");
  } catch {
    session = null;
  }
  if (session && session.me) {
    startChat(session.me, Boolean(session.registered));
  } else {
    showScreen("entry");
    entry.show();
  }
}

boot();
