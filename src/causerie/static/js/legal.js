// The console's "Legal" page (administrators): export a signed evidence bundle for a request from
// the authorities (account, room or case; a period; the request's reference; quarantined files only
// when the request allows), the bundles exported so far, and the report to the authorities (DSA
// art. 18) made from a case. Everything here is audited by the server.
import { get, post } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t, errorText, getLang } from "./i18n.js";
import { toast } from "./ui.js";
import { longTime } from "./format.js";

function field(id, labelKey, input) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { htmlFor: id, text: t(labelKey) }), input);
}

async function download(path, body, filename) {
  const res = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: { "Content-Type": "application/json", "X-Causerie-CSRF": "1", "Accept-Language": getLang() },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    let err = { code: "service_unavailable", message: "" };
    try {
      err = (await res.json()).error;
    } catch {
      /* keep the generic error */
    }
    throw err;
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const link = h("a", { attrs: { href: url, download: filename } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return res.headers.get("X-Manifest-SHA256") || "";
}

export async function renderLegal(mc) {
  const body = mc.body;
  const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
  const kind = h(
    "select",
    { name: "kind" },
    ["account", "room", "case"].map((k) => h("option", { value: k, text: t(`legal.target.${k}`) })),
  );
  const form = h(
    "form",
    { class: "form mc-legal-export", attrs: { novalidate: true } },
    field("lg-kind", "legal.target", kind),
    field("lg-target", "legal.target_value", h("input", { name: "target", required: true, maxLength: 96 })),
    field("lg-from", "legal.from", h("input", { name: "from", type: "date", required: true })),
    field("lg-to", "legal.to", h("input", { name: "to", type: "date", required: true })),
    field("lg-ref", "legal.request_ref", h("input", { name: "ref", required: true, maxLength: 200 })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "quarantine" }), h("span", { text: t("legal.include_quarantine") })),
    err,
    h("button", { type: "submit", class: "btn primary", text: t("legal.export") }),
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.hidden = true;
    const f = form.elements;
    const target = f.target.value.trim();
    if (!target || !f.from.value || !f.to.value || !f.ref.value.trim()) {
      err.textContent = t("legal.fill_all");
      err.hidden = false;
      return;
    }
    const payload = { from: f.from.value, to: f.to.value, request_ref: f.ref.value.trim(), include_quarantine: f.quarantine.checked };
    payload[f.kind.value] = f.kind.value === "case" ? Number(target) : target;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const sha = await download("/api/v1/legal/exports", payload, `causerie-evidence-${f.kind.value}-${target}.zip`);
      toast(t("legal.exported", { sha: sha.slice(0, 16) }), "ok");
      renderLegal(mc);
    } catch (ex) {
      err.textContent = errorText(ex.code, ex.message);
      err.hidden = false;
    } finally {
      submit.disabled = false;
    }
  };
  const caseInput = h("input", { name: "case", type: "number", min: 1, required: true });
  const reportErr = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
  const reportOut = h("pre", { class: "small legal-report", hidden: true });
  const reportForm = h(
    "form",
    { class: "form mc-legal-report", attrs: { novalidate: true } },
    field("lg-case", "legal.case_id", caseInput),
    reportErr,
    h("button", { type: "submit", class: "btn", text: t("legal.make_report") }),
    reportOut,
  );
  reportForm.onsubmit = async (e) => {
    e.preventDefault();
    reportErr.hidden = true;
    const id = Number(caseInput.value);
    if (!id) return;
    try {
      const report = await post(`/api/v1/legal/cases/${id}/authority-report`, {});
      reportOut.textContent = JSON.stringify(report, null, 2); // text, never HTML
      reportOut.hidden = false;
      toast(t("legal.report_made", { id: report.id }), "ok");
    } catch (ex) {
      reportErr.textContent = errorText(ex.code, ex.message);
      reportErr.hidden = false;
    }
  };
  let rows = [];
  try {
    rows = (await get("/api/v1/legal/exports")).exports || [];
  } catch {
    rows = [];
  }
  const list = rows.length
    ? h(
        "ul",
        { class: "plain-list small", attrs: { role: "list" } },
        rows.map((r) => h("li", { text: `#${r.id} · ${longTime(r.created_at)} · ${r.scope} · ${r.request_ref} · ${r.files} · ${String(r.manifest_sha256).slice(0, 16)}…` })),
      )
    : h("p", { class: "muted small", text: t("legal.no_exports") });
  replaceChildren(
    body,
    h("h3", { text: t("mc.nav.legal") }),
    h("p", { class: "muted small", text: t("legal.hint") }),
    form,
    h("h4", { text: t("legal.exports") }),
    list,
    h("h4", { text: t("legal.report_title") }),
    h("p", { class: "muted small", text: t("legal.report_hint") }),
    reportForm,
  );
}
