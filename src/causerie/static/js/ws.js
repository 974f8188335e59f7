// The WebSocket connection: hello/welcome, frame splitting, keep-alive, and automatic reconnect
// with exponential back-off and jitter. It knows nothing about rooms; the chat controller does.

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const HANDSHAKE_TIMEOUT_MS = 10000;
const PING_EVERY_MS = 25000;
const DEAD_AFTER_MS = 60000;

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE = new Set([4001, 4002, 4003]);

export class Connection {
  /**
   * @param {object} opts
   * @param {() => object} opts.hello       builds the hello frame
   * @param {(ev: object) => void} opts.onEvent   every server event, in order
   * @param {(state: string, info: object) => void} opts.onState
   *        "connecting" | "open" | "waiting" (retry scheduled; info.delay ms) | "closed" (fatal; info.code)
   */
  constructor({ hello, onEvent, onState }) {
    this.hello = hello;
    this.onEvent = onEvent;
    this.onState = onState;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.stopped = false;
    this.timers = {};
    this.lastSeen = 0;
    this.pingSeq = 0;
    this._online = () => this.retryNow();
    this._visible = () => {
      if (document.visibilityState === "visible" && this.state === "waiting") this.retryNow();
    };
  }

  get url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this._online);
    document.addEventListener("visibilitychange", this._visible);
    this._connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this._online);
    document.removeEventListener("visibilitychange", this._visible);
    this._clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
    this._setState("idle");
  }

  /** Send a frame if the session is open. Returns false when it could not be sent. */
  send(frame) {
    if (this.state !== "open" || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  get isOpen() {
    return this.state === "open";
  }

  retryNow() {
    if (this.stopped || this.state === "open" || this.state === "connecting") return;
    this._clearTimers();
    this._connect();
  }

  _setState(state, info = {}) {
    this.state = state;
    this.onState(state, info);
  }

  _clearTimers() {
    for (const id of Object.values(this.timers)) clearTimeout(id), clearInterval(id);
    this.timers = {};
  }

  _connect() {
    if (this.stopped) return;
    this._setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify(this.hello()));
      this.timers.handshake = setTimeout(() => ws.close(4000), HANDSHAKE_TIMEOUT_MS);
    };
    ws.onmessage = (msg) => this._onFrame(ws, msg.data);
    ws.onclose = (ev) => this._onClose(ws, ev);
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  _onFrame(ws, data) {
    if (ws !== this.ws || typeof data !== "string") return;
    this.lastSeen = Date.now();
    for (const line of data.split("\n")) {
      if (!line) continue;
      let ev;
      try {
        ev = JSON.parse(line);
      } catch {
        continue;
      }
      if (!ev || typeof ev.type !== "string") continue;
      if (ev.type === "welcome") {
        clearTimeout(this.timers.handshake);
        this.attempt = 0;
        this._setState("open", { welcome: ev });
        this._startKeepAlive(ws);
      }
      try {
        this.onEvent(ev);
      } catch (err) {
        console.error("event handler failed", ev.type, err);
      }
    }
  }

  _startKeepAlive(ws) {
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => {
      if (ws !== this.ws) return;
      if (Date.now() - this.lastSeen > DEAD_AFTER_MS) {
        ws.close(4000); // dead peer: reconnect
        return;
      }
      this.pingSeq += 1;
      this.send({ type: "ping", ref: `p${this.pingSeq}` });
    }, PING_EVERY_MS);
  }

  _onClose(ws, ev) {
    if (ws !== this.ws) return;
    this.ws = null;
    this._clearTimers();
    if (this.stopped) return;
    if (FATAL_CLOSE.has(ev.code)) {
      this.stopped = true;
      this._setState("closed", { code: ev.code, reason: ev.reason });
      return;
    }
    this._scheduleRetry();
  }

  _scheduleRetry() {
    // Exponential back-off with "equal jitter": half fixed, half random.
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt += 1;
    this._setState("waiting", { delay, attempt: this.attempt });
    this.timers.retry = setTimeout(() => this._connect(), delay);
  }
}
