// Shared UI pieces: toasts, dialogs, inline form errors.
import { h, focusFirst } from "./dom.js";
import { t } from "./i18n.js";

const TOAST_MS = 5000;

/**
 * A short, polite notification (role=status region in index.html).
 * `opts.sticky`: stays until closed (decisions, outcomes); `opts.action`: {label, onClick}.
 */
export function toast(text, kind = "info", opts = {}) {
  const region = document.getElementById("toasts");
  if (!region) return null;
  const el = h("div", { class: `toast ${kind}` + (opts.sticky ? " sticky" : "") }, h("span", { class: "toast-text", text }));
  if (opts.action) {
    el.append(
      h("button", {
        type: "button",
        class: "btn small toast-action",
        text: opts.action.label,
        on: {
          click: () => {
            el.remove();
            opts.action.onClick();
          },
        },
      }),
    );
  }
  const close = h("button", {
    type: "button",
    class: "btn ghost tiny icon",
    text: "×",
    attrs: { "aria-label": t("common.close") },
    on: { click: () => el.remove() },
  });
  el.append(close);
  region.append(el);
  while (region.children.length > 5) {
    const old = [...region.children].find((c) => !c.classList.contains("sticky")) || region.firstElementChild;
    old.remove();
  }
  if (!opts.sticky) setTimeout(() => el.remove(), opts.ms || TOAST_MS);
  return el;
}

/**
 * Open a <dialog> modally. Escape closes it (native); focus goes back to what had it before.
 * Clicking the backdrop closes it too.
 */
export function openDialog(dialog) {
  const opener = document.activeElement;
  if (!dialog.open) dialog.showModal();
  focusFirst(dialog);
  dialog.addEventListener(
    "close",
    () => {
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
    },
    { once: true },
  );
  if (!dialog.dataset.backdrop) {
    dialog.dataset.backdrop = "1";
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) {
        const r = dialog.getBoundingClientRect();
        const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
        if (!inside) dialog.close();
      }
    });
  }
}

/** Show an error under a form field (the element #err-<form>-<name>), or the form's own. */
export function setFieldError(form, name, text) {
  const slot = form.querySelector(`[data-error-for="${name}"]`) || form.querySelector('[data-error-for="_form"]');
  if (!slot) return;
  slot.textContent = text;
  slot.hidden = false;
  const field = form.elements.namedItem(name);
  if (field && field.setAttribute) {
    field.setAttribute("aria-invalid", "true");
    if (typeof field.focus === "function") field.focus();
  }
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** Re-render a list container while keeping keyboard focus on the "same" item (data-key). */
export function keepFocus(container, render) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  const cls = active ? active.className : "";
  render();
  if (key) {
    const again = [...container.querySelectorAll("[data-key]")].find((el) => el.dataset.key === key && el.className === cls);
    if (again) again.focus();
  }
}
