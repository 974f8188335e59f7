// The console's "Rules" page (administrators): the rule packs, packaged (read-only) and the
// operator's, which can be edited, added, enabled or disabled; the server validates every change
// (naming the bad line), audits it and reloads the rules on every node without a restart.
import { get, put, seg } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { toast } from "./ui.js";

export async function renderRules(mc) {
  const body = mc.body;
  replaceChildren(body, h("p", { class: "muted", text: t("common.loading") }));
  let data;
  try {
    data = await get("/api/v1/admin/safety/rules");
  } catch (err) {
    replaceChildren(body, h("p", { class: "error", text: errorText(err.code, err.message) }));
    return;
  }
  const editor = h("div", { class: "rules-editor" });
  const rows = (data.packs || []).map((p) =>
    h(
      "li",
      { class: "rule-pack", dataset: { pack: p.name, origin: p.origin } },
      h("strong", { text: p.name }),
      " ",
      h("span", { class: "tag" + (p.enabled ? " on" : ""), text: t(p.origin === "packaged" ? "rules.packaged" : p.enabled ? "rules.enabled" : "rules.disabled") }),
      " ",
      h("button", { type: "button", class: "btn tiny", text: t(p.origin === "packaged" ? "rules.view" : "rules.edit"), on: { click: () => openFile(mc, editor, p.origin, p.name) } }),
      p.origin === "operator"
        ? h("button", {
            type: "button",
            class: "btn tiny",
            text: t(p.enabled ? "rules.disable" : "rules.enable"),
            on: {
              click: async () => {
                try {
                  await put(`/api/v1/admin/safety/rules/${seg(p.name)}/enabled`, { enabled: !p.enabled });
                  renderRules(mc);
                } catch (err) {
                  toast(errorText(err.code, err.message), "error");
                }
              },
            },
          })
        : null,
    ),
  );
  replaceChildren(
    body,
    h("h3", { text: t("mc.nav.rules") }),
    h("p", { class: "muted small", text: t("rules.hint", { count: data.rules ?? 0 }) }),
    h("ul", { class: "plain-list rule-packs", attrs: { role: "list" } }, rows),
    h("button", { type: "button", class: "btn small", id: "rules-new", text: t("rules.new"), on: { click: () => showEditor(mc, editor, "", "", true) } }),
    editor,
  );
}

async function openFile(mc, editor, origin, name) {
  try {
    const file = await get(`/api/v1/admin/safety/rules/${seg(origin)}/${seg(name)}`);
    showEditor(mc, editor, name, file.content, origin === "operator");
  } catch (err) {
    toast(errorText(err.code, err.message), "error");
  }
}

function showEditor(mc, editor, name, content, editable) {
  const nameInput = h("input", { type: "text", name: "name", value: name || "local.toml", readOnly: Boolean(name) || !editable, attrs: { "aria-label": t("rules.file_name") } });
  const text = h("textarea", { name: "content", rows: 16, value: content, readOnly: !editable, spellcheck: false, attrs: { "aria-label": t("rules.content") } });
  const reason = h("input", { type: "text", name: "reason", value: "", attrs: { "aria-label": t("rules.reason"), placeholder: t("rules.reason") } });
  const error = h("p", { class: "error rules-error", hidden: true, attrs: { role: "alert" } });
  const save = h("button", {
    type: "submit",
    class: "btn primary small",
    text: t("rules.save"),
    hidden: !editable,
  });
  const form = h(
    "form",
    {
      class: "form rules-form",
      attrs: { novalidate: true },
      on: {
        submit: async (e) => {
          e.preventDefault();
          error.hidden = true;
          save.disabled = true;
          try {
            await put(`/api/v1/admin/safety/rules/${seg(nameInput.value.trim())}`, { content: text.value, reason: reason.value });
            toast(t("rules.saved"));
            renderRules(mc);
          } catch (err) {
            error.textContent = errorText(err.code, err.message);
            if (err.message) error.textContent = err.message;
            error.hidden = false;
          } finally {
            save.disabled = false;
          }
        },
      },
    },
    h("label", { text: t("rules.file_name") }, nameInput),
    text,
    editable ? reason : null,
    error,
    save,
  );
  replaceChildren(editor, form);
  text.focus();
}
