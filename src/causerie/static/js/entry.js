// The entry page: enter as a guest (nickname, age, gender, region, rules) or log in.
import { $, h, replaceChildren } from "./dom.js";
import { post } from "./api.js";
import { t, errorText, getLang } from "./i18n.js";
import { setFieldError, clearFieldErrors } from "./ui.js";
import { untilText } from "./decisions.js";
import { humanCheckFields } from "./humancheck.js";

const GUEST_FIELD = {
  nickname_length: "nickname",
  nickname_chars: "nickname",
  nickname_taken: "nickname",
  nickname_reserved: "nickname",
  underage: "age",
  invalid_age: "age",
  invalid_gender: "gender",
  invalid_region: "region",
  rules_not_accepted: "accept_rules",
};
const REMEMBER_KEY = "causerie.entry";

export class Entry {
  constructor({ meta, onEntered, onBanned }) {
    this.meta = meta;
    this.onEntered = onEntered;
    this.onBanned = onBanned || (() => {});
    this.guestForm = $("#guest-form");
    this.loginForm = $("#login-form");
    this.notice = $("#entry-notice");
    this.tabs = [$("#tab-guest"), $("#tab-login")];
    for (const tab of this.tabs) {
      tab.onclick = () => this.selectTab(tab);
      tab.onkeydown = (e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          const other = this.tabs.find((x) => x !== tab);
          this.selectTab(other);
          other.focus();
        }
      };
    }
    this.guestForm.onsubmit = (e) => this.onGuest(e);
    this.loginForm.onsubmit = (e) => this.onLogin(e);
    for (const form of [this.guestForm, this.loginForm]) {
      form.addEventListener("input", (e) => {
        const name = e.target.name;
        const slot = form.querySelector(`[data-error-for="${name}"]`);
        if (slot && !slot.hidden) {
          slot.hidden = true;
          e.target.removeAttribute("aria-invalid");
        }
      });
    }
    this.fillSelects();
    this.restore();
  }

  selectTab(tab) {
    for (const x of this.tabs) {
      const on = x === tab;
      x.setAttribute("aria-selected", on ? "true" : "false");
      x.tabIndex = on ? 0 : -1;
      $(`#${x.getAttribute("aria-controls")}`).hidden = !on;
    }
  }

  fillSelects() {
    const g = this.guestForm.elements.gender;
    const r = this.guestForm.elements.region;
    const gv = g.value;
    const rv = r.value;
    replaceChildren(g, h("option", { value: "", text: t("entry.choose") }), (this.meta.genders || []).map((x) => h("option", { value: x.code, text: x.name })));
    replaceChildren(r, h("option", { value: "", text: t("entry.choose") }), (this.meta.regions || []).map((x) => h("option", { value: x.code, text: `${x.name}${/^\d|^2[AB]$/.test(x.code) ? ` (${x.code})` : ""}` })));
    g.value = gv;
    r.value = rv;
  }

  restore() {
    try {
      const saved = JSON.parse(localStorage.getItem(REMEMBER_KEY) || "null");
      if (!saved) return;
      const f = this.guestForm.elements;
      f.nickname.value = saved.nickname || "";
      f.age.value = saved.age || "";
      f.gender.value = saved.gender || "";
      f.region.value = saved.region || "";
    } catch {
      /* nothing remembered */
    }
  }

  show(message = null) {
    this.notice.hidden = !message;
    this.notice.textContent = message || "";
    for (const form of [this.guestForm, this.loginForm]) {
      clearFieldErrors(form);
      const submit = form.querySelector("[type=submit]");
      if (submit) submit.disabled = false;
    }
    this.loginForm.elements.password.value = "";
    this.guestForm.elements.accept_rules.checked = false;
    this.guestForm.elements.adult.checked = false;
    const first = this.tabs[0].getAttribute("aria-selected") === "true" ? this.guestForm.elements.nickname : this.loginForm.elements.login;
    first.focus();
  }

  async onGuest(e) {
    e.preventDefault();
    const form = this.guestForm;
    clearFieldErrors(form);
    const f = form.elements;
    const nickname = f.nickname.value.trim();
    const age = Number.parseInt(f.age.value, 10);
    // Quick checks before asking the server, with the same messages.
    if (!nickname) return setFieldError(form, "nickname", t("error.nickname_length"));
    if (Number.isNaN(age)) return setFieldError(form, "age", t("error.invalid_age"));
    if (age < 18) return setFieldError(form, "age", t("error.underage"));
    if (!f.gender.value) return setFieldError(form, "gender", t("error.invalid_gender"));
    if (!f.region.value) return setFieldError(form, "region", t("error.invalid_region"));
    if (!f.accept_rules.checked || !f.adult.checked) return setFieldError(form, "accept_rules", t("error.rules_not_accepted"));
    const body = { nickname, age, gender: f.gender.value, region: f.region.value, accept_rules: true, lang: getLang() };
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      this.notice.hidden = false; // the human check may take a moment (a proof of work)
      this.notice.textContent = t("entry.human_check");
      try {
        Object.assign(body, await humanCheckFields());
      } finally {
        this.notice.hidden = true;
        this.notice.textContent = "";
      }
      const data = await post("/api/v1/session/guest", body);
      try {
        localStorage.setItem(REMEMBER_KEY, JSON.stringify({ nickname, age, gender: body.gender, region: body.region }));
      } catch {
        /* not essential */
      }
      this.onEntered(data.me, false);
    } catch (err) {
      let text = errorText(err.code, err.message);
      if (err.code === "banned" && err.until !== undefined) text += ` (${untilText(err.until)})`;
      if (err.retryAfter) text += ` (${t("common.retry_in", { count: Math.ceil(err.retryAfter) })})`;
      setFieldError(form, GUEST_FIELD[err.code] || "_form", text);
    } finally {
      submit.disabled = false;
    }
  }

  async onLogin(e) {
    e.preventDefault();
    const form = this.loginForm;
    clearFieldErrors(form);
    const f = form.elements;
    const body = { login: f.login.value.trim(), password: f.password.value };
    if (!body.login) return setFieldError(form, "login", t("error.login_failed"));
    if (!body.password) return setFieldError(form, "password", t("error.login_failed"));
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const data = await post("/api/v1/session/login", body);
      // A banned account gets a restricted session: its decisions, an appeal, log out.
      if (data.banned) this.onBanned(data.banned.until ?? null);
      else this.onEntered(data.me, true);
    } catch (err) {
      let text = errorText(err.code, err.message);
      if (err.code === "banned" && err.until !== undefined) text += ` (${untilText(err.until)})`;
      if (err.retryAfter) text += ` (${t("common.retry_in", { count: Math.ceil(err.retryAfter) })})`;
      setFieldError(form, "_form", text);
    } finally {
      submit.disabled = false;
    }
  }

  relocalize() {
    this.fillSelects();
  }
}
