// "My data" in the settings dialog (GDPR arts. 15, 17, 20): download everything Causerie keeps about
// me as JSON, and delete my account — then show what was erased and what the law keeps, until when.
import { $, h, replaceChildren } from "./dom.js";
import { api } from "./api.js";
import { t, errorText, getLang } from "./i18n.js";
import { openDialog, setFieldError, clearFieldErrors, toast } from "./ui.js";

/** Download GET /api/me/export as a file (the browser's own download, no page change). */
export async function downloadMyData(button) {
  button.disabled = true;
  try {
    const res = await fetch("/api/me/export", {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "Accept-Language": getLang() },
    });
    if (!res.ok) {
      let code = "service_unavailable";
      try {
        code = (await res.json()).error.code;
      } catch {
        /* keep the generic code */
      }
      toast(errorText(code, ""));
      return;
    }
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const link = h("a", { attrs: { href: url, download: "causerie-mes-donnees.json" } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    toast(t("gdpr.export_done"));
  } finally {
    button.disabled = false;
  }
}

function keptLine(item) {
  const key = `gdpr.kept.${item.code}`;
  const what = t(key) === key ? item.what : t(key);
  if (item.until == null) return t("gdpr.kept_hold", { what });
  const date = new Date(item.until).toLocaleDateString(getLang(), { year: "numeric", month: "long", day: "numeric" });
  return t("gdpr.kept_until", { what, date });
}

/** Show the server's answer to a deletion: what was erased, what is kept and until when. */
export function showDeleted(result) {
  const dialog = $("#dlg-deleted");
  $("#deleted-summary").textContent = result.legal_hold
    ? t("gdpr.deleted_held")
    : t("gdpr.deleted_summary", { messages: String(result.erased?.messages ?? 0) });
  replaceChildren(
    $("#deleted-kept"),
    (result.kept || []).map((item) => h("li", { text: keptLine(item), dataset: { kept: item.code || "" } })),
  );
  openDialog(dialog);
}

/** DELETE /api/me with the password (registered accounts); on success sign out and show the result. */
export async function deleteMyAccount(form, chat) {
  clearFieldErrors(form);
  const password = form.elements.password.value;
  if (chat.registered && !password) return setFieldError(form, "password", t("error.login_failed"));
  const submit = form.querySelector("[type=submit]");
  submit.disabled = true;
  let result;
  try {
    result = await api("DELETE", "/api/me", chat.registered ? { password } : {});
  } catch (err) {
    setFieldError(form, err.code === "login_failed" ? "password" : "_form", errorText(err.code, err.message));
    return;
  } finally {
    submit.disabled = false;
  }
  form.reset();
  try {
    chat.stop(); // the server also closes our connections: this may already have happened
  } catch {
    /* already stopped */
  }
  chat.onSignedOut(null);
  showDeleted(result);
}
