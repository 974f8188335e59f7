// The account & settings dialog: register (upgrade a guest), "who may message me", blocked
// people, my reports and what became of them, decisions about me (with appeals), language, sign out.
import { $, h, replaceChildren } from "./dom.js";
import { get, put, post } from "./api.js";
import { t, errorText, getLang, setLang } from "./i18n.js";
import { openDialog, setFieldError, clearFieldErrors, toast } from "./ui.js";
import { longTime } from "./format.js";
import { renderMyStatements } from "./decisions.js";
import { categoryLabel, outcomeText } from "./report.js";
import { renderPrivileges } from "./privileges.js";
import { downloadMyData, deleteMyAccount } from "./mydata.js";

const REGISTER_FIELD = { email_invalid: "email", email_taken: "email", password_weak: "password" };

export class Settings {
  constructor() {
    this.dialog = $("#dlg-settings");
    this.chat = null;
    this.registerForm = $("#register-form");
    this.privacyForm = $("#privacy-form");
    $("#account-btn").onclick = () => this.open();
    $("#settings-close").onclick = () => this.dialog.close();
    $("#logout-btn").onclick = () => {
      this.dialog.close();
      this.chat?.signOut();
    };
    this.registerForm.onsubmit = (e) => this.onRegister(e);
    this.privacyForm.onsubmit = (e) => this.onPrivacy(e);
    this.privacyForm.onchange = () => this.syncPrivacy();
    for (const btn of this.dialog.querySelectorAll("[data-set-lang]")) btn.onclick = () => setLang(btn.dataset.setLang);
    $("#my-reports").addEventListener("toggle", (e) => e.target.open && this.loadReports());
    $("#my-statements").addEventListener("toggle", (e) => e.target.open && renderMyStatements($("#my-statements-body")));
    $("#my-privileges").addEventListener("toggle", (e) => e.target.open && renderPrivileges($("#my-privileges-body")));
    $("#gdpr-export").onclick = (e) => downloadMyData(e.currentTarget);
    $("#gdpr-delete-form").onsubmit = (e) => {
      e.preventDefault();
      if (this.chat) deleteMyAccount(e.currentTarget, this.chat);
    };
  }

  /** Open the dialog on one of its lists: "reports" or "statements". */
  async openSection(which) {
    if (!this.chat) return;
    await this.open();
    const details = $(which === "reports" ? "#my-reports" : "#my-statements");
    if (details.open) {
      if (which === "reports") this.loadReports();
      else renderMyStatements($("#my-statements-body"));
    } else details.open = true;
    details.querySelector("summary").focus();
    details.scrollIntoView({ block: "nearest" });
  }

  async loadReports() {
    const box = $("#my-reports-body");
    replaceChildren(box, h("p", { class: "muted small", text: t("common.loading") }));
    let data;
    try {
      data = await get("/api/v1/reports/mine");
    } catch (err) {
      replaceChildren(box, h("p", { class: "error", text: errorText(err.code, err.message) }));
      return;
    }
    const reports = (data.reports || []).slice().sort((a, b) => (b.created || 0) - (a.created || 0));
    if (!reports.length) {
      replaceChildren(box, h("p", { class: "muted small", text: t("report.mine_empty") }));
      return;
    }
    replaceChildren(
      box,
      h(
        "ul",
        { class: "plain-list my-reports", attrs: { role: "list" } },
        reports.map((r) =>
          h(
            "li",
            { class: "my-report", dataset: { reportId: String(r.id) } },
            h(
              "div",
              {},
              h("p", {}, h("strong", { text: categoryLabel(r.category) }), " · ", h("span", { class: "muted small", text: t(`report.target.${r.target}`) === `report.target.${r.target}` ? r.target : t(`report.target.${r.target}`) })),
              h("p", { class: "muted small", text: r.created ? longTime(r.created) : "" }),
              r.outcome ? h("p", { class: "small", text: outcomeText(r.outcome, "") }) : null,
            ),
            h("span", { class: "tag" + (r.outcome === "action_taken" ? " on" : ""), text: r.outcome ? t(`report.status.${r.outcome}`) : t("report.status.pending") }),
          ),
        ),
      ),
    );
  }

  attach(chat) {
    this.chat = chat;
  }

  async open() {
    if (!this.chat) return;
    this.render();
    for (const d of this.dialog.querySelectorAll("details.lazy")) d.open = false;
    openDialog(this.dialog);
    await this.loadPrivacy();
  }

  render() {
    const chat = this.chat;
    if (!chat) return;
    $("#settings-nick").textContent = chat.me.nick;
    $("#settings-line").textContent = chat.memberLine(chat.me);
    $("#settings-status").textContent = chat.registered ? t("settings.registered") : t("settings.guest");
    $("#register-section").hidden = chat.registered;
    $("#gdpr-password-field").hidden = !chat.registered; // guests have no password to confirm with
    for (const btn of this.dialog.querySelectorAll("[data-set-lang]")) btn.setAttribute("aria-pressed", btn.dataset.setLang === getLang() ? "true" : "false");
    const genders = $("#privacy-genders");
    const checked = new Set([...genders.querySelectorAll("input:checked")].map((i) => i.value));
    replaceChildren(
      genders,
      (chat.meta.genders || []).map((g) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "genders", value: g.code, checked: checked.has(g.code) }), h("span", { text: g.name })),
      ),
    );
    this.renderBlocked();
    this.syncPrivacy();
  }

  renderBlocked() {
    const chat = this.chat;
    const list = $("#blocked-list");
    const items = (chat.blockedList || []).map((m) =>
      h(
        "li",
        {},
        h("span", { text: m.nick }),
        h("button", {
          type: "button",
          class: "btn tiny",
          text: t("member.unblock"),
          attrs: { "aria-label": t("member.unblock_nick", { nick: m.nick }) },
          on: {
            click: async () => {
              if (await chat.unblock(m)) this.renderBlocked();
            },
          },
        }),
      ),
    );
    replaceChildren(list, items.length ? items : h("li", { class: "muted small", text: t("settings.no_blocked") }));
  }

  async loadPrivacy() {
    let p;
    try {
      p = await get("/api/v1/me/privacy");
    } catch {
      return;
    }
    const f = this.privacyForm.elements;
    for (const r of this.privacyForm.querySelectorAll("input[name=dm]")) r.checked = r.value === (p.dm || "everyone");
    const gs = new Set(p.genders || []);
    for (const c of this.privacyForm.querySelectorAll("input[name=genders]")) c.checked = gs.has(c.value);
    f.age_min.value = p.age_min ?? "";
    f.age_max.value = p.age_max ?? "";
    this.syncPrivacy();
  }

  syncPrivacy() {
    const filtered = this.privacyForm.querySelector("input[name=dm]:checked")?.value === "filtered";
    $("#privacy-filter").hidden = !filtered;
  }

  async onPrivacy(e) {
    e.preventDefault();
    clearFieldErrors(this.privacyForm);
    const f = this.privacyForm.elements;
    const body = {
      dm: this.privacyForm.querySelector("input[name=dm]:checked")?.value || "everyone",
      genders: [...this.privacyForm.querySelectorAll("input[name=genders]:checked")].map((i) => i.value),
      age_min: f.age_min.value ? Number(f.age_min.value) : null,
      age_max: f.age_max.value ? Number(f.age_max.value) : null,
    };
    if (body.age_min === null) delete body.age_min;
    if (body.age_max === null) delete body.age_max;
    try {
      await put("/api/v1/me/privacy", body);
    } catch (err) {
      setFieldError(this.privacyForm, "_form", errorText(err.code, err.message));
      return;
    }
    toast(t("settings.saved"));
  }

  async onRegister(e) {
    e.preventDefault();
    const form = this.registerForm;
    clearFieldErrors(form);
    const f = form.elements;
    const body = { email: f.email.value.trim(), password: f.password.value };
    if (!body.email) return setFieldError(form, "email", t("error.email_invalid"));
    if (!body.password) return setFieldError(form, "password", t("error.password_weak"));
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const data = await post("/api/v1/accounts", body);
      if (data && data.me) this.chat.me = { ...this.chat.me, ...data.me };
      this.chat.registered = true;
      form.reset();
      toast(t("settings.register_done"));
      this.render();
      $("#settings-status").focus();
    } catch (err) {
      setFieldError(form, REGISTER_FIELD[err.code] || "_form", errorText(err.code, err.message));
    } finally {
      submit.disabled = false;
    }
  }

  relocalize() {
    if (!this.dialog.open) return;
    this.render();
    if ($("#my-reports").open) this.loadReports();
    if ($("#my-statements").open) renderMyStatements($("#my-statements-body"));
  }
}
