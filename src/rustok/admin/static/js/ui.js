// Small DOM helpers: element builder, labelled fields with an error slot, userErrors placed next to their
// fields, status messages, money and dates.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let idCounter = 0;
export function uid(prefix = "f") { idCounter += 1; return `${prefix}-${idCounter}`; }

// A labelled control with an error slot. `name` is the userErrors field it answers for (e.g. handle,
// variants[0].sku); the control gets aria-describedby pointing at the slot.
export function field(label, name, control, { hint } = {}) {
  const id = control.id || uid(name.replace(/[^a-z0-9]/gi, "-"));
  control.id = id;
  control.name = control.name || name;
  control.dataset.field = name;
  const errId = `${id}-error`;
  const err = h("span", { class: "error", id: errId, "data-error-for": name, role: "alert" });
  control.setAttribute("aria-describedby", hint ? `${errId} ${id}-hint` : errId);
  const isCheck = control.type === "checkbox";
  return h("div", { class: isCheck ? "field check" : "field" },
    isCheck ? [control, h("label", { for: id }, label)] : [h("label", { for: id }, label), control],
    hint ? h("small", { class: "muted", id: `${id}-hint` }, hint) : null, err);
}

export function input(attrs = {}) { return h("input", { type: "text", ...attrs }); }

export function select(options, value, attrs = {}) {
  const el = h("select", attrs);
  for (const opt of options) {
    const [v, label] = Array.isArray(opt) ? opt : [opt, opt];
    const o = h("option", { value: v }, label);
    if (String(v) === String(value ?? "")) o.selected = true;
    el.append(o);
  }
  return el;
}

export function formError() { return h("div", { class: "form-error", role: "alert", "data-form-error": "" }); }

export function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((e) => { e.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  form.querySelectorAll("[data-form-error]").forEach((e) => { e.textContent = ""; });
}

// Put each userError next to its field (by data-field / data-error-for); the rest in the form's error box.
// Answers true when there were errors. The first invalid control gets the focus.
export function showErrors(form, userErrors, { prefix = "" } = {}) {
  clearErrors(form);
  if (!userErrors || userErrors.length === 0) return false;
  const rest = [];
  let focused = false;
  for (const e of userErrors) {
    const name = e.field ? prefix + e.field : null;
    const slot = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
    if (slot) {
      slot.textContent = e.message;
      const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        if (!focused) { control.focus(); focused = true; }
      }
    } else rest.push(e.message);
  }
  const box = form.querySelector("[data-form-error]");
  if (rest.length) {
    if (box) box.textContent = rest.join(" · "); else notify(rest.join(" · "), true);
  }
  return true;
}

let statusTimer = null;
export function notify(message, isError = false) {
  const el = document.getElementById("status");
  el.className = isError ? "status error" : "status";
  el.textContent = message;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { el.textContent = ""; }, isError ? 8000 : 3500);
}

// Run an async action; a top-level API error (forbidden, module disabled, network) becomes a message.
export async function guard(fn, form) {
  try { return await fn(); } catch (err) {
    const box = form?.querySelector("[data-form-error]");
    if (box) box.textContent = err.message; else notify(err.message, true);
    return undefined;
  }
}

export function money(m) {
  if (!m) return "—";
  const digits = { JPY: 0, KRW: 0 }[m.currencyCode] ?? 2;
  const value = Number(m.amount) / 10 ** digits;
  try { return new Intl.NumberFormat("en", { style: "currency", currency: m.currencyCode }).format(value); }
  catch (err) { return `${value.toFixed(digits)} ${m.currencyCode}`; }
}

// "12.50" -> 1250 (minor units); null for an empty string, NaN for garbage (the API then names the field).
export function toMinor(text, currency = "EUR") {
  const t = String(text ?? "").trim().replace(",", ".");
  if (t === "") return null;
  if (!/^-?\d+(\.\d+)?$/.test(t)) return NaN;
  const digits = { JPY: 0, KRW: 0 }[currency] ?? 2;
  return Math.round(Number(t) * 10 ** digits);
}

export function fromMinor(amount, currency = "EUR") {
  if (amount === null || amount === undefined) return "";
  const digits = { JPY: 0, KRW: 0 }[currency] ?? 2;
  return (Number(amount) / 10 ** digits).toFixed(digits);
}

export function when(iso) { return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—"; }

// A datetime-local value (local time) as ISO 8601 with zone; and back.
export function localToIso(value) { return value ? new Date(value).toISOString() : null; }
export function isoToLocal(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function badge(text) { return h("span", { class: `badge ${text}` }, text); }

export function page(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren(h("h1", {}, title), ...children);
  document.title = `${title} · RusToK admin`;
  return main;
}

// The paging bar of a connection: "<total> <noun>" and Previous / Next page buttons. go({ first|last, after|before })
// loads another page (size rows); the connection must have totalCount, totalCountCapped and pageInfo.
export function pager(conn, go, noun, size = 50) {
  const info = conn.pageInfo;
  return h("div", { class: "pager" },
    h("span", { class: "muted", "data-total": "" }, `${conn.totalCount}${conn.totalCountCapped ? "+" : ""} ${noun}`),
    h("button", { type: "button", class: "secondary", disabled: !info.hasPreviousPage,
      onclick: () => guard(() => go({ last: size, before: info.startCursor })) }, "Previous page"),
    h("button", { type: "button", class: "secondary", disabled: !info.hasNextPage,
      onclick: () => guard(() => go({ first: size, after: info.endCursor })) }, "Next page"));
}

// The paging variables of a connection query (first/after or last/before).
export const PAGE_VARS = "$first: Int, $after: String, $last: Int, $before: String";
export const PAGE_ARGS = "first: $first, after: $after, last: $last, before: $before";
export const PAGE_INFO = "totalCount totalCountCapped pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";
