// HTTP API client: same-origin cookie session, CSRF header on every state-changing call.
import { getLang } from "./i18n.js";

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer)
   * @param {string} code the server's stable error code
   * @param {string} message the server's text (in the Accept-Language language)
   * @param {number|null} retryAfter seconds
   * @param {object} data the whole error object (`until` for sanctions: ms, null = permanent)
   */
  constructor(status, code, message, retryAfter = null, data = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.data = data || {};
  }

  /** When the sanction ends: a number (ms), null (permanent), or undefined (not said). */
  get until() {
    return "until" in this.data ? this.data.until : undefined;
  }
}

async function answer(res) {
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = data && typeof data === "object" ? data.error : null;
    if (err && err.code) throw new ApiError(res.status, err.code, err.message, err.retry_after ?? null, err);
    // Framework-level errors (e.g. request validation) without our error envelope.
    const code =
      res.status === 401
        ? "not_authenticated"
        : res.status === 404
          ? "not_found"
          : res.status === 413
            ? "request_too_large"
            : res.status === 429
              ? "rate_limited"
              : res.status >= 500
                ? "service_unavailable"
                : "bad_request";
    throw new ApiError(res.status, code, "");
  }
  return data;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": getLang() };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET" && method !== "HEAD") headers["X-Causerie-CSRF"] = "1";
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "");
  }
  return answer(res);
}

/** POST raw bytes (a picture) with their own Content-Type. */
export async function upload(path, blob, contentType) {
  const headers = { Accept: "application/json", "Accept-Language": getLang(), "X-Causerie-CSRF": "1", "Content-Type": contentType };
  let res;
  try {
    res = await fetch(path, { method: "POST", headers, body: blob, credentials: "same-origin", cache: "no-store" });
  } catch {
    // The server closes the connection on a body over the size cap before reading it; some
    // browsers then report a network error instead of the 413.
    throw new ApiError(0, "network", "");
  }
  return answer(res);
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const put = (path, body) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);

/** Encode one path segment (nicknames and slugs may hold any letter). */
export const seg = (s) => encodeURIComponent(s);
