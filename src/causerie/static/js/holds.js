// The console's "Legal holds" page (administrators): place a hold on an account, a room or a case
// (with a reason and an optional end date), list the holds in force, release one. The server checks
// the role and audits every hold and release; a held target is never purged (docs/privacy.md).
import { get, post } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { toast } from "./ui.js";
import { longTime } from "./format.js";

function field(id, labelKey, input) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { htmlFor: id, text: t(labelKey) }), input);
}

function holdRow(hold, mc) {
  const until = hold.expires_at ? longTime(hold.expires_at) : t("holds.until_released");
  const release = h("button", { type: "button", class: "btn small", text: t("holds.release") });
  release.onclick = async () => {
    release.disabled = true;
    try {
      await post(`/api/v1/moderation/legal/holds/${hold.id}/release`, { reason: "" });
      toast(t("holds.released", { id: hold.id }), "ok");
      renderHolds(mc);
    } catch (ex) {
      toast(errorText(ex.code, ex.message), "error");
      release.disabled = false;
    }
  };
  return h(
    "tr",
    { dataset: { hold: String(hold.id) } },
    h("td", { text: `#${hold.id}` }),
    h("td", { text: t(`holds.kind.${hold.kind}`) }),
    h("td", { text: hold.target_id }),
    h("td", { text: hold.reason }),
    h("td", { text: hold.source }),
    h("td", { text: longTime(hold.created_at) }),
    h("td", { text: until }),
    h("td", {}, release),
  );
}

export async function renderHolds(mc) {
  const body = mc.body;
  const err = h("p", { class: "field-error form-error", attrs: { role: "alert" }, hidden: true });
  const kind = h(
    "select",
    { name: "kind" },
    ["account", "room", "case"].map((k) => h("option", { value: k, text: t(`holds.kind.${k}`) })),
  );
  const form = h(
    "form",
    { class: "form mc-holds-form", attrs: { novalidate: true } },
    field("hd-kind", "holds.target", kind),
    field("hd-target", "holds.target_value", h("input", { name: "target", required: true, maxLength: 96 })),
    field("hd-reason", "holds.reason", h("input", { name: "reason", required: true, maxLength: 1000 })),
    field("hd-until", "holds.until", h("input", { name: "until", type: "date" })),
    err,
    h("button", { type: "submit", class: "btn primary", text: t("holds.place") }),
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.hidden = true;
    const f = form.elements;
    const target = f.target.value.trim();
    const reason = f.reason.value.trim();
    if (!target || !reason) {
      err.textContent = t("holds.fill");
      err.hidden = false;
      return;
    }
    const payload = { kind: f.kind.value, target, reason };
    if (f.until.value) payload.expires_at = Date.parse(`${f.until.value}T00:00:00Z`);
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const placed = await post("/api/v1/moderation/legal/holds", payload);
      toast(t("holds.placed", { id: placed.hold.id }), "ok");
      renderHolds(mc);
    } catch (ex) {
      err.textContent = errorText(ex.code, ex.message);
      err.hidden = false;
      submit.disabled = false;
    }
  };
  let holds = [];
  try {
    holds = (await get("/api/v1/moderation/legal/holds")).holds || [];
  } catch {
    holds = [];
  }
  const heads = ["id", "kind", "target", "reason", "source", "placed", "until", "action"];
  const table = holds.length
    ? h(
        "div",
        { class: "mc-table-wrap", tabIndex: 0, attrs: { role: "region", "aria-label": t("holds.list") } },
        h(
          "table",
          { class: "mc-table mc-holds" },
          h("thead", {}, h("tr", {}, heads.map((k) => h("th", { text: t(`holds.col.${k}`) })))),
          h("tbody", {}, holds.map((hold) => holdRow(hold, mc))),
        ),
      )
    : h("p", { class: "muted small mc-holds-empty", text: t("holds.none") });
  replaceChildren(
    body,
    h("h3", { text: t("mc.nav.holds") }),
    h("p", { class: "muted small", text: t("holds.hint") }),
    form,
    h("h4", { text: t("holds.list") }),
    table,
  );
}
