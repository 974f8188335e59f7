// Pictures: the upload (raw bytes to POST /api/v1/media), the picture in a message (space
// reserved from its width and height, blurred for message requests until the recipient chooses to
// see it), and the full-size viewer.
import { $, h, replaceChildren } from "./dom.js";
import { get, upload } from "./api.js";
import { t, errorText } from "./i18n.js";
import { openDialog } from "./ui.js";
import { longTime } from "./format.js";

export const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
const DEFAULT_MAX_BYTES = 8_000_000;
const BOX_W = 280; // the shown thumbnail fits in this box (CSS pixels)
const BOX_H = 240;

/** Only same-origin paths and http(s) URLs become an <img src>. */
export function safeMediaUrl(raw) {
  if (typeof raw !== "string" || !raw) return null;
  let url;
  try {
    url = new URL(raw, location.origin);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

/** Fit width × height in the thumbnail box, keeping the ratio (never enlarged). */
export function fitBox(width, height, maxW = BOX_W, maxH = BOX_H) {
  const w = Math.max(1, Number(width) || 1);
  const hh = Math.max(1, Number(height) || 1);
  const scale = Math.min(1, maxW / w, maxH / hh);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(hh * scale)) };
}

/** `GET /api/v1/media/status`: may I send pictures now, and the limits. Null when unknown. */
export async function mediaStatus() {
  try {
    return await get("/api/v1/media/status");
  } catch {
    return null;
  }
}

/** Text for a picture refusal, with when pictures unlock when the server says so. */
export function pictureErrorText(code, message, until = null, retryAfter = null) {
  let text = errorText(code, message);
  if (code === "pictures_disabled") {
    const when = typeof until === "number" ? until : retryAfter ? Date.now() + retryAfter * 1000 : null;
    if (when) text = t("pic.unlock_at", { time: longTime(when) });
  }
  return text;
}

/** Check a chosen file before sending it: null when fine, else the refusal's text. */
export function checkFile(file, status) {
  if (!file) return t("error.unsupported_image");
  if (!ACCEPTED_TYPES.includes(file.type)) return t("error.unsupported_image");
  const max = status?.max_bytes || DEFAULT_MAX_BYTES;
  if (file.size > max) return t("pic.too_large", { mb: (max / 1_000_000).toLocaleString(undefined, { maximumFractionDigits: 1 }) });
  if (file.size === 0) return t("error.unsupported_image");
  if (status && status.allowed === false) return pictureErrorText("pictures_disabled", "", status.unlock_at ?? null);
  return null;
}

/** Upload `file`; resolves to the server's media record. `priv`: for private conversations only. */
export function uploadPicture(file, priv) {
  const name = (file.name || "").slice(0, 200);
  const query = new URLSearchParams();
  if (priv) query.set("scope", "private");
  if (name) query.set("name", name);
  const qs = query.toString();
  return upload(`/api/v1/media${qs ? `?${qs}` : ""}`, file, file.type);
}

/**
 * A message's picture: a button with the thumbnail, its space reserved from width × height.
 * `blurred`: shown blurred behind a "Show picture" button until the reader chooses to see it.
 * `localUrl`: a blob: URL for our own pending message.
 */
export function pictureElement(media, { nick = "", blurred = false, localUrl = null, onReport = null } = {}) {
  const thumb = localUrl || safeMediaUrl(media.thumb) || safeMediaUrl(media.url);
  const full = localUrl || safeMediaUrl(media.url) || thumb;
  const box = fitBox(media.width, media.height);
  const wrap = h("div", { class: "msg-media" + (blurred ? " blurred" : ""), dataset: { mediaId: media.id || "" } });
  if (!thumb) return wrap;
  const img = h("img", {
    src: thumb,
    width: box.width,
    height: box.height,
    alt: nick ? t("pic.alt", { nick }) : t("pic.alt_plain"),
    decoding: "async",
    loading: "lazy",
    draggable: false,
    attrs: { referrerpolicy: "no-referrer" },
  });
  const open = h("button", {
    type: "button",
    class: "media-open",
    attrs: { "aria-label": t("pic.open") },
    on: { click: () => viewPicture(full, media, nick, onReport) },
  }, img);
  wrap.append(open);
  if (blurred) {
    open.tabIndex = -1;
    open.setAttribute("aria-hidden", "true");
    const reveal = h(
      "div",
      { class: "media-veil" },
      h("p", { class: "small", text: t("pic.blurred_note") }),
      h("button", {
        type: "button",
        class: "btn small media-reveal",
        text: t("pic.show"),
        on: {
          click: () => {
            wrap.classList.remove("blurred");
            open.tabIndex = 0;
            open.removeAttribute("aria-hidden");
            reveal.remove();
            open.focus();
          },
        },
      }),
    );
    wrap.append(reveal);
  }
  return wrap;
}

/** The full-size viewer. */
export function viewPicture(url, media, nick, onReport) {
  const dialog = $("#dlg-picture");
  const size = fitBox(media.width, media.height, 2560, 2560);
  const img = h("img", { src: url, width: size.width, height: size.height, alt: nick ? t("pic.alt", { nick }) : t("pic.alt_plain"), attrs: { referrerpolicy: "no-referrer" } });
  replaceChildren($("#picture-body", dialog), img);
  $("#picture-title").textContent = nick ? t("pic.title", { nick }) : t("pic.alt_plain");
  const report = $("#picture-report", dialog);
  report.hidden = !onReport;
  report.onclick = () => {
    dialog.close();
    onReport?.();
  };
  openDialog(dialog);
}
